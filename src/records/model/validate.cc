#include "records/model/validate.h"

#include <cmath>
#include <cstdint>
#include <string_view>

#include "records/model/formats.h"
#include "records/model/pattern.h"

namespace custos::records {
namespace {

// kIdPattern (^[A-Za-z0-9_-]{1,64}$) without a regular expression: every
// reference of every write passes here.
bool IsRecordIdText(std::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  for (char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

using nlohmann::json;

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1

// A bound as written in a message: "100", "0.5".
std::string FormatBound(double v) {
  if (std::floor(v) == v && std::fabs(v) <= kMaxSafeInteger) {
    return std::to_string(static_cast<int64_t>(v));
  }
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string Normalized(const FieldSpec& f, std::string_view trimmed) {
  std::string out;
  out.reserve(trimmed.size());
  for (char c : trimmed) {
    switch (f.normalize) {
      case Normalize::kTrim:
        out.push_back(c);
        break;
      case Normalize::kUpper:
        out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
        break;
      case Normalize::kUpperNoSpaces:
        if (c != ' ') out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
        break;
      case Normalize::kLower:
        out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
        break;
    }
  }
  if (f.check == FieldCheck::kEmail) {
    const size_t at = out.find('@');
    for (size_t i = at == std::string::npos ? out.size() : at; i < out.size(); ++i) {
      if (out[i] >= 'A' && out[i] <= 'Z') out[i] = static_cast<char>(out[i] - 'A' + 'a');
    }
  }
  return out;
}

std::string EnumList(const FieldSpec& f) {
  std::string s;
  for (std::string_view v : f.enum_values) {
    if (!s.empty()) s += ", ";
    s += v;
  }
  return s;
}

std::string_view StringTypeReason(FieldType t) {
  switch (t) {
    case FieldType::kDate:
      return "must be a date string (YYYY-MM-DD)";
    case FieldType::kDateTime:
      return "must be an RFC 3339 date-time string";
    case FieldType::kReference:
      return "must be a record id (a string)";
    default:
      return "must be a string";
  }
}

// Checks a string-valued field; on success stores the canonical value in *out
// and returns an empty string, else returns the reason.
std::string CheckString(const FieldSpec& f, const json& v, json* out) {
  if (!v.is_string()) return std::string(StringTypeReason(f.type));
  const std::string& raw = v.get_ref<const std::string&>();
  // Cheap cap before any per-character work: a code point is at most 4 bytes.
  if (raw.size() > static_cast<size_t>(f.max_length) * 4 + 64) {
    return "is longer than " + std::to_string(f.max_length) + " characters";
  }
  const std::optional<size_t> len = Utf8Length(raw);
  if (!len) return "is not valid UTF-8";
  // Surrounding whitespace (including TAB and line breaks) is trimmed first;
  // what remains may hold control characters only where multiline allows.
  const std::string_view trimmed = TrimAscii(raw);
  if (HasControlCharacter(trimmed, f.multiline)) {
    return f.multiline ? "contains a control character"
                       : "contains a line break or control character";
  }
  const std::string value = Normalized(f, trimmed);
  const size_t n = *Utf8Length(value);
  if (n == 0 || n < f.min_length) {
    return n == 0 ? "must not be empty"
                  : "is shorter than " + std::to_string(f.min_length) + " characters";
  }
  if (n > f.max_length) return "is longer than " + std::to_string(f.max_length) + " characters";
  switch (f.type) {
    case FieldType::kDate:
      if (!IsValidDate(value)) return "not a valid date (YYYY-MM-DD)";
      *out = value;
      return {};
    case FieldType::kDateTime: {
      std::optional<std::string> dt = CanonicalDateTime(value);
      if (!dt) return "not a valid RFC 3339 date-time (YYYY-MM-DDThh:mm:ss[.fff]Z or +hh:mm)";
      *out = std::move(*dt);
      return {};
    }
    case FieldType::kEnum:
      for (std::string_view e : f.enum_values) {
        if (e == value) {
          *out = value;
          return {};
        }
      }
      return "must be one of: " + EnumList(f);
    case FieldType::kReference:
      if (!IsRecordIdText(value)) return "not a valid record id";
      *out = value;
      return {};
    default:
      break;
  }
  if (!f.pattern.empty() && !MatchesPattern(f.pattern, value)) {
    return "does not match the required format (" +
           std::string(f.pattern_hint.empty() ? f.pattern : f.pattern_hint) + ")";
  }
  if (f.check == FieldCheck::kEmail && !IsValidEmail(value)) return "not a valid e-mail address";
  if (f.check == FieldCheck::kUln && !IsValidUln(value)) {
    return "not a valid ULN (10 digits, the last a check digit that does not match)";
  }
  *out = value;
  return {};
}

std::string CheckRange(const FieldSpec& f, double d) {
  if (f.minimum && d < *f.minimum) return "must be at least " + FormatBound(*f.minimum);
  if (f.maximum && d > *f.maximum) return "must be at most " + FormatBound(*f.maximum);
  return {};
}

std::string CheckInteger(const FieldSpec& f, const json& v, json* out) {
  if (v.is_number_float()) return "must be an integer (no fractional form such as 5.0)";
  if (!v.is_number_integer()) {
    return v.is_string() ? "must be an integer, not a string" : "must be an integer";
  }
  int64_t i;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(kMaxSafeInteger)) return "is out of range";
    i = static_cast<int64_t>(u);
  } else {
    i = v.get<int64_t>();
    if (i > static_cast<int64_t>(kMaxSafeInteger) || i < -static_cast<int64_t>(kMaxSafeInteger)) {
      return "is out of range";
    }
  }
  std::string reason = CheckRange(f, static_cast<double>(i));
  if (reason.empty()) *out = i;
  return reason;
}

std::string CheckNumber(const FieldSpec& f, const json& v, json* out) {
  if (!v.is_number()) return v.is_string() ? "must be a number, not a string" : "must be a number";
  double d;
  if (v.is_number_unsigned()) {
    d = static_cast<double>(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    d = static_cast<double>(v.get<int64_t>());
  } else {
    d = v.get<double>();
  }
  if (!std::isfinite(d)) return "must be a finite number";
  std::string reason = CheckRange(f, d);
  if (!reason.empty()) return reason;
  if (std::floor(d) == d && std::fabs(d) <= kMaxSafeInteger) {
    *out = static_cast<int64_t>(d);
  } else {
    *out = d;
  }
  return {};
}

std::string CheckValue(const FieldSpec& f, const json& v, json* out) {
  switch (f.type) {
    case FieldType::kInteger:
      return CheckInteger(f, v, out);
    case FieldType::kNumber:
      return CheckNumber(f, v, out);
    case FieldType::kBoolean:
      if (!v.is_boolean())
        return v.is_string() ? "must be true or false, not a string" : "must be true or false";
      *out = v.get<bool>();
      return {};
    default:
      return CheckString(f, v, out);
  }
}

void CheckDateOrders(const EntitySchema& e, const json& record, std::vector<FieldError>* errors) {
  for (const DateOrder& o : e.date_orders) {
    auto a = record.find(std::string(o.earlier));
    auto b = record.find(std::string(o.later));
    if (a == record.end() || b == record.end()) continue;
    // Canonical dates compare correctly as strings.
    if (b->get_ref<const std::string&>() < a->get_ref<const std::string&>()) {
      errors->push_back({std::string(o.later), "must not be before " + std::string(o.earlier)});
    }
  }
}

}  // namespace

FieldError UnknownKeyError(const EntitySchema& entity, std::string_view key) {
  if (IsKnownFieldName(key))
    return {std::string(key), "unknown field for " + std::string(entity.name)};
  std::string reason =
      "a key that is not a field of " + std::string(entity.name) + " (not quoted: it may be data)";
  const std::string_view hint = ClosestFieldName(entity, key);
  if (!hint.empty()) reason += "; did you mean \"" + std::string(hint) + "\"?";
  return {"", std::move(reason)};
}

std::string FieldError::ToString() const {
  if (field.empty()) return reason;
  return "field \"" + field + "\": " + reason;
}

Validation CheckRecord(const EntitySchema& entity, const json& body, Mode mode) {
  Validation out;
  out.record = json::object();
  if (!body.is_object()) {
    out.errors.push_back({"", "body must be a JSON object"});
    return out;
  }
  // Keys that are not fields, first; never their values.
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (entity.FindField(it.key()) != nullptr) continue;
    if (IsServerField(it.key())) {
      out.errors.push_back({it.key(), "is set by the server and cannot be written"});
    } else {
      out.errors.push_back(UnknownKeyError(entity, it.key()));
    }
  }
  for (const FieldSpec& f : entity.fields) {
    const std::string name(f.name);
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) {
      const bool present_null = it != body.end();
      if (mode == Mode::kPatch) {
        if (!present_null) continue;
        if (f.required) {
          out.errors.push_back({name, "is required and cannot be removed"});
        } else {
          out.record[name] = nullptr;
        }
      } else if (f.required) {
        out.errors.push_back({name, "is required"});
      }
      continue;
    }
    json canonical;
    std::string reason = CheckValue(f, *it, &canonical);
    if (!reason.empty()) {
      out.errors.push_back({name, std::move(reason)});
    } else {
      out.record[name] = std::move(canonical);
    }
  }
  if (out.errors.empty() && mode != Mode::kPatch) CheckDateOrders(entity, out.record, &out.errors);
  return out;
}

Status ErrorsToStatus(const std::vector<FieldError>& errors) {
  if (errors.empty()) return Status::OK();
  constexpr size_t kListed = 10;
  std::string msg;
  for (size_t i = 0; i < errors.size() && i < kListed; ++i) {
    if (i > 0) msg += "; ";
    msg += errors[i].ToString();
  }
  if (errors.size() > kListed) msg += "; and " + std::to_string(errors.size() - kListed) + " more";
  return Status::InvalidArgument(std::move(msg));
}

Result<json> ValidateRecord(const EntitySchema& entity, const json& body, Mode mode) {
  Validation v = CheckRecord(entity, body, mode);
  if (!v.ok()) return ErrorsToStatus(v.errors);
  return std::move(v.record);
}

Result<json> ApplyPatch(const EntitySchema& entity, const json& current, const json& patch) {
  ASSIGN_OR_RETURN(json valid_patch, ValidateRecord(entity, patch, Mode::kPatch));
  if (!current.is_object()) return Status::InvalidArgument("stored record is not a JSON object");
  json merged = json::object();
  for (const FieldSpec& f : entity.fields) {
    auto it = current.find(std::string(f.name));
    if (it != current.end() && !it->is_null()) merged[std::string(f.name)] = *it;
  }
  for (auto it = valid_patch.begin(); it != valid_patch.end(); ++it) {
    if (it->is_null()) {
      merged.erase(it.key());
    } else {
      merged[it.key()] = *it;
    }
  }
  return ValidateRecord(entity, merged, Mode::kReplace);
}

Result<SubjectLink> SubjectOf(const EntitySchema& entity, const json& record) {
  SubjectLink link;
  link.kind = entity.subject.kind;
  link.entity = entity.subject.entity;
  if (link.kind == SubjectRule::Kind::kSelf || link.kind == SubjectRule::Kind::kInstitution) {
    return link;
  }
  const std::string field(entity.subject.field);
  auto it = record.is_object() ? record.find(field) : record.end();
  if (!record.is_object() || it == record.end() || !it->is_string()) {
    return Status::InvalidArgument("field \"" + field +
                                   "\": is required to find the record's trainee");
  }
  link.id = it->get<std::string>();
  return link;
}

}  // namespace custos::records
