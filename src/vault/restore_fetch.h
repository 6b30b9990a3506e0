// FetchBlobs: reads the blobs a restore needs, the way object stores like to
// be read. Each pack is read once, front to back, in ranges that coalesce
// neighbouring blobs (a gap of up to max_gap unneeded bytes is read and
// dropped rather than paying for another request); `workers` ranges are in
// flight at once, each on its own thread. A range is processed while it
// streams in, one blob at a time: as soon as a blob's last byte has arrived
// it is decrypted (in place), decompressed, and checked against its id, and
// only then handed to the consumer. A blob wanted several times is opened
// once.
//
// Contract
// - Every want ends in exactly one call: Deliver (verified plaintext) or
//   Failed (an error naming the pack and blob), unless Wanted said no.
//   Calls come from the worker threads, concurrently; the consumer locks
//   what it shares.
// - A read the retry decorator restarts is resumed: blobs already delivered
//   are not delivered again.
// - Memory: per worker, one buffer for the largest sealed blob it has read
//   and one for the largest compressed blob's plaintext; ranges only bound
//   what one request asks for.
// - The vault's index must be loaded and must not change meanwhile.
#pragma once

#include <cstdint>
#include <vector>

#include "vault/vault.h"

namespace custos {

struct BlobWant {
  uint32_t pack = 0;  // position in vault.index()
  BlobEntry entry;
  uint64_t cookie = 0;  // the consumer's, handed back with the blob
};

class BlobConsumer {
 public:
  virtual ~BlobConsumer() = default;
  // False when the blob is no longer needed (its file failed already).
  virtual bool Wanted(uint64_t cookie) = 0;
  // The blob's plaintext, authenticated and checked against its id; valid
  // only during the call.
  virtual void Deliver(uint64_t cookie, ByteView plaintext) = 0;
  virtual void Failed(uint64_t cookie, const Status& st) = 0;
};

struct FetchOptions {
  int workers = 4;                // ranges in flight
  uint64_t max_range = 8u << 20;  // bytes per request (a larger blob is read alone)
  uint64_t max_gap = 256u << 10;  // unneeded bytes read to join two blobs into one request
};

void FetchBlobs(Vault& vault, std::vector<BlobWant> wants, const FetchOptions& options,
                BlobConsumer& consumer);

}  // namespace custos
