// Packs: files of encrypted blobs with an encrypted header.
//
// Layout:
//   "CUSP" | version u8 | salt[16]                      preamble, 21 bytes
//   blob 0 | blob 1 | ...                                each AES-256-GCM(ct||tag)
//   header                                               AES-256-GCM(ct||tag)
//   header length u32 (sealed bytes)
// The pack key is DeriveKey(master, "custos/pack/v1", salt). Blob i is sealed
// with nonce = i (little-endian, 12 bytes) and AAD = type || blob id, so a
// blob cannot be moved or relabelled without detection. The header uses the
// nonce ff..ff and lists each blob's type, flags, counter, id, offset, sealed
// length and plaintext length (50 bytes per entry). The pack's name is the
// SHA-256 of all its bytes.
#pragma once

#include "base/bytes.h"
#include "crypto/aead.h"
#include "vault/index.h"

namespace custos {

constexpr size_t kPackPreamble = 21;

// Builds packs in memory, one at a time. Not thread-safe: one builder per
// thread. The caller supplies each pack's buffer (so buffers can be recycled):
// Start(buffer), Add..., Finish, Start(next buffer), ...
class PackBuilder {
 public:
  explicit PackBuilder(const Key256& master);
  ~PackBuilder();
  PackBuilder(const PackBuilder&) = delete;
  PackBuilder& operator=(const PackBuilder&) = delete;

  // Seals `payload` (already compressed when `compressed`) as the next blob.
  void Add(BlobType type, const BlobId& id, ByteView payload, uint32_t raw_length, bool compressed);
  size_t size() const { return data_.size(); }
  size_t count() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Begins a new pack (fresh salt) in `buffer`, whose content is discarded.
  void Start(Bytes buffer);
  bool started() const { return started_; }
  // Appends the header, returns the entries and moves the bytes into *out.
  // Start must be called before the next Add.
  PackEntries Finish(Bytes* out);

 private:
  bool started_ = false;
  Key256 master_;
  Key256 key_{};
  Salt128 salt_{};
  Bytes data_;
  std::vector<BlobEntry> entries_;
};

// Reads the entries from a whole pack's bytes, checking that its SHA-256 is
// `id`. Corruption naming the failed check otherwise.
Result<PackEntries> ParsePack(const Key256& master, const Hash256& id, ByteView pack);

// Decrypts (and decompresses) one sealed blob.
Status OpenBlob(const Key256& master, const PackRef& pack, const BlobEntry& entry, ByteView sealed,
                Bytes& plain);

// Faster variant when many blobs of one pack are opened: the pack key is
// derived once.
Key256 PackKey(const Key256& master, const Salt128& salt);
Status OpenBlobWithKey(const Key256& pack_key, const BlobEntry& entry, ByteView sealed,
                       Bytes& plain);
// Hot-path variant: decrypts into buffers that only grow (no allocation or
// zeroing once warm) and returns a view of the plaintext inside `out`.
Result<ByteView> OpenBlobInto(const Key256& pack_key, const BlobEntry& entry, ByteView sealed,
                              Bytes& scratch, Bytes& out);
// Restore's variant: decrypts `sealed` in place (it then holds the plaintext,
// or the compressed payload) and, for a compressed blob, decompresses into
// `out`, which must have room for entry.raw_length bytes. Returns a view of
// the plaintext (inside `sealed` or `out`). Corruption when the blob does not
// authenticate or decompress; `sealed` then holds garbage.
Result<ByteView> OpenBlobInPlace(const Key256& pack_key, const BlobEntry& entry,
                                 std::span<uint8_t> sealed, std::span<uint8_t> out);

}  // namespace custos
