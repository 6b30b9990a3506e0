// Storage addresses without their secrets, for logs and messages.
//
// Pure functions; thread-safe. Lives in custos_storage (not the registry) so
// decorators can redact without depending on every provider.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace custos {

// The address with secrets removed so it can be logged: a password in the
// userinfo and the values of query parameters whose names mention secret,
// key, token, password, signature or credential (and "sig") become "***".
// Plain paths are returned unchanged.
std::string RedactUrl(const std::string& url);

// The lower-cased scheme of "scheme:..." (RFC 3986), or nullopt for a plain
// path (one-letter schemes count as paths: "C:/x").
std::optional<std::string> UrlScheme(std::string_view url);

}  // namespace custos
