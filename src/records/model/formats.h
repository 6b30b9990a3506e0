// Text checks shared by the validator and the importer: UTF-8, calendar
// dates, RFC 3339 date-times, e-mail addresses, the ULN check digit.
//
// Contract: pure functions over their arguments; safe from any thread. None of
// them keeps or reports the text it was given, so callers can build error
// messages that never echo a value.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace custos::records {

// The number of code points in `s` if it is well-formed UTF-8 (no overlong
// forms, no surrogates, nothing above U+10FFFF); nullopt otherwise.
std::optional<size_t> Utf8Length(std::string_view s);

// True if `s` contains a C0 control character or DEL; TAB, LF and CR are
// allowed when `multiline` is true.
bool HasControlCharacter(std::string_view s, bool multiline);

// `s` without leading and trailing ASCII whitespace (space, TAB, LF, CR, VT, FF).
std::string_view TrimAscii(std::string_view s);

// "YYYY-MM-DD" naming a real day of the proleptic Gregorian calendar, years
// 0001-9999. Exactly ten characters: no time, no spaces.
bool IsValidDate(std::string_view s);

// RFC 3339 section 5.6 date-time: full-date "T" full-time, with a fraction of
// any length up to 9 digits and an offset "Z" or "+hh:mm" / "-hh:mm". Lower
// case "t" and "z" are accepted; seconds may be 60 (leap second). Returns the
// canonical form (upper-case "T" and "Z", otherwise unchanged) or nullopt.
std::optional<std::string> CanonicalDateTime(std::string_view s);

// A pragmatic addr-spec: dot-atom local part (<= 64 octets) "@" a domain of
// at least two DNS labels (letters, digits, hyphens; <= 63 octets each, the
// last alphabetic). No quoted local parts, no IP literals. <= 254 octets.
bool IsValidEmail(std::string_view s);

// UK Unique Learner Number: ten digits, the first non-zero, and
// sum(d_i * (11 - i)) for i = 1..10 leaves remainder 10 modulo 11 (weights
// 10, 9, ..., 2, 1), which is the same as: the tenth digit equals 10 minus the
// remainder of the weighted sum of the first nine, with remainder 0 invalid.
bool IsValidUln(std::string_view s);

// Levenshtein distance between a and b (bytes), or `cap` + 1 if it is more
// than `cap`; used to suggest a field name for a misspelt key.
size_t EditDistance(std::string_view a, std::string_view b, size_t cap);

}  // namespace custos::records
