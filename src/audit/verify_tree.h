// CheckpointTree: the journal's RFC 6962 Merkle tree rebuilt from a stream
// of leaf hashes, keeping only what the verifier asks about: the root at
// each checkpoint size, and the hashes of the RFC 9162 consistency proof
// between each pair of successive checkpoints (the same proofs that
// journal::MerkleTree::ConsistencyProof returns).
//
// Memory is O(log n) hashes plus the proofs' (at most 2 log n per pair),
// instead of the two hashes per leaf of a MerkleTree; the work is the same
// n - 1 node hashes. The proof nodes are planned before the stream starts
// and captured as the tree completes them.
//
// Thread-safety: one owner.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace custos::audit {

class CheckpointTree {
 public:
  // `sizes`: the checkpoint sizes, strictly increasing.
  explicit CheckpointTree(std::vector<uint64_t> sizes);
  ~CheckpointTree();
  CheckpointTree(const CheckpointTree&) = delete;
  CheckpointTree& operator=(const CheckpointTree&) = delete;

  // Appends leaves (already hashed with journal::HashLeaf).
  void Append(std::span<const Hash256> leaf_hashes);
  uint64_t Size() const { return size_; }

  // The root of the first sizes[i] leaves. InvalidArgument when the stream
  // has not reached that size.
  Result<Hash256> Root(size_t i) const;
  // The consistency proof from sizes[i - 1] to sizes[i] (i >= 1).
  // InvalidArgument when the stream has not reached sizes[i].
  Result<std::vector<Hash256>> ConsistencyProof(size_t i) const;

 private:
  struct Range {  // the leaves [begin, end) of one proof hash
    uint64_t begin = 0;
    uint64_t end = 0;
  };
  void AppendOne(const Hash256& leaf_hash);
  // The level m of the largest complete subtree the next leaves can form at
  // once (2^m of them, at most `available`): aligned at Size(), with no
  // checkpoint strictly inside. 0 when only one leaf can go.
  int SubtreeLevel(size_t available) const;
  // Appends 2^m leaves as one subtree, hashed level by level, two nodes at
  // a time (records::VerifyNodeHashes).
  void AppendSubtree(std::span<const Hash256> leaves, int m);
  // Pushes a complete subtree of 2^level leaves ending at leaf `last` and
  // merges equal neighbours; then counts its leaves and reaches the
  // checkpoints at the new size.
  void PushPeak(const Hash256& h, int level, uint64_t last);
  void Captured(int level, uint64_t index, const Hash256& h);
  void ReachedCheckpoint();
  // The hash of [begin, Size()) from the current peaks, when `begin` is a
  // peak boundary.
  Result<Hash256> SuffixHash(uint64_t begin) const;

  std::vector<uint64_t> sizes_;
  std::vector<std::vector<Range>> plans_;     // per checkpoint: its proof's ranges
  std::vector<std::vector<Hash256>> proofs_;  // filled as the ranges complete
  std::vector<std::vector<bool>> filled_;
  std::vector<Hash256> roots_;
  std::vector<bool> reached_;
  // Per level: the indices of the complete subtrees the plans need, sorted,
  // each with the (checkpoint, position) slots it fills; a cursor per level.
  struct Need {
    uint64_t index;
    size_t checkpoint;
    size_t position;
  };
  std::vector<std::vector<Need>> needs_;
  std::vector<size_t> need_cursor_;
  size_t next_checkpoint_ = 0;
  uint64_t size_ = 0;
  std::vector<Hash256> peaks_;  // the compact range, largest subtree first
  std::vector<int> peak_levels_;
  std::vector<Hash256> level_[2];  // AppendSubtree's levels (kept for their capacity)
};

}  // namespace custos::audit
