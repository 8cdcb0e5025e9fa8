#!/usr/bin/env bash
# test_cli: keel-cli must print what redis-cli prints, byte for byte.
#
# Starts a redis-server of its own on a free port and runs the same commands
# through redis-cli (the reference) and keel-cli ($KEEL_CLI): one-shot and
# piped on stdin, with stdout a pipe (raw form) and a tty (human form, faked
# with `script`), and compares stdout, stderr and the exit status.  Then
# checks the interactive prompt through a pty, and, when $KEEL_SERVER is
# built, runs keel-cli against keel-server and compares with redis-server.
#
# Every wait is bounded, every process started here is killed on exit.
set -u

fail_setup() { echo "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }

CLI=${KEEL_CLI:-}
[ -n "$CLI" ] && [ -x "$CLI" ] || fail_setup "KEEL_CLI is not set to an executable keel-cli"
REDIS_SERVER=$(command -v redis-server || true)
if [ -z "$REDIS_SERVER" ]; then
    echo "SKIP: redis-server not installed (apt-get install redis-server redis-tools)"
    exit 0
fi
REDIS_CLI=$(command -v redis-cli || true)
[ -n "$REDIS_CLI" ] || fail_setup "redis-server is installed but redis-cli is not"
command -v script >/dev/null || fail_setup "script(1) (util-linux) is needed to fake a tty"
PYTHON=$(command -v python3 || true)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/keel-test-cli.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); }
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL: $1"
    if [ $# -ge 3 ] && [ -f "$2" ] && [ -f "$3" ]; then
        diff <(od -c "$2") <(od -c "$3") | head -20
    fi
}

# A port the kernel just handed out, hence free (closed again right away).
free_port() {
    if [ -n "$PYTHON" ]; then
        "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
    else
        echo $((20000 + RANDOM % 20000))
    fi
}

# wait_ping PORT TRIES: is something answering PING on PORT?
wait_ping() {
    local i
    for ((i = 0; i < $2; i++)); do
        [ "$("$REDIS_CLI" -p "$1" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.1
    done
    return 1
}

# start_server BINARY PORT DIR TRIES -> pid in $SERVER_PID
start_server() {
    mkdir -p "$3"
    if [ "$(basename "$1")" = redis-server ]; then
        "$1" --port "$2" --bind 127.0.0.1 --save '' --appendonly no --dir "$3" \
            >"$3/log" 2>&1 &
    else
        "$1" --port "$2" --bind 127.0.0.1 --dir "$3" >"$3/log" 2>&1 &
    fi
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_ping "$2" "$4"
}

stop_server() {
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# What redis-cli says in its own name, keel-cli says in Keel's.
normalize() {
    sed -e 's/Could not connect to Redis at/Could not connect to Keel at/' \
        -e 's/Invalid redis-cli repeat/Invalid keel-cli repeat/' "$1" >"$1.n" && mv "$1.n" "$1"
}

# tty_run OUT CMD...: runs CMD with stdout (and stderr) on a pty; script
# turns each \n into \r\n for both clients alike.  Status in OUT.rc.
tty_run() {
    local out=$1
    shift
    script -qec "$(printf '%q ' "$@")" /dev/null </dev/null >"$out" 2>&1
    echo $? >"$out.rc"
}

# ---------------------------------------------------------------------------
# Cases.  Each line is valid both as bash words (for one-shot argv) and as a
# redis-cli input line.  Lines starting with @ use features Keel does not
# have yet (collections, transactions, streams, scripting, COMMAND docs,
# cluster): checked against redis-server only.

ALL_BYTES=$(for ((b = 0; b < 256; b++)); do printf '\\x%02x' "$b"; done)
cat >"$TMP/fixture" <<EOF
flushall
set s hello
set bin "\x00\x01\x7f\x80\xff\"\\\\ \a\b\t\n\r\x0b\x0c\x1b"
set all "$ALL_BYTES"
set utf8 "caf\xc3\xa9 \xe2\x82\xac"
set spaces "  lead and trail  "
@rpush l a "b c" "" "x\ny" "\x01\xff" "\"q\"" "back\\\\slash"
@rpush big 1 2 3 4 5 6 7 8 9 10 11 12
@hset h f1 v1 f2 v2
@sadd st m1
@zadd z 1.5 one 2 two 3 three
set n 10
set 2 two
@xadd xs 1-1 a 1 b 2
@xadd xs 2-1 c 3
EOF

cat >"$TMP/cases" <<'EOF'
ping
ping "hello world"
echo ""
get s
get nokey
get bin
get all
get utf8
get spaces
incr n
incrby n -3
incrbyfloat n 1.5
append s " world"
strlen s
@lrange l 0 -1
@lrange nokey 0 -1
@lrange big 0 -1
@llen l
@hgetall h
@hget h f1
@hmget h f1 nofield f2
@smembers st
@zrange z 0 -1 withscores
@zscore z one
@mget s nokey l n
@exists s nokey l
@type l
type nokey
object encoding nokey
ttl s
set k v ex 100 get
del k nokey
set
foo
foo bar baz
@lpush s x
incr s
@multi
@set t 1
@exec
@discard
select 3
set in3 yes
get in3
select 0
get in3
2
get 2
@xrange xs - +
@xrange xs - + count 1
@command info get
@eval "return {1,{2,{3,{4,{5,'deep'}}}},{},redis.error_reply('inner err'),false,'s'}" 0
@eval "return redis.status_reply('FINE')" 0
client list id 999999
@cluster info
@lolwut
flushdb
keys *
@info keyspace
EOF

# The lines for a server, @ removed, or @ lines dropped for keel-server.
select_lines() { # FILE ALL(1|0)
    if [ "$2" = 1 ]; then sed 's/^@//' "$1"; else grep -v '^@' "$1"; fi
}

load_fixture() { # PORT ALL
    select_lines "$TMP/fixture" "$2" | "$REDIS_CLI" -p "$1" >/dev/null 2>&1
}

# run_suite LABEL BIN PORT ALL: every case through BIN in every mode, the
# outputs in $TMP/LABEL/<mode>.<n>; the database is reloaded before each
# mode so both clients see the same data in the same order.
run_suite() {
    local label=$1 bin=$2 port=$3 all=$4 dir=$TMP/$1 mode n line
    local -a args
    mkdir -p "$dir"
    select_lines "$TMP/cases" "$all" >"$dir/lines"
    for mode in raw tty noraw forceraw; do
        load_fixture "$port" "$all"
        n=0
        while IFS= read -r line; do
            n=$((n + 1))
            set -f # "keys *" is an argument, not a glob
            eval "args=($line)"
            set +f
            local out=$dir/$mode.$n
            case $mode in
            raw) "$bin" -p "$port" "${args[@]}" >"$out" 2>"$out.err" </dev/null
                echo $? >"$out.rc" ;;
            noraw) "$bin" -p "$port" --no-raw "${args[@]}" >"$out" 2>"$out.err" </dev/null
                echo $? >"$out.rc" ;;
            tty) tty_run "$out" "$bin" -p "$port" "${args[@]}" ;;
            forceraw) tty_run "$out" "$bin" -p "$port" --raw "${args[@]}" ;;
            esac
        done <"$dir/lines"
    done
    for mode in raw noraw; do
        load_fixture "$port" "$all"
        local extra=()
        [ $mode = noraw ] && extra=(--no-raw)
        "$bin" -p "$port" "${extra[@]}" <"$dir/lines" >"$dir/piped.$mode" 2>"$dir/piped.$mode.err"
        echo $? >"$dir/piped.$mode.rc"
    done
    load_fixture "$port" "$all"
    tty_run "$dir/piped.tty" sh -c "exec \"\$0\" -p $port < \"\$1\"" "$bin" "$dir/lines"
}

# compare_suite REF TEST: every output file of TEST equal to REF's.
compare_suite() {
    local ref=$TMP/$1 test=$TMP/$2 f name
    for f in "$ref"/raw.* "$ref"/tty.* "$ref"/noraw.* "$ref"/forceraw.* "$ref"/piped.*; do
        case $f in *.err | *.rc) continue ;; esac
        name=${f##*/}
        local n=${name#*.}
        local what="$2 $name"
        [[ $n =~ ^[0-9]+$ ]] && what="$what: $(sed -n "${n}p" "$ref/lines")"
        local ok=1 ext
        for ext in "" .err .rc; do
            [ -f "$f$ext" ] || continue
            normalize "$f$ext"
            if ! cmp -s "$f$ext" "$test/$name$ext"; then
                ok=0
                fail "$what (${ext:-stdout} differs)" "$f$ext" "$test/$name$ext"
                break
            fi
        done
        [ $ok = 1 ] && pass
    done
}

# compare_cmd NAME STDIN-FILE ARGS...: one run of each client, same args.
compare_cmd() {
    local name=$1 in=$2
    shift 2
    local d=$TMP/cmd.$PASSED.$FAILED
    mkdir -p "$d"
    load_fixture "$PORT" 1
    "$REDIS_CLI" "$@" <"$in" >"$d/ref.out" 2>"$d/ref.err"
    echo $? >"$d/ref.rc"
    load_fixture "$PORT" 1
    "$CLI" "$@" <"$in" >"$d/test.out" 2>"$d/test.err"
    echo $? >"$d/test.rc"
    normalize "$d/ref.out"
    normalize "$d/ref.err"
    # Whether a dropped link reads as EOF or as a reset is a race in the
    # kernel, not a difference between the clients.
    sed -i 's/^Error: Connection reset by peer$/Error: Server closed the connection/' \
        "$d/ref.err" "$d/test.err"
    local ext
    for ext in out err rc; do
        if ! cmp -s "$d/ref.$ext" "$d/test.$ext"; then
            fail "$name ($ext differs)" "$d/ref.$ext" "$d/test.$ext"
            return
        fi
    done
    pass
}

# ---------------------------------------------------------------------------
PORT=$(free_port)
start_server "$REDIS_SERVER" "$PORT" "$TMP/redis" 50 || fail_setup "redis-server did not start on port $PORT"
REDIS_PID=$SERVER_PID

run_suite ref "$REDIS_CLI" "$PORT" 1
run_suite keel "$CLI" "$PORT" 1
compare_suite ref keel

# Options and special cases, each run the same way through both clients.
NULL_IN=/dev/null
printf 'hello\nworld\n' >"$TMP/two_lines"
compare_cmd "-x" "$TMP/two_lines" -p "$PORT" -x --no-raw echo
compare_cmd "-x with args" "$TMP/two_lines" -p "$PORT" -x set xk
compare_cmd "-r 3" "$NULL_IN" -p "$PORT" -r 3 incr counter
compare_cmd "-r 3 -i" "$NULL_IN" -p "$PORT" -r 3 -i 0.02 --no-raw incr counter2
compare_cmd "-r error" "$NULL_IN" -p "$PORT" -r 2 foo
compare_cmd "-e error" "$NULL_IN" -p "$PORT" -e foo
compare_cmd "-e -r error" "$NULL_IN" -p "$PORT" -e -r 3 foo
compare_cmd "-e no error" "$NULL_IN" -p "$PORT" -e get s
compare_cmd "-e --no-raw" "$NULL_IN" -p "$PORT" -e --no-raw lpush s x
compare_cmd "-n" "$NULL_IN" -p "$PORT" -n 5 dbsize
compare_cmd "-n 0" "$NULL_IN" -p "$PORT" -n 0 dbsize
compare_cmd "-n bad db" "$NULL_IN" -p "$PORT" -n 99 ping
compare_cmd "-a warning" "$NULL_IN" -p "$PORT" -a wrongpass ping
compare_cmd "--no-auth-warning" "$NULL_IN" -p "$PORT" --no-auth-warning -a wrongpass ping
compare_cmd "--user" "$NULL_IN" -p "$PORT" --user nobody -a wrongpass ping
compare_cmd "-h -p" "$NULL_IN" -h 127.0.0.1 -p "$PORT" ping
compare_cmd "-u uri" "$NULL_IN" -u "redis://127.0.0.1:$PORT/5" dbsize
compare_cmd "-u uri user password" "$NULL_IN" -u "redis://nobody:pw@127.0.0.1:$PORT" ping
compare_cmd "unknown option" "$NULL_IN" --bogus ping
compare_cmd "missing value" "$NULL_IN" -p
compare_cmd "raw info-like reply" "$NULL_IN" -p "$PORT" --no-raw client list id 999999
printf 'select 5\nset x 1\nping\nquit\nping\n' >"$TMP/quit_lines"
compare_cmd "piped quit" "$TMP/quit_lines" -p "$PORT"
printf '3 incr rep\n0 ping\n-1 ping\n2\n  2   echo "a b"  \n+2 ping\n"" ping\n' >"$TMP/repeat_lines"
compare_cmd "piped repeat prefix" "$TMP/repeat_lines" -p "$PORT"
printf 'echo a"b c"d\necho x'"'"'y z'"'"'\necho "\\xZZ\\x4g"\necho "unterminated\necho '"'"'a\\\\b\\'"'"'c'"'"'\necho "tab\there" \r\n\n   \necho last' >"$TMP/quote_lines"
compare_cmd "piped quoting" "$TMP/quote_lines" -p "$PORT" --no-raw
printf 'client kill type normal skipme no\nping\nping\n' >"$TMP/kill_lines"
compare_cmd "piped lost connection" "$TMP/kill_lines" -p "$PORT"

CLOSED=$(free_port)
compare_cmd "refused one-shot" "$NULL_IN" -p "$CLOSED" ping
compare_cmd "refused piped" "$TMP/quit_lines" -p "$CLOSED"

# SHUTDOWN: silence when the server goes away as asked; the next line fails.
printf 'ping\nshutdown nosave\nping\n' >"$TMP/shutdown_lines"
for who in ref test; do
    p=$(free_port)
    if start_server "$REDIS_SERVER" "$p" "$TMP/shut.$who" 50; then
        bin=$REDIS_CLI
        [ $who = test ] && bin=$CLI
        "$bin" -p "$p" <"$TMP/shutdown_lines" >"$TMP/shut.$who/out" 2>"$TMP/shut.$who/err"
        echo $? >>"$TMP/shut.$who/out"
        normalize "$TMP/shut.$who/err"
        sed -i "s/$p/PORT/" "$TMP/shut.$who/err"
        stop_server "$SERVER_PID"
    fi
done
if cmp -s "$TMP/shut.ref/out" "$TMP/shut.test/out" && cmp -s "$TMP/shut.ref/err" "$TMP/shut.test/err"; then
    pass
else
    fail "shutdown" "$TMP/shut.ref/err" "$TMP/shut.test/err"
fi

# SUBSCRIBE streams messages until interrupted; compare what arrives.
sub_run() { # BIN OUT MODE(raw|tty)
    local i
    if [ "$3" = tty ]; then
        script -qec "exec $(printf '%q ' "$1" -p "$PORT" subscribe chan)" /dev/null </dev/null >"$2" 2>&1 &
    else
        "$1" -p "$PORT" subscribe chan >"$2" 2>&1 </dev/null &
    fi
    local pid=$!
    PIDS+=("$pid")
    for ((i = 0; i < 50; i++)); do
        [ "$("$REDIS_CLI" -p "$PORT" pubsub numsub chan | tail -1)" = 1 ] && break
        sleep 0.1
    done
    "$REDIS_CLI" -p "$PORT" publish chan "hello there" >/dev/null
    for ((i = 0; i < 50; i++)); do
        grep -q "hello there" "$2" && break
        sleep 0.1
    done
    if [ "$3" = tty ]; then
        # Stop the client, script's only child: script then ends by itself
        # (killing script first makes it print a message of its own).
        pkill -P "$pid" 2>/dev/null
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do # the server notices the unsubscription
        [ "$("$REDIS_CLI" -p "$PORT" pubsub numsub chan | tail -1)" = 0 ] && break
        sleep 0.1
    done
}
for m in raw tty; do
    sub_run "$REDIS_CLI" "$TMP/sub.ref.$m" $m
    sub_run "$CLI" "$TMP/sub.test.$m" $m
    if grep -q "hello there" "$TMP/sub.ref.$m" && cmp -s "$TMP/sub.ref.$m" "$TMP/sub.test.$m"; then
        pass
    else
        fail "subscribe ($m)" "$TMP/sub.ref.$m" "$TMP/sub.test.$m"
    fi
done

# Slow commands report their time in human form, as redis-cli does.
printf 'blpop nolist 0.6\n' | "$CLI" -p "$PORT" --no-raw >"$TMP/slow" 2>&1
if grep -Eq '^\(0\.[6-9][0-9]s\)$|^\([1-9]\.[0-9][0-9]s\)$' "$TMP/slow"; then pass; else fail "slow command timing: $(cat "$TMP/slow")"; fi

# --help and --version are keel-cli's own.
if "$CLI" --help | grep -q '^Usage: keel-cli'; then pass; else fail "--help"; fi
if "$CLI" --version | grep -Eq '^keel-cli [0-9]'; then pass; else fail "--version"; fi

# ---------------------------------------------------------------------------
# Interactive mode through a pty: prompt, SELECT and MULTI in the prompt, a
# lost connection and the reconnect, history without passwords.
if [ -n "$PYTHON" ]; then
    cat >"$TMP/expect.py" <<'PYEOF'
# Tiny expect: run argv[2:] on a pty, play the script in argv[1]:
#   "> text" send text and Enter; "? text" wait (5 s max) until output has text;
#   "! cmd" run a shell command.  Exit 0 if everything was seen.
import os, pty, re, select, subprocess, sys, time
steps = open(sys.argv[1]).read().splitlines()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
buf = b""
def read_some(t):
    global buf
    r, _, _ = select.select([fd], [], [], t)
    if r:
        try:
            d = os.read(fd, 4096)
        except OSError:
            return False
        if not d:
            return False
        buf += d
    return True
def clean():
    return re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", buf).replace(b"\r", b"")
pos = 0
ok = True
for st in steps:
    kind, arg = st[:1], st[2:]
    if kind == ">":
        time.sleep(0.05)
        os.write(fd, arg.encode() + b"\r")
    elif kind == "!":
        subprocess.run(arg, shell=True)
    elif kind == "?":
        end = time.time() + 5
        while True:
            i = clean().find(arg.encode(), pos)
            if i >= 0:
                pos = i + len(arg)
                break
            if time.time() > end or not read_some(0.1):
                print("expected %r, got %r" % (arg, clean()[pos:]))
                ok = False
                break
    if not ok:
        break
end = time.time() + 5
while ok and time.time() < end:
    p, status = os.waitpid(pid, os.WNOHANG)
    if p:
        ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        if not ok:
            print("exit status", status)
        break
    read_some(0.1)
else:
    if ok:
        print("did not exit")
        ok = False
try:
    os.kill(pid, 9)
except OSError:
    pass
sys.exit(0 if ok else 1)
PYEOF
    cat >"$TMP/session" <<EOF
? 127.0.0.1:$PORT> 
> select 2
? OK
? 127.0.0.1:$PORT[2]> 
> multi
? 127.0.0.1:$PORT[2](TX)> 
> set ik "v 1"
? QUEUED
> exec
? 1) OK
? 127.0.0.1:$PORT[2]> 
> get ik
? "v 1"
> lrange nolist 0 -1
? (empty array)
> auth sekrit-pass
? (error)
> "unbalanced
? Invalid argument(s)
> 2 incr ic
? (integer) 1
? (integer) 2
> client kill type normal skipme no
? (integer) 
> ping
? Error: Server closed the connection
? not connected> 
> ping
? PONG
? 127.0.0.1:$PORT[2]> 
> quit
EOF
    if KEELCLI_HISTFILE="$TMP/history" TERM=dumb "$PYTHON" "$TMP/expect.py" "$TMP/session" \
        "$CLI" -p "$PORT" >"$TMP/session.log" 2>&1; then
        pass
    else
        fail "interactive session: $(cat "$TMP/session.log")"
    fi
    if grep -qx 'select 2' "$TMP/history" 2>/dev/null && grep -qx 'get ik' "$TMP/history" &&
        ! grep -q sekrit "$TMP/history"; then
        pass
    else
        fail "history file: $(cat "$TMP/history" 2>&1)"
    fi
    cat >"$TMP/session2" <<EOF
? Could not connect to Keel at 127.0.0.1:$CLOSED: Connection refused
? not connected> 
> ping
? Could not connect to Keel at 127.0.0.1:$CLOSED: Connection refused
? not connected> 
> exit
EOF
    if KEELCLI_HISTFILE=/dev/null TERM=dumb "$PYTHON" "$TMP/expect.py" "$TMP/session2" \
        "$CLI" -p "$CLOSED" >"$TMP/session2.log" 2>&1; then
        pass
    else
        fail "interactive not connected: $(cat "$TMP/session2.log")"
    fi
else
    echo "note: python3 missing, interactive checks not run"
fi

# ---------------------------------------------------------------------------
# keel-cli against keel-server, compared with redis-cli against redis-server.
KEEL_SERVER=${KEEL_SERVER:-}
if [ -n "$KEEL_SERVER" ] && [ -x "$KEEL_SERVER" ]; then
    KPORT=$(free_port)
    if start_server "$KEEL_SERVER" "$KPORT" "$TMP/keelserver" 50; then
        run_suite refcommon "$REDIS_CLI" "$PORT" 0
        run_suite keelserver "$CLI" "$KPORT" 0
        compare_suite refcommon keelserver
    else
        fail "keel-server did not answer PING within 5 s on port $KPORT: $(tail -5 "$TMP/keelserver/log" 2>/dev/null)"
    fi
else
    echo "note: KEEL_SERVER not built, keel-server comparison not run"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
