#include "records/sqlite_vfs_shim.h"

namespace custos::records {
namespace {

const sqlite3_io_methods* M(sqlite3_file* f) { return RealOf(f)->pMethods; }

int Close(sqlite3_file* f) { return CloseReal(f); }
int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  return M(f)->xRead(RealOf(f), out, amount, offset);
}
int Write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  return M(f)->xWrite(RealOf(f), data, amount, offset);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) { return M(f)->xTruncate(RealOf(f), size); }
int Sync(sqlite3_file* f, int flags) { return M(f)->xSync(RealOf(f), flags); }
int FileSize(sqlite3_file* f, sqlite3_int64* size) { return M(f)->xFileSize(RealOf(f), size); }
int Lock(sqlite3_file* f, int level) { return M(f)->xLock(RealOf(f), level); }
int Unlock(sqlite3_file* f, int level) { return M(f)->xUnlock(RealOf(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return M(f)->xCheckReservedLock(RealOf(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return M(f)->xFileControl(RealOf(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return M(f)->xSectorSize(RealOf(f)); }
int DeviceCharacteristics(sqlite3_file* f) { return M(f)->xDeviceCharacteristics(RealOf(f)); }
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return M(f)->xShmMap(RealOf(f), page, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return M(f)->xShmLock(RealOf(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { M(f)->xShmBarrier(RealOf(f)); }
int ShmUnmap(sqlite3_file* f, int remove) { return M(f)->xShmUnmap(RealOf(f), remove); }

sqlite3_vfs* Root(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

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

// Version 2: WAL support, no memory-mapped I/O (xFetch).
const sqlite3_io_methods kForward = {
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

}  // namespace

const sqlite3_io_methods& ForwardMethods() { return kForward; }

int OpenReal(sqlite3_vfs* vfs, size_t size, const char* name, sqlite3_file* f, int flags,
             int* out_flags) {
  ShimFile* shim = AsShim(f);
  shim->base.pMethods = nullptr;
  shim->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + ShimRealOffset(size));
  shim->real->pMethods = nullptr;
  int rc = Root(vfs)->xOpen(Root(vfs), name, shim->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (shim->real->pMethods == nullptr || shim->real->pMethods->iVersion < 2) {
    CloseReal(f);
    return SQLITE_CANTOPEN;
  }
  return SQLITE_OK;
}

int CloseReal(sqlite3_file* f) {
  sqlite3_file* real = RealOf(f);
  int rc = real->pMethods ? real->pMethods->xClose(real) : SQLITE_OK;
  real->pMethods = nullptr;
  return rc;
}

bool RegisterShimVfs(sqlite3_vfs& vfs, const char* name, size_t file_size,
                     int (*open)(sqlite3_vfs*, const char*, sqlite3_file*, int, int*)) {
  sqlite3_vfs* root = sqlite3_vfs_find(nullptr);
  if (root == nullptr || root->iVersion < 2) return false;
  vfs = sqlite3_vfs{};
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(ShimRealOffset(file_size)) + root->szOsFile;
  vfs.mxPathname = root->mxPathname;
  vfs.zName = name;
  vfs.pAppData = root;
  vfs.xOpen = open;
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
  return sqlite3_vfs_register(&vfs, /*makeDflt=*/0) == SQLITE_OK;
}

}  // namespace custos::records
