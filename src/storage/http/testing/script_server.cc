#include "storage/http/testing/script_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <thread>

extern char** environ;

namespace custos::http::testing {
namespace {

void StopProcess(pid_t pid) {
  kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace

std::string SourcePath(const std::string& relative) {
  return std::string(CUSTOS_SOURCE_DIR) + "/" + relative;
}

Result<std::unique_ptr<ScriptServer>> ScriptServer::Start(const std::string& script,
                                                          const std::vector<std::string>& args,
                                                          std::chrono::milliseconds ready_timeout) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::FromErrno(errno, "pipe for " + script);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);

  std::vector<std::string> argv_s = {"python3", "-u", script};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "python3", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return Status::FromErrno(rc, "spawn python3 " + script);
  }

  // Read the first line: "PORT <n>".
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      StopProcess(pid);
      close(fds[0]);
      return Status::Retryable(script + ": not ready in time");
    }
    pollfd p{fds[0], POLLIN, 0};
    int pr = poll(&p, 1, static_cast<int>(left.count()));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    char buf[256];
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      StopProcess(pid);
      close(fds[0]);
      return Status::IOError(script + ": exited before printing its port");
    }
    line.append(buf, static_cast<size_t>(n));
  }
  line.resize(line.find('\n'));
  int port = 0;
  if (line.rfind("PORT ", 0) != 0 ||
      std::from_chars(line.data() + 5, line.data() + line.size(), port).ec != std::errc() ||
      port <= 0 || port > 65535) {
    StopProcess(pid);
    close(fds[0]);
    return Status::IOError(script + ": first line is not \"PORT <n>\"");
  }
  return std::unique_ptr<ScriptServer>(new ScriptServer(pid, fds[0], port));
}

ScriptServer::~ScriptServer() {
  StopProcess(pid_);
  close(out_fd_);
}

std::string ScriptServer::Url(const std::string& path_and_query) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path_and_query;
}

}  // namespace custos::http::testing
