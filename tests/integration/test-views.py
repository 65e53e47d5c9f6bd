#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Typed store views (issue 13; usage: test-views.py LOCKDEPD LOCKDEPCTL SHARED_DIR).

The store hands out structs and one serializer writes their JSON (store/store-views.c), for the API
and for `lockdepctl ... --json`. Checked on three databases: the golden cases with known triage
and suppressions, the syzkaller corpus (../shared/corpus/syzkaller; skipped when absent) and a
synthetic log of ../shared/bench/gen_corpus.py (skipped when absent).

Covers:
- stats: /api/v1/stats == lockdepctl stats --json on every database; the counters, by kind and by
  triage status (groups and reports, suppressed groups not counted) equal counts computed from the
  database's tables; the text table's "By triage status" has the REPORTS of each status; /metrics
  reads the same numbers
- suppressions: /api/v1/suppressions == lockdepctl suppress --list --json; every rule by id with
  "active" (0/1) true until it expires; the active rules hide exactly the groups their class or
  edge names (lockdepctl list --all marks them, list leaves them out), a rule that expired hides
  nothing (the same database two days later); the table says yes/no; /suppressions escapes notes
"""

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "web"))
import webtest as wt  # noqa: E402

lockdepd, ctl, shared = sys.argv[1:4]
NOW = "1764754200"  # 2025-12-03T09:30:00Z
ENV = {"NO_COLOR": "1", "LOCKDEP_NOW": NOW, "LC_ALL": "C.UTF-8"}
c = wt.Checker()
tmp = tempfile.mkdtemp(prefix="lockdep-views-")


def run_ctl(db, *args, check=True, now=None):
    e = dict(os.environ, **ENV)
    e["LOCKDEP_NOW"] = now or NOW
    e.pop("LOCKDEPCTL_DB", None)
    r = subprocess.run([ctl, "--db", db, "--no-pager", *args], capture_output=True, text=True, timeout=600, env=e)
    if check and r.returncode != 0:
        raise RuntimeError(f"lockdepctl {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return r


def cli_json(db, *args, now=None):
    """The verb's --json: one object, or the NDJSON rows of a list."""
    out = run_ctl(db, *args, "--json", now=now).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return rows


def sql(db, query, *params):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def q(s):
    return urllib.parse.quote(s, safe="")


# ---- the databases ------------------------------------------------------------------------------

def golden_db():
    """The golden cases, two groups confirmed, one fixed-in, a class suppressed (the answer known)."""
    _, db = wt.make_db(ctl)
    ids = [i for (i,) in sql(db, "SELECT id FROM groups ORDER BY id")]
    run_ctl(db, "triage", str(ids[0]), "--status", "confirmed")
    run_ctl(db, "triage", str(ids[1]), "--status", "confirmed")
    run_ctl(db, "triage", str(ids[2]), "--status", "fixed-in 6.1")
    # a class that only one group has: that group is hidden
    (cls,) = sql(db, "SELECT canonical FROM group_classes WHERE grp > ? GROUP BY canonical "
                 "HAVING count(DISTINCT grp) = 1 ORDER BY canonical LIMIT 1", ids[2])[0]
    run_ctl(db, "suppress", "--class", cls, "--note", "known")
    # an edge of two groups, and a class of three that expires a day after NOW
    (a, b), = sql(db, "SELECT e.from_class, e.to_class FROM lock_edges e JOIN edge_groups eg ON eg.edge = e.id "
                  "GROUP BY e.id HAVING count(DISTINCT eg.grp) >= 2 ORDER BY e.from_class, e.to_class LIMIT 1")
    run_ctl(db, "suppress", "--edge", f"{a},{b}")
    (cls3,), = sql(db, "SELECT canonical FROM group_classes GROUP BY canonical HAVING count(DISTINCT grp) >= 3 "
                   "ORDER BY count(DISTINCT grp), canonical LIMIT 1")
    run_ctl(db, "suppress", "--class", cls3, "--expires", "+1d", "--note", "<b>until tomorrow</b>")
    return db


def corpus_db():
    d = os.path.join(shared, "corpus", "syzkaller")
    if not os.path.isdir(d):
        print("# ../shared/corpus/syzkaller absent: corpus database skipped")
        return None
    db = os.path.join(tmp, "corpus.db")
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".txt"))
    run_ctl(db, "import", *files)
    return db


def gen_db():
    gen = os.path.join(shared, "bench", "gen_corpus.py")
    if not os.path.exists(gen):
        print("# ../shared/bench/gen_corpus.py absent: synthetic database skipped")
        return None
    log = os.path.join(tmp, "gen.log")
    subprocess.run(["/usr/bin/python3", gen, "--size", "3M", "--seed", "11", "--lockdep-every", "20K", "-o", log],
                   check=True, capture_output=True, timeout=300)
    db = os.path.join(tmp, "gen.db")
    run_ctl(db, "import", "--host", "gen-host", log)
    return db


DBS = [(name, db) for name, db in (("golden", golden_db()), ("corpus", corpus_db()), ("gen", gen_db())) if db]


# ---- stats --------------------------------------------------------------------------------------

def suppressed_groups(db, now=NOW):
    # the rule of store.h: an active rule names one of the group's classes or one of its edges
    return {g for (g,) in sql(db, """SELECT g.id FROM groups g WHERE EXISTS (SELECT 1 FROM suppressions su
        WHERE (su.expires IS NULL OR su.expires > ?) AND (su.class IN (SELECT canonical FROM group_classes
        WHERE grp = g.id) OR EXISTS (SELECT 1 FROM edge_groups eg JOIN lock_edges e ON e.id = eg.edge
        WHERE eg.grp = g.id AND e.from_class = su.edge_from AND e.to_class = su.edge_to)))""",
                               int(now) * 1000000)}


def check_stats(name, db, srv):
    api = srv.json("/api/v1/stats")
    cli = cli_json(db, "stats")
    c.check(len(cli) == 1 and cli[0] == api, f"{name}: /api/v1/stats == lockdepctl stats --json")
    hidden = suppressed_groups(db)
    groups = [(g, k, s, n) for g, k, s, n in sql(db, "SELECT id, kind, status, n_reports FROM groups")
              if g not in hidden]
    want = {"reports": sql(db, "SELECT count(*) FROM reports")[0][0], "groups": len(groups),
            "groups_suppressed": len(hidden), "hosts": sql(db, "SELECT count(*) FROM hosts")[0][0],
            "boots": sql(db, "SELECT count(*) FROM boots")[0][0],
            "suppressions": sql(db, "SELECT count(*) FROM suppressions")[0][0]}
    c.check({k: api.get(k) for k in want} == want, f"{name}: stats counters {want}")
    for key, col in (("by_kind", 1), ("by_status", 2)):
        agg = {}
        for row in groups:
            a = agg.setdefault(row[col], [0, 0])
            a[0] += 1
            a[1] += row[3]
        got = {x[key[3:]]: [x["n"], x["reports"]] for x in api[key]}
        c.check(got == agg and [x[key[3:]] for x in api[key]] == sorted(agg),
                f"{name}: stats {key}: groups and reports per {key[3:]}, in order")
    # the text table: By triage status with its REPORTS column
    text = run_ctl(db, "stats").stdout
    part = text.split("By triage status:")[1].split("\n\n")[0].splitlines()[2:]
    rows = {line.split()[0]: line.split()[-2:] for line in part if line.strip()}
    want_rows = {x["status"].split()[0]: [str(x["n"]), str(x["reports"])] for x in api["by_status"]}
    c.check(rows == want_rows and "-" not in sum(rows.values(), []),
            f"{name}: stats' By triage status shows GROUPS and REPORTS: {rows}")
    st, _, body = srv.request("GET", "/metrics")
    m = dict(re.findall(r"^(lockdep_[a-z_]+) (\d+)$", body.decode(), re.M))
    c.check(st == 200 and int(m["lockdep_reports_total"]) == api["reports"] and int(m["lockdep_groups"]) == api["groups"]
            and int(m["lockdep_hosts"]) == api["hosts"], f"{name}: /metrics counts the same reports, groups, hosts")


# ---- suppressions -------------------------------------------------------------------------------

def rule_matches(db, rule):
    """The groups a rule names by its class or edge (active or not)."""
    if rule["class"]:
        return {g for (g,) in sql(db, "SELECT DISTINCT grp FROM group_classes WHERE canonical = ?", rule["class"])}
    return {g for (g,) in sql(db, "SELECT DISTINCT eg.grp FROM edge_groups eg JOIN lock_edges e ON e.id = eg.edge "
                               "WHERE e.from_class = ? AND e.to_class = ?", rule["edge_from"], rule["edge_to"])}


def check_suppressions(name, db, srv, now=NOW):
    api = srv.json("/api/v1/suppressions")
    cli = cli_json(db, "suppress", "--list", now=now)
    c.check(list(api) == ["suppressions"] and api["suppressions"] == cli,
            f"{name} at {now}: /api/v1/suppressions == lockdepctl suppress --list --json ({len(cli)} rules)")
    rows = sql(db, "SELECT id, class, edge_from, edge_to, expires, note FROM suppressions ORDER BY id")
    want_active = [x[4] is None or x[4] > int(now) * 1000000 for x in rows]
    c.check([x["id"] for x in api["suppressions"]] == [x[0] for x in rows]
            and [bool(x["active"]) for x in api["suppressions"]] == want_active
            and all(x["active"] in (0, 1) for x in api["suppressions"]),
            f"{name} at {now}: every rule by id, active (0/1) while not expired: {want_active}")
    hidden = set()
    for rule in api["suppressions"]:
        if rule["active"]:
            hidden |= rule_matches(db, rule)
    listed = cli_json(db, "list", "--all", now=now)
    marked = {g["id"] for g in listed if g["suppressed"]}
    shown = {g["id"] for g in cli_json(db, "list", now=now)}
    c.check(marked == hidden and not (shown & hidden) and shown | hidden == {g["id"] for g in listed},
            f"{name} at {now}: the active rules hide exactly the groups they match ({len(hidden)}), the others listed")
    if rows:
        text = run_ctl(db, "suppress", "--list", now=now).stdout.splitlines()
        c.check(len(text) == len(rows) + 1 and all(line.split()[0] == str(x[0]) for line, x in zip(text[1:], rows))
                and [line.split()[4 if x[1] else 6] for line, x in zip(text[1:], rows)]
                == ["yes" if a else "no" for a in want_active], f"{name} at {now}: suppress --list table")
        st, _, body = srv.request("GET", "/suppressions")
        c.check(st == 200 and b"<b>until" not in body and (b"&lt;b&gt;until" in body) == any(x[5] and "<b>" in x[5] for x in rows),
                f"{name} at {now}: /suppressions escapes notes")


for name, db in DBS:
    srv = wt.Server(lockdepd, db, env={"LOCKDEP_NOW": NOW})
    try:
        check_stats(name, db, srv)
        check_suppressions(name, db, srv)
    finally:
        srv.stop()
# two days later the rule that expired after one hides nothing
later = str(int(NOW) + 2 * 86400)
srv = wt.Server(lockdepd, DBS[0][1], env={"LOCKDEP_NOW": later})
try:
    check_suppressions("golden", DBS[0][1], srv, now=later)
    c.check(srv.json("/api/v1/stats")["groups_suppressed"] == len(suppressed_groups(DBS[0][1], later)),
            "golden two days later: stats count what the rules still hide")
finally:
    srv.stop()

c.done()
