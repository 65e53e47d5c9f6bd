#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One acquire site per edge (issue 13; usage: test-edge-sites.py LOCKDEPD LOCKDEPCTL SHARED_DIR).

A database of the golden cases and the syzkaller corpus (SHARED_DIR/corpus/syzkaller; without it
the golden cases alone, said so). For every group and every one of its lock-order edges, the site
named by `lockdepctl show ID` (the cycle, or the lock order of kinds without one), by the group
page /groups/ID of a real lockdepd (the text list beside the drawing and the SVG's edge titles),
by /api/v1/groups/ID (`edges[].site`) and by `lockdepctl show --json` is the same, and it is never
a locking function or lock wrapper: not one of the prefixes of lockdep_is_locking_function() in
parser/parse.c (the one list, read from the source), never with an offset ("+0x"). The class names
the group shows as normalized are those its own reports printed (not every printed name of its
classes in the database).
"""

import html
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "web"))
import webtest as wt  # noqa: E402

lockdepd, ctl, shared = sys.argv[1:4]
c = wt.Checker()


def locking_prefixes():
    src = open(os.path.join(HERE, "..", "..", "parser", "parse.c"), encoding="utf-8").read()
    body = src[src.index("bool lockdep_is_locking_function("):]
    body = body[body.index("prefixes[] = {"):body.index("};")]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    return re.findall(r'"([^"]+)"', body)


PREFIXES = locking_prefixes()
for must in ("mutex_lock", "down_", "_raw_spin", "lock_acquire", "rtnl_lock", "fs_reclaim_acquire"):
    c.check(any(must.startswith(p) for p in PREFIXES), f"the one list has {must}")


def is_locking(site):
    fn = re.split(r"[+ ]", site, maxsplit=1)[0]
    return any(fn.startswith(p) for p in PREFIXES)


corpus = os.path.join(shared, "corpus", "syzkaller")
extra = []
if os.path.isdir(corpus):
    extra = sorted(os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith(".txt"))
else:
    print(f"# {corpus} absent: the golden cases only")
tmp, db = wt.make_db(ctl)
if extra:
    subprocess.run([ctl, "--db", db, "import", *extra], check=True, capture_output=True, timeout=600)
env = dict(os.environ, NO_COLOR="1", COLUMNS="400")
srv = wt.Server(lockdepd, db)


def cli_edges(text):
    """(from, to, site) of the Cycle or Lock order section of lockdepctl show."""
    out, section, prev, summary = [], "", None, False
    for line in text.splitlines():
        if line and not line.startswith(" "):
            section, prev, summary = line, None, True
            continue
        if not line.strip():
            continue
        if section.startswith("Cycle ("):
            if summary:  # "A -> B -> A" first
                summary = False
                continue
            m = re.match(r"^      -> (.*?)(?: {4,}at (.*))?$", line)
            if m:
                out.append((prev, m.group(1), m.group(2)))
                prev = m.group(1)
            else:
                prev = re.match(r"^    (.*?)(?: {4,}held, taken at (.*))?$", line).group(1)
        elif section.startswith("Lock order ("):
            m = re.match(r"^    (.*?) -> (.*?)(?: {4,}at (.*))?$", line)
            out.append((m.group(1), m.group(2), m.group(3)))
    return out


def html_edges(page):
    text = page[page.index('<ol class="cycle-text"'):]
    text = text[:text.index("</ol>")]
    out = []
    for li in re.findall(r"<li>(.*?)</li>", text, flags=re.S):
        codes = re.findall(r'<a class="lock" href="[^"]*"><code>(.*?)</code></a>', li)
        site = re.search(r'<code class="site">(.*?)</code>', li)
        out.append((html.unescape(codes[0]), html.unescape(codes[1]), html.unescape(site.group(1)) if site else None))
    return out


def svg_edges(page):
    out = []
    for t in re.findall(r'<g class="edge"><title>(.*?)</title>', page):
        t = html.unescape(t)
        a, rest = t.split(" \u2192 ", 1)
        b, _, site = rest.partition(" at ")
        out.append((a, b, site or None))
    return out


groups = srv.json("/api/v1/groups?limit=1000")["groups"]
c.check(len(groups) >= 50 if extra else len(groups) >= 20, f"{len(groups)} groups")
n_edges = n_sited = n_cycle_groups = n_norm = 0
kinds_sited = set()
bad = []
for g in groups:
    gid = g["id"]
    api = srv.json(f"/api/v1/groups/{gid}")
    edges = [(e["from"], e["to"], e.get("site")) for e in api.get("edges", [])]
    r = subprocess.run([ctl, "--db", db, "show", "--no-pager", str(gid)], capture_output=True, text=True, env=env, timeout=60)
    rj = subprocess.run([ctl, "--db", db, "show", "--json", str(gid)], capture_output=True, text=True, env=env, timeout=60)
    if r.returncode != 0 or rj.returncode != 0:
        bad.append(f"{gid}: show exit {r.returncode}/{rj.returncode}: {r.stderr.strip()}")
        continue
    cj = [(e["from"], e["to"], e.get("site")) for e in json.loads(rj.stdout).get("edges", [])]
    if cj != edges:
        bad.append(f"{gid}: show --json edges {cj} != API {edges}")
    for f, t, site in edges:
        n_edges += 1
        if site is None:
            continue
        n_sited += 1
        kinds_sited.add(api["kind"])
        if is_locking(site) or "+0x" in site:
            bad.append(f"{gid}: edge {f} -> {t}: site {site} is a locking function")
    st, _, body = srv.request("GET", f"/groups/{gid}")
    page = body.decode("utf-8", errors="replace")
    if st != 200:
        bad.append(f"{gid}: /groups/{gid}: {st}")
        continue
    classes = (api.get("parsed") or {}).get("classes") or []
    if classes and edges:
        n_cycle_groups += 1
        if sorted(html_edges(page), key=str) != sorted(edges, key=str):
            bad.append(f"{gid}: page text list {html_edges(page)} != API {edges}")
        want_svg = sorted(edges, key=str)
        if sorted(svg_edges(page), key=str) != want_svg:
            bad.append(f"{gid}: SVG titles {svg_edges(page)} != API {edges}")
    shown = cli_edges(r.stdout)
    by_pair = {(f, t): s for f, t, s in edges}
    for f, t, site in shown:
        if (f, t) not in by_pair:
            bad.append(f"{gid}: show draws {f} -> {t}, not an edge of the group {edges}")
        elif by_pair[(f, t)] != site:
            bad.append(f"{gid}: show names {site!r} for {f} -> {t}, the API {by_pair[(f, t)]!r}")
    missing = set(by_pair) - {(f, t) for f, t, _ in shown}
    if missing and classes:  # kinds without classes (safe_unsafe) draw no edge on either
        bad.append(f"{gid}: show leaves out the edges {sorted(missing)}")

    # the class names normalized are those this group's reports printed, not every name of its
    # classes in the database (issue 13)
    own = set()
    for rep in srv.json(f"/api/v1/reports?group={gid}&limit=1000")["reports"]:
        p = srv.json(f"/api/v1/reports/{rep['id']}").get("parsed") or {}
        for lk in (p.get("chain") or []) + [p.get("acquiring") or {}, p.get("holding") or {}]:
            if lk.get("class") and lk.get("canonical") and lk["class"] != lk["canonical"]:
                own.add((lk["class"], lk["canonical"]))
    norm = {(x["printed"], x["canonical"]) for x in api.get("normalizations", [])}
    n_norm += len(norm)
    if norm != own:
        bad.append(f"{gid}: normalizations {sorted(norm)} != the names its reports printed {sorted(own)}")

for b in bad[:30]:
    print("# " + b)
c.check(not bad, f"every group ({len(groups)}, {n_cycle_groups} with a drawing) and edge ({n_edges}, {n_sited} with a "
        f"site): show, show --json, /groups/ID (text and SVG) and the API name the same site, never a locking function "
        f"({len(bad)} differences)")
c.check(n_sited >= 20, f"{n_sited} edges with a site")
c.check(n_norm >= 10, f"{n_norm} normalized names checked")
c.check({"circular", "recursive"} <= kinds_sited, f"sites of circular and recursive groups: {sorted(kinds_sited)}")
c.check(srv.stop() == 0, "lockdepd stops cleanly")
c.done()
