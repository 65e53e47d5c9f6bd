#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Sparse-log benchmark: `lockdepctl parse --json` vs `grep -c` on 1 GB of synthetic console log
# (~98 lockdep reports), warm page cache, same run. Prints bytes, grep GB/s, parse GB/s, their
# ratio (target >= 0.65, issue 10), peak RSS (target < 64 MiB) and reports found vs the truth sidecar, plus a
# row for bench/RESULTS.md.
#
#   bench/parse.sh [LOCKDEPCTL]        (default: build/cli/lockdepctl; BENCH_RUNS=3)
#
# The input, bench-data/c1g.log (+ .truth.json), is generated on first use with
# ../shared/bench/gen_corpus.py --size 1G --seed 1 (about 2 minutes, 1 GB of disk). Not committed.

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gen=$repo/../shared/bench/gen_corpus.py
ctl=${1:-$repo/build/cli/lockdepctl}
data=$repo/bench-data
file=$data/c1g.log

if [[ ! -f $gen ]]; then
        echo "bench/parse.sh: $gen not found: the shared specs must be next to the repository (../shared)" >&2
        exit 1
fi
if [[ ! -x $ctl ]]; then
        echo "bench/parse.sh: $ctl is not an executable: build it (ninja -C build) or pass its path" >&2
        exit 1
fi

if [[ ! -f $file || ! -f $file.truth.json ]]; then
        mkdir -p "$data"
        echo "bench/parse.sh: generating $file ..." >&2
        python3 "$gen" --size 1G --seed 1 -o "$file.tmp" --truth "$file.truth.json.tmp" >&2
        mv "$file.truth.json.tmp" "$file.truth.json"
        mv "$file.tmp" "$file"
fi

echo "# command: python3 ../shared/bench/gen_corpus.py --size 1G --seed 1 -o bench-data/c1g.log"
exec python3 "$repo/bench/measure.py" "$ctl" "$file" "c1g (1G, seed 1)"
