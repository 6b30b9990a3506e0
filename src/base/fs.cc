#include "base/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/random.h"

namespace custos {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}
UniqueFd::~UniqueFd() { reset(); }
void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result<Bytes> ReadWholeFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno(errno, path);
  Bytes out;
  uint8_t buf[65536];
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, ReadSome(fd.get(), buf, sizeof buf, path));
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

Status WriteAll(int fd, ByteView data, std::string_view what) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, what);
    }
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

Status PWriteAll(int fd, ByteView data, uint64_t offset, std::string_view what) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, what);
    }
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

Result<size_t> ReadSome(int fd, uint8_t* buf, size_t n, std::string_view what) {
  for (;;) {
    ssize_t r = ::read(fd, buf, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno != EINTR) return Status::FromErrno(errno, what);
  }
}

Result<size_t> PReadFull(int fd, uint8_t* buf, size_t n, uint64_t offset, std::string_view what) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, what);
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

Status FsyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno(errno, dir);
  if (::fsync(fd.get()) != 0) return Status::FromErrno(errno, dir);
  return Status::OK();
}

Status AtomicWriteFile(const std::string& path, ByteView data, int mode) {
  std::string dir = DirName(path);
  std::string tmp = JoinPath(dir, ".tmp-" + RandomHex(8));
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) return Status::FromErrno(errno, path);
  Status st = WriteAll(fd.get(), data, path);
  if (st.ok() && ::fsync(fd.get()) != 0) st = Status::FromErrno(errno, path);
  fd.reset();
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = Status::FromErrno(errno, path);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return FsyncDir(dir);
}

Status MakeDirs(const std::string& path, int mode) {
  if (path.empty()) return Status::OK();
  struct stat sb;
  if (::stat(path.c_str(), &sb) == 0) {
    return S_ISDIR(sb.st_mode) ? Status::OK() : Status::IOError(path + ": not a directory");
  }
  std::string parent = DirName(path);
  if (parent != path) RETURN_IF_ERROR(MakeDirs(parent, mode));
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
    return Status::FromErrno(errno, path);
  }
  return Status::OK();
}

bool PathExists(const std::string& path) {
  struct stat sb;
  return ::lstat(path.c_str(), &sb) == 0;
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  std::string out(a);
  if (out.back() != '/') out += '/';
  out += b;
  return out;
}

std::string DirName(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t pos = path.rfind('/');
  if (pos == std::string_view::npos) return ".";
  if (pos == 0) return "/";
  return std::string(path.substr(0, pos));
}

ScopedTempDir::ScopedTempDir(std::string_view prefix) {
  const char* env = std::getenv("TMPDIR");
  std::string tmpl = JoinPath(env != nullptr && *env != '\0' ? env : "/tmp", prefix);
  tmpl += "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::fprintf(stderr, "cannot make a temporary directory like %s: %s\n", tmpl.c_str(),
                 std::strerror(errno));
    std::abort();
  }
  path_ = std::move(tmpl);
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ec;  // best effort: a leftover directory is no error
  std::filesystem::remove_all(path_, ec);
}

}  // namespace custos
