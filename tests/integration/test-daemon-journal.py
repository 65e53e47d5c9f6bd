#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""lockdepd reading journal directories (DESIGN.md sections 7 and 8: journal-remote output of a fleet).

Covers:
- journal export format built here (binary length-prefixed MESSAGE for records with embedded
  newlines) piped into systemd-journal-remote; lockdepd --no-kmsg --no-journal --journal-dir DIR
- kernel-transport reports (one entry per printk record, corpus fixtures with the console prefixes
  stripped) from 3 machine ids, one of them with two boots, entries of all streams interleaved:
  every report is stored once, attributed to the right host (_HOSTNAME/_MACHINE_ID) and boot
  (_BOOT_ID), with the kind and signature `lockdepctl parse` finds in the fixture
- _TRANSPORT=syslog entries carrying another lockdep report, interleaved into a kernel stream of
  the same machine and boot: not stored, and the kernel report they interleave is unharmed
- a lockdep report written to /dev/kmsg by user space (journald: _TRANSPORT=kernel with
  SYSLOG_FACILITY=1) on host c: not stored (DESIGN.md section 7: kernel records only); host c's
  entries carry no SYSLOG_FACILITY at all (older journald, hand-made files): its report is stored
- SIGTERM stops lockdepd with status 0; after a restart nothing is stored twice, and a journal
  file added to the directory while it runs is read (new host, same group: n_hosts grows)
- --late (separate test case): a journal file that arrives later but holds older entries (a host
  whose upload was delayed) is still read

Usage: test-daemon-journal.py LOCKDEPD LOCKDEPCTL [--late]
Exits 77 when systemd-journal-remote is not installed.
"""

import importlib.util
import os
import shutil
import sys
import tempfile

_spec = importlib.util.spec_from_file_location(
    "dh", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)
lt = dh.lt

M = {x: (x * 32)[:32] for x in "abcde"}          # machine ids
B = {k: ("%x" % (0xb007 + i)) * 8 for i, k in enumerate(["a1", "a2", "b1", "c1", "d1", "e1"])}  # boot ids
B = {k: v[:32] for k, v in B.items()}
HOST = {x: "fleet-" + x for x in "abcde"}
RT0 = 1700000000000000
TRAILER = [(0, "random: crng init done")]


def oracle(ctlexe, fixture):
    reps = lt.run_parse(ctlexe, os.path.join(dh.FIXTURES, fixture))
    assert len(reps) == 1, f"{fixture}: parse finds {len(reps)} reports"
    return reps[0]["kind"], reps[0]["signature"], reps[0].get("kernel")


def with_trailer(recs):
    last = recs[-1][0]
    return recs + [(last + 5000, t) for _, t in TRAILER]


def identities(ctlexe, db):
    sig = {g["id"]: g["signature"] for g in dh.groups(ctlexe, db)}
    return sorted((r["host"], r["boot_id"], r["kind"], sig.get(r["group"])) for r in dh.reports(ctlexe, db))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    lockdepd, ctlexe = sys.argv[1], sys.argv[2]
    late = "--late" in sys.argv[3:]
    if not os.access(dh.JOURNAL_REMOTE, os.X_OK):
        lt.skip(f"{dh.JOURNAL_REMOTE} not installed")
    c = lt.Checker("daemon-journal" + (" --late" if late else ""))
    tmp = tempfile.mkdtemp(prefix="lockdep-journal-")
    try:
        run(c, lockdepd, ctlexe, tmp, late)
    finally:
        dh._cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


def run(c, lockdepd, ctlexe, tmp, late):
    k26, s26, _ = oracle(ctlexe, "linux_report_26.txt")
    k234, s234, _ = oracle(ctlexe, "linux_report_234.txt")
    k466, s466, _ = oracle(ctlexe, "linux_report_466.txt")
    _, s61, kern61 = oracle(ctlexe, "linux_guilty_61.txt")

    jdir = os.path.join(tmp, "remote")
    os.mkdir(jdir)
    db = os.path.join(tmp, "lockdep.db")

    r26 = dh.fixture_records("linux_report_26.txt")
    a1 = dh.kernel_entries(with_trailer(r26), M["a"], B["a1"], HOST["a"])
    a2 = dh.kernel_entries(dh.records_shift(r26, 3000000), M["a"], B["a2"], HOST["a"])  # no trailer: idle flush
    b1 = dh.kernel_entries(with_trailer(dh.fixture_records("linux_report_234.txt")), M["b"], B["b1"], HOST["b"])
    c1 = dh.kernel_entries(dh.fixture_records("linux_report_466.txt"), M["c"], B["c1"], HOST["c"], facility="")
    # user space on host c writing a lockdep report into /dev/kmsg: journald keeps it with
    # _TRANSPORT=kernel and the writer's facility (user = 1), in the same boot's stream
    kfake = dh.kernel_entries(dh.fixture_records("linux_guilty_61.txt", start_usec=677940000),
                              M["c"], B["c1"], HOST["c"], facility=1)
    c1 = dh.interleave(c1, kfake)
    # a user process on host b logging a lockdep report through syslog, in the middle of b's kernel report
    fake = dh.kernel_entries(dh.fixture_records("linux_guilty_61.txt", start_usec=577940000),
                             M["b"], B["b1"], HOST["b"], transport="syslog")
    b1_mixed = dh.interleave(b1, fake)
    data, rt = dh.export_stream(dh.interleave(a1, b1_mixed, c1, a2), RT0)
    c.check(b"\nMESSAGE\n" in data, "test input: no MESSAGE in the binary (length-prefixed) form")
    dh.write_journal(os.path.join(jdir, "remote.journal"), data)

    expect = sorted([
        (HOST["a"], B["a1"], k26, s26),
        (HOST["a"], B["a2"], k26, s26),
        (HOST["b"], B["b1"], k234, s234),
        (HOST["c"], B["c1"], k466, s466),
    ])

    d = dh.Daemon(lockdepd, db, ["--no-kmsg", "--no-journal", "--journal-dir", jdir], tmp).start()
    if not c.check(d.wait_running(), f"lockdepd did not start; log:\n{d.log()}"):
        return
    c.check(f"journal:{jdir}: reading" in d.log(), f"log does not say the journal dir is read:\n{d.log()}")
    got = dh.wait_until(lambda: (dh.n_reports_or_none(ctlexe, db) or 0) >= len(expect) and identities(ctlexe, db),
                        30, 0.2)
    if not got:
        got = identities(ctlexe, db) if dh.n_reports_or_none(ctlexe, db) is not None else []
    dh.time.sleep(1.0)  # anything extra (the syslog report) would arrive with the same batch or idle flush
    got = identities(ctlexe, db)
    c.eq(got, expect, "stored reports (host, boot, kind, signature)")
    c.check(d.alive(), "lockdepd exited while reading")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    c.check("Received Terminated" in d.log() or "exiting" in d.log(), f"no shutdown message in the log:\n{d.log()}")

    # the syslog one and the one user space wrote to /dev/kmsg: not stored, no group, not even
    # their kernel release
    rows = dh.db_query(db, "SELECT count(*) FROM reports WHERE raw LIKE ?", (f"%{kern61}%",))
    c.eq(rows[0][0], 0, "reports from the syslog-transport and facility-1 kernel-transport entries")
    c.eq(dh.db_query(db, "SELECT count(*) FROM groups WHERE signature = ?", (s61,))[0][0], 0,
         "group of the syslog-transport / user-space /dev/kmsg report")
    hosts = sorted(dh.db_query(db, "SELECT machine_id, hostname FROM hosts"))
    c.eq(hosts, sorted([(M[x], HOST[x]) for x in "abc"]), "hosts table (machine_id, hostname)")
    boots = sorted(dh.db_query(db, "SELECT h.machine_id, b.boot_id FROM boots b JOIN hosts h ON h.id = b.host "
                                   "JOIN reports r ON r.boot = b.id"))
    c.eq(boots, sorted([(M["a"], B["a1"]), (M["a"], B["a2"]), (M["b"], B["b1"]), (M["c"], B["c1"])]),
         "boots of the stored reports (machine_id, boot_id)")
    g26 = [g for g in dh.groups(ctlexe, db) if g["signature"] == s26]
    c.check(len(g26) == 1 and g26[0]["n_reports"] == 2 and g26[0]["n_hosts"] == 1,
            f"group of linux_report_26 (2 boots of one host): {g26}")
    c.check(not dh.db_query(db, "SELECT 1 FROM reports WHERE usec IS NULL"),
            "a report from the journal has no kernel timestamp (_SOURCE_MONOTONIC_TIMESTAMP)")
    usecs = sorted(u for (u,) in dh.db_query(db, "SELECT usec FROM reports"))
    want_usec = sorted([r26[1][0], r26[1][0] + 3000000, dh.fixture_records("linux_report_234.txt")[1][0],
                        dh.fixture_records("linux_report_466.txt")[1][0]])
    c.eq(usecs, want_usec, "kernel timestamps of the title lines")

    # restart: nothing twice; a file that appears while it runs is read
    d.start()
    if not c.check(d.wait_running(), f"lockdepd did not restart; log:\n{d.log()}"):
        return
    dh.time.sleep(1.0)
    c.eq(identities(ctlexe, db), expect, "reports after the restart (before new input)")
    d1 = dh.kernel_entries(with_trailer(dh.fixture_records("linux_report_466.txt")), M["d"], B["d1"], HOST["d"])
    data2, rt = dh.export_stream(d1, rt + 1000000)
    dh.write_journal(os.path.join(jdir, "remote-d.journal"), data2)
    expect2 = sorted(expect + [(HOST["d"], B["d1"], k466, s466)])
    dh.wait_until(lambda: (dh.n_reports_or_none(ctlexe, db) or 0) >= len(expect2), 30, 0.2)
    dh.time.sleep(1.0)
    c.eq(identities(ctlexe, db), expect2, "reports after the restart and a new journal file")
    g466 = [g for g in dh.groups(ctlexe, db) if g["signature"] == s466]
    c.check(len(g466) == 1 and g466[0]["n_reports"] == 2 and g466[0]["n_hosts"] == 2,
            f"group of linux_report_466 (2 hosts): {g466}")

    if late:
        # host e was offline: its upload arrives now, with entries older than everything read so far
        e1 = dh.kernel_entries(with_trailer(dh.fixture_records("linux_report_234.txt")), M["e"], B["e1"], HOST["e"])
        data3, _ = dh.export_stream(e1, RT0 - 3600 * 1000000)
        dh.write_journal(os.path.join(jdir, "remote-e.journal"), data3)
        expect3 = sorted(expect2 + [(HOST["e"], B["e1"], k234, s234)])
        dh.wait_until(lambda: (dh.n_reports_or_none(ctlexe, db) or 0) >= len(expect3), 15, 0.2)
        c.eq(identities(ctlexe, db), expect3, "reports after a late journal file with older entries (live)")
        c.eq(d.stop(), 0, "exit status after SIGTERM")
        # and after a restart (the cursor is past those entries' time)
        d.start()
        c.check(d.wait_running(), "lockdepd did not restart")
        dh.wait_until(lambda: (dh.n_reports_or_none(ctlexe, db) or 0) >= len(expect3), 10, 0.2)
        c.eq(identities(ctlexe, db), expect3, "reports after a late journal file with older entries (restart)")

    c.check(d.alive(), "lockdepd exited")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    if c.failures:
        print("---- lockdepd log ----\n" + d.full_log()[-4000:])


if __name__ == "__main__":
    main()
