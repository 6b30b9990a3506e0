// Cross-check: botocore signs a few hundred randomised requests at a fixed
// clock (testdata/botocore_cases.py, run now with python3 from PATH) and
// SignRequest must produce byte-identical Authorization headers.
#include <gtest/gtest.h>
#include <stdio.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "storage/signers/sigv4.h"

namespace custos::signers {
namespace {

struct PipeCloser {
  void operator()(FILE* f) const { pclose(f); }
};

std::vector<nlohmann::json> RunGenerator(int count, int seed) {
  std::string cmd = "python3 '" SIGV4_TESTDATA "/botocore_cases.py' --count " +
                    std::to_string(count) + " --seed " + std::to_string(seed);
  std::unique_ptr<FILE, PipeCloser> pipe(popen(cmd.c_str(), "r"));
  std::vector<nlohmann::json> cases;
  if (!pipe) return cases;
  std::string line;
  char buf[4096];
  while (fgets(buf, sizeof(buf), pipe.get()) != nullptr) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      cases.push_back(nlohmann::json::parse(line));
      line.clear();
    }
  }
  return cases;
}

std::string HeaderOf(const http::Request& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

TEST(SigV4Botocore, IdenticalAuthorizationForRandomRequests) {
  const std::vector<nlohmann::json> cases = RunGenerator(400, 20150830);
  ASSERT_EQ(cases.size(), 400u) << "python3 with botocore must be on PATH";
  const std::chrono::system_clock::time_point now{std::chrono::seconds(1440938160)};
  int s3 = 0, with_token = 0, mismatches = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const nlohmann::json& c = cases[i];
    http::Request req;
    req.method = c["method"];
    req.url = c["url"];
    for (const auto& h : c["headers"]) req.headers.emplace_back(h[0], h[1]);
    AwsCredentials creds{c["access_key"], c["secret_key"], c["session_token"]};
    SigV4Params params;
    if (c["service"] == "s3") {
      params = S3Params(c["region"], c["payload_hash"], now);
      ++s3;
    } else {
      params.region = c["region"];
      params.service = c["service"];
      params.time = now;
      params.payload_hash = c["payload_hash"];
    }
    with_token += !creds.session_token.empty();

    Status st = SignRequest(req, creds, params);
    ASSERT_TRUE(st.ok()) << "case " << i << ": " << st.ToString();
    const std::string got = HeaderOf(req, "Authorization");
    if (got != c["expected_authorization"].get<std::string>()) {
      ++mismatches;
      auto sig = ComputeSigV4(req, creds, params);
      ADD_FAILURE() << "case " << i << " " << c["method"].get<std::string>() << " "
                    << c["url"].get<std::string>() << "\n got:  " << got
                    << "\n want: " << c["expected_authorization"].get<std::string>()
                    << "\n canonical request:\n"
                    << (sig.ok() ? sig->canonical_request : sig.status().ToString());
      if (mismatches > 5) break;
    }
    for (const auto& [name, value] : c["expected_headers"].items()) {
      EXPECT_EQ(HeaderOf(req, name), value.get<std::string>()) << "case " << i << " " << name;
    }
  }
  // The generator must actually cover both services and both credential kinds.
  EXPECT_GT(s3, 100);
  EXPECT_GT(static_cast<int>(cases.size()) - s3, 100);
  EXPECT_GT(with_token, 100);
  EXPECT_LT(with_token, static_cast<int>(cases.size()) - 100);
}

}  // namespace
}  // namespace custos::signers
