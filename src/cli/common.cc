#include "cli/common.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "base/fs.h"
#include "storage/registry.h"
#include "vault/util.h"

namespace custos::cli {

int ExitCodeFor(const Status& st) {
  switch (st.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kWrongPassword:
      return kExitWrongPassword;
    case Code::kLocked:
      return kExitLocked;
    case Code::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

int Fail(const Status& st) {
  std::cerr << "custos: " << st.message() << std::endl;
  return ExitCodeFor(st);
}

int FailOpen(const Status& st) {
  int rc = Fail(st);
  // Vault::Open reports NotFound only when there is no vault (no config).
  return st.IsNotFound() ? kExitNoVault : rc;
}

static std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

static Result<std::string> Prompt(const std::string& prompt) {
  if (!isatty(STDIN_FILENO)) {
    return Status::InvalidArgument(
        "no password given: set CUSTOS_PASSWORD, --password-file or --key-file");
  }
  std::cerr << prompt << std::flush;
  struct termios old, quiet;
  tcgetattr(STDIN_FILENO, &old);
  quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << std::endl;
  return line;
}

static Result<std::string> ReadFileSecret(const std::string& path, bool strip_newline) {
  auto bytes = ReadWholeFile(path);
  if (!bytes.ok()) return bytes.status().WithContext("reading secret file");
  std::string s(bytes->begin(), bytes->end());
  if (strip_newline) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  }
  return s;
}

Result<Secret> ReadSecret(const std::string& key_file, const std::string& password_file,
                          const std::string& env_password_var, const std::string& prompt) {
  Secret s;
  if (!key_file.empty()) {
    s.kind = Secret::Kind::kKeyFile;
    ASSIGN_OR_RETURN(s.value, ReadFileSecret(key_file, false));
    if (s.value.size() < 32) {
      return Status::InvalidArgument("key file " + key_file +
                                     " is too short: it must hold at least 32 random bytes");
    }
    return s;
  }
  if (!password_file.empty()) {
    ASSIGN_OR_RETURN(s.value, ReadFileSecret(password_file, true));
  } else if (const char* v = std::getenv(env_password_var.c_str())) {
    s.value = v;
  } else {
    ASSIGN_OR_RETURN(s.value, Prompt(prompt));
  }
  if (s.value.empty()) return Status::InvalidArgument("empty password");
  return s;
}

Result<Secret> ReadSecret(const GlobalOptions& g) {
  std::string key_file = g.key_file.empty() ? Env("CUSTOS_KEY_FILE") : g.key_file;
  std::string pw_file = g.password_file.empty() ? Env("CUSTOS_PASSWORD_FILE") : g.password_file;
  std::string repo = g.repo.empty() ? Env("CUSTOS_REPO") : g.repo;
  if (key_file.empty() && pw_file.empty() && Env("CUSTOS_PASSWORD").empty() &&
      repo.rfind("dest:", 0) == 0) {
    // A destination may name its vault's password file.
    ASSIGN_OR_RETURN(Config cfg, LoadGlobalConfig(g));
    ASSIGN_OR_RETURN(DestinationConfig d, cfg.Destination(repo.substr(5)));
    pw_file = d.password_file;
  }
  return ReadSecret(key_file, pw_file, "CUSTOS_PASSWORD", "enter password for vault: ");
}

Result<Config> LoadGlobalConfig(const GlobalOptions& g) {
  std::string path = g.config.empty() ? DefaultConfigPath() : g.config;
  auto cfg = LoadConfig(path);
  if (cfg.status().IsNotFound() && g.config.empty() && Env("CUSTOS_CONFIG").empty()) {
    return Config{};
  }
  return cfg;
}

Result<std::unique_ptr<Backend>> OpenRepoBackend(const GlobalOptions& g) {
  std::string repo = g.repo.empty() ? Env("CUSTOS_REPO") : g.repo;
  if (repo.empty()) {
    return Status::InvalidArgument("no vault given: use -r/--repo or set CUSTOS_REPO");
  }
  if (repo.rfind("dest:", 0) == 0) {
    ASSIGN_OR_RETURN(Config cfg, LoadGlobalConfig(g));
    ASSIGN_OR_RETURN(DestinationConfig d, cfg.Destination(repo.substr(5)));
    return OpenBackend(d.EffectiveUrl());
  }
  return OpenBackend(repo);
}

Result<std::unique_ptr<Vault>> OpenVault(const GlobalOptions& g) {
  ASSIGN_OR_RETURN(auto backend, OpenRepoBackend(g));
  ASSIGN_OR_RETURN(Secret secret, ReadSecret(g));
  auto v = Vault::Open(std::move(backend), secret);
  SecureWipe(secret.value.data(), secret.value.size());
  return v;
}

Result<std::unique_ptr<VaultLock>> Lock(Vault& v, const GlobalOptions& g, bool exclusive) {
  if (g.no_lock) return std::unique_ptr<VaultLock>();
  return VaultLock::Acquire(v, exclusive);
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) != 0; }

std::string HumanBytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
  return buf;
}

std::string ShortTime(int64_t unix_ns) {
  std::string s = FormatRfc3339(unix_ns);
  return s.substr(0, 10) + " " + s.substr(11, 8);
}

nlohmann::json SnapshotJson(const Snapshot& s) {
  nlohmann::json j = {{"id", s.id},
                      {"short_id", s.id.substr(0, 8)},
                      {"time", FormatRfc3339(s.time_ns)},
                      {"tree", ToHex(s.tree)},
                      {"paths", s.paths},
                      {"tags", s.tags},
                      {"hostname", s.hostname},
                      {"username", s.username},
                      {"trigger", s.trigger},
                      {"custos_version", s.custos_version},
                      {"partial", s.partial}};
  if (s.parent) j["parent"] = *s.parent;
  return j;
}

void PrintJson(const nlohmann::json& j) {
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

}  // namespace custos::cli
