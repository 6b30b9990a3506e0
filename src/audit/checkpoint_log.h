// CheckpointLog: the durable, append-only list of signed checkpoints
// (DIR/audit/checkpoints.log).
//
// Format: a sequence of records "custos-checkpoint <n>\n" followed by exactly
// n bytes of signed-note text. A record is appended with one write and made
// durable with fdatasync before Append returns. A crash can leave only a torn
// last record; Open cuts it off (it was never acknowledged), while
// ReadCheckpointLog (for verifiers) reports it as Corruption with its offset.
//
// Thread-safety: Append is serialised internally; Open/Read are not
// concurrent with other writers of the same file (the data directory lock
// held by the store ensures one process).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/result.h"

namespace custos::audit {

class CheckpointLog {
 public:
  // Opens (creating) the log and returns the complete records it holds.
  static Result<std::unique_ptr<CheckpointLog>> Open(const std::string& path,
                                                     std::vector<std::string>* notes);
  Status Append(const std::string& note);

 private:
  CheckpointLog(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
  std::mutex mu_;
};

// Parses log text. With `tolerate_torn_tail`, a truncated last record is
// dropped and *valid_bytes says where the good part ends; otherwise it is
// Corruption ("checkpoint log: damaged record at byte N").
Result<std::vector<std::string>> ParseCheckpointLog(std::string_view text, bool tolerate_torn_tail,
                                                    size_t* valid_bytes = nullptr);

}  // namespace custos::audit
