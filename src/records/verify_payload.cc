#include "records/verify_payload.h"

#include <array>
#include <cstring>

namespace custos::records {
namespace {

// The length of the UTF-8 sequence at p (its first byte >= 0x80), or 0 when
// it is not well-formed (RFC 3629 table 3, as the JSON parser checks it).
size_t Utf8Length(const unsigned char* p, const unsigned char* end) {
  auto cont = [&](size_t i, unsigned char lo, unsigned char hi) {
    return p + i < end && p[i] >= lo && p[i] <= hi;
  };
  const unsigned char c = p[0];
  if (c >= 0xC2 && c <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0, 0xBF) && cont(2, 0x80, 0xBF) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    return cont(1, 0x80, 0xBF) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2, 0x80, 0xBF) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90, 0xBF) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) {
    return cont(1, 0x80, 0xBF) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  return 0;
}

// Bytes that stand for themselves inside a JSON string: printable ASCII
// except '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}();

// Decodes exactly 32 bytes from canonical base64 (43 characters, '=', zero
// unused bits). False for anything else, which FromBase64 then judges.
bool DecodeSalt(std::string_view text, std::array<uint8_t, kCommitmentSaltSize>& out) {
  static constexpr std::array<int8_t, 256> kValue = [] {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i)
      t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  if (text.size() != 44 || text[43] != '=') return false;
  uint32_t v[43];
  for (size_t i = 0; i < 43; ++i) {
    const int8_t x = kValue[static_cast<unsigned char>(text[i])];
    if (x < 0) return false;
    v[i] = static_cast<uint32_t>(x);
  }
  if ((v[42] & 3) != 0) return false;
  size_t o = 0;
  for (size_t i = 0; i < 40; i += 4) {
    const uint32_t w = v[i] << 18 | v[i + 1] << 12 | v[i + 2] << 6 | v[i + 3];
    out[o++] = static_cast<uint8_t>(w >> 16);
    out[o++] = static_cast<uint8_t>(w >> 8);
    out[o++] = static_cast<uint8_t>(w);
  }
  const uint32_t w = v[40] << 18 | v[41] << 12 | v[42] << 6;
  out[o++] = static_cast<uint8_t>(w >> 16);
  out[o++] = static_cast<uint8_t>(w >> 8);
  return true;
}

// The byte each escape "\\c" stands for (0: not one the canonical form
// uses; \u escapes are left to the full parser).
constexpr std::array<char, 256> kUnescaped = [] {
  std::array<char, 256> t{};
  t['"'] = '"';
  t['\\'] = '\\';
  t['/'] = '/';
  t['b'] = '\b';
  t['f'] = '\f';
  t['n'] = '\n';
  t['r'] = '\r';
  t['t'] = '\t';
  return t;
}();

// A one-pass reader of the canonical payload text. Every method returns
// false when the input leaves the canonical form (not necessarily invalid).
// Unescaped strings are written at an output cursor, which never overtakes
// the input (unescaped text is never longer than its JSON string).
class CanonicalReader {
 public:
  CanonicalReader(std::string_view s, char* out)
      : p_(reinterpret_cast<const unsigned char*>(s.data())), end_(p_ + s.size()), o_(out) {}

  bool Literal(std::string_view lit) {
    if (static_cast<size_t>(end_ - p_) < lit.size() ||
        std::memcmp(p_, lit.data(), lit.size()) != 0) {
      return false;
    }
    p_ += lit.size();
    return true;
  }

  // A string, its unescaped text written at the cursor when `keep`.
  bool String(bool keep) {
    if (p_ == end_ || *p_ != '"') return false;
    ++p_;
    char* o = o_;
    while (true) {
      while (p_ < end_ && kPlain[*p_]) *o++ = static_cast<char>(*p_++);
      if (p_ == end_) return false;
      const unsigned char c = *p_;
      if (c == '"') {
        ++p_;
        break;
      }
      if (c == '\\') {
        if (end_ - p_ < 2 || kUnescaped[p_[1]] == 0) return false;
        *o++ = kUnescaped[p_[1]];
        p_ += 2;
      } else if (c < 0x80) {
        return false;  // a control character
      } else {
        const size_t n = Utf8Length(p_, end_);
        if (n == 0) return false;
        std::memcpy(o, p_, n);
        o += n;
        p_ += n;
      }
    }
    if (keep) o_ = o;
    return true;
  }

  // A string (present = true) or null.
  bool OptString(bool keep, bool& present) {
    present = !Literal("null");
    return !present || String(keep);
  }

  // A string without escapes, as a view of the input.
  bool RawString(std::string_view& out) {
    if (p_ == end_ || *p_ != '"') return false;
    const unsigned char* start = ++p_;
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\' || *p_ < 0x20 || *p_ >= 0x80) return false;
      ++p_;
    }
    if (p_ == end_) return false;
    out = std::string_view(reinterpret_cast<const char*>(start), static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }

  bool AtEnd() const { return p_ == end_; }
  char* cursor() const { return o_; }

 private:
  const unsigned char* p_;
  const unsigned char* end_;
  char* o_;
};

// The canonical form: {"actor":S,"after":S|null,"before":S|null,
// "reason":S|null,"salt":S,"v":1}. False when `json` is not in it.
bool ParseCanonical(std::string_view json, std::string& storage, PayloadImages& out,
                    std::string_view& salt_text) {
  storage.resize(json.size());
  char* const base = storage.data();
  CanonicalReader r(json, base);
  bool present = false;
  if (!r.Literal("{\"actor\":") || !r.String(false) || !r.Literal(",\"after\":") ||
      !r.OptString(true, out.has_after)) {
    return false;
  }
  char* const after_end = r.cursor();
  if (!r.Literal(",\"before\":") || !r.OptString(true, out.has_before) ||
      !r.Literal(",\"reason\":") || !r.OptString(false, present) || !r.Literal(",\"salt\":") ||
      !r.RawString(salt_text) || !r.Literal(",\"v\":1}") || !r.AtEnd()) {
    return false;
  }
  out.after = std::string_view(base, static_cast<size_t>(after_end - base));
  out.before = std::string_view(after_end, static_cast<size_t>(r.cursor() - after_end));
  return true;
}

}  // namespace

Status ParsePayloadImages(std::string_view json, std::string& storage, PayloadImages& out) {
  out = PayloadImages();
  storage.clear();
  // Unescaped text is never longer than its JSON string: no reallocation
  // moves the views below.
  storage.reserve(json.size());
  std::string_view salt_text;
  if (ParseCanonical(json, storage, out, salt_text)) {
    if (DecodeSalt(salt_text, out.salt)) return Status::OK();
    auto salt = FromBase64(salt_text);
    if (!salt.ok() || salt->size() != kCommitmentSaltSize) {
      return Status::Corruption("payload: salt is not 32 bytes of base64");
    }
    std::memcpy(out.salt.data(), salt->data(), kCommitmentSaltSize);
    return Status::OK();
  }
  out = PayloadImages();
  storage.clear();
  ASSIGN_OR_RETURN(Payload p, DecodePayloadJson(json));
  storage.reserve((p.after ? p.after->size() : 0) + (p.before ? p.before->size() : 0));
  if (p.after) storage += *p.after;
  const size_t after_end = storage.size();
  if (p.before) storage += *p.before;
  out.has_after = p.after.has_value();
  out.has_before = p.before.has_value();
  out.after = std::string_view(storage).substr(0, after_end);
  out.before = std::string_view(storage).substr(after_end);
  std::memcpy(out.salt.data(), p.salt.data(), kCommitmentSaltSize);
  SecureWipe(p.after ? p.after->data() : nullptr, p.after ? p.after->size() : 0);
  SecureWipe(p.before ? p.before->data() : nullptr, p.before ? p.before->size() : 0);
  return Status::OK();
}

}  // namespace custos::records
