// RecordsStore conformance: records (CRUD, concurrency control, references,
// lists, imports). Journal, erasure and durability cases are in
// records_conformance_journal.cc. See records_conformance.h.
#include "records_conformance.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "base/fs.h"
#include "base/random.h"
#include "records/keystore.h"
#include "records/model/examples.h"
#include "records/model/schema.h"
#include "records/sqlite_store.h"

namespace custos::records {

std::string RecordsStoreFactoryName(const ::testing::TestParamInfo<RecordsStoreFactory>& info) {
  return info.param.name;
}

namespace {

bool Required(const std::string& name) {
  const char* env = std::getenv("CUSTOS_CONFORMANCE_REQUIRED");
  if (env == nullptr) return false;
  std::stringstream ss(env);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item == name) return true;
  }
  return false;
}

}  // namespace

void RecordsConformanceTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  name_ = std::string(info->name()) + "-" + RandomHex(4);
  for (char& c : name_) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
  }
  auto s = GetParam().open(name_);
  if (!s.ok() && (s.status().IsNotFound() || s.status().code() == Code::kUnsupported) &&
      !Required(GetParam().name)) {
    GTEST_SKIP() << GetParam().name << " not available: " << s.status().ToString();
  }
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  store_ = std::move(s).value();
}

void RecordsConformanceTest::TearDown() { store_.reset(); }

void RecordsConformanceTest::Reopen() {
  store_.reset();
  auto s = GetParam().open(name_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  store_ = std::move(s).value();
}

nlohmann::json RecordsConformanceTest::Body(std::string_view entity, const Graph& g) {
  nlohmann::json b = NumberedExampleRecord(*FindEntity(entity), ++numbered_);
  auto set = [&](const char* field, const Record& r) {
    if (b.contains(field)) b[field] = r.id;
  };
  set("employer_id", g.employer);
  set("programme_id", g.programme);
  set("trainee_id", g.trainee);
  set("enrollment_id", g.enrollment);
  return b;
}

RecordsConformanceTest::Graph RecordsConformanceTest::MakeGraph(const std::string& tag) {
  Graph g;
  // The model's example evidence names the document whose content is "test".
  auto doc = store().PutDocument(AsBytes("test"));
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(Body("evidence", g)["document_sha256"], *doc);
  auto create = [&](std::string_view entity, Record& out) {
    nlohmann::json body = Body(entity, g);
    if (entity == "trainee" && !tag.empty()) body["family_name"] = "Example" + tag;
    auto r = store().Create(registrar_, entity, body);
    EXPECT_TRUE(r.ok()) << entity << ": " << r.status().ToString();
    if (r.ok()) out = *r;
    g.bodies[std::string(entity)] = body;
  };
  create("employer", g.employer);
  create("programme", g.programme);
  create("trainee", g.trainee);
  create("enrollment", g.enrollment);
  create("assessment", g.assessment);
  create("certification", g.certification);
  create("attendance", g.attendance);
  create("evidence", g.evidence);
  return g;
}

namespace {

nlohmann::json Parse(const std::string& s) { return nlohmann::json::parse(s); }

TEST_P(RecordsConformanceTest, CrudRoundTripEveryEntity) {
  Graph g = MakeGraph();
  ASSERT_FALSE(HasFailure());
  const std::pair<std::string_view, Record*> all[] = {
      {"employer", &g.employer},     {"programme", &g.programme},
      {"trainee", &g.trainee},       {"enrollment", &g.enrollment},
      {"assessment", &g.assessment}, {"certification", &g.certification},
      {"attendance", &g.attendance}, {"evidence", &g.evidence}};
  std::set<std::string> ids;
  for (auto& [entity, rec] : all) {
    SCOPED_TRACE(std::string(entity));
    EXPECT_EQ(rec->entity, entity);
    EXPECT_EQ(rec->version, 1u);
    EXPECT_FALSE(rec->id.empty());
    EXPECT_TRUE(ids.insert(rec->id).second);
    EXPECT_GT(rec->created_at, 0u);
    EXPECT_EQ(rec->created_at, rec->updated_at);
    // Stored in canonical form: the model's example is canonical already.
    EXPECT_EQ(Parse(rec->data), g.bodies.find(entity)->second);
    auto got = store().Get(entity, rec->id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, *rec);
    const std::string expected_subject = entity == "employer" || entity == "programme"
                                             ? std::string(kInstitutionSubject)
                                             : g.trainee.id;
    EXPECT_EQ(rec->subject_id, expected_subject);
  }
  // Patch: one field changes, the rest stays.
  auto patched = store().Update(registrar_, "attendance", g.attendance.id, 1,
                                {{"minutes", 300}, {"note", nullptr}}, UpdateMode::kPatch);
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ(patched->version, 2u);
  nlohmann::json expect = Body("attendance", g);
  expect["minutes"] = 300;
  expect.erase("note");
  EXPECT_EQ(Parse(patched->data), expect);
  EXPECT_EQ(patched->created_at, g.attendance.created_at);
  EXPECT_GE(patched->updated_at, g.attendance.updated_at);
  // Replace: the body becomes the record.
  nlohmann::json repl = Body("attendance", g);
  repl["status"] = "present";
  repl.erase("note");
  auto replaced =
      store().Update(registrar_, "attendance", g.attendance.id, 2, repl, UpdateMode::kReplace);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(replaced->version, 3u);
  EXPECT_EQ(Parse(replaced->data), repl);
  auto got = store().Get("attendance", g.attendance.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *replaced);
  // Invalid bodies are rejected naming the field, and change nothing.
  uint64_t seq = store().LastSeq();
  auto bad = store().Update(registrar_, "attendance", g.attendance.id, 3, {{"minutes", "many"}},
                            UpdateMode::kPatch);
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("minutes"), std::string::npos);
  EXPECT_EQ(store().LastSeq(), seq);
  EXPECT_EQ(store().Create(registrar_, "spaceship", {{"a", 1}}).status().code(),
            Code::kInvalidArgument);
  // Delete in dependency order; each is gone afterwards.
  for (auto it = std::rbegin(all); it != std::rend(all); ++it) {
    auto [entity, rec] = *it;
    auto cur = store().Get(entity, rec->id);
    ASSERT_TRUE(cur.ok());
    Status st = store().Delete(registrar_, entity, rec->id, cur->version, "test cleanup");
    ASSERT_TRUE(st.ok()) << entity << ": " << st.ToString();
    EXPECT_TRUE(store().Get(entity, rec->id).status().IsNotFound());
  }
}

TEST_P(RecordsConformanceTest, StaleVersionIsRejectedAndWritesNothing) {
  Graph g = MakeGraph();
  auto v2 = store().Update(registrar_, "trainee", g.trainee.id, 1, {{"phone", "01632 960001"}},
                           UpdateMode::kPatch);
  ASSERT_TRUE(v2.ok());
  const uint64_t seq = store().LastSeq();
  auto stale = store().Update(registrar_, "trainee", g.trainee.id, 1, {{"phone", "01632 960002"}},
                              UpdateMode::kPatch);
  EXPECT_EQ(stale.status().code(), Code::kAlreadyExists) << stale.status().ToString();
  Status del = store().Delete(registrar_, "trainee", g.trainee.id, 1);
  EXPECT_EQ(del.code(), Code::kAlreadyExists);
  auto future = store().Update(registrar_, "trainee", g.trainee.id, 7, {{"phone", "01632 960002"}},
                               UpdateMode::kPatch);
  EXPECT_EQ(future.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(store().LastSeq(), seq);
  auto got = store().Get("trainee", g.trainee.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *v2);
  auto h = store().History("trainee", g.trainee.id, {});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->size(), 2u);
}

TEST_P(RecordsConformanceTest, DeletedRecordIsNotFound) {
  Graph g = MakeGraph();
  ASSERT_TRUE(store().Delete(registrar_, "attendance", g.attendance.id, 1).ok());
  EXPECT_TRUE(store().Get("attendance", g.attendance.id).status().IsNotFound());
  EXPECT_TRUE(store().Delete(registrar_, "attendance", g.attendance.id, 2).IsNotFound());
  EXPECT_TRUE(store()
                  .Update(registrar_, "attendance", g.attendance.id, 2, {{"minutes", 1}},
                          UpdateMode::kPatch)
                  .status()
                  .IsNotFound());
  EXPECT_TRUE(store().Get("attendance", "no-such-id").status().IsNotFound());
  EXPECT_TRUE(store().Get("attendance", "../../etc/passwd").status().IsNotFound());
}

TEST_P(RecordsConformanceTest, ReferencesAreChecked) {
  Graph g = MakeGraph();
  const uint64_t seq = store().LastSeq();
  auto expect_field_error = [&](const Result<Record>& r, const char* field) {
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().ToString();
  };
  nlohmann::json enr = Body("enrollment", g);
  enr["trainee_id"] = "missing-trainee";
  expect_field_error(store().Create(registrar_, "enrollment", enr), "trainee_id");
  enr = Body("enrollment", g);
  enr["programme_id"] = "missing-programme";
  expect_field_error(store().Create(registrar_, "enrollment", enr), "programme_id");
  nlohmann::json as = Body("assessment", g);
  as["enrollment_id"] = g.trainee.id;  // an id, but of another entity
  expect_field_error(store().Create(registrar_, "assessment", as), "enrollment_id");
  nlohmann::json evd = Body("evidence", g);
  evd["document_sha256"] = std::string(64, 'e');
  expect_field_error(store().Create(registrar_, "evidence", evd), "document_sha256");
  nlohmann::json tr = Body("trainee", g);
  tr["employer_id"] = "missing-employer";
  expect_field_error(store().Create(registrar_, "trainee", tr), "employer_id");
  // Evidence that names one trainee and another trainee's enrollment.
  auto other = store().Create(registrar_, "trainee", Body("trainee", g));
  ASSERT_TRUE(other.ok());
  nlohmann::json ev = Body("evidence", g);
  ev["trainee_id"] = other->id;
  expect_field_error(store().Create(registrar_, "evidence", ev), "enrollment_id");
  // An update may not move a record to another trainee.
  auto moved = store().Update(registrar_, "enrollment", g.enrollment.id, 1,
                              {{"trainee_id", other->id}}, UpdateMode::kPatch);
  EXPECT_EQ(moved.status().code(), Code::kInvalidArgument);
  // A referenced record cannot be deleted; the error names the referrer.
  Status del = store().Delete(registrar_, "enrollment", g.enrollment.id, 1);
  EXPECT_EQ(del.code(), Code::kInvalidArgument);
  EXPECT_NE(del.message().find("enrollment_id"), std::string::npos) << del.ToString();
  EXPECT_EQ(store().Delete(registrar_, "employer", g.employer.id, 1).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(store().LastSeq(), seq + 1);  // only the second trainee was written
}

// A trainee with two enrollments: lists filtered on a reference to a
// trainee's record (enrollment_id, trainee_id) return exactly the records
// naming it, page by page, and a delete is refused only while the record
// itself is named, not when a sibling of the same trainee is.
TEST_P(RecordsConformanceTest, ReferencesWithinOneTrainee) {
  Graph a = MakeGraph("A");
  Graph b = MakeGraph("B");
  ASSERT_FALSE(HasFailure());
  auto second = store().Create(registrar_, "enrollment", Body("enrollment", a));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  Graph a2 = a;
  a2.enrollment = *second;
  std::set<std::string> on_first = {a.attendance.id}, on_second;
  for (int i = 0; i < 7; ++i) {
    Graph& g = i % 2 ? a : a2;
    auto r = store().Create(registrar_, "attendance", Body("attendance", g));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    (i % 2 ? on_first : on_second).insert(r->id);
  }
  auto list_all = [&](std::string_view entity, ListQuery q) {
    std::set<std::string> ids;
    q.limit = 2;
    while (true) {
      auto page = store().List(entity, q);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const Record& r : page->records) ids.insert(r.id);
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    return ids;
  };
  ListQuery q;
  q.equals.push_back({"enrollment_id", a.enrollment.id});
  EXPECT_EQ(list_all("attendance", q), on_first);
  q.equals[0].value = second->id;
  EXPECT_EQ(list_all("attendance", q), on_second);
  q.equals[0].value = b.enrollment.id;
  EXPECT_EQ(list_all("attendance", q), (std::set<std::string>{b.attendance.id}));
  q.equals[0].value = "no-such-enrollment";
  EXPECT_TRUE(list_all("attendance", q).empty());
  // With a second filter on the same trainee, and on another one.
  q.equals = {{"enrollment_id", second->id}, {"subject_id", a.trainee.id}};
  EXPECT_EQ(list_all("attendance", q), on_second);
  q.equals[1].value = b.trainee.id;
  EXPECT_TRUE(list_all("attendance", q).empty());
  ListQuery by_trainee;
  by_trainee.equals.push_back({"trainee_id", a.trainee.id});
  EXPECT_EQ(list_all("enrollment", by_trainee),
            (std::set<std::string>{a.enrollment.id, second->id}));
  EXPECT_EQ(list_all("evidence", by_trainee), (std::set<std::string>{a.evidence.id}));

  // The second enrollment is named by its attendance only.
  Status del = store().Delete(registrar_, "enrollment", second->id, 1);
  EXPECT_EQ(del.code(), Code::kInvalidArgument) << del.ToString();
  EXPECT_NE(del.message().find("enrollment_id"), std::string::npos) << del.ToString();
  for (const std::string& id : on_second) {
    ASSERT_TRUE(store().Delete(registrar_, "attendance", id, 1).ok());
  }
  del = store().Delete(registrar_, "enrollment", second->id, 1);
  EXPECT_TRUE(del.ok()) << del.ToString();
  q.equals = {{"enrollment_id", a.enrollment.id}};
  EXPECT_EQ(list_all("attendance", q), on_first);
  // The trainee is still named by the first enrollment and the evidence.
  del = store().Delete(registrar_, "trainee", a.trainee.id, 1);
  EXPECT_EQ(del.code(), Code::kInvalidArgument) << del.ToString();
  EXPECT_NE(del.message().find("trainee_id"), std::string::npos) << del.ToString();
}

TEST_P(RecordsConformanceTest, ListFiltersAndRanges) {
  Graph a = MakeGraph("A");
  Graph b = MakeGraph("B");
  ASSERT_FALSE(HasFailure());
  // Five more attendance rows for a, on known dates.
  for (int day = 1; day <= 5; ++day) {
    nlohmann::json body = Body("attendance", a);
    body["session_date"] = "2025-01-0" + std::to_string(day);
    body["minutes"] = day * 10;
    ASSERT_TRUE(store().Create(registrar_, "attendance", body).ok());
  }
  ListQuery q;
  q.equals.push_back({"enrollment_id", a.enrollment.id});
  auto page = store().List("attendance", q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->records.size(), 6u);
  EXPECT_TRUE(page->next_cursor.empty());
  for (const Record& r : page->records) EXPECT_EQ(r.subject_id, a.trainee.id);

  q.ranges.push_back({"session_date", "2025-01-02", "2025-01-04"});
  page = store().List("attendance", q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->records.size(), 3u);
  q.ranges.clear();
  q.equals.push_back({"minutes", "50"});
  page = store().List("attendance", q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(Parse(page->records[0].data)["session_date"], "2025-01-05");

  ListQuery by_subject;
  by_subject.equals.push_back({"subject_id", b.trainee.id});
  page = store().List("assessment", by_subject);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].id, b.assessment.id);

  ListQuery levy;
  levy.equals.push_back({"levy_payer", "true"});
  page = store().List("employer", levy);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->records.size(), 2u);

  ListQuery created;
  created.ranges.push_back({"created_at", std::to_string(b.trainee.created_at), std::nullopt});
  page = store().List("trainee", created);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].id, b.trainee.id);

  // Bounds as records show created_at (RFC 3339), with any offset.
  ListQuery shown;
  shown.ranges.push_back({"created_at", FormatTimeMicros(b.trainee.created_at), std::nullopt});
  page = store().List("trainee", shown);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].id, b.trainee.id);
  shown.ranges[0].from.reset();
  shown.ranges[0].to = FormatTimeMicros(a.trainee.created_at);
  page = store().List("trainee", shown);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].id, a.trainee.id);

  // Equality compares with the stored, canonical form: a company number in
  // lower case with a space finds the record.
  const std::string number = Parse(a.employer.data)["company_number"];
  ListQuery by_number;
  by_number.equals.push_back(
      {"company_number", " " + number.substr(0, 3) + " " + number.substr(3) + " "});
  for (char& c : by_number.equals[0].value) c = static_cast<char>(std::tolower(c));
  page = store().List("employer", by_number);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].id, a.employer.id);

  // What no record could hold is an error naming the field, not an empty page.
  const std::pair<ListQuery::Equals, const char*> never[] = {
      {{"status", "bogus"}, "status"},
      {{"session_date", "2025-02-30"}, "session_date"},
  };
  for (const auto& [eq, field] : never) {
    ListQuery q2;
    q2.equals.push_back(eq);
    auto r = store().List("attendance", q2);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << field;
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().ToString();
  }
  for (const char* bound : {"2025-13-01", "soon", "2025-01-01T00:00:00Z"}) {
    ListQuery q2;
    q2.ranges.push_back({"session_date", bound, std::nullopt});
    auto r = store().List("attendance", q2);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bound;
    EXPECT_NE(r.status().message().find("session_date"), std::string::npos);
  }
  ListQuery bad_time;
  bad_time.ranges.push_back({"updated_at", std::nullopt, "2025-01-01 10:00"});
  EXPECT_EQ(store().List("trainee", bad_time).status().code(), Code::kInvalidArgument);

  ListQuery bad;
  bad.equals.push_back({"no_such_field", "x"});
  EXPECT_EQ(store().List("attendance", bad).status().code(), Code::kInvalidArgument);
  bad = {};
  bad.equals.push_back({"minutes", "ten"});
  EXPECT_EQ(store().List("attendance", bad).status().code(), Code::kInvalidArgument);
  bad = {};
  bad.ranges.push_back({"status", "a", "b"});
  EXPECT_EQ(store().List("attendance", bad).status().code(), Code::kInvalidArgument);
  bad = {};
  bad.limit = 1001;
  EXPECT_EQ(store().List("attendance", bad).status().code(), Code::kInvalidArgument);
  bad = {};
  bad.cursor = "garbage";
  EXPECT_EQ(store().List("attendance", bad).status().code(), Code::kInvalidArgument);
  bad = {};
  bad.equals.push_back({"minutes') OR 1=1 --", "1"});
  EXPECT_EQ(store().List("attendance", bad).status().code(), Code::kInvalidArgument);
}

TEST_P(RecordsConformanceTest, PaginationIsStableWhileWritesHappen) {
  Graph g = MakeGraph();
  ASSERT_FALSE(HasFailure());
  std::set<std::string> before;
  before.insert(g.attendance.id);
  for (int i = 0; i < 60; ++i) {
    auto r = store().Create(registrar_, "attendance", Body("attendance", g));
    ASSERT_TRUE(r.ok());
    before.insert(r->id);
  }
  // A writer adds and removes other attendance rows while we page.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop) {
      auto r = store().Create(registrar_, "attendance", Body("attendance", g));
      if (!r.ok()) break;
      (void)store().Delete(registrar_, "attendance", r->id, 1);
    }
  });
  std::multiset<std::string> seen;
  ListQuery q;
  q.limit = 7;
  int pages = 0;
  while (true) {
    auto page = store().List("attendance", q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->records.size(), 7u);
    for (const Record& r : page->records) seen.insert(r.id);
    ++pages;
    if (page->next_cursor.empty()) break;
    q.cursor = page->next_cursor;
  }
  stop = true;
  writer.join();
  EXPECT_GE(pages, 9);
  for (const std::string& id : before) EXPECT_EQ(seen.count(id), 1u) << id;
  for (const std::string& id : seen) EXPECT_EQ(seen.count(id), 1u) << "duplicate " << id;
}

TEST_P(RecordsConformanceTest, ImportIsAllOrNothing) {
  Graph g = MakeGraph();
  ASSERT_FALSE(HasFailure());
  const uint64_t seq = store().LastSeq();
  auto count = [&] {
    ListQuery q;
    q.limit = 1000;
    auto p = store().List("attendance", q);
    EXPECT_TRUE(p.ok());
    return p.ok() ? p->records.size() : 0;
  };
  const size_t n0 = count();
  std::vector<ImportItem> rows;
  for (int i = 0; i < 20; ++i)
    rows.push_back({static_cast<uint64_t>(i + 2), Body("attendance", g)});
  // A row that fails validation: nothing is applied, the line is named.
  rows[13].body["minutes"] = -5;
  auto r = store().ImportBatch(registrar_, "attendance", rows, "term 1 register");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("line 15"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(count(), n0);
  EXPECT_EQ(store().LastSeq(), seq);
  // A row that is valid but names a missing enrollment: found inside the
  // transaction, after earlier rows were inserted; all of them roll back.
  rows[13].body = Body("attendance", g);
  rows[17].body["enrollment_id"] = "no-such-enrollment";
  r = store().ImportBatch(registrar_, "attendance", rows);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("line 19"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("enrollment_id"), std::string::npos);
  EXPECT_EQ(count(), n0);
  EXPECT_EQ(store().LastSeq(), seq);
  // All good: every row lands, each with one "import" journal entry.
  rows[17].body = Body("attendance", g);
  r = store().ImportBatch(registrar_, "attendance", rows);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), rows.size());
  EXPECT_EQ(count(), n0 + rows.size());
  EXPECT_EQ(store().LastSeq(), seq + rows.size());
  auto journal = store().ReadJournal(seq + 1, store().LastSeq());
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(journal->size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto leaf = DecodeLeaf((*journal)[i].leaf);
    ASSERT_TRUE(leaf.ok());
    EXPECT_EQ(leaf->event, EventType::kImport);
    EXPECT_EQ(leaf->record_id, (*r)[i].id);
  }
}

// A unique field's value (FieldSpec::unique) belongs to one live record of
// the entity: a create or an update that would give it to a second is
// refused, naming the field and the holder, and writes nothing; an import
// with such a row names the row's line and applies nothing; the holder keeps
// its value across its own updates, and deleting it frees the value.
TEST_P(RecordsConformanceTest, UniqueFieldsBelongToOneLiveRecord) {
  Graph g = MakeGraph();
  ASSERT_FALSE(HasFailure());
  const std::pair<const char*, Record*> holders[] = {{"trainee", &g.trainee},
                                                     {"employer", &g.employer}};
  for (const auto& [entity, holder] : holders) {
    SCOPED_TRACE(entity);
    const EntitySchema& schema = *FindEntity(entity);
    const nlohmann::json held = nlohmann::json::parse(holder->data);
    std::vector<std::string> unique;
    for (const FieldSpec& f : schema.fields) {
      if (f.unique) unique.emplace_back(f.name);
    }
    ASSERT_FALSE(unique.empty());
    for (const std::string& field : unique) {
      SCOPED_TRACE(field);
      ASSERT_TRUE(held.contains(field));
      const uint64_t seq = store().LastSeq();
      auto expect_taken = [&](const Status& st) {
        EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.ToString();
        EXPECT_NE(st.message().find("field \"" + field + "\""), std::string::npos) << st.message();
        EXPECT_NE(st.message().find(holder->id), std::string::npos) << st.message();
        // The value itself is never echoed (a ULN is personal data).
        EXPECT_EQ(st.message().find(held[field].get<std::string>()), std::string::npos);
        EXPECT_EQ(store().LastSeq(), seq);
      };
      // Create.
      nlohmann::json twin = Body(entity, g);
      twin[field] = held[field];
      expect_taken(store().Create(registrar_, entity, twin).status());
      // Update of another record, by patch and by replacement.
      auto other = store().Create(registrar_, entity, Body(entity, g));
      ASSERT_TRUE(other.ok()) << other.status().ToString();
      const uint64_t seq_other = store().LastSeq();
      nlohmann::json patch = {{field, held[field]}};
      auto patched = store().Update(registrar_, entity, other->id, 1, patch, UpdateMode::kPatch);
      EXPECT_EQ(patched.status().code(), Code::kInvalidArgument) << patched.status().ToString();
      EXPECT_NE(patched.status().message().find(holder->id), std::string::npos);
      EXPECT_EQ(store().LastSeq(), seq_other);
      auto replaced = store().Update(registrar_, entity, other->id, 1, twin, UpdateMode::kReplace);
      EXPECT_EQ(replaced.status().code(), Code::kInvalidArgument);
      EXPECT_EQ(store().LastSeq(), seq_other);
      // Import: the second row collides with the stored record.
      std::vector<ImportItem> rows = {{2, Body(entity, g)}, {3, twin}, {4, Body(entity, g)}};
      auto imported = store().ImportBatch(registrar_, entity, rows);
      EXPECT_EQ(imported.status().code(), Code::kInvalidArgument);
      EXPECT_NE(imported.status().message().find("line 3"), std::string::npos)
          << imported.status().ToString();
      EXPECT_EQ(store().LastSeq(), seq_other);
      ASSERT_TRUE(store().Delete(registrar_, entity, other->id, 1).ok());
      // The holder's own update may restate its value.
      auto kept = store().Update(registrar_, entity, holder->id, holder->version,
                                 {{field, held[field]}}, UpdateMode::kPatch);
      ASSERT_TRUE(kept.ok()) << kept.status().ToString();
      *holder = *kept;
    }
  }
  // Deleting the holder frees the value. An employer is still referenced by
  // the graph, so the trainee (with nothing pointing at it but the graph's
  // enrollment) is freed by deleting a fresh trainee instead.
  nlohmann::json t = Body("trainee", g);
  auto first = store().Create(registrar_, "trainee", t);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(store().Create(registrar_, "trainee", t).status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(store().Delete(registrar_, "trainee", first->id, 1).ok());
  auto again = store().Create(registrar_, "trainee", t);
  EXPECT_TRUE(again.ok()) << again.status().ToString();
  // Two creates with one value in the same group commit: one lands.
  nlohmann::json e = Body("employer", g);
  std::vector<std::thread> threads;
  std::atomic<int> landed{0}, refused{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = store().Create(registrar_, "employer", e);
      (r.ok() ? landed : refused)++;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(landed.load(), 1);
  EXPECT_EQ(refused.load(), 7);
}

TEST_P(RecordsConformanceTest, DocumentsAreContentAddressed) {
  Bytes doc(70000);
  RandomFill(doc);
  auto id = store().PutDocument(doc);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->size(), 64u);
  auto got = store().GetDocument(*id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, doc);
  EXPECT_TRUE(store().GetDocument(std::string(64, '0')).status().IsNotFound());
  Reopen();
  got = store().GetDocument(*id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, doc);
}

// ---- implementations ------------------------------------------------------

Result<std::unique_ptr<RecordsStore>> OpenSqlite(const std::string& name) {
  // Every test's store in one directory, removed when the program ends.
  static const ScopedTempDir base("custos-records-conformance");
  return OpenSqliteStore(base.Sub(name));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, RecordsConformanceTest,
                         ::testing::Values(RecordsStoreFactory{"sqlite", OpenSqlite}),
                         RecordsStoreFactoryName);

}  // namespace
}  // namespace custos::records
