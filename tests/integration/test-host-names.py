#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One host name rule at every entry point (issue 14, common/host-name.h).

A table of names, good and hostile (control characters and an ANSI escape, U+202E, a zero-width
space, 10,000 characters, invalid UTF-8, a backslash, empty), is given to each way a host name
comes in:

- refused with the rule's reason: `lockdepctl import --host`, `lockdepctl push --host`,
  `POST /api/v1/ingest?host=` (400); a good name is stored as given;
- cannot be refused: the host of imported syslog (RFC 5424) text and a remote journal's
  _HOSTNAME (an empty one at neither: no host word, no name, the machine id identifies it) (lockdepd --journal-dir, skipped without systemd-journal-remote): a good name is stored
  as given, a hostile one under the same sanitized name at both (visible escapes, a backslash,
  at most 255 bytes), and lockdep_hosts_sanitized on /metrics counts them.

Every entry point agrees: the set of names refused/sanitized is the same set, the rule's.

Usage: test-host-names.py LOCKDEPD LOCKDEPCTL
"""

import importlib.util
import os
import re
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
c = wt.Checker()
tmp = tempfile.mkdtemp(prefix="lockdep-hostnames-")
FIXTURE = os.path.join(wt.GOLDEN, "fs-inode-pair.txt")
LINES = open(FIXTURE).read().splitlines()

# (label, name as bytes, valid?, the sanitized name when known exactly)
TABLE = [
    ("plain", b"web-01.example.com", True, None),
    ("utf-8", "h\u00f6st-\u00fc".encode(), True, None),
    ("script", b"<script>alert(1)</script>", True, None),  # valid: escaping keeps it inert
    ("empty", b"", False, "\\empty"),
    ("ansi", b"evil\x1b[31mhost", False, "evil\\x1b[31mhost"),
    ("bell", b"bell\x07host", False, "bell\\x07host"),
    ("del", b"del\x7fhost", False, "del\\x7fhost"),
    ("rlo", "rtl\u202ehost".encode(), False, "rtl\\u202ehost"),
    ("zwsp", "zw\u200bsp".encode(), False, "zw\\u200bsp"),
    ("invalid-utf8", b"bad\xffutf8", False, "bad\\xffutf8"),
    ("backslash", b"back\\slash", False, "back\\x5cslash"),
    ("10k", b"h" * 10000, False, None),
]


def db_new(name):
    db = os.path.join(tmp, name, "lockdep.db")
    os.makedirs(os.path.dirname(db))
    subprocess.run([ctl, "--db", db, "import", "/dev/null"], check=True, capture_output=True)
    return db


def hostnames(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.text_factory = bytes
    try:
        return [r[0] for r in con.execute("SELECT hostname FROM hosts WHERE hostname IS NOT NULL")]
    finally:
        con.close()


def decode(b):
    return b.decode("utf-8", errors="surrogateescape")


def sanitized_ok(s, label):
    """A stored sanitized name: a backslash, nothing that acts or hides, at most 255 bytes."""
    c.check(b"\\" in s and len(s) <= 255, f"{label}: sanitized name {s[:80]!r}")
    t = s.decode("utf-8")  # valid UTF-8
    c.check(not re.search("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", t),
            f"{label}: controls left in {s[:80]!r}")


results = {}  # entry point -> {label: True (accepted as given) / False (refused or sanitized)}

# ---- lockdepctl import --host ----
db = db_new("import")
res = {}
for label, name, _, _ in TABLE:
    r = subprocess.run([ctl, "--db", db, "import", "--host", decode(name), FIXTURE], capture_output=True,
                       env=dh.clean_env())
    ok = r.returncode == 0
    if not ok:
        c.check(r.returncode == 2 and b"--host: the name " in r.stderr and b"Traceback" not in r.stderr,
                f"import --host {label}: exit {r.returncode}: {r.stderr[-300:]!r}")
    else:
        c.check(name in hostnames(db), f"import --host {label}: not stored as given")
    res[label] = ok
results["import --host"] = res
c.check(not any(b"\\" in h for h in hostnames(db)), "import --host: nothing stored sanitized")

# ---- lockdepctl push --host and POST /api/v1/ingest?host= ----
db = db_new("web")
srv = wt.Server(lockdepd, db)
token_file = os.path.join(tmp, "token")
with open(token_file, "w") as f:
    f.write(srv.token + "\n")
res_push, res_ingest = {}, {}
body = open(FIXTURE, "rb").read()
for label, name, _, _ in TABLE:
    r = subprocess.run([ctl, "push", "--url", srv.base, "--token-file", token_file, "--host", decode(name), FIXTURE],
                       capture_output=True, timeout=120, env=dh.clean_env())
    res_push[label] = r.returncode == 0
    if r.returncode:
        c.check(r.returncode == 2 and b"--host: the name " in r.stderr,
                f"push --host {label}: exit {r.returncode}: {r.stderr[-300:]!r}")
    st, _, b = srv.request("POST", "/api/v1/ingest?host=" + urllib.parse.quote_from_bytes(name), body=body,
                           headers={"Authorization": f"Bearer {srv.token}"})
    res_ingest[label] = st in (200, 201)
    if not res_ingest[label]:
        c.check(st == 400 and (b"host: the name " in b or (not name and b"host is required" in b)),
                f"ingest host={label}: {st} {b[:300]!r}")
    else:
        c.check(name in hostnames(db), f"ingest host={label}: not stored as given")
results["push --host"] = res_push
results["POST /api/v1/ingest"] = res_ingest
c.check(not any(b"\\" in h for h in hostnames(db)), "push/ingest: nothing stored sanitized")
st, _, m = srv.request("GET", "/metrics")
c.check(st == 200 and b"\nlockdep_hosts_sanitized 0\n" in m, "metrics of the web db: no sanitized host")
srv.stop()

# ---- the host of imported syslog text (RFC 5424: a host word of any length) ----
db = db_new("text")
stored_text = {}
res = {}
for label, name, _, _ in TABLE:
    if not name:
        continue  # a prefix without a host word names no host: the import's --host applies
    text = b"".join(b"<4>1 2024-01-02T03:04:05.123Z " + name + b" kernel - - - " + l.encode() + b"\n"
                    for l in LINES)
    path = os.path.join(tmp, "text-" + label + ".log")
    with open(path, "wb") as f:
        f.write(text)
    before = set(hostnames(db))
    r = subprocess.run([ctl, "--db", db, "import", path], capture_output=True, env=dh.clean_env())
    c.check(r.returncode == 0, f"import of text with host {label}: exit {r.returncode} {r.stderr[-300:]!r}")
    new = set(hostnames(db)) - before
    c.check(len(new) == 1, f"text host {label}: {len(new)} new hosts")
    got = new.pop() if new else b""
    stored_text[label] = got
    res[label] = got == name
results["imported text"] = res

# ---- a remote journal's _HOSTNAME ----
stored_journal = {}
if os.access(dh.JOURNAL_REMOTE, os.X_OK):
    db = db_new("journal")
    jdir = os.path.join(tmp, "remote-journal")
    os.makedirs(jdir)
    recs = dh.fixture_records("linux_report_26.txt")
    # an entry without a _HOSTNAME (or an empty one) names no host: its machine id identifies it
    jtable = [t for t in TABLE if t[1]]
    ents = []
    for i, (label, name, _, _) in enumerate(jtable):
        ents += dh.kernel_entries(recs, "%032x" % (0xabc0 + i), "%032x" % (0xb0070 + i), name)
    data, _ = dh.export_stream(ents, 1700000000000000)
    dh.write_journal(os.path.join(jdir, "remote.journal"), data)
    d = dh.Daemon(lockdepd, db, ["--no-kmsg", "--no-journal", "--journal-dir", jdir], tmp).start()
    c.check(d.wait_running(), f"lockdepd did not start: {d.log()}")
    dh.wait_until(lambda: (dh.n_reports_or_none(ctl, db) or 0) >= len(jtable), 60, 0.2)
    d.stop()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.text_factory = bytes
    by_machine = dict(con.execute("SELECT machine_id, hostname FROM hosts"))
    con.close()
    res = {}
    for i, (label, name, _, _) in enumerate(jtable):
        got = by_machine.get(b"%032x" % (0xabc0 + i))
        c.check(got is not None, f"journal host {label}: no host row for its machine")
        stored_journal[label] = got or b""
        res[label] = got == name
    results["remote journal"] = res
    srv = wt.Server(lockdepd, db)
    st, _, m = srv.request("GET", "/metrics")
    want = sum(1 for t in jtable if not t[2])
    c.check(st == 200 and f"\nlockdep_hosts_sanitized {want}\n".encode() in m,
            f"metrics: lockdep_hosts_sanitized {want}: {re.findall(rb'lockdep_hosts_sanitized.*', m)}")
    srv.stop()
else:
    print(f"# {dh.JOURNAL_REMOTE} missing: the journal entry point is not tested")

# ---- every entry point agrees with the rule, and so with each other ----
want = {label: valid for label, _, valid, _ in TABLE}
for ep, res in results.items():
    for label, ok in res.items():
        c.check(ok == want[label], f"{ep}: {label} {'accepted' if ok else 'refused/sanitized'}, "
                                   f"the rule says {'valid' if want[label] else 'invalid'}")
for label, name, valid, exact in TABLE:
    for ep, stored in (("imported text", stored_text), ("remote journal", stored_journal)):
        if label not in stored or valid:
            continue
        if ep == "imported text" and label == "ansi":
            # the parser takes colour (SGR) sequences out of log text (dmesg --color=always) before
            # it reads the prefix: what is left is a valid name, not the one given
            c.check(stored[label] == b"evilhost", f"{ep} {label}: stored as {stored[label]!r}")
            continue
        sanitized_ok(stored[label], f"{ep} {label}")
        if exact:
            c.check(stored[label] == exact.encode(), f"{ep} {label}: stored as {stored[label][:80]!r}, "
                                                     f"not {exact!r}")
    if label in stored_text and label in stored_journal and label != "ansi":
        c.check(stored_text[label] == stored_journal[label],
                f"{label}: text and journal store different names {stored_text[label][:60]!r} "
                f"{stored_journal[label][:60]!r}")
sys.exit(c.done())
