#!/usr/bin/python3
"""test_redis_py: Keel driven by redis-py 4.3 (Debian's python3-redis) the way
applications use it.

Starts keel-server ($KEEL_SERVER) on a free port (and a second one with
--requirepass for the AUTH tests) and exercises: redis.Redis with
decode_responses, a ConnectionPool shared by threads (exact INCR count),
string commands and TTLs, a SET NX EX lock, session/JWT storage with expiry,
KEYS patterns, scan_iter, a 1,000-command pipeline, PING/ECHO/INFO/CONFIG/
CLIENT/TIME/DBSIZE/FLUSHDB/SWAPDB/OBJECT, Redis(db=3), AUTH, binary and 10 MB
values, INCRBYFLOAT and the exception classes redis-py raises.  Every check
asserts an exact expected value.  Prints "N passed, M failed"; exit status 1
on any failure.

Set KEELTEST_TARGET=redis to run the same checks against redis-server (to
validate the expectations themselves).
"""
import json
import os
import sys
import threading
import time
import traceback
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest  # noqa: E402

try:
    import redis  # noqa: E402
except ImportError:  # pragma: no cover
    print("redis-py not importable by %s (apt-get install python3-redis)" % sys.executable)
    print("0 passed, 1 failed")
    sys.exit(1)

HOST = "127.0.0.1"
TARGET = os.environ.get("KEELTEST_TARGET", "keel")
R = keeltest.Results()
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def start_server(password=None):
    if TARGET == "redis":
        return keeltest.start_redis(password=password)
    return keeltest.start_keel(password=password)


def expect_error(name, exc_class, fn, message=None, prefix=None):
    """fn() must raise exc_class (exactly that class or a subclass); if
    message is given, str(exception) must equal it; if prefix, start with it."""
    try:
        got = fn()
    except exc_class as e:
        text = str(e)
        if message is not None:
            return R.eq(name + " message", text, message)
        if prefix is not None:
            return R.ok(name + " message", text.startswith(prefix),
                        "got:  %r\nwant prefix: %r" % (text, prefix))
        return R.ok(name, True)
    except Exception as e:  # wrong class
        return R.fail(name, "raised %s(%r), want %s" % (type(e).__name__, str(e), exc_class.__name__))
    return R.fail(name, "returned %r, want %s raised" % (got, exc_class.__name__))


def in_range(name, value, lo, hi):
    return R.ok(name, isinstance(value, int) and lo <= value <= hi,
                "got %r, want an int in [%r, %r]" % (value, lo, hi))


# ----------------------------------------------------------------- tests

@test
def t_strings(srv):
    r = redis.Redis(host=HOST, port=srv.port, decode_responses=True)
    r.flushall()
    R.eq("set", r.set("greeting", "hello"), True)
    R.eq("get", r.get("greeting"), "hello")
    R.eq("get missing", r.get("nope"), None)
    R.eq("set xx on missing", r.set("nope", "v", xx=True), None)
    R.eq("set nx on existing", r.set("greeting", "v", nx=True), None)
    R.eq("set get=True", r.set("greeting", "hi", get=True), "hello")
    R.eq("get after set get", r.get("greeting"), "hi")

    R.eq("setnx new", r.setnx("nx", "1"), True)
    R.eq("setnx existing", r.setnx("nx", "2"), False)
    R.eq("setnx kept value", r.get("nx"), "1")

    R.eq("setex", r.setex("sx", 100, "v"), True)
    in_range("setex ttl", r.ttl("sx"), 99, 100)
    in_range("setex pttl", r.pttl("sx"), 98000, 100000)
    R.eq("setex value", r.get("sx"), "v")

    R.eq("incrby new", r.incrby("cnt", 5), 5)
    R.eq("decrby", r.decrby("cnt", 3), 2)
    R.eq("incr", r.incr("cnt"), 3)
    R.eq("decr", r.decr("cnt"), 2)
    R.eq("incr negative amount", r.incr("cnt", -10), -8)
    R.eq("get counter", r.get("cnt"), "-8")

    R.eq("getset missing", r.getset("gs", "first"), None)
    R.eq("getset existing", r.getset("gs", "second"), "first")
    R.eq("getset value", r.get("gs"), "second")

    R.eq("mset", r.mset({"a": "1", "b": "2", "c": "3"}), True)
    R.eq("mget list", r.mget(["a", "b", "zz", "c"]), ["1", "2", None, "3"])
    R.eq("mget args", r.mget("c", "a"), ["3", "1"])
    R.eq("msetnx blocked", r.msetnx({"a": "x", "new1": "y"}), False)
    R.eq("msetnx blocked left new1 unset", r.get("new1"), None)
    R.eq("msetnx ok", r.msetnx({"new1": "x", "new2": "y"}), True)

    R.eq("ttl no expiry", r.ttl("a"), -1)
    R.eq("ttl missing", r.ttl("zz"), -2)
    R.eq("pttl no expiry", r.pttl("a"), -1)
    R.eq("pttl missing", r.pttl("zz"), -2)
    R.eq("expire existing", r.expire("a", 100), True)
    in_range("ttl after expire", r.ttl("a"), 99, 100)
    R.eq("expire missing", r.expire("zz", 100), False)
    R.eq("persist", r.persist("a"), True)
    R.eq("ttl after persist", r.ttl("a"), -1)
    R.eq("persist without ttl", r.persist("a"), False)
    R.eq("pexpire", r.pexpire("b", 50000), True)
    in_range("pttl after pexpire", r.pttl("b"), 49000, 50000)
    R.eq("expireat", r.expireat("c", int(time.time()) + 1000), True)
    in_range("ttl after expireat", r.ttl("c"), 998, 1000)
    R.eq("set keepttl", r.set("c", "33", keepttl=True), True)
    in_range("ttl kept by keepttl", r.ttl("c"), 998, 1000)
    R.eq("set without keepttl clears ttl", r.set("c", "3"), True)
    R.eq("ttl cleared", r.ttl("c"), -1)
    R.eq("set ex", r.set("e", "v", ex=30), True)
    in_range("set ex ttl", r.ttl("e"), 29, 30)
    R.eq("set px", r.set("e", "v", px=30000), True)
    in_range("set px pttl", r.pttl("e"), 29000, 30000)
    R.eq("set exat", r.set("e", "v", exat=int(time.time()) + 60), True)
    in_range("set exat ttl", r.ttl("e"), 58, 60)

    R.eq("append new", r.append("ap", "Hello"), 5)
    R.eq("append existing", r.append("ap", " World"), 11)
    R.eq("strlen", r.strlen("ap"), 11)
    R.eq("strlen missing", r.strlen("zz"), 0)
    R.eq("getrange", r.getrange("ap", 0, 4), "Hello")
    R.eq("getrange negative", r.getrange("ap", -5, -1), "World")
    R.eq("setrange", r.setrange("ap", 6, "Redis"), 11)
    R.eq("after setrange", r.get("ap"), "Hello Redis")
    R.eq("getdel", r.getdel("ap"), "Hello Redis")
    R.eq("getdel gone", r.exists("ap"), 0)
    r.set("gx", "v")
    R.eq("getex ex", r.getex("gx", ex=200), "v")
    in_range("getex ttl", r.ttl("gx"), 199, 200)
    R.eq("getex persist", r.getex("gx", persist=True), "v")
    R.eq("getex persist ttl", r.ttl("gx"), -1)

    R.eq("exists multi", r.exists("a", "b", "zz", "a"), 3)
    R.eq("delete", r.delete("a", "b", "zz"), 2)
    R.eq("unlink", r.unlink("c", "zz"), 1)
    R.eq("type string", r.type("greeting"), "string")
    R.eq("type none", r.type("zz"), "none")
    R.eq("rename", r.rename("greeting", "greeting2"), True)
    R.eq("renamenx taken", r.renamenx("greeting2", "nx"), False)
    R.eq("renamed value", r.get("greeting2"), "hi")
    expect_error("rename missing", redis.exceptions.ResponseError,
                 lambda: r.rename("zz", "yy"), message="no such key")
    R.eq("copy", r.copy("greeting2", "greeting3"), True)
    R.eq("copy value", r.get("greeting3"), "hi")
    R.eq("move", r.move("greeting3", 5), True)
    R.eq("moved away", r.get("greeting3"), None)
    r5 = redis.Redis(host=HOST, port=srv.port, db=5, decode_responses=True)
    R.eq("moved to db5", r5.get("greeting3"), "hi")
    r5.close()
    r.close()


@test
def t_pool_threads(srv):
    pool = redis.ConnectionPool(host=HOST, port=srv.port, decode_responses=True,
                                max_connections=16)
    r = redis.Redis(connection_pool=pool)
    r.delete("counter")
    seen = []
    errors = []
    lock = threading.Lock()

    def worker():
        mine = []
        try:
            for _ in range(500):
                mine.append(r.incr("counter"))
        except Exception as e:  # reported below
            errors.append(repr(e))
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    R.ok("pool threads finished", not any(t.is_alive() for t in threads), "threads still running after 60s")
    R.eq("pool thread errors", errors, [])
    R.eq("pool counter total", r.get("counter"), "4000")
    R.eq("pool each INCR result unique", sorted(seen), list(range(1, 4001)))
    created = pool._created_connections
    R.ok("pool connections used <= 8", 1 <= created <= 8, "created %d connections" % created)
    pool.disconnect()
    R.eq("pool works after disconnect", r.incr("counter"), 4001)
    pool.disconnect()


@test
def t_lock(srv):
    r = redis.Redis(host=HOST, port=srv.port, decode_responses=True)
    key = "lock:order:42"
    r.delete(key)
    mine, theirs = uuid.uuid4().hex, uuid.uuid4().hex
    R.eq("lock acquire", r.set(key, mine, nx=True, ex=10), True)
    R.eq("lock second acquire", r.set(key, theirs, nx=True, ex=10), None)
    in_range("lock ttl", r.ttl(key), 1, 10)
    in_range("lock pttl", r.pttl(key), 1, 10000)
    # A release by someone else must not delete it.
    released = r.get(key) == theirs and r.delete(key) == 1
    R.eq("lock foreign release refused", released, False)
    R.eq("lock still held", r.get(key), mine)
    # Release by the owner: GET, compare, DEL.
    R.eq("lock owner sees own token", r.get(key), mine)
    R.eq("lock release", r.delete(key), 1)
    R.eq("lock gone", r.exists(key), 0)
    R.eq("lock reacquire by other", r.set(key, theirs, nx=True, px=5000), True)
    in_range("lock px ttl", r.pttl(key), 1, 5000)
    r.delete(key)
    r.close()


@test
def t_sessions(srv):
    r = redis.Redis(host=HOST, port=srv.port, decode_responses=True)
    session = {"user_id": 42, "roles": ["admin", "dev"], "name": "Zoë"}
    R.eq("session setex", r.setex("session:abc", 1800, json.dumps(session)), True)
    R.eq("session get", json.loads(r.get("session:abc")), session)
    in_range("session ttl", r.ttl("session:abc"), 1799, 1800)
    R.eq("session refresh", r.expire("session:abc", 3600), True)
    in_range("session ttl refreshed", r.ttl("session:abc"), 3599, 3600)

    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"
    R.eq("jwt psetex", r.psetex("jwt:xyz", 100, jwt), True)
    R.eq("jwt get before expiry", r.get("jwt:xyz"), jwt)
    in_range("jwt pttl", r.pttl("jwt:xyz"), 1, 100)
    t0 = time.monotonic()
    gone = False
    while time.monotonic() - t0 < 2.0:
        if r.get("jwt:xyz") is None:
            gone = True
            break
        time.sleep(0.02)
    R.ok("jwt expired within 2s", gone, "still present after 2s")
    R.ok("jwt not expired too early", time.monotonic() - t0 >= 0.05 or not gone,
         "gone after %.3fs" % (time.monotonic() - t0))
    R.eq("jwt ttl after expiry", r.ttl("jwt:xyz"), -2)
    R.eq("jwt exists after expiry", r.exists("jwt:xyz"), 0)

    # Active expiry: keys vanish from DBSIZE without being touched.
    ra = redis.Redis(host=HOST, port=srv.port, db=7, decode_responses=True)
    ra.flushdb()
    for i in range(20):
        ra.psetex("tmp:%d" % i, 100, "x")
    ra.set("keep", "1")
    R.eq("active expiry dbsize before", ra.dbsize(), 21)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3.0 and ra.dbsize() != 1:
        time.sleep(0.05)
    R.eq("active expiry dbsize after (3s bound)", ra.dbsize(), 1)
    R.eq("active expiry info keyspace", ra.info("keyspace").get("db7"),
         {"keys": 1, "expires": 0, "avg_ttl": 0})
    ra.flushdb()
    ra.close()
    r.close()


@test
def t_keys_patterns(srv):
    r = redis.Redis(host=HOST, port=srv.port, db=1, decode_responses=True)
    r.flushdb()
    names = ["user:1", "user:2", "user:a", "user:b", "user:ab", "user:bcd",
             "user:10", "userx", "users:1", "admin:1", "user:", "User:1"]
    r.mset({n: "v" for n in names})
    R.eq("keys user:*", sorted(r.keys("user:*")),
         sorted(["user:1", "user:2", "user:a", "user:b", "user:ab", "user:bcd", "user:10", "user:"]))
    R.eq("keys user:?", sorted(r.keys("user:?")), ["user:1", "user:2", "user:a", "user:b"])
    R.eq("keys user:[ab]*", sorted(r.keys("user:[ab]*")), ["user:a", "user:ab", "user:b", "user:bcd"])
    R.eq("keys user:[^ab]*", sorted(r.keys("user:[^ab]*")), ["user:1", "user:10", "user:2"])
    R.eq("keys user:[0-9]", sorted(r.keys("user:[0-9]")), ["user:1", "user:2"])
    R.eq("keys *", len(r.keys("*")), len(names))
    R.eq("keys default", len(r.keys()), len(names))
    R.eq("keys [uU]ser:1", sorted(r.keys("[uU]ser:1")), ["User:1", "user:1"])
    R.eq("keys no match", r.keys("nomatch*"), [])
    r.set("q*mark", "v")
    R.eq("keys escaped star", r.keys("q\\*mark"), ["q*mark"])
    R.eq("randomkey is a key", r.randomkey() in names + ["q*mark"], True)
    r.flushdb()
    R.eq("randomkey empty", r.randomkey(), None)
    r.close()


@test
def t_scan(srv):
    r = redis.Redis(host=HOST, port=srv.port, db=2, decode_responses=True)
    r.flushdb()
    want = {"scan:%d" % i for i in range(2000)}
    p = r.pipeline(transaction=False)
    for k in sorted(want):
        p.set(k, "1")
    for i in range(100):
        p.set("other:%d" % i, "1")
    p.execute()
    R.eq("scan dbsize", r.dbsize(), 2100)
    got = list(r.scan_iter(match="scan:*", count=100))
    R.eq("scan_iter match count=100 total", len(got), 2000)
    R.ok("scan_iter match returns every key once", set(got) == want and len(set(got)) == len(got),
         "missing %d, extra %d, duplicates %d" % (len(want - set(got)), len(set(got) - want),
                                                   len(got) - len(set(got))))
    got = list(r.scan_iter(count=10))
    R.eq("scan_iter all count=10 total", len(got), 2100)
    R.eq("scan_iter all distinct", len(set(got)), 2100)
    got = list(r.scan_iter(match="other:1*"))
    R.eq("scan_iter default count", sorted(got),
         sorted(["other:1"] + ["other:1%d" % i for i in range(10)]))
    got = list(r.scan_iter(match="*", count=5000, _type="string"))
    R.eq("scan_iter _type=string", len(got), 2100)
    cursor, keys = r.scan(0, match="scan:*", count=5000)
    R.eq("scan one call cursor", cursor, 0)
    R.eq("scan one call keys", len(keys), 2000)
    cursor, keys = r.scan(0, count=10)
    R.ok("scan cursor is int", isinstance(cursor, int) and cursor > 0, "cursor %r" % cursor)
    r.flushdb()
    R.eq("scan empty db", r.scan(0), (0, []))
    r.close()


@test
def t_pipeline(srv):
    r = redis.Redis(host=HOST, port=srv.port, db=4, decode_responses=True)
    r.flushdb()
    p = r.pipeline(transaction=False)
    want = []
    for i in range(1000):
        m = i % 5
        if m == 0:
            p.set("p:%d" % i, "v%d" % i)
            want.append(True)
        elif m == 1:
            p.get("p:%d" % (i - 1))
            want.append("v%d" % (i - 1))
        elif m == 2:
            p.incr("p:counter")
            want.append(i // 5 + 1)
        elif m == 3:
            p.exists("p:%d" % (i - 3), "p:none")
            want.append(1)
        else:
            p.ttl("p:%d" % (i - 4))
            want.append(-1)
    res = p.execute()
    R.eq("pipeline result count", len(res), 1000)
    bad = [(i, res[i], want[i]) for i in range(min(len(res), 1000)) if res[i] != want[i]]
    R.ok("pipeline results", not bad, "first mismatches (index, got, want): %r" % bad[:5])
    R.eq("pipeline counter", r.get("p:counter"), "200")
    R.eq("pipeline dbsize", r.dbsize(), 201)

    with r.pipeline(transaction=False) as p:
        p.set("pe", "abc").incr("pe").get("pe")
        res = p.execute(raise_on_error=False)
    R.eq("pipeline error count", len(res), 3)
    R.eq("pipeline error first", res[0], True)
    R.ok("pipeline error middle is ResponseError",
         isinstance(res[1], redis.exceptions.ResponseError)
         and str(res[1]) == "value is not an integer or out of range",
         "got %r" % (res[1],))
    R.eq("pipeline error last", res[2], "abc")
    p = r.pipeline(transaction=False)
    p.set("pe", "abc").incr("pe")
    expect_error("pipeline raise_on_error", redis.exceptions.ResponseError, p.execute,
                 prefix="Command # 2 (INCRBY pe 1) of pipeline caused error: value is not an integer")
    r.flushdb()
    r.close()


@test
def t_server(srv):
    r = redis.Redis(host=HOST, port=srv.port, decode_responses=True)
    r.flushall()
    R.eq("ping", r.ping(), True)
    R.eq("echo", r.echo("hello world"), "hello world")
    R.eq("echo unicode", r.echo("héllo ✓ 日本"), "héllo ✓ 日本")
    R.eq("echo empty", r.echo(""), "")

    r.set("k1", "v")
    r.set("k2", "v", ex=1000)
    info = r.info()
    R.ok("info is dict", isinstance(info, dict), "got %r" % type(info))
    ver = info.get("redis_version")
    R.ok("info redis_version 7.x", isinstance(ver, str) and ver.startswith("7.")
         and ver.count(".") == 2, "got %r" % (ver,))
    R.eq("info redis_mode", info.get("redis_mode"), "standalone")
    R.eq("info tcp_port", info.get("tcp_port"), srv.port)
    R.ok("info connected_clients int >= 1",
         isinstance(info.get("connected_clients"), int) and info["connected_clients"] >= 1,
         "got %r" % (info.get("connected_clients"),))
    R.ok("info used_memory int > 0",
         isinstance(info.get("used_memory"), int) and info["used_memory"] > 0,
         "got %r" % (info.get("used_memory"),))
    R.ok("info uptime_in_seconds int", isinstance(info.get("uptime_in_seconds"), int),
         "got %r" % (info.get("uptime_in_seconds"),))
    R.eq("info role", info.get("role"), "master")
    R.eq("info db0 keys/expires", {k: info.get("db0", {}).get(k) for k in ("keys", "expires")},
         {"keys": 2, "expires": 1})
    R.ok("info db0 avg_ttl int", isinstance(info.get("db0", {}).get("avg_ttl"), int),
         "db0 = %r" % (info.get("db0"),))
    R.ok("info has no db1", "db1" not in info, "db1 = %r" % (info.get("db1"),))
    ks = r.info("keyspace")
    R.eq("info keyspace only", sorted(ks), ["db0"])
    cl = r.info("clients")
    R.ok("info clients section", "connected_clients" in cl and "redis_version" not in cl,
         "got keys %r" % sorted(cl)[:10])
    srvinfo = r.info("server")
    R.eq("info server process_id", srvinfo.get("process_id"), srv.proc.pid)
    stats = r.info("stats")
    R.ok("info stats total_commands_processed",
         isinstance(stats.get("total_commands_processed"), int) and stats["total_commands_processed"] > 0,
         "got %r" % (stats.get("total_commands_processed"),))

    R.eq("config_get maxclients", r.config_get("maxclients"), {"maxclients": "10000"})
    R.eq("config_get databases", r.config_get("databases"), {"databases": "16"})
    R.eq("config_get glob", r.config_get("maxclient*"), {"maxclients": "10000"})
    R.eq("config_get unknown", r.config_get("no-such-param"), {})
    R.eq("config_set timeout 0", r.config_set("timeout", 0), True)
    R.eq("config_get timeout", r.config_get("timeout"), {"timeout": "0"})
    R.eq("config_set timeout 300", r.config_set("timeout", 300), True)
    R.eq("config_get timeout 300", r.config_get("timeout"), {"timeout": "300"})
    R.eq("config_set timeout back", r.config_set("timeout", 0), True)
    expect_error("config_set bad int", redis.exceptions.ResponseError,
                 lambda: r.config_set("timeout", "abc"),
                 prefix="CONFIG SET failed (possibly related to argument 'timeout')")
    expect_error("config_set unknown", redis.exceptions.ResponseError,
                 lambda: r.config_set("no-such-param", "1"),
                 prefix="Unknown option or number of arguments for CONFIG SET - 'no-such-param'")
    R.eq("config_resetstat", r.config_resetstat(), True)

    R.eq("dbsize", r.dbsize(), 2)
    R.eq("flushdb", r.flushdb(), True)
    R.eq("dbsize after flushdb", r.dbsize(), 0)
    r.mset({"x1": "1", "x2": "2", "x3": "3"})
    R.eq("dbsize 3", r.dbsize(), 3)
    R.eq("flushdb asynchronous", r.flushdb(asynchronous=True), True)
    R.eq("dbsize after async flush", r.dbsize(), 0)

    t = r.time()
    now = time.time()
    R.ok("time shape", isinstance(t, tuple) and len(t) == 2 and all(isinstance(x, int) for x in t),
         "got %r" % (t,))
    if isinstance(t, tuple) and len(t) == 2:
        R.ok("time seconds near now", abs(t[0] + t[1] / 1e6 - now) < 5, "got %r, now %r" % (t, now))
        R.ok("time micros range", 0 <= t[1] < 1000000, "got %r" % (t,))
    r.close()


@test
def t_client(srv):
    r = redis.Redis(host=HOST, port=srv.port, decode_responses=True)
    R.eq("client_getname unset", r.client_getname(), None)
    R.eq("client_setname", r.client_setname("web-1"), True)
    R.eq("client_getname", r.client_getname(), "web-1")
    cid = r.client_id()
    R.ok("client_id positive int", isinstance(cid, int) and cid > 0, "got %r" % (cid,))
    lst = r.client_list()
    R.ok("client_list is list of dicts", isinstance(lst, list) and lst and all(isinstance(c, dict) for c in lst),
         "got %r" % (lst,))
    mine = [c for c in lst if c.get("name") == "web-1"]
    R.eq("client_list has my name once", len(mine), 1)
    if mine:
        R.eq("client_list my id", mine[0].get("id"), str(cid))
        R.eq("client_list my db", mine[0].get("db"), "0")
        R.eq("client_list my cmd", mine[0].get("cmd"), "client|list")
        R.ok("client_list addr", mine[0].get("addr", "").startswith("127.0.0.1:"),
             "got %r" % (mine[0].get("addr"),))
    ci = r.client_info()
    R.eq("client_info name", ci.get("name"), "web-1")
    R.eq("client_info id", str(ci.get("id")), str(cid))
    lst = r.client_list(_type="normal")
    R.ok("client_list type normal", any(c.get("id") == str(cid) for c in lst), "got %r" % (lst,))
    expect_error("client_setname with space", redis.exceptions.ResponseError,
                 lambda: r.client_setname("has space"),
                 message="Client names cannot contain spaces, newlines or special characters.")
    R.eq("client_setname empty clears", r.client_setname(""), True)
    R.eq("client_getname after clear", r.client_getname(), None)

    named = redis.Redis(host=HOST, port=srv.port, decode_responses=True, client_name="worker-7")
    R.eq("client_name= on connect", named.client_getname(), "worker-7")
    other = redis.Redis(host=HOST, port=srv.port, decode_responses=True)
    oid = other.client_id()
    R.eq("client ids differ", oid != cid, True)
    before = r.info("clients")["connected_clients"]
    R.eq("client_kill_filter by id", r.client_kill_filter(_id=oid), 1)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and r.info("clients")["connected_clients"] != before - 1:
        time.sleep(0.02)
    R.eq("connected_clients after kill", r.info("clients")["connected_clients"], before - 1)
    R.eq("client_kill_filter unknown id", r.client_kill_filter(_id=999999), 0)
    expect_error("client_kill unknown addr", redis.exceptions.ResponseError,
                 lambda: r.client_kill("127.0.0.1:1"), message="No such client")
    other.close()
    named.close()
    r.close()


@test
def t_databases(srv):
    r0 = redis.Redis(host=HOST, port=srv.port, decode_responses=True)
    r3 = redis.Redis(host=HOST, port=srv.port, db=3, decode_responses=True)
    r0.flushall()
    R.eq("db3 set", r3.set("dbkey", "three"), True)
    R.eq("db0 does not see db3", r0.get("dbkey"), None)
    R.eq("db3 get", r3.get("dbkey"), "three")
    R.eq("db3 dbsize", r3.dbsize(), 1)
    R.eq("db0 dbsize", r0.dbsize(), 0)
    R.eq("info keyspace db3", r0.info("keyspace"), {"db3": {"keys": 1, "expires": 0, "avg_ttl": 0}})
    r0.set("sw", "zero")
    r3.set("sw", "three")
    R.eq("swapdb", r0.swapdb(0, 3), True)
    R.eq("swapdb db0 now", r0.get("sw"), "three")
    R.eq("swapdb db3 now", r3.get("sw"), "zero")
    R.eq("swapdb moved dbkey", r0.get("dbkey"), "three")
    R.eq("swapdb db3 size", r3.dbsize(), 1)
    expect_error("swapdb out of range", redis.exceptions.ResponseError,
                 lambda: r0.swapdb(0, 16), message="DB index is out of range")
    url = redis.Redis.from_url("redis://%s:%d/3" % (HOST, srv.port), decode_responses=True)
    R.eq("from_url db3", url.get("sw"), "zero")
    url.close()
    bad = redis.Redis(host=HOST, port=srv.port, db=16, decode_responses=True)
    expect_error("Redis(db=16)", redis.exceptions.ResponseError, bad.ping,
                 message="DB index is out of range")
    bad.close()
    R.eq("flushall", r0.flushall(), True)
    R.eq("flushall emptied db3", r3.dbsize(), 0)
    r0.close()
    r3.close()


@test
def t_object(srv):
    r = redis.Redis(host=HOST, port=srv.port, decode_responses=True)
    r.set("oi", 12345)
    r.set("oe", "short string")
    r.set("or", "x" * 100)
    r.set("oa", "ab")
    r.append("oa", "c")
    R.eq("object encoding int", r.object("encoding", "oi"), "int")
    R.eq("object encoding embstr", r.object("encoding", "oe"), "embstr")
    R.eq("object encoding raw", r.object("encoding", "or"), "raw")
    R.eq("object encoding raw after append", r.object("encoding", "oa"), "raw")
    R.eq("object encoding 44 bytes embstr", (r.set("o44", "y" * 44), r.object("encoding", "o44"))[1], "embstr")
    R.eq("object encoding 45 bytes raw", (r.set("o45", "y" * 45), r.object("encoding", "o45"))[1], "raw")
    R.eq("object encoding missing", r.object("encoding", "nokey"), None)
    R.ok("object idletime int", isinstance(r.object("idletime", "oi"), int), "not int")
    R.ok("object refcount int", isinstance(r.object("refcount", "oe"), int), "not int")
    r.close()


@test
def t_auth(srv):
    sec = start_server(password="secret")
    try:
        noauth = redis.Redis(host=HOST, port=sec.port, decode_responses=True)
        try:
            noauth.get("k")
            R.fail("auth required", "GET without password succeeded")
        except redis.exceptions.AuthenticationError as e:
            R.eq("auth required message", str(e), "Authentication required.")
        except redis.exceptions.ResponseError as e:
            R.ok("auth required NOAUTH", "NOAUTH" in str(e), "got %r" % str(e))
        noauth.close()
        good = redis.Redis(host=HOST, port=sec.port, password="secret", decode_responses=True)
        R.eq("auth good set", good.set("k", "v"), True)
        R.eq("auth good get", good.get("k"), "v")
        good.close()
        user = redis.Redis(host=HOST, port=sec.port, username="default", password="secret",
                           decode_responses=True)
        R.eq("auth default user", user.get("k"), "v")
        user.close()
        url = redis.Redis.from_url("redis://:secret@%s:%d/0" % (HOST, sec.port), decode_responses=True)
        R.eq("auth via url", url.get("k"), "v")
        url.close()
        # redis-py 4.3 raises ResponseError("WRONGPASS ...") for Redis 7's
        # reply (AuthenticationError only for the older "invalid password").
        wrong = redis.Redis(host=HOST, port=sec.port, password="wrong", decode_responses=True)
        try:
            wrong.get("k")
            R.fail("auth wrong password", "GET with a wrong password succeeded")
        except (redis.exceptions.AuthenticationError, redis.exceptions.ResponseError) as e:
            R.eq("auth wrong password message", str(e),
                 "WRONGPASS invalid username-password pair or user is disabled.")
        wrong.close()
        pool = redis.ConnectionPool(host=HOST, port=sec.port, password="secret", decode_responses=True)
        pr = redis.Redis(connection_pool=pool)
        R.eq("auth pool incr", [pr.incr("n") for _ in range(3)], [1, 2, 3])
        pool.disconnect()
    finally:
        sec.stop()
    # AUTH against a server without requirepass.
    r = redis.Redis(host=HOST, port=srv.port, decode_responses=True)
    expect_error("auth without requirepass", redis.exceptions.ResponseError,
                 lambda: r.execute_command("AUTH", "foo"),
                 message="AUTH <password> called without any password configured for the default user. "
                         "Are you sure your configuration is correct?")
    r.close()


@test
def t_binary(srv):
    rb = redis.Redis(host=HOST, port=srv.port, decode_responses=False)
    value = b"\x00\xff" + bytes(range(256)) + b"\r\n\x00end\xff"
    key = b"bin\x00key\xff\r\n"
    R.eq("binary set", rb.set(key, value), True)
    R.eq("binary get", rb.get(key), value)
    R.eq("binary strlen", rb.strlen(key), len(value))
    R.eq("binary getrange", rb.getrange(key, 0, 1), b"\x00\xff")
    R.eq("binary append", rb.append(key, b"\x00"), len(value) + 1)
    R.eq("binary exists", rb.exists(key), 1)
    R.eq("binary keys", rb.keys(b"bin\x00*"), [key])
    R.eq("binary mget", rb.mget([key, b"\xff"]), [value + b"\x00", None])
    R.eq("binary empty value", (rb.set(b"empty", b""), rb.get(b"empty"))[1], b"")
    R.eq("binary echo", rb.echo(b"\x00\x01\xfe\xff"), b"\x00\x01\xfe\xff")
    rb.delete(key, b"empty")

    big = bytes((i * 131 + (i >> 8)) & 0xFF for i in range(256)) * (10 * 1024 * 1024 // 256)
    R.eq("10MB set", rb.set(b"big", big), True)
    R.eq("10MB strlen", rb.strlen(b"big"), 10 * 1024 * 1024)
    got = rb.get(b"big")
    R.ok("10MB get round trip", got == big,
         "len %s, first difference at %s" % (len(got) if got else None,
                                              next((i for i in range(min(len(got or b""), len(big)))
                                                    if got[i] != big[i]), None)))
    R.eq("10MB getrange tail", rb.getrange(b"big", -4, -1), big[-4:])
    R.eq("10MB append", rb.append(b"big", b"!"), 10 * 1024 * 1024 + 1)
    R.eq("10MB delete", rb.delete(b"big"), 1)
    rb.close()


@test
def t_incrbyfloat(srv):
    r = redis.Redis(host=HOST, port=srv.port, decode_responses=True)
    r.set("f", "10.50")
    R.eq("incrbyfloat returns float", r.incrbyfloat("f", 0.1), 10.6)
    R.eq("incrbyfloat stored string", r.get("f"), "10.6")
    R.eq("incrbyfloat negative", r.incrbyfloat("f", -5), 5.6)
    R.eq("incrbyfloat stored 5.6", r.get("f"), "5.6")
    r.set("f", "5.0e3")
    R.eq("incrbyfloat exponent", r.incrbyfloat("f", "2.0e2"), 5200.0)
    R.eq("incrbyfloat stored 5200", r.get("f"), "5200")
    r.delete("g")
    R.eq("incrbyfloat new key", r.incrbyfloat("g", 3.0), 3.0)
    R.eq("incrbyfloat new key stored", r.get("g"), "3")
    r.set("g", "1")
    R.eq("incrbyfloat on int", r.incrbyfloat("g", 0.5), 1.5)
    R.eq("incrbyfloat raw string via execute_command",
         r.execute_command("INCRBYFLOAT", "g", "1.25"), 2.75)
    R.eq("incrbyfloat stored 2.75", r.get("g"), "2.75")
    r.set("g", "abc")
    expect_error("incrbyfloat not a float", redis.exceptions.ResponseError,
                 lambda: r.incrbyfloat("g", 1), message="value is not a valid float")
    r.set("g", "1")
    expect_error("incrbyfloat inf", redis.exceptions.ResponseError,
                 lambda: r.incrbyfloat("g", "inf"), message="increment would produce NaN or Infinity")
    R.eq("incrbyfloat unchanged after error", r.get("g"), "1")
    r.close()


@test
def t_errors(srv):
    r = redis.Redis(host=HOST, port=srv.port, decode_responses=True)
    RE = redis.exceptions.ResponseError
    expect_error("wrong arity get", RE, lambda: r.execute_command("GET"),
                 message="wrong number of arguments for 'get' command")
    expect_error("wrong arity set", RE, lambda: r.execute_command("SET", "k"),
                 message="wrong number of arguments for 'set' command")
    expect_error("wrong arity mset odd", RE, lambda: r.execute_command("MSET", "a", "1", "b"),
                 message="wrong number of arguments for 'mset' command")
    expect_error("unknown command", RE, lambda: r.execute_command("NOSUCHCMD", "a", "b"),
                 message="unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' ")
    expect_error("unknown command no args", RE, lambda: r.execute_command("FOOBAR"),
                 message="unknown command 'FOOBAR', with args beginning with: ")
    expect_error("unknown subcommand", RE, lambda: r.execute_command("CLIENT", "NOPE"),
                 prefix="unknown subcommand 'NOPE'. Try CLIENT HELP.")
    r.set("s", "abc")
    expect_error("incr not integer", RE, lambda: r.incr("s"),
                 message="value is not an integer or out of range")
    r.set("n", "9223372036854775807")
    expect_error("incr overflow", RE, lambda: r.incr("n"),
                 message="increment or decrement would overflow")
    expect_error("incrby huge", RE, lambda: r.incrby("n2", 2 ** 64),
                 message="value is not an integer or out of range")
    expect_error("expire not integer", RE, lambda: r.execute_command("EXPIRE", "s", "abc"),
                 message="value is not an integer or out of range")
    expect_error("set ex 0", RE, lambda: r.set("s", "v", ex=0),
                 message="invalid expire time in 'set' command")
    expect_error("set syntax", RE, lambda: r.execute_command("SET", "s", "v", "BOGUS"),
                 message="syntax error")
    expect_error("select out of range", RE, lambda: r.execute_command("SELECT", "99"),
                 message="DB index is out of range")
    # Client-side validation (never reaches the server).
    expect_error("DataError dict value", redis.exceptions.DataError, lambda: r.set("k", {"a": 1}))
    expect_error("DataError None value", redis.exceptions.DataError, lambda: r.set("k", None))
    expect_error("set ex+px (server syntax error)", RE,
                 lambda: r.set("k", "v", ex=1, px=1), message="syntax error")
    expect_error("DataError set ex float", redis.exceptions.DataError,
                 lambda: r.set("k", "v", ex=1.5))
    R.ok("ResponseError is a RedisError", issubclass(RE, redis.exceptions.RedisError), "")
    # The connection is still usable after every error above.
    R.eq("ping after errors", r.ping(), True)
    R.eq("value untouched by failed set", r.get("s"), "abc")
    # Connection refused -> ConnectionError.
    dead = redis.Redis(host=HOST, port=keeltest.free_port(), socket_connect_timeout=2)
    expect_error("ConnectionError on closed port", redis.exceptions.ConnectionError, dead.ping)
    r.close()


def main():
    try:
        srv = start_server()
    except keeltest.SetupError as e:
        R.fail("start server", str(e))
        R.finish()
    print("testing %s on port %d with redis-py %s" % (srv.name, srv.port, redis.__version__))
    for fn in TESTS:
        before = R.failed
        t0 = time.monotonic()
        try:
            fn(srv)
        except Exception:
            R.fail("%s raised" % fn.__name__, traceback.format_exc())
        if not srv.alive():
            R.fail("%s: server died" % fn.__name__, srv.log_tail())
            srv = start_server()
        print("%-20s %s (%.2fs)" % (fn.__name__, "ok" if R.failed == before else
                                    "%d failed" % (R.failed - before), time.monotonic() - t0))
    R.finish()


if __name__ == "__main__":
    main()
