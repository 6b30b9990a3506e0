// BlobSaver: the write half of the backup pipeline.
//
//   SaveBlob (any thread) -> [blob queue] -> N workers: compress, then seal
//   into the one open pack -> [pack queue] -> uploaders: Save to the backend
//   -> entries collected for the index.
//
// Memory is bounded: the blob queue holds at most `blob_queue_bytes` of
// plaintext, and at most `packs_in_memory` packs are in memory at once (the
// open one and those being uploaded). Chunk and pack buffers are recycled, not reallocated.
//
// Order: packs are uploaded before any index names them (Finish writes the
// index after every upload has returned), so an interrupted backup leaves
// unreferenced packs, never a dangling reference.
//
// Thread-safety: Claim and SaveBlob may be called from many threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "base/bounded_queue.h"
#include "base/buffer_pool.h"
#include "vault/pack.h"
#include "vault/vault.h"

namespace custos {

struct BlobSaverOptions {
  int workers = 2;
  int uploaders = 2;
  size_t blob_queue_bytes = 8u << 20;
  size_t upload_queue = 1;
  size_t packs_in_memory = 3;  // the open pack plus packs being uploaded
  size_t index_every_packs = 64;  // write an index object every N packs
};

class BlobSaver {
 public:
  // `vault` must outlive the saver; its index must be loaded.
  BlobSaver(Vault& vault, const BlobSaverOptions& options);
  ~BlobSaver();  // calls Finish if needed
  BlobSaver(const BlobSaver&) = delete;
  BlobSaver& operator=(const BlobSaver&) = delete;

  // True exactly once per id that is neither in the index nor claimed before:
  // the caller then must SaveBlob it.
  bool Claim(const BlobId& id);
  // Queues a claimed blob. Blocks while the queue is full. Buffers from
  // TakeBuffer are recycled once the blob is packed.
  void SaveBlob(BlobType type, const BlobId& id, Bytes plaintext);
  // An empty buffer with room for n bytes, from the saver's pool.
  Bytes TakeBuffer(size_t n) { return chunk_pool_.Get(n); }
  // The first error any worker met (OK so far otherwise).
  Status status() const;
  // Flushes open packs, waits for uploads, writes the final index. Returns the
  // first error. The saver cannot be used afterwards.
  Status Finish();

  uint64_t blobs_added(BlobType t) const { return added_[static_cast<int>(t)].load(); }
  uint64_t bytes_added() const { return bytes_added_.load(); }
  uint64_t bytes_stored() const { return bytes_stored_.load(); }

 private:
  struct Job {
    BlobType type;
    BlobId id;
    Bytes data;
  };
  struct Upload {
    Bytes bytes;
    PackEntries entries;
  };
  void Worker();
  void FlushPackLocked();  // requires builder_mu_
  void Uploader();
  void Fail(const Status& st);
  // Waits until fewer than packs_in_memory pack buffers are in use, then takes one.
  Bytes AcquirePackBuffer();
  void ReleasePackBuffer(Bytes b);
  Status WritePendingIndex(bool force);

  Vault& vault_;
  BlobSaverOptions options_;
  BoundedQueue<Job> jobs_;
  BoundedQueue<Upload> uploads_;
  std::vector<std::thread> workers_, uploaders_;

  std::mutex builder_mu_;
  PackBuilder pack_;  // the open pack, shared by the workers
  BufferPool chunk_pool_{4};
  BufferPool pack_pool_{4};
  std::mutex pack_mu_;
  std::condition_variable pack_cv_;
  size_t packs_in_memory_ = 0;

  std::mutex claim_mu_;
  std::unordered_set<BlobId, BlobIdHash> claimed_;

  mutable std::mutex mu_;  // guards status_ and pending_
  Status status_;
  std::vector<PackEntries> pending_;  // uploaded, not yet in an index object
  std::atomic<bool> failed_{false};
  bool finished_ = false;

  std::atomic<uint64_t> added_[2] = {0, 0};
  std::atomic<uint64_t> bytes_added_{0}, bytes_stored_{0};
};

}  // namespace custos
