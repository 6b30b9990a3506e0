#include "backend_conformance.h"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "base/random.h"
#include "storage/providers/local/local_backend.h"
#include "storage/providers/memory/memory_backend.h"

namespace custos {

std::string BackendFactoryName(const ::testing::TestParamInfo<BackendFactory>& info) {
  return info.param.name;
}

namespace {

bool Required(const std::string& name) {
  const char* env = std::getenv("CUSTOS_CONFORMANCE_REQUIRED");
  if (env == nullptr) return false;
  std::stringstream list(env);
  std::string item;
  while (std::getline(list, item, ',')) {
    if (item == name) return true;
  }
  return false;
}

std::string UniquePrefix() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string out;
  for (char c : std::string(info->name())) {
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  }
  return out + "-" + RandomHex(4);
}

}  // namespace

void BackendConformanceTest::SetUp() {
  prefix_ = UniquePrefix();
  backend_ = GetParam().make(prefix_);
  if (!backend_) {
    if (Required(GetParam().name)) {
      FAIL() << "backend '" << GetParam().name << "' is required but not available";
    }
    GTEST_SKIP() << "backend '" << GetParam().name << "' not available";
  }
  Status st = backend_->Create();
  ASSERT_TRUE(st.ok()) << st.ToString();
}

void BackendConformanceTest::TearDown() {
  if (backend_) {
    std::vector<std::string> names;
    Status st = backend_->List("", [&](const ObjectInfo& info) {
      names.push_back(info.name);
      return Status::OK();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    for (const std::string& name : names) EXPECT_TRUE(backend_->Remove(name).ok()) << name;
    backend_.reset();
  }
  if (GetParam().cleanup) GetParam().cleanup(prefix_);
}

namespace {

Bytes RandomBytes(size_t n) {
  Bytes out(n);
  if (n > 0) RandomFill(out);  // RandomFill(empty) hands libsodium a null pointer
  return out;
}

Hash256 Sha256Of(ByteView data) {
  Hash256 h;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), h.data(), &len, EVP_sha256(), nullptr);
  return h;
}

// Declares one length but yields a different number of bytes.
class LyingSource : public ByteSource {
 public:
  LyingSource(ByteView data, uint64_t declared) : inner_(data), declared_(declared) {}
  uint64_t Length() const override { return declared_; }
  Result<size_t> Read(uint8_t* buf, size_t n) override { return inner_.Read(buf, n); }
  Status Rewind() override { return inner_.Rewind(); }

 private:
  BufferSource inner_;
  uint64_t declared_;
};

// Fails once with Retryable when half of the data has been read.
class FlakySource : public ByteSource {
 public:
  explicit FlakySource(ByteView data) : data_(data) {}
  uint64_t Length() const override { return data_.size(); }
  std::optional<Hash256> Sha256() const override { return Sha256Of(data_); }
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    if (fail_ && pos_ >= data_.size() / 2) {
      fail_ = false;
      return Status::Retryable("connection reset (injected)");
    }
    size_t take = std::min({n, data_.size() - pos_, size_t{4096}});
    std::memcpy(buf, data_.data() + pos_, take);
    pos_ += take;
    return take;
  }
  Status Rewind() override {
    pos_ = 0;
    return Status::OK();
  }

 private:
  ByteView data_;
  size_t pos_ = 0;
  bool fail_ = true;
};

Status Save(Backend& b, const std::string& name, ByteView data, bool with_hash = false) {
  BufferSource src(data, with_hash ? std::optional<Hash256>(Sha256Of(data)) : std::nullopt);
  return b.Save(name, src);
}

std::set<std::string> ListNames(Backend& b, const std::string& prefix) {
  std::set<std::string> names;
  Status st = b.List(prefix, [&](const ObjectInfo& info) {
    names.insert(info.name);
    return Status::OK();
  });
  EXPECT_TRUE(st.ok()) << "List(" << prefix << "): " << st.ToString();
  return names;
}

void ExpectAbsent(Backend& b, const std::string& name) {
  EXPECT_EQ(b.Stat(name).status().code(), Code::kNotFound) << name;
  EXPECT_EQ(LoadBytes(b, name).status().code(), Code::kNotFound) << name;
  EXPECT_EQ(ListNames(b, "").count(name), 0u) << name;
}

TEST_P(BackendConformanceTest, PropertiesAndLocationReadable) {
  const BackendProperties& p = backend().Properties();
  EXPECT_GT(p.connections, 0);
  EXPECT_FALSE(backend().Location().empty());
  EXPECT_TRUE(backend().Create().ok()) << "Create must be idempotent";
}

TEST_P(BackendConformanceTest, RoundTripSizes) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{1} << 20, size_t{17} << 20}) {
    SCOPED_TRACE("size " + std::to_string(size));
    Bytes data = RandomBytes(size);
    std::string name = "data/rt/obj-" + std::to_string(size);
    Status st = Save(backend(), name, data, /*with_hash=*/size % 2 == 0);
    ASSERT_TRUE(st.ok()) << st.ToString();
    auto info = backend().Stat(name);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->size, size);
    EXPECT_EQ(info->name, name);
    auto back = LoadBytes(backend(), name);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_TRUE(*back == data);
  }
}

TEST_P(BackendConformanceTest, RangedLoads) {
  Bytes data = RandomBytes(1000);
  ASSERT_TRUE(Save(backend(), "ranged", data).ok());
  auto slice = [&](size_t from, size_t to) {
    return Bytes(data.begin() + from, data.begin() + to);
  };
  struct Case {
    uint64_t offset, length;
    size_t from, to;
  };
  for (const Case& c :
       {Case{0, 0, 0, 1000}, Case{10, 0, 10, 1000}, Case{10, 20, 10, 30}, Case{0, 1000, 0, 1000},
        Case{999, 1, 999, 1000}, Case{990, 100, 990, 1000}, Case{1000, 0, 1000, 1000},
        Case{1000, 5, 1000, 1000}, Case{5000, 10, 1000, 1000}, Case{0, 1u << 30, 0, 1000}}) {
    SCOPED_TRACE("offset " + std::to_string(c.offset) + " length " + std::to_string(c.length));
    auto got = LoadBytes(backend(), "ranged", c.offset, c.length);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(*got == slice(c.from, c.to)) << "got " << got->size() << " bytes";
  }
}

TEST_P(BackendConformanceTest, LoadConsumerReadsInSmallPieces) {
  Bytes data = RandomBytes(300 * 1024 + 17);
  ASSERT_TRUE(Save(backend(), "pieces", data).ok());
  int calls = 0;
  Bytes got;
  Status st = backend().Load("pieces", 0, 0, [&](Reader& r) {
    ++calls;
    got.clear();
    const size_t sizes[] = {1, 7, 4096, 65536, 100000, 3};
    uint8_t buf[100000];
    for (size_t i = 0;; ++i) {
      ASSIGN_OR_RETURN(size_t n, r.Read(buf, sizes[i % 6]));
      if (n == 0) break;
      EXPECT_LE(n, sizes[i % 6]);
      got.insert(got.end(), buf, buf + n);
    }
    return Status::OK();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(got == data);

  got.clear();
  st = backend().Load("pieces", 5, 10, [&](Reader& r) {
    uint8_t b;
    for (;;) {
      ASSIGN_OR_RETURN(size_t n, r.Read(&b, 1));
      if (n == 0) return Status::OK();
      got.push_back(b);
    }
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(got == Bytes(data.begin() + 5, data.begin() + 15));
}

TEST_P(BackendConformanceTest, LoadPropagatesConsumerError) {
  ASSERT_TRUE(Save(backend(), "x", AsBytes("hello")).ok());
  Status st = backend().Load("x", 0, 0, [](Reader&) { return Status::Cancelled("stop"); });
  EXPECT_EQ(st.code(), Code::kCancelled) << st.ToString();
}

TEST_P(BackendConformanceTest, MissingObjectIsNotFound) {
  bool called = false;
  Status st = backend().Load("data/zz/missing", 0, 0, [&](Reader&) {
    called = true;
    return Status::OK();
  });
  EXPECT_EQ(st.code(), Code::kNotFound) << st.ToString();
  EXPECT_FALSE(called);
  EXPECT_EQ(backend().Stat("data/zz/missing").status().code(), Code::kNotFound);
  EXPECT_EQ(backend().Stat("missing").status().code(), Code::kNotFound);
  EXPECT_EQ(backend().Remove("data/zz/missing").code(), Code::kNotFound);
}

TEST_P(BackendConformanceTest, StatReportsSize) {
  ASSERT_TRUE(Save(backend(), "keys/k1", RandomBytes(12345)).ok());
  auto info = backend().Stat("keys/k1");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 12345u);
}

TEST_P(BackendConformanceTest, ListWithPrefixes) {
  const std::vector<std::string> names = {"config",     "keys/k1",     "data/ab/x1", "data/ab/x2",
                                          "data/cd/y1", "data/abc/z1", "index/i1"};
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(Save(backend(), names[i], RandomBytes(i * 10)).ok()) << names[i];
  }
  using Set = std::set<std::string>;
  EXPECT_EQ(ListNames(backend(), ""), Set(names.begin(), names.end()));
  EXPECT_EQ(ListNames(backend(), "data/"),
            (Set{"data/ab/x1", "data/ab/x2", "data/cd/y1", "data/abc/z1"}));
  EXPECT_EQ(ListNames(backend(), "data/ab/"), (Set{"data/ab/x1", "data/ab/x2"}));
  EXPECT_EQ(ListNames(backend(), "data/ab"), (Set{"data/ab/x1", "data/ab/x2", "data/abc/z1"}));
  EXPECT_EQ(ListNames(backend(), "data/ab/x2"), (Set{"data/ab/x2"}));
  EXPECT_EQ(ListNames(backend(), "keys/k"), (Set{"keys/k1"}));
  EXPECT_EQ(ListNames(backend(), "con"), (Set{"config"}));
  EXPECT_EQ(ListNames(backend(), "missing/"), Set{});
  EXPECT_EQ(ListNames(backend(), "data/zz/"), Set{});
  EXPECT_EQ(ListNames(backend(), "data/ab/x3"), Set{});

  Status st = backend().List("", [&](const ObjectInfo& info) {
    auto it = std::find(names.begin(), names.end(), info.name);
    EXPECT_NE(it, names.end()) << info.name;
    if (it != names.end()) {
      EXPECT_EQ(info.size, static_cast<uint64_t>(it - names.begin()) * 10);
    }
    return Status::OK();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_P(BackendConformanceTest, ListStopsOnConsumerError) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Save(backend(), "data/ab/o" + std::to_string(i), AsBytes("x")).ok());
  }
  int calls = 0;
  Status st = backend().List("data/", [&](const ObjectInfo&) {
    ++calls;
    return Status::Cancelled("enough");
  });
  EXPECT_EQ(st.code(), Code::kCancelled) << st.ToString();
  EXPECT_EQ(calls, 1);
}

TEST_P(BackendConformanceTest, Remove) {
  ASSERT_TRUE(Save(backend(), "data/ab/gone", AsBytes("bye")).ok());
  ASSERT_TRUE(Save(backend(), "data/ab/kept", AsBytes("hi")).ok());
  Status st = backend().Remove("data/ab/gone");
  ASSERT_TRUE(st.ok()) << st.ToString();
  ExpectAbsent(backend(), "data/ab/gone");
  EXPECT_EQ(backend().Remove("data/ab/gone").code(), Code::kNotFound);
  EXPECT_EQ(ListNames(backend(), "data/"), std::set<std::string>{"data/ab/kept"});
}

TEST_P(BackendConformanceTest, SaveReplacesExistingObject) {
  ASSERT_TRUE(Save(backend(), "config", RandomBytes(5000)).ok());
  Bytes second = RandomBytes(100);
  ASSERT_TRUE(Save(backend(), "config", second, /*with_hash=*/true).ok());
  auto got = LoadBytes(backend(), "config");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == second);
  EXPECT_EQ(backend().Stat("config")->size, 100u);
  EXPECT_EQ(ListNames(backend(), "").size(), 1u);
}

TEST_P(BackendConformanceTest, SaveWithWrongLengthIsCorruption) {
  Bytes data = RandomBytes(5000);
  LyingSource shorter(data, data.size() + 100);
  Status st = backend().Save("data/ab/short", shorter);
  EXPECT_EQ(st.code(), Code::kCorruption) << st.ToString();
  ExpectAbsent(backend(), "data/ab/short");

  LyingSource longer(data, data.size() - 1);
  st = backend().Save("data/ab/long", longer);
  EXPECT_EQ(st.code(), Code::kCorruption) << st.ToString();
  ExpectAbsent(backend(), "data/ab/long");
}

TEST_P(BackendConformanceTest, SaveWithWrongHashIsCorruption) {
  if (!backend().Properties().server_checksums) {
    // The contract only asks stores that check hashes to reject a wrong one;
    // the others must still store the bytes they were given, intact.
    Bytes data = RandomBytes(1000);
    Hash256 hash = Sha256Of(data);
    hash[7] ^= 0x01;
    BufferSource src(data, hash);
    ASSERT_TRUE(backend().Save("data/ab/unchecked", src).ok());
    auto back = LoadBytes(backend(), "data/ab/unchecked");
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, data);
    return;
  }
  Bytes data = RandomBytes(70000);
  Hash256 hash = Sha256Of(data);
  hash[7] ^= 0x01;
  BufferSource src(data, hash);
  Status st = backend().Save("data/ab/badhash", src);
  EXPECT_EQ(st.code(), Code::kCorruption) << st.ToString();
  ExpectAbsent(backend(), "data/ab/badhash");

  BufferSource empty(ByteView(), hash);
  st = backend().Save("empty", empty);
  EXPECT_EQ(st.code(), Code::kCorruption) << st.ToString();
  ExpectAbsent(backend(), "empty");
}

TEST_P(BackendConformanceTest, SaveRetriedAfterRewind) {
  Bytes data = RandomBytes(100000);
  FlakySource src(data);
  Status st = backend().Save("data/ab/flaky", src);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kRetryable) << st.ToString();
  ExpectAbsent(backend(), "data/ab/flaky");

  ASSERT_TRUE(src.Rewind().ok());
  st = backend().Save("data/ab/flaky", src);
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto got = LoadBytes(backend(), "data/ab/flaky");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
}

TEST_P(BackendConformanceTest, ConcurrentSavesAndLoads) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 12;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string name = "data/" + std::to_string(10 + t) + "/obj-" + std::to_string(i);
        Bytes data = RandomBytes(RandomU64() % (200 * 1024));
        if (!Save(backend(), name, data, i % 2 == 0).ok()) ++failures;
        auto got = LoadBytes(backend(), name);
        if (!got.ok() || *got != data) ++failures;
        auto part = LoadBytes(backend(), name, data.size() / 3, 100);
        size_t from = std::min(data.size(), data.size() / 3);
        size_t to = std::min(data.size(), from + 100);
        if (!part.ok() || *part != Bytes(data.begin() + from, data.begin() + to)) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ListNames(backend(), "data/").size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_P(BackendConformanceTest, NamesWithDotsAndDashes) {
  const std::set<std::string> names = {"data/ab/file.name-with_dashes.v2", "x.y-z",
                                       "snap-shots/2024-01-01.v1/part_1.json", "a-b/.hidden"};
  for (const std::string& name : names) {
    Status st = Save(backend(), name, AsBytes(name));
    ASSERT_TRUE(st.ok()) << name << ": " << st.ToString();
  }
  EXPECT_EQ(ListNames(backend(), ""), names);
  for (const std::string& name : names) {
    auto got = LoadBytes(backend(), name);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
    EXPECT_EQ(AsString(*got), name);
  }
}

// ---------------------------------------------------------------------------
// Instantiations: one line per backend.

std::unique_ptr<Backend> MakeMemory(const std::string& prefix) {
  return std::make_unique<MemoryBackend>(prefix);
}

std::string LocalDir(const std::string& prefix) {
  return ::testing::TempDir() + "custos-conformance/" + prefix;
}
std::unique_ptr<Backend> MakeLocal(const std::string& prefix) {
  return std::make_unique<LocalBackend>(LocalDir(prefix));
}
void CleanupLocal(const std::string& prefix) {
  std::error_code ec;
  std::filesystem::remove_all(LocalDir(prefix), ec);
}

// The forwarding base must pass unchanged.
class PassThrough : public BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
};
std::unique_ptr<Backend> MakeWrappedMemory(const std::string& prefix) {
  return std::make_unique<PassThrough>(MakeMemory(prefix));
}

INSTANTIATE_TEST_SUITE_P(Memory, BackendConformanceTest,
                         ::testing::Values(BackendFactory{"memory", MakeMemory, nullptr}),
                         BackendFactoryName);
INSTANTIATE_TEST_SUITE_P(Local, BackendConformanceTest,
                         ::testing::Values(BackendFactory{"local", MakeLocal, CleanupLocal}),
                         BackendFactoryName);
INSTANTIATE_TEST_SUITE_P(Wrapper, BackendConformanceTest,
                         ::testing::Values(BackendFactory{"wrapped_memory", MakeWrappedMemory,
                                                          nullptr}),
                         BackendFactoryName);

}  // namespace
}  // namespace custos
