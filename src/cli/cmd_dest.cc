// custos dest: the named destinations of the configuration file.
//   dest list           names, redacted addresses and whether credentials
//                       come from a file
//   dest test NAME      writes, reads, lists and deletes a probe object and
//                       reports each step's latency and the capabilities found
#include <chrono>
#include <cstdio>

#include "base/random.h"
#include "cli/common.h"
#include "storage/registry.h"

namespace custos::cli {

namespace {

int RunDestList(const GlobalOptions& g) {
  auto cfg = LoadGlobalConfig(g);
  if (!cfg.ok()) return Fail(cfg.status());
  if (g.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : cfg->destinations) {
      out.push_back({{"name", d.name},
                     {"url", RedactUrl(d.url)},
                     {"credentials_file", !d.credentials_file.empty()},
                     {"password_file", !d.password_file.empty()}});
    }
    PrintJson(out);
    return kExitOk;
  }
  if (cfg->destinations.empty()) {
    std::printf("no destinations configured%s%s\n", cfg->source.empty() ? "" : " in ",
                cfg->source.c_str());
    return kExitOk;
  }
  std::printf("%-16s %s\n", "NAME", "ADDRESS");
  for (const auto& d : cfg->destinations) {
    std::printf("%-16s %s%s\n", d.name.c_str(), RedactUrl(d.url).c_str(),
                d.credentials_file.empty() ? "" : "  (credentials from file)");
  }
  return kExitOk;
}

struct Step {
  std::string name;
  double ms = 0;
  Status status;
};

int RunDestTest(const GlobalOptions& g, const std::string& name, uint64_t probe_size) {
  auto cfg = LoadGlobalConfig(g);
  if (!cfg.ok()) return Fail(cfg.status());
  auto dest = cfg->Destination(name);
  if (!dest.ok()) return Fail(dest.status());
  auto backend = OpenBackend(dest->EffectiveUrl());
  if (!backend.ok()) return Fail(backend.status());
  Backend& b = **backend;

  std::vector<Step> steps;
  auto timed = [&](const std::string& step, const std::function<Status()>& fn) {
    auto t0 = std::chrono::steady_clock::now();
    Status st = fn();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count();
    steps.push_back({step, ms, st});
    return st.ok();
  };
  Bytes probe(probe_size);
  RandomFill(probe);
  const std::string object = "custos-probe/" + RandomHex(16);
  bool ok = timed("create", [&] { return b.Create(); }) &&
            timed("write", [&] { return SaveBytes(b, object, probe); }) &&
            timed("stat", [&]() -> Status {
              ASSIGN_OR_RETURN(ObjectInfo info, b.Stat(object));
              if (info.size != probe.size()) {
                return Status::Corruption("the probe's size reads back as " +
                                          std::to_string(info.size));
              }
              return Status::OK();
            }) &&
            timed("read", [&]() -> Status {
              ASSIGN_OR_RETURN(Bytes back, LoadBytes(b, object));
              if (back != probe) return Status::Corruption("the probe reads back different bytes");
              return Status::OK();
            }) &&
            timed("list", [&]() -> Status {
              bool seen = false;
              RETURN_IF_ERROR(b.List("custos-probe/", [&](const ObjectInfo& o) {
                if (o.name == object) seen = true;
                return Status::OK();
              }));
              return seen ? Status::OK() : Status::Corruption("the probe is missing from a listing");
            }) &&
            timed("delete", [&] { return b.Remove(object); }) &&
            timed("gone", [&]() -> Status {
              auto st = b.Stat(object).status();
              if (st.IsNotFound()) return Status::OK();
              return st.ok() ? Status::Corruption("the probe is still there after delete") : st;
            });
  if (!ok) (void)b.Remove(object);  // best effort; the probe name holds nothing
  const BackendProperties& p = b.Properties();
  nlohmann::json caps = {{"atomic_replace", p.atomic_replace},
                         {"object_lock", p.object_lock},
                         {"versioning", p.versioning},
                         {"server_checksums", p.server_checksums},
                         {"id_addressed", p.id_addressed},
                         {"max_object_size", p.max_object_size},
                         {"connections", p.connections}};
  if (g.json) {
    nlohmann::json js = nlohmann::json::array();
    for (const auto& s : steps) {
      js.push_back({{"step", s.name},
                    {"ms", s.ms},
                    {"ok", s.status.ok()},
                    {"error", s.status.ok() ? "" : s.status.message()}});
    }
    PrintJson({{"destination", name},
               {"location", b.Location()},
               {"ok", ok},
               {"probe_bytes", probe_size},
               {"steps", js},
               {"capabilities", caps}});
  } else {
    std::printf("destination %s (%s)\n", name.c_str(), b.Location().c_str());
    for (const auto& s : steps) {
      std::printf("  %-7s %9.1f ms  %s\n", s.name.c_str(), s.ms,
                  s.status.ok() ? "ok" : s.status.message().c_str());
    }
    std::printf("capabilities:");
    for (const auto& [k, v] : caps.items()) {
      if (v.is_boolean()) {
        if (v.get<bool>()) std::printf(" %s", k.c_str());
      }
    }
    std::printf("\n");
  }
  if (!ok) {
    const Status& st = steps.back().status;
    std::fprintf(stderr, "custos: destination %s failed at %s: %s\n", name.c_str(),
                 steps.back().name.c_str(), st.message().c_str());
    return ExitCodeFor(st) == kExitOk ? kExitFailure : ExitCodeFor(st);
  }
  return kExitOk;
}

}  // namespace

void RegisterDest(CLI::App& app, GlobalOptions& g, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("dest", "named destinations of the configuration file");
  cmd->require_subcommand(1);
  CLI::App* list = cmd->add_subcommand("list", "list configured destinations");
  list->callback([&g, &exit_code] { exit_code = RunDestList(g); });
  auto name = std::make_shared<std::string>();
  auto size = std::make_shared<uint64_t>(256 * 1024);
  CLI::App* test = cmd->add_subcommand("test", "write, read, list and delete a probe object");
  test->add_option("name", *name, "destination name")->required();
  test->add_option("--probe-size", *size, "probe object size in bytes (default 256 KiB)");
  test->callback([&g, &exit_code, name, size] { exit_code = RunDestTest(g, *name, *size); });
}

}  // namespace custos::cli
