#include "storage/providers/s3/s3_stream.h"

#include <algorithm>
#include <cstring>

namespace custos::s3 {
namespace {

// Chunk buffers are recycled across pipes: every Load has its own pipe, and
// fresh memory costs more to touch than the copy itself.
class ChunkPool {
 public:
  static ChunkPool& Get() {
    static ChunkPool* pool = new ChunkPool;  // never destroyed: used until exit
    return *pool;
  }
  Bytes Take(size_t n) {
    Bytes b;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        b = std::move(free_.back());
        free_.pop_back();
      }
    }
    b.reserve(std::max(n, kChunkCapacity));
    return b;
  }
  void Give(Bytes b) {
    if (b.capacity() > 2 * kChunkCapacity) return;  // an odd one: let it go
    b.clear();
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < kMaxFree) free_.push_back(std::move(b));
  }

 private:
  static constexpr size_t kChunkCapacity = 256 << 10;  // libcurl's buffer size here
  static constexpr size_t kMaxFree = 64;
  std::mutex mu_;
  std::vector<Bytes> free_;
};

}  // namespace

Status ResponsePipe::Push(ByteView chunk) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!chunk.empty()) {
    if (closed_) return Status::Cancelled("the reader stopped reading");
    if (want_ != nullptr && chunks_.empty()) {
      // The reader waits with an empty pipe: fill its buffer directly.
      const size_t take = std::min(want_size_, chunk.size());
      std::memcpy(want_, chunk.data(), take);
      got_ = take;
      want_ = nullptr;
      chunk = chunk.subspan(take);
      any_data_ = true;
      cv_.notify_all();
      continue;
    }
    if (buffered_ < max_buffered_) {
      Bytes b = ChunkPool::Get().Take(chunk.size());
      b.assign(chunk.begin(), chunk.end());
      buffered_ += b.size();
      chunks_.push_back(std::move(b));
      any_data_ = true;
      cv_.notify_all();
      return Status::OK();
    }
    cv_.wait(lock);
  }
  return Status::OK();
}

void ResponsePipe::Finish(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = std::move(status);
  cv_.notify_all();
}

bool ResponsePipe::WaitStart() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return any_data_ || finished_.has_value(); });
  return any_data_;
}

size_t ResponsePipe::TakeBuffered(uint8_t* buf, size_t n) {
  Bytes& front = chunks_.front();
  const size_t take = std::min(n, front.size() - front_pos_);
  std::memcpy(buf, front.data() + front_pos_, take);
  front_pos_ += take;
  buffered_ -= take;
  if (front_pos_ == front.size()) {
    ChunkPool::Get().Give(std::move(front));
    chunks_.pop_front();
    front_pos_ = 0;
  }
  cv_.notify_all();
  return take;
}

Result<size_t> ResponsePipe::Read(uint8_t* buf, size_t n) {
  std::unique_lock<std::mutex> lock(mu_);
  if (n == 0) return size_t{0};
  for (;;) {
    if (!chunks_.empty()) return TakeBuffered(buf, n);
    if (finished_.has_value()) {
      if (!finished_->ok()) return *finished_;
      return size_t{0};
    }
    if (closed_) return size_t{0};
    want_ = buf;
    want_size_ = n;
    got_ = 0;
    cv_.notify_all();
    cv_.wait(lock, [&] { return got_ > 0 || finished_.has_value(); });
    want_ = nullptr;  // withdrawn, if the transfer ended instead
    if (got_ > 0) {
      const size_t got = got_;
      got_ = 0;
      return got;
    }
  }
}

void ResponsePipe::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  for (Bytes& b : chunks_) ChunkPool::Get().Give(std::move(b));
  chunks_.clear();
  buffered_ = 0;
  want_ = nullptr;
  cv_.notify_all();
}

}  // namespace custos::s3
