// Verifier crypto: the hashes and the payload decryption of journal entries
// (leaf.h, journal.h) computed without per-call allocation, for checking
// millions of entries. Each function gives exactly the result of its
// counterpart: VerifyLeafHash == LeafHash, VerifyCommitment == Commitment,
// EntryKeys::Derive == the key OpenPayload derives, and PayloadCipher opens
// what SealPayload sealed.
//
// Thread-safety: the free functions and a const EntryKeys are safe from any
// thread; a PayloadCipher belongs to one thread at a time.
// Lifetime: EntryKeys and PayloadCipher wipe their key material when
// destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "crypto/aead.h"

namespace custos::records {

// SHA-256(data).
Hash256 VerifySha256(std::string_view data);
// SHA-256(0x00 || leaf bytes), as LeafHash.
Hash256 VerifyLeafHash(ByteView leaf);
// SHA-256(salt || after), as Commitment.
Hash256 VerifyCommitment(ByteView salt, std::string_view after);

// The per-entry payload keys of one subject: HMAC-SHA256(subject key,
// "custos/records/journal-payload/v1" || 0x00 || seq as 8 bytes big-endian),
// with the HMAC's inner and outer states computed once.
class EntryKeys {
 public:
  explicit EntryKeys(const Key256& subject_key);
  ~EntryKeys();
  EntryKeys(const EntryKeys&) = delete;
  EntryKeys& operator=(const EntryKeys&) = delete;

  Key256 Derive(uint64_t seq) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// AES-256-GCM opening of sealed payloads (0x01 || nonce[12] || ciphertext ||
// tag[16]): libsodium's AES-NI code where the CPU has it, else one OpenSSL
// cipher context reused for every call.
class PayloadCipher {
 public:
  // `allow_sodium` false always uses OpenSSL (for tests of both paths).
  explicit PayloadCipher(bool allow_sodium = true);
  ~PayloadCipher();
  PayloadCipher(const PayloadCipher&) = delete;
  PayloadCipher& operator=(const PayloadCipher&) = delete;

  // Decrypts the payload of entry `seq` (associated data: its leaf hash) into
  // `plain` (resized to the plaintext). Corruption "payload: malformed sealed
  // payload" or "payload: authentication failed", as OpenPayload.
  Status Open(const EntryKeys& keys, uint64_t seq, const Hash256& leaf_hash, ByteView sealed,
              Bytes& plain);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace custos::records
