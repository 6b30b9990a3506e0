// AES-256-GCM decryption for the verifier's hot loop (verify_crypto.cc),
// straight on the CPU's AES and carry-less multiply instructions (AES-NI,
// PCLMULQDQ). Every journal entry has its own key, so the cost that counts
// is a fresh key's setup plus a few hundred bytes: here the key schedule,
// the hash key and its powers, the counter blocks and the GHASH of one
// payload run in one pass without tables, where a general library prepares
// tables for long messages first.
//
// Contract: VerifyGcmOpen returns true, with `out` holding the plaintext,
// exactly when AES-256-GCM (NIST SP 800-38D, 96-bit nonce, 128-bit tag)
// authenticates (key, nonce, aad, ciphertext, tag); otherwise false, and
// `out` holds no plaintext (it is wiped). The tag is compared in constant
// time. Only call it when VerifyGcmAvailable() is true.
//
// Thread-safety: pure. Round keys and hash keys live on the stack and are
// wiped before it returns.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace custos::records {

// True when this CPU has AES-NI, PCLMULQDQ, SSSE3 and SSE4.1 (and this build
// targets x86-64).
bool VerifyGcmAvailable();

// `ct` and `out` are `n` bytes (they may be the same buffer); `nonce` 12
// bytes; `tag` 16 bytes.
bool VerifyGcmOpen(const uint8_t key[32], const uint8_t nonce[12], ByteView aad, const uint8_t* ct,
                   size_t n, const uint8_t tag[16], uint8_t* out);

}  // namespace custos::records
