// Small POSIX file helpers with RAII descriptors and Status errors.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"

namespace custos {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

Result<Bytes> ReadWholeFile(const std::string& path);
// Writes all of `data` to fd, retrying on EINTR and short writes.
Status WriteAll(int fd, ByteView data, std::string_view what);
Status PWriteAll(int fd, ByteView data, uint64_t offset, std::string_view what);
// Reads up to n bytes; returns bytes read (0 at end of file).
Result<size_t> ReadSome(int fd, uint8_t* buf, size_t n, std::string_view what);
Result<size_t> PReadFull(int fd, uint8_t* buf, size_t n, uint64_t offset, std::string_view what);
Status FsyncDir(const std::string& dir);
// Writes `data` to `path` crash-safely: a temporary file in the same
// directory is written, fsynced, renamed over `path`, and the directory fsynced.
Status AtomicWriteFile(const std::string& path, ByteView data, int mode = 0600);
// mkdir -p.
Status MakeDirs(const std::string& path, int mode = 0700);
bool PathExists(const std::string& path);
std::string JoinPath(std::string_view a, std::string_view b);
std::string DirName(std::string_view path);

// A fresh directory of its own, `$TMPDIR/<prefix>-XXXXXX` (/tmp when TMPDIR
// is unset), made mode 0700 on construction and removed with everything in
// it on destruction. Construction aborts when no directory can be made: it
// serves tests and scratch work, where there is no caller to hand an error.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(std::string_view prefix = "custos");
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  ~ScopedTempDir();

  const std::string& path() const { return path_; }
  // path()/name, not created.
  std::string Sub(std::string_view name) const { return JoinPath(path_, name); }

 private:
  std::string path_;
};

}  // namespace custos
