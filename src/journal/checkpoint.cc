#include "journal/checkpoint.h"

#include <algorithm>

#include "journal/merkle_verify.h"
#include "journal/text_format.h"

namespace custos::journal {
namespace {

Status CheckLine(std::string_view line, std::string_view what) {
  if (line.empty()) return Status::InvalidArgument("checkpoint " + std::string(what) + " is empty");
  if (line.find('\n') != std::string_view::npos || !IsNoteSafeText(line)) {
    return Status::InvalidArgument("checkpoint " + std::string(what) +
                                   " holds a newline, a control character or invalid UTF-8");
  }
  return Status::OK();
}

}  // namespace

Result<std::string> FormatCheckpoint(const Checkpoint& c) {
  RETURN_IF_ERROR(CheckLine(c.origin, "origin"));
  std::string out = c.origin + "\n" + std::to_string(c.size) + "\n" + ToBase64(c.root) + "\n";
  for (const std::string& ext : c.extensions) {
    RETURN_IF_ERROR(CheckLine(ext, "extension line"));
    out += ext;
    out += '\n';
  }
  return out;
}

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument("checkpoint text does not end with a newline");
  }
  if (!IsNoteSafeText(text)) {
    return Status::InvalidArgument(
        "checkpoint text is not valid UTF-8 or holds a control character");
  }
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (lines.size() < 3) {
    return Status::InvalidArgument("checkpoint has " + std::to_string(lines.size()) +
                                   " lines; origin, size and root are required");
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return Status::InvalidArgument("checkpoint line " + std::to_string(i + 1) + " is empty");
    }
  }
  Checkpoint c;
  c.origin = std::string(lines[0]);
  ASSIGN_OR_RETURN(c.size, ParseDecimal(lines[1], "checkpoint tree size"));
  ASSIGN_OR_RETURN(Bytes root, DecodeBase64Strict(lines[2], "checkpoint root hash"));
  if (root.size() != c.root.size()) {
    return Status::InvalidArgument("checkpoint root hash has " + std::to_string(root.size()) +
                                   " bytes, not 32");
  }
  std::copy(root.begin(), root.end(), c.root.begin());
  for (size_t i = 3; i < lines.size(); ++i) c.extensions.emplace_back(lines[i]);
  return c;
}

Result<std::string> SignCheckpoint(const Checkpoint& checkpoint, const NoteSigner& log_key) {
  ASSIGN_OR_RETURN(std::string text, FormatCheckpoint(checkpoint));
  return SignNote(text, log_key);
}

Result<Checkpoint> OpenCheckpoint(std::string_view signed_note, const NoteVerifier& log_key,
                                  std::string_view expected_origin) {
  ASSIGN_OR_RETURN(OpenedNote note, OpenNote(signed_note, std::span(&log_key, 1)));
  ASSIGN_OR_RETURN(Checkpoint c, ParseCheckpoint(note.text));
  if (c.origin != expected_origin) {
    return Status::Corruption("checkpoint is for origin \"" + c.origin + "\", expected \"" +
                              std::string(expected_origin) + "\"");
  }
  return c;
}

Status VerifyCheckpointConsistency(const Checkpoint& older, const Checkpoint& newer,
                                   std::span<const Hash> proof) {
  if (older.origin != newer.origin) {
    return Status::Corruption("checkpoints of two different logs: \"" + older.origin + "\" and \"" +
                              newer.origin + "\"");
  }
  return VerifyConsistency(older.size, newer.size, older.root, newer.root, proof);
}

}  // namespace custos::journal
