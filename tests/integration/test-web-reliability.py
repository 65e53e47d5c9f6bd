#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The web server's request lifecycle and limits, and the daemon's health (issue 12, docs/RELIABILITY.md).

Covers (each part a meson test):
  query      item 1: GETs with 250 to 3,000 query parameters are answered at once (not after the
             15 s idle timeout) and mean what they say (a `limit=` after 999 other parameters is
             honoured); 3,000 of them leave the server's RSS where it was and nothing leaks (the
             sanitizer build's leak check makes the exit status non-zero otherwise)
  keepalive  item 10: several requests, GET, HEAD and a triage POST, on one kept-alive connection
             (no "Connection: close"); 10 pipelined requests in one write get 10 answers
  slowloris  item 5: 200 connections from 127.0.0.1 that trickle header bytes are closed at the
             header deadline (not kept by every byte restarting the idle timeout), while a client on
             127.0.0.1 is answered throughout; with the server under `ulimit -n 200`, 400 idle
             connections from 127.0.0.1 cannot lock a normal client out (the longest waiting are
             closed to make room), and /metrics counts what was closed
  writer     item 11: while another process holds the database's write lock for 8 s, two ingests
             wait for it and reads from 30 fresh connections are each answered in well under a
             second; once the lock is gone, an ingest stores its reports
  health     /healthz: 200 with the sources' states as JSON on a running lockdepd ("degraded" and
             the source "retrying" while storing fails on a full disk); 503 once the database
             cannot answer a read (its reports table dropped under a --web-only server)
  identity   item 14: the database renamed over, or deleted, under a running lockdepd: it exits
             with status 1 and a message naming the file, so that systemd starts it again
  encoding   item 12: a gzip (also x-gzip) or zstd ingest body is decoded and stores what the parser
             finds in the plain text, a body cut off inside the stream is answered 400 with the
             reports before the cut stored, and an encoding the server does not decode (br,
             deflate, two codings) is refused with 415 before its body is read, storing nothing
  notices    item 7: on a full disk, lockdepd's retries do not announce the same "new group" twice:
             once space is back, each group has been announced exactly once

Usage: test-web-reliability.py LOCKDEPD LOCKDEPCTL PART
"""

import http.client
import importlib.util
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "web"))
import webtest  # noqa: E402

_spec = importlib.util.spec_from_file_location("dh", os.path.join(HERE, "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)


rss_kb = webtest.rss_kb


def raw_request(port, data, timeout=10):
    """Sends data, reads until the server closes or the timeout; returns (bytes, seconds)."""
    t = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (socket.timeout, ConnectionResetError):
        pass
    finally:
        s.close()
    return out, time.monotonic() - t


def get_once(port, path, timeout=10):
    """One GET on a fresh connection: (status, body, seconds)."""
    t = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read(), time.monotonic() - t
    except (OSError, http.client.HTTPException) as e:
        return None, str(e).encode(), time.monotonic() - t
    finally:
        c.close()


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class FullDaemon:
    """lockdepd with its kernel sources off, --follow FILE and the web server on an ephemeral port."""

    def __init__(self, lockdepd, db, follow, tmp, env=None):
        self.log_path = os.path.join(tmp, "lockdepd-full.log")
        self.p = dh.popen([lockdepd, "--config", "/dev/null", "--db", db, "--no-kmsg", "--no-journal",
                           "--follow", follow, "--listen", "127.0.0.1:0"],
                          stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"), env=dh.clean_env(env))
        m = dh.wait_until(lambda: re.search(r"listening on http://127\.0\.0\.1:(\d+)/", self.log()), 20)
        self.port = int(m.group(1)) if m else None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


# ---- query (item 1) ------------------------------------------------------------------------------

def part_query(c, lockdepd, ctl, tmp):
    _, db = webtest.make_db(ctl)
    # the sanitizer build keeps freed memory in quarantine (256 MB by default), which reads as growth
    srv = webtest.Server(lockdepd, db, env={"ASAN_OPTIONS": "quarantine_size_mb=1"})
    junk = lambda n: b"&".join(b"p%d=%d" % (i, i) for i in range(n))
    for n in (250, 1000, 3000):
        st, body, dt = get_once(srv.port, "/api/v1/groups?" + junk(n).decode() + "&limit=2", timeout=10)
        groups = json.loads(body).get("groups", []) if st == 200 else []
        c.check(st == 200 and dt < 3 and len(groups) == 2,
                f"{n} parameters, then limit=2: {st} in {dt:.2f}s, {len(groups)} groups")
    # beyond the header memory (36 KiB): refused at once, the connection closed
    st, body, dt = get_once(srv.port, "/api/v1/groups?" + junk(5000).decode(), timeout=10)
    c.check(st == 414 and dt < 3, f"5,000 parameters (45 KB): {st} in {dt:.2f}s")
    if c.failures:
        return  # each of the 3,000 would wait for the idle timeout
    for _ in range(100):
        get_once(srv.port, "/healthz?" + junk(250).decode())
    before = rss_kb(srv.p.pid)
    slow = 0
    for i in range(3000):
        data, dt = raw_request(srv.port, b"GET /healthz?" + junk(250 + i % 50) + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               b"Connection: close\r\n\r\n", timeout=5)
        if not data.startswith(b"HTTP/1.1 200") or dt > 3:
            slow += 1
    after = rss_kb(srv.p.pid)
    c.check(slow == 0, f"3,000 requests of 250-300 parameters: {slow} not answered with 200 within 3 s")
    c.check(after - before < 8 * 1024, f"RSS after 3,000 of them: {before} -> {after} KiB")
    c.check(srv.stop() == 0, "clean exit after SIGTERM (no leak found by the sanitizer build)")


# ---- keepalive (item 10) -------------------------------------------------------------------------

def part_keepalive(c, lockdepd, ctl, tmp):
    _, db = webtest.make_db(ctl)
    srv = webtest.Server(lockdepd, db)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    ports = set()
    statuses = []
    for method, path, body, headers in [
            ("GET", "/api/v1/groups?limit=1", None, {}),
            ("HEAD", "/", None, {}),
            ("GET", "/healthz", None, {}),
            ("POST", "/api/v1/groups/1/triage", json.dumps({"status": "confirmed"}),
             {"Authorization": f"Bearer {srv.token}", "Content-Type": "application/json"}),
            ("GET", "/api/v1/groups/1", None, {})]:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        b = r.read()
        statuses.append(r.status)
        c.check((r.getheader("Connection") or "").lower() != "close",
                f"{method} {path}: no 'Connection: close' ({r.getheader('Connection')})")
        ports.add(conn.sock.getsockname()[1] if conn.sock else None)
        if path == "/api/v1/groups/1" and r.status == 200:
            c.check(json.loads(b).get("status") == "confirmed", "the write is seen on the same connection")
    c.check(statuses == [200, 200, 200, 200, 200], f"statuses on one connection: {statuses}")
    c.check(len(ports) == 1 and None not in ports, f"one TCP connection for all of them ({ports})")
    conn.close()
    data, _ = raw_request(srv.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 9 +
                          b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", timeout=10)
    c.check(data.count(b"HTTP/1.1 200 OK") == 10, f"10 pipelined requests: {data.count(b'HTTP/1.1 200 OK')} answers")
    c.check(srv.stop() == 0, "clean exit after SIGTERM")


# ---- slowloris (item 5) --------------------------------------------------------------------------

def metric(port, name):
    st, body, _ = get_once(port, "/metrics")
    m = re.search(rb"^" + re.escape(name.encode()) + rb" (\d+)$", body, re.M) if st == 200 else None
    return int(m.group(1)) if m else None


def normal_client(c, port, what, n=20, bound=1.0):
    worst, bad = 0.0, 0
    for i in range(n):
        st, _, dt = get_once(port, f"/api/v1/groups?limit=1&offset={i}", timeout=10)
        worst = max(worst, dt)
        bad += st != 200
    c.check(bad == 0 and worst < bound, f"{what}: {n - bad}/{n} answered, slowest {worst:.3f}s (bound {bound}s)")


def part_slowloris(c, lockdepd, ctl, tmp):
    raise_nofile(4096)
    _, db = webtest.make_db(ctl)
    srv = webtest.Server(lockdepd, db)
    slow = []
    for i in range(200):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
        slow.append(s)
    t0 = time.monotonic()
    closed_at = {}
    next_normal = t0
    while time.monotonic() - t0 < 25 and len(closed_at) < len(slow):
        for i, s in enumerate(slow):
            if i in closed_at:
                continue
            try:
                s.sendall(b"X")  # one header byte per second and connection: never a complete line
            except OSError:
                closed_at[i] = time.monotonic() - t0
        if time.monotonic() >= next_normal:
            normal_client(c, srv.port, f"normal client at {time.monotonic() - t0:.0f}s among 200 slowloris", n=5)
            next_normal += 5
        time.sleep(1.0)
    latest = max(closed_at.values()) if closed_at else None
    c.check(len(closed_at) == 200 and latest < 10 + 6,
            f"slowloris connections closed by the header deadline: {len(closed_at)}/200, the last after "
            f"{latest if latest is None else round(latest, 1)}s")
    c.check((metric(srv.port, "lockdep_web_connections_timed_out_total") or 0) >= 200,
            "/metrics counts the connections closed at their deadline")
    for s in slow:
        s.close()
    c.check(srv.stop() == 0, "clean exit after SIGTERM")

    # the fair global limit: the server gets 200 descriptors, 400 idle connections come first
    srv = LimitedServer(lockdepd, db, 200)
    idle = []
    for i in range(400):
        try:
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\n")
            idle.append(s)
        except OSError:
            pass
    time.sleep(0.5)
    normal_client(c, srv.port, "normal client after 400 idle connections, server at 200 descriptors", n=20,
                  bound=2.0)
    ev = metric(srv.port, "lockdep_web_connections_evicted_total")
    c.check(ev is not None and ev >= 200, f"connections closed to make room: {ev}")
    for s in idle:
        s.close()
    c.check(srv.stop() == 0, "clean exit after SIGTERM")


class LimitedServer(webtest.Server):
    """webtest.Server whose process has RLIMIT_NOFILE = n."""

    def __init__(self, lockdepd, db, n):
        self.log = db + ".web-limited.log"
        self.p = subprocess.Popen([lockdepd, "--web-only", "--db", db, "--listen", "127.0.0.1:0", "--config",
                                   "/dev/null"], stdout=subprocess.DEVNULL, stderr=open(self.log, "w"),
                                  env=dh.clean_env(),
                                  preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n)))
        webtest._procs.append(self.p)
        m = dh.wait_until(lambda: re.search(r"listening on http://127\.0\.0\.1:(\d+)/", open(self.log).read()), 20)
        if not m:
            raise RuntimeError("lockdepd did not start listening: " + open(self.log).read())
        self.port = int(m.group(1))
        self.token = open(os.path.join(os.path.dirname(db), "web-token")).read().strip()


# ---- writer (item 11) ----------------------------------------------------------------------------

def part_writer(c, lockdepd, ctl, tmp):
    _, db = webtest.make_db(ctl)
    srv = webtest.Server(lockdepd, db, extra_args=["--log-level", "debug"])
    log = dh.many_reports_log(1).encode()
    lock = sqlite3.connect(db, timeout=10, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    t_lock = time.monotonic()
    results = []

    def ingest(i):
        st, _, body = srv.request("POST", f"/api/v1/ingest?host=locked-{i}", body=log,
                                  headers={"Authorization": f"Bearer {srv.token}"}, timeout=60)
        results.append((st, time.monotonic() - t_lock))

    threads = [threading.Thread(target=ingest, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.3)  # the ingests are waiting for the lock now
    worst, bad = 0.0, 0
    for i in range(30):
        st, _, dt = get_once(srv.port, f"/api/v1/groups?limit=1&offset={i}")
        worst = max(worst, dt)
        bad += st != 200
    c.check(bad == 0 and worst < 1.0, f"30 reads while two ingests wait for the lock: {30 - bad} answered, "
            f"slowest {worst:.3f}s")
    c.check(time.monotonic() - t_lock < 8, "the reads were made while the lock was held")
    time.sleep(max(0, 8 - (time.monotonic() - t_lock)))
    lock.execute("ROLLBACK")
    lock.close()
    for t in threads:
        t.join(60)
    c.check(len(results) == 2 and all(st in (201, 503) for st, _ in results),
            f"the waiting ingests: {results} (stored after the lock, or 503 busy)")
    st, _, body = srv.request("POST", "/api/v1/ingest?host=after", body=log,
                              headers={"Authorization": f"Bearer {srv.token}"}, timeout=60)
    x = json.loads(body) if st in (200, 201) else {}
    c.check(st == 201 and x.get("stored", 0) >= 1, f"an ingest after the lock: {st} {body[:200]!r}")
    c.check(srv.stop() == 0, "clean exit after SIGTERM")


# ---- health --------------------------------------------------------------------------------------

def part_health(c, lockdepd, ctl, tmp):
    db = os.path.join(tmp, "health.db")
    r = dh.ctl(ctl, db, "import", "/dev/null")
    c.check(r.returncode == 0, f"empty import: {r.stderr!r}")
    follow = os.path.join(tmp, "console", "vm1.log")
    os.mkdir(os.path.dirname(follow))
    with open(follow, "w") as f:
        f.write(dh.many_reports_log(1))
    fault = os.path.join(tmp, "fault-pages")
    with open(fault, "w") as f:
        f.write("0\n")
    d = FullDaemon(lockdepd, db, follow, tmp, env={"LOCKDEP_STORE_FAULT_PAGES": fault})
    if not c.check(d.port, f"lockdepd with the web server did not start: {d.log()}"):
        return
    dh.wait_until(lambda: dh.db_query(db, "SELECT count(*) FROM reports")[0][0] >= 4, 20)
    st, body, _ = get_once(d.port, "/healthz")
    h = json.loads(body) if st == 200 and body.startswith(b"{") else {}
    src = h.get("sources") or [{}]
    c.check(st == 200 and h.get("status") == "ok" and h.get("database", {}).get("ok") is True,
            f"/healthz on a running lockdepd: {st} {body[:300]!r}")
    c.check(len(src) == 1 and src[0].get("name") == f"file:{follow}" and src[0].get("state") == "ok" and
            src[0].get("reports") == 4 and src[0].get("last_stored"), f"the source's state: {src}")
    pages = dh.db_query(db, "PRAGMA page_count")[0][0]
    with open(fault, "w") as f:
        f.write(f"{pages}\n")
    with open(follow, "a") as f:
        f.write(dh.many_reports_log(1, base_usec=900000000))
    h = dh.wait_until(lambda: (lambda x: x if x.get("status") == "degraded" else None)(
        json.loads(get_once(d.port, "/healthz")[1] or b"{}")), 15)
    c.check(h and h["sources"][0]["state"] == "retrying" and h["sources"][0]["error"],
            f"/healthz while storing fails: {h}")
    with open(fault, "w") as f:
        f.write("0\n")
    dh.wait_until(lambda: dh.db_query(db, "SELECT count(*) FROM reports")[0][0] >= 8, 20)
    h = dh.wait_until(lambda: (lambda x: x if x.get("status") == "ok" else None)(
        json.loads(get_once(d.port, "/healthz")[1] or b"{}")), 15)
    n = dh.db_query(db, "SELECT count(*) FROM reports")[0][0]
    c.check(h and h["sources"][0]["reports"] == n == 8, f"/healthz once storing works again ({n} stored): {h}")
    d.p.send_signal(signal.SIGTERM)
    c.check(d.p.wait(20) == 0, "clean exit after SIGTERM")

    srv = webtest.Server(lockdepd, db)
    st, body, _ = get_once(srv.port, "/healthz")
    c.check(st == 200 and json.loads(body)["sources"] == [], f"--web-only /healthz: {st} {body!r}")
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("DROP TABLE reports")
    con.close()
    st, body, _ = get_once(srv.port, "/healthz")
    h = json.loads(body) if body.startswith(b"{") else {}
    c.check(st == 503 and h.get("status") == "error" and "reports" in (h.get("database", {}).get("error") or ""),
            f"/healthz when the database cannot answer: {st} {body[:300]!r}")
    srv.stop()


# ---- identity (item 14) --------------------------------------------------------------------------

def part_identity(c, lockdepd, ctl, tmp):
    for how in ("replaced", "deleted"):
        sub = os.path.join(tmp, how)
        os.makedirs(os.path.join(sub, "console"))
        db = os.path.join(sub, "lockdep.db")
        follow = os.path.join(sub, "console", "vm1.log")
        with open(follow, "w") as f:
            f.write(dh.many_reports_log(1))
        d = FullDaemon(lockdepd, db, follow, sub)
        if not c.check(d.port, f"lockdepd did not start: {d.log()}"):
            continue
        dh.wait_until(lambda: dh.db_query(db, "SELECT count(*) FROM reports")[0][0] >= 4, 20)
        c.check(get_once(d.port, "/healthz")[0] == 200, f"{how}: /healthz before")
        if how == "replaced":
            other = os.path.join(sub, "other.db")
            shutil.copy(db, other)
            os.rename(other, db)
        else:
            os.unlink(db)
        t = time.monotonic()
        try:
            rc = d.p.wait(15)
        except subprocess.TimeoutExpired:
            rc = None
        c.check(rc == 1, f"database {how} under lockdepd: exit status {rc} after {time.monotonic() - t:.1f}s")
        c.check(re.search(rf"the database file {re.escape(db)} was {how}", d.log()),
                f"{how}: the message names the file: {d.log()[-400:]!r}")
        if rc is None:
            d.p.kill()


# ---- notices (item 7) ----------------------------------------------------------------------------

def part_notices(c, lockdepd, ctl, tmp):
    db = os.path.join(tmp, "notices.db")
    r = dh.ctl(ctl, db, "import", "/dev/null")
    c.check(r.returncode == 0, f"empty import: {r.stderr!r}")
    pages = dh.db_query(db, "PRAGMA page_count")[0][0]
    fault = os.path.join(tmp, "fault-pages")
    with open(fault, "w") as f:
        f.write(f"{pages + 6}\n")  # room for a few reports of the batch, not for all of them
    follow = os.path.join(tmp, "console", "vm1.log")
    os.mkdir(os.path.dirname(follow))
    with open(follow, "w") as f:
        f.write(dh.many_reports_log(3))
    d = dh.Daemon(lockdepd, db, ["--no-kmsg", "--no-journal", "--follow", follow], tmp,
                  env={"LOCKDEP_STORE_FAULT_PAGES": fault}).start()
    c.check(d.wait_log(r"storing reports failed", 20), f"storing fails on the full disk: {d.log()}")
    time.sleep(4.5)  # four retries or so
    with open(fault, "w") as f:
        f.write("0\n")
    c.check(d.wait_log(r"storing works again", 20), "storing works again")
    time.sleep(1)
    groups = dh.db_query(db, "SELECT id FROM groups ORDER BY id")
    notices = re.findall(r"New lockdep report group (\d+):", d.log())
    c.check(len(groups) == 4, f"groups stored: {len(groups)}")
    c.check(sorted(int(n) for n in notices) == [g for (g,) in groups],
            f"each group announced once, after its commit: {notices} for {groups}")
    c.check(d.stop() == 0, "clean exit after SIGTERM")


# ---- encoding (item 12) --------------------------------------------------------------------------

def part_encoding(c, lockdepd, ctl, tmp):
    import gzip
    db = os.path.join(tmp, "enc.db")
    r = dh.ctl(ctl, db, "import", "/dev/null")
    srv = webtest.Server(lockdepd, db)
    plain = dh.many_reports_log(3).encode()
    want = len(dh.lt.run_parse(ctl, data=plain))
    c.check(want == 12, f"test input: {want} reports")
    n = lambda: dh.db_query(db, "SELECT count(*) FROM reports")[0][0]

    def post(body, enc, host):
        h = {"Authorization": f"Bearer {srv.token}"}
        if enc:
            h["Content-Encoding"] = enc
        st, _, b = srv.request("POST", f"/api/v1/ingest?host={host}", body=body, headers=h, timeout=60)
        return st, json.loads(b) if b.startswith(b"{") else b

    st, x = post(gzip.compress(plain), "gzip", "gz")
    c.check(st == 201 and x.get("stored") == want, f"gzip body: {st} {str(x)[:200]}")
    st, x = post(gzip.compress(plain), "x-gzip", "gz")
    c.check(st == 200 and x.get("stored") == 0 and x.get("duplicates") == want, f"x-gzip, the same again: {st} {str(x)[:200]}")
    zstd = shutil.which("zstd")
    if zstd:
        z = subprocess.run([zstd, "-q", "-c"], input=plain, capture_output=True, check=True).stdout
        st, x = post(z, "zstd", "zst")
        c.check(st == 201 and x.get("stored") == want, f"zstd body: {st} {str(x)[:200]}")
    gz = gzip.compress(plain)
    before = n()
    st, x = post(gz[:len(gz) * 2 // 3], "gzip", "cut")
    after = n()
    c.check(st == 400 and b"ends early" in (x if isinstance(x, bytes) else json.dumps(x).encode()),
            f"gzip body cut off: {st} {str(x)[:200]}")
    c.check(0 < after - before < want, f"the reports before the cut are stored: {after - before}")
    for enc in ("br", "deflate", "gzip, br", "compress"):
        before = n()
        st, x = post(gzip.compress(plain), enc, "refused")
        c.check(st == 415 and n() == before, f"Content-Encoding: {enc}: {st}, {n() - before} stored")
    st, x = post(plain, "identity", "plain")
    c.check(st == 201 and x.get("stored") == want, f"identity: {st}")
    c.check(srv.stop() == 0, "clean exit after SIGTERM")


PARTS = {"query": part_query, "encoding": part_encoding, "keepalive": part_keepalive, "slowloris": part_slowloris, "writer": part_writer,
         "health": part_health, "identity": part_identity, "notices": part_notices}


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in PARTS:
        sys.exit(__doc__)
    lockdepd, ctl, part = sys.argv[1:4]
    c = webtest.Checker()
    tmp = tempfile.mkdtemp(prefix="lockdep-rel-")
    try:
        PARTS[part](c, lockdepd, ctl, tmp)
    finally:
        dh._cleanup()
        webtest._cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    c.done()


if __name__ == "__main__":
    main()
