#!/usr/bin/env python3
"""Memory per key, Keel vs Redis: RSS and used_memory after loading the same data.

Loads, into a fresh keel-server and a fresh redis-server (each measured
against its own empty baseline):
  - 100,000 hashes of 10 fields     (HSET h:<i> f0 v<i>-0 ... f9 v<i>-9)
  - 100,000 sorted sets of 10 members (ZADD z:<i> 1 m0 ... 10 m9)
  - 1,000,000 strings               (SET k:<i> <10 bytes>)
and prints bytes per key and the Keel/Redis ratio (below 1.0: Keel is leaner).

Usage: bench/bench_memory.py [--keel build/server/keel-server] [--count 100000]
"""
import argparse
import os
import socket
import subprocess
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(port, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def pipeline(port, commands, batch=2000):
    """Send commands in batches and read back as many replies (lines)."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        f = s.makefile("rb")
        for i in range(0, len(commands), batch):
            chunk = commands[i:i + batch]
            s.sendall(b"".join(chunk))
            for _ in chunk:
                line = f.readline()
                if line.startswith(b"-"):
                    raise RuntimeError(line)


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def used_memory(port):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(encode("INFO", "memory"))
        time.sleep(0.2)
        text = s.recv(65536).decode()
    for line in text.splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return 0


def measure(cmd, dataset, count):
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="keel-mem-")
    proc = subprocess.Popen(cmd + ["--port", str(port), "--dir", tmp],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_ready(port):
            raise RuntimeError("server did not start")
        base_rss, base_used = rss(proc.pid), used_memory(port)
        pipeline(port, dataset(count))
        time.sleep(0.5)
        return (rss(proc.pid) - base_rss) / count, (used_memory(port) - base_used) / count
    finally:
        proc.kill()
        proc.wait()
        subprocess.run(["rm", "-rf", tmp])


def hashes(n):
    return [encode("HSET", f"h:{i}", *sum(([f"f{j}", f"v{i}-{j}"] for j in range(10)), []))
            for i in range(n)]


def zsets(n):
    return [encode("ZADD", f"z:{i}", *sum(([j + 1, f"m{j}"] for j in range(10)), []))
            for i in range(n)]


def strings(n):
    return [encode("SET", f"k:{i}", "0123456789") for i in range(n)]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--keel", default=os.path.join(here, "..", "build", "server", "keel-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--count", type=int, default=100000)
    args = ap.parse_args()
    keel = [args.keel]
    redis = [args.redis, "--save", "", "--appendonly", "no"]
    print(f"{'dataset':<28} {'keel rss/key':>12} {'redis rss/key':>13} {'ratio':>6}"
          f" {'keel used/key':>13} {'redis used/key':>14} {'ratio':>6}")
    for name, dataset, count in (("hashes x10 fields", hashes, args.count),
                                 ("sorted sets x10 members", zsets, args.count),
                                 ("strings (10 bytes)", strings, args.count * 10)):
        k_rss, k_used = measure(keel, dataset, count)
        r_rss, r_used = measure(redis, dataset, count)
        print(f"{name:<28} {k_rss:>12.1f} {r_rss:>13.1f} {k_rss / r_rss:>6.2f}"
              f" {k_used:>13.1f} {r_used:>14.1f} {k_used / r_used:>6.2f}")


if __name__ == "__main__":
    main()
