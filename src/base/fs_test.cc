#include "base/fs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

namespace custos {
namespace {

TEST(ScopedTempDirTest, MakesAPrivateDirectoryAndRemovesItWithItsContents) {
  std::string kept;
  {
    ScopedTempDir dir("fs-test");
    kept = dir.path();
    struct stat sb;
    ASSERT_EQ(::stat(kept.c_str(), &sb), 0);
    EXPECT_TRUE(S_ISDIR(sb.st_mode));
    EXPECT_EQ(sb.st_mode & 0777, 0700u);
    EXPECT_NE(kept.find("/fs-test-"), std::string::npos) << kept;
    ASSERT_TRUE(MakeDirs(dir.Sub("a/b")).ok());
    std::ofstream(dir.Sub("a/b/file")) << "x";
    EXPECT_TRUE(PathExists(dir.Sub("a/b/file")));
  }
  EXPECT_FALSE(PathExists(kept));
}

TEST(ScopedTempDirTest, EachIsFreshAndFollowsTmpdir) {
  ScopedTempDir parent("fs-parent");
  const char* old = std::getenv("TMPDIR");
  std::optional<std::string> saved;
  if (old != nullptr) saved = old;
  ::setenv("TMPDIR", parent.path().c_str(), 1);
  {
    ScopedTempDir a("x"), b("x");
    EXPECT_NE(a.path(), b.path());
    EXPECT_EQ(DirName(a.path()), parent.path());
    EXPECT_EQ(DirName(b.path()), parent.path());
  }
  if (saved) {
    ::setenv("TMPDIR", saved->c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  EXPECT_TRUE(std::filesystem::is_empty(parent.path()));
}

}  // namespace
}  // namespace custos
