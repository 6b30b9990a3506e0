#include "vault/blob_saver.h"

#include "vault/compress.h"

namespace custos {

BlobSaver::BlobSaver(Vault& vault, const BlobSaverOptions& options)
    : vault_(vault),
      options_(options),
      jobs_(options.blob_queue_bytes),
      uploads_(options.upload_queue) {
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
  jobs_.Push(Job{type, id, std::move(plaintext)}, cost);
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

void BlobSaver::Worker() {
  PackBuilder pack(vault_.master().encryption);
  int level = vault_.config().compression;
  Bytes packed;
  auto flush = [&] {
    Upload up;
    up.entries = pack.Finish(&up.bytes);
    if (!uploads_.Push(std::move(up))) Fail(Status::Cancelled("upload queue closed"));
  };
  while (auto job = jobs_.Pop()) {
    if (failed_.load()) continue;  // drain
    bool compressed = level > 0 && CompressIfWorthIt(job->data, level, packed);
    ByteView payload = compressed ? ByteView(packed) : ByteView(job->data);
    size_t before = pack.size();
    pack.Add(job->type, job->id, payload, static_cast<uint32_t>(job->data.size()), compressed);
    added_[static_cast<int>(job->type)]++;
    bytes_added_ += job->data.size();
    bytes_stored_ += pack.size() - before;
    if (pack.size() >= vault_.config().pack_size) flush();
  }
  if (!pack.empty() && !failed_.load()) flush();
}

void BlobSaver::Uploader() {
  while (auto up = uploads_.Pop()) {
    if (failed_.load()) continue;
    std::string name = PackObjectName(up->entries.pack.id);
    BufferSource src(up->bytes, up->entries.pack.id);
    Status st = vault_.backend().Save(name, src);
    if (!st.ok()) {
      Fail(st.WithContext("saving pack " + name));
      continue;
    }
    up->bytes = Bytes();  // release memory before taking the lock
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
  uploads_.Close();
  for (auto& t : uploaders_) t.join();
  Status st = status();
  if (!st.ok()) return st;
  return WritePendingIndex(true);
}

}  // namespace custos
