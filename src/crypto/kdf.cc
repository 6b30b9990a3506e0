#include "crypto/kdf.h"

#include <sodium.h>

namespace custos {

Result<Key256> DeriveArgon2id(std::string_view secret, ByteView salt, const KdfParams& params) {
  if (salt.size() != crypto_pwhash_SALTBYTES) return Status::InvalidArgument("bad KDF salt size");
  if (params.iterations < crypto_pwhash_OPSLIMIT_MIN ||
      params.iterations > crypto_pwhash_OPSLIMIT_MAX ||
      params.memory < crypto_pwhash_MEMLIMIT_MIN || params.memory > (uint64_t{1} << 36)) {
    return Status::InvalidArgument("KDF parameters out of range");
  }
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  Key256 key;
  if (crypto_pwhash(key.data(), key.size(), secret.data(), secret.size(), salt.data(),
                    params.iterations, static_cast<size_t>(params.memory),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Internal("Argon2id failed (out of memory?)");
  }
  return key;
}

}  // namespace custos
