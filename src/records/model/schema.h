// Records model: the entities a training provider keeps, described as data.
//
// Contract
// - Every entity (trainee, employer, programme, enrollment, assessment,
//   certification, attendance, evidence) is one row of a constant table: its
//   name, the plural used in URLs, its fields with their types and
//   constraints, the rule that says which trainee a record belongs to, and
//   which roles beyond registrar/admin may write it. Validation
//   (validate.h), CSV/JSON import (import.h), the OpenAPI schemas (openapi.h)
//   and the generated documentation (markdown.h) all read this one table, so
//   they cannot disagree.
// - The table is immutable static data: every function here is safe to call
//   from any thread, and the returned pointers and spans live for the whole
//   program.
// - Server-owned fields (id, version, created_at, updated_at) are not part of
//   an entity's field list: the store assigns them and clients never send
//   them (ServerFields()).
// - Record ids, and so the values of reference fields, are opaque strings
//   matching kIdPattern.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace custos::records {

enum class FieldType {
  kString,
  kInteger,    // JSON integer, within +-(2^53 - 1); 5.0 and "5" are not integers
  kNumber,     // JSON number, finite
  kBoolean,    // JSON true / false
  kDate,       // "YYYY-MM-DD", a real calendar date, years 0001-9999
  kDateTime,   // RFC 3339 date-time with a time-zone offset
  kEnum,       // one of a fixed list of strings
  kReference,  // the id of a record of another entity (FieldSpec::ref_entity)
};

// Extra checks beyond type, length, range and pattern.
enum class FieldCheck {
  kNone,
  kEmail,  // addr-spec subset: local@domain.tld, <= 254 characters
  kUln,    // UK Unique Learner Number: 10 digits, first non-zero, mod-11 check digit
};

// How a valid string value is put into canonical form. Every string value is
// first trimmed of leading and trailing ASCII whitespace.
enum class Normalize {
  kTrim,           // trimmed only
  kUpper,          // trimmed, ASCII letters upper-cased
  kUpperNoSpaces,  // trimmed, upper-cased, inner spaces removed ("qq 12 34 56 c" -> "QQ123456C")
  kLower,          // trimmed, ASCII letters lower-cased
};

inline constexpr uint32_t kDefaultMaxLength = 1000;  // every string is capped
inline constexpr uint32_t kLongTextMaxLength = 10000;
inline constexpr std::string_view kIdPattern = "^[A-Za-z0-9_-]{1,64}$";

struct FieldSpec {
  std::string_view name = {};
  FieldType type = FieldType::kString;
  bool required = false;
  bool personal = false;  // personal data about a person (trainee, contact, staff)
  bool unique = false;    // no two records of the entity may share a value
  std::string_view description = {};
  // Strings (kString and the string forms of other types): lengths count
  // Unicode code points after trimming.
  uint32_t min_length = 1;
  uint32_t max_length = kDefaultMaxLength;
  bool multiline = false;  // allows TAB, LF and CR; other control characters never
  // kInteger / kNumber bounds, inclusive.
  std::optional<double> minimum = std::nullopt;
  std::optional<double> maximum = std::nullopt;
  // ECMAScript regular expression the canonical (normalised) value must match
  // in full; also published as the OpenAPI "pattern". Only on short fields.
  std::string_view pattern = {};
  std::string_view pattern_hint = {};  // says the format in words, for errors
  std::span<const std::string_view> enum_values = {};
  std::string_view ref_entity = {};  // kReference: the entity's name
  FieldCheck check = FieldCheck::kNone;
  Normalize normalize = Normalize::kTrim;
};

// Which trainee a record belongs to (the data subject).
struct SubjectRule {
  enum class Kind {
    kSelf,         // the record is the trainee
    kField,        // field holds the trainee's id
    kVia,          // field holds the id of a record of `entity`; apply that entity's rule
    kInstitution,  // the record belongs to the institution, not to a trainee
  };
  Kind kind = Kind::kInstitution;
  std::string_view field = {};
  std::string_view entity = {};  // kField: "trainee"; kVia: the referenced entity
};

// A cross-field rule: when both dates are present, earlier <= later.
struct DateOrder {
  std::string_view earlier = {};
  std::string_view later = {};
};

struct EntitySchema {
  std::string_view name = {};    // "trainee"
  std::string_view plural = {};  // "trainees", used in URLs
  std::string_view title = {};   // "Trainee", used for OpenAPI component names
  std::string_view description = {};
  std::span<const FieldSpec> fields = {};  // in display order
  SubjectRule subject = {};
  std::span<const DateOrder> date_orders = {};
  bool assessor_may_write = false;  // registrar and admin may write every entity

  // The field called `field_name`, or nullptr.
  const FieldSpec* FindField(std::string_view field_name) const;
};

// A field the store sets; clients may read it but never write it.
struct ServerField {
  std::string_view name = {};
  FieldType type = FieldType::kString;
  std::string_view description = {};
};

// All entities, in a stable order (the order of the list in the header comment).
std::span<const EntitySchema> AllEntities();
// By singular name ("trainee") or by URL plural ("trainees"); nullptr if unknown.
const EntitySchema* FindEntity(std::string_view name);
const EntitySchema* FindEntityByPlural(std::string_view plural);
std::span<const ServerField> ServerFields();
bool IsServerField(std::string_view name);

std::string_view FieldTypeName(FieldType type);

// True if `name` is a field of some entity or a server field: the names
// Custos itself defines, which are safe to repeat in an error message.
// User-supplied keys that are not such names are never quoted back, since
// they may be data that ended up in a key's place.
bool IsKnownFieldName(std::string_view name);

// The field of `entity` whose name is closest to `input` (at most two edits
// away, case-insensitive), or an empty view: for "did you mean" hints that
// name the schema's field instead of quoting the input.
std::string_view ClosestFieldName(const EntitySchema& entity,
                                  std::string_view input);  // "string", "integer", ..., "reference"

}  // namespace custos::records
