// custos key add|list|remove|passwd: manages the keys that open a vault.
#include <cstdio>

#include "cli/common.h"

namespace custos::cli {

namespace {
struct KeyArgs {
  std::string new_password_file;
  std::string new_key_file;
  std::string id;
  uint64_t kdf_memory = KdfParams{}.memory;
  uint64_t kdf_iterations = KdfParams{}.iterations;
};

Result<Secret> NewSecret(const KeyArgs& a) {
  return ReadSecret(a.new_key_file, a.new_password_file, "CUSTOS_NEW_PASSWORD",
                    "enter new password: ");
}

int RunKeyList(const GlobalOptions& g) {
  auto vault = OpenVault(g);
  if (!vault.ok()) return FailOpen(vault.status());
  Vault& v = **vault;
  auto names = v.ListNames("keys/");
  if (!names.ok()) return Fail(names.status());
  nlohmann::json arr = nlohmann::json::array();
  if (!g.json)
    std::printf(" %-12s %-11s %-20s %-16s %s\n", "ID", "Kind", "Created", "Host", "User");
  for (const auto& n : *names) {
    auto bytes = LoadBytes(v.backend(), n);
    if (!bytes.ok()) return Fail(bytes.status().WithContext(n));
    auto info = ParseKeyInfo(*bytes);
    bool current = n == v.key_name();
    std::string id = BaseName(n);
    if (!info.ok()) {
      if (!g.json)
        std::printf("%c%-12s (damaged: %s)\n", current ? '*' : ' ', id.substr(0, 12).c_str(),
                    info.status().message().c_str());
      continue;
    }
    if (g.json) {
      arr.push_back({{"id", id},
                     {"current", current},
                     {"kind", info->kind},
                     {"created", info->created},
                     {"hostname", info->hostname},
                     {"username", info->username},
                     {"kdf",
                      {{"algorithm", "argon2id"},
                       {"iterations", info->kdf.iterations},
                       {"memory", info->kdf.memory}}}});
    } else {
      std::printf("%c%-12s %-11s %-20s %-16s %s\n", current ? '*' : ' ', id.substr(0, 12).c_str(),
                  info->kind.c_str(), info->created.substr(0, 19).c_str(), info->hostname.c_str(),
                  info->username.c_str());
    }
  }
  if (g.json) PrintJson(arr);
  return kExitOk;
}

int RunKeyAdd(const GlobalOptions& g, const KeyArgs& a, bool replace_current) {
  auto vault = OpenVault(g);
  if (!vault.ok()) return FailOpen(vault.status());
  Vault& v = **vault;
  auto lock = Lock(v, g, replace_current);
  if (!lock.ok()) return Fail(lock.status());
  auto secret = NewSecret(a);
  if (!secret.ok()) return Fail(secret.status());
  auto name = v.AddKey(*secret, KdfParams{a.kdf_iterations, a.kdf_memory});
  SecureWipe(secret->value.data(), secret->value.size());
  if (!name.ok()) return Fail(name.status());
  if (replace_current) {
    Status st = v.backend().Remove(v.key_name());
    if (!st.ok()) return Fail(st.WithContext("removing the old key"));
  }
  if (g.json)
    PrintJson(
        {{"id", BaseName(*name)}, {"replaced", replace_current ? BaseName(v.key_name()) : ""}});
  else
    std::printf(replace_current ? "password changed: key %s replaces %s\n" : "added key %s\n",
                BaseName(*name).substr(0, 12).c_str(),
                BaseName(v.key_name()).substr(0, 12).c_str());
  return kExitOk;
}

int RunKeyRemove(const GlobalOptions& g, const KeyArgs& a) {
  auto vault = OpenVault(g);
  if (!vault.ok()) return FailOpen(vault.status());
  Vault& v = **vault;
  auto lock = Lock(v, g, true);
  if (!lock.ok()) return Fail(lock.status());
  auto names = v.ListNames("keys/");
  if (!names.ok()) return Fail(names.status());
  std::vector<std::string> match;
  for (const auto& n : *names)
    if (!a.id.empty() && BaseName(n).rfind(a.id, 0) == 0) match.push_back(n);
  if (match.empty()) return Fail(Status::NotFound("no key " + a.id));
  if (match.size() > 1) return Fail(Status::InvalidArgument("key id " + a.id + " is ambiguous"));
  if (names->size() == 1) {
    return Fail(Status::InvalidArgument(
        "refusing to remove the last key: the vault could never be opened again"));
  }
  if (match[0] == v.key_name()) {
    return Fail(Status::InvalidArgument(
        "refusing to remove the key in use; open the vault with another key, or use 'key passwd'"));
  }
  Status st = v.backend().Remove(match[0]);
  if (!st.ok()) return Fail(st);
  if (!g.json)
    std::printf("removed key %s\n", BaseName(match[0]).substr(0, 12).c_str());
  else
    PrintJson({{"removed", BaseName(match[0])}});
  return kExitOk;
}
}  // namespace

void RegisterKey(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto a = std::make_shared<KeyArgs>();
  CLI::App* cmd = app.add_subcommand("key", "manage the keys that open the vault");
  cmd->require_subcommand(1);
  auto add_new = [&](CLI::App* sub) {
    sub->add_option("--new-password-file", a->new_password_file,
                    "new password from a file (or CUSTOS_NEW_PASSWORD)");
    sub->add_option("--new-key-file", a->new_key_file,
                    "use a key file (>= 32 random bytes) as the new key");
    sub->add_option("--kdf-memory", a->kdf_memory, "Argon2id memory in bytes (default 64 MiB)");
    sub->add_option("--kdf-iterations", a->kdf_iterations, "Argon2id iterations (default 3)");
  };
  CLI::App* add = cmd->add_subcommand("add", "add a key (a new password or key file)");
  add_new(add);
  add->callback([&g, &exit_code, a] { exit_code = RunKeyAdd(g, *a, false); });
  CLI::App* passwd = cmd->add_subcommand("passwd", "change the password of the key in use");
  add_new(passwd);
  passwd->callback([&g, &exit_code, a] { exit_code = RunKeyAdd(g, *a, true); });
  CLI::App* list = cmd->add_subcommand("list", "list keys (* marks the key in use)");
  list->callback([&g, &exit_code] { exit_code = RunKeyList(g); });
  CLI::App* remove = cmd->add_subcommand("remove", "remove a key");
  remove->add_option("id", a->id, "key id (or unique prefix)")->required();
  remove->callback([&g, &exit_code, a] { exit_code = RunKeyRemove(g, *a); });
}

}  // namespace custos::cli
