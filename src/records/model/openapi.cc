#include "records/model/openapi.h"

#include <cmath>
#include <cstdint>

#include "records/model/examples.h"

namespace custos::records {
namespace {

using nlohmann::json;

json Bound(double v) {
  if (std::floor(v) == v && std::fabs(v) <= 9007199254740991.0) return static_cast<int64_t>(v);
  return v;
}

std::string_view SubjectKindName(SubjectRule::Kind k) {
  switch (k) {
    case SubjectRule::Kind::kSelf:
      return "self";
    case SubjectRule::Kind::kField:
      return "field";
    case SubjectRule::Kind::kVia:
      return "via";
    case SubjectRule::Kind::kInstitution:
      return "institution";
  }
  return "institution";
}

json FieldSchema(const FieldSpec& f) {
  json s = json::object();
  switch (f.type) {
    case FieldType::kString:
      s["type"] = "string";
      s["minLength"] = f.min_length;
      s["maxLength"] = f.max_length;
      if (!f.pattern.empty()) s["pattern"] = f.pattern;
      if (f.check == FieldCheck::kEmail) s["format"] = "email";
      break;
    case FieldType::kInteger:
      s["type"] = "integer";
      s["format"] = "int64";
      break;
    case FieldType::kNumber:
      s["type"] = "number";
      break;
    case FieldType::kBoolean:
      s["type"] = "boolean";
      break;
    case FieldType::kDate:
      s["type"] = "string";
      s["format"] = "date";
      break;
    case FieldType::kDateTime:
      s["type"] = "string";
      s["format"] = "date-time";
      break;
    case FieldType::kEnum: {
      s["type"] = "string";
      json values = json::array();
      for (std::string_view v : f.enum_values) values.push_back(v);
      s["enum"] = std::move(values);
      break;
    }
    case FieldType::kReference:
      s["type"] = "string";
      s["pattern"] = kIdPattern;
      s["maxLength"] = 64;
      s["x-custos-ref"] = f.ref_entity;
      break;
  }
  if (f.type == FieldType::kInteger || f.type == FieldType::kNumber) {
    if (f.minimum) s["minimum"] = Bound(*f.minimum);
    if (f.maximum) s["maximum"] = Bound(*f.maximum);
  }
  s["description"] = f.description;
  if (f.personal) s["x-personal-data"] = true;
  return s;
}

json ServerFieldSchema(const ServerField& f) {
  json s = json::object();
  if (f.type == FieldType::kInteger) {
    s["type"] = "integer";
    s["format"] = "int64";
    s["minimum"] = 1;
  } else if (f.type == FieldType::kDateTime) {
    s["type"] = "string";
    s["format"] = "date-time";
  } else {
    s["type"] = "string";
    s["pattern"] = kIdPattern;
    s["maxLength"] = 64;
  }
  s["readOnly"] = true;
  s["description"] = f.description;
  return s;
}

json EntityBase(const EntitySchema& e) {
  json s = json::object();
  s["type"] = "object";
  s["title"] = e.title;
  s["description"] = e.description;
  s["additionalProperties"] = false;
  s["x-custos-entity"] = e.name;
  s["x-custos-plural"] = e.plural;
  json subject = {{"kind", SubjectKindName(e.subject.kind)}};
  if (!e.subject.field.empty()) subject["field"] = e.subject.field;
  if (!e.subject.entity.empty()) subject["entity"] = e.subject.entity;
  s["x-custos-subject"] = std::move(subject);
  s["x-custos-assessor-may-write"] = e.assessor_may_write;
  return s;
}

}  // namespace

json EntityJsonSchema(const EntitySchema& entity, Mode mode) {
  json s = EntityBase(entity);
  json props = json::object();
  json required = json::array();
  for (const FieldSpec& f : entity.fields) {
    json p = FieldSchema(f);
    if (!f.required) p["nullable"] = true;
    if (f.required && mode != Mode::kPatch) required.push_back(f.name);
    props[std::string(f.name)] = std::move(p);
  }
  s["properties"] = std::move(props);
  if (!required.empty()) s["required"] = std::move(required);
  if (mode != Mode::kPatch) s["example"] = ExampleRecord(entity);
  return s;
}

json EntityRecordJsonSchema(const EntitySchema& entity) {
  json s = EntityBase(entity);
  json props = json::object();
  json required = json::array();
  for (const ServerField& f : ServerFields()) {
    props[std::string(f.name)] = ServerFieldSchema(f);
    required.push_back(f.name);
  }
  for (const FieldSpec& f : entity.fields) {
    props[std::string(f.name)] = FieldSchema(f);
    if (f.required) required.push_back(f.name);
  }
  s["properties"] = std::move(props);
  s["required"] = std::move(required);
  json example = ExampleRecord(entity);
  example["id"] = std::string(entity.name.substr(0, 3)) + "-0001";
  example["version"] = 1;
  example["created_at"] = "2025-01-06T09:00:00Z";
  example["updated_at"] = "2025-01-06T09:00:00Z";
  s["example"] = std::move(example);
  return s;
}

std::string RecordComponentName(const EntitySchema& entity) { return std::string(entity.title); }
std::string InputComponentName(const EntitySchema& entity) {
  return std::string(entity.title) + "Input";
}
std::string PatchComponentName(const EntitySchema& entity) {
  return std::string(entity.title) + "Patch";
}

json AllEntitySchemas() {
  json out = json::object();
  for (const EntitySchema& e : AllEntities()) {
    out[RecordComponentName(e)] = EntityRecordJsonSchema(e);
    out[InputComponentName(e)] = EntityJsonSchema(e, Mode::kCreate);
    out[PatchComponentName(e)] = EntityJsonSchema(e, Mode::kPatch);
  }
  return out;
}

}  // namespace custos::records
