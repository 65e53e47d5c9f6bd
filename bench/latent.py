#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/latent.py BUILD_DIR WORKDIR [--boots N] [--edges N] [--union N]: latent cycles at fleet size.

A synthetic fleet of one kernel release (tests/integration/latentgen.py's rule: every boot's
dependencies come from one global order of classes, so the union is acyclic, plus cycles planted
across boots): --boots boots (default 10,000) of --edges dependencies each (default 20,000), mostly
identical: a core of --core (default 19,000) that every boot has, plus the rest drawn at random
from the other dependencies of a union of --union (default 60,000). Membership drawn at random is
the worst case for the run-length sets of boots (a real fleet's boots run the same suites in
turn); --core 15000 makes it worse still. Each boot's /proc/lockdep text goes through the real path: `lockdepctl import --kernel`,
one snapshot per boot (100 files per call), each stored in its own transaction and followed by the
analysis of the release, as lockdepd does with the spool.

Printed (and to be copied into bench/RESULTS.md with the command line):
- ingest: snapshots/s and dependencies/s over the whole run (process starts included),
- bytes on disk (after a WAL checkpoint) per distinct dependency and per dependency sent, against
  the raw snapshot text: "about the union, not the sum" means bytes/union edge stays flat as boots
  are added,
- recompute: wall time of importing one more snapshot (store + analysis of the release: SCCs and
  cycles over the whole union), and of the analysis alone on a forced re-analysis,
- the latent list: p50/p99 of GET /api/v1/latent and /latent from `lockdepd --web-only` (500
  requests each, distinct query strings so no cache answers), with GET /healthz as the reference
  measured in the same run, and the ratio.
Found cycles are checked against the planted ones: a wrong answer fails the benchmark.
"""

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
from latentgen import canonical_cycle, snapshot_text  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("build")
ap.add_argument("work")
ap.add_argument("--boots", type=int, default=10000)
ap.add_argument("--edges", type=int, default=20000)
ap.add_argument("--union", type=int, default=60000)
ap.add_argument("--core", type=int, default=19000)
ap.add_argument("--classes", type=int, default=8000)
ap.add_argument("--seed", type=int, default=1)
a = ap.parse_args()

ctl = os.path.join(a.build, "cli", "lockdepctl")
lockdepd = os.path.join(a.build, "daemon", "lockdepd")
shutil.rmtree(a.work, ignore_errors=True)
os.makedirs(a.work)
db = os.path.join(a.work, "latent.db")
rng = random.Random(a.seed)
release = "6.12.0-bench"

names = ["&c%d->lock" % i for i in range(a.classes)]
pool = set()
while len(pool) < a.union:
    i, j = sorted(rng.sample(range(a.classes), 2))
    pool.add((names[i], names[j]))
pool = sorted(pool)
core_n = a.core
core, rest = pool[:core_n], pool[core_n:]
# the core's text once: a class may have several blocks, the parser takes them all
core_text = snapshot_text(rng, core, sorted({x for d in core for x in d}))

# planted: 5 cycles of 2..5 fresh classes, edges dealt to distinct boots
planted, extra = set(), {}
for c in range(5):
    k = 2 + c % 4
    cyc = ["&planted%d_%d->sem" % (c, i) for i in range(k)]
    owners = rng.sample(range(a.boots), k)
    for i in range(k):
        extra.setdefault(owners[i], []).append((cyc[i], cyc[(i + 1) % k]))
    planted.add(canonical_cycle(cyc))

snapdir = os.path.join(a.work, "snapshots")
os.makedirs(snapdir)
subprocess.run([ctl, "--db", db, "import", "/dev/null"], check=True, capture_output=True)
raw_bytes = sent = 0
t0 = time.time()
batch = []


def flush():
    global batch
    if batch:
        subprocess.run([ctl, "--db", db, "import", "--kernel", release, "--host", "bench", *batch], check=True,
                       capture_output=True)
        for f in batch:
            os.unlink(f)
        batch = []


for b in range(a.boots):
    var = rng.sample(rest, a.edges - core_n) + extra.get(b, [])
    deps = core + var
    text = core_text + snapshot_text(rng, var, sorted({x for d in var for x in d})).split("\n", 1)[1]
    raw_bytes += len(text)
    sent += len(deps)
    path = os.path.join(snapdir, "boot%06d.lockdep" % b)
    with open(path, "w") as f:
        f.write(text)
    batch.append(path)
    if len(batch) == 100:
        flush()
        if (b + 1) % 1000 == 0:
            print(f"  {b + 1} boots, {time.time() - t0:.0f} s", flush=True)
flush()
ingest_s = time.time() - t0

sql = sqlite3.connect(db)
sql.execute("PRAGMA wal_checkpoint(TRUNCATE)")
union = sql.execute("SELECT count(*) FROM dep_edges").fetchone()[0]
dep_pages = sql.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'dep_%' OR name LIKE 'sqlite_autoindex_dep_%'"
                        " OR name LIKE 'latent%'").fetchone()[0] if sql.execute(
    "SELECT count(*) FROM pragma_module_list WHERE name = 'dbstat'").fetchone()[0] else None
sql.close()
size = os.path.getsize(db)

js = json.loads(subprocess.run([ctl, "--db", db, "latent", "--json"], check=True, capture_output=True).stdout)
found = {tuple(c["classes"]) for c in js["cycles"]}
ok = found == planted

# recompute after one more snapshot: with one dependency never seen, so the release is analyzed
# again in full (SCCs of the whole union, cycles, containment)
deps = core + rng.sample(rest, a.edges - core_n) + [("&fresh->a", "&fresh->b")]
path = os.path.join(snapdir, "one-more.lockdep")
with open(path, "w") as f:
    f.write(snapshot_text(rng, deps, sorted({x for d in deps for x in d})))
t1 = time.time()
subprocess.run([ctl, "--db", db, "import", "--kernel", release, "--host", "bench", path], check=True,
               capture_output=True)
one_more = time.time() - t1

# the latent list over HTTP
srv = subprocess.Popen([lockdepd, "--web-only", "--db", db, "--config", "/dev/null", "--listen", "127.0.0.1:0"],
                       stderr=subprocess.PIPE, text=True)
port = None
deadline = time.time() + 30
while port is None and time.time() < deadline:
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", srv.stderr.readline())
    if m:
        port = int(m.group(1))


def lat(path, n=500):
    v = []
    for i in range(n):
        t = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}{'&' if '?' in path else '?'}n={i}") as r:
            r.read()
        v.append((time.perf_counter() - t) * 1000)
    v.sort()
    return statistics.median(v), v[int(len(v) * 0.99) - 1]


ref = lat("/healthz")
api = lat("/api/v1/latent")
page = lat("/latent")
srv.terminate()
srv.wait()

print(f"boots {a.boots}, dependencies per boot {a.edges}, union {union} (sent {sent})")
print(f"ingest: {ingest_s:.1f} s, {a.boots / ingest_s:.1f} snapshots/s, {sent / ingest_s:,.0f} dependencies/s")
print(f"disk: {size:,} bytes, {size / union:.0f} bytes per union dependency, {size / sent:.2f} per dependency sent;"
      f" raw snapshot text {raw_bytes:,} bytes ({raw_bytes / size:.0f}x the database)"
      + (f"; dep_* tables {dep_pages:,} bytes" if dep_pages else ""))
print(f"one more snapshot stored and analyzed: {one_more:.2f} s")
print(f"GET /healthz p50 {ref[0]:.2f} ms p99 {ref[1]:.2f} ms (reference)")
print(f"GET /api/v1/latent p50 {api[0]:.2f} ms p99 {api[1]:.2f} ms ({api[1] / ref[1]:.1f}x)")
print(f"GET /latent p50 {page[0]:.2f} ms p99 {page[1]:.2f} ms ({page[1] / ref[1]:.1f}x)")
print(f"planted cycles found: {'all, nothing else' if ok else f'WRONG: found {sorted(found)}'}")
sys.exit(0 if ok else 1)
