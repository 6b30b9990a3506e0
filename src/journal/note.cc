#include "journal/note.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "crypto/hash.h"
#include "journal/text_format.h"

namespace custos::journal {
namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // em dash U+2014, space
constexpr std::string_view kSignerPrefix = "PRIVATE+KEY+";

void EnsureSodium() {
  static const int rc = sodium_init();
  if (rc < 0) std::abort();
}

std::string Hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

// Splits s at the first `sep`: {before, after}; after is empty when absent.
std::pair<std::string_view, std::string_view> Chop(std::string_view s, char sep) {
  size_t i = s.find(sep);
  if (i == std::string_view::npos) return {s, {}};
  return {s.substr(0, i), s.substr(i + 1)};
}

Result<uint32_t> ParseKeyIdHex(std::string_view hex, std::string_view what) {
  if (hex.size() != 8) {
    return Status::InvalidArgument(std::string(what) + ": key ID is not 8 hex digits");
  }
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return Status::InvalidArgument(std::string(what) + ": key ID is not lowercase hex");
    }
  }
  auto bytes = FromHex(hex);
  if (!bytes.ok()) return Status::InvalidArgument(std::string(what) + ": key ID is not hex");
  return uint32_t{(*bytes)[0]} << 24 | uint32_t{(*bytes)[1]} << 16 | uint32_t{(*bytes)[2]} << 8 |
         uint32_t{(*bytes)[3]};
}

Bytes Typed(ByteView key) {
  Bytes out;
  out.reserve(1 + key.size());
  out.push_back(kNoteAlgEd25519);
  out.insert(out.end(), key.begin(), key.end());
  return out;
}

Status CheckText(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument("note text must end with a newline");
  }
  if (!IsNoteSafeText(text)) {
    return Status::InvalidArgument(
        "note text must be valid UTF-8 without control characters other than newline");
  }
  return Status::OK();
}

}  // namespace

uint32_t NoteKeyId(std::string_view name, ByteView typed_public_key) {
  Sha256Stream h;
  h.Update(AsBytes(name));
  h.Update(AsBytes("\n"));
  h.Update(typed_public_key);
  Hash256 sum = h.Finish();
  return uint32_t{sum[0]} << 24 | uint32_t{sum[1]} << 16 | uint32_t{sum[2]} << 8 | sum[3];
}

// ---- NoteVerifier ----

Result<NoteVerifier> NoteVerifier::FromEd25519(std::string_view name, ByteView public_key) {
  if (!IsValidKeyName(name)) return Status::InvalidArgument("invalid note key name");
  if (public_key.size() != 32) {
    return Status::InvalidArgument("an Ed25519 public key has 32 bytes, not " +
                                   std::to_string(public_key.size()));
  }
  NoteVerifier v;
  v.name_ = std::string(name);
  std::memcpy(v.public_key_.data(), public_key.data(), 32);
  v.key_id_ = NoteKeyId(name, Typed(public_key));
  return v;
}

std::string NoteVerifier::Encode() const {
  return name_ + "+" + Hex8(key_id_) + "+" + ToBase64(Typed(public_key_));
}

bool NoteVerifier::Verify(std::string_view message, ByteView sig) const {
  EnsureSodium();
  if (sig.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(sig.data(), reinterpret_cast<const uint8_t*>(message.data()),
                                     message.size(), public_key_.data()) == 0;
}

// ---- NoteSigner ----

NoteSigner::NoteSigner(NoteSigner&& other) noexcept { *this = std::move(other); }

NoteSigner& NoteSigner::operator=(NoteSigner&& other) noexcept {
  if (this != &other) {
    name_ = std::move(other.name_);
    key_id_ = other.key_id_;
    secret_key_ = other.secret_key_;
    public_key_ = other.public_key_;
    sodium_memzero(other.secret_key_.data(), other.secret_key_.size());
  }
  return *this;
}

NoteSigner::~NoteSigner() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

NoteVerifier NoteSigner::Verifier() const {
  auto v = NoteVerifier::FromEd25519(name_, public_key_);
  return std::move(v).value();  // the name was validated when the signer was made
}

std::array<uint8_t, 64> NoteSigner::Sign(std::string_view message) const {
  EnsureSodium();
  std::array<uint8_t, 64> sig;
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const uint8_t*>(message.data()),
                       message.size(), secret_key_.data());
  return sig;
}

// ---- Keys ----

Result<NoteKeyPair> GenerateNoteKey(std::string_view name) {
  if (!IsValidKeyName(name)) return Status::InvalidArgument("invalid note key name");
  EnsureSodium();
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  uint8_t sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  uint32_t id = NoteKeyId(name, Typed(pk));
  Bytes typed_seed = Typed(ByteView(sk, crypto_sign_SEEDBYTES));
  NoteKeyPair pair;
  pair.signer_key =
      std::string(kSignerPrefix) + std::string(name) + "+" + Hex8(id) + "+" + ToBase64(typed_seed);
  pair.verifier_key = std::string(name) + "+" + Hex8(id) + "+" + ToBase64(Typed(pk));
  sodium_memzero(sk, sizeof sk);
  sodium_memzero(typed_seed.data(), typed_seed.size());
  return pair;
}

Result<NoteVerifier> ParseNoteVerifier(std::string_view vkey) {
  auto [name, rest] = Chop(vkey, '+');
  auto [hash_hex, key64] = Chop(rest, '+');
  if (!IsValidKeyName(name)) return Status::InvalidArgument("verifier key: invalid key name");
  ASSIGN_OR_RETURN(uint32_t id, ParseKeyIdHex(hash_hex, "verifier key"));
  auto key = DecodeBase64Strict(key64, "verifier key: public key");
  if (!key.ok()) return key.status();
  if (key->empty()) return Status::InvalidArgument("verifier key: public key is empty");
  if ((*key)[0] != kNoteAlgEd25519) {
    return Status::InvalidArgument("verifier key: unsupported signature algorithm " +
                                   std::to_string((*key)[0]));
  }
  if (key->size() != 33) {
    return Status::InvalidArgument("verifier key: an Ed25519 public key has 32 bytes, not " +
                                   std::to_string(key->size() - 1));
  }
  if (NoteKeyId(name, *key) != id) {
    return Status::InvalidArgument("verifier key: key ID does not match the name and key");
  }
  return NoteVerifier::FromEd25519(name, ByteView(*key).subspan(1));
}

Result<NoteSigner> ParseNoteSigner(std::string_view skey) {
  if (skey.substr(0, kSignerPrefix.size()) != kSignerPrefix) {
    return Status::InvalidArgument("signer key does not start with PRIVATE+KEY+");
  }
  auto [name, rest] = Chop(skey.substr(kSignerPrefix.size()), '+');
  auto [hash_hex, key64] = Chop(rest, '+');
  if (!IsValidKeyName(name)) return Status::InvalidArgument("signer key: invalid key name");
  ASSIGN_OR_RETURN(uint32_t id, ParseKeyIdHex(hash_hex, "signer key"));
  auto key = DecodeBase64Strict(key64, "signer key: private key");
  if (!key.ok()) return key.status();
  struct Wipe {
    Bytes& b;
    ~Wipe() { sodium_memzero(b.data(), b.size()); }
  } wipe{*key};
  if (key->empty()) return Status::InvalidArgument("signer key: private key is empty");
  if ((*key)[0] != kNoteAlgEd25519) {
    return Status::InvalidArgument("signer key: unsupported signature algorithm " +
                                   std::to_string((*key)[0]));
  }
  if (key->size() != 1 + crypto_sign_SEEDBYTES) {
    return Status::InvalidArgument("signer key: an Ed25519 seed has 32 bytes, not " +
                                   std::to_string(key->size() - 1));
  }
  EnsureSodium();
  NoteSigner s;
  crypto_sign_seed_keypair(s.public_key_.data(), s.secret_key_.data(), key->data() + 1);
  if (NoteKeyId(name, Typed(s.public_key_)) != id) {
    return Status::InvalidArgument("signer key: key ID does not match the name and key");
  }
  s.name_ = std::string(name);
  s.key_id_ = id;
  return s;
}

// ---- Notes ----

Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers) {
  RETURN_IF_ERROR(CheckText(text));
  if (signers.empty()) return Status::InvalidArgument("a note needs at least one signer");
  std::string out(text);
  out += '\n';
  for (const NoteSigner* signer : signers) {
    std::array<uint8_t, 64> sig = signer->Sign(text);
    Bytes blob;
    uint32_t id = signer->key_id();
    blob.insert(blob.end(), {static_cast<uint8_t>(id >> 24), static_cast<uint8_t>(id >> 16),
                             static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id)});
    blob.insert(blob.end(), sig.begin(), sig.end());
    out += kSigPrefix;
    out += signer->name();
    out += ' ';
    out += ToBase64(blob);
    out += '\n';
  }
  return out;
}

Result<std::string> SignNote(std::string_view text, const NoteSigner& signer) {
  const NoteSigner* one[] = {&signer};
  return SignNote(text, one);
}

Result<OpenedNote> OpenNote(std::string_view note, std::span<const NoteVerifier> known) {
  for (size_t a = 0; a < known.size(); ++a) {
    for (size_t b = a + 1; b < known.size(); ++b) {
      if (known[a].name() == known[b].name() && known[a].key_id() == known[b].key_id() &&
          known[a].public_key() != known[b].public_key()) {
        return Status::InvalidArgument("two known keys share the name and key ID " +
                                       known[a].name() + "+" + Hex8(known[a].key_id()));
      }
    }
  }
  if (!IsNoteSafeText(note)) {
    return Status::InvalidArgument(
        "note is not valid UTF-8 or holds a control character other than newline");
  }
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Status::InvalidArgument("note has no blank line before its signatures");
  }
  OpenedNote out;
  std::string_view text = note.substr(0, split + 1);
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return Status::InvalidArgument("note signature block is empty or lacks its final newline");
  }
  std::vector<const NoteVerifier*> seen;
  size_t count = 0;
  while (!sigs.empty()) {
    size_t nl = sigs.find('\n');
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    if (++count > kMaxNoteSignatures) {
      return Status::InvalidArgument("note has more than " + std::to_string(kMaxNoteSignatures) +
                                     " signatures");
    }
    std::string where = "note signature line " + std::to_string(count);
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix) {
      return Status::InvalidArgument(where + " does not start with an em dash and a space");
    }
    auto [name, b64] = Chop(line.substr(kSigPrefix.size()), ' ');
    if (!IsValidKeyName(name)) return Status::InvalidArgument(where + ": invalid key name");
    ASSIGN_OR_RETURN(Bytes blob, DecodeBase64Strict(b64, where + ": signature"));
    if (blob.size() < 5) return Status::InvalidArgument(where + ": signature is too short");
    uint32_t id = uint32_t{blob[0]} << 24 | uint32_t{blob[1]} << 16 | uint32_t{blob[2]} << 8 |
                  uint32_t{blob[3]};
    NoteSignature sig{std::string(name), id, std::string(b64)};
    const NoteVerifier* verifier = nullptr;
    for (const NoteVerifier& v : known) {
      if (v.name() == name && v.key_id() == id) verifier = &v;
    }
    if (verifier == nullptr) {
      bool repeated = false;
      for (const NoteSignature& u : out.unverified) {
        repeated |= u.name == sig.name && u.base64 == sig.base64;
      }
      if (!repeated) out.unverified.push_back(std::move(sig));
      continue;
    }
    if (!verifier->Verify(text, ByteView(blob).subspan(4))) {
      return Status::Corruption("note signature by " + sig.name + "+" + Hex8(id) +
                                " does not verify");
    }
    bool repeated = false;
    for (const NoteVerifier* v : seen) repeated |= v == verifier;
    if (!repeated) {
      seen.push_back(verifier);
      out.verified.push_back(std::move(sig));
    }
  }
  if (out.verified.empty()) return Status::Corruption("note is not signed by any known key");
  out.text = std::string(text);
  return out;
}

}  // namespace custos::journal
