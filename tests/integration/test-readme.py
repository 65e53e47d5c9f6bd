#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""README.md's tour runs as written (issue 15): the README cannot go stale silently.

Covers:
- every "$ " line of the code blocks in README.md's "## Tour" section (up to "# Reference"),
  run in order with bash in a fresh copy of the tracked files whose build/ points at this build
- each command's output has the shape shown below it: the same lines, where an ISO time, a
  16-digit signature and the port may differ, a line "..." stands for any number of lines and
  "..." inside a line for any text
- a command ending in "&" is started in the background (the dashboard) and must listen on its
  port within 20 s; 127.0.0.1:9465 is replaced by a free port; background processes are
  stopped at the end
- lines starting with "# " (root's commands) are not run; a command whose program is missing
  (curl, systemd-analyze) fails the test unless the program is absent from the machine, then
  that command is skipped with a note
- the tour has at least the parts the issue names (parse, import, list, show, dashboard, service,
  fleet, follow, report --as-logged)

Usage: test-readme.py SOURCE_ROOT BUILD_ROOT
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def tour_commands(readme):
    """[(command, [expected lines])] of the Tour section."""
    m = re.search(r"^## Tour\n(.*?)^# Reference", readme, re.S | re.M)
    if not m:
        return None
    out = []
    for block in re.findall(r"^```\n(.*?)^```", m.group(1), re.S | re.M):
        cur = None
        for ln in block.splitlines():
            if ln.startswith("$ "):
                cur = (ln[2:], [])
                out.append(cur)
            elif ln.startswith("# ") and cur is None:
                continue
            elif cur is not None:
                cur[1].append(ln)
    return out


def shape(expected):
    """A regex for the expected lines."""
    parts = []
    for ln in expected:
        if ln == "...":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        rx = ""
        for piece in re.split(r"(\.\.\.|" + ISO + r"|\b[0-9a-f]{16}\b|127\.0\.0\.1:\d+)", ln):
            if piece == "...":
                rx += r".*?"
            elif re.fullmatch(ISO, piece or "x"):
                rx += ISO
            elif re.fullmatch(r"[0-9a-f]{16}", piece or "x"):
                rx += r"[0-9a-f]{16}"
            elif re.fullmatch(r"127\.0\.0\.1:\d+", piece or "x"):
                rx += r"127\.0\.0\.1:\d+"
            else:
                rx += re.escape(piece)
        parts.append(rx + r"\n")
    return re.compile("".join(parts), re.S)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root, build = (os.path.abspath(a) for a in sys.argv[1:3])
    c = lt.Checker("readme")
    readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    cmds = tour_commands(readme)
    if not c.check(cmds, "README.md has no '## Tour' section before '# Reference' with commands"):
        c.finish()
    text = " ".join(cmd for cmd, _ in cmds)
    for part in (" parse ", " import ", " list", " show ", "--web-only", "/api/v1/", " hosts", "--check-config",
                 "systemd-analyze security", " follow", "report --as-logged"):
        c.check(part in text, f"the tour has no command with {part!r}")

    tmp = tempfile.mkdtemp(prefix="lockdep-readme-")
    bg = []
    try:
        src = os.path.join(tmp, "src")
        files = subprocess.run(["git", "-C", root, "ls-files", "-co", "--exclude-standard"], capture_output=True,
                               text=True)
        names = files.stdout.splitlines() if files.returncode == 0 else []
        if not names:
            shutil.copytree(root, src, ignore=shutil.ignore_patterns("build*", ".git", "lockdepd-state"))
        for f in names:
            if not f.startswith("build") and os.path.isfile(os.path.join(root, f)):
                os.makedirs(os.path.dirname(os.path.join(src, f)), exist_ok=True)
                shutil.copy2(os.path.join(root, f), os.path.join(src, f))
        os.symlink(build, os.path.join(src, "build"))
        port = free_port()
        env = dict(os.environ, LC_ALL="C.UTF-8", COLUMNS="200", SYSTEMD_COLORS="0")
        for k in ("LOCKDEPCTL_DB", "STATE_DIRECTORY", "NOTIFY_SOCKET", "JOURNAL_STREAM", "PAGER"):
            env.pop(k, None)
        for cmd, expected in cmds:
            run = cmd.replace("127.0.0.1:9465", f"127.0.0.1:{port}")
            prog = run.split()[0]
            if not prog.startswith("build/") and not shutil.which(prog):
                print(f"skipped, {prog} is not installed: {cmd}")
                continue
            if run.endswith("&"):
                p = subprocess.Popen(["bash", "-c", "exec " + run[:-1]], cwd=src, env=env, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(tmp, "bg.log"), "ab"), start_new_session=True)
                bg.append(p)
                c.check(wait_port(port), f"{cmd}: not listening on 127.0.0.1:{port} within 20 s")
                continue
            r = subprocess.run(["bash", "-o", "pipefail", "-c", run], cwd=src, env=env, capture_output=True,
                               text=True, timeout=120, stdin=subprocess.DEVNULL)
            c.check(r.returncode == 0, f"{cmd}: exit {r.returncode}: {r.stderr[-500:]}")
            got = r.stdout if r.stdout.endswith("\n") or not r.stdout else r.stdout + "\n"
            ok = shape(expected).fullmatch(got)
            c.check(ok, f"{cmd}: the output does not have the README's shape\n--- README:\n"
                    + "\n".join(expected) + "\n--- got:\n" + got)
    finally:
        for p in bg:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(cmds)} tour commands")
    c.finish()


if __name__ == "__main__":
    main()
