"""test_sentinel_clients: real Sentinel clients writing through failovers.

Two writers run side by side on 1 primary + 2 replicas + 3 sentinels:
- redis-py: Sentinel([...], socket_timeout=0.5).master_for('mymaster',
  socket_timeout=0.5), one thread writing unique keys (SET k:<n> <n>, then
  WAIT 1 100 on the same connection), retrying on ConnectionError,
  TimeoutError and ReadOnlyError after a short sleep;
- ioredis (tests/compat/ioredis/writer.js): new Redis({sentinels, name}),
  SET then WAIT 1 200, printing JSON (skipped with a message when ioredis is
  not installed: run scripts/install-deps.sh).
A write is acknowledged only if SET said OK and WAIT counted >= 1 replica.
Faults: (a) SIGKILL of the primary (restarted afterwards), (b) SIGSTOP of the
primary until the failover is over (at least 3 s), then SIGCONT, (c) SENTINEL
FAILOVER.  After each, every acknowledged key is read from the new primary;
printed: acked, lost, time from the fault to the first acknowledged write
sent after it, and the longest gap between acknowledgements.
keel/keel must lose nothing (both clients, every fault) and redis-py's first
write after a SIGKILL must come within 1.5 s; the other combinations only
report (Redis Sentinel is known to lose acknowledged writes in (b) and (c)).

Combinations as in test_sentinel_failover.py: --combo, --redis, --only-redis;
--fault kill,stop,manual narrows.
"""
import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest as kt  # noqa: E402
import sentinel_cluster as sc  # noqa: E402

try:
    import redis
    from redis.sentinel import Sentinel
except ImportError:  # pragma: no cover
    print("redis-py missing: apt-get install python3-redis")
    sys.exit(1)

R = kt.Results()
FIG = sc.Figures()
HERE = os.path.dirname(os.path.abspath(__file__))
IOREDIS_DIR = os.path.join(HERE, "ioredis")
KEEL_FIRST_WRITE_MAX = 1.5   # seconds, redis-py, SIGKILL, keel/keel
SWITCH_BOUND = 20.0
REJOIN_BOUND = 40.0
PAUSE = 0.002   # between writes: a steady, modest load that still shows a gap to the ms


# ------------------------------------------------------------------ writers

class PyWriter:
    """redis-py through Sentinel, on a thread."""

    def __init__(self, cluster, prefix):
        self.prefix = prefix
        self.sentinel = Sentinel([(sc.HOST, s.port) for s in cluster.sentinels], socket_timeout=0.5)
        self.client = self.sentinel.master_for(sc.MASTER_NAME, socket_timeout=0.5)
        self.acks = []           # (n, t_sent, t_ack) in time.monotonic()
        self.errors = collections.Counter()
        self.unacked = 0
        self.attempts = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, name="redis-py-writer", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _run(self):
        n = 0
        while not self._stop:
            n += 1
            self.attempts += 1
            t = time.monotonic()
            try:
                # One pipeline = one connection, so WAIT counts this SET.
                p = self.client.pipeline(transaction=False)
                p.set("%s:%d" % (self.prefix, n), n)
                p.execute_command("WAIT", 1, 100)
                set_ok, waited = p.execute()
                if set_ok is True and int(waited) >= 1:
                    self.acks.append((n, t, time.monotonic()))
                else:
                    self.unacked += 1
                time.sleep(PAUSE)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                    redis.exceptions.ReadOnlyError) as e:
                self.errors[type(e).__name__] += 1
                time.sleep(0.02)
            except redis.exceptions.ResponseError as e:
                self.errors[str(e).split()[0] if str(e) else "ResponseError"] += 1
                time.sleep(0.02)

    def stop(self):
        self._stop = True
        self.thread.join(timeout=10)
        return self


class IoWriter:
    """node writer.js (ioredis); times converted from wall clock to the
    monotonic clock used by the test."""

    def __init__(self, cluster, prefix):
        self.prefix = prefix
        argv = ["node", os.path.join(IOREDIS_DIR, "writer.js"),
                "--sentinels", ",".join("%s:%d" % (sc.HOST, s.port) for s in cluster.sentinels),
                "--name", sc.MASTER_NAME, "--prefix", prefix, "--wait-ms", "200",
                "--pause-ms", str(int(PAUSE * 1000))]
        self.err_path = os.path.join(cluster.dir, "writer-%s.err" % prefix.replace(":", "_"))
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(argv, cwd=IOREDIS_DIR, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err,
                                     start_new_session=True)
        self.result = None
        self.lines = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        # wall clock -> monotonic
        self.offset = time.monotonic() - time.time()

    def _read(self):
        for line in self.proc.stdout:
            line = line.decode("utf-8", "replace").strip()
            self.lines.append(line[:300])
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("event") == "ready":
                self.ready.set()
            elif msg.get("event") == "result":
                self.result = msg

    @property
    def acks(self):
        if not self.result:
            return []
        return [(n, ts / 1000.0 + self.offset, ta / 1000.0 + self.offset)
                for n, ts, ta in self.result["acks"]]

    def stop(self, timeout=30.0):
        try:
            self.proc.stdin.write(b"stop\n")
            self.proc.stdin.flush()
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.reader.join(timeout=5)
        self.err.close()
        return self

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.err.close()

    def stderr_tail(self):
        try:
            with open(self.err_path, "rb") as f:
                return f.read()[-1500:].decode("utf-8", "replace")
        except OSError:
            return ""


def ioredis_missing():
    """None if node and ioredis are usable, else why not."""
    if not sc._which("node"):
        return "node not installed (scripts/install-deps.sh installs nodejs)"
    if not os.path.isdir(os.path.join(IOREDIS_DIR, "node_modules", "ioredis")):
        return ("ioredis not installed in %s (scripts/install-deps.sh runs npm ci there; "
                "was the npm registry unreachable?)" % IOREDIS_DIR)
    return None


# ------------------------------------------------------------------ analysis

def lost_keys(server, prefix, acks):
    """Acknowledged n whose key is absent or wrong on server."""
    lost = []
    ns = [a[0] for a in acks]
    with kt.RawConn(server.port, timeout=10) as c:
        for i in range(0, len(ns), 1000):
            chunk = ns[i:i + 1000]
            got = kt.parse(c.call("MGET", *["%s:%d" % (prefix, n) for n in chunk]))
            lost.extend(n for n, v in zip(chunk, got) if v != str(n).encode())
    return lost


def timing(acks, t0):
    """(first ack of a write sent after t0, minus t0; longest gap between
    acknowledgements from shortly before t0 on; acks after t0)."""
    after = [a for a in acks if a[1] >= t0]
    first = min(a[2] for a in after) - t0 if after else None
    times = sorted(a[2] for a in acks if a[2] >= t0 - 1.0)
    gap = max((b - a for a, b in zip(times, times[1:])), default=None)
    return first, gap, len(after)


# ------------------------------------------------------------------ faults

def wait_switch(cluster, t0, old):
    """Wait for +switch-master on every sentinel; return the new primary."""
    evs = {}
    for s in cluster.sentinels:
        evs[s.name] = cluster.logs[s].wait("+switch-master", max(0.0, t0 + SWITCH_BOUND - time.monotonic()),
                                           since=t0)
    missing = [k for k, e in evs.items() if e is None]
    if missing:
        raise AssertionError("no +switch-master from %s within %.0fs\n%s"
                             % (missing, SWITCH_BOUND, cluster.diagnose(since=t0, t0=t0)))
    ports = {int(e[2].split()[4]) for e in evs.values()}
    if len(ports) != 1:
        raise AssertionError("sentinels switched to different primaries: %s\n%s"
                             % ({k: e[2] for k, e in evs.items()}, cluster.diagnose(since=t0, t0=t0)))
    new = cluster.server_by_port(ports.pop())
    if new is None or new is old:
        raise AssertionError("+switch-master names %s (old %s)" % (new, old))
    return new


def wait_rejoin(cluster, old, new, t0):
    try:
        sc.wait_until(lambda: cluster.is_replica_of(old, new), REJOIN_BOUND)
    except sc.Timeout:
        raise AssertionError("old primary %s not a replica of %s after %.0fs\n%s"
                             % (old, new, REJOIN_BOUND, cluster.diagnose(since=t0, t0=t0)))


def fault_kill(cluster, old, t0):
    old.kill(signal.SIGKILL)
    new = wait_switch(cluster, t0, old)
    old.restart()
    wait_rejoin(cluster, old, new, t0)
    return new


def fault_stop(cluster, old, t0):
    old.stop()
    try:
        new = wait_switch(cluster, t0, old)
        time.sleep(max(0.0, 3.0 - (time.monotonic() - t0)))
    finally:
        old.cont()
    wait_rejoin(cluster, old, new, t0)
    return new


def fault_manual(cluster, old, t0):
    reply = None
    while time.monotonic() - t0 < 10:
        reply = cluster.sentinels[0].call("SENTINEL", "FAILOVER", sc.MASTER_NAME)
        if reply == b"OK":
            break
        time.sleep(0.2)
    if reply != b"OK":
        raise AssertionError("SENTINEL FAILOVER answered %r" % reply)
    new = wait_switch(cluster, t0, old)
    wait_rejoin(cluster, old, new, t0)
    return new


FAULTS = [("kill", "(a) SIGKILL", fault_kill), ("stop", "(b) SIGSTOP/SIGCONT", fault_stop),
          ("manual", "(c) SENTINEL FAILOVER", fault_manual)]


# ------------------------------------------------------------------ driver

def run_fault(combo, cluster, key, label, fault, io_skip, report):
    strict = combo.name == "keel/keel"
    name = "[%s] %s" % (combo, label)
    old = cluster.wait_healthy()
    prefix = "py:%s" % key
    io_prefix = "io:%s" % key
    py = PyWriter(cluster, prefix).start()
    watch, t0 = None, None
    io = None if io_skip else IoWriter(cluster, io_prefix)
    try:
        sc.wait_until(lambda: len(py.acks) >= 20, 10.0, what="redis-py's first 20 acknowledged writes")
        if io:
            if not io.ready.wait(15.0):
                raise AssertionError("ioredis writer not ready in 15 s; stdout %s; stderr:\n%s"
                                     % (io.lines[-5:], io.stderr_tail()))
        watch = sc.AddrWatch(cluster).start()
        t0 = time.monotonic()
        new = fault(cluster, old, t0)
        # Keep writing until the deployment has been stable for longer than a
        # second failover would take to start (2 x failover-timeout + 1 s
        # after the last +switch-master): a follow-up failover, a sentinel
        # demoting the new primary, a write sent to the wrong place all show.
        last_switch = max(e[0] for evs in cluster.events("+switch-master", since=t0).values() for e in evs)
        settle_until = last_switch + 2 * cluster.failover_timeout / 1000.0 + 1.0
        while time.monotonic() < settle_until:
            time.sleep(0.1)
        n_before = len(py.acks)
        sc.wait_until(lambda: len(py.acks) >= n_before + 20, 10.0,
                      what=lambda: "redis-py acknowledged writes after the failover (errors %s)" % dict(py.errors))
    except (AssertionError, sc.Timeout, OSError) as e:
        py.stop()
        if io:
            io.kill()
        if watch:
            watch.stop()
        R.fail(name + ": fault handled", "%s\n%s" % (e, "\n".join(
            ["  what the sentinels answered (ms after the fault):"] +
            ["    " + x for x in watch.dump(t0 or time.monotonic())] if watch else [])))
        return False
    py.stop()
    if io:
        io.stop()
    watch.stop()
    # Exactly one failover: one +switch-master per sentinel, all to `new`.
    switches = {k: [e[2] for e in v] for k, v in cluster.events("+switch-master", since=t0).items()}
    R.ok(name + ": exactly one +switch-master per sentinel, all to the new primary",
         all(len(v) == 1 and v[0].split()[4] == str(new.port) for v in switches.values()),
         "switches since the fault: %s\n%s" % (switches, "\n".join(watch.dump(t0))))
    final = cluster.agreed_primary()
    R.ok(name + ": the sentinels still agree on the new primary afterwards", final is new,
         "now: %s\n%s" % (cluster.master_addrs(), "\n".join(watch.dump(t0))))

    writers = [("redis-py", py.acks, py, prefix)]
    if io:
        if io.result is None:
            R.fail(name + " ioredis: writer printed a result",
                   "stdout %s\nstderr:\n%s" % (io.lines[-5:], io.stderr_tail()))
        else:
            writers.append(("ioredis", io.acks, io, io_prefix))
    for client, acks, w, pfx in writers:
        lost = lost_keys(final or new, pfx, acks)
        first, gap, n_after = timing(acks, t0)
        if key == "manual":
            # Writes go on to the old primary until it is demoted: the first
            # acknowledgement after the request says nothing; the gap does.
            first = None
        errors = dict(w.errors) if client == "redis-py" else w.result.get("errors")
        unacked = w.unacked if client == "redis-py" else w.result.get("unacked")
        line = ("  %-28s %-22s %-8s acked %5d  lost %4d  unacked %3d  first write after fault %6s ms  "
                "longest gap %6s ms  errors %s"
                % (combo, label, client, len(acks), len(lost), unacked or 0,
                   "%.0f" % (first * 1000) if first is not None else "-",
                   "%.0f" % (gap * 1000) if gap is not None else "-", errors))
        print(line)
        report.append(line)
        FIG.add(combo, "%s %s: first write after fault" % (client, label), first)
        FIG.add(combo, "%s %s: longest gap" % (client, label), gap)
        R.ok("%s %s: acknowledged writes after the failover" % (name, client), n_after > 0,
             "no acknowledged write sent after the fault; errors %s" % errors)
        if client == "ioredis" and w.result.get("verifyError"):
            R.fail("%s ioredis: read back through the client" % name, w.result["verifyError"])
        elif client == "ioredis":
            R.ok("%s ioredis: its own read-back agrees" % name, w.result["lost"] == len(lost),
                 "writer says lost %s, direct read says %d" % (w.result["lost"], len(lost)))
        timeline = "\n".join(["what the sentinels answered (ms after the fault):"] + watch.dump(t0))
        if os.environ.get("KEEL_TEST_VERBOSE"):
            print(timeline)
        if strict:
            R.ok("%s %s: no acknowledged write lost" % (name, client), not lost,
                 "%d of %d lost, e.g. %s\n%s" % (len(lost), len(acks), lost[:10], timeline))
            if key == "kill" and client == "redis-py":
                R.ok("%s redis-py: first write within %.1fs" % (name, KEEL_FIRST_WRITE_MAX),
                     first is not None and first < KEEL_FIRST_WRITE_MAX,
                     "first write after %s s; errors %s\n%s"
                     % ("%.3f" % first if first is not None else "never", errors, timeline))
    sys.stdout.flush()
    return True


def run_combo(combo, faults, io_skip, report):
    print("=== %s: %s + %s" % (combo, combo.server_bin, combo.sentinel_bin))
    sys.stdout.flush()
    t_start = time.monotonic()
    cluster = None
    for key, label, fault in FAULTS:
        if key not in faults:
            continue
        if sc.over_budget():
            print("SKIP [%s] %s: over the time budget of %.0f s (KEEL_SENTINEL_TEST_BUDGET)"
                  % (combo, label, sc.BUDGET))
            continue
        if cluster is None:
            try:
                cluster = sc.Cluster(combo, down_after=sc.ctest_down_after(combo), tag="clients").start()
            except (kt.SetupError, sc.Timeout) as e:
                R.fail("[%s] setup: a healthy deployment" % combo, str(e))
                return
        if not run_fault(combo, cluster, key, label, fault, io_skip, report):
            cluster.close()
            cluster = None
            continue
        try:
            cluster.wait_healthy(timeout=20)
        except sc.Timeout as e:
            print("  not healthy after %s: %s; a fresh deployment" % (label, str(e).splitlines()[0]))
            cluster.close()
            cluster = None
    if cluster:
        cluster.close()
    print("=== %s done in %.1f s" % (combo, time.monotonic() - t_start))


def main():
    names, rest = sc.combos_from_argv(sys.argv[1:])
    faults = {k for k, _l, _f in FAULTS}
    it = iter(rest)
    for a in it:
        if a == "--fault":
            faults = set(next(it).split(","))
        else:
            raise SystemExit("unknown argument %r" % a)
    io_skip = ioredis_missing()
    if io_skip:
        print("SKIP ioredis: %s" % io_skip)
    report, skipped = [], []
    for n in names:
        combo, why = sc.load_combo(n)
        if combo is None:
            skipped.append("SKIP %s: %s" % (n, why))
            print(skipped[-1])
            continue
        if sc.over_budget():
            skipped.append("SKIP %s: over the time budget of %.0f s" % (n, sc.BUDGET))
            print(skipped[-1])
            continue
        run_combo(combo, faults, io_skip, report)
    print()
    print("client results:")
    for line in report:
        print(line)
    print()
    print(FIG.table())
    for s in skipped:
        print(s)
    if io_skip:
        print("SKIP ioredis: %s" % io_skip)
    sc.cleanup()
    if R.passed + R.failed == 0:
        print("SKIP: no combination could run")
        sys.exit(0)
    R.finish()


if __name__ == "__main__":
    main()
