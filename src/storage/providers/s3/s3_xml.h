// S3 wire formats: parsing the XML answers of S3 and building request bodies.
//
// Contract
// - Pure functions over strings; thread-safe; no I/O.
// - Parsers treat the input as hostile: malformed, truncated or oversized XML,
//   missing or non-numeric fields give Corruption naming the document and the
//   field ("ListBucketResult: <Size> is not a number"), never a crash.
// - Builders escape every value they put into XML.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace custos::s3 {

// <Error><Code/><Message/><Region/>...</Error>. Code and message are cut to
// 200 bytes of printable ASCII.
struct S3Error {
  std::string code;
  std::string message;
  std::string region;  // the bucket's region where the server names it
};
Result<S3Error> ParseError(std::string_view xml);

struct ListedObject {
  std::string key;
  uint64_t size = 0;
};
struct ListPage {
  std::vector<ListedObject> objects;
  bool truncated = false;
  std::string next_token;  // NextContinuationToken when truncated
};
// ListObjectsV2 (ListBucketResult). Corruption when truncated without a token.
Result<ListPage> ParseListObjectsV2(std::string_view xml);

// InitiateMultipartUploadResult -> UploadId.
Result<std::string> ParseInitiateMultipartUpload(std::string_view xml);

struct PartInfo {
  int number = 0;
  std::string etag;  // with its quotes, as the server sent it
  uint64_t size = 0;
};
struct PartsPage {
  std::vector<PartInfo> parts;
  bool truncated = false;
  int next_marker = 0;
};
// ListPartsResult.
Result<PartsPage> ParseListParts(std::string_view xml);

struct UploadInfo {
  std::string key;
  std::string upload_id;
  std::chrono::system_clock::time_point initiated;
};
struct UploadsPage {
  std::vector<UploadInfo> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};
// ListMultipartUploadsResult.
Result<UploadsPage> ParseListMultipartUploads(std::string_view xml);

// The body of a 200 answer to CompleteMultipartUpload, which may still carry
// an <Error>: returns that error's code/message, or nullopt on success.
// Corruption when the body is neither.
Result<std::optional<S3Error>> ParseCompleteMultipartUpload(std::string_view xml);

// ISO 8601 UTC time as S3 writes it: "2026-01-02T03:04:05.000Z" (fraction
// optional). InvalidArgument when malformed.
Result<std::chrono::system_clock::time_point> ParseIsoTime(std::string_view text);
// "2026-01-02T03:04:05Z" (what x-amz-object-lock-retain-until-date takes).
std::string FormatIsoTime(std::chrono::system_clock::time_point t);

// Request bodies.
std::string XmlEscape(std::string_view s);
std::string BuildCompleteMultipartUpload(const std::vector<PartInfo>& parts);
std::string BuildCreateBucket(std::string_view location_constraint);  // "" -> empty body
std::string BuildVersioning(bool enabled);
// One rule over `prefix`: NoncurrentVersionExpiration after noncurrent_days
// and AbortIncompleteMultipartUpload after abort_days (0 = rule part omitted).
std::string BuildLifecycle(std::string_view prefix, int noncurrent_days, int abort_days);
// mode "GOVERNANCE" or "COMPLIANCE"; days 0 = lock enabled without a default rule.
std::string BuildObjectLockConfiguration(std::string_view mode, int days);

}  // namespace custos::s3
