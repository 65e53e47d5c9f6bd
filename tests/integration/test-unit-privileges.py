#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The privilege split of issue 16 (docs/LATENT.md), read from the units as systemd parses them.

    test-unit-privileges.py LOCKDEPD.SERVICE LOCKDEP-COLLECT.SERVICE

lockdepd.service has no capability but CAP_SYSLOG (bounding and ambient) and no file-reading
capability; lockdep-collect.service, the only unit that reads /proc/lockdep (as root), has no
capability at all, no network (AF_UNIX only, for journald's socket) and only its state directory
writable.
"""

import re
import subprocess
import sys

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from lockdeptest import Checker  # noqa: E402

ck = Checker("unit-privileges")
daemon, collect = sys.argv[1:3]


def settings(path):
    """Key -> list of values, in order, as in the unit file (comments and sections skipped)."""
    out = {}
    for line in open(path):
        line = line.strip()
        if not line or line[0] in "#;[":
            continue
        k, _, v = line.partition("=")
        out.setdefault(k.strip(), []).append(v.strip())
    return out


def security(path):
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", path],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    return float(m.group(1)) if m else None


d, c = settings(daemon), settings(collect)
ck.eq(d.get("CapabilityBoundingSet"), ["CAP_SYSLOG"], "lockdepd: bounding set")
ck.eq(d.get("AmbientCapabilities"), ["CAP_SYSLOG"], "lockdepd: ambient capabilities")
ck.eq(d.get("DynamicUser"), ["yes"], "lockdepd: not root")
ck.check("CAP_DAC_READ_SEARCH" not in open(daemon).read().replace("#", "\n#").split("\n#")[0],
         "lockdepd: no CAP_DAC_READ_SEARCH")
ck.eq(c.get("CapabilityBoundingSet"), [""], "collect: no capability")
ck.check("User" not in c and "DynamicUser" not in c, "collect: root, the owner of /proc/lockdep")
ck.eq(c.get("PrivateNetwork"), ["yes"], "collect: no network")
ck.eq(c.get("RestrictAddressFamilies"), ["AF_UNIX"], "collect: no sockets but journald's (AF_UNIX)")
ck.check(all("--journal" in v for v in c.get("ExecStart", [])), "collect: sends its snapshots to the journal too")
ck.eq(c.get("ProtectSystem"), ["strict"], "collect: the OS read-only")
ck.eq(c.get("NoNewPrivileges"), ["yes"], "collect: no new privileges")
ck.check(all("snapshot" in v for v in c.get("ExecStart", [])), "collect: runs lockdepctl snapshot")
for path, bound in ((daemon, 2.0), (collect, 2.5)):
    score = security(path)
    ck.check(score is not None and score <= bound, f"{path}: systemd-analyze security {score} <= {bound}")
ck.finish()
