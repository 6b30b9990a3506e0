// BlobSaver: the write half of the backup pipeline.
//
//   SaveBlob / SaveBlobRef (any thread) -> [blob queue] -> N workers:
//   compress, then seal into the one open pack -> [pack queue] -> uploaders:
//   Save to the backend -> entries collected for the index.
//
// Memory is bounded: the blob queue holds at most `blob_queue_bytes` of
// plaintext (SaveBlobRef's stays in the caller's buffers, uncopied), and at
// most `packs_in_memory` packs are in memory at once (the open one and those
// being uploaded). Pack buffers are recycled, not reallocated, and are
// advised for huge pages (large_buffer.h). A full pack is hashed outside the
// lock the workers share, so sealing goes on while it is.
//
// Order: packs are uploaded before any index names them (Finish writes the
// index after every upload has returned), so an interrupted backup leaves
// unreferenced packs, never a dangling reference.
//
// Thread-safety: Claim, SaveBlob and SaveBlobRef may be called from many
// threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
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
  size_t packs_in_memory = 3;     // the open pack plus packs being uploaded
  size_t index_every_packs = 64;  // write an index object every N packs
  // When set, the first packs are this small and grow to the vault's pack
  // size with the data (a quarter of what was packed so far): uploads then
  // start early and overlap with chunking, and a small backup does not wait
  // for one large pack at its end; past four pack sizes, packs are full
  // size. 0: full-size packs from the start (prune's repacking).
  size_t first_pack_size = 0;
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
  // Queues a claimed blob. Blocks while the queue is full.
  void SaveBlob(BlobType type, const BlobId& id, Bytes plaintext);
  // Like SaveBlob, but the bytes stay the caller's, so they are not copied:
  // *pending is incremented when the blob is queued, and decremented (with
  // a notify, see std::atomic::wait) once the saver is done with the bytes.
  // The caller must not change them while *pending counts them.
  void SaveBlobRef(BlobType type, const BlobId& id, ByteView plaintext, std::atomic<int>* pending);
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
    Bytes data;                           // owned bytes, or
    ByteView view;                        // the caller's (SaveBlobRef)
    std::atomic<int>* pending = nullptr;  // released when done with `view`
    ByteView bytes() const { return pending ? view : ByteView(data); }
  };
  // Done with a job's bytes: hands the caller's back, or frees them.
  static void Release(Job& job);
  struct Upload {
    Bytes bytes;
    PackEntries entries;
  };
  void Worker();
  // Takes the open pack out (requires builder_mu_); null when it is empty.
  std::unique_ptr<PackBuilder> TakeFullPackLocked();
  // The size at which the open pack is flushed (requires builder_mu_).
  size_t PackTargetLocked() const;
  // Seals a taken pack and queues its upload (without builder_mu_).
  void QueueUpload(std::unique_ptr<PackBuilder> pack);
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
  std::unique_ptr<PackBuilder> pack_;  // the open pack, shared by the workers
  uint64_t packed_bytes_ = 0;          // in packs flushed so far (builder_mu_)
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
