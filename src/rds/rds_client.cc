#include "rds/rds_client.h"

#include <tinyxml2.h>

#include <algorithm>
#include <thread>

#include "crypto/hash.h"

namespace custos::rds {

namespace {

constexpr const char* kVersion = "2014-10-31";

const tinyxml2::XMLElement* Child(const tinyxml2::XMLElement* e, const char* name) {
  return e ? e->FirstChildElement(name) : nullptr;
}

std::string Text(const tinyxml2::XMLElement* e, const char* name) {
  const tinyxml2::XMLElement* c = Child(e, name);
  const char* t = c ? c->GetText() : nullptr;
  return t ? std::string(t) : std::string();
}

// Finds the first element called `name` anywhere below `e` (answers nest the
// snapshot list at different depths for Create and Describe).
const tinyxml2::XMLElement* FindDeep(const tinyxml2::XMLElement* e, const char* name) {
  for (const tinyxml2::XMLElement* c = e ? e->FirstChildElement() : nullptr; c;
       c = c->NextSiblingElement()) {
    if (std::string_view(c->Name()) == name) return c;
    if (const auto* d = FindDeep(c, name)) return d;
  }
  return nullptr;
}

DbSnapshot SnapshotFrom(const tinyxml2::XMLElement* e) {
  DbSnapshot s;
  s.id = Text(e, "DBSnapshotIdentifier");
  s.instance = Text(e, "DBInstanceIdentifier");
  s.status = Text(e, "Status");
  s.create_time = Text(e, "SnapshotCreateTime");
  s.engine = Text(e, "Engine");
  s.arn = Text(e, "DBSnapshotArn");
  std::string p = Text(e, "PercentProgress");
  if (!p.empty() && p.size() < 4 && std::all_of(p.begin(), p.end(), ::isdigit)) {
    s.percent_progress = std::stoi(p);
  }
  return s;
}

}  // namespace

bool IsFailedSnapshotStatus(const std::string& status) {
  for (const char* f :
       {"deleted", "deleting", "failed", "incompatible-restore", "incompatible-parameters"}) {
    if (status == f) return true;
  }
  return false;
}

Result<std::vector<DbSnapshot>> ParseSnapshots(const std::string& xml, std::string* marker) {
  tinyxml2::XMLDocument doc;
  if (doc.Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS || !doc.RootElement()) {
    return Status::Corruption("RDS answer is not XML");
  }
  std::vector<DbSnapshot> out;
  const tinyxml2::XMLElement* root = doc.RootElement();
  if (const auto* list = FindDeep(root, "DBSnapshots")) {
    for (const auto* e = list->FirstChildElement("DBSnapshot"); e;
         e = e->NextSiblingElement("DBSnapshot")) {
      out.push_back(SnapshotFrom(e));
    }
  } else if (const auto* one = FindDeep(root, "DBSnapshot")) {
    out.push_back(SnapshotFrom(one));
  } else if (!FindDeep(root, "DescribeDBSnapshotsResult")) {
    return Status::Corruption("RDS answer holds no DBSnapshot");
  }
  for (const auto& s : out) {
    if (s.id.empty()) return Status::Corruption("RDS answer: DBSnapshot without an identifier");
  }
  if (marker) {
    const auto* m = FindDeep(root, "Marker");
    *marker = (m && m->GetText()) ? m->GetText() : "";
  }
  return out;
}

Status ClassifyRdsError(int http_status, const std::string& xml,
                        std::optional<std::chrono::milliseconds> retry_after,
                        const std::string& action) {
  std::string code, message;
  tinyxml2::XMLDocument doc;
  if (doc.Parse(xml.data(), xml.size()) == tinyxml2::XML_SUCCESS && doc.RootElement()) {
    const auto* err = FindDeep(doc.RootElement(), "Error");
    code = Text(err, "Code");
    message = Text(err, "Message");
  }
  if (message.size() > 300) message.resize(300);
  std::string what = "RDS " + action + ": " + (code.empty() ? "HTTP " + std::to_string(http_status) : code);
  if (!message.empty()) what += ": " + message;
  if (code == "DBSnapshotAlreadyExists") return Status::AlreadyExists(what);
  if (code == "DBInstanceNotFound" || code == "DBInstanceNotFoundFault" ||
      code == "DBSnapshotNotFound" || code == "DBSnapshotNotFoundFault") {
    return Status::NotFound(what);
  }
  if (code == "Throttling" || code == "ThrottlingException" || code == "RequestLimitExceeded" ||
      code == "ServiceUnavailable" || code == "InternalFailure" || http_status == 429 ||
      http_status >= 500) {
    return Status::Retryable(what, retry_after);
  }
  if (code == "SignatureDoesNotMatch") {
    return Status::PermissionDenied(what + " (the secret access key is wrong)");
  }
  if (code == "InvalidClientTokenId" || code == "UnrecognizedClientException") {
    return Status::PermissionDenied(what + " (the access key id is not known)");
  }
  if (code == "ExpiredToken" || code == "ExpiredTokenException" ||
      code == "RequestExpired") {
    return Status::PermissionDenied(what + " (the credentials have expired)");
  }
  if (code == "AccessDenied" || code == "AccessDeniedException" || http_status == 401 ||
      http_status == 403) {
    return Status::PermissionDenied(what);
  }
  if (code == "SnapshotQuotaExceeded") return Status::NoSpace(what);
  if (http_status >= 400 && http_status < 500) return Status::InvalidArgument(what);
  return Status::IOError(what);
}

RdsClient::RdsClient(RdsOptions options, http::Client& http)
    : options_(std::move(options)), http_(http) {}

Result<std::string> RdsClient::Call(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string body;
  for (const auto& [k, v] : params) {
    if (!body.empty()) body += '&';
    body += http::UriEncode(k, false) + "=" + http::UriEncode(v, false);
  }
  std::string action = params.empty() ? "" : params.front().second;
  std::string endpoint = options_.endpoint.empty()
                             ? "https://rds." + options_.region + ".amazonaws.com"
                             : options_.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  http::Request req;
  req.method = "POST";
  req.url = endpoint + "/";
  req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"});
  BufferSource src(AsBytes(body));
  req.body = &src;
  signers::SigV4Params sp;
  sp.region = options_.region;
  sp.service = "rds";
  sp.time = std::chrono::system_clock::now();
  sp.payload_hash = ToHex(Sha256(AsBytes(body)));
  RETURN_IF_ERROR(signers::SignRequest(req, options_.credentials, sp));
  ASSIGN_OR_RETURN(http::Response resp, http_.Do(req));
  if (resp.status / 100 != 2) {
    std::optional<std::chrono::milliseconds> ra;
    if (auto h = resp.Header("retry-after")) ra = http::ParseRetryAfter(*h);
    return ClassifyRdsError(resp.status, resp.body, ra, action);
  }
  return std::move(resp.body);
}

Result<DbSnapshot> RdsClient::CreateSnapshot(const std::string& instance,
                                             const std::string& snapshot_id) {
  ASSIGN_OR_RETURN(std::string xml, Call({{"Action", "CreateDBSnapshot"},
                                          {"Version", kVersion},
                                          {"DBInstanceIdentifier", instance},
                                          {"DBSnapshotIdentifier", snapshot_id},
                                          {"Tags.Tag.1.Key", "created-by"},
                                          {"Tags.Tag.1.Value", "custos"}}));
  ASSIGN_OR_RETURN(auto snaps, ParseSnapshots(xml, nullptr));
  if (snaps.empty()) return Status::Corruption("RDS CreateDBSnapshot: answer holds no DBSnapshot");
  return snaps.front();
}

Result<DbSnapshot> RdsClient::DescribeSnapshot(const std::string& snapshot_id) {
  ASSIGN_OR_RETURN(std::string xml, Call({{"Action", "DescribeDBSnapshots"},
                                          {"Version", kVersion},
                                          {"DBSnapshotIdentifier", snapshot_id}}));
  ASSIGN_OR_RETURN(auto snaps, ParseSnapshots(xml, nullptr));
  for (auto& s : snaps) {
    if (s.id == snapshot_id) return s;
  }
  return Status::NotFound("RDS snapshot " + snapshot_id + " does not exist");
}

Result<std::vector<DbSnapshot>> RdsClient::ListSnapshots(const std::string& instance) {
  std::vector<DbSnapshot> all;
  std::string marker;
  for (int page = 0; page < 1000; page++) {
    std::vector<std::pair<std::string, std::string>> params = {
        {"Action", "DescribeDBSnapshots"}, {"Version", kVersion}, {"MaxRecords", "100"}};
    if (!instance.empty()) params.push_back({"DBInstanceIdentifier", instance});
    if (!marker.empty()) params.push_back({"Marker", marker});
    ASSIGN_OR_RETURN(std::string xml, Call(params));
    std::string next;
    ASSIGN_OR_RETURN(auto snaps, ParseSnapshots(xml, &next));
    all.insert(all.end(), snaps.begin(), snaps.end());
    if (next.empty() || next == marker) return all;
    marker = next;
  }
  return Status::Corruption("RDS DescribeDBSnapshots: more than 1000 pages");
}

Result<DbSnapshot> RdsClient::WaitAvailable(const std::string& snapshot_id,
                                            std::chrono::seconds timeout,
                                            std::chrono::milliseconds interval,
                                            const Sleeper& sleep,
                                            const std::function<void(const DbSnapshot&)>& progress) {
  using namespace std::chrono;
  milliseconds waited{0};
  Status last;
  std::string last_status = "unknown";
  while (true) {
    auto s = DescribeSnapshot(snapshot_id);
    if (s.ok()) {
      if (progress) progress(*s);
      last_status = s->status;
      if (s->status == "available") return *s;
      if (IsFailedSnapshotStatus(s->status)) {
        return Status::InvalidArgument("RDS snapshot " + snapshot_id + " ended in state " +
                                       s->status);
      }
    } else if (!s.status().IsRetryable()) {
      return s.status();
    } else {
      last = s.status();
    }
    if (waited >= timeout) {
      return Status::Retryable("RDS snapshot " + snapshot_id + " still " + last_status +
                               " after " + std::to_string(timeout.count()) + " s" +
                               (last.ok() ? "" : " (last error: " + last.message() + ")"));
    }
    milliseconds step = interval;
    if (!last.ok() && last.retry_after()) step = std::max(step, *last.retry_after());
    sleep(step);
    waited += step;
  }
}

}  // namespace custos::rds
