#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""lockdepctl on real terminals: tmux panes of 80 and 160 columns (issue 15, test cli-tty).

The verbs run in a shell inside detached tmux sessions (a private server on a socket in the test's
temporary directory, killed at the end; every wait is bounded), typed with send-keys and read back
with capture-pane (wrapped lines joined, so a line wider than the pane is seen whole). The width is
the terminal's own (TIOCGWINSZ): $COLUMNS is not set. The database has long host names, source
paths, kernel releases, titles and notes, so that at 80 columns something must give.

Covers, for every list verb (list, reports, hosts, kernels, locks, search, latent, suppress --list):
- at 80 and 160 columns no timestamp, kind or number is cut: each row's values of the JSON form
  (-o json, read through a pipe) are whole cells of its line; a "…" stands only where a cuttable
  column (title, host, path, kernel, note, snippet) holds a prefix of its value (and, cut in the
  middle, a suffix after it); tables with a cuttable column fit the pane; with a UTF-8 locale the
  cut is "…", never "..."; hosts (two long host names that differ near their end) fits 80
  columns, its names cut in the middle (at 160 the two stay apart), all headers at 160
- -n, -r, --no-legend, -q and -o json-pretty on the terminal: the newest N rows, the other order,
  no header, no footer on the screen (the footer is on stderr, which is the terminal too), and
  indented JSON equal to -o json
- pager and colours only on a terminal: $PAGER gets the output on the terminal, not through a pipe
  (| cat); SGR colours on the terminal, none through a pipe or with $NO_COLOR; the real less waits
  for a key with output longer than the pane, and q ends it
- show, report and stats take -o json-pretty there too

Skips (exit 77) without tmux. Usage: test-tty.py LOCKDEPCTL SOURCE_ROOT
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import latentgen  # noqa: E402
import lockdeptest as lt  # noqa: E402

ELL = "\u2026"
HOST = "build-worker-with-a-rather-long-host-name-0042.ci.example.org"
# a second one that differs from it only near its end: cut in the middle, the two stay apart
HOST2 = "build-worker-with-a-rather-long-host-name-0043.ci.example.org"
LONG_DIR = "logs-of-the-nightly-syzkaller-fleet-run-kept-under-a-long-directory-name"
LONG_KERNEL = "4.14.0-rc1-next-20171002-00042-gdeadbeefcafe-syzkaller-kasan-lockdep+"
LONG_FUNC = "blkdev_reread_partition_table_after_the_loop_device_was_reconfigured"
NOTE = "seen only on the nightly fleet with the loop driver under heavy reconfiguration load"

# the key of each verb's first column
FIRST = {"list": "id", "reports": "id", "hosts": "host", "kernels": "kernel", "locks": "name", "search lock": "id",
         "suppress --list": "id"}
# verb: (keys whose values are whole cells, keys that may be cut, rows oldest first, has a footer)
VERBS = {
    "list": (("id", "kind", "n_reports", "n_hosts", "last_seen", "status"), ("func_title",), False, True),
    "reports": (("id", "group", "kind", "time"), ("host", "kernel", "source"), True, True),
    "hosts": (("n_boots", "n_reports", "n_groups", "kernels", "boots_lockdep_off", "last_seen"),
              ("host", "kernel_last"), False, False),
    "kernels": (("n_hosts", "n_boots", "n_reports", "n_groups", "new_groups", "boots_lockdep_off", "last_seen"),
                ("kernel",), False, False),
    "locks": (("n_groups", "n_edges"), ("printed",), False, False),
    "search lock": (("id", "group", "kind", "time"), ("host", "snippet"), False, False),
    "suppress --list": (("id", "expires", "class"), ("note",), True, False),
}
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


class Tmux:
    def __init__(self, tmp, env):
        self.sock = os.path.join(tmp, "tmux.sock")
        conf = os.path.join(tmp, "tmux.conf")
        with open(conf, "w") as f:
            f.write("set -g history-limit 200000\nset -g status off\n")
        self.base = ["tmux", "-u", "-S", self.sock, "-f", conf]
        self.env = env
        self.n = 0

    def __call__(self, *args):
        r = subprocess.run(self.base + list(args), capture_output=True, text=True, env=self.env, timeout=15)
        if r.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def new(self, name, cols):
        self("new-session", "-d", "-s", name, "-x", str(cols), "-y", "50", "sh")
        return int(self("display-message", "-p", "-t", name, "#{pane_width}").strip())

    def capture(self, name, escapes=False):
        return self("capture-pane", "-p", "-J", "-S", "-", "-t", name, *(["-e"] if escapes else []))

    def type(self, name, line):
        self("send-keys", "-t", name, "-l", line)
        self("send-keys", "-t", name, "Enter")

    def run(self, name, cmd, escapes=False, timeout=60):
        """cmd's screen output (between markers the shell prints, not the ones it echoes) and status."""
        self.n += 1
        n = self.n
        self("clear-history", "-t", name)  # the last command has ended: its lines need not be read again
        self.type(name, f"printf '%s_%s\\n' BEGIN {n}; {cmd}; printf '%s_%s %s\\n' END {n} $?")
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(rf"BEGIN_{n}\n(.*?)END_{n} (\d+)\n", self.capture(name, escapes), re.S)
            if m:
                text = m.group(1)[:-1] if m.group(1).endswith("\n") else m.group(1)
                return "\n".join(l.rstrip(" ") for l in text.split("\n")), int(m.group(2))
            if time.monotonic() > deadline:
                raise RuntimeError(f"{cmd}: no end marker within {timeout} s:\n{self.capture(name)[-2000:]}")
            time.sleep(0.05)

    def kill(self):
        subprocess.run(self.base + ["kill-server"], capture_output=True, env=self.env, timeout=15)


def build_db(ctl, src, tmp, env):
    golden = os.path.join(src, "tests", "golden", "cases")
    logs = os.path.join(tmp, LONG_DIR, LONG_DIR[:40])
    os.makedirs(logs)
    with open(os.path.join(golden, "linux_report_26.txt"), encoding="utf-8") as f:
        text = f.read().replace("4.14.0-rc1+", LONG_KERNEL).replace("blkdev_reread_part", LONG_FUNC)
    with open(os.path.join(logs, "console-of-the-long-kernel.log"), "w", encoding="utf-8") as f:
        f.write(text)
    # (not linux_guilty_61.txt: the same report as 26, it would replace the changed copy)
    for name in ("linux_report_466.txt", "linux_report_528.txt", "linux_report_234.txt", "linux_report_257.txt"):
        if os.path.exists(os.path.join(golden, name)):
            shutil.copy(os.path.join(golden, name), logs)
    db = os.path.join(tmp, "tty.db")

    def ctl_run(*args):
        r = subprocess.run([ctl, "--db", db, *args], capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 0, f"lockdepctl {args}: {r.stderr}"
        return r.stdout

    files = sorted(os.path.join(logs, f) for f in os.listdir(logs))
    ctl_run("import", "--host", HOST, *files)
    ctl_run("import", "--host", "h2", files[0], files[1])
    ctl_run("import", "--host", HOST2, files[2])
    fleet = latentgen.Fleet(3, n_classes=40, pool=80, n_boots=4, n_planted=3, release=LONG_KERNEL)
    for boot, host, snap in fleet.texts():
        path = os.path.join(tmp, f"{boot}.lockdep")
        with open(path, "w") as f:
            f.write(snap)
        ctl_run("import", "--kernel", fleet.release, "--host", host, "--boot-id", boot, path)
    lock = json.loads(ctl_run("locks", "-o", "json", "-n", "1"))["name"]
    ctl_run("suppress", "--class", lock, "--note", NOTE, "--expires", "2099-01-01")
    ctl_run("suppress", "--class", lock, "--note", "short")
    return db


def cut_ok(line, p, values):
    """The "…" at line[p] ends a prefix of one of values that starts a cell, and is followed by the
    cell's end (cut at the end) or by a suffix of that value up to the cell's end (in the middle)."""
    tail = line[p + 1:]
    for v in values:
        for j in range(min(len(v), p), 0, -1):
            if line[p - j:p] != v[:j] or (p - j > 0 and line[p - j - 1] != " "):
                continue
            if not tail or tail[0] == " ":
                return True
            if any(tail.startswith(v[-t:]) and (len(tail) == t or tail[t] == " ") for t in range(1, len(v) - j + 1)):
                return True
    return False


def same_cell(cell, value):
    """cell shows value whole, or cut with "…" (at the end or in the middle)."""
    if cell == value:
        return True
    if ELL not in cell:
        return False
    head, _, tail = cell.partition(ELL)
    return value.startswith(head) and value.endswith(tail) and len(head) + len(tail) < len(value)


def has_colour(text):
    """An SGR sequence that sets bold or a colour (tmux capture-pane -e)."""
    return re.search(r"\x1b\[(?:[0-9;]*;)?(?:1|3[0-7]|38|9[0-7])(?:;[0-9;]*)?m", text) is not None


def cuttable_values(o, keys):
    out = []
    for k in keys:
        v = o.get(k)
        if isinstance(v, list):
            v = ", ".join(x["name"] if isinstance(x, dict) else str(x) for x in v)
        if v is not None:
            out.append(re.sub(r"[\n\t\r]", " ", str(v)))
    return out


def check_table(c, verb, cols, screen, js):
    cells_keys, cut_keys, _, _ = VERBS[verb]
    lines = screen.split("\n")
    c.check(len(lines) == len(js) + 1, f"{verb} at {cols}: {len(lines)} lines for {len(js)} rows: {lines[:3]}")
    for o, line in zip(js, lines[1:]):
        cells = line.split()
        for k in cells_keys:
            if o.get(k) is not None:
                c.check(str(o[k]) in cells, f"{verb} at {cols}: {k} {o[k]!r} cut or missing in {line!r}")
        for p in [m.start() for m in re.finditer(ELL, line)]:
            c.check(cut_ok(line, p, cuttable_values(o, cut_keys)), f"{verb} at {cols}: '…' outside a cuttable column at {p}: {line!r}")
    c.check("..." not in screen or verb == "search lock", f"{verb} at {cols}: '...' on a UTF-8 terminal")
    if verb == "hosts":
        # the fleet list fits even 80 columns: host names and releases cut in the middle, the
        # short headers, LAST ENTRY left out (hosts NAME shows it); whole at 160
        c.check(all(len(line) <= cols for line in lines), f"hosts at {cols}: wider than the pane: {lines}")
        long = [line.split()[0] for line in lines[1:] if line.startswith(HOST[:3])]
        c.check(len(long) == 2, f"hosts at {cols}: the two long host names: {long}")
        c.check(all(same_cell(cell, HOST) or same_cell(cell, HOST2) for cell in long) and
                all(cell[-1] != ELL for cell in long), f"hosts at {cols}: not cut in the middle: {long}")
        if cols == 160:
            # the two names differ near their end: cut in the middle, they stay apart
            c.check(len(set(long)) == 2, f"hosts at 160: the two long host names look the same: {long}")
            c.check("LAST ENTRY" in lines[0] and "LOCKDEP OFF" in lines[0], f"hosts at 160: headers {lines[0]!r}")
    # wider than the pane only when the columns that are never cut do not fit by themselves: then
    # every cuttable one is down to its least width (6, table.c MIN_WIDTH)
    for line in lines[1:]:
        if len(line) > cols:
            cut = [w for w in line.split() if ELL in w]
            c.check(cut and all(len(w) <= 6 for w in cut), f"{verb} at {cols}: a line wider than the pane "
                    f"with cuttable columns not at their least width: {line!r}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    if not shutil.which("tmux"):
        lt.skip("tmux is not installed (tools/setup.sh installs it)")
    ctl, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    c = lt.Checker("tty")
    env = {k: v for k, v in os.environ.items()
           if k not in ("COLUMNS", "LINES", "PAGER", "SYSTEMD_PAGER", "NO_COLOR", "LOCKDEPCTL_DB", "LESS",
                        "SYSTEMD_LESS", "SYSTEMD_COLORS", "TMUX", "TMUX_PANE", "LANG", "LANGUAGE")}
    env.update(LC_ALL="C.UTF-8", TERM="xterm-256color", PS1="$ ", ENV="")
    tmp = tempfile.mkdtemp(prefix="test-tty-")
    tm = Tmux(tmp, env)
    try:
        db = build_db(ctl, src, tmp, env)
        L = f"{shlex.quote(ctl)} --db {shlex.quote(db)}"

        def piped(*args):
            r = subprocess.run([ctl, "--db", db, *args], capture_output=True, text=True, env=env, timeout=120)
            c.check(r.returncode == 0, f"{args}: exit {r.returncode}: {r.stderr}")
            return r.stdout

        for cols in (80, 160):
            name = f"w{cols}"
            c.eq(tm.new(name, cols), cols, f"the pane's width")
            cut_somewhere = False
            for verb in VERBS:
                screen, rc = tm.run(name, f"{L} --no-pager {verb}")
                c.check(rc == 0, f"{verb} at {cols}: exit {rc}: {screen[-300:]}")
                js = lt.json_objects(piped(*verb.split(), "-o", "json"))
                check_table(c, verb, cols, screen, js)
                cut_somewhere |= ELL in screen
            if cols == 80:
                c.check(cut_somewhere, "nothing was cut at 80 columns: the long names do not test anything")
            # latent: no table; its times and counts are whole, whatever the width
            screen, rc = tm.run(name, f"{L} --no-pager latent")
            lat = json.loads(piped("latent", "-o", "json"))
            c.check(rc == 0 and len(lat["cycles"]) >= 2, f"latent at {cols}: exit {rc}, {len(lat['cycles'])} cycles")
            for cyc in lat["cycles"]:
                c.check(f"#{cyc['id']} " in screen, f"latent at {cols}: cycle {cyc['id']} missing")
                for e in cyc["edges"]:
                    want = f"{e['boots']} boot{'s' if e['boots'] != 1 else ''} on {e['hosts']} host" \
                           f"{'s' if e['hosts'] != 1 else ''} since {e['first_seen']}"
                    c.check(want in screen, f"latent at {cols}: {want!r} not whole")
            c.check(LONG_KERNEL + ":" in screen, f"latent at {cols}: the release is cut")

        # ---- the output options on the terminal, every list verb --------------------------------
        name = "w80"
        for verb, (_, _, newest_last, footer) in VERBS.items():
            full, _ = tm.run(name, f"{L} --no-pager {verb}")
            rows = full.split("\n")[1:]
            ids = [r.split()[0] for r in rows]
            js = lt.json_objects(piped(*verb.split(), "-o", "json"))
            c.check(len(rows) >= 2, f"{verb}: too few rows to test with: {rows}")
            screen, _ = tm.run(name, f"{L} --no-pager {verb} -n 2")
            want = [str(o[FIRST[verb]]) for o in (js[-2:] if newest_last else js[:2])]
            got = [r.split()[0] for r in screen.split("\n")[1:] if r.strip() and "shown" not in r]
            c.check(len(got) == 2 and all(same_cell(g, w) for g, w in zip(got, want)),
                    f"{verb} -n 2 on the terminal: {got}, want {want}")
            if footer:
                c.check("shown" in screen, f"{verb} -n 2: no footer on the terminal: {screen!r}")
            screen, _ = tm.run(name, f"{L} --no-pager {verb} -r")
            c.eq([r.split()[0] for r in screen.split("\n")[1:]], ids[::-1], f"{verb} -r on the terminal")
            screen, _ = tm.run(name, f"{L} --no-pager {verb} --no-legend")
            c.eq(screen.split("\n"), rows, f"{verb} --no-legend on the terminal")
            screen, rc = tm.run(name, f"{L} --no-pager {verb} -q -n 1")
            c.check(rc == 0 and len(screen.split("\n")) == 2 and "shown" not in screen, f"{verb} -q -n 1: {screen!r}")
            screen, rc = tm.run(name, f"{L} --no-pager {verb} -o json-pretty")
            c.check(rc == 0 and lt.json_objects(screen) == js and '\n  "' in screen,
                    f"{verb} -o json-pretty on the terminal: {screen[:300]!r}")
        lat = json.loads(piped("latent", "-o", "json"))
        screen, _ = tm.run(name, f"{L} --no-pager latent -n 1")
        c.eq(re.findall(r"^  #(\d+) ", screen, re.M), [str(lat["cycles"][0]["id"])], "latent -n 1")
        screen, _ = tm.run(name, f"{L} --no-pager latent -r")
        c.eq(re.findall(r"^  #(\d+) ", screen, re.M), [str(x["id"]) for x in lat["cycles"]][::-1], "latent -r")
        screen, _ = tm.run(name, f"{L} --no-pager latent --no-legend")
        c.check(LONG_KERNEL + ":" not in screen and screen.startswith("  #"), f"latent --no-legend: {screen[:200]!r}")
        screen, _ = tm.run(name, f"{L} --no-pager latent -o json-pretty")
        c.check(lt.json_objects(screen) == [lat] and '\n  "' in screen, f"latent -o json-pretty: {screen[:200]!r}")
        screen, _ = tm.run(name, f"{L} --no-pager latent -o json -n 1 -r")
        c.eq([x["id"] for x in lt.json_objects(screen)[0]["cycles"]], [lat["cycles"][0]["id"]], "latent -o json -n 1 -r")
        for verb in ("show", "report", "stats"):
            want = json.loads(piped(*verb.split(), "-o", "json"))
            screen, rc = tm.run(name, f"{L} --no-pager {verb} -o json-pretty")
            c.check(rc == 0 and lt.json_objects(screen) == [want] and '\n  "' in screen,
                    f"{verb} -o json-pretty on the terminal: {screen[:200]!r}")

        # ---- pager and colours only on a terminal ------------------------------------------------
        screen, rc = tm.run(name, f"PAGER='sed s/^/PAGED:/' {L} list")
        lines = [l for l in screen.split("\n") if l.strip()]
        c.check(rc == 0 and lines and all(l.startswith("PAGED:") for l in lines), f"$PAGER not used on the terminal: {lines[:3]}")
        screen, rc = tm.run(name, f"PAGER='sed s/^/PAGED:/' {L} list | cat", escapes=True)
        c.check(rc == 0 and "PAGED:" not in screen and "ID" in screen, f"$PAGER used through a pipe: {screen[:200]!r}")
        c.check(not has_colour(screen), f"colours through a pipe: {screen[:200]!r}")
        screen, _ = tm.run(name, f"{L} --no-pager list", escapes=True)
        c.check(has_colour(screen), f"no colours (bold header) on the terminal: {screen[:200]!r}")
        screen, _ = tm.run(name, f"NO_COLOR=1 {L} --no-pager list", escapes=True)
        c.check(not has_colour(screen), f"colours despite $NO_COLOR: {screen[:200]!r}")
        if shutil.which("less"):
            gid = lt.json_objects(piped("list", "-o", "json", "-n", "1"))[0]["id"]
            tm.n += 1
            n = tm.n
            tm.type(name, f"clear; {L} show {gid}; printf '%s_%s %s\\n' END {n} $?")
            time.sleep(2.0)
            text = tm.capture(name)
            c.check(f"END_{n}" not in text, "show on the terminal did not wait in less (longer than the pane)")
            visible = tm("capture-pane", "-p", "-t", name)
            c.check(visible.lstrip("\n").startswith(f"Group {gid}:"), f"less does not show the group first: {visible[:200]!r}")
            tm("send-keys", "-t", name, "q")
            deadline = time.monotonic() + 15
            while f"END_{n} 0" not in tm.capture(name) and time.monotonic() < deadline:
                time.sleep(0.05)
            c.check(f"END_{n} 0" in tm.capture(name), "q did not end less with exit status 0")
        screen, rc = tm.run(name, f"{L} show | cat")
        c.check(rc == 0 and screen.startswith("Group "), f"show through a pipe: {screen[:200]!r}")
    finally:
        tm.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
