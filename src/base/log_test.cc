#include "base/log.h"

#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <thread>

namespace custos {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    logger_.SetSink([this](std::string_view line) { lines_.emplace_back(line); });
  }
  Logger logger_;
  std::vector<std::string> lines_;
};

TEST_F(LogTest, WritesOneJsonObjectPerRecord) {
  logger_.Log(LogLevel::kWarn, "save failed",
              {{"op", "save"},
               {"attempts", 3},
               {"bytes", uint64_t{1} << 40},
               {"ok", false},
               {"seconds", 0.25}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["msg"], "save failed");
  EXPECT_EQ(j["op"], "save");
  EXPECT_EQ(j["attempts"], 3);
  EXPECT_EQ(j["bytes"], uint64_t{1} << 40);
  EXPECT_EQ(j["ok"], false);
  EXPECT_DOUBLE_EQ(j["seconds"].get<double>(), 0.25);
  // 2026-01-02T03:04:05.678Z
  const std::string time = j["time"];
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  ASSERT_EQ(time.size(), shape.size()) << time;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 'd') {
      EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(time[i]))) << time;
    } else {
      EXPECT_EQ(time[i], shape[i]) << time;
    }
  }
  // time, level and msg come first.
  EXPECT_EQ(lines_[0].rfind("{\"time\":", 0), 0u) << lines_[0];
}

TEST_F(LogTest, LevelFilterDropsLowerRecords) {
  EXPECT_EQ(logger_.level(), LogLevel::kInfo);
  logger_.Log(LogLevel::kDebug, "hidden");
  logger_.Log(LogLevel::kInfo, "shown");
  logger_.SetLevel(LogLevel::kError);
  logger_.Log(LogLevel::kWarn, "hidden too");
  logger_.Log(LogLevel::kError, "shown too");
  logger_.SetLevel(LogLevel::kDebug);
  EXPECT_TRUE(logger_.Enabled(LogLevel::kDebug));
  logger_.Log(LogLevel::kDebug, "debug now");
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines_[0])["msg"], "shown");
  EXPECT_EQ(nlohmann::json::parse(lines_[1])["msg"], "shown too");
  EXPECT_EQ(nlohmann::json::parse(lines_[2])["level"], "debug");
}

TEST_F(LogTest, EscapesAndKeepsReservedKeys) {
  logger_.Log(LogLevel::kError, "quote \" newline \n bad \xff byte",
              {{"msg", "field named msg"}, {"level", "x"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["field.msg"], "field named msg");
  EXPECT_EQ(j["field.level"], "x");
  EXPECT_NE(j["msg"].get<std::string>().find("quote \" newline \n bad"), std::string::npos);
}

TEST_F(LogTest, ConcurrentLinesNeverInterleave) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) logger_.Log(LogLevel::kInfo, "m", {{"t", t}, {"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(lines_.size(), 800u);
  for (const auto& line : lines_) EXPECT_TRUE(nlohmann::json::accept(line)) << line;
}

TEST(LogLevelTest, ParsesNames) {
  EXPECT_EQ(*ParseLogLevel("DEBUG"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  auto bad = ParseLogLevel("loud");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("loud"), std::string::npos);
}

TEST(RedactHeadersTest, HidesSecretValuesOnly) {
  struct Case {
    std::string name, value;
    bool secret;
  };
  const std::vector<Case> cases = {
      {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=abc", true},
      {"X-Amz-Security-Token", "tok", true},
      {"x-amz-content-sha256", "e3b0c442", false},
      {"Cookie", "sid=1", true},
      {"x-api-KEY", "k", true},
      {"X-Goog-Signature", "s", true},
      {"Client-Secret", "s", true},
      {"X-Password", "p", true},
      {"x-credential-id", "c", true},
      {"Content-Type", "application/json", false},
      {"Content-Length", "12", false},
      {"Keep-Alive", "timeout=5", false}};
  HeaderList in;
  for (const Case& c : cases) in.emplace_back(c.name, c.value);
  HeaderList out = RedactHeaders(in);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].first, cases[i].name);
    EXPECT_EQ(out[i].second, cases[i].secret ? "***" : cases[i].value) << cases[i].name;
  }
  EXPECT_FALSE(IsSecretHeader("x-amz-content-sha256"));
}

TEST(DefaultLoggerTest, SinkCanBeRedirectedAndRestored) {
  std::vector<std::string> got;
  DefaultLogger().SetSink([&](std::string_view line) { got.emplace_back(line); });
  LogWarn("through default", {{"k", "v"}});
  LogDebug("filtered at info");
  DefaultLogger().SetSink(nullptr);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(got[0])["k"], "v");
}

}  // namespace
}  // namespace custos
