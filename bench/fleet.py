#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/fleet.py BUILD_DIR WORKDIR [options]: one SQLite database for a year of a large fleet.

Simulates a fleet (default: 10,000 hosts, 20,000 groups, 1,000,000 reports, 3,000,000 boots a year)
and builds WORKDIR/fleet.db in stages (--stages, cumulative report counts, default
100000,300000,1000000). After each stage it measures the database at that size.

Write path (what is honest about it):
- Reports go through the parser and the store: each stage writes syslog text (RFC 3339 time, host
  name, "kernel:", the kernel timestamp; as rsyslog writes a remote host's kernel messages) and
  pipes it into `lockdepctl import -` in --import-calls calls (default 10 per stage). Every report
  carries its own host name (hostNNNNN, 10,000 of them) and its own time, spread over the year, so
  hosts, group_hosts/n_hosts and report times are as in a fleet. The reports are circular lockdep
  reports made from tests/golden/cases/linux_guilty_61.txt with lock class names varied per group
  (as bench/web-gen.py does it), each after a "Linux version" banner and a few ordinary lines.
  Hosts and groups are skewed (a few hosts and groups produce most reports; every group occurs at
  least once in the full run). Kernel releases change over the year (24 releases, 3 flavours).
- Boots: syslog text carries no boot id, so the store makes one boot per host and kernel release
  ("kernel:<release>"), the rows `lockdepctl import` writes; nothing is inserted behind the
  store's back. (Earlier versions added 3 boots per report with sqlite3, boots without any report,
  which lockdepd never writes: --empty-boots N still does that, for comparison.)

--append N: after the last stage, N more reports (new ones, other hosts' boots) are imported in one
call into the full database and timed alone: the ingest rate into a database of that size.
--append-only: no stages; WORKDIR/fleet.db is a database this script built (a copy of one), the
append follows the reports it holds (the same reports a full run would append). --append-log FILE:
write the append's syslog text to FILE instead of importing it (for perf record and the like).

Measured after each stage: import wall time and reports/s (including the process start and the
quick_check of each import call),
database size (after a WAL checkpoint) per report, p50/p99 wall time of
`lockdepctl --db DB list --json --limit 50` and `lockdepctl --db DB show ID --json` (random groups,
and the largest group), the same two as HTTP requests to `lockdepd --web-only` (each URL distinct so
the response cache never answers; --no-web skips it), and `lockdepctl reparse` on a copy of the
database (stages up to --reparse-upto).

Options: --import-calls N --hosts N --groups N --reports N --empty-boots N --stages A,B,C --reparse-upto N
         --runs N --seed N --append N --append-only --append-log FILE --no-web --keep
Prints a JSON line per stage and a Markdown table at the end.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE_PATH = os.path.join(HERE, "..", "tests", "golden", "cases", "linux_guilty_61.txt")
SHARED = ["&mm->mmap_lock", "rtnl_mutex", "&sb->s_type->i_mutex_key#8", "sb_internal"]
ORIG_KERNEL = "6.2.0-rc6-syzkaller-00163-g66a87fff1a87"
FLAVOURS = ["cloud-amd64", "rt-amd64", "arm64"]
YEAR_START = 1767225600  # 2026-01-01 00:00:00 UTC
NOISE = ["EXT4-fs (sda1): mounted filesystem with ordered data mode",
         "usb 1-1: new high-speed USB device number 2 using xhci_hcd",
         "e1000e 0000:00:1f.6 eth0: NIC Link is Up 1000 Mbps Full Duplex"]


def kernel_of(i, n_total, host):
    month = i * 24 // n_total                      # 24 releases over the year
    return "6.%d.%d-%d-%s" % (1 + month // 6, month % 6, 10 + month, FLAVOURS[host % len(FLAVOURS)])


class Gen:
    def __init__(self, args):
        t = open(TEMPLATE_PATH).read()
        self.template = t[t.index("======"):].rstrip("\n")
        self.a = args
        self.rng = random.Random(args.seed)

    def report(self, g, i, kernel):
        s = self.template.replace("&sbi->s_writepages_rwsem", f"&lk_{g}->a_lock")
        s = s.replace("&journal->j_checkpoint_mutex", f"&lk_{g % 997}->shared_mutex")
        s = s.replace("sb_internal", SHARED[g % len(SHARED)] if g % 3 else f"lk_{g}_c")
        s = s.replace(ORIG_KERNEL, kernel)
        s = s.replace("syz-executor.3/1006", f"task{i % 50}/{1000 + i % 30000}")
        return s

    def pick(self, i):
        """(group, host) of report i: every 50th report walks through all groups, the others are
        skewed towards low group ids and low host ids."""
        a, rng = self.a, self.rng
        g = (i // 50) % a.groups if i % 50 == 0 else int(a.groups * rng.random() ** 3)
        h = int(a.hosts * rng.random() ** 2)
        return g, h

    def syslog(self, items):
        """Syslog text of reports (i, group, kernel, host): each report on its own host, at its own
        time of the year (report i of --reports at i/reports of the year)."""
        out = []
        year = 365 * 86400
        for i, g, kernel, h in items:
            when = YEAR_START + i * year / self.a.reports
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)) + ".%06d+00:00" % (i % 1000000)
            pre = f"{stamp} host{h:05d} kernel: "
            t = 100 + i % 100000  # kernel seconds since boot
            out.append(f"{pre}[    0.000000] Linux version {kernel} (builder@fleet) #1 SMP PREEMPT_DYNAMIC\n")
            for k, n in enumerate(NOISE):
                out.append(f"{pre}[{t - 1:6d}.{k:06d}] {n}\n")
            for line in self.report(g, i, kernel).split("\n"):
                out.append(f"{pre}[{t:6d}.{i % 1000000:06d}] {line}\n")
            out.append(f"{pre}[{t + 1:6d}.000000] {NOISE[0]}\n")
        return "".join(out).encode()


def env():
    e = dict(os.environ)
    for k in ("LOCKDEPCTL_DB", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID"):
        e.pop(k, None)
    e["LC_ALL"] = "C"
    return e


def ctl(build, db, *args, input=None, check=True):
    r = subprocess.run([os.path.join(build, "cli", "lockdepctl"), "--db", db, *args], input=input,
                       capture_output=True, env=env())
    if check and r.returncode != 0:
        raise RuntimeError(f"lockdepctl {' '.join(args)}: exit {r.returncode}: {r.stderr.decode()[-500:]}")
    return r


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def timed(fn, runs):
    ts = []
    for k in range(runs):
        t0 = time.perf_counter()
        fn(k)
        ts.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": round(pct(ts, 50), 1), "p99_ms": round(pct(ts, 99), 1), "max_ms": round(max(ts), 1),
            "runs": runs}


def db_size(db):
    con = sqlite3.connect(db, timeout=60)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return sum(os.path.getsize(p) for p in (db, db + "-wal") if os.path.exists(p))


def add_empty_boots(db, target, n_hosts, n_total, rng):
    """Only with --empty-boots (not the write path): boots without reports, inserted with sqlite3."""
    """Inserts boots without reports until `boots` has target rows; returns (seconds, rows added)."""
    con = sqlite3.connect(db, timeout=60)
    have = con.execute("SELECT count(*) FROM boots").fetchone()[0]
    need = target - have
    if need <= 0:
        con.close()
        return 0.0, 0
    hosts = [hid for (hid,) in con.execute("SELECT id FROM hosts")]
    con.execute("BEGIN")
    # the rest of the fleet: hosts rows as lockdepd writes them (machine id key) for the boots
    for h in range(len(hosts), n_hosts):
        mid = "%032x" % rng.getrandbits(128)
        hosts.append(con.execute("INSERT INTO hosts (key, machine_id, hostname) VALUES (?, ?, ?)",
                                 (mid, mid, "quiet%05d" % h)).lastrowid)
    t0 = time.perf_counter()
    now = int(time.time() * 1e6)
    year = 365 * 86400 * 10 ** 6

    def rows():
        for k in range(need):
            host = hosts[rng.randrange(len(hosts))]
            i = rng.randrange(n_total)
            yield (host, "%032x" % rng.getrandbits(128), kernel_of(i, n_total, host),
                   now - year + i * year // n_total)
    con.executemany("INSERT INTO boots (host, boot_id, kernel, first_seen) VALUES (?, ?, ?, ?)", rows())
    con.commit()
    con.close()
    return time.perf_counter() - t0, need


def con2_raw(db):
    """Mean bytes of raw report text kept per report (what bytes/report is compared with)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=60)
    n = con.execute("SELECT avg(length(CAST(raw AS BLOB))) FROM reports").fetchone()[0]
    con.close()
    return round(n or 0)


def import_items(a, db, items, calls, label):
    """Imports items (i, group, kernel, host) in `calls` lockdepctl import calls; returns (seconds,
    stored)."""
    chunk = (len(items) + calls - 1) // calls
    t0 = time.perf_counter()
    stored = 0
    for k in range(0, len(items), chunk):
        text = a.gen.syslog(items[k:k + chunk])
        t1 = time.perf_counter()
        r = ctl(a.build, db, "import", "-", input=text)
        a.import_only += time.perf_counter() - t1
        m = re.match(rb"(\d+) reports stored", r.stdout)
        stored += int(m.group(1)) if m else 0
        print(f"  {label}: {k + chunk}/{len(items)}, {stored} stored, {time.perf_counter() - t0:.0f} s",
              file=sys.stderr, flush=True)
    return stored


class Web:
    def __init__(self, build, db, workdir):
        self.log = os.path.join(workdir, "web.log")
        self.p = subprocess.Popen([os.path.join(build, "daemon", "lockdepd"), "--web-only", "--db", db,
                                   "--config", "/dev/null", "--listen", "127.0.0.1:0"],
                                  stdout=open(self.log, "wb"), stderr=subprocess.STDOUT, env=env())
        self.port = None
        for _ in range(200):
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", open(self.log).read())
            if m:
                self.port = int(m.group(1))
                break
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            self.stop()
            raise RuntimeError("lockdepd --web-only did not start: " + open(self.log).read()[-500:])
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def get(self, path):
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"GET {path}: {r.status} {body[:200]}")
        return body

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def measure(a, db, stage, import_s, n_imports, boots_s, rng):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=60)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("reports", "groups", "hosts", "boots")}
    ids = [gid for (gid,) in con.execute("SELECT id FROM groups")]
    biggest, big_n = con.execute("SELECT id, n_reports FROM groups ORDER BY n_reports DESC LIMIT 1").fetchone()
    con.close()
    raw = con2_raw(db)
    size = db_size(db)
    res = {"raw_bytes_per_report": raw, "stage": stage, **counts, "import_s": round(import_s, 1), "imports": n_imports,
           "reports_per_s": round(stage["new"] / import_s) if import_s else None,
           "empty_boots_s": round(boots_s, 1), "db_bytes": size,
           "bytes_per_report": round(size / max(1, counts["reports"])),
           "biggest_group": {"id": biggest, "n_reports": big_n}}
    res["cli_list"] = timed(lambda k: ctl(a.build, db, "list", "--json", "--limit", "50"), a.runs)
    sample = [rng.choice(ids) for _ in range(a.runs)]
    res["cli_show"] = timed(lambda k: ctl(a.build, db, "show", str(sample[k]), "--json"), a.runs)
    res["cli_show_biggest"] = timed(lambda k: ctl(a.build, db, "show", str(biggest), "--json"),
                                    max(5, a.runs // 5))
    if not a.no_web:
        w = Web(a.build, db, a.workdir)
        try:
            w.get("/api/v1/groups?limit=50")
            res["web_groups"] = timed(lambda k: w.get(f"/api/v1/groups?limit=50&n={stage['n']}-{k}"), a.runs)
            res["web_group"] = timed(lambda k: w.get(f"/api/v1/groups/{sample[k]}?n={stage['n']}-{k}"), a.runs)
            res["web_group_biggest"] = timed(lambda k: w.get(f"/api/v1/groups/{biggest}?n={stage['n']}-b{k}"),
                                             max(5, a.runs // 5))
        finally:
            w.stop()
    if stage["n"] <= a.reparse_upto:
        copy = os.path.join(a.workdir, "reparse.db")
        shutil.copyfile(db, copy)
        t0 = time.perf_counter()
        r = ctl(a.build, copy, "reparse")
        res["reparse_s"] = round(time.perf_counter() - t0, 1)
        res["reparse_out"] = r.stdout.decode().strip()
        os.unlink(copy)
    return res


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("build")
    ap.add_argument("workdir")
    ap.add_argument("--hosts", type=int, default=10000)
    ap.add_argument("--groups", type=int, default=20000)
    ap.add_argument("--reports", type=int, default=1000000)
    ap.add_argument("--empty-boots", type=int, default=0,
                    help="boots without reports to insert with sqlite3 at the end (not the write path)")
    ap.add_argument("--append", type=int, default=0)
    ap.add_argument("--stages", default="100000,300000,1000000")
    ap.add_argument("--reparse-upto", type=int, default=300000)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--import-calls", type=int, default=10)
    ap.add_argument("--no-web", action="store_true")
    ap.add_argument("--keep", action="store_true", help="reuse WORKDIR/fleet.db and its progress file")
    ap.add_argument("--append-only", action="store_true", help="only the append, into WORKDIR/fleet.db")
    ap.add_argument("--append-log", help="write the append's text here instead of importing it")
    a = ap.parse_args()
    if a.append_only:
        a.keep = True
    a.build = os.path.abspath(a.build)
    os.makedirs(a.workdir, exist_ok=True)
    db = os.path.join(a.workdir, "fleet.db")
    if not a.keep:
        for p in (db, db + "-wal", db + "-shm"):
            if os.path.exists(p):
                os.unlink(p)
    stages = [int(x) for x in a.stages.split(",")]
    a.gen = Gen(a)
    rng = random.Random(a.seed + 1)
    done = 0
    results = []
    if a.append_only:
        done = sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute("SELECT count(*) FROM reports").fetchone()[0]
        for i in range(done):  # the generator's state after the stages that built the database
            a.gen.pick(i)
        stages = []
    for n in stages:
        if n > a.reports:
            break
        items = []
        for i in range(done, n):
            g, h = a.gen.pick(i)
            items.append((i, g, kernel_of(i, a.reports, h), h))
        a.import_only = 0.0
        stored = import_items(a, db, items, a.import_calls, f"stage {n}")
        import_s = a.import_only
        if stored != n - done:
            print(f"WARNING: stage {n}: {stored} reports stored, {n - done} generated", file=sys.stderr)
        boots_s = 0.0
        if a.empty_boots and n == stages[-1]:
            boots_s, _ = add_empty_boots(db, a.empty_boots, a.hosts, a.reports, rng)
        stage = {"n": n, "new": n - done, "stored": stored}
        done = n
        res = measure(a, db, stage, import_s, a.import_calls, boots_s, rng)
        results.append(res)
        print(json.dumps(res), flush=True)
    if a.append:
        # new reports into the full database, on hosts' later boots (kernel releases after the year)
        items = []
        for i in range(done, done + a.append):
            g, h = a.gen.pick(i)
            items.append((i, g, "6.5.%d-%d-%s" % (i % 3, 40 + i % 5, FLAVOURS[h % 3]), h))
        if a.append_log:
            with open(a.append_log, "wb") as f:
                f.write(a.gen.syslog(items))
            print(f"wrote {a.append_log}: {len(items)} reports after report {done}", file=sys.stderr)
            return
        a.import_only = 0.0
        stored = import_items(a, db, items, 1, "append")
        have = sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute("SELECT count(*) FROM reports").fetchone()[0]
        res = {"append": a.append, "stored": stored, "into_reports": have - stored, "seconds": round(a.import_only, 2),
               "reports_per_s": round(stored / a.import_only) if a.import_only else None,
               "db_bytes": db_size(db), "raw_bytes_per_report": con2_raw(db)}
        res["bytes_per_report"] = round(res["db_bytes"] / have)
        print(json.dumps(res), flush=True)

    print("\n| reports | groups | hosts | boots | import reports/s | DB MB | bytes/report | list p99 (cli / web) "
          "| show p99 (cli / web) | show largest group p99 (cli / web) | reparse |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        w = lambda key: f"{r[key]['p99_ms']} ms" if key in r else "-"  # noqa: E731
        print(f"| {r['reports']:,} | {r['groups']:,} | {r['hosts']:,} | {r['boots']:,} | {r['reports_per_s']:,} "
              f"| {r['db_bytes'] / 1e6:,.0f} | {r['bytes_per_report']:,} "
              f"| {r['cli_list']['p99_ms']} ms / {w('web_groups')} | {r['cli_show']['p99_ms']} ms / {w('web_group')} "
              f"| {r['cli_show_biggest']['p99_ms']} ms ({r['biggest_group']['n_reports']:,} reports) / "
              f"{w('web_group_biggest')} | {str(r['reparse_s']) + ' s' if 'reparse_s' in r else '-'} |")


if __name__ == "__main__":
    main()
