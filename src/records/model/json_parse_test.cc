#include "records/model/json_parse.h"

#include <gtest/gtest.h>

#include <string>

namespace custos::records {
namespace {

TEST(JsonParse, AcceptsOrdinaryJson) {
  Result<nlohmann::json> r = ParseJsonStrict(R"([{"a": 1, "b": [true, null]}, {"a": 2}])");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1]["a"], 2);
}

TEST(JsonParse, SyntaxErrorGivesLineAndColumnWithoutContent) {
  Result<nlohmann::json> r = ParseJsonStrict("{\n  \"name\": \"Private Person\",\n  oops\n}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "JSON syntax error at line 3, column 3");
  EXPECT_EQ(r.status().message().find("Private"), std::string::npos);
}

TEST(JsonParse, RejectsDuplicateKeysNamingTheElement) {
  Result<nlohmann::json> r = ParseJsonStrict(R"({"uln": "1", "uln": "2"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "JSON object has the key \"uln\" twice");
  r = ParseJsonStrict(R"([{"a": 1}, 7, {"b": {"Alex": 1, "Alex": 2}}])");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "JSON object has a key twice in element 3");
  // The same key in sibling objects is fine.
  EXPECT_TRUE(ParseJsonStrict(R"([{"a": 1}, {"a": 1}])").ok());
}

TEST(JsonParse, Limits) {
  EXPECT_EQ(
      ParseJsonStrict(std::string(100, ' ') + "1", JsonLimits{.max_bytes = 50}).status().message(),
      "JSON input is 101 bytes; the limit is 50");
  std::string deep(100, '[');
  deep += std::string(100, ']');
  Result<nlohmann::json> r = ParseJsonStrict(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "JSON nests deeper than 64 levels");
  std::string ok_depth(64, '[');
  ok_depth += std::string(64, ']');
  EXPECT_TRUE(ParseJsonStrict(ok_depth).ok());
}

TEST(JsonParse, RejectsInvalidUtf8AndComments) {
  EXPECT_FALSE(ParseJsonStrict("\"\xFF\"").ok());
  EXPECT_FALSE(ParseJsonStrict("// c\n{}").ok());
  EXPECT_FALSE(ParseJsonStrict("").ok());
  EXPECT_FALSE(ParseJsonStrict("{} {}").ok());
}

}  // namespace
}  // namespace custos::records
