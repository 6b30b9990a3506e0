// machine_probe: what this machine charges for the operations a durable,
// audited HTTP write cannot avoid, so the records benchmark can be read
// against them.
//
//   machine_probe [--dir DIR] [--iterations N]
//
// Prints one JSON line with medians in microseconds of
//   syscall_us      a trivial system call (getppid),
//   wake_round_trip_us  one thread waking another through a condition variable
//                   and being woken back (a round trip, two wake-ups),
//   fdatasync_us    appending 4 KiB to a file in DIR and fdatasync-ing it.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double Micros(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

double SyscallMicros(int n) {
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) (void)syscall(SYS_getppid);
    runs.push_back(Micros(t0, Clock::now()) / n);
  }
  return Median(runs);
}

double WakeMicros(int n) {
  std::mutex mu;
  std::condition_variable cv;
  int turn = 0;  // 0: main's turn, 1: the other thread's
  bool stop = false;
  std::thread other([&] {
    std::unique_lock lock(mu);
    while (true) {
      cv.wait(lock, [&] { return turn == 1 || stop; });
      if (stop) return;
      turn = 0;
      cv.notify_all();
    }
  });
  std::vector<double> samples;
  samples.reserve(n);
  {
    std::unique_lock lock(mu);
    for (int i = 0; i < n; ++i) {
      auto t0 = Clock::now();
      turn = 1;
      cv.notify_all();
      cv.wait(lock, [&] { return turn == 0; });
      samples.push_back(Micros(t0, Clock::now()));
    }
    stop = true;
  }
  cv.notify_all();
  other.join();
  return Median(samples);
}

double FdatasyncMicros(const std::string& dir, int n) {
  std::string path = dir + "/machine_probe." + std::to_string(getpid());
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror("machine_probe: open");
    std::exit(1);
  }
  std::vector<char> block(4096, 'x');
  std::vector<double> samples;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      std::perror("machine_probe: write/fdatasync");
      std::exit(1);
    }
    samples.push_back(Micros(t0, Clock::now()));
  }
  ::close(fd);
  ::unlink(path.c_str());
  return Median(samples);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp";
  int n = 20000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--iterations" && i + 1 < argc) {
      n = std::max(100, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: machine_probe [--dir DIR] [--iterations N]\n");
      return 2;
    }
  }
  const double sys = SyscallMicros(n * 10);
  const double wake = WakeMicros(n);
  const double sync = FdatasyncMicros(dir, std::max(100, n / 100));
  std::printf("{\"syscall_us\": %.3f, \"wake_round_trip_us\": %.2f, \"fdatasync_us\": %.1f}\n", sys,
              wake, sync);
  return 0;
}
