/* test_pause: CLIENT PAUSE / UNPAUSE and the stall write fence (pause.c)
 * against real keel-server processes.  Pause WRITE holds a SET but not a
 * GET, UNPAUSE releases held clients in arrival order (and their pipelines
 * after them), pause ALL holds everything, a pause ends by itself, and with
 * a replica attached the primary's offset stays still (no PING, no expiry)
 * while paused.  The fence: after a client PUBLISHes on __sentinel__:hello
 * the server is stopped with SIGSTOP for 800 ms; a SET sent meanwhile and a
 * WAIT are held, INFO says write_fenced:1, and CLIENT UNPAUSE, REPLICAOF
 * (the SET gets -READONLY) or stall-fence-timeout lift it; without a hello
 * nothing is fenced.  Held clients are read through plain sockets, so a
 * missing reply is seen without breaking a hiredis context. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "harness.h"

#define SYNC_MS 10000

/* Servers of the current test; the teardown resumes and stops them even
 * when an assertion ends the test half-way. */
static harness_server servers[3];
static int nservers;

/* ---------------------------------------------------------------- helpers */

static harness_server *start(const char *args)
{
    harness_server *s = &servers[nservers];
    memset(s, 0, sizeof(*s));
    if (harness_start_server(s, args) != 0)
        fail_msg("keel-server did not start with '%s'", args);
    nservers++;
    return s;
}

static int teardown_servers(void **state)
{
    (void)state;
    for (int i = 0; i < nservers; i++) {
        if (servers[i].pid > 0)
            kill(servers[i].pid, SIGCONT);
        harness_stop_server(&servers[i]);
    }
    nservers = 0;
    return 0;
}

static redisReply *cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r)
        fail_msg("connection error: %s", c->errstr);
    return r;
}

static void expect_status(redisContext *c, const char *want, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r)
        fail_msg("connection error: %s", c->errstr);
    if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, want) != 0)
        fail_msg("'%s': expected +%s, got type %d '%s'", fmt, want, r->type, r->str ? r->str : "");
    freeReplyObject(r);
}

static char *info_str(redisContext *c, const char *section, const char *field)
{
    redisReply *r = cmd(c, "INFO %s", section);
    char key[128], *out = NULL;
    snprintf(key, sizeof(key), "\n%s:", field);
    char *p = r->str ? strstr(r->str, key) : NULL;
    if (p) {
        p += strlen(key);
        out = strndup(p, strcspn(p, "\r\n"));
    }
    freeReplyObject(r);
    return out;
}

static long long info_ll(redisContext *c, const char *section, const char *field)
{
    char *s = info_str(c, section, field);
    long long v = s ? atoll(s) : -1;
    free(s);
    return v;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A plain connection whose replies are read with a deadline. */
typedef struct raw {
    int fd;
    char buf[4096];
    size_t len;
} raw;

static void raw_open(raw *r, int port)
{
    memset(r, 0, sizeof(*r));
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* The kernel completes the handshake even while the server is stopped. */
    if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        fail_msg("cannot connect to port %d", port);
}

static void raw_close(raw *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

static void raw_send(raw *r, const char *s)
{
    size_t n = strlen(s);
    if (write(r->fd, s, n) != (ssize_t)n)
        fail_msg("short write");
}

/* Read until the buffer holds `want` or timeout_ms passes; 1 if it does. */
static int raw_wait_for(raw *r, const char *want, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        r->buf[r->len] = '\0';
        if (strstr(r->buf, want))
            return 1;
        long long left = deadline - now_ms();
        if (left <= 0 || r->len + 1 >= sizeof(r->buf))
            return 0;
        struct pollfd p = {r->fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        ssize_t n = read(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
        if (n <= 0)
            return 0;
        r->len += (size_t)n;
    }
}

/* 1 if no byte arrives within ms (the command is held). */
static int raw_silent(raw *r, int ms)
{
    struct pollfd p = {r->fd, POLLIN, 0};
    return r->len == 0 && poll(&p, 1, ms) == 0;
}

static int log_has(harness_server *s, const char *text)
{
    char *log = harness_read_log(s);
    int found = log && strstr(log, text) != NULL;
    free(log);
    return found;
}

/* ------------------------------------------------------------- the pause */

static void test_pause_write_holds_set_not_get(void **state)
{
    (void)state;
    harness_server *s = start("");
    redisContext *c = harness_connect(s);
    expect_status(c, "OK", "SET k old");
    expect_status(c, "OK", "CLIENT PAUSE 10000 WRITE");
    raw w;
    raw_open(&w, s->port);
    raw_send(&w, "SET k new\r\n");
    assert_true(raw_silent(&w, 300));
    /* Reads go on, and see the old value. */
    redisReply *r = cmd(c, "GET k");
    assert_string_equal(r->str, "old");
    freeReplyObject(r);
    assert_int_equal(info_ll(c, "clients", "blocked_clients"), 1);
    r = cmd(c, "CLIENT LIST");
    char *line = strstr(r->str, "flags=b db=0");
    assert_non_null(line);
    assert_non_null(strstr(line, "cmd=set"));
    while (line > r->str && line[-1] != '\n')
        line--;
    long long held_id = atoll(line + 3); /* "id=N ..." */
    freeReplyObject(r);
    /* A held client is not CLIENT UNBLOCKed (Redis: 0). */
    r = cmd(c, "CLIENT UNBLOCK %lld ERROR", held_id);
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    assert_true(raw_silent(&w, 100));
    expect_status(c, "OK", "CLIENT UNPAUSE");
    assert_true(raw_wait_for(&w, "+OK\r\n", 2000));
    r = cmd(c, "GET k");
    assert_string_equal(r->str, "new");
    freeReplyObject(r);
    assert_int_equal(info_ll(c, "clients", "blocked_clients"), 0);
    raw_close(&w);
    redisFree(c);
}

static void test_unpause_releases_in_order(void **state)
{
    (void)state;
    harness_server *s = start("");
    redisContext *c = harness_connect(s);
    expect_status(c, "OK", "CLIENT PAUSE 10000 WRITE");
    raw w[3];
    for (int i = 0; i < 3; i++) {
        raw_open(&w[i], s->port);
        char req[64];
        /* The second client pipelines a read and a second write behind its first. */
        if (i == 1)
            snprintf(req, sizeof(req), "RPUSH seq %d\r\nLLEN seq\r\nRPUSH seq 1b\r\n", i);
        else
            snprintf(req, sizeof(req), "RPUSH seq %d\r\n", i);
        raw_send(&w[i], req);
        harness_sleep_ms(50); /* held in this order */
    }
    for (int i = 0; i < 3; i++)
        assert_true(raw_silent(&w[i], 100));
    expect_status(c, "OK", "CLIENT UNPAUSE");
    assert_true(raw_wait_for(&w[0], ":1\r\n", 2000));
    assert_true(raw_wait_for(&w[1], ":2\r\n:2\r\n:3\r\n", 2000));
    assert_true(raw_wait_for(&w[2], ":4\r\n", 2000));
    redisReply *r = cmd(c, "LRANGE seq 0 -1");
    assert_int_equal(r->elements, 4);
    assert_string_equal(r->element[0]->str, "0");
    assert_string_equal(r->element[1]->str, "1");
    assert_string_equal(r->element[2]->str, "1b");
    assert_string_equal(r->element[3]->str, "2");
    freeReplyObject(r);
    for (int i = 0; i < 3; i++)
        raw_close(&w[i]);
    redisFree(c);
}

static void test_pause_all_and_timeout(void **state)
{
    (void)state;
    harness_server *s = start("");
    redisContext *c = harness_connect(s);
    expect_status(c, "OK", "SET k v");
    raw g, bad;
    raw_open(&g, s->port);
    raw_open(&bad, s->port);
    long long t0 = now_ms();
    expect_status(c, "OK", "CLIENT PAUSE 700 ALL");
    raw_send(&g, "GET k\r\nPING\r\n");
    assert_true(raw_silent(&g, 250));
    /* Unknown commands and arity errors are answered at once, as Redis. */
    raw_send(&bad, "NOSUCHCMD\r\n");
    assert_true(raw_wait_for(&bad, "-ERR unknown command", 200));
    /* The pause ends by itself: the GET then runs, then the PING. */
    assert_true(raw_wait_for(&g, "$1\r\nv\r\n+PONG\r\n", 3000));
    long long waited = now_ms() - t0;
    assert_true(waited >= 600);
    /* A WRITE pause that times out releases the write. */
    raw w;
    raw_open(&w, s->port);
    t0 = now_ms();
    expect_status(c, "OK", "CLIENT PAUSE 500 WRITE");
    raw_send(&w, "SET k v2\r\n");
    assert_true(raw_silent(&w, 200));
    assert_true(raw_wait_for(&w, "+OK\r\n", 3000));
    assert_true(now_ms() - t0 >= 400);
    raw_close(&w);
    raw_close(&g);
    raw_close(&bad);
    redisFree(c);
}

static int offsets_equal(void *arg)
{
    redisContext **pr = arg;
    char *link = info_str(pr[1], "replication", "master_link_status");
    int up = link && !strcmp(link, "up");
    free(link);
    long long a = info_ll(pr[0], "replication", "master_repl_offset");
    long long b = info_ll(pr[1], "replication", "slave_repl_offset");
    return up && a > 0 && a == b;
}

/* With a replica attached the primary PINGs it every second; during a
 * pause it neither PINGs nor expires keys, so its offset stays still. */
static void test_offset_still_while_paused(void **state)
{
    (void)state;
    harness_server *p = start("--repl-ping-replica-period 1 --save");
    char args[256];
    snprintf(args, sizeof(args), "--replicaof 127.0.0.1 %d --save", p->port);
    harness_server *r = start(args);
    redisContext *pc = harness_connect(p), *rc = harness_connect(r);
    expect_status(pc, "OK", "SET k v");
    redisContext *both[2] = {pc, rc};
    assert_true(harness_wait_until(offsets_equal, both, SYNC_MS));
    /* A key that expires during the pause is hidden, not deleted. */
    expect_status(pc, "OK", "SET shortlived v PX 800");
    expect_status(pc, "OK", "CLIENT PAUSE 10000 WRITE");
    long long before = info_ll(pc, "replication", "master_repl_offset");
    harness_sleep_ms(1500);
    redisReply *x = cmd(pc, "GET shortlived");
    assert_int_equal(x->type, REDIS_REPLY_NIL);
    freeReplyObject(x);
    x = cmd(pc, "DBSIZE");
    assert_int_equal(x->integer, 2); /* still there */
    freeReplyObject(x);
    assert_int_equal(info_ll(pc, "replication", "master_repl_offset"), before);
    expect_status(pc, "OK", "CLIENT UNPAUSE");
    /* Once unpaused the key is deleted and the PINGs flow again. */
    x = cmd(pc, "GET shortlived");
    assert_int_equal(x->type, REDIS_REPLY_NIL);
    freeReplyObject(x);
    harness_sleep_ms(1500);
    assert_true(info_ll(pc, "replication", "master_repl_offset") > before);
    assert_true(harness_wait_until(offsets_equal, both, SYNC_MS));
    x = cmd(rc, "DBSIZE");
    assert_int_equal(x->integer, 1);
    freeReplyObject(x);
    redisFree(pc);
    redisFree(rc);
}

/* -------------------------------------------------------------- the fence */

/* A sentinel's hello, then the server stopped for 800 ms while a client
 * sends `req`. */
static void stall_with(harness_server *s, redisContext *c, raw *w, const char *req, int hello)
{
    if (hello) {
        redisReply *r = cmd(c, "PUBLISH __sentinel__:hello 127.0.0.1,26379,abc,0,mymaster");
        freeReplyObject(r);
    }
    kill(s->pid, SIGSTOP);
    raw_open(w, s->port);
    raw_send(w, req);
    harness_sleep_ms(800);
    kill(s->pid, SIGCONT);
}

static void test_fence_unpause(void **state)
{
    (void)state;
    harness_server *s = start("");
    redisContext *c = harness_connect(s);
    redisReply *r = cmd(c, "CONFIG GET stall-fence-*");
    assert_int_equal(r->elements, 4);
    freeReplyObject(r);
    assert_int_equal(info_ll(c, "replication", "write_fenced"), 0);
    raw w, wt;
    stall_with(s, c, &w, "SET fenced 1\r\n", 1);
    assert_true(raw_silent(&w, 400));
    assert_int_equal(info_ll(c, "replication", "write_fenced"), 1);
    assert_true(log_has(s, "The server was stalled for"));
    assert_true(log_has(s, "writes are paused until a sentinel confirms this server is still the "
                           "primary (stall-fence-timeout 10000 ms)"));
    /* Reads go on; writes and a WAIT that would wait are held. */
    r = cmd(c, "GET fenced");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    raw_open(&wt, s->port);
    raw_send(&wt, "WAIT 1 100\r\n");
    assert_true(raw_silent(&wt, 400));
    /* A sentinel's PUBLISH is not held: its link must keep flowing. */
    r = cmd(c, "PUBLISH __sentinel__:hello x");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    freeReplyObject(r);
    expect_status(c, "OK", "CLIENT UNPAUSE");
    assert_true(raw_wait_for(&w, "+OK\r\n", 2000));
    assert_true(raw_wait_for(&wt, ":0\r\n", 2000));
    assert_int_equal(info_ll(c, "replication", "write_fenced"), 0);
    assert_true(log_has(s, "Write fence lifted"));
    r = cmd(c, "GET fenced");
    assert_string_equal(r->str, "1");
    freeReplyObject(r);
    raw_close(&w);
    raw_close(&wt);
    redisFree(c);
}

static void test_fence_replicaof_readonly(void **state)
{
    (void)state;
    harness_server *s = start("");
    harness_server *other = start("");
    redisContext *c = harness_connect(s);
    raw w;
    stall_with(s, c, &w, "SET fenced 1\r\n", 1);
    assert_true(raw_silent(&w, 400));
    assert_int_equal(info_ll(c, "replication", "write_fenced"), 1);
    expect_status(c, "OK", "REPLICAOF 127.0.0.1 %d", other->port);
    assert_true(
        raw_wait_for(&w, "-READONLY You can't write against a read only replica.\r\n", 2000));
    assert_int_equal(info_ll(c, "replication", "write_fenced"), 0);
    assert_true(log_has(s, "this server is now a replica"));
    expect_status(c, "OK", "REPLICAOF NO ONE");
    raw_close(&w);
    redisFree(c);
}

static void test_fence_timeout(void **state)
{
    (void)state;
    harness_server *s = start("--stall-fence-timeout 1000");
    redisContext *c = harness_connect(s);
    raw w;
    stall_with(s, c, &w, "SET fenced 1\r\n", 1);
    long long t0 = now_ms();
    assert_true(raw_silent(&w, 400));
    assert_int_equal(info_ll(c, "replication", "write_fenced"), 1);
    assert_true(raw_wait_for(&w, "+OK\r\n", 4000));
    long long waited = now_ms() - t0;
    assert_true(waited >= 700 && waited < 4000);
    assert_int_equal(info_ll(c, "replication", "write_fenced"), 0);
    assert_true(log_has(s, "stall-fence-timeout (1000 ms) passed"));
    raw_close(&w);
    redisFree(c);
}

static void test_no_fence_without_sentinel(void **state)
{
    (void)state;
    harness_server *s = start("");
    redisContext *c = harness_connect(s);
    raw w;
    /* No hello: nobody could have failed over, so nothing is fenced. */
    stall_with(s, c, &w, "SET free 1\r\n", 0);
    assert_true(raw_wait_for(&w, "+OK\r\n", 1000));
    assert_int_equal(info_ll(c, "replication", "write_fenced"), 0);
    raw_close(&w);
    /* A hello on another channel does not count either; 0 disables. */
    redisReply *r = cmd(c, "PUBLISH __sentinel__:other x");
    freeReplyObject(r);
    stall_with(s, c, &w, "SET free 2\r\n", 0);
    assert_true(raw_wait_for(&w, "+OK\r\n", 1000));
    raw_close(&w);
    expect_status(c, "OK", "CONFIG SET stall-fence-threshold 0");
    stall_with(s, c, &w, "SET free 3\r\n", 1);
    assert_true(raw_wait_for(&w, "+OK\r\n", 1000));
    assert_int_equal(info_ll(c, "replication", "write_fenced"), 0);
    assert_false(log_has(s, "The server was stalled"));
    raw_close(&w);
    redisFree(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_pause_write_holds_set_not_get, teardown_servers),
        cmocka_unit_test_teardown(test_unpause_releases_in_order, teardown_servers),
        cmocka_unit_test_teardown(test_pause_all_and_timeout, teardown_servers),
        cmocka_unit_test_teardown(test_offset_still_while_paused, teardown_servers),
        cmocka_unit_test_teardown(test_fence_unpause, teardown_servers),
        cmocka_unit_test_teardown(test_fence_replicaof_readonly, teardown_servers),
        cmocka_unit_test_teardown(test_fence_timeout, teardown_servers),
        cmocka_unit_test_teardown(test_no_fence_without_sentinel, teardown_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
