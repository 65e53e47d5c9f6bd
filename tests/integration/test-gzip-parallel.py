#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""gzip files through the parallel decoder (common/gunzip-par.c) give what the plain file gives.

The log: every report of ../shared/corpus/syzkaller (when present) and of tests/fixtures between
lines of a synthetic log of ../shared/bench/gen_corpus.py (when present; else filler lines), about
6 MB. Written as one gzip member (level 6 and 1), as members of 256 KiB of text each (as bgzip and
`cat a.gz b.gz` make them, one with a file name in its header) and as one member with a full flush
every 64 KiB (pigz -i). The decoder is run with small pieces (LOCKDEP_GUNZIP_LA/LB), on files of
any size (LOCKDEP_GUNZIP_MIN=0), with the speculative thread (LOCKDEP_GUNZIP_THREADS=2, not the
default), always waiting for its speculative pieces (LOCKDEP_GUNZIP_PATIENT=1),
also on a loaded machine (LOCKDEP_GUNZIP_MIN_CPUS_PERCENT=0),
so that much of the text comes from speculative pieces (LOCKDEP_GUNZIP_STATS says how much: checked).

  - `lockdepctl parse --json` of each: the same output as the plain file, exit 0, nothing on stderr
    but the statistics; for one member, text was decoded speculatively (pieces used > 0).
  - `lockdepctl import` of the .gz: the summary of the plain file's import into another database;
    the plain file after it: nothing new.
  - cut at 12 places: output, exit status and message the same as those of the sequential decoder
    (LOCKDEP_GUNZIP_THREADS=0) on the same file, exit 1 "ends early"; damaged (3 bytes flipped) at
    12 places: the same verdict as the sequential decoder (exit status, corrupt or cut), and exit 0
    only with the plain file's output.

Skipped (77) for a build without ISA-L (no "+isal" in --version).

Usage: test-gzip-parallel.py LOCKDEPCTL FIXTURE_DIR SHARED_DIR
"""

import gzip
import os
import random
import re
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402

PAR = {"LOCKDEP_GUNZIP_THREADS": "2", "LOCKDEP_GUNZIP_MIN": "0", "LOCKDEP_GUNZIP_LA": "65536", "LOCKDEP_GUNZIP_LB": "32768",
       "LOCKDEP_GUNZIP_LATE": "1000000", "LOCKDEP_GUNZIP_PATIENT": "1",
       "LOCKDEP_GUNZIP_MIN_CPUS_PERCENT": "0", "LOCKDEP_GUNZIP_STATS": "1"}
SEQ = {"LOCKDEP_GUNZIP_THREADS": "0"}
STATS = re.compile(rb"^gunzip: (\d+) pieces used.*\n", re.M)


def run(ctl, args, env=None, timeout=300):
    e = dict(os.environ, LC_ALL="C")
    e.update(env or {})
    return subprocess.run([ctl] + args, capture_output=True, env=e, timeout=timeout)


def build_log(fixtures, shared, d):
    reports = []
    for dirname in (os.path.join(shared, "corpus", "syzkaller"), fixtures):
        if os.path.isdir(dirname):
            for f in sorted(os.listdir(dirname)):
                if f.endswith(".txt") and f.startswith("linux_"):
                    with open(os.path.join(dirname, f), "rb") as fh:
                        reports.append(fh.read().rstrip(b"\n") + b"\n")
    gen = os.path.join(shared, "bench", "gen_corpus.py")
    filler = []
    if os.path.isfile(gen):
        base = os.path.join(d, "gen.log")
        subprocess.run([sys.executable, gen, "--size", "5M", "--seed", "3", "-o", base], check=True,
                       stdout=subprocess.DEVNULL)
        with open(base, "rb") as fh:
            filler = fh.read().splitlines(keepends=True)
    else:
        rng = random.Random(5)
        filler = [b"[%6d.%06d] eth0: link up, %d Mbps, queue %x\n" % (i // 100, i % 1000000, rng.choice((100, 1000)),
                                                                     rng.getrandbits(16)) for i in range(100000)]
    out, step = [], max(1, len(filler) // (len(reports) + 1))
    for i, r in enumerate(reports):
        out.append(b"".join(filler[i * step:(i + 1) * step]))
        out.append(r)
    out.append(b"".join(filler[len(reports) * step:]))
    return b"".join(out), len(reports)


def flushed(data, every):
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    out = [z.compress(data[i:i + every]) + z.flush(zlib.Z_FULL_FLUSH) for i in range(0, len(data), every)]
    return b"".join(out) + z.flush()


def members(data, every):
    parts = [gzip.compress(data[i:i + every], mtime=0) for i in range(0, len(data), every)]
    # one header with FNAME, as gzip(1) writes it
    p = bytearray(parts[1])
    p[3] |= 8
    parts[1] = bytes(p[:10]) + b"console.log\0" + bytes(p[10:])
    return b"".join(parts)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ctl, fixtures, shared = sys.argv[1:]
    if b"+isal" not in run(ctl, ["--version"]).stdout:
        lt.skip("built without ISA-L: no parallel gzip decoder")
    c = lt.Checker("gzip-parallel")
    with tempfile.TemporaryDirectory(prefix="lockdep-gzp-") as d:
        plain, n_reports = build_log(fixtures, shared, d)
        print(f"# log: {len(plain)} bytes, {n_reports} reports inserted")
        path = os.path.join(d, "console.log")
        with open(path, "wb") as f:
            f.write(plain)
        want = run(ctl, ["parse", "--json", path])
        c.eq(want.returncode, 0, "plain: exit status")
        n_want = len(lt.parse_ndjson(want.stdout))
        c.check(n_want >= n_reports, f"plain: {n_want} reports for {n_reports} inserted")
        files = {
            "one member -6": gzip.compress(plain, 6, mtime=0),
            "one member -1": gzip.compress(plain, 1, mtime=0),
            "members of 256 KiB": members(plain, 256 * 1024),
            "full flush every 64 KiB": flushed(plain, 64 * 1024),
        }
        for what, data in files.items():
            zpath = os.path.join(d, "console.log.gz")
            with open(zpath, "wb") as f:
                f.write(data)
            r = run(ctl, ["parse", "--json", zpath], PAR)
            stats = STATS.search(r.stderr)
            used = int(stats.group(1)) if stats else -1
            print(f"# {what}: {len(data)} bytes, {stats.group(0).decode().strip() if stats else 'no statistics'}")
            c.eq((r.returncode, r.stdout == want.stdout, STATS.sub(b"", r.stderr)), (0, True, b""),
                 f"{what}: exit status, output the same as the plain file's, stderr")
            if what.startswith("one member"):
                c.check(used > 0, f"{what}: no piece was decoded speculatively ({used})")
            if what == "one member -6":
                db, db_plain = os.path.join(d, "i.db"), os.path.join(d, "p.db")
                r = run(ctl, ["--db", db, "import", "--host", "h", zpath], PAR)
                p = run(ctl, ["--db", db_plain, "import", "--host", "h", path])
                c.check(r.returncode == 0 and p.returncode == 0 and r.stdout == p.stdout,
                        f"{what}: import {r.stdout!r} {r.stderr[-300:]!r}, of the plain file {p.stdout!r}")
                r = run(ctl, ["--db", db, "import", "--host", "h", path])
                c.check(b"0 reports stored" in r.stdout, f"{what}: the plain file after the .gz: {r.stdout!r}")
            # cuts and damage: whatever the sequential decoder makes of the same file
            rng = random.Random(len(data))
            for i in range(1, 13):
                cut = len(data) * i // 13
                for kind in ("cut", "damage"):
                    bad = bytearray(data[:cut] if kind == "cut" else data)
                    if kind == "damage":
                        at = rng.randrange(20, len(data) - 20)
                        for k in range(at, at + 3):
                            bad[k] ^= 0x5a
                    with open(zpath, "wb") as f:
                        f.write(bad)
                    r = run(ctl, ["parse", "--json", zpath], PAR)
                    s = run(ctl, ["parse", "--json", zpath], SEQ)
                    err = STATS.sub(b"", r.stderr)
                    where = f"{what}: {kind} at {cut if kind == 'cut' else at}"
                    if kind == "cut":
                        # all the text before the cut, from both
                        c.check((r.returncode, r.stdout, err) == (s.returncode, s.stdout, s.stderr),
                                f"{where}: parallel {r.returncode} {err!r}, sequential {s.returncode} {s.stderr!r}, "
                                f"outputs the same: {r.stdout == s.stdout}")
                    else:
                        # the same verdict (how much text of a damaged block or member comes before the
                        # error may differ: the sequential decoder drops its last 256 KiB piece)
                        def verdict(x, e):
                            return (x.returncode, b"corrupt gzip data" in e, b"ends early" in e)
                        c.eq(verdict(r, err), verdict(s, s.stderr), f"{where}: verdict ({err!r} / {s.stderr!r})")
                        c.check(r.returncode == 1 or r.stdout == want.stdout, f"{where}: exit 0 with other reports")
                    if kind == "cut":
                        c.check(r.returncode == 1 and b"ends early" in r.stderr,
                                f"{what}: cut at {cut}: exit {r.returncode} {r.stderr!r}")
    c.finish()


if __name__ == "__main__":
    main()
