// Strict JSON parsing for request bodies and JSON imports.
//
// Contract
// - Stricter than nlohmann::json::parse: an object with the same key twice is
//   rejected (a silent "last one wins" could hide a field from review), as is
//   nesting deeper than JsonLimits::max_depth and input larger than
//   JsonLimits::max_bytes. Invalid UTF-8 and comments are rejected.
// - Error messages (InvalidArgument) give a position (line and column of the
//   syntax error, or the 1-based element of a top-level array holding a
//   duplicate key) and never quote the input, which may be personal data;
//   a duplicate key is named only when IsKnownFieldName() holds.
// - Pure function; safe from any thread. nlohmann exceptions never escape.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "base/result.h"

namespace custos::records {

struct JsonLimits {
  size_t max_bytes = size_t{1} << 20;  // 1 MiB: one API body
  int max_depth = 64;
};

Result<nlohmann::json> ParseJsonStrict(std::string_view text, const JsonLimits& limits = {});

}  // namespace custos::records
