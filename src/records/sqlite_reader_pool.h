// ReaderPool: read-only SQLite connections handed out one per reader. In WAL
// mode readers see the last committed state and never block the writer.
//
// Thread-safety: Acquire may be called from any thread; a Lease is used by
// one thread. Connections are opened lazily up to `max_connections`; beyond
// that Acquire waits for a lease to come back.
// Lifetime: every Lease must end before the pool is destroyed.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "records/sqlite_db.h"

namespace custos::records {

class ReaderPool {
 public:
  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) pool_->Release(std::move(conn_));
    }
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  ReaderPool(std::string path, size_t max_connections)
      : path_(std::move(path)), max_(max_connections == 0 ? 1 : max_connections) {}

  Result<Lease> Acquire();

 private:
  void Release(std::unique_ptr<Connection> conn);

  const std::string path_;
  const size_t max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_ = 0;
};

}  // namespace custos::records
