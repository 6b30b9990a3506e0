// What the store's SQLite VFS wrappers (verify_vfs.h, wal_write_buffer.h)
// share. Each wraps the default VFS: its files begin with a ShimFile, and the
// wrapped VFS's file follows in the same allocation; what a wrapper does not
// change goes straight to the wrapped file or VFS.
//
// Thread-safety: RegisterVfs is not (call it once, e.g. to initialize a
// function-local static); the
// pass-through methods are as thread-safe as the wrapped VFS's.
#pragma once

#include <sqlite3.h>

#include <cstddef>

namespace custos::records::shim {

struct ShimFile {
  sqlite3_file base;  // first: SQLite sees this
  sqlite3_file* real;
};

inline sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->real; }

// Where the wrapped file starts after a wrapper's file struct of `own_size`
// bytes (itself beginning with a ShimFile).
constexpr size_t RealOffset(size_t own_size) { return (own_size + 15) / 16 * 16; }

// Opens the wrapped file behind `f` and sets ShimFile::real; `f`'s methods
// stay null (the wrapper sets them once it is ready). Refuses
// (SQLITE_CANTOPEN) a wrapped file without version-2 methods (WAL support).
int OpenReal(sqlite3_vfs* vfs, size_t own_size, const char* name, sqlite3_file* f, int flags,
             int* out_flags);

// Fills `vfs` as a version-2 VFS named `name` that opens files with `open`
// (whose structs take `own_size` bytes) and sends every other call to the
// default VFS, and registers it (not as the default). False when the default
// VFS is older than version 2 or SQLite refused the registration. `vfs` and
// `name` must outlive the process's use of SQLite.
bool RegisterVfs(sqlite3_vfs& vfs, const char* name, size_t own_size,
                 int (*open)(sqlite3_vfs*, const char*, sqlite3_file*, int, int*));

// A version-2 method table (WAL support, no memory-mapped I/O) of the
// pass-through methods below: a wrapper copies it and replaces the methods
// it changes.
sqlite3_io_methods PassThroughMethods();

// Pass-through io methods.
int Close(sqlite3_file* f);
int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset);
int Write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset);
int Truncate(sqlite3_file* f, sqlite3_int64 size);
int Sync(sqlite3_file* f, int flags);
int FileSize(sqlite3_file* f, sqlite3_int64* size);
int Lock(sqlite3_file* f, int level);
int Unlock(sqlite3_file* f, int level);
int CheckReservedLock(sqlite3_file* f, int* out);
int FileControl(sqlite3_file* f, int op, void* arg);
int SectorSize(sqlite3_file* f);
int DeviceCharacteristics(sqlite3_file* f);
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out);
int ShmLock(sqlite3_file* f, int offset, int n, int flags);
void ShmBarrier(sqlite3_file* f);
int ShmUnmap(sqlite3_file* f, int remove);

}  // namespace custos::records::shim
