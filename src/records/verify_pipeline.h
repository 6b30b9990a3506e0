// RunOrderedPipeline: one producer thread fills batches, worker threads
// process them, and the calling thread consumes them in production order.
// The verifier uses it to read the journal, check entries on every core and
// still apply the order-dependent checks in seq order.
//
// Contract
// - produce(Batch&) -> Result<bool> runs on one dedicated thread, batch after
//   batch: true when it filled the batch, false when there is nothing more
//   (that batch is discarded), or an error, which ends the run after the
//   batches already produced are consumed.
// - process(Batch&, size_t worker) runs on `workers` threads (worker is
//   0..workers-1, so each can keep its own context): every produced batch
//   exactly once, concurrently with other batches, in no particular order.
// - consume(Batch&) runs on the calling thread, in production order, after
//   process returned for that batch.
// - `slots` batch objects are reused round-robin: produce gets a batch again
//   only after consume returned for it, so a batch's buffers keep their
//   capacity and nothing is allocated per batch once they are warm.
// Returns the producer's error, or OK. The callables must not throw.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result.h"

namespace custos::records {

template <typename Batch, typename Produce, typename Process, typename Consume>
Status RunOrderedPipeline(size_t slots, size_t workers, Produce&& produce, Process&& process,
                          Consume&& consume) {
  if (slots < 1) slots = 1;
  if (workers < 1) workers = 1;
  std::vector<Batch> batches(slots);
  std::vector<char> processed(slots, 0);
  std::mutex mu;
  std::condition_variable free_cv, filled_cv, processed_cv;
  uint64_t produced = 0, claimed = 0, consumed = 0;
  bool end = false;
  Status error;

  std::thread producer([&] {
    for (uint64_t i = 0;; ++i) {
      {
        std::unique_lock lock(mu);
        free_cv.wait(lock, [&] { return i - consumed < slots; });
      }
      Batch& b = batches[i % slots];
      Result<bool> more = produce(b);
      std::lock_guard lock(mu);
      if (!more.ok() || !*more) {
        if (!more.ok()) error = more.status();
        end = true;
        filled_cv.notify_all();
        processed_cv.notify_all();
        return;
      }
      processed[i % slots] = 0;
      produced = i + 1;
      filled_cv.notify_one();
    }
  });

  std::vector<std::thread> pool;
  for (size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      std::unique_lock lock(mu);
      while (true) {
        filled_cv.wait(lock, [&] { return claimed < produced || end; });
        if (claimed == produced) return;  // end, and nothing left to claim
        const uint64_t j = claimed++;
        lock.unlock();
        process(batches[j % slots], w);
        lock.lock();
        processed[j % slots] = 1;
        processed_cv.notify_all();
      }
    });
  }

  for (uint64_t i = 0;; ++i) {
    {
      std::unique_lock lock(mu);
      processed_cv.wait(
          lock, [&] { return (i < produced && processed[i % slots]) || (end && i >= produced); });
      if (i >= produced) break;
    }
    consume(batches[i % slots]);
    std::lock_guard lock(mu);
    consumed = i + 1;
    free_cv.notify_one();
  }
  producer.join();
  for (std::thread& t : pool) t.join();
  return error;
}

}  // namespace custos::records
