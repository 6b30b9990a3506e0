#include "storage/http/curl_pool.h"

namespace custos::http::internal {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool Slist::Append(const std::string& line) {
  curl_slist* head = curl_slist_append(list_.get(), line.c_str());
  if (head == nullptr) return false;
  (void)list_.release();  // the old head is now part of the new list
  list_.reset(head);
  return true;
}

Share::Share() {
  InitCurlOnce();
  share_ = curl_share_init();
  if (share_ == nullptr) return;  // handles then run without shared caches
  curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &Share::Lock);
  curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &Share::Unlock);
  curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

Share::~Share() {
  if (share_ != nullptr) curl_share_cleanup(share_);
}

void Share::Lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
  static_cast<Share*>(self)->locks_[static_cast<size_t>(data) % CURL_LOCK_DATA_LAST].lock();
}

void Share::Unlock(CURL*, curl_lock_data data, void* self) {
  static_cast<Share*>(self)->locks_[static_cast<size_t>(data) % CURL_LOCK_DATA_LAST].unlock();
}

EasyHandle EasyPool::Acquire() {
  EasyHandle h;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      h = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (h) {
    curl_easy_reset(h.get());  // keeps live connections and caches
  } else {
    InitCurlOnce();
    h.reset(curl_easy_init());
    if (!h) return h;
  }
  if (share_.get() != nullptr) curl_easy_setopt(h.get(), CURLOPT_SHARE, share_.get());
  return h;
}

void EasyPool::Release(EasyHandle h) {
  if (!h) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < max_idle_) {
      idle_.push_back(std::move(h));
      return;
    }
  }
  h.reset();  // the pool is full: close its connections, outside the lock
}

}  // namespace custos::http::internal
