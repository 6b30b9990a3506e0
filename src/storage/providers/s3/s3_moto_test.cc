// The S3 provider against a real moto_server with signatures enforced:
// what the shared conformance suite does not cover (auth failures, missing
// buckets, pagination, multipart resume, bucket settings, object lock).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>
#include <filesystem>
#include <set>

#include "base/random.h"
#include "storage/providers/s3/s3_backend.h"
#include "storage/providers/s3/s3_xml.h"
#include "storage/providers/s3/testing/moto_env.h"

namespace custos::s3 {
namespace {

using testing::Moto;

Bytes RandomBytes(size_t n) {
  Bytes b(n);
  if (n > 0) RandomFill(b);
  return b;
}

class MotoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Moto() == nullptr) GTEST_SKIP() << "moto_server not available";
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    bucket_ = testing::BucketFor("s3", std::string(info->name()) + "-" + RandomHex(4));
    state_dir_ = ::testing::TempDir() + "s3-state-" + bucket_;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  }

  std::string Url(const std::string& extra = "", const std::string& bucket = "") const {
    return "s3://" + (bucket.empty() ? bucket_ : bucket) +
           "/vault?profile=generic&endpoint=" + Moto()->endpoint + "&state_dir=" + state_dir_ +
           extra;
  }

  std::unique_ptr<S3Backend> Open(const std::string& extra = "", std::string secret = "",
                                  const std::string& bucket = "") {
    auto config = ParseS3Address(Url(extra, bucket), [](const char*) { return std::nullopt; });
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    if (!config.ok()) return nullptr;
    S3Credentials creds;
    creds.access_key_id = Moto()->access_key_id;
    creds.secret_access_key = secret.empty() ? Moto()->secret_access_key : secret;
    return std::make_unique<S3Backend>(*config, creds);
  }

  std::set<std::string> Names(Backend& b, const std::string& prefix = "") {
    std::set<std::string> out;
    Status st = b.List(prefix, [&](const ObjectInfo& o) {
      out.insert(o.name);
      return Status::OK();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }

  // A signed GET of a bucket sub-resource ("versioning", "object-lock").
  std::string BucketResource(S3Backend& b, const std::string& query) {
    S3Requester r(b.config(),
                  S3Credentials{Moto()->access_key_id, Moto()->secret_access_key, "", ""});
    auto resp = r.SendSmall("GET", b.config().BucketUrl(query), {}, "", "GET ?" + query);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    return resp.ok() ? resp->body : "";
  }

  std::string bucket_;
  std::string state_dir_;
};

TEST_F(MotoTest, WrongSecretIsPermissionDeniedNamingTheSecret) {
  auto good = Open();
  ASSERT_TRUE(good->Create().ok());
  const std::string secret = "wrong-secret-0123456789abcdefghijklmnopqr";
  auto bad = Open("", secret);
  Status st = bad->List("", [](const ObjectInfo&) { return Status::OK(); });
  EXPECT_EQ(st.code(), Code::kPermissionDenied) << st.ToString();
  EXPECT_NE(st.message().find("SignatureDoesNotMatch"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("secret access key is wrong"), std::string::npos);
  EXPECT_EQ(st.message().find(secret), std::string::npos);
  EXPECT_EQ(st.message().find(Moto()->secret_access_key), std::string::npos);
  Status save = SaveBytes(*bad, "config", AsBytes("x"));
  EXPECT_EQ(save.code(), Code::kPermissionDenied) << save.ToString();
  EXPECT_EQ(bad->Stat("config").status().code(), Code::kPermissionDenied);
}

TEST_F(MotoTest, UnknownAccessKeyIsPermissionDenied) {
  auto config = ParseS3Address(Url(), [](const char*) { return std::nullopt; });
  ASSERT_TRUE(config.ok());
  S3Backend b(*config, S3Credentials{"AKIANOTAKEY000000000", "whatever", "", ""});
  Status st = b.List("", [](const ObjectInfo&) { return Status::OK(); });
  EXPECT_EQ(st.code(), Code::kPermissionDenied) << st.ToString();
  EXPECT_NE(st.message().find("InvalidAccessKeyId"), std::string::npos) << st.ToString();
}

TEST_F(MotoTest, MissingBucketSaysSo) {
  auto b = Open();  // never created
  auto got = LoadBytes(*b, "config");
  EXPECT_EQ(got.status().code(), Code::kNotFound);
  EXPECT_NE(got.status().message().find("bucket '" + bucket_ + "' does not exist"),
            std::string::npos)
      << got.status().ToString();
  auto stat = b->Stat("config");
  EXPECT_EQ(stat.status().code(), Code::kNotFound);
  EXPECT_NE(stat.status().message().find("does not exist"), std::string::npos)
      << stat.status().ToString();
  EXPECT_EQ(b->Remove("config").code(), Code::kNotFound);
  Status list = b->List("", [](const ObjectInfo&) { return Status::OK(); });
  EXPECT_EQ(list.code(), Code::kNotFound);
  EXPECT_NE(list.message().find("does not exist"), std::string::npos);
}

TEST_F(MotoTest, ListingPaginates) {
  auto b = Open("&max_keys=2");
  ASSERT_TRUE(b->Create().ok());
  std::set<std::string> want;
  for (int i = 0; i < 7; ++i) {
    std::string name = "data/ab/obj-" + std::to_string(i);
    ASSERT_TRUE(SaveBytes(*b, name, AsBytes(name)).ok());
    want.insert(name);
  }
  ASSERT_TRUE(SaveBytes(*b, "config", AsBytes("c")).ok());
  EXPECT_EQ(Names(*b, "data/"), want);
  want.insert("config");
  EXPECT_EQ(Names(*b), want);
  // Another prefix in the same bucket is invisible.
  auto other = Open("&max_keys=2");
  auto cfg =
      ParseS3Address("s3://" + bucket_ + "/elsewhere?profile=generic&endpoint=" + Moto()->endpoint,
                     [](const char*) { return std::nullopt; });
  ASSERT_TRUE(cfg.ok());
  S3Backend elsewhere(*cfg,
                      S3Credentials{Moto()->access_key_id, Moto()->secret_access_key, "", ""});
  EXPECT_TRUE(Names(elsewhere).empty());
}

// Yields its data but fails once (like a dropped connection) after fail_at bytes.
class FailingSource : public ByteSource {
 public:
  FailingSource(ByteView data, uint64_t fail_at) : data_(data), fail_at_(fail_at) {}
  uint64_t Length() const override { return data_.size(); }
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    if (pos_ >= fail_at_) return Status::Retryable("connection reset (injected)");
    size_t take =
        static_cast<size_t>(std::min<uint64_t>({n, data_.size() - pos_, fail_at_ - pos_}));
    std::memcpy(buf, data_.data() + pos_, take);
    pos_ += take;
    return take;
  }
  Status Rewind() override {
    pos_ = 0;
    return Status::OK();
  }

 private:
  ByteView data_;
  uint64_t fail_at_;
  uint64_t pos_ = 0;
};

TEST_F(MotoTest, MultipartUploadResumesAfterAFailure) {
  auto b = Open("&multipart_threshold=5M&part_size=5M");
  ASSERT_TRUE(b->Create().ok());
  Bytes data = RandomBytes((18 << 20) + 12345);  // 4 parts
  FailingSource failing(data, 12 << 20);         // dies inside part 3
  Status st = b->Save("data/ab/big", failing);
  ASSERT_EQ(st.code(), Code::kRetryable) << st.ToString();
  EXPECT_EQ(b->multipart_stats().parts_uploaded, 2u);
  EXPECT_EQ(b->Stat("data/ab/big").status().code(), Code::kNotFound);
  ASSERT_TRUE(std::filesystem::exists(state_dir_));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(state_dir_),
                          std::filesystem::directory_iterator()),
            1);

  // A new process (a fresh backend) resumes from the state file.
  auto again = Open("&multipart_threshold=5M&part_size=5M");
  BufferSource good(data);
  st = again->Save("data/ab/big", good);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(again->multipart_stats().uploads_resumed, 1u);
  EXPECT_EQ(again->multipart_stats().parts_skipped, 2u);
  EXPECT_EQ(again->multipart_stats().parts_uploaded, 2u);
  auto back = LoadBytes(*again, "data/ab/big");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == data);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(state_dir_),
                          std::filesystem::directory_iterator()),
            0);
  auto left = again->RemoveIncomplete(std::chrono::seconds(0));
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 0u);
}

TEST_F(MotoTest, ResumeSkipsNothingWhenTheContentChanged) {
  auto b = Open("&multipart_threshold=5M&part_size=5M");
  ASSERT_TRUE(b->Create().ok());
  Bytes first = RandomBytes(11 << 20);
  FailingSource failing(first, 10 << 20);
  ASSERT_EQ(b->Save("data/ab/x", failing).code(), Code::kRetryable);
  Bytes second = RandomBytes(11 << 20);  // same length, other bytes
  BufferSource src(second);
  auto again = Open("&multipart_threshold=5M&part_size=5M");
  ASSERT_TRUE(again->Save("data/ab/x", src).ok());
  EXPECT_EQ(again->multipart_stats().parts_skipped, 0u);
  EXPECT_TRUE(*LoadBytes(*again, "data/ab/x") == second);
}

TEST_F(MotoTest, MultipartWithWrongHashIsCorruptionAndLeavesNothing) {
  auto b = Open("&multipart_threshold=5M&part_size=5M");
  ASSERT_TRUE(b->Create().ok());
  Bytes data = RandomBytes(11 << 20);
  Hash256 wrong = Sha256(data);
  wrong[0] ^= 1;
  BufferSource src(data, wrong);
  Status st = b->Save("data/ab/bad", src);
  EXPECT_EQ(st.code(), Code::kCorruption) << st.ToString();
  EXPECT_EQ(b->Stat("data/ab/bad").status().code(), Code::kNotFound);
  auto left = b->RemoveIncomplete(std::chrono::seconds(0));
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 0u) << "the failed upload must be aborted";
}

TEST_F(MotoTest, RemoveIncompleteHonoursMinAge) {
  auto b = Open("&multipart_threshold=5M&part_size=5M");
  ASSERT_TRUE(b->Create().ok());
  Bytes data = RandomBytes(11 << 20);
  FailingSource failing(data, 6 << 20);
  ASSERT_EQ(b->Save("data/ab/x", failing).code(), Code::kRetryable);
  // moto reports every upload as initiated in 2010, so "young" means
  // younger than a century here.
  auto young = b->RemoveIncomplete(std::chrono::hours(24 * 365 * 100));
  ASSERT_TRUE(young.ok()) << young.status().ToString();
  EXPECT_EQ(*young, 0u);
  auto all = b->RemoveIncomplete(std::chrono::seconds(0));
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, 1u);
  // The remembered upload is gone: the next Save starts afresh and succeeds.
  BufferSource src(data);
  ASSERT_TRUE(b->Save("data/ab/x", src).ok());
  EXPECT_EQ(b->multipart_stats().parts_skipped, 0u);
}

TEST_F(MotoTest, CreateAppliesBucketSettingsAndObjectLock) {
  auto b = Open(
      "&object_lock=governance&retention_days=2&lifecycle_noncurrent_days=30&"
      "abort_multipart_days=3&legal_hold=1");
  Status st = b->Create();
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(b->Create().ok()) << "Create must be idempotent";
  EXPECT_TRUE(b->Properties().object_lock);
  EXPECT_TRUE(b->Properties().versioning);
  EXPECT_NE(BucketResource(*b, "versioning").find("<Status>Enabled</Status>"), std::string::npos);
  std::string lock = BucketResource(*b, "object-lock");
  EXPECT_NE(lock.find("GOVERNANCE"), std::string::npos) << lock;
  EXPECT_NE(lock.find("<Days>2</Days>"), std::string::npos) << lock;
  std::string lc = BucketResource(*b, "lifecycle");
  EXPECT_NE(lc.find("<NoncurrentDays>30</NoncurrentDays>"), std::string::npos) << lc;
  EXPECT_NE(lc.find("<DaysAfterInitiation>3</DaysAfterInitiation>"), std::string::npos) << lc;

  ASSERT_TRUE(SaveBytes(*b, "snapshots/s1", AsBytes("snapshot")).ok());
  S3Requester r(b->config(),
                S3Credentials{Moto()->access_key_id, Moto()->secret_access_key, "", ""});
  // moto has no GetObjectRetention; HeadObject shows the lock like AWS does.
  auto head =
      r.Send("HEAD", b->config().ObjectUrl("vault/snapshots/s1"), {}, nullptr, kEmptySha256Hex);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->Header("x-amz-object-lock-mode").value_or(""), "GOVERNANCE");
  auto until = ParseIsoTime(head->Header("x-amz-object-lock-retain-until-date").value_or(""));
  ASSERT_TRUE(until.ok());
  auto days =
      std::chrono::duration_cast<std::chrono::hours>(*until - std::chrono::system_clock::now())
          .count() /
      24.0;
  EXPECT_GT(days, 1.9);
  EXPECT_LT(days, 2.1);
  auto hold = r.SendSmall("GET", b->config().ObjectUrl("vault/snapshots/s1", "legal-hold"), {}, "",
                          "GET ?legal-hold");
  ASSERT_TRUE(hold.ok()) << hold.status().ToString();
  EXPECT_NE(hold->body.find("<Status>ON</Status>"), std::string::npos) << hold->body;

  // Removing a retained object in a versioned bucket adds a delete marker:
  // the name is gone, the retained version stays.
  ASSERT_TRUE(SaveBytes(*b, "locks/l1", AsBytes("lock")).ok());
  Status removed = b->Remove("locks/l1");
  EXPECT_TRUE(removed.ok()) << removed.ToString();
  EXPECT_EQ(b->Stat("locks/l1").status().code(), Code::kNotFound);
  EXPECT_EQ(Names(*b, "locks/").size(), 0u);
  auto versions = r.SendSmall("GET", b->config().BucketUrl("versions&prefix=vault%2Flocks%2F"), {},
                              "", "GET ?versions");
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  EXPECT_NE(versions->body.find("<DeleteMarker>"), std::string::npos) << versions->body;
  EXPECT_NE(versions->body.find("<Version>"), std::string::npos) << versions->body;
}

TEST_F(MotoTest, LoadStreamsAndServesRanges) {
  auto b = Open();
  ASSERT_TRUE(b->Create().ok());
  Bytes data = RandomBytes(9 << 20);
  ASSERT_TRUE(SaveBytes(*b, "data/ab/p", data).ok());
  // The consumer stops early: the transfer is cancelled, Load returns promptly.
  Status st = b->Load("data/ab/p", 0, 0, [](Reader& r) {
    uint8_t buf[10];
    return r.Read(buf, sizeof buf).status();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  auto tail = LoadBytes(*b, "data/ab/p", (9 << 20) - 5, 0);
  ASSERT_TRUE(tail.ok());
  EXPECT_TRUE(*tail == Bytes(data.end() - 5, data.end()));
  ASSERT_TRUE(SaveBytes(*b, "empty", ByteView()).ok());
  auto empty = LoadBytes(*b, "empty", 0, 10);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace custos::s3
