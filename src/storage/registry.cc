#include "storage/registry.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>

#include "storage/providers/local/local_backend.h"
#include "storage/providers/memory/memory_backend.h"
#include "storage/providers/s3/s3_backend.h"

namespace custos {
namespace {

using Factory = Result<std::unique_ptr<Backend>> (*)(const std::string& url);

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The lower-cased scheme of "scheme:..." (RFC 3986: a letter, then letters,
// digits, '+', '-', '.'), or nothing for a plain path. One-letter schemes
// are treated as paths.
std::optional<std::string> SchemeOf(std::string_view url) {
  size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon < 2) return std::nullopt;
  if (!std::isalpha(static_cast<unsigned char>(url[0]))) return std::nullopt;
  for (size_t i = 1; i < colon; ++i) {
    unsigned char c = static_cast<unsigned char>(url[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return std::nullopt;
  }
  return Lower(url.substr(0, colon));
}

Result<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      return Status::InvalidArgument("bad percent escape in storage address");
    }
    out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

Result<std::unique_ptr<Backend>> OpenLocalPath(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("empty storage path");
  if (path.find('\0') != std::string::npos) {
    return Status::InvalidArgument("storage path contains a NUL byte");
  }
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec) return Status::InvalidArgument("cannot resolve storage path: " + ec.message());
  std::string root = abs.lexically_normal().string();
  if (root.size() > 1 && root.back() == '/') root.pop_back();
  return std::unique_ptr<Backend>(std::make_unique<LocalBackend>(std::move(root)));
}

// file:///abs/path, file://localhost/abs/path or file:/abs/path.
Result<std::unique_ptr<Backend>> OpenFile(const std::string& url) {
  std::string_view rest = std::string_view(url).substr(url.find(':') + 1);
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    size_t slash = rest.find('/');
    std::string_view host = rest.substr(0, slash);
    if (!host.empty() && Lower(host) != "localhost") {
      return Status::InvalidArgument("file address with a remote host is not supported: " +
                                     RedactUrl(url));
    }
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  if (!rest.starts_with('/')) {
    return Status::InvalidArgument("file address needs an absolute path: " + RedactUrl(url));
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Status::InvalidArgument("file address takes no query or fragment: " + RedactUrl(url));
  }
  ASSIGN_OR_RETURN(std::string path, PercentDecode(rest));
  return OpenLocalPath(path);
}

// mem: or mem:<label>; every call gives a new, empty backend.
Result<std::unique_ptr<Backend>> OpenMemory(const std::string& url) {
  return std::unique_ptr<Backend>(std::make_unique<MemoryBackend>(url.substr(url.find(':') + 1)));
}

struct Provider {
  std::string_view scheme;
  Factory open;
};

// The registry: one line per provider.
constexpr std::array kProviders = {
    Provider{"file", OpenFile},
    Provider{"mem", OpenMemory},
    Provider{"s3", s3::OpenS3Backend},
};

bool IsSecretParam(std::string_view name) {
  static constexpr std::string_view kWords[] = {"secret", "key",       "token",     "password",
                                                "passwd", "signature", "credential"};
  const std::string lower = Lower(name);
  if (lower == "sig" || lower == "pwd") return true;
  return std::any_of(std::begin(kWords), std::end(kWords),
                     [&](std::string_view w) { return lower.find(w) != std::string::npos; });
}

std::string RedactQuery(std::string_view query) {
  std::string out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view param = query.substr(start, amp - start);
    size_t eq = param.find('=');
    if (eq != std::string_view::npos && IsSecretParam(param.substr(0, eq))) {
      out.append(param.substr(0, eq + 1));
      out += "***";
    } else {
      out.append(param);
    }
    if (amp < query.size()) out += '&';
    start = amp + 1;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Backend>> OpenBackend(const std::string& url) {
  if (url.empty()) return Status::InvalidArgument("empty storage address");
  std::optional<std::string> scheme = SchemeOf(url);
  if (!scheme) return OpenLocalPath(url);
  for (const Provider& p : kProviders) {
    if (p.scheme == *scheme) return p.open(url);
  }
  return Status::InvalidArgument("unsupported storage address scheme '" + *scheme + "'");
}

std::string RedactUrl(const std::string& url) {
  if (!SchemeOf(url)) return url;
  const size_t colon = url.find(':');
  std::string out = url.substr(0, colon + 1);
  std::string_view rest = std::string_view(url).substr(colon + 1);

  if (rest.starts_with("//")) {
    size_t auth_end = rest.find_first_of("/?#", 2);
    std::string_view authority = rest.substr(2, auth_end == rest.npos ? rest.npos : auth_end - 2);
    size_t at = authority.rfind('@');
    out += "//";
    if (at != std::string_view::npos) {
      std::string_view userinfo = authority.substr(0, at);
      size_t pw = userinfo.find(':');
      if (pw != std::string_view::npos) {
        out.append(userinfo.substr(0, pw));
        out += ":***";
      } else {
        out.append(userinfo);
      }
      out.append(authority.substr(at));
    } else {
      out.append(authority);
    }
    rest = auth_end == rest.npos ? std::string_view() : rest.substr(auth_end);
  }

  size_t q = rest.find('?');
  if (q == std::string_view::npos) {
    out.append(rest);
    return out;
  }
  out.append(rest.substr(0, q + 1));
  rest.remove_prefix(q + 1);
  size_t hash = rest.find('#');
  out += RedactQuery(rest.substr(0, hash));
  if (hash != std::string_view::npos) out.append(rest.substr(hash));
  return out;
}

}  // namespace custos
