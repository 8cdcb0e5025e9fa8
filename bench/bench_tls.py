#!/usr/bin/env python3
"""redis-benchmark --tls against keel-server and redis-server, side by side.

Both servers listen on a TLS port only (certificates from deploy/gen-certs.sh
in a temporary directory, clients not asked for a certificate), pinned to one
CPU; redis-benchmark runs on another with --tls.  Each test runs on both
servers back to back, ROUNDS times; medians of the paired ratios are printed,
as bench.py does:

  -P 1:  server CPU time per request, Redis / Keel (above 1.0: Keel spends less)
  -P 16: throughput, Keel rps / Redis rps

Usage: bench/bench_tls.py [--keel build/server/keel-server] [--rounds 3]
                          [--tests set,get] [--requests 200000]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import cpu_seconds, free_port, start  # noqa: E402


def tls_ready(port, certs, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = subprocess.run(["redis-cli", "--tls", "--cacert", os.path.join(certs, "ca.crt"),
                            "-p", str(port), "ping"], capture_output=True, text=True)
        if r.stdout.strip() == "PONG":
            return True
        time.sleep(0.1)
    return False


def tls_benchmark(port, certs, test, pipeline, args):
    cmd = ["taskset", "-c", str(args.bench_cpu), "redis-benchmark", "--tls", "--cacert",
           os.path.join(certs, "ca.crt"), "-p", str(port), "-t", test, "-n", str(args.requests),
           "-c", str(args.clients), "-P", str(pipeline), "--csv", "-r", "100000"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout
    for line in reversed(out.splitlines()):
        cols = [c.strip('"') for c in line.split(",")]
        if len(cols) > 1 and cols[0] != "test":
            try:
                return float(cols[1])
            except ValueError:
                continue
    raise RuntimeError("no result from redis-benchmark --tls for %s: %r" % (test, out))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--keel", default=os.path.join(here, "..", "build", "server", "keel-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tests", default="set,get")
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--bench-cpu", type=int, default=1)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="keel-bench-tls-")
    certs = os.path.join(tmp, "certs")
    subprocess.run(["bash", os.path.join(here, "..", "deploy", "gen-certs.sh"), certs],
                   check=True, stdout=subprocess.DEVNULL)
    procs = {}
    ports = {}
    try:
        for name, binary in (("keel", args.keel), ("redis", args.redis)):
            port = free_port()
            d = os.path.join(tmp, name)
            os.makedirs(d)
            procs[name] = start([binary, "--port", "0", "--tls-port", str(port),
                                 "--tls-cert-file", os.path.join(certs, "server.crt"),
                                 "--tls-key-file", os.path.join(certs, "server.key"),
                                 "--tls-ca-cert-file", os.path.join(certs, "ca.crt"),
                                 "--tls-auth-clients", "no", "--save", "", "--appendonly", "no",
                                 "--dir", d], args.server_cpu)
            ports[name] = port
            if not tls_ready(port, certs):
                raise SystemExit("%s did not answer over TLS on port %d" % (name, port))
        rows = []
        for pipeline in [int(p) for p in args.pipelines.split(",")]:
            for test in args.tests.split(","):
                ratios = []
                for _ in range(args.rounds):
                    got = {}
                    for name in ("keel", "redis"):
                        before = cpu_seconds(procs[name].pid)
                        rps = tls_benchmark(ports[name], certs, test, pipeline, args)
                        got[name] = (rps, (cpu_seconds(procs[name].pid) - before) / args.requests)
                    if pipeline == 1:
                        ratios.append(got["redis"][1] / got["keel"][1] if got["keel"][1] else 0)
                    else:
                        ratios.append(got["keel"][0] / got["redis"][0])
                rows.append((pipeline, test, statistics.median(ratios), ratios))
        print("TLS, %d requests, %d clients, %d rounds" % (args.requests, args.clients, args.rounds))
        for pipeline, test, med, ratios in rows:
            what = "CPU/request Redis/Keel" if pipeline == 1 else "rps Keel/Redis"
            print("  -P %-2d %-5s %-24s median %.2f  (%s)" % (pipeline, test, what, med,
                  " ".join("%.2f" % r for r in ratios)))
    finally:
        for p in procs.values():
            p.terminate()
            p.wait(timeout=10)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
