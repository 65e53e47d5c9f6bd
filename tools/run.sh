#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tools/run.sh [FILE...]: set up, build and run.
#   1. tools/setup.sh (installs missing Debian packages)
#   2. build/: debugoptimized build (reconfigured when it exists, wiped when that fails)
#   3. runs "lockdepctl parse" on FILE... (default contrib/sample.log, a console log with one
#      circular-locking report) and prints the summary of every report found.
# The daemon, lockdepd, is not written yet; once it exists this script starts it (reading
# contrib/sample.log through source=file) with the web dashboard on loopback instead of step 3.
set -euo pipefail

files=()
for f in "$@"; do                       # FILE arguments are relative to the caller's directory
        if [[ "$f" == - || "$f" == /* ]]; then files+=("$f"); else files+=("$PWD/$f"); fi
done
cd "$(dirname "$0")/.."

tools/setup.sh

if ! { [[ -f build/meson-private/coredata.dat ]] &&
       meson setup --reconfigure build --buildtype=debugoptimized; }; then
        rm -rf build
        meson setup build --buildtype=debugoptimized
fi
meson compile -C build

(( ${#files[@]} > 0 )) || files=(contrib/sample.log)
echo "=== build/cli/lockdepctl parse ${files[*]}"
exec build/cli/lockdepctl parse "${files[@]}"
