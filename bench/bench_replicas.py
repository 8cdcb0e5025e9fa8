#!/usr/bin/env python3
"""What two replicas cost a primary: SET throughput of keel-server and
redis-server with no replica and with two replicas attached, side by side.

A hand-run benchmark, not a test.  Four primaries run at once, all pinned to
one CPU (--server-cpu, default 0): Keel and Redis, each once bare and once
with two replicas of its own kind (not pinned: they go wherever the kernel
puts them, so on a 2-core machine they compete with the primary and with
redis-benchmark, as replicas on the same host would).  redis-benchmark is
pinned to another CPU (--bench-cpu, default 1) and runs
`-t set -P 16 -n 300000 -c 50 -r 100000` (bench.py's run_benchmark: random
keys over 100,000, so the stream carries distinct keys) against each
primary in turn, ROUNDS times.  Before each run the replicas have
acknowledged the whole stream, so a run never pays for the previous one's
backlog; after it, the script checks that both replicas stayed online with
no new full sync (a replica dropped mid-run would make the figure
meaningless).

Printed: each round's rates, then the medians of the rates and of the
paired ratios (the machine is shared and noisy: the ratios, taken within a
round, are what count): Keel/Redis with 0 and with 2 replicas, and the cost
of two replicas for each (rps with 2 / rps with 0).

Usage: bench/bench_replicas.py [--keel build/server/keel-server] [--rounds 3]
                               [--requests 300000] [--pipeline 16]
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import free_port, run_benchmark, start, wait_ready  # noqa: E402

SYNC_TIMEOUT = 60.0  # seconds for replicas to come online or catch up


def call(port, *args, timeout=10.0):
    """One command over a fresh connection; the reply's text (status, error,
    integer or bulk: all this script needs)."""
    req = b"".join([b"*%d\r\n" % len(args)] +
                   [b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args)])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(req)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if data[:1] in b"+-:" and data.endswith(b"\r\n"):
                break
            if data[:1] == b"$":
                head, _, rest = data.partition(b"\r\n")
                if int(head[1:]) < 0 or len(rest) >= int(head[1:]) + 2:
                    break
    if data[:1] == b"$":
        return data.partition(b"\r\n")[2][:-2].decode()
    return data[1:-2].decode()


def info(port, section):
    fields = {}
    for line in call(port, "INFO", section).splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            fields[k] = v
    return fields


def replicas_state(port):
    """(online replicas, replicas that acknowledged the whole stream,
    full syncs served so far)."""
    repl = info(port, "replication")
    offset = int(repl.get("master_repl_offset", "0"))
    online = acked = 0
    for k, v in repl.items():
        if k.startswith("slave") and k[5:].isdigit():
            kv = dict(p.split("=", 1) for p in v.split(","))
            if kv.get("state") == "online":
                online += 1
                acked += int(kv.get("offset", "-1")) >= offset
    return online, acked, int(info(port, "stats").get("sync_full", "0"))


def wait_caught_up(port, replicas):
    deadline = time.monotonic() + SYNC_TIMEOUT
    while time.monotonic() < deadline:
        online, acked, _ = replicas_state(port)
        if online == replicas and acked == replicas:
            return
        time.sleep(0.1)
    raise RuntimeError(f"replicas of :{port} not online and caught up in {SYNC_TIMEOUT:.0f} s: "
                       f"{replicas_state(port)}")


class Primary:
    """A primary pinned to the server CPU, with `replicas` unpinned replicas."""

    def __init__(self, kind, binary, replicas, args, tmp):
        self.kind, self.replicas = kind, replicas
        self.procs = []
        self.port = free_port()
        try:
            self.procs.append(start(self._argv(binary, self.port, tmp, "p"), args.server_cpu))
            if not wait_ready(self.port):
                raise RuntimeError(f"{kind} primary did not start")
            for i in range(replicas):
                port = free_port()
                argv = self._argv(binary, port, tmp, f"r{i}")
                argv += ["--replicaof", "127.0.0.1", str(self.port)]
                self.procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL))
                if not wait_ready(port):
                    raise RuntimeError(f"{kind} replica did not start")
            wait_caught_up(self.port, replicas)
        except BaseException:
            self.stop()
            raise

    @staticmethod
    def _argv(binary, port, tmp, tag):
        d = tempfile.mkdtemp(prefix=f"{tag}-", dir=tmp)
        return [binary, "--port", str(port), "--dir", d, "--save", "", "--appendonly", "no",
                "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]

    def run(self, args):
        wait_caught_up(self.port, self.replicas)
        syncs = replicas_state(self.port)[2]
        rps = run_benchmark(self.port, "set", args.pipeline, args.requests, args.clients,
                            args.bench_cpu)
        online, _, syncs_after = replicas_state(self.port)
        if online != self.replicas or syncs_after != syncs:
            raise RuntimeError(f"{self.kind}: a replica was dropped during the run "
                               f"({online} online, {syncs_after - syncs} new full syncs)")
        return rps

    def stop(self):
        for p in self.procs:
            p.send_signal(signal.SIGKILL)
            p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keel", default=os.path.join(HERE, "..", "build", "server", "keel-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=300000)
    ap.add_argument("--pipeline", type=int, default=16)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--bench-cpu", type=int, default=1)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="keel-bench-replicas-")
    prims = []
    try:
        for kind, binary in (("keel", args.keel), ("redis", args.redis)):
            for n in (0, 2):
                prims.append(Primary(kind, binary, n, args, tmp))
        k0, k2, r0, r2 = prims
        print(f"SET -P {args.pipeline} -n {args.requests} -c {args.clients} -r 100000; primaries "
              f"on CPU {args.server_cpu}, redis-benchmark on CPU {args.bench_cpu}, replicas "
              f"unpinned ({os.cpu_count()} CPUs)")
        print(f"{'round':<6} {'keel 0':>10} {'keel 2':>10} {'redis 0':>10} {'redis 2':>10}")
        rates = {p: [] for p in prims}
        for i in range(args.rounds):
            for p in (k0, r0, k2, r2):  # each pair back to back
                rates[p].append(p.run(args))
            print(f"{i + 1:<6} " + " ".join(f"{rates[p][-1]:>10.0f}" for p in prims))

        def med_ratio(a, b):
            return statistics.median(x / y for x, y in zip(rates[a], rates[b]))

        def med(p):
            return statistics.median(rates[p])

        print()
        print(f"{'median rps':<22} {'keel':>10} {'redis':>10} {'keel/redis':>11}")
        print(f"{'0 replicas':<22} {med(k0):>10.0f} {med(r0):>10.0f} {med_ratio(k0, r0):>11.2f}")
        print(f"{'2 replicas':<22} {med(k2):>10.0f} {med(r2):>10.0f} {med_ratio(k2, r2):>11.2f}")
        print(f"{'cost: 2 / 0 replicas':<22} {med_ratio(k2, k0):>10.2f} {med_ratio(r2, r0):>10.2f}")
    finally:
        for p in prims:
            p.stop()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
