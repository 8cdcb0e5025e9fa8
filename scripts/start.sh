#!/usr/bin/env bash
# Installs what is missing, builds Keel (Release) and starts one keel-server
# in the background on port ${KEEL_PORT:-6379}, then says how to connect.
# Stop it with: build/cli/keel-cli -p PORT shutdown
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh Release >/dev/null
port="${KEEL_PORT:-6379}"
data="${KEEL_DATA:-$PWD/data/$port}"
mkdir -p "$data"
build/server/keel-server deploy/keel.conf --port "$port" --dir "$data" \
    --daemonize yes --logfile "$data/keel.log" --pidfile "$data/keel.pid"
for _ in $(seq 50); do
    build/cli/keel-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
done
if ! build/cli/keel-cli -p "$port" ping >/dev/null 2>&1; then
    echo "keel-server did not start; see $data/keel.log" >&2
    exit 1
fi
echo "keel-server is running on 127.0.0.1:$port (log: $data/keel.log)"
echo "connect:  build/cli/keel-cli -p $port      (or redis-cli -p $port)"
echo "stop:     build/cli/keel-cli -p $port shutdown"
