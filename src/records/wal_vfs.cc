#include "records/wal_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "records/sqlite_vfs_shim.h"

namespace custos::records {
namespace {

constexpr char kName[] = "custos-wal-frames";
constexpr int kFrameHeader = 24;  // WAL_FRAME_HDRSIZE

std::atomic<uint64_t> g_wal_writes{0};
std::atomic<uint64_t> g_combined{0};
std::atomic<uint64_t> g_lone_headers{0};

struct File {
  ShimFile shim;  // first
  bool wal;
  sqlite3_int64 end;  // where this connection's last write ended; -1: unknown
  bool held;          // a frame header waits in `header`, for offset `end - 24`
  uint8_t header[kFrameHeader];
  // The header and its page, written as one. SQLite allocates the struct
  // without constructing it: Open constructs this member and Close destroys it.
  std::vector<uint8_t> combined;
};

File* AsFile(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
const sqlite3_io_methods& Forward() { return ForwardMethods(); }

int RealWrite(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  g_wal_writes.fetch_add(1, std::memory_order_relaxed);
  if (amount == kFrameHeader) g_lone_headers.fetch_add(1, std::memory_order_relaxed);
  return Forward().xWrite(f, data, amount, offset);
}

bool Resize(std::vector<uint8_t>& buf, size_t size) {
  try {
    buf.resize(size);
    return true;
  } catch (const std::bad_alloc&) {
    return false;  // then the header and the page go separately
  }
}

// Writes the held header on its own, if any.
int Flush(sqlite3_file* f) {
  File* file = AsFile(f);
  if (!file->held) return SQLITE_OK;
  file->held = false;
  int rc = RealWrite(f, file->header, kFrameHeader, file->end - kFrameHeader);
  if (rc != SQLITE_OK) file->end = -1;
  return rc;
}

int Write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  File* file = AsFile(f);
  if (!file->wal) return Forward().xWrite(f, data, amount, offset);
  if (file->held && offset == file->end &&
      Resize(file->combined, kFrameHeader + static_cast<size_t>(amount))) {
    file->held = false;
    std::vector<uint8_t>& buf = file->combined;
    std::memcpy(buf.data(), file->header, kFrameHeader);
    std::memcpy(buf.data() + kFrameHeader, data, static_cast<size_t>(amount));
    g_combined.fetch_add(1, std::memory_order_relaxed);
    int rc = RealWrite(f, buf.data(), static_cast<int>(buf.size()), offset - kFrameHeader);
    file->end = rc == SQLITE_OK ? offset + amount : -1;
    return rc;
  }
  int rc = Flush(f);
  if (rc != SQLITE_OK) return rc;
  if (amount == kFrameHeader && offset == file->end) {
    std::memcpy(file->header, data, kFrameHeader);
    file->held = true;
    file->end = offset + kFrameHeader;
    return SQLITE_OK;
  }
  rc = RealWrite(f, data, amount, offset);
  file->end = rc == SQLITE_OK ? offset + amount : -1;
  return rc;
}

// Every other call on the file writes the held header first.
int Close(sqlite3_file* f) {
  int flushed = Flush(f);
  AsFile(f)->combined.~vector();
  int rc = CloseReal(f);
  return flushed != SQLITE_OK ? flushed : rc;
}
int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  int rc = Flush(f);
  return rc != SQLITE_OK ? rc : Forward().xRead(f, out, amount, offset);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  int rc = Flush(f);
  AsFile(f)->end = -1;
  return rc != SQLITE_OK ? rc : Forward().xTruncate(f, size);
}
int Sync(sqlite3_file* f, int flags) {
  int rc = Flush(f);
  return rc != SQLITE_OK ? rc : Forward().xSync(f, flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  int rc = Flush(f);
  return rc != SQLITE_OK ? rc : Forward().xFileSize(f, size);
}
int Lock(sqlite3_file* f, int level) {
  int rc = Flush(f);
  return rc != SQLITE_OK ? rc : Forward().xLock(f, level);
}
int Unlock(sqlite3_file* f, int level) {
  int rc = Flush(f);
  return rc != SQLITE_OK ? rc : Forward().xUnlock(f, level);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  int rc = Flush(f);
  return rc != SQLITE_OK ? rc : Forward().xFileControl(f, op, arg);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  int rc = Flush(f);
  return rc != SQLITE_OK ? rc : Forward().xShmLock(f, offset, n, flags);
}

sqlite3_io_methods MakeMethods() {
  sqlite3_io_methods m = ForwardMethods();
  m.xClose = Close;
  m.xRead = Read;
  m.xWrite = Write;
  m.xTruncate = Truncate;
  m.xSync = Sync;
  m.xFileSize = FileSize;
  m.xLock = Lock;
  m.xUnlock = Unlock;
  m.xFileControl = FileControl;
  m.xShmLock = ShmLock;
  return m;
}
const sqlite3_io_methods kMethods = MakeMethods();

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  int rc = OpenReal(vfs, sizeof(File), name, f, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  File* file = AsFile(f);
  file->wal = (flags & SQLITE_OPEN_WAL) != 0;
  file->end = -1;
  file->held = false;
  if (file->wal) new (&file->combined) std::vector<uint8_t>();  // empty: allocates nothing
  file->shim.base.pMethods = file->wal ? &kMethods : &ForwardMethods();
  return SQLITE_OK;
}

}  // namespace

const char* FrameCoalescingVfs() {
  static sqlite3_vfs vfs;
  static bool registered = false;
  static std::once_flag once;
  std::call_once(once, [] { registered = RegisterShimVfs(vfs, kName, sizeof(File), Open); });
  return registered ? kName : nullptr;
}

FrameCoalescingStats FrameCoalescingCounts() {
  return {g_wal_writes.load(std::memory_order_relaxed), g_combined.load(std::memory_order_relaxed),
          g_lone_headers.load(std::memory_order_relaxed)};
}

}  // namespace custos::records
