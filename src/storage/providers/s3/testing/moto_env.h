// A moto_server for tests: the one named by the environment (MOTO_ENDPOINT,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), or else one started on first use
// through tests/servers/moto.sh (signatures enforced) and stopped when the
// process exits.
//
// Thread-safe; the returned pointer lives until process exit. nullptr when no
// server is available (moto_server or awscli missing); the reason is printed
// to stderr once.
#pragma once

#include <string>

namespace custos::s3::testing {

struct MotoServer {
  std::string endpoint;  // http://127.0.0.1:<port>
  std::string access_key_id;
  std::string secret_access_key;
};

const MotoServer* Moto();

// A valid bucket name made from a test's unique prefix ("cf-roundtrip-1a2b").
std::string BucketFor(const std::string& tag, const std::string& unique_prefix);

}  // namespace custos::s3::testing
