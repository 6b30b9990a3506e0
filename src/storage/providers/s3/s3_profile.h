// S3 profiles: what an S3-compatible service needs beyond the S3 API itself
// (endpoint pattern, addressing style, default region, missing features).
//
// Contract
// - The profiles are data (profiles.toml, compiled in); they are parsed once,
//   on first use, and are immutable afterwards. All functions are thread-safe.
// - FindS3Profile returns InvalidArgument naming the known profiles for an
//   unknown name; Internal if the compiled-in table is malformed (a build bug
//   that the unit tests catch).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace custos::s3 {

enum class Addressing { kVirtualHost, kPath };

struct S3Profile {
  std::string name;
  std::string endpoint;  // host pattern with {region} / {namespace}; "" = none
  Addressing addressing = Addressing::kPath;
  std::string default_region;  // "" = the address must give one
  bool object_lock = false;
  bool versioning = false;
  bool lifecycle = false;
  uint64_t min_part_size = 5 << 20;
  bool bearer_auth = false;  // an IAM API key can replace HMAC keys (IBM COS)
};

Result<S3Profile> FindS3Profile(std::string_view name);
// Names of all profiles, sorted.
Result<std::vector<std::string>> S3ProfileNames();

// Fills {region} and {namespace} into profile.endpoint. InvalidArgument when
// the pattern is empty (the address must give ?endpoint=) or needs a value
// that is empty.
Result<std::string> ExpandEndpoint(const S3Profile& profile, std::string_view region,
                                   std::string_view name_space);

// Parses a profiles table (exposed for tests).
Result<std::vector<S3Profile>> ParseS3Profiles(std::string_view toml_text);

}  // namespace custos::s3
