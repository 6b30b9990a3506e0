#include "server/openapi.h"

#include "records/model/openapi.h"
#include "server/openapi_schemas.h"
#include "server/routes.h"

namespace custos::server {
namespace {

using nlohmann::json;

json Ref(const std::string& name) { return json{{"$ref", "#/components/schemas/" + name}}; }

json ErrorSchema() {
  json item = {{"type", "object"},
               {"properties",
                {{"line", {{"type", "integer"}}},
                 {"field", {{"type", "string"}}},
                 {"reason", {{"type", "string"}}}}}};
  json props = {
      {"code", {{"type", "string"}, {"description", "stable machine-readable code"}}},
      {"message", {{"type", "string"}}},
      {"field", {{"type", "string"}, {"description", "the field at fault"}}},
      {"line", {{"type", "integer"}, {"description", "CSV line or JSON element of an import"}}},
      {"errors", {{"type", "array"}, {"items", item}}}};
  json error = {{"type", "object"}, {"required", {"code", "message"}}, {"properties", props}};
  return json{{"type", "object"}, {"required", {"error"}}, {"properties", {{"error", error}}}};
}

json EnvelopeSchema(const records::EntitySchema& e) {
  return json{{"type", "object"},
              {"required", {"entity", "id", "version", "created_at", "updated_at", "data"}},
              {"properties",
               {{"entity", {{"type", "string"}, {"enum", {e.name}}}},
                {"id", {{"type", "string"}}},
                {"version", {{"type", "integer"}, {"minimum", 1}}},
                {"subject_id", {{"type", "string"}}},
                {"created_at", {{"type", "string"}, {"format", "date-time"}}},
                {"updated_at", {{"type", "string"}, {"format", "date-time"}}},
                {"data", Ref(records::InputComponentName(e))}}}};
}

std::string EnvelopeName(const records::EntitySchema& e) {
  return std::string(e.title) + "Envelope";
}

json ErrorResponse(std::string description) {
  return json{{"description", std::move(description)},
              {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
}

json JsonResponse(std::string description, json schema) {
  return json{{"description", std::move(description)},
              {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
}

json TextResponse(std::string description) {
  return json{{"description", std::move(description)},
              {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}};
}

json QueryParam(const std::string& name, const std::string& description, bool required,
                std::string type = "string") {
  return json{{"name", name},
              {"in", "query"},
              {"required", required},
              {"description", description},
              {"schema", {{"type", std::move(type)}}}};
}

json Operation(const Route& r) {
  json op;
  op["operationId"] = r.id;
  op["summary"] = r.summary;
  json roles = json::object();
  std::string desc = "Roles:";
  for (Role role : kAllRoles) {
    Access a = r.AccessFor(role);
    roles[std::string(RoleName(role))] = AccessName(a);
    desc += " " + std::string(RoleName(role)) + "=" + std::string(AccessName(a));
  }
  if (!r.notes.empty()) desc += ". " + r.notes;
  op["description"] = desc;
  op["x-custos-roles"] = roles;
  if (r.auth == AuthMode::kPublic) op["security"] = json::array();
  if (r.entity != nullptr) op["tags"] = {std::string(r.entity->plural)};

  json params = json::array();
  for (const std::string& seg : r.segments) {
    if (seg.size() > 2 && seg.front() == '{') {
      params.push_back({{"name", seg.substr(1, seg.size() - 2)},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "string"}}}});
    }
  }
  json responses;
  const records::EntitySchema* e = r.entity;
  switch (r.kind) {
    case RouteKind::kRecordCreate:
      op["requestBody"] = {
          {"required", true},
          {"content", {{"application/json", {{"schema", Ref(records::InputComponentName(*e))}}}}}};
      responses["201"] = JsonResponse("created", Ref(EnvelopeName(*e)));
      break;
    case RouteKind::kRecordReplace:
    case RouteKind::kRecordPatch: {
      std::string comp = r.kind == RouteKind::kRecordPatch ? records::PatchComponentName(*e)
                                                           : records::InputComponentName(*e);
      op["requestBody"] = {{"required", true},
                           {"content", {{"application/json", {{"schema", Ref(comp)}}}}}};
      params.push_back({{"name", "If-Match"},
                        {"in", "header"},
                        {"description", "the current version, as \"N\" (or ?version=N)"},
                        {"schema", {{"type", "string"}}}});
      params.push_back(
          QueryParam("version", "the current version (instead of If-Match)", false, "integer"));
      responses["200"] = JsonResponse("changed", Ref(EnvelopeName(*e)));
      responses["409"] = ErrorResponse("the version is not the current one");
      responses["428"] = ErrorResponse("no version given");
      break;
    }
    case RouteKind::kRecordDelete:
      params.push_back({{"name", "If-Match"}, {"in", "header"}, {"schema", {{"type", "string"}}}});
      params.push_back(QueryParam("version", "the current version", false, "integer"));
      responses["204"] = {{"description", "deleted"}};
      responses["409"] = ErrorResponse("the version is not the current one");
      responses["428"] = ErrorResponse("no version given");
      break;
    case RouteKind::kRecordGet:
      params.push_back(QueryParam("purpose", "why the data is read (journaled)", false));
      responses["200"] = JsonResponse("the record", Ref(EnvelopeName(*e)));
      break;
    case RouteKind::kRecordList:
      params.push_back(QueryParam("limit", "1-1000, default 100", false, "integer"));
      params.push_back(QueryParam("cursor", "next_cursor of the previous page", false));
      params.push_back(QueryParam("purpose", "why the data is read (journaled)", false));
      for (const records::FieldSpec& f : e->fields) {
        params.push_back(QueryParam(std::string(f.name), "equals", false));
        if (f.type == records::FieldType::kDate || f.type == records::FieldType::kDateTime) {
          params.push_back(QueryParam(std::string(f.name) + ".from", "on or after", false));
          params.push_back(QueryParam(std::string(f.name) + ".to", "on or before", false));
        }
      }
      responses["200"] = JsonResponse(
          "a page", json{{"type", "object"},
                         {"additionalProperties", false},
                         {"required", {"records", "next_cursor"}},
                         {"properties",
                          {{"records", {{"type", "array"}, {"items", Ref(EnvelopeName(*e))}}},
                           {"next_cursor", {{"type", "string"}, {"nullable", true}}}}}});
      responses["400"] = ErrorResponse(
          "an unknown filter field, an impossible value, a bad limit "
          "or cursor (the field is named)");
      break;
    case RouteKind::kRecordImport:
      op["requestBody"] = {
          {"required", true},
          {"content",
           {{"text/csv", {{"schema", {{"type", "string"}}}}},
            {"application/json",
             {{"schema", {{"type", "array"}, {"items", Ref(records::InputComponentName(*e))}}}}}}}};
      responses["201"] = JsonResponse(
          "every row imported",
          json{{"type", "object"},
               {"additionalProperties", false},
               {"required", {"imported", "records"}},
               {"properties",
                {{"imported", {{"type", "integer"}}},
                 {"records", {{"type", "array"}, {"items", Ref(EnvelopeName(*e))}}}}}});
      responses["415"] = ErrorResponse("neither text/csv nor application/json");
      responses["422"] = ErrorResponse("rows with errors; nothing was imported");
      break;
    case RouteKind::kRecordHistory:
      params.push_back(QueryParam("purpose", "why the data is read (journaled)", false));
      params.push_back(QueryParam("limit", "1-1000, default 1000", false, "integer"));
      params.push_back(
          QueryParam("after_seq", "next_after_seq of the previous page", false, "integer"));
      responses["200"] =
          JsonResponse("journal entries in seq order, a page at a time",
                       json{{"type", "object"},
                            {"additionalProperties", false},
                            {"required", {"entity", "id", "entries", "next_after_seq"}},
                            {"properties",
                             {{"entity", {{"type", "string"}}},
                              {"id", {{"type", "string"}}},
                              {"entries", {{"type", "array"}, {"items", Ref("HistoryEntry")}}},
                              {"next_after_seq", {{"type", "integer"}, {"nullable", true}}}}}});
      responses["400"] = ErrorResponse("a bad limit, after_seq or purpose");
      break;
    case RouteKind::kDocumentUpload:
      op["requestBody"] = {{"required", true},
                           {"content",
                            {{"application/octet-stream",
                              {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
      responses["201"] = JsonResponse(
          "stored", json{{"type", "object"},
                         {"additionalProperties", false},
                         {"required", {"sha256", "size"}},
                         {"properties",
                          {{"sha256", {{"type", "string"}}}, {"size", {{"type", "integer"}}}}}});
      break;
    case RouteKind::kDocumentGet:
      params.push_back(QueryParam("purpose", "why the document is read (journaled)", false));
      responses["503"] = ErrorResponse("the read could not be journaled");
      responses["200"] = {{"description", "the document"},
                          {"content",
                           {{"application/octet-stream",
                             {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
      break;
    case RouteKind::kAuditCheckpoint:
    case RouteKind::kAuditSign:
      responses["200"] = TextResponse("a C2SP signed note (tlog-checkpoint)");
      break;
    case RouteKind::kAuditKey:
      responses["200"] = TextResponse("the note verifier key");
      break;
    case RouteKind::kAuditEntry:
      params.push_back(QueryParam("purpose", "why the payload is read (journaled)", false));
      responses["200"] = JsonResponse("the entry", Ref("AuditEntry"));
      responses["400"] = ErrorResponse("seq is not a positive integer, or a bad purpose");
      responses["503"] = ErrorResponse("the read of the payload could not be journaled");
      break;
    case RouteKind::kAuditInclusion:
      params.push_back(QueryParam("seq", "journal sequence number", true, "integer"));
      params.push_back(QueryParam("size", "tree size, default current", false, "integer"));
      responses["200"] = JsonResponse("the proof (RFC 9162 order)", Ref("InclusionProof"));
      responses["400"] = ErrorResponse("no such entry in a tree of that size");
      break;
    case RouteKind::kAuditConsistency:
      params.push_back(QueryParam("from", "older tree size", true, "integer"));
      params.push_back(QueryParam("to", "newer tree size, default current", false, "integer"));
      responses["200"] = JsonResponse("the proof (RFC 9162 order)", Ref("ConsistencyProof"));
      responses["400"] = ErrorResponse("no proof between those sizes");
      break;
    case RouteKind::kHealth:
      responses["200"] = JsonResponse("writes accepted and entries signed", Ref("Health"));
      responses["503"] = JsonResponse("a promise is being broken (see problems)", Ref("Health"));
      break;
    case RouteKind::kRoles:
      responses["200"] = JsonResponse("the role matrix", Ref("RoleMatrix"));
      break;
    case RouteKind::kOpenApi:
      responses["200"] = JsonResponse("this document", json{{"type", "object"}});
      break;
    case RouteKind::kTokensList:
      responses["200"] = JsonResponse("every token (never the secrets)", Ref("TokenList"));
      break;
    case RouteKind::kMetrics:
      responses["200"] = TextResponse("Prometheus text format 0.0.4");
      break;
    case RouteKind::kTokensCreate:
      op["requestBody"] = {
          {"required", true},
          {"content",
           {{"application/json",
             {{"schema",
               {{"type", "object"},
                {"required", {"role"}},
                {"additionalProperties", false},
                {"properties",
                 {{"role",
                   {{"type", "string"},
                    {"enum", {"admin", "registrar", "assessor", "auditor", "trainee"}}}},
                  {"trainee", {{"type", "string"}}},
                  {"assessor", {{"type", "string"}}},
                  {"name", {{"type", "string"}}}}}}}}}}}};
      responses["201"] = JsonResponse("the token, shown once", Ref("TokenCreated"));
      responses["422"] = ErrorResponse("a missing or unknown role, or a binding it lacks");
      break;
    case RouteKind::kTokensRevoke:
      responses["204"] = {{"description", "revoked"}};
      break;
  }
  if (r.auth != AuthMode::kPublic) {
    responses["401"] = ErrorResponse("no token, or a bad or revoked one");
    responses["403"] = ErrorResponse("the role may not use this route");
  }
  if (r.body != BodyKind::kNone) {
    if (!responses.contains("400")) responses["400"] = ErrorResponse("malformed body");
    if (!responses.contains("415")) responses["415"] = ErrorResponse("the wrong Content-Type");
    responses["413"] = ErrorResponse("body larger than " + std::to_string(r.body_limit) + " bytes");
  }
  if (r.kind == RouteKind::kRecordCreate || r.kind == RouteKind::kRecordReplace ||
      r.kind == RouteKind::kRecordPatch) {
    responses["422"] = ErrorResponse(
        "the record is invalid, refers to a record that does not exist, or takes a unique value "
        "another record holds (the field is named)");
  }
  if (r.kind == RouteKind::kRecordDelete) {
    responses["422"] = ErrorResponse("other records still refer to it (the field is named)");
  }
  const bool writes = r.kind == RouteKind::kRecordCreate || r.kind == RouteKind::kRecordReplace ||
                      r.kind == RouteKind::kRecordPatch || r.kind == RouteKind::kRecordDelete ||
                      r.kind == RouteKind::kRecordImport || r.kind == RouteKind::kDocumentUpload;
  if (writes) {
    responses["503"] = ErrorResponse("the store refuses writes (restart it; see /health)");
    responses["507"] = ErrorResponse("the disk is full");
  }
  const bool reads_personal = r.kind == RouteKind::kRecordGet || r.kind == RouteKind::kRecordList ||
                              r.kind == RouteKind::kRecordHistory;
  if (reads_personal && !responses.contains("503")) {
    responses["503"] = ErrorResponse("the read could not be journaled");
  }
  if (!r.segments.empty() && r.segments.back().front() == '{') {
    responses["404"] = ErrorResponse("not found");
  }
  op["responses"] = std::move(responses);
  if (!params.empty()) op["parameters"] = std::move(params);
  return op;
}

json Build() {
  json paths = json::object();
  for (const Route& r : Routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(c - 'A' + 'a');
    paths[r.path][method] = Operation(r);
  }
  json schemas = records::AllEntitySchemas();
  for (const records::EntitySchema& e : records::AllEntities()) {
    schemas[EnvelopeName(e)] = EnvelopeSchema(e);
  }
  schemas["Error"] = ErrorSchema();
  schemas.update(ResponseSchemas());
  return json{{"openapi", "3.0.3"},
              {"info",
               {{"title", "Custos API"},
                {"version", "1"},
                {"description",
                 "Training records with an audited, verifiable journal. Authenticate with "
                 "Authorization: Bearer <token>."}}},
              {"paths", std::move(paths)},
              {"components",
               {{"schemas", std::move(schemas)},
                {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
              {"security", json::array({json{{"bearer", json::array()}}})}};
}

}  // namespace

const nlohmann::json& OpenApiDocument() {
  static const json doc = Build();
  return doc;
}

const std::string& OpenApiText() {
  static const std::string text = OpenApiDocument().dump();
  return text;
}

}  // namespace custos::server
