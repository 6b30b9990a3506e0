#include "storage/providers/s3/s3_xml.h"

#include <tinyxml2.h>

#include <charconv>
#include <cstdio>
#include <ctime>

namespace custos::s3 {
namespace {

using tinyxml2::XMLDocument;
using tinyxml2::XMLElement;

constexpr size_t kMaxDocument = 16 << 20;  // S3 answers are far smaller
constexpr size_t kMaxKey = 1024;           // S3's key length limit
constexpr size_t kMaxToken = 4096;

Status Bad(std::string_view doc, std::string_view what) {
  return Status::Corruption("S3 " + std::string(doc) + ": " + std::string(what));
}

// `alias` is another root name some servers use (moto: ListPartsResponse).
Result<const XMLElement*> Root(XMLDocument& doc, std::string_view xml, const char* name,
                               const char* alias = nullptr) {
  if (xml.size() > kMaxDocument) return Bad(name, "answer is too large");
  if (doc.Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS) {
    return Bad(name, std::string("malformed XML (") + doc.ErrorName() + ")");
  }
  const XMLElement* root = doc.RootElement();
  if (root == nullptr || (std::string_view(root->Name()) != name &&
                          (alias == nullptr || std::string_view(root->Name()) != alias))) {
    return Bad(name, std::string("expected <") + name + "> as the root element");
  }
  return root;
}

// Text of the first <child>, or "" when absent or empty.
std::string_view Text(const XMLElement* parent, const char* child) {
  const XMLElement* e = parent->FirstChildElement(child);
  if (e == nullptr || e->GetText() == nullptr) return {};
  return e->GetText();
}

bool Has(const XMLElement* parent, const char* child) {
  return parent->FirstChildElement(child) != nullptr;
}

Result<std::string> RequiredText(const XMLElement* parent, const char* child, const char* doc,
                                 size_t max_len) {
  if (!Has(parent, child)) return Bad(doc, std::string("missing <") + child + ">");
  std::string_view t = Text(parent, child);
  if (t.empty()) return Bad(doc, std::string("empty <") + child + ">");
  if (t.size() > max_len) return Bad(doc, std::string("<") + child + "> is too long");
  return std::string(t);
}

Result<uint64_t> Number(const XMLElement* parent, const char* child, const char* doc) {
  std::string_view t = Text(parent, child);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size()) {
    return Bad(doc, std::string("<") + child + "> is not a number");
  }
  return v;
}

Result<bool> Flag(const XMLElement* parent, const char* child, const char* doc) {
  std::string_view t = Text(parent, child);
  if (t.empty() || t == "false") return false;
  if (t == "true") return true;
  return Bad(doc, std::string("<") + child + "> is neither true nor false");
}

// Printable ASCII only, at most 200 bytes: server text ends up in messages.
std::string Clean(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

Result<S3Error> ParseError(std::string_view xml) {
  XMLDocument doc;
  ASSIGN_OR_RETURN(const XMLElement* root, Root(doc, xml, "Error"));
  S3Error e;
  e.code = Clean(Text(root, "Code"));
  if (e.code.empty()) return Bad("Error", "missing <Code>");
  e.message = Clean(Text(root, "Message"));
  e.region = Clean(Text(root, "Region"));
  return e;
}

Result<ListPage> ParseListObjectsV2(std::string_view xml) {
  constexpr const char* kDoc = "ListBucketResult";
  XMLDocument doc;
  ASSIGN_OR_RETURN(const XMLElement* root, Root(doc, xml, kDoc));
  ListPage page;
  ASSIGN_OR_RETURN(page.truncated, Flag(root, "IsTruncated", kDoc));
  for (const XMLElement* c = root->FirstChildElement("Contents"); c != nullptr;
       c = c->NextSiblingElement("Contents")) {
    ListedObject o;
    ASSIGN_OR_RETURN(o.key, RequiredText(c, "Key", kDoc, kMaxKey));
    ASSIGN_OR_RETURN(o.size, Number(c, "Size", kDoc));
    page.objects.push_back(std::move(o));
  }
  if (page.truncated) {
    ASSIGN_OR_RETURN(page.next_token, RequiredText(root, "NextContinuationToken", kDoc, kMaxToken));
  }
  return page;
}

Result<std::string> ParseInitiateMultipartUpload(std::string_view xml) {
  constexpr const char* kDoc = "InitiateMultipartUploadResult";
  XMLDocument doc;
  ASSIGN_OR_RETURN(const XMLElement* root, Root(doc, xml, kDoc));
  return RequiredText(root, "UploadId", kDoc, kMaxToken);
}

Result<PartsPage> ParseListParts(std::string_view xml) {
  constexpr const char* kDoc = "ListPartsResult";
  XMLDocument doc;
  ASSIGN_OR_RETURN(const XMLElement* root, Root(doc, xml, kDoc, "ListPartsResponse"));
  PartsPage page;
  ASSIGN_OR_RETURN(page.truncated, Flag(root, "IsTruncated", kDoc));
  for (const XMLElement* p = root->FirstChildElement("Part"); p != nullptr;
       p = p->NextSiblingElement("Part")) {
    PartInfo part;
    ASSIGN_OR_RETURN(uint64_t number, Number(p, "PartNumber", kDoc));
    if (number < 1 || number > 10000) return Bad(kDoc, "<PartNumber> out of range");
    part.number = static_cast<int>(number);
    ASSIGN_OR_RETURN(part.etag, RequiredText(p, "ETag", kDoc, 256));
    ASSIGN_OR_RETURN(part.size, Number(p, "Size", kDoc));
    page.parts.push_back(std::move(part));
  }
  if (page.truncated) {
    ASSIGN_OR_RETURN(uint64_t next, Number(root, "NextPartNumberMarker", kDoc));
    if (next < 1 || next > 10000) return Bad(kDoc, "<NextPartNumberMarker> out of range");
    page.next_marker = static_cast<int>(next);
  }
  return page;
}

Result<UploadsPage> ParseListMultipartUploads(std::string_view xml) {
  constexpr const char* kDoc = "ListMultipartUploadsResult";
  XMLDocument doc;
  ASSIGN_OR_RETURN(const XMLElement* root, Root(doc, xml, kDoc));
  UploadsPage page;
  ASSIGN_OR_RETURN(page.truncated, Flag(root, "IsTruncated", kDoc));
  for (const XMLElement* u = root->FirstChildElement("Upload"); u != nullptr;
       u = u->NextSiblingElement("Upload")) {
    UploadInfo info;
    ASSIGN_OR_RETURN(info.key, RequiredText(u, "Key", kDoc, kMaxKey));
    ASSIGN_OR_RETURN(info.upload_id, RequiredText(u, "UploadId", kDoc, kMaxToken));
    ASSIGN_OR_RETURN(std::string initiated, RequiredText(u, "Initiated", kDoc, 64));
    auto t = ParseIsoTime(initiated);
    if (!t.ok()) return Bad(kDoc, "<Initiated> is not a time");
    info.initiated = *t;
    page.uploads.push_back(std::move(info));
  }
  if (page.truncated) {
    page.next_key_marker = std::string(Text(root, "NextKeyMarker"));
    page.next_upload_id_marker = std::string(Text(root, "NextUploadIdMarker"));
    if (page.next_key_marker.empty() || page.next_key_marker.size() > kMaxKey ||
        page.next_upload_id_marker.size() > kMaxToken) {
      return Bad(kDoc, "truncated without a usable <NextKeyMarker>");
    }
  }
  return page;
}

Result<std::optional<S3Error>> ParseCompleteMultipartUpload(std::string_view xml) {
  XMLDocument doc;
  if (xml.size() > kMaxDocument) return Bad("CompleteMultipartUploadResult", "answer is too large");
  if (doc.Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS || doc.RootElement() == nullptr) {
    return Bad("CompleteMultipartUploadResult", "malformed XML");
  }
  std::string_view name = doc.RootElement()->Name();
  if (name == "CompleteMultipartUploadResult" || name == "CompleteMultipartUploadResponse") {
    return std::optional<S3Error>();  // moto uses the second name
  }
  if (name == "Error") {
    ASSIGN_OR_RETURN(S3Error e, ParseError(xml));
    return std::optional<S3Error>(std::move(e));
  }
  return Bad("CompleteMultipartUploadResult", "unexpected root element");
}

Result<std::chrono::system_clock::time_point> ParseIsoTime(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  auto bad = [&] { return Status::InvalidArgument("malformed ISO 8601 time"); };
  if (text.size() < 20 || text.size() > 40 || text.back() != 'Z') return bad();
  auto num = [&](size_t pos, size_t len, int& out) {
    auto [p, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return ec == std::errc() && p == text.data() + pos + len;
  };
  std::tm tm{};
  int year, mon, day, hour, min, sec;
  if (!num(0, 4, year) || text[4] != '-' || !num(5, 2, mon) || text[7] != '-' || !num(8, 2, day) ||
      text[10] != 'T' || !num(11, 2, hour) || text[13] != ':' || !num(14, 2, min) ||
      text[16] != ':' || !num(17, 2, sec)) {
    return bad();
  }
  std::string_view rest = text.substr(19, text.size() - 20);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2) return bad();
    for (char c : rest.substr(1)) {
      if (c < '0' || c > '9') return bad();
    }
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return bad();
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string FormatIsoTime(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {
constexpr std::string_view kNs = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";
}

std::string BuildCompleteMultipartUpload(const std::vector<PartInfo>& parts) {
  std::string out = "<CompleteMultipartUpload" + std::string(kNs) + ">";
  for (const PartInfo& p : parts) {
    out += "<Part><PartNumber>" + std::to_string(p.number) + "</PartNumber><ETag>" +
           XmlEscape(p.etag) + "</ETag></Part>";
  }
  return out + "</CompleteMultipartUpload>";
}

std::string BuildCreateBucket(std::string_view location_constraint) {
  if (location_constraint.empty()) return {};
  return "<CreateBucketConfiguration" + std::string(kNs) + "><LocationConstraint>" +
         XmlEscape(location_constraint) + "</LocationConstraint></CreateBucketConfiguration>";
}

std::string BuildVersioning(bool enabled) {
  return "<VersioningConfiguration" + std::string(kNs) + "><Status>" +
         (enabled ? "Enabled" : "Suspended") + "</Status></VersioningConfiguration>";
}

std::string BuildLifecycle(std::string_view prefix, int noncurrent_days, int abort_days) {
  std::string out = "<LifecycleConfiguration" + std::string(kNs) +
                    "><Rule><ID>custos</ID><Filter><Prefix>" + XmlEscape(prefix) +
                    "</Prefix></Filter><Status>Enabled</Status>";
  if (noncurrent_days > 0) {
    out += "<NoncurrentVersionExpiration><NoncurrentDays>" + std::to_string(noncurrent_days) +
           "</NoncurrentDays></NoncurrentVersionExpiration>";
  }
  if (abort_days > 0) {
    out += "<AbortIncompleteMultipartUpload><DaysAfterInitiation>" + std::to_string(abort_days) +
           "</DaysAfterInitiation></AbortIncompleteMultipartUpload>";
  }
  return out + "</Rule></LifecycleConfiguration>";
}

std::string BuildObjectLockConfiguration(std::string_view mode, int days) {
  std::string out = "<ObjectLockConfiguration" + std::string(kNs) +
                    "><ObjectLockEnabled>Enabled</ObjectLockEnabled>";
  if (days > 0) {
    out += "<Rule><DefaultRetention><Mode>" + XmlEscape(mode) + "</Mode><Days>" +
           std::to_string(days) + "</Days></DefaultRetention></Rule>";
  }
  return out + "</ObjectLockConfiguration>";
}

}  // namespace custos::s3
