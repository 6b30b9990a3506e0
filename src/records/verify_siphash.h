// SipHash-2-4 with a 128-bit output, as libsodium's
// crypto_shorthash_siphashx24, of many messages under one key: the
// verifier digests several million short texts (record keys, images, row
// terms) per million journal entries. On a CPU with AVX-512 the messages
// go through the rounds side by side, one per 64-bit lane, sixteen at a
// time in two groups of eight whose rounds interleave (each round waits on
// the one before); elsewhere they go through libsodium one by one.
//
// Contract: out[i] == crypto_shorthash_siphashx24(in[i], key) for every
// i < n, whatever the lengths (0 included) and however they differ within
// a batch. The inputs are only read.
//
// Thread-safety: pure (the key's words and the working state stay on the
// stack).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace custos::records {

struct SipInput {
  const uint8_t* data = nullptr;
  size_t size = 0;
};
using SipDigest = std::array<uint8_t, 16>;

void SipHashX24Many(const uint8_t key[16], const SipInput* in, size_t n, SipDigest* out);

// For tests: false makes SipHashX24Many take the path of CPUs without
// AVX-512. Returns whether the AVX-512 path is available.
bool UseSipHashVectorsForTesting(bool allow);

}  // namespace custos::records
