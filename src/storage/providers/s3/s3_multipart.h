// Multipart upload for large objects, resumable across crashes.
//
// Flow: CreateMultipartUpload -> UploadPart 1..N (streamed from the source,
// one part in memory at a time, each with Content-MD5 and its SHA-256) ->
// CompleteMultipartUpload. The upload id is written to a small state file
// (<state_dir>/<hash of endpoint, bucket and key>.json) before the first part,
// so when a process dies or a part fails, the next Save of the same name
// resumes: it lists the parts already uploaded (ListParts) and skips those
// whose size and ETag (the part's MD5) match what the source yields now.
//
// Contract
// - Thread-safe for different keys; two concurrent Saves of the same key
//   share one state file and may spoil each other's upload (the vault never
//   does that: names are content-addressed or written once).
// - Errors: Corruption when the source yields more/fewer bytes than its
//   Length() or a content that does not match its Sha256() (the upload is
//   then aborted and forgotten); transport and Retryable errors keep the
//   upload and its state for a resume; other S3 errors are classified as in
//   s3_errors.h. A state file that cannot be written only disables resuming.
#pragma once

#include <atomic>
#include <string>

#include "base/result.h"
#include "storage/backend.h"
#include "storage/http/http_client.h"
#include "storage/providers/s3/s3_request.h"

namespace custos::s3 {

struct MultipartStats {
  std::atomic<uint64_t> parts_uploaded{0};
  std::atomic<uint64_t> parts_skipped{0};  // already on the server (resume)
  std::atomic<uint64_t> uploads_resumed{0};
};

// The directory for state files: config.state_dir, else
// $XDG_STATE_HOME/custos/s3-uploads, else ~/.local/state/custos/s3-uploads;
// "" when none can be determined.
std::string MultipartStateDir(const S3Config& config);

// Uploads src as `key`. extra_headers go on CreateMultipartUpload (object
// lock settings).
Status MultipartUpload(S3Requester& r, const std::string& key, ByteSource& src,
                       const http::Headers& extra_headers, MultipartStats& stats);

}  // namespace custos::s3
