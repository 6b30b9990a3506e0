// IdTable and IdHash (verify_ids.h): every id finds its own value across the
// table's growth, values never move, ids that differ in one byte, in length
// only or not at all are told apart correctly, and the hash reads every byte
// of ids of every length the tail code distinguishes.
#include "records/verify_ids.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace custos::records {
namespace {

struct Value {
  int n = 0;
};

TEST(IdTableTest, FindsEveryIdAcrossGrowthAndValuesStayPut) {
  IdTable<Value> table;
  std::vector<std::string> ids;
  std::vector<Value*> first;
  for (int i = 0; i < 5000; ++i) {
    ids.push_back("01M8FJ69WS5YKRNTA8DT" + std::to_string(100000 + i));
    auto [v, added] = table.FindOrAdd(ids.back());
    ASSERT_TRUE(added) << ids.back();
    ASSERT_EQ(v->n, 0);  // value-initialised
    v->n = i + 1;
    first.push_back(v);
  }
  EXPECT_EQ(table.size(), 5000u);
  for (int i = 0; i < 5000; ++i) {
    auto [v, added] = table.FindOrAdd(ids[i]);
    EXPECT_FALSE(added) << ids[i];
    EXPECT_EQ(v, first[i]) << "moved: " << ids[i];
    EXPECT_EQ(v->n, i + 1) << ids[i];
  }
  EXPECT_EQ(table.size(), 5000u);
}

TEST(IdTableTest, TellsApartIdsThatDifferInOneByteOrInLength) {
  IdTable<Value> table;
  std::map<std::string, Value*> seen;
  int next = 1;
  auto add = [&](const std::string& id) {
    auto [v, added] = table.FindOrAdd(id);
    ASSERT_EQ(added, seen.count(id) == 0) << "id of size " << id.size();
    if (added) {
      v->n = next++;
      seen[id] = v;
    }
    EXPECT_EQ(v, seen[id]);
  };
  add("");
  add("institution");
  for (size_t n = 1; n <= 40; ++n) {
    const std::string base(n, 'a');
    add(base);
    add(std::string(base).append(1, '\0'));  // differs in length only
    for (size_t j = 0; j < n; ++j) {
      std::string other = base;
      other[j] = 'b';
      add(other);
    }
  }
  add("");  // again: found, not added
  EXPECT_EQ(table.size(), seen.size());
  for (const auto& [id, v] : seen) {
    auto [found, added] = table.FindOrAdd(id);
    EXPECT_FALSE(added);
    EXPECT_EQ(found, v);
  }
}

TEST(IdHashTest, EveryByteCounts) {
  IdHash hash;
  for (size_t n = 1; n <= 64; ++n) {
    const std::string base(n, 'x');
    const uint64_t h = hash(base);
    for (size_t j = 0; j < n; ++j) {
      std::string other = base;
      other[j] ^= 1;
      EXPECT_NE(hash(other), h) << "size " << n << ", byte " << j;
    }
    EXPECT_NE(hash(std::string(base).append(1, '\0')), h) << "size " << n;
  }
}

TEST(IdHashTest, SeededPerTable) {
  IdHash a, b;
  int same = 0;
  for (int i = 0; i < 64; ++i) {
    const std::string id = "01M8FJ69WS5YKRNTA8DTA27T" + std::to_string(i);
    same += a(id) == b(id);
  }
  EXPECT_EQ(same, 0);
}

}  // namespace
}  // namespace custos::records
