// SigV4 against AWS's published vectors: the signature test suite
// (testdata/aws4: .req, .creq, .sts, .authz) and the S3 developer guide's
// single-chunk and presigned-URL examples.
#include "storage/signers/sigv4.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/hash.h"

namespace custos::signers {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const system_clock::time_point k20150830T123600Z{seconds(1440938160)};
const system_clock::time_point k20130524T000000Z{seconds(1369353600)};

const AwsCredentials kSuiteCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const AwsCredentials kS3DocCreds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                 ""};

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct SuiteCase {
  std::string name;
  http::Request req;
  std::string body;
};

// Parses the suite's .req format: request line, "Name:value" lines, an
// empty line, the body.
SuiteCase ParseReq(const std::filesystem::path& p) {
  SuiteCase c;
  c.name = p.stem().string();
  std::string text = ReadFile(p);
  size_t body_at = text.find("\n\n");
  if (body_at != std::string::npos) {
    c.body = text.substr(body_at + 2);
    text.resize(body_at);
  }
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  c.req.method = line.substr(0, sp1);
  c.req.url = "https://example.amazonaws.com" + line.substr(sp1 + 1, sp2 - sp1 - 1);
  while (std::getline(lines, line)) {
    size_t colon = line.find(':');
    c.req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return c;
}

std::vector<std::filesystem::path> SuiteFiles() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(SIGV4_TESTDATA "/aws4")) {
    if (e.path().extension() == ".req") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

SigV4Params SuiteParams(const std::string& body) {
  SigV4Params p;
  p.region = "us-east-1";
  p.service = "service";
  p.time = k20150830T123600Z;
  p.payload_hash = ToHex(Sha256(AsBytes(body)));
  return p;
}

TEST(SigV4Suite, CanonicalRequestStringToSignAndAuthorization) {
  auto files = SuiteFiles();
  ASSERT_GE(files.size(), 26u);
  for (const auto& f : files) {
    SuiteCase c = ParseReq(f);
    SCOPED_TRACE(c.name);
    auto base = f;
    auto sig = ComputeSigV4(c.req, kSuiteCreds, SuiteParams(c.body));
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    EXPECT_EQ(sig->canonical_request, ReadFile(base.replace_extension(".creq")));
    EXPECT_EQ(sig->string_to_sign, ReadFile(base.replace_extension(".sts")));
    EXPECT_EQ(sig->authorization, ReadFile(base.replace_extension(".authz")));
  }
}

// SignRequest adds X-Amz-Date (and the token) itself: strip them from the
// suite's requests and the result must match the suite's Authorization.
TEST(SigV4Suite, SignRequestAddsTheDateAndTokenHeaders) {
  for (const auto& f : SuiteFiles()) {
    SuiteCase c = ParseReq(f);
    SCOPED_TRACE(c.name);
    AwsCredentials creds = kSuiteCreds;
    std::erase_if(c.req.headers, [&](const auto& h) {
      if (h.first == "X-Amz-Security-Token") creds.session_token = h.second;
      return h.first == "X-Amz-Date" || h.first == "X-Amz-Security-Token";
    });
    ASSERT_TRUE(SignRequest(c.req, creds, SuiteParams(c.body)).ok());
    int authorizations = 0;
    for (const auto& [name, value] : c.req.headers) {
      if (name == "Authorization") {
        ++authorizations;
        EXPECT_EQ(value, ReadFile(std::filesystem::path(f).replace_extension(".authz")));
      }
    }
    EXPECT_EQ(authorizations, 1);
  }
}

std::string HeaderOf(const http::Request& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

std::string SignatureOf(const http::Request& r) {
  std::string a = HeaderOf(r, "Authorization");
  size_t at = a.find("Signature=");
  return at == std::string::npos ? "" : a.substr(at + 10);
}

// docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
TEST(SigV4S3Docs, GetObjectWithRange) {
  http::Request r{"GET", "https://examplebucket.s3.amazonaws.com/test.txt", {{"Range", "bytes=0-9"}},
                  nullptr};
  ASSERT_TRUE(SignRequest(r, kS3DocCreds, S3Params("us-east-1", kEmptySha256, k20130524T000000Z)).ok());
  EXPECT_EQ(HeaderOf(r, "Host"), "examplebucket.s3.amazonaws.com");
  EXPECT_EQ(HeaderOf(r, "X-Amz-Date"), "20130524T000000Z");
  EXPECT_EQ(HeaderOf(r, "X-Amz-Content-SHA256"), kEmptySha256);
  EXPECT_NE(HeaderOf(r, "Authorization").find(
                "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "),
            std::string::npos);
  EXPECT_EQ(SignatureOf(r), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3Docs, PutObject) {
  const std::string body = "Welcome to Amazon S3.";
  const std::string hash = ToHex(Sha256(AsBytes(body)));
  ASSERT_EQ(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  http::Request r{"PUT",
                  "https://examplebucket.s3.amazonaws.com/test%24file.text",
                  {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                   {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                  nullptr};
  ASSERT_TRUE(SignRequest(r, kS3DocCreds, S3Params("us-east-1", hash, k20130524T000000Z)).ok());
  EXPECT_NE(HeaderOf(r, "Authorization")
                .find("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class"),
            std::string::npos);
  EXPECT_EQ(SignatureOf(r), "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");

  // The raw '$' gives the same canonical URI (S3 re-encodes each segment).
  http::Request raw = r;
  raw.url = "https://examplebucket.s3.amazonaws.com/test$file.text";
  raw.headers.resize(2);
  ASSERT_TRUE(SignRequest(raw, kS3DocCreds, S3Params("us-east-1", hash, k20130524T000000Z)).ok());
  EXPECT_EQ(SignatureOf(raw), SignatureOf(r));
}

TEST(SigV4S3Docs, BucketLifecycleAndListObjects) {
  struct Case {
    std::string query, signature;
  } cases[] = {
      {"lifecycle", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
      {"max-keys=2&prefix=J", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
      {"prefix=J&max-keys=2", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
  };
  for (const Case& c : cases) {
    http::Request r{"GET", "https://examplebucket.s3.amazonaws.com/?" + c.query, {}, nullptr};
    ASSERT_TRUE(
        SignRequest(r, kS3DocCreds, S3Params("us-east-1", kEmptySha256, k20130524T000000Z)).ok());
    EXPECT_EQ(SignatureOf(r), c.signature) << c.query;
  }
}

// docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
TEST(SigV4S3Docs, PresignedGet) {
  http::Request r{"GET", "https://examplebucket.s3.amazonaws.com/test.txt", {}, nullptr};
  auto url = PresignUrl(r, kS3DocCreds, S3Params("us-east-1", "", k20130524T000000Z),
                        seconds(86400));
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(*url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_FALSE(PresignUrl(r, kS3DocCreds, S3Params("us-east-1", ""), seconds(0)).ok());
  EXPECT_FALSE(PresignUrl(r, kS3DocCreds, S3Params("us-east-1", ""), seconds(8 * 86400)).ok());
}

TEST(SigV4, ResigningReplacesTheOldSignatureAndTracksEveryInput) {
  http::Request r{"PUT", "https://b.s3.us-west-2.amazonaws.com/data/ab/cd", {{"X-Amz-Meta-A", "1"}},
                  nullptr};
  auto params = S3Params("us-west-2", kEmptySha256, k20130524T000000Z);
  AwsCredentials creds = kS3DocCreds;
  creds.session_token = "token-1";
  ASSERT_TRUE(SignRequest(r, creds, params).ok());
  const std::string first = SignatureOf(r);
  ASSERT_TRUE(SignRequest(r, creds, params).ok());
  EXPECT_EQ(SignatureOf(r), first) << "signing twice is idempotent";
  EXPECT_EQ(r.headers.size(), 6u) << "meta, host, date, token, sha256, authorization";

  auto differs = [&](auto mutate) {
    http::Request copy = r;
    AwsCredentials c = creds;
    SigV4Params p = params;
    mutate(copy, c, p);
    EXPECT_TRUE(SignRequest(copy, c, p).ok());
    return SignatureOf(copy) != first;
  };
  EXPECT_TRUE(differs([](auto& q, auto&, auto&) { q.headers[0].second = "2"; }));
  EXPECT_TRUE(differs([](auto& q, auto&, auto&) { q.url += "x"; }));
  EXPECT_TRUE(differs([](auto& q, auto&, auto&) { q.url += "?partNumber=1"; }));
  EXPECT_TRUE(differs([](auto& q, auto&, auto&) { q.method = "POST"; }));
  EXPECT_TRUE(differs([](auto&, auto& c, auto&) { c.session_token = "token-2"; }));
  EXPECT_TRUE(differs([](auto&, auto& c, auto&) { c.secret_access_key += "x"; }));
  EXPECT_TRUE(differs([](auto&, auto&, auto& p) { p.time += seconds(1); }));
  EXPECT_TRUE(differs([](auto&, auto&, auto& p) { p.region = "eu-west-1"; }));
  EXPECT_TRUE(differs([](auto&, auto&, auto& p) { p.payload_hash = kUnsignedPayload; }));
  EXPECT_FALSE(differs([](auto& q, auto&, auto&) { q.headers.emplace_back("User-Agent", "x"); }))
      << "user-agent is not signed";
}

TEST(SigV4, RejectsBadInputWithoutQuotingSecrets) {
  const http::Request ok_req{"GET", "https://h.example/o?X-Secret=QUERYSECRET", {}, nullptr};
  const AwsCredentials creds{"AKID", "SECRETKEY", "SECRETTOKEN"};
  auto check = [&](http::Request r, AwsCredentials c, SigV4Params p) {
    http::Request before = r;
    Status st = SignRequest(r, c, p);
    EXPECT_EQ(st.code(), Code::kInvalidArgument);
    EXPECT_EQ(r.headers, before.headers) << "unchanged on error";
    for (const char* s : {"SECRETKEY", "SECRETTOKEN", "QUERYSECRET", "HEADERSECRET"}) {
      EXPECT_EQ(st.message().find(s), std::string::npos) << st.message();
    }
  };
  SigV4Params p = S3Params("us-east-1", kEmptySha256);
  check(ok_req, {"", "SECRETKEY", ""}, p);
  check(ok_req, {"AKID", "", ""}, p);
  check(ok_req, creds, S3Params("", kEmptySha256));
  check(ok_req, creds, S3Params("us-east-1", "SECRETKEY"));
  check(ok_req, creds, S3Params("us-east-1", std::string(64, 'G')));
  check({"GET", "h.example/o", {}, nullptr}, creds, p);
  check({"GET", "https:///o", {}, nullptr}, creds, p);
  check({"GET", ok_req.url, {{"X-A", "HEADERSECRET\r\nX-B: 1"}}, nullptr}, creds, p);
}

TEST(SigV4, HostHeaderFollowsTheUrl) {
  const AwsCredentials creds{"AKID", "secret", ""};
  struct Case {
    std::string url, host;
  } cases[] = {
      {"https://Bucket.S3.Amazonaws.com/x", "bucket.s3.amazonaws.com"},
      {"https://h.example:443/x", "h.example"},
      {"http://h.example:80/x", "h.example"},
      {"http://127.0.0.1:9000/x", "127.0.0.1:9000"},
      {"https://user:pw@h.example:8443", "h.example:8443"},
      {"http://[::1]:9000/x", "[::1]:9000"},
  };
  for (const Case& c : cases) {
    http::Request r{"GET", c.url, {}, nullptr};
    ASSERT_TRUE(SignRequest(r, creds, S3Params("us-east-1", "")).ok()) << c.url;
    EXPECT_EQ(HeaderOf(r, "Host"), c.host) << c.url;
  }
}

}  // namespace
}  // namespace custos::signers
