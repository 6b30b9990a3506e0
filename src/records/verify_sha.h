// SHA-256 for the verifier's hot loop (verify_lane.cc), straight on the
// CPU's SHA extensions where it has them.
//
// VerifySha256Pair: the digests of two messages computed together. With the
// SHA extensions the two compressions run interleaved, so the second digest
// costs little more than the wait for the first (each round depends on the
// one before and leaves the unit idle meanwhile); elsewhere, and for
// messages past 503 bytes, the two are hashed one after the other.
// Contract: out_a == SHA-256(a1 || a2) and out_b == SHA-256(b1 || b2) for
// every input. The lanes hash an entry's leaf and its commitment with it.
//
// Thread-safety: pure. The copies it makes of the messages are wiped before
// it returns (a commitment's message is a decrypted after-image).
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "crypto/hash.h"

namespace custos::records {

void VerifySha256Pair(ByteView a1, ByteView a2, ByteView b1, ByteView b2, Hash256& out_a,
                      Hash256& out_b);

// RFC 6962 interior nodes for the verifier's tree (audit/verify_tree.h):
// out[i] = SHA-256(0x01 || children[2i] || children[2i + 1]) for i < n, two
// at a time with the SHA extensions. `out` must not overlap `children`.
void VerifyNodeHashes(const Hash256* children, size_t n, Hash256* out);

// HMAC-SHA256 keyed once, as crypto/hash.h Hmac (same results), for the
// verifier's payload keys: on a CPU with the SHA extensions a message of at
// most 55 bytes costs two compressions straight from the keyed states;
// other messages and CPUs go through Hmac. Thread-safe (Compute keeps its
// working state on the stack and wipes it); the keyed states are wiped when
// it is destroyed.
class SubjectHmac {
 public:
  explicit SubjectHmac(ByteView key);
  ~SubjectHmac();
  SubjectHmac(const SubjectHmac&) = delete;
  SubjectHmac& operator=(const SubjectHmac&) = delete;
  Hash256 Compute(ByteView data) const;
  // a.Compute(data_a) and b.Compute(data_b) together: with the SHA
  // extensions the two inner compressions run interleaved, then the two
  // outer ones.
  static void ComputeTwo(const SubjectHmac& a, ByteView data_a, const SubjectHmac& b,
                         ByteView data_b, Hash256& out_a, Hash256& out_b);

 private:
  Hmac hmac_;
  bool fast_ = false;
  uint32_t inner_[8] = {};  // SHA-256 state after the block key ^ ipad
  uint32_t outer_[8] = {};  // after key ^ opad
};

// For tests: false makes VerifySha256Pair and SubjectHmac (those created
// afterwards) take the path of CPUs without the SHA extensions. Returns
// whether the SHA extensions path is available.
bool UseShaExtensionsForTesting(bool allow);

}  // namespace custos::records
