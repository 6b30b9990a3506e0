// DocumentStore: evidence files stored content-addressed in the data
// directory as DIR/documents/<first 2 hex>/<sha256 hex>.
//
// Contract
// - Put* writes crash-safely (temporary file in the same file system, fsync,
//   rename, fsync of the directory) and returns the SHA-256 in lowercase hex.
//   Putting content that is already stored is OK and writes nothing.
// - Get verifies the content against its name: Corruption if it no longer
//   matches, NotFound if absent, InvalidArgument for a malformed hash.
// - Error messages never name the caller's source path (file names of
//   evidence often hold a person's name).
// - Thread-safe: concurrent puts of the same content both succeed.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace custos::records {

class DocumentStore {
 public:
  explicit DocumentStore(std::string data_dir);

  Result<std::string> Put(ByteView bytes);
  Result<std::string> PutFile(const std::string& source_path);
  Result<Bytes> Get(std::string_view sha256_hex);
  // Where a document lives (for streaming it out); the file may not exist.
  Result<std::string> PathOf(std::string_view sha256_hex) const;

 private:
  std::string root_;  // DIR/documents
};

}  // namespace custos::records
