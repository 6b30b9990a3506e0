#include "records/model/schema.h"

namespace custos::records {
namespace {

constexpr ServerField kServerFields[] = {
    {.name = "id", .type = FieldType::kString, .description = "Record id, assigned by the store"},
    {.name = "version",
     .type = FieldType::kInteger,
     .description = "Version of the record, 1 on create, incremented by every change"},
    {.name = "created_at",
     .type = FieldType::kDateTime,
     .description = "When the record was created (UTC)"},
    {.name = "updated_at",
     .type = FieldType::kDateTime,
     .description = "When the record was last changed (UTC)"},
};

}  // namespace

const FieldSpec* EntitySchema::FindField(std::string_view field_name) const {
  for (const FieldSpec& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

const EntitySchema* FindEntity(std::string_view name) {
  for (const EntitySchema& e : AllEntities()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const EntitySchema* FindEntityByPlural(std::string_view plural) {
  for (const EntitySchema& e : AllEntities()) {
    if (e.plural == plural) return &e;
  }
  return nullptr;
}

std::span<const ServerField> ServerFields() { return kServerFields; }

bool IsServerField(std::string_view name) {
  for (const ServerField& f : kServerFields) {
    if (f.name == name) return true;
  }
  return false;
}

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "string";
    case FieldType::kInteger:
      return "integer";
    case FieldType::kNumber:
      return "number";
    case FieldType::kBoolean:
      return "boolean";
    case FieldType::kDate:
      return "date";
    case FieldType::kDateTime:
      return "datetime";
    case FieldType::kEnum:
      return "enum";
    case FieldType::kReference:
      return "reference";
  }
  return "unknown";
}

}  // namespace custos::records
