#include "server/access.h"

#include "records/keystore.h"

namespace custos::server {

using records::EntitySchema;
using records::ListQuery;

Result<bool> OwnerCheck::AssessesEnrollment(std::string_view enrollment_id) {
  if (caller_.role != Role::kAssessor || enrollment_id.empty()) return false;
  if (auto it = enrollment_cache_.find(enrollment_id); it != enrollment_cache_.end()) {
    return it->second;
  }
  ListQuery q;
  q.equals.push_back({"enrollment_id", std::string(enrollment_id)});
  q.equals.push_back({"assessor", caller_.assessor});
  q.limit = 1;
  ASSIGN_OR_RETURN(records::ListPage page, store_.List("assessment", q));
  bool yes = !page.records.empty();
  enrollment_cache_.emplace(std::string(enrollment_id), yes);
  return yes;
}

Result<bool> OwnerCheck::AssessesTrainee(std::string_view trainee_id) {
  if (caller_.role != Role::kAssessor) return false;
  ListQuery q;
  q.equals.push_back({"trainee_id", std::string(trainee_id)});
  q.limit = 1000;
  for (;;) {
    ASSIGN_OR_RETURN(records::ListPage page, store_.List("enrollment", q));
    for (const records::Record& e : page.records) {
      ASSIGN_OR_RETURN(bool yes, AssessesEnrollment(e.id));
      if (yes) return true;
    }
    if (page.next_cursor.empty()) return false;
    q.cursor = page.next_cursor;
  }
}

Result<bool> OwnerCheck::EnrollmentOf(const nlohmann::json& data) {
  auto it = data.find("enrollment_id");
  if (it == data.end() || !it->is_string()) return false;
  return AssessesEnrollment(it->get_ref<const std::string&>());
}

Result<bool> OwnerCheck::MayReadData(const EntitySchema& entity, std::string_view id,
                                     std::string_view subject_id, const nlohmann::json& data) {
  switch (caller_.role) {
    case Role::kAdmin:
    case Role::kRegistrar:
    case Role::kAuditor:
      return true;
    case Role::kTrainee:
      return !caller_.trainee.empty() && subject_id == caller_.trainee &&
             subject_id != records::kInstitutionSubject;
    case Role::kAssessor:
      break;
  }
  const std::string_view name = entity.name;
  if (name == "programme") return true;
  if (name == "enrollment") return AssessesEnrollment(id);
  if (name == "trainee") return AssessesTrainee(id);
  if (name == "assessment" || name == "attendance" || name == "certification" ||
      name == "evidence") {
    return EnrollmentOf(data);
  }
  return false;
}

Result<bool> OwnerCheck::MayRead(const records::Record& rec) {
  const EntitySchema* e = records::FindEntity(rec.entity);
  if (e == nullptr) return false;
  if (caller_.role == Role::kTrainee) return MayReadData(*e, rec.id, rec.subject_id, {});
  if (caller_.role != Role::kAssessor) return true;
  nlohmann::json data = nlohmann::json::parse(rec.data, nullptr, false);
  if (data.is_discarded()) return false;
  return MayReadData(*e, rec.id, rec.subject_id, data);
}

Result<bool> OwnerCheck::MayWrite(const EntitySchema& entity, const nlohmann::json* before,
                                  const nlohmann::json* after) {
  if (caller_.role == Role::kAdmin || caller_.role == Role::kRegistrar) return true;
  if (caller_.role != Role::kAssessor || !entity.assessor_may_write) return false;
  const bool names_assessor = entity.name == "assessment";
  for (const nlohmann::json* side : {before, after}) {
    if (side == nullptr) continue;
    if (names_assessor) {
      auto it = side->find("assessor");
      if (it == side->end() || !it->is_string() ||
          it->get_ref<const std::string&>() != caller_.assessor) {
        return false;
      }
    }
    ASSIGN_OR_RETURN(bool mine, EnrollmentOf(*side));
    if (!mine) return false;
  }
  return before != nullptr || after != nullptr;
}

}  // namespace custos::server
