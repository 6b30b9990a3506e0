#include "records/verify_vfs.h"

#include <sqlite3.h>

#include <cstring>
#include <memory>
#include <new>

#include "records/sqlite_vfs_shim.h"
#include "records/verify_memory.h"

namespace custos::records {
namespace {

constexpr char kName[] = "custos-readahead";
constexpr int kChunk = 256 << 10;    // bytes per read()
constexpr int kMaxBuffered = 65536;  // larger reads go straight through

// A chunk of the file, as read by one read().
struct Chunk {
  uint8_t* data;  // kChunk bytes, in File::memory
  sqlite3_int64 offset = 0;
  int size = 0;  // valid bytes; 0: empty
  bool Covers(sqlite3_int64 at, int amount) const {
    return size > 0 && at >= offset && at + amount <= offset + size;
  }
};

// Our file, followed in the same allocation by the wrapped VFS's file.
struct File {
  shim::ShimFile shim;  // first
  bool main_db;
  bool enabled;                    // see kReadAheadControl
  std::unique_ptr<Mapped> memory;  // the chunks' bytes, for the main database only
  Chunk chunks[kReadAheadChunks];
  int next;  // the chunk to refill next (oldest first)
};

File* AsFile(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
using shim::Real;
void Drop(sqlite3_file* f) {
  for (Chunk& c : AsFile(f)->chunks) c.size = 0;
}

int Close(sqlite3_file* f) {
  int rc = shim::Close(f);
  AsFile(f)->memory.~unique_ptr();
  return rc;
}

int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  File* file = AsFile(f);
  sqlite3_file* real = Real(f);
  if (!file->main_db || amount > kMaxBuffered) {
    return real->pMethods->xRead(real, out, amount, offset);
  }
  const Chunk* hit = nullptr;
  for (const Chunk& c : file->chunks) {
    if (c.Covers(offset, amount)) hit = &c;
  }
  if (hit == nullptr && file->enabled) {
    Chunk& c = file->chunks[file->next];
    file->next = (file->next + 1) % kReadAheadChunks;
    c.size = 0;
    c.offset = offset / kChunk * kChunk;
    // A short read (the file's end) zero-fills and does not say how much
    // was real: such chunks are not kept, their pages are read directly.
    if (real->pMethods->xRead(real, c.data, kChunk, c.offset) == SQLITE_OK) c.size = kChunk;
    if (c.Covers(offset, amount)) hit = &c;
  }
  if (hit == nullptr) return real->pMethods->xRead(real, out, amount, offset);
  std::memcpy(out, hit->data + (offset - hit->offset), static_cast<size_t>(amount));
  return SQLITE_OK;
}

int Write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  Drop(f);
  return shim::Write(f, data, amount, offset);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  Drop(f);
  return shim::Truncate(f, size);
}
int Sync(sqlite3_file* f, int flags) {
  Drop(f);
  return shim::Sync(f, flags);
}
int Lock(sqlite3_file* f, int level) {
  Drop(f);
  return shim::Lock(f, level);
}
int Unlock(sqlite3_file* f, int level) {
  Drop(f);
  return shim::Unlock(f, level);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  if (op == kReadAheadControl) {
    AsFile(f)->enabled = *static_cast<int*>(arg) != 0;
    return SQLITE_OK;
  }
  return shim::FileControl(f, op, arg);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  Drop(f);  // a read transaction starts or ends
  return shim::ShmLock(f, offset, n, flags);
}
int ShmUnmap(sqlite3_file* f, int remove) {
  Drop(f);
  return shim::ShmUnmap(f, remove);
}

// The pass-through table (version 2: no memory-mapped I/O) with the
// methods that drop the chunks, or read through them.
const sqlite3_io_methods kMethods = [] {
  sqlite3_io_methods m = shim::PassThroughMethods();
  m.xClose = Close;
  m.xRead = Read;
  m.xWrite = Write;
  m.xTruncate = Truncate;
  m.xSync = Sync;
  m.xLock = Lock;
  m.xUnlock = Unlock;
  m.xFileControl = FileControl;
  m.xShmLock = ShmLock;
  m.xShmUnmap = ShmUnmap;
  return m;
}();

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  int rc = shim::OpenReal(vfs, sizeof(File), name, f, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  File* file = AsFile(f);
  new (&file->memory) std::unique_ptr<Mapped>();
  file->main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  if (file->main_db) {
    try {
      file->memory = std::make_unique<Mapped>(size_t{kChunk} * kReadAheadChunks);
    } catch (const std::bad_alloc&) {
      file->main_db = false;  // no memory: read directly
    }
  }
  for (int i = 0; i < kReadAheadChunks; ++i) {
    file->chunks[i] = Chunk{file->main_db ? file->memory->data() + size_t{kChunk} * i : nullptr};
  }
  file->next = 0;
  file->enabled = true;
  file->shim.base.pMethods = &kMethods;
  return SQLITE_OK;
}

}  // namespace

const char* ReadAheadVfs() {
  static sqlite3_vfs vfs;
  static const bool registered = shim::RegisterVfs(vfs, kName, sizeof(File), Open);
  return registered ? kName : nullptr;
}

}  // namespace custos::records
