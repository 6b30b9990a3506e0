// Cryptographically secure randomness. Draws of up to 256 bytes come from a
// per-thread ChaCha20 generator keyed from the kernel (no system call per
// draw, fresh key after fork); larger draws come from the kernel directly.
// Thread-safe.
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
