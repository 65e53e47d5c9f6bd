#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""lockdepctl report --as-logged (issue 15): a stored report printed as the kernel log had it, its
"=====" banner and every line's original prefix, byte for byte.

Covers:
  known     one circular report (tests/golden/cases/fs-inode-pair.txt, banner to </TASK>) rendered
            as a plain console log, dmesg -T, journalctl -o short-precise and short-monotonic,
            syslog (RFC 3164 and RFC 3339), console with caller ids, dmesg -x; each alone, between
            unrelated lines of the same log, and interleaved with another caller's lines; imported,
            then `report --as-logged` is exactly the report's lines of the input (the foreign ones
            left out), and it is a little of the stored bytes (reports.logged <= raw / 2)
  old       a report stored before the lines were kept (reports.logged NULL): the banner and the
            raw text, exit 0, and a note on stderr that the original prefixes were not kept
  corpus    every report of shared/corpus/syzkaller (skips without it), rendered line by line in
            the renderings above: the as-logged lines are input lines, in order, and the same input
            lines (by number) in every rendering as in the plain console one; the CLI prints what
            the store holds (reports.logged decoded as its format says)

Usage: test-as-logged.py LOCKDEPCTL SRCDIR SHARED CASE     (exit 77 when CASE needs what is absent)
"""

import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402

# one line in, one line out: the input line i is the rendered form of the bare line i
RENDERINGS = ["ts", "dmesg-T", "journal", "journal-short-monotonic", "syslog", "syslog-rfc3339", "ts-caller",
              "dmesg-x"]

checker = lt.Checker("as-logged")
check = checker.check


def env():
    e = {k: v for k, v in os.environ.items() if k not in ("LOCKDEPCTL_DB", "PAGER", "SYSTEMD_PAGER", "COLUMNS")}
    e["LC_ALL"] = "C"
    return e


def ctl(exe, db, *args):
    return subprocess.run([exe, "--db", db, *args], capture_output=True, env=env(), timeout=300)


def render_lines(lines, style, seed):
    data = lt.render(lines, style, random.Random(seed))
    out = data.decode("utf-8", errors="surrogateescape").split("\n")
    assert out[-1] == ""
    out = out[:-1]
    assert len(out) == len(lines), (style, len(out), len(lines))
    return out


def report_ids(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT id, source FROM reports ORDER BY id").fetchall()
    finally:
        con.close()


def stored_logged(db):
    """{id: as-logged text} read from the database as schema/0014-report-logged.sql and
    store/store-pack.c describe reports.logged (zlib with raw as dictionary, the split form)."""
    con = sqlite3.connect(db)
    rows = con.execute("SELECT id, CAST(raw AS BLOB), logged FROM reports").fetchall()
    con.close()
    out = {}
    for rid, raw, blob in rows:
        check(blob is not None, f"report {rid}: logged kept")
        if blob is None:
            continue
        split = zlib.decompressobj(zdict=raw[-32768:]).decompress(blob)
        flags, _, rest = split.partition(b"\n")
        prefixes = rest.split(b"\n")[:-1]
        check(len(prefixes) == len(flags), f"report {rid}: one prefix per flag")
        raw_lines, cur, text = raw.split(b"\n"), 0, b""
        for f, p in zip(flags, prefixes):
            if f == ord("x"):
                text += p + b"\n"
            else:
                cur += f - ord("0")
                text += p + raw_lines[cur] + b"\n"
                cur += 1
        out[rid] = text.decode("utf-8", errors="surrogateescape")
    return out


def as_logged(exe, db, rid):
    r = ctl(exe, db, "report", "--as-logged", str(rid))
    check(r.returncode == 0, f"report --as-logged {rid}: exit {r.returncode}: {r.stderr[-300:]!r}")
    return r.stdout.decode("utf-8", errors="surrogateescape"), r.stderr.decode()


def known_report(srcdir):
    with open(os.path.join(srcdir, "tests", "golden", "cases", "fs-inode-pair.txt")) as f:
        lines = lt.bare_lines(f.read())
    return lines[:lines.index(" </TASK>") + 1]


OTHER = ["usb 1-1: new high-speed USB device number 3 using xhci_hcd", "EXT4-fs (sda1): re-mounted. Quota mode: none.",
         "audit: type=1400 audit(1700000000.1:2): apparmor=\"DENIED\" operation=\"open\"",
         "loop0: detected capacity change from 0 to 8"]


def case_known(exe, srcdir, tmp):
    report = known_report(srcdir)
    check(report[0].startswith("=====") and report[1].startswith("WARNING: possible circular"),
          "the known report starts with its banner")
    for n, style in enumerate(RENDERINGS):
        before, after = OTHER[:2], OTHER[2:]
        for mix in ("alone", "between", "interleaved"):
            seed = 1000 + n * 10 + len(mix)
            if mix == "alone":
                lines = report
            elif mix == "between":
                lines = before + report + after
            else:
                lines = list(report)
            rendered = render_lines(lines, style, seed)
            want = rendered[len(before):len(before) + len(report)] if mix == "between" else rendered
            if mix == "interleaved":
                # another task's lines between the report's (caller ids tell them apart)
                if style != "ts-caller":
                    continue
                rng = random.Random(seed)
                mixed = []
                for i, l in enumerate(rendered):
                    mixed.append(l)
                    if 0 < i < len(rendered) - 1 and rng.random() < 0.25:
                        ts = l[:l.index("]") + 1]
                        mixed.append(f"{ts}[%6s] {rng.choice(OTHER)}" % "T99999")
                check(len(mixed) > len(rendered), "some foreign lines were mixed in")
                rendered = mixed
            path = os.path.join(tmp, f"known-{style}-{mix}.log")
            with open(path, "wb") as f:
                f.write(("\n".join(rendered) + "\n").encode("utf-8", errors="surrogateescape"))
            db = os.path.join(tmp, f"known-{style}-{mix}.db")
            r = ctl(exe, db, "import", path)
            if not check(r.returncode == 0, f"{style}/{mix}: import: {r.stderr[-300:]!r}"):
                continue
            ids = report_ids(db)
            if not check(len(ids) == 1, f"{style}/{mix}: one report stored, not {len(ids)}"):
                continue
            out, err = as_logged(exe, db, ids[0][0])
            if not check(out == "\n".join(want) + "\n", f"{style}/{mix}: --as-logged is the report's lines of the input"):
                got = out.split("\n")
                for i, (a, b) in enumerate(zip(got, want)):
                    if a != b:
                        print(f"  line {i}: got {a!r}\n          want {b!r}")
                        break
                print(f"  {len(got) - 1} lines, want {len(want)}")
            check(err == "", f"{style}/{mix}: nothing on stderr ({err!r})")
            con = sqlite3.connect(db)
            raw, logged = con.execute("SELECT length(CAST(raw AS BLOB)), length(logged) FROM reports").fetchone()
            con.close()
            check(logged is not None and logged * 2 <= raw,
                  f"{style}/{mix}: the kept lines cost {logged} bytes beside {raw} of raw text (want <= half)")


def case_old(exe, srcdir, tmp):
    path = os.path.join(tmp, "old.log")
    with open(path, "wb") as f:
        f.write(lt.render(known_report(srcdir), "ts", random.Random(5)))
    db = os.path.join(tmp, "old.db")
    r = ctl(exe, db, "import", path)
    check(r.returncode == 0, f"import: {r.stderr!r}")
    con = sqlite3.connect(db)
    con.execute("UPDATE reports SET logged = NULL")
    con.commit()
    (rid, raw), = con.execute("SELECT id, raw FROM reports").fetchall()
    con.close()
    r = ctl(exe, db, "report", "--as-logged", str(rid))
    out, err = r.stdout.decode(), r.stderr.decode()
    check(r.returncode == 0, f"old report: exit {r.returncode}")
    check("original line prefixes were not kept" in err, f"old report: says the prefixes were not kept ({err!r})")
    check(out.startswith("\n=====") and out.endswith(raw), "old report: the banner, then the raw text")


def case_corpus(exe, shared, tmp):
    corpus = lt.shared_or_skip(shared)
    names = sorted(n for n in os.listdir(corpus) if n.endswith(".txt"))
    bare = {}
    for n in names:
        with open(os.path.join(corpus, n), encoding="utf-8", errors="surrogateescape") as f:
            bare[n] = lt.bare_lines(f.read())
    results = {}
    for style in RENDERINGS:
        d = os.path.join(tmp, style)
        os.mkdir(d)
        inputs = {}
        for i, n in enumerate(names):
            lines = bare[n] if style == "bare" else render_lines(bare[n], style, hash((style, i)) & 0xffff)
            inputs[n] = lines
            with open(os.path.join(d, n), "wb") as f:
                f.write(("\n".join(lines) + "\n").encode("utf-8", errors="surrogateescape"))
        db = os.path.join(tmp, style + ".db")
        r = ctl(exe, db, "import", *[os.path.join(d, n) for n in names])
        check(r.returncode == 0, f"{style}: import: {r.stderr[-300:]!r}")
        per_file = {}
        stored = stored_logged(db)
        for rid, source in report_ids(db):
            per_file.setdefault(os.path.basename(source), []).append(stored[rid])
        # (one lockdepctl run per report is slow under ASan: the CLI on a sample, which must print
        # what the store holds)
        for rid in random.Random(style).sample(sorted(stored), 3):
            check(as_logged(exe, db, rid)[0] == stored[rid], f"{style}: report --as-logged {rid} prints what is stored")
        results[style] = (inputs, per_file)
    # each report as the input lines it printed: {(file, first line): [line indices]} per rendering
    spans = {}
    for style in RENDERINGS:
        inputs, out = results[style]
        spans[style] = {}
        for n in names:
            for k, got in enumerate(out.get(n, [])):
                idx, i = [], 0
                for l in got.split("\n")[:-1]:
                    while i < len(inputs[n]) and inputs[n][i] != l:
                        i += 1
                    if i == len(inputs[n]):
                        break
                    idx.append(i)
                    i += 1
                if check(idx and len(idx) == got.count("\n"),
                         f"{style}/{n} report {k}: the as-logged lines are the input's, in order"):
                    spans[style][(n, idx[0])] = idx
    # the same lines whatever the rendering (a rendering may store a report fewer or more: those
    # without timestamps take equal reports of one file for one)
    ref = spans["ts"]
    check(len(ref) > 50, f"the corpus gave {len(ref)} reports")
    compared = 0
    for style in RENDERINGS[1:]:
        check(len(set(ref) & set(spans[style])) >= len(ref) * 0.95,
              f"{style}: {len(set(ref) & set(spans[style]))} of the {len(ref)} reports of the console rendering")
        for key, idx in spans[style].items():
            if key in ref:
                compared += 1
                check(idx == ref[key], f"{style}/{key[0]}: the report at line {key[1] + 1} prints the same lines "
                      "as in the console rendering")
    print(f"{len(ref)} reports, {compared} compared across {len(RENDERINGS)} renderings")


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    exe, srcdir, shared, case = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        {"known": lambda: case_known(exe, srcdir, tmp), "old": lambda: case_old(exe, srcdir, tmp),
         "corpus": lambda: case_corpus(exe, shared, tmp)}[case]()
    checker.finish()


if __name__ == "__main__":
    sys.exit(main())
