#include "storage/providers/s3/s3_backend.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <thread>

#include "storage/providers/s3/s3_errors.h"
#include "storage/providers/s3/s3_stream.h"
#include "storage/providers/s3/s3_xml.h"

namespace custos::s3 {
namespace {

// Sources up to this size are read into memory, verified, then sent.
constexpr uint64_t kBufferLimit = 8 << 20;

Status Corrupt(const std::string& name, std::string_view what) {
  return Status::Corruption("S3 PUT " + name + ": " + std::string(what));
}

Result<size_t> ReadFull(ByteSource& src, uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ASSIGN_OR_RETURN(size_t k, src.Read(buf + got, n - got));
    if (k == 0) break;
    got += k;
  }
  return got;
}

// Streams a source while checking its length and SHA-256; the last bytes are
// held back (an error instead) when the content does not match, so the
// server never receives a complete but wrong body.
class VerifyingSource : public ByteSource {
 public:
  VerifyingSource(ByteSource& src, const Hash256& expected, std::string name)
      : src_(src), expected_(expected), name_(std::move(name)) {}
  uint64_t Length() const override { return src_.Length(); }
  std::optional<Hash256> Sha256() const override { return expected_; }
  Status Rewind() override {
    pos_ = 0;
    digest_.Reset();
    return src_.Rewind();
  }
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    const uint64_t len = src_.Length();
    if (pos_ >= len || n == 0) return size_t{0};
    n = static_cast<size_t>(std::min<uint64_t>(n, len - pos_));
    ASSIGN_OR_RETURN(size_t got, src_.Read(buf, n));
    if (got == 0) return Corrupt(name_, "the source yields fewer bytes than its length");
    digest_.Update(ByteView(buf, got));
    pos_ += got;
    if (pos_ == len) {
      uint8_t extra;
      ASSIGN_OR_RETURN(size_t more, src_.Read(&extra, 1));
      if (more != 0) return Corrupt(name_, "the source yields more bytes than its length");
      Bytes d = digest_.Final();
      if (!std::equal(d.begin(), d.end(), expected_.begin())) {
        return Corrupt(name_, "the content does not match its SHA-256");
      }
    }
    return got;
  }

 private:
  ByteSource& src_;
  const Hash256 expected_;
  const std::string name_;
  Digest digest_{Digest::Algorithm::kSha256};
  uint64_t pos_ = 0;
};

std::optional<uint64_t> ContentLength(const http::Response& resp) {
  auto h = resp.Header("content-length");
  if (!h) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(h->data(), h->data() + h->size(), v);
  if (ec != std::errc() || p != h->data() + h->size()) return std::nullopt;
  return v;
}

std::string Q(std::string_view v) { return http::UriEncode(v, /*keep_slash=*/false); }

}  // namespace

S3Backend::S3Backend(S3Config config, S3Credentials credentials, http::ClientOptions options)
    : requester_(std::move(config), std::move(credentials), std::move(options)) {
  const S3Config& c = requester_.config();
  properties_.atomic_replace = true;
  properties_.server_checksums = true;
  properties_.object_lock = !c.lock_mode.empty();
  properties_.versioning = c.versioning;
  properties_.max_object_size = uint64_t{5} << 40;
  properties_.connections = 8;
}

std::string S3Backend::Location() const { return config().Location(); }

http::Headers S3Backend::LockHeaders(const std::string& name) const {
  const S3Config& c = config();
  http::Headers h;
  // Lock objects are short-lived by design; retention would only keep their
  // old versions around.
  if (c.lock_mode.empty() || name.starts_with("locks/")) return h;
  if (c.retention_days > 0) {
    h.emplace_back("x-amz-object-lock-mode", c.lock_mode);
    h.emplace_back("x-amz-object-lock-retain-until-date",
                   FormatIsoTime(std::chrono::system_clock::now() +
                                 std::chrono::hours(24) * c.retention_days));
  }
  if (c.legal_hold) h.emplace_back("x-amz-object-lock-legal-hold", "ON");
  return h;
}

Status S3Backend::Save(const std::string& name, ByteSource& src) {
  const std::string key = config().Key(name);
  http::Headers lock = LockHeaders(name);
  if (config().multipart_threshold > 0 && src.Length() >= config().multipart_threshold) {
    return MultipartUpload(requester_, key, src, lock, stats_).WithContext("S3 PUT " + name);
  }
  return SaveSingle(key, src, lock);
}

Status S3Backend::SaveSingle(const std::string& key, ByteSource& src,
                             const http::Headers& lock_headers) {
  RETURN_IF_ERROR(src.Rewind());
  const uint64_t len = src.Length();
  std::optional<Hash256> hash = src.Sha256();
  Bytes owned;
  std::optional<ByteView> data = src.Contiguous();
  if (data && data->size() != len) return Corrupt(key, "the source's length is not its size");
  if (!data && len <= kBufferLimit) {
    owned.resize(static_cast<size_t>(len) + 1);
    ASSIGN_OR_RETURN(size_t got, ReadFull(src, owned.data(), owned.size()));
    if (got != len) {
      return Corrupt(key, got < len ? "the source yields fewer bytes than its length"
                                    : "the source yields more bytes than its length");
    }
    owned.resize(got);
    data = ByteView(owned);
  }
  std::optional<BufferSource> memory;
  std::optional<VerifyingSource> streamed;
  ByteSource* body;
  if (data) {
    Hash256 actual = Sha256(*data);
    if (hash && *hash != actual) return Corrupt(key, "the content does not match its SHA-256");
    hash = actual;
    body = &memory.emplace(*data, actual);
  } else {
    if (!hash) {  // one pass to learn the hash the request must carry
      Digest d(Digest::Algorithm::kSha256);
      Bytes buf(1 << 20);
      uint64_t total = 0;
      for (;;) {
        ASSIGN_OR_RETURN(size_t k, src.Read(buf.data(), buf.size()));
        if (k == 0) break;
        d.Update(ByteView(buf.data(), k));
        total += k;
      }
      if (total != len) return Corrupt(key, "the source yields a different number of bytes");
      Bytes digest = d.Final();
      hash.emplace();
      std::copy(digest.begin(), digest.end(), hash->begin());
      RETURN_IF_ERROR(src.Rewind());
    }
    body = &streamed.emplace(src, *hash, key);
  }
  http::Headers h = lock_headers;
  h.emplace_back("Content-Type", "application/octet-stream");
  h.emplace_back("x-amz-checksum-sha256", ToBase64(ByteView(*hash)));
  h.emplace_back("x-amz-sdk-checksum-algorithm", "SHA256");
  ASSIGN_OR_RETURN(http::Response resp, requester_.Send("PUT", config().ObjectUrl(key),
                                                        std::move(h), body, ToHex(*hash)));
  return ClassifyS3Response(resp, "PUT " + key, config().bucket);
}

Status S3Backend::Load(const std::string& name, uint64_t offset, uint64_t length,
                       const LoadConsumer& consumer) {
  const std::string key = config().Key(name);
  http::Headers h;
  const bool ranged = offset > 0 || length > 0;
  if (ranged) {
    std::string range = "bytes=" + std::to_string(offset) + "-";
    if (length > 0 && offset + length > offset) range += std::to_string(offset + length - 1);
    h.emplace_back("Range", range);
  }
  ResponsePipe pipe;
  http::CancellationToken cancel;
  std::optional<Result<http::Response>> result;
  std::function<Status(ByteView)> sink = [&](ByteView b) { return pipe.Push(b); };
  std::thread transfer([&] {
    result.emplace(requester_.Send("GET", config().ObjectUrl(key), h, nullptr, kEmptySha256Hex,
                                   &sink, &cancel));
    pipe.Finish(result->ok() ? Status::OK() : result->status());
  });
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{transfer};

  if (!pipe.WaitStart()) {  // the transfer ended without a body byte
    transfer.join();
    if (!result->ok()) return result->status();
    const http::Response& resp = **result;
    if (resp.status == 416) {  // the range starts past the end: nothing to read
      ResponsePipe empty;
      empty.Finish(Status::OK());
      return consumer(empty);
    }
    RETURN_IF_ERROR(ClassifyS3Response(resp, "GET " + key, config().bucket));
    return consumer(pipe);
  }
  // Body bytes only flow for a 2xx answer; stream them to the consumer.
  Status st = consumer(pipe);
  pipe.Close();
  cancel.Cancel();
  return st;
}

Result<ObjectInfo> S3Backend::Stat(const std::string& name) {
  const std::string key = config().Key(name);
  ASSIGN_OR_RETURN(http::Response resp,
                   requester_.Send("HEAD", config().ObjectUrl(key), {}, nullptr, kEmptySha256Hex));
  if (resp.status == 404 && !bucket_seen_.load(std::memory_order_relaxed)) {
    // A HEAD answer has no body to tell a missing key from a missing bucket.
    ASSIGN_OR_RETURN(http::Response bucket,
                     requester_.Send("HEAD", config().BucketUrl(), {}, nullptr, kEmptySha256Hex));
    if (bucket.status == 404) {
      return Status::NotFound("S3 HEAD " + key + ": the bucket '" + config().bucket +
                              "' does not exist");
    }
    if (bucket.status / 100 == 2) bucket_seen_.store(true, std::memory_order_relaxed);
  }
  RETURN_IF_ERROR(ClassifyS3Response(resp, "HEAD " + key, config().bucket));
  bucket_seen_.store(true, std::memory_order_relaxed);
  auto size = ContentLength(resp);
  if (!size) return Status::Corruption("S3 HEAD " + key + ": no valid Content-Length");
  return ObjectInfo{name, *size};
}

Status S3Backend::List(const std::string& prefix,
                       const std::function<Status(const ObjectInfo&)>& fn) {
  const S3Config& c = config();
  const std::string base = c.KeyPrefix();
  std::string token;
  for (;;) {
    std::string q =
        "list-type=2&max-keys=" + std::to_string(c.max_keys) + "&prefix=" + Q(base + prefix);
    if (!token.empty()) q += "&continuation-token=" + Q(token);
    ASSIGN_OR_RETURN(http::Response resp,
                     requester_.SendSmall("GET", c.BucketUrl(q), {}, "", "LIST " + base + prefix));
    ASSIGN_OR_RETURN(ListPage page, ParseListObjectsV2(resp.body));
    for (const ListedObject& o : page.objects) {
      if (!o.key.starts_with(base) || o.key.size() == base.size()) continue;
      RETURN_IF_ERROR(fn(ObjectInfo{o.key.substr(base.size()), o.size}));
    }
    if (!page.truncated) return Status::OK();
    if (page.next_token == token) {
      return Status::Corruption("S3 LIST: the server repeated its continuation token");
    }
    token = page.next_token;
  }
}

Status S3Backend::Remove(const std::string& name) {
  RETURN_IF_ERROR(Stat(name).status());
  const std::string key = config().Key(name);
  ASSIGN_OR_RETURN(http::Response resp, requester_.Send("DELETE", config().ObjectUrl(key), {},
                                                        nullptr, kEmptySha256Hex));
  return ClassifyS3Response(resp, "DELETE " + key, config().bucket);
}

Result<uint64_t> S3Backend::RemoveIncomplete(std::chrono::seconds min_age) {
  const S3Config& c = config();
  const auto cutoff = std::chrono::system_clock::now() - min_age;
  std::string key_marker, id_marker;
  uint64_t removed = 0;
  for (;;) {
    std::string q = "uploads&prefix=" + Q(c.KeyPrefix());
    if (!key_marker.empty()) {
      q += "&key-marker=" + Q(key_marker) + "&upload-id-marker=" + Q(id_marker);
    }
    ASSIGN_OR_RETURN(http::Response resp,
                     requester_.SendSmall("GET", c.BucketUrl(q), {}, "", "ListMultipartUploads"));
    ASSIGN_OR_RETURN(UploadsPage page, ParseListMultipartUploads(resp.body));
    for (const UploadInfo& u : page.uploads) {
      if (u.initiated > cutoff) continue;
      auto r = requester_.SendSmall("DELETE", c.ObjectUrl(u.key, "uploadId=" + Q(u.upload_id)), {},
                                    "", "AbortMultipartUpload " + u.key);
      if (!r.ok() && !r.status().IsNotFound()) return r.status();
      ++removed;
    }
    if (!page.truncated) return removed;
    if (page.next_key_marker == key_marker && page.next_upload_id_marker == id_marker) {
      return Status::Corruption("S3 ListMultipartUploads: the server repeated its marker");
    }
    key_marker = page.next_key_marker;
    id_marker = page.next_upload_id_marker;
  }
}

Status S3Backend::Create() {
  const S3Config& c = config();
  http::Headers h;
  if (!c.lock_mode.empty()) h.emplace_back("x-amz-bucket-object-lock-enabled", "true");
  const std::string body = c.region == "us-east-1" ? "" : BuildCreateBucket(c.region);
  h.emplace_back("Content-Type", "application/xml");
  BufferSource src(AsBytes(body));
  ASSIGN_OR_RETURN(http::Response resp,
                   requester_.Send("PUT", c.BucketUrl(), h, body.empty() ? nullptr : &src,
                                   ToHex(Sha256(AsBytes(body)))));
  Status created = ClassifyS3Response(resp, "CreateBucket", c.bucket);
  if (!created.ok()) {
    std::string code;
    if (auto err = ParseError(resp.body); err.ok()) code = err->code;
    if (code == "BucketAlreadyOwnedByYou") {
      // ours already
    } else if (code == "BucketAlreadyExists") {
      return Status::PermissionDenied("S3 CreateBucket: the bucket name '" + c.bucket +
                                      "' is taken by another account");
    } else if (created.code() == Code::kPermissionDenied) {
      // The key may lack s3:CreateBucket on a bucket that exists already.
      auto head = requester_.Send("HEAD", c.BucketUrl(), {}, nullptr, kEmptySha256Hex);
      if (!head.ok() || head->status != 200) return created;
    } else {
      return created;
    }
  }
  return ApplyBucketSettings();
}

Status S3Backend::ApplyBucketSettings() {
  const S3Config& c = config();
  if (c.versioning) {
    RETURN_IF_ERROR(requester_
                        .SendSmall("PUT", c.BucketUrl("versioning"), {}, BuildVersioning(true),
                                   "PutBucketVersioning", /*content_md5=*/true)
                        .status());
  }
  if (c.lifecycle_noncurrent_days > 0 || c.abort_multipart_days > 0) {
    RETURN_IF_ERROR(requester_
                        .SendSmall("PUT", c.BucketUrl("lifecycle"), {},
                                   BuildLifecycle(c.KeyPrefix(), c.lifecycle_noncurrent_days,
                                                  c.abort_multipart_days),
                                   "PutBucketLifecycleConfiguration", /*content_md5=*/true)
                        .status());
  }
  if (!c.lock_mode.empty() && c.retention_days > 0) {
    Status st = requester_
                    .SendSmall("PUT", c.BucketUrl("object-lock"), {},
                               BuildObjectLockConfiguration(c.lock_mode, c.retention_days),
                               "PutObjectLockConfiguration", /*content_md5=*/true)
                    .status();
    if (!st.ok()) {
      return st.WithContext("the bucket '" + c.bucket +
                            "' may have been created without object lock, which cannot be "
                            "turned on later through this API");
    }
  }
  return Status::OK();
}

Result<std::unique_ptr<Backend>> OpenS3Backend(const std::string& url) {
  ASSIGN_OR_RETURN(S3Config config, ParseS3Address(url));
  ASSIGN_OR_RETURN(S3Credentials creds, LoadS3Credentials(config));
  return std::unique_ptr<Backend>(std::make_unique<S3Backend>(std::move(config), std::move(creds)));
}

}  // namespace custos::s3
