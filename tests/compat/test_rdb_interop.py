"""test_rdb_interop: RDB files move between Debian's redis-server 7.0 and
keel-server with every key, type, value, encoding and TTL intact.

- redis-server fills every type in small and large encodings (with TTLs, in
  several databases) and SAVEs; keel-server loads that dump.rdb and every key
  matches; keel-server SAVEs; redis-check-rdb accepts Keel's file; a fresh
  redis-server loads it with everything intact.  Done with rdbcompression
  yes and no on both sides, and with rdbchecksum no (zero trailer).
- An RDB in the encodings of older Redis versions (version 9: ziplist lists,
  hashes and sorted sets, ziplist quicklists, zipmap hashes, plain lists and
  sorted sets with text scores, second-precision expiry), written here byte
  by byte, loads into both servers identically.
"""
import os
import shutil
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest as kt  # noqa: E402

try:
    import redis  # Debian's python3-redis
except ImportError:  # pragma: no cover
    print("redis-py missing: apt-get install python3-redis")
    sys.exit(1)

R = kt.Results()
TTL_SLACK_MS = 20000  # the servers run one after the other: TTLs shrink meanwhile


def client(srv):
    return redis.Redis(host="127.0.0.1", port=srv.port, socket_timeout=30)


# ------------------------------------------------------------------ data

def fill(r):
    """Every type in its small and large encodings, binary data, TTLs."""
    p = r.pipeline(transaction=False)
    p.set("str:int", "12345")
    p.set("str:neg", "-42")
    p.set("str:bigint", "9223372036854775807")
    p.set("str:notint", "0123")
    p.set("str:embstr", "hello world")
    p.set("str:raw", "x" * 100)
    p.set("str:compressible", "abc" * 1000)
    p.set("str:binary", b"\x00\x01\xff\r\n" * 20)
    p.set("str:empty", "")
    p.set("str:big", os.urandom(300000))
    p.set("str:ttl", "expires later", px=3600 * 1000)
    p.set(b"key:\x00binary\xff", "binary key")
    p.rpush("list:small", "a", "b", "c", 1, 2, 3, -7, 1 << 40)
    p.rpush("list:big", *["item-%d" % i for i in range(5000)])
    p.rpush("list:ints", *range(-3000, 3000))
    p.rpush("list:hugeitem", "small", "y" * 20000, "tail")
    p.sadd("set:intset", 1, 2, 3, -5, 100000)
    p.sadd("set:int64", 1 << 62, -(1 << 62), 7)
    p.sadd("set:strings", "a", "b", "c", "hello")
    p.sadd("set:bigint", *range(1000))
    p.sadd("set:big", *["m%d" % i for i in range(2000)])
    p.hset("hash:small", mapping={"f1": "v1", "f2": "2", "f3": "-3", "num": 1 << 33})
    p.hset("hash:longval", mapping={"f": "v" * 100, "g": "short"})
    p.hset("hash:big", mapping={"field%d" % i: "value%d" % i for i in range(1000)})
    p.hset("hash:ttl", mapping={"a": "1"})
    p.pexpire("hash:ttl", 7200 * 1000)
    p.zadd("zset:small", {"a": 1, "b": 2.5, "c": -3, "d": 0, "e": 1e-7, "f": 123456789.125})
    p.zadd("zset:inf", {"lo": float("-inf"), "hi": float("inf"), "mid": 0})
    p.zadd("zset:big", {"member%d" % i: i * 1.5 - 100 for i in range(1000)})
    p.zadd("zset:longmember", {"m" * 100: 1, "short": 2})
    p.zadd("zset:ttl", {"x": 1})
    p.pexpire("zset:ttl", 9000 * 1000)
    p.execute()
    # other databases
    for db in (3, 15):
        r.execute_command("SELECT", db)
        r.set("db%d:str" % db, "in db %d" % db)
        r.rpush("db%d:list" % db, "x", "y")
        r.set("db%d:ttl" % db, "v", px=5000 * 1000)
    r.execute_command("SELECT", 0)


def snapshot(r):
    """{(db, key): (type, value, encoding, ttl_ms)} of every key."""
    out = {}
    for db in range(16):
        r.execute_command("SELECT", db)
        for k in r.scan_iter(count=1000):
            t = r.type(k)
            if t == b"string":
                v = r.get(k)
            elif t == b"list":
                v = r.lrange(k, 0, -1)
            elif t == b"set":
                v = sorted(r.smembers(k))
            elif t == b"zset":
                v = r.zrange(k, 0, -1, withscores=True)
            elif t == b"hash":
                v = sorted(r.hgetall(k).items())
            else:
                v = None
            enc = r.object("encoding", k)
            out[(db, k)] = (t, v, enc, r.pttl(k))
    r.execute_command("SELECT", 0)
    return out


def compare(name, got, want, check_encoding=True):
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    R.ok(name + ": same keys", not missing and not extra,
         "missing %r extra %r" % (missing[:5], extra[:5]))
    bad = []
    for k, (t, v, enc, ttl) in want.items():
        if k not in got:
            continue
        gt, gv, genc, gttl = got[k]
        if gt != t or gv != v:
            bad.append((k, "value", (gt, str(gv)[:80]), (t, str(v)[:80])))
        elif check_encoding and genc != enc:
            bad.append((k, "encoding", genc, enc))
        elif (ttl < 0) != (gttl < 0) or (ttl >= 0 and abs(ttl - gttl) > TTL_SLACK_MS):
            bad.append((k, "ttl", gttl, ttl))
    R.ok(name + ": every type, value, encoding and TTL", not bad, "\n".join(map(repr, bad[:10])))


# --------------------------------------------------------------- servers

def keel_loading(path, extra=()):
    """Start keel-server in a new directory holding a copy of path."""
    d = kt.tmpdir("keel-rdb-")
    shutil.copy(path, os.path.join(d, "dump.rdb"))
    return kt.start_keel(list(extra), workdir=d)


def redis_loading(path, extra=()):
    d = kt.tmpdir("redis-rdb-")
    shutil.copy(path, os.path.join(d, "dump.rdb"))
    return kt.start_redis(list(extra), workdir=d)


def check_rdb(name, path):
    p = subprocess.run(["redis-check-rdb", path], capture_output=True, timeout=120)
    text = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
    R.ok(name + ": redis-check-rdb accepts it", p.returncode == 0 and "RDB looks OK" in text,
         text[-1500:])


def round_trip(label, compression):
    comp = ["--rdbcompression", compression]
    red = kt.start_redis(comp)
    rr = client(red)
    fill(rr)
    want = snapshot(rr)
    R.ok(label + ": redis SAVE", rr.save())
    rdb_redis = os.path.join(red.dir, "dump.rdb")
    red.stop()

    keel = keel_loading(rdb_redis, comp)
    kr = client(keel)
    compare(label + ": keel loads redis's file", snapshot(kr), want)
    R.ok(label + ": keel SAVE", kr.save())
    rdb_keel = os.path.join(keel.dir, "dump.rdb")
    keel.stop()
    check_rdb(label + ": keel's file", rdb_keel)
    print("%s: file size redis %d bytes, keel %d bytes" %
          (label, os.path.getsize(rdb_redis), os.path.getsize(rdb_keel)))

    red2 = redis_loading(rdb_keel)
    compare(label + ": redis loads keel's file", snapshot(client(red2)), want)
    red2.stop()

    keel2 = keel_loading(rdb_keel, comp)
    compare(label + ": keel loads its own file", snapshot(client(keel2)), want)
    keel2.stop()
    return want


def checksum_off():
    """rdbchecksum no: a zero trailer, which both servers accept."""
    red = kt.start_redis(["--rdbchecksum", "no"])
    rr = client(red)
    rr.set("a", "1")
    rr.rpush("l", "x", "y")
    rr.save()
    want = snapshot(rr)
    red.stop()
    rdb_redis = os.path.join(red.dir, "dump.rdb")
    with open(rdb_redis, "rb") as f:
        R.eq("rdbchecksum no: redis writes a zero trailer", f.read()[-8:], b"\0" * 8)
    keel = keel_loading(rdb_redis)
    compare("rdbchecksum no: keel loads redis's file", snapshot(client(keel)), want)
    keel.stop()

    keel = kt.start_keel(["--rdbchecksum", "no"])
    kr = client(keel)
    kr.set("a", "1")
    kr.rpush("l", "x", "y")
    kr.save()
    keel.stop()
    rdb_keel = os.path.join(keel.dir, "dump.rdb")
    with open(rdb_keel, "rb") as f:
        R.eq("rdbchecksum no: keel writes a zero trailer", f.read()[-8:], b"\0" * 8)
    red = redis_loading(rdb_keel)
    compare("rdbchecksum no: redis loads keel's file", snapshot(client(red)), want)
    red.stop()


# ------------------------------------------------- an old-format RDB file

def rdb_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    if n <= 0xFFFFFFFF:
        return b"\x80" + struct.pack(">I", n)
    return b"\x81" + struct.pack(">Q", n)


def rdb_str(s):
    if isinstance(s, str):
        s = s.encode()
    return rdb_len(len(s)) + s


def zl_entry_body(v):
    """A ziplist entry's encoding and data (without prevlen)."""
    if isinstance(v, int):
        if 0 <= v <= 12:
            return bytes([0xF1 + v])
        if -128 <= v <= 127:
            return b"\xFE" + struct.pack("<b", v)
        if -32768 <= v <= 32767:
            return b"\xC0" + struct.pack("<h", v)
        if -(1 << 23) <= v < (1 << 23):
            return b"\xF0" + struct.pack("<i", v << 8)[1:]
        if -(1 << 31) <= v < (1 << 31):
            return b"\xD0" + struct.pack("<i", v)
        return b"\xE0" + struct.pack("<q", v)
    if isinstance(v, str):
        v = v.encode()
    n = len(v)
    if n < 64:
        return bytes([n]) + v
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF]) + v
    return b"\x80" + struct.pack(">I", n) + v


def ziplist(values):
    entries = []
    prev = 0
    offsets = []
    off = 10
    for v in values:
        body = zl_entry_body(v)
        prevlen = bytes([prev]) if prev < 254 else b"\xFE" + struct.pack("<I", prev)
        e = prevlen + body
        offsets.append(off)
        entries.append(e)
        prev = len(e)
        off += len(e)
    data = b"".join(entries)
    total = 10 + len(data) + 1
    tail = offsets[-1] if offsets else 10
    return struct.pack("<IIH", total, tail, min(len(values), 0xFFFF)) + data + b"\xFF"


def listpack(values):
    """A listpack of short strings (6- and 12-bit string encodings)."""
    def backlen(n):
        if n <= 127:
            return bytes([n])
        return bytes([n >> 7, (n & 127) | 128])
    entries = []
    for v in values:
        v = v.encode() if isinstance(v, str) else v
        if len(v) < 64:
            enc = bytes([0x80 | len(v)]) + v
        else:
            enc = bytes([0xE0 | (len(v) >> 8), len(v) & 0xFF]) + v
        entries.append(enc + backlen(len(enc)))
    data = b"".join(entries)
    return struct.pack("<IH", 6 + len(data) + 1, len(values)) + data + b"\xFF"


def zipmap(pairs):
    def zlen(n):
        return bytes([n]) if n < 254 else b"\xFE" + struct.pack("<I", n)
    out = [bytes([len(pairs) if len(pairs) < 254 else 254])]
    for k, v in pairs:
        k, v = k.encode(), v.encode()
        out.append(zlen(len(k)) + k + zlen(len(v)) + b"\x02" + v + b"\0\0")  # 2 free bytes
    out.append(b"\xFF")
    return b"".join(out)


def old_rdb(path):
    """An RDB version 9 file in the encodings Redis wrote before 7.0."""
    now = int(time.time())
    body = [b"REDIS0009", b"\xFA" + rdb_str("redis-ver") + rdb_str("6.0.16")]
    body.append(b"\xFE\x00")
    body.append(b"\x0A" + rdb_str("old:listzip") + rdb_str(ziplist(
        ["a", "bb", 0, 12, 13, -1, 300, -40000, 1 << 20, -(1 << 30), 1 << 40, "x" * 70, "y" * 300])))
    body.append(b"\x0E" + rdb_str("old:quicklist") + rdb_len(2) +
                rdb_str(ziplist(["n1-%d" % i for i in range(100)])) +
                rdb_str(ziplist(list(range(100)))))
    body.append(b"\x0D" + rdb_str("old:hashzip") + rdb_str(ziplist(["f1", "v1", "f2", 7, "n", -9])))
    body.append(b"\x0D" + rdb_str("old:hashzip_long") + rdb_str(ziplist(["f", "v" * 100])))
    body.append(b"\x09" + rdb_str("old:zipmap") + rdb_str(zipmap([("a", "1"), ("bb", "hello")])))
    body.append(b"\x0C" + rdb_str("old:zsetzip") + rdb_str(ziplist(["c", -3, "a", 1, "b", "2.5"])))
    body.append(b"\x0C" + rdb_str("old:zsetzip_long") + rdb_str(ziplist(["m" * 90, 1, "n", 2])))
    body.append(b"\x09" + rdb_str("old:zipmap_long") + rdb_str(zipmap([("a", "z" * 80)])))
    body.append(b"\x10" + rdb_str("new:hashlp_long") + rdb_str(listpack(["f", "w" * 100, "g", "1x"])))
    body.append(b"\x11" + rdb_str("new:zsetlp_long") + rdb_str(listpack(["k" * 100, "1.5", "z", "2"])))
    body.append(b"\x01" + rdb_str("old:list") + rdb_len(3) + rdb_str("p") + rdb_str("q") +
                rdb_str("12"))
    body.append(b"\x03" + rdb_str("old:zset") + rdb_len(3) + rdb_str("m1") + bytes([3]) + b"1.5" +
                rdb_str("m2") + b"\xFE" + rdb_str("m3") + b"\xFF")
    body.append(b"\x02" + rdb_str("old:set") + rdb_len(3) + rdb_str("1") + rdb_str("2") +
                rdb_str("x"))
    body.append(b"\x04" + rdb_str("old:hash") + rdb_len(2) + rdb_str("k1") + rdb_str("v1") +
                rdb_str("k2") + rdb_str("v2"))
    # second-precision expiry: one in the future, one already past
    body.append(b"\xFD" + struct.pack("<I", now + 3600) + b"\x00" + rdb_str("old:ttl") +
                rdb_str("soon"))
    body.append(b"\xFD" + struct.pack("<I", now - 3600) + b"\x00" + rdb_str("old:expired") +
                rdb_str("gone"))
    body.append(b"\xFE\x05")
    body.append(b"\x00" + rdb_str("old:db5") + rdb_str("five"))
    body.append(b"\xFF")
    data = b"".join(body) + b"\0" * 8  # checksum disabled
    with open(path, "wb") as f:
        f.write(data)


def old_format():
    d = kt.tmpdir("old-rdb-")
    path = os.path.join(d, "old.rdb")
    old_rdb(path)
    red = redis_loading(path)
    want = snapshot(client(red))
    red.stop()
    R.ok("old format: redis loads the hand-made file", len(want) >= 12, repr(sorted(want))[:300])
    R.ok("old format: the expired key is not loaded", (0, b"old:expired") not in want)
    keel = keel_loading(path)
    got = snapshot(client(keel))
    compare("old format: keel loads ziplists, zipmaps and old lists and zsets", got, want)
    keel.stop()


def main():
    try:
        round_trip("rdbcompression yes", "yes")
        round_trip("rdbcompression no", "no")
        checksum_off()
        old_format()
    except kt.SetupError as e:
        R.fail("setup", str(e))
    R.finish()


if __name__ == "__main__":
    main()
