#include "records/model/markdown.h"

#include <cmath>
#include <cstdint>

#include "records/model/schema.h"

namespace custos::records {
namespace {

// Escapes the characters that would break a Markdown table cell.
std::string Cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out.push_back(c);
  }
  return out;
}

std::string Number(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  return std::to_string(v);
}

std::string TypeText(const FieldSpec& f) {
  switch (f.type) {
    case FieldType::kReference:
      return "reference → " + std::string(f.ref_entity);
    case FieldType::kDateTime:
      return "datetime (RFC 3339)";
    case FieldType::kDate:
      return "date (YYYY-MM-DD)";
    default:
      return std::string(FieldTypeName(f.type));
  }
}

std::string Constraints(const FieldSpec& f) {
  std::string c;
  auto add = [&c](const std::string& s) {
    if (!c.empty()) c += "; ";
    c += s;
  };
  const bool stringy = f.type == FieldType::kString;
  if (stringy) add(std::to_string(f.min_length) + "–" + std::to_string(f.max_length) + " chars");
  if (stringy && f.multiline) add("multi-line");
  if (f.minimum || f.maximum) {
    add((f.minimum ? Number(*f.minimum) : "") + ".." + (f.maximum ? Number(*f.maximum) : ""));
  }
  if (!f.enum_values.empty()) {
    std::string values;
    for (std::string_view v : f.enum_values)
      values += (values.empty() ? "`" : ", `") + std::string(v) + "`";
    add("one of " + values);
  }
  if (!f.pattern.empty()) add("pattern `" + std::string(f.pattern) + "`");
  if (f.check == FieldCheck::kEmail) add("e-mail address");
  if (f.check == FieldCheck::kUln) add("ULN check digit");
  switch (f.normalize) {
    case Normalize::kUpper:
      add("stored upper-case");
      break;
    case Normalize::kUpperNoSpaces:
      add("stored upper-case, spaces removed");
      break;
    case Normalize::kLower:
      add("stored lower-case");
      break;
    case Normalize::kTrim:
      break;
  }
  if (f.unique) add("unique");
  return c;
}

std::string SubjectText(const EntitySchema& e) {
  switch (e.subject.kind) {
    case SubjectRule::Kind::kSelf:
      return "the record is the trainee";
    case SubjectRule::Kind::kField:
      return "the trainee named by `" + std::string(e.subject.field) + "`";
    case SubjectRule::Kind::kVia:
      return "the trainee of the " + std::string(e.subject.entity) + " named by `" +
             std::string(e.subject.field) + "`";
    case SubjectRule::Kind::kInstitution:
      return "the institution (no trainee)";
  }
  return {};
}

}  // namespace

std::string RecordsModelMarkdown() {
  std::string md;
  for (const EntitySchema& e : AllEntities()) {
    md += "### " + std::string(e.name) + "\n\n";
    md += std::string(e.description) + ".\n\n";
    md += "- URL: `/" + std::string(e.plural) + "`\n";
    md += "- Belongs to: " + SubjectText(e) + "\n";
    md += std::string("- Written by: registrar, admin") +
          (e.assessor_may_write ? ", assessor" : "") + "\n";
    for (const DateOrder& o : e.date_orders) {
      md += "- Rule: `" + std::string(o.earlier) + "` ≤ `" + std::string(o.later) +
            "` when both are set\n";
    }
    md += "\n| field | type | required | personal | constraints | description |\n";
    md += "|---|---|---|---|---|---|\n";
    for (const FieldSpec& f : e.fields) {
      md += "| `" + std::string(f.name) + "` | " + Cell(TypeText(f)) + " | " +
            (f.required ? "yes" : "no") + " | " + (f.personal ? "yes" : "no") + " | " +
            Cell(Constraints(f)) + " | " + Cell(f.description) + " |\n";
    }
    md += "\n";
  }
  md += "### server fields (every entity)\n\n";
  md += "| field | type | description |\n|---|---|---|\n";
  for (const ServerField& f : ServerFields()) {
    md += "| `" + std::string(f.name) + "` | " + std::string(FieldTypeName(f.type)) + " | " +
          Cell(f.description) + " |\n";
  }
  return md;
}

}  // namespace custos::records
