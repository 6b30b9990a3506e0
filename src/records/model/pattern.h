// Field patterns: ECMAScript regular expressions (the dialect OpenAPI uses),
// matched with std::regex. The only place in the records model that uses
// <regex>, so its compile cost and quirks stay in one file.
//
// Contract: thread-safe; compiled patterns are cached for the life of the
// program (patterns come from the constant entity table, so the cache is
// small). Callers keep values short (the validator checks max_length first):
// libstdc++ matches recursively.
#pragma once

#include <string_view>

namespace custos::records {

// True if `value` matches `pattern` in full; false also when `pattern` is
// not a valid ECMAScript regular expression.
bool MatchesPattern(std::string_view pattern, std::string_view value);

// True if `pattern` compiles as an ECMAScript regular expression.
bool IsValidPattern(std::string_view pattern);

}  // namespace custos::records
