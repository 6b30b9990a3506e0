#include "vault/blob_saver.h"

#include <algorithm>

#include "vault/compress.h"
#include "vault/large_buffer.h"

namespace custos {

BlobSaver::BlobSaver(Vault& vault, const BlobSaverOptions& options)
    : vault_(vault),
      options_(options),
      jobs_(options.blob_queue_bytes),
      uploads_(options.upload_queue),
      pack_(std::make_unique<PackBuilder>(vault.master().encryption)) {
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { Worker(); });
  for (int i = 0; i < options_.uploaders; ++i) uploaders_.emplace_back([this] { Uploader(); });
}

BlobSaver::~BlobSaver() {
  if (!finished_) (void)Finish();
}

bool BlobSaver::Claim(const BlobId& id) {
  if (vault_.index().Has(id)) return false;
  std::lock_guard lock(claim_mu_);
  return claimed_.insert(id).second;
}

void BlobSaver::SaveBlob(BlobType type, const BlobId& id, Bytes plaintext) {
  size_t cost = plaintext.size() + 1;
  if (failed_.load()) return;
  jobs_.Push(Job{type, id, std::move(plaintext), {}, nullptr}, cost);
}

void BlobSaver::SaveBlobRef(BlobType type, const BlobId& id, ByteView plaintext,
                            std::atomic<int>* pending) {
  if (failed_.load()) return;
  pending->fetch_add(1);
  Job job{type, id, Bytes(), plaintext, pending};
  if (!jobs_.Push(std::move(job), plaintext.size() + 1)) {
    pending->fetch_sub(1);
    pending->notify_all();
  }
}

void BlobSaver::Release(Job& job) {
  if (job.pending) {
    job.pending->fetch_sub(1);
    job.pending->notify_all();
    job.pending = nullptr;
  } else {
    job.data = Bytes();
  }
}

Status BlobSaver::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void BlobSaver::Fail(const Status& st) {
  std::lock_guard lock(mu_);
  if (status_.ok()) status_ = st;
  failed_.store(true);
}

Bytes BlobSaver::AcquirePackBuffer() {
  {
    std::unique_lock lock(pack_mu_);
    size_t limit = std::max<size_t>(1, options_.packs_in_memory);
    pack_cv_.wait(lock, [&] { return packs_in_memory_ < limit; });
    ++packs_in_memory_;
  }
  // Room for a full pack plus one maximal blob and the header, so the buffer
  // never reallocates while the pack grows.
  size_t cap = vault_.config().pack_size + vault_.config().chunker.max_size + (1u << 20);
  Bytes b = pack_pool_.Get(0);
  ReserveLarge(b, cap);
  return b;
}

void BlobSaver::ReleasePackBuffer(Bytes b) {
  pack_pool_.Put(std::move(b));
  {
    std::lock_guard lock(pack_mu_);
    --packs_in_memory_;
  }
  pack_cv_.notify_one();
}

void BlobSaver::Worker() {
  int level = vault_.config().compression;
  Bytes scratch;
  // Room for any chunk's compressed form (zstd's bound is a little over the
  // input), so the scratch never reallocates.
  const size_t max_chunk = vault_.config().chunker.max_size;
  ReserveLarge(scratch, max_chunk + max_chunk / 128 + (64u << 10));
  while (auto job = jobs_.Pop()) {
    if (failed_.load()) {  // drain
      Release(*job);
      continue;
    }
    // Compression runs in parallel; sealing into the shared pack is quick
    // (AES-GCM runs at several GB/s) and happens under the lock. A full pack
    // is hashed and queued outside it.
    const ByteView data = job->bytes();
    size_t n = level > 0 ? CompressIfWorthIt(data, level, scratch) : 0;
    ByteView payload = n ? ByteView(scratch.data(), n) : data;
    std::unique_ptr<PackBuilder> full;
    {
      std::lock_guard lock(builder_mu_);
      if (!pack_->started()) pack_->Start(AcquirePackBuffer());
      size_t before = pack_->size();
      pack_->Add(job->type, job->id, payload, static_cast<uint32_t>(data.size()), n != 0);
      bytes_stored_ += pack_->size() - before;
      if (pack_->size() >= PackTargetLocked()) full = TakeFullPackLocked();
    }
    added_[static_cast<int>(job->type)]++;
    bytes_added_ += data.size();
    Release(*job);  // sealed: the plaintext is no longer needed
    if (full) QueueUpload(std::move(full));
  }
}

size_t BlobSaver::PackTargetLocked() const {
  const size_t full = vault_.config().pack_size;
  if (options_.first_pack_size == 0) return full;
  const size_t first = std::min(full, options_.first_pack_size);
  return std::clamp<size_t>(packed_bytes_ / 4, first, full);
}

std::unique_ptr<PackBuilder> BlobSaver::TakeFullPackLocked() {
  if (!pack_->started() || pack_->empty()) return nullptr;
  packed_bytes_ += pack_->size();
  auto full = std::move(pack_);
  pack_ = std::make_unique<PackBuilder>(vault_.master().encryption);
  return full;
}

void BlobSaver::QueueUpload(std::unique_ptr<PackBuilder> pack) {
  Upload up;
  up.entries = pack->Finish(&up.bytes);  // hashes the whole pack
  if (!uploads_.Push(std::move(up))) Fail(Status::Cancelled("upload queue closed"));
}

void BlobSaver::Uploader() {
  while (auto up = uploads_.Pop()) {
    if (failed_.load()) {
      ReleasePackBuffer(std::move(up->bytes));
      continue;
    }
    std::string name = PackObjectName(up->entries.pack.id);
    BufferSource src(up->bytes, up->entries.pack.id);
    Status st = vault_.backend().Save(name, src);
    ReleasePackBuffer(std::move(up->bytes));
    if (!st.ok()) {
      Fail(st.WithContext("saving pack " + name));
      continue;
    }
    vault_.index().Add(up->entries);
    bool write_index;
    {
      std::lock_guard lock(mu_);
      pending_.push_back(std::move(up->entries));
      write_index = pending_.size() >= options_.index_every_packs;
    }
    if (write_index) {
      st = WritePendingIndex(false);
      if (!st.ok()) Fail(st);
    }
  }
}

Status BlobSaver::WritePendingIndex(bool force) {
  std::vector<PackEntries> packs;
  {
    std::lock_guard lock(mu_);
    if (pending_.empty() || (!force && pending_.size() < options_.index_every_packs)) {
      return Status::OK();
    }
    packs.swap(pending_);
  }
  auto name = vault_.SaveIndex(packs);
  return name.ok() ? Status::OK() : name.status();
}

Status BlobSaver::Finish() {
  if (finished_) return status();
  finished_ = true;
  jobs_.Close();
  for (auto& t : workers_) t.join();
  std::unique_ptr<PackBuilder> last;
  {
    std::lock_guard lock(builder_mu_);
    if (!failed_.load()) last = TakeFullPackLocked();
  }
  if (last) QueueUpload(std::move(last));
  uploads_.Close();
  for (auto& t : uploaders_) t.join();
  Status st = status();
  if (!st.ok()) return st;
  return WritePendingIndex(true);
}

}  // namespace custos
