#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/fleet-journal.py BUILD_DIR WORKDIR [options]: a journal-remote directory of a 10,000-machine
fleet read by a fresh lockdepd (issue 11; docs/FLEET.md "Sizing").

Input (made once, kept in WORKDIR/remote with a stamp file; --regen makes it again): --machines
machines (default 10,000), each with two journal files named as `systemd-journal-remote
--split-mode=host` names them: an archive remote-HOST@SEQNUMID-SEQNUM-REALTIME.journal (boot 0) and
the active remote-HOST.journal (boot 1). Each file is written by the real `systemd-journal-remote -o
FILE -` from export text (tests/integration/test-daemon-helpers.py write_journal_sparse(): written
in a scratch directory, copied with its zero blocks as holes). Every boot has the kernel records of
one lockdep report (the four fixtures of tests/integration in turn) between ordinary kernel lines,
so the directory holds 2 x machines reports. Generation runs --jobs journal-remote processes at
nice 10.

Measured, with lockdepd --journal-dir WORKDIR/remote --no-kmsg --no-journal --db (a fresh
database) --listen 127.0.0.1:0 under RLIMIT_NOFILE 1024 (the default soft limit of a service; the
unit raises it to 8192):
- catch-up: seconds from the start until every report is stored (polled read-only every 0.5 s),
  and lockdepd's CPU time (utime + stime) for it;
- peak descriptors (/proc/PID/fd, sampled every 20 ms) and peak RSS (VmHWM of /proc/PID/status);
- idle: 5 s after the catch-up, the context switches of all of lockdepd's threads
  (voluntary + involuntary, /proc/PID/task/*/status) and its CPU time over --idle seconds (10);
  0 means no wake-up at all;
- latency: --appends times, a new lockdep report (a lock class of its own, so a new group) is
  appended to one machine's active file with `systemd-journal-remote -o FILE -` (the way
  journal-remote appends what a host uploads); the time from the end of that write to the group
  appearing in GET /api/v1/groups (polled every 5 ms, a distinct URL each time so no cached answer
  counts).

Prints one JSON object and a Markdown table row.
"""

import argparse
import concurrent.futures
import http.client
import importlib.util
import json
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "dh", os.path.join(HERE, "..", "tests", "integration", "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)

NOISE = ["EXT4-fs (vda1): mounted filesystem with ordered data mode", "random: crng init done",
         "virtio_net virtio0 ens3: renamed from eth0", "clocksource: Switched to clocksource tsc"]
HOUR = 3600 * 1000000


def machine(h):
    return "%08x" % (0xf1ee7000 + h) + "%024x" % (h * 104729 + 11)


def hostname(h):
    return "node-%05d.fleet.example" % h


def boot(h, b):
    return "%016x%016x" % (0xb0075eed0000 + h, b + 1)


def wrap(recs, start):
    recs = dh.records_shift(recs, start + 5000 - recs[0][0])
    pre = [(start + i * 1000, NOISE[i]) for i in range(2)]
    post = [(recs[-1][0] + 5000 + i * 1000, NOISE[2 + i]) for i in range(2)]
    return pre + recs + post


def generate(a, cases, outdir):
    scratch = os.path.join(a.workdir, "scratch")
    for d in (outdir, scratch):
        if not a.resume:
            shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d, exist_ok=True)
    now = int(time.time() * 1000000)
    rng = random.Random(a.seed)

    def one(h):
        if a.resume and os.path.exists(os.path.join(outdir, "remote-%s.journal" % hostname(h))):
            return  # written by an earlier, interrupted run (the active file is written last)
        rt = now - 2 * HOUR - 400 * 1000
        for b in range(2):
            recs = wrap(cases[(h + b) % len(cases)], 3000000 + b * 1000)
            ents = dh.kernel_entries(recs, machine(h), boot(h, b), hostname(h))
            data, end = dh.export_stream(ents, rt)
            if b == 0:
                name = "remote-%s@%032x-%016x-%016x.journal" % (hostname(h), rng.getrandbits(128), 1, rt)
            else:
                name = "remote-%s.journal" % hostname(h)
            dh.write_journal_sparse(os.path.join(outdir, name), data, scratch)
            rt = end

    os.nice(a.nice)
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        for k, f in enumerate(ex.map(one, range(a.machines))):
            if k % 500 == 499:
                print(f"  generated {k + 1}/{a.machines} machines, {time.perf_counter() - t0:.0f} s",
                      file=sys.stderr, flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    return time.perf_counter() - t0


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ctx_switches(pid):
    n = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        n += int(line.split()[1])
        except OSError:
            pass
    return n


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_fds, self.stop = pid, 0, False

    def run(self):
        while not self.stop:
            try:
                self.peak_fds = max(self.peak_fds, len(os.listdir(f"/proc/{self.pid}/fd")))
            except OSError:
                pass
            time.sleep(0.02)


def count(db):
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM reports").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("build")
    ap.add_argument("workdir")
    ap.add_argument("--machines", type=int, default=10000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--idle", type=float, default=10.0)
    ap.add_argument("--appends", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--regen", action="store_true")
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--resume", action="store_true", help="keep the files of an interrupted generation")
    ap.add_argument("--nice", type=int, default=10)
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    a.workdir = os.path.abspath(a.workdir)
    os.makedirs(a.workdir, exist_ok=True)
    lockdepd = os.path.join(a.build, "daemon", "lockdepd")
    ctl = os.path.join(a.build, "cli", "lockdepctl")
    if not os.path.exists(dh.JOURNAL_REMOTE):
        sys.exit(f"{dh.JOURNAL_REMOTE} is not installed (apt install systemd-journal-remote)")

    cases, sigs = [], []
    for fx in dh.REPORT_FIXTURES:
        recs = dh.fixture_records(fx)
        reps = dh.parse_oracle(ctl, dh.console_text(wrap(recs, 0)))
        assert len(reps) == 1, f"{fx}: {len(reps)} reports"
        cases.append(recs)
    remote = os.path.join(a.workdir, "remote")
    stamp = os.path.join(a.workdir, "remote.stamp")
    want_stamp = json.dumps({"machines": a.machines, "seed": a.seed, "files": 2})
    gen_s = None
    if a.regen or not os.path.exists(stamp) or open(stamp).read() != want_stamp:
        gen_s = generate(a, cases, remote)
        with open(stamp, "w") as f:
            f.write(want_stamp)
    n_files = len([n for n in os.listdir(remote) if n.endswith(".journal")])
    if a.generate_only:
        print(json.dumps({"machines": a.machines, "files": n_files, "generate_s": gen_s}))
        return
    want = 2 * a.machines

    db = os.path.join(a.workdir, "bench.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    log = os.path.join(a.workdir, "lockdepd.log")
    env = dict(os.environ)
    for k in ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "WATCHDOG_USEC"):
        env.pop(k, None)
    t0 = time.monotonic()
    p = subprocess.Popen([lockdepd, "--config", "/dev/null", "--db", db, "--journal-dir", remote, "--no-kmsg",
                          "--no-journal", "--listen", "127.0.0.1:0"], stdout=open(log, "wb"),
                         stderr=subprocess.STDOUT, env=env,
                         preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)))
    sampler = Sampler(p.pid)
    sampler.start()
    res = {"machines": a.machines, "files": n_files, "reports_expected": want, "generate_s": gen_s}
    try:
        n = 0
        while time.monotonic() - t0 < a.timeout and p.poll() is None:
            n = count(db)
            if n >= want:
                break
            time.sleep(0.5)
        res["catchup_s"] = round(time.monotonic() - t0, 1)
        res["reports_stored"] = n
        res["catchup_cpu_s"] = round(proc_cpu(p.pid), 1)
        if p.poll() is not None:
            raise RuntimeError("lockdepd exited: " + open(log).read()[-1000:])
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", open(log).read())
        port = int(m.group(1))

        # idle: nothing new in the directory
        time.sleep(5)
        c0, cpu0 = ctx_switches(p.pid), proc_cpu(p.pid)
        time.sleep(a.idle)
        c1, cpu1 = ctx_switches(p.pid), proc_cpu(p.pid)
        res["idle_s"] = a.idle
        res["idle_wakeups"] = c1 - c0
        res["idle_wakeups_per_s"] = round((c1 - c0) / a.idle, 2)
        res["idle_cpu_s"] = round(cpu1 - cpu0, 2)

        # latency: a report appended to one machine's active file
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        polls = [0]

        def group_titles():
            polls[0] += 1
            conn.request("GET", f"/api/v1/groups?limit=500&n={polls[0]}")
            r = conn.getresponse()
            body = r.read()
            return body.decode(errors="replace")

        lat = []
        rng = random.Random(a.seed + 7)
        saved = os.path.join(a.workdir, "saved")
        os.makedirs(saved, exist_ok=True)
        base = dh.fixture_records(dh.REPORT_FIXTURES[0])
        for k in range(a.appends):
            h = rng.randrange(a.machines)
            cls = f"bench_append_{k}_lock"
            recs = [(u, t.replace("&lo->lo_ctl_mutex", f"&{cls}")) for u, t in base]
            recs = wrap(recs, 9000000 + k * 100000)
            ents = dh.kernel_entries(recs, machine(h), boot(h, 1), hostname(h))
            data, _ = dh.export_stream(ents, int(time.time() * 1000000))
            path = os.path.join(remote, "remote-%s.journal" % hostname(h))
            if not os.path.exists(os.path.join(saved, os.path.basename(path))):
                shutil.copy(path, os.path.join(saved, os.path.basename(path)))  # put back at the end
            r = subprocess.run([dh.JOURNAL_REMOTE, "-o", path, "-"], input=data, capture_output=True, timeout=60)
            if r.returncode != 0:
                raise RuntimeError(f"append to {path}: {r.stderr[-300:]}")
            t1 = time.monotonic()
            while time.monotonic() - t1 < 30:
                if cls in group_titles():
                    break
                time.sleep(0.005)
            lat.append(round((time.monotonic() - t1) * 1000, 1))
        res["append_latency_ms"] = lat
        res["append_latency_max_ms"] = max(lat) if lat else None
        res["peak_fds"] = sampler.peak_fds
        res["peak_rss_kib"] = status_kb(p.pid, "VmHWM")
        res["rss_kib_end"] = status_kb(p.pid, "VmRSS")
        res["reports_end"] = count(db)
    finally:
        sampler.stop = True
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        saved = os.path.join(a.workdir, "saved")
        for name in os.listdir(saved) if os.path.isdir(saved) else []:
            os.replace(os.path.join(saved, name), os.path.join(remote, name))
    failed = subprocess.run([ctl, "--db", db, "stats", "--json"], capture_output=True)
    try:
        st = json.loads(failed.stdout)
        res["journal_files_unreadable"] = st.get("journal_files_unreadable")
        res["journal_file_errors"] = st.get("journal_file_errors")
    except ValueError:
        pass
    print(json.dumps(res), flush=True)
    print("\n| machines | files | reports | catch-up | CPU | peak fds | peak RSS | idle wake-ups/s | append latency max |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {a.machines:,} | {n_files:,} | {res.get('reports_stored'):,}/{want:,} | {res.get('catchup_s')} s "
          f"| {res.get('catchup_cpu_s')} s | {res.get('peak_fds')} | {res.get('peak_rss_kib', 0) / 1024:.1f} MiB "
          f"| {res.get('idle_wakeups_per_s')} | {res.get('append_latency_max_ms')} ms |")


if __name__ == "__main__":
    main()
