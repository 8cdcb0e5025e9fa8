#!/usr/bin/python3
"""test_seed_py: the queue and ranking patterns users build on Keel, with
redis-py 4.3 (Debian's python3-redis), the way the applications write them.

- delay queue: jobs are ZADDed with their due time as score; several worker
  threads poll ZRANGEBYSCORE queue -inf <now> LIMIT 0 1 and claim a job with
  ZREM (only the worker whose ZREM returns 1 owns it).  Every job is
  processed exactly once, none before its due time.
- message queue: a producer RPUSHes, two consumers BLPOP on their own
  connections; every message is consumed exactly once, in order per consumer,
  and a consumer blocked on an empty queue wakes on the next push.
- leaderboard: ZINCRBY per game played, ZREVRANGE WITHSCORES for the top
  ten, ZREVRANK and ZSCORE for one player, checked against a model.

Prints "N passed, M failed"; exit status 1 on any failure.  Set
KEELTEST_TARGET=redis to run the same checks against redis-server.
"""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keeltest  # noqa: E402

import redis  # noqa: E402

R = keeltest.Results()
TARGET = os.environ.get("KEELTEST_TARGET", "keel")


def delay_queue(port):
    r = redis.Redis(port=port, decode_responses=True)
    r.delete("queue:delayed")
    now = time.time()
    due = {}
    for i in range(200):
        job = f"job:{i}"
        due[job] = now + random.uniform(0.05, 0.6)
        r.zadd("queue:delayed", {job: due[job]})
    claimed = {}
    early = []
    lock = threading.Lock()

    def worker(name):
        w = redis.Redis(port=port, decode_responses=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            t = time.time()
            jobs = w.zrangebyscore("queue:delayed", "-inf", t, start=0, num=1)
            if not jobs:
                if w.zcard("queue:delayed") == 0:
                    return
                time.sleep(0.005)
                continue
            if w.zrem("queue:delayed", jobs[0]) == 1:
                with lock:
                    claimed.setdefault(jobs[0], []).append(name)
                    if time.time() < due[jobs[0]] - 0.001:
                        early.append(jobs[0])

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    R.eq("delay queue: every job claimed", sorted(claimed), sorted(due))
    R.eq("delay queue: each exactly once", [j for j, ws in claimed.items() if len(ws) != 1], [])
    R.eq("delay queue: none before due time", early, [])
    R.eq("delay queue: empty at the end", r.zcard("queue:delayed"), 0)


def message_queue(port):
    r = redis.Redis(port=port, decode_responses=True)
    r.delete("queue:mail")
    received = {"c1": [], "c2": []}

    def consumer(name):
        c = redis.Redis(port=port, decode_responses=True)
        while True:
            item = c.blpop("queue:mail", timeout=2)
            if item is None:
                return
            if item[1] == "STOP":
                return
            received[name].append(item[1])

    threads = [threading.Thread(target=consumer, args=(n,)) for n in received]
    for t in threads:
        t.start()
    time.sleep(0.2)  # both consumers are now blocked on an empty list
    info = r.info("clients")
    R.eq("message queue: two consumers blocked", info["blocked_clients"], 2)
    sent = [f"msg:{i}" for i in range(1000)]
    for i in range(0, len(sent), 50):
        r.rpush("queue:mail", *sent[i:i + 50])
        time.sleep(0.001)
    r.rpush("queue:mail", "STOP", "STOP")
    for t in threads:
        t.join(10)
    got = received["c1"] + received["c2"]
    R.eq("message queue: every message once", sorted(got), sorted(sent))
    for name, items in received.items():
        order = [int(m.split(":")[1]) for m in items]
        R.eq(f"message queue: {name} in push order", order, sorted(order))
    R.ok("message queue: both consumers served", received["c1"] and received["c2"],
         f"c1={len(received['c1'])} c2={len(received['c2'])}")
    R.eq("message queue: drained", r.llen("queue:mail"), 0)

    # A consumer blocked with a timeout wakes on the next push, not later.
    result = {}

    def late():
        c = redis.Redis(port=port, decode_responses=True)
        t0 = time.time()
        result["item"] = c.blpop("queue:late", timeout=5)
        result["waited"] = time.time() - t0

    t = threading.Thread(target=late)
    t.start()
    time.sleep(0.3)
    r.rpush("queue:late", "hello")
    t.join(6)
    R.eq("message queue: late push wakes the consumer", result.get("item"), ("queue:late", "hello"))
    R.ok("message queue: woken promptly", 0.25 < result.get("waited", 0) < 2.0,
         f"waited {result.get('waited')}")
    R.eq("message queue: BLPOP times out with None",
         redis.Redis(port=port).blpop("queue:none", timeout=0.2), None)


def leaderboard(port):
    r = redis.Redis(port=port, decode_responses=True)
    r.delete("board")
    rng = random.Random(42)
    model = {}
    for _ in range(3000):
        player = f"player:{rng.randrange(300)}"
        points = rng.randrange(1, 100)
        model[player] = model.get(player, 0) + points
        r.zincrby("board", points, player)
    # Top ten: highest score first, ties broken by member in reverse order.
    want = sorted(model.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:10]
    got = r.zrevrange("board", 0, 9, withscores=True)
    R.eq("leaderboard: top ten", [(m, int(s)) for m, s in got], want)
    player, score = want[3]
    R.eq("leaderboard: ZREVRANK", r.zrevrank("board", player), 3)
    R.eq("leaderboard: ZSCORE", r.zscore("board", player), float(score))
    R.eq("leaderboard: ZCARD", r.zcard("board"), len(model))
    above = sum(1 for s in model.values() if s > 1000)
    R.eq("leaderboard: ZCOUNT (1000 +inf", r.zcount("board", "(1000", "+inf"), above)
    R.eq("leaderboard: encoding", r.object("encoding", "board"), "skiplist")


def main():
    try:
        server = keeltest.start_redis() if TARGET == "redis" else keeltest.start_keel()
    except keeltest.SetupError as e:
        R.fail("start server", str(e))
        R.finish()
    for test in (delay_queue, message_queue, leaderboard):
        try:
            test(server.port)
        except Exception as e:  # a broken connection fails the group, not the run
            R.fail(test.__name__, repr(e))
    R.finish()


if __name__ == "__main__":
    main()
