#include "vault/restore_trees.h"

#include <algorithm>
#include <cstring>

#include "vault/pack.h"

namespace custos {
namespace {

constexpr uint64_t kMaxGap = 64 << 10;
constexpr uint64_t kMaxRun = 1 << 20;
constexpr size_t kCacheBytes = 16 << 20;
constexpr size_t kMaxQueued = 1 << 16;

uint64_t EndOf(const BlobEntry& e) { return uint64_t{e.offset} + e.length; }

std::string Short(const BlobId& id) { return ToHex(id).substr(0, 16); }

}  // namespace

TreeSource::TreeSource(Vault& vault, int threads) : vault_(vault) {
  vault_.index().ForEachBlob(BlobType::kTree, [&](uint32_t pack, const BlobEntry& e) {
    trees_by_pack_[pack].push_back(e);
  });
  for (auto& [pack, entries] : trees_by_pack_) {
    std::sort(entries.begin(), entries.end(),
              [](const BlobEntry& a, const BlobEntry& b) { return a.offset < b.offset; });
  }
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { PrefetchLoop(); });
}

TreeSource::~TreeSource() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

std::pair<uint64_t, uint64_t> TreeSource::RunAround(uint32_t pack, const BlobEntry& e) const {
  uint64_t begin = e.offset, end = EndOf(e);
  auto it = trees_by_pack_.find(pack);
  if (it == trees_by_pack_.end()) return {begin, end};
  const std::vector<BlobEntry>& v = it->second;
  auto pos = std::lower_bound(v.begin(), v.end(), e.offset,
                              [](const BlobEntry& a, uint32_t off) { return a.offset < off; });
  if (pos == v.end() || pos->offset != e.offset) return {begin, end};
  size_t lo = static_cast<size_t>(pos - v.begin()), hi = lo;
  while (lo > 0 && EndOf(v[lo - 1]) + kMaxGap >= v[lo].offset &&
         end - v[lo - 1].offset <= kMaxRun) {
    begin = v[--lo].offset;
  }
  while (hi + 1 < v.size() && v[hi + 1].offset <= end + kMaxGap &&
         EndOf(v[hi + 1]) - begin <= kMaxRun) {
    end = std::max(end, EndOf(v[++hi]));
  }
  return {begin, end};
}

bool TreeSource::FromCache(const Index::Location& loc, Bytes& out) const {
  const uint64_t off = loc.entry.offset, end = EndOf(loc.entry);
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    const Run& r = **it;
    if (r.pack != loc.pack || off < r.begin || end > r.begin + r.bytes.size()) continue;
    out.assign(r.bytes.begin() + static_cast<ptrdiff_t>(off - r.begin),
               r.bytes.begin() + static_cast<ptrdiff_t>(end - r.begin));
    return true;
  }
  return false;
}

Result<Bytes> TreeSource::Sealed(const Index::Location& loc) {
  const auto [begin, end] = RunAround(loc.pack, loc.entry);
  const RunKey key{loc.pack, begin};
  Bytes out;
  {
    std::unique_lock lock(mu_);
    for (;;) {
      if (FromCache(loc, out)) return out;
      if (!reading_.count(key)) break;
      cv_.wait(lock);  // the same run is being read: wait for it
    }
    reading_.insert(key);
  }
  const std::string name = PackObjectName(vault_.index().Pack(loc.pack).id);
  auto run = std::make_shared<Run>(Run{loc.pack, begin, {}});
  auto read = LoadIntoBuffer(vault_.backend(), name, begin, end - begin, run->bytes);
  std::lock_guard lock(mu_);
  reading_.erase(key);
  cv_.notify_all();
  if (!read.ok())
    return read.status().WithContext("pack " + name + ", blob " + Short(loc.entry.id));
  run->bytes.resize(*read);  // the buffer may be larger than what was read
  const uint64_t got = *read;
  if (EndOf(loc.entry) > begin + got) {
    return Status::Corruption("pack " + name + ", blob " + Short(loc.entry.id) +
                              ": pack is truncated");
  }
  const uint64_t from = loc.entry.offset - begin;
  out.assign(run->bytes.begin() + static_cast<ptrdiff_t>(from),
             run->bytes.begin() + static_cast<ptrdiff_t>(from + loc.entry.length));
  cached_bytes_ += got;
  runs_.push_back(std::move(run));
  while (cached_bytes_ > kCacheBytes && runs_.size() > 1) {
    cached_bytes_ -= runs_.front()->bytes.size();
    runs_.pop_front();
  }
  return out;
}

Result<Tree> TreeSource::Load(const BlobId& id) {
  auto loc = vault_.index().Find(id);
  if (!loc) return Status::NotFound("blob " + Short(id) + " is not in the index");
  if (loc->entry.type != BlobType::kTree) {
    return Status::Corruption("blob " + Short(id) + " has the wrong type");
  }
  ASSIGN_OR_RETURN(Bytes sealed, Sealed(*loc));
  const PackRef pack = vault_.index().Pack(loc->pack);
  Bytes plain;
  Status st = OpenBlob(vault_.master().encryption, pack, loc->entry, sealed, plain);
  if (st.ok() && vault_.BlobIdOf(plain) != id)
    st = Status::Corruption("content does not match its id");
  if (!st.ok()) return st.WithContext("pack " + PackObjectName(pack.id) + ", blob " + Short(id));
  auto tree = ParseTree(plain);
  if (!tree.ok()) return tree.status().WithContext("tree " + Short(id));
  return tree;
}

void TreeSource::Prefetch(const std::vector<BlobId>& ids) {
  if (threads_.empty() || ids.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (const BlobId& id : ids) {
      if (queue_.size() >= kMaxQueued) break;
      queue_.push_back(id);
    }
  }
  cv_.notify_all();
}

void TreeSource::PrefetchLoop() {
  for (;;) {
    BlobId id;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      id = queue_.front();
      queue_.pop_front();
    }
    auto loc = vault_.index().Find(id);
    if (!loc || loc->entry.type != BlobType::kTree) continue;  // Load reports it
    (void)Sealed(*loc);  // fills the cache; errors show when the walk loads it
  }
}

}  // namespace custos
