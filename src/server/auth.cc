#include "server/auth.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <ctime>

#include "base/fs.h"
#include "base/random.h"
#include "crypto/hash.h"

namespace custos::server {
namespace {

constexpr std::string_view kB64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64Url(ByteView in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(kB64Url[(v >> s) & 63]);
  }
  if (size_t rest = in.size() - i; rest > 0) {
    uint32_t v = uint32_t{in[i]} << 16;
    if (rest == 2) v |= uint32_t{in[i + 1]} << 8;
    out.push_back(kB64Url[(v >> 18) & 63]);
    out.push_back(kB64Url[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kB64Url[(v >> 6) & 63]);
  }
  return out;
}

std::string HashKey(const Hash256& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Holds an exclusive flock on DIR/auth/tokens.lock.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) return Status::FromErrno(errno, "open tokens.lock");
    while (::flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) return Status::FromErrno(errno, "lock tokens.lock");
    }
    return FileLock(std::move(fd));
  }

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // closing releases the lock
};

std::string FileSignature(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "absent";
  return std::to_string(st.st_ino) + "/" + std::to_string(st.st_size) + "/" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

Result<TokenInfo> TokenFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::Corruption("tokens.json: a token is not an object");
  TokenInfo t;
  try {
    t.id = j.at("id").get<std::string>();
    auto role = ParseRole(j.at("role").get<std::string>());
    if (!role) return Status::Corruption("tokens.json: token " + t.id + " has an unknown role");
    t.role = *role;
    t.trainee = j.value("trainee", "");
    t.assessor = j.value("assessor", "");
    t.name = j.value("name", "");
    t.created_at = j.value("created_at", uint64_t{0});
    t.revoked = j.value("revoked", false);
    ASSIGN_OR_RETURN(t.hash, Hash256FromHex(j.at("sha256").get<std::string>()));
  } catch (const nlohmann::json::exception&) {
    return Status::Corruption("tokens.json: a token has missing or mistyped fields");
  }
  return t;
}

}  // namespace

nlohmann::json TokenInfo::ToJson() const {
  nlohmann::json j = {{"id", id},
                      {"role", RoleName(role)},
                      {"name", name},
                      {"created_at", created_at},
                      {"revoked", revoked}};
  if (!trainee.empty()) j["trainee"] = trainee;
  if (!assessor.empty()) j["assessor"] = assessor;
  return j;
}

std::string GenerateTokenText() {
  uint8_t raw[32];
  RandomFill(raw);
  return std::string(kTokenPrefix) + Base64Url(ByteView(raw, sizeof raw));
}

Hash256 HashToken(std::string_view token) { return Sha256(AsBytes(token)); }

Status ValidateNewToken(const NewToken& t) {
  if (t.role == Role::kTrainee) {
    if (t.trainee.empty())
      return Status::InvalidArgument(
          "field \"trainee\": the trainee role needs the id of a trainee record");
    if (t.trainee.size() > 64) return Status::InvalidArgument("trainee id is too long");
    for (char c : t.trainee) {
      bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                c == '_' || c == '-';
      if (!ok) return Status::InvalidArgument("trainee id has a character outside [A-Za-z0-9_-]");
    }
  } else if (!t.trainee.empty()) {
    return Status::InvalidArgument("only trainee tokens are bound to a trainee");
  }
  if (t.role == Role::kAssessor) {
    if (t.assessor.empty())
      return Status::InvalidArgument(
          "field \"assessor\": the assessor role needs the assessor's name");
    if (t.assessor.size() > 200) return Status::InvalidArgument("assessor name is too long");
  } else if (!t.assessor.empty()) {
    return Status::InvalidArgument("only assessor tokens are bound to an assessor name");
  }
  if (t.name.size() > 200) return Status::InvalidArgument("token label is too long");
  return Status::OK();
}

Result<std::unique_ptr<TokenStore>> TokenStore::Open(const std::string& data_dir) {
  std::string dir = JoinPath(data_dir, "auth");
  RETURN_IF_ERROR(MakeDirs(dir, 0700));
  std::unique_ptr<TokenStore> store(new TokenStore(dir));
  {
    ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(JoinPath(dir, "tokens.lock")));
    ASSIGN_OR_RETURN(std::vector<TokenInfo> tokens, store->ReadFileLocked());
    store->Install(std::move(tokens));
  }
  return store;
}

Result<std::vector<TokenInfo>> TokenStore::ReadFileLocked() {
  std::string path = JoinPath(dir_, "tokens.json");
  std::string sig = FileSignature(path);
  std::vector<TokenInfo> out;
  if (sig != "absent") {
    ASSIGN_OR_RETURN(Bytes raw, ReadWholeFile(path));
    nlohmann::json j = nlohmann::json::parse(raw.begin(), raw.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("tokens") || !j["tokens"].is_array()) {
      return Status::Corruption("tokens.json does not parse");
    }
    for (const auto& t : j["tokens"]) {
      ASSIGN_OR_RETURN(TokenInfo info, TokenFromJson(t));
      out.push_back(std::move(info));
    }
  }
  std::lock_guard lock(mu_);
  file_sig_ = sig;
  return out;
}

Status TokenStore::WriteFileLocked(const std::vector<TokenInfo>& tokens) {
  nlohmann::json arr = nlohmann::json::array();
  for (const TokenInfo& t : tokens) {
    nlohmann::json j = t.ToJson();
    j["sha256"] = ToHex(t.hash);
    arr.push_back(std::move(j));
  }
  std::string text = nlohmann::json{{"version", 1}, {"tokens", std::move(arr)}}.dump(2) + "\n";
  std::string path = JoinPath(dir_, "tokens.json");
  RETURN_IF_ERROR(AtomicWriteFile(path, AsBytes(text), 0600));
  std::lock_guard lock(mu_);
  file_sig_ = FileSignature(path);
  return Status::OK();
}

template <typename Fn>
Status TokenStore::Modify(Fn&& fn) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(JoinPath(dir_, "tokens.lock")));
  ASSIGN_OR_RETURN(std::vector<TokenInfo> tokens, ReadFileLocked());
  ASSIGN_OR_RETURN(bool changed, fn(tokens));
  if (changed) RETURN_IF_ERROR(WriteFileLocked(tokens));
  Install(std::move(tokens));
  return Status::OK();
}

void TokenStore::Install(std::vector<TokenInfo> tokens) {
  std::unordered_map<std::string, TokenInfo> map;
  for (TokenInfo& t : tokens) map[HashKey(t.hash)] = std::move(t);
  std::lock_guard lock(mu_);
  by_hash_ = std::move(map);
}

Result<TokenStore::Created> TokenStore::Create(const NewToken& t) {
  RETURN_IF_ERROR(ValidateNewToken(t));
  Created c;
  c.token = GenerateTokenText();
  c.info.id = "tok_" + RandomHex(8);
  c.info.role = t.role;
  c.info.trainee = t.trainee;
  c.info.assessor = t.assessor;
  c.info.name = t.name;
  c.info.created_at = static_cast<uint64_t>(std::time(nullptr));
  c.info.hash = HashToken(c.token);
  RETURN_IF_ERROR(Modify([&](std::vector<TokenInfo>& tokens) -> Result<bool> {
    tokens.push_back(c.info);
    return true;
  }));
  return c;
}

Result<bool> TokenStore::AddAdminToken(std::string_view token, std::string_view name) {
  if (token.size() < 32 || token.size() > 256) {
    return Status::InvalidArgument("CUSTOS_ADMIN_TOKEN must be 32 to 256 characters long");
  }
  for (char c : token) {
    if (c <= 0x20 || c >= 0x7F) {
      return Status::InvalidArgument("CUSTOS_ADMIN_TOKEN holds a space or non-ASCII character");
    }
  }
  Hash256 h = HashToken(token);
  bool added = false;
  RETURN_IF_ERROR(Modify([&](std::vector<TokenInfo>& tokens) -> Result<bool> {
    for (const TokenInfo& t : tokens) {
      if (ConstantTimeEqual(ByteView(t.hash), ByteView(h))) return false;
    }
    TokenInfo info;
    info.id = "tok_" + RandomHex(8);
    info.role = Role::kAdmin;
    info.name = std::string(name);
    info.created_at = static_cast<uint64_t>(std::time(nullptr));
    info.hash = h;
    tokens.push_back(std::move(info));
    added = true;
    return true;
  }));
  return added;
}

Status TokenStore::Revoke(std::string_view id) {
  return Modify([&](std::vector<TokenInfo>& tokens) -> Result<bool> {
    for (TokenInfo& t : tokens) {
      if (t.id == id) {
        if (t.revoked) return false;
        t.revoked = true;
        return true;
      }
    }
    return Status::NotFound("no token with id " + std::string(id.substr(0, 64)));
  });
}

Result<std::vector<TokenInfo>> TokenStore::List() {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(JoinPath(dir_, "tokens.lock")));
  ASSIGN_OR_RETURN(std::vector<TokenInfo> tokens, ReadFileLocked());
  std::vector<TokenInfo> copy = tokens;
  Install(std::move(tokens));
  return copy;
}

Result<bool> TokenStore::Empty() {
  ASSIGN_OR_RETURN(std::vector<TokenInfo> tokens, List());
  return tokens.empty();
}

void TokenStore::MaybeReload() {
  int64_t now = NowMillis();
  int64_t next = next_check_ms_.load(std::memory_order_relaxed);
  if (now < next) return;
  if (!next_check_ms_.compare_exchange_strong(next, now + 1000)) return;  // another thread checks
  std::string sig = FileSignature(JoinPath(dir_, "tokens.json"));
  {
    std::lock_guard lock(mu_);
    if (sig == file_sig_) return;
  }
  auto lock = FileLock::Acquire(JoinPath(dir_, "tokens.lock"));
  if (!lock.ok()) return;
  auto tokens = ReadFileLocked();
  if (tokens.ok()) Install(std::move(tokens).value());
  // A damaged file keeps the last good table: a broken edit must not lock
  // every client out, nor resurrect revoked tokens.
}

std::optional<TokenInfo> TokenStore::Authenticate(std::string_view token) {
  if (token.size() < 32 || token.size() > 256) return std::nullopt;
  MaybeReload();
  Hash256 h = HashToken(token);
  std::lock_guard lock(mu_);
  auto it = by_hash_.find(HashKey(h));
  if (it == by_hash_.end()) return std::nullopt;
  if (!ConstantTimeEqual(ByteView(it->second.hash), ByteView(h))) return std::nullopt;
  if (it->second.revoked) return std::nullopt;
  return it->second;
}

}  // namespace custos::server
