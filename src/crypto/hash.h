// SHA-256 and HMAC-SHA256 (OpenSSL; SHA-NI where the CPU has it).
#pragma once

#include <memory>

#include "base/bytes.h"

namespace custos {

Hash256 Sha256(ByteView data);

// Incremental SHA-256.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(ByteView data);
  Hash256 Finish();  // the stream may not be used afterwards

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Hash256 HmacSha256(ByteView key, ByteView data);

// An HMAC-SHA256 keyed once and used many times: a Compute costs the SHA-256
// compressions of its data and two more, without allocating. Thread-safe
// (each call works on its own copy of the keyed state); the keyed state is
// wiped when the Hmac is destroyed.
class Hmac {
 public:
  explicit Hmac(ByteView key);
  ~Hmac();
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;
  Hash256 Compute(ByteView data) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace custos
