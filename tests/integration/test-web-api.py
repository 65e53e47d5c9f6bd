#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""JSON API against the database (usage: test-web-api.py LOCKDEPD LOCKDEPCTL).

Covers: /api/v1/groups equals `lockdepctl list --json` (paging, total, filters kind/status/host/
lock/kernel/since/until/sort), groups/ID, reports/ID and the report list, locks and locks/NAME,
graph edges, stats and /metrics numbers, search, suppressions, all checked against the database
with sqlite3; 404 JSON for unknown ids; 400 JSON for bad parameters; 405; security headers; HEAD;
token-protected triage/merge/split/suppressions (refused without or with a wrong token, recorded
in triage_log when accepted), the response cache (hits, security headers on cached replies, never for
requests with a token, a write through the server or by lockdepctl visible in the cached group list),
and triage surviving `lockdepctl reparse`.
"""

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest as wt  # noqa: E402

lockdepd, ctl = sys.argv[1:3]
tmp, db = wt.make_db(ctl, [("xss.txt", wt.xss_log())])
srv = wt.Server(lockdepd, db)
c = wt.Checker()
sql = sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def ctl_list(*args):
    out = subprocess.run([ctl, "--db", db, "list", "--json", *args], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


# ---- groups list ----
n_groups = sql.execute("SELECT count(*) FROM groups").fetchone()[0]
all_groups = srv.json("/api/v1/groups?limit=1000")
c.check(all_groups["total"] == n_groups and len(all_groups["groups"]) == n_groups, f"total {n_groups} groups")
c.check(all_groups["groups"] == ctl_list(), "/api/v1/groups == lockdepctl list --json")
page = srv.json("/api/v1/groups?limit=5&offset=5")
c.check(page["groups"] == all_groups["groups"][5:10] and page["offset"] == 5 and page["limit"] == 5, "paging")
c.check(srv.json("/api/v1/groups")["limit"] == 50, "default limit 50")
for k, v in [("kind", "recursive"), ("status", "new"), ("sort", "reports"), ("sort", "id"), ("sort", "first_seen")]:
    got = srv.json(f"/api/v1/groups?limit=1000&{k}={v}")["groups"]
    c.check(got == ctl_list(f"--{k}", v), f"filter {k}={v} matches lockdepctl")
n_rec = sql.execute("SELECT count(*) FROM groups WHERE kind = 'recursive'").fetchone()[0]
c.check(srv.json("/api/v1/groups?kind=recursive")["total"] == n_rec, "kind filter total")
lock = sql.execute("SELECT canonical, count(*) FROM group_classes GROUP BY canonical ORDER BY 2 DESC").fetchone()
got = srv.json("/api/v1/groups?limit=1000&lock=" + urllib.parse.quote(lock[0], safe=""))
c.check(got["total"] == lock[1], f"lock filter {lock[0]} -> {lock[1]} groups")
kern = sql.execute("SELECT kernel FROM boots WHERE kernel IS NOT NULL LIMIT 1").fetchone()[0]
want = sql.execute("SELECT count(DISTINCT r.grp) FROM reports r JOIN boots b ON b.id = r.boot WHERE b.kernel = ?",
                   (kern,)).fetchone()[0]
c.check(srv.json("/api/v1/groups?kernel=" + urllib.parse.quote(kern))["total"] == want, "kernel filter")
host = sql.execute("SELECT coalesce(hostname, machine_id) FROM hosts LIMIT 1").fetchone()[0]
c.check(srv.json("/api/v1/groups?host=" + urllib.parse.quote(host))["total"] == n_groups, "host filter")
c.check(srv.json("/api/v1/groups?since=2000-01-01&until=2999-01-01")["total"] == n_groups, "time range, all")
c.check(srv.json("/api/v1/groups?until=2000-01-01")["total"] == 0, "time range, none")

# ---- one group, reports ----
gid = all_groups["groups"][0]["id"]
g = srv.json(f"/api/v1/groups/{gid}")
row = sql.execute("SELECT kind, signature, n_reports, status FROM groups WHERE id = ?", (gid,)).fetchone()
c.check((g["kind"], g["signature"], g["n_reports"], g["status"]) == row, "group object matches the database")
c.check(srv.json(f"/api/v1/groups/{g['signature'][:8]}")["id"] == gid, "group by signature prefix")
reps = srv.json(f"/api/v1/reports?group={gid}&limit=1000")["reports"]
c.check(sorted(r["id"] for r in reps) == [x[0] for x in sql.execute("SELECT id FROM reports WHERE grp = ? ORDER BY id", (gid,))],
        "reports of a group")
rid = reps[0]["id"]
rep = srv.json(f"/api/v1/reports/{rid}")
c.check(rep["raw"] == sql.execute("SELECT raw FROM reports WHERE id = ?", (rid,)).fetchone()[0], "report raw text")

# ---- locks, graph, stats, search, metrics ----
locks = srv.json("/api/v1/locks?limit=10000")["locks"]
c.check(len(locks) == sql.execute("SELECT count(DISTINCT canonical) FROM group_classes").fetchone()[0], "locks count")
lk = srv.json("/api/v1/locks/" + urllib.parse.quote(lock[0], safe=""))
c.check(lk["name"] == lock[0] and len(lk["groups"]) == lock[1], "lock object")
edges = srv.json("/api/v1/graph")["edges"]
c.check(len(edges) == sql.execute("SELECT count(*) FROM lock_edges").fetchone()[0], "graph edges count")
st = srv.json("/api/v1/stats")
c.check(st["reports"] == sql.execute("SELECT count(*) FROM reports").fetchone()[0] and st["groups"] == n_groups, "stats")
s2, h2, body = srv.request("GET", "/metrics")
m = dict(line.rsplit(" ", 1) for line in body.decode().splitlines() if line and not line.startswith("#"))
c.check(s2 == 200 and int(m["lockdep_reports_total"]) == st["reports"] and int(m["lockdep_groups"]) == n_groups,
        "/metrics")
c.check(int(m['lockdep_groups_by_kind{kind="circular"}']) ==
        sql.execute("SELECT count(*) FROM groups WHERE kind = 'circular'").fetchone()[0], "/metrics by kind")
subprocess.run([ctl, "--db", db, "reports"], capture_output=True)  # nothing to assert: fts may be pending
c.check(isinstance(srv.json("/api/v1/search?q=lock")["results"], list), "search answers")
c.check(srv.request("GET", "/healthz")[0] == 200, "/healthz")

# ---- errors ----
for path in ["/api/v1/groups/999999", "/api/v1/reports/999999", "/api/v1/locks/no-such-lock", "/api/v1/nothing",
             "/api/v1/groups/ffffffffffff"]:
    st_, h_, b_ = srv.request("GET", path)
    c.check(st_ == 404 and "error" in json.loads(b_), f"404 JSON for {path}")
for q in ["limit=abc", "limit=0", "limit=-1", "limit=99999", "offset=x", "kind=bogus", "status=bogus", "sort=bogus",
          "until=2024-13-45", "until=2026-02-31", "since=yester", "since=2024-01-01T99:00"]:
    st_, h_, b_ = srv.request("GET", "/api/v1/groups?" + q)
    c.check(st_ == 400 and "error" in json.loads(b_), f"400 JSON for ?{q}")
for path in ["/api/v1/groups/abc", "/api/v1/groups/-1", "/api/v1/reports/1x", "/api/v1/reports?group=x"]:
    st_, h_, b_ = srv.request("GET", path)
    c.check(st_ == 400 and "error" in json.loads(b_), f"400 JSON for {path}")
st_, h_, b_ = srv.request("PUT", "/api/v1/groups")
c.check(st_ == 405 and "GET" in h_.get("allow", ""), "PUT -> 405 with Allow")
st_, h_, b_ = srv.request("HEAD", "/")
c.check(st_ == 200 and b_ == b"", "HEAD / without a body")

# ---- headers ----
st_, h_, b_ = srv.request("GET", "/")
csp = h_.get("content-security-policy", "")
c.check("default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, "CSP")
c.check(h_.get("x-content-type-options") == "nosniff" and h_.get("referrer-policy") == "no-referrer", "nosniff, referrer")
c.check(b"style=" not in b_ and b"<script>" not in b_.replace(b'<script src="/static/app.js" defer></script>', b""),
        "no inline style attributes or inline scripts on /")

# ---- writes ----
auth = {"Authorization": "Bearer " + srv.token}
st_, _, _ = srv.request("POST", f"/api/v1/groups/{gid}/triage", {"status": "confirmed"})
c.check(st_ == 401, "triage without a token -> 401")
st_, _, _ = srv.request("POST", f"/api/v1/groups/{gid}/triage", {"status": "confirmed"},
                        {"Authorization": "Bearer " + "0" * 64})
c.check(st_ == 401, "triage with a wrong token -> 401")
c.check(sql.execute("SELECT status FROM groups WHERE id = ?", (gid,)).fetchone()[0] == "new", "status unchanged")
st_, _, b_ = srv.request("POST", f"/api/v1/groups/{gid}/triage", {"status": "confirmed", "note": "seen <b>twice</b>"}, auth)
c.check(st_ == 200 and json.loads(b_)["status"] == "confirmed", "triage with the token")
c.check(sql.execute("SELECT status, note FROM groups WHERE id = ?", (gid,)).fetchone() == ("confirmed", "seen <b>twice</b>"),
        "status and note in the database")
c.check(sql.execute("SELECT count(*) FROM triage_log WHERE action = 'status' AND value = 'confirmed'").fetchone()[0] >= 1,
        "triage recorded in triage_log")
st_, _, _ = srv.request("POST", f"/api/v1/groups/{gid}/triage", {"status": "fixed-in", "value": "6.9"}, auth)
c.check(st_ == 200 and sql.execute("SELECT status FROM groups WHERE id = ?", (gid,)).fetchone()[0] == "fixed-in 6.9",
        "fixed-in with a release")
st_, _, _ = srv.request("POST", f"/api/v1/groups/{gid}/triage", {"status": "bogus"}, auth)
c.check(st_ == 400, "unknown status -> 400")
st_, _, _ = srv.request("POST", "/api/v1/groups/999999/triage", {"status": "confirmed"}, auth)
c.check(st_ == 404, "triage of an unknown group -> 404")
st_, _, _ = srv.request("POST", f"/api/v1/groups/{gid}/triage", {"status": "confirmed"},
                        dict(auth, **{"Sec-Fetch-Site": "cross-site"}))
c.check(st_ == 403, "cross-site write -> 403")
# form post with a pasted token: redirect back to the page
st_, h_, _ = srv.request("POST", f"/api/v1/groups/{gid}/triage", urllib.parse.urlencode(
    {"status": "confirmed", "note": "", "token": srv.token}), {"Content-Type": "application/x-www-form-urlencoded"})
c.check(st_ == 303 and h_.get("location") == f"/groups/{gid}", "form post -> 303 to the group page")

# merge and split
multi = sql.execute("SELECT id FROM groups WHERE n_reports >= 2 ORDER BY id LIMIT 1").fetchone()[0]
other = sql.execute("SELECT id FROM groups WHERE id NOT IN (?, ?) ORDER BY id LIMIT 1", (multi, gid)).fetchone()[0]
before = sql.execute("SELECT n_reports FROM groups WHERE id = ?", (multi,)).fetchone()[0]
moved = sql.execute("SELECT n_reports FROM groups WHERE id = ?", (other,)).fetchone()[0]
st_, _, _ = srv.request("POST", f"/api/v1/groups/{multi}/merge", {"from": other})
c.check(st_ == 401, "merge without a token -> 401")
st_, _, b_ = srv.request("POST", f"/api/v1/groups/{multi}/merge", {"from": other}, auth)
c.check(st_ == 200 and json.loads(b_)["n_reports"] == before + moved, "merge")
st_, h_, b_ = srv.request("GET", f"/api/v1/groups/{other}")
c.check(st_ == 301 and h_.get("location") == f"/api/v1/groups/{multi}" and json.loads(b_)["merged_into"] == multi,
        f"merged group is gone: 301 to the group it went into ({st_} {b_[:100]!r})")
rids = [x[0] for x in sql.execute("SELECT id FROM reports WHERE grp = ? ORDER BY id LIMIT 1", (multi,))]
st_, _, b_ = srv.request("POST", f"/api/v1/groups/{multi}/split", {"reports": rids}, auth)
new = json.loads(b_)["id"] if st_ == 200 else None
c.check(st_ == 200 and new != multi and json.loads(b_)["n_reports"] == 1, "split")
st_, _, _ = srv.request("POST", f"/api/v1/groups/{multi}/split", {"reports": "x"}, auth)
c.check(st_ == 400, "split with bad ids -> 400")

# suppressions
st_, _, _ = srv.request("POST", "/api/v1/suppressions", {"class": lock[0]})
c.check(st_ == 401, "suppression without a token -> 401")
st_, _, b_ = srv.request("POST", "/api/v1/suppressions", {"class": lock[0], "note": "known", "days": 30}, auth)
sid = json.loads(b_).get("id") if st_ == 201 else None
c.check(st_ == 201 and sid, "suppression added")
c.check([s["id"] for s in srv.json("/api/v1/suppressions")["suppressions"]] == [sid], "suppression listed")
c.check(srv.request("DELETE", f"/api/v1/suppressions/{sid}")[0] == 401, "delete without a token -> 401")
c.check(srv.request("DELETE", f"/api/v1/suppressions/{sid}", headers=auth)[0] == 200, "suppression deleted")
c.check(srv.request("DELETE", f"/api/v1/suppressions/{sid}", headers=auth)[0] == 404, "deleted twice -> 404")
c.check(sql.execute("SELECT count(*) FROM suppressions").fetchone()[0] == 0, "no suppression left")

# ---- response cache: repeated GETs are served from it, writes show at once ----
def metric(name):
    body = srv.request("GET", "/metrics")[2].decode()
    return int(dict(line.rsplit(" ", 1) for line in body.splitlines() if line and not line.startswith("#"))[name])


def statuses(cgid, n=6):  # n requests, on new connections, to reach every worker thread's cache
    return {next(g["status"] for g in srv.json("/api/v1/groups?limit=1000")["groups"] if g["id"] == cgid)
            for _ in range(n)}


cgid = sql.execute("SELECT id FROM groups WHERE status = 'new' ORDER BY id LIMIT 1").fetchone()[0]
hits = metric("lockdep_web_cache_hits_total")
c.check(statuses(cgid) == {"new"} and metric("lockdep_web_cache_hits_total") > hits, "repeated GETs hit the cache")
st_, h_, b_ = srv.request("GET", "/api/v1/groups?limit=1000")
c.check(st_ == 200 and "default-src 'none'" in h_.get("content-security-policy", "") and
        h_.get("x-content-type-options") == "nosniff" and h_.get("cache-control") == "no-store" and
        h_.get("x-frame-options") == "DENY", "security headers on a cached reply")
st_, h_, b_ = srv.request("HEAD", "/api/v1/groups?limit=1000")
c.check(st_ == 200 and b_ == b"" and h_.get("content-type") == "application/json", "HEAD of a cached reply")
hits = metric("lockdep_web_cache_hits_total")
for _ in range(4):
    srv.request("GET", "/api/v1/groups?limit=1000", headers=auth)
c.check(metric("lockdep_web_cache_hits_total") == hits, "requests with a token are never answered from the cache")
st_, _, _ = srv.request("POST", f"/api/v1/groups/{cgid}/triage", {"status": "confirmed"}, auth)
c.check(st_ == 200 and statuses(cgid) == {"confirmed"}, "a write through the server shows in the cached list at once")
statuses(cgid)  # warm the caches again
t0 = time.monotonic()
subprocess.run([ctl, "--db", db, "triage", str(cgid), "--status", "false-positive"], check=True, capture_output=True)
seen = set()
while time.monotonic() - t0 < 3.0 and seen != {"false-positive"}:  # the cache keeps an answer 2 s at most
    seen = statuses(cgid)
    time.sleep(0.05)
c.check(seen == {"false-positive"}, f"a write by lockdepctl shows in the cached list ({time.monotonic() - t0:.2f} s)")

# triage survives reparse
srv.stop()
subprocess.run([ctl, "--db", db, "reparse"], check=True, capture_output=True)
sig = g["signature"]
c.check(sql.execute("SELECT status FROM groups WHERE signature = ?", (sig,)).fetchone()[0] == "confirmed",
        "triage survives reparse")
c.done()
