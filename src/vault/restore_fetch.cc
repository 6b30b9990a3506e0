#include "vault/restore_fetch.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "vault/large_buffer.h"
#include "vault/pack.h"

namespace custos {
namespace {

// One request: bytes [begin, end) of a pack, holding wants[first, last).
struct Range {
  uint32_t pack = 0;
  uint64_t begin = 0, end = 0;
  size_t first = 0, last = 0;
};

uint64_t EndOf(const BlobEntry& e) { return uint64_t{e.offset} + e.length; }

// Gaps between wanted blobs are read (and dropped) in pieces of this size.
constexpr size_t kSkipChunk = 256 << 10;

// `wants` sorted by pack and offset.
std::vector<Range> PlanRanges(const std::vector<BlobWant>& wants, const FetchOptions& o) {
  std::vector<Range> out;
  for (size_t i = 0; i < wants.size();) {
    Range r{wants[i].pack, wants[i].entry.offset, EndOf(wants[i].entry), i, i + 1};
    size_t j = i + 1;
    for (; j < wants.size() && wants[j].pack == r.pack; ++j) {
      const BlobEntry& e = wants[j].entry;
      const uint64_t end = EndOf(e);
      if (end > r.end && (e.offset > r.end + o.max_gap || end - r.begin > o.max_range)) break;
      r.end = std::max(r.end, end);
    }
    r.last = j;
    out.push_back(r);
    i = j;
  }
  return out;
}

class Fetcher {
 public:
  Fetcher(Vault& vault, std::vector<BlobWant> wants, const FetchOptions& options,
          BlobConsumer& consumer)
      : vault_(vault), wants_(std::move(wants)), options_(options), consumer_(consumer) {}

  void Run() {
    std::stable_sort(wants_.begin(), wants_.end(), [](const BlobWant& a, const BlobWant& b) {
      return a.pack != b.pack ? a.pack < b.pack : a.entry.offset < b.entry.offset;
    });
    ranges_ = PlanRanges(wants_, options_);
    const size_t n = std::min<size_t>(std::max(1, options_.workers), ranges_.size());
    std::vector<std::thread> threads;
    for (size_t i = 1; i < n; ++i) threads.emplace_back([this] { Worker(); });
    Worker();
    for (auto& t : threads) t.join();
  }

 private:
  void Worker() {
    LargeBuffer sealed, plain;
    for (size_t i; (i = next_range_.fetch_add(1)) < ranges_.size();) {
      ReadRange(ranges_[i], sealed, plain);
    }
  }

  void ReadRange(const Range& r, LargeBuffer& sealed, LargeBuffer& plain);
  // Opens the blob that wants[k, m) share (its sealed bytes are `sealed`) and
  // hands it to every consumer that still wants it.
  void OpenAndDeliver(size_t k, size_t m, std::span<uint8_t> sealed, LargeBuffer& plain,
                      const Key256& key, const std::string& pack_name);
  void FailAll(size_t k, size_t m, const Status& st) {
    for (size_t i = k; i < m; ++i) {
      if (consumer_.Wanted(wants_[i].cookie)) consumer_.Failed(wants_[i].cookie, st);
    }
  }

  Vault& vault_;
  std::vector<BlobWant> wants_;
  const FetchOptions& options_;
  BlobConsumer& consumer_;
  std::vector<Range> ranges_;
  std::atomic<size_t> next_range_{0};
};

void Fetcher::ReadRange(const Range& r, LargeBuffer& sealed, LargeBuffer& plain) {
  const PackRef pack = vault_.index().Pack(r.pack);
  const std::string name = PackObjectName(pack.id);
  // One blob at a time is held, so the buffers are as large as the largest
  // blob, not the range: less memory to touch, and it stays warm.
  uint32_t largest_sealed = 0, largest_plain = 0;
  for (size_t i = r.first; i < r.last; ++i) {
    const BlobEntry& e = wants_[i].entry;
    largest_sealed = std::max(largest_sealed, e.length);
    if (e.flags & kBlobCompressed) largest_plain = std::max(largest_plain, e.raw_length);
  }
  if (!sealed.Reserve(std::max<size_t>(largest_sealed, kSkipChunk)) ||
      !plain.Reserve(largest_plain)) {
    FailAll(r.first, r.last, Status::Internal("out of memory reading pack " + name));
    return;
  }
  Key256 key = PackKey(vault_.master().encryption, pack.salt);
  size_t next = r.first;  // the first want not handed out yet; survives a retry
  Status st = vault_.backend().Load(name, r.begin, r.end - r.begin, [&](Reader& reader) -> Status {
    uint64_t pos = 0;  // a retried read starts again at the range's first byte
    while (next < r.last) {
      const BlobEntry& e = wants_[next].entry;
      // Skip what lies before the blob: a gap, or blobs a failed attempt
      // already delivered.
      while (pos < e.offset - r.begin) {
        const size_t want =
            static_cast<size_t>(std::min<uint64_t>(sealed.capacity(), e.offset - r.begin - pos));
        ASSIGN_OR_RETURN(size_t n, reader.Read(sealed.data(), want));
        if (n == 0) return Status::OK();  // truncated: reported below
        pos += n;
      }
      size_t filled = 0;
      while (filled < e.length) {
        ASSIGN_OR_RETURN(size_t n, reader.Read(sealed.data() + filled, e.length - filled));
        if (n == 0) return Status::OK();
        filled += n;
        pos += n;
      }
      size_t m = next + 1;
      while (m < r.last && wants_[m].entry.offset == e.offset) ++m;
      OpenAndDeliver(next, m, std::span<uint8_t>(sealed.data(), e.length), plain, key, name);
      next = m;
    }
    return Status::OK();
  });
  SecureWipe(key.data(), key.size());
  if (next < r.last) {
    const BlobEntry& e = wants_[next].entry;
    Status why = st.ok() ? Status::Corruption("pack is truncated") : st;
    FailAll(next, r.last, why.WithContext("pack " + name + ", blob " + ToHex(e.id).substr(0, 16)));
  }
}

void Fetcher::OpenAndDeliver(size_t k, size_t m, std::span<uint8_t> sealed, LargeBuffer& plain,
                             const Key256& key, const std::string& pack_name) {
  bool wanted = false;
  for (size_t i = k; i < m && !wanted; ++i) wanted = consumer_.Wanted(wants_[i].cookie);
  if (!wanted) return;
  const BlobEntry& e = wants_[k].entry;
  auto opened = OpenBlobInPlace(key, e, sealed, std::span<uint8_t>(plain.data(), plain.capacity()));
  Status st = opened.status();
  if (st.ok() && vault_.BlobIdOf(*opened) != e.id) {
    st = Status::Corruption("content does not match its id");
  }
  if (!st.ok()) {
    FailAll(k, m, st.WithContext("pack " + pack_name + ", blob " + ToHex(e.id).substr(0, 16)));
    return;
  }
  for (size_t i = k; i < m; ++i) {
    if (consumer_.Wanted(wants_[i].cookie)) consumer_.Deliver(wants_[i].cookie, *opened);
  }
}

}  // namespace

void FetchBlobs(Vault& vault, std::vector<BlobWant> wants, const FetchOptions& options,
                BlobConsumer& consumer) {
  Fetcher(vault, std::move(wants), options, consumer).Run();
}

}  // namespace custos
