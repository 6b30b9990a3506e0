// IBM IAM token exchange and bearer-token requests, against an in-process
// HTTP server that plays the IAM token endpoint and an S3 endpoint.
#include "storage/providers/s3/ibm_iam.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "storage/providers/s3/s3_backend.h"

namespace custos::s3 {
namespace {

using std::chrono::system_clock;

TEST(IbmTokenResponse, Parsing) {
  const auto now = system_clock::from_time_t(1700000000);
  auto t = ParseIbmTokenResponse(
      R"({"access_token":"eyJraWQ","refresh_token":"not_supported","token_type":"Bearer",
          "expires_in":3600,"expiration":1700003600,"scope":"ibm openid"})",
      now);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->access_token, "eyJraWQ");
  EXPECT_EQ(t->expires, now + std::chrono::seconds(3600));
  auto by_expiration =
      ParseIbmTokenResponse(R"({"access_token":"a","expiration":1700000100})", now);
  ASSERT_TRUE(by_expiration.ok());
  EXPECT_EQ(by_expiration->expires, system_clock::from_time_t(1700000100));
  for (const char* bad :
       {"", "[]", "{", R"({"expires_in":3600})", R"({"access_token":"","expires_in":3600})",
        R"({"access_token":5,"expires_in":3600})", R"({"access_token":"a"})",
        R"({"access_token":"a b","expires_in":3600})",
        R"({"access_token":"a\r\nX-Evil: 1","expires_in":3600})",
        R"({"access_token":"a","expires_in":"soon"})"}) {
    auto r = ParseIbmTokenResponse(bad, now);
    EXPECT_EQ(r.status().code(), Code::kCorruption) << bad;
  }
}

// A loopback server: POST /identity/token (IAM) and GET /<bucket>/ (S3 list).
class FakeIbm : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Post("/identity/token", [this](const httplib::Request& req, httplib::Response& res) {
      ++token_calls_;
      last_grant_ = req.get_param_value("grant_type");
      last_content_type_ = req.get_header_value("Content-Type");
      if (req.get_param_value("apikey") != "good-key") {
        res.status = 400;
        res.set_content(
            R"({"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found."})",
            "application/json");
        return;
      }
      res.set_content(R"({"access_token":"tok-)" + std::to_string(token_calls_.load()) +
                          R"(","token_type":"Bearer","expires_in":)" +
                          std::to_string(expires_in_.load()) + "}",
                      "application/json");
    });
    server_.Get("/ibm-bucket/", [this](const httplib::Request& req, httplib::Response& res) {
      last_authorization_ = req.get_header_value("Authorization");
      if (!last_authorization_.starts_with("Bearer tok-")) {
        res.status = 403;
        res.set_content("<Error><Code>AccessDenied</Code></Error>", "application/xml");
        return;
      }
      res.set_content(
          "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>v/config</Key>"
          "<Size>3</Size></Contents></ListBucketResult>",
          "application/xml");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> token_calls_{0};
  std::atomic<int> expires_in_{3600};
  std::string last_grant_, last_content_type_, last_authorization_;
};

TEST_F(FakeIbm, ExchangesOnceAndCaches) {
  http::Client client;
  IbmTokenSource tokens(client, Url("/identity/token"), "good-key");
  auto t1 = tokens.Token();
  ASSERT_TRUE(t1.ok()) << t1.status().ToString();
  EXPECT_EQ(*t1, "tok-1");
  EXPECT_EQ(last_grant_, "urn:ibm:params:oauth:grant-type:apikey");
  EXPECT_EQ(last_content_type_, "application/x-www-form-urlencoded");
  auto t2 = tokens.Token();
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ(*t2, "tok-1");
  EXPECT_EQ(tokens.exchanges(), 1);
  EXPECT_EQ(token_calls_.load(), 1);
}

TEST_F(FakeIbm, RefreshesShortlyBeforeExpiry) {
  expires_in_ = 30;  // inside the one-minute margin: every call exchanges again
  http::Client client;
  IbmTokenSource tokens(client, Url("/identity/token"), "good-key");
  EXPECT_EQ(*tokens.Token(), "tok-1");
  EXPECT_EQ(*tokens.Token(), "tok-2");
  EXPECT_EQ(tokens.exchanges(), 2);
}

TEST_F(FakeIbm, RejectedKeyIsPermissionDeniedWithoutTheKey) {
  http::Client client;
  IbmTokenSource tokens(client, Url("/identity/token"), "bad-key-s3cr3t");
  auto t = tokens.Token();
  EXPECT_EQ(t.status().code(), Code::kPermissionDenied);
  EXPECT_NE(t.status().message().find("IBM API key was rejected"), std::string::npos);
  EXPECT_EQ(t.status().message().find("s3cr3t"), std::string::npos);
}

TEST_F(FakeIbm, UnreachableIamIsRetryable) {
  http::Client client;
  IbmTokenSource tokens(client, "http://127.0.0.1:1/identity/token", "good-key");
  EXPECT_EQ(tokens.Token().status().code(), Code::kRetryable);
}

TEST_F(FakeIbm, BackendSendsBearerInsteadOfSigV4) {
  auto config = ParseS3Address("s3://ibm-bucket/v?profile=ibmcos&endpoint=" + Url("") +
                                   "&iam_token_url=" + Url("/identity/token"),
                               [](const char*) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  S3Credentials creds;
  creds.ibm_api_key = "good-key";
  S3Backend backend(*config, creds);
  std::vector<std::string> names;
  Status st = backend.List("", [&](const ObjectInfo& o) {
    names.push_back(o.name);
    return Status::OK();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(names, std::vector<std::string>{"config"});
  EXPECT_EQ(last_authorization_, "Bearer tok-1");
  EXPECT_EQ(backend.Location().find("good-key"), std::string::npos);
}

}  // namespace
}  // namespace custos::s3
