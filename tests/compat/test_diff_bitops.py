#!/usr/bin/python3
"""Differential test of the bitmap commands: keel-server against redis-server.

Starts keel-server ($KEEL_SERVER) and redis-server (7.0) on free ports (via
keeltest), sends both the same raw RESP requests and compares the reply bytes
exactly: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO,
with empty and missing keys, int/embstr/raw encoded values, binary values,
negative ranges, BIT vs BYTE units, bad types and options in every position,
wrong arity, huge offsets and the proto-max-bulk-len bound, signed/unsigned
BITFIELD edges under WRAP/SAT/FAIL, WATCH interplay, plus seeded random
ranges and BITFIELD programs.  Prints "N passed, M failed".
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest  # noqa: E402

LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808

res = keeltest.Results()


def short(b, n=200):
    return b if len(b) <= n else b[:n] + b"...(%d bytes)" % len(b)


class Pair:
    """The same request to both servers; compare the raw replies."""

    def __init__(self, keel, redis):
        self.k = keel.conn()
        self.r = redis.conn()
        self.skip_keys = set()  # non-string keys keel cannot create yet
        self.skipped = 0

    def make_other_type(self, key):
        """Store a non-string value at key on both servers with the first of
        RPUSH/SADD/HSET/ZADD that keel implements; if none, cases that use
        key are skipped (counted, reported at the end)."""
        for cmd in (("RPUSH", key, "a"), ("SADD", key, "a"), ("HSET", key, "f", "v"),
                    ("ZADD", key, "1", "a")):
            k, r = self.both(*cmd)
            if k == r and not k.startswith(b"-"):
                self.skip_keys.discard(key)
                return
            self.both("DEL", key)
        self.skip_keys.add(key)

    def both(self, *args):
        return self.k.call(*args), self.r.call(*args)

    def check(self, *args, name=None):
        if any(isinstance(a, str) and a in self.skip_keys for a in args[1:]):
            self.skipped += 1
            return None
        k, r = self.both(*args)
        label = name or " ".join(repr(a) if isinstance(a, bytes) else str(a) for a in args)
        res.ok(label[:200], k == r, "keel:  %r\nredis: %r" % (short(k), short(r)))
        return k

    def run(self, cmds):
        for c in cmds:
            self.check(*c)


def main():
    try:
        keel = keeltest.start_keel()
        redis = keeltest.start_redis()
    except keeltest.SetupError as e:
        res.fail("setup", str(e))
        res.finish()
    p = Pair(keel, redis)
    p.both("FLUSHALL")

    arity_cases(p)
    setbit_getbit_cases(p)
    bitcount_cases(p)
    bitpos_cases(p)
    bitop_cases(p)
    bitfield_cases(p)
    watch_cases(keel, redis)
    stats_cases(p)
    resp3_cases(keel, redis)
    big_cases(p)
    random_cases(p)
    if p.skipped:
        print("skipped %d cases needing a non-string type (keel has none of "
              "RPUSH/SADD/HSET/ZADD yet)" % p.skipped)
    res.finish()


# ------------------------------------------------------------------ cases

def arity_cases(p):
    p.run([
        ("SETBIT",), ("SETBIT", "k"), ("SETBIT", "k", "1"), ("SETBIT", "k", "1", "1", "1"),
        ("GETBIT",), ("GETBIT", "k"), ("GETBIT", "k", "1", "2"),
        ("BITCOUNT",),
        ("BITPOS",), ("BITPOS", "k"),
        ("BITOP",), ("BITOP", "and"), ("BITOP", "and", "d"),
        ("BITFIELD",), ("BITFIELD_RO",),
        ("bitcount", "k", "0"), ("setBIT", "k"),
    ])


def setbit_getbit_cases(p):
    p.both("FLUSHALL")
    p.run([
        ("SETBIT", "k", "7", "1"), ("GET", "k"), ("SETBIT", "k", "7", "1"),
        ("SETBIT", "k", "7", "0"), ("SETBIT", "k", "7", "0"), ("GET", "k"),
        ("SETBIT", "k", "0", "1"), ("GET", "k"), ("STRLEN", "k"),
        ("SETBIT", "k", "100", "1"), ("GET", "k"), ("STRLEN", "k"),
        ("GETBIT", "k", "0"), ("GETBIT", "k", "1"), ("GETBIT", "k", "100"),
        ("GETBIT", "k", "101"), ("GETBIT", "k", "1000000"), ("GETBIT", "nokey", "0"),
        ("GETBIT", "nokey", "4294967295"),
        ("SETBIT", "z", "0", "0"), ("EXISTS", "z"), ("GET", "z"),
        ("SETBIT", "z2", "23", "0"), ("GET", "z2"),
    ])
    # bad offsets and bit values, and their order against WRONGTYPE
    for off in ["-1", "abc", "1.5", " 1", "+1", "", "01", "4294967296", "9223372036854775807",
                "9223372036854775808", "-9223372036854775808", "#1", "1\x00"]:
        p.check("SETBIT", "k", off, "1")
        p.check("GETBIT", "k", off)
    for bit in ["2", "-1", "a", "", "1 ", "01", "1.0", "9223372036854775808", "-0", "3"]:
        p.check("SETBIT", "k", "1", bit)
    p.check("GETBIT", "k", "4294967295")
    p.make_other_type("list")
    p.run([
        ("SETBIT", "list", "1", "1"), ("GETBIT", "list", "1"), ("SETBIT", "list", "-1", "1"),
        ("SETBIT", "list", "1", "5"), ("GETBIT", "list", "x"),
    ])
    # encodings: int, embstr, raw
    p.run([
        ("SET", "i", "12345"), ("OBJECT", "ENCODING", "i"), ("GETBIT", "i", "2"),
        ("GETBIT", "i", "3"), ("GETBIT", "i", "39"), ("GETBIT", "i", "40"),
        ("SETBIT", "i", "7", "0"), ("GET", "i"), ("OBJECT", "ENCODING", "i"),
        ("SET", "i2", "-7"), ("SETBIT", "i2", "20", "1"), ("GET", "i2"),
        ("SET", "e", "hello"), ("SETBIT", "e", "0", "1"), ("GET", "e"),
        ("OBJECT", "ENCODING", "e"),
        ("SET", "r", "x" * 100), ("SETBIT", "r", "803", "1"), ("GET", "r"),
        ("SET", "bin", b"\x00\xff\x00"), ("GETBIT", "bin", "7"), ("GETBIT", "bin", "8"),
        ("SETBIT", "bin", "23", "1"), ("GET", "bin"),
        ("SET", "empty", ""), ("GETBIT", "empty", "0"), ("SETBIT", "empty", "3", "1"),
        ("GET", "empty"),
        # TTL survives SETBIT
        ("SET", "t", "a", "EX", "1000"), ("SETBIT", "t", "1000", "1"), ("TTL", "t"),
    ])
    # bit order: each bit of one byte
    for i in range(16):
        p.both("DEL", "o")
        p.check("SETBIT", "o", str(i), "1")
        p.check("GET", "o")
    # proto-max-bulk-len bounds the offset
    p.check("CONFIG", "SET", "proto-max-bulk-len", "1048576")
    p.run([
        ("SETBIT", "pm", "8388607", "1"), ("STRLEN", "pm"), ("SETBIT", "pm", "8388608", "1"),
        ("GETBIT", "pm", "8388608"), ("GETBIT", "pm", "8388607"),
        ("BITFIELD", "pm", "SET", "u8", "8388607", "255"), ("STRLEN", "pm"),
        ("BITFIELD", "pm", "GET", "u8", "8388608"), ("BITFIELD", "pm", "GET", "u8", "#1048575"),
        ("BITFIELD", "pm", "GET", "u8", "#1048576"),
        ("BITCOUNT", "pm"), ("DEL", "pm"),
    ])
    p.check("CONFIG", "SET", "proto-max-bulk-len", "536870912")


RANGE_VALUES = [LLONG_MIN, -100, -49, -48, -47, -10, -9, -8, -7, -6, -2, -1, 0, 1, 2, 5, 6, 7, 8,
                9, 15, 16, 40, 46, 47, 48, 100, LLONG_MAX]


def bitcount_cases(p):
    p.both("FLUSHALL")
    values = {"s": "foobar", "b": b"\xff\x00\xf0\x0f\xaa\x55", "i": "1234567",
              "one": b"\x81", "empty": ""}
    for k, v in values.items():
        p.both("SET", k, v)
    for k in list(values) + ["nokey"]:
        p.check("BITCOUNT", k)
        for s in RANGE_VALUES:
            for e in RANGE_VALUES:
                p.check("BITCOUNT", k, s, e)
                p.check("BITCOUNT", k, s, e, "BIT")
                if (s + e) % 3 == 0:
                    p.check("BITCOUNT", k, s, e, "byte")
    p.make_other_type("list")
    for k in ["s", "nokey", "list", "empty"]:
        p.run([
            ("BITCOUNT", k, "0"), ("BITCOUNT", k, "a", "b"), ("BITCOUNT", k, "0", "b"),
            ("BITCOUNT", k, "0", "1", "bits"), ("BITCOUNT", k, "0", "1", "BIT", "x"),
            ("BITCOUNT", k, "-1", "-2", "junk"), ("BITCOUNT", k, "-2", "-1", "junk"),
            ("BITCOUNT", k, "1", "0", "junk"), ("BITCOUNT", k, "1.5", "2"),
            ("BITCOUNT", k, "0", "-1", "bit\x00x"), ("BITCOUNT", k, "0", "-1", ""),
            ("BITCOUNT", k, "0", "9223372036854775808"),
        ])


def bitpos_cases(p):
    p.both("FLUSHALL")
    values = {"ones": b"\xff\xff\xff", "zeros": b"\x00\x00\x00", "mix": b"\xff\xf0\x00",
              "lead": b"\x00\x0f\xff", "one": b"\x7f", "s": "foobar", "i": "12345",
              "empty": "", "long1": b"\x00" * 77 + b"\x01" + b"\x00" * 50,
              "long0": b"\xff" * 77 + b"\xfe" + b"\xff" * 50, "allf": b"\xff" * 64}
    for k, v in values.items():
        p.both("SET", k, v)
    rv = [LLONG_MIN, -200, -25, -24, -23, -9, -8, -7, -3, -2, -1, 0, 1, 2, 3, 7, 8, 9, 15, 16,
          23, 24, 25, 77, 78, 100, 616, 617, 623, 624, 1023, LLONG_MAX]
    for k in list(values) + ["nokey"]:
        for bit in ("0", "1"):
            p.check("BITPOS", k, bit)
            for s in rv:
                p.check("BITPOS", k, bit, s)
                for e in rv[::3] if k.startswith("long") else rv:
                    p.check("BITPOS", k, bit, s, e)
                    p.check("BITPOS", k, bit, s, e, "BIT")
                    if (s + e) % 5 == 0:
                        p.check("BITPOS", k, bit, s, e, "BYTE")
    p.make_other_type("list")
    for k in ["mix", "nokey", "list", "empty"]:
        p.run([
            ("BITPOS", k, "2"), ("BITPOS", k, "-1"), ("BITPOS", k, "a"), ("BITPOS", k, ""),
            ("BITPOS", k, "1", "a"), ("BITPOS", k, "0", "a"), ("BITPOS", k, "1", "0", "a"),
            ("BITPOS", k, "1", "0", "1", "bits"), ("BITPOS", k, "1", "0", "b", "bits"),
            ("BITPOS", k, "1", "0", "b", "bit"), ("BITPOS", k, "1", "a", "b", "bits"),
            ("BITPOS", k, "1", "0", "1", "bit", "x"), ("BITPOS", k, "0", "0", "-1", "BIT\x00z"),
            ("BITPOS", k, "1", "1.0"), ("BITPOS", k, "2", "0", "1", "x"),
        ])


def bitop_cases(p):
    p.both("FLUSHALL")
    p.run([
        ("SET", "a", b"\xff\x0f\x00\xaa"), ("SET", "b", b"\xf0\xff"), ("SET", "c", "foobar"),
        ("SET", "n", "123"), ("SET", "e", ""),
    ])
    p.make_other_type("lst")
    p.make_other_type("lst2")
    for op in ["AND", "or", "Xor"]:
        for srcs in [("a",), ("a", "b"), ("b", "a"), ("a", "b", "c"), ("a", "missing"),
                     ("missing", "a"), ("missing",), ("missing", "missing2"), ("a", "n"),
                     ("n", "c", "b", "a"), ("e",), ("e", "a"), ("a", "a"), ("e", "missing")]:
            p.check("BITOP", op, "dest", *srcs)
            p.check("GET", "dest")
            p.check("EXISTS", "dest")
    p.run([
        ("BITOP", "NOT", "dest", "a"), ("GET", "dest"),
        ("BITOP", "not", "dest", "n"), ("GET", "dest"),
        ("BITOP", "NOT", "dest", "e"), ("EXISTS", "dest"),
        ("BITOP", "NOT", "dest", "missing"), ("EXISTS", "dest"),
        ("BITOP", "NOT", "dest", "a", "b"), ("BITOP", "NOT", "dest", "missing", "missing"),
        ("BITOP", "NAND", "dest", "a"), ("BITOP", "", "dest", "a"),
        ("BITOP", "and\x00x", "dest", "a"), ("GET", "dest"), ("BITOP", "an", "dest", "a"),
        # destination: TTL removed, replaced type, deleted on empty result
        ("SET", "dest", "x", "EX", "100"), ("BITOP", "OR", "dest", "a"), ("TTL", "dest"),
        ("BITOP", "OR", "lst", "a"), ("TYPE", "lst"), ("GET", "lst"),
        ("BITOP", "OR", "lst2", "missing"), ("EXISTS", "lst2"),
        ("SET", "dest", "x"), ("BITOP", "AND", "dest", "missing", "e"), ("EXISTS", "dest"),
        # wrong type sources: no change to dest
        ("SET", "dest", "keep"), ("BITOP", "OR", "dest", "a", "lst"), ("GET", "dest"),
        ("BITOP", "OR", "dest", "missing", "lst"), ("BITOP", "NOT", "dest", "lst"),
        ("BITOP", "NOT", "dest", "lst", "x"), ("BITOP", "FOO", "dest", "lst"), ("GET", "dest"),
        # destination is a source
        ("SET", "self", b"\x0f"), ("BITOP", "XOR", "self", "self", "a"), ("GET", "self"),
        ("BITOP", "NOT", "self", "self"), ("GET", "self"),
    ])
    # long operands exercise the word loops
    rnd = random.Random(7)
    for n in (7, 8, 9, 63, 64, 65, 1000):
        p.both("SET", "x", bytes(rnd.randrange(256) for _ in range(n)))
        p.both("SET", "y", bytes(rnd.randrange(256) for _ in range(n // 2 + 3)))
        for op in ("AND", "OR", "XOR"):
            p.check("BITOP", op, "d", "x", "y", "x")
            p.check("GET", "d")
        p.check("BITOP", "NOT", "d", "x")
        p.check("GET", "d")


def bitfield_cases(p):
    p.both("FLUSHALL")
    p.make_other_type("list")
    p.both("SET", "s", "foobar")
    p.both("SET", "i", "255")
    types = ["i1", "i2", "i7", "i8", "i9", "i16", "i31", "i32", "i33", "i63", "i64",
             "u1", "u2", "u7", "u8", "u9", "u16", "u31", "u32", "u33", "u62", "u63"]
    bad_types = ["i0", "u0", "i65", "u64", "I8", "U8", "x8", "i", "u", "", "i-1", "i 8", "i08",
                 "i8\x00zz", "u8 ", "8", "ii8", "i9223372036854775808"]
    for k in ["s", "i", "nokey"]:
        for t in types + bad_types:
            for off in ["0", "1", "5", "13", "47", "48", "100", "#0", "#1", "#3", "#-1", "#",
                        "##1", "#a", "-1", "a", "#1152921504606846976",
                        "#2305843009213693952", "4294967295", "4294967296"]:
                p.check("BITFIELD", k, "GET", t, off)
                if off in ("0", "#1", "13"):
                    p.check("BITFIELD_RO", k, "GET", t, off)
    p.run([
        ("BITFIELD", "list", "GET", "u8", "0"), ("BITFIELD_RO", "list", "GET", "u8", "0"),
        ("BITFIELD", "list", "SET", "u8", "0", "1"), ("BITFIELD", "list"),
        ("BITFIELD", "list", "GET", "u8", "x"), ("BITFIELD_RO", "list", "SET", "u8", "0", "1"),
        ("BITFIELD", "nokey"), ("BITFIELD_RO", "nokey"), ("BITFIELD", "list", "OVERFLOW", "SAT"),
        ("BITFIELD", "nokey", "OVERFLOW", "FAIL"), ("EXISTS", "nokey"),
        ("BITFIELD", "nokey", "GET", "u8", "0"), ("EXISTS", "nokey"),
        ("BITFIELD", "k", "GET"), ("BITFIELD", "k", "GET", "i8"), ("BITFIELD", "k", "SET", "i8", "0"),
        ("BITFIELD", "k", "INCRBY", "i8", "0"), ("BITFIELD", "k", "OVERFLOW"),
        ("BITFIELD", "k", "OVERFLOW", "wrapp"), ("BITFIELD", "k", "OVERFLOW", ""),
        ("BITFIELD", "k", "FOO", "i8", "0"), ("BITFIELD", "k", "GET", "i8", "0", "junk"),
        ("BITFIELD", "k", "GET", "i8", "a", "SET", "x"), ("BITFIELD", "k", "SET", "i8", "0", "a"),
        ("BITFIELD", "k", "SET", "i8", "0", "1.5"),
        ("BITFIELD", "k", "SET", "i8", "0", "9223372036854775808"),
        ("BITFIELD", "k", "INCRBY", "u8", "0", ""), ("EXISTS", "k"),
        ("BITFIELD_RO", "k", "GET", "i8", "0", "INCRBY", "u8", "0", "1"),
        ("BITFIELD_RO", "k", "GET", "i8", "0", "INCRBY", "u8", "0", "x"),
        ("BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "i8", "0"),
        ("BITFIELD_RO", "k", "OVERFLOW", "BAD"), ("BITFIELD_RO", "k", "set"),
        ("BITFIELD", "k", "get\x00x", "u8", "0"), ("BITFIELD", "k", "overflow", "sat\x00x"),
        ("EXISTS", "k"),
        # all writes FAIL: the key is still created
        ("BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u2", "100", "7"), ("GET", "f"),
        ("STRLEN", "f"),
        ("BITFIELD", "f2", "OVERFLOW", "FAIL", "INCRBY", "i8", "#2", "200", "GET", "i8", "#2"),
        ("GET", "f2"),
        # OVERFLOW applies to the ops after it, repeated and changed
        ("BITFIELD", "o", "SET", "u8", "0", "250", "INCRBY", "u8", "0", "10", "OVERFLOW", "SAT",
         "INCRBY", "u8", "0", "300", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "OVERFLOW",
         "WRAP", "INCRBY", "u8", "0", "1", "GET", "u8", "0"),
        ("BITFIELD", "o", "overflow", "sat", "overflow", "fail", "incrby", "i4", "3", "100"),
        ("BITFIELD", "o", "GET", "u8", "0", "GET", "i8", "0", "GET", "u4", "4", "GET", "i64", "0"),
        # on int-encoded and TTL'd values
        ("BITFIELD", "i", "SET", "u8", "0", "65"), ("GET", "i"), ("OBJECT", "ENCODING", "i"),
        ("SET", "t", "abc", "EX", "500"), ("BITFIELD", "t", "INCRBY", "u8", "#1", "1"),
        ("GET", "t"), ("TTL", "t"),
        # reads past the end, # offsets, across byte boundaries
        ("SET", "x", b"\x12\x34\x56\x78\x9a\xbc\xde\xf0\x11"),
        ("BITFIELD", "x", "GET", "u63", "1", "GET", "i64", "0", "GET", "i64", "8", "GET", "i64",
         "9", "GET", "u16", "#4", "GET", "i5", "#13", "GET", "u33", "40"),
        ("BITFIELD", "x", "SET", "i64", "4", "-1", "GET", "i64", "4", "GET", "u8", "0"),
        ("BITFIELD", "x", "SET", "u63", "#1", "9223372036854775807"), ("GET", "x"),
        ("STRLEN", "x"),
    ])
    # signed and unsigned edges in every overflow mode
    edges = lambda b, signed: (  # noqa: E731
        [-(1 << (b - 1)), -(1 << (b - 1)) - 1, (1 << (b - 1)) - 1, 1 << (b - 1), -1, 0, 1]
        if signed else [0, 1, -1, (1 << b) - 1, 1 << b, (1 << b) + 1, -(1 << b)])
    for mode in ("WRAP", "SAT", "FAIL"):
        for t in ["i1", "i2", "i8", "i32", "i63", "i64", "u1", "u2", "u8", "u32", "u62", "u63"]:
            signed, b = t[0] == "i", int(t[1:])
            vals = [v for v in edges(b, signed) if LLONG_MIN <= v <= LLONG_MAX]
            vals += [LLONG_MAX, LLONG_MIN]
            for start in vals:
                if not LLONG_MIN <= start <= LLONG_MAX:
                    continue
                p.check("BITFIELD", "ov", "OVERFLOW", "WRAP", "SET", t, "3", start,
                        "OVERFLOW", mode, "SET", t, "3", start, "GET", t, "3")
                for incr in vals:
                    p.check("BITFIELD", "ov", "OVERFLOW", "WRAP", "SET", t, "3", start,
                            "OVERFLOW", mode, "INCRBY", t, "3", incr, "GET", t, "3")
            p.check("GET", "ov")


def watch_cases(keel, redis):
    """SETBIT/BITFIELD/BITOP that change a WATCHed key abort EXEC; a SETBIT
    that changes nothing does not (7.0.15 signals only real changes)."""
    scenarios = [
        (("SETBIT", "w", "1", "1"), ("SETBIT", "w", "1", "1")),   # no change
        (("SETBIT", "w", "1", "1"), ("SETBIT", "w", "2", "1")),   # change
        (("SETBIT", "w", "1", "1"), ("SETBIT", "w", "100", "0")),  # grows
        (("SET", "w", "x"), ("BITFIELD", "w", "GET", "u8", "0")),
        (("SET", "w", "x"), ("BITFIELD", "w", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9")),
        (("SET", "w", "x"), ("BITOP", "OR", "w", "w")),
        (("SET", "w", "x"), ("BITOP", "OR", "w", "missing")),
        (("DEL", "w"), ("BITOP", "OR", "w", "missing")),
        (("SET", "w", "x"), ("BITCOUNT", "w")),
        (("SET", "w", "x"), ("BITFIELD", "w", "SET", "u8", "0", "120")),  # same value
        (("SET", "w", "x"), ("BITFIELD", "w", "SET", "u8", "0", "121")),
        (("SET", "w", "x"), ("BITFIELD", "w", "INCRBY", "i8", "0", "0")),
        (("SET", "w", "x"), ("BITFIELD", "w", "SET", "u8", "8", "0")),  # grows
        (("SET", "w", "x"), ("BITFIELD_RO", "w", "GET", "u8", "0")),
        (("SET", "w", "x"), ("SETBIT", "w", "-1", "1")),
        (("DEL", "w"), ("SETBIT", "w", "0", "0")),  # created, bit unchanged
        (("DEL", "w"), ("BITFIELD", "w", "OVERFLOW", "FAIL", "SET", "u2", "0", "9")),
    ]
    for setup, other in scenarios:
        got = []
        for srv in (keel, redis):
            a, b = srv.conn(), srv.conn()
            a.call("FLUSHALL")
            a.call(*setup)
            out = [a.call("WATCH", "w"), b.call(*other), a.call("MULTI"), a.call("PING"),
                   a.call("EXEC")]
            got.append(out)
            a.close()
            b.close()
        res.eq("watch %r then %r" % (setup, other), got[0], got[1])


def stats_cases(p):
    """Which commands count keyspace hits/misses (read lookups) and which do
    not (write lookups): compare the INFO stats deltas."""
    def counters(conn):
        out = {}
        for line in keeltest.parse(conn.call("INFO", "stats")).split(b"\r\n"):
            if line.startswith(b"keyspace_"):
                k, v = line.split(b":")
                out[k] = int(v)
        return out

    p.both("FLUSHALL")
    p.both("SET", "s", "abc")
    cmds = [("GETBIT", "s", "1"), ("GETBIT", "nokey", "1"), ("SETBIT", "s", "1", "1"),
            ("SETBIT", "new", "1", "1"), ("BITCOUNT", "s"), ("BITCOUNT", "nokey"),
            ("BITPOS", "s", "1"), ("BITPOS", "nokey", "0"),
            ("BITOP", "OR", "d", "s", "nokey", "s"), ("BITFIELD", "s", "GET", "u8", "0"),
            ("BITFIELD", "nokey", "GET", "u8", "0"), ("BITFIELD", "s", "SET", "u8", "0", "1"),
            ("BITFIELD_RO", "nokey2", "GET", "u8", "0"), ("BITFIELD", "s", "GET", "u8", "x")]
    for cmd in cmds:
        before = counters(p.k), counters(p.r)
        p.check(*cmd)
        after = counters(p.k), counters(p.r)
        dk = {k: after[0][k] - before[0][k] for k in after[0]}
        dr = {k: after[1][k] - before[1][k] for k in after[1]}
        res.eq("keyspace hits/misses of %r" % (cmd,), dk, dr)


def resp3_cases(keel, redis):
    """Under RESP3 a refused BITFIELD op is a RESP3 null (only once keel
    speaks RESP3)."""
    ck, cr = keel.conn(), redis.conn()
    if ck.call("HELLO", "3").startswith(b"-"):
        print("skipped RESP3 cases (keel does not answer HELLO 3 yet)")
        return
    cr.call("HELLO", "3")
    for cmd in [("DEL", "r3"), ("BITFIELD", "r3", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9",
                                "GET", "u2", "0", "SET", "i8", "0", "-1"),
                ("BITFIELD_RO", "r3", "GET", "i8", "0"), ("BITPOS", "r3", "1")]:
        a, b = ck.call(*cmd), cr.call(*cmd)
        res.eq("RESP3 %r" % (cmd,), a, b)


def big_cases(p):
    """An 8 MB sparse bitmap: offsets near the end, counts and searches over
    long runs of zero bytes."""
    p.both("FLUSHALL")
    off = (1 << 26) - 1
    p.run([
        ("SETBIT", "big", off, "1"), ("STRLEN", "big"), ("GETBIT", "big", off),
        ("GETBIT", "big", off - 1), ("BITCOUNT", "big"), ("BITPOS", "big", "1"),
        ("BITPOS", "big", "0"), ("BITPOS", "big", "1", "-1"), ("BITPOS", "big", "1", "0", "-2"),
        ("BITPOS", "big", "1", "3", "-1", "BIT"), ("BITCOUNT", "big", "-8", "-1", "BIT"),
        ("BITCOUNT", "big", "0", "-2"), ("SETBIT", "big", "12345", "1"),
        ("BITPOS", "big", "1", "1"), ("BITPOS", "big", "1", "1543"), ("BITPOS", "big", "1", "1544"),
        ("BITPOS", "big", "1", "12346", "-1", "BIT"), ("BITCOUNT", "big"),
        ("BITOP", "NOT", "nb", "big"), ("BITPOS", "nb", "0"), ("BITPOS", "nb", "0", "2000"),
        ("BITCOUNT", "nb"), ("BITPOS", "nb", "1", "-1"), ("BITPOS", "nb", "0", "-1"),
        ("BITOP", "AND", "band", "big", "nb"), ("BITCOUNT", "band"), ("BITPOS", "band", "1"),
        ("BITFIELD", "big", "GET", "u63", off - 62, "INCRBY", "i64", "#1048575", "5"),
        ("DEL", "big", "nb", "band"),
    ])


def random_cases(p):
    """Seeded random strings, ranges and BITFIELD programs."""
    rnd = random.Random(20240607)
    p.both("FLUSHALL")

    def rstring():
        n = rnd.choice([1, 2, 3, 5, 8, 9, 15, 16, 17, 31, 33, 64, 100])
        style = rnd.randrange(4)
        if style == 0:
            return bytes(rnd.randrange(256) for _ in range(n))
        fill = 0xff if style == 2 else 0
        b = bytearray([fill] * n)
        for _ in range(rnd.randrange(3)):  # a few odd bits in a uniform run
            b[rnd.randrange(n)] = rnd.randrange(256) if style == 3 else fill ^ (1 << rnd.randrange(8))
        return bytes(b)

    def ridx(n):
        return rnd.choice([rnd.randrange(-n - 3, n + 3), rnd.randrange(-8 * n - 9, 8 * n + 9)])

    for _ in range(1500):
        s = rstring()
        n = len(s)
        p.both("SET", "r", s)
        bit = rnd.choice("01")
        a, b = ridx(n), ridx(n)
        unit = rnd.choice(["BIT", "BYTE"])
        p.check("BITPOS", "r", bit, a, b, unit)
        p.check("BITPOS", "r", bit, a)
        p.check("BITCOUNT", "r", a, b, unit)
    for _ in range(400):
        args = ["BITFIELD", "bf"]
        for _ in range(rnd.randrange(1, 6)):
            kind = rnd.randrange(4)
            sign = rnd.choice("iu")
            bits = rnd.randrange(1, 65 if sign == "i" else 64)
            t = "%s%d" % (sign, bits)
            off = rnd.choice([str(rnd.randrange(0, 200)), "#%d" % rnd.randrange(0, 8)])
            big = rnd.choice([rnd.randrange(-300, 300), rnd.randrange(LLONG_MIN, LLONG_MAX),
                              (1 << (bits - 1)) - rnd.randrange(3)])
            if kind == 0:
                args += ["GET", t, off]
            elif kind == 1:
                args += ["SET", t, off, big]
            elif kind == 2:
                args += ["INCRBY", t, off, big]
            else:
                args += ["OVERFLOW", rnd.choice(["WRAP", "SAT", "FAIL"])]
        p.check(*args)
    p.check("GET", "bf")


if __name__ == "__main__":
    main()
