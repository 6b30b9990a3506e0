// AWS Signature Version 4 for http::Request (header signing and presigned
// URLs), as specified in the AWS General Reference "Signature Version 4
// signing process" and checked against AWS's own test suite and botocore.
//
// Contract
// - Pure functions of their inputs (the clock is a parameter): thread-safe,
//   no I/O, no global state.
// - The request URL must be absolute and already percent-encoded, as
//   http::Request says. The canonical URI is derived from its path:
//     S3 (SigV4Params::s3_path):   each segment is decoded and re-encoded with
//                                  http::UriEncode; no normalisation.
//     other services (default):    dot segments and empty segments removed,
//                                  then the path is encoded once more (AWS's
//                                  "double encoding").
//   The canonical query string is every key=value pair of the URL's query,
//   decoded, re-encoded with http::UriEncode, and sorted by key then value.
// - Every request header is signed except hop-by-hop ones and those proxies
//   rewrite (connection, expect, keep-alive, proxy-*, te, trailer,
//   transfer-encoding, upgrade, user-agent, x-amzn-trace-id) — the same set
//   botocore leaves out. Values are trimmed and inner runs of spaces/tabs
//   collapse to one space; repeated headers join with ',' in request order.
// - Errors (InvalidArgument) name the field at fault and never contain a
//   credential, a header value or the query string: missing key id or
//   secret, empty region or service, a URL without scheme or host, a payload
//   hash that is neither 64 lower-case hex digits nor an AWS sentinel such as
//   UNSIGNED-PAYLOAD, or a header value containing a line break.
#pragma once

#include <chrono>
#include <string>

#include "base/result.h"
#include "storage/http/http_client.h"

namespace custos::signers {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term credentials
};

inline constexpr char kUnsignedPayload[] = "UNSIGNED-PAYLOAD";
inline constexpr char kEmptySha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct SigV4Params {
  std::string region;   // "us-east-1"
  std::string service;  // "s3", "rds", ...
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
  // Hex SHA-256 of the body, or kUnsignedPayload; empty means an empty body.
  std::string payload_hash;
  // S3 rules: canonical URI neither normalised nor double-encoded, and an
  // x-amz-content-sha256 header carrying payload_hash.
  bool s3 = false;
};

// SigV4Params for S3 (s3 = true, service "s3").
SigV4Params S3Params(std::string region, std::string payload_hash,
                     std::chrono::system_clock::time_point time = std::chrono::system_clock::now());

// The intermediate values, exposed for tests and for debugging a
// SignatureDoesNotMatch answer (the server returns its canonical request).
struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lower-case hex
  std::string authorization;  // the Authorization header value
};

// Signs `req` as it stands (adds nothing to it); the host header is taken
// from the URL when the request has none.
Result<SigV4Signature> ComputeSigV4(const http::Request& req, const AwsCredentials& creds,
                                    const SigV4Params& params);

// Adds X-Amz-Date, X-Amz-Security-Token (when the credentials have one),
// X-Amz-Content-SHA256 (S3), Host (when missing) and Authorization to `req`,
// replacing earlier values of those headers (so a retried request can be
// signed again). On error `req` is unchanged.
Status SignRequest(http::Request& req, const AwsCredentials& creds, const SigV4Params& params);

// A presigned URL (query-string authentication) valid for `expires`
// (1 s to 7 days). The payload is UNSIGNED-PAYLOAD when params.payload_hash
// is empty. Signed headers are host plus the request's own headers, which
// the eventual caller must then send unchanged.
Result<std::string> PresignUrl(const http::Request& req, const AwsCredentials& creds,
                               const SigV4Params& params, std::chrono::seconds expires);

}  // namespace custos::signers
