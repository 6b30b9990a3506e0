#include "records/model/schema.h"

#include <string>

#include "records/model/formats.h"

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

bool IsKnownFieldName(std::string_view name) {
  if (IsServerField(name)) return true;
  for (const EntitySchema& e : AllEntities()) {
    if (e.FindField(name) != nullptr) return true;
  }
  return false;
}

std::string_view ClosestFieldName(const EntitySchema& entity, std::string_view input) {
  std::string lower(input.substr(0, 128));
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string_view best;
  size_t best_distance = 3;
  for (const FieldSpec& f : entity.fields) {
    const size_t d = EditDistance(lower, f.name, 2);
    if (d < best_distance) {
      best_distance = d;
      best = f.name;
    }
  }
  return best;
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
