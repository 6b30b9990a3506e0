// FastCDC content-defined chunking (Xia et al., USENIX ATC 2016) with
// normalised chunking. Cut points depend only on the content and on a
// per-vault gear table derived from a secret seed, so chunk boundaries do not
// leak a fingerprint of known files across vaults.
//
// Thread-safety: a Chunker is immutable after construction; Cut() may be called
// from many threads at once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace custos {

struct ChunkerParams {
  uint32_t min_size = 256 * 1024;
  uint32_t avg_size = 1024 * 1024;  // a power of two
  uint32_t max_size = 4 * 1024 * 1024;

  // InvalidArgument unless min < avg < max, avg is a power of two, and all are
  // within [64 B, 64 MiB].
  Status Validate() const;
};

class Chunker {
 public:
  Chunker(const ChunkerParams& params, ByteView seed);

  // Length of the next chunk at the start of data[0, n). When `at_eof` is false
  // the caller must supply at least max_size bytes (or all that remain).
  size_t Cut(const uint8_t* data, size_t n) const;

  const ChunkerParams& params() const { return params_; }

 private:
  ChunkerParams params_;
  uint64_t mask_small_;  // stricter mask used before the average size
  uint64_t mask_large_;  // looser mask used after it
  std::array<uint64_t, 256> gear_;
};

}  // namespace custos
