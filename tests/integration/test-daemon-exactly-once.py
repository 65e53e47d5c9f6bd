#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Exactly-once storage across crashes (DESIGN.md sections 6 and 7: one report = one transaction with
its source cursor; dedup by boot and dedup key).

Covers:
(a) lockdepd --follow FILE while the log (shared/bench/gen_corpus.py --size 36M --lockdep-every 5K
    --seed 11, report_count from its truth file) is appended in chunks cut at arbitrary bytes, and
    lockdepd is killed with SIGKILL at random moments (fixed seed; >= 5 kills, some right after
    start) and restarted: once quiet, the stored reports equal the truth exactly, none missing, none
    twice. Identity of a report: kernel release (boot "kernel:<release>"), kernel timestamp of its
    title line (reports.usec; the truth's header_line timestamp) and kind. A final restart adds
    nothing.
(b) the same log through `lockdepctl import`, killed with SIGKILL at random moments (>= 5 kills)
    and rerun until it exits 0: the same exact set; one more import adds nothing.
(c) the same kernel records (3 corpus reports) seen via --kmsg FILE and via a journal directory
    (this machine's /etc/machine-id and boot id, same monotonic timestamps) are stored once each:
    both sources in one run, and journal first / kmsg in a later run.

Usage: test-daemon-exactly-once.py LOCKDEPD LOCKDEPCTL SHARED [a|b|c]...   (default: all)
(a) and (b) exit 77 when SHARED/bench/gen_corpus.py is absent; (c) needs systemd-journal-remote.
"""

import collections
import importlib.util
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

_spec = importlib.util.spec_from_file_location(
    "dh", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)
lt = dh.lt

GEN_ARGS = ["--size", "36M", "--lockdep-every", "5K", "--seed", "11"]  # 5,106 reports
KIND = {"rcu": "suspicious_rcu"}
SEED = int(os.environ.get("LOCKDEP_TEST_SEED", "11"))  # the kill schedule


def generate(shared, tmp):
    gen = os.path.join(shared, "bench", "gen_corpus.py")
    path = os.path.join(tmp, "gen.log")
    subprocess.run([sys.executable, gen, *GEN_ARGS, "-o", path], check=True, capture_output=True, timeout=300)
    with open(path + ".truth.json", encoding="utf-8") as f:
        truth = json.load(f)
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    want = collections.Counter()
    for t in truth["reports"]:
        m = re.match(rb"^(?:<\d+>)?\[\s*(\d+)\.(\d{6})\]", lines[t["header_line"] - 1])
        usec = int(m.group(1)) * 1000000 + int(m.group(2)) if m else None
        want[(t["kernel"], usec, KIND.get(t["kind"], t["kind"]))] += 1
    return path, truth, want


def stored(db):
    rows = dh.db_query(db, "SELECT b.boot_id, r.usec, r.kind FROM reports r JOIN boots b ON b.id = r.boot")
    return collections.Counter((b[len("kernel:"):] if b.startswith("kernel:") else b, u, k) for b, u, k in rows)


def n_stored(db):
    try:
        return dh.db_query(db, "SELECT count(*) FROM reports")[0][0]
    except Exception:
        return -1


def compare(c, got, want, what):
    missing = want - got
    extra = got - want
    twice = {k: n for k, n in got.items() if n > 1}
    c.eq(sum(got.values()), sum(want.values()), f"{what}: number of reports")
    c.check(not missing, f"{what}: {sum(missing.values())} truth reports missing, e.g. {list(missing)[:5]}")
    c.check(not extra, f"{what}: {sum(extra.values())} reports not in the truth (or stored twice), "
            f"e.g. {list(extra)[:5]}")
    c.check(not twice, f"{what}: {len(twice)} reports stored more than once, e.g. {list(twice.items())[:5]}")


def wait_quiet(db, target, timeout, still=4.0):
    """Waits until the report count reaches target, or stops changing for `still` seconds."""
    deadline = time.monotonic() + timeout
    last, since = -2, time.monotonic()
    while time.monotonic() < deadline:
        n = n_stored(db)
        if n == target:
            time.sleep(1.0)  # anything beyond the target would show up now
            return n_stored(db)
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= still:
            return n
        time.sleep(0.2)
    return n_stored(db)


def part_a(c, lockdepd, ctlexe, shared, tmp):
    path, truth, want = generate(shared, tmp)
    c.eq(sum(want.values()), truth["report_count"], "truth: report_count")
    c.check(truth["report_count"] >= 5000, f"the input holds at least 5,000 reports ({truth['report_count']})")
    c.check(None not in {k[1] for k in want}, "truth: a header line without a timestamp")
    c.eq(max(want.values()), 1, "truth: (kernel, title timestamp, kind) identifies a report")
    print(f"(a) {truth['report_count']} reports in {truth['bytes']} bytes, {truth['boots']} boots")
    with open(path, "rb") as f:
        data = f.read()
    rng = random.Random(SEED)
    cdir = os.path.join(tmp, "console")
    os.mkdir(cdir)
    follow = os.path.join(cdir, "vm1.log")
    db = os.path.join(tmp, "follow.db")
    open(follow, "wb").close()
    d = dh.Daemon(lockdepd, db, ["--no-kmsg", "--no-journal", "--follow", follow], tmp, name="lockdepd-a").start()
    if not c.check(d.wait_running(), f"lockdepd did not start:\n{d.log()}"):
        return
    kills = 0
    pos = 0
    chunk_no = 0
    with open(follow, "ab", buffering=0) as out:
        while pos < len(data):
            n = rng.randrange(32 * 1024, 1536 * 1024)
            out.write(data[pos:pos + n])
            pos += n
            chunk_no += 1
            # often kill while it is still reading that chunk, sometimes later
            time.sleep(rng.uniform(0.0, 0.03) if rng.random() < 0.5 else rng.uniform(0.0, 0.25))
            if rng.random() < 0.3 or (pos >= len(data) and kills < 6):
                d.kill()
                kills += 1
                c.check(n_stored(db) >= 0, "database unreadable after SIGKILL")
                d.start()
                if rng.random() < 0.3:  # killed again while starting up
                    time.sleep(rng.uniform(0.0, 0.05))
                    d.kill()
                    kills += 1
                    d.start()
    print(f"(a) appended {len(data)} bytes in {chunk_no} chunks, lockdepd killed {kills} times; "
          f"{n_stored(db)} reports stored when the log was complete")
    c.check(kills >= 5, f"only {kills} kills")
    n = wait_quiet(db, truth["report_count"], 90)
    c.check(d.alive(), f"lockdepd exited:\n{d.log()[-2000:]}")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    compare(c, stored(db), want, "(a) follow with SIGKILLs")
    d.start()
    c.check(d.wait_running(), "lockdepd did not restart")
    time.sleep(2.0)
    c.eq(n_stored(db), n, "(a) reports after one more restart")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    if c.failures:
        print("---- lockdepd log (a), last part ----\n" + d.full_log()[-3000:])


def part_b(c, lockdepd, ctlexe, shared, tmp):
    path, truth, want = generate(shared, tmp)
    rng = random.Random(SEED + 1)
    db = os.path.join(tmp, "import.db")
    kills = attempts = 0
    while kills < 6 and attempts < 40:
        attempts += 1
        p = dh.popen([ctlexe, "--db", db, "import", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                     env=dh.clean_env())
        time.sleep(rng.uniform(0.02, 0.6))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
            p.communicate(timeout=30)
        else:
            _, err = p.communicate(timeout=30)
            c.eq(p.returncode, 0, f"(b) import finished before the kill: exit status (stderr {err[-300:]!r})")
        print(f"(b) attempt {attempts}: {'killed' if p.returncode == -signal.SIGKILL else 'finished'}, "
              f"{n_stored(db)} reports stored")
    c.check(kills >= 5, f"(b) only {kills} kills in {attempts} attempts")
    for i in range(5):
        r = dh.ctl(ctlexe, db, "import", path, timeout=300)
        if r.returncode == 0:
            break
        print(f"(b) rerun {i}: exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}")
    c.eq(r.returncode, 0, "(b) final import: exit status")
    compare(c, stored(db), want, "(b) import with SIGKILLs")
    r = dh.ctl(ctlexe, db, "import", path, timeout=300)
    out = r.stdout.decode(errors="replace")
    c.check(r.returncode == 0 and out.startswith("0 reports stored"), f"(b) importing again: {out!r}")
    c.eq(n_stored(db), truth["report_count"], "(b) reports after importing again")


def part_c(c, lockdepd, ctlexe, tmp):
    if not os.access(dh.JOURNAL_REMOTE, os.X_OK):
        print(f"(c) skipped: {dh.JOURNAL_REMOTE} not installed")
        return
    mid, bid, host = dh.machine_id(), dh.boot_id(), socket.gethostname()
    recs = []
    t = 0
    for fx in ("linux_report_26.txt", "linux_report_234.txt", "linux_report_466.txt"):
        r = dh.fixture_records(fx)
        r = dh.records_shift(r, t + 1000000 - r[0][0])
        recs += r + [(r[-1][0] + 1000, "usb 1-1: new high-speed USB device number 2")]
        t = recs[-1][0]
    sigs = sorted(lt.run_parse(ctlexe, os.path.join(dh.FIXTURES, fx))[0]["signature"]
                  for fx in ("linux_report_26.txt", "linux_report_234.txt", "linux_report_466.txt"))
    text, _ = dh.kmsg_text(recs, 1)
    kmsg = os.path.join(tmp, "kmsg.records")
    with open(kmsg, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    jdir = os.path.join(tmp, "journal")
    os.mkdir(jdir)
    entries = dh.kernel_entries(recs, mid or "", bid, host)
    if not mid:
        entries = [[(k, v) for k, v in e if k != "_MACHINE_ID"] for e in entries]
    data, _ = dh.export_stream(entries, int(time.time() * 1e6) - 3600 * 1000000)
    dh.write_journal(os.path.join(jdir, "local.journal"), data)

    def check(db, what):
        rows = dh.db_query(db, "SELECT b.boot_id, g.signature, r.usec FROM reports r JOIN boots b ON b.id = r.boot "
                               "JOIN groups g ON g.id = r.grp")
        c.eq(sorted(s for _, s, _ in rows), sigs, f"(c) {what}: signatures of the stored reports")
        c.eq({b for b, _, _ in rows}, {bid}, f"(c) {what}: boot ids")
        c.eq(len({u for _, _, u in rows}), len(rows), f"(c) {what}: distinct kernel timestamps")
        srcs = {s for (s,) in dh.db_query(db, "SELECT source FROM cursors")}
        c.check(len(srcs) >= 1, f"(c) {what}: no source cursor stored")

    # both at once
    db = os.path.join(tmp, "both.db")
    d = dh.Daemon(lockdepd, db, ["--no-journal", "--kmsg", kmsg, "--journal-dir", jdir], tmp, name="lockdepd-c1").start()
    if c.check(d.wait_running(), f"lockdepd did not start:\n{d.log()}"):
        dh.wait_until(lambda: n_stored(db) >= 3, 15, 0.2)
        time.sleep(1.5)
        check(db, "kmsg and journal in one run")
        # the journal source keeps one cursor per machine: "journal:DIR#MACHINE_ID"
        sources = sorted(s.split("#")[0] for (s,) in dh.db_query(db, "SELECT source FROM cursors"))
        c.eq(sources, sorted(["kmsg", f"journal:{jdir}"]), "(c) both sources ran (cursors)")
        jpos = dh.db_query(db, "SELECT position FROM cursors WHERE source LIKE ?", (f"journal:{jdir}#%",))
        # "at:<journal cursor>" or "after:<journal cursor>" once the source has read an entry
        c.check(jpos and jpos[0][0].split(":", 1)[0] in ("at", "after") and len(jpos[0][0]) > 10,
                f"(c) the journal source read no entry (cursor {jpos})")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    if c.failures:
        print("---- lockdepd log (c1) ----\n" + d.full_log()[-3000:])

    # journal first, then kmsg
    db = os.path.join(tmp, "seq.db")
    d = dh.Daemon(lockdepd, db, ["--no-kmsg", "--no-journal", "--journal-dir", jdir], tmp, name="lockdepd-c2").start()
    if c.check(d.wait_running(), f"lockdepd did not start:\n{d.log()}"):
        dh.wait_until(lambda: n_stored(db) >= 3, 15, 0.2)
        time.sleep(1.0)
        check(db, "journal only")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    d = dh.Daemon(lockdepd, db, ["--no-journal", "--kmsg", kmsg], tmp, name="lockdepd-c3").start()
    if c.check(d.wait_running(), f"lockdepd did not start:\n{d.log()}"):
        dh.wait_until(lambda: dh.db_query(db, "SELECT 1 FROM cursors WHERE source = 'kmsg'"), 10, 0.2)
        time.sleep(1.5)
        check(db, "journal, then kmsg")
    c.eq(d.stop(), 0, "exit status after SIGTERM")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    lockdepd, ctlexe, shared = sys.argv[1:4]
    parts = sys.argv[4:] or ["a", "b", "c"]
    have_gen = os.path.isfile(os.path.join(shared, "bench", "gen_corpus.py"))
    if not have_gen and not [p for p in parts if p == "c"]:
        lt.skip(f"{shared}/bench/gen_corpus.py not present")
    c = lt.Checker("daemon-exactly-once " + ",".join(parts))
    tmp = tempfile.mkdtemp(prefix="lockdep-once-")
    try:
        for p in parts:
            sub = os.path.join(tmp, p)
            os.mkdir(sub)
            if p in ("a", "b") and not have_gen:
                print(f"({p}) skipped: {shared}/bench/gen_corpus.py not present")
            elif p == "a":
                part_a(c, lockdepd, ctlexe, shared, sub)
            elif p == "b":
                part_b(c, lockdepd, ctlexe, shared, sub)
            elif p == "c":
                part_c(c, lockdepd, ctlexe, sub)
    finally:
        dh._cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
