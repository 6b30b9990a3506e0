#include "records/verify_crypto.h"

// OpenSSL 3 deprecates the low-level SHA256_* calls, but they reach the
// SHA-NI code without EVP's provider dispatch and allocation. Where a build
// of OpenSSL drops them, crypto/hash.h takes over (same results, slower).
// journal/merkle.cc makes the same choice.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <cstring>

#include "crypto/hash.h"
#include "records/verify_gcm.h"

namespace custos::records {
namespace {

// Must equal the label of journal.cc; the round trip through SealPayload in
// verify_payload_test.cc holds them together.
constexpr std::string_view kPayloadKeyLabel = "custos/records/journal-payload/v1";
constexpr uint8_t kPayloadFormat = 1;
constexpr size_t kNonceSize = 12;

void BigEndian64(uint64_t v, uint8_t out[8]) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}

}  // namespace

#ifndef OPENSSL_NO_DEPRECATED_3_0

Hash256 VerifySha256(std::string_view data) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  Hash256 out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

Hash256 VerifyLeafHash(ByteView leaf) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  const uint8_t prefix = 0x00;
  SHA256_Update(&ctx, &prefix, 1);
  SHA256_Update(&ctx, leaf.data(), leaf.size());
  Hash256 out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

Hash256 VerifyCommitment(ByteView salt, std::string_view after) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, salt.data(), salt.size());
  SHA256_Update(&ctx, after.data(), after.size());
  Hash256 out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

#else

Hash256 VerifySha256(std::string_view data) { return Sha256(AsBytes(data)); }

Hash256 VerifyLeafHash(ByteView leaf) {
  Bytes msg(1 + leaf.size(), 0);
  std::memcpy(msg.data() + 1, leaf.data(), leaf.size());
  return Sha256(msg);
}

Hash256 VerifyCommitment(ByteView salt, std::string_view after) {
  Bytes msg(salt.begin(), salt.end());
  msg.insert(msg.end(), after.begin(), after.end());
  return Sha256(msg);
}

#endif

namespace {

constexpr size_t kKeyMessage = kPayloadKeyLabel.size() + 1 + 8;

void KeyMessage(uint64_t seq, uint8_t msg[kKeyMessage]) {
  std::memcpy(msg, kPayloadKeyLabel.data(), kPayloadKeyLabel.size());
  msg[kPayloadKeyLabel.size()] = 0;
  BigEndian64(seq, msg + kPayloadKeyLabel.size() + 1);
}

}  // namespace

Key256 DerivePayloadKey(const SubjectHmac& subject_key, uint64_t seq) {
  uint8_t msg[kKeyMessage];
  KeyMessage(seq, msg);
  Hash256 h = subject_key.Compute(ByteView(msg, sizeof(msg)));
  Key256 key;
  std::memcpy(key.data(), h.data(), key.size());
  SecureWipe(h.data(), h.size());
  return key;
}

void DerivePayloadKeys(const SubjectHmac& key_a, uint64_t seq_a, const SubjectHmac& key_b,
                       uint64_t seq_b, Key256& out_a, Key256& out_b) {
  uint8_t msg_a[kKeyMessage], msg_b[kKeyMessage];
  KeyMessage(seq_a, msg_a);
  KeyMessage(seq_b, msg_b);
  Hash256 ha, hb;
  SubjectHmac::ComputeTwo(key_a, ByteView(msg_a, kKeyMessage), key_b, ByteView(msg_b, kKeyMessage),
                          ha, hb);
  std::memcpy(out_a.data(), ha.data(), out_a.size());
  std::memcpy(out_b.data(), hb.data(), out_b.size());
  SecureWipe(ha.data(), ha.size());
  SecureWipe(hb.data(), hb.size());
}

// With one key per entry, a fresh key's setup is most of the cost:
// verify_gcm.h does it in one pass on AES-NI and PCLMULQDQ; EVP serves CPUs
// without those instructions.
struct PayloadCipher::Impl {
  explicit Impl(bool allow_instructions)
      : instructions(allow_instructions && VerifyGcmAvailable()) {}
  bool instructions;
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~Impl() {
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
  }

  bool OpenEvp(const Key256& key, const uint8_t* nonce, const Hash256& aad, const uint8_t* ct,
               size_t n, const uint8_t* tag_in, uint8_t* out) {
    int ok = EVP_DecryptInit_ex2(ctx, nullptr, key.data(), nonce, nullptr);
    int len = 0;
    ok = ok && EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
    ok = ok && (n == 0 || EVP_DecryptUpdate(ctx, out, &len, ct, static_cast<int>(n)) == 1);
    uint8_t tag[kAeadTagSize];
    std::memcpy(tag, tag_in, kAeadTagSize);
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kAeadTagSize, tag) == 1;
    ok = ok && EVP_DecryptFinal_ex(ctx, out + n, &len) == 1;
    return ok;
  }
};

PayloadCipher::PayloadCipher(bool allow_instructions)
    : impl_(std::make_unique<Impl>(allow_instructions)) {
  if (impl_->cipher == nullptr || impl_->ctx == nullptr ||
      EVP_DecryptInit_ex2(impl_->ctx, impl_->cipher, nullptr, nullptr, nullptr) != 1) {
    std::abort();  // only fails when memory is exhausted
  }
}

PayloadCipher::~PayloadCipher() = default;

namespace {

bool WellFormed(ByteView sealed) {
  return sealed.size() >= 1 + kNonceSize + kAeadTagSize && sealed[0] == kPayloadFormat &&
         sealed.size() - 1 - kNonceSize - kAeadTagSize <= static_cast<size_t>(INT32_MAX);
}

}  // namespace

void PayloadCipher::OpenTwo(const Entry& a, const Entry& b, Status& status_a, Status& status_b) {
  Key256 key_a, key_b;
  DerivePayloadKeys(*a.subject_key, a.seq, *b.subject_key, b.seq, key_a, key_b);
  status_a = OpenWithKey(key_a, *a.leaf_hash, a.sealed, *a.plain);
  status_b = OpenWithKey(key_b, *b.leaf_hash, b.sealed, *b.plain);
  SecureWipe(key_a.data(), key_a.size());
  SecureWipe(key_b.data(), key_b.size());
}

Status PayloadCipher::Open(const SubjectHmac& subject_key, uint64_t seq, const Hash256& leaf_hash,
                           ByteView sealed, Bytes& plain) {
  Key256 key = DerivePayloadKey(subject_key, seq);
  Status st = OpenWithKey(key, leaf_hash, sealed, plain);
  SecureWipe(key.data(), key.size());
  return st;
}

Status PayloadCipher::OpenWithKey(const Key256& key, const Hash256& leaf_hash, ByteView sealed,
                                  Bytes& plain) {
  if (!WellFormed(sealed)) return Status::Corruption("payload: malformed sealed payload");
  const size_t n = sealed.size() - 1 - kNonceSize - kAeadTagSize;
  plain.resize(n + 1);  // never empty: data() is a valid pointer
  const uint8_t* nonce = sealed.data() + 1;
  const uint8_t* ct = nonce + kNonceSize;
  bool ok;
  if (impl_->instructions) {
    ok = VerifyGcmOpen(key.data(), nonce, leaf_hash, ct, n, ct + n, plain.data());
  } else {
    ok = impl_->OpenEvp(key, nonce, leaf_hash, ct, n, ct + n, plain.data());
  }
  if (!ok) {
    SecureWipe(plain.data(), plain.size());
    plain.clear();
    return Status::Corruption("payload: authentication failed");
  }
  plain.resize(n);
  return Status::OK();
}

}  // namespace custos::records
