#!/usr/bin/python3
"""test_diff_keys: differential test of the generic keyspace commands (keys.c).

Starts keel-server ($KEEL_SERVER) and Debian's redis-server 7.0 on free ports,
sends both the same raw RESP requests over plain sockets, and compares the raw
reply bytes.  Replies that are legitimately nondeterministic are compared by
meaning instead: KEYS as a sorted set of elements, SCAN by iterating to the end
and comparing the sets of keys, times by a tolerance.  Every mismatch is
printed with both byte strings.  Ends with "N passed, M failed"; exit status 1
on any failure (a missing redis-server or keel-server is a failure).
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

START_TIMEOUT = 10.0   # seconds to wait for each server to answer PING
IO_TIMEOUT = 10.0      # seconds to wait for any single reply


# --------------------------------------------------------------- RESP I/O

def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode("utf-8")
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """One connection that returns each reply as (raw bytes, parsed value)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.f = self.sock.makefile("rb")

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass

    def _line(self):
        line = self.f.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection closed mid-reply (got %r)" % line)
        return line

    def read(self):
        line = self._line()
        t, body = line[:1], line[1:-2]
        if t == b"+":
            return line, ("status", body)
        if t == b"-":
            return line, ("error", body)
        if t == b":":
            return line, int(body)
        if t == b"$":
            n = int(body)
            if n < 0:
                return line, None
            data = self.f.read(n + 2)
            return line + data, data[:-2]
        if t == b"*":
            n = int(body)
            if n < 0:
                return line, None
            raw, items = [line], []
            for _ in range(n):
                r, v = self.read()
                raw.append(r)
                items.append(v)
            return b"".join(raw), items
        raise ValueError("unexpected reply line %r" % line)

    def call(self, args):
        self.sock.sendall(encode(args))
        return self.read()


# ---------------------------------------------------------- server set-up

def free_port():
    """A port the kernel says is free right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(proc, port, name):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with status %s" % (name, proc.returncode))
        try:
            c = Conn(port)
            raw, _ = c.call(["PING"])
            c.close()
            if raw == b"+PONG\r\n":
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("%s did not answer PING on port %d within %.0fs"
                       % (name, port, START_TIMEOUT))


def start(argv, port, name, workdir):
    log = open(os.path.join(workdir, name + ".log"), "wb")
    proc = subprocess.Popen(argv, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(proc, port, name)
    except Exception:
        proc.kill()
        proc.wait()
        raise
    return proc


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ------------------------------------------------------------- test cases
#
# A case is (mode, args...).  Modes:
#   "exact"   raw reply bytes must be equal
#   "sorted"  array replies: equal as sorted lists of elements
#   "scan"    one SCAN call whose whole reply fits (cursor 0 back): cursor
#             equal, elements equal as sorted lists
#   "scanall" SCAN iterated from cursor 0 to the end with the given options:
#             the sets of keys must be equal and no key may be missed
#   "approx"  integer replies within a tolerance (args[0] is the tolerance)
#   "sleep"   pause (args[0] seconds); not a test

def X(*a):
    return ("exact", list(a))


def SORTED(*a):
    return ("sorted", list(a))


def SCAN1(*a):
    return ("scan", list(a))


def SCANALL(*opts):
    return ("scanall", list(opts))


def APPROX(tol, *a):
    return ("approx", [tol] + list(a))


def SLEEP(s):
    return ("sleep", [s])


FLUSH = [X("FLUSHALL"), X("SELECT", "0")]
BIN = b"bin\x00key\xff"


def cases():
    now = int(time.time())
    fut_s = now + 100000
    fut_ms = fut_s * 1000 + 123
    c = []

    # --- DEL, UNLINK, EXISTS
    c += FLUSH + [
        X("DEL"), X("UNLINK"), X("EXISTS"),
        X("SET", "a", "1"), X("SET", "b", "2"), X("SET", "", "empty"), X("SET", BIN, "v"),
        X("EXISTS", "a"), X("EXISTS", "nokey"),
        X("EXISTS", "a", "a", "b", "nokey", "", BIN),
        X("exists", "A"),
        X("DEL", "a", "nokey", "a"), X("DEL", "a"),
        X("DEL", ""), X("EXISTS", ""),
        X("UNLINK", "b", BIN, "zz"), X("EXISTS", "a", "b", BIN),
        X("SET", "d1", "x"), X("SET", "d2", "y"), X("SET", "d3", "z"),
        X("del", "d1", "d2", "d3", "d4"),
        X("SET", "e", "v"), X("PEXPIRE", "e", "1"), SLEEP(0.02),
        X("EXISTS", "e"), X("DEL", "e"),
    ]

    # --- TYPE
    c += FLUSH + [
        X("TYPE"), X("TYPE", "a", "b"), X("TYPE", "nokey"),
        X("SET", "s", "v"), X("TYPE", "s"), X("SET", "n", "42"), X("TYPE", "n"),
        X("SET", "", "v"), X("TYPE", ""), X("type", BIN),
    ]

    # --- KEYS
    c += FLUSH + [X("SET", k, "v") for k in
                  ["hello", "hallo", "hbllo", "hxllo", "hllo", "heeello", "h*llo", "h?llo",
                   "h[a]llo", "foo", "", BIN, "a\\b", "x-y"]]
    for p in ["*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo",
              "h\\*llo", "h\\?llo", "h\\[a]llo", "hello", "nokey", "", "*llo", "*o", "?",
              "h??llo", "f*", "*\\\\*", "a\\\\b", "x-y", "[x]-y", "bin*", b"*\xff",
              "H*", "h[", "h[a-", "*[", "\\"]:
        c.append(SORTED("KEYS", p))
    c += [
        X("KEYS"), X("KEYS", "a", "b"),
        X("SET", "gone", "v"), X("PEXPIRE", "gone", "1"), X("SET", "gone2", "v"),
        X("PEXPIRE", "gone2", "1"), SLEEP(0.02),
        SORTED("KEYS", "gone*"), SORTED("KEYS", "gone"), SORTED("KEYS", "*"),
        X("EXISTS", "gone2"),
    ]

    # --- SCAN: cursor and option parsing on an empty database
    c += FLUSH
    for cur in ["0", "", "-1", "+0", " 0", "0 ", "00", "abc", "1.5", "0x10",
                "18446744073709551615", "18446744073709551616", "-18446744073709551616",
                "99999999999999999999999", "7", b"1\x00"]:
        c.append(X("SCAN", cur))
    c += [
        X("SCAN"),
        X("SCAN", "0", "COUNT"), X("SCAN", "0", "COUNT", "abc"), X("SCAN", "0", "COUNT", "0"),
        X("SCAN", "0", "COUNT", "-1"), X("SCAN", "0", "COUNT", "9223372036854775808"),
        X("SCAN", "0", "COUNT", "1.5"), X("SCAN", "0", "COUNT", "1"),
        X("SCAN", "0", "COUNT", "9223372036854775807"),
        X("SCAN", "0", "MATCH"), X("SCAN", "0", "TYPE"), X("SCAN", "0", "FOO"),
        X("SCAN", "0", "FOO", "bar"), X("SCAN", "0", "MATCH", "*", "COUNT"),
        X("SCAN", "abc", "COUNT", "0"), X("SCAN", "0", "COUNT", "0", "FOO"),
        X("SCAN", "0", "count", "5", "match", "x*", "type", "string"),
        X("SCAN", "0", "TYPE", "nosuchtype"),
    ]
    # --- SCAN with keys
    c += [X("SET", "k%d" % i, "v") for i in range(12)] + [
        X("SET", "other", "v"), X("SET", "", "e"), X("SET", BIN, "b"), X("SET", "num", "7"),
        SCAN1("SCAN", "0", "COUNT", "1000"),
        SCAN1("SCAN", "0", "MATCH", "k1*", "COUNT", "1000"),
        SCAN1("SCAN", "0", "MATCH", "*", "COUNT", "1000"),
        SCAN1("SCAN", "0", "MATCH", "", "COUNT", "1000"),
        SCAN1("SCAN", "0", "TYPE", "string", "COUNT", "1000"),
        SCAN1("SCAN", "0", "TYPE", "STRING", "COUNT", "1000"),
        SCAN1("SCAN", "0", "TYPE", "list", "COUNT", "1000"),
        SCAN1("SCAN", "0", "TYPE", "none", "COUNT", "1000"),
        SCAN1("SCAN", "0", "TYPE", "foo", "COUNT", "1000"),
        SCAN1("SCAN", "0", "MATCH", "k?", "TYPE", "string", "COUNT", "1000"),
        SCANALL(), SCANALL("COUNT", "1"), SCANALL("COUNT", "2"), SCANALL("COUNT", "3"),
        SCANALL("MATCH", "k1*", "COUNT", "1"), SCANALL("TYPE", "string", "COUNT", "2"),
        SCANALL("MATCH", "nomatch*", "COUNT", "1"),
        X("PEXPIRE", "k3", "1"), X("PEXPIRE", "k4", "1"), SLEEP(0.02),
        SCANALL("COUNT", "1"), SCAN1("SCAN", "0", "COUNT", "1000"),
    ]
    c += FLUSH + [X("SET", "big:%d" % i, "v") for i in range(300)] + [
        SCANALL("COUNT", "7"), SCANALL("MATCH", "big:1*", "COUNT", "13"), SCANALL(),
    ]

    # --- RANDOMKEY
    c += FLUSH + [
        X("RANDOMKEY"), X("RANDOMKEY", "x"),
        X("SET", "only", "v"), X("RANDOMKEY"),
        X("SET", "dead", "v"), X("PEXPIRE", "dead", "1"), SLEEP(0.02),
        X("RANDOMKEY"), X("RANDOMKEY"), X("RANDOMKEY"),
        X("DEL", "only"), X("SET", "d1", "v"), X("PEXPIRE", "d1", "1"), SLEEP(0.02),
        X("RANDOMKEY"),
        X("SET", "", "v"), X("RANDOMKEY"),
    ]

    # --- RENAME, RENAMENX
    c += FLUSH + [
        X("RENAME"), X("RENAME", "a"), X("RENAME", "a", "b", "c"), X("RENAMENX", "a"),
        X("RENAME", "nokey", "x"), X("RENAMENX", "nokey", "x"), X("RENAME", "nokey", "nokey"),
        X("RENAMENX", "nokey", "nokey"),
        X("SET", "a", "1"), X("RENAME", "a", "a"), X("RENAMENX", "a", "a"), X("GET", "a"),
        X("EXPIRE", "a", "100"), X("RENAME", "a", "b"), X("TTL", "b"), X("EXISTS", "a"),
        X("GET", "b"),
        X("SET", "c", "3"), X("RENAMENX", "b", "c"), X("GET", "c"), X("RENAME", "b", "c"),
        X("GET", "c"), X("TTL", "c"), X("EXISTS", "b"),
        X("SET", "d", "4"), X("EXPIRE", "d", "500"), X("SET", "e", "5"), X("RENAME", "e", "d"),
        X("TTL", "d"), X("GET", "d"),
        X("RENAMENX", "d", "f"), X("GET", "f"), X("EXISTS", "d"),
        X("SET", "", "empty"), X("RENAME", "", BIN), X("GET", BIN), X("RENAME", BIN, ""),
        X("GET", ""), X("renamenx", "", "c"),
        X("SET", "g", "v"), X("PEXPIRE", "g", "1"), SLEEP(0.02), X("RENAME", "g", "h"),
        X("RENAMENX", "g", "h"),
    ]

    # --- MOVE
    c += FLUSH + [
        X("MOVE"), X("MOVE", "k"), X("MOVE", "k", "1", "2"),
        X("MOVE", "nokey", "0"), X("MOVE", "nokey", "1"), X("MOVE", "nokey", "abc"),
        X("MOVE", "nokey", "16"), X("MOVE", "nokey", "-1"), X("MOVE", "nokey", "99999999999"),
        X("MOVE", "nokey", "-99999999999"), X("MOVE", "nokey", "2147483648"),
        X("MOVE", "nokey", "1.5"), X("MOVE", "nokey", ""), X("MOVE", "nokey", " 1"),
        X("SET", "k", "v"), X("MOVE", "k", "0"), X("EXPIRE", "k", "100"), X("MOVE", "k", "1"),
        X("EXISTS", "k"), X("SELECT", "1"), X("GET", "k"), X("TTL", "k"), X("SELECT", "0"),
        X("SET", "k", "v2"), X("MOVE", "k", "1"), X("GET", "k"), X("SELECT", "1"),
        X("GET", "k"), X("MOVE", "k", "0"), X("SELECT", "0"),
        X("SET", BIN, "bin"), X("MOVE", BIN, "15"), X("SELECT", "15"), X("GET", BIN),
        X("MOVE", BIN, "0"), X("SELECT", "0"), X("GET", BIN),
        X("SET", "", "e"), X("MOVE", "", "3"), X("EXISTS", ""),
        X("SET", "m", "v"), X("PEXPIRE", "m", "1"), SLEEP(0.02), X("MOVE", "m", "2"),
        X("SELECT", "2"), X("EXISTS", "m"), X("SELECT", "0"),
    ]

    # --- COPY
    c += FLUSH + [
        X("COPY"), X("COPY", "a"),
        X("COPY", "a", "b", "foo"), X("COPY", "a", "b", "db"), X("COPY", "a", "b", "db", "abc"),
        X("COPY", "a", "b", "db", "16"), X("COPY", "a", "b", "db", "-1"),
        X("COPY", "a", "b", "db", "99999999999"), X("COPY", "a", "b", "db", "16", "foo"),
        X("COPY", "a", "b", "foo", "db", "16"), X("COPY", "a", "b", "REPLACE", "db"),
        X("COPY", "a", "a"), X("COPY", "a", "a", "DB", "0"), X("COPY", "a", "a", "DB", "1"),
        X("COPY", "nokey", "b"),
        X("SET", "a", "hello"), X("EXPIRE", "a", "100"), X("COPY", "a", "b"), X("GET", "b"),
        X("TTL", "b"), X("OBJECT", "ENCODING", "b"),
        X("COPY", "a", "b"), X("SET", "b", "other"), X("COPY", "a", "b", "REPLACE"),
        X("GET", "b"), X("TTL", "b"), X("COPY", "a", "b", "replace", "replace"),
        X("COPY", "a", "a", "REPLACE"),
        X("COPY", "a", "b", "DB", "1"), X("SELECT", "1"), X("GET", "b"), X("TTL", "b"),
        X("SELECT", "0"), X("COPY", "a", "b", "DB", "1"),
        X("COPY", "a", "b", "DB", "1", "REPLACE"), X("COPY", "a", "b", "DB", "2", "DB", "1"),
        X("COPY", "a", "a", "DB", "1", "REPLACE"),
        X("SET", "i", "12345"), X("COPY", "i", "i2"), X("GET", "i2"),
        X("OBJECT", "ENCODING", "i2"),
        X("SET", "r", "x" * 60), X("COPY", "r", "r2"), X("GET", "r2"),
        X("OBJECT", "ENCODING", "r2"),
        X("APPEND", "r2", "yy"), X("GET", "r"), X("GET", "r2"),
        X("SET", "", "empty"), X("COPY", "", BIN), X("GET", BIN), X("TTL", BIN),
        X("SET", "p", "v"), X("PEXPIRE", "p", "1"), SLEEP(0.02), X("COPY", "p", "q"),
        X("EXISTS", "q"),
    ]

    # --- EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT
    c += FLUSH + [
        X("EXPIRE"), X("EXPIRE", "k"), X("PEXPIRE", "k"), X("EXPIREAT", "k"),
        X("PEXPIREAT", "k"),
        X("EXPIRE", "nokey", "100"), X("PEXPIRE", "nokey", "100"),
        X("EXPIREAT", "nokey", str(fut_s)), X("PEXPIREAT", "nokey", str(fut_ms)),
        X("EXPIRE", "nokey", "abc"), X("EXPIRE", "nokey", "1.5"), X("EXPIRE", "nokey", ""),
        X("EXPIRE", "nokey", " 1"), X("EXPIRE", "nokey", "100", "foo"),
        X("EXPIRE", "nokey", "abc", "foo"), X("EXPIRE", "nokey", "abc", "NX", "XX"),
        X("SET", "k", "v"),
        X("EXPIRE", "k", "100", "NX", "XX"), X("EXPIRE", "k", "100", "NX", "GT"),
        X("EXPIRE", "k", "100", "NX", "LT"), X("EXPIRE", "k", "100", "GT", "LT"),
        X("EXPIRE", "k", "100", "XX", "GT", "LT"), X("EXPIRE", "k", "100", "LT", "GT", "NX"),
        X("EXPIRE", "k", "100", "foo", "NX", "XX"), X("EXPIRE", "k", "100", "NX", "XX", "foo"),
        X("EXPIRE", "k", "100", b"fo\x00o"), X("EXPIRE", "k", "100", "a\r\nb"),
        X("EXPIRE", "k", "100", ""),
        X("TTL", "k"),
        X("EXPIRE", "k", "100", "XX"), X("EXPIRE", "k", "100", "GT"),
        X("EXPIRE", "k", "100", "GT", "GT"), X("TTL", "k"),
        X("EXPIRE", "k", "100", "LT"), X("TTL", "k"),
        X("EXPIRE", "k", "200", "NX"), X("EXPIRE", "k", "300", "nx"), X("TTL", "k"),
        X("EXPIRE", "k", "50", "XX"), X("TTL", "k"),
        X("EXPIRE", "k", "40", "GT"), X("EXPIRE", "k", "60", "gt"),
        X("TTL", "k"),
        X("EXPIRE", "k", "70", "LT"), X("EXPIRE", "k", "60", "LT"), X("EXPIRE", "k", "30", "lt"),
        X("TTL", "k"),
        X("EXPIRE", "k", "40", "XX", "GT"), X("TTL", "k"), X("EXPIRE", "k", "35", "XX", "LT"),
        X("TTL", "k"),
        X("PERSIST", "k"), X("EXPIRE", "k", "100", "GT"), X("EXPIRE", "k", "-5", "GT"),
        X("EXISTS", "k"), X("EXPIRE", "k", "100", "XX"), X("EXPIRE", "k", "100", "LT"),
        X("TTL", "k"), X("EXPIRE", "k", "-5", "LT"), X("EXISTS", "k"),
        # overflow
        X("SET", "k", "v"),
        X("EXPIRE", "k", "9223372036854775807"), X("EXPIRE", "k", "-9223372036854775808"),
        X("EXPIRE", "k", "9223372036854775808"), X("EXPIRE", "k", "9223372036854775"),
        X("EXPIRE", "k", "9223372036854776"), X("EXPIRE", "k", "-9223372036854775"),
        X("EXPIRE", "k", "-9223372036854776"),
        X("PEXPIRE", "k", "9223372036854775807"), X("PEXPIREAT", "k", "9223372036854775807"),
        X("PEXPIRETIME", "k"), X("EXPIRETIME", "k"),
        X("EXPIREAT", "k", "9223372036854775"), X("EXPIRETIME", "k"), X("PEXPIRETIME", "k"),
        X("EXPIREAT", "k", "9223372036854776"), X("EXPIREAT", "k", "-9223372036854776"),
        X("PERSIST", "k"), X("EXISTS", "k"),
        X("EXPIRE", "nokey", "9223372036854775807"), X("EXPIREAT", "nokey", "9223372036854776"),
        X("PEXPIRE", "nokey", "9223372036854775807"),
        X("PEXPIRE", "k", "-9223372036854775808"), X("EXISTS", "k"),
        # times in the past delete
        X("SET", "k", "v"), X("EXPIRE", "k", "-1"), X("EXISTS", "k"),
        X("SET", "k", "v"), X("EXPIRE", "k", "0"), X("EXISTS", "k"),
        X("SET", "k", "v"), X("PEXPIRE", "k", "0"), X("EXISTS", "k"),
        X("SET", "k", "v"), X("PEXPIRE", "k", "-100"), X("EXISTS", "k"),
        X("SET", "k", "v"), X("EXPIREAT", "k", "1"), X("EXISTS", "k"),
        X("SET", "k", "v"), X("PEXPIREAT", "k", "1000"), X("EXISTS", "k"),
        X("SET", "k", "v"), X("EXPIREAT", "k", "0", "NX"), X("EXISTS", "k"),
        X("SET", "k", "v"), X("EXPIREAT", "k", str(now - 10)), X("EXISTS", "k"),
        # absolute times are exact
        X("SET", "k", "v"), X("EXPIREAT", "k", str(fut_s)), X("EXPIRETIME", "k"),
        X("PEXPIRETIME", "k"), X("PEXPIREAT", "k", str(fut_ms)), X("PEXPIRETIME", "k"),
        X("EXPIRETIME", "k"), X("TTL", "k"),
        X("PEXPIREAT", "k", str(fut_ms + 1), "GT"), X("PEXPIRETIME", "k"),
        X("PEXPIREAT", "k", str(fut_ms - 1), "GT"), X("PEXPIREAT", "k", str(fut_ms + 1), "GT"),
        X("PEXPIREAT", "k", str(fut_ms + 1), "LT"), X("PEXPIREAT", "k", str(fut_ms - 1), "LT"),
        X("PEXPIRETIME", "k"), X("EXPIREAT", "k", str(fut_s), "LT"), X("EXPIRETIME", "k"),
        X("EXPIREAT", "k", str(fut_s), "GT"), X("EXPIREAT", "k", str(fut_s), "XX"),
        X("ExPiRe", "k", "1000", "Nx"), X("pexpire", "k", "1000000"), X("TTL", "k"),
        # binary and empty keys
        X("SET", "", "v"), X("EXPIRE", "", "100"), X("TTL", ""), X("PERSIST", ""),
        X("SET", BIN, "v"), X("PEXPIRE", BIN, "100000"), X("TTL", BIN),
        # SET clears the TTL, expiry becomes visible
        X("SET", "t", "v"), X("EXPIRE", "t", "100"), X("SET", "t", "w"), X("TTL", "t"),
        X("PEXPIRE", "t", "10"), SLEEP(0.05), X("GET", "t"), X("TTL", "t"), X("EXISTS", "t"),
    ]

    # --- TTL, PTTL, EXPIRETIME, PEXPIRETIME
    c += FLUSH + [
        X("TTL"), X("TTL", "a", "b"), X("PTTL"), X("EXPIRETIME"), X("PEXPIRETIME", "a", "b"),
        X("TTL", "nokey"), X("PTTL", "nokey"), X("EXPIRETIME", "nokey"),
        X("PEXPIRETIME", "nokey"),
        X("SET", "k", "v"), X("TTL", "k"), X("PTTL", "k"), X("EXPIRETIME", "k"),
        X("PEXPIRETIME", "k"),
        X("EXPIRE", "k", "100"), X("TTL", "k"), APPROX(200, "PTTL", "k"),
        APPROX(2, "EXPIRETIME", "k"), APPROX(2000, "PEXPIRETIME", "k"),
        X("PEXPIRE", "k", "1700"), X("TTL", "k"), X("PEXPIRE", "k", "1300"), X("TTL", "k"),
        X("PEXPIRE", "k", "100000"), APPROX(200, "PTTL", "k"),
    ]

    # --- PERSIST
    c += FLUSH + [
        X("PERSIST"), X("PERSIST", "a", "b"), X("PERSIST", "nokey"),
        X("SET", "k", "v"), X("PERSIST", "k"), X("EXPIRE", "k", "100"), X("PERSIST", "k"),
        X("TTL", "k"), X("PERSIST", "k"),
        X("PEXPIRE", "k", "1"), SLEEP(0.02), X("PERSIST", "k"), X("EXISTS", "k"),
    ]

    # --- TOUCH
    c += FLUSH + [
        X("TOUCH"), X("TOUCH", "nokey"),
        X("SET", "a", "1"), X("SET", "b", "2"), X("SET", "", "e"),
        X("TOUCH", "a"), X("TOUCH", "a", "b", "nokey", "a", ""), X("touch", BIN),
        X("PEXPIRE", "a", "1"), SLEEP(0.02), X("TOUCH", "a", "b"),
    ]

    # --- OBJECT
    c += FLUSH + [
        X("OBJECT"), X("OBJECT", "HELP"), X("object", "help"), X("OBJECT", "HELP", "x"),
        X("OBJECT", "foo"), X("OBJECT", "foo", "bar"), X("OBJECT", ""),
        X("OBJECT", "ENCODING"), X("OBJECT", "ENCODING", "a", "b"), X("OBJECT", "REFCOUNT"),
        X("OBJECT", "IDLETIME"), X("OBJECT", "FREQ"), X("OBJECT", "FREQ", "a", "b"),
        X("OBJECT", "ENCODING", "nokey"), X("OBJECT", "REFCOUNT", "nokey"),
        X("OBJECT", "IDLETIME", "nokey"), X("OBJECT", "FREQ", "nokey"),
        X("SET", "s", "hello"), X("OBJECT", "ENCODING", "s"), X("object", "EnCoDiNg", "s"),
        X("OBJECT", "REFCOUNT", "s"), APPROX(1, "OBJECT", "IDLETIME", "s"),
        X("OBJECT", "FREQ", "s"),
        X("SET", "i", "12345"), X("OBJECT", "ENCODING", "i"),
        X("SET", "ni", "-12345"), X("OBJECT", "ENCODING", "ni"),
        X("SET", "big", "12345678901234567890"), X("OBJECT", "ENCODING", "big"),
        X("SET", "lz", "0123"), X("OBJECT", "ENCODING", "lz"),
        X("SET", "e44", "x" * 44), X("OBJECT", "ENCODING", "e44"),
        X("SET", "r45", "x" * 45), X("OBJECT", "ENCODING", "r45"),
        X("SET", "ap", "ab"), X("APPEND", "ap", "cd"), X("OBJECT", "ENCODING", "ap"),
        X("SET", "", "v"), X("OBJECT", "ENCODING", ""),
        X("SET", "o", "v"), X("PEXPIRE", "o", "1"), SLEEP(0.02),
        X("OBJECT", "ENCODING", "o"), X("OBJECT", "FREQ", "o"),
    ]
    return c


# ------------------------------------------------------------------ runner

def scan_all(conn, opts):
    """Iterate SCAN to the end; returns (set of keys, error or None)."""
    cursor, keys = b"0", set()
    for _ in range(100000):
        raw, v = conn.call(["SCAN", cursor] + opts)
        if not (isinstance(v, list) and len(v) == 2 and isinstance(v[1], list)):
            return keys, "bad reply %r" % raw
        cursor = v[0]
        keys.update(v[1])
        if cursor == b"0":
            return keys, None
    return keys, "SCAN did not finish"


def show(args):
    return " ".join(repr(a if isinstance(a, bytes) else a.encode()) for a in args)


def main():
    keel = os.environ.get("KEEL_SERVER")
    if not keel or not os.access(keel, os.X_OK):
        print("FAIL: KEEL_SERVER is not set to an executable keel-server (%r)" % keel)
        print("0 passed, 1 failed")
        return 1
    redis = shutil.which("redis-server")
    if not redis:
        print("FAIL: redis-server not found (apt-get install redis-server)")
        print("0 passed, 1 failed")
        return 1

    workdir = tempfile.mkdtemp(prefix="keel-diff-keys-")
    kproc = rproc = None
    kc = rc = None
    passed = failed = 0
    try:
        kport, rport = free_port(), free_port()
        while rport == kport:
            rport = free_port()
        kproc = start([keel, "--port", str(kport)], kport, "keel", workdir)
        rproc = start([redis, "--port", str(rport), "--save", "", "--appendonly", "no"],
                      rport, "redis", workdir)
        kc, rc = Conn(kport), Conn(rport)

        for mode, args in cases():
            if mode == "sleep":
                time.sleep(args[0])
                continue
            ok, detail = True, None
            if mode == "exact":
                kraw, _ = kc.call(args)
                rraw, _ = rc.call(args)
                ok = kraw == rraw
                detail = (kraw, rraw)
            elif mode == "sorted":
                kraw, kv = kc.call(args)
                rraw, rv = rc.call(args)
                if isinstance(kv, list) and isinstance(rv, list):
                    ok = sorted(kv) == sorted(rv)
                else:
                    ok = kraw == rraw
                detail = (kraw, rraw)
            elif mode == "scan":
                kraw, kv = kc.call(args)
                rraw, rv = rc.call(args)
                if isinstance(kv, list) and isinstance(rv, list) and len(kv) == len(rv) == 2:
                    ok = kv[0] == rv[0] == b"0" and sorted(kv[1]) == sorted(rv[1])
                else:
                    ok = kraw == rraw
                detail = (kraw, rraw)
            elif mode == "scanall":
                kkeys, kerr = scan_all(kc, args)
                rkeys, rerr = scan_all(rc, args)
                ok = kerr is None and rerr is None and kkeys == rkeys
                detail = (repr((sorted(kkeys), kerr)).encode(),
                          repr((sorted(rkeys), rerr)).encode())
                args = ["SCAN", "<iterated>"] + args
            elif mode == "approx":
                tol, args = args[0], args[1:]
                kraw, kv = kc.call(args)
                rraw, rv = rc.call(args)
                ok = isinstance(kv, int) and isinstance(rv, int) and abs(kv - rv) <= tol
                detail = (kraw, rraw)
            if ok:
                passed += 1
            else:
                failed += 1
                print("MISMATCH %s [%s]\n  keel:  %r\n  redis: %r" % (show(args), mode,
                                                                       detail[0], detail[1]))
    except Exception as e:  # a crash of either server or a broken reply ends the run
        failed += 1
        print("FAIL: %s: %s" % (type(e).__name__, e))
        for name in ("keel", "redis"):
            try:
                with open(os.path.join(workdir, name + ".log"), "rb") as f:
                    tail = f.read()[-2000:]
                print("--- last lines of %s's log:\n%s" % (name, tail.decode("utf-8", "replace")))
            except OSError:
                pass
    finally:
        for conn in (kc, rc):
            if conn:
                conn.close()
        stop(kproc)
        stop(rproc)
        shutil.rmtree(workdir, ignore_errors=True)

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
