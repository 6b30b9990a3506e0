// VerifyGcmOpen against OpenSSL's AES-256-GCM: what OpenSSL seals it must
// open, at every length around the block and four-block boundaries, with
// associated data of several lengths, in place and not; and any change to
// the key, nonce, associated data, ciphertext or tag must fail and leave no
// plaintext behind.
#include "records/verify_gcm.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "crypto/aead.h"

namespace custos::records {
namespace {

struct Sealed {
  std::vector<uint8_t> ct;
  uint8_t tag[16];
};

// The project's AES-256-GCM seal (OpenSSL EVP, crypto/aead.h).
Sealed SealWithOpenSsl(const uint8_t key[32], const uint8_t nonce[12],
                       const std::vector<uint8_t>& aad, const std::vector<uint8_t>& plain) {
  Key256 k;
  Nonce96 iv;
  std::memcpy(k.data(), key, k.size());
  std::memcpy(iv.data(), nonce, iv.size());
  Bytes out;
  AeadSeal(k, iv, aad, plain, out);
  Sealed s;
  s.ct.assign(out.begin(), out.end() - kAeadTagSize);
  std::memcpy(s.tag, out.data() + plain.size(), kAeadTagSize);
  return s;
}

std::vector<uint8_t> RandomBytes(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (uint8_t& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

class VerifyGcmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Without the instructions the verifier never calls it (verify_crypto.cc
    // falls back to libsodium or OpenSSL, whose own tests cover them).
    if (!VerifyGcmAvailable()) GTEST_SKIP() << "this CPU lacks AES-NI or PCLMULQDQ";
  }
};

TEST_F(VerifyGcmTest, OpensWhatOpenSslSealed) {
  std::mt19937 rng(7);
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 200; ++n) lengths.push_back(n);
  for (size_t n : {255, 256, 257, 261, 290, 511, 512, 513, 1000, 4096, 4099}) lengths.push_back(n);
  for (size_t aad_len : {0, 1, 15, 16, 17, 32, 64, 65, 100}) {
    for (size_t n : lengths) {
      const auto key = RandomBytes(rng, 32), nonce = RandomBytes(rng, 12);
      const auto aad = RandomBytes(rng, aad_len), plain = RandomBytes(rng, n);
      const Sealed s = SealWithOpenSsl(key.data(), nonce.data(), aad, plain);
      std::vector<uint8_t> out(n + 1, 0xEE);
      ASSERT_TRUE(VerifyGcmOpen(key.data(), nonce.data(), aad, s.ct.data(), n, s.tag, out.data()))
          << "aad " << aad_len << " n " << n;
      EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + n), plain) << aad_len << " " << n;
      EXPECT_EQ(out[n], 0xEE) << "wrote past the end: " << aad_len << " " << n;
      // In place.
      std::vector<uint8_t> buf = s.ct;
      ASSERT_TRUE(VerifyGcmOpen(key.data(), nonce.data(), aad, buf.data(), n, s.tag, buf.data()));
      EXPECT_EQ(buf, plain) << "in place: " << aad_len << " " << n;
    }
  }
}

TEST_F(VerifyGcmTest, RejectsAnyChangeAndLeavesNoPlaintext) {
  std::mt19937 rng(11);
  for (size_t n : {0, 1, 16, 63, 64, 65, 261, 600}) {
    const auto key = RandomBytes(rng, 32), nonce = RandomBytes(rng, 12);
    const auto aad = RandomBytes(rng, 32), plain = RandomBytes(rng, n);
    const Sealed s = SealWithOpenSsl(key.data(), nonce.data(), aad, plain);
    auto opens = [&](std::vector<uint8_t> k, std::vector<uint8_t> iv, std::vector<uint8_t> a,
                     std::vector<uint8_t> ct, std::vector<uint8_t> tag) {
      std::vector<uint8_t> out(n + 1, 0);
      const bool ok = VerifyGcmOpen(k.data(), iv.data(), a, ct.data(), n, tag.data(), out.data());
      if (!ok) {
        for (size_t i = 0; i < n; ++i) EXPECT_EQ(out[i], 0) << "plaintext left at " << i;
      }
      return ok;
    };
    const std::vector<uint8_t> tag(s.tag, s.tag + 16);
    ASSERT_TRUE(opens(key, nonce, aad, s.ct, tag)) << n;
    for (size_t bit = 0; bit < 8; bit += 3) {
      const uint8_t flip = static_cast<uint8_t>(1u << bit);
      for (size_t i = 0; i < 32; ++i) {
        auto k = key;
        k[i] ^= flip;
        EXPECT_FALSE(opens(k, nonce, aad, s.ct, tag)) << "key byte " << i << " n " << n;
        auto a = aad;
        a[i] ^= flip;
        EXPECT_FALSE(opens(key, nonce, a, s.ct, tag)) << "aad byte " << i << " n " << n;
      }
      for (size_t i = 0; i < 12; ++i) {
        auto iv = nonce;
        iv[i] ^= flip;
        EXPECT_FALSE(opens(key, iv, aad, s.ct, tag)) << "nonce byte " << i << " n " << n;
      }
      for (size_t i = 0; i < 16; ++i) {
        auto t = tag;
        t[i] ^= flip;
        EXPECT_FALSE(opens(key, nonce, aad, s.ct, t)) << "tag byte " << i << " n " << n;
      }
      for (size_t i = 0; i < n; ++i) {
        auto ct = s.ct;
        ct[i] ^= flip;
        EXPECT_FALSE(opens(key, nonce, aad, ct, tag)) << "ciphertext byte " << i << " n " << n;
      }
    }
    // Associated data that is shorter or longer.
    EXPECT_FALSE(opens(key, nonce, std::vector<uint8_t>(aad.begin(), aad.end() - 1), s.ct, tag));
    auto longer = aad;
    longer.push_back(0);
    EXPECT_FALSE(opens(key, nonce, longer, s.ct, tag));
  }
}

}  // namespace
}  // namespace custos::records
