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
    "degraded": bool, "time": str, "host": str,
}
# fields every report must carry (the others may be omitted when a kind does not have them)
ALWAYS = ("kind", "title", "signature", "sig_version", "truncated", "degraded", "first_line", "last_line")
SIG_VERSION = 2

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


def json_objects(text):
    """The JSON values of text, one after another (NDJSON, or -o json-pretty's indented objects)."""
    dec, i, objs = json.JSONDecoder(), 0, []
    text = text.strip()
    while i < len(text):
        o, i = dec.raw_decode(text, i)
        objs.append(o)
        while i < len(text) and text[i].isspace():
            i += 1
    return objs


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
    if rep.get("sig_version") != SIG_VERSION:
        errs.append(f"sig_version {rep.get('sig_version')!r} != {SIG_VERSION}")
    if "time" in rep and not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", rep["time"]):
        errs.append(f"time {rep['time']!r} is not an ISO 8601 UTC time")
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
    elif style in EXTRA_RENDERINGS:
        out = EXTRA_RENDERINGS[style](lines, rng, tick, host, caller)
    else:
        raise ValueError(style)
    return "".join(out).encode("utf-8", errors="surrogateescape")


# ---------------------------------------------------------------------------------------------
# More renderings (issue 10): every form users paste. Each takes (lines, rng, tick, host, caller)
# and returns a list of output lines with their '\n'.

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_EPOCH = 1736823492  # 2025-01-14 03:58:12 UTC


def _wall(t):
    """(time.struct_time, usec) of a kernel time t (usec), as a wall clock after _EPOCH."""
    import time
    sec = _EPOCH + t // 1000000
    return time.gmtime(sec), t % 1000000


def _fmt(t, fmt):
    import time
    tm, usec = _wall(t)
    return time.strftime(fmt, tm).replace("%U6", f"{usec:06d}")


def _r_per_line(fn):
    def r(lines, rng, tick, host, caller):
        return [fn(tick(), l, rng, host) + "\n" for l in lines]
    return r


def _human(lines, rng, tick, host, caller, comma=False):
    """dmesg -e / -H: "[Jan14 03:12]" when the minute changes, "[  +0.000004]" deltas otherwise."""
    out, last_t, last_min = [], None, None
    for l in lines:
        t = tick()
        minute = _fmt(t, "%b%d %H:%M")
        if minute != last_min:
            out.append(f"[{minute}] {l}\n")
        else:
            d = t - last_t
            frac = f"{d // 1000000}.{d % 1000000:06d}"
            if comma:
                frac = frac.replace(".", ",")
            out.append(f"[{'+' + frac:>11}] {l}\n")
        last_t, last_min = t, minute
    return out


def _iso(t, comma=True):
    tm = _fmt(t, "%Y-%m-%dT%H:%M:%S")
    return f"{tm}{',' if comma else '.'}{t % 1000000:06d}+00:00"


def _records_render(lines, rng, tick, host, caller, prefix_fn):
    """Multi-line printk records (an empty line joined to the next text line), continuation lines
    indented to the message column (util-linux dmesg, journalctl)."""
    out = []
    for rec in records(lines):
        pre = prefix_fn(tick())
        parts = rec.split("\n")
        out.append(pre + parts[0] + "\n")
        out += [" " * len(pre) + x + "\n" for x in parts[1:]]
    return out


def _interleave(lines, rng, tick, host, caller):
    """Console output with caller ids, another task's lines printed in between."""
    other = ["usb 1-1: new high-speed USB device number 3 using xhci_hcd", "loop0: detected capacity change",
             "audit: type=1400 audit(1700000000.1:2): apparmor=\"DENIED\"", "EXT4-fs (sda1): re-mounted."]
    out = []
    cid = "[%6s]" % caller
    for l in lines:
        out.append(f"{ts_fmt(tick())}{cid} {l}\n")
        if rng.random() < 0.2:
            out.append(f"{ts_fmt(tick())}[%6s] {rng.choice(other)}\n" % "T99999")
    return out


def _fence(lines, rng, tick, host, caller):
    return (["Hi,\n", "\n", "I hit this on today's tree:\n", "\n", "```\n"] +
            [f"{ts_fmt(tick())} {l}\n" for l in lines] + ["```\n", "\n", "Thanks\n"])


def _qp(lines, rng, tick, host, caller):
    """A quoted-printable mail body: '=' as =3D, lines longer than 76 soft-broken with '='."""
    out = []
    for l in lines:
        t = tick()
        line = f"{_fmt(t, '%b %d %H:%M:%S')} {host} kernel: {ts_fmt(t)} {l}"
        enc = "".join("=3D" if ch == "=" else ("=%02X" % ord(ch) if ord(ch) > 126 else ch) for ch in line)
        if enc.endswith(" "):
            enc = enc[:-1] + "=20"
        while len(enc) > 76:
            cut = 75
            while enc[cut - 2:cut].startswith("=") or enc[cut - 1] == "=":
                cut -= 1  # never split an =XX escape
            out.append(enc[:cut] + "=\n")
            enc = enc[cut:]
        out.append(enc + "\n")
    return out


EXTRA_RENDERINGS = {
    # journalctl -o ...
    "journal-short": _r_per_line(lambda t, l, rng, h: f"{_fmt(t, '%b %d %H:%M:%S')} {h} kernel: {l}"),
    "journal-short-iso": _r_per_line(lambda t, l, rng, h: f"{_fmt(t, '%Y-%m-%dT%H:%M:%S')}+0000 {h} kernel: {l}"),
    "journal-short-iso-precise": _r_per_line(lambda t, l, rng, h: f"{_iso(t, False)} {h} kernel: {l}"),
    "journal-short-full": _r_per_line(lambda t, l, rng, h: f"{_fmt(t, '%a %Y-%m-%d %H:%M:%S')} UTC {h} kernel: {l}"),
    "journal-short-unix": _r_per_line(lambda t, l, rng, h: f"{_EPOCH + t // 1000000}.{t % 1000000:06d} {h} kernel: {l}"),
    "journal-short-monotonic": _r_per_line(lambda t, l, rng, h: f"{ts_fmt(t)} {h} kernel: {l}"),
    "journal-no-host": _r_per_line(lambda t, l, rng, h: f"{ts_fmt(t)} kernel: {l}"),
    "journal-records": lambda lines, rng, tick, host, caller: _records_render(
        lines, rng, tick, host, caller, lambda t: f"{_fmt(t, '%b %d %H:%M:%S')}.{t % 1000000:06d} {host} kernel: "),
    "journal-cat": lambda lines, rng, tick, host, caller: [l + "\n" for l in lines],
    # syslog daemons
    "syslog-rfc3339": _r_per_line(lambda t, l, rng, h: f"{_iso(t, False)} {h} kernel: {ts_fmt(t)} {l}"),
    "syslog-rfc5424": _r_per_line(lambda t, l, rng, h: f"<4>1 {_iso(t, False)} {h} kernel - - - {ts_fmt(t)} {l}"),
    "syslog-busybox": _r_per_line(lambda t, l, rng, h: f"{_fmt(t, '%b %e %H:%M:%S')} {h} kern.warn kernel: {ts_fmt(t)} {l}"),
    # util-linux dmesg
    "dmesg-T": _r_per_line(lambda t, l, rng, h: f"[{_fmt(t, '%a %b %e %H:%M:%S %Y')}] {l}"),
    "dmesg-x": _r_per_line(lambda t, l, rng, h: f"kern  :warn  : {ts_fmt(t)} {l}"),
    "dmesg-H": lambda lines, rng, tick, host, caller: _human(lines, rng, tick, host, caller),
    "dmesg-H-comma": lambda lines, rng, tick, host, caller: _human(lines, rng, tick, host, caller, comma=True),
    "dmesg-d": _r_per_line(lambda t, l, rng, h: f"[{t // 1000000:5d}.{t % 1000000:06d} <{rng.randrange(0, 3000):5d}.{rng.randrange(1000000):06d}>] {l}"),
    "dmesg-iso": _r_per_line(lambda t, l, rng, h: f"{_iso(t)} {l}"),
    "dmesg-records": lambda lines, rng, tick, host, caller: _records_render(lines, rng, tick, host, caller, lambda t: ts_fmt(t) + " "),
    "dmesg-color": _r_per_line(lambda t, l, rng, h: f"\x1b[32m{ts_fmt(t)}\x1b[0m {l}"),
    # mail, editors, consoles
    "mail-2": _r_per_line(lambda t, l, rng, h: f">> {ts_fmt(t)} {l}".rstrip()),
    "mail-bar": _r_per_line(lambda t, l, rng, h: f"| {ts_fmt(t)} {l}".rstrip()),
    "indent4": _r_per_line(lambda t, l, rng, h: f"    {l}" if l else ""),
    "indent8": _r_per_line(lambda t, l, rng, h: f"        {ts_fmt(t)} {l}"),
    "tab": _r_per_line(lambda t, l, rng, h: f"\t{l}"),
    "mail-indent": _r_per_line(lambda t, l, rng, h: f">     {l}".rstrip()),
    "fence": _fence,
    "zvm": _r_per_line(lambda t, l, rng, h: f"00: {ts_fmt(t)} {l}"),
    "viewer-lineno": None,  # filled below: needs a counter
    "cat-n": None,
    "qp": _qp,
    "interleave": _interleave,
}


def _numbered(fmt_line):
    def r(lines, rng, tick, host, caller):
        start = rng.randrange(1, 900)
        return [fmt_line(start + i, tick(), l, host) + "\n" for i, l in enumerate(lines)]
    return r


EXTRA_RENDERINGS["viewer-lineno"] = _numbered(lambda n, t, l, h: f"{n:7d} {_fmt(t, '%b %d %H:%M:%S')} {h} kernel: {ts_fmt(t)} {l}")
EXTRA_RENDERINGS["cat-n"] = _numbered(lambda n, t, l, h: f"{n:6d}\t{l}")

# every rendering: the base ones of render() and the extra ones
ALL_RENDERINGS = ["bare", "ts", "ts-caller", "level", "syslog", "journal", "kmsg", "syslog012", "crlf", "mail"] + \
    list(EXTRA_RENDERINGS)


def wrap(data, width):
    """Re-wraps every line longer than width at its last blank before width, as mail clients do
    (the continuation keeps a "> " quote if the line had one)."""
    out = []
    for line in data.decode("utf-8", errors="surrogateescape").split("\n"):
        quote = "> " if line.startswith("> ") else ""
        while len(line) > width:
            cut = line.rfind(" ", len(quote) + 1, width)
            if cut <= len(quote):
                break
            out.append(line[:cut])
            line = quote + line[cut + 1:]
        out.append(line)
    return "\n".join(out).encode("utf-8", errors="surrogateescape")


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
