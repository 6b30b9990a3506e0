// custos rds: Amazon RDS snapshots as a backup action (ARCHITECTURE §3.4).
//   rds snapshot --instance ID [--wait]   CreateDBSnapshot, optionally followed
//                                         to `available`; recorded in the
//                                         vault's catalogue
//   rds list [--remote]                   snapshots the vault has recorded (or,
//                                         with --remote, what RDS reports)
// Region, endpoint, default instance and a credentials file come from the
// [rds] table of the configuration file; flags override them. Credentials:
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the
// credentials file.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include "base/random.h"
#include "cli/common.h"
#include "rds/rds_client.h"
#include "storage/providers/s3/s3_config.h"
#include "vault/catalogue.h"

namespace custos::cli {

namespace {

struct RdsFlags {
  std::string instance, snapshot_id, region, endpoint;
  bool wait = false, remote = false, no_record = false;
  int timeout_s = 3600, interval_s = 30, attempts = 5;
};

Result<rds::RdsOptions> Options(const GlobalOptions& g, const RdsFlags& f, const RdsConfig& c) {
  rds::RdsOptions o;
  o.region = !f.region.empty() ? f.region : !c.region.empty() ? c.region : "";
  if (o.region.empty()) {
    const char* env = std::getenv("AWS_REGION");
    if (!env || !*env) env = std::getenv("AWS_DEFAULT_REGION");
    o.region = env && *env ? env : "us-east-1";
  }
  o.endpoint = !f.endpoint.empty() ? f.endpoint : c.endpoint;
  s3::S3Config sc;
  sc.credentials_file = c.credentials_file;
  ASSIGN_OR_RETURN(s3::S3Credentials creds, s3::LoadS3Credentials(sc));
  o.credentials.access_key_id = creds.access_key_id;
  o.credentials.secret_access_key = creds.secret_access_key;
  o.credentials.session_token = creds.session_token;
  (void)g;
  return o;
}

// Calls fn until it succeeds or fails permanently; throttling and transient
// failures are retried with exponential backoff and the server's Retry-After.
template <typename T>
Result<T> WithRetry(int attempts, const std::function<Result<T>()>& fn) {
  std::chrono::milliseconds delay{1000};
  for (int i = 1;; i++) {
    Result<T> r = fn();
    if (r.ok() || !r.status().IsRetryable() || i >= attempts) return r;
    auto wait = std::max(delay, r.status().retry_after().value_or(delay));
    std::fprintf(stderr, "custos: %s; retrying in %lld ms\n", r.status().message().c_str(),
                 static_cast<long long>(wait.count()));
    std::this_thread::sleep_for(wait);
    delay = std::min(delay * 2, std::chrono::milliseconds(30'000));
  }
}

std::string DefaultSnapshotId(const std::string& instance) {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::gmtime(&t));
  // Identifiers: letters, digits and hyphens, starting with a letter.
  return instance + "-custos-" + buf;
}

nlohmann::json SnapshotJson(const rds::DbSnapshot& s) {
  return {{"snapshot_id", s.id},   {"instance", s.instance}, {"status", s.status},
          {"created", s.create_time}, {"engine", s.engine}, {"arn", s.arn}};
}

int RunSnapshot(const GlobalOptions& g, const RdsFlags& f) {
  auto cfg = LoadGlobalConfig(g);
  if (!cfg.ok()) return Fail(cfg.status());
  std::string instance = f.instance.empty() ? cfg->rds.instance : f.instance;
  if (instance.empty()) {
    return Fail(Status::InvalidArgument("no instance given: use --instance or [rds] instance"));
  }
  auto opts = Options(g, f, cfg->rds);
  if (!opts.ok()) return Fail(opts.status());
  // Open the vault first: a snapshot that cannot be recorded is not taken.
  std::unique_ptr<Vault> vault;
  if (!f.no_record) {
    auto v = OpenVault(g);
    if (!v.ok()) return FailOpen(v.status());
    vault = std::move(*v);
  }
  http::Client client;
  rds::RdsClient rds(*opts, client);
  std::string id = f.snapshot_id.empty() ? DefaultSnapshotId(instance) : f.snapshot_id;
  auto snap = WithRetry<rds::DbSnapshot>(f.attempts, [&] { return rds.CreateSnapshot(instance, id); });
  if (!snap.ok()) {
    Status st = snap.status();
    if (st.code() == Code::kAlreadyExists) {
      st = Status::AlreadyExists("an RDS snapshot named " + id +
                                 " already exists; choose another --snapshot-id");
    }
    return Fail(st);
  }
  if (!g.quiet) {
    std::fprintf(stderr, "snapshot %s of %s: %s\n", snap->id.c_str(), instance.c_str(),
                 snap->status.c_str());
  }
  rds::DbSnapshot final = *snap;
  Status wait_status;
  if (f.wait) {
    auto done = rds.WaitAvailable(
        id, std::chrono::seconds(f.timeout_s), std::chrono::seconds(f.interval_s),
        [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); },
        [&](const rds::DbSnapshot& s) {
          if (!g.quiet) {
            std::fprintf(stderr, "  %s %d%%\n", s.status.c_str(), s.percent_progress);
          }
        });
    if (done.ok()) {
      final = *done;
    } else {
      wait_status = done.status();
    }
  }
  if (vault) {
    nlohmann::json data = SnapshotJson(final);
    data["region"] = opts->region;
    data["waited"] = f.wait;
    auto name = AddCatalogueEntry(*vault, "rds-snapshot", data);
    if (!name.ok()) return Fail(name.status().WithContext("recording the snapshot in the vault"));
  }
  if (g.json) {
    PrintJson(SnapshotJson(final));
  } else {
    std::printf("%s %s %s\n", final.id.c_str(), final.instance.c_str(), final.status.c_str());
  }
  return wait_status.ok() ? kExitOk : Fail(wait_status);
}

int RunList(const GlobalOptions& g, const RdsFlags& f) {
  nlohmann::json out = nlohmann::json::array();
  if (f.remote) {
    auto cfg = LoadGlobalConfig(g);
    if (!cfg.ok()) return Fail(cfg.status());
    auto opts = Options(g, f, cfg->rds);
    if (!opts.ok()) return Fail(opts.status());
    http::Client client;
    rds::RdsClient rds(*opts, client);
    std::string instance = f.instance.empty() ? cfg->rds.instance : f.instance;
    auto list = WithRetry<std::vector<rds::DbSnapshot>>(
        f.attempts, [&] { return rds.ListSnapshots(instance); });
    if (!list.ok()) return Fail(list.status());
    for (const auto& s : *list) out.push_back(SnapshotJson(s));
  } else {
    auto vault = OpenVault(g);
    if (!vault.ok()) return FailOpen(vault.status());
    std::vector<std::string> damaged;
    auto entries = ListCatalogue(**vault, "rds-snapshot", &damaged);
    if (!entries.ok()) return Fail(entries.status());
    for (const auto& d : damaged) {
      std::fprintf(stderr, "warning: skipping damaged catalogue entry %s\n", d.c_str());
    }
    for (const auto& e : *entries) {
      nlohmann::json j = e.data;
      j["recorded"] = ShortTime(e.time_ns);
      if (f.instance.empty() || j.value("instance", "") == f.instance) out.push_back(j);
    }
  }
  if (g.json) {
    PrintJson(out);
    return kExitOk;
  }
  std::printf("%-40s %-20s %-10s %s\n", "SNAPSHOT", "INSTANCE", "STATUS",
              f.remote ? "CREATED" : "RECORDED");
  for (const auto& j : out) {
    std::printf("%-40s %-20s %-10s %s\n", j.value("snapshot_id", "").c_str(),
                j.value("instance", "").c_str(), j.value("status", "").c_str(),
                j.value(f.remote ? "created" : "recorded", "").c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterRds(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto f = std::make_shared<RdsFlags>();
  CLI::App* cmd = app.add_subcommand("rds", "Amazon RDS snapshots as a backup action");
  cmd->require_subcommand(1);
  cmd->add_option("--region", f->region, "AWS region (default: [rds] region, AWS_REGION)");
  cmd->add_option("--endpoint", f->endpoint, "RDS endpoint URL (default: the region's)");
  cmd->add_option("--attempts", f->attempts, "tries for throttled or failed calls (default 5)");
  CLI::App* snap = cmd->add_subcommand("snapshot", "take a DB snapshot and record it in the vault");
  snap->add_option("--instance", f->instance, "DB instance identifier (default: [rds] instance)");
  snap->add_option("--snapshot-id", f->snapshot_id,
                   "snapshot identifier (default: <instance>-custos-<UTC time>)");
  snap->add_flag("--wait", f->wait, "wait until the snapshot is available");
  snap->add_option("--timeout", f->timeout_s, "seconds to wait (default 3600)");
  snap->add_option("--interval", f->interval_s, "seconds between polls (default 30)");
  snap->add_flag("--no-record", f->no_record, "do not record the snapshot in a vault");
  snap->callback([&g, &exit_code, f] { exit_code = RunSnapshot(g, *f); });
  CLI::App* list = cmd->add_subcommand("list", "snapshots recorded in the vault");
  list->add_option("--instance", f->instance, "only this instance");
  list->add_flag("--remote", f->remote, "ask RDS instead of the vault");
  list->callback([&g, &exit_code, f] { exit_code = RunList(g, *f); });
}

}  // namespace custos::cli
