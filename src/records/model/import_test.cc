#include "records/model/import.h"

#include <gtest/gtest.h>

#include <string>

#include "records/model/examples.h"

namespace custos::records {
namespace {

using nlohmann::json;

const EntitySchema& Entity(std::string_view name) { return *FindEntity(name); }

std::vector<std::string> ErrorStrings(const ImportResult& r) {
  std::vector<std::string> out;
  for (const RowError& e : r.report.errors) out.push_back(e.ToString(r.report.line_kind));
  return out;
}

constexpr std::string_view kTraineeHeader =
    "uln,given_name,family_name,date_of_birth,email,status,phone\r\n";

TEST(ImportCsv, ValidRowsBecomeCanonicalRecords) {
  std::string csv(kTraineeHeader);
  csv += "9276308686, Alex ,Example,2004-02-29,alex@example.org,active,\r\n";
  csv +=
      "1234567899,\"Jo, Jr\",\"O\"\"Neill\",1999-12-31,JO@EXAMPLE.ORG,completed,01632 960001\r\n";
  Result<ImportResult> r = ImportCsv(Entity("trainee"), csv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->ok()) << testing::PrintToString(ErrorStrings(*r));
  EXPECT_EQ(r->report.rows, 2u);
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[0].line, 2u);
  EXPECT_EQ(r->rows[0].record, (json{{"uln", "9276308686"},
                                     {"given_name", "Alex"},
                                     {"family_name", "Example"},
                                     {"date_of_birth", "2004-02-29"},
                                     {"email", "alex@example.org"},
                                     {"status", "active"}}));
  EXPECT_EQ(r->rows[1].line, 3u);
  EXPECT_EQ(r->rows[1].record["given_name"], "Jo, Jr");
  EXPECT_EQ(r->rows[1].record["family_name"], "O\"Neill");
  EXPECT_EQ(r->rows[1].record["email"], "JO@example.org");
  EXPECT_EQ(r->rows[1].record["phone"], "01632 960001");
}

TEST(ImportCsv, TypedCellsAreConvertedStrictly) {
  const FieldSpec& level = *Entity("programme").FindField("level");
  EXPECT_EQ(*CellToJson(level, " 4 "), json(4));
  EXPECT_EQ(*CellToJson(level, "+4"), json(4));
  EXPECT_EQ(*CellToJson(level, "-4"), json(-4));
  EXPECT_TRUE(CellToJson(level, "")->is_null());
  EXPECT_TRUE(CellToJson(level, "  ")->is_null());
  for (std::string_view bad : {"4.0", "4x", "four", "0x10", "+-4", "-", "1 000"}) {
    Result<json> r = CellToJson(level, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(), "field \"level\": not an integer");
  }
  EXPECT_EQ(CellToJson(level, "99999999999999999999").status().message(),
            "field \"level\": is out of range");
  const FieldSpec& score = *Entity("assessment").FindField("score");
  EXPECT_EQ(*CellToJson(score, "72.5"), json(72.5));
  EXPECT_EQ(*CellToJson(score, "1e2"), json(100.0));
  for (std::string_view bad : {"72,5", "nan", "inf", ".5", "5.", "1e", "0x1p3"}) {
    EXPECT_FALSE(CellToJson(score, bad).ok()) << bad;
  }
  const FieldSpec& levy = *Entity("employer").FindField("levy_payer");
  EXPECT_EQ(*CellToJson(levy, "TRUE"), json(true));
  EXPECT_EQ(*CellToJson(levy, "1"), json(true));
  EXPECT_EQ(*CellToJson(levy, "False"), json(false));
  EXPECT_EQ(*CellToJson(levy, "0"), json(false));
  EXPECT_EQ(CellToJson(levy, "yes").status().message(),
            "field \"levy_payer\": must be true, false, 1 or 0");
}

TEST(ImportCsv, HeaderProblemsStopBeforeAnyRow) {
  Result<ImportResult> r =
      ImportCsv(Entity("programme"),
                "standard_code,title,title,colour,id,standrd_code\nST0116,x,x,red,p1,x\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->rows.empty());
  EXPECT_EQ(r->report.rows, 0u);
  EXPECT_EQ(ErrorStrings(*r),
            (std::vector<std::string>{
                "line 1: column 3 \"title\": appears twice in the header",
                "line 1: column 4: unknown column for programme",
                "line 1: column 5 \"id\": is set by the server and cannot be imported",
                "line 1: column 6: unknown column for programme (did you mean "
                "\"standard_code\"?)",
                "line 1: field \"level\": is required but has no column",
                "line 1: field \"duration_months\": is required but has no column"}));
  EXPECT_FALSE(ImportCsv(Entity("programme"), "").ok());
  EXPECT_FALSE(ImportCsv(Entity("programme"), "\xEF\xBB\xBF\r\n\r\n").ok());
}

TEST(ImportCsv, AMissingHeaderIsNotEchoed) {
  Result<ImportResult> r =
      ImportCsv(Entity("trainee"), "9276308686,Alex,Example,2004-02-29,alex@example.org,active\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ErrorStrings(*r),
            (std::vector<std::string>{"line 1: the first row names no field of trainee; a header "
                                      "row of field names is required"}));
  r = ImportCsv(Entity("trainee"),
                "uln,given_name,family_name,date_of_birth,email,status,"
                "Alex Example,alex@example.org\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ErrorStrings(*r),
            (std::vector<std::string>{"line 1: column 7: unknown column for trainee",
                                      "line 1: column 8: unknown column for trainee"}));
}

TEST(ImportCsv, RowErrorsNameLineAndFieldAndReadOn) {
  std::string csv =
      "standard_code,title,level,duration_months,funding_band_pence\n"
      "ST0116,Software developer,4,24,\n"     // line 2: fine
      "ST0117,\"Data\nanalyst\",9,24,100\n"   // line 3: two errors, record spans 2 lines
      "ST0118,Too few cells\n"                // line 5
      ",,,,\n"                                // line 6: empty, skipped
      "ST0119,Network engineer,four,x,1.5\n"  // line 7: three conversion errors
      "XX0001,Bad code,3,12,\n";              // line 8: pattern
  Result<ImportResult> r = ImportCsv(Entity("programme"), csv);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->report.rows, 5u);
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].line, 2u);
  EXPECT_EQ(r->rows[0].record["level"], 4);
  EXPECT_FALSE(r->rows[0].record.contains("funding_band_pence"));
  EXPECT_EQ(
      ErrorStrings(*r),
      (std::vector<std::string>{
          "line 3: field \"title\": contains a line break or control character",
          "line 3: field \"level\": must be at most 7", "line 5: row has 2 cells; the header has 5",
          "line 7: field \"level\": not an integer",
          "line 7: field \"duration_months\": not an integer",
          "line 7: field \"funding_band_pence\": not an integer",
          "line 8: field \"standard_code\": does not match the required format (ST "
          "followed by four digits)"}));
}

TEST(ImportCsv, MultilineCellsInMultilineFields) {
  std::string csv = "enrollment_id,session_date,status,minutes,note\r\n";
  csv += "enr-1,2024-10-07,absent,0,\"Called in sick.\r\nDoctor's note seen.\"\r\n";
  csv += "enr-1,2024-10-08,present,330,\r\n";
  Result<ImportResult> r = ImportCsv(Entity("attendance"), csv);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok()) << testing::PrintToString(ErrorStrings(*r));
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[0].record["note"], "Called in sick.\r\nDoctor's note seen.");
  EXPECT_EQ(r->rows[0].record["minutes"], 0);
  EXPECT_EQ(r->rows[1].line, 4u);
}

TEST(ImportCsv, MalformedCsvStopsWithTheLine) {
  std::string csv(kTraineeHeader);
  csv += "9276308686,Alex,Example,2004-02-29,alex@example.org,active,\n";
  csv += "1234567899,\"Unclosed,Example,2004-02-29,a@example.org,active,\n";
  Result<ImportResult> r = ImportCsv(Entity("trainee"), csv);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(
      ErrorStrings(*r),
      (std::vector<std::string>{"line 3: quoted field starting on this line is never closed"}));
  EXPECT_FALSE(r->ok());
}

TEST(ImportCsv, UniqueFieldsMustNotRepeatWithinTheImport) {
  std::string csv(kTraineeHeader);
  csv += "9276308686,A,B,2004-02-29,a@example.org,active,\n";
  csv += "1234567899,C,D,2004-02-29,c@example.org,active,\n";
  csv += " 9276308686 ,E,F,2004-02-29,e@example.org,active,\n";
  Result<ImportResult> r = ImportCsv(Entity("trainee"), csv);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ErrorStrings(*r),
            (std::vector<std::string>{"line 4: field \"uln\": same value as the row at line 2"}));
  EXPECT_EQ(r->rows.size(), 2u);
}

TEST(ImportCsv, ErrorsNeverContainCellContent) {
  std::string csv(kTraineeHeader);
  csv += "SecretUln,SecretName\x01,SecretFamily,Secret-date,Secret@,Secret,Secret-phone\n";
  csv += "Secret\"Quote\n";
  Result<ImportResult> r = ImportCsv(Entity("trainee"), csv);
  ASSERT_TRUE(r.ok());
  ASSERT_GE(r->report.errors.size(), 6u);
  for (const std::string& e : ErrorStrings(*r)) {
    EXPECT_EQ(e.find("Secret"), std::string::npos) << e;
  }
}

TEST(ImportCsv, Limits) {
  std::string csv = "standard_code,title,level,duration_months\n";
  for (int i = 0; i < 5; ++i) csv += "ST0116,T,4,24\n";
  Result<ImportResult> r = ImportCsv(Entity("programme"), csv, ImportLimits{.max_rows = 3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows.size(), 3u);
  EXPECT_EQ(
      ErrorStrings(*r),
      (std::vector<std::string>{"line 5: more than 3 rows; split the import into smaller files"}));
  Result<ImportResult> big = ImportCsv(Entity("programme"), csv, ImportLimits{.max_bytes = 20});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message(),
            "CSV input is " + std::to_string(csv.size()) + " bytes; the limit is 20");
  std::string bad = "standard_code,title,level,duration_months\n";
  for (int i = 0; i < 10; ++i) bad += "ST0116,T,1,24\n";
  r = ImportCsv(Entity("programme"), bad, ImportLimits{.max_errors = 4});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->report.errors.size(), 5u);
  EXPECT_EQ(r->report.errors.back().ToString(LineKind::kCsvLine),
            "line 6: more than 4 errors; stopped reading here");
  r = ImportCsv(Entity("programme"), csv, ImportLimits{.max_line_bytes = 8});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ErrorStrings(*r), (std::vector<std::string>{"line 1: line is longer than 8 bytes"}));
}

TEST(ImportJson, ArrayOfObjectsWithIndexes) {
  json doc = json::array();
  doc.push_back(ExampleRecord(Entity("attendance")));
  json bad = ExampleRecord(Entity("attendance"));
  bad["minutes"] = "330";
  doc.push_back(bad);
  doc.push_back(42);
  json extra = ExampleRecord(Entity("attendance"));
  extra["version"] = 2;
  doc.push_back(extra);
  Result<ImportResult> r = ImportJson(Entity("attendance"), doc.dump());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->report.line_kind, LineKind::kJsonIndex);
  EXPECT_EQ(r->report.rows, 4u);
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].line, 1u);
  EXPECT_EQ(r->rows[0].record, ExampleRecord(Entity("attendance")));
  EXPECT_EQ(ErrorStrings(*r),
            (std::vector<std::string>{
                "element 2: field \"minutes\": must be an integer, not a string",
                "element 3: element must be a JSON object",
                "element 4: field \"version\": is set by the server and cannot be written"}));
}

TEST(ImportJson, WholeInputErrors) {
  EXPECT_EQ(ImportJson(Entity("trainee"), "{}").status().message(),
            "JSON import must be an array of objects");
  EXPECT_EQ(ImportJson(Entity("trainee"), "[{\"uln\": }]").status().message(),
            "JSON syntax error at line 1, column 10");
  EXPECT_EQ(ImportJson(Entity("trainee"), "[{}, {\"a\":1,\"a\":2}]").status().message(),
            "JSON object has a key twice in element 2");
  Result<ImportResult> r = ImportJson(Entity("trainee"), "[1,2,3]", ImportLimits{.max_rows = 2});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->report.errors.back().ToString(LineKind::kJsonIndex),
            "element 3: more than 2 rows; split the import into smaller files");
}

}  // namespace
}  // namespace custos::records
