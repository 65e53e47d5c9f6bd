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


def run_ctl(db, *args, check=True):
    e = dict(os.environ, **ENV)
    e.pop("LOCKDEPCTL_DB", None)
    r = subprocess.run([ctl, "--db", db, "--no-pager", *args], capture_output=True, text=True, timeout=600, env=e)
    if check and r.returncode != 0:
        raise RuntimeError(f"lockdepctl {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return r


def cli_json(db, *args):
    """The verb's --json: one object, or the NDJSON rows of a list."""
    out = run_ctl(db, *args, "--json").stdout
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

def suppressed_groups(db):
    # the rule of store.h: an active rule names one of the group's classes or one of its edges
    return {g for (g,) in sql(db, """SELECT g.id FROM groups g WHERE EXISTS (SELECT 1 FROM suppressions su
        WHERE (su.expires IS NULL OR su.expires > ?) AND (su.class IN (SELECT canonical FROM group_classes
        WHERE grp = g.id) OR EXISTS (SELECT 1 FROM edge_groups eg JOIN lock_edges e ON e.id = eg.edge
        WHERE eg.grp = g.id AND e.from_class = su.edge_from AND e.to_class = su.edge_to)))""",
                               int(NOW) * 1000000)}


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


for name, db in DBS:
    srv = wt.Server(lockdepd, db, env={"LOCKDEP_NOW": NOW})
    try:
        check_stats(name, db, srv)
    finally:
        srv.stop()

c.done()
