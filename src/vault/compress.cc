#include "vault/compress.h"

#include <zstd.h>

namespace custos {
namespace {

struct CCtx {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ~CCtx() { ZSTD_freeCCtx(ctx); }
};
struct DCtx {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  ~DCtx() { ZSTD_freeDCtx(ctx); }
};
ZSTD_CCtx* ThreadCCtx() {
  thread_local CCtx c;
  return c.ctx;
}
ZSTD_DCtx* ThreadDCtx() {
  thread_local DCtx d;
  return d.ctx;
}

constexpr size_t kSample = 8192;

// True when samples from the start, middle and end shrink by at least 3 %.
bool LooksCompressible(ByteView in) {
  if (in.size() < 3 * kSample) return true;
  thread_local Bytes buf(ZSTD_compressBound(kSample));
  size_t offsets[3] = {0, in.size() / 2, in.size() - kSample};
  for (size_t off : offsets) {
    size_t n = ZSTD_compressCCtx(ThreadCCtx(), buf.data(), buf.size(), in.data() + off, kSample, 1);
    if (!ZSTD_isError(n) && n < kSample * 97 / 100) return true;
  }
  return false;
}

}  // namespace

size_t CompressIfWorthIt(ByteView in, int level, Bytes& scratch) {
  if (in.size() < 64 || !LooksCompressible(in)) return 0;
  size_t bound = ZSTD_compressBound(in.size());
  if (scratch.size() < bound) scratch.resize(bound);
  size_t n = ZSTD_compressCCtx(ThreadCCtx(), scratch.data(), scratch.size(), in.data(), in.size(),
                               level);
  if (ZSTD_isError(n) || n >= in.size() * 98 / 100) return 0;
  return n;
}

Bytes Compress(ByteView in, int level) {
  Bytes buf(ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compressCCtx(ThreadCCtx(), buf.data(), buf.size(), in.data(), in.size(), level);
  buf.resize(ZSTD_isError(n) ? 0 : n);
  return buf;
}

Status Decompress(ByteView in, size_t expected_size, Bytes& out) {
  unsigned long long frame = ZSTD_getFrameContentSize(in.data(), in.size());
  if (frame == ZSTD_CONTENTSIZE_ERROR || frame == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::Corruption("invalid zstd frame");
  }
  if (expected_size != 0 && frame != expected_size) {
    return Status::Corruption("zstd frame size does not match the index");
  }
  if (frame > (1ull << 34)) return Status::Corruption("zstd frame too large");
  out.resize(frame);
  size_t n = ZSTD_decompressDCtx(ThreadDCtx(), out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(n) || n != frame) return Status::Corruption("zstd decompression failed");
  return Status::OK();
}

}  // namespace custos

namespace custos {

Status DecompressTo(ByteView in, uint8_t* dst, size_t size) {
  unsigned long long frame = ZSTD_getFrameContentSize(in.data(), in.size());
  if (frame == ZSTD_CONTENTSIZE_ERROR || frame == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::Corruption("invalid zstd frame");
  }
  if (frame != size) return Status::Corruption("zstd frame size does not match the index");
  size_t n = ZSTD_decompressDCtx(ThreadDCtx(), dst, size, in.data(), in.size());
  if (ZSTD_isError(n) || n != size) return Status::Corruption("zstd decompression failed");
  return Status::OK();
}

}  // namespace custos
