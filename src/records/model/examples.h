// Example records: one valid, fictional record per entity.
//
// Used as the OpenAPI "example" of each entity, in the documentation, and as
// the seed of tests. Every example passes ValidateRecord(..., Mode::kCreate)
// and is already canonical (a unit test holds both). Reference fields hold
// made-up ids. Safe from any thread.
#pragma once

#include <nlohmann/json.hpp>

#include "records/model/schema.h"

namespace custos::records {

// The example for `entity`; an empty object for an entity built outside the
// table.
nlohmann::json ExampleRecord(const EntitySchema& entity);

}  // namespace custos::records
