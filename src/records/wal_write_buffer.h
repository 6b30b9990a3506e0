// A SQLite VFS for the store's write connection that hands each commit's
// WAL frames to the kernel in one write instead of two per page.
//
// SQLite writes a WAL frame as two writes, its 24-byte header and then the
// page, so a group commit that touches fifteen pages made thirty system
// calls, each taking the file's locks and walking the page cache on its own,
// with most pages straddling two cache pages. Through this VFS a WAL file
// gathers contiguous writes in memory and writes them out together:
// - once the commit frame is complete (the frame whose header carries a
//   non-zero database size, which SQLite writes last, header then page), so
//   a COMMIT's frames are in the file before SQLite publishes them to
//   readers in the shared-memory index, and a failed write fails the COMMIT;
// - before any other call on the file (read, sync, truncate, size, file
//   control, lock, close) and before a write that does not follow on;
// - when 1 MiB is gathered (a transaction larger than that is written in
//   pieces, and only its commit frame ends it).
// Gathered bytes go out in writes of at most 124 KiB: the unix VFS writes
// less than 128 KiB per call.
// Files other than WALs pass straight through.
//
// FlushWalWrites() writes whatever a connection's WAL still holds: the
// writer calls it after every COMMIT, so that should a SQLite release ever
// write frames in another order, nothing committed stays in memory, and a
// failed write is still reported.
//
// Thread-safety: registration is thread-safe; each open file belongs to its
// connection (one thread at a time, as SQLite requires).
#pragma once

#include <sqlite3.h>

#include <cstdint>

#include "base/result.h"

namespace custos::records {

// Registers the VFS (once, not as the default) and returns its name for
// sqlite3_open_v2, or nullptr when SQLite refused it (then open normally).
const char* WalWriteBufferVfs();

// How many writes this VFS has made to WAL files so far, in all
// connections (each is one call of the wrapped VFS's xWrite: one pwrite).
uint64_t WalWriteBufferWrites();

// Writes out what the WAL of `db`'s main database has gathered. OK when
// nothing was gathered, or the connection does not use this VFS.
Status FlushWalWrites(sqlite3* db);

}  // namespace custos::records
