#include "records/model/list_filter.h"

#include <gtest/gtest.h>

namespace custos::records {
namespace {

const EntitySchema& Entity(std::string_view name) { return *FindEntity(name); }
const FieldSpec& Field(std::string_view entity, std::string_view field) {
  return *Entity(entity).FindField(field);
}

TEST(ListFilter, EqualsTakesTheStoredCanonicalForm) {
  auto v = FilterEquals(Entity("employer"), Field("employer", "company_number"), " sc12 3456 ");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "SC123456");
  v = FilterEquals(Entity("trainee"), Field("trainee", "email"), "Alex.Example@EXAMPLE.org");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "Alex.Example@example.org");
  v = FilterEquals(Entity("attendance"), Field("attendance", "status"), "present");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "present");
  v = FilterEquals(Entity("evidence"), Field("evidence", "captured_at"), "2024-10-07t09:00:00z");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "2024-10-07T09:00:00Z");
}

TEST(ListFilter, EqualsRefusesWhatNoRecordCouldHold) {
  auto v = FilterEquals(Entity("attendance"), Field("attendance", "status"), "bogus");
  EXPECT_EQ(v.status().code(), Code::kInvalidArgument);
  EXPECT_NE(v.status().message().find("field \"status\""), std::string::npos);
  EXPECT_NE(v.status().message().find("present"), std::string::npos) << v.status().message();
  v = FilterEquals(Entity("attendance"), Field("attendance", "session_date"), "2024-02-30");
  EXPECT_EQ(v.status().code(), Code::kInvalidArgument);
  v = FilterEquals(Entity("trainee"), Field("trainee", "uln"), "1234567890");
  EXPECT_EQ(v.status().code(), Code::kInvalidArgument);
  // Never the value.
  EXPECT_EQ(v.status().message().find("1234567890"), std::string::npos) << v.status().message();
}

TEST(ListFilter, DateBounds) {
  const FieldSpec& date = Field("attendance", "session_date");
  EXPECT_EQ(*FilterDateBound(date, "2024-10-07", false), "2024-10-07");
  EXPECT_EQ(*FilterDateBound(date, "2024-10-07", true), "2024-10-07");
  for (const char* bad : {"2024-13-02", "2024-10-7", "yesterday", "2024-10-07T00:00:00Z", ""}) {
    auto b = FilterDateBound(date, bad, false);
    EXPECT_EQ(b.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(b.status().message().find("session_date"), std::string::npos);
  }
  const FieldSpec& dt = Field("evidence", "captured_at");
  EXPECT_EQ(*FilterDateBound(dt, "2024-10-07T09:00:00z", false), "2024-10-07T09:00:00Z");
  // A day covers all of its date-times, as text.
  const std::string from = *FilterDateBound(dt, "2024-10-07", false);
  const std::string to = *FilterDateBound(dt, "2024-10-07", true);
  for (const char* t : {"2024-10-07T00:00:00Z", "2024-10-07T23:59:60.999999Z"}) {
    EXPECT_LE(from, t);
    EXPECT_GE(to, t);
  }
  EXPECT_LT(to, "2024-10-08T00:00:00Z");
  EXPECT_GT(from, "2024-10-06T23:59:59Z");
  EXPECT_FALSE(FilterDateBound(dt, "2024-10-07 09:00", true).ok());
  EXPECT_FALSE(FilterDateBound(Field("attendance", "minutes"), "2024-10-07", true).ok());
}

TEST(ListFilter, TimeBounds) {
  // 2026-11-27T15:52:05.745177Z
  constexpr int64_t t = 1795794725745177;
  EXPECT_EQ(*FilterTimeBound("created_at", "1795794725745177", false), t);
  EXPECT_EQ(*FilterTimeBound("created_at", "2026-11-27T15:52:05.745177Z", false), t);
  EXPECT_EQ(*FilterTimeBound("created_at", "2026-11-27T16:52:05.745177+01:00", true), t);
  EXPECT_EQ(*FilterTimeBound("created_at", "2026-11-27T10:22:05.745177-05:30", true), t);
  EXPECT_EQ(*FilterTimeBound("created_at", "2026-11-27T15:52:05.7451770Z", false), t);
  EXPECT_EQ(*FilterTimeBound("created_at", "2026-11-27T15:52:05.7451771Z", false), t + 1);
  EXPECT_EQ(*FilterTimeBound("created_at", "2026-11-27T15:52:05.7451779Z", true), t);
  EXPECT_EQ(*FilterTimeBound("created_at", "2026-11-27T15:52:05Z", false), t - 745177);
  EXPECT_EQ(*FilterTimeBound("created_at", "2026-11-27T15:52:05.7Z", false), t - 45177);
  const int64_t day = t - (15 * 3600 + 52 * 60 + 5) * 1000000LL - 745177;
  EXPECT_EQ(*FilterTimeBound("updated_at", "2026-11-27", false), day);
  EXPECT_EQ(*FilterTimeBound("updated_at", "2026-11-27", true), day + 86400000000LL - 1);
  for (const char* bad : {"2026-11-27T15:52:05", "last week", "2026-11-27 15:52:05Z", "1e6", ""}) {
    auto b = FilterTimeBound("updated_at", bad, false);
    EXPECT_EQ(b.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(b.status().message().find("updated_at"), std::string::npos);
  }
}

}  // namespace
}  // namespace custos::records
