#include "storage/providers/local/local_backend.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <vector>
#include <string_view>
#include <utility>

#include "base/fs.h"
#include "base/random.h"

namespace custos {
namespace {

constexpr std::string_view kTempPrefix = ".tmp-";
constexpr size_t kReadBuffer = 64 * 1024;
constexpr int kMaxListDepth = 32;  // guards against symlink cycles

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// A full segment of an object name: non-empty, allowed characters only, not
// "." and not a temporary-file name. ".." is rejected for the whole name.
bool IsValidSegment(std::string_view seg) {
  return !seg.empty() && seg != "." && !seg.starts_with(kTempPrefix) &&
         std::all_of(seg.begin(), seg.end(), IsNameChar);
}

// Checks an object name, or a List prefix when is_prefix (the last segment
// may then be empty or partial).
Status ValidateName(std::string_view name, bool is_prefix) {
  auto invalid = [&] {
    return Status::InvalidArgument(
        std::string(is_prefix ? "invalid object prefix '" : "invalid object name '") +
        std::string(name) + "'");
  };
  if (name.find("..") != std::string_view::npos || name.starts_with('/')) return invalid();
  if (name.empty()) return is_prefix ? Status::OK() : invalid();
  size_t start = 0;
  for (;;) {
    size_t slash = name.find('/', start);
    std::string_view seg =
        name.substr(start, slash == std::string_view::npos ? name.npos : slash - start);
    bool last = slash == std::string_view::npos;
    if (last && is_prefix) {
      if (!std::all_of(seg.begin(), seg.end(), IsNameChar)) return invalid();
      return Status::OK();
    }
    if (!IsValidSegment(seg)) return invalid();
    if (last) return Status::OK();
    start = slash + 1;
  }
}

// The directory part of a name or prefix ("data/ab/x" -> "data/ab", "x" -> "").
std::string RelDir(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

Status SyncDir(const std::string& dir, const std::string& what) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) return Status::FromErrno(errno, what);
  return Status::OK();
}

// Streams [pos, end) of an open file with buffered pread calls.
class LocalReader : public Reader {
 public:
  LocalReader(int fd, uint64_t begin, uint64_t end, const std::string& name)
      : fd_(fd), pos_(begin), end_(end), what_("load " + name) {}

  Result<size_t> Read(uint8_t* out, size_t n) override {
    if (n == 0) return size_t{0};
    if (head_ < buf_.size()) {
      size_t take = std::min(n, buf_.size() - head_);
      std::memcpy(out, buf_.data() + head_, take);
      head_ += take;
      return take;
    }
    if (pos_ >= end_) return size_t{0};
    const uint64_t remaining = end_ - pos_;
    if (n >= kReadBuffer) {  // large reads bypass the buffer
      return ReadAt(out, static_cast<size_t>(std::min<uint64_t>(n, remaining)));
    }
    buf_.resize(static_cast<size_t>(std::min<uint64_t>(kReadBuffer, remaining)));
    head_ = 0;
    ASSIGN_OR_RETURN(size_t got, ReadAt(buf_.data(), buf_.size()));
    buf_.resize(got);
    return Read(out, n);
  }

 private:
  Result<size_t> ReadAt(uint8_t* out, size_t n) {
    ASSIGN_OR_RETURN(size_t got, PReadFull(fd_, out, n, pos_, what_));
    if (got == 0) return Status::Corruption(what_ + ": object is shorter than its size");
    pos_ += got;
    return got;
  }

  int fd_;  // borrowed: owned by the Load call that created this reader
  uint64_t pos_;
  uint64_t end_;
  std::string what_;
  Bytes buf_;  // buffered bytes [head_, size()) precede pos_
  size_t head_ = 0;
};

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

}  // namespace

LocalBackend::LocalBackend(std::string root) : root_(std::move(root)) {
  properties_.atomic_replace = true;
  properties_.connections = 2;
}

std::string LocalBackend::PathOf(const std::string& name) const { return JoinPath(root_, name); }

Status LocalBackend::Create() { return MakeDirs(root_, 0700); }

Status LocalBackend::MakeObjectDirs(const std::string& rel_dir, const std::string& name) const {
  std::string parent = root_;
  size_t start = 0;
  while (start < rel_dir.size()) {
    size_t slash = rel_dir.find('/', start);
    if (slash == std::string::npos) slash = rel_dir.size();
    std::string dir = JoinPath(parent, std::string_view(rel_dir).substr(start, slash - start));
    if (::mkdir(dir.c_str(), 0700) == 0) {
      RETURN_IF_ERROR(SyncDir(parent, "save " + name));
    } else if (errno == ENOENT && start == 0) {
      return Status::IOError("save " + name + ": the storage root does not exist (not created?)");
    } else if (errno != EEXIST) {
      return Status::FromErrno(errno, "save " + name);
    }
    parent = std::move(dir);
    start = slash + 1;
  }
  return Status::OK();
}

Status LocalBackend::Save(const std::string& name, ByteSource& src) {
  RETURN_IF_ERROR(ValidateName(name, false));
  const std::string what = "save " + name;
  const std::string path = PathOf(name);
  const std::string dir = DirName(path);
  const std::string tmp = JoinPath(dir, std::string(kTempPrefix) + RandomHex(8));
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;

  UniqueFd fd(::open(tmp.c_str(), flags, 0600));
  if (!fd.valid() && errno == ENOENT) {
    RETURN_IF_ERROR(MakeObjectDirs(RelDir(name), name));
    fd.reset(::open(tmp.c_str(), flags, 0600));
  }
  if (!fd.valid()) return Status::FromErrno(errno, what);

  Status st =
      CopyVerified(src, name, [&](ByteView chunk) { return WriteAll(fd.get(), chunk, what); },
                   /*verify_hash=*/false);
  if (st.ok() && ::fsync(fd.get()) != 0) st = Status::FromErrno(errno, what);
  if (st.ok() && ::close(fd.release()) != 0) st = Status::FromErrno(errno, what);
  fd.reset();
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = Status::FromErrno(errno, what);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return SyncDir(dir, what);
}

Status LocalBackend::Load(const std::string& name, uint64_t offset, uint64_t length,
                          const LoadConsumer& consumer) {
  RETURN_IF_ERROR(ValidateName(name, false));
  const std::string what = "load " + name;
  UniqueFd fd(::open(PathOf(name).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno(errno, what);
  struct stat sb;
  if (::fstat(fd.get(), &sb) != 0) return Status::FromErrno(errno, what);
  if (!S_ISREG(sb.st_mode)) return Status::NotFound(what + ": not an object");
  const uint64_t size = static_cast<uint64_t>(sb.st_size);
  const uint64_t begin = std::min(offset, size);
  const uint64_t end = length == 0 ? size : begin + std::min(length, size - begin);
  LocalReader reader(fd.get(), begin, end, name);
  return consumer(reader);
}

Result<ObjectInfo> LocalBackend::Stat(const std::string& name) {
  RETURN_IF_ERROR(ValidateName(name, false));
  struct stat sb;
  if (::stat(PathOf(name).c_str(), &sb) != 0) return Status::FromErrno(errno, "stat " + name);
  if (!S_ISREG(sb.st_mode)) return Status::NotFound("stat " + name + ": not an object");
  return ObjectInfo{name, static_cast<uint64_t>(sb.st_size)};
}

Status LocalBackend::Remove(const std::string& name) {
  RETURN_IF_ERROR(ValidateName(name, false));
  if (::unlink(PathOf(name).c_str()) != 0) {
    if (errno == EISDIR) return Status::NotFound("remove " + name + ": not an object");
    return Status::FromErrno(errno, "remove " + name);
  }
  return Status::OK();
}

Status LocalBackend::List(const std::string& prefix,
                          const std::function<Status(const ObjectInfo&)>& fn) {
  RETURN_IF_ERROR(ValidateName(prefix, true));
  return Walk(RelDir(prefix), prefix, 0, fn);
}

// Lists the objects below rel_dir whose names start with prefix, descending
// only into directories that can hold such names.
Status LocalBackend::Walk(const std::string& rel_dir, const std::string& prefix, int depth,
                          const std::function<Status(const ObjectInfo&)>& fn) const {
  const std::string what = "list " + (rel_dir.empty() ? std::string("/") : rel_dir);
  DirPtr dir(::opendir(rel_dir.empty() ? root_.c_str() : PathOf(rel_dir).c_str()));
  if (!dir) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::OK();  // nothing to list
    return Status::FromErrno(errno, what);
  }
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) return Status::FromErrno(errno, what);
      return Status::OK();
    }
    const std::string_view base = entry->d_name;
    if (base == "." || base == ".." || !IsValidSegment(base)) continue;  // skips temp files
    const std::string rel = rel_dir.empty() ? std::string(base) : rel_dir + "/" + std::string(base);
    struct stat sb;
    if (::fstatat(::dirfd(dir.get()), entry->d_name, &sb, 0) != 0) {
      if (errno == ENOENT) continue;  // removed while listing
      return Status::FromErrno(errno, "list " + rel);
    }
    if (S_ISDIR(sb.st_mode)) {
      const std::string as_dir = rel + "/";
      if (depth < kMaxListDepth && (as_dir.starts_with(prefix) || prefix.starts_with(as_dir))) {
        RETURN_IF_ERROR(Walk(rel, prefix, depth + 1, fn));
      }
    } else if (S_ISREG(sb.st_mode) && rel.starts_with(prefix)) {
      RETURN_IF_ERROR(fn(ObjectInfo{rel, static_cast<uint64_t>(sb.st_size)}));
    }
  }
}

}  // namespace custos

namespace custos {

Result<uint64_t> LocalBackend::RemoveIncomplete(std::chrono::seconds min_age) {
  uint64_t removed = 0;
  const time_t cutoff = ::time(nullptr) - static_cast<time_t>(min_age.count());
  std::function<Status(const std::string&, int)> walk = [&](const std::string& dir,
                                                            int depth) -> Status {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return errno == ENOENT ? Status::OK() : Status::FromErrno(errno, "list " + dir);
    std::vector<std::string> subdirs;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string path = JoinPath(dir, name);
      struct stat sb;
      if (::lstat(path.c_str(), &sb) != 0) continue;
      if (S_ISDIR(sb.st_mode)) {
        subdirs.push_back(path);
      } else if (S_ISREG(sb.st_mode) && name.starts_with(kTempPrefix) && sb.st_mtime <= cutoff) {
        if (::unlink(path.c_str()) == 0) ++removed;
      }
    }
    ::closedir(d);
    if (depth < 3) {
      for (const auto& sub : subdirs) RETURN_IF_ERROR(walk(sub, depth + 1));
    }
    return Status::OK();
  };
  RETURN_IF_ERROR(walk(root_, 0));
  return removed;
}

}  // namespace custos
