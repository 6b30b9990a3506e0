// GCC 12 reports -Wmaybe-uninitialized inside libstdc++'s <regex> when it
// optimises with the sanitizers on (a false positive in std::function copies
// of the NFA states, GCC bug 105562). It is libstdc++'s code, so it is
// silenced here, in the one file that instantiates std::regex.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "records/model/pattern.h"

#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>

namespace custos::records {
namespace {

// nullptr for a pattern that does not compile.
const std::regex* Compiled(std::string_view pattern) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<std::regex>, std::less<>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    std::unique_ptr<std::regex> re;
    try {
      re = std::make_unique<std::regex>(std::string(pattern), std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      re = nullptr;
    }
    it = cache.emplace(std::string(pattern), std::move(re)).first;
  }
  return it->second.get();
}

}  // namespace

bool MatchesPattern(std::string_view pattern, std::string_view value) {
  const std::regex* re = Compiled(pattern);
  return re != nullptr && std::regex_match(value.begin(), value.end(), *re);
}

bool IsValidPattern(std::string_view pattern) { return Compiled(pattern) != nullptr; }

}  // namespace custos::records
