// Test helper: checks a JSON value against the subset of OpenAPI 3.0 Schema
// objects that openapi.cc emits (type, format date/date-time, enum,
// minimum/maximum, minLength/maxLength, pattern, required, nullable,
// additionalProperties false). Written independently of the validator so the
// two can be compared. Header-only, for tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "records/model/formats.h"
#include "records/model/pattern.h"

namespace custos::records::testing_util {

inline std::vector<std::string> SchemaViolations(const nlohmann::json& schema,
                                                 const nlohmann::json& value) {
  std::vector<std::string> out;
  if (!value.is_object()) return {"not an object"};
  const nlohmann::json& props = schema.at("properties");
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!props.contains(it.key())) out.push_back(it.key() + ": not in properties");
  }
  if (schema.contains("required")) {
    for (const auto& r : schema["required"]) {
      if (!value.contains(r.get<std::string>())) out.push_back(r.get<std::string>() + ": missing");
    }
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!props.contains(it.key())) continue;
    const nlohmann::json& p = props[it.key()];
    const nlohmann::json& v = *it;
    const std::string& k = it.key();
    if (v.is_null()) {
      if (!p.value("nullable", false)) out.push_back(k + ": null not allowed");
      continue;
    }
    const std::string type = p.at("type");
    if (type == "string") {
      if (!v.is_string()) {
        out.push_back(k + ": not a string");
        continue;
      }
      const std::string& s = v.get_ref<const std::string&>();
      const size_t n = Utf8Length(s).value_or(0);
      if (p.contains("minLength") && n < p["minLength"].get<size_t>()) out.push_back(k + ": short");
      if (p.contains("maxLength") && n > p["maxLength"].get<size_t>()) out.push_back(k + ": long");
      if (p.contains("pattern") && !MatchesPattern(p["pattern"].get<std::string>(), s)) {
        out.push_back(k + ": pattern");
      }
      if (p.contains("enum")) {
        bool found = false;
        for (const auto& e : p["enum"]) found = found || e == v;
        if (!found) out.push_back(k + ": enum");
      }
      const std::string format = p.value("format", "");
      if (format == "date" && !IsValidDate(s)) out.push_back(k + ": date");
      if (format == "date-time" && !CanonicalDateTime(s)) out.push_back(k + ": date-time");
      if (format == "email" && !IsValidEmail(s)) out.push_back(k + ": email");
    } else if (type == "integer" || type == "number") {
      if (type == "integer" ? !v.is_number_integer() : !v.is_number()) {
        out.push_back(k + ": not " + type);
        continue;
      }
      const double d = v.get<double>();
      if (p.contains("minimum") && d < p["minimum"].get<double>()) out.push_back(k + ": minimum");
      if (p.contains("maximum") && d > p["maximum"].get<double>()) out.push_back(k + ": maximum");
    } else if (type == "boolean") {
      if (!v.is_boolean()) out.push_back(k + ": not boolean");
    } else {
      out.push_back(k + ": unexpected type " + type);
    }
  }
  return out;
}

}  // namespace custos::records::testing_util
