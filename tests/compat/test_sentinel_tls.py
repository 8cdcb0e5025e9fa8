"""test_sentinel_tls: Sentinel over TLS (tls-port, tls-replication yes).

Certificates come from deploy/gen-certs.sh in a temp dir: server.crt (which
also serves as the client certificate of outgoing links) for every process,
client.crt for the test's clients; tls-auth-clients stays at its default,
yes, so every TLS connection must present a certificate.

One deployment per combination: 1 primary + 2 replicas, all `port 0` and a
`tls-port` with `tls-replication yes` (replication itself over TLS), and 3
sentinels with `port 0`, `tls-port`, `tls-replication yes`, monitoring the
primary's TLS port.  Nothing listens in the clear.  Checked:
- every sentinel knows the 2 replicas and the 2 other sentinels, by their
  TLS ports, connected (SENTINEL REPLICAS / SENTINELS over TLS);
- the hellos published on every server name the sentinels' TLS ports and
  the primary's TLS port;
- redis-py's Sentinel (sentinel_kwargs carry the TLS options, as redis-py
  4.3 only passes socket_* options to sentinel connections by itself) finds
  the primary and the replicas and writes through master_for(ssl=True);
- SIGKILL of the primary: the sentinels fail over over TLS, the client's
  next write lands on the new primary, the other replica follows it (over
  TLS) and gets that write;
- plain text sent to a sentinel's tls-port gets no reply and is closed, a
  TLS client without a certificate is refused, and the sentinel goes on;
- the config file each keel-sentinel rewrote keeps its TLS options, and a
  restarted sentinel comes back over TLS knowing the new primary.

Combinations: keel/keel always; redis-sentinel on keel-server, keel-sentinel
on redis-server, 2 keel-sentinels + 1 redis-sentinel on keel-server, and
redis/redis (the reference) when Debian's redis-server is built with TLS
(skipped with a message otherwise).  `--combo NAME`
(repeatable) narrows.

Also, keel only ("misconfigured"): a sentinel whose CA does not trust the
primary, and one speaking TLS to a plain port, log why (a warning per
address, not per retry) and see the primary down.
"""
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest as kt  # noqa: E402
import sentinel_cluster as sc  # noqa: E402

try:
    import redis
    from redis.sentinel import Sentinel
except ImportError:  # pragma: no cover
    print("redis-py missing: apt-get install python3-redis")
    print("0 passed, 1 failed")
    sys.exit(1)

HOST = sc.HOST
NAME = sc.MASTER_NAME
R = kt.Results()
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CERTS = {}
DOWN_AFTER = 1000
FAILOVER_TIMEOUT = 10000
DISCOVER_BOUND = 20.0   # seconds for sentinels to learn replicas and each other
FAILOVER_BOUND = 30.0


def gen_certs():
    base = kt.tmpdir("keel-sentinel-certs-")
    script = os.path.join(os.environ.get("KEEL_SOURCE_DIR", ROOT), "deploy", "gen-certs.sh")
    subprocess.run(["bash", script, base], check=True, stdout=subprocess.DEVNULL, timeout=60)
    for name in ("ca.crt", "server.crt", "server.key", "client.crt", "client.key"):
        CERTS[name] = os.path.join(base, name)


def client_ssl_kwargs():
    """redis-py's TLS options for the test's clients (client certificate)."""
    return dict(ssl=True, ssl_ca_certs=CERTS["ca.crt"], ssl_certfile=CERTS["client.crt"],
                ssl_keyfile=CERTS["client.key"])


def ssl_context(cert=True):
    ctx = ssl.create_default_context(cafile=CERTS["ca.crt"])
    if cert:
        ctx.load_cert_chain(CERTS["client.crt"], CERTS["client.key"])
    return ctx


class TlsRawConn(kt.RawConn):
    """kt.RawConn over TLS (with the client certificate)."""

    def __init__(self, port, host=HOST, timeout=kt.IO_TIMEOUT, cert=True):
        super().__init__(port, host=host, timeout=timeout)
        try:
            self.sock = ssl_context(cert).wrap_socket(self.sock, server_hostname="localhost")
        except Exception:
            self.close()
            raise


def tls_call(port, *args, timeout=2.0):
    with TlsRawConn(port, timeout=timeout) as c:
        return kt.parse(c.call(*args))


class TlsNode(sc.Node):
    """A sentinel_cluster Node that is reached over TLS only: `port` is its
    tls-port (its plain port is 0)."""

    def call(self, *args, timeout=2.0):
        return tls_call(self.port, *args, timeout=timeout)

    def wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise kt.SetupError("%s exited with status %s; log:\n%s"
                                    % (self.name, self.proc.returncode, self.log_tail()))
            try:
                r = self.call("PING", timeout=1.0)
                if r == b"PONG":
                    return
                last = r
            except (OSError, ValueError) as e:
                last = e
            time.sleep(0.05)
        raise kt.SetupError("%s did not answer PING over TLS on port %d within %.0fs (last: %r); log:\n%s"
                            % (self.name, self.port, timeout, last, self.log_tail()))


# ------------------------------------------------------------------ deployment

def tls_lines(port):
    return ("port 0\ntls-port %d\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\n"
            "tls-replication yes\n" % (port, CERTS["server.crt"], CERTS["server.key"], CERTS["ca.crt"]))


SERVER_CONF = """# written by test_sentinel_tls.py
bind 127.0.0.1
dir {dir}
save ""
appendonly no
repl-diskless-sync-delay 0
"""

SENTINEL_CONF = """# written by test_sentinel_tls.py
bind 127.0.0.1
dir {dir}
sentinel monitor {name} 127.0.0.1 {primary} 2
sentinel down-after-milliseconds {name} {down_after}
sentinel failover-timeout {name} {failover_timeout}
sentinel parallel-syncs {name} 1
"""


class TlsDeployment:
    def __init__(self, combo, server_bin, sentinel_bins):
        self.combo = combo
        self.server_bin = server_bin
        self.sentinel_bins = sentinel_bins
        self.dir = kt.tmpdir("keel-sentinel-tls-")
        self.servers = []
        self.sentinels = []

    def _new_node(self, name, binary, sentinel, conf_text):
        d = os.path.join(self.dir, name)
        os.makedirs(d, exist_ok=True)
        for attempt in range(5):
            port = kt.free_port()
            conf = os.path.join(d, name + ".conf")
            with open(conf, "w") as f:
                f.write(conf_text(port, d))
            node = TlsNode(name, binary, port, d, conf, sentinel)
            try:
                return node.start()
            except kt.SetupError:
                node.kill(signal.SIGKILL, quiet=True)
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def start(self):
        primary = None
        for i in range(3):
            def server_conf(port, d, i=i):
                s = SERVER_CONF.format(dir=d) + tls_lines(port)
                if i > 0:
                    s += "replicaof 127.0.0.1 %d\n" % primary.port
                return s
            node = self._new_node("server%d" % i, self.server_bin, False, server_conf)
            primary = primary or node
            self.servers.append(node)
        for j, binary in enumerate(self.sentinel_bins):
            def sentinel_conf(port, d):
                return SENTINEL_CONF.format(dir=d, name=NAME, primary=primary.port,
                                            down_after=DOWN_AFTER,
                                            failover_timeout=FAILOVER_TIMEOUT) + tls_lines(port)
            self.sentinels.append(self._new_node("sentinel%d" % j, binary, True, sentinel_conf))
        return self

    def close(self):
        for n in self.servers + self.sentinels:
            n.kill(signal.SIGKILL, quiet=True)

    def server_by_port(self, port):
        return next((s for s in self.servers if s.port == port), None)

    def live_sentinels(self):
        return [s for s in self.sentinels if s.alive()]

    def master_addr(self, se):
        r = se.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", NAME, timeout=1.0)
        return sc.text(r[0]), int(r[1])

    def views(self):
        """What each sentinel knows, for failure messages."""
        lines = []
        for se in self.live_sentinels():
            try:
                m = sc.pairs(se.call("SENTINEL", "MASTER", NAME))
                lines.append("%s: master %s:%s flags=%s" % (se.name, m.get("ip"), m.get("port"),
                                                             m.get("flags")))
                for x in se.call("SENTINEL", "REPLICAS", NAME):
                    d = sc.pairs(x)
                    lines.append("  replica %s flags=%s link=%s" % (d.get("name"), d.get("flags"),
                                                                   d.get("master-link-status")))
                for x in se.call("SENTINEL", "SENTINELS", NAME):
                    d = sc.pairs(x)
                    lines.append("  sentinel %s:%s flags=%s" % (d.get("ip"), d.get("port"),
                                                               d.get("flags")))
            except Exception as e:  # noqa: BLE001
                lines.append("%s: %r" % (se.name, e))
        return "\n".join(lines)

    def tails(self, nodes=None, n=1500):
        return "\n".join("--- %s ---\n%s" % (s.name, s.log_tail(n))
                         for s in (nodes or self.sentinels + self.servers))


# ------------------------------------------------------------------ checks

def known_ok(se, what, want_ports):
    """SENTINEL <what> over TLS lists exactly want_ports, none of them
    disconnected or down."""
    got = {}
    for x in se.call("SENTINEL", what, NAME, timeout=1.0):
        d = sc.pairs(x)
        got[int(d["port"])] = d.get("flags", "")
    if set(got) != set(want_ports):
        return False
    return all("disconnected" not in f and "down" not in f for f in got.values())


def hellos(servers, duration=2.5):
    """{server name: {sender port: hello fields}} heard over TLS."""
    seen = {s.name: {} for s in servers}
    lock = threading.Lock()

    def listen(srv):
        try:
            with TlsRawConn(srv.port, timeout=2.0) as c:
                c.send(kt.encode("SUBSCRIBE", "__sentinel__:hello"))
                c.read_reply(2.0)
                end = time.monotonic() + duration
                while time.monotonic() < end:
                    try:
                        m = kt.parse(c.read_reply(max(0.05, end - time.monotonic())))
                    except socket.timeout:
                        break
                    if isinstance(m, list) and len(m) == 3 and m[0] == b"message":
                        f = sc.text(m[2]).split(",")
                        with lock:
                            seen[srv.name][int(f[1])] = f
        except (OSError, ValueError) as e:
            with lock:
                seen[srv.name]["error"] = repr(e)

    threads = [threading.Thread(target=listen, args=(s,), daemon=True) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 5)
    return seen


def plain_refused(port):
    """Plain text to a TLS port: no RESP reply, the connection closed."""
    try:
        with kt.RawConn(port, timeout=2.0) as c:
            c.send(kt.encode("PING"))
            if c.is_closed(3.0):
                return b"+PONG" not in bytes(c.buf)
            return False
    except (ConnectionError, OSError):
        return True


def no_cert_refused(port):
    try:
        with TlsRawConn(port, timeout=2.0, cert=False) as c:
            c.send(kt.encode("PING"))
            r = c.read_reply(2.0)
            return b"PONG" not in r
    except (ssl.SSLError, ConnectionError, OSError):
        return True


def sentinel_client(dep, timeout=1.0):
    tls = client_ssl_kwargs()
    kw = dict(tls, socket_timeout=timeout, socket_connect_timeout=timeout)
    return Sentinel([(HOST, s.port) for s in dep.live_sentinels()], sentinel_kwargs=kw, **kw)


def write_until(master, key, value, timeout):
    """SET through a master_for client until OK (bounded); returns the time
    it took or None."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        try:
            if master.set(key, value):
                return time.monotonic() - t0
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                redis.exceptions.ReadOnlyError) as e:
            last = e
        time.sleep(0.05)
    print("   last error writing %s: %r" % (key, last))
    return None


def run(combo, server_bin, sentinel_bins, keel_sentinels):
    """keel_sentinels: sentinel0 is a keel-sentinel (its config and restart
    are checked)."""
    p = combo + ": "
    dep = TlsDeployment(combo, server_bin, sentinel_bins)
    try:
        dep.start()
    except kt.SetupError as e:
        R.fail(p + "start 3 servers and 3 sentinels over TLS", str(e)[-3000:])
        dep.close()
        return
    try:
        try:
            scenario(p, dep, keel_sentinels)
        except Exception:  # noqa: BLE001 - report it, go on with the next combination
            R.fail(p + "scenario ran to its end", traceback.format_exc() + "\n" + dep.tails())
        # A clean exit on SIGTERM; a sanitizer build reports leaks then.
        for n in dep.sentinels + dep.servers:
            n.kill(signal.SIGTERM, quiet=True)
        bad = [n.name for n in dep.sentinels + dep.servers
               if "AddressSanitizer" in n.log_tail(1 << 22) or "runtime error:" in n.log_tail(1 << 22)]
        R.eq(p + "no sanitizer report in any log", bad, [])
        if bad:
            print(dep.tails([n for n in dep.sentinels + dep.servers if n.name in bad], 6000))
    finally:
        dep.close()


def scenario(p, dep, keel_sentinels):
    primary = dep.servers[0]
    replicas = dep.servers[1:]
    sports = [s.port for s in dep.sentinels]

    # Replication itself runs over TLS (tls-replication yes on the servers).
    try:
        sc.wait_until(lambda: all(s.info().get("master_link_status") == "up" for s in replicas),
                      15, what="replicas' links up")
        R.ok(p + "replicas sync from the primary over TLS", True)
    except sc.Timeout as e:
        R.fail(p + "replicas sync from the primary over TLS", str(e) + "\n" + dep.tails(dep.servers))

    # Discovery over TLS.
    t0 = time.monotonic()
    for se in dep.sentinels:
        others = [x for x in sports if x != se.port]
        try:
            sc.wait_until(lambda: known_ok(se, "REPLICAS", [r.port for r in replicas]) and
                          known_ok(se, "SENTINELS", others),
                          max(1.0, DISCOVER_BOUND - (time.monotonic() - t0)),
                          what="%s to know the replicas and sentinels" % se.name)
            R.ok(p + "%s knows both replicas and both other sentinels by their TLS ports" % se.name,
                 True)
        except sc.Timeout as e:
            R.fail(p + "%s knows both replicas and both other sentinels by their TLS ports" % se.name,
                   "%s\n%s\n%s" % (e, dep.views(), dep.tails(dep.sentinels)))
    print("   %sdiscovery over TLS took %.1fs" % (p, time.monotonic() - t0))

    heard = hellos(dep.servers)
    for srv in dep.servers:
        h = heard[srv.name]
        R.eq(p + "hellos on %s come from the sentinels' TLS ports" % srv.name, sorted(h), sorted(sports))
        R.ok(p + "hellos on %s name the primary's TLS port" % srv.name,
             h and all(isinstance(f, list) and len(f) == 8 and f[5] == HOST and int(f[6]) == primary.port
                       for f in h.values()), repr(h))

    # redis-py through the sentinels, over TLS both ways.
    sent = sentinel_client(dep)
    R.eq(p + "redis-py Sentinel.discover_master over TLS", sent.discover_master(NAME),
         (HOST, primary.port))
    R.eq(p + "redis-py Sentinel.discover_slaves over TLS", sorted(sent.discover_slaves(NAME)),
         sorted((HOST, r.port) for r in replicas))
    master = sent.master_for(NAME, socket_timeout=1.0, **client_ssl_kwargs())
    R.ok(p + "write through master_for(ssl=True)", master.set("tls:before", "1") is True)
    R.eq(p + "the write is on the primary", primary.call("GET", "tls:before"), b"1")
    try:
        sc.wait_until(lambda: all(r.call("GET", "tls:before") == b"1" for r in replicas), 5,
                      what="tls:before on the replicas")
        R.ok(p + "and reaches the replicas over TLS", True)
    except sc.Timeout as e:
        R.fail(p + "and reaches the replicas over TLS", str(e))

    # Refusals on a sentinel's tls-port.
    se0 = dep.sentinels[0]
    R.ok(p + "plain text to a sentinel's tls-port is refused", plain_refused(se0.port))
    R.ok(p + "a TLS client without a certificate is refused", no_cert_refused(se0.port))
    R.eq(p + "the sentinel still answers over TLS", se0.call("PING"), b"PONG")

    # Failover over TLS.
    t0 = time.monotonic()
    primary.kill(signal.SIGKILL)

    def switched():
        addrs = {dep.master_addr(se) for se in dep.sentinels}
        if len(addrs) == 1:
            port = addrs.pop()[1]
            if port != primary.port:
                return port
        return None
    try:
        new_port = sc.wait_until(switched, FAILOVER_BOUND, interval=0.05,
                                 what="every sentinel to name a new primary")
        R.ok(p + "SIGKILL of the primary: failover over TLS", True)
        print("   %sall sentinels name the new primary %.1fs after the kill"
              % (p, time.monotonic() - t0))
    except sc.Timeout as e:
        R.fail(p + "SIGKILL of the primary: failover over TLS",
               "%s\n%s\n%s" % (e, dep.views(), dep.tails(dep.sentinels)))
        return
    new = dep.server_by_port(new_port)
    other = next(r for r in replicas if r is not new)
    took = write_until(master, "tls:after", "2", 15)
    R.ok(p + "the client writes to the new primary through master_for", took is not None)
    R.eq(p + "the write is on the new primary", new.call("GET", "tls:after"), b"2")
    R.eq(p + "redis-py discover_master names it", sent.discover_master(NAME), (HOST, new_port))
    try:
        sc.wait_until(lambda: other.call("GET", "tls:after") == b"2" and
                      int(other.info()["master_port"]) == new_port, 20,
                      what="%s to follow the new primary" % other.name)
        R.ok(p + "the other replica follows the new primary over TLS and gets the write", True)
    except sc.Timeout as e:
        R.fail(p + "the other replica follows the new primary over TLS and gets the write",
               "%s\n%s\n%s" % (e, dep.views(), dep.tails([other, new] + dep.sentinels)))

    # The failover ends (+switch-master) on every sentinel.
    def done():
        for se in dep.sentinels:
            m = sc.pairs(se.call("SENTINEL", "MASTER", NAME, timeout=1.0))
            if m.get("flags") != "master" or int(m["port"]) != new_port:
                return False
        return True
    try:
        sc.wait_until(done, FAILOVER_BOUND, interval=0.05, what="the failover to end everywhere")
        R.ok(p + "the failover ends on every sentinel (flags master, new port)", True)
        print("   %sfailover over everywhere %.1fs after the kill" % (p, time.monotonic() - t0))
    except sc.Timeout as e:
        R.fail(p + "the failover ends on every sentinel (flags master, new port)",
               "%s\n%s\n%s" % (e, dep.views(), dep.tails(dep.sentinels)))

    if keel_sentinels:
        # The rewritten config keeps TLS; a restart comes back over TLS.
        def conf_text():
            with open(se0.conf) as f:
                return f.read()
        monitor = "sentinel monitor %s 127.0.0.1 %d" % (NAME, new_port)
        try:
            sc.wait_until(lambda: monitor in conf_text(), 5, what="the config rewrite")
        except sc.Timeout:
            pass
        conf = conf_text()
        R.ok(p + "the rewritten sentinel config keeps its TLS options and the new primary",
             all(x in conf for x in ("tls-port %d" % se0.port, "tls-replication yes",
                                     "tls-cert-file", "tls-ca-cert-file", monitor)), conf)
        se0.restart()
        R.eq(p + "a restarted sentinel answers over TLS with the new primary",
             dep.master_addr(se0), (HOST, new_port))
        others = [x for x in sports if x != se0.port]
        try:
            sc.wait_until(lambda: known_ok(se0, "SENTINELS", others), 10,
                          what="the restarted sentinel to reconnect to the others")
            R.ok(p + "the restarted sentinel reconnects to the others over TLS", True)
        except sc.Timeout as e:
            R.fail(p + "the restarted sentinel reconnects to the others over TLS",
                   "%s\n%s" % (e, dep.views()))
    tls_log = "\n".join(se.log_tail(200000) for se in dep.sentinels)
    if keel_sentinels:
        R.ok(p + "keel-sentinel logs its TLS listener", "Ready to accept connections tls" in tls_log)


# ------------------------------------------------------------------ misconfiguration

def misconfigured(keel_server, keel_sentinel):
    """A keel-sentinel whose CA does not trust the primary's certificate,
    and one that speaks TLS to a plain port: each says why in its log
    (once, not on every retry) and sees the primary down; it keeps serving."""
    p = "keel misconfigured TLS links: "
    other = kt.tmpdir("keel-sentinel-other-ca-")
    subprocess.run(["bash", os.path.join(os.environ.get("KEEL_SOURCE_DIR", ROOT), "deploy", "gen-certs.sh"),
                    other], check=True, stdout=subprocess.DEVNULL, timeout=60)
    d = kt.tmpdir("keel-sentinel-tls-bad-")
    nodes = []

    def node(name, binary, conf, tls_ready=True):
        nd = os.path.join(d, name)
        os.makedirs(nd)
        for attempt in range(5):
            port = kt.free_port()
            path = os.path.join(nd, name + ".conf")
            with open(path, "w") as f:
                f.write(conf(port, nd))
            n = TlsNode(name, binary, port, nd, path, name.startswith("sentinel"))
            try:
                nodes.append(n.start(wait=tls_ready))
                if not tls_ready:   # our CA does not trust it: accepting TCP will do
                    sc.wait_until(lambda: socket.create_connection((HOST, port), timeout=0.5).close() or
                                  True, 10, what="%s to listen" % name)
                return n
            except (kt.SetupError, sc.Timeout):
                n.kill(signal.SIGKILL, quiet=True)
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")
    try:
        # Signed by another CA: the sentinel cannot verify it.
        foreign = node("foreign", keel_server, lambda port, nd: SERVER_CONF.format(dir=nd) + (
            "port 0\ntls-port %d\ntls-cert-file %s/server.crt\ntls-key-file %s/server.key\n"
            "tls-ca-cert-file %s/ca.crt\n" % (port, other, other, other)), tls_ready=False)
        plain = kt.start_keel(["--save", ""])
        se = node("sentinel-bad", keel_sentinel, lambda port, nd: (
            "bind 127.0.0.1\ndir %s\n" % nd + tls_lines(port) +
            "sentinel monitor foreign 127.0.0.1 %d 2\nsentinel down-after-milliseconds foreign 1000\n"
            "sentinel monitor plain 127.0.0.1 %d 2\nsentinel down-after-milliseconds plain 1000\n"
            % (foreign.port, plain.port)))
        for name, port, why in (("foreign", foreign.port, "certificate verify failed"),
                                ("plain", plain.port, "")):
            line = "TLS link to 127.0.0.1:%d failed: " % port
            try:
                sc.wait_until(lambda: line in se.log_tail(1 << 20) and why in se.log_tail(1 << 20), 5,
                              what="the log line")
                R.ok(p + "the sentinel logs why its link to the %s server fails" % name, True)
            except sc.Timeout:
                R.fail(p + "the sentinel logs why its link to the %s server fails" % name, se.log_tail())
            try:
                sc.wait_until(lambda: "s_down" in sc.pairs(se.call("SENTINEL", "MASTER", name))["flags"],
                              5, what="+sdown")
                R.ok(p + "and sees the %s server down" % name, True)
            except sc.Timeout as e:
                R.fail(p + "and sees the %s server down" % name, str(e))
        time.sleep(1.0)   # about ten more failed attempts per link
        R.eq(p + "one warning per address, not one per retry",
             se.log_tail(1 << 20).count("TLS link to 127.0.0.1:%d failed" % foreign.port), 1)
        R.eq(p + "the sentinel still answers", se.call("PING"), b"PONG")
        plain.stop()
    finally:
        for n in nodes:
            n.kill(signal.SIGKILL, quiet=True)


# ------------------------------------------------------------------ main

def redis_tls_ok():
    """redis-server refuses tls-port at start-up when built without TLS."""
    try:
        path = sc.redis_server_path()
    except kt.SetupError as e:
        return None, str(e)
    port = kt.free_port()
    d = kt.tmpdir("keel-tls-probe-")
    proc = subprocess.Popen([path, "--port", "0", "--dir", d, "--save", "", "--tls-port", str(port),
                             "--tls-cert-file", CERTS["server.crt"], "--tls-key-file", CERTS["server.key"],
                             "--tls-ca-cert-file", CERTS["ca.crt"]],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                out = proc.stdout.read().decode("utf-8", "replace")
                return None, "redis-server --tls-port exited: %s" % out.strip()[-300:]
            try:
                if tls_call(port, "PING", timeout=1.0) == b"PONG":
                    return path, ""
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        return None, "redis-server --tls-port did not answer over TLS"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)


def main():
    chosen = []
    args = iter(sys.argv[1:])
    for a in args:
        if a == "--combo":
            chosen.append(next(args))
    gen_certs()
    keel_server = os.path.abspath(kt.keel_server_path())   # processes run in their own dirs
    keel_sentinel = os.path.abspath(sc.keel_sentinel_path())
    os.environ["KEEL_SERVER"] = keel_server   # for kt.start_keel, which runs in a temp dir
    redis_path, why = redis_tls_ok()
    combos = [("keel/keel", keel_server, [keel_sentinel] * 3, True)]
    rsent = None
    if redis_path:
        try:
            rsent = sc.redis_sentinel_path()
        except kt.SetupError as e:
            rsent, why = None, str(e)
    if redis_path and rsent:
        combos += [("redis-sentinel/keel-server", keel_server, [rsent] * 3, False),
                   ("keel-sentinel/redis-server", redis_path, [keel_sentinel] * 3, True),
                   ("mixed sentinels/keel-server", keel_server, [keel_sentinel, keel_sentinel, rsent],
                    True),
                   ("redis/redis", redis_path, [rsent] * 3, False)]
    else:
        print("skipped: Debian's redis-server/redis-sentinel cannot serve TLS here (%s); "
              "only keel/keel runs" % why)
    if not chosen or "misconfigured" in chosen:
        misconfigured(keel_server, keel_sentinel)
    for name, server_bin, sentinel_bins, keel_sent in combos:
        if chosen and name not in chosen:
            continue
        if sc.over_budget():
            print("skipped %s: over the time budget" % name)
            continue
        t = time.monotonic()
        run(name, server_bin, sentinel_bins, keel_sent)
        print("   %s: %.1fs" % (name, time.monotonic() - t))
    R.finish()


if __name__ == "__main__":
    main()
