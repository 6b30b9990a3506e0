// The verifier's fast primitives against the ones they stand in for:
// hashes (verify_crypto.h, verify_sha.h), key derivation and decryption against
// LeafHash/Commitment/SealPayload, and ParsePayloadImages against
// DecodePayloadJson on canonical, non-canonical and mutated payloads.
#include "records/verify_payload.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "crypto/hash.h"
#include "records/journal.h"
#include "records/leaf.h"
#include "records/verify_crypto.h"
#include "records/verify_sha.h"

namespace custos::records {
namespace {

Payload SamplePayload(std::string after, std::optional<std::string> before = std::nullopt) {
  Payload p;
  p.actor = "tok_1";
  p.before = std::move(before);
  p.after = std::move(after);
  p.salt.assign(kCommitmentSaltSize, 0);
  for (size_t i = 0; i < p.salt.size(); ++i) p.salt[i] = static_cast<uint8_t>(i * 7 + 3);
  p.reason = "audit";
  return p;
}

TEST(VerifyCryptoTest, HashesEqualTheReferenceOnes) {
  for (size_t n : {0, 1, 55, 56, 63, 64, 65, 178, 1000}) {
    std::string data(n, 'a');
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>(i * 31 + 7);
    EXPECT_EQ(VerifyLeafHash(AsBytes(data)), LeafHash(AsBytes(data))) << n;
    EXPECT_EQ(VerifySha256(data), Sha256(AsBytes(data))) << n;
    Bytes salt(kCommitmentSaltSize, 9);
    EXPECT_EQ(VerifyCommitment(salt, data), Commitment(salt, data)) << n;
  }
}

// VerifySha256Pair on both of its paths (SHA extensions when the CPU has
// them, else the portable one) for lengths around every block boundary of
// the paired path and past its limit, split between the two parts anyhow.
// On a CPU without the extensions both parameters run the portable path,
// whose results must be the same: nothing is skipped.
class Sha256PairTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { UseShaExtensionsForTesting(GetParam()); }
  void TearDown() override { UseShaExtensionsForTesting(true); }
};

TEST_P(Sha256PairTest, EqualsSha256OfEachConcatenation) {
  std::string data(700, 'a');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + 17);
  const ByteView all = AsBytes(data);
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 520; ++n) lengths.push_back(n);
  lengths.push_back(700);
  for (size_t na : lengths) {
    // B's length walks the other way, so every pair of block counts occurs.
    const size_t nb = (lengths.size() * 7 + na * 13) % 600;
    const size_t split_a = na / 3, split_b = nb % 5 == 0 ? 0 : nb - nb / 7;
    const ByteView a = all.subspan(0, na), b = all.subspan(700 - nb, nb);
    Hash256 ha{}, hb{};
    VerifySha256Pair(a.subspan(0, split_a), a.subspan(split_a), b.subspan(0, split_b),
                     b.subspan(split_b), ha, hb);
    ASSERT_EQ(ha, Sha256(a)) << na << " " << nb;
    ASSERT_EQ(hb, Sha256(b)) << na << " " << nb;
  }
  // The verifier's two uses: a leaf hash and a commitment.
  const uint8_t prefix = 0;
  Bytes salt(kCommitmentSaltSize, 9);
  Hash256 leaf{}, commitment{};
  VerifySha256Pair(ByteView(&prefix, 1), all.subspan(0, 178), salt, all.subspan(200, 130), leaf,
                   commitment);
  EXPECT_EQ(leaf, LeafHash(all.subspan(0, 178)));
  EXPECT_EQ(commitment, Commitment(salt, AsString(all.subspan(200, 130))));
}

TEST_P(Sha256PairTest, SubjectHmacEqualsHmacSha256) {
  std::string bytes(200, 'a');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 29 + 5);
  const ByteView all = AsBytes(bytes);
  for (size_t key_size : {0, 1, 32, 63, 64, 65, 100}) {
    const SubjectHmac hmac(all.subspan(0, key_size));
    for (size_t n = 0; n <= 130; ++n) {
      const ByteView data = all.subspan(70, n);
      ASSERT_EQ(hmac.Compute(data), HmacSha256(all.subspan(0, key_size), data))
          << key_size << " " << n;
    }
  }
}

TEST_P(Sha256PairTest, SubjectHmacComputeTwoEqualsTwoComputes) {
  std::string bytes(200, 'a');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 31 + 7);
  const ByteView all = AsBytes(bytes);
  for (size_t key_a : {0, 32, 65}) {
    for (size_t key_b : {1, 32, 100}) {
      const SubjectHmac a(all.subspan(0, key_a)), b(all.subspan(3, key_b));
      // Both messages short enough for one more block, and not.
      for (size_t na : {0, 42, 55, 56, 120}) {
        for (size_t nb : {1, 42, 55, 64}) {
          const ByteView da = all.subspan(70, na), db = all.subspan(60, nb);
          Hash256 ha{}, hb{};
          SubjectHmac::ComputeTwo(a, da, b, db, ha, hb);
          ASSERT_EQ(ha, HmacSha256(all.subspan(0, key_a), da)) << key_a << " " << na;
          ASSERT_EQ(hb, HmacSha256(all.subspan(3, key_b), db)) << key_b << " " << nb;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ShaExtensionsAndPortable, Sha256PairTest, ::testing::Bool());

class PayloadCipherTest : public ::testing::TestWithParam<bool> {};

TEST_P(PayloadCipherTest, OpensWhatSealPayloadSealedAndNothingElse) {
  Key256 subject_key;
  for (size_t i = 0; i < subject_key.size(); ++i) subject_key[i] = static_cast<uint8_t>(i + 1);
  SubjectHmac keys(subject_key);
  PayloadCipher cipher(/*allow_instructions=*/GetParam());
  Hash256 leaf_hash{};
  leaf_hash[0] = 0x42;
  const Payload p = SamplePayload(R"({"a":"b"})", R"({"a":"c"})");
  for (uint64_t seq : {1ull, 2ull, 255ull, 256ull, 1ull << 40}) {
    Bytes sealed = SealPayload(subject_key, seq, leaf_hash, p);
    Bytes plain;
    ASSERT_TRUE(cipher.Open(keys, seq, leaf_hash, sealed, plain).ok()) << seq;
    auto decoded = DecodePayloadJson(AsString(plain));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, p);
    // Another entry's seq, another leaf hash, another key, a flipped byte:
    // the same errors as OpenPayload.
    Status wrong_seq = cipher.Open(keys, seq + 1, leaf_hash, sealed, plain);
    EXPECT_EQ(wrong_seq.message(),
              OpenPayload(subject_key, seq + 1, leaf_hash, sealed).status().message());
    EXPECT_TRUE(wrong_seq.IsCorruption());
    Hash256 other_hash = leaf_hash;
    other_hash[31] ^= 1;
    EXPECT_TRUE(cipher.Open(keys, seq, other_hash, sealed, plain).IsCorruption());
    Key256 other_key = subject_key;
    other_key[0] ^= 1;
    EXPECT_TRUE(cipher.Open(SubjectHmac(other_key), seq, leaf_hash, sealed, plain).IsCorruption());
    for (size_t at : {size_t{1}, size_t{13}, sealed.size() / 2, sealed.size() - 1}) {
      Bytes flipped = sealed;
      flipped[at] ^= 0x20;
      EXPECT_TRUE(cipher.Open(keys, seq, leaf_hash, flipped, plain).IsCorruption()) << at;
    }
  }
  Bytes sealed = SealPayload(subject_key, 7, leaf_hash, p);
  Bytes plain;
  for (Bytes bad : {Bytes{}, Bytes(28, 1), Bytes{2}}) {
    if (bad.size() == 1) {
      bad = sealed;
      bad[0] = 2;  // unknown format
    }
    Status st = cipher.Open(keys, 7, leaf_hash, bad, plain);
    EXPECT_EQ(st.message(), OpenPayload(subject_key, 7, leaf_hash, bad).status().message());
  }
}

TEST_P(PayloadCipherTest, OpenTwoEqualsTwoOpens) {
  Key256 key_a, key_b;
  for (size_t i = 0; i < key_a.size(); ++i) {
    key_a[i] = static_cast<uint8_t>(i + 1);
    key_b[i] = static_cast<uint8_t>(i * 3 + 2);
  }
  const SubjectHmac hmac_a(key_a), hmac_b(key_b);
  PayloadCipher cipher(/*allow_instructions=*/GetParam());
  Hash256 hash_a{}, hash_b{};
  hash_a[0] = 0x42;
  hash_b[5] = 0x17;
  const Bytes good_a = SealPayload(key_a, 10, hash_a, SamplePayload(R"({"a":"b"})", std::nullopt));
  const Bytes good_b =
      SealPayload(key_b, 11, hash_b, SamplePayload(R"({"a":"c","n":12345})", R"({"a":"b"})"));
  Bytes flipped_a = good_a, flipped_b = good_b;
  flipped_a[20] ^= 1;
  flipped_b[flipped_b.size() - 1] ^= 1;
  const Bytes short_a(20, 1);
  // Every pairing of good, tampered and malformed payloads, with right and
  // wrong seqs: each result is the one Open gives.
  for (const Bytes* a : std::initializer_list<const Bytes*>{&good_a, &flipped_a, &short_a}) {
    for (const Bytes* b : std::initializer_list<const Bytes*>{&good_b, &flipped_b}) {
      for (uint64_t seq_b : {11ull, 12ull}) {
        Bytes plain_a, plain_b, want_a, want_b;
        Status sa, sb;
        cipher.OpenTwo({&hmac_a, 10, &hash_a, *a, &plain_a},
                       {&hmac_b, seq_b, &hash_b, *b, &plain_b}, sa, sb);
        const Status wa = cipher.Open(hmac_a, 10, hash_a, *a, want_a);
        const Status wb = cipher.Open(hmac_b, seq_b, hash_b, *b, want_b);
        EXPECT_EQ(sa.ToString(), wa.ToString());
        EXPECT_EQ(sb.ToString(), wb.ToString());
        if (wa.ok()) {
          EXPECT_EQ(plain_a, want_a);
        }
        if (wb.ok()) {
          EXPECT_EQ(plain_b, want_b);
        }
        EXPECT_EQ(wb.ok(), b == &good_b && seq_b == 11);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(InstructionsAndOpenSsl, PayloadCipherTest, ::testing::Bool());

// ParsePayloadImages must agree with DecodePayloadJson on every input.
void ExpectSameAsDecode(std::string_view json) {
  std::string storage;
  PayloadImages images;
  Status st = ParsePayloadImages(json, storage, images);
  auto reference = DecodePayloadJson(json);
  ASSERT_EQ(st.ok(), reference.ok()) << json << "\n" << st.ToString();
  if (!st.ok()) {
    EXPECT_EQ(st.message(), reference.status().message()) << json;
    return;
  }
  EXPECT_EQ(images.has_after, reference->after.has_value()) << json;
  EXPECT_EQ(images.has_before, reference->before.has_value()) << json;
  EXPECT_EQ(images.after, reference->after.value_or("")) << json;
  EXPECT_EQ(images.before, reference->before.value_or("")) << json;
  EXPECT_EQ(Bytes(images.salt.begin(), images.salt.end()), reference->salt) << json;
}

TEST(VerifyPayloadTest, AgreesWithDecodePayloadJsonOnCanonicalPayloads) {
  const std::vector<std::string> texts = {
      "",
      R"({"name":"Ada \"the\" Countess","note":"a\\b"})",
      "line\nbreak\ttab\rreturn\b\f",
      std::string("nul\0inside", 10),
      "\x01\x1f control",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xed\x9f\xbf \xee\x80\x80",
      "bad utf-8 \xff\xfe",
      "slash / and \x7f",
  };
  for (const std::string& a : texts) {
    for (const std::string& b : texts) {
      Payload p = SamplePayload(a, b);
      ExpectSameAsDecode(EncodePayloadJson(p));
      p.before.reset();
      ExpectSameAsDecode(EncodePayloadJson(p));
      p.after.reset();
      p.reason.reset();
      p.actor = b;
      ExpectSameAsDecode(EncodePayloadJson(p));
    }
  }
}

// Escapes (alone, several, mixed), quotes, control and non-ASCII bytes at
// every offset of the first blocks that the canonical reader scans sixteen
// bytes at a time.
TEST(VerifyPayloadTest, AgreesWithDecodePayloadJsonAtEveryOffset) {
  for (std::string special : {"\"", "\\", "\n", "\x01", "\x7f", "\xc3\xa9", "\xff", "/", "\"\"",
                              "\\\"", "\"\\", "\"x\"", "\"\n\"", "\"abcdefgh\"", "\"\xc3\xa9\""}) {
    for (size_t at = 0; at <= 40; ++at) {
      for (size_t tail : {0, 1, 15, 16, 17}) {
        std::string text = std::string(at, 'k') + special + std::string(tail, 'z');
        Payload p = SamplePayload(text, text);
        ExpectSameAsDecode(EncodePayloadJson(p));
        if (HasFailure()) return;
      }
    }
  }
}

TEST(VerifyPayloadTest, AgreesWithDecodePayloadJsonOffTheCanonicalForm) {
  const std::string salt = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  const std::vector<std::string> inputs = {
      R"({"actor":"a","after":"x","before":null,"reason":null,"salt":")" + salt + R"(","v":1})",
      R"({ "actor":"a","after":"x","before":null,"reason":null,"salt":")" + salt + R"(","v":1})",
      R"({"after":"x","actor":"a","before":null,"reason":null,"salt":")" + salt + R"(","v":1})",
      R"({"actor":"a","after":"x","before":null,"reason":null,"salt":")" + salt + R"(","v":1} )",
      R"({"actor":"a","after":"x","before":null,"reason":null,"salt":")" + salt + R"(","v":2})",
      R"({"actor":"a","after":"x","before":null,"reason":null,"salt":")" + salt + R"(","v":1.0})",
      R"({"actor":"a","after":"\u00e9\ud83d\ude00","before":null,"reason":null,"salt":")" + salt +
          R"(","v":1})",
      R"({"actor":"a","after":"\ud83d","before":null,"reason":null,"salt":")" + salt +
          R"(","v":1})",
      R"({"actor":"a","after":"x","before":null,"reason":null,"salt":"AAEC","v":1})",
      R"({"actor":"a","after":"x","before":null,"reason":null,"salt":")" + salt.substr(0, 42) +
          R"(B=","v":1})",
      R"({"actor":"a","after":"x","before":null,"reason":null,"salt":")" + salt.substr(0, 43) +
          R"(","v":1})",
      R"({"actor":"a","after":"x","before":null,"reason":null,"salt":"\u0041)" + salt.substr(1) +
          R"(","v":1})",
      R"({"actor":"a","after":"x","before":null,"reason":null,"salt":")" + salt +
          R"(","v":1,"v":1})",
      R"({"actor":"a","after":"x","after":"y","before":null,"reason":null,"salt":")" + salt +
          R"(","v":1})",
      R"({"actor":1,"after":"x","before":null,"reason":null,"salt":")" + salt + R"(","v":1})",
      R"({"actor":"a","after":"x","before":null,"reason":null,"salt":")" + salt + R"(",)",
      "[]",
      "",
  };
  for (const std::string& in : inputs) ExpectSameAsDecode(in);
  // An escape, a control byte or a non-ASCII one inside the salt, at every
  // position (the check goes sixteen bytes at a time, the last block
  // overlapping).
  for (size_t at = 0; at < salt.size(); ++at) {
    for (const std::string& odd :
         {std::string("\\/"), std::string("\x01"), std::string("\xc3\xa9")}) {
      std::string changed = salt;
      changed.replace(at, 1, odd);
      ExpectSameAsDecode(R"({"actor":"a","after":"x","before":null,"reason":null,"salt":")" +
                         changed + R"(","v":1})");
    }
  }
  // Raw bytes in the canonical form: well-formed UTF-8 or not (RFC 3629).
  for (std::string bytes : {"\xc3\xa9", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
                            "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\xc0\xaf", "\xc1\xbf",
                            "\xe0\x9f\xbf", "\xed\xa0\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
                            "\xf5\x80\x80\x80", "\xe2\x82", "\x80", "\xc3", "\xff"}) {
    ExpectSameAsDecode(R"({"actor":"a","after":"x)" + bytes +
                       R"(y","before":null,"reason":null,"salt":")" + salt + R"(","v":1})");
  }
}

TEST(VerifyPayloadTest, AgreesWithDecodePayloadJsonOnMutatedPayloads) {
  std::mt19937 rng(20240611);
  const std::string alphabet = "\"\\{}[],:nul0123456789 abcAZ=/\x01\x7f\xc3\xa9\xff\xed\xa0";
  for (int round = 0; round < 20000; ++round) {
    Payload p = SamplePayload(R"({"given_name":"Zo\u00eb","minutes":42,"note":"a\\\"b"})",
                              round % 2 ? std::optional<std::string>("{}") : std::nullopt);
    std::string json = EncodePayloadJson(p);
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !json.empty(); ++e) {
      size_t at = rng() % json.size();
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          json[at] = c;
          break;
        case 1:
          json.insert(json.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          json.erase(at, 1);
          break;
      }
    }
    ExpectSameAsDecode(json);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace custos::records
