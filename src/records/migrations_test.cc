#include <gtest/gtest.h>

#include <filesystem>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/fs.h"
#include "records/model/schema.h"
#include "records/sqlite_db.h"
#include "records/sqlite_migrations.h"
#include "records/sqlite_store_impl.h"

namespace custos::records {
namespace {

// A connection to a new database in a directory of its own, removed with it.
struct FreshDb {
  FreshDb() {
    ConnectionOptions o;
    o.create = true;
    auto c = Connection::Open(dir.Sub("t.db"), o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    conn = std::move(c).value();
  }
  Connection& operator*() { return *conn; }
  Connection* operator->() { return conn.get(); }

  ScopedTempDir dir{"migrations"};  // first: outlives the connection
  std::unique_ptr<Connection> conn;
};

FreshDb OpenFresh() { return FreshDb(); }

int64_t Count(Connection& c, const char* sql) {
  auto st = c.PrepareOnce(sql);
  EXPECT_TRUE(st.ok());
  auto row = st->Step("count");
  EXPECT_TRUE(row.ok() && *row);
  return st->ColumnInt(0);
}

TEST(MigrationsTest, EmbeddedMigrationsApplyOnceInOrder) {
  auto conn = OpenFresh();
  ASSERT_FALSE(EmbeddedMigrations().empty());
  EXPECT_STREQ(EmbeddedMigrations()[0].name, "0001_initial");
  auto n = ApplyMigrations(*conn, EmbeddedMigrations());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, static_cast<int>(EmbeddedMigrations().size()));
  n = ApplyMigrations(*conn, EmbeddedMigrations());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM schema_migrations"),
            static_cast<int64_t>(EmbeddedMigrations().size()));
  EXPECT_EQ(Count(*conn,
                  "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
                  " ('records','journal','subjects')"),
            3);
}

// The query plan of a statement, one detail line per step.
std::string QueryPlan(Connection& c, const std::string& sql) {
  auto st = c.PrepareOnce("EXPLAIN QUERY PLAN " + sql);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  std::string plan;
  while (true) {
    auto row = st->Step("plan");
    EXPECT_TRUE(row.ok());
    if (!row.ok() || !*row) break;
    plan += std::string(st->ColumnText(3)) + "\n";
  }
  return plan;
}

// `sql` reads from `index` in the order it needs: a search (no scan), no sort.
void ExpectReadInOrderFrom(Connection& c, const std::string& sql, const std::string& index) {
  const std::string plan = QueryPlan(c, sql);
  EXPECT_NE(plan.find("SEARCH records USING INDEX " + index + " ("), std::string::npos)
      << sql << "\n"
      << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << sql << "\n" << plan;
}

// Rows with and without each reference field, as the first schema stored them.
void InsertReferenceRows(Connection& c) {
  ASSERT_TRUE(c.Exec("INSERT INTO records(entity, id, version, subject_id, data, created_at,"
                     " updated_at) VALUES"
                     " ('attendance', 'a1', 1, 's1', '{\"enrollment_id\":\"e1\"}', 1, 1),"
                     " ('enrollment', 'e1', 1, 's1', '{\"trainee_id\":\"t1\",\"programme_id\""
                     ":\"p1\",\"employer_id\":\"m1\"}', 1, 1),"
                     " ('employer', 'm1', 1, 'inst', '{\"name\":\"x\"}', 1, 1)",
                     "insert")
                  .ok());
}

// References to institution records (programme_id, employer_id) have partial
// indexes that hold only rows with the field (0002), and the store's lookups
// (the referential check's and the filtered list's SQL) use them.
// References to a trainee's records (trainee_id, enrollment_id) lost theirs
// (0006): the store looks them up within the subject's records, from
// records_subject, still in id order.
TEST(MigrationsTest, ReferenceLookupsUseAnIndexInOrder) {
  auto conn = OpenFresh();
  // Data written under the first schema is carried over.
  ASSERT_TRUE(ApplyMigrations(*conn, EmbeddedMigrations().first(1)).ok());
  InsertReferenceRows(*conn);
  auto n = ApplyMigrations(*conn, EmbeddedMigrations());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  // Every reference field of the model is one of the two kinds.
  std::set<std::string> institution_refs, subject_refs;
  for (const EntitySchema& e : AllEntities()) {
    for (const FieldSpec& f : e.fields) {
      if (f.type != FieldType::kReference) continue;
      (ReferenceSharesSubject(f) ? subject_refs : institution_refs).insert(std::string(f.name));
    }
  }
  EXPECT_EQ(institution_refs, (std::set<std::string>{"programme_id", "employer_id"}));
  EXPECT_EQ(subject_refs, (std::set<std::string>{"trainee_id", "enrollment_id"}));
  auto index_sql = [&](const std::string& index) -> std::optional<std::string> {
    auto def = conn->PrepareOnce("SELECT sql FROM sqlite_master WHERE name = ?");
    EXPECT_TRUE(def.ok());
    def->BindText(1, index);
    auto found = def->Step("index sql");
    EXPECT_TRUE(found.ok());
    if (!found.ok() || !*found) return std::nullopt;
    return std::string(def->ColumnText(0));
  };
  // field, the referring entity, the value, the entity of the record named.
  struct Case {
    const char* field;
    const char* from;
    const char* value;
    const char* target;
    const char* expected;
  };
  const Case cases[] = {{"trainee_id", "enrollment", "t1", "trainee", "e1"},
                        {"enrollment_id", "attendance", "e1", "enrollment", "a1"},
                        {"programme_id", "enrollment", "p1", "programme", "e1"},
                        {"employer_id", "enrollment", "m1", "employer", "e1"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    const std::string field = c.field;
    const bool by_subject = subject_refs.count(field) > 0;
    const std::string index = by_subject ? "records_subject" : "records_" + field;
    if (by_subject) {
      EXPECT_FALSE(index_sql("records_" + field).has_value()) << "dropped by 0006";
    } else {
      auto def = index_sql(index);
      ASSERT_TRUE(def.has_value()) << index;
      EXPECT_NE(def->find("IS NOT NULL"), std::string::npos) << *def;
    }
    const std::string expr = "json_extract(data, '$." + field + "')";
    // SqliteStore::CheckNotReferenced's SQL.
    const std::string check = std::string("SELECT id FROM records WHERE ") +
                              (by_subject ? "subject_id = ?3 AND " : "") + "entity = ?1 AND " +
                              expr + " = ?2 LIMIT 1";
    EXPECT_NE(QueryPlan(*conn, check).find("USING INDEX " + index), std::string::npos)
        << QueryPlan(*conn, check);
    // A list filtered on the field, paged by id (SqliteStore::List's SQL),
    // reads in id order from the index: no scan, no sort.
    const std::string filter =
        by_subject ? "subject_id = (SELECT subject_id FROM records WHERE entity = '" +
                         std::string(c.target) + "' AND id = ?) AND " + expr + " = ?"
                   : expr + " = ?";
    const std::string list = std::string("SELECT ") + kRecordColumns +
                             " FROM records WHERE entity = ?1 AND id > ?2 AND " + filter +
                             " ORDER BY id LIMIT ?";
    ExpectReadInOrderFrom(*conn, list, index);
    // Rows written before the migrations are found.
    auto st = conn->PrepareOnce(check);
    ASSERT_TRUE(st.ok());
    st->BindText(1, c.from);
    st->BindText(2, c.value);
    if (by_subject) st->BindText(3, "s1");
    auto row = st->Step("lookup");
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ(st->ColumnText(0), c.expected);
  }
}

// A subject's records (a trainee's list, an erasure) are read in order from
// the subject index (0003): no scan of the entity, no sort.
TEST(MigrationsTest, SubjectIndexServesListsAndErasureInOrder) {
  auto conn = OpenFresh();
  ASSERT_TRUE(ApplyMigrations(*conn, EmbeddedMigrations().first(1)).ok());
  InsertReferenceRows(*conn);
  ASSERT_TRUE(ApplyMigrations(*conn, EmbeddedMigrations()).ok());
  const std::string list = std::string("SELECT ") + kRecordColumns +
                           " FROM records WHERE entity = ?1 AND id > ?2 AND subject_id = ?"
                           " ORDER BY id LIMIT ?";
  ExpectReadInOrderFrom(*conn, list, "records_subject");
  // SqliteStore's erasure query.
  const std::string erase =
      "SELECT entity, id, version, data FROM records WHERE subject_id = ? ORDER BY entity, id";
  ExpectReadInOrderFrom(*conn, erase, "records_subject");
  // Rows written before 0003 are found through the rebuilt index, in order.
  auto st = conn->PrepareOnce(erase);
  ASSERT_TRUE(st.ok());
  st->BindText(1, "s1");
  std::vector<std::string> ids;
  while (true) {
    auto row = st->Step("erase query");
    ASSERT_TRUE(row.ok());
    if (!*row) break;
    ids.push_back(std::string(st->ColumnText(0)) + "/" + std::string(st->ColumnText(1)));
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"attendance/a1", "enrollment/e1"}));
}

// 0007 moves the journal's (subject_id, seq) pairs from the per-write index
// into runs, one per subject and stretch of 8192 seqs, and the index then
// stands at the journal's last seq.
TEST(MigrationsTest, SubjectIndexTakesTheJournalsPairs) {
  auto conn = OpenFresh();
  ASSERT_TRUE(ApplyMigrations(*conn, EmbeddedMigrations().first(6)).ok());
  ASSERT_TRUE(conn->Exec("INSERT INTO journal(seq, leaf, leaf_hash, payload, subject_id, entity,"
                         " record_id, time) VALUES"
                         " (1, x'00', x'00', x'00', 's2', 'trainee', 's2', 1),"
                         " (2, x'00', x'00', x'00', 's1', 'trainee', 's1', 1),"
                         " (3, x'00', x'00', x'00', 's2', 'attendance', 'a1', 1),"
                         " (8200, x'00', x'00', x'00', 's2', 'attendance', 'a1', 1)",
                         "insert")
                  .ok());
  ASSERT_TRUE(ApplyMigrations(*conn, EmbeddedMigrations()).ok());
  EXPECT_EQ(Count(*conn, "SELECT through_seq FROM journal_subject_indexed"), 8200);
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM journal_subject_runs"), 3);
  EXPECT_EQ(Count(*conn,
                  "SELECT COUNT(*) FROM journal_subject_runs WHERE"
                  " (subject_id = 's2' AND last_seq = 3 AND seqs = '1,3')"
                  " OR (subject_id = 's2' AND last_seq = 8200 AND seqs = '8200')"
                  " OR (subject_id = 's1' AND last_seq = 2 AND seqs = '2')"),
            3);
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'journal_subject'"), 0);
}

// Every unique field of the model has a unique partial index (0004) that
// holds only its entity's rows with the field and serves the store's lookup
// (SqliteStore::CheckUnique's SQL).
TEST(MigrationsTest, UniqueFieldsHaveUniquePartialIndexes) {
  auto conn = OpenFresh();
  ASSERT_TRUE(ApplyMigrations(*conn, EmbeddedMigrations()).ok());
  int fields = 0;
  for (const EntitySchema& e : AllEntities()) {
    for (const FieldSpec& f : e.fields) {
      if (!f.unique) continue;
      ++fields;
      // CheckUnique compares the value as text.
      EXPECT_EQ(f.type, FieldType::kString) << e.name << "." << f.name;
      const std::string index = "records_unique_" + std::string(e.name) + "_" + std::string(f.name);
      auto def = conn->PrepareOnce("SELECT sql FROM sqlite_master WHERE name = ?");
      ASSERT_TRUE(def.ok());
      def->BindText(1, index);
      auto found = def->Step("index sql");
      ASSERT_TRUE(found.ok() && *found) << index << " is missing";
      const std::string sql(def->ColumnText(0));
      EXPECT_EQ(sql.rfind("CREATE UNIQUE INDEX", 0), 0u) << sql;
      EXPECT_NE(sql.find("entity = '" + std::string(e.name) + "'"), std::string::npos) << sql;
      EXPECT_NE(sql.find("IS NOT NULL"), std::string::npos) << sql;
      const std::string lookup = "SELECT id FROM records WHERE entity = '" + std::string(e.name) +
                                 "' AND json_extract(data, '$." + std::string(f.name) +
                                 "') = ? AND id <> ? LIMIT 1";
      EXPECT_NE(QueryPlan(*conn, lookup).find("USING INDEX " + index), std::string::npos)
          << QueryPlan(*conn, lookup);
    }
  }
  EXPECT_EQ(fields, 2);  // uln, company_number
}

// Evidence is found by the document it references (0005) from an index, in
// id order: a document download (journaling its readers) and a trainee's
// check that the document is theirs use SqliteStore::List's SQL.
TEST(MigrationsTest, DocumentIndexServesEvidenceLookups) {
  auto conn = OpenFresh();
  ASSERT_TRUE(ApplyMigrations(*conn, EmbeddedMigrations()).ok());
  const std::string list = std::string("SELECT ") + kRecordColumns +
                           " FROM records WHERE entity = ?1 AND id > ?2 AND json_extract(data, "
                           "'$.document_sha256') = ? ORDER BY id LIMIT ?";
  ExpectReadInOrderFrom(*conn, list, "records_document_sha256");
}

// A database that already holds two trainees with one ULN cannot take 0004:
// the error names the migration and the index (not the value), nothing of it
// is applied, and the store stays at 0003.
TEST(MigrationsTest, DuplicateUniqueValuesStopTheUniqueIndexMigration) {
  auto conn = OpenFresh();
  ASSERT_TRUE(ApplyMigrations(*conn, EmbeddedMigrations().first(3)).ok());
  ASSERT_TRUE(conn->Exec("INSERT INTO records(entity, id, version, subject_id, data, created_at,"
                         " updated_at) VALUES"
                         " ('trainee', 't1', 1, 't1', '{\"uln\":\"9276308686\"}', 1, 1),"
                         " ('trainee', 't2', 1, 't2', '{\"uln\":\"9276308686\"}', 1, 1)",
                         "insert")
                  .ok());
  auto n = ApplyMigrations(*conn, EmbeddedMigrations());
  ASSERT_FALSE(n.ok());
  const std::string msg = n.status().ToString();
  EXPECT_NE(msg.find("0004_unique_fields"), std::string::npos) << msg;
  EXPECT_NE(msg.find("records_unique_trainee_uln"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("9276308686"), std::string::npos) << msg;
  EXPECT_EQ(Count(*conn, "SELECT MAX(version) FROM schema_migrations"), 3);
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'records_unique_%'"),
            0);
  // Once one of them is corrected, the migration goes through.
  ASSERT_TRUE(
      conn->Exec("UPDATE records SET data = '{\"uln\":\"9000000008\"}' WHERE id = 't2'", "fix")
          .ok());
  n = ApplyMigrations(*conn, EmbeddedMigrations());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, static_cast<int>(EmbeddedMigrations().size()) - 3);
}

TEST(MigrationsTest, ChangedAppliedMigrationIsAnError) {
  auto conn = OpenFresh();
  Migration v1[] = {{1, "0001_a", "CREATE TABLE a(x);"}};
  ASSERT_TRUE(ApplyMigrations(*conn, v1).ok());
  Migration edited[] = {{1, "0001_a", "CREATE TABLE a(x, y);"}};
  auto st = ApplyMigrations(*conn, edited);
  EXPECT_TRUE(st.status().IsCorruption()) << st.status().ToString();
  EXPECT_NE(st.status().message().find("0001_a"), std::string::npos);
}

TEST(MigrationsTest, NewerDatabaseIsUnsupported) {
  auto conn = OpenFresh();
  Migration two[] = {{1, "0001_a", "CREATE TABLE a(x);"}, {2, "0002_b", "CREATE TABLE b(x);"}};
  ASSERT_TRUE(ApplyMigrations(*conn, two).ok());
  EXPECT_EQ(ApplyMigrations(*conn, std::span(two, 1)).status().code(), Code::kUnsupported);
}

TEST(MigrationsTest, FailedMigrationRollsBackAndKeepsEarlierOnes) {
  auto conn = OpenFresh();
  Migration ms[] = {{1, "0001_a", "CREATE TABLE a(x);"},
                    {2, "0002_bad", "CREATE TABLE b(x); THIS IS NOT SQL;"}};
  EXPECT_FALSE(ApplyMigrations(*conn, ms).ok());
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM schema_migrations"), 1);
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'"), 0);
  Migration fixed[] = {{1, "0001_a", "CREATE TABLE a(x);"}, {2, "0002_b", "CREATE TABLE b(x);"}};
  auto n = ApplyMigrations(*conn, fixed);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
}

}  // namespace
}  // namespace custos::records
