// Which malloc the program runs on. Release builds link jemalloc
// (CUSTOS_JEMALLOC, on by default): the server's event thread allocates a
// request's objects and the writer and notifier threads free many of them,
// and under glibc's malloc that traffic was ~11 % of the server's CPU
// samples (README, "Records API": the profile and the A/B runs). Sanitizer
// builds keep the system allocator, which the sanitizers replace.
//
// Thread-safety: both calls are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace custos {

// "jemalloc VERSION" or "system".
std::string AllocatorName();
// Bytes the calling thread has allocated so far through jemalloc, or nullopt
// on the system allocator (which does not count them).
std::optional<uint64_t> ThreadAllocatedBytes();

}  // namespace custos
