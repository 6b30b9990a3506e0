// ScriptServer: runs a local test server script and learns its port.
//
// Contract
// - Start() spawns `python3 <script> <args...>` (python3 found on PATH) with
//   stdout on a pipe and waits up to `ready_timeout` for its first line,
//   which must read "PORT <n>". The script must bind 127.0.0.1 itself.
// - The destructor sends SIGTERM, waits for the process, and escalates to
//   SIGKILL if it has not exited within two seconds.
// - Not thread-safe; one owner. Paths relative to the source tree can be
//   built with SourcePath().
// Errors: IOError when the process cannot be spawned, exits early or prints
// something other than "PORT <n>"; Retryable when it is not ready in time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace custos::http::testing {

// CUSTOS_SOURCE_DIR + "/" + relative.
std::string SourcePath(const std::string& relative);

class ScriptServer {
 public:
  static Result<std::unique_ptr<ScriptServer>> Start(
      const std::string& script, const std::vector<std::string>& args = {},
      std::chrono::milliseconds ready_timeout = std::chrono::seconds(15));
  ~ScriptServer();
  ScriptServer(const ScriptServer&) = delete;
  ScriptServer& operator=(const ScriptServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>" + path_and_query.
  std::string Url(const std::string& path_and_query) const;

 private:
  ScriptServer(pid_t pid, int out_fd, int port) : pid_(pid), out_fd_(out_fd), port_(port) {}
  pid_t pid_;
  int out_fd_;
  int port_;
};

}  // namespace custos::http::testing
