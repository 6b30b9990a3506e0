#include "vault/restorer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "base/fs.h"
#include "vault/archiver.h"
#include "vault/restore_fetch.h"
#include "vault/restore_trees.h"

namespace custos {

Status WalkSnapshot(Vault& vault, const BlobId& tree,
                    const std::function<Status(const std::string&, const Node&)>& fn) {
  std::function<Status(const std::string&, const BlobId&)> walk = [&](const std::string& dir,
                                                                      const BlobId& id) {
    ASSIGN_OR_RETURN(Tree t, vault.LoadTree(id));
    for (const Node& n : t.nodes) {
      std::string path = dir == "/" ? "/" + n.name : dir + "/" + n.name;
      RETURN_IF_ERROR(fn(path, n));
      if (n.type == NodeType::kDir && n.subtree) RETURN_IF_ERROR(walk(path, *n.subtree));
    }
    return Status::OK();
  };
  return walk("/", tree);
}

namespace {

struct Entry {
  std::string path;    // within the snapshot
  std::string target;  // on disk
  Node node;
  std::atomic<int64_t> blobs_left{0};
  std::atomic<bool> failed{false};
  const Entry* link_to = nullptr;  // hard link to an earlier entry
};

// Where one content blob goes: a file and the offset in its data stream.
struct BlobUse {
  Entry* file;
  uint64_t file_offset;
};

// Maps the position of each content blob to a file offset, skipping holes.
std::vector<uint64_t> BlobOffsets(Vault& vault, const Node& n, bool* ok) {
  std::vector<uint64_t> out;
  out.reserve(n.content.size());
  std::vector<std::pair<uint64_t, uint64_t>> data;  // regions
  uint64_t pos = 0;
  for (auto [off, len] : n.holes) {
    if (off > pos) data.emplace_back(pos, off - pos);
    pos = off + len;
  }
  if (n.size > pos) data.emplace_back(pos, n.size - pos);
  size_t region = 0;
  uint64_t in_region = 0;
  *ok = true;
  for (const BlobId& id : n.content) {
    auto loc = vault.index().Find(id);
    if (!loc) {
      *ok = false;
      return out;
    }
    // A blob may run past the end of a region (the archiver chunks the
    // concatenated data regions): carry the overflow into the next ones.
    while (region < data.size() && in_region >= data[region].second) {
      in_region -= data[region].second;
      ++region;
    }
    uint64_t off = region < data.size() ? data[region].first + in_region : n.size;
    out.push_back(off);
    in_region += loc->entry.raw_length;
  }
  return out;
}

class Restorer : public BlobConsumer {
 public:
  Restorer(Vault& vault, const Snapshot& snap, const RestoreOptions& opts)
      : vault_(vault), snap_(snap), opts_(opts) {}
  Result<RestoreStats> Run();

  // BlobConsumer: the fetcher hands over verified blobs (worker threads).
  bool Wanted(uint64_t use) override { return !uses_[use].file->failed.load(); }
  void Deliver(uint64_t use, ByteView plaintext) override;
  void Failed(uint64_t use, const Status& st) override { Fail(*uses_[use].file, st); }

 private:
  Status Collect();
  void CreateEntries();
  void RestoreContent();
  Status WriteBlob(Entry& e, uint64_t stream_offset, ByteView data);
  void FinishFile(Entry& e);
  void Fail(Entry& e, const Status& st);
  void ApplyMetadata(const Entry& e);
  bool Included(const std::string& path) const;
  int FetchWorkers() const {
    return opts_.workers > 0 ? opts_.workers
                             : std::clamp(vault_.backend().Properties().connections, 2, 4);
  }

  Vault& vault_;
  const Snapshot& snap_;
  const RestoreOptions& opts_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<BlobUse> uses_;  // indexed by the fetcher's cookies
  std::mutex stats_mu_;
  RestoreStats stats_;
  bool as_root_ = geteuid() == 0;
};

bool Restorer::Included(const std::string& path) const {
  if (opts_.includes.empty()) return true;
  for (const auto& p : opts_.includes)
    if (MatchesPattern(p, path)) return true;
  return false;
}

Status Restorer::Collect() {
  TreeSource trees(vault_, FetchWorkers());
  // included: the entry or one of its ancestors matched; ancestors of
  // included entries are restored too.
  std::function<Result<bool>(const std::string&, const BlobId&, bool)> walk =
      [&](const std::string& dir, const BlobId& id, bool parent_included) -> Result<bool> {
    ASSIGN_OR_RETURN(Tree t, trees.Load(id));
    std::vector<BlobId> subtrees;
    for (const Node& n : t.nodes) {
      if (n.type == NodeType::kDir && n.subtree) subtrees.push_back(*n.subtree);
    }
    trees.Prefetch(subtrees);
    bool any = false;
    for (Node& n : t.nodes) {
      std::string path = dir == "/" ? "/" + n.name : dir + "/" + n.name;
      bool inc = parent_included || Included(path);
      size_t pos = entries_.size();
      auto e = std::make_unique<Entry>();
      e->path = path;
      e->target = opts_.target + path;
      bool is_dir = n.type == NodeType::kDir;
      std::optional<BlobId> sub = n.subtree;
      e->node = std::move(n);
      e->node.content.shrink_to_fit();
      entries_.push_back(std::move(e));
      bool keep = inc;
      if (is_dir && sub) {
        ASSIGN_OR_RETURN(bool below, walk(path, *sub, inc));
        keep = keep || below;
      }
      if (!keep) {
        // Drop this entry and anything below it.
        entries_.resize(pos);
      }
      any = any || keep;
    }
    return any;
  };
  auto r = walk("/", snap_.tree, false);
  return r.ok() ? Status::OK() : r.status();
}

void Restorer::Fail(Entry& e, const Status& st) {
  if (e.failed.exchange(true)) return;
  {
    std::lock_guard lock(stats_mu_);
    stats_.errors++;
  }
  if (opts_.progress) opts_.progress->errors++;
  if (opts_.on_error) opts_.on_error(e.path, st);
}

void Restorer::CreateEntries() {
  std::map<std::pair<uint64_t, uint64_t>, Entry*> inodes;
  for (auto& ep : entries_) {
    Entry& e = *ep;
    const Node& n = e.node;
    Status s;
    switch (n.type) {
      case NodeType::kDir:
        if (mkdir(e.target.c_str(), 0700) != 0 && errno != EEXIST)
          s = Status::FromErrno(errno, "mkdir");
        break;
      case NodeType::kSymlink:
        unlink(e.target.c_str());
        if (symlink(n.link_target.c_str(), e.target.c_str()) != 0)
          s = Status::FromErrno(errno, "symlink");
        break;
      case NodeType::kFifo:
        unlink(e.target.c_str());
        if (mkfifo(e.target.c_str(), 0600) != 0) s = Status::FromErrno(errno, "mkfifo");
        break;
      case NodeType::kCharDev:
      case NodeType::kBlockDev: {
        unlink(e.target.c_str());
        mode_t type = n.type == NodeType::kCharDev ? S_IFCHR : S_IFBLK;
        if (mknod(e.target.c_str(), type | 0600, static_cast<dev_t>(n.rdev)) != 0) {
          s = Status::FromErrno(errno, "mknod");
        }
        break;
      }
      case NodeType::kSocket:
        break;  // sockets are not restorable; their metadata is kept in the snapshot
      case NodeType::kFile: {
        if (n.links > 1) {
          auto key = std::make_pair(n.device, n.inode);
          auto it = inodes.find(key);
          if (it != inodes.end()) {
            e.link_to = it->second;
            break;
          }
          inodes[key] = &e;
        }
        unlink(e.target.c_str());
        UniqueFd fd(
            open(e.target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd.valid()) {
          s = Status::FromErrno(errno, "create");
        } else if (n.size > 0 && ftruncate(fd.get(), static_cast<off_t>(n.size)) != 0) {
          s = Status::FromErrno(errno, "truncate");
        }
        break;
      }
    }
    if (!s.ok()) Fail(e, s);
  }
}

Status Restorer::WriteBlob(Entry& e, uint64_t file_offset, ByteView data) {
  UniqueFd fd(open(e.target.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return Status::FromErrno(errno, "open");
  // Split the write around holes: the stream position maps to data regions.
  const Node& n = e.node;
  uint64_t off = file_offset;
  size_t done = 0;
  while (done < data.size()) {
    // Skip a hole starting at off.
    for (auto [h, len] : n.holes) {
      if (off >= h && off < h + len) off = h + len;
    }
    uint64_t limit = n.size;
    for (auto [h, len] : n.holes) {
      (void)len;
      if (h > off && h < limit) limit = h;
    }
    size_t piece = static_cast<size_t>(std::min<uint64_t>(data.size() - done, limit - off));
    if (piece == 0) return Status::Corruption("file content exceeds its recorded size");
    RETURN_IF_ERROR(PWriteAll(fd.get(), data.subspan(done, piece), off, "write"));
    done += piece;
    off += piece;
  }
  return Status::OK();
}

void Restorer::Deliver(uint64_t use, ByteView plaintext) {
  BlobUse& u = uses_[use];
  Status st = WriteBlob(*u.file, u.file_offset, plaintext);
  if (!st.ok()) {
    Fail(*u.file, st);
    return;
  }
  if (opts_.progress) opts_.progress->bytes += plaintext.size();
  if (u.file->blobs_left.fetch_sub(1) == 1) FinishFile(*u.file);
}

void Restorer::FinishFile(Entry& e) {
  if (e.failed.load()) return;
  ApplyMetadata(e);
  if (opts_.progress) opts_.progress->files++;
  std::lock_guard lock(stats_mu_);
  stats_.files++;
  stats_.bytes += e.node.size;
}

void Restorer::ApplyMetadata(const Entry& e) {
  const Node& n = e.node;
  const char* p = e.target.c_str();
  if (as_root_) {
    if (lchown(p, n.uid, n.gid) != 0) { /* best effort, like restic */
    }
  }
  if (n.type != NodeType::kSymlink) chmod(p, n.mode);
  // Floor division: times before 1970 have a negative second and a
  // nanosecond field in [0, 1e9).
  auto to_ts = [](int64_t ns) {
    struct timespec t;
    int64_t sec = ns / 1000000000, rem = ns % 1000000000;
    if (rem < 0) {
      rem += 1000000000;
      --sec;
    }
    t.tv_sec = static_cast<time_t>(sec);
    t.tv_nsec = static_cast<long>(rem);
    return t;
  };
  struct timespec ts[2] = {to_ts(n.atime_ns), to_ts(n.mtime_ns)};
  utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW);
}

void Restorer::RestoreContent() {
  // Plan: which blob of which pack goes where.
  std::vector<BlobWant> wants;
  for (auto& ep : entries_) {
    Entry& e = *ep;
    if (e.node.type != NodeType::kFile || e.link_to || e.failed.load()) continue;
    if (opts_.progress) opts_.progress->total_bytes += e.node.size;
    bool ok = true;
    auto offsets = BlobOffsets(vault_, e.node, &ok);
    if (!ok) {
      Fail(e, Status::NotFound("a content blob is missing from the index"));
      continue;
    }
    e.blobs_left = static_cast<int64_t>(e.node.content.size());
    if (e.node.content.empty()) {
      FinishFile(e);
      continue;
    }
    for (size_t k = 0; k < e.node.content.size(); ++k) {
      auto loc = vault_.index().Find(e.node.content[k]);
      wants.push_back(BlobWant{loc->pack, loc->entry, uses_.size()});
      uses_.push_back(BlobUse{&e, offsets[k]});
    }
  }
  FetchOptions fetch;
  fetch.workers = FetchWorkers();
  FetchBlobs(vault_, std::move(wants), fetch, *this);
  uses_.clear();
  uses_.shrink_to_fit();
}

Result<RestoreStats> Restorer::Run() {
  RETURN_IF_ERROR(Collect());
  RETURN_IF_ERROR(MakeDirs(opts_.target, 0700));
  CreateEntries();
  RestoreContent();
  // Files that failed are removed rather than left with wrong content.
  for (auto& ep : entries_) {
    Entry& e = *ep;
    if (e.node.type == NodeType::kFile && e.failed.load() && !e.link_to) unlink(e.target.c_str());
  }
  for (auto& ep : entries_) {
    Entry& e = *ep;
    if (e.link_to) {
      if (e.link_to->failed.load()) {
        Fail(e, Status::IOError("hard link target could not be restored"));
        continue;
      }
      unlink(e.target.c_str());
      if (link(e.link_to->target.c_str(), e.target.c_str()) != 0) {
        Fail(e, Status::FromErrno(errno, "link"));
        continue;
      }
      std::lock_guard lock(stats_mu_);
      stats_.files++;
    } else if (e.node.type != NodeType::kFile && e.node.type != NodeType::kDir) {
      if (!e.failed.load() && e.node.type != NodeType::kSocket) {
        ApplyMetadata(e);
        std::lock_guard lock(stats_mu_);
        stats_.other++;
      }
    }
  }
  // Directories last, deepest first, so their mtimes stick.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    Entry& e = **it;
    if (e.node.type == NodeType::kDir && !e.failed.load()) {
      ApplyMetadata(e);
      stats_.dirs++;
    }
  }
  return stats_;
}

}  // namespace

Result<RestoreStats> RunRestore(Vault& vault, const Snapshot& snap, const RestoreOptions& options) {
  Restorer r(vault, snap, options);
  return r.Run();
}

}  // namespace custos
