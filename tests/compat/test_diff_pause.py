#!/usr/bin/python3
"""test_diff_pause: differential test of CLIENT PAUSE / CLIENT UNPAUSE
(server/pause.c): keel-server against Debian's redis-server 7.0.

Both servers start on free ports (tests/compat/keeltest.py) and every
scenario runs the same requests on each over plain connections; what each
returns (raw reply bytes, and whether a connection is held: no reply within a
short wait) is compared.  Covered: the replies and errors of CLIENT PAUSE and
UNPAUSE; which commands WRITE holds (writes, PUBLISH, SPUBLISH, a write or a
PUBLISH inside MULTI, EXEC of a transaction that queued writes) and which go
on (reads, PING, SELECT, SUBSCRIBE, CONFIG SET, CLIENT, a read-only EXEC,
WAIT 0, errors); ALL holds every command but unknown ones and arity errors;
a pause ends by itself; a second pause only makes it stricter and longer;
UNPAUSE runs held clients in the order they were held, with their pipelines;
CLIENT LIST (flags=b, cmd=) and INFO blocked_clients of a held client; CLIENT REPLY SKIP on a held command; keys that expire during a
pause are hidden, not deleted; REPLICAOF during a pause: the held SET gets
-READONLY, a held EXEC of writes -EXECABORT ... READONLY; a held client that
disconnects; a WAIT that would wait runs during a WRITE pause (its REPLCONF
GETACK waits for the end of the pause: the offset stays still; more in
test_diff_wait.py).  Checked on Keel alone: CLIENT UNBLOCK of a held client
answers 0 and leaves it held (redis-server 7.0.15 crashes).

Ends with "N passed, M failed"; exit status 1 on any failure.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest as kt  # noqa: E402

E = kt.encode
results = kt.Results()
HOLD_WAIT = 0.3  # seconds without a reply that count as "held"


def held(conn, wait=HOLD_WAIT):
    return conn.nothing_pending(wait)


class Ctx:
    """Connections of one scenario on one server; closed after it."""

    def __init__(self, server):
        self.server = server
        self.conns = []
        self.ctl = self.conn()
        self.ctl.call("CLIENT", "UNPAUSE")
        self.ctl.call("FLUSHALL")

    def conn(self):
        c = self.server.conn()
        self.conns.append(c)
        return c

    def close(self):
        try:
            with self.server.conn() as c:
                c.call("CLIENT", "UNPAUSE")
        except (OSError, ConnectionError):
            pass
        for c in self.conns:
            c.close()
        time.sleep(0.05)


def compare(name, fn):
    got = {}
    for srv in (KEEL, REDIS):
        ctx = Ctx(srv)
        try:
            got[srv.name] = fn(ctx)
        except Exception as e:  # a broken connection, a timeout: report it
            got[srv.name] = "EXCEPTION %r" % (e,)
        finally:
            ctx.close()
        if not srv.alive():
            got[srv.name] = "SERVER DIED"
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


def replies(ctx, *cmds):
    return [ctx.ctl.call(*c) for c in cmds]


# ---------------------------------------------------------------- replies

def pause_errors(ctx):
    return replies(
        ctx, ("CLIENT", "PAUSE"), ("CLIENT", "PAUSE", "abc"), ("CLIENT", "PAUSE", "abc", "foo"),
        ("CLIENT", "PAUSE", "10", "foo"), ("CLIENT", "PAUSE", "-1"),
        ("CLIENT", "PAUSE", "-1", "WRITE"), ("CLIENT", "PAUSE", "1", "2", "3"),
        ("CLIENT", "pause", "1", "write", "x"), ("CLIENT", "PAUSE", "99999999999999999999"),
        ("CLIENT", "PAUSE", "1.5"), ("CLIENT", "PAUSE", " 1"), ("CLIENT", "PAUSE", "+1"),
        ("CLIENT", "PAUSE", ""), ("CLIENT", "PAUSE", "0"), ("CLIENT", "PAUSE", "0", "write"),
        ("CLIENT", "PAUSE", "0", "All"), ("CLIENT", "UNPAUSE", "x"), ("CLIENT", "UNPAUSE"),
        ("CLIENT", "UNPAUSE"))


def pause_zero_and_overflow_pause_nothing(ctx):
    out = replies(ctx, ("CLIENT", "PAUSE", "0", "WRITE"))
    w = ctx.conn()
    out.append(w.call("SET", "k", "1"))
    out += replies(ctx, ("CLIENT", "PAUSE", "9223372036854775807", "WRITE"))
    out.append(w.call("SET", "k", "2"))
    return out


# ------------------------------------------------------ what WRITE holds

WRITE_CASES = [
    ("SET", "k", "v"), ("DEL", "nokey"), ("EXPIRE", "k", "100"), ("FLUSHALL",),
    ("SWAPDB", "0", "1"), ("MOVE", "k", "1"), ("INCR", "n"), ("LPUSH", "l", "x"),
    ("PUBLISH", "ch", "m"), ("SPUBLISH", "ch", "m"), ("PUBLISH", "__sentinel__:hello", "x"),
    ("GET", "k"), ("PING",), ("SELECT", "1"), ("SUBSCRIBE", "x"), ("CONFIG", "SET", "hz", "10"),
    ("CLIENT", "KILL", "TYPE", "pubsub"), ("CLIENT", "PAUSE", "10", "WRITE"), ("EXISTS", "k"),
    ("WAIT", "0", "0"), ("WAIT", "x", "1"), ("WAIT", "1", "-1"), ("NOSUCH",), ("GET",),
    ("MULTI",),
    ("DBSIZE",), ("TTL", "k"), ("INFO", "keyspace"),
]


def write_holds(case):
    def fn(ctx):
        ctx.ctl.call("SET", "k", "v")
        w = ctx.conn()
        out = [ctx.ctl.call("CLIENT", "PAUSE", "5000", "WRITE")]
        w.send(E(*case))
        out.append(("held", held(w)))
        out.append(ctx.ctl.call("CLIENT", "UNPAUSE"))
        out.append(w.read_reply())
        return out
    return fn


def multi_under_write(ctx):
    """A write (or PUBLISH) sent inside MULTI is held before it is queued;
    EXEC of a transaction that queued a write before the pause is held; a
    read-only EXEC goes on."""
    a, b, c = ctx.conn(), ctx.conn(), ctx.conn()
    out = [a.call("MULTI"), a.call("SET", "t", "1"), b.call("MULTI"), b.call("GET", "t"),
           c.call("MULTI"), c.call("GET", "t")]
    out.append(ctx.ctl.call("CLIENT", "PAUSE", "5000", "WRITE"))
    a.send(E("EXEC"))
    out.append(("exec with a write held", held(a)))
    out.append(b.call("EXEC"))
    c.send(E("PUBLISH", "ch", "m"))
    out.append(("publish in multi held", held(c)))
    d = ctx.conn()
    out.append(d.call("MULTI"))
    d.send(E("INCR", "t"))
    out.append(("write in multi held", held(d)))
    out.append(ctx.ctl.call("CLIENT", "UNPAUSE"))
    out += [a.read_reply(), c.read_reply(), c.call("EXEC"), d.read_reply(), d.call("EXEC")]
    e = ctx.conn()
    out.append(ctx.ctl.call("CLIENT", "PAUSE", "5000", "WRITE"))
    out += [e.call("MULTI"), e.call("WAIT", "1", "100"), e.call("GET", "t"), e.call("EXEC")]
    return out


# ------------------------------------------------------------ ALL, timing

ALL_CASES = [("PING",), ("GET", "k"), ("QUIT",), ("CLIENT", "UNPAUSE"), ("MULTI",),
             ("AUTH", "x"), ("HELLO", "2", "SETNAME", "x"), ("RESET",), ("NOSUCH",), ("GET",),
             ("CLIENT", "PAUSE", "10")]


def all_holds(case):
    def fn(ctx):
        w = ctx.conn()
        out = [ctx.ctl.call("CLIENT", "PAUSE", "600", "ALL")]
        w.send(E(*case))
        out.append(("held", held(w)))
        raw = w.read_reply(timeout=5)
        if case[0] == "HELLO":  # the client id differs
            raw = kt.parse(raw)[:5]
        out.append(raw)
        return out
    return fn


def pause_all_ends_by_itself(ctx):
    ctx.ctl.call("SET", "k", "v")
    w = ctx.conn()
    t0 = time.monotonic()
    out = [ctx.ctl.call("CLIENT", "PAUSE", "700", "ALL")]
    w.send(E("GET", "k") + E("PING"))
    out.append(("held", held(w)))
    out += w.read_replies(2, timeout=5)
    out.append(("waited the pause", time.monotonic() - t0 >= 0.6))
    return out


def stricter_and_longer(ctx):
    """During a WRITE pause, ALL makes it stricter: with an end already past
    it keeps the earlier end; a shorter WRITE pause never shortens it."""
    w, r = ctx.conn(), ctx.conn()
    t0 = time.monotonic()
    out = [ctx.ctl.call("CLIENT", "PAUSE", "1500", "WRITE"),
           ctx.ctl.call("CLIENT", "PAUSE", "10", "WRITE"),
           ctx.ctl.call("CLIENT", "PAUSE", "9223372036854775807", "ALL")]
    r.send(E("GET", "k"))
    time.sleep(0.05)  # held in this order, so released in this order
    w.send(E("SET", "k", "v"))
    time.sleep(0.3)
    out.append(("read held", held(r, 0.1)))
    out.append(("write held", held(w, 0.1)))
    out.append(r.read_reply(timeout=5))
    out.append(w.read_reply(timeout=5))
    out.append(("held ~1.5 s", 1.3 <= time.monotonic() - t0 <= 4.0))
    return out


# ------------------------------------------------------- release in order

def release_in_order(ctx):
    clients = [ctx.conn() for _ in range(4)]
    out = [ctx.ctl.call("CLIENT", "PAUSE", "5000", "WRITE")]
    clients[0].send(E("RPUSH", "seq", "a"))
    time.sleep(0.05)
    clients[1].send(E("RPUSH", "seq", "b") + E("LRANGE", "seq", "0", "-1") + E("RPUSH", "seq", "b2"))
    time.sleep(0.05)
    clients[2].send(E("GET", "x") + E("RPUSH", "seq", "c"))
    time.sleep(0.05)
    clients[3].send(E("RPUSH", "seq", "d"))
    out.append(clients[2].read_reply())  # the GET ran before its write was held
    out.append(("all held", all(held(c, 0.1) for c in clients)))
    out.append(ctx.ctl.call("CLIENT", "UNPAUSE"))
    out.append(clients[0].read_reply())
    out += clients[1].read_replies(3)
    out.append(clients[2].read_reply())
    out.append(clients[3].read_reply())
    out.append(ctx.ctl.call("LRANGE", "seq", "0", "-1"))
    return out


def held_client_introspection(ctx):
    """(CLIENT UNBLOCK of a held client crashes redis-server 7.0.15, so it is
    checked on Keel alone: 0, as later Redis versions answer.)"""
    w = ctx.conn()
    wid = int(w.call("CLIENT", "ID")[1:-2])
    out = [ctx.ctl.call("CLIENT", "PAUSE", "5000", "WRITE")]
    w.send(E("SET", "k", "v"))
    time.sleep(0.2)
    info = kt.parse(ctx.ctl.call("INFO", "clients"))
    out.append([ln for ln in info.split(b"\r\n") if ln.startswith(b"blocked_clients")])
    listing = kt.parse(ctx.ctl.call("CLIENT", "LIST", "ID", str(wid)))
    fields = dict(p.split(b"=", 1) for p in listing.split() if b"=" in p)
    out.append((fields.get(b"flags"), fields.get(b"cmd"), fields.get(b"multi")))
    out.append(ctx.ctl.call("CLIENT", "UNPAUSE"))
    out.append(w.read_reply())
    info = kt.parse(ctx.ctl.call("INFO", "clients"))
    out.append([ln for ln in info.split(b"\r\n") if ln.startswith(b"blocked_clients")])
    return out


def reply_skip_on_held(ctx):
    w = ctx.conn()
    out = [ctx.ctl.call("CLIENT", "PAUSE", "5000", "WRITE")]
    w.send(E("CLIENT", "REPLY", "SKIP") + E("SET", "k", "v") + E("GET", "k"))
    out.append(("held", held(w)))
    out.append(ctx.ctl.call("CLIENT", "UNPAUSE"))
    out.append(w.read_reply())
    return out


def disconnect_while_held(ctx):
    w = ctx.conn()
    out = [ctx.ctl.call("CLIENT", "PAUSE", "5000", "WRITE")]
    w.send(E("SET", "gone", "1"))
    time.sleep(0.2)
    w.close()
    time.sleep(0.2)
    out.append(ctx.ctl.call("CLIENT", "UNPAUSE"))
    time.sleep(0.1)
    out.append(ctx.ctl.call("EXISTS", "gone"))
    out.append(ctx.ctl.call("PING"))
    return out


# ------------------------------------------------------------------ expiry

def expiry_hidden_not_deleted(ctx):
    out = [ctx.ctl.call("SET", "short", "v", "PX", "150"), ctx.ctl.call("SET", "keep", "v")]
    out.append(ctx.ctl.call("CLIENT", "PAUSE", "5000", "WRITE"))
    time.sleep(0.6)
    out += replies(ctx, ("GET", "short"), ("EXISTS", "short"), ("DBSIZE",))
    stats = kt.parse(ctx.ctl.call("INFO", "stats"))
    out.append([ln for ln in stats.split(b"\r\n") if ln.startswith(b"expired_keys:")])
    out.append(ctx.ctl.call("CLIENT", "UNPAUSE"))
    out += replies(ctx, ("GET", "short"), ("DBSIZE",))
    return out


# ------------------------------------------------------- REPLICAOF in pause

def replicaof_while_paused(ctx):
    a, w = ctx.conn(), ctx.conn()
    out = [a.call("MULTI"), a.call("SET", "t", "1")]
    out.append(ctx.ctl.call("CLIENT", "PAUSE", "800", "WRITE"))
    a.send(E("EXEC"))
    w.send(E("SET", "u", "1") + E("GET", "u"))
    time.sleep(0.1)
    out.append(("held", held(a, 0.1) and held(w, 0.1)))
    out.append(ctx.ctl.call("REPLICAOF", "127.0.0.1", str(kt.free_port())))
    out.append(("still held", held(a, 0.1)))
    out.append(a.read_reply(timeout=5))
    out += w.read_replies(2, timeout=5)
    out.append(ctx.ctl.call("REPLICAOF", "NO", "ONE"))
    return out


def wait_runs_during_write_pause(ctx):
    """Not held, as in Redis: it blocks and times out; its GETACK is
    deferred, so master_repl_offset does not move."""
    off0 = replication_offset(ctx.ctl)
    out = [ctx.ctl.call("CLIENT", "PAUSE", "5000", "WRITE")]
    w = ctx.conn()
    t0 = time.monotonic()
    w.send(E("WAIT", "1", "100"))
    out += [w.read_reply(timeout=3), time.monotonic() - t0 < 1.0]
    out.append(replication_offset(ctx.ctl) == off0)
    return out


def client_help_lines(ctx):
    """CLIENT HELP lists PAUSE and UNPAUSE with Redis's text, in its order
    (Keel's list is shorter: the lines around them are compared)."""
    lines = kt.parse(ctx.ctl.call("CLIENT", "HELP"))
    i = lines.index(b"UNPAUSE")
    return lines[i - 1:i + 4]


# ----------------------------------------------------------- Keel alone

def keel_unblock_held_client():
    with KEEL.conn() as ctl, KEEL.conn() as w:
        wid = int(w.call("CLIENT", "ID")[1:-2])
        ctl.call("CLIENT", "PAUSE", "5000", "WRITE")
        w.send(E("SET", "k", "v"))
        time.sleep(0.2)
        results.eq("keel: CLIENT UNBLOCK of a held client",
                   [ctl.call("CLIENT", "UNBLOCK", str(wid)),
                    ctl.call("CLIENT", "UNBLOCK", str(wid), "ERROR")], [b":0\r\n", b":0\r\n"])
        results.ok("keel: the held client stays held", held(w, 0.1))
        ctl.call("CLIENT", "UNPAUSE")
        results.eq("keel: and runs once unpaused", w.read_reply(timeout=3), b"+OK\r\n")


def replication_offset(conn):
    text = kt.parse(conn.call("INFO", "replication"))
    for ln in text.split(b"\r\n"):
        if ln.startswith(b"master_repl_offset:"):
            return int(ln.split(b":")[1])
    return None


def main():
    global KEEL, REDIS
    try:
        KEEL = kt.start_keel()
        REDIS = kt.start_redis()
    except kt.SetupError as e:
        results.fail("setup", str(e))
        results.finish()
    compare("CLIENT PAUSE / UNPAUSE replies and errors", pause_errors)
    compare("timeout 0 and an overflowing timeout pause nothing",
            pause_zero_and_overflow_pause_nothing)
    for case in WRITE_CASES:
        compare("WRITE pause: %s" % " ".join(case), write_holds(case))
    compare("WRITE pause: MULTI, EXEC with and without writes", multi_under_write)
    for case in ALL_CASES:
        compare("ALL pause: %s" % " ".join(case), all_holds(case))
    compare("ALL pause ends by itself, pipeline after", pause_all_ends_by_itself)
    compare("a second pause is only stricter and longer", stricter_and_longer)
    compare("UNPAUSE runs held clients in order, pipelines after", release_in_order)
    compare("held client: CLIENT LIST, INFO blocked_clients, CLIENT UNBLOCK",
            held_client_introspection)
    compare("CLIENT REPLY SKIP applies to the held command", reply_skip_on_held)
    compare("a held client that disconnects", disconnect_while_held)
    compare("keys expiring in a pause are hidden, not deleted", expiry_hidden_not_deleted)
    compare("REPLICAOF in a pause: held SET -READONLY, EXEC -EXECABORT",
            replicaof_while_paused)
    compare("CLIENT HELP: PAUSE and UNPAUSE", client_help_lines)
    compare("WRITE pause: a WAIT that would wait runs, offset still",
            wait_runs_during_write_pause)
    keel_unblock_held_client()
    results.finish()


if __name__ == "__main__":
    main()
