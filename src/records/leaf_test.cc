#include "records/leaf.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>

#include "base/random.h"
#include "crypto/hash.h"
#include "records/leaf_test_util.h"

namespace custos::records {
namespace {

using testing_util::SampleLeaf;

TEST(LeafTest, RoundTripAndLayout) {
  Leaf l = SampleLeaf();
  ASSERT_TRUE(ValidateLeaf(l).ok());
  Bytes b = EncodeLeaf(l);
  // Every byte at the offset docs/audit-log.md gives.
  ASSERT_EQ(b.size(), 1u + 8 + 8 + 1 + 1 + 10 + 1 + 26 + 8 + 1 + 9 + 16 + 16 + 32 + 8 + 32);
  EXPECT_EQ(b[0], 1);
  EXPECT_EQ(b[8], 42);   // seq, big-endian
  EXPECT_EQ(b[17], 2);   // event: update
  EXPECT_EQ(b[18], 10);  // entity length
  EXPECT_EQ(std::string(b.begin() + 19, b.begin() + 29), "assessment");
  EXPECT_EQ(b[29], 26);
  auto d = DecodeLeaf(b);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, l);
  EXPECT_EQ(EncodeLeaf(*d), b);
}

TEST(LeafTest, LeafHashIsRfc6962) {
  Bytes b = EncodeLeaf(SampleLeaf());
  Bytes prefixed{0x00};
  prefixed.insert(prefixed.end(), b.begin(), b.end());
  EXPECT_EQ(LeafHash(b), Sha256(prefixed));
}

TEST(LeafTest, RejectsEveryTruncationAndTrailingBytes) {
  Bytes b = EncodeLeaf(SampleLeaf());
  for (size_t n = 0; n < b.size(); ++n) {
    auto d = DecodeLeaf(ByteView(b.data(), n));
    ASSERT_FALSE(d.ok()) << n;
    EXPECT_TRUE(d.status().IsCorruption());
  }
  b.push_back(0);
  EXPECT_FALSE(DecodeLeaf(b).ok());
}

TEST(LeafTest, RejectsBadFields) {
  Bytes good = EncodeLeaf(SampleLeaf());
  auto with = [&](size_t at, uint8_t v) {
    Bytes b = good;
    b[at] = v;
    return DecodeLeaf(b);
  };
  EXPECT_FALSE(with(0, 2).ok());     // unknown format version
  EXPECT_FALSE(with(17, 0).ok());    // event 0
  EXPECT_FALSE(with(17, 99).ok());   // unknown event
  EXPECT_FALSE(with(19, 'A').ok());  // entity must be lower case
  EXPECT_FALSE(with(30, '/').ok());  // record id alphabet
  // seq 0
  Bytes b = good;
  for (int i = 1; i <= 8; ++i) b[i] = 0;
  EXPECT_FALSE(DecodeLeaf(b).ok());
  // prev_seq >= seq
  Leaf l = SampleLeaf();
  l.prev_seq = 42;
  EXPECT_FALSE(ValidateLeaf(l).ok());
  // prev hash zero while prev_seq set, and the reverse
  l = SampleLeaf();
  l.prev_leaf_hash = {};
  EXPECT_FALSE(ValidateLeaf(l).ok());
  l = SampleLeaf();
  l.prev_seq = 0;
  EXPECT_FALSE(ValidateLeaf(l).ok());
}

TEST(LeafTest, RandomMutationsNeverCrash) {
  Bytes good = EncodeLeaf(SampleLeaf());
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b = good;
    int flips = 1 + static_cast<int>(RandomU64() % 4);
    for (int k = 0; k < flips; ++k)
      b[RandomU64() % b.size()] ^= static_cast<uint8_t>(1 + RandomU64() % 255);
    if (RandomU64() % 8 == 0) b.resize(RandomU64() % (b.size() + 1));
    auto d = DecodeLeaf(b);
    if (d.ok()) {
      ++accepted;
      EXPECT_EQ(EncodeLeaf(*d), b);  // one encoding per leaf
    }
  }
  EXPECT_LT(accepted, 20000);
}

TEST(LeafTest, EventNames) {
  for (uint8_t v = 1; v <= 8; ++v) {
    auto t = EventTypeFromByte(v);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(ParseEventType(EventTypeName(*t)), t);
  }
  EXPECT_EQ(EventTypeName(EventType::kRestoreTest), "restore-test");
  EXPECT_FALSE(ParseEventType("enroll").has_value());
}

TEST(LeafTest, Json) {
  auto j = LeafToJson(SampleLeaf());
  EXPECT_EQ(j["event"], "update");
  EXPECT_EQ(j["seq"], 42);
  EXPECT_EQ(j["time"], "2026-01-01T00:00:00.123456Z");
  EXPECT_EQ(j["actor"], "000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(j["prev_seq"], 17);
}

}  // namespace
}  // namespace custos::records

namespace custos::records {
namespace {

// The worked example in docs/audit-log.md §1.
TEST(LeafTest, DocumentedExample) {
  Leaf l;
  l.seq = 1;
  l.time_micros = 1767225600000000ull;
  l.event = EventType::kCreate;
  l.entity = "employer";
  l.record_id = "01JDXR5Q6Z3KQ8W1V2B3N4M5P6";
  l.record_version = 1;
  l.actor_role = "registrar";
  Bytes b = EncodeLeaf(l);
  ASSERT_EQ(b.size(), 176u);
  const Bytes head = {0x01, 0,    0,    0,    0,    0,    0,    0,    0x01, 0x00,
                      0x06, 0x47, 0x48, 0x46, 0x20, 0x40, 0x00, 0x01, 0x08, 'e',
                      'm',  'p',  'l',  'o',  'y',  'e',  'r',  0x1A};
  EXPECT_EQ(Bytes(b.begin(), b.begin() + head.size()), head);
  const size_t version_at = 20 + 8 + 26;
  EXPECT_EQ(b[version_at + 7], 1);
  EXPECT_EQ(b[version_at + 8], 9);                        // role length
  EXPECT_EQ(Bytes(b.end() - 40, b.end()), Bytes(40, 0));  // prev_seq and prev_leaf_hash
}

// What FormatTimeMicros replaced: the C library's calendar.
std::string LibcFormat(uint64_t micros) {
  time_t secs = static_cast<time_t>(micros / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof(buf) - n, ".%06uZ", static_cast<unsigned>(micros % 1000000));
  return buf;
}

TEST(LeafTest, FormatTimeMicrosMatchesTheCLibraryCalendar) {
  constexpr uint64_t kDay = 86400ull * 1000000;
  EXPECT_EQ(FormatTimeMicros(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimeMicros(951782400ull * 1000000), "2000-02-29T00:00:00.000000Z");
  EXPECT_EQ(FormatTimeMicros(4107542400ull * 1000000 - 1), "2100-02-28T23:59:59.999999Z");
  EXPECT_EQ(FormatTimeMicros(253402300799999999ull), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimeMicros(253402300800000000ull), "10000-01-01T00:00:00.000000Z");
  // Every day boundary of four centuries (leap rules of 4, 100 and 400),
  // then random instants up to year 9999 and beyond.
  for (uint64_t d = 0; d < 146097 + 10; ++d) {
    const uint64_t t = 946684800ull * 1000000 + d * kDay;  // from 2000-01-01
    ASSERT_EQ(FormatTimeMicros(t), LibcFormat(t)) << t;
    ASSERT_EQ(FormatTimeMicros(t - 1), LibcFormat(t - 1)) << t - 1;
  }
  for (int i = 0; i < 200000; ++i) {
    const uint64_t t = RandomU64() % (i % 2 == 0 ? 253402300800000000ull : 3000000000000000000ull);
    ASSERT_EQ(FormatTimeMicros(t), LibcFormat(t)) << t;
  }
}

}  // namespace
}  // namespace custos::records
