#include "server/server.h"

#include <httplib.h>
#include <sys/stat.h>

#include <array>
#include <cstdlib>

#include "audit/audit_log.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/metrics.h"
#include "records/sqlite_store.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/demo.h"
#include "server/openapi.h"
#include "server/routes.h"

namespace custos::server {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::array<int, 16> kStatuses = {200, 201, 204, 400, 401, 403, 404, 405,
                                           409, 413, 415, 422, 428, 500, 503, 507};

// Metric series of one route, looked up once.
struct RouteMetrics {
  std::array<Counter*, kStatuses.size() + 1> by_status{};  // last: any other status
  Histogram* latency = nullptr;
};

bool IsLoopbackPeer(const std::string& addr) {
  return addr.starts_with("127.") || addr == "::1" || addr.starts_with("::ffff:127.");
}

std::string LowerMediaType(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == ';') break;
    if (c == ' ' || c == '\t') continue;
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  return out;
}

class ServerImpl final : public ApiServer {
 public:
  ~ServerImpl() override {
    Stop();
    api_.reset();
    audit_.reset();  // clears the store's commit listener
    store_.reset();
  }

  const std::optional<std::string>& first_admin_token() const override { return first_token_; }
  std::string url() const override {
    std::string host = addr_.host.find(':') != std::string::npos ? "[" + addr_.host + "]"
                                                                 : addr_.host;
    return std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_);
  }
  Status Run() override {
    if (!http_->listen_after_bind()) return Status::IOError("the HTTP listener failed");
    return Status::OK();
  }
  void Stop() override {
    if (http_) http_->stop();
  }

  Status Init(const ServerOptions& o);

 private:
  void Serve(const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader* reader);
  void Finish(const httplib::Request& req, httplib::Response& res, const Route* route,
              const ApiResponse& out, const std::string& actor, Clock::time_point t0);
  void SetupMetrics();

  ListenAddress addr_;
  int port_ = 0;
  bool tls_ = false;
  std::unique_ptr<records::RecordsStore> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<httplib::Server> http_;
  std::optional<std::string> first_token_;
  std::vector<RouteMetrics> metrics_;  // indexed like Routes()
  RouteMetrics unmatched_;
};

void ServerImpl::SetupMetrics() {
  MetricsRegistry& reg = DefaultMetrics();
  auto make = [&](const std::string& id) {
    RouteMetrics m;
    for (size_t i = 0; i <= kStatuses.size(); ++i) {
      std::string code = i < kStatuses.size() ? std::to_string(kStatuses[i]) : "other";
      m.by_status[i] = &reg.GetCounter("custos_http_requests_total",
                                       "HTTP requests by route and status",
                                       {{"route", id}, {"status", code}});
    }
    m.latency = &reg.GetHistogram("custos_http_request_duration_seconds",
                                  "HTTP request latency by route", LatencyBuckets(),
                                  {{"route", id}});
    return m;
  };
  for (const Route& r : Routes()) metrics_.push_back(make(r.id));
  unmatched_ = make("unmatched");
}

void ServerImpl::Finish(const httplib::Request& req, httplib::Response& res, const Route* route,
                        const ApiResponse& out, const std::string& actor, Clock::time_point t0) {
  res.status = out.status;
  for (const auto& [k, v] : out.headers) res.set_header(k, v);
  if (out.status == 401) res.set_header("WWW-Authenticate", "Bearer");
  if (out.status != 204) res.set_content(out.body, out.content_type);
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  RouteMetrics& m = route != nullptr ? metrics_[static_cast<size_t>(route - Routes().data())]
                                     : unmatched_;
  size_t idx = kStatuses.size();
  for (size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == out.status) idx = i;
  }
  m.by_status[idx]->Increment();
  m.latency->Observe(secs);
  if (DefaultLogger().Enabled(LogLevel::kInfo)) {
    // Route id, never the concrete path (ids) or the query string.
    DefaultLogger().Log(LogLevel::kInfo, "request",
                        {{"method", req.method},
                         {"route", route != nullptr ? route->id : "unmatched"},
                         {"status", out.status},
                         {"duration_ms", secs * 1000.0},
                         {"actor", actor}});
  }
}

void ServerImpl::Serve(const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader* reader) {
  const Clock::time_point t0 = Clock::now();
  RouteMatch match = MatchRoute(req.method, req.path);
  const Route* route = match.route;
  std::string actor = "-";
  std::optional<ApiResponse> early;
  ApiRequest areq;
  areq.route = route;

  if (route == nullptr) {
    if (match.path_known) {
      early = ErrorResponse(405, "method_not_allowed", "method not allowed on this path");
      early->headers.emplace_back("Allow", match.allow);
    } else {
      early = ErrorResponse(404, "not_found", "no such route");
    }
  } else if (route->auth != AuthMode::kPublic) {
    const std::string auth = req.get_header_value("Authorization");
    if (auth.empty()) {
      if (route->auth == AuthMode::kTokenOrLoopback && IsLoopbackPeer(req.remote_addr)) {
        areq.access = Access::kAllow;
      } else {
        early = ErrorResponse(401, "unauthorized", "send Authorization: Bearer <token>");
      }
    } else {
      std::string_view token = auth;
      std::optional<TokenInfo> who;
      if (token.size() > 7 && (token.starts_with("Bearer ") || token.starts_with("bearer "))) {
        token.remove_prefix(7);
        who = tokens_->Authenticate(token);
      }
      if (!who) {
        early = ErrorResponse(401, "unauthorized", "the token is not valid or was revoked");
      } else {
        actor = who->id;
        areq.access = route->AccessFor(who->role);
        if (areq.access == Access::kDeny) {
          early = ErrorResponse(403, "forbidden",
                                "the " + std::string(RoleName(who->role)) +
                                    " role may not use " + route->id);
        }
        areq.caller = std::move(who);
      }
    }
  }

  // Read the body. It is always consumed, so the connection stays usable,
  // but only buffered up to the route's limit.
  std::string body;
  if (reader != nullptr) {
    const size_t limit = route != nullptr && !early ? std::max<size_t>(route->body_limit, 1 << 16)
                                                    : 0;
    bool too_big = false;
    const std::string len = req.get_header_value("Content-Length");
    if (!len.empty()) {
      auto n = ParseU64(len);
      if (n && *n > limit) too_big = true;
    }
    bool ok = (*reader)([&](const char* data, size_t n) {
      if (too_big || early) return true;  // drain
      if (body.size() + n > limit) {
        too_big = true;
        body.clear();
        body.shrink_to_fit();
        return true;
      }
      body.append(data, n);
      return true;
    });
    if (!early && too_big) {
      early = ErrorResponse(413, "payload_too_large",
                            "the request body is larger than " + std::to_string(limit) +
                                " bytes, the limit of this route");
    } else if (!early && !ok) {
      early = res.status == 413 ? ErrorResponse(413, "payload_too_large",
                                                "the request body is too large")
                                : ErrorResponse(400, "bad_request", "the body could not be read");
    }
  }
  if (early) return Finish(req, res, route, *early, actor, t0);

  if (route->kind == RouteKind::kOpenApi) {
    ApiResponse out;
    out.body = OpenApiText();
    return Finish(req, res, route, out, actor, t0);
  }
  if (route->kind == RouteKind::kMetrics) {
    ApiResponse out;
    out.content_type = "text/plain; version=0.0.4";
    out.body = DefaultMetrics().RenderPrometheusText() + api_->StoreMetricsText();
    return Finish(req, res, route, out, actor, t0);
  }
  areq.params.assign(match.params.begin(), match.params.end());
  areq.query = &req.params;
  areq.if_match = req.get_header_value("If-Match");
  areq.content_type = LowerMediaType(req.get_header_value("Content-Type"));
  areq.body = body;
  ApiResponse out = api_->Handle(areq);
  Finish(req, res, route, out, actor, t0);
}

Status ServerImpl::Init(const ServerOptions& o) {
  ASSIGN_OR_RETURN(addr_, ParseListenAddress(o.listen));
  tls_ = !o.tls_cert.empty() || !o.tls_key.empty();
  if (tls_ && (o.tls_cert.empty() || o.tls_key.empty())) {
    return Status::InvalidArgument("give both --tls-cert and --tls-key");
  }
  if (!tls_ && !addr_.loopback) {
    return Status::InvalidArgument(
        "refusing plain HTTP on the non-loopback address " + addr_.host +
        ": give --tls-cert and --tls-key, or listen on 127.0.0.1 / ::1 / localhost");
  }
  if (o.data_dir.empty()) return Status::InvalidArgument("--data DIR is required");
  RETURN_IF_ERROR(MakeDirs(o.data_dir, 0700));
  ::chmod(o.data_dir.c_str(), 0700);

  ASSIGN_OR_RETURN(store_, records::OpenSqliteStore(o.data_dir));
  const bool fresh = store_->LastSeq() == 0;
  audit::AuditLogOptions aopts;
  aopts.data_dir = o.data_dir;
  aopts.origin = o.origin;
  aopts.checkpoint_interval = o.checkpoint_interval;
  ASSIGN_OR_RETURN(audit_, audit::AuditLog::Open(*store_, aopts));
  ASSIGN_OR_RETURN(tokens_, TokenStore::Open(o.data_dir));
  if (o.demo && fresh) RETURN_IF_ERROR(LoadDemoData(*store_));

  const char* env = std::getenv("CUSTOS_ADMIN_TOKEN");
  ASSIGN_OR_RETURN(bool empty, tokens_->Empty());
  if (env != nullptr && *env != '\0') {
    RETURN_IF_ERROR(tokens_->AddAdminToken(env, "CUSTOS_ADMIN_TOKEN").status());
  } else if (empty) {
    NewToken t;
    t.role = Role::kAdmin;
    t.name = "first admin";
    ASSIGN_OR_RETURN(TokenStore::Created c, tokens_->Create(t));
    first_token_ = std::move(c.token);
  }

  api_ = std::make_unique<Api>(*store_, audit_.get(), *tokens_);
  SetupMetrics();

  if (tls_) {
    auto ssl = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
    if (!ssl->is_valid()) {
      return Status::InvalidArgument("cannot load the TLS certificate or key (PEM files)");
    }
    http_ = std::move(ssl);
  } else {
    http_ = std::make_unique<httplib::Server>();
  }
  const size_t threads = std::max<size_t>(o.threads, 4);
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_payload_max_length(kLargeBodyLimit);
  // Responses go out as header and body writes; without TCP_NODELAY, Nagle
  // holds the body until the client's delayed ACK (~40 ms per request).
  http_->set_tcp_nodelay(true);
  http_->set_read_timeout(o.read_timeout);
  http_->set_write_timeout(o.write_timeout);
  http_->set_keep_alive_timeout(o.keep_alive_timeout.count());
  http_->set_keep_alive_max_count(1000000);
  // Requests without a body are answered here, before httplib's regex
  // routing; requests with one go to the catch-all content-reader handlers.
  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const bool has_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
                          (req.method == "DELETE" && req.has_header("Content-Length"));
    if (has_body) return httplib::Server::HandlerResponse::Unhandled;
    Serve(req, res, nullptr);
    return httplib::Server::HandlerResponse::Handled;
  });
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) { Serve(req, res, &reader); };
  http_->Post(".*", with_body);
  http_->Put(".*", with_body);
  http_->Patch(".*", with_body);
  http_->Delete(".*", with_body);
  http_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const char* code = res.status == 413 ? "payload_too_large" : "bad_request";
    std::string msg = res.status == 413 ? "the request body is too large"
                                        : "the request could not be parsed";
    res.set_content(ErrorResponse(res.status, code, msg).body, "application/json");
  });
  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content(ErrorResponse(500, "internal", "internal error").body, "application/json");
      });

  if (addr_.port == 0) {
    port_ = http_->bind_to_any_port(addr_.host);
    if (port_ <= 0) return Status::IOError("cannot listen on " + addr_.host);
  } else {
    if (!http_->bind_to_port(addr_.host, addr_.port)) {
      return Status::IOError("cannot listen on " + o.listen + " (in use or not permitted)");
    }
    port_ = addr_.port;
  }
  return Status::OK();
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  if (!host.starts_with("127.")) return false;
  int parts = 0;
  size_t i = 0;
  while (i <= host.size()) {
    size_t j = host.find('.', i);
    if (j == std::string_view::npos) j = host.size();
    auto n = ParseU64(host.substr(i, j - i));
    if (!n || *n > 255) return false;
    ++parts;
    i = j + 1;
  }
  return parts == 4;
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress a;
  std::string_view host, port;
  if (text.starts_with("[")) {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument("--listen: expected [IPv6]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return Status::InvalidArgument("--listen: expected HOST:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Status::InvalidArgument("--listen: put IPv6 addresses in brackets, [::1]:8080");
    }
  }
  auto p = ParseU64(port);
  if (!p || *p > 65535) return Status::InvalidArgument("--listen: the port must be 0-65535");
  a.host = host.empty() ? "0.0.0.0" : std::string(host);
  a.port = static_cast<int>(*p);
  a.loopback = IsLoopbackHost(a.host);
  return a;
}

Result<std::unique_ptr<ApiServer>> ApiServer::Open(const ServerOptions& options) {
  auto s = std::make_unique<ServerImpl>();
  RETURN_IF_ERROR(s->Init(options));
  return std::unique_ptr<ApiServer>(std::move(s));
}

}  // namespace custos::server
