// A SQLite VFS for the group-commit writer's connection: it wraps the
// default VFS and hands each WAL frame to the kernel in one write (its
// 24-byte header together with its page) instead of two. SQLite writes a
// frame as two calls; for a group commit of a dozen frames that is a dozen
// system calls saved, and one fewer trip through the filesystem's
// buffered-write path each time.
//
// How: a 24-byte write to the WAL exactly where this connection's last
// write to it ended (where the next frame header goes) is held back; the
// next call on the file either continues it (a write starting right after
// it: both go in one write) or, whatever else it is (a read, a write
// elsewhere, a sync, a size query, a lock, a close), first writes the held
// header on its own. SQLite writes a frame's page right after its header
// (wal.c, walWriteOneFrame), so no header stays held once a frame is
// written, and in particular none when SQLite publishes new frames in the
// wal-index, which it does without a call on the file. Headers that SQLite
// rewrites in place (walRewriteChecksums, after a transaction wrote a page
// twice) are not at the end, so they are never held. A failed combined
// write reports its error for the page; the header was never written, and
// SQLite abandons the frame either way.
//
// Other files (the database, the shared-memory index) are passed through.
//
// Thread-safety: registration is thread-safe; each open file belongs to its
// connection (one thread at a time, as SQLite requires).
#pragma once

#include <cstdint>

namespace custos::records {

// Registers the VFS (once, not as the default) and returns its name for
// sqlite3_open_v2, or nullptr when SQLite refused it (then open normally).
const char* FrameCoalescingVfs();

// Process-wide counts, for tests: writes that reached the WAL
// file through this VFS, how many of them carried a held header, and how
// many were a frame header written alone (rewritten in place, or held and
// then followed by something other than its page).
struct FrameCoalescingStats {
  uint64_t wal_writes = 0;
  uint64_t combined = 0;
  uint64_t lone_headers = 0;
};
FrameCoalescingStats FrameCoalescingCounts();

}  // namespace custos::records
