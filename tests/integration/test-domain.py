#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Decision views on databases built for the question (issue 13; usage: test-domain.py LOCKDEPD LOCKDEPCTL).

Five golden reports with distinct signatures become five groups; each is re-released onto a chosen
set of five kernel releases (the answer is known from that table):

    release (version order)   5.15.0-91-generic  6.1-rc3  6.1.55  6.9.0  6.10.0
    A (everywhere)                   x              x       x       x      x
    B (one stable release)                                  x
    C (gone after 6.1-rc3)           x              x
    D (new in 6.9.0)                                                x      x
    E (a gap)                                       x               x

Covers:
- every permutation (120) of the order in which the five releases arrive gives the same kernel
  ranges (min/max by version), the same per-release "new" counts (lockdepctl kernels --json), and
  for a sample of permutations the same new / not-seen-since lists of every release and the same
  new / gone / still lists of `kernels X --vs Y` for every pair, equal to /api/v1/kernels/X?vs=Y
- --kernel / kernel= filters by version on component boundaries (6.1 is 6.1-rc3 and 6.1.55, not
  6.10.0; >=6.9; <6.2; 6.1..6.9; =6.1.55), the same ids from lockdepctl list --json and
  /api/v1/groups, and from lockdepctl reports --json and /api/v1/reports
- CLI and API agree on a seeded grid of 200 group-list and 100 report-list combinations of kind,
  status, host, kernel (prefixes, ranges, exact), lock, since/until in every accepted form, sort,
  limit and offset: the same ids in the same order and the same totals
- the same filter words refused by both front ends with the same message (exit 2 / HTTP 400):
  bad kernel filters, bad kinds, bad statuses, invalid dates, reports sorted by a group-only field
- a fix that did not hold: reports on older releases keep "fixed-in R"; one on R or later (lockdepd
  reading a log, or lockdepctl import) makes the group "regressed", with lockdepd's journal message
  and its own MESSAGE_ID, the triage history, the list filter (CLI and API), the badge on the list
  and group page, the kernel page's "regressed", /metrics, and a reparse keeps it
- triage integrity: split refuses a report of another group and refuses to empty a group (both
  change nothing); after a split the whole signature still names the original (exact beats
  prefix); duplicate-of refuses itself, two groups duplicating each other, longer cycles (CLI
  exit 2, API 400) and unknown groups (404)
- suppressions: rules for unknown classes or already expired are refused; a rule hides its group
  from lockdepctl list, /api/v1/groups (total too), /, reports without a group and /metrics;
  --all / suppressed=1 show it marked; the group page and JSON name the rule
- occurrences paged: a group of 1,200 reports through /api/v1/reports (total, offset, limit),
  lockdepctl reports --limit/--offset (the table says "400 of 1200"), and the group page ("500 of
  1200", next/previous) each give every report once
"""

import importlib.util
import itertools
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "web"))
import webtest as wt  # noqa: E402

_spec = importlib.util.spec_from_file_location("dh", os.path.join(HERE, "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)

lockdepd, ctl = sys.argv[1:3]
GOLDEN = wt.GOLDEN
NOW = "1764754200"  # 2025-12-03T09:30:00Z

RELEASES = ["5.15.0-91-generic", "6.1-rc3", "6.1.55", "6.9.0", "6.10.0"]  # version order
ON = {"A": {0, 1, 2, 3, 4}, "B": {2}, "C": {0, 1}, "D": {3, 4}, "E": {1, 3}}


def run_ctl(db, *args, check=True, env=None):
    r = subprocess.run([ctl, "--db", db, *args], capture_output=True, text=True, timeout=300,
                       env=dh.clean_env(dict({"NO_COLOR": "1", "LOCKDEP_NOW": NOW}, **(env or {}))))
    if check and r.returncode != 0:
        raise RuntimeError(f"lockdepctl {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return r


def ndjson(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def parse(path):
    out = subprocess.run([ctl, "parse", "--json", path], capture_output=True, text=True, check=True).stdout
    return ndjson(out)


def pick_bases(n):
    """n golden cases with one complete report each whose signature no other case has."""
    parsed = {f: parse(os.path.join(GOLDEN, f)) for f in sorted(x for x in os.listdir(GOLDEN) if x.endswith(".txt"))}
    sigs = {}
    for reps in parsed.values():
        for r in reps:
            sigs[r["signature"]] = sigs.get(r["signature"], 0) + 1
    quiet = lambda f: not re.search(r"turning off the locking|lockdep is turned off",  # noqa: E731
                                    open(os.path.join(GOLDEN, f), errors="replace").read())
    ok = [(f, reps[0]) for f, reps in parsed.items() if len(reps) == 1 and not reps[0].get("truncated")
          and reps[0].get("kernel") and sigs[reps[0]["signature"]] == 1 and quiet(f)]
    assert len(ok) >= n, f"only {len(ok)} usable golden cases"
    return ok[:n]


def with_release(tmp, base, old, release):
    text = open(os.path.join(GOLDEN, base), encoding="utf-8", errors="surrogateescape").read()
    assert old in text, f"{base}: kernel {old!r} not in the text"
    path = os.path.join(tmp, f"{base[:-4]}@{release}.txt")
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text.replace(old, release))
    return path


c = wt.Checker()
tmp = tempfile.mkdtemp(prefix="lockdep-domain-")
bases = dict(zip("ABCDE", pick_bases(5)))
sig = {g: rep["signature"] for g, (_, rep) in bases.items()}
files = {(g, i): with_release(tmp, f, rep["kernel"], RELEASES[i]) for g, (f, rep) in bases.items() for i in ON[g]}


def build(order, name):
    """A database with the releases arriving in this order (indexes into RELEASES)."""
    db = os.path.join(tmp, name + ".db")
    paths = [files[(g, i)] for i in order for g in "ABCDE" if i in ON[g]]
    run_ctl(db, "import", *paths)
    return db


def expected_kernel(i):
    new = {g for g in ON if min(ON[g]) == i}
    gone = {g for g in ON if max(ON[g]) < i}
    return new, gone


def expected_vs(i, j):
    return ({g for g in ON if i in ON[g] and j not in ON[g]}, {g for g in ON if j in ON[g] and i not in ON[g]},
            {g for g in ON if i in ON[g] and j in ON[g]})


def groups_by_sig(db):
    sql = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = sql.execute("SELECT signature, id, kernel_first, kernel_last FROM groups").fetchall()
    sql.close()
    return {s: (i, kf, kl) for s, i, kf, kl in rows}


def names(db_groups, ids):
    by_id = {v[0]: s for s, v in db_groups.items()}
    inv = {s: g for g, s in sig.items()}
    return {inv.get(by_id.get(i), f"?{i}") for i in ids}


# ---- every arrival order of the five releases ----
perms = list(itertools.permutations(range(5)))
rng = random.Random(13)
sample = set(rng.sample(range(len(perms)), 2)) | {0, len(perms) - 1}
range_ok = new_ok = kernel_ok = vs_ok = True
for n, order in enumerate(perms):
    db = build(order, f"perm{n}")
    dbg = groups_by_sig(db)
    for g in ON:
        want = (RELEASES[min(ON[g])], RELEASES[max(ON[g])])
        got = dbg[sig[g]][1:]
        if got != want:
            range_ok = c.check(False, f"order {order}: group {g} range {got} == {want}")
    rows = {k["kernel"]: k for k in ndjson(run_ctl(db, "kernels", "--json").stdout)}
    for i, rel in enumerate(RELEASES):
        want = len(expected_kernel(i)[0])
        if rows.get(rel, {}).get("new_groups") != want:
            new_ok = c.check(False, f"order {order}: {rel} new_groups {rows.get(rel, {}).get('new_groups')} == {want}")
    if list(rows) != RELEASES[::-1]:
        new_ok = c.check(False, f"order {order}: kernels newest version first: {list(rows)}")
    if n not in sample:
        os.unlink(db)
        continue
    for i, rel in enumerate(RELEASES):
        k = json.loads(run_ctl(db, "kernels", rel, "--json").stdout)
        got = (names(dbg, [x["id"] for x in k["regressions"]]), names(dbg, [x["id"] for x in k["not_seen_since"]]))
        if got != expected_kernel(i):
            kernel_ok = c.check(False, f"order {order}: kernels {rel}: new/gone {got} == {expected_kernel(i)}")
        for j, other in enumerate(RELEASES):
            if i == j:
                continue
            v = json.loads(run_ctl(db, "kernels", rel, "--vs", other, "--json").stdout)
            got = tuple(names(dbg, [x["id"] for x in v[key]]) for key in ("new", "gone", "still"))
            if got != expected_vs(i, j):
                vs_ok = c.check(False, f"order {order}: {rel} --vs {other}: {got} == {expected_vs(i, j)}")
    os.unlink(db)
c.check(range_ok, f"{len(perms)} arrival orders: every group's kernel range is min..max by version")
c.check(new_ok, f"{len(perms)} arrival orders: the same new-group counts per release, newest version first")
c.check(kernel_ok, f"{len(sample)} arrival orders: new in R = no report on an older release; "
        "not seen since R = no report on R or newer")
c.check(vs_ok, f"{len(sample)} arrival orders: kernels X --vs Y new/gone/still for all 20 pairs")

# ---- one database, both front ends ----
db = build((4, 2, 0, 3, 1), "main")
dbg = groups_by_sig(db)
srv = wt.Server(lockdepd, db, env={"LOCKDEP_NOW": NOW})

for i, rel in enumerate(RELEASES):
    for j, other in enumerate(RELEASES):
        if i != j and (i + j) % 3 == 0:
            cli = json.loads(run_ctl(db, "kernels", rel, "--vs", other, "--json").stdout)
            api = srv.json(f"/api/v1/kernels/{urllib.parse.quote(rel)}?vs={urllib.parse.quote(other)}")
            c.check(cli == api, f"kernels {rel} --vs {other} --json == /api/v1/kernels/{rel}?vs={other}")
st, _, body = srv.request("GET", "/kernels/6.10.0?vs=6.1.55")
c.check(st == 200 and b"Gone" in body and b"Still present" in body, "/kernels/X?vs=Y page")
st, _, _ = srv.request("GET", "/api/v1/kernels/6.10.0?vs=7.0")
c.check(st == 404, "vs a release no boot ran: 404")
r = run_ctl(db, "kernels", "6.10.0", "--vs", "7.0", check=False)
c.check(r.returncode == 1, "lockdepctl kernels X --vs unknown: exit 1")


def kernel_groups(filt):
    want = set()
    for g in ON:
        rels = [RELEASES[i] for i in ON[g]]
        if any(filt(x) for x in rels):
            want.add(g)
    return want


FILTERS = {
    "6.1": lambda x: x in ("6.1-rc3", "6.1.55"),
    "6.1*": lambda x: x in ("6.1-rc3", "6.1.55"),
    "6.1.*": lambda x: x in ("6.1-rc3", "6.1.55"),
    "6.10": lambda x: x == "6.10.0",
    "6": lambda x: x.startswith("6."),
    "=6.1.55": lambda x: x == "6.1.55",
    "=6.1": lambda x: False,
    ">=6.9": lambda x: x in ("6.9.0", "6.10.0"),
    ">6.1": lambda x: x in ("6.9.0", "6.10.0"),
    "<6.2": lambda x: x in ("5.15.0-91-generic", "6.1-rc3", "6.1.55"),
    "<=6.1-rc3": lambda x: x in ("5.15.0-91-generic", "6.1-rc3"),
    "<6.1": lambda x: x == "5.15.0-91-generic",
    "6.1..6.9": lambda x: x in ("6.1-rc3", "6.1.55", "6.9.0"),
    "5.15.0-91-generic": lambda x: x == "5.15.0-91-generic",
}
for f, pred in FILTERS.items():
    want = kernel_groups(pred)
    cli = [g["id"] for g in ndjson(run_ctl(db, "list", "--json", "--sort", "id", "--kernel", f).stdout)]
    api = srv.json(f"/api/v1/groups?sort=id&kernel={urllib.parse.quote(f)}")
    c.check(names(dbg, cli) == want and len(cli) == len(want), f"list --kernel {f!r}: groups {sorted(names(dbg, cli))} == {sorted(want)}")
    c.check([g["id"] for g in api["groups"]] == cli and api["total"] == len(cli), f"kernel={f!r}: API == CLI")
    rep_want = sum(1 for g in ON for i in ON[g] if pred(RELEASES[i]))
    rcli = [x["id"] for x in ndjson(run_ctl(db, "reports", "--json", "--kernel", f).stdout)]
    rapi = [x["id"] for x in srv.json(f"/api/v1/reports?limit=1000&kernel={urllib.parse.quote(f)}")["reports"]]
    c.check(len(rcli) == rep_want and rcli == rapi, f"reports --kernel {f!r}: {len(rcli)} == {rep_want}, API == CLI")

# the same words refused by both, with the same message
BAD = [("kernel", "bogus"), ("kernel", ">=6.1*"), ("kernel", "6.1..6.2..6.3"), ("kind", "bogus"),
       ("status", "fixed"), ("status", "duplicate-of x"), ("until", "2026-02-31"), ("since", "-7y"),
       ("sort", "nonsense"), ("limit", "0"), ("offset", "-1")]
for name, value in BAD:
    r = run_ctl(db, "list", f"--{name}", value, check=False)
    st, _, body = srv.request("GET", f"/api/v1/groups?{name}={urllib.parse.quote(value)}")
    msg = json.loads(body).get("error", "") if st == 400 else ""
    c.check(r.returncode == 2 and st == 400 and msg and msg in r.stderr,
            f"--{name} {value!r}: exit {r.returncode}, HTTP {st}, the same message ({msg!r} in {r.stderr.strip()!r})")
r = run_ctl(db, "reports", "--sort", "hosts", check=False)
st, _, body = srv.request("GET", "/api/v1/reports?sort=hosts")
c.check(r.returncode == 2 and st == 400, f"reports sorted by hosts refused: exit {r.returncode}, HTTP {st}")
for word in ("-7d", "@1764720000", "today", "2025-12-03", "2025-12-03T09:00Z", "yesterday"):
    for bound in ("since", "until"):
        cli = [g["id"] for g in ndjson(run_ctl(db, "list", "--json", f"--{bound}", word).stdout)]
        api = [g["id"] for g in srv.json(f"/api/v1/groups?{bound}={urllib.parse.quote(word)}")["groups"]]
        c.check(cli == api, f"--{bound} {word}: CLI == API ({len(cli)} groups)")
# every report was stored at NOW: a bare date as until includes the whole day
n_until = srv.json("/api/v1/groups?until=2025-12-03")["total"]
c.check(n_until == 5 and srv.json("/api/v1/groups?until=2025-12-02")["total"] == 0,
        f"until=2025-12-03 includes that day ({n_until} groups), until=2025-12-02 does not")

# ---- CLI and API agree on a grid of filter combinations ----
grng = random.Random(7)
hosts = sorted({x["host"] for x in ndjson(run_ctl(db, "reports", "--json").stdout)})
locks = [x["name"] for x in ndjson(run_ctl(db, "locks", "--json").stdout)]
AXES = {
    "kind": [None, "circular", "recursive", "inconsistent", "internal"],
    "status": [None, "new", "confirmed", "regressed", "fixed-in 6.9"],
    "host": [None] + hosts + ["nohost"],
    "kernel": [None, "6.1", "6.1*", ">=6.9", "<6.2", "6.1..6.9", "=6.1.55", "5.15.0-91-generic", ">6.10"],
    "lock": [None] + locks[:6],
    "since": [None, "-7d", "@1764720000", "today", "yesterday", "2025-12-03", "2025-12-03T09:00Z", "2025-12-03 09:29:59", "now"],
    "until": [None, "+1d", "@1764754200", "today", "tomorrow", "2025-12-03", "2025-12-02", "2025-12-03T09:30+01:00"],
    "sort": [None, "last_seen", "first_seen", "reports", "hosts", "id"],
    "limit": [None, "1", "2", "3", "1000"],
    "offset": [None, "0", "1", "2", "4"],
}


def combo_args(combo):
    cli, api = [], []
    for k, v in combo.items():
        if v is not None:
            cli += [f"--{k}", v]
            api.append(f"{k}={urllib.parse.quote(v)}")
    return cli, "&".join(api)


grid_ok, n_grid = True, 0
for i in range(200):
    combo = {k: grng.choice(v) if grng.random() < 0.45 else None for k, v in AXES.items()}
    cli_args, qs = combo_args(combo)
    cli_objs = ndjson(run_ctl(db, "list", "--json", *cli_args).stdout)
    cli = [g["id"] for g in cli_objs]
    api = srv.json(f"/api/v1/groups?{qs}{'' if combo['limit'] else '&limit=1000'}")
    if cli_objs != api["groups"]:  # one serializer (store_group_row_json()): the same objects
        grid_ok = c.check(False, f"grid {combo}: the CLI's group objects differ from the API's")
    total_api = api["total"]
    paged = [a for j, a in enumerate(cli_args) if not (cli_args[j - (j % 2)] in ("--limit", "--offset"))]
    total_cli = len(ndjson(run_ctl(db, "list", "--json", *paged).stdout)) if paged != cli_args else len(cli)
    n_grid += 1
    if cli != [g["id"] for g in api["groups"]] or total_api != total_cli:
        grid_ok = c.check(False, f"grid {combo}: CLI {cli} (total {total_cli}) != API {[g['id'] for g in api['groups']]} ({total_api})")
c.check(grid_ok, f"{n_grid} filter combinations: lockdepctl list --json and /api/v1/groups give the same objects, ids, order and totals")
grid_ok, n_grid = True, 0
for i in range(100):
    combo = {k: grng.choice(v) if grng.random() < 0.45 else None for k, v in AXES.items()}
    if combo.get("sort") in ("reports", "hosts"):
        combo["sort"] = None
    cli_args, qs = combo_args(combo)
    cli_objs = ndjson(run_ctl(db, "reports", "--json", *cli_args).stdout)
    cli = [x["id"] for x in cli_objs]
    api = srv.json(f"/api/v1/reports?{qs}{'' if combo['limit'] else '&limit=1000'}")
    if cli_objs != api["reports"]:  # one serializer (store_report_row_json()): the same objects
        grid_ok = c.check(False, f"grid {combo}: the CLI's report objects differ from the API's")
    n_grid += 1
    paged = [a for j, a in enumerate(cli_args) if not (cli_args[j - (j % 2)] in ("--limit", "--offset"))]
    full = [x["id"] for x in ndjson(run_ctl(db, "reports", "--json", *paged).stdout)] if paged != cli_args else cli
    if cli != [x["id"] for x in api["reports"]] or api["total"] != len(full):
        grid_ok = c.check(False, f"grid {combo}: CLI {cli} != API {[x['id'] for x in api['reports']]} (total {api['total']} vs {len(full)})")
c.check(grid_ok, f"{n_grid} filter combinations: lockdepctl reports --json and /api/v1/reports give the same objects, ids, order and totals")
# --status on reports means the triage status of the report's group (it was once ignored)
for st in AXES["status"][1:]:
    want = {g["id"]: g["n_reports"] for g in ndjson(run_ctl(db, "list", "--json", "--status", st).stdout)}
    got = ndjson(run_ctl(db, "reports", "--json", "--status", st).stdout)
    api = srv.json(f"/api/v1/reports?status={urllib.parse.quote(st)}&limit=1000")
    c.check(all(x["group"] in want for x in got) and len(got) == sum(want.values()) and api["total"] == len(got),
            f"reports --status {st!r}: {len(got)} reports, all of the {len(want)} groups with that status "
            f"({sum(want.values())} reports), API total {api['total']}")
c.check(srv.stop() == 0, "lockdepd stops cleanly")

# ---- a fix that did not hold ----
# group A (on every release) is fixed in 6.9; B (6.1.55 only) in 6.1.55. Reports that come back on
# an older release keep the status; one on the fixed release or later makes the group regressed.
fdb = os.path.join(tmp, "fixed.db")
run_ctl(fdb, "import", files[("A", 0)], files[("A", 1)], files[("B", 2)], files[("C", 0)])
fg = groups_by_sig(fdb)
ga, gb, gc = fg[sig["A"]][0], fg[sig["B"]][0], fg[sig["C"]][0]
run_ctl(fdb, "triage", str(ga), "--status", "fixed-in 6.9")
run_ctl(fdb, "triage", str(gb), "--status", "fixed-in 6.1.55")
run_ctl(fdb, "triage", str(gc), "--status", "fixed-in 6.10")


def status(db, gid):
    return json.loads(run_ctl(db, "show", str(gid), "--json").stdout)["status"]


run_ctl(fdb, "import", files[("A", 2)])  # 6.1.55 < 6.9
c.check(status(fdb, ga) == "fixed-in 6.9", f"a report on an older release keeps fixed-in: {status(fdb, ga)}")
run_ctl(fdb, "import", files[("C", 1)])  # 6.1-rc3 < 6.10
c.check(status(fdb, gc) == "fixed-in 6.10", "C: still fixed-in 6.10")
# lockdepd reads the report on 6.10.0: the group regresses, with its own journal message
log = os.path.join(tmp, "regress.log")
shutil.copy(files[("A", 4)], log)
d = dh.Daemon(lockdepd, fdb, ["--no-kmsg", "--no-journal", "--follow", log], tmp, name="regress").start()
c.check(d.wait_log(r"regressed: reported on 6\.10\.0, fixed in 6\.9: .* MESSAGE_ID=7764e3b2efd742f980b8d27417e3abca$", 30),
        f"lockdepd logs the regression with its MESSAGE_ID: {d.log()!r}")
c.check(d.stop() == 0, "lockdepd stops")
c.check(status(fdb, ga) == "regressed", f"a report on 6.10.0 after fixed-in 6.9: regressed ({status(fdb, ga)})")
# at the fixed release itself: regressed too (lockdepctl import takes the same path)
run_ctl(fdb, "import", with_release(tmp, bases["B"][0], bases["B"][1]["kernel"], "6.1.55-1"))
c.check(status(fdb, gb) == "regressed", f"6.1.55-1 after fixed-in 6.1.55: regressed ({status(fdb, gb)})")
lst = [g["id"] for g in ndjson(run_ctl(fdb, "list", "--json", "--status", "regressed", "--sort", "id").stdout)]
c.check(lst == sorted([ga, gb]), f"list --status regressed: {lst}")
hist = json.loads(run_ctl(fdb, "show", str(ga), "--json").stdout)["triage"]
c.check([(t["action"], t["value"]) for t in hist][-2:] == [("regressed", "6.10.0"), ("status", "regressed")],
        f"the history says where it came back: {hist[-2:]}")
fsrv = wt.Server(lockdepd, fdb, env={"LOCKDEP_NOW": NOW})
api = [g["id"] for g in fsrv.json("/api/v1/groups?status=regressed&sort=id")["groups"]]
c.check(api == lst, f"status=regressed: API == CLI ({api})")
k = fsrv.json("/api/v1/kernels/6.10.0")
c.check([g["id"] for g in k["regressed"]] == [ga], f"/api/v1/kernels/6.10.0 regressed: {k['regressed']}")
c.check(fsrv.json("/api/v1/kernels/6.1.55")["regressed"] == [], "nothing regressed on 6.1.55 (older than fixed-in 6.9)")
st, _, body = fsrv.request("GET", "/")
c.check(st == 200 and body.count(b'class="status regressed"') == 2, "the list marks both regressed groups")
st, _, body = fsrv.request("GET", f"/groups/{ga}")
c.check(st == 200 and b'class="status regressed"' in body, "the group page marks it")
st, _, body = fsrv.request("GET", "/kernels/6.10.0")
c.check(st == 200 and b"Regressed" in body and f"/groups/{ga}".encode() in body, "the kernel page lists it")
st, _, body = fsrv.request("GET", "/metrics")
c.check(st == 200 and re.search(rb"^lockdep_groups_regressed 2$", body, re.M), "/metrics: lockdep_groups_regressed 2")
c.check(fsrv.stop() == 0, "lockdepd stops cleanly")
r = run_ctl(fdb, "reparse")
c.check(status(fdb, ga) == "regressed" and status(fdb, gb) == "regressed" and status(fdb, gc) == "fixed-in 6.10",
        "reparse keeps regressed and fixed-in")

# ---- integrity of triage: split, duplicate-of, signatures ----
tdb = os.path.join(tmp, "triage.db")
run_ctl(tdb, "import", *[files[(g, i)] for g in "ABCDE" for i in sorted(ON[g])])
tg = groups_by_sig(tdb)
ga, gb, gd, ge = (tg[sig[g]][0] for g in "ABDE")
tsrv = wt.Server(lockdepd, tdb, env={"LOCKDEP_NOW": NOW})
auth = {"Authorization": f"Bearer {tsrv.token}"}


def reports_of(gid):
    return [x["id"] for x in tsrv.json(f"/api/v1/reports?group={gid}&limit=1000")["reports"]]


ra, rb, rd = reports_of(ga), reports_of(gb), reports_of(gd)
n_groups = tsrv.json("/api/v1/groups")["total"]
st, _, body = tsrv.request("POST", f"/api/v1/groups/{ga}/split", {"reports": f"{ra[0]},{rb[0]}"}, auth)
c.check(st == 400 and f"report {rb[0]} is not in group {ga}".encode() in body,
        f"split with a report of another group: 400 naming it ({st} {body[:120]!r})")
st, _, body = tsrv.request("POST", f"/api/v1/groups/{gd}/split", {"reports": ",".join(map(str, rd))}, auth)
c.check(st == 400 and b"nothing would be left" in body, f"split of every report: 400 ({st} {body[:120]!r})")
c.check(tsrv.json("/api/v1/groups")["total"] == n_groups and reports_of(ga) == ra and reports_of(gb) == rb,
        "refused splits changed nothing")
st, _, body = tsrv.request("POST", f"/api/v1/groups/{ga}/split", {"reports": f"{ra[0]},{ra[1]}"}, auth)
split = json.loads(body)["id"] if st == 200 else None
c.check(st == 200 and reports_of(split) == ra[:2] and reports_of(ga) == ra[2:], "a split of two of five reports")
# the whole signature of the original still names it, although it is a prefix of the split's
r = run_ctl(tdb, "show", sig["A"], "--json", check=False)
c.check(r.returncode == 0 and json.loads(r.stdout)["id"] == ga, f"show SIGNATURE after a split: group {ga} ({r.stderr.strip()})")
c.check(tsrv.json(f"/api/v1/groups/{sig['A']}")["id"] == ga, "/api/v1/groups/SIGNATURE after a split")
r = run_ctl(tdb, "show", sig["A"][:8], check=False)
c.check(r.returncode == 1 and "more than one group" in r.stderr, f"a short prefix of both stays ambiguous: {r.stderr.strip()}")

r = run_ctl(tdb, "triage", str(gb), "--status", f"duplicate-of {gb}", check=False)
c.check(r.returncode == 2 and "itself" in r.stderr, f"duplicate-of itself refused: {r.returncode} {r.stderr.strip()}")
run_ctl(tdb, "triage", str(gb), "--status", f"duplicate-of {gd}")
r = run_ctl(tdb, "triage", str(gd), "--status", f"duplicate-of {gb}", check=False)
c.check(r.returncode == 2 and "cycle" in r.stderr, f"two groups duplicates of each other refused: {r.stderr.strip()}")
run_ctl(tdb, "triage", str(gd), "--status", f"duplicate-of {ge}")
st, _, body = tsrv.request("POST", f"/api/v1/groups/{ge}/triage", {"status": f"duplicate-of {gb}"}, auth)
c.check(st == 400 and b"cycle" in body, f"a longer cycle (E -> B -> D -> E) refused by the API: {st} {body[:150]!r}")
st, _, body = tsrv.request("POST", f"/api/v1/groups/{ge}/triage", {"status": "duplicate-of 999999"}, auth)
c.check(st == 404, f"duplicate-of a group that does not exist: {st}")
c.check(status(tdb, ge) == "new" and status(tdb, gd) == f"duplicate-of {ge}", "refusals changed nothing")

# ---- a merged group leaves a tombstone: its id answers with where it went, chains resolve ----
run_ctl(tdb, "triage", str(gd), "--note", "seen on the build farm")
st, _, body = tsrv.request("POST", f"/api/v1/groups/{gb}/merge", {"from": str(gd)}, auth)  # D -> B, on the web
c.check(st == 200, f"web merge of D into B: {st} {body[:120]!r}")
c.check(tsrv.stop() == 0, "lockdepd stops cleanly")
run_ctl(tdb, "merge", str(ge), str(gb))  # B -> E: D -> B -> E
tsrv = wt.Server(lockdepd, tdb, env={"LOCKDEP_NOW": NOW})
for old in (gd, gb):
    st, h, body = tsrv.request("GET", f"/groups/{old}")
    c.check(st == 301 and h.get("location") == f"/groups/{ge}", f"/groups/{old} (merged): 301 to /groups/{ge} ({st} {h.get('location')})")
    st, h, body = tsrv.request("GET", f"/api/v1/groups/{old}")
    c.check(st == 301 and h.get("location") == f"/api/v1/groups/{ge}" and json.loads(body)["merged_into"] == ge,
            f"/api/v1/groups/{old}: 301 with merged_into {ge} ({st} {body[:120]!r})")
    r = run_ctl(tdb, "show", str(old), "--json", check=False)
    c.check(r.returncode == 0 and f"group {old} was merged into {ge}" in r.stderr and json.loads(r.stdout)["id"] == ge,
            f"show {old}: says where it went and shows {ge} ({r.returncode} {r.stderr.strip()!r})")
hist = tsrv.json(f"/api/v1/groups/{ge}")["triage"]
c.check(("note", "seen on the build farm") in [(t["action"], t["value"]) for t in hist],
        f"the history of D is visible on E after D -> B -> E: {hist}")
# the history names group ids: the group each entry was made on, the group a merge took in
c.check(all(not re.fullmatch(r"[0-9a-f]{16}(/split-\d+)?", t["value"] or "") for t in hist),
        f"no signature hash in the history: {[t['value'] for t in hist]}")
c.check(("merge", f"group {gd}", gb) in [(t["action"], t["value"], t["group"]) for t in hist] and
        ("merge", f"group {gb}", ge) in [(t["action"], t["value"], t["group"]) for t in hist],
        f"merges name the group merged and the group merged into: {hist}")
c.check(("note", gd) in [(t["action"], t["group"]) for t in hist], "D's note is shown as made on group D")
r = run_ctl(tdb, "show", str(ge))
hist_lines = r.stdout[r.stdout.index("Triage history:"):].split("\n\n")[0]
c.check(re.search(rf"\s{gb}\s+merge\s+group {gd}\b", hist_lines) and re.search(rf"\s{gd}\s+note\s+seen on the build farm", hist_lines)
        and not re.search(r"\b[0-9a-f]{16}\b", hist_lines), f"show's history: GROUP column, ids not hashes:\n{hist_lines}")
page = tsrv.request("GET", f"/groups/{ge}")[2].decode()
c.check(f'on group <a href="/groups/{gd}">{gd}</a>' in page and f"merge: group {gd}" in page and
        not re.search(r"merge: [0-9a-f]{16}", page), "the group page's history names group ids")

# writes by a merged-away id follow the tombstone, say so, and change the surviving group
r = run_ctl(tdb, "triage", str(gd), "--note", "via the old id", check=False)
c.check(r.returncode == 0 and f"group {gd} was merged into {ge}; applying to {ge}" in r.stderr,
        f"lockdepctl triage OLD: applies to NEW and says so ({r.returncode} {r.stderr.strip()!r})")
c.check(tsrv.json(f"/api/v1/groups/{ge}")["note"] == "via the old id", "the note went to the surviving group")
st, _, body = tsrv.request("POST", f"/api/v1/groups/{gb}/triage", {"status": "confirmed"}, auth)
j = json.loads(body) if st == 200 else {}
c.check(st == 200 and j.get("id") == ge and j.get("merged_from") == gb and
        j.get("notice") == f"group {gb} was merged into {ge}; applied to {ge}" and j.get("status") == "confirmed",
        f"POST triage on a merged id: 200, applied to {ge}, merged_from and notice ({st} {body[:200]!r})")
st, h, body = tsrv.request("POST", f"/api/v1/groups/{gd}/triage",
                           urllib.parse.urlencode({"status": "new", "note": "", "token": tsrv.token}),
                           {"Content-Type": "application/x-www-form-urlencoded"})
c.check(st == 303 and h.get("location") == f"/groups/{ge}" and status(tdb, ge) == "new",
        f"a form posted from the page of a merged group: applied, back to /groups/{ge} ({st} {h.get('location')})")
st, _, body = tsrv.request("POST", f"/api/v1/groups/{ge}/merge", {"from": str(gd)}, auth)
c.check(st == 200 and b"already; nothing to do" in body and json.loads(body)["id"] == ge and "merged_from" not in json.loads(body),
        f"merging again a group merged into this one: 200, nothing to do ({st} {body[:160]!r})")
n_before = tsrv.json("/api/v1/groups")["total"]
st, _, body = tsrv.request("POST", f"/api/v1/groups/{ga}/merge", {"from": str(gd)}, auth)
c.check(st == 409 and json.loads(body).get("merged_into") == ge and tsrv.json("/api/v1/groups")["total"] == n_before,
        f"merging a group merged elsewhere: 409 naming where it went, nothing changed ({st} {body[:160]!r})")
r = run_ctl(tdb, "merge", str(ga), str(gd), check=False)
c.check(r.returncode == 1 and f"was merged into {ge}" in r.stderr, f"lockdepctl merge A D(merged into E): refused ({r.stderr.strip()!r})")
r = run_ctl(tdb, "merge", str(ge), str(gb), check=False)
c.check(r.returncode == 0 and "nothing to do" in r.stderr, f"lockdepctl merge E B(merged into E): nothing to do ({r.stderr.strip()!r})")
re_ = reports_of(ge)
st, _, body = tsrv.request("POST", f"/api/v1/groups/{gb}/split", {"reports": str(re_[0])}, auth)
j = json.loads(body) if st == 200 else {}
c.check(st == 200 and j.get("merged_from") == gb and reports_of(j["id"]) == re_[:1] and reports_of(ge) == re_[1:],
        f"POST split on a merged id: split from {ge} ({st} {body[:160]!r})")
st, _, body = tsrv.request("POST", f"/api/v1/groups/{ga}/triage", {"status": f"duplicate-of {gd}"}, auth)
c.check(st == 200 and json.loads(body)["status"] == f"duplicate-of {ge}",
        f"duplicate-of a merged id is of the group it went into ({st} {body[:160]!r})")
run_ctl(tdb, "triage", str(ga), "--status", "new")
r = run_ctl(tdb, "reports", "--group", str(gd), "--json", check=False)
c.check(r.returncode == 0 and f"merged into {ge}" in r.stderr and {x["group"] for x in ndjson(r.stdout)} == {ge},
        f"reports --group OLD lists the reports of {ge}")
c.check(tsrv.request("POST", "/api/v1/groups/999999/triage", {"status": "confirmed"}, auth)[0] == 404,
        "a write to an id that never was a group: 404")
c.check(tsrv.request("GET", "/groups/999999")[0] == 404 and tsrv.request("GET", "/api/v1/groups/999999")[0] == 404,
        "an id that never was a group: 404")
# a group deleted because all its reports went elsewhere (what reparse does to an emptied group)
con = sqlite3.connect(tdb, isolation_level=None)
con.execute("UPDATE reports SET grp = ? WHERE grp = ?", (ga, split))
con.execute("DELETE FROM groups WHERE id = ?", (split,))
con.close()
st, _, body = tsrv.request("GET", f"/api/v1/groups/{split}")
c.check(st == 410 and b"was deleted" in body, f"an emptied, deleted group: 410 ({st} {body[:120]!r})")
r = run_ctl(tdb, "show", str(split), check=False)
c.check(r.returncode == 1 and f"group {split} was deleted" in r.stderr, f"show of a deleted group says so: {r.stderr.strip()!r}")
st, _, body = tsrv.request("POST", f"/api/v1/groups/{split}/triage", {"status": "confirmed"}, auth)
c.check(st == 410 and b"was deleted" in body, f"a write to a deleted group: 410 ({st} {body[:120]!r})")
r = run_ctl(tdb, "triage", str(split), "--status", "confirmed", check=False)
c.check(r.returncode == 1 and f"group {split} was deleted" in r.stderr, f"triage of a deleted group says so: {r.stderr.strip()!r}")
c.check(tsrv.stop() == 0, "lockdepd stops cleanly")

# ---- suppressions hide what they match ----
sdb = os.path.join(tmp, "suppress.db")
run_ctl(sdb, "import", *[files[(g, i)] for g in "ABCDE" for i in sorted(ON[g])])
sg = groups_by_sig(sdb)
gid = {g: sg[sig[g]][0] for g in "ABCDE"}
single = [x["name"] for x in ndjson(run_ctl(sdb, "locks", "--json").stdout) if x["n_groups"] == 1]
only_b = [x for x in single if [g["id"] for g in ndjson(run_ctl(sdb, "list", "--json", "--lock", x).stdout)] == [gid["B"]]]
c.check(bool(only_b), f"test input: group B has a class no other group has ({single})")
r = run_ctl(sdb, "suppress", "--class", "no_such_lock_class", check=False)
c.check(r.returncode != 0 and "no lock class" in r.stderr, f"a rule for an unknown class is refused: {r.stderr.strip()}")
r = run_ctl(sdb, "suppress", "--class", only_b[0], "--expires", "2020-01-01", check=False)
c.check(r.returncode != 0 and "expired" in r.stderr, f"a rule expired at creation is refused: {r.stderr.strip()}")
run_ctl(sdb, "suppress", "--class", only_b[0], "--note", "known, harmless")
ssrv = wt.Server(lockdepd, sdb, env={"LOCKDEP_NOW": NOW})
visible = sorted(gid[g] for g in "ACDE")
cli = sorted(g["id"] for g in ndjson(run_ctl(sdb, "list", "--json").stdout))
api = ssrv.json("/api/v1/groups?sort=id")
c.check(cli == visible and [g["id"] for g in api["groups"]] == visible and api["total"] == 4,
        f"list and /api/v1/groups hide the suppressed group: {cli}, {api['total']}")
allc = ndjson(run_ctl(sdb, "list", "--json", "--all", "--sort", "id").stdout)
alla = ssrv.json("/api/v1/groups?sort=id&suppressed=1")
c.check([g["id"] for g in allc] == sorted(gid.values()) == [g["id"] for g in alla["groups"]] and alla["total"] == 5,
        "--all / suppressed=1 show it")
c.check([g["id"] for g in allc if g["suppressed"]] == [gid["B"]], "--all marks it suppressed")
table = run_ctl(sdb, "list", "--all").stdout
c.check("[suppressed]" in table and "[suppressed]" not in run_ctl(sdb, "list").stdout, "the table marks it")
rep = [x["group"] for x in ndjson(run_ctl(sdb, "reports", "--json").stdout)]
c.check(gid["B"] not in rep and len(rep) == sum(len(ON[g]) for g in "ACDE"), "reports hide its reports")
c.check(len(ndjson(run_ctl(sdb, "reports", "--json", "--group", str(gid["B"])).stdout)) == 1,
        "its own report list still shows them")
st, _, body = ssrv.request("GET", "/metrics")
c.check(re.search(rb"^lockdep_groups 4$", body, re.M) and re.search(rb"^lockdep_groups_suppressed 1$", body, re.M),
        "/metrics: lockdep_groups 4, lockdep_groups_suppressed 1")
st, _, body = ssrv.request("GET", "/")
c.check(f"/groups/{gid['B']}\"".encode() not in body, "/ does not list it")
st, _, body = ssrv.request("GET", "/?suppressed=1")
c.check(f"/groups/{gid['B']}\"".encode() in body and b'class="suppressed"' in body, "/?suppressed=1 lists it, marked")
g = ssrv.json(f"/api/v1/groups/{gid['B']}")
c.check([x["class"] for x in g["suppressed_by"]] == [only_b[0]] and g["suppressed"] == 1, f"the group names its rule: {g['suppressed_by']}")
st, _, body = ssrv.request("GET", f"/groups/{gid['B']}")
c.check(b"suppressed by" in body and b"rule 1" in body, "the group page names the rule")
c.check(ssrv.stop() == 0, "lockdepd stops cleanly")
# a rule hides until it expires
owner = {x: [g["id"] for g in ndjson(run_ctl(sdb, "list", "--json", "--lock", x).stdout)] for x in single}
other = [(x, ids[0]) for x, ids in owner.items() if len(ids) == 1 and ids[0] != gid["B"]]
c.check(bool(other), "test input: another group has a class of its own")
run_ctl(sdb, "suppress", "--class", other[0][0], "--expires", "2025-12-04")
now_ids = [g["id"] for g in ndjson(run_ctl(sdb, "list", "--json").stdout)]
later = [g["id"] for g in ndjson(run_ctl(sdb, "list", "--json", env={"LOCKDEP_NOW": str(int(NOW) + 10 * 86400)}).stdout)]
c.check(len(now_ids) == 3 and other[0][1] not in now_ids and len(later) == 4 and other[0][1] in later,
        f"a rule expiring tomorrow hides its group today ({len(now_ids)} groups), not in ten days ({len(later)})")

# ---- 1,200 occurrences of one group, paged everywhere ----
odb = os.path.join(tmp, "occ.db")
log = os.path.join(tmp, "occ.log")

def one_group_log(n, fixture="linux_report_466.txt", gap_usec=100000000):
    """n copies of one report at other kernel timestamps: n distinct reports of one group."""
    out, t = [], 5000000
    base = dh.fixture_records(fixture)
    for i in range(n):
        r = dh.records_shift(base, t - base[0][0])
        out.append(dh.console_text(r))
        t = r[-1][0] + gap_usec
    return "".join(out)


with open(log, "w") as f:
    f.write(one_group_log(1200))
run_ctl(odb, "import", log)
big = max(ndjson(run_ctl(odb, "list", "--json").stdout), key=lambda g: g["n_reports"])
n_big = big["n_reports"]
osrv = wt.Server(lockdepd, odb, env={"LOCKDEP_NOW": NOW})
ids, off = [], 0
while True:
    page = osrv.json(f"/api/v1/reports?group={big['id']}&limit=1000&offset={off}")
    ids += [x["id"] for x in page["reports"]]
    if not page["reports"]:
        break
    off += len(page["reports"])
c.check(page["total"] == n_big and len(ids) == n_big == len(set(ids)) and ids == sorted(ids),
        f"the API pages through all {n_big} reports of a group, each once (total {page['total']})")
cli_ids = []
for off in range(0, n_big + 1, 400):
    cli_ids += [x["id"] for x in ndjson(run_ctl(odb, "reports", "--json", "--group", str(big["id"]),
                                                "--limit", "400", "--offset", str(off)).stdout)]
c.check(cli_ids == ids, "lockdepctl reports --limit/--offset pages the same")
r = run_ctl(odb, "reports", "--group", str(big["id"]), "--limit", "400")
c.check(f"400 of {n_big} reports shown" in r.stderr and "reports shown" not in r.stdout,
        f"the CLI table says which part it shows, on stderr: {r.stderr[-120:]!r}")
seen, url, pages = [], f"/groups/{big['id']}", 0
while url and pages < 10:
    st, _, body = osrv.request("GET", url)
    text = body.decode()
    seen += [int(x) for x in re.findall(r'<tr><td class="num"><a href="/reports/(\d+)">', text)]
    m = re.search(r'<span id="occurrences-shown">(\d+)</span> of <span id="occurrences-total">(\d+)</span>', text)
    c.check(st == 200 and m and int(m.group(2)) == n_big, f"page {pages + 1}: '{m.group(0) if m else None}'")
    nxt = re.search(r'<a rel="next" href="([^"#]+)', text)
    url = nxt.group(1).replace("&amp;", "&") if nxt else None
    pages += 1
c.check(seen == ids and pages == (n_big + 499) // 500, f"the group page shows all {n_big} in {pages} pages of 500")
c.check(osrv.stop() == 0, "lockdepd stops cleanly")

shutil.rmtree(tmp, ignore_errors=True)
c.done()
