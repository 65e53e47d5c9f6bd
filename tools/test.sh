#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tools/test.sh: set up, build and run every test.
#   1. tools/setup.sh (installs missing Debian packages)
#   2. build-test/: gcc, debug, ASan + UBSan (meson/dev.ini); "meson test" runs all suites
#      (unit, golden, fuzz corpus replay, integration, man)
#   3. build-fuzz/: clang with -Dllvm-fuzz=true (libFuzzer targets, same sanitizers); runs only the
#      "fuzz" suite; skipped when clang cannot link a libFuzzer program or the suite does not exist
# The last line printed is "N passed, N failed", summed over both runs from meson's testlog.json
# (tools/testlog-summary.py). Exit status is non-zero when a build or any test failed.
# Extra arguments are passed to both "meson test" runs (e.g. tools/test.sh --num-processes 1).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# setup_build DIR MESON-SETUP-ARGS...: configure DIR, reusing it when possible, wiping it otherwise.
setup_build() {
        local dir=$1; shift
        if [[ -f "$dir/meson-private/coredata.dat" ]] && meson setup --reconfigure "$dir" "$@"; then
                return 0
        fi
        rm -rf "$dir"
        meson setup "$dir" "$@"
}

# run_tests DIR ARGS...: run "meson test" with a fresh meson-logs/testlog.json.
run_tests() {
        local dir=$1; shift
        rm -f "$dir/meson-logs/testlog.json"
        meson test -C "$dir" --print-errorlogs -t 3 --logbase testlog "$@" "${extra[@]}" || true
}

# has_suite DIR SUITE: does the configured build define a test in SUITE?
has_suite() {
        meson introspect --tests "$1" | python3 -c '
import json, sys
want = sys.argv[1]
tests = json.load(sys.stdin)
sys.exit(0 if any(s == want or s.endswith(":" + want) for t in tests for s in t["suite"]) else 1)' "$2"
}

# clang_fuzzer_works: can clang build and run a libFuzzer program with ASan?
clang_fuzzer_works() {
        local tmp rc
        command -v clang >/dev/null || return 1
        tmp=$(mktemp -d) || return 1
        printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
                'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
                'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void) d; (void) n; return 0; }' \
                >"$tmp/fuzz.c"
        clang -fsanitize=fuzzer,address "$tmp/fuzz.c" -o "$tmp/fuzz" 2>/dev/null &&
                "$tmp/fuzz" -runs=1 >/dev/null 2>&1
        rc=$?
        rm -rf "$tmp"
        return $rc
}

extra=("$@")

if ! tools/setup.sh; then
        echo "setup failed"
        echo "0 passed, 1 failed"
        exit 1
fi

echo "=== build-test: gcc, ASan + UBSan"
if ! { CC=gcc setup_build build-test --native-file meson/dev.ini -Dtests=true &&
       meson compile -C build-test; }; then
        echo "build-test: build failed"
        echo "0 passed, 1 failed"
        exit 1
fi
run_tests build-test
logs=(build-test/meson-logs/testlog.json)
build_failures=0

echo "=== build-fuzz: clang + libFuzzer, suite fuzz"
if ! clang_fuzzer_works; then
        echo "build-fuzz: skipped, clang cannot build libFuzzer programs"
elif ! { CC=clang setup_build build-fuzz --native-file meson/dev.ini -Dtests=true -Dllvm-fuzz=true &&
         meson compile -C build-fuzz; }; then
        echo "build-fuzz: build failed"
        build_failures=1
elif ! has_suite build-fuzz fuzz; then
        echo "build-fuzz: skipped, no test suite 'fuzz' defined"
else
        run_tests build-fuzz --suite fuzz
        logs+=(build-fuzz/meson-logs/testlog.json)
fi

echo "=== summary"
exec python3 tools/testlog-summary.py --build-failures "$build_failures" "${logs[@]}"
