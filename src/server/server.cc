#include "server/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

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
#include "server/worker_pool.h"

namespace custos::server {
namespace {

using Clock = std::chrono::steady_clock;

// libmicrohttpd's buffer per connection for the request line, headers and
// body pieces (a longer header block is answered 431). libmicrohttpd zeroes
// all of it for every request on a kept-alive connection, a cost that grows
// with its size (at 32 KiB, that memset was ~3 % of the server's samples
// in the profile the README's records section describes), so it is kept to
// 8 KiB: an API request's headers take well under 1 KiB, and bodies are
// handed over in pieces whatever their size.
constexpr size_t kConnectionMemory = size_t{8} << 10;

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

std::string LowerMediaType(const char* v) {
  std::string out;
  for (; v != nullptr && *v != '\0'; ++v) {
    const char c = *v;
    if (c == ';') break;
    if (c == ' ' || c == '\t') continue;
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  return out;
}

std::string Header(MHD_Connection* conn, const char* name) {
  const char* v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
  return v != nullptr ? std::string(v) : std::string();
}

std::string PeerAddress(MHD_Connection* conn) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return {};
  char buf[INET6_ADDRSTRLEN] = {0};
  const sockaddr* sa = info->client_addr;
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

// A file descriptor that is closed unless released.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Binds and listens on host:port (port 0: any free port); the listening
// socket is handed to libmicrohttpd.
Result<Fd> Listen(const ListenAddress& a, const std::string& text) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(a.port);
  if (getaddrinfo(a.host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    return Status::InvalidArgument("--listen: cannot resolve " + a.host);
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(res, freeaddrinfo);
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) continue;
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6)
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) continue;
    if (::listen(fd.get(), SOMAXCONN) != 0) continue;
    return Result<Fd>(std::move(fd));
  }
  return Status::IOError("cannot listen on " + text + " (in use or not permitted)");
}

int BoundPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

// One request between libmicrohttpd's calls: the headers are checked on the
// first call, the body arrives in pieces, the answer is made on the last.
struct Exchange {
  Clock::time_point t0 = Clock::now();
  std::string method;
  std::string path;
  RouteMatch match;
  std::string actor = "-";
  std::optional<ApiResponse> early;
  ApiRequest areq;
  std::multimap<std::string, std::string> query;
  std::string body;
  size_t limit = 0;
  bool too_big = false;
  // The handler's answer arrives on another thread while the connection is
  // suspended; `mu` orders the answer against the suspension.
  std::mutex mu;
  bool started = false;               // the handler was started (event thread only)
  bool suspended = false;             // under mu
  std::optional<ApiResponse> answer;  // under mu
};

class ServerImpl final : public ApiServer {
 public:
  ~ServerImpl() override {
    Stop();
    if (daemon_ != nullptr) {
      // Accept nothing new, let every started handler answer (a suspended
      // connection must be resumed before the daemon stops), then stop.
      const MHD_socket listener = MHD_quiesce_daemon(daemon_);
      {
        std::unique_lock lock(pending_mu_);
        pending_cv_.wait(lock, [&] { return pending_ == 0; });
      }
      MHD_stop_daemon(daemon_);
      if (listener != MHD_INVALID_SOCKET) ::close(listener);
    }
    workers_.reset();
    api_.reset();
    audit_.reset();  // clears the store's commit listener
    store_.reset();
  }

  const std::optional<std::string>& first_admin_token() const override { return first_token_; }
  std::string url() const override {
    std::string host =
        addr_.host.find(':') != std::string::npos ? "[" + addr_.host + "]" : addr_.host;
    return std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_);
  }
  Status Run() override {
    std::unique_lock lock(stop_mu_);
    stop_cv_.wait(lock, [&] { return stopped_; });
    return Status::OK();
  }
  void Stop() override {
    {
      std::lock_guard lock(stop_mu_);
      stopped_ = true;
    }
    stop_cv_.notify_all();
  }

  Status Init(const ServerOptions& o);

 private:
  static MHD_Result OnRequest(void* cls, MHD_Connection* conn, const char* url, const char* method,
                              const char* version, const char* upload_data, size_t* upload_size,
                              void** state);
  static void OnCompleted(void* cls, MHD_Connection* conn, void** state,
                          MHD_RequestTerminationCode code);
  // First call: route, authentication, role matrix, body limit.
  void Begin(MHD_Connection* conn, Exchange& x);
  // Last call: the handler's answer.
  // Last call: an answer made on this thread (errors, OpenAPI, metrics), or
  // nullopt once the request is filled in for its handler.
  std::optional<ApiResponse> Prepare(MHD_Connection* conn, Exchange& x);
  // Starts the handler of a prepared request: non-blocking handlers run
  // here, the others on the worker pool. The connection is suspended until
  // the answer arrives, unless it arrived before this returns.
  MHD_Result Start(MHD_Connection* conn, Exchange& x);
  // Hands a handler's answer to its connection (any thread).
  void Finish(MHD_Connection* conn, Exchange& x, ApiResponse answer);
  MHD_Result Send(MHD_Connection* conn, const Exchange& x, const ApiResponse& out);
  void SetupMetrics();

  ListenAddress addr_;
  int port_ = 0;
  bool tls_ = false;
  std::string tls_cert_pem_;
  std::string tls_key_pem_;
  std::unique_ptr<records::RecordsStore> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<WorkerPool> workers_;
  std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  size_t pending_ = 0;  // handlers started and not yet answered
  MHD_Daemon* daemon_ = nullptr;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopped_ = false;
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
      m.by_status[i] =
          &reg.GetCounter("custos_http_requests_total", "HTTP requests by route and status",
                          {{"route", id}, {"status", code}});
    }
    m.latency =
        &reg.GetHistogram("custos_http_request_duration_seconds", "HTTP request latency by route",
                          LatencyBuckets(), {{"route", id}});
    return m;
  };
  for (const Route& r : Routes()) metrics_.push_back(make(r.id));
  unmatched_ = make("unmatched");
}

MHD_Result ServerImpl::Send(MHD_Connection* conn, const Exchange& x, const ApiResponse& out) {
  const bool empty = out.status == 204;
  MHD_Response* res = MHD_create_response_from_buffer(
      empty ? 0 : out.body.size(), empty ? nullptr : const_cast<char*>(out.body.data()),
      MHD_RESPMEM_MUST_COPY);
  if (res == nullptr) return MHD_NO;
  for (const auto& [k, v] : out.headers) MHD_add_response_header(res, k.c_str(), v.c_str());
  if (out.status == 401) MHD_add_response_header(res, "WWW-Authenticate", "Bearer");
  if (!empty) MHD_add_response_header(res, "Content-Type", out.content_type.c_str());
  const MHD_Result queued = MHD_queue_response(conn, static_cast<unsigned>(out.status), res);
  MHD_destroy_response(res);

  const Route* route = x.match.route;
  double secs = std::chrono::duration<double>(Clock::now() - x.t0).count();
  RouteMetrics& m =
      route != nullptr ? metrics_[static_cast<size_t>(route - Routes().data())] : unmatched_;
  size_t idx = kStatuses.size();
  for (size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == out.status) idx = i;
  }
  m.by_status[idx]->Increment();
  m.latency->Observe(secs);
  if (DefaultLogger().Enabled(LogLevel::kInfo)) {
    // Route id, never the concrete path (ids) or the query string.
    DefaultLogger().Log(LogLevel::kInfo, "request",
                        {{"method", x.method},
                         {"route", route != nullptr ? route->id : "unmatched"},
                         {"status", out.status},
                         {"duration_ms", secs * 1000.0},
                         {"actor", x.actor}});
  }
  return queued;
}

void ServerImpl::Begin(MHD_Connection* conn, Exchange& x) {
  x.match = MatchRoute(x.method, x.path);
  const Route* route = x.match.route;
  x.areq.route = route;
  if (route == nullptr) {
    if (x.match.path_known) {
      x.early = ErrorResponse(405, "method_not_allowed", "method not allowed on this path");
      x.early->headers.emplace_back("Allow", x.match.allow);
    } else {
      x.early = ErrorResponse(404, "not_found", "no such route");
    }
  } else if (route->auth != AuthMode::kPublic) {
    const std::string auth = Header(conn, "Authorization");
    if (auth.empty()) {
      if (route->auth == AuthMode::kTokenOrLoopback && IsLoopbackPeer(PeerAddress(conn))) {
        x.areq.access = Access::kAllow;
      } else {
        x.early = ErrorResponse(401, "unauthorized", "send Authorization: Bearer <token>");
      }
    } else {
      std::string_view token = auth;
      std::optional<TokenInfo> who;
      if (token.size() > 7 && (token.starts_with("Bearer ") || token.starts_with("bearer "))) {
        token.remove_prefix(7);
        who = tokens_->Authenticate(token);
      }
      if (!who) {
        x.early = ErrorResponse(401, "unauthorized", "the token is not valid or was revoked");
      } else {
        x.actor = who->id;
        x.areq.access = route->AccessFor(who->role);
        if (x.areq.access == Access::kDeny) {
          x.early = ErrorResponse(
              403, "forbidden",
              "the " + std::string(RoleName(who->role)) + " role may not use " + route->id);
        }
        x.areq.caller = std::move(who);
      }
    }
  }
  // The body is always read, so the connection stays usable, but only
  // buffered up to the route's limit.
  x.limit = route != nullptr && !x.early ? std::max<size_t>(route->body_limit, 1 << 16) : 0;
  const std::string len = Header(conn, "Content-Length");
  if (!len.empty()) {
    auto n = ParseU64(len);
    if (n && *n > x.limit) x.too_big = true;
  }
}

std::optional<ApiResponse> ServerImpl::Prepare(MHD_Connection* conn, Exchange& x) {
  if (!x.early && x.too_big) {
    x.early = ErrorResponse(413, "payload_too_large",
                            "the request body is larger than " + std::to_string(x.limit) +
                                " bytes, the limit of this route");
  }
  if (x.early) return *x.early;
  const Route* route = x.match.route;
  if (route->kind == RouteKind::kOpenApi) {
    ApiResponse out;
    out.body = OpenApiText();
    return out;
  }
  if (route->kind == RouteKind::kMetrics) {
    ApiResponse out;
    out.content_type = "text/plain; version=0.0.4";
    out.body = DefaultMetrics().RenderPrometheusText() + api_->StoreMetricsText();
    return out;
  }
  MHD_get_connection_values(
      conn, MHD_GET_ARGUMENT_KIND,
      [](void* cls, MHD_ValueKind, const char* key, const char* value) -> MHD_Result {
        static_cast<std::multimap<std::string, std::string>*>(cls)->emplace(
            key, value != nullptr ? value : "");
        return MHD_YES;
      },
      &x.query);
  x.areq.params.assign(x.match.params.begin(), x.match.params.end());
  x.areq.query = &x.query;
  x.areq.if_match = Header(conn, "If-Match");
  x.areq.content_type =
      LowerMediaType(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"));
  x.areq.body = x.body;
  return std::nullopt;
}

void ServerImpl::Finish(MHD_Connection* conn, Exchange& x, ApiResponse answer) {
  bool resume;
  {
    std::lock_guard lock(x.mu);
    x.answer = std::move(answer);
    resume = x.suspended;
  }
  // After this the exchange may be gone: the event thread answers a resumed
  // connection and then frees its exchange.
  if (resume) MHD_resume_connection(conn);
  std::lock_guard lock(pending_mu_);
  if (--pending_ == 0) pending_cv_.notify_all();
}

MHD_Result ServerImpl::Start(MHD_Connection* conn, Exchange& x) {
  x.started = true;
  {
    std::lock_guard lock(pending_mu_);
    ++pending_;
  }
  auto done = [this, conn, &x](ApiResponse r) { Finish(conn, x, std::move(r)); };
  if (!api_->StartAsync(x.areq, done)) {
    if (!workers_->Post([this, conn, &x] { Finish(conn, x, api_->Handle(x.areq)); })) {
      Finish(conn, x, ErrorResponse(503, "unavailable", "the server is stopping"));
    }
  }
  std::unique_lock lock(x.mu);
  if (x.answer) {
    lock.unlock();
    return Send(conn, x, *x.answer);
  }
  x.suspended = true;
  MHD_suspend_connection(conn);
  return MHD_YES;
}

MHD_Result ServerImpl::OnRequest(void* cls, MHD_Connection* conn, const char* url,
                                 const char* method, const char*, const char* upload_data,
                                 size_t* upload_size, void** state) {
  auto* self = static_cast<ServerImpl*>(cls);
  try {
    if (*state == nullptr) {
      auto x = std::make_unique<Exchange>();
      x->method = method;
      x->path = url;
      self->Begin(conn, *x);
      Exchange& ref = *x;
      *state = x.release();
      // A body far beyond any route's limit is not drained: answer now and
      // let the connection close.
      const std::string len = Header(conn, "Content-Length");
      auto n = ParseU64(len);
      if (n && *n > kLargeBodyLimit) {
        if (std::optional<ApiResponse> now = self->Prepare(conn, ref)) {
          return self->Send(conn, ref, *now);
        }
      }
      return MHD_YES;
    }
    Exchange& x = *static_cast<Exchange*>(*state);
    if (*upload_size > 0) {
      if (!x.too_big && !x.early) {
        if (x.body.size() + *upload_size > x.limit) {
          x.too_big = true;
          x.body.clear();
          x.body.shrink_to_fit();
        } else {
          x.body.append(upload_data, *upload_size);
        }
      }
      *upload_size = 0;
      return MHD_YES;
    }
    if (x.started) {
      // Called again after the handler's answer resumed the connection.
      std::unique_lock lock(x.mu);
      if (!x.answer) return MHD_YES;
      lock.unlock();
      return self->Send(conn, x, *x.answer);
    }
    std::optional<ApiResponse> now = self->Prepare(conn, x);
    if (now) return self->Send(conn, x, *now);
    return self->Start(conn, x);
  } catch (const std::exception&) {
    Exchange fallback;
    return self->Send(conn, fallback, ErrorResponse(500, "internal", "internal error"));
  }
}

void ServerImpl::OnCompleted(void*, MHD_Connection*, void** state, MHD_RequestTerminationCode) {
  delete static_cast<Exchange*>(*state);
  *state = nullptr;
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
    auto cert = ReadWholeFile(o.tls_cert);
    auto key = ReadWholeFile(o.tls_key);
    if (!cert.ok() || !key.ok()) {
      return Status::InvalidArgument("cannot read the TLS certificate or key (PEM files)");
    }
    tls_cert_pem_.assign(cert->begin(), cert->end());
    tls_key_pem_.assign(key->begin(), key->end());
  }
  ASSIGN_OR_RETURN(Fd listener, Listen(addr_, o.listen));
  port_ = BoundPort(listener.get());
  // One event thread reads requests and sends answers for every connection;
  // libmicrohttpd reads a request with one recv and sends the status line,
  // headers and body with one sendmsg. It waits with poll(), not epoll: a
  // suspended connection leaves the epoll set and rejoins it on resume (two
  // epoll_ctl per request), and edge-triggered reads need a second recv that
  // answers EAGAIN. poll() rebuilds its set from the unsuspended connections
  // on every wait: cheaper for the tens of connections a server has
  // (bench/records_ab.sh: +16 % writes/s at 64 clients), dearer with
  // hundreds held open and idle (records_bench.py --idle 500: -9 %). A limit
  // above kPollMaxConnections asks for more connections than one walk per
  // wait should cover, and gets epoll. A request whose handler
  // waits (for a durable commit, for a read) suspends its connection until
  // the answer is ready: creates go straight to the store's group commit and
  // are answered from its notifier thread, the rest run on the worker pool.
  workers_ = std::make_unique<WorkerPool>(std::max<size_t>(o.threads, 1), "custos-handler");
  unsigned flags = (o.max_connections > kPollMaxConnections ? MHD_USE_EPOLL_INTERNAL_THREAD
                                                            : MHD_USE_POLL_INTERNAL_THREAD) |
                   MHD_ALLOW_SUSPEND_RESUME;
  if (tls_) flags |= MHD_USE_TLS;
  const unsigned limit = static_cast<unsigned>(std::max<size_t>(o.max_connections, 4));
  const unsigned timeout =
      static_cast<unsigned>(std::max(o.timeout.count(), std::chrono::seconds::rep{1}));
  // The key and certificate when serving HTTPS, none otherwise (the PEM
  // strings are members: they outlive the daemon).
  std::vector<MHD_OptionItem> tls_options;
  if (tls_) {
    tls_options.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key_pem_.data()});
    tls_options.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, tls_cert_pem_.data()});
  }
  tls_options.push_back({MHD_OPTION_END, 0, nullptr});
  const int fd = listener.release();
  daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &ServerImpl::OnRequest, this, MHD_OPTION_LISTEN_SOCKET, fd,
      MHD_OPTION_NOTIFY_COMPLETED, &ServerImpl::OnCompleted, this, MHD_OPTION_CONNECTION_LIMIT,
      limit, MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      kConnectionMemory, MHD_OPTION_ARRAY, tls_options.data(), MHD_OPTION_END);
  if (daemon_ == nullptr) {
    ::close(fd);
    return tls_ ? Status::InvalidArgument("cannot load the TLS certificate or key (PEM files)")
                : Status::IOError("the HTTP listener failed to start");
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
    if (colon == std::string_view::npos)
      return Status::InvalidArgument("--listen: expected HOST:PORT");
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
