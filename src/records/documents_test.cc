#include "records/documents.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/fs.h"
#include "base/random.h"
#include "crypto/hash.h"

namespace custos::records {
namespace {

TEST(DocumentStoreTest, PutGetContentAddressed) {
  ScopedTempDir tmp("docs");
  const std::string& dir = tmp.path();
  DocumentStore docs(dir);
  Bytes data(100000);
  RandomFill(data);
  auto id = docs.Put(data);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, ToHex(Sha256(data)));
  EXPECT_TRUE(PathExists(dir + "/documents/" + id->substr(0, 2) + "/" + *id));
  auto again = docs.Put(data);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *id);
  auto got = docs.Get(*id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, data);

  // From a file, streamed: same id.
  std::string src = dir + "/source.bin";
  ASSERT_TRUE(AtomicWriteFile(src, data).ok());
  auto fid = docs.PutFile(src);
  ASSERT_TRUE(fid.ok());
  EXPECT_EQ(*fid, *id);
  EXPECT_TRUE(std::filesystem::is_empty(dir + "/documents/tmp"));
}

TEST(DocumentStoreTest, Errors) {
  ScopedTempDir tmp("docs");
  const std::string& dir = tmp.path();
  DocumentStore docs(dir);
  EXPECT_TRUE(docs.Get(std::string(64, 'a')).status().IsNotFound());
  EXPECT_EQ(docs.Get("xyz").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(docs.Get(std::string(64, 'A')).status().code(), Code::kInvalidArgument);
  auto missing = docs.PutFile(dir + "/Jane_Doe_certificate.pdf");
  ASSERT_FALSE(missing.ok());
  // The source path (often a person's name) is not echoed.
  EXPECT_EQ(missing.status().message().find("Jane"), std::string::npos);

  auto id = docs.Put(AsBytes("evidence"));
  ASSERT_TRUE(id.ok());
  std::string path = dir + "/documents/" + id->substr(0, 2) + "/" + *id;
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << "evidencf";
  }
  EXPECT_TRUE(docs.Get(*id).status().IsCorruption());
}

}  // namespace
}  // namespace custos::records
