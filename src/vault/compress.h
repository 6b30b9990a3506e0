// zstd compression with a cheap incompressibility test.
#pragma once

#include "base/bytes.h"

namespace custos {

// Compresses `in` at `level` into the start of `scratch` (grown as needed,
// never shrunk, so a reused scratch costs no allocation) and returns the
// compressed size, or 0 when the data does not compress: a few samples are
// tried at the fastest level first, so random or already-compressed data costs
// almost nothing.
size_t CompressIfWorthIt(ByteView in, int level, Bytes& scratch);

// Compresses unconditionally (metadata objects).
Bytes Compress(ByteView in, int level);

// Decompresses a zstd frame whose decompressed size is `expected_size`
// (0 = read it from the frame). Corruption on any mismatch.
Status Decompress(ByteView in, size_t expected_size, Bytes& out);
// Decompresses a frame of exactly `size` bytes into dst.
Status DecompressTo(ByteView in, uint8_t* dst, size_t size);

}  // namespace custos
