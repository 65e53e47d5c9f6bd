#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Errors that name the key or the path and the fix (issue 15), with their exit statuses.

Covers, each case as one stderr line that must contain the key or path, the bad value and the
words of the fix, and an exact exit status:
- lockdepd --check-config: unknown key, bad boolean, bad log level, a line without '=', an
  empty 'db =', a port out of range, a journal-dir and a kmsg-path that do not exist, a missing
  --config file; distinct messages for unknown key, bad value and bad level
- lockdepd --db: a directory, a missing parent directory, an unwritable directory (as nobody,
  when the test runs as root), both with --check-config and at start
- lockdepctl --db: a directory (SQLite's "disk I/O error"), a missing database, a 0700 state
  directory of another user (SQLite's "database does not exist" for EACCES)
- conflicting flags: --web-only --no-web, --kmsg with --no-kmsg, --listen with --no-web,
  --web-only with a source
- a web server that cannot listen (port taken) stops lockdepd with status 1, naming the
  address and "web = no"; a host name in listen (localhost:0) is accepted and served
- "<N>" prefixes and MESSAGE_ID= only when stderr is not a terminal (pty vs pipe)
- --follow DIR/x.log whose directory appears later: the report is stored once it does

Usage: test-daemon-errors.py LOCKDEPD LOCKDEPCTL
"""

import importlib.util
import os
import pty
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

_spec = importlib.util.spec_from_file_location(
    "dh", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-daemon-helpers.py"))
dh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dh)
lt = dh.lt

SAMPLE = os.path.normpath(os.path.join(dh.HERE, "..", "..", "contrib", "sample.log"))
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def run(argv, timeout=30, cwd=None):
    try:
        r = subprocess.run(argv, capture_output=True, timeout=timeout, env=dh.clean_env(), cwd=cwd,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def expect(c, what, argv, status, *words, cwd=None):
    """One stderr line, the only error line, holds every word; the exit status is `status`."""
    r = run(argv, cwd=cwd)
    if not c.check(r is not None, f"{what}: did not exit"):
        return
    c.check(r[0] == status, f"{what}: exit {r[0]}, want {status}; stderr {r[2]!r}")
    lines = [ln for ln in r[2].splitlines() if ln.strip()]
    hit = [ln for ln in lines if all(w in ln for w in words)]
    c.check(hit, f"{what}: no stderr line contains all of {words}: {lines}")
    errors = [ln for ln in lines if not re.match(r"<[4-7]>", ln)]  # notices and info may come before
    c.check(len(errors) == 1, f"{what}: {len(errors)} error lines on stderr, want one: {lines}")
    c.check("configuration OK" not in r[1], f"{what}: says configuration OK")
    return r


def config_cases(c, d, tmp):
    def conf(name, text):
        p = os.path.join(tmp, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    p = conf("unknown.conf", "db = /tmp/x.db\n\nbogus-key = 1\n")
    r1 = expect(c, "unknown key", [d, "--config", p, "--check-config"], 2, f"{p}:3", "unknown key 'bogus-key'",
                "known keys: db, kmsg")
    p = conf("bool.conf", "kmsg = maybe\n")
    r2 = expect(c, "bad boolean", [d, "--config", p, "--check-config"], 2, f"{p}:1", "kmsg = maybe",
                "expected yes or no")
    p = conf("level.conf", "# c\nlog-level = loud\n")
    r3 = expect(c, "bad level", [d, "--config", p, "--check-config"], 2, f"{p}:2", "log-level = loud",
                "expected emerg", "debug, or 0-7")
    msgs = [re.sub(r"^.*?:\d+: ", "", r[2].strip()) for r in (r1, r2, r3) if r]
    c.check(len(set(msgs)) == 3, f"unknown key, bad value and bad level share a message: {msgs}")
    p = conf("noeq.conf", "web = no\nfollow /var/log/vm1.log\n")
    expect(c, "no '='", [d, "--config", p, "--check-config"], 2, f"{p}:2", "follow /var/log/vm1.log",
           "not a 'key = value' line")
    p = conf("emptydb.conf", "db =\n")
    expect(c, "empty db", [d, "--config", p, "--check-config"], 2, f"{p}:1", "db has an empty value",
           "expected the database file")
    p = conf("port.conf", "listen = 127.0.0.1:99999\n")
    expect(c, "port out of range", [d, "--config", p, "--check-config"], 2, "listen = 127.0.0.1:99999",
           "0 to 65535", "127.0.0.1:9465")
    expect(c, "--listen without port", [d, "--listen", "localhost", "--check-config"], 2, "--listen",
           "listen = localhost", "ADDRESS:PORT")
    missing = os.path.join(tmp, "no-such-dir")
    p = conf("jdir.conf", f"journal-dir = {missing}\n")
    expect(c, "journal-dir missing", [d, "--config", p, "--check-config"], 2, f"journal-dir = {missing}",
           "No such file or directory", "create the directory or remove the setting")
    p = conf("kpath.conf", f"kmsg-path = {missing}/kmsg\n")
    expect(c, "kmsg-path missing", [d, "--config", p, "--check-config"], 2, f"kmsg-path = {missing}/kmsg",
           "No such file", "create the file")
    expect(c, "missing --config", [d, "--config", f"{missing}.conf", "--check-config"], 2, f"{missing}.conf",
           "No such file or directory", "check --config")
    # the same rules for flags
    expect(c, "bad --log-level", [d, "--log-level", "loud", "--check-config"], 2, "--log-level",
           "log-level = loud", "expected emerg")
    expect(c, "--db ''", [d, "--db", "", "--check-config"], 2, "--db", "empty value")
    # host names are addresses too
    r = run([d, "--listen", "localhost:9470", "--check-config", "--config", conf("empty.conf", "")])
    c.check(r is not None and r[0] == 0 and "configuration OK" in r[1], f"listen localhost:9470: {r}")


def db_cases(c, d, ctl, tmp):
    sub = os.path.join(tmp, "adir")
    os.mkdir(sub)
    base = [d, "--config", os.path.join(tmp, "empty.conf"), "--no-kmsg", "--no-journal", "--no-web"]
    for mode in (["--check-config"], []):
        tag = " (--check-config)" if mode else " (start)"
        expect(c, "--db DIR" + tag, base + ["--db", sub, *mode], 2, f"db = {sub}", "is a directory",
               f"--db {sub}/lockdep.db")
        nope = os.path.join(tmp, "no", "such", "x.db")
        expect(c, "--db missing parent" + tag, base + ["--db", nope, *mode], 2, nope,
               f"directory {os.path.dirname(nope)} does not exist", f"mkdir -p {os.path.dirname(nope)}")
    c.check(not os.listdir(sub), f"a database was created in {sub}: {os.listdir(sub)}")
    expect(c, "lockdepctl --db DIR", [ctl, "--db", sub, "list"], 1, sub, "is a directory", "lockdep.db")
    gone = os.path.join(tmp, "gone.db")
    expect(c, "lockdepctl missing database", [ctl, "--db", gone, "list"], 1, gone, "does not exist", "--db")
    c.check(not os.path.exists(gone), "lockdepctl created the missing database")

    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("not root (or no setpriv): the permission cases need a second user; skipped")
        return
    # an unwritable directory, seen by nobody
    ro = os.path.join(tmp, "ro")
    os.mkdir(ro, 0o755)
    os.chmod(tmp, 0o755)
    expect(c, "--db in an unwritable directory", NOBODY + base + ["--db", f"{ro}/x.db"], 2, f"{ro}/x.db",
           f"directory {ro} is not writable", "Permission denied", "uid 65534", "make it writable")
    # lockdepctl and a state directory of mode 0700 (as StateDirectory= makes it)
    state = os.path.join(tmp, "state")
    os.mkdir(state, 0o700)
    r = run([ctl, "--db", f"{state}/lockdep.db", "import", SAMPLE])
    c.check(r is not None and r[0] == 0, f"import into the state directory: {r}")
    expect(c, "lockdepctl, 0700 state directory", NOBODY + [ctl, "--db", f"{state}/lockdep.db", "list"], 1,
           f"{state}/lockdep.db", f"directory {state}: Permission denied", "run as root")


def flag_cases(c, d, tmp):
    e = ["--config", os.path.join(tmp, "empty.conf"), "--check-config"]
    expect(c, "--web-only --no-web", [d, "--web-only", "--no-web", *e], 2, "--web-only", "--no-web",
           "drop one of them")
    expect(c, "--kmsg --no-kmsg", [d, "--kmsg", "/dev/null", "--no-kmsg", *e], 2, "--kmsg /dev/null",
           "--no-kmsg", "drop one of them")
    expect(c, "--listen --no-web", [d, "--listen", "127.0.0.1:0", "--no-web", *e], 2, "--listen 127.0.0.1:0",
           "--no-web", "drop one of them")
    expect(c, "--web-only --follow", [d, "--web-only", "--follow", "/tmp/x.log", *e], 2, "--web-only",
           "--follow", "drop one of them")


def web_cases(c, d, ctl, tmp):
    db = os.path.join(tmp, "web.db")
    r = run([ctl, "--db", db, "import", SAMPLE])
    c.check(r is not None and r[0] == 0, f"import: {r}")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        expect(c, "port taken", [d, "--config", os.path.join(tmp, "empty.conf"), "--db", db, "--no-kmsg",
                                 "--no-journal", "--listen", f"127.0.0.1:{port}"], 1,
               f"127.0.0.1:{port}", "cannot listen", "Address already in use", "web = no")
    finally:
        s.close()
    # localhost:0 resolves and serves
    w = dh.Daemon(d, db, [], tmp, name="web-localhost")
    with open(w.log_path, "ab") as f:
        w.p = dh.popen([d, "--config", w.conf, "--db", db, "--web-only", "--listen", "localhost:0"],
                       stdin=subprocess.DEVNULL, stdout=f, stderr=f, env=dh.clean_env())
    m = w.wait_log(r"listening on http://127\.0\.0\.1:(\d+)/")
    c.check(m, f"--listen localhost:0 did not listen on 127.0.0.1: {w.log()!r}")
    if m:
        with socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=10) as cs:
            cs.sendall(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
            c.check(cs.recv(100).startswith(b"HTTP/1."), "localhost:0: no HTTP answer")
    w.stop()


def run_on_pty(argv, timeout=20):
    """stderr (and stdout) on a pseudo-terminal; returns (status, text)."""
    master, slave = pty.openpty()
    p = dh.popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=dh.clean_env())
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    try:
        return p.wait(timeout=10), out.decode(errors="replace")
    except subprocess.TimeoutExpired:
        p.kill()
        return None, out.decode(errors="replace")


def terminal_cases(c, d, tmp):
    bad = os.path.join(tmp, "bool.conf")
    st, text = run_on_pty([d, "--config", bad, "--check-config"])
    c.check(st == 2 and "kmsg = maybe" in text and "<3>" not in text, f"a terminal got a <N> prefix: {text!r}")
    r = run([d, "--config", bad, "--check-config"])
    c.check(r and r[2].startswith("<3>"), f"a pipe got no <N> prefix: {r}")

    # a new group: MESSAGE_ID= in a log file, not on a terminal
    log = os.path.join(tmp, "vm1.log")
    shutil.copy(SAMPLE, log)
    for on_tty in (True, False):
        db = os.path.join(tmp, f"msgid-{on_tty}.db")
        argv = [d, "--config", os.path.join(tmp, "empty.conf"), "--db", db, "--no-kmsg", "--no-journal",
                "--no-web", "--follow", log]
        if on_tty:
            # stops itself: SIGTERM once the group is announced
            master, slave = pty.openpty()
            p = dh.popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=dh.clean_env())
            os.close(slave)
            out = b""
            deadline = time.monotonic() + 30
            while b"New lockdep report group" not in out and time.monotonic() < deadline:
                out += os.read(master, 4096)
            p.terminate()
            p.wait(timeout=15)
            os.close(master)
            text = out.decode(errors="replace")
            c.check("New lockdep report group 1" in text, f"tty: no new-group line: {text!r}")
            c.check("MESSAGE_ID=" not in text and not re.search(r"^<\d>", text, re.M),
                    f"tty: MESSAGE_ID= or <N> printed on a terminal: {text!r}")
        else:
            w = dh.Daemon(d, db, ["--no-kmsg", "--no-journal", "--follow", log], tmp, name="msgid").start()
            c.check(w.wait_log(r"^<5>New lockdep report group 1: .* MESSAGE_ID=[0-9a-f]{32}$", 30),
                    f"file: no MESSAGE_ID on the new-group line: {w.log()!r}")
            w.stop()


def follow_late(c, d, ctl, tmp):
    late = os.path.join(tmp, "late", "a", "b")
    log = os.path.join(late, "vm7.log")
    db = os.path.join(tmp, "late.db")
    w = dh.Daemon(d, db, ["--no-kmsg", "--no-journal", "--follow", log], tmp, name="late").start()
    c.check(w.wait_log(r"directory .*late/a/b does not exist yet; waiting for it", 20) and w.wait_running(),
            f"--follow with a missing directory did not start and wait: {w.log()!r}")
    os.makedirs(os.path.dirname(late))
    time.sleep(0.3)
    os.mkdir(late)
    shutil.copy(SAMPLE, log)
    ok = dh.wait_until(lambda: len(dh.reports(ctl, db)) == 1 if os.path.exists(db) else False, 30)
    c.check(ok, f"the report of a file whose directory appeared later was not stored: {w.log()!r}")
    c.eq(w.stop(), 0, "exit status after SIGTERM")
    c.check(w.log().count("does not exist yet") == 1, f"the wait is announced more than once: {w.log()!r}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    d, ctl = sys.argv[1:3]
    c = lt.Checker("daemon-errors")
    tmp = tempfile.mkdtemp(prefix="lockdep-errors-")
    try:
        with open(os.path.join(tmp, "empty.conf"), "w"):
            pass
        config_cases(c, d, tmp)
        db_cases(c, d, ctl, tmp)
        flag_cases(c, d, tmp)
        if "+web" in run([d, "--version"])[1]:
            web_cases(c, d, ctl, tmp)
        terminal_cases(c, d, tmp)
        follow_late(c, d, ctl, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
