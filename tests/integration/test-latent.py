#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Latent cycles (docs/LATENT.md): planted cross-boot cycles are found, and nothing else.

    test-latent.py LOCKDEPCTL [LOCKDEPD]

For 20 seeds, a synthetic fleet of 6 boots (2,000 classes, about 3,600 dependencies each, drawn from
one global order) with 3 cycles of 2 to 5 classes planted across 2 to 5 boots is imported with
`lockdepctl import --kernel`: every planted cycle is listed, nothing else is, and the boots it
suggests are exactly those that had the cycle's edges. Then: a cycle that one boot's snapshot holds
by itself (two classes of one canonical name) is not latent; opposite orders on two releases are
never united; importing a snapshot again changes nothing; a truncated snapshot is stored and said
to be truncated; a cycle through a per-filesystem class is low confidence. With LOCKDEPD: the
same snapshots sent to POST /api/v1/ingest (Content-Type: text/x-proc-lockdep) of a lockdepd on
127.0.0.1 give the same /api/v1/latent as `lockdepctl latent --json`, hostile class names stay
inert in /latent, and /metrics has the per-release gauge.
"""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latentgen import Fleet, canonical_cycle, snapshot_text  # noqa: E402
from lockdeptest import Checker  # noqa: E402

ctl = sys.argv[1]
lockdepd = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
ck = Checker("latent")
tmp = tempfile.mkdtemp(prefix="latent-")


def run(db, *args, data=None, ok=(0,)):
    r = subprocess.run([ctl, "--db", db, *args], input=data, capture_output=True, text=True, timeout=300)
    ck.check(r.returncode in ok, f"lockdepctl {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def import_snapshot(db, release, boot, host, text, ok=(0,)):
    path = os.path.join(tmp, f"{boot}.lockdep")
    with open(path, "w") as f:
        f.write(text)
    return run(db, "import", "--kernel", release, "--host", host, "--boot-id", boot, path, ok=ok)


def latent(db, *extra):
    r = run(db, "latent", "--json", *extra)
    try:
        return json.loads(r.stdout)
    except ValueError:
        ck.check(False, f"latent --json is not JSON: {r.stdout[:200]!r}")
        return {"releases": [], "cycles": []}


def cycles_of(js, release=None):
    return {tuple(c["classes"]): c for c in js["cycles"] if release is None or c["release"] == release}


# ---- planted cycles, 20 seeds ----------------------------------------------------------------
for seed in range(int(os.environ.get("LATENT_SEEDS", "20"))):
    db = os.path.join(tmp, f"seed{seed}.db")
    fleet = Fleet(seed)
    for boot, host, text in fleet.texts():
        import_snapshot(db, fleet.release, boot, host, text)
    found = cycles_of(latent(db))
    ck.eq(set(found), set(fleet.planted), f"seed {seed}: latent cycles")
    for cyc, owners in fleet.planted.items():
        c = found.get(cyc)
        if not c:
            continue
        ck.eq({s["boot"] for s in c["suggest"]}, owners, f"seed {seed} {cyc}: suggested boots")
        ck.eq(len(c["edges"]), len(cyc), f"seed {seed} {cyc}: edges")
        ck.check(all(e["boots"] == 1 and len(e["seen_by"]) == 1 for e in c["edges"]),
                 f"seed {seed} {cyc}: each planted edge seen by its one boot: {c['edges']}")
        ck.eq(c["low_confidence"], False, f"seed {seed} {cyc}: confidence")
    # the same snapshots again: nothing new, nothing changes
    if seed == 0:
        before = latent(db)
        boot, host, text = next(fleet.texts())
        r = import_snapshot(db, fleet.release, fleet.boots[0][0], fleet.boots[0][1],
                            snapshot_text(fleet.rng, fleet.boots[0][2], sorted({c for d in fleet.boots[0][2] for c in d})))
        ck.check("(0 new for boot" in r.stdout, f"re-import adds nothing: {r.stdout!r}")
        after = latent(db)
        strip = lambda js: [(c["id"], c["classes"]) for c in js["cycles"]]  # noqa: E731
        ck.eq(strip(after), strip(before), "re-import: same cycles")
        ck.eq(after["releases"][0]["boots"], len(fleet.boots), "re-import: same boots")

# ---- one boot holding a cycle by itself is not latent ------------------------------------------
db = os.path.join(tmp, "oneboot.db")
# two filesystems' inode locks share a canonical name: within one boot this "cycle" is two classes
one = [("&sb->s_type->i_mutex_key#3", "&w->lock"), ("&w->lock", "&sb->s_type->i_mutex_key#4")]
import_snapshot(db, "6.9.0", "b1", "h1", snapshot_text(Fleet(1).rng, one, sorted({c for d in one for c in d})))
ck.eq(latent(db)["cycles"], [], "a cycle inside one boot's snapshot is not latent")
# a second boot with only one of the two edges: still inside boot b1, still not latent
two = [("&w->lock", "&sb->s_type->i_mutex_key#2")]
import_snapshot(db, "6.9.0", "b2", "h2", snapshot_text(Fleet(2).rng, two, sorted({c for d in two for c in d})))
ck.eq(latent(db)["cycles"], [], "a cycle one boot had in full stays not latent when others add to it")
# across boots, through the per-filesystem class: found, low confidence
three = [("&sb->s_type->i_mutex_key#7", "&v->lock")]
four = [("&v->lock", "&sb->s_type->i_mutex_key#2")]
import_snapshot(db, "6.9.0", "b3", "h3", snapshot_text(Fleet(3).rng, three, sorted({c for d in three for c in d})))
import_snapshot(db, "6.9.0", "b4", "h4", snapshot_text(Fleet(4).rng, four, sorted({c for d in four for c in d})))
got = cycles_of(latent(db))
want = canonical_cycle(["&sb->s_type->i_mutex_key", "&v->lock"])
ck.eq(set(got), {want}, "cross-boot cycle through a per-filesystem class")
if want in got:
    ck.eq(got[want]["low_confidence"], True, "per-filesystem class: low confidence")

# ---- releases are never mixed ------------------------------------------------------------------
db = os.path.join(tmp, "releases.db")
ab, ba = [("&a->lock", "&b->lock")], [("&b->lock", "&a->lock")]
import_snapshot(db, "6.1.0", "r1", "h1", snapshot_text(Fleet(5).rng, ab, ["&a->lock", "&b->lock"]))
import_snapshot(db, "6.1.1", "r2", "h2", snapshot_text(Fleet(6).rng, ba, ["&a->lock", "&b->lock"]))
js = latent(db)
ck.eq(js["cycles"], [], "opposite orders on two releases are not a cycle")
ck.eq(sorted(r["release"] for r in js["releases"]), ["6.1.0", "6.1.1"], "both releases listed")
import_snapshot(db, "6.1.1", "r3", "h3", snapshot_text(Fleet(7).rng, ab, ["&a->lock", "&b->lock"]))
ck.eq(set(cycles_of(latent(db, "--kernel", "6.1.1"))), {("&a->lock", "&b->lock")}, "the same orders on one release are")
ck.eq(latent(db, "--kernel", "6.1.0")["cycles"], [], "--kernel 6.1.0 alone: none")

# ---- triage: by the cycle's signature, so it survives re-analysis and holds on other releases ------
cyc = latent(db, "--kernel", "6.1.1")["cycles"]
cid = cyc[0]["id"] if cyc else 0
ck.eq([c["status"] for c in cyc], ["new"], "an untriaged latent cycle is new")
r = run(db, "latent", "triage", str(cid), "wontfix", ok=(2,))
ck.check("confirmed, false-positive, ignored" in r.stderr, f"a bad status names the good ones: {r.stderr!r}")
r = run(db, "latent", "triage", "999999", "confirmed", ok=(1,))
ck.check("no latent cycle 999999" in r.stderr, f"an unknown cycle: {r.stderr!r}")
run(db, "latent", "triage", str(cid), "false-positive", "--note", "probe paths <never> run together")
c = cycles_of(latent(db, "--kernel", "6.1.1")).get(("&a->lock", "&b->lock"), {})
ck.eq((c.get("status"), c.get("note")), ("false-positive", "probe paths <never> run together"), "triage stored")
r = run(db, "latent", "--kernel", "6.1.1")
ck.check("triage: false-positive (probe paths <never> run together)" in r.stdout, f"lockdepctl latent shows it: {r.stdout!r}")
# a new boot on the release: re-analysis keeps the verdict
import_snapshot(db, "6.1.1", "r4", "h4", snapshot_text(Fleet(8).rng, [("&a->lock", "&c->lock")], ["&a->lock", "&c->lock"]))
c = cycles_of(latent(db, "--kernel", "6.1.1")).get(("&a->lock", "&b->lock"), {})
ck.eq(c.get("status"), "false-positive", "triage survives re-analysis")
# the same cycle on the next release is a new row with the same signature: the same verdict
import_snapshot(db, "6.1.2", "s1", "h1", snapshot_text(Fleet(9).rng, ab, ["&a->lock", "&b->lock"]))
import_snapshot(db, "6.1.2", "s2", "h2", snapshot_text(Fleet(10).rng, ba, ["&a->lock", "&b->lock"]))
c = cycles_of(latent(db, "--kernel", "6.1.2")).get(("&a->lock", "&b->lock"), {})
ck.check(c.get("id") != cid and c.get("status") == "false-positive", f"triage follows the signature to 6.1.2: {c}")
run(db, "latent", "triage", str(cid), "confirmed")
c = cycles_of(latent(db, "--kernel", "6.1.1")).get(("&a->lock", "&b->lock"), {})
ck.eq((c.get("status"), c.get("note")), ("confirmed", "probe paths <never> run together"), "status changed, note kept")

# ---- a cycle lockdep reported itself is linked to its group, not listed twice -------------------
db = os.path.join(tmp, "reported.db")
sample = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "contrib", "sample.log")
run(db, "import", sample)
wq, lock, work = "(wq_completion)wg-kex-wireguard1", "&wg->static_identity.lock", "(work_completion)(&peer->transmit_handshake_work)"
import_snapshot(db, "5.6.0", "w1", "h1", snapshot_text(Fleet(12).rng, [(wq, work), (work, lock)], [wq, work, lock]))
import_snapshot(db, "5.6.0", "w2", "h2", snapshot_text(Fleet(13).rng, [(lock, wq)], [lock, wq]))
ck.eq(latent(db)["cycles"], [], "a cycle lockdep reported is not listed as latent")
got = latent(db, "--all")["cycles"]
ck.check(len(got) == 1 and got[0]["group"] == 1, f"--all lists it linked to group 1: {got}")
ck.eq(latent(db)["releases"][0]["latent"], 0, "the release counts it out")

# ---- truncated and bad input ------------------------------------------------------------------
db = os.path.join(tmp, "bad.db")
text = snapshot_text(Fleet(8).rng, ab, ["&a->lock", "&b->lock"])
r = import_snapshot(db, "6.2.0", "t1", "h1", text[: text.index(" -> [") + 9])
ck.check("cut short" in r.stderr, f"truncated snapshot said so: {r.stderr!r}")
r = run(db, "import", "--kernel", "6.2.0", os.path.join(os.path.dirname(os.path.abspath(__file__)), "latentgen.py"), ok=(1,))
ck.check("not a /proc/lockdep snapshot" in r.stderr, f"--kernel with a non-snapshot: {r.stderr!r}")
path = os.path.join(tmp, "nokernel.lockdep")
with open(path, "w") as f:
    f.write(text)
r = run(db, "import", path, ok=(2,))
ck.check("--kernel" in r.stderr, f"a snapshot without --kernel asks for it: {r.stderr!r}")
r = import_snapshot(db, "6.2.0", "t2", "h1", "all lock classes:\nffffffff82a4b2c0: cgroup_mutex\n", ok=(1,))
ck.check("CONFIG_PROVE_LOCKING" in r.stderr, f"classes only: {r.stderr!r}")

# ---- the collector and lockdepd's spool source --------------------------------------------------
def snapshot(spool, state, text, boot, host, release="6.11.0", ok=(0,)):
    src = os.path.join(tmp, "proc-lockdep")
    with open(src, "w") as f:
        f.write(text)
    return run(os.path.join(tmp, "unused.db"), "snapshot", "--input", src, "--output", spool, "--state", state,
               "--boot-id", boot, "--host", host, "--kernel", release, ok=ok)


def spool_files(spool):
    return sorted(f for f in os.listdir(spool) if f.endswith(".lockdep"))


fleet = Fleet(11, n_classes=300, pool=600, n_boots=3, n_planted=2)
state = os.path.join(tmp, "collect-state")
os.mkdir(state)
spool = os.path.join(tmp, "collect-spool")  # made after lockdepd starts: it waits for it
if lockdepd:
    import signal  # noqa: E402
    import time  # noqa: E402

    ddir = os.path.join(tmp, "daemon")
    os.mkdir(ddir)
    db = os.path.join(ddir, "lockdep.db")
    conf = os.path.join(ddir, "lockdepd.conf")
    with open(conf, "w") as f:
        f.write(f"db = {db}\nkmsg = no\njournal = no\nweb = no\nspool-dir = {spool}\n")

    def start():
        return subprocess.Popen([lockdepd, "--config", conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)

    def wait_for(pred, what, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(db) and pred():
                return True
            time.sleep(0.2)
        return ck.check(False, f"timed out waiting for {what}")

    d = start()
    time.sleep(0.5)
    os.mkdir(spool)
    # the first boot, then the collector again with more: only the new dependencies are written
    boot0, host0, deps0 = fleet.boots[0]
    half = len(deps0) // 2
    snapshot(spool, state, snapshot_text(fleet.rng, deps0[:half], sorted({c for e in deps0[:half] for c in e})),
             boot0, host0)
    r = snapshot(spool, state, snapshot_text(fleet.rng, deps0, sorted({c for e in deps0 for c in e})), boot0, host0)
    ck.check(f"{len(deps0) - half} new dependenc" in r.stdout, f"second snapshot is the delta: {r.stdout!r}")
    r = snapshot(spool, state, snapshot_text(fleet.rng, deps0, sorted({c for e in deps0 for c in e})), boot0, host0)
    ck.check("nothing new" in r.stdout, f"third snapshot: nothing new: {r.stdout!r}")
    ck.eq(len(spool_files(spool)), 2, "two spool files")
    wait_for(lambda: latent(db)["releases"] and latent(db)["releases"][0]["boots"] == 1, "the first boot stored")
    d.send_signal(signal.SIGKILL)
    d.wait()
    # the other boots while lockdepd is down, then once more while it runs
    for boot, host, deps in fleet.boots[1:2]:
        snapshot(spool, state, snapshot_text(fleet.rng, deps, sorted({c for e in deps for c in e})), boot, host)
    d = start()
    for boot, host, deps in fleet.boots[2:]:
        snapshot(spool, state, snapshot_text(fleet.rng, deps, sorted({c for e in deps for c in e})), boot, host)
    wait_for(lambda: latent(db)["releases"][0]["boots"] == 3 and set(cycles_of(latent(db))) == set(fleet.planted),
             "every boot and the planted cycles from the spool")
    js = latent(db)
    ck.eq(set(cycles_of(js)), set(fleet.planted), "planted cycles through the collector and the spool")
    ck.eq(js["releases"][0]["dependencies"], len({e for b in fleet.boots for e in b[2]}),
          "the union's dependencies, each once, after a SIGKILL")
    d.send_signal(signal.SIGTERM)
    err = d.communicate(timeout=30)[1]
    ck.check("MESSAGE_ID=706843d7721e40b0a844201eef346433" in err or "new latent lock cycle" in err,
             f"lockdepd announced the new latent cycles: {err[-500:]!r}")

# ---- lockdep switching itself off starts the collector (lockdep-collect.path) ----------------------
if lockdepd:
    kdir = os.path.join(tmp, "kmsg-off")
    run_dir = os.path.join(kdir, "run")
    os.makedirs(run_dir)
    kmsg = os.path.join(kdir, "kmsg")
    with open(kmsg, "w") as f:
        f.write("4,1,1000000,-;INFO: lockdep is turned off.\n")
        f.write("4,2,1000100,-;turning off the locking correctness validator.\n")
    kdb = os.path.join(kdir, "lockdep.db")
    env = dict(os.environ, RUNTIME_DIRECTORY=run_dir)
    env.pop("JOURNAL_STREAM", None)
    d = subprocess.Popen([lockdepd, "--db", kdb, "--config", "/dev/null", "--kmsg", kmsg, "--no-journal", "--no-web"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    trigger = os.path.join(run_dir, "lockdep-off")
    deadline = time.time() + 30
    while time.time() < deadline and not os.path.exists(trigger):
        time.sleep(0.1)
    ck.check(os.path.exists(trigger), "lockdep switching itself off touches $RUNTIME_DIRECTORY/lockdep-off")
    d.send_signal(signal.SIGTERM)
    d.communicate(timeout=30)

# ---- the web: ingest of snapshots, the API, the page, the metric ---------------------------------
if lockdepd:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
    import webtest  # noqa: E402

    wdir = os.path.join(tmp, "web")
    os.mkdir(wdir)
    db = os.path.join(wdir, "lockdep.db")
    subprocess.run([ctl, "--db", db, "import", "/dev/null"], check=True, capture_output=True)
    srv = webtest.Server(lockdepd, db)
    try:
        hostile = "&<script>alert(1)</script>->lock\u202e"
        deps = {"b1": [(hostile, "&x->lock")], "b2": [("&x->lock", hostile)]}
        for i, (boot, d) in enumerate(deps.items()):
            text = snapshot_text(Fleet(9 + i).rng, d, sorted({c for e in d for c in e}))
            h = {"Authorization": f"Bearer {srv.token}", "Content-Type": "text/x-proc-lockdep"}
            st, _, body = srv.request("POST", f"/api/v1/ingest?host=h{i}&kernel=6.10.0&boot_id={boot}",
                                      body=text.encode(), headers=h)
            ck.eq(st, 201, f"ingest snapshot {boot}: {body[:200]!r}")
            st, _, body = srv.request("POST", f"/api/v1/ingest?host=h{i}&kernel=6.10.0&boot_id={boot}",
                                      body=text.encode(), headers=h)
            ck.check(st == 200 and json.loads(body)["new"] == 0, f"ingest {boot} again: {st} {body[:200]!r}")
        st, _, body = srv.request("POST", "/api/v1/ingest?host=h9&kernel=6.10.0", body=b"x",
                                  headers={"Authorization": f"Bearer {srv.token}", "Content-Type": "text/x-proc-lockdep"})
        ck.eq(st, 400, "a snapshot without boot_id")
        st, _, body = srv.request("POST", "/api/v1/ingest?host=h9&kernel=6.10.0&boot_id=z",
                                  body=text.encode(), headers={"Content-Type": "text/x-proc-lockdep"})
        ck.eq(st, 401, "a snapshot without the token")
        st, _, body = srv.request("GET", "/api/v1/latent")
        api = json.loads(body)
        cli = latent(db)
        ck.eq(api, cli, "/api/v1/latent is lockdepctl latent --json")
        ck.eq([c["classes"] for c in api["cycles"]], [list(canonical_cycle([hostile, "&x->lock"]))],
              "the cycle sent over HTTP")
        st, _, page = srv.request("GET", "/latent")
        page = page.decode()
        ck.eq(st, 200, "/latent")
        ck.check("<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page,
                 "hostile class name escaped in /latent")
        ck.check("\u202e" not in page and "\\u202e" in page, "the right-to-left override shown as an escape in /latent")
        cid = api["cycles"][0]["id"] if api["cycles"] else 0
        st, _, page = srv.request("GET", f"/latent/{cid}")
        ck.check(st == 200 and b"<svg" in page, f"/latent/{cid} draws the cycle")
        st, _, _ = srv.request("GET", "/latent/999999")
        ck.eq(st, 404, "/latent/999999")
        # triage over the web: the token, like group triage
        tri = f"/api/v1/latent/{cid}/triage"
        st, _, _ = srv.request("POST", tri, body=b"status=confirmed",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        ck.eq(st, 401, "latent triage without the token")
        st, _, _ = srv.request("POST", tri, body=json.dumps({"status": "bogus"}).encode(),
                               headers={"Authorization": f"Bearer {srv.token}", "Content-Type": "application/json"})
        ck.eq(st, 400, "latent triage with a bad status")
        st, _, body = srv.request("POST", tri, body=json.dumps({"status": "ignored", "note": "<b>x</b>"}).encode(),
                                  headers={"Authorization": f"Bearer {srv.token}", "Content-Type": "application/json"})
        got = json.loads(body)["cycles"] if st == 200 else []
        ck.check(st == 200 and [(c["status"], c["note"]) for c in got] == [("ignored", "<b>x</b>")],
                 f"latent triage with the token: {st} {body[:200]!r}")
        st, _, page = srv.request("GET", f"/latent/{cid}")
        ck.check(b"Triage: <span class=\"status\">ignored" in page and b"&lt;b&gt;x&lt;/b&gt;" in page
                 and b"action=\"/api/v1/latent/" in page, "/latent/ID shows the triage, escaped, and its form")
        st, _, page = srv.request("GET", "/latent")
        ck.check(b"ignored" in page, "/latent shows the status")
        st, _, m = srv.request("GET", "/metrics")
        ck.check(b'lockdep_latent_cycles{release="6.10.0"} 1' in m, "metric lockdep_latent_cycles per release")
    finally:
        srv.stop()

# ---- one acceptance rule (store/ingest.c ingest_deps_refusal()) for import, ingest and the spool -----
# Each input goes through all three entries; each entry must store exactly the accepted ones.
if lockdepd:
    good = snapshot_text(Fleet(5).rng, ab, ["&a->lock", "&b->lock"])
    cases = [  # (name, head has release, body, accepted)
        ("good", True, good, True),
        ("classes-only", True, "all lock classes:\nffffffff82a4b2c0: cgroup_mutex\n", False),
        ("binary", True, good.replace("&a->lock", "&a\0->lock"), False),
        ("no-release", False, good, False),
    ]

    def with_head(boot, has_release, body):
        head = "# lockdep-snapshot: 1\n" + ("# release: 6.3.0\n" if has_release else "")
        return head + f"# boot-id: {boot}\n# host: hr\n# taken: 1700000000000000\n" + body

    def stored_boots(db):
        if not os.path.exists(db):
            return set()
        import sqlite3  # noqa: E402
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
                return {row[0] for row in c.execute("SELECT boot_id FROM dep_boots")}
        except sqlite3.Error:
            return set()

    rdir = os.path.join(tmp, "rule")
    os.mkdir(rdir)
    verdict = {"import": {}, "ingest": {}, "spool": {}}
    idb = os.path.join(rdir, "import.db")
    for name, has_release, body, _ in cases:
        p = os.path.join(rdir, f"{name}.lockdep")
        with open(p, "w") as f:
            f.write(with_head(f"imp-{name}", has_release, body))
        run(idb, "import", p, ok=(0, 1, 2))
    got = stored_boots(idb)
    verdict["import"] = {n: f"imp-{n}" in got for n, *_ in cases}

    wdb = os.path.join(rdir, "web.db")
    subprocess.run([ctl, "--db", wdb, "import", "/dev/null"], check=True, capture_output=True)
    srv = webtest.Server(lockdepd, wdb)
    try:
        for name, has_release, body, _ in cases:
            q = f"/api/v1/ingest?host=hr&boot_id=web-{name}" + ("&kernel=6.3.0" if has_release else "")
            st, _, _ = srv.request("POST", q, body=body.encode(),
                                   headers={"Authorization": f"Bearer {srv.token}",
                                            "Content-Type": "text/x-proc-lockdep"})
            ck.check(st in (200, 201, 400, 422), f"ingest {name}: status {st}")
    finally:
        srv.stop()
    got = stored_boots(wdb)
    verdict["ingest"] = {n: f"web-{n}" in got for n, *_ in cases}

    sdb = os.path.join(rdir, "spool.db")
    sspool = os.path.join(rdir, "spool")
    os.mkdir(sspool)
    for i, (name, has_release, body, _) in enumerate(cases + [("last", True, good, True)]):
        with open(os.path.join(sspool, f"{i:04d}-{name}.lockdep"), "w") as f:
            f.write(with_head(f"spl-{name}", has_release, body))
    sconf = os.path.join(rdir, "lockdepd.conf")
    with open(sconf, "w") as f:
        f.write(f"db = {sdb}\nkmsg = no\njournal = no\nweb = no\nspool-dir = {sspool}\n")
    d = subprocess.Popen([lockdepd, "--config", sconf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and "spl-last" not in stored_boots(sdb):
        time.sleep(0.2)
    d.send_signal(signal.SIGTERM)
    err = d.communicate(timeout=30)[1]
    got = stored_boots(sdb)
    ck.check("spl-last" in got, f"the spool was read to its end: {err[-400:]!r}")
    verdict["spool"] = {n: f"spl-{n}" in got for n, *_ in cases}
    ck.check("CONFIG_PROVE_LOCKING" in err, f"the spool says why a classes-only snapshot is skipped: {err[-400:]!r}")
    expect = {n: acc for n, _, _, acc in cases}
    for entry, v in verdict.items():
        ck.eq(v, expect, f"{entry} accepts and refuses as the rule says")

ck.finish()
