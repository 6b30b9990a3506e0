// An RFC 4180 CSV reader over text held in memory.
//
// Contract
// - Fields are separated by ',' and records by CRLF or LF. A field that
//   starts with '"' is quoted: it may hold ',', line breaks and '""' (one
//   quote), and must be followed by ',', a line break or the end. A quote
//   inside an unquoted field, a CR not followed by LF outside quotes, an
//   unterminated quoted field and a physical line longer than
//   CsvLimits::max_line_bytes are errors; the reader stops at the first one.
// - A UTF-8 byte order mark at the very start is skipped. Physically blank
//   lines are skipped. The last record need not end with a line break.
// - Every record carries the 1-based physical line where it starts; lines are
//   counted by LF, including those inside quoted fields.
// - Error reasons never contain input text.
// - Not thread-safe; one reader per thread. The text must outlive the reader.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace custos::records {

struct CsvLimits {
  size_t max_line_bytes = size_t{1} << 20;
};

struct CsvRecord {
  size_t line = 0;
  std::vector<std::string> cells;
};

struct CsvError {
  size_t line = 0;
  std::string reason;
};

class CsvReader {
 public:
  explicit CsvReader(std::string_view text, CsvLimits limits = {});
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into *out. Returns false at the end of the input
  // or on an error (then error() says which line and why).
  bool Next(CsvRecord* out);
  const std::optional<CsvError>& error() const { return error_; }

 private:
  bool Fail(size_t line, std::string reason);
  // Called after consuming an LF: checks the finished line's length.
  bool EndLine();
  bool ReadQuoted(std::string* cell);
  bool ReadUnquoted(std::string* cell);

  std::string_view text_;
  CsvLimits limits_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t line_start_ = 0;
  std::optional<CsvError> error_;
};

}  // namespace custos::records
