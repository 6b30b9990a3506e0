// The Backend conformance suite: one set of tests that every Backend
// implementation (provider or decorator) must pass.
//
// Adding a backend takes one line at the end of backend_conformance.cc:
//
//   INSTANTIATE_TEST_SUITE_P(S3, BackendConformanceTest,
//                            ::testing::Values(BackendFactory{"s3", MakeS3Backend}),
//                            BackendFactoryName);
//
// Each test calls factory.make with a prefix unique to that test (letters,
// digits and '-') and expects a backend over a fresh, empty location derived
// from it; the suite then calls Create(). After the test it removes every
// object it can list and calls factory.cleanup (when set) with the same prefix.
//
// make may return nullptr when the service is not available (an emulator is
// not running): the test is then skipped, unless the factory's name appears in
// the comma-separated environment variable CUSTOS_CONFORMANCE_REQUIRED, in
// which case it fails, so CI cannot hide a skip.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "storage/backend.h"

namespace custos {

struct BackendFactory {
  std::string name;  // [A-Za-z0-9_]: used in test names
  std::function<std::unique_ptr<Backend>(const std::string& unique_prefix)> make;
  std::function<void(const std::string& unique_prefix)> cleanup;  // optional
};

inline void PrintTo(const BackendFactory& f, std::ostream* os) { *os << f.name; }

// Names instantiated tests after the factory ("RoundTrip/memory").
std::string BackendFactoryName(const ::testing::TestParamInfo<BackendFactory>& info);

class BackendConformanceTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  Backend& backend() { return *backend_; }
  const std::string& unique_prefix() const { return prefix_; }

 private:
  std::string prefix_;
  std::unique_ptr<Backend> backend_;
};

}  // namespace custos
