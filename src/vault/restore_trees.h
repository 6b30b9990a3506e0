// TreeSource: the directory trees a restore walks, read with few requests.
//
// Trees are small, and a backup seals them close together (a directory's
// tree right after its files' data, parents after their children), so a
// request for one tree reads the whole run of tree blobs around it in the
// same pack (the index says where they are: gaps of at most 64 KiB, 1 MiB
// at most), and the trees of that run cost no further request. Prefetch
// loads subtrees on a few threads while the walk goes on. Every tree is
// authenticated, checked against its id and parsed when Load takes it.
//
// Contract
// - The vault's index must be loaded and must not change meanwhile.
// - Load and Prefetch may be called from any thread. Load errors are those
//   of Vault::LoadTree (they name the tree, and the pack and blob).
// - Memory: fetched runs are cached up to 16 MiB (oldest dropped first);
//   the prefetch queue is bounded.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "vault/vault.h"

namespace custos {

class TreeSource {
 public:
  // `vault` must outlive the source. `threads` prefetch (0: none).
  TreeSource(Vault& vault, int threads);
  ~TreeSource();  // stops prefetching (waits for requests in flight)
  TreeSource(const TreeSource&) = delete;
  TreeSource& operator=(const TreeSource&) = delete;

  Result<Tree> Load(const BlobId& id);
  // Starts reading these trees in the background; Load then finds them.
  void Prefetch(const std::vector<BlobId>& ids);

 private:
  struct Run {  // sealed bytes [begin, begin + bytes.size()) of a pack
    uint32_t pack;
    uint64_t begin;
    Bytes bytes;
  };
  using RunKey = std::pair<uint32_t, uint64_t>;  // pack, first byte

  // The byte range to read for the tree at `e` in `pack`: the run of tree
  // blobs around it.
  std::pair<uint64_t, uint64_t> RunAround(uint32_t pack, const BlobEntry& e) const;
  // The sealed bytes of the blob at `loc`: from a cached run, from a read in
  // flight, or read now.
  Result<Bytes> Sealed(const Index::Location& loc);
  // Copies the blob out of a cached run (requires mu_); false when no run has it.
  bool FromCache(const Index::Location& loc, Bytes& out) const;
  void PrefetchLoop();

  Vault& vault_;
  std::unordered_map<uint32_t, std::vector<BlobEntry>> trees_by_pack_;  // by offset
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<const Run>> runs_;
  size_t cached_bytes_ = 0;
  std::set<RunKey> reading_;
  std::deque<BlobId> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace custos
