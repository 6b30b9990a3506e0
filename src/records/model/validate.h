// Validation of one record body against its entity schema, and the canonical
// JSON form the store keeps.
//
// Contract
// - Pure functions: safe from any thread; nothing is kept between calls.
// - A body must be a JSON object. Unknown keys, server fields (id, version,
//   created_at, updated_at), wrong JSON types, invalid values and missing
//   required fields are all rejected. There is no coercion between types:
//   "5" is not an integer, 5.0 is not an integer, "true" is not a boolean.
// - Error messages name the field and the reason and never contain the value
//   that was sent (it may be personal data): `field "date_of_birth": not a
//   valid date (YYYY-MM-DD)`. An unknown key is quoted only when it is a
//   name Custos defines (IsKnownFieldName); otherwise the message says a key
//   is unknown and suggests the closest field name.
// - Canonical form (the value returned on success):
//     * a JSON object holding only schema fields, keys in byte order (the
//       nlohmann::json default), absent optional fields omitted (a null in a
//       create or replace body means "absent");
//     * strings trimmed of leading and trailing ASCII whitespace, then
//       upper- or lower-cased or stripped of inner spaces where the field's
//       Normalize says so (e-mail addresses get a lower-case domain); no
//       Unicode normalisation;
//     * date-times with upper-case "T" and "Z", offsets kept as sent;
//     * numbers of kNumber fields that are whole and within +-2^53 stored as
//       JSON integers (85.0 -> 85), others as doubles.
//   Validating a canonical record again returns it unchanged.
// - Modes: kCreate and kReplace take a whole record (required fields must be
//   present) and check the entity's date orders; kPatch takes any subset of
//   fields (JSON merge patch, RFC 7396): a null removes an optional field and
//   is kept as null in the returned patch; a null for a required field is an
//   error. Use ApplyPatch to get the full record a patch produces.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "records/model/schema.h"

namespace custos::records {

enum class Mode { kCreate, kReplace, kPatch };

struct FieldError {
  std::string field;   // empty when the error is about the body as a whole
  std::string reason;  // never contains the offending value

  // `field "x": reason`, or just the reason when field is empty.
  std::string ToString() const;
  bool operator==(const FieldError&) const = default;
};

struct Validation {
  nlohmann::json record;           // canonical form; meaningful only when ok()
  std::vector<FieldError> errors;  // every problem found, in field order
  bool ok() const { return errors.empty(); }
};

// The error for a key that is not a field of `entity` (see above).
FieldError UnknownKeyError(const EntitySchema& entity, std::string_view key);

// Checks `body` and collects every error (for bulk import and forms).
Validation CheckRecord(const EntitySchema& entity, const nlohmann::json& body, Mode mode);

// The canonical record, or InvalidArgument listing the errors (at most ten,
// then "and N more").
Result<nlohmann::json> ValidateRecord(const EntitySchema& entity, const nlohmann::json& body,
                                      Mode mode);

// Applies a merge-patch body to `current` (a stored record; keys that are not
// schema fields, such as server fields, are dropped) and validates the result
// as kReplace. InvalidArgument if the patch or the merged record is invalid.
Result<nlohmann::json> ApplyPatch(const EntitySchema& entity, const nlohmann::json& current,
                                  const nlohmann::json& patch);

// InvalidArgument with the errors joined by "; " (at most ten listed). OK for
// an empty list.
Status ErrorsToStatus(const std::vector<FieldError>& errors);

// Which trainee a valid record belongs to, following SubjectRule.
struct SubjectLink {
  SubjectRule::Kind kind = SubjectRule::Kind::kInstitution;
  // kField: the trainee's id. kVia: the id of the `entity` record whose own
  // rule gives the trainee (the store looks it up). kSelf: empty, the record's
  // own id is the trainee's. kInstitution: empty.
  std::string id;
  std::string_view entity;
};
// InvalidArgument if the field the rule names is missing or not a string.
Result<SubjectLink> SubjectOf(const EntitySchema& entity, const nlohmann::json& record);

}  // namespace custos::records
