// Building blocks for SQLite VFS decorators (verify_vfs.h, wal_vfs.h). A
// decorator wraps the default VFS: its file struct begins with ShimFile, the
// wrapped VFS's file follows in the same allocation (at ShimRealOffset of
// the decorator's struct), and every method it does not change forwards to
// the wrapped file.
//
// Contract: ForwardMethods() is a complete version-2 method table (WAL
// support, no memory-mapped I/O) whose entries forward; a decorator copies
// it and replaces the entries it changes. RegisterShimVfs fills every
// VFS-level method with a forward and registers the VFS (not as the
// default); call it once per name.
//
// Thread-safety: registration is not; callers serialize it (std::call_once).
// Each open file belongs to its connection (one thread at a time).
#pragma once

#include <sqlite3.h>

#include <cstddef>

namespace custos::records {

struct ShimFile {
  sqlite3_file base;   // first: SQLite sees this
  sqlite3_file* real;  // the wrapped VFS's file, later in the same allocation
};

// Where the wrapped file starts behind a decorator file struct of `size`
// bytes.
constexpr size_t ShimRealOffset(size_t size) { return (size + 15) / 16 * 16; }

inline ShimFile* AsShim(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }
inline sqlite3_file* RealOf(sqlite3_file* f) { return AsShim(f)->real; }

// A method table whose every entry forwards to the wrapped file.
const sqlite3_io_methods& ForwardMethods();

// Opens the wrapped VFS's file behind `f` (whose struct is `size` bytes) and
// sets f->real. SQLITE_CANTOPEN when the wrapped file lacks WAL support
// (method version < 2). The caller then sets base.pMethods on success.
int OpenReal(sqlite3_vfs* vfs, size_t size, const char* name, sqlite3_file* f, int flags,
             int* out_flags);
// Closes the wrapped file (if it was opened).
int CloseReal(sqlite3_file* f);

// Registers `vfs` as a decorator of the default VFS named `name`, whose
// files are `file_size`-byte structs opened by `open`. False when SQLite
// has no default VFS with WAL support, or refused the registration.
bool RegisterShimVfs(sqlite3_vfs& vfs, const char* name, size_t file_size,
                     int (*open)(sqlite3_vfs*, const char*, sqlite3_file*, int, int*));

}  // namespace custos::records
