#include "storage/registry.h"

#include <algorithm>
#include <cstdlib>
#include <array>
#include <cctype>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>

#include "storage/providers/local/local_backend.h"
#include "storage/providers/memory/memory_backend.h"
#include "storage/decorators/stack.h"
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

}  // namespace

// Every provider gets the same decorator stack (retry, limits, metrics,
// logging); CUSTOS_FAULTS injects faults for tests (fault_injection.h).
static Result<std::unique_ptr<Backend>> Decorate(Result<std::unique_ptr<Backend>> provider,
                                                 std::string_view label) {
  if (!provider.ok()) return provider.status();
  StackOptions options;
  options.backend_label = std::string(label);
  if (const char* faults = std::getenv("CUSTOS_FAULTS")) options.fault_spec = faults;
  return StackDecorators(std::move(provider).value(), options);
}

Result<std::unique_ptr<Backend>> OpenBackend(const std::string& url) {
  if (url.empty()) return Status::InvalidArgument("empty storage address");
  std::optional<std::string> scheme = UrlScheme(url);
  if (!scheme) return Decorate(OpenLocalPath(url), "file");
  for (const Provider& p : kProviders) {
    if (p.scheme == *scheme) return Decorate(p.open(url), p.scheme);
  }
  return Status::InvalidArgument("unsupported storage address scheme '" + *scheme + "'");
}

}  // namespace custos
