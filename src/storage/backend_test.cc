#include "storage/backend.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

namespace custos {
namespace {

Hash256 Sha256Of(ByteView data) {
  Hash256 h;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), h.data(), &len, EVP_sha256(), nullptr);
  return h;
}

// Collects what CopyVerified hands to its sink.
struct Collector {
  Bytes data;
  Status operator()(ByteView chunk) {
    data.insert(data.end(), chunk.begin(), chunk.end());
    return Status::OK();
  }
};

Bytes Pattern(size_t n) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i * 31 + 7);
  return out;
}

TEST(BufferSource, ReadsAndRewinds) {
  Bytes data = Pattern(10);
  BufferSource src(data);
  EXPECT_EQ(src.Length(), 10u);
  EXPECT_FALSE(src.Sha256().has_value());
  uint8_t buf[4];
  EXPECT_EQ(*src.Read(buf, 4), 4u);
  EXPECT_EQ(buf[0], data[0]);
  EXPECT_EQ(*src.Read(buf, 4), 4u);
  EXPECT_EQ(*src.Read(buf, 4), 2u);
  EXPECT_EQ(buf[1], data[9]);
  EXPECT_EQ(*src.Read(buf, 4), 0u);
  ASSERT_TRUE(src.Rewind().ok());
  EXPECT_EQ(*src.Read(buf, 1), 1u);
  EXPECT_EQ(buf[0], data[0]);
}

TEST(CopyVerified, CopiesWholeSourceFromStart) {
  Bytes data = Pattern(600 * 1024);
  BufferSource src(data, Sha256Of(data));
  uint8_t skip[100];
  ASSERT_EQ(*src.Read(skip, sizeof skip), sizeof skip);  // CopyVerified rewinds first
  Collector out;
  Status st = CopyVerified(src, "obj", std::ref(out));
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(out.data == data);
}

TEST(CopyVerified, EmptySource) {
  BufferSource src(ByteView(), Sha256Of(ByteView()));
  Collector out;
  EXPECT_TRUE(CopyVerified(src, "empty", std::ref(out)).ok());
  EXPECT_TRUE(out.data.empty());
}

class WrongLength : public BufferSource {
 public:
  WrongLength(ByteView data, uint64_t len) : BufferSource(data), len_(len) {}
  uint64_t Length() const override { return len_; }

 private:
  uint64_t len_;
};

TEST(CopyVerified, LengthMismatchIsCorruption) {
  Bytes data = Pattern(1000);
  WrongLength shorter(data, 1001), longer(data, 999);
  Collector out;
  Status st = CopyVerified(shorter, "data/ab/x", std::ref(out));
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find("data/ab/x"), std::string::npos) << st.ToString();
  EXPECT_EQ(CopyVerified(longer, "x", std::ref(out)).code(), Code::kCorruption);
}

TEST(CopyVerified, HashMismatchIsCorruption) {
  Bytes data = Pattern(1000);
  Hash256 h = Sha256Of(data);
  h[0] ^= 1;
  BufferSource src(data, h);
  Collector out;
  EXPECT_EQ(CopyVerified(src, "x", std::ref(out)).code(), Code::kCorruption);
}

TEST(CopyVerified, PropagatesSinkError) {
  Bytes data = Pattern(10);
  BufferSource src(data);
  Status st = CopyVerified(src, "x", [](ByteView) { return Status::NoSpace("disk full"); });
  EXPECT_EQ(st.code(), Code::kNoSpace);
}

class FailingReader : public Reader {
 public:
  Result<size_t> Read(uint8_t*, size_t) override { return Status::IOError("boom"); }
};

TEST(ReadAll, PropagatesReaderError) {
  FailingReader bad;
  Bytes out;
  EXPECT_EQ(ReadAll(bad, out).code(), Code::kIOError);
}

}  // namespace
}  // namespace custos
