#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Source positions that prove what they point at, and what reparse keeps (issue 12 items 2, 6, 13).

Covers (each part a meson test):
  kmsg-gap     item 6: lockdepd reads records 1..100 from --kmsg FILE and stops (cursor at 101);
               the ring then starts at 500 (records 101..499 were overwritten while it was down):
               the restart records one gap of 399 for kmsg, stores the report after it, and a
               further restart records nothing more. Holes within a run are recorded once.
  follow-down  item 2: a --follow log of one boot is stored; while lockdepd is stopped, the log is
               truncated and written again in place (same inode, as QEMU -serial file: does at a VM
               restart) with another boot longer than the old offset: every report of the new boot
               is stored, once
  follow-busy  item 2: the same while lockdepd runs but cannot store (another process holds the
               database's write lock): after the lock is gone, every report of both boots is stored
  import-full  item 9: `lockdepctl import` on a full disk (LOCKDEP_STORE_FAULT_PAGES) says how many
               reports it really stored (the count in the database), exits 1 and says that the rest
               was not stored; singular and plural are right ("1 report stored (1 new group)")
  reparse      item 13: `lockdepctl export` is byte for byte the same before and after `lockdepctl
               reparse` for logs read as console text (kernel timestamps, line numbers) and as kmsg
               records, and a second reparse changes nothing either

Usage: test-daemon-reliability.py LOCKDEPD LOCKDEPCTL PART
"""

import collections
import json
import importlib.util
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

_spec = importlib.util.spec_from_file_location(
    "dh", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)
lt = dh.lt


n_reports = dh.db_count


def stored(db):
    """(kernel release, kernel time of the title, kind) of every stored report, counted."""
    rows = dh.db_query(db, "SELECT b.kernel, r.usec, r.kind FROM reports r JOIN boots b ON b.id = r.boot")
    return collections.Counter(rows)


def expected(ctl, text):
    return collections.Counter((r.get("kernel"), round(float(r["ts"]) * 1e6) if "ts" in r else None, r["kind"])
                               for r in lt.run_parse(ctl, data=text))


# ---- kmsg-gap (item 6) ---------------------------------------------------------------------------

def part_kmsg_gap(c, lockdepd, ctl, tmp):
    db = os.path.join(tmp, "kmsg.db")
    kmsg = os.path.join(tmp, "kmsg.records")
    noise = [(1000000 + i * 1000, f"random: noise line {i}") for i in range(100)]
    text, seq = dh.kmsg_text(noise, 1)  # records 1..100
    with open(kmsg, "w") as f:
        f.write(text)
    d = dh.Daemon(lockdepd, db, ["--no-journal", "--kmsg", kmsg], tmp).start()
    cur = lambda: n_reports(db) >= 0 and dh.db_query(db, "SELECT position FROM cursors WHERE source = 'kmsg'")
    c.check(dh.wait_until(lambda: cur() and cur()[0][0].split(":")[1] == "101", 15), f"cursor at 101: {cur()}")
    c.eq(d.stop(), 0, "exit status after SIGTERM")

    # the ring now starts at 500: a report there, then a hole of 7 inside this run
    rep = dh.fixture_records("linux_report_26.txt")
    rep = dh.records_shift(rep, 50000000 - rep[0][0])
    text, seq = dh.kmsg_text(rep + [(rep[-1][0] + 1000, "usb 1-1: new device")], 500,
                             gap_after=len(rep), gap=7)
    t2, _ = dh.kmsg_text([(rep[-1][0] + 2000, "EXT4-fs (sda1): mounted filesystem")], seq)
    with open(kmsg, "w") as f:
        f.write(text + t2)
    d.start()
    c.check(dh.wait_until(lambda: n_reports(db) == 1, 15), f"the report after the gap is stored: {n_reports(db)}")
    time.sleep(1.0)
    gaps = dh.db_query(db, "SELECT source, missed FROM gaps ORDER BY id")
    c.eq(gaps, [("kmsg", 399), ("kmsg", 7)], "gaps: the records lost while down, then the hole")
    c.check("399 kernel messages were lost" in d.log(), f"the loss is logged: {d.log()[-500:]!r}")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    d.start()
    time.sleep(2.0)
    c.eq(dh.db_query(db, "SELECT source, missed FROM gaps ORDER BY id"), [("kmsg", 399), ("kmsg", 7)],
         "gaps after one more restart over the same records")
    c.eq(n_reports(db), 1, "reports after one more restart")
    c.eq(d.stop(), 0, "exit status after SIGTERM")


# ---- follow (item 2) -----------------------------------------------------------------------------

def part_follow(c, lockdepd, ctl, tmp, busy):
    cdir = os.path.join(tmp, "console")
    os.mkdir(cdir)
    follow = os.path.join(cdir, "vm1.log")
    db = os.path.join(tmp, "follow.db")
    first = dh.many_reports_log(2, base_usec=5000000)            # 8 reports
    second = dh.many_reports_log(6, base_usec=7000000)           # 24 reports, other kernel times
    c.check(len(second) > len(first) * 2, "the second boot's log is longer than the first")
    want = expected(ctl, first) + expected(ctl, second)
    with open(follow, "w") as f:
        f.write(first)
    ino = os.stat(follow).st_ino
    d = dh.Daemon(lockdepd, db, ["--no-kmsg", "--no-journal", "--follow", follow], tmp).start()
    c.check(dh.wait_until(lambda: n_reports(db) == 8, 20), f"first boot stored: {n_reports(db)}")
    time.sleep(0.5)
    if not busy:
        c.eq(d.stop(), 0, "exit status after SIGTERM")
        with open(follow, "r+") as f:  # O_TRUNC-like: same inode, new content
            f.truncate(0)
            f.write(second)
        d.start()
    else:
        lock = sqlite3.connect(db, timeout=10, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        with open(follow, "a") as f:  # something for lockdepd to fail on while the lock is held
            f.write(dh.console_text([(900000000, "usb 1-1: new high-speed USB device number 9")]))
        c.check(d.wait_log(r"storing reports failed", 20), "storing fails while the lock is held")
        with open(follow, "r+") as f:
            f.truncate(0)
            f.write(second)
        time.sleep(1.5)
        lock.execute("ROLLBACK")
        lock.close()
    c.eq(os.stat(follow).st_ino, ino, "the log kept its inode")
    dh.wait_until(lambda: n_reports(db) == sum(want.values()), 30)
    time.sleep(1.5)
    got = stored(db)
    c.eq(sum(got.values()), sum(want.values()), "reports stored (both boots)")
    c.check(not (want - got), f"missing: {list(want - got)[:5]}")
    c.check(not (got - want), f"not expected or twice: {list(got - want)[:5]}")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    if c.failures:
        print(d.full_log()[-3000:])


# ---- reparse (item 13) ---------------------------------------------------------------------------

def export(ctl, db):
    r = dh.ctl(ctl, db, "export")
    if r.returncode != 0:
        raise RuntimeError(f"export: {r.stderr!r}")
    return r.stdout


def part_reparse(c, lockdepd, ctl, tmp):
    db = os.path.join(tmp, "reparse.db")
    log = os.path.join(tmp, "console.log")
    with open(log, "w") as f:
        f.write("some earlier line\n" * 7 + dh.many_reports_log(2))
    r = dh.ctl(ctl, db, "import", log)
    c.check(r.returncode == 0, f"import: {r.stderr!r}")
    kmsg = os.path.join(tmp, "kmsg.records")
    recs = dh.records_shift(dh.fixture_records("linux_report_234.txt"), 3000000)
    text, seq = dh.kmsg_text(recs + [(recs[-1][0] + 1000, "usb 1-1: new device")], 40)
    with open(kmsg, "w") as f:
        f.write(text)
    d = dh.Daemon(lockdepd, db, ["--no-journal", "--kmsg", kmsg], tmp).start()
    c.check(dh.wait_until(lambda: n_reports(db) == 9, 20), f"reports stored: {n_reports(db)}")
    time.sleep(0.5)
    c.eq(d.stop(), 0, "lockdepd: exit status after SIGTERM")
    before = export(ctl, db)
    parsed = lambda: dh.db_query(db, "SELECT id, grp, kind, truncated, usec, lockdep_parsed(parsed) FROM reports ORDER BY id")
    p0 = parsed()
    c.check(len(p0) == 9 and all('"ts":' in p for *_, p in p0), "every stored report has its kernel timestamp")
    lines = sorted(json.loads(p)["first_line"] for *_, p in p0)
    c.check(lines[-1] > 700 and lines[1] > 8, f"line numbers in the inputs (a record, then after 7 lines): {lines}")
    n_lines = before.count(b"\n")
    c.check(n_lines >= 4, f"export: {n_lines} groups")
    for i in (1, 2):
        r = dh.ctl(ctl, db, "reparse")
        c.check(r.returncode == 0, f"reparse {i}: {r.stderr!r}")
        after = export(ctl, db)
        diff = [(a, b) for a, b in zip(before.split(b"\n"), after.split(b"\n")) if a != b]
        c.check(after == before, f"export after reparse {i} is the same: {len(diff)} lines differ, "
                f"e.g. {repr(diff[:1])[:600]}")
        p1 = parsed()
        c.check(p1 == p0, f"reports after reparse {i} are the same: "
                f"{repr([(a, b) for a, b in zip(p0, p1) if a != b][:1])[:600]}")


# ---- import-full (item 9) -----------------------------------------------------------------------

def part_import_full(c, lockdepd, ctl, tmp):
    db = os.path.join(tmp, "full.db")
    r = dh.ctl(ctl, db, "import", "/dev/null")
    c.check(r.returncode == 0, f"empty import: {r.stderr!r}")
    log = os.path.join(tmp, "many.log")
    with open(log, "w") as f:
        f.write(dh.many_reports_log(50))  # 200 reports
    fault = os.path.join(tmp, "fault-pages")
    with open(fault, "w") as f:
        f.write(f"{dh.db_query(db, 'PRAGMA page_count')[0][0] + 150}\n")
    r = subprocess.run([ctl, "--db", db, "import", log], capture_output=True, timeout=120,
                       env=dh.clean_env({"LOCKDEP_STORE_FAULT_PAGES": fault}))
    out, err = r.stdout.decode(), r.stderr.decode()
    n = n_reports(db)
    m = re.match(r"(\d+) reports? stored \((\d+) new groups?\), (\d+) already in the database$", out.strip())
    c.eq(r.returncode, 1, f"exit status on a full disk ({err[-300:]!r})")
    c.check(m and int(m.group(1)) == n and n < 200, f"the summary says what is in the database ({n}): {out!r}")
    c.check(m and int(m.group(2)) == dh.db_query(db, "SELECT count(*) FROM groups")[0][0],
            f"new groups in the summary: {out!r}")
    c.check("full" in err and "not stored" in err, f"the error says what was not stored: {err!r}")
    with open(fault, "w") as f:
        f.write("0\n")
    one = os.path.join(tmp, "one.log")
    with open(one, "w") as f:
        f.write(dh.many_reports_log(1, base_usec=990000000).split("usb 1-1")[0])
    r = dh.ctl(ctl, db, "import", one)
    c.eq(r.stdout.decode().strip(), "1 report stored (1 new group), 0 already in the database", "singular")
    r = dh.ctl(ctl, db, "import", log)
    out = r.stdout.decode().strip()
    m = re.match(r"(\d+) reports? stored \(\d+ new groups?\), (\d+) already in the database$", out)
    c.check(r.returncode == 0 and m and (int(m.group(1)), int(m.group(2))) == (200 - n, n),
            f"importing it again once space is back ({n} were stored): {out!r}")


PARTS = {"kmsg-gap": part_kmsg_gap,
         "import-full": part_import_full,
         "follow-down": lambda c, a, b, t: part_follow(c, a, b, t, False),
         "follow-busy": lambda c, a, b, t: part_follow(c, a, b, t, True),
         "reparse": part_reparse}


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in PARTS:
        sys.exit(__doc__)
    lockdepd, ctl, part = sys.argv[1:4]
    c = lt.Checker("daemon-reliability " + part)
    tmp = tempfile.mkdtemp(prefix="lockdep-drel-")
    try:
        PARTS[part](c, lockdepd, ctl, tmp)
    finally:
        dh._cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
