// BufferPool: recycles large byte buffers so that hot paths neither page-fault
// fresh memory nor zero it. Thread-safe. Holds at most `max_free` idle
// buffers; extra ones are freed.
#pragma once

#include <mutex>
#include <vector>

#include "base/bytes.h"

namespace custos {

class BufferPool {
 public:
  explicit BufferPool(size_t max_free) : max_free_(max_free) {}

  // An empty buffer whose capacity is at least `capacity`.
  Bytes Get(size_t capacity) {
    Bytes b;
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        b = std::move(free_.back());
        free_.pop_back();
      }
    }
    b.clear();
    if (b.capacity() < capacity) b.reserve(capacity);
    return b;
  }

  void Put(Bytes b) {
    if (b.capacity() == 0) return;
    std::lock_guard lock(mu_);
    if (free_.size() < max_free_) free_.push_back(std::move(b));
  }

 private:
  std::mutex mu_;
  std::vector<Bytes> free_;
  size_t max_free_;
};

}  // namespace custos
