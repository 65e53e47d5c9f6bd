#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""POST /api/v1/ingest and `lockdepctl push` (usage: test-fleet-ingest.py LOCKDEPD LOCKDEPCTL).

Covers, against `lockdepd --web-only` on 127.0.0.1 and an empty database checked with sqlite3:
lockdepctl push (text and --json answers, source "ingest:RUN", the boot derived from run and
release, --kernel for a report without one, --boot-id, stdin); the same push three times stores once
and answers the same report ids; the client's retries (a dropped connection and a 503 before the
real server answers: stored once); 50 concurrent clients pushing different and identical logs (the
database holds exactly what `lockdepctl import` of the distinct logs holds, and the answers add up);
401 for a missing or wrong token, 400 for a missing or bad host, 405 for GET, 413 for an oversized
body (with Content-Length and chunked), nothing stored by any of them; random bytes, invalid UTF-8
and NULs answered 200 with nothing stored while the server keeps serving; the search index is up to
date after the pushes. Standard library only; stops its server by itself.
"""

import concurrent.futures
import http.client
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest as wt  # noqa: E402

lockdepd, ctl = sys.argv[1:3]
GOLDEN = wt.GOLDEN
CASES = sorted(os.path.join(GOLDEN, f) for f in os.listdir(GOLDEN) if f.endswith(".txt"))
c = wt.Checker()

tmp = tempfile.mkdtemp(prefix="lockdep-ingest-")
db = os.path.join(tmp, "lockdep.db")
subprocess.run([ctl, "--db", db, "import", "/dev/null"], check=True, capture_output=True)
srv = wt.Server(lockdepd, db)
url = f"http://127.0.0.1:{srv.port}"
token_file = os.path.join(tmp, "web-token")
sql = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
sql.create_function("lockdep_parsed", 1, lambda v: zlib.decompress(v).decode() if isinstance(v, bytes) else v)


def n_reports():
    return sql.execute("SELECT count(*) FROM reports").fetchone()[0]


def push(*args, input=None):
    return subprocess.run([ctl, "push", "--url", url, "--token-file", token_file, *args], input=input,
                          capture_output=True, timeout=120)


def ingest(body, query="host=raw", token=None, headers=None):
    h = {"Authorization": f"Bearer {token or srv.token}", **(headers or {})}
    st, _, b = srv.request("POST", "/api/v1/ingest" + (f"?{query}" if query else ""), body=body, headers=h)
    return st, (json.loads(b) if b.startswith(b"{") else b)


def n_parsed(path):
    out = subprocess.run([ctl, "parse", "--json", path], check=True, capture_output=True).stdout
    return sum(1 for line in out.splitlines() if line.strip())


# ---- lockdepctl push ----
a, b = CASES[0], CASES[1]
r = push("--host", "ci-1", "--run", "run-1", "--json", a, b)
answers = [json.loads(line) for line in r.stdout.splitlines()]
c.check(r.returncode == 0 and len(answers) == 2, f"push --json two files: exit {r.returncode} {r.stderr[:200]!r}")
c.check(all(x["stored"] == n_parsed(p) and x["duplicates"] == 0 and len(x["reports"]) == x["stored"]
            for x, p in zip(answers, (a, b))), "stored what the parser finds, one id per report")
ids = answers[0]["reports"] + answers[1]["reports"]
rows = sql.execute("SELECT r.source, b.boot_id, b.kernel, h.hostname FROM reports r JOIN boots b ON b.id = r.boot "
                   "JOIN hosts h ON h.id = b.host WHERE r.id = ?", (ids[0],)).fetchall()
c.check(rows and rows[0][0] == "ingest:run-1" and rows[0][3] == "ci-1", f"source and host recorded: {rows}")
c.check(rows and rows[0][1] == f"run:run-1/{rows[0][2]}", f"boot derived from run and release: {rows}")
r = push("--host", "ci-1", "--run", "run-1", b)
c.check(r.returncode == 0 and b"0 reports stored" in r.stdout and b"already stored" in r.stdout,
        f"text answer for a repeated push: {r.stdout!r}")

# a report without a release gets --kernel; --boot-id is used as given; stdin
nokern = os.path.join(GOLDEN, "linux_report_35.txt")
r = push("--host", "ci-2", "--boot-id", "boot-35", "--kernel", "9.9.9-ingest", "--json", "-",
         input=open(nokern, "rb").read())
x = json.loads(r.stdout) if r.returncode == 0 else {}
c.check(x.get("stored") == 2, f"stdin push: {r.stdout!r} {r.stderr!r}")
kernels = sorted(k or "" for (k,) in sql.execute(
    "SELECT json_extract(lockdep_parsed(parsed), '$.kernel') FROM reports WHERE id IN (%s)" % ",".join(map(str, x.get("reports", [0])))))
c.check(kernels and "9.9.9-ingest" in kernels and all(kernels), f"--kernel fills the release a report lacks: {kernels}")
c.check(sql.execute("SELECT count(*) FROM boots WHERE boot_id = 'boot-35'").fetchone()[0] == 1, "--boot-id kept")

# ---- retries: the same push three times stores once ----
log = open(CASES[2], "rb").read()
before = n_reports()
got = [ingest(log, "host=retry&run=r") for _ in range(3)]
c.check([g[0] for g in got] == [201, 200, 200], f"201 then 200, 200: {[g[0] for g in got]}")
c.check(got[0][1]["stored"] > 0 and all(g[1]["stored"] == 0 and g[1]["duplicates"] == got[0][1]["stored"]
                                         for g in got[1:]), "stored once, then duplicates")
c.check(all(g[1]["reports"] == got[0][1]["reports"] for g in got), "the same report ids every time")
c.check(n_reports() == before + got[0][1]["stored"], "the database holds it once")
got = [ingest(log, "host=retry-noboot") for _ in range(3)]  # no run, no boot id: one boot per release
c.check([g[1]["stored"] for g in got] == [got[0][1]["stored"], 0, 0] and got[0][1]["stored"] > 0,
        "without run and boot_id too")


# ---- the client retries: a dropped connection, a 503, then the real server ----
def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class FlakyProxy(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.n = 0

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.n += 1
                if self.n == 1:
                    continue  # dropped without an answer
                req = read_request(conn)
                if self.n == 2:
                    conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    continue
                with socket.create_connection(("127.0.0.1", srv.port)) as up:
                    up.sendall(req)
                    while True:
                        chunk = up.recv(65536)
                        if not chunk:
                            break
                        conn.sendall(chunk)


proxy = FlakyProxy()
proxy.start()
before = n_reports()
r = subprocess.run([ctl, "push", "--url", f"http://127.0.0.1:{proxy.port}", "--token-file", token_file, "--host",
                    "flaky", "--json", CASES[3]], capture_output=True, timeout=60)
x = json.loads(r.stdout) if r.returncode == 0 else {}
c.check(r.returncode == 0 and proxy.n == 3 and r.stderr.count(b"retrying") == 2,
        f"third attempt succeeds after a drop and a 503: exit {r.returncode}, {proxy.n} connections, {r.stderr!r}")
c.check(x.get("stored") == n_parsed(CASES[3]) and n_reports() == before + x["stored"], "stored once")
dead = socket.socket()  # bound, never listening: connections are refused
dead.bind(("127.0.0.1", 0))
r = subprocess.run([ctl, "push", "--url", f"http://127.0.0.1:{dead.getsockname()[1]}", "--token-file", token_file,
                    CASES[3]], capture_output=True, timeout=60)
dead.close()
c.check(r.returncode == 1 and r.stderr.count(b"retrying") == 2 and b"cannot reach" in r.stderr,
        f"gives up after three attempts: {r.stderr!r}")

# ---- 50 concurrent clients, different and identical logs ----
# 25 clients push 25 different logs (each its own host), 25 push one log as one host; nothing
# names a boot, so the boots are derived exactly as `lockdepctl import --host H` derives them.
jobs = [(CASES[10 + i], f"conc-{i}") for i in range(25)] + [(CASES[40], "conc-same")] * 25
random.Random(1).shuffle(jobs)
ref = os.path.join(tmp, "ref.db")
subprocess.run([ctl, "--db", ref, "import", "/dev/null"], check=True, capture_output=True)
for path, host in sorted(set(jobs)):
    subprocess.run([ctl, "--db", ref, "import", "--host", host, path], check=True, capture_output=True)
before = n_reports()
barrier = threading.Barrier(len(jobs))


def client(job):
    path, host = job
    body = open(path, "rb").read()
    barrier.wait(timeout=30)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    try:
        conn.request("POST", f"/api/v1/ingest?host={host}", body=body, headers={"Authorization": f"Bearer {srv.token}"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


with concurrent.futures.ThreadPoolExecutor(len(jobs)) as ex:
    results = list(ex.map(client, jobs))
c.check(all(st in (200, 201) for st, _ in results), f"all 50 answered: {sorted(set(st for st, _ in results))}")
want = sqlite3.connect(ref).execute("SELECT count(*) FROM reports").fetchone()[0]
key = ("SELECT h.hostname, b.boot_id, r.dedup_key FROM reports r JOIN boots b ON b.id = r.boot "
       "JOIN hosts h ON h.id = b.host WHERE h.hostname LIKE 'conc-%' ORDER BY 1, 2, 3")
c.check(n_reports() - before == want and sql.execute(key).fetchall() == sqlite3.connect(ref).execute(key).fetchall(),
        f"exactly the distinct reports: {n_reports() - before} stored, {want} expected")
stored = sum(x["stored"] for _, x in results)
pushed = sum(n_parsed(p) for p, _ in jobs)
c.check(stored == want and stored + sum(x["duplicates"] for _, x in results) == pushed,
        f"the answers add up: {stored} stored of {pushed} pushed")
c.check(len({tuple(x["reports"]) for (p, _), (_, x) in zip(jobs, results) if p == CASES[40]}) == 1,
        "identical pushes answer the same ids")

# ---- refused: token, host, method, size ----
before = n_reports()
st, x = ingest(log, "host=bad-token", token="0" * 64)
c.check(st == 401 and "token" in x.get("error", ""), f"wrong token: {st}")
st, _, _ = srv.request("POST", "/api/v1/ingest?host=no-token", body=log)
c.check(st == 401, f"no token: {st}")
st, x = ingest(log, "")
c.check(st == 400 and "host" in x.get("error", ""), f"missing host: {st} {x}")
st, x = ingest(log, "host=a%01b")
c.check(st == 400, f"control character in host: {st}")
st, x = ingest(log, None, headers={"X-Lockdep-Host": "hdr-host", "X-Lockdep-Run": "hdr"})
c.check(st == 201 and sql.execute("SELECT count(*) FROM reports r JOIN boots b ON b.id = r.boot JOIN hosts h "
                                  "ON h.id = b.host WHERE h.hostname = 'hdr-host' AND r.source = 'ingest:hdr'"
                                  ).fetchone()[0] == x["stored"], f"metadata in headers: {st}")
before = n_reports()
st, _, _ = srv.request("GET", "/api/v1/ingest?host=x")
c.check(st == 405, f"GET: {st}")


def raw(head, chunks=()):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
    try:
        s.sendall(head)
        for ch in chunks:
            s.sendall(b"%x\r\n%s\r\n" % (len(ch), ch))
        if chunks:
            s.sendall(b"0\r\n\r\n")
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
        return int(data.split(b" ", 2)[1]) if data else None
    finally:
        s.close()


auth = f"Authorization: Bearer {srv.token}\r\n".encode()
st = raw(b"POST /api/v1/ingest?host=big HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + b"Content-Length: %d\r\n\r\n" % (17 << 20))
c.check(st == 413, f"Content-Length over 16 MiB: {st}")
filler = (b"[    1.000000] nothing to see here " * 30 + b"\n") * 1000  # ~1 MiB
st = raw(b"POST /api/v1/ingest?host=big HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + b"Transfer-Encoding: chunked\r\n"
         b"Connection: close\r\n\r\n", [filler] * 17)
c.check(st == 413, f"chunked body over 16 MiB: {st}")
st = raw(b"POST /api/v1/ingest?host=big-ok HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + b"Transfer-Encoding: chunked\r\n"
         b"Connection: close\r\n\r\n", [filler] * 3 + [log])
c.check(st == 201, f"chunked body under the limit: {st}")
c.check(n_reports() == before + got[0][1]["stored"], "nothing stored by the refused requests")

# ---- garbage ----
rnd = random.Random(7)
before = n_reports()
bodies = {
    "random bytes": bytes(rnd.getrandbits(8) for _ in range(1 << 20)),
    "invalid UTF-8": b"\xff\xfe\xc0\xaf\xed\xa0\x80 WARNING: possible circular locking\xe2\x82\n" * 5000,
    "NULs": b"\0" * 100000 + b"\n[  1.0] \0\0 ======\0\n",
    "empty": b"",
    "a cut report": log[: len(log) // 3].replace(b"WARNING", b"W\xffRNING"),
}
for what, body in bodies.items():
    st, x = ingest(body, "host=garbage")
    c.check(st in (200, 201) and isinstance(x, dict), f"{what}: answered {st}")
    if what != "a cut report":
        c.check(x["stored"] == 0, f"{what}: nothing stored")
st, _, body = srv.request("GET", "/healthz")
c.check(st == 200 and json.loads(body)["status"] == "ok", "still serving")
st, x = ingest(open(CASES[5], "rb").read(), "host=after-garbage")
c.check(st == 201 and x["stored"] == n_parsed(CASES[5]), "and still storing")
c.check(srv.json("/api/v1/stats").get("fts_pending") == 0, "search index up to date")

c.check(srv.stop() == 0, "lockdepd stops cleanly")
sql.close()
if not c.failures:
    shutil.rmtree(tmp, ignore_errors=True)
c.done()
