// Api: the request handlers of `custos serve`, independent of the HTTP
// library. server.cc turns an HTTP request into an ApiRequest, checks it
// against the role matrix (routes.h), and calls Api::Handle.
//
// Contract
// - Handle() never throws and never crashes on bad input: every problem is an
//   ApiResponse with a JSON error body {"error": {"code", "message",
//   "field"?, "line"?, "errors"?}}. Messages name fields, lines and ids, never
//   values (values may be personal data).
// - Reads of a trainee's personal data are journaled with
//   RecordsStore::LogAccess before the response is produced; when the access
//   event cannot be journaled the read fails (503) and returns nothing.
// - Thread-safety: Handle() may be called concurrently from any number of
//   threads. The store, the audit log and the token store must outlive the Api.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "base/status.h"
#include "records/store.h"
#include "server/auth.h"
#include "server/routes.h"

namespace custos::server {

struct ApiRequest {
  const Route* route = nullptr;
  std::vector<std::string> params;  // path parameters in template order
  const std::multimap<std::string, std::string>* query = nullptr;  // decoded
  std::string if_match;      // the If-Match header, empty when absent
  std::string content_type;  // the Content-Type header, lower-cased, without parameters
  std::string_view body;
  std::optional<TokenInfo> caller;  // absent only on public routes
  Access access = Access::kAllow;   // the caller's access to the route (role matrix)
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error": {...}} responses. `code` is a stable machine-readable word.
ApiResponse ErrorResponse(int status, std::string_view code, std::string_view message,
                          std::string_view field = {}, std::optional<uint64_t> line = {});
// Maps a Status from the store or the audit log to an HTTP error:
// InvalidArgument 422, NotFound 404, AlreadyExists 409, PermissionDenied 403,
// NoSpace 507, Retryable/Locked 503, others 500. A `field "x"` or `line N`
// in the message is copied into the error object.
ApiResponse StatusResponse(const Status& st);
// A read of personal data whose access could not be journaled (the read
// fails rather than go unrecorded): 400 for a bad ?purpose, else 503.
ApiResponse AccessLogFailed(const Status& st);
// The NAME of the `field "NAME"` in the first problem ("; " joins several)
// of a store or validation message, or "" (names longer than 64 bytes are
// not taken).
std::string FieldFromMessage(std::string_view msg);

struct ApiOptions {
  std::string data_dir;
};

class Api {
 public:
  Api(records::RecordsStore& store, audit::AuditLog* audit, TokenStore& tokens);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  ApiResponse Handle(const ApiRequest& req);

  // Receives the answer of a request started with StartAsync, exactly once.
  using Done = std::function<void(ApiResponse)>;
  // Starts `req` without blocking the calling thread, when its route has a
  // non-blocking path (creates by a caller with full access, with a body of
  // at most kAsyncBodyLimit): `done` then gets what Handle would have
  // returned, on this thread before StartAsync returns (when the request
  // fails early) or later on the store's notifier thread. Returns false, and
  // never calls `done`, for every other request: call Handle instead. `req`
  // and what it points to must stay valid until `done` ran.
  bool StartAsync(const ApiRequest& req, Done done);
  static constexpr size_t kAsyncBodyLimit = 16 << 10;

  // Extra Prometheus text appended to /metrics by the server (store stats).
  std::string StoreMetricsText();

 private:
  // records (api_records.cc)
  ApiResponse Create(const ApiRequest& req);
  ApiResponse Get(const ApiRequest& req);
  ApiResponse Update(const ApiRequest& req, records::UpdateMode mode);
  ApiResponse Delete(const ApiRequest& req);
  ApiResponse List(const ApiRequest& req);
  ApiResponse Import(const ApiRequest& req);
  ApiResponse History(const ApiRequest& req);
  // documents, audit, admin (api_audit.cc, api_admin.cc)
  ApiResponse DocumentUpload(const ApiRequest& req);
  ApiResponse DocumentGet(const ApiRequest& req);
  ApiResponse AuditCheckpoint(const ApiRequest& req, bool sign);
  ApiResponse AuditKey(const ApiRequest& req);
  ApiResponse AuditEntry(const ApiRequest& req);
  ApiResponse AuditInclusion(const ApiRequest& req);
  ApiResponse AuditConsistency(const ApiRequest& req);
  ApiResponse Health();
  ApiResponse TokensList();
  ApiResponse TokensCreate(const ApiRequest& req);
  ApiResponse TokensRevoke(const ApiRequest& req);

  // Journals an access to `subject`'s data (skipped for the institution).
  Status LogRead(const ApiRequest& req, std::string_view subject, std::string_view entity,
                 std::string_view id);

  records::RecordsStore& store_;
  audit::AuditLog* audit_;  // nullptr: audit routes answer 503
  TokenStore& tokens_;
};

// Helpers shared by the handler files.
records::Actor ActorOf(const ApiRequest& req);
// The query parameter's value, or nullopt.
std::optional<std::string_view> QueryParam(const ApiRequest& req, std::string_view name);
// The purpose of a read (?purpose=, default "api-read"); InvalidArgument when
// it is not 1-200 characters of [A-Za-z0-9 _.:/-].
Result<std::string> ReadPurpose(const ApiRequest& req);
// A record as the API returns it:
// {"entity","id","version","subject_id","created_at","updated_at","data":{...}}.
std::string RecordJson(const records::Record& r);
// A caller-supplied name (a JSON key, a query parameter) made safe to echo:
// printable ASCII without quotes or backslashes, at most 64 characters.
std::string SafeName(std::string_view s);
// Parses an unsigned decimal (no sign, no spaces, fits in uint64).
std::optional<uint64_t> ParseU64(std::string_view s);

}  // namespace custos::server
