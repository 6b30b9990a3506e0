#include "server/worker_pool.h"

#include <algorithm>
#include <limits>

#include "base/thread_name.h"

namespace custos::server {

WorkerPool::WorkerPool(size_t threads, std::string name)
    : queue_(std::numeric_limits<size_t>::max()) {
  threads_.reserve(threads == 0 ? 1 : threads);
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) {
    threads_.emplace_back([this, name] {
      SetThreadName(name.c_str());
      while (auto task = queue_.Pop()) (*task)();
    });
  }
}

WorkerPool::~WorkerPool() {
  queue_.Close();
  for (std::thread& t : threads_) t.join();
}

bool WorkerPool::Post(std::function<void()> task) { return queue_.Push(std::move(task)); }

}  // namespace custos::server
