#include "vault/keys.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "base/random.h"
#include "crypto/hash.h"
#include "vault/util.h"

namespace custos {

namespace {
constexpr std::string_view kAad = "custos/key/v1";

Result<Key256> DeriveWrappingKey(const Secret& secret, ByteView salt, const KdfParams& kdf) {
  if (secret.kind == Secret::Kind::kKeyFile) {
    if (secret.value.size() < 32) {
      return Status::InvalidArgument("key file must hold at least 32 random bytes");
    }
    Bytes msg(kAad.begin(), kAad.end());
    msg.insert(msg.end(), salt.begin(), salt.end());
    // Hash the file first: HMAC zero-pads short keys, so a key file and the
    // same file with trailing zero bytes cut off would otherwise be equal.
    Hash256 file_hash = Sha256(AsBytes(secret.value));
    Hash256 h = HmacSha256(file_hash, msg);
    Key256 k;
    std::memcpy(k.data(), h.data(), 32);
    return k;
  }
  if (secret.value.empty()) return Status::InvalidArgument("empty passphrase");
  return DeriveArgon2id(secret.value, salt, kdf);
}
}  // namespace

MasterKey MasterKey::Generate() {
  MasterKey k;
  RandomFill(k.encryption);
  RandomFill(k.id);
  return k;
}

void MasterKey::Wipe() {
  SecureWipe(encryption.data(), encryption.size());
  SecureWipe(id.data(), id.size());
}

Result<Bytes> WrapMasterKey(const MasterKey& master, const Secret& secret, const KdfParams& kdf) {
  Bytes salt(16);
  RandomFill(salt);
  ASSIGN_OR_RETURN(Key256 wrap, DeriveWrappingKey(secret, salt, kdf));
  Bytes plain(64);
  std::memcpy(plain.data(), master.encryption.data(), 32);
  std::memcpy(plain.data() + 32, master.id.data(), 32);
  Bytes sealed;
  AeadSeal(wrap, Nonce96{}, AsBytes(kAad), plain, sealed);
  SecureWipe(plain.data(), plain.size());
  SecureWipe(wrap.data(), wrap.size());
  nlohmann::json j = {
      {"version", 1},
      {"kind", secret.kind == Secret::Kind::kKeyFile ? "keyfile" : "passphrase"},
      {"kdf", {{"algorithm", "argon2id"}, {"iterations", kdf.iterations}, {"memory", kdf.memory}}},
      {"salt", ToBase64(salt)},
      {"data", ToBase64(sealed)},
      {"created", NowRfc3339()},
      {"hostname", HostName()},
      {"username", UserName()},
  };
  std::string s = j.dump(2);
  s += '\n';
  return Bytes(s.begin(), s.end());
}

static Result<nlohmann::json> ParseKeyJson(ByteView key_object) {
  nlohmann::json j = nlohmann::json::parse(key_object.begin(), key_object.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("version", 0) != 1 || !j.contains("salt") ||
      !j.contains("data") || !j.contains("kdf") || !j.contains("kind")) {
    return Status::Corruption("not a valid key object");
  }
  return j;
}

Result<KeyInfo> ParseKeyInfo(ByteView key_object) {
  ASSIGN_OR_RETURN(nlohmann::json j, ParseKeyJson(key_object));
  try {
    KeyInfo info;
    info.kind = j.at("kind").get<std::string>();
    info.created = j.value("created", "");
    info.hostname = j.value("hostname", "");
    info.username = j.value("username", "");
    info.kdf.iterations = j.at("kdf").at("iterations").get<uint64_t>();
    info.kdf.memory = j.at("kdf").at("memory").get<uint64_t>();
    return info;
  } catch (const std::exception&) {
    return Status::Corruption("not a valid key object");
  }
}

Result<MasterKey> UnwrapMasterKey(ByteView key_object, const Secret& secret) {
  ASSIGN_OR_RETURN(KeyInfo info, ParseKeyInfo(key_object));
  ASSIGN_OR_RETURN(nlohmann::json j, ParseKeyJson(key_object));
  std::string want = secret.kind == Secret::Kind::kKeyFile ? "keyfile" : "passphrase";
  if (info.kind != want) return Status::WrongPassword("key is of kind " + info.kind);
  auto salt = FromBase64(j["salt"].is_string() ? j["salt"].get<std::string>() : "");
  auto data = FromBase64(j["data"].is_string() ? j["data"].get<std::string>() : "");
  if (!salt.ok() || !data.ok() || salt->size() != 16 || data->size() != 64 + kAeadTagSize) {
    return Status::Corruption("not a valid key object");
  }
  ASSIGN_OR_RETURN(Key256 wrap, DeriveWrappingKey(secret, *salt, info.kdf));
  Bytes plain;
  Status st = AeadOpen(wrap, Nonce96{}, AsBytes(kAad), *data, plain);
  SecureWipe(wrap.data(), wrap.size());
  if (!st.ok()) return Status::WrongPassword("wrong password or key file");
  MasterKey k;
  std::memcpy(k.encryption.data(), plain.data(), 32);
  std::memcpy(k.id.data(), plain.data() + 32, 32);
  SecureWipe(plain.data(), plain.size());
  return k;
}

}  // namespace custos
