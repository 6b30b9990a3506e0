#include "base/allocator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

namespace custos {
namespace {

// Called through a volatile pointer so that the compiler cannot drop the
// allocation.
void* (*volatile g_malloc)(size_t) = std::malloc;

#ifdef CUSTOS_WITH_JEMALLOC
TEST(AllocatorTest, MallocGoesThroughJemalloc) {
  EXPECT_EQ(AllocatorName().rfind("jemalloc 5.", 0), 0u) << AllocatorName();
  const std::optional<uint64_t> before = ThreadAllocatedBytes();
  ASSERT_TRUE(before.has_value());
  void* p = g_malloc(size_t{1} << 20);
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, 16);
  const std::optional<uint64_t> after = ThreadAllocatedBytes();
  std::free(p);
  ASSERT_TRUE(after.has_value());
  EXPECT_GE(*after - *before, uint64_t{1} << 20);
}
#else
TEST(AllocatorTest, SystemAllocatorIsNamed) {
  EXPECT_EQ(AllocatorName(), "system");
  EXPECT_FALSE(ThreadAllocatedBytes().has_value());
  void* p = g_malloc(64);
  EXPECT_NE(p, nullptr);
  std::free(p);
}
#endif

}  // namespace
}  // namespace custos
