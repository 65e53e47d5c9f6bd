#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""web-gen.py LOCKDEPCTL DB [REPORTS GROUPS HOSTS]: a synthetic fleet database for bench/web.sh.

Builds circular lockdep reports from tests/golden/cases/linux_guilty_61.txt with varied lock class
names (group g uses the classes lk_<g>_a/b/c plus shared ones, so the lock graph and related groups
are realistic), spreads them over HOSTS hosts and several kernels, and imports each host's log with
`lockdepctl import --host` (so everything goes through the parser and the store's write path).
Defaults: 100,000 reports in 5,000 groups over 200 hosts.
"""

import os
import subprocess
import sys
import tempfile

ctl, db = sys.argv[1:3]
n_reports, n_groups, n_hosts = (int(x) for x in (sys.argv[3:6] or (100000, 5000, 200)))
here = os.path.dirname(os.path.abspath(__file__))
template = open(os.path.join(here, "..", "tests", "golden", "cases", "linux_guilty_61.txt")).read()
template = template[template.index("======"):]
SHARED = ["&mm->mmap_lock", "rtnl_mutex", "&sb->s_type->i_mutex_key#8", "sb_internal"]
KERNELS = ["6.1.0-rc%d" % i for i in range(1, 8)] + ["6.2.0-rc6-syzkaller-00163-g66a87fff1a87"]


def report(g, i):
    s = template.replace("&sbi->s_writepages_rwsem", f"&lk_{g}->a_lock")
    s = s.replace("&journal->j_checkpoint_mutex", f"&lk_{g % 997}->shared_mutex")
    s = s.replace("sb_internal", SHARED[g % len(SHARED)] if g % 3 else f"lk_{g}_c")
    s = s.replace("6.2.0-rc6-syzkaller-00163-g66a87fff1a87", KERNELS[(g + i) % len(KERNELS)])
    s = s.replace("syz-executor.3/1006", f"task{i % 50}/{1000 + i}")
    return s


tmp = tempfile.mkdtemp(prefix="lockdep-webbench-")
per_host = [[] for _ in range(n_hosts)]
for i in range(n_reports):
    g = i % n_groups
    per_host[(i // n_groups * 37 + g) % n_hosts].append((g, i))
for h, items in enumerate(per_host):
    path = os.path.join(tmp, f"host{h}.log")
    with open(path, "w") as f:
        for k, (g, i) in enumerate(items):
            t = 100 + k * 10
            for line in report(g, i).splitlines():
                f.write(f"[{t:6d}.{k % 1000000:06d}] {line}\n")
    subprocess.run([ctl, "--db", db, "import", "--host", f"host{h:03d}", path], check=True,
                   stdout=subprocess.DEVNULL)
    os.unlink(path)
    if h % 20 == 19:
        print(f"  {h + 1}/{n_hosts} hosts imported", file=sys.stderr)
os.rmdir(tmp)
