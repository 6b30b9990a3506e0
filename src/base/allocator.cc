#include "base/allocator.h"

#ifdef CUSTOS_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace custos {

#ifdef CUSTOS_WITH_JEMALLOC
std::string AllocatorName() {
  const char* version = nullptr;
  size_t len = sizeof(version);
  if (mallctl("version", &version, &len, nullptr, 0) != 0 || version == nullptr) {
    return "jemalloc";
  }
  return std::string("jemalloc ") + version;
}

std::optional<uint64_t> ThreadAllocatedBytes() {
  uint64_t bytes = 0;
  size_t len = sizeof(bytes);
  if (mallctl("thread.allocated", &bytes, &len, nullptr, 0) != 0) return std::nullopt;
  return bytes;
}
#else
std::string AllocatorName() { return "system"; }
std::optional<uint64_t> ThreadAllocatedBytes() { return std::nullopt; }
#endif

}  // namespace custos
