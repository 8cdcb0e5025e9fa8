#!/usr/bin/env bash
# Installs what is missing, runs the static checks (scripts/lint.sh), builds Keel twice (Release, and Asan = ASan+UBSan)
# and runs every test (ctest: unit, integration, compat and differential
# tests against redis-server) in both builds.  Exit code 0 only if all pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/lint.sh

for type in Release Asan; do
    echo "=== $type build ==="
    dir=$(bash scripts/build.sh "$type" | tail -n 1)
    echo "=== $type tests ==="
    # ASan: report leaks and stop at the first error; UBSan: fail on any report.
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        ctest --test-dir "$dir" --output-on-failure -j2 --timeout 300
done
echo "all tests passed"
