// A thin layer over SQLite's own page cache that skips truncations that
// cannot drop anything.
//
// At the end of every write transaction SQLite truncates its page cache to
// the database's size. Its cache (pcache1) keeps the largest page number it
// has ever held and walks its hash table whenever that number is at or above
// the limit. When a b-tree page splits, SQLite renumbers pages through a
// temporary number, the lock-byte page's (page 131,073 with 8 KiB pages), so
// after any split the largest number is far above the database's size and
// the next COMMIT walks every slot of the hash table: about a quarter of the
// writer thread's time when writes spread over many trainees and pages split
// often.
//
// The layer forwards every call to SQLite's cache and keeps its own bound:
// the largest page number fetched, and the numbers pages were renumbered to
// and still hold. A truncation whose limit is above all of them has nothing
// to drop and is not forwarded; any other is.
//
// InstallPageCacheLayer() must run before SQLite is first initialised in the
// process; afterwards SQLite refuses the configuration and the call returns
// false, leaving SQLite's cache as it is. It is safe to call more than once
// and from any thread. Each cache belongs to one connection, which SQLite
// calls from one thread at a time.
#pragma once

namespace custos::records {

// True when the layer is installed (now or by an earlier call).
bool InstallPageCacheLayer();

// Truncations forwarded to and skipped by the layer, for tests.
struct PageCacheLayerCounts {
  unsigned long long forwarded = 0;
  unsigned long long skipped = 0;
};
PageCacheLayerCounts PageCacheLayerStats();

}  // namespace custos::records
