#include "records/sqlite_checkpointer.h"

#include "base/thread_name.h"

namespace custos::records {

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(const std::string& db_path,
                                                          int wal_pages) {
  ConnectionOptions o;
  o.synchronous_full = true;
  // A TRUNCATE checkpoint holds new writers back while it waits for
  // readers: wait briefly, give up, and try again later.
  o.busy_timeout_ms = 100;
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(db_path, o));
  std::unique_ptr<Checkpointer> c(new Checkpointer(std::move(conn), wal_pages));
  c->thread_ = std::thread([p = c.get()] {
    SetThreadName("custos-ckpt");
    p->Run();
  });
  return c;
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::Attach(Connection& writer) {
  sqlite3_wal_hook(writer.handle(), &Checkpointer::WalHook, this);
}

void Checkpointer::RequestTruncate() {
  {
    std::lock_guard lock(mu_);
    wanted_ = true;
    truncate_ = true;
  }
  cv_.notify_one();
}

uint64_t Checkpointer::checkpoints() const {
  std::lock_guard lock(mu_);
  return checkpoints_;
}

int Checkpointer::WalHook(void* self, sqlite3* /*db*/, const char* /*name*/, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  if (pages >= c->wal_pages_) {
    {
      std::lock_guard lock(c->mu_);
      c->wanted_ = true;
    }
    c->cv_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::Run() {
  while (true) {
    int mode;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || wanted_; });
      if (stop_) return;
      wanted_ = false;
      mode = truncate_ ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE;
      truncate_ = false;
    }
    // Busy (another checkpoint, or a restart in progress) is fine: the next
    // commit asks again.
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(conn_->handle(), nullptr, mode, &log, &done);
    std::unique_lock lock(mu_);
    ++checkpoints_;
    if (mode == SQLITE_CHECKPOINT_TRUNCATE && rc != SQLITE_OK) {
      truncate_ = true;
      wanted_ = true;
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; });
    }
  }
}

}  // namespace custos::records
