#!/usr/bin/env python3
"""AOF benchmark: keel-server vs redis-server.

1. Write throughput with the AOF on: redis-benchmark SET (-P 16, 50 clients,
   random keys, 16-byte values) against each server started with
   appendonly yes and each appendfsync policy (always, everysec, no).  The
   servers take turns, round after round, so a busy machine slows both
   alike; medians are printed with the Keel / Redis ratio (above 1.0: Keel
   is faster).
2. Load time: an AOF of N SET commands (an old-style appendonly.aof, which
   both servers upgrade and load), the server's own "DB loaded from append
   only file: X seconds" line; medians and the ratio (below 1.0: Keel is
   faster).

Usage: bench/bench_aof.py [--keel build/server/keel-server] [--rounds 3]
                          [--requests 300000] [--load-keys 1000000]
"""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
            c.sendall(b"PING\r\n")
            return c.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def start(binary, workdir, args, timeout=120):
    port = free_port()
    log = open(os.path.join(workdir, "server.log"), "wb")
    proc = subprocess.Popen([binary, "--port", str(port), "--dir", workdir, "--save", ""] + args,
                            stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited: see %s/server.log" % (binary, workdir))
        if ping(port):
            return proc, port
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("%s did not answer PING within %ds" % (binary, timeout))


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def set_rate(port, requests):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set", "-n", str(requests),
                          "-P", "16", "-c", "50", "-r", "1000000", "-d", "16", "-q"],
                         capture_output=True, text=True, timeout=600).stdout
    rates = re.findall(r"SET: ([0-9.]+)", out.replace("\r", "\n"))
    return float(rates[-1]) if rates else 0.0


def bench_writes(servers, rounds, requests):
    print("SET throughput, appendonly yes (redis-benchmark -P 16 -c 50), requests/s:")
    for policy in ("always", "everysec", "no"):
        rates = {name: [] for name in servers}
        for _ in range(rounds):
            for name, binary in servers.items():
                d = tempfile.mkdtemp(prefix="bench-aof-")
                try:
                    proc, port = start(binary, d, ["--appendonly", "yes", "--appendfsync", policy])
                    rates[name].append(set_rate(port, requests))
                    stop(proc)
                finally:
                    shutil.rmtree(d, ignore_errors=True)
        k, r = statistics.median(rates["keel"]), statistics.median(rates["redis"])
        print("  appendfsync %-8s keel %10.0f   redis %10.0f   keel/redis %.2f"
              % (policy, k, r, k / r if r else 0))
        sys.stdout.flush()


def bench_load(servers, rounds, keys):
    aof = tempfile.mktemp(prefix="bench-aof-", suffix=".aof")
    with open(aof, "wb") as f:
        f.write(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")
        for i in range(keys):
            k, v = b"key:%d" % i, b"value-%d" % (i * 7)
            f.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
    size = os.path.getsize(aof)
    print("Loading an AOF of %d SETs (%.1f MB), seconds:" % (keys, size / 1e6))
    times = {name: [] for name in servers}
    try:
        for _ in range(rounds):
            for name, binary in servers.items():
                d = tempfile.mkdtemp(prefix="bench-aof-")
                try:
                    shutil.copy(aof, os.path.join(d, "appendonly.aof"))
                    proc, _port = start(binary, d, ["--appendonly", "yes"])
                    stop(proc)
                    log = open(os.path.join(d, "server.log"), errors="replace").read()
                    m = re.search(r"DB loaded from append only file: ([0-9.]+) seconds", log)
                    times[name].append(float(m.group(1)) if m else float("nan"))
                finally:
                    shutil.rmtree(d, ignore_errors=True)
    finally:
        os.unlink(aof)
    k, r = statistics.median(times["keel"]), statistics.median(times["redis"])
    print("  keel %.3f   redis %.3f   keel/redis %.2f" % (k, r, k / r if r else 0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keel", default=os.path.join(os.path.dirname(__file__), "..", "build",
                                                   "server", "keel-server"))
    ap.add_argument("--redis", default=shutil.which("redis-server") or "redis-server")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=300000)
    ap.add_argument("--load-keys", type=int, default=1000000)
    a = ap.parse_args()
    servers = {"keel": os.path.abspath(a.keel), "redis": a.redis}
    bench_writes(servers, a.rounds, a.requests)
    bench_load(servers, a.rounds, a.load_keys)


if __name__ == "__main__":
    main()
