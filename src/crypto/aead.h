// Authenticated encryption: AES-256-GCM (OpenSSL, AES-NI).
//
// Nonce scheme (see docs/vault-format.md): no key ever encrypts more than
// 2^32 messages with random nonces. Every pack and every metadata object gets a
// fresh random 128-bit salt; its key is HMAC-SHA256(master, label || salt).
// Within one pack, blob nonces are a counter, so nonces never repeat under a key.
#pragma once

#include <array>

#include "base/bytes.h"

namespace custos {

using Key256 = std::array<uint8_t, 32>;
using Nonce96 = std::array<uint8_t, 12>;
constexpr size_t kAeadTagSize = 16;

// Appends ciphertext || tag of `plaintext` to `out`.
void AeadSeal(const Key256& key, const Nonce96& nonce, ByteView aad, ByteView plaintext,
              Bytes& out);
// Decrypts `ciphertext || tag` into `out` (replacing its content). Returns
// Corruption when authentication fails.
Status AeadOpen(const Key256& key, const Nonce96& nonce, ByteView aad, ByteView sealed, Bytes& out);

// Decrypts `ciphertext || tag` into dst, which has room for
// sealed.size() - kAeadTagSize bytes. Corruption when authentication fails
// (dst then holds garbage).
Status AeadOpenTo(const Key256& key, const Nonce96& nonce, ByteView aad, ByteView sealed,
                  uint8_t* dst);

// A subkey for one object: HMAC-SHA256(master, label || salt).
Key256 DeriveKey(const Key256& master, std::string_view label, ByteView salt);

// Wipes secret memory (the compiler may not elide it).
void SecureWipe(void* p, size_t n);

}  // namespace custos
