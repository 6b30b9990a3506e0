#include "vault/pack.h"

#include <cstring>

#include "base/random.h"
#include "crypto/hash.h"
#include "vault/compress.h"

namespace custos {

namespace {
constexpr char kMagic[4] = {'C', 'U', 'S', 'P'};
constexpr uint8_t kPackVersion = 1;
constexpr size_t kEntrySize = 50;

Nonce96 CounterNonce(uint32_t counter) {
  Nonce96 n{};
  for (int i = 0; i < 4; ++i) n[i] = static_cast<uint8_t>(counter >> (8 * i));
  return n;
}
Nonce96 HeaderNonce() {
  Nonce96 n;
  n.fill(0xff);
  return n;
}
std::array<uint8_t, 33> BlobAad(BlobType type, const BlobId& id) {
  std::array<uint8_t, 33> aad;
  aad[0] = static_cast<uint8_t>(type);
  std::memcpy(aad.data() + 1, id.data(), 32);
  return aad;
}
}  // namespace

Key256 PackKey(const Key256& master, const Salt128& salt) {
  return DeriveKey(master, "custos/pack/v1", salt);
}

PackBuilder::PackBuilder(const Key256& master) : master_(master) {}
PackBuilder::~PackBuilder() {
  SecureWipe(master_.data(), master_.size());
  SecureWipe(key_.data(), key_.size());
}

void PackBuilder::Start(Bytes buffer) {
  RandomFill(salt_);
  key_ = PackKey(master_, salt_);
  data_ = std::move(buffer);
  started_ = true;
  entries_.clear();
  data_.resize(kPackPreamble);
  std::memcpy(data_.data(), kMagic, 4);
  data_[4] = kPackVersion;
  std::memcpy(data_.data() + 5, salt_.data(), salt_.size());
}

void PackBuilder::Add(BlobType type, const BlobId& id, ByteView payload, uint32_t raw_length,
                      bool compressed) {
  BlobEntry e;
  e.type = type;
  e.flags = compressed ? kBlobCompressed : 0;
  e.counter = static_cast<uint32_t>(entries_.size());
  e.id = id;
  e.offset = static_cast<uint32_t>(data_.size());
  e.raw_length = raw_length;
  auto aad = BlobAad(type, id);
  AeadSeal(key_, CounterNonce(e.counter), aad, payload, data_);
  e.length = static_cast<uint32_t>(data_.size() - e.offset);
  entries_.push_back(e);
}

PackEntries PackBuilder::Finish(Bytes* out) {
  Bytes header;
  PutU32(header, static_cast<uint32_t>(entries_.size()));
  for (const auto& e : entries_) {
    header.push_back(static_cast<uint8_t>(e.type));
    header.push_back(e.flags);
    PutU32(header, e.counter);
    header.insert(header.end(), e.id.begin(), e.id.end());
    PutU32(header, e.offset);
    PutU32(header, e.length);
    PutU32(header, e.raw_length);
  }
  size_t before = data_.size();
  AeadSeal(key_, HeaderNonce(), AsBytes("custos/pack-header/v1"), header, data_);
  PutU32(data_, static_cast<uint32_t>(data_.size() - before));
  PackEntries result;
  result.pack.id = Sha256(data_);
  result.pack.salt = salt_;
  result.blobs = std::move(entries_);
  *out = std::move(data_);
  data_ = Bytes();
  started_ = false;
  return result;
}

Result<PackEntries> ParsePack(const Key256& master, const Hash256& id, ByteView pack) {
  if (Sha256(pack) != id) return Status::Corruption("content does not match its name (SHA-256)");
  if (pack.size() < kPackPreamble + kAeadTagSize + 4 + 4) return Status::Corruption("truncated");
  if (std::memcmp(pack.data(), kMagic, 4) != 0) return Status::Corruption("bad magic");
  if (pack[4] != kPackVersion) return Status::Corruption("unknown pack version");
  PackEntries result;
  result.pack.id = id;
  std::memcpy(result.pack.salt.data(), pack.data() + 5, 16);
  uint32_t hlen = GetU32(pack.data() + pack.size() - 4);
  if (hlen > pack.size() - 4 - kPackPreamble) return Status::Corruption("bad header length");
  Key256 key = PackKey(master, result.pack.salt);
  Bytes header;
  Status st = AeadOpen(key, HeaderNonce(), AsBytes("custos/pack-header/v1"),
                       pack.subspan(pack.size() - 4 - hlen, hlen), header);
  SecureWipe(key.data(), key.size());
  if (!st.ok()) return Status::Corruption("header authentication failed");
  if (header.size() < 4) return Status::Corruption("header truncated");
  uint32_t n = GetU32(header.data());
  if (header.size() != 4 + static_cast<size_t>(n) * kEntrySize) {
    return Status::Corruption("header size mismatch");
  }
  size_t blobs_end = pack.size() - 4 - hlen;
  for (uint32_t i = 0; i < n; ++i) {
    const uint8_t* e = header.data() + 4 + i * kEntrySize;
    BlobEntry b;
    if (e[0] > 1) return Status::Corruption("unknown blob type in header");
    b.type = static_cast<BlobType>(e[0]);
    b.flags = e[1];
    b.counter = GetU32(e + 2);
    std::memcpy(b.id.data(), e + 6, 32);
    b.offset = GetU32(e + 38);
    b.length = GetU32(e + 42);
    b.raw_length = GetU32(e + 46);
    if (b.offset < kPackPreamble || static_cast<size_t>(b.offset) + b.length > blobs_end) {
      return Status::Corruption("blob entry out of bounds");
    }
    result.blobs.push_back(b);
  }
  return result;
}

Status OpenBlobWithKey(const Key256& pack_key, const BlobEntry& entry, ByteView sealed,
                       Bytes& plain) {
  if (sealed.size() != entry.length) return Status::Corruption("blob truncated");
  auto aad = BlobAad(entry.type, entry.id);
  if (!(entry.flags & kBlobCompressed)) {
    RETURN_IF_ERROR(AeadOpen(pack_key, CounterNonce(entry.counter), aad, sealed, plain));
    if (plain.size() != entry.raw_length) return Status::Corruption("blob length mismatch");
    return Status::OK();
  }
  Bytes packed;
  RETURN_IF_ERROR(AeadOpen(pack_key, CounterNonce(entry.counter), aad, sealed, packed));
  return Decompress(packed, entry.raw_length, plain);
}

Result<ByteView> OpenBlobInto(const Key256& pack_key, const BlobEntry& entry, ByteView sealed,
                              Bytes& scratch, Bytes& out) {
  if (sealed.size() != entry.length || entry.length < kAeadTagSize) {
    return Status::Corruption("blob truncated");
  }
  auto aad = BlobAad(entry.type, entry.id);
  size_t n = entry.length - kAeadTagSize;
  bool compressed = entry.flags & kBlobCompressed;
  if (!compressed && n != entry.raw_length) return Status::Corruption("blob length mismatch");
  Bytes& dst = compressed ? scratch : out;
  if (dst.size() < n) dst.resize(n);
  RETURN_IF_ERROR(AeadOpenTo(pack_key, CounterNonce(entry.counter), aad, sealed, dst.data()));
  if (!compressed) return ByteView(out.data(), n);
  if (out.size() < entry.raw_length) out.resize(entry.raw_length);
  RETURN_IF_ERROR(DecompressTo(ByteView(scratch.data(), n), out.data(), entry.raw_length));
  return ByteView(out.data(), entry.raw_length);
}

Result<ByteView> OpenBlobInPlace(const Key256& pack_key, const BlobEntry& entry,
                                 std::span<uint8_t> sealed, std::span<uint8_t> out) {
  if (sealed.size() != entry.length || entry.length < kAeadTagSize) {
    return Status::Corruption("blob truncated");
  }
  auto aad = BlobAad(entry.type, entry.id);
  const size_t n = entry.length - kAeadTagSize;
  const bool compressed = entry.flags & kBlobCompressed;
  if (!compressed && n != entry.raw_length) return Status::Corruption("blob length mismatch");
  if (compressed && out.size() < entry.raw_length) {
    return Status::Internal("no room to decompress a blob");
  }
  // AES-GCM decrypts in place when input and output coincide.
  RETURN_IF_ERROR(AeadOpenTo(pack_key, CounterNonce(entry.counter), aad, sealed, sealed.data()));
  if (!compressed) return ByteView(sealed.data(), n);
  RETURN_IF_ERROR(DecompressTo(ByteView(sealed.data(), n), out.data(), entry.raw_length));
  return ByteView(out.data(), entry.raw_length);
}

Status OpenBlob(const Key256& master, const PackRef& pack, const BlobEntry& entry, ByteView sealed,
                Bytes& plain) {
  Key256 key = PackKey(master, pack.salt);
  Status st = OpenBlobWithKey(key, entry, sealed, plain);
  SecureWipe(key.data(), key.size());
  return st;
}

}  // namespace custos
