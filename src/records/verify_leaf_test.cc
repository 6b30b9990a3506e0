// ReadLeafView against DecodeLeaf: the same leaves accepted, with the same
// fields, on well-formed leaves and on every truncation and many byte
// changes of them.
#include "records/verify_leaf.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "records/leaf_test_util.h"

namespace custos::records {
namespace {

std::vector<Leaf> SampleLeaves() {
  std::vector<Leaf> leaves;
  Leaf l = testing_util::SampleLeaf();
  leaves.push_back(l);
  // No link, no record id, the longest names.
  l.prev_seq = 0;
  l.prev_leaf_hash = {};
  l.event = EventType::kAccess;
  l.record_id = "";
  l.entity = std::string(32, 'z');
  l.actor_role = "a-0_" + std::string(28, 'b');
  leaves.push_back(l);
  l.event = EventType::kRestoreTest;
  l.record_id = std::string(64, 'Q');
  l.seq = ~uint64_t{0};
  leaves.push_back(l);
  return leaves;
}

// DecodeLeaf's verdict and fields, as ReadLeafView must give them.
void ExpectSameAsDecode(ByteView bytes) {
  LeafView v;
  const bool fast = ReadLeafView(bytes, v);
  auto reference = DecodeLeaf(bytes);
  ASSERT_EQ(fast, reference.ok()) << reference.status().ToString();
  if (!fast) return;
  const LeafView want = ViewOf(*reference);
  EXPECT_EQ(v.seq, want.seq);
  EXPECT_EQ(v.event, want.event);
  EXPECT_EQ(v.entity, want.entity);
  EXPECT_EQ(v.record_id, want.record_id);
  EXPECT_EQ(v.record_version, want.record_version);
  EXPECT_EQ(std::memcmp(v.subject, want.subject, kPseudonymSize), 0);
  EXPECT_EQ(std::memcmp(v.commitment, want.commitment, 32), 0);
  EXPECT_EQ(v.prev_seq, want.prev_seq);
  EXPECT_EQ(std::memcmp(v.prev_leaf_hash, want.prev_leaf_hash, 32), 0);
}

TEST(VerifyLeafTest, ReadsWhatDecodeLeafReads) {
  for (const Leaf& l : SampleLeaves()) {
    ASSERT_TRUE(ValidateLeaf(l).ok());
    const Bytes b = EncodeLeaf(l);
    LeafView v;
    ASSERT_TRUE(ReadLeafView(b, v));
    ExpectSameAsDecode(b);
  }
}

TEST(VerifyLeafTest, RejectsWhatDecodeLeafRejects) {
  for (const Leaf& l : SampleLeaves()) {
    const Bytes b = EncodeLeaf(l);
    for (size_t n = 0; n < b.size(); ++n) ExpectSameAsDecode(ByteView(b.data(), n));
    Bytes longer = b;
    longer.push_back(0);
    ExpectSameAsDecode(longer);
    // Every byte set to values that hit the alphabets, lengths, event
    // types, version and links.
    for (size_t at = 0; at < b.size(); ++at) {
      for (int value : {0x00, 0x01, 0x08, 0x09, 0x1f, 0x20, 0x2d, 0x2f, 0x30, 0x3a,
                        0x40, 0x41, 0x5a, 0x5f, 0x60, 0x61, 0x7a, 0x7b, 0x80, 0xff}) {
        Bytes changed = b;
        changed[at] = static_cast<uint8_t>(value);
        ExpectSameAsDecode(changed);
      }
    }
  }
  // Random bytes around the leaf size, and random changes.
  std::mt19937 rng(7);
  const Bytes b = EncodeLeaf(SampleLeaves()[0]);
  for (int i = 0; i < 20000; ++i) {
    Bytes changed = b;
    for (int k = 0; k < 1 + i % 3; ++k) {
      changed[rng() % changed.size()] = static_cast<uint8_t>(rng());
    }
    ExpectSameAsDecode(changed);
  }
}

}  // namespace
}  // namespace custos::records
