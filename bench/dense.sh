#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Dense-log benchmark and correctness check: 30 MB of synthetic console log with a lockdep report
# about every 60 KB (485 reports) and a reboot every ~1 MB. Measures `lockdepctl parse --json` vs
# `grep -c` like bench/parse.sh, then runs ../shared/tools/check-parse LOCKDEPCTL dense 7, which
# compares every report (kind, cycle, last_line) with the generator's ground truth.
#
#   bench/dense.sh [LOCKDEPCTL]        (default: build/cli/lockdepctl; BENCH_RUNS=3)
#
# Input: bench-data/dense.log (+ .truth.json), generated on first use with
# ../shared/bench/gen_corpus.py --size 30M --seed 7 --lockdep-every 60K --boot-every 1M.
# Exit status: that of check-parse (0 = every report exact), 1 on a setup error.

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gen=$repo/../shared/bench/gen_corpus.py
check=$repo/../shared/tools/check-parse
ctl=${1:-$repo/build/cli/lockdepctl}
data=$repo/bench-data
file=$data/dense.log

for f in "$gen" "$check"; do
        if [[ ! -f $f ]]; then
                echo "bench/dense.sh: $f not found: the shared specs must be next to the repository (../shared)" >&2
                exit 1
        fi
done
if [[ ! -x $ctl ]]; then
        echo "bench/dense.sh: $ctl is not an executable: build it (ninja -C build) or pass its path" >&2
        exit 1
fi
ctl=$(cd "$(dirname "$ctl")" && pwd)/$(basename "$ctl")

if [[ ! -f $file || ! -f $file.truth.json ]]; then
        mkdir -p "$data"
        echo "bench/dense.sh: generating $file ..." >&2
        python3 "$gen" --size 30M --seed 7 --lockdep-every 60K --boot-every 1M \
                -o "$file.tmp" --truth "$file.truth.json.tmp" >&2
        mv "$file.truth.json.tmp" "$file.truth.json"
        mv "$file.tmp" "$file"
fi

echo "# command: python3 ../shared/bench/gen_corpus.py --size 30M --seed 7 --lockdep-every 60K --boot-every 1M -o bench-data/dense.log"
python3 "$repo/bench/measure.py" "$ctl" "$file" "dense (30M, seed 7)"

echo "# check: ../shared/tools/check-parse LOCKDEPCTL dense 7"
rc=0
python3 "$check" "$ctl" dense 7 || rc=$?
exit $rc
