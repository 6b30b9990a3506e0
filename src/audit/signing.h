// LogSigner: the audit log's checkpoint key and the C2SP formats around it.
//
// The signer key is stored as a C2SP signed-note private key
// ("PRIVATE+KEY+<origin>+<hash>+<base64>") in DIR/keys/checkpoint.key, mode
// 0600; the log's origin is the key's name, so it never changes for a data
// directory. The verifier key ("<origin>+<hash>+<base64>") is public.
//
// Thread-safety: const methods may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "journal/note.h"

namespace custos::audit {

struct ParsedCheckpoint {
  uint64_t size = 0;
  Hash256 root{};
};

class LogSigner {
 public:
  LogSigner(journal::NoteSigner signer, std::string verifier_key);
  const std::string& origin() const { return signer_.name(); }
  const std::string& verifier_key() const { return verifier_key_; }
  // A signed tlog-checkpoint note for (size, root).
  Result<std::string> Sign(uint64_t size, const Hash256& root) const;
  // Checks a checkpoint note against this log's key and origin.
  Result<ParsedCheckpoint> Open(std::string_view note) const;

 private:
  journal::NoteSigner signer_;
  std::string verifier_key_;
};

// Reads DIR/keys/checkpoint.key, or creates it when absent (origin: the given
// name, else "custos/<16 random hex>"). Corruption when the file is damaged.
Result<LogSigner> LoadOrCreateSigner(const std::string& data_dir, const std::string& origin);
// Reads the key without creating it: NotFound when absent.
Result<LogSigner> LoadSigner(const std::string& data_dir);

// Checks a checkpoint note with a verifier key given as text (what an
// outside auditor holds), expecting `origin` when non-empty.
Result<ParsedCheckpoint> OpenCheckpointWithKey(std::string_view note, std::string_view vkey);

}  // namespace custos::audit
