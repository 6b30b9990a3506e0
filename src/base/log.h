// Log: structured logging, one JSON object per line.
//
// Contract
// - Each record is one line: {"time":"2026-01-02T03:04:05.678Z","level":"warn",
//   "msg":"...", <fields>...}. Field keys are caller-chosen identifiers; a field
//   named time, level or msg is written as "field.<key>" so it cannot hide the
//   record's own. Values are strings, integers, floating-point numbers or
//   booleans, JSON-escaped.
// - Records below the logger's level are dropped before anything is
//   formatted (check Enabled() to skip building expensive fields).
// - By default lines go to stderr; SetSink() redirects them (tests capture
//   them this way). A sink is called with one complete line (without the
//   trailing newline) at a time, under the logger's lock, so lines never
//   interleave and a sink needs no locking of its own; it must not log.
// - Thread-safety: every method may be called concurrently.
// - Secrets and personal data never go into a record. The logger cannot tell
//   them apart from other text, so callers redact before logging:
//     * storage addresses and URLs pass through RedactUrl() (storage/registry.h;
//       base does not depend on storage, so it is not offered here);
//     * HTTP header lists pass through RedactHeaders() below;
//     * object names are safe by the Backend contract; record contents,
//       passphrases and keys are never logged at all.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"

namespace custos {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

const char* LogLevelName(LogLevel level);  // "debug", "info", "warn", "error"
// Accepts the names above (any case) and "warning"; InvalidArgument otherwise.
Result<LogLevel> ParseLogLevel(std::string_view text);

struct LogField {
  using Value = std::variant<std::string, int64_t, uint64_t, double, bool>;

  LogField(std::string k, std::string v) : key(std::move(k)), value(std::move(v)) {}
  LogField(std::string k, std::string_view v) : key(std::move(k)), value(std::string(v)) {}
  LogField(std::string k, const char* v) : key(std::move(k)), value(std::string(v)) {}
  LogField(std::string k, bool v) : key(std::move(k)), value(v) {}
  LogField(std::string k, double v) : key(std::move(k)), value(v) {}
  template <typename T>
  requires std::is_integral_v<T> &&(!std::is_same_v<T, bool>)LogField(std::string k, T v)
      : key(std::move(k)) {
    if constexpr (std::is_signed_v<T>) {
      value = static_cast<int64_t>(v);
    } else {
      value = static_cast<uint64_t>(v);
    }
  }

  std::string key;
  Value value;
};

class Logger {
 public:
  using Sink = std::function<void(std::string_view line)>;

  Logger() = default;
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void SetLevel(LogLevel level);
  LogLevel level() const;
  bool Enabled(LogLevel level) const { return level >= this->level(); }

  // nullptr restores stderr.
  void SetSink(Sink sink);

  void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});
  void Log(LogLevel level, std::string_view msg, const std::vector<LogField>& fields);

  // The line Log() would write, without the level filter (for tests and for
  // callers that ship records elsewhere).
  static std::string Format(LogLevel level, std::string_view msg,
                            const std::vector<LogField>& fields);

 private:
  std::atomic<int> level_{static_cast<int>(LogLevel::kInfo)};
  std::mutex mu_;
  Sink sink_;  // guarded by mu_; empty = stderr
};

// The process-wide logger. Never destroyed.
Logger& DefaultLogger();

inline void LogDebug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  DefaultLogger().Log(LogLevel::kDebug, msg, fields);
}
inline void LogInfo(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  DefaultLogger().Log(LogLevel::kInfo, msg, fields);
}
inline void LogWarn(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  DefaultLogger().Log(LogLevel::kWarn, msg, fields);
}
inline void LogError(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  DefaultLogger().Log(LogLevel::kError, msg, fields);
}

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// True for headers whose values are secrets: Authorization,
// Proxy-Authorization, Cookie, Set-Cookie, X-Amz-Security-Token, and any name
// containing key, token, secret, signature, password or credential (case
// insensitive).
bool IsSecretHeader(std::string_view name);
// A copy of headers with the value of every secret header replaced by "***".
HeaderList RedactHeaders(const HeaderList& headers);

}  // namespace custos
