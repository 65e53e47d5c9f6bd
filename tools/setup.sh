#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tools/setup.sh: install the build, test and documentation dependencies of lockdep-analyzer on
# Debian 12. Idempotent: only packages that dpkg-query does not report as installed are installed,
# and "apt-get update" runs only when something is missing. Non-interactive; must run as root
# (or via sudo) when anything is missing.
set -euo pipefail

packages=(
        meson ninja-build pkg-config gcc
        clang libclang-rt-14-dev              # clang build + libFuzzer/sanitizer runtimes
        libpcre2-dev libsqlite3-dev libsystemd-dev libmicrohttpd-dev
        zlib1g-dev liblzma-dev libzstd-dev    # compressed logs (common/decompress.c)
        libisal-dev                           # fast gzip inflate (optional: zlib without it)
        tmux                                  # terminal tests of lockdepctl (test cli-tty)
        python3 sqlite3
        zstd                                  # compressed-input tests (gzip, xz: Python)
        systemd-journal-remote                # journal-remote output for integration tests
        man-db groff-base                     # man page rendering test
        chromium chromium-driver python3-selenium  # web dashboard tests (headless browser)
        wrk                                   # bench/web.sh
        graphviz                              # "lockdepctl graph" output checked with dot
        bash-completion                       # completion install dir (pkg-config)
        dpkg-dev debhelper fakeroot lintian   # the .deb build and its lintian check (suite packaging)
        zsh                                   # zsh completion syntax check
        prometheus                            # promtool: /metrics and alerting rules checks
        curl                                  # README.md's tour (test cli-readme)
)

missing=()
for p in "${packages[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [[ "$status" == installed ]] || missing+=("$p")
done

if (( ${#missing[@]} == 0 )); then
        echo "setup: all ${#packages[@]} packages present"
        exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=()
(( EUID == 0 )) || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
