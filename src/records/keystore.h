// Keystore: the data directory's master key, the per-subject keys wrapped
// under it, and the pseudonyms that leaves carry instead of identities.
//
// Key hierarchy (docs/audit-log.md "Keys"):
//   master key      32 random bytes in DIR/keys/master.key (mode 0600), made on
//                   first start. It is NOT inside the database or its
//                   snapshots: back it up separately, or nothing in the
//                   journal can be decrypted after a disk loss.
//   wrap key        DeriveKey(master, "custos/records/subject-wrap/v1", "")
//   pseudonym key   DeriveKey(master, "custos/records/pseudonym/v1", "")
//   subject key     32 random bytes per subject (a trainee, or "institution"),
//                   stored as AES-256-GCM(wrap key, nonce, aad = subject id):
//                   0x01 || nonce[12] || ciphertext[32] || tag[16].
// Pseudonyms are the first 16 bytes of HMAC-SHA256(pseudonym key,
// "subject\0" || id) or (…, "actor\0" || id): stable within one data
// directory, meaningless without the master key.
//
// Thread-safety: every method may be called concurrently. The cache of
// unwrapped subject keys is guarded by a mutex; a subject that was forgotten
// (its key destroyed) can never be put back into the cache by this object.
//
// Lifetime: keys are wiped from memory when the Keystore is destroyed.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "base/result.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "records/leaf.h"

namespace custos::records {

// The subject of records that belong to the institution (employers,
// programmes), not to a trainee. Its key is never destroyed.
inline constexpr std::string_view kInstitutionSubject = "institution";

class Keystore {
 public:
  // Loads DIR/keys/master.key, creating DIR/keys (0700) and the key (0600)
  // when absent. Two processes racing to create it end up with the same key.
  // Errors: Corruption when the file is not exactly 32 bytes; IOError /
  // PermissionDenied from the file system.
  static Result<std::unique_ptr<Keystore>> OpenOrCreate(const std::string& data_dir);
  // For tests and tools that hold the master key themselves.
  static std::unique_ptr<Keystore> FromMasterKey(const Key256& master);

  ~Keystore();
  Keystore(const Keystore&) = delete;
  Keystore& operator=(const Keystore&) = delete;

  Pseudonym SubjectPseudonym(std::string_view subject_id) const;
  Pseudonym ActorPseudonym(std::string_view actor_id) const;

  static Key256 NewSubjectKey();
  Bytes WrapSubjectKey(std::string_view subject_id, const Key256& key) const;
  // Corruption when the wrapped bytes are malformed, belong to another
  // subject, or were made under another master key.
  Result<Key256> UnwrapSubjectKey(std::string_view subject_id, ByteView wrapped) const;

  // The cache of unwrapped keys of committed subjects.
  std::optional<Key256> CachedKey(std::string_view subject_id) const;
  // Adds a key, unless the subject was forgotten earlier.
  void RememberKey(std::string_view subject_id, const Key256& key);
  // Wipes the key from the cache and refuses to remember it again.
  void ForgetKey(std::string_view subject_id);

 private:
  explicit Keystore(const Key256& master);

  Key256 wrap_key_;
  Key256 pseudonym_key_;
  Hmac pseudonym_hmac_;  // keyed once with pseudonym_key_
  mutable std::mutex mu_;
  std::unordered_map<std::string, Key256> cache_;
  std::unordered_set<std::string> forgotten_;
};

}  // namespace custos::records
