// S3 error classification: an S3 answer that is not 2xx becomes a Status with
// the Backend contract's code and a message a user can act on.
//
// Contract (pure, thread-safe; the provider classifies, it never retries):
//   SlowDown, 503, 500, InternalError, RequestTimeout, Throttling, 408, 429
//        -> Retryable (with the Retry-After hint when sent)
//   NoSuchKey, 404 -> NotFound;  NoSuchBucket -> NotFound "bucket ... does not exist"
//   SignatureDoesNotMatch, InvalidAccessKeyId -> PermissionDenied saying the
//        secret / key id is wrong;  ExpiredToken -> PermissionDenied "credentials expired"
//   AuthorizationHeaderMalformed, PermanentRedirect, IllegalLocationConstraint,
//        301 / 400 with x-amz-bucket-region -> InvalidArgument "wrong region"
//   BadDigest, XAmzContentSHA256Mismatch, InvalidDigest -> Corruption
//   EntityTooLarge -> InvalidArgument;  QuotaExceeded, 507 -> NoSpace
//   other codes -> as http::ClassifyStatus maps the HTTP status.
// Messages name the operation (context) and the bucket, and carry the
// server's code; they never contain credentials or request headers.
#pragma once

#include <string_view>

#include "base/status.h"
#include "storage/http/http_client.h"

namespace custos::s3 {

Status ClassifyS3Response(const http::Response& resp, std::string_view context,
                          std::string_view bucket);

}  // namespace custos::s3
