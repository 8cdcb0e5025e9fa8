"""test_replication_tls: replication links over TLS (tls-replication yes).

Certificates come from deploy/gen-certs.sh (server.crt also serves as the
replica's client certificate; tls-auth-clients is left at its default, yes).

- A Keel primary listening on TLS only (port 0, tls-port N) and a Keel
  replica with tls-replication yes: full sync (disk, then diskless with
  repl-diskless-load swapdb, parsed straight from the TLS socket), the
  stream, a partial resync after CLIENT KILL TYPE replica; INFO shows the
  link up, the replica announced with its TLS port, TLS in the log.
- Interop: Debian's redis-server (built with TLS) as a replica of the
  TLS-only Keel primary, and Keel as a TLS replica of a TLS-only
  redis-server; data identical.  Skipped with a message if redis-server
  has no TLS.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest as kt  # noqa: E402

try:
    import redis  # Debian's python3-redis
except ImportError:  # pragma: no cover
    print("redis-py missing: apt-get install python3-redis")
    print("0 passed, 1 failed")
    sys.exit(1)

HOST = "127.0.0.1"
R = kt.Results()
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CERTS = {}


def gen_certs():
    base = kt.tmpdir("keel-repl-certs-")
    script = os.path.join(os.environ.get("KEEL_SOURCE_DIR", ROOT), "deploy", "gen-certs.sh")
    subprocess.run(["bash", script, base], check=True, stdout=subprocess.DEVNULL, timeout=60)
    for name in ("ca.crt", "server.crt", "server.key", "client.crt", "client.key"):
        CERTS[name] = os.path.join(base, name)


def tls_args(tls_port):
    return ["--tls-port", str(tls_port), "--tls-cert-file", CERTS["server.crt"],
            "--tls-key-file", CERTS["server.key"], "--tls-ca-cert-file", CERTS["ca.crt"]]


def tls_client(port, db=0):
    return redis.Redis(host=HOST, port=port, db=db, ssl=True, ssl_ca_certs=CERTS["ca.crt"],
                       ssl_certfile=CERTS["client.crt"], ssl_keyfile=CERTS["client.key"],
                       socket_timeout=10, socket_connect_timeout=5)


def plain_client(port, db=0):
    return redis.Redis(host=HOST, port=port, db=db, socket_timeout=10)


class TlsOnlyServer(kt.Server):
    """A server with port 0 and a tls-port: readiness is checked over TLS."""

    def _wait_ready(self):
        deadline = time.monotonic() + kt.START_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise kt.SetupError("%s exited with status %s; log:\n%s"
                                    % (self.name, self.proc.returncode, self.log_tail()))
            try:
                if tls_client(self.port).ping():
                    return
            except (redis.exceptions.ConnectionError, redis.exceptions.ResponseError) as e:
                last = e
            time.sleep(0.05)
        raise kt.SetupError("%s: no TLS PONG on %d (last %r); log:\n%s"
                            % (self.name, self.port, last, self.log_tail()))


def start_tls_only(binary, name, extra=()):
    workdir = kt.tmpdir(name + "-")
    for attempt in range(3):
        port = kt.free_port()
        argv = [binary, "--port", "0", "--dir", workdir] + tls_args(port) + list(extra)
        if name == "redis-server":
            argv += ["--save", "", "--appendonly", "no"]
        try:
            return TlsOnlyServer(name, argv, port, workdir).start()
        except kt.SetupError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def fill(client_for, tag, n=300):
    for db in (0, 4):
        r = client_for(db)
        p = r.pipeline(transaction=False)
        for i in range(0, n, 100):
            p.mset({"%s:%d" % (tag, j): "v-%s-%d-%d" % (tag, db, j) for j in range(i, i + 100)})
        p.hset("%s:hash" % tag, mapping={"f%d" % i: i for i in range(50)})
        p.rpush("%s:list" % tag, *range(50))
        p.zadd("%s:zset" % tag, {"m%d" % i: i for i in range(50)})
        p.sadd("%s:set" % tag, *range(50))
        p.set("%s:ttl" % tag, "x", ex=3600)
        p.execute()


def snapshot(client_for):
    out = {}
    for db in (0, 4):
        r = client_for(db)
        for k in r.scan_iter(count=1000):
            t = r.type(k)
            if t == b"string":
                v = r.get(k)
            elif t == b"hash":
                v = frozenset(r.hgetall(k).items())
            elif t == b"list":
                v = tuple(r.lrange(k, 0, -1))
            elif t == b"zset":
                v = tuple(r.zrange(k, 0, -1, withscores=True))
            elif t == b"set":
                v = frozenset(r.smembers(k))
            else:
                v = None
            out[(db, k)] = (t, v)
    return out


def wait_synced(primary, replica, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ri = replica.info("replication")
        if ri.get("master_link_status") == "up":
            off = primary.info("replication")["master_repl_offset"]
            if off > 0 and ri.get("slave_repl_offset") == off:
                return True
        time.sleep(0.05)
    return False


def compare(name, p_for, r_for):
    ok = wait_synced(p_for(0), r_for(0))
    R.ok(name + ": link up, offsets equal", ok,
         "primary %r replica %r" % (p_for(0).info("replication"), r_for(0).info("replication")))
    want, got = snapshot(p_for), snapshot(r_for)
    R.ok(name + ": data identical (%d keys)" % len(want), want == got and len(want) > 600,
         "missing %r extra %r" % (sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5]))


def log_of(srv):
    with open(srv.log_path, "rb") as f:
        return f.read().decode("utf-8", "replace")


# ------------------------------------------------------------ keel and keel

def keel_to_keel():
    keel = kt.keel_server_path()
    prim = start_tls_only(keel, "keel-primary", ["--save", "", "--repl-diskless-sync", "no"])
    p_for = lambda db: tls_client(prim.port, db)  # noqa: E731
    fill(p_for, "before")
    rep_tls = kt.free_port()
    rep = kt.start_keel(tls_args(rep_tls) + ["--save", "", "--tls-replication", "yes",
                                              "--replicaof", HOST, str(prim.port)])
    r_for = lambda db: plain_client(rep.port, db)  # noqa: E731
    compare("keel->keel TLS full sync (disk)", p_for, r_for)
    fill(p_for, "stream")
    compare("keel->keel TLS stream", p_for, r_for)
    info = p_for(0).info("replication")
    R.eq("primary sees one replica", info.get("connected_slaves"), 1)
    R.eq("replica announced with its TLS port", info.get("slave0", {}).get("port"), rep_tls)
    R.ok("replica log says TLS", "Connecting to MASTER %s:%d over TLS" % (HOST, prim.port)
         in log_of(rep))
    R.eq("replica reads over its TLS port too", tls_client(rep_tls).get("stream:1"),
         b"v-stream-0-1")
    try:
        r_for(0).set("x", 1)
        R.fail("replica refuses writes")
    except redis.exceptions.ReadOnlyError:
        R.ok("replica refuses writes", True)

    # Partial resync over TLS.
    before = p_for(0).info("stats")
    p_for(0).execute_command("CLIENT", "KILL", "TYPE", "replica")
    fill(p_for, "outage", n=100)
    compare("keel->keel TLS after CLIENT KILL", p_for, r_for)
    after = p_for(0).info("stats")
    R.eq("partial resync over TLS", (after["sync_full"], after["sync_partial_ok"]),
         (before["sync_full"], before["sync_partial_ok"] + 1))
    R.ok("repl bytes counted", after["total_net_repl_output_bytes"] > 10000 and
         r_for(0).info("stats")["total_net_repl_input_bytes"] > 10000)

    # Diskless, parsed from the TLS socket into temporary databases.
    p_for(0).config_set("repl-diskless-sync", "yes")
    r_for(0).config_set("repl-diskless-load", "swapdb")
    r_for(0).replicaof("no", "one")
    r_for(0).set("mine", 1)
    fill(p_for, "diskless")
    r_for(0).replicaof(HOST, prim.port)
    compare("keel->keel TLS full sync (diskless, swapdb)", p_for, r_for)
    R.ok("diskless payload parsed from the socket",
         "receiving streamed RDB from master with EOF to parser" in log_of(rep))
    R.eq("the replica's own key is gone", r_for(0).exists("mine"), 0)
    rep.stop()
    prim.stop()


# ------------------------------------------------------------ with redis-server

def redis_has_tls():
    """redis-server's path if it can serve TLS here (a build without TLS
    refuses tls-port at start-up), else None."""
    try:
        path = kt.redis_server_path()
        srv = start_tls_only(path, "redis-server")
    except kt.SetupError as e:
        print("redis-server cannot serve TLS here: %s" % str(e)[:300])
        return None
    srv.stop()
    return path


def redis_replica_of_keel(redis_path):
    keel = kt.keel_server_path()
    prim = start_tls_only(keel, "keel-primary", ["--save", "", "--repl-diskless-sync", "yes",
                                                 "--repl-diskless-sync-delay", "0"])
    p_for = lambda db: tls_client(prim.port, db)  # noqa: E731
    fill(p_for, "before")
    red = kt.start_redis(tls_args(kt.free_port()) + ["--tls-replication", "yes",
                                                     "--replicaof", HOST, str(prim.port)])
    r_for = lambda db: plain_client(red.port, db)  # noqa: E731
    compare("redis replica of keel over TLS: full sync", p_for, r_for)
    fill(p_for, "after")
    compare("redis replica of keel over TLS: stream", p_for, r_for)
    p_for(0).set("waitkey", 1)
    R.eq("WAIT counts the TLS redis replica", p_for(0).wait(1, 5000), 1)
    red.stop()
    prim.stop()


def keel_replica_of_redis(redis_path):
    prim = start_tls_only(redis_path, "redis-server")
    p_for = lambda db: tls_client(prim.port, db)  # noqa: E731
    fill(p_for, "before")
    rep = kt.start_keel(tls_args(kt.free_port()) + ["--save", "", "--tls-replication", "yes",
                                                    "--replicaof", HOST, str(prim.port)])
    r_for = lambda db: plain_client(rep.port, db)  # noqa: E731
    compare("keel replica of redis over TLS: full sync", p_for, r_for)
    fill(p_for, "after")
    compare("keel replica of redis over TLS: stream", p_for, r_for)
    rep.stop()
    prim.stop()


def main():
    try:
        gen_certs()
        keel_to_keel()
        redis_path = redis_has_tls()
        if redis_path:
            redis_replica_of_keel(redis_path)
            keel_replica_of_redis(redis_path)
        else:
            print("SKIP interop with redis-server over TLS (no TLS-capable redis-server)")
    except kt.SetupError as e:
        R.fail("setup", str(e))
    R.finish()


if __name__ == "__main__":
    main()
