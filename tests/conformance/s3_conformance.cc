// The Backend conformance suite against moto_server, once per S3 profile moto
// can stand in for (the profile's endpoint replaced by moto's). Each test gets
// a fresh bucket named after its unique prefix.
//
// moto comes from MOTO_ENDPOINT / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
// or is started through tests/servers/moto.sh; without moto the factories
// return nullptr and the tests skip (or fail, for names listed in
// CUSTOS_CONFORMANCE_REQUIRED, e.g. "s3_aws,s3_wasabi,...").
#include <filesystem>

#include "backend_conformance.h"
#include "storage/providers/s3/s3_backend.h"
#include "storage/providers/s3/testing/moto_env.h"

namespace custos {
namespace {

using s3::testing::Moto;

std::string StateDir(const std::string& prefix) {
  return ::testing::TempDir() + "custos-s3-state/" + prefix;
}

// profile_query: the profile and what it needs besides the endpoint.
std::unique_ptr<Backend> MakeS3(const std::string& tag, const std::string& profile_query,
                                const std::string& prefix) {
  const s3::testing::MotoServer* moto = Moto();
  if (moto == nullptr) return nullptr;
  const std::string url = "s3://" + s3::testing::BucketFor(tag, prefix) + "/vault?" +
                          profile_query + "&endpoint=" + moto->endpoint +
                          "&state_dir=" + StateDir(prefix);
  auto config = s3::ParseS3Address(url, [](const char*) { return std::nullopt; });
  if (!config.ok()) {
    ADD_FAILURE() << url << ": " << config.status().ToString();
    return nullptr;
  }
  s3::S3Credentials creds;
  creds.access_key_id = moto->access_key_id;
  creds.secret_access_key = moto->secret_access_key;
  return std::make_unique<s3::S3Backend>(*config, creds);
}

void CleanupS3(const std::string& prefix) {
  std::error_code ec;
  std::filesystem::remove_all(StateDir(prefix), ec);
}

BackendFactory S3Factory(const std::string& name, const std::string& tag,
                         const std::string& profile_query) {
  return BackendFactory{
      name, [=](const std::string& prefix) { return MakeS3(tag, profile_query, prefix); },
      CleanupS3};
}

// aws: virtual-host style by default, forced to path style by the IP endpoint;
// with object lock and retention so every Save carries the lock headers.
// generic: a small multipart threshold, so the 17 MiB round trip and the
// concurrent saves go through multipart uploads.
INSTANTIATE_TEST_SUITE_P(
    S3, BackendConformanceTest,
    ::testing::Values(
        S3Factory("s3_aws", "aws", "profile=aws&region=us-east-1"),
        S3Factory("s3_aws_locked", "awsl",
                  "profile=aws&object_lock=governance&retention_days=1&region=eu-west-1"),
        S3Factory("s3_wasabi", "wasabi", "profile=wasabi&region=eu-central-1"),
        S3Factory("s3_filebase", "filebase", "profile=filebase"),
        S3Factory("s3_ibmcos", "ibmcos", "profile=ibmcos&region=eu-de"),
        S3Factory("s3_oracle", "oracle", "profile=oracle&region=eu-frankfurt-1&namespace=ns"),
        S3Factory("s3_generic", "generic",
                  "profile=generic&multipart_threshold=5M&part_size=5M&max_keys=3")),
    BackendFactoryName);

}  // namespace
}  // namespace custos
