#include "vault/config.h"

#include <nlohmann/json.hpp>

#include "base/random.h"

namespace custos {

VaultConfig VaultConfig::New() {
  VaultConfig c;
  c.id = RandomHex(32);
  c.chunker_seed.resize(32);
  RandomFill(c.chunker_seed);
  return c;
}

Status VaultConfig::Validate() const {
  RETURN_IF_ERROR(chunker.Validate());
  if (pack_size < (1u << 20) || pack_size > (1u << 30)) {
    return Status::InvalidArgument("pack size must be between 1 MiB and 1 GiB");
  }
  if (compression < 0 || compression > 19) {
    return Status::InvalidArgument("compression level must be between 0 and 19");
  }
  if (chunker_seed.size() != 32) return Status::InvalidArgument("bad chunker seed");
  return Status::OK();
}

Bytes SerializeConfig(const VaultConfig& c) {
  nlohmann::json j = {
      {"version", c.version},
      {"id", c.id},
      {"chunker",
       {{"algorithm", "fastcdc"},
        {"min", c.chunker.min_size},
        {"avg", c.chunker.avg_size},
        {"max", c.chunker.max_size},
        {"seed", ToBase64(c.chunker_seed)}}},
      {"pack_size", c.pack_size},
      {"compression", {{"algorithm", "zstd"}, {"level", c.compression}}},
  };
  std::string s = j.dump();
  return Bytes(s.begin(), s.end());
}

Result<VaultConfig> ParseConfig(ByteView body) {
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("config is not valid JSON");
  try {
    VaultConfig c;
    c.version = j.at("version").get<int>();
    if (c.version > kVaultVersion) {
      return Status::Unsupported("vault format version " + std::to_string(c.version) +
                                 " is newer than this custos supports (" +
                                 std::to_string(kVaultVersion) + ")");
    }
    c.id = j.at("id").get<std::string>();
    const auto& ch = j.at("chunker");
    c.chunker.min_size = ch.at("min").get<uint32_t>();
    c.chunker.avg_size = ch.at("avg").get<uint32_t>();
    c.chunker.max_size = ch.at("max").get<uint32_t>();
    auto seed = FromBase64(ch.at("seed").get<std::string>());
    if (!seed.ok()) return Status::Corruption("config has a bad chunker seed");
    c.chunker_seed = *seed;
    c.pack_size = j.at("pack_size").get<uint32_t>();
    c.compression = j.at("compression").at("level").get<int>();
    Status st = c.Validate();
    if (!st.ok()) return Status::Corruption("config: " + st.message());
    return c;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("config is malformed: ") + e.what());
  }
}

}  // namespace custos
