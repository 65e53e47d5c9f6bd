# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers for the Python integration tests (Debian /usr/bin/python3, standard library only).

- run_parse(): runs `lockdepctl parse --json` on a file or on bytes, checks the exit status and that
  stdout is NDJSON (one JSON object per line), returns the list of report dicts.
- TAP-ish reporting: Checker collects failures with context and exits 0/1; skip() exits 77 (meson
  treats 77 as SKIP for exitcode tests).
- Report surgery used by the property tests: strip console prefixes, re-render a bare report in
  another rendering (timestamps, caller ids, <N>, syslog, journalctl, /dev/kmsg records, CRLF,
  quoted mail).
"""

import json
import os
import re
import subprocess
import sys

SKIP = 77

CONTRACT_TYPES = {
    "kind": str, "title": str, "kernel": (str, type(None)), "tainted": (str, type(None)),
    "task": (str, type(None)), "pid": int, "cycle": list, "classes": list,
    "acquiring": (dict, type(None)), "holding": (dict, type(None)), "chain": list, "held_locks": list,
    "scenario": list, "backtrace": list, "signature": str, "sig_version": int, "key": (str, type(None)),
    "func_title": (str, type(None)), "truncated": bool, "first_line": int, "last_line": int,
}
# fields every report must carry (the others may be omitted when a kind does not have them)
ALWAYS = ("kind", "title", "signature", "sig_version", "truncated", "first_line", "last_line")

KINDS = ("circular", "recursive", "inconsistent", "irq_inversion", "safe_unsafe", "bad_unlock_balance",
         "bad_contention", "held_lock_freed", "held_at_exit", "return_to_user", "nested_lock_not_taken",
         "invalid_wait_context", "suspicious_rcu", "non_static_key", "chain_key_collision", "capacity",
         "internal")


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(SKIP)


def shared_or_skip(shared):
    d = os.path.join(shared, "corpus", "syzkaller")
    if not os.path.isfile(os.path.join(d, "MANIFEST.tsv")):
        skip(f"{d} not present (the shared specs live next to the repository)")
    return d


class ParseError(Exception):
    pass


def run_parse(ctl, path=None, data=None, extra=(), timeout=300):
    """Returns the list of reports; raises ParseError on a non-zero exit or bad NDJSON."""
    if data is not None:
        if isinstance(data, str):
            data = data.encode()
        r = subprocess.run([ctl, "parse", "--json", *extra, "-"], input=data, capture_output=True,
                           timeout=timeout)
        what = "<stdin>"
    else:
        r = subprocess.run([ctl, "parse", "--json", *extra, path], capture_output=True, timeout=timeout)
        what = path
    if r.returncode != 0:
        raise ParseError(f"lockdepctl parse {what}: exit status {r.returncode}; stderr: "
                         f"{r.stderr.decode(errors='replace')[:500]}")
    return parse_ndjson(r.stdout, what)


def parse_ndjson(out, what="output"):
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ParseError(f"{what}: output is not valid UTF-8: {e}")
    reps = []
    for i, line in enumerate(text.split("\n")):
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ParseError(f"{what}: output line {i + 1} is not JSON ({e}): {line[:300]}")
        if not isinstance(obj, dict):
            raise ParseError(f"{what}: output line {i + 1} is not a JSON object")
        reps.append(obj)
    if text and not text.endswith("\n"):
        raise ParseError(f"{what}: NDJSON output does not end with a newline")
    return reps


def norm_class(c):
    """A class name without the boot-order dependent #N suffix (the /N subclass stays)."""
    return re.sub(r"#\d+(?=(/\d+)?$)", "", (c or "").strip())


def norm(cycle):
    return [norm_class(c) for c in (cycle or [])]


def contract_errors(rep):
    """Type errors of one report object against DESIGN.md section 5."""
    errs = []
    for k in ALWAYS:
        if k not in rep:
            errs.append(f"missing field {k}")
    for k, t in CONTRACT_TYPES.items():
        if k in rep and not isinstance(rep[k], t):
            errs.append(f"field {k} has type {type(rep[k]).__name__}")
        if k in rep and t is int and isinstance(rep[k], bool):
            errs.append(f"field {k} is a boolean, not an integer")
    if rep.get("kind") not in KINDS:
        errs.append(f"unknown kind {rep.get('kind')!r}")
    sig = rep.get("signature")
    if not isinstance(sig, str) or not re.fullmatch(r"[0-9a-f]{16}", sig):
        errs.append(f"signature {sig!r} is not 16 lower-case hex digits")
    if rep.get("sig_version") != 1:
        errs.append(f"sig_version {rep.get('sig_version')!r} != 1")
    for k in ("cycle", "classes", "scenario", "backtrace"):
        if k in rep and isinstance(rep[k], list) and not all(isinstance(x, str) for x in rep[k]):
            errs.append(f"{k} has non-string entries")
    if isinstance(rep.get("cycle"), list) and isinstance(rep.get("classes"), list):
        if len(rep["cycle"]) != len(rep["classes"]):
            errs.append("cycle and classes differ in length")
    for k in ("acquiring", "holding"):
        v = rep.get(k)
        if isinstance(v, dict) and not isinstance(v.get("class"), str):
            errs.append(f"{k}.class is not a string")
    for e in rep.get("chain") or []:
        if not (isinstance(e, dict) and isinstance(e.get("n"), int) and isinstance(e.get("class"), str)
                and isinstance(e.get("stack"), list)):
            errs.append(f"bad chain entry {str(e)[:120]}")
            break
    for h in rep.get("held_locks") or []:
        if not isinstance(h, (dict, str)):
            errs.append("held_locks entry is neither an object nor a string")
            break
    fl, ll = rep.get("first_line"), rep.get("last_line")
    if isinstance(fl, int) and isinstance(ll, int) and not (1 <= fl <= ll):
        errs.append(f"first_line {fl} / last_line {ll} out of order")
    return errs


class Checker:
    """Collects failures; finish() prints a summary and exits 1 if anything failed."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.n = 0

    def check(self, cond, msg):
        self.n += 1
        if not cond:
            self.failures.append(msg)
            if len(self.failures) <= 40:
                print(f"FAIL: {msg}", flush=True)
        return cond

    def eq(self, got, want, what):
        return self.check(got == want, f"{what}: got {got!r}, want {want!r}")

    def finish(self):
        if self.failures:
            print(f"{self.name}: {len(self.failures)} of {self.n} checks failed")
            sys.exit(1)
        print(f"{self.name}: all {self.n} checks passed")
        sys.exit(0)


# ---------------------------------------------------------------------------------------------
# Prefix stripping and re-rendering (for the property tests)

_PREFIX = re.compile(r"^(?:<\d+>)?(?:\[\s*\d+\.\d+\])?(?:\[\s*[TC]\d+\])? ?")


def bare_lines(text):
    """Lines of a syzkaller console log with the `[ts]`/`[Tn]` prefixes removed, without the
    upstream test-file header (everything up to the first empty line) and without a REPORT: part."""
    lines = text.split("\n")
    if lines and re.match(r"^[A-Z]+:( |$)", lines[0]):
        try:
            lines = lines[lines.index("") + 1:]
        except ValueError:
            pass
    if "REPORT:" in lines:
        lines = lines[:lines.index("REPORT:")]
    out = []
    for l in lines:
        m = _PREFIX.match(l)
        out.append(l[m.end():] if m and l.startswith(("[", "<")) else l)
    while out and out[-1] == "":
        out.pop()
    return out


def ts_fmt(usec):
    return "[%5d.%06d]" % (usec // 1000000, usec % 1000000)


def render(lines, style, rng, caller="T1"):
    """Renders bare report lines (a list of str) in one of the supported log renderings; returns
    bytes. Timestamps increase monotonically from a random start."""
    t = rng.randrange(1, 90000) * 1000000 + rng.randrange(1000000)
    host = rng.choice(["syzkaller", "testbox", "h-01"])
    out = []

    def tick():
        nonlocal t
        t += rng.randrange(0, 3000)
        return t

    if style == "bare":
        out = [l + "\n" for l in lines]
    elif style == "ts":
        out = [f"{ts_fmt(tick())} {l}\n" for l in lines]
    elif style == "ts-caller":
        cid = "[%6s]" % caller
        out = [f"{ts_fmt(tick())}{cid} {l}\n" for l in lines]
    elif style == "level":
        out = [f"<4>{ts_fmt(tick())} {l}\n" for l in lines]
    elif style == "syslog":
        out = [f"Jan  1 00:00:{rng.randrange(60):02d} {host} kernel: {ts_fmt(tick())} {l}\n" for l in lines]
    elif style == "journal":
        # journalctl -o short-precise: "Mon DD HH:MM:SS.uuuuuu host kernel: MESSAGE"
        out = []
        for l in lines:
            tick()
            out.append(f"Jan 01 00:{(t // 60000000) % 60:02d}:{(t // 1000000) % 60:02d}.{t % 1000000:06d} "
                       f"{host} kernel: {l}\n")
    elif style == "kmsg":
        out = [kmsg_line(seq, tick(), rec) for seq, rec in enumerate(records(lines), rng.randrange(1, 10000))]
    elif style == "syslog012":
        # rsyslog fed by journald: one line per record, embedded newlines as #012, no [ts]
        out = [f"Jan  1 00:00:{rng.randrange(60):02d} {host} kernel: {rec.replace(chr(10), '#012')}\n"
               for rec in records(lines)]
    elif style == "crlf":
        out = [f"{ts_fmt(tick())} {l}\r\n" for l in lines]
    elif style == "mail":
        out = [f"> {ts_fmt(tick())} {l}\n".replace("> \n", ">\n") for l in lines]
    else:
        raise ValueError(style)
    return "".join(out).encode("utf-8", errors="surrogateescape")


def records(lines):
    """Groups bare lines into printk records the way lockdep prints them: an empty line followed
    by a text line is one record "\\ntext" (format strings like "\\nbut task is already holding
    lock:\\n"); everything else is one record per line."""
    recs = []
    i = 0
    while i < len(lines):
        if lines[i] == "" and i + 1 < len(lines) and lines[i + 1] != "":
            recs.append("\n" + lines[i + 1])
            i += 2
        else:
            recs.append(lines[i])
            i += 1
    return recs


def kmsg_escape(s):
    out = []
    for ch in s.encode("utf-8", errors="surrogateescape"):
        if ch < 0x20 or ch >= 0x7f or ch == 0x5c:
            out.append("\\x%02x" % ch)
        else:
            out.append(chr(ch))
    return "".join(out)


def kmsg_line(seq, usec, rec, level=4):
    return f"{level},{seq},{usec},-;{kmsg_escape(rec)}\n"
