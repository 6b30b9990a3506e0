// CheckpointTree against journal::MerkleTree: the same roots and the same
// consistency proofs for every checkpoint, however the sizes fall.
#include "audit/verify_tree.h"

#include <gtest/gtest.h>

#include <random>

#include "journal/merkle.h"
#include "journal/merkle_verify.h"

namespace custos::audit {
namespace {

Hash256 Leaf(uint64_t i) {
  std::string s = "leaf " + std::to_string(i);
  return journal::HashLeaf(AsBytes(s));
}

void ExpectSameAsMerkleTree(const std::vector<uint64_t>& sizes, size_t batch) {
  CheckpointTree tree(sizes);
  journal::MerkleTree reference;
  const uint64_t total = sizes.empty() ? 0 : sizes.back();
  std::vector<Hash256> leaves;
  for (uint64_t i = 0; i < total; ++i) leaves.push_back(Leaf(i));
  for (size_t at = 0; at < leaves.size(); at += batch) {
    std::span<const Hash256> part(leaves.data() + at, std::min(batch, leaves.size() - at));
    tree.Append(part);
    reference.AppendBatch(part);
  }
  ASSERT_EQ(tree.Size(), total);
  for (size_t i = 0; i < sizes.size(); ++i) {
    auto root = tree.Root(i);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(*root, *reference.Root(sizes[i])) << "size " << sizes[i];
    if (i == 0) continue;
    auto proof = tree.ConsistencyProof(i);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    auto want = reference.ConsistencyProof(sizes[i - 1], sizes[i]);
    ASSERT_TRUE(want.ok());
    EXPECT_EQ(*proof, *want) << sizes[i - 1] << " -> " << sizes[i];
    EXPECT_TRUE(journal::VerifyConsistency(sizes[i - 1], sizes[i], *reference.Root(sizes[i - 1]),
                                           *root, *proof)
                    .ok());
  }
}

TEST(CheckpointTreeTest, MatchesMerkleTreeOnEverySmallSequence) {
  // Every pair of sizes up to 40, and a checkpoint at 0.
  for (uint64_t a = 0; a <= 40; ++a) {
    for (uint64_t b = a + 1; b <= 40; ++b) {
      ExpectSameAsMerkleTree({a, b}, 1 + (a + b) % 5);
      if (HasFailure()) return;
    }
  }
}

TEST(CheckpointTreeTest, MatchesMerkleTreeOnLongRandomSequences) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::vector<uint64_t> sizes;
    uint64_t size = 0;
    for (int i = 0; i < 30; ++i) {
      size += 1 + rng() % (round % 2 ? 3 : 700);
      sizes.push_back(size);
    }
    ExpectSameAsMerkleTree(sizes, 1 + rng() % 1000);
    if (HasFailure()) return;
  }
  ExpectSameAsMerkleTree({1, 2, 4, 8, 16, 1024, 1025, 4095, 4096, 4097}, 333);
}

TEST(CheckpointTreeTest, MatchesMerkleTreeInLargeBatches) {
  // As the verifier hands leaves over: 4,096 at a time, so that whole
  // subtrees go level by level, with checkpoints on, next to and inside
  // their boundaries.
  ExpectSameAsMerkleTree({4096, 8192, 8195, 12288, 16383, 16384, 20000, 40960, 40961}, 4096);
  ExpectSameAsMerkleTree({5, 4096, 4100, 9000, 9001, 30000}, 4096);
  ExpectSameAsMerkleTree({30001}, 4096);
  ExpectSameAsMerkleTree({3, 4093, 8190, 16000}, 5000);
  std::mt19937_64 rng(11);
  for (int round = 0; round < 5; ++round) {
    std::vector<uint64_t> sizes;
    uint64_t size = 0;
    for (int i = 0; i < 12; ++i) {
      size += 1 + rng() % 6000;
      sizes.push_back(size);
    }
    ExpectSameAsMerkleTree(sizes, 4096);
    if (HasFailure()) return;
  }
}

TEST(CheckpointTreeTest, ReportsCheckpointsNotReached) {
  CheckpointTree tree({3, 10});
  std::vector<Hash256> leaves = {Leaf(0), Leaf(1), Leaf(2), Leaf(3)};
  tree.Append(leaves);
  EXPECT_TRUE(tree.Root(0).ok());
  EXPECT_EQ(tree.Root(1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(tree.ConsistencyProof(1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(tree.Root(2).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace custos::audit
