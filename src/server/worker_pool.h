// WorkerPool: a fixed set of threads that run posted tasks in arrival order.
// The server's event thread hands it every request whose handler blocks
// (reads, updates, imports), so one slow request never stalls the others.
//
// Contract
// - Post never blocks and never runs the task on the calling thread. It
//   returns false, and drops the task, once the destructor has begun.
// - The destructor runs every task posted before it began, then joins.
// - Thread-safety: Post may be called from any thread, also from a task.
#pragma once

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "base/bounded_queue.h"

namespace custos::server {

class WorkerPool {
 public:
  // `threads` >= 1; each thread is named `name` (at most 15 characters).
  WorkerPool(size_t threads, std::string name);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool Post(std::function<void()> task);

 private:
  BoundedQueue<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
};

}  // namespace custos::server
