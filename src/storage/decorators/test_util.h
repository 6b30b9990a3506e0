// Test helpers shared by the decorator unit tests (not part of the library).
#pragma once

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/random.h"
#include "storage/backend.h"
#include "storage/providers/memory/memory_backend.h"

namespace custos::testing_util {

inline Bytes RandomData(size_t n) {
  Bytes out(n);
  if (n > 0) RandomFill(out);
  return out;
}

// Records the operations and object names that pass through it ("save x").
class RecordingBackend : public BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;

  Status Save(const std::string& name, ByteSource& src) override {
    Note("save " + name);
    return BackendWrapper::Save(name, src);
  }
  Status Load(const std::string& name, uint64_t offset, uint64_t length,
              const LoadConsumer& consumer) override {
    Note("load " + name);
    return BackendWrapper::Load(name, offset, length, consumer);
  }
  Result<ObjectInfo> Stat(const std::string& name) override {
    Note("stat " + name);
    return BackendWrapper::Stat(name);
  }
  Status List(const std::string& prefix,
              const std::function<Status(const ObjectInfo&)>& fn) override {
    Note("list " + prefix);
    return BackendWrapper::List(prefix, fn);
  }
  Status Remove(const std::string& name) override {
    Note("remove " + name);
    return BackendWrapper::Remove(name);
  }

  std::vector<std::string> Calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  size_t Count(const std::string& call) const {
    std::lock_guard<std::mutex> lock(mu_);
    return std::count(calls_.begin(), calls_.end(), call);
  }

 private:
  void Note(std::string call) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(std::move(call));
  }
  mutable std::mutex mu_;
  std::vector<std::string> calls_;
};

// A source that streams (no Contiguous()) and counts rewinds; optionally
// fails once with `fail` after half of the data.
class StreamingSource : public ByteSource {
 public:
  explicit StreamingSource(ByteView data, Status fail = Status::OK())
      : data_(data), fail_(std::move(fail)) {}
  uint64_t Length() const override { return data_.size(); }
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    if (!fail_.ok() && pos_ >= data_.size() / 2) {
      Status st = fail_;
      fail_ = Status::OK();
      return st;
    }
    size_t take = std::min({n, data_.size() - pos_, size_t{1000}});
    if (take > 0) std::memcpy(buf, data_.data() + pos_, take);
    pos_ += take;
    return take;
  }
  Status Rewind() override {
    ++rewinds_;
    pos_ = 0;
    return Status::OK();
  }
  int rewinds() const { return rewinds_; }

 private:
  ByteView data_;
  Status fail_;
  size_t pos_ = 0;
  int rewinds_ = 0;
};

}  // namespace custos::testing_util
