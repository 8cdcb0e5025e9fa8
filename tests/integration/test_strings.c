/* test_strings: integration tests of the string commands (t_string.c)
 * against a real keel-server: GET/SET and every SET option with its errors,
 * TTLs set by SET/SETEX/PSETEX/GETEX and expiry actually happening,
 * MSET/MGET/MSETNX, GETSET/GETDEL/GETEX, APPEND/STRLEN, GETRANGE/SUBSTR/
 * SETRANGE with the size limit, 1 MB binary values with NUL bytes, the
 * counters with their overflow errors, INCRBYFLOAT and LCS.  Every assertion
 * checks the exact reply type and value. */
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

/* A bulk string reply equal to the len bytes at p (binary safe). */
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

/* An integer reply within [lo, hi] (TTLs). */
static void expect_int_between(redisReply *r, long long lo, long long hi)
{
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_in_range(r->integer, lo, hi);
    freeReplyObject(r);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
    return 0;
}

/* ---------------------------------------------------------------- tests */

static void test_get_set_basic(void **state)
{
    (void)state;
    expect_nil(cmd("GET missing"));
    expect_ok(cmd("SET k v"));
    expect_str(cmd("GET k"), "v");
    expect_ok(cmd("SET k other"));
    expect_str(cmd("GET k"), "other");
    expect_ok(cmd("SET %s %s", "e", ""));
    expect_str(cmd("GET e"), "");
    expect_int(cmd("STRLEN e"), 0);

    /* Encodings as Redis picks them. */
    expect_ok(cmd("SET k 12345"));
    expect_str(cmd("OBJECT ENCODING k"), "int");
    expect_str(cmd("GET k"), "12345");
    expect_ok(cmd("SET k -9223372036854775808"));
    expect_str(cmd("OBJECT ENCODING k"), "int");
    expect_str(cmd("GET k"), "-9223372036854775808");
    expect_ok(cmd("SET k 9223372036854775808"));
    expect_str(cmd("OBJECT ENCODING k"), "embstr");
    expect_ok(cmd("SET k 007"));
    expect_str(cmd("OBJECT ENCODING k"), "embstr");
    expect_ok(cmd("SET k %s", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 44 */
    expect_str(cmd("OBJECT ENCODING k"), "embstr");
    expect_ok(cmd("SET k %s", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 45 */
    expect_str(cmd("OBJECT ENCODING k"), "raw");

    expect_error(cmd("GET"), "ERR wrong number of arguments for 'get' command");
    expect_error(cmd("SET k"), "ERR wrong number of arguments for 'set' command");
}

static void test_set_options(void **state)
{
    (void)state;
    /* NX / XX */
    expect_nil(cmd("SET k v XX"));
    expect_int(cmd("EXISTS k"), 0);
    expect_ok(cmd("SET k v NX"));
    expect_nil(cmd("SET k v2 NX"));
    expect_str(cmd("GET k"), "v");
    expect_ok(cmd("SET k v2 XX"));
    expect_str(cmd("GET k"), "v2");

    /* GET, alone and with NX/XX (NX+GET is allowed since 7.0) */
    expect_str(cmd("SET k v3 GET"), "v2");
    expect_nil(cmd("SET new v GET"));
    expect_str(cmd("GET new"), "v");
    expect_str(cmd("SET k v4 NX GET"), "v3");
    expect_str(cmd("GET k"), "v3");
    expect_nil(cmd("SET fresh v NX GET"));
    expect_str(cmd("GET fresh"), "v");
    expect_nil(cmd("SET absent v XX GET"));
    expect_int(cmd("EXISTS absent"), 0);

    /* Combination rules */
    const char *syntax[] = {
        "SET k v NX XX",         "SET k v XX NX",
        "SET k v EX 10 PX 10",   "SET k v PX 10 EX 10",
        "SET k v EXAT 10 EX 10", "SET k v KEEPTTL EX 10",
        "SET k v EX 10 KEEPTTL", "SET k v PXAT 1 EXAT 1",
        "SET k v PERSIST",       "SET k v EX",
        "SET k v PXAT",          "SET k v BOGUS",
        "SET k v EX abc NX XX",  "SET k v NXX",
    };
    for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
        expect_error(cmd(syntax[i]), "ERR syntax error");
    /* Repeating the same option is fine; the last expiry wins. */
    expect_ok(cmd("SET nn v nx nx"));
    expect_ok(cmd("SET k v EX 10 EX 1000"));
    expect_int_between(cmd("TTL k"), 999, 1000);
    expect_str(cmd("SET k w xx GET get"), "v");
    expect_str(cmd("GET k"), "w");

    /* Expiry values */
    const char *invalid[] = {
        "SET k v EX 0",
        "SET k v EX -1",
        "SET k v PX 0",
        "SET k v EXAT 0",
        "SET k v PXAT -1",
        "SET k v EX 9223372036854775807",
        "SET k v EX 9223372036854776",
        "SET k v PX 9223372036854775807",
        "SET k v EXAT 9223372036854776",
        "SET k v EX 9223372036854775", /* fits in ms, overflows when now is added */
    };
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        expect_error(cmd(invalid[i]), "ERR invalid expire time in 'set' command");
    expect_error(cmd("SET k v EX abc"), "ERR value is not an integer or out of range");
    expect_error(cmd("SET k v PX 1.5"), "ERR value is not an integer or out of range");
    expect_ok(cmd("SET k v EXAT 9223372036854775"));
    expect_ok(cmd("SET k v PXAT 9223372036854775807"));
    expect_int_between(cmd("PTTL k"), 9000000000000000000LL, 9223372036854775807LL);
}

static void test_set_ttl(void **state)
{
    (void)state;
    expect_ok(cmd("SET k v EX 100"));
    expect_int_between(cmd("PTTL k"), 99000, 100000);
    expect_ok(cmd("SET k v2 KEEPTTL"));
    expect_int_between(cmd("PTTL k"), 99000, 100000);
    expect_str(cmd("GET k"), "v2");
    expect_ok(cmd("SET k v3"));
    expect_int(cmd("PTTL k"), -1);

    expect_ok(cmd("SET k v PX 50000"));
    expect_int_between(cmd("PTTL k"), 49000, 50000);
    long long at = wall_ms() / 1000 + 200;
    expect_ok(cmd("SET k v EXAT %lld", at));
    expect_int_between(cmd("TTL k"), 198, 200);
    expect_ok(cmd("SET k v PXAT %lld", wall_ms() + 300000));
    expect_int_between(cmd("PTTL k"), 298000, 300000);

    /* An absolute time in the past: the SET succeeds and the key is gone. */
    expect_ok(cmd("SET k v EXAT 1"));
    expect_nil(cmd("GET k"));
    expect_int(cmd("EXISTS k"), 0);

    /* SET ... GET EX: the old value, then the TTL applies. */
    expect_ok(cmd("SET g old"));
    expect_str(cmd("SET g new GET EX 100"), "old");
    expect_int_between(cmd("TTL g"), 99, 100);
}

static void test_expiry_happens(void **state)
{
    (void)state;
    expect_ok(cmd("SET a v PX 50"));
    expect_ok(cmd("PSETEX b 50 v"));
    expect_ok(cmd("SET c v"));
    expect_str(cmd("GETEX c PX 50"), "v");
    expect_ok(cmd("SET d v PX 50"));
    expect_str(cmd("GETEX d PERSIST"), "v");
    expect_str(cmd("GET a"), "v");
    sleep_ms(100);
    expect_nil(cmd("GET a"));
    expect_nil(cmd("GET b"));
    expect_nil(cmd("GETEX c"));
    expect_int(cmd("EXISTS a b c"), 0);
    expect_str(cmd("GET d"), "v");
    expect_int(cmd("TTL d"), -1);
    /* An expired key is absent for every command. */
    expect_ok(cmd("SET n 5 PX 50"));
    sleep_ms(100);
    expect_int(cmd("INCR n"), 1);
    expect_int(cmd("TTL n"), -1);
    expect_ok(cmd("SET s abc PX 50"));
    sleep_ms(100);
    expect_int(cmd("APPEND s x"), 1);
    expect_int(cmd("STRLEN s"), 1);
}

static void test_setnx_setex_psetex(void **state)
{
    (void)state;
    expect_int(cmd("SETNX k 1"), 1);
    expect_int(cmd("SETNX k 2"), 0);
    expect_str(cmd("GET k"), "1");

    expect_ok(cmd("SETEX k 100 v"));
    expect_str(cmd("GET k"), "v");
    expect_int_between(cmd("TTL k"), 99, 100);
    expect_error(cmd("SETEX k 0 v"), "ERR invalid expire time in 'setex' command");
    expect_error(cmd("SETEX k -5 v"), "ERR invalid expire time in 'setex' command");
    expect_error(cmd("SETEX k 9223372036854775807 v"),
                 "ERR invalid expire time in 'setex' command");
    expect_error(cmd("SETEX k abc v"), "ERR value is not an integer or out of range");
    expect_str(cmd("GET k"), "v");

    expect_ok(cmd("PSETEX k 100000 w"));
    expect_int_between(cmd("PTTL k"), 99000, 100000);
    expect_str(cmd("GET k"), "w");
    expect_error(cmd("PSETEX k 0 v"), "ERR invalid expire time in 'psetex' command");
    expect_error(cmd("PSETEX k 9223372036854775807 v"),
                 "ERR invalid expire time in 'psetex' command");
    expect_error(cmd("SETEX k 10"), "ERR wrong number of arguments for 'setex' command");
}

static void test_mset_mget_msetnx(void **state)
{
    (void)state;
    expect_ok(cmd("MSET a 1 b 2 c 3"));
    redisReply *r = cmd("MGET a b nokey c");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    assert_string_equal(r->element[0]->str, "1");
    assert_string_equal(r->element[1]->str, "2");
    assert_int_equal(r->element[2]->type, REDIS_REPLY_NIL);
    assert_string_equal(r->element[3]->str, "3");
    freeReplyObject(r);

    expect_ok(cmd("MSET a x a y"));
    expect_str(cmd("GET a"), "y");
    expect_error(cmd("MSET a 1 b"), "ERR wrong number of arguments for 'mset' command");
    expect_error(cmd("MSETNX a 1 b"), "ERR wrong number of arguments for 'msetnx' command");

    expect_int(cmd("MSETNX x 1 y 2"), 1);
    expect_int(cmd("MSETNX x 9 z 9"), 0);
    expect_int(cmd("EXISTS z"), 0);
    expect_str(cmd("GET x"), "1");
    expect_int(cmd("MSETNX d 1 d 2"), 1);
    expect_str(cmd("GET d"), "2");

    /* MSET drops TTLs */
    expect_ok(cmd("SETEX t 100 v"));
    expect_ok(cmd("MSET t 1"));
    expect_int(cmd("TTL t"), -1);

    /* Many keys at once */
    const int n = 2000;
    const char **argv = calloc((size_t)(2 * n + 1), sizeof(*argv));
    char(*names)[16] = calloc((size_t)n, sizeof(*names));
    assert_non_null(argv);
    assert_non_null(names);
    argv[0] = "MSET";
    for (int i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "m%d", i);
        argv[1 + 2 * i] = names[i];
        argv[2 + 2 * i] = names[i];
    }
    expect_ok(redisCommandArgv(ctx, 2 * n + 1, argv, NULL));
    argv[0] = "MGET";
    for (int i = 0; i < n; i++)
        argv[1 + i] = names[i];
    r = redisCommandArgv(ctx, n + 1, argv, NULL);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(r->element[i]->str, names[i]);
    freeReplyObject(r);
    free(argv);
    free(names);
}

static void test_getset_getdel_getex(void **state)
{
    (void)state;
    expect_nil(cmd("GETSET g 1"));
    expect_str(cmd("GETSET g 2"), "1");
    expect_str(cmd("GET g"), "2");
    expect_ok(cmd("SETEX g 100 v"));
    expect_str(cmd("GETSET g w"), "v");
    expect_int(cmd("TTL g"), -1);

    expect_nil(cmd("GETDEL nokey"));
    expect_str(cmd("GETDEL g"), "w");
    expect_int(cmd("EXISTS g"), 0);

    expect_nil(cmd("GETEX nokey"));
    expect_nil(cmd("GETEX nokey EX abc")); /* a missing key wins over a bad value */
    expect_error(cmd("GETEX nokey BOGUS"), "ERR syntax error");
    expect_ok(cmd("SET x val"));
    expect_str(cmd("GETEX x"), "val");
    expect_int(cmd("TTL x"), -1);
    expect_str(cmd("GETEX x EX 100"), "val");
    expect_int_between(cmd("TTL x"), 99, 100);
    expect_str(cmd("GETEX x PX 200000"), "val");
    expect_int_between(cmd("PTTL x"), 199000, 200000);
    expect_str(cmd("GETEX x EXAT %lld", wall_ms() / 1000 + 300), "val");
    expect_int_between(cmd("TTL x"), 298, 300);
    expect_str(cmd("GETEX x PERSIST"), "val");
    expect_int(cmd("TTL x"), -1);
    expect_error(cmd("GETEX x EX 0"), "ERR invalid expire time in 'getex' command");
    expect_error(cmd("GETEX x PX 9223372036854775807"),
                 "ERR invalid expire time in 'getex' command");
    expect_error(cmd("GETEX x EX abc"), "ERR value is not an integer or out of range");
    expect_error(cmd("GETEX x PERSIST EX 10"), "ERR syntax error");
    expect_error(cmd("GETEX x EX 10 PERSIST"), "ERR syntax error");
    expect_error(cmd("GETEX x NX"), "ERR syntax error");
    expect_error(cmd("GETEX x KEEPTTL"), "ERR syntax error");
    expect_error(cmd("GETEX x EX"), "ERR syntax error");
    /* An absolute time in the past deletes the key after replying. */
    expect_str(cmd("GETEX x PXAT 1"), "val");
    expect_int(cmd("EXISTS x"), 0);
}

static void test_append_strlen(void **state)
{
    (void)state;
    expect_int(cmd("STRLEN nokey"), 0);
    expect_int(cmd("APPEND a hello"), 5);
    expect_int(cmd("APPEND a %s", " world"), 11);
    expect_str(cmd("GET a"), "hello world");
    expect_int(cmd("STRLEN a"), 11);
    expect_int(cmd("APPEND a %s", ""), 11);
    expect_int(cmd("APPEND e %s", ""), 0);
    expect_int(cmd("EXISTS e"), 1);

    expect_int(cmd("APPEND n 12"), 2);
    expect_str(cmd("OBJECT ENCODING n"), "int");
    expect_int(cmd("APPEND n 34"), 4);
    expect_str(cmd("OBJECT ENCODING n"), "raw");
    expect_int(cmd("INCR n"), 1235);
    expect_int(cmd("STRLEN n"), 4);
    expect_ok(cmd("SET n -100"));
    expect_int(cmd("STRLEN n"), 4);

    expect_ok(cmd("SETEX t 100 v"));
    expect_int(cmd("APPEND t w"), 2);
    expect_int_between(cmd("TTL t"), 99, 100);
}

static void test_getrange_setrange(void **state)
{
    (void)state;
    expect_ok(cmd("SET s %s", "Hello World"));
    expect_str(cmd("GETRANGE s 0 4"), "Hello");
    expect_str(cmd("GETRANGE s -5 -1"), "World");
    expect_str(cmd("GETRANGE s 0 -1"), "Hello World");
    expect_str(cmd("GETRANGE s 6 100"), "World");
    expect_str(cmd("GETRANGE s 5 3"), "");
    expect_str(cmd("GETRANGE s -1 -5"), "");
    expect_str(cmd("GETRANGE s 0 -100"), "H"); /* Redis 7.0 clamps the end to 0 */
    expect_str(cmd("GETRANGE s 100 200"), "");
    expect_str(cmd("GETRANGE s -9223372036854775808 9223372036854775807"), "Hello World");
    expect_str(cmd("SUBSTR s 0 4"), "Hello");
    expect_str(cmd("GETRANGE nokey 0 -1"), "");
    expect_error(cmd("GETRANGE s a 1"), "ERR value is not an integer or out of range");
    expect_ok(cmd("SET i 12345"));
    expect_str(cmd("GETRANGE i 1 3"), "234");
    expect_ok(cmd("SET %s %s", "e", ""));
    expect_str(cmd("GETRANGE e 0 0"), "");

    expect_int(cmd("SETRANGE s 6 Redis"), 11);
    expect_str(cmd("GET s"), "Hello Redis");
    expect_int(cmd("SETRANGE s 11 !!"), 13);
    expect_str(cmd("GET s"), "Hello Redis!!");
    expect_int(cmd("SETRANGE s 0 %s", ""), 13);
    expect_int(cmd("SETRANGE nokey 10 %s", ""), 0);
    expect_int(cmd("EXISTS nokey"), 0);
    expect_int(cmd("SETRANGE z 3 x"), 4);
    expect_bin(cmd("GET z"), "\0\0\0x", 4);
    expect_ok(cmd("SET i 12345"));
    expect_int(cmd("SETRANGE i 0 9"), 5);
    expect_str(cmd("GET i"), "92345");
    expect_str(cmd("OBJECT ENCODING i"), "raw");

    expect_error(cmd("SETRANGE s -1 x"), "ERR offset is out of range");
    expect_error(cmd("SETRANGE s abc x"), "ERR value is not an integer or out of range");
    expect_error(cmd("SETRANGE s 536870912 x"),
                 "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    expect_error(cmd("SETRANGE s 536870911 xx"),
                 "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    expect_error(cmd("SETRANGE s 9223372036854775807 x"),
                 "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    expect_error(cmd("SETRANGE big 536870912 x"),
                 "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    expect_int(cmd("EXISTS big"), 0);
}

static void test_binary_1mb(void **state)
{
    (void)state;
    const size_t n = 1024 * 1024;
    unsigned char *v = malloc(n);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (unsigned char)((i * 7 + i / 256) & 0xff); /* NULs, \r, \n throughout */
    const char key[] = "bin\0key";
    expect_ok(cmd("SET %b %b", key, sizeof(key), v, n));
    expect_bin(cmd("GET %b", key, sizeof(key)), v, n);
    expect_int(cmd("STRLEN %b", key, sizeof(key)), (long long)n);
    expect_bin(cmd("GETRANGE %b 1000 1999", key, sizeof(key)), v + 1000, 1000);
    expect_str(cmd("OBJECT ENCODING %b", key, sizeof(key)), "raw");

    expect_int(cmd("APPEND %b %b", key, sizeof(key), "\0\r\n", (size_t)3), (long long)n + 3);
    expect_bin(cmd("GETRANGE %b -3 -1", key, sizeof(key)), "\0\r\n", 3);
    expect_int(cmd("SETRANGE %b %d %b", key, sizeof(key), 10, "\0\0", (size_t)2), (long long)n + 3);
    v[10] = v[11] = 0;
    expect_bin(cmd("GETRANGE %b 0 %lld", key, sizeof(key), (long long)n - 1), v, n);

    /* A value that grows by SETRANGE past its end is zero-filled. */
    expect_int(cmd("SETRANGE grow %d %b", (int)n, "x", (size_t)1), (long long)n + 1);
    redisReply *r = cmd("GET grow");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, n + 1);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(r->str[i], 0);
    assert_int_equal(r->str[n], 'x');
    freeReplyObject(r);

    expect_ok(cmd("MSET b2 %b other %b", v, n, "", (size_t)0));
    r = cmd("MGET b2 other");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_int_equal(r->element[0]->len, n);
    assert_memory_equal(r->element[0]->str, v, n);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_STRING);
    assert_int_equal(r->element[1]->len, 0);
    freeReplyObject(r);
    free(v);
}

static void test_counters(void **state)
{
    (void)state;
    expect_int(cmd("INCR c"), 1);
    expect_int(cmd("INCR c"), 2);
    expect_int(cmd("DECR c"), 1);
    expect_int(cmd("INCRBY c 100"), 101);
    expect_int(cmd("DECRBY c 200"), -99);
    expect_int(cmd("INCRBY c -1"), -100);
    expect_str(cmd("GET c"), "-100");
    expect_str(cmd("OBJECT ENCODING c"), "int");
    expect_int(cmd("DECR fresh"), -1);

    const char *not_int[] = {"abc",
                             " 1",
                             "1 ",
                             "+1",
                             "01",
                             "1.5",
                             "",
                             "-0",
                             "9223372036854775808",
                             "12345678901234567890"};
    for (size_t i = 0; i < sizeof(not_int) / sizeof(not_int[0]); i++) {
        expect_ok(cmd("SET bad %s", not_int[i]));
        expect_error(cmd("INCR bad"), "ERR value is not an integer or out of range");
    }
    expect_error(cmd("INCRBY c abc"), "ERR value is not an integer or out of range");
    expect_error(cmd("INCRBY c 99999999999999999999"),
                 "ERR value is not an integer or out of range");

    expect_ok(cmd("SET m 9223372036854775806"));
    expect_int(cmd("INCR m"), 9223372036854775807LL);
    expect_error(cmd("INCR m"), "ERR increment or decrement would overflow");
    expect_str(cmd("GET m"), "9223372036854775807");
    expect_ok(cmd("SET m -9223372036854775807"));
    expect_int(cmd("DECR m"), (long long)(-9223372036854775807LL - 1));
    expect_error(cmd("DECR m"), "ERR increment or decrement would overflow");
    expect_error(cmd("INCRBY m -1"), "ERR increment or decrement would overflow");
    expect_ok(cmd("SET m 1"));
    expect_error(cmd("INCRBY m 9223372036854775807"), "ERR increment or decrement would overflow");
    expect_error(cmd("DECRBY m -9223372036854775808"), "ERR decrement would overflow");
    expect_int(cmd("DECRBY m 9223372036854775807"), -9223372036854775806LL);

    /* INCR keeps the TTL */
    expect_ok(cmd("SETEX t 100 5"));
    expect_int(cmd("INCR t"), 6);
    expect_int_between(cmd("TTL t"), 99, 100);
}

static void test_incrbyfloat(void **state)
{
    (void)state;
    expect_str(cmd("INCRBYFLOAT f 10.5"), "10.5");
    expect_str(cmd("INCRBYFLOAT f 0.1"), "10.6");
    expect_str(cmd("INCRBYFLOAT f -5"), "5.6");
    expect_str(cmd("GET f"), "5.6");
    expect_str(cmd("OBJECT ENCODING f"), "embstr");
    expect_ok(cmd("SET f 5.0e3"));
    expect_str(cmd("INCRBYFLOAT f 2.0e2"), "5200");
    expect_int(cmd("INCR f"), 5201); /* "5200" is an integer again */
    expect_ok(cmd("SET f 3"));
    expect_str(cmd("INCRBYFLOAT f 1.5"), "4.5");
    expect_ok(cmd("SET f 0.1"));
    expect_str(cmd("INCRBYFLOAT f 0.2"), "0.3");
    expect_ok(cmd("SET f 1.5"));
    expect_str(cmd("INCRBYFLOAT f -1.5"), "0");

    expect_error(cmd("INCRBYFLOAT f abc"), "ERR value is not a valid float");
    expect_error(cmd("INCRBYFLOAT f %s", ""), "ERR value is not a valid float");
    expect_error(cmd("INCRBYFLOAT f nan"), "ERR value is not a valid float");
    expect_ok(cmd("SET s abc"));
    expect_error(cmd("INCRBYFLOAT s 1"), "ERR value is not a valid float");
    expect_error(cmd("INCRBYFLOAT f inf"), "ERR increment would produce NaN or Infinity");
    expect_error(cmd("INCRBYFLOAT f -inf"), "ERR increment would produce NaN or Infinity");
    expect_str(cmd("GET f"), "0");

    /* INCRBYFLOAT keeps the TTL */
    expect_ok(cmd("SETEX t 100 1"));
    expect_str(cmd("INCRBYFLOAT t 0.25"), "1.25");
    expect_int_between(cmd("TTL t"), 99, 100);
}

/* The IDX reply of LCS for a = "ohmytext", b = "mynewtext", the example
 * from Redis's documentation. */
static void test_lcs(void **state)
{
    (void)state;
    expect_ok(cmd("MSET a ohmytext b mynewtext"));
    expect_str(cmd("LCS a b"), "mytext");
    expect_int(cmd("LCS a b LEN"), 6);
    expect_str(cmd("LCS nokey1 nokey2"), "");
    expect_int(cmd("LCS a nokey LEN"), 0);

    redisReply *r = cmd("LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    assert_string_equal(r->element[0]->str, "matches");
    redisReply *m = r->element[1];
    assert_int_equal(m->type, REDIS_REPLY_ARRAY);
    assert_int_equal(m->elements, 1);
    redisReply *one = m->element[0];
    assert_int_equal(one->elements, 3);
    assert_int_equal(one->element[0]->element[0]->integer, 4);
    assert_int_equal(one->element[0]->element[1]->integer, 7);
    assert_int_equal(one->element[1]->element[0]->integer, 5);
    assert_int_equal(one->element[1]->element[1]->integer, 8);
    assert_int_equal(one->element[2]->integer, 4);
    assert_string_equal(r->element[2]->str, "len");
    assert_int_equal(r->element[3]->integer, 6);
    freeReplyObject(r);

    r = cmd("LCS a b IDX");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[1]->elements, 2);
    /* the second run: "my" at a[2..3], b[0..1] */
    redisReply *two = r->element[1]->element[1];
    assert_int_equal(two->elements, 2);
    assert_int_equal(two->element[0]->element[0]->integer, 2);
    assert_int_equal(two->element[0]->element[1]->integer, 3);
    assert_int_equal(two->element[1]->element[0]->integer, 0);
    assert_int_equal(two->element[1]->element[1]->integer, 1);
    freeReplyObject(r);

    expect_error(cmd("LCS a b LEN IDX"),
                 "ERR If you want both the length and indexes, please just use IDX.");
    expect_error(cmd("LCS a b BOGUS"), "ERR syntax error");
    expect_error(cmd("LCS a b MINMATCHLEN"), "ERR syntax error");
    expect_error(cmd("LCS a b MINMATCHLEN x"), "ERR value is not an integer or out of range");

    /* binary */
    expect_ok(cmd("MSET %b %b %b %b", "x", (size_t)1, "a\0b\0c", (size_t)5, "y", (size_t)1, "\0\0c",
                  (size_t)3));
    expect_bin(cmd("LCS x y"), "\0\0c", 3);

    /* the transient table is bounded by proto-max-bulk-len */
    char *big = malloc(20001);
    assert_non_null(big);
    memset(big, 'a', 20000);
    big[20000] = '\0';
    expect_ok(cmd("SET big %s", big));
    expect_error(cmd("LCS big big"),
                 "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    free(big);
}

/* WRONGTYPE needs a key of another type; skipped until one exists. */
static void test_wrongtype(void **state)
{
    (void)state;
    redisReply *r = cmd("RPUSH l a");
    if (r->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(r);
        r = cmd("SADD l a");
    }
    if (r->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(r);
        r = cmd("HSET l f v");
    }
    int have_type = r->type == REDIS_REPLY_INTEGER;
    freeReplyObject(r);
    if (!have_type)
        skip();

    const char *wt = "WRONGTYPE Operation against a key holding the wrong kind of value";
    const char *cmds[] = {
        "GET l",           "SET l v GET", "GETSET l v", "GETDEL l",        "GETEX l",
        "GETEX l EX 10",   "APPEND l x",  "STRLEN l",   "GETRANGE l 0 1",  "SETRANGE l 0 x",
        "SETRANGE l 0 %s", "INCR l",      "DECRBY l 3", "INCRBYFLOAT l 1",
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        expect_error(cmd(cmds[i], ""), wt);
    expect_error(cmd("LCS l l"), "ERR The specified keys must contain string values");
    expect_error(cmd("SET l v GET EX 0"), "ERR invalid expire time in 'set' command");
    expect_error(cmd("INCRBY l abc"), "ERR value is not an integer or out of range");
    expect_int(cmd("SETNX l v"), 0);
    expect_int(cmd("MSETNX l v"), 0);
    r = cmd("MGET l");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    expect_ok(cmd("SET l v"));
    expect_str(cmd("GET l"), "v");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_get_set_basic, test_setup),
        cmocka_unit_test_setup(test_set_options, test_setup),
        cmocka_unit_test_setup(test_set_ttl, test_setup),
        cmocka_unit_test_setup(test_expiry_happens, test_setup),
        cmocka_unit_test_setup(test_setnx_setex_psetex, test_setup),
        cmocka_unit_test_setup(test_mset_mget_msetnx, test_setup),
        cmocka_unit_test_setup(test_getset_getdel_getex, test_setup),
        cmocka_unit_test_setup(test_append_strlen, test_setup),
        cmocka_unit_test_setup(test_getrange_setrange, test_setup),
        cmocka_unit_test_setup(test_binary_1mb, test_setup),
        cmocka_unit_test_setup(test_counters, test_setup),
        cmocka_unit_test_setup(test_incrbyfloat, test_setup),
        cmocka_unit_test_setup(test_lcs, test_setup),
        cmocka_unit_test_setup(test_wrongtype, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
