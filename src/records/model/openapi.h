// OpenAPI 3.0 Schema objects for the records entities, generated from the
// entity table so the published API cannot drift from the validator.
//
// Contract
// - EntityJsonSchema(entity, mode) describes a request body:
//     kCreate / kReplace: every schema field, "required" lists the required
//       ones, optional fields are "nullable" (null means absent);
//     kPatch: every schema field, nothing required, optional fields nullable
//       (null removes the field), required fields not nullable.
//   Request schemas carry "additionalProperties": false and leave out the
//   server fields, which the validator refuses in a body.
// - EntityRecordJsonSchema(entity) describes a stored record as the API
//   returns it: the schema fields plus the server fields (id, version,
//   created_at, updated_at) marked readOnly and required.
// - Field schemas use type/format (date, date-time, email, int64), enum,
//   minimum/maximum, minLength/maxLength, pattern (ECMA 262), description.
//   Extensions: "x-personal-data": true on personal fields, "x-custos-ref" on
//   reference fields (the referenced entity), and on each entity
//   "x-custos-entity", "x-custos-plural", "x-custos-subject" (the SubjectRule)
//   and "x-custos-assessor-may-write". The validator checks more than the
//   schema can say (ULN check digit, calendar dates, date order, e-mail
//   syntax); every record it accepts conforms to these schemas.
// - Pure functions; safe from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "records/model/schema.h"
#include "records/model/validate.h"

namespace custos::records {

nlohmann::json EntityJsonSchema(const EntitySchema& entity, Mode mode);
nlohmann::json EntityRecordJsonSchema(const EntitySchema& entity);

// The component names used by AllEntitySchemas for an entity: "Trainee",
// "TraineeInput" (create and replace) and "TraineePatch".
std::string RecordComponentName(const EntitySchema& entity);
std::string InputComponentName(const EntitySchema& entity);
std::string PatchComponentName(const EntitySchema& entity);

// components/schemas: the three schemas of every entity, keyed by the names above.
nlohmann::json AllEntitySchemas();

}  // namespace custos::records
