// Archiver: backs up local paths into a vault.
//
// Pipeline: the calling thread walks the file system; files go to a pool of
// file workers that read, chunk and hash them and pass new chunks to a
// BlobSaver (compress, encrypt, pack, upload). Directory trees are sealed
// bottom-up once their entries are done. With a parent snapshot, a file whose
// size, mtime, ctime and inode are unchanged reuses the parent's content list
// without being read.
//
// Source errors (unreadable files or directories) are reported through
// on_error and skipped; the snapshot is then marked partial. Vault errors
// abort the backup: packs already written stay unreferenced until prune.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "vault/vault.h"

namespace custos {

struct BackupProgress {
  std::atomic<uint64_t> files{0}, dirs{0}, bytes{0}, errors{0};
  std::atomic<uint64_t> bytes_stored{0};
};

struct BackupOptions {
  std::vector<std::string> paths;     // made absolute
  std::vector<std::string> excludes;  // glob patterns (see MatchesPattern)
  std::vector<std::string> tags;
  std::string trigger = "manual";
  const Snapshot* parent = nullptr;  // for change detection; may be null
  int file_workers = 2;
  int blob_workers = 2;
  BackupProgress* progress = nullptr;  // optional, updated live
  // Called for each source entry that could not be read (path, error).
  std::function<void(const std::string&, const Status&)> on_error;
};

// Backs up, saves the snapshot and returns it. The vault's index must be
// loaded. NotFound when a given path does not exist.
Result<Snapshot> RunBackup(Vault& vault, const BackupOptions& options);

// Glob matching used by --exclude and --include: a pattern with a '/' is
// matched against the whole path ('*' may cross '/'), one without against the
// base name.
bool MatchesPattern(const std::string& pattern, const std::string& path);

// "/a/./b//c/" -> "/a/b/c", relative paths resolved against the cwd.
std::string AbsolutePath(const std::string& path);

}  // namespace custos
