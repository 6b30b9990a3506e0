#include "config/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace custos {

namespace {

std::string Where(const std::string& source, const toml::source_region& r) {
  return source + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

bool ValidName(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

// Reads the string keys of `table` into the named fields; any other key, or a
// value that is not a string, is an error.
Status ReadStrings(const toml::table& table, const std::string& source, const std::string& where,
                   std::initializer_list<std::pair<const char*, std::string*>> fields) {
  for (const auto& [key, node] : table) {
    std::string* target = nullptr;
    for (const auto& [name, field] : fields) {
      if (key.str() == name) target = field;
    }
    if (!target) {
      return Status::InvalidArgument(Where(source, node.source()) + ": unknown key \"" +
                                     std::string(key.str()) + "\" in " + where);
    }
    const auto* s = node.as_string();
    if (!s) {
      return Status::InvalidArgument(Where(source, node.source()) + ": \"" +
                                     std::string(key.str()) + "\" in " + where +
                                     " must be a string");
    }
    *target = s->get();
  }
  return Status::OK();
}

}  // namespace

std::string DestinationConfig::EffectiveUrl() const {
  if (credentials_file.empty()) return url;
  std::string sep = url.find('?') == std::string::npos ? "?" : "&";
  std::string enc;
  for (unsigned char c : credentials_file) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~') {
      enc += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      enc += buf;
    }
  }
  return url + sep + "credentials_file=" + enc;
}

Result<DestinationConfig> Config::Destination(const std::string& name) const {
  for (const auto& d : destinations) {
    if (d.name == name) return d;
  }
  return Status::NotFound("no destination named \"" + name + "\" in " +
                          (source.empty() ? std::string("the configuration") : source));
}

Result<Config> ParseConfig(std::string_view text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(Where(source_name, e.source()) + ": " +
                                   std::string(e.description()));
  }
  Config cfg;
  cfg.source = source_name;
  for (const auto& [key, node] : root) {
    std::string k(key.str());
    if (k == "destinations") {
      const auto* dests = node.as_table();
      if (!dests) {
        return Status::InvalidArgument(Where(source_name, node.source()) +
                                       ": \"destinations\" must be a table");
      }
      for (const auto& [dname, dnode] : *dests) {
        const auto* t = dnode.as_table();
        std::string name(dname.str());
        if (!t) {
          return Status::InvalidArgument(Where(source_name, dnode.source()) + ": destination \"" +
                                         name + "\" must be a table");
        }
        if (!ValidName(name)) {
          return Status::InvalidArgument(Where(source_name, dnode.source()) +
                                         ": destination names use a-z, 0-9, '-' and '_' (1-64)");
        }
        DestinationConfig d;
        d.name = name;
        RETURN_IF_ERROR(ReadStrings(*t, source_name, "destination \"" + name + "\"",
                                    {{"url", &d.url},
                                     {"credentials_file", &d.credentials_file},
                                     {"password_file", &d.password_file}}));
        if (d.url.empty()) {
          return Status::InvalidArgument(Where(source_name, dnode.source()) + ": destination \"" +
                                         name + "\" has no url");
        }
        cfg.destinations.push_back(std::move(d));
      }
    } else if (k == "rds") {
      const auto* t = node.as_table();
      if (!t) {
        return Status::InvalidArgument(Where(source_name, node.source()) +
                                       ": \"rds\" must be a table");
      }
      RETURN_IF_ERROR(ReadStrings(*t, source_name, "[rds]",
                                  {{"region", &cfg.rds.region},
                                   {"endpoint", &cfg.rds.endpoint},
                                   {"credentials_file", &cfg.rds.credentials_file},
                                   {"instance", &cfg.rds.instance}}));
    } else {
      return Status::InvalidArgument(Where(source_name, node.source()) + ": unknown table \"" +
                                     k + "\"");
    }
  }
  return cfg;
}

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("configuration file " + path + " does not exist");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError("reading configuration file " + path);
  return ParseConfig(ss.str(), path);
}

std::string DefaultConfigPath() {
  if (const char* c = std::getenv("CUSTOS_CONFIG"); c && *c) return c;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) {
    return std::string(x) + "/custos/custos.toml";
  }
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.config/custos/custos.toml";
}

}  // namespace custos
