// Example records: one valid, fictional record per entity.
//
// Used as the OpenAPI "example" of each entity, in the documentation, and as
// the seed of tests. Every example passes ValidateRecord(..., Mode::kCreate)
// and is already canonical (a unit test holds both). Reference fields hold
// made-up ids. Safe from any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "records/model/schema.h"

namespace custos::records {

// The example for `entity`; an empty object for an entity built outside the
// table.
nlohmann::json ExampleRecord(const EntitySchema& entity);

// The example with its unique fields (FieldSpec::unique) numbered, so that
// records made from different n (below 10^8) can live side by side: a
// trainee's ULN is NumberedUln(n), an employer's company number is n as
// eight digits. n = 0 keeps the example's values.
nlohmann::json NumberedExampleRecord(const EntitySchema& entity, uint32_t n);

// A valid ULN (modulus-11 check digit) that is different for every n below
// 10^8: "9", n as eight digits and the check digit, or "8", n and "9" where
// no check digit fits after a 9.
std::string NumberedUln(uint32_t n);

}  // namespace custos::records
