#include "records/journal.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "base/random.h"
#include "crypto/hash.h"

namespace custos::records {
namespace {

constexpr uint8_t kPayloadFormat = 1;
constexpr std::string_view kPayloadKeyLabel = "custos/records/journal-payload/v1";

Key256 EntryKey(const Key256& subject_key, uint64_t seq) {
  uint8_t be[8];
  for (int i = 0; i < 8; ++i) be[i] = static_cast<uint8_t>(seq >> (56 - 8 * i));
  return DeriveKey(subject_key, kPayloadKeyLabel, ByteView(be, 8));
}

nlohmann::json OptText(const std::optional<std::string>& s) {
  return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
}

Status ReadOptText(const nlohmann::json& j, const char* key, std::optional<std::string>& out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Corruption(std::string("payload: missing ") + key);
  if (it->is_null()) {
    out.reset();
  } else if (it->is_string()) {
    out = it->get<std::string>();
  } else {
    return Status::Corruption(std::string("payload: ") + key + " is not text or null");
  }
  return Status::OK();
}

}  // namespace

Hash256 Commitment(ByteView salt, std::string_view after) {
  Sha256Stream s;
  s.Update(salt);
  s.Update(AsBytes(after));
  return s.Finish();
}

namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || c > 0xF4 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  if (c == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
  if (c == 0xED && b(i + 1) >= 0xA0) return 0;  // surrogate
  if (c == 0xF0 && b(i + 1) < 0x90) return 0;   // overlong
  if (c == 0xF4 && b(i + 1) >= 0x90) return 0;  // above U+10FFFF
  return n;
}

bool IsPlainJsonChar(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

// Appends `v` as a JSON string exactly as nlohmann's dump (ensure_ascii off)
// writes it; false, with `out` unspecified, when `v` is not valid UTF-8.
bool AppendJsonString(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (size_t i = 0; i < v.size();) {
    // Printable ASCII other than the quote and the backslash is copied as a
    // run: an after-image is mostly such text.
    size_t run = i;
    while (run < v.size() && IsPlainJsonChar(static_cast<unsigned char>(v[run]))) ++run;
    if (run > i) {
      out.append(v.data() + i, run - i);
      i = run;
      continue;
    }
    const auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(v, i);
      if (n == 0) return false;
      out.append(v.substr(i, n));
      i += n;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
  return true;
}

bool AppendOptText(std::string& out, const std::optional<std::string>& v) {
  if (!v) {
    out += "null";
    return true;
  }
  return AppendJsonString(out, *v);
}

}  // namespace

std::string EncodePayloadJson(const Payload& p) {
  // Keys in nlohmann's (sorted) order; the text is what nlohmann::json::dump
  // makes of the same object, written directly because every journal entry
  // needs one. Text that is not valid UTF-8 takes nlohmann's path, which
  // replaces the bad bytes.
  std::string out;
  out.reserve(96 + p.actor.size() + (p.before ? p.before->size() : 0) +
              (p.after ? p.after->size() : 0) + (p.reason ? p.reason->size() : 0));
  out += "{\"actor\":";
  bool ok = AppendJsonString(out, p.actor);
  out += ",\"after\":";
  ok = ok && AppendOptText(out, p.after);
  out += ",\"before\":";
  ok = ok && AppendOptText(out, p.before);
  out += ",\"reason\":";
  ok = ok && AppendOptText(out, p.reason);
  out += ",\"salt\":";
  ok = ok && AppendJsonString(out, ToBase64(p.salt));
  out += ",\"v\":1}";
  if (ok) return out;
  SecureWipe(out.data(), out.size());
  nlohmann::json j{{"v", 1},
                   {"actor", p.actor},
                   {"before", OptText(p.before)},
                   {"after", OptText(p.after)},
                   {"salt", ToBase64(p.salt)},
                   {"reason", OptText(p.reason)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Payload> DecodePayloadJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("payload: not a JSON object");
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer() || v->get<int64_t>() != 1) {
    return Status::Corruption("payload: unknown version");
  }
  Payload p;
  auto actor = j.find("actor");
  if (actor == j.end() || !actor->is_string()) {
    return Status::Corruption("payload: actor is not text");
  }
  p.actor = actor->get<std::string>();
  RETURN_IF_ERROR(ReadOptText(j, "before", p.before));
  RETURN_IF_ERROR(ReadOptText(j, "after", p.after));
  RETURN_IF_ERROR(ReadOptText(j, "reason", p.reason));
  auto salt = j.find("salt");
  if (salt == j.end() || !salt->is_string()) return Status::Corruption("payload: salt is not text");
  auto bytes = FromBase64(salt->get<std::string>());
  if (!bytes.ok() || bytes->size() != kCommitmentSaltSize) {
    return Status::Corruption("payload: salt is not 32 bytes of base64");
  }
  p.salt = std::move(bytes).value();
  return p;
}

Bytes SealPayload(const Key256& subject_key, uint64_t seq, const Hash256& leaf_hash,
                  const Payload& p) {
  std::string json = EncodePayloadJson(p);
  Bytes out = SealPayloadJson(subject_key, seq, leaf_hash, json);
  SecureWipe(json.data(), json.size());
  return out;
}

Bytes SealPayloadJson(const Key256& subject_key, uint64_t seq, const Hash256& leaf_hash,
                      std::string_view payload_json) {
  Key256 key = EntryKey(subject_key, seq);
  Nonce96 nonce;
  RandomFill(nonce);
  Bytes out;
  out.reserve(1 + nonce.size() + payload_json.size() + kAeadTagSize);
  out.push_back(kPayloadFormat);
  out.insert(out.end(), nonce.begin(), nonce.end());
  AeadSeal(key, nonce, leaf_hash, AsBytes(payload_json), out);
  SecureWipe(key.data(), key.size());
  return out;
}

Result<Payload> OpenPayload(const Key256& subject_key, uint64_t seq, const Hash256& leaf_hash,
                            ByteView sealed) {
  if (sealed.size() < 1 + 12 + kAeadTagSize || sealed[0] != kPayloadFormat) {
    return Status::Corruption("payload: malformed sealed payload");
  }
  Nonce96 nonce;
  std::memcpy(nonce.data(), sealed.data() + 1, nonce.size());
  Key256 key = EntryKey(subject_key, seq);
  Bytes plain;
  Status st = AeadOpen(key, nonce, leaf_hash, sealed.subspan(13), plain);
  SecureWipe(key.data(), key.size());
  if (!st.ok()) return Status::Corruption("payload: authentication failed");
  auto p = DecodePayloadJson(AsString(plain));
  SecureWipe(plain.data(), plain.size());
  return p;
}

}  // namespace custos::records
