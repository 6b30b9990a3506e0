// Cryptographically secure randomness (libsodium's randombytes).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace custos {

void RandomFill(std::span<uint8_t> out);
// 2*n lowercase hex digits from n random bytes.
std::string RandomHex(size_t n);
uint64_t RandomU64();

}  // namespace custos
