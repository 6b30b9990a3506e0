// load_gen: a closed-loop HTTP load generator for `custos serve`.
//
// --clients keep-alive HTTP/1.1 connections each send POST <path> with a
// JSON body, wait for the answer, and repeat for --seconds. One thread drives
// every connection through epoll, so the generator costs little CPU and few
// context switches on the same machine as the server. It prints one JSON
// line: requests, errors, writes/s and latency percentiles (microseconds).
//
//   load_gen --port 8080 --token cst_... --clients 64 --seconds 10
//            --path /api/v1/attendance --body-file body.json
// The body may contain "{n}", replaced by a per-request counter. A body file
// of several lines holds one body per line, sent in turn.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string token;
  std::string path = "/api/v1/attendance";
  std::vector<std::string> bodies{"{}"};
  int clients = 1;
  double seconds = 5;
  int expect = 201;
};

int Connect(const Options& o) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(o.port));
  ::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Parses one complete response at the front of `buf`: returns its status and
// removes it, 0 when more bytes are needed, -1 when it is malformed.
int TakeResponse(std::string& buf) {
  const size_t header_end = buf.find("\r\n\r\n");
  if (header_end == std::string::npos) return buf.size() > (1 << 20) ? -1 : 0;
  if (buf.size() < 12 || buf.compare(0, 5, "HTTP/") != 0) return -1;
  const int status = std::atoi(buf.c_str() + 9);
  std::string head = buf.substr(0, header_end);
  std::transform(head.begin(), head.end(), head.begin(), ::tolower);
  size_t len = 0;
  const size_t cl = head.find("content-length:");
  if (cl != std::string::npos) len = std::strtoul(head.c_str() + cl + 15, nullptr, 10);
  const size_t total = header_end + 4 + len;
  if (buf.size() < total) return 0;
  buf.erase(0, total);
  return status;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--host")
      o.host = v;
    else if (k == "--port")
      o.port = std::atoi(v.c_str());
    else if (k == "--token")
      o.token = v;
    else if (k == "--path")
      o.path = v;
    else if (k == "--clients")
      o.clients = std::atoi(v.c_str());
    else if (k == "--seconds")
      o.seconds = std::atof(v.c_str());
    else if (k == "--expect")
      o.expect = std::atoi(v.c_str());
    else if (k == "--body-file") {
      std::ifstream in(v);
      if (!in) {
        std::fprintf(stderr, "load_gen: cannot read %s\n", v.c_str());
        return 2;
      }
      o.bodies.clear();
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) o.bodies.push_back(line);
      }
      if (o.bodies.empty()) o.bodies.push_back("{}");
    } else {
      std::fprintf(stderr, "load_gen: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (o.clients < 1) o.clients = 1;
  using Clock = std::chrono::steady_clock;
  struct Conn {
    int fd = -1;
    std::string in;
    Clock::time_point sent;
  };
  uint64_t counter = 0, errors = 0;
  std::vector<uint32_t> all;
  all.reserve(1 << 20);
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> conns(static_cast<size_t>(o.clients));

  auto request = [&]() {
    const std::string& pattern = o.bodies[counter % o.bodies.size()];
    std::string body = Replace(pattern, "{n}", std::to_string(counter++));
    return "POST " + o.path + " HTTP/1.1\r\nHost: " + o.host + "\r\nAuthorization: Bearer " +
           o.token +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  // Sends the next request on connection i (reconnecting first if needed).
  auto send_next = [&](size_t i) -> bool {
    Conn& c = conns[i];
    if (c.fd < 0) {
      c.fd = Connect(o);
      if (c.fd < 0) return false;
      c.in.clear();
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
    c.sent = Clock::now();
    return SendAll(c.fd, request());
  };
  auto reset = [&](size_t i) {
    Conn& c = conns[i];
    if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
  };

  // Connect every client before the clock starts: connects beyond the
  // server's listen backlog wait for a SYN retransmission (1 s and more),
  // which is not what this measures.
  for (size_t i = 0; i < conns.size(); ++i) {
    Conn& c = conns[i];
    c.fd = Connect(o);
    if (c.fd < 0) {
      std::fprintf(stderr, "load_gen: cannot connect to %s:%d\n", o.host.c_str(), o.port);
      return 1;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(o.seconds);
  size_t in_flight = 0;
  for (size_t i = 0; i < conns.size(); ++i) {
    if (send_next(i)) {
      ++in_flight;
    } else {
      ++errors;
      reset(i);
    }
  }
  std::vector<epoll_event> events(conns.size());
  char tmp[16384];
  while (in_flight > 0) {
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
    const auto now = Clock::now();
    for (int e = 0; e < n; ++e) {
      const size_t i = events[static_cast<size_t>(e)].data.u64;
      Conn& c = conns[i];
      if (c.fd < 0) continue;
      const ssize_t got = ::recv(c.fd, tmp, sizeof tmp, MSG_DONTWAIT);
      int status = 0;
      if (got > 0) {
        c.in.append(tmp, static_cast<size_t>(got));
        status = TakeResponse(c.in);
      } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        status = -1;
      }
      if (status == 0) continue;  // the answer is not complete yet
      if (status == o.expect) {
        all.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - c.sent).count()));
      } else {
        ++errors;
        if (status < 0) reset(i);
      }
      if (now >= deadline) {
        --in_flight;
        reset(i);
        continue;
      }
      if (!send_next(i)) {
        ++errors;
        reset(i);
        --in_flight;
      }
    }
    if (n == 0 && Clock::now() > deadline + std::chrono::seconds(30)) break;  // hung server
  }
  for (size_t i = 0; i < conns.size(); ++i) reset(i);
  ::close(ep);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) -> uint32_t {
    if (all.empty()) return 0;
    return all[std::min(all.size() - 1, static_cast<size_t>(p * static_cast<double>(all.size())))];
  };
  std::printf(
      "{\"clients\":%d,\"seconds\":%.2f,\"ok\":%zu,\"errors\":%llu,\"writes_per_s\":%.1f,"
      "\"p50_us\":%u,\"p99_us\":%u,\"max_us\":%u}\n",
      o.clients, elapsed, all.size(), static_cast<unsigned long long>(errors),
      static_cast<double>(all.size()) / elapsed, pct(0.5), pct(0.99), all.empty() ? 0 : all.back());
  return all.empty() ? 1 : 0;
}
