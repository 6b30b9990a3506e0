#include "journal/merkle_verify.h"

#include <bit>
#include <string>

namespace custos::journal {
namespace {

std::string Num(uint64_t v) { return std::to_string(v); }

// RFC 9162: "right-shift both fn and sn equally until either LSB(fn) is set
// or fn is 0".
void ShiftToSetBit(uint64_t& fn, uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

Result<Hash> RootFromInclusionProof(const Hash& leaf_hash, uint64_t index, uint64_t size,
                                    std::span<const Hash> proof) {
  // Step 1.
  if (index >= size) {
    return Status::InvalidArgument("inclusion proof: leaf index " + Num(index) +
                                   " is not below the tree size " + Num(size));
  }
  if (proof.size() > kMaxProofHashes) {
    return Status::Corruption("inclusion proof has " + Num(proof.size()) +
                              " hashes; no valid proof has more than " + Num(kMaxProofHashes));
  }
  // Steps 2-3.
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf_hash;
  // Step 4.
  for (const Hash& p : proof) {
    if (sn == 0) {
      return Status::Corruption("inclusion proof is too long for leaf " + Num(index) +
                                " in a tree of size " + Num(size));
    }
    if ((fn & 1) != 0 || fn == sn) {
      r = HashChildren(p, r);
      if ((fn & 1) == 0) ShiftToSetBit(fn, sn);
    } else {
      r = HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 5, first half.
  if (sn != 0) {
    return Status::Corruption("inclusion proof is too short for leaf " + Num(index) +
                              " in a tree of size " + Num(size));
  }
  return r;
}

Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Hash> proof, const Hash& root) {
  ASSIGN_OR_RETURN(Hash computed, RootFromInclusionProof(leaf_hash, index, size, proof));
  if (computed != root) {
    return Status::Corruption("inclusion proof for leaf " + Num(index) + " in a tree of size " +
                              Num(size) + " leads to a different root");
  }
  return Status::OK();
}

Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof) {
  if (old_size > new_size) {
    return Status::InvalidArgument("consistency proof: old size " + Num(old_size) +
                                   " is larger than the new size " + Num(new_size));
  }
  if (old_size == new_size) {
    if (!proof.empty()) {
      return Status::Corruption("consistency proof between equal sizes must be empty, has " +
                                Num(proof.size()) + " hashes");
    }
    if (old_root != new_root) {
      return Status::Corruption("two different roots for the same tree size " + Num(old_size));
    }
    return Status::OK();
  }
  if (old_size == 0) {
    if (!proof.empty()) {
      return Status::Corruption("consistency proof from the empty tree must be empty, has " +
                                Num(proof.size()) + " hashes");
    }
    if (old_root != EmptyRoot()) {
      return Status::Corruption("the root given for the empty tree is not SHA-256()");
    }
    return Status::OK();
  }
  // Step 1.
  if (proof.empty()) {
    return Status::Corruption("empty consistency proof from size " + Num(old_size) + " to " +
                              Num(new_size));
  }
  if (proof.size() > kMaxProofHashes) {
    return Status::Corruption("consistency proof has " + Num(proof.size()) +
                              " hashes; no valid proof has more than " + Num(kMaxProofHashes));
  }
  // Step 2: a power-of-two old tree is itself a node of the new tree; its
  // root is the implicit first element of the path.
  const bool prepend_old_root = std::has_single_bit(old_size);
  const size_t count = proof.size() + (prepend_old_root ? 1 : 0);
  auto element = [&](size_t i) -> const Hash& {
    if (prepend_old_root) return i == 0 ? old_root : proof[i - 1];
    return proof[i];
  };
  // Steps 3-4.
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  // Step 5.
  Hash fr = element(0), sr = element(0);
  // Step 6.
  for (size_t i = 1; i < count; ++i) {
    const Hash& c = element(i);
    if (sn == 0) {
      return Status::Corruption("consistency proof from size " + Num(old_size) + " to " +
                                Num(new_size) + " is too long");
    }
    if ((fn & 1) != 0 || fn == sn) {
      fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
      if ((fn & 1) == 0) ShiftToSetBit(fn, sn);
    } else {
      sr = HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 7.
  if (sn != 0) {
    return Status::Corruption("consistency proof from size " + Num(old_size) + " to " +
                              Num(new_size) + " is too short");
  }
  if (fr != old_root) {
    return Status::Corruption("consistency proof from size " + Num(old_size) + " to " +
                              Num(new_size) + " does not lead to the old root");
  }
  if (sr != new_root) {
    return Status::Corruption("consistency proof from size " + Num(old_size) + " to " +
                              Num(new_size) + " does not lead to the new root");
  }
  return Status::OK();
}

}  // namespace custos::journal
