#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""testlog-summary.py [--build-failures N] TESTLOG.json...

Sums the results of one or more "meson test" runs, read from meson-logs/testlog.json (one JSON
object per line, each with a "result" field), and prints the names of failed tests, a skipped
count and, as the very last line, "N passed, N failed". OK and EXPECTEDFAIL count as passed; SKIP
counts as neither; anything else (FAIL, ERROR, TIMEOUT, UNEXPECTEDPASS, ...) as failed. A missing
or unreadable log counts as one failure, and so does each of --build-failures N.
Exit status: 0 when nothing failed, 1 otherwise.
"""
import json
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def main(argv):
    failed = passed = skipped = 0
    if len(argv) >= 2 and argv[0] == "--build-failures":
        failed += int(argv[1])
        argv = argv[2:]
    for path in argv:
        try:
            with open(path, encoding="utf-8") as f:
                lines = [l for l in f if l.strip()]
        except OSError as e:
            print("%s: %s" % (path, e.strerror))
            failed += 1
            continue
        for line in lines:
            try:
                t = json.loads(line)
                result = t.get("result", "")
            except (ValueError, AttributeError):
                print("%s: unparsable line" % path)
                failed += 1
                continue
            if result in PASSED:
                passed += 1
            elif result in SKIPPED:
                skipped += 1
            else:
                failed += 1
                print("FAILED (%s): %s" % (result, t.get("name", "?")))
    print("%d skipped" % skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
