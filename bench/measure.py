#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Throughput and peak RSS of `lockdepctl parse --json` against `grep -c`, in one run.

  measure.py LOCKDEPCTL FILE [LABEL]

Used by bench/parse.sh and bench/dense.sh (which generate FILE and FILE.truth.json). Warms the page
cache, then times `grep -c 'possible circular locking dependency' FILE` and
`LOCKDEPCTL parse --json FILE > /dev/null` (grep's output goes to a temporary file: GNU grep
stops at the first match when its output is /dev/null), best of BENCH_RUNS (default 3) wall-clock runs each,
records the peak RSS of every parse run (wait4() rusage, so no /usr/bin/time needed), counts the
reports of one extra, untimed parse run and compares it with the truth sidecar's report_count.
Both commands run with LC_ALL=C. Prints a human summary and a RESULTS.md table row; the commit is
`git rev-parse --short HEAD` of this checkout (+"-dirty", or "uncommitted"), or $BENCH_COMMIT.
Exit status: 0 on success, 1 when a command fails.
"""

import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

GREP_PHRASE = "possible circular locking dependency"


def run(argv, stdout):
    """Runs argv once; returns (wall seconds, peak RSS KiB, exit status)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=ENV)
    err = p.stderr.read()  # drained before wait4(), so a chatty child cannot stall on a full pipe
    p.stderr.close()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if err:
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return wall, ru.ru_maxrss, p.returncode


def best_of(argv, n, ok_codes=(0,), devnull=True):
    best, peak = None, 0
    for _ in range(n):
        with (open(os.devnull, "wb") if devnull else tempfile.TemporaryFile()) as out:
            wall, rss, rc = run(argv, out)
        if rc not in ok_codes:
            sys.exit(f"measure: {' '.join(argv)} exited with {rc}")
        best = wall if best is None else min(best, wall)
        peak = max(peak, rss)
    return best, peak


def git_commit(repo):
    def git(*a):
        return subprocess.run(["git", "-C", repo, *a], capture_output=True, text=True)
    r = git("rev-parse", "--short", "HEAD")
    if r.returncode != 0:
        return "uncommitted"
    dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return r.stdout.strip() + ("-dirty" if dirty else "")


def machine():
    model = platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cpus, {platform.system()} {platform.release()}"


def main():
    global ENV
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    ctl, path = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 else os.path.basename(path)
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ENV = dict(os.environ, LC_ALL="C")

    size = os.path.getsize(path)
    truth = json.load(open(path + ".truth.json"))
    want = truth.get("report_count", len(truth.get("reports", [])))

    # warm the page cache (twice: the first pass may evict the tail of a file near RAM size)
    for _ in range(2):
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass

    grep = ["grep", "-c", GREP_PHRASE, path]
    g = subprocess.run(grep, capture_output=True, text=True, env=ENV)
    if g.returncode not in (0, 1):
        sys.exit(f"measure: grep failed: {g.stderr}")
    grep_matches = int(g.stdout.strip() or 0)
    # not to /dev/null: GNU grep notices that and stops at the first match, even with -c
    grep_s, _ = best_of(grep, runs, ok_codes=(0, 1), devnull=False)

    parse = [ctl, "parse", "--json", path]
    parse_s, rss_kib = best_of(parse, runs)

    # one more, untimed run that keeps the output, to count the reports
    with tempfile.TemporaryFile() as out:
        _, rss2, rc = run(parse, out)
        if rc != 0:
            sys.exit(f"measure: {' '.join(parse)} exited with {rc}")
        out.seek(0)
        found = sum(1 for line in out if line.strip())
    rss_kib = max(rss_kib, rss2)

    gb = size / 1e9
    grep_gbs, parse_gbs = gb / grep_s, gb / parse_s
    ratio = parse_gbs / grep_gbs
    rss_mib = rss_kib / 1024
    date = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    # BENCH_COMMIT names the commit LOCKDEPCTL was built from when that is not this checkout
    commit = os.environ.get("BENCH_COMMIT") or git_commit(repo)

    print(f"file       {path}")
    print(f"bytes      {size}")
    print(f"grep -c    {grep_s:.3f} s  {grep_gbs:.2f} GB/s  (best of {runs}; {grep_matches} matching lines)")
    print(f"parse      {parse_s:.3f} s  {parse_gbs:.2f} GB/s  (best of {runs})")
    print(f"ratio      {ratio:.3f}  parse/grep  (target >= 0.65: {'met' if ratio >= 0.65 else 'NOT met'})")
    print(f"peak RSS   {rss_mib:.1f} MiB  (target < 64 MiB: {'met' if rss_mib < 64 else 'NOT met'})")
    print(f"reports    {found} found / {want} in the truth file"
          f"{'' if found == want else '  (MISMATCH)'}")
    print(f"machine    {machine()}")
    print(f"commit     {commit}")
    print("RESULTS.md row:")
    print(f"| {date} | {label} | {size} | {grep_gbs:.2f} | {parse_gbs:.2f} | {ratio:.3f} | {rss_mib:.1f} "
          f"| {found}/{want} | {commit} |")


ENV = None

if __name__ == "__main__":
    main()
