// Record ids: 26 characters of Crockford base32 (0-9, A-Z without I L O U),
// a 48-bit millisecond timestamp followed by 80 random bits, like a ULID.
// Ids sort roughly by creation time, so list pages come out oldest first,
// and carry nothing about the record's contents. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace custos::records {

inline constexpr size_t kRecordIdLength = 26;

std::string NewRecordId();
std::string NewRecordIdAt(uint64_t unix_millis);
// True for ids a client may name: [A-Za-z0-9_-]{1,64} (the model's kIdPattern).
bool IsValidRecordId(std::string_view id);
uint64_t NowMicros();

}  // namespace custos::records
