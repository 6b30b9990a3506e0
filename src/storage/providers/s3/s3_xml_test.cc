#include "storage/providers/s3/s3_xml.h"

#include <gtest/gtest.h>
#include <tinyxml2.h>

namespace custos::s3 {
namespace {

constexpr char kList[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>vault/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>vault/config</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified>
    <ETag>&quot;abc&quot;</ETag><Size>155</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>vault/data/ab/a&amp;b</Key><Size>0</Size></Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";

TEST(S3Xml, ListObjectsV2) {
  auto page = ParseListObjectsV2(kList);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "vault/config");
  EXPECT_EQ(page->objects[0].size, 155u);
  EXPECT_EQ(page->objects[1].key, "vault/data/ab/a&b");
  EXPECT_EQ(page->objects[1].size, 0u);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

  auto last =
      ParseListObjectsV2("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->objects.empty());
  EXPECT_FALSE(last->truncated);
}

TEST(S3Xml, HostileListings) {
  const char* cases[] = {
      "",                                                                          // empty
      "<ListBucketResult><Contents><Key>a</Key>",                                  // truncated
      "<Error><Code>x</Code></Error>",                                             // wrong root
      "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",  // no key
      "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
      "<ListBucketResult><Contents><Key>a</Key><Size>1e9</Size></Contents></ListBucketResult>",
      "<ListBucketResult><Contents><Key>a</Key><Size>99999999999999999999999</Size></Contents>"
      "</ListBucketResult>",
      "<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>",  // no size
      "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",    // no token
      "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
      "not xml at all <<<>>>",
  };
  for (const char* xml : cases) {
    auto page = ParseListObjectsV2(xml);
    EXPECT_EQ(page.status().code(), Code::kCorruption) << xml;
    EXPECT_NE(page.status().message().find("ListBucketResult"), std::string::npos) << xml;
  }
  std::string huge_key = "<ListBucketResult><Contents><Key>" + std::string(5000, 'k') +
                         "</Key><Size>1</Size></Contents></ListBucketResult>";
  EXPECT_EQ(ParseListObjectsV2(huge_key).status().code(), Code::kCorruption);
  std::string huge_doc(17 << 20, ' ');
  EXPECT_EQ(ParseListObjectsV2(huge_doc).status().code(), Code::kCorruption);
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  EXPECT_EQ(ParseListObjectsV2(deep).status().code(), Code::kCorruption);
}

TEST(S3Xml, ErrorDocument) {
  auto e = ParseError(
      "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request "
      "signature we calculated does not match</Message><StringToSign>AWS4-HMAC-SHA256\n..."
      "</StringToSign><RequestId>1</RequestId></Error>");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->code, "SignatureDoesNotMatch");
  EXPECT_EQ(e->message, "The request signature we calculated does not match");

  auto region = ParseError(
      "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is "
      "wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region></Error>");
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(region->region, "eu-west-1");

  auto hostile = ParseError("<Error><Code>" + std::string(1000, 'A') + "\x01</Code><Message>" +
                            std::string(100000, 'm') + "</Message></Error>");
  ASSERT_TRUE(hostile.ok());
  EXPECT_EQ(hostile->code.size(), 200u);
  EXPECT_LE(hostile->message.size(), 200u);
  EXPECT_EQ(ParseError("<Error><Message>x</Message></Error>").status().code(), Code::kCorruption);
  EXPECT_EQ(ParseError("<Error><Code>X").status().code(), Code::kCorruption);
}

TEST(S3Xml, MultipartDocuments) {
  auto id = ParseInitiateMultipartUpload(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE"
      "</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "VXBsb2FkIElE");
  EXPECT_EQ(ParseInitiateMultipartUpload("<InitiateMultipartUploadResult/>").status().code(),
            Code::kCorruption);

  auto parts = ParseListParts(
      "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2"
      "</NextPartNumberMarker><Part><PartNumber>1</PartNumber><ETag>\"aa\"</ETag><Size>5242880"
      "</Size></Part><Part><PartNumber>2</PartNumber><ETag>\"bb\"</ETag><Size>7</Size></Part>"
      "</ListPartsResult>");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->parts.size(), 2u);
  EXPECT_EQ(parts->parts[1].number, 2);
  EXPECT_EQ(parts->parts[1].etag, "\"bb\"");
  EXPECT_EQ(parts->parts[0].size, 5242880u);
  EXPECT_EQ(parts->next_marker, 2);
  // moto names the root ListPartsResponse.
  auto moto = ParseListParts(
      "<ListPartsResponse><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber>"
      "<ETag>\"aa\"</ETag><Size>5</Size></Part></ListPartsResponse>");
  ASSERT_TRUE(moto.ok()) << moto.status().ToString();
  EXPECT_EQ(moto->parts.size(), 1u);
  EXPECT_EQ(ParseListParts("<ListPartsResult><Part><PartNumber>0</PartNumber><ETag>x</ETag>"
                           "<Size>1</Size></Part></ListPartsResult>")
                .status()
                .code(),
            Code::kCorruption);
  EXPECT_EQ(ParseListParts("<ListPartsResult><Part><PartNumber>10001</PartNumber><ETag>x"
                           "</ETag><Size>1</Size></Part></ListPartsResult>")
                .status()
                .code(),
            Code::kCorruption);

  auto uploads = ParseListMultipartUploads(
      "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated><Upload><Key>v/data/x</Key>"
      "<UploadId>u1</UploadId><Initiated>2026-01-02T03:04:05.000Z</Initiated></Upload>"
      "</ListMultipartUploadsResult>");
  ASSERT_TRUE(uploads.ok()) << uploads.status().ToString();
  ASSERT_EQ(uploads->uploads.size(), 1u);
  EXPECT_EQ(uploads->uploads[0].upload_id, "u1");
  EXPECT_EQ(FormatIsoTime(uploads->uploads[0].initiated), "2026-01-02T03:04:05Z");
  EXPECT_EQ(ParseListMultipartUploads(
                "<ListMultipartUploadsResult><Upload><Key>k</Key><UploadId>u</UploadId>"
                "<Initiated>yesterday</Initiated></Upload></ListMultipartUploadsResult>")
                .status()
                .code(),
            Code::kCorruption);
  EXPECT_EQ(ParseListMultipartUploads("<ListMultipartUploadsResult><IsTruncated>true"
                                      "</IsTruncated></ListMultipartUploadsResult>")
                .status()
                .code(),
            Code::kCorruption);
}

TEST(S3Xml, CompleteMayCarryAnError) {
  auto ok = ParseCompleteMultipartUpload(
      "<CompleteMultipartUploadResult><Location>x</Location></CompleteMultipartUploadResult>");
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok->has_value());
  auto err = ParseCompleteMultipartUpload(
      "<Error><Code>InternalError</Code><Message>We encountered an internal error</Message>"
      "</Error>");
  ASSERT_TRUE(err.ok());
  ASSERT_TRUE(err->has_value());
  EXPECT_EQ((*err)->code, "InternalError");
  EXPECT_EQ(ParseCompleteMultipartUpload("<Other/>").status().code(), Code::kCorruption);
  EXPECT_EQ(ParseCompleteMultipartUpload("").status().code(), Code::kCorruption);
}

TEST(S3Xml, IsoTimes) {
  auto t = ParseIsoTime("2026-11-26T09:24:07Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatIsoTime(*t), "2026-11-26T09:24:07Z");
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*ParseIsoTime("1970-01-01T00:00:10.123Z")), 10);
  for (const char* bad :
       {"", "2026-11-26", "2026-11-26T09:24:07", "2026-13-01T00:00:00Z", "2026-11-26T09:24:07.Z",
        "2026-11-26T09:24:07.12aZ", "2026/11/26T09:24:07Z", "+026-11-26T09:24:07Z"}) {
    EXPECT_FALSE(ParseIsoTime(bad).ok()) << bad;
  }
}

// Builders must produce well-formed XML with every value escaped.
std::string RoundTripText(const std::string& xml, const char* path0, const char* path1 = nullptr,
                          const char* path2 = nullptr) {
  tinyxml2::XMLDocument doc;
  EXPECT_EQ(doc.Parse(xml.c_str()), tinyxml2::XML_SUCCESS) << xml;
  const tinyxml2::XMLElement* e = doc.RootElement();
  for (const char* p : {path0, path1, path2}) {
    if (p == nullptr || e == nullptr) continue;
    e = e->FirstChildElement(p);
  }
  return e && e->GetText() ? e->GetText() : "";
}

TEST(S3Xml, Builders) {
  std::string complete = BuildCompleteMultipartUpload({{1, "\"a<b\"", 5}, {2, "\"c\"", 1}});
  EXPECT_EQ(RoundTripText(complete, "Part", "ETag"), "\"a<b\"");
  EXPECT_EQ(RoundTripText(complete, "Part", "PartNumber"), "1");
  EXPECT_EQ(BuildCreateBucket(""), "");
  EXPECT_EQ(RoundTripText(BuildCreateBucket("eu-west-1"), "LocationConstraint"), "eu-west-1");
  EXPECT_EQ(RoundTripText(BuildVersioning(true), "Status"), "Enabled");
  std::string lc = BuildLifecycle("v&x/", 30, 2);
  EXPECT_EQ(RoundTripText(lc, "Rule", "Filter", "Prefix"), "v&x/");
  EXPECT_EQ(RoundTripText(lc, "Rule", "NoncurrentVersionExpiration", "NoncurrentDays"), "30");
  EXPECT_EQ(RoundTripText(lc, "Rule", "AbortIncompleteMultipartUpload", "DaysAfterInitiation"),
            "2");
  EXPECT_EQ(BuildLifecycle("", 0, 3).find("Noncurrent"), std::string::npos);
  std::string lock = BuildObjectLockConfiguration("GOVERNANCE", 7);
  EXPECT_EQ(RoundTripText(lock, "ObjectLockEnabled"), "Enabled");
  EXPECT_EQ(RoundTripText(lock, "Rule", "DefaultRetention", "Days"), "7");
  EXPECT_EQ(BuildObjectLockConfiguration("GOVERNANCE", 0).find("Rule"), std::string::npos);
  EXPECT_EQ(XmlEscape("<&>\"'"), "&lt;&amp;&gt;&quot;&apos;");
}

}  // namespace
}  // namespace custos::s3
