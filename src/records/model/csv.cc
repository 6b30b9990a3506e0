#include "records/model/csv.h"

namespace custos::records {

CsvReader::CsvReader(std::string_view text, CsvLimits limits) : text_(text), limits_(limits) {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = line_start_ = 3;
}

bool CsvReader::Fail(size_t line, std::string reason) {
  error_ = CsvError{line, std::move(reason)};
  return false;
}

bool CsvReader::EndLine() {
  // The finished line, without its LF or CRLF.
  size_t length = pos_ - line_start_ - 1;
  if (length > 0 && text_[pos_ - 2] == '\r') --length;
  if (length > limits_.max_line_bytes) {
    return Fail(line_, "line is longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
  }
  ++line_;
  line_start_ = pos_;
  return true;
}

bool CsvReader::ReadQuoted(std::string* cell) {
  const size_t start_line = line_;
  ++pos_;  // opening quote
  while (true) {
    if (pos_ >= text_.size()) {
      return Fail(start_line, "quoted field starting on this line is never closed");
    }
    const char c = text_[pos_];
    if (c == '"') {
      if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
        cell->push_back('"');
        pos_ += 2;
        continue;
      }
      ++pos_;
      break;
    }
    cell->push_back(c);
    ++pos_;
    if (c == '\n' && !EndLine()) return false;
  }
  if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
    return Fail(line_,
                "unexpected character after a closing quote (a quote inside a quoted field "
                "must be doubled)");
  }
  return true;
}

bool CsvReader::ReadUnquoted(std::string* cell) {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == ',' || c == '\n' || c == '\r') break;
    if (c == '"') {
      return Fail(line_,
                  "quote inside an unquoted field (quote the whole field and double the "
                  "inner quote)");
    }
    cell->push_back(c);
    ++pos_;
  }
  return true;
}

bool CsvReader::Next(CsvRecord* out) {
  if (error_) return false;
  // Skip physically blank lines.
  while (pos_ < text_.size()) {
    if (text_[pos_] == '\n') {
      ++pos_;
    } else if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') {
      pos_ += 2;
    } else {
      break;
    }
    if (!EndLine()) return false;
  }
  if (pos_ >= text_.size()) return false;
  out->line = line_;
  out->cells.clear();
  while (true) {
    std::string cell;
    const bool ok =
        pos_ < text_.size() && text_[pos_] == '"' ? ReadQuoted(&cell) : ReadUnquoted(&cell);
    if (!ok) return false;
    out->cells.push_back(std::move(cell));
    if (pos_ >= text_.size()) {
      // Last record without a final line break.
      if (pos_ - line_start_ > limits_.max_line_bytes) {
        return Fail(line_,
                    "line is longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
      }
      return true;
    }
    const char c = text_[pos_];
    if (c == ',') {
      ++pos_;
      continue;
    }
    if (c == '\r') {
      if (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '\n') {
        return Fail(line_, "carriage return not followed by a line feed outside quotes");
      }
      ++pos_;
    }
    ++pos_;  // the LF
    return EndLine();
  }
}

}  // namespace custos::records
