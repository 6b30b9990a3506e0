#include "base/random.h"

#include <sodium.h>

#include <cstdlib>
#include <vector>

#include "base/bytes.h"

namespace custos {
namespace {
struct SodiumInit {
  SodiumInit() {
    if (sodium_init() < 0) std::abort();
  }
};
void EnsureInit() { static SodiumInit init; }
}  // namespace

void RandomFill(std::span<uint8_t> out) {
  if (out.empty()) return;
  EnsureInit();
  randombytes_buf(out.data(), out.size());
}

std::string RandomHex(size_t n) {
  std::vector<uint8_t> b(n);
  RandomFill(b);
  return ToHex(b);
}

uint64_t RandomU64() {
  uint64_t v;
  RandomFill({reinterpret_cast<uint8_t*>(&v), sizeof v});
  return v;
}

}  // namespace custos
