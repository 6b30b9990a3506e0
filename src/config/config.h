// Config: the TOML configuration file (ARCHITECTURE §3.7).
//
//   [destinations.offsite]                      # a named destination
//   url = "s3://bucket/custos?profile=wasabi&region=eu-central-1"
//   credentials_file = "/etc/custos/wasabi.ini" # optional: secrets by reference
//   password_file = "/etc/custos/vault.pass"    # optional: the vault's password
//
//   [rds]                                       # optional: the RDS action
//   region = "eu-west-2"
//   endpoint = "https://rds.eu-west-2.amazonaws.com"   # optional
//   credentials_file = "/etc/custos/aws.ini"           # optional
//   instance = "records-db"                            # optional default
//
// Secrets are never written in the file itself: they come from environment
// variables or from the files named here. Unknown tables and keys are errors,
// so a typo cannot silently disable a setting.
//
// Errors: NotFound when the file does not exist; InvalidArgument
// "<file>:<line>:<column>: <what>" for a syntax error, an unknown key, a
// wrong type or an invalid name. Values are never echoed (a mistyped secret
// must not reach a log).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace custos {

struct DestinationConfig {
  std::string name;  // [a-z0-9_-]{1,64}
  std::string url;
  std::string credentials_file;
  std::string password_file;
  // The address the registry opens: url plus credentials_file as a query
  // parameter the provider understands.
  std::string EffectiveUrl() const;
};

struct RdsConfig {
  std::string region;
  std::string endpoint;
  std::string credentials_file;
  std::string instance;
};

struct Config {
  std::string source;  // the file it came from ("" for defaults)
  std::vector<DestinationConfig> destinations;
  RdsConfig rds;

  // NotFound naming the destination (not the file's other content).
  Result<DestinationConfig> Destination(const std::string& name) const;
};

Result<Config> ParseConfig(std::string_view text, const std::string& source_name);
Result<Config> LoadConfig(const std::string& path);
// $CUSTOS_CONFIG, else $XDG_CONFIG_HOME/custos/custos.toml, else
// ~/.config/custos/custos.toml.
std::string DefaultConfigPath();

}  // namespace custos
