#include "audit/signing.h"

#include "base/fs.h"
#include "base/random.h"
#include "journal/checkpoint.h"

namespace custos::audit {

namespace {

std::string KeyPath(const std::string& data_dir) {
  return JoinPath(data_dir, "keys/checkpoint.key");
}

Result<LogSigner> FromSignerText(std::string_view text, const std::string& path) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto signer = journal::ParseNoteSigner(text);
  if (!signer.ok()) return Status::Corruption(path + ": not a checkpoint signing key");
  std::string vkey = signer->Verifier().Encode();
  return LogSigner(std::move(*signer), std::move(vkey));
}

}  // namespace

LogSigner::LogSigner(journal::NoteSigner signer, std::string verifier_key)
    : signer_(std::move(signer)), verifier_key_(std::move(verifier_key)) {}

Result<std::string> LogSigner::Sign(uint64_t size, const Hash256& root) const {
  journal::Checkpoint cp;
  cp.origin = origin();
  cp.size = size;
  cp.root = root;
  return journal::SignCheckpoint(cp, signer_);
}

Result<ParsedCheckpoint> LogSigner::Open(std::string_view note) const {
  ASSIGN_OR_RETURN(journal::Checkpoint cp,
                   journal::OpenCheckpoint(note, signer_.Verifier(), origin()));
  return ParsedCheckpoint{cp.size, cp.root};
}

Result<LogSigner> LoadSigner(const std::string& data_dir) {
  std::string path = KeyPath(data_dir);
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  return FromSignerText(AsString(*text), path);
}

Result<LogSigner> LoadOrCreateSigner(const std::string& data_dir, const std::string& origin) {
  auto existing = LoadSigner(data_dir);
  if (existing.ok() || !existing.status().IsNotFound()) return existing;
  std::string name = origin.empty() ? "custos/" + RandomHex(8) : origin;
  ASSIGN_OR_RETURN(journal::NoteKeyPair pair, journal::GenerateNoteKey(name));
  RETURN_IF_ERROR(MakeDirs(JoinPath(data_dir, "keys")));
  RETURN_IF_ERROR(AtomicWriteFile(KeyPath(data_dir), AsBytes(pair.signer_key + "\n"), 0600));
  return FromSignerText(pair.signer_key, KeyPath(data_dir));
}

Result<ParsedCheckpoint> OpenCheckpointWithKey(std::string_view note, std::string_view vkey) {
  while (!vkey.empty() && (vkey.back() == '\n' || vkey.back() == '\r')) vkey.remove_suffix(1);
  ASSIGN_OR_RETURN(journal::NoteVerifier verifier, journal::ParseNoteVerifier(vkey));
  ASSIGN_OR_RETURN(journal::Checkpoint cp, journal::OpenCheckpoint(note, verifier, verifier.name()));
  return ParsedCheckpoint{cp.size, cp.root};
}

}  // namespace custos::audit
