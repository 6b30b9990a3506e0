#include "storage/providers/s3/s3_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace custos::s3 {
namespace {

EnvFn FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
const EnvFn kNoEnv = FakeEnv({});

S3Config Parse(const std::string& url, const EnvFn& env = kNoEnv) {
  auto c = ParseS3Address(url, env);
  EXPECT_TRUE(c.ok()) << url << ": " << c.status().ToString();
  return c.ok() ? *c : S3Config();
}

TEST(S3Profiles, TableIsCompleteAndConsistent) {
  auto names = S3ProfileNames();
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  for (const char* want : {"aws", "wasabi", "filebase", "ibmcos", "oracle", "generic"}) {
    EXPECT_NE(std::find(names->begin(), names->end(), want), names->end()) << want;
  }
  auto filebase = FindS3Profile("filebase");
  ASSERT_TRUE(filebase.ok());
  EXPECT_FALSE(filebase->object_lock);
  EXPECT_FALSE(filebase->versioning);
  EXPECT_TRUE(FindS3Profile("ibmcos")->bearer_auth);
  EXPECT_FALSE(FindS3Profile("aws")->bearer_auth);
  EXPECT_EQ(FindS3Profile("oracle")->min_part_size, 10u << 20);
  auto unknown = FindS3Profile("minio");
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("wasabi"), std::string::npos);
}

TEST(S3Profiles, ParserRejectsBrokenTables) {
  EXPECT_FALSE(ParseS3Profiles("[x]\naddressing = \"path\"\n").ok());  // no endpoint
  EXPECT_FALSE(ParseS3Profiles("[x]\nendpoint=\"\"\naddressing=\"sideways\"\ndefault_region=\"\""
                               "\nmin_part_size=1\n")
                   .ok());
  EXPECT_FALSE(ParseS3Profiles("x = 1\n").ok());
  EXPECT_FALSE(ParseS3Profiles("[x\n").ok());
  EXPECT_FALSE(ParseS3Profiles("").ok());
  auto ok = ParseS3Profiles(
      "[x]\nendpoint=\"h.{region}\"\naddressing=\"virtual\"\ndefault_region=\"r\"\n"
      "min_part_size=5\nobject_lock=true\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)[0].addressing, Addressing::kVirtualHost);
  EXPECT_TRUE((*ok)[0].object_lock);
}

TEST(S3Profiles, EndpointPatterns) {
  EXPECT_EQ(*ExpandEndpoint(*FindS3Profile("wasabi"), "eu-central-1", ""),
            "s3.eu-central-1.wasabisys.com");
  EXPECT_EQ(*ExpandEndpoint(*FindS3Profile("oracle"), "eu-frankfurt-1", "axnsp"),
            "axnsp.compat.objectstorage.eu-frankfurt-1.oraclecloud.com");
  EXPECT_EQ(*ExpandEndpoint(*FindS3Profile("ibmcos"), "eu-de", ""),
            "s3.eu-de.cloud-object-storage.appdomain.cloud");
  EXPECT_EQ(*ExpandEndpoint(*FindS3Profile("filebase"), "us-east-1", ""), "s3.filebase.com");
  EXPECT_EQ(ExpandEndpoint(*FindS3Profile("oracle"), "eu-frankfurt-1", "").status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(ExpandEndpoint(*FindS3Profile("generic"), "r", "").status().code(),
            Code::kInvalidArgument);
}

TEST(S3Address, AwsDefaultsAndVirtualHostUrls) {
  S3Config c = Parse("s3://my-bucket/backups/vault");
  EXPECT_EQ(c.bucket, "my-bucket");
  EXPECT_EQ(c.prefix, "backups/vault");
  EXPECT_EQ(c.profile.name, "aws");
  EXPECT_EQ(c.region, "us-east-1");
  EXPECT_EQ(c.host, "s3.us-east-1.amazonaws.com");
  EXPECT_FALSE(c.path_style);
  EXPECT_EQ(c.Key("data/ab/x"), "backups/vault/data/ab/x");
  EXPECT_EQ(c.ObjectUrl(c.Key("data/ab/x y")),
            "https://my-bucket.s3.us-east-1.amazonaws.com/backups/vault/data/ab/x%20y");
  EXPECT_EQ(c.BucketUrl("list-type=2"),
            "https://my-bucket.s3.us-east-1.amazonaws.com/?list-type=2");
  EXPECT_EQ(c.Location(), "s3://my-bucket/backups/vault");

  S3Config root = Parse("s3://my-bucket/?region=eu-west-1", FakeEnv({{"AWS_REGION", "x-1"}}));
  EXPECT_EQ(root.prefix, "");
  EXPECT_EQ(root.Key("config"), "config");
  EXPECT_EQ(root.region, "eu-west-1");
  EXPECT_EQ(Parse("s3://my-bucket", FakeEnv({{"AWS_REGION", "ap-south-1"}})).region, "ap-south-1");
}

TEST(S3Address, PathStyleAndEndpoints) {
  S3Config moto = Parse("s3://bucket/p?endpoint=http://127.0.0.1:5000&profile=generic");
  EXPECT_TRUE(moto.path_style);
  EXPECT_EQ(moto.scheme, "http");
  EXPECT_EQ(moto.ObjectUrl("p/config"), "http://127.0.0.1:5000/bucket/p/config");
  EXPECT_EQ(moto.BucketUrl(), "http://127.0.0.1:5000/bucket/");
  EXPECT_NE(moto.Location().find("http://127.0.0.1:5000"), std::string::npos);

  S3Config wasabi = Parse("s3://bucket/p?profile=wasabi&region=eu-central-2");
  EXPECT_EQ(wasabi.ObjectUrl("p/x"), "https://s3.eu-central-2.wasabisys.com/bucket/p/x");
  S3Config forced = Parse("s3://bucket/p?profile=wasabi&path_style=0");
  EXPECT_EQ(forced.ObjectUrl("k"), "https://bucket.s3.us-east-1.wasabisys.com/k");
  S3Config dotted = Parse("s3://my.bucket/p");
  EXPECT_TRUE(dotted.path_style);  // a dotted bucket breaks the TLS wildcard
  S3Config custom = Parse("s3://bucket/p?profile=generic&endpoint=minio.example:9000/");
  EXPECT_EQ(custom.scheme, "https");
  EXPECT_EQ(custom.ObjectUrl("k"), "https://minio.example:9000/bucket/k");
  S3Config oracle = Parse("s3://bucket?profile=oracle&region=eu-frankfurt-1&namespace=ns1");
  EXPECT_EQ(oracle.BucketUrl(),
            "https://ns1.compat.objectstorage.eu-frankfurt-1.oraclecloud.com/bucket/");
}

TEST(S3Address, Settings) {
  S3Config c = Parse(
      "s3://bucket/p?object_lock=governance&retention_days=30&legal_hold=1&"
      "lifecycle_noncurrent_days=90&abort_multipart_days=2&multipart_threshold=100M&"
      "part_size=8MiB&state_dir=/tmp/st&max_keys=2");
  EXPECT_EQ(c.lock_mode, "GOVERNANCE");
  EXPECT_EQ(c.retention_days, 30);
  EXPECT_TRUE(c.legal_hold);
  EXPECT_TRUE(c.versioning);  // object lock implies versioning
  EXPECT_EQ(c.lifecycle_noncurrent_days, 90);
  EXPECT_EQ(c.abort_multipart_days, 2);
  EXPECT_EQ(c.multipart_threshold, 100u << 20);
  EXPECT_EQ(c.part_size, 8u << 20);
  EXPECT_EQ(c.state_dir, "/tmp/st");
  EXPECT_EQ(c.max_keys, 2);
  EXPECT_EQ(Parse("s3://bucket?object_lock=COMPLIANCE").lock_mode, "COMPLIANCE");
}

TEST(S3Address, Rejections) {
  struct Case {
    const char* url;
    Code code;
  };
  for (const Case& c : {
           Case{"s3://", Code::kInvalidArgument},
           Case{"s3://ab/x", Code::kInvalidArgument},      // too short
           Case{"s3://Bucket/x", Code::kInvalidArgument},  // upper case
           Case{"s3://bucket_x/x", Code::kInvalidArgument},
           Case{"gs://bucket/x", Code::kInvalidArgument},
           Case{"s3://bucket//x", Code::kInvalidArgument},
           Case{"s3://bucket/x?bogus=1", Code::kInvalidArgument},
           Case{"s3://bucket/x?retention_days=ten", Code::kInvalidArgument},
           Case{"s3://bucket/x?retention_days=3", Code::kInvalidArgument},  // no object_lock
           Case{"s3://bucket/x?object_lock=forever", Code::kInvalidArgument},
           Case{"s3://bucket/x?part_size=1M", Code::kInvalidArgument},  // below 5 MiB
           Case{"s3://bucket/x?multipart_threshold=6G", Code::kInvalidArgument},
           Case{"s3://bucket/x?profile=minio", Code::kInvalidArgument},
           Case{"s3://bucket/x?profile=generic", Code::kInvalidArgument},  // needs endpoint
           Case{"s3://bucket/x?profile=oracle&namespace=n", Code::kInvalidArgument},  // region
           Case{"s3://bucket/x?endpoint=ftp://h", Code::kInvalidArgument},
           Case{"s3://bucket/x?endpoint=http://h/path", Code::kInvalidArgument},
           Case{"s3://bucket/x?region=eu%2Fwest", Code::kInvalidArgument},
           Case{"s3://bucket/x?max_keys=0", Code::kInvalidArgument},
           Case{"s3://bucket/x#frag", Code::kInvalidArgument},
           Case{"s3://bucket/x?profile=filebase&object_lock=governance", Code::kUnsupported},
           Case{"s3://bucket/x?profile=filebase&versioning=1", Code::kUnsupported},
           Case{"s3://bucket/x?profile=oracle&region=r&namespace=n&lifecycle_noncurrent_days=3",
                Code::kUnsupported},
       }) {
    EXPECT_EQ(ParseS3Address(c.url, kNoEnv).status().code(), c.code) << c.url;
  }
  // Unknown parameters are named, but only by name.
  auto st = ParseS3Address("s3://bucket/x?secret_access_key=hunter2", kNoEnv).status();
  EXPECT_NE(st.message().find("secret_access_key"), std::string::npos);
  EXPECT_EQ(st.message().find("hunter2"), std::string::npos);
}

TEST(S3Address, ByteSizes) {
  EXPECT_EQ(*ParseByteSize("123"), 123u);
  EXPECT_EQ(*ParseByteSize("4k"), 4096u);
  EXPECT_EQ(*ParseByteSize("64M"), 64u << 20);
  EXPECT_EQ(*ParseByteSize("2GiB"), 2ull << 30);
  for (const char* bad : {"", "M", "12T", "-1", "1.5M", "99999999999G"}) {
    EXPECT_FALSE(ParseByteSize(bad).ok()) << bad;
  }
}

class CredentialsFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("s3cred-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "credentials").string();
    std::ofstream(path_) << "# comment\n[default]\naws_access_key_id = AKDEFAULT\n"
                            "aws_secret_access_key = sdefault\n\n[backup]\n"
                            "aws_access_key_id=AKBACKUP\naws_secret_access_key=sbackup\n"
                            "aws_session_token=tok\n[ibm]\nibm_api_key = ibmkey\n"
                            "[broken]\naws_access_key_id=only\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(CredentialsFile, EnvironmentFirst) {
  S3Config c = Parse("s3://bucket/p");
  auto cr = LoadS3Credentials(c, FakeEnv({{"AWS_ACCESS_KEY_ID", "AKENV"},
                                          {"AWS_SECRET_ACCESS_KEY", "senv"},
                                          {"AWS_SESSION_TOKEN", "t"},
                                          {"AWS_SHARED_CREDENTIALS_FILE", path_}}));
  ASSERT_TRUE(cr.ok());
  EXPECT_EQ(cr->access_key_id, "AKENV");
  EXPECT_EQ(cr->session_token, "t");
  EXPECT_TRUE(cr->ibm_api_key.empty());
}

TEST_F(CredentialsFile, FileSections) {
  auto def = LoadS3Credentials(Parse("s3://bucket/p?credentials_file=" + path_),
                               FakeEnv({{"AWS_ACCESS_KEY_ID", "AKENV"}}));
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->access_key_id, "AKDEFAULT");
  EXPECT_EQ(def->secret_access_key, "sdefault");
  auto named = LoadS3Credentials(
      Parse("s3://bucket/p?credentials_file=" + path_ + "&aws_profile=backup"), kNoEnv);
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->access_key_id, "AKBACKUP");
  EXPECT_EQ(named->session_token, "tok");
  auto via_env = LoadS3Credentials(
      Parse("s3://bucket/p"),
      FakeEnv({{"AWS_SHARED_CREDENTIALS_FILE", path_}, {"AWS_PROFILE", "backup"}}));
  ASSERT_TRUE(via_env.ok());
  EXPECT_EQ(via_env->access_key_id, "AKBACKUP");
  auto ibm = LoadS3Credentials(
      Parse("s3://bucket/p?profile=ibmcos&credentials_file=" + path_ + "&aws_profile=ibm"), kNoEnv);
  ASSERT_TRUE(ibm.ok()) << ibm.status().ToString();
  EXPECT_EQ(ibm->ibm_api_key, "ibmkey");

  auto broken = LoadS3Credentials(
      Parse("s3://bucket/p?credentials_file=" + path_ + "&aws_profile=broken"), kNoEnv);
  EXPECT_EQ(broken.status().code(), Code::kInvalidArgument);
  auto missing_section = LoadS3Credentials(
      Parse("s3://bucket/p?credentials_file=" + path_ + "&aws_profile=nope"), kNoEnv);
  EXPECT_NE(missing_section.status().message().find("[nope]"), std::string::npos);
  auto missing_file =
      LoadS3Credentials(Parse("s3://bucket/p?credentials_file=/nonexistent/creds"), kNoEnv);
  EXPECT_FALSE(missing_file.ok());
  EXPECT_NE(missing_file.status().message().find("/nonexistent/creds"), std::string::npos);
  // Nothing anywhere: a clear message, no secret in it.
  auto none = LoadS3Credentials(Parse("s3://bucket/p"), FakeEnv({{"HOME", dir_.string()}}));
  EXPECT_EQ(none.status().code(), Code::kInvalidArgument);
  EXPECT_NE(none.status().message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST_F(CredentialsFile, IbmApiKeyOnlyForBearerProfiles) {
  auto env =
      FakeEnv({{"IBM_API_KEY", "k"}, {"AWS_ACCESS_KEY_ID", "a"}, {"AWS_SECRET_ACCESS_KEY", "s"}});
  EXPECT_EQ(LoadS3Credentials(Parse("s3://bucket/p?profile=ibmcos"), env)->ibm_api_key, "k");
  EXPECT_EQ(LoadS3Credentials(Parse("s3://bucket/p"), env)->ibm_api_key, "");
}

TEST(S3Ini, Parsing) {
  auto kv = ParseIniSection("[a]\nx=1\n[profile b]\ny = two words \n", "b");
  ASSERT_TRUE(kv.ok());
  ASSERT_EQ(kv->size(), 1u);
  EXPECT_EQ((*kv)[0].second, "two words");
  EXPECT_FALSE(ParseIniSection("[a\nx=1\n", "a").ok());
  EXPECT_FALSE(ParseIniSection("[a]\njunk\n", "a").ok());
}

}  // namespace
}  // namespace custos::s3
