// Password-based key derivation: Argon2id (libsodium).
#pragma once

#include <string>

#include "crypto/aead.h"

namespace custos {

struct KdfParams {
  uint64_t iterations = 3;        // Argon2id opslimit
  uint64_t memory = 64ull << 20;  // bytes
};

// Derives a 256-bit key from `secret` and a 16-byte salt. Returns
// InvalidArgument for parameters outside libsodium's limits.
Result<Key256> DeriveArgon2id(std::string_view secret, ByteView salt, const KdfParams& params);

}  // namespace custos
