#include "records/verify_siphash.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CUSTOS_SIPHASH_AVX512 1
#endif

namespace custos::records {
namespace {

std::atomic<bool> allow_vectors{true};

void OneByOne(const uint8_t key[16], const SipInput* in, size_t n, SipDigest* out) {
  for (size_t i = 0; i < n; ++i) {
    crypto_shorthash_siphashx24(out[i].data(), in[i].data, in[i].size, key);
  }
}

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;  // little-endian: x86-64 only reaches the vector path
}

#ifdef CUSTOS_SIPHASH_AVX512

#define CUSTOS_SIP_TARGET __attribute__((target("avx512f")))
#define CUSTOS_SIP_INLINE CUSTOS_SIP_TARGET __attribute__((always_inline)) inline

bool CpuHasAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

struct State {
  __m512i v0, v1, v2, v3;
};

CUSTOS_SIP_INLINE void Round(State& s) {
  s.v0 = _mm512_add_epi64(s.v0, s.v1);
  s.v2 = _mm512_add_epi64(s.v2, s.v3);
  s.v1 = _mm512_xor_si512(_mm512_rol_epi64(s.v1, 13), s.v0);
  s.v3 = _mm512_xor_si512(_mm512_rol_epi64(s.v3, 16), s.v2);
  s.v0 = _mm512_rol_epi64(s.v0, 32);
  s.v2 = _mm512_add_epi64(s.v2, s.v1);
  s.v0 = _mm512_add_epi64(s.v0, s.v3);
  s.v1 = _mm512_xor_si512(_mm512_rol_epi64(s.v1, 17), s.v2);
  s.v3 = _mm512_xor_si512(_mm512_rol_epi64(s.v3, 21), s.v0);
  s.v2 = _mm512_rol_epi64(s.v2, 32);
}

CUSTOS_SIP_INLINE __m512i Fold(const State& s) {
  return _mm512_xor_si512(_mm512_xor_si512(s.v0, s.v1), _mm512_xor_si512(s.v2, s.v3));
}

// Up to eight messages (n in 1..8), lane i for message i. Block b of lane i
// is its message's 8-byte word b while b < full[i] (read from memory), its
// last word (the remaining bytes and the length) at b == full[i], and
// nothing after: those lanes keep their state.
CUSTOS_SIP_TARGET void Eight(const uint8_t key[16], const SipInput* in, size_t n, SipDigest* out) {
  alignas(64) uint64_t addr[8] = {}, full[8] = {}, last[8] = {};
  uint64_t most = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t whole = in[i].size / 8;
    addr[i] = reinterpret_cast<uint64_t>(in[i].data);
    full[i] = whole;
    uint64_t b = static_cast<uint64_t>(in[i].size) << 56;
    const size_t left = in[i].size % 8;
    for (size_t j = 0; j < left; ++j) {
      b |= static_cast<uint64_t>(in[i].data[8 * whole + j]) << (8 * j);
    }
    last[i] = b;
    most = std::max<uint64_t>(most, whole);
  }
  const uint64_t k0 = Load64(key), k1 = Load64(key + 8);
  State s{_mm512_set1_epi64(static_cast<long long>(k0 ^ 0x736f6d6570736575ULL)),
          _mm512_set1_epi64(static_cast<long long>(k1 ^ 0x646f72616e646f6dULL ^ 0xee)),
          _mm512_set1_epi64(static_cast<long long>(k0 ^ 0x6c7967656e657261ULL)),
          _mm512_set1_epi64(static_cast<long long>(k1 ^ 0x7465646279746573ULL))};
  const __mmask8 lanes = static_cast<__mmask8>((1u << n) - 1);
  const __m512i fullv = _mm512_load_si512(full);
  const __m512i lastv = _mm512_load_si512(last);
  __m512i at = _mm512_load_si512(addr);
  const __m512i eight = _mm512_set1_epi64(8);
  for (uint64_t b = 0; b <= most; ++b) {
    const __m512i bv = _mm512_set1_epi64(static_cast<long long>(b));
    // Lanes still inside their message read a word; the others take their
    // last word (ignored by the lanes already done).
    const __mmask8 reading = _mm512_mask_cmplt_epu64_mask(lanes, bv, fullv);
    const __mmask8 active = _mm512_mask_cmple_epu64_mask(lanes, bv, fullv);
    const __m512i m = _mm512_mask_i64gather_epi64(lastv, reading, at, nullptr, 1);
    at = _mm512_add_epi64(at, eight);
    State t = s;
    t.v3 = _mm512_xor_si512(t.v3, m);
    Round(t);
    Round(t);
    t.v0 = _mm512_xor_si512(t.v0, m);
    s.v0 = _mm512_mask_mov_epi64(s.v0, active, t.v0);
    s.v1 = _mm512_mask_mov_epi64(s.v1, active, t.v1);
    s.v2 = _mm512_mask_mov_epi64(s.v2, active, t.v2);
    s.v3 = _mm512_mask_mov_epi64(s.v3, active, t.v3);
  }
  s.v2 = _mm512_xor_si512(s.v2, _mm512_set1_epi64(0xee));
  for (int r = 0; r < 4; ++r) Round(s);
  alignas(64) uint64_t lo[8], hi[8];
  _mm512_store_si512(lo, Fold(s));
  s.v1 = _mm512_xor_si512(s.v1, _mm512_set1_epi64(0xdd));
  for (int r = 0; r < 4; ++r) Round(s);
  _mm512_store_si512(hi, Fold(s));
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(out[i].data(), &lo[i], 8);
    std::memcpy(out[i].data() + 8, &hi[i], 8);
  }
}

bool VectorsAvailable() {
  static const bool available = CpuHasAvx512();
  return available;
}

#else

bool VectorsAvailable() { return false; }

#endif

}  // namespace

void SipHashX24Many(const uint8_t key[16], const SipInput* in, size_t n, SipDigest* out) {
#ifdef CUSTOS_SIPHASH_AVX512
  // One or two messages are as quick one by one.
  if (n > 2 && VectorsAvailable() && allow_vectors.load(std::memory_order_relaxed)) {
    for (size_t i = 0; i < n; i += 8) Eight(key, in + i, std::min<size_t>(8, n - i), out + i);
    return;
  }
#endif
  OneByOne(key, in, n, out);
}

bool UseSipHashVectorsForTesting(bool allow) {
  allow_vectors.store(allow, std::memory_order_relaxed);
  return VectorsAvailable();
}

}  // namespace custos::records
