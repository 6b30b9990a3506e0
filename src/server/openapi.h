// The OpenAPI 3.0 document of the API, generated from the route table
// (routes.h) and the records model's JSON Schemas, so the published API
// cannot drift from what the server answers.
//
// Contract: BuildOpenApi() returns the document with one operation per route
// (operationId = route id), its summary, the roles allowed (x-custos-roles
// and the description), request body schema, parameters and responses with
// the shared error schema. Built once and cached; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace custos::server {

const nlohmann::json& OpenApiDocument();
// The document as compact JSON text (served at /api/v1/openapi.json).
const std::string& OpenApiText();

}  // namespace custos::server
