// Document, audit-log and token routes.
#include "base/bytes.h"
#include "records/keystore.h"
#include "records/model/json_parse.h"
#include "server/api.h"

namespace custos::server {
namespace {

using nlohmann::json;

bool IsSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

ApiResponse Text(std::string body) {
  ApiResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

ApiResponse NoAuditLog() { return ErrorResponse(503, "unavailable", "the audit log is not open"); }

std::string B64(const Hash256& h) { return ToBase64(ByteView(h)); }

json HashesJson(const std::vector<Hash256>& hashes) {
  json arr = json::array();
  for (const Hash256& h : hashes) arr.push_back(B64(h));
  return arr;
}

// A required (or defaulted) unsigned query parameter.
std::optional<uint64_t> U64Param(const ApiRequest& req, std::string_view name,
                                 std::optional<uint64_t> fallback, ApiResponse* error) {
  auto v = QueryParam(req, name);
  if (!v) {
    if (!fallback) {
      *error = ErrorResponse(400, "bad_query",
                             "query parameter \"" + std::string(name) + "\" is required", name);
    }
    return fallback;
  }
  auto n = ParseU64(*v);
  if (!n) {
    *error = ErrorResponse(
        400, "bad_query",
        "query parameter \"" + std::string(name) + "\" must be an unsigned integer", name);
  }
  return n;
}

}  // namespace

ApiResponse Api::DocumentUpload(const ApiRequest& req) {
  if (req.body.empty()) return ErrorResponse(400, "malformed_body", "the document is empty");
  auto sha = store_.PutDocument(AsBytes(req.body));
  if (!sha.ok()) return StatusResponse(sha.status());
  ApiResponse r;
  r.status = 201;
  r.body = json{{"sha256", *sha}, {"size", req.body.size()}}.dump();
  r.headers.emplace_back("Location", "/api/v1/documents/" + *sha);
  return r;
}

ApiResponse Api::DocumentGet(const ApiRequest& req) {
  const std::string& sha = req.params[0];
  if (!IsSha256Hex(sha)) {
    return ErrorResponse(400, "bad_path", "a document is named by 64 lower-case hex digits",
                         "sha256");
  }
  if (auto p = ReadPurpose(req); !p.ok()) return AccessLogFailed(p.status());
  // The evidence records that reference the document say whose personal
  // data it is: a trainee reads only documents their own evidence
  // references, and the read is journaled for every trainee whose evidence
  // does (a document no evidence references yet is no one's).
  std::vector<std::pair<std::string, std::string>> readers;  // (subject, evidence id)
  records::ListQuery q;
  q.equals.push_back({"document_sha256", sha});
  if (req.access == Access::kOwn) q.equals.push_back({"subject_id", req.caller->trainee});
  q.limit = 1000;
  do {
    auto page = store_.List("evidence", q);
    if (!page.ok()) return StatusResponse(page.status());
    for (const records::Record& ev : page->records) {
      bool seen = false;
      for (const auto& r : readers) seen = seen || r.first == ev.subject_id;
      if (!seen) readers.emplace_back(ev.subject_id, ev.id);
    }
    q.cursor = page->next_cursor;
  } while (!q.cursor.empty());
  if (req.access == Access::kOwn && readers.empty()) {
    return ErrorResponse(404, "not_found", "document not found");
  }
  auto bytes = store_.GetDocument(sha);
  if (!bytes.ok()) return StatusResponse(bytes.status());
  for (const auto& [subject, evidence] : readers) {
    if (Status st = LogRead(req, subject, "evidence", evidence); !st.ok()) {
      return AccessLogFailed(st);
    }
  }
  ApiResponse r;
  r.content_type = "application/octet-stream";
  r.body.assign(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  r.headers.emplace_back("ETag", "\"" + sha + "\"");
  return r;
}

ApiResponse Api::AuditCheckpoint(const ApiRequest&, bool sign) {
  if (audit_ == nullptr) return NoAuditLog();
  auto cp = sign ? audit_->CheckpointNow() : audit_->LatestCheckpoint(false);
  if (!cp.ok()) return StatusResponse(cp.status());
  return Text(cp->note);
}

ApiResponse Api::AuditKey(const ApiRequest&) {
  if (audit_ == nullptr) return NoAuditLog();
  return Text(audit_->VerifierKey() + "\n");
}

ApiResponse Api::AuditEntry(const ApiRequest& req) {
  auto seq = ParseU64(req.params[0]);
  if (!seq || *seq == 0) {
    return ErrorResponse(400, "bad_path", "seq must be a positive integer", "seq");
  }
  if (auto p = ReadPurpose(req); !p.ok())
    return ErrorResponse(400, "bad_purpose", p.status().message());
  auto entries = store_.ReadJournal(*seq, *seq);
  if (!entries.ok()) return StatusResponse(entries.status());
  if (entries->empty()) {
    return ErrorResponse(404, "not_found", "no journal entry " + std::to_string(*seq));
  }
  const records::JournalEntry& entry = entries->front();
  auto leaf = records::DecodeLeaf(entry.leaf);
  if (!leaf.ok()) return StatusResponse(leaf.status());
  json j = {{"seq", entry.seq},
            {"leaf", ToBase64(entry.leaf)},
            {"leaf_hash", B64(entry.leaf_hash)},
            {"fields", records::LeafToJson(*leaf)}};
  if (req.access == Access::kAllow) {
    if (Status st = LogRead(req, entry.subject_id, entry.entity, entry.record_id); !st.ok()) {
      return ErrorResponse(503, "unavailable", "the read could not be journaled: " + st.message());
    }
    auto payload = store_.DecryptPayload(entry);
    if (payload.ok()) {
      auto text = [](const std::optional<std::string>& s) -> json {
        if (!s) return nullptr;
        json v = json::parse(*s, nullptr, false);
        return v.is_discarded() ? json(*s) : v;
      };
      j["payload"] = {{"actor", payload->actor},
                      {"before", text(payload->before)},
                      {"after", text(payload->after)},
                      {"salt", ToBase64(payload->salt)},
                      {"reason", payload->reason ? json(*payload->reason) : json(nullptr)}};
    } else if (payload.status().IsNotFound()) {
      j["payload"] = nullptr;
      j["payload_status"] = "erased";
    } else {
      return StatusResponse(payload.status());
    }
  } else {
    j["payload_status"] = "withheld";
  }
  ApiResponse r;
  r.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

ApiResponse Api::AuditInclusion(const ApiRequest& req) {
  if (audit_ == nullptr) return NoAuditLog();
  ApiResponse error;
  auto seq = U64Param(req, "seq", std::nullopt, &error);
  if (!seq) return error;
  auto size = U64Param(req, "size", audit_->Size(), &error);
  if (!size) return error;
  auto p = audit_->Inclusion(*seq, *size);
  if (!p.ok()) {
    if (p.status().code() == Code::kInvalidArgument) {
      return ErrorResponse(400, "bad_query", p.status().message());
    }
    return StatusResponse(p.status());
  }
  ApiResponse r;
  r.body = json{{"seq", p->seq},
                {"index", p->index},
                {"tree_size", p->tree_size},
                {"leaf_hash", B64(p->leaf_hash)},
                {"root", B64(p->root)},
                {"hashes", HashesJson(p->hashes)}}
               .dump();
  return r;
}

ApiResponse Api::AuditConsistency(const ApiRequest& req) {
  if (audit_ == nullptr) return NoAuditLog();
  ApiResponse error;
  auto from = U64Param(req, "from", std::nullopt, &error);
  if (!from) return error;
  auto to = U64Param(req, "to", audit_->Size(), &error);
  if (!to) return error;
  auto p = audit_->Consistency(*from, *to);
  if (!p.ok()) {
    if (p.status().code() == Code::kInvalidArgument) {
      return ErrorResponse(400, "bad_query", p.status().message());
    }
    return StatusResponse(p.status());
  }
  ApiResponse r;
  r.body = json{{"from", p->from_size},
                {"to", p->to_size},
                {"from_root", B64(p->from_root)},
                {"to_root", B64(p->to_root)},
                {"hashes", HashesJson(p->hashes)}}
               .dump();
  return r;
}

ApiResponse Api::TokensList() {
  auto tokens = tokens_.List();
  if (!tokens.ok()) return StatusResponse(tokens.status());
  json arr = json::array();
  for (const TokenInfo& t : *tokens) arr.push_back(t.ToJson());
  ApiResponse r;
  r.body = json{{"tokens", std::move(arr)}}.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

ApiResponse Api::TokensCreate(const ApiRequest& req) {
  records::JsonLimits limits;
  auto body = records::ParseJsonStrict(req.body, limits);
  if (!body.ok()) return ErrorResponse(400, "malformed_body", body.status().message());
  if (!body->is_object()) return ErrorResponse(400, "malformed_body", "expected a JSON object");
  NewToken t;
  for (const auto& [key, value] : body->items()) {
    if (!value.is_string()) {
      return ErrorResponse(422, "invalid", "field \"" + key + "\": must be a string", key);
    }
    const std::string& v = value.get_ref<const std::string&>();
    if (key == "role") {
      auto role = ParseRole(v);
      if (!role) return ErrorResponse(422, "invalid", "field \"role\": unknown role", "role");
      t.role = *role;
    } else if (key == "trainee") {
      t.trainee = v;
    } else if (key == "assessor") {
      t.assessor = v;
    } else if (key == "name") {
      t.name = v;
    } else {
      return ErrorResponse(422, "invalid", "unknown field \"" + SafeName(key) + "\"",
                           SafeName(key));
    }
  }
  if (!body->contains("role")) {
    return ErrorResponse(422, "invalid", "field \"role\": is required", "role");
  }
  if (t.role == Role::kTrainee && !t.trainee.empty()) {
    // A token bound to no trainee would open nothing.
    auto trainee = store_.Get("trainee", t.trainee);
    if (trainee.status().IsNotFound()) {
      return ErrorResponse(422, "invalid", "field \"trainee\": no trainee with this id", "trainee");
    }
    if (!trainee.ok()) return StatusResponse(trainee.status());
  }
  auto created = tokens_.Create(t);
  if (!created.ok()) return StatusResponse(created.status());
  json j = created->info.ToJson();
  j["token"] = created->token;
  ApiResponse r;
  r.status = 201;
  r.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiResponse Api::TokensRevoke(const ApiRequest& req) {
  if (Status st = tokens_.Revoke(req.params[0]); !st.ok()) return StatusResponse(st);
  ApiResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

}  // namespace custos::server
