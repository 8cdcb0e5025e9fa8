#!/usr/bin/env python3
"""Snapshot benchmark: keel-server vs redis-server.

For each server in turn: fill N keys (pipelined SETs, or a mix of every
type with --mix), time SAVE (the client's view of the command), note the
file size, restart on the same file and time the load (the server's own
"DB loaded from disk: X seconds" line, and the wall time until it answers
PING).  Each measurement is repeated --rounds times and the medians are
printed with the Keel / Redis ratios (below 1.0: Keel is faster or
smaller).  Both servers run with the same rdbcompression setting.

Usage: bench/bench_persist.py [--keel build/server/keel-server] [--keys 1000000]
                              [--rounds 3] [--mix] [--rdbcompression yes|no]
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


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=600)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self._line()
        if line[:1] == b"$":
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 20)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if line[:1] == b"-":
            raise RuntimeError(line.decode())
        return line[1:]

    def call(self, *args):
        self.sock.sendall(encode(*args))
        return self.reply()

    def pipeline(self, cmds):
        self.sock.sendall(b"".join(encode(*c) for c in cmds))
        for _ in cmds:
            self.reply()


def wait_ready(port, proc, timeout=600.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError("no PONG within %.0f s" % timeout)


def start(binary, workdir, port, compression):
    log = os.path.join(workdir, "server.log")
    argv = [binary, "--port", str(port), "--dir", workdir, "--save", "",
            "--rdbcompression", compression, "--logfile", log]
    if "redis" in os.path.basename(binary):
        argv += ["--appendonly", "no"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    wait_ready(port, proc)
    return proc, time.monotonic() - t0, log


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def fill(conn, n, mix):
    batch = 10000
    for base in range(0, n, batch):
        cmds = []
        for i in range(base, min(n, base + batch)):
            if not mix or i % 5 == 0:
                cmds.append(("SET", "key:%d" % i, "value:%d:%s" % (i, "x" * 16)))
            elif i % 5 == 1:
                cmds.append(("RPUSH", "list:%d" % i, "a", "b", i, "c" * 20))
            elif i % 5 == 2:
                cmds.append(("HSET", "hash:%d" % i, "f1", i, "f2", "value", "f3", "x" * 30))
            elif i % 5 == 3:
                cmds.append(("SADD", "set:%d" % i, 1, 2, i, 100000 + i))
            else:
                cmds.append(("ZADD", "zset:%d" % i, 1, "a", 2.5, "b", i, "member%d" % i))
        conn.pipeline(cmds)


def loaded_seconds(log):
    with open(log, errors="replace") as f:
        m = re.findall(r"DB loaded from disk: ([0-9.]+) seconds", f.read())
    return float(m[-1]) if m else float("nan")


def measure(binary, keys, mix, compression):
    workdir = tempfile.mkdtemp(prefix="bench-persist-")
    try:
        port = free_port()
        proc, _, log = start(binary, workdir, port, compression)
        conn = Conn(port)
        fill(conn, keys, mix)
        dbsize = int(conn.call("DBSIZE"))
        t0 = time.monotonic()
        conn.call("SAVE")
        save_s = time.monotonic() - t0
        size = os.path.getsize(os.path.join(workdir, "dump.rdb"))
        conn.sock.close()
        stop(proc)
        proc, wall, log = start(binary, workdir, port, compression)
        conn = Conn(port)
        reloaded = int(conn.call("DBSIZE"))
        conn.sock.close()
        stop(proc)
        if reloaded != dbsize:
            raise RuntimeError("%s: %d keys before, %d after the reload" % (binary, dbsize, reloaded))
        return {"save_s": save_s, "load_s": loaded_seconds(log), "load_wall_s": wall,
                "size": size, "keys": dbsize}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--keel", default=os.path.join(here, "..", "build", "server", "keel-server"))
    ap.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--mix", action="store_true", help="every type, not only strings")
    ap.add_argument("--rdbcompression", default="yes", choices=["yes", "no"])
    args = ap.parse_args()
    for b in (args.keel, args.redis):
        if not os.access(b, os.X_OK):
            sys.exit("not executable: %s" % b)

    results = {"keel": [], "redis": []}
    for r in range(args.rounds):
        for name, binary in (("redis", args.redis), ("keel", args.keel)):
            m = measure(binary, args.keys, args.mix, args.rdbcompression)
            results[name].append(m)
            print("round %d %-5s: %d keys, SAVE %.3f s, load %.3f s (ready after %.3f s), "
                  "file %d bytes" % (r + 1, name, m["keys"], m["save_s"], m["load_s"],
                                     m["load_wall_s"], m["size"]), flush=True)

    def med(name, field):
        return statistics.median(x[field] for x in results[name])

    print("\n%d keys%s, rdbcompression %s, medians of %d rounds:" %
          (args.keys, " (every type)" if args.mix else " (strings)", args.rdbcompression,
           args.rounds))
    print("%-22s %12s %12s %8s" % ("", "redis", "keel", "keel/redis"))
    for field, label, fmt in (("save_s", "SAVE (s)", "%12.3f"), ("load_s", "load (s)", "%12.3f"),
                              ("load_wall_s", "start to PONG (s)", "%12.3f"),
                              ("size", "file size (bytes)", "%12d")):
        rv, kv = med("redis", field), med("keel", field)
        print(("%-22s " + fmt + " " + fmt + " %8.2f") % (label, rv, kv, kv / rv if rv else 0))


if __name__ == "__main__":
    main()
