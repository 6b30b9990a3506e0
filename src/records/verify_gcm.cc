#include "records/verify_gcm.h"

#include <cstring>

#include "crypto/aead.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define CUSTOS_GCM_NI 1
#endif

namespace custos::records {

#ifdef CUSTOS_GCM_NI
namespace {

#define CUSTOS_GCM_TARGET __attribute__((target("aes,pclmul,ssse3,sse4.1")))
#define CUSTOS_GCM_INLINE CUSTOS_GCM_TARGET __attribute__((always_inline)) inline

bool CpuHasGcmInstructions() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
  const unsigned pclmul = 1u << 1, ssse3 = 1u << 9, sse41 = 1u << 19, aes = 1u << 25;
  return (c & (pclmul | ssse3 | sse41 | aes)) == (pclmul | ssse3 | sse41 | aes);
}

CUSTOS_GCM_INLINE __m128i Load(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
CUSTOS_GCM_INLINE void Store(uint8_t* p, __m128i v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}
// GHASH works on blocks byte-reversed, so that the polynomial's bit order
// matches the instructions' (Gueron and Kounavis, "Intel Carry-Less
// Multiplication Instruction and its Usage for Computing the GCM Mode").
CUSTOS_GCM_INLINE __m128i Reverse(__m128i v) {
  return _mm_shuffle_epi8(v, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

// --- AES-256 (FIPS 197) ---------------------------------------------------

struct RoundKeys {
  __m128i k[15];
};

// w ^ (w << 32) ^ (w << 64) ^ (w << 96): each word XORed with the words
// before it, as the key schedule chains them.
CUSTOS_GCM_INLINE __m128i Chain(__m128i w) {
  w = _mm_xor_si128(w, _mm_slli_si128(w, 4));
  return _mm_xor_si128(w, _mm_slli_si128(w, 8));
}

// Round keys i and i + 1 from the two before them.
template <int kRcon>
CUSTOS_GCM_INLINE void ExpandPair(RoundKeys& rk, int i) {
  const __m128i a = _mm_xor_si128(
      Chain(rk.k[i - 2]), _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk.k[i - 1], kRcon), 0xff));
  rk.k[i] = a;
  if (i + 1 < 15) {
    rk.k[i + 1] =
        _mm_xor_si128(Chain(rk.k[i - 1]), _mm_shuffle_epi32(_mm_aeskeygenassist_si128(a, 0), 0xaa));
  }
}

CUSTOS_GCM_INLINE void ExpandKey(const uint8_t key[32], RoundKeys& rk) {
  rk.k[0] = Load(key);
  rk.k[1] = Load(key + 16);
  ExpandPair<0x01>(rk, 2);
  ExpandPair<0x02>(rk, 4);
  ExpandPair<0x04>(rk, 6);
  ExpandPair<0x08>(rk, 8);
  ExpandPair<0x10>(rk, 10);
  ExpandPair<0x20>(rk, 12);
  ExpandPair<0x40>(rk, 14);
}

// Encrypts N blocks side by side (the rounds of one block wait on each
// other; those of different blocks do not).
template <int N>
CUSTOS_GCM_INLINE void Encrypt(const RoundKeys& rk, __m128i* x) {
  // Unrolled, so that the blocks stay in registers.
#pragma GCC unroll 8
  for (int j = 0; j < N; ++j) x[j] = _mm_xor_si128(x[j], rk.k[0]);
#pragma GCC unroll 13
  for (int r = 1; r < 14; ++r) {
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j) x[j] = _mm_aesenc_si128(x[j], rk.k[r]);
  }
#pragma GCC unroll 8
  for (int j = 0; j < N; ++j) x[j] = _mm_aesenclast_si128(x[j], rk.k[14]);
}

// --- GHASH over GF(2^128) -------------------------------------------------

// A product before reduction: 256 bits.
struct Wide {
  __m128i lo = _mm_setzero_si128();
  __m128i hi = _mm_setzero_si128();
};

CUSTOS_GCM_INLINE void MulAdd(__m128i a, __m128i b, Wide& acc) {
  const __m128i mid =
      _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10), _mm_clmulepi64_si128(a, b, 0x01));
  acc.lo = _mm_xor_si128(acc.lo,
                         _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x00), _mm_slli_si128(mid, 8)));
  acc.hi = _mm_xor_si128(acc.hi,
                         _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x11), _mm_srli_si128(mid, 8)));
}

// Shifts the 256-bit product left by one bit (the reflected bit order) and
// reduces it modulo x^128 + x^7 + x^2 + x + 1. Linear, so a sum of products
// can be reduced once.
CUSTOS_GCM_INLINE __m128i Reduce(const Wide& w) {
  __m128i lo = w.lo, hi = w.hi;
  const __m128i lo_carry = _mm_srli_epi32(lo, 31);
  const __m128i hi_carry = _mm_srli_epi32(hi, 31);
  lo = _mm_or_si128(_mm_slli_epi32(lo, 1), _mm_slli_si128(lo_carry, 4));
  hi = _mm_or_si128(_mm_or_si128(_mm_slli_epi32(hi, 1), _mm_slli_si128(hi_carry, 4)),
                    _mm_srli_si128(lo_carry, 12));
  __m128i t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)),
                            _mm_slli_epi32(lo, 25));
  const __m128i t_high = _mm_srli_si128(t, 4);
  lo = _mm_xor_si128(lo, _mm_slli_si128(t, 12));
  __m128i u = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)),
                            _mm_srli_epi32(lo, 7));
  u = _mm_xor_si128(u, t_high);
  return _mm_xor_si128(hi, _mm_xor_si128(lo, u));
}

CUSTOS_GCM_INLINE __m128i Mul(__m128i a, __m128i b) {
  Wide w;
  MulAdd(a, b, w);
  return Reduce(w);
}

struct Ghash {
  __m128i h1, h2, h3, h4;  // powers of the hash key (byte-reversed)
  __m128i x = _mm_setzero_si128();

  CUSTOS_GCM_INLINE void One(__m128i block) { x = Mul(_mm_xor_si128(x, block), h1); }
  // Four blocks with one reduction: (x + b0)H^4 + b1 H^3 + b2 H^2 + b3 H.
  CUSTOS_GCM_INLINE void Four(const __m128i* b) {
    Wide w;
    MulAdd(_mm_xor_si128(x, b[0]), h4, w);
    MulAdd(b[1], h3, w);
    MulAdd(b[2], h2, w);
    MulAdd(b[3], h1, w);
    x = Reduce(w);
  }
  // `n` bytes, the last block padded with zeros.
  CUSTOS_GCM_INLINE void Bytes(const uint8_t* p, size_t n) {
    for (; n >= 64; p += 64, n -= 64) {
      const __m128i b[4] = {Reverse(Load(p)), Reverse(Load(p + 16)), Reverse(Load(p + 32)),
                            Reverse(Load(p + 48))};
      Four(b);
    }
    for (; n >= 16; p += 16, n -= 16) One(Reverse(Load(p)));
    if (n > 0) {
      alignas(16) uint8_t last[16] = {};
      std::memcpy(last, p, n);
      One(Reverse(Load(last)));
    }
  }
};

// Zeroes key material on the stack inline, without a library call per
// entry; the empty asm that reads the memory keeps the compiler from
// dropping the stores.
inline void Wipe(void* p, size_t n) {
  std::memset(p, 0, n);
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

// The counter block `c` of a nonce (`base`: the nonce and a zero counter).
CUSTOS_GCM_INLINE __m128i Counter(__m128i base, uint32_t c) {
  return _mm_insert_epi32(base, static_cast<int>(__builtin_bswap32(c)), 3);
}

// Hashes N whole blocks (N a multiple of 4) of ciphertext at `ct`, then
// decrypts them into `out` (which may be `ct`) with counters c, c + 1, ...
template <int N>
CUSTOS_GCM_INLINE void DecryptBlocks(const RoundKeys& rk, __m128i base, uint32_t c,
                                     const uint8_t* ct, uint8_t* out, Ghash& g) {
  __m128i in[N], rev[N], ks[N];
#pragma GCC unroll 8
  for (int j = 0; j < N; ++j) {
    in[j] = Load(ct + 16 * j);
    rev[j] = Reverse(in[j]);
    ks[j] = Counter(base, c + static_cast<uint32_t>(j));
  }
  Encrypt<N>(rk, ks);
#pragma GCC unroll 2
  for (int j = 0; j < N; j += 4) g.Four(rev + j);
#pragma GCC unroll 8
  for (int j = 0; j < N; ++j) Store(out + 16 * j, _mm_xor_si128(in[j], ks[j]));
}

CUSTOS_GCM_TARGET bool Open(const uint8_t key[32], const uint8_t nonce[12], ByteView aad,
                            const uint8_t* ct, size_t n, const uint8_t tag[16], uint8_t* out) {
  RoundKeys rk;
  ExpandKey(key, rk);
  alignas(16) uint8_t j0[16] = {};
  std::memcpy(j0, nonce, 12);
  const __m128i base = Load(j0);  // counter 0; J0 is counter 1

  // H = E(K, 0) and E(K, J0), which masks the tag.
  __m128i first[2] = {_mm_setzero_si128(), Counter(base, 1)};
  Encrypt<2>(rk, first);
  Ghash g;
  g.h1 = Reverse(first[0]);
  g.h2 = Mul(g.h1, g.h1);
  g.h3 = Mul(g.h2, g.h1);
  g.h4 = Mul(g.h2, g.h2);
  g.Bytes(aad.data(), aad.size());

  // The ciphertext, eight blocks at a time, then four, then one (eight keep
  // the AES unit busy while each round waits on the one before), decrypted
  // with counters 2, 3, ...
  uint32_t c = 2;
  size_t i = 0;
  for (; i + 128 <= n; i += 128, c += 8) DecryptBlocks<8>(rk, base, c, ct + i, out + i, g);
  for (; i + 64 <= n; i += 64, c += 4) DecryptBlocks<4>(rk, base, c, ct + i, out + i, g);
  for (; i < n; i += 16, ++c) {
    const size_t len = n - i < 16 ? n - i : 16;
    alignas(16) uint8_t block[16] = {};
    std::memcpy(block, ct + i, len);
    const __m128i in = Load(block);
    __m128i ks[1] = {Counter(base, c)};
    g.One(Reverse(in));
    Encrypt<1>(rk, ks);
    Store(block, _mm_xor_si128(in, ks[0]));
    std::memcpy(out + i, block, len);
    Wipe(block, sizeof(block));
  }

  // The lengths in bits, as two 64-bit big-endian numbers (aad first).
  g.One(_mm_set_epi64x(static_cast<long long>(aad.size() * 8), static_cast<long long>(n * 8)));
  const __m128i computed = _mm_xor_si128(Reverse(g.x), first[1]);
  const __m128i diff = _mm_xor_si128(computed, Load(tag));
  const bool ok = _mm_testz_si128(diff, diff) != 0;

  Wipe(&rk, sizeof(rk));
  Wipe(&g, sizeof(g));
  Wipe(first, sizeof(first));
  if (!ok && n > 0) SecureWipe(out, n);
  return ok;
}

}  // namespace

bool VerifyGcmAvailable() {
  static const bool available = CpuHasGcmInstructions();
  return available;
}

bool VerifyGcmOpen(const uint8_t key[32], const uint8_t nonce[12], ByteView aad, const uint8_t* ct,
                   size_t n, const uint8_t tag[16], uint8_t* out) {
  return Open(key, nonce, aad, ct, n, tag, out);
}

#else

bool VerifyGcmAvailable() { return false; }

bool VerifyGcmOpen(const uint8_t*, const uint8_t*, ByteView, const uint8_t*, size_t, const uint8_t*,
                   uint8_t* out) {
  (void)out;
  return false;
}

#endif

}  // namespace custos::records
