// Journal leaves: the public, personal-data-free half of a journal entry.
//
// A leaf is a canonical binary encoding (format version 1, documented byte
// by byte in docs/audit-log.md) of: sequence number, system time, event
// type, entity, record id and version, actor role and pseudonym, subject
// pseudonym, a salted commitment to the record's after-image, and a link to
// the previous leaf of the same record. The leaves are the entries of the
// RFC 6962 Merkle log; LeafHash() is the tree's leaf hash.
//
// Contract
// - EncodeLeaf(DecodeLeaf(b)) == b for every b that DecodeLeaf accepts, and
//   DecodeLeaf(EncodeLeaf(l)) == l for every l that ValidateLeaf accepts: one
//   leaf has exactly one encoding.
// - DecodeLeaf is strict and safe on hostile input: it never reads past the
//   buffer, rejects trailing bytes, unknown versions and event types, text
//   outside the allowed alphabets, and inconsistent links, each with a
//   Corruption status naming the field.
// - All functions are pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace custos::records {

inline constexpr uint8_t kLeafFormatVersion = 1;
inline constexpr size_t kPseudonymSize = 16;
using Pseudonym = std::array<uint8_t, kPseudonymSize>;

// Event types. The numeric values are part of the leaf format and never
// change; new events get new numbers.
enum class EventType : uint8_t {
  kCreate = 1,       // a record was created through the API
  kUpdate = 2,       // a record was changed (patch or replace)
  kDelete = 3,       // a record was deleted
  kAccess = 4,       // personal data was read (FERPA 34 CFR 99.32, GDPR Art. 30)
  kImport = 5,       // a record was created by a bulk import
  kErase = 6,        // erasure: a record removed, or the subject's key destroyed
  kExport = 7,       // data left the system (data request, bundle, export)
  kRestoreTest = 8,  // a restore drill ran
};

// "create", "update", "delete", "access", "import", "erase", "export",
// "restore-test".
std::string_view EventTypeName(EventType type);
std::optional<EventType> ParseEventType(std::string_view name);
std::optional<EventType> EventTypeFromByte(uint8_t value);

struct Leaf {
  uint64_t seq = 0;          // journal position, >= 1
  uint64_t time_micros = 0;  // system time of the commit, unix microseconds UTC
  EventType event = EventType::kCreate;
  std::string entity;           // [a-z][a-z0-9_-]{0,31}: "trainee", "subject", ...
  std::string record_id;        // [A-Za-z0-9_-]{0,64}; random, never personal data
  uint64_t record_version = 0;  // the record's version after the event (0: none)
  std::string actor_role;       // [a-z][a-z0-9_-]{0,31}: "registrar", "system", ...
  Pseudonym actor{};            // HMAC of the actor id under the pseudonym key
  Pseudonym subject{};          // HMAC of the subject id under the pseudonym key
  Hash256 commitment{};         // SHA-256(salt || after-image bytes)
  uint64_t prev_seq = 0;        // seq of this record's previous entry, 0 if none
  Hash256 prev_leaf_hash{};     // that entry's leaf hash, zeros if none

  bool operator==(const Leaf&) const = default;
};

// OK when the leaf can be encoded (alphabets, lengths, link consistency);
// InvalidArgument naming the field otherwise.
Status ValidateLeaf(const Leaf& leaf);
// The canonical encoding. Requires ValidateLeaf(leaf).ok().
Bytes EncodeLeaf(const Leaf& leaf);
Result<Leaf> DecodeLeaf(ByteView bytes);

// RFC 6962 leaf hash: SHA-256(0x00 || leaf bytes).
Hash256 LeafHash(ByteView leaf_bytes);

// The decoded fields as JSON for the API and the audit browser: hashes and
// pseudonyms as lowercase hex, time both as RFC 3339 text and microseconds.
nlohmann::json LeafToJson(const Leaf& leaf);

// "2026-01-02T03:04:05.678901Z".
std::string FormatTimeMicros(uint64_t micros);

}  // namespace custos::records
