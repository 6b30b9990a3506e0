#include "records/verify_payload.h"

#include <array>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CUSTOS_PAYLOAD_SSSE3 1
#endif

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
  // Decoded without a branch per character: a character outside the
  // alphabet sets the sign bit of `bad`, and `out` is then not used.
  auto value = [&](size_t i) {
    return static_cast<int32_t>(kValue[static_cast<unsigned char>(text[i])]);
  };
  int32_t bad = 0;
  size_t o = 0;
  for (size_t i = 0; i < 40; i += 4) {
    const int32_t a = value(i), b = value(i + 1), c = value(i + 2), d = value(i + 3);
    bad |= a | b | c | d;
    const uint32_t w = static_cast<uint32_t>(a) << 18 | static_cast<uint32_t>(b) << 12 |
                       static_cast<uint32_t>(c) << 6 | static_cast<uint32_t>(d);
    out[o++] = static_cast<uint8_t>(w >> 16);
    out[o++] = static_cast<uint8_t>(w >> 8);
    out[o++] = static_cast<uint8_t>(w);
  }
  const int32_t a = value(40), b = value(41), c = value(42);
  bad |= a | b | c;
  if (bad < 0 || (c & 3) != 0) return false;
  const uint32_t w = static_cast<uint32_t>(a) << 18 | static_cast<uint32_t>(b) << 12 |
                     static_cast<uint32_t>(c) << 6;
  out[o++] = static_cast<uint8_t>(w >> 16);
  out[o++] = static_cast<uint8_t>(w >> 8);
  return true;
}

#ifdef CUSTOS_PAYLOAD_SSSE3

// For each 8-bit mask, the positions (0..7) of the bytes whose bit is clear,
// in order, then 0x80 (pshufb: a zero byte).
constexpr std::array<std::array<uint8_t, 8>, 256> kKeep = [] {
  std::array<std::array<uint8_t, 8>, 256> t{};
  for (int m = 0; m < 256; ++m) {
    int n = 0;
    for (int j = 0; j < 8; ++j) {
      if ((m & (1 << j)) == 0) t[m][n++] = static_cast<uint8_t>(j);
    }
    while (n < 8) t[m][n++] = 0x80;
  }
  return t;
}();

// CanonicalReader::CopyPlain sixteen bytes at a time, and a block whose only
// non-plain bytes are \" escapes (the quotes of JSON text inside a payload's
// strings) is copied too, unescaped, without leaving the loop: a backslash
// is followed by a quote exactly when the quote mask is the backslash mask
// shifted by one, and the block does not end in a backslash. Such a block
// loses its backslashes (pshufb per half). Stops before the first byte of
// any other block that is not plain. The output stays inside the text's
// length, as CopyPlain's does (each store ends at most 16 bytes after the
// cursor, and the cursor is never further into the output than the input is
// into the text).
__attribute__((target("ssse3,popcnt"))) void CopyPlainAndQuotes(const unsigned char*& p,
                                                                const unsigned char* end,
                                                                char*& o) {
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i eight = _mm_set1_epi8(8);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Signed: bytes >= 0x80 are negative, so below 0x20 as well.
    const unsigned other = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmplt_epi8(v, space)));
    const unsigned q = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)));
    const unsigned bs = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash)));
    if ((other | q | bs) == 0) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
      p += 16;
      o += 16;
      continue;
    }
    if (other == 0 && bs != 0 && (bs & 0x8000) == 0 && q == (bs << 1)) {
      const unsigned lo = bs & 0xff, hi = bs >> 8;
      const __m128i keep_lo = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(kKeep[lo].data()));
      const __m128i keep_hi =
          _mm_add_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(kKeep[hi].data())), eight);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(o), _mm_shuffle_epi8(v, keep_lo));
      o += 8 - __builtin_popcount(lo);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(o), _mm_shuffle_epi8(v, keep_hi));
      o += 8 - __builtin_popcount(hi);
      p += 16;
      continue;
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
    const int n = __builtin_ctz(other | q | bs);
    p += n;
    o += n;
    return;
  }
  while (p < end && kPlain[*p]) *o++ = static_cast<char>(*p++);
}

#endif  // CUSTOS_PAYLOAD_SSSE3

// True when [p, end) has no backslash, control or non-ASCII byte: sixteen
// bytes at a time where SSE2 is there (the last block overlapping the one
// before, which a check for absence allows), a byte at a time otherwise.
bool NoEscapeOrControl(const unsigned char* p, const unsigned char* end) {
#ifdef __SSE2__
  if (end - p >= 16) {
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i backslash = _mm_set1_epi8('\\');
    auto clean = [&](const unsigned char* at) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
      // Signed: bytes >= 0x80 are negative, so below 0x20 as well.
      const __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, backslash));
      return _mm_movemask_epi8(bad) == 0;
    };
    for (; end - p > 16; p += 16) {
      if (!clean(p)) return false;
    }
    return clean(end - 16);
  }
#endif
  unsigned bad = 0;
  for (; p < end; ++p) {
    bad |= static_cast<unsigned>(*p == '\\') | static_cast<unsigned>(*p < 0x20) |
           static_cast<unsigned>(*p >= 0x80);
  }
  return bad == 0;
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
      CopyPlain(o);
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
    const void* quote = std::memchr(start, '"', static_cast<size_t>(end_ - start));
    if (quote == nullptr) return false;
    const unsigned char* stop = static_cast<const unsigned char*>(quote);
    // No escape, control or non-ASCII byte before the quote.
    if (!NoEscapeOrControl(start, stop)) return false;
    out = std::string_view(reinterpret_cast<const char*>(start), static_cast<size_t>(stop - start));
    p_ = stop + 1;
    return true;
  }

  bool AtEnd() const { return p_ == end_; }
  char* cursor() const { return o_; }

 private:
  // Copies the run of plain bytes (kPlain) at the input to `o`, advancing
  // both past it; with SSSE3 also whole blocks whose only other bytes are
  // \" escapes, unescaped (CopyPlainAndQuotes), which String would have
  // unescaped the same way. Otherwise sixteen bytes at a time where SSE2 is
  // there: the block is stored whole before its first non-plain byte is
  // looked for, which stays inside the output because the cursor is never
  // further into the output than the input is into the text (and the output
  // is as long as the text).
  void CopyPlain(char*& o) {
#ifdef CUSTOS_PAYLOAD_SSSE3
    static const bool ssse3 = __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("popcnt");
    if (ssse3) {
      CopyPlainAndQuotes(p_, end_, o);
      return;
    }
#endif
#ifdef __SSE2__
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    while (end_ - p_ >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
      // Signed: bytes >= 0x80 are negative, so below 0x20 as well.
      const __m128i special =
          _mm_or_si128(_mm_cmplt_epi8(v, space),
                       _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
      const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special));
      if (mask != 0) {
        const int n = __builtin_ctz(mask);
        p_ += n;
        o += n;
        return;
      }
      p_ += 16;
      o += 16;
    }
#endif
    while (p_ < end_ && kPlain[*p_]) *o++ = static_cast<char>(*p_++);
  }

  const unsigned char* p_;
  const unsigned char* end_;
  char* o_;
};

// Clears `out` field by field: `out = PayloadImages()` built a temporary
// with 8-byte stores and copied it with 16-byte loads, which stall on store
// forwarding (a third of this file's samples in the verifier).
void Reset(PayloadImages& out) {
  out.has_before = false;
  out.has_after = false;
  out.before = {};
  out.after = {};
  out.salt.fill(0);
}

// The canonical form: {"actor":S,"after":S|null,"before":S|null,
// "reason":S|null,"salt":S,"v":1}. False when `json` is not in it.
bool ParseCanonical(std::string_view json, std::string& storage, PayloadImages& out,
                    std::string_view& salt_text) {
  // Grown, never shrunk: a resize zero-fills what it adds, which would cost
  // as much as the parse for every entry.
  if (storage.size() < json.size()) storage.resize(json.size());
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
  Reset(out);
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
  Reset(out);
  // The canonical attempt may have left plaintext anywhere in `storage`,
  // which only grows: wipe all of it before it shrinks or moves.
  SecureWipe(storage.data(), storage.size());
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
