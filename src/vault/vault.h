// Vault: an opened backup repository on a Backend (ARCHITECTURE §3.3).
//
// Object names, relative to the backend's root:
//   config                 VaultConfig, sealed (ObjectType::kConfig)
//   keys/<sha256>          master key wrapped by a passphrase or key file (JSON)
//   data/<2 hex>/<sha256>  packs of sealed blobs
//   index/<sha256>         sealed index files
//   snapshots/<sha256>     sealed snapshot manifests
//   locks/<sha256>         sealed lock records
// Every name except config ends with the SHA-256 of the stored bytes, so the
// integrity of each object can be checked without any key.
//
// Thread-safety: after Open/Init returns, every const method and LoadBlob,
// LoadObject, SaveObject may be called from many threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "chunker/fastcdc.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "storage/backend.h"
#include "vault/config.h"
#include "vault/index.h"
#include "vault/keys.h"
#include "vault/object.h"
#include "vault/snapshot.h"
#include "vault/tree.h"

namespace custos {

extern const char* const kCustosVersion;

struct InitOptions {
  VaultConfig config = VaultConfig::New();
  KdfParams kdf;
};

class Vault {
 public:
  // Creates a new vault. AlreadyExists when the backend already holds a config.
  static Result<std::unique_ptr<Vault>> Init(std::unique_ptr<Backend> backend, const Secret& secret,
                                             const InitOptions& options);
  // Opens an existing vault, trying every key. NotFound when there is no vault
  // (no config), WrongPassword when no key opens with `secret`, Corruption
  // naming the object when the config or the only matching key is damaged.
  static Result<std::unique_ptr<Vault>> Open(std::unique_ptr<Backend> backend,
                                             const Secret& secret);

  Backend& backend() { return *backend_; }
  const VaultConfig& config() const { return config_; }
  const MasterKey& master() const { return master_; }
  const std::string& key_name() const { return key_name_; }
  const Chunker& chunker() const { return *chunker_; }
  Hash256 BlobIdOf(ByteView plaintext) const { return id_hmac_->Compute(plaintext); }

  // Seals `body`, stores it as "<dir>/<sha256>" and returns that name.
  Result<std::string> SaveObject(ObjectType type, std::string_view dir, ByteView body);
  // Loads, checks the name's hash, and opens a sealed object. Errors name it.
  Result<Bytes> LoadObject(ObjectType type, const std::string& name);
  // Names of all objects under prefix ("snapshots/"), sorted.
  Result<std::vector<std::string>> ListNames(const std::string& prefix);

  // Reads every index object into index(). Damaged index objects are skipped
  // and named in *damaged (or fail the call when damaged is null).
  Status LoadIndex(std::vector<std::string>* damaged = nullptr);
  Index& index() { return index_; }
  // Saves a new index object for `packs`.
  Result<std::string> SaveIndex(const std::vector<PackEntries>& packs);

  // Reads, decrypts, decompresses and authenticates one blob via the index.
  Result<Bytes> LoadBlob(const BlobId& id, BlobType type);
  Result<Tree> LoadTree(const BlobId& id);

  // All snapshots, oldest first. Unreadable ones are named in *damaged.
  Result<std::vector<Snapshot>> ListSnapshots(std::vector<std::string>* damaged = nullptr);
  // "latest", a full id, or a unique prefix of at least 4 hex digits.
  // "latest" is Corruption while any snapshot object is damaged (the damaged
  // one might be the newest).
  Result<Snapshot> FindSnapshot(const std::string& ref);
  // The object name ("snapshots/<id>") for a full id or unique prefix, without
  // reading it (so a damaged snapshot can still be removed).
  Result<std::string> ResolveSnapshotName(const std::string& ref);
  // Saves s and sets s.id.
  Status SaveSnapshot(Snapshot& s);

  // Adds a key wrapping the master key under `secret`; returns its name.
  Result<std::string> AddKey(const Secret& secret, const KdfParams& kdf);

  ~Vault();

 private:
  Vault(std::unique_ptr<Backend> backend, MasterKey master, VaultConfig config,
        std::string key_name);

  std::unique_ptr<Backend> backend_;
  MasterKey master_;
  VaultConfig config_;
  std::string key_name_;
  std::unique_ptr<Chunker> chunker_;
  std::unique_ptr<Hmac> id_hmac_;
  Index index_;
};

// "snapshots/abcd..." -> "abcd...".
std::string BaseName(const std::string& name);

}  // namespace custos
