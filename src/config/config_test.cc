#include "config/config.h"

#include <gtest/gtest.h>

namespace custos {
namespace {

TEST(ConfigTest, ParsesDestinationsAndRds) {
  auto cfg = ParseConfig(R"(
[destinations.offsite]
url = "s3://bucket/custos?profile=wasabi"
credentials_file = "/etc/custos/wasabi key.ini"

[destinations.local]
url = "/srv/vault"
password_file = "/etc/custos/pass"

[rds]
region = "eu-west-2"
instance = "records-db"
)",
                         "custos.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  ASSERT_EQ(cfg->destinations.size(), 2u);
  auto off = cfg->Destination("offsite");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->EffectiveUrl(),
            "s3://bucket/custos?profile=wasabi&credentials_file=/etc/custos/wasabi%20key.ini");
  auto local = cfg->Destination("local");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->EffectiveUrl(), "/srv/vault");
  EXPECT_EQ(local->password_file, "/etc/custos/pass");
  EXPECT_EQ(cfg->rds.region, "eu-west-2");
  EXPECT_EQ(cfg->rds.instance, "records-db");
  EXPECT_TRUE(cfg->Destination("nope").status().IsNotFound());
}

TEST(ConfigTest, SyntaxErrorNamesLine) {
  auto cfg = ParseConfig("[destinations.a]\nurl = \"x\"\nbroken = \n", "c.toml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), Code::kInvalidArgument);
  EXPECT_NE(cfg.status().message().find("c.toml:3:"), std::string::npos) << cfg.status().message();
}

TEST(ConfigTest, UnknownKeyIsAnErrorAndValueIsNotEchoed) {
  auto cfg = ParseConfig("[destinations.a]\nurl = \"x\"\nsecret_key = \"hunter2-SECRET\"\n", "c.toml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("unknown key \"secret_key\""), std::string::npos);
  EXPECT_EQ(cfg.status().message().find("hunter2"), std::string::npos);
}

TEST(ConfigTest, RejectsWrongTypesBadNamesAndMissingUrl) {
  EXPECT_FALSE(ParseConfig("[destinations.a]\nurl = 5\n", "c").ok());
  EXPECT_FALSE(ParseConfig("[destinations.\"Bad Name\"]\nurl = \"x\"\n", "c").ok());
  EXPECT_FALSE(ParseConfig("[destinations.a]\npassword_file = \"p\"\n", "c").ok());
  EXPECT_FALSE(ParseConfig("destinations = 3\n", "c").ok());
  EXPECT_FALSE(ParseConfig("[other]\nx = \"y\"\n", "c").ok());
  EXPECT_FALSE(ParseConfig("[rds]\nregion = [\"a\"]\n", "c").ok());
}

TEST(ConfigTest, MissingFileIsNotFound) {
  EXPECT_TRUE(LoadConfig("/nonexistent/custos.toml").status().IsNotFound());
}

TEST(ConfigTest, HostileInputsNeverCrash) {
  std::string base = "[destinations.a]\nurl = \"s3://b/p\"\n[rds]\nregion = \"x\"\n";
  for (size_t i = 0; i < base.size(); i++) {
    for (char c : {'\0', '"', '[', '\n', '=', '\xff'}) {
      std::string t = base;
      t[i] = c;
      (void)ParseConfig(t, "fuzz").ok();
    }
    (void)ParseConfig(base.substr(0, i), "fuzz").ok();
  }
  SUCCEED();
}

}  // namespace
}  // namespace custos
