// Byte buffers and their text encodings.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace custos {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using Hash256 = std::array<uint8_t, 32>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsString(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string ToHex(ByteView data);
Result<Bytes> FromHex(std::string_view hex);
// Parses exactly 64 hex digits.
Result<Hash256> Hash256FromHex(std::string_view hex);
inline std::string ToHex(const Hash256& h) { return ToHex(ByteView(h)); }

std::string ToBase64(ByteView data);
Result<Bytes> FromBase64(std::string_view text);

// Little-endian fixed-width integers.
void PutU32(Bytes& out, uint32_t v);
void PutU64(Bytes& out, uint64_t v);
uint32_t GetU32(const uint8_t* p);
uint64_t GetU64(const uint8_t* p);

// Constant-time comparison for secrets and MACs.
bool ConstantTimeEqual(ByteView a, ByteView b);

}  // namespace custos
