#!/usr/bin/python3
"""test_aof_crash: the AOF's promise under SIGKILL.

Starts keel-server with appendonly yes, runs a write load from several
client threads (INCR on one counter, SET of a fresh key per request, and a
MULTI/EXEC moving two counters together) while
recording every acknowledged reply and when it arrived, kills the server
with SIGKILL in the middle of the load, restarts it on the same directory
and checks what survived:

- appendfsync always: every acknowledged write is there (the counter is at
  least the highest INCR value any client was told, every acknowledged SET
  key holds its value), including runs where BGREWRITEAOF is started again
  and again during the load, so the kill lands anywhere in a rewrite;
- appendfsync everysec: writes acknowledged more than ~1 s before the kill
  are all there (only the last moment may be lost);
- either way no transaction is half there.

Each run is a few seconds.  Prints "N passed, M failed"; exit status 1 on
any failure.
"""
import os
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest  # noqa: E402

R = keeltest.Results()
THREADS = 4
LOAD_SECONDS = 2.5
EVERYSEC_WINDOW = 1.5  # seconds before the kill in which losses are allowed


class Writer(threading.Thread):
    """One client: INCR counter and SET w<id>:<n> <n>, alternately, until the
    connection dies; every reply is recorded with its arrival time."""

    def __init__(self, port, wid):
        super().__init__(daemon=True)
        self.port, self.wid = port, wid
        self.max_incr = 0
        self.acked_sets = []  # (key, value, time acknowledged)
        self.incr_acks = []   # (value, time acknowledged)
        self.errors = []

    def run(self):
        try:
            conn = keeltest.RawConn(self.port, timeout=5.0)
        except OSError as e:
            self.errors.append("connect: %s" % e)
            return
        n = 0
        try:
            while True:
                n += 1
                raw = conn.call("INCR", "counter")
                now = time.monotonic()
                if not raw.startswith(b":"):
                    self.errors.append("INCR replied %r" % raw)
                    return
                v = int(raw[1:-2])
                self.max_incr = max(self.max_incr, v)
                self.incr_acks.append((v, now))
                key = "w%d:%d" % (self.wid, n)
                raw = conn.call("SET", key, str(n))
                now = time.monotonic()
                if raw != b"+OK\r\n":
                    self.errors.append("SET replied %r" % raw)
                    return
                self.acked_sets.append((key, str(n).encode(), now))
                if n % 8 == 0:
                    # A transaction: both counters move together or not at all.
                    conn.send(keeltest.encode("MULTI") + keeltest.encode("INCR", "pair:a") +
                              keeltest.encode("INCR", "pair:b") + keeltest.encode("EXEC"))
                    replies = conn.read_replies(4)
                    if not replies[3].startswith(b"*2\r\n"):
                        self.errors.append("EXEC replied %r" % replies[3])
                        return
        except (ConnectionError, OSError, socket.timeout, ValueError):
            return  # the server was killed
        finally:
            conn.close()


def rewriter(port, stop):
    """BGREWRITEAOF whenever the previous one is done, until stopped."""
    while not stop.is_set():
        try:
            with keeltest.RawConn(port, timeout=2.0) as c:
                while not stop.is_set():
                    c.call("BGREWRITEAOF")
                    time.sleep(0.05)
        except (ConnectionError, OSError, socket.timeout):
            return


def crash_run(name, fsync, rewrites=False, preamble="yes"):
    workdir = keeltest.tmpdir("keel-aofcrash-")
    args = ["--appendonly", "yes", "--appendfsync", fsync, "--aof-use-rdb-preamble", preamble]
    srv = keeltest.start_keel(args, workdir=workdir)
    writers = [Writer(srv.port, i) for i in range(THREADS)]
    for w in writers:
        w.start()
    stop = threading.Event()
    rw = None
    if rewrites:
        rw = threading.Thread(target=rewriter, args=(srv.port, stop), daemon=True)
        rw.start()
    time.sleep(LOAD_SECONDS)
    kill_time = time.monotonic()
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait(timeout=5)
    stop.set()
    for w in writers:
        w.join(timeout=10)
    if rw:
        rw.join(timeout=5)
    srv.stop()
    errors = [e for w in writers for e in w.errors]
    R.ok("%s: no unexpected replies" % name, not errors, "\n".join(errors[:5]))
    acked = sum(len(w.acked_sets) for w in writers)
    max_incr = max(w.max_incr for w in writers)
    R.ok("%s: the load ran (%d SETs acknowledged)" % (name, acked), acked > 200)

    # Restart on the same directory: aof-load-truncated (the default) copes
    # with a command the kill cut in half.
    srv2 = keeltest.start_keel(args, workdir=workdir)
    with srv2.conn() as c:
        counter = c.call("GET", "counter")
        got = int(keeltest.parse(counter) or 0)
        pair = (keeltest.parse(c.call("GET", "pair:a")), keeltest.parse(c.call("GET", "pair:b")))
        missing = []
        for w in writers:
            for key, val, when in w.acked_sets:
                v = keeltest.parse(c.call("GET", key))
                if v != val:
                    missing.append((key, val, v, kill_time - when))
    srv2.stop()
    R.ok("%s: transactions are whole (pair:a %r == pair:b %r)" % (name, pair[0], pair[1]),
         pair[0] == pair[1])
    if fsync == "always":
        R.ok("%s: counter %d >= highest acknowledged INCR %d" % (name, got, max_incr),
             got >= max_incr)
        R.ok("%s: all %d acknowledged SETs present" % (name, acked), not missing,
             "missing %d, e.g. %r" % (len(missing), missing[:3]))
    else:
        old = [m for m in missing if m[3] > EVERYSEC_WINDOW]
        lost_incr = [v for w in writers for v, when in w.incr_acks
                     if v > got and kill_time - when > EVERYSEC_WINDOW]
        R.ok("%s: nothing acknowledged more than %.1fs before the kill is lost "
             "(%d of %d SETs lost in all)" % (name, EVERYSEC_WINDOW, len(missing), acked),
             not old and not lost_incr,
             "old losses: %r; INCR values lost: %r" % (old[:3], lost_incr[:3]))
    print("%-34s %d SETs acknowledged, counter %d (max acked %d), %d missing"
          % (name, acked, got, max_incr, len(missing)))
    sys.stdout.flush()


def main():
    runs = [
        ("always", "always", False, "yes"),
        ("always, rewrites running", "always", True, "yes"),
        ("always, AOF-format base", "always", True, "no"),
        ("everysec", "everysec", False, "yes"),
        ("everysec, rewrites running", "everysec", True, "yes"),
    ]
    for name, fsync, rewrites, preamble in runs:
        try:
            crash_run(name, fsync, rewrites, preamble)
        except keeltest.SetupError as e:
            R.fail("%s: server start" % name, str(e))
        except Exception as e:  # noqa: BLE001 - report and go on
            import traceback
            R.fail("%s raised" % name, traceback.format_exc())
    R.finish()


if __name__ == "__main__":
    main()
