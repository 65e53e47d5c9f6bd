#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""lockdepctl query verbs (suite 'cli'). Usage: test-cli.py LOCKDEPCTL SRCDIR CASE [--lockdepd EXE] [--update]

Covers, one CASE per meson test:
  golden   text and JSON output of every verb (list, show, reports, report, locks, graph, search, export,
           triage, merge, suppress, stats) on a database imported from tests/golden/cases/*.txt
           (hosts h1 and h2), against tests/golden/cli/*.out; timestamps and the source path are
           normalized. --update rewrites the .out files (review the diff).
  dot      `graph` output is accepted by `dot -Tsvg` (skip without graphviz)
  empty    empty database: verbs that find nothing exit 1 with a message; with --json, listings
           print nothing and exit 0 (an empty NDJSON stream); stats exits 0
  missing  missing database / unknown group / bad usage: clear messages, exit 1 or 2
  daemon   reading while `lockdepd --follow FILE` writes the database
  hostile  ESC, C1 and other control characters in task and lock names: no raw ESC/C1 byte in any
           output; the DOT output stays valid
  help     `lockdepctl --help` lists every verb of main.c; `VERB --help` lists every option of the
           verb's getopt table (cli/cmd-VERB.c, QUERY_OPTIONS expanded)
  pager    on a pty: $PAGER is used and --no-pager bypasses it; colours only without $NO_COLOR
"""

import glob
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest  # noqa: E402

json_objects = lockdeptest.json_objects

SKIP = 77
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}")
    return cond


def env(extra=None):
    e = {k: v for k, v in os.environ.items() if k not in ("LOCKDEPCTL_DB", "PAGER", "SYSTEMD_PAGER", "COLUMNS")}
    e["LC_ALL"] = "C"
    e.update(extra or {})
    return e


def run(ctl, db, *args, cwd=None, input=None):
    return subprocess.run([ctl, "--db", db, *args], capture_output=True, cwd=cwd, input=input, env=env(),
                          timeout=120)


def build_db(ctl, src, tmp, name="t.db", cases=None):
    db = os.path.join(tmp, name)
    # the corpus copies and the first rendering cases: later golden cases do not move these outputs
    golden = os.path.join(src, "tests", "golden", "cases")
    files = cases or sorted(glob.glob(os.path.join(golden, "linux_*.txt")) + [
        os.path.join(golden, f"render-{r}.txt") for r in ("crlf-mail", "journal", "kmsg", "syslog-012")])
    r = run(ctl, db, "import", "--host", "h1", *files)
    assert r.returncode == 0, r.stderr
    if not cases:
        two = [os.path.join(src, "tests", "golden", "cases", f) for f in ("linux_report_26.txt", "linux_report_466.txt")]
        r = run(ctl, db, "import", "--host", "h2", *two)
        assert r.returncode == 0, r.stderr
    return db


# ---- golden ----------------------------------------------------------------------------------

def normalize(text, src):
    text = text.replace(os.path.realpath(src), "<SRC>").replace(src, "<SRC>")
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<TIME>", text)
    text = re.sub(r"\b\d{4}-\d\d-\d\d\b", "<DATE>", text)
    return text


GOLDEN = [
    # name, arguments (group/report ids are stable: the import order is fixed)
    ("list", ["list"]),
    ("list-json", ["list", "--json"]),
    ("list-filtered", ["list", "--kind", "circular", "--host", "h2", "--sort", "id"]),
    ("list-sort-limit", ["list", "--sort", "reports", "--limit", "3"]),
    ("list-kernel-lock", ["list", "--kernel", "4.1*", "--lock", "rtnl_mutex", "--since", "2000-01-01"]),
    ("show", ["show", "6ad470dd"]),
    ("show-json", ["show", "--json", "6ad470dd"]),
    ("show-cycle3", ["show", "7e001289"]),
    ("show-recursive", ["show", "--no-pager", "4ec4399f"]),
    ("reports", ["reports"]),
    ("reports-json-group", ["reports", "--json", "--group", "6ad470dd"]),
    ("report", ["report", "1"]),
    ("report-parsed", ["report", "--parsed", "1"]),
    ("report-json", ["report", "--json", "1"]),
    ("locks", ["locks"]),
    ("locks-json", ["locks", "--json", "--limit", "5"]),
    ("locks-name", ["locks", "&disk->open_mutex"]),
    ("locks-name-json", ["locks", "--json", "&disk->open_mutex"]),
    ("graph", ["graph"]),
    ("graph-group", ["graph", "--group", "6ad470dd"]),
    ("graph-lock-json", ["graph", "--json", "--lock", "rtnl_mutex"]),
    ("search", ["search", "blkdev_reread_part"]),
    ("search-json", ["search", "--json", "--limit", "2", "rtnl_lock"]),
    ("export-groups", ["export", "--groups", "--limit", "2"]),
    ("export-reports", ["export", "--reports", "--group", "6ad470dd"]),
    ("export-kcidb", ["export", "--kcidb", "--kind", "recursive"]),
    ("stats", ["stats"]),
    ("stats-json", ["stats", "--json"]),
    # writers last
    ("triage", ["triage", "6ad470dd", "--status", "confirmed", "--note", "see lkml"]),
    ("triage-json", ["triage", "--json", "6ad470dd", "--status", "fixed-in 6.9"]),
    ("merge", ["merge", "6ad470dd", "0867dda7"]),
    ("suppress-class", ["suppress", "--class", "rtnl_mutex", "--expires", "2030-01-01", "--note", "known"]),
    ("suppress-edge-json", ["suppress", "--json", "--edge", "&disk->open_mutex,&lo->lo_ctl_mutex"]),
    ("suppress-list", ["suppress", "--list"]),
    ("suppress-list-json", ["suppress", "--list", "--json"]),
    ("suppress-delete", ["suppress", "--delete", "1"]),
    ("show-after-triage", ["show", "6ad470dd"]),
]


def case_golden(ctl, src, tmp, update):
    db = build_db(ctl, src, tmp)
    outdir = os.path.join(src, "tests", "golden", "cli")
    for name, args in GOLDEN:
        r = run(ctl, "t.db", *args, cwd=tmp)
        got = f"$ lockdepctl {' '.join(args)}\n# exit {r.returncode}\n" + \
            normalize(r.stdout.decode("utf-8", "backslashreplace"), src) + \
            ("# stderr\n" + normalize(r.stderr.decode("utf-8", "backslashreplace"), src) if r.stderr else "")
        path = os.path.join(outdir, name + ".out")
        if update:
            with open(path, "w") as f:
                f.write(got)
            continue
        if "--json" in args and r.returncode == 0:
            for line in r.stdout.decode().splitlines():
                try:
                    json.loads(line)
                except ValueError:
                    check(False, f"{name}: not JSON lines: {line[:100]}")
                    break
        try:
            with open(path) as f:
                want = f.read()
        except FileNotFoundError:
            check(False, f"{name}: {path} missing; run with --update")
            continue
        if not check(got == want, f"{name}: output differs from {path}"):
            import difflib
            sys.stdout.writelines(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                            path, "got"))[:60])
    if update:
        print(f"updated {len(GOLDEN)} files in {outdir}")


# ---- dot -------------------------------------------------------------------------------------

def dot_ok(ctl, db, *args):
    r = run(ctl, db, "graph", *args)
    if not check(r.returncode == 0, f"graph {args}: exit {r.returncode}: {r.stderr[:200]!r}"):
        return
    d = subprocess.run(["dot", "-Tsvg"], input=r.stdout, capture_output=True, timeout=120)
    check(d.returncode == 0 and b"<svg" in d.stdout and not d.stderr,
          f"dot -Tsvg rejects graph {args}: {d.returncode} {d.stderr[:300]!r}")


def case_dot(ctl, src, tmp, update):
    if not shutil.which("dot"):
        print("SKIP: dot (graphviz) not installed")
        sys.exit(SKIP)
    db = build_db(ctl, src, tmp)
    dot_ok(ctl, db)
    dot_ok(ctl, db, "--group", "6ad470dd")
    dot_ok(ctl, db, "--lock", "rtnl_mutex")
    hdb = build_hostile(ctl, src, tmp)
    dot_ok(ctl, hdb)


# ---- empty / missing -------------------------------------------------------------------------

def case_empty(ctl, src, tmp, update):
    db = os.path.join(tmp, "empty.db")
    r = run(ctl, db, "import", "/dev/null")
    check(r.returncode == 0, f"import /dev/null: {r.returncode} {r.stderr!r}")
    for args in (["list", "--json"], ["reports", "--json"], ["locks", "--json"], ["graph", "--json"],
                 ["search", "--json", "foo"], ["suppress", "--list", "--json"]):
        r = run(ctl, db, *args)
        check(r.returncode == 0 and not r.stdout and not r.stderr,
              f"empty db: {args}: exit {r.returncode}, stdout {r.stdout[:100]!r}, stderr {r.stderr[:200]!r}")
    for args, msg in ((["list"], b"No groups"), (["reports"], b"No reports"),
                      (["show", "1"], b"no group"), (["report", "1"], b"no report"), (["locks"], b"No lock"),
                      (["graph"], b"No lock-order"), (["search", "foo"], b"No reports"),
                      (["suppress", "--list"], b"No suppressions")):
        r = run(ctl, db, *args)
        check(r.returncode == 1 and msg in r.stderr and not r.stdout.strip(),
              f"empty db: {args}: exit {r.returncode}, stdout {r.stdout[:100]!r}, stderr {r.stderr[:200]!r}")
    r = run(ctl, db, "stats", "--json")
    check(r.returncode == 0 and json.loads(r.stdout).get("reports") == 0, f"empty db: stats --json: {r.stdout[:200]!r}")
    r = run(ctl, db, "export", "--kcidb")
    check(r.returncode == 0 and json.loads(r.stdout)["issues"] == [], f"empty db: export --kcidb: {r.stdout[:200]!r}")


def case_missing(ctl, src, tmp, update):
    missing = os.path.join(tmp, "nope", "missing.db")
    for verb in (["list"], ["show", "1"], ["reports"], ["report", "1"], ["locks"], ["graph"], ["search", "x"],
                 ["export"], ["stats"], ["suppress", "--list"]):
        r = run(ctl, missing, *verb)
        check(r.returncode == 1 and b"cannot open database" in r.stderr and missing.encode() in r.stderr,
              f"missing db: {verb}: exit {r.returncode}, {r.stderr[:200]!r}")
        check(not os.path.exists(missing), f"missing db: {verb} created the database")
    # a file that is not the database: named, and what to check
    junk = os.path.join(tmp, "junk.db")
    with open(junk, "w") as f:
        f.write("this is a text file, not a database\n" * 200)
    foreign = os.path.join(tmp, "foreign.db")
    sqlite3.connect(foreign).execute("CREATE TABLE other_program (x)").connection.commit()
    for path, what in ((junk, b"the file is not a database"), (foreign, b"not a lockdep-analyzer database")):
        for verb in (["list"], ["import", os.devnull]):
            r = run(ctl, path, *verb)
            check(r.returncode == 1 and path.encode() in r.stderr and what in r.stderr and b"check the path (--db"
                  in r.stderr, f"{verb} on {os.path.basename(path)}: exit {r.returncode}, {r.stderr[:300]!r}")
    db = build_db(ctl, src, tmp, cases=[os.path.join(src, "tests", "golden", "cases", "linux_report_26.txt")])
    for args, code, msg in ((["show", "999"], 1, b"no group matches '999'"),
                            (["show", "ffffffff"], 1, b"no group matches"),
                            (["report", "999"], 1, b"no report 999"),
                            (["report", "x"], 2, b"positive number"),
                            (["show", "1", "2"], 2, b"at most one GROUP"),
                            (["report", "1", "2"], 2, b"at most one report ID"), (["list", "--bogus"], 2, b"unrecognized"),
                            (["list", "--since", "yesterdayish"], 2, b"since: expected"),
                            (["list", "--sort", "name"], 2, b"sort: expected"),
                            (["list", "--limit", "x"], 2, b"--limit"),
                            (["triage", "1"], 2, b"--status"), (["triage", "1", "--status", "wat"], 2, b"unknown status"),
                            (["merge", "1"], 2, b"INTO"), (["suppress"], 2, b"--class"),
                            (["export", "--groups", "--kcidb"], 2, b"exclude"), (["bogus-verb"], 2, b"unknown verb"),
                            (["locks", "no-such-class"], 1, b"No lock class matches")):
        r = run(ctl, db, *args)
        check(r.returncode == code and msg in r.stderr, f"{args}: exit {r.returncode} (want {code}), {r.stderr[:200]!r}")


# ---- daemon writing --------------------------------------------------------------------------

def case_daemon(ctl, src, tmp, update, lockdepd):
    if not lockdepd or not os.access(lockdepd, os.X_OK):
        print("SKIP: no lockdepd")
        sys.exit(SKIP)
    db, log, conf = (os.path.join(tmp, n) for n in ("d.db", "console.log", "lockdepd.conf"))
    open(log, "w").close()
    open(conf, "w").close()
    cases = sorted(glob.glob(os.path.join(src, "tests", "golden", "cases", "linux_report_*.txt")))[:12]
    with open(os.path.join(tmp, "lockdepd.out"), "wb") as out:
        d = subprocess.Popen([lockdepd, "--config", conf, "--db", db, "--no-web", "--no-kmsg", "--no-journal",
                              "--follow", log], stdout=out, stderr=out, env=env())
    try:
        seen = 0
        for i, path in enumerate(cases):
            with open(path, "rb") as f, open(log, "ab") as o:
                o.write(f.read() + b"\n")
            for args in (["list", "--json"], ["reports", "--json"], ["stats", "--json"], ["graph"], ["list"]):
                r = run(ctl, db, *args)
                ok = r.returncode == 0 or (r.returncode == 1 and (b"No " in r.stderr or b"cannot open" in r.stderr))
                check(ok, f"while the daemon writes: {args}: exit {r.returncode} {r.stderr[:200]!r}")
                if args[0] == "reports" and r.returncode == 0:
                    n = len(r.stdout.splitlines())
                    check(n >= seen, f"report count went back from {seen} to {n}")
                    seen = n
            time.sleep(0.05)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = run(ctl, db, "stats", "--json")
            if r.returncode == 0 and json.loads(r.stdout)["reports"] >= len(cases):
                break
            time.sleep(0.2)
        r = run(ctl, db, "stats", "--json")
        check(r.returncode == 0 and json.loads(r.stdout)["reports"] == len(cases),
              f"daemon stored {r.stdout[:200]!r}, want {len(cases)} reports")
        r = run(ctl, db, "triage", "1", "--status", "confirmed")
        check(r.returncode == 0, f"triage while the daemon runs: {r.returncode} {r.stderr[:200]!r}")
        # stats on a narrow terminal: the source's path may be cut, its position and time never
        sources = json.loads(run(ctl, db, "stats", "--json").stdout)["sources"]
        check(len(sources) >= 1, f"no source in stats: {sources}")
        out = on_pty([ctl, "--db", db, "--no-pager", "stats"], {"COLUMNS": "40", "NO_COLOR": "1", "TERM": "xterm",
                                                             "LC_ALL": "C.UTF-8"}).decode("utf-8", "replace")
        for src_row in sources:
            line = next((l for l in out.replace("\r", "").splitlines() if str(src_row["position"]) in l.split()), "")
            check(src_row["updated"] in line.split(), f"stats at 40 columns: {src_row} cut: {line!r}\n{out}")
    finally:
        d.send_signal(signal.SIGTERM)
        try:
            d.wait(30)
        except subprocess.TimeoutExpired:
            d.kill()
            d.wait()


# ---- hostile names ---------------------------------------------------------------------------

EVIL_TASK = b"evil\x1b[31mtask\x07\x9b2J"
EVIL_LOCK = b"&bdev->bd\x1b]0;pwned\x07<script>\xc2\x9b1m_mutex"


def build_hostile(ctl, src, tmp):
    with open(os.path.join(src, "tests", "golden", "cases", "linux_report_26.txt"), "rb") as f:
        text = f.read()
    text = text.replace(b"syz-executor0", EVIL_TASK).replace(b"&bdev->bd_mutex", EVIL_LOCK)
    path = os.path.join(tmp, "hostile.txt")
    with open(path, "wb") as f:
        f.write(text)
    db = os.path.join(tmp, "hostile.db")
    # --host refuses such a name (common/host-name.h); a log's own syslog prefix cannot be
    # refused: its host is stored sanitized, as visible escapes
    r = run(ctl, db, "import", "--host", "evil\x1b[2Jhost", path)
    assert r.returncode == 2 and b"--host: the name has a control character" in r.stderr, r.stderr
    with open(path, "wb") as f:
        f.write(b"".join(b"Jan  1 00:00:01 evil\x07\x9b2Jhost kernel: " + line for line in text.splitlines(True)))
    r = run(ctl, db, "import", path)
    assert r.returncode == 0, r.stderr
    return db


def case_hostile(ctl, src, tmp, update):
    db = build_hostile(ctl, src, tmp)
    r = run(ctl, db, "report", "--parsed", "1")
    check(b"evil" in r.stdout, f"hostile report not parsed: {r.stdout[:300]!r}")
    lock = json.loads(run(ctl, db, "locks", "--json").stdout.splitlines()[0])["name"]
    for args in (["list"], ["list", "--json"], ["show", "1"], ["show", "--json", "1"], ["reports"],
                 ["reports", "--json"], ["report", "1"], ["report", "--parsed", "1"], ["report", "--json", "1"],
                 ["locks"], ["locks", "--json"], ["locks", lock], ["graph"], ["graph", "--json"],
                 ["search", "evil"], ["search", "--json", "evil"], ["export", "--groups"], ["export", "--reports"],
                 ["export", "--kcidb"], ["stats"], ["suppress", "--class", EVIL_LOCK.decode("utf-8", "replace")],
                 ["suppress", "--list"], ["show", "evil\x1b"]):
        r = run(ctl, db, *args)
        check(r.returncode in (0, 1), f"hostile: {args}: exit {r.returncode} {r.stderr[:200]!r}")
        for what, out in (("stdout", r.stdout), ("stderr", r.stderr)):
            check(b"\x1b" not in out and b"\x9b" not in out and b"\x07" not in out,
                  f"hostile: {args}: raw control byte in {what}: {out[:300]!r}")
    r = run(ctl, db, "show", "1")
    check(b"\\x1b[31m" in r.stdout or b"\\x1b]0;" in r.stdout, f"hostile: escapes not visible in show: {r.stdout[:400]!r}")


# ---- help ------------------------------------------------------------------------------------

def options_of(src, verb):
    with open(os.path.join(src, "cli", "lockdepctl.h")) as f:
        header = f.read()
    query = re.search(r"#define QUERY_OPTIONS\s+\\(.*?)\n\s*/\*", header, re.S).group(1)
    path = os.path.join(src, "cli", f"cmd-{verb}.c")
    if verb == "reports":
        path = os.path.join(src, "cli", "cmd-reports.c")
    with open(path) as f:
        text = f.read()
    tables = re.findall(r"struct option options\[\] = \{(.*?)\n\s*\{\},", text, re.S)
    # a verb the runner runs (cli/verbs.c): --help and the output options its flags ask for
    spec = re.search(r"const VerbSpec verb_[a-z]+ = \{(.*?)\n\};", text, re.S)
    if spec:
        tables.append('{ "help", no_argument, NULL, 0 }')
        for macro, flag in (("OUTPUT_OPTIONS", r"VERB_OUTPUT\b(?!_MODE)"), ("OUTPUT_MODE_OPTIONS", r"VERB_OUTPUT_MODE")):
            if re.search(flag, spec.group(1)):
                tables.append(re.search(r"#define " + macro + r"\s+\\(.*?)\n(?:/\*|#)", header, re.S).group(1))
    names = []
    for t in tables:
        t = t.replace("QUERY_OPTIONS", query)
        names += re.findall(r'\{\s*"([a-z-]+)",\s*(?:no|required|optional)_argument', t)
    return names


def case_help(ctl, src, tmp, update):
    r = subprocess.run([ctl, "--help"], capture_output=True, env=env())
    check(r.returncode == 0, "--help exit status")
    with open(os.path.join(src, "cli", "main.c")) as f:
        verbs = re.findall(r'^\s*\{ "([a-z]+)", "', f.read(), re.M)
    check(len(verbs) >= 15, f"verb table not found in main.c: {verbs}")
    for v in verbs:
        check(re.search(rb"^  " + v.encode() + rb"\s", r.stdout, re.M), f"--help does not list verb {v}")
        h = subprocess.run([ctl, v, "--help"], capture_output=True, env=env())
        check(h.returncode == 0 and b"Usage:" in h.stdout, f"{v} --help: exit {h.returncode}")
        opts = options_of(src, v)
        check(opts, f"{v}: no getopt table found")
        for o in opts:
            check(f"--{o}".encode() in h.stdout, f"{v} --help does not list --{o}")


# ---- pager and colours -----------------------------------------------------------------------

def on_pty(argv, extra):
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env(extra))
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    os.close(fd)
    return out


def case_pager(ctl, src, tmp, update):
    db = build_db(ctl, src, tmp, cases=[os.path.join(src, "tests", "golden", "cases", "linux_report_26.txt")])
    pager = {"PAGER": "sed s/^/PAGED:/", "TERM": "xterm"}
    out = on_pty([ctl, "--db", db, "list"], dict(pager, NO_COLOR="1"))
    check(b"PAGED:ID" in out or b"PAGED:" in out, f"$PAGER not used on a tty: {out[:300]!r}")
    check(b"\x1b" not in out, f"colours despite NO_COLOR: {out[:300]!r}")
    out = on_pty([ctl, "--db", db, "--no-pager", "list"], pager)
    check(b"PAGED:" not in out and b"ID" in out, f"--no-pager still paged: {out[:300]!r}")
    check(b"\x1b[" in out, f"no colours on a terminal: {out[:300]!r}")
    r = run(ctl, db, "list")
    check(b"PAGED:" not in r.stdout and b"\x1b" not in r.stdout, "pager or colours without a terminal")
    out = on_pty([ctl, "--db", db, "--no-pager", "list"], {"COLUMNS": "60", "NO_COLOR": "1", "TERM": "xterm"})
    lines = out.decode("utf-8", "replace").replace("\r", "").splitlines()
    check(lines and all(len(l) <= 60 for l in lines[:2]), f"table wider than COLUMNS=60: {lines[:2]}")


# ---- journalctl idioms: -n, -r, --no-legend, -q, -o, on every list verb converted so far --------

# verb: (its rows come oldest first so -n takes the end, the fields a terminal must never cut, --limit)
IDIOM_VERBS = {
    "list": (False, ("last_seen", "kind", "n_reports", "id"), True),
    "reports": (True, ("time", "kind", "id", "group"), True),
    "hosts": (False, ("n_boots", "n_reports", "n_groups", "last_seen"), False),
    "kernels": (False, ("n_hosts", "n_boots", "n_reports", "last_seen"), False),
    "locks": (False, ("n_groups", "n_edges"), False),
    "search lock": (False, ("id", "group", "kind", "time"), False),
}


def case_idioms(ctl, src, tmp, update):
    db = build_db(ctl, src, tmp)
    for verb, (newest_last, keys, has_limit) in IDIOM_VERBS.items():
        full = run(ctl, db, *verb.split())
        check(full.returncode == 0, f"{verb}: {full.stderr!r}")
        lines = full.stdout.decode().splitlines()
        header, rows = lines[0], lines[1:]
        check(len(rows) >= 2, f"{verb}: too few rows to test with: {lines}")
        r = run(ctl, db, *verb.split(), "-n", "2")
        want = rows[-2:] if newest_last else rows[:2]
        got = r.stdout.decode().splitlines()
        # widths follow the rows shown: compare the ids (first cell)
        check([l.split()[0] for l in got[1:]] == [l.split()[0] for l in want], f"{verb} -n 2: {got} want {want}")
        r = run(ctl, db, *verb.split(), "-r")
        got = r.stdout.decode().splitlines()
        check(got[0] == header and got[1:] == rows[::-1], f"{verb} -r: {got[:4]}")
        r = run(ctl, db, *verb.split(), "--no-legend")
        got = r.stdout.decode().splitlines()
        check(got == rows, f"{verb} --no-legend: {got[:3]}")
        r = run(ctl, db, *verb.split(), "-q", "-n", "1")
        check(r.returncode == 0 and len(r.stdout.decode().splitlines()) == 2 and not r.stderr, f"{verb} -q -n 1: {r!r}")
        for bad in (("-o", "xml"), ("-n", "0"), ("-n", "x")):
            r = run(ctl, db, *verb.split(), *bad)
            check(r.returncode == 2 and b"expected" in r.stderr, f"{verb} {bad}: {r.returncode} {r.stderr!r}")
        js = [json.loads(l) for l in run(ctl, db, *verb.split(), "--json").stdout.decode().splitlines()]
        check(json_objects(run(ctl, db, *verb.split(), "-o", "json").stdout.decode()) == js, f"{verb} -o json != --json")
        pretty = run(ctl, db, *verb.split(), "-o", "json-pretty").stdout.decode()
        check(json_objects(pretty) == js and "\n  \"" in pretty, f"{verb} -o json-pretty: {pretty[:200]!r}")
        js2 = json_objects(run(ctl, db, *verb.split(), "-o", "json", "-n", "1", "-r").stdout.decode())
        check(js2 == (js[-1:] if newest_last else js[:1]), f"{verb} -o json -n 1 -r: {js2}")
        # on a terminal of 80 and 160 columns: timestamps, kinds and numbers are never cut
        for cols in ("80", "160"):
            out = on_pty([ctl, "--db", db, "--no-pager", *verb.split()], {"COLUMNS": cols, "NO_COLOR": "1", "TERM": "xterm",
                                                               "LC_ALL": "C.UTF-8"}).decode("utf-8", "replace")
            out_lines = out.replace("\r", "").splitlines()
            # (search's snippets mark their own ends with "...": the store's, not a cut)
            check(verb == "search lock" or "..." not in out, f"{verb} at {cols}: '...' on a UTF-8 locale")
            for o, line in zip(js, out_lines[1:]):
                cells = line.split()
                for k in keys:
                    v = str(o.get(k))
                    check(o.get(k) is None or v in cells, f"{verb} at {cols}: {k} {v!r} cut in {line!r}")
            if verb in ("list", "reports", "search lock"):  # the others have no column that may be cut
                check(all(len(l) <= int(cols) for l in out_lines), f"{verb} at {cols}: wider lines")
        out = on_pty([ctl, "--db", db, "--no-pager", *verb.split()], {"COLUMNS": "40", "NO_COLOR": "1", "TERM": "xterm",
                                                           "LC_ALL": "C"}).decode("utf-8", "replace")
        check("\u2026" not in out, f"{verb}: '\u2026' on a C locale")
        if not has_limit:
            continue
        r = run(ctl, db, *verb.split(), "--limit", "1")
        check(b"shown" not in r.stdout and b"shown" in r.stderr, f"{verb} --limit 1: footer {r.stdout!r} {r.stderr!r}")
        check(len(r.stdout.decode().splitlines()) == 2, f"{verb} --limit 1: {r.stdout!r}")
        for quiet in (("-q",), ("--quiet",), ("--no-legend",)):
            r = run(ctl, db, *verb.split(), "--limit", "1", *quiet)
            check(r.returncode == 0 and b"shown" not in r.stdout + r.stderr, f"{verb} {quiet}: {r.stderr!r}")
        for bad in (("--kind", "nosuch"), ("--status", "nosuch")):
            r = run(ctl, db, *verb.split(), *bad)
            check(r.returncode == 2 and b"expected" in r.stderr, f"{verb} {bad}: {r.returncode} {r.stderr!r}")


def case_newest(ctl, src, tmp, update):
    """show and report without an ID show the newest; report --as-logged has the log's own lines,
    the kernel's banner included (tests/integration/test-as-logged.py: byte for byte)."""
    db = build_db(ctl, src, tmp)
    newest = json.loads(run(ctl, db, "reports", "--sort", "last_seen", "-n", "1", "--json").stdout)
    r = run(ctl, db, "report")
    check(r.returncode == 0 and r.stdout == run(ctl, db, "report", str(newest["id"])).stdout, f"report: {r!r}")
    g = json.loads(run(ctl, db, "list", "-n", "1", "--json").stdout)
    r = run(ctl, db, "show", "--json")
    check(r.returncode == 0 and json.loads(r.stdout)["id"] == g["id"], f"show: {r.stdout[:200]!r}")
    check(run(ctl, db, "report", "1", "2").returncode == 2, "report with two ids")
    empty = os.path.join(tmp, "empty.db")
    run(ctl, empty, "import", os.devnull)
    for verb, what in (("show", b"no group stored yet"), ("report", b"no report stored yet")):
        r = run(ctl, empty, verb)
        check(r.returncode == 1 and what in r.stderr, f"{verb} on an empty database: {r.returncode} {r.stderr!r}")
    check(run(ctl, db, "report", "--parsed", "--as-logged", "1").returncode == 2, "--parsed --as-logged")
    checked = 0
    for rep in [json.loads(l) for l in run(ctl, db, "reports", "--json").stdout.splitlines()][:15]:
        path = rep["source"].split(":", 1)[1]
        logged = run(ctl, db, "report", "--as-logged", str(rep["id"])).stdout.decode()
        raw = run(ctl, db, "report", str(rep["id"])).stdout.decode()
        first = raw.splitlines()[0]
        # the lines as the log had them: lines of the log, in order, with the title's
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
        got, i = logged.splitlines(), 0
        for l in got:
            while i < len(lines) and lines[i] != l:
                i += 1
            i += 1
        check(got and i <= len(lines), f"report --as-logged {rep['id']}: not the lines of {path}: {logged[:120]!r}")
        check(any(l.endswith(first) for l in got), f"report --as-logged {rep['id']}: no title line {first!r}")
        # with the banner the kernel printed: the '=' line just before the title in the log
        for i, l in enumerate(lines):
            if l.endswith(first) and i > 0 and lines[i - 1].rstrip().endswith("=" * 10):
                check(got[0] == lines[i - 1], f"{path}: the banner {got[0]!r}, the log's {lines[i - 1]!r}")
                checked += 1
                break
    check(checked >= 5, f"only {checked} banners compared with their logs")


def case_search_alias(ctl, src, tmp, update):
    """search expands a word by the class aliases (aliases.conf: &mm->mmap_sem = &mm->mmap_lock)."""
    case = os.path.join(src, "tests", "golden", "cases", "linux_report_528.txt")
    old = os.path.join(tmp, "old-kernel.txt")  # the same report as a kernel before 5.8 printed it
    with open(case, encoding="utf-8", errors="replace") as f, open(old, "w") as o:
        o.write(f.read().replace("mmap_lock", "mmap_sem"))
    db = os.path.join(tmp, "a.db")
    check(run(ctl, db, "import", "--host", "new", case).returncode == 0, "import new")
    check(run(ctl, db, "import", "--host", "old", old).returncode == 0, "import old")
    for word in ("mmap_lock", "mmap_sem"):
        r = run(ctl, db, "search", "--json", word)
        hosts = sorted({json.loads(l)["host"] for l in r.stdout.splitlines()})
        check(hosts == ["new", "old"], f"search {word}: hosts {hosts}, want both: {r.stderr!r}")
    # FTS5 syntax is left alone: a phrase finds only the text it names
    r = run(ctl, db, "search", "--json", '"mmap_sem"')
    hosts = sorted({json.loads(l)["host"] for l in r.stdout.splitlines()})
    check(hosts == ["old"], f'search "mmap_sem": {hosts}')
    r = run(ctl, db, "search", "--json", "nosuchword_xyz")
    check(r.stdout == b"", "search of an unknown word")


def case_follow(ctl, src, tmp, update):
    """follow prints the groups a concurrent import stores, and a regression; stops on SIGTERM/SIGINT."""
    import signal
    import time
    golden = os.path.join(src, "tests", "golden", "cases")
    db = build_db(ctl, src, tmp, cases=[os.path.join(golden, "linux_report_26.txt")])
    known = {json.loads(l)["id"] for l in run(ctl, db, "list", "--json").stdout.splitlines()}
    for sig in (signal.SIGTERM, signal.SIGINT):
        p = subprocess.Popen([ctl, "--db", db, "follow", "--json", "--interval", "0.2"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env())
        time.sleep(1.0)  # its first poll: what is there already is not printed
        case = "linux_report_466.txt" if sig == signal.SIGTERM else "linux_report_528.txt"
        r = run(ctl, db, "import", "--host", "h9", os.path.join(golden, case))
        check(r.returncode == 0, f"concurrent import: {r.stderr!r}")
        now = {json.loads(l)["id"] for l in run(ctl, db, "list", "--json").stdout.splitlines()}
        new = now - known
        check(len(new) >= 1, f"the import stored no new group ({case})")
        if sig == signal.SIGINT:  # a regression of a known group
            gid = sorted(known)[0]
            r = run(ctl, db, "triage", str(gid), "--status", "regressed")
            check(r.returncode == 0, f"triage regressed: {r.stderr!r}")
        time.sleep(1.5)
        t0 = time.monotonic()
        p.send_signal(sig)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            check(False, f"follow did not stop on {sig.name}")
        check(time.monotonic() - t0 < 3, f"follow took {time.monotonic() - t0:.1f} s to stop")
        check(p.returncode == 0, f"follow exit {p.returncode} on {sig.name}: {err!r}")
        events = [json.loads(l) for l in out.splitlines()]
        got_new = {e["id"] for e in events if e["event"] == "NEW"}
        check(got_new == new, f"{sig.name}: NEW {sorted(got_new)}, want {sorted(new)} (nothing old)")
        if sig == signal.SIGINT:
            check([e["id"] for e in events if e["event"] == "REGRESSED"] == [gid], f"REGRESSED: {events}")
        known = now
    # --since: the groups seen since then first
    p = subprocess.Popen([ctl, "--db", db, "follow", "--since", "2000-01-01", "--interval", "0.2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=10)
    lines = out.decode().splitlines()
    check(len(lines) == len(known) and all(l.startswith("NEW ") for l in lines), f"follow --since: {lines} {err!r}")
    check(run(ctl, db, "follow", "--interval", "0").returncode == 2, "follow --interval 0")

    # idle, follow asks only PRAGMA data_version: its CPU time stays far below that of a follow whose
    # database changes at every poll (which reads every group each time)
    # 400 groups: one report with its lock class renamed 400 times
    with open(os.path.join(golden, "linux_report_26.txt"), encoding="utf-8") as f:
        one = f.read()
    many = os.path.join(tmp, "many.txt")
    with open(many, "w", encoding="utf-8") as f:
        for i in range(400):
            f.write(one.replace("&lo->lo_ctl_mutex", f"&lo{i}->lo_ctl_mutex") + "\n")
    big = os.path.join(tmp, "big.db")
    r = run(ctl, big, "import", many)
    check(r.returncode == 0 and b"400 new groups" in r.stdout + r.stderr, f"import of 400 groups: {r.stdout!r} {r.stderr!r}")

    def cpu_ticks(pid):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def follow_cpu(busy):
        """(CPU ticks of a follow over 3 s at --interval 0.1, commits made meanwhile)"""
        p = subprocess.Popen([ctl, "--db", big, "follow", "--interval", "0.1"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env())
        try:
            time.sleep(1.0)  # its start and first read
            t0, end, commits = cpu_ticks(p.pid), time.monotonic() + 3.0, 0
            while time.monotonic() < end:
                if busy:  # a commit: the next poll sees a new data_version and reads every group
                    with sqlite3.connect(big, timeout=10) as w:
                        w.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('test-follow', ?)",
                                  (str(time.monotonic()),))
                    w.close()
                    commits += 1
                time.sleep(0.1)
            return cpu_ticks(p.pid) - t0, commits
        finally:
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=10)

    (idle, _), (busy, commits) = follow_cpu(False), follow_cpu(True)
    print(f"follow CPU over 3 s at --interval 0.1 on 400 groups: idle {idle} ticks; {busy} ticks with {commits} "
          "commits by another process")
    # without the check, an idle follow reads every group at every poll, as a busy one does
    check(busy >= 8 and idle * 4 <= busy, f"an idle follow used {idle} ticks of CPU, one with a commit per poll "
          f"{busy}: it reads the groups without a change")


def main():
    args = sys.argv[1:]
    update = "--update" in args
    lockdepd = None
    if "--lockdepd" in args:
        i = args.index("--lockdepd")
        lockdepd = args[i + 1]
        del args[i:i + 2]
    args = [a for a in args if a != "--update"]
    ctl, src, case = os.path.abspath(args[0]), os.path.abspath(args[1]), args[2]
    with tempfile.TemporaryDirectory(prefix="test-cli-") as tmp:
        fn = globals()["case_" + case]
        if case == "daemon":
            fn(ctl, src, tmp, update, lockdepd)
        else:
            fn(ctl, src, tmp, update)
    if failures:
        print(f"{len(failures)} failures")
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
