#include "records/verify_leaf.h"

#include <array>
#include <cstring>

namespace custos::records {
namespace {

// The alphabets of ValidateLeaf (leaf.cc): names [a-z][a-z0-9_-]{0,31},
// record ids [A-Za-z0-9_-]{0,64}.
constexpr size_t kMaxNameLength = 32;
constexpr size_t kMaxRecordIdLength = 64;

enum : uint8_t { kNameChar = 1, kIdChar = 2 };
constexpr std::array<uint8_t, 256> kCharClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kNameChar | kIdChar;
  for (int c = '0'; c <= '9'; ++c) t[c] = kNameChar | kIdChar;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kIdChar;
  t['_'] = t['-'] = kNameChar | kIdChar;
  return t;
}();

bool AllOf(std::string_view s, uint8_t cls) {
  uint8_t all = cls;
  for (char c : s) all &= kCharClass[static_cast<uint8_t>(c)];
  return all == cls;
}

bool IsLowerName(std::string_view s) {
  return !s.empty() && s.size() <= kMaxNameLength && s[0] >= 'a' && s[0] <= 'z' &&
         AllOf(s, kNameChar);
}

bool IsRecordId(std::string_view s) { return s.size() <= kMaxRecordIdLength && AllOf(s, kIdChar); }

// A bounds-checked reader; every method is false when the bytes run out.
class Reader {
 public:
  explicit Reader(ByteView b) : p_(b.data()), end_(b.data() + b.size()) {}
  bool U8(uint8_t& v) {
    if (end_ - p_ < 1) return false;
    v = *p_++;
    return true;
  }
  bool BE64(uint64_t& v) {
    if (end_ - p_ < 8) return false;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    std::memcpy(&v, p_, 8);  // one load and a byte swap, not a loop per byte
    v = __builtin_bswap64(v);
#else
    std::memcpy(&v, p_, 8);
#endif
    p_ += 8;
    return true;
  }
  bool ShortText(std::string_view& s) {
    uint8_t n;
    if (!U8(n) || end_ - p_ < n) return false;
    s = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  bool Fixed(size_t n, const uint8_t*& at) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    at = p_;
    p_ += n;
    return true;
  }
  bool AtEnd() const { return p_ == end_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

bool IsZero(const uint8_t* p, size_t n) {
  uint8_t any = 0;
  for (size_t i = 0; i < n; ++i) any |= p[i];
  return any == 0;
}

}  // namespace

bool ReadLeafView(ByteView bytes, LeafView& out) {
  Reader r(bytes);
  uint8_t version = 0, event = 0;
  uint64_t time = 0;
  std::string_view actor_role;
  const uint8_t* actor = nullptr;
  if (!r.U8(version) || version != kLeafFormatVersion || !r.BE64(out.seq) || !r.BE64(time) ||
      !r.U8(event) || !EventTypeFromByte(event) || !r.ShortText(out.entity) ||
      !r.ShortText(out.record_id) || !r.BE64(out.record_version) || !r.ShortText(actor_role) ||
      !r.Fixed(kPseudonymSize, actor) || !r.Fixed(kPseudonymSize, out.subject) ||
      !r.Fixed(32, out.commitment) || !r.BE64(out.prev_seq) || !r.Fixed(32, out.prev_leaf_hash) ||
      !r.AtEnd()) {
    return false;
  }
  out.event = static_cast<EventType>(event);
  // ValidateLeaf's checks.
  return out.seq != 0 && IsLowerName(out.entity) && IsRecordId(out.record_id) &&
         IsLowerName(actor_role) && out.prev_seq < out.seq &&
         (out.prev_seq == 0) == IsZero(out.prev_leaf_hash, 32);
}

LeafView ViewOf(const Leaf& leaf) {
  LeafView v;
  v.seq = leaf.seq;
  v.event = leaf.event;
  v.entity = leaf.entity;
  v.record_id = leaf.record_id;
  v.record_version = leaf.record_version;
  v.subject = leaf.subject.data();
  v.commitment = leaf.commitment.data();
  v.prev_seq = leaf.prev_seq;
  v.prev_leaf_hash = leaf.prev_leaf_hash.data();
  return v;
}

}  // namespace custos::records
