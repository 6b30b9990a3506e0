// Strict text primitives shared by the note, checkpoint and tlog-proof
// parsers. Each accepts exactly one spelling of a value, so that two
// different byte strings never parse to the same meaning.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace custos::journal {

// Standard base64 (RFC 4648 §4) with padding, in canonical form only (zero
// padding bits); no whitespace. InvalidArgument naming `what` otherwise.
Result<Bytes> DecodeBase64Strict(std::string_view text, std::string_view what);

// An ASCII decimal without sign or leading zeros ("0" alone is allowed) that
// fits in 64 bits. InvalidArgument naming `what` otherwise.
Result<uint64_t> ParseDecimal(std::string_view text, std::string_view what);

// True if text is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// True if text is valid UTF-8 and holds no ASCII control character (below
// U+0020) other than newline: the C2SP signed-note character rule.
bool IsNoteSafeText(std::string_view text);

// C2SP signed-note key names: non-empty UTF-8 with no Unicode white space
// (Go's unicode.IsSpace), no '+' and no control character.
bool IsValidKeyName(std::string_view name);

}  // namespace custos::journal
