#!/usr/bin/python3
"""test_tls_clients: real clients talking to keel-server over TLS, unchanged.

Certificates come from deploy/gen-certs.sh (a trusted CA and a second,
untrusted one).  keel-server ($KEEL_SERVER) is started with --tls-port and the
trusted CA; then:
- redis-cli --tls --cacert --cert --key: PING, SET/GET, -x with a 2 MB value,
  commands piped on stdin, --insecure, and refusals (no client certificate,
  a client certificate from the untrusted CA, a CA that does not know the
  server);
- redis-py redis.Redis(ssl=True, ssl_ca_certs=, ssl_certfile=, ssl_keyfile=):
  PING, SET/GET, a 1,000-command pipeline, a 5 MB value, pub/sub messages
  pushed by the server, threads sharing a pool, and the refusals;
- keel-cli ($KEEL_CLI) --tls the same way, with rediss:// and --sni;
- a TLS-only server (port 0, tls-port N), reached by redis-cli and redis-py;
- the server keeps serving plain TCP throughout, and every check asserts the
  exact expected value.
Prints "N passed, M failed"; exit status 1 on any failure.
"""
import os
import socket
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest  # noqa: E402

try:
    import redis  # noqa: E402
except ImportError:  # pragma: no cover
    print("redis-py not importable by %s (apt-get install python3-redis)" % sys.executable)
    print("0 passed, 1 failed")
    sys.exit(1)

HOST = "127.0.0.1"
R = keeltest.Results()
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CERTS = None  # dict: ca, cert, key (trusted); bad_ca, bad_cert, bad_key (untrusted CA)


def gen_certs():
    global CERTS
    base = keeltest.tmpdir("keel-tls-certs-")
    script = os.path.join(os.environ.get("KEEL_SOURCE_DIR", ROOT), "deploy", "gen-certs.sh")
    for name in ("good", "bad"):
        subprocess.run(["bash", script, os.path.join(base, name)], check=True,
                       stdout=subprocess.DEVNULL, timeout=60)
    g, b = os.path.join(base, "good"), os.path.join(base, "bad")
    CERTS = {
        "ca": os.path.join(g, "ca.crt"), "cert": os.path.join(g, "client.crt"),
        "key": os.path.join(g, "client.key"),
        "server_cert": os.path.join(g, "server.crt"), "server_key": os.path.join(g, "server.key"),
        "bad_ca": os.path.join(b, "ca.crt"), "bad_cert": os.path.join(b, "client.crt"),
        "bad_key": os.path.join(b, "client.key"),
    }


def server_tls_args(tls_port):
    return ["--tls-port", str(tls_port), "--tls-cert-file", CERTS["server_cert"],
            "--tls-key-file", CERTS["server_key"], "--tls-ca-cert-file", CERTS["ca"]]


def start_tls_keel():
    """keel-server with a plain port (for the harness) and a TLS port."""
    for _attempt in range(3):
        tls_port = keeltest.free_port()
        try:
            srv = keeltest.start_keel(extra=server_tls_args(tls_port))
            srv.tls_port = tls_port
            return srv
        except keeltest.SetupError:
            if _attempt == 2:
                raise
    raise AssertionError("unreachable")


def tls_redis(port, **kw):
    args = dict(host=HOST, port=port, ssl=True, ssl_ca_certs=CERTS["ca"],
                ssl_certfile=CERTS["cert"], ssl_keyfile=CERTS["key"],
                socket_timeout=10, socket_connect_timeout=5)
    args.update(kw)
    return redis.Redis(**args)


def run(argv, stdin=None, timeout=20):
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def cli_tls(binary, port, *extra, cert=True, ca=None):
    argv = [binary, "-h", HOST, "-p", str(port), "--tls", "--cacert", ca or CERTS["ca"]]
    if cert:
        argv += ["--cert", CERTS["cert"], "--key", CERTS["key"]]
    return argv + list(extra)


# ------------------------------------------------------------------ checks

def check_redis_cli(srv):
    rc, out, err = run(cli_tls("redis-cli", srv.tls_port, "PING"))
    R.eq("redis-cli PING", (rc, out), (0, b"PONG\n"))
    rc, out, _ = run(cli_tls("redis-cli", srv.tls_port, "SET", "cli:k", "over tls"))
    R.eq("redis-cli SET", (rc, out), (0, b"OK\n"))
    rc, out, _ = run(cli_tls("redis-cli", srv.tls_port, "GET", "cli:k"))
    R.eq("redis-cli GET", (rc, out), (0, b"over tls\n"))
    big = os.urandom(1024 * 1024).hex().encode()  # 2 MB of text
    rc, out, _ = run(cli_tls("redis-cli", srv.tls_port, "-x", "SET", "cli:big"), stdin=big)
    R.eq("redis-cli -x SET 2 MB", (rc, out), (0, b"OK\n"))
    rc, out, _ = run(cli_tls("redis-cli", srv.tls_port, "STRLEN", "cli:big"))
    R.eq("redis-cli STRLEN", out, b"%d\n" % len(big))
    rc, out, _ = run(cli_tls("redis-cli", srv.tls_port), stdin=b"INCR cli:n\nINCR cli:n\nGET cli:n\n")
    R.eq("redis-cli piped", (rc, out), (0, b"1\n2\n2\n"))
    rc, out, _ = run(["redis-cli", "-p", str(srv.tls_port), "--tls", "--insecure",
                      "--cert", CERTS["cert"], "--key", CERTS["key"], "PING"])
    R.eq("redis-cli --insecure", (rc, out), (0, b"PONG\n"))
    # Plain TCP still serves the same data.
    with srv.conn() as c:
        R.eq("plain GET of a key set over TLS", c.call("GET", "cli:k"), b"$8\r\nover tls\r\n")


def check_redis_cli_refused(srv):
    rc, out, _ = run(cli_tls("redis-cli", srv.tls_port, "PING", cert=False))
    R.ok("redis-cli without a client certificate is refused", rc != 0 and b"PONG" not in out,
         "rc=%r out=%r" % (rc, out))
    argv = ["redis-cli", "-p", str(srv.tls_port), "--tls", "--cacert", CERTS["ca"],
            "--cert", CERTS["bad_cert"], "--key", CERTS["bad_key"], "PING"]
    rc, out, _ = run(argv)
    R.ok("redis-cli with an untrusted certificate is refused", rc != 0 and b"PONG" not in out,
         "rc=%r out=%r" % (rc, out))
    rc, out, err = run(cli_tls("redis-cli", srv.tls_port, "PING", ca=CERTS["bad_ca"]))
    R.ok("redis-cli refuses a server its CA does not know",
         rc != 0 and b"certificate verify failed" in err, "rc=%r err=%r" % (rc, err))
    rc, out, _ = run(["redis-cli", "-p", str(srv.port), "--tls", "--cacert", CERTS["ca"],
                      "--cert", CERTS["cert"], "--key", CERTS["key"], "PING"])
    R.ok("redis-cli --tls to the plain port fails", rc != 0 and b"PONG" not in out, repr(out))


def check_redis_py(srv):
    r = tls_redis(srv.tls_port)
    R.eq("redis-py ping", r.ping(), True)
    R.eq("redis-py set", r.set("py:k", "v1"), True)
    R.eq("redis-py get", r.get("py:k"), b"v1")
    p = r.pipeline(transaction=False)
    for i in range(1000):
        p.incr("py:ctr")
    R.eq("redis-py 1000-command pipeline", p.execute()[-1], 1000)
    big = os.urandom(5 * 1024 * 1024)
    R.eq("redis-py set 5 MB", r.set("py:big", big), True)
    R.eq("redis-py get 5 MB", r.get("py:big") == big, True)
    # MULTI/EXEC over TLS.
    p = r.pipeline(transaction=True)
    p.set("py:a", 1).incr("py:a").get("py:a")
    R.eq("redis-py transaction", p.execute(), [True, 2, b"2"])
    r.close()


def check_redis_py_pubsub(srv):
    sub = tls_redis(srv.tls_port)
    ps = sub.pubsub()
    ps.subscribe("news")
    first = ps.get_message(timeout=5)
    R.eq("redis-py subscribe confirmation", first and first["type"], "subscribe")
    pub = tls_redis(srv.tls_port)
    n = pub.publish("news", "hello")
    R.eq("redis-py publish receivers", n, 1)
    msg = ps.get_message(timeout=5)
    R.eq("redis-py message pushed over TLS", msg and msg["data"], b"hello")
    ps.close()
    sub.close()
    pub.close()


def check_redis_py_threads(srv):
    pool = redis.ConnectionPool(connection_class=redis.SSLConnection, host=HOST,
                                port=srv.tls_port, ssl_ca_certs=CERTS["ca"],
                                ssl_certfile=CERTS["cert"], ssl_keyfile=CERTS["key"],
                                socket_timeout=10, max_connections=8)
    r = redis.Redis(connection_pool=pool)
    r.delete("py:threads")
    errors = []

    def work():
        try:
            for _ in range(200):
                r.incr("py:threads")
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    R.eq("redis-py 8 threads x 200 INCR over a TLS pool", (errors, r.get("py:threads")),
         ([], b"1600"))
    pool.disconnect()


def check_redis_py_refused(srv):
    r = tls_redis(srv.tls_port, ssl_certfile=None, ssl_keyfile=None)
    try:
        r.ping()
        R.fail("redis-py without a client certificate is refused", "ping succeeded")
    except redis.exceptions.ConnectionError:
        R.ok("redis-py without a client certificate is refused", True)
    r = tls_redis(srv.tls_port, ssl_ca_certs=CERTS["bad_ca"])
    try:
        r.ping()
        R.fail("redis-py refuses a server its CA does not know", "ping succeeded")
    except redis.exceptions.ConnectionError as e:
        R.ok("redis-py refuses a server its CA does not know",
             "certificate verify failed" in str(e), str(e))
    # The refusals cost the others nothing.
    R.eq("redis-py still served after refusals", tls_redis(srv.tls_port).ping(), True)


def check_keel_cli(srv):
    cli = os.environ.get("KEEL_CLI")
    if not cli or not os.access(cli, os.X_OK):
        R.fail("keel-cli", "KEEL_CLI is not set to an executable keel-cli")
        return
    rc, out, err = run(cli_tls(cli, srv.tls_port, "PING"))
    R.eq("keel-cli PING", (rc, out, err), (0, b"PONG\n", b""))
    rc, out, _ = run(cli_tls(cli, srv.tls_port, "SET", "kc:k", "from keel-cli"))
    R.eq("keel-cli SET", (rc, out), (0, b"OK\n"))
    rc, out, _ = run(cli_tls(cli, srv.tls_port, "GET", "kc:k"))
    R.eq("keel-cli GET", (rc, out), (0, b"from keel-cli\n"))
    big = os.urandom(1024 * 1024).hex().encode()
    rc, out, _ = run(cli_tls(cli, srv.tls_port, "-x", "SET", "kc:big"), stdin=big)
    R.eq("keel-cli -x SET 2 MB", (rc, out), (0, b"OK\n"))
    rc, out, _ = run(cli_tls(cli, srv.tls_port, "GET", "kc:big"))
    R.eq("keel-cli GET 2 MB", out == big + b"\n", True)
    rc, out, _ = run(cli_tls(cli, srv.tls_port), stdin=b"INCR kc:n\nINCR kc:n\nGET kc:n\n")
    R.eq("keel-cli piped", (rc, out), (0, b"1\n2\n2\n"))
    rc, out, _ = run([cli, "-u", "rediss://%s:%d/2" % (HOST, srv.tls_port), "--cacert",
                      CERTS["ca"], "--cert", CERTS["cert"], "--key", CERTS["key"], "--sni",
                      "localhost", "SET", "kc:db2", "x"])
    R.eq("keel-cli rediss:// with a database", (rc, out), (0, b"OK\n"))
    R.eq("rediss:// selected database 2", tls_redis(srv.tls_port, db=2).get("kc:db2"), b"x")
    rc, out, _ = run([cli, "-p", str(srv.tls_port), "--tls", "--insecure", "--cert",
                      CERTS["cert"], "--key", CERTS["key"], "PING"])
    R.eq("keel-cli --insecure", (rc, out), (0, b"PONG\n"))
    # Same answers as redis-cli, byte for byte.
    for args in (["GET", "kc:k"], ["GET", "kc:missing"], ["LRANGE", "nolist", "0", "-1"],
                 ["HGET", "kc:k", "f"], ["MGET", "kc:k", "kc:missing"]):
        a = run(cli_tls(cli, srv.tls_port, *args))
        b = run(cli_tls("redis-cli", srv.tls_port, *args))
        R.eq("keel-cli and redis-cli agree on %s" % " ".join(args), a, b)
    # Refusals: exit status 1 and a reason.
    rc, out, err = run(cli_tls(cli, srv.tls_port, "PING", ca=CERTS["bad_ca"]))
    R.eq("keel-cli refuses a server its CA does not know",
         (rc, err), (1, b"Could not connect to Keel at 127.0.0.1:%d: SSL_connect failed: "
                        b"certificate verify failed\n" % srv.tls_port))
    rc, out, err = run(cli_tls(cli, srv.tls_port, "PING", cert=False))
    R.ok("keel-cli without a client certificate is refused", rc == 1 and out == b"",
         "rc=%r out=%r err=%r" % (rc, out, err))
    rc, out, err = run([cli, "-p", str(srv.tls_port), "--tls", "--cacert", "/nonexistent",
                        "PING"])
    R.eq("keel-cli with a missing CA file", (rc, err),
         (1, b"Could not negotiate a TLS connection: Invalid CA Certificate File/Directory\n"))
    rc, out, err = run(cli_tls(cli, srv.port, "PING"))
    R.ok("keel-cli --tls to the plain port fails", rc == 1 and b"SSL_connect failed" in err,
         repr(err))
    rc, out, _ = run([cli, "-p", str(srv.port), "PING"])
    R.eq("keel-cli plain still works", (rc, out), (0, b"PONG\n"))


def check_tls_only(_srv):
    """port 0 + tls-port N: TLS only, nothing on TCP in the clear."""
    workdir = keeltest.tmpdir("keel-tls-only-")
    tls_port = keeltest.free_port()
    log = open(os.path.join(workdir, "keel.log"), "wb")
    proc = subprocess.Popen([keeltest.keel_server_path(), "--port", "0", "--dir", workdir]
                            + server_tls_args(tls_port), stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, cwd=workdir)
    log.close()
    try:
        deadline = time.monotonic() + 10
        up = False
        while time.monotonic() < deadline and not up:
            try:
                up = tls_redis(tls_port, socket_timeout=1).ping()
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        R.ok("TLS-only server answers redis-py", up)
        rc, out, _ = run(cli_tls("redis-cli", tls_port, "PING"))
        R.eq("TLS-only server answers redis-cli", (rc, out), (0, b"PONG\n"))
        # Clear text to the TLS port gets no reply, and the server lives on.
        s = socket.create_connection((HOST, tls_port), timeout=5)
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
        R.ok("plain text to the TLS port gets no reply", b"PONG" not in data, repr(data))
        R.eq("TLS-only server still serves", tls_redis(tls_port).ping(), True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


CHECKS = [check_redis_cli, check_redis_cli_refused, check_redis_py, check_redis_py_pubsub,
          check_redis_py_threads, check_redis_py_refused, check_keel_cli, check_tls_only]


def main():
    try:
        gen_certs()
        srv = start_tls_keel()
    except (keeltest.SetupError, subprocess.SubprocessError, OSError) as e:
        R.fail("set up", str(e))
        R.finish()
    print("keel-server on port %d, TLS on port %d, redis-py %s"
          % (srv.port, srv.tls_port, redis.__version__))
    for fn in CHECKS:
        before = R.failed
        t0 = time.monotonic()
        try:
            fn(srv)
        except Exception:
            R.fail("%s raised" % fn.__name__, traceback.format_exc())
        if not srv.alive():
            R.fail("%s: server died" % fn.__name__, srv.log_tail())
            srv = start_tls_keel()
        print("%-26s %s (%.2fs)" % (fn.__name__, "ok" if R.failed == before else
                                    "%d failed" % (R.failed - before), time.monotonic() - t0))
    R.finish()


if __name__ == "__main__":
    main()
