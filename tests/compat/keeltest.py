"""keeltest: small shared helpers for Keel's Python compat tests.

- free_port(): a TCP port the kernel says is free right now.
- start_keel(extra) / start_redis(extra): start `$KEEL_SERVER --port P --dir D`
  or `redis-server --port Q --save '' --appendonly no --dir D` on a free port,
  wait (bounded) until it answers PING, and register it for cleanup (atexit,
  plus Server.stop()).  A missing binary raises SetupError.
- RawConn: a plain socket speaking RESP; call()/send()/read_reply() return the
  raw bytes of exactly one complete reply (any nesting, RESP2 and RESP3 types).
- parse(): raw reply bytes -> Python value, for tests that inspect structure.
- Results: a tiny pass/fail counter that prints "N passed, M failed" and exits 1
  on any failure.

Standard library only; Python 3.11 compatible.
"""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

START_TIMEOUT = 10.0   # seconds for a server to answer PING after start
IO_TIMEOUT = 10.0      # seconds for any single reply

_started = []          # Server objects to stop at exit
_tmpdirs = []          # temporary directories to remove at exit


class SetupError(Exception):
    """The test environment is missing something (binary, port, ...)."""


# ------------------------------------------------------------------ cleanup

def cleanup():
    """Stop every server this module started and remove its temp dirs."""
    while _started:
        _started.pop().stop()
    while _tmpdirs:
        shutil.rmtree(_tmpdirs.pop(), ignore_errors=True)


atexit.register(cleanup)


def _on_signal(signum, _frame):
    cleanup()
    sys.exit(128 + signum)


for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    try:
        signal.signal(_sig, _on_signal)
    except (ValueError, OSError):  # not the main thread, or unsupported
        pass


def tmpdir(prefix="keeltest-"):
    d = tempfile.mkdtemp(prefix=prefix)
    _tmpdirs.append(d)
    return d


# ------------------------------------------------------------------ RESP

def encode(*args):
    """Encode one request as a RESP multibulk; str args are UTF-8 encoded."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a)
        if isinstance(a, str):
            a = a.encode("utf-8")
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


_AGGREGATE = {b"*": 1, b"~": 1, b">": 1, b"%": 2, b"|": 2}
_LINE_ONLY = b"+-:_,#("
_BLOB = b"$!="


def reply_end(buf, pos=0):
    """Index just past the complete RESP reply starting at buf[pos], or None
    if buf does not yet hold all of it.  Iterative, so nesting depth does not
    matter.  Raises ValueError on bytes that are not RESP."""
    pending = 1          # replies still to read at the current point
    stack = []           # remaining counts of enclosing aggregates
    while True:
        while pending == 0:
            if not stack:
                return pos
            pending = stack.pop()
        nl = buf.find(b"\r\n", pos)
        if nl < 0:
            return None
        t = bytes(buf[pos:pos + 1])
        body = bytes(buf[pos + 1:nl])
        pos = nl + 2
        if t in _AGGREGATE:
            n = int(body)
            if t == b"|":          # attribute: a map, then the real reply
                pending_after = pending
            else:
                pending_after = pending - 1
            if n < 0:              # null array
                pending = pending_after
                continue
            stack.append(pending_after if t != b"|" else pending)
            pending = n * _AGGREGATE[t]
            continue
        if t and t in _BLOB:
            n = int(body)
            if n >= 0:
                if len(buf) < pos + n + 2:
                    return None
                if buf[pos + n:pos + n + 2] != b"\r\n":
                    raise ValueError("bulk not terminated by CRLF at %d" % (pos + n))
                pos += n + 2
            pending -= 1
            continue
        if t and t in _LINE_ONLY:
            pending -= 1
            continue
        raise ValueError("not a RESP reply at offset %d: %r" % (nl - len(body) - 1, buf[:80]))


class Error(bytes):
    """An error reply (its text without '-' and CRLF)."""


def parse(raw):
    """Raw RESP2 reply bytes -> value: bytes for +status and $bulk, int,
    Error for -errors, list for arrays, None for nulls.  RESP3 maps -> dict."""
    val, end = _parse_at(raw, 0)
    if end != len(raw):
        raise ValueError("trailing bytes after reply: %r" % raw[end:end + 40])
    return val


def _parse_at(buf, pos):
    nl = buf.index(b"\r\n", pos)
    t, body, pos = bytes(buf[pos:pos + 1]), bytes(buf[pos + 1:nl]), nl + 2
    if t == b"+":
        return bytes(body), pos
    if t == b"-":
        return Error(body), pos
    if t == b":":
        return int(body), pos
    if t == b"_":
        return None, pos
    if t in (b",", b"(", b"#"):
        return bytes(body), pos
    if t in (b"$", b"!", b"="):
        n = int(body)
        if n < 0:
            return None, pos
        return bytes(buf[pos:pos + n]), pos + n + 2
    if t in (b"*", b"~", b">", b"%", b"|"):
        n = int(body)
        if n < 0:
            return None, pos
        if t in (b"%", b"|"):
            d = {}
            for _ in range(n):
                k, pos = _parse_at(buf, pos)
                v, pos = _parse_at(buf, pos)
                d[k] = v
            if t == b"|":
                return _parse_at(buf, pos)
            return d, pos
        items = []
        for _ in range(n):
            v, pos = _parse_at(buf, pos)
            items.append(v)
        return items, pos
    raise ValueError("unexpected reply type %r" % t)


class RawConn:
    """One plain TCP connection; every reply is returned as its raw bytes."""

    def __init__(self, port, host="127.0.0.1", timeout=IO_TIMEOUT):
        self.port = port
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        """Send raw bytes as they are."""
        self.sock.sendall(data)

    def send_split(self, data, chunk=1, pause=0.0):
        """Send raw bytes in pieces of `chunk` bytes (separate writes)."""
        for i in range(0, len(data), chunk):
            self.sock.sendall(data[i:i + chunk])
            if pause:
                time.sleep(pause)

    def read_reply(self, timeout=None):
        """Raw bytes of exactly one complete reply.  Raises ConnectionError if
        the peer closes first, socket.timeout if none arrives in time."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            end = reply_end(self.buf)
            if end is not None:
                raw = bytes(self.buf[:end])
                del self.buf[:end]
                return raw
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no complete reply within %.1fs (have %r)"
                                     % (timeout or self.timeout, bytes(self.buf[:200])))
            self.sock.settimeout(left)
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("connection closed mid-reply (have %r)"
                                      % bytes(self.buf[:200]))
            self.buf += chunk

    def read_replies(self, n, timeout=None):
        return [self.read_reply(timeout) for _ in range(n)]

    def call(self, *args):
        """Send one multibulk request, return the raw bytes of its reply."""
        self.send(encode(*args))
        return self.read_reply()

    def raw_call(self, data):
        """Send raw bytes, return the raw bytes of one reply."""
        self.send(data)
        return self.read_reply()

    def nothing_pending(self, wait=0.2):
        """True if no byte arrives within `wait` seconds (and the peer is open)."""
        if self.buf:
            return False
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(self.timeout)
        if chunk:
            self.buf += chunk
        return False

    def is_closed(self, timeout=2.0):
        """True if the peer closes the connection within `timeout` seconds
        (any bytes received meanwhile are kept in the buffer)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            finally:
                try:
                    self.sock.settimeout(self.timeout)
                except OSError:
                    pass
            if not chunk:
                return True
            self.buf += chunk


# ------------------------------------------------------------------ servers

def free_port():
    """A TCP port the kernel says is free right now on 127.0.0.1."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def keel_server_path():
    path = os.environ.get("KEEL_SERVER")
    if not path:  # run by hand: the newest build/*/server/keel-server
        root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
        found = []
        for d in os.listdir(root):
            p = os.path.join(root, d, "server", "keel-server")
            if d.startswith("build") and os.access(p, os.X_OK):
                found.append((os.path.getmtime(p), p))
        if found:
            path = max(found)[1]
    if not path or not os.access(path, os.X_OK):
        raise SetupError("keel-server not found: set KEEL_SERVER (got %r)" % path)
    return path


def redis_server_path():
    path = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None)
    if not path:
        raise SetupError("redis-server not found (apt-get install redis-server)")
    return path


class Server:
    """A server process started by this module."""

    def __init__(self, name, argv, port, workdir, password=None):
        self.name = name
        self.argv = argv
        self.port = port
        self.dir = workdir
        self.password = password
        self.log_path = os.path.join(workdir, name + ".log")
        self.proc = None

    def start(self):
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(self.argv, cwd=self.dir, stdout=log,
                                         stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        finally:
            log.close()
        _started.append(self)
        try:
            self._wait_ready()
        except Exception:
            self.stop()
            raise
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SetupError("%s exited with status %s; log:\n%s"
                                 % (self.name, self.proc.returncode, self.log_tail()))
            try:
                with RawConn(self.port, timeout=1.0) as c:
                    raw = c.call("PING")
                if raw == b"+PONG\r\n" or raw.startswith(b"-NOAUTH"):
                    return
                last = raw
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise SetupError("%s did not answer PING on port %d within %.0fs (last: %r); log:\n%s"
                         % (self.name, self.port, START_TIMEOUT, last, self.log_tail()))

    def log_tail(self, n=2000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self in _started:
            _started.remove(self)
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def conn(self, timeout=IO_TIMEOUT):
        return RawConn(self.port, timeout=timeout)


def start_keel(extra=(), workdir=None, password=None):
    """Start keel-server on a free port; `extra` are further argv items."""
    path = keel_server_path()
    workdir = workdir or tmpdir("keel-")
    for _attempt in range(3):
        port = free_port()
        argv = [path, "--port", str(port), "--dir", workdir] + list(extra)
        if password is not None:
            argv += ["--requirepass", password]
        try:
            return Server("keel-server", argv, port, workdir, password).start()
        except SetupError:
            if _attempt == 2:
                raise
    raise AssertionError("unreachable")


def start_redis(extra=(), workdir=None, password=None):
    """Start redis-server on a free port without persistence."""
    path = redis_server_path()
    workdir = workdir or tmpdir("redis-")
    for _attempt in range(3):
        port = free_port()
        argv = [path, "--port", str(port), "--save", "", "--appendonly", "no",
                "--dir", workdir] + list(extra)
        if password is not None:
            argv += ["--requirepass", password]
        try:
            return Server("redis-server", argv, port, workdir, password).start()
        except SetupError:
            if _attempt == 2:
                raise
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ results

class Results:
    """Counts checks; finish() prints 'N passed, M failed' and exits."""

    def __init__(self, verbose=None):
        self.passed = 0
        self.failed = 0
        self.failures = []
        if verbose is None:
            verbose = bool(os.environ.get("KEEL_TEST_VERBOSE"))
        self.verbose = verbose

    def ok(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            if self.verbose:
                print("ok   %s" % name)
        else:
            self.failed += 1
            self.failures.append(name)
            print("FAIL %s%s" % (name, ("\n     " + detail.replace("\n", "\n     ")) if detail else ""))
        sys.stdout.flush()
        return bool(cond)

    def eq(self, name, got, want):
        return self.ok(name, got == want, "got:  %r\nwant: %r" % (got, want))

    def fail(self, name, detail=""):
        return self.ok(name, False, detail)

    def summary(self):
        return "%d passed, %d failed" % (self.passed, self.failed)

    def finish(self):
        cleanup()
        print(self.summary())
        sys.stdout.flush()
        sys.exit(1 if self.failed else 0)
