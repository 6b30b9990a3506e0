#include "records/documents.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "base/fs.h"
#include "base/random.h"
#include "crypto/hash.h"

namespace custos::records {
namespace {

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

DocumentStore::DocumentStore(std::string data_dir) : root_(JoinPath(data_dir, "documents")) {}

Result<std::string> DocumentStore::PathOf(std::string_view sha256_hex) const {
  if (!IsLowerHex64(sha256_hex)) {
    return Status::InvalidArgument("document id must be 64 lowercase hex digits");
  }
  return JoinPath(JoinPath(root_, sha256_hex.substr(0, 2)), sha256_hex);
}

Result<std::string> DocumentStore::Put(ByteView bytes) {
  std::string hex = ToHex(Sha256(bytes));
  ASSIGN_OR_RETURN(std::string path, PathOf(hex));
  if (PathExists(path)) return hex;
  RETURN_IF_ERROR(MakeDirs(DirName(path), 0700));
  Status st = AtomicWriteFile(path, bytes, 0600);
  if (!st.ok()) return st.WithContext("store document " + hex);
  return hex;
}

Result<std::string> DocumentStore::PutFile(const std::string& source_path) {
  UniqueFd in(::open(source_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return Status::FromErrno(errno, "open document source");
  std::string tmp_dir = JoinPath(root_, "tmp");
  RETURN_IF_ERROR(MakeDirs(tmp_dir, 0700));
  std::string tmp = JoinPath(tmp_dir, RandomHex(16));
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out.valid()) return Status::FromErrno(errno, "create document temporary file");
  auto fail = [&](Status st) -> Result<std::string> {
    out.reset();
    ::unlink(tmp.c_str());
    return st;
  };
  Sha256Stream hash;
  std::vector<uint8_t> buf(1 << 16);
  while (true) {
    auto n = ReadSome(in.get(), buf.data(), buf.size(), "read document source");
    if (!n.ok()) return fail(n.status());
    if (*n == 0) break;
    ByteView chunk(buf.data(), *n);
    hash.Update(chunk);
    Status st = WriteAll(out.get(), chunk, "write document");
    if (!st.ok()) return fail(st);
  }
  if (::fsync(out.get()) != 0) return fail(Status::FromErrno(errno, "fsync document"));
  out.reset();
  std::string hex = ToHex(hash.Finish());
  auto path = PathOf(hex);
  if (!path.ok()) return fail(path.status());
  if (PathExists(*path)) {
    ::unlink(tmp.c_str());
    return hex;
  }
  Status st = MakeDirs(DirName(*path), 0700);
  if (!st.ok()) return fail(st);
  if (::rename(tmp.c_str(), path->c_str()) != 0) {
    return fail(Status::FromErrno(errno, "install document " + hex));
  }
  RETURN_IF_ERROR(FsyncDir(DirName(*path)));
  return hex;
}

Result<Bytes> DocumentStore::Get(std::string_view sha256_hex) {
  ASSIGN_OR_RETURN(std::string path, PathOf(sha256_hex));
  if (!PathExists(path)) {
    return Status::NotFound("document " + std::string(sha256_hex) + " does not exist");
  }
  auto data = ReadWholeFile(path);
  if (!data.ok()) return data.status().WithContext("read document " + std::string(sha256_hex));
  if (ToHex(Sha256(*data)) != sha256_hex) {
    return Status::Corruption("document " + std::string(sha256_hex) +
                              ": content does not match its hash");
  }
  return data;
}

}  // namespace custos::records
