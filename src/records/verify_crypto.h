// Verifier crypto: the hashes and the payload decryption of journal entries
// (leaf.h, journal.h) computed without per-call allocation, for checking
// millions of entries. Each function gives exactly the result of its
// counterpart: VerifyLeafHash == LeafHash, VerifyCommitment == Commitment,
// DerivePayloadKey == the key OpenPayload derives, and PayloadCipher opens
// what SealPayload sealed.
//
// Thread-safety: the free functions are safe from any thread; a
// PayloadCipher belongs to one thread at a time. It keeps no key material
// between calls.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "records/verify_sha.h"

namespace custos::records {

// SHA-256(data).
Hash256 VerifySha256(std::string_view data);
// SHA-256(0x00 || leaf bytes), as LeafHash.
Hash256 VerifyLeafHash(ByteView leaf);
// SHA-256(salt || after), as Commitment.
Hash256 VerifyCommitment(ByteView salt, std::string_view after);

// The payload key of entry `seq`: HMAC-SHA256(subject key,
// "custos/records/journal-payload/v1" || 0x00 || seq as 8 bytes big-endian),
// with `subject_key` keyed with the subject's key.
Key256 DerivePayloadKey(const SubjectHmac& subject_key, uint64_t seq);
// The same for two entries at once (SubjectHmac::ComputeTwo).
void DerivePayloadKeys(const SubjectHmac& key_a, uint64_t seq_a, const SubjectHmac& key_b,
                       uint64_t seq_b, Key256& out_a, Key256& out_b);

// AES-256-GCM opening of sealed payloads (0x01 || nonce[12] || ciphertext ||
// tag[16]): verify_gcm.h where the CPU has AES-NI and PCLMULQDQ, else one
// OpenSSL cipher context reused for every call.
class PayloadCipher {
 public:
  // `allow_instructions` false always uses OpenSSL (for tests of both
  // paths).
  explicit PayloadCipher(bool allow_instructions = true);
  ~PayloadCipher();
  PayloadCipher(const PayloadCipher&) = delete;
  PayloadCipher& operator=(const PayloadCipher&) = delete;

  // Decrypts the payload of entry `seq` (associated data: its leaf hash) into
  // `plain` (resized to the plaintext). Corruption "payload: malformed sealed
  // payload" or "payload: authentication failed", as OpenPayload.
  Status Open(const SubjectHmac& subject_key, uint64_t seq, const Hash256& leaf_hash,
              ByteView sealed, Bytes& plain);

  // Open for two entries, their payload keys derived together: each result
  // is what Open would return for it.
  struct Entry {
    const SubjectHmac* subject_key;
    uint64_t seq;
    const Hash256* leaf_hash;
    ByteView sealed;
    Bytes* plain;
  };
  void OpenTwo(const Entry& a, const Entry& b, Status& status_a, Status& status_b);

 private:
  Status OpenWithKey(const Key256& key, const Hash256& leaf_hash, ByteView sealed, Bytes& plain);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace custos::records
