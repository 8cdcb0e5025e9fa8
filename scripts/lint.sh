#!/usr/bin/env bash
# Static checks: cppcheck (warnings are errors) and clang-format (every C
# file formatted with the root .clang-format).  Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find common server cli tests -name '*.[ch]')
echo "lint: cppcheck"
cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
    -D_GNU_SOURCE -Icommon -Iserver -Ireplication -Isentinel --suppress=missingIncludeSystem common server \
    replication sentinel cli
echo "lint: clang-format"
clang-format --dry-run --Werror $files
echo "lint: ok"
