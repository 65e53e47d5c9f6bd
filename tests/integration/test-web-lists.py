#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Search with the list filters, and the fleet lists sorted on the server (issue 14; usage:
test-web-lists.py LOCKDEPD LOCKDEPCTL search|sort).

search: the golden cases imported from three hosts at different times, some groups triaged.
- a seeded grid of 150 combinations of text, kind, status, host, kernel (series, ranges, exact),
  lock, since/until in every accepted form, sort, limit, offset and --all: `lockdepctl search
  --json` and /api/v1/search give the same ids in the same order and the same totals, and every
  answer is the unfiltered search narrowed by the filter as the report list reads it (kind, host,
  kernel, lock, times) and by the group's status
- the same words refused by both with the same message (exit 2 / HTTP 400), and /search answers
  400 with the form again, every value kept and the message
- /search: the form shows every filter's value as it was asked (inputs, selected choices, hidden
  limit) and submitting it as a browser would gives the same results; page 1 and the "next" link's
  page 2 are the API's first 2 x limit; hostile values (<script>, "><img onerror>, U+202E) come
  back as the same values and create no element; the same from headless Chromium's DOM
  (chromium --dump-dom; skipped without chromium)

sort: a database made for the question: 5 hosts, 6 kernel releases (version order differs from
string order: 6.10.0 after 6.9.0, 6.1-rc3 before 6.1.55), 9 groups on chosen (host, release) boots
at chosen times, lock classes in 1 to 5 groups.
- the list rows have the planned counts, kernels and times (hosts, kernels, locks)
- for every sort name of every list in both directions and by its own default direction:
  `lockdepctl hosts|kernels|locks --sort N --order O --json` and the API give the planned order
  (ties by the list's default order, missing values last), and pages of 2 (--limit/--offset,
  limit/offset) put together are the whole list in that order, with the total
- unknown sort names and orders: exit 2 and HTTP 400, the same message naming every allowed name;
  the bash and zsh completions offer exactly those names
- the HTML tables' column headers link to the sorted whole list (the same order as the API), the
  sorted column is marked and links to the other direction
"""

import html.parser
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "web"))
import webtest as wt  # noqa: E402

lockdepd, ctl, part = sys.argv[1:4]
NOW = 1764754200  # 2025-12-03T09:30:00Z
c = wt.Checker()
tmp = tempfile.mkdtemp(prefix="lockdep-lists-")
db = os.path.join(tmp, "lists.db")


def env(now=NOW):
    e = {k: v for k, v in os.environ.items() if k not in ("LOCKDEPCTL_DB", "STATE_DIRECTORY")}
    e.update({"NO_COLOR": "1", "LC_ALL": "C", "LOCKDEP_NOW": str(now)})
    return e


def run_ctl(*args, check=True, now=NOW):
    r = subprocess.run([ctl, "--db", db, *args], capture_output=True, text=True, timeout=300, env=env(now))
    if check and r.returncode != 0:
        raise RuntimeError(f"lockdepctl {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return r


def ndjson(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def q(**kw):
    return "&".join(f"{k}={urllib.parse.quote(str(v), safe='')}" for k, v in kw.items() if v is not None)


class Form(html.parser.HTMLParser):
    """The fields of the first form.filters as a browser submits them, and every element seen."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields, self.tags, self.in_form, self.select, self.error = {}, [], False, None, None
        self._opt, self._in_error = None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "form" and "filters" in (a.get("class") or ""):
            self.in_form = True
        if tag == "p" and a.get("id") == "error":
            self._in_error, self.error = True, ""
        if not self.in_form:
            return
        if tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self.select = a["name"]
            self.fields[self.select] = None
        elif tag == "option" and self.select:
            self._opt = a
            if self.fields[self.select] is None or "selected" in a:
                self.fields[self.select] = a.get("value")  # None: the text, filled in below
                self._opt["_take_text"] = "value" not in a

    def handle_data(self, data):
        if self._in_error:
            self.error += data
        if self._opt is not None and self._opt.get("_take_text"):
            self.fields[self.select] = (self.fields[self.select] or "") + data

    def handle_endtag(self, tag):
        if tag == "option":
            self._opt = None
        elif tag == "select":
            self.select = None
        elif tag == "form":
            self.in_form = False
        elif tag == "p":
            self._in_error = False


def form_of(text):
    f = Form()
    f.feed(text)
    return f


def injected(f):
    """Elements a value could have made: scripts but the page's own, images, <b>, on* handlers."""
    return [t for t, a in f.tags if (t == "script" and a.get("src") != "/static/app.js") or t in ("img", "b")
            or any(k.startswith("on") for k in a)]


def page_ids(text):
    return [int(x) for x in re.findall(r'<tr><td class="num"><a href="/reports/(\d+)">', text)]


# ============================================================================================
if part == "search":
    hosts = ["alpha", "beta", "gamma"]
    cases = sorted(os.path.join(wt.GOLDEN, f) for f in os.listdir(wt.GOLDEN) if f.endswith(".txt"))
    for i, host in enumerate(hosts):
        # each host its own third of the cases (and a few shared), a day apart
        mine = [p for k, p in enumerate(cases) if k % 3 == i or k % 7 == 0]
        run_ctl("import", "--host", host, *mine, now=NOW - (2 - i) * 86400)
    groups = ndjson(run_ctl("list", "--json", "--all", "--limit", "100000").stdout)
    for g, status in zip(groups[::4], ["confirmed", "fixed-in 6.9", "false-positive", "confirmed"] * 20):
        run_ctl("triage", "--status", status, str(g["id"]))
    reports = ndjson(run_ctl("reports", "--json", "--limit", "100000").stdout)
    srv = wt.Server(lockdepd, db, env={"LOCKDEP_NOW": str(NOW)})
    locks = [x["name"] for x in ndjson(run_ctl("locks", "--json").stdout)][:8]
    c.check(len(reports) > 60 and len({x["host"] for x in reports}) == 3, f"{len(reports)} reports from 3 hosts")

    TEXTS = ["lock", "mutex", "rcu", "xfs", "acquire*", "\"possible recursive\"", "mmap_lock", "bogus ( syntax"]
    AXES = {
        "kind": [None, "circular", "recursive", "inconsistent", "suspicious_rcu"],
        "status": [None, "new", "confirmed", "fixed-in 6.9", "false-positive", "regressed"],
        "host": [None] + hosts + ["nohost"],
        "kernel": [None, "6.1", "6.1*", ">=6.9", "<6.2", "6.1..6.9", "5", "=6.1.0-rc4", ">6.10"],
        "lock": [None] + locks,
        "since": [None, "-1d", "-36h", "@1764600000", "today", "yesterday", "2025-12-02", "2025-12-02T09:30Z", "now"],
        "until": [None, "+1d", "@1764667800", "today", "yesterday", "2025-12-02", "2025-12-03T09:30+01:00", "-1d"],
        "sort": [None, "last_seen", "first_seen", "id"],
        "limit": [None, "1", "3", "10", "1000"],
        "offset": [None, "0", "1", "5"],
        "all": [None, "1"],
    }

    def cli_args(combo):
        out = []
        for k, v in combo.items():
            if v is None:
                continue
            out += ["--all"] if k == "all" else [f"--{k}", v]
        return out

    def api_qs(combo):
        return q(**{("suppressed" if k == "all" else k): v for k, v in combo.items()})

    def search_cli(text, combo):
        return ndjson(run_ctl("search", "--json", *cli_args(combo), "--", text).stdout)

    def search_api(text, combo):
        return srv.json(f"/api/v1/search?q={urllib.parse.quote(text, safe='')}&{api_qs(combo)}")

    group_of = {x["id"]: x["group"] for x in reports}

    # what a filter keeps, read independently: the report list (kind, host, kernel, lock, times)
    # and the group list (status) with the same words
    def allowed(combo):
        rep = {k: v for k, v in combo.items() if k in ("kind", "host", "kernel", "lock", "since", "until", "all")}
        ids = {x["id"] for x in srv.json(f"/api/v1/reports?limit=1000&{api_qs(rep)}")["reports"]}
        if combo.get("status"):
            st = {g["id"] for g in srv.json(f"/api/v1/groups?limit=1000&suppressed=1&{q(status=combo['status'])}")["groups"]}
            ids = {i for i in ids if group_of[i] in st}
        return ids

    rng = random.Random(14)
    grid_ok = narrow_ok = True
    n_grid = n_nonempty = 0
    full_cache = {}
    for i in range(150):
        text = rng.choice(TEXTS)
        combo = {k: rng.choice(v) if rng.random() < 0.4 else None for k, v in AXES.items()}
        cli = search_cli(text, combo)
        api = search_api(text, combo)
        whole = search_cli(text, dict(combo, limit="100000", offset=None))
        n_grid += 1
        n_nonempty += bool(cli)
        if [x["id"] for x in cli] != [x["id"] for x in api["results"]] or api["total"] != len(whole):
            grid_ok = c.check(False, f"grid {text!r} {combo}: CLI {[x['id'] for x in cli]} (total {len(whole)}) != "
                                     f"API {[x['id'] for x in api['results']]} ({api['total']})")
        # the filtered search = the unfiltered one narrowed by what the filters keep
        if text not in full_cache:
            full_cache[text] = [x["id"] for x in search_api(text, {"limit": "1000", "all": "1"})["results"]]
        want = allowed(combo)
        narrowed = [x for x in full_cache[text] if x in want]
        if sorted(x["id"] for x in whole) != sorted(narrowed):
            narrow_ok = c.check(False, f"grid {text!r} {combo}: {len(whole)} found, {len(narrowed)} expected "
                                       f"(unfiltered {len(full_cache[text])})")
        # (times are shown by the second: ties among them are not checked)
        field = {"id": "id", "first_seen": "time", "last_seen": "time"}.get(combo["sort"])
        if field and [x[field] for x in whole] != sorted((x[field] for x in whole), reverse=combo["sort"] == "last_seen"):
            narrow_ok = c.check(False, f"grid {text!r} {combo}: not sorted by {combo['sort']}")
    c.check(grid_ok, f"{n_grid} combinations ({n_nonempty} with results): lockdepctl search --json and "
                     "/api/v1/search give the same ids, order and totals")
    c.check(narrow_ok and n_nonempty > 40, "every answer is the unfiltered search narrowed by the report list's and "
                                           "the group list's reading of the same filters, in the asked order")
    c.check(search_api("lock", {"kind": "circular"})["total"] > 0, "a filtered search finds something")

    # the same words refused by both, with the same message; /search gives the form back
    BAD = [("kernel", "bogus"), ("kernel", ">=6.1*"), ("kind", "bogus"), ("status", "fixed"),
           ("until", "2026-02-31"), ("since", "-7y"), ("sort", "reports"), ("sort", "nonsense"),
           ("limit", "0"), ("offset", "-1")]
    for name, value in BAD:
        r = run_ctl("search", f"--{name}", value, "lock", check=False)
        st, _, body = srv.request("GET", f"/api/v1/search?q=lock&{q(**{name: value})}")
        msg = json.loads(body).get("error", "") if st == 400 else ""
        st2, _, page = srv.request("GET", f"/search?q=lock&{q(**{name: value})}&host=alpha")
        f = form_of(page.decode())
        c.check(r.returncode == 2 and st == 400 and msg and msg in r.stderr and st2 == 400
                and f.error == msg and (name == "offset" or f.fields.get(name) == value) and f.fields.get("host") == "alpha"
                and f.fields.get("q") == "lock",
                f"{name}={value!r}: exit {r.returncode}, HTTP {st}/{st2}, the same message ({msg!r} in "
                f"{r.stderr.strip()!r}; page: {f.error!r}), the form keeps {f.fields.get(name)!r}")

    # ---- the form keeps what was asked, and submitting it asks the same ----
    asked = {"q": "lock", "kind": "circular", "status": "fixed-in 6.9", "host": "beta", "kernel": ">=5.10",
             "since": "-3d", "until": "2025-12-03T09:30+01:00", "sort": "first_seen", "limit": "7"}
    st, _, page = srv.request("GET", "/search?" + q(**asked))
    f = form_of(page.decode())
    c.check(st == 200 and all(f.fields.get(k) == v for k, v in asked.items()) and f.fields.get("lock") == "",
            f"the form shows every value asked: {f.fields}")
    st, _, again = srv.request("GET", "/search?" + q(**f.fields))
    c.check(st == 200 and page_ids(again.decode()) == page_ids(page.decode()) and
            page_ids(page.decode()) == [x["id"] for x in search_api("lock", {k: v for k, v in asked.items() if k != "q"})["results"]],
            f"the submitted form asks the same ({len(page_ids(page.decode()))} results, as the API)")

    # ---- pages with totals ----
    api_all = search_api("lock", {"limit": "1000"})
    st, _, p1 = srv.request("GET", "/search?q=lock&limit=10")
    p1 = p1.decode()
    nxt = re.search(r'<a rel="next" href="([^"]+)"', p1)
    p2 = srv.request("GET", nxt.group(1).replace("&amp;", "&"))[2].decode() if nxt else ""
    total = re.search(r'<span id="n-results">(\d+)</span>', p1)
    c.check(total and int(total.group(1)) == api_all["total"] and api_all["total"] > 20 and
            page_ids(p1) + page_ids(p2) == [x["id"] for x in api_all["results"]][:20] and "showing" in p1,
            f"/search pages 1 and 2 (the next link) are the first 20 of {api_all['total']}, the total shown")
    prev = re.search(r'<a rel="prev" href="([^"]+)"', p2)
    c.check(prev and page_ids(srv.request("GET", prev.group(1).replace("&amp;", "&"))[2].decode()) == page_ids(p1),
            "the previous link of page 2 is page 1")

    # ---- hostile values come back as they were and make no element ----
    hostile = {"q": '"><script>window.__xss=1</script>', "host": '"><img src=x onerror=alert(1)>',
               "lock": "&rtl\u202e_kcol->lock", "kernel": "6.1", "since": "'\"<b>"}
    st, _, page = srv.request("GET", "/search?" + q(**hostile))
    f = form_of(page.decode())
    bad_tags = injected(f)
    c.check(st == 400 and bad_tags == [] and all(f.fields.get(k) == v for k, v in hostile.items() if k != "since"),
            f"hostile values: HTTP {st} (the bad since), no element made ({bad_tags}), the values kept")
    hostile.pop("since")
    st, _, page = srv.request("GET", "/search?" + q(**hostile))
    f = form_of(page.decode())
    c.check(st == 200 and not injected(f) and all(f.fields.get(k) == v for k, v in hostile.items()),
            f"the same values accepted: kept, inert ({st}, {injected(f)}, {f.fields})")

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        profile = tempfile.mkdtemp(prefix="chromium-")
        for name, asked_ in [("asked", asked), ("hostile", hostile)]:
            url = srv.base + "/search?" + q(**asked_)
            r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--dump-dom", url],
                               capture_output=True, text=True, timeout=120)
            f = form_of(r.stdout)
            c.check(r.returncode == 0 and all(f.fields.get(k) == v for k, v in asked_.items()) and not injected(f),
                    f"headless Chromium's DOM of /search ({name}): every value kept, no injected element "
                    f"({r.returncode}, {injected(f)}, {f.fields}, {r.stderr[-300:]!r})")
        shutil.rmtree(profile, ignore_errors=True)
    else:
        print("# chromium not installed: the DOM checks in a browser are skipped")
    c.check(srv.stop() == 0, "lockdepd stops cleanly")

# ============================================================================================
elif part == "sort":
    # kernel releases in version order; their string order is another
    KERNELS = ["5.15.0", "6.1-rc3", "6.1.55", "6.2.0", "6.9.0", "6.10.0"]
    VRANK = {k: i for i, k in enumerate(KERNELS)}
    # (host, kernel, minutes after the base time, groups reported on that boot)
    BOOTS = [("web-1", "6.1-rc3", 10, [0, 1, 2]), ("web-1", "6.9.0", 50, [0, 3]),
             ("db-1", "5.15.0", 5, [4]), ("db-1", "6.10.0", 70, [4, 5, 6, 7]),
             ("ci-7", "6.2.0", 30, [1]), ("ci-7", "6.1.55", 20, [2, 8]), ("ci-7", "6.10.0", 80, [8]),
             ("arm-2", "6.9.0", 40, [3, 5]),
             ("zz-9", "6.1.55", 60, [6])]
    BASE = NOW - 3 * 86400
    # group g's cycle: two classes; class "&shared->lock" is in 5 groups, "&pair->lock" in 2
    CLASSES = {0: ["&shared->lock", "&a0->lock"], 1: ["&shared->lock", "&a1->lock"], 2: ["&shared->lock", "&a2->lock"],
               3: ["&shared->lock", "&pair->lock"], 4: ["&shared->lock", "&a4->lock"], 5: ["&pair->lock", "&a5->lock"],
               6: ["&a6->lock", "&b6->lock"], 7: ["&a7->lock", "&b7->lock"], 8: ["&a8->lock", "&b8->lock"]}
    for host, kernel, minutes, gs in BOOTS:
        path = os.path.join(tmp, f"{host}@{kernel}.log")
        with open(path, "w") as f:
            f.write("\n".join(wt.cycle_log(CLASSES[g], kernel=kernel, task=f"t{g}/1") for g in gs))
        run_ctl("import", "--host", host, path, now=BASE + minutes * 60)
    srv = wt.Server(lockdepd, db, env={"LOCKDEP_NOW": str(NOW)})
    iso = lambda minutes: __import__("time").strftime("%Y-%m-%dT%H:%M:%SZ", __import__("time").gmtime(BASE + minutes * 60))  # noqa: E731

    # the planned rows
    host_names = sorted({b[0] for b in BOOTS})
    plan_hosts = {}
    for h in host_names:
        bs = sorted((b for b in BOOTS if b[0] == h), key=lambda b: b[2])
        plan_hosts[h] = {"host": h, "n_boots": len(bs), "n_reports": sum(len(b[3]) for b in bs),
                         "n_groups": len({g for b in bs for g in b[3]}), "kernels": len({b[1] for b in bs}),
                         "boots_lockdep_off": 0, "kernel_first": bs[0][1], "kernel_last": bs[-1][1],
                         "first_seen": iso(bs[0][2]), "last_seen": iso(bs[-1][2]),
                         "journal_read": None, "last_entry": None}
    first_kernel = {}  # group -> oldest release by version
    for _, k, _, gs in BOOTS:
        for g in gs:
            if g not in first_kernel or VRANK[k] < VRANK[first_kernel[g]]:
                first_kernel[g] = k
    plan_kernels = {}
    for k in KERNELS:
        bs = [b for b in BOOTS if b[1] == k]
        plan_kernels[k] = {"kernel": k, "n_hosts": len({b[0] for b in bs}), "n_boots": len(bs),
                           "n_reports": sum(len(b[3]) for b in bs), "n_groups": len({g for b in bs for g in b[3]}),
                           "new_groups": sum(1 for g, fk in first_kernel.items() if fk == k), "boots_lockdep_off": 0,
                           "first_seen": iso(min(b[2] for b in bs)), "last_seen": iso(max(b[2] for b in bs))}
    plan_locks = {}
    for g, cl in CLASSES.items():
        for name in cl:
            plan_locks.setdefault(name, {"name": name, "n_groups": 0, "partners": set()})
            plan_locks[name]["n_groups"] += 1
            plan_locks[name]["partners"] |= set(cl) - {name}
    for v in plan_locks.values():
        v["n_edges"] = 2 * len(v.pop("partners"))  # a two-lock cycle: A -> B and B -> A

    got = {x["host"]: x for x in srv.json("/api/v1/hosts")["hosts"]}
    c.check(all({k: got.get(h, {}).get(k) for k in p} == p for h, p in plan_hosts.items()) and len(got) == 5,
            f"hosts: the planned rows ({[(h, {k: v for k, v in got.get(h, {}).items() if k in p and v != p[k]}) for h, p in plan_hosts.items()]})")
    got = {x["kernel"]: x for x in srv.json("/api/v1/kernels")["kernels"]}
    c.check(all({k: got.get(r, {}).get(k) for k in p} == p for r, p in plan_kernels.items()) and len(got) == 6,
            f"kernels: the planned rows ({[(r, {k: v for k, v in got.get(r, {}).items() if k in p and v != p[k]}) for r, p in plan_kernels.items()]})")
    got = {x["name"]: x for x in srv.json("/api/v1/locks")["locks"]}
    c.check(all({k: got.get(n, {}).get(k) for k in p} == p for n, p in plan_locks.items()) and len(got) == len(plan_locks),
            f"locks: the planned rows ({[(n, got.get(n)) for n, p in plan_locks.items() if {k: got.get(n, {}).get(k) for k in p} != p]})")

    # sort name -> (field of the row, default descending, key of a value)
    ver = lambda v: VRANK[v]  # noqa: E731
    same = lambda v: v  # noqa: E731
    LISTS = {
        "hosts": ("host", plan_hosts, lambda r: (r["host"],), {
            "host": ("host", False, same), "boots": ("n_boots", True, same), "reports": ("n_reports", True, same),
            "groups": ("n_groups", True, same), "kernels": ("kernels", True, same),
            "lockdep_off": ("boots_lockdep_off", True, same), "kernel_first": ("kernel_first", True, ver),
            "kernel_last": ("kernel_last", True, ver), "first_seen": ("first_seen", True, same),
            "last_seen": ("last_seen", True, same), "journal_read": ("journal_read", True, same),
            "last_entry": ("last_entry", True, same)}),
        "kernels": ("kernel", plan_kernels, lambda r: (-VRANK[r["kernel"]],), {
            "kernel": ("kernel", True, ver), "hosts": ("n_hosts", True, same), "boots": ("n_boots", True, same),
            "reports": ("n_reports", True, same), "groups": ("n_groups", True, same), "new": ("new_groups", True, same),
            "lockdep_off": ("boots_lockdep_off", True, same), "first_seen": ("first_seen", True, same),
            "last_seen": ("last_seen", True, same)}),
        "locks": ("name", plan_locks, lambda r: (r["name"],), {
            "groups": ("n_groups", True, same), "name": ("name", False, same), "edges": ("n_edges", True, same)}),
    }

    def expected(lst, sort, desc):
        key, plan, tie, sorts = LISTS[lst]
        field, _, val = sorts[sort]
        rows = sorted(plan.values(), key=tie)
        have = [r for r in rows if r[field] is not None]
        nulls = [r for r in rows if r[field] is None]
        return [r[key] for r in sorted(have, key=lambda r: val(r[field]), reverse=desc) + nulls]

    for lst, (key, plan, tie, sorts) in LISTS.items():
        # the store's names are exactly these: its message names them all
        st, _, body = srv.request("GET", f"/api/v1/{lst}?sort=nonsense")
        msg = json.loads(body).get("error", "") if st == 400 else ""
        r = run_ctl(lst, "--sort", "nonsense", check=False)
        names = [w.strip() for w in msg.replace("sort: expected", "").split(",")]
        c.check(st == 400 and r.returncode == 2 and msg in r.stderr and sorted(names) == sorted(sorts),
                f"{lst}: an unknown sort is exit 2 and HTTP 400 naming every sort ({msg!r})")
        # the completions offer the store's names
        root = os.path.join(HERE, "..", "..", "contrib", "completion")
        bash = re.search(lst + r"\) COMPREPLY=\(\$\(compgen -W '([^']*)'", open(os.path.join(root, "lockdepctl.bash")).read())
        zsh = re.search(lst + r"\) _arguments [^;]*--sort\[sort by\]:sort:\(([^)]*)\)", open(os.path.join(root, "_lockdepctl")).read())
        c.check(bash and zsh and bash.group(1).split() == names and zsh.group(1).split() == names,
                f"{lst}: bash and zsh complete --sort with the store's names")
        st, _, body = srv.request("GET", f"/api/v1/{lst}?order=up")
        r = run_ctl(lst, "--order", "up", check=False)
        c.check(st == 400 and r.returncode == 2 and json.loads(body)["error"] in r.stderr,
                f"{lst}: an unknown order is exit 2 and HTTP 400 with the same message")
        bad = 0
        for n_sort, (sort, (field, own_desc, _)) in enumerate(sorts.items()):
            for n_order, order in enumerate((None, "asc", "desc")):
                desc = own_desc if order is None else order == "desc"
                want = expected(lst, sort, desc)
                args = ["--sort", sort] + (["--order", order] if order else [])
                cli = [x[key] for x in ndjson(run_ctl(lst, "--json", *args).stdout)]
                api = srv.json(f"/api/v1/{lst}?{q(sort=sort, order=order)}")
                pages_cli, pages_api = [], []
                cli_pages = (n_sort + n_order) % 3 == 0  # lockdepctl pages for a third of them (time)
                for off in range(0, len(want) + 2, 2):
                    if cli_pages:
                        pages_cli += [x[key] for x in ndjson(run_ctl(lst, "--json", *args, "--limit", "2",
                                                                     "--offset", str(off)).stdout)]
                    p = srv.json(f"/api/v1/{lst}?{q(sort=sort, order=order, limit=2, offset=off)}")
                    pages_api += [x[key] for x in p[lst]]
                    if p["total"] != len(want) or p["limit"] != 2 or p["offset"] != off:
                        bad += c.check(False, f"{lst} sort={sort} offset={off}: total/limit/offset {p['total']}/{p['limit']}/{p['offset']}") is False
                ok = (cli == want and [x[key] for x in api[lst]] == want and pages_api == want
                      and (pages_cli == want or not cli_pages)
                      and api["total"] == len(want) and api["sort"] == sort and api["order"] == ("desc" if desc else "asc"))
                if not ok:
                    bad += 1
                    c.check(False, f"{lst} --sort {sort} --order {order}: want {want}\n  CLI {cli}\n  API "
                                   f"{[x[key] for x in api[lst]]}\n  pages CLI {pages_cli}\n  pages API {pages_api}")
        c.check(bad == 0, f"{lst}: all {len(sorts)} sorts in both directions and their own: CLI, API and pages of 2 "
                          "give the planned whole-list order")
    # the table footer says what a page is part of
    r = run_ctl("hosts", "--sort", "reports", "--limit", "2")
    c.check("2 of 5 hosts shown" in r.stderr and r.stdout.count("\n") == 3, f"hosts --limit 2: the footer ({r.stderr.strip()!r})")
    r = run_ctl("kernels", "--sort", "kernel", "--order", "asc")
    rows = [line.split()[0] for line in r.stdout.splitlines()[1:]]
    c.check(rows == KERNELS, f"kernels --sort kernel --order asc: version order in the table {rows}")

    # ---- the HTML tables: headers link to the sorted whole list ----
    for lst, (key, plan, tie, sorts) in LISTS.items():
        page = srv.request("GET", f"/{lst}")[2].decode()
        links = dict(re.findall(r'<a data-sort="([a-z_]+)" href="([^"]+)"', page))
        c.check(sorted(links) == sorted(sorts), f"/{lst}: a header link for each sort ({sorted(links)})")
        bad = []
        default = next(iter(sorts))
        for sort, href in links.items():
            href = href.replace("&amp;", "&")
            p = srv.request("GET", href)[2].decode()
            # on the default page its own column is the sorted one: its link turns it round
            own = sorts[sort][1] != (sort == default)
            want = expected(lst, sort, own)
            shown = [html.unescape(x) for x in re.findall(r'<tr><td[^>]*>(?:<a [^>]*>)?([^<]+)<', p.split("<tbody>")[1])]
            marked = re.search(r'<th aria-sort="(\w+)"><a data-sort="([a-z_]+)" href="([^"]+)" class="sorted">', p)
            if shown != want or not marked or marked.group(2) != sort:
                bad.append((sort, shown, want, marked and marked.groups()))
                continue
            # the marked header links to the other direction
            back = srv.request("GET", marked.group(3).replace("&amp;", "&"))[2].decode()
            shown2 = [html.unescape(x) for x in re.findall(r'<tr><td[^>]*>(?:<a [^>]*>)?([^<]+)<', back.split("<tbody>")[1])]
            if shown2 != expected(lst, sort, not own):
                bad.append((sort, "reversed", shown2))
        c.check(not bad, f"/{lst}: every header link shows the whole list in that order, the sorted column marked and "
                         f"linking to the other direction {bad[:2]}")
    c.check(srv.request("GET", "/hosts?sort=bogus")[0] == 400 and srv.request("GET", "/kernels?limit=1001")[0] == 400,
            "the pages refuse what the API refuses")
    c.check(srv.stop() == 0, "lockdepd stops cleanly")
else:
    sys.exit(f"unknown part {part}")

shutil.rmtree(tmp, ignore_errors=True)
c.done()
