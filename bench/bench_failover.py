#!/usr/bin/env python3
"""Side-by-side failover times: keel-server + keel-sentinel against Debian's
redis-server + redis-sentinel.

A hand-run benchmark, not a test.  For each combination (default keel/keel
and redis/redis; --combo NAME to choose, as in tests/compat), one deployment
of 1 primary + 2 replicas + 3 sentinels (quorum 2, down-after 1000 ms,
failover-timeout 3000 ms, the same config for both) goes through N rounds;
each round SIGKILLs the current primary and measures:

  kill -> +switch-master      on the first sentinel and on all of them
  kill -> first write         a client asking the sentinels where the
                              primary is and SETting there, every 10 ms
  restart -> replica          the killed primary, restarted on its port,
                              is a replica of the new one with the link up

With --manual, N more rounds of SENTINEL FAILOVER measure the request ->
+switch-master (all) and request -> old primary is a replica.
Printed: median and max of each, per combination, side by side.

Binaries: $KEEL_SERVER and $KEEL_SENTINEL (or the newest build*/), and
redis-server / redis-sentinel from PATH ($REDIS_SERVER, $REDIS_SENTINEL).

Usage: bench/bench_failover.py [--rounds 5] [--manual] [--combo keel/keel ...]
"""
import argparse
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "compat"))
import sentinel_cluster as sc  # noqa: E402


def round_kill(cl, fig, combo):
    old = cl.wait_healthy(timeout=40)
    t0 = time.monotonic()
    probe = sc.FirstWriteProbe(cl, old.port, t0).start()
    old.kill(signal.SIGKILL)
    evs = [cl.logs[s].wait("+switch-master", 30, since=t0) for s in cl.sentinels]
    if any(e is None for e in evs):
        raise sc.Timeout("no +switch-master on every sentinel in 30 s\n%s" % cl.describe(since=t0, t0=t0))
    new = cl.server_by_port(int(evs[0][2].split()[4]))
    probe.join()
    fig.add(combo, "kill -> +switch-master (first sentinel)", min(e[0] for e in evs) - t0)
    fig.add(combo, "kill -> +switch-master (all sentinels)", max(e[0] for e in evs) - t0)
    fig.add(combo, "kill -> first write on new primary", probe.elapsed)
    t1 = time.monotonic()
    old.restart()
    sc.wait_until(lambda: cl.is_replica_of(old, new), 60, what="the old primary to rejoin")
    fig.add(combo, "old primary restart -> replica, link up", time.monotonic() - t1)
    return "switch %.0f..%.0f ms, first write %s ms, rejoin %.0f ms" % (
        (min(e[0] for e in evs) - t0) * 1000, (max(e[0] for e in evs) - t0) * 1000,
        "%.0f" % (probe.elapsed * 1000) if probe.elapsed else "-", (time.monotonic() - t1) * 1000)


def round_manual(cl, fig, combo):
    old = cl.wait_healthy(timeout=40)
    t0 = time.monotonic()
    reply = None
    while time.monotonic() - t0 < 10:
        reply = cl.sentinels[0].call("SENTINEL", "FAILOVER", sc.MASTER_NAME)
        if reply == b"OK":
            break
        time.sleep(0.1)
    if reply != b"OK":
        raise sc.Timeout("SENTINEL FAILOVER answered %r" % reply)
    evs = [cl.logs[s].wait("+switch-master", 30, since=t0) for s in cl.sentinels]
    if any(e is None for e in evs):
        raise sc.Timeout("no +switch-master on every sentinel in 30 s\n%s" % cl.describe(since=t0, t0=t0))
    new = cl.server_by_port(int(evs[0][2].split()[4]))
    fig.add(combo, "SENTINEL FAILOVER -> +switch-master (all)", max(e[0] for e in evs) - t0)
    sc.wait_until(lambda: cl.is_replica_of(old, new), 60, what="the old primary to become a replica")
    fig.add(combo, "SENTINEL FAILOVER -> old primary is replica", time.monotonic() - t0)
    return "switch %.0f ms, old primary replica after %.0f ms" % (
        (max(e[0] for e in evs) - t0) * 1000, (time.monotonic() - t0) * 1000)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--manual", action="store_true", help="also time SENTINEL FAILOVER rounds")
    ap.add_argument("--combo", action="append", choices=sorted(sc.COMBOS))
    args = ap.parse_args()
    names = args.combo or ["keel/keel", "redis/redis"]
    fig = sc.Figures()
    for name in names:
        combo, why = sc.load_combo(name)
        if combo is None:
            print("SKIP %s: %s" % (name, why))
            continue
        print("=== %s: %s + %s" % (combo, combo.server_bin, combo.sentinel_bin))
        sys.stdout.flush()
        cl = sc.Cluster(combo, tag="bench").start()
        try:
            for i in range(args.rounds):
                print("  kill round %d: %s" % (i + 1, round_kill(cl, fig, combo)))
                sys.stdout.flush()
            for i in range(args.rounds if args.manual else 0):
                print("  manual round %d: %s" % (i + 1, round_manual(cl, fig, combo)))
                sys.stdout.flush()
        except (sc.Timeout, AssertionError, OSError) as e:
            print("  FAILED: %s" % e)
        finally:
            cl.close()
    print()
    print(fig.table())
    sc.cleanup()


if __name__ == "__main__":
    main()
