#include "base/random.h"

#include <pthread.h>
#include <sodium.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/bytes.h"

namespace custos {
namespace {

// Bumped in every child after fork(), so no two processes ever continue
// the same generator state.
std::atomic<uint64_t> g_fork_generation{0};

void OnForkChild() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

struct SodiumInit {
  SodiumInit() {
    if (sodium_init() < 0) std::abort();
    pthread_atfork(nullptr, nullptr, OnForkChild);
  }
};
void EnsureInit() { static SodiumInit init; }

// A per-thread "fast key erasure" generator (Bernstein, 2017): ChaCha20
// under a 32-byte key fills a block; the block's first 32 bytes become the
// next key at once and the rest is handed out, each byte once and then
// wiped. A compromise of the state therefore reveals no earlier output. The
// key comes from the kernel at first use, after every fork and after every
// 1 MiB of output. Small draws (ids, nonces, salts) then cost no system call;
// large ones go straight to the kernel.
class ThreadGenerator {
 public:
  static constexpr size_t kMaxDraw = 256;

  void Fill(uint8_t* out, size_t n) {
    const uint64_t gen = g_fork_generation.load(std::memory_order_relaxed);
    if (!seeded_ || gen != generation_ || since_seed_ >= kReseedBytes) Reseed(gen);
    while (n > 0) {
      if (pos_ == block_.size()) Refill();
      const size_t take = std::min(n, block_.size() - pos_);
      std::memcpy(out, block_.data() + pos_, take);
      sodium_memzero(block_.data() + pos_, take);
      pos_ += take;
      out += take;
      n -= take;
      since_seed_ += take;
    }
  }

  ~ThreadGenerator() {
    sodium_memzero(key_.data(), key_.size());
    sodium_memzero(block_.data(), block_.size());
  }

 private:
  static constexpr size_t kReseedBytes = 1 << 20;

  void Reseed(uint64_t gen) {
    randombytes_buf(key_.data(), key_.size());
    generation_ = gen;
    since_seed_ = 0;
    seeded_ = true;
    pos_ = block_.size();  // drop whatever the old key produced
  }

  void Refill() {
    randombytes_buf_deterministic(block_.data(), block_.size(), key_.data());
    std::memcpy(key_.data(), block_.data(), key_.size());
    sodium_memzero(block_.data(), key_.size());
    pos_ = key_.size();
  }

  std::array<uint8_t, randombytes_SEEDBYTES> key_{};
  std::array<uint8_t, 1024> block_{};
  size_t pos_ = 1024;
  size_t since_seed_ = 0;
  uint64_t generation_ = 0;
  bool seeded_ = false;
};

}  // namespace

void RandomFill(std::span<uint8_t> out) {
  if (out.empty()) return;
  EnsureInit();
  if (out.size() > ThreadGenerator::kMaxDraw) {
    randombytes_buf(out.data(), out.size());
    return;
  }
  thread_local ThreadGenerator generator;
  generator.Fill(out.data(), out.size());
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
