#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shell completions stay in step with lockdepctl (issue 15).

Covers:
- bash and zsh completion name exactly the verbs of cli/main.c's verb table
- every --option that a verb's --help prints is offered for that verb by both completions
- zsh -n accepts contrib/completion/_lockdepctl (when zsh is installed); bash -n the bash one;
  bash completes "lockdepctl li" to "list" (when bash is installed)

Usage: test-completion.py LOCKDEPCTL SOURCE_ROOT
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    ctl, root = sys.argv[1:3]
    c = lt.Checker("completion")
    main_c = open(os.path.join(root, "cli", "main.c")).read()
    table = re.search(r"verbs\[\] = \{(.*?)\n\};", main_c, re.S)
    verbs = re.findall(r'\{\s*"([a-z]+)"', table.group(1)) if table else []
    c.check(len(verbs) >= 15, f"verb table of cli/main.c not found: {verbs}")
    bash = open(os.path.join(root, "contrib", "completion", "lockdepctl.bash")).read()
    zsh = open(os.path.join(root, "contrib", "completion", "_lockdepctl")).read()
    m = re.search(r"local verbs='([^']*)'", bash)
    c.eq(sorted(m.group(1).split()) if m else [], sorted(verbs), "bash completion verbs")
    zverbs = re.findall(r"^\s*'([a-z]+):", zsh, re.M)
    c.eq(sorted(zverbs), sorted(verbs), "zsh completion verbs")

    for verb in verbs:
        r = subprocess.run([ctl, verb, "--help"], capture_output=True, text=True, timeout=30)
        opts = set(re.findall(r"^\s+(?:-\w\s+)?(--[a-z][a-z-]*)", r.stdout, re.M)) - {"--help"}
        m = re.search(r"\[" + verb + r"\]=['\"]([^'\"]*)['\"]", bash)
        bopts = set(m.group(1).split()) if m else set()
        bopts |= set(re.search(r"local query='([^']*)'", bash).group(1).split()) if "$query" in (m.group(1) if m else "") else set()
        # the output options of the list verbs, one list in each completion (as $query)
        bopts |= set(re.search(r"local output='([^']*)'", bash).group(1).split()) if "$output" in (m.group(1) if m else "") else set()
        case = re.search(r"^\s*(?:\w+\|)*" + verb + r"(?:\|\w+)*\)(.*?);;", zsh, re.M | re.S)
        zopts = set(re.findall(r"--[a-z][a-z-]*", case.group(1))) if case else set()
        if "$output" in (case.group(1) if case else ""):
            zopts |= set(re.findall(r"(--[a-z][a-z-]*)", zsh[zsh.index("output=("):zsh.index("mode=(")]))
        if "$mode" in (case.group(1) if case else ""):  # -o and --json only (show, report, stats, follow)
            zopts |= set(re.findall(r"(--[a-z][a-z-]*)", zsh[zsh.index("mode=("):zsh.index("query=(")]))
        if "$query" in (case.group(1) if case else ""):
            zopts |= set(re.findall(r"[\"'](--[a-z]+)\[", zsh[zsh.index("query=("):zsh.index("query=(") + 800]))
        c.check(opts <= bopts | {"--db", "--no-pager"}, f"bash: {verb} lacks {sorted(opts - bopts)}")
        c.check(opts <= zopts | {"--db", "--no-pager"}, f"zsh: {verb} lacks {sorted(opts - zopts)}")

    if shutil.which("zsh"):
        r = subprocess.run(["zsh", "-n", os.path.join(root, "contrib", "completion", "_lockdepctl")],
                           capture_output=True, text=True)
        c.check(r.returncode == 0, f"zsh -n: {r.stderr}")
    if shutil.which("bash"):
        path = os.path.join(root, "contrib", "completion", "lockdepctl.bash")
        script = (f"source {path}; COMP_WORDS=(lockdepctl li); COMP_CWORD=1; _lockdepctl; "
                  "printf '%s\\n' \"${COMPREPLY[@]}\"")
        r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
        c.eq(r.stdout.split(), ["list"], "bash completes 'lockdepctl li'")
    c.finish()


if __name__ == "__main__":
    main()
