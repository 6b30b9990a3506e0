// SipHashX24Many against libsodium's crypto_shorthash_siphashx24, on both
// paths (AVX-512 lanes where the CPU has them, one by one otherwise): every
// length from 0 to 300 bytes, batches of 1 to 20 messages whose lengths
// differ within the batch, and a flipped byte that must change only its own
// message's digest.
#include "records/verify_siphash.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <random>
#include <vector>

namespace custos::records {
namespace {

SipDigest Reference(const uint8_t key[16], const std::vector<uint8_t>& m) {
  SipDigest d;
  crypto_shorthash_siphashx24(d.data(), m.data(), m.size(), key);
  return d;
}

class SipHashManyTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    vectors_ = UseSipHashVectorsForTesting(GetParam());
    if (GetParam() && !vectors_) GTEST_SKIP() << "this CPU has no AVX-512";
  }
  void TearDown() override { UseSipHashVectorsForTesting(true); }
  bool vectors_ = false;
};

std::vector<SipInput> Inputs(const std::vector<std::vector<uint8_t>>& msgs) {
  std::vector<SipInput> in;
  for (const auto& m : msgs) in.push_back({m.data(), m.size()});
  return in;
}

TEST_P(SipHashManyTest, EqualsLibsodiumAtEveryLengthAndBatchSize) {
  std::mt19937 rng(7);
  uint8_t key[16];
  for (auto& b : key) b = static_cast<uint8_t>(rng());
  for (size_t batch = 1; batch <= 20; ++batch) {
    for (size_t start = 0; start <= 300; start += 7) {
      std::vector<std::vector<uint8_t>> msgs;
      for (size_t i = 0; i < batch; ++i) {
        // Neighbouring lengths, and now and then a far longer or empty one.
        size_t len = (start + i * 5) % 301;
        if (i % 7 == 3) len = 0;
        if (i % 11 == 5) len = 300;
        std::vector<uint8_t> m(len);
        for (auto& b : m) b = static_cast<uint8_t>(rng());
        msgs.push_back(std::move(m));
      }
      std::vector<SipInput> in = Inputs(msgs);
      std::vector<SipDigest> out(batch);
      SipHashX24Many(key, in.data(), in.size(), out.data());
      for (size_t i = 0; i < batch; ++i) {
        ASSERT_EQ(out[i], Reference(key, msgs[i]))
            << "batch " << batch << " message " << i << " length " << msgs[i].size();
      }
    }
  }
}

TEST_P(SipHashManyTest, AChangedByteChangesOnlyItsDigest) {
  uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  std::vector<std::vector<uint8_t>> msgs;
  for (size_t i = 0; i < 8; ++i) msgs.emplace_back(100 + i, static_cast<uint8_t>(i));
  std::vector<SipDigest> before(8), after(8);
  std::vector<SipInput> in = Inputs(msgs);
  SipHashX24Many(key, in.data(), in.size(), before.data());
  msgs[5][99] ^= 0x01;
  SipHashX24Many(key, in.data(), in.size(), after.data());
  for (size_t i = 0; i < 8; ++i) {
    if (i == 5) {
      EXPECT_NE(before[i], after[i]);
    } else {
      EXPECT_EQ(before[i], after[i]) << i;
    }
  }
  // Another key, other digests.
  key[0] ^= 0x80;
  SipHashX24Many(key, in.data(), in.size(), after.data());
  EXPECT_NE(before[0], after[0]);
}

INSTANTIATE_TEST_SUITE_P(Paths, SipHashManyTest, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? "Vectors" : "OneByOne"; });

}  // namespace
}  // namespace custos::records
