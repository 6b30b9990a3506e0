// Backend: where a vault's objects live (a directory, a bucket, a cloud drive).
//
// Contract
// - A Backend stores named, immutable byte objects. Names are relative paths
//   made of [A-Za-z0-9._-] segments separated by '/', e.g. "config",
//   "keys/<hex>", "data/ab/<hex>". Names never contain secrets or personal data.
// - Every method is safe to call concurrently from many threads without
//   external synchronisation.
// - Errors are values. Each method returns:
//     NotFound          the object does not exist (Load, Stat, Remove);
//     Retryable         a transient failure: the same call may succeed later;
//                       retry_after() carries the server's hint when it gave one;
//     Corruption        the data written or read does not match its length/hash;
//     NoSpace           the device or quota is full;
//     anything else     permanent: retrying the same call will not help.
//   Backends classify their own errors; they never retry internally (the
//   retry decorator does that, once, for every backend).
// - Save is safe to retry: it reads the source from its start (after Rewind)
//   and, if it fails, leaves no object (or a partial object that a later Save
//   of the same name replaces) unless properties().atomic_replace is false,
//   in which case the caller removes partial uploads.
// - Load hands the consumer a Reader over the requested range. The consumer
//   may be called more than once (a retry calls it again from the start of the
//   range), so it must be idempotent.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace custos {

// Capabilities are data: consumers read them, never probe with dynamic_cast.
struct BackendProperties {
  bool atomic_replace = false;    // Save over an existing name is all-or-nothing
  bool object_lock = false;       // objects can be made immutable until a date
  bool versioning = false;        // old versions are kept by the store
  bool server_checksums = false;  // the store verifies an uploaded hash
  bool id_addressed = false;      // the store addresses objects by id, not path
  uint64_t max_object_size = 0;   // 0 = no limit
  int connections = 4;            // useful parallel requests
};

struct ObjectInfo {
  std::string name;
  uint64_t size = 0;
};

// A source of bytes for Save that can be read again from the start.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t Length() const = 0;
  // SHA-256 of the whole content when the producer knows it (lets the backend
  // or the server verify the upload).
  virtual std::optional<Hash256> Sha256() const { return std::nullopt; }
  // Reads up to n bytes; returns 0 at the end.
  virtual Result<size_t> Read(uint8_t* buf, size_t n) = 0;
  // Starts again from the first byte.
  virtual Status Rewind() = 0;
  // The whole content when it sits in memory (lets a backend write it without
  // copying); nullopt otherwise.
  virtual std::optional<ByteView> Contiguous() const { return std::nullopt; }
};

// A ByteSource over a buffer the caller keeps alive while the source is used.
class BufferSource : public ByteSource {
 public:
  explicit BufferSource(ByteView data, std::optional<Hash256> sha256 = std::nullopt)
      : data_(data), sha256_(sha256) {}
  uint64_t Length() const override { return data_.size(); }
  std::optional<Hash256> Sha256() const override { return sha256_; }
  std::optional<ByteView> Contiguous() const override { return data_; }
  Result<size_t> Read(uint8_t* buf, size_t n) override;
  Status Rewind() override {
    pos_ = 0;
    return Status::OK();
  }

 private:
  ByteView data_;
  std::optional<Hash256> sha256_;
  size_t pos_ = 0;
};

// A stream of bytes handed to a Load consumer.
class Reader {
 public:
  virtual ~Reader() = default;
  // Reads up to n bytes; returns 0 at the end of the range.
  virtual Result<size_t> Read(uint8_t* buf, size_t n) = 0;
};

// Reads everything a Reader has left into `out`.
Status ReadAll(Reader& r, Bytes& out);

using LoadConsumer = std::function<Status(Reader&)>;

class Backend {
 public:
  virtual ~Backend() = default;

  // A human-readable location with every secret removed ("/srv/vault",
  // "s3://bucket/prefix").
  virtual std::string Location() const = 0;
  virtual const BackendProperties& Properties() const = 0;

  // Prepares the location so objects can be saved (creates the directory or
  // bucket). OK if it already exists.
  virtual Status Create() = 0;

  // Stores src under name, replacing an existing object of the same name.
  // Returns Corruption when src yields a different number of bytes than
  // src.Length(), or, when Properties().server_checksums is set, a content
  // that does not match src.Sha256() (the store checks it on its side); no
  // object of that name is then visible (or a partial one if !atomic_replace).
  virtual Status Save(const std::string& name, ByteSource& src) = 0;

  // Calls consumer with a Reader over [offset, offset+length) of the object;
  // length 0 means "to the end". NotFound when the object does not exist.
  // A range past the end yields only the bytes that exist.
  virtual Status Load(const std::string& name, uint64_t offset, uint64_t length,
                      const LoadConsumer& consumer) = 0;

  // Size of the object, or NotFound.
  virtual Result<ObjectInfo> Stat(const std::string& name) = 0;

  // Calls fn for every object whose name starts with prefix, in no particular
  // order. Stops and returns fn's error if fn fails. A missing prefix lists
  // nothing and is not an error.
  virtual Status List(const std::string& prefix,
                      const std::function<Status(const ObjectInfo&)>& fn) = 0;

  // Removes the object. NotFound when it does not exist.
  virtual Status Remove(const std::string& name) = 0;

  // Removes what interrupted Saves left behind (temporary files, incomplete
  // multipart uploads) that is older than min_age, and returns how many. Call
  // it only while no other writer can be active (under an exclusive vault
  // lock). Stores that leave nothing behind keep the default.
  virtual Result<uint64_t> RemoveIncomplete(std::chrono::seconds min_age) {
    (void)min_age;
    return uint64_t{0};
  }
};

// Convenience: loads a whole range into memory.
Result<Bytes> LoadBytes(Backend& b, const std::string& name, uint64_t offset = 0,
                        uint64_t length = 0);
Status SaveBytes(Backend& b, const std::string& name, ByteView data);
// Like LoadBytes, into the start of `buf`, which only ever grows (hot paths
// keep one buffer and pay neither allocation nor zeroing); returns the number
// of bytes read.
Result<size_t> LoadIntoBuffer(Backend& b, const std::string& name, uint64_t offset,
                              uint64_t length, Bytes& buf);

// Base for decorators: forwards every call to the wrapped backend. A decorator
// derives from it and overrides only what it changes.
class BackendWrapper : public Backend {
 public:
  explicit BackendWrapper(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}
  std::string Location() const override { return inner_->Location(); }
  const BackendProperties& Properties() const override { return inner_->Properties(); }
  Status Create() override { return inner_->Create(); }
  Status Save(const std::string& name, ByteSource& src) override { return inner_->Save(name, src); }
  Status Load(const std::string& name, uint64_t offset, uint64_t length,
              const LoadConsumer& consumer) override {
    return inner_->Load(name, offset, length, consumer);
  }
  Result<ObjectInfo> Stat(const std::string& name) override { return inner_->Stat(name); }
  Status List(const std::string& prefix,
              const std::function<Status(const ObjectInfo&)>& fn) override {
    return inner_->List(prefix, fn);
  }
  Status Remove(const std::string& name) override { return inner_->Remove(name); }
  Result<uint64_t> RemoveIncomplete(std::chrono::seconds min_age) override {
    return inner_->RemoveIncomplete(min_age);
  }

 protected:
  Backend& inner() { return *inner_; }

 private:
  std::unique_ptr<Backend> inner_;
};

// For providers' Save: rewinds src, then streams it to sink in chunks while
// computing its SHA-256. Returns Corruption (naming `name`) when src yields
// more or fewer bytes than src.Length() or a content that does not match
// src.Sha256() (checked only when verify_hash); otherwise the first error of
// src or sink, or OK. A contiguous source is passed to sink in one piece.
Status CopyVerified(ByteSource& src, const std::string& name,
                    const std::function<Status(ByteView)>& sink, bool verify_hash = true);

}  // namespace custos
