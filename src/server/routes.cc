#include "server/routes.h"

#include <utility>

namespace custos::server {
namespace {

using records::EntitySchema;
using records::SubjectRule;
constexpr Access D = Access::kDeny;
constexpr Access A = Access::kAllow;
constexpr Access O = Access::kOwn;
constexpr Access L = Access::kLimited;

// Columns: admin, registrar, assessor, auditor, trainee.
using Row = std::array<Access, kRoleCount>;

// ---- the rule table for entity routes ------------------------------------
// Trainee-linked entities (trainee, enrollment, assessment, certification,
// attendance, evidence) hold a trainee's personal data: assessors and
// trainees read only their own. Programmes are public catalogue data.
// Employers hold staff contact details: staff roles only.
constexpr Row kReadSubject = {A, A, O, A, O};
constexpr Row kReadProgramme = {A, A, A, A, A};
constexpr Row kReadEmployer = {A, A, D, A, D};
constexpr Row kHistorySubject = {A, A, D, A, O};
constexpr Row kHistoryInstitution = {A, A, D, A, D};
constexpr Row kWriteAssessorEntity = {A, A, O, D, D};
constexpr Row kWriteStaff = {A, A, D, D, D};
constexpr Row kImport = {A, A, D, D, D};

// ---- fixed routes -----------------------------------------------------------
constexpr Row kDocumentUpload = {A, A, D, D, D};
constexpr Row kDocumentGet = {A, A, D, A, O};
constexpr Row kAuditPublic = {A, A, D, A, D};   // checkpoint, key, proofs: no personal data
constexpr Row kAuditEntry = {A, L, D, A, D};    // registrar: leaf only, no payload
constexpr Row kAuditSign = {A, D, D, A, D};
constexpr Row kAdminOnly = {A, D, D, D, D};
constexpr Row kEveryone = {A, A, A, A, A};

bool IsSubjectEntity(const EntitySchema& e) {
  return e.subject.kind != SubjectRule::Kind::kInstitution;
}

Row ReadRow(const EntitySchema& e) {
  if (IsSubjectEntity(e)) return kReadSubject;
  if (e.name == "programme") return kReadProgramme;
  return kReadEmployer;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

void Add(std::vector<Route>& out, std::string id, std::string method, std::string path,
         std::string summary, RouteKind kind, Row access, BodyKind body = BodyKind::kNone,
         const EntitySchema* entity = nullptr, AuthMode auth = AuthMode::kToken,
         std::string notes = {}) {
  Route r;
  r.id = std::move(id);
  r.method = std::move(method);
  r.path = std::move(path);
  r.summary = std::move(summary);
  r.kind = kind;
  r.entity = entity;
  r.body = body;
  r.body_limit = body == BodyKind::kJson   ? kJsonBodyLimit
                 : body == BodyKind::kNone ? 0
                                           : kLargeBodyLimit;
  r.auth = auth;
  r.access = access;
  r.notes = std::move(notes);
  r.segments = SplitPath(r.path);
  out.push_back(std::move(r));
}

constexpr std::string_view kOwnRead =
    "own: trainees see records whose subject is themselves; assessors see the enrollments "
    "they assess (an assessment names them), those enrollments' trainees, assessments, "
    "attendance, certifications and evidence";
constexpr std::string_view kOwnWrite =
    "own: assessors write only for enrollments they assess; an assessment they write must "
    "name them as assessor";

void AddEntityRoutes(std::vector<Route>& out, const EntitySchema& e) {
  const std::string p(e.plural);
  const std::string base = "/api/v1/" + p;
  const std::string title(e.title);
  const Row write = e.assessor_may_write ? kWriteAssessorEntity : kWriteStaff;
  const std::string read_notes = ReadRow(e)[2] == O ? std::string(kOwnRead) : std::string();
  const std::string write_notes = e.assessor_may_write ? std::string(kOwnWrite) : std::string();
  // Literal segments first: POST /P/import before anything with {id}.
  Add(out, p + ".import", "POST", base + "/import",
      "Import " + p + " from CSV or a JSON array (all or nothing)", RouteKind::kRecordImport,
      kImport, BodyKind::kImport, &e);
  Add(out, p + ".create", "POST", base, "Create a " + title, RouteKind::kRecordCreate, write,
      BodyKind::kJson, &e, AuthMode::kToken, write_notes);
  Add(out, p + ".list", "GET", base, "List " + p + " with filters", RouteKind::kRecordList,
      ReadRow(e), BodyKind::kNone, &e, AuthMode::kToken, read_notes);
  Add(out, p + ".get", "GET", base + "/{id}", "Read one " + title, RouteKind::kRecordGet,
      ReadRow(e), BodyKind::kNone, &e, AuthMode::kToken, read_notes);
  Add(out, p + ".replace", "PUT", base + "/{id}", "Replace a " + title + " (If-Match required)",
      RouteKind::kRecordReplace, write, BodyKind::kJson, &e, AuthMode::kToken, write_notes);
  Add(out, p + ".patch", "PATCH", base + "/{id}",
      "Change a " + title + " with a JSON merge patch (If-Match required)",
      RouteKind::kRecordPatch, write, BodyKind::kJson, &e, AuthMode::kToken, write_notes);
  Add(out, p + ".delete", "DELETE", base + "/{id}", "Delete a " + title + " (If-Match required)",
      RouteKind::kRecordDelete, write, BodyKind::kNone, &e, AuthMode::kToken, write_notes);
  const bool subject_history = e.subject.kind == SubjectRule::Kind::kSelf;
  Add(out, p + ".history", "GET", base + "/{id}/history",
      subject_history ? "Every journal entry about this trainee (subject history)"
                      : "Journal entries of one " + title,
      RouteKind::kRecordHistory, IsSubjectEntity(e) ? kHistorySubject : kHistoryInstitution,
      BodyKind::kNone, &e, AuthMode::kToken,
      IsSubjectEntity(e) ? "own: a trainee reads the history of their own records" : "");
}

std::vector<Route> BuildRoutes() {
  std::vector<Route> out;
  Add(out, "health", "GET", "/health", "Liveness and journal position", RouteKind::kHealth,
      kEveryone, BodyKind::kNone, nullptr, AuthMode::kPublic);
  Add(out, "metrics", "GET", "/metrics", "Prometheus metrics", RouteKind::kMetrics, kAdminOnly,
      BodyKind::kNone, nullptr, AuthMode::kTokenOrLoopback,
      "without an Authorization header only loopback peers are served");
  Add(out, "openapi", "GET", "/api/v1/openapi.json", "This API as an OpenAPI 3.0 document",
      RouteKind::kOpenApi, kEveryone, BodyKind::kNone, nullptr, AuthMode::kPublic);
  Add(out, "roles", "GET", "/api/v1/roles", "The role matrix", RouteKind::kRoles, kAdminOnly);
  Add(out, "tokens.list", "GET", "/api/v1/tokens", "List API tokens (no secrets)",
      RouteKind::kTokensList, kAdminOnly);
  Add(out, "tokens.create", "POST", "/api/v1/tokens", "Create an API token (shown once)",
      RouteKind::kTokensCreate, kAdminOnly, BodyKind::kJson);
  Add(out, "tokens.revoke", "DELETE", "/api/v1/tokens/{id}", "Revoke an API token",
      RouteKind::kTokensRevoke, kAdminOnly);
  Add(out, "documents.upload", "POST", "/api/v1/documents",
      "Store a document (raw body); returns its SHA-256", RouteKind::kDocumentUpload,
      kDocumentUpload, BodyKind::kRaw);
  Add(out, "documents.get", "GET", "/api/v1/documents/{sha256}", "Read a document",
      RouteKind::kDocumentGet, kDocumentGet, BodyKind::kNone, nullptr, AuthMode::kToken,
      "own: a trainee reads documents that an evidence record of theirs references");
  Add(out, "audit.checkpoint", "GET", "/api/v1/audit/checkpoint",
      "The newest signed checkpoint (C2SP signed note)", RouteKind::kAuditCheckpoint,
      kAuditPublic);
  Add(out, "audit.sign", "POST", "/api/v1/audit/checkpoint", "Sign a checkpoint now",
      RouteKind::kAuditSign, kAuditSign);
  Add(out, "audit.key", "GET", "/api/v1/audit/key", "The checkpoint verifier key",
      RouteKind::kAuditKey, kAuditPublic);
  Add(out, "audit.entry", "GET", "/api/v1/audit/entries/{seq}",
      "One journal entry: leaf, decoded fields and (for auditors) the decrypted payload",
      RouteKind::kAuditEntry, kAuditEntry, BodyKind::kNone, nullptr, AuthMode::kToken,
      "limited: the payload (before/after images, personal data) is withheld");
  Add(out, "audit.inclusion", "GET", "/api/v1/audit/proof/inclusion",
      "RFC 9162 inclusion proof of entry seq in the tree of size size",
      RouteKind::kAuditInclusion, kAuditPublic);
  Add(out, "audit.consistency", "GET", "/api/v1/audit/proof/consistency",
      "RFC 9162 consistency proof between two tree sizes", RouteKind::kAuditConsistency,
      kAuditPublic);
  for (const EntitySchema& e : records::AllEntities()) AddEntityRoutes(out, e);
  return out;
}

const std::vector<Route>& Table() {
  static const std::vector<Route> table = BuildRoutes();
  return table;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kRegistrar: return "registrar";
    case Role::kAssessor: return "assessor";
    case Role::kAuditor: return "auditor";
    case Role::kTrainee: return "trainee";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : kAllRoles) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kDeny: return "deny";
    case Access::kAllow: return "allow";
    case Access::kOwn: return "own";
    case Access::kLimited: return "limited";
  }
  return "deny";
}

std::span<const Route> Routes() { return Table(); }

const Route* FindRoute(std::string_view id) {
  for (const Route& r : Table()) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

RouteMatch MatchRoute(std::string_view method, std::string_view path) {
  RouteMatch m;
  if (path.empty() || path[0] != '/') return m;
  // Split without allocating strings: views into `path`.
  std::string_view segs[8];
  size_t n = 0;
  size_t i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (n == std::size(segs)) return m;
    segs[n++] = path.substr(i, j - i);
    i = j + 1;
  }
  for (const Route& r : Table()) {
    if (r.segments.size() != n) continue;
    bool ok = true;
    for (size_t k = 0; k < n && ok; ++k) {
      const std::string& t = r.segments[k];
      if (!t.empty() && t.front() == '{') {
        ok = !segs[k].empty();
      } else {
        ok = t == segs[k];
      }
    }
    if (!ok) continue;
    if (r.method != method) {
      if (!m.path_known || m.allow.find(r.method) == std::string::npos) {
        if (!m.allow.empty()) m.allow += ", ";
        m.allow += r.method;
      }
      m.path_known = true;
      continue;
    }
    m.route = &r;
    m.params.clear();
    for (size_t k = 0; k < n; ++k) {
      if (!r.segments[k].empty() && r.segments[k].front() == '{') m.params.push_back(segs[k]);
    }
    return m;
  }
  return m;
}

nlohmann::json RoleMatrixJson() {
  using nlohmann::json;
  json roles = json::array();
  for (Role r : kAllRoles) roles.push_back(RoleName(r));
  json routes = json::array();
  for (const Route& r : Table()) {
    json access = json::object();
    for (Role role : kAllRoles) access[std::string(RoleName(role))] = AccessName(r.AccessFor(role));
    json row = {{"id", r.id},
                {"method", r.method},
                {"path", r.path},
                {"auth", r.auth == AuthMode::kPublic            ? "public"
                         : r.auth == AuthMode::kTokenOrLoopback ? "token-or-loopback"
                                                                : "token"},
                {"access", std::move(access)}};
    if (!r.notes.empty()) row["notes"] = r.notes;
    routes.push_back(std::move(row));
  }
  return json{{"roles", std::move(roles)}, {"routes", std::move(routes)}};
}

}  // namespace custos::server
