#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Related groups with a known answer (issue 14; usage: test-web-related.py LOCKDEPD LOCKDEPCTL).

Built data around a target cycle X = (x_own, rare, common1, common2, common3):
- R: a cycle (rare, r_other): one shared class, which only X and R have;
- N_0..N_24: cycles (common2, common1, n_i): two shared classes each, both in 26 groups, no
  shared edge (their order is the reverse of X's);
- M_0..M_11: cycles (common3, m_j): one shared class that a large share of all groups have;
- E: a cycle (common1, common2, e_other): shares X's edge common1 -> common2.
The answer: E first (a shared edge), then R (its one rare class outweighs two common ones; a
count of shared classes over the top 20 would not even list it), then the N groups, and no M
group (one very common class alone is noise). The group page shows the same order.
"""

import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest as wt  # noqa: E402

lockdepd, ctl = sys.argv[1:3]
C = lambda n: f"&{n}->lock"  # noqa: E731
logs = [("x.txt", wt.cycle_log([C("x_own"), C("rare"), C("common1"), C("common2"), C("common3")], task="xt/1")),
        ("r.txt", wt.cycle_log([C("rare"), C("r_other")], task="rt/2")),
        ("e.txt", wt.cycle_log([C("common1"), C("common2"), C("e_other")], task="et/3"))]
logs += [(f"n{i}.txt", wt.cycle_log([C("common2"), C("common1"), C(f"n_{i}")], task=f"nt/{i + 10}")) for i in range(25)]
logs += [(f"m{j}.txt", wt.cycle_log([C("common3"), C(f"m_{j}")], task=f"mt/{j + 50}")) for j in range(12)]
tmp, db = wt.make_db(ctl, logs)
srv = wt.Server(lockdepd, db)
c = wt.Checker()

con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
by_classes = {}
for g, cls in con.execute("SELECT grp, group_concat(canonical, char(10)) FROM group_classes GROUP BY grp"):
    by_classes[frozenset(cls.split("\n"))] = g
con.close()


def gid(*classes):
    return by_classes[frozenset(classes)]


x = gid(C("x_own"), C("rare"), C("common1"), C("common2"), C("common3"))
r = gid(C("rare"), C("r_other"))
e = gid(C("common1"), C("common2"), C("e_other"))
ns = {gid(C("common2"), C("common1"), C(f"n_{i}")) for i in range(25)}
ms = {gid(C("common3"), C(f"m_{j}")) for j in range(12)}
rel = srv.json(f"/api/v1/groups/{x}")["related"]
ids = [g["id"] for g in rel]
c.check(ids[:2] == [e, r], f"related: the shared edge first, then the rare class: {ids[:3]} (want {e}, {r})")
c.check(rel[0]["shared_edges"] == 1 and rel[1]["shared_edges"] == 0 and rel[1]["shared"] == 1,
        f"related: counts {rel[:2]}")
c.check(set(ids[2:]) <= ns and len(ids) == 20, f"related: then N groups only ({len(ids)} listed)")
c.check(not set(ids) & ms, "related: no group that shares only the very common class")
c.check(rel[1]["score"] > rel[2]["score"] > 0, f"related: a rare class outweighs two common ones {rel[1:3]}")
page = srv.request("GET", f"/groups/{x}")[2].decode()
shown = [int(i) for i in re.findall(r'<li><a href="/groups/(\d+)">#\d+</a>', page.split("<h2>Related groups</h2>")[1])]
c.check(shown == ids, "the group page lists them in the store's order")
c.check(srv.stop() == 0, "lockdepd exits cleanly")
c.done()
