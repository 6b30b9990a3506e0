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

std::string EncodePayloadJson(const Payload& p) {
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
