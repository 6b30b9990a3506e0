#include "records/sqlite_pcache.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <new>
#include <vector>

namespace custos::records {
namespace {

sqlite3_pcache_methods2 base_methods;  // SQLite's own cache, set once before use
std::atomic<unsigned long long> forwarded{0};
std::atomic<unsigned long long> skipped{0};

// One per cache SQLite creates; handed to SQLite as its sqlite3_pcache*.
struct Layer {
  sqlite3_pcache* base = nullptr;
  unsigned max_fetched = 0;  // largest page number fetched since the last forwarded truncation
  std::vector<unsigned> renumbered;  // numbers above max_fetched that renumbered pages may hold
};

Layer* Of(sqlite3_pcache* p) { return reinterpret_cast<Layer*>(p); }

int Init(void* arg) { return base_methods.xInit ? base_methods.xInit(arg) : SQLITE_OK; }
void Shutdown(void* arg) {
  if (base_methods.xShutdown) base_methods.xShutdown(arg);
}

sqlite3_pcache* Create(int page_size, int extra_size, int purgeable) {
  Layer* layer = new (std::nothrow) Layer;
  if (layer == nullptr) return nullptr;
  layer->base = base_methods.xCreate(page_size, extra_size, purgeable);
  if (layer->base == nullptr) {
    delete layer;
    return nullptr;
  }
  return reinterpret_cast<sqlite3_pcache*>(layer);
}

void Cachesize(sqlite3_pcache* p, int n) { base_methods.xCachesize(Of(p)->base, n); }
int Pagecount(sqlite3_pcache* p) { return base_methods.xPagecount(Of(p)->base); }

sqlite3_pcache_page* Fetch(sqlite3_pcache* p, unsigned key, int create) {
  Layer* layer = Of(p);
  sqlite3_pcache_page* page = base_methods.xFetch(layer->base, key, create);
  if (page != nullptr && key > layer->max_fetched) layer->max_fetched = key;
  return page;
}

void Unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
  base_methods.xUnpin(Of(p)->base, page, discard);
}

void Rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  Layer* layer = Of(p);
  base_methods.xRekey(layer->base, page, old_key, new_key);
  auto& r = layer->renumbered;
  if (auto it = std::find(r.begin(), r.end(), old_key); it != r.end()) r.erase(it);
  if (new_key > layer->max_fetched) r.push_back(new_key);
}

void Truncate(sqlite3_pcache* p, unsigned limit) {
  Layer* layer = Of(p);
  auto& r = layer->renumbered;
  // Renumbered pages below the limit stay whatever happens: count them as
  // fetched, so that the list holds only numbers at or above some limit.
  for (unsigned k : r) {
    if (k < limit) layer->max_fetched = std::max(layer->max_fetched, k);
  }
  std::erase_if(r, [&](unsigned k) { return k < limit; });
  if (limit > layer->max_fetched && r.empty()) {
    skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  forwarded.fetch_add(1, std::memory_order_relaxed);
  base_methods.xTruncate(layer->base, limit);
  r.clear();  // every page numbered `limit` or above is gone
  layer->max_fetched = limit == 0 ? 0 : std::min(layer->max_fetched, limit - 1);
}

void Destroy(sqlite3_pcache* p) {
  Layer* layer = Of(p);
  base_methods.xDestroy(layer->base);
  delete layer;
}

void Shrink(sqlite3_pcache* p) { base_methods.xShrink(Of(p)->base); }

bool Install() {
  sqlite3_pcache_methods2 base{};
  if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &base) != SQLITE_OK || base.xCreate == nullptr ||
      base.iVersion < 1) {
    return false;
  }
  base_methods = base;
  sqlite3_pcache_methods2 layer{};
  layer.iVersion = 1;
  layer.pArg = base.pArg;
  layer.xInit = Init;
  layer.xShutdown = Shutdown;
  layer.xCreate = Create;
  layer.xCachesize = Cachesize;
  layer.xPagecount = Pagecount;
  layer.xFetch = Fetch;
  layer.xUnpin = Unpin;
  layer.xRekey = Rekey;
  layer.xTruncate = Truncate;
  layer.xDestroy = Destroy;
  layer.xShrink = Shrink;
  return sqlite3_config(SQLITE_CONFIG_PCACHE2, &layer) == SQLITE_OK;
}

}  // namespace

bool InstallPageCacheLayer() {
  static const bool installed = Install();
  return installed;
}

PageCacheLayerCounts PageCacheLayerStats() {
  return {forwarded.load(std::memory_order_relaxed), skipped.load(std::memory_order_relaxed)};
}

}  // namespace custos::records
