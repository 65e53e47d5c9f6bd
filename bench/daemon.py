#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Store and daemon benchmarks (issue 4), one run, numbers printed with the commands.

  daemon.py BUILD_DIR [BENCH_DATA_DIR]

1. import rate: `lockdepctl import` of the dense log (gen_corpus --size 300M --seed 7
   --lockdep-every 20K) into a fresh database: reports/s (target >= 5,000).
2. sparse import vs parse: the 1 GB sparse log (--size 1G --seed 1): `lockdepctl import` time over
   `lockdepctl parse --json` time on the same warm file (target <= 2).
3. follow latency: lockdepd --follow FILE; reports appended one at a time, the time until each
   is in the database (polled read-only every 10 ms): median and max (target median < 1 s).
4. idle: lockdepd with its sources idle for 10 s: context switches (wake-ups) and RSS (target:
   no wake-ups, RSS < 16 MiB).
"""
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
GEN = os.path.join(REPO, "..", "shared", "bench", "gen_corpus.py")


def gen(path, *args):
    if not os.path.exists(path):
        if not os.path.exists(GEN):
            sys.exit(f"daemon.py: {GEN} not found (../shared missing)")
        subprocess.run([sys.executable, GEN, *args, "-o", path], check=True)
    return path


def timed(argv, **kw):
    t = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def count(db):
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return c.execute("SELECT count(*) FROM reports").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        c.close()


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "build")
    data = sys.argv[2] if len(sys.argv) > 2 else os.path.join(REPO, "bench-data")
    os.makedirs(data, exist_ok=True)
    ctl = os.path.join(build, "cli", "lockdepctl")
    daemon = os.path.join(build, "daemon", "lockdepd")
    tmp = tempfile.mkdtemp(prefix="bench-daemon-")

    dense = gen(os.path.join(data, "d300.log"), "--size", "300M", "--seed", "7", "--lockdep-every", "20K")
    warm(dense)
    db = os.path.join(tmp, "dense.db")
    t = timed([ctl, "--db", db, "import", dense])
    n = count(db)
    print(f"import dense: {n} reports in {t:.2f} s = {n / t:.0f} reports/s  "
          f"({ctl} --db DB import {os.path.basename(dense)})")

    sparse = gen(os.path.join(data, "c1g.log"), "--size", "1G", "--seed", "1")
    warm(sparse)
    tp = min(timed([ctl, "parse", "--json", sparse]) for _ in range(3))
    ti = []
    for i in range(3):
        ti.append(timed([ctl, "--db", os.path.join(tmp, f"sparse{i}.db"), "import", sparse]))
    print(f"sparse 1 GB: parse {tp:.3f} s, import {min(ti):.3f} s, ratio import/parse {min(ti) / tp:.2f}")

    # follow latency
    log = os.path.join(tmp, "vm1.log")
    open(log, "w").close()
    fdb = os.path.join(tmp, "follow.db")
    p = subprocess.Popen([daemon, "--db", fdb, "--no-kmsg", "--no-journal", "--no-web", "--follow", log],
                         stderr=subprocess.DEVNULL)
    time.sleep(1)
    reports = open(dense, errors="replace").read(6_000_000).split("\n")
    starts = [i for i, l in enumerate(reports) if "=====" in l and i + 1 < len(reports)
              and "WARNING: possible" in reports[i + 1]]
    lat = []
    with open(log, "a") as f:
        for a, b in zip(starts[:30], starts[1:31]):
            before = count(fdb)
            f.write("\n".join(reports[a:b]) + "\n")
            f.flush()
            t0 = time.perf_counter()
            while count(fdb) <= before and time.perf_counter() - t0 < 10:
                time.sleep(0.01)
            lat.append(time.perf_counter() - t0)
    print(f"follow latency over {len(lat)} reports: median {statistics.median(lat) * 1000:.0f} ms, "
          f"max {max(lat) * 1000:.0f} ms")

    # idle
    time.sleep(2)

    def ctxt(pid):
        with open(f"/proc/{pid}/status") as f:
            d = dict(l.split(":", 1) for l in f if ":" in l)
        return int(d["voluntary_ctxt_switches"]) + int(d["nonvoluntary_ctxt_switches"]), d["VmRSS"].strip()
    c0, _ = ctxt(p.pid)
    time.sleep(10)
    c1, rss = ctxt(p.pid)
    print(f"idle lockdepd: {c1 - c0} context switches in 10 s, RSS {rss}")
    p.terminate()
    p.wait()


if __name__ == "__main__":
    main()
