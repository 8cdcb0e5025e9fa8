#!/usr/bin/python3
"""test_pubsub_py: Pub/Sub and keyspace notifications driven by redis-py 4.3
(Debian's python3-redis) the way applications use them.

Starts keel-server ($KEEL_SERVER) on a free port with
`--notify-keyspace-events Ex` and exercises:
  - the order-timeout pattern: a PubSub worker thread (run_in_thread) with a
    handler on `__keyevent@0__:expired`, an order key SET with EX 1; the
    handler fires exactly once with the key name, not before the TTL and
    within a bounded wait -- with the key never touched (active expiry), with
    reads after the expiry (lazy path), for many orders at once, and not at
    all for an order that is PERSISTed or deleted in time;
  - a publisher thread and a subscriber thread: 1,000 messages received in
    order, PUBLISH returning the number of receivers (1, then 2 subscribers);
  - glob pattern subscriptions, a client subscribed to a channel and a
    matching pattern receiving both `message` and `pmessage`, and the
    PUBSUB NUMSUB / NUMPAT / CHANNELS values as redis-py returns them;
  - keyspace (`__keyspace@0__:<key>`) events seen by redis-py;
  - CLIENT LIST sub/psub/ssub counts, flag P and `CLIENT LIST TYPE pubsub`.
Every wait is bounded.  Prints "N passed, M failed"; exit status 1 on any
failure.

Set KEELTEST_TARGET=redis to run the same checks against redis-server (to
validate the expectations themselves).
"""
import os
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
TARGET = os.environ.get("KEELTEST_TARGET", "keel")
R = keeltest.Results()
TESTS = []
EVENT_WAIT = 3.0      # seconds an expected message may take
TTL_SLACK = 0.05      # the client's clock vs the server's: allowed early margin


def test(fn):
    TESTS.append(fn)
    return fn


def start_server():
    extra = ["--notify-keyspace-events", "Ex"]
    if TARGET == "redis":
        return keeltest.start_redis(extra)
    return keeltest.start_keel(extra)


def client(srv, **kw):
    return redis.Redis(host=HOST, port=srv.port, decode_responses=True,
                       socket_timeout=10, **kw)


def wait_until(cond, timeout):
    """Poll cond() every 10 ms until it is true or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def read_messages(p, n, timeout):
    """Up to n messages from PubSub p (not subscribe confirmations)."""
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        m = p.get_message(ignore_subscribe_messages=True, timeout=0.05)
        if m is not None:
            out.append(m)
    return out


def strip(m):
    """A message dict without the keys that vary by redis-py version."""
    return {k: m[k] for k in ("type", "pattern", "channel", "data")}


# ------------------------------------------------------- order timeouts

class ExpiryWatcher:
    """The order-timeout pattern: a handler on __keyevent@0__:expired run
    by redis-py's worker thread."""

    def __init__(self, srv):
        self.r = client(srv)
        self.events = []            # (monotonic time, message dict)
        self.lock = threading.Lock()
        self.fired = threading.Event()
        self.p = self.r.pubsub()
        self.p.psubscribe(**{"__keyevent@0__:expired": self.handler})
        self.thread = self.p.run_in_thread(sleep_time=0.01)
        # The subscription is live once the server counts the pattern.
        self.ready = wait_until(lambda: self.r.pubsub_numpat() >= 1, 3.0)

    def handler(self, msg):
        with self.lock:
            self.events.append((time.monotonic(), msg))
        self.fired.set()

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def stop(self):
        self.thread.stop()
        self.thread.join(timeout=3.0)
        alive = self.thread.is_alive()
        self.p.close()
        return not alive


def check_single_expiry(name, w, key, t0, ttl):
    got = w.fired.wait(EVENT_WAIT + ttl)
    R.ok(name + ": handler fired within %.0fs" % (EVENT_WAIT + ttl), got)
    time.sleep(0.5)  # a duplicate would show up by now
    evs = w.snapshot()
    R.eq(name + ": exactly one event", len(evs), 1)
    if evs:
        at, msg = evs[0]
        R.eq(name + ": message", strip(msg),
             {"type": "pmessage", "pattern": "__keyevent@0__:expired",
              "channel": "__keyevent@0__:expired", "data": key})
        R.ok(name + ": not before the TTL", at - t0 >= ttl - TTL_SLACK,
             "fired %.3fs after SET with EX %s" % (at - t0, ttl))
        R.ok(name + ": within the bounded wait", at - t0 <= ttl + EVENT_WAIT,
             "fired %.3fs after SET" % (at - t0))


@test
def t_order_timeout_active(srv):
    """The key is never touched: the active expiry cycle must fire it."""
    r = client(srv)
    r.delete("order:42")
    w = ExpiryWatcher(srv)
    R.ok("order active: subscription live", w.ready)
    t0 = time.monotonic()
    R.eq("order active: set ex 1", r.set("order:42", "pending", ex=1), True)
    time.sleep(0.7)
    R.eq("order active: nothing before the TTL", w.snapshot(), [])
    check_single_expiry("order active", w, "order:42", t0, 1.0)
    R.eq("order active: key gone", r.exists("order:42"), 0)
    R.ok("order active: worker thread stopped", w.stop())


@test
def t_order_timeout_lazy(srv):
    """Reads right at and after the expiry (the lazy path, racing the active
    cycle): still exactly one event."""
    r = client(srv)
    r.delete("order:42")
    w = ExpiryWatcher(srv)
    R.ok("order lazy: subscription live", w.ready)
    t0 = time.monotonic()
    R.eq("order lazy: set ex 1", r.set("order:42", "pending", ex=1), True)
    R.eq("order lazy: get before the TTL", r.get("order:42"), "pending")
    time.sleep(max(0.0, t0 + 0.98 - time.monotonic()))
    gone = wait_until(lambda: r.get("order:42") is None, 3.0)
    R.ok("order lazy: get returns nil after the TTL", gone)
    R.eq("order lazy: exists", r.exists("order:42"), 0)
    R.eq("order lazy: ttl", r.ttl("order:42"), -2)
    R.eq("order lazy: get again", r.get("order:42"), None)
    check_single_expiry("order lazy", w, "order:42", t0, 1.0)
    R.ok("order lazy: worker thread stopped", w.stop())


@test
def t_order_timeout_lazy_other_commands(srv):
    """Expired keys reached by write commands (SET NX, INCR, APPEND): the
    expired event comes once, before the write's own effect."""
    r = client(srv)
    for k in ("order:a", "order:b", "order:c"):
        r.delete(k)
    w = ExpiryWatcher(srv)
    R.ok("order writes: subscription live", w.ready)
    t0 = time.monotonic()
    r.set("order:a", "1", px=300)
    r.set("order:b", "1", px=300)
    r.set("order:c", "x", px=300)
    time.sleep(max(0.0, t0 + 0.35 - time.monotonic()))
    R.eq("order writes: set nx on expired", r.set("order:a", "2", nx=True), True)
    R.eq("order writes: incr on expired", r.incr("order:b"), 1)
    R.eq("order writes: append on expired", r.append("order:c", "y"), 1)
    wait_until(lambda: len(w.snapshot()) >= 3, EVENT_WAIT)
    time.sleep(0.3)
    keys = sorted(m["data"] for _, m in w.snapshot())
    R.eq("order writes: one expired event per key", keys, ["order:a", "order:b", "order:c"])
    R.eq("order writes: new values", r.mget("order:a", "order:b", "order:c"), ["2", "1", "y"])
    R.ok("order writes: worker thread stopped", w.stop())


@test
def t_order_timeout_many(srv):
    r = client(srv)
    keys = ["order:%d" % i for i in range(100, 150)]
    r.delete(*keys)
    w = ExpiryWatcher(srv)
    R.ok("orders many: subscription live", w.ready)
    t0 = time.monotonic()
    pipe = r.pipeline(transaction=False)
    for i, k in enumerate(keys):
        pipe.set(k, "pending", px=1000 + 10 * (i % 5))
    pipe.execute()
    done = wait_until(lambda: len(w.snapshot()) >= len(keys), 1.1 + EVENT_WAIT)
    R.ok("orders many: all fired in time", done, "got %d of %d" % (len(w.snapshot()), len(keys)))
    time.sleep(0.3)
    evs = w.snapshot()
    data = [m["data"] for _, m in evs]
    R.eq("orders many: each key exactly once", sorted(data), sorted(keys))
    R.ok("orders many: none before the TTL", all(at - t0 >= 1.0 - TTL_SLACK for at, _ in evs),
         "earliest %.3fs" % (min(at for at, _ in evs) - t0 if evs else -1))
    R.eq("orders many: all keys gone", r.exists(*keys), 0)
    R.ok("orders many: worker thread stopped", w.stop())


@test
def t_order_paid_in_time(srv):
    """PERSIST (order paid) or DEL (order cancelled) before the TTL: no
    expired event at all."""
    r = client(srv)
    r.delete("order:paid", "order:cancelled", "order:late")
    w = ExpiryWatcher(srv)
    R.ok("order paid: subscription live", w.ready)
    r.set("order:paid", "pending", ex=1)
    r.set("order:cancelled", "pending", ex=1)
    r.set("order:late", "pending", px=1200)
    R.eq("order paid: persist", r.persist("order:paid"), True)
    R.eq("order paid: del", r.delete("order:cancelled"), 1)
    got = w.fired.wait(1.2 + EVENT_WAIT)
    R.ok("order paid: the unpaid one fired", got)
    time.sleep(0.5)
    R.eq("order paid: only order:late expired", [m["data"] for _, m in w.snapshot()], ["order:late"])
    R.eq("order paid: paid order kept", r.get("order:paid"), "pending")
    R.eq("order paid: ttl -1", r.ttl("order:paid"), -1)
    R.ok("order paid: worker thread stopped", w.stop())
    r.delete("order:paid")


@test
def t_expired_events_need_x(srv):
    """With notify-keyspace-events set to "" (and then to "K$" without x),
    expiring keys publish nothing; restoring "Ex" brings the events back."""
    r = client(srv)
    R.eq("config get at start-up", r.config_get("notify-keyspace-events"),
         {"notify-keyspace-events": "xE"})
    p = r.pubsub()
    p.psubscribe("__key*__:*")
    read_messages(p, 1, 0.2)
    for flags in ("", "K$"):
        R.eq("config set %r" % flags, r.config_set("notify-keyspace-events", flags), True)
        r.set("quiet", "v", px=50)
        time.sleep(0.3)
        r.get("quiet")
        msgs = [strip(m) for m in read_messages(p, 10, 0.3)]
        want = [] if flags == "" else [
            {"type": "pmessage", "pattern": "__key*__:*", "channel": "__keyspace@0__:quiet",
             "data": "set"}]
        R.eq("flags %r: no expired event" % flags, msgs, want)
    R.eq("config set Ex", r.config_set("notify-keyspace-events", "Ex"), True)
    r.set("loud", "v", px=50)
    msgs = [strip(m) for m in read_messages(p, 1, EVENT_WAIT)]
    R.eq("flags Ex: expired event", msgs,
         [{"type": "pmessage", "pattern": "__key*__:*", "channel": "__keyevent@0__:expired",
           "data": "loud"}])
    p.close()


# ------------------------------------------------- publisher/subscriber

@test
def t_publisher_subscriber_threads(srv):
    n = 1000
    r = client(srv)
    results = {}

    def subscriber(tag, ready):
        rs = client(srv)
        p = rs.pubsub()
        p.subscribe("orders")
        first = p.get_message(timeout=5)   # the subscribe confirmation
        ready.set()
        got = []
        deadline = time.monotonic() + 30
        while len(got) < n and time.monotonic() < deadline:
            m = p.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if m is not None:
                got.append(m)
        results[tag] = (first, got)
        p.close()

    def publisher(out):
        rp = client(srv)
        for i in range(n):
            out.append(rp.publish("orders", "order-%d" % i))

    for nsubs in (1, 2):
        results.clear()
        readies = [threading.Event() for _ in range(nsubs)]
        subs = [threading.Thread(target=subscriber, args=(i, readies[i]), daemon=True)
                for i in range(nsubs)]
        for t in subs:
            t.start()
        R.ok("%d sub: subscribed" % nsubs, all(e.wait(5) for e in readies))
        R.ok("%d sub: numsub" % nsubs,
             wait_until(lambda: r.pubsub_numsub("orders") == [("orders", nsubs)], 3),
             repr(r.pubsub_numsub("orders")))
        counts = []
        pub = threading.Thread(target=publisher, args=(counts,), daemon=True)
        t0 = time.monotonic()
        pub.start()
        pub.join(30)
        for t in subs:
            t.join(35)
        R.ok("%d sub: threads finished" % nsubs,
             not pub.is_alive() and not any(t.is_alive() for t in subs))
        R.eq("%d sub: publish counts" % nsubs, counts, [nsubs] * n)
        for i in range(nsubs):
            first, got = results.get(i, (None, []))
            R.eq("%d sub #%d: confirmation" % (nsubs, i), first,
                 {"type": "subscribe", "pattern": None, "channel": "orders", "data": 1})
            R.eq("%d sub #%d: all %d messages in order" % (nsubs, i, n),
                 [m["data"] for m in got], ["order-%d" % j for j in range(n)])
            R.ok("%d sub #%d: all of type message" % (nsubs, i),
                 all(m["type"] == "message" and m["channel"] == "orders" for m in got))
        print("  %d subscriber(s): %d messages in %.2fs" % (nsubs, n, time.monotonic() - t0))
        R.ok("%d sub: numsub back to 0" % nsubs,
             wait_until(lambda: r.pubsub_numsub("orders") == [("orders", 0)], 3))


@test
def t_publish_no_subscribers(srv):
    r = client(srv)
    R.eq("publish nobody", r.publish("nobody-listens", "x"), 0)
    R.eq("publish empty message", r.publish("nobody-listens", ""), 0)


@test
def t_binary_and_large_messages(srv):
    r = redis.Redis(host=HOST, port=srv.port, socket_timeout=10)  # bytes
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe(b"bin\x00chan")
    read_messages(p, 1, 0.2)
    payloads = [b"", b"\x00\r\n\xff", b"x" * 1000000]
    for pl in payloads:
        R.eq("binary publish count %d bytes" % len(pl), r.publish(b"bin\x00chan", pl), 1)
    got = read_messages(p, 3, 10)
    R.eq("binary channel", [m["channel"] for m in got], [b"bin\x00chan"] * 3)
    R.ok("binary payloads intact", [m["data"] for m in got] == payloads,
         "lengths %r" % [len(m["data"]) for m in got])
    p.close()


# ------------------------------------------------------------- patterns

@test
def t_patterns_glob(srv):
    r = client(srv)
    p = r.pubsub(ignore_subscribe_messages=True)
    patterns = ["h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h\\*llo", "*"]
    p.psubscribe(*patterns)
    R.ok("glob: subscribed", wait_until(lambda: r.pubsub_numpat() == len(patterns), 3))
    expect = {
        "hello": {"h?llo", "h*llo", "h[ae]llo", "*"},
        "hallo": {"h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "*"},
        "hbllo": {"h?llo", "h*llo", "h[^e]llo", "h[a-b]llo", "*"},
        "hllo": {"h*llo", "*"},
        "heeeello": {"h*llo", "*"},
        "h*llo": {"h?llo", "h*llo", "h[^e]llo", "h\\*llo", "*"},
        "other": {"*"},
    }
    for ch, pats in expect.items():
        n = r.publish(ch, "m-" + ch)
        R.eq("glob: publish %s count" % ch, n, len(pats))
        got = read_messages(p, n, 3)
        R.eq("glob: %s matched patterns" % ch, sorted(m["pattern"] for m in got), sorted(pats))
        R.ok("glob: %s pmessage fields" % ch,
             all(m["type"] == "pmessage" and m["channel"] == ch and m["data"] == "m-" + ch
                 for m in got), repr(got))
    p.punsubscribe("*")
    read_messages(p, 1, 0.2)
    R.eq("glob: numpat after punsubscribe", r.pubsub_numpat(), len(patterns) - 1)
    p.close()
    R.ok("glob: numpat 0 after close", wait_until(lambda: r.pubsub_numpat() == 0, 3))


@test
def t_channel_and_pattern_both(srv):
    r = client(srv)
    p = r.pubsub()
    p.subscribe("news.sport")
    p.psubscribe("news.*")
    conf = [p.get_message(timeout=2), p.get_message(timeout=2)]
    R.eq("both: confirmations", [strip(m) if m else None for m in conf],
         [{"type": "subscribe", "pattern": None, "channel": "news.sport", "data": 1},
          {"type": "psubscribe", "pattern": None, "channel": "news.*", "data": 2}])
    R.eq("both: publish counts the client twice", r.publish("news.sport", "goal"), 2)
    got = read_messages(p, 2, 3)
    R.eq("both: message then pmessage", [strip(m) for m in got],
         [{"type": "message", "pattern": None, "channel": "news.sport", "data": "goal"},
          {"type": "pmessage", "pattern": "news.*", "channel": "news.sport", "data": "goal"}])
    R.eq("both: publish to pattern-only channel", r.publish("news.tech", "chip"), 1)
    got = read_messages(p, 1, 3)
    R.eq("both: pmessage only", [strip(m) for m in got],
         [{"type": "pmessage", "pattern": "news.*", "channel": "news.tech", "data": "chip"}])

    # A second client on the same pattern and another channel.
    p2 = r.pubsub()
    p2.psubscribe("news.*")
    p2.subscribe("weather")
    read_messages(p2, 1, 0.2)
    R.ok("both: second client counted",
         wait_until(lambda: r.pubsub_numsub("weather") == [("weather", 1)], 3))
    R.eq("both: numsub", r.pubsub_numsub("news.sport", "news.*", "weather", "none"),
         [("news.sport", 1), ("news.*", 0), ("weather", 1), ("none", 0)])
    R.eq("both: numsub without channels", r.pubsub_numsub(), [])
    R.eq("both: numpat counts distinct patterns", r.pubsub_numpat(), 1)
    R.eq("both: channels", sorted(r.pubsub_channels()), ["news.sport", "weather"])
    R.eq("both: channels with pattern", r.pubsub_channels("news.*"), ["news.sport"])
    R.eq("both: channels matching nothing", r.pubsub_channels("zzz*"), [])
    R.eq("both: publish counts both clients", r.publish("news.sport", "x"), 3)
    R.eq("both: client 2 gets pmessage", [strip(m) for m in read_messages(p2, 1, 3)],
         [{"type": "pmessage", "pattern": "news.*", "channel": "news.sport", "data": "x"}])
    read_messages(p, 2, 3)

    p.unsubscribe("news.sport")
    R.eq("both: unsubscribe confirmation", strip(p.get_message(timeout=2)),
         {"type": "unsubscribe", "pattern": None, "channel": "news.sport", "data": 1})
    R.eq("both: after unsubscribe only patterns count", r.publish("news.sport", "y"), 2)
    R.eq("both: client 1 now only pmessage", [m["type"] for m in read_messages(p, 5, 0.5)],
         ["pmessage"])
    p.close()
    p2.close()
    R.ok("both: everything gone after close",
         wait_until(lambda: r.pubsub_channels() == [] and r.pubsub_numpat() == 0, 3))


@test
def t_unsubscribe_all(srv):
    r = client(srv)
    p = r.pubsub()
    p.subscribe("u1", "u2", "u3")
    p.psubscribe("p1*", "p2*")
    msgs = []
    deadline = time.monotonic() + 3
    while len(msgs) < 5 and time.monotonic() < deadline:
        m = p.get_message(timeout=0.1)
        if m:
            msgs.append(m)
    R.eq("unsub all: confirmation counts", [m["data"] for m in msgs], [1, 2, 3, 4, 5])
    p.unsubscribe()
    p.punsubscribe()
    msgs = []
    deadline = time.monotonic() + 3
    while len(msgs) < 5 and time.monotonic() < deadline:
        m = p.get_message(timeout=0.1)
        if m:
            msgs.append(m)
    R.eq("unsub all: channel names", sorted(m["channel"] for m in msgs if m["type"] == "unsubscribe"),
         ["u1", "u2", "u3"])
    R.eq("unsub all: pattern names",
         sorted(m["channel"] for m in msgs if m["type"] == "punsubscribe"), ["p1*", "p2*"])
    R.eq("unsub all: counts go down to 0", [m["data"] for m in msgs], [4, 3, 2, 1, 0])
    R.eq("unsub all: not subscribed", p.subscribed, False)
    p.close()


# ------------------------------------------------------------ keyspace

@test
def t_keyspace_events(srv):
    r = client(srv)
    r.delete("user:1", "user:2")
    R.eq("keyspace: config set K$g", r.config_set("notify-keyspace-events", "K$g"), True)
    R.eq("keyspace: config get", r.config_get("notify-keyspace-events"),
         {"notify-keyspace-events": "g$K"})
    p = r.pubsub(ignore_subscribe_messages=True)
    p.psubscribe("__keyspace@0__:user:*")
    read_messages(p, 1, 0.2)
    r.set("user:1", "alice")
    r.append("user:1", "!")
    r.incrby("user:2", 5)
    r.setrange("user:1", 0, "A")
    r.expire("user:1", 100)
    r.persist("user:1")
    r.rename("user:1", "user:3")
    r.delete("user:3", "user:2")
    r.set("other", "x")            # not matched by the pattern
    got = [(m["channel"], m["data"]) for m in read_messages(p, 10, 3)]
    R.eq("keyspace: events", got, [
        ("__keyspace@0__:user:1", "set"), ("__keyspace@0__:user:1", "append"),
        ("__keyspace@0__:user:2", "incrby"), ("__keyspace@0__:user:1", "setrange"),
        ("__keyspace@0__:user:1", "expire"), ("__keyspace@0__:user:1", "persist"),
        ("__keyspace@0__:user:1", "rename_from"), ("__keyspace@0__:user:3", "rename_to"),
        ("__keyspace@0__:user:3", "del"), ("__keyspace@0__:user:2", "del")])
    R.eq("keyspace: nothing more", read_messages(p, 1, 0.3), [])
    p.close()
    r.delete("other")
    R.eq("keyspace: restore Ex", r.config_set("notify-keyspace-events", "Ex"), True)


@test
def t_keyspace_other_db(srv):
    r = client(srv)
    r3 = client(srv, db=3)
    R.eq("db3: config set", r.config_set("notify-keyspace-events", "KEA"), True)
    p = r.pubsub(ignore_subscribe_messages=True)
    p.psubscribe("__key*@3__:*")
    read_messages(p, 1, 0.2)
    r3.set("k", "v")
    r.set("k", "v")                  # db 0: not matched
    r3.delete("k")
    got = [(m["channel"], m["data"]) for m in read_messages(p, 4, 3)]
    R.eq("db3: events", got, [("__keyspace@3__:k", "set"), ("__keyevent@3__:set", "k"),
                              ("__keyspace@3__:k", "del"), ("__keyevent@3__:del", "k")])
    p.close()
    r.delete("k")
    R.eq("db3: restore Ex", r.config_set("notify-keyspace-events", "Ex"), True)


# ---------------------------------------------------------- CLIENT LIST

@test
def t_client_list(srv):
    r = client(srv)
    rs = client(srv, client_name="sub-a")
    rp = client(srv, client_name="sub-b")
    p = rs.pubsub()
    p.subscribe("c1", "c2")
    p.psubscribe("p*")
    p.execute_command("SSUBSCRIBE", "s1")
    q = rp.pubsub()
    q.psubscribe("x*", "y*")

    def by_name():
        return {c["name"]: c for c in r.client_list()}

    R.ok("client list: counts visible",
         wait_until(lambda: by_name().get("sub-a", {}).get("ssub") == "1"
                    and by_name().get("sub-b", {}).get("psub") == "2", 3))
    cl = by_name()
    a, b = cl.get("sub-a", {}), cl.get("sub-b", {})
    R.eq("client list: sub-a counts", (a.get("flags"), a.get("sub"), a.get("psub"), a.get("ssub")),
         ("P", "2", "1", "1"))
    R.eq("client list: sub-b counts", (b.get("flags"), b.get("sub"), b.get("psub"), b.get("ssub")),
         ("P", "0", "2", "0"))
    me = [c for c in r.client_list() if c.get("cmd") == "client|list"]
    R.eq("client list: normal client flags and counts",
         [(c["flags"], c["sub"], c["psub"], c["ssub"]) for c in me], [("N", "0", "0", "0")])
    pub = r.client_list(_type="pubsub")
    R.eq("client list type pubsub: only subscribers", sorted(c["name"] for c in pub),
         ["sub-a", "sub-b"])
    R.ok("client list type pubsub: all flagged P", all("P" in c["flags"] for c in pub))
    normal = r.client_list(_type="normal")
    R.ok("client list type normal: no subscriber",
         all(c["name"] not in ("sub-a", "sub-b") for c in normal) and len(normal) >= 1)

    q.punsubscribe()
    R.ok("client list: sub-b leaves pubsub after punsubscribe",
         wait_until(lambda: sorted(c["name"] for c in r.client_list(_type="pubsub")) == ["sub-a"], 3),
         repr(r.client_list(_type="pubsub")))
    R.eq("client list: sub-b flags N again", by_name().get("sub-b", {}).get("flags"), "N")
    p.close()
    q.close()
    R.ok("client list: no pubsub clients after close",
         wait_until(lambda: r.client_list(_type="pubsub") == [], 3))


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
        print("%-36s %s (%.2fs)" % (fn.__name__, "ok" if R.failed == before else
                                    "%d failed" % (R.failed - before), time.monotonic() - t0))
        sys.stdout.flush()
    R.finish()


if __name__ == "__main__":
    main()
