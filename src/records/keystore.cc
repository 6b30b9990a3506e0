#include "records/keystore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/fs.h"
#include "base/random.h"
#include "crypto/hash.h"

namespace custos::records {
namespace {

constexpr uint8_t kWrapFormat = 1;
constexpr size_t kWrappedSize = 1 + 12 + 32 + kAeadTagSize;

Pseudonym TruncatedHmac(const Hmac& mac, std::string_view label, std::string_view id) {
  Bytes msg(label.begin(), label.end());
  msg.push_back(0);
  msg.insert(msg.end(), id.begin(), id.end());
  Hash256 h = mac.Compute(msg);
  Pseudonym p;
  std::memcpy(p.data(), h.data(), p.size());
  SecureWipe(h.data(), h.size());
  return p;
}

// Creates the key file so that concurrent creators agree: the key is written
// to a private temporary file, fsynced, then hard-linked into place, which
// fails if another process got there first.
Status CreateMasterKey(const std::string& dir, const std::string& path) {
  Key256 key;
  RandomFill(key);
  std::string tmp = JoinPath(dir, ".master.key." + RandomHex(8));
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return Status::FromErrno(errno, "create keys/master.key");
  Status st = WriteAll(fd.get(), key, "write keys/master.key");
  SecureWipe(key.data(), key.size());
  if (st.ok() && ::fsync(fd.get()) != 0) st = Status::FromErrno(errno, "fsync keys/master.key");
  fd.reset();
  if (st.ok() && ::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    st = Status::FromErrno(errno, "install keys/master.key");
  }
  ::unlink(tmp.c_str());
  if (st.ok()) st = FsyncDir(dir);
  return st;
}

}  // namespace

Result<std::unique_ptr<Keystore>> Keystore::OpenOrCreate(const std::string& data_dir) {
  std::string dir = JoinPath(data_dir, "keys");
  RETURN_IF_ERROR(MakeDirs(dir, 0700));
  std::string path = JoinPath(dir, "master.key");
  if (!PathExists(path)) RETURN_IF_ERROR(CreateMasterKey(dir, path));
  ASSIGN_OR_RETURN(Bytes bytes, ReadWholeFile(path));
  if (bytes.size() != 32) {
    SecureWipe(bytes.data(), bytes.size());
    return Status::Corruption("keys/master.key has " + std::to_string(bytes.size()) +
                              " bytes, expected 32");
  }
  Key256 master;
  std::memcpy(master.data(), bytes.data(), 32);
  SecureWipe(bytes.data(), bytes.size());
  std::unique_ptr<Keystore> ks(new Keystore(master));
  SecureWipe(master.data(), master.size());
  return ks;
}

std::unique_ptr<Keystore> Keystore::FromMasterKey(const Key256& master) {
  return std::unique_ptr<Keystore>(new Keystore(master));
}

Keystore::Keystore(const Key256& master)
    : wrap_key_(DeriveKey(master, "custos/records/subject-wrap/v1", {})),
      pseudonym_key_(DeriveKey(master, "custos/records/pseudonym/v1", {})),
      pseudonym_hmac_(pseudonym_key_) {}

Keystore::~Keystore() {
  SecureWipe(wrap_key_.data(), wrap_key_.size());
  SecureWipe(pseudonym_key_.data(), pseudonym_key_.size());
  for (auto& [id, key] : cache_) SecureWipe(key.data(), key.size());
}

Pseudonym Keystore::SubjectPseudonym(std::string_view subject_id) const {
  return TruncatedHmac(pseudonym_hmac_, "subject", subject_id);
}

Pseudonym Keystore::ActorPseudonym(std::string_view actor_id) const {
  return TruncatedHmac(pseudonym_hmac_, "actor", actor_id);
}

Key256 Keystore::NewSubjectKey() {
  Key256 k;
  RandomFill(k);
  return k;
}

Bytes Keystore::WrapSubjectKey(std::string_view subject_id, const Key256& key) const {
  Nonce96 nonce;
  RandomFill(nonce);
  Bytes out;
  out.reserve(kWrappedSize);
  out.push_back(kWrapFormat);
  out.insert(out.end(), nonce.begin(), nonce.end());
  AeadSeal(wrap_key_, nonce, AsBytes(subject_id), key, out);
  return out;
}

Result<Key256> Keystore::UnwrapSubjectKey(std::string_view subject_id, ByteView wrapped) const {
  if (wrapped.size() != kWrappedSize || wrapped[0] != kWrapFormat) {
    return Status::Corruption("wrapped subject key is malformed");
  }
  Nonce96 nonce;
  std::memcpy(nonce.data(), wrapped.data() + 1, nonce.size());
  Key256 key;
  Status st = AeadOpenTo(wrap_key_, nonce, AsBytes(subject_id), wrapped.subspan(13), key.data());
  if (!st.ok()) {
    SecureWipe(key.data(), key.size());
    return Status::Corruption("wrapped subject key does not open under this master key");
  }
  return key;
}

std::optional<Key256> Keystore::CachedKey(std::string_view subject_id) const {
  std::lock_guard lock(mu_);
  auto it = cache_.find(std::string(subject_id));
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

void Keystore::RememberKey(std::string_view subject_id, const Key256& key) {
  std::lock_guard lock(mu_);
  std::string id(subject_id);
  if (forgotten_.count(id) != 0) return;
  cache_[id] = key;
}

void Keystore::ForgetKey(std::string_view subject_id) {
  std::lock_guard lock(mu_);
  std::string id(subject_id);
  auto it = cache_.find(id);
  if (it != cache_.end()) {
    SecureWipe(it->second.data(), it->second.size());
    cache_.erase(it);
  }
  forgotten_.insert(std::move(id));
}

}  // namespace custos::records
