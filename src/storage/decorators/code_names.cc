#include "storage/decorators/code_names.h"

#include <array>
#include <utility>

namespace custos {
namespace {

constexpr std::array<std::pair<Code, std::string_view>, 14> kIds = {{
    {Code::kOk, "ok"},
    {Code::kNotFound, "not_found"},
    {Code::kAlreadyExists, "already_exists"},
    {Code::kInvalidArgument, "invalid_argument"},
    {Code::kCorruption, "corruption"},
    {Code::kIOError, "io_error"},
    {Code::kPermissionDenied, "permission_denied"},
    {Code::kWrongPassword, "wrong_password"},
    {Code::kLocked, "locked"},
    {Code::kRetryable, "retryable"},
    {Code::kNoSpace, "no_space"},
    {Code::kUnsupported, "unsupported"},
    {Code::kCancelled, "cancelled"},
    {Code::kInternal, "internal"},
}};

}  // namespace

std::string_view CodeId(Code code) {
  for (const auto& [c, id] : kIds) {
    if (c == code) return id;
  }
  return "unknown";
}

std::optional<Code> CodeFromId(std::string_view id) {
  for (const auto& [c, name] : kIds) {
    if (name == id) return c;
  }
  return std::nullopt;
}

}  // namespace custos
