#include "records/journal.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "base/random.h"
#include "crypto/hash.h"

namespace custos::records {
namespace {

Payload Sample() {
  Payload p;
  p.actor = "tok_123";
  p.before = R"({"given_name":"Ada"})";
  p.after = R"({"given_name":"Ada Mary"})";
  p.salt.resize(32);
  RandomFill(p.salt);
  p.reason = "typo";
  return p;
}

TEST(JournalPayloadTest, JsonRoundTrip) {
  Payload p = Sample();
  auto d = DecodePayloadJson(EncodePayloadJson(p));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, p);
  p.before.reset();
  p.reason.reset();
  d = DecodePayloadJson(EncodePayloadJson(p));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, p);
}

// The payload text is what nlohmann::json::dump makes of the same object,
// byte for byte, for any text: ASCII with every control character, valid
// multi-byte UTF-8, and bytes that are not UTF-8 (which dump replaces).
TEST(JournalPayloadTest, EncodingMatchesNlohmannDumpForAnyText) {
  std::mt19937 rng(1234);
  const std::vector<std::string> pieces = {
      "a", "Z", "\"", "\\", "/", "\x7f", "\u00e9", "\u20ac", "\U0001F600", "\xed\x9f\xbf",
      "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf",
      // not UTF-8: stray continuation, overlong, surrogate, above U+10FFFF, truncated
      "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\xff"};
  auto random_text = [&](bool ascii_only) {
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      if (rng() % 3 == 0) {
        s.push_back(static_cast<char>(rng() % 0x20));  // control characters
      } else {
        const size_t limit = ascii_only ? 6 : pieces.size();
        s += pieces[rng() % limit];
      }
    }
    return s;
  };
  int invalid = 0;
  for (int round = 0; round < 3000; ++round) {
    Payload p;
    p.actor = random_text(round % 2 == 0);
    if (rng() % 4) p.before = random_text(false);
    if (rng() % 4) p.after = random_text(false);
    if (rng() % 2) p.reason = random_text(false);
    p.salt.resize(32);
    RandomFill(p.salt);
    nlohmann::json j{{"v", 1},
                     {"actor", p.actor},
                     {"before", p.before ? nlohmann::json(*p.before) : nlohmann::json(nullptr)},
                     {"after", p.after ? nlohmann::json(*p.after) : nlohmann::json(nullptr)},
                     {"salt", ToBase64(p.salt)},
                     {"reason", p.reason ? nlohmann::json(*p.reason) : nlohmann::json(nullptr)}};
    const std::string want = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    ASSERT_EQ(EncodePayloadJson(p), want) << "round " << round;
    invalid += want.find("\xef\xbf\xbd") != std::string::npos ? 1 : 0;
  }
  EXPECT_GT(invalid, 100);  // the replacement path ran too
}

TEST(JournalPayloadTest, CommitmentCoversSaltAndAfter) {
  Payload p = Sample();
  Bytes expect(p.salt);
  expect.insert(expect.end(), p.after->begin(), p.after->end());
  EXPECT_EQ(PayloadCommitment(p), Sha256(expect));
  p.after.reset();  // deleted state: SHA-256(salt)
  EXPECT_EQ(PayloadCommitment(p), Sha256(p.salt));
}

TEST(JournalPayloadTest, SealBindsKeySeqAndLeafHash) {
  Key256 key;
  RandomFill(key);
  Hash256 lh = Sha256(AsBytes("leaf"));
  Payload p = Sample();
  Bytes sealed = SealPayload(key, 7, lh, p);
  auto open = OpenPayload(key, 7, lh, sealed);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(*open, p);
  // The plaintext does not appear in the sealed bytes.
  EXPECT_EQ(AsString(sealed).find("Ada"), std::string::npos);
  EXPECT_FALSE(OpenPayload(key, 8, lh, sealed).ok());
  Hash256 other = Sha256(AsBytes("other"));
  EXPECT_FALSE(OpenPayload(key, 7, other, sealed).ok());
  Key256 wrong;
  RandomFill(wrong);
  EXPECT_FALSE(OpenPayload(wrong, 7, lh, sealed).ok());
  for (size_t i = 0; i < sealed.size(); i += 7) {
    Bytes t = sealed;
    t[i] ^= 1;
    EXPECT_TRUE(OpenPayload(key, 7, lh, t).status().IsCorruption()) << i;
  }
  EXPECT_FALSE(OpenPayload(key, 7, lh, ByteView(sealed.data(), 10)).ok());
}

TEST(JournalPayloadTest, RejectsMalformedJson) {
  for (const char* bad :
       {"", "[]", "{}", R"({"v":2})",
        R"({"v":1,"actor":"a","before":null,"after":null,"salt":"AA==","reason":null})",
        R"({"v":1,"actor":1,"before":null,"after":null,"salt":"","reason":null})",
        R"({"v":1,"actor":"a","before":5,"after":null,"salt":"","reason":null})"}) {
    EXPECT_TRUE(DecodePayloadJson(bad).status().IsCorruption()) << bad;
  }
}

}  // namespace
}  // namespace custos::records
