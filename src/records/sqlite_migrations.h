// Schema migrations for the SQLite records store.
//
// Migrations are versioned SQL files (src/records/migrations/NNNN_name.sql)
// embedded into the binary at build time. ApplyMigrations runs each one not
// yet applied, in version order, in a transaction of its own, and records its
// version, name and SHA-256 in `schema_migrations`.
//
// Errors
// - Corruption: an applied migration's SHA-256 differs from the embedded file
//   (someone edited a migration after release; the schema is not what the
//   code expects), or the version sequence has a gap.
// - Unsupported: the database holds a migration this binary does not know
//   (it was written by a newer Custos).
// - anything from SQLite when a migration's SQL fails (the failed migration is
//   rolled back; earlier ones stay applied).
#pragma once

#include <span>

#include "base/result.h"

namespace custos::records {

class Connection;

struct Migration {
  int version;
  const char* name;  // "0001_initial"
  const char* sql;
};

// The migrations compiled into this binary, in version order.
std::span<const Migration> EmbeddedMigrations();

// Returns the number of migrations applied by this call.
Result<int> ApplyMigrations(Connection& conn, std::span<const Migration> migrations);

}  // namespace custos::records
