// load_gen: a closed-loop HTTP load generator for `custos serve`.
//
// Each of --clients threads keeps one keep-alive HTTP/1.1 connection and
// sends POST <path> with a JSON body, waits for the answer, and repeats for
// --seconds. It prints one JSON line: requests, errors, writes/s and latency
// percentiles (microseconds). Written against raw sockets so the generator
// itself costs little CPU on the same machine as the server.
//
//   load_gen --port 8080 --token cst_... --clients 64 --seconds 10
//            --path /api/v1/attendance --body-file body.json
// The body may contain "{n}", replaced by a per-request counter.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string token;
  std::string path = "/api/v1/attendance";
  std::string body = "{}";
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

// Reads one response; returns its status or -1.
int ReadResponse(int fd, std::string& buf) {
  size_t header_end;
  while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
    char tmp[16384];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return -1;
    buf.append(tmp, static_cast<size_t>(n));
  }
  int status = std::atoi(buf.c_str() + 9);
  size_t len = 0;
  std::string head = buf.substr(0, header_end);
  std::transform(head.begin(), head.end(), head.begin(), ::tolower);
  size_t cl = head.find("content-length:");
  if (cl != std::string::npos) len = std::strtoul(head.c_str() + cl + 15, nullptr, 10);
  size_t total = header_end + 4 + len;
  while (buf.size() < total) {
    char tmp[16384];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return -1;
    buf.append(tmp, static_cast<size_t>(n));
  }
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
    if (k == "--host") o.host = v;
    else if (k == "--port") o.port = std::atoi(v.c_str());
    else if (k == "--token") o.token = v;
    else if (k == "--path") o.path = v;
    else if (k == "--clients") o.clients = std::atoi(v.c_str());
    else if (k == "--seconds") o.seconds = std::atof(v.c_str());
    else if (k == "--expect") o.expect = std::atoi(v.c_str());
    else if (k == "--body-file") {
      std::ifstream in(v);
      std::stringstream ss;
      ss << in.rdbuf();
      o.body = ss.str();
    } else {
      std::fprintf(stderr, "load_gen: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::atomic<uint64_t> counter{0}, errors{0};
  std::vector<std::vector<uint32_t>> lat(static_cast<size_t>(o.clients));
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::duration<double>(o.seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; c++) {
    threads.emplace_back([&, c] {
      int fd = Connect(o);
      std::string buf;
      auto& mine = lat[static_cast<size_t>(c)];
      mine.reserve(1 << 16);
      while (fd >= 0 && std::chrono::steady_clock::now() < deadline) {
        uint64_t n = counter.fetch_add(1);
        std::string body = Replace(o.body, "{n}", std::to_string(n));
        std::string req = "POST " + o.path + " HTTP/1.1\r\nHost: " + o.host +
                          "\r\nAuthorization: Bearer " + o.token +
                          "\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
        auto t0 = std::chrono::steady_clock::now();
        int status = SendAll(fd, req) ? ReadResponse(fd, buf) : -1;
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
        if (status != o.expect) {
          errors++;
          if (status < 0) {
            ::close(fd);
            fd = Connect(o);
            buf.clear();
          }
          continue;
        }
        mine.push_back(static_cast<uint32_t>(us));
      }
      if (fd >= 0) ::close(fd);
    });
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<uint32_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) -> uint32_t {
    if (all.empty()) return 0;
    return all[std::min(all.size() - 1, static_cast<size_t>(p * static_cast<double>(all.size())))];
  };
  std::printf(
      "{\"clients\":%d,\"seconds\":%.2f,\"ok\":%zu,\"errors\":%llu,\"writes_per_s\":%.1f,"
      "\"p50_us\":%u,\"p99_us\":%u,\"max_us\":%u}\n",
      o.clients, elapsed, all.size(), static_cast<unsigned long long>(errors.load()),
      static_cast<double>(all.size()) / elapsed, pct(0.5), pct(0.99), all.empty() ? 0 : all.back());
  return all.empty() ? 1 : 0;
}
