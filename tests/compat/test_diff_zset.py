#!/usr/bin/python3
"""Differential test of the sorted set commands: keel-server against
redis-server 7.0.

Both servers get the same requests over raw sockets and their replies are
compared byte for byte: sorted sets are ordered, so almost everything Redis
returns is exact (errors, integers, scores as Redis formats them, ranges,
OBJECT ENCODING, keyspace events).  What is random is compared by shape:
ZRANDMEMBER (count, distinctness, membership, scores), and ZSCAN over a
skiplist (the members a full iteration returns; listpacks are exact).

Everything runs twice: once with the default thresholds (small sets are
listpacks) and once with zset-max-listpack-entries 0 (every set is a
skiplist), since Redis itself answers some edge cases differently by
encoding (-0 scores).  Then the conversions at both thresholds, RESP3,
blocking pops, MULTI, keyspace events and random operation sequences
cross-checked on big sets.

Prints "N passed, M failed"; exit status 1 on any failure.
"""
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest  # noqa: E402
from keeltest import Error, parse  # noqa: E402

LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808

R = keeltest.Results()


def short(b, n=300):
    r = repr(b)
    return r if len(r) <= n else r[:n] + "...(%d bytes)" % len(b)


def show(args):
    out = []
    for a in args:
        s = repr(a) if isinstance(a, bytes) else str(a)
        out.append(s[:40])
    return " ".join(out)


class Pair:
    """A connection to each server; every helper sends to both."""

    def __init__(self, keel, redis, tag=""):
        self.k = keel.conn()
        self.r = redis.conn()
        self.tag = tag

    def both(self, *args):
        return self.k.call(*args), self.r.call(*args)

    def run(self, *args):
        """Send to both; the raw replies must be identical."""
        k, r = self.both(*args)
        R.ok(self.tag + show(args), k == r, "keel:  %s\nredis: %s" % (short(k), short(r)))
        return parse(r)

    def quiet(self, *args):
        """Send to both, compare nothing (setup)."""
        return self.both(*args)

    def close(self):
        self.k.close()
        self.r.close()


# ------------------------------------------------------------------ helpers

def fill(p, key, pairs):
    p.quiet("DEL", key)
    args = ["ZADD", key]
    for s, m in pairs:
        args += [str(s), m]
    p.quiet(*args)


COMMANDS = [
    # name, minimal valid args after the key (for arity and WRONGTYPE)
    ("ZADD", ["1", "a"]), ("ZINCRBY", ["1", "a"]), ("ZREM", ["a"]), ("ZCARD", []),
    ("ZSCORE", ["a"]), ("ZMSCORE", ["a"]), ("ZRANK", ["a"]), ("ZREVRANK", ["a"]),
    ("ZCOUNT", ["0", "1"]), ("ZLEXCOUNT", ["-", "+"]), ("ZRANGE", ["0", "1"]),
    ("ZRANGEBYSCORE", ["0", "1"]), ("ZREVRANGEBYSCORE", ["1", "0"]),
    ("ZRANGEBYLEX", ["-", "+"]), ("ZREVRANGEBYLEX", ["+", "-"]), ("ZREVRANGE", ["0", "1"]),
    ("ZPOPMIN", []), ("ZPOPMAX", []), ("ZREMRANGEBYRANK", ["0", "1"]),
    ("ZREMRANGEBYSCORE", ["0", "1"]), ("ZREMRANGEBYLEX", ["-", "+"]),
    ("ZRANDMEMBER", []), ("ZSCAN", ["0"]),
]


def arity_and_wrongtype(p):
    p.quiet("SET", "str", "x")
    p.quiet("RPUSH", "lst", "x")
    for name, rest in COMMANDS:
        p.run(name)
        p.run(name, "str", *rest)
        p.run(name.lower(), "lst", *rest)
    for name in ("ZRANGESTORE", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZUNION", "ZINTER",
                 "ZDIFF", "ZINTERCARD", "ZMPOP", "BZMPOP", "BZPOPMIN", "BZPOPMAX"):
        p.run(name)
        p.run(name, "x")
    p.run("ZRANK", "k", "a", "WITHSCORE")
    p.run("ZREVRANK", "k", "a", "WITHSCORE")
    p.run("ZRANGESTORE", "d", "str", "0", "1")
    p.run("ZUNIONSTORE", "d", "1", "str")
    p.run("ZUNION", "2", "str", "nokey")
    p.run("ZINTER", "1", "lst")
    p.run("ZDIFF", "1", "str")
    p.run("ZINTERCARD", "1", "str")
    p.run("ZMPOP", "1", "str", "MIN")
    p.run("ZMPOP", "2", "nokey", "str", "MIN")
    p.run("BZPOPMIN", "str", "0")
    p.run("BZMPOP", "0", "1", "str", "MAX")
    p.run("ZRANDMEMBER", "str", "3")
    p.run("ZRANDMEMBER", "str", "3", "WITHSCORES")
    # Which comes first: an argument error or the type of the key.
    p.run("ZRANGE", "str", "a", "b")
    p.run("ZRANGEBYSCORE", "str", "x", "1")
    p.run("ZCOUNT", "str", "x", "1")
    p.run("ZLEXCOUNT", "str", "a", "b")
    p.run("ZREMRANGEBYRANK", "str", "a", "1")
    p.run("ZADD", "str", "x", "a")
    p.run("ZADD", "str", "1", "a", "2")
    p.run("ZSCAN", "str", "x")
    p.run("ZSCAN", "str", "0", "COUNT", "0")
    p.run("ZPOPMIN", "str", "-1")
    p.run("ZUNION", "2", "str", "lst", "WEIGHTS", "x")


def zadd_options(p):
    p.quiet("DEL", "z", "z2", "z3")
    p.run("ZADD", "z", "1", "a", "2", "b", "3", "c")
    p.run("ZADD", "z", "1", "a")
    p.run("ZADD", "z", "5", "a")
    p.run("ZADD", "z", "CH", "6", "a", "2", "b", "9", "new")
    p.run("ZRANGE", "z", "0", "-1", "WITHSCORES")
    for opts in (["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["NX", "CH"], ["XX", "CH"],
                 ["GT", "CH"], ["LT", "CH"], ["XX", "GT"], ["XX", "LT", "CH"],
                 ["XX", "NX"], ["NX", "XX"], ["GT", "LT"], ["LT", "GT"], ["GT", "NX"],
                 ["NX", "LT"], ["NX", "GT", "LT"], ["XX", "NX", "GT"], ["nx"], ["Gt", "cH"],
                 ["INCR"], ["INCR", "NX"], ["INCR", "XX"], ["INCR", "GT"], ["INCR", "LT"],
                 ["INCR", "CH"], ["CH", "CH", "NX", "NX"]):
        p.run("ZADD", "z", *opts, "7", "a", "1", "b", "4", "zz")
        p.run("ZADD", "z", *opts, "7", "a")
        p.run("ZADD", "z", *opts, "-3", "newer")
        p.run("ZRANGE", "z", "0", "-1", "WITHSCORES")
    p.run("ZADD", "z", "INCR", "1", "a", "2", "b")
    p.run("ZADD", "z", "NX")
    p.run("ZADD", "z", "NX", "1")
    p.run("ZADD", "z", "NX", "CH", "1")
    p.run("ZADD", "z", "1", "a", "2")
    p.run("ZADD", "z", "FOO", "1", "a")
    p.run("ZADD", "z", "1", "a", "NX")
    p.run("ZADD", "z", "NX\x00junk", "1", "q")
    p.run("ZADD", "z", "INCR", "2.5", "a")
    p.run("ZADD", "z", "INCR", "XX", "1", "missing")
    p.run("ZADD", "z", "INCR", "NX", "1", "a")
    p.run("ZADD", "z", "INCR", "GT", "-1", "a")
    p.run("ZADD", "z", "INCR", "LT", "-1", "a")
    p.run("ZADD", "z", "INCR", "LT", "0", "a")
    p.run("ZADD", "z", "INCR", "GT", "0", "a")
    p.run("ZADD", "z", "GT", "CH", "100", "a", "-100", "b")
    p.run("ZADD", "z", "LT", "CH", "100", "a", "-100", "b")
    p.run("ZADD", "z", "XX", "1", "nope")
    p.run("EXISTS", "z2")
    p.run("ZADD", "z2", "XX", "1", "nope")
    p.run("EXISTS", "z2")
    p.run("ZADD", "z2", "XX", "INCR", "1", "nope")
    p.run("EXISTS", "z2")
    p.run("ZADD", "z2", "GT", "1", "x", "2", "x", "0", "x")
    p.run("ZSCORE", "z2", "x")
    p.run("ZADD", "z3", "1", "dup", "2", "dup", "3", "dup")
    p.run("ZRANGE", "z3", "0", "-1", "WITHSCORES")
    p.run("ZADD", "z3", "CH", "3", "dup", "4", "dup", "3", "dup")
    p.run("ZRANGE", "z", "0", "-1", "WITHSCORES")


SCORES = ["0", "-0", "1", "-1", "1.5", "0.1", "-0.1", "1e20", "1e-5", "123456789.123",
          "0.3333333333333333", "inf", "-inf", "+inf", "INF", "-Infinity", "1e308", "4.9e-324",
          "1e-310", "9007199254740993", "4503599627370496", "4503599627370495",
          "-4503599627370495", "123456789012345678", "1.7976931348623157e308", "0x10", "1E3",
          "+5", "00012", "3.0", ".5", "5."]
BAD_SCORES = ["abc", "nan", "NaN", "-nan", "1e400", "-1e400", " 1", "1 ", "", "1.5.5", "--1",
              "1e", "\x001", "1\x00", "e5", "inf1", "1,5", "- 1"]


def scores(p):
    p.quiet("DEL", "s")
    for i, s in enumerate(SCORES):
        p.run("ZADD", "s", s, "m%d" % i)
        p.run("ZSCORE", "s", "m%d" % i)
    p.run("ZRANGE", "s", "0", "-1", "WITHSCORES")
    if not p.tag:
        p.run("ZSCAN", "s", "0", "COUNT", "100")
    for s in BAD_SCORES:
        p.run("ZADD", "s", s, "bad")
        p.run("ZINCRBY", "s", s, "m1")
    p.run("ZADD", "s", "1e-400", "under")
    p.run("ZADD", "nan", "INCR", "inf", "m")
    p.run("ZADD", "nan", "INCR", "-inf", "m")
    p.run("ZINCRBY", "nan", "-inf", "m")
    p.run("ZINCRBY", "nan", "inf", "m")
    p.run("ZSCORE", "nan", "m")
    p.run("ZINCRBY", "nan", "1", "m2")
    p.run("ZINCRBY", "nan", "-1", "m2")
    p.run("ZINCRBY", "nan", "-0", "m2")
    p.run("ZSCORE", "nan", "m2")
    p.run("ZINCRBY", "nan", "0.1", "m3")
    p.run("ZINCRBY", "nan", "0.2", "m3")
    p.run("ZINCRBY", "nan", "nx", "m3")
    p.run("ZINCRBY", "nan", "1", "m3", "extra")
    p.run("ZMSCORE", "nan", "m", "m2", "m3", "none")
    p.run("ZMSCORE", "nokey", "a", "b")
    p.run("ZADD", "negz", "-0", "a")
    p.run("ZSCORE", "negz", "a")
    p.run("ZADD", "negz", "INCR", "-0", "a")
    p.run("ZINCRBY", "negz", "-0", "b")
    p.run("ZRANGE", "negz", "0", "-1", "WITHSCORES")


def binary_members(p):
    p.quiet("DEL", "bin")
    members = [b"", b"\x00", b"\x00\x00", b"a\x00b", b"\xff", b"\xff\xfe", b"\x80", b"A", b"a",
               b"aa", b"a" * 64, b"12", b"-12", b"012", b"9223372036854775807",
               b"9223372036854775808", b"-9223372036854775808", b" 1", b"1.0", b"\r\n"]
    for m in members:
        p.run("ZADD", "bin", "0", m)
    p.run("ZRANGE", "bin", "0", "-1")
    p.run("ZRANGE", "bin", "0", "-1", "WITHSCORES")
    p.run("ZRANGEBYLEX", "bin", "-", "+")
    p.run("ZRANGEBYLEX", "bin", b"[\x00", b"(\xff")
    p.run("ZRANGEBYLEX", "bin", b"(", b"+")
    p.run("ZRANGEBYLEX", "bin", b"[", b"[a")
    p.run("ZREVRANGEBYLEX", "bin", b"[\xff", b"(1")
    p.run("ZLEXCOUNT", "bin", b"[\x00", b"[\xff\xfe")
    for m in members:
        p.run("ZRANK", "bin", m)
        p.run("ZREVRANK", "bin", m)
        p.run("ZSCORE", "bin", m)
    if not p.tag:
        p.run("ZSCAN", "bin", "0")
        p.run("ZSCAN", "bin", "0", "MATCH", "*\x00*")
        p.run("ZSCAN", "bin", "0", "MATCH", "1*")
    p.run("ZREM", "bin", b"", b"\x00", b"nope", b"12")
    p.run("ZRANGE", "bin", "0", "-1")
    p.run("OBJECT", "ENCODING", "bin")


def rank_and_basics(p):
    fill(p, "r", [(i, "m%02d" % i) for i in range(20)] + [(5, "a5"), (5, "z5")])
    for m in ("m00", "m05", "a5", "z5", "m19", "none", ""):
        p.run("ZRANK", "r", m)
        p.run("ZREVRANK", "r", m)
    p.run("ZRANK", "nokey", "a")
    p.run("ZREVRANK", "nokey", "a")
    p.run("ZCARD", "r")
    p.run("ZCARD", "nokey")
    p.run("ZSCORE", "nokey", "a")
    p.run("ZSCORE", "r", "none")
    p.run("ZREM", "nokey", "a")
    p.run("ZREM", "r", "m00", "m00", "none", "m01")
    p.run("ZCARD", "r")
    fill(p, "gone", [(1, "a"), (2, "b")])
    p.run("ZREM", "gone", "a", "b", "c")
    p.run("EXISTS", "gone")


RANGES = [("0", "-1"), ("0", "0"), ("-1", "-1"), ("2", "5"), ("-5", "-2"), ("5", "2"),
          ("-100", "100"), ("100", "200"), ("-200", "-100"), ("0", "-100"), ("3", "3"),
          ("-3", "100"), (str(LLONG_MIN), str(LLONG_MAX)), (str(LLONG_MAX), str(LLONG_MAX))]
SCORE_RANGES = [("-inf", "+inf"), ("+inf", "-inf"), ("1", "3"), ("(1", "3"), ("1", "(3"),
                ("(1", "(3"), ("(1", "(1"), ("1", "1"), ("[1", "2"), ("3", "1"),
                ("-inf", "(-inf"), ("(-inf", "+inf"), ("-inf", "-inf"), ("inf", "inf"),
                ("(inf", "inf"), ("2.5", "4.5"), ("(2.5", "(4.5"), ("", "5"), ("(", "5"),
                ("-0", "0"), ("(-0", "0"), ("1e400", "-1e400"), ("-1e400", "1e400"),
                (" 2", "5"), ("2\x00junk", "5"), ("0x2", "5"), ("-INF", "+INFINITY"),
                ("x", "1"), ("1", "x"), ("nan", "1"), ("(nan", "1"), ("1", "(x"),
                ("((1", "2"), ("[", "1")]
LEX_RANGES = [("-", "+"), ("+", "-"), ("-", "-"), ("+", "+"), ("[a", "[c"), ("(a", "(c"),
              ("[a", "(c"), ("(a", "[c"), ("[b", "[b"), ("(b", "[b"), ("[c", "[a"),
              ("[", "+"), ("(", "+"), ("-", "("), ("-", "[bb"), ("(bb", "+"), ("[aaa", "[c"),
              ("a", "+"), ("-", "c"), ("", "+"), ("+x", "-"), ("-", "+x"), ("+\x00", "-"),
              ("-\x00x", "+"), ("[\x00", "+"), ("{", "+")]
LIMITS = [("0", "1"), ("0", "-1"), ("1", "2"), ("2", "100"), ("0", "0"), ("-1", "5"),
          ("5", "-1"), ("100", "5"), ("3", "-5"), ("1", "1"), (str(LLONG_MAX), "1"),
          ("0", str(LLONG_MIN)), ("x", "1"), ("1", "y")]


def zrange_family(p):
    fill(p, "zr", [(1, "a"), (2, "b"), (2, "bb"), (3, "c"), (3.5, "d"), (4, "e"), (5, "f"),
                   ("inf", "g"), ("-inf", "h")])
    fill(p, "lex", [(0, m) for m in ("a", "aa", "aaa", "b", "bb", "c", "d", "e", "f", "g")])
    for a, b in RANGES:
        p.run("ZRANGE", "zr", a, b)
        p.run("ZRANGE", "zr", a, b, "WITHSCORES")
        p.run("ZRANGE", "zr", a, b, "REV", "WITHSCORES")
        p.run("ZREVRANGE", "zr", a, b)
        p.run("ZREVRANGE", "zr", a, b, "WITHSCORES")
        p.run("ZREMRANGEBYRANK", "nokey", a, b)
    for a, b in SCORE_RANGES:
        p.run("ZRANGEBYSCORE", "zr", a, b)
        p.run("ZRANGEBYSCORE", "zr", a, b, "WITHSCORES")
        p.run("ZREVRANGEBYSCORE", "zr", b, a, "WITHSCORES")
        p.run("ZRANGE", "zr", a, b, "BYSCORE")
        p.run("ZRANGE", "zr", b, a, "BYSCORE", "REV", "WITHSCORES")
        p.run("ZCOUNT", "zr", a, b)
        p.run("ZCOUNT", "nokey", a, b)
        for off, cnt in LIMITS[:8]:
            p.run("ZRANGEBYSCORE", "zr", a, b, "LIMIT", off, cnt)
            p.run("ZREVRANGEBYSCORE", "zr", b, a, "WITHSCORES", "LIMIT", off, cnt)
    for a, b in LEX_RANGES:
        p.run("ZRANGEBYLEX", "lex", a, b)
        p.run("ZREVRANGEBYLEX", "lex", b, a)
        p.run("ZRANGE", "lex", a, b, "BYLEX")
        p.run("ZRANGE", "lex", b, a, "BYLEX", "REV")
        p.run("ZLEXCOUNT", "lex", a, b)
        p.run("ZLEXCOUNT", "nokey", a, b)
        for off, cnt in LIMITS[:8]:
            p.run("ZRANGEBYLEX", "lex", a, b, "LIMIT", off, cnt)
            p.run("ZREVRANGEBYLEX", "lex", b, a, "LIMIT", off, cnt)
    for off, cnt in LIMITS:
        p.run("ZRANGE", "zr", "-inf", "+inf", "BYSCORE", "LIMIT", off, cnt)
        p.run("ZRANGE", "zr", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", off, cnt, "WITHSCORES")
        p.run("ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", off, cnt)
        p.run("ZRANGE", "zr", "0", "-1", "LIMIT", off, cnt)
    # Options: every word in every position, conflicts, repeats.
    for args in (["LIMIT", "0", "1"], ["LIMIT", "0", "-1"], ["LIMIT", "0"], ["LIMIT"],
                 ["BYSCORE", "BYLEX"], ["BYLEX", "BYSCORE"], ["REV", "REV"], ["FOO"],
                 ["WITHSCORES", "WITHSCORES"], ["BYLEX", "WITHSCORES"], ["WITHSCORES", "BYLEX"],
                 ["BYSCORE", "LIMIT", "0", "1", "LIMIT", "1", "1"], ["LIMIT", "a", "b", "BYSCORE"],
                 ["BYSCORE", "LIMIT", "1", "1", "WITHSCORES", "REV"], ["rev", "byscore"],
                 ["BYSCORE\x00x"], ["LIMIT", "0", "1", "FOO"], ["BYLEX", "LIMIT", "0", "x"]):
        p.run("ZRANGE", "zr", "0", "3", *args)
        p.run("ZRANGE", "zr", "(1", "3", *args)
        p.run("ZRANGE", "lex", "[a", "[c", *args)
        p.run("ZRANGE", "nokey", "0", "3", *args)
    for cmd in ("ZRANGEBYSCORE", "ZREVRANGEBYSCORE"):
        for args in (["REV"], ["BYSCORE"], ["BYLEX"], ["LIMIT", "0"], ["LIMIT", "0", "1", "x"],
                     ["WITHSCORES", "LIMIT", "1", "1"], ["LIMIT", "1", "1", "WITHSCORES"]):
            p.run(cmd, "zr", "-inf", "+inf", *args)
    for cmd in ("ZRANGEBYLEX", "ZREVRANGEBYLEX"):
        for args in (["WITHSCORES"], ["REV"], ["LIMIT", "0"], ["LIMIT", "0", "1"],
                     ["BYLEX"]):
            p.run(cmd, "lex", "-", "+", *args)
            p.run(cmd, "lex", "+", "-", *args)
    for args in (["BYSCORE"], ["REV"], ["WITHSCORES"], ["LIMIT", "0", "1"]):
        p.run("ZREVRANGE", "zr", "0", "-1", *args)
    # Lex ranges over members of different scores: Redis's walk decides
    # (over a skiplist it depends on the random levels: listpacks only).
    fill(p, "mixed", [(1, "d"), (2, "a"), (3, "c"), (4, "b"), (5, "e")])
    for a, b in LEX_RANGES[:12] if not p.tag else []:
        p.run("ZRANGEBYLEX", "mixed", a, b)
        p.run("ZREVRANGEBYLEX", "mixed", b, a)
        p.run("ZLEXCOUNT", "mixed", a, b)


def zrangestore(p):
    fill(p, "src", [(i, "m%d" % i) for i in range(10)])
    p.quiet("SET", "dst", "string")
    p.quiet("EXPIRE", "dst", "1000")
    p.run("ZRANGESTORE", "dst", "src", "0", "2")
    p.run("TYPE", "dst")
    p.run("TTL", "dst")
    p.run("ZRANGE", "dst", "0", "-1", "WITHSCORES")
    p.run("OBJECT", "ENCODING", "dst")
    p.run("ZRANGESTORE", "dst", "src", "0", "2", "REV")
    p.run("ZRANGE", "dst", "0", "-1", "WITHSCORES")
    p.run("ZRANGESTORE", "dst", "src", "(2", "7", "BYSCORE", "LIMIT", "1", "3")
    p.run("ZRANGE", "dst", "0", "-1", "WITHSCORES")
    p.run("ZRANGESTORE", "dst", "src", "7", "(2", "BYSCORE", "REV", "LIMIT", "1", "3")
    p.run("ZRANGE", "dst", "0", "-1", "WITHSCORES")
    p.run("ZRANGESTORE", "dst", "src", "[m3", "+", "BYLEX", "LIMIT", "0", "2")
    p.run("ZRANGE", "dst", "0", "-1", "WITHSCORES")
    p.run("ZRANGESTORE", "dst", "src", "0", "-1", "WITHSCORES")
    p.run("ZRANGESTORE", "dst", "src", "0", "-1", "LIMIT", "0", "1")
    p.run("ZRANGESTORE", "dst", "src", "5", "1")
    p.run("EXISTS", "dst")
    p.run("ZRANGESTORE", "dst", "src", "5", "1")
    p.run("ZRANGESTORE", "dst", "nokey", "0", "-1")
    p.run("ZRANGESTORE", "src2", "src", "0", "-1")
    p.run("ZRANGESTORE", "src2", "src2", "1", "3")
    p.run("ZRANGE", "src2", "0", "-1", "WITHSCORES")
    p.run("ZRANGESTORE", "src2", "src2", "10", "30")
    p.run("EXISTS", "src2")
    p.run("ZRANGESTORE", "dst", "src", "x", "1")
    p.run("ZRANGESTORE", "dst", "src", "0", "1", "BYLEX")


def zremrange(p):
    for cmd, a, b in (("ZREMRANGEBYRANK", "0", "1"), ("ZREMRANGEBYRANK", "-2", "-1"),
                      ("ZREMRANGEBYRANK", "5", "2"), ("ZREMRANGEBYRANK", "0", "-1"),
                      ("ZREMRANGEBYRANK", "-100", "100"), ("ZREMRANGEBYRANK", "100", "200"),
                      ("ZREMRANGEBYRANK", "x", "1"), ("ZREMRANGEBYSCORE", "2", "4"),
                      ("ZREMRANGEBYSCORE", "(2", "(4"), ("ZREMRANGEBYSCORE", "-inf", "+inf"),
                      ("ZREMRANGEBYSCORE", "5", "1"), ("ZREMRANGEBYSCORE", "x", "1"),
                      ("ZREMRANGEBYSCORE", "(5", "5"), ("ZREMRANGEBYLEX", "-", "+"),
                      ("ZREMRANGEBYLEX", "[b", "(d"), ("ZREMRANGEBYLEX", "(a", "[c"),
                      ("ZREMRANGEBYLEX", "a", "b"), ("ZREMRANGEBYLEX", "+", "-")):
        fill(p, "rr", [(1, "a"), (2, "b"), (3, "c"), (4, "d"), (5, "e")])
        p.run(cmd, "rr", a, b)
        p.run("ZRANGE", "rr", "0", "-1", "WITHSCORES")
        p.run("EXISTS", "rr")
        p.run(cmd, "nokey", a, b)


def pops(p):
    fill(p, "pz", [(i, "m%d" % i) for i in range(8)])
    p.run("ZPOPMIN", "pz")
    p.run("ZPOPMAX", "pz")
    p.run("ZPOPMIN", "pz", "2")
    p.run("ZPOPMAX", "pz", "2")
    p.run("ZPOPMIN", "pz", "0")
    p.run("ZPOPMIN", "pz", "-1")
    p.run("ZPOPMIN", "pz", "x")
    p.run("ZPOPMIN", "pz", "1", "2")
    p.run("ZPOPMAX", "pz", "100")
    p.run("EXISTS", "pz")
    p.run("ZPOPMIN", "pz")
    p.run("ZPOPMIN", "pz", "0")
    p.run("ZPOPMAX", "pz", "3")
    p.run("ZPOPMIN", "pz", str(LLONG_MAX))
    fill(p, "pa", [(1, "a")])
    fill(p, "pb", [(1, "x"), (2, "y"), (3, "z")])
    p.run("ZMPOP", "1", "pa", "MIN")
    p.run("ZMPOP", "3", "nokey", "pa", "pb", "MAX")
    p.run("ZMPOP", "2", "pa", "pb", "min", "COUNT", "5")
    p.run("ZMPOP", "2", "pa", "pb", "MIN")
    for args in (["0", "pa", "MIN"], ["-1", "pa", "MIN"], ["x", "pa", "MIN"], ["1", "pa"],
                 ["2", "pa", "MIN"], ["1", "pa", "FOO"], ["1", "pa", "MIN", "COUNT"],
                 ["1", "pa", "MIN", "COUNT", "0"], ["1", "pa", "MIN", "COUNT", "-1"],
                 ["1", "pa", "MIN", "COUNT", "x"], ["1", "pa", "MIN", "COUNT", "1", "COUNT", "1"],
                 ["1", "pa", "MIN", "FOO"], [str(LLONG_MAX), "pa", "MIN"],
                 ["1", "pa", "MAX", "COUNT", str(LLONG_MAX)]):
        p.run("ZMPOP", *args)
    p.quiet("ZADD", "pa", "1", "a", "2", "b")
    p.run("BZPOPMIN", "nokey", "pa", "0")
    p.run("BZPOPMAX", "pa", "0.5")
    p.run("EXISTS", "pa")
    p.quiet("ZADD", "pa", "1", "a", "2", "b", "3", "c")
    p.run("BZMPOP", "0", "2", "nokey", "pa", "MAX", "COUNT", "2")
    p.run("BZMPOP", "0", "1", "pa", "MIN")
    # (Not "inf" or "1e100": Redis 7.0.15 says "timeout is negative" there,
    # an overflow in its conversion; the core's timeout parser says "not a
    # float or out of range".)
    for t in ("x", "-1", "-0.5", "nan", "", "0.001x"):
        p.run("BZPOPMIN", "pa", t)
        p.run("BZMPOP", t, "1", "pa", "MIN")
    for args in (["0", "0", "pa", "MIN"], ["0", "1", "pa"], ["0", "1", "pa", "X"],
                 ["0", "1", "pa", "MIN", "COUNT", "0"], ["x", "0", "pa", "MIN"]):
        p.run("BZMPOP", *args)


def set_ops(p):
    fill(p, "u1", [(1, "a"), (2, "b"), (3, "c")])
    fill(p, "u2", [(10, "b"), (20, "c"), (30, "d")])
    fill(p, "u3", [("inf", "a"), ("-inf", "b"), (0.5, "e")])
    p.quiet("DEL", "si", "sh")
    p.quiet("SADD", "si", "1", "2", "a")  # hashtable (a string member)
    p.quiet("SADD", "sh", "1", "2", "3")  # intset
    p.quiet("SADD", "sb", "b", "c", "zz")
    srcs = [["1", "u1"], ["2", "u1", "u2"], ["3", "u1", "u2", "u3"], ["2", "u1", "nokey"],
            ["2", "nokey", "u1"], ["2", "u1", "u1"], ["3", "u1", "sb", "sh"], ["2", "si", "sh"],
            ["2", "sh", "u1"], ["1", "nokey"], ["2", "u3", "u3"], ["3", "u2", "u3", "u1"]]
    opts = [[], ["WITHSCORES"], ["WEIGHTS", "2", "3", "4"], ["AGGREGATE", "MIN"],
            ["AGGREGATE", "MAX"], ["AGGREGATE", "SUM"], ["aggregate", "max", "WITHSCORES"],
            ["WEIGHTS", "0", "0", "0", "WITHSCORES"], ["WEIGHTS", "-1", "inf", "1", "WITHSCORES"],
            ["WEIGHTS", "1"], ["WEIGHTS"], ["WEIGHTS", "x", "1", "1"], ["AGGREGATE"],
            ["AGGREGATE", "AVG"], ["WITHSCORES", "WITHSCORES"], ["FOO"],
            ["WEIGHTS", "1", "1", "1", "1", "1"], ["AGGREGATE", "MIN", "AGGREGATE", "MAX"],
            ["WEIGHTS", "nan", "1", "1"], ["WEIGHTS", "1e400", "1", "1"], ["LIMIT", "1"]]
    for s in srcs:
        n = int(s[0])
        for o in opts:
            if o and o[0] == "WEIGHTS" and len(o) == 4:
                o = o[:1 + n] + o[4:]
            for cmd in ("ZUNION", "ZINTER", "ZDIFF"):
                p.run(cmd, *s, *o)
            for cmd in ("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"):
                p.run(cmd, "dest", *s, *o)
                p.run("ZRANGE", "dest", "0", "-1", "WITHSCORES")
        for o in ([], ["LIMIT", "0"], ["LIMIT", "1"], ["LIMIT", "2"], ["LIMIT", "-1"],
                  ["LIMIT", "x"], ["LIMIT"], ["WEIGHTS", "1"], ["WITHSCORES"], ["FOO"]):
            p.run("ZINTERCARD", *s, *o)
    for cmd in ("ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"):
        p.run(cmd, "0", "u1")
        p.run(cmd, "-1", "u1")
        p.run(cmd, "x", "u1")
        p.run(cmd, "3", "u1", "u2")
    for cmd in ("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"):
        p.run(cmd, "dest", "0", "u1")
        p.run(cmd, "dest", "3", "u1", "u2")
        p.run(cmd, "dest", "1", "u1", "WITHSCORES")
        # Destination as a source; empty result deletes the destination.
        p.quiet("DEL", "d2")
        p.quiet("ZADD", "d2", "5", "b", "6", "q")
        p.run(cmd, "d2", "2", "d2", "u1")
        p.run("ZRANGE", "d2", "0", "-1", "WITHSCORES")
        p.quiet("SET", "d3", "x")
        p.run(cmd, "d3", "1", "nokey")
        p.run("EXISTS", "d3")
        p.run(cmd, "d3", "1", "nokey")
    # Sum order matters for floating point: three inputs of different sizes.
    fill(p, "f1", [(0.1, "x")])
    fill(p, "f2", [(0.2, "x"), (1, "y")])
    fill(p, "f3", [(0.3, "x"), (1, "y"), (2, "z")])
    for order in (["f1", "f2", "f3"], ["f3", "f2", "f1"], ["f2", "f3", "f1"]):
        p.run("ZUNION", "3", *order, "WITHSCORES")
        p.run("ZINTER", "3", *order, "WITHSCORES")
        p.run("ZUNION", "3", *order, "WEIGHTS", "1e308", "1e308", "-1e308", "WITHSCORES")


def encodings(p):
    """Conversion at both thresholds, with the defaults and with small ones."""
    p.quiet("DEL", "e1", "e2", "e3", "e4")
    for i in range(128):
        p.quiet("ZADD", "e1", str(i), "m%d" % i)
    p.run("OBJECT", "ENCODING", "e1")
    p.run("ZADD", "e1", "128", "m128")
    p.run("OBJECT", "ENCODING", "e1")
    p.run("ZREMRANGEBYRANK", "e1", "0", "100")
    p.run("OBJECT", "ENCODING", "e1")
    p.run("ZADD", "e2", "1", "x" * 64)
    p.run("OBJECT", "ENCODING", "e2")
    p.run("ZADD", "e2", "1", "y" * 65)
    p.run("OBJECT", "ENCODING", "e2")
    p.run("ZADD", "e3", "1", "y" * 65)
    p.run("OBJECT", "ENCODING", "e3")
    p.run("ZADD", "e4", "1", "a", "2", "y" * 65)
    p.run("OBJECT", "ENCODING", "e4")
    p.run("ZADD", "e5", *sum([[str(i), "m"] for i in range(200)], []))
    p.run("OBJECT", "ENCODING", "e5")
    p.run("ZADD", "e6", *sum([[str(i), "m%d" % i] for i in range(129)], []))
    p.run("OBJECT", "ENCODING", "e6")
    p.run("ZRANGE", "e6", "0", "-1", "WITHSCORES")
    # Store results: listpack when they fit, whatever the sources were.
    p.run("ZUNIONSTORE", "e7", "1", "e1")
    p.run("OBJECT", "ENCODING", "e7")
    p.run("ZRANGESTORE", "e8", "e6", "0", "127")
    p.run("OBJECT", "ENCODING", "e8")
    p.run("ZRANGESTORE", "e8", "e6", "0", "128")
    p.run("OBJECT", "ENCODING", "e8")
    p.run("ZINTERSTORE", "e9", "2", "e6", "e6")
    p.run("OBJECT", "ENCODING", "e9")
    p.run("ZDIFFSTORE", "e9", "2", "e6", "e1")
    p.run("OBJECT", "ENCODING", "e9")
    p.run("ZUNIONSTORE", "e9", "1", "e4")
    p.run("OBJECT", "ENCODING", "e9")
    p.run("ZRANGESTORE", "e9", "e4", "0", "0")
    p.run("OBJECT", "ENCODING", "e9")
    # Small thresholds.
    p.quiet("CONFIG", "SET", "zset-max-listpack-entries", "4")
    p.quiet("CONFIG", "SET", "zset-max-listpack-value", "8")
    p.quiet("DEL", "t1", "t2")
    p.run("ZADD", "t1", "1", "a", "2", "b", "3", "c", "4", "d")
    p.run("OBJECT", "ENCODING", "t1")
    p.run("ZADD", "t1", "5", "e")
    p.run("OBJECT", "ENCODING", "t1")
    p.run("ZADD", "t2", "1", "12345678")
    p.run("OBJECT", "ENCODING", "t2")
    p.run("ZINCRBY", "t2", "1", "123456789")
    p.run("OBJECT", "ENCODING", "t2")
    p.run("ZUNIONSTORE", "t3", "1", "t2")
    p.run("OBJECT", "ENCODING", "t3")
    p.run("ZRANGESTORE", "t3", "t1", "0", "3")
    p.run("OBJECT", "ENCODING", "t3")
    p.run("ZRANGESTORE", "t3", "t1", "0", "4")
    p.run("OBJECT", "ENCODING", "t3")
    p.quiet("CONFIG", "SET", "zset-max-listpack-entries", "0")
    p.run("ZADD", "t4", "1", "a")
    p.run("OBJECT", "ENCODING", "t4")
    p.run("ZUNIONSTORE", "t5", "1", "t4")
    p.run("OBJECT", "ENCODING", "t5")
    p.quiet("CONFIG", "SET", "zset-max-listpack-entries", "128")
    p.quiet("CONFIG", "SET", "zset-max-listpack-value", "64")


def zscan(p, big):
    fill(p, "sc", [(i * 0.5, "m%d" % i) for i in range(20)] + [("-0", "negzero")])
    if not big:
        p.run("ZSCAN", "sc", "0")
        p.run("ZSCAN", "sc", "0", "MATCH", "m1*")
        p.run("ZSCAN", "sc", "0", "COUNT", "1", "MATCH", "*9")
        p.run("ZSCAN", "sc", "0", "MATCH", "*", "COUNT", "1000")
        p.run("ZSCAN", "sc", "")
        p.run("ZSCAN", "sc", "-1")
        p.run("ZSCAN", "sc", "+0")
    for args in (["x"], [" 0"], ["0 "], ["18446744073709551615"], ["18446744073709551616"],
                 ["0", "COUNT", "0"], ["0", "COUNT", "-1"], ["0", "COUNT", "x"], ["0", "COUNT"],
                 ["0", "MATCH"], ["0", "FOO", "1"], ["0", "TYPE", "zset"], ["1.5"],
                 ["0" * 100], ["0" * 80 + "18446744073709551616"], ["0\x00x"]):
        k, r = p.both("ZSCAN", "sc", *args)
        if r.startswith(b"-") or not big:
            R.eq(p.tag + "ZSCAN sc " + show(args), k, r)
    p.run("ZSCAN", "nokey", "0")
    p.run("ZSCAN", "nokey", "0", "COUNT", "0")
    p.run("ZSCAN", "nokey", "x")
    if big:
        # Full iterations return the same members with the same scores.
        for extra in ([], ["COUNT", "3"], ["MATCH", "m1*", "COUNT", "2"]):
            got = {}
            for name, conn in (("keel", p.k), ("redis", p.r)):
                cur, seen, rounds = b"0", {}, 0
                while True:
                    v = parse(conn.call("ZSCAN", "sc", cur, *extra))
                    cur, items = v
                    for i in range(0, len(items), 2):
                        seen[items[i]] = items[i + 1]
                    rounds += 1
                    if cur == b"0" or rounds > 1000:
                        break
                got[name] = seen
            R.eq(p.tag + "ZSCAN full iteration %s" % extra, got["keel"], got["redis"])


def zrandmember(p):
    fill(p, "rm", [(i, "m%d" % i) for i in range(10)])
    universe = {b"m%d" % i: b"%d" % i for i in range(10)}
    for args in (["rm", "x"], ["rm", "1", "x"], ["rm", "1", "WITHSCORES", "x"],
                 ["rm", str(LLONG_MIN)], ["rm", str(LLONG_MIN + 1), "WITHSCORES"],
                 ["rm", str(LLONG_MAX // 2 + 1), "WITHSCORES"], ["rm", str(-(LLONG_MAX // 2) - 1),
                                                                 "WITHSCORES"],
                 ["nokey"], ["nokey", "5"], ["nokey", "-5", "WITHSCORES"], ["rm", "0"],
                 ["rm", "0", "WITHSCORES"], ["rm", "10"], ["rm", "100", "WITHSCORES"],
                 ["rm", "10", "withscores"]):
        p.run("ZRANDMEMBER", *args)
    for count in (1, 3, 9, -1, -5, -30):
        for ws in (False, True):
            args = ["ZRANDMEMBER", "rm", str(count)] + (["WITHSCORES"] if ws else [])
            k = parse(p.k.call(*args))
            r = parse(p.r.call(*args))
            n = abs(count)
            ok = isinstance(k, list) and len(k) == len(r) == n * (2 if ws else 1)
            if ok:
                mem = k[0::2] if ws else k
                ok = all(m in universe for m in mem)
                if ws:
                    ok = ok and all(universe[m] == s for m, s in zip(k[0::2], k[1::2]))
                if count > 0:
                    ok = ok and len(set(mem)) == n
            R.ok(p.tag + show(args), ok, "keel: %r\nredis: %r" % (k, r))
    k = parse(p.k.call("ZRANDMEMBER", "rm"))
    R.ok(p.tag + "ZRANDMEMBER rm", k in universe, repr(k))


def notifications(keel, redis, tag):
    """The keyspace events of every write, in order, on both servers."""
    subs = []
    for srv in (keel, redis):
        c = srv.conn()
        c.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
        s = srv.conn()
        s.call("PSUBSCRIBE", "__key*__:*")
        s.call("SUBSCRIBE", "end")
        subs.append((c, s))
    script = [
        ("ZADD", "ev", "1", "a", "2", "b", "3", "c", "4", "d"), ("ZADD", "ev", "1", "a"),
        ("ZADD", "ev", "XX", "1", "zz"), ("ZINCRBY", "ev", "1", "a"),
        ("ZADD", "ev", "INCR", "1", "a"), ("ZREM", "ev", "nope"), ("ZREM", "ev", "a"),
        ("ZPOPMIN", "ev"), ("ZPOPMAX", "ev", "5"), ("ZADD", "ev", "1", "a", "2", "b", "3", "c"),
        ("ZREMRANGEBYRANK", "ev", "0", "0"), ("ZREMRANGEBYSCORE", "ev", "2", "2"),
        ("ZREMRANGEBYLEX", "ev", "-", "+"), ("ZADD", "ev", "1", "a"),
        ("ZUNIONSTORE", "ev2", "1", "ev"), ("ZINTERSTORE", "ev2", "1", "ev"),
        ("ZDIFFSTORE", "ev2", "1", "ev"), ("ZRANGESTORE", "ev2", "ev", "0", "-1"),
        ("ZRANGESTORE", "ev2", "ev", "5", "6"), ("ZUNIONSTORE", "ev2", "1", "nokey"),
        ("ZMPOP", "1", "ev", "MAX"), ("ZADD", "ev", "1", "a"), ("BZPOPMIN", "ev", "0"),
        ("ZADD", "ev", "1", "a"), ("BZMPOP", "0", "1", "ev", "MIN", "COUNT", "3"),
        ("ZREMRANGEBYRANK", "nokey", "0", "1"), ("PUBLISH", "end", "x"),
    ]
    for cmd in script:
        subs[0][0].call(*cmd)
        subs[1][0].call(*cmd)
    streams = []
    for c, s in subs:
        msgs = []
        while True:
            try:
                m = parse(s.read_reply(timeout=2))
            except socket.timeout:
                break
            if m[0] == b"message":
                break
            msgs.append(m)
            if len(msgs) > 200:
                break
        streams.append(msgs)
        c.call("CONFIG", "SET", "notify-keyspace-events", "")
        c.close()
        s.close()
    R.eq(tag + "keyspace events", streams[0], streams[1])


def blocking(keel, redis, tag):
    """BZPOP*/BZMPOP: timeouts, being served by a later ZADD, MULTI."""
    for srv, name in ((keel, "keel"), (redis, "redis")):
        srv.conn().call("DEL", "bk1", "bk2")
    results = {}
    for srv, name in ((keel, "keel"), (redis, "redis")):
        out = []
        a, b = srv.conn(), srv.conn()
        t0 = time.monotonic()
        out.append(a.call("BZPOPMIN", "bk1", "bk2", "0.2"))
        out.append(time.monotonic() - t0 >= 0.15)
        out.append(a.call("BZMPOP", "0.1", "2", "bk1", "bk2", "MIN"))
        # Blocked, then served by a ZADD on the second key.
        a.send(keeltest.encode("BZPOPMAX", "bk1", "bk2", "5"))
        time.sleep(0.2)
        out.append(a.nothing_pending(0.05))
        out.append(b.call("ZADD", "bk2", "1", "x", "2", "y"))
        out.append(a.read_reply(timeout=5))
        a.send(keeltest.encode("BZMPOP", "5", "2", "bk1", "bk2", "MIN", "COUNT", "10"))
        time.sleep(0.1)
        out.append(b.call("ZADD", "bk1", "1", "p", "2", "q"))
        out.append(a.read_reply(timeout=5))
        out.append(b.call("EXISTS", "bk1"))
        # Two waiters, first come first served.
        c = srv.conn()
        a.send(keeltest.encode("BZPOPMIN", "bk1", "5"))
        time.sleep(0.1)
        c.send(keeltest.encode("BZPOPMIN", "bk1", "5"))
        time.sleep(0.1)
        out.append(b.call("ZADD", "bk1", "1", "first", "2", "second"))
        out.append(a.read_reply(timeout=5))
        out.append(c.read_reply(timeout=5))
        # Inside MULTI a blocking pop never blocks.
        out.append(a.call("MULTI"))
        out.append(a.call("BZPOPMIN", "bk1", "bk2", "0"))
        out.append(a.call("BZMPOP", "0", "1", "bk1", "MAX"))
        out.append(a.call("EXEC"))
        # A wrong type on the key made later: the waiter gets WRONGTYPE? No:
        # only sorted sets wake it; a string leaves it waiting until timeout.
        a.send(keeltest.encode("BZPOPMIN", "bk3", "0.3"))
        time.sleep(0.05)
        b.call("SET", "bk3", "x")
        out.append(a.read_reply(timeout=5))
        b.call("DEL", "bk3")
        for x in (a, b, c):
            x.close()
        results[name] = out
    R.eq(tag + "blocking pops", results["keel"], results["redis"])


def multi_watch(p):
    for cmd in (("ZADD", "w", "1", "a"), ("ZINCRBY", "w", "1", "a"), ("ZREM", "w", "a"),
                ("ZPOPMIN", "w"), ("ZUNIONSTORE", "w", "1", "wsrc"),
                ("ZRANGESTORE", "w", "wsrc", "0", "-1"), ("ZREMRANGEBYRANK", "w", "0", "-1")):
        p.quiet("DEL", "w")
        p.quiet("ZADD", "w", "1", "a", "2", "b")
        p.quiet("ZADD", "wsrc", "1", "x")
        p.run("WATCH", "w")
        p.k.call(*cmd)
        p.r.call(*cmd)
        p.run("MULTI")
        p.run("PING")
        p.run("EXEC")
    # A no-op does not touch the key.
    p.quiet("ZADD", "w", "1", "a")
    p.run("WATCH", "w")
    p.run("ZADD", "w", "1", "a")
    p.run("ZREM", "w", "nope")
    p.run("MULTI")
    p.run("ZCARD", "w")
    p.run("EXEC")


def resp3(keel, redis):
    k, r = keel.conn(), redis.conn()
    if k.call("HELLO", "3").startswith(b"-"):
        print("note: keel-server does not speak RESP3 yet: RESP3 cases skipped")
        k.close()
        r.close()
        return
    r.call("HELLO", "3")
    p = Pair.__new__(Pair)
    p.k, p.r, p.tag = k, r, "[resp3] "
    fill(p, "r3", [(1, "a"), (2.5, "b"), (3, "c"), ("inf", "d")])
    fill(p, "r3b", [(1, "b"), (2, "x")])
    for args in (["ZSCORE", "r3", "b"], ["ZSCORE", "r3", "none"], ["ZMSCORE", "r3", "a", "x"],
                 ["ZINCRBY", "r3", "1", "a"], ["ZADD", "r3", "INCR", "1", "a"],
                 ["ZADD", "r3", "XX", "INCR", "1", "zz"], ["ZRANK", "r3", "x"],
                 ["ZRANGE", "r3", "0", "-1"], ["ZRANGE", "r3", "0", "-1", "WITHSCORES"],
                 ["ZRANGEBYSCORE", "r3", "-inf", "inf", "WITHSCORES"],
                 ["ZREVRANGE", "r3", "0", "1", "WITHSCORES"],
                 ["ZUNION", "2", "r3", "r3b", "WITHSCORES"], ["ZINTER", "2", "r3", "r3b"],
                 ["ZDIFF", "2", "r3", "r3b", "WITHSCORES"], ["ZRANDMEMBER", "r3", "10",
                                                             "WITHSCORES"],
                 ["ZRANDMEMBER", "r3", "0", "WITHSCORES"], ["ZRANDMEMBER", "nokey"],
                 ["ZRANDMEMBER", "nokey", "3"], ["ZSCAN", "r3", "0"], ["ZPOPMIN", "r3"],
                 ["ZPOPMAX", "r3", "1"], ["ZPOPMIN", "r3", "0"], ["ZPOPMIN", "nokey"],
                 ["ZPOPMIN", "nokey", "2"], ["ZMPOP", "1", "r3", "MIN"], ["ZMPOP", "1", "nokey",
                                                                         "MIN"],
                 ["BZPOPMIN", "r3b", "0"], ["BZMPOP", "0", "1", "r3b", "MAX", "COUNT", "2"],
                 ["BZPOPMIN", "nokey", "0.05"], ["ZRANGE", "nokey", "0", "-1"]):
        p.run(*args)
    p.quiet("ZADD", "r3c", "1", "a", "2", "b", "3", "c")
    for cnt in ("-3", "2"):
        kv = parse(k.call("ZRANDMEMBER", "r3c", cnt, "WITHSCORES"))
        ok = (isinstance(kv, list) and len(kv) == abs(int(cnt)) and
              all(isinstance(x, list) and len(x) == 2 for x in kv))
        R.ok("[resp3] ZRANDMEMBER r3c %s WITHSCORES nested pairs" % cnt, ok, repr(kv))
    k.close()
    r.close()


def command_info(p):
    for name in ("zadd", "zincrby", "zrem", "zcard", "zscore", "zmscore", "zrank", "zrevrank",
                 "zcount", "zlexcount", "zrange", "zrangestore", "zrangebyscore",
                 "zrevrangebyscore", "zrangebylex", "zrevrangebylex", "zrevrange", "zpopmin",
                 "zpopmax", "bzpopmin", "bzpopmax", "zmpop", "bzmpop", "zremrangebyrank",
                 "zremrangebyscore", "zremrangebylex", "zunionstore", "zinterstore",
                 "zdiffstore", "zunion", "zinter", "zdiff", "zintercard", "zrandmember",
                 "zscan"):
        k = parse(p.k.call("COMMAND", "INFO", name))[0]
        r = parse(p.r.call("COMMAND", "INFO", name))[0]
        kf = set(k[2]) if k else None
        rf = set(r[2]) - {b"movablekeys"} if r else None
        R.eq("COMMAND INFO %s arity/keys" % name, k and k[:2] + k[3:6], r[:2] + r[3:6])
        R.eq("COMMAND INFO %s flags" % name, kf, rf)


def random_ops(p, seed, n_members, rounds):
    """Random writes on both servers; the whole set compared as it goes."""
    rnd = random.Random(seed)
    key = "rnd%d" % seed
    p.quiet("DEL", key)
    members = ["m%d" % i for i in range(n_members)] + ["", "\x00x", "\xff"]

    def score():
        return rnd.choice([str(rnd.randint(-50, 50)), str(rnd.uniform(-1e3, 1e3)),
                           "inf", "-inf", str(rnd.randint(-3, 3) / 4)])

    for i in range(rounds):
        op = rnd.randrange(12)
        m = rnd.choice(members)
        if op < 4:
            args = ["ZADD", key]
            args += rnd.choice([[], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["XX", "GT", "CH"]])
            for _ in range(rnd.randint(1, 5)):
                args += [score(), rnd.choice(members)]
            p.run(*args)
        elif op == 4:
            p.run("ZINCRBY", key, rnd.choice(["1", "-2.5", "0.1", "100"]), m)
        elif op == 5:
            p.run("ZREM", key, m, rnd.choice(members))
        elif op == 6:
            p.run("ZRANK", key, m)
            p.run("ZREVRANK", key, m)
        elif op == 7:
            a, b = sorted([rnd.randint(-60, 60), rnd.randint(-60, 60)])
            p.run("ZRANGEBYSCORE", key, "(%d" % a, b, "WITHSCORES", "LIMIT",
                  rnd.randint(0, 5), rnd.randint(-1, 10))
            p.run("ZCOUNT", key, a, "(%d" % b)
        elif op == 8:
            p.run("ZRANGE", key, rnd.randint(-30, 30), rnd.randint(-30, 30), "WITHSCORES")
        elif op == 9 and rnd.random() < 0.2:
            p.run(rnd.choice(["ZPOPMIN", "ZPOPMAX"]), key, rnd.randint(1, 3))
        elif op == 10 and rnd.random() < 0.1:
            a, b = sorted([rnd.randint(-60, 60), rnd.randint(-60, 60)])
            p.run("ZREMRANGEBYSCORE", key, a, b)
        elif op == 11 and rnd.random() < 0.1:
            p.run("ZREMRANGEBYRANK", key, rnd.randint(-10, 10), rnd.randint(-10, 10))
        if i % 50 == 0:
            p.run("ZRANGE", key, "0", "-1", "WITHSCORES")
            p.run("OBJECT", "ENCODING", key)
    p.run("ZRANGE", key, "0", "-1", "WITHSCORES")
    p.run("ZCARD", key)


def big_sets(p):
    """Skiplist-sized sets: ranks and ranges far from either end."""
    p.quiet("DEL", "big", "big2")
    for base in range(0, 3000, 500):
        args = ["ZADD", "big"]
        for i in range(base, base + 500):
            args += [str((i * 7919) % 3001 / 4), "member:%05d" % i]
        p.quiet(*args)
    p.run("ZCARD", "big")
    p.run("OBJECT", "ENCODING", "big")
    for a, b in (("0", "9"), ("1500", "1510"), ("-10", "-1"), ("2990", "3100")):
        p.run("ZRANGE", "big", a, b, "WITHSCORES")
        p.run("ZREVRANGE", "big", a, b, "WITHSCORES")
    for m in ("member:00000", "member:01234", "member:02999", "member:03000"):
        p.run("ZRANK", "big", m)
        p.run("ZREVRANK", "big", m)
        p.run("ZSCORE", "big", m)
    p.run("ZRANGEBYSCORE", "big", "(100", "200", "LIMIT", "50", "20", "WITHSCORES")
    p.run("ZREVRANGEBYSCORE", "big", "500", "(300", "LIMIT", "100", "5")
    p.run("ZCOUNT", "big", "100", "(600.5")
    p.run("ZINCRBY", "big", "-1000", "member:01234")
    p.run("ZRANK", "big", "member:01234")
    p.run("ZUNIONSTORE", "big2", "2", "big", "big", "WEIGHTS", "1", "0.5")
    p.run("ZRANGE", "big2", "1000", "1010", "WITHSCORES")
    p.run("ZREMRANGEBYRANK", "big", "100", "2000")
    p.run("ZRANGE", "big", "90", "110", "WITHSCORES")
    p.run("ZREMRANGEBYSCORE", "big", "(300", "600")
    p.run("ZRANGE", "big", "0", "-1", "WITHSCORES")
    p.run("ZPOPMAX", "big", "10")
    p.run("ZINTERCARD", "2", "big", "big2", "LIMIT", "100")
    fill(p, "biglex", [(0, "k%05d" % i) for i in range(1000)])
    p.run("ZRANGEBYLEX", "biglex", "[k00500", "(k00520")
    p.run("ZREVRANGEBYLEX", "biglex", "(k00520", "[k00500", "LIMIT", "3", "4")
    p.run("ZLEXCOUNT", "biglex", "(k00100", "+")
    p.run("ZREMRANGEBYLEX", "biglex", "[k00100", "[k00899")
    p.run("ZRANGE", "biglex", "95", "105")


def suite(keel, redis, tag):
    p = Pair(keel, redis, tag)
    p.quiet("FLUSHALL")
    arity_and_wrongtype(p)
    zadd_options(p)
    scores(p)
    binary_members(p)
    rank_and_basics(p)
    zrange_family(p)
    zrangestore(p)
    zremrange(p)
    pops(p)
    set_ops(p)
    zscan(p, big=(tag != ""))
    zrandmember(p)
    multi_watch(p)
    p.close()


def main():
    try:
        keel = keeltest.start_keel()
        redis = keeltest.start_redis()
    except keeltest.SetupError as e:
        R.fail("setup", str(e))
        R.finish()
    p = Pair(keel, redis)
    suite(keel, redis, "")
    p.quiet("FLUSHALL")
    encodings(p)
    command_info(p)
    big_sets(p)
    for seed in range(4):
        random_ops(p, seed, 20 if seed % 2 else 150, 400)
    notifications(keel, redis, "")
    blocking(keel, redis, "")
    resp3(keel, redis)
    # Every set a skiplist: the same suite must give the same bytes.
    p.quiet("CONFIG", "SET", "zset-max-listpack-entries", "0")
    suite(keel, redis, "[skiplist] ")
    notifications(keel, redis, "[skiplist] ")
    for seed in range(10, 12):
        random_ops(p, seed, 30, 300)
    p.quiet("CONFIG", "SET", "zset-max-listpack-entries", "128")
    p.close()
    R.finish()


if __name__ == "__main__":
    main()
