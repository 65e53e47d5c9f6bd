#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Evidence one click away (usage: test-web-evidence.py LOCKDEPD LOCKDEPCTL).

Covers (issue 14): /reports/ID.txt is the stored raw text as printed, text/plain; charset=utf-8
with nosniff, for every report (and 404/400 for unknown or bad ids); the report page names the
source and the parser's line range and links the text; /search finds what /api/v1/search finds,
narrowed by kind and host exactly; /favicon.ico is an SVG image; /metrics is Prometheus text for a
scraper and an HTML page with the navigation for a browser; a group's breakdowns by host,
kernel and task (its comm, without the pid; hostile ones escaped) are bars of lengths proportional to the counts, its timeline counts every occurrence on its
day, related groups are ranked by the edges they share (counted here from /api/v1/graph?group=).
"""

import html
import json
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest as wt  # noqa: E402

lockdepd, ctl = sys.argv[1:3]
tmp, db = wt.make_db(ctl, [("xss.txt", wt.xss_log())])
srv = wt.Server(lockdepd, db)
c = wt.Checker()

reports = srv.json("/api/v1/reports?limit=1000")["reports"]
bad = []
for r in reports:
    full = srv.json(f"/api/v1/reports/{r['id']}")
    st, h, b = srv.request("GET", f"/reports/{r['id']}.txt")
    want = full["raw"] if full["raw"].endswith("\n") else full["raw"] + "\n"
    if st != 200 or h.get("content-type") != "text/plain; charset=utf-8" or h.get("x-content-type-options") != "nosniff" \
            or b.decode() != want:
        bad.append(r["id"])
c.check(len(reports) > 20 and not bad, f"/reports/ID.txt is the raw text of all {len(reports)} reports ({bad[:3]})")
for path, want in [("/reports/999999.txt", 404), ("/reports/x.txt", 400), ("/reports/.txt", 400), ("/api/v1/reports/1.txt", 400)]:
    c.check(srv.request("GET", path)[0] == want, f"{path} -> {want}")

rid = next(r["id"] for r in reports if r["kind"] == "circular")
full = srv.json(f"/api/v1/reports/{rid}")
page = srv.request("GET", f"/reports/{rid}")[2].decode()
p = full["parsed"]
c.check(f'<span id="lines">lines {p["first_line"]}&ndash;{p["last_line"]}</span>' in page and p["first_line"] > 0,
        f"report page: lines {p['first_line']}-{p['last_line']}")
c.check(html.escape(full["source"], quote=True).replace("&#x27;", "&#39;") in page and f'href="/reports/{rid}.txt"' in page,
        "report page: the source and a link to the text")

# ---- search ----
for q in ["ext4_evict_inode", "mutex", "onerror"]:
    api = srv.json("/api/v1/search?limit=1000&q=" + urllib.parse.quote(q))["results"]
    text = srv.request("GET", "/search?q=" + urllib.parse.quote(q))[2].decode()
    ids = [int(x) for x in re.findall(r'<tr><td class="num"><a href="/reports/(\d+)">', text)]
    c.check(ids == [x["id"] for x in api][:100] and len(ids) > 0, f"/search?q={q}: {len(ids)} results as the API ranks them")
    n = re.search(r'<span id="n-results">(\d+)</span>', text)
    c.check(n and int(n.group(1)) == len(api), f"/search?q={q}: the count")
    for kind in ["circular", "recursive"]:
        text = srv.request("GET", f"/search?q={urllib.parse.quote(q)}&kind={kind}")[2].decode()
        ids = [int(x) for x in re.findall(r'<tr><td class="num"><a href="/reports/(\d+)">', text)]
        c.check(ids == [x["id"] for x in api if x["kind"] == kind][:100], f"/search?q={q}&kind={kind}")
host = srv.json("/api/v1/search?limit=1000&q=mutex")["results"][0]["host"]
text = srv.request("GET", "/search?q=mutex&host=" + urllib.parse.quote(host))[2].decode()
c.check(len(re.findall(r'<tr><td class="num">', text)) == sum(1 for x in srv.json("/api/v1/search?limit=1000&q=mutex")["results"]
                                                             if x["host"] == host), "/search host filter")
text = srv.request("GET", "/search?q=" + urllib.parse.quote("<script>window.__xss=1</script>"))[2].decode()
c.check("<script>window" not in text, "the query is escaped on the page")
c.check(srv.request("GET", "/search")[0] == 200 and srv.request("GET", "/search?kind=bogus&q=x")[0] == 400,
        "/search without a query is the form; a bad kind 400")

# ---- favicon, metrics ----
st, h, b = srv.request("GET", "/favicon.ico")
c.check(st == 200 and h.get("content-type") == "image/svg+xml" and b.startswith(b"<svg"), "/favicon.ico")
st, h, b = srv.request("GET", "/metrics")
c.check(st == 200 and h.get("content-type", "").startswith("text/plain") and b"lockdep_reports_total" in b, "/metrics for a scraper")
st, h, b = srv.request("GET", "/metrics", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
c.check(st == 200 and h.get("content-type", "").startswith("text/html") and b"lockdep_reports_total" in b
        and b'<a href="/">Groups</a>' in b, "/metrics for a browser: a page with the way back")
# ---- a group's breakdowns as bars, its timeline, related groups by shared edges ----
gs = srv.json("/api/v1/groups?limit=1000")["groups"]
multi = max(gs, key=lambda g: (g["n_hosts"], g["n_reports"]))
g = srv.json(f"/api/v1/groups/{multi['id']}")
text = srv.request("GET", f"/groups/{multi['id']}")[2].decode()
for tid, key in [("by-host", "host"), ("by-kernel", "kernel"), ("by-task", "task")]:
    m = re.search(rf'<table id="{tid}".*?</table>', text, re.S)
    rows = re.findall(r'<tr><td><div class="bar-name">(?:<a [^>]*>)?(.*?)(?:</a>)?</div></td><td class="num">(\d+)</td><td><svg[^>]*>'
                      r'<rect width="([\d.]+)"', m.group(0)) if m else []
    want = [(x[key] or "unknown", x["n"]) for x in g[tid.split("-")[1] + "s"]]
    c.check([(html.unescape(a), int(n)) for a, n, _ in rows] == want, f"{tid}: every {key} with its count ({len(want)})")
    top = max((x["n"] for x in g[tid.split("-")[1] + "s"]), default=1)
    c.check(all(abs(float(w) - max(1.0, 160 * int(n) / top)) < 0.1 for _, n, w in rows), f"{tid}: bar lengths proportional")
occ = srv.json(f"/api/v1/reports?group={multi['id']}&limit=1000")["reports"]
# the tasks: each report's parsed task (its comm, without the pid), counted
want = {}
for o in occ:
    t = srv.json(f"/api/v1/reports/{o['id']}")["parsed"].get("task")
    want[t] = want.get(t, 0) + 1
c.check({x["task"]: x["n"] for x in g["tasks"]} == want and len(want) > 0, f"tasks: the reports' tasks counted {want}")
c.check(not any(re.search(r"/\d+$", x["task"] or "") for x in g["tasks"]), "tasks: no pid")
# a hostile task name is inert on the page
hostile = [x for x in gs if any(ch in json.dumps(srv.json(f"/api/v1/groups/{x['id']}")["tasks"]) for ch in "<\"")]
for x in hostile:
    t = srv.request("GET", f"/groups/{x['id']}")[2].decode()
    m = re.search(r'<table id="by-task".*?</table>', t, re.S)
    c.check(m and "<script" not in m.group(0) and "<img" not in m.group(0), f"group {x['id']}: the task table is escaped")
c.check(len(hostile) > 0, "some group has a hostile task name")
bars = [int(n) for n in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+"><title>[\d-]+: (\d+)</title>', text)]
days = {o["time"][:10] for o in occ}
c.check(sum(bars) == len(occ) and len(bars) == len(days), f"timeline: {len(occ)} reports on {len(days)} days")
g = max((srv.json(f"/api/v1/groups/{x['id']}") for x in gs), key=lambda d: len(d["related"]))
text = srv.request("GET", f"/groups/{g['id']}")[2].decode()
rel = re.findall(r'<li><a href="/groups/(\d+)">#\d+</a> .*? <span class="hint">\((\d+) shared edges?, (\d+) shared class',
                 text)
mine = {(e["from"], e["to"]) for e in g["edges"]}
got = [(int(i), int(e)) for i, e, _ in rel]
want = [(int(i), len(mine & {(x["from"], x["to"]) for x in srv.json(f"/api/v1/graph?group={i}")["edges"]})) for i, _, _ in rel]
c.check(got == want and len(got) == len(g["related"]) > 0 and any(e for _, e in got),
        f"related: shared edges counted ({len(got)} groups, {sum(1 for _, e in got if e)} sharing edges)")
c.check([e for _, e in got] == sorted((e for _, e in got), reverse=True), "related: most shared edges first")
c.check(srv.stop() == 0, "lockdepd exits cleanly")
c.done()
