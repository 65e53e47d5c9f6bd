#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fleet transport end to end (DESIGN.md section 8) with the stock systemd tools:
simulated hosts -> systemd-journal-upload -> systemd-journal-remote --listen-http -> lockdepd
--journal-dir.

- 20 simulated hosts, each with its own _MACHINE_ID, _HOSTNAME, two boots (_BOOT_ID) and its own
  kernel release (the ident line inside the report text rewritten per host). Each boot carries one
  kernel-transport lockdep report (a tests/golden/cases/*.txt report with the console prefixes
  stripped, one journal entry per printk record, cases varied per host) between ordinary kernel
  lines. The expectation of every report (kind, signature, kernel) is what `lockdepctl parse --json`
  finds in the same records rendered as a console log.
- Each host's source journal is made with `systemd-journal-remote -o HOSTDIR/h.journal -` from
  journal export text; a real `systemd-journal-remote --listen-http=127.0.0.1:PORT
  --output=CENTRAL/ --split-mode=host` receives, a real `systemd-journal-upload
  --url=http://127.0.0.1:PORT --directory=HOSTDIR --save-state=STATE --follow=no` per host sends,
  `lockdepd --no-kmsg --no-journal --no-web --journal-dir CENTRAL --db DB` (the database outside
  CENTRAL) reads.
- Checks (lockdepctl reports --json, hosts/boots tables): every report arrives exactly once,
  attributed to the right host (hostname and machine id), boot and kernel, within LATENCY seconds
  of the end of the uploads.
- Then: new entries for some hosts (a third boot, appended to the host's journal file for some,
  written to a second file in HOSTDIR for others) uploaded again with the saved state (journal-upload
  re-sends the entry at its saved cursor on this systemd version: that must not duplicate
  anything); lockdepd stopped with SIGTERM, more uploads while it is down, restarted; lockdepd killed
  with SIGKILL while 8 hosts upload a fourth boot with a report behind 3,000 ordinary lines each,
  restarted: nothing lost, nothing stored twice. Last, a report whose first half is uploaded before
  a restart and the second half after it, while another host whose clock is an hour behind uploaded
  3,000 lines in between (the central file is not in realtime order).

Usage: test-fleet-transport.py LOCKDEPD LOCKDEPCTL
Exits 77 when systemd-journal-remote or systemd-journal-upload is not installed.
Everything listens on 127.0.0.1 only; every process it starts is stopped when it exits.
"""

import glob
import importlib.util
import os
import re
import shutil
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

JOURNAL_UPLOAD = "/lib/systemd/systemd-journal-upload"
CASES = os.path.normpath(os.path.join(dh.HERE, "..", "golden", "cases"))
N_HOSTS = 20
LATENCY = 15.0          # seconds from the end of the uploads to all reports stored
RT0 = 1750000000000000  # realtime of the first entry (usec)
NOISE = ["EXT4-fs (vda1): mounted filesystem with ordered data mode", "random: crng init done",
         "virtio_net virtio0 ens3: renamed from eth0", "audit: type=1400 audit(0.0:2): apparmor=STATUS"]


def case_records(path):
    """A golden case as printk records (usec, text), prefixes stripped (dh.fixture_records on a path)."""
    saved = dh.FIXTURES
    dh.FIXTURES = os.path.dirname(path)
    try:
        return dh.fixture_records(os.path.basename(path))
    finally:
        dh.FIXTURES = saved


def usable_cases(ctlexe, truncated=False):
    """Console-log cases (linux_*.txt) in which `parse` finds exactly one report with a kernel
    release in its text; complete ones (a live source stores them once the input goes quiet), or
    with truncated=True the ones `parse` only ends at the end of the input."""
    out = []
    for p in sorted(glob.glob(os.path.join(CASES, "linux_*.txt"))):
        try:
            recs = case_records(p)
            reps = dh.parse_oracle(ctlexe, dh.console_text(recs))
        except (lt.ParseError, ValueError, OSError):
            continue
        if (len(reps) == 1 and reps[0].get("kernel") and any(reps[0]["kernel"] in t for _, t in recs)
                and reps[0]["truncated"] == truncated):
            out.append((os.path.basename(p), recs, reps[0]["kernel"]))
    return out


class Fleet:
    def __init__(self, ctlexe, tmp, cases):
        self.ctl, self.tmp, self.cases = ctlexe, tmp, cases
        self.expect = {}        # (machine id, boot id) -> (hostname, kernel, kind, signature)
        self.rt = {}            # host -> next realtime
        self.mono = {}          # (host, boot) -> next kernel timestamp

    def machine(self, h):
        return "%08x" % (0xf1ee7000 + h) + "%024x" % (h * 7919 + 1)

    def hostname(self, h):
        return "fleet-%02d.example" % h

    def kernel(self, h):
        return "6.%d.%d-fleet%02d-amd64" % (1 + h % 7, h, h)

    def boot(self, h, b):
        return "%016x%016x" % (0xb0075eed0000 + h, b)

    def hostdir(self, h):
        d = os.path.join(self.tmp, "hosts", "h%02d" % h)
        os.makedirs(d, exist_ok=True)
        return d

    def boot_entries(self, h, b, case_index, n_noise=2):
        """Entries of one boot of host h: ordinary lines, one report, ordinary lines. Records the
        expectation (from `lockdepctl parse` of the same records)."""
        name, recs, kern = self.cases[case_index % len(self.cases)]
        recs = [(u, t.replace(kern, self.kernel(h))) for u, t in recs]
        start = self.mono.get((h, b), 2000000)
        pre = [(start + i * 1000, NOISE[i % len(NOISE)]) for i in range(n_noise)]
        recs = dh.records_shift(recs, start + n_noise * 1000 + 1000 - recs[0][0])
        post = [(recs[-1][0] + 5000 + i * 1000, NOISE[(i + 1) % len(NOISE)]) for i in range(max(2, n_noise))]
        allr = pre + recs + post
        self.mono[(h, b)] = allr[-1][0] + 1000000
        reps = dh.parse_oracle(self.ctl, dh.console_text(allr))
        assert len(reps) == 1, f"{name} on host {h}: parse finds {len(reps)} reports"
        assert reps[0].get("kernel") == self.kernel(h), f"{name}: kernel {reps[0].get('kernel')}"
        key = (self.machine(h), self.boot(h, b))
        assert key not in self.expect
        self.expect[key] = (self.hostname(h), self.kernel(h), reps[0]["kind"], reps[0]["signature"])
        return dh.kernel_entries(allr, self.machine(h), self.boot(h, b), self.hostname(h))

    def write(self, h, entries, fname="h.journal"):
        rt = self.rt.get(h, RT0 + h * 1000)
        data, rt = dh.export_stream(entries, rt, step=997)
        self.rt[h] = rt + 1000000
        dh.write_journal(os.path.join(self.hostdir(h), fname), data)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Remote:
    def __init__(self, central, tmp):
        self.central, self.tmp = central, tmp
        self.p, self.port = None, None

    def start(self):
        for _ in range(10):
            port = free_port()
            log = open(os.path.join(self.tmp, "journal-remote.log"), "ab")
            p = dh.popen([dh.JOURNAL_REMOTE, f"--listen-http=127.0.0.1:{port}", f"--output={self.central}/",
                          "--split-mode=host"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         env=dh.clean_env())
            ok = dh.wait_until(lambda: p.poll() is not None or _connectable(port), 10, 0.05)
            if p.poll() is None and ok:
                self.p, self.port = p, port
                return self
            p.kill()
            p.wait()
        raise RuntimeError("systemd-journal-remote did not start: " + self.log()[-1000:])

    def log(self):
        with open(os.path.join(self.tmp, "journal-remote.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def _connectable(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def upload_start(fleet, remote, h):
    state = os.path.join(fleet.tmp, "state", "h%02d" % h)
    os.makedirs(os.path.dirname(state), exist_ok=True)
    log = open(os.path.join(fleet.tmp, "upload-h%02d.log" % h), "ab")
    return dh.popen([JOURNAL_UPLOAD, f"--url=http://127.0.0.1:{remote.port}", f"--directory={fleet.hostdir(h)}",
                     f"--save-state={state}", "--follow=no"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    env=dh.clean_env())


def upload(fleet, remote, hosts):
    """Runs journal-upload for the hosts (4 at a time); returns the exit statuses by host."""
    rcs, running = {}, {}
    todo = list(hosts)
    while todo or running:
        while todo and len(running) < 4:
            h = todo.pop(0)
            running[h] = upload_start(fleet, remote, h)
        for h, p in list(running.items()):
            if p.poll() is not None:
                rcs[h] = p.returncode
                del running[h]
        time.sleep(0.02)
    return rcs


def upload_log(fleet, h):
    with open(os.path.join(fleet.tmp, "upload-h%02d.log" % h), "rb") as f:
        return f.read().decode(errors="replace")


def stored(ctlexe, db):
    """(machine id, boot id) -> list of (hostname, kernel, kind, signature, truncated) as stored."""
    sig = {g["id"]: g["signature"] for g in dh.groups(ctlexe, db)}
    mids = dict(dh.db_query(db, "SELECT hostname, machine_id FROM hosts"))
    out = {}
    for r in dh.reports(ctlexe, db):
        out.setdefault((mids.get(r["host"], r["host"]), r["boot_id"]), []).append(
            (r["host"], r["kernel"], r["kind"], sig.get(r["group"]), r["truncated"]))
    return out


def check_all(c, fleet, ctlexe, db, what, wait=LATENCY):
    """Waits until every expected report is stored (up to `wait` s), then compares exactly."""
    t0 = time.monotonic()
    want = {k: [v + (False,)] for k, v in fleet.expect.items()}
    got = dh.wait_until(lambda: (lambda s: s if s == want else None)(stored(ctlexe, db)), wait, 0.1)
    took = time.monotonic() - t0
    if not got:
        time.sleep(0.5)
        got = stored(ctlexe, db)
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        dup = sorted(k for k, v in got.items() if len(v) > 1)
        wrong = sorted(k for k in set(want) & set(got) if got[k] != want[k] and k not in dup)
        c.check(False, f"{what}: {len(got)} of {len(want)} boots with reports after {wait} s; "
                       f"missing {missing[:5]}, extra {extra[:5]}, duplicated {[(k, got[k]) for k in dup[:3]]}, "
                       f"wrong {[(k, got[k], want[k]) for k in wrong[:3]]}")
        return None
    c.check(True, what)
    n = dh.db_query(db, "SELECT count(*) FROM reports")[0][0]
    c.eq(n, len(want), f"{what}: number of stored reports")
    print(f"{what}: {len(want)} reports stored, all there {took:.2f} s after the uploads ended", flush=True)
    return took


def check_hosts(c, fleet, db, hosts, what):
    rows = sorted(dh.db_query(db, "SELECT machine_id, hostname FROM hosts"))
    c.eq(rows, sorted((fleet.machine(h), fleet.hostname(h)) for h in hosts), f"{what}: hosts (machine id, hostname)")
    kern = dict(dh.db_query(db, "SELECT b.boot_id, b.kernel FROM boots b"))
    bad = [(b, kern.get(b), k) for (m, b), (_, k, _, _) in fleet.expect.items() if kern.get(b) != k]
    c.eq(bad, [], f"{what}: boots whose kernel is not the host's")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    lockdepd, ctlexe = sys.argv[1], sys.argv[2]
    for exe in (dh.JOURNAL_REMOTE, JOURNAL_UPLOAD):
        if not os.access(exe, os.X_OK):
            lt.skip(f"{exe} not installed")
    c = lt.Checker("fleet-transport")
    tmp = tempfile.mkdtemp(prefix="lockdep-fleet-")
    remote = None
    try:
        remote = run(c, lockdepd, ctlexe, tmp)
    finally:
        if c.failures:
            for name in ("lockdepd.log", "journal-remote.log"):
                p = os.path.join(tmp, name)
                if os.path.exists(p):
                    print(f"---- {name} (end) ----\n" + open(p, errors="replace").read()[-3000:])
        dh._cleanup()
        if os.environ.get("LOCKDEP_TEST_KEEP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


def run(c, lockdepd, ctlexe, tmp):
    cases = usable_cases(ctlexe)
    if not c.check(len(cases) >= 10, f"only {len(cases)} usable golden cases"):
        return
    fleet = Fleet(ctlexe, tmp, cases)
    central = os.path.join(tmp, "central")
    os.mkdir(central)
    db = os.path.join(tmp, "db", "lockdep.db")
    os.mkdir(os.path.dirname(db))
    hosts = list(range(N_HOSTS))

    # 1. source journals: two boots per host, cases varied per host
    for h in hosts:
        fleet.write(h, fleet.boot_entries(h, 1, 3 * h) + fleet.boot_entries(h, 2, 3 * h + 1))
    c.eq(len(fleet.expect), 2 * N_HOSTS, "reports generated")
    c.check(len({v[3] for v in fleet.expect.values()}) >= 10, "distinct signatures in the fleet")

    remote = Remote(central, tmp).start()
    d = dh.Daemon(lockdepd, db, ["--no-kmsg", "--no-journal", "--journal-dir", central], tmp).start()
    if not c.check(d.wait_running(), f"lockdepd did not start; log:\n{d.log()}"):
        return remote
    try:
        return phases(c, fleet, remote, d, ctlexe, db, hosts, central)
    finally:
        remote.stop()


def phases(c, fleet, remote, d, ctlexe, db, hosts, central):
    rcs = upload(fleet, remote, hosts)
    c.eq(rcs, {h: 0 for h in hosts}, "journal-upload exit statuses (first upload)")
    c.check(os.listdir(central), "journal-remote wrote nothing into the central directory")
    took = check_all(c, fleet, ctlexe, db, "first upload (20 hosts, 40 reports)")
    check_hosts(c, fleet, db, hosts, "first upload")
    c.check(took is None or took < LATENCY, "latency")

    # 2. new entries for some hosts: appended to the host's file, or a second file; upload again
    more = [h for h in hosts if h % 3 == 0]
    for h in more:
        fleet.write(h, fleet.boot_entries(h, 3, 5 * h + 2), "h.journal" if h % 2 else "h2.journal")
    rcs = upload(fleet, remote, more)
    c.eq(rcs, {h: 0 for h in more}, "journal-upload exit statuses (second upload with saved state)")
    check_all(c, fleet, ctlexe, db, "second upload (new boots of 7 hosts)")

    # 3. SIGTERM; uploads while lockdepd is down; restart
    c.eq(d.stop(), 0, "lockdepd exit status after SIGTERM")
    down = [h for h in hosts if h % 4 == 1]
    for h in down:
        fleet.write(h, fleet.boot_entries(h, 5, 7 * h + 5))
    rcs = upload(fleet, remote, down)
    c.eq(rcs, {h: 0 for h in down}, "journal-upload exit statuses (while lockdepd is stopped)")
    d.start()
    c.check(d.wait_running(), f"lockdepd did not restart; log:\n{d.log()}")
    check_all(c, fleet, ctlexe, db, "after SIGTERM and restart (uploads while stopped)")

    # 4. SIGKILL while 8 hosts upload a report behind 3,000 ordinary lines each; restart at once
    busy = [h for h in hosts if h % 5 in (2, 3)]
    for h in busy:
        fleet.write(h, fleet.boot_entries(h, 4, 11 * h + 3, n_noise=3000))
    before = dh.db_query(db, "SELECT count(*) FROM reports")[0][0]
    procs = {h: upload_start(fleet, remote, h) for h in busy}
    # kill as soon as the first of the new reports is stored (or when the uploads end)
    dh.wait_until(lambda: dh.db_query(db, "SELECT count(*) FROM reports")[0][0] > before
                  or all(p.poll() is not None for p in procs.values()), 30, 0.01)
    n_at_kill = dh.db_query(db, "SELECT count(*) FROM reports")[0][0] - before
    running = sum(p.poll() is None for p in procs.values())
    d.kill()
    print(f"SIGKILL with {n_at_kill} of {len(busy)} new reports stored and {running} uploads running", flush=True)
    c.check(running > 0 or n_at_kill < len(busy), "the kill did not happen during the uploads")
    d.start()
    c.check(d.wait_running(), f"lockdepd did not restart after SIGKILL; log:\n{d.log()}")
    for h, p in procs.items():
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
        c.eq(p.returncode, 0, f"journal-upload of host {h} (during the kill): exit status; {upload_log(fleet, h)[-300:]}")
    check_all(c, fleet, ctlexe, db, "after SIGKILL during uploads and restart", wait=30)

    # 5. once more after a clean restart: nothing re-read twice
    c.eq(d.stop(), 0, "lockdepd exit status after SIGTERM")
    d.start()
    c.check(d.wait_running(), "lockdepd did not restart")
    time.sleep(1.5)
    check_all(c, fleet, ctlexe, db, "after a final restart")

    # 6. a restart while a host's report is half uploaded, after another host whose clock is an hour
    # behind uploaded 3,000 lines: the central file is not in realtime order (as in any fleet)
    entries = fleet.boot_entries(0, 6, 23)
    half = len(entries) // 2
    fleet.write(0, entries[:half], "h3.journal")
    c.eq(upload(fleet, remote, [0]), {0: 0}, "journal-upload exit status (first half of a report)")
    time.sleep(1.0)
    fleet.rt[19] = RT0 - 3600 * 1000000
    fleet.write(19, dh.kernel_entries([(9000000 + i * 1000, NOISE[i % len(NOISE)]) for i in range(3000)],
                                      fleet.machine(19), fleet.boot(19, 7), fleet.hostname(19)), "h3.journal")
    c.eq(upload(fleet, remote, [19]), {19: 0}, "journal-upload exit status (host with its clock behind)")
    time.sleep(1.0)
    c.eq(d.stop(), 0, "lockdepd exit status after SIGTERM (report half uploaded)")
    fleet.write(0, entries[half:], "h3.journal")
    c.eq(upload(fleet, remote, [0]), {0: 0}, "journal-upload exit status (second half of the report)")
    d.start()
    c.check(d.wait_running(), "lockdepd did not restart")
    check_all(c, fleet, ctlexe, db, "report split over a restart, other host's clock behind")

    c.check(not re.search(r"\b(ERR|CRIT|ALERT|EMERG)\b|error|failed", d.full_log(), re.I),
            f"errors in the lockdepd log:\n{d.full_log()[-2000:]}")
    c.check(d.alive(), "lockdepd exited")
    c.eq(d.stop(), 0, "exit status after the final SIGTERM")
    return remote


if __name__ == "__main__":
    main()
