#include "rds/rds_client.h"

#include <gtest/gtest.h>

namespace custos::rds {
namespace {

const char* kCreate = R"(<CreateDBSnapshotResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <CreateDBSnapshotResult>
    <DBSnapshot>
      <DBSnapshotIdentifier>records-20261126</DBSnapshotIdentifier>
      <DBInstanceIdentifier>records-db</DBInstanceIdentifier>
      <Status>creating</Status>
      <Engine>postgres</Engine>
      <PercentProgress>0</PercentProgress>
      <DBSnapshotArn>arn:aws:rds:eu-west-2:123456789012:snapshot:records-20261126</DBSnapshotArn>
    </DBSnapshot>
  </CreateDBSnapshotResult>
</CreateDBSnapshotResponse>)";

const char* kDescribe = R"(<DescribeDBSnapshotsResponse>
  <DescribeDBSnapshotsResult>
    <Marker>next-page</Marker>
    <DBSnapshots>
      <DBSnapshot><DBSnapshotIdentifier>a</DBSnapshotIdentifier><Status>available</Status>
        <PercentProgress>100</PercentProgress></DBSnapshot>
      <DBSnapshot><DBSnapshotIdentifier>b</DBSnapshotIdentifier><Status>creating</Status></DBSnapshot>
    </DBSnapshots>
  </DescribeDBSnapshotsResult>
</DescribeDBSnapshotsResponse>)";

std::string ErrorXml(const std::string& code) {
  return "<ErrorResponse><Error><Type>Sender</Type><Code>" + code +
         "</Code><Message>Snapshot records-1 is busy</Message></Error><RequestId>x</RequestId>"
         "</ErrorResponse>";
}

TEST(RdsParseTest, CreateAnswer) {
  auto s = ParseSnapshots(kCreate, nullptr);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].id, "records-20261126");
  EXPECT_EQ((*s)[0].instance, "records-db");
  EXPECT_EQ((*s)[0].status, "creating");
  EXPECT_EQ((*s)[0].engine, "postgres");
}

TEST(RdsParseTest, DescribeAnswerWithMarker) {
  std::string marker;
  auto s = ParseSnapshots(kDescribe, &marker);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].percent_progress, 100);
  EXPECT_EQ((*s)[1].status, "creating");
  EXPECT_EQ(marker, "next-page");
}

TEST(RdsParseTest, EmptyDescribeIsNotAnError) {
  auto s = ParseSnapshots(
      "<DescribeDBSnapshotsResponse><DescribeDBSnapshotsResult><DBSnapshots/>"
      "</DescribeDBSnapshotsResult></DescribeDBSnapshotsResponse>",
      nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->empty());
}

TEST(RdsParseTest, HostileAnswersAreCorruption) {
  for (std::string bad : {std::string(""), std::string("not xml"), std::string("<a><b>"),
                          std::string("<X><DBSnapshot><Status>x</Status></DBSnapshot></X>"),
                          std::string("<X/>")}) {
    auto s = ParseSnapshots(bad, nullptr);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), Code::kCorruption) << bad;
  }
  std::string doc = kDescribe;
  for (size_t i = 0; i < doc.size(); i += 3) (void)ParseSnapshots(doc.substr(0, i), nullptr).ok();
}

TEST(RdsClassifyTest, ErrorCodesMapToStatus) {
  struct Case {
    int http;
    std::string code;
    Code want;
  } cases[] = {
      {400, "DBSnapshotAlreadyExists", Code::kAlreadyExists},
      {404, "DBInstanceNotFound", Code::kNotFound},
      {400, "InvalidDBInstanceState", Code::kInvalidArgument},
      {400, "Throttling", Code::kRetryable},
      {503, "ServiceUnavailable", Code::kRetryable},
      {403, "SignatureDoesNotMatch", Code::kPermissionDenied},
      {403, "InvalidClientTokenId", Code::kPermissionDenied},
      {400, "ExpiredToken", Code::kPermissionDenied},
      {400, "SnapshotQuotaExceeded", Code::kNoSpace},
      {500, "", Code::kRetryable},
  };
  for (const auto& c : cases) {
    Status st = ClassifyRdsError(c.http, c.code.empty() ? "garbage" : ErrorXml(c.code),
                                 std::chrono::milliseconds(1500), "CreateDBSnapshot");
    EXPECT_EQ(st.code(), c.want) << c.code << " -> " << st.ToString();
    EXPECT_NE(st.message().find("CreateDBSnapshot"), std::string::npos);
    if (!c.code.empty()) {
      EXPECT_NE(st.message().find(c.code), std::string::npos);
    }
  }
  Status t = ClassifyRdsError(400, ErrorXml("Throttling"), std::chrono::milliseconds(1500), "X");
  ASSERT_TRUE(t.retry_after().has_value());
  EXPECT_EQ(t.retry_after()->count(), 1500);
  EXPECT_NE(ClassifyRdsError(403, ErrorXml("SignatureDoesNotMatch"), {}, "X")
                .message()
                .find("secret access key is wrong"),
            std::string::npos);
}

TEST(RdsStatusTest, FailedStates) {
  EXPECT_TRUE(IsFailedSnapshotStatus("failed"));
  EXPECT_TRUE(IsFailedSnapshotStatus("deleting"));
  EXPECT_FALSE(IsFailedSnapshotStatus("creating"));
  EXPECT_FALSE(IsFailedSnapshotStatus("available"));
}

}  // namespace
}  // namespace custos::rds
