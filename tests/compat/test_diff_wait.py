#!/usr/bin/python3
"""test_diff_wait: differential test of WAIT and of CLIENT UNBLOCK on a
client blocked in WAIT (replication/primary.c): keel-server against Debian's
redis-server 7.0, each a primary with one replica of its own kind attached.

Every scenario runs the same requests on both pairs over plain connections
and compares what comes back (raw reply bytes, whether a connection is still
blocked, coarse timings, INFO fields).  Before each scenario the replica has
acknowledged the whole stream, so the offset WAIT waits for (Redis: the
client's offset after its previous command; Keel: the stream's, less the
GETACKs sent for earlier WAITs) is acknowledged either way.

Covered: WAIT's replies and errors; its timeout; CLIENT UNBLOCK (TIMEOUT:
the number of replicas that acknowledged so far; ERROR: -UNBLOCKED) and the
pipeline that follows; CLIENT UNBLOCK's errors and 0 for clients not
blocked; INFO blocked_clients and CLIENT LIST of WAITing clients (with a
BLPOP beside them, and after a WAITing client disconnects); a replica that
does not answer (SIGSTOP): counts so far; CLIENT PAUSE WRITE: WAIT runs and
blocks, its GETACK waits for the end of the pause (master_repl_offset stays
still), CLIENT UNBLOCK still works; CLIENT PAUSE ALL holds WAIT; WAIT inside
MULTI; REPLICAOF while a client WAITs (-UNBLOCKED and closed).

Ends with "N passed, M failed"; exit status 1 on any failure.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest as kt  # noqa: E402

E = kt.encode
results = kt.Results()
HOLD_WAIT = 0.3  # seconds without a reply that count as "blocked"
# Both sides: no diskless delay (Redis's default is 5 s), and no periodic PING in
# the stream during a test (it would move the offsets the tests compare).
COMMON = ["--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "3600"]


class Pair:
    """A primary and its replica, of one kind."""

    def __init__(self, start):
        self.primary = start(COMMON)
        self.replica = start(COMMON + ["--replicaof", "127.0.0.1", str(self.primary.port)])
        self.name = self.primary.name

    def alive(self):
        return self.primary.alive() and self.replica.alive()


def info_field(conn, section, field):
    text = kt.parse(conn.call("INFO", section))
    for ln in text.split(b"\r\n"):
        if ln.startswith(field.encode() + b":"):
            return ln.split(b":", 1)[1].decode()
    return None


def replica_acked_all(conn):
    """The replica is online and has acknowledged the whole stream."""
    line = info_field(conn, "replication", "slave0")
    if not line or "state=online" not in line:
        return False
    acked = int(line.split("offset=")[1].split(",")[0])
    return acked == int(info_field(conn, "replication", "master_repl_offset"))


def settle(conn, timeout=10.0):
    """Wait (bounded) until the replica acknowledged every byte sent so far
    (its ACK comes every second), so WAIT's target is acknowledged whatever
    offset either server counts from."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replica_acked_all(conn):
            return True
        time.sleep(0.05)
    return False


def blocked(conn, wait=HOLD_WAIT):
    return conn.nothing_pending(wait)


def timed(conn, *args, timeout=5):
    t0 = time.monotonic()
    conn.send(E(*args))
    raw = conn.read_reply(timeout=timeout)
    return raw, time.monotonic() - t0


def client_id(conn):
    return int(conn.call("CLIENT", "ID")[1:-2])


def client_list_fields(ctl, cid, names=("flags", "cmd")):
    for ln in kt.parse(ctl.call("CLIENT", "LIST")).split(b"\n"):
        fields = dict(f.split(b"=", 1) for f in ln.split() if b"=" in f)
        if fields.get(b"id") == str(cid).encode():
            return {n: fields.get(n.encode()) for n in names}
    return None


def blocked_clients(ctl):
    return info_field(ctl, "clients", "blocked_clients")


class Ctx:
    """Connections of one scenario on one pair; closed after it."""

    def __init__(self, pair):
        self.pair = pair
        self.conns = []
        self.ctl = self.conn()
        self.ctl.call("CLIENT", "UNPAUSE")
        self.ctl.call("FLUSHALL")
        self.ctl.call("SET", "base", "1")
        self.ctl.call("WAIT", "1", "2000")
        self.settled = settle(self.ctl)

    def conn(self):
        c = self.pair.primary.conn()
        self.conns.append(c)
        return c

    def close(self):
        try:
            with self.pair.primary.conn() as c:
                c.call("CLIENT", "UNPAUSE")
        except (OSError, ConnectionError):
            pass
        for c in self.conns:
            c.close()
        time.sleep(0.05)


def compare(name, fn):
    got = {}
    for pair in (KEEL, REDIS):
        ctx = Ctx(pair)
        try:
            if not ctx.settled:
                raise RuntimeError("the replica did not acknowledge the stream")
            got[pair.name] = fn(ctx)
        except Exception as e:  # a broken connection, a timeout: report it
            got[pair.name] = "EXCEPTION %r" % (e,)
        finally:
            ctx.close()
        if not pair.alive():
            got[pair.name] = "SERVER DIED"
            break
    k, r = got.get("keel-server"), got.get("redis-server")
    if k == r:
        results.ok(name, True)
        return
    detail = []
    if isinstance(k, list) and isinstance(r, list) and len(k) == len(r):
        for i, (x, y) in enumerate(zip(k, r)):
            if x != y:
                detail.append("step %d:\n  keel:  %r\n  redis: %r" % (i, x, y))
    else:
        detail.append("keel:  %r\nredis: %r" % (k, r))
    results.fail(name, "\n".join(detail))


# ------------------------------------------------------------------ WAIT

def wait_replies(ctx):
    w = ctx.conn()
    # Acknowledged: every count is 1.  Right after a write that no GETACK
    # followed, the replica has not acknowledged it yet: 0.
    out = [w.call("WAIT", "0", "0"), w.call("WAIT", "-1", "0"), w.call("WAIT", "1", "0"),
           w.call("SET", "k", "v"), w.call("WAIT", "0", "0"), w.call("SET", "k", "w"),
           w.call("WAIT", "-5", "100"), w.call("WAIT", "1", "2000")]
    for args in (("WAIT", "x", "1"), ("WAIT", "1", "-1"), ("WAIT", "1", "x"), ("WAIT", "1"),
                 ("WAIT",), ("WAIT", "1", "2", "3"), ("WAIT", "1.5", "0"),
                 ("WAIT", "1", "99999999999999999999"), ("WAIT", "", "0")):
        out.append(w.call(*args))
    return out


def wait_times_out(ctx):
    w = ctx.conn()
    w.call("SET", "k", "v")
    raw, took = timed(w, "WAIT", "2", "200")
    return [raw, 0.15 <= took < 2.0]


def wait_many_pipelined(ctx):
    w = ctx.conn()
    w.send(E("SET", "a", "1") + E("WAIT", "1", "2000") + E("INCR", "n") + E("WAIT", "1", "2000") +
           E("WAIT", "1", "2000") + E("GET", "a"))
    return w.read_replies(6)


# ------------------------------------------------------- CLIENT UNBLOCK

def unblock_timeout(ctx):
    w = ctx.conn()
    wid = client_id(w)
    w.call("SET", "k", "v")
    w.send(E("WAIT", "2", "0") + E("PING") + E("GET", "k"))
    out = [blocked(w), blocked_clients(ctx.ctl), client_list_fields(ctx.ctl, wid)]
    out.append(ctx.ctl.call("CLIENT", "UNBLOCK", str(wid)))
    out += w.read_replies(3)
    out += [blocked_clients(ctx.ctl), ctx.ctl.call("CLIENT", "UNBLOCK", str(wid)),
            client_list_fields(ctx.ctl, wid)]
    return out


def unblock_error(ctx):
    w = ctx.conn()
    wid = client_id(w)
    w.call("SET", "k", "v")
    w.send(E("WAIT", "2", "5000") + E("PING"))
    out = [blocked(w), ctx.ctl.call("CLIENT", "UNBLOCK", str(wid), "ERROR")]
    out += w.read_replies(2)
    out += [blocked_clients(ctx.ctl), ctx.ctl.call("CLIENT", "UNBLOCK", str(wid), "error"),
            w.call("WAIT", "1", "2000")]
    return out


def unblock_pipelined_waits(ctx):
    """Each CLIENT UNBLOCK ends one WAIT; the next one in the pipeline then
    blocks in turn."""
    w = ctx.conn()
    wid = client_id(w)
    w.call("SET", "k", "v")
    w.send(E("WAIT", "2", "0") + E("WAIT", "3", "0") + E("PING"))
    out = [blocked(w), ctx.ctl.call("CLIENT", "UNBLOCK", str(wid)), w.read_reply(), blocked(w),
           blocked_clients(ctx.ctl), ctx.ctl.call("CLIENT", "UNBLOCK", str(wid), "ERROR"),
           w.read_reply(), w.read_reply(), blocked_clients(ctx.ctl)]
    return out


def unblock_errors(ctx):
    own = client_id(ctx.ctl)
    idle = ctx.conn()
    iid = client_id(idle)
    cases = [("CLIENT", "UNBLOCK"), ("CLIENT", "UNBLOCK", "x"), ("CLIENT", "UNBLOCK", "x", "FOO"),
             ("CLIENT", "UNBLOCK", "1", "FOO"), ("CLIENT", "UNBLOCK", "x", "ERROR"),
             ("CLIENT", "UNBLOCK", "1", "timeout", "x"), ("CLIENT", "UNBLOCK", "x", "y", "z"),
             ("CLIENT", "UNBLOCK", "-1"), ("CLIENT", "UNBLOCK", ""),
             ("CLIENT", "UNBLOCK", "99999999999999999999"), ("CLIENT", "UNBLOCK", "999999"),
             ("CLIENT", "UNBLOCK", str(own)), ("CLIENT", "UNBLOCK", str(iid), "Error"),
             ("CLIENT", "UNBLOCK", str(iid), "TimeOut"), ("client", "unblock", str(iid))]
    return [ctx.ctl.call(*c) for c in cases] + [idle.call("PING")]


def blocked_clients_wait_and_blpop(ctx):
    w = ctx.conn()
    wid = client_id(w)
    b = ctx.conn()
    bid = client_id(b)
    w.call("SET", "k", "v")
    w.send(E("WAIT", "2", "0"))
    b.send(E("BLPOP", "nolist", "0"))
    out = [blocked(w), blocked(b), blocked_clients(ctx.ctl),
           client_list_fields(ctx.ctl, wid), client_list_fields(ctx.ctl, bid),
           ctx.ctl.call("CLIENT", "UNBLOCK", str(bid)), b.read_reply(), blocked_clients(ctx.ctl),
           ctx.ctl.call("CLIENT", "UNBLOCK", str(wid), "ERROR"), w.read_reply(),
           blocked_clients(ctx.ctl)]
    # A WAITing client that disconnects is forgotten.
    w.send(E("WAIT", "2", "0"))
    out += [blocked(w), blocked_clients(ctx.ctl)]
    w.close()
    deadline = time.monotonic() + 3
    while blocked_clients(ctx.ctl) != "0" and time.monotonic() < deadline:
        time.sleep(0.05)
    out += [blocked_clients(ctx.ctl), ctx.ctl.call("CLIENT", "UNBLOCK", str(wid))]
    return out


def replica_not_answering(ctx):
    """A stopped replica acknowledges nothing: WAIT times out with 0 and
    CLIENT UNBLOCK answers 0; once it runs again WAIT gets 1."""
    w = ctx.conn()
    wid = client_id(w)
    pid = ctx.pair.replica.proc.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        out = [w.call("SET", "k", "v")]
        raw, took = timed(w, "WAIT", "1", "300")
        out += [raw, took >= 0.25]
        w.send(E("WAIT", "1", "0"))
        out += [blocked(w), ctx.ctl.call("CLIENT", "UNBLOCK", str(wid)), w.read_reply()]
        w.send(E("WAIT", "1", "0"))
        out.append(blocked(w))
    finally:
        os.kill(pid, signal.SIGCONT)
    out.append(w.read_reply(timeout=5))  # the replica caught up: the WAIT ends by itself
    out.append(w.call("WAIT", "1", "2000"))
    return out


# ----------------------------------------------------------- CLIENT PAUSE

def wait_under_pause_write(ctx):
    """Under CLIENT PAUSE WRITE, WAIT is not held: it runs, blocks, times
    out, and CLIENT UNBLOCK ends it; its GETACK waits for the end of the
    pause, so master_repl_offset does not move until then."""
    w = ctx.conn()
    wid = client_id(w)
    off0 = info_field(ctx.ctl, "replication", "master_repl_offset")
    out = [ctx.ctl.call("CLIENT", "PAUSE", "5000", "WRITE")]
    raw, took = timed(w, "WAIT", "2", "200")
    out += [raw, 0.15 <= took < 1.0]
    w.send(E("WAIT", "2", "0"))
    out += [blocked(w), blocked_clients(ctx.ctl), client_list_fields(ctx.ctl, wid)]
    time.sleep(0.3)
    out.append(info_field(ctx.ctl, "replication", "master_repl_offset") == off0)
    out += [ctx.ctl.call("CLIENT", "UNBLOCK", str(wid)), w.read_reply()]
    w.send(E("WAIT", "2", "0"))
    out += [blocked(w), w.nothing_pending(0.1)]
    out.append(info_field(ctx.ctl, "replication", "master_repl_offset") == off0)
    # A write is held meanwhile, as usual.
    s = ctx.conn()
    s.send(E("SET", "held", "1"))
    out.append(blocked(s))
    out.append(ctx.ctl.call("CLIENT", "UNPAUSE"))
    out.append(s.read_reply(timeout=3))
    time.sleep(0.3)
    off1 = int(info_field(ctx.ctl, "replication", "master_repl_offset"))
    out.append(off1 > int(off0))  # the deferred GETACK and the SET went out
    out += [ctx.ctl.call("CLIENT", "UNBLOCK", str(wid), "ERROR"), w.read_reply()]
    return out


def wait_acked_under_pause(ctx):
    """A WAIT whose offset the replica already acknowledged answers at once
    during a pause."""
    w = ctx.conn()
    w.call("SET", "k", "v")
    w.call("WAIT", "1", "2000")
    settle(ctx.ctl)
    out = [ctx.ctl.call("CLIENT", "PAUSE", "5000", "WRITE")]
    raw, took = timed(w, "WAIT", "1", "0")
    out += [raw, took < 0.2]
    raw, took = timed(w, "WAIT", "1", "100")
    out += [raw, took < 0.2]
    return out


def wait_under_pause_all(ctx):
    w = ctx.conn()
    w.call("SET", "k", "v")
    w.call("WAIT", "1", "2000")
    out = [ctx.ctl.call("CLIENT", "PAUSE", "500", "ALL")]
    raw, took = timed(w, "WAIT", "1", "0")
    out += [raw, 0.3 <= took < 3.0]
    return out


# ------------------------------------------------------------- the rest

def wait_in_multi(ctx):
    w = ctx.conn()
    return [w.call("MULTI"), w.call("WAIT", "2", "0"), w.call("WAIT", "x", "0"),
            w.call("EXEC"), w.call("MULTI"), w.call("WAIT", "2", "100"), w.call("GET", "base"),
            w.call("EXEC")]


def replicaof_while_waiting(ctx):
    """The primary is made a replica (of a port nobody listens on): the
    WAITing client gets -UNBLOCKED and is closed, as in Redis."""
    w = ctx.conn()
    w.call("SET", "k", "v")
    w.send(E("WAIT", "2", "0"))
    out = [blocked(w), ctx.ctl.call("REPLICAOF", "127.0.0.1", str(kt.free_port()))]
    out.append(w.read_reply(timeout=3))
    out.append(w.is_closed(2.0))
    out.append(ctx.ctl.call("REPLICAOF", "NO", "ONE"))
    out.append(blocked_clients(ctx.ctl))
    # The replica reconnects to its primary again before the next scenario.
    deadline = time.monotonic() + 15
    while not replica_acked_all(ctx.ctl) and time.monotonic() < deadline:
        time.sleep(0.1)
    out.append(replica_acked_all(ctx.ctl))
    return out


def main():
    global KEEL, REDIS
    try:
        KEEL = Pair(kt.start_keel)
        REDIS = Pair(kt.start_redis)
    except kt.SetupError as e:
        results.fail("setup", str(e))
        results.finish()
    compare("WAIT replies and errors", wait_replies)
    compare("WAIT times out with the replicas that acknowledged", wait_times_out)
    compare("WAITs pipelined with writes", wait_many_pipelined)
    compare("CLIENT UNBLOCK of a WAIT: count so far, pipeline after", unblock_timeout)
    compare("CLIENT UNBLOCK ERROR of a WAIT: -UNBLOCKED", unblock_error)
    compare("CLIENT UNBLOCK of pipelined WAITs, one at a time", unblock_pipelined_waits)
    compare("CLIENT UNBLOCK errors, and clients not blocked", unblock_errors)
    compare("INFO blocked_clients and CLIENT LIST: WAIT beside BLPOP, disconnect",
            blocked_clients_wait_and_blpop)
    compare("a replica that does not answer: WAIT and UNBLOCK count 0", replica_not_answering)
    compare("CLIENT PAUSE WRITE: WAIT runs, GETACK deferred, UNBLOCK", wait_under_pause_write)
    compare("CLIENT PAUSE WRITE: an acknowledged WAIT answers at once", wait_acked_under_pause)
    compare("CLIENT PAUSE ALL holds WAIT", wait_under_pause_all)
    compare("WAIT inside MULTI", wait_in_multi)
    compare("REPLICAOF while a client WAITs", replicaof_while_waiting)
    results.finish()


if __name__ == "__main__":
    main()
