#include "audit/audit_log.h"

#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "audit/checkpoint_log.h"
#include "audit/signing.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/thread_name.h"
#include "journal/merkle.h"
#include "journal/tlog_proof.h"

namespace custos::audit {

namespace {

class AuditLogImpl final : public AuditLog {
 public:
  AuditLogImpl(records::RecordsStore& store, LogSigner signer, std::unique_ptr<CheckpointLog> log,
               const AuditLogOptions& options)
      : store_(store),
        signer_(std::move(signer)),
        log_(std::move(log)),
        interval_(options.checkpoint_interval),
        before_store_(options.before_checkpoint_store) {}

  ~AuditLogImpl() override {
    store_.SetCommitListener(nullptr);
    {
      std::lock_guard<std::mutex> lock(thread_mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  Status Start(const std::vector<std::string>& stored_notes) {
    // Listen first, then load what is already committed: an entry committed
    // in between is either loaded or delivered, and Follow skips duplicates.
    store_.SetCommitListener(
        [this](std::span<const records::CommittedEntry> entries) { Follow(entries); });
    {
      std::lock_guard<std::mutex> lock(append_mu_);
      RETURN_IF_ERROR(CatchUpLocked(store_.LastSeq()));
    }
    if (!stored_notes.empty()) {
      ASSIGN_OR_RETURN(ParsedCheckpoint cp, signer_.Open(stored_notes.back()));
      if (cp.size > tree_.Size()) {
        return Status::Corruption("the last checkpoint covers " + std::to_string(cp.size) +
                                  " entries but the journal holds only " +
                                  std::to_string(tree_.Size()));
      }
      ASSIGN_OR_RETURN(Hash256 root, tree_.Root(cp.size));
      if (root != cp.root) {
        return Status::Corruption("the last checkpoint (size " + std::to_string(cp.size) +
                                  ") does not match the journal");
      }
      latest_ = Checkpoint{cp.size, cp.root, stored_notes.back()};
      have_latest_ = true;
    }
    thread_ = std::thread([this] {
      SetThreadName("custos-audit");
      Run();
    });
    return Status::OK();
  }

  uint64_t Size() const override { return tree_.Size(); }
  const std::string& Origin() const override { return signer_.origin(); }
  const std::string& VerifierKey() const override { return signer_.verifier_key(); }
  Result<Hash256> Root(uint64_t size) const override { return tree_.Root(size); }

  Result<Checkpoint> LatestCheckpoint(bool fresh) override {
    {
      std::lock_guard<std::mutex> lock(cp_mu_);
      if (have_latest_ && !fresh) return latest_;
    }
    return CheckpointNow();
  }

  Result<Checkpoint> CheckpointNow() override {
    {
      // Never sign a tree that missed entries.
      std::lock_guard<std::mutex> lock(append_mu_);
      RETURN_IF_ERROR(failed_);
    }
    std::lock_guard<std::mutex> lock(cp_mu_);
    uint64_t size = tree_.Size();
    if (have_latest_ && latest_.size == size) return latest_;
    Result<Checkpoint> cp = SignLocked(size);
    if (!cp.ok()) {
      if (sign_error_.ok()) {
        // Once per failing streak: the error names the file and the errno,
        // never an entry's content.
        LogError("audit checkpoint not stored; retrying every interval",
                 {{"tree_size", std::to_string(size)}, {"error", cp.status().ToString()}});
      }
      sign_error_ = cp.status();
      return cp.status();
    }
    if (!sign_error_.ok()) {
      LogInfo("audit checkpoint stored again", {{"tree_size", std::to_string(size)}});
      sign_error_ = Status::OK();
    }
    latest_ = std::move(*cp);
    have_latest_ = true;
    return latest_;
  }

  Status Problem() const override {
    {
      std::lock_guard<std::mutex> lock(append_mu_);
      if (!failed_.ok()) return failed_;
    }
    std::lock_guard<std::mutex> lock(cp_mu_);
    return sign_error_;
  }

  uint64_t CheckpointSize() const override {
    std::lock_guard<std::mutex> lock(cp_mu_);
    return have_latest_ ? latest_.size : 0;
  }

  Result<InclusionProof> Inclusion(uint64_t seq, uint64_t tree_size) const override {
    if (seq == 0 || seq > tree_size || tree_size > tree_.Size()) {
      return Status::InvalidArgument("no entry " + std::to_string(seq) + " in a tree of size " +
                                     std::to_string(tree_size) + " (the log holds " +
                                     std::to_string(tree_.Size()) + ")");
    }
    InclusionProof p;
    p.seq = seq;
    p.index = seq - 1;
    p.tree_size = tree_size;
    ASSIGN_OR_RETURN(p.leaf_hash, tree_.LeafHash(p.index));
    ASSIGN_OR_RETURN(p.root, tree_.Root(tree_size));
    ASSIGN_OR_RETURN(p.hashes, tree_.InclusionProof(p.index, tree_size));
    return p;
  }

  Result<ConsistencyProof> Consistency(uint64_t from_size, uint64_t to_size) const override {
    if (from_size > to_size || to_size > tree_.Size()) {
      return Status::InvalidArgument("no consistency proof from size " + std::to_string(from_size) +
                                     " to " + std::to_string(to_size) + " (the log holds " +
                                     std::to_string(tree_.Size()) + ")");
    }
    ConsistencyProof p;
    p.from_size = from_size;
    p.to_size = to_size;
    ASSIGN_OR_RETURN(p.from_root, tree_.Root(from_size));
    ASSIGN_OR_RETURN(p.to_root, tree_.Root(to_size));
    ASSIGN_OR_RETURN(p.hashes, tree_.ConsistencyProof(from_size, to_size));
    return p;
  }

  Result<std::string> TlogProof(uint64_t seq) override {
    ASSIGN_OR_RETURN(Checkpoint cp, LatestCheckpoint(true));
    ASSIGN_OR_RETURN(InclusionProof p, Inclusion(seq, cp.size));
    journal::TlogProof proof;
    proof.index = p.index;
    proof.hashes = std::move(p.hashes);
    proof.checkpoint = cp.note;
    return journal::FormatTlogProof(proof);
  }

 private:
  // Requires append_mu_. Loads entries Size()+1..to_seq from the store.
  Status CatchUpLocked(uint64_t to_seq) {
    uint64_t from = tree_.Size() + 1;
    if (to_seq < from) return Status::OK();
    std::vector<Hash256> batch;
    batch.reserve(std::min<uint64_t>(to_seq - from + 1, 1 << 16));
    uint64_t expect = from;
    Status gap;
    RETURN_IF_ERROR(store_.ReadLeafHashes(from, to_seq, [&](uint64_t seq, const Hash256& h) {
      if (seq != expect && gap.ok()) {
        gap = Status::Corruption("journal seq " + std::to_string(expect) + " is missing");
      }
      expect = seq + 1;
      batch.push_back(h);
      if (batch.size() == (1 << 16)) {
        tree_.AppendBatch(batch);
        batch.clear();
      }
    }));
    RETURN_IF_ERROR(gap);
    if (!batch.empty()) tree_.AppendBatch(batch);
    if (tree_.Size() != to_seq) {
      return Status::Corruption("journal ends at seq " + std::to_string(tree_.Size()) +
                                ", expected " + std::to_string(to_seq));
    }
    return Status::OK();
  }

  void Follow(std::span<const records::CommittedEntry> entries) {
    if (entries.empty()) return;
    std::lock_guard<std::mutex> lock(append_mu_);
    uint64_t size = tree_.Size();
    if (entries.front().seq > size + 1) {
      // Committed while Start was loading: fetch what lies between.
      Status st = CatchUpLocked(entries.front().seq - 1);
      if (!st.ok()) {
        if (failed_.ok()) {
          LogError("audit log missed journal entries; checkpoints stop until it catches up",
                   {{"tree_size", std::to_string(tree_.Size())}, {"error", st.ToString()}});
        }
        failed_ = st;
        return;
      }
      failed_ = Status::OK();  // the tree holds every entry again
      size = tree_.Size();
    }
    std::vector<Hash256> hashes;
    hashes.reserve(entries.size());
    for (const auto& e : entries) {
      if (e.seq <= size) continue;  // already loaded
      hashes.push_back(e.leaf_hash);
    }
    if (!hashes.empty()) tree_.AppendBatch(hashes);
    grown_.store(true, std::memory_order_release);
  }

  // Signs and stores a checkpoint of the first `size` leaves (cp_mu_ held).
  Result<Checkpoint> SignLocked(uint64_t size) {
    ASSIGN_OR_RETURN(Hash256 root, tree_.Root(size));
    ASSIGN_OR_RETURN(std::string note, signer_.Sign(size, root));
    if (before_store_) RETURN_IF_ERROR(before_store_());
    RETURN_IF_ERROR(log_->Append(note));
    return Checkpoint{size, root, std::move(note)};
  }

  void Run() {
    std::unique_lock<std::mutex> lock(thread_mu_);
    while (!stop_) {
      cv_.wait_for(lock, interval_, [this] { return stop_; });
      if (stop_) break;
      if (!grown_.exchange(false, std::memory_order_acq_rel)) continue;
      lock.unlock();
      // A failure (a full disk) is retried on the next tick, even when no
      // entry arrives meanwhile: the entries it left unsigned still count.
      if (!CheckpointNow().ok()) grown_.store(true, std::memory_order_release);
      lock.lock();
    }
  }

  records::RecordsStore& store_;
  LogSigner signer_;
  std::unique_ptr<CheckpointLog> log_;
  std::chrono::milliseconds interval_;
  std::function<Status()> before_store_;
  journal::MerkleTree tree_;

  mutable std::mutex append_mu_;
  Status failed_;

  mutable std::mutex cp_mu_;
  Checkpoint latest_;
  bool have_latest_ = false;
  Status sign_error_;  // the last signing attempt's error (OK once one succeeds)

  std::atomic<bool> grown_{false};
  std::mutex thread_mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::Open(records::RecordsStore& store,
                                                 const AuditLogOptions& options) {
  ASSIGN_OR_RETURN(LogSigner signer, LoadOrCreateSigner(options.data_dir, options.origin));
  std::vector<std::string> notes;
  ASSIGN_OR_RETURN(
      auto log, CheckpointLog::Open(JoinPath(options.data_dir, "audit/checkpoints.log"), &notes));
  auto impl = std::make_unique<AuditLogImpl>(store, std::move(signer), std::move(log), options);
  RETURN_IF_ERROR(impl->Start(notes));
  return std::unique_ptr<AuditLog>(std::move(impl));
}

}  // namespace custos::audit
