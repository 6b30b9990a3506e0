// S3Requester: signs and sends one S3 request (SigV4 with HMAC keys, or an
// IBM IAM bearer token), and small hashing helpers the S3 code shares.
//
// Contract
// - Thread-safe: many threads may call Send() at once.
// - The config, credentials and client are owned by the requester; callers
//   keep the requester alive while they use it.
// - Send() returns the Response for any HTTP status (see S3Errors for turning
//   it into a Status); errors are the transport's (http::Client::Do), the
//   signer's, or the IAM token exchange's.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "storage/http/http_client.h"
#include "storage/providers/s3/ibm_iam.h"
#include "storage/providers/s3/s3_config.h"

namespace custos::s3 {

// SHA-256 of the empty payload, hex (what bodiless requests sign).
inline constexpr std::string_view kEmptySha256Hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Hash256 Sha256(ByteView data);
std::array<uint8_t, 16> Md5(ByteView data);

// Incremental SHA-256 / MD5 (RAII over an OpenSSL digest context).
class Digest {
 public:
  enum class Algorithm { kSha256, kMd5 };
  explicit Digest(Algorithm a);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  void Update(ByteView data);
  Bytes Final();  // resets the context for reuse
  void Reset();

 private:
  Algorithm algorithm_;
  void* ctx_;
};

class S3Requester {
 public:
  S3Requester(S3Config config, S3Credentials credentials, http::ClientOptions options = {});
  S3Requester(const S3Requester&) = delete;
  S3Requester& operator=(const S3Requester&) = delete;

  const S3Config& config() const { return config_; }
  bool bearer() const { return tokens_ != nullptr; }

  // Sends method url with headers and body; payload_hash_hex is the body's
  // SHA-256 (kEmptySha256Hex when there is none).
  Result<http::Response> Send(std::string method, std::string url, http::Headers headers,
                              ByteSource* body, std::string_view payload_hash_hex,
                              const std::function<Status(ByteView)>* sink = nullptr,
                              const http::CancellationToken* cancel = nullptr);

  // Send() with an in-memory body, and the answer classified: OK only for 2xx.
  // `context` names the operation in messages ("PUT ?versioning").
  Result<http::Response> SendSmall(std::string method, std::string url, http::Headers headers,
                                   std::string_view body, std::string_view context,
                                   bool content_md5 = false);

 private:
  const S3Config config_;
  const S3Credentials credentials_;
  http::Client client_;
  std::unique_ptr<IbmTokenSource> tokens_;
};

}  // namespace custos::s3
