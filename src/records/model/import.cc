#include "records/model/import.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "records/model/csv.h"
#include "records/model/formats.h"
#include "records/model/json_parse.h"
#include "records/model/validate.h"

namespace custos::records {
namespace {

using nlohmann::json;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, with
// leading zeros tolerated in the integer part (spreadsheets write them).
bool IsNumberText(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  const size_t int_start = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  if (i == int_start) return false;
  if (i < s.size() && s[i] == '.') {
    const size_t frac = ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == frac) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t exp = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == exp) return false;
  }
  return i == s.size();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}

// Collects rows and errors; applies the limits and the in-batch uniqueness rule.
class Collector {
 public:
  Collector(const EntitySchema& entity, const ImportLimits& limits, LineKind kind)
      : entity_(entity), limits_(limits) {
    result_.report.line_kind = kind;
  }

  // False when reading must stop (a limit was reached).
  bool AddError(size_t line, std::string field, std::string reason) {
    auto& errors = result_.report.errors;
    if (errors.size() >= limits_.max_errors) {
      errors.push_back(
          {line, "",
           "more than " + std::to_string(limits_.max_errors) + " errors; stopped reading here"});
      stopped_ = true;
      return false;
    }
    errors.push_back({line, std::move(field), std::move(reason)});
    return true;
  }

  // Counts a data row; false (with an error) when it is one too many.
  bool BeginRow(size_t line) {
    if (result_.report.rows >= limits_.max_rows) {
      result_.report.errors.push_back({line, "",
                                       "more than " + std::to_string(limits_.max_rows) +
                                           " rows; split the import into smaller files"});
      stopped_ = true;
      return false;
    }
    ++result_.report.rows;
    return true;
  }

  // Validates one row's body and files it as a row or as errors.
  // Fields in `failed` already have an error from text conversion: their
  // validation errors (e.g. "is required") are not repeated, and the row is
  // not kept.
  bool AddBody(size_t line, const json& body, const std::set<std::string>& failed = {}) {
    Validation v = CheckRecord(entity_, body, Mode::kCreate);
    for (FieldError& e : v.errors) {
      if (failed.count(e.field) != 0) continue;
      if (!AddError(line, std::move(e.field), std::move(e.reason))) return false;
    }
    if (!v.ok() || !failed.empty()) return true;
    bool unique_ok = true;
    for (const FieldSpec& f : entity_.fields) {
      if (!f.unique) continue;
      auto it = v.record.find(std::string(f.name));
      if (it == v.record.end()) continue;
      auto [seen, inserted] = seen_[std::string(f.name)].emplace(it->dump(), line);
      if (!inserted) {
        unique_ok = false;
        const std::string unit =
            result_.report.line_kind == LineKind::kCsvLine ? "line " : "element ";
        if (!AddError(line, std::string(f.name),
                      "same value as the row at " + unit + std::to_string(seen->second))) {
          return false;
        }
      }
    }
    if (unique_ok) result_.rows.push_back({line, std::move(v.record)});
    return true;
  }

  bool stopped() const { return stopped_; }
  ImportResult Take() { return std::move(result_); }

 private:
  const EntitySchema& entity_;
  const ImportLimits& limits_;
  ImportResult result_;
  bool stopped_ = false;
  std::map<std::string, std::map<std::string, size_t>> seen_;  // field -> value -> line
};

// Converts a cell; returns the reason it cannot be, or an empty string.
std::string ConvertCell(const FieldSpec& f, std::string_view cell, json* out) {
  const std::string_view t = TrimAscii(cell);
  if (t.empty()) {
    *out = nullptr;
    return {};
  }
  switch (f.type) {
    case FieldType::kInteger: {
      std::string_view digits = t;
      if (digits.front() == '+') digits.remove_prefix(1);
      bool ok = !digits.empty();
      for (size_t i = 0; i < digits.size() && ok; ++i) {
        ok = IsDigit(digits[i]) || (i == 0 && digits[i] == '-' && digits.size() > 1);
      }
      if (!ok || t.substr(0, 2) == "+-") return "not an integer";
      int64_t v = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec != std::errc() || end != digits.data() + digits.size()) {
        return "is out of range";
      }
      *out = v;
      return {};
    }
    case FieldType::kNumber: {
      if (!IsNumberText(t)) return "not a number";
      std::string_view text = t;
      if (text.front() == '+') text.remove_prefix(1);
      double v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
        return "is out of range";
      }
      *out = v;
      return {};
    }
    case FieldType::kBoolean:
      if (EqualsIgnoreCase(t, "true") || t == "1") {
        *out = true;
      } else if (EqualsIgnoreCase(t, "false") || t == "0") {
        *out = false;
      } else {
        return "must be true, false, 1 or 0";
      }
      return {};
    default:
      *out = std::string(cell);
      return {};  // the validator trims and checks
  }
}

}  // namespace

std::string RowError::ToString(LineKind kind) const {
  std::string s = (kind == LineKind::kCsvLine ? "line " : "element ") + std::to_string(line) + ": ";
  if (!field.empty()) s += "field \"" + field + "\": ";
  return s + reason;
}

Result<json> CellToJson(const FieldSpec& f, std::string_view cell) {
  json out;
  std::string reason = ConvertCell(f, cell, &out);
  if (!reason.empty()) {
    return Status::InvalidArgument("field \"" + std::string(f.name) + "\": " + reason);
  }
  return out;
}

Result<ImportResult> ImportCsv(const EntitySchema& entity, std::string_view text,
                               const ImportLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status::InvalidArgument("CSV input is " + std::to_string(text.size()) +
                                   " bytes; the limit is " + std::to_string(limits.max_bytes));
  }
  CsvReader reader(text, CsvLimits{.max_line_bytes = limits.max_line_bytes});
  Collector out(entity, limits, LineKind::kCsvLine);
  CsvRecord header;
  if (!reader.Next(&header)) {
    if (reader.error()) {
      out.AddError(reader.error()->line, "", reader.error()->reason);
      return out.Take();
    }
    return Status::InvalidArgument("CSV input has no header row");
  }
  // Header: column index -> field.
  std::vector<const FieldSpec*> columns;
  for (const std::string& raw : header.cells) columns.push_back(entity.FindField(TrimAscii(raw)));
  if (std::all_of(columns.begin(), columns.end(), [](const FieldSpec* f) { return !f; })) {
    out.AddError(header.line, "",
                 "the first row names no field of " + std::string(entity.name) +
                     "; a header row of field names is required");
    return out.Take();
  }
  std::set<std::string_view> named;
  bool header_ok = true;
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string_view name = TrimAscii(header.cells[i]);
    std::string reason;
    if (columns[i] == nullptr) {
      reason = IsServerField(name) ? "is set by the server and cannot be imported"
                                   : "unknown column for " + std::string(entity.name);
    } else if (!named.insert(columns[i]->name).second) {
      reason = "appears twice in the header";
    } else {
      continue;
    }
    header_ok = false;
    std::string column = "column " + std::to_string(i + 1);
    if (IsKnownFieldName(name)) {
      column += " \"" + std::string(name) + "\"";
    } else if (std::string_view hint = ClosestFieldName(entity, name); !hint.empty()) {
      reason += " (did you mean \"" + std::string(hint) + "\"?)";
    }
    out.AddError(header.line, "", column + ": " + reason);
  }
  for (const FieldSpec& f : entity.fields) {
    if (f.required && named.count(f.name) == 0) {
      header_ok = false;
      out.AddError(header.line, std::string(f.name), "is required but has no column");
    }
  }
  if (!header_ok) return out.Take();

  CsvRecord rec;
  while (!out.stopped() && reader.Next(&rec)) {
    bool all_empty = true;
    for (const std::string& c : rec.cells) all_empty = all_empty && TrimAscii(c).empty();
    if (all_empty && rec.cells.size() <= columns.size()) continue;
    if (!out.BeginRow(rec.line)) break;
    if (rec.cells.size() != columns.size()) {
      if (!out.AddError(rec.line, "",
                        "row has " + std::to_string(rec.cells.size()) + " cells; the header has " +
                            std::to_string(columns.size()))) {
        break;
      }
      continue;
    }
    json body = json::object();
    std::set<std::string> failed;
    bool go_on = true;
    for (size_t i = 0; i < columns.size() && go_on; ++i) {
      const std::string name(columns[i]->name);
      json v;
      std::string reason = ConvertCell(*columns[i], rec.cells[i], &v);
      if (!reason.empty()) {
        go_on = out.AddError(rec.line, name, std::move(reason));
        failed.insert(name);
      } else if (!v.is_null()) {
        body[name] = std::move(v);
      }
    }
    if (!go_on || !out.AddBody(rec.line, body, failed)) break;
  }
  if (!out.stopped() && reader.error()) {
    out.AddError(reader.error()->line, "", reader.error()->reason);
  }
  return out.Take();
}

Result<ImportResult> ImportJson(const EntitySchema& entity, std::string_view text,
                                const ImportLimits& limits) {
  ASSIGN_OR_RETURN(
      json doc, ParseJsonStrict(text, JsonLimits{.max_bytes = limits.max_bytes, .max_depth = 64}));
  if (!doc.is_array()) return Status::InvalidArgument("JSON import must be an array of objects");
  Collector out(entity, limits, LineKind::kJsonIndex);
  for (size_t i = 0; i < doc.size(); ++i) {
    const size_t index = i + 1;
    if (!out.BeginRow(index)) break;
    if (!doc[i].is_object()) {
      if (!out.AddError(index, "", "element must be a JSON object")) break;
      continue;
    }
    if (!out.AddBody(index, doc[i])) break;
  }
  return out.Take();
}

}  // namespace custos::records
