#include "crypto/hash.h"

// Sha256, Sha256Stream and Hmac keep their state in the low-level
// SHA256_CTX, a plain struct (Hmac copies its keyed states per call) that
// reaches the SHA-NI code without EVP's provider dispatch and allocation.
// OpenSSL 3 deprecates these calls; where a build drops them, the EVP paths
// after #else take over.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <cstring>

#include "crypto/aead.h"

namespace custos {
namespace {

#ifdef OPENSSL_NO_DEPRECATED_3_0
// SHA-256 fetched from the provider once for the process (EVP_sha256() in
// an init fetches it again on every call).
const EVP_MD* Sha256Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!md) std::abort();  // only fails when the default provider is missing
  return md;
}
#endif

}  // namespace

Hash256 Sha256(ByteView data) {
  Hash256 out;
#ifndef OPENSSL_NO_DEPRECATED_3_0
  // The low-level calls: EVP_Digest fetches the algorithm from the provider
  // and allocates a context on every call, which costs more than hashing a
  // bearer token or a key label (one call per API request).
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(out.data(), &ctx);
  SecureWipe(&ctx, sizeof(ctx));  // it may hold part of a secret input
#else
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, Sha256Md(), nullptr) != 1) {
    std::abort();  // only fails on allocation failure
  }
#endif
  return out;
}

// One Hmac per call: the one-shot HMAC() fetches the digest and the MAC from
// the provider on every call (EVP_Q_mac), several times the cost of the
// four compressions of a short message.
Hash256 HmacSha256(ByteView key, ByteView data) { return Hmac(key).Compute(data); }

#ifndef OPENSSL_NO_DEPRECATED_3_0

// A plain SHA256_CTX: no EVP context to allocate and set up, and no
// provider dispatch, per stream (a journal entry hashes its payload
// commitment with one); the Impl itself is the one allocation.
struct Sha256Stream::Impl {
  SHA256_CTX ctx;
  ~Impl() { SecureWipe(&ctx, sizeof(ctx)); }  // it may hold part of a secret input
};

Sha256Stream::Sha256Stream() : impl_(std::make_unique<Impl>()) { SHA256_Init(&impl_->ctx); }
Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::Update(ByteView data) { SHA256_Update(&impl_->ctx, data.data(), data.size()); }

Hash256 Sha256Stream::Finish() {
  Hash256 out;
  SHA256_Final(out.data(), &impl_->ctx);
  return out;
}

// HMAC (RFC 2104) with the inner and outer states keyed once: a Compute
// costs the compressions of the data and two more, and no allocation.
struct Hmac::Impl {
  SHA256_CTX inner;  // after key ^ ipad
  SHA256_CTX outer;  // after key ^ opad
};

Hmac::Hmac(ByteView key) : impl_(std::make_unique<Impl>()) {
  uint8_t pad[SHA256_CBLOCK] = {};
  if (key.size() > sizeof(pad)) {
    SHA256(key.data(), key.size(), pad);  // longer keys are hashed first
  } else if (!key.empty()) {
    std::memcpy(pad, key.data(), key.size());
  }
  for (uint8_t& b : pad) b ^= 0x36;
  SHA256_Init(&impl_->inner);
  SHA256_Update(&impl_->inner, pad, sizeof(pad));
  for (uint8_t& b : pad) b ^= 0x36 ^ 0x5c;
  SHA256_Init(&impl_->outer);
  SHA256_Update(&impl_->outer, pad, sizeof(pad));
  SecureWipe(pad, sizeof(pad));
}

Hmac::~Hmac() { SecureWipe(impl_.get(), sizeof(Impl)); }

Hash256 Hmac::Compute(ByteView data) const {
  SHA256_CTX ctx = impl_->inner;
  SHA256_Update(&ctx, data.data(), data.size());
  uint8_t inner[SHA256_DIGEST_LENGTH];
  SHA256_Final(inner, &ctx);
  ctx = impl_->outer;
  SHA256_Update(&ctx, inner, sizeof(inner));
  Hash256 out;
  SHA256_Final(out.data(), &ctx);
  SecureWipe(&ctx, sizeof(ctx));
  SecureWipe(inner, sizeof(inner));
  return out;
}

#else  // OPENSSL_NO_DEPRECATED_3_0: EVP

struct Sha256Stream::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256Stream::Sha256Stream() : impl_(std::make_unique<Impl>()) {
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, Sha256Md(), nullptr) != 1) std::abort();
}
Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::Update(ByteView data) { EVP_DigestUpdate(impl_->ctx, data.data(), data.size()); }

Hash256 Sha256Stream::Finish() {
  Hash256 out;
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, out.data(), &len);
  return out;
}

struct Hmac::Impl {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* keyed = nullptr;
  ~Impl() {
    EVP_MAC_CTX_free(keyed);
    EVP_MAC_free(mac);
  }
};

Hmac::Hmac(ByteView key) : impl_(std::make_unique<Impl>()) {
  impl_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (!impl_->mac) std::abort();
  impl_->keyed = EVP_MAC_CTX_new(impl_->mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (!impl_->keyed || EVP_MAC_init(impl_->keyed, key.data(), key.size(), params) != 1) {
    std::abort();
  }
}
Hmac::~Hmac() = default;

Hash256 Hmac::Compute(ByteView data) const {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(impl_->keyed);
  if (!ctx) std::abort();
  EVP_MAC_update(ctx, data.data(), data.size());
  Hash256 out;
  size_t len = 0;
  EVP_MAC_final(ctx, out.data(), &len, out.size());
  EVP_MAC_CTX_free(ctx);
  return out;
}

#endif

}  // namespace custos
