// The vault's config object: format version, id and chunking parameters.
// Stored encrypted as "config".
#pragma once

#include <string>

#include "base/bytes.h"
#include "chunker/fastcdc.h"

namespace custos {

constexpr int kVaultVersion = 1;

struct VaultConfig {
  int version = kVaultVersion;
  std::string id;  // 64 hex digits, random
  ChunkerParams chunker;
  Bytes chunker_seed;  // 32 random bytes; secret (the config is encrypted)
  uint32_t pack_size = 16u << 20;
  int compression = 3;  // zstd level; 0 = store uncompressed

  static VaultConfig New();
  Status Validate() const;
};

Bytes SerializeConfig(const VaultConfig& c);
// Corruption when malformed; Unsupported for a newer format version.
Result<VaultConfig> ParseConfig(ByteView body);

}  // namespace custos
