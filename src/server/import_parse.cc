#include "server/import_parse.h"

#include "records/model/import.h"

namespace custos::server {

Result<ParsedImport> ParseImport(const records::EntitySchema& entity, std::string_view text,
                                 bool csv) {
  records::ImportLimits limits;
  ASSIGN_OR_RETURN(records::ImportResult res, csv ? records::ImportCsv(entity, text, limits)
                                                  : records::ImportJson(entity, text, limits));
  ParsedImport out;
  out.csv = csv;
  for (records::RowError& e : res.report.errors) {
    out.problems.push_back(ImportProblem{e.line, std::move(e.field), std::move(e.reason)});
  }
  out.rows.reserve(res.rows.size());
  for (records::ImportRow& r : res.rows) out.rows.emplace_back(r.line, std::move(r.record));
  return out;
}

}  // namespace custos::server
