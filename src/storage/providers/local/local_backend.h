// LocalBackend: a Backend over a directory of the local file system.
//
// Contract
// - Follows every rule of storage/backend.h. Object "data/ab/xyz" is the file
//   <root>/data/ab/xyz. Names must be relative, made of non-empty segments of
//   [A-Za-z0-9._-] other than "." and "..", and a segment may not begin with
//   ".tmp-" (reserved for temporary files); any other name is
//   InvalidArgument. List prefixes follow the same rules except that the last
//   segment may be empty or partial.
// - Save writes "<dir>/.tmp-<random>" (mode 0600), verifies length and
//   SHA-256 while writing, fsyncs, renames over the target and fsyncs the
//   directory: a Save is all-or-nothing (atomic_replace = true) and a failed
//   Save leaves no temporary file. Missing subdirectories (mode 0700) are
//   created under the root; the root itself is made only by Create().
// - Load streams the range with buffered pread calls; it never holds the whole
//   object in memory.
// - Errors map errno: ENOENT -> NotFound, ENOSPC -> NoSpace, EACCES ->
//   PermissionDenied, others -> IOError. Messages name the object, not paths
//   of secrets.
// - Thread-safe: the object holds no mutable state.
#pragma once

#include <string>

#include "storage/backend.h"

namespace custos {

class LocalBackend : public Backend {
 public:
  // root: the directory holding the objects; used as given (relative paths
  // resolve against the current directory at each call).
  explicit LocalBackend(std::string root);
  LocalBackend(const LocalBackend&) = delete;
  LocalBackend& operator=(const LocalBackend&) = delete;

  std::string Location() const override { return root_; }
  const BackendProperties& Properties() const override { return properties_; }
  // mkdir -p of the root (mode 0700).
  Status Create() override;
  Status Save(const std::string& name, ByteSource& src) override;
  Status Load(const std::string& name, uint64_t offset, uint64_t length,
              const LoadConsumer& consumer) override;
  Result<ObjectInfo> Stat(const std::string& name) override;
  Status List(const std::string& prefix,
              const std::function<Status(const ObjectInfo&)>& fn) override;
  Status Remove(const std::string& name) override;
  // Removes ".tmp-*" files left by killed writers.
  Result<uint64_t> RemoveIncomplete(std::chrono::seconds min_age) override;

 private:
  std::string PathOf(const std::string& name) const;
  // Creates the missing directories of `rel_dir` (relative to the root, which
  // must exist), fsyncing each parent that gained an entry.
  Status MakeObjectDirs(const std::string& rel_dir, const std::string& name) const;
  Status Walk(const std::string& rel_dir, const std::string& prefix, int depth,
              const std::function<Status(const ObjectInfo&)>& fn) const;

  const std::string root_;
  BackendProperties properties_;
};

}  // namespace custos
