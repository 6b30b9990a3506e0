// A blocking multi-producer, multi-consumer queue with a capacity measured in
// an arbitrary cost (items or bytes). Push blocks while the queue is over
// capacity; Pop blocks while it is empty. Close() wakes everyone: Push then
// fails and Pop drains what is left before returning nullopt.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace custos {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // Returns false when the queue was closed. An item costlier than the whole
  // capacity is admitted once the queue is empty.
  bool Push(T item, size_t cost = 1) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || used_ == 0 || used_ + cost <= capacity_; });
    if (closed_) return false;
    used_ += cost;
    items_.emplace_back(std::move(item), cost);
    not_empty_.notify_one();
    return true;
  }

  std::optional<T> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    auto [item, cost] = std::move(items_.front());
    items_.pop_front();
    used_ -= cost;
    not_full_.notify_all();
    return std::move(item);
  }

  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::pair<T, size_t>> items_;
  size_t capacity_;
  size_t used_ = 0;
  bool closed_ = false;
};

}  // namespace custos
