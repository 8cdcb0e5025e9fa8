#!/usr/bin/env bash
# Installs everything Keel needs to build and test, from Debian's packages.
# Safe to run again: it only calls apt-get when something is missing.
set -euo pipefail

pkgs=(build-essential cmake pkg-config libev-dev libssl-dev libhiredis-dev
      libcmocka-dev libedit-dev redis-tools redis-server redis-sentinel python3-redis python3 openssl
      cppcheck clang-format libjemalloc-dev)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "keel: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's redis-server package starts a service on 6379; Keel's tests start their own.
if command -v systemctl >/dev/null 2>&1; then systemctl stop redis-server >/dev/null 2>&1 || true; fi
pkill -x redis-server >/dev/null 2>&1 || true
if command -v systemctl >/dev/null 2>&1; then systemctl stop redis-sentinel >/dev/null 2>&1 || true; fi

# ioredis (pinned in tests/compat/ioredis) for test_sentinel_clients.py: node and npm from
# Debian when node is missing, then `npm ci`.  Offline-tolerant: without the npm registry
# the ioredis half of that test skips with a message.
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v node >/dev/null 2>&1; then
    echo "keel: installing nodejs npm"
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        $SUDO apt-get install -y -qq --no-install-recommends nodejs npm; } >/dev/null 2>&1 ||
        echo "keel: nodejs/npm not installed; the ioredis tests will be skipped"
fi
iodir="$(cd "$(dirname "$0")/.." && pwd)/tests/compat/ioredis"
if command -v npm >/dev/null 2>&1 && [ ! -d "$iodir/node_modules/ioredis" ]; then
    (cd "$iodir" && timeout 300 npm ci --no-audit --no-fund --silent >/dev/null 2>&1) ||
        echo "keel: npm ci in tests/compat/ioredis failed (npm registry unreachable?); the ioredis tests will be skipped"
fi
exit 0
