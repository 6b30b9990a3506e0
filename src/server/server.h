// ApiServer: `custos serve`, the authenticated JSON HTTP API over the records
// store and the audit log (ARCHITECTURE §3.1, §3.2, §3.7; docs/api.md).
//
// Contract
// - Open() opens (creating on first start, mode 0700) the data directory:
//   the records store, the audit log and the token store, loads the demo
//   data when asked on a first start, and binds the listening socket.
//   Plain HTTP is refused unless the listen address is loopback (127.0.0.0/8,
//   ::1, localhost): give --tls-cert and --tls-key for anything else.
// - First start: when no token exists, CUSTOS_ADMIN_TOKEN (if set) becomes
//   the admin token, else one is generated and returned by
//   first_admin_token() for the caller to print once. It is never logged.
// - HTTP/1.1 comes from libmicrohttpd, one thread per connection (handlers
//   block until their write is durable). Malformed requests and oversized
//   headers are answered by libmicrohttpd itself (400, 431) and close the
//   connection.
// - Every request is matched against the route table without regular
//   expressions, authenticated (Bearer token), and checked against the role
//   matrix in one place before any handler runs. Bodies over the route's
//   limit get 413 before they are buffered.
// - One structured log line per request (method, route id, status, duration,
//   token id; never the path's ids, query strings or bodies) and metrics by
//   route and status.
// - Thread-safety: Run() blocks the calling thread; Stop() may be called from
//   any thread (a signal-waiting thread, a test). Destroying the server stops
//   it and closes the store.
// - Errors from Open: InvalidArgument (bad listen address, plain HTTP on a
//   non-loopback address, unreadable TLS files), IOError (cannot bind),
//   Locked (the data directory is open in another process), and whatever the
//   store or the audit log return.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace custos::server {

inline constexpr size_t kPollMaxConnections = 1024;

struct ServerOptions {
  std::string data_dir;
  std::string listen = "127.0.0.1:8080";
  std::string tls_cert;  // PEM files; both or neither
  std::string tls_key;
  bool demo = false;
  size_t threads = 16;  // handler threads for requests that wait (reads, updates, imports)
  // Connections open at once; further ones wait in the listen queue until
  // one closes. Up to kPollMaxConnections the event thread waits with
  // poll(), above it with epoll (server.cc says why).
  size_t max_connections = 1000;
  // A connection on which nothing was received or sent for this long is
  // closed: idle keep-alive connections, stalled requests (half a header, a
  // body that stops) and clients that stop reading their answer. A request
  // waiting for its answer (a commit, a handler) does not count as idle.
  std::chrono::seconds timeout{30};
  std::string origin;  // audit log origin; empty = derived from the data directory
  std::chrono::milliseconds checkpoint_interval{1000};
};

struct ListenAddress {
  std::string host;  // without brackets
  int port = 0;
  bool loopback = false;
};
// "HOST:PORT", "[v6]:PORT" or ":PORT" (= 0.0.0.0). InvalidArgument naming the
// problem otherwise.
Result<ListenAddress> ParseListenAddress(std::string_view text);
bool IsLoopbackHost(std::string_view host);

class ApiServer {
 public:
  static Result<std::unique_ptr<ApiServer>> Open(const ServerOptions& options);
  virtual ~ApiServer() = default;

  // The generated admin token of a first start (print once), or nullopt.
  virtual const std::optional<std::string>& first_admin_token() const = 0;
  // "http://127.0.0.1:43123" (the bound port, also when 0 was asked for).
  virtual std::string url() const = 0;
  // Serves until Stop(). IOError if the listener fails.
  virtual Status Run() = 0;
  virtual void Stop() = 0;
};

}  // namespace custos::server
