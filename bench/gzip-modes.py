#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The gzip decoder's modes against the console parse, in one run (issue 10's gzip row).

  bench/gzip-modes.py LOCKDEPCTL [RUNS]      (default RUNS 5; needs the files of bench/renderings.py)

Best wall-clock time of RUNS runs of `lockdepctl parse --json` of bench-data/r-console-300M.log and
of its .gz in each mode (LOCKDEP_GUNZIP_THREADS=0: the old sequential pipeline; the default: the
in-order thread alone; =2: with the speculative thread; speculation forced), the ratio to the console run, and the decoder's
statistics line (LOCKDEP_GUNZIP_STATS=1: pieces, bytes, CPU time per thread) of the best run.
Prints bench/RESULTS.md table rows.
"""
import os
import subprocess
import sys
import time

if len(sys.argv) < 2:
    sys.exit(__doc__)
ctl = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
base = os.path.join(REPO, "bench-data", "r-console-300M.log")
gz = base + ".gz"
modes = [("console", base, {}),
         ("gzip sequential (THREADS=0)", gz, {"LOCKDEP_GUNZIP_THREADS": "0"}),
         ("gzip in-order thread only (default)", gz, {}),
         ("gzip with speculation (THREADS=2)", gz, {"LOCKDEP_GUNZIP_THREADS": "2"}),
         ("gzip with speculation forced (THREADS=2, LATE=1000000, MIN_CPUS_PERCENT=0)", gz,
          {"LOCKDEP_GUNZIP_THREADS": "2", "LOCKDEP_GUNZIP_LATE": "1000000",
           "LOCKDEP_GUNZIP_MIN_CPUS_PERCENT": "0"})]
for _ in range(2):
    for p in (base, gz):
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass
best = {m[0]: None for m in modes}
stats = {}
for r in range(runs):
    for name, path, env in modes:
        e = dict(os.environ, LC_ALL="C", LOCKDEP_GUNZIP_STATS="1", **env)
        t0 = time.perf_counter()
        p = subprocess.run([ctl, "parse", "--json", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e)
        dt = time.perf_counter() - t0
        assert p.returncode == 0, p.stderr
        if best[name] is None or dt < best[name]:
            best[name] = dt
            stats[name] = p.stderr.decode().strip()
la = open("/proc/loadavg").read().split()[:3]
print(f"best of {runs}, load average {' '.join(la)}")
c = best["console"]
for name, _, _ in modes:
    print(f"| {name} | {best[name]:.3f} s | {300000296 / best[name] / 1e6:.0f} MB/s | {c / best[name]:.2f} | {stats.get(name, '')} |")
