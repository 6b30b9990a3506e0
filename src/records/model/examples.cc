#include "records/model/examples.h"

namespace custos::records {

nlohmann::json ExampleRecord(const EntitySchema& entity) {
  using nlohmann::json;
  const std::string_view n = entity.name;
  if (n == "trainee") {
    return json{{"uln", "9276308686"},
                {"given_name", "Alex"},
                {"family_name", "Example"},
                {"date_of_birth", "2004-02-29"},
                {"email", "alex.example@example.org"},
                {"phone", "+44 20 7946 0000"},
                {"postcode", "SW1A 1AA"},
                {"national_insurance_number", "AB123456C"},
                {"employer_id", "emp-0001"},
                {"status", "active"}};
  }
  if (n == "employer") {
    return json{{"name", "Example Engineering Ltd"},
                {"company_number", "01234567"},
                {"ern", "123/AB456"},
                {"address", "1 Example Street\nExampletown"},
                {"postcode", "EX1 1AA"},
                {"contact_name", "Sam Contact"},
                {"contact_email", "sam.contact@example.com"},
                {"contact_phone", "01632 960000"},
                {"levy_payer", true}};
  }
  if (n == "programme") {
    return json{{"standard_code", "ST0116"},
                {"standard_version", "1.1"},
                {"title", "Software developer"},
                {"level", 4},
                {"awarding_body", "Example EPAO"},
                {"funding_band_pence", 1800000},
                {"duration_months", 24}};
  }
  if (n == "enrollment") {
    return json{{"trainee_id", "trn-0001"},           {"programme_id", "prg-0001"},
                {"employer_id", "emp-0001"},          {"start_date", "2024-09-02"},
                {"planned_end_date", "2026-08-31"},   {"status", "active"},
                {"off_the_job_hours_planned", 374.5}, {"off_the_job_hours_actual", 120}};
  }
  if (n == "assessment") {
    return json{{"enrollment_id", "enr-0001"},
                {"type", "end_point"},
                {"assessor", "Pat Assessor"},
                {"date", "2026-07-15"},
                {"outcome", "merit"},
                {"grade", "Merit"},
                {"score", 72.5},
                {"notes", "Project presentation and professional discussion."}};
  }
  if (n == "certification") {
    return json{{"enrollment_id", "enr-0001"},
                {"awarding_body", "Example EPAO"},
                {"certificate_number", "CERT-2026-000123"},
                {"issued_date", "2026-08-20"},
                {"result", "merit"},
                {"grade", "Merit"}};
  }
  if (n == "attendance") {
    return json{{"enrollment_id", "enr-0001"},
                {"session_date", "2024-10-07"},
                {"status", "late"},
                {"minutes", 330},
                {"note", "Train delayed"}};
  }
  if (n == "evidence") {
    return json{
        {"trainee_id", "trn-0001"},
        {"enrollment_id", "enr-0001"},
        {"title", "Workplace project report"},
        {"kind", "work_product"},
        {"document_sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
        {"media_type", "application/pdf"},
        {"size_bytes", 482133},
        {"captured_at", "2025-03-14T09:30:00Z"},
        {"description", "Report on the team's deployment pipeline."}};
  }
  return json::object();
}

std::string NumberedUln(uint32_t n) {
  // 9, then n as eight digits, then the check digit. Where no digit fits
  // (the weighted sum leaves 10), the first digit 8 takes 10 off the sum
  // and the check digit 9 fits.
  std::string digits = std::to_string(n % 100000000);
  std::string uln = "9" + std::string(8 - digits.size(), '0') + digits;
  int sum = 0;
  for (size_t i = 0; i < 9; ++i) sum += (uln[i] - '0') * static_cast<int>(10 - i);
  const int d = (10 - sum % 11 + 11) % 11;
  if (d > 9) return "8" + uln.substr(1) + "9";
  return uln + static_cast<char>('0' + d);
}

nlohmann::json NumberedExampleRecord(const EntitySchema& entity, uint32_t n) {
  nlohmann::json r = ExampleRecord(entity);
  if (n == 0) return r;
  if (r.contains("uln")) r["uln"] = NumberedUln(n);
  if (r.contains("company_number")) {
    std::string digits = std::to_string(n);
    r["company_number"] = std::string(digits.size() < 8 ? 8 - digits.size() : 0, '0') + digits;
  }
  return r;
}

}  // namespace custos::records
