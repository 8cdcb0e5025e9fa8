"""test_sentinel_commands: keel-sentinel answers clients as Redis Sentinel
7.0 does, command by command.

A keel-server primary with one replica is watched by keel-sentinel and by
Debian's redis-sentinel under the same name (they find each other through
the primary's hello channel).  Once both know the replica and each other,
every command is sent to both and the replies compared: errors byte for
byte (arity, unknown commands and subcommands, bad arguments, AUTH,
PUBLISH, the pub/sub context), fixed replies exactly (ROLE, CKQUORUM,
GET-MASTER-ADDR-BY-NAME, IS-MASTER-DOWN-BY-ADDR and its vote, CONFIG GET,
INFO sentinel, pub/sub replies, +set/+monitor/-monitor events), and the
instance tables (SENTINEL MASTER/MASTERS/REPLICAS/SENTINELS, INFO-CACHE,
INFO, CLIENT LIST) by field names, order and types, with exact values where
they must agree.  A first phase compares AUTH with requirepass.  redis-py's
Sentinel must discover the primary and the replica through keel-sentinel.

Without /usr/bin/redis-sentinel the Redis side is skipped: keel-sentinel is
then checked against Redis 7.0's field lists written below.

Run by hand: KEEL_SERVER=... KEEL_SENTINEL=... /usr/bin/python3 \
    tests/compat/test_sentinel_commands.py
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest as kt  # noqa: E402

try:
    import redis  # Debian's python3-redis
    from redis.sentinel import Sentinel
except ImportError:  # pragma: no cover
    print("redis-py missing: apt-get install python3-redis")
    sys.exit(1)

R = kt.Results()
NAME = "mymaster"
REDIS_SENTINEL = "/usr/bin/redis-sentinel"
HAVE_REDIS = os.access(REDIS_SENTINEL, os.X_OK)
WAIT = 30.0  # seconds for discovery (hello messages every 1-2 s)
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Redis Sentinel 7.0's fields, in its order (the unconditional ones).
COMMON = ["name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
          "last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds"]
MASTER_FIELDS = COMMON + ["info-refresh", "role-reported", "role-reported-time", "config-epoch",
                          "num-slaves", "num-other-sentinels", "quorum", "failover-timeout",
                          "parallel-syncs"]
REPLICA_FIELDS = COMMON + ["info-refresh", "role-reported", "role-reported-time",
                           "master-link-down-time", "master-link-status", "master-host",
                           "master-port", "slave-priority", "slave-repl-offset",
                           "replica-announced"]
SENTINEL_FIELDS = COMMON + ["last-hello-message", "voted-leader", "voted-leader-epoch"]
INT_FIELDS = {"port", "link-pending-commands", "link-refcount", "last-ping-sent",
              "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds", "info-refresh",
              "role-reported-time", "config-epoch", "num-slaves", "num-other-sentinels", "quorum",
              "failover-timeout", "parallel-syncs", "master-link-down-time", "master-port",
              "slave-priority", "slave-repl-offset", "replica-announced", "last-hello-message",
              "voted-leader-epoch", "s-down-time", "o-down-time"}
CLIENT_LIST_FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub",
                      "psub", "ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs",
                      "rbp", "obl", "oll", "omem", "tot-mem", "events", "cmd", "user", "redir",
                      "resp"]
INFO_SECTIONS = ["Server", "Clients", "Stats", "CPU", "Sentinel"]


def keel_sentinel_path():
    path = os.environ.get("KEEL_SENTINEL")
    if not path:  # run by hand: the newest build*/sentinel/keel-sentinel
        found = []
        for d in os.listdir(ROOT):
            p = os.path.join(ROOT, d, "sentinel", "keel-sentinel")
            if d.startswith("build") and os.access(p, os.X_OK):
                found.append((os.path.getmtime(p), p))
        if found:
            path = max(found)[1]
    if not path or not os.access(path, os.X_OK):
        raise kt.SetupError("keel-sentinel not found: set KEEL_SENTINEL (got %r)" % path)
    return path


def start_sentinel(binary, name, lines):
    """Start a sentinel on a free port with a writable config file made of
    `lines` (it rewrites the file as its state changes)."""
    workdir = kt.tmpdir(name + "-")
    for attempt in range(3):
        port = kt.free_port()
        conf = os.path.join(workdir, "sentinel.conf")
        with open(conf, "w") as f:
            f.write("port %d\ndir %s\n" % (port, workdir))
            for line in lines:
                f.write(line + "\n")
        try:
            return kt.Server(name, [binary, conf], port, workdir).start()
        except kt.SetupError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def pairs(flat):
    """[k1, v1, k2, v2] -> [(k1, v1), ...] with str keys."""
    return [(flat[i].decode(), flat[i + 1]) for i in range(0, len(flat), 2)]


def wait_until(what, pred, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return True
        except (OSError, ValueError, IndexError, KeyError):
            pass
        time.sleep(0.1)
    R.fail("wait: " + what, "not within %.0f s" % timeout)
    return False


class Pair:
    """The same request to both sentinels (Redis's reply first)."""

    def __init__(self, ref, keel):
        self.ref = ref.conn() if ref else None
        self.keel = keel.conn()

    def call(self, *args):
        return (self.ref.call(*args) if self.ref else None), self.keel.call(*args)

    def same(self, name, *args, expect=None):
        """Exact replies: Redis's, or `expect` (raw bytes) without Redis."""
        ref, keel = self.call(*args)
        want = ref if self.ref else expect
        if want is None:
            return keel
        R.eq(name, keel, want)
        return keel

    def same_unordered(self, name, *args):
        """Replies whose order is a hash table's in Redis: same elements."""
        ref, keel = self.call(*args)
        if self.ref:
            a, b = kt.parse(ref), kt.parse(keel)
            R.eq(name, sorted(map(repr, b)), sorted(map(repr, a)))
        return keel


# ------------------------------------------------------------------ phase 1: AUTH

def check_auth():
    keel = start_sentinel(keel_sentinel_path(), "keel-sentinel-auth", ["requirepass sekret"])
    ref = start_sentinel(REDIS_SENTINEL, "redis-sentinel-auth",
                         ["requirepass sekret"]) if HAVE_REDIS else None
    p = Pair(ref, keel)
    noauth = b"-NOAUTH Authentication required.\r\n"
    wrongpass = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    p.same("auth: ping before AUTH", "PING", expect=noauth)
    p.same("auth: unknown command before AUTH", "FOO",
           expect=b"-ERR unknown command 'FOO', with args beginning with: \r\n")
    p.same("auth: arity checked before AUTH", "SENTINEL",
           expect=b"-ERR wrong number of arguments for 'sentinel' command\r\n")
    p.same("auth: sentinel masters before AUTH", "SENTINEL", "MASTERS", expect=noauth)
    p.same("auth: unknown subcommand before AUTH", "SENTINEL", "FOO",
           expect=b"-ERR unknown subcommand 'FOO'. Try SENTINEL HELP.\r\n")
    p.same("auth: subscribe before AUTH", "SUBSCRIBE", "x", expect=noauth)
    p.same("auth: HELLO before AUTH", "HELLO", "2")
    p.same("auth: HELLO AUTH wrong password", "HELLO", "2", "AUTH", "default", "x",
           expect=wrongpass)
    p.same("auth: HELLO AUTH unknown user", "HELLO", "2", "AUTH", "bob", "sekret",
           expect=wrongpass)
    p.same("auth: AUTH arity", "AUTH",
           expect=b"-ERR wrong number of arguments for 'auth' command\r\n")
    p.same("auth: AUTH wrong password", "AUTH", "x", expect=wrongpass)
    p.same("auth: AUTH unknown user", "AUTH", "bob", "sekret", expect=wrongpass)
    p.same("auth: AUTH syntax", "AUTH", "a", "b", "c", expect=b"-ERR syntax error\r\n")
    p.same("auth: AUTH ok", "AUTH", "sekret", expect=b"+OK\r\n")
    p.same("auth: ping after AUTH", "PING", expect=b"+PONG\r\n")
    p.same("auth: AUTH default ok", "AUTH", "default", "sekret", expect=b"+OK\r\n")
    p.same("auth: failed AUTH keeps the session", "AUTH", "x", expect=wrongpass)
    p.same("auth: still authenticated", "PING", expect=b"+PONG\r\n")
    p.same("auth: ACL WHOAMI", "ACL", "WHOAMI", expect=b"$7\r\ndefault\r\n")
    # HELLO AUTH authenticates a fresh connection.
    fresh = Pair(ref, keel)
    ref_r, keel_r = fresh.call("HELLO", "2", "AUTH", "default", "sekret")
    R.ok("auth: HELLO AUTH ok", kt.parse(keel_r)[8:10] == [b"mode", b"sentinel"], repr(keel_r))
    fresh.same("auth: ping after HELLO AUTH", "PING", expect=b"+PONG\r\n")
    # Unauthenticated requests are held to Redis's small limits.
    big = kt.RawConn(keel.port)
    big.send(b"*11\r\n" + b"$1\r\nx\r\n" * 11)
    R.eq("auth: unauthenticated multibulk limit", big.read_reply(),
         b"-ERR Protocol error: unauthenticated multibulk length\r\n")
    R.ok("auth: connection closed after the protocol error", big.is_closed())
    big.close()
    keel.stop()
    if ref:
        ref.stop()


# ------------------------------------------------------------------ phase 2

def discovered(conn):
    """Both know the replica (its INFO arrived) and one other sentinel."""
    m = dict(pairs(kt.parse(conn.call("SENTINEL", "MASTER", NAME))))
    if m.get("num-slaves") != b"1" or m.get("num-other-sentinels") != (b"1" if HAVE_REDIS else b"0"):
        return False
    reps = kt.parse(conn.call("SENTINEL", "REPLICAS", NAME))
    rep = dict(pairs(reps[0]))
    return rep.get("master-link-status") == b"ok" and rep.get("info-refresh") != b"0" and \
        rep.get("runid") not in (None, b"")


def check_instance_table(name, keel_flat, ref_flat, want_fields, exact=()):
    keel_p, keys = pairs(keel_flat), None
    keys = [k for k, _ in keel_p]
    R.eq(name + ": fields and order", keys, want_fields)
    for k, v in keel_p:
        if k in INT_FIELDS:
            R.ok("%s: %s is an integer" % (name, k), v.lstrip(b"-").isdigit(), repr(v))
    if ref_flat is not None:
        R.eq(name + ": fields as Redis", keys, [k for k, _ in pairs(ref_flat)])
        ref_d, keel_d = dict(pairs(ref_flat)), dict(keel_p)
        for k in exact:
            R.eq("%s: %s as Redis" % (name, k), keel_d.get(k), ref_d.get(k))


def check_tables(p, primary, replica, keel, ref):
    ref_r, keel_r = p.call("SENTINEL", "MASTER", NAME)
    exact = ("name", "ip", "port", "runid", "flags", "link-refcount", "down-after-milliseconds",
             "role-reported", "config-epoch", "num-slaves", "num-other-sentinels", "quorum",
             "failover-timeout", "parallel-syncs")
    check_instance_table("MASTER", kt.parse(keel_r), kt.parse(ref_r) if ref_r else None,
                         MASTER_FIELDS, exact)
    m = dict(pairs(kt.parse(keel_r)))
    R.eq("MASTER: port is the primary's", m["port"], str(primary.port).encode())
    R.eq("MASTER: flags", m["flags"], b"master")

    ref_r, keel_r = p.call("SENTINEL", "MASTERS")
    R.eq("MASTERS: one master", len(kt.parse(keel_r)), 1)
    check_instance_table("MASTERS", kt.parse(keel_r)[0],
                         kt.parse(ref_r)[0] if ref_r else None, MASTER_FIELDS, exact)

    exact = ("name", "ip", "port", "runid", "flags", "link-refcount", "down-after-milliseconds",
             "role-reported", "master-link-status", "master-host", "master-port",
             "slave-priority", "replica-announced")
    for cmd in ("REPLICAS", "SLAVES"):
        ref_r, keel_r = p.call("SENTINEL", cmd, NAME)
        reps = kt.parse(keel_r)
        R.eq(cmd + ": one replica", len(reps), 1)
        check_instance_table(cmd, reps[0], kt.parse(ref_r)[0] if ref_r else None, REPLICA_FIELDS,
                             exact)
        rep = dict(pairs(reps[0]))
        R.eq(cmd + ": name is ip:port", rep["name"], b"127.0.0.1:%d" % replica.port)
        R.eq(cmd + ": master-port", rep["master-port"], str(primary.port).encode())

    ref_r, keel_r = p.call("SENTINEL", "SENTINELS", NAME)
    sents = kt.parse(keel_r)
    if ref:
        R.eq("SENTINELS: one other", len(sents), 1)
        ref_s = kt.parse(ref_r)
        check_instance_table("SENTINELS", sents[0], ref_s[0], SENTINEL_FIELDS,
                             ("link-refcount", "down-after-milliseconds", "voted-leader"))
        keel_sees, ref_sees = dict(pairs(sents[0])), dict(pairs(ref_s[0]))
        ref_id = kt.parse(p.ref.call("SENTINEL", "MYID"))
        keel_id = kt.parse(p.keel.call("SENTINEL", "MYID"))
        R.eq("SENTINELS: keel sees redis-sentinel's run id", keel_sees["runid"], ref_id)
        R.eq("SENTINELS: keel sees redis-sentinel's port", keel_sees["port"],
             str(ref.port).encode())
        R.eq("SENTINELS: redis-sentinel sees keel's run id", ref_sees["runid"], keel_id)
        R.eq("SENTINELS: redis-sentinel sees keel's port", ref_sees["port"],
             str(keel.port).encode())
        # Redis 7.0 names a sentinel by its run id.
        R.eq("SENTINELS: a sentinel's name is its run id", keel_sees["name"], keel_sees["runid"])
    for cmd in ("MASTER", "REPLICAS", "SENTINELS"):
        p.same("SENTINEL %s unknown master" % cmd, "SENTINEL", cmd, "nope",
               expect=b"-ERR No such master with that name\r\n")

    # INFO-CACHE: [name, [[age, info], ...]] for the master and its replica.
    ref_r, keel_r = p.call("SENTINEL", "INFO-CACHE", NAME, "nope", NAME)
    ic = kt.parse(keel_r)
    ok = len(ic) == 2 and ic[0] == NAME.encode() and len(ic[1]) == 2 and \
        all(isinstance(e[0], int) and isinstance(e[1], bytes) and e[1].startswith(b"# Server")
            for e in ic[1])
    R.ok("INFO-CACHE: shape", ok, repr(keel_r[:300]))
    if ref_r:
        rc = kt.parse(ref_r)
        R.eq("INFO-CACHE: shape as Redis", (len(ic), len(ic[1])), (len(rc), len(rc[1])))
    p.same("INFO-CACHE unknown master", "SENTINEL", "INFO-CACHE", "nope", expect=b"*0\r\n")


def info_fields(raw):
    text = kt.parse(raw).decode()
    sections, cur = [], None
    for line in text.split("\r\n"):
        if line.startswith("# "):
            cur = (line[2:], [])
            sections.append(cur)
        elif line and cur:
            cur[1].append(line.split(":", 1)[0])
    return sections


def check_info(p):
    ref_r, keel_r = p.call("INFO")
    ks = info_fields(keel_r)
    R.eq("INFO: sections", [s for s, _ in ks], INFO_SECTIONS)
    body = kt.parse(keel_r)
    R.ok("INFO: sections separated by a blank line, ending in CRLF",
         body.count(b"\r\n\r\n#") == 4 and body.endswith(b"\r\n") and not body.endswith(b"\r\n\r\n"),
         repr(body[-60:]))
    R.ok("INFO: redis_mode:sentinel", b"\r\nredis_mode:sentinel\r\n" in body)
    if ref_r:
        rs = info_fields(ref_r)
        for (name, kf), (_, rf) in zip(ks, rs):
            if name == "Sentinel":
                continue
            R.eq("INFO %s: field names as Redis" % name, kf, rf)
        for arg in ("server", "clients", "stats", "cpu", "default", "all", "everything",
                    "SERVER", "nosuch"):
            ref_r, keel_r = p.call("INFO", arg)
            R.eq("INFO %s: sections as Redis" % arg, [s for s, _ in info_fields(keel_r)],
                 [s for s, _ in info_fields(ref_r)])
        ref_r, keel_r = p.call("INFO", "sentinel", "server")
        R.eq("INFO sentinel server: sections as Redis", [s for s, _ in info_fields(keel_r)],
             [s for s, _ in info_fields(ref_r)])
    p.same("INFO sentinel", "INFO", "sentinel")
    p.same("INFO nosuch", "INFO", "nosuch", expect=b"$0\r\n\r\n")


def check_exact(p, primary):
    """Replies that must be byte-identical."""
    cases = [
        ("PING", ["PING"]), ("PING msg", ["PING", "hi"]), ("PING arity", ["PING", "a", "b"]),
        ("ECHO unknown", ["ECHO", "a"]), ("QUIT unknown", ["QUIT"]), ("RESET unknown", ["RESET"]),
        ("unknown command", ["NOSUCH", "a", "b"]),
        ("unknown command long", ["NOSUCH", "x" * 200, "y" * 10]),
        ("ROLE", ["ROLE"]), ("ROLE arity", ["ROLE", "x"]),
        ("HELLO 1", ["HELLO", "1"]), ("HELLO x", ["HELLO", "x"]),
        ("HELLO bad option", ["HELLO", "2", "FOO"]),
        ("HELLO bad name", ["HELLO", "2", "SETNAME", "a b"]),
        ("AUTH without requirepass", ["AUTH", "a"]),
        ("AUTH user without requirepass", ["AUTH", "bob", "b"]),
        ("AUTH default without requirepass", ["AUTH", "default", "anything"]),
        ("SENTINEL arity", ["SENTINEL"]), ("SENTINEL unknown", ["SENTINEL", "nosuch"]),
        ("SENTINEL INFO unknown", ["SENTINEL", "INFO"]),
        ("SENTINEL HELP", ["SENTINEL", "HELP"]),
        ("SENTINEL MASTERS arity", ["SENTINEL", "MASTERS", "x"]),
        ("SENTINEL MASTER arity", ["SENTINEL", "MASTER"]),
        ("SENTINEL MYID arity", ["SENTINEL", "MYID", "x"]),
        ("SENTINEL SET arity", ["SENTINEL", "SET", NAME, "quorum"]),
        ("SENTINEL MONITOR arity", ["SENTINEL", "MONITOR", "a", "b"]),
        ("SENTINEL IS-MASTER-DOWN-BY-ADDR arity",
         ["SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "0"]),
        ("SENTINEL INFO-CACHE arity", ["SENTINEL", "INFO-CACHE"]),
        ("SENTINEL SIMULATE-FAILURE arity", ["SENTINEL", "SIMULATE-FAILURE"]),
        ("SENTINEL CONFIG arity", ["SENTINEL", "CONFIG"]),
        ("SENTINEL GET-MASTER-ADDR-BY-NAME", ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", NAME]),
        ("SENTINEL GET-MASTER-ADDR-BY-NAME unknown",
         ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nope"]),
        ("SENTINEL IS-MASTER-DOWN-BY-ADDR *",
         ["SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", str(primary.port), "0", "*"]),
        ("SENTINEL IS-MASTER-DOWN-BY-ADDR unknown address",
         ["SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "0", "abc"]),
        ("SENTINEL IS-MASTER-DOWN-BY-ADDR bad port",
         ["SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*"]),
        ("SENTINEL IS-MASTER-DOWN-BY-ADDR bad epoch",
         ["SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", str(primary.port), "x", "*"]),
        ("SENTINEL CKQUORUM", ["SENTINEL", "CKQUORUM", NAME]),
        ("SENTINEL CKQUORUM unknown", ["SENTINEL", "CKQUORUM", "nope"]),
        ("SENTINEL FAILOVER unknown", ["SENTINEL", "FAILOVER", "nope"]),
        ("SENTINEL REMOVE unknown", ["SENTINEL", "REMOVE", "nope"]),
        ("SENTINEL RESET no match", ["SENTINEL", "RESET", "nomatch*"]),
        ("SENTINEL PENDING-SCRIPTS", ["SENTINEL", "PENDING-SCRIPTS"]),
        ("SENTINEL SIMULATE-FAILURE HELP", ["SENTINEL", "SIMULATE-FAILURE", "HELP"]),
        ("SENTINEL SIMULATE-FAILURE unknown", ["SENTINEL", "SIMULATE-FAILURE", "nope"]),
        ("SENTINEL DEBUG unknown", ["SENTINEL", "DEBUG", "nope", "1"]),
        ("SENTINEL DEBUG bad value", ["SENTINEL", "DEBUG", "info-period", "0"]),
        ("SENTINEL FLUSHCONFIG", ["SENTINEL", "FLUSHCONFIG"]),
        ("SENTINEL CONFIG GET *", ["SENTINEL", "CONFIG", "GET", "*"]),
        ("SENTINEL CONFIG GET one", ["SENTINEL", "CONFIG", "GET", "RESOLVE-hostnames"]),
        ("SENTINEL CONFIG GET none", ["SENTINEL", "CONFIG", "GET", "loglevel"]),
        ("SENTINEL CONFIG GET arity", ["SENTINEL", "CONFIG", "GET"]),
        ("SENTINEL CONFIG bad verb", ["SENTINEL", "CONFIG", "FOO", "x"]),
        ("SENTINEL CONFIG SET unknown", ["SENTINEL", "CONFIG", "SET", "foo", "bar"]),
        ("SENTINEL CONFIG SET bad yes/no",
         ["SENTINEL", "CONFIG", "SET", "resolve-hostnames", "maybe"]),
        ("SENTINEL CONFIG SET bad port", ["SENTINEL", "CONFIG", "SET", "announce-port", "70000"]),
        ("SENTINEL CONFIG SET announce-port", ["SENTINEL", "CONFIG", "SET", "announce-port", "0"]),
        ("SENTINEL SET unknown master", ["SENTINEL", "SET", "nope", "quorum", "1"]),
        ("SENTINEL SET quorum 0", ["SENTINEL", "SET", NAME, "quorum", "0"]),
        ("SENTINEL SET quorum x", ["SENTINEL", "SET", NAME, "quorum", "x"]),
        ("SENTINEL SET unknown option", ["SENTINEL", "SET", NAME, "foo", "1"]),
        ("SENTINEL SET missing value", ["SENTINEL", "SET", NAME, "quorum", "2", "parallel-syncs"]),
        ("SENTINEL SET down-after 0", ["SENTINEL", "SET", NAME, "down-after-milliseconds", "0"]),
        ("SENTINEL SET failover-timeout -1", ["SENTINEL", "SET", NAME, "failover-timeout", "-1"]),
        ("SENTINEL SET parallel-syncs 0", ["SENTINEL", "SET", NAME, "parallel-syncs", "0"]),
        ("SENTINEL SET reboot period -1",
         ["SENTINEL", "SET", NAME, "master-reboot-down-after-period", "-1"]),
        ("SENTINEL SET scripts denied", ["SENTINEL", "SET", NAME, "notification-script", "/bin/true"]),
        ("SENTINEL SET rename-command arity", ["SENTINEL", "SET", NAME, "rename-command", "CONFIG"]),
        ("SENTINEL MONITOR quorum 0", ["SENTINEL", "MONITOR", "other", "127.0.0.1", "1", "0"]),
        ("SENTINEL MONITOR bad port", ["SENTINEL", "MONITOR", "other", "127.0.0.1", "x", "1"]),
        ("SENTINEL MONITOR bad quorum", ["SENTINEL", "MONITOR", "other", "127.0.0.1", "1", "x"]),
        ("SENTINEL MONITOR port range",
         ["SENTINEL", "MONITOR", "other", "127.0.0.1", "70000", "1"]),
        ("SENTINEL MONITOR duplicate", ["SENTINEL", "MONITOR", NAME, "127.0.0.1", "1", "1"]),
        ("SENTINEL MONITOR host name", ["SENTINEL", "MONITOR", "other", "localhost", "1", "1"]),
        ("SENTINEL MONITOR bad address",
         ["SENTINEL", "MONITOR", "other", "nohost.invalid", "1", "1"]),
        ("PUBLISH other channel", ["PUBLISH", "foo", "bar"]),
        ("PUBLISH arity", ["PUBLISH", "__sentinel__:hello"]),
        ("PUBLISH hello", ["PUBLISH", "__sentinel__:hello", "not,a,hello"]),
        ("SUBSCRIBE arity", ["SUBSCRIBE"]), ("PSUBSCRIBE arity", ["PSUBSCRIBE"]),
        ("UNSUBSCRIBE none", ["UNSUBSCRIBE"]), ("PUNSUBSCRIBE none", ["PUNSUBSCRIBE"]),
        ("CLIENT arity", ["CLIENT"]), ("CLIENT unknown", ["CLIENT", "nosuch"]),
        ("CLIENT HELP", ["CLIENT", "HELP"]), ("CLIENT GETNAME arity", ["CLIENT", "GETNAME", "x"]),
        ("CLIENT SETNAME bad", ["CLIENT", "SETNAME", "a b"]),
        ("CLIENT SETNAME", ["CLIENT", "SETNAME", "tester"]), ("CLIENT GETNAME", ["CLIENT", "GETNAME"]),
        ("CLIENT SETNAME clear", ["CLIENT", "SETNAME", ""]),
        ("CLIENT GETNAME none", ["CLIENT", "GETNAME"]),
        ("CLIENT KILL no such", ["CLIENT", "KILL", "1.2.3.4:5"]),
        ("CLIENT KILL id 0", ["CLIENT", "KILL", "ID", "x"]),
        ("CLIENT KILL syntax", ["CLIENT", "KILL", "foo", "bar"]),
        ("CLIENT KILL none", ["CLIENT", "KILL", "ID", "999999"]),
        ("CLIENT LIST bad type", ["CLIENT", "LIST", "TYPE", "foo"]),
        ("CLIENT LIST bad id", ["CLIENT", "LIST", "ID", "x"]),
        ("CLIENT LIST syntax", ["CLIENT", "LIST", "foo"]),
        ("CLIENT LIST pubsub none", ["CLIENT", "LIST", "TYPE", "pubsub"]),
        ("CLIENT NO-EVICT", ["CLIENT", "NO-EVICT", "on"]),
        ("CLIENT TRACKINGINFO", ["CLIENT", "TRACKINGINFO"]), ("CLIENT GETREDIR", ["CLIENT", "GETREDIR"]),
        ("CLIENT CACHING without tracking", ["CLIENT", "CACHING", "yes"]),
        ("CLIENT UNBLOCK", ["CLIENT", "UNBLOCK", "1"]),
        ("CLIENT PAUSE bad timeout", ["CLIENT", "PAUSE", "x"]),
        ("CLIENT PAUSE bad mode", ["CLIENT", "PAUSE", "1", "foo"]),
        ("ACL arity", ["ACL"]), ("ACL unknown", ["ACL", "nosuch"]), ("ACL HELP", ["ACL", "HELP"]),
        ("ACL WHOAMI", ["ACL", "WHOAMI"]), ("ACL USERS", ["ACL", "USERS"]), ("ACL LIST", ["ACL", "LIST"]),
        ("ACL GETUSER default", ["ACL", "GETUSER", "default"]), ("ACL GETUSER bob", ["ACL", "GETUSER", "bob"]),
        ("ACL CAT", ["ACL", "CAT"]), ("ACL CAT unknown", ["ACL", "CAT", "nosuch"]),
        ("ACL GENPASS 0", ["ACL", "GENPASS", "0"]),
        ("ACL DELUSER default", ["ACL", "DELUSER", "default"]),
        ("ACL DRYRUN", ["ACL", "DRYRUN", "default", "SENTINEL", "MYID"]),
        ("ACL DRYRUN unknown", ["ACL", "DRYRUN", "default", "SENTINEL", "nosuch"]),
        ("ACL DRYRUN unknown user", ["ACL", "DRYRUN", "bob", "PING"]),
        ("ACL LOAD", ["ACL", "LOAD"]),
        ("COMMAND COUNT", ["COMMAND", "COUNT"]), ("COMMAND HELP", ["COMMAND", "HELP"]),
        ("COMMAND unknown", ["COMMAND", "nosuch"]),
        ("COMMAND INFO ping", ["COMMAND", "INFO", "ping", "nosuch"]),
        ("COMMAND INFO sentinel|set", ["COMMAND", "INFO", "sentinel|set"]),
        ("COMMAND GETKEYS", ["COMMAND", "GETKEYS", "PING", "a"]),
        ("COMMAND GETKEYS unknown", ["COMMAND", "GETKEYS", "nosuch", "a"]),
        ("COMMAND DOCS unknown", ["COMMAND", "DOCS", "nosuch"]),
        ("SHUTDOWN syntax", ["SHUTDOWN", "nosuch"]), ("SHUTDOWN ABORT", ["SHUTDOWN", "ABORT"]),
    ]
    for name, args in cases:
        p.same(name, *args)
    for name, args in [("COMMAND LIST", ["COMMAND", "LIST"]),
                       ("COMMAND LIST aclcat", ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "admin"]),
                       ("COMMAND LIST pattern", ["COMMAND", "LIST", "FILTERBY", "PATTERN", "s*"]),
                       ("ACL CAT admin", ["ACL", "CAT", "admin"])]:
        p.same_unordered(name, *args)
    # COMMAND (every command): the same commands with the same INFO each.
    ref_r, keel_r = p.call("COMMAND")
    if ref_r:
        def norm(e):
            return [e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8],
                    sorted(repr(norm(s)) for s in e[9])]
        R.eq("COMMAND: as Redis", sorted(repr(norm(e)) for e in kt.parse(keel_r)),
             sorted(repr(norm(e)) for e in kt.parse(ref_r)))
    docs = kt.parse(p.keel.call("COMMAND", "DOCS", "ping", "sentinel"))
    R.ok("COMMAND DOCS: name and documentation pairs",
         docs[0] == b"ping" and docs[2] == b"sentinel" and b"summary" in docs[1] and
         b"subcommands" in docs[3], repr(docs)[:200])
    # HELLO: the same map but for the connection id.
    ref_r, keel_r = p.call("HELLO", "2")
    h = kt.parse(keel_r)
    R.eq("HELLO 2: fields", h[:6] + h[8:], [b"server", b"redis", b"version", b"7.0.15", b"proto",
                                             2, b"mode", b"sentinel", b"modules", []])
    if ref_r:
        hr = kt.parse(ref_r)
        R.eq("HELLO 2: as Redis but the id", h[:7] + h[8:], hr[:7] + hr[8:])


def check_vote(p, primary):
    """A vote request: the first candidate in an epoch gets the vote, and a
    second one in the same epoch is told who got it."""
    args = ["SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", str(primary.port)]
    cand1, cand2 = "a" * 40, "b" * 40
    want1 = b"*3\r\n:0\r\n$40\r\n" + cand1.encode() + b"\r\n:1\r\n"
    p.same("IS-MASTER-DOWN-BY-ADDR vote", *(args + ["1", cand1]), expect=want1)
    p.same("IS-MASTER-DOWN-BY-ADDR vote already cast", *(args + ["1", cand2]), expect=want1)


def check_pubsub(p, keel, ref):
    def pubsub_session(srv):
        c = srv.conn()
        out = []
        c.send(kt.encode("SUBSCRIBE", "a", "b"))
        out += c.read_replies(2)
        for args in (["PING"], ["PING", "x"], ["INFO"], ["SENTINEL", "MYID"],
                     ["SENTINEL", "nosuch"], ["NOSUCH"], ["PUBLISH", "x", "y"], ["CLIENT", "ID"]):
            out.append(c.call(*args))
        c.send(kt.encode("PSUBSCRIBE", "*"))
        out.append(c.read_reply())
        c.send(kt.encode("UNSUBSCRIBE", "a"))
        out.append(c.read_reply())
        c.send(kt.encode("PUNSUBSCRIBE"))
        out.append(c.read_reply())
        c.send(kt.encode("UNSUBSCRIBE"))
        out.append(c.read_reply())
        out.append(c.call("PING"))
        flags = c.call("CLIENT", "INFO")
        c.close()
        return out, flags

    keel_out, _ = pubsub_session(keel)
    if ref:
        ref_out, _ = pubsub_session(ref)
        for i, (k, r) in enumerate(zip(keel_out, ref_out)):
            R.eq("pub/sub session step %d" % i, k, r)
    else:
        R.eq("pub/sub: SUBSCRIBE reply", keel_out[0], b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n")

    # Events: SENTINEL SET, MONITOR and REMOVE publish +set, +monitor,
    # -monitor, exactly as Redis words them.
    def events(srv, actions):
        sub = srv.conn()
        sub.send(kt.encode("PSUBSCRIBE", "*"))
        sub.read_reply()
        ctl = srv.conn()
        replies = [ctl.call(*a) for a in actions]
        got = []
        deadline = time.monotonic() + 5
        while len(got) < 5 and time.monotonic() < deadline:
            try:
                msg = kt.parse(sub.read_reply(timeout=max(0.1, deadline - time.monotonic())))
            except OSError:
                break
            if msg[2] in (b"+set", b"+monitor", b"-monitor"):
                got.append(msg)
        sub.close()
        ctl.close()
        return replies, got

    dead_port = str(kt.free_port())
    actions = [["SENTINEL", "SET", NAME, "quorum", "2", "auth-pass", "x"],
               ["SENTINEL", "SET", NAME, "auth-pass", ""],
               ["SENTINEL", "MONITOR", "tmpmaster", "127.0.0.1", dead_port, "1"],
               ["SENTINEL", "REMOVE", "tmpmaster"]]
    keel_rep, keel_ev = events(keel, actions)
    R.eq("events: replies", keel_rep, [b"+OK\r\n"] * 4)
    R.eq("events: +set quorum", keel_ev[0][3] if keel_ev else None,
         b"master %s 127.0.0.1 %d quorum 2" % (NAME.encode(), p.primary_port))
    if ref:
        ref_rep, ref_ev = events(ref, actions)
        R.eq("events: as Redis", keel_ev, ref_ev)


def check_monitor_shape(p):
    """A master added with SENTINEL MONITOR that cannot be reached."""
    dead_port = str(kt.free_port())
    p.same("MONITOR new", "SENTINEL", "MONITOR", "tmp2", "127.0.0.1", dead_port, "2",
           expect=b"+OK\r\n")
    ref_r, keel_r = p.call("SENTINEL", "MASTER", "tmp2")
    check_instance_table("MASTER unreachable", kt.parse(keel_r),
                         kt.parse(ref_r) if ref_r else None, MASTER_FIELDS,
                         ("name", "ip", "port", "runid", "flags", "quorum", "num-slaves"))
    p.same("REMOVE new", "SENTINEL", "REMOVE", "tmp2", expect=b"+OK\r\n")


def check_client_list(p):
    ref_r, keel_r = p.call("CLIENT", "INFO")
    keys = [kv.split(b"=", 1)[0].decode() for kv in kt.parse(keel_r).split()]
    R.eq("CLIENT INFO: fields", keys, CLIENT_LIST_FIELDS)
    R.ok("CLIENT INFO: ends with a newline", kt.parse(keel_r).endswith(b"\n"))
    if ref_r:
        ref_keys = [kv.split(b"=", 1)[0].decode() for kv in kt.parse(ref_r).split()]
        R.eq("CLIENT INFO: fields as Redis", keys, ref_keys)
    lines = kt.parse(p.keel.call("CLIENT", "LIST")).split(b"\n")
    R.ok("CLIENT LIST: one line per client, each with cmd=",
         all(b" cmd=" in l for l in lines if l), repr(lines)[:300])
    R.ok("CLIENT LIST: shows this command", b"cmd=client|list" in b"".join(lines))
    R.eq("CLIENT ID", p.keel.call("CLIENT", "ID"),
         b":%s\r\n" % dict(kv.split(b"=", 1) for kv in kt.parse(keel_r).split())[b"id"])


def check_protocol_error(srv, ref):
    outs = []
    for s in (srv, ref):
        if not s:
            continue
        c = s.conn()
        c.send(b"*1\r\n$4\r\nPING\r\n*x\r\n")
        outs.append((c.read_reply(), c.read_reply(), c.is_closed()))
        c.close()
    R.eq("protocol error: reply and close", outs[0],
         (b"+PONG\r\n", b"-ERR Protocol error: invalid multibulk length\r\n", True))
    if len(outs) == 2:
        R.eq("protocol error: as Redis", outs[0], outs[1])
    c = srv.conn()
    R.eq("inline command", c.raw_call(b"SENTINEL get-master-addr-by-name nope\r\n"), b"*-1\r\n")
    c.close()


def check_redis_py(keel, primary, replica):
    s = Sentinel([("127.0.0.1", keel.port)], socket_timeout=5)
    R.eq("redis-py: discover_master", s.discover_master(NAME), ("127.0.0.1", primary.port))
    R.eq("redis-py: discover_slaves", s.discover_slaves(NAME), [("127.0.0.1", replica.port)])
    m = s.master_for(NAME, socket_timeout=5)
    m.set("sentinel-key", "v")
    R.eq("redis-py: write through master_for", m.get("sentinel-key"), b"v")
    r = redis.Redis(port=keel.port, socket_timeout=5)
    R.eq("redis-py: sentinel_masters", sorted(r.sentinel_masters().keys()), [NAME])
    state = r.sentinel_master(NAME)
    R.ok("redis-py: sentinel_master parsed", state["is_master"] and state["port"] == primary.port
         and state["num-slaves"] == 1, repr(state))
    R.eq("redis-py: sentinel_slaves", [x["port"] for x in r.sentinel_slaves(NAME)], [replica.port])
    R.ok("redis-py: PING", r.ping())


def check_tls_and_cli(keel_bin, primary):
    """The same service over TLS (redis-py with a client certificate), and
    redis-cli against the plain port."""
    certs = kt.tmpdir("keel-sentinel-certs-")
    script = os.path.join(os.environ.get("KEEL_SOURCE_DIR", ROOT), "deploy", "gen-certs.sh")
    subprocess.run(["bash", script, certs], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    tls_port = kt.free_port()
    srv = start_sentinel(keel_bin, "keel-sentinel-tls", [
        "tls-port %d" % tls_port,
        "tls-cert-file %s/server.crt" % certs, "tls-key-file %s/server.key" % certs,
        "tls-ca-cert-file %s/ca.crt" % certs,
        "sentinel monitor %s 127.0.0.1 %d 2" % (NAME, primary.port)])
    r = redis.Redis(host="127.0.0.1", port=tls_port, ssl=True, ssl_ca_certs=certs + "/ca.crt",
                    ssl_certfile=certs + "/client.crt", ssl_keyfile=certs + "/client.key",
                    socket_timeout=5)
    R.ok("TLS: PING", r.ping())
    R.eq("TLS: get-master-addr-by-name", r.sentinel_get_master_addr_by_name(NAME),
         (b"127.0.0.1", primary.port))
    ps = r.pubsub()
    ps.subscribe("+set")
    first = ps.get_message(timeout=2)
    r.execute_command("SENTINEL", "SET", NAME, "quorum", "1")
    msg = ps.get_message(timeout=2)
    R.eq("TLS: subscribe", first and first["type"], "subscribe")
    R.eq("TLS: event", msg and msg["data"],
         b"master %s 127.0.0.1 %d quorum 1" % (NAME.encode(), primary.port))
    ps.close()
    no_cert = redis.Redis(host="127.0.0.1", port=tls_port, ssl=True,
                          ssl_ca_certs=certs + "/ca.crt", socket_timeout=5)
    try:
        no_cert.ping()
        R.fail("TLS: a client without a certificate is refused")
    except (redis.ConnectionError, OSError):
        R.ok("TLS: a client without a certificate is refused", True)
    cli = shutil.which("redis-cli")
    if cli:
        out = subprocess.run([cli, "-p", str(srv.port), "SENTINEL", "get-master-addr-by-name",
                              NAME], stdout=subprocess.PIPE, timeout=20).stdout
        R.eq("redis-cli: get-master-addr-by-name", out,
             b"127.0.0.1\n%d\n" % primary.port)
        out = subprocess.run([cli, "-p", str(srv.port), "SENTINEL", "nosuch"],
                             stdout=subprocess.PIPE, timeout=20).stdout
        R.eq("redis-cli: error", out.strip(),
             b"ERR unknown subcommand 'nosuch'. Try SENTINEL HELP.")
    srv.stop()


def main():
    try:
        keel_bin = keel_sentinel_path()
        kt.keel_server_path()
    except kt.SetupError as e:
        R.fail("setup", str(e))
        R.finish()
    if not HAVE_REDIS:
        print("redis-sentinel missing: the Redis side is skipped")

    check_auth()

    primary = kt.start_keel()
    replica = kt.start_keel(["--replicaof", "127.0.0.1", str(primary.port)])
    lines = ["sentinel monitor %s 127.0.0.1 %d 2" % (NAME, primary.port),
             "sentinel down-after-milliseconds %s 30000" % NAME]
    keel = start_sentinel(keel_bin, "keel-sentinel", lines)
    ref = start_sentinel(REDIS_SENTINEL, "redis-sentinel", lines) if HAVE_REDIS else None

    p = Pair(ref, keel)
    p.primary_port = primary.port
    ok = wait_until("keel-sentinel knows the replica and the other sentinel",
                    lambda: discovered(p.keel))
    if ref:
        ok &= wait_until("redis-sentinel knows the replica and keel-sentinel",
                         lambda: discovered(p.ref))
    if not ok:
        print(keel.log_tail())
        R.finish()

    check_tables(p, primary, replica, keel, ref)
    check_info(p)
    check_exact(p, primary)
    check_vote(p, primary)
    check_pubsub(p, keel, ref)
    check_monitor_shape(p)
    check_client_list(p)
    check_protocol_error(keel, ref)
    check_redis_py(keel, primary, replica)
    check_tls_and_cli(keel_bin, primary)
    R.ok("keel-sentinel still running", keel.alive(), keel.log_tail())
    R.finish()


if __name__ == "__main__":
    main()
