#include "journal/tlog_proof.h"

#include <algorithm>

#include "journal/merkle_verify.h"
#include "journal/text_format.h"

namespace custos::journal {
namespace {

constexpr std::string_view kExtraPrefix = "extra ";
constexpr std::string_view kIndexPrefix = "index ";

// Reads lines off the front of a text; a line must end with '\n'.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}
  // False when no complete line is left.
  bool Next(std::string_view& line) {
    size_t nl = rest_.find('\n');
    if (nl == std::string_view::npos) return false;
    line = rest_.substr(0, nl);
    rest_.remove_prefix(nl + 1);
    ++number_;
    return true;
  }
  std::string_view Rest() const { return rest_; }
  std::string Where() const { return "tlog-proof line " + std::to_string(number_); }

 private:
  std::string_view rest_;
  int number_ = 0;
};

}  // namespace

Result<std::string> FormatTlogProof(const TlogProof& proof) {
  if (proof.hashes.size() > kMaxProofHashes) {
    return Status::InvalidArgument("tlog-proof: " + std::to_string(proof.hashes.size()) +
                                   " hashes, at most " + std::to_string(kMaxProofHashes));
  }
  if (proof.checkpoint.empty() || proof.checkpoint.back() != '\n') {
    return Status::InvalidArgument("tlog-proof: checkpoint is empty or lacks its final newline");
  }
  std::string out(kTlogProofHeader);
  out += '\n';
  if (proof.extra) {
    out += kExtraPrefix;
    out += ToBase64(*proof.extra);
    out += '\n';
  }
  out += kIndexPrefix;
  out += std::to_string(proof.index);
  out += '\n';
  for (const Hash& h : proof.hashes) {
    out += ToBase64(h);
    out += '\n';
  }
  out += '\n';
  out += proof.checkpoint;
  return out;
}

Result<TlogProof> ParseTlogProof(std::string_view text) {
  LineReader in(text);
  std::string_view line;
  if (!in.Next(line) || line != kTlogProofHeader) {
    return Status::InvalidArgument("tlog-proof: first line is not " +
                                   std::string(kTlogProofHeader));
  }
  TlogProof proof;
  if (!in.Next(line)) return Status::InvalidArgument("tlog-proof: ends before the index line");
  if (line.substr(0, kExtraPrefix.size()) == kExtraPrefix) {
    ASSIGN_OR_RETURN(proof.extra, DecodeBase64Strict(line.substr(kExtraPrefix.size()),
                                                     in.Where() + ": extra data"));
    if (!in.Next(line)) return Status::InvalidArgument("tlog-proof: ends before the index line");
  }
  if (line.substr(0, kIndexPrefix.size()) != kIndexPrefix) {
    return Status::InvalidArgument(in.Where() + " is not \"index <n>\"");
  }
  ASSIGN_OR_RETURN(proof.index,
                   ParseDecimal(line.substr(kIndexPrefix.size()), in.Where() + ": index"));
  while (true) {
    if (!in.Next(line)) {
      return Status::InvalidArgument("tlog-proof: no blank line before the checkpoint");
    }
    if (line.empty()) break;
    if (proof.hashes.size() == kMaxProofHashes) {
      return Status::InvalidArgument("tlog-proof: more than " + std::to_string(kMaxProofHashes) +
                                     " proof hashes");
    }
    ASSIGN_OR_RETURN(Bytes h, DecodeBase64Strict(line, in.Where() + ": proof hash"));
    if (h.size() != 32) {
      return Status::InvalidArgument(in.Where() + ": proof hash has " + std::to_string(h.size()) +
                                     " bytes, not 32");
    }
    Hash& dst = proof.hashes.emplace_back();
    std::copy(h.begin(), h.end(), dst.begin());
  }
  std::string_view checkpoint = in.Rest();
  if (checkpoint.empty() || checkpoint.back() != '\n') {
    return Status::InvalidArgument("tlog-proof: checkpoint is missing or lacks its final newline");
  }
  proof.checkpoint = std::string(checkpoint);
  return proof;
}

Result<VerifiedTlogProof> VerifyTlogProof(std::string_view text, const Hash& leaf_hash,
                                          const NoteVerifier& log_key, std::string_view origin) {
  ASSIGN_OR_RETURN(TlogProof proof, ParseTlogProof(text));
  auto checkpoint = OpenCheckpoint(proof.checkpoint, log_key, origin);
  if (!checkpoint.ok()) return checkpoint.status().WithContext("tlog-proof");
  Status included =
      VerifyInclusion(leaf_hash, proof.index, checkpoint->size, proof.hashes, checkpoint->root);
  if (!included.ok()) return included.WithContext("tlog-proof");
  return VerifiedTlogProof{proof.index, std::move(checkpoint).value(), std::move(proof.extra)};
}

Result<VerifiedTlogProof> VerifyTlogProofOfLeaf(std::string_view text, ByteView leaf,
                                                const NoteVerifier& log_key,
                                                std::string_view origin) {
  return VerifyTlogProof(text, HashLeaf(leaf), log_key, origin);
}

}  // namespace custos::journal
