// Memory for the verifier's large tables and buffers: zeroed memory straight
// from mmap, in transparent huge pages where the kernel allows (madvise
// mode). A table of millions of records then costs a page fault per 2 MiB
// instead of per 4 KiB (on virtual machines a fault can cost tens of
// microseconds).
//
// Thread-safety: a Mapped region is plain memory.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace custos::records {

class Mapped {
 public:
  static constexpr size_t kHuge = size_t{2} << 20;
  // Throws std::bad_alloc when the memory cannot be mapped.
  explicit Mapped(size_t bytes) : size_((bytes + kHuge - 1) / kHuge * kHuge) {
    if (size_ == 0) size_ = kHuge;
    // Huge pages need 2 MiB-aligned ranges, which kernels before 6.7 do not
    // give by themselves: map 2 MiB more and unmap the unaligned ends.
    void* p =
        mmap(nullptr, size_ + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const uintptr_t start = reinterpret_cast<uintptr_t>(p);
    const uintptr_t aligned = (start + kHuge - 1) / kHuge * kHuge;
    if (aligned > start) munmap(p, aligned - start);
    const size_t tail = kHuge - (aligned - start);  // what is left after data_ + size_
    if (tail > 0) munmap(reinterpret_cast<void*>(aligned + size_), tail);
    data_ = reinterpret_cast<uint8_t*>(aligned);
    madvise(data_, size_, MADV_HUGEPAGE);  // a hint: fine if it fails
  }
  ~Mapped() { munmap(data_, size_); }
  Mapped(const Mapped&) = delete;
  Mapped& operator=(const Mapped&) = delete;
  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  size_t size_;
  uint8_t* data_;
};

}  // namespace custos::records
