#!/usr/bin/env python3
"""A local HTTP/1.1 server that misbehaves on purpose, for HTTP client tests.

Binds 127.0.0.1 on a free port (or --port N) and prints "PORT <n>" as its first
stdout line, then serves until killed. Keep-alive is on (HTTP/1.1, every
response has a Content-Length). Endpoints:

  PUT|POST /echo              reads the body; answers JSON {sha256, length,
                              method, headers: [[name, value]...], attempts}
  GET|HEAD /data?n=N          N bytes of deterministic data (see data_bytes),
                              with Range support (206/416)
  any /slowdown               503, Retry-After: 2, S3 SlowDown XML body
  any /forbidden              403 with an S3 AccessDenied XML body
  any /status?code=C          status C with a short body (Retry-After from
                              ?retry_after= when given)
  any /big-error?n=N          500 with an N-byte body
  PUT|POST /reset?after=K     reads K body bytes, then resets the connection
                              (SO_LINGER 0: the client sees RST)
  PUT|POST /drop-once?key=K   the first request per key reads the whole body
                              and closes the connection without answering;
                              later ones behave like /echo
  GET /trickle?n=N&delay=S    announces N bytes, sends one every S seconds
  any /hang                   reads the request, never answers (60 s max)
  GET /stats                  JSON {connections}: TCP connections accepted
  POST /reset-stats           zeroes the connection counter
"""

import argparse
import hashlib
import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PERIOD = 4099  # a prime, so the pattern does not align with buffer sizes
_BLOCK = bytes((k * 31 + k // 256) & 0xFF for k in range(PERIOD))


def data_bytes(start, end):
    """Bytes [start, end) of the /data stream: byte i = BLOCK[i % 4099]."""
    if end <= start:
        return b""
    first = start % PERIOD
    reps = (end - start + first) // PERIOD + 1
    return (_BLOCK * reps)[first:first + (end - start)]


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr):
        super().__init__(addr, Handler)
        self.lock = threading.Lock()
        self.connections = 0
        self.attempts = {}

    def handle_error(self, request, client_address):
        # Clients that hang up mid-request are part of the tests, not errors.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "misbehaving/1"

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def handle_expect_100(self):
        # A connection that is about to "die" must look dead: no interim 100
        # response, or the client would rightly refuse to resend silently.
        parts = urlsplit(self.path)
        if parts.path == "/drop-once":
            key = parse_qs(parts.query).get("key", [""])[-1]
            with self.server.lock:
                if key not in self.server.attempts:
                    return True
        return super().handle_expect_100()

    def do_GET(self):
        self.dispatch()

    do_PUT = do_POST = do_HEAD = do_DELETE = do_GET

    # -- helpers -----------------------------------------------------------
    def body_length(self):
        return int(self.headers.get("Content-Length", "0") or 0)

    def read_body(self, limit=None, sink=None):
        """Reads the request body (or `limit` bytes of it); returns the count."""
        left = self.body_length() if limit is None else min(limit, self.body_length())
        got = 0
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            if sink:
                sink(chunk)
            got += len(chunk)
            left -= len(chunk)
        return got

    def reply(self, code, body=b"", ctype="application/octet-stream", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reply_json(self, code, obj):
        self.reply(code, json.dumps(obj).encode(), "application/json")

    def reset_connection(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    # -- routes ------------------------------------------------------------
    def dispatch(self):
        parts = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        route = getattr(self, "route_" + parts.path.strip("/").replace("-", "_"), None)
        if route is None:
            self.read_body()
            self.reply(404, b"no such endpoint", "text/plain")
            return
        route()

    def route_echo(self, attempts=1):
        digest = hashlib.sha256()
        n = self.read_body(sink=digest.update)
        self.reply_json(200, {
            "sha256": digest.hexdigest(),
            "length": n,
            "method": self.command,
            "headers": [[k, v] for k, v in self.headers.items()],
            "attempts": attempts,
        })

    def route_data(self):
        self.read_body()
        n = int(self.query.get("n", "0"))
        rng = self.headers.get("Range")
        if not rng:
            self.reply(200, data_bytes(0, n))
            return
        try:
            unit, spec = rng.split("=", 1)
            first, last = spec.split("-", 1)
            if unit.strip() != "bytes" or "," in spec:
                raise ValueError
            if first == "":
                start, end = max(0, n - int(last)), n
            else:
                start = int(first)
                end = n if last == "" else min(n, int(last) + 1)
        except ValueError:
            self.reply(400, b"bad range", "text/plain")
            return
        if start >= n or end <= start:
            self.reply(416, b"", headers=[("Content-Range", f"bytes */{n}")])
            return
        self.reply(206, data_bytes(start, end),
                   headers=[("Content-Range", f"bytes {start}-{end - 1}/{n}")])

    def route_slowdown(self):
        self.read_body()
        body = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
                b"<Message>Please reduce your request rate.</Message></Error>")
        self.reply(503, body, "application/xml", [("Retry-After", "2")])

    def route_forbidden(self):
        self.read_body()
        body = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                b"<Message>Access Denied</Message></Error>")
        self.reply(403, body, "application/xml")

    def route_status(self):
        self.read_body()
        headers = []
        if "retry_after" in self.query:
            headers.append(("Retry-After", self.query["retry_after"]))
        self.reply(int(self.query.get("code", "200")), b"status body", "text/plain", headers)

    def route_big_error(self):
        self.read_body()
        self.reply(500, b"E" * int(self.query.get("n", "200000")), "text/plain")

    def route_reset(self):
        self.read_body(limit=int(self.query.get("after", "0")))
        self.reset_connection()

    def route_drop_once(self):
        key = self.query.get("key", "")
        with self.server.lock:
            attempts = self.server.attempts.get(key, 0) + 1
            self.server.attempts[key] = attempts
        if attempts == 1:
            self.read_body()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.route_echo(attempts)

    def route_trickle(self):
        self.read_body()
        n = int(self.query.get("n", "100"))
        delay = float(self.query.get("delay", "0.5"))
        self.send_response(200)
        self.send_header("Content-Length", str(n))
        self.end_headers()
        try:
            for i in range(n):
                self.wfile.write(data_bytes(i, i + 1))
                self.wfile.flush()
                time.sleep(delay)
        except OSError:
            self.close_connection = True

    def route_hang(self):
        self.read_body()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.05)
            try:  # stop early once the client went away
                self.connection.setblocking(False)
                if self.connection.recv(1, socket.MSG_PEEK) == b"":
                    break
            except BlockingIOError:
                pass
            except OSError:
                break
            finally:
                try:
                    self.connection.setblocking(True)
                except OSError:
                    pass
        self.close_connection = True

    def route_stats(self):
        self.read_body()
        with self.server.lock:
            self.reply_json(200, {"connections": self.server.connections})

    def route_reset_stats(self):
        self.read_body()
        with self.server.lock:
            self.server.connections = 0
        self.reply_json(200, {})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    server = Server(("127.0.0.1", args.port))
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
