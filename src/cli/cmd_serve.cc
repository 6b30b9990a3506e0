// custos serve: the JSON HTTP API over the records store and the audit log.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <thread>

#include "base/log.h"
#include "cli/common.h"
#include "server/server.h"

namespace custos::cli {
namespace {

struct ServeOptions {
  server::ServerOptions server;
  std::string log_level = "info";
  int checkpoint_interval_ms = 1000;
  int timeout_s = 30;
};

int RunServe(ServeOptions& o) {
  auto level = ParseLogLevel(o.log_level);
  if (!level.ok()) return Fail(level.status());
  DefaultLogger().SetLevel(*level);
  if (o.checkpoint_interval_ms < 10) {
    return Fail(Status::InvalidArgument("--checkpoint-interval-ms must be at least 10"));
  }
  o.server.checkpoint_interval = std::chrono::milliseconds(o.checkpoint_interval_ms);
  o.server.timeout = std::chrono::seconds(o.timeout_s);

  // SIGINT/SIGTERM are taken by one waiting thread; block them before any
  // other thread starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto srv = server::ApiServer::Open(o.server);
  if (!srv.ok()) return Fail(srv.status());
  if (const auto& token = (*srv)->first_admin_token()) {
    // Shown once, on stdout only; the logs never see it.
    std::printf("admin token: %s\n", token->c_str());
    std::printf("(store it now: it is kept only as a hash and cannot be shown again)\n");
  }
  std::printf("listening on %s\n", (*srv)->url().c_str());
  std::fflush(stdout);
  LogInfo("serving", {{"url", (*srv)->url()}});

  server::ApiServer* s = srv->get();
  std::thread waiter([s, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    s->Stop();
  });
  Status st = s->Run();
  // Wake the waiter if the listener ended on its own.
  ::kill(::getpid(), SIGTERM);
  waiter.join();
  srv->reset();
  LogInfo("stopped");
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

}  // namespace

void RegisterServe(CLI::App& app, GlobalOptions&, int& exit_code) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "serve the records API over HTTP(S)");
  cmd->add_option("--data", o->server.data_dir, "data directory (created 0700 on first start)")
      ->required()
      ->envname("CUSTOS_DATA");
  cmd->add_option("--listen", o->server.listen, "HOST:PORT to listen on")->capture_default_str();
  cmd->add_option("--tls-cert", o->server.tls_cert, "TLS certificate chain (PEM)");
  cmd->add_option("--tls-key", o->server.tls_key, "TLS private key (PEM)");
  cmd->add_flag("--demo", o->server.demo, "load demo records on first start");
  cmd->add_option("--threads", o->server.threads,
                  "handler threads for reads, updates and imports (creates need none)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--max-connections", o->server.max_connections,
                  "connections open at once; further ones wait in the listen queue until one "
                  "closes")
      ->capture_default_str()
      ->check(CLI::Range(4, 100000));
  cmd->add_option("--timeout", o->timeout_s,
                  "seconds a connection may receive and send nothing (idle keep-alive, a "
                  "stalled request or a client not reading) before it is closed")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--log-level", o->log_level, "debug, info, warn or error")->capture_default_str();
  cmd->add_option("--origin", o->server.origin, "audit log origin name in checkpoints");
  cmd->add_option("--checkpoint-interval-ms", o->checkpoint_interval_ms,
                  "sign a checkpoint at least this often while the log grows")
      ->capture_default_str();
  cmd->callback([o, &exit_code] { exit_code = RunServe(*o); });
}

}  // namespace custos::cli
