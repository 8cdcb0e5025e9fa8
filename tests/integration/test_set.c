/* test_set: integration tests of the set type (t_set.c) against a real
 * keel-server: every command's exact replies and errors, the intset ->
 * hashtable conversions (a string member, a member beyond int64, too many
 * members with set-max-intset-entries 4), SMOVE's cases, the *STORE
 * commands (overwrite, delete when empty, TTL), binary members, SSCAN over
 * 100,000 members (also while the set grows), SPOP and SRANDMEMBER on big
 * sets through all their strategies, and a sanity check of their randomness
 * (every member is eventually drawn; negative counts repeat). */
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

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

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

static redisReply *cmd_argv(int argc, const char **argv, const size_t *lens)
{
    redisReply *r = redisCommandArgv(ctx, argc, argv, lens);
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

static void expect_error(redisReply *r, const char *s)
{
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

static void expect_str(redisReply *r, const char *s)
{
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, strlen(s));
    assert_memory_equal(r->str, s, strlen(s));
    freeReplyObject(r);
}

static void expect_nil(redisReply *r)
{
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
}

/* An array of bulk strings equal to items, in this order (intsets are
 * sorted, so their replies are exact). */
static void expect_list(redisReply *r, size_t n, const char *const *items)
{
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r->element[i]->type, REDIS_REPLY_STRING);
        assert_string_equal(r->element[i]->str, items[i]);
    }
    freeReplyObject(r);
}

#define EXPECT_LIST(r, ...)                                                                        \
    do {                                                                                           \
        const char *const items_[] = {__VA_ARGS__};                                                \
        expect_list((r), sizeof(items_) / sizeof(items_[0]), items_);                              \
    } while (0)

static void expect_empty_array(redisReply *r)
{
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An array holding exactly items, in any order (hash table order). */
static void expect_members(redisReply *r, size_t n, const char *const *items)
{
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, n);
    const char **got = calloc(n + 1, sizeof(*got));
    const char **want = calloc(n + 1, sizeof(*want));
    assert_non_null(got);
    assert_non_null(want);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r->element[i]->type, REDIS_REPLY_STRING);
        got[i] = r->element[i]->str;
        want[i] = items[i];
    }
    qsort(got, n, sizeof(*got), cmp_str);
    qsort(want, n, sizeof(*want), cmp_str);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(got[i], want[i]);
    free(got);
    free(want);
    freeReplyObject(r);
}

#define EXPECT_MEMBERS(r, ...)                                                                     \
    do {                                                                                           \
        const char *const items_[] = {__VA_ARGS__};                                                \
        expect_members((r), sizeof(items_) / sizeof(items_[0]), items_);                           \
    } while (0)

static void expect_encoding(const char *key, const char *enc)
{
    expect_str(cmd("OBJECT ENCODING %s", key), enc);
}

/* SADD key prefix0 .. prefix{n-1} in pipelined batches of 1000 members
 * (prefix NULL: plain integers). */
static void add_many(const char *key, const char *prefix, long from, long n)
{
    enum { BATCH = 1000 };
    const char **argv = malloc((BATCH + 2) * sizeof(*argv));
    size_t *lens = malloc((BATCH + 2) * sizeof(*lens));
    char(*bufs)[32] = malloc(BATCH * sizeof(*bufs));
    assert_non_null(argv);
    assert_non_null(lens);
    assert_non_null(bufs);
    long sent = 0;
    for (long i = 0; i < n; i += BATCH) {
        int argc = 2;
        argv[0] = "SADD";
        lens[0] = 4;
        argv[1] = key;
        lens[1] = strlen(key);
        for (long j = i; j < n && j < i + BATCH; j++) {
            int len = snprintf(bufs[argc - 2], 32, "%s%ld", prefix ? prefix : "", from + j);
            argv[argc] = bufs[argc - 2];
            lens[argc] = (size_t)len;
            argc++;
        }
        assert_int_equal(redisAppendCommandArgv(ctx, argc, argv, lens), REDIS_OK);
        sent++;
    }
    for (long i = 0; i < sent; i++) {
        redisReply *r = NULL;
        assert_int_equal(redisGetReply(ctx, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        freeReplyObject(r);
    }
    free(argv);
    free(lens);
    free(bufs);
}

/* The number after "m:" in a member, or -1. */
static long member_index(const redisReply *e)
{
    if (e->type != REDIS_REPLY_STRING || e->len < 3 || memcmp(e->str, "m:", 2) != 0)
        return -1;
    return strtol(e->str + 2, NULL, 10);
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
    r = redisCommand(ctx, "CONFIG SET set-max-intset-entries 512");
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

/* ---------------------------------------------------------------- tests */

static void test_sadd_srem(void **state)
{
    (void)state;
    expect_int(cmd("SADD s 3 1 2 3"), 3);
    expect_int(cmd("SADD s 1 4"), 1);
    expect_int(cmd("SADD s 1"), 0);
    EXPECT_LIST(cmd("SMEMBERS s"), "1", "2", "3", "4");
    expect_int(cmd("SCARD s"), 4);
    expect_int(cmd("SCARD missing"), 0);
    expect_status(cmd("TYPE s"), "set");
    expect_int(cmd("SREM s 1 1 9 x"), 1);
    expect_int(cmd("SREM missing a"), 0);
    EXPECT_LIST(cmd("SMEMBERS s"), "2", "3", "4");
    expect_int(cmd("SREM s 2 3 4 5"), 3);
    expect_int(cmd("EXISTS s"), 0);
    expect_empty_array(cmd("SMEMBERS s"));

    expect_int(cmd("SADD h apple banana apple"), 2);
    EXPECT_MEMBERS(cmd("SMEMBERS h"), "apple", "banana");
    expect_int(cmd("SISMEMBER h apple"), 1);
    expect_int(cmd("SISMEMBER h Apple"), 0);
    expect_int(cmd("SISMEMBER missing apple"), 0);
    redisReply *r = cmd("SMISMEMBER h apple kiwi banana");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[0]->integer, 1);
    assert_int_equal(r->element[1]->integer, 0);
    assert_int_equal(r->element[2]->integer, 1);
    freeReplyObject(r);
    r = cmd("SMISMEMBER missing a b");
    assert_int_equal(r->elements, 2);
    assert_int_equal(r->element[0]->integer, 0);
    freeReplyObject(r);

    expect_error(cmd("SADD s"), "ERR wrong number of arguments for 'sadd' command");
    expect_error(cmd("SMOVE a b"), "ERR wrong number of arguments for 'smove' command");
    expect_error(cmd("SCARD a b"), "ERR wrong number of arguments for 'scard' command");
}

static void test_encoding_conversion(void **state)
{
    (void)state;
    /* A string member. */
    expect_int(cmd("SADD a 1 2 3"), 3);
    expect_encoding("a", "intset");
    expect_int(cmd("SADD a hello"), 1);
    expect_encoding("a", "hashtable");
    EXPECT_MEMBERS(cmd("SMEMBERS a"), "1", "2", "3", "hello");
    expect_int(cmd("SREM a hello"), 1);
    expect_encoding("a", "hashtable"); /* never back */
    expect_int(cmd("SISMEMBER a 2"), 1);

    /* The int64 limits stay in the intset; one beyond converts. */
    expect_int(cmd("SADD b 9223372036854775807 -9223372036854775808 0"), 3);
    expect_encoding("b", "intset");
    EXPECT_LIST(cmd("SMEMBERS b"), "-9223372036854775808", "0", "9223372036854775807");
    expect_int(cmd("SADD b 9223372036854775808"), 1);
    expect_encoding("b", "hashtable");
    expect_int(cmd("SISMEMBER b 9223372036854775808"), 1);
    expect_int(cmd("SISMEMBER b -9223372036854775808"), 1);

    /* Non-canonical integers are strings. */
    const char *noncanon[] = {"01", "+1", "-0", " 1", "1.0", ""};
    for (size_t i = 0; i < sizeof(noncanon) / sizeof(noncanon[0]); i++) {
        expect_int(cmd("DEL c"), i ? 1 : 0);
        expect_int(cmd("SADD c 5 %s", noncanon[i]), 2);
        expect_encoding("c", "hashtable");
    }
    /* The first member decides the initial encoding. */
    expect_int(cmd("SADD d x 1"), 2);
    expect_encoding("d", "hashtable");

    /* Too many entries. */
    expect_status(cmd("CONFIG SET set-max-intset-entries 4"), "OK");
    expect_int(cmd("SADD e 4 3 2 1"), 4);
    expect_encoding("e", "intset");
    EXPECT_LIST(cmd("SMEMBERS e"), "1", "2", "3", "4");
    expect_int(cmd("SADD e 2"), 0);
    expect_encoding("e", "intset");
    expect_int(cmd("SADD e 5"), 1);
    expect_encoding("e", "hashtable");
    EXPECT_MEMBERS(cmd("SMEMBERS e"), "1", "2", "3", "4", "5");
    expect_int(cmd("SADD f 1 2 3 4 5 6"), 6);
    expect_encoding("f", "hashtable");
    /* A stored result follows the threshold too. */
    expect_int(cmd("SUNIONSTORE g e"), 5);
    expect_encoding("g", "hashtable");
    expect_int(cmd("SINTERSTORE g e f"), 5);
    expect_encoding("g", "hashtable");
    expect_int(cmd("SDIFFSTORE g f e"), 1);
    expect_encoding("g", "intset");
    EXPECT_LIST(cmd("SMEMBERS g"), "6");
    expect_status(cmd("CONFIG SET set-max-intset-entries 512"), "OK");

    /* 512 integers fit, 513 do not. */
    add_many("big", NULL, 0, 512);
    expect_encoding("big", "intset");
    expect_int(cmd("SADD big 512"), 1);
    expect_encoding("big", "hashtable");
    expect_int(cmd("SCARD big"), 513);
}

static void test_smove(void **state)
{
    (void)state;
    expect_int(cmd("SMOVE nosrc dst x"), 0);
    expect_int(cmd("EXISTS dst"), 0);
    expect_int(cmd("SADD a 1 2 x"), 3);
    expect_int(cmd("SADD b 2 3"), 2);
    expect_int(cmd("SMOVE a b nope"), 0);
    expect_int(cmd("SMOVE a a 1"), 1);
    expect_int(cmd("SMOVE a a nope"), 0);
    expect_int(cmd("SMOVE a b 1"), 1);
    EXPECT_LIST(cmd("SMEMBERS b"), "1", "2", "3");
    expect_int(cmd("SMOVE a b 2"), 1); /* already there: only removed from a */
    EXPECT_LIST(cmd("SMEMBERS b"), "1", "2", "3");
    EXPECT_MEMBERS(cmd("SMEMBERS a"), "x");
    expect_int(cmd("SMOVE a b x"), 1);
    expect_int(cmd("EXISTS a"), 0);
    expect_encoding("b", "hashtable");
    expect_int(cmd("SMOVE b c 3"), 1);
    expect_encoding("c", "intset");
    expect_int(cmd("SMOVE b d x"), 1);
    expect_encoding("d", "hashtable");
    expect_status(cmd("SET str v"), "OK");
    expect_error(cmd("SMOVE str b 1"), WRONGTYPE);
    expect_error(cmd("SMOVE b str 1"), WRONGTYPE);
    expect_int(cmd("SMOVE missing str 1"), 0);
    expect_int(cmd("SISMEMBER b 1"), 1);
}

static void test_spop(void **state)
{
    (void)state;
    expect_nil(cmd("SPOP missing"));
    expect_empty_array(cmd("SPOP missing 3"));
    expect_error(cmd("SPOP s -1"), "ERR value is out of range, must be positive");
    expect_error(cmd("SPOP s abc"), "ERR value is out of range, must be positive");
    expect_error(cmd("SPOP s 1 2"), "ERR syntax error");
    expect_int(cmd("SADD one 42"), 1);
    expect_str(cmd("SPOP one"), "42");
    expect_int(cmd("EXISTS one"), 0);

    expect_int(cmd("SADD s 1 2 3"), 3);
    expect_empty_array(cmd("SPOP s 0"));
    EXPECT_LIST(cmd("SPOP s 3"), "1", "2", "3");
    expect_int(cmd("EXISTS s"), 0);
    expect_int(cmd("SADD s a b c"), 3);
    EXPECT_MEMBERS(cmd("SPOP s 100"), "a", "b", "c");
    expect_int(cmd("EXISTS s"), 0);

    /* Case 3 rebuilds the value and keeps the TTL. */
    expect_int(cmd("SADD t x 1 2 3 4 5 6 7 8 9"), 10);
    expect_int(cmd("EXPIRE t 1000"), 1);
    redisReply *r = cmd("SPOP t 9");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 9);
    freeReplyObject(r);
    expect_int(cmd("SCARD t"), 1);
    r = cmd("TTL t");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer > 990);
    freeReplyObject(r);

    expect_status(cmd("SET str v"), "OK");
    expect_error(cmd("SPOP str"), WRONGTYPE);
    expect_error(cmd("SPOP str 2"), WRONGTYPE);
}

static void test_srandmember(void **state)
{
    (void)state;
    expect_nil(cmd("SRANDMEMBER missing"));
    expect_empty_array(cmd("SRANDMEMBER missing 5"));
    expect_empty_array(cmd("SRANDMEMBER missing -5"));
    expect_error(cmd("SRANDMEMBER s abc"), "ERR value is not an integer or out of range");
    expect_error(cmd("SRANDMEMBER s -9223372036854775808"),
                 "ERR value is out of range, value must between -9223372036854775807 and "
                 "9223372036854775807");
    expect_error(cmd("SRANDMEMBER s 1 2"), "ERR syntax error");
    expect_int(cmd("SADD s 1 2 3"), 3);
    expect_empty_array(cmd("SRANDMEMBER s 0"));
    EXPECT_LIST(cmd("SRANDMEMBER s 3"), "1", "2", "3");
    EXPECT_LIST(cmd("SRANDMEMBER s 1000"), "1", "2", "3");
    redisReply *r = cmd("SRANDMEMBER s -10");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 10);
    freeReplyObject(r);
    expect_int(cmd("SCARD s"), 3); /* nothing removed */
}

/* Draws until every member of a 20-member set has come up, for both
 * encodings; a fair draw needs about 72 on average, 2000 is far beyond. */
static void test_random_distribution(void **state)
{
    (void)state;
    expect_int(cmd("SADD i 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19"), 20);
    expect_int(cmd("SADD h m:0 m:1 m:2 m:3 m:4 m:5 m:6 m:7 m:8 m:9 m:10 m:11 m:12 m:13 m:14 "
                   "m:15 m:16 m:17 m:18 m:19"),
               20);
    const char *keys[] = {"i", "h"};
    for (int k = 0; k < 2; k++) {
        int seen[20] = {0}, distinct = 0;
        for (int n = 0; n < 2000 && distinct < 20; n++) {
            redisReply *r = cmd("SRANDMEMBER %s", keys[k]);
            assert_int_equal(r->type, REDIS_REPLY_STRING);
            long idx = k ? member_index(r) : strtol(r->str, NULL, 10);
            assert_in_range(idx, 0, 19);
            if (!seen[idx]++)
                distinct++;
            freeReplyObject(r);
        }
        assert_int_equal(distinct, 20);

        /* Positive counts: distinct members; every member comes up. */
        memset(seen, 0, sizeof(seen));
        distinct = 0;
        for (int n = 0; n < 500 && distinct < 20; n++) {
            redisReply *r = cmd("SRANDMEMBER %s %d", keys[k], n % 2 ? 3 : 12);
            assert_int_equal(r->type, REDIS_REPLY_ARRAY);
            int here[20] = {0};
            for (size_t j = 0; j < r->elements; j++) {
                long idx = k ? member_index(r->element[j]) : strtol(r->element[j]->str, NULL, 10);
                assert_in_range(idx, 0, 19);
                assert_int_equal(here[idx]++, 0);
                if (!seen[idx]++)
                    distinct++;
            }
            freeReplyObject(r);
        }
        assert_int_equal(distinct, 20);

        /* Negative counts repeat: 200 draws from 20 members must. */
        redisReply *r = cmd("SRANDMEMBER %s -200", keys[k]);
        assert_int_equal(r->elements, 200);
        int counts[20] = {0}, repeated = 0;
        for (size_t j = 0; j < r->elements; j++) {
            long idx = k ? member_index(r->element[j]) : strtol(r->element[j]->str, NULL, 10);
            assert_in_range(idx, 0, 19);
            if (counts[idx]++)
                repeated = 1;
        }
        assert_true(repeated);
        freeReplyObject(r);

        /* SPOP: pop, put back, until every member came up. */
        memset(seen, 0, sizeof(seen));
        distinct = 0;
        for (int n = 0; n < 2000 && distinct < 20; n++) {
            r = cmd("SPOP %s", keys[k]);
            assert_int_equal(r->type, REDIS_REPLY_STRING);
            long idx = k ? member_index(r) : strtol(r->str, NULL, 10);
            assert_in_range(idx, 0, 19);
            if (!seen[idx]++)
                distinct++;
            expect_int(cmd("SADD %s %b", keys[k], r->str, r->len), 1);
            freeReplyObject(r);
        }
        assert_int_equal(distinct, 20);
        expect_int(cmd("SCARD %s", keys[k]), 20);
    }
}

static void test_algebra(void **state)
{
    (void)state;
    expect_int(cmd("SADD a 1 2 3 4"), 4);
    expect_int(cmd("SADD b 3 4 5"), 3);
    expect_int(cmd("SADD c 4 5 6"), 3);
    expect_int(cmd("SADD h x y 4"), 3);
    EXPECT_LIST(cmd("SINTER a b"), "3", "4");
    EXPECT_LIST(cmd("SINTER a b c"), "4");
    expect_empty_array(cmd("SINTER a missing"));
    EXPECT_LIST(cmd("SINTER a h"), "4");
    EXPECT_LIST(cmd("SUNION a b c"), "1", "2", "3", "4", "5", "6");
    EXPECT_LIST(cmd("SUNION missing a"), "1", "2", "3", "4");
    EXPECT_MEMBERS(cmd("SUNION a h"), "1", "2", "3", "4", "x", "y");
    EXPECT_LIST(cmd("SDIFF a b"), "1", "2");
    EXPECT_LIST(cmd("SDIFF a b c h"), "1", "2");
    expect_empty_array(cmd("SDIFF a a"));
    expect_empty_array(cmd("SDIFF missing a"));
    EXPECT_MEMBERS(cmd("SDIFF h a"), "x", "y");

    expect_int(cmd("SINTERCARD 2 a b"), 2);
    expect_int(cmd("SINTERCARD 2 a b LIMIT 1"), 1);
    expect_int(cmd("SINTERCARD 2 a b LIMIT 0"), 2);
    expect_int(cmd("SINTERCARD 2 a missing"), 0);
    expect_error(cmd("SINTERCARD 0 a"), "ERR numkeys should be greater than 0");
    expect_error(cmd("SINTERCARD 3 a b"),
                 "ERR Number of keys can't be greater than number of args");
    expect_error(cmd("SINTERCARD 1 a LIMIT -1"), "ERR LIMIT can't be negative");
    expect_error(cmd("SINTERCARD 1 a LIMIT"), "ERR syntax error");
    expect_error(cmd("SINTERCARD 1 a b"), "ERR syntax error");

    expect_int(cmd("SINTERSTORE d a b"), 2);
    EXPECT_LIST(cmd("SMEMBERS d"), "3", "4");
    expect_int(cmd("EXPIRE d 100"), 1);
    expect_int(cmd("SUNIONSTORE d a c"), 6);
    expect_int(cmd("TTL d"), -1);
    EXPECT_LIST(cmd("SMEMBERS d"), "1", "2", "3", "4", "5", "6");
    expect_int(cmd("SDIFFSTORE d d a"), 2); /* destination as a source */
    EXPECT_LIST(cmd("SMEMBERS d"), "5", "6");
    expect_int(cmd("SINTERSTORE d a missing"), 0);
    expect_int(cmd("EXISTS d"), 0);
    expect_status(cmd("SET d v"), "OK");
    expect_int(cmd("SDIFFSTORE d a a"), 0);
    expect_int(cmd("EXISTS d"), 0);
    expect_status(cmd("SET d v"), "OK");
    expect_int(cmd("SUNIONSTORE d h"), 3); /* any type is overwritten */
    expect_status(cmd("TYPE d"), "set");
    expect_encoding("d", "hashtable");

    expect_status(cmd("SET str v"), "OK");
    expect_error(cmd("SINTER missing str"), WRONGTYPE);
    expect_error(cmd("SUNION a str"), WRONGTYPE);
    expect_error(cmd("SDIFF str"), WRONGTYPE);
    expect_error(cmd("SINTERCARD 2 missing str"), WRONGTYPE);
    expect_error(cmd("SINTERSTORE d a str"), WRONGTYPE);
}

static void test_binary_members(void **state)
{
    (void)state;
    const char *argv[] = {"SADD", "b", "", "a\0b", "\xff\xfe", "\0"};
    size_t lens[] = {4, 1, 0, 3, 2, 1};
    expect_int(cmd_argv(6, argv, lens), 4);
    expect_int(cmd("SCARD b"), 4);
    expect_int(cmd("SISMEMBER b %b", "a\0b", (size_t)3), 1);
    expect_int(cmd("SISMEMBER b %b", "a", (size_t)1), 0);
    expect_int(cmd("SISMEMBER b %b", "", (size_t)0), 1);
    expect_int(cmd("SISMEMBER b %b", "\xff\xfe", (size_t)2), 1);
    redisReply *r = cmd("SMEMBERS b");
    assert_int_equal(r->elements, 4);
    int found = 0;
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->len == 3 && memcmp(r->element[i]->str, "a\0b", 3) == 0)
            found = 1;
    assert_true(found);
    freeReplyObject(r);
    expect_int(cmd("SREM b %b %b", "\0", (size_t)1, "", (size_t)0), 2);
    expect_int(cmd("SCARD b"), 2);
    expect_int(cmd("SMOVE b c %b", "\xff\xfe", (size_t)2), 1);
    r = cmd("SPOP c");
    assert_int_equal(r->len, 2);
    assert_memory_equal(r->str, "\xff\xfe", 2);
    freeReplyObject(r);
}

/* A full SSCAN iteration over 100,000 members returns each of them, with
 * small and large COUNTs; members added meanwhile (the table grows and
 * rehashes under the cursor) do not make it skip any original member. */
static void test_sscan_100k(void **state)
{
    (void)state;
    enum { N = 100000 };
    add_many("big", "m:", 0, N);
    expect_int(cmd("SCARD big"), N);
    expect_encoding("big", "hashtable");
    unsigned char *seen = malloc(N);
    assert_non_null(seen);
    const int counts[] = {10, 1000, 50000};
    for (int pass = 0; pass < 4; pass++) {
        memset(seen, 0, N);
        long distinct = 0, calls = 0, extra = 0;
        char cursor[32] = "0";
        do {
            redisReply *r = pass < 3 ? cmd("SSCAN big %s COUNT %d", cursor, counts[pass])
                                     : cmd("SSCAN big %s COUNT 200", cursor);
            assert_int_equal(r->type, REDIS_REPLY_ARRAY);
            assert_int_equal(r->elements, 2);
            snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
            redisReply *items = r->element[1];
            for (size_t i = 0; i < items->elements; i++) {
                long idx = member_index(items->element[i]);
                assert_true(idx >= 0);
                if (idx >= N)
                    continue; /* added during this pass */
                if (!seen[idx]++)
                    distinct++;
            }
            freeReplyObject(r);
            calls++;
            if (pass == 3 && calls % 20 == 0 && extra < 60000) {
                add_many("big", "m:", N + extra, 3000);
                extra += 3000;
            }
            assert_true(calls < 200000);
        } while (strcmp(cursor, "0") != 0);
        assert_int_equal(distinct, N);
    }
    free(seen);

    /* MATCH filters after the walk: a full iteration finds the 10 members
     * m:10..m:19 (? needs one character). */
    long matched = 0;
    char cursor[32] = "0";
    do {
        redisReply *r = cmd("SSCAN big %s MATCH m:1? COUNT 5000", cursor);
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        matched += (long)r->element[1]->elements;
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    assert_int_equal(matched, 10);

    /* An intset answers everything at once, cursor 0. */
    expect_int(cmd("SADD small 5 -1 3"), 3);
    redisReply *r = cmd("SSCAN small 777 COUNT 1");
    assert_string_equal(r->element[0]->str, "0");
    assert_int_equal(r->element[1]->elements, 3);
    assert_string_equal(r->element[1]->element[0]->str, "-1");
    assert_string_equal(r->element[1]->element[2]->str, "5");
    freeReplyObject(r);
    r = cmd("SSCAN missing 0");
    assert_string_equal(r->element[0]->str, "0");
    assert_int_equal(r->element[1]->elements, 0);
    freeReplyObject(r);
    expect_error(cmd("SSCAN small abc"), "ERR invalid cursor");
    expect_error(cmd("SSCAN small 0 COUNT 0"), "ERR syntax error");
    expect_error(cmd("SSCAN small 0 TYPE set"), "ERR syntax error");
}

/* SPOP and SRANDMEMBER on 100,000 members through every strategy: replies
 * hold distinct members and the set shrinks by exactly what was popped. */
static void test_big_pop_and_sample(void **state)
{
    (void)state;
    enum { N = 100000 };
    add_many("big", "m:", 0, N);
    unsigned char *seen = calloc(N, 1);
    assert_non_null(seen);
    const long rand_counts[] = {100, 40000, 99999};
    for (size_t k = 0; k < 3; k++) {
        memset(seen, 0, N);
        redisReply *r = cmd("SRANDMEMBER big %ld", rand_counts[k]);
        assert_int_equal(r->elements, (size_t)rand_counts[k]);
        for (size_t i = 0; i < r->elements; i++) {
            long idx = member_index(r->element[i]);
            assert_in_range(idx, 0, N - 1);
            assert_int_equal(seen[idx]++, 0);
        }
        freeReplyObject(r);
    }
    memset(seen, 0, N);
    long left = N;
    const long pops[] = {10000, 85000, 4000}; /* case 2, case 3, case 2 */
    for (size_t k = 0; k < 3; k++) {
        redisReply *r = cmd("SPOP big %ld", pops[k]);
        assert_int_equal(r->elements, (size_t)pops[k]);
        for (size_t i = 0; i < r->elements; i++) {
            long idx = member_index(r->element[i]);
            assert_in_range(idx, 0, N - 1);
            assert_int_equal(seen[idx]++, 0);
        }
        freeReplyObject(r);
        left -= pops[k];
        expect_int(cmd("SCARD big"), left);
    }
    /* What is left is exactly what was never popped. */
    redisReply *r = cmd("SMEMBERS big");
    assert_int_equal(r->elements, (size_t)left);
    for (size_t i = 0; i < r->elements; i++) {
        long idx = member_index(r->element[i]);
        assert_in_range(idx, 0, N - 1);
        assert_int_equal(seen[idx]++, 0);
    }
    freeReplyObject(r);
    r = cmd("SPOP big %ld", left + 1);
    assert_int_equal(r->elements, (size_t)left);
    freeReplyObject(r);
    expect_int(cmd("EXISTS big"), 0);
    free(seen);
}

/* Large intsets (threshold raised): intset operations at size. */
static void test_big_intset(void **state)
{
    (void)state;
    expect_status(cmd("CONFIG SET set-max-intset-entries 20000"), "OK");
    add_many("i", NULL, -5000, 20000);
    expect_encoding("i", "intset");
    expect_int(cmd("SCARD i"), 20000);
    expect_int(cmd("SISMEMBER i -5000"), 1);
    expect_int(cmd("SISMEMBER i 15000"), 0);
    add_many("j", NULL, 0, 100);
    expect_int(cmd("SINTERCARD 2 i j"), 100);
    expect_int(cmd("SDIFFSTORE d j i"), 0);
    expect_int(cmd("SUNIONSTORE d i j"), 20000);
    expect_encoding("d", "intset");
    expect_int(cmd("SADD i 15000"), 1);
    expect_encoding("i", "hashtable");
    redisReply *r = cmd("SPOP d 19990");
    assert_int_equal(r->elements, 19990);
    freeReplyObject(r);
    expect_encoding("d", "intset");
    expect_int(cmd("SCARD d"), 10);
}

/* SRANDMEMBER with a huge negative count asks for billions of draws, as in
 * Redis; the output buffer limit ends it: that client is closed, the server
 * goes on. */
static void test_huge_negative_count(void **state)
{
    (void)state;
    expect_int(cmd("SADD s a b c"), 3);
    expect_status(cmd("CONFIG SET client-output-buffer-limit %s", "normal 1mb 0 0"), "OK");
    redisContext *other = harness_connect(&srv);
    assert_non_null(other);
    redisReply *r = redisCommand(other, "SRANDMEMBER s -9223372036854775807");
    assert_null(r);
    redisFree(other);
    expect_status(cmd("CONFIG SET client-output-buffer-limit %s", "normal 0 0 0"), "OK");
    expect_status(cmd("PING"), "PONG");
    expect_int(cmd("SCARD s"), 3);
}

static void test_wrongtype(void **state)
{
    (void)state;
    expect_status(cmd("SET str v"), "OK");
    const char *cmds[] = {
        "SADD str a",       "SREM str a",        "SMEMBERS str",     "SISMEMBER str a",
        "SMISMEMBER str a", "SCARD str",         "SPOP str",         "SPOP str 2",
        "SRANDMEMBER str",  "SRANDMEMBER str 2", "SINTER str",       "SUNION str",
        "SDIFF str",        "SSCAN str 0",       "SINTERCARD 1 str", "SUNIONSTORE d str",
        "SMOVE str d a",    "SINTERSTORE d str", "SDIFFSTORE d str",
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        expect_error(cmd(cmds[i]), WRONGTYPE);
    expect_str(cmd("GET str"), "v");
    expect_int(cmd("EXISTS d"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sadd_srem, test_setup),
        cmocka_unit_test_setup(test_encoding_conversion, test_setup),
        cmocka_unit_test_setup(test_smove, test_setup),
        cmocka_unit_test_setup(test_spop, test_setup),
        cmocka_unit_test_setup(test_srandmember, test_setup),
        cmocka_unit_test_setup(test_random_distribution, test_setup),
        cmocka_unit_test_setup(test_algebra, test_setup),
        cmocka_unit_test_setup(test_binary_members, test_setup),
        cmocka_unit_test_setup(test_sscan_100k, test_setup),
        cmocka_unit_test_setup(test_big_pop_and_sample, test_setup),
        cmocka_unit_test_setup(test_big_intset, test_setup),
        cmocka_unit_test_setup(test_huge_negative_count, test_setup),
        cmocka_unit_test_setup(test_wrongtype, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
