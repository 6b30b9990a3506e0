// IdTable<V>: values by short string id (a subject id), for the verifier's
// lanes, which look one up for every journal entry and every row. When a
// provider's writes alternate between trainees, no lookup repeats the last
// one, and std::unordered_map's hashing, bucket division and node walk cost
// about a sixteenth of a lane (measured on 1,000 trainees).
//
// Contract
// - FindOrAdd(id) returns the value of `id`, adding a value-initialised one
//   (and saying so) the first time. Values never move: a pointer or
//   reference stays valid for the table's life.
// - The hash is keyed with a random seed per table, so that a journal
//   crafted with colliding ids cannot choose them in advance; collisions
//   cost time only, never a wrong answer (ids are compared whole).
//
// Thread-safety: none; a table belongs to one lane.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/random.h"

namespace custos::records {

// A keyed 64-bit hash of `s` (multiply-fold rounds over 16-byte blocks).
// Not a MAC: it spreads ids unknown in advance over the table.
class IdHash {
 public:
  IdHash() {
    for (uint64_t& s : seed_) s = RandomU64() | 1;
  }
  uint64_t operator()(std::string_view s) const {
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    const size_t n = s.size();
    uint64_t h = seed_[0] ^ n;
    size_t i = 0;
    for (; i + 16 < n; i += 16) h = Fold(Load8(p + i) ^ seed_[1], Load8(p + i + 8) ^ h);
    // The last 1 to 16 bytes, read as two words that may overlap (or the
    // bytes before them): no byte-by-byte copy for ids of 8 bytes or more.
    uint64_t a = 0, b = 0;
    if (n >= 16) {
      a = Load8(p + n - 16);
      b = Load8(p + n - 8);
    } else if (n >= 8) {
      a = Load8(p);
      b = Load8(p + n - 8);
    } else if (n >= 4) {
      a = uint64_t{Load4(p)} << 32 | Load4(p + n - 4);
    } else if (n > 0) {
      a = uint64_t{p[0]} << 16 | uint64_t{p[n / 2]} << 8 | p[n - 1];
    }
    h = Fold(a ^ seed_[2], b ^ h);
    return Fold(h ^ seed_[3], n ^ seed_[1]);
  }

 private:
  static uint64_t Load8(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  static uint32_t Load4(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  __extension__ typedef unsigned __int128 U128;  // GCC and Clang
  static uint64_t Fold(uint64_t a, uint64_t b) {
    const U128 r = static_cast<U128>(a) * b;
    return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
  }
  uint64_t seed_[4];
};

template <typename V>
class IdTable {
 public:
  IdTable() : slots_(64) {}

  // The value of `id` and whether it was added now.
  std::pair<V*, bool> FindOrAdd(std::string_view id) {
    const uint64_t h = hash_(id);
    size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    for (;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.value == nullptr) break;
      if (slot.hash == h && slot.id_size == id.size() &&
          std::memcmp(ids_.data() + slot.id_offset, id.data(), id.size()) == 0) {
        return {slot.value, false};
      }
    }
    V* value = &values_.emplace_back();
    const Slot added{h, ids_.size(), id.size(), value};
    ids_.append(id);
    if (values_.size() * 2 > slots_.size()) {
      Grow();
      mask = slots_.size() - 1;
      i = h & mask;
      while (slots_[i].value != nullptr) i = (i + 1) & mask;
    }
    slots_[i] = added;
    return {value, true};
  }
  size_t size() const { return values_.size(); }

 private:
  // The ids are kept together in ids_, so that comparing one reads memory
  // the lookups share instead of a heap block per id.
  struct Slot {
    uint64_t hash = 0;
    size_t id_offset = 0;  // in ids_
    size_t id_size = 0;
    V* value = nullptr;  // nullptr: empty
  };

  // Doubles the slots and places the ids already in them again.
  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.value == nullptr) continue;
      size_t i = s.hash & mask;
      while (slots_[i].value != nullptr) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  IdHash hash_;
  std::vector<Slot> slots_;  // a power of two, at most half full
  std::string ids_;
  std::deque<V> values_;  // a deque: values never move
};

}  // namespace custos::records
