#include "records/wal_write_buffer.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

#include "records/sqlite_db.h"
#include "records/sqlite_vfs_shim.h"

namespace custos::records {
namespace {

constexpr char kName[] = "custos-walbuffer";
constexpr size_t kCapacity = 1 << 20;
// The unix VFS writes at most 128 KiB - 1 bytes per call (it masks larger
// sizes and reports the short write as a full disk).
constexpr size_t kMaxWrite = 124 << 10;
constexpr int kFrameHeader = 24;
// sqlite3_file_control op (on the WAL file itself) that writes out what is
// gathered; the int argument receives the result code.
constexpr int kFlushControl = 0x43760002;

std::atomic<uint64_t> wal_writes{0};

struct File {
  shim::ShimFile shim;  // first
  bool wal;
  // The last write was a commit frame's header: its page ends the commit.
  bool commit_header;
  sqlite3_int64 start;  // file offset of buffer[0]
  std::vector<uint8_t> buffer;
};

File* AsFile(sqlite3_file* f) { return reinterpret_cast<File*>(f); }

// One call of the wrapped VFS's xWrite, counted.
int WriteOut(sqlite3_file* f, const void* data, size_t n, sqlite3_int64 offset) {
  wal_writes.fetch_add(1, std::memory_order_relaxed);
  return shim::Write(f, data, static_cast<int>(n), offset);
}

int Flush(File* file) {
  int rc = SQLITE_OK;
  for (size_t done = 0; done < file->buffer.size() && rc == SQLITE_OK; done += kMaxWrite) {
    rc = WriteOut(&file->shim.base, file->buffer.data() + done,
                  std::min(kMaxWrite, file->buffer.size() - done),
                  file->start + static_cast<sqlite3_int64>(done));
  }
  // Written or not, the bytes leave the buffer: after a failed write SQLite
  // rolls the transaction back and writes its frames again.
  file->buffer.clear();
  return rc;
}

int Close(sqlite3_file* f) {
  File* file = AsFile(f);
  int flushed = file->wal ? Flush(file) : SQLITE_OK;
  int rc = shim::Close(f);
  file->buffer.~vector();
  return flushed != SQLITE_OK ? flushed : rc;
}

int Write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  File* file = AsFile(f);
  if (!file->wal) return shim::Write(f, data, amount, offset);
  const auto* bytes = static_cast<const uint8_t*>(data);
  const auto n = static_cast<size_t>(amount);
  // The page after a commit frame's header ends the commit. A frame header
  // is the only 24-byte write to a WAL; bytes 4..7 hold the database size
  // after a commit frame, 0 in every other frame.
  const bool ends_commit = file->commit_header && n != kFrameHeader;
  file->commit_header = n == kFrameHeader && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
  const bool follows = !file->buffer.empty() &&
                       offset == file->start + static_cast<sqlite3_int64>(file->buffer.size());
  if (!follows || file->buffer.size() + n > kCapacity) {
    int rc = Flush(file);
    if (rc != SQLITE_OK) return rc;
  }
  if (n <= kCapacity) {
    if (file->buffer.empty()) file->start = offset;
    try {
      file->buffer.insert(file->buffer.end(), bytes, bytes + n);
      return ends_commit ? Flush(file) : SQLITE_OK;
    } catch (const std::bad_alloc&) {
      int rc = Flush(file);  // then write this one straight through
      if (rc != SQLITE_OK) return rc;
    }
  }
  return WriteOut(f, data, n, offset);
}

// Every other call on a WAL first writes out what is gathered.
int FlushFirst(sqlite3_file* f) {
  File* file = AsFile(f);
  if (!file->wal) return SQLITE_OK;
  file->commit_header = false;
  return Flush(file);
}

int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  int rc = FlushFirst(f);
  return rc != SQLITE_OK ? rc : shim::Read(f, out, amount, offset);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  int rc = FlushFirst(f);
  return rc != SQLITE_OK ? rc : shim::Truncate(f, size);
}
int Sync(sqlite3_file* f, int flags) {
  int rc = FlushFirst(f);
  return rc != SQLITE_OK ? rc : shim::Sync(f, flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  int rc = FlushFirst(f);
  return rc != SQLITE_OK ? rc : shim::FileSize(f, size);
}
int Lock(sqlite3_file* f, int level) {
  int rc = FlushFirst(f);
  return rc != SQLITE_OK ? rc : shim::Lock(f, level);
}
int Unlock(sqlite3_file* f, int level) {
  int rc = FlushFirst(f);
  return rc != SQLITE_OK ? rc : shim::Unlock(f, level);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  int rc = FlushFirst(f);
  if (op == kFlushControl) {
    *static_cast<int*>(arg) = rc;
    return SQLITE_OK;
  }
  return rc != SQLITE_OK ? rc : shim::FileControl(f, op, arg);
}

// The pass-through table (version 2: no memory-mapped I/O) with the
// methods that gather writes or write out what is gathered first.
const sqlite3_io_methods kMethods = [] {
  sqlite3_io_methods m = shim::PassThroughMethods();
  m.xClose = Close;
  m.xRead = Read;
  m.xWrite = Write;
  m.xTruncate = Truncate;
  m.xSync = Sync;
  m.xFileSize = FileSize;
  m.xLock = Lock;
  m.xUnlock = Unlock;
  m.xFileControl = FileControl;
  return m;
}();

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  int rc = shim::OpenReal(vfs, sizeof(File), name, f, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  File* file = AsFile(f);
  new (&file->buffer) std::vector<uint8_t>();
  file->wal = (flags & SQLITE_OPEN_WAL) != 0;
  file->commit_header = false;
  file->start = 0;
  file->shim.base.pMethods = &kMethods;
  return SQLITE_OK;
}

}  // namespace

const char* WalWriteBufferVfs() {
  static sqlite3_vfs vfs;
  static const bool registered = shim::RegisterVfs(vfs, kName, sizeof(File), Open);
  return registered ? kName : nullptr;
}

uint64_t WalWriteBufferWrites() { return wal_writes.load(std::memory_order_relaxed); }

Status FlushWalWrites(sqlite3* db) {
  sqlite3_file* wal = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK ||
      wal == nullptr || wal->pMethods != &kMethods) {
    return Status::OK();
  }
  int rc = SQLITE_OK;
  wal->pMethods->xFileControl(wal, kFlushControl, &rc);
  return rc == SQLITE_OK ? Status::OK() : SqliteStatus(rc, nullptr, "write the write-ahead log");
}

}  // namespace custos::records
