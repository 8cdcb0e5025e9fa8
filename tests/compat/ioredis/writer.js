// writer.js: an ioredis client that finds the primary through Sentinel and
// writes unique keys until told to stop; used by test_sentinel_clients.py.
//
//   node writer.js --sentinels 127.0.0.1:26379,127.0.0.1:26380 --name mymaster
//                  --prefix io:kill [--wait-ms 200] [--pause-ms 2]
//
// Each write is a pipeline on one connection: SET <prefix>:<n> <n>, then
// WAIT 1 <wait-ms>, then a pause of <pause-ms> (a steady, modest load that
// still shows a failover's gap to the millisecond).  A write is acknowledged only if SET said OK and WAIT
// counted at least one replica.  Prints one JSON line {"event":"ready"} after
// the first acknowledged write; on "stop" (a line on stdin) it stops writing,
// reads every acknowledged key back through the same client (so from the
// primary Sentinel names now) and prints {"event":"result", ...} with the
// counts, the lost keys and each acknowledgement's wall-clock times (ms).
"use strict";

let Redis;
try {
  Redis = require("ioredis");
} catch (e) {
  console.log(JSON.stringify({ event: "error", error: "ioredis not installed: " + e.message }));
  process.exit(3);
}

function parseArgs(argv) {
  const out = { sentinels: [], name: "mymaster", prefix: "io", waitMs: 200, pauseMs: 2 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === "--sentinels") {
      out.sentinels = v.split(",").map((hp) => {
        const [host, port] = hp.split(":");
        return { host, port: Number(port) };
      });
      i++;
    } else if (a === "--name") {
      out.name = v;
      i++;
    } else if (a === "--prefix") {
      out.prefix = v;
      i++;
    } else if (a === "--pause-ms") {
      out.pauseMs = Number(v);
      i++;
    } else if (a === "--wait-ms") {
      out.waitMs = Number(v);
      i++;
    } else {
      throw new Error("unknown argument " + a);
    }
  }
  return out;
}

const opts = parseArgs(process.argv.slice(2));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The client as a Sentinel user would configure it: the sentinels and the
// name, a command timeout (a frozen primary keeps its socket open), a
// reconnect when a demoted primary answers READONLY, and the failover
// detector (reconnect on +switch-master).
const redis = new Redis({
  sentinels: opts.sentinels,
  name: opts.name,
  commandTimeout: 1000,
  failoverDetector: true,
  reconnectOnError: (err) => (err.message.startsWith("READONLY") ? 2 : false),
  lazyConnect: false,
});
redis.on("error", () => {}); // counted per command below

const acks = []; // [n, tSent, tAck] wall-clock ms
const errors = {};
let unacked = 0; // SET OK but WAIT counted no replica
let attempts = 0;
let stopping = false;
let ready = false;

function countError(e) {
  const k = (e && e.message ? e.message : String(e)).split(/[\s:]/)[0] || "error";
  errors[k] = (errors[k] || 0) + 1;
}

async function writeLoop() {
  let n = 0;
  while (!stopping) {
    n++;
    attempts++;
    const key = opts.prefix + ":" + n;
    const tSent = Date.now();
    try {
      const res = await redis.pipeline().set(key, String(n)).call("WAIT", "1", String(opts.waitMs)).exec();
      const [setErr, setRes] = res[0];
      const [waitErr, waitRes] = res[1];
      if (setErr || waitErr) {
        countError(setErr || waitErr);
        await sleep(20);
        continue;
      }
      if (opts.pauseMs > 0) await sleep(opts.pauseMs);
      if (setRes === "OK" && Number(waitRes) >= 1) {
        acks.push([n, tSent, Date.now()]);
        if (!ready) {
          ready = true;
          console.log(JSON.stringify({ event: "ready" }));
        }
      } else {
        unacked++;
      }
    } catch (e) {
      countError(e);
      await sleep(20);
    }
  }
}

async function verify() {
  // Read back every acknowledged key through the client (the current primary).
  const lost = [];
  for (let i = 0; i < acks.length; i += 500) {
    const chunk = acks.slice(i, i + 500);
    let vals = null;
    for (let tries = 0; tries < 50 && vals === null; tries++) {
      try {
        vals = await redis.mget(chunk.map((a) => opts.prefix + ":" + a[0]));
      } catch (e) {
        await sleep(100);
      }
    }
    if (vals === null) throw new Error("could not read back the acknowledged keys");
    chunk.forEach((a, j) => {
      if (vals[j] !== String(a[0])) lost.push(a[0]);
    });
  }
  return lost;
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => {
  input += d;
  if (input.includes("stop")) stopping = true;
});
process.stdin.on("end", () => {
  stopping = true;
});

(async () => {
  const loop = writeLoop();
  await loop;
  let lost = [];
  let verifyError = null;
  try {
    lost = await verify();
  } catch (e) {
    verifyError = e.message;
  }
  const result = {
    event: "result",
    acked: acks.length,
    lost: lost.length,
    lostKeys: lost.slice(0, 20),
    unacked,
    attempts,
    errors,
    verifyError,
    acks,
  };
  redis.disconnect();
  // Exit only once the (large) line is flushed: a pipe takes 64 KB at a time.
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(0));
})();
