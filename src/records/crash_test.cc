// Crash safety: a child process writes in a loop and reports every
// acknowledged write on a pipe; the parent SIGKILLs it at a random moment,
// reopens the store and checks that every acknowledged write is there with
// its journal entry, and that the store agrees with its journal.
//
// The child is this test binary itself, re-executed with
// CUSTOS_RECORDS_CRASH_CHILD=<dir> (fork without exec would copy a
// multi-threaded process).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "base/fs.h"
#include "base/random.h"
#include "records/model/examples.h"
#include "records/model/schema.h"
#include "records/sqlite_store.h"

extern char** environ;

namespace custos::records {
namespace {

const Actor kActor{"crash-writer", "registrar"};

void Ack(int fd, const std::string& line) {
  std::string l = line + "\n";
  // Lines are shorter than PIPE_BUF, so each write is atomic.
  if (::write(fd, l.data(), l.size()) != static_cast<ssize_t>(l.size())) std::_Exit(3);
}

// Child: writes until killed.
TEST(RecordsCrashChild, WriteUntilKilled) {
  const char* dir = std::getenv("CUSTOS_RECORDS_CRASH_CHILD");
  const char* fd_env = std::getenv("CUSTOS_RECORDS_CRASH_FD");
  if (dir == nullptr || fd_env == nullptr) GTEST_SKIP() << "runs only as the crash test's child";
  const int fd = std::atoi(fd_env);
  auto opened = OpenSqliteStore(dir);
  if (!opened.ok()) std::_Exit(2);
  RecordsStore& store = **opened;
  // Unique fields numbered per thread and record: every create can land.
  auto employer = [](int t, uint64_t i) {
    return NumberedExampleRecord(*FindEntity("employer"),
                                 static_cast<uint32_t>(t * 10000000 + i + 1));
  };
  auto trainee = [](int t, uint64_t i) {
    nlohmann::json r =
        NumberedExampleRecord(*FindEntity("trainee"), static_cast<uint32_t>(t * 10000000 + i + 1));
    r.erase("employer_id");
    return r;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0;; ++i) {
        if (t < 5) {
          auto r = store.Create(kActor, "employer", employer(t, i));
          if (r.ok()) Ack(fd, "C employer " + r->id);
        } else if (t == 5) {
          // One trainee, updated over and over.
          auto r = store.Create(kActor, "trainee", trainee(t, i));
          if (!r.ok()) continue;
          Ack(fd, "C trainee " + r->id);
          uint64_t v = 1;
          for (int k = 0; k < 50; ++k) {
            auto u = store.Update(kActor, "trainee", r->id, v,
                                  {{"phone", "01632 96" + std::to_string(1000 + k)}},
                                  UpdateMode::kPatch);
            if (!u.ok()) break;
            v = u->version;
            Ack(fd, "U trainee " + r->id + " " + std::to_string(v));
          }
        } else if (t == 6) {
          auto r = store.Create(kActor, "trainee", trainee(t, i));
          if (!r.ok()) continue;
          Ack(fd, "C trainee " + r->id);
          if (store.DestroySubjectKey(kActor, r->id, "erasure request").ok()) {
            Ack(fd, "X trainee " + r->id);
          }
        } else {
          auto seq = store.LogAccess(kActor, "institution", "employer", "", "report");
          if (seq.ok()) Ack(fd, "A seq " + std::to_string(*seq));
        }
      }
    });
  }
  for (auto& th : threads) th.join();  // never: the parent kills us
}

struct Acks {
  std::map<std::string, std::string> created;  // id -> entity
  std::map<std::string, uint64_t> version;     // trainee id -> highest acked version
  std::set<std::string> erased;
  uint64_t max_access_seq = 0;
  size_t lines = 0;
};

void ParseAcks(const std::string& text, Acks& acks) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // a partial last line cannot happen (atomic writes), but be strict
    std::istringstream l(line);
    std::string kind, entity, id;
    l >> kind >> entity >> id;
    ++acks.lines;
    if (kind == "C") acks.created[id] = entity;
    if (kind == "U") {
      uint64_t v = 0;
      l >> v;
      acks.version[id] = std::max(acks.version[id], v);
    }
    if (kind == "X") acks.erased.insert(id);
    if (kind == "A") acks.max_access_seq = std::max<uint64_t>(acks.max_access_seq, std::stoull(id));
  }
}

// Runs the child for about `millis` ms, kills it, returns what it acknowledged.
std::string RunChildAndKill(const std::string& dir, int millis) {
  int p[2];
  EXPECT_EQ(::pipe(p), 0);
  std::string self = "/proc/self/exe";
  std::string env_dir = "CUSTOS_RECORDS_CRASH_CHILD=" + dir;
  std::string env_fd = "CUSTOS_RECORDS_CRASH_FD=" + std::to_string(p[1]);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
    envp.push_back(env_dir.data());
    envp.push_back(env_fd.data());
    envp.push_back(nullptr);
    char filter[] = "--gtest_filter=RecordsCrashChild.*";
    char* argv[] = {self.data(), filter, nullptr};
    ::execve(self.c_str(), argv, envp.data());
    std::_Exit(127);
  }
  ::close(p[1]);
  std::string out;
  char buf[65536];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(millis);
  bool killed = false;
  while (true) {
    int timeout = -1;
    if (!killed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) {
        ::kill(pid, SIGKILL);
        killed = true;
      } else {
        timeout = static_cast<int>(left);
      }
    }
    pollfd pfd{p[0], POLLIN, 0};
    int rc = ::poll(&pfd, 1, timeout);
    if (rc == 0) continue;
    ssize_t n = ::read(p[0], buf, sizeof(buf));
    if (n <= 0) break;  // EOF: the child is gone
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child ended on its own, status " << status;
  return out;
}

TEST(RecordsCrashTest, AcknowledgedWritesSurviveSigkill) {
  ScopedTempDir tmp("records-crash");
  const std::string& dir = tmp.path();
  Acks acks;
  for (int iteration = 0; iteration < 5; ++iteration) {
    SCOPED_TRACE("iteration " + std::to_string(iteration));
    const int millis = 150 + static_cast<int>(RandomU64() % 600);
    ParseAcks(RunChildAndKill(dir, millis), acks);
    auto opened = OpenSqliteStore(dir);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    RecordsStore& store = **opened;
    for (const auto& [id, entity] : acks.created) {
      auto r = store.Get(entity, id);
      if (acks.erased.count(id) != 0) {
        EXPECT_TRUE(r.status().IsNotFound()) << id;
        continue;
      }
      // An erasure may have committed without its ack reaching us.
      if (r.status().IsNotFound() && entity == "trainee") {
        auto h = store.History("subject", id, {});
        ASSERT_TRUE(h.ok());
        EXPECT_FALSE(h->empty()) << "trainee " << id << " lost without an erasure";
        continue;
      }
      ASSERT_TRUE(r.ok()) << entity << " " << id << ": " << r.status().ToString();
      auto h = store.History(entity, id, {});
      ASSERT_TRUE(h.ok());
      ASSERT_FALSE(h->empty());
      EXPECT_EQ(h->front().leaf.event, EventType::kCreate);
      EXPECT_EQ(h->back().leaf.record_version, r->version);
      auto v = acks.version.find(id);
      if (v != acks.version.end()) {
        EXPECT_GE(r->version, v->second) << id;
      }
    }
    for (const std::string& id : acks.erased) {
      auto h = store.SubjectHistory(id, {});
      ASSERT_TRUE(h.ok());
      ASSERT_FALSE(h->empty());
      EXPECT_EQ(h->back().leaf.event, EventType::kErase);
      for (const HistoryEntry& e : *h) EXPECT_FALSE(e.payload.has_value());
    }
    EXPECT_GE(store.LastSeq(), acks.max_access_seq);
    Status v = VerifyStoreAgainstJournal(store);
    EXPECT_TRUE(v.ok()) << v.ToString();
  }
  std::printf("[ INFO     ] %zu acknowledged writes checked across 5 kills\n", acks.lines);
  EXPECT_GT(acks.lines, 50u);
}

}  // namespace
}  // namespace custos::records
