// Demo data for `custos serve --demo`: a small, fictional training provider
// (employers, programmes, trainees, enrollments, assessments, attendance and
// a certification), written through the store like any other change, so it
// is journaled and audited. The assessor of the demo assessments is
// kDemoAssessor. Thread-safe as the store is; errors are the store's.
#pragma once

#include <string_view>

#include "base/status.h"
#include "records/store.h"

namespace custos::server {

inline constexpr std::string_view kDemoAssessor = "Pat Assessor";

Status LoadDemoData(records::RecordsStore& store);

}  // namespace custos::server
