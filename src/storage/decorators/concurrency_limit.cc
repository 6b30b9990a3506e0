#include "storage/decorators/concurrency_limit.h"

#include <algorithm>
#include <vector>

namespace custos {
namespace {

// The limiters whose slot the current thread holds (usually none or one).
thread_local std::vector<const void*> held_by_thread;

}  // namespace

// Holds one slot for its lifetime, or none when the thread already holds one
// of the same limiter (a nested call from a callback).
class ConcurrencyLimitBackend::Slot {
 public:
  explicit Slot(ConcurrencyLimitBackend& limiter) : limiter_(limiter) {
    if (std::find(held_by_thread.begin(), held_by_thread.end(), &limiter_) !=
        held_by_thread.end()) {
      return;
    }
    std::unique_lock<std::mutex> lock(limiter_.mu_);
    limiter_.cv_.wait(lock, [this] { return limiter_.in_flight_ < limiter_.max_; });
    ++limiter_.in_flight_;
    owner_ = true;
    held_by_thread.push_back(&limiter_);
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  ~Slot() {
    if (!owner_) return;
    held_by_thread.erase(std::find(held_by_thread.begin(), held_by_thread.end(), &limiter_));
    {
      std::lock_guard<std::mutex> lock(limiter_.mu_);
      --limiter_.in_flight_;
    }
    limiter_.cv_.notify_one();
  }

 private:
  ConcurrencyLimitBackend& limiter_;
  bool owner_ = false;
};

ConcurrencyLimitBackend::ConcurrencyLimitBackend(std::unique_ptr<Backend> inner, int max_in_flight)
    : BackendWrapper(std::move(inner)), max_(std::max(1, max_in_flight)) {
  properties_ = BackendWrapper::Properties();
  properties_.connections = std::min(properties_.connections, max_);
}

int ConcurrencyLimitBackend::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

Status ConcurrencyLimitBackend::Create() {
  Slot slot(*this);
  return inner().Create();
}

Status ConcurrencyLimitBackend::Save(const std::string& name, ByteSource& src) {
  Slot slot(*this);
  return inner().Save(name, src);
}

Status ConcurrencyLimitBackend::Load(const std::string& name, uint64_t offset, uint64_t length,
                                     const LoadConsumer& consumer) {
  Slot slot(*this);
  return inner().Load(name, offset, length, consumer);
}

Result<ObjectInfo> ConcurrencyLimitBackend::Stat(const std::string& name) {
  Slot slot(*this);
  return inner().Stat(name);
}

Status ConcurrencyLimitBackend::List(const std::string& prefix,
                                     const std::function<Status(const ObjectInfo&)>& fn) {
  Slot slot(*this);
  return inner().List(prefix, fn);
}

Status ConcurrencyLimitBackend::Remove(const std::string& name) {
  Slot slot(*this);
  return inner().Remove(name);
}

Result<uint64_t> ConcurrencyLimitBackend::RemoveIncomplete(std::chrono::seconds min_age) {
  Slot slot(*this);
  return inner().RemoveIncomplete(min_age);
}

}  // namespace custos
