# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers for the lockdepd / store integration tests (test-daemon-*.py, test-store-*.py).

Not a test itself (it is not registered in meson.build); the tests load it with load_helpers()
below, because its file name has dashes. Standard library only.

- Daemon: runs lockdepd in the foreground with a private empty config, --no-web and a clean
  environment, logs to a file; wait_log(), stop() (SIGTERM with a deadline), kill() (SIGKILL).
  Every process started here is killed when the test exits, also on SIGTERM from meson.
- ctl()/reports()/groups(): lockdepctl with a timeout; db_query(): read-only sqlite3 access.
- wait_until(): polling with a deadline.
- Input builders: fixture_records() (a corpus report as printk records with their kernel
  timestamps), kmsg_text() (/dev/kmsg record format), journal export format entries and
  write_journal() (pipes them into systemd-journal-remote).
"""

import atexit
import hashlib
import json
import os
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lockdeptest as lt  # noqa: E402

FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures"))
JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"

_procs = []


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(timeout=10)
            except Exception:
                pass


def _on_term(signo, frame):
    # meson sends SIGTERM on timeout: leave no daemon behind
    _cleanup()
    sys.exit(128 + signo)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, _on_term)


def popen(argv, **kw):
    p = subprocess.Popen(argv, **kw)
    _procs.append(p)
    return p


def clean_env(extra=None):
    env = dict(os.environ)
    for k in ("NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID",
              "LISTEN_FDNAMES", "STATE_DIRECTORY", "LOCKDEPCTL_DB", "LOCKDEP_STORE_FAULT_PAGES"):
        env.pop(k, None)
    env["LC_ALL"] = "C"
    if extra:
        env.update(extra)
    return env


def wait_until(cond, timeout, interval=0.1):
    """Calls cond() until it returns something true or the deadline passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


class Daemon:
    def __init__(self, exe, db, args, workdir, name="lockdepd", env=None, preexec=None):
        self.exe, self.db, self.args, self.env, self.preexec = exe, db, list(args), env, preexec
        self.log_path = os.path.join(workdir, name + ".log")
        self.conf = os.path.join(workdir, name + ".conf")
        self.p = None
        self.log_start = 0
        with open(self.conf, "w"):
            pass

    def start(self):
        with open(self.log_path, "ab") as f:
            self.log_start = f.tell()
            self.p = popen([self.exe, "--config", self.conf, "--db", self.db, "--no-web", *self.args],
                           stdin=subprocess.DEVNULL, stdout=f, stderr=f, env=clean_env(self.env),
                           preexec_fn=self.preexec)
        return self

    def log(self):
        """What this run (since the last start()) logged."""
        with open(self.log_path, "rb") as f:
            f.seek(self.log_start)
            return f.read().decode("utf-8", errors="replace")

    def full_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def wait_log(self, pattern, timeout=20):
        rx = re.compile(pattern, re.M)
        return wait_until(lambda: rx.search(self.log()) or (None if self.alive() else False), timeout)

    def wait_running(self, timeout=20):
        return self.wait_log(r"lockdepd \S+ running", timeout)

    def stop(self, timeout=15):
        """SIGTERM; returns the exit status, or None if it had to be killed."""
        if self.p is None:
            return None
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                return self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
                return None
        return self.p.returncode

    def kill(self):
        if self.p is not None and self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def ctl(exe, db, *args, timeout=120, input=None):
    return subprocess.run([exe, "--db", db, *args], capture_output=True, timeout=timeout, input=input,
                          env=clean_env())


def _json_rows(exe, db, verb, *extra):
    r = ctl(exe, db, verb, "--json", *extra)
    if r.returncode != 0:
        raise RuntimeError(f"lockdepctl {verb} --json: exit {r.returncode}: {r.stderr.decode(errors='replace')}")
    return lt.parse_ndjson(r.stdout, f"lockdepctl {verb} --json")


def reports(exe, db, *extra):
    return _json_rows(exe, db, "reports", *extra)


def groups(exe, db, *extra):
    return _json_rows(exe, db, "list", *extra)


def n_reports_or_none(exe, db):
    """Number of stored reports, None while the database cannot be read yet."""
    try:
        return len(reports(exe, db))
    except (RuntimeError, lt.ParseError):
        return None


def db_count(db, table="reports"):
    """Rows in table, -1 while the database cannot be read (not there yet, being created)."""
    try:
        return db_query(db, f"SELECT count(*) FROM {table}")[0][0]
    except sqlite3.Error:
        return -1


def lockdep_parsed(v):
    """reports.parsed as text: a zlib stream in a BLOB (schema 0005, store/store-pack.c), or TEXT
    in rows written before."""
    return zlib.decompress(v).decode() if isinstance(v, bytes) else v


def register_functions(con):
    """The SQL functions store_open() registers that tests' queries use: lockdep_parsed()."""
    con.create_function("lockdep_parsed", 1, lockdep_parsed, deterministic=True)
    return con


def db_query(db, sql, args=()):
    uri = "file:" + urllib.parse.quote(db) + "?mode=ro"
    con = register_functions(sqlite3.connect(uri, uri=True, timeout=20))
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def machine_id():
    try:
        with open("/etc/machine-id") as f:
            m = f.read().strip()
        return m if re.fullmatch(r"[0-9a-f]{32}", m) else None
    except OSError:
        return None


def boot_id():
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip().replace("-", "")


# ---------------------------------------------------------------------------------------------
# Inputs

_TS = re.compile(r"^\[\s*(\d+)\.(\d{6})\](?:\[\s*([TC])(\d+)\])? ?(.*)$")


def fixture_text(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


def fixture_records(name, start_usec=None, step=137):
    """The report of tests/fixtures/NAME as printk records: a list of (usec, text). The header of the
    fixture is dropped; a line with an empty text followed by a line with the same timestamp is one
    record "\\ntext" (lockdep's "\\nbut task is already holding lock:" and the like). Lines without a
    timestamp get the previous line's plus `step` (the first ones: from start_usec on, or 1 s)."""
    lines = fixture_text(name).split("\n")
    if lines and re.match(r"^[A-Z]+:( |$)", lines[0]):
        lines = lines[lines.index("") + 1:] if "" in lines else lines
    if "REPORT:" in lines:
        lines = lines[:lines.index("REPORT:")]
    while lines and lines[-1] == "":
        lines.pop()
    t = start_usec if start_usec is not None else 1000000
    parsed = []
    for l in lines:
        m = _TS.match(l)
        if m:
            usec = int(m.group(1)) * 1000000 + int(m.group(2))
            parsed.append((usec, m.group(5)))
            t = usec
        else:
            t += step
            parsed.append((t, l))
    recs = []
    i = 0
    while i < len(parsed):
        u, txt = parsed[i]
        if txt == "" and i + 1 < len(parsed) and parsed[i + 1][1] != "" and parsed[i + 1][0] == u:
            recs.append((u, "\n" + parsed[i + 1][1]))
            i += 2
        else:
            recs.append((u, txt))
            i += 1
    return recs


def records_shift(recs, delta):
    return [(u + delta, t) for u, t in recs]


def kmsg_text(recs, seq_start, facility=0, level=4, gap_after=None, gap=0):
    """/dev/kmsg record lines ("PRI,SEQ,USEC,FLAGS;text" with \\xNN escapes), one per record, each
    followed by a dictionary line. gap_after: index after which `gap` sequence numbers are skipped.
    Returns (text, next_seq)."""
    out = []
    seq = seq_start
    for i, (u, t) in enumerate(recs):
        out.append(lt.kmsg_line(seq, u, t, level=facility * 8 + level))
        out.append(" SUBSYSTEM=test\n")
        seq += 1
        if gap_after is not None and i == gap_after:
            seq += gap
    return "".join(out), seq


def export_field(key, value):
    b = value.encode("utf-8", errors="surrogateescape") if isinstance(value, str) else value
    if b"\n" in b or any(c < 0x20 and c != 0x09 for c in b):
        return key.encode() + b"\n" + struct.pack("<Q", len(b)) + b + b"\n"
    return key.encode() + b"=" + b + b"\n"


def export_entry(fields):
    """One entry of the journal export format; fields: list of (KEY, value)."""
    return b"".join(export_field(k, v) for k, v in fields) + b"\n"


def kernel_entries(recs, machine, boot, hostname, transport="kernel", facility=None):
    """Journal fields of printk records as journald stores kernel messages (realtime added later).
    facility: SYSLOG_FACILITY (default 0 for the kernel transport, 1 otherwise; "" = no such field:
    older journald versions and hand-made files). journald stores what user space writes to /dev/kmsg
    with _TRANSPORT=kernel and the writer's facility (1 = user)."""
    if facility is None:
        facility = "0" if transport == "kernel" else "1"
    out = []
    for u, t in recs:
        f = [("_TRANSPORT", transport), ("_MACHINE_ID", machine), ("_HOSTNAME", hostname), ("_BOOT_ID", boot),
             ("PRIORITY", "4")] + ([("SYSLOG_FACILITY", str(facility))] if facility != "" else []) + [
             ("SYSLOG_IDENTIFIER", "kernel"), ("MESSAGE", t), ("__MONOTONIC_TIMESTAMP", str(u))]
        if transport == "kernel":
            f.append(("_SOURCE_MONOTONIC_TIMESTAMP", str(u)))
        out.append(f)
    return out


def interleave(*streams):
    """Round-robin merge of lists of entries."""
    out = []
    streams = [list(s) for s in streams]
    while any(streams):
        for s in streams:
            if s:
                out.append(s.pop(0))
    return out


def export_stream(entries, realtime_start, step=1000):
    """Adds increasing __REALTIME_TIMESTAMPs and renders the export text."""
    out = []
    rt = realtime_start
    for f in entries:
        out.append(export_entry([("__REALTIME_TIMESTAMP", str(rt))] + f))
        rt += step
    return b"".join(out), rt


def write_journal(path, export_bytes):
    """Pipes export-format bytes into systemd-journal-remote writing the journal file PATH
    (a name ending in .journal)."""
    r = subprocess.run([JOURNAL_REMOTE, "-o", path, "-"], input=export_bytes, capture_output=True, timeout=60)
    n = export_bytes.count(b"\n__REALTIME_TIMESTAMP=") + export_bytes.startswith(b"__REALTIME_TIMESTAMP=")
    if r.returncode != 0 or not os.path.exists(path) or f"writing {n} entries".encode() not in r.stderr:
        raise RuntimeError(f"systemd-journal-remote -o {path}: exit {r.returncode}: "
                           f"{r.stderr.decode(errors='replace')[-500:]}")


def write_journal_sparse(path, export_bytes, scratch):
    """write_journal() for directories of many files: journal-remote preallocates 8 MiB per file
    (and a data hash table sized for the file system), mostly zeros; the file is written in scratch
    (a directory nobody watches), copied to PATH with its zero blocks as holes (same bytes, a
    tenth of the disk) and renamed into place, so a watcher never sees it half-written."""
    base = os.path.basename(path)
    tmp = os.path.join(scratch, "%d-%s" % (os.getpid(), base))
    write_journal(tmp, export_bytes)
    part = os.path.join(os.path.dirname(path), "." + base + ".part")
    try:
        r = subprocess.run(["cp", "--sparse=always", tmp, part], capture_output=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"cp --sparse=always {tmp}: {r.stderr.decode(errors='replace')}")
        os.rename(part, path)
    finally:
        os.unlink(tmp)


def parse_oracle(ctlexe, text):
    """`lockdepctl parse --json` of text: the reports the parser finds (the expectation for what the
    daemon must store)."""
    return lt.run_parse(ctlexe, data=text)


def console_text(recs):
    """Printk records rendered as a console log with "[    5.123456] " prefixes (a record with
    embedded newlines becomes several lines with the same timestamp)."""
    out = []
    for u, t in recs:
        for part in t.split("\n"):
            out.append(f"{lt.ts_fmt(u)} {part}\n")
    return "".join(out)


REPORT_FIXTURES = ("linux_report_26.txt", "linux_report_234.txt", "linux_report_466.txt", "linux_guilty_61.txt")


def many_reports_log(rounds, base_usec=5000000, gap_usec=100000000):
    """A console log with len(REPORT_FIXTURES) * rounds reports, each copy at other kernel timestamps
    (so each is a distinct report), and a closing ordinary line."""
    out = []
    t = base_usec
    for i in range(rounds):
        for fx in REPORT_FIXTURES:
            r = fixture_records(fx)
            r = records_shift(r, t - r[0][0])
            out.append(console_text(r))
            t = r[-1][0] + gap_usec
            out.append(console_text([(t - gap_usec // 2, "usb 1-1: new high-speed USB device number %d" % i)]))
    out.append(console_text([(t, "EXT4-fs (sda1): mounted filesystem")]))
    return "".join(out)
