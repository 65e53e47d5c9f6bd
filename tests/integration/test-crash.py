#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Crash consistency (docs/RELIABILITY.md "Exactly once"): SIGKILL at 20 seeded random instants of
each writer, then the store compared with a clean run over the same input by (boot, kernel time,
text): nothing lost, nothing stored twice.

Parts (each a meson test; LOCKDEP_TEST_SEED changes the instants, default 12):
  follow     lockdepd --follow FILE while a console log is appended in random pieces with random
             pauses (some longer than the idle flush, some inside a report), and once truncated and
             written again in place with the next boot's log (QEMU -serial file: at a VM restart),
             half of the times while lockdepd is down; the clean run is `lockdepctl import` of the
             two logs
  journal    lockdepd --journal-dir over 30 journal files of 30 machines (journal-remote output),
             killed while it catches up; the clean run is one lockdepd without kills
  import     `lockdepctl import` of a log of 1,200 reports; the clean run is one import
  reparse    `lockdepctl reparse` of 600 reports; after every kill the reports are those of before, and their
             derived rows (groups, classes, edges) are those of before or of a complete reparse;
             the clean run is one reparse of a copy
  migration  a database of an earlier build (schema v1, with 1,200 reports) opened by a writer
             (migrations, repair, rebuild of lock classes and edges); the clean run is one open of
             a copy

Usage: test-crash.py LOCKDEPD LOCKDEPCTL PART
"""

import collections
import importlib.util
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("dh", os.path.join(HERE, "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)
lt = dh.lt

SEED = int(os.environ.get("LOCKDEP_TEST_SEED", "12"))
KILLS = 20


def identity(db):
    """(boot, kernel time, text) of every stored report, counted."""
    rows = dh.db_query(db, "SELECT b.boot_id, r.usec, r.raw FROM reports r JOIN boots b ON b.id = r.boot")
    return collections.Counter(rows)


def derived(db):
    q = lambda sql: sorted(dh.db_query(db, sql))
    return (q("SELECT r.id, g.signature FROM reports r JOIN groups g ON g.id = r.grp"),
            q("SELECT g.signature, c.canonical FROM group_classes c JOIN groups g ON g.id = c.grp"),
            q("SELECT e.from_class, e.to_class, e.n FROM lock_edges e"),
            q("SELECT g.signature, n_reports, n_hosts FROM groups g"),
            q("SELECT g.signature, t.task, t.n FROM group_tasks t JOIN groups g ON g.id = t.grp"),
            q("SELECT g.signature, m.canonical, m.printed FROM group_names m JOIN groups g ON g.id = m.grp"))


n_reports = dh.db_count


def compare(c, got, want, what):
    lost, extra = want - got, got - want
    twice = sum(n - 1 for n in got.values() if n > 1)
    c.check(sum(want.values()) > 0, f"{what}: the clean run stored something ({sum(want.values())})")
    c.check(not lost and not extra and twice == 0,
            f"{what}: {sum(got.values())} stored, clean run {sum(want.values())}: {sum(lost.values())} lost, "
            f"{twice} duplicated, {sum(extra.values())} not in the clean run")
    print(f"{what}: {sum(got.values())} reports, 0 lost: {not lost}, 0 duplicated: {twice == 0}")


def instants(rng, n, span):
    return sorted(rng.uniform(0, span) for _ in range(n))


# ---- follow ----------------------------------------------------------------------------------------

def part_follow(c, lockdepd, ctl, tmp):
    rng = random.Random(SEED)
    first = dh.many_reports_log(20, base_usec=5000000).encode()      # 80 reports
    second = dh.many_reports_log(25, base_usec=6000000).encode()     # 100, at other kernel times
    n_first = len(lt.run_parse(ctl, data=first))
    follow = os.path.join(tmp, "console", "vm1.log")
    os.mkdir(os.path.dirname(follow))
    db = os.path.join(tmp, "follow.db")
    open(follow, "wb").close()
    d = dh.Daemon(lockdepd, db, ["--no-kmsg", "--no-journal", "--follow", follow], tmp).start()
    c.check(d.wait_running(30), f"lockdepd started: {d.log()[-300:]!r}")
    # the writer: pieces of 1 byte to 40 KiB; pauses of 0-0.4 s (the idle flush is 0.25 s)
    pieces = []
    for data in (first, second):
        pos, out = 0, []
        while pos < len(data):
            n = rng.choice([1, 7, 80, 600, 4000, 40000])
            out.append(data[pos:pos + n])
            pos += n
        pieces.append(out)
    total_pauses = 0.0
    schedule = []  # (piece, pause after it)
    for k, out in enumerate(pieces):
        for p in out:
            pause = rng.choice([0, 0, 0, 0.01, 0.05, 0.3, 0.4]) if len(schedule) % 3 == 0 else 0
            schedule.append((k, p, pause))
            total_pauses += pause
    kill_at = instants(rng, KILLS, total_pauses + 2.0)
    kills, rewrites, t0, k_now = 0, 0, time.monotonic(), 0
    f = open(follow, "ab", buffering=0)
    for k, p, pause in schedule:
        if k != k_now:
            # the VM restarts: the log is truncated and written again in place, maybe while we are
            # down. What lockdepd had not read by then would be gone for anyone: it catches up first.
            k_now = k
            c.check(dh.wait_until(lambda: n_reports(db) >= n_first, 60, 0.2),
                    f"the first boot's {n_first} reports stored before the VM restarts: {n_reports(db)}")
            time.sleep(0.5)
            down = rng.random() < 0.5
            if down:
                d.kill()
                kills += 1
            f.close()
            with open(follow, "r+b") as g:
                g.truncate(0)
            f = open(follow, "ab", buffering=0)
            rewrites += 1
            if down:
                d.start()
        f.write(p)
        if pause:
            time.sleep(pause)
        while kills < KILLS and kill_at and time.monotonic() - t0 >= kill_at[0]:
            kill_at.pop(0)
            d.kill()
            kills += 1
            if rng.random() < 0.3:
                time.sleep(rng.uniform(0, 0.2))  # input arrives while it is down
            d.start()
    f.close()
    while kills < KILLS:  # instants past the end of the input: while it catches up
        time.sleep(rng.uniform(0, 0.3))
        d.kill()
        kills += 1
        d.start()
    c.check(d.wait_running(30), "lockdepd running after the last kill")
    clean = os.path.join(tmp, "clean.db")
    for i, data in enumerate((first, second)):
        path = os.path.join(tmp, f"boot{i}.log")
        with open(path, "wb") as g:
            g.write(data)
        r = dh.ctl(ctl, clean, "import", path, timeout=300)
        c.check(r.returncode == 0, f"clean import {i}: {r.stderr[-300:]!r}")
    want = identity(clean)
    dh.wait_until(lambda: n_reports(db) >= sum(want.values()), 60, 0.3)
    time.sleep(1.5)
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    print(f"follow: {kills} SIGKILLs, {rewrites} truncate-rewrite, {len(schedule)} pieces")
    c.check(kills == KILLS, f"{kills} kills")
    compare(c, identity(db), want, "follow")
    if c.failures:
        print(d.full_log()[-3000:])


# ---- journal ---------------------------------------------------------------------------------------

def part_journal(c, lockdepd, ctl, tmp):
    if not os.access(dh.JOURNAL_REMOTE, os.X_OK):
        lt.skip(f"{dh.JOURNAL_REMOTE} not installed")
    rng = random.Random(SEED + 1)
    jdir = os.path.join(tmp, "remote")
    os.mkdir(jdir)
    fixtures = dh.REPORT_FIXTURES
    for m in range(30):
        machine = ("%02x" % m) * 16
        boot = ("b%02x" % m) * 10 + "bb"
        recs, t = [], 1000000
        for i in range(3):
            r = dh.fixture_records(fixtures[(m + i) % len(fixtures)])
            r = dh.records_shift(r, t - r[0][0])
            recs += r + [(r[-1][0] + 1000, "usb 1-1: new high-speed USB device number 2")]
            t = recs[-1][0] + 1000000
        data, _ = dh.export_stream(dh.kernel_entries(recs, machine, boot, f"host-{m}"), 1700000000000000 + m)
        dh.write_journal(os.path.join(jdir, f"remote-host-{m}.journal"), data)
    args = ["--no-kmsg", "--no-journal", "--journal-dir", jdir]
    clean = os.path.join(tmp, "clean.db")
    d = dh.Daemon(lockdepd, clean, args, tmp, name="clean").start()
    c.check(d.wait_running(60), "clean lockdepd started")
    dh.wait_until(lambda: n_reports(clean) >= 90, 120, 0.3)
    time.sleep(2)
    c.eq(d.stop(), 0, "clean run: exit status")
    want = identity(clean)
    c.eq(sum(want.values()), 90, "clean run: 30 machines x 3 reports")

    db = os.path.join(tmp, "killed.db")
    d = dh.Daemon(lockdepd, db, args, tmp, name="killed")
    for i in range(KILLS):
        d.start()
        time.sleep(rng.uniform(0.05, 1.2))
        d.kill()
    d.start()
    dh.wait_until(lambda: n_reports(db) >= 90, 120, 0.3)
    time.sleep(2)
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    compare(c, identity(db), want, "journal")


# ---- import ----------------------------------------------------------------------------------------

def big_log(tmp, rounds=300):
    path = os.path.join(tmp, "big.log")
    with open(path, "w") as f:
        f.write(dh.many_reports_log(rounds))  # 4 reports per round
    return path


def killed_runs(c, rng, argv, span, after_kill, after_finish):
    """Runs argv and kills it at a random instant in (0, span) until it was killed KILLS times;
    after_kill() checks the state a kill left, after_finish() the state of a run that finished
    before its instant (and may start over). Returns the number of runs."""
    killed = runs = 0
    while killed < KILLS and runs < 4 * KILLS:
        runs += 1
        p = dh.popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dh.clean_env())
        try:
            p.wait(rng.uniform(0, span))
            _, err = p.communicate()
            c.check(p.returncode == 0, f"a run that finished: exit {p.returncode}: {err[-300:]!r}")
            after_finish()
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.communicate()
            killed += 1
            after_kill()
    c.eq(killed, KILLS, f"SIGKILLs in {runs} runs")
    return runs


def part_import(c, lockdepd, ctl, tmp):
    rng = random.Random(SEED + 2)
    log = big_log(tmp)
    clean = os.path.join(tmp, "clean.db")
    t = time.monotonic()
    r = dh.ctl(ctl, clean, "import", log, timeout=300)
    span = time.monotonic() - t
    c.check(r.returncode == 0, f"clean import: {r.stderr[-300:]!r}")
    want = identity(clean)
    db = os.path.join(tmp, "killed.db")
    finished = [0]

    def after_kill():
        got = identity(db) if os.path.exists(db) else collections.Counter()
        c.check(not (got - want), f"after a kill: {sum((got - want).values())} reports not in the clean run")

    def after_finish():
        # a complete import: right, then start over so that later instants hit an import again
        compare(c, identity(db), want, f"import finished before its instant ({finished[0]})")
        finished[0] += 1
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)

    runs = killed_runs(c, rng, [ctl, "--db", db, "import", log], span, after_kill, after_finish)
    print(f"import: {KILLS} SIGKILLs in {runs} runs")
    r = dh.ctl(ctl, db, "import", log, timeout=300)
    c.check(r.returncode == 0, f"final import: {r.stderr[-300:]!r}")
    compare(c, identity(db), want, "import")


# ---- reparse and migration -------------------------------------------------------------------------

def part_reparse(c, lockdepd, ctl, tmp):
    rng = random.Random(SEED + 3)
    db = os.path.join(tmp, "reparse.db")
    r = dh.ctl(ctl, db, "import", big_log(tmp, 150), timeout=300)
    c.check(r.returncode == 0, f"import: {r.stderr[-300:]!r}")
    before, d_before = identity(db), derived(db)
    clean = os.path.join(tmp, "clean.db")
    shutil.copy(db, clean)
    t = time.monotonic()
    r = dh.ctl(ctl, clean, "reparse", timeout=300)
    span = time.monotonic() - t
    c.check(r.returncode == 0, f"clean reparse: {r.stderr[-300:]!r}")
    d_after = derived(clean)
    states = []
    check = lambda: states.append((identity(db) == before, derived(db) in (d_before, d_after)))
    runs = killed_runs(c, rng, [ctl, "--db", db, "reparse"], span, check, check)
    print(f"reparse: {KILLS} SIGKILLs in {runs} runs")
    c.check(all(a and b for a, b in states), f"after each run: reports and derived rows whole: {states}")
    r = dh.ctl(ctl, db, "reparse", timeout=300)
    c.check(r.returncode == 0, f"final reparse: {r.stderr[-300:]!r}")
    compare(c, identity(db), identity(clean), "reparse")
    c.check(derived(db) == d_after, "reparse: derived rows as after a clean reparse")


def part_migration(c, lockdepd, ctl, tmp):
    rng = random.Random(SEED + 4)
    orig = os.path.join(tmp, "orig.db")
    r = dh.ctl(ctl, orig, "import", big_log(tmp), timeout=300)
    c.check(r.returncode == 0, f"import: {r.stderr[-300:]!r}")
    want_d = derived(orig)
    old = os.path.join(tmp, "v1.db")
    shutil.copy(orig, old)
    con = sqlite3.connect(old, isolation_level=None)
    for sql in ["DROP TABLE group_kernels", "ALTER TABLE groups DROP COLUMN kernel_first",
                "ALTER TABLE groups DROP COLUMN kernel_last", "DROP TABLE group_classes", "DROP TABLE edge_groups",
                "DROP TABLE group_hosts", "DROP TABLE gaps", "DROP TABLE triage_log", "DROP INDEX boots_host",
                "DROP TABLE journal_files_failed", "DROP TABLE settings", "ALTER TABLE hosts DROP COLUMN journal_read",
                "ALTER TABLE hosts DROP COLUMN journal_last_entry",
                # what 0007 (latent cycles) makes
                "DROP TABLE latent_cycles", "DROP TABLE dep_edges", "DROP TABLE dep_boots", "DROP TABLE dep_hosts",
                "DROP TABLE dep_classes", "DROP TABLE dep_releases",
                # what 0008 (group tombstones) makes
                "DROP TRIGGER groups_tombstone", "DROP TRIGGER groups_untombstone", "DROP TABLE group_tombstones",
                # what 0009 (latent triage) makes
                "DROP TABLE latent_triage",
                # what 0012 (snapshot transport) makes
                "DROP TABLE dep_snapshots", "DROP TABLE dep_snapshot_rejects", "DROP TABLE journal_seen",
                # what 0013 (group detail) makes (its index went with group_tombstones)
                "DROP TABLE group_tasks", "DROP TABLE group_names",
                # what 0014 (reports as logged) makes
                "ALTER TABLE reports DROP COLUMN logged",
                "PRAGMA user_version = 1", "PRAGMA wal_checkpoint(TRUNCATE)"]:
        con.execute(sql)
    con.close()
    before = identity(old)
    clean = os.path.join(tmp, "clean.db")
    shutil.copy(old, clean)
    t = time.monotonic()
    r = dh.ctl(ctl, clean, "import", "/dev/null", timeout=300)
    span = time.monotonic() - t
    c.check(r.returncode == 0, f"clean upgrade: {r.stderr[-300:]!r}")
    c.check(derived(clean) == want_d, "the clean upgrade restores the derived rows")
    states = []
    v1 = os.path.join(tmp, "v1-copy.db")
    shutil.copy(old, v1)

    def after_kill():
        states.append((identity(old) == before, dh.db_query(old, "PRAGMA integrity_check") == [("ok",)]))

    def after_finish():
        # upgraded: right, then the next instants hit an upgrade again
        c.check(identity(old) == before and derived(old) == want_d, "an upgrade that finished is complete")
        for suffix in ("-wal", "-shm"):
            if os.path.exists(old + suffix):
                os.unlink(old + suffix)
        shutil.copy(v1, old)

    runs = killed_runs(c, rng, [ctl, "--db", old, "import", "/dev/null"], span, after_kill, after_finish)
    print(f"migration: {KILLS} SIGKILLs in {runs} runs")
    c.check(all(a and b for a, b in states), f"after each kill: reports whole, integrity ok: {states}")
    r = dh.ctl(ctl, old, "import", "/dev/null", timeout=300)
    c.check(r.returncode == 0, f"final upgrade: {r.stderr[-300:]!r}")
    compare(c, identity(old), identity(clean), "migration")
    c.check(derived(old) == want_d, "migration: derived rows as in the original database")
    c.eq(dh.db_query(old, "PRAGMA user_version"), dh.db_query(orig, "PRAGMA user_version"), "migration: user_version")


PARTS = {"follow": part_follow, "journal": part_journal, "import": part_import, "reparse": part_reparse,
         "migration": part_migration}


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in PARTS:
        sys.exit(__doc__)
    lockdepd, ctl, part = sys.argv[1:4]
    c = lt.Checker(f"crash {part} (seed {SEED})")
    tmp = tempfile.mkdtemp(prefix="lockdep-crash-")
    try:
        PARTS[part](c, lockdepd, ctl, tmp)
    finally:
        dh._cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
