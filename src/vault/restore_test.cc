// Unit tests of the restore's read path: FetchBlobs (coalesced, resumable,
// verified pack reads), TreeSource (trees read in runs) and opening blobs in
// place. Damage is injected and must be reported, never delivered.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>
#include <set>

#include "storage/providers/memory/memory_backend.h"
#include "vault/blob_saver.h"
#include "vault/compress.h"
#include "vault/pack.h"
#include "vault/restore_fetch.h"
#include "vault/restore_trees.h"

namespace custos {
namespace {

Bytes Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Bytes Compressible(size_t n, uint32_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>("training records "[(i + seed) % 17]);
  return b;
}

// Yields the bytes of an inner reader, then fails with Retryable after
// `limit` bytes.
class FailingReader : public Reader {
 public:
  FailingReader(Reader& inner, uint64_t limit) : inner_(inner), left_(limit) {}
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    if (left_ == 0) return Status::Retryable("connection reset (test)");
    ASSIGN_OR_RETURN(size_t got, inner_.Read(buf, std::min<uint64_t>(n, left_)));
    left_ -= got;
    return got;
  }

 private:
  Reader& inner_;
  uint64_t left_;
};

// Yields at most `limit` bytes of an inner reader.
class ShortReader : public Reader {
 public:
  ShortReader(Reader& inner, uint64_t limit) : inner_(inner), left_(limit) {}
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    if (left_ == 0) return size_t{0};
    ASSIGN_OR_RETURN(size_t got, inner_.Read(buf, std::min<uint64_t>(n, left_)));
    left_ -= got;
    return got;
  }

 private:
  Reader& inner_;
  uint64_t left_;
};

// The memory backend with knobs for the read path, and a count of loads.
class TestBackend : public BackendWrapper {
 public:
  TestBackend() : BackendWrapper(std::make_unique<MemoryBackend>("restore-test")) {}

  // Every data/ load first hands the consumer a reader that fails after
  // this many bytes, then (as the retry decorator does) calls it again.
  std::optional<uint64_t> fail_once_after;
  std::optional<uint64_t> truncate_to;  // data/ loads end early
  std::atomic<int> data_loads{0};

  Status Load(const std::string& name, uint64_t offset, uint64_t length,
              const LoadConsumer& consumer) override {
    if (!name.starts_with("data/")) return inner().Load(name, offset, length, consumer);
    data_loads++;
    if (fail_once_after) {
      Status first = inner().Load(name, offset, length, [&](Reader& r) {
        FailingReader failing(r, *fail_once_after);
        return consumer(failing);
      });
      if (!first.IsRetryable()) return first;
    }
    if (truncate_to) {
      return inner().Load(name, offset, length, [&](Reader& r) {
        ShortReader shorter(r, *truncate_to);
        return consumer(shorter);
      });
    }
    return inner().Load(name, offset, length, consumer);
  }

  // Flips one byte of a stored object.
  void Flip(const std::string& name, uint64_t pos) {
    auto bytes = LoadBytes(inner(), name);
    ASSERT_TRUE(bytes.ok());
    (*bytes)[pos] ^= 0x40;
    ASSERT_TRUE(SaveBytes(inner(), name, *bytes).ok());
  }
};

struct Saved {
  BlobId id;
  Bytes plain;
};

class RestoreReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = std::make_unique<TestBackend>();
    backend_ = backend.get();
    InitOptions init;
    init.config.pack_size = 1 << 20;  // several packs from a few MiB
    init.kdf = KdfParams{1, 8192};
    auto v = Vault::Init(std::move(backend), Secret{Secret::Kind::kPassphrase, "pw"}, init);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    vault_ = std::move(*v);
  }

  // Saves blobs of assorted sizes, compressible and not, in several packs.
  void SaveData(int n) {
    BlobSaver saver(*vault_, BlobSaverOptions{});
    for (int i = 0; i < n; ++i) {
      size_t size = 1000 + static_cast<size_t>(i) * 37'000;
      Bytes plain = i % 2 ? Random(size, i) : Compressible(size, i);
      BlobId id = vault_->BlobIdOf(plain);
      ASSERT_TRUE(saver.Claim(id));
      saved_.push_back(Saved{id, plain});
      saver.SaveBlob(BlobType::kData, id, std::move(plain));
    }
    ASSERT_TRUE(saver.Finish().ok());
  }

  BlobWant Want(size_t saved_index, uint64_t cookie) {
    auto loc = vault_->index().Find(saved_[saved_index].id);
    EXPECT_TRUE(loc.has_value());
    return BlobWant{loc->pack, loc->entry, cookie};
  }

  TestBackend* backend_ = nullptr;
  std::unique_ptr<Vault> vault_;
  std::vector<Saved> saved_;
};

// Records what the fetcher hands out.
class Recorder : public BlobConsumer {
 public:
  bool Wanted(uint64_t cookie) override { return !unwanted.count(cookie); }
  void Deliver(uint64_t cookie, ByteView plaintext) override {
    std::lock_guard lock(mu);
    delivered[cookie].emplace_back(plaintext.begin(), plaintext.end());
  }
  void Failed(uint64_t cookie, const Status& st) override {
    std::lock_guard lock(mu);
    failed[cookie].push_back(st);
  }

  std::set<uint64_t> unwanted;
  std::mutex mu;
  std::map<uint64_t, std::vector<Bytes>> delivered;
  std::map<uint64_t, std::vector<Status>> failed;
};

TEST_F(RestoreReadTest, EveryWantIsDeliveredOnceAndVerified) {
  SaveData(40);
  ASSERT_GT(vault_->index().pack_count(), 2u);
  // Every other blob (gaps to skip), the third ones twice, small ranges.
  std::vector<BlobWant> wants;
  std::map<uint64_t, size_t> which;
  uint64_t cookie = 0;
  for (size_t i = 0; i < saved_.size(); i += 2) {
    which[cookie] = i;
    wants.push_back(Want(i, cookie++));
    if (i % 3 == 0) {
      which[cookie] = i;
      wants.push_back(Want(i, cookie++));
    }
  }
  for (uint64_t max_range : {uint64_t{1}, uint64_t{200'000}, uint64_t{8} << 20}) {
    for (uint64_t max_gap : {uint64_t{0}, uint64_t{1} << 20}) {
      Recorder rec;
      FetchOptions options;
      options.workers = 3;
      options.max_range = max_range;
      options.max_gap = max_gap;
      FetchBlobs(*vault_, wants, options, rec);
      EXPECT_TRUE(rec.failed.empty());
      ASSERT_EQ(rec.delivered.size(), wants.size());
      for (const auto& [c, copies] : rec.delivered) {
        ASSERT_EQ(copies.size(), 1u) << "cookie " << c;
        EXPECT_TRUE(copies[0] == saved_[which[c]].plain) << "cookie " << c;
      }
    }
  }
}

TEST_F(RestoreReadTest, FewerRequestsThanBlobsWhenRangesCoalesce) {
  SaveData(20);
  ASSERT_GT(vault_->index().pack_count(), 2u);
  std::vector<BlobWant> wants;
  for (size_t i = 0; i < saved_.size(); ++i) wants.push_back(Want(i, i));
  Recorder rec;
  FetchBlobs(*vault_, wants, FetchOptions{}, rec);
  EXPECT_EQ(rec.delivered.size(), wants.size());
  // One request per pack at most (each pack is smaller than a range).
  EXPECT_LE(backend_->data_loads.load(), static_cast<int>(vault_->index().pack_count()));
}

TEST_F(RestoreReadTest, ARetriedReadResumesWithoutDeliveringTwice) {
  SaveData(20);
  backend_->fail_once_after = 150'000;  // mid-range, mid-blob
  std::vector<BlobWant> wants;
  for (size_t i = 0; i < saved_.size(); ++i) wants.push_back(Want(i, i));
  Recorder rec;
  FetchBlobs(*vault_, wants, FetchOptions{}, rec);
  EXPECT_TRUE(rec.failed.empty());
  ASSERT_EQ(rec.delivered.size(), wants.size());
  for (const auto& [c, copies] : rec.delivered) {
    ASSERT_EQ(copies.size(), 1u) << "cookie " << c;
    EXPECT_TRUE(copies[0] == saved_[c].plain);
  }
}

TEST_F(RestoreReadTest, ADamagedBlobFailsItsUsesOnly) {
  SaveData(12);
  auto victim = vault_->index().Find(saved_[5].id);
  ASSERT_TRUE(victim);
  const std::string pack = PackObjectName(vault_->index().Pack(victim->pack).id);
  backend_->Flip(pack, victim->entry.offset + victim->entry.length / 2);
  std::vector<BlobWant> wants;
  for (size_t i = 0; i < saved_.size(); ++i) wants.push_back(Want(i, i));
  wants.push_back(Want(5, 100));  // the damaged blob, wanted twice
  Recorder rec;
  FetchBlobs(*vault_, wants, FetchOptions{}, rec);
  ASSERT_EQ(rec.failed.size(), 2u);
  for (uint64_t c : {uint64_t{5}, uint64_t{100}}) {
    ASSERT_EQ(rec.failed[c].size(), 1u);
    const Status& st = rec.failed[c][0];
    EXPECT_TRUE(st.IsCorruption()) << st.ToString();
    EXPECT_NE(st.message().find(pack), std::string::npos) << st.ToString();
    EXPECT_NE(st.message().find(ToHex(saved_[5].id).substr(0, 16)), std::string::npos);
    EXPECT_FALSE(rec.delivered.count(c));
  }
  EXPECT_EQ(rec.delivered.size(), saved_.size() - 1);
}

TEST_F(RestoreReadTest, ATruncatedReadFailsTheBlobsItMissed) {
  SaveData(12);
  backend_->truncate_to = 100'000;
  std::vector<BlobWant> wants;
  for (size_t i = 0; i < saved_.size(); ++i) wants.push_back(Want(i, i));
  Recorder rec;
  FetchBlobs(*vault_, wants, FetchOptions{}, rec);
  ASSERT_FALSE(rec.failed.empty());
  EXPECT_EQ(rec.failed.size() + rec.delivered.size(), wants.size());
  for (const auto& [c, errors] : rec.failed) {
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].message().find("truncated"), std::string::npos) << errors[0].ToString();
    EXPECT_NE(errors[0].message().find("data/"), std::string::npos);
  }
  for (const auto& [c, copies] : rec.delivered) EXPECT_TRUE(copies[0] == saved_[c].plain);
}

TEST_F(RestoreReadTest, UnwantedBlobsAreNotDelivered) {
  SaveData(8);
  std::vector<BlobWant> wants;
  for (size_t i = 0; i < saved_.size(); ++i) wants.push_back(Want(i, i));
  Recorder rec;
  rec.unwanted = {1, 2, 6};
  FetchBlobs(*vault_, wants, FetchOptions{}, rec);
  EXPECT_TRUE(rec.failed.empty());
  EXPECT_EQ(rec.delivered.size(), saved_.size() - 3);
  for (uint64_t c : rec.unwanted) EXPECT_FALSE(rec.delivered.count(c));
}

TEST_F(RestoreReadTest, TreesComeInRunsAndAreVerified) {
  // A chain of directories, sealed leaf first as the archiver does.
  std::vector<std::pair<BlobId, Tree>> trees;
  {
    BlobSaver saver(*vault_, BlobSaverOptions{});
    std::optional<BlobId> below;
    for (int depth = 0; depth < 6; ++depth) {
      Tree t;
      Node file;
      file.name = "file" + std::to_string(depth);
      file.size = 42;
      t.nodes.push_back(file);
      if (below) {
        Node dir;
        dir.name = "sub";
        dir.type = NodeType::kDir;
        dir.subtree = below;
        t.nodes.push_back(dir);
      }
      Bytes data = SerializeTree(t);
      BlobId id = vault_->BlobIdOf(data);
      ASSERT_TRUE(saver.Claim(id));
      saver.SaveBlob(BlobType::kTree, id, std::move(data));
      trees.emplace_back(id, t);
      below = id;
    }
    ASSERT_TRUE(saver.Finish().ok());
  }
  TreeSource source(*vault_, 2);
  for (auto it = trees.rbegin(); it != trees.rend(); ++it) {  // root first
    auto t = source.Load(it->first);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    ASSERT_EQ(t->nodes.size(), it->second.nodes.size());
    EXPECT_EQ(t->nodes[0].name, it->second.nodes[0].name);
  }
  EXPECT_EQ(backend_->data_loads.load(), 1) << "the chain should be one read";

  // Damage: the tree is reported, not parsed.
  auto loc = vault_->index().Find(trees[2].first);
  ASSERT_TRUE(loc);
  backend_->Flip(PackObjectName(vault_->index().Pack(loc->pack).id), loc->entry.offset + 3);
  TreeSource fresh(*vault_, 0);
  auto bad = fresh.Load(trees[2].first);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsCorruption()) << bad.status().ToString();
  EXPECT_TRUE(fresh.Load(trees[3].first).ok()) << "the neighbours are intact";
  EXPECT_TRUE(fresh.Load(BlobId{}).status().IsNotFound());
}

TEST(OpenBlobInPlace, MatchesOpenBlobAndRejectsDamage) {
  Key256 master;
  master.fill(7);
  PackBuilder builder(master);
  builder.Start(Bytes());
  Bytes raw = Random(5000, 1), text = Compressible(50'000, 2);
  BlobId id1{}, id2{};
  id1[0] = 1;
  id2[0] = 2;
  builder.Add(BlobType::kData, id1, raw, static_cast<uint32_t>(raw.size()), false);
  Bytes packed = Compress(text, 3);
  ASSERT_LT(packed.size(), text.size());
  builder.Add(BlobType::kData, id2, packed, static_cast<uint32_t>(text.size()), true);
  Bytes pack;
  PackEntries entries = builder.Finish(&pack);
  Key256 key = PackKey(master, entries.pack.salt);
  Bytes out(60'000);
  for (int i = 0; i < 2; ++i) {
    const BlobEntry& e = entries.blobs[i];
    Bytes sealed(pack.begin() + e.offset, pack.begin() + e.offset + e.length);
    auto plain = OpenBlobInPlace(key, e, sealed, out);
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    EXPECT_TRUE(Bytes(plain->begin(), plain->end()) == (i == 0 ? raw : text));
    Bytes damaged(pack.begin() + e.offset, pack.begin() + e.offset + e.length);
    damaged[e.length / 2] ^= 1;
    EXPECT_TRUE(OpenBlobInPlace(key, e, damaged, out).status().IsCorruption());
    EXPECT_TRUE(OpenBlobInPlace(key, e, std::span<uint8_t>(damaged).first(e.length - 1), out)
                    .status()
                    .IsCorruption());
  }
}

}  // namespace
}  // namespace custos
