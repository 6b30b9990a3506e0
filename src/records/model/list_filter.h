// The values of list filters (RecordsStore::List), checked and put into the
// form the stored records have, so that a filter matches what a client sees
// in a record and a mistyped value is an error rather than an empty page.
//
// Contract
// - Pure functions, safe from any thread.
// - Errors are InvalidArgument naming the field and the reason, never the
//   value (it may be personal data).
// - Equality (FilterEquals): a value of a string, enum, date, date-time or
//   reference field is validated as that field and returned in canonical form
//   (the form ValidateRecord stores: "sc123456" -> "SC123456" for a company
//   number, a lower-case e-mail domain, "t"/"z" of a date-time upper-cased).
//   An enum value outside the list is an error that names the allowed values.
// - Ranges on a date field (FilterDateBound) take "YYYY-MM-DD"; on a
//   date-time field, an RFC 3339 date-time or a day "YYYY-MM-DD" (from: the
//   day's start; to: its end). Date-times compare as text, which is exact
//   when records and bounds use one offset (Z).
// - Ranges on created_at / updated_at (FilterTimeBound) take unix
//   microseconds, "YYYY-MM-DD" (from: the day's first microsecond; to: its
//   last, UTC) or an RFC 3339 date-time with any offset, as records show
//   them ("2026-11-27T15:52:05.745177Z"); digits past the microsecond round
//   inwards (a from bound up, a to bound down).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "records/model/schema.h"

namespace custos::records {

// For fields of type kString, kEnum, kDate, kDateTime and kReference.
Result<std::string> FilterEquals(const EntitySchema& entity, const FieldSpec& field,
                                 std::string_view value);

// For fields of type kDate and kDateTime: the text to compare with.
Result<std::string> FilterDateBound(const FieldSpec& field, std::string_view value, bool upper);

// `field` is "created_at" or "updated_at" (named in errors).
Result<int64_t> FilterTimeBound(std::string_view field, std::string_view value, bool upper);

}  // namespace custos::records
