#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Per-rendering throughput of `lockdepctl parse --json` against `grep -c` (issue 10).

  bench/renderings.py LOCKDEPCTL [SIZE]      (default SIZE 300M; BENCH_RUNS=3)

Generates one console log with ../shared/bench/gen_corpus.py (--styles console=1, seed 1), then
writes it again in each rendering: console (as generated), kmsg (/dev/kmsg records with \\xNN
escapes), syslog (RFC 3164 prefix before the console line), journalctl (-o short-precise: wall
clock, host, no kernel timestamp), dmesg -T ([Tue Jan 14 03:08:12 2025]), indented mail (4
blanks, a code block in a mail), gzip (gzip -6 of the console log, Python's zlib), xz (`xz -6
-T1`: one block, as xz writes by default) and zstd (`zstd -3`). For each: the best of
BENCH_RUNS wall-clock runs of `grep -c 'possible circular locking dependency' FILE` and of
`lockdepctl parse --json FILE > /dev/null` (for the compressed ones, grep reads the console
file: the same text), MB/s of the log's text (10^6 bytes of the uncompressed log per second), the ratio to
grep, the ratio to the console rate, peak RSS, and reports found against the truth sidecar.
Prints a bench/RESULTS.md table. Files go to bench-data/ (not committed).
BENCH_STYLES=gzip,xz runs only the named rows (console is always run: the reference).
"""

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(REPO, "..", "shared", "bench", "gen_corpus.py")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
ENV = dict(os.environ, LC_ALL="C")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def split(line):
    """'[   12.345678] text' -> (usec, text); None for other lines."""
    if line.startswith(b"[") and b"] " in line[:16]:
        i = line.index(b"] ")
        try:
            sec, frac = line[1:i].strip().split(b".")
            return int(sec) * 1000000 + int(frac), line[i + 2:]
        except ValueError:
            pass
    return None


def kmsg_escape(t):
    out = bytearray()
    for b in t:
        if b < 0x20 or b >= 0x7f or b == 0x5c:
            out += b"\\x%02x" % b
        else:
            out.append(b)
    return bytes(out)


def wall(usec):
    sec = 1736823492 + usec // 1000000
    tm = time.gmtime(sec)
    return tm, usec % 1000000


def render(style, line, seq):
    p = split(line)
    usec, text = p if p else (0, line)
    if style == "kmsg":
        return b"4,%d,%d,-;%s" % (seq, usec, kmsg_escape(text))
    if style == "syslog":
        tm, _ = wall(usec)
        return time.strftime("%b %d %H:%M:%S", tm).encode() + b" testbox kernel: " + line
    if style == "journalctl":
        tm, us = wall(usec)
        return time.strftime("%b %d %H:%M:%S", tm).encode() + b".%06d testbox kernel: " % us + text
    if style == "dmesg-T":
        tm, _ = wall(usec)
        return b"[" + time.strftime("%a %b %e %H:%M:%S %Y", tm).encode() + b"] " + text
    if style == "mail-indent":
        return b"    " + line
    raise ValueError(style)


def timed(argv, stdout):
    best, rss = None, 0
    for _ in range(RUNS):
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.DEVNULL, env=ENV)
        _, status, ru = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            sys.exit(f"{argv[0]} failed")
        best = dt if best is None else min(best, dt)
        rss = max(rss, ru.ru_maxrss)
    return best, rss


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    ctl = sys.argv[1]
    size = sys.argv[2] if len(sys.argv) > 2 else "300M"
    data = os.path.join(REPO, "bench-data")
    os.makedirs(data, exist_ok=True)
    base = os.path.join(data, f"r-console-{size}.log")
    if not os.path.exists(base + ".truth.json"):
        subprocess.run([sys.executable, GEN, "--size", size, "--seed", "1", "--styles", "console=1",
                        "-o", base], check=True, stdout=subprocess.DEVNULL)
    truth = json.load(open(base + ".truth.json"))["report_count"]
    files = {"console": base}
    for style in ("kmsg", "syslog", "journalctl", "dmesg-T", "mail-indent"):
        path = os.path.join(data, f"r-{style}-{size}.log")
        files[style] = path
        if os.path.exists(path):
            continue
        with open(base, "rb") as f, open(path + ".tmp", "wb") as out:
            for seq, line in enumerate(f, 1):
                out.write(render(style, line.rstrip(b"\n"), seq) + b"\n")
        os.rename(path + ".tmp", path)
    gz = os.path.join(data, f"r-console-{size}.log.gz")
    files["gzip"] = gz
    if not os.path.exists(gz):
        with open(base, "rb") as f, gzip.open(gz + ".tmp", "wb", compresslevel=6) as out:
            while True:
                b = f.read(1 << 22)
                if not b:
                    break
                out.write(b)
        os.rename(gz + ".tmp", gz)
    for style, argv in (("xz", ["xz", "-6", "-T1", "-c"]), ("zstd", ["zstd", "-3", "-q", "-c"])):
        path = f"{base}.{'xz' if style == 'xz' else 'zst'}"
        files[style] = path
        if not os.path.exists(path):
            with open(base, "rb") as f, open(path + ".tmp", "wb") as out:
                subprocess.run(argv, stdin=f, stdout=out, check=True)
            os.rename(path + ".tmp", path)
    only = os.environ.get("BENCH_STYLES")
    if only:
        files = {k: v for k, v in files.items() if k == "console" or k in only.split(",")}
    rows, console_rate = [], None
    with tempfile.TemporaryFile() as grep_out:
        for style, path in files.items():
            text = base if style in ("gzip", "xz", "zstd") else path
            for _ in range(2):  # warm the page cache
                with open(path, "rb") as f:
                    while f.read(1 << 24):
                        pass
            g, _ = timed(["grep", "-c", "possible circular locking dependency", text], grep_out)
            t, rss = timed([ctl, "parse", "--json", path], subprocess.DEVNULL)
            out = subprocess.run([ctl, "parse", "--json", path], capture_output=True, env=ENV).stdout
            found = out.count(b"\n")
            nbytes = os.path.getsize(text)
            rate = nbytes / t / 1e6
            if style == "console":
                console_rate = rate
            rows.append((style, nbytes, nbytes / g / 1e6, rate, g / t, rate / console_rate, rss / 1024, found))
    print("| rendering | text bytes | grep -c MB/s | parse MB/s | ratio to grep | vs console | peak RSS MiB | reports |")
    print("|---|---|---|---|---|---|---|---|")
    for style, nbytes, gr, pr, ratio, vs, rss, found in rows:
        print(f"| {style} | {nbytes} | {gr:.0f} | {pr:.0f} | {ratio:.3f} | {vs:.2f} | {rss:.1f} | {found}/{truth} |")


if __name__ == "__main__":
    main()
