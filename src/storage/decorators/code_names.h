// Stable lower-case identifiers for status codes ("not_found", "retryable"),
// used as metric label values, log fields and in fault-injection specs.
#pragma once

#include <optional>
#include <string_view>

#include "base/status.h"

namespace custos {

std::string_view CodeId(Code code);
// The inverse of CodeId; nullopt for an unknown identifier.
std::optional<Code> CodeFromId(std::string_view id);

}  // namespace custos
