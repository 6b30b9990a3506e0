#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"

namespace custos {
namespace {

TEST(Hash, Sha256KnownAnswer) {
  EXPECT_EQ(ToHex(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256Stream s;
  s.Update(AsBytes("a"));
  s.Update(AsBytes("bc"));
  EXPECT_EQ(ToHex(s.Finish()), ToHex(Sha256(AsBytes("abc"))));
}

TEST(Hash, HmacRfc4231Case2) {
  auto expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  EXPECT_EQ(ToHex(HmacSha256(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))), expected);
  Hmac h(AsBytes("Jefe"));
  EXPECT_EQ(ToHex(h.Compute(AsBytes("what do ya want for nothing?"))), expected);
  EXPECT_EQ(ToHex(h.Compute(AsBytes("what do ya want for nothing?"))), expected);
}

// Both HMACs and SHA-256 against OpenSSL's one-shot EVP calls, for keys
// shorter than, equal to and longer than a block, and data of many lengths.
TEST(Hash, EqualOpenSslsEvpForEveryKeyAndDataLength) {
  Bytes bytes(200);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 13 + 1);
  for (size_t n = 0; n < 200; n += 7) {
    Hash256 want;
    unsigned int len = 0;
    ASSERT_EQ(EVP_Digest(bytes.data(), n, want.data(), &len, EVP_sha256(), nullptr), 1);
    EXPECT_EQ(Sha256(ByteView(bytes.data(), n)), want) << n;
    // The stream, fed in two pieces split at every point.
    for (size_t cut = 0; cut <= n; ++cut) {
      Sha256Stream s;
      s.Update(ByteView(bytes.data(), cut));
      s.Update(ByteView(bytes.data() + cut, n - cut));
      EXPECT_EQ(s.Finish(), want) << n << " " << cut;
    }
  }
  for (size_t key_size : {0, 1, 31, 32, 63, 64, 65, 131}) {
    const ByteView key(bytes.data(), key_size);
    Hmac h(key);
    for (size_t n = 0; n < 200; n += 7) {
      const ByteView data(bytes.data() + 3, n);  // never a null pointer, even when empty
      Hash256 want;
      unsigned int len = 0;
      ASSERT_NE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(),
                     data.size(), want.data(), &len),
                nullptr);
      EXPECT_EQ(h.Compute(data), want) << key_size << " " << n;
      EXPECT_EQ(HmacSha256(key, data), want) << key_size << " " << n;
    }
  }
}

TEST(Aead, RoundTripAndTamper) {
  Key256 key{};
  key[0] = 7;
  Nonce96 nonce{};
  Bytes sealed;
  AeadSeal(key, nonce, AsBytes("aad"), AsBytes("secret data"), sealed);
  EXPECT_EQ(sealed.size(), 11 + kAeadTagSize);
  Bytes plain;
  ASSERT_TRUE(AeadOpen(key, nonce, AsBytes("aad"), sealed, plain).ok());
  EXPECT_EQ(AsString(plain), "secret data");
  // Wrong AAD, flipped ciphertext byte, flipped tag byte, wrong key all fail.
  EXPECT_TRUE(AeadOpen(key, nonce, AsBytes("aaD"), sealed, plain).IsCorruption());
  for (size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_TRUE(AeadOpen(key, nonce, AsBytes("aad"), bad, plain).IsCorruption()) << i;
  }
  Key256 other = key;
  other[31] ^= 1;
  EXPECT_TRUE(AeadOpen(other, nonce, AsBytes("aad"), sealed, plain).IsCorruption());
  EXPECT_TRUE(AeadOpen(key, nonce, {}, Bytes(3), plain).IsCorruption());
}

TEST(Aead, DeriveKeyDependsOnLabelAndSalt) {
  Key256 master{};
  Bytes salt(16, 1);
  EXPECT_NE(DeriveKey(master, "pack", salt), DeriveKey(master, "object", salt));
  Bytes salt2(16, 2);
  EXPECT_NE(DeriveKey(master, "pack", salt), DeriveKey(master, "pack", salt2));
}

TEST(Kdf, Argon2idDeterministicAndSaltSensitive) {
  KdfParams p{1, 64 * 1024};
  Bytes salt(16, 9);
  auto a = DeriveArgon2id("pw", salt, p);
  auto b = DeriveArgon2id("pw", salt, p);
  auto c = DeriveArgon2id("pW", salt, p);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_FALSE(DeriveArgon2id("pw", Bytes(3), p).ok());
  EXPECT_FALSE(DeriveArgon2id("pw", salt, KdfParams{0, 1024}).ok());
}

}  // namespace
}  // namespace custos
