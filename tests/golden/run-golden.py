#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden tests: `lockdepctl parse --json CASE.txt` against CASE.expected.

The expected file holds the reports as canonical JSON: a JSON array of the report objects, keys
sorted, indent 1, trailing newline. A mismatch prints a unified diff. Expected files change only
through --update, and the resulting diff is reviewed like code.

Usage: run-golden.py LOCKDEPCTL CASE.txt... [--update]
"""

import difflib
import json
import os
import subprocess
import sys


def canonical(ctl, case):
    # year-less syslog dates resolve against a fixed "now" (2026-01-01), not the checkout's mtime
    env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")
    r = subprocess.run([ctl, "parse", "--json", case], capture_output=True, timeout=120, env=env)
    if r.returncode != 0:
        raise SystemExit(f"{case}: lockdepctl exit status {r.returncode}: {r.stderr.decode(errors='replace')[:500]}")
    reps = [json.loads(l) for l in r.stdout.decode("utf-8").splitlines() if l.strip()]
    return json.dumps(reps, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def main():
    args = [a for a in sys.argv[1:] if a != "--update"]
    update = "--update" in sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    ctl, cases = args[0], args[1:]
    failed = 0
    for case in cases:
        expected = os.path.splitext(case)[0] + ".expected"
        got = canonical(ctl, case)
        if update:
            old = open(expected, encoding="utf-8").read() if os.path.exists(expected) else None
            if old != got:
                with open(expected, "w", encoding="utf-8") as f:
                    f.write(got)
                print(f"updated {expected}")
            continue
        if not os.path.exists(expected):
            print(f"FAIL: {expected} missing (generate with --update and review it)")
            failed += 1
            continue
        want = open(expected, encoding="utf-8").read()
        if got != want:
            failed += 1
            sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                       fromfile=expected, tofile=f"{case} (lockdepctl)"))
            print(f"FAIL: {case}")
        else:
            print(f"ok: {case}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
