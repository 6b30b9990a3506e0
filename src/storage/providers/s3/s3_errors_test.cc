#include "storage/providers/s3/s3_errors.h"

#include <gtest/gtest.h>

namespace custos::s3 {
namespace {

http::Response Resp(int status, std::string code, http::Headers extra = {},
                    std::string region = "") {
  http::Response r;
  r.status = status;
  if (!code.empty()) {
    r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
             "</Code><Message>server says so</Message>" +
             (region.empty() ? "" : "<Region>" + region + "</Region>") +
             "<RequestId>R</RequestId></Error>";
  }
  for (auto& [k, v] : extra) r.headers[k] = v;
  return r;
}

struct Case {
  int status;
  const char* code;
  Code want;
  const char* message_has;
};

TEST(S3Errors, ClassificationTable) {
  const Case cases[] = {
      {200, "", Code::kOk, ""},
      {204, "", Code::kOk, ""},
      {503, "SlowDown", Code::kRetryable, "SlowDown"},
      {500, "InternalError", Code::kRetryable, "InternalError"},
      {400, "RequestTimeout", Code::kRetryable, "RequestTimeout"},
      {503, "", Code::kRetryable, ""},
      {500, "", Code::kRetryable, ""},
      {400, "Throttling", Code::kRetryable, ""},
      {404, "NoSuchKey", Code::kNotFound, "not found"},
      {404, "", Code::kNotFound, "not found"},
      {404, "NoSuchBucket", Code::kNotFound, "bucket 'vault-bucket' does not exist"},
      {403, "SignatureDoesNotMatch", Code::kPermissionDenied, "secret access key is wrong"},
      {403, "InvalidAccessKeyId", Code::kPermissionDenied, "access key id"},
      {400, "ExpiredToken", Code::kPermissionDenied, "credentials expired"},
      {403, "AccessDenied", Code::kPermissionDenied, "permission"},
      {403, "", Code::kPermissionDenied, "access denied"},
      {403, "RequestTimeTooSkewed", Code::kPermissionDenied, "clock"},
      {400, "AuthorizationHeaderMalformed", Code::kInvalidArgument, "wrong region"},
      {301, "PermanentRedirect", Code::kInvalidArgument, "wrong region"},
      {400, "BadDigest", Code::kCorruption, "do not match"},
      {400, "XAmzContentSHA256Mismatch", Code::kCorruption, ""},
      {400, "InvalidDigest", Code::kCorruption, ""},
      {400, "EntityTooLarge", Code::kInvalidArgument, "too large"},
      {403, "QuotaExceeded", Code::kNoSpace, "quota"},
      {507, "", Code::kNoSpace, ""},
      {400, "InvalidArgument", Code::kInvalidArgument, "InvalidArgument"},
      {409, "BucketNotEmpty", Code::kInvalidArgument, "BucketNotEmpty"},
  };
  for (const Case& c : cases) {
    Status st = ClassifyS3Response(Resp(c.status, c.code), "GET v/config", "vault-bucket");
    EXPECT_EQ(st.code(), c.want) << c.status << " " << c.code << ": " << st.ToString();
    EXPECT_NE(st.message().find(c.message_has), std::string::npos)
        << c.status << " " << c.code << ": " << st.ToString();
    if (!st.ok()) {
      EXPECT_NE(st.message().find("GET v/config"), std::string::npos);
    }
  }
}

TEST(S3Errors, RetryAfterIsKept) {
  Status st = ClassifyS3Response(Resp(503, "SlowDown", {{"retry-after", "7"}}), "PUT x", "b");
  ASSERT_TRUE(st.IsRetryable());
  ASSERT_TRUE(st.retry_after().has_value());
  EXPECT_EQ(*st.retry_after(), std::chrono::seconds(7));
}

// Recorded from AWS: a request signed for us-east-1 to a bucket in eu-west-1
// (moto does not check the region, so this is tested from the recording).
TEST(S3Errors, WrongRegionNamesTheBucketsRegion) {
  http::Response r = Resp(400, "AuthorizationHeaderMalformed", {}, "eu-west-1");
  r.body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AuthorizationHeaderMalformed"
      "</Code><Message>The authorization header is malformed; the region 'us-east-1' is wrong; "
      "expecting 'eu-west-1'</Message><Region>eu-west-1</Region><RequestId>7Q2Y</RequestId>"
      "<HostId>abc=</HostId></Error>";
  Status st = ClassifyS3Response(r, "GET v/config", "vault-bucket");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("the bucket 'vault-bucket' is in eu-west-1"), std::string::npos)
      << st.ToString();
  EXPECT_NE(st.message().find("?region=eu-west-1"), std::string::npos);

  // HEAD answers carry no body, only the header.
  http::Response head;
  head.status = 301;
  head.headers["x-amz-bucket-region"] = "ap-southeast-2";
  st = ClassifyS3Response(head, "HEAD v/config", "vault-bucket");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("ap-southeast-2"), std::string::npos) << st.ToString();
  head.status = 400;
  EXPECT_EQ(ClassifyS3Response(head, "HEAD x", "b").code(), Code::kInvalidArgument);
}

TEST(S3Errors, HostileBodiesStayHarmless) {
  http::Response r;
  r.status = 403;
  r.body = "<Error><Code>SignatureDoesNotMatch</Code><Message>" + std::string(100000, 'x') +
           "</Message><StringToSign>AWS4-HMAC-SHA256 secret-ish</StringToSign></Error>";
  Status st = ClassifyS3Response(r, "GET k", "b");
  EXPECT_EQ(st.code(), Code::kPermissionDenied);
  EXPECT_LT(st.message().size(), 400u);
  EXPECT_EQ(st.message().find("StringToSign"), std::string::npos);
  EXPECT_EQ(st.message().find("secret-ish"), std::string::npos);
  r.status = 500;
  r.body = "<Error><Code>Internal";  // truncated: falls back to the HTTP status
  EXPECT_EQ(ClassifyS3Response(r, "GET k", "b").code(), Code::kRetryable);
  r.status = 418;
  r.body = "\x01\x02 not xml";
  EXPECT_EQ(ClassifyS3Response(r, "GET k", "b").code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace custos::s3
