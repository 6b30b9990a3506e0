// Memory for the hot paths of backup and restore, which move megabytes per
// call: buffers whose first touch costs one page fault per 2 MiB (transparent
// huge pages, where the kernel allows them) instead of one per 4 KiB. On a
// virtual machine a 4 KiB fault can cost several microseconds, which makes
// touching fresh memory slower than encrypting it.
//
// Contract
// - LargeBuffer owns an anonymous mapping; its bytes are not initialised by
//   the class (fresh pages read as zero) and survive Reserve only when the
//   capacity already suffices. Not thread-safe; one owner at a time.
// - AdviseHugePages only gives the kernel a hint: it never fails and never
//   changes content.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace custos {

class LargeBuffer {
 public:
  LargeBuffer() = default;
  ~LargeBuffer();
  LargeBuffer(LargeBuffer&& o) noexcept;
  LargeBuffer& operator=(LargeBuffer&& o) noexcept;
  LargeBuffer(const LargeBuffer&) = delete;
  LargeBuffer& operator=(const LargeBuffer&) = delete;

  // Makes room for at least n bytes. When the capacity grows, the old content
  // is dropped (this is a scratch buffer). False when memory is exhausted
  // (the buffer is then empty).
  [[nodiscard]] bool Reserve(size_t n);
  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t capacity() const { return capacity_; }

 private:
  void Release();
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
};

// Hints that [p, p+n) should be backed by huge pages; call it before the
// first touch (right after reserving a large vector, for instance).
void AdviseHugePages(void* p, size_t n);
// Reserves `n` bytes of capacity in `b` and advises the new allocation for
// huge pages; does nothing when the capacity already suffices.
void ReserveLarge(Bytes& b, size_t n);

}  // namespace custos
