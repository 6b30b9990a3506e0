#include "storage/signers/sigv4.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <map>
#include <utility>
#include <vector>

#include "crypto/hash.h"

namespace custos::signers {
namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";

// Lower-case names botocore never signs (hop-by-hop, or rewritten on the way).
constexpr std::array<std::string_view, 11> kUnsignedHeaders = {
    "connection", "expect",    "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailer",    "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Trims and collapses inner runs of spaces/tabs into one space.
std::string TrimAll(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes; a '%' not followed by two hex digits stays literal.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

struct ParsedUrl {
  std::string scheme;     // lower-case
  std::string host;       // the Host header value: lower-case, port only if not default
  std::string base;       // scheme://authority/path, without query or fragment
  std::string path;       // raw, "" when absent
  std::string query;      // raw, without '?'
};

Result<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl u;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return Status::InvalidArgument("sigv4: URL has no scheme");
  }
  u.scheme = Lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find('#'));
  size_t auth_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, auth_end);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (authority.empty()) return Status::InvalidArgument("sigv4: URL has no host");
  std::string_view after = auth_end == std::string_view::npos ? "" : rest.substr(auth_end);
  size_t q = after.find('?');
  u.path = std::string(after.substr(0, q));
  if (q != std::string_view::npos) u.query = std::string(after.substr(q + 1));
  u.base = std::string(url.substr(0, sep + 3)) + std::string(rest.substr(0, auth_end)) + u.path;

  // Host header: the port only when it is not the scheme's default.
  std::string host = Lower(authority);
  size_t colon = host.rfind(':');
  if (colon != std::string::npos && host.find(']', colon) == std::string::npos) {
    std::string_view port = std::string_view(host).substr(colon + 1);
    if (port.empty() || (u.scheme == "http" && port == "80") ||
        (u.scheme == "https" && port == "443")) {
      host.resize(colon);
    }
  }
  u.host = std::move(host);
  return u;
}

// RFC 3986 5.2.4 dot-segment removal, plus dropping empty segments (AWS
// collapses "//"), as botocore does for every service but S3.
std::string NormalizePath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    start = end + 1;
  }
  std::string result = path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) result += '/';
    result += out[i];
  }
  if (path.back() == '/' && !out.empty()) result += '/';
  return result;
}

std::string CanonicalUri(std::string_view path, bool s3) {
  if (!s3) return http::UriEncode(NormalizePath(path), /*keep_slash=*/true);
  if (path.empty()) return "/";
  std::string out;
  size_t start = 0;
  while (true) {
    size_t end = path.find('/', start);
    std::string_view seg = path.substr(start, end == std::string_view::npos ? path.npos : end - start);
    out += http::UriEncode(PercentDecode(seg), /*keep_slash=*/false);
    if (end == std::string_view::npos) break;
    out += '/';
    start = end + 1;
  }
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// key=value pairs of a raw query string, decoded and re-encoded.
Pairs QueryPairs(std::string_view query) {
  Pairs pairs;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view item = query.substr(start, end - start);
    if (!item.empty()) {
      size_t eq = item.find('=');
      std::string_view k = item.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? "" : item.substr(eq + 1);
      pairs.emplace_back(http::UriEncode(PercentDecode(k), false),
                         http::UriEncode(PercentDecode(v), false));
    }
    start = end + 1;
  }
  return pairs;
}

std::string JoinQuery(Pairs pairs) {
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

bool ValidPayloadHash(std::string_view h) {
  if (h == kUnsignedPayload || h.rfind("STREAMING-", 0) == 0) {
    return h.find_first_of("\r\n") == std::string_view::npos;
  }
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Status CheckInputs(const AwsCredentials& creds, const SigV4Params& p) {
  if (creds.access_key_id.empty()) return Status::InvalidArgument("sigv4: empty access key id");
  if (creds.secret_access_key.empty()) return Status::InvalidArgument("sigv4: empty secret key");
  if (p.region.empty()) return Status::InvalidArgument("sigv4: empty region");
  if (p.service.empty()) return Status::InvalidArgument("sigv4: empty service");
  if (!p.payload_hash.empty() && !ValidPayloadHash(p.payload_hash)) {
    return Status::InvalidArgument("sigv4: payload hash is not hex SHA-256 or a sentinel");
  }
  if (creds.session_token.find_first_of("\r\n") != std::string::npos) {
    return Status::InvalidArgument("sigv4: session token contains a line break");
  }
  return Status::OK();
}

// "20150830T123600Z"
std::string AmzDate(std::chrono::system_clock::time_point t) {
  time_t secs = std::chrono::system_clock::to_time_t(t);
  struct tm tm{};
  gmtime_r(&secs, &tm);
  char buf[17];
  strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

struct Canonical {
  std::string headers;         // "name:value\n" lines
  std::string signed_headers;  // "host;x-amz-date"
};

Result<Canonical> CanonicalHeaders(const http::Headers& headers, const std::string& url_host) {
  std::map<std::string, std::vector<std::string>> by_name;
  for (const auto& [name, value] : headers) {
    std::string lname = Lower(TrimAll(name));
    if (std::find(kUnsignedHeaders.begin(), kUnsignedHeaders.end(), lname) !=
        kUnsignedHeaders.end()) {
      continue;
    }
    if (value.find_first_of("\r\n") != std::string::npos) {
      return Status::InvalidArgument("sigv4: header " + lname + " contains a line break");
    }
    by_name[lname].push_back(TrimAll(value));
  }
  if (by_name.find("host") == by_name.end()) by_name["host"].push_back(url_host);
  Canonical c;
  for (const auto& [name, values] : by_name) {
    c.headers += name;
    c.headers += ':';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) c.headers += ',';
      c.headers += values[i];
    }
    c.headers += '\n';
    if (!c.signed_headers.empty()) c.signed_headers += ';';
    c.signed_headers += name;
  }
  return c;
}

std::string Scope(const std::string& date, const SigV4Params& p) {
  return date.substr(0, 8) + "/" + p.region + "/" + p.service + "/aws4_request";
}

std::string Sign(const AwsCredentials& creds, const SigV4Params& p, const std::string& date,
                 const std::string& string_to_sign) {
  Hash256 k = HmacSha256(AsBytes("AWS4" + creds.secret_access_key), AsBytes(date.substr(0, 8)));
  k = HmacSha256(k, AsBytes(p.region));
  k = HmacSha256(k, AsBytes(p.service));
  k = HmacSha256(k, AsBytes("aws4_request"));
  return ToHex(HmacSha256(k, AsBytes(string_to_sign)));
}

// The shared core: canonical request over `query_pairs`, then the signature.
Result<SigV4Signature> SignParts(const std::string& method, const ParsedUrl& url,
                                 const Pairs& query_pairs, const http::Headers& headers,
                                 const std::string& payload_hash, const AwsCredentials& creds,
                                 const SigV4Params& p) {
  ASSIGN_OR_RETURN(Canonical canon, CanonicalHeaders(headers, url.host));
  const std::string date = AmzDate(p.time);
  SigV4Signature s;
  s.canonical_request = method + "\n" + CanonicalUri(url.path, p.s3) + "\n" +
                        JoinQuery(query_pairs) + "\n" + canon.headers + "\n" +
                        canon.signed_headers + "\n" + payload_hash;
  s.string_to_sign = std::string(kAlgorithm) + "\n" + date + "\n" + Scope(date, p) + "\n" +
                     ToHex(Sha256(AsBytes(s.canonical_request)));
  s.signature = Sign(creds, p, date, s.string_to_sign);
  s.authorization = std::string(kAlgorithm) + " Credential=" + creds.access_key_id + "/" +
                    Scope(date, p) + ", SignedHeaders=" + canon.signed_headers +
                    ", Signature=" + s.signature;
  return s;
}

bool IsNamed(const std::string& name, std::string_view lower) { return Lower(name) == lower; }

}  // namespace

SigV4Params S3Params(std::string region, std::string payload_hash,
                     std::chrono::system_clock::time_point time) {
  SigV4Params p;
  p.region = std::move(region);
  p.service = "s3";
  p.time = time;
  p.payload_hash = std::move(payload_hash);
  p.s3 = true;
  return p;
}

Result<SigV4Signature> ComputeSigV4(const http::Request& req, const AwsCredentials& creds,
                                    const SigV4Params& params) {
  RETURN_IF_ERROR(CheckInputs(creds, params));
  ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(req.url));
  const std::string payload = params.payload_hash.empty() ? kEmptySha256 : params.payload_hash;
  return SignParts(req.method, url, QueryPairs(url.query), req.headers, payload, creds, params);
}

Status SignRequest(http::Request& req, const AwsCredentials& creds, const SigV4Params& params) {
  RETURN_IF_ERROR(CheckInputs(creds, params));
  ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(req.url));
  http::Request signed_req = req;
  std::erase_if(signed_req.headers, [&](const auto& h) {
    return IsNamed(h.first, "authorization") || IsNamed(h.first, "x-amz-date") ||
           (!creds.session_token.empty() && IsNamed(h.first, "x-amz-security-token")) ||
           (params.s3 && IsNamed(h.first, "x-amz-content-sha256"));
  });
  bool has_host = std::any_of(signed_req.headers.begin(), signed_req.headers.end(),
                              [](const auto& h) { return IsNamed(h.first, "host"); });
  if (!has_host) signed_req.headers.emplace_back("Host", url.host);
  signed_req.headers.emplace_back("X-Amz-Date", AmzDate(params.time));
  if (!creds.session_token.empty()) {
    signed_req.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  const std::string payload = params.payload_hash.empty() ? kEmptySha256 : params.payload_hash;
  if (params.s3) signed_req.headers.emplace_back("X-Amz-Content-SHA256", payload);
  ASSIGN_OR_RETURN(SigV4Signature sig, SignParts(signed_req.method, url, QueryPairs(url.query),
                                                 signed_req.headers, payload, creds, params));
  signed_req.headers.emplace_back("Authorization", std::move(sig.authorization));
  req.headers = std::move(signed_req.headers);
  return Status::OK();
}

Result<std::string> PresignUrl(const http::Request& req, const AwsCredentials& creds,
                               const SigV4Params& params, std::chrono::seconds expires) {
  RETURN_IF_ERROR(CheckInputs(creds, params));
  if (expires.count() < 1 || expires.count() > 7 * 86400) {
    return Status::InvalidArgument("sigv4: presigned URL lifetime must be 1 s to 7 days");
  }
  ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(req.url));
  ASSIGN_OR_RETURN(Canonical canon, CanonicalHeaders(req.headers, url.host));
  const std::string date = AmzDate(params.time);
  Pairs pairs = QueryPairs(url.query);
  auto add = [&pairs](std::string_view k, std::string_view v) {
    pairs.emplace_back(http::UriEncode(k, false), http::UriEncode(v, false));
  };
  add("X-Amz-Algorithm", kAlgorithm);
  add("X-Amz-Credential", creds.access_key_id + "/" + Scope(date, params));
  add("X-Amz-Date", date);
  add("X-Amz-Expires", std::to_string(expires.count()));
  add("X-Amz-SignedHeaders", canon.signed_headers);
  if (!creds.session_token.empty()) add("X-Amz-Security-Token", creds.session_token);
  const std::string payload =
      params.payload_hash.empty() ? std::string(kUnsignedPayload) : params.payload_hash;
  ASSIGN_OR_RETURN(SigV4Signature sig,
                   SignParts(req.method, url, pairs, req.headers, payload, creds, params));
  return url.base + "?" + JoinQuery(pairs) + "&X-Amz-Signature=" + sig.signature;
}

}  // namespace custos::signers
