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

#ifdef CUSTOS_SIPHASH_AVX512

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;  // little-endian: only x86-64 gets here
}

#define CUSTOS_SIP_TARGET __attribute__((target("avx512f")))
#define CUSTOS_SIP_INLINE CUSTOS_SIP_TARGET __attribute__((always_inline)) inline

bool CpuHasAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

struct State {
  __m512i v0, v1, v2, v3;
};

// vprolq. The zero-masking form with every lane selected, because GCC 12's
// unmasked one starts from an undefined vector that -Wuninitialized flags.
template <int kBits>
CUSTOS_SIP_INLINE __m512i Rotl(__m512i v) {
  return _mm512_maskz_rol_epi64(static_cast<__mmask8>(0xff), v, kBits);
}

CUSTOS_SIP_INLINE void Round(State& s) {
  s.v0 = _mm512_add_epi64(s.v0, s.v1);
  s.v2 = _mm512_add_epi64(s.v2, s.v3);
  s.v1 = _mm512_xor_si512(Rotl<13>(s.v1), s.v0);
  s.v3 = _mm512_xor_si512(Rotl<16>(s.v3), s.v2);
  s.v0 = Rotl<32>(s.v0);
  s.v2 = _mm512_add_epi64(s.v2, s.v1);
  s.v0 = _mm512_add_epi64(s.v0, s.v3);
  s.v1 = _mm512_xor_si512(Rotl<17>(s.v1), s.v2);
  s.v3 = _mm512_xor_si512(Rotl<21>(s.v3), s.v0);
  s.v2 = Rotl<32>(s.v2);
}

CUSTOS_SIP_INLINE __m512i Fold(const State& s) {
  return _mm512_xor_si512(_mm512_xor_si512(s.v0, s.v1), _mm512_xor_si512(s.v2, s.v3));
}

// Up to 8 * kGroups messages (n >= 1), message i in lane i % 8 of group
// i / 8. Block b of a lane is its message's 8-byte word b while
// b < full (read from memory), its last word (the remaining bytes and the
// length) at b == full, and nothing after: those lanes keep their state.
// The groups go through the rounds side by side: each round waits on the
// one before, and another group's round fills the wait.
template <int kGroups>
CUSTOS_SIP_TARGET void Lanes(const uint8_t key[16], const SipInput* in, size_t n, SipDigest* out) {
  constexpr size_t kLanes = 8 * kGroups;
  alignas(64) uint64_t addr[kLanes] = {}, full[kLanes] = {}, last[kLanes] = {};
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
  const State init{_mm512_set1_epi64(static_cast<long long>(k0 ^ 0x736f6d6570736575ULL)),
                   _mm512_set1_epi64(static_cast<long long>(k1 ^ 0x646f72616e646f6dULL ^ 0xee)),
                   _mm512_set1_epi64(static_cast<long long>(k0 ^ 0x6c7967656e657261ULL)),
                   _mm512_set1_epi64(static_cast<long long>(k1 ^ 0x7465646279746573ULL))};
  State s[kGroups];
  __mmask8 lanes[kGroups];
  __m512i fullv[kGroups], lastv[kGroups], at[kGroups];
  for (int g = 0; g < kGroups; ++g) {
    s[g] = init;
    const size_t first = 8 * static_cast<size_t>(g);
    const size_t here = n > first ? std::min<size_t>(8, n - first) : 0;
    lanes[g] = static_cast<__mmask8>((1u << here) - 1);
    fullv[g] = _mm512_load_si512(full + first);
    lastv[g] = _mm512_load_si512(last + first);
    at[g] = _mm512_load_si512(addr + first);
  }
  const __m512i eight = _mm512_set1_epi64(8);
  for (uint64_t b = 0; b <= most; ++b) {
    const __m512i bv = _mm512_set1_epi64(static_cast<long long>(b));
    State t[kGroups];
    __m512i m[kGroups];
    __mmask8 active[kGroups];
#pragma GCC unroll 4
    for (int g = 0; g < kGroups; ++g) {
      // Lanes still inside their message read a word; the others take
      // their last word (ignored by the lanes already done).
      const __mmask8 reading = _mm512_mask_cmplt_epu64_mask(lanes[g], bv, fullv[g]);
      active[g] = _mm512_mask_cmple_epu64_mask(lanes[g], bv, fullv[g]);
      m[g] = _mm512_mask_i64gather_epi64(lastv[g], reading, at[g], nullptr, 1);
      at[g] = _mm512_add_epi64(at[g], eight);
      t[g] = s[g];
      t[g].v3 = _mm512_xor_si512(t[g].v3, m[g]);
    }
#pragma GCC unroll 4
    for (int g = 0; g < kGroups; ++g) Round(t[g]);
#pragma GCC unroll 4
    for (int g = 0; g < kGroups; ++g) Round(t[g]);
#pragma GCC unroll 4
    for (int g = 0; g < kGroups; ++g) {
      t[g].v0 = _mm512_xor_si512(t[g].v0, m[g]);
      s[g].v0 = _mm512_mask_mov_epi64(s[g].v0, active[g], t[g].v0);
      s[g].v1 = _mm512_mask_mov_epi64(s[g].v1, active[g], t[g].v1);
      s[g].v2 = _mm512_mask_mov_epi64(s[g].v2, active[g], t[g].v2);
      s[g].v3 = _mm512_mask_mov_epi64(s[g].v3, active[g], t[g].v3);
    }
  }
  alignas(64) uint64_t lo[kLanes], hi[kLanes];
  for (int g = 0; g < kGroups; ++g) s[g].v2 = _mm512_xor_si512(s[g].v2, _mm512_set1_epi64(0xee));
  for (int r = 0; r < 4; ++r) {
#pragma GCC unroll 4
    for (int g = 0; g < kGroups; ++g) Round(s[g]);
  }
  for (int g = 0; g < kGroups; ++g) {
    _mm512_store_si512(lo + 8 * g, Fold(s[g]));
    s[g].v1 = _mm512_xor_si512(s[g].v1, _mm512_set1_epi64(0xdd));
  }
  for (int r = 0; r < 4; ++r) {
#pragma GCC unroll 4
    for (int g = 0; g < kGroups; ++g) Round(s[g]);
  }
  for (int g = 0; g < kGroups; ++g) _mm512_store_si512(hi + 8 * g, Fold(s[g]));
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
  // One or two messages go one by one: they would leave most lanes idle.
  if (n > 2 && VectorsAvailable() && allow_vectors.load(std::memory_order_relaxed)) {
    size_t i = 0;
    for (; i + 8 < n; i += 16) Lanes<2>(key, in + i, std::min<size_t>(16, n - i), out + i);
    if (i < n) Lanes<1>(key, in + i, n - i, out + i);
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
