// Catalogue: what a vault remembers about backup actions done outside it,
// such as Amazon RDS snapshots (ARCHITECTURE §3.4).
//
// Each entry is one sealed object "catalogue/<sha256>" (ObjectType::kCatalogue)
// holding JSON {"kind", "time", "data"}; entries are immutable like every
// other vault object. `data` is free-form per kind and must hold no secrets
// or personal data.
//
// Errors: those of Vault::SaveObject / LoadObject; ListCatalogue names a
// damaged entry in *damaged (or fails when damaged is null).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vault/vault.h"

namespace custos {

struct CatalogueEntry {
  std::string name;  // "catalogue/<sha256>"
  std::string kind;  // "rds-snapshot"
  int64_t time_ns = 0;
  nlohmann::json data;
};

Result<std::string> AddCatalogueEntry(Vault& v, const std::string& kind, const nlohmann::json& data);

// Entries of `kind` (all kinds when empty), oldest first.
Result<std::vector<CatalogueEntry>> ListCatalogue(Vault& v, const std::string& kind,
                                                  std::vector<std::string>* damaged = nullptr);

}  // namespace custos
