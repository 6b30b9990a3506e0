"""`custos serve --timeout` and `--max-connections` on real sockets.

A connection that receives and sends nothing for the timeout is closed, at
any stage of a request; a connection in use is not. Connections beyond the
limit wait in the listen queue and are served as soon as a slot frees, by a
client closing or by the timeout dropping a stalled one. A request body cut
off by the timeout writes nothing."""
import http.client
import os
import socket
import threading
import time
import unittest

from test_server import ADMIN, ServerTestCase


def stalled(srv, data):
    """A connection that sent `data` and then nothing more."""
    s = socket.create_connection((srv.host, srv.port), timeout=60)
    s.sendall(data)
    return s


def seconds_until_closed(s):
    """Reads s to its end; returns how long the server took to close it."""
    t = time.monotonic()
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return time.monotonic() - t


def read_response(s):
    """Reads one HTTP/1.1 answer with a Content-Length; returns (status, body)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise AssertionError("closed before the answer's header: %r" % buf)
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise AssertionError("closed inside the answer's body")
        body += chunk
    return int(head.split(b" ")[1]), body


AUTH = b"Authorization: Bearer " + ADMIN.encode() + b"\r\n"
HALF_HEADER = b"GET /health HTTP/1.1\r\nHost: x\r\n"
HALF_BODY = (b"POST /api/v1/employers HTTP/1.1\r\nHost: x\r\n" + AUTH +
             b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
             b'{"name": "Half Written Ltd"')


class TimeoutTest(ServerTestCase):
    def test_idle_and_stalled_connections_are_closed_after_the_timeout(self):
        srv = self.start("--timeout", "2")
        idle = stalled(srv, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(read_response(idle)[0], 200)  # then kept alive, idle
        # A client that sends a request and never reads: the answer is small
        # enough for the socket buffers, so the server is done sending and the
        # connection is idle from its side too.
        not_reading = stalled(srv, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        conns = {"idle keep-alive": idle, "half a header": stalled(srv, HALF_HEADER),
                 "half a body": stalled(srv, HALF_BODY), "not reading": not_reading}
        took = {}

        def wait(name, s):
            took[name] = seconds_until_closed(s)

        threads = [threading.Thread(target=wait, args=kv) for kv in conns.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for name in conns:
            with self.subTest(connection=name):
                self.assertIn(name, took, "still open after 30 s")
                # libmicrohttpd counts whole seconds: closed after 2-3 s.
                self.assertGreaterEqual(took[name], 1.0)
                self.assertLess(took[name], 8.0)
            conns[name].close()
        # The cut-off body created nothing, and the server still answers.
        st, doc = srv.json("GET", "/api/v1/employers", expect=200)
        self.assertEqual(doc["records"], [])
        srv.json("GET", "/health", token=None, expect=200)

    def test_a_connection_in_use_outlives_the_timeout(self):
        srv = self.start("--timeout", "2")
        c = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
        c.request("GET", "/health")
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 200)
        sock = c.sock
        end = time.monotonic() + 5  # well past the timeout
        n = 0
        while time.monotonic() < end:
            time.sleep(0.5)
            c.request("GET", "/health")
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
            n += 1
        self.assertIs(c.sock, sock, "the client had to reconnect")
        self.assertGreaterEqual(n, 8)
        c.close()


class ConnectionLimitTest(ServerTestCase):
    def test_connections_beyond_the_limit_wait_until_a_slot_frees(self):
        srv = self.start("--max-connections", "4", "--timeout", "6")
        t0 = time.monotonic()
        holders = [stalled(srv, HALF_HEADER) for _ in range(4)]
        time.sleep(0.3)
        fifth = stalled(srv, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        fifth.settimeout(1.0)
        with self.assertRaises(socket.timeout):
            fifth.recv(1)  # queued: no answer while four are held
        # A holder leaves: the fifth is served at once, long before the
        # others time out.
        holders[0].close()
        freed = time.monotonic()
        fifth.settimeout(10)
        self.assertEqual(read_response(fifth)[0], 200)
        self.assertLess(time.monotonic() - freed, 2.0)
        self.assertLess(time.monotonic() - t0, 5.0)
        fifth.close()
        # The three left stalled are dropped by the timeout, which bounds how
        # long a client that holds connections without sending blocks others.
        for s in holders[1:]:
            s.settimeout(20)
            seconds_until_closed(s)
            s.close()
        self.assertLess(time.monotonic() - t0, 15.0)
        srv.json("GET", "/health", token=None, expect=200)

    def test_stalled_connections_at_the_limit_are_dropped_by_the_timeout(self):
        srv = self.start("--max-connections", "4", "--timeout", "2")
        holders = [stalled(srv, HALF_HEADER) for _ in range(4)]
        time.sleep(0.3)
        t = time.monotonic()
        fifth = stalled(srv, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        fifth.settimeout(20)
        self.assertEqual(read_response(fifth)[0], 200)
        waited = time.monotonic() - t
        self.assertGreaterEqual(waited, 1.0)  # it did wait for the timeout
        self.assertLess(waited, 8.0)
        for s in holders + [fifth]:
            s.close()



def epoll_fds(pid):
    """How many epoll instances process `pid` holds open."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "anon_inode:[eventpoll]":
                n += 1
        except OSError:
            pass
    return n


class EventLoopTest(ServerTestCase):
    def test_poll_up_to_1024_connections_epoll_above_and_both_serve(self):
        # Up to 1024 the event thread waits with poll(); a larger limit gets
        # epoll. Both must serve writes and close idle connections.
        for limit, epolls in (("1024", 0), ("1025", 1)):
            with self.subTest(max_connections=limit):
                srv = self.start("--max-connections", limit, "--timeout", "2")
                self.assertEqual(epoll_fds(srv.proc.pid), epolls)
                st, doc = srv.json("POST", "/api/v1/employers",
                                   {"name": "Event Loop " + limit + " Ltd"}, expect=201)
                srv.json("GET", "/api/v1/employers/" + doc["id"], expect=200)
                idle = stalled(srv, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(read_response(idle)[0], 200)
                took = seconds_until_closed(idle)
                idle.close()
                self.assertGreaterEqual(took, 1.0)
                self.assertLess(took, 8.0)
                srv.stop()


if __name__ == "__main__":
    unittest.main()
