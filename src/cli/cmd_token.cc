// custos token create|list|revoke: API tokens of a data directory.
#include <cstdio>
#include <ctime>

#include "cli/common.h"
#include "records/sqlite_store.h"
#include "server/auth.h"

namespace custos::cli {
namespace {

struct TokenOptions {
  std::string data_dir;
  std::string role;
  std::string trainee;
  std::string assessor;
  std::string name;
  std::string id;
};

Result<std::unique_ptr<server::TokenStore>> OpenTokens(const std::string& data_dir) {
  if (data_dir.empty()) return Status::InvalidArgument("--data DIR is required");
  return server::TokenStore::Open(data_dir);
}

int RunCreate(const TokenOptions& o, const GlobalOptions& g) {
  auto role = server::ParseRole(o.role);
  if (!role) {
    return Fail(
        Status::InvalidArgument("--role must be admin, registrar, assessor, auditor or trainee"));
  }
  if (*role == server::Role::kTrainee && o.trainee.empty()) {
    return Fail(Status::InvalidArgument("--role trainee needs --trainee ID (a trainee record id)"));
  }
  if (*role == server::Role::kAssessor && o.assessor.empty()) {
    return Fail(Status::InvalidArgument("--role assessor needs --assessor NAME"));
  }
  auto tokens = OpenTokens(o.data_dir);
  if (!tokens.ok()) return Fail(tokens.status());
  if (*role == server::Role::kTrainee) {
    // A token bound to no trainee would open nothing. Read-only, so this
    // works while `custos serve` runs.
    auto exists = records::SqliteRecordExists(o.data_dir, "trainee", o.trainee);
    if (!exists.ok()) return Fail(exists.status());
    if (!*exists) {
      return Fail(Status::InvalidArgument("--trainee: no trainee with this id in " + o.data_dir));
    }
  }
  auto c = (*tokens)->Create({*role, o.trainee, o.assessor, o.name});
  if (!c.ok()) return Fail(c.status());
  if (g.json) {
    nlohmann::json j = c->info.ToJson();
    j["token"] = c->token;
    PrintJson(j);
  } else {
    std::printf("token id: %s\n", c->info.id.c_str());
    std::printf("token: %s\n", c->token.c_str());
    std::printf("(shown once: only its hash is stored)\n");
  }
  return kExitOk;
}

int RunList(const TokenOptions& o, const GlobalOptions& g) {
  auto tokens = OpenTokens(o.data_dir);
  if (!tokens.ok()) return Fail(tokens.status());
  auto list = (*tokens)->List();
  if (!list.ok()) return Fail(list.status());
  if (g.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : *list) arr.push_back(t.ToJson());
    PrintJson(arr);
    return kExitOk;
  }
  std::printf("%-22s %-10s %-8s %-20s %s\n", "ID", "ROLE", "STATE", "CREATED", "BINDING / NAME");
  for (const auto& t : *list) {
    std::string binding = !t.trainee.empty()    ? "trainee " + t.trainee
                          : !t.assessor.empty() ? "assessor " + t.assessor
                                                : "";
    if (!t.name.empty()) binding += (binding.empty() ? "" : " / ") + t.name;
    std::printf("%-22s %-10s %-8s %-20s %s\n", t.id.c_str(),
                std::string(server::RoleName(t.role)).c_str(), t.revoked ? "revoked" : "active",
                ShortTime(static_cast<int64_t>(t.created_at) * 1000000000).c_str(),
                binding.c_str());
  }
  return kExitOk;
}

int RunRevoke(const TokenOptions& o) {
  auto tokens = OpenTokens(o.data_dir);
  if (!tokens.ok()) return Fail(tokens.status());
  if (Status st = (*tokens)->Revoke(o.id); !st.ok()) return Fail(st);
  std::printf("revoked %s\n", o.id.c_str());
  return kExitOk;
}

}  // namespace

void RegisterToken(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto o = std::make_shared<TokenOptions>();
  CLI::App* cmd = app.add_subcommand("token", "manage API tokens of a data directory");
  cmd->require_subcommand(1);
  auto data = [&](CLI::App* sub) {
    sub->add_option("--data", o->data_dir, "data directory")->required()->envname("CUSTOS_DATA");
  };
  CLI::App* create = cmd->add_subcommand("create", "create a token and print it once");
  data(create);
  create->add_option("--role", o->role, "admin, registrar, assessor, auditor or trainee")
      ->required();
  create->add_option("--trainee", o->trainee, "trainee role: the trainee record id");
  create->add_option("--assessor", o->assessor,
                     "assessor role: the name used in assessments' assessor field");
  create->add_option("--name", o->name, "a label for the token");
  create->callback([o, &g, &exit_code] { exit_code = RunCreate(*o, g); });

  CLI::App* list = cmd->add_subcommand("list", "list tokens (never their secrets)");
  data(list);
  list->callback([o, &g, &exit_code] { exit_code = RunList(*o, g); });

  CLI::App* revoke = cmd->add_subcommand("revoke", "revoke a token by id");
  data(revoke);
  revoke->add_option("id", o->id, "token id (tok_...)")->required();
  revoke->callback([o, &exit_code] { exit_code = RunRevoke(*o); });
}

}  // namespace custos::cli
