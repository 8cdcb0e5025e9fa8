#!/usr/bin/python3
"""test_diff_pubsub: differential test of Pub/Sub, keyspace notifications and
client-output-buffer-limit (pubsub.c, notify.c, the subscribed-mode checks in
commands.c, client.c's output limits, config.c).

Starts keel-server ($KEEL_SERVER) and Debian's redis-server 7.0 on free ports
and runs every scenario against both over raw sockets (keeltest.RawConn).  A
scenario returns a list of (label, value) pairs; the values are raw reply
bytes, compared byte for byte, except where Redis itself is
nondeterministic (hash order): the replies to a no-argument UNSUBSCRIBE /
PUNSUBSCRIBE / SUNSUBSCRIBE, PUBSUB CHANNELS / SHARDCHANNELS and the
pmessages of several matching patterns are compared as sets (their counts
still in sequence).  Timing-based behaviour (the soft output limit) is
compared as outcomes (closed or not within a window).

Covers: (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE reply shapes and counts, PUBLISH
and SPUBLISH receiver counts and message frames, PUBSUB CHANNELS / NUMSUB /
NUMPAT / SHARDCHANNELS / SHARDNUMSUB / HELP and their errors, wrong arity,
the error for commands not allowed in subscribed mode, PING and QUIT in
subscribed mode, RESET, MULTI with SUBSCRIBE, CONFIG SET/GET
notify-keyspace-events for many letter combinations, client-output-buffer-
limit CONFIG SET errors and GET formatting, keyspace event channels and
payloads for every implemented string and generic command under K, E, KE
and class filters (g, $, x, m, n, ...), list/hash/set/zset events when those
commands exist, expired events (active and lazy), CLIENT LIST sub/psub/ssub
and flag P, and the output buffer limits (hard limit, soft limit with
seconds, brief excursions over the soft limit).

Every mismatch is printed with both byte strings.  Ends with
"N passed, M failed"; exit status 1 on any failure (a missing redis-server
or keel-server is a failure).
"""
import os
import re
import socket
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest as kt  # noqa: E402
from keeltest import encode, parse  # noqa: E402

R = kt.Results()
SCENARIOS = []
DEFAULT_OBUF = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"


def scenario(fn):
    SCENARIOS.append(fn)
    return fn


# ------------------------------------------------------------- helpers

def wait_until(cond, timeout, step=0.01):
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


def quiesce(srv):
    """Reset shared state and wait (bounded) until no subscription of an
    earlier scenario is left (closing a connection is asynchronous)."""
    with srv.conn() as c:
        c.call("FLUSHALL")
        c.call("CONFIG", "SET", "notify-keyspace-events", "")
        c.call("CONFIG", "SET", "client-output-buffer-limit", DEFAULT_OBUF)

        def empty():
            return (c.call("PUBSUB", "CHANNELS") == b"*0\r\n"
                    and c.call("PUBSUB", "NUMPAT") == b":0\r\n"
                    and c.call("PUBSUB", "SHARDCHANNELS") == b"*0\r\n")
        wait_until(empty, 3.0)


def frames(conn, n, timeout=3.0):
    return [conn.read_reply(timeout) for _ in range(n)]


def as_set(raws):
    """Raw replies whose order is hash order in Redis: compare sorted."""
    return sorted(raws)


def unsub_all(conn, *cmd_and_expected):
    """Send a no-argument (P|S)UNSUBSCRIBE expecting n replies: returns
    (sorted names, counts in order, kinds) -- Redis answers in hash order,
    the counts still go down one by one."""
    cmd, n = cmd_and_expected
    conn.send(encode(cmd))
    vals = [parse(r) for r in frames(conn, n)]
    names = sorted(v[1] for v in vals if isinstance(v, list) and v[1] is not None)
    counts = [v[2] if isinstance(v, list) else v for v in vals]
    kinds = sorted({v[0] if isinstance(v, list) else v for v in vals})
    return (names, counts, kinds)


def pending_after(conn):
    """Whatever arrives within 0.2 s (nothing, normally)."""
    if conn.nothing_pending(0.2):
        return b""
    time.sleep(0.1)
    try:
        conn.sock.settimeout(0.1)
        conn.buf += conn.sock.recv(65536)
    except OSError:
        pass
    out = bytes(conn.buf)
    conn.buf.clear()
    return out


def command_exists(srv, name):
    with srv.conn() as c:
        return c.call("COMMAND", "INFO", name) != b"*1\r\n*-1\r\n"


# ------------------------------------------------ subscribe/unsubscribe

@scenario
def reply_shapes(srv):
    out = []
    a, b = srv.conn(), srv.conn()
    out.append(("subscribe 3 incl. duplicate", b"".join(
        [a.call("SUBSCRIBE", "ch1", "ch2", "ch1")] + frames(a, 2))))
    out.append(("subscribe empty and binary names", b"".join(
        [a.call("SUBSCRIBE", "", b"bin\x00\r\nx")] + frames(a, 1))))
    out.append(("psubscribe counts add to channels", b"".join(
        [a.call("PSUBSCRIBE", "p*", "q?")] + frames(a, 1))))
    out.append(("ssubscribe has its own count", b"".join(
        [a.call("SSUBSCRIBE", "s1", "s2", "s1")] + frames(a, 2))))
    out.append(("unsubscribe one", a.call("UNSUBSCRIBE", "ch2")))
    out.append(("unsubscribe not subscribed", a.call("UNSUBSCRIBE", "never")))
    out.append(("unsubscribe two", b"".join([a.call("UNSUBSCRIBE", "ch1", "nope")] + frames(a, 1))))
    out.append(("punsubscribe not subscribed", a.call("PUNSUBSCRIBE", "zz")))
    out.append(("sunsubscribe one", a.call("SUNSUBSCRIBE", "s2")))
    out.append(("ping in subscribed mode", a.call("PING")))
    out.append(("ping msg in subscribed mode", a.call("PING", "hello")))
    out.append(("ping binary in subscribed mode", a.call("PING", b"\x00\xff")))
    out.append(("numsub seen by another client",
                b.call("PUBSUB", "NUMSUB", "ch1", "ch2", "", b"bin\x00\r\nx", "p*")))
    out.append(("numpat", b.call("PUBSUB", "NUMPAT")))
    out.append(("shardnumsub", b.call("PUBSUB", "SHARDNUMSUB", "s1", "s2", "ch1")))
    out.append(("unsubscribe all (2 channels, hash order)", unsub_all(a, "UNSUBSCRIBE", 2)))
    out.append(("unsubscribe all again: nil", a.call("UNSUBSCRIBE")))
    out.append(("punsubscribe all (2 patterns)", unsub_all(a, "PUNSUBSCRIBE", 2)))
    out.append(("punsubscribe all again: nil", a.call("PUNSUBSCRIBE")))
    out.append(("still subscribed to a shard channel: ping", a.call("PING")))
    out.append(("still subscribed: get refused", a.call("GET", "x")))
    out.append(("sunsubscribe all (1)", unsub_all(a, "SUNSUBSCRIBE", 1)))
    out.append(("sunsubscribe all again: nil", a.call("SUNSUBSCRIBE")))
    out.append(("normal mode again: ping", a.call("PING")))
    out.append(("normal mode again: get", a.call("GET", "x")))
    out.append(("no-arg unsubscribe in normal mode", a.call("UNSUBSCRIBE")))
    out.append(("no-arg punsubscribe in normal mode", a.call("PUNSUBSCRIBE")))
    out.append(("no-arg sunsubscribe in normal mode", a.call("SUNSUBSCRIBE")))
    out.append(("unsubscribe named in normal mode", a.call("UNSUBSCRIBE", "x", "y")
                + a.read_reply()))
    out.append(("still normal mode", a.call("PING")))
    out.append(("nothing left over", pending_after(a)))
    a.close()
    b.close()
    return out


@scenario
def unsubscribe_all_mixed(srv):
    """A no-arg UNSUBSCRIBE counts the patterns that stay; PUNSUBSCRIBE the
    channels that stay; shard subscriptions are separate."""
    out = []
    a = srv.conn()
    a.send(encode("SUBSCRIBE", "c1", "c2", "c3"))
    a.send(encode("PSUBSCRIBE", "x*", "y*"))
    a.send(encode("SSUBSCRIBE", "s"))
    out.append(("subscribe replies", frames(a, 6)))
    out.append(("unsubscribe all keeps pattern count", unsub_all(a, "UNSUBSCRIBE", 3)))
    out.append(("ping", a.call("PING")))
    a.send(encode("SUBSCRIBE", "c9"))
    out.append(("resubscribe", a.read_reply()))
    out.append(("punsubscribe all keeps channel count", unsub_all(a, "PUNSUBSCRIBE", 2)))
    out.append(("unsubscribe last channel", a.call("UNSUBSCRIBE", "c9")))
    out.append(("only shard left: still subscribed mode", a.call("ECHO", "x")))
    out.append(("sunsubscribe", a.call("SUNSUBSCRIBE", "s")))
    out.append(("normal", a.call("ECHO", "x")))
    a.close()
    return out


@scenario
def publish_and_messages(srv):
    out = []
    s1, s2, p = srv.conn(), srv.conn(), srv.conn()
    s1.send(encode("SUBSCRIBE", "news"))
    s1.send(encode("PSUBSCRIBE", "n*"))
    out.append(("s1 subscribed", frames(s1, 2)))
    s2.send(encode("PSUBSCRIBE", "n*", "ne?s", "*s"))
    out.append(("s2 subscribed", frames(s2, 3)))
    s2.send(encode("SSUBSCRIBE", "news"))
    out.append(("s2 ssubscribed", frames(s2, 1)))
    out.append(("publish nobody", p.call("PUBLISH", "other", "x")))
    out.append(("publish news counts every match", p.call("PUBLISH", "news", "hello")))
    out.append(("s1: message then pmessage", frames(s1, 2)))
    out.append(("s2: three pmessages (hash order)", as_set(frames(s2, 3))))
    out.append(("spublish news: shard subscribers only", p.call("SPUBLISH", "news", "shard")))
    out.append(("s2: smessage", s2.read_reply()))
    out.append(("spublish unmatched: patterns do not apply", p.call("SPUBLISH", "nope", "x")))
    out.append(("publish binary", p.call("PUBLISH", "news", b"\x00\r\n\xff")))
    out.append(("s1: binary frames", frames(s1, 2)))
    out.append(("s2: binary frames", as_set(frames(s2, 3))))
    out.append(("publish empty", p.call("PUBLISH", "news", "")))
    out.append(("s1: empty frames", frames(s1, 2)))
    out.append(("s2: empty frames", as_set(frames(s2, 3))))
    big = b"B" * 200000
    out.append(("publish 200 KB", p.call("PUBLISH", "news", big)))
    out.append(("s1: 200 KB frames", frames(s1, 2)))
    out.append(("s2: 200 KB frames", as_set(frames(s2, 3))))
    out.append(("publish inside multi", p.call("MULTI") + p.call("PUBLISH", "news", "m")
                + p.call("SPUBLISH", "news", "m") + p.call("EXEC")))
    out.append(("s1: multi frames", frames(s1, 2)))
    out.append(("s2: multi frames", as_set(frames(s2, 4))))
    out.append(("pipelined publishes", (p.send(encode("PUBLISH", "news", "1") + encode("PUBLISH", "x", "2")
                                               + encode("PUBLISH", "news", "3")), frames(p, 3))[1]))
    out.append(("s1: pipelined frames in order", frames(s1, 4)))
    out.append(("s2: pipelined frames", as_set(frames(s2, 6))))
    out.append(("s1 nothing more", pending_after(s1)))
    out.append(("s2 nothing more", pending_after(s2)))
    for c in (s1, s2, p):
        c.close()
    return out


@scenario
def pubsub_introspection(srv):
    out = []
    a, b, c = srv.conn(), srv.conn(), srv.conn()
    a.send(encode("SUBSCRIBE", "alpha", "beta", "gamma"))
    b.send(encode("SUBSCRIBE", "alpha"))
    b.send(encode("PSUBSCRIBE", "al*", "al*", "b*"))
    a.send(encode("PSUBSCRIBE", "al*"))
    a.send(encode("SSUBSCRIBE", "sh1", "sh2"))
    b.send(encode("SSUBSCRIBE", "sh1"))
    frames(a, 6)
    frames(b, 5)
    out.append(("channels", as_set(parse(c.call("PUBSUB", "CHANNELS")))))
    out.append(("channels a*", as_set(parse(c.call("PUBSUB", "CHANNELS", "a*")))))
    out.append(("channels [bg]*", as_set(parse(c.call("PUBSUB", "CHANNELS", "[bg]*")))))
    out.append(("channels none", c.call("PUBSUB", "CHANNELS", "zzz")))
    out.append(("channels lowercase subcommand", as_set(parse(c.call("pubsub", "channels", "?eta")))))
    out.append(("numsub", c.call("PUBSUB", "NUMSUB", "alpha", "beta", "al*", "sh1", "alpha")))
    out.append(("numsub none", c.call("PUBSUB", "NUMSUB")))
    out.append(("numpat distinct patterns", c.call("PUBSUB", "NUMPAT")))
    out.append(("shardchannels", as_set(parse(c.call("PUBSUB", "SHARDCHANNELS")))))
    out.append(("shardchannels pattern", c.call("PUBSUB", "SHARDCHANNELS", "*2")))
    out.append(("shardnumsub", c.call("PUBSUB", "SHARDNUMSUB", "sh1", "sh2", "alpha")))
    out.append(("shardnumsub none", c.call("PUBSUB", "SHARDNUMSUB")))
    info = parse(c.call("INFO", "stats")).decode()
    out.append(("info stats pubsub lines",
                [ln for ln in info.split("\r\n") if ln.startswith(("pubsub_", "pubsubshard_"))]))
    b.close()
    out.append(("numsub after b left",
                wait_until(lambda: c.call("PUBSUB", "NUMSUB", "alpha") == b"*2\r\n$5\r\nalpha\r\n:1\r\n", 3)))
    out.append(("numpat after b left", c.call("PUBSUB", "NUMPAT")))
    out.append(("shardnumsub after b left", c.call("PUBSUB", "SHARDNUMSUB", "sh1")))
    a.send(encode("RESET"))
    out.append(("reset reply", a.read_reply()))
    out.append(("channels after reset", c.call("PUBSUB", "CHANNELS")))
    out.append(("numpat after reset", c.call("PUBSUB", "NUMPAT")))
    out.append(("shardchannels after reset", c.call("PUBSUB", "SHARDCHANNELS")))
    out.append(("reset client is normal", a.call("GET", "k")))
    for x in (a, c):
        x.close()
    return out


@scenario
def pubsub_errors(srv):
    out = []
    c = srv.conn()
    for cmd in [("SUBSCRIBE",), ("PSUBSCRIBE",), ("SSUBSCRIBE",), ("PUBLISH",), ("PUBLISH", "a"),
                ("PUBLISH", "a", "b", "c"), ("SPUBLISH", "a"), ("SPUBLISH", "a", "b", "c"),
                ("PUBSUB",), ("PUBSUB", "FOO"), ("PUBSUB", "foo", "bar"),
                ("PUBSUB", "NUMPAT", "x"), ("PUBSUB", "HELP", "x"), ("PUBSUB", "help"),
                ("PUBSUB", "HELP"), ("PUBSUB", "CHANNELS", "a", "b"),
                ("PUBSUB", "channels", "a", "b"), ("PUBSUB", "SHARDCHANNELS", "a", "b"),
                ("PUBSUB", "NuMpAt"), ("PUBSUB", "numsub")]:
        out.append((" ".join(cmd), c.call(*cmd)))
    out.append(("inline subscribe", c.raw_call(b"SUBSCRIBE inl1 inl2\r\n") + c.read_reply()))
    out.append(("inline ping subscribed", c.raw_call(b"PING\r\n")))
    out.append(("inline unsubscribe", c.raw_call(b"UNSUBSCRIBE inl1 inl2\r\n") + c.read_reply()))
    c.close()
    return out


@scenario
def subscribed_mode(srv):
    out = []
    for how in (("SUBSCRIBE", "c"), ("PSUBSCRIBE", "p*"), ("SSUBSCRIBE", "s")):
        a = srv.conn()
        out.append((how[0], a.call(*how)))
        for cmd in [("GET", "x"), ("SET", "x", "1"), ("PUBLISH", "c", "m"), ("SPUBLISH", "c", "m"),
                    ("PUBSUB", "NUMSUB", "c"), ("PUBSUB", "HELP"), ("CLIENT", "LIST"),
                    ("CLIENT", "SETNAME", "x"), ("CONFIG", "GET", "port"), ("SELECT", "1"),
                    ("ECHO", "x"), ("AUTH", "x"), ("HELLO", "2"), ("INFO",), ("DBSIZE",),
                    ("MULTI",), ("DISCARD",), ("WATCH", "x"), ("COMMAND", "COUNT"),
                    ("get", "x"), ("GET",), ("PING", "a", "b"), ("NOSUCHCMD", "x"),
                    ("CLIENT", "NOSUCH"), ("PING",), ("PING", "m")]:
            out.append(("%s mode: %s" % (how[0], " ".join(cmd)), a.call(*cmd)))
        out.append(("%s mode: quit" % how[0], a.call("QUIT")))
        out.append(("%s mode: closed after quit" % how[0], a.is_closed(2.0)))
        a.close()
    # EXEC in subscribed mode (MULTI was refused too).
    a = srv.conn()
    a.call("SUBSCRIBE", "c")
    out.append(("subscribed: exec", a.call("EXEC")))
    a.close()
    # RESET leaves subscribed mode and drops every subscription.
    a, b = srv.conn(), srv.conn()
    a.send(encode("SUBSCRIBE", "r1") + encode("PSUBSCRIBE", "r*") + encode("SSUBSCRIBE", "r2"))
    frames(a, 3)
    out.append(("reset", a.call("RESET")))
    out.append(("after reset: get", a.call("GET", "x")))
    out.append(("after reset: ping", a.call("PING")))
    out.append(("after reset: publish reaches nobody", b.call("PUBLISH", "r1", "x")))
    out.append(("after reset: spublish reaches nobody", b.call("SPUBLISH", "r2", "x")))
    out.append(("after reset: nothing delivered", pending_after(a)))
    a.close()
    b.close()
    # SUBSCRIBE inside MULTI; the client is subscribed after EXEC.
    a = srv.conn()
    out.append(("multi", a.call("MULTI")))
    out.append(("queued subscribe", a.call("SUBSCRIBE", "m1", "m2")))
    out.append(("queued psubscribe", a.call("PSUBSCRIBE", "m*")))
    out.append(("exec", a.call("EXEC")))
    out.append(("after exec: get refused", a.call("GET", "x")))
    a.close()
    # A pipeline mixing subscribe, ping and unsubscribe.
    a = srv.conn()
    a.send(encode("SUBSCRIBE", "x") + encode("PING") + encode("GET", "k") + encode("UNSUBSCRIBE", "x")
           + encode("PING") + encode("GET", "k"))
    out.append(("pipeline", frames(a, 6)))
    a.close()
    return out


@scenario
def pubsub_help(srv):
    with srv.conn() as c:
        out = [("PUBSUB HELP", c.call("PUBSUB", "HELP"))]
        for name in ("subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe",
                     "sunsubscribe", "publish", "spublish", "pubsub|channels", "pubsub|numsub",
                     "pubsub|numpat", "pubsub|shardchannels", "pubsub|shardnumsub",
                     "pubsub|help"):
            out.append(("COMMAND INFO " + name, c.call("COMMAND", "INFO", name)))
        # The container: its subcommands come in hash order in Redis.
        info = parse(c.call("COMMAND", "INFO", "pubsub"))[0]
        if isinstance(info, list) and len(info) >= 10 and isinstance(info[9], list):
            info[9] = sorted(info[9], key=repr)
        out.append(("COMMAND INFO pubsub (subcommands sorted)", info))
        return out


# ---------------------------------------------------------------- config

NOTIFY_VALUES = [
    "", "K", "E", "A", "KE", "EK", "KEA", "AKE", "AEK", "EA", "g", "$", "l", "s", "h", "z", "x",
    "e", "t", "d", "n", "m", "g$lshzxetd", "dtexzhsl$g", "g$lshzxetdKE", "Ag", "gA", "AA", "An",
    "nA", "AKEm", "KEmn", "mnKE", "Kx", "Ex", "xE", "K$", "E$", "Kg", "Eg", "KEg$x", "Km", "Em",
    "KEn", "KEAn", "KEAm", "AKEnm", "lsh", "zKt", "gggg", "KKEE",
]
NOTIFY_INVALID = ["X", "a", "k", "KEX", " ", "KE ", "A*", "1", "KEA\x00", "-", "all", "KEAL", "\u00e9"]


@scenario
def config_notify(srv):
    out = []
    with srv.conn() as c:
        out.append(("default", c.call("CONFIG", "GET", "notify-keyspace-events")))
        for v in NOTIFY_VALUES:
            out.append(("set %r" % v, c.call("CONFIG", "SET", "notify-keyspace-events", v)))
            out.append(("get after %r" % v, c.call("CONFIG", "GET", "notify-keyspace-events")))
        c.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
        for v in NOTIFY_INVALID:
            out.append(("invalid %r" % v, c.call("CONFIG", "SET", "notify-keyspace-events", v)))
            out.append(("unchanged after %r" % v, c.call("CONFIG", "GET", "notify-keyspace-events")))
        out.append(("case of the name", c.call("CONFIG", "SET", "NOTIFY-KEYSPACE-EVENTS", "Kx")
                    + c.call("CONFIG", "GET", "Notify-Keyspace-Events")))
        out.append(("two values", c.call("CONFIG", "SET", "notify-keyspace-events", "K", "E")))
        out.append(("config get glob", c.call("CONFIG", "GET", "notify-*")))
        c.call("CONFIG", "SET", "notify-keyspace-events", "")
    return out


OBUF_BASE = "normal 1 2 3 slave 4 5 6 pubsub 7 8 9"
OBUF_SETS = [
    "pubsub 1mb 256kb 2", "normal 0 0 0", "replica 1gb 512mb 30", "slave 100 50 0",
    "pubsub 1MB 256KB 2", "pubsub 1m 1k 1", "pubsub 1g 1G 3", "pubsub 1b 2B 4",
    "normal 1 2 3 pubsub 4 5 6", "pubsub 1 2 3 pubsub 7 8 9", "PUBSUB 10 20 30",
    "Normal 1k 2k 3", "pubsub 0 0 0", "pubsub 18446744073709551615 0 0",
    "pubsub 9223372036854775807 1 1", "normal 1 2 2147483647",
    "normal 1 2 9223372036854775807",        # Redis keeps soft seconds in an int
    # errors
    "", "pubsub", "pubsub 1 2", "pubsub 1 2 3 normal", "master 1 2 3", "foo 1 2 3",
    "pubsub x 2 3", "pubsub 1 x 3", "pubsub 1 2 x", "pubsub -1 2 3", "pubsub 1 -2 3",
    "pubsub 1 2 -3", "pubsub 1.5mb 2 3", "pubsub 1tb 2 3", "pubsub 1kbb 2 3",
    "pubsub 1 2 3.5", "pubsub 1 2 3 foo 4 5 6", "pubsub 18446744073709551616 0 0",
]


@scenario
def config_obuf(srv):
    out = []
    with srv.conn() as c:
        out.append(("default", c.call("CONFIG", "GET", "client-output-buffer-limit")))
        for v in OBUF_SETS:
            c.call("CONFIG", "SET", "client-output-buffer-limit", OBUF_BASE)
            out.append(("set %r" % v, c.call("CONFIG", "SET", "client-output-buffer-limit", v)))
            out.append(("get after %r" % v, c.call("CONFIG", "GET", "client-output-buffer-limit")))
        out.append(("set with two arguments",
                     c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub", "1 2 3")))
        out.append(("config get glob", c.call("CONFIG", "GET", "client-output-*")))
        c.call("CONFIG", "SET", "client-output-buffer-limit", DEFAULT_OBUF)
    return out


# ------------------------------------------------------ keyspace events

class Events:
    """A subscriber to every keyspace and keyevent channel of every db."""

    END = "__keyzzz__:end"

    def __init__(self, srv):
        self.sub = srv.conn()
        self.sub.call("PSUBSCRIBE", "__key*__:*")

    def drain(self, pub):
        """Every event frame published so far, in order (raw bytes)."""
        pub.call("PUBLISH", self.END, ".")
        got = []
        while True:
            raw = self.sub.read_reply(3.0)
            v = parse(raw)
            if v[2] == self.END.encode():
                return got
            got.append(raw)

    def close(self):
        self.sub.close()


def sort_expired_runs(events):
    """Keys expired by one active expiry cycle come out in the order the
    cycle samples them, random in Redis: sort each run of consecutive
    expired-event frames."""
    out, run = [], []
    for raw in events:
        v = parse(raw)
        if v[2].endswith(b"__:expired") or v[3] == b"expired":
            run.append(raw)
            continue
        out.extend(sorted(run))
        run = []
        out.append(raw)
    out.extend(sorted(run))
    return out


def run_events(srv, flags, cmds):
    """Set the flags, run cmds (("SLEEP", s) sleeps), return the replies
    and the event frames."""
    c = srv.conn()
    c.call("FLUSHALL")
    set_reply = c.call("CONFIG", "SET", "notify-keyspace-events", flags)
    ev = Events(srv)
    replies = []
    for cmd in cmds:
        if cmd[0] == "SLEEP":
            time.sleep(cmd[1])
            continue
        replies.append(c.call(*cmd))
    events = sort_expired_runs(ev.drain(c))
    ev.close()
    c.call("SELECT", "0")
    c.close()
    return set_reply, replies, events


STRING_CMDS = [
    ("SET", "a", "1"), ("SET", "a", "2", "EX", "100"), ("SET", "a", "3", "KEEPTTL"),
    ("SET", "a", "4", "GET"), ("SET", "a", "5", "NX"), ("SET", "a", "6", "XX", "PX", "100000"),
    ("SETNX", "b", "1"), ("SETNX", "b", "2"), ("SETEX", "c", "100", "v"), ("PSETEX", "d", "100000", "v"),
    ("GETSET", "b", "9"), ("GETDEL", "b"), ("GETDEL", "b"), ("MSET", "m1", "1", "m2", "2"),
    ("MSETNX", "m3", "1", "m4", "2"), ("MSETNX", "m3", "1", "m5", "2"),
    ("INCR", "n"), ("INCRBY", "n", "5"), ("DECR", "n"), ("DECRBY", "n", "2"),
    ("INCRBYFLOAT", "n", "1.5"), ("INCR", "a"), ("APPEND", "n", "x"), ("APPEND", "new", "y"),
    ("SETRANGE", "n", "0", "zz"), ("SETRANGE", "n2", "3", "a"), ("SETRANGE", "n3", "0", ""),
    ("GETEX", "a", "EX", "100"), ("GETEX", "a", "PERSIST"), ("GETEX", "a"), ("GETEX", "a", "PX", "0"),
    ("GETEX", "nokey", "EX", "5"), ("GET", "a"), ("STRLEN", "n"), ("GETRANGE", "n", "0", "1"),
    ("SET", b"bin\x00key\r\n", b"v"), ("DEL", b"bin\x00key\r\n"),
]

GENERIC_CMDS = [
    ("SET", "k", "v"), ("EXPIRE", "k", "100"), ("PEXPIRE", "k", "100000"),
    ("EXPIREAT", "k", "99999999999"), ("PEXPIREAT", "k", "99999999999000"),
    ("EXPIRE", "k", "100", "NX"), ("EXPIRE", "k", "200", "GT"), ("EXPIRE", "k", "50", "GT"),
    ("PERSIST", "k"), ("PERSIST", "k"), ("EXPIRE", "nokey", "10"),
    ("SET", "k2", "v"), ("EXPIRE", "k2", "0"), ("SET", "k3", "v"), ("PEXPIRE", "k3", "-5"),
    ("SET", "k4", "v"), ("EXPIREAT", "k4", "1"),
    ("SET", "r", "v"), ("RENAME", "r", "r2"), ("RENAMENX", "r2", "r3"), ("SET", "r4", "x"),
    ("RENAMENX", "r3", "r4"), ("RENAME", "r3", "r3"), ("RENAME", "r3", "r4"),
    ("SET", "mv", "v"), ("MOVE", "mv", "1"), ("MOVE", "nokey", "1"),
    ("SET", "cp", "v"), ("COPY", "cp", "cp2"), ("COPY", "cp", "cp3", "DB", "2"),
    ("COPY", "cp", "cp2"), ("COPY", "cp", "cp2", "REPLACE"),
    ("DEL", "cp", "nokey", "cp2"), ("SET", "u", "1"), ("UNLINK", "u", "nokey"),
    ("SET", "t", "1"), ("TOUCH", "t"), ("EXISTS", "t", "zz"), ("TYPE", "zz"),
    ("SELECT", "5"), ("SET", "d5", "v"), ("DEL", "d5"), ("SELECT", "0"),
    ("SET", "sw", "v"), ("SWAPDB", "0", "1"), ("FLUSHDB",), ("SET", "f", "1"), ("FLUSHALL",),
]

EXPIRY_CMDS = [
    ("SET", "ex1", "v", "PX", "30"), ("SET", "ex2", "v", "PX", "30"), ("SET", "keep", "v"),
    ("SLEEP", 0.3),                       # ex1 and ex2 expire (active or lazy)
    ("GET", "ex1"), ("EXISTS", "ex2"), ("GET", "ex1"), ("SET", "ex3", "v", "PX", "1"),
    ("SLEEP", 0.05), ("SET", "ex3", "again"), ("GET", "ex3"),
]

EVENT_FLAGS = ["KEA", "K", "E", "KE", "A", "K$", "E$", "Kg", "Eg", "Kx", "Ex", "KEx", "KEg",
               "KE$", "KEg$", "KEm", "Em", "Km", "KEn", "KEAn", "KEl", "KEe", "KEt", "KEd",
               "g$x", ""]


@scenario
def keyspace_events_matrix(srv):
    out = []
    groups = [("string", STRING_CMDS), ("generic", GENERIC_CMDS), ("expiry", EXPIRY_CMDS)]
    for flags in EVENT_FLAGS:
        for gname, cmds in groups:
            set_reply, replies, events = run_events(srv, flags, cmds)
            out.append(("%s / %r: config set" % (gname, flags), set_reply))
            out.append(("%s / %r: replies" % (gname, flags), replies))
            out.append(("%s / %r: events" % (gname, flags), events))
    return out


@scenario
def keyspace_events_misc(srv):
    out = []
    # MULTI/EXEC: events are published as the transaction executes.
    flags_cmds = [
        ("multi", "KEA", [("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("DEL", "a"), ("EXEC",)]),
        ("keymiss only", "KEm", [("GET", "miss"), ("MGET", "m1", "m2"), ("SET", "x", "1"),
                                 ("GET", "x"), ("EXISTS", "miss"), ("STRLEN", "miss"),
                                 ("GETRANGE", "miss", "0", "1"), ("GETDEL", "miss"),
                                 ("GETEX", "miss"), ("APPEND", "miss", "x"), ("TTL", "zz")]),
        ("new keys", "KEn", [("SET", "a", "1"), ("SET", "a", "2"), ("INCR", "b"), ("APPEND", "c", "x"),
                             ("SETRANGE", "d", "1", "x"), ("MSET", "e", "1", "a", "3"),
                             ("RENAME", "a", "f"), ("COPY", "f", "g"), ("SET", "h", "1", "PX", "1"),
                             ("SLEEP", 0.05), ("SET", "h", "2")]),
        ("publish to a keyspace channel by hand", "KEA",
         [("PUBLISH", "__keyspace@0__:fake", "set"), ("SET", "real", "1")]),
        ("empty key", "KEA", [("SET", "", "v"), ("DEL", "")]),
        ("long key", "KEA", [("SET", "k" * 300, "v"), ("DEL", "k" * 300)]),
    ]
    for name, flags, cmds in flags_cmds:
        set_reply, replies, events = run_events(srv, flags, cmds)
        out.append((name + ": replies", replies))
        out.append((name + ": events", events))
    return out


@scenario
def keyspace_expired_active(srv):
    """The active expiry cycle (key never touched) publishes exactly one
    expired event per key, in both spaces."""
    out = []
    c = srv.conn()
    c.call("CONFIG", "SET", "notify-keyspace-events", "KEx")
    sub = srv.conn()
    sub.call("PSUBSCRIBE", "__key*__:*")
    c.call("SET", "ttl:1", "v", "PX", "100")
    c.call("SELECT", "9")
    c.call("SET", "ttl:9", "v", "PX", "150")
    c.call("SELECT", "0")
    got = as_set(frames(sub, 4, timeout=5.0))
    out.append(("active expiry events", got))
    out.append(("no duplicate", pending_after(sub)))
    out.append(("keys gone", c.call("EXISTS", "ttl:1")))
    sub.close()
    c.close()
    return out


@scenario
def keyspace_data_types(srv):
    """List/hash/set/zset events, only where keel-server has the commands."""
    groups = [
        ("list", ["lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "lset", "linsert", "lrem",
                  "ltrim", "lmove", "rpoplpush"],
         [("LPUSH", "l", "a", "b"), ("RPUSH", "l", "c"), ("LPUSHX", "l", "d"), ("RPUSHX", "nol", "d"),
          ("LPOP", "l"), ("RPOP", "l"), ("LSET", "l", "0", "z"), ("LINSERT", "l", "BEFORE", "z", "y"),
          ("LREM", "l", "0", "y"), ("LTRIM", "l", "0", "0"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
          ("RPOPLPUSH", "l2", "l3"), ("LPOP", "l3", "5"), ("RPUSH", "m", "a", "b", "c"),
          ("LTRIM", "m", "5", "6"), ("RPUSH", "m2", "a"), ("LREM", "m2", "0", "a")]),
        ("hash", ["hset", "hsetnx", "hincrby", "hincrbyfloat", "hdel", "hmset"],
         [("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"), ("HSETNX", "h", "c", "3"),
          ("HSETNX", "h", "c", "4"), ("HINCRBY", "h", "a", "2"), ("HINCRBYFLOAT", "h", "a", "1.5"),
          ("HDEL", "h", "a"), ("HDEL", "h", "zz"), ("HDEL", "h", "b", "c"), ("HMSET", "h2", "x", "1")]),
        ("set", ["sadd", "srem", "spop", "smove", "sinterstore", "sunionstore", "sdiffstore"],
         [("SADD", "s", "a", "b"), ("SADD", "s", "a"), ("SREM", "s", "a"), ("SREM", "s", "zz"),
          ("SMOVE", "s", "s2", "b"), ("SADD", "t", "1"), ("SPOP", "t"), ("SADD", "u", "1"),
          ("SPOP", "u", "5"), ("SADD", "v", "1"), ("SINTERSTORE", "d", "v", "v"),
          ("SUNIONSTORE", "d2", "v"), ("SDIFFSTORE", "d3", "v", "v"), ("SINTERSTORE", "d", "no")]),
        ("zset", ["zadd", "zincrby", "zrem", "zremrangebyscore", "zpopmin", "zpopmax",
                  "zremrangebyrank", "zremrangebylex", "zunionstore", "zrangestore", "zinterstore"],
         [("ZADD", "z", "1", "a", "2", "b"), ("ZADD", "z", "1", "a"), ("ZINCRBY", "z", "1", "a"),
          ("ZREM", "z", "a"), ("ZADD", "z", "5", "c"), ("ZREMRANGEBYSCORE", "z", "0", "2"),
          ("ZPOPMIN", "z"), ("ZADD", "y", "1", "a", "2", "b", "3", "c"),
          ("ZREMRANGEBYRANK", "y", "0", "0"), ("ZREMRANGEBYLEX", "y", "-", "+"),
          ("ZADD", "x", "1", "a"), ("ZUNIONSTORE", "w", "1", "x"), ("ZRANGESTORE", "v", "x", "0", "-1"),
          ("ZINTERSTORE", "u", "1", "nokey"), ("ZPOPMAX", "x")]),
    ]
    out = []
    for name, needed, cmds in groups:
        missing = [n for n in needed if not command_exists(KEEL, n)]
        if missing:
            print("  skip %s events: keel-server has no %s" % (name, ", ".join(missing)))
            continue
        letter = {"list": "l", "hash": "h", "set": "s", "zset": "z"}[name]
        for flags in ("KEA", "K" + letter, "E" + letter + "g"):
            set_reply, replies, events = run_events(srv, flags, cmds)
            out.append(("%s / %r: replies" % (name, flags), replies))
            out.append(("%s / %r: events" % (name, flags), events))
    return out


# ---------------------------------------------------------- CLIENT LIST

def client_fields(line):
    return dict(kv.split("=", 1) for kv in line.split(" ") if "=" in kv)


@scenario
def client_list(srv):
    out = []
    conns = [srv.conn() for _ in range(4)]
    a, b, s, c = conns
    a.call("CLIENT", "SETNAME", "a")
    b.call("CLIENT", "SETNAME", "b")
    s.call("CLIENT", "SETNAME", "s")
    c.call("CLIENT", "SETNAME", "c")
    a.send(encode("SUBSCRIBE", "x", "y") + encode("PSUBSCRIBE", "p*") + encode("SSUBSCRIBE", "z"))
    frames(a, 4)
    b.send(encode("PSUBSCRIBE", "q*", "r*"))
    frames(b, 2)
    s.send(encode("SSUBSCRIBE", "z", "w"))
    frames(s, 2)

    def table(raw):
        rows = [client_fields(ln) for ln in parse(raw).decode().split("\n") if ln]
        return sorted((r.get("name"), r.get("flags"), r.get("sub"), r.get("psub"), r.get("ssub"),
                       r.get("cmd")) for r in rows)

    raw = c.call("CLIENT", "LIST")
    out.append(("client list", table(raw)))
    ids = [int(client_fields(ln)["id"]) for ln in parse(raw).decode().split("\n") if ln]
    out.append(("client list in connection order (ids ascending)", ids == sorted(ids)))
    out.append(("client list type pubsub", table(c.call("CLIENT", "LIST", "TYPE", "pubsub"))))
    out.append(("client list type normal", table(c.call("CLIENT", "LIST", "TYPE", "normal"))))
    out.append(("client list type PUBSUB", table(c.call("CLIENT", "LIST", "TYPE", "PUBSUB"))))
    out.append(("client list type foo", c.call("CLIENT", "LIST", "TYPE", "foo")))
    b.send(encode("PUNSUBSCRIBE"))
    frames(b, 2)
    out.append(("after punsubscribe", table(c.call("CLIENT", "LIST", "TYPE", "pubsub"))))
    out.append(("client list type normal after", table(c.call("CLIENT", "LIST", "TYPE", "normal"))))
    for x in conns:
        x.close()
    return out


# ------------------------------------------------- output buffer limits

def message_frame(channel, payload):
    return encode("message", channel, payload)  # same bytes as a message frame's array


class SlowSubscriber:
    """A raw socket subscribed to `channel` with a tiny receive buffer, that
    reads only when told to."""

    def __init__(self, srv, channel):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(5.0)
        self.sock.connect(("127.0.0.1", srv.port))
        self.channel = channel
        self.sock.sendall(encode("SUBSCRIBE", channel))
        want = len(encode("subscribe", channel)) + len(b":1\r\n")  # *3 ... :1 as *2 ... + :1
        got = b""
        while len(got) < want:
            chunk = self.sock.recv(want - len(got))
            if not chunk:
                break
            got += chunk
        self.expected = 0       # bytes published to it and not yet read

    def published(self, payload):
        self.expected += len(message_frame(self.channel, payload))

    def drain(self, timeout=10.0):
        """Read everything published so far; True if it all arrived."""
        deadline = time.monotonic() + timeout
        while self.expected > 0 and time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                break
            if not chunk:
                return False
            self.expected -= len(chunk)
        return self.expected == 0

    def close(self):
        self.sock.close()


def numsub(c, channel):
    v = parse(c.call("PUBSUB", "NUMSUB", channel))
    return v[1]


def events_of(c):
    """events= of the (only) pubsub client, '' if there is none."""
    raw = parse(c.call("CLIENT", "LIST", "TYPE", "pubsub")).decode()
    m = re.search(r"events=(\w+)", raw)
    return m.group(1) if m else ""


def fill_past_kernel(c, slow, payload, limit=3000):
    """Publish until the server keeps output for the subscriber in user
    space (CLIENT LIST events=rw): the socket buffers are full from then on.
    Returns the number of messages published (None if never)."""
    for i in range(limit):
        if parse(c.call("PUBLISH", slow.channel, payload)) != 1:
            return None
        slow.published(payload)
        if i % 4 == 3 and events_of(c) == "rw":
            return i + 1
    return None


@scenario
def obuf_hard_limit(srv):
    out = []
    c = srv.conn()
    out.append(("config set", c.call("CONFIG", "SET", "client-output-buffer-limit",
                                     "pubsub 1mb 256kb 2")))
    slow = SlowSubscriber(srv, "slowhard")
    payload = b"h" * 10240
    closed, n, worst_ping = False, 0, 0.0
    t0 = time.monotonic()
    while n < 3000 and time.monotonic() - t0 < 20:
        receivers = parse(c.call("PUBLISH", "slowhard", payload))
        n += 1
        if receivers == 0:
            closed = True
            break
        if n % 10 == 0:
            p0 = time.monotonic()
            pong = c.call("PING")
            worst_ping = max(worst_ping, time.monotonic() - p0)
            if pong != b"+PONG\r\n":
                break
    out.append(("subscriber closed by the hard limit", closed))
    out.append(("numsub 0", wait_until(lambda: numsub(c, "slowhard") == 0, 3.0)))
    out.append(("pings answered within 1s throughout", worst_ping < 1.0))
    out.append(("server still answers", c.call("PING")))
    out.append(("socket closed by the server", _peer_closed(slow.sock)))
    print("  %s: hard limit after %d messages of 10 KB, worst PING %.1f ms"
          % (srv.name, n, worst_ping * 1000))
    slow.close()
    c.call("CONFIG", "SET", "client-output-buffer-limit", DEFAULT_OBUF)
    c.close()
    return out


def _peer_closed(sock, timeout=5.0):
    """True if the peer closed (EOF or reset) within timeout, reading and
    discarding what was still in flight."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if not sock.recv(1 << 20):
                return True
        except socket.timeout:
            return False
        except OSError:
            return True
    return False


@scenario
def obuf_soft_limit(srv):
    """Above the soft limit (below the hard one) for longer than the soft
    seconds: closed; before that: still subscribed."""
    out = []
    c = srv.conn()
    c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 256kb 2")
    slow = SlowSubscriber(srv, "slowsoft")
    big = b"s" * 10240
    out.append(("socket buffers filled", fill_past_kernel(c, slow, big) is not None))
    for _ in range(30):                       # ~300 KB in user space: over soft, under hard
        c.call("PUBLISH", "slowsoft", big)
    t_over = time.monotonic()
    raw = parse(c.call("CLIENT", "LIST", "TYPE", "pubsub")).decode()
    f = client_fields(raw.strip())
    pending = int(f.get("obl", 0)) + int(f.get("omem", 0))
    out.append(("between soft and hard (obl+omem)", 262144 <= pending < 1048576))
    out.append(("omem shows the pending reply list (> 256 KB)", int(f.get("omem", 0)) > 262144))
    alive_at_1s = None
    closed_at = None
    while time.monotonic() - t_over < 6.0:
        n = parse(c.call("PUBLISH", "slowsoft", "tick"))
        el = time.monotonic() - t_over
        if n == 0:
            closed_at = el
            break
        if alive_at_1s is None and el >= 1.0:
            alive_at_1s = numsub(c, "slowsoft") == 1
        time.sleep(0.05)
    out.append(("still subscribed 1 s after passing soft", alive_at_1s))
    out.append(("closed within 6 s", closed_at is not None))
    out.append(("not closed before the soft seconds",
                closed_at is not None and closed_at >= 1.9))
    print("  %s: soft limit closed after %s s over it"
          % (srv.name, "%.2f" % closed_at if closed_at is not None else "never"))
    out.append(("numsub 0", wait_until(lambda: numsub(c, "slowsoft") == 0, 3.0)))
    slow.close()
    c.call("CONFIG", "SET", "client-output-buffer-limit", DEFAULT_OBUF)
    c.close()
    return out


@scenario
def obuf_soft_brief(srv):
    """Two excursions over the soft limit of about 1 s each, drained in
    between: the timer restarts, the subscriber stays."""
    out = []
    c = srv.conn()
    c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 256kb 2")
    slow = SlowSubscriber(srv, "slowbrief")
    big = b"b" * 10240
    for round_ in (1, 2):
        out.append(("round %d: socket buffers filled" % round_,
                    fill_past_kernel(c, slow, big) is not None))
        for _ in range(30):
            c.call("PUBLISH", "slowbrief", big)
            slow.published(big)
        t_over = time.monotonic()
        while time.monotonic() - t_over < 1.1:
            if parse(c.call("PUBLISH", "slowbrief", "tick")) == 1:
                slow.published(b"tick")
            time.sleep(0.05)
        out.append(("round %d: still subscribed after ~1.1 s over soft" % round_,
                    numsub(c, "slowbrief") == 1))
        out.append(("round %d: everything delivered after draining" % round_, slow.drain()))
        # Below the soft limit again: small messages keep flowing.
        for _ in range(5):
            if parse(c.call("PUBLISH", "slowbrief", "after")) == 1:
                slow.published(b"after")
        out.append(("round %d: drained again" % round_, slow.drain()))
    t0 = time.monotonic()
    while time.monotonic() - t0 < 1.0:     # over 2 s over soft in total, never 2 s at once
        if parse(c.call("PUBLISH", "slowbrief", "x")) == 1:
            slow.published(b"x")
        time.sleep(0.05)
    out.append(("still subscribed at the end", numsub(c, "slowbrief") == 1))
    out.append(("final drain", slow.drain()))
    slow.close()
    c.call("CONFIG", "SET", "client-output-buffer-limit", DEFAULT_OBUF)
    c.close()
    return out


# ------------------------------------------------------------------ main

def describe_difference(keel, redis):
    """Both values, or for long lists the first differing item."""
    if isinstance(keel, list) and isinstance(redis, list) and len(repr(keel)) + len(repr(redis)) > 1200:
        i = next((j for j in range(min(len(keel), len(redis))) if keel[j] != redis[j]),
                 min(len(keel), len(redis)))
        return ("lists differ first at item %d (keel has %d items, redis %d)\n"
                "keel:  %r\nredis: %r" % (i, len(keel), len(redis),
                                          keel[i] if i < len(keel) else "<end>",
                                          redis[i] if i < len(redis) else "<end>"))
    return "keel:  %r\nredis: %r" % (keel, redis)


KEEL = None


def main():
    global KEEL
    try:
        KEEL = kt.start_keel()
        redis_srv = kt.start_redis()
    except kt.SetupError as e:
        R.fail("start servers", str(e))
        R.finish()
    print("keel-server on %d, redis-server on %d" % (KEEL.port, redis_srv.port))
    only = set(sys.argv[1:])
    for fn in SCENARIOS:
        if only and fn.__name__ not in only:
            continue
        t0 = time.monotonic()
        before = R.failed
        results = {}
        for srv in (KEEL, redis_srv):
            try:
                quiesce(srv)
                results[srv.name] = fn(srv)
            except Exception as e:
                results[srv.name] = [("exception", "%s: %s" % (type(e).__name__, e))]
                print("  %s raised on %s:\n%s" % (fn.__name__, srv.name, traceback.format_exc()))
        k, r = results["keel-server"], results["redis-server"]
        if len(k) != len(r):
            R.fail("%s: number of checks" % fn.__name__,
                   "keel %d, redis %d\nkeel:  %r\nredis: %r" % (len(k), len(r), k[-3:], r[-3:]))
        for (lk, vk), (lr, vr) in zip(k, r):
            if lk != lr:
                R.fail("%s: label mismatch" % fn.__name__, "keel %r, redis %r" % (lk, lr))
                continue
            R.ok("%s: %s" % (fn.__name__, lr), vk == vr, describe_difference(vk, vr))
        for srv in (KEEL, redis_srv):
            if not srv.alive():
                R.fail("%s: %s died" % (fn.__name__, srv.name), srv.log_tail())
                sys.exit(R.finish())
        print("%-28s %s (%.1fs)" % (fn.__name__, "ok" if R.failed == before
                                    else "%d failed" % (R.failed - before), time.monotonic() - t0))
        sys.stdout.flush()
    R.finish()


if __name__ == "__main__":
    main()
