#include "records/sqlite_migrations.h"

#include <map>
#include <string>

#include "base/bytes.h"
#include "crypto/hash.h"
#include "records/migrations_embedded.h"
#include "records/sqlite_db.h"

namespace custos::records {

std::span<const Migration> EmbeddedMigrations() { return kEmbeddedMigrations; }

Result<int> ApplyMigrations(Connection& conn, std::span<const Migration> migrations) {
  RETURN_IF_ERROR(
      conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL,"
                " applied_at INTEGER NOT NULL)",
                "create schema_migrations"));
  std::map<int64_t, std::string> applied;  // version -> sha256 hex
  {
    ASSIGN_OR_RETURN(StmtLease st,
                     conn.PrepareOnce("SELECT version, sha256 FROM schema_migrations"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, st.Step("read schema_migrations"));
      if (!row) break;
      applied[st.ColumnInt(0)] = std::string(st.ColumnText(1));
    }
  }
  int expected = 1;
  for (const Migration& m : migrations) {
    if (m.version != expected) {
      return Status::Internal("migration " + std::string(m.name) + " is out of sequence");
    }
    ++expected;
  }
  for (const auto& [version, sha] : applied) {
    if (version < 1 || version > static_cast<int64_t>(migrations.size())) {
      return Status::Unsupported("database schema migration " + std::to_string(version) +
                                 " is newer than this Custos binary");
    }
  }
  if (!applied.empty() && applied.rbegin()->first != static_cast<int64_t>(applied.size())) {
    return Status::Corruption("schema_migrations has a gap in its versions");
  }
  int count = 0;
  for (const Migration& m : migrations) {
    std::string sha = ToHex(Sha256(AsBytes(m.sql)));
    auto it = applied.find(m.version);
    if (it != applied.end()) {
      if (it->second != sha) {
        return Status::Corruption("migration " + std::string(m.name) +
                                  " differs from the one applied to this database");
      }
      continue;
    }
    RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE", "begin migration"));
    Status st = conn.Exec(m.sql, std::string("migration ") + m.name);
    if (st.ok()) {
      auto ins = conn.PrepareOnce(
          "INSERT INTO schema_migrations(version, name, sha256, applied_at)"
          " VALUES (?, ?, ?, CAST(strftime('%s','now') AS INTEGER) * 1000000)");
      if (!ins.ok()) {
        st = ins.status();
      } else {
        ins->BindInt(1, m.version);
        ins->BindText(2, m.name);
        ins->BindText(3, sha);
        st = ins->Run("record migration");
      }
    }
    if (st.ok()) st = conn.Exec("COMMIT", "commit migration");
    if (!st.ok()) {
      (void)conn.Exec("ROLLBACK", "rollback migration");
      return st;
    }
    applied[m.version] = sha;
    ++count;
  }
  return count;
}

}  // namespace custos::records
