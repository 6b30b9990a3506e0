#include "chunker/fastcdc.h"

#include <bit>
#include <cstring>

#include "crypto/hash.h"

namespace custos {

Status ChunkerParams::Validate() const {
  if (!(min_size >= 64 && min_size < avg_size && avg_size < max_size && max_size <= (64u << 20) &&
        std::has_single_bit(avg_size))) {
    return Status::InvalidArgument(
        "chunker parameters must satisfy 64 <= min < avg < max <= 64 MiB, avg a power of two");
  }
  return Status::OK();
}

// The top `bits` bits of a 64-bit word: the gear hash's high bits depend on
// the last 64 bytes, its low bits only on the last few.
static uint64_t TopMask(int bits) { return bits <= 0 ? 0 : ~uint64_t{0} << (64 - bits); }

Chunker::Chunker(const ChunkerParams& params, ByteView seed) : params_(params) {
  int bits = std::countr_zero(params.avg_size);
  // Normalisation level 2, as recommended by the FastCDC paper.
  mask_small_ = TopMask(bits + 2);
  mask_large_ = TopMask(bits - 2);
  for (int i = 0; i < 256; ++i) {
    uint8_t msg[2] = {static_cast<uint8_t>(i), 0x5a};
    Hash256 h = HmacSha256(seed, ByteView(msg, 2));
    std::memcpy(&gear_[i], h.data(), 8);
  }
}

size_t Chunker::Cut(const uint8_t* data, size_t n) const {
  if (n <= params_.min_size) return n;
  size_t barrier = n < params_.max_size ? n : params_.max_size;
  size_t normal = params_.avg_size < barrier ? params_.avg_size : barrier;
  uint64_t hash = 0;
  size_t i = params_.min_size;
  for (; i < normal; ++i) {
    hash = (hash << 1) + gear_[data[i]];
    if (!(hash & mask_small_)) return i + 1;
  }
  for (; i < barrier; ++i) {
    hash = (hash << 1) + gear_[data[i]];
    if (!(hash & mask_large_)) return i + 1;
  }
  return barrier;
}

}  // namespace custos
