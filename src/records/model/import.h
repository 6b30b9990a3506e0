// Bulk import: CSV or JSON text in, validated canonical records out.
//
// Contract
// - Nothing is written anywhere: the importer parses and validates, and the
//   caller (the records store) applies the rows as one all-or-nothing batch,
//   and only when the result has no errors.
// - Every record is validated as ValidateRecord(entity, row, Mode::kCreate):
//   imports create records; the server fields (id, version, ...) are refused.
// - CSV (RFC 4180, see csv.h): the first record is the header, one column per
//   field name (surrounding spaces ignored). An unknown or duplicated column,
//   a server field, or a required field without a column is an error at the
//   header's line, and no row is read. An empty cell (or one of only spaces)
//   means the field is absent. Cells are converted from text strictly, by the
//   field's type: integers "-?[0-9]+" (a leading "+" allowed), numbers in
//   JSON number syntax, booleans true/false/1/0 (letters in any case),
//   strings, enums, dates and ids as they are. A row whose every cell is
//   empty is skipped. A row with the wrong number of cells is an error.
//   RowError::line is the physical line where the record starts (1 = header).
// - JSON: an array of objects; RowError::line is the 1-based array index.
// - Fields marked unique (FieldSpec::unique) must not repeat within one
//   import; the second row is the error and names the first row's line.
//   (Uniqueness against stored records is the store's check.)
// - Whole-input problems return a non-OK Status (InvalidArgument): input over
//   max_bytes, no header row, JSON that does not parse or is not an array.
//   Everything else is a RowError, and reading goes on to report as much as
//   possible, except after a malformed CSV line (unterminated quote, stray
//   quote, line too long), after more than max_rows rows, or after
//   max_errors errors, where it stops with a last RowError saying so.
// - No error text contains a cell's or value's content. A header cell is
//   quoted only if it is a name Custos defines (IsKnownFieldName); otherwise
//   it is named by position, with a "did you mean" hint. A first row that
//   names no field at all is reported as a missing header.
// - Pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "records/model/schema.h"

namespace custos::records {

struct ImportLimits {
  size_t max_bytes = size_t{64} << 20;      // whole input
  size_t max_rows = 100000;                 // data rows (CSV) or elements (JSON)
  size_t max_line_bytes = size_t{1} << 20;  // one physical CSV line
  size_t max_errors = 1000;                 // then stop reading
};

// What RowError::line counts.
enum class LineKind {
  kCsvLine,    // physical line of the CSV text, 1-based, the header is line 1
  kJsonIndex,  // element of the JSON array, 1-based
};

struct RowError {
  size_t line = 0;
  std::string field;  // empty when the error is about the row or the file
  std::string reason;

  // "line 7: field \"uln\": is required" or "element 3: ..." for kJsonIndex.
  std::string ToString(LineKind kind) const;
};

struct ImportReport {
  LineKind line_kind = LineKind::kCsvLine;
  size_t rows = 0;  // data rows read, valid or not (skipped empty rows excluded)
  std::vector<RowError> errors;
};

struct ImportRow {
  size_t line = 0;        // as RowError::line
  nlohmann::json record;  // canonical, valid for Mode::kCreate
};

struct ImportResult {
  std::vector<ImportRow> rows;  // the valid rows, in input order
  ImportReport report;
  // True when the batch may be applied: no errors at all.
  bool ok() const { return report.errors.empty(); }
};

Result<ImportResult> ImportCsv(const EntitySchema& entity, std::string_view text,
                               const ImportLimits& limits = {});
Result<ImportResult> ImportJson(const EntitySchema& entity, std::string_view text,
                                const ImportLimits& limits = {});

// Converts one CSV cell to the JSON value for `field`: null when the cell is
// empty (the field is absent), else a JSON value of the field's type (not yet
// range- or format-checked). InvalidArgument naming the field otherwise.
Result<nlohmann::json> CellToJson(const FieldSpec& field, std::string_view cell);

}  // namespace custos::records
