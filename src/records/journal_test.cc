#include "records/journal.h"

#include <gtest/gtest.h>

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
