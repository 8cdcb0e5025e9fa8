#!/usr/bin/python3
"""test_diff_multi: differential test of transactions (multi.c) and lazy
freeing (lazyfree.c): keel-server against Debian's redis-server 7.0.

Both servers are started on free ports (tests/compat/keeltest.py); every
scenario runs the same requests on each, over two plain connections ("a", the
transaction client, and "b", another client), and the raw reply bytes are
compared.  Covered: MULTI/EXEC/DISCARD replies and errors (QUEUED, EXECABORT,
nested MULTI, WATCH inside MULTI, EXEC with arguments, errors inline in EXEC),
WATCH invalidation by writes, deletes, expiry (lazy and active), FLUSHDB,
FLUSHALL and SWAPDB, the Redis 7.0 rule for keys already expired when
WATCHed, UNWATCH, RESET, SELECT and pipelining in a transaction, CLIENT
LIST/INFO fields of a client in MULTI, and lazyfree (INFO fields,
FLUSHALL ASYNC, UNLINK, lazyfreed_objects, latency while freeing).
Replies that differ by nature (client ids, timings) are compared by the
fields that matter.  Scenarios that need a command Keel does not have yet
(SADD, BLPOP, ...) are skipped with the reason printed.

Ends with "N passed, M failed"; exit status 1 on any failure.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest as kt  # noqa: E402

E = kt.encode
results = kt.Results()


# ------------------------------------------------------------------ helpers

class Ctx:
    """The connections one scenario uses on one server."""

    def __init__(self, server):
        self.server = server
        self.a = server.conn()
        self.b = server.conn()
        self.a.call("CONFIG", "SET", "hz", "10")
        self.a.call("FLUSHALL")

    def close(self):
        try:
            self.a.call("CONFIG", "SET", "hz", "10")
        except (OSError, ConnectionError):
            pass
        self.a.close()
        self.b.close()


def run_steps(ctx, steps):
    """Run a list of steps; return the raw replies in order.
      ("a", *cmd) / ("b", *cmd)  one request on that connection
      ("pa", [cmd, ...])         pipelined in one write on a; all replies
      ("sleep", seconds)
      ("wait_dbsize0",)          b polls DBSIZE until 0 (bounded: 3 s)
    """
    out = []
    for st in steps:
        kind = st[0]
        if kind in ("a", "b"):
            conn = ctx.a if kind == "a" else ctx.b
            out.append(conn.call(*st[1:]))
        elif kind == "pa":
            cmds = st[1]
            ctx.a.send(b"".join(E(*c) for c in cmds))
            out.extend(ctx.a.read_replies(len(cmds)))
        elif kind == "sleep":
            time.sleep(st[1])
        elif kind == "wait_dbsize0":
            deadline = time.monotonic() + 3.0
            while ctx.b.call("DBSIZE") != b":0\r\n" and time.monotonic() < deadline:
                time.sleep(0.01)
        else:
            raise ValueError(kind)
    return out


def has_command(server, name):
    with server.conn() as c:
        return c.call("COMMAND", "INFO", name) != b"*1\r\n$-1\r\n"


def compare(name, fn, needs=()):
    """Run fn(ctx) on both servers, compare what it returns."""
    missing = [n for n in needs if not has_command(KEEL, n)]
    if missing:
        print("SKIP %s: keel-server has no %s yet" % (name, ", ".join(missing).upper()))
        return
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


def steps(*st):
    return lambda ctx: run_steps(ctx, list(st))


def exec_ping(who="a"):
    return [(who, "MULTI"), (who, "PING"), (who, "EXEC")]


STALE_ATTEMPTS = 20


def stale(prep, batch, check_at):
    """A scenario on a key that is logically expired but still in the
    keyspace when WATCHed.  With hz 1 the active cycle runs once a second:
    run prep on a (setting keys with PX 20), wait 60 ms, then send batch in
    one write.  The replies at check_at (DBSIZE) must be :1, else the active
    cycle won the race and the attempt is repeated (bounded)."""
    def fn(ctx):
        ctx.a.call("CONFIG", "SET", "hz", "1")
        for _ in range(STALE_ATTEMPTS):
            ctx.a.call("UNWATCH")
            ctx.a.call("SELECT", "0")
            ctx.a.call("FLUSHALL")
            for c in prep:
                ctx.a.call(*c)
            time.sleep(0.06)
            ctx.a.send(b"".join(E(*c) for c in batch))
            out = ctx.a.read_replies(len(batch))
            if all(out[i] == b":1\r\n" for i in check_at):
                ctx.a.call("SELECT", "0")
                return out
        return "could not WATCH a key while expired but not yet deleted"
    return fn


def client_fields(line, fields=("flags", "multi", "cmd")):
    parts = dict(p.split(b"=", 1) for p in line.strip().split(b" ") if b"=" in p)
    return {f: parts.get(f.encode()) for f in fields}


def info_lazyfree(conn):
    """{field: int or the raw text if not a number} for the lazyfree fields."""
    text = kt.parse(conn.call("INFO", "memory"))
    out = {}
    for line in text.split(b"\r\n"):
        if line.startswith(b"lazyfree"):
            k, _, v = line.partition(b":")
            out[k.decode()] = int(v) if v.isdigit() else v
    return out


def wait_lazyfree_idle(conn, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if info_lazyfree(conn).get("lazyfree_pending_objects") == 0:
            return True
        time.sleep(0.01)
    return False


def mset_keys(conn, count, prefix="key:"):
    cmds = []
    for i in range(0, count, 1000):
        args = ["MSET"]
        for j in range(i, min(count, i + 1000)):
            args += [prefix + str(j), "v"]
        cmds.append(E(*args))
    conn.send(b"".join(cmds))
    replies = conn.read_replies(len(cmds))
    assert all(r == b"+OK\r\n" for r in replies), replies[:3]


# ------------------------------------------------------- MULTI/EXEC replies

def scenarios_basic():
    compare("exec replies", steps(
        ("a", "SET", "n", "5"), ("a", "MULTI"), ("a", "INCR", "n"), ("a", "GET", "n"),
        ("a", "GET", "missing"), ("a", "MGET", "n", "missing"), ("a", "SET", "s", "hello"),
        ("a", "EXISTS", "n", "s"), ("b", "GET", "n"), ("a", "EXEC"), ("b", "GET", "s"),
        ("a", "PING")))
    compare("errors inline in EXEC", steps(
        ("a", "SET", "s", "notanumber"), ("a", "MULTI"), ("a", "INCR", "s"),
        ("a", "SET", "a", "1"), ("a", "SET", "b", "1", "EX", "0"), ("a", "SELECT", "99"),
        ("a", "SELECT", "x"), ("a", "GET", "a"), ("a", "EXEC")))
    wrongtype_makers = [("sadd", ("SADD", "k", "m")), ("rpush", ("RPUSH", "k", "m")),
                        ("hset", ("HSET", "k", "f", "v")), ("zadd", ("ZADD", "k", "1", "m"))]
    maker = next((m for m in wrongtype_makers if has_command(KEEL, m[0])), None)
    if maker:
        compare("WRONGTYPE inline in EXEC (%s)" % maker[0].upper(), steps(
            ("a",) + maker[1], ("a", "MULTI"), ("a", "SET", "a", "1"), ("a", "GET", "k"),
            ("a", "INCR", "a"), ("a", "EXEC"), ("a", "GET", "a")))
    else:
        print("SKIP WRONGTYPE inline in EXEC: keel-server has no SADD/RPUSH/HSET/ZADD yet")
    compare("EXECABORT after unknown command", steps(
        ("a", "MULTI"), ("a", "SET", "foo1", "bar1"), ("a", "NOSUCHCMD", "x", "y"),
        ("a", "SET", "foo2", "bar2"), ("a", "EXEC"), ("a", "EXISTS", "foo1", "foo2"),
        ("a", "PING"), ("a", "EXEC")))
    compare("EXECABORT after unknown subcommand", steps(
        ("a", "MULTI"), ("a", "CLIENT", "NOSUCHSUB"), ("a", "SET", "a", "1"), ("a", "EXEC"),
        ("a", "EXISTS", "a")))
    compare("EXECABORT after empty command name", steps(
        ("a", "MULTI"), ("a", ""), ("a", "EXEC")))
    compare("EXECABORT after wrong arity", steps(
        ("a", "MULTI"), ("a", "SET", "a", "1"), ("a", "GET"), ("a", "SET", "x"),
        ("a", "EXEC"), ("a", "EXISTS", "a")))
    compare("EXECABORT after WATCH/MULTI/DISCARD with wrong arity in MULTI", steps(
        ("a", "MULTI"), ("a", "WATCH"), ("a", "EXEC"),
        ("a", "MULTI"), ("a", "MULTI", "x"), ("a", "EXEC"),
        ("a", "MULTI"), ("a", "SET", "a", "1"), ("a", "DISCARD", "x"), ("a", "EXEC"),
        ("a", "GET", "a")))
    compare("EXEC with arguments inside MULTI", steps(
        ("a", "MULTI"), ("a", "SET", "a", "1"), ("a", "EXEC", "x"), ("a", "EXEC"),
        ("a", "GET", "a")))
    compare("EXEC with arguments outside MULTI", steps(
        ("a", "EXEC", "x"), ("a", "PING")))
    compare("EXEC with arguments discards the watched keys", steps(
        ("a", "SET", "w", "1"), ("a", "WATCH", "w"), ("a", "MULTI"), ("a", "EXEC", "x"),
        ("b", "SET", "w", "2"), *exec_ping()))
    compare("nested MULTI and WATCH inside MULTI", steps(
        ("a", "MULTI"), ("a", "MULTI"), ("a", "WATCH", "x"), ("a", "SET", "a", "1"),
        ("a", "UNWATCH"), ("a", "EXEC"), ("a", "GET", "a")))
    compare("EXEC/DISCARD without MULTI, arity outside MULTI", steps(
        ("a", "EXEC"), ("a", "DISCARD"), ("a", "MULTI", "x"), ("a", "DISCARD", "x"),
        ("a", "UNWATCH", "x"), ("a", "WATCH"), ("a", "WATCH", "x"), ("a", "DISCARD"),
        ("a", "PING")))
    compare("MULTI with no commands", steps(
        ("a", "MULTI"), ("a", "EXEC"), ("a", "EXEC")))
    compare("DISCARD", steps(
        ("a", "MULTI"), ("a", "SET", "a", "1"), ("a", "DISCARD"), ("a", "GET", "a"),
        ("a", "EXEC")))
    compare("no_multi command (SHUTDOWN) refused while queueing", no_multi_shutdown)
    compare("QUIT inside MULTI", quit_in_multi)
    compare("SELECT inside MULTI", steps(
        ("a", "MULTI"), ("a", "SELECT", "1"), ("a", "SET", "z", "1"), ("a", "DBSIZE"),
        ("a", "EXEC"), ("a", "GET", "z"), ("b", "GET", "z"), ("a", "SELECT", "0"),
        ("a", "GET", "z")))
    compare("transaction pipelined in one write", steps(
        ("pa", [("MULTI",), ("SET", "p", "1"), ("INCR", "p"), ("GET", "p"), ("EXEC",),
                ("PING",)])))
    compare("transaction pipelined inline", inline_transaction)
    compare("500 commands in one transaction", steps(
        ("pa", [("MULTI",)] + [("INCR", "c")] * 500 + [("EXEC",)])))
    compare("RESET ends MULTI and unwatches", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "SET", "x", "2"), ("a", "MULTI"),
        ("a", "SET", "y", "1"), ("a", "RESET"), ("a", "EXEC"), ("a", "GET", "y"),
        *exec_ping()))
    compare("FLUSHALL, CONFIG SET, AUTH queued and run", steps(
        ("a", "SET", "a", "1"), ("a", "MULTI"), ("a", "FLUSHALL"), ("a", "DBSIZE"),
        ("a", "CONFIG", "SET", "hz", "10"), ("a", "AUTH", "x"), ("a", "EXEC")))
    compare("BLPOP inside MULTI answers at once", steps(
        ("a", "MULTI"), ("a", "BLPOP", "nolist", "0"), ("a", "BLPOP", "nolist", "5"),
        ("a", "EXEC")), needs=("blpop",))
    compare("BLPOP inside MULTI on a non-empty list", steps(
        ("a", "RPUSH", "l", "a"), ("a", "MULTI"), ("a", "BLPOP", "l", "0"),
        ("a", "BLPOP", "l", "0"), ("a", "EXEC")), needs=("blpop", "rpush"))


def inline_transaction(ctx):
    ctx.a.send(b"MULTI\r\nSET i 5\r\nINCR i\r\nEXEC\r\n")
    return ctx.a.read_replies(4)


def no_multi_shutdown(ctx):
    out = run_steps(ctx, [("a", "MULTI"), ("a", "SET", "a", "1"), ("a", "SHUTDOWN")])
    if out[-1] == b"+QUEUED\r\n":   # never EXEC a queued SHUTDOWN
        out.append(ctx.a.call("DISCARD"))
        return out
    return out + run_steps(ctx, [("a", "EXEC"), ("a", "EXISTS", "a"), ("b", "PING")])


def quit_in_multi(ctx):
    out = run_steps(ctx, [("a", "MULTI"), ("a", "SET", "q", "1"), ("a", "QUIT")])
    out.append(b"closed" if ctx.a.is_closed(2.0) else b"open")
    out.append(ctx.b.call("GET", "q"))
    return out


# -------------------------------------------------------------- CLIENT LIST

def client_list_in_multi(ctx):
    out = []

    def line():
        text = kt.parse(ctx.b.call("CLIENT", "LIST"))
        for ln in text.split(b"\n"):
            if b" name=txa " in ln:
                return client_fields(ln)
        return None
    ctx.a.call("CLIENT", "SETNAME", "txa")
    out.append(("before", line()))
    ctx.a.call("MULTI")
    out.append(("after MULTI", line()))
    ctx.a.call("SET", "q", "1")
    ctx.a.call("GET", "q")
    out.append(("two queued", line()))
    ctx.a.call("EXEC")
    out.append(("after EXEC", line()))
    ctx.a.call("MULTI")
    ctx.a.call("DISCARD")
    out.append(("after DISCARD", line()))
    return out


def client_flags_only(ctx):
    return [(name, f["flags"] if f else None) for name, f in client_list_in_multi(ctx)]


def client_info_inside_exec(ctx):
    ctx.a.call("MULTI")
    ctx.a.call("CLIENT", "INFO")
    reply = kt.parse(ctx.a.call("EXEC"))
    return [client_fields(reply[0])]


def scenarios_client():
    compare("CLIENT LIST flags=x while in MULTI", client_flags_only)
    compare("CLIENT LIST flags/multi/cmd while in MULTI", client_list_in_multi)
    compare("CLIENT INFO inside EXEC", client_info_inside_exec)


# -------------------------------------------------------------------- WATCH

def scenarios_watch():
    compare("WATCH: write by another client", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "SET", "x", "2"), ("a", "MULTI"),
        ("a", "SET", "x", "3"), ("a", "EXEC"), ("a", "GET", "x")))
    compare("WATCH: write between MULTI and EXEC", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("a", "MULTI"), ("a", "SET", "x", "3"),
        ("b", "INCR", "x"), ("a", "EXEC"), ("a", "GET", "x")))
    compare("WATCH: own write, one of several keys", steps(
        ("a", "WATCH", "a", "b", "x"), ("a", "WATCH", "k"), ("a", "SET", "k", "1"),
        *exec_ping()))
    compare("WATCH: another client's transaction", steps(
        ("a", "WATCH", "x"), ("b", "MULTI"), ("b", "SET", "x", "9"), ("b", "EXEC"),
        *exec_ping()))
    compare("WATCH: reads and other keys change nothing", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x", "y", "z"), ("b", "GET", "x"),
        ("b", "EXISTS", "x", "y"), ("b", "SET", "other", "1"), *exec_ping()))
    compare("WATCH: deleted by another client", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "DEL", "x"), *exec_ping()))
    compare("WATCH: UNLINKed by another client", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "UNLINK", "x"), *exec_ping()))
    compare("WATCH: set to the same value", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "SET", "x", "1"), *exec_ping()))
    compare("WATCH: missing key created", steps(
        ("a", "WATCH", "x"), ("b", "SET", "x", "1"), *exec_ping()))
    compare("WATCH: DEL of a missing key", steps(
        ("a", "WATCH", "x"), ("b", "DEL", "x"), *exec_ping()))
    compare("WATCH: writes that change nothing", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "SET", "x", "2", "NX"),
        ("b", "PERSIST", "x"), ("b", "SETRANGE", "x", "0", ""), ("b", "GETDEL", "nope"),
        *exec_ping()))
    compare("WATCH: APPEND of nothing, INCRBY 0", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "APPEND", "x", ""), *exec_ping(),
        ("a", "WATCH", "x"), ("b", "INCRBY", "x", "0"), *exec_ping()))
    compare("WATCH: RENAME onto and away, MOVE", steps(
        ("a", "SET", "y", "1"), ("a", "WATCH", "x"), ("b", "RENAME", "y", "x"), *exec_ping(),
        ("a", "WATCH", "x"), ("b", "RENAME", "x", "y"), *exec_ping(),
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "MOVE", "x", "1"), *exec_ping()))
    compare("WATCH remembers the database", steps(
        ("a", "SELECT", "1"), ("a", "SET", "x", "1"), ("a", "WATCH", "x"),
        ("b", "SET", "x", "2"), *exec_ping(),
        ("a", "WATCH", "x"), ("a", "SELECT", "0"), ("b", "SELECT", "1"),
        ("b", "SET", "x", "3"), *exec_ping()))
    compare("WATCH: PEXPIRE by another client", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "PEXPIRE", "x", "50"),
        *exec_ping()))
    compare("WATCH: key expires, touched (lazy expiry)", steps(
        ("a", "SET", "x", "1"), ("a", "PEXPIRE", "x", "50"), ("a", "WATCH", "x"),
        ("sleep", 0.12), ("b", "GET", "x"), *exec_ping()))
    compare("WATCH: key expires, untouched (active expiry)", steps(
        ("a", "SET", "x", "1"), ("a", "PEXPIRE", "x", "50"), ("a", "WATCH", "x"),
        ("wait_dbsize0",), ("b", "DBSIZE"), *exec_ping()))
    compare("WATCH: key expired but not deleted at EXEC", steps(
        ("a", "CONFIG", "SET", "hz", "1"), ("a", "SET", "x", "1"), ("a", "PEXPIRE", "x", "30"),
        ("a", "WATCH", "x"), ("sleep", 0.08),
        ("pa", [("MULTI",), ("PING",), ("EXEC",)])))
    compare("WATCH then FLUSHDB", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "FLUSHDB"), *exec_ping()))
    compare("WATCH then FLUSHDB SYNC", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "FLUSHDB", "SYNC"), *exec_ping()))
    compare("WATCH then FLUSHALL", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "FLUSHALL"), *exec_ping()))
    compare("WATCH then FLUSHALL ASYNC", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "FLUSHALL", "ASYNC"), *exec_ping()))
    compare("WATCH of a missing key then FLUSHDB/FLUSHALL", steps(
        ("a", "SET", "other", "1"), ("a", "WATCH", "x"), ("b", "FLUSHDB"), *exec_ping(),
        ("a", "WATCH", "x"), ("b", "FLUSHALL"), *exec_ping()))
    compare("WATCH then FLUSHDB of another database", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "SELECT", "1"),
        ("b", "SET", "x", "1"), ("b", "FLUSHDB"), *exec_ping()))
    compare("WATCH then SWAPDB (key present)", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "SWAPDB", "0", "1"), *exec_ping(),
        ("a", "GET", "x")))
    compare("WATCH then SWAPDB (key only in the other db)", steps(
        ("b", "SELECT", "1"), ("b", "SET", "x", "1"), ("a", "WATCH", "x"),
        ("b", "SWAPDB", "0", "1"), *exec_ping(), ("a", "GET", "x")))
    compare("WATCH then SWAPDB (missing on both sides, other dbs)", steps(
        ("a", "WATCH", "x"), ("b", "SWAPDB", "0", "1"), *exec_ping(),
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "SWAPDB", "2", "3"), *exec_ping()))
    compare("UNWATCH clears a dirty state", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "SET", "x", "2"), ("a", "UNWATCH"),
        *exec_ping(), ("a", "UNWATCH")))
    compare("failed EXEC unwatches: the next one runs", steps(
        ("a", "SET", "x", "1"), ("a", "WATCH", "x"), ("b", "SET", "x", "2"), *exec_ping(),
        ("b", "SET", "x", "3"), *exec_ping()))
    compare("successful EXEC and DISCARD unwatch", steps(
        ("a", "WATCH", "x"), *exec_ping(), ("b", "SET", "x", "5"), *exec_ping(),
        ("a", "WATCH", "x"), ("a", "MULTI"), ("a", "DISCARD"), ("b", "SET", "x", "6"),
        *exec_ping()))
    compare("EXECABORT unwatches; EXECABORT wins over a dirty watch", steps(
        ("a", "WATCH", "x"), ("a", "MULTI"), ("a", "GET"), ("a", "EXEC"),
        ("b", "SET", "x", "7"), *exec_ping(),
        ("a", "WATCH", "x"), ("b", "SET", "x", "8"), ("a", "MULTI"), ("a", "NOSUCHCMD"),
        ("a", "EXEC")))


# --------------------------------------- keys already expired at WATCH time

def scenarios_stale():
    px = ("SET", "x", "foo", "PX", "20")
    compare("stale WATCHed key, deleted by another client's read", lambda ctx: (
        stale([px], [("WATCH", "x"), ("DBSIZE",)], [1])(ctx)
        + run_steps(ctx, [("b", "GET", "x"), ("b", "DBSIZE"), *exec_ping()])))

    def untouched(ctx):
        out = stale([px], [("WATCH", "x"), ("DBSIZE",)], [1])(ctx)
        return out + run_steps(ctx, [("wait_dbsize0",), ("b", "DBSIZE"), *exec_ping()])
    compare("stale WATCHed key, deleted by the active cycle", untouched)
    compare("stale WATCHed key, still there at EXEC", stale(
        [px], [("WATCH", "x"), ("DBSIZE",), ("MULTI",), ("PING",), ("EXEC",)], [1]))
    compare("stale WATCHed key, deleted by own EXISTS", stale(
        [px], [("WATCH", "x"), ("DBSIZE",), ("EXISTS", "x"), ("MULTI",), ("PING",), ("EXEC",)],
        [1]))
    compare("stale WATCHed key, SET again by another client", lambda ctx: (
        stale([px], [("WATCH", "x"), ("DBSIZE",)], [1])(ctx)
        + run_steps(ctx, [("b", "SET", "x", "bar"), *exec_ping()])))
    compare("stale WATCHed key, SET again by itself", stale(
        [px], [("WATCH", "x"), ("DBSIZE",), ("SET", "x", "bar"), ("MULTI",), ("PING",),
               ("EXEC",)], [1]))
    compare("stale WATCHed key, then FLUSHDB", stale(
        [px], [("WATCH", "x"), ("DBSIZE",), ("FLUSHDB",), ("MULTI",), ("PING",), ("EXEC",)],
        [1]))
    compare("stale WATCHed key, then FLUSHALL", stale(
        [px], [("WATCH", "x"), ("DBSIZE",), ("FLUSHALL",), ("MULTI",), ("PING",), ("EXEC",)],
        [1]))
    compare("stale WATCHed key, then FLUSHALL ASYNC", stale(
        [px], [("WATCH", "x"), ("DBSIZE",), ("FLUSHALL", "ASYNC"), ("MULTI",), ("PING",),
               ("EXEC",)], [1]))
    compare("stale WATCHed key, SWAPDB with an empty db", stale(
        [px], [("WATCH", "x"), ("DBSIZE",), ("SWAPDB", "0", "1"), ("MULTI",), ("PING",),
               ("EXEC",)], [1]))
    compare("stale WATCHed key, SWAPDB brings a live key", stale(
        [("SELECT", "1"), ("SET", "x", "live"), ("SELECT", "0"), px],
        [("WATCH", "x"), ("DBSIZE",), ("SWAPDB", "0", "1"), ("MULTI",), ("PING",), ("EXEC",)],
        [1]))
    compare("stale WATCHed key, SWAPDB brings another stale key", stale(
        [("SELECT", "1"), px, ("SELECT", "0"), px],
        [("WATCH", "x"), ("DBSIZE",), ("SELECT", "1"), ("DBSIZE",), ("SELECT", "0"),
         ("SWAPDB", "0", "1"), ("MULTI",), ("PING",), ("EXEC",)], [1, 3]))
    compare("missing WATCHed key, SWAPDB brings a stale key", stale(
        [("SELECT", "1"), px, ("SELECT", "0")],
        [("WATCH", "x"), ("SELECT", "1"), ("DBSIZE",), ("SELECT", "0"),
         ("SWAPDB", "0", "1"), ("MULTI",), ("PING",), ("EXEC",)], [2]))
    compare("live WATCHed key, SWAPDB brings a stale key", stale(
        [("SELECT", "1"), px, ("SELECT", "0"), ("SET", "x", "live")],
        [("WATCH", "x"), ("SELECT", "1"), ("DBSIZE",), ("SELECT", "0"),
         ("SWAPDB", "0", "1"), ("MULTI",), ("PING",), ("EXEC",)], [2]))


# ----------------------------------------------------------------- lazyfree

def lazyfree_info(ctx):
    out = []
    for section in ("memory", None):
        text = kt.parse(ctx.a.call("INFO", section) if section else ctx.a.call("INFO"))
        fields = {}
        for line in text.split(b"\r\n"):
            k, _, v = line.partition(b":")
            if k in (b"lazyfree_pending_objects", b"lazyfreed_objects"):
                fields[k] = "number" if v.isdigit() else v
        out.append((section, sorted(fields.items())))
    return out


def flushall_async_dbsize(ctx):
    mset_keys(ctx.a, 3000)
    ctx.a.call("SELECT", "1")
    mset_keys(ctx.a, 2000)
    out = run_steps(ctx, [("pa", [("FLUSHALL", "ASYNC"), ("DBSIZE",), ("SELECT", "0"),
                                  ("DBSIZE",), ("EXISTS", "key:1")]), ("b", "DBSIZE")])
    mset_keys(ctx.a, 2000)
    out += run_steps(ctx, [("pa", [("FLUSHDB", "ASYNC"), ("DBSIZE",)])])
    out.append(wait_lazyfree_idle(ctx.a))
    return out


def unlink_many(ctx):
    mset_keys(ctx.a, 2000)
    out = [ctx.a.call("UNLINK", *["key:%d" % i for i in range(2001)])]
    return out + run_steps(ctx, [("a", "DBSIZE"), ("a", "EXISTS", "key:0", "key:1999"),
                                 ("a", "UNLINK", "key:0"), ("a", "UNLINK"),
                                 ("a", "FLUSHALL", "ASYNC", "x"), ("a", "FLUSHALL", "LAZY")])


def lazyfreed_counts_flushed_keys(ctx):
    wait_lazyfree_idle(ctx.a)
    before = info_lazyfree(ctx.a)["lazyfreed_objects"]
    mset_keys(ctx.a, 1000)
    ctx.a.call("SELECT", "1")
    mset_keys(ctx.a, 500)
    ctx.a.call("FLUSHALL", "ASYNC")
    idle = wait_lazyfree_idle(ctx.a)
    mid = info_lazyfree(ctx.a)["lazyfreed_objects"]
    ctx.a.call("FLUSHDB", "ASYNC")          # an empty db adds nothing
    ctx.a.call("SET", "s", "x")
    ctx.a.call("UNLINK", "s")               # a small string is freed at once
    wait_lazyfree_idle(ctx.a)
    after = info_lazyfree(ctx.a)["lazyfreed_objects"]
    return [("idle", idle), ("flushall async of 1500 keys", mid - before),
            ("empty flush, small unlink", after - mid)]


def unlink_big_set(ctx):
    members = 1000000
    cmds = [E("SADD", "bigset", *[str(j) for j in range(i, i + 1000)])
            for i in range(0, members, 1000)]
    for i in range(0, len(cmds), 100):
        ctx.a.send(b"".join(cmds[i:i + 100]))
        ctx.a.read_replies(len(cmds[i:i + 100]))
    out = [ctx.a.call("SCARD", "bigset")]
    wait_lazyfree_idle(ctx.a)
    before = info_lazyfree(ctx.a)["lazyfreed_objects"]
    out.append(ctx.a.call("UNLINK", "bigset"))
    t0 = time.monotonic()
    out.append(ctx.b.call("PING"))
    ping_ms = (time.monotonic() - t0) * 1000
    out.append(("PING under 100 ms while freeing", ping_ms < 100))
    out.append(ctx.b.call("EXISTS", "bigset"))
    deadline = time.monotonic() + 20
    after = before
    while time.monotonic() < deadline:
        after = info_lazyfree(ctx.a)["lazyfreed_objects"]
        if after > before:
            break
        time.sleep(0.02)
    out.append(("lazyfreed_objects grew by", after - before))
    out.append(("idle", wait_lazyfree_idle(ctx.a)))
    return out


def ping_while_flushing(ctx):
    keys = 300000
    mset_keys(ctx.a, keys)
    out = [ctx.a.call("DBSIZE")]
    t0 = time.monotonic()
    out.append(ctx.a.call("FLUSHALL", "ASYNC"))
    t1 = time.monotonic()
    out.append(ctx.b.call("PING"))
    t2 = time.monotonic()
    out.append(("FLUSHALL ASYNC under 500 ms", (t1 - t0) < 0.5))
    out.append(("PING under 100 ms while freeing", (t2 - t1) < 0.1))
    out.append(ctx.b.call("DBSIZE"))
    out.append(("idle", wait_lazyfree_idle(ctx.a)))
    return out


def scenarios_lazyfree():
    compare("lazyfree INFO fields present and numeric", lazyfree_info)
    compare("FLUSHALL/FLUSHDB ASYNC: DBSIZE 0 at once", flushall_async_dbsize)
    compare("UNLINK of many keys", unlink_many)
    compare("lazyfreed_objects counts the keys of an async flush", lazyfreed_counts_flushed_keys)
    compare("server answers while a big keyspace is freed", ping_while_flushing)
    compare("UNLINK of a 1M-member set", unlink_big_set, needs=("sadd",))


def main():
    global KEEL, REDIS
    try:
        KEEL = kt.start_keel()
        REDIS = kt.start_redis()
    except kt.SetupError as e:
        results.fail("setup", str(e))
        results.finish()
    scenarios_basic()
    scenarios_client()
    scenarios_watch()
    scenarios_stale()
    scenarios_lazyfree()
    results.finish()


if __name__ == "__main__":
    main()
