#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile input and CLI error handling of `lockdepctl parse --json`.

Covers (one CASE per meson test):
  random    1 MB of random bytes (fixed seed), on stdin and as a file: exit 1 with a message naming
            the input as binary, no output; a report between random bytes is still found (exit 0)
  utf8      invalid UTF-8 in a task name and a lock name: output is valid UTF-8 JSON, report kept
  nul       NUL bytes before, inside and after a report; 256 KiB of NUL bytes is binary (exit 1)
  longline  a 1 MiB line before a report (report found one line later) and inside a report
  cut       a report cut after every line: exit 0, never a crash, truncated where cut before the
            backtrace, no report before the title
  parens    10,000 nested (and unbalanced) parentheses in a lock name
  junk      binary junk lines between the lines of a report
  memory    peak RSS < 64 MiB while 200 MB of generated non-lockdep log is streamed via stdin
  endless   peak RSS < 64 MiB for a report that never ends (100 MB of stack frames); the report is
            emitted truncated
  cli       unreadable file -> exit 1 + message naming it; unknown option -> exit 2; --help -> 0
            and lists --json; /dev/null and an empty file -> exit 0, no output, "is empty" on stderr;
            a log without reports -> exit 0, "no lockdep report in FILE (N lines read)"
  compressed the same reports from .gz, .xz, .zst (and concatenated .gz members, and on stdin) as
            from the plain file, for parse and import; a truncated or corrupt compressed file ->
            exit 1 and a message, the reports before the cut kept (the cut one truncated)
Input report: tests/fixtures/linux_report_26.txt (a 4.14 circular report with timestamps).

Usage: test-badinput.py LOCKDEPCTL FIXTURE_DIR CASE
"""

import os
import random
import re
import resource
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402

MIB = 1024 * 1024
TITLE = b"WARNING: possible circular locking dependency detected"


class Bad:
    def __init__(self, ctl, fixtures):
        self.ctl = ctl
        self.fixtures = fixtures
        with open(os.path.join(fixtures, "linux_report_26.txt"), "rb") as f:
            self.report = f.read()
        self.lines = self.report.split(b"\n")
        if self.lines[-1] == b"":
            self.lines.pop()
        self.title_line = next(i for i, l in enumerate(self.lines) if TITLE in l) + 1
        self.bt_line = next(i for i, l in enumerate(self.lines) if b"stack backtrace:" in l) + 1
        self.c = lt.Checker("badinput")
        self.ref = self.parse(self.report, "reference")
        self.c.check(len(self.ref) == 1, "reference report not found")
        self.ref = self.ref[0] if self.ref else {}

    def run(self, args, data=None, timeout=300):
        return subprocess.run([self.ctl, *args], input=data, capture_output=True, timeout=timeout)

    def parse(self, data, what):
        try:
            reps = lt.run_parse(self.ctl, data=data)
        except lt.ParseError as e:
            self.c.check(False, f"{what}: {e}")
            return []
        except subprocess.TimeoutExpired:
            self.c.check(False, f"{what}: timed out")
            return []
        for r in reps:
            for e in lt.contract_errors(r):
                self.c.check(False, f"{what}: {e}")
        return reps

    def same_report(self, r, what, line_shift=0):
        self.c.eq(r.get("kind"), "circular", f"{what}: kind")
        self.c.eq(r.get("signature"), self.ref.get("signature"), f"{what}: signature")
        self.c.eq(r.get("cycle"), self.ref.get("cycle"), f"{what}: cycle")
        self.c.eq(r.get("first_line"), self.ref.get("first_line", 0) + line_shift, f"{what}: first_line")

    # -----------------------------------------------------------------------------------------

    def case_random(self):
        rng = random.Random(20240601)
        data = rng.randbytes(1000 * 1000)
        r = self.run(["parse", "--json", "-"], data)
        self.c.eq((r.returncode, r.stdout), (1, b""), "random bytes on stdin: exit status and output")
        self.c.check(b"<stdin>: binary data, not a kernel log" in r.stderr,
                     f"random bytes on stdin: message {r.stderr[:300]!r}")
        with tempfile.NamedTemporaryFile(prefix="lockdep-random-") as f:
            f.write(data)
            f.flush()
            r = self.run(["parse", "--json", f.name])
            self.c.eq((r.returncode, r.stdout), (1, b""), "random bytes as a file: exit status and output")
            self.c.check(f"{f.name}: binary data".encode() in r.stderr and b"not gzip, xz or zstd" in r.stderr,
                         f"random bytes as a file: message {r.stderr[:300]!r}")
        # random bytes around the report: the report is still found
        reps = self.parse(data[:500000] + b"\n" + self.report + data[500000:], "random bytes around a report")
        self.c.check(any(r.get("kind") == "circular" and r.get("cycle") == self.ref.get("cycle") for r in reps),
                     "report between random bytes not found")

    def case_utf8(self):
        bad = b"syz\xff\xfe\xc3(\xc0\xaf\xed\xa0\x80\x80x"
        data = self.report.replace(b"syz-executor0", bad)
        r = self.run(["parse", "--json", "-"], data)
        self.c.eq(r.returncode, 0, "invalid UTF-8 task: exit status")
        try:
            r.stdout.decode("utf-8")
            ok = True
        except UnicodeDecodeError as e:
            ok = False
            self.c.check(False, f"invalid UTF-8 task: output is not UTF-8: {e}")
        if ok:
            reps = self.parse(data, "invalid UTF-8 task")
            if self.c.check(len(reps) == 1, f"invalid UTF-8 task: {len(reps)} reports"):
                self.same_report(reps[0], "invalid UTF-8 task")
                self.c.eq(reps[0].get("pid"), 22269, "invalid UTF-8 task: pid")
                self.c.check(isinstance(reps[0].get("task"), str) and reps[0]["task"].startswith("syz"),
                             f"invalid UTF-8 task: task {reps[0].get('task')!r}")
        data = self.report.replace(b"&bdev->bd_mutex", b"&bdev->\xc3\x28bd_mutex\xff")
        reps = self.parse(data, "invalid UTF-8 lock name")
        self.c.check(len(reps) == 1, f"invalid UTF-8 lock name: {len(reps)} reports")
        # valid UTF-8 passes through unchanged
        reps = self.parse(self.report.replace(b"syz-executor0", "grüß-€".encode()), "UTF-8 task")
        if reps:
            self.c.eq(reps[0].get("task"), "grüß-€", "UTF-8 task name")

    def case_nul(self):
        junk = b"abc\0def\0\0\0 ghi\n\0\0\0\n[    1.000000] usb 1-1: new \0 device\n"
        reps = self.parse(junk + self.report + junk, "NUL lines around a report")
        if self.c.check(len(reps) == 1, f"NUL lines around: {len(reps)} reports"):
            self.same_report(reps[0], "NUL lines around", 3)
        data = self.report.replace(b"syz-executor0", b"syz-\0xecutor0").replace(b"&bdev->bd_mutex", b"&bdev->\0d_mutex")
        reps = self.parse(data, "NUL inside a report")
        self.c.check(len(reps) == 1, f"NUL inside a report: {len(reps)} reports")
        r = self.run(["parse", "--json", "-"], b"\0" * (256 * 1024))
        self.c.eq((r.returncode, r.stdout), (1, b""), "256 KiB of NUL bytes: exit status and output")
        self.c.check(b"binary data" in r.stderr, f"256 KiB of NUL bytes: message {r.stderr[:300]!r}")

    def case_longline(self):
        big = b"x" * MIB + b"\n"
        reps = self.parse(big + self.report, "1 MiB line before a report")
        if self.c.check(len(reps) == 1, f"1 MiB line before: {len(reps)} reports"):
            self.same_report(reps[0], "1 MiB line before", 1)
            self.c.eq(reps[0].get("last_line"), self.ref.get("last_line", 0) + 1, "1 MiB line before: last_line")
        at = self.lines.index(next(l for l in self.lines if b"-> #0" in l)) + 1
        data = b"\n".join(self.lines[:at] + [b"y" * MIB] + self.lines[at:]) + b"\n"
        reps = self.parse(data, "1 MiB line inside a report")
        self.c.check(len(reps) >= 1, "1 MiB line inside a report: no report")
        data = self.report.replace(b"&bdev->bd_mutex", b"a" * MIB)
        self.parse(data, "1 MiB lock name")
        reps = self.parse(self.report + b"z" * MIB, "1 MiB unterminated last line")
        self.c.check(len(reps) == 1, "1 MiB unterminated last line: report lost")

    def case_cut(self):
        for k in range(len(self.lines) + 1):
            data = b"".join(l + b"\n" for l in self.lines[:k])
            what = f"cut after line {k}"
            reps = self.parse(data, what)
            if k < self.title_line:
                self.c.check(not reps, f"{what} (before the title): {len(reps)} reports")
                continue
            if not self.c.check(len(reps) == 1, f"{what}: {len(reps)} reports"):
                continue
            r = reps[0]
            self.c.eq(r.get("kind"), "circular", f"{what}: kind")
            self.c.eq(r.get("first_line"), self.title_line, f"{what}: first_line")
            self.c.check(isinstance(r.get("last_line"), int) and r["last_line"] <= k,
                         f"{what}: last_line {r.get('last_line')} after the cut")
            if k < self.bt_line:
                self.c.eq(r.get("truncated"), True, f"{what} (before 'stack backtrace:' at {self.bt_line}): truncated")
        # the same cuts without the final newline
        for k in range(self.title_line, len(self.lines) + 1, 7):
            data = b"\n".join(self.lines[:k])
            reps = self.parse(data, f"cut inside line {k}")
            self.c.check(len(reps) == 1, f"cut inside line {k}: {len(reps)} reports")

    def case_parens(self):
        deep = b"(" * 10000 + b"&bdev->bd_mutex" + b")" * 10000
        reps = self.parse(self.report.replace(b"&bdev->bd_mutex", deep), "10,000 nested parentheses")
        if self.c.check(len(reps) == 1, f"nested parentheses: {len(reps)} reports"):
            self.c.eq(reps[0].get("kind"), "circular", "nested parentheses: kind")
            self.c.check(deep.decode() in (reps[0].get("cycle") or []),
                         "nested parentheses: the nested class name is not in the cycle")
        self.parse(self.report.replace(b"&bdev->bd_mutex", b"(" * 10000), "10,000 unbalanced '('")
        self.parse(self.report.replace(b"&bdev->bd_mutex", b")" * 10000), "10,000 unbalanced ')'")
        self.parse(b"(" * (1 << 20) + b"\n" + self.report, "1 MiB of '(' before a report")

    def case_junk(self):
        rng = random.Random(77)
        for variant in range(5):
            out = []
            for i, l in enumerate(self.lines):
                out.append(l)
                if i + 1 > self.title_line and rng.random() < 0.15:
                    out.append(bytes(b for b in rng.randbytes(rng.randrange(1, 200)) if b != 10))
            data = b"\n".join(out) + b"\n"
            reps = self.parse(data, f"junk variant {variant}")
            if self.c.check(len(reps) >= 1, f"junk variant {variant}: no report"):
                self.c.eq(reps[0].get("kind"), "circular", f"junk variant {variant}: kind")
                self.c.eq(reps[0].get("first_line"), self.title_line, f"junk variant {variant}: first_line")

    def peak_rss(self, chunks, what, expect_reports):
        """Streams chunks into `lockdepctl parse --json -`; returns the child's peak RSS in KiB.
        Must be the only child this process ever waits for (RUSAGE_CHILDREN is a maximum over all)."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        self.c.eq(before, 0, f"{what}: test self-check (no earlier child)")
        with tempfile.TemporaryFile() as out:
            p = subprocess.Popen([self.ctl, "parse", "--json", "-"], stdin=subprocess.PIPE, stdout=out,
                                 stderr=subprocess.PIPE)
            total = 0
            try:
                for ch in chunks:
                    p.stdin.write(ch)
                    total += len(ch)
                p.stdin.close()
            except BrokenPipeError:
                self.c.check(False, f"{what}: lockdepctl closed its input after {total} bytes")
            err = p.stderr.read()
            rc = p.wait()
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            out.seek(0)
            data = out.read()
        self.c.eq(rc, 0, f"{what}: exit status (stderr {err[:300]!r})")
        try:
            reps = lt.parse_ndjson(data, what)
        except lt.ParseError as e:
            self.c.check(False, str(e))
            reps = []
        print(f"{what}: {total / 1e6:.0f} MB streamed, peak RSS {rss / 1024:.1f} MiB, {len(reps)} reports")
        self.c.check(rss < 64 * 1024, f"{what}: peak RSS {rss / 1024:.1f} MiB >= 64 MiB")
        expect_reports(reps)

    def case_memory(self):
        rng = random.Random(5)
        bodies = [
            b"usb 1-1: new high-speed USB device number 2 using xhci_hcd",
            b"EXT4-fs (sda1): mounted filesystem with ordered data mode. Quota mode: none.",
            b"audit: type=1400 audit(1700000000.123:42): apparmor=\"STATUS\" operation=\"profile_load\"",
            b"e1000e 0000:00:1f.6 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
            b"INFO: task kworker/u8:3:123 blocked for more than 143 seconds.",
            b"Showing all locks held in the system:",
            b"1 lock held by khungtaskd/30:",
            b" #0: ffffffff8c5a3d60 (rcu_read_lock){....}-{1:2}, at: debug_show_all_locks+0x75/0x340",
            b"2 locks held by kworker/u8:3/123:",
            b" #0: ffff888012345678 ((wq_completion)events){+.+.}-{0:0}, at: process_one_work+0x1e0/0x5c0",
            b"=============================================",
            b"WARNING: CPU: 1 PID: 4242 at drivers/gpu/drm/drm_gem.c:123 drm_gem_object_free+0x3c/0x40",
            b"Call Trace:",
            b" <TASK>",
            b" dump_stack_lvl+0x48/0x70",
            b" </TASK>",
            b"---[ end trace 0000000000000000 ]---",
            b"BUG: sleeping function called from invalid context at kernel/locking/mutex.c:283",
            b"INFO: lockdep is turned off.",
            b"L" * 4000,
        ]
        target = 200 * 1000 * 1000

        def gen():
            t = 0
            sent = 0
            while sent < target:
                parts = []
                size = 0
                while size < MIB:
                    t += rng.randrange(1, 5000)
                    line = b"[%5d.%06d] " % (t // 1000000, t % 1000000) + bodies[rng.randrange(len(bodies))] + b"\n"
                    parts.append(line)
                    size += len(line)
                chunk = b"".join(parts)
                sent += len(chunk)
                yield chunk

        def expect(reps):
            self.c.eq(len(reps), 0, "200 MB non-lockdep log: reports")

        self.peak_rss(gen(), "200 MB non-lockdep log", expect)

    def case_endless(self):
        head = b"".join(l + b"\n" for l in self.lines[:self.lines.index(
            next(l for l in self.lines if b"-> #1" in l)) + 1])
        target = 100 * 1000 * 1000

        def gen():
            yield head
            sent = len(head)
            i = 0
            while sent < target:
                chunk = b"".join(b"[  127.%06d]        some_function_%d+0x1e/0x40\n" % (i % 1000000, i + k)
                                 for k in range(20000))
                i += 20000
                sent += len(chunk)
                yield chunk

        def expect(reps):
            if self.c.check(len(reps) >= 1, "endless report: not emitted"):
                self.c.eq(reps[0].get("kind"), "circular", "endless report: kind")
                self.c.eq(reps[0].get("truncated"), True, "endless report: truncated")
                self.c.eq(reps[0].get("first_line"), self.title_line, "endless report: first_line")

        self.peak_rss(gen(), "endless report", expect)

    def case_cli(self):
        with tempfile.TemporaryDirectory(prefix="lockdep-cli-") as d:
            missing = os.path.join(d, "no-such-file.log")
            r = self.run(["parse", "--json", missing])
            self.c.eq(r.returncode, 1, "missing file: exit status")
            self.c.check(missing.encode() in r.stderr or b"no-such-file.log" in r.stderr,
                         f"missing file: stderr does not name the file: {r.stderr[:300]!r}")
            self.c.eq(r.stdout, b"", "missing file: stdout")
            r = self.run(["parse", "--json", d])
            self.c.eq(r.returncode, 1, "directory as input: exit status")
            self.c.check(os.path.basename(d).encode() in r.stderr,
                         f"directory as input: stderr does not name it: {r.stderr[:300]!r}")
            good = os.path.join(d, "good.log")
            with open(good, "wb") as f:
                f.write(self.report)
            r = self.run(["parse", "--json", good, missing])
            self.c.eq(r.returncode, 1, "good file + missing file: exit status")
            self.c.check(b"no-such-file.log" in r.stderr, "good file + missing file: stderr does not name it")
            r = self.run(["parse", "--json", good, good])
            self.c.eq(r.returncode, 0, "the same file twice: exit status")
            try:
                reps = lt.parse_ndjson(r.stdout)
                self.c.eq(len(reps), 2, "the same file twice: reports")
            except lt.ParseError as e:
                self.c.check(False, f"the same file twice: {e}")
        for args in (["parse", "--no-such-option", "-"], ["--no-such-option"]):
            r = self.run(args, b"")
            self.c.eq(r.returncode, 2, f"lockdepctl {' '.join(args)}: exit status")
            self.c.check(r.stderr != b"", f"lockdepctl {' '.join(args)}: no message on stderr")
        r = self.run(["no-such-verb"], b"")
        self.c.check(r.returncode != 0, "unknown verb: exit status 0")
        r = self.run(["parse", "--help"])
        self.c.eq(r.returncode, 0, "parse --help: exit status")
        self.c.check(b"--json" in r.stdout, f"parse --help does not list --json: {r.stdout[:300]!r}")
        r = self.run(["--help"])
        self.c.eq(r.returncode, 0, "--help: exit status")
        self.c.check(b"parse" in r.stdout, "--help does not list the parse verb")
        r = self.run(["parse", "--json", "/dev/null"])
        self.c.eq((r.returncode, r.stdout), (0, b""), "/dev/null: exit status and output")
        self.c.check(b"/dev/null is empty" in r.stderr, f"/dev/null: note {r.stderr!r}")
        r = self.run(["parse", "--json", "-"], b"just some log line\n[    1.000000] second line\n")
        self.c.eq((r.returncode, r.stdout), (0, b""), "no report on stdin: exit status and output")
        self.c.eq(r.stderr, b"lockdepctl parse: no lockdep report in <stdin> (2 lines read)\n", "no report: note")
        # text that is no kernel log at all gets another note (still exit 0: it is text)
        for text in (b"hello\nworld\n", b"id,name\n1,foo\n2,bar\n"):
            r = self.run(["parse", "--json", "-"], text)
            self.c.eq((r.returncode, r.stdout), (0, b""), f"not a kernel log {text!r}: exit status and output")
            self.c.check(b"<stdin> does not look like a kernel log" in r.stderr and b"no lockdep report in <stdin> (" not in r.stderr,
                         f"not a kernel log {text!r}: note {r.stderr!r}")
        # each kind of kernel line is recognised: the kernel-log note
        for line in (b"<4>some message", b"4,123,456789,-;some message", b"Feb 03 10:11:12 host kernel: x",
                     b"Linux version 6.1.0 (gcc)", b"[Tue Jan 14 03:08:12 2025] hello"):
            r = self.run(["parse", "--json", "-"], b"first\n" + line + b"\n")
            self.c.check(b"no lockdep report in <stdin> (2 lines read)" in r.stderr, f"kernel line {line!r}: note {r.stderr!r}")
        with tempfile.TemporaryDirectory(prefix="lockdep-cli-") as d:
            empty = os.path.join(d, "empty.log")
            open(empty, "wb").close()
            r = self.run(["parse", "--json", empty])
            self.c.eq((r.returncode, r.stdout), (0, b""), "empty file: exit status and output")
            self.c.eq(r.stderr, f"lockdepctl parse: {empty} is empty\n".encode(), "empty file: note")
            r = self.run(["parse", "--json", empty, "-"], self.report)
            self.c.eq(r.returncode, 0, "empty file and a report: exit status")
            self.c.eq(len(lt.parse_ndjson(r.stdout)), 1, "empty file and a report: reports")

    def case_compressed(self):
        import gzip
        import lzma
        import shutil
        import zlib
        with tempfile.TemporaryDirectory(prefix="lockdep-z-") as d:
            # two reports in one log, so that a cut can fall between them
            with open(os.path.join(self.fixtures, "linux_report_466.txt"), "rb") as f:
                other = f.read()
            plain = self.report + b"[  200.000000] some other line\n" + other
            path = os.path.join(d, "console.log")
            with open(path, "wb") as f:
                f.write(plain)
            want = self.run(["parse", "--json", path])
            self.c.eq(want.returncode, 0, "plain: exit status")
            self.c.eq(len(lt.parse_ndjson(want.stdout)), 2, "plain: reports")
            files = {"gz": gzip.compress(plain), "xz": lzma.compress(plain),
                     "gz-concat": gzip.compress(plain[:1000]) + gzip.compress(plain[1000:])}
            if shutil.which("zstd"):
                files["zst"] = subprocess.run(["zstd", "-q", "-c", path], capture_output=True, check=True).stdout
            else:
                self.c.check(False, "zstd not installed (tools/setup.sh installs it)")
            for ext, data in files.items():
                # a misleading name: the magic bytes decide
                zpath = os.path.join(d, f"console-{ext}.txt")
                with open(zpath, "wb") as f:
                    f.write(data)
                r = self.run(["parse", "--json", zpath])
                self.c.eq((r.returncode, r.stdout, r.stderr), (0, want.stdout, b""), f"{ext}: parse output")
                r = self.run(["parse", "--json", "-"], data)
                self.c.eq((r.returncode, r.stdout), (0, want.stdout), f"{ext} on stdin: parse output")
                db = os.path.join(d, f"{ext}.db")
                r = self.run(["--db", db, "import", "--host", "h", zpath])
                self.c.eq(r.returncode, 0, f"{ext}: import exit status ({r.stderr[:300]!r})")
                self.c.check(b"2 reports stored" in r.stdout, f"{ext}: import summary {r.stdout!r}")
                r = self.run(["--db", db, "import", "--host", "h", path])
                self.c.check(b"0 reports stored" in r.stdout and b"2 already in the database" in r.stdout,
                             f"{ext}: plain file after the compressed one: {r.stdout!r}")
            # cut inside the second report: the first one complete, the second truncated, exit 1
            gz = gzip.compress(plain)
            second = plain.index(b"WARNING: ", len(self.report))

            def plain_len(cut):
                return len(zlib.decompressobj(31).decompress(gz[:cut]))
            # the shortest cut that leaves 300 bytes of the second report's text
            inside = next(c for c in range(len(gz)) if plain_len(c) > second + 300)
            self.c.check(plain_len(inside) < len(plain) - 300, "test self-check: the cut is inside report 2")
            for cut in (len(gz) - 9, inside):
                zpath = os.path.join(d, "cut.gz")
                with open(zpath, "wb") as f:
                    f.write(gz[:cut])
                r = self.run(["parse", "--json", zpath])
                self.c.eq(r.returncode, 1, f"gzip cut at {cut}: exit status")
                self.c.check(b"cut.gz: gzip data ends early" in r.stderr, f"gzip cut at {cut}: message {r.stderr!r}")
                reps = lt.parse_ndjson(r.stdout)
                # the complete first report is always read before the cut
                self.c.check(len(reps) >= 1 and reps[0].get("truncated") is False,
                             f"gzip cut at {cut}: first report {[(x.get('kind'), x.get('truncated')) for x in reps]}")
                if cut == inside:
                    self.c.check(len(reps) == 2 and reps[1].get("truncated") is True,
                                 f"gzip cut at {cut} (inside report 2 at byte {second}): "
                                 f"{[(x.get('kind'), x.get('truncated')) for x in reps]}")
                r = self.run(["--db", os.path.join(d, "cut.db"), "import", zpath])
                self.c.eq(r.returncode, 1, f"gzip cut at {cut}: import exit status")
                self.c.check(re.search(rb"\d+ reports? stored", r.stdout) and b"ends early" in r.stderr,
                             f"gzip cut at {cut}: import output {r.stdout!r} {r.stderr!r}")
            bad = bytearray(gzip.compress(plain))
            for i in range(len(bad) // 2, len(bad) // 2 + 40):
                bad[i] ^= 0x55
            r = self.run(["parse", "--json", "-"], bytes(bad))
            self.c.eq(r.returncode, 1, "corrupt gzip: exit status")
            self.c.check(b"corrupt gzip data" in r.stderr, f"corrupt gzip: message {r.stderr!r}")
            # compressed binary junk is binary too
            r = self.run(["parse", "--json", "-"], gzip.compress(random.Random(3).randbytes(100000)))
            self.c.eq(r.returncode, 1, "gzip of random bytes: exit status")
            self.c.check(b"binary data, not a kernel log (after gzip decompression)" in r.stderr,
                         f"gzip of random bytes: message {r.stderr!r}")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ctl, fixtures, case = sys.argv[1:4]
    if case in ("memory", "endless"):
        # RUSAGE_CHILDREN is a maximum over every child ever waited for: the measured run must be
        # the first child of this process, so skip the reference parse done in __init__.
        b = Bad.__new__(Bad)
        b.ctl = ctl
        with open(os.path.join(fixtures, "linux_report_26.txt"), "rb") as f:
            b.report = f.read()
        b.lines = b.report.split(b"\n")[:-1]
        b.title_line = next(i for i, l in enumerate(b.lines) if TITLE in l) + 1
        b.c = lt.Checker(f"badinput {case}")
    else:
        b = Bad(ctl, fixtures)
        b.c.name = f"badinput {case}"
    fn = getattr(b, "case_" + case, None)
    if not fn:
        sys.exit(f"unknown case {case}\n{__doc__}")
    fn()
    b.c.finish()


if __name__ == "__main__":
    main()
