#include "vault/object.h"

#include <cstring>

#include "base/random.h"
#include "vault/compress.h"

namespace custos {

namespace {
constexpr char kMagic[4] = {'C', 'U', 'S', 'O'};
constexpr uint8_t kVersion = 1;
constexpr size_t kHeader = 4 + 1 + 1 + 16;
}  // namespace

const char* ObjectTypeName(ObjectType t) {
  switch (t) {
    case ObjectType::kConfig:
      return "config";
    case ObjectType::kIndex:
      return "index";
    case ObjectType::kSnapshot:
      return "snapshot";
    case ObjectType::kLock:
      return "lock";
    case ObjectType::kCatalogue:
      return "catalogue";
  }
  return "object";
}

Bytes SealObject(const Key256& master, ObjectType type, ByteView body) {
  Bytes out(kHeader);
  std::memcpy(out.data(), kMagic, 4);
  out[4] = kVersion;
  out[5] = static_cast<uint8_t>(type);
  RandomFill({out.data() + 6, 16});
  Key256 key = DeriveKey(master, "custos/object/v1", ByteView(out.data() + 6, 16));
  Bytes plain;
  Bytes packed = body.size() > 128 ? Compress(body, 3) : Bytes();
  if (!packed.empty() && packed.size() < body.size()) {
    plain.reserve(packed.size() + 1);
    plain.push_back(1);
    plain.insert(plain.end(), packed.begin(), packed.end());
  } else {
    plain.reserve(body.size() + 1);
    plain.push_back(0);
    plain.insert(plain.end(), body.begin(), body.end());
  }
  Bytes header(out.begin(), out.end());
  AeadSeal(key, Nonce96{}, header, plain, out);
  SecureWipe(key.data(), key.size());
  return out;
}

Result<Bytes> OpenObject(const Key256& master, ObjectType type, ByteView sealed) {
  if (sealed.size() < kHeader + kAeadTagSize + 1) {
    return Status::Corruption("truncated (" + std::to_string(sealed.size()) + " bytes)");
  }
  if (std::memcmp(sealed.data(), kMagic, 4) != 0) return Status::Corruption("bad magic");
  if (sealed[4] != kVersion) {
    return Status::Corruption("unsupported object version " + std::to_string(sealed[4]));
  }
  if (sealed[5] != static_cast<uint8_t>(type)) {
    return Status::Corruption(std::string("not a ") + ObjectTypeName(type) + " object");
  }
  Key256 key = DeriveKey(master, "custos/object/v1", sealed.subspan(6, 16));
  Bytes plain;
  Status st = AeadOpen(key, Nonce96{}, sealed.first(kHeader), sealed.subspan(kHeader), plain);
  SecureWipe(key.data(), key.size());
  RETURN_IF_ERROR(st);
  if (plain.empty() || plain[0] > 1) return Status::Corruption("bad object flags");
  if (plain[0] == 0) return Bytes(plain.begin() + 1, plain.end());
  Bytes body;
  RETURN_IF_ERROR(Decompress(ByteView(plain).subspan(1), 0, body));
  return body;
}

}  // namespace custos
