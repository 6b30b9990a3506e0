// API tokens: creation, storage (hashed), lookup and revocation.
//
// Contract
// - A token is "cst_" followed by 43 base64url characters (32 random bytes).
//   Only its SHA-256 is stored, with an id ("tok_" + 16 hex digits, safe to
//   log), a role, an optional binding (a trainee record id for the trainee
//   role, an assessor name for the assessor role), a label, the creation time
//   and a revoked flag.
// - Storage: DIR/auth/tokens.json (directory 0700, file 0600), replaced
//   atomically; every read-modify-write holds an exclusive flock on
//   DIR/auth/tokens.lock, so `custos token ...` and a running server can
//   change it at the same time without losing updates. A running server
//   notices changes made by other processes within one second.
// - Authenticate() hashes the presented token and compares hashes in
//   constant time; it never logs or returns the token.
// - Thread-safety: every method may be called concurrently.
// - Errors: InvalidArgument for a bad role, a missing or misplaced binding,
//   or a malformed CUSTOS_ADMIN_TOKEN; NotFound for an unknown token id;
//   Corruption when tokens.json does not parse; IOError from the file system.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/result.h"
#include "server/routes.h"

namespace custos::server {

inline constexpr std::string_view kTokenPrefix = "cst_";

struct TokenInfo {
  std::string id;     // "tok_..."
  Role role = Role::kAdmin;
  std::string trainee;   // trainee role: the trainee record id
  std::string assessor;  // assessor role: the name in assessments' "assessor" field
  std::string name;      // label
  uint64_t created_at = 0;  // unix seconds
  bool revoked = false;
  Hash256 hash{};  // SHA-256 of the token text

  nlohmann::json ToJson() const;  // no hash, no secret
};

struct NewToken {
  Role role = Role::kAdmin;
  std::string trainee;
  std::string assessor;
  std::string name;
};

// A fresh random token text ("cst_...").
std::string GenerateTokenText();
// SHA-256 of the token text.
Hash256 HashToken(std::string_view token);
// Checks a binding against its role: trainee needs `trainee`, assessor needs
// `assessor`, other roles take neither.
Status ValidateNewToken(const NewToken& t);

class TokenStore {
 public:
  // Opens (creating DIR/auth when absent) the token store of `data_dir`.
  static Result<std::unique_ptr<TokenStore>> Open(const std::string& data_dir);

  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;

  // Adds a token; returns its id and the token text (shown once).
  struct Created {
    TokenInfo info;
    std::string token;
  };
  Result<Created> Create(const NewToken& t);
  // Adds the given token text (CUSTOS_ADMIN_TOKEN) as an admin token unless a
  // token with that hash exists (revoked or not). Returns whether it added.
  Result<bool> AddAdminToken(std::string_view token, std::string_view name);
  Status Revoke(std::string_view id);
  Result<std::vector<TokenInfo>> List();
  // True when no token has ever been stored.
  Result<bool> Empty();

  // The live (not revoked) token with this text, or nullopt. Re-reads the
  // file when another process changed it (checked at most once a second).
  std::optional<TokenInfo> Authenticate(std::string_view token);

 private:
  explicit TokenStore(std::string dir) : dir_(std::move(dir)) {}
  struct FileState;
  Result<std::vector<TokenInfo>> ReadFileLocked();
  Status WriteFileLocked(const std::vector<TokenInfo>& tokens);
  // Applies `fn` to the stored list under the file lock and writes it back.
  template <typename Fn>
  Status Modify(Fn&& fn);
  void Install(std::vector<TokenInfo> tokens);
  void MaybeReload();

  std::string dir_;  // DIR/auth
  std::mutex mu_;    // guards by_hash_, file_sig_
  std::unordered_map<std::string, TokenInfo> by_hash_;  // key: raw hash bytes
  std::string file_sig_;  // inode/size/mtime of tokens.json when last read
  std::atomic<int64_t> next_check_ms_{0};
};

}  // namespace custos::server
