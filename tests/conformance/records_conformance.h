// The RecordsStore conformance suite: one set of tests that every
// RecordsStore implementation (SQLite, PostgreSQL) must pass.
//
// Adding a store takes one line at the end of records_conformance.cc:
//
//   INSTANTIATE_TEST_SUITE_P(Postgres, RecordsConformanceTest,
//                            ::testing::Values(RecordsStoreFactory{"postgres", OpenPg}),
//                            RecordsStoreFactoryName);
//
// Each test calls factory.open with a name unique to that test (letters,
// digits and '-') and expects a store over fresh, empty storage derived from
// it (a directory, a database). Calling open again with the same name after
// the previous store was destroyed must reopen the same data: the suite uses
// that to check persistence. open may return NotFound/Unsupported when the
// service is not available: the test is then skipped, unless the factory's
// name is listed in the comma-separated CUSTOS_CONFORMANCE_REQUIRED
// environment variable, in which case it fails.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "records/store.h"

namespace custos::records {

struct RecordsStoreFactory {
  std::string name;  // [A-Za-z0-9_]: used in test names
  std::function<Result<std::unique_ptr<RecordsStore>>(const std::string& unique_name)> open;
};

inline void PrintTo(const RecordsStoreFactory& f, std::ostream* os) { *os << f.name; }

std::string RecordsStoreFactoryName(const ::testing::TestParamInfo<RecordsStoreFactory>& info);

class RecordsConformanceTest : public ::testing::TestWithParam<RecordsStoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  RecordsStore& store() { return *store_; }
  // Closes the store and opens the same storage again.
  void Reopen();

  // Records linked the way the model requires, created through the store.
  struct Graph {
    Record employer, programme, trainee, enrollment, assessment, certification, attendance,
        evidence;
    std::map<std::string, nlohmann::json, std::less<>> bodies;  // as created, by entity
  };
  Graph MakeGraph(const std::string& tag = "");
  // The model's example body for `entity` with references pointing at `g`;
  // each call numbers the unique fields afresh (NumberedExampleRecord), so
  // bodies from different calls never collide on a ULN or company number.
  nlohmann::json Body(std::string_view entity, const Graph& g);

  const Actor registrar_{"tok_registrar_1", "registrar"};

 private:
  std::string name_;
  std::unique_ptr<RecordsStore> store_;
  uint32_t numbered_ = 0;
};

}  // namespace custos::records
