#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Debian package: dpkg-buildpackage -us -uc -b in a temporary copy of the tree, then lintian.

Covers:
- the package builds from a copy of the tracked files (the source tree is not touched: its git
  status is the same afterwards)
- lintian (with -I) reports no error; every other tag it reports is listed and justified in
  debian/README.source
- the .deb holds the programs, both units in systemd's unit directory, the three manual pages,
  bash and zsh completion, the example configuration and the Prometheus rules
- the units are installed disabled and not started: the maintainer scripts only re-enable a
  unit that was enabled before (deb-systemd-helper was-enabled) and start nothing
- the version in debian/changelog is the one in meson.build's project()
Skips (77) when dpkg-buildpackage, debhelper or lintian are missing (tools/setup.sh installs them).

Usage: test-deb.py SOURCE_ROOT
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdeptest as lt  # noqa: E402


def tracked_files(root):
    r = subprocess.run(["git", "-C", root, "ls-files", "-co", "--exclude-standard"], capture_output=True, text=True)
    if r.returncode == 0:
        return [f for f in r.stdout.splitlines() if not f.startswith(("build", "lockdepd-state/"))]
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith((".", "build", "lockdepd-state"))]
        out += [os.path.relpath(os.path.join(d, f), root) for f in files]
    return out


def git_status(root):
    r = subprocess.run(["git", "-C", root, "status", "--porcelain", "--ignored"], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    root = os.path.abspath(sys.argv[1])
    for tool in ("dpkg-buildpackage", "dh", "lintian", "dpkg-deb"):
        if not shutil.which(tool):
            lt.skip(f"{tool} not installed (tools/setup.sh installs dpkg-dev, debhelper and lintian)")
    c = lt.Checker("deb")
    before = git_status(root)
    tmp = tempfile.mkdtemp(prefix="lockdep-deb-")
    try:
        src = os.path.join(tmp, "lockdep-analyzer")
        for f in tracked_files(root):
            if os.path.isfile(os.path.join(root, f)):
                os.makedirs(os.path.dirname(os.path.join(src, f)), exist_ok=True)
                shutil.copy2(os.path.join(root, f), os.path.join(src, f))
        meson_version = re.search(r"version\s*:\s*'([^']+)'", open(os.path.join(src, "meson.build")).read()).group(1)
        deb_version = re.match(r"\S+ \(([^)]+)\)", open(os.path.join(src, "debian", "changelog")).read()).group(1)
        c.eq(deb_version, meson_version, "debian/changelog version vs meson.build")

        env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=2", LC_ALL="C.UTF-8")
        for k in ("CC", "CFLAGS", "LDFLAGS", "MESON_TESTTHREADS", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
            env.pop(k, None)
        r = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, capture_output=True, text=True,
                           env=env, timeout=1500)
        if not c.check(r.returncode == 0, f"dpkg-buildpackage failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"):
            c.finish()
        debs = [f for f in os.listdir(tmp) if f.endswith(".deb") and "dbgsym" not in f]
        changes = [f for f in os.listdir(tmp) if f.endswith(".changes")]
        c.check(len(debs) == 1 and len(changes) == 1, f"build products: {os.listdir(tmp)}")
        deb = os.path.join(tmp, debs[0])

        r = subprocess.run(["lintian", "-I", os.path.join(tmp, changes[0])], capture_output=True, text=True,
                           timeout=600, env=env)
        tags = re.findall(r"^([EWIXP]): \S+: (\S+)", r.stdout, re.M)
        c.check(r.returncode == 0 and not [t for t in tags if t[0] == "E"],
                f"lintian errors (exit {r.returncode}):\n{r.stdout}{r.stderr}")
        justified = open(os.path.join(src, "debian", "README.source")).read()
        for level, tag in sorted(set(tags)):
            c.check(re.search(r"^" + re.escape(tag) + r"$", justified, re.M),
                    f"lintian {level}: {tag} is not listed in debian/README.source")
        print(f"lintian tags: {sorted(set(tags))}")

        listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True).stdout
        paths = {ln.split()[-1].lstrip(".") for ln in listing.splitlines() if ln.split()}
        for want in ("/usr/sbin/lockdepd", "/usr/bin/lockdepctl", "/lib/systemd/system/lockdepd.service",
                     "/lib/systemd/system/lockdepd-web.service", "/usr/share/man/man8/lockdepd.8.gz",
                     "/usr/share/man/man1/lockdepctl.1.gz", "/usr/share/man/man5/lockdepd.conf.5.gz",
                     "/usr/share/bash-completion/completions/lockdepctl",
                     "/usr/share/zsh/vendor-completions/_lockdepctl",
                     "/usr/share/doc/lockdep-analyzer/examples/lockdepd.conf.example",
                     "/usr/share/doc/lockdep-analyzer/examples/lockdep.rules.yml",
                     "/usr/share/doc/lockdep-analyzer/copyright"):
            c.check(want in paths, f"{want} not in the package")
        unit = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], capture_output=True).stdout
        c.check(b"ExecStart=/usr/sbin/lockdepd\n" in unit, "lockdepd.service does not run /usr/sbin/lockdepd")

        ctl = os.path.join(tmp, "control")
        subprocess.run(["dpkg-deb", "-e", deb, ctl], check=True)
        scripts = {f: open(os.path.join(ctl, f)).read() for f in ("postinst", "prerm", "postrm")
                   if os.path.exists(os.path.join(ctl, f))}
        post = scripts.get("postinst", "")
        for m in re.finditer(r"^.*deb-systemd-helper enable .*$", post, re.M):
            head = post[:m.start()].splitlines()[-3:]
            c.check(any("was-enabled" in h for h in head), f"postinst enables a unit unconditionally: {m.group(0)}")
        for name, text in scripts.items():
            c.check(not re.search(r"deb-systemd-invoke\s+(\$_dh_action|start|restart)", text),
                    f"{name} starts a unit")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    after = git_status(root)
    c.check(before == after, f"the source tree changed:\nbefore:\n{before}\nafter:\n{after}")
    c.finish()


if __name__ == "__main__":
    main()
