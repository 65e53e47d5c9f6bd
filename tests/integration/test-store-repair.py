#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Databases made while schema/0001 and 0002 were still being edited (issue 12 item 8).

Before they were frozen, 0001 and 0002 were edited four times after databases had been made with
them; such a database has the user_version of the final text but not all of its objects. Each known
shape is made here from a database of today (reports imported from the golden cases and a few
hundred synthetic reports) by taking away what the earlier text did not create:

  v2-7206b80    0001 + 0002 of commit 7206b80: the FTS insert trigger instead of fts_state; no
                group_hosts, group_classes, edge_groups, group_kernels, groups.kernel_first/last
  v3-7206b80    the same after a build of today bumped it to the current version (0003 and later
                ran, nothing else; CURRENT below)
  v2-9109bb7    group_hosts and fts_state, but no group_classes, edge_groups, kernel range
  v2-7a30eb5    all but the kernel range (and 0003)
  v1-7206b80    0001 of 7206b80 only: upgraded through 0002 and 0003 of today, which leave
                group_classes and edge_groups empty
  v1            0001 of today only: the same emptiness after the upgrade

For each: a read-only `lockdepctl list` refuses it with the command that repairs it (v3) or asks
for the upgrade (v1, v2); a writer (`lockdepctl import`, or lockdepd for the first shape) repairs
it, says so, and rebuilds the lock classes and edges with progress; afterwards the schema equals a
fresh one, the derived tables (group_classes, edge_groups by class names, group_hosts,
group_kernels, kernel ranges) equal those of the original database, full-text search finds each
report once, and `lockdepctl list --lock` answers as on the original. A second open changes
nothing.

Also: the migrations are frozen: schema/NNNN-*.sql hash as tests/fixtures/schema-frozen.txt says
(a new migration is added there when it lands; an edited one fails here).

Usage: test-store-repair.py LOCKDEPD LOCKDEPCTL SOURCE_ROOT
"""

import hashlib
import importlib.util
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("dh", os.path.join(HERE, "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)
lt = dh.lt
_spec = importlib.util.spec_from_file_location("mig", os.path.join(HERE, "test-store-migrations.py"))
mig = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mig)

GOLDEN = os.path.normpath(os.path.join(HERE, "..", "golden", "cases"))
OLD_FTS_TRIGGER = """CREATE TRIGGER reports_fts_ai AFTER INSERT ON reports BEGIN
        INSERT INTO reports_fts (rowid, raw) VALUES (new.id, new.raw);
END;"""
NO_KERNEL_RANGE = ["ALTER TABLE groups DROP COLUMN kernel_first", "ALTER TABLE groups DROP COLUMN kernel_last"]
NO_0003 = ["DROP TABLE group_kernels"]
NO_CLASSES = ["DROP TABLE group_classes", "DROP TABLE edge_groups"]
NO_HOSTS = ["DROP TABLE group_hosts"]
FTS_7206B80 = ["DROP TABLE fts_state", OLD_FTS_TRIGGER]
NO_0002 = ["DROP TABLE gaps", "DROP TABLE triage_log", "DROP INDEX boots_host"]
# the newest migration: a shape at this version went through all of them
CURRENT = len([n for n in os.listdir(os.path.join(HERE, "..", "..", "schema")) if re.fullmatch(r"\d{4}-.*\.sql", n)])
# the shapes older than that lack what 0004 (host journal bookkeeping) makes
NO_0004 = ["DROP TABLE journal_files_failed", "DROP TABLE settings", "ALTER TABLE hosts DROP COLUMN journal_read",
           "ALTER TABLE hosts DROP COLUMN journal_last_entry"]
# and what 0007 (latent cycles) makes
NO_0007 = ["DROP TABLE latent_cycles", "DROP TABLE dep_edges", "DROP TABLE dep_boots", "DROP TABLE dep_hosts",
           "DROP TABLE dep_classes", "DROP TABLE dep_releases"]
# and what 0008 (group tombstones) makes
NO_0008 = ["DROP TRIGGER groups_tombstone", "DROP TRIGGER groups_untombstone", "DROP TABLE group_tombstones"]
# and what 0009 (latent triage) makes
NO_0009 = ["DROP TABLE latent_triage"]
# and what 0012 (snapshot transport) makes; its user_version is its place among the migrations
NO_0012 = ["DROP TABLE dep_snapshots", "DROP TABLE dep_snapshot_rejects", "DROP TABLE journal_seen"]
V_0012 = 1 + sorted(n for n in os.listdir(os.path.join(HERE, "..", "..", "schema"))
                    if re.fullmatch(r"\d{4}-.*\.sql", n)).index("0012-snapshot-transport.sql")
# and what 0013 (group detail: tasks and printed names per group) makes (its index goes with
# group_tombstones when 0008's statements drop that)
NO_0013 = ["DROP TABLE group_tasks", "DROP TABLE group_names", "DROP INDEX IF EXISTS group_tombstones_signature"]
V_0013 = 1 + sorted(n for n in os.listdir(os.path.join(HERE, "..", "..", "schema"))
                    if re.fullmatch(r"\d{4}-.*\.sql", n)).index("0013-group-detail.sql")
# and what 0014 (reports as logged) makes
NO_0014 = ["ALTER TABLE reports DROP COLUMN logged"]
V_0014 = 1 + sorted(n for n in os.listdir(os.path.join(HERE, "..", "..", "schema"))
                    if re.fullmatch(r"\d{4}-.*\.sql", n)).index("0014-report-logged.sql")

SHAPES = {
    "v2-7206b80": (2, NO_0003 + NO_KERNEL_RANGE + NO_CLASSES + NO_HOSTS + FTS_7206B80),
    "v3-7206b80": (CURRENT, NO_KERNEL_RANGE + NO_CLASSES + NO_HOSTS + FTS_7206B80),
    "v2-9109bb7": (2, NO_0003 + NO_KERNEL_RANGE + NO_CLASSES),
    "v2-7a30eb5": (2, NO_0003 + NO_KERNEL_RANGE),
    "v1-7206b80": (1, NO_0003 + NO_KERNEL_RANGE + NO_CLASSES + NO_HOSTS + NO_0002 + FTS_7206B80),
    "v1": (1, NO_0003 + NO_KERNEL_RANGE + NO_CLASSES + NO_HOSTS + NO_0002),
}


def derived(db):
    q = lambda sql: sorted(dh.db_query(db, sql))
    return {
        "group_classes": q("SELECT grp, canonical FROM group_classes"),
        "edge_groups": q("SELECT e.from_class, e.to_class, g.grp FROM edge_groups g JOIN lock_edges e ON e.id = g.edge"),
        "lock_edges": q("SELECT from_class, to_class, n, first_kernel FROM lock_edges"),
        "group_hosts": q("SELECT grp, host, n FROM group_hosts"),
        "group_kernels": q("SELECT grp, kernel, n FROM group_kernels"),
        # filled by migration 0013 from the stored parses, by the store on insert: the same rows
        "group_tasks": q("SELECT grp, task, n FROM group_tasks"),
        "group_names": q("SELECT grp, canonical, printed FROM group_names"),
        "groups": q("SELECT id, signature, n_reports, n_hosts, kernel_first, kernel_last FROM groups"),
        "reports": q("SELECT id, grp, lockdep_parsed(parsed) FROM reports"),
        "fts": q("SELECT rowid FROM reports_fts WHERE reports_fts MATCH 'lock'"),
    }


def make_shape(src, dst, version, statements):
    shutil.copy(src, dst)
    con = sqlite3.connect(dst, isolation_level=None)
    for sql in statements + (NO_0004 if version < 4 else []) + (NO_0007 if version < 7 else []) + (NO_0008 if version < 8 else []) + (NO_0009 if version < 9 else []) + (NO_0012 if version < V_0012 else []) + (NO_0013 if version < V_0013 else []) + (NO_0014 if version < V_0014 else []):
        con.execute(sql)
    con.execute(f"PRAGMA user_version = {version}")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def check_frozen(c, root):
    listing = os.path.join(root, "tests", "fixtures", "schema-frozen.txt")
    want = {}
    with open(listing) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                h, name = line.split()
                want[name] = h
    have = {}
    for name in sorted(os.listdir(os.path.join(root, "schema"))):
        if re.fullmatch(r"\d{4}-.*\.sql", name):
            with open(os.path.join(root, "schema", name), "rb") as f:
                have[name] = hashlib.sha256(f.read()).hexdigest()
    for name, h in have.items():
        c.check(want.get(name) == h, f"{name} is frozen: sha256 {h} is listed in {listing}"
                f" ({'edited after it landed' if name in want else 'new: add its hash when it lands'})")
    c.check(set(want) <= set(have), f"every frozen migration is still there: {sorted(set(want) - set(have))}")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    lockdepd, ctl, root = sys.argv[1:4]
    c = lt.Checker("store-repair")
    check_frozen(c, root)
    tmp = tempfile.mkdtemp(prefix="lockdep-repair-")
    try:
        orig = os.path.join(tmp, "orig.db")
        log = os.path.join(tmp, "many.log")
        with open(log, "w") as f:
            f.write(dh.many_reports_log(60))
        cases = sorted(os.path.join(GOLDEN, f) for f in os.listdir(GOLDEN) if f.endswith(".txt"))
        r = dh.ctl(ctl, orig, "import", *cases, log, timeout=300)
        c.check(r.returncode == 0, f"import: {r.stderr[-300:]!r}")
        r = dh.ctl(ctl, orig, "import", "--host", "other", log, timeout=300)  # two hosts per group
        con = sqlite3.connect(orig, isolation_level=None)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        want = derived(orig)
        c.check(len(want["group_classes"]) > 30 and len(want["edge_groups"]) > 20 and len(want["fts"]) > 200,
                f"test input: {len(want['group_classes'])} group classes, {len(want['edge_groups'])} group edges, "
                f"{len(want['fts'])} reports found by 'lock'")
        fresh_dump = mig.dump(orig)
        lock = "&mm->mmap_lock"
        want_lock = dh.ctl(ctl, orig, "list", "--json", "--lock", lock).stdout
        c.check(want_lock.count(b"\n") >= 1, f"test input: groups with {lock}")

        for name, (version, statements) in SHAPES.items():
            db = os.path.join(tmp, name + ".db")
            make_shape(orig, db, version, statements)
            r = dh.ctl(ctl, db, "list")
            err = r.stderr.decode(errors="replace")
            if version >= CURRENT:
                c.check(r.returncode == 1 and f"lockdepctl --db {db} reparse" in err,
                        f"{name}: read-only list refuses with the command that repairs it: {err!r}")
            else:
                c.check(r.returncode == 1 and "older" in err, f"{name}: read-only list asks for the upgrade: {err!r}")
            if name == "v2-7206b80":
                d = dh.Daemon(lockdepd, db, ["--no-kmsg", "--no-journal"], tmp, name="lockdepd-" + name).start()
                c.check(d.wait_running(60), f"{name}: lockdepd started: {d.log()[-500:]!r}")
                log_text = d.log()
                c.eq(d.stop(), 0, f"{name}: lockdepd exit status")
                c.check("made by an earlier build" in log_text and "group_hosts" in log_text,
                        f"{name}: lockdepd says what it repaired: {log_text[-800:]!r}")
                c.check(re.search(r"Rebuilding lock classes and edges: \d+ of \d+ reports \(100%\)", log_text)
                        and "Rebuilt the lock classes and edges" in log_text,
                        f"{name}: lockdepd rebuilds with progress: {log_text[-800:]!r}")
            else:
                r = dh.ctl(ctl, db, "import", "/dev/null", timeout=300)
                err = r.stderr.decode(errors="replace")
                c.check(r.returncode == 0, f"{name}: a writer opens it: {err[-500:]!r}")
                if version >= 2:
                    c.check("made by an earlier build" in err, f"{name}: the import says what it repaired: {err!r}")
                c.check("rebuilding" in err or name == "v2-7a30eb5",
                        f"{name}: the import rebuilds the lock classes and edges: {err!r}")
            got = derived(db)
            for k in want:
                c.check(got[k] == want[k], f"{name}: {k} as in the original database "
                        f"({len(got[k])} rows, want {len(want[k])})")
            c.eq(dh.db_query(db, "SELECT indexed_upto FROM fts_state"), dh.db_query(db, "SELECT max(id) FROM reports"),
                 f"{name}: fts_state up to the last report")
            d_now = mig.dump(db)
            c.check(d_now == fresh_dump, f"{name}: schema as a fresh one: "
                    + "; ".join(f"fresh only {l}" for l in fresh_dump if l not in d_now)[:400]
                    + "; ".join(f"here only {l}" for l in d_now if l not in fresh_dump)[:400])
            r = dh.ctl(ctl, db, "list", "--json", "--lock", lock)
            c.check(r.returncode == 0 and r.stdout == want_lock, f"{name}: list --lock {lock} as on the original")
            r = dh.ctl(ctl, db, "import", "/dev/null")
            c.check(r.returncode == 0 and b"earlier" not in r.stderr and derived(db) == got and mig.dump(db) == d_now,
                    f"{name}: a second open changes nothing ({r.stderr!r})")
    finally:
        dh._cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
