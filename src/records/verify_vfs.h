// A SQLite VFS for the verifier's long scans: it wraps the default VFS and
// serves page reads of the main database file from read-ahead chunks of
// 256 KiB, each filled by one read(), instead of one read() per 4 KiB page.
// The journal's pages lie in file order, so a scan of a million entries
// makes a few thousand system calls instead of a few hundred thousand.
// (With the 8 KiB pages new stores get, a read() per page measured the same:
// bench/verify_ab.sh 4, B/A 0.995. The chunks stay for the 4 KiB stores
// created before.)
//
// The last kReadAheadChunks chunks are kept, so that the occasional read
// elsewhere (an interior page of the B-tree) does not drop the chunk the scan
// is in. With read-ahead off, a read is served from a kept chunk when one
// covers it and goes straight to the file otherwise: a table whose pages are
// a small part of the file must not pull in whole chunks for them.
//
// Safety: the chunks only answer reads inside one read transaction. Any
// file or shared-memory lock change (how a connection starts and ends a
// transaction), write, truncate or sync drops them all. Within a read
// transaction, SQLite reads from the database file only pages that no
// checkpoint may overwrite until the transaction ends (it reads newer
// versions from the WAL, which is not buffered), so the buffered bytes of
// any page it asks for are the bytes a direct read would return. Memory-
// mapped I/O is not offered (mmap_size has no effect on these connections).
//
// Thread-safety: registration is thread-safe; each open file belongs to its
// connection (one thread at a time, as SQLite requires).
#pragma once

namespace custos::records {

// sqlite3_file_control(db, "main", kReadAheadControl, &on) with an int `on`
// turns the read-ahead on (the default) or off for the next reads: off for
// a scan of a table whose pages are a small part of the file. The kept
// chunks stay.
inline constexpr int kReadAheadControl = 0x43760001;
inline constexpr int kReadAheadChunks = 24;

// Registers the VFS (once, not as the default) and returns its name for
// sqlite3_open_v2, or nullptr when SQLite refused it (then open normally).
const char* ReadAheadVfs();

}  // namespace custos::records
