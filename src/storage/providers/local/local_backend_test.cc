#include "storage/providers/local/local_backend.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "base/fs.h"
#include "base/random.h"

namespace custos {
namespace {

namespace fs = std::filesystem;

class LocalBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::testing::TempDir() + "custos-local-" + RandomHex(6);
    backend_ = std::make_unique<LocalBackend>(root_);
    ASSERT_TRUE(backend_->Create().ok());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::set<std::string> List(const std::string& prefix = "") {
    std::set<std::string> names;
    Status st = backend_->List(prefix, [&](const ObjectInfo& info) {
      names.insert(info.name);
      return Status::OK();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return names;
  }

  // Every file under the root whose name begins with ".tmp-".
  std::vector<std::string> TempFiles() {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root_)) {
      if (e.path().filename().string().starts_with(".tmp-")) out.push_back(e.path().string());
    }
    return out;
  }

  static int Mode(const std::string& path) {
    struct stat sb;
    EXPECT_EQ(::stat(path.c_str(), &sb), 0) << path;
    return sb.st_mode & 07777;
  }

  std::string root_;
  std::unique_ptr<LocalBackend> backend_;
};

TEST_F(LocalBackendTest, NamesMapToPathsUnderRoot) {
  ASSERT_TRUE(SaveBytes(*backend_, "data/ab/xyz", AsBytes("content")).ok());
  auto bytes = ReadWholeFile(root_ + "/data/ab/xyz");
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(AsString(*bytes), "content");
  EXPECT_EQ(backend_->Location(), root_);
}

TEST_F(LocalBackendTest, FilesAre0600AndDirectories0700) {
  ASSERT_TRUE(SaveBytes(*backend_, "data/ab/xyz", AsBytes("secret-ish")).ok());
  EXPECT_EQ(Mode(root_ + "/data/ab/xyz"), 0600);
  EXPECT_EQ(Mode(root_ + "/data/ab"), 0700);
  EXPECT_EQ(Mode(root_ + "/data"), 0700);
  EXPECT_EQ(Mode(root_), 0700);
}

TEST_F(LocalBackendTest, ListSkipsTempFilesDirectoriesAndForeignNames) {
  ASSERT_TRUE(SaveBytes(*backend_, "data/ab/real", AsBytes("x")).ok());
  ASSERT_TRUE(AtomicWriteFile(root_ + "/data/ab/.tmp-deadbeef", AsBytes("partial")).ok());
  ASSERT_TRUE(AtomicWriteFile(root_ + "/.tmp-cafe", AsBytes("partial")).ok());
  ASSERT_TRUE(AtomicWriteFile(root_ + "/not an object", AsBytes("x")).ok());
  ASSERT_TRUE(MakeDirs(root_ + "/data/empty").ok());
  EXPECT_EQ(List(), std::set<std::string>{"data/ab/real"});
  EXPECT_EQ(List("data/"), std::set<std::string>{"data/ab/real"});
  EXPECT_EQ(List("data/e"), std::set<std::string>{});
}

TEST_F(LocalBackendTest, FailedSavesLeaveNoTempFile) {
  Bytes data(100000, 0x5a);
  struct Short : BufferSource {
    using BufferSource::BufferSource;
    uint64_t Length() const override { return 200000; }
  } short_src(data);
  EXPECT_EQ(backend_->Save("data/cd/y", short_src).code(), Code::kCorruption);

  struct Failing : BufferSource {
    using BufferSource::BufferSource;
    Result<size_t> Read(uint8_t*, size_t) override { return Status::IOError("read failed"); }
    std::optional<ByteView> Contiguous() const override { return std::nullopt; }
  } failing(data);
  EXPECT_EQ(backend_->Save("z", failing).code(), Code::kIOError);

  EXPECT_TRUE(TempFiles().empty());
  EXPECT_TRUE(List().empty());
}

TEST_F(LocalBackendTest, FailedReplaceKeepsOldObject) {
  ASSERT_TRUE(SaveBytes(*backend_, "config", AsBytes("old")).ok());
  Bytes data(10, 1);
  struct Short : BufferSource {
    using BufferSource::BufferSource;
    uint64_t Length() const override { return 20; }
  } bad(data);
  EXPECT_EQ(backend_->Save("config", bad).code(), Code::kCorruption);
  auto got = LoadBytes(*backend_, "config");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(AsString(*got), "old");
  EXPECT_TRUE(TempFiles().empty());
}

TEST_F(LocalBackendTest, BadNamesAreRejected) {
  for (const char* name : {"", "/abs", "../escape", "a/../b", "a/..", "..", "a//b", "a/", "/", ".",
                           "a/./b", "a\\b", "sp ace", "a/.tmp-x", "x..y", "nul\x01"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(SaveBytes(*backend_, name, AsBytes("x")).code(), Code::kInvalidArgument);
    EXPECT_EQ(LoadBytes(*backend_, name).status().code(), Code::kInvalidArgument);
    EXPECT_EQ(backend_->Stat(name).status().code(), Code::kInvalidArgument);
    EXPECT_EQ(backend_->Remove(name).code(), Code::kInvalidArgument);
  }
  auto noop = [](const ObjectInfo&) { return Status::OK(); };
  for (const char* prefix : {"/", "../", "a//", "a/../", "..", "a b"}) {
    EXPECT_EQ(backend_->List(prefix, noop).code(), Code::kInvalidArgument) << prefix;
  }
  for (const char* prefix : {"", "data/", "data/a", "data/a.", "x-"}) {
    EXPECT_TRUE(backend_->List(prefix, noop).ok()) << prefix;
  }
  EXPECT_TRUE(TempFiles().empty());
}

TEST_F(LocalBackendTest, DirectoriesAreNotObjects) {
  ASSERT_TRUE(SaveBytes(*backend_, "data/ab/x", AsBytes("x")).ok());
  EXPECT_EQ(backend_->Stat("data").status().code(), Code::kNotFound);
  EXPECT_EQ(LoadBytes(*backend_, "data/ab").status().code(), Code::kNotFound);
  EXPECT_EQ(backend_->Remove("data/ab").code(), Code::kNotFound);
  EXPECT_TRUE(fs::is_directory(root_ + "/data/ab"));
}

TEST_F(LocalBackendTest, SaveUnderAnObjectFails) {
  ASSERT_TRUE(SaveBytes(*backend_, "a", AsBytes("x")).ok());
  EXPECT_FALSE(SaveBytes(*backend_, "a/b", AsBytes("y")).ok());
  EXPECT_TRUE(TempFiles().empty());
}

TEST_F(LocalBackendTest, MissingRootListsNothingAndIsNotCreatedBySave) {
  const std::string missing = root_ + "/not-created";
  LocalBackend b(missing);
  int calls = 0;
  EXPECT_TRUE(b.List("", [&](const ObjectInfo&) {
                 ++calls;
                 return Status::OK();
               }).ok());
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(LoadBytes(b, "config").status().code(), Code::kNotFound);
  Status st = SaveBytes(b, "data/ab/x", AsBytes("x"));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("data/ab/x"), std::string::npos) << st.ToString();
  EXPECT_FALSE(fs::exists(missing));
  ASSERT_TRUE(b.Create().ok());
  EXPECT_TRUE(SaveBytes(b, "data/ab/x", AsBytes("x")).ok());
}

TEST_F(LocalBackendTest, ErrorsNameTheObject) {
  Status st = backend_->Stat("keys/abc").status();
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("keys/abc"), std::string::npos) << st.ToString();
  st = LoadBytes(*backend_, "keys/abc").status();
  EXPECT_NE(st.message().find("keys/abc"), std::string::npos) << st.ToString();
}

}  // namespace
}  // namespace custos

namespace custos {
namespace {

TEST(LocalBackendCleanup, RemoveIncompleteDeletesOnlyOldTempFiles) {
  std::string root = "/tmp/custos-local-cleanup-" + RandomHex(6);
  LocalBackend b(root);
  ASSERT_TRUE(b.Create().ok());
  ASSERT_TRUE(SaveBytes(b, "data/ab/real", AsBytes("x")).ok());
  ASSERT_TRUE(AtomicWriteFile(root + "/data/ab/.tmp-old", AsBytes("partial")).ok());
  ASSERT_TRUE(MakeDirs(root + "/locks").ok());
  ASSERT_TRUE(AtomicWriteFile(root + "/locks/.tmp-new", AsBytes("partial")).ok());
  struct timespec old[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (root + "/data/ab/.tmp-old").c_str(), old, 0), 0);
  auto n = b.RemoveIncomplete(std::chrono::seconds(60));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_FALSE(PathExists(root + "/data/ab/.tmp-old"));
  EXPECT_TRUE(PathExists(root + "/locks/.tmp-new"));  // too young: may be a live writer
  EXPECT_TRUE(PathExists(root + "/data/ab/real"));
  auto all = b.RemoveIncomplete(std::chrono::seconds(0));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 1u);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace custos
