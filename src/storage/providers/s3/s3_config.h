// S3 addresses: parsing "s3://bucket/prefix?..." into a configuration, loading
// credentials, and building request URLs.
//
// Address
//   s3://<bucket>[/<prefix>][?<param>=<value>&...]
//   region=<r>            signing region (default: the profile's)
//   endpoint=<url|host>   overrides the profile's endpoint ("http://127.0.0.1:9000",
//                         "minio.example:9000"; https when no scheme is given)
//   profile=<name>        aws (default), wasabi, filebase, ibmcos, oracle, generic
//   namespace=<ns>        Oracle's object storage namespace
//   path_style=0|1        force the addressing style
//   credentials_file=<p>  INI file like ~/.aws/credentials; aws_profile=<section>
//   object_lock=governance|compliance, retention_days=N, legal_hold=1
//   versioning=1, lifecycle_noncurrent_days=N, abort_multipart_days=N
//   multipart_threshold=<bytes>, part_size=<bytes> (K/M/G suffixes allowed)
//   state_dir=<dir>       where interrupted multipart uploads are remembered
//   iam_token_url=<url>   IBM IAM token endpoint (tests)
//   max_keys=N            page size of listings (tests)
// Secrets never come from the address; they come from the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, IBM_API_KEY)
// or from a credentials file.
//
// Contract: pure functions (LoadS3Credentials reads files); thread-safe.
// Errors: InvalidArgument naming the parameter at fault (never its value when
// it could be secret); PermissionDenied/NotFound naming a credentials file that
// cannot be read; Unsupported when a setting needs a feature the profile lacks.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "storage/providers/s3/s3_profile.h"

namespace custos::s3 {

struct S3Config {
  std::string bucket;
  std::string prefix;  // without leading or trailing '/'; "" = bucket root
  S3Profile profile;
  std::string region;
  std::string scheme = "https";  // of the endpoint
  std::string host;              // endpoint host[:port]
  bool path_style = false;
  std::string name_space;  // Oracle
  std::string lock_mode;   // "", "GOVERNANCE" or "COMPLIANCE"
  int retention_days = 0;
  bool legal_hold = false;
  bool versioning = false;
  int lifecycle_noncurrent_days = 0;
  int abort_multipart_days = 0;
  uint64_t multipart_threshold = uint64_t{64} << 20;
  uint64_t part_size = uint64_t{16} << 20;
  std::string state_dir;  // "" = the default under $XDG_STATE_HOME
  std::string credentials_file;
  std::string aws_profile;
  std::string iam_token_url = "https://iam.cloud.ibm.com/identity/token";
  int max_keys = 1000;

  // "s3://bucket/prefix" (+ the endpoint when it is not AWS's); no secrets.
  std::string Location() const;
  // The object key of a backend name: "<prefix>/<name>" or "<name>".
  std::string Key(std::string_view name) const;
  // The key prefix every object lives under: "<prefix>/" or "".
  std::string KeyPrefix() const;
  // Absolute, percent-encoded URLs. query is "" or "a=b&c" (already encoded).
  std::string BucketUrl(std::string_view query = {}) const;
  std::string ObjectUrl(std::string_view key, std::string_view query = {}) const;
};

using EnvFn = std::function<std::optional<std::string>(const char*)>;
// Reads the process environment.
std::optional<std::string> ProcessEnv(const char* name);

Result<S3Config> ParseS3Address(std::string_view url, const EnvFn& env = ProcessEnv);

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string ibm_api_key;  // set: use IBM IAM bearer tokens instead of SigV4
};

// Environment first (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY), else the
// credentials file (?credentials_file=, $AWS_SHARED_CREDENTIALS_FILE or
// ~/.aws/credentials; section ?aws_profile=, $AWS_PROFILE or "default"). For a
// profile with bearer_auth, an IBM API key (IBM_API_KEY, or ibm_api_key in the
// file) wins. InvalidArgument when no credentials are found.
Result<S3Credentials> LoadS3Credentials(const S3Config& config, const EnvFn& env = ProcessEnv);

// Parses INI text: the key/values of [section]. NotFound when the section is
// missing. Exposed for tests.
Result<std::vector<std::pair<std::string, std::string>>> ParseIniSection(std::string_view text,
                                                                         std::string_view section);

// "64M", "5MiB", "1048576" -> bytes. InvalidArgument when malformed.
Result<uint64_t> ParseByteSize(std::string_view text);

}  // namespace custos::s3
