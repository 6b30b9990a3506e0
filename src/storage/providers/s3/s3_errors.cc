#include "storage/providers/s3/s3_errors.h"

#include <cctype>
#include <chrono>
#include <optional>
#include <string>

#include "storage/providers/s3/s3_xml.h"

namespace custos::s3 {
namespace {

bool In(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (std::string_view c : codes) {
    if (code == c) return true;
  }
  return false;
}

}  // namespace

Status ClassifyS3Response(const http::Response& resp, std::string_view context,
                          std::string_view bucket) {
  if (resp.status >= 200 && resp.status < 300) return Status::OK();
  S3Error err;
  if (!resp.body.empty()) {
    if (auto parsed = ParseError(resp.body); parsed.ok()) err = std::move(*parsed);
  }
  const std::string ctx = "S3 " + std::string(context);
  const std::string b = "'" + std::string(bucket) + "'";
  std::string region = err.region;
  if (auto h = resp.Header("x-amz-bucket-region"); h && region.empty()) {
    for (char c : h->substr(0, 40))
      region += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '?';
  }
  const std::string& code = err.code;
  auto detail = [&](std::string_view what) {
    return ctx + ": " + std::string(what) + (code.empty() ? "" : " (" + code + ")");
  };

  if (In(code, {"SignatureDoesNotMatch"})) {
    return Status::PermissionDenied(
        detail("the server rejected the request signature: the secret access key is wrong"));
  }
  if (In(code, {"InvalidAccessKeyId"})) {
    return Status::PermissionDenied(detail("the access key id is not known to the server"));
  }
  if (In(code, {"ExpiredToken", "TokenRefreshRequired"})) {
    return Status::PermissionDenied(detail("the credentials expired"));
  }
  if (In(code, {"InvalidToken"})) {
    return Status::PermissionDenied(detail("the session token is not valid"));
  }
  if (In(code, {"AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraint",
                "IllegalLocationConstraintException"}) ||
      resp.status == 301 || (resp.status == 400 && !region.empty())) {
    return Status::InvalidArgument(
        detail(region.empty() ? "wrong region for bucket " + b + ": give its region with ?region="
                              : "wrong region: the bucket " + b + " is in " + region +
                                    " (use ?region=" + region + ")"));
  }
  if (In(code, {"NoSuchBucket"})) {
    return Status::NotFound(detail("the bucket " + b + " does not exist"));
  }
  if (In(code, {"NoSuchKey", "NoSuchUpload", "NoSuchVersion"}) ||
      (code.empty() && resp.status == 404)) {
    return Status::NotFound(detail("not found"));
  }
  if (In(code, {"BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest"})) {
    return Status::Corruption(
        detail("the server found the uploaded bytes do not match their hash"));
  }
  if (In(code, {"EntityTooLarge"})) return Status::InvalidArgument(detail("object is too large"));
  if (In(code, {"QuotaExceeded", "StorageQuotaExceeded"}) || resp.status == 507) {
    return Status::NoSpace(detail("storage quota exceeded"));
  }
  if (In(code, {"SlowDown", "InternalError", "RequestTimeout", "Throttling", "ThrottlingException",
                "ServiceUnavailable"}) ||
      (code.empty() && (resp.status == 500 || resp.status == 503))) {
    std::optional<std::chrono::milliseconds> after;
    if (auto h = resp.Header("retry-after")) after = http::ParseRetryAfter(*h);
    return Status::Retryable(detail("the server is busy or failed temporarily"), after);
  }
  if (code == "RequestTimeTooSkewed") {
    return Status::PermissionDenied(detail("this machine's clock is off by more than 15 minutes"));
  }
  if (code == "AccessDenied" || (code.empty() && resp.status == 403)) {
    return Status::PermissionDenied(
        detail(code.empty() ? "access denied (check the access key, secret and permissions)"
                            : "access denied: the key lacks permission for this request"));
  }
  std::string msg =
      code.empty() ? std::string() : code + (err.message.empty() ? "" : ": " + err.message);
  return http::ClassifyStatus(resp, ctx, msg);
}

}  // namespace custos::s3
