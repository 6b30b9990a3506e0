// ParsePayloadImages: the parts of a decrypted journal payload (journal.h
// "Payload") that the verifier checks, without building a Payload.
//
// Contract: for every input, the result equals DecodePayloadJson's: the same
// before/after text and salt when it succeeds, the same Corruption when it
// fails. The canonical form that EncodePayloadJson writes (keys in order, no
// white space, no \u escapes) is read in one pass; anything else goes through
// DecodePayloadJson itself.
//
// Thread-safety: pure; callers supply the storage.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "base/result.h"
#include "records/journal.h"

namespace custos::records {

struct PayloadImages {
  bool has_before = false;
  bool has_after = false;
  std::string_view before;  // unescaped; empty when absent
  std::string_view after;
  std::array<uint8_t, kCommitmentSaltSize> salt{};
};

// Parses `json` into `out`, whose views point into `storage` (overwritten,
// and grown when too short; it is not shrunk, so bytes past the views may
// remain from earlier calls) and stay valid until `storage` is next changed.
Status ParsePayloadImages(std::string_view json, std::string& storage, PayloadImages& out);

}  // namespace custos::records
