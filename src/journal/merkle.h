// RFC 6962 / RFC 9162 Merkle tree hashing, an in-memory append-only tree that
// serves roots and proofs at any past size, and streaming root builders.
//
//   MTH({})   = SHA-256()
//   MTH({d})  = SHA-256(0x00 || d)                          (HashLeaf)
//   MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))  (HashChildren)
//               with k the largest power of two smaller than n.
//
// Proofs are exactly RFC 9162 §2.1.3.1 (inclusion path) and §2.1.4.1
// (consistency proof), so they interoperate with any RFC 9162 verifier such as
// transparency-dev/merkle. The verifiers live in merkle_verify.h.
//
// Thread-safety: the free functions are thread-safe. MerkleTree is safe for
// concurrent use without external locking: Append takes an exclusive lock,
// every read takes a shared lock (one writer, many readers). CompactRange is
// not thread-safe (one owner).
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace custos::journal {

using Hash = Hash256;

// SHA-256(0x00 || data).
Hash HashLeaf(ByteView data);
// SHA-256(0x01 || left || right).
Hash HashChildren(const Hash& left, const Hash& right);
// SHA-256() = e3b0c442...b855, the root of the empty tree.
const Hash& EmptyRoot();

// The root of the tree whose leaves have the given leaf hashes, computed with
// O(log n) memory and n-1 node hashes. EmptyRoot() for an empty span.
Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes);

// The right edge of a tree grown from leaf 0: the roots of the perfect
// subtrees that a tree of Size() leaves decomposes into (one per set bit of
// Size(), largest first). Appending is amortised one node hash per leaf;
// Root() costs popcount(Size()) - 1 node hashes, so the root at every
// intermediate size can be read while streaming through the leaves.
class CompactRange {
 public:
  CompactRange() = default;
  // Resumes from a saved state. InvalidArgument if peaks.size() is not the
  // number of set bits of size.
  static Result<CompactRange> FromPeaks(uint64_t size, std::vector<Hash> peaks);

  void Append(const Hash& leaf_hash);
  uint64_t Size() const { return size_; }
  // The root at the current size (EmptyRoot() when empty).
  Hash Root() const;
  // The perfect-subtree roots, largest (leftmost) first.
  const std::vector<Hash>& Peaks() const { return peaks_; }

 private:
  uint64_t size_ = 0;
  std::vector<Hash> peaks_;
};

// An append-only Merkle tree held in memory. Level k keeps the hash of every
// complete, aligned 2^k-leaf subtree, about 2 hashes (64 bytes) per leaf in
// total, stored in fixed-size chunks so growth never copies. Roots and
// proofs at any size up to Size() cost O(log n) hash operations.
class MerkleTree {
 public:
  MerkleTree();
  ~MerkleTree();
  MerkleTree(const MerkleTree&) = delete;
  MerkleTree& operator=(const MerkleTree&) = delete;

  // Appends one leaf (already hashed with HashLeaf) and returns its index.
  uint64_t Append(const Hash& leaf_hash);
  // Appends many leaves under one lock; returns the index of the first.
  uint64_t AppendBatch(std::span<const Hash> leaf_hashes);

  uint64_t Size() const;
  // The leaf hash at index. InvalidArgument if index >= Size().
  Result<Hash> LeafHash(uint64_t index) const;
  // The root of the first `size` leaves. InvalidArgument if size > Size().
  Result<Hash> Root(uint64_t size) const;
  // The RFC 9162 inclusion path of leaf `index` in the tree of `size` leaves,
  // from the leaf's sibling up. InvalidArgument if index >= size or
  // size > Size().
  Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size) const;
  // The RFC 9162 consistency proof from old_size to new_size. Empty when
  // old_size is 0 or equal to new_size. InvalidArgument if
  // old_size > new_size or new_size > Size().
  Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size) const;

 private:
  class Level;
  // All below require mu_ held (shared or exclusive).
  const Hash& Node(int level, uint64_t index) const;
  Hash RangeHash(uint64_t begin, uint64_t end) const;
  void AppendLocked(const Hash& leaf_hash);

  mutable std::shared_mutex mu_;
  std::vector<std::unique_ptr<Level>> levels_;
  uint64_t size_ = 0;
};

}  // namespace custos::journal
