#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace custos {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return "not found";
    case Code::kAlreadyExists:
      return "already exists";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kCorruption:
      return "corruption";
    case Code::kIOError:
      return "I/O error";
    case Code::kPermissionDenied:
      return "permission denied";
    case Code::kWrongPassword:
      return "wrong password";
    case Code::kLocked:
      return "locked";
    case Code::kRetryable:
      return "temporary failure";
    case Code::kNoSpace:
      return "no space";
    case Code::kUnsupported:
      return "unsupported";
    case Code::kCancelled:
      return "cancelled";
    case Code::kInternal:
      return "internal error";
  }
  return "unknown";
}

Status::Status(Code code, std::string message) {
  if (code != Code::kOk) rep_ = std::make_shared<Rep>(Rep{code, std::move(message), {}});
}

Status Status::Retryable(std::string msg, std::optional<std::chrono::milliseconds> retry_after) {
  Status s(Code::kRetryable, std::move(msg));
  s.rep_ = std::make_shared<Rep>(Rep{Code::kRetryable, s.message(), retry_after});
  return s;
}

Status Status::FromErrno(int err, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return NotFound(std::move(msg));
    case EEXIST:
      return AlreadyExists(std::move(msg));
    case EACCES:
    case EPERM:
      return PermissionDenied(std::move(msg));
    case ENOSPC:
    case EDQUOT:
      return NoSpace(std::move(msg));
    case EINTR:
    case EAGAIN:
      return Retryable(std::move(msg));
    default:
      return IOError(std::move(msg));
  }
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return rep_->message;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  Status s(code(), std::string(context) + ": " + message());
  if (rep_->retry_after)
    s.rep_ = std::make_shared<Rep>(Rep{code(), s.message(), rep_->retry_after});
  return s;
}

}  // namespace custos
