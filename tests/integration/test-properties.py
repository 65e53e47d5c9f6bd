#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Signature properties (DESIGN.md section 4), on variants built by transforming real reports.

Covers: the signature of a report stays the same when
  mirror      the same ABBA is reported from the other side (two-lock report, sides swapped)
  rotate      the cycle is entered from another edge (3- and 4-lock chains rotated)
  addresses   lock instance addresses, [<addr>] and +off/size of at: sites and frames change
  version     #N name-version suffixes change (consistently within the report)
  usage       usage strings {+.+.} and wait types -{3:3} change
  task        timestamps, caller ids [T123], task names and pids change
  rendering   the rendering changes: bare, [ts], [ts][T1], <4>[ts], syslog, journalctl
              short-precise, /dev/kmsg records with \\x0a escapes, rsyslog #012, CRLF, quoted mail
  mmap        &mm->mmap_sem is printed instead of &mm->mmap_lock
  combined    all of the above at once
and it changes when
  class       a class is renamed
  subclass    a /N subclass is added or changed
  reverse     a 3+-lock cycle is traversed in the opposite direction
Sources: corpus circular reports 26 (2 locks, 4.14), 185 (3 locks, 4.15), 466 (3 locks, 5.5, caller
ids), guilty 61 (4 locks, 6.2, no timestamps), 747 (3 locks, 6.15) and recursive 234 (4.16).
Several randomized variants per property and source, fixed seeds.

Usage: test-properties.py LOCKDEPCTL SHARED PROPERTY     (exit 77 when SHARED is absent)
"""

import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402

VARIANTS = 6
CIRCULAR = ["linux_report_26.txt", "linux_report_185.txt", "linux_report_466.txt", "linux_guilty_61.txt",
            "linux_report_747.txt"]
RECURSIVE = ["linux_report_234.txt"]
RENDERINGS = ["bare", "ts", "ts-caller", "level", "syslog", "journal", "kmsg", "syslog012", "crlf", "mail"]

LOCK_RE = re.compile(r"^(?P<pre>\s*(?:#\d+:\s*)?(?:[0-9a-f]{8,16} |\(____ptrval____\) )?\s*)\((?P<name>.*)\)"
                     r"(?P<usage>\{[^{}]*\})(?P<wait>-\{\d+:\d+\})?(?P<post>, at: .*)$")
ENTRY_RE = re.compile(r"^-> #(?P<n>\d+) \((?P<name>.*)\)(?P<usage>\{[^{}]*\})(?P<wait>-\{\d+:\d+\})?:$")
TASK_RE = re.compile(r"^(?P<task>.*)/(?P<pid>\d+) is trying to acquire lock:$")


class Report:
    """A bare (prefix-less) report as a list of lines, plus the indices of its parts."""

    def __init__(self, lines):
        self.lines = list(lines)

    def idx(self, pred, start=0):
        for i in range(start, len(self.lines)):
            if pred(self.lines[i]):
                return i
        raise ValueError("line not found")

    def task(self):
        for l in self.lines:
            m = TASK_RE.match(l)
            if m:
                return m["task"], m["pid"]
        raise ValueError("no task line")

    def cycle_classes(self):
        """The classes that make up the signature key: chain entries, else the acquired lock."""
        names = [ENTRY_RE.match(l)["name"] for l in self.lines if ENTRY_RE.match(l)]
        if names:
            return sorted(set(names))
        i = self.idx(lambda l: TASK_RE.match(l) is not None)
        return [LOCK_RE.match(self.lines[i + 1])["name"]]

    def classes(self):
        names = set()
        for l in self.lines:
            m = LOCK_RE.match(l) or ENTRY_RE.match(l)
            if m:
                names.add(m["name"])
        return names


def load(shared, name):
    path = os.path.join(shared, "corpus", "syzkaller", name)
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return Report(lt.bare_lines(f.read()))


# ---------------------------------------------------------------------------------------------
# transformations (each returns a new Report)

def rotate(rep, r):
    """Enter the cycle from another edge: the printed chain #n..#0 rotated by r."""
    L = rep.lines
    i_try = rep.idx(lambda l: TASK_RE.match(l) is not None)
    i_acq = i_try + 1
    i_hold = rep.idx(lambda l: l == "but task is already holding lock:") + 1
    heads = [i for i, l in enumerate(L) if ENTRY_RE.match(l)]
    i_other = rep.idx(lambda l: l == "other info that might help us debug this:", heads[-1])
    # entry blocks: header + stack lines up to the empty line before the next header / other info
    blocks = []
    for k, h in enumerate(heads):
        end = heads[k + 1] if k + 1 < len(heads) else i_other
        body = L[h + 1:end]
        while body and body[-1] == "":
            body = body[:-1]
        m = ENTRY_RE.match(L[h])
        blocks.append({"name": m["name"], "usage": m["usage"], "wait": m["wait"] or "", "stack": body})
    n = len(blocks)
    rb = blocks[r:] + blocks[:r]
    acq = LOCK_RE.match(L[i_acq])
    hold = LOCK_RE.match(L[i_hold])
    assert acq and hold, (L[i_acq], L[i_hold])
    old_hold = hold["name"]
    new_acq = rb[-1]
    new_hold = rb[0]
    acq_line = f"{acq['pre']}({new_acq['name']}){new_acq['usage']}{new_acq['wait']}{acq['post']}"
    hold_line = f"{hold['pre']}({new_hold['name']}){new_hold['usage']}{new_hold['wait']}{hold['post']}"
    out = L[:i_acq] + [acq_line] + L[i_acq + 1:i_hold] + [hold_line] + L[i_hold + 1:heads[0]]
    for k, b in enumerate(rb):
        out.append(f"-> #{n - 1 - k} ({b['name']}){b['usage']}{b['wait']}:")
        out += b["stack"]
        out.append("")
    # other info: regenerate "Chain exists of:" and the scenario, fix the held-lock list
    tail = L[i_other:]
    res = []
    i = 0
    lo, mid, hi = new_acq["name"], rb[1]["name"], new_hold["name"]
    cpu1 = " " * 31
    scen = iter([f"  lock({hi});", f"{cpu1}lock({mid});", f"{cpu1}lock({hi});", f"  lock({lo});"])
    in_held = False
    while i < len(tail):
        l = tail[i]
        if l == "Chain exists of:" and i + 1 < len(tail):
            res += [l, f"  {lo} --> {mid} --> {hi}"]
            i += 2
            continue
        if re.match(r"^\s+r?lock\(.*\);$", l):
            res.append(next(scen, l))
            i += 1
            continue
        if re.match(r"^\d+ locks? held by ", l):
            in_held = True
        elif l == "stack backtrace:":
            in_held = False
        if in_held:
            m = LOCK_RE.match(l)
            if m and m["name"] == old_hold:
                l = f"{m['pre']}({new_hold['name']}){new_hold['usage']}{new_hold['wait']}{m['post']}"
        res.append(l)
        i += 1
    return Report(out + res)


def reverse(rep):
    """The opposite traversal direction of the cycle (a different cycle for 3+ locks)."""
    L = rep.lines
    heads = [i for i, l in enumerate(L) if ENTRY_RE.match(l)]
    names = [ENTRY_RE.match(L[h])["name"] for h in heads]
    rev = names[::-1]
    mapping = dict(zip(names, rev))
    return rename_many(rep, mapping)


def _name_re(name):
    return re.compile(r"(?<=[( ])" + re.escape(name) + r"(?=[) ]|\)|;|$)")


def rename_many(rep, mapping):
    """Simultaneous, consistent renaming of classes everywhere a class name is printed."""
    if not mapping:
        return Report(rep.lines)
    # placeholders first, so that a -> b, b -> a swaps work
    tokens = {old: f"\x00{i}\x00" for i, old in enumerate(mapping)}
    lines = []
    for l in rep.lines:
        for old in sorted(mapping, key=len, reverse=True):
            l = _name_re(old).sub(tokens[old], l)
        for old, tok in tokens.items():
            l = l.replace(tok, mapping[old])
        lines.append(l)
    return Report(lines)


def rename(rep, old, new):
    return rename_many(rep, {old: new})


def split_version(name):
    m = re.match(r"^(.*?)(#\d+)?(/\d+)?$", name)
    return m.group(1), m.group(2) or "", m.group(3) or ""


def change_versions(rep, rng):
    mapping = {}
    for name in sorted(rep.classes()):
        base, ver, sub = split_version(name)
        choice = rng.random()
        if ver and choice < 0.3:
            new = base + sub  # ordinal dropped (first class of that name in this boot)
        elif ver or choice < 0.5:
            new = f"{base}#{rng.randrange(2, 99)}{sub}"
        else:
            continue
        mapping[name] = new
    # keep distinct classes distinct within the report
    if len(set(mapping.values()) | (rep.classes() - set(mapping))) < len(rep.classes()):
        return change_versions(rep, rng)
    return rename_many(rep, mapping)


def change_addresses(rep, rng):
    def hexaddr(m):
        return "".join(rng.choice("0123456789abcdef") for _ in m.group(0))

    def off(m):
        size = rng.randrange(0x20, 0x4000)
        return f"+0x{rng.randrange(0, size):x}/0x{size:x}"

    lines = []
    for l in rep.lines:
        m = LOCK_RE.match(l)
        if m:
            pre = re.sub(r"[0-9a-f]{8,16}(?= $)", hexaddr, m["pre"])
            l = f"{pre}({m['name']}){m['usage']}{m['wait'] or ''}{m['post']}"
        l = re.sub(r"(?<=\[<)[0-9a-f]{8,16}(?=>\])", hexaddr, l)
        l = re.sub(r"\+0x[0-9a-f]+/0x[0-9a-f]+", off, l)
        lines.append(l)
    return Report(lines)


def change_usage(rep, rng):
    def usage(m):
        return "{" + "".join(rng.choice(".+-?") for _ in range(len(m.group(0)) - 2)) + "}"

    def wait(m):
        return f"-{{{rng.randrange(0, 5)}:{rng.randrange(0, 5)}}}"

    lines = []
    for l in rep.lines:
        m = LOCK_RE.match(l) or ENTRY_RE.match(l)
        if m:
            new_usage = re.sub(r"\{[^{}]*\}", usage, m["usage"])
            new_wait = re.sub(r"-\{\d+:\d+\}", wait, m["wait"]) if m["wait"] else ""
            l = l[:m.start("usage")] + new_usage + new_wait + l[m.end("wait") if m["wait"] else m.end("usage"):]
        lines.append(l)
    return Report(lines)


TASKS = ["kworker/u8:3", "syz.0.0", "Cache2 I/O", "(direxec)", "systemd-shutdow", "irq/122-pciehp", "a b c"]


def change_task(rep, rng):
    task, pid = rep.task()
    nt, np = rng.choice(TASKS), str(rng.randrange(1, 4194304))
    lines = []
    for l in rep.lines:
        l = l.replace(f"{task}/{pid}", f"{nt}/{np}")
        l = l.replace(f"PID: {pid} Comm: {task} ", f"PID: {np} Comm: {nt} ")
        lines.append(l)
    return Report(lines)


def render(rep, rng, style=None, caller=None):
    style = style or rng.choice(RENDERINGS)
    caller = caller or f"T{rng.randrange(1, 99999)}"
    return lt.render(rep.lines, style, rng, caller=caller), style


# ---------------------------------------------------------------------------------------------

class Props:
    def __init__(self, ctl, shared, prop):
        self.ctl, self.shared, self.prop = ctl, shared, prop
        self.c = lt.Checker(f"property {prop}")
        self.rng = random.Random(f"lockdep-{prop}")

    def parse1(self, data, what, kind):
        try:
            reps = lt.run_parse(self.ctl, data=data)
        except lt.ParseError as e:
            self.c.check(False, f"{what}: {e}")
            return None
        if not self.c.check(len(reps) == 1, f"{what}: {len(reps)} reports, want 1 "
                            f"({[(r.get('kind'), r.get('first_line')) for r in reps]})"):
            return reps[0] if reps else None
        self.c.eq(reps[0].get("kind"), kind, f"{what}: kind")
        return reps[0]

    def base(self, name, kind):
        rep = load(self.shared, name)
        data, _ = render(rep, random.Random(1), "ts")
        r = self.parse1(data, f"{name} (original)", kind)
        return rep, (r or {}).get("signature"), r

    def same(self, name, kind, variants):
        rep, sig, r0 = self.base(name, kind)
        if sig is None:
            return
        for what, vrep, style in variants(rep):
            data, style = render(vrep, self.rng, style)
            r = self.parse1(data, f"{name} {what} [{style}]", kind)
            if r:
                self.c.check(r.get("signature") == sig,
                             f"{name} {what} [{style}]: signature {r.get('signature')} != {sig} "
                             f"(key {r.get('key')!r} vs {r0.get('key')!r}; classes {r.get('classes')} vs "
                             f"{r0.get('classes')})")

    def differ(self, name, kind, variants):
        rep, sig, r0 = self.base(name, kind)
        if sig is None:
            return
        for what, vrep, style in variants(rep):
            data, style = render(vrep, self.rng, style)
            r = self.parse1(data, f"{name} {what} [{style}]", kind)
            if r:
                self.c.check(r.get("signature") != sig,
                             f"{name} {what} [{style}]: signature {sig} did not change (key {r.get('key')!r})")

    def run(self):
        p, rng = self.prop, self.rng
        chain_len = {}
        for name in CIRCULAR:
            rep = load(self.shared, name)
            chain_len[name] = sum(1 for l in rep.lines if ENTRY_RE.match(l))

        if p == "mirror":
            for name in CIRCULAR:
                if chain_len[name] == 2:
                    self.same(name, "circular", lambda rep: [("mirrored", rotate(rep, 1), s)
                                                             for s in ("ts", "bare", None, None)])
                    # mirrored twice is the original again
                    rep = load(self.shared, name)
                    self.c.eq(rotate(rotate(rep, 1), 1).lines, rep.lines, f"{name}: mirror twice (test self-check)")
        elif p == "rotate":
            for name in CIRCULAR:
                n = chain_len[name]
                if n >= 3:
                    self.same(name, "circular", lambda rep, n=n: [(f"rotated by {r}", rotate(rep, r), s)
                                                                  for r in range(1, n) for s in ("ts", None)])
        elif p in ("addresses", "version", "usage", "task", "rendering", "combined"):
            fn = {
                "addresses": lambda rep: change_addresses(rep, rng),
                "version": lambda rep: change_versions(rep, rng),
                "usage": lambda rep: change_usage(rep, rng),
                "task": lambda rep: change_task(rep, rng),
                "rendering": lambda rep: rep,
                "combined": lambda rep: change_task(change_usage(change_versions(change_addresses(
                    rotate(rep, rng.randrange(0, sum(1 for l in rep.lines if ENTRY_RE.match(l))))
                    if any(ENTRY_RE.match(l) for l in rep.lines) else rep, rng), rng), rng), rng),
            }[p]
            for name, kind in [(n, "circular") for n in CIRCULAR] + [(n, "recursive") for n in RECURSIVE]:
                if p == "rendering":
                    variants = lambda rep: [(f"rendered {s}", rep, s) for s in RENDERINGS]  # noqa: E731
                elif p == "task":
                    variants = lambda rep: [(f"variant {i}", fn(rep), "ts-caller") for i in range(VARIANTS)]  # noqa: E731
                else:
                    variants = lambda rep: [(f"variant {i}", fn(rep), None) for i in range(VARIANTS)]  # noqa: E731
                self.same(name, kind, variants)
        elif p == "mmap":
            for name in CIRCULAR:
                rep = load(self.shared, name)
                victim = rep.cycle_classes()[0]
                base_sub = split_version(victim)[2]
                lock_v = rename(rep, victim, "&mm->mmap_lock" + base_sub)
                sem_v = rename(rep, victim, "&mm->mmap_sem" + base_sub)
                sem2_v = rename(rep, victim, "&mm->mmap_sem#2" + base_sub)
                sigs = []
                for what, v in (("mmap_lock", lock_v), ("mmap_sem", sem_v), ("mmap_sem#2", sem2_v)):
                    for style in ("ts", None):
                        data, style = render(v, rng, style)
                        r = self.parse1(data, f"{name} {victim} -> {what} [{style}]", "circular")
                        if r:
                            sigs.append((what, style, r.get("signature"), r.get("key")))
                self.c.check(len({s[2] for s in sigs}) == 1, f"{name}: mmap_sem/mmap_lock variants differ: {sigs}")
        elif p == "class":
            for name, kind in [(n, "circular") for n in CIRCULAR] + [(n, "recursive") for n in RECURSIVE]:
                def variants(rep):
                    out = []
                    for victim in rep.cycle_classes():
                        base, ver, sub = split_version(victim)
                        out.append((f"{victim} renamed", rename(rep, victim, f"{base}_other{ver}{sub}"), None))
                    return out
                self.differ(name, kind, variants)
        elif p == "subclass":
            for name, kind in [(n, "circular") for n in CIRCULAR] + [(n, "recursive") for n in RECURSIVE]:
                def variants(rep):
                    out = []
                    for victim in rep.cycle_classes():
                        base, ver, sub = split_version(victim)
                        new_sub = "/1" if not sub else f"/{int(sub[1:]) + 1}"
                        out.append((f"{victim} subclass {new_sub}", rename(rep, victim, base + ver + new_sub), None))
                    return out
                self.differ(name, kind, variants)
        elif p == "reverse":
            for name in CIRCULAR:
                if chain_len[name] >= 3:
                    self.differ(name, "circular", lambda rep: [("reversed", reverse(rep), s) for s in ("ts", None)])
        else:
            sys.exit(f"unknown property {p}\n{__doc__}")
        self.c.finish()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ctl, shared, prop = sys.argv[1:4]
    lt.shared_or_skip(shared)
    Props(ctl, shared, prop).run()


if __name__ == "__main__":
    main()
