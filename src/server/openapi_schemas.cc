#include "server/openapi_schemas.h"

#include <string>

#include "records/leaf.h"
#include "server/auth.h"
#include "server/routes.h"

namespace custos::server {
namespace {

using nlohmann::json;

json Ref(const std::string& name) { return json{{"$ref", "#/components/schemas/" + name}}; }
json Str(std::string description = "") {
  json s = {{"type", "string"}};
  if (!description.empty()) s["description"] = std::move(description);
  return s;
}
json Int(std::string description = "") {
  json s = {{"type", "integer"}};
  if (!description.empty()) s["description"] = std::move(description);
  return s;
}
json Nullable(json s) {
  s["nullable"] = true;
  return s;
}
json Object(json properties, json required) {
  return json{{"type", "object"},
              {"additionalProperties", false},
              {"required", std::move(required)},
              {"properties", std::move(properties)}};
}
json Base64Hash() {
  return json{{"type", "string"}, {"format", "byte"}, {"description", "SHA-256, base64"}};
}

json Events() {
  json names = json::array();
  for (int t = 1; t <= 8; ++t) {
    names.push_back(std::string(records::EventTypeName(static_cast<records::EventType>(t))));
  }
  return names;
}

// The decoded leaf (docs/audit-log.md): no personal data.
json LeafFieldsProperties() {
  return json{{"format", Int("leaf format version")},
              {"seq", Int()},
              {"time", {{"type", "string"}, {"format", "date-time"}}},
              {"time_micros", Int("unix microseconds")},
              {"event", {{"type", "string"}, {"enum", Events()}}},
              {"entity", Str()},
              {"record_id", Str()},
              {"record_version", Int()},
              {"actor", Str("the actor's pseudonym, hex")},
              {"actor_role", Str()},
              {"subject", Str("the subject's pseudonym, hex")},
              {"commitment", Str("SHA-256 of the salted payload, hex")},
              {"prev_seq", Int("the record's previous entry (0: none)")},
              {"prev_leaf_hash", Str("hex")}};
}

json LeafFieldsRequired() {
  const json properties = LeafFieldsProperties();
  json r = json::array();
  for (const auto& [k, v] : properties.items()) r.push_back(k);
  return r;
}

// Before/after images: the record's JSON, or its text when it is not JSON.
json Image() { return json{{"nullable", true}, {"description", "a JSON value, or null"}}; }

}  // namespace

json ResponseSchemas() {
  json s = json::object();
  s["LeafFields"] = Object(LeafFieldsProperties(), LeafFieldsRequired());
  s["JournalPayload"] = Object({{"actor", Str("the actor's id")},
                                {"before", Image()},
                                {"after", Image()},
                                {"reason", Nullable(Str())},
                                {"salt", {{"type", "string"}, {"format", "byte"}}}},
                               {"actor", "before", "after", "reason"});
  json history = LeafFieldsProperties();
  history["payload"] = Nullable(Ref("JournalPayload"));
  history["payload"]["description"] = "null after erasure (the subject's key was destroyed)";
  json history_required = LeafFieldsRequired();
  history_required.push_back("payload");
  s["HistoryEntry"] = Object(std::move(history), std::move(history_required));
  s["AuditEntry"] =
      Object({{"seq", Int()},
              {"leaf", {{"type", "string"}, {"format", "byte"}, {"description", "the leaf bytes"}}},
              {"leaf_hash", Base64Hash()},
              {"fields", Ref("LeafFields")},
              {"payload", Nullable(Ref("JournalPayload"))},
              {"payload_status",
               {{"type", "string"},
                {"enum", {"erased", "withheld"}},
                {"description", "why there is no payload: erased, or not for this role"}}}},
             {"seq", "leaf", "leaf_hash", "fields"});
  s["InclusionProof"] = Object({{"seq", Int()},
                                {"index", Int("seq - 1")},
                                {"tree_size", Int()},
                                {"leaf_hash", Base64Hash()},
                                {"root", Base64Hash()},
                                {"hashes", {{"type", "array"}, {"items", Base64Hash()}}}},
                               {"seq", "index", "tree_size", "leaf_hash", "root", "hashes"});
  s["ConsistencyProof"] = Object({{"from", Int()},
                                  {"to", Int()},
                                  {"from_root", Base64Hash()},
                                  {"to_root", Base64Hash()},
                                  {"hashes", {{"type", "array"}, {"items", Base64Hash()}}}},
                                 {"from", "to", "from_root", "to_root", "hashes"});
  json roles = json::array();
  for (Role r : kAllRoles) roles.push_back(std::string(RoleName(r)));
  json token = {{"id", Str()},
                {"role", {{"type", "string"}, {"enum", roles}}},
                {"name", Str("a label")},
                {"created_at", Int("unix seconds")},
                {"revoked", {{"type", "boolean"}}},
                {"trainee", Str("the trainee a trainee token reads")},
                {"assessor", Str("the assessor an assessor token acts as")}};
  s["Token"] = Object(token, {"id", "role", "name", "created_at", "revoked"});
  token["token"] = Str("the secret, shown only here");
  s["TokenCreated"] = Object(token, {"id", "role", "name", "created_at", "revoked", "token"});
  s["TokenList"] = Object({{"tokens", {{"type", "array"}, {"items", Ref("Token")}}}}, {"tokens"});
  json access = {{"type", "string"}, {"enum", {"allow", "deny", "own", "limited"}}};
  json route =
      Object({{"id", Str()},
              {"method", Str()},
              {"path", Str()},
              {"auth", {{"type", "string"}, {"enum", {"public", "token", "token-or-loopback"}}}},
              {"access", {{"type", "object"}, {"additionalProperties", access}}},
              {"notes", Str()}},
             {"id", "method", "path", "auth", "access"});
  s["RoleMatrix"] =
      Object({{"roles", {{"type", "array"}, {"items", {{"type", "string"}, {"enum", roles}}}}},
              {"routes", {{"type", "array"}, {"items", route}}}},
             {"roles", "routes"});
  s["Health"] =
      Object({{"status", {{"type", "string"}, {"enum", {"ok", "failing"}}}},
              {"writes", {{"type", "string"}, {"enum", {"accepted", "refused"}}}},
              {"checkpoints", {{"type", "string"}, {"enum", {"ok", "failing"}}}},
              {"last_seq", Int()},
              {"tree_size", Int()},
              {"checkpoint_size", Int("entries the newest checkpoint covers")},
              {"problems", {{"type", "array"}, {"items", Str()}}}},
             {"status", "writes", "checkpoints", "last_seq", "tree_size", "checkpoint_size"});
  return s;
}

}  // namespace custos::server
