// VerifyNodeHashes against SHA-256 of 0x01 || left || right (crypto/hash.h),
// on both paths (SHA extensions where the CPU has them, the portable one
// otherwise), for odd and even counts.
#include "records/verify_sha.h"

#include <gtest/gtest.h>

#include <vector>

namespace custos::records {
namespace {

class NodeHashesTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!UseShaExtensionsForTesting(GetParam()) && GetParam()) {
      GTEST_SKIP() << "this CPU has no SHA extensions";
    }
  }
  void TearDown() override { UseShaExtensionsForTesting(true); }
};

TEST_P(NodeHashesTest, EqualsSha256OfPrefixedChildren) {
  for (size_t n = 0; n <= 9; ++n) {
    std::vector<Hash256> children(2 * n);
    for (size_t i = 0; i < children.size(); ++i) {
      for (size_t b = 0; b < 32; ++b) children[i][b] = static_cast<uint8_t>(i * 31 + b * 7 + n);
    }
    std::vector<Hash256> out(n + 1);
    out[n].fill(0xEE);
    VerifyNodeHashes(children.data(), n, out.data());
    for (size_t i = 0; i < n; ++i) {
      Bytes msg = {0x01};
      msg.insert(msg.end(), children[2 * i].begin(), children[2 * i].end());
      msg.insert(msg.end(), children[2 * i + 1].begin(), children[2 * i + 1].end());
      EXPECT_EQ(out[i], Sha256(msg)) << "n " << n << " node " << i;
    }
    Hash256 untouched;
    untouched.fill(0xEE);
    EXPECT_EQ(out[n], untouched) << "wrote past the end: n " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, NodeHashesTest, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? "ShaExtensions" : "Portable"; });

}  // namespace
}  // namespace custos::records
