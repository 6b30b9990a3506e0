#include "records/keystore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/fs.h"
#include "base/random.h"

namespace custos::records {
namespace {

TEST(KeystoreTest, MasterKeyCreatedOnceWithMode0600) {
  ScopedTempDir tmp("keystore");
  const std::string& dir = tmp.path();
  auto a = Keystore::OpenOrCreate(dir);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  struct stat sb;
  ASSERT_EQ(::stat((dir + "/keys/master.key").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  EXPECT_EQ(sb.st_size, 32);
  auto b = Keystore::OpenOrCreate(dir);
  ASSERT_TRUE(b.ok());
  // Same master key: same pseudonyms, and b unwraps what a wrapped.
  EXPECT_EQ((*a)->SubjectPseudonym("s1"), (*b)->SubjectPseudonym("s1"));
  Key256 k = Keystore::NewSubjectKey();
  auto un = (*b)->UnwrapSubjectKey("s1", (*a)->WrapSubjectKey("s1", k));
  ASSERT_TRUE(un.ok());
  EXPECT_EQ(*un, k);
}

TEST(KeystoreTest, RejectsShortMasterKey) {
  ScopedTempDir tmp("keystore");
  const std::string& dir = tmp.path();
  ASSERT_TRUE(MakeDirs(dir + "/keys").ok());
  ASSERT_TRUE(AtomicWriteFile(dir + "/keys/master.key", AsBytes("short")).ok());
  EXPECT_TRUE(Keystore::OpenOrCreate(dir).status().IsCorruption());
}

TEST(KeystoreTest, PseudonymsAreKeyedAndDomainSeparated) {
  Key256 m1, m2;
  RandomFill(m1);
  RandomFill(m2);
  auto a = Keystore::FromMasterKey(m1);
  auto b = Keystore::FromMasterKey(m2);
  EXPECT_NE(a->SubjectPseudonym("x"), b->SubjectPseudonym("x"));
  EXPECT_NE(a->SubjectPseudonym("x"), a->ActorPseudonym("x"));
  EXPECT_NE(a->SubjectPseudonym("x"), a->SubjectPseudonym("y"));
}

TEST(KeystoreTest, WrappedKeyIsBoundToSubjectAndMaster) {
  Key256 m1, m2;
  RandomFill(m1);
  RandomFill(m2);
  auto a = Keystore::FromMasterKey(m1);
  auto b = Keystore::FromMasterKey(m2);
  Key256 k = Keystore::NewSubjectKey();
  Bytes w = a->WrapSubjectKey("s1", k);
  EXPECT_TRUE(a->UnwrapSubjectKey("s2", w).status().IsCorruption());
  EXPECT_TRUE(b->UnwrapSubjectKey("s1", w).status().IsCorruption());
  w[20] ^= 1;
  EXPECT_TRUE(a->UnwrapSubjectKey("s1", w).status().IsCorruption());
  EXPECT_TRUE(a->UnwrapSubjectKey("s1", ByteView(w.data(), 5)).status().IsCorruption());
}

TEST(KeystoreTest, ForgottenKeysStayForgotten) {
  Key256 m;
  RandomFill(m);
  auto ks = Keystore::FromMasterKey(m);
  Key256 k = Keystore::NewSubjectKey();
  ks->RememberKey("s", k);
  ASSERT_TRUE(ks->CachedKey("s").has_value());
  ks->ForgetKey("s");
  EXPECT_FALSE(ks->CachedKey("s").has_value());
  ks->RememberKey("s", k);
  EXPECT_FALSE(ks->CachedKey("s").has_value());
}

}  // namespace
}  // namespace custos::records
