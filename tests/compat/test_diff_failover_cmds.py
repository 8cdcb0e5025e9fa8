#!/usr/bin/python3
"""test_diff_failover_cmds: differential test of the server-side commands a
sentinel drives a failover with, keel-server against Debian's redis-server
7.0 (tests/compat/keeltest.py starts both on free ports).

For each kind a primary, a replica of it and a spare server run from config
files.  Compared: ROLE on the primary and on the replica; the INFO fields
Sentinel parses (run_id, role, master_host, master_port, master_link_status,
master_link_down_since_seconds, slave_priority, slave_repl_offset,
replica_announced, slaveN:ip=..,port=..,state=..,offset=..,lag=..); CLIENT
KILL TYPE normal|master|replica|slave|pubsub; CLIENT SETNAME; the promotion
transaction (MULTI / REPLICAOF NO ONE / CONFIG REWRITE / CLIENT KILL TYPE
normal / EXEC: its whole reply, which clients are closed: other normal ones,
not the caller, which SKIPME spares) and Redis Sentinel's own form of it
(SLAVEOF, CLIENT KILL TYPE normal and pubsub); the reconfiguration
transaction (REPLICAOF host port) on the old primary, CONFIG GET replicaof
and the `replicaof` line CONFIG REWRITE writes; each restarted from its
rewritten file keeps its role.  Values that differ by nature (ports, ids,
offsets) are compared by shape.  After REPLICAOF NO ONE, redis-server's
CONFIG REWRITE drops the `replicaof` line while Keel's writes `replicaof ""`
(which Keel loads as "no primary"): the test checks that neither file names
a primary.

Ends with "N passed, M failed"; exit status 1 on any failure.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest as kt  # noqa: E402

E = kt.encode
results = kt.Results()


class Node:
    """One server started from its own config file."""

    def __init__(self, kind, extra_conf=""):
        self.kind = kind
        self.dir = kt.tmpdir(kind + "-")
        self.conf = os.path.join(self.dir, "node.conf")
        with open(self.conf, "w") as f:
            f.write('save ""\n' + extra_conf)
        self.port = kt.free_port()
        path = kt.keel_server_path() if kind == "keel" else kt.redis_server_path()
        argv = [path, self.conf, "--port", str(self.port), "--dir", self.dir]
        if kind == "redis":
            argv += ["--appendonly", "no"]
        self.server = kt.Server(kind, argv, self.port, self.dir)
        self.server.start()

    def conn(self):
        return self.server.conn()

    def call(self, *args):
        with self.conn() as c:
            return c.call(*args)

    def restart(self):
        self.server.stop()
        self.server.start()

    def conf_lines(self, prefix):
        with open(self.conf) as f:
            return [ln.rstrip("\n") for ln in f if ln.startswith(prefix)]


def info_fields(node, section):
    text = kt.parse(node.call("INFO", section)).decode()
    out = {}
    for ln in text.split("\r\n"):
        if ":" in ln and not ln.startswith("#"):
            k, _, v = ln.partition(":")
            out[k] = v
    return out


def wait_until(fn, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fn():
            return True
        time.sleep(0.05)
    return False


def link_up(replica):
    return info_fields(replica, "replication").get("master_link_status") == "up"


def synced(primary, replica):
    p = info_fields(primary, "replication")
    r = info_fields(replica, "replication")
    online = any(k.startswith("slave") and k[5:].isdigit() and
                 ("port=%d,state=online" % replica.port) in v for k, v in p.items())
    return (r.get("master_link_status") == "up" and online
            and p.get("master_repl_offset") == r.get("slave_repl_offset"))


def shape(value, names):
    """Replace known ports by names, integers by 'int': comparable across kinds."""
    if isinstance(value, list):
        return [shape(v, names) for v in value]
    if isinstance(value, int):
        return names.get(value, "int")
    if isinstance(value, bytes) and value.isdigit():
        return names.get(int(value), "int")
    return value


# --------------------------------------------------------------- scenarios

def run_kind(kind):
    """Everything observed on one kind, as comparable values."""
    obs = {}
    p = Node(kind)
    r = Node(kind, "replicaof 127.0.0.1 %d\n" % p.port)
    spare = Node(kind)
    names = {p.port: "PRIMARY_PORT", r.port: "REPLICA_PORT", spare.port: "SPARE_PORT"}
    with p.conn() as c:
        c.call("SET", "k", "v")
    obs["sync"] = wait_until(lambda: synced(p, r))

    # ROLE and INFO on both sides
    obs["role primary"] = shape(kt.parse(p.call("ROLE")), names)
    obs["role replica"] = shape(kt.parse(r.call("ROLE")), names)
    pi, ri = info_fields(p, "replication"), info_fields(r, "replication")
    obs["primary role"] = pi.get("role")
    obs["connected_slaves"] = pi.get("connected_slaves")
    obs["slave0"] = re.sub(r"offset=\d+,lag=\d+", "offset=N,lag=N",
                           pi.get("slave0", "").replace(str(r.port), "REPLICA_PORT"))
    obs["run_id"] = bool(re.fullmatch(r"[0-9a-f]{40}", info_fields(p, "server").get("run_id", "")))
    obs["replica fields"] = {
        k: (ri.get(k) if k not in ("master_port", "slave_repl_offset")
            else ("PRIMARY_PORT" if ri.get(k) == str(p.port) else
                  "int" if (ri.get(k) or "").isdigit() else ri.get(k)))
        for k in ("role", "master_host", "master_port", "master_link_status", "slave_priority",
                  "slave_repl_offset", "replica_announced", "slave_read_only")}
    obs["link down field while up"] = "master_link_down_since_seconds" in ri
    r.call("CONFIG", "SET", "replica-priority", "7")
    r.call("CONFIG", "SET", "replica-announced", "no")
    ri = info_fields(r, "replication")
    obs["priority, announced"] = (ri.get("slave_priority"), ri.get("replica_announced"))
    r.call("CONFIG", "SET", "replica-announced", "yes")

    # CLIENT SETNAME as a sentinel names its links
    with p.conn() as c:
        obs["setname"] = [c.call("CLIENT", "SETNAME", "sentinel-1a2b3c4d-cmd"),
                          c.call("CLIENT", "GETNAME"), c.call("CLIENT", "SETNAME", "two words"),
                          c.call("CLIENT", "SETNAME", "nl\n"), c.call("CLIENT", "SETNAME", ""),
                          c.call("CLIENT", "GETNAME"), c.call("CLIENT", "SETNAME")]

    # CLIENT KILL TYPE on the primary and the replica
    extra = [p.conn() for _ in range(2)]
    sub = p.conn()
    sub.call("SUBSCRIBE", "__sentinel__:hello")
    with p.conn() as c:
        obs["kill primary"] = [c.call("CLIENT", "KILL", "TYPE", t)
                               for t in ("master", "pubsub", "normal", "bogus")]
        obs["kill primary closed"] = [x.is_closed(1.0) for x in extra + [sub]]
        obs["kill replica"] = c.call("CLIENT", "KILL", "TYPE", "replica")
        obs["resync after kill"] = wait_until(lambda: synced(p, r))
        obs["kill slave"] = c.call("CLIENT", "KILL", "TYPE", "slave")
    obs["resync after kill slave"] = wait_until(lambda: synced(p, r))
    with r.conn() as c:
        obs["kill master on replica"] = [c.call("CLIENT", "KILL", "TYPE", "master"),
                                         c.call("CLIENT", "KILL", "TYPE", "replica")]
    obs["relink after kill master"] = wait_until(lambda: synced(p, r))

    # Promotion of the replica, as in the task: the whole reply, who is closed
    other, sub = r.conn(), r.conn()
    sub.call("SUBSCRIBE", "x")
    promo = r.conn()
    promo.send(b"".join(E(*c) for c in [("MULTI",), ("REPLICAOF", "NO", "ONE"),
                                        ("CONFIG", "REWRITE"), ("CLIENT", "KILL", "TYPE", "normal"),
                                        ("EXEC",)]))
    obs["promotion replies"] = promo.read_replies(5)
    obs["promotion closed: other, pubsub, caller"] = [other.is_closed(1.0), sub.is_closed(0.3),
                                                      promo.is_closed(0.3)]
    obs["promotion caller still serves"] = promo.call("PING")
    promo.close()
    obs["promoted role"] = shape(kt.parse(r.call("ROLE")), names)
    obs["promoted conf has a primary"] = [ln for ln in r.conf_lines("replicaof")
                                          if ln not in ('replicaof ""',)]
    obs["promoted CONFIG GET replicaof"] = r.call("CONFIG", "GET", "replicaof")

    # The old primary follows the new one: Redis Sentinel's own form
    other, sub = p.conn(), p.conn()
    sub.call("SUBSCRIBE", "__sentinel__:hello")
    reconf = p.conn()
    reconf.send(b"".join(E(*c) for c in [
        ("MULTI",), ("SLAVEOF", "127.0.0.1", str(r.port)), ("CONFIG", "REWRITE"),
        ("CLIENT", "KILL", "TYPE", "normal"), ("CLIENT", "KILL", "TYPE", "pubsub"), ("EXEC",)]))
    obs["reconfiguration replies"] = reconf.read_replies(6)
    obs["reconfiguration closed: other, pubsub, caller"] = [
        other.is_closed(1.0), sub.is_closed(1.0), reconf.is_closed(0.3)]
    reconf.close()
    obs["reconfigured conf"] = [ln.replace(str(r.port), "REPLICA_PORT")
                                for ln in p.conf_lines("replicaof")]
    obs["reconfigured CONFIG GET replicaof"] = kt.parse(p.call("CONFIG", "GET", "replicaof")) == [
        b"replicaof", ("127.0.0.1 %d" % r.port).encode()]
    obs["old primary follows"] = wait_until(lambda: synced(r, p))
    obs["old primary role"] = shape(kt.parse(p.call("ROLE")), names)

    # The spare, made a replica the task's way (REPLICAOF, KILL TYPE normal)
    with spare.conn() as c:
        c.send(b"".join(E(*x) for x in [
            ("MULTI",), ("REPLICAOF", "127.0.0.1", str(r.port)), ("CONFIG", "REWRITE"),
            ("CLIENT", "KILL", "TYPE", "normal"), ("EXEC",)]))
        obs["spare replies"] = c.read_replies(5)
    obs["spare conf"] = [ln.replace(str(r.port), "REPLICA_PORT")
                         for ln in spare.conf_lines("replicaof")]
    obs["spare follows"] = wait_until(lambda: synced(r, spare))
    ri = info_fields(r, "replication")
    obs["two replicas listed"] = (ri.get("connected_slaves"),
                                  sorted(re.sub(r"port=\d+,", "port=P,",
                                                re.sub(r"offset=\d+,lag=\d+", "offset=N,lag=N",
                                                       ri.get("slave%d" % i, "")))
                                         for i in range(2)))

    # A link that is down: the field Sentinel reads for replica selection
    with spare.conn() as c:
        c.call("REPLICAOF", "127.0.0.1", str(kt.free_port()))
    si = info_fields(spare, "replication")
    obs["link down"] = (si.get("master_link_status"),
                        "master_link_down_since_seconds" in si,
                        (si.get("master_link_down_since_seconds") or "x").lstrip("-").isdigit())
    spare.call("REPLICAOF", "NO", "ONE")

    # Restarted from their rewritten files, each keeps its role
    r.restart()
    p.restart()
    obs["restart: promoted stays primary"] = kt.parse(r.call("ROLE"))[0]
    obs["restart: old primary stays replica"] = shape(kt.parse(p.call("ROLE"))[:3], names)
    obs["restart: relinks"] = wait_until(lambda: link_up(p))
    for n in (p, r, spare):
        n.server.stop()
    return obs


def main():
    got = {}
    for kind in ("keel", "redis"):
        try:
            got[kind] = run_kind(kind)
        except kt.SetupError as e:
            results.fail("setup %s" % kind, str(e))
            results.finish()
    keel, redis = got["keel"], got["redis"]
    for name in redis:
        results.eq(name, keel.get(name), redis[name])
    results.finish()


if __name__ == "__main__":
    main()
