#!/usr/bin/env bash
# Builds Keel.  Usage: scripts/build.sh [Release|Debug|Asan] (default Release).
# The build goes to build/ (Release) or build-<type>/ (others).
set -euo pipefail
cd "$(dirname "$0")/.."
type="${1:-Release}"
dir=build
[ "$type" = Release ] || dir="build-$(echo "$type" | tr 'A-Z' 'a-z')"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" >&2
cmake --build "$dir" -j"$(nproc)" >&2
echo "$dir"
