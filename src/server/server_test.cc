// Unit tests of the server's tables and rules: routing, the role matrix,
// OpenAPI coverage, tokens and the own-record rules.
#include "server/server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "audit/audit_log.h"
#include "base/fs.h"
#include "records/model/examples.h"
#include "records/sqlite_store.h"
#include "server/access.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/openapi.h"
#include "server/routes.h"

namespace custos::server {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "custos-server-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Routes, MatchesTemplatesAndExtractsParams) {
  RouteMatch m = MatchRoute("GET", "/api/v1/trainees/01HABC");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->id, "trainees.get");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], "01HABC");

  m = MatchRoute("POST", "/api/v1/trainees/import");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->id, "trainees.import");

  m = MatchRoute("GET", "/api/v1/assessments/X/history");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->id, "assessments.history");

  m = MatchRoute("GET", "/api/v1/audit/proof/inclusion");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->kind, RouteKind::kAuditInclusion);
}

TEST(Routes, UnknownPathAndWrongMethod) {
  EXPECT_EQ(MatchRoute("GET", "/api/v1/nothing").route, nullptr);
  EXPECT_FALSE(MatchRoute("GET", "/api/v1/nothing").path_known);
  EXPECT_EQ(MatchRoute("GET", "/api/v1/trainees/").route, nullptr);  // empty id
  EXPECT_EQ(MatchRoute("GET", "relative").route, nullptr);
  RouteMatch m = MatchRoute("POST", "/api/v1/trainees/ID");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_known);
  EXPECT_NE(m.allow.find("GET"), std::string::npos);
  EXPECT_NE(m.allow.find("PATCH"), std::string::npos);
  EXPECT_EQ(MatchRoute("GET", "/a/b/c/d/e/f/g/h/i/j").route, nullptr);  // too deep
}

TEST(Routes, EveryRouteIsReachableAndUnique) {
  std::set<std::string> ids, method_paths;
  for (const Route& r : Routes()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_TRUE(method_paths.insert(r.method + " " + r.path).second) << r.id;
    // Substitute each parameter and check the route matches itself.
    std::string path;
    for (const std::string& s : r.segments) path += "/" + (s.front() == '{' ? "P1" : s);
    RouteMatch m = MatchRoute(r.method, path);
    ASSERT_NE(m.route, nullptr) << r.id;
    if (r.id.ends_with(".get") || r.id.ends_with(".replace") || r.id.ends_with(".patch") ||
        r.id.ends_with(".delete") || r.id.ends_with(".history") || !r.entity) {
      EXPECT_EQ(m.route->id, r.id);
    }
  }
  // Every entity has its eight routes.
  for (const records::EntitySchema& e : records::AllEntities()) {
    for (const char* op :
         {"create", "list", "get", "replace", "patch", "delete", "import", "history"}) {
      EXPECT_NE(FindRoute(std::string(e.plural) + "." + op), nullptr) << e.plural << op;
    }
  }
}

TEST(RoleMatrix, KeyCells) {
  auto access = [](std::string_view id, Role role) { return FindRoute(id)->AccessFor(role); };
  // Writes: auditors and trainees never write.
  for (const Route& r : Routes()) {
    if (r.method != "GET" && r.kind != RouteKind::kAuditSign) {
      EXPECT_EQ(r.AccessFor(Role::kAuditor), Access::kDeny) << r.id;
    }
    if (r.method != "GET") {
      EXPECT_EQ(r.AccessFor(Role::kTrainee), Access::kDeny) << r.id;
    }
    EXPECT_NE(r.AccessFor(Role::kAdmin), Access::kDeny) << r.id;
  }
  EXPECT_EQ(access("assessments.create", Role::kAssessor), Access::kOwn);
  EXPECT_EQ(access("attendance.patch", Role::kAssessor), Access::kOwn);
  EXPECT_EQ(access("trainees.create", Role::kAssessor), Access::kDeny);
  EXPECT_EQ(access("certifications.create", Role::kAssessor), Access::kDeny);
  EXPECT_EQ(access("trainees.get", Role::kTrainee), Access::kOwn);
  EXPECT_EQ(access("trainees.history", Role::kTrainee), Access::kOwn);
  EXPECT_EQ(access("employers.get", Role::kTrainee), Access::kDeny);
  EXPECT_EQ(access("audit.entry", Role::kRegistrar), Access::kLimited);
  EXPECT_EQ(access("audit.entry", Role::kAuditor), Access::kAllow);
  EXPECT_EQ(access("roles", Role::kRegistrar), Access::kDeny);
  EXPECT_EQ(access("tokens.create", Role::kAuditor), Access::kDeny);
  EXPECT_EQ(FindRoute("health")->auth, AuthMode::kPublic);
  EXPECT_EQ(FindRoute("metrics")->auth, AuthMode::kTokenOrLoopback);
}

TEST(RoleMatrix, JsonListsEveryRouteAndRole) {
  nlohmann::json j = RoleMatrixJson();
  ASSERT_EQ(j["routes"].size(), Routes().size());
  for (const auto& row : j["routes"]) {
    ASSERT_EQ(row["access"].size(), kRoleCount) << row["id"];
    const Route* r = FindRoute(row["id"].get<std::string>());
    ASSERT_NE(r, nullptr);
    for (Role role : kAllRoles) {
      EXPECT_EQ(row["access"][std::string(RoleName(role))], AccessName(r->AccessFor(role)));
    }
  }
}

TEST(OpenApi, DocumentsEveryRoute) {
  const nlohmann::json& doc = OpenApiDocument();
  EXPECT_EQ(doc["openapi"], "3.0.3");
  size_t operations = 0;
  for (const Route& r : Routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    ASSERT_TRUE(doc["paths"].contains(r.path)) << r.path;
    ASSERT_TRUE(doc["paths"][r.path].contains(method)) << r.id;
    const auto& op = doc["paths"][r.path][method];
    EXPECT_EQ(op["operationId"], r.id);
    EXPECT_TRUE(op["responses"].is_object());
    EXPECT_EQ(op["x-custos-roles"].size(), kRoleCount);
    ++operations;
    // Every $ref names a component that exists.
    std::string text = op.dump();
    for (size_t p = text.find("#/components/schemas/"); p != std::string::npos;
         p = text.find("#/components/schemas/", p + 1)) {
      size_t start = p + std::string_view("#/components/schemas/").size();
      std::string name = text.substr(start, text.find('"', start) - start);
      EXPECT_TRUE(doc["components"]["schemas"].contains(name)) << name;
    }
  }
  size_t documented = 0;
  for (const auto& [path, ops] : doc["paths"].items()) documented += ops.size();
  EXPECT_EQ(documented, operations);  // nothing documented that the router lacks
}

TEST(Auth, TokenFormatAndHash) {
  std::string a = GenerateTokenText(), b = GenerateTokenText();
  EXPECT_TRUE(a.starts_with("cst_"));
  EXPECT_EQ(a.size(), 4u + 43u);
  EXPECT_NE(a, b);
  for (char c : a.substr(4)) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << a;
  }
  EXPECT_EQ(HashToken(a), HashToken(a));
  EXPECT_NE(HashToken(a), HashToken(b));
}

TEST(Auth, BindingRules) {
  EXPECT_FALSE(ValidateNewToken({Role::kTrainee, "", "", ""}).ok());
  EXPECT_TRUE(ValidateNewToken({Role::kTrainee, "01HXYZ", "", ""}).ok());
  EXPECT_FALSE(ValidateNewToken({Role::kTrainee, "bad id!", "", ""}).ok());
  EXPECT_FALSE(ValidateNewToken({Role::kAssessor, "", "", ""}).ok());
  EXPECT_TRUE(ValidateNewToken({Role::kAssessor, "", "Pat", ""}).ok());
  EXPECT_FALSE(ValidateNewToken({Role::kRegistrar, "01HXYZ", "", ""}).ok());
  EXPECT_FALSE(ValidateNewToken({Role::kAdmin, "", "Pat", ""}).ok());
}

TEST(Auth, StoreCreatesAuthenticatesRevokesAndPersists) {
  TempDir dir;
  std::string token, id;
  {
    auto store = TokenStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_TRUE(*(*store)->Empty());
    auto c = (*store)->Create({Role::kAssessor, "", "Pat Assessor", "pat"});
    ASSERT_TRUE(c.ok());
    token = c->token;
    id = c->info.id;
    auto who = (*store)->Authenticate(token);
    ASSERT_TRUE(who.has_value());
    EXPECT_EQ(who->role, Role::kAssessor);
    EXPECT_EQ(who->assessor, "Pat Assessor");
    std::string wrong = token;
    wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
    EXPECT_FALSE((*store)->Authenticate(wrong).has_value());
    EXPECT_FALSE((*store)->Authenticate("").has_value());
  }
  // The file holds no secret and is private.
  std::string path = JoinPath(JoinPath(dir.path(), "auth"), "tokens.json");
  auto raw = ReadWholeFile(path);
  ASSERT_TRUE(raw.ok());
  std::string text(raw->begin(), raw->end());
  EXPECT_EQ(text.find(token), std::string::npos);
  EXPECT_NE(text.find(ToHex(HashToken(token))), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    auto store = TokenStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    EXPECT_TRUE((*store)->Authenticate(token).has_value());
    ASSERT_TRUE((*store)->Revoke(id).ok());
    EXPECT_FALSE((*store)->Authenticate(token).has_value());
    EXPECT_TRUE((*store)->Revoke("tok_nope").IsNotFound());
    // CUSTOS_ADMIN_TOKEN: added once, never twice, and a short one refused.
    std::string env = "cst_" + std::string(40, 'x');
    EXPECT_TRUE(*(*store)->AddAdminToken(env, "env"));
    EXPECT_FALSE(*(*store)->AddAdminToken(env, "env"));
    EXPECT_FALSE((*store)->AddAdminToken("short", "env").ok());
    EXPECT_EQ((*store)->Authenticate(env)->role, Role::kAdmin);
  }
}

// /health turns 503 while a promise is broken and says which: entries going
// unsigned (a checkpoint cannot be stored; it recovers by itself once it
// can), then a store that refuses writes after a failed sync of its
// write-ahead log (until restarted). /metrics says the same.
TEST(Health, TurnsFailingWhileEntriesGoUnsignedOrWritesAreRefused) {
  TempDir dir;
  std::atomic<bool> fail_sync{false};
  std::atomic<bool> disk_full{false};
  records::SqliteStoreOptions o;
  o.sync_wal = [&fail_sync](int fd) -> int {
    if (fail_sync) {
      errno = EIO;
      return -1;
    }
    return ::fdatasync(fd);
  };
  auto store = records::OpenSqliteStore(dir.path(), o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  audit::AuditLogOptions ao;
  ao.data_dir = dir.path();
  ao.origin = "custos.test/health";
  ao.checkpoint_interval = std::chrono::milliseconds(50);
  ao.before_checkpoint_store = [&disk_full]() -> Status {
    return disk_full ? Status::IOError("writing checkpoints.log: No space left on device")
                     : Status::OK();
  };
  auto log = audit::AuditLog::Open(**store, ao);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto tokens = TokenStore::Open(dir.path());
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  Api api(**store, log->get(), **tokens);
  ApiRequest health;
  health.route = MatchRoute("GET", "/health").route;
  ASSERT_NE(health.route, nullptr);
  auto check = [&](int status) {
    for (int i = 0; i < 250 && api.Handle(health).status != status; i++) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ApiResponse r = api.Handle(health);
    EXPECT_EQ(r.status, status) << r.body;
    return nlohmann::json::parse(r.body);
  };
  auto metric = [&](const std::string& line) {
    return api.StoreMetricsText().find(line + "\n") != std::string::npos;
  };
  const records::Actor actor{"tok1", "registrar"};

  ASSERT_TRUE((*store)->Create(actor, "employer", {{"name", "Before"}}).ok());
  for (int i = 0; i < 250 && (*log)->CheckpointSize() != 1; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ((*log)->CheckpointSize(), 1u);
  nlohmann::json j = check(200);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["writes"], "accepted");
  EXPECT_EQ(j["checkpoints"], "ok");
  EXPECT_EQ(j["last_seq"], 1);
  EXPECT_FALSE(j.contains("problems"));
  EXPECT_TRUE(metric("custos_store_writable 1"));
  EXPECT_TRUE(metric("custos_audit_signing 1"));

  disk_full = true;
  ASSERT_TRUE((*store)->Create(actor, "employer", {{"name", "Unsigned"}}).ok());
  j = check(503);
  EXPECT_EQ(j["status"], "failing");
  EXPECT_EQ(j["writes"], "accepted");
  EXPECT_EQ(j["checkpoints"], "failing");
  EXPECT_EQ(j["tree_size"], 2);
  EXPECT_EQ(j["checkpoint_size"], 1);
  ASSERT_EQ(j["problems"].size(), 1u);
  EXPECT_NE(j["problems"][0].get<std::string>().find("audit log: "), std::string::npos);
  EXPECT_NE(j["problems"][0].get<std::string>().find("No space left"), std::string::npos);
  EXPECT_TRUE(metric("custos_audit_signing 0"));
  EXPECT_TRUE(metric("custos_audit_checkpoint_size 1"));

  disk_full = false;  // the signer retries by itself
  j = check(200);
  EXPECT_EQ(j["checkpoint_size"], 2);
  EXPECT_TRUE(metric("custos_audit_signing 1"));

  fail_sync = true;
  auto lost = (*store)->Create(actor, "employer", {{"name", "Lost"}});
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), Code::kIOError);
  fail_sync = false;  // the store stays refusing: a later sync cannot vouch for the lost frames
  EXPECT_EQ((*store)->Create(actor, "employer", {{"name", "After"}}).status().code(),
            Code::kIOError);
  ApiResponse failing = api.Handle(health);
  EXPECT_EQ(failing.status, 503);
  j = nlohmann::json::parse(failing.body);
  EXPECT_EQ(j["status"], "failing");
  EXPECT_EQ(j["writes"], "refused");
  EXPECT_EQ(j["checkpoints"], "ok");
  ASSERT_EQ(j["problems"].size(), 1u);
  EXPECT_NE(j["problems"][0].get<std::string>().find("records store: "), std::string::npos);
  EXPECT_NE(j["problems"][0].get<std::string>().find("restart"), std::string::npos);
  for (const char* name : {"Unsigned", "Lost", "After"}) {
    EXPECT_EQ(failing.body.find(name), std::string::npos) << "no record data in health";
  }
  EXPECT_TRUE(metric("custos_store_writable 0"));
  log->reset();
}

TEST(Listen, ParsesAndClassifiesLoopback) {
  auto a = ParseListenAddress("127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->loopback);
  EXPECT_EQ(a->port, 8080);
  EXPECT_TRUE(ParseListenAddress("[::1]:0")->loopback);
  EXPECT_TRUE(ParseListenAddress("localhost:1")->loopback);
  EXPECT_TRUE(ParseListenAddress("127.1.2.3:1")->loopback);
  EXPECT_FALSE(ParseListenAddress("0.0.0.0:1")->loopback);
  EXPECT_FALSE(ParseListenAddress(":8080")->loopback);
  EXPECT_FALSE(ParseListenAddress("127.0.0.1.evil.com:1")->loopback);
  EXPECT_FALSE(ParseListenAddress("10.0.0.1:80")->loopback);
  EXPECT_FALSE(ParseListenAddress("127.0.0.1").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:70000").ok());
  EXPECT_FALSE(ParseListenAddress("::1:80").ok());
}

TEST(Server, RefusesPlainHttpOffLoopback) {
  TempDir dir;
  ServerOptions o;
  o.data_dir = dir.path() + "/data";
  o.listen = "0.0.0.0:0";
  auto s = ApiServer::Open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_NE(s.status().message().find("plain HTTP"), std::string::npos);
}

class OwnerCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = records::OpenSqliteStore(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    auto make = [&](std::string_view entity, nlohmann::json body) {
      auto r = store_->Create(actor_, entity, body);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      return *r;
    };
    auto ex = [](std::string_view e) { return records::ExampleRecord(*records::FindEntity(e)); };
    employer_ = make("employer", ex("employer")).id;
    programme_ = make("programme", ex("programme")).id;
    for (int i = 0; i < 2; ++i) {
      auto t = ex("trainee");
      t["uln"] = i == 0 ? "9276308686" : "1000000000";
      t["employer_id"] = employer_;
      trainees_[i] = make("trainee", t).id;
      auto en = ex("enrollment");
      en["trainee_id"] = trainees_[i];
      en["programme_id"] = programme_;
      en["employer_id"] = employer_;
      enrollments_[i] = make("enrollment", en).id;
    }
    auto a = ex("assessment");
    a["enrollment_id"] = enrollments_[0];
    a["assessor"] = "Pat Assessor";
    assessment_ = make("assessment", a);
  }

  TempDir dir_;
  records::Actor actor_{"test", "registrar"};
  std::unique_ptr<records::RecordsStore> store_;
  std::string employer_, programme_, trainees_[2], enrollments_[2];
  records::Record assessment_;
};

TEST_F(OwnerCheckTest, AssessorSeesAndWritesOnlyWhatTheyAssess) {
  TokenInfo pat;
  pat.role = Role::kAssessor;
  pat.assessor = "Pat Assessor";
  OwnerCheck own(*store_, pat);
  EXPECT_TRUE(*own.AssessesEnrollment(enrollments_[0]));
  EXPECT_FALSE(*own.AssessesEnrollment(enrollments_[1]));
  EXPECT_TRUE(*own.AssessesTrainee(trainees_[0]));
  EXPECT_FALSE(*own.AssessesTrainee(trainees_[1]));
  EXPECT_TRUE(*own.MayRead(*store_->Get("enrollment", enrollments_[0])));
  EXPECT_FALSE(*own.MayRead(*store_->Get("enrollment", enrollments_[1])));
  EXPECT_TRUE(*own.MayRead(*store_->Get("trainee", trainees_[0])));
  EXPECT_FALSE(*own.MayRead(*store_->Get("employer", employer_)));
  EXPECT_TRUE(*own.MayRead(*store_->Get("programme", programme_)));

  const records::EntitySchema& as = *records::FindEntity("assessment");
  nlohmann::json mine = nlohmann::json::parse(assessment_.data);
  nlohmann::json other = mine;
  other["assessor"] = "Someone Else";
  nlohmann::json elsewhere = mine;
  elsewhere["enrollment_id"] = enrollments_[1];
  EXPECT_TRUE(*own.MayWrite(as, nullptr, &mine));
  EXPECT_TRUE(*own.MayWrite(as, &mine, &mine));
  EXPECT_TRUE(*own.MayWrite(as, &mine, nullptr));
  EXPECT_FALSE(*own.MayWrite(as, &mine, &other));        // handing it to someone else
  EXPECT_FALSE(*own.MayWrite(as, nullptr, &elsewhere));  // not their enrollment
  EXPECT_FALSE(*own.MayWrite(*records::FindEntity("certification"), nullptr, &mine));

  // A different name sees nothing.
  TokenInfo kim = pat;
  kim.assessor = "Kim";
  OwnerCheck other_check(*store_, kim);
  EXPECT_FALSE(*other_check.MayRead(*store_->Get("enrollment", enrollments_[0])));
}

TEST_F(OwnerCheckTest, TraineeSeesOnlyTheirSubject) {
  TokenInfo t;
  t.role = Role::kTrainee;
  t.trainee = trainees_[0];
  OwnerCheck own(*store_, t);
  EXPECT_TRUE(*own.MayRead(*store_->Get("trainee", trainees_[0])));
  EXPECT_TRUE(*own.MayRead(*store_->Get("enrollment", enrollments_[0])));
  EXPECT_TRUE(*own.MayRead(*store_->Get("assessment", assessment_.id)));
  EXPECT_FALSE(*own.MayRead(*store_->Get("trainee", trainees_[1])));
  EXPECT_FALSE(*own.MayRead(*store_->Get("enrollment", enrollments_[1])));
  EXPECT_FALSE(*own.MayRead(*store_->Get("employer", employer_)));
  EXPECT_FALSE(*own.MayWrite(*records::FindEntity("assessment"), nullptr, nullptr));
}

}  // namespace
}  // namespace custos::server
