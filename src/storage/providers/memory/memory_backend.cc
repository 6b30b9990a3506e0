#include "storage/providers/memory/memory_backend.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace custos {
namespace {

// Reads [begin, end) of an object; keeps the buffer alive while in use.
class MemoryReader : public Reader {
 public:
  MemoryReader(std::shared_ptr<const Bytes> data, size_t begin, size_t end)
      : data_(std::move(data)), pos_(begin), end_(end) {}

  Result<size_t> Read(uint8_t* buf, size_t n) override {
    size_t take = std::min(n, end_ - pos_);
    if (take > 0) std::memcpy(buf, data_->data() + pos_, take);
    pos_ += take;
    return take;
  }

 private:
  std::shared_ptr<const Bytes> data_;
  size_t pos_;
  size_t end_;
};

constexpr uint64_t kMaxReserve = 64 << 20;

}  // namespace

MemoryBackend::MemoryBackend(std::string label) : label_(std::move(label)) {
  properties_.atomic_replace = true;
  properties_.server_checksums = true;  // Save checks src.Sha256()
  properties_.connections = 8;
}

Status MemoryBackend::Save(const std::string& name, ByteSource& src) {
  auto data = std::make_shared<Bytes>();
  data->reserve(static_cast<size_t>(std::min(src.Length(), kMaxReserve)));
  RETURN_IF_ERROR(CopyVerified(src, name, [&data](ByteView chunk) {
    data->insert(data->end(), chunk.begin(), chunk.end());
    return Status::OK();
  }));
  std::lock_guard<std::mutex> lock(mu_);
  objects_[name] = std::move(data);
  return Status::OK();
}

Status MemoryBackend::Load(const std::string& name, uint64_t offset, uint64_t length,
                           const LoadConsumer& consumer) {
  Object data;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(name);
    if (it == objects_.end()) return Status::NotFound(name);
    data = it->second;
  }
  const uint64_t size = data->size();
  const uint64_t begin = std::min(offset, size);
  const uint64_t end = length == 0 ? size : begin + std::min(length, size - begin);
  MemoryReader reader(std::move(data), static_cast<size_t>(begin), static_cast<size_t>(end));
  return consumer(reader);
}

Result<ObjectInfo> MemoryBackend::Stat(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(name);
  if (it == objects_.end()) return Status::NotFound(name);
  return ObjectInfo{name, it->second->size()};
}

Status MemoryBackend::List(const std::string& prefix,
                           const std::function<Status(const ObjectInfo&)>& fn) {
  std::vector<ObjectInfo> found;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = objects_.lower_bound(prefix);
         it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      found.push_back(ObjectInfo{it->first, it->second->size()});
    }
  }
  for (const ObjectInfo& info : found) RETURN_IF_ERROR(fn(info));
  return Status::OK();
}

Status MemoryBackend::Remove(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (objects_.erase(name) == 0) return Status::NotFound(name);
  return Status::OK();
}

}  // namespace custos
