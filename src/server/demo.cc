#include "server/demo.h"

#include <string>
#include <vector>

#include "records/model/examples.h"

namespace custos::server {
namespace {

using nlohmann::json;

json Example(std::string_view entity) {
  return records::ExampleRecord(*records::FindEntity(entity));
}

}  // namespace

Status LoadDemoData(records::RecordsStore& store) {
  const records::Actor actor{"demo-loader", "system"};
  const std::string reason = "demo data";
  auto create = [&](std::string_view entity, const json& body) -> Result<std::string> {
    ASSIGN_OR_RETURN(records::Record r, store.Create(actor, entity, body, reason));
    return r.id;
  };

  std::vector<std::string> employers;
  const char* employer_names[] = {"Northfield Engineering Ltd", "Harbour Digital Ltd"};
  for (int i = 0; i < 2; ++i) {
    json e = Example("employer");
    e["name"] = employer_names[i];
    e["company_number"] = "0123456" + std::to_string(i);
    e["ern"] = "123/AB45" + std::to_string(i);
    ASSIGN_OR_RETURN(std::string id, create("employer", e));
    employers.push_back(id);
  }
  std::vector<std::string> programmes;
  const char* titles[] = {"Software developer", "Engineering technician"};
  const char* codes[] = {"ST0116", "ST0457"};
  for (int i = 0; i < 2; ++i) {
    json p = Example("programme");
    p["title"] = titles[i];
    p["standard_code"] = codes[i];
    ASSIGN_OR_RETURN(std::string id, create("programme", p));
    programmes.push_back(id);
  }
  const char* given[] = {"Alex", "Sam", "Jordan", "Casey"};
  const char* family[] = {"Example", "Sample", "Demo", "Placeholder"};
  std::vector<std::string> enrollments;
  for (int i = 0; i < 4; ++i) {
    json t = records::NumberedExampleRecord(*records::FindEntity("trainee"),
                                            static_cast<uint32_t>(1000 + i));
    t["given_name"] = given[i];
    t["family_name"] = family[i];
    t["email"] = std::string(given[i]) + "." + family[i] + "@example.org";
    t["employer_id"] = employers[i % 2];
    t.erase("national_insurance_number");
    ASSIGN_OR_RETURN(std::string trainee, create("trainee", t));
    json en = Example("enrollment");
    en["trainee_id"] = trainee;
    en["programme_id"] = programmes[i % 2];
    en["employer_id"] = employers[i % 2];
    ASSIGN_OR_RETURN(std::string enrollment, create("enrollment", en));
    enrollments.push_back(enrollment);
    json a = Example("assessment");
    a["enrollment_id"] = enrollment;
    a["type"] = "on_programme";
    a["assessor"] = std::string(kDemoAssessor);
    a["date"] = "2025-03-1" + std::to_string(i);
    a.erase("outcome");
    a.erase("grade");
    a.erase("score");
    RETURN_IF_ERROR(create("assessment", a).status());
    for (int d = 0; d < 3; ++d) {
      json at = Example("attendance");
      at["enrollment_id"] = enrollment;
      at["session_date"] = "2024-10-0" + std::to_string(7 + d % 3);
      at["status"] = d == 1 ? "late" : "present";
      at.erase("note");
      RETURN_IF_ERROR(create("attendance", at).status());
    }
  }
  json c = Example("certification");
  c["enrollment_id"] = enrollments[0];
  RETURN_IF_ERROR(create("certification", c).status());
  return Status::OK();
}

}  // namespace custos::server
