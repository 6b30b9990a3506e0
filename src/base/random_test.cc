#include "base/random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

namespace custos {
namespace {

TEST(Random, DrawsDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) ASSERT_TRUE(seen.insert(RandomHex(16)).second);
}

TEST(Random, SmallAndLargeDrawsAreFilled) {
  for (size_t n : {1, 31, 32, 33, 255, 256, 257, 1000, 5000}) {
    std::vector<uint8_t> a(n, 0), b(n, 0);
    RandomFill(a);
    RandomFill(b);
    if (n >= 16) {
      EXPECT_NE(a, b) << n;
      // Not all zero: the bytes were written.
      EXPECT_NE(std::count(a.begin(), a.end(), 0), static_cast<ptrdiff_t>(n)) << n;
    }
  }
}

TEST(Random, ByteValuesAreSpread) {
  // 1 MiB through the generator (crossing its reseed), every byte value
  // appears close to 1/256 of the time.
  std::vector<size_t> counts(256, 0);
  std::vector<uint8_t> buf(128);
  for (int i = 0; i < 8200; ++i) {
    RandomFill(buf);
    for (uint8_t c : buf) ++counts[c];
  }
  const double expected = 8200.0 * 128 / 256;
  for (size_t c : counts) {
    EXPECT_GT(c, expected * 0.9);
    EXPECT_LT(c, expected * 1.1);
  }
}

TEST(Random, ThreadsGetDifferentStreams) {
  std::string a, b;
  std::thread t1([&] { a = RandomHex(32); });
  std::thread t2([&] { b = RandomHex(32); });
  t1.join();
  t2.join();
  EXPECT_NE(a, b);
}

TEST(Random, ParentAndChildDivergeAfterFork) {
  (void)RandomHex(8);  // the generator is seeded before the fork
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string s = RandomHex(16);
    ssize_t w = write(fds[1], s.data(), s.size());
    _exit(w == static_cast<ssize_t>(s.size()) ? 0 : 1);
  }
  std::string mine = RandomHex(16);
  char buf[32];
  ASSERT_EQ(read(fds[0], buf, sizeof buf), 32);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  close(fds[1]);
  EXPECT_NE(mine, std::string(buf, 32));
}

}  // namespace
}  // namespace custos
