#include "vault/large_buffer.h"

#include <sys/mman.h>

#include <algorithm>
#include <utility>

namespace custos {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
// Below this, huge pages would waste more memory than faults cost.
constexpr size_t kMinAdvised = kHugePage;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

}  // namespace

void AdviseHugePages(void* p, size_t n) {
  if (p == nullptr || n < kMinAdvised) return;
  const auto begin = reinterpret_cast<uintptr_t>(p);
  const uintptr_t first = RoundUp(begin, kHugePage);
  const uintptr_t last = (begin + n) / kHugePage * kHugePage;
  if (last <= first) return;
  // A hint: failure (no THP support) leaves ordinary pages, which is fine.
  (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

void ReserveLarge(Bytes& b, size_t n) {
  if (b.capacity() >= n) return;
  b.reserve(n);
  // The new capacity is untouched beyond the old size: advise all of it.
  AdviseHugePages(b.data() + b.size(), b.capacity() - b.size());
}

LargeBuffer::~LargeBuffer() { Release(); }

LargeBuffer::LargeBuffer(LargeBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), capacity_(std::exchange(o.capacity_, 0)) {}

LargeBuffer& LargeBuffer::operator=(LargeBuffer&& o) noexcept {
  if (this != &o) {
    Release();
    data_ = std::exchange(o.data_, nullptr);
    capacity_ = std::exchange(o.capacity_, 0);
  }
  return *this;
}

void LargeBuffer::Release() {
  if (data_ != nullptr) munmap(data_, capacity_);
  data_ = nullptr;
  capacity_ = 0;
}

bool LargeBuffer::Reserve(size_t n) {
  if (n <= capacity_) return true;
  Release();
  // Whole huge pages: one fault each, however small the request.
  const size_t size = RoundUp(std::max(n, kHugePage), kHugePage);
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  data_ = static_cast<uint8_t*>(p);
  capacity_ = size;
  AdviseHugePages(data_, capacity_);
  return true;
}

}  // namespace custos
