#include "base/log.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace custos {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

// 2026-01-02T03:04:05.678Z
std::string NowRfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03dZ", static_cast<int>(ms.count() % 1000));
  return std::string(buf, n) + frac;
}

}  // namespace

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

Result<LogLevel> ParseLogLevel(std::string_view text) {
  const std::string lower = Lower(text);
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "warn" || lower == "warning") return LogLevel::kWarn;
  if (lower == "error") return LogLevel::kError;
  return Status::InvalidArgument("unknown log level '" + std::string(text) +
                                 "' (expected debug, info, warn or error)");
}

void Logger::SetLevel(LogLevel level) {
  level_.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel Logger::level() const {
  return static_cast<LogLevel>(level_.load(std::memory_order_relaxed));
}

void Logger::SetSink(Sink sink) {
  std::lock_guard<std::mutex> lock(mu_);
  sink_ = std::move(sink);
}

std::string Logger::Format(LogLevel level, std::string_view msg,
                           const std::vector<LogField>& fields) {
  nlohmann::ordered_json record;
  record["time"] = NowRfc3339();
  record["level"] = LogLevelName(level);
  record["msg"] = std::string(msg);
  for (const LogField& f : fields) {
    std::string key = f.key;
    if (key == "time" || key == "level" || key == "msg") key = "field." + key;
    std::visit([&](const auto& v) { record[key] = v; }, f.value);
  }
  // Invalid UTF-8 (a stray byte in a message) is replaced, never thrown.
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Logger::Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  Log(level, msg, std::vector<LogField>(fields));
}

void Logger::Log(LogLevel level, std::string_view msg, const std::vector<LogField>& fields) {
  if (!Enabled(level)) return;
  const std::string line = Format(level, msg, fields);
  std::lock_guard<std::mutex> lock(mu_);
  if (sink_) {
    sink_(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

Logger& DefaultLogger() {
  static Logger* logger = new Logger();
  return *logger;
}

bool IsSecretHeader(std::string_view name) {
  static constexpr std::string_view kExact[] = {"authorization", "proxy-authorization", "cookie",
                                                "set-cookie", "x-amz-security-token"};
  static constexpr std::string_view kWords[] = {"key",       "token",    "secret",
                                                "signature", "password", "credential"};
  const std::string lower = Lower(name);
  if (std::find(std::begin(kExact), std::end(kExact), lower) != std::end(kExact)) return true;
  return std::any_of(std::begin(kWords), std::end(kWords),
                     [&](std::string_view w) { return lower.find(w) != std::string::npos; });
}

HeaderList RedactHeaders(const HeaderList& headers) {
  HeaderList out = headers;
  for (auto& [name, value] : out) {
    if (IsSecretHeader(name)) value = "***";
  }
  return out;
}

}  // namespace custos
