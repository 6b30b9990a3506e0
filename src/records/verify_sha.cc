#include "records/verify_sha.h"

// The portable path uses the low-level SHA256_* calls, as verify_crypto.cc
// does (deprecated in OpenSSL 3, but without EVP's dispatch); where a build
// drops them, crypto/hash.h takes over.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <atomic>
#include <cstdint>
#include <cstring>

#include "crypto/aead.h"
#include "crypto/hash.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define CUSTOS_SHA_NI 1
#endif

namespace custos::records {
namespace {

// Messages of up to this many padded blocks take the paired path.
constexpr size_t kMaxBlocks = 8;
constexpr size_t kBlock = 64;

// Copies p1 || p2 into `buf` (kMaxBlocks blocks) with SHA-256's padding
// (0x80, zeros, the bit length as 64 bits big-endian). Returns the number of
// blocks, or 0 when the message does not fit.
size_t Pad(ByteView p1, ByteView p2, uint8_t* buf) {
  const size_t n = p1.size() + p2.size();
  if (n > kMaxBlocks * kBlock - 9) return 0;
  const size_t blocks = (n + 9 + kBlock - 1) / kBlock;
  if (!p1.empty()) std::memcpy(buf, p1.data(), p1.size());
  if (!p2.empty()) std::memcpy(buf + p1.size(), p2.data(), p2.size());
  buf[n] = 0x80;
  std::memset(buf + n + 1, 0, blocks * kBlock - n - 1 - 8);
  const uint64_t bits = static_cast<uint64_t>(n) * 8;
  for (int i = 0; i < 8; ++i) buf[blocks * kBlock - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  return blocks;
}

void Sha256Parts(ByteView p1, ByteView p2, Hash256& out) {
#ifndef OPENSSL_NO_DEPRECATED_3_0
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, p1.data(), p1.size());
  SHA256_Update(&ctx, p2.data(), p2.size());
  SHA256_Final(out.data(), &ctx);
  SecureWipe(&ctx, sizeof(ctx));
#else
  Sha256Stream s;
  s.Update(p1);
  s.Update(p2);
  out = s.Finish();
#endif
}

#ifdef CUSTOS_SHA_NI

#define CUSTOS_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

alignas(16) constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

bool CpuHasShaExtensions() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
  const bool ssse3 = (c & (1u << 9)) != 0, sse41 = (c & (1u << 19)) != 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
  return ssse3 && sse41 && (b & (1u << 29)) != 0;
}

// The state as the SHA instructions hold it: words (A, B, E, F) and
// (C, D, G, H).
struct NiState {
  __m128i abef, cdgh;
};

CUSTOS_SHA_TARGET NiState InitialState() {
  // H0..H7 of FIPS 180-4, arranged as ABEF and CDGH.
  return {_mm_set_epi32(0x6a09e667, 0xbb67ae85, 0x510e527f, 0x9b05688c),
          _mm_set_epi32(0x3c6ef372, 0xa54ff53a, 0x1f83d9ab, 0x5be0cd19)};
}

CUSTOS_SHA_TARGET void StoreDigest(const NiState& s, Hash256& out) {
  // Back to A..H, each word big-endian.
  const __m128i feba = _mm_shuffle_epi32(s.abef, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xB1);
  const __m128i dcba = _mm_blend_epi16(feba, dchg, 0xF0);
  const __m128i hgfe = _mm_alignr_epi8(dchg, feba, 8);
  const __m128i swap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out.data()), _mm_shuffle_epi8(dcba, swap));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out.data() + 16), _mm_shuffle_epi8(hgfe, swap));
}

CUSTOS_SHA_TARGET NiState LoadState(const uint32_t h[8]) {
  return {_mm_set_epi32(static_cast<int>(h[0]), static_cast<int>(h[1]), static_cast<int>(h[4]),
                        static_cast<int>(h[5])),
          _mm_set_epi32(static_cast<int>(h[2]), static_cast<int>(h[3]), static_cast<int>(h[6]),
                        static_cast<int>(h[7]))};
}

CUSTOS_SHA_TARGET void StoreState(const NiState& s, uint32_t h[8]) {
  const __m128i feba = _mm_shuffle_epi32(s.abef, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xB1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h + 4), _mm_alignr_epi8(dchg, feba, 8));
}

// One compression in progress: the working state and the last four
// message-schedule vectors (w0 oldest).
struct NiRound {
  __m128i abef, cdgh, w0, w1, w2, w3;
};

// Rounds 4g..4g+3 of `r` over `block`.
CUSTOS_SHA_TARGET __attribute__((always_inline)) inline void Rounds(NiRound& r, int g,
                                                                    const uint8_t* block,
                                                                    __m128i k) {
  __m128i m;
  if (g < 4) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    m = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * g)),
                         byteswap);
  } else {
    // W[i..i+3] from W[i-16..i-1] (w0..w3).
    m = _mm_sha256msg1_epu32(r.w0, r.w1);
    m = _mm_add_epi32(m, _mm_alignr_epi8(r.w3, r.w2, 4));
    m = _mm_sha256msg2_epu32(m, r.w3);
  }
  r.w0 = r.w1;
  r.w1 = r.w2;
  r.w2 = r.w3;
  r.w3 = m;
  const __m128i t = _mm_add_epi32(m, k);
  r.cdgh = _mm_sha256rnds2_epu32(r.cdgh, r.abef, t);
  r.abef = _mm_sha256rnds2_epu32(r.abef, r.cdgh, _mm_shuffle_epi32(t, 0x0E));
}

// One block of one message.
CUSTOS_SHA_TARGET void Compress1(NiState& s, const uint8_t* block) {
  NiRound r{s.abef, s.cdgh, {}, {}, {}, {}};
#pragma GCC unroll 16
  for (int g = 0; g < 16; ++g) {
    Rounds(r, g, block, _mm_load_si128(reinterpret_cast<const __m128i*>(&kRound[4 * g])));
  }
  s.abef = _mm_add_epi32(s.abef, r.abef);
  s.cdgh = _mm_add_epi32(s.cdgh, r.cdgh);
}

// One block of each of two messages, the two compressions interleaved
// round by round (they are independent: the CPU overlaps them).
CUSTOS_SHA_TARGET void Compress2(NiState& s, const uint8_t* block, NiState& t,
                                 const uint8_t* block_t) {
  NiRound r{s.abef, s.cdgh, {}, {}, {}, {}};
  NiRound q{t.abef, t.cdgh, {}, {}, {}, {}};
#pragma GCC unroll 16
  for (int g = 0; g < 16; ++g) {
    const __m128i k = _mm_load_si128(reinterpret_cast<const __m128i*>(&kRound[4 * g]));
    Rounds(r, g, block, k);
    Rounds(q, g, block_t, k);
  }
  s.abef = _mm_add_epi32(s.abef, r.abef);
  s.cdgh = _mm_add_epi32(s.cdgh, r.cdgh);
  t.abef = _mm_add_epi32(t.abef, q.abef);
  t.cdgh = _mm_add_epi32(t.cdgh, q.cdgh);
}

// The paired path: both messages padded, their common blocks compressed
// together, the longer one's rest alone.
CUSTOS_SHA_TARGET bool PairWithShaExtensions(ByteView a1, ByteView a2, ByteView b1, ByteView b2,
                                             Hash256& out_a, Hash256& out_b) {
  alignas(16) uint8_t buf[2][kMaxBlocks * kBlock];
  const size_t blocks[2] = {Pad(a1, a2, buf[0]), Pad(b1, b2, buf[1])};
  const bool fits = blocks[0] != 0 && blocks[1] != 0;
  if (fits) {
    NiState state[2] = {InitialState(), InitialState()};
    size_t i = 0;
    for (; i < blocks[0] && i < blocks[1]; ++i) {
      Compress2(state[0], buf[0] + i * kBlock, state[1], buf[1] + i * kBlock);
    }
    for (int m = 0; m < 2; ++m) {
      for (size_t j = i; j < blocks[m]; ++j) Compress1(state[m], buf[m] + j * kBlock);
      StoreDigest(state[m], m == 0 ? out_a : out_b);
    }
  }
  for (int m = 0; m < 2; ++m) SecureWipe(buf[m], blocks[m] * kBlock);
  return fits;
}

// The state after one block, from the initial state.
CUSTOS_SHA_TARGET void StateAfterBlock(const uint8_t block[kBlock], uint32_t h[8]) {
  NiState s = InitialState();
  Compress1(s, block);
  StoreState(s, h);
}

// The last block of a message whose first block is done and whose rest,
// `tail` (at most 55 bytes), fits in one more block.
void LastBlock(ByteView tail, uint8_t block[kBlock]) {
  std::memset(block, 0, kBlock);
  if (!tail.empty()) std::memcpy(block, tail.data(), tail.size());
  block[tail.size()] = 0x80;
  const uint64_t bits = (kBlock + tail.size()) * 8;
  for (int i = 0; i < 8; ++i) block[kBlock - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
}

// The digest of a message whose first block left state `h` and whose rest,
// `tail` (at most 55 bytes), fits in one more block.
CUSTOS_SHA_TARGET void FinishAfterBlock(const uint32_t h[8], ByteView tail, Hash256& out) {
  alignas(16) uint8_t block[kBlock];
  LastBlock(tail, block);
  NiState s = LoadState(h);
  Compress1(s, block);
  StoreDigest(s, out);
  SecureWipe(block, sizeof(block));
}

// FinishAfterBlock for two messages, their compressions interleaved.
CUSTOS_SHA_TARGET void FinishTwoAfterBlock(const uint32_t ha[8], ByteView tail_a,
                                           const uint32_t hb[8], ByteView tail_b, Hash256& out_a,
                                           Hash256& out_b) {
  alignas(16) uint8_t a[kBlock], b[kBlock];
  LastBlock(tail_a, a);
  LastBlock(tail_b, b);
  NiState s = LoadState(ha), t = LoadState(hb);
  Compress2(s, a, t, b);
  StoreDigest(s, out_a);
  StoreDigest(t, out_b);
  SecureWipe(a, sizeof(a));
  SecureWipe(b, sizeof(b));
}

// The two padded blocks of an interior node's message (65 bytes).
void NodeBlocks(const Hash256& left, const Hash256& right, uint8_t* blocks) {
  blocks[0] = 0x01;
  std::memcpy(blocks + 1, left.data(), 32);
  std::memcpy(blocks + 33, right.data(), 32);
  blocks[65] = 0x80;
  std::memset(blocks + 66, 0, 2 * kBlock - 66);
  const uint64_t bits = 65 * 8;
  blocks[2 * kBlock - 2] = static_cast<uint8_t>(bits >> 8);
  blocks[2 * kBlock - 1] = static_cast<uint8_t>(bits);
}

CUSTOS_SHA_TARGET void NodesWithShaExtensions(const Hash256* children, size_t n, Hash256* out) {
  alignas(16) uint8_t a[2 * kBlock], b[2 * kBlock];
  size_t i = 0;
  for (; i + 1 < n; i += 2) {
    NodeBlocks(children[2 * i], children[2 * i + 1], a);
    NodeBlocks(children[2 * i + 2], children[2 * i + 3], b);
    NiState s = InitialState(), t = InitialState();
    Compress2(s, a, t, b);
    Compress2(s, a + kBlock, t, b + kBlock);
    StoreDigest(s, out[i]);
    StoreDigest(t, out[i + 1]);
  }
  if (i < n) {
    NodeBlocks(children[2 * i], children[2 * i + 1], a);
    NiState s = InitialState();
    Compress1(s, a);
    Compress1(s, a + kBlock);
    StoreDigest(s, out[i]);
  }
}

std::atomic<bool> g_allow_sha_extensions{true};

bool ShaExtensionsAllowed() {
  static const bool has_sha = CpuHasShaExtensions();
  return has_sha && g_allow_sha_extensions.load(std::memory_order_relaxed);
}

#endif  // CUSTOS_SHA_NI

}  // namespace

void VerifySha256Pair(ByteView a1, ByteView a2, ByteView b1, ByteView b2, Hash256& out_a,
                      Hash256& out_b) {
#ifdef CUSTOS_SHA_NI
  if (ShaExtensionsAllowed() && PairWithShaExtensions(a1, a2, b1, b2, out_a, out_b)) return;
#endif
  Sha256Parts(a1, a2, out_a);
  Sha256Parts(b1, b2, out_b);
}

void VerifyNodeHashes(const Hash256* children, size_t n, Hash256* out) {
#ifdef CUSTOS_SHA_NI
  if (ShaExtensionsAllowed()) {
    NodesWithShaExtensions(children, n, out);
    return;
  }
#endif
  const uint8_t prefix = 0x01;
  for (size_t i = 0; i < n; ++i) {
    uint8_t both[64];
    std::memcpy(both, children[2 * i].data(), 32);
    std::memcpy(both + 32, children[2 * i + 1].data(), 32);
    Sha256Parts(ByteView(&prefix, 1), ByteView(both, sizeof(both)), out[i]);
  }
}

SubjectHmac::SubjectHmac(ByteView key) : hmac_(key) {
#ifdef CUSTOS_SHA_NI
  if (!ShaExtensionsAllowed()) return;
  // RFC 2104: the key (hashed first when longer than a block) padded to a
  // block, XORed with ipad and opad.
  uint8_t pad[kBlock] = {};
  if (key.size() > kBlock) {
    Hash256 h = Sha256(key);
    std::memcpy(pad, h.data(), h.size());
    SecureWipe(h.data(), h.size());
  } else if (!key.empty()) {
    std::memcpy(pad, key.data(), key.size());
  }
  for (uint8_t& b : pad) b ^= 0x36;
  StateAfterBlock(pad, inner_);
  for (uint8_t& b : pad) b ^= 0x36 ^ 0x5c;
  StateAfterBlock(pad, outer_);
  SecureWipe(pad, sizeof(pad));
  fast_ = true;
#endif
}

SubjectHmac::~SubjectHmac() {
  SecureWipe(inner_, sizeof(inner_));
  SecureWipe(outer_, sizeof(outer_));
}

Hash256 SubjectHmac::Compute(ByteView data) const {
#ifdef CUSTOS_SHA_NI
  if (fast_ && data.size() <= kBlock - 9) {
    Hash256 inner, out;
    FinishAfterBlock(inner_, data, inner);
    FinishAfterBlock(outer_, inner, out);
    SecureWipe(inner.data(), inner.size());
    return out;
  }
#endif
  return hmac_.Compute(data);
}

void SubjectHmac::ComputeTwo(const SubjectHmac& a, ByteView data_a, const SubjectHmac& b,
                             ByteView data_b, Hash256& out_a, Hash256& out_b) {
#ifdef CUSTOS_SHA_NI
  if (a.fast_ && b.fast_ && data_a.size() <= kBlock - 9 && data_b.size() <= kBlock - 9) {
    Hash256 inner_a, inner_b;
    FinishTwoAfterBlock(a.inner_, data_a, b.inner_, data_b, inner_a, inner_b);
    FinishTwoAfterBlock(a.outer_, inner_a, b.outer_, inner_b, out_a, out_b);
    SecureWipe(inner_a.data(), inner_a.size());
    SecureWipe(inner_b.data(), inner_b.size());
    return;
  }
#endif
  out_a = a.Compute(data_a);
  out_b = b.Compute(data_b);
}

bool UseShaExtensionsForTesting(bool allow) {
#ifdef CUSTOS_SHA_NI
  g_allow_sha_extensions.store(allow, std::memory_order_relaxed);
  return CpuHasShaExtensions();
#else
  (void)allow;
  return false;
#endif
}

}  // namespace custos::records
