// C2SP tlog-proof@v1 (https://c2sp.org/tlog-proof): an offline-verifiable
// proof that an entry is in the log, stored as `<name>.tlog-proof`:
//
//   c2sp.org/tlog-proof@v1\n
//   [extra <base64 opaque data>\n]          not authenticated
//   index <decimal, no leading zeros>\n
//   <base64 SHA-256 hash>\n ...             RFC 9162 inclusion path, leaf side first
//   \n
//   <signed checkpoint, verbatim>           checkpoint.h, with any cosignatures
//
// Parsing is strict and hostile-input safe: one spelling per value
// (canonical padded base64, 32-byte hashes, at most kMaxProofHashes of them),
// so Format(Parse(text)) == text for every accepted text.
//
// Errors: InvalidArgument for a malformed file or checkpoint, naming the line;
// Corruption when the checkpoint signature, origin or inclusion proof fails.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "journal/checkpoint.h"
#include "journal/merkle.h"
#include "journal/note.h"

namespace custos::journal {

inline constexpr std::string_view kTlogProofHeader = "c2sp.org/tlog-proof@v1";

struct TlogProof {
  std::optional<Bytes> extra;  // opaque, unauthenticated application data
  uint64_t index = 0;
  std::vector<Hash> hashes;  // inclusion path in the checkpoint's tree
  std::string checkpoint;    // the signed checkpoint note, verbatim

  bool operator==(const TlogProof&) const = default;
};

// InvalidArgument if there are more than kMaxProofHashes hashes or the
// checkpoint is empty or does not end with a newline.
Result<std::string> FormatTlogProof(const TlogProof& proof);
// Structure only: the checkpoint is not opened and nothing is verified.
Result<TlogProof> ParseTlogProof(std::string_view text);

struct VerifiedTlogProof {
  uint64_t index = 0;
  Checkpoint checkpoint;       // signed by the log key, of the expected origin
  std::optional<Bytes> extra;  // as found in the file; not authenticated
};

// Parses the file, opens its checkpoint with the log key and the expected
// origin (OpenCheckpoint) and checks that leaf_hash is entry `index` of the
// checkpointed tree (VerifyInclusion).
Result<VerifiedTlogProof> VerifyTlogProof(std::string_view text, const Hash& leaf_hash,
                                          const NoteVerifier& log_key, std::string_view origin);
// The same for the entry's bytes, hashed with HashLeaf.
Result<VerifiedTlogProof> VerifyTlogProofOfLeaf(std::string_view text, ByteView leaf,
                                                const NoteVerifier& log_key,
                                                std::string_view origin);

}  // namespace custos::journal
