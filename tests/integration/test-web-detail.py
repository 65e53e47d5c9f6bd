#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The typed detail views (issue 13; usage: test-web-detail.py LOCKDEPD LOCKDEPCTL SHARED CASE).

One serializer writes a group's and a report's object for the API and for lockdepctl, so:
  agree-corpus  every group of a database of shared/corpus/syzkaller (skip without it): the bytes of
                GET /api/v1/groups/ID are those of `lockdepctl show --json ID`, and of every report
                GET /api/v1/reports/ID those of `lockdepctl report --json ID`;
  agree-gen     the same on a database of a shared/bench/gen_corpus.py log (seeded);
  merge         after a merge of OLD into NEW, a new report with OLD's signature lands in NEW (no new
                group with OLD's history), and NEW shows the merge; OLD answers 301;
  hostile       lock and task names with <script> and bidi controls are escaped on the group page and
                the report page, and the page's "N of M" is the group's count.
"""

import json
import os
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest as wt  # noqa: E402

lockdepd, ctl, shared, case = sys.argv[1:5]
c = wt.Checker()


def cli(db, *args):
    r = subprocess.run([ctl, "--db", db, "--no-pager", *args], capture_output=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def import_logs(db, paths, host="h1"):
    r = subprocess.run([ctl, "--db", db, "import", "--host", host, *paths], capture_output=True, timeout=900)
    c.check(r.returncode == 0, f"import {len(paths)} files: {r.stderr[-300:]!r}")


def ids(db, table):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    v = [i for (i,) in con.execute(f"SELECT id FROM {table} ORDER BY id")]
    con.close()
    return v


def agree(db, what, max_reports=400):
    srv = wt.Server(lockdepd, db)
    groups = ids(db, "groups")
    c.check(len(groups) > 0, f"{what}: groups to compare")
    differ = []
    for g in groups:
        st, h, body = srv.request("GET", f"/api/v1/groups/{g}")
        rc, out, err = cli(db, "show", "--json", str(g))
        if st != 200 or rc != 0 or out.rstrip(b"\n") != body.rstrip(b"\n"):
            differ.append((g, st, rc, err[-200:]))
            continue
        obj = json.loads(body)
        # the typed object holds what the group is: its row, its counts adding up
        if obj["id"] != g or sum(k["n"] for k in obj["kernels"]) > obj["n_reports"] or \
                sum(x["n"] for x in obj["hosts"]) != obj["n_reports"] or len(obj["hosts"]) != obj["n_hosts"] or \
                sum(t["n"] for t in obj["tasks"]) > obj["n_reports"]:
            differ.append((g, "counts", obj["n_reports"], obj["n_hosts"]))
    c.check(not differ, f"{what}: API and lockdepctl show --json of {len(groups)} groups are the same bytes; "
                        f"differ: {differ[:3]}")
    reports = ids(db, "reports")
    step = max(1, len(reports) // max_reports)
    rdiff = []
    for rid in reports[::step]:
        st, h, body = srv.request("GET", f"/api/v1/reports/{rid}")
        rc, out, err = cli(db, "report", "--json", str(rid))
        if st != 200 or rc != 0 or out.rstrip(b"\n") != body.rstrip(b"\n"):
            rdiff.append((rid, st, rc))
    c.check(not rdiff, f"{what}: API and lockdepctl report --json of {len(reports[::step])} reports agree; "
                       f"differ: {rdiff[:3]}")
    c.check(srv.stop() == 0, f"{what}: lockdepd exits cleanly")


tmp, db = None, None
if case == "agree-corpus":
    d = os.path.join(shared, "corpus", "syzkaller")
    if not os.path.isdir(d):
        wt.skip(f"{d} absent")
    import tempfile
    tmp = tempfile.mkdtemp(prefix="lockdep-detail-")
    db = os.path.join(tmp, "corpus.db")
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".txt"))
    import_logs(db, files[: len(files) // 2], "h1")
    import_logs(db, files[len(files) // 3:], "h2")  # a third on both hosts
    agree(db, "corpus")
elif case == "agree-gen":
    gen = os.path.join(shared, "bench", "gen_corpus.py")
    if not os.path.isfile(gen):
        wt.skip(f"{gen} absent")
    import tempfile
    tmp = tempfile.mkdtemp(prefix="lockdep-detail-")
    log = os.path.join(tmp, "gen.log")
    subprocess.run([sys.executable, gen, "--size", "3M", "--seed", "5", "--lockdep-every", "15K", "-o", log],
                   check=True, capture_output=True, timeout=300)
    db = os.path.join(tmp, "gen.db")
    import_logs(db, [log], "gen1")
    agree(db, "gen_corpus")
elif case == "merge":
    C = lambda n: f"&{n}->lock"  # noqa: E731
    old_log = wt.cycle_log([C("old_a"), C("old_b")], task="oldt/1", kernel="6.8.0")
    tmp, db = wt.make_db(ctl, [("new.txt", wt.cycle_log([C("new_a"), C("new_b")], task="newt/2", kernel="6.9.0")),
                               ("old.txt", old_log)])
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    grp = lambda cls: con.execute("SELECT grp FROM group_classes WHERE canonical = ?", (cls,)).fetchone()[0]  # noqa: E731
    new, old = grp(C("new_a")), grp(C("old_a"))
    old_sig = con.execute("SELECT signature FROM groups WHERE id = ?", (old,)).fetchone()[0]
    con.close()
    rc, out, err = cli(db, "triage", str(old), "--status", "confirmed", "--note", "old's own note")
    c.check(rc == 0, f"triage OLD: {err!r}")
    rc, out, err = cli(db, "merge", str(new), str(old))
    c.check(rc == 0, f"merge OLD into NEW: {err!r}")
    before = json.loads(cli(db, "show", "--json", str(new))[1])
    n_groups = len(ids(db, "groups"))
    # the same cycle again, another task, kernel and host: OLD's signature
    p = os.path.join(tmp, "old-again.txt")
    with open(p, "w") as f:
        f.write(old_log.replace("oldt/1", "againt/3").replace("6.8.0", "6.10.0"))
    import_logs(db, [p], "h9")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    live_old = con.execute("SELECT count(*) FROM groups WHERE signature = ?", (old_sig,)).fetchone()[0]
    landed = con.execute("SELECT grp FROM reports ORDER BY id DESC LIMIT 1").fetchone()[0]
    con.close()
    c.check(live_old == 0 and len(ids(db, "groups")) == n_groups,
            f"no group is made again for OLD's signature ({live_old} live, {len(ids(db, 'groups'))} groups, was {n_groups})")
    c.check(landed == new, f"the report with OLD's signature is in NEW ({landed}, want {new})")
    srv = wt.Server(lockdepd, db)
    g = srv.json(f"/api/v1/groups/{new}")
    c.check(g["n_reports"] == before["n_reports"] + 1, f"NEW counts it: {g['n_reports']} (was {before['n_reports']})")
    c.check({"h9": 1}.items() <= {x["host"]: x["n"] for x in g["hosts"]}.items(), f"NEW's hosts: {g['hosts']}")
    c.check([k["kernel"] for k in g["kernels"]][0] == "6.10.0", f"NEW's kernels by version: {g['kernels']}")
    c.check("againt" in [t["task"] for t in g["tasks"]], f"NEW's tasks: {g['tasks']}")
    actions = [(t["group"], t["action"], t["value"]) for t in g["triage"]]
    c.check((new, "merge", f"group {old}") in actions and (old, "note", "old's own note") in actions,
            f"NEW's history holds the merge and OLD's entries, made on OLD: {actions}")
    c.check(g["status"] != "confirmed" or before["status"] == "confirmed",
            f"NEW keeps its own status, not OLD's: {g['status']}")
    st, h, b = srv.request("GET", f"/api/v1/groups/{old}")
    c.check(st == 301 and h.get("location") == f"/api/v1/groups/{new}", f"OLD answers 301 to NEW: {st} {h.get('location')}")
    page = srv.request("GET", f"/groups/{new}")[2].decode()
    c.check(f'<span id="occurrences-total">{g["n_reports"]}</span>' in page, "NEW's page counts the new report")
    c.check(srv.stop() == 0, "lockdepd exits cleanly")
elif case == "hostile":
    bidi = "\u202eevil\u2066"
    script = "<script>window.__xss=9</script>"
    log = wt.cycle_log([f"&{script}->lock", f"&rtl{bidi}->lock"], task=f"{script}/7", kernel="6.7.0-x")
    tmp, db = wt.make_db(ctl, [("hostile.txt", log)])
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    g = con.execute("SELECT grp FROM group_classes WHERE canonical LIKE '%script%'").fetchone()[0]
    rep = con.execute("SELECT id FROM reports WHERE grp = ?", (g,)).fetchone()[0]
    con.close()
    srv = wt.Server(lockdepd, db)
    for path in (f"/groups/{g}", f"/reports/{rep}"):
        st, h, b = srv.request("GET", path)
        page = b.decode()
        c.check(st == 200, f"{path}: {st}")
        c.check("<script>window" not in page and "__xss=9</script>" not in page, f"{path}: no live <script> from the log")
        c.check("&lt;script&gt;window.__xss=9&lt;/script&gt;" in page, f"{path}: the name shown escaped")
        c.check("\u202e" not in page and "\u2066" not in page, f"{path}: no bidi control reaches the page")
        c.check("\\u202e" in page.lower() or "&#x202e;" in page.lower(), f"{path}: the bidi control shown as an escape")
    page = srv.request("GET", f"/groups/{g}")[2].decode()
    api = srv.json(f"/api/v1/groups/{g}")
    shown = re.search(r'<span id="occurrences-shown">(\d+)</span> of <span id="occurrences-total">(\d+)</span>', page)
    rows = len(re.findall(r'<tr><td class="num"><a href="/reports/\d+">', page.split('id="occurrences"')[1].split("</table>")[0]))
    c.check(shown and int(shown.group(2)) == api["n_reports"] and int(shown.group(1)) == rows,
            f"N of M: {shown and shown.groups()}, {rows} rows, {api['n_reports']} reports")
    c.check(any(t["task"] == script for t in api["tasks"]), f"the task as parsed: {api['tasks']}")
    c.check(srv.stop() == 0, "lockdepd exits cleanly")
else:
    print(f"unknown case {case}")
    sys.exit(2)
c.done()
