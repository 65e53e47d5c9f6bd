#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Schema migrations (DESIGN.md section 6: schema/NNNN-*.sql, forward-only, PRAGMA user_version, fixed
application_id).

Covers:
- a fresh database (created by `lockdepctl import` of an empty file) and a database created at
  schema version 1 (schema/0001-initial.sql applied with Python's sqlite3, application_id
  0x4c4b4450, user_version 1, a few rows in hosts, boots, groups, reports (+ FTS), chain_links,
  lock_classes, lock_edges, cursors) then migrated by `lockdepctl import`: their schemas
  (sqlite_master without sqlite_%, SQL comments and whitespace differences ignored) are equal
- user_version == the number of schema/NNNN-*.sql files; application_id is ours
- the rows written at version 1 survive the migration unchanged and can be read with
  `lockdepctl reports/list --json`; integrity_check and foreign_key_check are clean
- running the upgrade again changes nothing
- the schema equals the committed golden tests/fixtures/schema.expected
  (after an intended schema change: test-store-migrations.py LOCKDEPCTL SOURCE_ROOT --update,
  then review the diff)

Usage: test-store-migrations.py LOCKDEPCTL SOURCE_ROOT [--update]
"""

import importlib.util
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile

_spec = importlib.util.spec_from_file_location(
    "dh", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)
lt = dh.lt

APP_ID = 0x4c4b4450

V1_ROWS = """
INSERT INTO hosts (id, key, machine_id, hostname) VALUES
        (1, '0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef', 'old-host'),
        (2, 'name:ci-runner', NULL, 'ci-runner');
INSERT INTO boots (id, host, boot_id, kernel, first_seen, lockdep_off_at, lockdep_off_reason) VALUES
        (1, 1, 'fedcba9876543210fedcba9876543210', '5.10.0-test', 1600000000000000, 123456789, 'circular'),
        (2, 2, 'kernel:6.1.0-ci', '6.1.0-ci', 1600000100000000, NULL, NULL);
INSERT INTO groups (id, signature, sig_version, kind, key, func_title, first_seen, last_seen, n_reports,
                    n_hosts, status, note) VALUES
        (1, '0011223344556677', 1, 'circular', 'circular: &a->lock -> &b->lock', 'possible deadlock in f',
         1600000000000000, 1600000100000000, 2, 2, 'triaged', 'seen before the upgrade');
INSERT INTO reports (id, boot, grp, source, position, usec, time, kind, truncated, dedup_key, raw, parsed) VALUES
        (1, 1, 1, 'kmsg', '4711', 123456789, 1600000000000000, 'circular', 0, '123456789-aaaa',
         'WARNING: possible circular locking dependency detected', '{"kind":"circular"}'),
        (2, 2, 1, 'import:/tmp/old.log', '17', NULL, 1600000100000000, 'circular', 1, '-bbbb',
         'WARNING: possible circular locking dependency detected (cut)', '{"kind":"circular","truncated":true}');
INSERT INTO chain_links (report, position, class, canonical, stack) VALUES
        (1, 0, '&b->lock#2', '&b->lock', '["f","g"]'), (1, 1, '&a->lock', '&a->lock', '["h"]');
INSERT INTO lock_classes (name, canonical) VALUES ('&b->lock#2', '&b->lock'), ('&a->lock', '&a->lock');
INSERT INTO lock_edges (id, from_class, to_class, first_seen, last_seen, first_kernel, n) VALUES
        (1, '&a->lock', '&b->lock', 1600000000000000, 1600000100000000, '5.10.0-test', 2);
INSERT INTO cursors (source, position, updated) VALUES ('kmsg', 'fedcba9876543210fedcba9876543210:4712', 1600000000000001);
INSERT INTO aliases (printed, canonical) VALUES ('&x->old', '&x->new');
"""
V1_TABLES = ("hosts", "boots", "groups", "reports", "chain_links", "lock_classes", "lock_edges", "cursors",
             "aliases")
# dropped by 0005 (never read: the chain is in reports.parsed); its rows do not survive the upgrade
V1_KEPT = tuple(t for t in V1_TABLES if t != "chain_links")


def strip_comments(sql):
    out, i, q = [], 0, None
    while i < len(sql):
        ch = sql[i]
        if q:
            out.append(ch)
            if ch == q:
                q = None
        elif ch in "'\"`[":
            q = "]" if ch == "[" else ch
            out.append(ch)
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = len(sql) if j < 0 else j
            continue
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = len(sql) if j < 0 else j + 2
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def norm_sql(sql):
    s = re.sub(r"\s+", " ", strip_comments(sql or "")).strip()
    return re.sub(r"\s*([(),;=])\s*", r"\1", s)


def dump(db):
    con = sqlite3.connect("file:" + db + "?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                           "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").fetchall()
        uv = con.execute("PRAGMA user_version").fetchone()[0]
        appid = con.execute("PRAGMA application_id").fetchone()[0]
    finally:
        con.close()
    lines = sorted(f"{t} {n} on {tn}: {norm_sql(s)}" for t, n, tn, s in rows)
    return [f"PRAGMA application_id = {appid}", f"PRAGMA user_version = {uv}"] + lines


def table_rows(db, tables, columns=None):
    """Rows of each table; with columns ({table: [names]}) only those columns, so rows written at
    version 1 can be compared after later migrations added columns."""
    con = sqlite3.connect("file:" + db + "?mode=ro", uri=True)
    try:
        out = {}
        for t in tables:
            cols = ", ".join(columns[t]) if columns else "*"
            out[t] = con.execute(f"SELECT {cols} FROM {t} ORDER BY 1, 2").fetchall()
        return out
    finally:
        con.close()


def table_columns(db, tables):
    con = sqlite3.connect("file:" + db + "?mode=ro", uri=True)
    try:
        return {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for t in tables}
    finally:
        con.close()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    ctlexe, root = sys.argv[1:3]
    update = "--update" in sys.argv[3:]
    schema_dir = os.path.join(root, "schema")
    golden = os.path.join(root, "tests", "fixtures", "schema.expected")
    migrations = sorted(f for f in os.listdir(schema_dir) if re.fullmatch(r"\d{4}-.*\.sql", f))
    c = lt.Checker("store-migrations")
    c.check(migrations and migrations[0].startswith("0001-"), f"schema files: {migrations}")
    tmp = tempfile.mkdtemp(prefix="lockdep-migrations-")
    try:
        empty = os.path.join(tmp, "empty.txt")
        open(empty, "w").close()

        fresh = os.path.join(tmp, "fresh.db")
        r = dh.ctl(ctlexe, fresh, "import", empty)
        c.eq(r.returncode, 0, f"import of an empty file into a new database (stderr {r.stderr!r})")
        d_fresh = dump(fresh)
        if update:
            with open(golden, "w") as f:
                f.write("# The database schema after all migrations, as test-store-migrations.py dumps it\n"
                        "# (sqlite_master sorted; comments and whitespace normalized). Regenerate with\n"
                        "# test-store-migrations.py LOCKDEPCTL SOURCE_ROOT --update and review the diff.\n")
                f.write("\n".join(d_fresh) + "\n")
            print(f"wrote {golden}")
            return

        old = os.path.join(tmp, "v1.db")
        con = sqlite3.connect(old)
        with open(os.path.join(schema_dir, migrations[0]), encoding="utf-8") as f:
            con.executescript(f.read())
        con.executescript(f"PRAGMA application_id = {APP_ID}; PRAGMA user_version = 1;" + V1_ROWS)
        con.commit()
        con.close()
        v1_columns = table_columns(old, V1_TABLES)
        before = table_rows(old, V1_TABLES, v1_columns)
        c.check(all(before.values()), "test input: every version 1 table has rows")
        r = dh.ctl(ctlexe, old, "reports", "--json")
        c.check(r.returncode != 0 and b"older" in r.stderr,
                f"read-only lockdepctl on a version 1 database: exit {r.returncode}, stderr {r.stderr!r}")
        c.eq(table_rows(old, V1_TABLES, v1_columns), before, "rows after a read-only open (nothing migrated)")

        r = dh.ctl(ctlexe, old, "import", empty)
        c.eq(r.returncode, 0, f"import of an empty file into a version 1 database (stderr {r.stderr!r})")
        d_old = dump(old)
        c.check(d_fresh == d_old, "schema of the migrated database differs from a fresh one:\n"
                + "\n".join(f"  fresh only: {l}" for l in d_fresh if l not in d_old)
                + "\n" + "\n".join(f"  migrated only: {l}" for l in d_old if l not in d_fresh))
        for name, db in (("fresh", fresh), ("migrated", old)):
            c.eq(dh.db_query(db, "PRAGMA user_version")[0][0], len(migrations), f"{name}: user_version")
            c.eq(dh.db_query(db, "PRAGMA application_id")[0][0], APP_ID, f"{name}: application_id")
            c.eq(dh.db_query(db, "PRAGMA integrity_check"), [("ok",)], f"{name}: integrity_check")
            c.eq(dh.db_query(db, "PRAGMA foreign_key_check"), [], f"{name}: foreign_key_check")
        kept = {t: before[t] for t in V1_KEPT}
        c.eq(table_rows(old, V1_KEPT, v1_columns), kept, "version 1 rows after the migration")
        try:
            reps = dh.reports(ctlexe, old)
            grps = dh.groups(ctlexe, old)
            c.eq(sorted((x["id"], x["group"], x["kind"], x["host"], x["source"]) for x in reps),
                 [(1, 1, "circular", "old-host", "kmsg"), (2, 1, "circular", "ci-runner", "import:/tmp/old.log")],
                 "old reports through lockdepctl reports --json")
            c.eq([(g["id"], g["signature"], g["status"], g["n_reports"]) for g in grps],
                 [(1, "0011223344556677", "triaged", 2)], "old group through lockdepctl list --json")
        except (RuntimeError, lt.ParseError) as e:
            c.check(False, f"reading the migrated database: {e}")
        c.eq(dh.db_query(old, "SELECT rowid FROM reports_fts WHERE reports_fts MATCH 'cut'"), [(2,)],
             "full-text search over old reports")

        r = dh.ctl(ctlexe, old, "import", empty)
        c.eq(r.returncode, 0, "second upgrade run: exit status")
        c.eq(dump(old), d_old, "schema after a second upgrade run")
        c.eq(table_rows(old, V1_KEPT, v1_columns), kept, "rows after a second upgrade run")
        # 0010: the index merges 16 segments at a time, in a migrated database as in a new one; old and
        # new reports are found together afterwards (the segments written before and after it)
        for name, db in (("fresh", fresh), ("migrated", old)):
            c.eq(dh.db_query(db, "SELECT v FROM reports_fts_config WHERE k = 'automerge'"), [(16,)],
                 f"{name}: full-text index automerge (0010)")
        r = dh.ctl(ctlexe, old, "import", "--host", "new-host", os.path.join(root, "tests", "fixtures", "linux_guilty_61.txt"))
        c.eq(r.returncode, 0, f"import of a report into the migrated database (stderr {r.stderr!r})")
        for word, want in (("cut", ["ci-runner"]), ("s_writepages_rwsem", ["new-host"])):
            r = dh.ctl(ctlexe, old, "search", "--json", word)
            hosts = sorted({json.loads(l)["host"] for l in r.stdout.splitlines() if l.strip()})
            c.eq(hosts, want, f"search {word} in the migrated database")
        con = sqlite3.connect(old)
        try:
            con.execute("INSERT INTO reports_fts (reports_fts) VALUES ('integrity-check')")
            fts_ok = "ok"
        except sqlite3.DatabaseError as e:
            fts_ok = str(e)
        finally:
            con.close()
        c.eq(fts_ok, "ok", "migrated database: full-text index integrity-check")

        try:
            with open(golden, encoding="utf-8") as f:
                want = [l for l in f.read().split("\n") if l and not l.startswith("#")]
        except FileNotFoundError:
            want = None
        if c.check(want is not None, f"{golden} missing; create it with --update"):
            c.check(d_fresh == want, f"schema differs from {golden} (after an intended change: --update):\n"
                    + "\n".join(f"  now only: {l}" for l in d_fresh if l not in want)
                    + "\n" + "\n".join(f"  golden only: {l}" for l in want if l not in d_fresh))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
