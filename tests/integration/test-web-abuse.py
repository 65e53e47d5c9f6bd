#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""HTTP abuse on loopback (issue 12, docs/RELIABILITY.md "Hostile clients").

While, at the same time,
  - 2,000 idle connections are open (connected, nothing sent),
  - 200 slowloris connections from 127.0.0.1 trickle header bytes (one every 0.5 s each),
  - 200 requests with 1,000 query parameters each are sent by 8 threads,
a normal client on 127.0.0.1 (a fresh connection per request, alternately /healthz and
/api/v1/groups with a different offset each time, so that the response cache does not answer)
gets every answer, with a p99 latency under 100 ms, and the server's RSS (sampled every 0.2 s)
stays within 32 MB of where it was before the attack. The test raises its own RLIMIT_NOFILE (the
server inherits it) so that all connections fit. The sanitizer build keeps freed memory in a
quarantine (256 MB by default), which would read as growth: the server runs with a 1 MB quarantine.

Usage: test-web-abuse.py LOCKDEPD LOCKDEPCTL
"""

import http.client
import os
import resource
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "web"))
import webtest  # noqa: E402

IDLE, SLOW, BIG, PARAMS = 2000, 200, 200, 1000
P99_BOUND, RSS_BOUND_KB = 0.100, 32 * 1024


rss_kb = webtest.rss_kb


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    lockdepd, ctl = sys.argv[1:3]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = IDLE + SLOW + 600
    if soft < want:
        if hard < want:
            webtest.skip(f"RLIMIT_NOFILE hard limit {hard} < {want}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want * 2 if hard >= want * 2 else hard, hard))
    c = webtest.Checker()
    tmp, db = webtest.make_db(ctl)
    srv = webtest.Server(lockdepd, db, env={"ASAN_OPTIONS": "quarantine_size_mb=1"})
    port = srv.port
    lat, errors = [], []

    def normal(i):
        path = "/healthz" if i % 2 else f"/api/v1/groups?limit=5&offset={i % 40}&n={i}"
        t = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
        except (OSError, http.client.HTTPException) as e:
            ok = False
            errors.append(f"{path}: {e}")
        finally:
            conn.close()
        return ok, time.monotonic() - t

    for i in range(50):  # warm up: thread stores, caches, pools
        normal(i)
    time.sleep(0.5)
    rss0 = rss_kb(srv.p.pid)
    peak = [rss0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb(srv.p.pid))
            time.sleep(0.2)

    idle = []
    for i in range(IDLE):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        idle.append(s)
    slow = []
    for i in range(SLOW):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /api/v1/groups HTTP/1.1\r\n")
        slow.append(s)

    def slowloris():
        while not stop.is_set():
            for s in slow:
                try:
                    s.sendall(b"X")
                except OSError:
                    pass
            time.sleep(0.5)

    big_done, big_ok = [0], [0]
    query = "&".join(f"p{i}={i}" for i in range(PARAMS))
    lock = threading.Lock()

    def big_sender(k):
        while not stop.is_set():
            with lock:
                if big_done[0] >= BIG:
                    return
                big_done[0] += 1
                n = big_done[0]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", f"/api/v1/groups?{query}&limit=2&offset={n % 30}")
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    with lock:
                        big_ok[0] += 1
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()

    threads = [threading.Thread(target=sample), threading.Thread(target=slowloris)] + \
              [threading.Thread(target=big_sender, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < 7.0 or i < 200 or big_done[0] < BIG:
        ok, dt = normal(i)
        lat.append(dt if ok else float("inf"))
        i += 1
        if time.monotonic() - t0 > 60:
            break
    rss_end = rss_kb(srv.p.pid)
    stop.set()
    for t in threads:
        t.join(60)
    alive_idle = sum(1 for s in idle if s.fileno() >= 0)
    lat.sort()
    p99 = lat[int(len(lat) * 0.99) - 1] if lat else float("inf")
    print(f"{len(lat)} normal requests in {time.monotonic() - t0:.1f}s: median {lat[len(lat) // 2] * 1000:.1f} ms, "
          f"p99 {p99 * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms; {big_ok[0]}/{BIG} big requests answered 200; "
          f"RSS {rss0} KiB before, peak {peak[0]} KiB, {rss_end} KiB at the end")
    c.check(not errors and lat[-1] != float("inf"), f"every normal request answered ({errors[:3]})")
    c.check(p99 < P99_BOUND, f"p99 {p99 * 1000:.1f} ms < {P99_BOUND * 1000:.0f} ms")
    c.check(big_done[0] == BIG and big_ok[0] == BIG, f"the 1,000-parameter requests: {big_ok[0]} of {BIG} answered 200")
    c.check(peak[0] - rss0 < RSS_BOUND_KB, f"RSS within 32 MB: {rss0} -> peak {peak[0]} KiB")
    c.check(alive_idle == IDLE, "the idle connections were open throughout")
    for s in idle + slow:
        s.close()
    c.check(srv.stop() == 0, "clean exit after SIGTERM")
    c.done()


if __name__ == "__main__":
    main()
