#include "vault/archiver.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "base/bounded_queue.h"
#include "base/fs.h"
#include "vault/blob_saver.h"
#include "vault/large_buffer.h"
#include "vault/util.h"

namespace custos {

bool MatchesPattern(const std::string& pattern, const std::string& path) {
  if (pattern.find('/') != std::string::npos) {
    return fnmatch(pattern.c_str(), path.c_str(), 0) == 0;
  }
  size_t pos = path.rfind('/');
  std::string base = pos == std::string::npos ? path : path.substr(pos + 1);
  return fnmatch(pattern.c_str(), base.c_str(), 0) == 0;
}

std::string AbsolutePath(const std::string& path) {
  std::string full = path;
  if (full.empty() || full[0] != '/') {
    char cwd[4096];
    full = std::string(getcwd(cwd, sizeof cwd) ? cwd : "/") + "/" + full;
  }
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < full.size()) {
    size_t j = full.find('/', i);
    if (j == std::string::npos) j = full.size();
    std::string part = full.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

namespace {

int64_t ToNs(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

class NameCache {
 public:
  std::string User(uid_t uid) {
    std::lock_guard lock(mu_);
    auto it = users_.find(uid);
    if (it != users_.end()) return it->second;
    struct passwd pw, *res = nullptr;
    char buf[4096];
    std::string name;
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res) name = res->pw_name;
    users_[uid] = name;
    return name;
  }
  std::string Group(gid_t gid) {
    std::lock_guard lock(mu_);
    auto it = groups_.find(gid);
    if (it != groups_.end()) return it->second;
    struct group gr, *res = nullptr;
    char buf[4096];
    std::string name;
    if (getgrgid_r(gid, &gr, buf, sizeof buf, &res) == 0 && res) name = res->gr_name;
    groups_[gid] = name;
    return name;
  }

 private:
  std::mutex mu_;
  std::unordered_map<uid_t, std::string> users_;
  std::unordered_map<gid_t, std::string> groups_;
};

struct FileJob {
  std::string path;
  Node* node;
  std::promise<Status> done;
};

// The read buffers of one file worker. Chunks go to the saver without a copy
// (BlobSaver::SaveBlobRef), so a slab is overwritten only once the saver is
// done with every chunk cut from it; with two, reading goes on meanwhile.
struct ReadSlabs {
  struct Slab {
    LargeBuffer data;             // untouched until read into: small files cost little
    std::atomic<int> pending{0};  // chunks the saver still reads
  };
  static void WaitIdle(Slab& s) {
    for (int n; (n = s.pending.load()) != 0;) s.pending.wait(n);
  }
  void WaitIdle() {
    WaitIdle(slab[0]);
    WaitIdle(slab[1]);
  }
  Slab slab[2];
  int cur = 0;
};

class Archiver {
 public:
  Archiver(Vault& vault, const BackupOptions& opts)
      : vault_(vault),
        opts_(opts),
        saver_(vault, BlobSaverOptions{.workers = opts.blob_workers, .first_pack_size = 4u << 20}),
        jobs_(64) {
    for (int i = 0; i < std::max(1, opts.file_workers); ++i) {
      workers_.emplace_back([this] { FileWorker(); });
    }
  }
  ~Archiver() { StopWorkers(); }

  Result<Snapshot> Run();

 private:
  // A directory being assembled: the virtual tree above the backup paths and
  // the real directories below them share this.
  struct PendingDir {
    std::map<std::string, std::unique_ptr<PendingDir>> virtual_children;
  };

  Status MakeNode(const std::string& path, const struct stat& st, const std::string& name,
                  Node& node);
  // Backs up the real directory at path; fills node.subtree.
  Status BackupDir(const std::string& path, const Tree* parent, Node& node);
  // The entries of one directory while they are being backed up.
  struct DirWork {
    explicit DirWork(size_t n) : paths(n), keep(n, false) { tree.nodes.resize(n); }
    Tree tree;
    std::vector<std::string> paths;
    std::vector<bool> keep;
    std::vector<std::pair<size_t, std::future<Status>>> pending;  // file jobs
    std::vector<std::pair<size_t, std::string>> subdirs;
  };
  // Backs up one entry (any type) into work.tree.nodes[idx]; false when it
  // was skipped. Files are queued; directories are left for CompleteDir.
  bool BackupEntry(const std::string& path, const std::string& name, const Tree* parent_dir,
                   DirWork& work, size_t idx);
  // Recurses into subdirectories, waits for file jobs, seals the tree.
  Result<BlobId> CompleteDir(DirWork& work, const Tree* parent);
  Result<BlobId> SealTree(const Tree& tree);
  Result<BlobId> BackupVirtual(const std::string& path, const PendingDir& dir, const Tree* parent);
  void FileWorker();
  Status ReadFile(const std::string& path, Node& node, ReadSlabs& slabs);
  void StopWorkers();
  void ReportError(const std::string& path, const Status& st);
  Result<std::optional<Tree>> ParentSubtree(const Tree* parent, const std::string& name);

  Vault& vault_;
  const BackupOptions& opts_;
  BlobSaver saver_;
  BoundedQueue<std::unique_ptr<FileJob>> jobs_;
  std::vector<std::thread> workers_;
  NameCache names_;
  std::mutex summary_mu_;
  SnapshotSummary summary_;
  std::atomic<uint64_t> errors_{0};
};

void Archiver::StopWorkers() {
  jobs_.Close();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void Archiver::ReportError(const std::string& path, const Status& st) {
  errors_++;
  if (opts_.progress) opts_.progress->errors++;
  if (opts_.on_error) opts_.on_error(path, st);
}

Status Archiver::MakeNode(const std::string& path, const struct stat& st, const std::string& name,
                          Node& node) {
  node.name = name;
  node.mode = st.st_mode & 07777;
  node.uid = st.st_uid;
  node.gid = st.st_gid;
  node.user = names_.User(st.st_uid);
  node.group = names_.Group(st.st_gid);
  node.mtime_ns = ToNs(st.st_mtim);
  node.atime_ns = ToNs(st.st_atim);
  node.ctime_ns = ToNs(st.st_ctim);
  node.inode = st.st_ino;
  node.device = st.st_dev;
  node.links = st.st_nlink;
  switch (st.st_mode & S_IFMT) {
    case S_IFREG:
      node.type = NodeType::kFile;
      node.size = static_cast<uint64_t>(st.st_size);
      break;
    case S_IFDIR:
      node.type = NodeType::kDir;
      node.links = 1;
      break;
    case S_IFLNK: {
      node.type = NodeType::kSymlink;
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlink(path.c_str(), target.data(), target.size());
      if (n < 0) return Status::FromErrno(errno, "readlink");
      target.resize(static_cast<size_t>(n));
      node.link_target = target;
      node.links = 1;
      break;
    }
    case S_IFIFO:
      node.type = NodeType::kFifo;
      break;
    case S_IFCHR:
      node.type = NodeType::kCharDev;
      node.rdev = st.st_rdev;
      break;
    case S_IFBLK:
      node.type = NodeType::kBlockDev;
      node.rdev = st.st_rdev;
      break;
    case S_IFSOCK:
      node.type = NodeType::kSocket;
      break;
    default:
      return Status::Unsupported("unknown file type");
  }
  return Status::OK();
}

void Archiver::FileWorker() {
  ReadSlabs slabs;
  while (auto job = jobs_.Pop()) {
    Status st = saver_.status().ok() ? ReadFile((*job)->path, *(*job)->node, slabs)
                                     : Status::Cancelled("backup aborted");
    (*job)->done.set_value(st);
  }
  slabs.WaitIdle();  // the saver may still be packing chunks from them
}

// Data regions of a file: [offset, offset+len) pairs. For a file with holes
// (allocated blocks < size), SEEK_DATA/SEEK_HOLE finds them.
static std::vector<std::pair<uint64_t, uint64_t>> DataRegions(int fd, const struct stat& st) {
  uint64_t size = static_cast<uint64_t>(st.st_size);
  std::vector<std::pair<uint64_t, uint64_t>> regions;
  if (size == 0) return regions;
  if (static_cast<uint64_t>(st.st_blocks) * 512 >= size) {
    regions.emplace_back(0, size);
    return regions;
  }
  off_t pos = 0;
  while (static_cast<uint64_t>(pos) < size) {
    off_t data = lseek(fd, pos, SEEK_DATA);
    if (data < 0) break;  // ENXIO: only a hole remains
    off_t hole = lseek(fd, data, SEEK_HOLE);
    if (hole < 0) hole = static_cast<off_t>(size);
    regions.emplace_back(static_cast<uint64_t>(data), static_cast<uint64_t>(hole - data));
    pos = hole;
  }
  lseek(fd, 0, SEEK_SET);
  return regions;
}

Status Archiver::ReadFile(const std::string& path, Node& node, ReadSlabs& slabs) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME));
  if (!fd.valid() && errno == EPERM)
    fd.reset(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno(errno, "open");
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Status::FromErrno(errno, "stat");
  if (!S_ISREG(st.st_mode)) return Status::Unsupported("no longer a regular file");
  auto regions = DataRegions(fd.get(), st);
  const Chunker& chunker = vault_.chunker();
  const size_t max = chunker.params().max_size;
  const size_t capacity = max + max / 2;
  for (ReadSlabs::Slab& s : slabs.slab) {
    if (s.data.capacity() < capacity) {
      ReadSlabs::WaitIdle(s);
      if (!s.data.Reserve(capacity)) return Status::Internal("out of memory for read buffers");
    }
  }
  // Start in the slab used longer ago: the saver is most likely done with it.
  slabs.cur ^= 1;
  ReadSlabs::WaitIdle(slabs.slab[slabs.cur]);
  uint8_t* buf = slabs.slab[slabs.cur].data.data();

  node.content.clear();
  node.holes.clear();
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t expect = 0;
  for (const auto& [off, len] : regions) {
    if (off > expect) node.holes.emplace_back(expect, off - expect);
    expect = off + len;
  }
  if (size > expect) node.holes.emplace_back(expect, size - expect);

  size_t start = 0, end = 0, region = 0;
  uint64_t region_left = regions.empty() ? 0 : regions[0].second;
  uint64_t read_pos = regions.empty() ? 0 : regions[0].first;
  bool eof = regions.empty(), shrank = false;
  while (true) {
    if (!eof && end - start < max) {
      if (start > 0) {
        // Carry the unchunked tail over into the other slab and read on there.
        ReadSlabs::Slab& next = slabs.slab[slabs.cur ^ 1];
        ReadSlabs::WaitIdle(next);
        std::memcpy(next.data.data(), buf + start, end - start);
        slabs.cur ^= 1;
        buf = next.data.data();
        end -= start;
        start = 0;
      }
      while (!eof && end < capacity) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(capacity - end, region_left));
        ASSIGN_OR_RETURN(size_t n, PReadFull(fd.get(), buf + end, want, read_pos, "read"));
        end += n;
        read_pos += n;
        region_left -= n;
        if (opts_.progress) opts_.progress->bytes += n;
        if (n < want) {  // the file shrank while being read
          shrank = true;
          eof = true;
        } else if (region_left == 0) {
          if (++region < regions.size()) {
            read_pos = regions[region].first;
            region_left = regions[region].second;
          } else {
            eof = true;
          }
        }
      }
    }
    if (start == end) break;
    size_t n = chunker.Cut(buf + start, end - start);
    ByteView chunk(buf + start, n);
    BlobId id = vault_.BlobIdOf(chunk);
    node.content.push_back(id);
    if (saver_.Claim(id)) {
      saver_.SaveBlobRef(BlobType::kData, id, chunk, &slabs.slab[slabs.cur].pending);
    }
    start += n;
  }
  node.size = size;
  if (shrank) {
    // Record the file as far as it could be read.
    node.size = read_pos;
    std::erase_if(node.holes, [&](const auto& h) { return h.first >= read_pos; });
  }
  return saver_.status();
}

Result<std::optional<Tree>> Archiver::ParentSubtree(const Tree* parent, const std::string& name) {
  if (!parent) return std::optional<Tree>();
  auto it = std::lower_bound(parent->nodes.begin(), parent->nodes.end(), name,
                             [](const Node& n, const std::string& v) { return n.name < v; });
  if (it == parent->nodes.end() || it->name != name || it->type != NodeType::kDir || !it->subtree) {
    return std::optional<Tree>();
  }
  auto tree = vault_.LoadTree(*it->subtree);
  if (!tree.ok()) return std::optional<Tree>();  // a damaged parent only costs a re-read
  return std::optional<Tree>(std::move(*tree));
}

static const Node* FindNode(const Tree* tree, const std::string& name) {
  if (!tree) return nullptr;
  auto it = std::lower_bound(tree->nodes.begin(), tree->nodes.end(), name,
                             [](const Node& n, const std::string& v) { return n.name < v; });
  return it != tree->nodes.end() && it->name == name ? &*it : nullptr;
}

bool Archiver::BackupEntry(const std::string& path, const std::string& name, const Tree* parent_dir,
                           DirWork& work, size_t idx) {
  Node& node = work.tree.nodes[idx];
  for (const auto& pat : opts_.excludes) {
    if (MatchesPattern(pat, path)) return false;
  }
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    ReportError(path, Status::FromErrno(errno, "lstat"));
    return false;
  }
  Status ms = MakeNode(path, st, name, node);
  if (!ms.ok()) {
    ReportError(path, ms);
    return false;
  }
  if (node.type == NodeType::kDir) {
    work.subdirs.emplace_back(idx, path);
    return true;
  }
  if (node.type != NodeType::kFile) return true;
  if (opts_.progress) opts_.progress->files++;
  const Node* old = FindNode(parent_dir, name);
  if (old && old->type == NodeType::kFile && old->size == node.size &&
      old->mtime_ns == node.mtime_ns && old->ctime_ns == node.ctime_ns &&
      old->inode == node.inode) {
    bool all_known = std::all_of(old->content.begin(), old->content.end(),
                                 [&](const BlobId& id) { return vault_.index().Has(id); });
    if (all_known) {
      node.content = old->content;
      node.holes = old->holes;
      std::lock_guard lock(summary_mu_);
      summary_.files_unmodified++;
      summary_.bytes_processed += node.size;
      if (opts_.progress) opts_.progress->bytes += node.size;
      return true;
    }
  }
  {
    std::lock_guard lock(summary_mu_);
    if (old)
      summary_.files_changed++;
    else
      summary_.files_new++;
    summary_.bytes_processed += node.size;
  }
  auto job = std::make_unique<FileJob>();
  job->path = path;
  job->node = &node;
  work.pending.emplace_back(idx, job->done.get_future());
  jobs_.Push(std::move(job));
  return true;
}

static std::string ChildPath(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

Result<BlobId> Archiver::CompleteDir(DirWork& work, const Tree* parent) {
  for (auto& [idx, child_path] : work.subdirs) {
    Node& child = work.tree.nodes[idx];
    ASSIGN_OR_RETURN(auto sub_parent, ParentSubtree(parent, child.name));
    Status st = BackupDir(child_path, sub_parent ? &*sub_parent : nullptr, child);
    if (!st.ok()) {
      if (!saver_.status().ok()) return saver_.status();
      ReportError(child_path, st);
      work.keep[idx] = false;
    }
  }
  Status vault_error;
  for (auto& [idx, fut] : work.pending) {
    Status st = fut.get();  // wait for every job: they point into work.tree
    if (st.ok()) continue;
    if (!saver_.status().ok()) {
      vault_error = saver_.status();
      continue;
    }
    ReportError(work.paths[idx], st);
    work.keep[idx] = false;
  }
  RETURN_IF_ERROR(vault_error);
  Tree kept;
  for (size_t i = 0; i < work.tree.nodes.size(); ++i)
    if (work.keep[i]) kept.nodes.push_back(std::move(work.tree.nodes[i]));
  return SealTree(kept);
}

Status Archiver::BackupDir(const std::string& path, const Tree* parent, Node& node) {
  if (opts_.progress) opts_.progress->dirs++;
  {
    std::lock_guard lock(summary_mu_);
    summary_.dirs++;
  }
  std::vector<std::string> names;
  {
    DIR* d = opendir(path.c_str());
    if (!d) return Status::FromErrno(errno, "opendir");
    while (struct dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  DirWork work(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    work.paths[i] = ChildPath(path, names[i]);
    work.keep[i] = BackupEntry(work.paths[i], names[i], parent, work, i);
  }
  ASSIGN_OR_RETURN(BlobId id, CompleteDir(work, parent));
  node.subtree = id;
  return Status::OK();
}

Result<BlobId> Archiver::SealTree(const Tree& tree) {
  Bytes data = SerializeTree(tree);
  BlobId id = vault_.BlobIdOf(data);
  if (saver_.Claim(id)) saver_.SaveBlob(BlobType::kTree, id, std::move(data));
  RETURN_IF_ERROR(saver_.status());
  return id;
}

Result<BlobId> Archiver::BackupVirtual(const std::string& path, const PendingDir& dir,
                                       const Tree* parent) {
  DirWork work(dir.virtual_children.size());
  size_t i = 0;
  for (const auto& [name, child] : dir.virtual_children) {
    work.paths[i] = ChildPath(path, name);
    if (child) {
      // An ancestor of a backup path: its metadata, and only the named children.
      Node& node = work.tree.nodes[i];
      struct stat st;
      if (lstat(work.paths[i].c_str(), &st) != 0) return Status::FromErrno(errno, work.paths[i]);
      RETURN_IF_ERROR(MakeNode(work.paths[i], st, name, node));
      node.type = NodeType::kDir;
      ASSIGN_OR_RETURN(auto sub_parent, ParentSubtree(parent, name));
      ASSIGN_OR_RETURN(BlobId id,
                       BackupVirtual(work.paths[i], *child, sub_parent ? &*sub_parent : nullptr));
      node.subtree = id;
      work.keep[i] = true;
    } else {
      work.keep[i] = BackupEntry(work.paths[i], name, parent, work, i);
    }
    ++i;
  }
  return CompleteDir(work, parent);
}

Result<Snapshot> Archiver::Run() {
  auto t0 = std::chrono::steady_clock::now();
  Snapshot snap;
  snap.time_ns = NowUnixNs();
  PendingDir root;
  // Absolute, sorted, and without paths nested in another given path.
  std::vector<std::string> paths;
  for (const auto& raw : opts_.paths) paths.push_back(AbsolutePath(raw));
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  std::erase_if(paths, [&](const std::string& p) {
    return std::any_of(paths.begin(), paths.end(), [&](const std::string& q) {
      return q != p && p.size() > q.size() && p.compare(0, q.size(), q) == 0 && p[q.size()] == '/';
    });
  });
  if (paths.empty()) return Status::InvalidArgument("no paths to back up");
  for (const auto& p : paths) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) return Status::FromErrno(errno, p);
    snap.paths.push_back(p);
    if (p == "/")
      return Status::InvalidArgument("backing up / itself is not supported; name its directories");
    PendingDir* cur = &root;
    size_t i = 1;
    while (true) {
      size_t j = p.find('/', i);
      std::string comp = p.substr(i, j == std::string::npos ? std::string::npos : j - i);
      if (j == std::string::npos) {
        cur->virtual_children[comp];  // a leaf: backed up for real (null child)
        break;
      }
      auto& slot = cur->virtual_children[comp];
      if (!slot) slot = std::make_unique<PendingDir>();
      cur = slot.get();
      i = j + 1;
    }
  }
  std::optional<Tree> parent_root;
  if (opts_.parent) {
    auto t = vault_.LoadTree(opts_.parent->tree);
    if (t.ok()) parent_root = std::move(*t);
    snap.parent = opts_.parent->id;
  }
  auto tree_id = BackupVirtual("/", root, parent_root ? &*parent_root : nullptr);
  StopWorkers();
  Status fin = saver_.Finish();
  if (!tree_id.ok()) return tree_id.status();
  RETURN_IF_ERROR(fin);
  snap.tree = *tree_id;
  snap.tags = opts_.tags;
  snap.hostname = HostName();
  snap.username = UserName();
  snap.trigger = opts_.trigger;
  snap.custos_version = kCustosVersion;
  snap.summary = summary_;
  snap.summary.errors = errors_.load();
  snap.summary.data_blobs_added = saver_.blobs_added(BlobType::kData);
  snap.summary.tree_blobs_added = saver_.blobs_added(BlobType::kTree);
  snap.summary.bytes_added = saver_.bytes_added();
  snap.summary.bytes_stored = saver_.bytes_stored();
  snap.partial = errors_.load() > 0;
  snap.summary.duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  RETURN_IF_ERROR(vault_.SaveSnapshot(snap));
  return snap;
}

}  // namespace

Result<Snapshot> RunBackup(Vault& vault, const BackupOptions& options) {
  Archiver a(vault, options);
  return a.Run();
}

}  // namespace custos
