// audit_bench: how fast `custos audit verify` checks a large journal.
//
//   audit_bench --dir /tmp/custos-bench --entries 1000000 [--writers 16] [--runs 3]
//               [--trainees N]
//   audit_bench --dir /tmp/custos-bench --verify-only [--runs 3] [--cold]
//
// Fills a fresh data directory through the records store (an employer, a
// programme, --trainees trainees (default 1) each with an enrollment, then
// attendance records spread over the enrollments in turn, written by
// --writers threads, so group commit is exercised), lets the audit log sign
// checkpoints along the way, then reopens it and runs the same verification
// as `custos audit verify` (every leaf, payload, commitment, row, the tree,
// every checkpoint and their consistency). Prints one JSON line with the
// fill rate and the verify rate (the median of --runs verifications, with
// the process CPU time of that run, since a shared machine makes wall time
// noisy) and the process's peak resident memory. With --verify-only it
// verifies an existing directory (the peak is then the store's opening and
// the verifications). With --cold, the directory's database files are
// dropped from the page cache before each verification (POSIX_FADV_DONTNEED,
// after an fdatasync: clean pages only), as after a reboot or a long idle
// spell, so that the run reads them from the disk.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "audit/verify.h"
#include "records/model/examples.h"
#include "records/model/schema.h"
#include "records/sqlite_store.h"

using namespace custos;

namespace {

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// User + system CPU time of the whole process so far.
double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

// The process's peak resident memory so far, MiB.
double PeakRssMib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024;  // KiB on Linux
}

int Die(const Status& st) {
  std::fprintf(stderr, "audit_bench: %s\n", st.ToString().c_str());
  return 1;
}

// Drops DIR's database files from the page cache (see --cold).
Status DropFromPageCache(const std::string& dir) {
  for (const char* name : {"records.db", "records.db-wal"}) {
    const std::string path = dir + "/" + name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // no WAL: nothing to drop
    int rc = ::fdatasync(fd);
    if (rc == 0) rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
    if (rc != 0) return Status::IOError("drop " + path + " from the page cache failed");
  }
  return Status::OK();
}

nlohmann::json Example(const char* entity) {
  return records::ExampleRecord(*records::FindEntity(entity));
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp/custos-audit-bench";
  uint64_t entries = 1000000;
  int writers = 16;
  uint32_t trainees = 1;
  int runs = 1;
  bool verify_only = false;
  bool cold = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--entries" && i + 1 < argc)
      entries = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--writers" && i + 1 < argc)
      writers = std::atoi(argv[++i]);
    else if (a == "--trainees" && i + 1 < argc)
      trainees = static_cast<uint32_t>(std::max(1, std::atoi(argv[++i])));
    else if (a == "--runs" && i + 1 < argc)
      runs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--verify-only")
      verify_only = true;
    else if (a == "--cold")
      cold = true;
    else {
      std::fprintf(stderr, "audit_bench: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  double fill_s = 0;
  if (!verify_only) {
    std::filesystem::remove_all(dir);
    auto store = records::OpenSqliteStore(dir);
    if (!store.ok()) return Die(store.status());
    audit::AuditLogOptions o;
    o.data_dir = dir;
    auto log = audit::AuditLog::Open(**store, o);
    if (!log.ok()) return Die(log.status());
    records::Actor actor{"bench", "registrar"};
    auto emp = (*store)->Create(actor, "employer", Example("employer"));
    if (!emp.ok()) return Die(emp.status());
    auto prg = (*store)->Create(actor, "programme", Example("programme"));
    if (!prg.ok()) return Die(prg.status());
    std::vector<std::string> enrollments;
    for (uint32_t n = 1; n <= trainees; n++) {
      auto trainee = records::NumberedExampleRecord(*records::FindEntity("trainee"), n);
      trainee["employer_id"] = emp->id;
      auto trn = (*store)->Create(actor, "trainee", trainee);
      if (!trn.ok()) return Die(trn.status());
      auto enrollment = Example("enrollment");
      enrollment["trainee_id"] = trn->id;
      enrollment["programme_id"] = prg->id;
      enrollment["employer_id"] = emp->id;
      auto enr = (*store)->Create(actor, "enrollment", enrollment);
      if (!enr.ok()) return Die(enr.status());
      enrollments.push_back(enr->id);
    }
    const nlohmann::json attendance = Example("attendance");
    std::atomic<uint64_t> next{2 + 2 * uint64_t{trainees}};
    std::atomic<bool> failed{false};
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; w++) {
      threads.emplace_back([&] {
        nlohmann::json body = attendance;
        while (!failed) {
          const uint64_t k = next.fetch_add(1);
          if (k >= entries) break;
          body["minutes"] = static_cast<int>(k % 600);
          body["enrollment_id"] = enrollments[k % enrollments.size()];
          auto r = (*store)->Create(actor, "attendance", body);
          if (!r.ok()) {
            std::fprintf(stderr, "audit_bench: %s\n", r.status().ToString().c_str());
            failed = true;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    fill_s = Since(t0);
    if (failed) return 1;
    auto cp = (*log)->CheckpointNow();
    if (!cp.ok()) return Die(cp.status());
  }
  auto store = records::OpenSqliteStore(dir);
  if (!store.ok()) return Die(store.status());
  struct Run {
    double seconds, cpu_seconds;
  };
  std::vector<Run> timings;
  audit::VerifyReport last;
  for (int r = 0; r < runs; r++) {
    if (cold) {
      if (Status st = DropFromPageCache(dir); !st.ok()) return Die(st);
    }
    const double cpu0 = CpuSeconds();
    auto t1 = std::chrono::steady_clock::now();
    auto report = audit::VerifyDataDir(**store, dir, "");
    timings.push_back({Since(t1), CpuSeconds() - cpu0});
    if (!report.ok()) return Die(report.status());
    for (const auto& p : report->problems) {
      std::fprintf(stderr, "audit_bench: problem: %s: %s\n", p.kind.c_str(), p.message.c_str());
    }
    if (runs > 1) {
      std::fprintf(stderr, "audit_bench: verify run %d: %.2f s, %.2f s CPU\n", r + 1,
                   timings.back().seconds, timings.back().cpu_seconds);
    }
    last = std::move(report).value();
  }
  std::sort(timings.begin(), timings.end(),
            [](const Run& a, const Run& b) { return a.seconds < b.seconds; });
  const Run median = timings[timings.size() / 2];
  std::printf(
      "{\"entries\":%llu,\"checkpoints\":%llu,\"fill_seconds\":%.2f,\"fill_entries_per_s\":%.0f,"
      "\"verify_runs\":%d,\"verify_seconds\":%.2f,\"verify_cpu_seconds\":%.2f,"
      "\"verify_entries_per_s\":%.0f,\"peak_rss_mib\":%.1f,\"cold\":%s,\"ok\":%s}\n",
      static_cast<unsigned long long>(last.entries),
      static_cast<unsigned long long>(last.checkpoints), fill_s,
      fill_s > 0 ? static_cast<double>(last.entries) / fill_s : 0.0, runs, median.seconds,
      median.cpu_seconds, static_cast<double>(last.entries) / median.seconds, PeakRssMib(),
      cold ? "true" : "false", last.ok() ? "true" : "false");
  return last.ok() ? 0 : 1;
}
