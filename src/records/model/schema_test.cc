#include "records/model/schema.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "records/model/markdown.h"
#include "records/model/pattern.h"

namespace custos::records {
namespace {

TEST(Schema, EntitiesAndUrlPlurals) {
  std::vector<std::string> names, plurals;
  for (const EntitySchema& e : AllEntities()) {
    names.emplace_back(e.name);
    plurals.emplace_back(e.plural);
    EXPECT_EQ(FindEntity(e.name), &e);
    EXPECT_EQ(FindEntityByPlural(e.plural), &e);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"trainee", "employer", "programme", "enrollment",
                                      "assessment", "certification", "attendance", "evidence"}));
  EXPECT_EQ(plurals,
            (std::vector<std::string>{"trainees", "employers", "programmes", "enrollments",
                                      "assessments", "certifications", "attendance", "evidence"}));
  EXPECT_EQ(FindEntity("trainees"), nullptr);
  EXPECT_EQ(FindEntityByPlural("trainee"), nullptr);
}

TEST(Schema, FieldsAreWellFormed) {
  for (const EntitySchema& e : AllEntities()) {
    std::set<std::string_view> seen;
    EXPECT_FALSE(e.fields.empty()) << e.name;
    for (const FieldSpec& f : e.fields) {
      const std::string where = std::string(e.name) + "." + std::string(f.name);
      EXPECT_TRUE(seen.insert(f.name).second) << where << " twice";
      EXPECT_TRUE(MatchesPattern("^[a-z][a-z0-9_]*$", f.name)) << where;
      EXPECT_FALSE(IsServerField(f.name)) << where;
      EXPECT_FALSE(f.description.empty()) << where;
      EXPECT_EQ(e.FindField(f.name), &f);
      EXPECT_GE(f.min_length, 1u) << where;
      EXPECT_LE(f.max_length, kLongTextMaxLength) << where;
      EXPECT_EQ(f.type == FieldType::kReference, !f.ref_entity.empty()) << where;
      if (!f.ref_entity.empty()) {
        EXPECT_NE(FindEntity(f.ref_entity), nullptr) << where;
      }
      EXPECT_EQ(f.type == FieldType::kEnum, !f.enum_values.empty()) << where;
      if (!f.pattern.empty()) {
        // Patterns run through std::regex: keep them on short fields only.
        EXPECT_EQ(f.type, FieldType::kString) << where;
        EXPECT_LE(f.max_length, 256u) << where;
        EXPECT_FALSE(f.pattern_hint.empty()) << where;
        EXPECT_TRUE(IsValidPattern(f.pattern)) << where;
      }
      if (f.minimum || f.maximum) {
        EXPECT_TRUE(f.type == FieldType::kInteger || f.type == FieldType::kNumber) << where;
      }
      if (f.multiline) {
        EXPECT_EQ(f.type, FieldType::kString) << where;
      }
    }
    EXPECT_EQ(e.FindField("no_such_field"), nullptr);
    for (const DateOrder& o : e.date_orders) {
      ASSERT_NE(e.FindField(o.earlier), nullptr);
      ASSERT_NE(e.FindField(o.later), nullptr);
      EXPECT_EQ(e.FindField(o.earlier)->type, FieldType::kDate);
      EXPECT_EQ(e.FindField(o.later)->type, FieldType::kDate);
    }
  }
}

TEST(Schema, SubjectRulesResolveToATraineeInAtMostOneHop) {
  for (const EntitySchema& e : AllEntities()) {
    const SubjectRule& r = e.subject;
    if (r.kind == SubjectRule::Kind::kSelf || r.kind == SubjectRule::Kind::kInstitution) {
      EXPECT_TRUE(r.field.empty()) << e.name;
      continue;
    }
    const FieldSpec* f = e.FindField(r.field);
    ASSERT_NE(f, nullptr) << e.name;
    EXPECT_TRUE(f->required) << e.name;
    EXPECT_EQ(f->type, FieldType::kReference) << e.name;
    EXPECT_EQ(f->ref_entity, r.entity) << e.name;
    if (r.kind == SubjectRule::Kind::kField) {
      EXPECT_EQ(r.entity, "trainee") << e.name;
    } else {
      const EntitySchema* via = FindEntity(r.entity);
      ASSERT_NE(via, nullptr);
      EXPECT_EQ(via->subject.kind, SubjectRule::Kind::kField) << e.name;
    }
  }
  EXPECT_EQ(FindEntity("trainee")->subject.kind, SubjectRule::Kind::kSelf);
  EXPECT_EQ(FindEntity("employer")->subject.kind, SubjectRule::Kind::kInstitution);
  EXPECT_EQ(FindEntity("programme")->subject.kind, SubjectRule::Kind::kInstitution);
}

TEST(Schema, AssessorsWriteOnlyAssessmentsAndAttendance) {
  std::vector<std::string> writable;
  for (const EntitySchema& e : AllEntities()) {
    if (e.assessor_may_write) writable.emplace_back(e.name);
  }
  EXPECT_EQ(writable, (std::vector<std::string>{"assessment", "attendance"}));
}

TEST(Schema, TraineeIdentifiersArePersonal) {
  const EntitySchema& t = *FindEntity("trainee");
  for (const char* f : {"uln", "given_name", "family_name", "date_of_birth", "email",
                        "national_insurance_number"}) {
    EXPECT_TRUE(t.FindField(f)->personal) << f;
  }
  EXPECT_FALSE(t.FindField("status")->personal);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// docs/records-model.md holds the generated tables verbatim.
TEST(Docs, RecordsModelDocumentMatchesTheSchema) {
  const std::string path = CUSTOS_RECORDS_MODEL_DOC;
  std::string doc = ReadFile(path);
  ASSERT_FALSE(doc.empty()) << path;
  const size_t b = doc.find(kGeneratedBegin);
  const size_t e = doc.find(kGeneratedEnd);
  ASSERT_NE(b, std::string::npos) << "begin marker missing in " << path;
  ASSERT_NE(e, std::string::npos) << "end marker missing in " << path;
  ASSERT_LT(b, e);
  const size_t start = b + kGeneratedBegin.size() + 1;  // after the marker's line break
  const std::string current = doc.substr(start, e - start);
  const std::string expected = "\n" + RecordsModelMarkdown() + "\n";
  if (current != expected && std::getenv("CUSTOS_UPDATE_DOCS") != nullptr) {
    doc.replace(start, e - start, expected);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << doc;
    GTEST_SKIP() << "rewrote the generated part of " << path;
  }
  EXPECT_EQ(current, expected) << path
                               << " is out of date: run records_model_test with "
                                  "CUSTOS_UPDATE_DOCS=1 and commit the result";
}

// Belt and braces: every field of every entity appears in its own section.
TEST(Docs, EveryFieldIsListedUnderItsEntity) {
  const std::string doc = ReadFile(CUSTOS_RECORDS_MODEL_DOC);
  for (const EntitySchema& e : AllEntities()) {
    const size_t at = doc.find("### " + std::string(e.name) + "\n");
    ASSERT_NE(at, std::string::npos) << e.name;
    const size_t next = doc.find("\n### ", at + 4);
    const std::string section = doc.substr(at, next == std::string::npos ? next : next - at);
    EXPECT_NE(section.find("`/" + std::string(e.plural) + "`"), std::string::npos) << e.name;
    for (const FieldSpec& f : e.fields) {
      EXPECT_NE(section.find("| `" + std::string(f.name) + "` |"), std::string::npos)
          << e.name << "." << f.name;
    }
  }
}

}  // namespace
}  // namespace custos::records
