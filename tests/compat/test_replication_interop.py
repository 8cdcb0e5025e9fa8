"""test_replication_interop: the replication protocol is Redis 7.0's, both
ways.

- keel-server as a replica of Debian's redis-server: the full sync (disk
  and diskless RDB), then a write load of every type in several databases
  (MULTI/EXEC, TTLs, deletes); the data and the offsets match; after CLIENT
  KILL TYPE replica on redis the Keel replica continues with a partial
  resync.
- redis-server as a replica of keel-server: the same, with Keel's disk and
  diskless ($EOF:<mark>) full syncs and a partial resync after a kill.
"""
import os
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
DBS = (0, 1, 5)


def client(srv, db=0):
    return redis.Redis(host="127.0.0.1", port=srv.port, db=db, socket_timeout=30)


def fill(srv, tag, n=200):
    """Every type, in several databases, through pipelines and MULTI."""
    for db in DBS:
        r = client(srv, db)
        p = r.pipeline(transaction=False)
        p.set("%s:str" % tag, "v-%d" % db)
        p.set("%s:int" % tag, 42 + db)
        p.set("%s:ttl" % tag, "t", ex=3600)
        p.incrbyfloat("%s:float" % tag, 1.25)
        p.set(b"%s:bin\x00\xff" % tag.encode(), b"\x00\r\n\xff" * 10)
        p.rpush("%s:list" % tag, *["item-%d" % i for i in range(n)])
        p.sadd("%s:intset" % tag, *range(20))
        p.sadd("%s:set" % tag, *["m-%d" % i for i in range(n)])
        p.zadd("%s:zset" % tag, {"z-%d" % i: i * 1.5 for i in range(n)})
        p.zadd("%s:smallz" % tag, {"a": 1, "b": 2})
        p.hset("%s:hash" % tag, mapping={"f-%d" % i: "v-%d" % i for i in range(n)})
        p.hset("%s:smallh" % tag, mapping={"a": "1"})
        p.setbit("%s:bits" % tag, 1000, 1)
        p.execute()
        t = r.pipeline(transaction=True)
        t.incr("%s:txn" % tag)
        t.lpush("%s:txnlist" % tag, "x")
        t.execute()
        r.delete("%s:smallh" % tag)
        r.expire("%s:int" % tag, 5000)
        r.lpop("%s:list" % tag)
        r.zincrby("%s:zset" % tag, 100, "z-1")


def snapshot(srv):
    out = {}
    for db in DBS:
        r = client(srv, db)
        for k in r.keys("*"):
            t = r.type(k)
            if t == b"string":
                v = r.get(k)
            elif t == b"list":
                v = tuple(r.lrange(k, 0, -1))
            elif t == b"set":
                v = frozenset(r.smembers(k))
            elif t == b"zset":
                v = tuple(r.zrange(k, 0, -1, withscores=True))
            elif t == b"hash":
                v = frozenset(r.hgetall(k).items())
            else:
                v = None
            out[(db, k)] = (t, v, r.pttl(k) > 0)
    return out


def info(srv, section="replication"):
    return client(srv).info(section)


def wait_synced(primary, replica, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        ri = info(replica)
        if ri.get("master_link_status") == "up":
            a = info(primary)["master_repl_offset"]
            if a > 0 and ri.get("slave_repl_offset") == a:
                return True
        time.sleep(0.05)
    return False


def compare(name, primary, replica):
    ok = wait_synced(primary, replica)
    R.ok(name + ": offsets equal", ok,
         "primary %r replica %r" % (info(primary).get("master_repl_offset"),
                                    info(replica).get("slave_repl_offset")))
    want, got = snapshot(primary), snapshot(replica)
    R.ok(name + ": data identical (%d keys)" % len(want), want == got and len(want) > 20,
         "missing %r extra %r" % (sorted(set(want) - set(got))[:5],
                                  sorted(set(got) - set(want))[:5]))


def partial_after_kill(name, primary, replica):
    before = info(primary, "stats")
    client(primary).execute_command("CLIENT", "KILL", "TYPE", "replica")
    fill(primary, "outage", n=20)
    compare(name + " after CLIENT KILL", primary, replica)
    after = info(primary, "stats")
    R.eq(name + ": no new full sync", after["sync_full"], before["sync_full"])
    R.eq(name + ": partial resync accepted", after["sync_partial_ok"],
         before["sync_partial_ok"] + 1)


def keel_replica_of_redis(diskless):
    name = "keel replica of redis (%s)" % ("diskless" if diskless else "disk")
    red = kt.start_redis(["--repl-diskless-sync", "yes" if diskless else "no",
                          "--repl-diskless-sync-delay", "0"])
    fill(red, "before")
    keel = kt.start_keel(["--save", "", "--replicaof", "127.0.0.1", str(red.port)])
    compare(name + " full sync", red, keel)
    fill(red, "after")
    compare(name + " stream", red, keel)
    try:
        client(keel).set("x", "1")
        R.fail(name + ": replica refuses writes")
    except redis.exceptions.ReadOnlyError:
        R.ok(name + ": replica refuses writes", True)
    partial_after_kill(name, red, keel)
    keel.stop()
    red.stop()


def redis_replica_of_keel(diskless):
    name = "redis replica of keel (%s)" % ("diskless" if diskless else "disk")
    keel = kt.start_keel(["--save", "", "--repl-diskless-sync", "yes" if diskless else "no",
                          "--repl-diskless-sync-delay", "0"])
    fill(keel, "before")
    red = kt.start_redis(["--replicaof", "127.0.0.1", str(keel.port)])
    compare(name + " full sync", keel, red)
    fill(keel, "after")
    compare(name + " stream", keel, red)
    partial_after_kill(name, keel, red)
    r = client(keel)
    r.set("waitkey", 1)
    R.eq(name + ": WAIT counts the redis replica", r.wait(1, 5000), 1)
    red.stop()
    keel.stop()


def main():
    try:
        keel_replica_of_redis(diskless=False)
        keel_replica_of_redis(diskless=True)
        redis_replica_of_keel(diskless=False)
        redis_replica_of_keel(diskless=True)
    except kt.SetupError as e:
        R.fail("setup", str(e))
    R.finish()


if __name__ == "__main__":
    main()
