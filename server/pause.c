/* pause: CLIENT PAUSE / CLIENT UNPAUSE as Redis 7.0 has them, and Keel's
 * stall write fence.
 *
 * CLIENT PAUSE timeout [WRITE|ALL] holds, for `timeout` milliseconds, every
 * command of normal clients (ALL) or those that could change the dataset or
 * the replication stream (WRITE: write commands, PUBLISH and SPUBLISH, EXEC
 * of a transaction holding one of those, and a WAIT that would have to wait,
 * whose REPLCONF GETACK would otherwise move the offset).  A held client
 * gets no reply and reads nothing more; when the pause ends its command runs
 * again from the top, so whatever changed meanwhile (the server became a
 * replica: -READONLY) applies, and clients run in the order they were held.
 * Replicas and the link to our own primary are never held.
 *
 * The stall fence closes the window in which a primary that stopped running
 * (SIGSTOP, a frozen VM, a very long command) while sentinels were watching
 * wakes up after they may have promoted a replica, and acknowledges writes
 * that the new primary will never see.  A primary whose event loop did not
 * run for longer than stall-fence-threshold ms, while a sentinel watched it
 * (a PUBLISH on __sentinel__:hello arrived within the 60 s before the
 * stall), holds writes, EXEC of writes and WAIT as under CLIENT PAUSE WRITE
 * until a sentinel confirms it is still the primary (CLIENT UNPAUSE), it is
 * made a replica (REPLICAOF host port: the held writes then get -READONLY),
 * or stall-fence-timeout ms pass.  PUBLISH stays allowed while fenced: a
 * sentinel sends its hello messages on the same link as its PING, INFO and
 * CLIENT UNPAUSE, which must keep flowing for it to lift the fence.
 *
 * The stall is seen by a check watcher at the highest priority, which runs
 * as soon as the loop wakes and before any client's input is read: the loop
 * never sleeps longer than the tick below, so a gap between two wake-ups
 * beyond the threshold means the process did not run.  A stall in the
 * middle of an iteration (a long command, or a stop between two clients'
 * commands) is caught by the same comparison made before each write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pause.h"
#include "replication.h"

pause_config pause_cfg = {.stall_fence_threshold = 500, .stall_fence_timeout = 10000};

enum { PAUSE_OFF = 0, PAUSE_WRITE = 1, PAUSE_ALL = 2 };

#define HELLO_CHANNEL "__sentinel__:hello"
#define SENTINEL_WATCH_US (60LL * 1000 * 1000) /* a hello this recent: a sentinel watches */

/* A held command: a private copy of its arguments (the query buffer moves
 * on), in the order commands were held. */
typedef struct held_cmd {
    uint64_t client_id;
    client *c; /* found again by id when released: clients may be gone */
    int argc;
    buf *argv;
    int reply_skip; /* CLIENT REPLY SKIP applied to this command */
    struct held_cmd *next;
} held_cmd;

static struct {
    server *s;
    /* CLIENT PAUSE */
    int type;
    int64_t end_ms; /* unix time, as Redis keeps it */
    ev_timer pause_timer;
    /* the stall fence */
    int fenced;
    uint64_t fenced_since_us;
    ev_timer fence_timer;
    uint64_t last_seen_us;  /* the loop's last wake-up (or stall check) */
    uint64_t last_hello_us; /* last PUBLISH on __sentinel__:hello, 0: never */
    ev_check stall_check;
    ev_timer tick; /* bounds the loop's sleep; sweeps held commands of gone clients */
    /* held commands */
    held_cmd *head, *tail;
    dict *held;  /* client id -> held_cmd */
    int release; /* the pause or fence ended: run them before the loop sleeps */
    const command *publish, *spublish, *wait, *exec;
    int was_replica; /* the role after the last command */
} PS;

static void fence_lift(const char *why);

/* ------------------------------------------------------------ held list */

static uint64_t id_hash(const void *k)
{
    uint64_t id = (uint64_t)(uintptr_t)k;
    return dict_hash_bytes(&id, sizeof(id));
}

static const dict_type held_dict_type = {id_hash, NULL, NULL, NULL};

static void *id_key(uint64_t id)
{
    return (void *)(uintptr_t)id;
}

static void held_free(held_cmd *h)
{
    for (int i = 0; i < h->argc; i++)
        buf_free(h->argv[i]);
    free(h->argv);
    free(h);
}

/* The client waits: its command is copied and it reads nothing more (a
 * blocked client's input stays in its query buffer) until released. */
static void pause_hold_client(client *c)
{
    held_cmd *h = calloc(1, sizeof(*h));
    if (!h)
        abort();
    h->client_id = c->id;
    h->argc = c->argc;
    h->argv = malloc(sizeof(buf) * (size_t)c->argc);
    if (!h->argv)
        abort();
    for (int i = 0; i < c->argc; i++)
        h->argv[i] = buf_new(c->argv[i].ptr, c->argv[i].len);
    h->reply_skip = (c->flags & CLIENT_REPLY_SKIP) != 0;
    if (PS.tail)
        PS.tail->next = h;
    else
        PS.head = h;
    PS.tail = h;
    dict_add(PS.held, id_key(c->id), h);
    c->flags |= CLIENT_BLOCKED | CLIENT_PAUSE_HELD;
}

/* Point each held command at its client, if it is still connected. */
static void held_find_clients(server *s)
{
    for (held_cmd *h = PS.head; h; h = h->next)
        h->c = NULL;
    for (client *c = s->clients; c; c = c->next) {
        if (!(c->flags & CLIENT_PAUSE_HELD))
            continue;
        held_cmd *h = dict_fetch_value(PS.held, id_key(c->id));
        if (h)
            h->c = c;
    }
}

/* Forget the commands of clients that disconnected while held. */
static void held_sweep(server *s)
{
    if (!PS.head)
        return;
    held_find_clients(s);
    held_cmd **pp = &PS.head;
    PS.tail = NULL;
    while (*pp) {
        held_cmd *h = *pp;
        if (h->c) {
            PS.tail = h;
            pp = &h->next;
            continue;
        }
        *pp = h->next;
        dict_delete(PS.held, id_key(h->client_id));
        held_free(h);
    }
}

long long pause_held_count(const server *s)
{
    long long n = 0;
    for (const client *c = s->clients; c; c = c->next)
        n += (c->flags & CLIENT_PAUSE_HELD) != 0;
    return n;
}

/* Run one released command as client_process_input would, then the rest
 * of the client's pipeline.  It may be held again (another pause, or the
 * fence): it then goes to the back of the new list. */
static void pause_rerun(server *s, client *c, held_cmd *h)
{
    resp_arg view[16];
    resp_arg *args = h->argc <= 16 ? view : malloc(sizeof(resp_arg) * (size_t)h->argc);
    if (!args)
        abort();
    for (int i = 0; i < h->argc; i++) {
        args[i].ptr = h->argv[i];
        args[i].len = buf_len(h->argv[i]);
    }
    c->flags &= ~(CLIENT_BLOCKED | CLIENT_PAUSE_HELD);
    c->argc = h->argc;
    c->argv = args;
    if (h->reply_skip)
        c->flags |= CLIENT_REPLY_SKIP;
    s->current_client = c;
    command_call(c);
    s->current_client = NULL;
    c->flags &= ~CLIENT_REPLY_SKIP;
    if (!(c->flags & CLIENT_PAUSE_HELD) && (c->flags & CLIENT_REPLY_SKIP_NEXT))
        c->flags = (c->flags & ~CLIENT_REPLY_SKIP_NEXT) | CLIENT_REPLY_SKIP;
    blocking_handle_ready_keys(s);
    client_reset_command(c);
    if (args != view)
        free(args);
    client_process_input(c);
}

/* Clients are freed only asynchronously while commands run (CLIENT KILL,
 * output limits), so the pointers found here stay valid for the pass. */
void pause_before_sleep(server *s)
{
    if (PS.fenced && replication_is_replica(s))
        fence_lift("this server is now a replica");
    if (!PS.release)
        return;
    PS.release = 0;
    if (!PS.head)
        return;
    held_find_clients(s);
    held_cmd *list = PS.head;
    PS.head = PS.tail = NULL;
    dict_empty(PS.held);
    while (list) {
        held_cmd *h = list;
        list = h->next;
        client *c = h->c;
        if (c && (c->flags & CLIENT_PAUSE_HELD)) {
            if (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSE_AFTER_REPLY))
                c->flags &= ~(CLIENT_BLOCKED | CLIENT_PAUSE_HELD);
            else
                pause_rerun(s, c, h);
        }
        held_free(h);
    }
}

/* ---------------------------------------------------------- CLIENT PAUSE */

static void pause_stop(void)
{
    if (PS.type == PAUSE_OFF)
        return;
    PS.type = PAUSE_OFF;
    PS.end_ms = 0;
    ev_timer_stop(PS.s->loop, &PS.pause_timer);
    PS.release = 1;
}

static void pause_arm_timer(int64_t now)
{
    ev_timer_stop(PS.s->loop, &PS.pause_timer);
    ev_timer_set(&PS.pause_timer, (double)(PS.end_ms - now) / 1000.0, 0);
    ev_timer_start(PS.s->loop, &PS.pause_timer);
}

static void pause_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    int64_t now = util_mstime();
    if (PS.end_ms > now && PS.type != PAUSE_OFF) /* the wall clock went back */
        pause_arm_timer(now);
    else
        pause_stop();
}

/* As Redis: during a pause a new one can only make it stricter (WRITE to
 * ALL) and longer; an end already past (timeout 0, or one so large it
 * overflows) pauses nothing on its own. */
static void pause_start(int type, int64_t end_ms)
{
    int64_t now = util_mstime();
    if (PS.type != PAUSE_OFF) {
        if (type > PS.type)
            PS.type = type;
        if (end_ms > PS.end_ms)
            PS.end_ms = end_ms;
    } else {
        PS.type = type;
        PS.end_ms = end_ms;
    }
    if (PS.end_ms < now) {
        pause_stop();
        return;
    }
    pause_arm_timer(now);
}

void client_pause_command(client *c)
{
    if (c->argc != 3 && c->argc != 4) {
        int n = c->argv[1].len < 128 ? (int)c->argv[1].len : 128;
        reply_errorf(c,
                     "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try CLIENT "
                     "HELP.",
                     n, c->argv[1].ptr);
        return;
    }
    int type = PAUSE_ALL;
    if (c->argc == 4) {
        if (arg_is(&c->argv[3], "write")) {
            type = PAUSE_WRITE;
        } else if (!arg_is(&c->argv[3], "all")) {
            reply_error(c, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    long long ms;
    if (!util_str2ll(c->argv[2].ptr, c->argv[2].len, &ms)) {
        reply_error(c, "ERR timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        reply_error(c, "ERR timeout is negative");
        return;
    }
    int64_t now = util_mstime();
    int64_t end = 0;
    if (ms > 0)
        end = ms > INT64_MAX - now ? INT64_MIN : now + ms;
    pause_start(type, end);
    reply_ok(c);
}

void client_unpause_command(client *c)
{
    pause_stop();
    if (PS.fenced) {
        char why[160];
        snprintf(why, sizeof(why),
                 "CLIENT UNPAUSE from id=%llu addr=%s confirmed it is the primary",
                 (unsigned long long)c->id, c->peer);
        fence_lift(why);
    }
    reply_ok(c);
}

/* ------------------------------------------------------------- the fence */

int pause_in_effect(void)
{
    return PS.type != PAUSE_OFF || PS.fenced;
}

int pause_write_fenced(void)
{
    return PS.fenced;
}

static void fence_lift(const char *why)
{
    if (!PS.fenced)
        return;
    PS.fenced = 0;
    ev_timer_stop(PS.s->loop, &PS.fence_timer);
    PS.release = 1;
    log_warning("Write fence lifted after %lld ms: %s.",
                (long long)((util_monotonic_us() - PS.fenced_since_us) / 1000), why);
}

static void fence_on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    char why[128];
    snprintf(why, sizeof(why), "stall-fence-timeout (%d ms) passed without a sentinel's word",
             pause_cfg.stall_fence_timeout);
    fence_lift(why);
}

/* Only a primary that sentinels watched when it stopped fences itself:
 * without sentinels nobody can have promoted a replica meanwhile. */
static int fence_armed(void)
{
    return pause_cfg.stall_fence_threshold > 0 && !PS.fenced && PS.last_hello_us &&
           PS.last_seen_us && PS.last_hello_us + SENTINEL_WATCH_US >= PS.last_seen_us &&
           !replication_is_replica(PS.s);
}

static void fence_check_gap(uint64_t now)
{
    uint64_t gap = now - PS.last_seen_us;
    if (gap <= (uint64_t)pause_cfg.stall_fence_threshold * 1000)
        return;
    PS.fenced = 1;
    PS.fenced_since_us = now;
    if (pause_cfg.stall_fence_timeout > 0) {
        ev_timer_set(&PS.fence_timer, pause_cfg.stall_fence_timeout / 1000.0, 0);
        ev_timer_start(PS.s->loop, &PS.fence_timer);
    }
    log_warning("The server was stalled for %llu ms; writes are paused until a sentinel confirms "
                "this server is still the primary (stall-fence-timeout %d ms)",
                (unsigned long long)(gap / 1000), pause_cfg.stall_fence_timeout);
}

/* First thing after every wake-up of the loop, before any input is read. */
static void stall_on_check(struct ev_loop *loop, ev_check *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    uint64_t now = util_monotonic_us();
    if (fence_armed())
        fence_check_gap(now);
    PS.last_seen_us = now;
}

/* The loop's sleep never exceeds a quarter of the threshold (10..100 ms),
 * so a longer gap is a stall and not an idle loop.  Once a second, held
 * commands of clients that left are dropped. */
static void pause_on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    static int64_t last_sweep_ms;
    int64_t now = util_mstime();
    if (now - last_sweep_ms >= 1000) {
        last_sweep_ms = now;
        if (!PS.release)
            held_sweep(PS.s);
    }
    double period = pause_cfg.stall_fence_threshold / 4000.0;
    period = period < 0.01 ? 0.01 : period > 0.1 ? 0.1 : period;
    if (pause_cfg.stall_fence_threshold == 0)
        period = 1.0;
    if (w->repeat != period) {
        w->repeat = period;
        ev_timer_again(loop, w);
    }
}

/* --------------------------------------------------------- command hook */

/* A WAIT that would wait is held by the stall fence (and, like every
 * command, by CLIENT PAUSE ALL).  Under CLIENT PAUSE WRITE it runs and
 * blocks as in Redis, its REPLCONF GETACK deferred until the pause ends
 * (replication/primary.c checks pause_in_effect()), so the offset stays
 * still either way.  One that answers at once (numreplicas <= 0) or fails
 * (bad arguments, a replica), or is only queued in MULTI, is left to reply
 * now, as Redis does. */
static int wait_would_block(const client *c)
{
    long long num, timeout;
    return !(c->flags & CLIENT_MULTI) && c->argc == 3 &&
           util_str2ll(c->argv[1].ptr, c->argv[1].len, &num) && num > 0 &&
           util_str2ll(c->argv[2].ptr, c->argv[2].len, &timeout) && timeout >= 0 &&
           !replication_is_replica(c->srv) && (PS.type != PAUSE_WRITE || PS.fenced);
}

static int arg_is_hello_channel(const resp_arg *a)
{
    return a->len == sizeof(HELLO_CHANNEL) - 1 && memcmp(a->ptr, HELLO_CHANNEL, a->len) == 0;
}

int pause_hold_command(client *c, const command *cmd)
{
    /* Not held: replicas and our primary's stream (as Redis), commands EXEC
     * runs, and blocked commands run again because their key got data. */
    if (!c->conn ||
        (c->flags & (CLIENT_MASTER | CLIENT_REPLICA | CLIENT_IN_EXEC | CLIENT_REPROCESSING)))
        return 0;
    int is_publish = cmd == PS.publish || cmd == PS.spublish;
    if (cmd == PS.publish && arg_is_hello_channel(&c->argv[1]))
        PS.last_hello_us = util_monotonic_us();
    /* Outside MULTI, what an earlier transaction queued no longer counts. */
    if (!(c->flags & CLIENT_MULTI))
        c->flags &= ~(CLIENT_MULTI_WRITES | CLIENT_MULTI_MAY_REPLICATE);
    int is_exec = cmd == PS.exec;
    int write = (cmd->flags & CMD_WRITE) || (is_exec && (c->flags & CLIENT_MULTI_WRITES));
    int may_replicate = write || is_publish || (cmd->flags & CMD_MAY_REPLICATE) ||
                        (is_exec && (c->flags & CLIENT_MULTI_MAY_REPLICATE));
    int wait = cmd == PS.wait && wait_would_block(c);
    if ((write || wait) && fence_armed()) {
        uint64_t now = util_monotonic_us();
        fence_check_gap(now);
        if (PS.fenced)
            PS.last_seen_us = now; /* this stall is seen: not again at the next wake-up */
    }
    if (PS.type == PAUSE_ALL || (PS.type == PAUSE_WRITE && (may_replicate || wait)) ||
        (PS.fenced && (write || wait))) {
        pause_hold_client(c);
        return 1;
    }
    if ((c->flags & CLIENT_MULTI) && !is_exec) {
        if (cmd->flags & CMD_WRITE)
            c->flags |= CLIENT_MULTI_WRITES;
        if (may_replicate)
            c->flags |= CLIENT_MULTI_MAY_REPLICATE;
    }
    return 0;
}

/* The server just became a replica.  As Redis: clients waiting on keys or
 * in WAIT get -UNBLOCKED and are closed (their wait makes no sense on a
 * replica); held clients are not, since their command has not started:
 * it runs once released and gets -READONLY like any write. */
static void pause_demoted(server *s, client *by)
{
    for (client *o = s->clients; o; o = o->next) {
        if (!(o->flags & CLIENT_BLOCKED) || (o->flags & CLIENT_PAUSE_HELD) || o == by)
            continue;
        reply_error(o, "UNBLOCKED force unblock from blocking operation, instance state changed "
                       "(master -> replica?)");
        if (o->bstate)
            blocking_unblock(o, UNBLOCK_ERROR);
        o->flags |= CLIENT_CLOSE_AFTER_REPLY;
    }
    if (PS.fenced) {
        char why[160];
        snprintf(why, sizeof(why),
                 "this server is now a replica (REPLICAOF from id=%llu addr=%s); held writes get "
                 "-READONLY",
                 (unsigned long long)by->id, by->peer);
        fence_lift(why);
    }
}

void pause_after_command(client *c)
{
    int replica = replication_is_replica(c->srv);
    if (replica && !PS.was_replica)
        pause_demoted(c->srv, c);
    PS.was_replica = replica;
}

/* ------------------------------------------------------------------ init */

void pause_init(server *s)
{
    PS.s = s;
    PS.held = dict_create(&held_dict_type);
    PS.publish = commands_lookup(s, "publish", 7);
    PS.spublish = commands_lookup(s, "spublish", 8);
    PS.wait = commands_lookup(s, "wait", 4);
    PS.exec = commands_lookup(s, "exec", 4);
    ev_timer_init(&PS.pause_timer, pause_on_timer, 0, 0);
    ev_timer_init(&PS.fence_timer, fence_on_timeout, 0, 0);
    ev_check_init(&PS.stall_check, stall_on_check);
    ev_set_priority(&PS.stall_check, EV_MAXPRI);
    ev_check_start(s->loop, &PS.stall_check);
    ev_timer_init(&PS.tick, pause_on_tick, 0.1, 0.1);
    ev_timer_start(s->loop, &PS.tick);
}
