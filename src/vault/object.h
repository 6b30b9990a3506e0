// Encrypted metadata objects (config, index, snapshot, lock).
//
// Layout: "CUSO" | version u8 | type u8 | salt[16] | AES-256-GCM(ciphertext||tag)
// The key is DeriveKey(master, "custos/object/v1", salt) and the nonce is zero:
// every object has its own random salt, so a key never sees two messages.
// The header (magic, version, type, salt) is authenticated as AAD, so an
// object of one type cannot be passed off as another. The plaintext is one
// flag byte (0 raw, 1 zstd) followed by the body.
#pragma once

#include "base/bytes.h"
#include "crypto/aead.h"

namespace custos {

enum class ObjectType : uint8_t {
  kConfig = 1,
  kIndex = 2,
  kSnapshot = 3,
  kLock = 4,
  kCatalogue = 5,  // records of things done outside the vault (RDS snapshots)
};

const char* ObjectTypeName(ObjectType t);

Bytes SealObject(const Key256& master, ObjectType type, ByteView body);
// Corruption (naming what failed) when the object is truncated, of another
// type, or fails authentication.
Result<Bytes> OpenObject(const Key256& master, ObjectType type, ByteView sealed);

}  // namespace custos
