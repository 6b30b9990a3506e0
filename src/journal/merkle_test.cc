#include "journal/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <random>

#include "journal/merkle_verify.h"

namespace custos::journal {
namespace {

Hash H(std::string_view hex) {
  auto h = Hash256FromHex(hex);
  EXPECT_TRUE(h.ok()) << hex;
  return h.ok() ? *h : Hash{};
}

Bytes B(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

// The RFC 6962 test vectors used by transparency-dev/merkle
// (proof/verify_test.go) and certificate-transparency-go.
const char* const kLeafData[] = {"",
                                 "00",
                                 "10",
                                 "2021",
                                 "3031",
                                 "40414243",
                                 "5051525354555657",
                                 "606162636465666768696a6b6c6d6e6f"};

const char* const kRoots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct InclusionVector {
  uint64_t index, size;
  std::vector<const char*> proof;
};
// Indices are 0-based here (the Go table lists them 1-based).
const InclusionVector kInclusion[] = {
    {0, 1, {}},
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

struct ConsistencyVector {
  uint64_t old_size, new_size;
  std::vector<const char*> proof;
};
const ConsistencyVector kConsistency[] = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

std::vector<Hash> Hashes(const std::vector<const char*>& hex) {
  std::vector<Hash> out;
  for (const char* h : hex) out.push_back(H(h));
  return out;
}

std::vector<Hash> VectorLeafHashes() {
  std::vector<Hash> out;
  for (const char* d : kLeafData) out.push_back(HashLeaf(B(d)));
  return out;
}

// ---- The RFC 6962 §2.1 definitions, recursively and without shortcuts ----

uint64_t K(uint64_t n) {  // largest power of two < n
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash NaiveMth(std::span<const Hash> d) {
  if (d.empty()) return EmptyRoot();
  if (d.size() == 1) return d[0];
  uint64_t k = K(d.size());
  return HashChildren(NaiveMth(d.subspan(0, k)), NaiveMth(d.subspan(k)));
}

std::vector<Hash> NaivePath(uint64_t m, std::span<const Hash> d) {
  if (d.size() <= 1) return {};
  uint64_t k = K(d.size());
  std::vector<Hash> out;
  if (m < k) {
    out = NaivePath(m, d.subspan(0, k));
    out.push_back(NaiveMth(d.subspan(k)));
  } else {
    out = NaivePath(m - k, d.subspan(k));
    out.push_back(NaiveMth(d.subspan(0, k)));
  }
  return out;
}

std::vector<Hash> NaiveSubproof(uint64_t m, std::span<const Hash> d, bool b) {
  if (m == d.size()) return b ? std::vector<Hash>{} : std::vector<Hash>{NaiveMth(d)};
  uint64_t k = K(d.size());
  std::vector<Hash> out;
  if (m <= k) {
    out = NaiveSubproof(m, d.subspan(0, k), b);
    out.push_back(NaiveMth(d.subspan(k)));
  } else {
    out = NaiveSubproof(m - k, d.subspan(k), false);
    out.push_back(NaiveMth(d.subspan(0, k)));
  }
  return out;
}

std::vector<Hash> RandomLeaves(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Hash> out(n);
  for (auto& h : out) {
    uint64_t v = rng();
    h = HashLeaf(ByteView(reinterpret_cast<const uint8_t*>(&v), sizeof v));
  }
  return out;
}

// ---- Tests ----

TEST(MerkleHash, PrefixesAndEmptyRoot) {
  EXPECT_EQ(ToHex(EmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // SHA-256(0x00) is the hash of the empty leaf.
  EXPECT_EQ(ToHex(HashLeaf({})), kRoots[0]);
  // Node hashes must differ from a leaf hash of the same 64 bytes.
  Hash a = HashLeaf(AsBytes("a")), b = HashLeaf(AsBytes("b"));
  Bytes concat(a.begin(), a.end());
  concat.insert(concat.end(), b.begin(), b.end());
  EXPECT_NE(HashChildren(a, b), HashLeaf(concat));
  EXPECT_NE(HashChildren(a, b), HashChildren(b, a));
}

TEST(MerkleTree, KnownRoots) {
  MerkleTree tree;
  EXPECT_EQ(*tree.Root(0), EmptyRoot());
  std::vector<Hash> leaves = VectorLeafHashes();
  for (size_t i = 0; i < leaves.size(); ++i) {
    EXPECT_EQ(tree.Append(leaves[i]), i);
    EXPECT_EQ(ToHex(*tree.Root(i + 1)), kRoots[i]) << "size " << i + 1;
  }
  // Past sizes stay available after the tree has grown.
  for (size_t s = 1; s <= leaves.size(); ++s) {
    EXPECT_EQ(ToHex(*tree.Root(s)), kRoots[s - 1]);
    EXPECT_EQ(ToHex(RootFromLeafHashes(std::span(leaves).first(s))), kRoots[s - 1]);
  }
  EXPECT_FALSE(tree.Root(9).ok());
}

TEST(MerkleTree, KnownInclusionProofs) {
  MerkleTree tree;
  std::vector<Hash> leaves = VectorLeafHashes();
  tree.AppendBatch(leaves);
  for (const auto& v : kInclusion) {
    auto proof = tree.InclusionProof(v.index, v.size);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(*proof, Hashes(v.proof)) << v.index << "@" << v.size;
    EXPECT_TRUE(
        VerifyInclusion(leaves[v.index], v.index, v.size, Hashes(v.proof), H(kRoots[v.size - 1]))
            .ok());
  }
}

TEST(MerkleTree, KnownConsistencyProofs) {
  MerkleTree tree;
  tree.AppendBatch(VectorLeafHashes());
  for (const auto& v : kConsistency) {
    auto proof = tree.ConsistencyProof(v.old_size, v.new_size);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(*proof, Hashes(v.proof)) << v.old_size << "->" << v.new_size;
    EXPECT_TRUE(VerifyConsistency(v.old_size, v.new_size, H(kRoots[v.old_size - 1]),
                                  H(kRoots[v.new_size - 1]), Hashes(v.proof))
                    .ok());
  }
}

TEST(MerkleTree, RejectsOutOfRangeQueries) {
  MerkleTree tree;
  tree.AppendBatch(RandomLeaves(10, 1));
  EXPECT_EQ(tree.InclusionProof(10, 10).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(tree.InclusionProof(0, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(tree.InclusionProof(0, 11).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(tree.ConsistencyProof(5, 4).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(tree.ConsistencyProof(5, 11).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(tree.LeafHash(10).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(tree.ConsistencyProof(0, 10)->empty());
  EXPECT_TRUE(tree.ConsistencyProof(7, 7)->empty());
}

// Every size 1..130, every index and every old size: the unrolled proofs
// equal the RFC's recursive definitions, and they verify.
TEST(MerkleTree, MatchesRecursiveDefinitionsForAllSmallTrees) {
  constexpr size_t kMax = 130;
  std::vector<Hash> leaves = RandomLeaves(kMax, 42);
  MerkleTree tree;
  tree.AppendBatch(leaves);
  for (uint64_t n = 1; n <= kMax; ++n) {
    std::span<const Hash> d = std::span(leaves).first(n);
    Hash root = NaiveMth(d);
    ASSERT_EQ(*tree.Root(n), root) << "size " << n;
    for (uint64_t i = 0; i < n; ++i) {
      auto proof = tree.InclusionProof(i, n);
      ASSERT_TRUE(proof.ok());
      ASSERT_EQ(*proof, NaivePath(i, d)) << i << "@" << n;
      ASSERT_TRUE(VerifyInclusion(leaves[i], i, n, *proof, root).ok()) << i << "@" << n;
    }
    for (uint64_t m = 1; m <= n; ++m) {
      auto proof = tree.ConsistencyProof(m, n);
      ASSERT_TRUE(proof.ok());
      std::vector<Hash> want = m == n ? std::vector<Hash>{} : NaiveSubproof(m, d, true);
      ASSERT_EQ(*proof, want) << m << "->" << n;
      Status s = VerifyConsistency(m, n, *tree.Root(m), root, *proof);
      ASSERT_TRUE(s.ok()) << m << "->" << n << ": " << s.ToString();
    }
  }
}

TEST(CompactRange, RootAtEverySizeAndResume) {
  std::vector<Hash> leaves = RandomLeaves(300, 7);
  MerkleTree tree;
  CompactRange range;
  EXPECT_EQ(range.Root(), EmptyRoot());
  for (size_t i = 0; i < leaves.size(); ++i) {
    tree.Append(leaves[i]);
    range.Append(leaves[i]);
    ASSERT_EQ(range.Size(), i + 1);
    ASSERT_EQ(range.Peaks().size(), static_cast<size_t>(std::popcount(i + 1)));
    ASSERT_EQ(range.Root(), *tree.Root(i + 1)) << "size " << i + 1;
  }
  // Save the state at 77 leaves and continue from it.
  CompactRange first;
  for (size_t i = 0; i < 77; ++i) first.Append(leaves[i]);
  auto resumed = CompactRange::FromPeaks(first.Size(), first.Peaks());
  ASSERT_TRUE(resumed.ok());
  for (size_t i = 77; i < leaves.size(); ++i) resumed->Append(leaves[i]);
  EXPECT_EQ(resumed->Root(), range.Root());
  // A state whose peak count does not match its size is refused.
  EXPECT_FALSE(CompactRange::FromPeaks(77, {}).ok());
  EXPECT_FALSE(CompactRange::FromPeaks(8, first.Peaks()).ok());
}

// A million leaves: the stored tree, the streaming builder and proofs at a
// handful of past sizes agree.
TEST(MerkleTree, MillionLeaves) {
  constexpr uint64_t kN = 1 << 20 | 12345;
  std::vector<Hash> leaves = RandomLeaves(kN, 99);
  MerkleTree tree;
  tree.AppendBatch(leaves);
  ASSERT_EQ(tree.Size(), kN);
  std::mt19937_64 rng(5);
  CompactRange range;
  std::vector<uint64_t> sizes = {1, 2, 3, 1000, 65536, 65537, 999999, kN};
  size_t next = 0;
  for (uint64_t i = 0; i < kN; ++i) {
    range.Append(leaves[i]);
    if (range.Size() == sizes[next]) {
      Hash root = range.Root();
      ASSERT_EQ(*tree.Root(range.Size()), root) << "size " << range.Size();
      ++next;
    }
  }
  ASSERT_EQ(next, sizes.size());
  EXPECT_EQ(RootFromLeafHashes(leaves), *tree.Root(kN));
  for (int trial = 0; trial < 200; ++trial) {
    uint64_t n = 1 + rng() % kN, m = 1 + rng() % n, i = rng() % n;
    Hash root_n = *tree.Root(n);
    auto incl = tree.InclusionProof(i, n);
    ASSERT_TRUE(VerifyInclusion(leaves[i], i, n, *incl, root_n).ok());
    auto cons = tree.ConsistencyProof(m, n);
    ASSERT_TRUE(VerifyConsistency(m, n, *tree.Root(m), root_n, *cons).ok()) << m << "->" << n;
  }
}

}  // namespace
}  // namespace custos::journal
