#include "storage/providers/s3/s3_profile.h"

#include <toml++/toml.h>

#include <mutex>

#include "s3_profiles_toml.h"  // generated: kS3ProfilesToml

namespace custos::s3 {
namespace {

Status Need(bool ok, const std::string& profile, const char* field) {
  if (ok) return Status::OK();
  return Status::InvalidArgument("S3 profile '" + profile + "': missing or malformed '" + field +
                                 "'");
}

Result<S3Profile> FromTable(const std::string& name, const toml::table& t) {
  S3Profile p;
  p.name = name;
  auto endpoint = t["endpoint"].value<std::string>();
  RETURN_IF_ERROR(Need(endpoint.has_value(), name, "endpoint"));
  p.endpoint = *endpoint;
  auto addressing = t["addressing"].value<std::string>();
  RETURN_IF_ERROR(
      Need(addressing && (*addressing == "path" || *addressing == "virtual"), name, "addressing"));
  p.addressing = *addressing == "path" ? Addressing::kPath : Addressing::kVirtualHost;
  auto region = t["default_region"].value<std::string>();
  RETURN_IF_ERROR(Need(region.has_value(), name, "default_region"));
  p.default_region = *region;
  p.object_lock = t["object_lock"].value_or(false);
  p.versioning = t["versioning"].value_or(false);
  p.lifecycle = t["lifecycle"].value_or(false);
  p.bearer_auth = t["bearer_auth"].value_or(false);
  auto part = t["min_part_size"].value<int64_t>();
  RETURN_IF_ERROR(Need(part && *part > 0, name, "min_part_size"));
  p.min_part_size = static_cast<uint64_t>(*part);
  return p;
}

struct Table {
  Status status;
  std::vector<S3Profile> profiles;
};

const Table& Profiles() {
  static const Table table = [] {
    Table t;
    auto parsed = ParseS3Profiles(kS3ProfilesToml);
    if (!parsed.ok()) {
      t.status = Status::Internal("compiled-in S3 profiles: " + parsed.status().message());
    } else {
      t.profiles = std::move(*parsed);
    }
    return t;
  }();
  return table;
}

}  // namespace

Result<std::vector<S3Profile>> ParseS3Profiles(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(std::string("S3 profiles: ") + std::string(e.description()));
  }
  std::vector<S3Profile> out;
  for (const auto& [key, node] : root) {
    const toml::table* t = node.as_table();
    if (t == nullptr) {
      return Status::InvalidArgument("S3 profiles: '" + std::string(key.str()) +
                                     "' is not a table");
    }
    ASSIGN_OR_RETURN(S3Profile p, FromTable(std::string(key.str()), *t));
    out.push_back(std::move(p));
  }
  if (out.empty()) return Status::InvalidArgument("S3 profiles: no profile defined");
  return out;
}

Result<S3Profile> FindS3Profile(std::string_view name) {
  const Table& t = Profiles();
  if (!t.status.ok()) return t.status;
  std::string known;
  for (const S3Profile& p : t.profiles) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  return Status::InvalidArgument("unknown S3 profile '" + std::string(name) + "' (known: " + known +
                                 ")");
}

Result<std::vector<std::string>> S3ProfileNames() {
  const Table& t = Profiles();
  if (!t.status.ok()) return t.status;
  std::vector<std::string> names;
  for (const S3Profile& p : t.profiles) names.push_back(p.name);
  return names;
}

Result<std::string> ExpandEndpoint(const S3Profile& profile, std::string_view region,
                                   std::string_view name_space) {
  if (profile.endpoint.empty()) {
    return Status::InvalidArgument("S3 profile '" + profile.name +
                                   "' has no fixed endpoint: give ?endpoint=");
  }
  std::string out;
  std::string_view pattern = profile.endpoint;
  while (!pattern.empty()) {
    size_t open = pattern.find('{');
    if (open == std::string_view::npos) {
      out.append(pattern);
      break;
    }
    out.append(pattern.substr(0, open));
    size_t close = pattern.find('}', open);
    if (close == std::string_view::npos) {
      return Status::Internal("S3 profile '" + profile.name + "': unbalanced '{' in endpoint");
    }
    std::string_view var = pattern.substr(open + 1, close - open - 1);
    std::string_view value;
    if (var == "region") {
      value = region;
    } else if (var == "namespace") {
      value = name_space;
    } else {
      return Status::Internal("S3 profile '" + profile.name + "': unknown placeholder {" +
                              std::string(var) + "}");
    }
    if (value.empty()) {
      return Status::InvalidArgument("S3 profile '" + profile.name + "' needs ?" +
                                     std::string(var) + "= to build its endpoint");
    }
    out.append(value);
    pattern.remove_prefix(close + 1);
  }
  return out;
}

}  // namespace custos::s3
