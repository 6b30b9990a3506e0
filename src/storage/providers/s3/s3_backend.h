// S3Backend: a Backend over an S3 bucket (AWS S3 and S3-compatible services,
// which are profiles: see s3_profile.h and profiles.toml).
//
// Contract (in addition to storage/backend.h)
// - Thread-safe; one HTTP connection pool per backend.
// - Objects live under "<prefix>/" in the bucket; names map 1:1 to keys.
// - Save sends the content's SHA-256 (x-amz-content-sha256, signed, and
//   x-amz-checksum-sha256), so the server verifies it; the provider verifies
//   it too while streaming and aborts before the last byte on a mismatch
//   (Corruption). Objects at or above multipart_threshold go as a resumable
//   multipart upload (s3_multipart.h). With object lock configured, each
//   saved object gets the retention mode and retain-until date (and a legal
//   hold), except the short-lived locks/ objects (a bucket default
//   retention, when set, still applies to them; removing one then leaves a
//   delete marker over the retained version).
// - Load streams a ranged GetObject to the consumer on the calling thread.
// - Remove issues HeadObject first, because S3's DeleteObject succeeds for a
//   missing key: NotFound then. In a versioned bucket it adds a delete marker.
// - Create creates the bucket (region constraint; object lock enabled when
//   configured) unless it exists and is ours, then applies versioning,
//   lifecycle and default retention as configured.
// - Errors are classified as in s3_errors.h; the backend never retries.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "storage/backend.h"
#include "storage/providers/s3/s3_config.h"
#include "storage/providers/s3/s3_multipart.h"
#include "storage/providers/s3/s3_request.h"

namespace custos::s3 {

class S3Backend : public Backend {
 public:
  S3Backend(S3Config config, S3Credentials credentials, http::ClientOptions options = {});

  std::string Location() const override;
  const BackendProperties& Properties() const override { return properties_; }
  Status Create() override;
  Status Save(const std::string& name, ByteSource& src) override;
  Status Load(const std::string& name, uint64_t offset, uint64_t length,
              const LoadConsumer& consumer) override;
  Result<ObjectInfo> Stat(const std::string& name) override;
  Status List(const std::string& prefix,
              const std::function<Status(const ObjectInfo&)>& fn) override;
  Status Remove(const std::string& name) override;
  Result<uint64_t> RemoveIncomplete(std::chrono::seconds min_age) override;

  const S3Config& config() const { return requester_.config(); }
  const MultipartStats& multipart_stats() const { return stats_; }

 private:
  Status SaveSingle(const std::string& key, ByteSource& src, const http::Headers& lock_headers);
  http::Headers LockHeaders(const std::string& name) const;
  Status ApplyBucketSettings();

  S3Requester requester_;
  BackendProperties properties_;
  MultipartStats stats_;
  std::atomic<bool> bucket_seen_{false};  // some answer proved the bucket exists
};

// The registry's factory: parses the address, loads credentials (never
// touching the network) and opens the backend.
Result<std::unique_ptr<Backend>> OpenS3Backend(const std::string& url);

}  // namespace custos::s3
