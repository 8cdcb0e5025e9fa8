#!/usr/bin/python3
"""test_aof_interop: Keel's append-only files and Redis 7.0's, both ways.

- keel-server writes a multi-part AOF (an RDB base and an AOF-format base,
  each after a BGREWRITEAOF and with more writes in the incr file) holding
  every type in both encodings, TTLs, several databases and a MULTI/EXEC
  transaction;
  `redis-check-aof <manifest>` (Debian's, 7.0) must call it valid, and
  redis-server started on that directory with appendonly yes must hold the
  same keyspace (types, encodings, values, TTLs).
- redis-server writes the same kind of directory; keel-server started on
  it must hold the same keyspace.

The keyspace is compared through a canonical dump (redis-py).  Prints
"N passed, M failed"; exit status 1 on any failure.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest  # noqa: E402

try:
    import redis  # noqa: E402
except ImportError:  # pragma: no cover
    print("redis-py not importable by %s (apt-get install python3-redis)" % sys.executable)
    print("0 passed, 1 failed")
    sys.exit(1)

R = keeltest.Results()


def client(srv, db=0):
    return redis.Redis(host="127.0.0.1", port=srv.port, db=db, socket_timeout=10)


def fill(srv):
    """Every type, small (listpack/intset) and big (hashtable/skiplist/
    quicklist), binary values, TTLs, three databases."""
    r = client(srv)
    big = b"x" * 300
    r.set("str:int", 12345)
    r.set("str:emb", "hello")
    r.set("str:raw", big)
    r.set("str:bin", b"a\x00b\r\nc\xff")
    r.set("str:ttl", "v", ex=5000)
    r.rpush("list:small", "a", "b", 1, 2, -3)
    r.rpush("list:big", *["elem-%d" % i for i in range(700)])
    r.sadd("set:int", 1, 2, 3, -7, 100000000000)
    r.sadd("set:big", *["member-%d" % i for i in range(600)])
    r.zadd("zset:small", {"a": 1, "b": 2.5, "c": float("-inf"), "d": 0.1})
    r.zadd("zset:big", {"m%d" % i: i * 1.5 for i in range(200)})
    r.hset("hash:small", mapping={"f1": "v1", "f2": 2, "bin": b"\x00\x01"})
    r.hset("hash:big", mapping={"field-%d" % i: "value-%d" % i for i in range(600)})
    r.hset("hash:long", "f", big)
    r.pexpire("hash:small", 4000000)
    client(srv, 1).set("db1:key", "one")
    client(srv, 1).rpush("db1:list", "x", "y")
    client(srv, 9).zadd("db9:z", {"only": 42})


def more_writes(srv):
    """Changes that land in the incr file after a rewrite."""
    r = client(srv)
    r.incr("str:int")
    r.lpush("list:big", "head")
    r.srem("set:big", "member-0")
    r.zincrby("zset:small", 10, "a")
    r.hdel("hash:big", "field-1")
    r.expire("str:emb", 7000)
    r.set("after:rewrite", "yes")
    client(srv, 3).set("db3:late", "z")
    # A transaction: MULTI ... EXEC in the file, which redis-check-aof checks.
    p = r.pipeline(transaction=True)
    p.set("tx:a", 1)
    p.incr("tx:a")
    p.rpush("tx:l", "x")
    p.execute()


def dump(srv):
    """Canonical image of databases 0..15."""
    out = {}
    for db in range(16):
        r = client(srv, db)
        for key in sorted(r.keys("*")):
            t = r.type(key).decode()
            enc = r.object("encoding", key)
            ttl = r.pttl(key)
            if t == "string":
                v = r.get(key)
            elif t == "list":
                v = r.lrange(key, 0, -1)
            elif t == "set":
                v = sorted(r.smembers(key))
            elif t == "zset":
                v = r.zrange(key, 0, -1, withscores=True)
            elif t == "hash":
                v = sorted(r.hgetall(key).items())
            else:
                v = None
            out[(db, key)] = (t, enc, ttl > 0, v)
    return out


def same_keyspace(name, a, b):
    if a == b:
        return R.ok(name, True)
    diff = [k for k in set(a) | set(b) if a.get(k) != b.get(k)]
    return R.fail(name, "%d keys differ, e.g. %r:\n  %r\n  %r"
                  % (len(diff), diff[0], a.get(diff[0]), b.get(diff[0])))


def check_aof(name, workdir):
    manifest = os.path.join(workdir, "appendonlydir", "appendonly.aof.manifest")
    p = subprocess.run(["redis-check-aof", manifest], capture_output=True, text=True, timeout=60)
    R.ok("%s: redis-check-aof accepts the manifest" % name,
         p.returncode == 0 and "All AOF files and manifest are valid" in p.stdout,
         p.stdout[-800:] + p.stderr[-400:])


def keel_to_redis(preamble):
    name = "keel -> redis (aof-use-rdb-preamble %s)" % preamble
    workdir = keeltest.tmpdir("keel-aofinterop-")
    args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble]
    k = keeltest.start_keel(args, workdir=workdir)
    fill(k)
    client(k).bgrewriteaof()
    for _ in range(200):
        if client(k).info("persistence")["aof_rewrite_in_progress"] == 0:
            break
        keeltest.time.sleep(0.02)
    more_writes(k)
    want = dump(k)
    k.stop()
    check_aof(name, workdir)
    rs = keeltest.start_redis(["--appendonly", "yes"], workdir=workdir)
    same_keyspace("%s: same keyspace in redis-server" % name, dump(rs), want)
    rs.stop()


def redis_to_keel(preamble):
    name = "redis -> keel (aof-use-rdb-preamble %s)" % preamble
    workdir = keeltest.tmpdir("redis-aofinterop-")
    args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble]
    rs = keeltest.start_redis(args, workdir=workdir)
    fill(rs)
    client(rs).bgrewriteaof()
    for _ in range(200):
        if client(rs).info("persistence")["aof_rewrite_in_progress"] == 0:
            break
        keeltest.time.sleep(0.02)
    more_writes(rs)
    want = dump(rs)
    rs.stop()
    k = keeltest.start_keel(["--appendonly", "yes"], workdir=workdir)
    same_keyspace("%s: same keyspace in keel-server" % name, dump(k), want)
    k.stop()


def main():
    if not shutil.which("redis-check-aof"):
        R.fail("redis-check-aof installed", "apt-get install redis-tools")
        R.finish()
    for fn, arg in [(keel_to_redis, "yes"), (keel_to_redis, "no"),
                    (redis_to_keel, "yes"), (redis_to_keel, "no")]:
        try:
            fn(arg)
        except keeltest.SetupError as e:
            R.fail("%s(%s): server start" % (fn.__name__, arg), str(e))
        except Exception:  # noqa: BLE001
            import traceback
            R.fail("%s(%s) raised" % (fn.__name__, arg), traceback.format_exc())
    R.finish()


if __name__ == "__main__":
    main()
