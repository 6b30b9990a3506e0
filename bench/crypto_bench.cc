// crypto_bench: the per-call cost of the hashing and encryption every API
// request and every journal entry pays, against the library call it would
// otherwise be, in the same run.
//
//   crypto_bench [--iterations N] [--rounds R]
//
// Prints one JSON line per operation with the median over R rounds of the
// nanoseconds per call, for the baseline and for Custos, and their ratio:
//   sha256_48B         EVP_Digest(EVP_sha256()) vs custos::Sha256
//   hmac_sha256_48B    HMAC(EVP_sha256()) with a 32-byte key vs HmacSha256
//   seal_300B          EVP init with EVP_aes_256_gcm() and a fresh key per
//                      call vs AeadSeal (a journal payload's seal)
//   open_261B          libsodium crypto_aead_aes256gcm_decrypt vs
//                      VerifyGcmOpen, a fresh key per call (what `audit
//                      verify` does per entry); skipped without AES-NI
//   siphash_56B_x64    crypto_shorthash_siphashx24 64 times vs one
//   siphash_127B_x64   SipHashX24Many of 64 messages, as the verifier's
//                      batches (a row term; a record image of the
//                      benchmark's mean size)
// Every result is checked against its baseline's before timing.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "records/verify_gcm.h"
#include "records/verify_siphash.h"

namespace {

using Clock = std::chrono::steady_clock;

// Median nanoseconds per call of `fn(i)` over `rounds` rounds of `n` calls.
double NanosPerCall(int n, int rounds, const std::function<void(int)>& fn) {
  std::vector<double> per;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) fn(i);
    per.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / n);
  }
  std::sort(per.begin(), per.end());
  return per[per.size() / 2];
}

void Report(const char* op, const char* baseline, double base_ns, double custos_ns) {
  std::printf(
      "{\"op\":\"%s\",\"baseline\":\"%s\",\"baseline_ns\":%.0f,\"custos_ns\":%.0f,"
      "\"ratio\":%.2f}\n",
      op, baseline, base_ns, custos_ns, base_ns / custos_ns);
}

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "crypto_bench: %s\n", what);
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 200000, rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--iterations") {
      n = std::max(1, std::atoi(argv[i + 1]));
    } else if (a == "--rounds") {
      rounds = std::max(1, std::atoi(argv[i + 1]));
    } else {
      Fail("usage: crypto_bench [--iterations N] [--rounds R]");
    }
  }
  if (sodium_init() < 0) Fail("libsodium did not initialize");
  uint8_t data[512];
  for (size_t i = 0; i < sizeof(data); ++i) data[i] = static_cast<uint8_t>(i * 7 + 1);
  custos::Key256 key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i + 3);
  uint64_t sink = 0;  // keeps the results alive (baseline and Custos add the same)

  {  // SHA-256 of 48 bytes.
    custos::Hash256 want;
    unsigned int len = 0;
    EVP_Digest(data, 48, want.data(), &len, EVP_sha256(), nullptr);
    if (custos::Sha256(custos::ByteView(data, 48)) != want) Fail("Sha256 differs from EVP");
    const double base = NanosPerCall(n, rounds, [&](int i) {
      data[0] = static_cast<uint8_t>(i);
      custos::Hash256 h;
      unsigned int l = 0;
      EVP_Digest(data, 48, h.data(), &l, EVP_sha256(), nullptr);
      sink += h[0];
    });
    const double ours = NanosPerCall(n, rounds, [&](int i) {
      data[0] = static_cast<uint8_t>(i);
      sink += custos::Sha256(custos::ByteView(data, 48))[0];
    });
    Report("sha256_48B", "EVP_Digest(EVP_sha256())", base, ours);
  }
  {  // HMAC-SHA256, 32-byte key, 48 bytes.
    custos::Hash256 want;
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), 32, data, 48, want.data(), &len);
    if (custos::HmacSha256(key, custos::ByteView(data, 48)) != want) Fail("HMAC differs");
    const double base = NanosPerCall(n, rounds, [&](int i) {
      data[0] = static_cast<uint8_t>(i);
      custos::Hash256 h;
      unsigned int l = 0;
      HMAC(EVP_sha256(), key.data(), 32, data, 48, h.data(), &l);
      sink += h[0];
    });
    const double ours = NanosPerCall(n, rounds, [&](int i) {
      data[0] = static_cast<uint8_t>(i);
      sink += custos::HmacSha256(key, custos::ByteView(data, 48))[0];
    });
    Report("hmac_sha256_48B", "HMAC(EVP_sha256())", base, ours);
  }
  {  // AES-256-GCM seal of 300 bytes with 32 bytes of aad, a fresh key each call.
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    custos::Nonce96 nonce{};
    std::vector<uint8_t> out(300 + 16);
    auto evp_seal = [&](const custos::Key256& k) {
      int l = 0;
      EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, k.data(), nonce.data());
      EVP_EncryptUpdate(ctx, nullptr, &l, data + 300, 32);
      EVP_EncryptUpdate(ctx, out.data(), &l, data, 300);
      EVP_EncryptFinal_ex(ctx, out.data() + 300, &l);
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + 300);
    };
    custos::Bytes sealed;
    evp_seal(key);
    custos::AeadSeal(key, nonce, custos::ByteView(data + 300, 32), custos::ByteView(data, 300),
                     sealed);
    if (sealed != custos::Bytes(out.begin(), out.end())) Fail("AeadSeal differs from EVP");
    custos::Key256 k = key;
    const double base = NanosPerCall(n, rounds, [&](int i) {
      k[0] = static_cast<uint8_t>(i);
      evp_seal(k);
      sink += out[0];
    });
    const double ours = NanosPerCall(n, rounds, [&](int i) {
      k[0] = static_cast<uint8_t>(i);
      sealed.clear();
      custos::AeadSeal(k, nonce, custos::ByteView(data + 300, 32), custos::ByteView(data, 300),
                       sealed);
      sink += sealed[0];
    });
    EVP_CIPHER_CTX_free(ctx);
    Report("seal_300B", "EVP_EncryptInit_ex(EVP_aes_256_gcm())", base, ours);
  }
  if (custos::records::VerifyGcmAvailable() && crypto_aead_aes256gcm_is_available()) {
    // Open 261 bytes (aad 32), a fresh key each call.
    const uint8_t nonce[12] = {9};
    std::vector<uint8_t> ct(261 + 16), plain(261);
    unsigned long long clen = 0;
    crypto_aead_aes256gcm_encrypt(ct.data(), &clen, data, 261, data + 300, 32, nullptr, nonce,
                                  key.data());
    if (!custos::records::VerifyGcmOpen(key.data(), nonce, custos::ByteView(data + 300, 32),
                                        ct.data(), 261, ct.data() + 261, plain.data()) ||
        std::memcmp(plain.data(), data, 261) != 0) {
      Fail("VerifyGcmOpen does not open what libsodium sealed");
    }
    // Each call derives nothing: the key is the same, but both
    // implementations set up the key schedule and hash key on every call,
    // as with one key per entry.
    const double base = NanosPerCall(n, rounds, [&](int) {
      unsigned long long l = 0;
      sink += static_cast<uint8_t>(crypto_aead_aes256gcm_decrypt(
          plain.data(), &l, nullptr, ct.data(), clen, data + 300, 32, nonce, key.data()));
    });
    const double ours = NanosPerCall(n, rounds, [&](int) {
      sink += static_cast<uint8_t>(
          custos::records::VerifyGcmOpen(key.data(), nonce, custos::ByteView(data + 300, 32),
                                         ct.data(), 261, ct.data() + 261, plain.data()));
    });
    Report("open_261B", "libsodium crypto_aead_aes256gcm_decrypt", base, ours);
  }
  for (size_t len : {56, 127}) {  // SipHash-2-4-128 of 64 messages under one key
    constexpr size_t kCount = 64;
    std::vector<uint8_t> text(kCount * len);
    for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<uint8_t>(i * 13 + 5);
    custos::records::SipInput in[kCount];
    for (size_t m = 0; m < kCount; ++m) in[m] = {text.data() + m * len, len};
    custos::records::SipDigest want[kCount], got[kCount];
    const uint8_t* k = key.data();
    for (size_t m = 0; m < kCount; ++m) {
      crypto_shorthash_siphashx24(want[m].data(), in[m].data, len, k);
    }
    custos::records::SipHashX24Many(k, in, kCount, got);
    if (!std::equal(want, want + kCount, got)) Fail("SipHashX24Many differs from libsodium");
    const double base = NanosPerCall(n / 8, rounds, [&](int i) {
      text[0] = static_cast<uint8_t>(i);
      for (size_t m = 0; m < kCount; ++m) {
        crypto_shorthash_siphashx24(want[m].data(), in[m].data, len, k);
      }
      sink += want[kCount - 1][0];
    });
    const double ours = NanosPerCall(n / 8, rounds, [&](int i) {
      text[0] = static_cast<uint8_t>(i);
      custos::records::SipHashX24Many(k, in, kCount, got);
      sink += got[kCount - 1][0];
    });
    Report(len == 56 ? "siphash_56B_x64" : "siphash_127B_x64", "crypto_shorthash_siphashx24 x64",
           base, ours);
  }
  std::fprintf(stderr, "(checksum %llu)\n", static_cast<unsigned long long>(sink));
  return 0;
}
