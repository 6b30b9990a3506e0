#include "storage/redact.h"

#include <algorithm>
#include <cctype>

namespace custos {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The lower-cased scheme of "scheme:..." (RFC 3986: a letter, then letters,
// digits, '+', '-', '.'), or nothing for a plain path. One-letter schemes
// are treated as paths.
std::optional<std::string> SchemeOfImpl(std::string_view url) {
  size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon < 2) return std::nullopt;
  if (!std::isalpha(static_cast<unsigned char>(url[0]))) return std::nullopt;
  for (size_t i = 1; i < colon; ++i) {
    unsigned char c = static_cast<unsigned char>(url[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return std::nullopt;
  }
  return Lower(url.substr(0, colon));
}

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

std::optional<std::string> UrlScheme(std::string_view url) { return SchemeOfImpl(url); }

std::string RedactUrl(const std::string& url) {
  if (!SchemeOfImpl(url)) return url;
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
