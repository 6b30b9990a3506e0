#include "journal/text_format.h"

#include <string>

namespace custos::journal {
namespace {

// Decodes the UTF-8 sequence at text[i]; returns the code point and advances
// i, or returns -1 for a malformed sequence.
int32_t DecodeRune(std::string_view text, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len;
  int32_t cp, min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (text.size() - i < static_cast<size_t>(len)) return -1;
  for (int k = 1; k < len; ++k) {
    uint8_t b = byte(i + static_cast<size_t>(k));
    if ((b & 0xC0) != 0x80) return -1;
    cp = cp << 6 | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += static_cast<size_t>(len);
  return cp;
}

// Go's unicode.IsSpace: the Unicode White_Space property.
bool IsUnicodeSpace(int32_t cp) {
  switch (cp) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

}  // namespace

Result<Bytes> DecodeBase64Strict(std::string_view text, std::string_view what) {
  if (text.size() % 4 != 0) {
    return Status::InvalidArgument(std::string(what) + " is not padded base64");
  }
  auto decoded = FromBase64(text);
  if (!decoded.ok() || ToBase64(*decoded) != text) {
    return Status::InvalidArgument(std::string(what) + " is not canonical base64");
  }
  return decoded;
}

Result<uint64_t> ParseDecimal(std::string_view text, std::string_view what) {
  if (text.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (text.size() > 1 && text[0] == '0') {
    return Status::InvalidArgument(std::string(what) + " has a leading zero");
  }
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return Status::InvalidArgument(std::string(what) + " is not a decimal number");
    }
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return Status::InvalidArgument(std::string(what) + " does not fit in 64 bits");
    }
    v = v * 10 + d;
  }
  return v;
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (DecodeRune(text, i) < 0) return false;
  }
  return true;
}

bool IsNoteSafeText(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    int32_t cp = DecodeRune(text, i);
    if (cp < 0 || (cp < 0x20 && cp != '\n')) return false;
  }
  return true;
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size();) {
    int32_t cp = DecodeRune(name, i);
    if (cp < 0x20 || cp == '+' || IsUnicodeSpace(cp)) return false;  // cp < 0 included
  }
  return true;
}

}  // namespace custos::journal
