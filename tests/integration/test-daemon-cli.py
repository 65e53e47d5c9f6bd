#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Command lines of lockdepd and the database verbs of lockdepctl.

Covers:
- lockdepd --check-config: a file using every key (comments, blank lines, spaces around '=')
  prints "configuration OK", exits 0 and creates no database; bad files (unknown key, bad
  boolean, bad log level, a line without '=') exit non-zero with FILE:LINE naming the bad line;
  a missing --config file exits non-zero with a message
- lockdepd --help (exit 0) lists every long option of daemon/main.c's option table; --version;
  an unknown flag and a stray argument exit 2 with a message; a bad flag value exits 2 naming
  the flag
- lockdepctl list/reports on a missing database: non-zero exit, a message naming the file, and
  the file is not created; import of a missing input file: non-zero exit with a message
- lockdepctl reparse after importing the corpus (shared/corpus/syzkaller, or tests/fixtures when
  ../shared is absent): exit 0, reports every stored report, and the number of reports, the
  number of groups, the group signatures and each report's group signature stay the same

Usage: test-daemon-cli.py LOCKDEPD LOCKDEPCTL SOURCE_ROOT SHARED
"""

import glob
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile

_spec = importlib.util.spec_from_file_location(
    "dh", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)
lt = dh.lt


def run(argv, timeout=30):
    try:
        r = subprocess.run(argv, capture_output=True, timeout=timeout, env=dh.clean_env(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def daemon_options(root):
    """Long option names of lockdepd's getopt table."""
    with open(os.path.join(root, "daemon", "main.c"), encoding="utf-8") as f:
        src = f.read()
    m = re.search(r"static const struct option options\[\] = \{(.*?)\n\s*\};", src, re.S)
    return re.findall(r'\{\s*"([a-z0-9-]+)"\s*,', m.group(1)) if m else []


def check_config(c, lockdepd, tmp):
    db = os.path.join(tmp, "never-created.db")
    good = os.path.join(tmp, "good.conf")
    for j in ("j1", "j2"):  # journal-dir must exist
        os.mkdir(os.path.join(tmp, j))
    with open(good, "w") as f:
        f.write(f"# lockdepd.conf for the test\n\n; another comment\ndb = {db}\nkmsg=no\nkmsg-path = /dev/null\n"
                f"journal = false\n  journal-dir = {tmp}/j1\njournal-dir={tmp}/j2\nfollow = {tmp}/vm1.log\n"
                "web = off\nlisten = 127.0.0.1:19465\nsilent-after = 1d12h\nlog-level = debug\t\n")
    r = run([lockdepd, "--config", good, "--check-config"])
    if c.check(r is not None, "--check-config did not exit"):
        c.check(r[0] == 0 and "configuration OK" in r[1], f"--check-config of a good file: {r}")
    c.check(not os.path.exists(db), "--check-config created the database")

    bad_cases = [
        ("unknown key", "db = /tmp/x.db\n\nbogus-key = 1\n", 3),
        ("bad boolean", "kmsg = maybe\n", 1),
        ("bad log level", "# c\nlog-level = loud\n", 2),
        ("bad silent-after", "web = no\nsilent-after = 12\n", 2),
        ("zero silent-after", "silent-after = 0h\n", 1),
        ("no '='", "db = /tmp/x.db\nweb = no\n# c\nfollow /var/log/vm1.log\n", 4),
    ]
    for what, text, line in bad_cases:
        p = os.path.join(tmp, "bad.conf")
        with open(p, "w") as f:
            f.write(text)
        r = run([lockdepd, "--config", p, "--check-config"])
        if not c.check(r is not None, f"bad config ({what}): --check-config did not exit"):
            continue
        c.check(r[0] != 0, f"bad config ({what}): exit status 0")
        c.check(f"{p}:{line}" in r[2], f"bad config ({what}): stderr does not name {p}:{line}: {r[2]!r}")
        c.check("configuration OK" not in r[1], f"bad config ({what}): says OK")
    missing = os.path.join(tmp, "missing.conf")
    r = run([lockdepd, "--config", missing, "--check-config"])
    c.check(r is not None and r[0] != 0 and missing in r[2], f"missing --config file: {r}")


def flags(c, lockdepd, root):
    opts = daemon_options(root)
    c.check(len(opts) >= 10, f"option table of daemon/main.c not found or short: {opts}")
    r = run([lockdepd, "--help"])
    if c.check(r is not None and r[0] == 0, f"--help: {r}"):
        for o in opts:
            c.check(re.search(r"(^|\s)--" + re.escape(o) + r"\b", r[1], re.M), f"--help does not list --{o}")
    r = run([lockdepd, "--version"])
    c.check(r is not None and r[0] == 0 and r[1].startswith("lockdepd "), f"--version: {r}")
    r = run([lockdepd, "--no-such-flag"])
    c.check(r is not None and r[0] == 2 and "no-such-flag" in r[2], f"unknown flag: {r}")
    r = run([lockdepd, "--no-web", "stray-argument"])
    c.check(r is not None and r[0] == 2 and "stray-argument" in r[2], f"stray argument: {r}")
    r = run([lockdepd, "--log-level", "loud", "--check-config"])
    c.check(r is not None and r[0] == 2 and "--log-level" in r[2], f"bad flag value: {r}")


def missing_db(c, ctlexe, tmp):
    db = os.path.join(tmp, "does-not-exist.db")
    for verb in (["list"], ["list", "--json"], ["reports"], ["reports", "--json"]):
        r = run([ctlexe, "--db", db, *verb])
        c.check(r is not None and r[0] != 0, f"lockdepctl {' '.join(verb)} on a missing database: exit {r}")
        c.check(r is not None and db in r[2] and re.search(r"not exist|no such|missing", r[2], re.I),
                f"lockdepctl {' '.join(verb)} on a missing database: message {r and r[2]!r}")
        c.check(r is not None and r[1] == "", f"lockdepctl {' '.join(verb)}: output on a missing database: {r}")
        c.check(not os.path.exists(db), f"lockdepctl {' '.join(verb)} created the missing database")
    nofile = os.path.join(tmp, "no-such-log.txt")
    r = run([ctlexe, "--db", os.path.join(tmp, "imp.db"), "import", nofile])
    c.check(r is not None and r[0] != 0 and nofile in r[2], f"import of a missing file: {r}")


def reparse(c, ctlexe, shared, tmp):
    corpus = sorted(glob.glob(os.path.join(shared, "corpus", "syzkaller", "*.txt")))
    if not corpus:
        print(f"{shared}/corpus/syzkaller absent: reparse runs on tests/fixtures")
        corpus = sorted(glob.glob(os.path.join(dh.FIXTURES, "*.txt")))
    db = os.path.join(tmp, "corpus.db")
    r = run([ctlexe, "--db", db, "import", *corpus], timeout=300)
    if not c.check(r is not None and r[0] == 0, f"import of {len(corpus)} corpus files: {r}"):
        return

    def state():
        g = dh.groups(ctlexe, db)
        sig = {x["id"]: x["signature"] for x in g}
        reps = dh.reports(ctlexe, db)
        return len(reps), len(g), sorted(sig.values()), {x["id"]: sig.get(x["group"]) for x in reps}

    n, ng, sigs, by_report = state()
    c.check(n >= len(corpus) // 2 and ng > 1, f"corpus import stored {n} reports in {ng} groups")
    r = run([ctlexe, "--db", db, "reparse"], timeout=300)
    if not c.check(r is not None and r[0] == 0, f"reparse: {r}"):
        return
    m = re.match(r"(\d+) reports reparsed", r[1])
    c.check(m and int(m.group(1)) == n, f"reparse output does not count {n} reports: {r[1]!r}")
    n2, ng2, sigs2, by_report2 = state()
    c.eq(n2, n, "number of reports after reparse")
    c.eq(ng2, ng, "number of groups after reparse")
    c.eq(sigs2, sigs, "group signatures after reparse")
    c.check(by_report2 == by_report, "a report changed group signature in reparse: "
            + str([(k, by_report[k], by_report2.get(k)) for k in by_report if by_report[k] != by_report2.get(k)][:5]))
    r = run([ctlexe, "--db", db, "reparse"], timeout=300)
    c.check(r is not None and r[0] == 0 and state()[:3] == (n, ng, sigs), f"second reparse: {r}")
    print(f"reparse: {n} reports in {ng} groups from {len(corpus)} files")


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    lockdepd, ctlexe, root, shared = sys.argv[1:5]
    c = lt.Checker("daemon-cli")
    tmp = tempfile.mkdtemp(prefix="lockdep-cli-")
    try:
        check_config(c, lockdepd, tmp)
        flags(c, lockdepd, root)
        missing_db(c, ctlexe, tmp)
        reparse(c, ctlexe, shared, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
