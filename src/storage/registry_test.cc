#include "storage/registry.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace custos {
namespace {

std::string LocationOf(const std::string& url) {
  auto b = OpenBackend(url);
  EXPECT_TRUE(b.ok()) << url << ": " << b.status().ToString();
  return b.ok() ? (*b)->Location() : "";
}

TEST(OpenBackend, PlainPaths) {
  EXPECT_EQ(LocationOf("/srv/vault"), "/srv/vault");
  EXPECT_EQ(LocationOf("/srv/vault/"), "/srv/vault");
  const std::string cwd = std::filesystem::current_path().string();
  EXPECT_EQ(LocationOf("rel/dir"), cwd + "/rel/dir");
  EXPECT_EQ(LocationOf("./a/../b"), cwd + "/b");
}

TEST(OpenBackend, FileUrls) {
  EXPECT_EQ(LocationOf("file:///srv/vault"), "/srv/vault");
  EXPECT_EQ(LocationOf("FILE:///srv/vault"), "/srv/vault");
  EXPECT_EQ(LocationOf("file://localhost/srv/vault"), "/srv/vault");
  EXPECT_EQ(LocationOf("file:/srv/vault"), "/srv/vault");
  EXPECT_EQ(LocationOf("file:///srv/my%20vault"), "/srv/my vault");
  for (const char* bad :
       {"file://otherhost/srv", "file:relative", "file://", "file:///a%zz", "file:///a?x=1"}) {
    EXPECT_EQ(OpenBackend(bad).status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(OpenBackend, LocalProperties) {
  auto b = OpenBackend("/srv/vault");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE((*b)->Properties().atomic_replace);
  EXPECT_EQ((*b)->Properties().connections, 2);
}

TEST(OpenBackend, MemoryIsFreshEachTime) {
  auto a = OpenBackend("mem:");
  auto b = OpenBackend("mem:");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(SaveBytes(**a, "config", AsBytes("x")).ok());
  EXPECT_TRUE((*a)->Stat("config").ok());
  EXPECT_EQ((*b)->Stat("config").status().code(), Code::kNotFound);
  EXPECT_TRUE((*a)->Properties().atomic_replace);
}

TEST(OpenBackend, RejectsUnknownSchemesAndEmpty) {
  auto gopher = OpenBackend("gopher://host/prefix");
  EXPECT_EQ(gopher.status().code(), Code::kInvalidArgument);
  EXPECT_NE(gopher.status().message().find("unsupported storage address scheme 'gopher'"),
            std::string::npos)
      << gopher.status().ToString();
  auto sftp = OpenBackend("SFTP://user:pw@host/x");
  EXPECT_NE(sftp.status().message().find("'sftp'"), std::string::npos);
  EXPECT_EQ(sftp.status().message().find("pw"), std::string::npos);
  EXPECT_EQ(OpenBackend("").status().code(), Code::kInvalidArgument);
}

TEST(OpenBackend, S3) {
  setenv("AWS_ACCESS_KEY_ID", "AKIAREGISTRYTEST0000", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "registry-test-secret", 1);
  auto b = OpenBackend("s3://my-bucket/vault?region=eu-west-1&object_lock=governance");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*b)->Location(), "s3://my-bucket/vault");
  EXPECT_TRUE((*b)->Properties().object_lock);
  EXPECT_TRUE((*b)->Properties().server_checksums);
  auto moto = OpenBackend("S3://my-bucket/v?profile=generic&endpoint=http://127.0.0.1:9");
  ASSERT_TRUE(moto.ok()) << moto.status().ToString();
  EXPECT_EQ((*moto)->Location().find("registry-test-secret"), std::string::npos);
  EXPECT_EQ(OpenBackend("s3://my-bucket/v?unknown=1").status().code(), Code::kInvalidArgument);
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
}

TEST(RedactUrl, UserinfoPassword) {
  EXPECT_EQ(RedactUrl("sftp://user:hunter2@host:22/path"), "sftp://user:***@host:22/path");
  EXPECT_EQ(RedactUrl("https://u:p@ss@h/x"), "https://u:***@h/x");
  EXPECT_EQ(RedactUrl("sftp://user@host/path"), "sftp://user@host/path");
  EXPECT_EQ(RedactUrl("s3://host/a@b"), "s3://host/a@b");
}

TEST(RedactUrl, SecretQueryParameters) {
  EXPECT_EQ(RedactUrl("https://acct.blob.core.windows.net/c?sv=2022&sig=abc%2F&se=2024"),
            "https://acct.blob.core.windows.net/c?sv=2022&sig=***&se=2024");
  EXPECT_EQ(RedactUrl("s3://b/p?access_key=AK&secret_key=SK&region=eu"),
            "s3://b/p?access_key=***&secret_key=***&region=eu");
  EXPECT_EQ(RedactUrl("gs://h/p?Token=t&Password=pw#frag"), "gs://h/p?Token=***&Password=***#frag");
  EXPECT_EQ(RedactUrl("https://h/o?X-Amz-Credential=AK%2F&X-Amz-Signature=ff&X-Amz-Date=1"),
            "https://h/o?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Date=1");
  EXPECT_EQ(RedactUrl("https://h/o?flag&key="), "https://h/o?flag&key=***");
}

TEST(RedactUrl, PlainPathsUnchanged) {
  EXPECT_EQ(RedactUrl("/srv/vault"), "/srv/vault");
  EXPECT_EQ(RedactUrl("rel/dir?token=x"), "rel/dir?token=x");
  EXPECT_EQ(RedactUrl(""), "");
  EXPECT_EQ(RedactUrl("mem:"), "mem:");
}

}  // namespace
}  // namespace custos
