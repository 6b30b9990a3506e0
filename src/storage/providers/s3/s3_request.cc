#include "storage/providers/s3/s3_request.h"

#include <openssl/evp.h>

#include <chrono>

#include "storage/providers/s3/s3_errors.h"
#include "storage/signers/sigv4.h"

namespace custos::s3 {

Digest::Digest(Algorithm a) : algorithm_(a), ctx_(EVP_MD_CTX_new()) { Reset(); }

Digest::~Digest() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Digest::Reset() {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_),
                    algorithm_ == Algorithm::kSha256 ? EVP_sha256() : EVP_md5(), nullptr);
}

void Digest::Update(ByteView data) {
  if (!data.empty()) EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

Bytes Digest::Final() {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &len);
  out.resize(len);
  Reset();
  return out;
}

Hash256 Sha256(ByteView data) {
  Hash256 h{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), h.data(), &len, EVP_sha256(), nullptr);
  return h;
}

std::array<uint8_t, 16> Md5(ByteView data) {
  std::array<uint8_t, 16> h{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), h.data(), &len, EVP_md5(), nullptr);
  return h;
}

S3Requester::S3Requester(S3Config config, S3Credentials credentials, http::ClientOptions options)
    : config_(std::move(config)), credentials_(std::move(credentials)), client_(options) {
  if (!credentials_.ibm_api_key.empty()) {
    tokens_ =
        std::make_unique<IbmTokenSource>(client_, config_.iam_token_url, credentials_.ibm_api_key);
  }
}

Result<http::Response> S3Requester::Send(std::string method, std::string url, http::Headers headers,
                                         ByteSource* body, std::string_view payload_hash_hex,
                                         const std::function<Status(ByteView)>* sink,
                                         const http::CancellationToken* cancel) {
  http::Request req;
  req.method = std::move(method);
  req.url = std::move(url);
  req.headers = std::move(headers);
  req.body = body;
  if (tokens_) {
    ASSIGN_OR_RETURN(std::string token, tokens_->Token());
    req.headers.emplace_back("Authorization", "Bearer " + token);
  } else {
    signers::AwsCredentials creds{credentials_.access_key_id, credentials_.secret_access_key,
                                  credentials_.session_token};
    RETURN_IF_ERROR(signers::SignRequest(
        req, creds, signers::S3Params(config_.region, std::string(payload_hash_hex))));
  }
  return client_.Do(req, sink, cancel);
}

Result<http::Response> S3Requester::SendSmall(std::string method, std::string url,
                                              http::Headers headers, std::string_view body,
                                              std::string_view context, bool content_md5) {
  BufferSource src(AsBytes(body));
  if (content_md5) {
    auto md5 = Md5(AsBytes(body));
    headers.emplace_back("Content-MD5", ToBase64(md5));
  }
  if (!body.empty() && method != "GET") {
    headers.emplace_back("Content-Type", "application/xml");
  }
  ASSIGN_OR_RETURN(http::Response resp,
                   Send(std::move(method), std::move(url), std::move(headers),
                        body.empty() ? nullptr : &src, ToHex(Sha256(AsBytes(body)))));
  RETURN_IF_ERROR(ClassifyS3Response(resp, context, config_.bucket));
  return resp;
}

}  // namespace custos::s3
