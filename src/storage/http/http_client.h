// HttpClient: the one HTTP layer every storage provider uses (over libcurl).
//
// Contract
// - Providers never call libcurl directly; they build a Request and call Do().
// - Thread-safe: many threads may call Do() at once. Connections are reused
//   (a pool of easy handles); HTTP/2 is negotiated where the server offers it.
// - The request body streams from a rewindable ByteSource (rewound before the
//   transfer starts, and again if libcurl asks to resend it). The response
//   body streams to `sink` when the status is 2xx and a sink is given;
//   otherwise it is collected into Response::body (error bodies are capped at
//   64 KiB).
// - An HTTP status is never an error of Do(): Do() returns the Response for
//   any status, and ClassifyStatus() turns a non-2xx status into a Status.
//   Do() returns an error only for transport failures, classified as:
//     Retryable   connection refused/reset, timeouts, partial transfers, DNS
//                 temporarily failing, HTTP/2 stream errors;
//     Cancelled   the CancellationToken was triggered;
//     IOError     permanent transport failures (TLS verification failed,
//                 unsupported protocol, malformed URL);
//     or the sink's / the source's own error, unchanged.
// - Messages name the method and the URL with its query string removed and
//   never contain header values, so they cannot leak credentials.
// - Proxies come from the standard environment variables (http_proxy,
//   https_proxy, no_proxy) as libcurl reads them. TLS verification is on by
//   default; ClientOptions::ca_file replaces the system CA bundle.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "storage/backend.h"

namespace custos::http {

// Lets another thread abort a transfer in progress.
class CancellationToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  // Abort when fewer than low_speed_bytes per second flow for low_speed_time.
  uint64_t low_speed_bytes = 1024;
  std::chrono::seconds low_speed_time{30};
  // Whole-transfer limit; 0 = none.
  std::chrono::milliseconds total_timeout{0};
  bool verify_tls = true;
  std::string ca_file;  // empty: the system bundle
  std::string user_agent = "custos";
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";  // GET, PUT, POST, HEAD, DELETE
  std::string url;             // absolute, already percent-encoded
  Headers headers;             // sent as given (signers add theirs before Do)
  ByteSource* body = nullptr;  // nullptr: no body (Content-Length 0 for PUT/POST)
};

struct Response {
  int status = 0;
  // Header names lower-cased; a repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  std::string body;  // only when not streamed to a sink

  std::optional<std::string> Header(std::string_view lower_name) const;
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<Response> Do(const Request& req,
                      const std::function<Status(ByteView)>* sink = nullptr,
                      const CancellationToken* cancel = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses a Retry-After value: delta-seconds or an HTTP-date (relative to now).
std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Maps a response status to a Status naming `context` (e.g. "PUT data/ab/..."):
//   2xx -> OK; 404 -> NotFound; 401/403 -> PermissionDenied;
//   408, 429, 500, 502, 503, 504 -> Retryable (with Retry-After when sent);
//   507 -> NoSpace; other 4xx -> InvalidArgument; other -> IOError.
// `detail` (a provider's parsed error code/message) is appended when non-empty.
Status ClassifyStatus(const Response& resp, std::string_view context,
                      std::string_view detail = {});

// Percent-encodes per RFC 3986 (unreserved characters kept); '/' kept when
// keep_slash.
std::string UriEncode(std::string_view s, bool keep_slash);

}  // namespace custos::http
