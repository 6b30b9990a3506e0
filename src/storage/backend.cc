#include "storage/backend.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace custos {
namespace {

constexpr size_t kCopyChunk = 256 * 1024;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

}  // namespace

Result<size_t> BufferSource::Read(uint8_t* buf, size_t n) {
  size_t take = std::min(n, data_.size() - pos_);
  if (take > 0) std::memcpy(buf, data_.data() + pos_, take);
  pos_ += take;
  return take;
}

Status ReadAll(Reader& r, Bytes& out) {
  // Reads straight into `out`, growing it geometrically; its capacity is reused.
  size_t used = 0;
  out.resize(std::max<size_t>(out.capacity(), 64 * 1024));
  for (;;) {
    if (out.size() - used < 64 * 1024) out.resize(out.size() * 2);
    ASSIGN_OR_RETURN(size_t n, r.Read(out.data() + used, out.size() - used));
    if (n == 0) break;
    used += n;
  }
  out.resize(used);
  return Status::OK();
}

Result<size_t> LoadIntoBuffer(Backend& b, const std::string& name, uint64_t offset,
                              uint64_t length, Bytes& buf) {
  size_t used = 0;
  Status st = b.Load(name, offset, length, [&](Reader& r) {
    used = 0;  // a retried consumer starts over
    for (;;) {
      if (buf.size() - used < 64 * 1024) {
        size_t want = length ? static_cast<size_t>(length) + 1 : buf.size() * 2;
        buf.resize(std::max({want, used + 64 * 1024, buf.size()}));
      }
      ASSIGN_OR_RETURN(size_t n, r.Read(buf.data() + used, buf.size() - used));
      if (n == 0) return Status::OK();
      used += n;
    }
  });
  if (!st.ok()) return st;
  return used;
}

Result<Bytes> LoadBytes(Backend& b, const std::string& name, uint64_t offset, uint64_t length) {
  Bytes out;
  RETURN_IF_ERROR(b.Load(name, offset, length, [&out](Reader& r) { return ReadAll(r, out); }));
  return out;
}

Status SaveBytes(Backend& b, const std::string& name, ByteView data) {
  BufferSource src(data);
  return b.Save(name, src);
}

Status CopyVerified(ByteSource& src, const std::string& name,
                    const std::function<Status(ByteView)>& sink, bool verify_hash) {
  RETURN_IF_ERROR(src.Rewind());
  const uint64_t want = src.Length();
  const std::optional<Hash256> want_hash = verify_hash ? src.Sha256() : std::nullopt;
  if (auto whole = src.Contiguous(); whole && !want_hash) {
    if (whole->size() != want) {
      return Status::Corruption("save " + name + ": source yielded " +
                                std::to_string(whole->size()) + " bytes, expected " +
                                std::to_string(want));
    }
    return sink(*whole);
  }

  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Status::Internal("save " + name + ": cannot initialise SHA-256");
  }
  Bytes buf(kCopyChunk);
  uint64_t total = 0;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, src.Read(buf.data(), buf.size()));
    if (n == 0) break;
    total += n;
    if (total > want) {
      return Status::Corruption("save " + name + ": source yields more than its length of " +
                                std::to_string(want) + " bytes");
    }
    if (EVP_DigestUpdate(ctx.get(), buf.data(), n) != 1) {
      return Status::Internal("save " + name + ": SHA-256 update failed");
    }
    RETURN_IF_ERROR(sink(ByteView(buf.data(), n)));
  }
  if (total != want) {
    return Status::Corruption("save " + name + ": source yielded " + std::to_string(total) +
                              " bytes, expected " + std::to_string(want));
  }
  Hash256 got;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), got.data(), &len) != 1 || len != got.size()) {
    return Status::Internal("save " + name + ": SHA-256 final failed");
  }
  if (want_hash && *want_hash != got) {
    return Status::Corruption("save " + name + ": SHA-256 of the content does not match");
  }
  return Status::OK();
}

}  // namespace custos
