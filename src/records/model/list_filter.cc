#include "records/model/list_filter.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "base/rfc3339.h"
#include "records/model/formats.h"
#include "records/model/validate.h"

namespace custos::records {
namespace {

int Digits(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

// Unix seconds of a valid "YYYY-MM-DD" day at 00:00 UTC.
int64_t DaySeconds(std::string_view date) {
  return DaysFromCivil(Digits(date, 0, 4), static_cast<unsigned>(Digits(date, 5, 2)),
                       static_cast<unsigned>(Digits(date, 8, 2))) *
         86400;
}

Status BadBound(std::string_view field, std::string_view expected) {
  return Status::InvalidArgument("field \"" + std::string(field) + "\": range bounds must be " +
                                 std::string(expected));
}

}  // namespace

Result<std::string> FilterEquals(const EntitySchema& entity, const FieldSpec& field,
                                 std::string_view value) {
  // The field's own validation, as a one-field patch: the same checks and
  // the same canonical form as a stored record.
  nlohmann::json patch = {{std::string(field.name), std::string(value)}};
  auto checked = ValidateRecord(entity, patch, Mode::kPatch);
  if (!checked.ok()) return Status::InvalidArgument("filter " + checked.status().message());
  const nlohmann::json& v = (*checked)[std::string(field.name)];
  if (!v.is_string()) {
    return Status::InvalidArgument("filter field \"" + std::string(field.name) +
                                   "\": not a text value");
  }
  return v.get<std::string>();
}

Result<std::string> FilterDateBound(const FieldSpec& field, std::string_view value, bool upper) {
  if (field.type == FieldType::kDate) {
    if (!IsValidDate(value)) return BadBound(field.name, "dates YYYY-MM-DD");
    return std::string(value);
  }
  if (field.type == FieldType::kDateTime) {
    if (IsValidDate(value)) {
      // "YYYY-MM-DD" sorts before the day's date-times; "YYYY-MM-DDT~"
      // after them ('~' follows every digit).
      return std::string(value) + (upper ? "T~" : "");
    }
    if (auto canonical = CanonicalDateTime(value)) return *canonical;
    return BadBound(field.name, "RFC 3339 date-times or dates YYYY-MM-DD");
  }
  return Status::InvalidArgument("field \"" + std::string(field.name) +
                                 "\": not a date field, so it takes no range");
}

Result<int64_t> FilterTimeBound(std::string_view field, std::string_view value, bool upper) {
  int64_t micros;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), micros);
  if (ec == std::errc() && end == value.data() + value.size()) return micros;
  constexpr int64_t kMicros = 1000000;
  if (IsValidDate(value)) {
    const int64_t day = DaySeconds(value) * kMicros;
    return upper ? day + 86400 * kMicros - 1 : day;
  }
  const std::optional<UtcInstant> t = ParseRfc3339DateTime(value);
  if (!t) {
    return BadBound(field, "unix microseconds, YYYY-MM-DD or RFC 3339 date-times");
  }
  // A lower bound between two microseconds rounds up, an upper one down.
  const bool beyond = t->nanos % 1000 != 0;
  return t->unix_seconds * kMicros + t->nanos / 1000 + (beyond && !upper ? 1 : 0);
}

}  // namespace custos::records
