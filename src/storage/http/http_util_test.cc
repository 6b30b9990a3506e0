// ParseRetryAfter, ClassifyStatus, UriEncode and Response::Header.
#include <gtest/gtest.h>

#include "storage/http/http_client.h"

namespace custos::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

// 1994-11-06T08:49:37Z, the RFC 9110 example date.
const system_clock::time_point kRfcExample{seconds(784111777)};

TEST(ParseRetryAfter, DeltaSeconds) {
  EXPECT_EQ(ParseRetryAfter("2"), milliseconds(2000));
  EXPECT_EQ(ParseRetryAfter(" 120 "), milliseconds(120'000));
  EXPECT_EQ(ParseRetryAfter("0"), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("99999999"), milliseconds(86'400'000)) << "clamped to a day";
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999"), std::nullopt) << "overflow";
  EXPECT_EQ(ParseRetryAfter(""), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-1"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("12abc"), std::nullopt);
}

TEST(ParseRetryAfter, ImfFixdate) {
  const auto now = kRfcExample - seconds(10);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), milliseconds(10'000));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExample + seconds(5)),
            milliseconds(0))
      << "a date in the past means now";
  EXPECT_EQ(ParseRetryAfter("Wed, 01 Mar 2000 00:00:00 GMT",
                            system_clock::time_point{seconds(951868800 - 3600)}),
            milliseconds(3'600'000))
      << "leap-year arithmetic (2000-02-29 exists)";
  EXPECT_EQ(ParseRetryAfter("Tue, 29 Feb 2000 00:00:00 GMT", now).has_value(), true);
  EXPECT_EQ(ParseRetryAfter("Mon, 29 Feb 1999 00:00:00 GMT", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 PST", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Foo 1994 08:49:37 GMT", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 25:49:37 GMT", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Sun, 6 Nov 1994 08:49:37 GMT", now), std::nullopt);
}

Response WithStatus(int status, std::optional<std::string> retry_after = std::nullopt) {
  Response r;
  r.status = status;
  if (retry_after) r.headers["retry-after"] = *retry_after;
  return r;
}

TEST(ClassifyStatus, MapsEveryClass) {
  struct Case {
    int status;
    Code code;
  };
  const Case cases[] = {
      {200, Code::kOk},         {204, Code::kOk},
      {206, Code::kOk},         {404, Code::kNotFound},
      {401, Code::kPermissionDenied}, {403, Code::kPermissionDenied},
      {408, Code::kRetryable},  {429, Code::kRetryable},
      {500, Code::kRetryable},  {502, Code::kRetryable},
      {503, Code::kRetryable},  {504, Code::kRetryable},
      {507, Code::kNoSpace},    {400, Code::kInvalidArgument},
      {409, Code::kInvalidArgument}, {412, Code::kInvalidArgument},
      {416, Code::kInvalidArgument}, {301, Code::kIOError},
      {501, Code::kIOError},    {505, Code::kIOError},
  };
  for (const Case& c : cases) {
    Status st = ClassifyStatus(WithStatus(c.status), "GET data/ab/cd");
    EXPECT_EQ(st.code(), c.code) << c.status;
    if (!st.ok()) {
      EXPECT_NE(st.message().find("GET data/ab/cd"), std::string::npos);
      EXPECT_NE(st.message().find(std::to_string(c.status)), std::string::npos);
    }
  }
}

TEST(ClassifyStatus, RetryAfterAndDetail) {
  Status st = ClassifyStatus(WithStatus(429, "7"), "PUT x", "SlowDown: reduce your rate");
  EXPECT_TRUE(st.IsRetryable());
  EXPECT_EQ(st.retry_after(), milliseconds(7000));
  EXPECT_NE(st.message().find("SlowDown: reduce your rate"), std::string::npos);
  EXPECT_EQ(ClassifyStatus(WithStatus(503), "PUT x").retry_after(), std::nullopt);
  EXPECT_EQ(ClassifyStatus(WithStatus(503, "soon"), "PUT x").retry_after(), std::nullopt);
}

TEST(UriEncode, KeepsOnlyUnreserved) {
  EXPECT_EQ(UriEncode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(UriEncode("a b/c", false), "a%20b%2Fc");
  EXPECT_EQ(UriEncode("+*=&?%#!$'()", false), "%2B%2A%3D%26%3F%25%23%21%24%27%28%29");
  EXPECT_EQ(UriEncode("\xe1\x88\xb4", false), "%E1%88%B4");
  EXPECT_EQ(UriEncode(std::string_view("\0\x7f\xff", 3), false), "%00%7F%FF");
  EXPECT_EQ(UriEncode("", true), "");
}

TEST(Response, HeaderLookup) {
  Response r;
  r.headers["etag"] = "\"abc\"";
  EXPECT_EQ(r.Header("etag"), "\"abc\"");
  EXPECT_EQ(r.Header("content-length"), std::nullopt);
}

}  // namespace
}  // namespace custos::http
