/* test_list: integration tests of the list commands (t_list.c) against a
 * real keel-server: pushes and pops at both ends (with COUNT and its nil and
 * empty-array rules), LINSERT, LINDEX, LSET, LRANGE, LTRIM, LREM, LPOS with
 * RANK/COUNT/MAXLEN, LMOVE/RPOPLPUSH, LMPOP, big and binary values, node
 * sizes from list-max-listpack-size, COPY of a list, and the blocking
 * commands: hand-off from a pusher to a waiting client, FIFO order among
 * waiters, timeouts, BLMOVE chains, BLMPOP, MULTI, a waiter that
 * disconnects, and a waited key that becomes another type.  Every assertion checks the exact reply
 * type and value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "harness.h"

static harness_server srv;
static redisContext *ctx;

/* ---------------------------------------------------------------- helpers */

static redisReply *cmd(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(ctx, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    return r;
}

static redisReply *cmd_on(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    return r;
}

static void expect_int(redisReply *r, long long v)
{
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, v);
    freeReplyObject(r);
}

static void expect_status(redisReply *r, const char *s)
{
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

static void expect_ok(redisReply *r)
{
    expect_status(r, "OK");
}

static void expect_error(redisReply *r, const char *s)
{
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

static void expect_bin(redisReply *r, const void *p, size_t len)
{
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, len);
    assert_memory_equal(r->str, p, len);
    freeReplyObject(r);
}

static void expect_str(redisReply *r, const char *s)
{
    expect_bin(r, s, strlen(s));
}

static void expect_nil(redisReply *r)
{
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
}

/* An array of bulk strings equal to the NULL-terminated list. */
static void expect_strs(redisReply *r, ...)
{
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    va_list ap;
    va_start(ap, r);
    size_t i = 0;
    for (const char *s; (s = va_arg(ap, const char *));) {
        assert_true(i < r->elements);
        assert_int_equal(r->element[i]->type, REDIS_REPLY_STRING);
        assert_string_equal(r->element[i]->str, s);
        i++;
    }
    va_end(ap);
    assert_int_equal(r->elements, i);
    freeReplyObject(r);
}

/* An array of integers equal to ints[0..n). */
static void expect_ints(redisReply *r, const long long *ints, size_t n)
{
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r->element[i]->type, REDIS_REPLY_INTEGER);
        assert_int_equal(r->element[i]->integer, ints[i]);
    }
    freeReplyObject(r);
}

/* LMPOP/BLMPOP's [key, [elements...]] */
static void expect_key_elems(redisReply *r, const char *key, ...)
{
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, key);
    redisReply *a = r->element[1];
    assert_int_equal(a->type, REDIS_REPLY_ARRAY);
    va_list ap;
    va_start(ap, key);
    size_t i = 0;
    for (const char *s; (s = va_arg(ap, const char *));) {
        assert_true(i < a->elements);
        assert_string_equal(a->element[i]->str, s);
        i++;
    }
    va_end(ap);
    assert_int_equal(a->elements, i);
    freeReplyObject(r);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static redisContext *connect_short_timeout(void)
{
    redisContext *c = harness_connect(&srv);
    assert_non_null(c);
    struct timeval tv = {3, 0};
    redisSetTimeout(c, tv);
    return c;
}

/* Send a command without reading its reply (a client that will block). */
static void send_only(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    assert_int_equal(redisvAppendCommand(c, fmt, ap), REDIS_OK);
    va_end(ap);
    int done = 0;
    while (!done)
        assert_int_equal(redisBufferWrite(c, &done), REDIS_OK);
}

static redisReply *read_reply(redisContext *c)
{
    void *r = NULL;
    if (redisGetReply(c, &r) != REDIS_OK)
        fail_msg("no reply: %s", c->errstr);
    assert_non_null(r);
    return r;
}

/* Wait until the server lists n blocked clients (INFO clients). */
static void wait_blocked(int n)
{
    char want[64];
    snprintf(want, sizeof(want), "blocked_clients:%d\r", n);
    for (int i = 0; i < 200; i++) {
        redisReply *r = cmd("INFO clients");
        int ok = r->type == REDIS_REPLY_STRING && strstr(r->str, want) != NULL;
        freeReplyObject(r);
        if (ok)
            return;
        sleep_ms(10);
    }
    fail_msg("never saw %d blocked clients", n);
}

/* ------------------------------------------------------------ fixtures */

static int group_setup(void **state)
{
    (void)state;
    if (harness_start_server(&srv, NULL) != 0)
        return -1;
    ctx = harness_connect(&srv);
    return ctx ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    if (ctx)
        redisFree(ctx);
    harness_stop_server(&srv);
    return 0;
}

static int test_setup(void **state)
{
    (void)state;
    redisReply *r = redisCommand(ctx, "FLUSHALL");
    if (!r)
        return -1;
    freeReplyObject(r);
    r = redisCommand(ctx, "CONFIG SET list-max-listpack-size -2");
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

/* ---------------------------------------------------------------- tests */

static void test_push_pop(void **state)
{
    (void)state;
    expect_int(cmd("LPUSH l b a"), 2); /* a b */
    expect_int(cmd("RPUSH l c d"), 4);
    expect_strs(cmd("LRANGE l 0 -1"), "a", "b", "c", "d", NULL);
    expect_int(cmd("LLEN l"), 4);
    expect_status(cmd("TYPE l"), "list");
    expect_str(cmd("OBJECT ENCODING l"), "quicklist");
    expect_int(cmd("LPUSHX l z"), 5);
    expect_int(cmd("RPUSHX l y x"), 7);
    expect_int(cmd("LPUSHX nokey a"), 0);
    expect_int(cmd("RPUSHX nokey a"), 0);
    expect_int(cmd("EXISTS nokey"), 0);
    expect_str(cmd("LPOP l"), "z");
    expect_str(cmd("RPOP l"), "x");
    expect_strs(cmd("LPOP l 2"), "a", "b", NULL);
    expect_strs(cmd("RPOP l 2"), "y", "d", NULL);
    expect_strs(cmd("LPOP l 0"), NULL);
    expect_strs(cmd("RPOP l 100"), "c", NULL);
    expect_int(cmd("EXISTS l"), 0); /* emptied lists are deleted */
    expect_nil(cmd("LPOP l"));
    redisReply *r = cmd("LPOP l 1");
    assert_int_equal(r->type, REDIS_REPLY_NIL); /* RESP2 null array */
    freeReplyObject(r);
    r = cmd("RPOP l 0");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    expect_error(cmd("LPOP l -1"), "ERR value is out of range, must be positive");
    expect_error(cmd("LPOP l x"), "ERR value is out of range, must be positive");
    expect_error(cmd("LPOP l 1 2"), "ERR wrong number of arguments for 'lpop' command");
    expect_error(cmd("LPUSH l"), "ERR wrong number of arguments for 'lpush' command");
    /* Integers come back as text. */
    expect_int(cmd("RPUSH n 1 -5 9223372036854775807 007"), 4);
    expect_strs(cmd("LRANGE n 0 -1"), "1", "-5", "9223372036854775807", "007", NULL);
}

static void test_index_set_range_trim(void **state)
{
    (void)state;
    expect_int(cmd("RPUSH l a b c d e"), 5);
    expect_str(cmd("LINDEX l 0"), "a");
    expect_str(cmd("LINDEX l -1"), "e");
    expect_str(cmd("LINDEX l -5"), "a");
    expect_nil(cmd("LINDEX l 5"));
    expect_nil(cmd("LINDEX l -6"));
    expect_nil(cmd("LINDEX nokey 0"));
    expect_error(cmd("LINDEX l x"), "ERR value is not an integer or out of range");
    expect_ok(cmd("LSET l 1 B"));
    expect_ok(cmd("LSET l -1 E"));
    expect_error(cmd("LSET l 5 x"), "ERR index out of range");
    expect_error(cmd("LSET nokey 0 x"), "ERR no such key");
    expect_strs(cmd("LRANGE l 0 -1"), "a", "B", "c", "d", "E", NULL);
    expect_strs(cmd("LRANGE l -2 100"), "d", "E", NULL);
    expect_strs(cmd("LRANGE l -100 0"), "a", NULL);
    expect_strs(cmd("LRANGE l 3 1"), NULL);
    expect_strs(cmd("LRANGE l 5 10"), NULL);
    expect_strs(cmd("LRANGE nokey 0 -1"), NULL);
    expect_ok(cmd("LTRIM l 1 -2"));
    expect_strs(cmd("LRANGE l 0 -1"), "B", "c", "d", NULL);
    expect_ok(cmd("LTRIM l 0 100"));
    expect_int(cmd("LLEN l"), 3);
    expect_ok(cmd("LTRIM l 2 1"));
    expect_int(cmd("EXISTS l"), 0);
    expect_ok(cmd("LTRIM nokey 0 1"));
}

static void test_insert_rem_pos(void **state)
{
    (void)state;
    expect_int(cmd("RPUSH l a b a c a"), 5);
    expect_int(cmd("LINSERT l BEFORE a x"), 6);
    expect_int(cmd("LINSERT l after c y"), 7);
    expect_int(cmd("LINSERT l before nothere z"), -1);
    expect_int(cmd("LINSERT nokey before a z"), 0);
    expect_error(cmd("LINSERT l middle a z"), "ERR syntax error");
    expect_strs(cmd("LRANGE l 0 -1"), "x", "a", "b", "a", "c", "y", "a", NULL);
    expect_int(cmd("LPOS l a"), 1);
    expect_int(cmd("LPOS l a RANK 2"), 3);
    expect_int(cmd("LPOS l a RANK -1"), 6);
    expect_nil(cmd("LPOS l a RANK 4"));
    expect_nil(cmd("LPOS l nothere"));
    long long all[] = {1, 3, 6};
    expect_ints(cmd("LPOS l a COUNT 0"), all, 3);
    long long back[] = {6, 3};
    expect_ints(cmd("LPOS l a RANK -1 COUNT 2"), back, 2);
    expect_ints(cmd("LPOS l a COUNT 0 MAXLEN 3"), all, 1);
    expect_ints(cmd("LPOS nokey a COUNT 0"), NULL, 0);
    expect_nil(cmd("LPOS nokey a"));
    expect_error(cmd("LPOS l a RANK 0"),
                 "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second "
                 "... or use negative to start from the end of the list");
    expect_error(cmd("LPOS l a COUNT -1"), "ERR COUNT can't be negative");
    expect_error(cmd("LPOS l a MAXLEN -1"), "ERR MAXLEN can't be negative");
    expect_error(cmd("LPOS l a RANK"), "ERR syntax error");
    expect_int(cmd("LREM l 1 a"), 1);
    expect_int(cmd("LREM l -1 a"), 1);
    expect_strs(cmd("LRANGE l 0 -1"), "x", "b", "a", "c", "y", NULL);
    expect_int(cmd("RPUSH l a a"), 7);
    expect_int(cmd("LREM l 0 a"), 3);
    expect_int(cmd("LREM l 0 nothere"), 0);
    expect_int(cmd("LREM nokey 0 a"), 0);
    expect_int(cmd("LREM l 0 x"), 1);
    expect_int(cmd("LREM l 0 b"), 1);
    expect_int(cmd("LREM l 0 c"), 1);
    expect_int(cmd("LREM l 0 y"), 1);
    expect_int(cmd("EXISTS l"), 0);
}

static void test_move_and_mpop(void **state)
{
    (void)state;
    expect_int(cmd("RPUSH src a b c"), 3);
    expect_str(cmd("LMOVE src dst LEFT RIGHT"), "a");
    expect_str(cmd("LMOVE src dst RIGHT LEFT"), "c");
    expect_str(cmd("RPOPLPUSH src dst"), "b");
    expect_int(cmd("EXISTS src"), 0);
    expect_strs(cmd("LRANGE dst 0 -1"), "b", "c", "a", NULL);
    expect_str(cmd("RPOPLPUSH dst dst"), "a"); /* rotation */
    expect_strs(cmd("LRANGE dst 0 -1"), "a", "b", "c", NULL);
    expect_nil(cmd("LMOVE nokey dst LEFT LEFT"));
    expect_error(cmd("LMOVE dst x UP LEFT"), "ERR syntax error");
    expect_ok(cmd("SET s v"));
    expect_error(cmd("LMOVE dst s LEFT LEFT"),
                 "WRONGTYPE Operation against a key holding the wrong kind of value");
    expect_nil(cmd("LMOVE nokey s LEFT LEFT"));
    expect_int(cmd("RPUSH m2 x y z"), 3);
    expect_key_elems(cmd("LMPOP 2 nokey dst LEFT"), "dst", "a", NULL);
    expect_key_elems(cmd("LMPOP 2 nokey dst RIGHT COUNT 10"), "dst", "c", "b", NULL);
    expect_key_elems(cmd("LMPOP 3 dst nokey m2 LEFT COUNT 2"), "m2", "x", "y", NULL);
    redisReply *r = cmd("LMPOP 1 nokey LEFT");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    expect_error(cmd("LMPOP 0 m2 LEFT"), "ERR numkeys should be greater than 0");
    expect_error(cmd("LMPOP 1 m2 LEFT COUNT 0"), "ERR count should be greater than 0");
    expect_error(cmd("LMPOP 5 m2 LEFT"), "ERR syntax error");
    expect_error(cmd("LMPOP 1 s LEFT"),
                 "WRONGTYPE Operation against a key holding the wrong kind of value");
}

static void test_big_binary_and_node_sizes(void **state)
{
    (void)state;
    /* A 1 MB value with NUL and 0xff bytes, between small ones. */
    size_t n = 1 << 20;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)(i % 7 == 0 ? 0 : (i % 5 == 0 ? 0xff : 'a' + (char)(i % 26)));
    expect_int(cmd("RPUSH l small1"), 1);
    expect_int(cmd("RPUSH l %b", big, n), 2);
    expect_int(cmd("RPUSH l small2"), 3);
    expect_bin(cmd("LINDEX l 1"), big, n);
    expect_int(cmd("LINSERT l BEFORE %b mid", big, n), 4);
    expect_strs(cmd("LRANGE l 0 1"), "small1", "mid", NULL);
    expect_int(cmd("LPOS l %b", big, n), 2);
    expect_ok(cmd("LSET l 0 %b", big, n));
    expect_bin(cmd("LPOP l"), big, n);
    free(big);
    /* Tiny nodes: inserting in the middle splits and everything stays in order. */
    expect_ok(cmd("CONFIG SET list-max-listpack-size 2"));
    expect_int(cmd("DEL l"), 1);
    for (int i = 0; i < 20; i++)
        expect_int(cmd("RPUSH l %d", i * 10), i + 1);
    expect_int(cmd("LINSERT l AFTER 50 55"), 21);
    expect_int(cmd("LINSERT l BEFORE 50 45"), 22);
    expect_str(cmd("LINDEX l 5"), "45");
    expect_str(cmd("LINDEX l 6"), "50");
    expect_str(cmd("LINDEX l 7"), "55");
    expect_int(cmd("LREM l 0 55"), 1);
    expect_ok(cmd("LTRIM l 3 -3"));
    expect_strs(cmd("LRANGE l 0 3"), "30", "40", "45", "50", NULL);
    expect_ok(cmd("CONFIG SET list-compress-depth 1")); /* accepted, not compressed */
    expect_int(cmd("RPUSH c a b c"), 3);
    expect_strs(cmd("LRANGE c 0 -1"), "a", "b", "c", NULL);
    expect_ok(cmd("CONFIG SET list-compress-depth 0"));
}

static void test_copy(void **state)
{
    (void)state;
    expect_int(cmd("RPUSH l a b c"), 3);
    expect_int(cmd("COPY l l2"), 1);
    expect_str(cmd("LPOP l2"), "a");
    expect_strs(cmd("LRANGE l 0 -1"), "a", "b", "c", NULL);
    expect_strs(cmd("LRANGE l2 0 -1"), "b", "c", NULL);
}

static void test_wrongtype(void **state)
{
    (void)state;
    const char *wt = "WRONGTYPE Operation against a key holding the wrong kind of value";
    expect_ok(cmd("SET s v"));
    expect_error(cmd("LPUSH s a"), wt);
    expect_error(cmd("LRANGE s 0 -1"), wt);
    expect_error(cmd("LLEN s"), wt);
    expect_error(cmd("LPOP s"), wt);
    expect_error(cmd("LINDEX s 0"), wt);
    expect_error(cmd("BLPOP s 0"), wt);
    expect_error(cmd("BLMPOP 0 1 s LEFT"), wt);
    expect_str(cmd("GET s"), "v");
}

/* ------------------------------------------------------------ blocking */

static void test_blocking_immediate_and_errors(void **state)
{
    (void)state;
    expect_int(cmd("RPUSH l a b c"), 3);
    expect_strs(cmd("BLPOP nokey l 0"), "l", "a", NULL);
    expect_strs(cmd("BRPOP l 0"), "l", "c", NULL);
    expect_str(cmd("BLMOVE l d LEFT LEFT 0"), "b");
    expect_int(cmd("EXISTS l"), 0);
    expect_str(cmd("BRPOPLPUSH d l 0"), "b");
    expect_key_elems(cmd("BLMPOP 0 2 nokey l LEFT COUNT 5"), "l", "b", NULL);
    expect_error(cmd("BLPOP l x"), "ERR timeout is not a float or out of range");
    expect_error(cmd("BLPOP l -1"), "ERR timeout is negative");
    expect_error(cmd("BLMOVE l d UP LEFT 0"), "ERR syntax error");
    expect_error(cmd("BLMPOP 0 0 l LEFT"), "ERR numkeys should be greater than 0");
}

static void test_blocking_timeout(void **state)
{
    (void)state;
    long long t0 = mono_ms();
    redisReply *r = cmd("BLPOP nokey 0.1");
    long long dt = mono_ms() - t0;
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    assert_in_range(dt, 90, 1500);
    r = cmd("BLMOVE nokey d LEFT LEFT 0.05");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    r = cmd("BLMPOP 0.05 1 nokey LEFT");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
}

static void test_blocking_multi(void **state)
{
    (void)state;
    expect_ok(cmd("MULTI"));
    expect_status(cmd("BLPOP nokey 0"), "QUEUED");
    expect_status(cmd("BLMOVE nokey d LEFT LEFT 0"), "QUEUED");
    expect_status(cmd("RPUSH k v"), "QUEUED");
    expect_status(cmd("BLPOP k 0"), "QUEUED");
    long long t0 = mono_ms();
    redisReply *r = cmd("EXEC");
    assert_true(mono_ms() - t0 < 1000);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_NIL);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
    assert_int_equal(r->element[2]->integer, 1);
    assert_int_equal(r->element[3]->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[3]->element[1]->str, "v");
    freeReplyObject(r);
}

static void test_blocking_handoff(void **state)
{
    (void)state;
    redisContext *a = connect_short_timeout();
    send_only(a, "BLPOP q 5");
    wait_blocked(1);
    expect_int(cmd("LPUSH q hello"), 1);
    expect_strs(read_reply(a), "q", "hello", NULL);
    expect_int(cmd("EXISTS q"), 0); /* the waiter took it */
    wait_blocked(0);
    /* The connection works normally afterwards. */
    expect_status(cmd_on(a, "PING"), "PONG");
    redisFree(a);
}

static void test_blocking_fifo(void **state)
{
    (void)state;
    redisContext *c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = connect_short_timeout();
        send_only(c[i], "BRPOP f 5");
        wait_blocked(i + 1);
    }
    expect_int(cmd("RPUSH f one two three"), 3);
    /* First waiter first: each pops from the tail. */
    expect_strs(read_reply(c[0]), "f", "three", NULL);
    expect_strs(read_reply(c[1]), "f", "two", NULL);
    expect_strs(read_reply(c[2]), "f", "one", NULL);
    expect_int(cmd("EXISTS f"), 0);
    /* Fewer elements than waiters: the rest keep waiting. */
    for (int i = 0; i < 3; i++) {
        send_only(c[i], "BLPOP g 5");
        wait_blocked(i + 1); /* so that the order of arrival is known */
    }
    expect_int(cmd("RPUSH g x"), 1);
    expect_strs(read_reply(c[0]), "g", "x", NULL);
    wait_blocked(2);
    expect_int(cmd("RPUSH g y z"), 2);
    expect_strs(read_reply(c[1]), "g", "y", NULL);
    expect_strs(read_reply(c[2]), "g", "z", NULL);
    for (int i = 0; i < 3; i++)
        redisFree(c[i]);
}

static void test_blocking_blmove_chain(void **state)
{
    (void)state;
    redisContext *a = connect_short_timeout();
    redisContext *b = connect_short_timeout();
    redisContext *c = connect_short_timeout();
    send_only(a, "BLMOVE k1 k2 LEFT RIGHT 5");
    wait_blocked(1);
    send_only(b, "BRPOPLPUSH k2 k3 5");
    wait_blocked(2);
    send_only(c, "BLPOP k3 5");
    wait_blocked(3);
    expect_int(cmd("RPUSH k1 item"), 1);
    expect_str(read_reply(a), "item");
    expect_str(read_reply(b), "item");
    expect_strs(read_reply(c), "k3", "item", NULL);
    expect_int(cmd("EXISTS k1 k2 k3"), 0);
    /* BLMPOP waits too, and takes up to COUNT. */
    send_only(a, "BLMPOP 5 2 m1 m2 RIGHT COUNT 2");
    wait_blocked(1);
    expect_int(cmd("RPUSH m2 a b c"), 3);
    expect_key_elems(read_reply(a), "m2", "c", "b", NULL);
    expect_strs(cmd("LRANGE m2 0 -1"), "a", NULL);
    redisFree(a);
    redisFree(b);
    redisFree(c);
}

static void test_blocking_disconnect(void **state)
{
    (void)state;
    redisContext *a = connect_short_timeout();
    send_only(a, "BLPOP gone 5");
    wait_blocked(1);
    redisFree(a); /* the waiter leaves */
    wait_blocked(0);
    expect_int(cmd("RPUSH gone v"), 1);
    expect_strs(cmd("LRANGE gone 0 -1"), "v", NULL);
    /* A new waiter is served normally. */
    redisContext *b = connect_short_timeout();
    send_only(b, "BLPOP gone2 5");
    wait_blocked(1);
    expect_int(cmd("RPUSH gone2 w"), 1);
    expect_strs(read_reply(b), "gone2", "w", NULL);
    redisFree(b);
}

/* Redis 7.0: a list waiter is not woken by a sorted set at its key. */
static void test_blocking_other_type_keeps_waiting(void **state)
{
    (void)state;
    redisContext *a = connect_short_timeout();
    send_only(a, "BLPOP z 5");
    wait_blocked(1);
    expect_int(cmd("ZADD z 1 m"), 1);
    sleep_ms(100);
    wait_blocked(1); /* still waiting */
    expect_int(cmd("DEL z"), 1);
    expect_int(cmd("RPUSH z v"), 1);
    expect_strs(read_reply(a), "z", "v", NULL);
    redisFree(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_push_pop, test_setup),
        cmocka_unit_test_setup(test_index_set_range_trim, test_setup),
        cmocka_unit_test_setup(test_insert_rem_pos, test_setup),
        cmocka_unit_test_setup(test_move_and_mpop, test_setup),
        cmocka_unit_test_setup(test_big_binary_and_node_sizes, test_setup),
        cmocka_unit_test_setup(test_wrongtype, test_setup),
        cmocka_unit_test_setup(test_blocking_immediate_and_errors, test_setup),
        cmocka_unit_test_setup(test_blocking_timeout, test_setup),
        cmocka_unit_test_setup(test_blocking_multi, test_setup),
        cmocka_unit_test_setup(test_blocking_handoff, test_setup),
        cmocka_unit_test_setup(test_blocking_fifo, test_setup),
        cmocka_unit_test_setup(test_blocking_blmove_chain, test_setup),
        cmocka_unit_test_setup(test_blocking_disconnect, test_setup),
        cmocka_unit_test_setup(test_blocking_other_type_keeps_waiting, test_setup),
        cmocka_unit_test_setup(test_copy, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
