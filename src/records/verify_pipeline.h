// RunOrderedItems: `lanes` threads process items 0..count-1, each exactly
// once, and the calling thread consumes them in item order. The verifier
// uses it to read and check journal ranges on every core and still apply
// the order-dependent checks in seq order.
//
// Contract
// - process(Slot&, uint64_t item, size_t lane) -> Status runs on lane
//   threads (lane is 0..lanes-1, so each can keep its own connection and
//   contexts). Items are claimed in increasing order and may finish in any
//   order. An error ends the run: it is returned once the items before it
//   have been consumed, and later items are not consumed.
// - consume(Slot&, uint64_t item) runs on the calling thread, in item order,
//   after process returned OK for that item.
// - `slots` Slot objects are reused round-robin (item k uses slot k % slots):
//   a lane claims item k only after item k - slots was consumed, so a slot's
//   buffers keep their capacity and nothing is allocated per item once warm.
// Threads wake only when they have to wait, about twice per item at most.
// The callables must not throw.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result.h"

namespace custos::records {

template <typename Slot, typename Process, typename Consume>
Status RunOrderedItems(uint64_t count, size_t slots, size_t lanes, Process&& process,
                       Consume&& consume) {
  if (slots < 1) slots = 1;
  if (lanes < 1) lanes = 1;
  std::vector<Slot> slot(slots);
  std::vector<Status> status(slots);
  std::vector<char> done(slots, 0);
  std::mutex mu;
  std::condition_variable lane_cv, done_cv;
  uint64_t next = 0, consumed = 0;
  bool abort = false;

  std::vector<std::thread> pool;
  for (size_t l = 0; l < lanes; ++l) {
    pool.emplace_back([&, l] {
      std::unique_lock lock(mu);
      while (true) {
        lane_cv.wait(lock, [&] { return abort || next >= count || next - consumed < slots; });
        if (abort || next >= count) return;
        const uint64_t k = next++;
        lock.unlock();
        Status st = process(slot[k % slots], k, l);
        lock.lock();
        status[k % slots] = std::move(st);
        done[k % slots] = 1;
        done_cv.notify_one();  // only the calling thread waits on it
      }
    });
  }

  Status error;
  for (uint64_t k = 0; k < count; ++k) {
    {
      std::unique_lock lock(mu);
      done_cv.wait(lock, [&] { return done[k % slots] != 0; });
      done[k % slots] = 0;
      if (!status[k % slots].ok()) {
        error = status[k % slots];
        abort = true;
        lane_cv.notify_all();
        break;
      }
    }
    consume(slot[k % slots], k);
    std::lock_guard lock(mu);
    consumed = k + 1;
    lane_cv.notify_all();
  }
  for (std::thread& t : pool) t.join();
  return error;
}

}  // namespace custos::records
