// Client::Do over libcurl's easy interface: one pooled handle per call, the
// body streamed through read/seek callbacks, the response through header and
// write callbacks, and every failure turned into a Status (http_client.h).
#include "storage/http/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <vector>

#include "storage/http/curl_pool.h"

namespace custos::http {
namespace {

constexpr size_t kErrorBodyCap = 64 * 1024;
constexpr long kBufferSize = 256 * 1024;
constexpr long kUploadBufferSize = 512 * 1024;

// The URL as it may appear in a message: no userinfo, no query, no fragment.
std::string RedactUrl(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  std::string out(url);
  size_t scheme_end = out.find("://");
  size_t host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  size_t path_start = out.find('/', host_start);
  size_t at = out.rfind('@', path_start == std::string::npos ? out.size() : path_start);
  if (at != std::string::npos && at >= host_start) out.erase(host_start, at + 1 - host_start);
  return out;
}

// Removes every occurrence of the URL's query and userinfo from a libcurl
// message, in case libcurl quotes the URL back.
std::string Scrub(std::string msg, std::string_view url) {
  auto drop = [&msg](std::string_view secret) {
    if (secret.empty()) return;
    for (size_t p = msg.find(secret); p != std::string::npos; p = msg.find(secret, p)) {
      msg.replace(p, secret.size(), "...");
      p += 3;
    }
  };
  if (size_t q = url.find('?'); q != std::string::npos) drop(url.substr(q + 1));
  if (size_t s = url.find("://"); s != std::string::npos) {
    std::string_view rest = url.substr(s + 3);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (size_t at = authority.rfind('@'); at != std::string::npos) drop(authority.substr(0, at));
  }
  return msg;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The state one transfer's callbacks share.
struct Transfer {
  CURL* handle = nullptr;
  const Request* req = nullptr;
  const std::function<Status(ByteView)>* sink = nullptr;
  const CancellationToken* cancel = nullptr;
  std::string context;  // "<METHOD> <redacted url>"
  Response resp;
  Status callback_error;  // the source's or the sink's own error
  uint64_t body_length = 0;
  uint64_t sent = 0;
  enum class Mode { kUndecided, kSink, kCollect, kCollectCapped } mode = Mode::kUndecided;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after 100 Continue, say)
    t->resp.headers.clear();
    t->mode = Transfer::Mode::kUndecided;
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return size * n;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  t->resp.headers[std::move(name)] = std::string(value);
  return size * n;
}

size_t OnWrite(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (t->mode == Transfer::Mode::kUndecided) {
    long code = 0;
    curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &code);
    const bool ok = code >= 200 && code < 300;
    t->mode = !ok                       ? Transfer::Mode::kCollectCapped
              : t->sink != nullptr      ? Transfer::Mode::kSink
                                        : Transfer::Mode::kCollect;
  }
  switch (t->mode) {
    case Transfer::Mode::kSink: {
      Status st = (*t->sink)(ByteView(reinterpret_cast<const uint8_t*>(data), len));
      if (!st.ok()) {
        t->callback_error = std::move(st);
        return 0;  // != len: libcurl aborts with CURLE_WRITE_ERROR
      }
      return len;
    }
    case Transfer::Mode::kCollectCapped: {
      // The rest is read and dropped, so the connection stays reusable.
      size_t room = kErrorBodyCap - std::min(kErrorBodyCap, t->resp.body.size());
      t->resp.body.append(data, std::min(room, len));
      return len;
    }
    default:
      t->resp.body.append(data, len);
      return len;
  }
}

size_t OnRead(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const uint64_t left = t->body_length - t->sent;
  if (left == 0) return 0;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(size * n, left));
  Result<size_t> got = t->req->body->Read(reinterpret_cast<uint8_t*>(buf), want);
  if (!got.ok()) {
    t->callback_error = got.status();
    return CURL_READFUNC_ABORT;
  }
  if (*got == 0) {
    t->callback_error = Status::Corruption(t->context + ": body source ended after " +
                                           std::to_string(t->sent) + " of " +
                                           std::to_string(t->body_length) + " bytes");
    return CURL_READFUNC_ABORT;
  }
  t->sent += *got;
  return *got;
}

// libcurl asks to seek when it must send the body again (a reused connection
// died, an auth round trip); a ByteSource can only rewind, so skip forward.
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > t->body_length) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  Status st = t->req->body->Rewind();
  if (!st.ok()) {
    t->callback_error = std::move(st);
    return CURL_SEEKFUNC_FAIL;
  }
  t->sent = 0;
  std::vector<uint8_t> scratch;
  while (t->sent < static_cast<uint64_t>(offset)) {
    scratch.resize(static_cast<size_t>(std::min<uint64_t>(64 * 1024, offset - t->sent)));
    Result<size_t> got = t->req->body->Read(scratch.data(), scratch.size());
    if (!got.ok() || *got == 0) {
      if (!got.ok()) t->callback_error = got.status();
      return CURL_SEEKFUNC_FAIL;
    }
    t->sent += *got;
  }
  return CURL_SEEKFUNC_OK;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->cancel != nullptr && t->cancel->cancelled() ? 1 : 0;
}

bool IsRetryable(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_UPLOAD_FAILED:
    case CURLE_AGAIN:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct Client::Impl {
  ClientOptions options;
  internal::EasyPool pool;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

Client::~Client() = default;

Result<Response> Client::Do(const Request& req, const std::function<Status(ByteView)>* sink,
                            const CancellationToken* cancel) {
  Transfer t;
  t.req = &req;
  t.sink = sink;
  t.cancel = cancel;
  t.context = req.method + " " + RedactUrl(req.url);
  if (req.method.empty() || HasLineBreak(req.method) || req.method.find(' ') != std::string::npos) {
    return Status::InvalidArgument(t.context + ": malformed method");
  }
  if (cancel != nullptr && cancel->cancelled()) return Status::Cancelled(t.context + ": cancelled");

  internal::Slist headers;
  bool has_content_type = false;
  for (const auto& [name, value] : req.headers) {
    // Only the name may be quoted: values can be credentials.
    if (name.empty() || name.find_first_of(":\r\n \t") != std::string::npos) {
      return Status::InvalidArgument(t.context + ": malformed header name");
    }
    if (HasLineBreak(value) || value.find('\0') != std::string::npos) {
      return Status::InvalidArgument(t.context + ": header " + name + " has a line break");
    }
    has_content_type |= EqualsIgnoreCase(name, "content-type");
    // "Name;" is libcurl's spelling of a header with an empty value.
    if (!headers.Append(value.empty() ? name + ";" : name + ": " + value)) {
      return Status::Internal(t.context + ": out of memory");
    }
  }
  // libcurl would otherwise label every POST as a form.
  if (req.method == "POST" && !has_content_type && !headers.Append("Content-Type:")) {
    return Status::Internal(t.context + ": out of memory");
  }

  if (req.body != nullptr) {
    RETURN_IF_ERROR(req.body->Rewind());
    t.body_length = req.body->Length();
  }

  internal::EasyHandle easy = impl_->pool.Acquire();
  if (!easy) return Status::Internal(t.context + ": cannot create a libcurl handle");
  CURL* h = easy.get();
  t.handle = h;
  const ClientOptions& o = impl_->options;
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_USERAGENT, o.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, kBufferSize);
  curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferSize);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(o.low_speed_bytes));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(o.low_speed_time.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(o.total_timeout.count()));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, o.verify_tls ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, o.verify_tls ? 2L : 0L);
  if (!o.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, o.ca_file.c_str());
  // Proxies: CURLOPT_PROXY stays unset, so libcurl honours http_proxy & co.

  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  if (req.body != nullptr) {
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
    curl_easy_setopt(h, CURLOPT_READDATA, &t);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &OnSeek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
  }

  const auto length = static_cast<curl_off_t>(t.body_length);
  if (req.method == "GET" && req.body == nullptr) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, length);
    if (req.body == nullptr) curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
  } else if (req.method == "PUT" || req.body != nullptr) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, length);
    if (req.body == nullptr) {
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
      curl_easy_setopt(h, CURLOPT_READDATA, &t);
    }
    if (req.method != "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }

  const CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  // The handle keeps pointers to `headers` and `errbuf`; detach before reuse.
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  impl_->pool.Release(std::move(easy));

  if (rc == CURLE_OK) {
    t.resp.status = static_cast<int>(code);
    return std::move(t.resp);
  }
  if (!t.callback_error.ok()) return t.callback_error;
  if (cancel != nullptr && cancel->cancelled()) return Status::Cancelled(t.context + ": cancelled");

  std::string what = curl_easy_strerror(rc);
  if (errbuf[0] != '\0') {
    what += " (";
    what += Scrub(errbuf, req.url);
    what += ")";
  }
  std::string msg = t.context + ": " + what;
  if (IsRetryable(rc)) return Status::Retryable(std::move(msg));
  return Status::IOError(std::move(msg));
}

}  // namespace custos::http
