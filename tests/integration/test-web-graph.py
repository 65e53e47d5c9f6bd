#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""/graph at fleet size (usage: test-web-graph.py LOCKDEPD LOCKDEPCTL).

A database of ~2,000 lock-order edges (bench/web-gen.py: 500 groups of 4-lock cycles sharing
classes) plus known cycles of 3 locks on their own kernel. Checked against /api/v1/graph and the
database: every edge on a cycle (a strongly connected component, computed here independently) is
highlighted in the SVG and the table and no other; the filters kernel, host and kind keep exactly
the edges of the groups they select; focus on a lock keeps the classes within depth hops
(breadth-first here) and draws the focused class; no two class boxes of the layered SVG overlap
and every box lies inside it; the edge table is paged (limit, next/prev links cover every edge
once); the page at 2,000 edges stays under 300 KB.
"""

import json
import os
import re
import subprocess
import sys
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest as wt  # noqa: E402

lockdepd, ctl = sys.argv[1:3]
here = os.path.dirname(os.path.abspath(__file__))
tri = [("tri.txt", wt.cycle_log(["&tri_a->m", "&tri_b->m", "&tri_c->m"], kernel="7.0.0-tri"))]
tmp, db = wt.make_db(ctl, tri)
subprocess.run(["/usr/bin/python3", os.path.join(here, "..", "..", "bench", "web-gen.py"), ctl, db, "2000", "500", "10"],
               check=True, capture_output=True, timeout=600)
srv = wt.Server(lockdepd, db)
c = wt.Checker()
edges = srv.json("/api/v1/graph")["edges"]
c.check(len(edges) >= 1500, f"{len(edges)} edges in the database")
groups = {g["id"]: g for g in srv.json("/api/v1/groups?limit=1000")["groups"]}


def sccs(es):
    """Edges on a cycle: Tarjan's components of two or more classes, and self-loops."""
    adj = {}
    for e in es:
        adj.setdefault(e["from"], []).append(e["to"])
        adj.setdefault(e["to"], [])
    index, low, on, stack, comp, n = {}, {}, set(), [], {}, [0]
    sys.setrecursionlimit(100000)

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            members = []
            while True:
                w = stack.pop()
                on.discard(w)
                members.append(w)
                if w == v:
                    break
            for w in members:
                comp[w] = (v, len(members))
    for v in adj:
        if v not in index:
            visit(v)
    return {(e["from"], e["to"]) for e in es
            if e["from"] == e["to"] or (comp[e["from"]][0] == comp[e["to"]][0] and comp[e["from"]][1] > 1)}


def page(query):
    st, h, b = srv.request("GET", "/graph" + query)
    assert st == 200, (query, st, b[:300])
    text = b.decode()
    m = re.search(r"<svg id=\"fleet\".*?</svg>", text, re.S)
    svg = ET.fromstring(m.group(0)) if m else None
    rows = re.findall(r"<tr class=\"([^\"]*)\"><td><a class=\"lock\" href=\"/graph\?lock=([^\"]*)\">.*?</a></td>"
                      r"<td><a class=\"lock\" href=\"/graph\?lock=([^\"]*)\">", text)
    rows = [(cls, urllib.parse.unquote(a), urllib.parse.unquote(b)) for cls, a, b in rows]
    return text, svg, rows, len(b)


NS = "{http://www.w3.org/2000/svg}"


def svg_parts(svg):
    nodes, drawn_edges = {}, []
    for a in svg.iter(NS + "a"):
        g = a.find(NS + "g")
        r = g.find(NS + "rect")
        nodes[g.find(NS + "title").text] = (float(r.get("x")), float(r.get("y")), float(r.get("width")),
                                            float(r.get("height")), "focus" in g.get("class"))
    for g in svg.iter(NS + "g"):
        if "edge" in (g.get("class") or "").split():
            drawn_edges.append((g.find(NS + "title").text, "cycle" in g.get("class").split()))
    return nodes, drawn_edges


def layout_ok(svg, what):
    nodes, _ = svg_parts(svg)
    W, H = float(svg.get("width")), float(svg.get("height"))
    boxes = list(nodes.items())
    overlaps = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a[1][0] < b[1][0] + b[1][2] and b[1][0] < a[1][0] + a[1][2] and
                a[1][1] < b[1][1] + b[1][3] and b[1][1] < a[1][1] + a[1][3]]
    outside = [n for n, (x, y, w, h, _) in boxes if x < 0 or y < 0 or x + w > W or y + h > H]
    c.check(not overlaps and not outside, f"{what}: {len(boxes)} boxes, none overlapping, all inside "
            f"({overlaps[:2]} {outside[:2]})")
    return nodes


def all_rows(query):
    """Follows the next links through the edge table."""
    out, q, seen = [], query, 0
    while True:
        text, _, rows, _ = page(q)
        out += rows
        m = re.search(r"<a rel=\"next\" href=\"/graph([^\"]*)\"", text)
        seen += 1
        if not m or seen > 100:
            return out
        q = m.group(1).replace("&amp;", "&").split("#")[0]


# ---- the whole graph ----
cyc = sccs(edges)
text, svg, rows, size = page("")
c.check(size < 300 * 1024, f"/graph at {len(edges)} edges is {size // 1024} KB (< 300 KB)")
c.check(len(rows) == 50, f"the edge table is paged: {len(rows)} rows on the first page")
c.check(f'<span id="n-edges">{len(edges)}</span>' in text, "the summary counts every edge")
n_cyc = re.search(r'<span class="cycle-edge" id="n-cycle">(\d+)</span>', text)
c.check(n_cyc and int(n_cyc.group(1)) == len(cyc), f"{len(cyc)} edges on cycles, counted ({n_cyc and n_cyc.group(1)})")
nodes = layout_ok(svg, "whole graph")
_, drawn = svg_parts(svg)
wrong = [t for t, is_cyc in drawn if is_cyc != (tuple(t.rsplit(" (", 1)[0].split(" \u2192 ")) in cyc)]
c.check(len(drawn) > 50 and not wrong, f"{len(drawn)} drawn edges: cycle edges highlighted, no others ({wrong[:2]})")
every = all_rows("?limit=200")
c.check(sorted((a, b) for _, a, b in every) == sorted((e["from"], e["to"]) for e in edges),
        f"next links page through every edge once ({len(every)})")
c.check(all(("cycle" in cls.split()) == ((a, b) in cyc) for cls, a, b in every), "table rows on cycles marked")

# ---- filters ----
tri_edges = {(e["from"], e["to"]) for e in edges if e["from"].startswith("&tri_")}
got = all_rows("?kernel=7.0.0-tri")
c.check({(a, b) for _, a, b in got} == tri_edges and len(tri_edges) == 3, f"kernel filter: the 3 edges of the triangle")
c.check(all("cycle" in cls for cls, _, _ in got), "the triangle's edges are a cycle")
host = "host003"
hg = {g["id"] for g in srv.json(f"/api/v1/groups?limit=1000&host={host}")["groups"]}
want = {(e["from"], e["to"]) for e in edges if set(e["groups"]) & hg}
got = all_rows(f"?host={host}&limit=500")
c.check({(a, b) for _, a, b in got} == want and len(got) == len(want) > 0, f"host filter: {len(want)} edges of its groups")
got = all_rows("?kind=recursive&limit=500")
rg = {g["id"] for g in groups.values() if g["kind"] == "recursive"}
want = {(e["from"], e["to"]) for e in edges if set(e["groups"]) & rg}
c.check({(a, b) for _, a, b in got} == want, f"kind filter: {len(want)} edges")
st, _, _ = srv.request("GET", "/graph?kind=nonsense")
c.check(st == 400, "a bad kind is 400")
st, _, _ = srv.request("GET", "/graph?depth=99")
c.check(st == 400, "a depth out of range is 400")

# ---- focus ----
lock = "&mm->mmap_lock"
for depth in (1, 2):
    near, frontier = {lock}, {lock}
    for _ in range(depth):
        frontier = {e["to"] for e in edges if e["from"] in frontier} | {e["from"] for e in edges if e["to"] in frontier}
        frontier -= near
        near |= frontier
    want = {(e["from"], e["to"]) for e in edges if e["from"] in near and e["to"] in near}
    q = f"?lock={urllib.parse.quote(lock, safe='')}&depth={depth}&limit=1000"
    text, svg, rows, size = page(q)
    rows = all_rows(q)
    c.check({(a, b) for _, a, b in rows} == want, f"focus depth {depth}: the {len(want)} edges among {len(near)} classes")
    nodes = layout_ok(svg, f"focus depth {depth}")
    c.check(lock in nodes and nodes[lock][4], f"focus depth {depth}: the focused class is drawn and marked")
    c.check(set(nodes) <= near, f"focus depth {depth}: only classes within {depth} hops drawn")
text, svg, rows, _ = page("?lock=" + urllib.parse.quote("&nonexistent->x", safe=""))
c.check(rows == [] and "passes the filters" in text, "focus on an unknown lock: nothing, said so")
c.check(srv.stop() == 0, "lockdepd exits cleanly")
c.done()
