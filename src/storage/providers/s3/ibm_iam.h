// IBM Cloud IAM: exchanges an API key for a bearer token (IBM COS without HMAC
// keys) and caches it until shortly before it expires.
//
//   POST <token_url>  Content-Type: application/x-www-form-urlencoded
//   grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=<key>
//   -> {"access_token": "...", "expires_in": 3600, "expiration": <unix>, ...}
//
// Contract
// - Thread-safe: concurrent Token() calls share one exchange.
// - The client is borrowed and must outlive the IbmTokenSource.
// - Token(): PermissionDenied when IAM rejects the key (400/401/403: "the IBM
//   API key was rejected"), Retryable for 429/5xx and transport failures,
//   Corruption when the answer is not the documented JSON. Neither the key
//   nor a token ever appears in a message.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "storage/http/http_client.h"

namespace custos::s3 {

struct IbmToken {
  std::string access_token;
  std::chrono::system_clock::time_point expires;
};

// Parses the token endpoint's JSON answer (exposed for tests).
Result<IbmToken> ParseIbmTokenResponse(std::string_view json,
                                       std::chrono::system_clock::time_point now);

class IbmTokenSource {
 public:
  IbmTokenSource(http::Client& client, std::string token_url, std::string api_key);
  IbmTokenSource(const IbmTokenSource&) = delete;
  IbmTokenSource& operator=(const IbmTokenSource&) = delete;

  // A valid token: the cached one unless it expires within the next minute
  // (or within 10% of its lifetime), else a fresh exchange.
  Result<std::string> Token();
  // How many exchanges were made (tests).
  int exchanges() const;

 private:
  http::Client& client_;
  const std::string token_url_;
  const std::string api_key_;
  mutable std::mutex mu_;
  IbmToken token_;
  std::chrono::system_clock::time_point refresh_at_;
  int exchanges_ = 0;
};

}  // namespace custos::s3
