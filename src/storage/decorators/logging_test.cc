#include "storage/decorators/logging.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "storage/decorators/test_util.h"

namespace custos {
namespace {

// A backend whose Location() wrongly still carries credentials.
class LeakyLocation : public BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
  std::string Location() const override {
    return "s3://bucket/vault?X-Amz-Signature=SIGSECRET123&x-amz-security-token=TOKSECRET456"
           "&region=eu-west-1";
  }
};

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    logger_.SetSink([this](std::string_view line) { lines_.emplace_back(line); });
    logger_.SetLevel(LogLevel::kDebug);
    backend_ = std::make_unique<LoggingBackend>(
        std::make_unique<LeakyLocation>(std::make_unique<MemoryBackend>()), logger_);
  }
  nlohmann::json Record(size_t i) { return nlohmann::json::parse(lines_.at(i)); }

  Logger logger_;
  std::vector<std::string> lines_;
  std::unique_ptr<LoggingBackend> backend_;
};

TEST_F(LoggingTest, SecretsInTheLocationNeverReachTheLog) {
  ASSERT_TRUE(SaveBytes(*backend_, "data/ab/x", AsBytes("hello")).ok());
  (void)backend_->Stat("data/ab/missing");
  (void)backend_->Remove("data/ab/missing");
  ASSERT_GE(lines_.size(), 3u);
  for (const std::string& line : lines_) {
    EXPECT_EQ(line.find("SIGSECRET123"), std::string::npos) << line;
    EXPECT_EQ(line.find("TOKSECRET456"), std::string::npos) << line;
  }
  const std::string location = Record(0)["location"];
  EXPECT_NE(location.find("s3://bucket/vault?"), std::string::npos) << location;
  EXPECT_NE(location.find("region=eu-west-1"), std::string::npos) << location;
  EXPECT_EQ(backend_->Location().find("SECRET"), std::string::npos);
}

TEST_F(LoggingTest, LogsEveryCallWithOpObjectDurationAndOutcome) {
  ASSERT_TRUE(SaveBytes(*backend_, "data/ab/x", AsBytes("hello")).ok());
  ASSERT_TRUE(LoadBytes(*backend_, "data/ab/x", 1, 3).ok());
  ASSERT_TRUE(backend_->List("data/", [](const ObjectInfo&) { return Status::OK(); }).ok());
  ASSERT_EQ(lines_.size(), 3u);
  auto save = Record(0);
  EXPECT_EQ(save["level"], "debug");
  EXPECT_EQ(save["op"], "save");
  EXPECT_EQ(save["object"], "data/ab/x");
  EXPECT_EQ(save["bytes"], 5);
  EXPECT_EQ(save["outcome"], "ok");
  EXPECT_TRUE(save["duration_ms"].is_number());
  EXPECT_GE(save["duration_ms"].get<double>(), 0.0);
  auto load = Record(1);
  EXPECT_EQ(load["op"], "load");
  EXPECT_EQ(load["offset"], 1);
  EXPECT_EQ(load["length"], 3);
  EXPECT_EQ(load["bytes"], 3);
  auto list = Record(2);
  EXPECT_EQ(list["prefix"], "data/");
  EXPECT_EQ(list["objects"], 1);
}

TEST_F(LoggingTest, FailuresAtWarnNotFoundAtDebug) {
  EXPECT_EQ(backend_->Stat("nope").status().code(), Code::kNotFound);
  BufferSource wrong(AsBytes("abc"), Hash256{});  // the memory backend checks hashes
  EXPECT_EQ(backend_->Save("data/ab/bad", wrong).code(), Code::kCorruption);
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(Record(0)["level"], "debug");
  EXPECT_EQ(Record(0)["outcome"], "not_found");
  EXPECT_EQ(Record(1)["level"], "warn");
  EXPECT_EQ(Record(1)["outcome"], "corruption");
  EXPECT_EQ(Record(1)["msg"], "storage call failed");
  EXPECT_NE(Record(1)["error"].get<std::string>().find("data/ab/bad"), std::string::npos);

  // At the default level only the failure shows.
  lines_.clear();
  logger_.SetLevel(LogLevel::kInfo);
  (void)backend_->Stat("nope");
  ASSERT_TRUE(SaveBytes(*backend_, "ok", AsBytes("x")).ok());
  EXPECT_EQ(backend_->Save("data/ab/bad", wrong).code(), Code::kCorruption);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(Record(0)["op"], "save");
}

}  // namespace
}  // namespace custos
