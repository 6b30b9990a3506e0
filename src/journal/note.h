// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, in the
// key and note formats of golang.org/x/mod/sumdb/note:
//
//   note      = text (ending in "\n") "\n" 1*("— " key-name " " base64(key-id ‖ sig) "\n")
//   key ID    = SHA-256(key-name ‖ 0x0A ‖ 0x01 ‖ Ed25519 public key)[:4], big-endian
//   verifier  = <name>+<key id, 8 lowercase hex>+base64(0x01 ‖ public key)
//   signer    = PRIVATE+KEY+<name>+<key id, 8 lowercase hex>+base64(0x01 ‖ 32-byte seed)
//
// Key strings have one spelling only: lowercase key IDs (as the Go reference
// writes them; it also reads uppercase) and canonical padded base64.
//
// Errors: every parser answers hostile input with InvalidArgument naming the
// part that is wrong, never echoing secret material. OpenNote answers
// Corruption when a signature by a known key fails or when no known key
// signed the note.
//
// Thread-safety: NoteSigner and NoteVerifier are immutable after creation and
// safe to share between threads; the free functions are pure.
// Secrets: a NoteSigner wipes its private key when destroyed. The signer_key
// string of GenerateNoteKey is secret; the caller stores and wipes it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace custos::journal {

inline constexpr uint8_t kNoteAlgEd25519 = 0x01;
// OpenNote refuses notes with more signature lines (as the Go reference does).
inline constexpr size_t kMaxNoteSignatures = 100;

// The key ID of a key of the given name and typed public key (alg ‖ key).
uint32_t NoteKeyId(std::string_view name, ByteView typed_public_key);

class NoteVerifier {
 public:
  // InvalidArgument for an invalid name.
  static Result<NoteVerifier> FromEd25519(std::string_view name, ByteView public_key);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  const std::array<uint8_t, 32>& public_key() const { return public_key_; }
  // The verifier key string, e.g. "PeterNeumann+c74f20a3+ARpc2QcU...".
  std::string Encode() const;
  // True iff sig is a valid Ed25519 signature of message by this key.
  bool Verify(std::string_view message, ByteView sig) const;

 private:
  std::string name_;
  uint32_t key_id_ = 0;
  std::array<uint8_t, 32> public_key_{};
};

class NoteSigner {
 public:
  NoteSigner(NoteSigner&& other) noexcept;
  NoteSigner& operator=(NoteSigner&& other) noexcept;
  NoteSigner(const NoteSigner&) = delete;
  NoteSigner& operator=(const NoteSigner&) = delete;
  ~NoteSigner();

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  NoteVerifier Verifier() const;
  // The 64-byte Ed25519 signature of message (deterministic).
  std::array<uint8_t, 64> Sign(std::string_view message) const;

 private:
  friend Result<NoteSigner> ParseNoteSigner(std::string_view skey);
  NoteSigner() = default;

  std::string name_;
  uint32_t key_id_ = 0;
  std::array<uint8_t, 64> secret_key_{};  // libsodium layout: seed ‖ public key
  std::array<uint8_t, 32> public_key_{};
};

struct NoteKeyPair {
  std::string signer_key;    // secret: "PRIVATE+KEY+..."
  std::string verifier_key;  // public
};

// A fresh Ed25519 key for `name`. InvalidArgument for an invalid key name
// (empty, white space, '+', control characters, invalid UTF-8).
Result<NoteKeyPair> GenerateNoteKey(std::string_view name);
Result<NoteSigner> ParseNoteSigner(std::string_view signer_key);
Result<NoteVerifier> ParseNoteVerifier(std::string_view verifier_key);

// Signs text (valid UTF-8, no control characters but newline, ending in
// "\n") and returns the note. InvalidArgument for text breaking those rules
// or for an empty signer list.
Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers);
Result<std::string> SignNote(std::string_view text, const NoteSigner& signer);

struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::string base64;  // key ID ‖ signature, as written in the note
};

struct OpenedNote {
  std::string text;                       // the signed text, final newline included
  std::vector<NoteSignature> verified;    // one per known key that signed
  std::vector<NoteSignature> unverified;  // unknown keys, ignored (identical lines once)
};

// Parses a note and checks it against the known verifiers. Signatures by
// unknown keys (name or key ID not both matching a known key) are ignored
// and listed as unverified. Every signature line of a known key is checked.
//   InvalidArgument: invalid UTF-8 or a control character, no blank line
//     before the signatures, a malformed signature line, more than
//     kMaxNoteSignatures signatures, or two different known keys sharing a
//     name and key ID;
//   Corruption: a signature by a known key does not verify, or no known key
//     signed the note.
Result<OpenedNote> OpenNote(std::string_view note, std::span<const NoteVerifier> known);

}  // namespace custos::journal
