// Own-record rules: what the "own" cells of the role matrix (routes.h) mean
// for a caller bound to a trainee or to an assessor name.
//
// Contract
// - Trainee tokens are bound to a trainee record id: their own records are
//   the records whose subject is that trainee (the trainee record itself and
//   everything linked to it).
// - Assessor tokens are bound to a name. An assessor assesses an enrollment
//   when an assessment of that enrollment names them in its "assessor" field
//   (the enrollment entity has no assessor field, so a registrar assigns an
//   assessor by creating the first, planned assessment). They may read those
//   enrollments, their trainees, and the assessments, attendance,
//   certifications and evidence (through enrollment_id) of those enrollments;
//   they may write assessments and attendance of those enrollments, and an
//   assessment they write must name them before and after the change.
// - Thread-safety: an OwnerCheck is used by one request on one thread; it
//   caches lookups for that request only. The store must outlive it.
// - Errors: whatever the store returns for the lookups.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "records/store.h"
#include "server/auth.h"

namespace custos::server {

class OwnerCheck {
 public:
  OwnerCheck(records::RecordsStore& store, const TokenInfo& caller)
      : store_(store), caller_(caller) {}

  // May the caller read this stored record?
  Result<bool> MayRead(const records::Record& rec);
  // May the caller read a record of `entity` with this canonical data and id?
  Result<bool> MayReadData(const records::EntitySchema& entity, std::string_view id,
                           std::string_view subject_id, const nlohmann::json& data);
  // May the caller write `entity` going from `before` (nullptr for a create)
  // to `after` (nullptr for a delete)? Both are canonical record data.
  Result<bool> MayWrite(const records::EntitySchema& entity, const nlohmann::json* before,
                        const nlohmann::json* after);
  // Does the bound assessor assess this enrollment?
  Result<bool> AssessesEnrollment(std::string_view enrollment_id);
  // Does the bound assessor assess some enrollment of this trainee?
  Result<bool> AssessesTrainee(std::string_view trainee_id);

 private:
  Result<bool> EnrollmentOf(const nlohmann::json& data);

  records::RecordsStore& store_;
  const TokenInfo& caller_;
  std::map<std::string, bool, std::less<>> enrollment_cache_;
};

}  // namespace custos::server
