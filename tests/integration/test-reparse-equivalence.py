#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Import, reparse and rebuild agree (issue 13: the parser's edges are the one source).

Usage: test-reparse-equivalence.py LOCKDEPCTL SHARED_DIR

The lock-order edges of a report, and their acquire sites, come from the parser alone
(LockdepReport.edges, "edges" in reports.parsed): the insert counts them and replace_report()
uncounts the old copy's stored edges when a better copy arrives; `lockdepctl reparse` and the
rebuild of the derived tables (run by import when they are incomplete) recompute everything from
the raw text. So a database built by `lockdepctl import`, the same database after `lockdepctl
reparse`, and after a rebuild, must hold the same groups (signature, kind, counts, times, kernel
range), lock classes and the classes of each group, lock-order edges (with n, first/last seen,
first kernel) and the groups of each edge, and per report and per group the same edges with the
same acquire sites (reports.parsed edges[], `lockdepctl export --groups` edges[].site).

Inputs: the syzkaller corpus (SHARED_DIR/corpus/syzkaller) and a log of
SHARED_DIR/bench/gen_corpus.py; each is skipped, and said so, when absent (exit 77 when both are).
Each is imported alone, and into a second database twice over: first copies that end inside a
report (the input up to half of a report's lines, as a log cut off at EOF; for every corpus file,
for every 10th report of the generated log), then the whole input, so that replace_report() runs
(the complete copy replaces the cut one); both databases are compared with their reparse and their
rebuild.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402

ctl, shared = sys.argv[1:3]
c = lt.Checker("reparse-equivalence")
tmp = tempfile.mkdtemp(prefix="lockdep-reparse-eq-")


def parsed(blob):
    if blob is None:
        return {}
    if isinstance(blob, bytes):
        blob = zlib.decompress(blob).decode()
    return json.loads(blob)


def dump(db):
    """Everything import, reparse and rebuild must agree on, keyed by names (not row ids)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    sig = dict(con.execute("SELECT id, signature || '/' || sig_version FROM groups"))
    d = {}
    d["groups"] = sorted(
        (sig[i], *rest) for (i, *rest) in con.execute(
            "SELECT id, kind, key, func_title, n_reports, n_hosts, first_seen, last_seen, kernel_first, kernel_last"
            " FROM groups"))
    d["classes"] = sorted(con.execute("SELECT name, canonical FROM lock_classes"))
    d["group_classes"] = sorted((sig[g], cl) for g, cl in con.execute("SELECT grp, canonical FROM group_classes"))
    d["edges"] = sorted(con.execute(
        "SELECT from_class, to_class, n, first_seen, last_seen, first_kernel FROM lock_edges"))
    d["edge_groups"] = sorted((f, t, sig[g]) for f, t, g in con.execute(
        "SELECT e.from_class, e.to_class, eg.grp FROM edge_groups eg JOIN lock_edges e ON e.id = eg.edge"))
    reports = {}
    for rid, grp, kind, trunc, p in con.execute("SELECT id, grp, kind, truncated, parsed FROM reports"):
        j = parsed(p)
        reports[rid] = (sig.get(grp), kind, trunc,
                        [(e["from"], e["to"], e.get("at")) for e in j.get("edges", [])])
    d["reports"] = reports
    d["n_reports"] = len(reports)
    con.close()
    return d, sorted(sig.values())


def sites(db):
    """Per group (by signature): the edges and sites of its full object (`lockdepctl export
    --groups`, the object `show --json` and /api/v1/groups/ID give)."""
    r = subprocess.run([ctl, "--db", db, "export", "--groups"], capture_output=True, timeout=300)
    if not c.check(r.returncode == 0, f"export --groups: {r.stderr.decode()[-300:]}"):
        return {}
    out = {}
    for line in r.stdout.decode().splitlines():
        g = json.loads(line)
        out[f"{g['signature']}/{g['sig_version']}"] = sorted((e["from"], e["to"], e.get("site"))
                                                            for e in g.get("edges", []))
    return out


def compare(a, b, what):
    for k in ("groups", "classes", "group_classes", "edges", "edge_groups", "n_reports"):
        if a[k] != b[k]:
            if isinstance(a[k], list):
                only_a = [x for x in a[k] if x not in b[k]]
                only_b = [x for x in b[k] if x not in a[k]]
                c.check(False, f"{what}: {k} differ: {len(only_a)} only before, e.g. {only_a[:3]}; "
                        f"{len(only_b)} only after, e.g. {only_b[:3]}")
            else:
                c.check(False, f"{what}: {k}: {a[k]} before, {b[k]} after")
        else:
            c.check(True, f"{what}: {k}")
    diff = [rid for rid in a["reports"] if a["reports"][rid] != b["reports"].get(rid)]
    c.check(not diff and a["reports"].keys() == b["reports"].keys(),
            f"{what}: reports' groups and edges with sites differ for {len(diff)} reports, e.g. "
            + "; ".join(f"{rid}: {a['reports'][rid]} vs {b['reports'].get(rid)}" for rid in diff[:2]))


def ctl_ok(db, *args):
    r = subprocess.run([ctl, "--db", db, *args], capture_output=True, timeout=900)
    if r.returncode != 0:
        print(f"FAIL: lockdepctl {' '.join(args)}: {r.stderr.decode()[-500:]}")
        sys.exit(1)
    return r.stdout.decode() + r.stderr.decode()


def cut_copies(path, out_prefix, every):
    """Copies of path that end inside a report, as an input cut off at EOF does: one per `every`-th
    report of path, holding the input up to half that report's lines. Returns their paths."""
    text = open(path, "rb").read().split(b"\n")
    outs = []
    for k, r in enumerate(lt.run_parse(ctl, path)):
        first, last = r["first_line"] - 1, r["last_line"]
        if k % every or last - first < 8:
            continue
        out = f"{out_prefix}-{k}.log"
        with open(out, "wb") as f:
            f.write(b"\n".join(text[:first + (last - first) // 2]) + b"\n")
        outs.append(out)
    return outs


def check_input(name, files, every):
    base = os.path.join(tmp, name)
    os.makedirs(base)
    whole = os.path.join(base, "whole.db")
    ctl_ok(whole, "import", *files)
    before, gids = dump(whole)
    c.check(before["n_reports"] > 0 and before["edges"], f"{name}: reports and edges stored")
    before_sites = sites(whole)
    c.check(any(before_sites.values()), f"{name}: groups with edges and sites")

    # replace_report(): a cut copy of each file first, then the whole file
    cuts = []
    for i, f in enumerate(files):
        cuts += cut_copies(f, os.path.join(base, f"cut{i}"), every)
    n_cut = len(cuts)
    replaced = os.path.join(base, "replaced.db")
    ctl_ok(replaced, "import", *cuts)
    out = ctl_ok(replaced, "import", *files)
    c.check("replaced by a more complete copy" in out, f"{name}: the whole input replaced cut copies ({out.strip()})")

    for db, what in ((whole, "import"), (replaced, "import over cut copies")):
        d0, _ = dump(db)
        rep = db + ".reparse.db"
        shutil.copyfile(db, rep)
        ctl_ok(rep, "reparse")
        d1, _ = dump(rep)
        compare(d0, d1, f"{name}: {what} vs reparse")
        if db == whole:
            c.eq(sites(rep), before_sites, f"{name}: export --groups edge sites after reparse")

        # the rebuild of the derived tables: import runs it when they are incomplete
        reb = db + ".rebuild.db"
        shutil.copyfile(db, reb)
        con = sqlite3.connect(reb)
        con.execute("DELETE FROM group_classes")
        con.commit()
        con.close()
        out = ctl_ok(reb, "import", "/dev/null")
        c.check("rebuilding" in out, f"{name}: {what}: import rebuilt the derived tables ({out.strip()[:200]})")
        d2, _ = dump(reb)
        compare(d0, d2, f"{name}: {what} vs rebuild")
        if db == whole:
            c.eq(sites(reb), before_sites, f"{name}: export --groups edge sites after rebuild")
    print(f"# {name}: {before['n_reports']} reports, {len(gids)} groups, {len(before['edges'])} edges, "
          f"{n_cut} reports cut and replaced")


corpus = os.path.join(shared, "corpus", "syzkaller")
gen = os.path.join(shared, "bench", "gen_corpus.py")
ran = False
if os.path.isdir(corpus):
    files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith(".txt"))
    check_input("corpus", files, 1)
    ran = True
else:
    print(f"# {corpus} absent: skipped")
if os.path.isfile(gen):
    log = os.path.join(tmp, "gen.log")
    subprocess.run([sys.executable, gen, "--size", "4M", "--seed", "11", "--lockdep-every", "40K",
                    "--boot-every", "1M", "-o", log], check=True, capture_output=True, timeout=300)
    check_input("gen_corpus", [log], 10)
    ran = True
else:
    print(f"# {gen} absent: skipped")
shutil.rmtree(tmp, ignore_errors=True)
if not ran:
    lt.skip("neither the corpus nor gen_corpus.py is present")
c.finish()
