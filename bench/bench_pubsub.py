#!/usr/bin/env python3
"""Side-by-side PUBLISH benchmark of keel-server and redis-server.

A hand-run benchmark, not a test.  Both servers run at once, pinned to one
CPU (--server-cpu); redis-benchmark and the subscriber readers are pinned to
another (--bench-cpu).  For each subscriber count (default 1 and 100):

  - a reader process opens N raw sockets, SUBSCRIBEs each to one channel and
    then reads and discards continuously (one selector loop, so the readers
    never make the server buffer output);
  - redis-benchmark runs `PUBLISH <channel> <payload>` as a custom command
    with -P 16 (redis-benchmark has no built-in publish test);
  - the reader reports how many bytes it received, checked against
    requests x N message frames (every message must arrive).

Each case runs on both servers back to back, ROUNDS times; the medians of
the paired ratios are printed (the machine is shared and noisy, so ratios
are what count): rps ratio = Keel rps / Redis rps, and cpu/req ratio =
Redis server CPU per PUBLISH / Keel's (above 1.0: Keel spends less).

Usage: bench/bench_pubsub.py [--keel build/server/keel-server] [--rounds 3]
                             [--subscribers 1,100] [--requests 200000]
                             [--size 32] [--pipeline 16] [--clients 50]
"""
import argparse
import multiprocessing
import os
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TICKS = os.sysconf("SC_CLK_TCK")
CHANNEL = "bench-chan"


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
            pass
        time.sleep(0.05)
    return False


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start(cmd, cpu):
    return subprocess.Popen(["taskset", "-c", str(cpu)] + cmd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def numsub(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(command("PUBSUB", "NUMSUB", CHANNEL))
        data = b""
        while data.count(b"\r\n") < 4:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b"\r\n")[3][1:])


def reader_main(port, n, cpu, ready, stop, result):
    """Subscribe n sockets, then read and discard until told to stop;
    result.value = bytes received after the subscribe confirmations."""
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError:
        pass
    sel = selectors.DefaultSelector()
    socks = []
    confirm = len(b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(CHANNEL), CHANNEL.encode()))
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(command("SUBSCRIBE", CHANNEL))
        got = b""
        while len(got) < confirm:
            got += s.recv(confirm - len(got))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        socks.append(s)
    ready.set()
    total = 0
    while not stop.is_set():
        for key, _ in sel.select(timeout=0.05):
            try:
                chunk = key.fileobj.recv(1 << 20)
            except BlockingIOError:
                continue
            total += len(chunk)
    # Whatever is still in flight (until 0.5 s of silence, at most 60 s).
    deadline = time.time() + 60.0
    while time.time() < deadline:
        events = sel.select(timeout=0.5)
        if not events:
            break
        for key, _ in events:
            try:
                total += len(key.fileobj.recv(1 << 20))
            except BlockingIOError:
                pass
    for s in socks:
        s.close()
    result.value = total


def run_case(proc, port, nsubs, args, payload):
    ctx = multiprocessing.get_context("fork")
    ready, stop = ctx.Event(), ctx.Event()
    result = ctx.Value("q", 0)
    reader = ctx.Process(target=reader_main, args=(port, nsubs, args.bench_cpu, ready, stop, result))
    reader.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("subscribers did not connect")
        deadline = time.time() + 10
        while numsub(port) != nsubs:
            if time.time() > deadline:
                raise RuntimeError("NUMSUB never reached %d" % nsubs)
            time.sleep(0.05)
        before = cpu_seconds(proc.pid)
        cmd = ["taskset", "-c", str(args.bench_cpu), "redis-benchmark", "-p", str(port),
               "-n", str(args.requests), "-c", str(args.clients), "-P", str(args.pipeline),
               "--csv", "PUBLISH", CHANNEL, payload]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout
        cpu = cpu_seconds(proc.pid) - before
    finally:
        stop.set()
        reader.join(30)
        if reader.is_alive():
            reader.kill()
            reader.join()
    rps = None
    for line in out.splitlines():
        cols = [c.strip('"') for c in line.split(",")]
        if len(cols) > 1 and cols[0] != "test":
            try:
                rps = float(cols[1])
            except ValueError:
                pass
    if rps is None:
        raise RuntimeError(f"no result from redis-benchmark: {out!r}")
    frame = len(command("message", CHANNEL, payload))
    delivered = result.value / (frame * nsubs * args.requests)
    return rps, cpu / args.requests, delivered


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--keel", default=os.path.join(here, "..", "build", "server", "keel-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--subscribers", default="1,100")
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--pipeline", type=int, default=16)
    ap.add_argument("--size", type=int, default=32, help="message payload bytes")
    ap.add_argument("--obuf", default="pubsub 0 0 0",
                    help="client-output-buffer-limit set on both servers (so a reader that "
                    "falls behind is not disconnected mid-run)")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--bench-cpu", type=int, default=1)
    args = ap.parse_args()
    payload = "m" * args.size

    kport, rport = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="keel-bench-pubsub-")
    keel = start([args.keel, "--port", str(kport), "--dir", tmp], args.server_cpu)
    redis = start([args.redis, "--port", str(rport), "--save", "", "--appendonly", "no",
                   "--dir", tmp], args.server_cpu)
    try:
        if not wait_ready(kport) or not wait_ready(rport):
            sys.exit("a server did not start")
        for port in (kport, rport):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(command("CONFIG", "SET", "client-output-buffer-limit", args.obuf))
                if not s.recv(64).startswith(b"+OK"):
                    sys.exit("CONFIG SET client-output-buffer-limit failed")
        print(f"PUBLISH {args.size}-byte messages, -P {args.pipeline}, -c {args.clients}, "
              f"{args.requests} requests, {args.rounds} rounds")
        print(f"{'subs':>5} {'keel rps':>11} {'redis rps':>11} {'rps ratio':>9} "
              f"{'cpu/req ratio':>13} {'delivered k/r':>14}")
        worst = None
        for nsubs in [int(n) for n in args.subscribers.split(",")]:
            rps_ratios, cpu_ratios, krps, rrps, kdel, rdel = [], [], [], [], [], []
            for _ in range(args.rounds):
                k_rps, k_cpu, k_del = run_case(keel, kport, nsubs, args, payload)
                r_rps, r_cpu, r_del = run_case(redis, rport, nsubs, args, payload)
                krps.append(k_rps)
                rrps.append(r_rps)
                kdel.append(k_del)
                rdel.append(r_del)
                rps_ratios.append(k_rps / r_rps)
                if k_cpu > 0:
                    cpu_ratios.append(r_cpu / k_cpu)
            rps_ratio = statistics.median(rps_ratios)
            cpu_ratio = statistics.median(cpu_ratios) if cpu_ratios else float("nan")
            worst = rps_ratio if worst is None else min(worst, rps_ratio)
            print(f"{nsubs:>5} {statistics.median(krps):>11.0f} {statistics.median(rrps):>11.0f} "
                  f"{rps_ratio:>9.2f} {cpu_ratio:>13.2f} "
                  f"{min(kdel):>6.3f}/{min(rdel):<6.3f}")
        print(f"rss after runs: keel {rss_kb(keel.pid)} kB, redis {rss_kb(redis.pid)} kB")
        print(f"worst rps ratio (keel/redis): {worst:.2f}")
    finally:
        for p in (keel, redis):
            p.send_signal(signal.SIGKILL)
            p.wait()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
