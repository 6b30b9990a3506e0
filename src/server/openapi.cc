#include "server/openapi.h"

#include "records/model/openapi.h"
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
                         {"properties",
                          {{"records", {{"type", "array"}, {"items", Ref(EnvelopeName(*e))}}},
                           {"next_cursor", {{"type", "string"}, {"nullable", true}}}}}});
      break;
    case RouteKind::kRecordImport:
      op["requestBody"] = {
          {"required", true},
          {"content",
           {{"text/csv", {{"schema", {{"type", "string"}}}}},
            {"application/json",
             {{"schema", {{"type", "array"}, {"items", Ref(records::InputComponentName(*e))}}}}}}}};
      responses["201"] = JsonResponse("every row imported", json{{"type", "object"}});
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
                            {"properties",
                             {{"entity", {{"type", "string"}}},
                              {"id", {{"type", "string"}}},
                              {"entries", {{"type", "array"}, {"items", {{"type", "object"}}}}},
                              {"next_after_seq", {{"type", "integer"}, {"nullable", true}}}}}});
      break;
    case RouteKind::kDocumentUpload:
      op["requestBody"] = {{"required", true},
                           {"content",
                            {{"application/octet-stream",
                              {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
      responses["201"] = JsonResponse(
          "stored", json{{"type", "object"},
                         {"properties",
                          {{"sha256", {{"type", "string"}}}, {"size", {{"type", "integer"}}}}}});
      break;
    case RouteKind::kDocumentGet:
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
      responses["200"] = JsonResponse("the entry", json{{"type", "object"}});
      break;
    case RouteKind::kAuditInclusion:
      params.push_back(QueryParam("seq", "journal sequence number", true, "integer"));
      params.push_back(QueryParam("size", "tree size, default current", false, "integer"));
      responses["200"] = JsonResponse("the proof", json{{"type", "object"}});
      break;
    case RouteKind::kAuditConsistency:
      params.push_back(QueryParam("from", "older tree size", true, "integer"));
      params.push_back(QueryParam("to", "newer tree size, default current", false, "integer"));
      responses["200"] = JsonResponse("the proof", json{{"type", "object"}});
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
      responses["201"] = JsonResponse("the token, shown once", json{{"type", "object"}});
      break;
    case RouteKind::kTokensRevoke:
      responses["204"] = {{"description", "revoked"}};
      break;
    default:
      responses["200"] = JsonResponse("OK", json{{"type", "object"}});
      break;
  }
  if (r.auth != AuthMode::kPublic) {
    responses["401"] = ErrorResponse("no token, or a bad or revoked one");
    responses["403"] = ErrorResponse("the role may not use this route");
  }
  if (r.body != BodyKind::kNone) {
    responses["400"] = ErrorResponse("malformed body");
    responses["413"] = ErrorResponse("body larger than " + std::to_string(r.body_limit) + " bytes");
  }
  if (r.kind == RouteKind::kRecordCreate || r.kind == RouteKind::kRecordReplace ||
      r.kind == RouteKind::kRecordPatch) {
    responses["422"] = ErrorResponse("the record is invalid (the field is named)");
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
