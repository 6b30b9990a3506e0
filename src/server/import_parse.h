// Bulk-import parsing for the API: the records model's importer turned into
// the store's import items.
//
// Contract: ParseImport() parses CSV (`csv` true) or a JSON array with the
// records model's importer and returns the canonical rows with their lines,
// or the per-row errors. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "records/model/schema.h"

namespace custos::server {

struct ImportProblem {
  uint64_t line = 0;
  std::string field;
  std::string reason;
};

struct ParsedImport {
  bool csv = true;  // lines are CSV lines (else 1-based array elements)
  std::vector<std::pair<uint64_t, nlohmann::json>> rows;
  std::vector<ImportProblem> problems;
};

// InvalidArgument for whole-input problems (no header, not an array, ...).
Result<ParsedImport> ParseImport(const records::EntitySchema& entity, std::string_view text,
                                 bool csv);

}  // namespace custos::server
