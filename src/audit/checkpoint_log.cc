#include "audit/checkpoint_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

#include "audit/audit_log.h"

namespace custos::audit {

namespace {
constexpr std::string_view kMagic = "custos-checkpoint ";
constexpr size_t kMaxNote = 64 * 1024;
}  // namespace

Result<std::vector<std::string>> ParseCheckpointLog(std::string_view text, bool tolerate_torn_tail,
                                                    size_t* valid_bytes) {
  std::vector<std::string> notes;
  size_t pos = 0;
  auto damaged = [&](size_t at) -> Status {
    return Status::Corruption("checkpoint log: damaged record at byte " + std::to_string(at));
  };
  while (pos < text.size()) {
    size_t start = pos;
    size_t nl = text.find('\n', pos);
    bool complete_header = nl != std::string_view::npos;
    std::string_view header = text.substr(pos, complete_header ? nl - pos : std::string_view::npos);
    bool header_ok = header.size() > kMagic.size() && header.substr(0, kMagic.size()) == kMagic;
    size_t n = 0;
    if (header_ok) {
      std::string_view num = header.substr(kMagic.size());
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
      header_ok = ec == std::errc() && p == num.data() + num.size() && n > 0 && n <= kMaxNote &&
                  (num.size() == 1 || num[0] != '0');
    }
    bool is_tail_prefix =
        !complete_header && kMagic.substr(0, std::min(kMagic.size(), header.size())) ==
                                header.substr(0, std::min(kMagic.size(), header.size()));
    if (!complete_header || !header_ok) {
      if (tolerate_torn_tail && !complete_header && (is_tail_prefix || header_ok)) break;
      return damaged(start);
    }
    size_t body = nl + 1;
    if (text.size() - body < n) {
      if (tolerate_torn_tail) break;
      return damaged(start);
    }
    notes.emplace_back(text.substr(body, n));
    pos = body + n;
  }
  if (valid_bytes) *valid_bytes = pos;
  return notes;
}

Result<std::unique_ptr<CheckpointLog>> CheckpointLog::Open(const std::string& path,
                                                           std::vector<std::string>* notes) {
  RETURN_IF_ERROR(MakeDirs(DirName(path)));
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() < 0) return Status::FromErrno(errno, "opening " + path);
  ASSIGN_OR_RETURN(Bytes content, ReadWholeFile(path));
  size_t valid = 0;
  ASSIGN_OR_RETURN(auto parsed, ParseCheckpointLog(AsString(content), true, &valid));
  if (valid != content.size()) {
    // A torn append from a crash: it was never acknowledged, so cut it off.
    if (::ftruncate(fd.get(), static_cast<off_t>(valid)) != 0 || ::fdatasync(fd.get()) != 0) {
      return Status::FromErrno(errno, "truncating torn record of " + path);
    }
  }
  if (::lseek(fd.get(), 0, SEEK_END) < 0) return Status::FromErrno(errno, "seeking " + path);
  if (notes) *notes = std::move(parsed);
  return std::unique_ptr<CheckpointLog>(new CheckpointLog(path, std::move(fd)));
}

Status CheckpointLog::Append(const std::string& note) {
  if (note.empty() || note.size() > kMaxNote) {
    return Status::InvalidArgument("checkpoint note of " + std::to_string(note.size()) + " bytes");
  }
  std::string rec = std::string(kMagic) + std::to_string(note.size()) + "\n" + note;
  std::lock_guard<std::mutex> lock(mu_);
  off_t start = ::lseek(fd_.get(), 0, SEEK_END);
  if (start < 0) return Status::FromErrno(errno, "seeking " + path_);
  Status st = WriteAll(fd_.get(), AsBytes(rec), path_);
  if (st.ok() && ::fdatasync(fd_.get()) != 0) st = Status::FromErrno(errno, "syncing " + path_);
  if (!st.ok()) {
    // Leave no torn record behind for the next append to follow (disk full).
    if (::ftruncate(fd_.get(), start) == 0) (void)::lseek(fd_.get(), start, SEEK_SET);
  }
  return st;
}

Result<std::vector<std::string>> ReadCheckpointLog(const std::string& data_dir,
                                                   bool tolerate_torn_tail) {
  std::string path = JoinPath(data_dir, "audit/checkpoints.log");
  auto content = ReadWholeFile(path);
  if (!content.ok()) {
    if (content.status().IsNotFound()) return std::vector<std::string>{};
    return content.status();
  }
  return ParseCheckpointLog(AsString(*content), tolerate_torn_tail);
}

}  // namespace custos::audit
