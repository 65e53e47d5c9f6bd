#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""/metrics naming and values, and contrib/prometheus/lockdep.rules.yml (issue 15).

Covers:
- on a database imported from the golden cases, served by lockdepd --web-only on 127.0.0.1:0:
  every "# TYPE x counter" is named *_total, every gauge is not; names with a unit end in
  _seconds or _bytes; each family has HELP and TYPE before its samples; label values escaped
- values against the database: reports, groups, boots, per kind, per status word (every status
  present, zeros included; "fixed-in 6.2" counted as fixed-in), per source
- "promtool check metrics" on the answer, when promtool (Debian package prometheus) is installed
- the rules file: "promtool check rules" passes; every lockdep_* metric an expression uses is
  exported; "promtool test rules" with made-up series: LockdepNewGroup fires when the untriaged
  count rises and not when it stays, LockdepGroupRegressed, LockdepSourceLostRecords and
  LockdepSwitchedOff fire on their series and stay quiet on flat ones; LockdepJournalFileUnreadable
  fires after 30 minutes of an unreadable file, not for one that is readable again after 10

Usage: test-metrics.py LOCKDEPD LOCKDEPCTL SOURCE_ROOT
"""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest as wt  # noqa: E402


def eq(c, got, want, what):
    return c.check(got == want, f"{what}: got {got!r}, want {want!r}")


def parse_exposition(text):
    """{family: {"type", "help", "samples": {labels-string: value}}}, and a list of format errors."""
    fams, errors, current = {}, [], None
    for ln in text.splitlines():
        m = re.match(r"# (HELP|TYPE) (\S+) (.*)$", ln)
        if m:
            f = fams.setdefault(m.group(2), {"samples": {}})
            f[m.group(1).lower()] = m.group(3)
            current = m.group(2)
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-z_]+="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+]+)$', ln)
        if not m:
            errors.append(f"bad line: {ln!r}")
            continue
        if m.group(1) != current:
            errors.append(f"sample {m.group(1)} outside its family (after {current})")
        fams.setdefault(m.group(1), {"samples": {}})["samples"][m.group(2) or ""] = float(m.group(3))
    return fams, errors


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    lockdepd, ctl, root = sys.argv[1:4]
    if "+web" not in subprocess.run([lockdepd, "--version"], capture_output=True, text=True).stdout:
        wt.skip("lockdepd built without the web server")
    rules = os.path.join(root, "contrib", "prometheus", "lockdep.rules.yml")
    c = wt.Checker()
    tmp, db = wt.make_db(ctl)
    srv = None
    try:
        sql = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        # a fixed-in status with its release, to see it counted under its word
        gid = sql.execute("SELECT min(id) FROM groups").fetchone()[0]
        r = subprocess.run([ctl, "--db", db, "triage", "--status", "fixed-in 6.2", str(gid)], capture_output=True, text=True)
        c.check(r.returncode == 0, f"triage fixed-in: {r.stderr}")
        srv = wt.Server(lockdepd, db)
        st, h, body = srv.request("GET", "/metrics")
        text = body.decode()
        c.check(st == 200 and h.get("content-type", "").startswith("text/plain; version=0.0.4"),
                f"/metrics: {st} {h.get('content-type')}")
        fams, errors = parse_exposition(text)
        c.check(not errors, f"exposition format: {errors[:5]}")
        for name, f in fams.items():
            c.check("help" in f and "type" in f, f"{name}: HELP or TYPE missing")
            if f.get("type") == "counter":
                c.check(name.endswith("_total"), f"counter {name} not named *_total")
            else:
                c.check(not name.endswith("_total"), f"{f.get('type')} {name} named *_total")
            c.check(not re.search(r"_(sec|secs|ms|usec|bytes?_|kb|mb)$", name), f"{name}: unit spelled oddly")
        c.check(all(n.startswith("lockdep_") for n in fams), f"metric outside lockdep_: {list(fams)}")

        def val(name, labels=""):
            return fams.get(name, {}).get("samples", {}).get(labels)

        q = lambda s: sql.execute(s).fetchone()[0]  # noqa: E731
        eq(c, val("lockdep_reports_total"), q("SELECT count(*) FROM reports"), "lockdep_reports_total")
        eq(c, val("lockdep_groups"), q("SELECT count(*) FROM groups"), "lockdep_groups")
        eq(c, val("lockdep_boots_total"), q("SELECT count(*) FROM boots"), "lockdep_boots_total")
        eq(c, val("lockdep_boots_lockdep_off_total"), q("SELECT count(*) FROM boots WHERE lockdep_off_at IS NOT NULL"),
             "lockdep_boots_lockdep_off_total")
        for kind, n, reps in sql.execute("SELECT kind, count(*), sum(n_reports) FROM groups GROUP BY kind"):
            eq(c, val("lockdep_groups_by_kind", f'{{kind="{kind}"}}'), n, f"groups of kind {kind}")
            eq(c, val("lockdep_reports_by_kind_total", f'{{kind="{kind}"}}'), reps, f"reports of kind {kind}")
        for word in ("new", "confirmed", "false-positive", "fixed-in", "duplicate-of", "regressed"):
            want = q(f"SELECT count(*) FROM groups WHERE status = '{word}' OR status LIKE '{word} %'")
            eq(c, val("lockdep_groups_by_status", f'{{status="{word}"}}'), want, f"groups with status {word}")
        eq(c, val("lockdep_groups_by_status", '{status="fixed-in"}'), 1, "the fixed-in 6.2 group")
        eq(c, val("lockdep_groups_regressed"), q("SELECT count(*) FROM groups WHERE status = 'regressed'"),
             "lockdep_groups_regressed")
        for source, n in sql.execute("SELECT source, count(*) FROM reports GROUP BY source"):
            esc = source.replace("\\", "\\\\").replace('"', '\\"')
            if val("lockdep_source_reports_total", f'{{source="{esc}"}}') is not None:
                eq(c, val("lockdep_source_reports_total", f'{{source="{esc}"}}'), n, f"reports of {source}")

        promtool = shutil.which("promtool")
        if promtool:
            r = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, timeout=60)
            c.check(r.returncode == 0, f"promtool check metrics: {r.stdout.decode()} {r.stderr.decode()}")
        else:
            print("promtool absent (Debian package prometheus): exposition and rules checked by this script only")

        # every metric the rules use is exported
        used = set(re.findall(r"\b(lockdep_[a-z_]+)\b", open(rules).read()))
        c.check(used and used <= set(fams), f"rules use metrics that /metrics lacks: {sorted(used - set(fams))}")
        if promtool:
            r = subprocess.run([promtool, "check", "rules", rules], capture_output=True, text=True, timeout=60)
            c.check(r.returncode == 0, f"promtool check rules: {r.stdout} {r.stderr}")
            rule_tests(c, promtool, rules, tmp)
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    c.done()


RULE_TESTS = """
rule_files: [{rules}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'lockdep_groups_by_status{{status="new",instance="a",job="lockdep"}}'
        values: '2x30 3x30'
      - series: 'lockdep_groups_by_status{{status="new",instance="b",job="lockdep"}}'
        values: '5x60'
      - series: 'lockdep_groups_regressed{{instance="a",job="lockdep"}}'
        values: '0x30 1x30'
      - series: 'lockdep_source_gaps_total{{instance="a",job="lockdep"}}'
        values: '0x30 1x30'
      - series: 'lockdep_boots_lockdep_off_total{{instance="a",job="lockdep"}}'
        values: '4x30 5x30'
      - series: 'lockdep_boots_lockdep_off_total{{instance="b",job="lockdep"}}'
        values: '4x60'
      - series: 'lockdep_journal_files_unreadable{{instance="a",job="lockdep"}}'
        values: '0x10 2x50'
      - series: 'lockdep_journal_files_unreadable{{instance="b",job="lockdep"}}'
        values: '0x10 1x10 0x40'
    alert_rule_test:
      - eval_time: 25m
        alertname: LockdepNewGroup
        exp_alerts: []
      - eval_time: 35m
        alertname: LockdepNewGroup
        exp_alerts:
          - exp_labels: {{severity: warning, status: new, instance: a, job: lockdep}}
            exp_annotations:
              summary: "New lockdep report group on a"
              description: 'Untriaged report groups: 3, more than 15 minutes ago. See "lockdepctl list --status new" or the dashboard.'
      - eval_time: 55m
        alertname: LockdepNewGroup
        exp_alerts: []
      - eval_time: 25m
        alertname: LockdepGroupRegressed
        exp_alerts: []
      - eval_time: 35m
        alertname: LockdepGroupRegressed
        exp_alerts:
          - exp_labels: {{severity: warning, instance: a, job: lockdep}}
            exp_annotations:
              summary: "A fixed lockdep problem came back on a"
              description: 'Groups triaged as fixed and reported again on or after their fixed-in release: 1. See "lockdepctl list --status regressed".'
      - eval_time: 25m
        alertname: LockdepSourceLostRecords
        exp_alerts: []
      - eval_time: 40m
        alertname: LockdepSourceLostRecords
        exp_alerts:
          - exp_labels: {{severity: warning, instance: a, job: lockdep}}
            exp_annotations:
              summary: "A lockdep source lost kernel log records on a"
              description: 'Gaps in the last hour: 1; see "lockdepctl stats". A larger kernel log buffer (log_buf_len=) or the journal source avoids them.'
      - eval_time: 30m
        alertname: LockdepJournalFileUnreadable
        exp_alerts: []
      - eval_time: 45m
        alertname: LockdepJournalFileUnreadable
        exp_alerts:
          - exp_labels: {{severity: warning, instance: a, job: lockdep}}
            exp_annotations:
              summary: "lockdepd cannot read 2 journal file(s) on a"
              description: 'Reports in those files and in the later files of the same hosts are not stored until they can be read. See "lockdepctl stats" for the files and errors: fix the permissions, or move a damaged file away.'
      - eval_time: 40m
        alertname: LockdepSwitchedOff
        exp_alerts:
          - exp_labels: {{severity: info, instance: a, job: lockdep}}
            exp_annotations:
              summary: "Lockdep switched itself off on a boot seen by a"
              description: 'Boots in the last hour that ran without lockdep after some point: 1. See "lockdepctl hosts" (column LOCKDEP OFF) or /hosts for which ones.'
"""


def rule_tests(c, promtool, rules, tmp):
    p = os.path.join(tmp, "rules-test.yml")
    with open(p, "w") as f:
        f.write(RULE_TESTS.format(rules=os.path.abspath(rules)))
    r = subprocess.run([promtool, "test", "rules", p], capture_output=True, text=True, timeout=120)
    c.check(r.returncode == 0, f"promtool test rules: {r.stdout[-3000:]} {r.stderr[-2000:]}")


if __name__ == "__main__":
    main()
