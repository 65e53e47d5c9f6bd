#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""/proc/lockdep snapshots carried by the journal (docs/LATENT.md, common/snapshot-journal.h):
collector -> journal entries -> systemd-journal-remote files -> lockdepd --journal-dir.

    test-latent-journal.py LOCKDEPD LOCKDEPCTL

The entries are what `lockdepctl snapshot --journal-export` writes (the same code as --journal),
with the fields journald adds itself (_TRANSPORT, _UID, _SYSTEMD_UNIT, _MACHINE_ID, _BOOT_ID,
_HOSTNAME), made into journal files by `systemd-journal-remote -o FILE -`, one per host:

- a: a snapshot of several parts, kernel entries between them, and three forged entries with the
  snapshot MESSAGE_ID (another unit; uid 1000; _TRANSPORT=stdout) whose edges would close a cycle;
- b: a first snapshot whose middle part is missing, then the boot's next snapshot (the delta);
- c: an ordinary snapshot;
- d: part 1 of a snapshot, a whole snapshot of a second boot, a forged entry; part 2 comes later;
- e: snapshots the acceptance rule refuses (classes only, no release, a NUL byte).

Must hold: the planted cycles of the three boots are found and nothing else (neither the forged
edges nor the lost snapshot's); untrusted 4, incomplete 1, refused 4 (one from the spool, which also
holds c's snapshot again: stored once, whatever carried it) in `lockdepctl stats --json`,
its text and /metrics; after SIGTERM, part 2 of d's snapshot and a restart (which reads d again from
its open snapshot's first part): d's snapshot stored, the second boot's snapshot not stored twice
(n_snapshots 1), the forged entry not counted twice; after a SIGKILL and a third start nothing
changes. Exits 77 when systemd-journal-remote is not installed.
"""

import importlib.util
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("dh", os.path.join(HERE, "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)
lt = dh.lt
sys.path.insert(0, HERE)
from latentgen import Fleet, snapshot_text  # noqa: E402

MESSAGE_ID = "9a052e7d7f694e47889a7b98581e1368"
RELEASE = "6.12.0-journal"
M = {x: (x * 32)[:32] for x in "abcde"}


def parse_export(data):
    """Entries of the journal export format: lists of (KEY, bytes)."""
    entries, cur, i = [], [], 0
    while i < len(data):
        j = data.index(b"\n", i)
        line = data[i:j]
        i = j + 1
        if not line:
            if cur:
                entries.append(cur)
            cur = []
            continue
        if b"=" in line:
            k, _, v = line.partition(b"=")
            cur.append((k.decode(), v))
        else:
            n = struct.unpack("<Q", data[i:i + 8])[0]
            cur.append((line.decode(), data[i + 8:i + 8 + n]))
            i += 8 + n + 1
    if cur:
        entries.append(cur)
    return entries


class Collector:
    """lockdepctl snapshot --journal-export for one boot (its own state directory)."""

    def __init__(self, ctl, tmp, boot, host):
        self.ctl, self.boot, self.host = ctl, boot, host
        self.dir = os.path.join(tmp, "collect-" + boot)
        os.makedirs(os.path.join(self.dir, "spool"))

    def run(self, text, release=RELEASE):
        src = os.path.join(self.dir, "proc-lockdep")
        with open(src, "w") as f:
            f.write(text)
        r = subprocess.run([self.ctl, "snapshot", "--input", src, "--output", os.path.join(self.dir, "spool"),
                            "--state", self.dir, "--boot-id", self.boot, "--host", self.host, "--kernel", release,
                            "--journal-export"], capture_output=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"lockdepctl snapshot: exit {r.returncode}: {r.stderr.decode(errors='replace')}")
        return parse_export(r.stdout)


def trusted(entries, machine, boot, host, unit="lockdep-collect.service", uid="0", transport="journal"):
    """The entries as journald stores them: with the fields only journald sets."""
    return [[("_TRANSPORT", transport), ("_UID", uid), ("_GID", uid), ("_SYSTEMD_UNIT", unit),
             ("_MACHINE_ID", machine), ("_BOOT_ID", boot), ("_HOSTNAME", host)] + e for e in entries]


def kernel_line(machine, boot, host, text, usec):
    return dh.kernel_entries([(usec, text)], machine, boot, host)[0]


def field(e, k):
    return next((v for kk, v in e if kk == k), None)


def db_rows(db, sql):
    try:
        return dh.db_query(db, sql)
    except Exception:
        return None


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    lockdepd, ctl = sys.argv[1:3]
    if not os.access(dh.JOURNAL_REMOTE, os.X_OK):
        lt.skip(f"{dh.JOURNAL_REMOTE} not installed")
    ck = lt.Checker("latent-journal")
    tmp = tempfile.mkdtemp(prefix="latent-journal-")
    try:
        run(ck, lockdepd, ctl, tmp)
    finally:
        dh._cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


def run(ck, lockdepd, ctl, tmp):
    fleet = Fleet(7, n_classes=900, pool=3600, n_boots=3, n_planted=3, release=RELEASE)
    (b0, h0, d0), (b1, h1, d1), (b2, h2, d2) = [("%032x" % (0xb0 + i), x[1], x[2]) for i, x in enumerate(fleet.boots)]
    planted = set(fleet.planted)
    jdir = os.path.join(tmp, "remote")
    os.mkdir(jdir)
    rt = [1700000000000000]

    def write(host, entries):
        out = []
        for e in entries:
            rt[0] += 1000
            out.append(dh.export_entry([("__REALTIME_TIMESTAMP", str(rt[0]))] + e))
        dh.write_journal(os.path.join(jdir, f"remote-{host}.journal"), b"".join(out))

    def text(deps):
        return snapshot_text(fleet.rng, deps, sorted({c for e in deps for c in e}))

    # a: a snapshot of several parts with kernel entries between them, then three forged entries
    parts_a = Collector(ctl, tmp, b0, "fleet-a").run(text(d0))
    ck.check(len(parts_a) >= 2, f"the first snapshot of a is cut into parts: {len(parts_a)}")
    ck.check(all(field(e, "MESSAGE_ID") == MESSAGE_ID.encode() for e in parts_a), "every part has the MESSAGE_ID")
    ck.check(all(len(field(e, "LOCKDEP_SNAPSHOT_TEXT")) <= 48 * 1024 for e in parts_a), "parts of at most 48 KiB")
    ck.eq([int(field(e, "LOCKDEP_SNAPSHOT_PART")) for e in parts_a], list(range(1, len(parts_a) + 1)), "parts in order")
    ck.eq(b"".join(field(e, "LOCKDEP_SNAPSHOT_TEXT") for e in parts_a).decode(),
          open(os.path.join(tmp, "collect-" + b0, "spool", os.listdir(os.path.join(tmp, "collect-" + b0, "spool"))[0])).read(),
          "the parts are the spool file's text")
    # the forged ones: a whole snapshot (one part) that closes a cycle over two planted classes
    cyc = sorted(planted)[0]
    forged_deps = [(cyc[1], cyc[0])] + [(cyc[i], cyc[i + 1]) for i in range(len(cyc) - 1)]
    forged = Collector(ctl, tmp, "f" * 32, "fleet-a").run(text(forged_deps))
    ck.eq(len(forged), 1, "the forged snapshot is one part")
    a = trusted(parts_a[:1], M["a"], b0, "fleet-a") + [kernel_line(M["a"], b0, "fleet-a", "usb 1-1: new device", 5000000)]
    a += trusted(parts_a[1:], M["a"], b0, "fleet-a")
    a += trusted(forged, M["a"], b0, "fleet-a", unit="evil.service")
    a += trusted(forged, M["a"], b0, "fleet-a", uid="1000")
    a += trusted(forged, M["a"], b0, "fleet-a", transport="stdout")
    write("a", a)

    # b: the first snapshot (filler classes only) loses its middle part; the next one is the delta
    filler = [("&filler%d->lock" % i, "&filler%d->lock" % (i + 1)) for i in range(3000)]
    cb = Collector(ctl, tmp, b1, "fleet-b")
    first = cb.run(text(filler))
    ck.check(len(first) >= 3, f"the filler snapshot has at least three parts: {len(first)}")
    second = cb.run(text(filler + d1))
    ck.check(len(second) >= 1, "the second snapshot of b is sent")
    write("b", trusted(first[:1] + first[2:], M["b"], b1, "fleet-b") + trusted(second, M["b"], b1, "fleet-b"))

    # c: an ordinary snapshot
    write("c", trusted(Collector(ctl, tmp, b2, "fleet-c").run(text(d2)), M["c"], b2, "fleet-c"))

    # d: part 1 of an open snapshot, a whole one of another boot, a forged entry; part 2 later
    bd, bd2 = "d" * 32, "e" * 32
    open_parts = Collector(ctl, tmp, bd, "fleet-d").run(text([("&dopen%d->lock" % i, "&dopen%d->lock" % (i + 1))
                                                              for i in range(1500)]))
    ck.check(len(open_parts) >= 2, f"d's snapshot has parts: {len(open_parts)}")
    whole = Collector(ctl, tmp, bd2, "fleet-d").run(text([("&dwhole->lock", "&dwhole2->lock")]))
    write("d", trusted(open_parts[:1], M["d"], bd, "fleet-d") + trusted(whole, M["d"], bd2, "fleet-d")
          + trusted(forged, M["d"], bd, "fleet-d", uid="1000"))

    # e: refused by the acceptance rule of every entry (store/ingest.c ingest_deps_refusal())
    e = []
    for i, body in enumerate(["all lock classes:\nffffffff82a4b2c0: cgroup_mutex\n",
                              text([("&e0->lock", "&e1->lock")]),
                              text([("&e0->lock", "&e1->lock")]).replace("&e0->lock", "&e0\0->lock")]):
        head = "# lockdep-snapshot: 1\n" + ("" if i == 1 else f"# release: {RELEASE}\n") + \
            f"# boot-id: {'%032x' % (0xe0 + i)}\n# host: fleet-e\n# taken: {1700000000000000 + i}\n"
        payload = (head + body).encode()
        e.append([("MESSAGE_ID", MESSAGE_ID), ("MESSAGE", "refused"), ("LOCKDEP_SNAPSHOT", f"e{i}"),
                  ("LOCKDEP_SNAPSHOT_PART", "1"), ("LOCKDEP_SNAPSHOT_PARTS", "1"),
                  ("LOCKDEP_SNAPSHOT_BYTES", str(len(payload))), ("LOCKDEP_SNAPSHOT_TEXT", payload)])
    write("e", trusted(e, M["e"], "%032x" % 0xe0, "fleet-e"))

    # the spool too: c's snapshot again (the same one: stored once, whatever carried it) and one
    # that the rule refuses (counted like the journal's)
    spool = os.path.join(tmp, "spool")
    os.mkdir(spool)
    cspool = os.path.join(tmp, "collect-" + b2, "spool")
    for n in os.listdir(cspool):
        shutil.copy(os.path.join(cspool, n), os.path.join(spool, n))
    with open(os.path.join(spool, "0000-classes-only.lockdep"), "w") as f:
        f.write(f"# lockdep-snapshot: 1\n# release: {RELEASE}\n# boot-id: {'%032x' % 0xf0}\n# host: fleet-s\n"
                "# taken: 1700000000000000\nall lock classes:\nffffffff82a4b2c0: cgroup_mutex\n")

    db = os.path.join(tmp, "lockdep.db")
    args = ["--no-kmsg", "--no-journal", "--journal-dir", jdir]

    def daemon():
        x = dh.Daemon(lockdepd, db, args, tmp)
        with open(x.conf, "w") as f:
            f.write(f"spool-dir = {spool}\n")
        return x.start()

    def boots():
        r = db_rows(db, "SELECT boot_id, n_snapshots FROM dep_boots")
        return dict(r) if r else {}

    def stats():
        r = dh.ctl(ctl, db, "stats", "--json")
        return json.loads(r.stdout) if r.returncode == 0 else {}

    def latent():
        r = dh.ctl(ctl, db, "latent", "--json", "--kernel", RELEASE)
        return json.loads(r.stdout) if r.returncode == 0 else {"cycles": [], "releases": []}

    def counts():
        s = stats()
        return (s.get("snapshots_untrusted"), s.get("snapshots_incomplete"), s.get("snapshots_refused"))

    last_spool = sorted(os.listdir(spool))[-1]

    def spool_read():
        r = db_rows(db, "SELECT position FROM cursors WHERE source LIKE 'spool:%'")
        return bool(r) and r[0][0] == last_spool

    d = daemon()
    ok = dh.wait_until(lambda: {b0, b1, b2, bd2} <= set(boots()) and counts() == (4, 1, 4) and spool_read(), 90)
    ck.check(ok, f"the three boots and d's second boot stored, rejects counted: {boots()} {counts()} {d.log()[-1500:]}")
    ck.eq(boots().get(b2), 1, "c's snapshot from the journal and from the spool: stored once")
    want_deps = {x for deps in (d0, d1, d2) for x in deps} | {("&dwhole->lock", "&dwhole2->lock")}
    js = latent()
    ck.eq({tuple(c["classes"]) for c in js["cycles"]}, planted, "the planted cycles, nothing else")
    ck.eq(js["releases"][0]["dependencies"] if js["releases"] else None, len(want_deps),
          "dependencies: the trusted complete snapshots' only")
    ck.check(not db_rows(db, "SELECT 1 FROM dep_classes WHERE name LIKE '&filler%'"),
             "nothing of the snapshot that lost a part")
    ck.check(bd not in boots(), "d's open snapshot is not stored yet")
    ck.eq(boots().get(b1), 1, "b: one snapshot stored (the delta)")
    st = stats()
    rej = {x["reason"]: x for x in st.get("snapshots_rejected", [])}
    ck.check("lockdep-collect.service" in rej.get("untrusted", {}).get("what", "") or
             "_UID" in rej.get("untrusted", {}).get("what", ""), f"untrusted says why: {rej.get('untrusted')}")
    ck.check("missing" in rej.get("incomplete", {}).get("what", ""), f"incomplete says which part: {rej.get('incomplete')}")
    r = dh.ctl(ctl, db, "stats")
    out = r.stdout.decode()
    ck.check("/proc/lockdep snapshots not stored" in out and "untrusted" in out and "incomplete" in out,
             f"lockdepctl stats lists them: {out[-800:]}")
    ck.check("not stored (untrusted" in d.log() and "not stored (incomplete" in d.log(), "lockdepd logs them")
    ck.eq(d.stop(), 0, "SIGTERM: exit 0")

    # part 2 (and the rest) of d's open snapshot arrives; the restart reads d again from part 1
    rest = trusted(open_parts[1:], M["d"], bd, "fleet-d")
    out = []
    for x in rest:
        rt[0] += 1000
        out.append(dh.export_entry([("__REALTIME_TIMESTAMP", str(rt[0]))] + x))
    dh.write_journal(os.path.join(jdir, "remote-d.journal"), b"".join(out))
    d = daemon()
    ok = dh.wait_until(lambda: bd in boots(), 60)
    ck.check(ok, f"d's snapshot stored once its last part came: {boots()} {d.log()[-1000:]}")
    time.sleep(1)
    ck.eq(counts(), (4, 1, 4), "after the restart: nothing counted twice")
    ck.eq(boots(), {b0: 1, b1: 1, b2: 1, bd2: 1, bd: 1}, "after the restart: each snapshot stored once")
    n_deps = latent()["releases"][0]["dependencies"]
    ck.eq(n_deps, len(want_deps) + 1500, "d's dependencies added")

    # SIGKILL and once more: nothing changes
    d.kill()
    d = daemon()
    ck.check(d.wait_running(), "third start")
    time.sleep(2)
    ck.eq(counts(), (4, 1, 4), "after SIGKILL: nothing counted twice")
    ck.eq(boots(), {b0: 1, b1: 1, b2: 1, bd2: 1, bd: 1}, "after SIGKILL: each snapshot stored once")
    ck.eq({tuple(c["classes"]) for c in latent()["cycles"]}, planted, "still the planted cycles")
    ck.eq(d.stop(), 0, "SIGTERM: exit 0")

    # /metrics: the same counts
    sys.path.insert(0, os.path.join(HERE, "..", "web"))
    try:
        import webtest  # noqa: E402
        srv = webtest.Server(lockdepd, db)
    except Exception as ex:  # lockdepd built without the web server
        print(f"# /metrics not checked: {ex}")
        return
    try:
        status, _, body = srv.request("GET", "/metrics")
        body = body.decode() if isinstance(body, bytes) else body
    finally:
        srv.stop()
    ck.eq(status, 200, "/metrics answers")
    for name, n in (("untrusted", 4), ("incomplete", 1), ("refused", 4)):
        ck.check(f"lockdep_snapshots_{name}_total {n}\n" in body, f"/metrics: lockdep_snapshots_{name}_total {n}")


main()
