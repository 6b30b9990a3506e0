// Mutation fuzzing of the CSV and JSON importers and the validator.
//
// Valid inputs built from the example records are mutated at random (bytes
// flipped, inserted, deleted, duplicated, lines swapped; JSON values replaced
// by values of other types). For every mutant: no crash (run under ASan and
// UBSan in the sanitizer build), every error names a line or element that
// exists, no error quotes a value, and every accepted record is canonical and
// conforms to the published OpenAPI schema. The seed is fixed so failures
// reproduce; CUSTOS_FUZZ_SEED and CUSTOS_FUZZ_ITERATIONS change it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "records/model/examples.h"
#include "records/model/import.h"
#include "records/model/openapi.h"
#include "records/model/schema_conformance_for_test.h"
#include "records/model/validate.h"

namespace custos::records {
namespace {

using nlohmann::json;
using testing_util::SchemaViolations;

constexpr std::string_view kMarker = "Secret";  // planted in free text; must never surface

size_t EnvOr(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoull(v, nullptr, 10) : fallback;
}

class Fuzz : public ::testing::Test {
 protected:
  Fuzz() : rng_(static_cast<uint32_t>(EnvOr("CUSTOS_FUZZ_SEED", 20240901))) {}

  size_t Iterations() const { return EnvOr("CUSTOS_FUZZ_ITERATIONS", 3000); }
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  const EntitySchema& AnyEntity() { return AllEntities()[Pick(AllEntities().size())]; }

  // The example with the marker planted in every free-text field.
  static json Seed(const EntitySchema& e) {
    json r = ExampleRecord(e);
    for (const FieldSpec& f : e.fields) {
      if (f.type == FieldType::kString && f.pattern.empty() && f.check == FieldCheck::kNone &&
          r.contains(std::string(f.name))) {
        r[std::string(f.name)] =
            std::string(kMarker) + " " + r[std::string(f.name)].get<std::string>();
      }
    }
    return r;
  }

  static std::string CsvCell(const json& v) {
    if (v.is_string()) {
      std::string s = "\"";
      for (char c : v.get<std::string>()) {
        if (c == '"') s += '"';
        s += c == '\n' ? std::string("\r\n") : std::string(1, c);
      }
      return s + "\"";
    }
    return v.dump();
  }

  static std::string SeedCsv(const EntitySchema& e, int rows) {
    std::string csv;
    for (const FieldSpec& f : e.fields) csv += (csv.empty() ? "" : ",") + std::string(f.name);
    csv += "\r\n";
    for (int i = 0; i < rows; ++i) {
      const json r = Seed(e);
      std::string line;
      for (size_t k = 0; k < e.fields.size(); ++k) {
        if (k > 0) line += ',';
        auto it = r.find(std::string(e.fields[k].name));
        if (it != r.end()) line += CsvCell(*it);
      }
      csv += line + (i % 2 == 0 ? "\r\n" : "\n");
    }
    return csv;
  }

  void MutateText(std::string* s) {
    static constexpr char kInteresting[] = {'"', ',', '\n', '\r', '\0', '\xFF', '\xC3', ' ',
                                            '-', '0', '9',  'a',  '.',  'e',    '{',    '}',
                                            '[', ']', ':',  '\\', '\t', '\xEF', '\xBB', '\xBF'};
    const size_t n = 1 + Pick(4);
    for (size_t i = 0; i < n; ++i) {
      const size_t size = s->size();
      const size_t pos = size == 0 ? 0 : Pick(size);
      switch (Pick(7)) {
        case 0:
          if (size > 0) (*s)[pos] = static_cast<char>((*s)[pos] ^ (1 << Pick(8)));
          break;
        case 1:
          if (size > 0) (*s)[pos] = kInteresting[Pick(sizeof(kInteresting))];
          break;
        case 2:
          s->insert(s->begin() + static_cast<std::ptrdiff_t>(pos),
                    kInteresting[Pick(sizeof(kInteresting))]);
          break;
        case 3:
          if (size > 0) s->erase(pos, 1 + Pick(16));
          break;
        case 4:
          if (size > 0) s->insert(pos, s->substr(Pick(size), 1 + Pick(40)));
          break;
        case 5:
          s->resize(pos);
          break;
        case 6: {  // swap two lines
          std::vector<std::string> lines;
          size_t start = 0;
          for (size_t k = 0; k <= s->size(); ++k) {
            if (k == s->size() || (*s)[k] == '\n') {
              lines.push_back(s->substr(start, k - start));
              start = k + 1;
            }
          }
          if (lines.size() > 1) std::swap(lines[Pick(lines.size())], lines[Pick(lines.size())]);
          std::string joined;
          for (size_t k = 0; k < lines.size(); ++k) joined += (k ? "\n" : "") + lines[k];
          *s = joined;
          break;
        }
      }
    }
  }

  json RandomValue() {
    switch (Pick(14)) {
      case 0:
        return nullptr;
      case 1:
        return Pick(2) == 0;
      case 2:
        return static_cast<int64_t>(Pick(3000)) - 1000;
      case 3:
        return json::number_unsigned_t{18446744073709551615ull};
      case 4:
        return -1e300;
      case 5:
        return 72.25;
      case 6:
        return std::string(kMarker) + "\x01";
      case 7:
        return std::string(kMarker) + std::string(1 + Pick(12000), 'x');
      case 8:
        return "2023-02-30";
      case 9:
        return "2024-02-29T12:00:00+01:00";
      case 10:
        return json::array({std::string(kMarker)});
      case 11:
        return json{{"nested", std::string(kMarker)}};
      case 12:
        return std::string(kMarker) + "\xC3";
      default:
        return "  " + std::string(kMarker) + "  ";
    }
  }

  void MutateRecord(const EntitySchema& e, json* r) {
    const size_t n = 1 + Pick(3);
    for (size_t i = 0; i < n; ++i) {
      const std::string name(e.fields[Pick(e.fields.size())].name);
      switch (Pick(5)) {
        case 0:
          r->erase(name);
          break;
        case 1: {
          static constexpr const char* kKeys[] = {"id", "unknown_key", "Secret value@x"};
          (*r)[kKeys[Pick(3)]] = 1;
          break;
        }
        default:
          (*r)[name] = RandomValue();
          break;
      }
    }
  }

  // Checks one accepted record: valid, canonical, conforms to the schema.
  static void CheckAccepted(const EntitySchema& e, const json& record) {
    Result<json> again = ValidateRecord(e, record, Mode::kCreate);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(*again, record);
    EXPECT_EQ(SchemaViolations(EntityJsonSchema(e, Mode::kCreate), record),
              std::vector<std::string>{});
  }

  static void CheckReport(const EntitySchema& e, const ImportResult& r, size_t max_line) {
    EXPECT_LE(r.rows.size(), r.report.rows);
    for (const RowError& err : r.report.errors) {
      EXPECT_GE(err.line, 1u);
      EXPECT_LE(err.line, max_line);
      EXPECT_FALSE(err.reason.empty());
      const std::string text = err.ToString(r.report.line_kind);
      EXPECT_EQ(text.find(kMarker), std::string::npos) << text;
    }
    size_t last = 0;
    for (const ImportRow& row : r.rows) {
      EXPECT_GT(row.line, last);
      EXPECT_LE(row.line, max_line);
      last = row.line;
      CheckAccepted(e, row.record);
    }
  }

  ImportLimits SomeLimits() {
    if (Pick(4) != 0) return {};
    return ImportLimits{.max_bytes = 1 << 20, .max_rows = 2, .max_line_bytes = 60, .max_errors = 3};
  }

  std::mt19937 rng_;
};

TEST_F(Fuzz, SeedsAreValid) {
  for (const EntitySchema& e : AllEntities()) {
    Result<ImportResult> csv = ImportCsv(e, SeedCsv(e, 3));
    ASSERT_TRUE(csv.ok());
    Result<ImportResult> js = ImportJson(e, json::array({Seed(e), Seed(e)}).dump());
    ASSERT_TRUE(js.ok());
    // Copies of one record clash on unique fields (ULN, company number).
    const bool has_unique =
        std::any_of(e.fields.begin(), e.fields.end(), [](const FieldSpec& f) { return f.unique; });
    EXPECT_EQ(csv->rows.size(), has_unique ? 1u : 3u) << e.name;
    EXPECT_EQ(csv->report.errors.size(), has_unique ? 2u : 0u) << e.name;
    EXPECT_EQ(js->rows.size(), has_unique ? 1u : 2u) << e.name;
  }
}

TEST_F(Fuzz, CsvImport) {
  size_t accepted = 0, rejected = 0;
  for (size_t it = 0; it < Iterations(); ++it) {
    const EntitySchema& e = AnyEntity();
    std::string csv = SeedCsv(e, 1 + static_cast<int>(Pick(4)));
    MutateText(&csv);
    Result<ImportResult> r = ImportCsv(e, csv, SomeLimits());
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
      EXPECT_EQ(r.status().message().find(kMarker), std::string::npos);
      continue;
    }
    const size_t lines = static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')) + 1;
    CheckReport(e, *r, lines);
    accepted += r->rows.size();
    rejected += r->report.errors.size();
    if (HasFatalFailure()) return;
  }
  // The mutations exercise both outcomes.
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(rejected, 0u);
}

TEST_F(Fuzz, JsonImport) {
  size_t accepted = 0, rejected = 0, unparsable = 0;
  for (size_t it = 0; it < Iterations(); ++it) {
    const EntitySchema& e = AnyEntity();
    json doc = json::array();
    const size_t n = 1 + Pick(4);
    for (size_t k = 0; k < n; ++k) {
      json r = Seed(e);
      if (Pick(2) == 0) MutateRecord(e, &r);
      doc.push_back(std::move(r));
    }
    std::string text = doc.dump(Pick(2) == 0 ? -1 : 2, ' ', false, json::error_handler_t::replace);
    if (Pick(2) == 0) MutateText(&text);
    Result<ImportResult> r = ImportJson(e, text, SomeLimits());
    if (!r.ok()) {
      ++unparsable;
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
      EXPECT_EQ(r.status().message().find(kMarker), std::string::npos) << r.status().message();
      continue;
    }
    CheckReport(e, *r, r->report.rows + 1);  // + 1: the row over max_rows
    accepted += r->rows.size();
    rejected += r->report.errors.size();
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(rejected, 0u);
  EXPECT_GT(unparsable, 0u);
}

TEST_F(Fuzz, ValidatorModes) {
  for (size_t it = 0; it < Iterations(); ++it) {
    const EntitySchema& e = AnyEntity();
    json body = Seed(e);
    MutateRecord(e, &body);
    for (Mode mode : {Mode::kCreate, Mode::kReplace, Mode::kPatch}) {
      Validation v = CheckRecord(e, body, mode);
      for (const FieldError& err : v.errors) {
        EXPECT_EQ(err.ToString().find(kMarker), std::string::npos) << err.ToString();
      }
      if (!v.ok()) continue;
      if (mode == Mode::kPatch) {
        EXPECT_EQ(SchemaViolations(EntityJsonSchema(e, Mode::kPatch), v.record),
                  std::vector<std::string>{});
        Result<json> merged = ApplyPatch(e, ExampleRecord(e), body);
        if (merged.ok()) CheckAccepted(e, *merged);
      } else {
        CheckAccepted(e, v.record);
      }
    }
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace custos::records
