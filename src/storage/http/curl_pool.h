// RAII owners for libcurl handles, and the pool of easy handles a Client
// reuses so that connections stay open between requests.
//
// Contract
// - InitCurlOnce() runs curl_global_init exactly once per process; every
//   constructor here calls it, so callers never need to.
// - EasyPool is thread-safe. Acquire() hands out a handle that only the caller
//   uses until it gives it back with Release(); handles keep their live
//   connections across Release/Acquire (curl_easy_reset keeps them), which is
//   what makes keep-alive work. All handles share one DNS cache and one TLS
//   session cache through a CURLSH guarded by per-data mutexes.
// - The pool must outlive every handle it handed out.
#pragma once

#include <curl/curl.h>

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace custos::http::internal {

void InitCurlOnce();

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
// A header list; curl_slist_append returns a new head, so append through this.
class Slist {
 public:
  // False when libcurl could not allocate (the list is then unchanged).
  bool Append(const std::string& line);
  curl_slist* get() const { return list_.get(); }

 private:
  std::unique_ptr<curl_slist, SlistDeleter> list_;
};

// A CURLSH sharing DNS and TLS sessions between easy handles, with the
// lock callbacks libcurl requires when handles run on several threads.
class Share {
 public:
  Share();
  ~Share();
  Share(const Share&) = delete;
  Share& operator=(const Share&) = delete;
  CURLSH* get() const { return share_; }

 private:
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* self);
  static void Unlock(CURL*, curl_lock_data data, void* self);

  CURLSH* share_ = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks_;
};

class EasyPool {
 public:
  explicit EasyPool(size_t max_idle = 32) : max_idle_(max_idle) {}
  EasyPool(const EasyPool&) = delete;
  EasyPool& operator=(const EasyPool&) = delete;

  // A handle reset to libcurl's defaults with the shared caches attached;
  // nullptr when libcurl cannot allocate one.
  EasyHandle Acquire();
  // Returns a handle for reuse (it is freed when the pool is full).
  void Release(EasyHandle h);

 private:
  Share share_;
  std::mutex mu_;
  std::vector<EasyHandle> idle_;  // LIFO: the warmest connection is reused first
  size_t max_idle_;
};

}  // namespace custos::http::internal
