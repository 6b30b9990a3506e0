#include "storage/providers/s3/ibm_iam.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace custos::s3 {

Result<IbmToken> ParseIbmTokenResponse(std::string_view json,
                                       std::chrono::system_clock::time_point now) {
  auto bad = [](std::string_view what) {
    return Status::Corruption("IBM IAM token answer: " + std::string(what));
  };
  if (json.size() > (1 << 20)) return bad("too large");
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  auto token = j.find("access_token");
  if (token == j.end() || !token->is_string() || token->get<std::string>().empty()) {
    return bad("missing access_token");
  }
  IbmToken t;
  t.access_token = token->get<std::string>();
  if (t.access_token.size() > 64 * 1024) return bad("access_token too long");
  for (char c : t.access_token) {
    if (c <= 0x20 || c >= 0x7f) return bad("access_token has characters a header cannot carry");
  }
  auto expires_in = j.find("expires_in");
  auto expiration = j.find("expiration");
  if (expires_in != j.end() && expires_in->is_number_integer() && expires_in->get<int64_t>() > 0 &&
      expires_in->get<int64_t>() < 366 * 86400) {
    t.expires = now + std::chrono::seconds(expires_in->get<int64_t>());
  } else if (expiration != j.end() && expiration->is_number_integer() &&
             expiration->get<int64_t>() > 0) {
    t.expires =
        std::chrono::system_clock::time_point(std::chrono::seconds(expiration->get<int64_t>()));
  } else {
    return bad("missing expires_in / expiration");
  }
  return t;
}

IbmTokenSource::IbmTokenSource(http::Client& client, std::string token_url, std::string api_key)
    : client_(client), token_url_(std::move(token_url)), api_key_(std::move(api_key)) {}

int IbmTokenSource::exchanges() const {
  std::lock_guard<std::mutex> lock(mu_);
  return exchanges_;
}

Result<std::string> IbmTokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::system_clock::now();
  if (!token_.access_token.empty() && now < refresh_at_) return token_.access_token;

  const std::string form =
      "grant_type=" + http::UriEncode("urn:ibm:params:oauth:grant-type:apikey", false) +
      "&apikey=" + http::UriEncode(api_key_, false);
  BufferSource body(AsBytes(form));
  http::Request req;
  req.method = "POST";
  req.url = token_url_;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = &body;
  ASSIGN_OR_RETURN(http::Response resp, client_.Do(req));
  ++exchanges_;
  if (resp.status == 400 || resp.status == 401 || resp.status == 403) {
    return Status::PermissionDenied("IBM IAM: the IBM API key was rejected (HTTP " +
                                    std::to_string(resp.status) + ")");
  }
  if (resp.status < 200 || resp.status >= 300) {
    return http::ClassifyStatus(resp, "IBM IAM token exchange");
  }
  ASSIGN_OR_RETURN(IbmToken t, ParseIbmTokenResponse(resp.body, now));
  auto lifetime = t.expires - now;
  auto margin =
      std::max<std::chrono::system_clock::duration>(std::chrono::minutes(1), lifetime / 10);
  token_ = std::move(t);
  refresh_at_ = token_.expires - margin;
  return token_.access_token;
}

}  // namespace custos::s3
