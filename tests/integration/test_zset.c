/* test_zset: integration tests of the sorted set commands (t_zset*.c)
 * against a real keel-server, with exact replies: ZADD and its options and
 * errors, score formatting, every range form, pops (blocking ones served by
 * another client), set algebra with sets as inputs, the listpack ->
 * skiplist conversion at both thresholds, ZSCAN over a big set, and a
 * leaderboard (ZINCRBY, ZREVRANGE WITHSCORES, ZREVRANK) checked against a
 * model kept by the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static redisReply *cmdv(int argc, const char **argv)
{
    redisReply *r = redisCommandArgv(ctx, argc, argv, NULL);
    assert_non_null(r);
    return r;
}

static void expect_int(redisReply *r, long long v)
{
    if (r->type != REDIS_REPLY_INTEGER)
        fail_msg("expected :%lld, got type %d (%s)", v, r->type, r->str ? r->str : "");
    assert_int_equal(r->integer, v);
    freeReplyObject(r);
}

static void expect_error(redisReply *r, const char *s)
{
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

static void expect_str(redisReply *r, const char *s)
{
    if (r->type != REDIS_REPLY_STRING)
        fail_msg("expected \"%s\", got type %d (%s)", s, r->type, r->str ? r->str : "");
    assert_int_equal(r->len, strlen(s));
    assert_memory_equal(r->str, s, r->len);
    freeReplyObject(r);
}

static void expect_status(redisReply *r, const char *s)
{
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

static void expect_nil(redisReply *r)
{
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
}

/* An array of bulk strings, given as one space-separated string ("" for
 * an empty array). */
static void expect_words(redisReply *r, const char *words)
{
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", words);
    if (r->type != REDIS_REPLY_ARRAY)
        fail_msg("expected array [%s], got type %d (%s)", words, r->type, r->str ? r->str : "");
    size_t n = 0;
    for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        assert_true(n < r->elements);
        assert_int_equal(r->element[n]->type, REDIS_REPLY_STRING);
        if (strlen(w) != r->element[n]->len || memcmp(w, r->element[n]->str, strlen(w)) != 0)
            fail_msg("element %zu: expected \"%s\", got \"%.*s\"", n, w, (int)r->element[n]->len,
                     r->element[n]->str);
        n++;
    }
    assert_int_equal(r->elements, n);
    freeReplyObject(r);
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
    r = redisCommand(ctx, "CONFIG SET zset-max-listpack-entries 128");
    freeReplyObject(r);
    r = redisCommand(ctx, "CONFIG SET zset-max-listpack-value 64");
    freeReplyObject(r);
    return 0;
}

/* ------------------------------------------------------------------ tests */

static void test_zadd(void **state)
{
    (void)state;
    expect_int(cmd("ZADD z 1 a 2 b 3 c"), 3);
    expect_int(cmd("ZADD z 1 a"), 0);
    expect_int(cmd("ZADD z 10 a"), 0);
    expect_int(cmd("ZADD z CH 11 a 2 b 4 d"), 2);
    expect_words(cmd("ZRANGE z 0 -1 WITHSCORES"), "b 2 c 3 d 4 a 11");
    expect_int(cmd("ZADD z NX 100 a 5 e"), 1);
    expect_int(cmd("ZADD z XX CH 100 a 5 f"), 1);
    expect_int(cmd("ZADD z GT CH 1 a 200 b"), 1);
    expect_int(cmd("ZADD z LT CH 1 a 300 b"), 1);
    expect_str(cmd("ZSCORE z a"), "1");
    expect_str(cmd("ZSCORE z b"), "200");
    expect_str(cmd("ZADD z INCR 2.5 a"), "3.5");
    expect_nil(cmd("ZADD z INCR NX 1 a"));
    expect_nil(cmd("ZADD z INCR XX 1 nobody"));
    expect_nil(cmd("ZADD z INCR GT -1 a"));
    expect_int(cmd("ZADD nokey XX 1 a"), 0);
    expect_int(cmd("EXISTS nokey"), 0);
    expect_error(cmd("ZADD z XX NX 1 a"),
                 "ERR XX and NX options at the same time are not compatible");
    expect_error(cmd("ZADD z GT LT 1 a"),
                 "ERR GT, LT, and/or NX options at the same time are not compatible");
    expect_error(cmd("ZADD z NX GT 1 a"),
                 "ERR GT, LT, and/or NX options at the same time are not compatible");
    expect_error(cmd("ZADD z INCR 1 a 2 b"),
                 "ERR INCR option supports a single increment-element pair");
    expect_error(cmd("ZADD z 1 a 2"), "ERR syntax error");
    expect_error(cmd("ZADD z nan a"), "ERR value is not a valid float");
    expect_error(cmd("ZADD z abc a"), "ERR value is not a valid float");
    expect_error(cmd("ZADD z 1"), "ERR wrong number of arguments for 'zadd' command");
    expect_str(cmd("ZADD z INCR inf x"), "inf");
    expect_error(cmd("ZADD z INCR -inf x"), "ERR resulting score is not a number (NaN)");
    expect_error(cmd("ZINCRBY z -inf x"), "ERR resulting score is not a number (NaN)");
    expect_str(cmd("ZINCRBY z 1 x"), "inf");
    expect_str(cmd("ZINCRBY z 0.1 new"), "0.10000000000000001");
    expect_str(cmd("ZINCRBY z 0.2 new"), "0.30000000000000004");
    expect_error(cmd("ZINCRBY z nx new"), "ERR syntax error");
    /* Binary members. */
    const char *argv[] = {"ZADD", "bin", "0", "a\0b", "0", "", "0", "\xff"};
    size_t lens[] = {4, 3, 1, 3, 1, 0, 1, 1};
    redisReply *r = redisCommandArgv(ctx, 8, argv, lens);
    expect_int(r, 3);
    r = cmd("ZRANGE bin 0 -1");
    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[0]->len, 0);
    assert_int_equal(r->element[1]->len, 3);
    assert_memory_equal(r->element[1]->str, "a\0b", 3);
    assert_memory_equal(r->element[2]->str, "\xff", 1);
    freeReplyObject(r);
}

static void test_scores_and_lookups(void **state)
{
    (void)state;
    expect_int(cmd("ZADD s 1.5 a -0.1 b 1e20 c inf d -inf e 123456789012345678 f 0 g"), 7);
    expect_str(cmd("ZSCORE s a"), "1.5");
    expect_str(cmd("ZSCORE s b"), "-0.10000000000000001");
    expect_str(cmd("ZSCORE s c"), "1e+20");
    expect_str(cmd("ZSCORE s d"), "inf");
    expect_str(cmd("ZSCORE s e"), "-inf");
    expect_str(cmd("ZSCORE s f"), "1.2345678901234568e+17");
    expect_nil(cmd("ZSCORE s none"));
    expect_nil(cmd("ZSCORE nokey a"));
    redisReply *r = cmd("ZMSCORE s a none g");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_string_equal(r->element[0]->str, "1.5");
    assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
    assert_string_equal(r->element[2]->str, "0");
    freeReplyObject(r);
    expect_int(cmd("ZCARD s"), 7);
    expect_int(cmd("ZCARD nokey"), 0);
    expect_int(cmd("ZRANK s e"), 0);
    expect_int(cmd("ZRANK s d"), 6);
    expect_int(cmd("ZREVRANK s d"), 0);
    expect_nil(cmd("ZRANK s none"));
    expect_nil(cmd("ZREVRANK nokey a"));
    expect_error(cmd("ZRANK s a WITHSCORE"), "ERR wrong number of arguments for 'zrank' command");
    expect_int(cmd("ZREM s a b none"), 2);
    expect_int(cmd("ZREM s c d e f g"), 5);
    expect_int(cmd("EXISTS s"), 0);
}

static void test_ranges(void **state)
{
    (void)state;
    expect_int(cmd("ZADD r 1 a 2 b 3 c 4 d 5 e"), 5);
    expect_words(cmd("ZRANGE r 1 -2"), "b c d");
    expect_words(cmd("ZRANGE r -100 100 REV"), "e d c b a");
    expect_words(cmd("ZRANGE r 3 1"), "");
    expect_words(cmd("ZREVRANGE r 0 1 WITHSCORES"), "e 5 d 4");
    expect_words(cmd("ZRANGEBYSCORE r (1 3"), "b c");
    expect_words(cmd("ZRANGEBYSCORE r -inf +inf LIMIT 1 2 WITHSCORES"), "b 2 c 3");
    expect_words(cmd("ZRANGEBYSCORE r -inf +inf LIMIT 10 2"), "");
    expect_words(cmd("ZRANGEBYSCORE r -inf +inf LIMIT -1 2"), "");
    expect_words(cmd("ZRANGEBYSCORE r -inf +inf LIMIT 3 -1"), "d e");
    expect_words(cmd("ZREVRANGEBYSCORE r (5 2 LIMIT 1 10"), "c b");
    expect_words(cmd("ZRANGE r (4 +inf BYSCORE"), "e");
    expect_words(cmd("ZRANGE r 4 2 BYSCORE REV LIMIT 0 2"), "d c");
    expect_int(cmd("ZCOUNT r (1 (5"), 3);
    expect_int(cmd("ZCOUNT r 5 1"), 0);
    expect_error(cmd("ZRANGEBYSCORE r x 1"), "ERR min or max is not a float");
    expect_error(cmd("ZRANGE r 0 -1 LIMIT 0 1"),
                 "ERR syntax error, LIMIT is only supported in combination with either BYSCORE "
                 "or BYLEX");
    expect_error(cmd("ZRANGE r - + BYLEX WITHSCORES"),
                 "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    expect_error(cmd("ZRANGEBYSCORE r 1 2 REV"), "ERR syntax error");

    expect_int(cmd("ZADD l 0 a 0 b 0 c 0 d 0 e"), 5);
    expect_words(cmd("ZRANGEBYLEX l [b (d"), "b c");
    expect_words(cmd("ZRANGEBYLEX l - + LIMIT 1 2"), "b c");
    expect_words(cmd("ZREVRANGEBYLEX l + (c"), "e d");
    expect_words(cmd("ZRANGE l [d + BYLEX"), "d e");
    expect_int(cmd("ZLEXCOUNT l (a [c"), 2);
    expect_error(cmd("ZRANGEBYLEX l a c"), "ERR min or max not valid string range item");

    expect_int(cmd("ZREMRANGEBYLEX l [b [c"), 2);
    expect_int(cmd("ZREMRANGEBYRANK r 0 1"), 2);
    expect_int(cmd("ZREMRANGEBYSCORE r (3 +inf"), 2);
    expect_words(cmd("ZRANGE r 0 -1"), "c");
    expect_int(cmd("ZREMRANGEBYSCORE r -inf +inf"), 1);
    expect_int(cmd("EXISTS r"), 0);

    expect_int(cmd("ZADD src 1 a 2 b 3 c"), 3);
    expect_int(cmd("ZRANGESTORE dst src 0 1 REV"), 2);
    expect_words(cmd("ZRANGE dst 0 -1 WITHSCORES"), "b 2 c 3");
    expect_int(cmd("ZRANGESTORE dst src 5 6"), 0);
    expect_int(cmd("EXISTS dst"), 0);
}

static void test_pops(void **state)
{
    (void)state;
    expect_int(cmd("ZADD p 1 a 2 b 3 c 4 d"), 4);
    expect_words(cmd("ZPOPMIN p"), "a 1");
    expect_words(cmd("ZPOPMAX p 2"), "d 4 c 3");
    expect_words(cmd("ZPOPMIN p 0"), "");
    expect_error(cmd("ZPOPMIN p -1"), "ERR value is out of range, must be positive");
    expect_words(cmd("ZPOPMIN nokey"), "");
    expect_int(cmd("ZADD q 7 x 8 y"), 2);
    redisReply *r = cmd("ZMPOP 3 nokey p q MAX COUNT 5");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "p");
    assert_int_equal(r->element[1]->elements, 1);
    assert_string_equal(r->element[1]->element[0]->element[0]->str, "b");
    assert_string_equal(r->element[1]->element[0]->element[1]->str, "2");
    freeReplyObject(r);
    expect_int(cmd("EXISTS p"), 0);
    r = cmd("ZMPOP 1 nokey MIN");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    expect_error(cmd("ZMPOP 0 q MIN"), "ERR numkeys should be greater than 0");
    expect_error(cmd("ZMPOP 1 q MIN COUNT 0"), "ERR count should be greater than 0");
    expect_words(cmd("BZPOPMIN nokey q 0"), "q x 7");
    r = cmd("BZPOPMAX nokey 0.05");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    expect_error(cmd("BZPOPMIN q -1"), "ERR timeout is negative");
    expect_error(cmd("BZPOPMIN q x"), "ERR timeout is not a float or out of range");
}

/* A client blocked in BZPOPMIN / BZMPOP is served when another adds. */
static void test_blocking_served(void **state)
{
    (void)state;
    redisContext *other = harness_connect(&srv);
    assert_non_null(other);
    int done = 0;
    redisAppendCommand(other, "BZPOPMIN bk1 bk2 5");
    while (!done)
        assert_int_equal(redisBufferWrite(other, &done), REDIS_OK);
    harness_sleep_ms(100);
    expect_int(cmd("ZADD bk2 3 c 1 a 2 b"), 3);
    redisReply *r = NULL;
    assert_int_equal(redisGetReply(other, (void **)&r), REDIS_OK);
    expect_words(r, "bk2 a 1");
    expect_words(cmd("ZRANGE bk2 0 -1"), "b c");

    done = 0;
    redisAppendCommand(other, "BZMPOP 5 1 bk3 MAX COUNT 2");
    while (!done)
        assert_int_equal(redisBufferWrite(other, &done), REDIS_OK);
    harness_sleep_ms(100);
    expect_int(cmd("ZADD bk3 1 a 2 b 3 c"), 3);
    assert_int_equal(redisGetReply(other, (void **)&r), REDIS_OK);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "bk3");
    assert_int_equal(r->element[1]->elements, 2);
    assert_string_equal(r->element[1]->element[0]->element[0]->str, "c");
    assert_string_equal(r->element[1]->element[1]->element[0]->str, "b");
    freeReplyObject(r);
    redisFree(other);
}

static void test_set_algebra(void **state)
{
    (void)state;
    expect_int(cmd("ZADD a 1 x 2 y 3 z"), 3);
    expect_int(cmd("ZADD b 10 y 20 z 30 w"), 3);
    expect_int(cmd("SADD s z w v"), 3);
    expect_int(cmd("SADD i 1 2 3"), 3);
    expect_words(cmd("ZUNION 2 a b WITHSCORES"), "x 1 y 12 z 23 w 30");
    expect_words(cmd("ZINTER 2 a b WEIGHTS 2 1 AGGREGATE MAX WITHSCORES"), "y 10 z 20");
    expect_words(cmd("ZDIFF 2 a b WITHSCORES"), "x 1");
    expect_words(cmd("ZUNION 2 a s WITHSCORES"), "v 1 w 1 x 1 y 2 z 4");
    expect_words(cmd("ZINTER 3 a b s"), "z");
    expect_words(cmd("ZUNION 2 i a AGGREGATE MIN"), "1 2 3 x y z");
    expect_int(cmd("ZUNIONSTORE u 2 a b"), 4);
    expect_words(cmd("ZRANGE u 0 -1 WITHSCORES"), "x 1 y 12 z 23 w 30");
    expect_int(cmd("ZINTERSTORE u 2 a nokey"), 0);
    expect_int(cmd("EXISTS u"), 0);
    expect_int(cmd("ZDIFFSTORE u 2 b a"), 1);
    expect_int(cmd("ZINTERCARD 2 a b"), 2);
    expect_int(cmd("ZINTERCARD 2 a b LIMIT 1"), 1);
    expect_error(cmd("ZUNION 0 a"), "ERR at least 1 input key is needed for 'zunion' command");
    expect_error(cmd("ZUNION 2 a b WEIGHTS 1"), "ERR syntax error");
    expect_error(cmd("ZUNION 1 a WEIGHTS x"), "ERR weight value is not a float");
    expect_error(cmd("ZINTERCARD 1 a LIMIT -1"), "ERR LIMIT can't be negative");
    expect_status(cmd("SET str x"), "OK");
    expect_error(cmd("ZUNION 2 a str"),
                 "WRONGTYPE Operation against a key holding the wrong kind of value");
}

/* Conversion to skiplist at both thresholds, default and configured. */
static void test_encodings(void **state)
{
    (void)state;
    for (int i = 0; i < 128; i++)
        expect_int(cmd("ZADD big %d m%d", i, i), 1);
    expect_str(cmd("OBJECT ENCODING big"), "listpack");
    expect_int(cmd("ZADD big 128 m128"), 1);
    expect_str(cmd("OBJECT ENCODING big"), "skiplist");
    expect_int(cmd("ZREMRANGEBYRANK big 0 120"), 121);
    expect_str(cmd("OBJECT ENCODING big"), "skiplist"); /* never converts back */
    expect_int(cmd("ZRANK big m127"), 6);

    char m64[65], m65[66];
    memset(m64, 'x', 64);
    m64[64] = '\0';
    memset(m65, 'y', 65);
    m65[65] = '\0';
    expect_int(cmd("ZADD long 1 %s", m64), 1);
    expect_str(cmd("OBJECT ENCODING long"), "listpack");
    expect_int(cmd("ZADD long 2 %s", m65), 1);
    expect_str(cmd("OBJECT ENCODING long"), "skiplist");
    expect_words(cmd("ZRANGE long 0 -1"),
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
                 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
    expect_int(cmd("ZUNIONSTORE small 1 big"), 8);
    expect_str(cmd("OBJECT ENCODING small"), "listpack");

    expect_status(cmd("CONFIG SET zset-max-listpack-entries 3"), "OK");
    expect_status(cmd("CONFIG SET zset-max-listpack-value 4"), "OK");
    expect_int(cmd("ZADD t 1 a 2 b 3 c"), 3);
    expect_str(cmd("OBJECT ENCODING t"), "listpack");
    expect_int(cmd("ZADD t 4 d"), 1);
    expect_str(cmd("OBJECT ENCODING t"), "skiplist");
    expect_words(cmd("ZRANGE t 0 -1 WITHSCORES"), "a 1 b 2 c 3 d 4");
    expect_int(cmd("ZADD u 1 abcd"), 1);
    expect_str(cmd("OBJECT ENCODING u"), "listpack");
    expect_int(cmd("ZADD u 1 abcde"), 1);
    expect_str(cmd("OBJECT ENCODING u"), "skiplist");
    expect_status(cmd("CONFIG SET zset-max-listpack-entries 0"), "OK");
    expect_int(cmd("ZADD v 1 a"), 1);
    expect_str(cmd("OBJECT ENCODING v"), "skiplist");
}

typedef struct player {
    char name[24]; /* "player" + any int, as the compiler checks */
    double score;
} player;

static int player_cmp_desc(const void *a, const void *b)
{
    const player *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return -strcmp(x->name, y->name); /* equal scores: reverse member order */
}

/* A leaderboard of 500 players, 5000 score increments. */
static void test_leaderboard(void **state)
{
    (void)state;
    enum { N = 500 };
    static player model[N];
    static int drawn[N];
    for (int i = 0; i < N; i++) {
        snprintf(model[i].name, sizeof(model[i].name), "player%03d", i);
        model[i].score = 0;
        drawn[i] = 0;
    }
    unsigned seed = 12345;
    for (int t = 0; t < 5000; t++) {
        seed = seed * 1103515245u + 12345u;
        int who = (int)((seed >> 8) % N);
        int pts = (int)((seed >> 20) % 100);
        model[who].score += pts;
        drawn[who] = 1;
        redisAppendCommand(ctx, "ZINCRBY board %d %s", pts, model[who].name);
    }
    for (int t = 0; t < 5000; t++) {
        redisReply *r;
        assert_int_equal(redisGetReply(ctx, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        freeReplyObject(r);
    }
    static player sorted[N];
    int n = 0;
    for (int i = 0; i < N; i++)
        if (drawn[i])
            sorted[n++] = model[i];
    qsort(sorted, (size_t)n, sizeof(player), player_cmp_desc);
    expect_int(cmd("ZCARD board"), n);
    redisReply *r;
    r = cmd("ZREVRANGE board 0 9 WITHSCORES");
    assert_int_equal(r->elements, 20);
    for (int i = 0; i < 10; i++) {
        char s[32];
        snprintf(s, sizeof(s), "%.0f", sorted[i].score);
        assert_string_equal(r->element[2 * i]->str, sorted[i].name);
        assert_string_equal(r->element[2 * i + 1]->str, s);
    }
    freeReplyObject(r);
    for (int i = 0; i < n; i += 7)
        expect_int(cmd("ZREVRANK board %s", sorted[i].name), i);
    char s0[32];
    snprintf(s0, sizeof(s0), "%.0f", sorted[0].score);
    expect_str(cmd("ZSCORE board %s", sorted[0].name), s0);
    expect_str(cmd("OBJECT ENCODING board"), "skiplist");
}

static void test_zscan_big(void **state)
{
    (void)state;
    for (int base = 0; base < 2000; base += 100) {
        const char *argv[202];
        char buf[200][16];
        argv[0] = "ZADD";
        argv[1] = "scan";
        for (int i = 0; i < 100; i++) {
            snprintf(buf[2 * i], 16, "%d", base + i);
            snprintf(buf[2 * i + 1], 16, "m%d", base + i);
            argv[2 + 2 * i] = buf[2 * i];
            argv[3 + 2 * i] = buf[2 * i + 1];
        }
        expect_int(cmdv(202, argv), 100);
    }
    static char seen[2000];
    memset(seen, 0, sizeof(seen));
    char cursor[32] = "0";
    int rounds = 0;
    do {
        redisReply *r = cmd("ZSCAN scan %s COUNT 50", cursor);
        assert_int_equal(r->elements, 2);
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        redisReply *items = r->element[1];
        assert_int_equal(items->elements % 2, 0);
        for (size_t i = 0; i < items->elements; i += 2) {
            int idx = atoi(items->element[i]->str + 1);
            assert_int_equal(atoi(items->element[i + 1]->str), idx);
            seen[idx] = 1;
        }
        freeReplyObject(r);
        rounds++;
    } while (strcmp(cursor, "0") != 0 && rounds < 10000);
    for (int i = 0; i < 2000; i++)
        assert_true(seen[i]);
    expect_int(cmd("ZRANK scan m1234"), 1234);
    expect_words(cmd("ZRANGEBYSCORE scan (1000 1003"), "m1001 m1002 m1003");
}

static void test_wrongtype(void **state)
{
    (void)state;
    expect_status(cmd("SET k v"), "OK");
    const char *wt = "WRONGTYPE Operation against a key holding the wrong kind of value";
    expect_error(cmd("ZADD k 1 a"), wt);
    expect_error(cmd("ZSCORE k a"), wt);
    expect_error(cmd("ZRANGE k 0 -1"), wt);
    expect_error(cmd("ZPOPMIN k"), wt);
    expect_error(cmd("ZRANDMEMBER k"), wt);
    expect_error(cmd("ZSCAN k 0"), wt);
    expect_error(cmd("ZREMRANGEBYRANK k 0 1"), wt);
    expect_error(cmd("BZPOPMIN k 0"), wt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_zadd, test_setup),
        cmocka_unit_test_setup(test_scores_and_lookups, test_setup),
        cmocka_unit_test_setup(test_ranges, test_setup),
        cmocka_unit_test_setup(test_pops, test_setup),
        cmocka_unit_test_setup(test_blocking_served, test_setup),
        cmocka_unit_test_setup(test_set_algebra, test_setup),
        cmocka_unit_test_setup(test_encodings, test_setup),
        cmocka_unit_test_setup(test_leaderboard, test_setup),
        cmocka_unit_test_setup(test_zscan_big, test_setup),
        cmocka_unit_test_setup(test_wrongtype, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
