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
- hosts: /api/v1/hosts (and a sorted page) == lockdepctl hosts --json; /api/v1/hosts/NAME ==
  lockdepctl hosts NAME --json for every host; boots, reports and groups as the tables count them;
  three hosts sending known reports have the known counts, groups and order; unknown: 404, exit 1
- kernels: /api/v1/kernels (and a sorted page), /api/v1/kernels/R for every release and
  /api/v1/kernels/A?vs=B for pairs == lockdepctl kernels ... --json; hosts and boots per release as
  the boots table counts them; releases arriving in three shuffled orders give the known new,
  not-seen-since and new/gone/still lists, newest version first; unknown releases: 404, exit 1
- lock classes: /api/v1/locks (and a sorted page) == lockdepctl locks --json, /api/v1/locks/NAME ==
  lockdepctl locks NAME --json for 30 classes; groups, edges and the other printed names as the
  tables have them; a class's "printed" is the list's (strings); unknown: 404, exit 1
"""

import html
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


def parse(path):
    out = subprocess.run([ctl, "parse", "--json", path], capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def pick_bases(n):
    """n golden cases with one complete report each, of signatures no other case has."""
    parsed = {f: parse(os.path.join(wt.GOLDEN, f)) for f in sorted(os.listdir(wt.GOLDEN)) if f.endswith(".txt")}
    sigs = {}
    for reps in parsed.values():
        for rep in reps:
            sigs[rep["signature"]] = sigs.get(rep["signature"], 0) + 1
    ok = [(f, reps[0]) for f, reps in parsed.items() if len(reps) == 1 and not reps[0].get("truncated")
          and reps[0].get("kernel") and sigs[reps[0]["signature"]] == 1
          and not re.search(r"turning off the locking|lockdep is turned off",
                            open(os.path.join(wt.GOLDEN, f), errors="replace").read())]
    assert len(ok) >= n, f"only {len(ok)} usable golden cases"
    return ok[:n]


BASES = pick_bases(3)
FLEET = {"alpha": "ABC", "beta": "A", "gamma": "AB"}  # host: the reports (of distinct groups) it sent


def fleet_db():
    """Three hosts sending known reports: the answer of every count is known."""
    db = os.path.join(tmp, "fleet.db")
    for host, which in FLEET.items():
        run_ctl(db, "import", "--host", host, *[os.path.join(wt.GOLDEN, BASES["ABC".index(x)][0]) for x in which])
    return db


RELEASES = ["5.15.0-91-generic", "6.1-rc3", "6.1.55", "6.10.0"]  # version order
ON = {"A": {0, 1, 2, 3}, "B": {1}, "C": {0, 2}}  # group: the releases (indexes) it is reported on


def with_release(base, release):
    f, rep = BASES["ABC".index(base)]
    text = open(os.path.join(wt.GOLDEN, f), encoding="utf-8", errors="surrogateescape").read()
    path = os.path.join(tmp, f"{f[:-4]}@{release}.txt")
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as out:
        out.write(text.replace(rep["kernel"], release))
    return path


def releases_db(order, name):
    """The groups of ON re-released, the releases arriving in this order."""
    db = os.path.join(tmp, name + ".db")
    run_ctl(db, "import", *[with_release(g, RELEASES[i]) for i in order for g in "ABC" if i in ON[g]])
    return db


DBS = [(name, db) for name, db in (("golden", golden_db()), ("fleet", fleet_db()), ("corpus", corpus_db()), ("gen", gen_db())) if db]


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


# ---- kernels -------------------------------------------------------------------------------------

def check_kernels(name, db, srv):
    api = srv.json("/api/v1/kernels")
    cli = cli_json(db, "kernels")
    c.check(api["kernels"] == cli and api["total"] == len(cli), f"{name}: /api/v1/kernels == lockdepctl kernels --json "
            f"({len(cli)} releases)")
    want = {k: (h, b) for k, h, b in sql(db, "SELECT kernel, count(DISTINCT host), count(*) FROM boots "
                                         "WHERE kernel IS NOT NULL GROUP BY kernel")}
    c.check({x["kernel"]: (x["n_hosts"], x["n_boots"]) for x in api["kernels"]} == want,
            f"{name}: every release's hosts and boots as the boots table counts them")
    page = srv.json("/api/v1/kernels?sort=reports&order=asc&limit=3&offset=1")
    c.check(page["kernels"] == cli_json(db, "kernels", "--sort", "reports", "--order", "asc", "--limit", "3",
                                        "--offset", "1") and page["order"] == "asc", f"{name}: a sorted page, API == CLI")
    same = 0
    rels = [x["kernel"] for x in api["kernels"]]
    for rel in rels:
        one = srv.json(f"/api/v1/kernels/{q(rel)}")
        mine = cli_json(db, "kernels", rel)
        ok = len(mine) == 1 and mine[0] == one and {k: one[k] for k in api["kernels"][0]} == next(
            x for x in api["kernels"] if x["kernel"] == rel) and len(one["regressions"]) == one["new_groups"]
        same += ok
        if not ok:
            c.check(False, f"{name}: kernel {rel}: API {json.dumps(one)[:300]} CLI {json.dumps(mine)[:300]}")
    c.check(same == len(rels), f"{name}: /api/v1/kernels/R == lockdepctl kernels R --json for all {len(rels)} releases, "
            "its regressions as many as its new_groups")
    pairs = [(a, b) for a in rels[:5] for b in rels[:5] if a != b]
    same = 0
    for a, b in pairs:
        one = srv.json(f"/api/v1/kernels/{q(a)}?vs={q(b)}")
        mine = cli_json(db, "kernels", a, "--vs", b)
        same += len(mine) == 1 and mine[0] == one and one["kernel"] == a and one["vs"] == b
    c.check(same == len(pairs), f"{name}: /api/v1/kernels/A?vs=B == lockdepctl kernels A --vs B --json ({len(pairs)} pairs)")


def kernel_answers(db):
    """What the kernel views say, in group letters: per release its new, regressed-free gone, hosts."""
    sig = {rep["signature"]: "ABC"[i] for i, (_, rep) in enumerate(BASES)}
    letter = {g: sig[s] for g, s in sql(db, "SELECT id, signature FROM groups")}
    rows = cli_json(db, "kernels")
    out = {"order": [x["kernel"] for x in rows], "new": {x["kernel"]: x["new_groups"] for x in rows}}
    for rel in RELEASES:
        k = cli_json(db, "kernels", rel)[0]
        out[rel] = (sorted(letter[g["id"]] for g in k["regressions"]), sorted(letter[g["id"]] for g in k["not_seen_since"]))
        for other in RELEASES:
            if other != rel:
                v = cli_json(db, "kernels", rel, "--vs", other)[0]
                out[rel, other] = tuple(sorted(letter[g["id"]] for g in v[key]) for key in ("new", "gone", "still"))
    return out


def expected_answers():
    out = {"order": RELEASES[::-1], "new": {r: sum(min(ON[g]) == i for g in ON) for i, r in enumerate(RELEASES)}}
    for i, rel in enumerate(RELEASES):
        out[rel] = (sorted(g for g in ON if min(ON[g]) == i), sorted(g for g in ON if max(ON[g]) < i))
        for j, other in enumerate(RELEASES):
            if i != j:
                out[rel, other] = (sorted(g for g in ON if i in ON[g] and j not in ON[g]),
                                   sorted(g for g in ON if j in ON[g] and i not in ON[g]),
                                   sorted(g for g in ON if i in ON[g] and j in ON[g]))
    return out


want = expected_answers()
for n, order in enumerate([(3, 0, 2, 1), (1, 2, 3, 0), (2, 3, 1, 0)]):
    rdb = releases_db(order, f"releases{n}")
    got = kernel_answers(rdb)
    c.check(got == want, f"releases arriving in order {[RELEASES[i] for i in order]}: every release's new and "
            "not-seen-since groups, every pair's new/gone/still, newest version first"
            + ("" if got == want else f": {got} != {want}"))
    if n == 0:
        srv = wt.Server(lockdepd, rdb, env={"LOCKDEP_NOW": NOW})
        try:
            check_kernels("releases", rdb, srv)
            st, _, body = srv.request("GET", "/kernels/6.10.0?vs=6.1.55")
            c.check(st == 200 and b"<h2>Gone</h2>" in body and b"Still present" in body, "/kernels/X?vs=Y page")
            st, _, _ = srv.request("GET", "/api/v1/kernels/6.10.0?vs=7.0")
            r = run_ctl(rdb, "kernels", "6.10.0", "--vs", "7.0", check=False)
            c.check(st == 404 and r.returncode == 1 and "no boots ran both releases" in r.stderr,
                    "vs a release no boot ran: 404, exit 1")
            st, _, _ = srv.request("GET", "/api/v1/kernels/7.0")
            r = run_ctl(rdb, "kernels", "7.0", check=False)
            c.check(st == 404 and r.returncode == 1 and "no boot ran kernel '7.0'" in r.stderr,
                    "a release no boot ran: 404, exit 1")
        finally:
            srv.stop()


# ---- lock classes --------------------------------------------------------------------------------

def check_locks(name, db, srv):
    api = srv.json("/api/v1/locks?limit=10000")
    cli = cli_json(db, "locks")
    c.check(api["locks"] == cli and api["total"] == len(cli), f"{name}: /api/v1/locks == lockdepctl locks --json "
            f"({len(cli)} classes)")
    want = {}
    for cls, g in sql(db, "SELECT canonical, count(DISTINCT grp) FROM group_classes GROUP BY canonical"):
        printed = [n for (n,) in sql(db, "SELECT name FROM lock_classes WHERE canonical = ? AND name != canonical "
                                     "ORDER BY name", cls)]
        edges = sql(db, "SELECT count(*) FROM lock_edges WHERE from_class = ? OR to_class = ?", cls, cls)[0][0]
        want[cls] = (g, edges, printed)
    c.check({x["name"]: (x["n_groups"], x["n_edges"], x["printed"]) for x in api["locks"]} == want,
            f"{name}: every class's groups, edges and other printed names as the tables have them")
    page = srv.json("/api/v1/locks?sort=edges&order=asc&limit=5&offset=2")
    c.check(page["locks"] == cli_json(db, "locks", "--sort", "edges", "--order", "asc", "--limit", "5", "--offset", "2"),
            f"{name}: a sorted page of classes, API == CLI")
    some = [x for x in api["locks"] if x["printed"]][:10] + api["locks"][:20]
    same = 0
    for row in some:
        one = srv.json(f"/api/v1/locks/{q(row['name'])}")
        mine = cli_json(db, "locks", row["name"])
        ok = (len(mine) == 1 and mine[0] == one and one["printed"] == row["printed"] and one["n_groups"] == row["n_groups"]
              and len(one["groups"]) == row["n_groups"] and len(one["edges"]) == row["n_edges"]
              and all(isinstance(p, str) for p in one["printed"]))
        same += ok
        if not ok:
            c.check(False, f"{name}: lock {row['name']}: API {json.dumps(one)[:300]} CLI {json.dumps(mine)[:300]}")
    c.check(same == len(some), f"{name}: /api/v1/locks/NAME == lockdepctl locks NAME --json for {len(some)} classes; "
            "printed as in the list (strings), its groups and edges as many as the row says")
    if some:
        st, _, body = srv.request("GET", "/locks/" + q(some[0]["name"]))
        c.check(st == 200 and all(html.escape(p, quote=False).encode() in body for p in some[0]["printed"]),
                f"{name}: the class page shows its printed names")
    st, _, _ = srv.request("GET", "/api/v1/locks/no_such_class_at_all")
    r = run_ctl(db, "locks", "no_such_class_at_all", check=False)
    c.check(st == 404 and r.returncode == 1 and "No lock class matches" in r.stderr, f"{name}: an unknown class: 404, exit 1")


# ---- hosts ---------------------------------------------------------------------------------------

def check_hosts(name, db, srv):
    api = srv.json("/api/v1/hosts")
    cli = cli_json(db, "hosts")
    c.check(api["hosts"] == cli and api["total"] == len(cli) and api["limit"] is None,
            f"{name}: /api/v1/hosts == lockdepctl hosts --json ({len(cli)} hosts)")
    # counts from the tables
    want = {}
    for hid, boots, reports in sql(db, "SELECT h.id, (SELECT count(*) FROM boots b WHERE b.host = h.id), "
                                   "(SELECT count(*) FROM reports r JOIN boots b ON b.id = r.boot WHERE b.host = h.id) "
                                   "FROM hosts h"):
        want[hid] = (boots, reports, sql(db, "SELECT count(*) FROM group_hosts WHERE host = ?", hid)[0][0])
    got = {x["id"]: (x["n_boots"], x["n_reports"], x["n_groups"]) for x in api["hosts"]}
    c.check(got == want, f"{name}: every host's boots, reports and groups as the tables count them")
    page = srv.json("/api/v1/hosts?sort=reports&limit=2&offset=1")
    cli_page = cli_json(db, "hosts", "--sort", "reports", "--limit", "2", "--offset", "1")
    c.check(page["hosts"] == cli_page and page["sort"] == "reports" and page["order"] == "desc" and page["limit"] == 2,
            f"{name}: a sorted page of hosts, API == CLI")
    same = 0
    for h in api["hosts"]:
        key = h["machine_id"] or h["host"]
        one = srv.json(f"/api/v1/hosts/{q(key)}")
        mine = cli_json(db, "hosts", key)
        boots = sql(db, "SELECT count(*) FROM boots WHERE host = ?", h["id"])[0][0]
        ok = (len(mine) == 1 and mine[0] == one and {k: one[k] for k in h} == h and len(one["boots"]) == min(boots, 200)
              and sum(g["n"] for g in one["groups"]) == h["n_reports"] - sql(
                  db, "SELECT count(*) FROM reports r JOIN boots b ON b.id = r.boot WHERE b.host = ? AND r.grp IS NULL",
                  h["id"])[0][0])
        same += ok
        if not ok:
            c.check(False, f"{name}: host {key}: API {json.dumps(one)[:300]} CLI {json.dumps(mine)[:300]}")
    c.check(same == len(api["hosts"]), f"{name}: /api/v1/hosts/NAME == lockdepctl hosts NAME --json, the row's "
            f"fields, its boots, its groups' reports adding up, for all {len(api['hosts'])} hosts")
    if name == "fleet":
        rows = {x["host"]: x for x in api["hosts"]}
        sig = {rep["signature"]: "ABC"[i] for i, (_, rep) in enumerate(BASES)}
        gid = {g: sig[s] for g, s in sql(db, "SELECT id, signature FROM groups")}
        c.check({h: (x["n_reports"], x["n_groups"]) for h, x in rows.items()}
                == {h: (len(w), len(w)) for h, w in FLEET.items()}, f"fleet: hosts' reports and groups {FLEET}")
        c.check(all(sorted(gid[g["id"]] for g in srv.json(f"/api/v1/hosts/{h}")["groups"]) == list(w)
                    and all(g["n"] == 1 for g in srv.json(f"/api/v1/hosts/{h}")["groups"]) for h, w in FLEET.items()),
                "fleet: each host's page lists the groups it reported, one report each")
        c.check([x["host"] for x in cli_json(db, "hosts", "--sort", "reports")] == ["alpha", "gamma", "beta"]
                and [x["host"] for x in cli_json(db, "hosts")] == ["alpha", "beta", "gamma"],
                "fleet: hosts by name, and by reports (most first)")
        text = [line.split() for line in run_ctl(db, "hosts").stdout.splitlines()[1:]]
        c.check([(x[0], x[2], x[3]) for x in text] == [(h, str(len(w)), str(len(w))) for h, w in FLEET.items()],
                f"fleet: the hosts table's HOST, REPORTS, GROUPS: {text}")
    st, _, body = srv.request("GET", "/hosts")
    c.check(st == 200 and body.count(b'<a href="/hosts/') == len(api["hosts"][:100]), f"{name}: /hosts lists them")
    r = run_ctl(db, "hosts", "no-such-host", check=False)
    st, _, _ = srv.request("GET", "/api/v1/hosts/no-such-host")
    c.check(r.returncode == 1 and "no host 'no-such-host'" in r.stderr and st == 404, f"{name}: an unknown host: exit 1, 404")


for name, db in DBS:
    srv = wt.Server(lockdepd, db, env={"LOCKDEP_NOW": NOW})
    try:
        check_stats(name, db, srv)
        check_suppressions(name, db, srv)
        check_hosts(name, db, srv)
        check_kernels(name, db, srv)
        check_locks(name, db, srv)
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
