#include "storage/providers/s3/testing/moto_env.h"

#include <signal.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>

namespace custos::s3::testing {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Owns the server it started: stops it (by its pid) when destroyed.
struct Started {
  MotoServer server;
  pid_t pid = 0;
  Started() = default;
  Started(Started&& o) noexcept : server(std::move(o.server)), pid(o.pid) { o.pid = 0; }
  Started& operator=(Started&&) = delete;
  ~Started() {
    if (pid > 0) kill(pid, SIGTERM);
  }
};

std::optional<Started> Start() {
  std::optional<Started> out;
  if (!Env("MOTO_ENDPOINT").empty()) {
    out.emplace();
    out->server = {Env("MOTO_ENDPOINT"), Env("AWS_ACCESS_KEY_ID"), Env("AWS_SECRET_ACCESS_KEY")};
    return out;
  }
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(CUSTOS_MOTO_SCRIPT, "r"), pclose);
  if (!p) {
    std::cerr << "cannot run " << CUSTOS_MOTO_SCRIPT << "\n";
    return out;
  }
  Started s;
  char line[512];
  while (std::fgets(line, sizeof line, p.get()) != nullptr) {
    std::string l(line);
    while (!l.empty() && std::isspace(static_cast<unsigned char>(l.back()))) l.pop_back();
    size_t eq = l.find('=');
    if (eq == std::string::npos) continue;
    std::string k = l.substr(0, eq), v = l.substr(eq + 1);
    if (k == "MOTO_ENDPOINT") s.server.endpoint = v;
    if (k == "MOTO_PID") s.pid = static_cast<pid_t>(std::atoi(v.c_str()));
    if (k == "AWS_ACCESS_KEY_ID") s.server.access_key_id = v;
    if (k == "AWS_SECRET_ACCESS_KEY") s.server.secret_access_key = v;
  }
  int rc = pclose(p.release());
  if (rc != 0 || s.server.endpoint.empty() || s.server.secret_access_key.empty()) {
    std::cerr << "moto.sh failed (exit " << rc << "): S3 tests against moto are skipped\n";
    if (s.pid > 0) kill(s.pid, SIGTERM);
    s.pid = 0;
    return out;
  }
  out.emplace(std::move(s));
  return out;
}

}  // namespace

const MotoServer* Moto() {
  static std::optional<Started> started = Start();
  return started ? &started->server : nullptr;
}

std::string BucketFor(const std::string& tag, const std::string& unique_prefix) {
  std::string b = "cf-" + tag + "-";
  for (char c : unique_prefix) {
    b += std::isalnum(static_cast<unsigned char>(c))
             ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
             : '-';
  }
  if (b.size() > 63) b = b.substr(0, 55) + b.substr(b.size() - 8);  // keep the random tail
  while (!b.empty() && !std::isalnum(static_cast<unsigned char>(b.back()))) b.pop_back();
  return b;
}

}  // namespace custos::s3::testing
