#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tools/run.sh [LOCKDEPD-OPTION...]: set up, build and run the daemon in the foreground.
#   1. tools/setup.sh (installs missing Debian packages)
#   2. build/: debugoptimized build (reconfigured when it exists, wiped when that fails)
#   3. imports contrib/sample.log (a console log with one circular-locking report) into
#      lockdepd-state/lockdep.db in the repository, so the database is not empty; importing it
#      again adds nothing
#   4. prints the lockdepctl commands that query the database, then runs lockdepd on it in the
#      foreground (Ctrl-C stops it): it reads /dev/kmsg and the local journal when they are
#      readable (as root; otherwise it logs a note and goes on) and serves the web dashboard on
#      127.0.0.1:9465 when built with libmicrohttpd. Options are passed to lockdepd, for example
#      --follow console.log, --journal-dir DIR, --no-kmsg, --listen 127.0.0.1:8080.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=$root/lockdepd-state
db=$state/lockdep.db

"$root/tools/setup.sh"

cd "$root"
if ! { [[ -f build/meson-private/coredata.dat ]] &&
       meson setup --reconfigure build --buildtype=debugoptimized; }; then
        rm -rf build
        meson setup build --buildtype=debugoptimized
fi
meson compile -C build
cd - >/dev/null                         # lockdepd's FILE/DIR options are relative to the caller

mkdir -p "$state"
echo "=== build/cli/lockdepctl --db lockdepd-state/lockdep.db import contrib/sample.log"
"$root/build/cli/lockdepctl" --db "$db" import "$root/contrib/sample.log"

if (( EUID != 0 )); then
        [[ -r /dev/kmsg && "$(cat /proc/sys/kernel/dmesg_restrict 2>/dev/null)" != 1 ]] ||
                echo "note: not root: /dev/kmsg needs CAP_SYSLOG (kernel.dmesg_restrict=1); lockdepd will skip it"
        id -nG | tr ' ' '\n' | grep -qx -e systemd-journal -e adm ||
                echo "note: not in group systemd-journal or adm: lockdepd will see no journal entries"
fi

cat <<EOF
=== Query the database from another shell (it can be read while lockdepd writes it):
    cd $root
    build/cli/lockdepctl --db lockdepd-state/lockdep.db list             # report groups
    build/cli/lockdepctl --db lockdepd-state/lockdep.db reports          # single reports
    build/cli/lockdepctl --db lockdepd-state/lockdep.db list --json      # as JSON lines
    build/cli/lockdepctl --db lockdepd-state/lockdep.db import FILE...   # add saved logs
=== build/daemon/lockdepd --db lockdepd-state/lockdep.db $*
EOF
exec "$root/build/daemon/lockdepd" --db "$db" "$@"
