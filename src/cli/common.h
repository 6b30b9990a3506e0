// Shared plumbing for CLI commands: global options, exit codes, secrets,
// opening the vault, output helpers.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "config/config.h"
#include "vault/lock.h"
#include "vault/vault.h"

namespace custos::cli {

// Documented in the README; scripts depend on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitPartial = 3,        // backup: some source files could not be read
  kExitProblems = 4,       // check: the vault has problems
  kExitNoVault = 10,       // the vault (its config) does not exist
  kExitLocked = 11,        // another process holds a conflicting lock
  kExitWrongPassword = 12  // no key opens with the given secret
};

struct GlobalOptions {
  std::string repo;           // -r / CUSTOS_REPO
  std::string password_file;  // --password-file / CUSTOS_PASSWORD_FILE
  std::string key_file;       // --key-file / CUSTOS_KEY_FILE
  std::string config;         // --config / CUSTOS_CONFIG (TOML)
  bool json = false;
  bool quiet = false;
  bool no_lock = false;
};

int ExitCodeFor(const Status& st);
// Prints "custos: <message>" to stderr and returns the exit code for st.
int Fail(const Status& st);
// Fail for errors of OpenVault: a missing vault exits kExitNoVault.
int FailOpen(const Status& st);

// The secret from --key-file, --password-file, CUSTOS_PASSWORD, or a prompt
// on a terminal (in that order). `env_prefix` selects CUSTOS_ or CUSTOS_NEW_.
Result<Secret> ReadSecret(const std::string& key_file, const std::string& password_file,
                          const std::string& env_password_var, const std::string& prompt);
Result<Secret> ReadSecret(const GlobalOptions& g);

// The configuration file: --config, else DefaultConfigPath(). A missing file
// is an empty configuration unless --config named it explicitly.
Result<Config> LoadGlobalConfig(const GlobalOptions& g);

// -r/--repo or CUSTOS_REPO: an address, or "dest:NAME" for a destination of
// the configuration file.
Result<std::unique_ptr<Backend>> OpenRepoBackend(const GlobalOptions& g);
Result<std::unique_ptr<Vault>> OpenVault(const GlobalOptions& g);

// Lock helper honouring --no-lock.
Result<std::unique_ptr<VaultLock>> Lock(Vault& v, const GlobalOptions& g, bool exclusive);

bool StderrIsTerminal();
std::string HumanBytes(uint64_t n);
std::string ShortTime(int64_t unix_ns);  // "2026-11-26 05:25:31" (UTC)
nlohmann::json SnapshotJson(const Snapshot& s);
void PrintJson(const nlohmann::json& j);

// Each command file registers its subcommand; `exit_code` receives the
// command's result.
using Register = void (*)(CLI::App& app, GlobalOptions& g, int& exit_code);
void RegisterInit(CLI::App&, GlobalOptions&, int&);
void RegisterBackup(CLI::App&, GlobalOptions&, int&);
void RegisterSnapshots(CLI::App&, GlobalOptions&, int&);
void RegisterLs(CLI::App&, GlobalOptions&, int&);
void RegisterRestore(CLI::App&, GlobalOptions&, int&);
void RegisterCheck(CLI::App&, GlobalOptions&, int&);
void RegisterForget(CLI::App&, GlobalOptions&, int&);
void RegisterPrune(CLI::App&, GlobalOptions&, int&);
void RegisterKey(CLI::App&, GlobalOptions&, int&);
void RegisterStats(CLI::App&, GlobalOptions&, int&);
void RegisterDiff(CLI::App&, GlobalOptions&, int&);
void RegisterUnlock(CLI::App&, GlobalOptions&, int&);
void RegisterVersion(CLI::App&, GlobalOptions&, int&);
void RegisterDest(CLI::App&, GlobalOptions&, int&);
void RegisterRds(CLI::App&, GlobalOptions&, int&);
void RegisterAudit(CLI::App&, GlobalOptions&, int&);
void RegisterServe(CLI::App&, GlobalOptions&, int&);
void RegisterToken(CLI::App&, GlobalOptions&, int&);

}  // namespace custos::cli
