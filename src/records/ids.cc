#include "records/ids.h"

#include <array>
#include <chrono>

#include "base/random.h"

namespace custos::records {
namespace {
constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

std::string NewRecordIdAt(uint64_t unix_millis) {
  // 128 bits: 48 time bits then 80 random bits, written as 26 base32 digits
  // (the first digit carries only 3 bits).
  std::array<uint8_t, 16> b;
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(unix_millis >> (40 - 8 * i));
  RandomFill(std::span<uint8_t>(b.data() + 6, 10));
  std::string out(kRecordIdLength, '0');
  // Walk the 130-bit big-endian number (2 leading zero bits) five bits at a time.
  for (size_t i = 0; i < kRecordIdLength; ++i) {
    int bit = static_cast<int>(i) * 5 - 2;  // index of the first bit of digit i
    unsigned v = 0;
    for (int k = 0; k < 5; ++k) {
      int pos = bit + k;
      unsigned bitval = 0;
      if (pos >= 0) bitval = (b[pos / 8] >> (7 - pos % 8)) & 1u;
      v = (v << 1) | bitval;
    }
    out[i] = kCrockford[v];
  }
  return out;
}

std::string NewRecordId() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return NewRecordIdAt(static_cast<uint64_t>(ms));
}

bool IsValidRecordId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

uint64_t NowMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace custos::records
