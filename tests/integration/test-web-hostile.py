#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile HTTP on loopback with raw sockets (usage: test-web-hostile.py LOCKDEPD LOCKDEPCTL).

Covers: oversized headers (431/413 or a closed connection, never a crash) and bodies (413, both
announced and chunked), invalid and unknown methods (405/400), `..` paths plain and percent-encoded
(no file is ever served from disk), bad and NUL percent-encoding (400), junk request lines, a
request line without a version, 1,000 idle connections from 20 loopback addresses while a normal
request is answered (and afterwards), no per-address connection limit on loopback (all local users
share 127.0.0.1: issue 12 item 5), and that the server
process is alive and answers /healthz at the end.
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest as wt  # noqa: E402

lockdepd, ctl = sys.argv[1:3]
tmp, db = wt.make_db(ctl)
srv = wt.Server(lockdepd, db)
c = wt.Checker()


def raw(data, timeout=10, src="127.0.0.1"):
    """Sends bytes, returns the status code (int) or None when the server closed without one."""
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", srv.port))
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    buf = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    if not buf.startswith(b"HTTP/1."):
        return None, buf
    return int(buf.split(b" ", 2)[1]), buf


def get(path, extra=b""):
    return raw(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra + b"\r\n")


def alive(what):
    st, _ = get(b"/healthz")
    c.check(st == 200, f"still answering after {what}")


# ---- headers and bodies ----
st, _ = get(b"/", b"X-Big: " + b"a" * 100000 + b"\r\n")
c.check(st in (None, 413, 431, 400), f"100 KB header -> {st}")
st, _ = get(b"/", b"".join(b"X-H%d: v\r\n" % i for i in range(5000)))
c.check(st in (None, 413, 431, 400), f"5000 headers -> {st}")
alive("huge headers")
st, _ = raw(b"POST /api/v1/suppressions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n"
            + b"a" * 1000)
c.check(st == 413, f"announced 10 MB body -> {st}")
chunked = b"".join(b"%x\r\n%s\r\n" % (8192, b"b" * 8192) for _ in range(12)) + b"0\r\n\r\n"
st, _ = raw(b"POST /api/v1/suppressions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + chunked)
c.check(st == 413, f"96 KB chunked body -> {st}")
alive("big bodies")

# ---- methods ----
for m in [b"PUT", b"PATCH", b"OPTIONS", b"TRACE", b"CONNECT", b"FOO", b"BREW"]:
    st, _ = raw(m + b" / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    c.check(st in (405, 400, 501), f"{m.decode()} -> {st}")
st, _ = raw(b"G\x01T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
c.check(st in (None, 400, 405), f"control byte in the method -> {st}")
st, _ = raw(b"GET /\r\n\r\n")
c.check(st in (None, 400, 505), f"no HTTP version -> {st}")
st, _ = raw(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200))
c.check(st in (None, 400), f"TLS hello -> {st}")
st, _ = raw(os.urandom(4096))
c.check(st in (None, 400, 405, 414, 431, 505), f"random bytes -> {st}")
alive("bad methods")

# ---- paths ----
for p in [b"/static/../../../../etc/passwd", b"/static/%2e%2e/%2e%2e/etc/passwd", b"/static/..%2f..%2fetc%2fpasswd",
          b"/%2e%2e/%2e%2e/etc/passwd", b"/static/%252e%252e/etc/passwd", b"/static/.%2E/web-token", b"/../web-token",
          b"/static/style.css/../../web-token", b"/static/app.js%00.png", b"/static//etc/passwd",
          b"/static/..\\..\\etc\\passwd", b"/web-token", b"/lockdep.db"]:
    st, buf = get(p)
    c.check(st in (400, 404) and b"root:" not in buf and srv.token.encode() not in buf, f"{p.decode()} -> {st}")
for p in [b"/a%zz", b"/groups/%", b"/groups/1%0", b"/?kind=%GG", b"/locks/%00", b"/api/v1/groups?kind=%c0%af"]:
    st, _ = get(p)
    c.check(st == 400, f"bad percent-encoding {p.decode()} -> {st}")
st, _ = get(b"/" + b"a" * 20000)
c.check(st in (None, 400, 404, 413, 414, 431), f"20 KB path -> {st}")
st, _ = get(b"/api/v1/groups?" + b"&".join(b"k%d=v" % i for i in range(3000)))
c.check(st in (None, 200, 400, 413, 414, 431), f"3000 arguments -> {st}")
alive("path tricks")

# ---- slowloris: 1,000 idle connections from 20 addresses (50 each, under the per-address limit) ----
idle = []
for i in range(1000):
    s = socket.socket()
    s.bind((f"127.0.0.{2 + i // 50}", 0))
    s.connect(("127.0.0.1", srv.port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
    idle.append(s)
t0 = time.time()
st, _ = get(b"/api/v1/groups?limit=1")
c.check(st == 200, f"normal request during 1,000 idle connections -> {st} in {time.time() - t0:.2f}s")
# no per-address limit on loopback: 200 more from one address are all kept (until their deadline)
extra = []
for i in range(200):
    s = socket.socket()
    s.bind(("127.0.0.99", 0))
    try:
        s.connect(("127.0.0.1", srv.port))
        s.sendall(b"GET / HTTP/1.1\r\n")
    except OSError:
        pass
    extra.append(s)
time.sleep(0.5)
closed = 0
for s in extra:
    s.settimeout(0.01)
    try:
        if s.recv(1) == b"":
            closed += 1
    except (socket.timeout, BlockingIOError):
        pass
    except OSError:
        closed += 1
c.check(closed == 0, f"no per-address limit on loopback: {closed} of 200 connections from one address closed")
st, _ = get(b"/healthz")
c.check(st == 200, "normal request from another address still answered")
for s in idle + extra:
    s.close()
time.sleep(0.5)
alive("1,000 idle connections")
c.check(srv.p.poll() is None, "server process alive")
c.check(srv.stop() == 0, "clean exit on SIGTERM")
c.done()
