// The blob index: which blob lives in which pack, where, and how to open it.
//
// On the backend an index is a list of packs with their blob entries,
// serialised (binary, little-endian), sealed as an ObjectType::kIndex object and
// stored as "index/<sha256 of the sealed bytes>".
//
// Thread-safety: Index may be read (Find, Has) concurrently with Add.
#pragma once

#include <array>
#include <functional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"

namespace custos {

using BlobId = Hash256;
using Salt128 = std::array<uint8_t, 16>;

enum class BlobType : uint8_t { kData = 0, kTree = 1 };

struct BlobIdHash {
  size_t operator()(const BlobId& id) const {
    size_t h;
    static_assert(sizeof h <= sizeof(BlobId));
    __builtin_memcpy(&h, id.data(), sizeof h);
    return h;
  }
};

constexpr uint8_t kBlobCompressed = 1;

struct BlobEntry {
  BlobType type = BlobType::kData;
  uint8_t flags = 0;     // kBlobCompressed
  uint32_t counter = 0;  // nonce counter within the pack
  BlobId id{};
  uint32_t offset = 0;      // of the sealed blob within the pack
  uint32_t length = 0;      // sealed length (ciphertext + tag)
  uint32_t raw_length = 0;  // plaintext length
};

struct PackRef {
  Hash256 id{};    // SHA-256 of the pack's bytes; also its object name
  Salt128 salt{};  // derives the pack key
};

struct PackEntries {
  PackRef pack;
  std::vector<BlobEntry> blobs;
};

std::string PackObjectName(const Hash256& id);  // data/ab/abcdef...

Bytes SerializeIndex(const std::vector<PackEntries>& packs);
// Corruption when malformed.
Result<std::vector<PackEntries>> ParseIndex(ByteView body);

class Index {
 public:
  struct Location {
    uint32_t pack;  // position in packs()
    BlobEntry entry;
  };

  void Add(const PackEntries& pack);
  // Copies, because Add may move entries concurrently.
  std::optional<Location> Find(const BlobId& id) const;
  bool Has(const BlobId& id) const;
  PackRef Pack(uint32_t i) const;
  size_t blob_count() const;
  size_t pack_count() const;
  // Every pack and its entries (for check and prune).
  std::vector<PackEntries> Snapshot() const;
  // Calls fn(pack, entry) for every blob of `type`, under the index's shared
  // lock (fn must not call back into the index).
  void ForEachBlob(BlobType type,
                   const std::function<void(uint32_t pack, const BlobEntry&)>& fn) const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<PackRef> packs_;
  std::unordered_map<Hash256, uint32_t, BlobIdHash> pack_pos_;
  std::unordered_map<BlobId, Location, BlobIdHash> blobs_;
};

}  // namespace custos
