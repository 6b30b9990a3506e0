// Client::Do against a real local server that misbehaves on purpose
// (tests/servers/misbehaving_http.py).
#include "storage/http/http_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "crypto/hash.h"
#include "storage/http/testing/script_server.h"

namespace custos::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Byte i of the server's /data stream.
uint8_t DataByte(uint64_t i) {
  const uint64_t k = i % 4099;
  return static_cast<uint8_t>((k * 31 + k / 256) & 0xFF);
}

// A deterministic, non-contiguous source of any length; counts rewinds.
class GeneratedSource : public ByteSource {
 public:
  explicit GeneratedSource(uint64_t length, uint64_t seed = 1) : length_(length), seed_(seed) {}
  uint64_t Length() const override { return length_; }
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, length_ - pos_));
    for (size_t i = 0; i < take; ++i) buf[i] = ByteAt(pos_ + i);
    pos_ += take;
    return take;
  }
  Status Rewind() override {
    ++rewinds_;
    pos_ = 0;
    return Status::OK();
  }
  int rewinds() const { return rewinds_; }

  uint8_t ByteAt(uint64_t i) const {
    uint64_t z = (i / 8 + seed_) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return static_cast<uint8_t>(z >> (8 * (i % 8)));
  }
  std::string ExpectedSha256() const {
    Sha256Stream h;
    std::vector<uint8_t> buf(1 << 20);
    for (uint64_t off = 0; off < length_; off += buf.size()) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), length_ - off));
      for (size_t i = 0; i < n; ++i) buf[i] = ByteAt(off + i);
      h.Update(ByteView(buf.data(), n));
    }
    return ToHex(h.Finish());
  }

 private:
  uint64_t length_;
  uint64_t seed_;
  uint64_t pos_ = 0;
  int rewinds_ = 0;
};

// Yields `good` bytes, then fails with `error` (or ends early when error is OK).
class BrokenSource : public ByteSource {
 public:
  BrokenSource(uint64_t length, uint64_t good, Status error)
      : length_(length), good_(good), error_(std::move(error)) {}
  uint64_t Length() const override { return length_; }
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    if (pos_ >= good_) {
      if (!error_.ok()) return error_;
      return size_t{0};
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, good_ - pos_));
    std::fill(buf, buf + take, 'x');
    pos_ += take;
    return take;
  }
  Status Rewind() override {
    pos_ = 0;
    return Status::OK();
  }

 private:
  uint64_t length_, good_;
  Status error_;
  uint64_t pos_ = 0;
};

int FreePortThenClose() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::ScriptServer::Start(
        testing::SourcePath("tests/servers/misbehaving_http.py"));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }
  void TearDown() override { server_.reset(); }

  std::string Url(const std::string& p) const { return server_->Url(p); }

  nlohmann::json GetJson(Client& c, const std::string& path) {
    Request req;
    req.url = Url(path);
    req.method = path == "/reset-stats" ? "POST" : "GET";
    auto resp = c.Do(req);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    if (!resp.ok()) return {};
    return nlohmann::json::parse(resp->body);
  }

  std::unique_ptr<testing::ScriptServer> server_;
};

TEST_F(HttpClientTest, Uploads64MiBStreamedFromANonContiguousSource) {
  Client client;
  GeneratedSource src(64ULL << 20, 7);
  ASSERT_FALSE(src.Contiguous().has_value());
  Request req{"PUT", Url("/echo"), {{"X-Test", "big"}}, &src};
  auto resp = client.Do(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  ASSERT_EQ(resp->status, 200);
  auto j = nlohmann::json::parse(resp->body);
  EXPECT_EQ(j["length"].get<uint64_t>(), 64ULL << 20);
  EXPECT_EQ(j["sha256"].get<std::string>(), src.ExpectedSha256());
}

TEST_F(HttpClientTest, PostAndBodilessRequestsSendExactHeaders) {
  Client client;
  std::string text = "hello";
  BufferSource src(AsBytes(text));
  Request post{"POST", Url("/echo"), {{"X-Custom", "a  b"}, {"X-Empty", ""}}, &src};
  auto resp = client.Do(post);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  auto j = nlohmann::json::parse(resp->body);
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["length"], 5);
  EXPECT_EQ(j["sha256"], ToHex(Sha256(AsBytes(text))));
  std::map<std::string, std::string> seen;
  for (auto& kv : j["headers"]) seen[kv[0].get<std::string>()] = kv[1].get<std::string>();
  EXPECT_EQ(seen["X-Custom"], "a  b");
  EXPECT_EQ(seen.count("X-Empty"), 1u);
  EXPECT_EQ(seen.count("Content-Type"), 0u) << "libcurl's form content type leaked in";

  Request put{"PUT", Url("/echo"), {}, nullptr};
  resp = client.Do(put);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  j = nlohmann::json::parse(resp->body);
  EXPECT_EQ(j["method"], "PUT");
  EXPECT_EQ(j["length"], 0);
}

TEST_F(HttpClientTest, DownloadsARangeIntoTheSink) {
  Client client;
  const uint64_t n = 3'000'000, first = 12'345, last = 2'500'000;
  Request req{"GET", Url("/data?n=" + std::to_string(n)),
              {{"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)}},
              nullptr};
  Bytes got;
  int calls = 0;
  std::function<Status(ByteView)> sink = [&](ByteView b) {
    ++calls;
    got.insert(got.end(), b.begin(), b.end());
    return Status::OK();
  };
  auto resp = client.Do(req, &sink);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 206);
  EXPECT_TRUE(resp->body.empty());
  EXPECT_GT(calls, 1) << "the body should arrive in pieces, not buffered";
  EXPECT_EQ(resp->Header("content-range"), "bytes 12345-2500000/3000000");
  ASSERT_EQ(got.size(), last - first + 1);
  for (uint64_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i], DataByte(first + i)) << "at " << i;
  }
}

TEST_F(HttpClientTest, HeadAndCollectedBodies) {
  Client client;
  auto head = client.Do(Request{"HEAD", Url("/data?n=777"), {}, nullptr});
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("content-length"), "777");
  EXPECT_TRUE(head->body.empty());

  auto get = client.Do(Request{"GET", Url("/data?n=777"), {}, nullptr});
  ASSERT_TRUE(get.ok());
  ASSERT_EQ(get->body.size(), 777u);
  EXPECT_EQ(static_cast<uint8_t>(get->body[500]), DataByte(500));
  EXPECT_FALSE(get->Header("x-not-there").has_value());
}

TEST_F(HttpClientTest, ErrorBodiesAreCollectedNotSunkAndCapped) {
  Client client;
  bool sink_called = false;
  std::function<Status(ByteView)> sink = [&](ByteView) {
    sink_called = true;
    return Status::OK();
  };
  auto resp = client.Do(Request{"GET", Url("/forbidden"), {}, nullptr}, &sink);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 403);
  EXPECT_FALSE(sink_called);
  EXPECT_NE(resp->body.find("<Code>AccessDenied</Code>"), std::string::npos);
  Status st = ClassifyStatus(*resp, "GET forbidden", "AccessDenied");
  EXPECT_EQ(st.code(), Code::kPermissionDenied);

  resp = client.Do(Request{"GET", Url("/big-error?n=200000"), {}, nullptr}, &sink);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 500);
  EXPECT_EQ(resp->body.size(), 64u * 1024);
  EXPECT_FALSE(sink_called);
  // The dropped tail was still read, so the connection stays usable.
  resp = client.Do(Request{"GET", Url("/data?n=10"), {}, nullptr});
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->body.size(), 10u);
}

TEST_F(HttpClientTest, SlowDownCarriesRetryAfter) {
  Client client;
  auto resp = client.Do(Request{"PUT", Url("/slowdown"), {}, nullptr});
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 503);
  EXPECT_NE(resp->body.find("SlowDown"), std::string::npos);
  Status st = ClassifyStatus(*resp, "PUT data/ab/cd");
  EXPECT_TRUE(st.IsRetryable());
  ASSERT_TRUE(st.retry_after().has_value());
  EXPECT_EQ(*st.retry_after(), milliseconds(2000));
  EXPECT_NE(st.message().find("PUT data/ab/cd"), std::string::npos);
}

TEST_F(HttpClientTest, SinkAndSourceErrorsComeBackUnchanged) {
  Client client;
  std::function<Status(ByteView)> full = [](ByteView) { return Status::NoSpace("disk is full"); };
  auto resp = client.Do(Request{"GET", Url("/data?n=100000"), {}, nullptr}, &full);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), Code::kNoSpace);
  EXPECT_EQ(resp.status().message(), "disk is full");

  BrokenSource broken(1 << 20, 200'000, Status::Corruption("chunk 7 is damaged"));
  resp = client.Do(Request{"PUT", Url("/echo"), {}, &broken});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), Code::kCorruption);
  EXPECT_EQ(resp.status().message(), "chunk 7 is damaged");

  BrokenSource short_src(1 << 20, 1000, Status::OK());
  resp = client.Do(Request{"PUT", Url("/echo"), {}, &short_src});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), Code::kCorruption);
  EXPECT_NE(resp.status().message().find("1000 of 1048576"), std::string::npos);
}

TEST_F(HttpClientTest, ConnectionResetMidUploadIsRetryable) {
  Client client;
  GeneratedSource src(16 << 20);
  auto resp = client.Do(Request{"PUT", Url("/reset?after=65536"), {}, &src});
  ASSERT_FALSE(resp.ok());
  EXPECT_TRUE(resp.status().IsRetryable()) << resp.status().ToString();
  EXPECT_EQ(resp.status().message().rfind("PUT " + Url("/reset") + ": ", 0), 0u)
      << resp.status().message();
}

TEST_F(HttpClientTest, RewindsWhenAReusedConnectionDiesBeforeAnswering) {
  Client client;
  ASSERT_TRUE(client.Do(Request{"GET", Url("/data?n=1"), {}, nullptr}).ok());  // warm up
  GeneratedSource src(3 << 20, 9);
  auto resp = client.Do(Request{"PUT", Url("/drop-once?key=k1"), {}, &src});
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  auto j = nlohmann::json::parse(resp->body);
  EXPECT_EQ(j["attempts"], 2);
  EXPECT_EQ(j["length"].get<uint64_t>(), 3u << 20);
  EXPECT_EQ(j["sha256"].get<std::string>(), src.ExpectedSha256());
  EXPECT_GE(src.rewinds(), 2) << "once before the transfer, once for the resend";
}

TEST_F(HttpClientTest, LowSpeedLimitTimesOut) {
  ClientOptions o;
  o.low_speed_bytes = 1000;
  o.low_speed_time = std::chrono::seconds(2);
  Client client(o);
  auto start = steady_clock::now();
  auto resp = client.Do(Request{"GET", Url("/trickle?n=100&delay=0.2"), {}, nullptr});
  auto took = steady_clock::now() - start;
  ASSERT_FALSE(resp.ok());
  EXPECT_TRUE(resp.status().IsRetryable()) << resp.status().ToString();
  EXPECT_GE(took, milliseconds(1500));
  EXPECT_LT(took, milliseconds(6000));
}

TEST_F(HttpClientTest, TotalTimeoutIsRetryable) {
  ClientOptions o;
  o.total_timeout = milliseconds(800);
  Client client(o);
  auto start = steady_clock::now();
  auto resp = client.Do(Request{"GET", Url("/hang"), {}, nullptr});
  auto took = steady_clock::now() - start;
  ASSERT_FALSE(resp.ok());
  EXPECT_TRUE(resp.status().IsRetryable()) << resp.status().ToString();
  EXPECT_LT(took, milliseconds(4000));
}

TEST_F(HttpClientTest, CancellationStopsAHangingTransferQuickly) {
  Client client;
  CancellationToken token;
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(300));
    token.Cancel();
  });
  auto start = steady_clock::now();
  auto resp = client.Do(Request{"GET", Url("/hang"), {}, nullptr}, nullptr, &token);
  auto took = steady_clock::now() - start;
  canceller.join();
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), Code::kCancelled) << resp.status().ToString();
  EXPECT_LT(took, milliseconds(2500));

  // A token cancelled before the call stops it before any traffic.
  resp = client.Do(Request{"GET", Url("/data?n=1"), {}, nullptr}, nullptr, &token);
  EXPECT_EQ(resp.status().code(), Code::kCancelled);
}

TEST_F(HttpClientTest, ConnectionRefusedIsRetryable) {
  Client client;
  auto resp = client.Do(Request{
      "GET", "http://127.0.0.1:" + std::to_string(FreePortThenClose()) + "/x", {}, nullptr});
  ASSERT_FALSE(resp.ok());
  EXPECT_TRUE(resp.status().IsRetryable()) << resp.status().ToString();
}

TEST_F(HttpClientTest, TlsAndProtocolFailuresArePermanent) {
  Client client;
  // TLS handshake against a plain-HTTP port.
  std::string https = "https://127.0.0.1:" + std::to_string(server_->port()) + "/data?n=1";
  auto resp = client.Do(Request{"GET", https, {}, nullptr});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), Code::kIOError) << resp.status().ToString();

  resp = client.Do(Request{"GET", "file:///etc/hostname", {}, nullptr});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), Code::kIOError) << resp.status().ToString();

  ClientOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  Client strict(o);
  resp = strict.Do(Request{"GET", "https://127.0.0.1:" + std::to_string(server_->port()) + "/",
                           {}, nullptr});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), Code::kIOError) << resp.status().ToString();
}

TEST_F(HttpClientTest, MessagesCarryNoQueryStringAndNoHeaderValues) {
  Client client;
  GeneratedSource src(4 << 20);
  Headers secret_headers = {{"Authorization", "secret-XYZ"}, {"X-Amz-Security-Token", "tok-QQQ"}};
  std::vector<Request> failing = {
      {"PUT", Url("/reset?after=1000&X-Amz-Signature=SECRET"), secret_headers, &src},
      {"GET", "http://127.0.0.1:" + std::to_string(FreePortThenClose()) +
                  "/o?X-Amz-Signature=SECRET",
       secret_headers, nullptr},
      {"GET", "http://user:SECRET@127.0.0.1:" + std::to_string(FreePortThenClose()) + "/o",
       secret_headers, nullptr},
      {"GET", "http://[::1/o?X-Amz-Signature=SECRET", secret_headers, nullptr},
      {"GET", Url("/x?X-Amz-Signature=SECRET"), {{"Authorization", "secret-XYZ\r\nInjected: 1"}},
       nullptr},
  };
  for (const Request& req : failing) {
    auto resp = client.Do(req);
    ASSERT_FALSE(resp.ok()) << req.url;
    const std::string& m = resp.status().message();
    EXPECT_EQ(m.find("SECRET"), std::string::npos) << m;
    EXPECT_EQ(m.find("secret-XYZ"), std::string::npos) << m;
    EXPECT_EQ(m.find("tok-QQQ"), std::string::npos) << m;
    EXPECT_EQ(m.rfind(req.method + " ", 0), 0u) << m;
  }
}

// The standard proxy variables are honoured: with http_proxy pointing at the
// test server, a request for a host that does not exist reaches it.
TEST_F(HttpClientTest, HonoursProxyEnvironment) {
  Client client;
  setenv("http_proxy", Url("").c_str(), 1);
  setenv("no_proxy", "", 1);
  auto resp = client.Do(Request{"GET", "http://custos-proxy-test.invalid/data?n=5", {}, nullptr});
  unsetenv("http_proxy");
  unsetenv("no_proxy");
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body.size(), 5u);
}

TEST_F(HttpClientTest, SequentialRequestsReuseOneConnection) {
  Client client;
  GetJson(client, "/reset-stats");
  for (int i = 0; i < 20; ++i) {
    auto resp = client.Do(Request{"GET", Url("/data?n=1000"), {}, nullptr});
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
    ASSERT_EQ(resp->status, 200);
  }
  EXPECT_LE(GetJson(client, "/stats")["connections"].get<int>(), 2);

  // Control: fresh clients cannot reuse, and the counter sees it.
  GetJson(client, "/reset-stats");
  for (int i = 0; i < 5; ++i) {
    Client fresh;
    ASSERT_TRUE(fresh.Do(Request{"GET", Url("/data?n=10"), {}, nullptr}).ok());
  }
  EXPECT_GE(GetJson(client, "/stats")["connections"].get<int>(), 5);
}

TEST_F(HttpClientTest, ConcurrentCallsShareOneClient) {
  Client client;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        GeneratedSource src(100'000 + t * 1000 + i, t * 100 + i);
        auto resp = client.Do(Request{"PUT", Url("/echo"), {}, &src});
        if (resp.ok() && nlohmann::json::parse(resp->body)["sha256"] == src.ExpectedSha256()) {
          ++ok;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 32);
}

}  // namespace
}  // namespace custos::http
