#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""lockdepd reading kernel records in /dev/kmsg format (DESIGN.md section 7, kmsg).

Covers:
(a) --kmsg FILE, a file of records ("PRI,SEQ,USEC,FLAGS;text", \\xNN escapes, dictionary lines):
    - a real report (facility 0, records with embedded newlines escaped) is stored once, with its
      kind, signature and the kernel timestamp of its title, attributed to this machine's
      machine id and boot id
    - a hole in the sequence numbers is recorded in table gaps (source kmsg, records missed)
    - a fake lockdep report in user-space facility records (PRI >= 8) is not stored
    - after a restart over the same file nothing is stored twice and the same gap is not
      recorded again
(b) the real /dev/kmsg (skipped with a message when it cannot be opened): lockdepd with default
    kmsg reading opens it, reads the existing records (its cursor moves past them) and keeps
    running; a fake lockdep report written into /dev/kmsg from user space (`<4>` lines, which the
    kernel gives facility 1 = user) is read (the cursor moves past it) but NOT stored. Writes only
    when /dev/kmsg is writable, and only a few lines.

Usage: test-daemon-kmsg.py LOCKDEPD LOCKDEPCTL [a|b]   (default: both)
"""

import importlib.util
import os
import re
import shutil
import sys
import tempfile

_spec = importlib.util.spec_from_file_location(
    "dh", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)
lt = dh.lt

NOISE = ["Linux version 6.8.0-test (builder@host) #1 SMP", "Command line: console=ttyS0",
         "x86/fpu: Supporting XSAVE feature 0x001", "BIOS-provided physical RAM map:",
         "e820: update [mem 0x00000000-0x00000fff] usable ==> reserved", "random: crng init done"]


def part_a(c, lockdepd, ctlexe, tmp):
    db = os.path.join(tmp, "a.db")
    real = dh.fixture_records("linux_report_26.txt")
    want = lt.run_parse(ctlexe, os.path.join(dh.FIXTURES, "linux_report_26.txt"))
    fake_recs = dh.fixture_records("linux_report_466.txt")
    c.eq(len(lt.run_parse(ctlexe, os.path.join(dh.FIXTURES, "linux_report_466.txt"))), 1,
         "test input: the fake report is a report when parsed as text")
    t0 = real[0][0] - 10000000
    noise = [(t0 + i * 1000, n) for i, n in enumerate(NOISE)]
    text, seq = dh.kmsg_text(noise, 1, gap_after=2, gap=7)              # seq 1-3, then 11-13
    t, seq = dh.kmsg_text(real, seq)
    text += t
    t, seq = dh.kmsg_text([(real[-1][0] + 1000, "usb 1-1: new high-speed USB device number 2")], seq)
    text += t
    t, seq = dh.kmsg_text(dh.records_shift(fake_recs, real[-1][0] + 5000000 - fake_recs[0][0]), seq, facility=1)
    text += t
    t, seq = dh.kmsg_text([(real[-1][0] + 9000000, "EXT4-fs (sda1): mounted filesystem")], seq)
    text += t
    c.check("\\x0a" in text, "test input: no record with an escaped newline")
    kmsg = os.path.join(tmp, "kmsg.records")
    with open(kmsg, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    last_seq = seq - 1

    d = dh.Daemon(lockdepd, db, ["--no-journal", "--kmsg", kmsg], tmp, name="lockdepd-a").start()
    if not c.check(d.wait_running(), f"lockdepd did not start:\n{d.log()}"):
        return
    c.check(re.search(r"^<\d>kmsg: reading " + re.escape(kmsg), d.log(), re.M),
            f"log does not say kmsg is read from {kmsg}:\n{d.log()}")
    cursor = lambda: dh.db_query(db, "SELECT position FROM cursors WHERE source = 'kmsg'")
    dh.wait_until(lambda: dh.n_reports_or_none(ctlexe, db), 15, 0.2)
    dh.wait_until(lambda: cursor() and cursor()[0][0].endswith(f":{last_seq + 1}"), 5, 0.2)
    c.eq([p for (p,) in cursor()], [f"{dh.boot_id()}:{last_seq + 1}:{last_seq + 1}"],
         "kmsg cursor (BOOT_ID:first needed:next sequence)")
    reps = dh.reports(ctlexe, db)
    rows = dh.db_query(db, "SELECT r.kind, g.signature, r.usec, r.source, b.boot_id, h.machine_id "
                           "FROM reports r JOIN groups g ON g.id = r.grp JOIN boots b ON b.id = r.boot "
                           "JOIN hosts h ON h.id = b.host")
    mid = dh.machine_id()
    c.eq(len(reps), 1, "reports stored (the real one; not the user-space one)")
    c.eq([r[:5] for r in rows], [(want[0]["kind"], want[0]["signature"], real[1][0], "kmsg", dh.boot_id())],
         "stored report (kind, signature, usec of the title, source, boot id)")
    if mid:
        c.eq([r[5] for r in rows], [mid], "machine id of the stored report's host")
    gaps = dh.db_query(db, "SELECT source, missed FROM gaps")
    c.eq(gaps, [("kmsg", 7)], "gaps (source, missed)")
    c.check("lost" in d.log(), f"the gap is not logged:\n{d.log()}")
    c.check(d.alive(), "lockdepd exited")
    c.eq(d.stop(), 0, "exit status after SIGTERM")

    d.start()
    if not c.check(d.wait_running(), f"lockdepd did not restart:\n{d.log()}"):
        return
    dh.time.sleep(1.5)
    c.eq(len(dh.reports(ctlexe, db)), 1, "reports after a restart over the same records")
    c.eq(dh.db_query(db, "SELECT source, missed FROM gaps"), [("kmsg", 7)], "gaps after a restart")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    if c.failures:
        print("---- lockdepd log (a) ----\n" + d.full_log()[-3000:])


def read_kmsg_records(fd):
    """All records readable now from a non-blocking /dev/kmsg fd: list of (pri, seq, text)."""
    out = []
    while True:
        try:
            b = os.read(fd, 8192)
        except BlockingIOError:
            break
        except BrokenPipeError:
            continue  # overrun: go on with the next record
        if not b:
            break
        head, _, rest = b.decode("utf-8", errors="replace").partition(";")
        f = head.split(",")
        out.append((int(f[0]), int(f[1]), rest.split("\n", 1)[0]))
    return out


def part_b(c, lockdepd, ctlexe, tmp):
    try:
        rfd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        print(f"part b skipped: cannot open /dev/kmsg: {e}")
        return
    try:
        existing = read_kmsg_records(rfd)
    finally:
        os.close(rfd)
    print(f"/dev/kmsg: {len(existing)} records readable now")
    db = os.path.join(tmp, "b.db")
    d = dh.Daemon(lockdepd, db, ["--no-journal"], tmp, name="lockdepd-b").start()
    if not c.check(d.wait_running(), f"lockdepd did not start:\n{d.log()}"):
        return
    c.check(re.search(r"^<\d>kmsg: reading /dev/kmsg$", d.log(), re.M),
            f"log does not say /dev/kmsg is read:\n{d.log()}")
    cursor_seq = lambda: [int(p.rsplit(":", 1)[1]) for (p,) in
                          dh.db_query(db, "SELECT position FROM cursors WHERE source = 'kmsg'")]
    if existing:
        last = max(s for _, s, _ in existing)
        ok = dh.wait_until(lambda: cursor_seq() and cursor_seq()[0] > last, 15, 0.2)
        c.check(ok, f"the kmsg cursor {cursor_seq()} did not move past the existing records (last {last})")
    dh.time.sleep(1.0)
    c.check(d.alive(), f"lockdepd stopped running:\n{d.log()}")
    n_before = len(dh.reports(ctlexe, db))

    try:
        wfd = os.open("/dev/kmsg", os.O_WRONLY)
    except OSError as e:
        print(f"part b: no writes: cannot open /dev/kmsg for writing: {e}")
        wfd = None
    if wfd is not None:
        marker = "lockdep-analyzer-test-%d" % os.getpid()
        lines = [l for _, l in dh.fixture_records("linux_report_257.txt")]
        lines = [l.lstrip("\n") for l in lines] + [f"{marker}: end of fake report"]
        c.eq(len(lt.run_parse(ctlexe, data="\n".join(lines) + "\n")), 1,
             "test input: the fake report is a report when parsed as text")
        rfd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(rfd, 0, os.SEEK_END)
        try:
            for l in lines:
                os.write(wfd, ("<4>" + l + "\n").encode())  # "\n": else the record stays open
        finally:
            os.close(wfd)
        mine = [(p, s, t) for p, s, t in read_kmsg_records(rfd) if t.endswith("end of fake report")
                or any(t == l for l in lines)]
        os.close(rfd)
        print(f"wrote {len(lines)} user-space lines to /dev/kmsg; {len(mine)} read back")
        c.check(all(p >> 3 == 1 for p, _, _ in mine), f"user-space records with a facility other than 1: {mine}")
        if mine:
            last = max(s for _, s, _ in mine)
            ok = dh.wait_until(lambda: cursor_seq() and cursor_seq()[0] > last, 15, 0.2)
            c.check(ok, f"the kmsg cursor {cursor_seq()} did not move past the written records (last {last})")
        dh.time.sleep(0.7)  # past the idle flush
        c.eq(len(dh.reports(ctlexe, db)), n_before, "reports after the user-space fake report")
        c.eq(dh.db_query(db, "SELECT count(*) FROM reports WHERE raw LIKE '%returning to user space%' "
                             "OR raw LIKE ?", (f"%{marker}%",))[0][0], 0, "stored fake report")
    c.check(d.alive(), f"lockdepd stopped running:\n{d.log()}")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    if c.failures:
        print("---- lockdepd log (b) ----\n" + d.full_log()[-3000:])


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    lockdepd, ctlexe = sys.argv[1], sys.argv[2]
    parts = sys.argv[3:] or ["a", "b"]
    c = lt.Checker("daemon-kmsg " + ",".join(parts))
    tmp = tempfile.mkdtemp(prefix="lockdep-kmsg-")
    try:
        if "a" in parts:
            part_a(c, lockdepd, ctlexe, tmp)
        if "b" in parts:
            part_b(c, lockdepd, ctlexe, tmp)
    finally:
        dh._cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
