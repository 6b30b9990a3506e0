// Which malloc the program runs on. Release builds link jemalloc
// (CUSTOS_JEMALLOC, on by default): the server's event thread allocates a
// request's objects and the writer thread frees many of them, a pattern
// glibc's arenas handle at several times jemalloc's cost. Sanitizer builds
// keep the system allocator, which the sanitizers replace.
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
