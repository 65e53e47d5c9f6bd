#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fleet views: hosts and kernel releases (DESIGN.md section 8; usage: test-fleet-views.py LOCKDEPD LOCKDEPCTL).

Builds one database from several hosts, boots and kernels: the golden cases imported for two
hosts, four hand-made reports (golden reports with their kernel release rewritten to 6.8.0, 6.9.0
and 6.10.0) imported with --host/--boot-id in a known order, a host whose name is HTML, a saved log
where lockdep turns itself off (import --boot-id), and lockdepd reading a /dev/kmsg-format file with
a report then "INFO: lockdep is turned off." (this machine's boot).

Covers:
- `lockdepctl hosts --json` and `kernels --json` rows equal /api/v1/hosts and /api/v1/kernels, and
  `hosts NAME --json` / `kernels REL --json` equal /api/v1/hosts/NAME and /api/v1/kernels/REL
- host and kernel counts (boots, reports, groups, kernels, hosts, lockdep-off boots, new groups)
  against the database, computed here with sqlite3
- kernels come newest version first (6.10.0 before 6.9.0 before 6.8.0: version order, not text)
- regressions of a release are exactly the groups first seen on it; not_seen_since are exactly the
  groups whose last kernel sorts before it in version order (so a group last seen on 6.10.0 is not
  "gone" in 6.9.0, and groups last seen on 6.8.0/6.9.0 are gone in 6.10.0)
- boots where lockdep switched off: boots_lockdep_off, lockdep_off_at (kernel usec) and reason, the
  host's off_early list, for both the import and the kmsg path
- 404 JSON (API) and exit status 1 (CLI) for an unknown host or release; the HTML pages answer 200,
  link hosts, kernels and groups to each other, escape a hostile host name, and group pages link
  their hosts and kernels tables to /hosts/ and /kernels/
"""

import functools
import importlib.util
import json
import os
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
HOSTILE = "<b>h</b>&\"x'"


# ---- the release order the store promises (store_kernel_compare()), as an oracle ----

def _num_head(s):
    m = re.match(r"\d+(?:\.\d+)*", s)
    return m.group(0) if m else ""


def _natural(a, b):
    pa = re.findall(r"\d+|\D", a)
    pb = re.findall(r"\d+|\D", b)
    for x, y in zip(pa, pb):
        if x.isdigit() and y.isdigit():
            if int(x) != int(y):
                return -1 if int(x) < int(y) else 1
        elif x != y:
            return -1 if x.encode() < y.encode() else 1
    return (len(pa) > len(pb)) - (len(pa) < len(pb))


def kver_cmp(a, b):
    ha, hb = _num_head(a), _num_head(b)
    na = [int(x) for x in ha.split(".")] if ha else []
    nb = [int(x) for x in hb.split(".")] if hb else []
    n = max(len(na), len(nb))
    na += [0] * (n - len(na))
    nb += [0] * (n - len(nb))
    if na != nb:
        return -1 if na < nb else 1
    ra, rb = a[len(ha):], b[len(hb):]
    pa, pb = ra.startswith("-rc") or ra.startswith("~"), rb.startswith("-rc") or rb.startswith("~")
    if pa != pb:
        return -1 if pa else 1
    if (ra == "") != (rb == ""):
        return -1 if ra == "" else 1
    c = _natural(ra, rb)
    if c:
        return c
    return (a.encode() > b.encode()) - (a.encode() < b.encode())


# ---- building the database ----

def run_ctl(db, *args, check=True):
    r = subprocess.run([ctl, "--db", db, *args], capture_output=True, text=True, timeout=300,
                       env=dh.clean_env({"NO_COLOR": "1"}))
    if check and r.returncode != 0:
        raise RuntimeError(f"lockdepctl {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return r


def ndjson(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def kernel_of(path):
    out = subprocess.run([ctl, "parse", "--json", path], capture_output=True, text=True, check=True).stdout
    return ndjson(out)[0]["kernel"]


def with_release(tmp, base, release):
    """The golden report BASE with its kernel release replaced by RELEASE, as a file in tmp."""
    src = os.path.join(GOLDEN, base)
    text = open(src, encoding="utf-8", errors="surrogateescape").read()
    old = kernel_of(src)
    assert old and old in text, f"{base}: kernel {old!r} not in the text"
    path = os.path.join(tmp, f"{base[:-4]}-{release}.txt")
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text.replace(old, release))
    return path


def pick_bases(n):
    """n golden cases with one complete report each whose signature no other case has, so the groups
    made from them see only the kernels given here, and without lockdep switching itself off."""
    parsed = {}
    for f in sorted(x for x in os.listdir(GOLDEN) if x.endswith(".txt")):
        out = subprocess.run([ctl, "parse", "--json", os.path.join(GOLDEN, f)], capture_output=True, text=True).stdout
        parsed[f] = ndjson(out)
    sigs = {}
    for reps in parsed.values():
        for r in reps:
            sigs[r["signature"]] = sigs.get(r["signature"], 0) + 1
    quiet = lambda f: not re.search(r"turning off the locking|lockdep is turned off",  # noqa: E731
                                    open(os.path.join(GOLDEN, f), errors="replace").read())
    ok = [f for f, reps in parsed.items() if len(reps) == 1 and not reps[0].get("truncated") and reps[0].get("kernel")
          and sigs[reps[0]["signature"]] == 1 and quiet(f)]
    assert len(ok) >= n, f"only {len(ok)} usable golden cases"
    return ok[:n]


c = wt.Checker()
tmp = tempfile.mkdtemp(prefix="lockdep-fleet-")
db = os.path.join(tmp, "lockdep.db")
BASES = pick_bases(4)

cases = sorted(f for f in os.listdir(GOLDEN) if f.endswith(".txt") and f not in BASES)
half = len(cases) // 2
run_ctl(db, "import", "--host", "golden-a", *[os.path.join(GOLDEN, f) for f in cases[:half]])
run_ctl(db, "import", "--host", "golden-b", *[os.path.join(GOLDEN, f) for f in cases[half:]])

# A on 6.8.0, 6.9.0, 6.10.0; B on 6.8.0 only; C on 6.9.0 only; D on 6.10.0 only; in this order
A, B, C, D = BASES
plan = [("h1", "boot-1", "6.8.0", [A, B]),
        ("h2", "boot-2", "6.9.0", [A, C]),
        ("h1", "boot-3", "6.10.0", [A, D])]
for host, boot, rel, bases in plan:
    run_ctl(db, "import", "--host", host, "--boot-id", boot, *[with_release(tmp, b, rel) for b in bases])

# a saved log where lockdep turns itself off after the report (import with a boot id records it)
off_log = open(with_release(tmp, B, "6.9.0")).read().rstrip("\n")
off_log += "\n[  999.123456] INFO: lockdep is turned off.\n"
off_path = os.path.join(tmp, "off.txt")
with open(off_path, "w", encoding="utf-8", errors="surrogateescape") as f:
    f.write(off_log)
run_ctl(db, "import", "--host", "h3", "--boot-id", "boot-off", off_path)
run_ctl(db, "import", "--host", HOSTILE, "--boot-id", "boot-x", with_release(tmp, C, "6.9.0"))

# lockdepd reading /dev/kmsg records: a report of group D on 6.10.0, then lockdep switching off
recs = dh.fixture_records(with_release(tmp, D, "6.10.0"))
t_off = recs[-1][0] + 500000
text, seq = dh.kmsg_text(recs, 1)
t2, seq = dh.kmsg_text([(t_off, "INFO: lockdep is turned off.")], seq)
kmsg = os.path.join(tmp, "kmsg.records")
with open(kmsg, "w", encoding="utf-8", errors="surrogateescape") as f:
    f.write(text + t2)
d = dh.Daemon(lockdepd, db, ["--no-journal", "--kmsg", kmsg], tmp, name="lockdepd-kmsg").start()
c.check(d.wait_running(), "lockdepd --kmsg runs")
off_q = "SELECT count(*) FROM boots WHERE lockdep_off_at IS NOT NULL AND boot_id = ?"
c.check(dh.wait_until(lambda: dh.db_query(db, off_q, (dh.boot_id(),))[0][0] == 1, 20, 0.2),
        f"kmsg: lockdep off recorded for this boot\n{d.log()}")
c.check(d.stop() == 0, "lockdepd stops cleanly")

sql = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
q = lambda s, a=(): sql.execute(s, a).fetchall()  # noqa: E731

srv = wt.Server(lockdepd, db)


def both(cli_args, path):
    """(CLI --json output, API answer) for a list (NDJSON) or an object."""
    r = run_ctl(db, *cli_args, "--json")
    return ndjson(r.stdout), srv.json(path)


# ---- hosts ----
cli_hosts, api = both(["hosts"], "/api/v1/hosts")
api_hosts = api["hosts"]
c.check(cli_hosts == api_hosts, "lockdepctl hosts --json == /api/v1/hosts")
c.check(len(api_hosts) == q("SELECT count(*) FROM hosts")[0][0], "every host listed")
by_host = {h["host"]: h for h in api_hosts}
for hid, name in q("SELECT id, coalesce(hostname, machine_id) FROM hosts"):
    h = by_host.get(name)
    if not c.check(h is not None, f"host {name!r} listed"):
        continue
    want = {
        "n_boots": q("SELECT count(*) FROM boots WHERE host = ?", (hid,))[0][0],
        "n_reports": q("SELECT count(*) FROM reports r JOIN boots b ON b.id = r.boot WHERE b.host = ?", (hid,))[0][0],
        "n_groups": q("SELECT count(DISTINCT r.grp) FROM reports r JOIN boots b ON b.id = r.boot "
                      "WHERE b.host = ? AND r.grp IS NOT NULL", (hid,))[0][0],
        "kernels": q("SELECT count(DISTINCT kernel) FROM boots WHERE host = ?", (hid,))[0][0],
        "boots_lockdep_off": q("SELECT count(*) FROM boots WHERE host = ? AND lockdep_off_at IS NOT NULL", (hid,))[0][0],
    }
    got = {k: h[k] for k in want}
    c.check(got == want, f"host {name!r} counts {got} == {want}")
c.check([h["host"] for h in api_hosts] == sorted(by_host), "hosts ordered by name")
h1 = by_host["h1"]
c.check((h1["n_boots"], h1["kernels"], h1["kernel_first"], h1["kernel_last"]) == (2, 2, "6.8.0", "6.10.0"),
        "h1: two boots, first kernel 6.8.0, last 6.10.0")

cli_h1, api_h1 = both(["hosts", "h1"], "/api/v1/hosts/h1")
c.check(cli_h1 == [api_h1], "lockdepctl hosts h1 --json == /api/v1/hosts/h1")
c.check([b["boot_id"] for b in api_h1["boots"]] == ["boot-3", "boot-1"], "h1 boots newest first")
c.check([b["kernel"] for b in api_h1["boots"]] == ["6.10.0", "6.8.0"], "h1 boot kernels")
c.check([b["n_reports"] for b in api_h1["boots"]] == [2, 2], "h1 reports per boot")
c.check(api_h1["off_early"] == [] and api_h1["boots_lockdep_off"] == 0, "h1: lockdep never switched off")
gids = {b: q("SELECT r.grp FROM reports r JOIN boots b ON b.id = r.boot JOIN hosts h ON h.id = b.host "
              "WHERE h.hostname = 'h1' AND b.boot_id = ? ORDER BY r.id", (boot,)) for b, boot in [(0, "boot-1"), (1, "boot-3")]}
grp = {A: gids[0][0][0], B: gids[0][1][0], D: gids[1][1][0]}
grp[C] = q("SELECT r.grp FROM reports r JOIN boots b ON b.id = r.boot WHERE b.boot_id = 'boot-2' ORDER BY r.id")[1][0]
c.check(len(set(grp.values())) == 4 and gids[1][0][0] == grp[A], "test input: four distinct groups, A on both h1 boots")
h1_groups = {g["id"]: g["n"] for g in api_h1["groups"]}
c.check(h1_groups == {grp[A]: 2, grp[B]: 1, grp[D]: 1}, f"h1 groups with their counts: {h1_groups}")

h3 = srv.json("/api/v1/hosts/h3")
c.check(h3["boots_lockdep_off"] == 1 and len(h3["off_early"]) == 1, "h3: one boot where lockdep switched off")
off = h3["off_early"][0] if h3["off_early"] else {}
c.check(off.get("boot_id") == "boot-off" and off.get("lockdep_off_at") == 999123456 and
        "lockdep is turned off" in (off.get("lockdep_off_reason") or ""),
        f"h3 off_early: boot, lockdep_off_at in usec, reason: {off}")

mid = dh.machine_id()
kname = q("SELECT coalesce(h.hostname, h.machine_id), h.machine_id FROM boots b JOIN hosts h ON h.id = b.host "
          "WHERE b.boot_id = ?", (dh.boot_id(),))
if c.check(len(kname) == 1, "kmsg boot attributed to one host"):
    name, machine = kname[0]
    hk = srv.json("/api/v1/hosts/" + urllib.parse.quote(machine or name, safe=""))
    kb = [b for b in hk["off_early"] if b["boot_id"] == dh.boot_id()]
    c.check(len(kb) == 1 and kb[0]["lockdep_off_at"] == t_off and kb[0]["kernel"] == "6.10.0" and kb[0]["n_reports"] == 1,
            f"kmsg host: this boot in off_early at {t_off} usec on 6.10.0 with its report: {kb}")
    if mid:
        c.check(hk["machine_id"] == mid, "kmsg host found by machine id")

st, hd, body = srv.request("GET", "/api/v1/hosts/" + urllib.parse.quote(HOSTILE, safe=""))
c.check(st == 200 and json.loads(body)["host"] == HOSTILE, "hostile host name round-trips through the API")
for path in ["/api/v1/hosts/no-such-host", "/api/v1/kernels/0.0.0-none", "/api/v1/kernels/6.9"]:
    st, hd, body = srv.request("GET", path)
    c.check(st == 404 and "error" in json.loads(body) and hd.get("content-type") == "application/json",
            f"404 JSON for {path}")
c.check(run_ctl(db, "hosts", "no-such-host", check=False).returncode == 1, "lockdepctl hosts UNKNOWN: exit 1")
c.check(run_ctl(db, "kernels", "0.0.0-none", check=False).returncode == 1, "lockdepctl kernels UNKNOWN: exit 1")
c.check(run_ctl(db, "hosts", "a", "b", check=False).returncode == 2, "lockdepctl hosts A B: usage error")

# ---- kernels ----
cli_k, api = both(["kernels"], "/api/v1/kernels")
api_k = api["kernels"]
c.check(cli_k == api_k, "lockdepctl kernels --json == /api/v1/kernels")
rels = [k["kernel"] for k in api_k]
want_rels = sorted((r for (r,) in q("SELECT DISTINCT kernel FROM boots WHERE kernel IS NOT NULL")),
                   key=functools.cmp_to_key(kver_cmp), reverse=True)
c.check(rels == want_rels, "every release, newest version first")
c.check(rels.index("6.10.0") < rels.index("6.9.0") < rels.index("6.8.0"), "6.10.0 > 6.9.0 > 6.8.0")
for k in api_k:
    rel = k["kernel"]
    want = {
        "n_hosts": q("SELECT count(DISTINCT host) FROM boots WHERE kernel = ?", (rel,))[0][0],
        "n_boots": q("SELECT count(*) FROM boots WHERE kernel = ?", (rel,))[0][0],
        "n_reports": q("SELECT count(*) FROM reports r JOIN boots b ON b.id = r.boot WHERE b.kernel = ?", (rel,))[0][0],
        "n_groups": q("SELECT count(DISTINCT r.grp) FROM reports r JOIN boots b ON b.id = r.boot WHERE b.kernel = ?",
                      (rel,))[0][0],
        "new_groups": q("SELECT count(*) FROM groups WHERE kernel_first = ?", (rel,))[0][0],
        "boots_lockdep_off": q("SELECT count(*) FROM boots WHERE kernel = ? AND lockdep_off_at IS NOT NULL", (rel,))[0][0],
    }
    got = {x: k[x] for x in want}
    c.check(got == want, f"kernel {rel} counts {got} == {want}")

groups = q("SELECT id, kernel_first, kernel_last FROM groups")
for rel in rels:
    cli_one, one = both(["kernels", rel], "/api/v1/kernels/" + urllib.parse.quote(rel, safe=""))
    c.check(cli_one == [one], f"lockdepctl kernels {rel} --json == the API object")
    regr = sorted(g["id"] for g in one["regressions"])
    c.check(regr == sorted(i for i, kf, kl in groups if kf == rel), f"{rel}: regressions = groups first seen on it")
    gone = sorted(g["id"] for g in one["not_seen_since"])
    want_gone = sorted(i for i, kf, kl in groups if kl is not None and kver_cmp(kl, rel) < 0)
    c.check(gone == want_gone, f"{rel}: not_seen_since = groups last seen on an older release ({len(gone)})")

k = {rel: srv.json("/api/v1/kernels/" + rel) for rel in ["6.8.0", "6.9.0", "6.10.0"]}
ids = lambda arr: {g["id"] for g in arr}  # noqa: E731
c.check(ids(k["6.8.0"]["regressions"]) == {grp[A], grp[B]}, "regressions of 6.8.0: A and B")
c.check(ids(k["6.9.0"]["regressions"]) == {grp[C]}, "regressions of 6.9.0: C")
c.check(ids(k["6.10.0"]["regressions"]) == {grp[D]}, "regressions of 6.10.0: D")
# B was last seen on 6.9.0 (h3), C on 6.9.0, A and D on 6.10.0
c.check({grp[B], grp[C]} <= ids(k["6.10.0"]["not_seen_since"]), "6.10.0: B and C not seen since (6.9.0 < 6.10.0)")
c.check(not ({grp[A], grp[D]} & ids(k["6.10.0"]["not_seen_since"])), "6.10.0: A and D still seen")
c.check(not ({grp[A], grp[B], grp[C], grp[D]} & ids(k["6.9.0"]["not_seen_since"])),
        "6.9.0: none of A-D gone (A last seen on 6.10.0, which is newer)")
c.check(k["6.10.0"]["boots_lockdep_off"] == 1 and k["6.9.0"]["boots_lockdep_off"] == 1, "lockdep-off boots per release")
hosts610 = {h["host"] for h in k["6.10.0"]["hosts"]}
c.check("h1" in hosts610 and "h2" not in hosts610, "hosts that ran 6.10.0")

# ---- HTML ----
for path in ["/hosts", "/hosts/h1", "/hosts/h3", "/kernels", "/kernels/6.10.0", "/kernels/6.8.0"]:
    st, hd, body = srv.request("GET", path)
    c.check(st == 200 and hd.get("content-type", "").startswith("text/html"), f"GET {path}: HTML")
st, hd, body = srv.request("GET", "/hosts")
page = body.decode()
c.check('href="/hosts/h1"' in page and 'href="/kernels/6.10.0"' in page, "/hosts links hosts and kernels")
c.check("<b>h</b>" not in page and "&lt;b&gt;h&lt;/b&gt;" in page, "/hosts escapes a hostile host name")
st, hd, body = srv.request("GET", "/hosts/" + urllib.parse.quote(HOSTILE, safe=""))
c.check(st == 200 and b"<b>h</b>" not in body, "/hosts/HOSTILE answers, escaped")
st, hd, body = srv.request("GET", "/kernels/6.10.0")
page = body.decode()
c.check(f'href="/groups/{grp[D]}"' in page and 'id="regressions"' in page and 'id="not-seen-since"' in page,
        "/kernels/6.10.0 lists regressions and groups not seen since, linked")
st, hd, body = srv.request("GET", "/kernels")
c.check(body.decode().index("/kernels/6.10.0") < body.decode().index("/kernels/6.9.0"), "/kernels in version order")
st, hd, body = srv.request("GET", "/hosts/h3")
c.check(b"Lockdep switched off" in body and b"999.123456" in body, "/hosts/h3 shows where lockdep switched off")
st, hd, body = srv.request("GET", f"/groups/{grp[A]}")
c.check(b'href="/hosts/h1"' in body and b'href="/kernels/6.10.0"' in body, "group page links to /hosts/ and /kernels/")
st, hd, body = srv.request("GET", "/hosts/no-such-host")
c.check(st == 404, "/hosts/UNKNOWN: 404")
st, hd, body = srv.request("GET", "/")
c.check(b'href="/hosts"' in body and b'href="/kernels"' in body, "navigation links Hosts and Kernels")

# ---- CLI text output ----
out = run_ctl(db, "hosts").stdout
c.check(out.splitlines()[0].split()[:2] == ["HOST", "BOOTS"] and "\x1b" not in out, "lockdepctl hosts: a table")
out = run_ctl(db, "hosts", "h3").stdout
c.check("Lockdep switched itself off in 1 boot:" in out and "999.123456" in out, "lockdepctl hosts h3: lockdep off")
out = run_ctl(db, "kernels", "6.10.0").stdout
c.check("Not seen since" in out and "New in this release" in out, "lockdepctl kernels 6.10.0: both sections")

srv.stop()
shutil.rmtree(tmp, ignore_errors=True)
c.done()
