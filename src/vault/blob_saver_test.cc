// Unit tests of the BlobSaver: packs grow from the first pack size to the
// vault's, blobs handed over by reference are released once packed, and
// every saved blob reads back.
#include "vault/blob_saver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "storage/providers/memory/memory_backend.h"

namespace custos {
namespace {

Bytes Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

std::unique_ptr<Vault> MemoryVault(uint32_t pack_size) {
  InitOptions init;
  init.config.pack_size = pack_size;
  init.kdf = KdfParams{1, 8192};
  auto v = Vault::Init(std::make_unique<MemoryBackend>("saver-test"),
                       Secret{Secret::Kind::kPassphrase, "pw"}, init);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? std::move(*v) : nullptr;
}

// Stored size of each pack, in the order the index lists them.
std::vector<uint64_t> PackSizes(Vault& vault) {
  std::map<uint32_t, uint64_t> ends;
  vault.index().ForEachBlob(BlobType::kData, [&](uint32_t p, const BlobEntry& e) {
    ends[p] = std::max<uint64_t>(ends[p], uint64_t{e.offset} + e.length);
  });
  std::vector<uint64_t> out;
  for (auto& [p, end] : ends) out.push_back(end);
  return out;
}

TEST(BlobSaver, PacksGrowFromTheFirstSizeToTheVaultsAndEveryBlobReadsBack) {
  auto vault = MemoryVault(4 << 20);
  ASSERT_TRUE(vault);
  std::vector<std::pair<BlobId, Bytes>> saved;
  {
    BlobSaver saver(*vault, BlobSaverOptions{.uploaders = 1, .first_pack_size = 1 << 20});
    for (uint32_t i = 0; i < 96; ++i) {  // 24 MiB, incompressible
      Bytes plain = Random(256 << 10, i);
      BlobId id = vault->BlobIdOf(plain);
      ASSERT_TRUE(saver.Claim(id));
      saved.emplace_back(id, plain);
      saver.SaveBlob(BlobType::kData, id, std::move(plain));
    }
    ASSERT_TRUE(saver.Finish().ok());
  }
  std::vector<uint64_t> sizes = PackSizes(*vault);
  ASSERT_GE(sizes.size(), 6u);
  uint64_t smallest = *std::min_element(sizes.begin(), sizes.end());
  uint64_t largest = *std::max_element(sizes.begin(), sizes.end());
  EXPECT_LT(smallest, 2u << 20) << "the first packs are small";
  EXPECT_GE(largest, 4u << 20) << "later packs reach the vault's pack size";
  EXPECT_LT(largest, (4u << 20) + (512u << 10)) << "and do not grow past it";
  for (const auto& [id, plain] : saved) {
    auto back = vault->LoadBlob(id, BlobType::kData);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_TRUE(*back == plain);
  }
}

TEST(BlobSaver, WithoutAFirstSizeEveryPackIsFullSize) {
  auto vault = MemoryVault(2 << 20);
  ASSERT_TRUE(vault);
  {
    BlobSaver saver(*vault, BlobSaverOptions{});
    for (uint32_t i = 0; i < 40; ++i) {  // 10 MiB
      Bytes plain = Random(256 << 10, 1000 + i);
      BlobId id = vault->BlobIdOf(plain);
      ASSERT_TRUE(saver.Claim(id));
      saver.SaveBlob(BlobType::kData, id, std::move(plain));
    }
    ASSERT_TRUE(saver.Finish().ok());
  }
  std::vector<uint64_t> sizes = PackSizes(*vault);
  ASSERT_GE(sizes.size(), 2u);
  std::sort(sizes.begin(), sizes.end());
  for (size_t i = 1; i < sizes.size(); ++i) EXPECT_GE(sizes[i], 2u << 20);  // all but the last
}

TEST(BlobSaver, BytesSavedByReferenceAreReleasedOncePacked) {
  auto vault = MemoryVault(1 << 20);
  ASSERT_TRUE(vault);
  Bytes slab = Random(3 << 20, 7);
  std::atomic<int> pending{0};
  std::vector<std::pair<BlobId, Bytes>> saved;
  {
    BlobSaver saver(*vault, BlobSaverOptions{});
    for (size_t off = 0; off < slab.size(); off += 300'000) {
      ByteView chunk = ByteView(slab).subspan(off, std::min<size_t>(300'000, slab.size() - off));
      BlobId id = vault->BlobIdOf(chunk);
      ASSERT_TRUE(saver.Claim(id));
      saved.emplace_back(id, Bytes(chunk.begin(), chunk.end()));
      saver.SaveBlobRef(BlobType::kData, id, chunk, &pending);
    }
    // Waiting for the count to drop is what a caller does before reusing the
    // bytes; it must not need Finish.
    for (int n; (n = pending.load()) != 0;) pending.wait(n);
    std::fill(slab.begin(), slab.end(), 0);  // reused: the packs must not see it
    ASSERT_TRUE(saver.Finish().ok());
  }
  EXPECT_EQ(pending.load(), 0);
  for (const auto& [id, plain] : saved) {
    auto back = vault->LoadBlob(id, BlobType::kData);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_TRUE(*back == plain);
  }
}

}  // namespace
}  // namespace custos
