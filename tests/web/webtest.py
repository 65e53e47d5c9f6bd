# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers for the web tests (tests/integration/test-web-*.py); standard library only.

- make_db(): imports every tests/golden/cases/*.txt (and extra logs) with lockdepctl into a fresh
  database in a temporary directory.
- xss_log(): a circular report from the golden corpus whose task and lock names carry HTML/JS
  payloads; every payload sets window.__xss or calls alert() if it ever runs.
- Server: `lockdepd --web-only --db DB --listen 127.0.0.1:0`, port read from its log, stopped with
  SIGTERM (SIGKILL after a deadline); killed at exit whatever happens.
- request(): one HTTP request with http.client, returns (status, headers, body bytes).
"""

import atexit
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.normpath(os.path.join(HERE, "..", "golden", "cases"))

XSS_TASK = '"><img src=x onerror=alert(1)>'
XSS_LOCK_A = '"><img src=x onerror=window.__xss=2>'
XSS_LOCK_B = '</svg><script>window.__xss=3</script>'
XSS_TASK2 = '<script>window.__xss=1</script>'

_procs = []


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def rss_kb(pid):
    """Resident memory of a process in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(SKIP)


def xss_log(task=XSS_TASK):
    src = open(os.path.join(GOLDEN, "linux_guilty_61.txt")).read()
    s = src.replace("syz-executor.3", task)
    s = s.replace("&sbi->s_writepages_rwsem", XSS_LOCK_A)
    s = s.replace("&journal->j_checkpoint_mutex", XSS_LOCK_B)
    return s.replace("6.1.0-rc", "6.66.0-xss")


def make_db(ctl, extra=(), host=None):
    """extra: [(name, text)] logs imported after the golden cases. Returns (tmpdir, db path)."""
    tmp = tempfile.mkdtemp(prefix="lockdep-web-")
    db = os.path.join(tmp, "lockdep.db")
    cases = sorted(os.path.join(GOLDEN, f) for f in os.listdir(GOLDEN) if f.endswith(".txt"))
    cmd = [ctl, "--db", db, "import"] + (["--host", host] if host else [])
    subprocess.run(cmd + cases, check=True, capture_output=True, timeout=300)
    for name, text in extra:
        p = os.path.join(tmp, name)
        with open(p, "w") as f:
            f.write(text)
        subprocess.run(cmd + [p], check=True, capture_output=True, timeout=300)
    return tmp, db


class Server:
    def __init__(self, lockdepd, db, extra_args=(), env=None):
        self.log = db + ".web.log"
        e = dict(os.environ, **(env or {}))
        e.pop("STATE_DIRECTORY", None)
        self.p = subprocess.Popen([lockdepd, "--web-only", "--db", db, "--listen", "127.0.0.1:0",
                                   "--config", "/dev/null", *extra_args],
                                  stdout=subprocess.DEVNULL, stderr=open(self.log, "w"), env=e)
        _procs.append(self.p)
        deadline = time.time() + 20
        self.port = None
        while time.time() < deadline and self.port is None:
            if self.p.poll() is not None:
                raise RuntimeError(f"lockdepd exited: {open(self.log).read()}")
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", open(self.log).read())
            if m:
                self.port = int(m.group(1))
            time.sleep(0.05)
        if self.port is None:
            raise RuntimeError("lockdepd did not start listening")
        self.token = open(os.path.join(os.path.dirname(db), "web-token")).read().strip()
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                return self.p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
                return None
        return self.p.returncode

    def request(self, method, path, body=None, headers=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                headers = dict(headers or {}, **{"Content-Type": "application/json"})
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def json(self, path, expect=200, **kw):
        st, h, b = self.request("GET", path, **kw)
        if st != expect:
            raise AssertionError(f"GET {path}: {st} (expected {expect}): {b[:300]!r}")
        if not h.get("content-type", "").startswith("application/json"):
            raise AssertionError(f"GET {path}: content type {h.get('content-type')}")
        return json.loads(b)


class Checker:
    def __init__(self):
        self.failures = 0
        self.n = 0

    def check(self, cond, what):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {what}")
        else:
            self.failures += 1
            print(f"not ok {self.n} - {what}")
        return cond

    def done(self):
        print(f"{self.n - self.failures}/{self.n} checks passed")
        sys.exit(1 if self.failures else 0)


def cycle_log(names, task="cyc/1", kernel="6.9.0-cycle", sites=None):
    """A circular lockdep report whose cycle is names (2 or more classes, in the order the report's
    chain takes them: names[-1] is held, names[0] is being acquired). Each chain entry's stack has
    a lock wrapper (cpus_read_lock, pipe_lock, fs_reclaim_acquire) above its caller, sites[k]
    (default site_<k>_fn), which is the acquire site the dashboard must show."""
    n = len(names)
    sites = sites or [f"site_{k}_fn" for k in range(n)]
    wrappers = ["cpus_read_lock", "pipe_lock", "fs_reclaim_acquire"]
    out = ["======================================================",
           "WARNING: possible circular locking dependency detected",
           f"{kernel} #1 Not tainted",
           "------------------------------------------------------",
           f"{task} is trying to acquire lock:",
           f"ffff888000000000 ({names[0]}){{+.+.}}-{{3:3}}, at: {sites[0]}+0x10/0x20",
           "",
           "but task is already holding lock:",
           f"ffff888000000100 ({names[-1]}){{+.+.}}-{{3:3}}, at: holder_fn+0x10/0x20",
           "",
           "which lock already depends on the new lock.",
           "",
           "",
           "the existing dependency chain (in reverse order) is:",
           ""]
    # #(n-1) is the held lock, #0 the one being acquired; in between the rest of the cycle
    order = [names[-1]] + list(reversed(names[1:-1])) + [names[0]]
    for k, name in enumerate(order):
        idx = names.index(name)
        out += [f"-> #{n - 1 - k} ({name}){{+.+.}}-{{3:3}}:",
                "       lock_acquire+0x20b/0x600",
                "       down_write+0x3d/0x50",
                f"       {wrappers[idx % 3]}+0x12/0x40",
                f"       {sites[idx]}+0x4f/0x410",
                "       do_syscall_64+0x41/0xc0",
                "       entry_SYSCALL_64_after_hwframe+0x63/0xcd",
                ""]
    out += ["other info that might help us debug this:", ""]
    if n > 2:
        out += ["Chain exists of:", "  " + " --> ".join([names[0]] + names[1:-1][::-1] + [names[-1]]), ""]
    out += [" Possible unsafe locking scenario:", "",
            "       CPU0                    CPU1",
            "       ----                    ----",
            f"  lock({names[-1]});",
            f"                               lock({names[-2] if n > 2 else names[0]});",
            f"                               lock({names[-1]});",
            f"  lock({names[0]});",
            "",
            " *** DEADLOCK ***",
            "",
            f"1 lock held by {task}:",
            f" #0: ffff888000000100 ({names[-1]}){{+.+.}}-{{3:3}}, at: holder_fn+0x10/0x20",
            "",
            "stack backtrace:",
            f"CPU: 0 PID: 1 Comm: {task.split('/')[0]} Not tainted {kernel} #1",
            "Call Trace:",
            " <TASK>",
            " dump_stack_lvl+0x1b5/0x2a0",
            " </TASK>",
            ""]
    return "\n".join(out)
