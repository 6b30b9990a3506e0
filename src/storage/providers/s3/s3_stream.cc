#include "storage/providers/s3/s3_stream.h"

#include <algorithm>
#include <cstring>

namespace custos::s3 {

Status ResponsePipe::Push(ByteView chunk) {
  if (chunk.empty()) return Status::OK();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return closed_ || buffered_ < max_buffered_; });
  if (closed_) return Status::Cancelled("the reader stopped reading");
  chunks_.emplace_back(chunk.begin(), chunk.end());
  buffered_ += chunk.size();
  any_data_ = true;
  cv_.notify_all();
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

Result<size_t> ResponsePipe::Read(uint8_t* buf, size_t n) {
  std::unique_lock<std::mutex> lock(mu_);
  if (n == 0) return size_t{0};
  cv_.wait(lock, [&] { return !chunks_.empty() || finished_.has_value(); });
  if (chunks_.empty()) {
    if (!finished_->ok()) return *finished_;
    return size_t{0};
  }
  Bytes& front = chunks_.front();
  size_t take = std::min(n, front.size() - front_pos_);
  std::memcpy(buf, front.data() + front_pos_, take);
  front_pos_ += take;
  buffered_ -= take;
  if (front_pos_ == front.size()) {
    chunks_.pop_front();
    front_pos_ = 0;
  }
  cv_.notify_all();
  return take;
}

void ResponsePipe::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  chunks_.clear();
  buffered_ = 0;
  cv_.notify_all();
}

}  // namespace custos::s3
