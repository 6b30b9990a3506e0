#include "records/model/csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace custos::records {
namespace {

struct Parsed {
  std::vector<CsvRecord> records;
  std::optional<CsvError> error;
};

Parsed ParseAll(std::string_view text, CsvLimits limits = {}) {
  Parsed p;
  CsvReader r(text, limits);
  CsvRecord rec;
  while (r.Next(&rec)) p.records.push_back(rec);
  p.error = r.error();
  return p;
}

using Cells = std::vector<std::string>;

TEST(Csv, Rfc4180Basics) {
  Parsed p = ParseAll("a,b,c\r\n1,\"two, too\",\"say \"\"hi\"\"\"\r\n,,\r\n");
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[0].cells, (Cells{"a", "b", "c"}));
  EXPECT_EQ(p.records[1].cells, (Cells{"1", "two, too", "say \"hi\""}));
  EXPECT_EQ(p.records[2].cells, (Cells{"", "", ""}));
  EXPECT_EQ(p.records[2].line, 3u);
}

TEST(Csv, EmbeddedNewlinesKeepPhysicalLineNumbers) {
  Parsed p = ParseAll("h1,h2\n\"multi\nline\r\nvalue\",x\nlast,row");
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[1].line, 2u);
  EXPECT_EQ(p.records[1].cells[0], "multi\nline\r\nvalue");
  EXPECT_EQ(p.records[2].line, 5u);  // after the three physical lines of record 2
  EXPECT_EQ(p.records[2].cells, (Cells{"last", "row"}));
}

TEST(Csv, BomAndBlankLines) {
  Parsed p = ParseAll("\xEF\xBB\xBFh\n\n1\r\n\r\n2\n\n");
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[0].cells, (Cells{"h"}));
  EXPECT_EQ(p.records[1].line, 3u);
  EXPECT_EQ(p.records[2].line, 5u);
  EXPECT_EQ(p.records[2].cells, (Cells{"2"}));
}

TEST(Csv, QuotedEmptyIsARecord) {
  Parsed p = ParseAll("h\n\"\"\n");
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[1].cells, (Cells{""}));
}

TEST(Csv, UnterminatedQuoteNamesItsStartLine) {
  Parsed p = ParseAll("h1,h2\nok,1\n\"never closed,2\nmore\nlines\n");
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->line, 3u);
  EXPECT_EQ(p.error->reason, "quoted field starting on this line is never closed");
  EXPECT_EQ(p.records.size(), 2u);
}

TEST(Csv, StrayQuotesAndCarriageReturns) {
  Parsed p = ParseAll("h\nab\"c\n");
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->line, 2u);
  EXPECT_NE(p.error->reason.find("quote inside an unquoted field"), std::string::npos);
  p = ParseAll("h\n\"ab\"c\n");
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->line, 2u);
  EXPECT_NE(p.error->reason.find("after a closing quote"), std::string::npos);
  p = ParseAll("h\nx\ry\n");
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->line, 2u);
}

TEST(Csv, LineLengthLimit) {
  CsvLimits limits{.max_line_bytes = 10};
  EXPECT_FALSE(ParseAll("h\n0123456789\r\nx", limits).error);  // exactly 10, CRLF not counted
  Parsed p = ParseAll("h\nshort\n01234567890\nx\n", limits);
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->line, 3u);
  EXPECT_EQ(p.error->reason, "line is longer than 10 bytes");
  p = ParseAll("h\n01234567890", limits);  // last line, no line break
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->line, 2u);
  p = ParseAll("h\n\"0123\n012345678901\n\"", limits);  // inside quotes
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->line, 3u);
}

}  // namespace
}  // namespace custos::records
