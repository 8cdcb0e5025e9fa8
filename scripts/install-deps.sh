#!/usr/bin/env bash
# Installs everything Keel needs to build and test, from Debian's packages.
# Safe to run again: it only calls apt-get when something is missing.
set -euo pipefail

pkgs=(build-essential cmake pkg-config libev-dev libssl-dev libhiredis-dev
      libcmocka-dev libedit-dev redis-tools redis-server python3-redis python3 openssl
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
exit 0
