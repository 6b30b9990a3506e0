// Journal entries: a leaf (public, no personal data; leaf.h) plus a payload
// encrypted under the data subject's key (crypto-shredding).
//
// Payload (docs/audit-log.md "Payload"): the UTF-8 JSON object
//   {"v":1,"actor":<actor id>,"before":<text|null>,"after":<text|null>,
//    "salt":<base64 of 32 bytes>,"reason":<text|null>}
// where before/after are the record's canonical JSON text before and after
// the event, byte for byte as stored (null when there is none: before a
// create, after a delete or erase, for access/export events).
// Commitment: SHA-256(salt || after bytes), with after = "" when null.
// Sealed form: 0x01 || nonce[12] || AES-256-GCM ciphertext || tag[16], under
// key DeriveKey(subject key, "custos/records/journal-payload/v1", seq as 8
// bytes big-endian), with the entry's leaf hash as associated data: a payload
// cannot be moved to another entry, or swapped between entries.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/aead.h"
#include "records/leaf.h"

namespace custos::records {

inline constexpr size_t kCommitmentSaltSize = 32;

struct Payload {
  std::string actor;  // the actor id as given by the caller (a token id)
  std::optional<std::string> before;
  std::optional<std::string> after;
  Bytes salt;  // kCommitmentSaltSize bytes
  std::optional<std::string> reason;

  bool operator==(const Payload&) const = default;
};

// SHA-256(salt || after), after = empty for a deleted or absent state.
Hash256 Commitment(ByteView salt, std::string_view after);
inline Hash256 PayloadCommitment(const Payload& p) {
  return Commitment(p.salt, p.after ? std::string_view(*p.after) : std::string_view());
}

std::string EncodePayloadJson(const Payload& p);
// Corruption naming the field when the JSON does not have the shape above.
Result<Payload> DecodePayloadJson(std::string_view json);

Bytes SealPayload(const Key256& subject_key, uint64_t seq, const Hash256& leaf_hash,
                  const Payload& p);
// The same for a payload already encoded with EncodePayloadJson.
Bytes SealPayloadJson(const Key256& subject_key, uint64_t seq, const Hash256& leaf_hash,
                      std::string_view payload_json);
// Corruption when the sealed bytes are malformed or do not authenticate
// (wrong key, wrong entry, tampered).
Result<Payload> OpenPayload(const Key256& subject_key, uint64_t seq, const Hash256& leaf_hash,
                            ByteView sealed);

// What the commit listener receives: enough to append to the Merkle log.
struct CommittedEntry {
  uint64_t seq = 0;
  Bytes leaf;
  Hash256 leaf_hash{};  // LeafHash(leaf)
};

// A stored journal entry, as ReadJournal/History return it.
struct JournalEntry {
  uint64_t seq = 0;
  Bytes leaf;
  Hash256 leaf_hash{};
  Bytes payload;           // sealed
  std::string subject_id;  // internal: which key opens the payload
  std::string entity;
  std::string record_id;
  uint64_t time_micros = 0;
};

}  // namespace custos::records
