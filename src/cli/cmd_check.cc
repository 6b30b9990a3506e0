// custos check: verifies the vault's structure and optionally its data.
#include <cstdio>

#include "cli/common.h"
#include "vault/checker.h"

namespace custos::cli {

namespace {
struct CheckArgs {
  bool read_data = false;
  std::string subset;
  int threads = 2;
};

int RunCheck(const GlobalOptions& g, const CheckArgs& a) {
  CheckOptions opts;
  opts.read_data = a.read_data || !a.subset.empty();
  opts.workers = a.threads;
  if (!a.subset.empty()) {
    std::string s = a.subset;
    if (s.back() == '%') s.pop_back();
    char* end = nullptr;
    double pct = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !(pct > 0 && pct <= 100)) {
      return Fail(
          Status::InvalidArgument("--read-data-subset takes a percentage in (0, 100], e.g. 10%"));
    }
    opts.read_fraction = pct / 100;
  }
  auto vault = OpenVault(g);
  if (!vault.ok()) {
    // A vault that cannot be opened because an object is damaged is a problem
    // found, not a usage error.
    if (vault.status().IsCorruption()) {
      std::fprintf(stderr, "error: %s\ncheck found problems\n", vault.status().message().c_str());
      if (g.json) {
        PrintJson({{"errors", {vault.status().message()}}, {"error_count", 1}, {"opened", false}});
      }
      return kExitProblems;
    }
    if (vault.status().IsNotFound()) {
      Fail(vault.status());
      return kExitNoVault;
    }
    return Fail(vault.status());
  }
  Vault& v = **vault;
  auto lock = Lock(v, g, false);
  if (!lock.ok()) return Fail(lock.status());
  std::vector<std::string> errors;
  opts.on_error = [&](const std::string& m) {
    errors.push_back(m);
    if (!g.json) std::fprintf(stderr, "error: %s\n", m.c_str());
  };
  opts.on_info = [&](const std::string& m) {
    if (!g.json && !g.quiet) std::fprintf(stdout, "%s\n", m.c_str());
  };
  auto r = custos::RunCheck(v, opts);
  if (!r.ok()) return Fail(r.status());
  if (g.json) {
    PrintJson({{"errors", errors},
               {"error_count", r->errors},
               {"unreferenced_packs", r->unreferenced_packs},
               {"packs_read", r->packs_read},
               {"snapshots", r->snapshots}});
  } else {
    std::printf("%llu snapshots, %llu packs read, %llu unreferenced packs\n",
                (unsigned long long)r->snapshots, (unsigned long long)r->packs_read,
                (unsigned long long)r->unreferenced_packs);
    std::printf(r->errors ? "check found problems\n" : "no errors were found\n");
  }
  return r->errors ? kExitProblems : kExitOk;
}
}  // namespace

void RegisterCheck(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto a = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand("check", "verify the vault");
  cmd->add_flag("--read-data", a->read_data, "also read and verify every pack");
  cmd->add_option("--read-data-subset", a->subset, "read and verify a random N% of the packs");
  cmd->add_option("--threads", a->threads, "worker threads (default 2)")->check(CLI::Range(1, 64));
  cmd->callback([&g, &exit_code, a] { exit_code = RunCheck(g, *a); });
}

}  // namespace custos::cli
