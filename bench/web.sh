#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/web.sh BUILD_DIR [DB]: web dashboard throughput on loopback.
#   1. builds (or reuses) DB: 100,000 reports in 5,000 groups over 200 hosts, imported through
#      lockdepctl from synthetic logs (bench/web-gen.py); default bench-data/web.db
#   2. runs lockdepd --web-only with LOCKDEP_WEB_BENCH=1 (enables /bench/fixed?size=N)
#   3. wrk (BENCH_SECONDS, default 10 s, BENCH_CONNS connections, default 16, 2 threads) against
#      /api/v1/groups?limit=50, / and /bench/fixed?size=<size of the groups answer>, and once more
#      against /api/v1/groups?limit=50&n=<counter>: every URL distinct, so never from the
#      response cache (the cost of a miss: store query and JSON), and the same for / (HTML); for
#      these two also lockdepd's CPU time (utime + stime) per request, steadier than req/s on a
#      loaded machine
#   4. prints req/s, p99 latency and the ratio groups / fixed-buffer req/s
#   5. /graph at ~2,000 lock-order edges (issue 14): a second database (GRAPH_DB, default
#      bench-data/graph.db: web-gen.py 2,000 reports in 500 groups over 10 hosts), 20 uncached
#      requests each of /graph, a focus and a kernel filter: median and max time to the first byte
#      (on loopback: the server's rendering time), the page size, and the same for a fixed buffer
#      of the page's size as the reference. Budget: < 200 ms, < 300 KB.
#      BENCH_GRAPH_ONLY=1 runs this part only.
set -euo pipefail

build=${1:?usage: bench/web.sh BUILD_DIR [DB]}
here=$(cd "$(dirname "$0")" && pwd)
db=${2:-$here/../bench-data/web.db}
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNS:-16}
command -v wrk >/dev/null || { echo "wrk is not installed (tools/setup.sh)"; exit 77; }

graph_bench() {
        local gdb=${GRAPH_DB:-$here/../bench-data/graph.db} glog gpid gport gbase q
        if [[ ! -s $gdb ]]; then
                mkdir -p "$(dirname "$gdb")"
                echo "generating $gdb ..."
                /usr/bin/python3 "$here/web-gen.py" "$build/cli/lockdepctl" "$gdb" 2000 500 10
        fi
        glog=$(mktemp)
        LOCKDEP_WEB_BENCH=1 "$build/daemon/lockdepd" --web-only --db "$gdb" --config /dev/null \
                --listen 127.0.0.1:0 2>"$glog" &
        gpid=$!
        for _ in $(seq 100); do
                gport=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$glog" | grep -o '[0-9]*$' || true)
                [[ -n $gport ]] && break
                sleep 0.1
        done
        gbase=http://127.0.0.1:$gport
        echo "graph database: $(sqlite3 "$gdb" "SELECT count(*) FROM lock_edges") edges, $(sqlite3 "$gdb" \
                "SELECT count(*) FROM groups") groups"
        for q in "?x=1" "?lock=%26mm-%3Emmap_lock&depth=2" "?kernel=6.1.0-rc3" "?lock=rtnl_mutex&depth=3&offset=50"; do
                local size times
                size=$(curl -s "$gbase/graph$q" | wc -c)
                times=$(for i in $(seq 20); do
                        curl -s -o /dev/null -w '%{time_starttransfer}\n' "$gbase/graph$q&n=$i"; done | sort -n)
                local ftimes
                ftimes=$(for i in $(seq 20); do
                        curl -s -o /dev/null -w '%{time_starttransfer}\n' "$gbase/bench/fixed?size=$size&n=$i"; done | sort -n)
                awk -v q="$q" -v size="$size" -v f="$(sed -n 10p <<<"$ftimes")" \
                        'NR == 10 { med = $1 } { max = $1 } END { printf "/graph%s: median %.1f ms, max %.1f ms, %d KB; fixed buffer of that size: median %.1f ms\n", q, med * 1000, max * 1000, size / 1024, f * 1000 }' <<<"$times"
        done
        kill "$gpid"
        wait "$gpid" 2>/dev/null || true
        rm -f "$glog"
}
if [[ ${BENCH_GRAPH_ONLY:-0} == 1 ]]; then
        graph_bench
        exit 0
fi

if [[ ! -s $db ]]; then
        mkdir -p "$(dirname "$db")"
        echo "generating $db ..."
        start=$(date +%s)
        /usr/bin/python3 "$here/web-gen.py" "$build/cli/lockdepctl" "$db"
        echo "generated in $(( $(date +%s) - start )) s"
fi
sqlite3 "$db" "SELECT 'reports ' || count(*) FROM reports; SELECT 'groups ' || count(*) FROM groups;
               SELECT 'hosts ' || count(*) FROM hosts;"

log=$(mktemp)
lua=$(mktemp --suffix=.lua)
cat >"$lua" <<'EOF'
local threads = 0
function setup(thread)
        threads = threads + 1
        thread:set("tid", threads)
end
local n = 0
function request()
        n = n + 1
        return wrk.format(nil, "/api/v1/groups?limit=50&n=" .. tid .. "-" .. n)
end
EOF
LOCKDEP_WEB_BENCH=1 "$build/daemon/lockdepd" --web-only --db "$db" --config /dev/null \
        --listen 127.0.0.1:0 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log" "$lua"' EXIT
for _ in $(seq 100); do
        port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$' || true)
        [[ -n $port ]] && break
        sleep 0.1
done
base=http://127.0.0.1:$port
size=$(curl -s "$base/api/v1/groups?limit=50" | wc -c)
echo "size of /api/v1/groups?limit=50: $size bytes; / : $(curl -s "$base/" | wc -c) bytes"

run() { # URL [wrk options] -> "req/s p99"
        local out
        out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "${@:2}" "$1")
        local rps p99
        rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
        p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers for $1" >&2; fi
        echo "$rps $p99"
}
read -r g_rps g_p99 < <(run "$base/api/v1/groups?limit=50")
read -r h_rps h_p99 < <(run "$base/")
read -r f_rps f_p99 < <(run "$base/bench/fixed?size=$size")
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; } # lockdepd's utime + stime
c0=$(cpu_ticks)
read -r u_rps u_p99 < <(run "$base/" -s "$lua")
c1=$(cpu_ticks)
sed -i 's|/api/v1/groups?limit=50&n=|/?n=|' "$lua"
read -r uh_rps uh_p99 < <(run "$base/" -s "$lua")
c2=$(cpu_ticks)
per_request() { # TICKS REQ/S -> server CPU usec per request
        awk -v t="$1" -v r="$2" -v s="$secs" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t / hz * 1e6 / (r * s) }'
}
echo "/api/v1/groups?limit=50  $g_rps req/s  p99 $g_p99"
echo "/ (HTML, 50 groups)      $h_rps req/s  p99 $h_p99"
echo "/bench/fixed?size=$size  $f_rps req/s  p99 $f_p99"
echo "/api/v1/groups?limit=50&n=<distinct> (uncached)  $u_rps req/s  p99 $u_p99  server CPU $(per_request $((c1 - c0)) "$u_rps") us/request"
echo "/?n=<distinct> (HTML, uncached)  $uh_rps req/s  p99 $uh_p99  server CPU $(per_request $((c2 - c1)) "$uh_rps") us/request"
awk -v a="$g_rps" -v b="$f_rps" 'BEGIN { printf "ratio groups/fixed: %.3f\n", a / b }'
graph_bench
