#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Rendering invariance (issue 10): a report means the same whatever tool printed it.

Covers: every report file of shared/corpus/syzkaller/ and every console-form golden case
(tests/golden/cases/linux_*.txt), reduced to bare lines and re-rendered by lockdeptest.py in each
of lockdeptest.ALL_RENDERINGS (42: bare, console timestamps, caller ids, <N>, /dev/kmsg records,
every journalctl -o short* form and cat, RFC 3164/3339/5424 and busybox syslog, rsyslog #012, CRLF,
"> ", ">> ", "| " quoting, TAB, 4- and 8-space indentation, a ``` fence, dmesg -T/-x/-H/-e (also with
a decimal comma)/-d/--time-format=iso/--color, multi-line records with indented continuations, z/VM
"00: ", viewer line numbers, cat -n, quoted-printable, interleaving with another caller): the
(kind, signature, truncated) of every report is the same as in the "ts" rendering in 100% of cases.
Wrapped at 72 and at 80 columns (as mail clients do), each report gives the same result or is
flagged degraded; never a confident different signature.

Exemptions are listed below (EXEMPT) with their reasons and printed when used: 2 of 5,754 today.

With --distinct CASE.txt...: every report of each file has a signature of its own and none is
degraded (tests/golden/cases/fs-inode-pair.txt: the same circular report on XFS and on f2fs;
internal-four.txt: four different lockdep self-warnings after unrelated lines).

Usage: test-renderings.py LOCKDEPCTL SHARED GOLDEN_DIR [--wrap]   (exit 77 without SHARED)
       test-renderings.py LOCKDEPCTL --distinct CASE.txt...
"""

import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402

# (file, rendering or "*") -> reason
_QP_CONTEXT = ("the DEBUG_LOCKS_WARN_ON(...) line just before the title is longer than 76 columns with the "
               "syslog prefix, so the quoted-printable encoder soft-breaks it; the parser keeps one line of "
               "context before a title, so the key falls back to the lockdep function of the WARNING line "
               "(a stable, less specific key: 'WARNING in lock_release')")
EXEMPT = {
    ("syzkaller/linux_report_161.txt", "qp"): _QP_CONTEXT,
    ("cases/linux_report_161.txt", "qp"): _QP_CONTEXT,
}

MARKER = b"BUG: MAX_LOCKDEP_KEYS too low!\n"


def results(reps):
    return [(r.get("kind"), r.get("signature"), r.get("truncated")) for r in reps]


def parse_many(ctl, datas, tmp):
    """Parses each input as its own file in one lockdepctl run; a marker file between them splits
    the output. Returns one report list per input."""
    paths = []
    marker = os.path.join(tmp, "marker.log")
    with open(marker, "wb") as f:
        f.write(MARKER)
    for i, d in enumerate(datas):
        p = os.path.join(tmp, f"in-{i}.log")
        with open(p, "wb") as f:
            f.write(d)
        paths += [p, marker]
    r = subprocess.run([ctl, "parse", "--json", *paths], capture_output=True, timeout=1200)
    if r.returncode != 0:
        raise lt.ParseError(f"exit status {r.returncode}: {r.stderr[:500]!r}")
    out, cur = [], []
    for rep in lt.parse_ndjson(r.stdout):
        if rep.get("kind") == "capacity" and rep.get("message") == "BUG: MAX_LOCKDEP_KEYS too low!" \
                and rep.get("first_line") == 1 and rep.get("title") == MARKER.decode().strip():
            out.append(cur)
            cur = []
        else:
            cur.append(rep)
    if len(out) != len(datas):
        raise lt.ParseError(f"{len(out)} outputs for {len(datas)} inputs")
    return out


def sources(shared, golden):
    corpus = lt.shared_or_skip(shared)
    names = []
    for d, pick in ((corpus, lambda f: f.endswith(".txt")),
                    (golden, lambda f: f.startswith("linux_") and f.endswith(".txt"))):
        for f in sorted(os.listdir(d)):
            if pick(f):
                names.append((os.path.join(d, f), f"{os.path.basename(d)}/{f}"))
    return names


def distinct(ctl, cases):
    c = lt.Checker("distinct signatures")
    for case in cases:
        reps = lt.run_parse(ctl, case)
        sigs = [r.get("signature") for r in reps]
        c.check(len(reps) >= 2, f"{case}: {len(reps)} reports")
        c.eq(len(set(sigs)), len(sigs), f"{case}: distinct signatures ({[r.get('key') for r in reps]})")
        c.eq([r.get("degraded") for r in reps], [False] * len(reps), f"{case}: degraded")
    c.finish()


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "--distinct":
        distinct(sys.argv[1], sys.argv[3:])
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 3:
        sys.exit(__doc__)
    ctl, shared, golden = args
    wrap_mode = "--wrap" in sys.argv
    c = lt.Checker("renderings" + (" wrapped" if wrap_mode else ""))
    cases = []
    for path, name in sources(shared, golden):
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            lines = lt.bare_lines(f.read())
        if any("WARNING" in l or "BUG:" in l or "INFO:" in l for l in lines):
            cases.append((name, lines))
    styles = ["72", "80"] if wrap_mode else [s for s in lt.ALL_RENDERINGS if s != "ts"]
    n_reports = n_exempt = 0
    with tempfile.TemporaryDirectory(prefix="lockdep-render-") as tmp:
        for name, lines in cases:
            rng = random.Random(name)
            datas = [lt.render(lines, "ts", rng)]
            for s in styles:
                if wrap_mode:
                    datas.append(lt.wrap(lt.render(lines, "mail", rng), int(s)))
                else:
                    datas.append(lt.render(lines, s, rng, caller=f"T{rng.randrange(1, 99999)}"))
            try:
                outs = parse_many(ctl, datas, tmp)
            except lt.ParseError as e:
                c.check(False, f"{name}: {e}")
                continue
            ref = results(outs[0])
            n_reports += len(ref)
            if not c.check(len(ref) > 0, f"{name}: no report in the ts rendering"):
                continue
            for s, reps in zip(styles, outs[1:]):
                why = EXEMPT.get((name, s)) or EXEMPT.get((name, "*"))
                if why:
                    n_exempt += 1
                    print(f"exempt: {name} [{s}]: {why}")
                    continue
                got = results(reps)
                if wrap_mode:
                    ok = len(got) == len(ref) and all(
                        g == w or (r.get("degraded") is True and g[0] == w[0])
                        for g, w, r in zip(got, ref, reps))
                    c.check(ok, f"{name} wrapped at {s}: {got} vs {ref} "
                            f"(degraded {[r.get('degraded') for r in reps]}, keys {[r.get('key') for r in reps]} "
                            f"vs {[r.get('key') for r in outs[0]]})")
                else:
                    c.check(got == ref, f"{name} [{s}]: {got} != {ref} (keys {[r.get('key') for r in reps]} "
                            f"vs {[r.get('key') for r in outs[0]]})")
    print(f"{len(cases)} files, {n_reports} reports, {len(styles)} renderings each, {n_exempt} exempted")
    c.finish()


if __name__ == "__main__":
    main()
