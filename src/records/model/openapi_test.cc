#include "records/model/openapi.h"

#include <gtest/gtest.h>

#include <set>

#include "records/model/examples.h"
#include "records/model/pattern.h"
#include "records/model/schema_conformance_for_test.h"

namespace custos::records {
namespace {

using nlohmann::json;
using testing_util::SchemaViolations;

const EntitySchema& Entity(std::string_view name) { return *FindEntity(name); }

TEST(OpenApi, TraineeInputSchemaShape) {
  json s = EntityJsonSchema(Entity("trainee"), Mode::kCreate);
  EXPECT_EQ(s["type"], "object");
  EXPECT_EQ(s["additionalProperties"], false);
  EXPECT_EQ(s["required"],
            (json{"uln", "given_name", "family_name", "date_of_birth", "email", "status"}));
  EXPECT_EQ(s["properties"]["date_of_birth"], (json{{"type", "string"},
                                                    {"format", "date"},
                                                    {"description", "Date of birth"},
                                                    {"x-personal-data", true}}));
  EXPECT_EQ(s["properties"]["email"]["format"], "email");
  EXPECT_EQ(s["properties"]["email"]["maxLength"], 254);
  EXPECT_EQ(s["properties"]["uln"]["pattern"], "^[1-9][0-9]{9}$");
  EXPECT_EQ(s["properties"]["status"]["enum"],
            (json{"active", "break_in_learning", "withdrawn", "completed"}));
  EXPECT_EQ(s["properties"]["employer_id"]["x-custos-ref"], "employer");
  EXPECT_EQ(s["properties"]["phone"]["nullable"], true);
  EXPECT_FALSE(s["properties"]["uln"].contains("nullable"));
  EXPECT_FALSE(s["properties"].contains("id"));
  EXPECT_EQ(s["x-custos-subject"], (json{{"kind", "self"}}));
  EXPECT_EQ(s["x-custos-plural"], "trainees");
}

TEST(OpenApi, NumbersAndSubjects) {
  json a = EntityJsonSchema(Entity("attendance"), Mode::kCreate);
  EXPECT_EQ(a["properties"]["minutes"]["type"], "integer");
  EXPECT_EQ(a["properties"]["minutes"]["minimum"], 0);
  EXPECT_EQ(a["properties"]["minutes"]["maximum"], 1440);
  EXPECT_EQ(a["x-custos-subject"],
            (json{{"kind", "via"}, {"field", "enrollment_id"}, {"entity", "enrollment"}}));
  EXPECT_EQ(a["x-custos-assessor-may-write"], true);
  json sc = EntityJsonSchema(Entity("assessment"), Mode::kCreate)["properties"]["score"];
  EXPECT_EQ(sc["type"], "number");
  EXPECT_EQ(sc["maximum"], 100);
  json ev = EntityJsonSchema(Entity("evidence"), Mode::kCreate);
  EXPECT_EQ(ev["properties"]["captured_at"]["format"], "date-time");
  EXPECT_EQ(ev["x-custos-subject"],
            (json{{"kind", "field"}, {"field", "trainee_id"}, {"entity", "trainee"}}));
  EXPECT_EQ(EntityJsonSchema(Entity("employer"), Mode::kCreate)["x-custos-assessor-may-write"],
            false);
}

TEST(OpenApi, PatchHasNoRequiredAndRecordHasReadOnlyServerFields) {
  json p = EntityJsonSchema(Entity("enrollment"), Mode::kPatch);
  EXPECT_FALSE(p.contains("required"));
  EXPECT_EQ(p["properties"]["actual_end_date"]["nullable"], true);
  EXPECT_FALSE(p["properties"]["start_date"].contains("nullable"));
  json r = EntityRecordJsonSchema(Entity("enrollment"));
  for (const char* f : {"id", "version", "created_at", "updated_at"}) {
    EXPECT_EQ(r["properties"][f]["readOnly"], true) << f;
    EXPECT_NE(std::find(r["required"].begin(), r["required"].end(), json(f)), r["required"].end());
  }
  EXPECT_EQ(r["properties"]["updated_at"]["format"], "date-time");
  EXPECT_EQ(r["properties"]["version"]["type"], "integer");
}

TEST(OpenApi, EveryFieldIsPublishedAndExamplesConform) {
  json all = AllEntitySchemas();
  EXPECT_EQ(all.size(), AllEntities().size() * 3);
  for (const EntitySchema& e : AllEntities()) {
    const json& input = all.at(InputComponentName(e));
    const json& patch = all.at(PatchComponentName(e));
    const json& record = all.at(RecordComponentName(e));
    EXPECT_EQ(input["properties"].size(), e.fields.size()) << e.name;
    EXPECT_EQ(record["properties"].size(), e.fields.size() + ServerFields().size()) << e.name;
    for (const FieldSpec& f : e.fields) {
      const json& p = input["properties"].at(std::string(f.name));
      EXPECT_TRUE(p.contains("type")) << f.name;
      EXPECT_FALSE(p["description"].get<std::string>().empty()) << f.name;
      if (p.contains("pattern")) {
        EXPECT_TRUE(IsValidPattern(p["pattern"].get<std::string>()));
      }
    }
    EXPECT_EQ(SchemaViolations(input, input["example"]), std::vector<std::string>{}) << e.name;
    EXPECT_EQ(SchemaViolations(patch, ExampleRecord(e)), std::vector<std::string>{}) << e.name;
    EXPECT_EQ(SchemaViolations(record, record["example"]), std::vector<std::string>{}) << e.name;
    // The checker is not vacuous: a missing required field and an extra key fail.
    json broken = ExampleRecord(e);
    broken.erase(std::string(e.fields[0].name));
    broken["nope"] = 1;
    EXPECT_EQ(SchemaViolations(input, broken).size(), 2u) << e.name;
  }
}

}  // namespace
}  // namespace custos::records
