#include "chunker/fastcdc.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace custos {
namespace {

Bytes RandomData(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

std::vector<size_t> Split(const Chunker& c, const Bytes& data) {
  std::vector<size_t> cuts;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t n = c.Cut(data.data() + pos, data.size() - pos);
    pos += n;
    cuts.push_back(pos);
  }
  return cuts;
}

TEST(Chunker, ValidatesParams) {
  EXPECT_TRUE(ChunkerParams{}.Validate().ok());
  EXPECT_FALSE((ChunkerParams{1024, 3000, 8192}).Validate().ok());  // avg not 2^k
  EXPECT_FALSE((ChunkerParams{4096, 2048, 8192}).Validate().ok());
}

TEST(Chunker, SizesWithinBoundsAndAverageNearTarget) {
  ChunkerParams p{2048, 8192, 32768};
  Chunker c(p, AsBytes("seed"));
  Bytes data = RandomData(8 << 20, 1);
  auto cuts = Split(c, data);
  size_t prev = 0;
  for (size_t i = 0; i < cuts.size(); ++i) {
    size_t len = cuts[i] - prev;
    if (i + 1 < cuts.size()) {
      EXPECT_GE(len, p.min_size);
    }
    EXPECT_LE(len, p.max_size);
    prev = cuts[i];
  }
  double avg = static_cast<double>(data.size()) / cuts.size();
  EXPECT_GT(avg, p.avg_size * 0.6);
  EXPECT_LT(avg, p.avg_size * 1.6);
}

TEST(Chunker, BoundariesResynchroniseAfterAnInsertion) {
  ChunkerParams p{2048, 8192, 32768};
  Chunker c(p, AsBytes("seed"));
  Bytes data = RandomData(2 << 20, 2);
  Bytes edited = data;
  edited.insert(edited.begin() + 100000, {1, 2, 3, 4, 5});
  auto a = Split(c, data);
  auto b = Split(c, edited);
  // Cut points after the edit (shifted by 5) are shared.
  std::map<size_t, bool> in_a;
  for (size_t x : a) in_a[x] = true;
  size_t shared = 0;
  for (size_t x : b)
    if (x > 200000 && in_a.count(x - 5)) ++shared;
  size_t after = 0;
  for (size_t x : a)
    if (x > 200000) ++after;
  EXPECT_GE(shared + 2, after);
}

TEST(Chunker, SeedChangesBoundaries) {
  ChunkerParams p{2048, 8192, 32768};
  Bytes data = RandomData(1 << 20, 3);
  EXPECT_NE(Split(Chunker(p, AsBytes("a")), data), Split(Chunker(p, AsBytes("b")), data));
}

TEST(Chunker, ZerosCutAtMax) {
  ChunkerParams p{2048, 8192, 32768};
  Chunker c(p, AsBytes("seed"));
  Bytes zeros(100000, 0);
  // The gear hash of a constant run may or may not hit a mask; either way the
  // cut respects the bounds and is deterministic.
  size_t first = c.Cut(zeros.data(), zeros.size());
  EXPECT_GE(first, p.min_size);
  EXPECT_LE(first, p.max_size);
  EXPECT_EQ(first, c.Cut(zeros.data(), zeros.size()));
  EXPECT_EQ(c.Cut(zeros.data(), 100), 100u);
}

}  // namespace
}  // namespace custos
