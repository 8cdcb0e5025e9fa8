#!/usr/bin/env python3
"""Side-by-side benchmark of keel-server and redis-server with redis-benchmark.

Both servers run at once, pinned to one CPU; redis-benchmark is pinned to
another.  Each test runs on both servers back to back, ROUNDS times, and the
medians of the paired ratios are printed (the machine is shared and noisy, so
ratios are what count, not absolute rates).

  -P 1:  redis-benchmark itself is the bottleneck, so throughput says little;
         the ratio compared is server CPU time per request (Redis / Keel,
         from /proc/PID/stat): above 1.0 means Keel spends less CPU.
  -P 16: throughput shows the difference: ratio = Keel rps / Redis rps.

Usage: bench/bench.py [--keel build/server/keel-server] [--rounds 3]
                      [--tests set,get,incr,mset] [--requests 200000]
       bench/bench.py --tests types   (lpush,rpush,lpop,rpop,sadd,hset,spop,
                                       zadd,zpopmin,lrange_100,lrange_600)
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

TICKS = os.sysconf("SC_CLK_TCK")


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


def run_benchmark(port, test, pipeline, requests, clients, cpu):
    cmd = ["taskset", "-c", str(cpu), "redis-benchmark", "-p", str(port), "-t", test,
           "-n", str(requests), "-c", str(clients), "-P", str(pipeline), "--csv", "-r", "100000"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout
    # The last row is the test itself: LRANGE tests first print the LPUSH
    # that fills their list.
    result = None
    for line in out.splitlines():
        cols = [c.strip('"') for c in line.split(",")]
        if len(cols) > 1 and cols[0] != "test":
            try:
                result = float(cols[1])
            except ValueError:
                continue
    if result is None:
        raise RuntimeError(f"no result from redis-benchmark for {test}: {out!r}")
    return result


def measure(proc, port, test, pipeline, args):
    before = cpu_seconds(proc.pid)
    rps = run_benchmark(port, test, pipeline, args.requests, args.clients, args.bench_cpu)
    cpu = cpu_seconds(proc.pid) - before
    return rps, cpu / args.requests


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--keel", default=os.path.join(here, "..", "build", "server", "keel-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tests", default="set,get,incr,mset")
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--bench-cpu", type=int, default=1)
    args = ap.parse_args()
    if args.tests == "types":
        args.tests = "lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_600"

    kport, rport = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="keel-bench-")
    keel = start([args.keel, "--port", str(kport), "--dir", tmp], args.server_cpu)
    redis = start([args.redis, "--port", str(rport), "--save", "", "--appendonly", "no",
                   "--dir", tmp], args.server_cpu)
    try:
        if not wait_ready(kport) or not wait_ready(rport):
            sys.exit("a server did not start")
        print(f"{'test':<8} {'-P':>3} {'keel rps':>11} {'redis rps':>11} "
              f"{'rps ratio':>9} {'cpu/req ratio':>13}")
        worst = None
        for pipeline in [int(p) for p in args.pipelines.split(",")]:
            for test in args.tests.split(","):
                rps_ratios, cpu_ratios, krps, rrps = [], [], [], []
                for _ in range(args.rounds):
                    k_rps, k_cpu = measure(keel, kport, test, pipeline, args)
                    r_rps, r_cpu = measure(redis, rport, test, pipeline, args)
                    krps.append(k_rps)
                    rrps.append(r_rps)
                    rps_ratios.append(k_rps / r_rps)
                    if k_cpu > 0:
                        cpu_ratios.append(r_cpu / k_cpu)
                rps_ratio = statistics.median(rps_ratios)
                cpu_ratio = statistics.median(cpu_ratios) if cpu_ratios else float("nan")
                score = cpu_ratio if pipeline == 1 else rps_ratio
                worst = score if worst is None else min(worst, score)
                print(f"{test:<8} {pipeline:>3} {statistics.median(krps):>11.0f} "
                      f"{statistics.median(rrps):>11.0f} {rps_ratio:>9.2f} {cpu_ratio:>13.2f}")
        print(f"rss after runs: keel {rss_kb(keel.pid)} kB, redis {rss_kb(redis.pid)} kB")
        print(f"worst ratio (cpu/req at -P 1, rps at -P >1): {worst:.2f}")
    finally:
        for p in (keel, redis):
            p.send_signal(signal.SIGKILL)
            p.wait()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
