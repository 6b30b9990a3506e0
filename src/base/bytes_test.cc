#include "base/bytes.h"

#include <gtest/gtest.h>

#include "base/fs.h"

namespace custos {
namespace {

TEST(Bytes, HexRoundTrip) {
  Bytes b = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(ToHex(b), "0001abff");
  auto back = FromHex("0001ABff");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, b);
  EXPECT_FALSE(FromHex("abc").ok());
  EXPECT_FALSE(FromHex("zz").ok());
}

TEST(Bytes, Base64RoundTrip) {
  Bytes b = {'h', 'e', 'l', 'l', 'o', 0, 255};
  auto back = FromBase64(ToBase64(b));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, b);
  EXPECT_FALSE(FromBase64("not base64!").ok());
}

TEST(Bytes, LittleEndian) {
  Bytes out;
  PutU32(out, 0x01020304);
  PutU64(out, 0x1122334455667788ull);
  EXPECT_EQ(out[0], 0x04);
  EXPECT_EQ(GetU32(out.data()), 0x01020304u);
  EXPECT_EQ(GetU64(out.data() + 4), 0x1122334455667788ull);
}

TEST(Status, ErrnoMapping) {
  EXPECT_TRUE(Status::FromErrno(ENOENT, "x").IsNotFound());
  EXPECT_EQ(Status::FromErrno(ENOSPC, "x").code(), Code::kNoSpace);
  Status s = Status::Corruption("bad").WithContext("pack data/ab/cd");
  EXPECT_EQ(s.message(), "pack data/ab/cd: bad");
  EXPECT_TRUE(s.IsCorruption());
}

TEST(Fs, PathHelpers) {
  EXPECT_EQ(DirName("/a/b/c"), "/a/b");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(DirName("/c"), "/");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
}

}  // namespace
}  // namespace custos
