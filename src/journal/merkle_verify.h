// RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) proof verifiers,
// written step by step after the RFC text. They accept proofs from any
// RFC 6962/9162 log (MerkleTree here, transparency-dev/merkle, Trillian...).
//
// Error contract (every function):
//   InvalidArgument  the question itself is malformed: leaf index not below
//                    the tree size, old size larger than the new size;
//   Corruption       the proof does not prove the claim: too long, too short,
//                    or it leads to a different root. Messages say which.
// A proof longer than kMaxProofHashes is rejected before any hashing.
//
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <span>

#include "base/result.h"
#include "journal/merkle.h"

namespace custos::journal {

// No valid proof for a tree of fewer than 2^63 leaves has more hashes.
inline constexpr size_t kMaxProofHashes = 64;

// The root that `proof` leads to from leaf_hash at index in a tree of size
// leaves (RFC 9162 §2.1.3.2 steps 1-5 without the final root comparison).
Result<Hash> RootFromInclusionProof(const Hash& leaf_hash, uint64_t index, uint64_t size,
                                    std::span<const Hash> proof);

// OK iff `proof` shows that leaf_hash is leaf number `index` of the tree of
// `size` leaves whose root is `root`.
Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Hash> proof, const Hash& root);

// OK iff `proof` shows that the tree of old_size leaves with old_root is a
// prefix of the tree of new_size leaves with new_root. Trivial cases:
//   old_size == new_size: the proof must be empty and the roots equal;
//   old_size == 0:        the proof must be empty and old_root must be
//                         EmptyRoot() (every tree extends the empty tree);
//   0 < old_size < new_size with an empty proof: Corruption (RFC step 1).
Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof);

}  // namespace custos::journal
