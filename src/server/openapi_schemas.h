// The OpenAPI component schemas of the API's answers that are not records:
// journal entries and histories, proofs, tokens, the role matrix and health.
// openapi.cc refers to them by name; the integration test validates real
// answers against them, so they must say exactly what the handlers send.
#pragma once

#include <nlohmann/json.hpp>

namespace custos::server {

// Named schemas, for components.schemas: LeafFields, JournalPayload,
// HistoryEntry, AuditEntry, InclusionProof, ConsistencyProof, Token,
// TokenCreated, TokenList, RoleMatrix, Health.
nlohmann::json ResponseSchemas();

}  // namespace custos::server
