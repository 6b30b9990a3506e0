#include "vault/index.h"

#include <cstring>
#include <mutex>

namespace custos {

std::string PackObjectName(const Hash256& id) {
  std::string hex = ToHex(id);
  return "data/" + hex.substr(0, 2) + "/" + hex;
}

namespace {
constexpr uint32_t kIndexVersion = 1;
constexpr size_t kEntrySize = 1 + 1 + 4 + 32 + 4 + 4 + 4;
}  // namespace

Bytes SerializeIndex(const std::vector<PackEntries>& packs) {
  Bytes out;
  PutU32(out, kIndexVersion);
  PutU32(out, static_cast<uint32_t>(packs.size()));
  for (const auto& p : packs) {
    out.insert(out.end(), p.pack.id.begin(), p.pack.id.end());
    out.insert(out.end(), p.pack.salt.begin(), p.pack.salt.end());
    PutU32(out, static_cast<uint32_t>(p.blobs.size()));
    for (const auto& b : p.blobs) {
      out.push_back(static_cast<uint8_t>(b.type));
      out.push_back(b.flags);
      PutU32(out, b.counter);
      out.insert(out.end(), b.id.begin(), b.id.end());
      PutU32(out, b.offset);
      PutU32(out, b.length);
      PutU32(out, b.raw_length);
    }
  }
  return out;
}

Result<std::vector<PackEntries>> ParseIndex(ByteView body) {
  size_t pos = 0;
  auto need = [&](size_t n) { return pos + n <= body.size(); };
  if (!need(8)) return Status::Corruption("index truncated");
  if (GetU32(body.data()) != kIndexVersion) return Status::Corruption("unknown index version");
  uint32_t n = GetU32(body.data() + 4);
  pos = 8;
  std::vector<PackEntries> packs;
  for (uint32_t i = 0; i < n; ++i) {
    if (!need(32 + 16 + 4)) return Status::Corruption("index truncated");
    PackEntries p;
    std::memcpy(p.pack.id.data(), body.data() + pos, 32);
    std::memcpy(p.pack.salt.data(), body.data() + pos + 32, 16);
    uint32_t count = GetU32(body.data() + pos + 48);
    pos += 52;
    if (!need(static_cast<size_t>(count) * kEntrySize))
      return Status::Corruption("index truncated");
    p.blobs.resize(count);
    for (auto& b : p.blobs) {
      const uint8_t* e = body.data() + pos;
      if (e[0] > 1) return Status::Corruption("index has an unknown blob type");
      b.type = static_cast<BlobType>(e[0]);
      b.flags = e[1];
      b.counter = GetU32(e + 2);
      std::memcpy(b.id.data(), e + 6, 32);
      b.offset = GetU32(e + 38);
      b.length = GetU32(e + 42);
      b.raw_length = GetU32(e + 46);
      pos += kEntrySize;
    }
    packs.push_back(std::move(p));
  }
  if (pos != body.size()) return Status::Corruption("index has trailing bytes");
  return packs;
}

void Index::Add(const PackEntries& pack) {
  std::unique_lock lock(mu_);
  uint32_t pos;
  auto it = pack_pos_.find(pack.pack.id);
  if (it == pack_pos_.end()) {
    pos = static_cast<uint32_t>(packs_.size());
    packs_.push_back(pack.pack);
    pack_pos_.emplace(pack.pack.id, pos);
  } else {
    pos = it->second;
  }
  for (const auto& b : pack.blobs) blobs_.try_emplace(b.id, Location{pos, b});
}

std::optional<Index::Location> Index::Find(const BlobId& id) const {
  std::shared_lock lock(mu_);
  auto it = blobs_.find(id);
  if (it == blobs_.end()) return std::nullopt;
  return it->second;
}

bool Index::Has(const BlobId& id) const {
  std::shared_lock lock(mu_);
  return blobs_.count(id) != 0;
}

PackRef Index::Pack(uint32_t i) const {
  std::shared_lock lock(mu_);
  return packs_.at(i);
}

size_t Index::blob_count() const {
  std::shared_lock lock(mu_);
  return blobs_.size();
}

size_t Index::pack_count() const {
  std::shared_lock lock(mu_);
  return packs_.size();
}

std::vector<PackEntries> Index::Snapshot() const {
  std::shared_lock lock(mu_);
  std::vector<PackEntries> out(packs_.size());
  for (size_t i = 0; i < packs_.size(); ++i) out[i].pack = packs_[i];
  for (const auto& [id, loc] : blobs_) out[loc.pack].blobs.push_back(loc.entry);
  return out;
}

void Index::ForEachBlob(BlobType type,
                        const std::function<void(uint32_t, const BlobEntry&)>& fn) const {
  std::shared_lock lock(mu_);
  for (const auto& [id, loc] : blobs_) {
    if (loc.entry.type == type) fn(loc.pack, loc.entry);
  }
}

}  // namespace custos
