// Snapshot manifests: one per backup, stored as "snapshots/<id>".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "vault/index.h"

namespace custos {

struct SnapshotSummary {
  uint64_t files_new = 0, files_changed = 0, files_unmodified = 0;
  uint64_t dirs = 0;
  uint64_t data_blobs_added = 0, tree_blobs_added = 0;
  uint64_t bytes_processed = 0;  // file bytes read or reused
  uint64_t bytes_added = 0;      // plaintext bytes of new blobs
  uint64_t bytes_stored = 0;     // sealed bytes of new blobs
  uint64_t errors = 0;           // unreadable source entries skipped
  double duration_s = 0;
};

struct Snapshot {
  std::string id;  // hex SHA-256 of the stored object; set when loaded/saved
  int64_t time_ns = 0;
  BlobId tree{};
  std::vector<std::string> paths;
  std::vector<std::string> tags;
  std::string hostname, username;
  std::string trigger = "manual";
  std::string custos_version;
  std::optional<std::string> parent;
  std::optional<uint64_t> journal_position;
  bool partial = false;  // some source entries could not be read
  SnapshotSummary summary;
};

Bytes SerializeSnapshot(const Snapshot& s);
Result<Snapshot> ParseSnapshot(ByteView body);

}  // namespace custos
