// Test helpers shared by the leaf unit tests (not part of the library).
#pragma once

#include <cstddef>
#include <cstdint>

#include "records/leaf.h"

namespace custos::records::testing_util {

// A well-formed update leaf with every field set to a distinct, recognisable
// value: seq 42, linked to seq 17, actor bytes 0..15, subject 0xf0..0xff,
// commitment 0x40.., previous leaf hash 0x80...
inline Leaf SampleLeaf() {
  Leaf l;
  l.seq = 42;
  l.time_micros = 1767225600123456ull;
  l.event = EventType::kUpdate;
  l.entity = "assessment";
  l.record_id = "01JDXR5Q6Z3KQ8W1V2B3N4M5P6";
  l.record_version = 3;
  l.actor_role = "registrar";
  for (size_t i = 0; i < 16; ++i) {
    l.actor[i] = static_cast<uint8_t>(i);
    l.subject[i] = static_cast<uint8_t>(0xf0 + i);
  }
  for (size_t i = 0; i < 32; ++i) {
    l.commitment[i] = static_cast<uint8_t>(0x40 + i);
    l.prev_leaf_hash[i] = static_cast<uint8_t>(0x80 + i);
  }
  l.prev_seq = 17;
  return l;
}

}  // namespace custos::records::testing_util
