/* test_multi: integration tests of transactions (multi.c) and lazy freeing
 * (lazyfree.c) against a real keel-server, asserting Redis 7.0's replies:
 * MULTI/EXEC/DISCARD replies and errors (QUEUED, EXECABORT, nested MULTI,
 * WATCH inside MULTI, errors inline in EXEC), WATCH invalidation by other
 * clients' writes, deletes, expiry (lazy and active), FLUSHDB, FLUSHALL and
 * SWAPDB, the Redis 7.0 rule for keys already expired when WATCHed, UNWATCH,
 * RESET, SELECT and pipelining inside a transaction, CLIENT LIST flags, and
 * lazyfree: INFO fields, FLUSHALL ASYNC / UNLINK, and the server staying
 * responsive while a big value is freed.  Parts that need data types other
 * than strings (SADD, BLPOP, ...) run only if the command exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "harness.h"

static harness_server srv;
static redisContext *A, *B; /* two clients: the watcher and "another client" */

/* ---------------------------------------------------------------- helpers */

static redisReply *cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r)
        fprintf(stderr, "connection error: %s\n", c->errstr);
    assert_non_null(r);
    return r;
}

static void expect_status(redisReply *r, const char *s)
{
    if (r->type != REDIS_REPLY_STATUS)
        fprintf(stderr, "want status %s, got type %d (%s)\n", s, r->type, r->str ? r->str : "");
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

static void expect_error(redisReply *r, const char *s)
{
    if (r->type != REDIS_REPLY_ERROR)
        fprintf(stderr, "want error %s, got type %d (%s)\n", s, r->type, r->str ? r->str : "");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

static void expect_int(redisReply *r, long long v)
{
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, v);
    freeReplyObject(r);
}

static void expect_str(redisReply *r, const char *s)
{
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, strlen(s));
    assert_memory_equal(r->str, s, r->len);
    freeReplyObject(r);
}

/* hiredis reports both $-1 and *-1 as NIL; the byte-level difference is
 * checked by tests/compat/test_diff_multi.py. */
static void expect_nil(redisReply *r)
{
    if (r->type != REDIS_REPLY_NIL)
        fprintf(stderr, "want nil, got type %d\n", r->type);
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
}

static void el_status(redisReply *r, size_t i, const char *s)
{
    assert_true(i < r->elements);
    assert_int_equal(r->element[i]->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->element[i]->str, s);
}

static void el_error(redisReply *r, size_t i, const char *s)
{
    assert_true(i < r->elements);
    assert_int_equal(r->element[i]->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->element[i]->str, s);
}

static void el_int(redisReply *r, size_t i, long long v)
{
    assert_true(i < r->elements);
    assert_int_equal(r->element[i]->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->element[i]->integer, v);
}

static void el_str(redisReply *r, size_t i, const char *s)
{
    assert_true(i < r->elements);
    assert_int_equal(r->element[i]->type, REDIS_REPLY_STRING);
    assert_string_equal(r->element[i]->str, s);
}

static void expect_array_len(redisReply *r, size_t n)
{
    if (r->type != REDIS_REPLY_ARRAY)
        fprintf(stderr, "want array of %zu, got type %d (%s)\n", n, r->type, r->str ? r->str : "");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, n);
}

/* MULTI, PING, EXEC on c: the EXEC reply (an array [PONG] or nil). */
static redisReply *multi_ping_exec(redisContext *c)
{
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "PING"), "QUEUED");
    return cmd(c, "EXEC");
}

static void expect_exec_ran(redisContext *c)
{
    redisReply *r = multi_ping_exec(c);
    expect_array_len(r, 1);
    el_status(r, 0, "PONG");
    freeReplyObject(r);
}

static void expect_exec_aborted_by_watch(redisContext *c)
{
    expect_nil(multi_ping_exec(c));
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Does the server know this command (COMMAND INFO gives a non-nil entry)? */
static int command_exists(const char *name)
{
    redisReply *r = cmd(B, "COMMAND INFO %s", name);
    int ok = r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
             r->element[0]->type == REDIS_REPLY_ARRAY;
    freeReplyObject(r);
    return ok;
}

/* A numeric INFO field (section NULL: plain INFO), or -1 if it is missing
 * or not a plain number. */
static long long info_field(redisContext *c, const char *section, const char *field)
{
    redisReply *r = section ? cmd(c, "INFO %s", section) : cmd(c, "INFO");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    char pat[128];
    snprintf(pat, sizeof(pat), "\r\n%s:", field);
    long long v = -1;
    const char *p = strstr(r->str, pat);
    if (p) {
        p += strlen(pat);
        char *end;
        long long n = strtoll(p, &end, 10);
        if (end != p && (*end == '\r' || *end == '\0'))
            v = n;
    }
    freeReplyObject(r);
    return v;
}

static long long dbsize(redisContext *c)
{
    redisReply *r = cmd(c, "DBSIZE");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long n = r->integer;
    freeReplyObject(r);
    return n;
}

/* Send cmds[0..n) in one write (pipelined), then read n replies into out. */
static void pipeline(redisContext *c, const char *const *cmds, int n, redisReply **out)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(redisAppendCommand(c, cmds[i]), REDIS_OK);
    for (int i = 0; i < n; i++) {
        void *r = NULL;
        if (redisGetReply(c, &r) != REDIS_OK)
            fprintf(stderr, "connection error: %s\n", c->errstr);
        assert_non_null(r);
        out[i] = r;
    }
}

static void free_replies(redisReply **r, int n)
{
    for (int i = 0; i < n; i++)
        if (r[i])
            freeReplyObject(r[i]);
}

/* The "already expired at WATCH time" scenarios need a key that is
 * logically expired but still physically in the keyspace when WATCH runs.
 * With hz 1 the active cycle runs once a second, so: run prep (which sets
 * keys with PX 20), wait 60 ms, then send batch in one write.  batch must
 * contain DBSIZE right after the WATCH; if it says 0, the active cycle won
 * the race and the attempt is repeated (bounded).  Returns 1 with the
 * replies in out, 0 if no attempt managed it. */
#define MAX_BATCH 16
static int stale_batch(const char *const *prep, int nprep, const char *const *batch, int n,
                       int dbsize_at, redisReply **out)
{
    expect_status(cmd(A, "CONFIG SET hz 1"), "OK");
    for (int attempt = 0; attempt < 20; attempt++) {
        /* A key still watched from a failed attempt would keep its old state. */
        expect_status(cmd(A, "UNWATCH"), "OK");
        expect_status(cmd(A, "SELECT 0"), "OK");
        expect_status(cmd(A, "FLUSHALL"), "OK");
        for (int i = 0; i < nprep; i++) {
            assert_int_equal(redisAppendCommand(A, prep[i]), REDIS_OK);
            void *r = NULL;
            assert_int_equal(redisGetReply(A, &r), REDIS_OK);
            assert_non_null(r);
            redisReply *rr = r;
            assert_int_not_equal(rr->type, REDIS_REPLY_ERROR);
            freeReplyObject(rr);
        }
        harness_sleep_ms(60);
        pipeline(A, batch, n, out);
        if (out[dbsize_at]->type == REDIS_REPLY_INTEGER && out[dbsize_at]->integer >= 1) {
            freeReplyObject(cmd(A, "SELECT 0"));
            return 1;
        }
        free_replies(out, n);
    }
    fprintf(stderr, "could not WATCH a key while it was expired but not yet deleted\n");
    return 0;
}

/* ------------------------------------------------------------ fixtures */

static int group_setup(void **state)
{
    (void)state;
    return harness_start_server(&srv, NULL) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    harness_stop_server(&srv);
    return 0;
}

/* Fresh connections for every test: a failed assertion may leave a client
 * in MULTI or with replies pending. */
static int test_setup(void **state)
{
    (void)state;
    A = harness_connect(&srv);
    B = harness_connect(&srv);
    if (!A || !B)
        return -1;
    const char *init[] = {"CONFIG SET hz 10", "FLUSHALL"};
    for (size_t i = 0; i < 2; i++) {
        redisReply *r = redisCommand(A, init[i]);
        if (!r)
            return -1;
        freeReplyObject(r);
    }
    return 0;
}

static int test_teardown(void **state)
{
    (void)state;
    if (A)
        redisFree(A);
    if (B)
        redisFree(B);
    A = B = NULL;
    return 0;
}

/* ------------------------------------------------------ MULTI/EXEC replies */

static void test_exec_replies(void **state)
{
    (void)state;
    expect_status(cmd(A, "SET n 5"), "OK");
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "INCR n"), "QUEUED");
    expect_status(cmd(A, "GET n"), "QUEUED");
    expect_status(cmd(A, "GET missing"), "QUEUED");
    expect_status(cmd(A, "MGET n missing"), "QUEUED");
    expect_status(cmd(A, "SET s hello"), "QUEUED");
    expect_status(cmd(A, "EXISTS n s"), "QUEUED");
    /* Nothing ran yet: another client still sees the old value. */
    expect_str(cmd(B, "GET n"), "5");
    expect_nil(cmd(B, "GET s"));
    redisReply *r = cmd(A, "EXEC");
    expect_array_len(r, 6);
    el_int(r, 0, 6);
    el_str(r, 1, "6");
    assert_int_equal(r->element[2]->type, REDIS_REPLY_NIL);
    assert_int_equal(r->element[3]->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[3]->elements, 2);
    assert_string_equal(r->element[3]->element[0]->str, "6");
    assert_int_equal(r->element[3]->element[1]->type, REDIS_REPLY_NIL);
    el_status(r, 4, "OK");
    el_int(r, 5, 2);
    freeReplyObject(r);
    expect_str(cmd(B, "GET s"), "hello");
    /* The client is out of MULTI: commands run at once again. */
    expect_status(cmd(A, "PING"), "PONG");
}

static void test_exec_errors_inline(void **state)
{
    (void)state;
    expect_status(cmd(A, "SET s notanumber"), "OK");
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "INCR s"), "QUEUED");
    expect_status(cmd(A, "SET a 1"), "QUEUED");
    expect_status(cmd(A, "SET b 1 EX 0"), "QUEUED");
    expect_status(cmd(A, "SELECT 99"), "QUEUED");
    expect_status(cmd(A, "GET a"), "QUEUED");
    redisReply *r = cmd(A, "EXEC");
    expect_array_len(r, 5);
    el_error(r, 0, "ERR value is not an integer or out of range");
    el_status(r, 1, "OK");
    el_error(r, 2, "ERR invalid expire time in 'set' command");
    el_error(r, 3, "ERR DB index is out of range");
    el_str(r, 4, "1");
    freeReplyObject(r);
}

/* WRONGTYPE inside EXEC needs a value that is not a string. */
static void test_exec_wrongtype_inline(void **state)
{
    (void)state;
    const char *maker = NULL;
    if (command_exists("sadd"))
        maker = "SADD k member";
    else if (command_exists("rpush"))
        maker = "RPUSH k member";
    else if (command_exists("hset"))
        maker = "HSET k f v";
    else if (command_exists("zadd"))
        maker = "ZADD k 1 member";
    if (!maker) {
        printf("SKIP WRONGTYPE inside EXEC: no SADD/RPUSH/HSET/ZADD on this server yet\n");
        return;
    }
    expect_int(cmd(A, maker), 1);
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "SET a 1"), "QUEUED");
    expect_status(cmd(A, "GET k"), "QUEUED");
    expect_status(cmd(A, "INCR a"), "QUEUED");
    redisReply *r = cmd(A, "EXEC");
    expect_array_len(r, 3);
    el_status(r, 0, "OK");
    el_error(r, 1, "WRONGTYPE Operation against a key holding the wrong kind of value");
    el_int(r, 2, 2);
    freeReplyObject(r);
}

static void test_execabort_unknown_command(void **state)
{
    (void)state;
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "SET foo1 bar1"), "QUEUED");
    expect_error(cmd(A, "NOSUCHCMD a b"),
                 "ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' ");
    expect_status(cmd(A, "SET foo2 bar2"), "QUEUED");
    expect_error(cmd(A, "EXEC"), "EXECABORT Transaction discarded because of previous errors.");
    expect_int(cmd(A, "EXISTS foo1 foo2"), 0);
    /* The transaction is gone: PING runs at once, EXEC has no MULTI. */
    expect_status(cmd(A, "PING"), "PONG");
    expect_error(cmd(A, "EXEC"), "ERR EXEC without MULTI");

    expect_status(cmd(A, "MULTI"), "OK");
    expect_error(cmd(A, "CLIENT NOSUCHSUB"),
                 "ERR unknown subcommand 'NOSUCHSUB'. Try CLIENT HELP.");
    expect_status(cmd(A, "SET foo1 bar1"), "QUEUED");
    expect_error(cmd(A, "EXEC"), "EXECABORT Transaction discarded because of previous errors.");
    expect_int(cmd(A, "EXISTS foo1"), 0);
}

static void test_execabort_wrong_arity(void **state)
{
    (void)state;
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "SET a 1"), "QUEUED");
    expect_error(cmd(A, "GET"), "ERR wrong number of arguments for 'get' command");
    expect_error(cmd(A, "WATCH"), "ERR wrong number of arguments for 'watch' command");
    expect_error(cmd(A, "EXEC"), "EXECABORT Transaction discarded because of previous errors.");
    expect_int(cmd(A, "EXISTS a"), 0);

    /* MULTI and DISCARD with arguments inside MULTI also doom the EXEC. */
    expect_status(cmd(A, "MULTI"), "OK");
    expect_error(cmd(A, "MULTI x"), "ERR wrong number of arguments for 'multi' command");
    expect_error(cmd(A, "EXEC"), "EXECABORT Transaction discarded because of previous errors.");
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "SET a 1"), "QUEUED");
    expect_error(cmd(A, "DISCARD x"), "ERR wrong number of arguments for 'discard' command");
    expect_error(cmd(A, "EXEC"), "EXECABORT Transaction discarded because of previous errors.");
    expect_int(cmd(A, "EXISTS a"), 0);
}

/* Redis 7.0 rejects EXEC itself with EXECABORT (and discards the
 * transaction and the watched keys), inside MULTI or not. */
static void test_exec_with_arguments(void **state)
{
    (void)state;
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "SET a 1"), "QUEUED");
    expect_error(cmd(A, "EXEC x"), "EXECABORT Transaction discarded because of: wrong number of "
                                   "arguments for 'exec' command");
    expect_error(cmd(A, "EXEC"), "ERR EXEC without MULTI");
    expect_int(cmd(A, "EXISTS a"), 0);
    expect_error(cmd(A, "EXEC x"), "EXECABORT Transaction discarded because of: wrong number of "
                                   "arguments for 'exec' command");
    /* The discarded transaction also forgot its watched keys. */
    expect_status(cmd(A, "SET w 1"), "OK");
    expect_status(cmd(A, "WATCH w"), "OK");
    expect_status(cmd(A, "MULTI"), "OK");
    expect_error(cmd(A, "EXEC x"), "EXECABORT Transaction discarded because of: wrong number of "
                                   "arguments for 'exec' command");
    expect_status(cmd(B, "SET w 2"), "OK");
    expect_exec_ran(A);
}

static void test_nested_multi_and_watch_inside(void **state)
{
    (void)state;
    expect_status(cmd(A, "MULTI"), "OK");
    expect_error(cmd(A, "MULTI"), "ERR MULTI calls can not be nested");
    expect_error(cmd(A, "WATCH x"), "ERR WATCH inside MULTI is not allowed");
    expect_status(cmd(A, "SET a 1"), "QUEUED");
    expect_status(cmd(A, "UNWATCH"), "QUEUED");
    /* Neither error dooms the transaction. */
    redisReply *r = cmd(A, "EXEC");
    expect_array_len(r, 2);
    el_status(r, 0, "OK");
    el_status(r, 1, "OK");
    freeReplyObject(r);
    expect_str(cmd(A, "GET a"), "1");
}

static void test_exec_discard_without_multi(void **state)
{
    (void)state;
    expect_error(cmd(A, "EXEC"), "ERR EXEC without MULTI");
    expect_error(cmd(A, "DISCARD"), "ERR DISCARD without MULTI");
    expect_error(cmd(A, "MULTI x"), "ERR wrong number of arguments for 'multi' command");
    expect_error(cmd(A, "DISCARD x"), "ERR wrong number of arguments for 'discard' command");
    expect_error(cmd(A, "UNWATCH x"), "ERR wrong number of arguments for 'unwatch' command");
    expect_error(cmd(A, "WATCH"), "ERR wrong number of arguments for 'watch' command");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_error(cmd(A, "DISCARD"), "ERR DISCARD without MULTI");
    expect_status(cmd(A, "PING"), "PONG");
}

static void test_empty_and_discard(void **state)
{
    (void)state;
    expect_status(cmd(A, "MULTI"), "OK");
    redisReply *r = cmd(A, "EXEC");
    expect_array_len(r, 0); /* *0, not a null array */
    freeReplyObject(r);
    expect_error(cmd(A, "EXEC"), "ERR EXEC without MULTI");

    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "SET a 1"), "QUEUED");
    expect_status(cmd(A, "DISCARD"), "OK");
    expect_nil(cmd(A, "GET a"));
    expect_error(cmd(A, "EXEC"), "ERR EXEC without MULTI");

    /* QUIT inside MULTI is not queued: it answers and closes. */
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "SET q 1"), "QUEUED");
    expect_status(cmd(A, "QUIT"), "OK");
    expect_nil(cmd(B, "GET q"));
}

/* SHUTDOWN is flagged no_multi: refused while queueing, dooming EXEC. */
static void test_no_multi_command(void **state)
{
    (void)state;
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "SET a 1"), "QUEUED");
    redisReply *r = cmd(A, "SHUTDOWN");
    if (r->type != REDIS_REPLY_ERROR) {
        /* Never EXEC a queued SHUTDOWN: it would stop the server. */
        freeReplyObject(cmd(A, "DISCARD"));
    }
    expect_error(r, "ERR Command not allowed inside a transaction");
    expect_error(cmd(A, "EXEC"), "EXECABORT Transaction discarded because of previous errors.");
    expect_int(cmd(A, "EXISTS a"), 0);
    expect_status(cmd(B, "PING"), "PONG");
}

static void test_select_inside_multi(void **state)
{
    (void)state;
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "SELECT 1"), "QUEUED");
    expect_status(cmd(A, "SET z 1"), "QUEUED");
    expect_status(cmd(A, "DBSIZE"), "QUEUED");
    redisReply *r = cmd(A, "EXEC");
    expect_array_len(r, 3);
    el_status(r, 0, "OK");
    el_status(r, 1, "OK");
    el_int(r, 2, 1);
    freeReplyObject(r);
    /* The SELECT stays in effect after EXEC. */
    expect_str(cmd(A, "GET z"), "1");
    expect_nil(cmd(B, "GET z"));
    expect_status(cmd(A, "SELECT 0"), "OK");
    expect_nil(cmd(A, "GET z"));
}

static void test_pipelined_transaction(void **state)
{
    (void)state;
    const char *cmds[] = {"MULTI", "SET p 1", "INCR p", "GET p", "EXEC", "PING"};
    redisReply *r[6];
    pipeline(A, cmds, 6, r);
    assert_int_equal(r[0]->type, REDIS_REPLY_STATUS);
    assert_string_equal(r[0]->str, "OK");
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(r[i]->type, REDIS_REPLY_STATUS);
        assert_string_equal(r[i]->str, "QUEUED");
    }
    expect_array_len(r[4], 3);
    el_status(r[4], 0, "OK");
    el_int(r[4], 1, 2);
    el_str(r[4], 2, "2");
    assert_int_equal(r[5]->type, REDIS_REPLY_STATUS);
    assert_string_equal(r[5]->str, "PONG");
    free_replies(r, 6);

    /* A long transaction in one write. */
    enum { N = 500 };
    const char *many[N + 2];
    many[0] = "MULTI";
    for (int i = 1; i <= N; i++)
        many[i] = "INCR counter";
    many[N + 1] = "EXEC";
    redisReply *rr[N + 2];
    pipeline(A, many, N + 2, rr);
    expect_array_len(rr[N + 1], N);
    for (int i = 0; i < N; i++)
        el_int(rr[N + 1], (size_t)i, i + 1);
    free_replies(rr, N + 2);
}

static void test_reset_ends_multi(void **state)
{
    (void)state;
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "SET x 2"), "OK"); /* A is dirty now */
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "SET y 1"), "QUEUED");
    expect_status(cmd(A, "RESET"), "RESET");
    expect_error(cmd(A, "EXEC"), "ERR EXEC without MULTI");
    expect_nil(cmd(A, "GET y"));
    /* RESET also unwatched x and cleared the dirty state. */
    expect_exec_ran(A);
}

/* Blocking commands inside MULTI never block: BLPOP on an empty list
 * answers a null array at once. */
static void test_blocking_inside_multi(void **state)
{
    (void)state;
    if (!command_exists("blpop")) {
        printf("SKIP BLPOP inside MULTI: no BLPOP on this server yet\n");
        return;
    }
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "BLPOP nolist 0"), "QUEUED");
    expect_status(cmd(A, "BLPOP nolist 5"), "QUEUED");
    long long t0 = now_ms();
    redisReply *r = cmd(A, "EXEC");
    long long took = now_ms() - t0;
    expect_array_len(r, 2);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_NIL);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    assert_true(took < 1000);
    if (command_exists("rpush")) {
        expect_int(cmd(A, "RPUSH l a"), 1);
        expect_status(cmd(A, "MULTI"), "OK");
        expect_status(cmd(A, "BLPOP l 0"), "QUEUED");
        expect_status(cmd(A, "BLPOP l 0"), "QUEUED");
        r = cmd(A, "EXEC");
        expect_array_len(r, 2);
        assert_int_equal(r->element[0]->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->element[0]->elements, 2);
        assert_string_equal(r->element[0]->element[0]->str, "l");
        assert_string_equal(r->element[0]->element[1]->str, "a");
        assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
        freeReplyObject(r);
    }
}

/* ----------------------------------------------------------- CLIENT LIST */

/* The CLIENT LIST line of the client named name, malloc'd (or NULL). */
static char *client_line(redisContext *c, const char *name)
{
    redisReply *r = cmd(c, "CLIENT LIST");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    char pat[80];
    snprintf(pat, sizeof(pat), " name=%s ", name);
    char *out = NULL;
    const char *p = strstr(r->str, pat);
    if (p) {
        const char *start = p;
        while (start > r->str && start[-1] != '\n')
            start--;
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        out = malloc(len + 1);
        assert_non_null(out);
        memcpy(out, start, len);
        out[len] = '\0';
    }
    freeReplyObject(r);
    return out;
}

/* The value of " field=" in a CLIENT LIST/INFO line, in buf. */
static const char *client_field(const char *line, const char *field, char *buf, size_t size)
{
    char pat[64];
    snprintf(pat, sizeof(pat), " %s=", field);
    const char *p = strstr(line, pat);
    assert_non_null(p);
    p += strlen(pat);
    size_t n = strcspn(p, " \n");
    if (n >= size)
        n = size - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

static void test_client_list_flag_x(void **state)
{
    (void)state;
    char v[64];
    expect_status(cmd(A, "CLIENT SETNAME txa"), "OK");
    char *line = client_line(B, "txa");
    assert_non_null(line);
    assert_string_equal(client_field(line, "flags", v, sizeof(v)), "N");
    free(line);
    expect_status(cmd(A, "MULTI"), "OK");
    line = client_line(B, "txa");
    assert_non_null(line);
    assert_string_equal(client_field(line, "flags", v, sizeof(v)), "x");
    free(line);
    expect_status(cmd(A, "SET q 1"), "QUEUED");
    line = client_line(B, "txa");
    assert_string_equal(client_field(line, "flags", v, sizeof(v)), "x");
    free(line);
    redisReply *r = cmd(A, "EXEC");
    expect_array_len(r, 1);
    freeReplyObject(r);
    line = client_line(B, "txa");
    assert_string_equal(client_field(line, "flags", v, sizeof(v)), "N");
    assert_string_equal(client_field(line, "multi", v, sizeof(v)), "-1");
    free(line);
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "DISCARD"), "OK");
    line = client_line(B, "txa");
    assert_string_equal(client_field(line, "flags", v, sizeof(v)), "N");
    free(line);
}

/* Redis shows the number of queued commands as multi=N, and the last
 * command received (queued or not) as cmd=. */
static void test_client_list_multi_count(void **state)
{
    (void)state;
    char v[64];
    expect_status(cmd(A, "CLIENT SETNAME txa"), "OK");
    expect_status(cmd(A, "MULTI"), "OK");
    char *line = client_line(B, "txa");
    assert_string_equal(client_field(line, "multi", v, sizeof(v)), "0");
    free(line);
    expect_status(cmd(A, "SET q 1"), "QUEUED");
    expect_status(cmd(A, "GET q"), "QUEUED");
    line = client_line(B, "txa");
    assert_string_equal(client_field(line, "flags", v, sizeof(v)), "x");
    assert_string_equal(client_field(line, "multi", v, sizeof(v)), "2");
    assert_string_equal(client_field(line, "cmd", v, sizeof(v)), "get");
    free(line);
    expect_status(cmd(A, "DISCARD"), "OK");
}

/* While EXEC runs, the client is still in MULTI: CLIENT INFO queued in the
 * transaction shows flags=x, multi=<queued count> and cmd=exec. */
static void test_client_info_inside_exec(void **state)
{
    (void)state;
    char v[64];
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "CLIENT INFO"), "QUEUED");
    redisReply *r = cmd(A, "EXEC");
    expect_array_len(r, 1);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_STRING);
    const char *line = r->element[0]->str;
    assert_string_equal(client_field(line, "flags", v, sizeof(v)), "x");
    assert_string_equal(client_field(line, "multi", v, sizeof(v)), "1");
    assert_string_equal(client_field(line, "cmd", v, sizeof(v)), "exec");
    freeReplyObject(r);
}

/* ------------------------------------------------------------------ WATCH */

static void test_watch_write_by_other_client(void **state)
{
    (void)state;
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "SET x 2"), "OK");
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "SET x 3"), "QUEUED");
    expect_nil(cmd(A, "EXEC"));
    expect_str(cmd(A, "GET x"), "2"); /* nothing of the transaction ran */

    /* A write between MULTI and EXEC counts as well. */
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "SET x 3"), "QUEUED");
    expect_int(cmd(B, "INCR x"), 3);
    expect_nil(cmd(A, "EXEC"));
    expect_str(cmd(A, "GET x"), "3");

    /* One of several watched keys is enough; the client's own write too. */
    expect_status(cmd(A, "WATCH a b x"), "OK");
    expect_status(cmd(A, "WATCH k"), "OK");
    expect_status(cmd(A, "SET k 1"), "OK");
    expect_exec_aborted_by_watch(A);

    /* Another client's transaction writing the key. */
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "MULTI"), "OK");
    expect_status(cmd(B, "SET x 9"), "QUEUED");
    redisReply *r = cmd(B, "EXEC");
    expect_array_len(r, 1);
    freeReplyObject(r);
    expect_exec_aborted_by_watch(A);
}

static void test_watch_untouched_and_reads(void **state)
{
    (void)state;
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x y z"), "OK");
    expect_str(cmd(B, "GET x"), "1");
    expect_int(cmd(B, "EXISTS x y"), 1);
    expect_status(cmd(B, "SET other 1"), "OK");
    expect_exec_ran(A);
}

static void test_watch_delete_same_value_create(void **state)
{
    (void)state;
    /* Deleted by another client. */
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_int(cmd(B, "DEL x"), 1);
    expect_exec_aborted_by_watch(A);

    /* Set to the very same value: still a write. */
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "SET x 1"), "OK");
    expect_exec_aborted_by_watch(A);

    /* A missing key that another client creates. */
    expect_int(cmd(A, "DEL x"), 1);
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "SET x 1"), "OK");
    expect_exec_aborted_by_watch(A);

    /* DEL of a missing key changes nothing. */
    expect_int(cmd(A, "DEL x"), 1);
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_int(cmd(B, "DEL x"), 0);
    expect_exec_ran(A);

    /* Writes that change nothing do not count either ... */
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_nil(cmd(B, "SET x 2 NX"));
    expect_int(cmd(B, "PERSIST x"), 0);
    expect_exec_ran(A);
    /* ... but a write that keeps the value does (APPEND of nothing). */
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_int(cmd(B, "APPEND x %s", ""), 1);
    expect_exec_aborted_by_watch(A);

    /* RENAME onto the watched key, and away from it. */
    expect_status(cmd(A, "SET y 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "RENAME y x"), "OK");
    expect_exec_aborted_by_watch(A);
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "RENAME x y"), "OK");
    expect_exec_aborted_by_watch(A);
}

static void test_watch_remembers_db(void **state)
{
    (void)state;
    expect_status(cmd(A, "SELECT 1"), "OK");
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "SET x 2"), "OK"); /* db 0: not the watched key */
    expect_exec_ran(A);

    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(A, "SELECT 0"), "OK");
    expect_status(cmd(B, "SELECT 1"), "OK");
    expect_status(cmd(B, "SET x 3"), "OK"); /* db 1: the watched key */
    expect_exec_aborted_by_watch(A);
}

/* A key with a TTL, WATCHed while alive, then left to expire. */
static void test_watch_key_expires(void **state)
{
    (void)state;
    /* PEXPIRE by another client after WATCH is a write. */
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_int(cmd(B, "PEXPIRE x 50"), 1);
    expect_exec_aborted_by_watch(A);

    /* Expired and touched: another client's GET deletes it (lazy expiry). */
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_int(cmd(A, "PEXPIRE x 50"), 1);
    expect_status(cmd(A, "WATCH x"), "OK");
    harness_sleep_ms(120);
    expect_nil(cmd(B, "GET x"));
    expect_exec_aborted_by_watch(A);

    /* Expired and untouched: the active cycle deletes it. */
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_int(cmd(A, "PEXPIRE x 50"), 1);
    expect_status(cmd(A, "WATCH x"), "OK");
    long long deadline = now_ms() + 3000;
    while (dbsize(B) != 0 && now_ms() < deadline)
        harness_sleep_ms(10);
    expect_int(cmd(B, "DBSIZE"), 0);
    expect_exec_aborted_by_watch(A);

    /* Expired but not deleted yet when EXEC runs (hz 1: the active cycle
     * is rare): EXEC still sees the change. */
    expect_status(cmd(A, "CONFIG SET hz 1"), "OK");
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_int(cmd(A, "PEXPIRE x 30"), 1);
    expect_status(cmd(A, "WATCH x"), "OK");
    harness_sleep_ms(80);
    const char *batch[] = {"MULTI", "PING", "EXEC"};
    redisReply *r[3];
    pipeline(A, batch, 3, r);
    assert_int_equal(r[2]->type, REDIS_REPLY_NIL);
    free_replies(r, 3);
}

static void test_watch_flushdb_flushall(void **state)
{
    (void)state;
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "FLUSHDB"), "OK");
    expect_exec_aborted_by_watch(A);

    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "FLUSHALL"), "OK");
    expect_exec_aborted_by_watch(A);

    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "FLUSHALL ASYNC"), "OK");
    expect_exec_aborted_by_watch(A);

    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "FLUSHDB SYNC"), "OK");
    expect_exec_aborted_by_watch(A);

    /* A watched key that does not exist is not touched by a flush. */
    expect_status(cmd(A, "SET other 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "FLUSHDB"), "OK");
    expect_exec_ran(A);
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "FLUSHALL"), "OK");
    expect_exec_ran(A);

    /* Flushing another database does not touch it. */
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "SELECT 1"), "OK");
    expect_status(cmd(B, "SET x 1"), "OK");
    expect_status(cmd(B, "FLUSHDB"), "OK");
    expect_exec_ran(A);
}

static void test_watch_swapdb(void **state)
{
    (void)state;
    /* The watched key exists in the swapped database. */
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "SWAPDB 0 1"), "OK");
    expect_exec_aborted_by_watch(A);
    expect_nil(cmd(A, "GET x"));

    /* Missing here, but present in the database swapped in. */
    expect_status(cmd(A, "WATCH x"), "OK"); /* db 1 now holds x */
    expect_status(cmd(B, "SWAPDB 1 0"), "OK");
    expect_exec_aborted_by_watch(A);
    expect_str(cmd(A, "GET x"), "1");

    /* Missing on both sides, or other databases swapped: no change. */
    expect_int(cmd(A, "DEL x"), 1);
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "SWAPDB 0 1"), "OK");
    expect_exec_ran(A);
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "SWAPDB 2 3"), "OK");
    expect_exec_ran(A);
}

static void test_unwatch_and_exec_unwatch(void **state)
{
    (void)state;
    /* UNWATCH clears a dirty state. */
    expect_status(cmd(A, "SET x 1"), "OK");
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "SET x 2"), "OK");
    expect_status(cmd(A, "UNWATCH"), "OK");
    expect_exec_ran(A);
    expect_status(cmd(A, "UNWATCH"), "OK"); /* nothing watched: fine */

    /* A failed EXEC unwatches everything: the next transaction runs. */
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "SET x 3"), "OK");
    expect_exec_aborted_by_watch(A);
    expect_status(cmd(B, "SET x 4"), "OK");
    expect_exec_ran(A);

    /* So does a successful one ... */
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_exec_ran(A);
    expect_status(cmd(B, "SET x 5"), "OK");
    expect_exec_ran(A);

    /* ... and DISCARD. */
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(A, "MULTI"), "OK");
    expect_status(cmd(A, "DISCARD"), "OK");
    expect_status(cmd(B, "SET x 6"), "OK");
    expect_exec_ran(A);

    /* And an EXECABORT. */
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(A, "MULTI"), "OK");
    expect_error(cmd(A, "GET"), "ERR wrong number of arguments for 'get' command");
    expect_error(cmd(A, "EXEC"), "EXECABORT Transaction discarded because of previous errors.");
    expect_status(cmd(B, "SET x 7"), "OK");
    expect_exec_ran(A);

    /* A dirty watch plus a queueing error: EXECABORT wins. */
    expect_status(cmd(A, "WATCH x"), "OK");
    expect_status(cmd(B, "SET x 8"), "OK");
    expect_status(cmd(A, "MULTI"), "OK");
    expect_error(cmd(A, "NOSUCHCMD"),
                 "ERR unknown command 'NOSUCHCMD', with args beginning with: ");
    expect_error(cmd(A, "EXEC"), "EXECABORT Transaction discarded because of previous errors.");
}

/* ------------------------------- keys already expired at WATCH (Redis 7.0) */

static const char *const prep_stale_x[] = {"SET x foo PX 20"};

/* Deleted by expiry afterwards (lazily by another client, or by the
 * active cycle): logically nothing changed, EXEC runs. */
static void test_watch_stale_key_deleted(void **state)
{
    (void)state;
    const char *batch[] = {"WATCH x", "DBSIZE"};
    redisReply *r[2];
    assert_true(stale_batch(prep_stale_x, 1, batch, 2, 1, r));
    free_replies(r, 2);
    expect_nil(cmd(B, "GET x")); /* lazy expiry deletes it */
    expect_int(cmd(B, "DBSIZE"), 0);
    expect_exec_ran(A);

    assert_true(stale_batch(prep_stale_x, 1, batch, 2, 1, r));
    free_replies(r, 2);
    long long deadline = now_ms() + 3000; /* hz 1: the active cycle, within ~1 s */
    while (dbsize(B) != 0 && now_ms() < deadline)
        harness_sleep_ms(10);
    expect_int(cmd(B, "DBSIZE"), 0);
    expect_exec_ran(A);

    /* Still there (not deleted yet) when EXEC runs. */
    const char *all[] = {"WATCH x", "DBSIZE", "MULTI", "PING", "EXEC"};
    redisReply *q[5];
    assert_true(stale_batch(prep_stale_x, 1, all, 5, 1, q));
    expect_array_len(q[4], 1);
    el_status(q[4], 0, "PONG");
    free_replies(q, 5);

    /* The watching client's own read deletes it. */
    const char *own[] = {"WATCH x", "DBSIZE", "EXISTS x", "MULTI", "PING", "EXEC"};
    redisReply *o[6];
    assert_true(stale_batch(prep_stale_x, 1, own, 6, 1, o));
    assert_int_equal(o[2]->integer, 0);
    expect_array_len(o[5], 1);
    free_replies(o, 6);
}

/* Written again after WATCH: a real change. */
static void test_watch_stale_key_rewritten(void **state)
{
    (void)state;
    const char *batch[] = {"WATCH x", "DBSIZE"};
    redisReply *r[2];
    assert_true(stale_batch(prep_stale_x, 1, batch, 2, 1, r));
    free_replies(r, 2);
    expect_status(cmd(B, "SET x bar"), "OK");
    expect_exec_aborted_by_watch(A);

    const char *own[] = {"WATCH x", "DBSIZE", "SET x bar", "MULTI", "PING", "EXEC"};
    redisReply *o[6];
    assert_true(stale_batch(prep_stale_x, 1, own, 6, 1, o));
    assert_int_equal(o[5]->type, REDIS_REPLY_NIL);
    free_replies(o, 6);
}

/* FLUSHDB / FLUSHALL remove a key that was already expired when WATCHed:
 * no logical change, EXEC runs. */
static void test_watch_stale_key_flushdb(void **state)
{
    (void)state;
    const char *batch[] = {"WATCH x", "DBSIZE", "FLUSHDB", "MULTI", "PING", "EXEC"};
    redisReply *r[6];
    assert_true(stale_batch(prep_stale_x, 1, batch, 6, 1, r));
    expect_array_len(r[5], 1);
    el_status(r[5], 0, "PONG");
    free_replies(r, 6);
}

static void test_watch_stale_key_flushall(void **state)
{
    (void)state;
    const char *batch[] = {"WATCH x", "DBSIZE", "FLUSHALL", "MULTI", "PING", "EXEC"};
    redisReply *r[6];
    assert_true(stale_batch(prep_stale_x, 1, batch, 6, 1, r));
    expect_array_len(r[5], 1);
    free_replies(r, 6);

    const char *async[] = {"WATCH x", "DBSIZE", "FLUSHALL ASYNC", "MULTI", "PING", "EXEC"};
    assert_true(stale_batch(prep_stale_x, 1, async, 6, 1, r));
    expect_array_len(r[5], 1);
    free_replies(r, 6);
}

/* SWAPDB with the rules of Redis 7.0's touchAllWatchedKeysInDb. */
static void test_watch_stale_key_swapdb(void **state)
{
    (void)state;
    redisReply *r[9];
    /* Stale key swapped away for nothing: no change. */
    const char *away[] = {"WATCH x", "DBSIZE", "SWAPDB 0 1", "MULTI", "PING", "EXEC"};
    assert_true(stale_batch(prep_stale_x, 1, away, 6, 1, r));
    expect_array_len(r[5], 1);
    free_replies(r, 6);

    /* Stale key replaced by a live one: a change. */
    const char *prep_live[] = {"SELECT 1", "SET x live", "SELECT 0", "SET x foo PX 20"};
    assert_true(stale_batch(prep_live, 4, away, 6, 1, r));
    assert_int_equal(r[5]->type, REDIS_REPLY_NIL);
    free_replies(r, 6);

    /* Stale key replaced by another stale one: no change. */
    const char *prep_both[] = {"SELECT 1", "SET x foo PX 20", "SELECT 0", "SET x foo PX 20"};
    const char *both[] = {"WATCH x",    "DBSIZE", "SELECT 1", "DBSIZE", "SELECT 0",
                          "SWAPDB 0 1", "MULTI",  "PING",     "EXEC"};
    int ok = 0;
    for (int i = 0; i < 5 && !ok; i++) {
        assert_true(stale_batch(prep_both, 4, both, 9, 1, r));
        ok = r[3]->integer == 1;
        if (ok) {
            expect_array_len(r[8], 1);
        }
        free_replies(r, 9);
    }
    assert_true(ok);
}

/* A missing watched key replaced (by SWAPDB) with an already expired one:
 * no logical change. */
static void test_watch_missing_key_swapped_with_stale(void **state)
{
    (void)state;
    const char *prep[] = {"SELECT 1", "SET x foo PX 20", "SELECT 0"};
    const char *batch[] = {"WATCH x",    "SELECT 1", "DBSIZE", "SELECT 0",
                           "SWAPDB 0 1", "MULTI",    "PING",   "EXEC"};
    redisReply *r[8];
    assert_true(stale_batch(prep, 3, batch, 8, 2, r));
    expect_array_len(r[7], 1);
    el_status(r[7], 0, "PONG");
    free_replies(r, 8);

    /* A live watched key replaced by a stale one: a change. */
    const char *prep2[] = {"SELECT 1", "SET x foo PX 20", "SELECT 0", "SET x live"};
    assert_true(stale_batch(prep2, 4, batch, 8, 2, r));
    assert_int_equal(r[7]->type, REDIS_REPLY_NIL);
    free_replies(r, 8);
}

/* --------------------------------------------------------------- lazyfree */

static void test_lazyfree_info_fields(void **state)
{
    (void)state;
    assert_true(info_field(A, "memory", "lazyfree_pending_objects") >= 0);
    assert_true(info_field(A, "memory", "lazyfreed_objects") >= 0);
    assert_true(info_field(A, NULL, "lazyfree_pending_objects") >= 0);
    assert_true(info_field(A, "all", "lazyfreed_objects") >= 0);
}

/* MSET count keys key:<from>..key:<from+count) in batches, pipelined. */
static void populate(redisContext *c, int from, int count)
{
    enum { BATCH = 1000 };
    const char **argv = malloc(sizeof(char *) * (1 + 2 * BATCH));
    size_t *lens = malloc(sizeof(size_t) * (1 + 2 * BATCH));
    char(*names)[24] = malloc(sizeof(*names) * BATCH);
    assert_non_null(argv);
    assert_non_null(lens);
    assert_non_null(names);
    int sent = 0;
    for (int i = 0; i < count; i += BATCH) {
        int n = count - i < BATCH ? count - i : BATCH;
        argv[0] = "MSET";
        lens[0] = 4;
        for (int j = 0; j < n; j++) {
            int len = snprintf(names[j], sizeof(names[j]), "key:%d", from + i + j);
            argv[1 + 2 * j] = names[j];
            lens[1 + 2 * j] = (size_t)len;
            argv[2 + 2 * j] = "v";
            lens[2 + 2 * j] = 1;
        }
        assert_int_equal(redisAppendCommandArgv(c, 1 + 2 * n, argv, lens), REDIS_OK);
        sent++;
    }
    for (int i = 0; i < sent; i++) {
        void *r = NULL;
        assert_int_equal(redisGetReply(c, &r), REDIS_OK);
        expect_status(r, "OK");
    }
    free(names);
    free(lens);
    free(argv);
}

static long long wait_lazyfree_idle(redisContext *c, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    long long pending;
    while ((pending = info_field(c, "memory", "lazyfree_pending_objects")) != 0 &&
           now_ms() < deadline)
        harness_sleep_ms(10);
    return pending;
}

static void test_flushall_async_and_unlink(void **state)
{
    (void)state;
    populate(A, 0, 5000);
    expect_status(cmd(A, "SELECT 1"), "OK");
    populate(A, 0, 3000);
    /* FLUSHALL ASYNC and DBSIZE in one write: empty at once. */
    const char *batch[] = {"FLUSHALL ASYNC", "DBSIZE", "SELECT 0", "DBSIZE", "EXISTS key:1"};
    redisReply *r[5];
    pipeline(A, batch, 5, r);
    assert_string_equal(r[0]->str, "OK");
    assert_int_equal(r[1]->integer, 0);
    assert_int_equal(r[3]->integer, 0);
    assert_int_equal(r[4]->integer, 0);
    free_replies(r, 5);
    expect_int(cmd(B, "DBSIZE"), 0);
    assert_int_equal(wait_lazyfree_idle(A, 10000), 0);

    /* FLUSHDB ASYNC too. */
    populate(A, 0, 2000);
    const char *fdb[] = {"FLUSHDB ASYNC", "DBSIZE"};
    pipeline(A, fdb, 2, r);
    assert_string_equal(r[0]->str, "OK");
    assert_int_equal(r[1]->integer, 0);
    free_replies(r, 2);

    /* UNLINK of many keys in one command. */
    enum { N = 2000 };
    populate(A, 0, N);
    const char **argv = malloc(sizeof(char *) * (N + 2));
    char(*names)[24] = malloc(sizeof(*names) * (N + 1));
    assert_non_null(argv);
    assert_non_null(names);
    argv[0] = "UNLINK";
    for (int i = 0; i <= N; i++) { /* key:N does not exist */
        snprintf(names[i], sizeof(names[i]), "key:%d", i);
        argv[i + 1] = names[i];
    }
    redisReply *u = redisCommandArgv(A, N + 2, argv, NULL);
    assert_non_null(u);
    expect_int(u, N);
    free(names);
    free(argv);
    expect_int(cmd(A, "DBSIZE"), 0);
    expect_int(cmd(A, "EXISTS key:0 key:1999"), 0);
    expect_int(cmd(A, "UNLINK key:0"), 0);
    expect_error(cmd(A, "UNLINK"), "ERR wrong number of arguments for 'unlink' command");
    expect_error(cmd(A, "FLUSHALL ASYNC x"), "ERR syntax error");
    expect_error(cmd(A, "FLUSHALL LAZY"), "ERR syntax error");
}

/* Redis 7.0 counts every key of a database flushed with ASYNC in
 * lazyfreed_objects (lazyfreeFreeDatabase adds dictSize). */
static void test_flushall_async_counts_keys(void **state)
{
    (void)state;
    assert_int_equal(wait_lazyfree_idle(A, 10000), 0);
    long long before = info_field(A, "memory", "lazyfreed_objects");
    assert_true(before >= 0);
    populate(A, 0, 1000);
    expect_status(cmd(A, "SELECT 1"), "OK");
    populate(A, 0, 500);
    expect_status(cmd(A, "FLUSHALL ASYNC"), "OK");
    assert_int_equal(wait_lazyfree_idle(A, 10000), 0);
    long long after = info_field(A, "memory", "lazyfreed_objects");
    assert_int_equal(after - before, 1500);

    /* An empty database adds nothing; small strings are freed at once. */
    expect_status(cmd(A, "FLUSHDB ASYNC"), "OK");
    expect_status(cmd(A, "SET s x"), "OK");
    expect_int(cmd(A, "UNLINK s"), 1);
    assert_int_equal(wait_lazyfree_idle(A, 10000), 0);
    assert_int_equal(info_field(A, "memory", "lazyfreed_objects"), after);
}

/* PING round trip while the background thread frees a big keyspace. */
static void test_responsive_while_flushing_big_keyspace(void **state)
{
    (void)state;
    enum { KEYS = 300000 };
    populate(A, 0, KEYS);
    expect_int(cmd(A, "DBSIZE"), KEYS);
    long long t0 = now_ms();
    expect_status(cmd(A, "FLUSHALL ASYNC"), "OK");
    long long t1 = now_ms();
    expect_status(cmd(B, "PING"), "PONG");
    long long t2 = now_ms();
    long long pending = info_field(B, "memory", "lazyfree_pending_objects");
    printf("FLUSHALL ASYNC of %d keys: reply in %lld ms, PING in %lld ms, pending %lld\n", KEYS,
           t1 - t0, t2 - t1, pending);
    assert_true(t2 - t1 < 100);
    assert_true(t1 - t0 < 500);
    expect_int(cmd(B, "DBSIZE"), 0);
    assert_int_equal(wait_lazyfree_idle(A, 20000), 0);
}

/* UNLINK of a set with a million members: freed in the background. */
static void test_unlink_big_set(void **state)
{
    (void)state;
    if (!command_exists("sadd")) {
        printf("SKIP UNLINK of a 1M-member set: no SADD on this server yet\n");
        return;
    }
    enum { MEMBERS = 1000000, BATCH = 1000 };
    const char **argv = malloc(sizeof(char *) * (2 + BATCH));
    char(*names)[16] = malloc(sizeof(*names) * BATCH);
    assert_non_null(argv);
    assert_non_null(names);
    int sent = 0;
    for (int i = 0; i < MEMBERS; i += BATCH) {
        argv[0] = "SADD";
        argv[1] = "bigset";
        for (int j = 0; j < BATCH; j++) {
            snprintf(names[j], sizeof(names[j]), "m%d", i + j);
            argv[2 + j] = names[j];
        }
        assert_int_equal(redisAppendCommandArgv(A, 2 + BATCH, argv, NULL), REDIS_OK);
        sent++;
        if (sent == 100 || i + BATCH >= MEMBERS) { /* read in chunks: bounded buffers */
            for (int k = 0; k < sent; k++) {
                void *r = NULL;
                assert_int_equal(redisGetReply(A, &r), REDIS_OK);
                expect_int(r, BATCH);
            }
            sent = 0;
        }
    }
    free(names);
    free(argv);
    expect_int(cmd(A, "SCARD bigset"), MEMBERS);
    assert_int_equal(wait_lazyfree_idle(A, 10000), 0);
    long long before = info_field(A, "memory", "lazyfreed_objects");

    long long t0 = now_ms();
    expect_int(cmd(A, "UNLINK bigset"), 1);
    long long t1 = now_ms();
    expect_status(cmd(B, "PING"), "PONG");
    long long t2 = now_ms();
    printf("UNLINK of a %d-member set: reply in %lld ms, PING in %lld ms\n", MEMBERS, t1 - t0,
           t2 - t1);
    assert_true(t2 - t1 < 100);
    expect_int(cmd(B, "EXISTS bigset"), 0);

    long long deadline = now_ms() + 20000, after = before;
    while ((after = info_field(A, "memory", "lazyfreed_objects")) < before + 1 &&
           now_ms() < deadline)
        harness_sleep_ms(20);
    assert_int_equal(after, before + 1);
    assert_int_equal(wait_lazyfree_idle(A, 10000), 0);

    /* A small set is freed at once, not counted. */
    expect_int(cmd(A, "SADD small a b c"), 3);
    expect_int(cmd(A, "UNLINK small"), 1);
    assert_int_equal(wait_lazyfree_idle(A, 10000), 0);
    assert_int_equal(info_field(A, "memory", "lazyfreed_objects"), after);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
    const struct CMUnitTest tests[] = {
        T(test_exec_replies),
        T(test_exec_errors_inline),
        T(test_exec_wrongtype_inline),
        T(test_execabort_unknown_command),
        T(test_execabort_wrong_arity),
        T(test_exec_with_arguments),
        T(test_nested_multi_and_watch_inside),
        T(test_exec_discard_without_multi),
        T(test_empty_and_discard),
        T(test_no_multi_command),
        T(test_select_inside_multi),
        T(test_pipelined_transaction),
        T(test_reset_ends_multi),
        T(test_blocking_inside_multi),
        T(test_client_list_flag_x),
        T(test_client_list_multi_count),
        T(test_client_info_inside_exec),
        T(test_watch_write_by_other_client),
        T(test_watch_untouched_and_reads),
        T(test_watch_delete_same_value_create),
        T(test_watch_remembers_db),
        T(test_watch_key_expires),
        T(test_watch_flushdb_flushall),
        T(test_watch_swapdb),
        T(test_unwatch_and_exec_unwatch),
        T(test_watch_stale_key_deleted),
        T(test_watch_stale_key_rewritten),
        T(test_watch_stale_key_flushdb),
        T(test_watch_stale_key_flushall),
        T(test_watch_stale_key_swapdb),
        T(test_watch_missing_key_swapped_with_stale),
        T(test_lazyfree_info_fields),
        T(test_flushall_async_and_unlink),
        T(test_flushall_async_counts_keys),
        T(test_responsive_while_flushing_big_keyspace),
        T(test_unlink_big_set),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
