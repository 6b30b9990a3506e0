#include "storage/providers/s3/s3_config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "base/fs.h"
#include "storage/http/http_client.h"

namespace custos::s3 {
namespace {

Status Bad(std::string_view what) {
  return Status::InvalidArgument("S3 address: " + std::string(what));
}

Result<std::string> Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      return Bad("bad percent escape");
    }
    out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

Result<int> ParseDays(std::string_view name, std::string_view v) {
  int n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n < 0 || n > 36500) {
    return Bad(std::string(name) + " must be a number of days (0-36500)");
  }
  return n;
}

Result<bool> ParseBool(std::string_view name, std::string_view v) {
  if (v == "1" || v == "true" || v == "yes" || v.empty()) return true;
  if (v == "0" || v == "false" || v == "no") return false;
  return Bad(std::string(name) + " must be 0 or 1");
}

bool ValidBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      return false;
    }
  }
  return std::isalnum(static_cast<unsigned char>(b.front())) &&
         std::isalnum(static_cast<unsigned char>(b.back()));
}

bool IsIpOrLocal(std::string_view host) {
  std::string_view h =
      host.substr(0, host.rfind(':') == std::string_view::npos
                         ? host.size()
                         : (host.front() == '[' ? host.find(']') + 1 : host.rfind(':')));
  if (h == "localhost" || h.starts_with('[')) return true;
  return !h.empty() && std::all_of(h.begin(), h.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

bool ValidHost(std::string_view h) {
  if (h.empty() || h.size() > 255) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
  });
}

}  // namespace

std::optional<std::string> ProcessEnv(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc()) return Status::InvalidArgument("malformed byte size");
  std::string unit(p, text.data() + text.size());
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  int shift = 0;
  if (unit.empty() || unit == "b") {
    shift = 0;
  } else if (unit == "k" || unit == "kib") {
    shift = 10;
  } else if (unit == "m" || unit == "mib") {
    shift = 20;
  } else if (unit == "g" || unit == "gib") {
    shift = 30;
  } else {
    return Status::InvalidArgument("malformed byte size (units: K, M, G)");
  }
  if (n > (uint64_t{1} << (62 - shift))) return Status::InvalidArgument("byte size too large");
  return n << shift;
}

Result<S3Config> ParseS3Address(std::string_view url, const EnvFn& env) {
  std::string_view rest = url;
  if (rest.size() < 5 || !(rest.substr(0, 5) == "s3://" || rest.substr(0, 5) == "S3://")) {
    return Bad("must start with s3://");
  }
  rest.remove_prefix(5);
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.find('#') != std::string_view::npos) return Bad("takes no fragment");
  S3Config c;
  size_t slash = rest.find('/');
  c.bucket = std::string(rest.substr(0, slash));
  if (!ValidBucket(c.bucket)) {
    return Bad("bucket name must be 3-63 characters of a-z, 0-9, '.' and '-'");
  }
  if (slash != std::string_view::npos) {
    ASSIGN_OR_RETURN(c.prefix, Decode(rest.substr(slash + 1)));
    while (!c.prefix.empty() && c.prefix.back() == '/') c.prefix.pop_back();
    if (c.prefix.find("//") != std::string::npos || c.prefix.starts_with('/')) {
      return Bad("prefix has an empty path segment");
    }
  }

  std::string profile_name = "aws", endpoint;
  std::optional<bool> path_style;
  std::string object_lock;
  bool have_region = false;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (param.empty()) continue;
    size_t eq = param.find('=');
    std::string name(param.substr(0, eq));
    ASSIGN_OR_RETURN(std::string v,
                     Decode(eq == std::string_view::npos ? "" : param.substr(eq + 1)));
    if (name == "region") {
      c.region = v;
      have_region = !v.empty();
    } else if (name == "endpoint") {
      endpoint = v;
    } else if (name == "profile") {
      profile_name = v;
    } else if (name == "namespace") {
      c.name_space = v;
    } else if (name == "path_style") {
      ASSIGN_OR_RETURN(path_style, ParseBool(name, v));
    } else if (name == "credentials_file") {
      c.credentials_file = v;
    } else if (name == "aws_profile") {
      c.aws_profile = v;
    } else if (name == "object_lock") {
      object_lock = v;
    } else if (name == "retention_days") {
      ASSIGN_OR_RETURN(c.retention_days, ParseDays(name, v));
    } else if (name == "legal_hold") {
      ASSIGN_OR_RETURN(c.legal_hold, ParseBool(name, v));
    } else if (name == "versioning") {
      ASSIGN_OR_RETURN(c.versioning, ParseBool(name, v));
    } else if (name == "lifecycle_noncurrent_days") {
      ASSIGN_OR_RETURN(c.lifecycle_noncurrent_days, ParseDays(name, v));
    } else if (name == "abort_multipart_days") {
      ASSIGN_OR_RETURN(c.abort_multipart_days, ParseDays(name, v));
    } else if (name == "multipart_threshold" || name == "part_size") {
      auto n = ParseByteSize(v);
      if (!n.ok()) return Bad(name + ": " + n.status().message());
      (name == "part_size" ? c.part_size : c.multipart_threshold) = *n;
    } else if (name == "state_dir") {
      c.state_dir = v;
    } else if (name == "iam_token_url") {
      c.iam_token_url = v;
    } else if (name == "max_keys") {
      ASSIGN_OR_RETURN(c.max_keys, ParseDays(name, v));
      if (c.max_keys < 1 || c.max_keys > 1000) return Bad("max_keys must be 1-1000");
    } else {
      return Bad("unknown parameter '" + name.substr(0, 40) + "'");
    }
  }

  ASSIGN_OR_RETURN(c.profile, FindS3Profile(profile_name));
  if (!have_region) {
    if (auto r = env("AWS_REGION"); r && !r->empty() && profile_name == "aws") {
      c.region = *r;
    } else {
      c.region = c.profile.default_region;
    }
  }
  if (c.region.empty()) return Bad("profile '" + c.profile.name + "' needs ?region=");
  if (!std::all_of(c.region.begin(), c.region.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-';
      })) {
    return Bad("region must be letters, digits and '-'");
  }

  if (endpoint.empty()) {
    ASSIGN_OR_RETURN(c.host, ExpandEndpoint(c.profile, c.region, c.name_space));
  } else {
    std::string_view e = endpoint;
    if (e.starts_with("http://")) {
      c.scheme = "http";
      e.remove_prefix(7);
    } else if (e.starts_with("https://")) {
      e.remove_prefix(8);
    } else if (e.find("://") != std::string_view::npos) {
      return Bad("endpoint scheme must be http or https");
    }
    while (!e.empty() && e.back() == '/') e.remove_suffix(1);
    c.host = std::string(e);
  }
  if (!ValidHost(c.host)) return Bad("endpoint must be a host[:port] without a path");

  c.path_style = c.profile.addressing == Addressing::kPath;
  if (path_style) {
    c.path_style = *path_style;
  } else if (IsIpOrLocal(c.host) ||
             (c.scheme == "https" && c.bucket.find('.') != std::string::npos)) {
    // An IP has no bucket subdomains; a dotted bucket breaks the TLS wildcard.
    c.path_style = true;
  }

  if (!object_lock.empty()) {
    std::string m = object_lock;
    std::transform(m.begin(), m.end(), m.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    if (m != "GOVERNANCE" && m != "COMPLIANCE") {
      return Bad("object_lock must be governance or compliance");
    }
    c.lock_mode = m;
    if (!c.profile.object_lock) {
      return Status::Unsupported("S3 profile '" + c.profile.name + "' has no object lock");
    }
    c.versioning = true;  // object lock needs versioning
  } else if (c.retention_days > 0 || c.legal_hold) {
    return Bad("retention_days and legal_hold need object_lock=governance|compliance");
  }
  if (c.versioning && !c.profile.versioning) {
    return Status::Unsupported("S3 profile '" + c.profile.name +
                               "' cannot enable versioning (PutBucketVersioning)");
  }
  if ((c.lifecycle_noncurrent_days > 0 || c.abort_multipart_days > 0) && !c.profile.lifecycle) {
    return Status::Unsupported("S3 profile '" + c.profile.name +
                               "' cannot set lifecycle rules (PutBucketLifecycleConfiguration)");
  }
  if (c.part_size < c.profile.min_part_size || c.part_size > (uint64_t{5} << 30)) {
    return Bad("part_size must be between the profile's minimum (" +
               std::to_string(c.profile.min_part_size) + " bytes) and 5 GiB");
  }
  if (c.multipart_threshold > (uint64_t{5} << 30)) {
    return Bad("multipart_threshold must be at most 5 GiB (a single PUT's limit)");
  }
  return c;
}

std::string S3Config::Location() const {
  std::string out = "s3://" + bucket + (prefix.empty() ? "" : "/" + prefix);
  if (profile.name != "aws" || host != "s3." + region + ".amazonaws.com") {
    out += " at " + scheme + "://" + host;
  }
  return out;
}

std::string S3Config::KeyPrefix() const { return prefix.empty() ? "" : prefix + "/"; }

std::string S3Config::Key(std::string_view name) const { return KeyPrefix() + std::string(name); }

std::string S3Config::BucketUrl(std::string_view query) const {
  std::string out = path_style ? scheme + "://" + host + "/" + bucket + "/"
                               : scheme + "://" + bucket + "." + host + "/";
  if (!query.empty()) out += "?" + std::string(query);
  return out;
}

std::string S3Config::ObjectUrl(std::string_view key, std::string_view query) const {
  std::string out = path_style ? scheme + "://" + host + "/" + bucket + "/"
                               : scheme + "://" + bucket + "." + host + "/";
  out += http::UriEncode(key, /*keep_slash=*/true);
  if (!query.empty()) out += "?" + std::string(query);
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseIniSection(std::string_view text,
                                                                         std::string_view section) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  };
  std::vector<std::pair<std::string, std::string>> out;
  bool in = false, found = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return Status::InvalidArgument("malformed section header");
      std::string_view name = trim(line.substr(1, line.size() - 2));
      if (name.starts_with("profile ")) name = trim(name.substr(8));
      in = name == section;
      found = found || in;
      continue;
    }
    if (!in) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return Status::InvalidArgument("line without '='");
    out.emplace_back(std::string(trim(line.substr(0, eq))), std::string(trim(line.substr(eq + 1))));
  }
  if (!found) return Status::NotFound("no [" + std::string(section) + "] section");
  return out;
}

Result<S3Credentials> LoadS3Credentials(const S3Config& config, const EnvFn& env) {
  S3Credentials cr;
  auto get = [&](const char* name) { return env(name).value_or(""); };
  if (config.profile.bearer_auth) cr.ibm_api_key = get("IBM_API_KEY");
  if (config.credentials_file.empty()) {
    cr.access_key_id = get("AWS_ACCESS_KEY_ID");
    cr.secret_access_key = get("AWS_SECRET_ACCESS_KEY");
    cr.session_token = get("AWS_SESSION_TOKEN");
    if (!cr.ibm_api_key.empty() || (!cr.access_key_id.empty() && !cr.secret_access_key.empty())) {
      return cr;
    }
  }
  std::string file = config.credentials_file;
  const bool explicit_file = !file.empty();
  if (file.empty()) file = get("AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty() && !get("HOME").empty()) file = get("HOME") + "/.aws/credentials";
  std::string section = config.aws_profile;
  if (section.empty()) section = get("AWS_PROFILE");
  if (section.empty()) section = "default";
  auto missing = [&] {
    return Status::InvalidArgument(
        "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" +
        std::string(config.profile.bearer_auth ? " (or IBM_API_KEY)" : "") +
        ", or give ?credentials_file=");
  };
  if (file.empty() || (!explicit_file && !PathExists(file))) return missing();
  auto bytes = ReadWholeFile(file);
  if (!bytes.ok()) {
    return Status(bytes.status().code(),
                  "cannot read S3 credentials file " + file + ": " + bytes.status().message());
  }
  auto kv = ParseIniSection(AsString(*bytes), section);
  if (!kv.ok()) {
    return Status::InvalidArgument("S3 credentials file " + file + ": " + kv.status().message());
  }
  cr = S3Credentials();
  for (const auto& [k, v] : *kv) {
    if (k == "aws_access_key_id") cr.access_key_id = v;
    if (k == "aws_secret_access_key") cr.secret_access_key = v;
    if (k == "aws_session_token") cr.session_token = v;
    if (k == "ibm_api_key" && config.profile.bearer_auth) cr.ibm_api_key = v;
  }
  if (cr.ibm_api_key.empty() && (cr.access_key_id.empty() || cr.secret_access_key.empty())) {
    return Status::InvalidArgument("S3 credentials file " + file + ": section [" + section +
                                   "] lacks aws_access_key_id or aws_secret_access_key");
  }
  return cr;
}

}  // namespace custos::s3
