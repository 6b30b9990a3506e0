// Api: dispatch by route kind, errors, and helpers shared by the handlers.
#include "server/api.h"

#include <charconv>

#include "base/log.h"
#include "records/keystore.h"

namespace custos::server {

std::string FieldFromMessage(std::string_view msg) {
  // Problems are joined with "; ": only the first one's field is named.
  msg = msg.substr(0, msg.find("; "));
  constexpr std::string_view kField = "field \"";
  size_t p = msg.find(kField);
  if (p == std::string_view::npos) return {};
  p += kField.size();
  size_t q = msg.find('"', p);
  if (q == std::string_view::npos || q - p > 64) return {};
  return std::string(msg.substr(p, q - p));
}

namespace {

// Finds a leading "line N" in an import error message.
std::optional<uint64_t> LineFromMessage(std::string_view msg) {
  constexpr std::string_view kLine = "line ";
  size_t p = msg.find(kLine);
  if (p == std::string_view::npos) return std::nullopt;
  p += kLine.size();
  size_t q = p;
  while (q < msg.size() && msg[q] >= '0' && msg[q] <= '9') ++q;
  return ParseU64(msg.substr(p, q - p));
}

}  // namespace

ApiResponse ErrorResponse(int status, std::string_view code, std::string_view message,
                          std::string_view field, std::optional<uint64_t> line) {
  nlohmann::json err = {{"code", code}, {"message", message}};
  if (!field.empty()) err["field"] = field;
  if (line) err["line"] = *line;
  ApiResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", std::move(err)}}.dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
  return r;
}

ApiResponse AccessLogFailed(const Status& st) {
  if (st.code() == Code::kInvalidArgument) return ErrorResponse(400, "bad_purpose", st.message());
  return ErrorResponse(503, "unavailable", "the read could not be journaled: " + st.message());
}

ApiResponse StatusResponse(const Status& st) {
  const std::string& msg = st.message();
  // One line per case reads as a table.
  // clang-format off
  switch (st.code()) {
    case Code::kInvalidArgument:
      return ErrorResponse(422, "invalid", msg, FieldFromMessage(msg), LineFromMessage(msg));
    case Code::kNotFound: return ErrorResponse(404, "not_found", msg);
    case Code::kAlreadyExists: return ErrorResponse(409, "version_conflict", msg);
    case Code::kPermissionDenied: return ErrorResponse(403, "forbidden", msg);
    case Code::kNoSpace: return ErrorResponse(507, "no_space", msg);
    case Code::kRetryable:
    case Code::kLocked: return ErrorResponse(503, "unavailable", msg);
    case Code::kUnsupported: return ErrorResponse(501, "unsupported", msg);
    default: break;
  }
  // clang-format on
  LogError("request failed", {{"code", CodeName(st.code())}});
  return ErrorResponse(500, "internal", st.ToString());
}

records::Actor ActorOf(const ApiRequest& req) {
  if (!req.caller) return records::Actor{"anonymous", "system"};
  return records::Actor{req.caller->id, std::string(RoleName(req.caller->role))};
}

std::optional<std::string_view> QueryParam(const ApiRequest& req, std::string_view name) {
  if (req.query == nullptr) return std::nullopt;
  auto it = req.query->find(std::string(name));
  if (it == req.query->end()) return std::nullopt;
  return std::string_view(it->second);
}

Result<std::string> ReadPurpose(const ApiRequest& req) {
  auto p = QueryParam(req, "purpose");
  if (!p) return std::string("api-read");
  if (p->empty() || p->size() > 200) {
    return Status::InvalidArgument("query parameter \"purpose\" must be 1-200 characters");
  }
  for (char c : *p) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == ' ' || c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
    if (!ok) {
      return Status::InvalidArgument(
          "query parameter \"purpose\" may hold only letters, digits, space and _.:/-");
    }
  }
  return std::string(*p);
}

std::string SafeName(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7F && c != '"' && c != '\\' ? c : '?');
  }
  if (s.size() > 64) out += "...";
  return out;
}

std::optional<uint64_t> ParseU64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string RecordJson(const records::Record& r) {
  std::string out;
  out.reserve(r.data.size() + 256);
  out += "{\"entity\":\"";
  out += r.entity;  // [a-z_]+: no escaping needed
  out += "\",\"id\":\"";
  out += r.id;  // [A-Za-z0-9_-]
  out += "\",\"version\":";
  out += std::to_string(r.version);
  out += ",\"subject_id\":";
  out += nlohmann::json(r.subject_id).dump();
  out += ",\"created_at\":\"";
  out += records::FormatTimeMicros(r.created_at);
  out += "\",\"updated_at\":\"";
  out += records::FormatTimeMicros(r.updated_at);
  out += "\",\"data\":";
  out += r.data;  // canonical JSON object text from the store
  out += '}';
  return out;
}

Api::Api(records::RecordsStore& store, audit::AuditLog* audit, TokenStore& tokens)
    : store_(store), audit_(audit), tokens_(tokens) {}

Status Api::LogRead(const ApiRequest& req, std::string_view subject, std::string_view entity,
                    std::string_view id) {
  if (subject.empty() || subject == records::kInstitutionSubject) return Status::OK();
  ASSIGN_OR_RETURN(std::string purpose, ReadPurpose(req));
  return store_.LogAccess(ActorOf(req), subject, entity, id, purpose).status();
}

ApiResponse Api::Health() {
  // 503 whenever a promise is being broken, so that a monitor sees it while
  // reads go on being served: the store refuses writes (its write-ahead log
  // could not be synced; restart it), or entries go unsigned (the audit log
  // missed entries, or cannot store a checkpoint, e.g. on a full disk; the
  // signer retries every second). Problems are errno texts and sizes, never
  // record data.
  const records::StoreStats s = store_.Stats();
  const bool writable = s.writes_refused.ok();
  const Status audit = audit_ != nullptr ? audit_->Problem() : Status::OK();
  nlohmann::json problems = nlohmann::json::array();
  if (!writable) problems.push_back("records store: " + s.writes_refused.message());
  if (!audit.ok()) problems.push_back("audit log: " + audit.message());
  const bool ok = problems.empty();
  nlohmann::json j = {{"status", ok ? "ok" : "failing"},
                      {"writes", writable ? "accepted" : "refused"},
                      {"checkpoints", audit.ok() ? "ok" : "failing"},
                      {"last_seq", s.last_seq},
                      {"tree_size", audit_ != nullptr ? audit_->Size() : 0},
                      {"checkpoint_size", audit_ != nullptr ? audit_->CheckpointSize() : 0}};
  if (!ok) j["problems"] = std::move(problems);
  ApiResponse r;
  r.status = ok ? 200 : 503;
  r.body = j.dump();
  return r;
}

std::string Api::StoreMetricsText() {
  records::StoreStats s = store_.Stats();
  std::string out;
  out += "# HELP custos_store_writes_total Write operations acknowledged by the records store.\n";
  out += "# TYPE custos_store_writes_total counter\n";
  out += "custos_store_writes_total " + std::to_string(s.writes) + "\n";
  out += "# HELP custos_store_commits_total Group commits (database transactions).\n";
  out += "# TYPE custos_store_commits_total counter\n";
  out += "custos_store_commits_total " + std::to_string(s.commits) + "\n";
  out += "# HELP custos_store_last_seq Sequence number of the newest journal entry.\n";
  out += "# TYPE custos_store_last_seq gauge\n";
  out += "custos_store_last_seq " + std::to_string(s.last_seq) + "\n";
  out +=
      "# HELP custos_store_writable 1 while the records store takes writes; 0 after a failed"
      " sync of its write-ahead log (restart it).\n";
  out += "# TYPE custos_store_writable gauge\n";
  out += std::string("custos_store_writable ") + (s.writes_refused.ok() ? "1" : "0") + "\n";
  if (audit_ != nullptr) {
    out += "# HELP custos_audit_tree_size Leaves in the audit Merkle tree.\n";
    out += "# TYPE custos_audit_tree_size gauge\n";
    out += "custos_audit_tree_size " + std::to_string(audit_->Size()) + "\n";
    out += "# HELP custos_audit_checkpoint_size Leaves covered by the newest stored checkpoint.\n";
    out += "# TYPE custos_audit_checkpoint_size gauge\n";
    out += "custos_audit_checkpoint_size " + std::to_string(audit_->CheckpointSize()) + "\n";
    out +=
        "# HELP custos_audit_signing 1 while checkpoints are signed and stored; 0 while entries go"
        " unsigned (missed entries, or a checkpoint that cannot be stored).\n";
    out += "# TYPE custos_audit_signing gauge\n";
    out += std::string("custos_audit_signing ") + (audit_->Problem().ok() ? "1" : "0") + "\n";
  }
  return out;
}

ApiResponse Api::Handle(const ApiRequest& req) {
  if (req.route == nullptr) return ErrorResponse(404, "not_found", "no such route");
  try {
    // One line per case reads as a table.
    // clang-format off
    switch (req.route->kind) {
      case RouteKind::kRecordCreate: return Create(req);
      case RouteKind::kRecordList: return List(req);
      case RouteKind::kRecordGet: return Get(req);
      case RouteKind::kRecordReplace: return Update(req, records::UpdateMode::kReplace);
      case RouteKind::kRecordPatch: return Update(req, records::UpdateMode::kPatch);
      case RouteKind::kRecordDelete: return Delete(req);
      case RouteKind::kRecordImport: return Import(req);
      case RouteKind::kRecordHistory: return History(req);
      case RouteKind::kDocumentUpload: return DocumentUpload(req);
      case RouteKind::kDocumentGet: return DocumentGet(req);
      case RouteKind::kAuditCheckpoint: return AuditCheckpoint(req, false);
      case RouteKind::kAuditSign: return AuditCheckpoint(req, true);
      case RouteKind::kAuditKey: return AuditKey(req);
      case RouteKind::kAuditEntry: return AuditEntry(req);
      case RouteKind::kAuditInclusion: return AuditInclusion(req);
      case RouteKind::kAuditConsistency: return AuditConsistency(req);
      case RouteKind::kHealth: return Health();
      case RouteKind::kTokensList: return TokensList();
      case RouteKind::kTokensCreate: return TokensCreate(req);
      case RouteKind::kTokensRevoke: return TokensRevoke(req);
      // clang-format on
      case RouteKind::kRoles: {
        ApiResponse r;
        r.body = RoleMatrixJson().dump();
        return r;
      }
      case RouteKind::kMetrics:
      case RouteKind::kOpenApi:
        break;  // served by the server itself
    }
  } catch (const std::exception&) {
    // nlohmann or std exceptions must never take a worker down.
    LogError("handler threw", {{"route", req.route->id}});
    return ErrorResponse(500, "internal", "internal error");
  }
  return ErrorResponse(404, "not_found", "no such route");
}

}  // namespace custos::server
