#include "records/verify_vfs.h"

#include <sqlite3.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <new>

#include "records/verify_memory.h"

namespace custos::records {
namespace {

constexpr char kName[] = "custos-readahead";
constexpr int kChunk = 256 << 10;    // bytes per read()
constexpr int kMaxBuffered = 65536;  // larger reads go straight through

sqlite3_vfs* Root(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

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
  sqlite3_file base;  // first: SQLite sees this
  sqlite3_file* real;
  bool main_db;
  bool enabled;                    // see kReadAheadControl
  std::unique_ptr<Mapped> memory;  // the chunks' bytes, for the main database only
  Chunk chunks[kReadAheadChunks];
  int next;  // the chunk to refill next (oldest first)
};

constexpr size_t RealOffset() { return (sizeof(File) + 15) / 16 * 16; }

File* AsFile(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return AsFile(f)->real; }
void Drop(sqlite3_file* f) {
  for (Chunk& c : AsFile(f)->chunks) c.size = 0;
}

int Close(sqlite3_file* f) {
  File* file = AsFile(f);
  int rc = file->real->pMethods ? file->real->pMethods->xClose(file->real) : SQLITE_OK;
  file->memory.~unique_ptr();
  return rc;
}

int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  File* file = AsFile(f);
  sqlite3_file* real = file->real;
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
  return Real(f)->pMethods->xWrite(Real(f), data, amount, offset);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  Drop(f);
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int Sync(sqlite3_file* f, int flags) {
  Drop(f);
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int Lock(sqlite3_file* f, int level) {
  Drop(f);
  return Real(f)->pMethods->xLock(Real(f), level);
}
int Unlock(sqlite3_file* f, int level) {
  Drop(f);
  return Real(f)->pMethods->xUnlock(Real(f), level);
}
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  if (op == kReadAheadControl) {
    AsFile(f)->enabled = *static_cast<int*>(arg) != 0;
    return SQLITE_OK;
  }
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  Drop(f);  // a read transaction starts or ends
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int remove) {
  Drop(f);
  return Real(f)->pMethods->xShmUnmap(Real(f), remove);
}

// Version 2: WAL support, no memory-mapped I/O (xFetch).
const sqlite3_io_methods kMethods = {
    2,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    nullptr,
    nullptr,
};

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  File* file = AsFile(f);
  file->base.pMethods = nullptr;
  file->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + RealOffset());
  file->real->pMethods = nullptr;
  int rc = Root(vfs)->xOpen(Root(vfs), name, file->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (file->real->pMethods == nullptr || file->real->pMethods->iVersion < 2) {
    if (file->real->pMethods) file->real->pMethods->xClose(file->real);
    return SQLITE_CANTOPEN;
  }
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
  file->base.pMethods = &kMethods;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync) {
  return Root(vfs)->xDelete(Root(vfs), name, sync);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Root(vfs)->xAccess(Root(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return Root(vfs)->xFullPathname(Root(vfs), name, n, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) { return Root(vfs)->xDlOpen(Root(vfs), name); }
void DlError(sqlite3_vfs* vfs, int n, char* out) { Root(vfs)->xDlError(Root(vfs), n, out); }
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return Root(vfs)->xDlSym(Root(vfs), handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) { Root(vfs)->xDlClose(Root(vfs), handle); }
int Randomness(sqlite3_vfs* vfs, int n, char* out) {
  return Root(vfs)->xRandomness(Root(vfs), n, out);
}
int Sleep(sqlite3_vfs* vfs, int micros) { return Root(vfs)->xSleep(Root(vfs), micros); }
int CurrentTime(sqlite3_vfs* vfs, double* out) { return Root(vfs)->xCurrentTime(Root(vfs), out); }
int GetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return Root(vfs)->xGetLastError(Root(vfs), n, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Root(vfs)->xCurrentTimeInt64(Root(vfs), out);
}

}  // namespace

const char* ReadAheadVfs() {
  static sqlite3_vfs vfs;
  static bool registered = false;
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_vfs* root = sqlite3_vfs_find(nullptr);
    if (root == nullptr || root->iVersion < 2) return;
    vfs = sqlite3_vfs{};
    vfs.iVersion = 2;
    vfs.szOsFile = static_cast<int>(RealOffset()) + root->szOsFile;
    vfs.mxPathname = root->mxPathname;
    vfs.zName = kName;
    vfs.pAppData = root;
    vfs.xOpen = Open;
    vfs.xDelete = Delete;
    vfs.xAccess = Access;
    vfs.xFullPathname = FullPathname;
    vfs.xDlOpen = DlOpen;
    vfs.xDlError = DlError;
    vfs.xDlSym = DlSym;
    vfs.xDlClose = DlClose;
    vfs.xRandomness = Randomness;
    vfs.xSleep = Sleep;
    vfs.xCurrentTime = CurrentTime;
    vfs.xGetLastError = GetLastError;
    vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    registered = sqlite3_vfs_register(&vfs, /*makeDflt=*/0) == SQLITE_OK;
  });
  return registered ? kName : nullptr;
}

}  // namespace custos::records
