// Result<T>: a value or a non-OK Status (the StatusOr of leveldb/abseil).
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "base/status.h"

namespace custos {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

// ASSIGN_OR_RETURN(auto x, Compute());
#define ASSIGN_OR_RETURN(lhs, expr)                                                         \
  auto CUSTOS_CONCAT(_res_, __LINE__) = (expr);                                             \
  if (!CUSTOS_CONCAT(_res_, __LINE__).ok()) return CUSTOS_CONCAT(_res_, __LINE__).status(); \
  lhs = std::move(CUSTOS_CONCAT(_res_, __LINE__)).value()

}  // namespace custos
