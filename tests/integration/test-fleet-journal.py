#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A journal-remote directory at fleet size (DESIGN.md section 8, issue 11), read by lockdepd
--journal-dir under the descriptor limit a service gets.

Covers:
- 1,000 machines, one journal file each as systemd-journal-remote --split-mode=host names them
  (remote-HOST.journal, written with `systemd-journal-remote -o FILE -` from export text); 100 of
  them rotated: two archives remote-HOST@SEQNUMID-SEQNUM-REALTIME.journal before the active file,
  and for 20 of those a report that starts in the second archive and ends in the active file.
  Every boot of every machine has one kernel lockdep report between ordinary kernel lines; some
  hosts log a user-space line after their last kernel line; some machines have no report at all.
- lockdepd runs with RLIMIT_NOFILE 1024 (soft = hard, as `ulimit -n 1024`): every report is stored
  exactly once with its host (machine id, host name), boot, kind and signature (what `lockdepctl
  parse` finds in the same records) within CATCHUP seconds; the open descriptors of lockdepd,
  sampled every 10 ms, stay below FDS_MAX the whole time.
- three SIGKILLs while it catches up (at 20, 45 and 70 % of the reports): nothing lost, nothing
  stored twice.
- while it runs: a new machine's file appears (picked up), and a machine's active file is rotated
  the way journal-remote does it (renamed to its archive name, a new active file with a new boot):
  the new report arrives, the old one is not stored again.
- a file that is not a journal file (remote-broken.journal): logged with its name, listed by
  `lockdepctl stats` (journal_files_unreadable, journal_files_failed), the rest of the directory
  read; when a real journal replaces it, it is retried, its report stored and it is no longer
  listed as failing.
- hosts: every machine has its row (the ones without a report too), with journal_read and
  last_entry = the newest entry of its files (any transport); with --silent-after 36h the machines
  whose newest entry is 3 days old are silent, those of 30 h and 2 h are not.
- lockdepd raises its soft descriptor limit to the hard one (512:1024 -> 1024:1024).

Usage: test-fleet-journal.py LOCKDEPD LOCKDEPCTL
Exits 77 when systemd-journal-remote is not installed.
"""

import concurrent.futures
import importlib.util
import json
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import threading
import time

_spec = importlib.util.spec_from_file_location(
    "dh", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)
lt = dh.lt

N_MACHINES = 1000
N_ROTATED = 100          # machines 0..99 have two archives
N_SPLIT = 20             # of those, machines 0..19 have a report across archive and active file
N_CLEAN = 10             # machines with ordinary lines only
CATCHUP = 240.0          # seconds from the start of lockdepd to every report stored (ASan build, loaded cores)
LIVE = 30.0              # seconds for a file added while lockdepd runs
FDS_MAX = 256
NOFILE = 1024
NOISE = ["EXT4-fs (vda1): mounted filesystem with ordered data mode", "random: crng init done",
         "virtio_net virtio0 ens3: renamed from eth0", "clocksource: Switched to clocksource tsc"]
HOUR = 3600 * 1000000


def limit_nofile():
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


class Fleet:
    def __init__(self, ctlexe, tmp, files):
        """files: where the journal files go (a tmpfs when there is one: journal-remote fsync()s
        each file a few times, and removing 1,200 files of scattered blocks from a disk mounted
        with discard takes minutes)."""
        self.ctl, self.tmp = ctlexe, tmp
        self.dir = os.path.join(files, "remote")
        self.scratch = os.path.join(files, "scratch")
        os.makedirs(self.dir)
        os.makedirs(self.scratch)
        self.cases = []
        for fx in dh.REPORT_FIXTURES:
            recs = dh.fixture_records(fx)
            reps = dh.parse_oracle(ctlexe, dh.console_text(self.wrap(recs, 0)))
            assert len(reps) == 1, f"{fx}: {len(reps)} reports"
            self.cases.append((recs, reps[0]["kind"], reps[0]["signature"]))
        self.expect = {}       # (machine, boot) -> (hostname, kind, signature)
        self.newest = {}       # machine -> realtime of its newest entry (any transport)
        self.now = int(time.time() * 1000000)

    @staticmethod
    def machine(h):
        return "%08x" % (0x5ca1e000 + h) + "%024x" % (h * 104729 + 7)

    @staticmethod
    def hostname(h):
        return "fleet-%04d.example" % h

    @staticmethod
    def boot(h, b):
        return "%016x%016x" % (0xb0075eed0000 + h, b + 1)

    def age(self, h):
        """How long ago the machine's newest entry is: 3 days, 30 hours or 2 hours."""
        return 72 * HOUR if h % 100 == 50 else 30 * HOUR if h % 100 == 51 else 2 * HOUR

    @staticmethod
    def wrap(recs, start):
        recs = dh.records_shift(recs, start + 5000 - recs[0][0])
        pre = [(start + i * 1000, NOISE[i]) for i in range(2)]
        post = [(recs[-1][0] + 5000 + i * 1000, NOISE[2 + i]) for i in range(2)]
        return pre + recs + post

    def boot_records(self, h, b, with_report=True):
        case = self.cases[(h + b) % len(self.cases)]
        start = 3000000 + b * 1000
        if not with_report:
            return [(start + i * 1000, NOISE[i % len(NOISE)]) for i in range(6)], None
        return self.wrap(case[0], start), case

    def entries(self, h, b, recs, transport="kernel"):
        return dh.kernel_entries(recs, self.machine(h), self.boot(h, b), self.hostname(h), transport=transport)

    def files_of(self, h):
        """[(file name, entries)] of machine h in writing order; records the expectations."""
        n_boots = 3 if h < N_ROTATED else 1
        clean = N_ROTATED <= h < N_ROTATED + N_CLEAN
        out = []
        for b in range(n_boots):
            recs, case = self.boot_records(h, b, with_report=not clean)
            if case:
                self.expect[(self.machine(h), self.boot(h, b))] = (self.hostname(h), case[1], case[2])
            out.append(self.entries(h, b, recs))
        if h < N_SPLIT:
            # the report of boot 1 starts in the second archive and ends in the active file
            cut = len(out[1]) // 2
            out[2] = out[1][cut:] + out[2]
            out[1] = out[1][:cut]
        if h % 7 == 3:  # a user-space line after the last kernel line
            out[-1] = out[-1] + self.entries(h, n_boots - 1, [(9000000, "systemd[1]: Started cron.")],
                                             transport="stdout")
        return out

    def write_machine(self, h, live=False):
        parts = self.files_of(h)
        total = sum(len(p) for p in parts)
        rt = self.now - self.age(h) - total * 1000
        jobs = []
        for i, ents in enumerate(parts):
            data, end = dh.export_stream(ents, rt)
            if i < len(parts) - 1:
                name = "remote-%s@%032x-%016x-%016x.journal" % (self.hostname(h), random.getrandbits(128), 1, rt)
            else:
                name = "remote-%s.journal" % self.hostname(h)
            jobs.append((os.path.join(self.dir, name), data))
            rt = end
        self.newest[self.machine(h)] = rt - 1000
        return jobs

    def write(self, jobs, workers=4):
        with concurrent.futures.ThreadPoolExecutor(workers) as ex:
            for f in [ex.submit(dh.write_journal_sparse, p, d, self.scratch) for p, d in jobs]:
                f.result()


def stored(db):
    rows = dh.db_query(db, "SELECT h.machine_id, h.hostname, b.boot_id, r.kind, g.signature FROM reports r "
                           "JOIN boots b ON b.id = r.boot JOIN hosts h ON h.id = b.host JOIN groups g ON g.id = r.grp")
    out = {}
    for m, host, boot, kind, sig in rows:
        out.setdefault((m, boot), []).append((host, kind, sig))
    return out


def n_stored(db):
    try:
        return dh.db_query(db, "SELECT count(*) FROM reports")[0][0]
    except Exception:
        return 0


def compare(c, fleet, db, what):
    got = stored(db)
    want = {k: [v] for k, v in fleet.expect.items()}
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    dup = sorted(k for k, v in got.items() if len(v) > 1)
    wrong = sorted(k for k in set(want) & set(got) if got[k] != want[k] and k not in dup)
    return c.check(not missing and not extra and not dup and not wrong,
                   f"{what}: {len(got)} of {len(want)} boots; missing {len(missing)} {missing[:3]}, extra "
                   f"{extra[:3]}, duplicated {[(k, got[k]) for k in dup[:3]]}, wrong "
                   f"{[(k, got[k], want[k]) for k in wrong[:3]]}")


class FdSampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.pid, self.peak, self.peak_maps, self.stop = None, 0, 0, False

    def run(self):
        while not self.stop:
            pid = self.pid
            if pid:
                try:
                    self.peak = max(self.peak, len(os.listdir(f"/proc/{pid}/fd")))
                    if self.peak_maps == 0 or random.random() < 0.05:
                        with open(f"/proc/{pid}/maps") as f:
                            self.peak_maps = max(self.peak_maps, sum(1 for _ in f))
                except OSError:
                    pass
            time.sleep(0.01)


def web_checks(c, lockdepd, db, want_silent):
    """The same through the web server (when built): /api/v1/hosts, /hosts, /metrics."""
    sys.path.insert(0, os.path.join(dh.HERE, "..", "web"))
    import webtest as wt
    try:
        srv = wt.Server(lockdepd, db)
    except RuntimeError as e:
        if "without the web dashboard" in str(e):
            print("web checks skipped: lockdepd built without the web dashboard")
            return
        c.check(False, f"web server: {e}")
        return
    try:
        hosts = srv.json("/api/v1/hosts")["hosts"]
        c.eq(sorted(h["machine_id"] for h in hosts if h.get("silent") is True), want_silent,
             "/api/v1/hosts: silent hosts")
        c.check(all(h.get("last_entry") and h.get("journal_read") for h in hosts),
                "/api/v1/hosts: every host has last_entry and journal_read")
        # the page shows 100 hosts at a time: every page together flags exactly the silent ones
        flagged, pages, ok = 0, 0, True
        for off in range(0, len(hosts), 100):
            st, _, body = srv.request("GET", f"/hosts?offset={off}")
            ok = ok and st == 200
            flagged += body.decode().count('<td class="warning">silent</td>')
            pages += 1
        c.check(ok and flagged == len(want_silent),
                f"/hosts flags the silent hosts ({flagged} on {pages} pages, want {len(want_silent)})")
        st, _, body = srv.request("GET", "/metrics")
        m = body.decode()
        c.check("lockdep_journal_files_unreadable 1\n" in m, "/metrics: lockdep_journal_files_unreadable 1")
        c.check("# TYPE lockdep_journal_file_errors_total counter" in m and
                re.search(r"^lockdep_journal_file_errors_total [1-9]", m, re.M),
                "/metrics: lockdep_journal_file_errors_total")
    finally:
        srv.stop()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    lockdepd, ctlexe = sys.argv[1], sys.argv[2]
    if not os.access(dh.JOURNAL_REMOTE, os.X_OK):
        lt.skip(f"{dh.JOURNAL_REMOTE} not installed")
    c = lt.Checker("fleet-journal")
    tmp = tempfile.mkdtemp(prefix="lockdep-fleet-journal-")
    files = tempfile.mkdtemp(prefix="lockdep-fleet-journal-", dir="/dev/shm") if os.access("/dev/shm", os.W_OK) \
        else tmp
    try:
        run(c, lockdepd, ctlexe, tmp, files)
    finally:
        dh._cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(files, ignore_errors=True)
    c.finish()


def run(c, lockdepd, ctlexe, tmp, files):
    random.seed(11)
    fleet = Fleet(ctlexe, tmp, files)
    db = os.path.join(tmp, "lockdep.db")
    t0 = time.monotonic()
    jobs = []
    for h in range(N_MACHINES):
        jobs += fleet.write_machine(h)
    with open(os.path.join(fleet.dir, "remote-broken.journal"), "wb") as f:
        f.write(b"this is not a journal file\n" * 200)
    fleet.write(jobs)
    n_files = len(os.listdir(fleet.dir))
    print(f"wrote {n_files} files for {N_MACHINES} machines, {len(fleet.expect)} reports, "
          f"in {time.monotonic() - t0:.1f} s", flush=True)
    c.eq(n_files, N_MACHINES + 2 * N_ROTATED + 1, "journal files written")

    sampler = FdSampler()
    sampler.start()
    d = dh.Daemon(lockdepd, db, ["--no-kmsg", "--no-journal", "--journal-dir", fleet.dir, "--silent-after", "36h"],
                  tmp, preexec=limit_nofile)
    start = time.monotonic()
    d.start()
    sampler.pid = d.p.pid
    if not c.check(d.wait_running(60), f"lockdepd did not start; log:\n{d.log()[-3000:]}"):
        return
    total = len(fleet.expect)
    kills = []
    for frac in (0.20, 0.45, 0.70):
        dh.wait_until(lambda: n_stored(db) >= frac * total or not d.alive(), CATCHUP, 0.05)
        kills.append(n_stored(db))
        d.kill()
        d.start()
        sampler.pid = d.p.pid
        if not c.check(d.wait_running(60), f"lockdepd did not restart; log:\n{d.log()[-3000:]}"):
            return
    print(f"SIGKILLs at {kills} of {total} reports stored", flush=True)
    c.check(kills[0] < kills[1] < kills[2] < total, f"the kills happened while catching up: {kills} of {total}")
    done = dh.wait_until(lambda: n_stored(db) >= total, CATCHUP - (time.monotonic() - start), 0.1)
    took = time.monotonic() - start
    time.sleep(1.5)  # what would come late (a duplicate) comes now
    print(f"caught up: {n_stored(db)} reports {took:.1f} s after the first start; peak {sampler.peak} "
          f"descriptors, {sampler.peak_maps} mappings", flush=True)
    c.check(done, f"all {total} reports within {CATCHUP} s (got {n_stored(db)})")
    compare(c, fleet, db, "after the catch-up with three SIGKILLs")
    c.check(sampler.peak < FDS_MAX, f"peak open descriptors {sampler.peak} < {FDS_MAX}")
    with open(f"/proc/{d.p.pid}/limits") as f:
        lim = [l for l in f if l.startswith("Max open files")]
    c.check(lim and lim[0].split()[3:5] == [str(NOFILE), str(NOFILE)], f"descriptor limit: {lim}")

    # the unreadable file: named in the log, listed by lockdepctl stats, counted
    c.check("remote-broken.journal" in d.full_log(), "the log names the unreadable file")
    st = json.loads(dh.ctl(ctlexe, db, "stats", "--json").stdout)
    c.eq(st.get("journal_files_unreadable"), 1, "stats: journal_files_unreadable")
    failed = st.get("journal_files_failed") or []
    c.check(len(failed) == 1 and failed[0]["file"] == "remote-broken.journal" and failed[0]["n_failures"] >= 1
            and failed[0]["error"], f"stats: journal_files_failed {failed}")
    c.check(st.get("journal_file_errors", 0) >= 1, f"stats: journal_file_errors {st.get('journal_file_errors')}")
    text = dh.ctl(ctlexe, db, "stats").stdout.decode()
    c.check("remote-broken.journal" in text and "Unreadable journal files: 1" in text,
            f"lockdepctl stats shows the unreadable file:\n{text}")

    # hosts: every machine, clean ones included; newest entries; silent ones
    hosts = {h["machine_id"]: h for h in (json.loads(l) for l in
             dh.ctl(ctlexe, db, "hosts", "--json").stdout.decode().splitlines()) if h.get("machine_id")}
    c.eq(len(hosts), N_MACHINES, "hosts listed")
    last = dict(dh.db_query(db, "SELECT machine_id, journal_last_entry FROM hosts"))
    bad = [(m, last.get(m), want) for m, want in fleet.newest.items() if last.get(m) != want]
    c.eq(bad[:5], [], "hosts: journal_last_entry = the newest entry of the machine's files (any transport)")
    clean = [hosts.get(fleet.machine(h), {}) for h in range(N_ROTATED, N_ROTATED + N_CLEAN)]
    c.check(all(x.get("n_reports") == 0 and x.get("silent") is False and x.get("journal_read") for x in clean),
            f"clean hosts: listed, heard from, no reports: {clean[:2]}")
    silent = sorted(m for m, x in hosts.items() if x.get("silent"))
    want_silent = sorted(fleet.machine(h) for h in range(N_MACHINES) if fleet.age(h) == 72 * HOUR)
    c.eq(silent, want_silent, "hosts silent with --silent-after 36h (newest entry 3 days ago)")
    table = dh.ctl(ctlexe, db, "hosts").stdout.decode()
    c.check(sum(1 for l in table.splitlines() if l.rstrip().endswith("silent")) == len(want_silent),
            "lockdepctl hosts flags the silent hosts")
    web_checks(c, lockdepd, db, want_silent)

    # while it runs: a new machine, a rotation, the broken file replaced by a real one
    fleet.expect_before = dict(fleet.expect)
    new = N_MACHINES
    jobs = fleet.write_machine(new)
    rot = 500
    active = os.path.join(fleet.dir, "remote-%s.journal" % fleet.hostname(rot))
    os.rename(active, os.path.join(fleet.dir, "remote-%s@%032x-%016x-%016x.journal" %
                                   (fleet.hostname(rot), random.getrandbits(128), 1, fleet.now)))
    recs, case = fleet.boot_records(rot, 7)
    fleet.expect[(fleet.machine(rot), fleet.boot(rot, 7))] = (fleet.hostname(rot), case[1], case[2])
    data, _ = dh.export_stream(fleet.entries(rot, 7, recs), fleet.now)
    jobs.append((active, data))
    recs, case = fleet.boot_records(4242, 0)
    data, _ = dh.export_stream(dh.kernel_entries(recs, fleet.machine(4242), fleet.boot(4242, 0), "broken.example"),
                               fleet.now)
    fleet.expect[(fleet.machine(4242), fleet.boot(4242, 0))] = ("broken.example", case[1], case[2])
    jobs.append((os.path.join(fleet.dir, "remote-broken.journal"), data))
    t1 = time.monotonic()
    fleet.write(jobs)
    ok = dh.wait_until(lambda: n_stored(db) >= len(fleet.expect), LIVE, 0.1)
    print(f"live additions stored {time.monotonic() - t1:.1f} s after they were written", flush=True)
    time.sleep(1.0)
    c.check(ok, f"files added while running: {n_stored(db)} of {len(fleet.expect)} reports after {LIVE} s")
    compare(c, fleet, db, "after a new machine, a rotation and the repaired file")
    st = json.loads(dh.ctl(ctlexe, db, "stats", "--json").stdout)
    c.eq(st.get("journal_files_unreadable"), 0, "stats: no unreadable file once it was replaced")
    c.check("remote-broken.journal that could not be read was replaced" in d.log(),
            "the log says the unreadable file was replaced")
    c.check(d.alive(), "lockdepd is running")
    c.eq(d.stop(), 0, "exit status after SIGTERM")
    sampler.stop = True
    c.check(sampler.peak < FDS_MAX, f"peak open descriptors {sampler.peak} < {FDS_MAX} (whole run)")

    # the soft limit is raised to the hard one
    d2 = dh.Daemon(lockdepd, os.path.join(tmp, "limit.db"), ["--no-kmsg", "--no-journal"], tmp, name="limit",
                   preexec=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (512, 1024))).start()
    c.check(d2.wait_running(30), f"lockdepd (limits) did not start: {d2.log()[-2000:]}")
    with open(f"/proc/{d2.p.pid}/limits") as f:
        lim = [l for l in f if l.startswith("Max open files")]
    c.check(lim and lim[0].split()[3:5] == ["1024", "1024"], f"soft limit raised to the hard one: {lim}")
    d2.stop()
    if c.failures:
        print("---- lockdepd log (end) ----\n" + d.full_log()[-5000:])


if __name__ == "__main__":
    main()
