// The API's route table and role matrix, as data (ARCHITECTURE §3.7).
//
// Contract
// - Routes() is the one table of every HTTP route the server answers: id,
//   method, path template, summary, body kind and limit, and for each role
//   whether the route is allowed, allowed for the caller's own records only,
//   allowed with some fields withheld, or denied. The dispatcher checks every
//   request against it in one place (server.cc), the OpenAPI document
//   (openapi.h) and GET /api/v1/roles are generated from it, and
//   docs/api.md renders it.
// - Entity routes are generated from the records model (one set per entity
//   plural); the access of each role to an entity follows a small rule table
//   keyed by the entity's subject rule and assessor_may_write.
// - MatchRoute() resolves a method and a concrete path to a route and its
//   path parameters without regular expressions: the path is split on '/'
//   and compared segment by segment with the templates.
// - The table is built once, on first use, and is immutable afterwards: every
//   function here is safe to call from any thread, and returned pointers
//   live for the whole program.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "records/model/schema.h"

namespace custos::server {

enum class Role { kAdmin = 0, kRegistrar, kAssessor, kAuditor, kTrainee };
inline constexpr size_t kRoleCount = 5;
inline constexpr std::array<Role, kRoleCount> kAllRoles = {
    Role::kAdmin, Role::kRegistrar, Role::kAssessor, Role::kAuditor, Role::kTrainee};

std::string_view RoleName(Role role);  // "admin", "registrar", ...
std::optional<Role> ParseRole(std::string_view name);

enum class Access {
  kDeny,     // 403
  kAllow,    // every record the route reaches
  kOwn,      // only the caller's own records (see docs/api.md "Own records")
  kLimited,  // allowed, but fields the role may not see are withheld
};
std::string_view AccessName(Access access);  // "deny", "allow", "own", "limited"

// What a route does; the dispatcher picks the handler by kind.
enum class RouteKind {
  kRecordCreate,
  kRecordList,
  kRecordGet,
  kRecordReplace,
  kRecordPatch,
  kRecordDelete,
  kRecordImport,
  kRecordHistory,   // one record's entries (subject history for trainees)
  kDocumentUpload,
  kDocumentGet,
  kAuditCheckpoint,
  kAuditKey,
  kAuditEntry,
  kAuditInclusion,
  kAuditConsistency,
  kAuditSign,
  kHealth,
  kMetrics,
  kOpenApi,
  kRoles,
  kTokensList,
  kTokensCreate,
  kTokensRevoke,
};

// How the request body is read.
enum class BodyKind {
  kNone,
  kJson,        // a JSON object (entity record, merge patch, token request)
  kImport,      // text/csv or application/json
  kRaw,         // any bytes (documents)
};

// Who may call the route without a token.
enum class AuthMode {
  kToken,               // a valid token is required
  kPublic,              // no token needed (health, openapi)
  kTokenOrLoopback,     // no token needed from a loopback peer (metrics)
};

inline constexpr size_t kJsonBodyLimit = size_t{1} << 20;    // 1 MiB
inline constexpr size_t kLargeBodyLimit = size_t{64} << 20;  // 64 MiB

struct Route {
  std::string id;       // "trainees.get", "audit.entry", ...
  std::string method;   // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string path;     // "/api/v1/trainees/{id}"
  std::string summary;
  RouteKind kind = RouteKind::kHealth;
  const records::EntitySchema* entity = nullptr;  // for record routes
  BodyKind body = BodyKind::kNone;
  size_t body_limit = 0;
  AuthMode auth = AuthMode::kToken;
  std::array<Access, kRoleCount> access{};  // indexed by Role
  std::string notes;  // what "own" / "limited" mean here (docs, OpenAPI)
  // Derived: the path split on '/', "{...}" marks a parameter.
  std::vector<std::string> segments;

  Access AccessFor(Role role) const { return access[static_cast<size_t>(role)]; }
};

// Every route, in a stable order (literal segments before parameters where
// they could overlap).
std::span<const Route> Routes();
const Route* FindRoute(std::string_view id);

struct RouteMatch {
  const Route* route = nullptr;  // nullptr: no route for this method and path
  bool path_known = false;       // some route has this path with another method (405)
  std::string allow;             // those methods, for the Allow header
  std::vector<std::string_view> params;  // path parameters in template order (views into path)
};

// `path` must not contain the query string.
RouteMatch MatchRoute(std::string_view method, std::string_view path);

// The role matrix as served by GET /api/v1/roles:
// {"roles": [...], "routes": [{"id","method","path","auth","access":{role: access}}]}.
nlohmann::json RoleMatrixJson();

}  // namespace custos::server
