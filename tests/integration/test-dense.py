#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Dense synthetic log against the generator's ground truth.

Covers: shared/bench/gen_corpus.py output (all four kinds, old/mid/new formats, console/caller/
dmesg/syslog prefixes, foreign lines interleaved into reports, reboots, decoy splats) parsed by
`lockdepctl parse --json`: every truth report is found at its header line, kind (truth 'rcu' =
'suspicious_rcu'), cycle (circular/recursive, modulo #N), first_line == header_line, last_line,
task, pid and kernel match; there are no extra reports; every report object follows the DESIGN.md
section 5 field types.

Usage: test-dense.py LOCKDEPCTL SHARED [--stdin] GEN_CORPUS_ARGS...
  e.g. test-dense.py build/cli/lockdepctl ../shared --size 30M --seed 7 --lockdep-every 60K --boot-every 1M
Exits 77 when SHARED/bench/gen_corpus.py is absent.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402

KIND = {"rcu": "suspicious_rcu"}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    ctl, shared = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    use_stdin = "--stdin" in args
    args = [a for a in args if a != "--stdin"]
    gen = os.path.join(shared, "bench", "gen_corpus.py")
    if not os.path.isfile(gen):
        lt.skip(f"{gen} not present")

    tmp = tempfile.mkdtemp(prefix="lockdep-dense-")
    try:
        path = os.path.join(tmp, "dense.log")
        subprocess.run([sys.executable, gen, *args, "-o", path], check=True, capture_output=True, timeout=600)
        truth = json.load(open(path + ".truth.json", encoding="utf-8"))
        print(f"generated {truth['bytes']} bytes, {truth['lines']} lines, {truth['report_count']} reports "
              f"{truth['counts_by_kind']}, {truth['boots']} boots")
        c = lt.Checker("dense " + " ".join(args))
        try:
            if use_stdin:
                with open(path, "rb") as f:
                    reps = lt.run_parse(ctl, data=f.read(), timeout=600)
            else:
                reps = lt.run_parse(ctl, path, timeout=600)
        except lt.ParseError as e:
            c.check(False, str(e))
            c.finish()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    c.eq(len(truth["reports"]), truth["report_count"], "truth file consistency")
    by_line = {}
    for i, r in enumerate(reps):
        for e in lt.contract_errors(r):
            c.check(False, f"report {i} (line {r.get('first_line')}): {e}")
        by_line.setdefault(r.get("first_line"), []).append(r)
    firsts = [r.get("first_line") for r in reps]
    c.check(firsts == sorted(firsts), "reports are not in input order")

    found = 0
    for t in truth["reports"]:
        h = t["header_line"]
        kind = KIND.get(t["kind"], t["kind"])
        where = f"truth report {t['id']} ({kind}, {t['format']}/{t['style']}, header line {h})"
        got = by_line.get(h)
        if not c.check(bool(got), f"{where}: not found"):
            continue
        c.check(len(got) == 1, f"{where}: {len(got)} reports start at this line")
        r = got[0]
        found += 1
        c.eq(r.get("kind"), kind, f"{where}: kind")
        if kind in ("circular", "recursive"):
            c.eq(lt.norm(r.get("cycle")), lt.norm(t["cycle"]), f"{where}: cycle (mod #N)")
        c.eq(r.get("first_line"), h, f"{where}: first_line")
        c.eq(r.get("last_line"), t["last_line"], f"{where}: last_line")
        c.eq(r.get("task"), t["task"], f"{where}: task")
        c.eq(r.get("pid"), t["pid"], f"{where}: pid")
        c.eq(r.get("kernel"), t["kernel"], f"{where}: kernel")
        c.eq(r.get("truncated"), False, f"{where}: truncated")
    truth_lines = {t["header_line"] for t in truth["reports"]}
    extra = [r for r in reps if r.get("first_line") not in truth_lines]
    c.check(not extra, f"{len(extra)} reports not in the truth file, e.g. "
            + "; ".join(f"line {r.get('first_line')} {r.get('kind')} {r.get('title')!r}" for r in extra[:5]))
    print(f"{found}/{len(truth['reports'])} truth reports found, {len(reps)} reports parsed")
    c.finish()


if __name__ == "__main__":
    main()
