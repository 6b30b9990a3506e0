// Status: the error value that crosses every module seam in Custos.
//
// A Status is either OK (cheap, no allocation) or carries a Code and a message.
// Messages name the object or field at fault but never contain secrets or
// personal data. Exceptions thrown by third-party libraries are caught at the
// seam that calls them and turned into a Status; they never propagate.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace custos {

enum class Code {
  kOk = 0,
  kNotFound,         // the object, vault, snapshot or file does not exist
  kAlreadyExists,    // creating something that is already there
  kInvalidArgument,  // the caller's input is malformed
  kCorruption,       // stored data failed an integrity check
  kIOError,          // an operating-system or transport error
  kPermissionDenied,
  kWrongPassword,  // no key of the vault opens with the given secret
  kLocked,         // another process holds a conflicting lock
  kRetryable,      // a transient failure; the same call may succeed later
  kNoSpace,        // the device or quota is full
  kUnsupported,
  kCancelled,
  kInternal,
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message);

  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) {
    return {Code::kPermissionDenied, std::move(msg)};
  }
  static Status WrongPassword(std::string msg) { return {Code::kWrongPassword, std::move(msg)}; }
  static Status Locked(std::string msg) { return {Code::kLocked, std::move(msg)}; }
  static Status Retryable(std::string msg,
                          std::optional<std::chrono::milliseconds> retry_after = std::nullopt);
  static Status NoSpace(std::string msg) { return {Code::kNoSpace, std::move(msg)}; }
  static Status Unsupported(std::string msg) { return {Code::kUnsupported, std::move(msg)}; }
  static Status Cancelled(std::string msg) { return {Code::kCancelled, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  // An errno-based error: maps ENOENT, EACCES, ENOSPC... to codes.
  static Status FromErrno(int err, std::string_view context);

  bool ok() const { return rep_ == nullptr; }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  const std::string& message() const;
  std::optional<std::chrono::milliseconds> retry_after() const {
    return rep_ ? rep_->retry_after : std::nullopt;
  }
  bool IsNotFound() const { return code() == Code::kNotFound; }
  bool IsCorruption() const { return code() == Code::kCorruption; }
  bool IsRetryable() const { return code() == Code::kRetryable; }

  // "Corruption: pack data/ab/abcd...: authentication failed"
  std::string ToString() const;
  // A new status with the same code and "context: message".
  Status WithContext(std::string_view context) const;

 private:
  struct Rep {
    Code code;
    std::string message;
    std::optional<std::chrono::milliseconds> retry_after;
  };
  std::shared_ptr<const Rep> rep_;
};

#define CUSTOS_CONCAT_INNER(a, b) a##b
#define CUSTOS_CONCAT(a, b) CUSTOS_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` yields a non-OK Status.
#define RETURN_IF_ERROR(expr)       \
  do {                              \
    ::custos::Status _st_ = (expr); \
    if (!_st_.ok()) return _st_;    \
  } while (0)

}  // namespace custos
