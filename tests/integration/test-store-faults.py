#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Store failures (DESIGN.md section 6; store/store.h error contract; daemon/source.c retry loop).

Covers:
(a) disk full, injected with LOCKDEP_STORE_FAULT_PAGES (limit = page_count of a fresh database):
    lockdepd fed reports through --follow logs the failure once ("database or disk is full"), keeps
    running and stores nothing meanwhile; once the limit is lifted (file rewritten to 0) it logs
    that storing works again and stores every report (`lockdepctl parse` of the same log is the
    expectation), each once
(b) database locked: another connection holds BEGIN EXCLUSIVE for ~7 s (beyond the 5 s busy
    timeout) while reports are fed; read-only `lockdepctl reports` still works meanwhile; lockdepd
    logs the failure, keeps running, retries and then stores all reports once
(c) files that are not ours: random bytes, a text file, a foreign SQLite database (other
    application_id, with tables), a plain SQLite database of another program (application_id 0,
    with tables), our application_id (0x4c4b4450) with PRAGMA user_version = 99, and one of our
    databases whose pages after the first are garbage (caught by the quick_check at open): lockdepd,
    `lockdepctl import`, `lockdepctl reparse` and (but for the last case) `lockdepctl list` exit
    non-zero with a message on stderr that names the file and the reason; the file's bytes are
    unchanged (sha256) and no -wal/-shm/-journal file is left next to it

Usage: test-store-faults.py LOCKDEPD LOCKDEPCTL [a|b|c]...   (default: all)
"""

import importlib.util
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

_spec = importlib.util.spec_from_file_location(
    "dh", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)
lt = dh.lt

APP_ID = 0x4c4b4450


def feed_and_expect(ctlexe, tmp, rounds=20):
    text = dh.many_reports_log(rounds)
    src = os.path.join(tmp, "input.txt")
    with open(src, "w") as f:
        f.write(text)
    reps = lt.run_parse(ctlexe, src)
    return text, sorted((r["kind"], r["signature"]) for r in reps)


def stored_ids(db):
    return sorted(dh.db_query(db, "SELECT r.kind, g.signature FROM reports r JOIN groups g ON g.id = r.grp"))


def n_stored(db):
    try:
        return dh.db_query(db, "SELECT count(*) FROM reports")[0][0]
    except sqlite3.Error:
        return -1


def part_a(c, lockdepd, ctlexe, tmp):
    text, want = feed_and_expect(ctlexe, tmp)
    db = os.path.join(tmp, "full.db")
    empty = os.path.join(tmp, "empty.txt")
    open(empty, "w").close()
    r = dh.ctl(ctlexe, db, "import", empty)
    if not c.eq(r.returncode, 0, f"creating the database with an empty import ({r.stderr!r})"):
        return
    pages = dh.db_query(db, "PRAGMA page_count")[0][0]
    fault = os.path.join(tmp, "fault-pages")
    with open(fault, "w") as f:
        f.write(f"{pages}\n")
    follow = os.path.join(tmp, "console", "vm-full.log")
    os.mkdir(os.path.dirname(follow))
    d = dh.Daemon(lockdepd, db, ["--no-kmsg", "--no-journal", "--follow", follow], tmp, name="lockdepd-a",
                  env={"LOCKDEP_STORE_FAULT_PAGES": fault}).start()
    if not c.check(d.wait_running(), f"lockdepd did not start:\n{d.log()}"):
        return
    with open(follow, "w") as f:
        f.write(text)
    m = d.wait_log(r"storing reports failed.*", 15)
    c.check(m, f"no failure logged with the page limit {pages}:\n{d.log()}")
    if m:
        c.check(re.search(r"full", m.group(0), re.I), f"the failure does not say the disk is full: {m.group(0)}")
    time.sleep(3.0)  # a few retries
    c.check(d.alive(), f"lockdepd exited on a full disk:\n{d.log()}")
    c.eq(n_stored(db), 0, "reports stored while the database cannot grow")
    c.eq(len(re.findall("storing reports failed", d.log())), 1,
         "failure messages during one failure streak (logged once)")
    with open(fault, "w") as f:
        f.write("0\n")
    dh.wait_until(lambda: n_stored(db) >= len(want), 30, 0.2)
    time.sleep(0.5)
    c.eq(stored_ids(db), want, "reports after the limit was lifted (kind, signature)")
    c.check("storing works again" in d.log(), f"recovery is not logged:\n{d.log()}")
    c.check(dh.db_query(db, "PRAGMA page_count")[0][0] > pages, "the database did not grow")
    c.check(d.alive(), "lockdepd exited")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    if c.failures:
        print("---- lockdepd log (a) ----\n" + d.full_log()[-3000:])


def part_b(c, lockdepd, ctlexe, tmp):
    text, want = feed_and_expect(ctlexe, tmp)
    db = os.path.join(tmp, "locked.db")
    follow = os.path.join(tmp, "console", "vm-locked.log")
    os.mkdir(os.path.dirname(follow))
    d = dh.Daemon(lockdepd, db, ["--no-kmsg", "--no-journal", "--follow", follow], tmp, name="lockdepd-b").start()
    if not c.check(d.wait_running(), f"lockdepd did not start:\n{d.log()}"):
        return
    con = sqlite3.connect(db, timeout=10, isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    locked_at = time.monotonic()
    try:
        with open(follow, "w") as f:
            f.write(text)
        time.sleep(1.0)
        r = dh.ctl(ctlexe, db, "reports", "--json", timeout=30)
        c.check(r.returncode == 0 and r.stdout == b"",
                f"read-only lockdepctl reports while another connection writes: exit {r.returncode}, "
                f"stderr {r.stderr!r}, {len(r.stdout)} bytes of output")
        # the 5 s busy timeout runs out while we hold the lock for ~7 s (longer on a slow machine:
        # until the failure is logged, at most 15 s)
        m = d.wait_log(r"storing reports failed.*", 15.0 - (time.monotonic() - locked_at))
        c.check(m and re.search(r"lock|busy", m.group(0), re.I),
                f"no failure logged (or it does not say locked) while the database is locked:\n{d.log()}")
        c.eq(n_stored(db), 0, "reports stored while the database is locked")
        time.sleep(max(0.0, 7.0 - (time.monotonic() - locked_at)))
        c.check(d.alive(), f"lockdepd exited while the database was locked:\n{d.log()}")
    finally:
        con.execute("ROLLBACK")
        con.close()
    dh.wait_until(lambda: n_stored(db) >= len(want), 30, 0.2)
    time.sleep(0.5)
    c.eq(stored_ids(db), want, "reports after the lock was released (kind, signature)")
    c.check("storing works again" in d.log(), f"recovery is not logged:\n{d.log()}")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    if c.failures:
        print("---- lockdepd log (b) ----\n" + d.full_log()[-3000:])


def make_bad_files(tmp):
    rng = random.Random(4)
    files = {}
    p = os.path.join(tmp, "random.db")
    with open(p, "wb") as f:
        f.write(bytes(rng.randrange(256) for _ in range(3 * 4096)))
    files["random bytes"] = (p, r"not a database|corrupt|malformed")
    p = os.path.join(tmp, "text.db")
    with open(p, "w") as f:
        f.write("this is a text file, not a database\n" * 200)
    files["text file"] = (p, r"not a database|corrupt")
    p = os.path.join(tmp, "foreign.db")
    con = sqlite3.connect(p)
    con.executescript("PRAGMA application_id = 305419896; CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
                      "INSERT INTO notes (body) VALUES ('keep me'), ('and me');")
    con.commit()
    con.close()
    files["foreign application_id"] = (p, r"not a lockdep-analyzer database|application.id")
    p = os.path.join(tmp, "plain.db")
    con = sqlite3.connect(p)
    con.executescript("CREATE TABLE reports (id INTEGER PRIMARY KEY, x TEXT); INSERT INTO reports (x) VALUES ('x');")
    con.commit()
    con.close()
    files["other program's tables"] = (p, r"not a lockdep-analyzer database|unknown tables")
    p = os.path.join(tmp, "future.db")
    con = sqlite3.connect(p)
    con.executescript(f"PRAGMA application_id = {APP_ID}; PRAGMA user_version = 99;"
                      "CREATE TABLE hosts (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);")
    con.commit()
    con.close()
    files["user_version 99"] = (p, r"newer|version 99")
    return files


def make_corrupt_db(ctlexe, tmp):
    """One of ours whose pages after the first (header and schema) are overwritten with garbage."""
    p = os.path.join(tmp, "corrupt.db")
    src = os.path.join(tmp, "corrupt-input.txt")
    with open(src, "w") as f:
        f.write(dh.many_reports_log(3))
    r = dh.ctl(ctlexe, p, "import", src)
    if r.returncode != 0:
        raise RuntimeError(f"import into {p}: {r.stderr!r}")
    os.unlink(src)
    psize = dh.db_query(p, "PRAGMA page_size")[0][0]
    size = os.path.getsize(p)
    rng = random.Random(5)
    with open(p, "r+b") as f:
        f.seek(psize)
        f.write(bytes(rng.randrange(256) for _ in range(size - psize)))
    return p


def part_c(c, lockdepd, ctlexe, tmp):
    files = make_bad_files(tmp)
    empty = os.path.join(tmp, "empty.txt")
    open(empty, "w").close()
    conf = os.path.join(tmp, "empty.conf")
    open(conf, "w").close()
    files["lockdep database with garbage pages"] = (make_corrupt_db(ctlexe, tmp), r"corrupt|malformed")
    for what, (path, reason) in files.items():
        before = dh.sha256(path)
        listing = sorted(os.listdir(tmp))
        runs = [
            ("lockdepd", [lockdepd, "--config", conf, "--db", path, "--no-kmsg", "--no-journal", "--no-web",
                          "--follow", os.path.join(tmp, "nothing.log")]),
            ("lockdepctl import", [ctlexe, "--db", path, "import", empty]),
            ("lockdepctl list", [ctlexe, "--db", path, "list", "--json"]),
            ("lockdepctl reparse", [ctlexe, "--db", path, "reparse"]),
        ]
        if "garbage" in what:  # read-only readers do not check at open; they fail on the first read
            runs = [x for x in runs if x[0] != "lockdepctl list"]
        for name, argv in runs:
            try:
                r = subprocess.run(argv, capture_output=True, timeout=20, env=dh.clean_env())
            except subprocess.TimeoutExpired:
                c.check(False, f"{what}: {name} did not exit within 20 s (it runs on a file that is not ours)")
                continue
            err = r.stderr.decode(errors="replace")
            c.check(r.returncode != 0, f"{what}: {name} exit status 0; stderr {err!r}")
            c.check(path in err and re.search(reason, err, re.I),
                    f"{what}: {name}: stderr does not name the file and the reason /{reason}/: {err!r}")
            c.eq(dh.sha256(path), before, f"{what}: {name}: sha256 of the file")
            c.eq(sorted(os.listdir(tmp)), listing, f"{what}: {name}: files next to it")
        print(f"{what}: checked")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    lockdepd, ctlexe = sys.argv[1:3]
    parts = sys.argv[3:] or ["a", "b", "c"]
    c = lt.Checker("store-faults " + ",".join(parts))
    tmp = tempfile.mkdtemp(prefix="lockdep-faults-")
    try:
        for p in parts:
            sub = os.path.join(tmp, p)
            os.mkdir(sub)
            {"a": part_a, "b": part_b, "c": part_c}[p](c, lockdepd, ctlexe, sub)
    finally:
        dh._cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
