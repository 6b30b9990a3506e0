#include "storage/providers/s3/s3_multipart.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/fs.h"
#include "storage/providers/s3/s3_errors.h"
#include "storage/providers/s3/s3_xml.h"

namespace custos::s3 {
namespace {

constexpr int kMaxParts = 10000;

struct UploadState {
  std::string upload_id;
  uint64_t length = 0;
  uint64_t part_size = 0;
};

std::string StatePath(const S3Config& c, const std::string& key) {
  std::string dir = MultipartStateDir(c);
  if (dir.empty()) return {};
  std::string id = c.scheme + "://" + c.host + "/" + c.bucket + "/" + key;
  return JoinPath(dir, ToHex(Sha256(AsBytes(id))).substr(0, 40) + ".json");
}

std::optional<UploadState> ReadState(const std::string& path) {
  if (path.empty() || !PathExists(path)) return std::nullopt;
  auto bytes = ReadWholeFile(path);
  if (!bytes.ok()) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(AsString(*bytes), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("upload_id") ||
      !j["upload_id"].is_string() || !j.contains("length") || !j["length"].is_number_unsigned() ||
      !j.contains("part_size") || !j["part_size"].is_number_unsigned()) {
    return std::nullopt;  // unreadable state: start afresh
  }
  return UploadState{j["upload_id"].get<std::string>(), j["length"].get<uint64_t>(),
                     j["part_size"].get<uint64_t>()};
}

void WriteState(const std::string& path, const UploadState& s) {
  if (path.empty()) return;
  nlohmann::json j = {{"upload_id", s.upload_id}, {"length", s.length}, {"part_size", s.part_size}};
  if (!MakeDirs(DirName(path)).ok()) return;
  (void)AtomicWriteFile(path, AsBytes(j.dump())).ok();  // best effort: only resume is lost
}

void DropState(const std::string& path) {
  if (!path.empty()) std::remove(path.c_str());
}

std::string UploadQuery(const std::string& upload_id) {
  return "uploadId=" + http::UriEncode(upload_id, /*keep_slash=*/false);
}

// Parts already uploaded for upload_id; NotFound when the upload is gone.
Result<std::map<int, PartInfo>> ListAllParts(S3Requester& r, const std::string& key,
                                             const std::string& upload_id) {
  std::map<int, PartInfo> parts;
  int marker = 0;
  for (int page = 0; page < 20; ++page) {
    std::string q = UploadQuery(upload_id);
    if (marker > 0) q += "&part-number-marker=" + std::to_string(marker);
    ASSIGN_OR_RETURN(http::Response resp,
                     r.SendSmall("GET", r.config().ObjectUrl(key, q), {}, "", "ListParts " + key));
    ASSIGN_OR_RETURN(PartsPage p, ParseListParts(resp.body));
    for (PartInfo& part : p.parts) parts[part.number] = std::move(part);
    if (!p.truncated) break;
    marker = p.next_marker;
  }
  return parts;
}

void Abort(S3Requester& r, const std::string& key, const std::string& upload_id) {
  (void)r.SendSmall("DELETE", r.config().ObjectUrl(key, UploadQuery(upload_id)), {}, "",
                    "AbortMultipartUpload " + key);
}

// Reads up to n bytes (fewer only at the end of the source).
Result<size_t> ReadFull(ByteSource& src, uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ASSIGN_OR_RETURN(size_t k, src.Read(buf + got, n - got));
    if (k == 0) break;
    got += k;
  }
  return got;
}

}  // namespace

std::string MultipartStateDir(const S3Config& config) {
  if (!config.state_dir.empty()) return config.state_dir;
  if (auto xdg = ProcessEnv("XDG_STATE_HOME"); xdg && !xdg->empty()) {
    return *xdg + "/custos/s3-uploads";
  }
  if (auto home = ProcessEnv("HOME"); home && !home->empty()) {
    return *home + "/.local/state/custos/s3-uploads";
  }
  return {};
}

Status MultipartUpload(S3Requester& r, const std::string& key, ByteSource& src,
                       const http::Headers& extra_headers, MultipartStats& stats) {
  const S3Config& c = r.config();
  const uint64_t length = src.Length();
  uint64_t part_size = std::max<uint64_t>(c.part_size, (length + kMaxParts - 1) / kMaxParts);
  part_size = (part_size + (1 << 20) - 1) / (1 << 20) * (1 << 20);
  const std::string state_path = StatePath(c, key);

  // Resume an earlier upload of the same key when its shape matches.
  std::string upload_id;
  std::map<int, PartInfo> existing;
  if (auto state = ReadState(state_path);
      state && state->length == length && state->part_size == part_size) {
    auto parts = ListAllParts(r, key, state->upload_id);
    if (parts.ok()) {
      upload_id = state->upload_id;
      existing = std::move(*parts);
      stats.uploads_resumed++;
    } else if (!parts.status().IsNotFound()) {
      return parts.status();
    }
  }
  if (upload_id.empty()) {
    DropState(state_path);
    http::Headers h = extra_headers;
    h.emplace_back("Content-Type", "application/octet-stream");
    h.emplace_back("x-amz-checksum-algorithm", "SHA256");
    ASSIGN_OR_RETURN(http::Response resp, r.SendSmall("POST", c.ObjectUrl(key, "uploads"), h, "",
                                                      "CreateMultipartUpload " + key));
    ASSIGN_OR_RETURN(upload_id, ParseInitiateMultipartUpload(resp.body));
    WriteState(state_path, UploadState{upload_id, length, part_size});
  }

  auto fail_corrupt = [&](std::string what) {
    Abort(r, key, upload_id);
    DropState(state_path);
    return Status::Corruption("S3 upload of " + key + ": " + what);
  };

  RETURN_IF_ERROR(src.Rewind());
  Digest whole(Digest::Algorithm::kSha256);
  Bytes buf(static_cast<size_t>(std::min<uint64_t>(part_size, std::max<uint64_t>(length, 1))));
  std::vector<PartInfo> done;
  const int parts = length == 0 ? 1 : static_cast<int>((length + part_size - 1) / part_size);
  for (int number = 1; number <= parts; ++number) {
    const uint64_t want = std::min<uint64_t>(part_size, length - (number - 1) * part_size);
    ASSIGN_OR_RETURN(size_t got, ReadFull(src, buf.data(), static_cast<size_t>(want)));
    if (got != want) return fail_corrupt("the source yields fewer bytes than its length");
    ByteView part(buf.data(), got);
    whole.Update(part);
    const auto md5 = Md5(part);
    const std::string etag = "\"" + ToHex(md5) + "\"";
    auto it = existing.find(number);
    if (it != existing.end() && it->second.size == got && it->second.etag == etag) {
      done.push_back(PartInfo{number, it->second.etag, got});
      stats.parts_skipped++;
      continue;
    }
    const Hash256 sha = Sha256(part);
    BufferSource body(part);
    http::Headers h = {{"Content-MD5", ToBase64(md5)},
                       {"x-amz-checksum-sha256", ToBase64(ByteView(sha))},
                       {"x-amz-sdk-checksum-algorithm", "SHA256"}};
    ASSIGN_OR_RETURN(http::Response resp,
                     r.Send("PUT",
                            c.ObjectUrl(key, "partNumber=" + std::to_string(number) + "&" +
                                                 UploadQuery(upload_id)),
                            std::move(h), &body, ToHex(sha)));
    Status st = ClassifyS3Response(resp, "UploadPart " + key, c.bucket);
    if (st.IsCorruption())
      return fail_corrupt("part " + std::to_string(number) + " arrived damaged");
    RETURN_IF_ERROR(st);
    std::string server_etag = resp.Header("etag").value_or(etag);
    done.push_back(PartInfo{number, server_etag, got});
    stats.parts_uploaded++;
  }
  uint8_t extra;
  ASSIGN_OR_RETURN(size_t more, src.Read(&extra, 1));
  if (more != 0) return fail_corrupt("the source yields more bytes than its length");
  Bytes digest = whole.Final();
  if (auto want = src.Sha256(); want && !std::equal(want->begin(), want->end(), digest.begin())) {
    return fail_corrupt("the content does not match its SHA-256");
  }

  ASSIGN_OR_RETURN(
      http::Response resp,
      r.SendSmall("POST", c.ObjectUrl(key, UploadQuery(upload_id)), {},
                  BuildCompleteMultipartUpload(done), "CompleteMultipartUpload " + key));
  ASSIGN_OR_RETURN(std::optional<S3Error> err, ParseCompleteMultipartUpload(resp.body));
  if (err) {
    http::Response as_error;
    as_error.status = err->code == "InternalError" || err->code == "SlowDown" ? 503 : 400;
    as_error.body = resp.body;
    Status st = ClassifyS3Response(as_error, "CompleteMultipartUpload " + key, c.bucket);
    if (!st.IsRetryable()) {
      Abort(r, key, upload_id);
      DropState(state_path);
    }
    return st;
  }
  DropState(state_path);
  return Status::OK();
}

}  // namespace custos::s3
