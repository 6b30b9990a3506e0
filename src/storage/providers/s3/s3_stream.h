// ResponsePipe: hands a response body that the HTTP client pushes (a sink on
// the transfer thread) to a Load consumer that pulls (a Reader on the calling
// thread), so that Load streams.
//
// Contract
// - One producer thread (Push, Finish) and one consumer thread (WaitStart,
//   Reader::Read, Close). Bytes come out in the order they went in.
// - While the consumer waits in Read, Push copies straight into the
//   consumer's buffer (one copy from the transfer's buffer to the
//   consumer's). Otherwise Push copies into an internal buffer, blocking while
//   it holds `max_buffered` bytes or more, so the transfer runs
//   ahead of a busy consumer by that much. Push returns Cancelled once the
//   consumer closed the pipe.
// - The Reader yields the pushed bytes, then 0 at the end, or the status
//   given to Finish when the transfer failed.
// - The pipe must outlive both threads' use of it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "base/bytes.h"
#include "storage/backend.h"

namespace custos::s3 {

class ResponsePipe : public Reader {
 public:
  explicit ResponsePipe(size_t max_buffered = 64 << 10) : max_buffered_(max_buffered) {}

  // Producer.
  Status Push(ByteView chunk);
  void Finish(Status status);

  // Consumer. Waits until the first bytes arrived or the transfer ended;
  // returns true if bytes arrived.
  bool WaitStart();
  Result<size_t> Read(uint8_t* buf, size_t n) override;
  void Close();

 private:
  // Copies the front of the internal buffer into buf (requires mu_).
  size_t TakeBuffered(uint8_t* buf, size_t n);

  const size_t max_buffered_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Bytes> chunks_;  // bytes pushed while no reader waited
  size_t front_pos_ = 0;
  size_t buffered_ = 0;
  // A reader waiting for bytes, with nothing buffered: Push fills this.
  uint8_t* want_ = nullptr;
  size_t want_size_ = 0;
  size_t got_ = 0;
  std::optional<Status> finished_;
  bool closed_ = false;
  bool any_data_ = false;
};

}  // namespace custos::s3
