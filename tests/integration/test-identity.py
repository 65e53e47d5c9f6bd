#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Report identity and the real end of a report (issue 10, issue 12 items 3 and 12).

Covers:
  partial   a log cut inside a report imported first, the whole log imported later (the same file
            grown): one report, the complete one; the group of the truncated copy is gone when it
            was another group, n_reports of the remaining group is 1. The reverse order keeps the
            complete copy. The same for a log cut inside the chain (the truncated copy is
            degraded, in another group).
  renderings the same report imported from a console log (kernel timestamps) and from journalctl
            -o short-precise text (none), in both orders: stored once; two occurrences with
            different kernel timestamps stay two. From journal text the report takes the host and
            wall-clock time of its lines; --host overrides the host.
  reparse   a database of an earlier build (dedup keys of the old "ts-hash" scheme): the same report
            imported again in another rendering, and the complete copy of a report first stored
            cut short, are stored twice; `lockdepctl reparse` recomputes the keys and keeps one
            copy of each (the complete one, with the earlier time), says how many it merged,
            leaves two occurrences with different timestamps two, keeps the full-text index
            consistent, and later imports of either rendering store nothing new.
  pause     lockdepd --follow: a report written up to the middle of its backtrace, then 1.5 s of
            silence (more than the 250 ms idle flush), then the rest: the stored report is the
            complete one (truncated false, all its lines), not the part before the pause.

Usage: test-identity.py LOCKDEPD LOCKDEPCTL FIXTURE_DIR CASE
"""

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "dh", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)


def q(db, sql):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


class T:
    def __init__(self, lockdepd, ctl, fixtures):
        self.lockdepd, self.ctl, self.fixtures = lockdepd, ctl, fixtures
        self.c = lt.Checker("identity")
        with open(os.path.join(fixtures, "linux_report_26.txt"), "rb") as f:
            self.report = f.read()
        self.lines = self.report.split(b"\n")[:-1]

    def imp(self, db, path, *extra):
        r = subprocess.run([self.ctl, "--db", db, "import", *extra, path], capture_output=True, timeout=120)
        self.c.check(r.returncode == 0, f"import {os.path.basename(path)}: exit {r.returncode} {r.stderr[:300]!r}")
        return r

    def case_partial(self, tmp):
        bt = next(i for i, l in enumerate(self.lines) if b"Call Trace:" in l)
        chain = next(i for i, l in enumerate(self.lines) if b"-> #0" in l)
        head = b"[  100.000000] usb 1-1: new device\n"
        for what, cut in (("inside the backtrace", bt + 3), ("inside the chain", chain + 2)):
            for order in ("partial first", "whole first"):
                db = os.path.join(tmp, f"{what}-{order}.db".replace(" ", "-"))
                log = os.path.join(tmp, "console.log")
                part = head + b"".join(l + b"\n" for l in self.lines[:cut])
                whole = head + self.report
                outs = []
                for data in ((part, whole) if order == "partial first" else (whole, part)):
                    with open(log, "wb") as f:
                        f.write(data)
                    outs.append(self.imp(db, log, "--host", "vm1").stdout.decode().strip())
                # the import that brought the better copy says so; the one that did not, not (the
                # cut inside the chain only: a cut after a few frames at the end of the input is
                # not flagged truncated today, see notes/parser.md)
                want = ("0 reports stored (0 new groups), 1 report replaced by a more complete copy"
                        if order == "partial first" else "0 reports stored (0 new groups), 1 already in the database")
                if what == "inside the chain":
                    self.c.eq(outs[1], want, f"cut {what}, {order}: the second import's summary")
                rows = q(db, "SELECT truncated, length(raw), grp FROM reports")
                name = f"cut {what}, {order}"
                self.c.eq(len(rows), 1, f"{name}: reports stored")
                if rows:
                    self.c.eq(rows[0][0], 0, f"{name}: the stored copy is the complete one")
                groups = q(db, "SELECT id, n_reports FROM groups")
                self.c.eq([n for _, n in groups], [1], f"{name}: groups and their counts")
                edges = q(db, "SELECT from_class, to_class, n FROM lock_edges WHERE n > 0")
                self.c.eq(sorted(n for _, _, n in edges), [1, 1], f"{name}: edges counted once")
                j = subprocess.run([self.ctl, "--db", db, "list", "--json"], capture_output=True, timeout=60)
                self.c.check(b'"n_reports":1' in j.stdout, f"{name}: lockdepctl list: {j.stdout[:300]!r}")

    def journal_text(self, host="testbox"):
        out = []
        for i, l in enumerate(lt.bare_lines(self.report.decode())):
            usec = 123456 + i * 97
            out.append(f"Feb 03 10:11:12.{usec:06d} {host} kernel: {l}\n")
        return "".join(out).encode()

    def case_renderings(self, tmp):
        console = os.path.join(tmp, "console.log")
        journal = os.path.join(tmp, "journal.txt")
        with open(console, "wb") as f:
            f.write(self.report)
        with open(journal, "wb") as f:
            f.write(self.journal_text())
        # mtime in 2026: the year-less journal dates are 2026's
        os.utime(journal, (1767225600 + 86400 * 60, 1767225600 + 86400 * 60))
        for order in ((console, journal), (journal, console)):
            db = os.path.join(tmp, f"r-{os.path.basename(order[0])}.db")
            for p in order:
                self.imp(db, p, "--host", "vm1")
            self.c.eq(q(db, "SELECT count(*) FROM reports")[0][0], 1,
                      f"console and journal text, {os.path.basename(order[0])} first: reports")
        # another occurrence: the same text with other kernel timestamps
        db = os.path.join(tmp, "occ.db")
        self.imp(db, console, "--host", "vm1")
        other = os.path.join(tmp, "other.log")
        with open(other, "wb") as f:
            f.write(self.report.replace(b"[  127.", b"[  927."))
        self.imp(db, other, "--host", "vm1")
        self.c.eq(q(db, "SELECT count(*) FROM reports")[0][0], 2, "two occurrences (other timestamps): reports")
        # host and time from the journal lines; --host overrides the host only
        db = os.path.join(tmp, "meta.db")
        self.imp(db, journal)
        rows = q(db, "SELECT h.hostname, r.time FROM reports r JOIN boots b ON b.id = r.boot JOIN hosts h ON h.id = b.host")
        title = next(i for i, l in enumerate(lt.bare_lines(self.report.decode())) if "WARNING:" in l)
        want_time = 1770113472123456 + title * 97  # 2026-02-03T10:11:12 and the title line's usec
        self.c.eq(rows, [("testbox", want_time)], "journal text: host and time of the report")
        db = os.path.join(tmp, "meta2.db")
        self.imp(db, journal, "--host", "override")
        rows = q(db, "SELECT h.hostname, r.time FROM reports r JOIN boots b ON b.id = r.boot JOIN hosts h ON h.id = b.host")
        self.c.eq(rows, [("override", want_time)], "journal text with --host: host and time")

    def old_keys(self, db):
        """What an earlier build left: every key in the old scheme."""
        con = sqlite3.connect(db)
        con.execute("UPDATE reports SET dedup_key = 'ts-' || coalesce(usec, 0) || '-' || (id * 7919)")
        con.commit()
        con.close()

    def reparse(self, db):
        r = subprocess.run([self.ctl, "--db", db, "reparse"], capture_output=True, timeout=120)
        self.c.check(r.returncode == 0, f"reparse: exit {r.returncode} {r.stderr[:300]!r}")
        return r.stdout.decode()

    def case_reparse(self, tmp):
        console = os.path.join(tmp, "console.log")
        journal = os.path.join(tmp, "journal.txt")
        with open(console, "wb") as f:
            f.write(self.report)
        with open(journal, "wb") as f:
            f.write(self.journal_text())
        os.utime(journal, (1767225600 + 86400 * 60, 1767225600 + 86400 * 60))
        db = os.path.join(tmp, "renderings.db")
        self.imp(db, console, "--host", "vm1")
        self.old_keys(db)
        self.imp(db, journal, "--host", "vm1")
        self.c.eq(q(db, "SELECT count(*) FROM reports")[0][0], 2, "old keys: the journal copy is stored again")
        out = self.reparse(db)
        self.c.check("1 duplicate merged" in out, f"reparse says what it merged: {out!r}")
        self.c.eq(q(db, "SELECT count(*) FROM reports")[0][0], 1, "after reparse: reports")
        self.c.eq(q(db, "SELECT n_reports FROM groups"), [(1,)], "after reparse: the group counts one report")
        self.c.check(all(k.startswith("i2-") for (k,) in q(db, "SELECT dedup_key FROM reports")),
                     "after reparse: keys of the current scheme")
        self.c.eq(q(db, "INSERT INTO reports_fts (reports_fts) VALUES ('integrity-check')"), [],
                  "full-text index consistent after the merge")
        for p in (console, journal):
            self.imp(db, p, "--host", "vm1")
        self.c.eq(q(db, "SELECT count(*) FROM reports")[0][0], 1, "after reparse: imports of both renderings")
        out = self.reparse(db)
        self.c.check("merged" not in out, f"second reparse merges nothing: {out!r}")

        # a cut copy (earlier) and the complete one (later), stored twice by an earlier build
        chain = next(i for i, l in enumerate(self.lines) if b"-> #0" in l)
        part = os.path.join(tmp, "part.log")
        with open(part, "wb") as f:
            f.write(b"".join(l + b"\n" for l in self.lines[:chain + 2]))
        os.utime(part, (1767225600, 1767225600))
        os.utime(console, (1767225600 + 3600, 1767225600 + 3600))
        db = os.path.join(tmp, "partial.db")
        self.imp(db, part, "--host", "vm1")
        self.old_keys(db)
        self.imp(db, console, "--host", "vm1")
        before = q(db, "SELECT truncated, time FROM reports ORDER BY id")
        self.c.eq([t for t, _ in before], [1, 0], "old keys: the cut copy and the complete copy are stored")
        self.reparse(db)
        rows = q(db, "SELECT truncated, time FROM reports")
        self.c.eq(rows, [(0, min(tm for _, tm in before))], "after reparse: the complete copy, with the earlier time")
        self.c.eq(q(db, "SELECT sum(n_reports), count(*) FROM groups"), [(1, 1)],
                  "after reparse: one group of one (the cut copy's group is gone)")

        # two occurrences (other kernel timestamps) are two, old keys or not
        other = os.path.join(tmp, "other.log")
        with open(other, "wb") as f:
            f.write(self.report.replace(b"[  127.", b"[  927."))
        db = os.path.join(tmp, "occ.db")
        self.imp(db, console, "--host", "vm1")
        self.imp(db, other, "--host", "vm1")
        self.old_keys(db)
        out = self.reparse(db)
        self.c.eq(q(db, "SELECT count(*) FROM reports")[0][0], 2, "two occurrences after reparse")
        self.c.check("merged" not in out, f"two occurrences: nothing merged: {out!r}")

    def case_pause(self, tmp):
        cdir = os.path.join(tmp, "console")
        os.mkdir(cdir)
        follow = os.path.join(cdir, "vm1.log")
        db = os.path.join(tmp, "follow.db")
        open(follow, "wb").close()
        d = dh.Daemon(self.lockdepd, db, ["--no-kmsg", "--no-journal", "--follow", follow], tmp).start()
        if not self.c.check(d.wait_running(), f"lockdepd did not start:\n{d.log()}"):
            return
        bt = next(i for i, l in enumerate(self.lines) if b"Call Trace:" in l)
        with open(follow, "ab", buffering=0) as out:
            out.write(b"".join(l + b"\n" for l in self.lines[:bt + 2]))
            time.sleep(1.5)  # a serial console stalling mid-trace
            stored = q(db, "SELECT count(*) FROM reports")[0][0] if os.path.exists(db) else 0
            self.c.eq(stored, 0, "after 1.5 s of silence inside the backtrace: reports stored")
            out.write(b"".join(l + b"\n" for l in self.lines[bt + 2:]))
            # the next boot's first line ends the report for sure
            out.write(b"[    0.000000] Linux version 4.14.0-rc1+ (gcc version 7.1.1)\n")
        ok = dh.wait_until(lambda: os.path.exists(db) and q(db, "SELECT count(*) FROM reports")[0][0] >= 1, 30)
        self.c.check(ok, "the report was not stored")
        c = d.stop()
        self.c.eq(c, 0, "exit status after SIGTERM")
        rows = q(db, "SELECT truncated, raw FROM reports")
        self.c.eq(len(rows), 1, "reports stored")
        if rows:
            self.c.eq(rows[0][0], 0, "stored report: truncated")
            ref_db = os.path.join(tmp, "ref.db")
            ref = os.path.join(tmp, "ref.log")
            with open(ref, "wb") as f:
                f.write(self.report)
            self.imp(ref_db, ref)
            self.c.eq(rows[0][1], q(ref_db, "SELECT raw FROM reports")[0][0], "stored report: all its lines")


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    lockdepd, ctl, fixtures, case = sys.argv[1:5]
    t = T(lockdepd, ctl, fixtures)
    t.c.name = f"identity {case}"
    with tempfile.TemporaryDirectory(prefix="lockdep-identity-") as tmp:
        getattr(t, "case_" + case)(tmp)
    t.c.finish()


if __name__ == "__main__":
    main()
