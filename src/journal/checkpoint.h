// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed tree
// head of the audit log, a signed note (note.h) whose text is
//
//   <origin>\n<tree size, decimal>\n<base64 of the RFC 6962 root>\n[<extension line>\n]...
//
// Parsing is strict: one spelling per value (no leading zeros, canonical
// padded base64 of exactly 32 bytes), non-empty lines only, valid UTF-8 and
// no control characters. Errors: InvalidArgument for malformed input, naming
// the line; Corruption when signatures or proofs do not check out.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "journal/merkle.h"
#include "journal/note.h"

namespace custos::journal {

struct Checkpoint {
  std::string origin;  // the log's identity, e.g. "custos.example/audit"
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // opaque, each non-empty

  bool operator==(const Checkpoint&) const = default;
};

// The note text. InvalidArgument if the origin is empty, or the origin or an
// extension line holds a newline, a control character or invalid UTF-8, or
// an extension line is empty.
Result<std::string> FormatCheckpoint(const Checkpoint& checkpoint);
// Parses note text (not a signed note). InvalidArgument naming the fault.
Result<Checkpoint> ParseCheckpoint(std::string_view text);

// Formats the checkpoint and signs it with the log's key.
Result<std::string> SignCheckpoint(const Checkpoint& checkpoint, const NoteSigner& log_key);

// Opens a signed checkpoint: the log key's signature must verify (other
// signatures, such as witness cosignatures, are ignored), the text must be
// a valid checkpoint, and its origin must equal expected_origin.
//   InvalidArgument: malformed note or checkpoint text;
//   Corruption: the log key did not sign it or its signature fails, or the
//     origin differs from expected_origin.
Result<Checkpoint> OpenCheckpoint(std::string_view signed_note, const NoteVerifier& log_key,
                                  std::string_view expected_origin);

// OK iff both checkpoints are of the same log and `proof` shows that
// older is a prefix of newer (VerifyConsistency). Corruption otherwise;
// InvalidArgument if older is larger than newer.
Status VerifyCheckpointConsistency(const Checkpoint& older, const Checkpoint& newer,
                                   std::span<const Hash> proof);

}  // namespace custos::journal
