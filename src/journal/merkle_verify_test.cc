// Adversarial tests for the RFC 9162 verifiers (the immudb GO-2022-1117
// lesson: a verifier that accepts a falsified proof defeats the whole log).
// Every valid proof below is mutated in every way we can think of, and each
// mutation must be refused.
#include "journal/merkle_verify.h"

#include <gtest/gtest.h>

#include <bit>
#include <random>
#include <string>
#include <tuple>

namespace custos::journal {
namespace {

std::vector<Hash> RandomLeaves(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Hash> out(n);
  for (auto& h : out) {
    uint64_t v = rng();
    h = HashLeaf(ByteView(reinterpret_cast<const uint8_t*>(&v), sizeof v));
  }
  return out;
}

Hash RandomHash(std::mt19937_64& rng) {
  Hash h;
  for (auto& b : h) b = static_cast<uint8_t>(rng());
  return h;
}

struct Mutation {
  std::string what;
  std::vector<Hash> proof;
};

// Every structural and bitwise change of a proof: each bit of each hash
// flipped, each hash dropped, a hash inserted at each position (random,
// duplicate of a neighbour, one of the given hashes), each pair of different
// hashes swapped, the whole list reversed, and padding past any valid length.
std::vector<Mutation> Mutate(const std::vector<Hash>& proof, std::initializer_list<Hash> extras,
                             std::mt19937_64& rng) {
  std::vector<Mutation> out;
  for (size_t i = 0; i < proof.size(); ++i) {
    for (int bit = 0; bit < 256; ++bit) {
      std::vector<Hash> p = proof;
      p[i][bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
      out.push_back({"flip bit " + std::to_string(bit) + " of hash " + std::to_string(i), p});
    }
    std::vector<Hash> dropped = proof;
    dropped.erase(dropped.begin() + static_cast<ptrdiff_t>(i));
    out.push_back({"drop hash " + std::to_string(i), dropped});
    std::vector<Hash> dup = proof;
    dup.insert(dup.begin() + static_cast<ptrdiff_t>(i), proof[i]);
    out.push_back({"duplicate hash " + std::to_string(i), dup});
    for (size_t j = i + 1; j < proof.size(); ++j) {
      if (proof[i] == proof[j]) continue;
      std::vector<Hash> swapped = proof;
      std::swap(swapped[i], swapped[j]);
      out.push_back({"swap " + std::to_string(i) + "," + std::to_string(j), swapped});
    }
  }
  for (size_t pos = 0; pos <= proof.size(); ++pos) {
    std::vector<Hash> candidates = {RandomHash(rng), Hash{}};
    candidates.insert(candidates.end(), extras.begin(), extras.end());
    for (const Hash& h : candidates) {
      std::vector<Hash> p = proof;
      p.insert(p.begin() + static_cast<ptrdiff_t>(pos), h);
      out.push_back({"insert at " + std::to_string(pos), p});
    }
  }
  std::vector<Hash> reversed(proof.rbegin(), proof.rend());
  if (reversed != proof) out.push_back({"reversed", reversed});
  std::vector<Hash> huge = proof;
  while (huge.size() <= kMaxProofHashes) huge.push_back(RandomHash(rng));
  out.push_back({"longer than 64", huge});
  out.push_back({"a thousand hashes", std::vector<Hash>(1000, proof.empty() ? Hash{} : proof[0])});
  return out;
}

// The verifier's path shape for leaf i in a tree of size n: `inner` levels
// where the sibling side follows the bits of i, then `border` levels on the
// right edge. Two sizes with the same shape run the same computation.
std::pair<int, int> Shape(uint64_t i, uint64_t n) {
  int inner = std::bit_width(i ^ (n - 1));
  return {inner, std::popcount(i >> inner)};
}

class VerifyTest : public ::testing::Test {
 protected:
  static constexpr size_t kLeaves = 300;
  void SetUp() override {
    leaves_ = RandomLeaves(kLeaves, 2024);
    tree_.AppendBatch(leaves_);
  }
  Hash Root(uint64_t n) const { return *tree_.Root(n); }
  std::vector<Hash> Incl(uint64_t i, uint64_t n) const { return *tree_.InclusionProof(i, n); }
  std::vector<Hash> Cons(uint64_t m, uint64_t n) const { return *tree_.ConsistencyProof(m, n); }

  std::vector<Hash> leaves_;
  MerkleTree tree_;
  std::mt19937_64 rng_{77};
};

void CheckInclusionMutations(const std::vector<Hash>& leaves, uint64_t i, uint64_t n,
                             const Hash& root, const std::vector<Hash>& proof,
                             std::mt19937_64& rng) {
  ASSERT_TRUE(VerifyInclusion(leaves[i], i, n, proof, root).ok()) << i << "@" << n;
  for (const Mutation& m : Mutate(proof, {root, leaves[i]}, rng)) {
    ASSERT_FALSE(VerifyInclusion(leaves[i], i, n, m.proof, root).ok())
        << m.what << " accepted for leaf " << i << " of " << n;
  }
}

TEST_F(VerifyTest, InclusionRejectsEveryProofMutation) {
  // Every leaf of every tree up to 32 leaves, then random larger ones.
  for (uint64_t n = 1; n <= 32; ++n) {
    for (uint64_t i = 0; i < n; ++i) {
      CheckInclusionMutations(leaves_, i, n, Root(n), Incl(i, n), rng_);
    }
  }
  for (int trial = 0; trial < 40; ++trial) {
    uint64_t n = 33 + rng_() % (kLeaves - 32), i = rng_() % n;
    CheckInclusionMutations(leaves_, i, n, Root(n), Incl(i, n), rng_);
  }
}

TEST_F(VerifyTest, InclusionRejectsWrongIndexLeafAndRoot) {
  for (uint64_t n = 1; n <= 70; ++n) {
    Hash root = Root(n);
    for (uint64_t i = 0; i < n; ++i) {
      std::vector<Hash> proof = Incl(i, n);
      for (uint64_t j = 0; j < n + 3; ++j) {
        if (j == i) continue;
        Status s = VerifyInclusion(leaves_[i], j, n, proof, root);
        ASSERT_FALSE(s.ok()) << "leaf " << i << " of " << n << " accepted at index " << j;
        if (j >= n) {
          EXPECT_EQ(s.code(), Code::kInvalidArgument);
        }
        // Another leaf at the proof's index.
        ASSERT_FALSE(VerifyInclusion(leaves_[j % kLeaves], i, n, proof, root).ok());
      }
      if (n > 1) {
        ASSERT_FALSE(VerifyInclusion(root, i, n, proof, root).ok());
      }
      if (n > 1) {
        ASSERT_FALSE(VerifyInclusion(leaves_[i], i, n, proof, leaves_[i]).ok());
      }
      ASSERT_FALSE(VerifyInclusion(leaves_[i], i, n, proof, EmptyRoot()).ok());
      ASSERT_FALSE(VerifyInclusion(leaves_[i], i, n, proof, RandomHash(rng_)).ok());
      // The root of another size of the same tree.
      ASSERT_FALSE(VerifyInclusion(leaves_[i], i, n, proof, Root(n + 1)).ok());
      if (n > 1) {
        ASSERT_FALSE(VerifyInclusion(leaves_[i], i, n, proof, Root(n - 1)).ok());
      }
    }
  }
}

// The size enters the computation only through the path shape, and the root
// commits to the size: so a proof never verifies against the real root of
// any other size, and against its own root it verifies for exactly the
// sizes whose path shape is identical (nothing else could: the checkpoint
// signature binds size and root together, see checkpoint_test).
TEST_F(VerifyTest, InclusionBindsTheSizeThroughTheRoot) {
  int same_shape = 0, different_shape = 0;
  for (uint64_t n = 1; n <= 64; ++n) {
    for (uint64_t i = 0; i < n; ++i) {
      std::vector<Hash> proof = Incl(i, n);
      Hash root = Root(n);
      for (uint64_t other = i + 1; other <= 2 * n + 2 && other <= kLeaves; ++other) {
        if (other == n) continue;
        ASSERT_FALSE(VerifyInclusion(leaves_[i], i, other, proof, Root(other)).ok())
            << "proof for " << i << "@" << n << " accepted with the root of size " << other;
        bool same = Shape(i, n) == Shape(i, other);
        (same ? same_shape : different_shape)++;
        ASSERT_EQ(VerifyInclusion(leaves_[i], i, other, proof, root).ok(), same)
            << i << "@" << n << " claimed for size " << other;
      }
      // Size 0 and an index equal to the size are malformed questions.
      EXPECT_EQ(VerifyInclusion(leaves_[i], i, 0, proof, root).code(), Code::kInvalidArgument);
      EXPECT_EQ(VerifyInclusion(leaves_[i], n, n, proof, root).code(), Code::kInvalidArgument);
    }
  }
  EXPECT_GT(different_shape, 0);
  EXPECT_GT(same_shape, 0);
}

TEST_F(VerifyTest, InclusionTrivialAndLimitCases) {
  Hash leaf = leaves_[0];
  EXPECT_TRUE(VerifyInclusion(leaf, 0, 1, {}, leaf).ok());
  EXPECT_FALSE(VerifyInclusion(leaf, 0, 1, {}, leaves_[1]).ok());
  EXPECT_FALSE(VerifyInclusion(leaf, 0, 2, {}, leaf).ok());  // too short
  std::vector<Hash> too_long(kMaxProofHashes + 1, leaf);
  Status s = VerifyInclusion(leaf, 0, ~uint64_t{0}, too_long, leaf);
  EXPECT_EQ(s.code(), Code::kCorruption);
  EXPECT_NE(s.message().find("65 hashes"), std::string::npos) << s.message();
  // A 64-hash proof for the largest tree is structurally fine but wrong.
  std::vector<Hash> max(kMaxProofHashes, leaf);
  EXPECT_EQ(VerifyInclusion(leaf, 0, ~uint64_t{0}, max, leaf).code(), Code::kCorruption);
  Status msg = VerifyInclusion(leaf, 0, 5, std::vector<Hash>{leaf}, leaf);
  EXPECT_NE(msg.message().find("too short"), std::string::npos) << msg.message();
  msg = VerifyInclusion(leaf, 0, 2, std::vector<Hash>{leaf, leaf}, leaf);
  EXPECT_NE(msg.message().find("too long"), std::string::npos) << msg.message();
}

// ---- Consistency ----

void CheckConsistencyMutations(uint64_t m, uint64_t n, const Hash& old_root, const Hash& new_root,
                               const std::vector<Hash>& proof, std::mt19937_64& rng) {
  ASSERT_TRUE(VerifyConsistency(m, n, old_root, new_root, proof).ok()) << m << "->" << n;
  for (const Mutation& mu : Mutate(proof, {old_root, new_root}, rng)) {
    ASSERT_FALSE(VerifyConsistency(m, n, old_root, new_root, mu.proof).ok())
        << mu.what << " accepted for " << m << "->" << n;
  }
}

TEST_F(VerifyTest, ConsistencyRejectsEveryProofMutation) {
  for (uint64_t n = 2; n <= 32; ++n) {
    for (uint64_t m = 1; m < n; ++m) {
      CheckConsistencyMutations(m, n, Root(m), Root(n), Cons(m, n), rng_);
    }
  }
  for (int trial = 0; trial < 40; ++trial) {
    uint64_t n = 33 + rng_() % (kLeaves - 32), m = 1 + rng_() % (n - 1);
    CheckConsistencyMutations(m, n, Root(m), Root(n), Cons(m, n), rng_);
  }
}

TEST_F(VerifyTest, ConsistencyRejectsWrongSizesAndRoots) {
  for (uint64_t n = 2; n <= 64; ++n) {
    for (uint64_t m = 1; m < n; ++m) {
      std::vector<Hash> proof = Cons(m, n);
      Hash rm = Root(m), rn = Root(n);
      // Other sizes with their real roots.
      for (uint64_t m2 = 1; m2 < n; ++m2) {
        if (m2 == m) continue;
        ASSERT_FALSE(VerifyConsistency(m2, n, Root(m2), rn, proof).ok()) << m << "->" << n;
      }
      for (uint64_t n2 = m + 1; n2 <= 2 * n + 1; ++n2) {
        if (n2 == n) continue;
        ASSERT_FALSE(VerifyConsistency(m, n2, rm, Root(n2), proof).ok()) << m << "->" << n;
      }
      // Sizes off by one with the original roots.
      if (m + 1 != n) {
        ASSERT_FALSE(VerifyConsistency(m + 1, n, rm, rn, proof).ok());
      }
      ASSERT_FALSE(VerifyConsistency(m - 1, n, rm, rn, proof).ok()) << m << "->" << n;
      // Wrong or swapped roots, reversed direction, empty proof.
      ASSERT_FALSE(VerifyConsistency(m, n, rn, rm, proof).ok());
      ASSERT_FALSE(VerifyConsistency(m, n, rm, rm, proof).ok());
      ASSERT_FALSE(VerifyConsistency(m, n, rn, rn, proof).ok());
      ASSERT_FALSE(VerifyConsistency(m, n, RandomHash(rng_), rn, proof).ok());
      ASSERT_FALSE(VerifyConsistency(m, n, rm, RandomHash(rng_), proof).ok());
      if (n - 1 != m) {
        ASSERT_FALSE(VerifyConsistency(m, n, rm, Root(n - 1), proof).ok());
      }
      EXPECT_EQ(VerifyConsistency(n, m, rn, rm, proof).code(), Code::kInvalidArgument);
      EXPECT_EQ(VerifyConsistency(n, m, rm, rn, {}).code(), Code::kInvalidArgument);
      ASSERT_FALSE(VerifyConsistency(m, n, rm, rn, {}).ok());
      // The proof made for another old size.
      if (n - m != m) {
        ASSERT_FALSE(VerifyConsistency(m, n, rm, rn, Cons(n - m, n)).ok());
      }
    }
  }
}

// As for inclusion, the new size enters the computation only through the
// shape of the path from the old tree's last node up to the new root: with
// the new tree's real root the proof verifies for that size alone, and
// against its own root exactly for the sizes of identical shape. The old
// size decides fr, so every other old size fails.
std::tuple<int, int, int> ConsistencyShape(uint64_t m, uint64_t n) {
  int t = std::countr_one(m - 1);
  uint64_t fn = (m - 1) >> t, sn = (n - 1) >> t;
  int inner = std::bit_width(fn ^ sn);
  return {t, inner, std::popcount(fn >> inner)};
}

TEST_F(VerifyTest, ConsistencyBindsTheSizesThroughTheRoots) {
  int same_shape = 0, different_shape = 0;
  for (uint64_t n = 2; n <= 64; ++n) {
    for (uint64_t m = 1; m < n; ++m) {
      std::vector<Hash> proof = Cons(m, n);
      Hash rm = Root(m), rn = Root(n);
      for (uint64_t n2 = m + 1; n2 <= 2 * n + 1; ++n2) {
        if (n2 == n) continue;
        bool same = ConsistencyShape(m, n) == ConsistencyShape(m, n2);
        (same ? same_shape : different_shape)++;
        ASSERT_EQ(VerifyConsistency(m, n2, rm, rn, proof).ok(), same)
            << m << "->" << n << " claimed as " << m << "->" << n2;
      }
      for (uint64_t m2 = 1; m2 < n; ++m2) {
        if (m2 == m) continue;
        ASSERT_FALSE(VerifyConsistency(m2, n, rm, rn, proof).ok())
            << m << "->" << n << " accepted as " << m2 << "->" << n;
      }
    }
  }
  EXPECT_GT(same_shape, 0);
  EXPECT_GT(different_shape, 0);
}

TEST_F(VerifyTest, ConsistencyTrivialCases) {
  Hash r5 = Root(5), r6 = Root(6);
  EXPECT_TRUE(VerifyConsistency(5, 5, r5, r5, {}).ok());
  EXPECT_EQ(VerifyConsistency(5, 5, r5, r6, {}).code(), Code::kCorruption);
  EXPECT_EQ(VerifyConsistency(5, 5, r5, r5, std::vector<Hash>{r5}).code(), Code::kCorruption);
  EXPECT_TRUE(VerifyConsistency(0, 0, EmptyRoot(), EmptyRoot(), {}).ok());
  EXPECT_TRUE(VerifyConsistency(0, 6, EmptyRoot(), r6, {}).ok());
  EXPECT_FALSE(VerifyConsistency(0, 6, r5, r6, {}).ok());  // not the empty root
  EXPECT_FALSE(VerifyConsistency(0, 6, EmptyRoot(), r6, std::vector<Hash>{EmptyRoot()}).ok());
  EXPECT_FALSE(VerifyConsistency(0, 0, EmptyRoot(), r5, {}).ok());
  EXPECT_EQ(VerifyConsistency(1, 0, r5, EmptyRoot(), {}).code(), Code::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(6, 5, r6, r5, {}).code(), Code::kInvalidArgument);
  std::vector<Hash> too_long(kMaxProofHashes + 1, r5);
  EXPECT_EQ(VerifyConsistency(3, ~uint64_t{0}, r5, r6, too_long).code(), Code::kCorruption);
}

// A proof made for a different tree of the same size never verifies against
// this tree's roots, and a fork (same first m leaves, different later ones)
// is caught by the consistency proof.
TEST_F(VerifyTest, ProofsFromAnotherTreeOfTheSameSizeFail) {
  std::vector<Hash> other_leaves = RandomLeaves(kLeaves, 31337);
  MerkleTree other;
  other.AppendBatch(other_leaves);
  for (uint64_t n = 2; n <= 64; ++n) {
    Hash root = Root(n);
    for (uint64_t i = 0; i < n; ++i) {
      std::vector<Hash> foreign = *other.InclusionProof(i, n);
      ASSERT_FALSE(VerifyInclusion(leaves_[i], i, n, foreign, root).ok());
      ASSERT_FALSE(VerifyInclusion(other_leaves[i], i, n, foreign, root).ok());
    }
    for (uint64_t m = 1; m < n; ++m) {
      std::vector<Hash> foreign = *other.ConsistencyProof(m, n);
      ASSERT_FALSE(VerifyConsistency(m, n, Root(m), root, foreign).ok());
    }
  }
  // Forks: the first m leaves agree, the rest differ.
  for (uint64_t m = 1; m < 50; ++m) {
    std::vector<Hash> forked = leaves_;
    for (size_t j = m; j < forked.size(); ++j) forked[j] = other_leaves[j];
    MerkleTree fork;
    fork.AppendBatch(forked);
    for (uint64_t n = m + 1; n <= 60; ++n) {
      ASSERT_EQ(*fork.Root(m), Root(m));
      std::vector<Hash> fork_proof = *fork.ConsistencyProof(m, n);
      EXPECT_TRUE(VerifyConsistency(m, n, Root(m), *fork.Root(n), fork_proof).ok());
      // The fork's proof does not connect the shared prefix to our tree, nor
      // ours to the fork.
      ASSERT_FALSE(VerifyConsistency(m, n, Root(m), Root(n), fork_proof).ok()) << m << "->" << n;
      ASSERT_FALSE(VerifyConsistency(m, n, Root(m), *fork.Root(n), Cons(m, n)).ok());
    }
  }
}

}  // namespace
}  // namespace custos::journal
