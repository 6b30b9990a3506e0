#include "records/model/validate.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "records/model/examples.h"
#include "records/model/formats.h"
#include "records/model/pattern.h"

namespace custos::records {
namespace {

using nlohmann::json;

const EntitySchema& Entity(std::string_view name) {
  const EntitySchema* e = FindEntity(name);
  EXPECT_NE(e, nullptr) << name;
  return *e;
}

// The single error a body produces, as text.
std::string OnlyError(std::string_view entity, const json& body, Mode mode = Mode::kCreate) {
  Validation v = CheckRecord(Entity(entity), body, mode);
  if (v.errors.size() != 1) return "expected one error, got " + std::to_string(v.errors.size());
  return v.errors[0].ToString();
}

json Trainee() { return ExampleRecord(Entity("trainee")); }

TEST(Validate, EveryExampleIsValidAndCanonical) {
  for (const EntitySchema& e : AllEntities()) {
    const json ex = ExampleRecord(e);
    ASSERT_FALSE(ex.empty()) << e.name;
    for (Mode mode : {Mode::kCreate, Mode::kReplace, Mode::kPatch}) {
      Result<json> r = ValidateRecord(e, ex, mode);
      ASSERT_TRUE(r.ok()) << e.name << ": " << r.status().ToString();
      EXPECT_EQ(*r, ex) << e.name;
    }
  }
}

// Numbered examples stay valid and canonical, and differ in every unique
// field from one n to the next (tests and the demo create many of them).
TEST(Validate, NumberedExamplesAreValidAndDistinctInUniqueFields) {
  for (const EntitySchema& e : AllEntities()) {
    std::set<std::string> seen;
    for (uint32_t n = 1; n <= 40; ++n) {
      const json ex = NumberedExampleRecord(e, n);
      Result<json> r = ValidateRecord(e, ex, Mode::kCreate);
      ASSERT_TRUE(r.ok()) << e.name << " " << n << ": " << r.status().ToString();
      EXPECT_EQ(*r, ex) << e.name;
      std::string key;
      for (const FieldSpec& f : e.fields) {
        if (f.unique) key += ex.value(std::string(f.name), json()).dump() + "|";
      }
      if (!key.empty()) {
        EXPECT_TRUE(seen.insert(key).second) << e.name << " " << n;
      }
    }
  }
  EXPECT_EQ(NumberedUln(0), "9000000008");  // 9*10 = 90, 90 + 8 = 98 = 8*11 + 10
  std::set<std::string> ulns;
  for (uint32_t n : {0u, 1000u, 12345u, 99999800u}) {  // disjoint runs of 200
    for (uint32_t k = n; k < n + 200 && k < 100000000; ++k) {
      const std::string u = NumberedUln(k);
      EXPECT_TRUE(IsValidUln(u)) << k << " " << u;
      EXPECT_TRUE(ulns.insert(u).second) << k << " " << u;
    }
  }
}

TEST(Validate, NonObjectBodies) {
  for (const json& body : {json::array(), json(5), json("x"), json(nullptr), json(true)}) {
    EXPECT_EQ(OnlyError("trainee", body), "body must be a JSON object");
  }
}

TEST(Validate, MissingRequiredOnCreateAndReplaceNotPatch) {
  json t = Trainee();
  t.erase("family_name");
  EXPECT_EQ(OnlyError("trainee", t), "field \"family_name\": is required");
  EXPECT_EQ(OnlyError("trainee", t, Mode::kReplace), "field \"family_name\": is required");
  EXPECT_TRUE(CheckRecord(Entity("trainee"), t, Mode::kPatch).ok());
  t["family_name"] = nullptr;
  EXPECT_EQ(OnlyError("trainee", t), "field \"family_name\": is required");
  EXPECT_EQ(OnlyError("trainee", t, Mode::kPatch),
            "field \"family_name\": is required and cannot be removed");
}

TEST(Validate, NullOptionalIsAbsentOnCreateAndRemovalInPatch) {
  json t = Trainee();
  t["phone"] = nullptr;
  Result<json> r = ValidateRecord(Entity("trainee"), t, Mode::kCreate);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->contains("phone"));
  Result<json> p = ValidateRecord(Entity("trainee"), json{{"phone", nullptr}}, Mode::kPatch);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (json{{"phone", nullptr}}));
}

TEST(Validate, UnknownAndServerFieldsRejected) {
  json t = Trainee();
  t["favourite_colour"] = "blue";
  EXPECT_EQ(OnlyError("trainee", t),
            "a key that is not a field of trainee (not quoted: it may be data)");
  t = Trainee();
  t["Given_Nme"] = "Alex";
  EXPECT_EQ(OnlyError("trainee", t),
            "a key that is not a field of trainee (not quoted: it may be data); did you mean "
            "\"given_name\"?");
  t = Trainee();
  t["trainee_id"] = "trn-1";  // a name Custos defines is safe to quote
  EXPECT_EQ(OnlyError("trainee", t), "field \"trainee_id\": unknown field for trainee");
  t = Trainee();
  t["id"] = "trn-1";
  EXPECT_EQ(OnlyError("trainee", t), "field \"id\": is set by the server and cannot be written");
  t = Trainee();
  t["alex@example.org"] = 1;  // data in a key's place is never quoted
  EXPECT_EQ(OnlyError("trainee", t),
            "a key that is not a field of trainee (not quoted: it may be data)");
}

TEST(Validate, NoTypeCoercion) {
  json p = ExampleRecord(Entity("programme"));
  p["level"] = "5";
  EXPECT_EQ(OnlyError("programme", p), "field \"level\": must be an integer, not a string");
  p["level"] = 5.0;
  EXPECT_EQ(OnlyError("programme", p),
            "field \"level\": must be an integer (no fractional form such as 5.0)");
  p["level"] = true;
  EXPECT_EQ(OnlyError("programme", p), "field \"level\": must be an integer");
  json e = ExampleRecord(Entity("employer"));
  e["levy_payer"] = "true";
  EXPECT_EQ(OnlyError("employer", e), "field \"levy_payer\": must be true or false, not a string");
  e["levy_payer"] = 1;
  EXPECT_EQ(OnlyError("employer", e), "field \"levy_payer\": must be true or false");
  json t = Trainee();
  t["given_name"] = 42;
  EXPECT_EQ(OnlyError("trainee", t), "field \"given_name\": must be a string");
  t = Trainee();
  t["date_of_birth"] = 20040229;
  EXPECT_EQ(OnlyError("trainee", t), "field \"date_of_birth\": must be a date string (YYYY-MM-DD)");
  json a = ExampleRecord(Entity("assessment"));
  a["score"] = "72";
  EXPECT_EQ(OnlyError("assessment", a), "field \"score\": must be a number, not a string");
}

TEST(Validate, InvalidDatesNameFieldWithoutValue) {
  json t = Trainee();
  t["date_of_birth"] = "2023-02-30";
  const std::string err = OnlyError("trainee", t);
  EXPECT_EQ(err, "field \"date_of_birth\": not a valid date (YYYY-MM-DD)");
  EXPECT_EQ(err.find("2023"), std::string::npos);
  json ev = ExampleRecord(Entity("evidence"));
  ev["captured_at"] = "2025-03-14 09:30";
  EXPECT_NE(OnlyError("evidence", ev).find("not a valid RFC 3339 date-time"), std::string::npos);
}

TEST(Validate, ErrorsNeverEchoTheValue) {
  const std::string secret = "Secret-Value-7731";
  for (const EntitySchema& e : AllEntities()) {
    for (const FieldSpec& f : e.fields) {
      for (const json& bad : {json(secret), json(secret + std::string(20000, 'x')),
                              json(secret + "\n\x01"), json::array({secret})}) {
        json body = ExampleRecord(e);
        body[std::string(f.name)] = bad;
        Validation v = CheckRecord(e, body, Mode::kCreate);
        for (const FieldError& err : v.errors) {
          EXPECT_EQ(err.ToString().find("Secret"), std::string::npos) << e.name << "." << f.name;
        }
      }
    }
  }
}

TEST(Validate, Ranges) {
  json att = ExampleRecord(Entity("attendance"));
  att["minutes"] = 1441;
  EXPECT_EQ(OnlyError("attendance", att), "field \"minutes\": must be at most 1440");
  att["minutes"] = -1;
  EXPECT_EQ(OnlyError("attendance", att), "field \"minutes\": must be at least 0");
  att["minutes"] = 1440;
  EXPECT_TRUE(CheckRecord(Entity("attendance"), att, Mode::kCreate).ok());
  att["minutes"] = json::number_unsigned_t{18446744073709551615ull};
  EXPECT_EQ(OnlyError("attendance", att), "field \"minutes\": is out of range");
  json a = ExampleRecord(Entity("assessment"));
  a["score"] = 100.01;
  EXPECT_EQ(OnlyError("assessment", a), "field \"score\": must be at most 100");
  a["score"] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(OnlyError("assessment", a), "field \"score\": must be a finite number");
  json p = ExampleRecord(Entity("programme"));
  p["level"] = 1;
  EXPECT_EQ(OnlyError("programme", p), "field \"level\": must be at least 2");
  p["level"] = 8;
  EXPECT_EQ(OnlyError("programme", p), "field \"level\": must be at most 7");
}

TEST(Validate, NumbersCanonical) {
  json a = ExampleRecord(Entity("assessment"));
  a["score"] = 85.0;
  Result<json> r = ValidateRecord(Entity("assessment"), a, Mode::kCreate);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)["score"].is_number_integer());
  EXPECT_EQ((*r)["score"].dump(), "85");
  a["score"] = 85.25;
  r = ValidateRecord(Entity("assessment"), a, Mode::kCreate);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["score"].get<double>(), 85.25);
}

TEST(Validate, Enums) {
  json t = Trainee();
  t["status"] = "Active";
  EXPECT_EQ(OnlyError("trainee", t),
            "field \"status\": must be one of: active, break_in_learning, withdrawn, completed");
  json a = ExampleRecord(Entity("attendance"));
  a["status"] = "authorised_absence";
  EXPECT_TRUE(CheckRecord(Entity("attendance"), a, Mode::kCreate).ok());
}

TEST(Validate, StringLimitsAndControls) {
  json t = Trainee();
  t["given_name"] = std::string(201, 'a');
  EXPECT_EQ(OnlyError("trainee", t), "field \"given_name\": is longer than 200 characters");
  // 200 two-byte characters fit: lengths count code points, not bytes.
  std::string e200;
  for (int i = 0; i < 200; ++i) e200 += "\xC3\xA9";
  t["given_name"] = e200;
  EXPECT_TRUE(CheckRecord(Entity("trainee"), t, Mode::kCreate).ok());
  t["given_name"] = "   ";
  EXPECT_EQ(OnlyError("trainee", t), "field \"given_name\": must not be empty");
  t["given_name"] = "Al\nex";
  EXPECT_EQ(OnlyError("trainee", t),
            "field \"given_name\": contains a line break or control character");
  t["given_name"] = "Al\xFF";
  EXPECT_EQ(OnlyError("trainee", t), "field \"given_name\": is not valid UTF-8");
  json a = ExampleRecord(Entity("assessment"));
  a["notes"] = "Line one\r\nLine two\tindented";
  EXPECT_TRUE(CheckRecord(Entity("assessment"), a, Mode::kCreate).ok());
  a["notes"] = std::string(kLongTextMaxLength, 'n');
  EXPECT_TRUE(CheckRecord(Entity("assessment"), a, Mode::kCreate).ok());
  a["notes"] = std::string(kLongTextMaxLength + 1, 'n');
  EXPECT_EQ(OnlyError("assessment", a), "field \"notes\": is longer than 10000 characters");
}

TEST(Validate, NormalisesStrings) {
  json t = Trainee();
  t["given_name"] = "  Alex \t";
  t["national_insurance_number"] = " ab 12 34 56 c ";
  t["postcode"] = "sw1a 1aa";
  t["email"] = "Alex.Example@EXAMPLE.Org";
  Result<json> r = ValidateRecord(Entity("trainee"), t, Mode::kCreate);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["given_name"], "Alex");
  EXPECT_EQ((*r)["national_insurance_number"], "AB123456C");
  EXPECT_EQ((*r)["postcode"], "SW1A 1AA");
  EXPECT_EQ((*r)["email"], "Alex.Example@example.org");
  json ev = ExampleRecord(Entity("evidence"));
  ev["document_sha256"] = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
  r = ValidateRecord(Entity("evidence"), ev, Mode::kCreate);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["document_sha256"], ExampleRecord(Entity("evidence"))["document_sha256"]);
  // Canonical output is a fixed point.
  Result<json> again = ValidateRecord(
      Entity("trainee"), *ValidateRecord(Entity("trainee"), t, Mode::kCreate), Mode::kCreate);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->dump(), ValidateRecord(Entity("trainee"), t, Mode::kCreate)->dump());
}

TEST(Validate, Patterns) {
  json t = Trainee();
  t["uln"] = "9276308687";
  EXPECT_EQ(
      OnlyError("trainee", t),
      "field \"uln\": not a valid ULN (10 digits, the last a check digit that does not match)");
  t["uln"] = "92763086";
  EXPECT_EQ(OnlyError("trainee", t),
            "field \"uln\": does not match the required format (10 digits, the first non-zero)");
  t = Trainee();
  t["national_insurance_number"] = "GB123456A";  // a prefix never issued
  EXPECT_NE(OnlyError("trainee", t).find("national_insurance_number"), std::string::npos);
  t["national_insurance_number"] = "AB123456E";
  EXPECT_NE(OnlyError("trainee", t).find("does not match"), std::string::npos);
  t = Trainee();
  t["email"] = "alex@";
  EXPECT_EQ(OnlyError("trainee", t), "field \"email\": not a valid e-mail address");
  json p = ExampleRecord(Entity("programme"));
  p["standard_code"] = "st0116";
  Result<json> r = ValidateRecord(Entity("programme"), p, Mode::kCreate);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["standard_code"], "ST0116");
  p["standard_code"] = "ST116";
  EXPECT_EQ(
      OnlyError("programme", p),
      "field \"standard_code\": does not match the required format (ST followed by four digits)");
  json ev = ExampleRecord(Entity("evidence"));
  ev["document_sha256"] = std::string(63, 'a');
  EXPECT_NE(OnlyError("evidence", ev).find("64 hexadecimal digits"), std::string::npos);
}

TEST(Validate, References) {
  json en = ExampleRecord(Entity("enrollment"));
  en["trainee_id"] = "../etc/passwd";
  EXPECT_EQ(OnlyError("enrollment", en), "field \"trainee_id\": not a valid record id");
  en["trainee_id"] = 17;
  EXPECT_EQ(OnlyError("enrollment", en), "field \"trainee_id\": must be a record id (a string)");
  en["trainee_id"] = std::string(65, 'a');
  EXPECT_EQ(OnlyError("enrollment", en), "field \"trainee_id\": not a valid record id");
  // The check agrees with kIdPattern at its edges.
  for (std::string bad : {std::string("a b"), std::string("a.b"), std::string("\u00e9t\u00e9"),
                          std::string("a/b"), std::string("a+b")}) {
    en["trainee_id"] = bad;
    EXPECT_EQ(OnlyError("enrollment", en), "field \"trainee_id\": not a valid record id") << bad;
    EXPECT_FALSE(MatchesPattern(kIdPattern, bad)) << bad;
  }
  for (std::string good : {std::string(64, 'z'), std::string("A-b_9"), std::string("-")}) {
    EXPECT_TRUE(MatchesPattern(kIdPattern, good)) << good;
    en["trainee_id"] = good;
    auto r = ValidateRecord(Entity("enrollment"), en, Mode::kCreate);
    EXPECT_TRUE(r.ok()) << good << ": " << r.status().ToString();
  }
}

TEST(Validate, DateOrders) {
  json en = ExampleRecord(Entity("enrollment"));
  en["planned_end_date"] = "2024-09-01";
  EXPECT_EQ(OnlyError("enrollment", en),
            "field \"planned_end_date\": must not be before start_date");
  en["planned_end_date"] = "2024-09-02";  // same day is allowed
  EXPECT_TRUE(CheckRecord(Entity("enrollment"), en, Mode::kCreate).ok());
  // A patch alone cannot see the other date; ApplyPatch checks the merged record.
  Result<json> merged = ApplyPatch(Entity("enrollment"), ExampleRecord(Entity("enrollment")),
                                   json{{"actual_end_date", "2020-01-01"}});
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().message(), "field \"actual_end_date\": must not be before start_date");
}

TEST(Validate, CollectsEveryError) {
  json t = Trainee();
  t["uln"] = 5;
  t["email"] = "nope";
  t.erase("status");
  t["x"] = 1;
  Validation v = CheckRecord(Entity("trainee"), t, Mode::kCreate);
  ASSERT_EQ(v.errors.size(), 4u);
  EXPECT_EQ(v.errors[0].field, "");
  EXPECT_EQ(v.errors[1].field, "uln");
  EXPECT_EQ(v.errors[2].field, "email");
  EXPECT_EQ(v.errors[3].field, "status");
  Status st = ErrorsToStatus(v.errors);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "a key that is not a field of trainee (not quoted: it may be data); "
            "field \"uln\": must be a string; "
            "field \"email\": not a valid e-mail address; field \"status\": is required");
  std::vector<FieldError> many(13, FieldError{"f", "bad"});
  EXPECT_NE(ErrorsToStatus(many).message().find("; and 3 more"), std::string::npos);
}

TEST(Validate, ApplyPatchMergesAndDropsServerFields) {
  json stored = Trainee();
  stored["id"] = "trn-0001";
  stored["version"] = 3;
  Result<json> merged =
      ApplyPatch(Entity("trainee"), stored, json{{"phone", nullptr}, {"status", "completed"}});
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  json expected = Trainee();
  expected.erase("phone");
  expected["status"] = "completed";
  EXPECT_EQ(*merged, expected);
  EXPECT_FALSE(ApplyPatch(Entity("trainee"), stored, json{{"status", "gone"}}).ok());
  EXPECT_FALSE(ApplyPatch(Entity("trainee"), stored, json{{"id", "other"}}).ok());
}

TEST(Validate, SubjectRules) {
  Result<SubjectLink> s = SubjectOf(Entity("enrollment"), ExampleRecord(Entity("enrollment")));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, SubjectRule::Kind::kField);
  EXPECT_EQ(s->id, "trn-0001");
  s = SubjectOf(Entity("attendance"), ExampleRecord(Entity("attendance")));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, SubjectRule::Kind::kVia);
  EXPECT_EQ(s->entity, "enrollment");
  EXPECT_EQ(s->id, "enr-0001");
  s = SubjectOf(Entity("trainee"), Trainee());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, SubjectRule::Kind::kSelf);
  s = SubjectOf(Entity("employer"), json::object());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, SubjectRule::Kind::kInstitution);
  EXPECT_FALSE(SubjectOf(Entity("assessment"), json::object()).ok());
}

}  // namespace
}  // namespace custos::records
