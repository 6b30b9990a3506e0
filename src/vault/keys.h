// Vault keys: a random master key, wrapped by one or more passphrases
// (Argon2id) or key files. Each wrapped copy is one object "keys/<id>" whose
// id is the SHA-256 of its bytes, so `check` can tell a damaged key file from
// a wrong passphrase.
#pragma once

#include <string>

#include "base/bytes.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"

namespace custos {

struct MasterKey {
  Key256 encryption{};  // derives every pack and object key
  Key256 id{};          // keys the HMAC that names blobs
  static MasterKey Generate();
  void Wipe();
};

// What the user holds: a passphrase, or the bytes of a key file.
struct Secret {
  enum class Kind { kPassphrase, kKeyFile };
  Kind kind = Kind::kPassphrase;
  std::string value;
};

struct KeyInfo {
  std::string kind;  // "passphrase" or "keyfile"
  std::string created;
  std::string hostname;
  std::string username;
  KdfParams kdf;
};

// Serialised key object wrapping `master` under `secret`. InvalidArgument for
// a key file shorter than 32 bytes or an empty passphrase.
Result<Bytes> WrapMasterKey(const MasterKey& master, const Secret& secret, const KdfParams& kdf);
// WrongPassword when the secret does not open it; Corruption when the object
// is not a valid key object.
Result<MasterKey> UnwrapMasterKey(ByteView key_object, const Secret& secret);
Result<KeyInfo> ParseKeyInfo(ByteView key_object);

}  // namespace custos
