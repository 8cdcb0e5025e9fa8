#!/usr/bin/python3
"""test_diff_acl: differential test of ACL (acl.c, acl_cmds.c, the checks in
commands.c, AUTH/HELLO in client_cmds.c) against Debian's redis-server 7.0,
and a redis-py client logging in as an ACL user.

Starts keel-server ($KEEL_SERVER) and redis-server on free ports, sends both
the same requests over raw sockets (keeltest.RawConn) and compares the raw
reply bytes.  Where Redis's output depends on its hash-table order or on a
command Keel does not have, the comparison is looser and says so: ACL LIST
and GETUSER's command rules are compared as sets of tokens; ACL CAT <cat>
only over commands both servers have; GENPASS by shape; ACL LOG by its
fields without age-seconds and client-info.

Covers: ACL SETUSER (every rule kind and its errors), GETUSER, LIST, USERS,
WHOAMI, DELUSER (and the default user), CAT (all and per category), GENPASS,
DRYRUN, LOG (count, RESET, grouping, reasons, contexts), SAVE/LOAD without
an aclfile, AUTH and HELLO AUTH with users, NOPERM for commands,
subcommands, keys and channels, MULTI with a denied command, and
redis.Redis(username=..., password=...).

Selectors (7.0's `(...)` rules, selectors()): SETUSER with selectors given
in one argument or split over several, their errors, clearselectors and
reset, GETUSER's `selectors` maps, LIST, DRYRUN and NOPERM/ACL LOG where
the root and the selectors disagree, acl-pubsub-default in a selector, and
ACL SAVE/LOAD, `user` config lines and CONFIG REWRITE with selectors.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest as kt  # noqa: E402
from keeltest import parse  # noqa: E402

R = kt.Results()


def both(k, r, name, *args, mode="exact"):
    kraw = k.call(*args)
    rraw = r.call(*args)
    if mode == "exact":
        R.eq(name, kraw, rraw)
    elif mode == "tokens":  # a rule description, order of single commands aside
        kv, rv = parse(kraw), parse(rraw)
        R.eq(name, norm_rules(kv), norm_rules(rv))
    elif mode == "sel":  # the same, selector by selector
        kv, rv = parse(kraw), parse(rraw)
        R.eq(name, norm_sel(kv), norm_sel(rv))
    return kraw, rraw


def norm_rules(v):
    if isinstance(v, list):
        return [norm_rules(x) for x in v]
    if isinstance(v, bytes):
        return sorted(v.split(b" "))
    return v


def log_fields(v):
    out = []
    for e in v:
        d = dict(zip(e[0::2], e[1::2]))
        out.append({f: d.get(f) for f in (b"count", b"reason", b"context", b"object",
                                          b"username")})
    return out


def norm_sel(v):
    """A rule description with selectors, each part's tokens sorted: the
    root rules, then one list per `(...)` selector, in order."""
    if isinstance(v, list):
        return [norm_sel(x) for x in v]
    if not isinstance(v, bytes):
        return v
    root, _, rest = v.partition(b" (")
    parts = [sorted(root.split(b" "))]
    for sel in (b"(" + rest).split(b") (") if rest else []:
        parts.append(sorted(sel.strip(b"()").split(b" ")))
    return parts


def command_names(conn):
    return set(parse(conn.call("COMMAND", "LIST")))


def main():
    keel = kt.start_keel()
    redis = kt.start_redis()
    k, r = keel.conn(), redis.conn()

    # ------------------------------------------------------------ SETUSER
    rules = [
        ["u1", "on", ">abc", "~cache:*", "+get", "+set", "%R~r*", "&ch", "+config|get",
         "-@dangerous"],
        ["u2", "+@all", "-@dangerous", "+get"],
        ["u3", "+@read", "+@write", "-get"],
        ["u5", "+@all", "-@all", "+set", "+get", "+set"],
        ["u6", "on", "nopass", "allkeys", "allchannels", "allcommands"],
        ["u7", "on", ">x", ">y", "<x", "#" + "ab" * 32, "!" + "ab" * 32],
        ["u8", "reset", "on", "resetpass", "resetkeys", "%W~w*", "%RW~rw*", "resetchannels",
         "&a", "&b", "nocommands", "+@string", "-@read"],
        ["u9", "~*", "&*", "+@all", "~*", "&*"],
        ["u10", "+client", "-client|kill", "+acl|whoami"],
        ["u11", "-@all", "+select|0", "+select|1", "+get|x"],
        ["u12", "-@all", "+select|0", "+select"],
        ["u13", "-@all", "+select|0", "+@connection"],
        ["u14", "+select|0", "-@all", "+select|A"],
    ]
    for rl in rules:
        both(k, r, "SETUSER " + " ".join(rl), "ACL", "SETUSER", *rl)
        both(k, r, "GETUSER " + rl[0], "ACL", "GETUSER", rl[0], mode="tokens")
    both(k, r, "LIST", "ACL", "LIST", mode="tokens")
    both(k, r, "USERS", "ACL", "USERS")
    errors = [
        ["e", "bogus"], ["e", "+nosuch"], ["e", "+@nosuch"], ["e", "+config|nosuch"],
        ["e", "#abc"], ["e", "#" + "AB" * 32], ["e", "<nothere"], ["e", "!" + "00" * 32],
        ["e", "allkeys", "~foo"], ["e", "&x", "allchannels", "&y"], ["a b"], ["e", "%X~k"],
        ["e", "%~k"], ["e", "-select|0"], ["e", "+select|0|1"], ["e", "+select|"],
    ]
    for rl in errors:
        both(k, r, "SETUSER error " + " ".join(rl), "ACL", "SETUSER", *rl)
    both(k, r, "GETUSER missing", "ACL", "GETUSER", "nosuch")
    both(k, r, "DELUSER default", "ACL", "DELUSER", "default")
    both(k, r, "DELUSER some", "ACL", "DELUSER", "u5", "u6", "nosuch")
    both(k, r, "WHOAMI", "ACL", "WHOAMI")
    both(k, r, "CAT nosuch", "ACL", "CAT", "nosuch")
    both(k, r, "CAT", "ACL", "CAT")
    both(k, r, "CAT arity", "ACL", "CAT", "a", "b")
    both(k, r, "ACL nosuch", "ACL", "NOSUCH")
    both(k, r, "ACL arity", "ACL")
    both(k, r, "SAVE without aclfile", "ACL", "SAVE")
    both(k, r, "LOAD without aclfile", "ACL", "LOAD")
    for bits in ["0", "-1", "4097", "abc"]:
        both(k, r, "GENPASS " + bits, "ACL", "GENPASS", bits)
    for bits, want in [(None, 64), ("1", 1), ("5", 2), ("7", 2), ("255", 64), ("4096", 1024)]:
        args = ["ACL", "GENPASS"] + ([bits] if bits else [])
        v = parse(k.call(*args))
        R.ok("GENPASS %s shape" % bits, isinstance(v, bytes) and len(v) == want and
             all(c in b"0123456789abcdef" for c in v), repr(v))

    # -------------------------------------------------------------- CAT
    common = command_names(k) & command_names(r)
    for cat in parse(r.call("ACL", "CAT")):
        kset = set(parse(k.call("ACL", "CAT", cat)))
        rset = {c for c in parse(r.call("ACL", "CAT", cat)) if c.split(b"|")[0] in common}
        kset = {c for c in kset if c in rset or c.split(b"|")[0] in common}
        R.eq("CAT %s" % cat.decode(), sorted(kset - rset), [])
        missing = {c for c in rset - kset if b"|" not in c}  # Keel lacks some subcommands
        R.eq("CAT %s missing" % cat.decode(), sorted(missing), [])

    # ----------------------------------------------------------- DRYRUN
    for args in [["u1", "get", "cache:1"], ["u1", "get", "x"], ["u1", "del", "x"],
                 ["nouser", "get", "x"], ["u1", "nosuchcmd"], ["u1", "get"],
                 ["u1", "config", "get", "port"], ["u1", "config", "set", "port", "1"],
                 ["u11", "select", "0"], ["u11", "select", "2"], ["u14", "select", "a"],
                 ["u11", "get", "x"], ["u11", "get", "y"]]:
        both(k, r, "DRYRUN " + " ".join(args), "ACL", "DRYRUN", *args)

    # ------------------------------------- read-only / write-only key patterns
    both(k, r, "SETUSER ro", "ACL", "SETUSER", "ro", "on", "+@all", "%R~*")
    both(k, r, "SETUSER wo", "ACL", "SETUSER", "wo", "on", "+@all", "%W~*")
    both(k, r, "SETUSER mix", "ACL", "SETUSER", "mix", "on", "+@all", "%R~src*", "%W~dst*")
    key_cmds = [
        ["get", "a"], ["set", "a", "1"], ["set", "a", "1", "GET"], ["mget", "a", "b"],
        ["mset", "a", "1", "b", "2"], ["incr", "a"], ["incrbyfloat", "a", "1"], ["del", "a"],
        ["exists", "a"], ["type", "a"], ["strlen", "a"], ["getdel", "a"], ["getset", "a", "1"],
        ["append", "a", "x"], ["lpush", "a", "x"], ["lpop", "a"], ["lrange", "a", "0", "1"],
        ["llen", "a"], ["lmove", "src1", "dst1", "LEFT", "RIGHT"], ["rpoplpush", "src1", "dst1"],
        ["copy", "src1", "dst1"], ["rename", "src1", "dst1"], ["smove", "src1", "dst1", "m"],
        ["sinterstore", "dst1", "src1", "src2"], ["zunionstore", "dst1", "2", "src1", "src2"],
        ["bitop", "AND", "dst1", "src1", "src2"], ["sadd", "a", "m"], ["sismember", "a", "m"],
        ["spop", "a"], ["hset", "a", "f", "v"], ["hget", "a", "f"], ["hincrby", "a", "f", "1"],
        ["zadd", "a", "1", "m"], ["zincrby", "a", "1", "m"], ["zpopmin", "a"],
        ["expire", "a", "10"], ["ttl", "a"], ["touch", "a"], ["setbit", "a", "1", "1"],
        ["getbit", "a", "1"], ["object", "encoding", "a"], ["unlink", "a"],
        ["zunion", "2", "src1", "dst1"], ["zinterstore", "dst1", "2", "src1", "src2"],
        ["sintercard", "2", "src1", "src2"], ["lmpop", "2", "src1", "dst1", "LEFT"],
        ["zdiff", "2", "src1", "dst1"],
    ]
    for user in ("ro", "wo", "mix"):
        for args in key_cmds:
            both(k, r, "DRYRUN %s %s" % (user, " ".join(args)), "ACL", "DRYRUN", user, *args)

    # ------------------------------------------------- NOPERM and ACL LOG
    both(k, r, "LOG RESET", "ACL", "LOG", "RESET")
    both(k, r, "SETUSER lim", "ACL", "SETUSER", "lim", "on", ">pw", "~cache:*", "+get",
         "+set", "&news", "+publish", "+subscribe", "+psubscribe", "+multi", "+exec", "+mget")
    k2, r2 = keel.conn(), redis.conn()
    both(k2, r2, "AUTH lim", "AUTH", "lim", "pw")
    both(k2, r2, "WHOAMI denied", "ACL", "WHOAMI")
    for args in [["GET", "cache:1"], ["GET", "x"], ["SET", "cache:a", "1"], ["SET", "y", "1"],
                 ["MGET", "cache:1", "z"], ["DEL", "cache:1"], ["CONFIG", "GET", "port"],
                 ["PUBLISH", "news", "m"], ["PUBLISH", "other", "m"]]:
        both(k2, r2, "lim " + " ".join(args), *args)
    both(k2, r2, "MULTI", "MULTI")
    both(k2, r2, "queued denied key", "GET", "x")
    both(k2, r2, "queued denied cmd", "DEL", "x")
    both(k2, r2, "queued ok", "GET", "cache:1")
    both(k2, r2, "EXEC aborted", "EXEC")
    both(k2, r2, "AUTH wrong", "AUTH", "lim", "nope")
    both(k2, r2, "AUTH no user", "AUTH", "ghost", "nope")
    both(k2, r2, "HELLO AUTH wrong", "HELLO", "2", "AUTH", "lim", "nope")
    both(k2, r2, "auth lower", "auth", "lim", "nope")
    both(k2, r2, "PSUBSCRIBE denied", "PSUBSCRIBE", "news*")
    both(k2, r2, "SUBSCRIBE denied", "SUBSCRIBE", "news", "other")
    kl, rl = parse(k.call("ACL", "LOG")), parse(r.call("ACL", "LOG"))
    R.eq("LOG entries", log_fields(kl), log_fields(rl))
    kl, rl = parse(k.call("ACL", "LOG", "2")), parse(r.call("ACL", "LOG", "2"))
    R.eq("LOG 2", log_fields(kl), log_fields(rl))
    R.ok("LOG client-info", all(b"user=" in dict(zip(e[0::2], e[1::2]))[b"client-info"]
                                for e in kl), repr(kl))
    both(k, r, "acllog-max-len 2", "CONFIG", "SET", "acllog-max-len", "2")
    both(k, r, "AUTH ghost2", "AUTH", "ghost2", "x")  # the next entry trims the log
    R.eq("LOG trimmed to 2", [len(parse(k.call("ACL", "LOG"))), len(parse(r.call("ACL", "LOG")))],
         [2, 2])
    both(k, r, "acllog-max-len GET", "CONFIG", "GET", "acllog-max-len")
    both(k, r, "acllog-max-len 128", "CONFIG", "SET", "acllog-max-len", "128")
    both(k, r, "LOG bad count", "ACL", "LOG", "abc")
    both(k, r, "LOG RESET again", "ACL", "LOG", "RESET")
    both(k, r, "LOG empty", "ACL", "LOG")

    # ------------------------------------------------ disabled, deleted
    k3, r3 = keel.conn(), redis.conn()
    both(k3, r3, "AUTH lim again", "AUTH", "lim", "pw")
    both(k, r, "SETUSER lim off", "ACL", "SETUSER", "lim", "off")
    # Keel closes a disabled user's connections (Redis 7.0.15 keeps them; it
    # only closes those of a deleted user): a deliberate difference.
    R.ok("keel: disabled user disconnected", k3.is_closed())
    k2, r2 = keel.conn(), redis.conn()
    both(k2, r2, "AUTH disabled", "AUTH", "lim", "pw")
    k4, r4 = keel.conn(), redis.conn()
    both(k, r, "SETUSER lim on", "ACL", "SETUSER", "lim", "on")
    both(k4, r4, "AUTH lim 4", "AUTH", "lim", "pw")
    both(k, r, "DELUSER lim", "ACL", "DELUSER", "lim")
    R.ok("keel: deleted user disconnected", k4.is_closed())
    R.ok("redis: deleted user disconnected", r4.is_closed())
    both(k, r, "AUTH default nopass", "AUTH", "default", "anything")
    both(k, r, "AUTH one arg no password", "AUTH", "x")

    # a connection deleting its own user gets the reply, then is closed
    k5, r5 = keel.conn(), redis.conn()
    both(k5, r5, "SETUSER me", "ACL", "SETUSER", "me", "on", ">p", "+@all", "~*")
    both(k5, r5, "AUTH me", "AUTH", "me", "p")
    both(k5, r5, "DELUSER me (self)", "ACL", "DELUSER", "me", "me")
    R.ok("keel: self-deleted closed", k5.is_closed())
    R.ok("redis: self-deleted closed", r5.is_closed())

    # acl-pubsub-default
    both(k, r, "pubsub-default all", "CONFIG", "SET", "acl-pubsub-default", "allchannels")
    both(k, r, "SETUSER pd", "ACL", "SETUSER", "pd")
    both(k, r, "SETUSER pe &x", "ACL", "SETUSER", "pe", "&x")
    both(k, r, "SETUSER pf reset", "ACL", "SETUSER", "pf", "reset")
    both(k, r, "GETUSER pd", "ACL", "GETUSER", "pd")
    both(k, r, "GETUSER pf", "ACL", "GETUSER", "pf")
    both(k, r, "pubsub-default GET", "CONFIG", "GET", "acl-pubsub-default")
    both(k, r, "pubsub-default bad", "CONFIG", "SET", "acl-pubsub-default", "bad")
    both(k, r, "pubsub-default reset", "CONFIG", "SET", "acl-pubsub-default", "resetchannels")

    # --------------------------------------- aclfile and `user` config lines
    d = kt.tmpdir("acl-")
    acl_text = "user alice on >a ~a:* +get\nuser default on nopass ~* &* +@all\n"
    for name in ("k.acl", "r.acl"):
        with open(os.path.join(d, name), "w") as f:
            f.write(acl_text)
    conf = os.path.join(d, "users.conf")
    with open(conf, "w") as f:
        f.write("user bob on >b ~b:* +get\nuser default on nopass ~* &* +@all\n")
    kf = kt.start_keel(["--aclfile", os.path.join(d, "k.acl")])
    rf = kt.start_redis(["--aclfile", os.path.join(d, "r.acl")])
    kfc, rfc = kf.conn(), rf.conn()
    both(kfc, rfc, "aclfile LIST", "ACL", "LIST")
    both(kfc, rfc, "aclfile SETUSER", "ACL", "SETUSER", "carol", "on", ">c", "%R~c*", "+@read")
    both(kfc, rfc, "aclfile SAVE", "ACL", "SAVE")
    with open(os.path.join(d, "k.acl")) as f1, open(os.path.join(d, "r.acl")) as f2:
        R.eq("ACL SAVE file", f1.read(), f2.read())
    both(kfc, rfc, "aclfile DELUSER", "ACL", "DELUSER", "carol")
    both(kfc, rfc, "aclfile LOAD", "ACL", "LOAD")
    both(kfc, rfc, "aclfile LIST after LOAD", "ACL", "LIST")
    # ACL LOAD without alice: her connections close, the caller's after its reply
    both(kfc, rfc, "SETUSER alice +@all", "ACL", "SETUSER", "alice", "+@all")
    ka, ra = kf.conn(), rf.conn()
    kb, rb = kf.conn(), rf.conn()
    both(ka, ra, "AUTH alice", "AUTH", "alice", "a")
    both(kb, rb, "AUTH alice 2", "AUTH", "alice", "a")
    for name in ("k.acl", "r.acl"):
        with open(os.path.join(d, name), "w") as f:
            f.write("user default on nopass ~* &* +@all\n")
    both(ka, ra, "LOAD by alice, alice gone", "ACL", "LOAD")
    R.eq("LOAD closed the caller", [ka.is_closed(), ra.is_closed()], [True, True])
    R.eq("LOAD closed the other", [kb.is_closed(), rb.is_closed()], [True, True])
    for name in ("k.acl", "r.acl"):
        with open(os.path.join(d, name), "w") as f:
            f.write("user dave on +nosuch\n")
    kraw, rraw = kfc.call("ACL", "LOAD"), rfc.call("ACL", "LOAD")
    R.ok("aclfile bad LOAD refused", kraw.startswith(b"-ERR") and rraw.startswith(b"-ERR"),
         repr((kraw, rraw)))
    both(kfc, rfc, "aclfile LIST after bad LOAD", "ACL", "LIST")
    kf.stop()
    rf.stop()
    kport = kt.free_port()
    kcfg = kt.Server("keel-server", [kt.keel_server_path(), conf, "--port", str(kport),
                                     "--dir", d], kport, d).start()
    rport = kt.free_port()
    rcfg = kt.Server("redis-server", [kt.redis_server_path(), conf, "--port", str(rport),
                                      "--save", "", "--dir", d], rport, d).start()
    both(kcfg.conn(), rcfg.conn(), "config user lines LIST", "ACL", "LIST")
    kcfg.stop()
    rcfg.stop()

    # ------------------------------------------------------- redis-py
    import redis as redispy
    both(k, r, "SETUSER py", "ACL", "SETUSER", "py", "on", ">pypw", "~py:*", "+@all")
    for name, srv in (("keel", keel), ("redis", redis)):
        c = redispy.Redis(port=srv.port, username="py", password="pypw")
        c.set("py:1", "v")
        R.eq("redis-py %s get" % name, c.get("py:1"), b"v")
        try:
            c.get("other")
            R.fail("redis-py %s NOPERM" % name)
        except redispy.exceptions.NoPermissionError as e:
            R.ok("redis-py %s NOPERM" % name, "no permissions" in str(e), str(e))
        R.eq("redis-py %s whoami" % name, c.acl_whoami(), "py")
        try:
            redispy.Redis(port=srv.port, username="py", password="bad").ping()
            R.fail("redis-py %s bad password" % name)
        except (redispy.exceptions.AuthenticationError, redispy.exceptions.ResponseError) as e:
            R.ok("redis-py %s bad password" % name, "WRONGPASS" in str(e), str(e))
        c.close()
    selectors()
    R.finish()


def selectors():
    keel, redis = kt.start_keel(), kt.start_redis()
    k, r = keel.conn(), redis.conn()

    # -------------------------------------------- SETUSER with selectors
    ok_rules = [
        ["s1", "on", "nopass", "~a*", "+get", "(~foo:* +set)", "(%R~bar* &ch +@read -get)"],
        ["s2", "(~x", "+get)", "on"],              # one selector over two arguments
        ["s3", "(", ")", "()", "(~x", ")"],          # empty selectors
        ["s4", "(~a", "(~b", "+get)"],              # a second "(" drops the open one
        ["s5", '(~"foo)'],                          # bad quotes: an empty selector
        ["s6", "(~'a' +get)", '("~ab" "+get")', "(  ~ab   +get  )", "(~ab\t+get)",
         "(~a\\x41 +get)"],
        ["s7", "(~x)", "(~x)", "(allkeys &* allcommands)", "(resetkeys resetchannels nocommands)"],
        ["s8", "(~x)", "clearselectors", "(~y)"],
        ["s9", "on", ">pw", "(~x)", "reset"],
        ["s10", "(~x +@all -@dangerous)", "(%W~w* %R~r* %RW~rw* %R~w*)"],
        ["s11", "(+select|0 +config|get +acl|whoami)", "(-@all +client -client|kill)"],
        ["s12", "(+@all -@all +set +get +set)", "(+@read +@write -get)"],
        ["s13", "(~x &a &b &a)", "(~x ~x %R~x)", "(+get", "~y", "&z)"],
        ["s14", "(&* resetchannels &c)", "(allchannels)", "(~* resetkeys ~k)"],
        ["s15", "(%R ~q)", "(~ &)"],
        ["s16", "(~x\ty +get)"],   # a tab splits, as in sdssplitargs
        ["s1", "(~more:* +incr)"],  # added to an existing user
    ]
    for rl in ok_rules:
        both(k, r, "sel SETUSER " + " ".join(rl), "ACL", "SETUSER", *rl)
        both(k, r, "sel GETUSER " + rl[0], "ACL", "GETUSER", rl[0], mode="sel")
    for user in ("s2", "s3", "s4", "s5", "s7", "s8", "s9", "s13", "s14", "s15"):
        both(k, r, "sel GETUSER exact " + user, "ACL", "GETUSER", user)
    both(k, r, "sel LIST", "ACL", "LIST", mode="sel")
    sel_errors = [
        ["e", "(~x", "+get"], ["e", "(~x", "on)"], ["e", "(~x", "(~y", "+get"],
        ["e", "("], ["e", "on", "(", "+get"], ["e", "(~a \"\" +get)"], ["e", '(~"a b" +get)'],
        ["e", "(on)"], ["e", "(off)"], ["e", "(nopass)"], ["e", "(>pw)"], ["e", "(<pw)"],
        ["e", "(reset)"], ["e", "(clearselectors)"], ["e", "(resetpass)"],
        ["e", "(sanitize-payload)"], ["e", "(allkeys ~x)"], ["e", "(~* %R~x)"],
        ["e", "(&* &x)"], ["e", "(allchannels &x)"], ["e", "(+nosuch)"], ["e", "(+@nosuch)"],
        ["e", "(+config|nosuch)"], ["e", "(+config|get|x)"], ["e", "(+select|)"],
        ["e", "(-select|0)"], ["e", "(%X~a)"], ["e", "(%RR~a)"], ["e", "(%~a)"], ["e", "(%)"],
        ["e", "((~a))"], ["e", "(~a))"], ["e", ")"], ["e", "(~a", "b)"], ["e", "(bogus)"],
        ["e", "(~a)", "(+nosuch)"], ["e", "(~a", "+nosuch", "~b)"], ["e", "(+)"], ["e", "(-)"],
        ["e", "(+@)"], ["e", "(~x)", "bogus"], ["e", "(#abc)"],
    ]
    for rl in sel_errors:
        both(k, r, "sel SETUSER error " + " ".join(rl), "ACL", "SETUSER", *rl)
    both(k, r, "sel error left no user", "ACL", "GETUSER", "e")
    both(k, r, "sel error left s1 as it was", "ACL", "GETUSER", "s1", mode="sel")

    # root rules Redis 7.0.15 treats specially (shared with selectors)
    root_rules = [
        ["r1", "~a b"], ["r2", "&a b"], ["r3", "~a\tb"], ["r4", ""], ["r5", "%R"], ["r6", "%RR~x"],
        ["r7", "%RW~*", "~foo"], ["r8", "allkeys", "%RW~*"], ["r9", "~"], ["r10", "&"],
        ["r11", "+config|get|x"], ["r12", "+"], ["r13", "-"], ["r14", "+@"], ["r15", "%r~x", "%W~x"],
        ["r16", "~*", "~*", "allkeys"], ["r17", "+acl|nosuch|x"], ["r18", "-config|get|x"],
        ["r\t19"], ["r20", "%W~a b"], ["r21", "allchannels", "&a b"], ["r22", "allkeys", "~a b"],
        ["r23", "allkeys", "%X~a"],
    ]
    for rl in root_rules:
        both(k, r, "root SETUSER %r" % rl, "ACL", "SETUSER", *rl)
    for user in ("r4", "r5", "r7", "r9", "r10", "r15", "r16"):
        both(k, r, "root GETUSER " + user, "ACL", "GETUSER", user)

    # a new selector gets acl-pubsub-default's channels, as a new user does
    both(k, r, "sel pubsub-default all", "CONFIG", "SET", "acl-pubsub-default", "allchannels")
    both(k, r, "sel SETUSER pd", "ACL", "SETUSER", "pd", "(~x)", "(resetchannels &c)")
    both(k, r, "sel GETUSER pd", "ACL", "GETUSER", "pd")
    both(k, r, "sel SETUSER pd reset", "ACL", "SETUSER", "pd", "reset", "(~y)")
    both(k, r, "sel GETUSER pd after reset", "ACL", "GETUSER", "pd")
    both(k, r, "sel pubsub-default reset", "CONFIG", "SET", "acl-pubsub-default",
         "resetchannels")
    both(k, r, "sel SETUSER pd2", "ACL", "SETUSER", "pd2", "(~x)")
    both(k, r, "sel GETUSER pd2", "ACL", "GETUSER", "pd2")

    # ------------------------------------------------- DRYRUN, NOPERM, LOG
    sel_user = ["su", "on", ">pw", "~app:*", "+get", "+mget", "+subscribe",
                "(~cache:* +set +get +mget)", "(%R~ro:* +@read)", "(&news +publish)",
                "(~w:* %R~r:* +copy +lmove +sinterstore)"]
    both(k, r, "sel SETUSER su", "ACL", "SETUSER", *sel_user)
    calls = [
        ["get", "app:1"], ["get", "cache:1"], ["set", "cache:1", "v"], ["set", "app:1", "v"],
        ["get", "other"], ["mget", "app:1", "cache:1"], ["mget", "cache:1", "app:1"],
        ["mget", "app:1", "ro:1"], ["mget", "ro:1", "ro:2"], ["mget", "x", "y", "z"],
        ["set", "ro:1", "v"], ["get", "ro:1"], ["strlen", "ro:1"], ["publish", "news", "m"],
        ["publish", "other", "m"], ["subscribe", "news"], ["subscribe", "a", "b"],
        ["del", "app:1"], ["copy", "r:1", "w:1"], ["copy", "w:1", "r:1"],
        ["lmove", "r:1", "w:1", "LEFT", "LEFT"], ["lmove", "w:1", "w:2", "LEFT", "LEFT"],
        ["sinterstore", "w:1", "r:1", "r:2"], ["sinterstore", "w:1", "r:1", "x"],
        ["sinterstore", "r:1", "w:1"], ["ping"], ["auth", "a", "b"], ["config", "get", "x"],
        ["set", "cache:1", "v", "GET"], ["getrange", "ro:1", "0", "1"], ["incr", "ro:1"],
    ]
    for args in calls:
        both(k, r, "sel DRYRUN su " + " ".join(args), "ACL", "DRYRUN", "su", *args)
    both(k, r, "sel LOG RESET", "ACL", "LOG", "RESET")
    k2, r2 = keel.conn(), redis.conn()
    both(k2, r2, "sel AUTH su", "AUTH", "su", "pw")
    for args in calls:
        if args[0] in ("auth", "subscribe"):
            continue
        both(k2, r2, "sel su " + " ".join(args), *args)
    both(k2, r2, "sel MULTI", "MULTI")
    both(k2, r2, "sel queued ok", "SET", "cache:2", "v")
    both(k2, r2, "sel queued denied key", "SET", "app:2", "v")
    both(k2, r2, "sel EXEC aborted", "EXEC")
    kl, rl = parse(k.call("ACL", "LOG")), parse(r.call("ACL", "LOG"))
    R.eq("sel LOG entries", log_fields(kl), log_fields(rl))
    k3, r3 = keel.conn(), redis.conn()
    both(k3, r3, "sel AUTH su 3", "AUTH", "su", "pw")
    both(k3, r3, "sel SUBSCRIBE denied", "SUBSCRIBE", "news", "other")
    both(k3, r3, "sel SUBSCRIBE allowed by no selector", "SUBSCRIBE", "x")
    # the channel selector has no subscribe: only the root's channels count
    both(k, r, "sel SETUSER su2", "ACL", "SETUSER", "su2", "on", ">pw", "resetchannels",
         "+subscribe", "(&news +subscribe)", "(&sport* +psubscribe)")
    k4, r4 = keel.conn(), redis.conn()
    both(k4, r4, "sel AUTH su2", "AUTH", "su2", "pw")
    both(k4, r4, "sel su2 SUBSCRIBE news", "SUBSCRIBE", "news")
    both(k4, r4, "sel su2 PSUBSCRIBE sport*", "PSUBSCRIBE", "sport*")
    k5, r5 = keel.conn(), redis.conn()
    both(k5, r5, "sel AUTH su2 5", "AUTH", "su2", "pw")
    both(k5, r5, "sel su2 PSUBSCRIBE sp*", "PSUBSCRIBE", "sp*")
    both(k5, r5, "sel su2 SUBSCRIBE sports", "SUBSCRIBE", "sports")
    kl, rl = parse(k.call("ACL", "LOG", "3")), parse(r.call("ACL", "LOG", "3"))
    R.eq("sel LOG channel entries", log_fields(kl), log_fields(rl))
    # DRYRUN's errors around selectors
    for args in [["su", "nosuch"], ["su", "get"], ["nouser", "get", "x"], ["su", "config"],
                 ["su", "config", "nosuch"], ["s11", "select", "0"], ["s11", "select", "1"],
                 ["s11", "config", "get", "x"], ["s11", "client", "kill", "x"],
                 ["s11", "client", "id"], ["s11", "acl", "whoami"]]:
        both(k, r, "sel DRYRUN " + " ".join(args), "ACL", "DRYRUN", *args)
    # permissions that changed between MULTI and EXEC: Redis's EXEC-time text
    both(k, r, "sel SETUSER mx", "ACL", "SETUSER", "mx", "on", ">p", "~y*", "+@all", "&*",
         "(~x +get)")
    k6, r6 = keel.conn(), redis.conn()
    both(k6, r6, "sel AUTH mx", "AUTH", "mx", "p")
    both(k6, r6, "sel mx MULTI", "MULTI")
    for args in (["GET", "x"], ["SET", "y", "1"], ["GET", "y"], ["PUBLISH", "c", "m"],
                 ["LPUSH", "y2", "a"]):
        both(k6, r6, "sel mx queued " + " ".join(args), *args)
    both(k, r, "sel mx clearselectors", "ACL", "SETUSER", "mx", "clearselectors", "-get",
         "-lpush", "resetchannels")
    both(k6, r6, "sel mx EXEC rechecked", "EXEC")
    both(k6, r6, "sel mx MULTI 2", "MULTI")
    both(k6, r6, "sel mx queued SET y", "SET", "y", "2")
    both(k, r, "sel mx resetkeys", "ACL", "SETUSER", "mx", "resetkeys", "~z")
    both(k6, r6, "sel mx EXEC key rechecked", "EXEC")
    kl, rl = parse(k.call("ACL", "LOG", "5")), parse(r.call("ACL", "LOG", "5"))
    R.eq("sel LOG EXEC entries", log_fields(kl), log_fields(rl))
    # clearselectors takes the selectors' permissions away
    both(k, r, "sel clearselectors su", "ACL", "SETUSER", "su", "clearselectors")
    both(k, r, "sel DRYRUN after clearselectors", "ACL", "DRYRUN", "su", "get", "cache:1")
    both(k, r, "sel GETUSER su", "ACL", "GETUSER", "su", mode="sel")
    keel.stop()
    redis.stop()

    # ------------------------------- aclfile, `user` lines, CONFIG REWRITE
    d = kt.tmpdir("aclsel-")
    acl_text = ("user alice on >a ~a:* +get (~b:* +set) (%R~c:* &ch +@read)\n"
                "user default on nopass ~* &* +@all\n")
    for name in ("k.acl", "r.acl"):
        with open(os.path.join(d, name), "w") as f:
            f.write(acl_text)
    kf = kt.start_keel(["--aclfile", os.path.join(d, "k.acl")])
    rf = kt.start_redis(["--aclfile", os.path.join(d, "r.acl")])
    kfc, rfc = kf.conn(), rf.conn()
    both(kfc, rfc, "sel aclfile LIST", "ACL", "LIST")
    both(kfc, rfc, "sel aclfile GETUSER alice", "ACL", "GETUSER", "alice")
    both(kfc, rfc, "sel aclfile SETUSER", "ACL", "SETUSER", "carol", "on", ">c", "(~c*",
         "+get)", "(&x +publish)")
    both(kfc, rfc, "sel aclfile SAVE", "ACL", "SAVE")
    with open(os.path.join(d, "k.acl")) as f1, open(os.path.join(d, "r.acl")) as f2:
        R.eq("sel ACL SAVE file", f1.read(), f2.read())
    both(kfc, rfc, "sel aclfile DELUSER", "ACL", "DELUSER", "carol", "alice")
    both(kfc, rfc, "sel aclfile LOAD", "ACL", "LOAD")
    both(kfc, rfc, "sel aclfile LIST after LOAD", "ACL", "LIST")
    ka, ra = kf.conn(), rf.conn()
    both(ka, ra, "sel aclfile AUTH carol", "AUTH", "carol", "c")
    both(ka, ra, "sel aclfile carol GET c1", "GET", "c1")
    both(ka, ra, "sel aclfile carol GET d1", "GET", "d1")
    both(ka, ra, "sel aclfile carol PUBLISH x", "PUBLISH", "x", "m")
    for name in ("k.acl", "r.acl"):
        with open(os.path.join(d, name), "w") as f:
            f.write("user dave on (~d +nosuch)\n")
    kraw, rraw = kfc.call("ACL", "LOAD"), rfc.call("ACL", "LOAD")
    R.ok("sel aclfile bad selector refused", kraw.startswith(b"-ERR") and
         rraw.startswith(b"-ERR") and b"Unknown command" in kraw, repr((kraw, rraw)))
    both(kfc, rfc, "sel aclfile LIST after bad LOAD", "ACL", "LIST")
    # ACL LOAD reports every bad line as Redis does (each unknown command,
    # a line's first other error), with the file's name, then rolls back
    bad_files = [
        "user q +nosuch1 bogus +nosuch2 bogus2 ~x (+nosuch3) (bogus3)\nuser a\tb on\n"
        "user default on nopass ~* &* +@all\n",
        "# comment\nuser default on nopass ~* &* +@all\nuser  a on\nuser x on\nuser x off\n"
        "user y (~a\nuser z +nosuch\n\n   \nuser\nfoo bar\n",
        # (Redis 7.0.15 crashes on an open selector after another rule on the
        # line, "user t on (~b": Keel reports it, the test cannot compare)
        "user s ~a b\nuser t (~b &c\n",
    ]
    for i, text in enumerate(bad_files):
        for name in ("k.acl", "r.acl"):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        kraw, rraw = kfc.call("ACL", "LOAD"), rfc.call("ACL", "LOAD")
        R.eq("sel aclfile LOAD errors %d" % i, kraw.replace(b"k.acl", b"X.acl"),
             rraw.replace(b"r.acl", b"X.acl"))
    for name in ("k.acl", "r.acl"):
        with open(os.path.join(d, name), "w") as f:
            f.write("user r on   ~x\t +get\t\r\nuser default on nopass ~* &* +@all\n"
                    "user t  on  (~a  +get) (  ~b   &c)\r\nuser u (~a\t+get\t)\t\n")
    both(kfc, rfc, "sel aclfile LOAD blanks", "ACL", "LOAD")
    both(kfc, rfc, "sel aclfile LIST blanks", "ACL", "LIST")
    kf.stop()
    rf.stop()
    for name in ("k.conf", "r.conf"):
        with open(os.path.join(d, name), "w") as f:
            f.write("user bob on >b ~b:* +get (~c:* +set) (&ch +publish)\n"
                    "user default on nopass ~* &* +@all\n")
    kport, rport = kt.free_port(), kt.free_port()
    kcfg = kt.Server("keel-server", [kt.keel_server_path(), os.path.join(d, "k.conf"),
                                     "--port", str(kport), "--dir", d], kport, d).start()
    rcfg = kt.Server("redis-server", [kt.redis_server_path(), os.path.join(d, "r.conf"),
                                      "--port", str(rport), "--save", "", "--dir", d],
                     rport, d).start()
    kc, rc = kcfg.conn(), rcfg.conn()
    both(kc, rc, "sel config user lines LIST", "ACL", "LIST")
    both(kc, rc, "sel config SETUSER", "ACL", "SETUSER", "eve", "(~e:* +get)")
    both(kc, rc, "sel CONFIG REWRITE", "CONFIG", "REWRITE")

    def user_lines(name):
        with open(os.path.join(d, name)) as f:
            return [ln for ln in f.read().splitlines() if ln.startswith("user ")]
    R.eq("sel CONFIG REWRITE user lines", user_lines("k.conf"), user_lines("r.conf"))
    kcfg.stop()
    rcfg.stop()
    kcfg = kt.Server("keel-server", [kt.keel_server_path(), os.path.join(d, "k.conf"),
                                     "--port", str(kport), "--dir", d], kport, d).start()
    rcfg = kt.Server("redis-server", [kt.redis_server_path(), os.path.join(d, "r.conf"),
                                      "--port", str(rport), "--save", "", "--dir", d],
                     rport, d).start()
    both(kcfg.conn(), rcfg.conn(), "sel config rewritten LIST", "ACL", "LIST")
    kcfg.stop()
    rcfg.stop()


if __name__ == "__main__":
    main()
