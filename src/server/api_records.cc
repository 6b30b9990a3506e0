// Record routes: create, read, replace, patch, delete, list, import, history.
#include <future>
#include <set>

#include "base/log.h"
#include "records/keystore.h"
#include "records/model/json_parse.h"
#include "records/model/validate.h"
#include "server/access.h"
#include "server/api.h"
#include "server/import_parse.h"

namespace custos::server {
namespace {

using nlohmann::json;
using records::EntitySchema;
using records::Record;

std::string ETag(uint64_t version) { return "\"" + std::to_string(version) + "\""; }

ApiResponse RecordResponse(int status, const Record& rec) {
  ApiResponse r;
  r.status = status;
  r.body = RecordJson(rec);
  r.headers.emplace_back("ETag", ETag(rec.version));
  return r;
}

// The JSON body of a create, replace, patch or token request.
Result<json> ParseBody(const ApiRequest& req) {
  if (req.body.empty()) return Status::InvalidArgument("the request body is empty");
  if (!req.content_type.empty() && req.content_type != "application/json" &&
      req.content_type != "application/merge-patch+json") {
    return Status::Unsupported("Content-Type must be application/json");
  }
  records::JsonLimits limits;
  limits.max_bytes = kJsonBodyLimit;
  ASSIGN_OR_RETURN(json j, records::ParseJsonStrict(req.body, limits));
  if (!j.is_object()) return Status::InvalidArgument("the request body must be a JSON object");
  return j;
}

ApiResponse BodyError(const Status& st) {
  if (st.code() == Code::kUnsupported) {
    return ErrorResponse(415, "unsupported_media_type", st.message());
  }
  return ErrorResponse(400, "malformed_body", st.message());
}

// The expected version from If-Match ("3", W/"3" or 3) or ?version=3.
// 0 with a response set when missing or malformed.
uint64_t ExpectedVersion(const ApiRequest& req, ApiResponse* error) {
  std::string_view v;
  if (!req.if_match.empty()) {
    v = req.if_match;
    if (v.starts_with("W/")) v.remove_prefix(2);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  } else if (auto q = QueryParam(req, "version")) {
    v = *q;
  } else {
    *error = ErrorResponse(428, "precondition_required",
                           "send the record's current version in If-Match or ?version=");
    return 0;
  }
  auto n = ParseU64(v);
  if (!n || *n == 0) {
    *error = ErrorResponse(400, "bad_version", "the version must be a positive integer");
    return 0;
  }
  return *n;
}

ApiResponse Forbidden(std::string_view what) {
  return ErrorResponse(403, "forbidden", std::string(what));
}

json ProblemsJson(const std::vector<ImportProblem>& problems) {
  json arr = json::array();
  for (const ImportProblem& p : problems) {
    json e = {{"line", p.line}, {"reason", p.reason}};
    if (!p.field.empty()) e["field"] = p.field;
    arr.push_back(std::move(e));
  }
  return arr;
}

}  // namespace

ApiResponse Api::Create(const ApiRequest& req) {
  const EntitySchema& e = *req.route->entity;
  auto body = ParseBody(req);
  if (!body.ok()) return BodyError(body.status());
  if (req.access == Access::kOwn) {
    auto canon = records::ValidateRecord(e, *body, records::Mode::kCreate);
    if (!canon.ok()) return StatusResponse(canon.status());
    OwnerCheck own(store_, *req.caller);
    auto may = own.MayWrite(e, nullptr, &*canon);
    if (!may.ok()) return StatusResponse(may.status());
    if (!*may) return Forbidden("this role may create only records of enrollments it assesses");
  }
  auto rec = store_.Create(ActorOf(req), e.name, *body);
  if (!rec.ok()) return StatusResponse(rec.status());
  ApiResponse r = RecordResponse(201, *rec);
  r.headers.emplace_back("Location", "/api/v1/" + std::string(e.plural) + "/" + rec->id);
  return r;
}

bool Api::StartAsync(const ApiRequest& req, Done done) {
  if (req.route == nullptr || req.route->kind != RouteKind::kRecordCreate ||
      req.access != Access::kAllow || req.body.size() > kAsyncBodyLimit) {
    return false;
  }
  try {
    const EntitySchema& e = *req.route->entity;
    auto body = ParseBody(req);
    if (!body.ok()) {
      done(BodyError(body.status()));
      return true;
    }
    store_.CreateAsync(ActorOf(req), e.name, *body, [&e, done](Result<Record> rec) {
      if (!rec.ok()) {
        done(StatusResponse(rec.status()));
        return;
      }
      ApiResponse r = RecordResponse(201, *rec);
      r.headers.emplace_back("Location", "/api/v1/" + std::string(e.plural) + "/" + rec->id);
      done(std::move(r));
    });
  } catch (const std::exception&) {
    LogError("handler threw", {{"route", req.route->id}});
    done(ErrorResponse(500, "internal", "internal error"));
  }
  return true;
}

ApiResponse Api::Get(const ApiRequest& req) {
  const EntitySchema& e = *req.route->entity;
  if (auto p = ReadPurpose(req); !p.ok()) return AccessLogFailed(p.status());
  auto rec = store_.Get(e.name, req.params[0]);
  if (!rec.ok()) return StatusResponse(rec.status());
  if (req.access == Access::kOwn) {
    OwnerCheck own(store_, *req.caller);
    auto may = own.MayRead(*rec);
    if (!may.ok()) return StatusResponse(may.status());
    if (!*may) return ErrorResponse(404, "not_found", std::string(e.name) + " not found");
  }
  if (Status st = LogRead(req, rec->subject_id, e.name, rec->id); !st.ok()) {
    return AccessLogFailed(st);
  }
  return RecordResponse(200, *rec);
}

ApiResponse Api::Update(const ApiRequest& req, records::UpdateMode mode) {
  const EntitySchema& e = *req.route->entity;
  ApiResponse error;
  uint64_t version = ExpectedVersion(req, &error);
  if (version == 0) return error;
  auto body = ParseBody(req);
  if (!body.ok()) return BodyError(body.status());
  if (req.access == Access::kOwn) {
    auto cur = store_.Get(e.name, req.params[0]);
    if (!cur.ok()) return StatusResponse(cur.status());
    if (cur->version != version) {
      return ErrorResponse(
          409, "version_conflict",
          std::string(e.name) + " " + cur->id + " is at version " + std::to_string(cur->version));
    }
    json before = json::parse(cur->data, nullptr, false);
    auto after = mode == records::UpdateMode::kPatch
                     ? records::ApplyPatch(e, before, *body)
                     : records::ValidateRecord(e, *body, records::Mode::kReplace);
    if (!after.ok()) return StatusResponse(after.status());
    OwnerCheck own(store_, *req.caller);
    auto may = own.MayWrite(e, &before, &*after);
    if (!may.ok()) return StatusResponse(may.status());
    if (!*may) return Forbidden("this role may change only records of enrollments it assesses");
  }
  auto rec = store_.Update(ActorOf(req), e.name, req.params[0], version, *body, mode);
  if (!rec.ok()) return StatusResponse(rec.status());
  return RecordResponse(200, *rec);
}

ApiResponse Api::Delete(const ApiRequest& req) {
  const EntitySchema& e = *req.route->entity;
  ApiResponse error;
  uint64_t version = ExpectedVersion(req, &error);
  if (version == 0) return error;
  if (req.access == Access::kOwn) {
    auto cur = store_.Get(e.name, req.params[0]);
    if (!cur.ok()) return StatusResponse(cur.status());
    json before = json::parse(cur->data, nullptr, false);
    OwnerCheck own(store_, *req.caller);
    auto may = own.MayWrite(e, &before, nullptr);
    if (!may.ok()) return StatusResponse(may.status());
    if (!*may) return Forbidden("this role may delete only records of enrollments it assesses");
  }
  if (Status st = store_.Delete(ActorOf(req), e.name, req.params[0], version); !st.ok()) {
    return StatusResponse(st);
  }
  ApiResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

ApiResponse Api::List(const ApiRequest& req) {
  const EntitySchema& e = *req.route->entity;
  records::ListQuery q;
  if (auto p = ReadPurpose(req); !p.ok()) return AccessLogFailed(p.status());
  if (req.query != nullptr) {
    for (const auto& [key, value] : *req.query) {
      if (key == "limit") {
        auto n = ParseU64(value);
        if (!n || *n < 1 || *n > 1000) {
          return ErrorResponse(400, "bad_query", "limit must be 1 to 1000", "limit");
        }
        q.limit = *n;
        continue;
      }
      if (key == "cursor") {
        q.cursor = value;
        continue;
      }
      if (key == "purpose") continue;
      std::string_view field = key;
      std::optional<bool> from;
      if (field.ends_with(".from")) {
        from = true;
        field.remove_suffix(5);
      } else if (field.ends_with(".to")) {
        from = false;
        field.remove_suffix(3);
      }
      const records::FieldSpec* spec = e.FindField(field);
      const bool timestamp = field == "created_at" || field == "updated_at";
      if (spec == nullptr && !timestamp && !(field == "subject_id" && !from)) {
        return ErrorResponse(400, "unknown_filter",
                             "unknown filter field \"" + SafeName(field) + "\"", SafeName(field));
      }
      if (from) {
        if (!timestamp && spec->type != records::FieldType::kDate &&
            spec->type != records::FieldType::kDateTime) {
          return ErrorResponse(400, "bad_filter",
                               "field \"" + std::string(field) + "\" is not a date; use ?" +
                                   std::string(field) + "=value",
                               std::string(field));
        }
        records::ListQuery::Range* range = nullptr;
        for (auto& rg : q.ranges) {
          if (rg.field == field) range = &rg;
        }
        if (range == nullptr) {
          q.ranges.push_back({std::string(field), std::nullopt, std::nullopt});
          range = &q.ranges.back();
        }
        (*from ? range->from : range->to) = value;
      } else {
        q.equals.push_back({std::string(field), value});
      }
    }
  }
  if (req.access == Access::kOwn && req.caller->role == Role::kTrainee) {
    q.equals.push_back({"subject_id", req.caller->trainee});
  }
  if (req.access == Access::kOwn && req.caller->role == Role::kAssessor && e.name == "assessment") {
    q.equals.push_back({"assessor", req.caller->assessor});
  }
  auto page = store_.List(e.name, q);
  if (!page.ok()) {
    if (page.status().code() == Code::kInvalidArgument) {
      const std::string& m = page.status().message();
      return ErrorResponse(400, "bad_query", m, FieldFromMessage(m));
    }
    return StatusResponse(page.status());
  }
  std::vector<const Record*> shown;
  shown.reserve(page->records.size());
  if (req.access == Access::kOwn && req.caller->role == Role::kAssessor) {
    OwnerCheck own(store_, *req.caller);
    for (const Record& rec : page->records) {
      auto may = own.MayRead(rec);
      if (!may.ok()) return StatusResponse(may.status());
      if (*may) shown.push_back(&rec);
    }
  } else {
    for (const Record& rec : page->records) shown.push_back(&rec);
  }
  // One access event per trainee whose data the page shows, journaled
  // concurrently so they share group commits.
  std::set<std::string_view> subjects;
  for (const Record* rec : shown) {
    if (rec->subject_id != records::kInstitutionSubject) subjects.insert(rec->subject_id);
  }
  if (subjects.size() == 1) {
    if (Status st = LogRead(req, *subjects.begin(), e.name, ""); !st.ok()) {
      return AccessLogFailed(st);
    }
  } else if (!subjects.empty()) {
    std::vector<std::future<Status>> pending;
    auto it = subjects.begin();
    while (it != subjects.end()) {
      pending.clear();
      for (int k = 0; k < 32 && it != subjects.end(); ++k, ++it) {
        std::string_view s = *it;
        pending.push_back(std::async(std::launch::async,
                                     [this, &req, s, &e] { return LogRead(req, s, e.name, ""); }));
      }
      Status first;
      for (auto& f : pending) {
        Status st = f.get();
        if (first.ok() && !st.ok()) first = st;
      }
      if (!first.ok()) return AccessLogFailed(first);
    }
  }
  std::string out = "{\"records\":[";
  for (size_t i = 0; i < shown.size(); ++i) {
    if (i) out += ',';
    out += RecordJson(*shown[i]);
  }
  out += "],\"next_cursor\":";
  out += page->next_cursor.empty() ? "null" : json(page->next_cursor).dump();
  out += '}';
  ApiResponse r;
  r.body = std::move(out);
  return r;
}

ApiResponse Api::Import(const ApiRequest& req) {
  const EntitySchema& e = *req.route->entity;
  bool csv;
  if (req.content_type == "text/csv") {
    csv = true;
  } else if (req.content_type == "application/json") {
    csv = false;
  } else {
    return ErrorResponse(415, "unsupported_media_type",
                         "Content-Type must be text/csv or application/json");
  }
  auto parsed = ParseImport(e, req.body, csv);
  if (!parsed.ok()) return ErrorResponse(400, "malformed_import", parsed.status().message());
  if (!parsed->problems.empty()) {
    const ImportProblem& first = parsed->problems.front();
    ApiResponse r = ErrorResponse(
        422, "import_failed",
        std::to_string(parsed->problems.size()) +
            " problem(s) found; nothing was imported. First: " + (csv ? "line " : "element ") +
            std::to_string(first.line) +
            (first.field.empty() ? "" : " field \"" + first.field + "\"") + ": " + first.reason,
        first.field, first.line);
    json j = json::parse(r.body);
    j["error"]["errors"] = ProblemsJson(parsed->problems);
    r.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
    return r;
  }
  if (parsed->rows.empty()) return ErrorResponse(422, "import_failed", "the import has no rows");
  std::vector<records::ImportItem> rows;
  rows.reserve(parsed->rows.size());
  for (auto& [line, body] : parsed->rows)
    rows.push_back(records::ImportItem{line, std::move(body)});
  auto created = store_.ImportBatch(ActorOf(req), e.name, rows);
  if (!created.ok()) {
    const Status& st = created.status();
    if (st.code() == Code::kInvalidArgument) {
      ApiResponse r = StatusResponse(st);
      json j = json::parse(r.body);
      json err = j["error"];
      json one = {{"line", err.value("line", uint64_t{0})}, {"reason", st.message()}};
      if (err.contains("field")) one["field"] = err["field"];
      j["error"]["code"] = "import_failed";
      j["error"]["errors"] = json::array({one});
      r.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
      return r;
    }
    return StatusResponse(st);
  }
  std::string out = "{\"imported\":" + std::to_string(created->size()) + ",\"records\":[";
  for (size_t i = 0; i < created->size(); ++i) {
    if (i) out += ',';
    out += RecordJson((*created)[i]);
  }
  out += "]}";
  ApiResponse r;
  r.status = 201;
  r.body = std::move(out);
  return r;
}

namespace {

// The most entries a history page holds (and its default size).
constexpr uint64_t kHistoryPage = 1000;

json HistoryEntryJson(const records::HistoryEntry& h) {
  json j = records::LeafToJson(h.leaf);
  j["seq"] = h.entry.seq;
  if (h.payload) {
    auto text = [](const std::optional<std::string>& s) -> json {
      if (!s) return nullptr;
      json v = json::parse(*s, nullptr, false);
      return v.is_discarded() ? json(*s) : v;
    };
    j["payload"] = {{"actor", h.payload->actor},
                    {"before", text(h.payload->before)},
                    {"after", text(h.payload->after)},
                    {"reason", h.payload->reason ? json(*h.payload->reason) : json(nullptr)}};
  } else {
    j["payload"] = nullptr;  // the subject's key was destroyed (erasure)
  }
  return j;
}

}  // namespace

ApiResponse Api::History(const ApiRequest& req) {
  const EntitySchema& e = *req.route->entity;
  const std::string& id = req.params[0];
  if (auto p = ReadPurpose(req); !p.ok()) return AccessLogFailed(p.status());
  // A page: ?after_seq=N (the previous page's next_after_seq) and ?limit.
  records::HistoryQuery page{0, kHistoryPage};
  if (req.query != nullptr) {
    for (const auto& [key, value] : *req.query) {
      if (key == "limit") {
        auto n = ParseU64(value);
        if (!n || *n < 1 || *n > kHistoryPage) {
          return ErrorResponse(400, "bad_query",
                               "limit must be 1 to " + std::to_string(kHistoryPage), "limit");
        }
        page.limit = *n;
      } else if (key == "after_seq") {
        auto n = ParseU64(value);
        if (!n) return ErrorResponse(400, "bad_query", "after_seq must be a seq", "after_seq");
        page.after_seq = *n;
      } else if (key != "purpose") {
        return ErrorResponse(400, "bad_query", "unknown query parameter \"" + SafeName(key) + "\"",
                             SafeName(key));
      }
    }
  }
  const bool subject_history = e.subject.kind == records::SubjectRule::Kind::kSelf;
  std::string subject;
  if (subject_history) {
    subject = id;
    if (req.access == Access::kOwn && req.caller->trainee != id) {
      return ErrorResponse(404, "not_found", "trainee not found");
    }
    // Journal an access only for a subject that exists or existed.
    auto rec = store_.Get(e.name, id);
    if (!rec.ok()) {
      if (!rec.status().IsNotFound()) return StatusResponse(rec.status());
      auto past = store_.SubjectHistory(id, {0, 1});
      if (!past.ok()) return StatusResponse(past.status());
      if (past->empty()) return ErrorResponse(404, "not_found", "trainee not found");
    }
  } else {
    // The record may be deleted: find its subject from the live row or the journal.
    auto rec = store_.Get(e.name, id);
    if (rec.ok()) {
      subject = rec->subject_id;
    } else if (!rec.status().IsNotFound()) {
      return StatusResponse(rec.status());
    }
    if (req.access == Access::kOwn && (subject.empty() || subject != req.caller->trainee)) {
      return ErrorResponse(404, "not_found", std::string(e.name) + " not found");
    }
  }
  if (Status st = LogRead(req, subject, e.name, subject_history ? id : std::string_view(id));
      !st.ok()) {
    if (st.IsNotFound()) return StatusResponse(st);
    return AccessLogFailed(st);
  }
  // One entry more than the page, to know whether another page follows.
  const records::HistoryQuery probe{page.after_seq, page.limit + 1};
  auto entries =
      subject_history ? store_.SubjectHistory(id, probe) : store_.History(e.name, id, probe);
  if (!entries.ok()) return StatusResponse(entries.status());
  if (entries->empty() && page.after_seq == 0) {
    return ErrorResponse(404, "not_found", std::string(e.name) + " not found");
  }
  json next = nullptr;
  if (entries->size() > page.limit) {
    entries->resize(page.limit);
    next = entries->back().entry.seq;
  }
  json arr = json::array();
  for (const records::HistoryEntry& h : *entries) arr.push_back(HistoryEntryJson(h));
  ApiResponse r;
  r.body = json{{"entity", e.name},
                {"id", id},
                {"entries", std::move(arr)},
                {"next_after_seq", std::move(next)}}
               .dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

}  // namespace custos::server
