// ReadLeafView: DecodeLeaf (leaf.h) for the verifier, without building a
// Leaf: the fields the checks need, as views into the leaf bytes.
//
// Contract: ReadLeafView(b, v) is true exactly when DecodeLeaf(b) succeeds,
// and the fields of `v` then equal those of the decoded Leaf. When it is
// false, DecodeLeaf(b) names the problem (the verifier calls it then, so the
// messages stay DecodeLeaf's own).
//
// Thread-safety: pure. Lifetime: the views point into `bytes`.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "records/leaf.h"

namespace custos::records {

struct LeafView {
  uint64_t seq = 0;
  EventType event = EventType::kCreate;
  std::string_view entity;
  std::string_view record_id;
  uint64_t record_version = 0;
  const uint8_t* subject = nullptr;     // kPseudonymSize bytes
  const uint8_t* commitment = nullptr;  // 32 bytes
  uint64_t prev_seq = 0;
  const uint8_t* prev_leaf_hash = nullptr;  // 32 bytes
};

bool ReadLeafView(ByteView bytes, LeafView& out);

// The view of a decoded Leaf (pointing into `leaf`).
LeafView ViewOf(const Leaf& leaf);

}  // namespace custos::records
