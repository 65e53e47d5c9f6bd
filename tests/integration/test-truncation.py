#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Truncation at EOF (issue 10): a report whose input ends inside it is flagged.

For every report of every golden case (tests/golden/cases) or corpus file
(../shared/corpus/syzkaller, skipped when absent), the input is cut at up to CUTS line boundaries
strictly inside the report (after its first line, before its last line) and everything after the
cut is removed. `lockdepctl parse --json` must then still give the report (same first_line) with
"truncated": true, or "degraded": true. The uncut input keeps its truncated values: those of the
golden .expected files, and for the corpus the files listed in CORPUS_TRUNCATED (every other corpus
report is complete); a change there is reviewed like a golden diff.

Exempt, and counted: a cut inside the last dump_stack() of a report without any <TASK> marker
(kernels before 5.16) at or after that dump's first frame. Such a trace has no end
marker, and its last frame cannot be told from one in the middle, so the parser counts it complete
from its first frame on (parser/assemble.c report_complete()).

Usage: test-truncation.py LOCKDEPCTL (--golden DIR | --corpus SHARED)
"""

import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402

CUTS = 30
# corpus files whose uncut reports are truncated (one value per report, in order)
CORPUS_TRUNCATED = {
    "linux_report_27.txt": [True], "linux_report_28.txt": [True], "linux_report_29.txt": [True],
    "linux_report_30.txt": [True], "linux_report_31.txt": [True], "linux_report_32.txt": [True],
    "linux_report_33.txt": [True], "linux_report_34.txt": [True], "linux_report_35.txt": [True, True],
    "linux_report_37.txt": [True], "linux_report_38.txt": [True], "linux_report_86.txt": [True],
    "linux_report_91.txt": [True], "linux_report_98.txt": [True], "linux_report_102.txt": [True],
    "linux_report_114.txt": [True], "linux_report_152.txt": [True], "linux_report_648.txt": [True],
    "linux_report_655.txt": [True], "linux_report_657.txt": [True], "linux_guilty_17.txt": [True],
    "linux_guilty_20.txt": [True], "linux_guilty_55.txt": [True],
}
# a frame: "func+0x1f/0x30", symbolized "func lib/x.c:16 [inline]", or an <IRQ>/<NMI> marker
FRAME = re.compile(rb"\+0x[0-9a-f]+/0x[0-9a-f]+|\s\S+\.[ch]:\d+(?: \[inline\])?\s*$|\s<(?:IRQ|NMI|SOFTIRQ|EOI)>\s*$")
HELD_HEADER = re.compile(rb"(?:^|\s)(\d+) locks? held by ")
HELD_ENTRY = re.compile(rb"(?:^|[\];:])\s*#\d+:\s")


def parse_files(ctl, paths):
    """Parses several files in one run; returns the NDJSON reports of all of them, in order."""
    r = subprocess.run([ctl, "parse", "--json", *paths], capture_output=True, timeout=300)
    if r.returncode != 0:
        raise lt.ParseError(f"lockdepctl parse {paths[0]}...: exit status {r.returncode}; "
                            f"stderr: {r.stderr.decode(errors='replace')[:500]}")
    return lt.parse_ndjson(r.stdout)


def cut_points(lines, first, last, qp):
    """Numbers k of the lines kept (1..k), first <= k < last: up to CUTS of them, evenly spread.
    In quoted-printable text the first line ends at the first physical line without a soft break."""
    while qp and first < last and lines[first - 1].rstrip(b"\r").endswith(b"="):
        first += 1
    ks = list(range(first, last))
    if len(ks) <= CUTS:
        return ks
    return sorted({ks[i * (len(ks) - 1) // (CUTS - 1)] for i in range(CUTS)})


def held_complete(lines, first, k):
    """Do lines first..k end in a held-lock list with as many entries as its header announced?
    That is the natural end of a return-to-user report, even where the input goes on (the golden
    case linux_report_258 lists one lock more than its header announces)."""
    kept = lines[first - 1:k]
    for i in range(len(kept) - 1, -1, -1):
        m = HELD_HEADER.search(kept[i])
        if m:
            entries = kept[i + 1:]
            return all(HELD_ENTRY.search(e) for e in entries) and len(entries) == int(m.group(1))
    return False


def exempt_from(lines, first, last):
    """The first k exempt for this report (see the docstring), or None: the first frame after the
    last "stack backtrace:" (after the title, for the kinds that print none)."""
    body = lines[first - 1:last]
    if any(b"<TASK>" in l for l in body):
        return None
    bt = [i for i, l in enumerate(body) if b"stack backtrace:" in l]
    for i in range(bt[-1] + 1 if bt else 1, len(body)):
        if FRAME.search(body[i]):
            return first + i
    return None


def check_file(c, ctl, path, name, want_uncut, tmp):
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    reps = lt.run_parse(ctl, path)
    if want_uncut is None:  # a corpus file not in CORPUS_TRUNCATED: every report complete
        want_uncut = [False] * len(reps)
    c.eq([r["truncated"] for r in reps], want_uncut, f"{name}: uncut truncated values")
    stats = {"cuts": 0, "exempt": 0, "held": 0}
    qp = b"=3D" in data
    for rep in reps:
        first, last = rep["first_line"], rep["last_line"]
        ks = cut_points(lines, first, last, qp)
        if not ks:
            continue
        ex = exempt_from(lines, first, last)
        paths = []
        for k in ks:
            p = os.path.join(tmp, f"cut-{k}.txt")
            with open(p, "wb") as f:
                f.write(b"\n".join(lines[:k]) + b"\n")
            paths.append(p)
        got = [r for r in parse_files(ctl, paths) if r["first_line"] == first]
        if len(got) != len(ks):  # a report vanished or split: one file at a time, to say which
            got = []
            for k, p in zip(ks, paths):
                g = [r for r in parse_files(ctl, [p]) if r["first_line"] == first]
                c.check(len(g) == 1, f"{name}: report at line {first}, cut after line {k}: "
                        f"{len(g)} reports start there, want 1")
                got.append(g[0] if g else None)
        for k, r in zip(ks, got):
            if r is None:
                continue
            if ex is not None and k >= ex:
                stats["exempt"] += 1
                continue
            if rep["kind"] == "return_to_user" and held_complete(lines, first, k):
                stats["held"] += 1
                continue
            stats["cuts"] += 1
            c.check(r["truncated"] or r["degraded"],
                    f"{name}: report at lines {first}-{last} ({rep['kind']}) cut after line {k}: "
                    f"not truncated (nor degraded); last line kept: {lines[k - 1][:100]!r}")
    return stats


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("--golden", "--corpus"):
        sys.exit(__doc__)
    ctl, mode, where = sys.argv[1:]
    c = lt.Checker(f"truncation {mode[2:]}")
    files = []
    if mode == "--golden":
        for f in sorted(os.listdir(where)):
            if f.endswith(".txt"):
                exp = json.load(open(os.path.join(where, f[:-4] + ".expected"), encoding="utf-8"))
                files.append((os.path.join(where, f), f, [r["truncated"] for r in exp]))
    else:
        d = lt.shared_or_skip(where)
        files = [(os.path.join(d, f), f, CORPUS_TRUNCATED.get(f)) for f in sorted(os.listdir(d))
                 if f.endswith(".txt")]
        names = {f for _, f, _ in files}
        for name in CORPUS_TRUNCATED:
            c.check(name in names, f"{name} (CORPUS_TRUNCATED) is not in the corpus: update the table")
    total = {"cuts": 0, "exempt": 0, "held": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for path, name, want in files:
            try:
                s = check_file(c, ctl, path, name, want, tmp)
            except lt.ParseError as e:
                c.check(False, str(e))
                continue
            for k in total:
                total[k] += s[k]
    c.check(total["cuts"] >= 100, f"only {total['cuts']} cuts checked")
    print(f"{len(files)} files, {total['cuts']} cuts checked, {total['exempt']} exempt "
          f"(inside a <TASK>-less trace after its first frame), {total['held']} at the natural end "
          f"of a held-lock list")
    c.finish()


if __name__ == "__main__":
    main()
