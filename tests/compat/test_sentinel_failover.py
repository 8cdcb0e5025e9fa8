"""test_sentinel_failover: Sentinel failover scenarios on 1 primary + 2
replicas + 3 sentinels (quorum 2, down-after 1 s, failover-timeout 3 s).

Scenarios, run in one deployment per combination (a fresh one after a
scenario that leaves it broken):
  s1 SIGKILL the primary, 3 rounds (each kills the current primary): exactly
     one +switch-master on every sentinel, all naming the same new primary;
     the sentinels agree; the other replica follows the new primary; data
     written (WAIT 2) before the kill is there; the old primary, restarted on
     its port, rejoins as a replica (Keel target: 2 s).
  s2 SIGSTOP the primary until the failover is over (at least 3 s), SIGCONT:
     the old primary ends as a replica; data written to the new primary is
     on all three servers.
  s5 SENTINEL FAILOVER: the primary changes, the old one becomes a replica,
     1000 keys written (WAIT 1) before are all on the new primary.
  s3 one sentinel killed first: the other two still fail over.
  s4 two sentinels killed: no majority, so no failover (no +switch-master,
     no o_down, the address unchanged for down-after + 4 s).
Printed at the end: kill -> first write on the new primary, kill ->
+switch-master, old primary restart -> replica, per combination.

Combinations (servers watched by sentinels): by default keel/keel,
keel-sentinel/redis-server and redis-sentinel/keel-server (skipped with a
message when a binary is missing); --redis adds redis/redis, --only-redis
runs just that, --combo NAME picks; --scenario s1,s3 and --rounds N narrow.
Set KEEL_KEEP_TMP=1 to keep the logs and configs.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest as kt  # noqa: E402
import sentinel_cluster as sc  # noqa: E402

R = kt.Results()
FIG = sc.Figures()

# Bounds on waits (seconds), generous enough for Redis Sentinel's timings;
# keel-sentinel's are tighter so that a slow path fails fast and clearly.
SWITCH_BOUND = {"redis": 20.0, "keel": 10.0}   # fault -> +switch-master on every sentinel
REJOIN_BOUND = {"redis": 30.0, "keel": 10.0}   # old primary -> replica (Redis: ~10 s)
FOLLOW_BOUND = {"redis": 20.0, "keel": 10.0}   # the other replica follows the new primary
KEEL_REJOIN_TARGET = 2.0  # restart -> replica with keel-sentinel
KEEL_SWITCH_TARGET = 2.5  # kill -> +switch-master on every sentinel with keel-sentinel
                          # (down-after is 1 s; Redis Sentinel takes ~3.3 s)


class ScenarioFailed(Exception):
    """Raised after a failed check that makes the rest of a scenario moot."""


class Run:
    """One combination's deployment and the checks made on it."""

    def __init__(self, combo):
        self.combo = combo
        self.cluster = None
        self.switch_bound = SWITCH_BOUND[combo.sentinel_kind]
        self.rejoin_bound = REJOIN_BOUND[combo.sentinel_kind]
        self.follow_bound = FOLLOW_BOUND[combo.sentinel_kind]
        self.expect = None   # (scenario, t0, {sentinel: allowed +switch-master counts})

    def fresh(self):
        if self.cluster:
            self.cluster.close()
        self.cluster = sc.Cluster(self.combo, down_after=sc.ctest_down_after(self.combo),
                                  tag=self.combo.name.replace("/", "_")).start()
        return self.cluster

    def name(self, scenario, check):
        return "[%s] %s: %s" % (self.combo, scenario, check)

    def ok(self, scenario, check, cond, detail="", t0=None):
        """One check.  On failure, with t0 given, the detail is followed by
        the cluster's full diagnosis: every sentinel's view, the servers'
        replication state, the events since t0 and the hellos on the wire."""
        if not cond and t0 is not None and self.cluster is not None:
            detail = "%s\n%s" % (detail, self.cluster.diagnose(since=t0, t0=t0))
        return R.ok(self.name(scenario, check), cond, detail)

    def must(self, scenario, check, cond, detail="", t0=None):
        if not self.ok(scenario, check, cond, detail, t0):
            raise ScenarioFailed(check)


# ------------------------------------------------------------------ helpers

def write_keys(server, prefix, n, replicas_needed):
    """SET prefix:i i for i < n (pipelined), then WAIT; returns WAIT's reply."""
    with kt.RawConn(server.port, timeout=10) as c:
        c.send(b"".join(kt.encode("SET", "%s:%d" % (prefix, i), str(i)) for i in range(n)))
        replies = c.read_replies(n)
        bad = [r for r in replies if r != b"+OK\r\n"]
        if bad:
            raise AssertionError("%s: SET replied %r" % (server, bad[:3]))
        return kt.parse(c.call("WAIT", str(replicas_needed), "5000"))


def missing_keys(server, prefix, n):
    """Indexes i < n whose key prefix:i is absent or wrong on server."""
    with kt.RawConn(server.port, timeout=10) as c:
        got = kt.parse(c.call("MGET", *["%s:%d" % (prefix, i) for i in range(n)]))
    return [i for i, v in enumerate(got) if v != str(i).encode()]


def wait_switch_all(run, sentinels, t0, bound, scen):
    """Wait for +switch-master (after t0) on each given sentinel.  Returns
    {sentinel: event}; checks they name the same new address."""
    cl = run.cluster
    deadline = t0 + bound
    got = {}
    for s in sentinels:
        e = cl.logs[s].wait("+switch-master", max(0.0, deadline - time.monotonic()), since=t0)
        got[s] = e
    missing = [s.name for s, e in got.items() if e is None]
    run.must(scen, "+switch-master on every sentinel within %.0fs" % bound, not missing,
             "no +switch-master from %s" % (missing,), t0=t0)
    payloads = {s.name: e[2] for s, e in got.items()}
    targets = {tuple(e[2].split()[3:5]) for e in got.values()}
    run.must(scen, "every +switch-master names the same new primary", len(targets) == 1,
             "payloads: %s" % (payloads,), t0=t0)
    return got


def new_primary_of(run, switch_events, old, scen, t0):
    cl = run.cluster
    ev = next(iter(switch_events.values()))
    f = ev[2].split()   # mymaster old-ip old-port new-ip new-port
    run.must(scen, "+switch-master says it moved from the old primary",
             len(f) == 5 and f[0] == sc.MASTER_NAME and int(f[2]) == old.port,
             "event %r, old primary port %d" % (ev[2], old.port))
    new = cl.server_by_port(int(f[4]))
    run.must(scen, "the new primary is another of our servers", new is not None and new is not old,
             "event %r" % (ev[2],), t0=t0)
    return new


def check_agree(run, sentinels, new, scen, t0):
    cl = run.cluster
    try:
        sc.wait_until(lambda: cl.agreed_primary(sentinels) is new, 5.0)
        agreed = True
    except sc.Timeout:
        agreed = False
    run.ok(scen, "all sentinels answer GET-MASTER-ADDR-BY-NAME with the new primary", agreed,
           "answers: %s, want port %d" % (cl.master_addrs(sentinels), new.port,), t0=t0)


def check_switch_target(run, scen, took, t0):
    """keel-sentinel's promise: a failover in about a second after
    down-after, not a retry 2 x failover-timeout later."""
    if run.combo.keel_sentinel:
        run.ok(scen, "every sentinel switched within %.1fs (keel-sentinel target)" % KEEL_SWITCH_TARGET,
               took <= KEEL_SWITCH_TARGET, "the last +switch-master came %.0f ms after the fault" % (took * 1000),
               t0=t0)


def check_one_switch(run, sentinels, t0, scen):
    """Expect exactly one +switch-master since t0 on each of `sentinels`;
    checked by run_combo once the deployment is healthy again, so that a
    follow-up failover during the settling counts too."""
    run.expect = (scen, t0, {s.name: (1,) for s in sentinels})


def check_expected_switches(run):
    if not run.expect:
        return
    scen, t0, want = run.expect
    run.expect = None
    counts = {k: len(v) for k, v in run.cluster.events("+switch-master", since=t0).items()}
    bad = {k: c for k, c in counts.items() if c not in want.get(k, (0, 1))}
    run.ok(scen, "exactly one +switch-master per sentinel, the deployment healthy again", not bad,
           "counts: %s" % counts, t0=t0)


def wait_replica(run, server, primary, bound, scen, what, t0):
    """Seconds until server is a replica of primary with the link up."""
    cl = run.cluster
    t = time.monotonic()
    second = {}

    def done():
        # A sentinel switching again means the awaited state will not come:
        # stop waiting and say so.
        for name, evs in cl.events("+switch-master", since=t0).items():
            if len(evs) > 1:
                second[name] = [e[2] for e in evs]
        return bool(second) or cl.is_replica_of(server, primary)
    try:
        sc.wait_until(done, bound)
    except sc.Timeout:
        pass
    if second or not cl.is_replica_of(server, primary):
        role = "?"
        try:
            role = cl.replication(server)
        except Exception as e:  # noqa: BLE001
            role = e
        why = ("a second failover while waiting (+switch-master per sentinel: %s)" % second if second
               else "not a replica of %s (port %d) with link up after %.0fs" % (primary, primary.port, bound))
        run.must(scen, what, False, "%s: %s; (role, master_port, up)=%s\n%s"
                 % (server, why, role, cl.log_tails([server], 1200)), t0=t0)
    run.ok(scen, what, True)
    return time.monotonic() - t


# ------------------------------------------------------------------ scenarios

def s1_kill_round(run, rnd):
    scen = "s1 SIGKILL round %d" % rnd
    cl = run.cluster
    old = cl.wait_healthy()
    replicas = [s for s in cl.servers if s is not old]
    run.must(scen, "data written before the kill is acknowledged by 2 replicas",
             write_keys(old, "s1r%d" % rnd, 100, 2) == 2)

    t0 = time.monotonic()
    probe = sc.FirstWriteProbe(cl, old.port, t0).start()
    old.kill(signal.SIGKILL)
    switch = wait_switch_all(run, cl.sentinels, t0, run.switch_bound, scen)
    first = min(e[0] for e in switch.values()) - t0
    last = max(e[0] for e in switch.values()) - t0
    FIG.add(run.combo, "kill -> +switch-master (first sentinel)", first)
    FIG.add(run.combo, "kill -> +switch-master (all sentinels)", last)
    new = new_primary_of(run, switch, old, scen, t0)
    check_switch_target(run, scen, last, t0)
    probe.join()
    run.ok(scen, "a write succeeds on the new primary", probe.elapsed is not None,
           "last error %r after %d attempts" % (probe.last_error, probe.attempts))
    FIG.add(run.combo, "kill -> first write on new primary", probe.elapsed)
    check_agree(run, cl.sentinels, new, scen, t0)
    other = [s for s in replicas if s is not new][0]
    wait_replica(run, other, new, run.follow_bound, scen, "the other replica follows the new primary", t0)
    lost = missing_keys(new, "s1r%d" % rnd, 100)
    run.ok(scen, "keys acknowledged before the kill are on the new primary", not lost,
           "%d missing, e.g. %s" % (len(lost), lost[:10]))

    t1 = time.monotonic()
    old.restart()
    wait_replica(run, old, new, run.rejoin_bound, scen, "the restarted old primary rejoins as a replica", t0)
    took = time.monotonic() - t1
    FIG.add(run.combo, "old primary restart -> replica, link up", took)
    if run.combo.keel_sentinel:
        run.ok(scen, "rejoin within %.1fs (keel-sentinel target)" % KEEL_REJOIN_TARGET,
               took <= KEEL_REJOIN_TARGET, "took %.0f ms" % (took * 1000,), t0=t0)
    check_one_switch(run, cl.sentinels, t0, scen)
    print("  %s: old %d -> new %d; +switch-master %.0f..%.0f ms; first write %s ms; rejoin %.0f ms"
          % (scen, old.port, new.port, first * 1000, last * 1000,
             "%.0f" % (probe.elapsed * 1000) if probe.elapsed else "-", took * 1000))
    sys.stdout.flush()


def s2_sigstop(run):
    scen = "s2 SIGSTOP"
    cl = run.cluster
    old = cl.wait_healthy()
    run.must(scen, "data before the stop acknowledged", write_keys(old, "s2pre", 50, 2) == 2)
    t0 = time.monotonic()
    old.stop()
    try:
        switch = wait_switch_all(run, cl.sentinels, t0, run.switch_bound, scen)
        time.sleep(max(0.0, 3.0 - (time.monotonic() - t0)))
    finally:
        stopped_for = time.monotonic() - t0
        old.cont()
    new = new_primary_of(run, switch, old, scen, t0)
    FIG.add(run.combo, "SIGSTOP -> +switch-master (all sentinels)", max(e[0] for e in switch.values()) - t0)
    check_agree(run, cl.sentinels, new, scen, t0)
    acked = write_keys(new, "s2post", 200, 1)
    run.ok(scen, "writes on the new primary acknowledged by a replica", acked >= 1, "WAIT said %r" % acked)
    t1 = time.monotonic()
    wait_replica(run, old, new, run.rejoin_bound, scen, "the old primary ends as a replica of the new one", t0)
    FIG.add(run.combo, "SIGCONT -> old primary is replica", time.monotonic() - t1)
    for s in cl.servers:
        try:
            sc.wait_until(lambda s=s: not missing_keys(s, "s2post", 200), 10.0)
            ok = True
        except sc.Timeout:
            ok = False
        run.ok(scen, "writes to the new primary are on %s" % s.name, ok,
               "" if ok else "%d of 200 missing on %s" % (len(missing_keys(s, "s2post", 200)), s), t0=t0)
    lost = missing_keys(new, "s2pre", 50)
    run.ok(scen, "keys acknowledged before the stop are on the new primary", not lost,
           "%d missing" % len(lost))
    check_one_switch(run, cl.sentinels, t0, scen)
    print("  %s: stopped %.1f s; old %d -> new %d" % (scen, stopped_for, old.port, new.port))


def s5_manual(run):
    scen = "s5 SENTINEL FAILOVER"
    cl = run.cluster
    old = cl.wait_healthy()
    acked = write_keys(old, "s5", 1000, 1)
    run.must(scen, "1000 keys acknowledged by WAIT 1", isinstance(acked, int) and acked >= 1,
             "WAIT said %r" % acked)
    t0 = time.monotonic()
    tries, reply = 0, None
    while True:
        tries += 1
        reply = cl.sentinels[0].call("SENTINEL", "FAILOVER", sc.MASTER_NAME)
        if reply == b"OK" or time.monotonic() - t0 > 10:
            break
        time.sleep(0.2)
    run.must(scen, "SENTINEL FAILOVER answers OK", reply == b"OK",
             "last reply %r after %d tries" % (reply, tries,), t0=t0)
    if tries > 1:
        print("  %s: SENTINEL FAILOVER needed %d tries (earlier: NOGOODSLAVE/INPROG)" % (scen, tries))
    switch = wait_switch_all(run, cl.sentinels, t0, run.switch_bound, scen)
    new = new_primary_of(run, switch, old, scen, t0)
    FIG.add(run.combo, "SENTINEL FAILOVER -> +switch-master (all)", max(e[0] for e in switch.values()) - t0)
    check_agree(run, cl.sentinels, new, scen, t0)
    wait_replica(run, old, new, run.rejoin_bound, scen, "the old primary becomes a replica of the new one", t0)
    FIG.add(run.combo, "SENTINEL FAILOVER -> old primary is replica", time.monotonic() - t0)
    lost = missing_keys(new, "s5", 1000)
    run.ok(scen, "all 1000 keys are on the new primary", not lost,
           "%d missing, e.g. %s" % (len(lost), lost[:10]))
    check_one_switch(run, cl.sentinels, t0, scen)


def s3_one_sentinel_down(run):
    scen = "s3 one sentinel down"
    cl = run.cluster
    old = cl.wait_healthy()
    dead = cl.sentinels[2]
    live = cl.sentinels[:2]
    dead.kill(signal.SIGKILL)
    t0 = time.monotonic()
    old.kill(signal.SIGKILL)
    switch = wait_switch_all(run, live, t0, run.switch_bound, scen)
    FIG.add(run.combo, "kill (2 of 3 sentinels) -> +switch-master", max(e[0] for e in switch.values()) - t0)
    new = new_primary_of(run, switch, old, scen, t0)
    check_switch_target(run, scen, max(e[0] for e in switch.values()) - t0, t0)
    check_agree(run, live, new, scen, t0)
    other = [s for s in cl.servers if s is not old and s is not new][0]
    wait_replica(run, other, new, run.follow_bound, scen, "the other replica follows the new primary", t0)
    check_one_switch(run, live, t0, scen)
    # Bring the sentinel back: it must learn the new primary from the others.
    t1 = time.monotonic()
    dead.restart()
    cl.resubscribe(dead)
    try:
        sc.wait_until(lambda: cl.master_addr(dead)[1] == new.port, 20.0)
        learnt = True
    except sc.Timeout:
        learnt = False
    run.ok(scen, "the restarted sentinel learns the new primary", learnt,
           "%s says %s" % (dead.name, cl.master_addrs([dead]),), t0=t0)
    FIG.add(run.combo, "restarted sentinel learns new primary", time.monotonic() - t1)
    old.restart()
    wait_replica(run, old, new, run.rejoin_bound, scen, "the restarted old primary rejoins as a replica", t0)


def s4_no_majority(run):
    scen = "s4 two sentinels down"
    cl = run.cluster
    old = cl.wait_healthy()
    alone = cl.sentinels[0]
    dead = cl.sentinels[1:]
    for s in dead:
        s.kill(signal.SIGKILL)
    t0 = time.monotonic()
    old.kill(signal.SIGKILL)
    watch = cl.down_after / 1000.0 + 4.0
    changed = []
    sdown_seen = False
    while time.monotonic() - t0 < watch:
        try:
            addr = cl.master_addr(alone)
            if addr[1] != old.port:
                changed.append((round((time.monotonic() - t0) * 1000), addr))
            flags = cl.sentinel_master(alone).get("flags", "")
            sdown_seen = sdown_seen or "s_down" in flags
        except Exception as e:  # noqa: BLE001
            changed.append((round((time.monotonic() - t0) * 1000), "error %s" % e))
        time.sleep(0.1)
    run.ok(scen, "the lone sentinel keeps the old address for %.0fs" % watch, not changed,
           "changes: %s" % (changed[:5],), t0=t0)
    switches = cl.logs[alone].find("+switch-master", since=t0)
    run.ok(scen, "no +switch-master", not switches, "events: %s" % switches)
    flags = cl.sentinel_master(alone).get("flags", "")
    run.ok(scen, "the lone sentinel sees the primary s_down but not o_down",
           sdown_seen and "o_down" not in flags, "flags now %r; s_down seen: %s"
           % (flags, sdown_seen,), t0=t0)
    odown = cl.logs[alone].find("+odown", since=t0)
    run.ok(scen, "no +odown without a quorum", not odown, "events: %s" % odown)
    promoted = [s.name for s in cl.servers if s is not old and cl.replication(s)[0] != "slave"]
    run.ok(scen, "no replica was promoted", not promoted, "promoted: %s" % promoted)
    run.expect = (scen, t0, {s.name: (0,) for s in cl.sentinels})
    # Restore: the primary and the two sentinels come back.
    old.restart()
    for s in dead:
        s.restart()
        cl.resubscribe(s)
    cl.wait_healthy(old, timeout=30.0)
    R.ok(run.name(scen, "the deployment recovers with the same primary"), True)


def s6_short_stall(run):
    """A stop shorter than down-after on a keel-server primary watched by
    keel-sentinels: the server fences its writes on resume (it cannot know
    whether a failover started), the sentinels see write_fenced:1, find no
    failover under way and lift it with CLIENT UNPAUSE: a SET sent right after
    SIGCONT completes within about a second, not at stall-fence-timeout."""
    scen = "s6 short stall"
    cl = run.cluster
    if not (run.combo.keel_sentinel and run.combo.server_kind == "keel"):
        print("  %s: keel-server + keel-sentinel only (the fence is Keel's)" % scen)
        return
    old = cl.wait_healthy()
    time.sleep(1.2)  # a hello has reached the primary: the fence is armed
    with kt.RawConn(old.port, timeout=10) as c:
        t0 = time.monotonic()
        old.stop()
        time.sleep(0.2)
        c.send(kt.encode("SET", "s6:key", "v"))  # arrives while it is stopped
        time.sleep(0.5)
        old.cont()
        t1 = time.monotonic()
        reply = c.read_reply()
        took = time.monotonic() - t1
    log = old.log_tail()
    fenced = "was stalled for" in log
    run.ok(scen, "the primary fenced its writes after a 0.7 s stop", fenced,
           "no 'was stalled for' line in its log", t0=t0)
    run.ok(scen, "the fence was lifted by a sentinel's CLIENT UNPAUSE", "Write fence lifted" in log and
           "CLIENT UNPAUSE" in log.split("Write fence lifted")[-1].split("\n")[0],
           "log: %r" % log[-600:], t0=t0)
    run.ok(scen, "the SET sent during the stop completes", reply == b"+OK\r\n", "reply %r" % reply,
           t0=t0)
    run.ok(scen, "it completed within 2.5 s of SIGCONT (stall-fence-timeout is 10 s)", took < 2.5,
           "the SET took %.2f s" % took, t0=t0)
    FIG.add(run.combo, "short stall: SIGCONT -> held write done", took)
    switched = {k: v for k, v in cl.events("+switch-master", since=t0).items() if v}
    run.ok(scen, "no failover for a stop shorter than down-after", not switched,
           "+switch-master seen after the stall", t0=t0)
    print("  %s: fenced=%s, SET held %.2f s after SIGCONT" % (scen, fenced, took))


SCENARIOS = [
    ("s1", None),   # rounds handled below
    ("s2", s2_sigstop),
    ("s5", s5_manual),
    ("s3", s3_one_sentinel_down),
    ("s4", s4_no_majority),
    ("s6", s6_short_stall),
]


def run_combo(combo, chosen, rounds):
    run = Run(combo)
    t_start = time.monotonic()
    print("=== %s: %s + %s" % (combo, combo.server_bin, combo.sentinel_bin))
    sys.stdout.flush()
    try:
        run.fresh()
    except (kt.SetupError, sc.Timeout) as e:
        R.fail(run.name("setup", "1 primary + 2 replicas + 3 sentinels become healthy"), str(e))
        return
    steps = []
    for key, fn in SCENARIOS:
        if key not in chosen:
            continue
        if key == "s1":
            for rnd in range(1, rounds + 1):
                steps.append(("s1 round %d" % rnd, lambda rnd=rnd: s1_kill_round(run, rnd)))
        else:
            steps.append((key, lambda fn=fn: fn(run)))
    quiet = None      # (label, time) of the last scenario that ended well
    for i, (label, step) in enumerate(steps):
        t = time.monotonic()
        broken = False
        if sc.over_budget():
            print("SKIP [%s] %s: over the time budget of %.0f s (KEEL_SENTINEL_TEST_BUDGET)"
                  % (combo, ", ".join(lb for lb, _ in steps[i:]), sc.BUDGET))
            quiet = None
            break
        if quiet and not check_quiet(run, *quiet):
            broken = True
        quiet = None
        if broken:
            print("  (a fresh deployment: the last one changed primary by itself)")
            if not fresh_or_fail(run):
                break
        run.expect = None
        try:
            step()
        except ScenarioFailed:
            broken = True
        except (sc.Timeout, AssertionError, OSError, kt.SetupError) as e:
            R.fail(run.name(label, "ran to the end"), "%s: %s\n%s" % (type(e).__name__, e,
                                                                    run.cluster.diagnose(since=t, t0=t)))
            broken = True
        if not broken:
            # The deployment must settle by itself: same primary everywhere,
            # every replica linked, no failover in progress.
            try:
                run.cluster.wait_healthy(timeout=20.0)
                check_expected_switches(run)
                quiet = (label, time.monotonic())
                if run.cluster.unhealthy_for > 2.0:
                    print("  (healthy only %.1f s after %s; meanwhile: %s)"
                          % (run.cluster.unhealthy_for, label, "; ".join(run.cluster.unhealthy_reasons[:6])))
            except sc.Timeout as e:
                run.ok(label, "the deployment is healthy afterwards", False,
                       str(e).splitlines()[0], t0=t)
                broken = True
        print("  %s took %.1f s" % (label, time.monotonic() - t))
        sys.stdout.flush()
        if i == len(steps) - 1:
            break
        if broken:
            print("  (a fresh deployment for the next scenario)")
            if not fresh_or_fail(run):
                break
    if quiet:
        # A second failover starts at the earliest 2 x failover-timeout after
        # the first: wait that long after the last switch, then check.
        cl = run.cluster
        last = max([e[0] for evs in cl.events("+switch-master").values() for e in evs] + [quiet[1]])
        while time.monotonic() < last + 2 * cl.failover_timeout / 1000.0 + 1.0:
            time.sleep(0.1)
        check_quiet(run, *quiet)
    run.cluster.close()
    print("=== %s done in %.1f s" % (combo, time.monotonic() - t_start))


def check_quiet(run, label, since):
    """No sentinel switched the primary after scenario `label` ended."""
    extra = {k: [e[2] for e in v] for k, v in run.cluster.events("+switch-master", since=since).items() if v}
    return run.ok(label, "no further +switch-master after it ended", not extra,
                  "unexpected switches: %s" % extra, t0=since)


def fresh_or_fail(run):
    try:
        run.fresh()
        return True
    except (kt.SetupError, sc.Timeout) as e:
        R.fail(run.name("setup", "a fresh deployment becomes healthy"), str(e))
        return False


def main():
    names, rest = sc.combos_from_argv(sys.argv[1:])
    chosen = {k for k, _ in SCENARIOS}
    rounds = 3
    it = iter(rest)
    for a in it:
        if a == "--scenario":
            chosen = set(next(it).split(","))
        elif a == "--rounds":
            rounds = int(next(it))
        else:
            raise SystemExit("unknown argument %r" % a)
    skipped = []
    for name in names:
        combo, why = sc.load_combo(name)
        if combo is None:
            skipped.append("SKIP %s: %s" % (name, why))
            print(skipped[-1])
            continue
        if sc.over_budget():
            skipped.append("SKIP %s: over the time budget of %.0f s" % (name, sc.BUDGET))
            print(skipped[-1])
            continue
        run_combo(combo, chosen, rounds)
    print()
    print(FIG.table())
    for s in skipped:
        print(s)
    if R.passed + R.failed == 0:
        print("SKIP: no combination could run")
        sc.cleanup()
        sys.exit(0)
    sc.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
