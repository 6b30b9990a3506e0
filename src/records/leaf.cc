#include "records/leaf.h"

#include <algorithm>
#include <string>

#include "base/civil_time.h"
#include "crypto/hash.h"

namespace custos::records {
namespace {

constexpr size_t kMaxNameLength = 32;
constexpr size_t kMaxRecordIdLength = 64;

bool IsLowerName(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  if (s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsRecordId(std::string_view s) {
  if (s.size() > kMaxRecordIdLength) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsZero(const Hash256& h) {
  for (uint8_t b : h) {
    if (b != 0) return false;
  }
  return true;
}

void PutBE64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void PutShortText(Bytes& out, std::string_view s) {
  out.push_back(static_cast<uint8_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

template <size_t N>
void PutFixed(Bytes& out, const std::array<uint8_t, N>& a) {
  out.insert(out.end(), a.begin(), a.end());
}

// A bounds-checked reader over the leaf bytes.
class Cursor {
 public:
  explicit Cursor(ByteView b) : b_(b) {}
  bool U8(uint8_t& v) {
    if (b_.size() - pos_ < 1) return false;
    v = b_[pos_++];
    return true;
  }
  bool BE64(uint64_t& v) {
    if (b_.size() - pos_ < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | b_[pos_++];
    return true;
  }
  bool ShortText(std::string& s) {
    uint8_t n;
    if (!U8(n) || b_.size() - pos_ < n) return false;
    s.assign(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  template <size_t N>
  bool Fixed(std::array<uint8_t, N>& a) {
    if (b_.size() - pos_ < N) return false;
    std::copy(b_.begin() + pos_, b_.begin() + pos_ + N, a.begin());
    pos_ += N;
    return true;
  }
  bool AtEnd() const { return pos_ == b_.size(); }

 private:
  ByteView b_;
  size_t pos_ = 0;
};

Status Truncated(std::string_view field) {
  return Status::Corruption("leaf: truncated at " + std::string(field));
}

}  // namespace

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kCreate:
      return "create";
    case EventType::kUpdate:
      return "update";
    case EventType::kDelete:
      return "delete";
    case EventType::kAccess:
      return "access";
    case EventType::kImport:
      return "import";
    case EventType::kErase:
      return "erase";
    case EventType::kExport:
      return "export";
    case EventType::kRestoreTest:
      return "restore-test";
  }
  return "unknown";
}

std::optional<EventType> EventTypeFromByte(uint8_t value) {
  if (value < 1 || value > 8) return std::nullopt;
  return static_cast<EventType>(value);
}

std::optional<EventType> ParseEventType(std::string_view name) {
  for (uint8_t v = 1; v <= 8; ++v) {
    auto t = static_cast<EventType>(v);
    if (EventTypeName(t) == name) return t;
  }
  return std::nullopt;
}

Status ValidateLeaf(const Leaf& leaf) {
  if (leaf.seq == 0) return Status::InvalidArgument("leaf: seq must be >= 1");
  if (!EventTypeFromByte(static_cast<uint8_t>(leaf.event))) {
    return Status::InvalidArgument("leaf: unknown event type");
  }
  if (!IsLowerName(leaf.entity)) return Status::InvalidArgument("leaf: invalid entity");
  if (!IsRecordId(leaf.record_id)) return Status::InvalidArgument("leaf: invalid record_id");
  if (!IsLowerName(leaf.actor_role)) return Status::InvalidArgument("leaf: invalid actor_role");
  if (leaf.prev_seq >= leaf.seq) {
    return Status::InvalidArgument("leaf: prev_seq must be below seq");
  }
  if ((leaf.prev_seq == 0) != IsZero(leaf.prev_leaf_hash)) {
    return Status::InvalidArgument("leaf: prev_leaf_hash must be zero exactly when prev_seq is 0");
  }
  return Status::OK();
}

Bytes EncodeLeaf(const Leaf& leaf) {
  Bytes out;
  out.reserve(1 + 8 + 8 + 1 + 1 + leaf.entity.size() + 1 + leaf.record_id.size() + 8 + 1 +
              leaf.actor_role.size() + 16 + 16 + 32 + 8 + 32);
  out.push_back(kLeafFormatVersion);
  PutBE64(out, leaf.seq);
  PutBE64(out, leaf.time_micros);
  out.push_back(static_cast<uint8_t>(leaf.event));
  PutShortText(out, leaf.entity);
  PutShortText(out, leaf.record_id);
  PutBE64(out, leaf.record_version);
  PutShortText(out, leaf.actor_role);
  PutFixed(out, leaf.actor);
  PutFixed(out, leaf.subject);
  PutFixed(out, leaf.commitment);
  PutBE64(out, leaf.prev_seq);
  PutFixed(out, leaf.prev_leaf_hash);
  return out;
}

Result<Leaf> DecodeLeaf(ByteView bytes) {
  Cursor c(bytes);
  Leaf leaf;
  uint8_t version;
  if (!c.U8(version)) return Truncated("format version");
  if (version != kLeafFormatVersion) {
    return Status::Corruption("leaf: unknown format version " + std::to_string(version));
  }
  if (!c.BE64(leaf.seq)) return Truncated("seq");
  if (!c.BE64(leaf.time_micros)) return Truncated("time");
  uint8_t event;
  if (!c.U8(event)) return Truncated("event");
  auto type = EventTypeFromByte(event);
  if (!type) return Status::Corruption("leaf: unknown event type " + std::to_string(event));
  leaf.event = *type;
  if (!c.ShortText(leaf.entity)) return Truncated("entity");
  if (!c.ShortText(leaf.record_id)) return Truncated("record_id");
  if (!c.BE64(leaf.record_version)) return Truncated("record_version");
  if (!c.ShortText(leaf.actor_role)) return Truncated("actor_role");
  if (!c.Fixed(leaf.actor)) return Truncated("actor");
  if (!c.Fixed(leaf.subject)) return Truncated("subject");
  if (!c.Fixed(leaf.commitment)) return Truncated("commitment");
  if (!c.BE64(leaf.prev_seq)) return Truncated("prev_seq");
  if (!c.Fixed(leaf.prev_leaf_hash)) return Truncated("prev_leaf_hash");
  if (!c.AtEnd()) return Status::Corruption("leaf: trailing bytes");
  Status st = ValidateLeaf(leaf);
  if (!st.ok()) return Status::Corruption(st.message());
  return leaf;
}

Hash256 LeafHash(ByteView leaf_bytes) {
  Sha256Stream s;
  const uint8_t prefix = 0x00;
  s.Update(ByteView(&prefix, 1));
  s.Update(leaf_bytes);
  return s.Finish();
}

namespace {

// Writes `v` as exactly `width` decimal digits (v < 10^width) at `out`.
char* Digits(char* out, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return out + width;
}

}  // namespace

std::string FormatTimeMicros(uint64_t micros) {
  // Arithmetic instead of gmtime_r and strftime, which take glibc's time
  // zone lock and read the locale: every record an API answer shows has two
  // times.
  const uint64_t secs = micros / 1000000;
  const uint64_t day_secs = secs % 86400;
  const CivilDate date = CivilFromDays(static_cast<int64_t>(secs / 86400));
  const uint64_t year = static_cast<uint64_t>(date.year);
  char buf[48];
  char* p = buf;
  if (year > 9999) {
    // Beyond four digits, as many as it takes (strftime's %Y does the same).
    const std::string y = std::to_string(year);
    p = std::copy(y.begin(), y.end(), p);
  } else {
    p = Digits(p, year, 4);
  }
  *p++ = '-';
  p = Digits(p, date.month, 2);
  *p++ = '-';
  p = Digits(p, date.day, 2);
  *p++ = 'T';
  p = Digits(p, day_secs / 3600, 2);
  *p++ = ':';
  p = Digits(p, day_secs / 60 % 60, 2);
  *p++ = ':';
  p = Digits(p, day_secs % 60, 2);
  *p++ = '.';
  p = Digits(p, micros % 1000000, 6);
  *p++ = 'Z';
  return std::string(buf, p);
}

nlohmann::json LeafToJson(const Leaf& leaf) {
  return nlohmann::json{
      {"format", kLeafFormatVersion},
      {"seq", leaf.seq},
      {"time", FormatTimeMicros(leaf.time_micros)},
      {"time_micros", leaf.time_micros},
      {"event", std::string(EventTypeName(leaf.event))},
      {"entity", leaf.entity},
      {"record_id", leaf.record_id},
      {"record_version", leaf.record_version},
      {"actor_role", leaf.actor_role},
      {"actor", ToHex(ByteView(leaf.actor))},
      {"subject", ToHex(ByteView(leaf.subject))},
      {"commitment", ToHex(leaf.commitment)},
      {"prev_seq", leaf.prev_seq},
      {"prev_leaf_hash", ToHex(leaf.prev_leaf_hash)},
  };
}

}  // namespace custos::records
