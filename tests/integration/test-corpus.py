#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Corpus checks against shared/corpus/syzkaller/MANIFEST.tsv.

Covers: for each corpus file, `lockdepctl parse --json FILE` exits 0 with valid NDJSON whose
objects follow the DESIGN.md section 5 contract; the first report's kind is MANIFEST
`lockdep_kind` (the part before '+'; all kinds in order when there are several); circular chains
equal `dep_chain` modulo #N (and chain[].n follows #k); the acquiring/holding classes of circular
and recursive reports equal the `locks` column; the report count equals `n_reports_in_file`.
Files marked corrupted=yes only need: no crash and >= 1 report (when a kind is listed).
Also the signature pairs (185 = 187, 189 = 190, 185 != 188, 188 != 234) and a run of the shared
tools/check-parse script.

Usage:
  test-corpus.py LOCKDEPCTL SHARED --file NAME     one corpus file
  test-corpus.py LOCKDEPCTL SHARED --all           every file (one summary)
  test-corpus.py LOCKDEPCTL SHARED --pairs         signature pairs
  test-corpus.py LOCKDEPCTL SHARED --check-parse [corpus|dense]
Exits 77 (skip) when SHARED/corpus/syzkaller is absent.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402


def manifest(corpus):
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(corpus, "MANIFEST.tsv"), encoding="utf-8")]
    col = {n: i for i, n in enumerate(rows[0])}
    return {r[col["file"]]: {n: (r[i] if i < len(r) else "") for n, i in col.items()} for r in rows[1:] if r and r[0]}


def check_file(c, ctl, corpus, name, row):
    path = os.path.join(corpus, name)
    try:
        reps = lt.run_parse(ctl, path)
    except lt.ParseError as e:
        c.check(False, str(e))
        return
    except subprocess.TimeoutExpired:
        c.check(False, f"{name}: lockdepctl timed out")
        return
    for i, r in enumerate(reps):
        for e in lt.contract_errors(r):
            c.check(False, f"{name} report {i}: {e}")
    kinds = [k for k in row["lockdep_kind"].split("+") if k]
    if not kinds:
        return
    if not c.check(len(reps) >= 1, f"{name}: no report found (manifest kind {row['lockdep_kind']})"):
        return
    if row["corrupted"] == "yes":
        return  # damaged excerpts: no crash and a report is all we require
    first = reps[0]
    c.eq(first.get("kind"), kinds[0], f"{name}: kind of the first report")
    if len(kinds) > 1:
        c.eq([r.get("kind") for r in reps], kinds, f"{name}: kinds of all reports")
    try:
        n_want = int(row["n_reports_in_file"])
    except ValueError:
        n_want = None
    if n_want is not None:
        if row["has_expected_report"] == "yes":
            # the REPORT: section repeats the report and is parsed too
            c.check(len(reps) >= n_want, f"{name}: {len(reps)} reports, want >= {n_want}")
        else:
            c.eq(len(reps), n_want, f"{name}: number of reports")

    if first.get("kind") != kinds[0]:
        return
    chain = row["dep_chain"]
    if kinds[0] == "circular" and chain:
        entries = [e.split(":", 1) for e in chain.split(";")]
        want = [cls for _, cls in entries]
        c.eq(lt.norm(first.get("cycle")), lt.norm(want), f"{name}: cycle (mod #N)")
        c.eq([e.get("n") for e in first.get("chain") or []], [int(k.lstrip("#")) for k, _ in entries],
             f"{name}: chain entry numbers")
        c.eq([lt.norm_class(e.get("class")) for e in first.get("chain") or []], lt.norm(want),
             f"{name}: chain entry classes (mod #N)")
        c.eq(len(first.get("classes") or []), len(want), f"{name}: number of canonical classes")
    locks = row["locks"].split(" | ")[0].split(";") if row["locks"] else []
    if kinds[0] in ("circular", "recursive") and len(locks) == 2 and all(locks):
        c.eq((first.get("acquiring") or {}).get("class"), locks[0], f"{name}: acquiring.class")
        c.eq((first.get("holding") or {}).get("class"), locks[1], f"{name}: holding.class")
    if kinds[0] == "recursive" and len(locks) == 2 and all(locks):
        c.eq(lt.norm(first.get("cycle")), lt.norm(locks), f"{name}: recursive cycle (the class twice)")


def pairs(c, ctl, corpus):
    sig = {}
    for n in ("185", "187", "188", "189", "190", "234"):
        name = f"linux_report_{n}.txt"
        try:
            reps = lt.run_parse(ctl, os.path.join(corpus, name))
        except lt.ParseError as e:
            c.check(False, str(e))
            continue
        if c.check(len(reps) >= 1, f"{name}: no report"):
            sig[n] = reps[0].get("signature")
            print(f"{name}: {reps[0].get('kind')} {reps[0].get('signature')} {reps[0].get('key')}")
    for a, b, same in (("185", "187", True), ("189", "190", True), ("185", "188", False), ("188", "234", False)):
        if a in sig and b in sig:
            c.check(bool(sig[a]) and bool(sig[b]) and (sig[a] == sig[b]) == same,
                    f"signatures of {a} ({sig[a]}) and {b} ({sig[b]}) should {'match' if same else 'differ'}")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    ctl, shared, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    corpus = lt.shared_or_skip(shared)
    if mode == "--check-parse":
        tool = os.path.join(shared, "tools", "check-parse")
        if not os.path.isfile(tool):
            lt.skip(f"{tool} not present")
        what = sys.argv[4:] or ["corpus"]
        r = subprocess.run([sys.executable, tool, ctl, *what], timeout=1200)
        sys.exit(1 if r.returncode else 0)
    rows = manifest(corpus)
    c = lt.Checker("corpus")
    if mode == "--file":
        name = sys.argv[4]
        check_file(c, ctl, corpus, name, rows.get(name) or {
            "lockdep_kind": "", "corrupted": "", "n_reports_in_file": "", "has_expected_report": "",
            "dep_chain": "", "locks": ""})
        c.check(name in rows, f"{name} is not listed in MANIFEST.tsv")
    elif mode == "--all":
        for name, row in sorted(rows.items()):
            check_file(c, ctl, corpus, name, row)
    elif mode == "--pairs":
        pairs(c, ctl, corpus)
    else:
        sys.exit(__doc__)
    c.finish()


if __name__ == "__main__":
    main()
