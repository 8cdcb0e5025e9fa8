/* test_keys: integration tests of the generic keyspace commands (keys.c)
 * against a real keel-server: DEL/EXISTS/TYPE, KEYS patterns, SCAN (full
 * iteration while the table grows, MATCH/TYPE/COUNT), expiry (options,
 * active expiry, TTL replies), RENAME, MOVE and COPY across databases,
 * RANDOMKEY and OBJECT.  Every assertion checks the exact reply. */
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

/* A command with binary-safe arguments (keys with NUL bytes, empty keys). */
static redisReply *cmdv(int argc, const char **argv, const size_t *lens)
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
    assert_memory_equal(r->str, s, r->len);
    freeReplyObject(r);
}

static void expect_nil(redisReply *r)
{
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An array reply of strings equal, as a set, to the NULL-terminated list. */
static void expect_set(redisReply *r, const char **want)
{
    size_t n = 0;
    while (want[n])
        n++;
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, n);
    const char **got = calloc(n + 1, sizeof(*got));
    const char **exp = calloc(n + 1, sizeof(*exp));
    assert_non_null(got);
    assert_non_null(exp);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r->element[i]->type, REDIS_REPLY_STRING);
        got[i] = r->element[i]->str;
        exp[i] = want[i];
    }
    qsort(got, n, sizeof(*got), cmp_cstr);
    qsort(exp, n, sizeof(*exp), cmp_cstr);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(got[i], exp[i]);
    free(got);
    free(exp);
    freeReplyObject(r);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
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
    redisReply *r = redisCommand(ctx, "SELECT 0");
    if (!r)
        return -1;
    freeReplyObject(r);
    r = redisCommand(ctx, "FLUSHALL");
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

/* ---------------------------------------------------------------- tests */

static void test_del_exists_type(void **state)
{
    (void)state;
    expect_status(cmd("SET a 1"), "OK");
    expect_status(cmd("SET b 2"), "OK");
    const char *set_bin[] = {"SET", "k\0ey", "v"};
    size_t set_bin_len[] = {3, 4, 1};
    expect_status(cmdv(3, set_bin, set_bin_len), "OK");
    const char *set_empty[] = {"SET", "", "v"};
    size_t set_empty_len[] = {3, 0, 1};
    expect_status(cmdv(3, set_empty, set_empty_len), "OK");

    expect_int(cmd("EXISTS a a b nokey"), 3);
    const char *ex[] = {"EXISTS", "k\0ey", "", "k"};
    size_t ex_len[] = {6, 4, 0, 1};
    expect_int(cmdv(4, ex, ex_len), 2);

    expect_status(cmd("TYPE a"), "string");
    expect_status(cmd("TYPE nokey"), "none");
    expect_error(cmd("TYPE"), "ERR wrong number of arguments for 'type' command");

    expect_int(cmd("DEL a nokey a"), 1);
    expect_int(cmd("UNLINK b"), 1);
    const char *del[] = {"DEL", "k\0ey", ""};
    size_t del_len[] = {3, 4, 0};
    expect_int(cmdv(3, del, del_len), 2);
    expect_int(cmd("EXISTS a b"), 0);
    expect_int(cmd("DBSIZE"), 0);
    expect_error(cmd("DEL"), "ERR wrong number of arguments for 'del' command");
}

static void test_keys_patterns(void **state)
{
    (void)state;
    const char *names[] = {"hello", "hallo", "hbllo", "hxllo", "hllo", "heeello", "h*llo", "foo"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        expect_status(cmd("SET %s v", names[i]), "OK");

    expect_set(cmd("KEYS h?llo"),
               (const char *[]){"hello", "hallo", "hbllo", "hxllo", "h*llo", NULL});
    expect_set(cmd("KEYS h*llo"), (const char *[]){"hello", "hallo", "hbllo", "hxllo", "hllo",
                                                   "heeello", "h*llo", NULL});
    expect_set(cmd("KEYS h[ae]llo"), (const char *[]){"hello", "hallo", NULL});
    expect_set(cmd("KEYS h[^e]llo"), (const char *[]){"hallo", "hbllo", "hxllo", "h*llo", NULL});
    expect_set(cmd("KEYS h[a-b]llo"), (const char *[]){"hallo", "hbllo", NULL});
    expect_set(cmd("KEYS %s", "h\\*llo"), (const char *[]){"h*llo", NULL});
    expect_set(cmd("KEYS hello"), (const char *[]){"hello", NULL});
    expect_set(cmd("KEYS nosuchkey"), (const char *[]){NULL});
    expect_set(cmd("KEYS *"), (const char *[]){"hello", "hallo", "hbllo", "hxllo", "hllo",
                                               "heeello", "h*llo", "foo", NULL});

    /* Expired keys are not listed, by pattern or by literal. */
    expect_int(cmd("PEXPIRE foo 1"), 1);
    harness_sleep_ms(20);
    expect_set(cmd("KEYS f*"), (const char *[]){NULL});
    expect_set(cmd("KEYS foo"), (const char *[]){NULL});
}

/* SCAN from cursor 0 until the cursor comes back as 0, calling between(i)
 * after each call; marks seen[n] for each key "<prefix>:<n>". */
static void scan_collect(const char *opts, const char *prefix, int *seen, int nseen,
                         void (*between)(int))
{
    char cursor[32] = "0";
    size_t plen = strlen(prefix);
    for (int calls = 0;; calls++) {
        assert_true(calls < 1000000);
        /* opts holds several words: build a line hiredis splits on spaces
         * (it contains no '%'). */
        char line[256];
        snprintf(line, sizeof(line), "SCAN %s %s", cursor, opts ? opts : "");
        redisReply *r = redisCommand(ctx, line);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 2);
        assert_int_equal(r->element[0]->type, REDIS_REPLY_STRING);
        assert_int_equal(r->element[1]->type, REDIS_REPLY_ARRAY);
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            const char *k = r->element[1]->element[i]->str;
            if (strncmp(k, prefix, plen) == 0 && k[plen] == ':') {
                int n = atoi(k + plen + 1);
                if (n >= 0 && n < nseen)
                    seen[n]++;
            }
        }
        freeReplyObject(r);
        if (strcmp(cursor, "0") == 0)
            break;
        if (between)
            between(calls);
    }
}

#define SCAN_ORIG 2000
#define SCAN_ADDED 10000
static int scan_added;

/* Adds 200 new keys per SCAN call (pipelined) until SCAN_ADDED were added:
 * the table doubles several times while the scan is in progress. */
static void scan_add_batch(int call)
{
    (void)call;
    int n = 0;
    while (scan_added < SCAN_ADDED && n < 200) {
        redisAppendCommand(ctx, "SET new:%d v", scan_added++);
        n++;
    }
    for (int i = 0; i < n; i++) {
        redisReply *r = NULL;
        assert_int_equal(redisGetReply(ctx, (void **)&r), REDIS_OK);
        freeReplyObject(r);
    }
}

static void test_scan_survives_rehashing(void **state)
{
    (void)state;
    for (int i = 0; i < SCAN_ORIG; i++)
        redisAppendCommand(ctx, "SET orig:%d v", i);
    for (int i = 0; i < SCAN_ORIG; i++) {
        redisReply *r = NULL;
        assert_int_equal(redisGetReply(ctx, (void **)&r), REDIS_OK);
        freeReplyObject(r);
    }
    int *seen = calloc(SCAN_ORIG, sizeof(int));
    assert_non_null(seen);
    scan_added = 0;
    scan_collect("COUNT 10", "orig", seen, SCAN_ORIG, scan_add_batch);
    assert_int_equal(scan_added, SCAN_ADDED); /* all were added while the scan ran */
    /* Every key present for the whole scan is returned at least once. */
    for (int i = 0; i < SCAN_ORIG; i++) {
        if (seen[i] < 1)
            fail_msg("orig:%d was never returned by SCAN", i);
    }
    free(seen);
    expect_int(cmd("DBSIZE"), SCAN_ORIG + scan_added);

    /* And a quiet full scan returns each key exactly once. */
    int *once = calloc(SCAN_ADDED, sizeof(int));
    assert_non_null(once);
    scan_collect("COUNT 100", "new", once, SCAN_ADDED, NULL);
    for (int i = 0; i < scan_added; i++) {
        if (once[i] != 1)
            fail_msg("new:%d returned %d times by a quiet SCAN", i, once[i]);
    }
    free(once);
}

static void test_scan_options(void **state)
{
    (void)state;
    for (int i = 0; i < 50; i++)
        expect_status(cmd("SET key:%d v", i), "OK");
    expect_status(cmd("SET other v"), "OK");

    /* MATCH: only key:1 and key:10..key:19. */
    int seen[50] = {0};
    scan_collect("MATCH key:1* COUNT 3", "key", seen, 50, NULL);
    for (int i = 0; i < 50; i++)
        assert_int_equal(seen[i] > 0, i == 1 || (i >= 10 && i <= 19));

    /* TYPE: every string key; an unknown type matches nothing. */
    memset(seen, 0, sizeof(seen));
    scan_collect("TYPE string", "key", seen, 50, NULL);
    for (int i = 0; i < 50; i++)
        assert_true(seen[i] > 0);
    redisReply *r = cmd("SCAN 0 TYPE list COUNT 1000");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "0");
    assert_int_equal(r->element[1]->elements, 0);
    freeReplyObject(r);

    /* COUNT large enough returns everything at once. */
    r = cmd("SCAN 0 COUNT 1000");
    assert_string_equal(r->element[0]->str, "0");
    assert_int_equal(r->element[1]->elements, 51);
    freeReplyObject(r);

    /* Expired keys are filtered out. */
    expect_int(cmd("PEXPIRE other 1"), 1);
    harness_sleep_ms(20);
    r = cmd("SCAN 0 MATCH other COUNT 1000");
    assert_int_equal(r->element[1]->elements, 0);
    freeReplyObject(r);

    expect_error(cmd("SCAN abc"), "ERR invalid cursor");
    expect_error(cmd("SCAN 0 COUNT 0"), "ERR syntax error");
    expect_error(cmd("SCAN 0 COUNT -1"), "ERR syntax error");
    expect_error(cmd("SCAN 0 COUNT x"), "ERR value is not an integer or out of range");
    expect_error(cmd("SCAN 0 MATCH"), "ERR syntax error");
    expect_error(cmd("SCAN 0 FOO bar"), "ERR syntax error");
}

static void test_expire_options(void **state)
{
    (void)state;
    expect_status(cmd("SET k v"), "OK");
    expect_int(cmd("EXPIRE k 100 XX"), 0);
    expect_int(cmd("EXPIRE k 100 GT"), 0); /* no TTL counts as infinite */
    expect_int(cmd("EXPIRE k 100 NX"), 1);
    expect_int(cmd("EXPIRE k 200 NX"), 0);
    expect_int(cmd("TTL k"), 100);
    expect_int(cmd("EXPIRE k 50 XX"), 1);
    expect_int(cmd("TTL k"), 50);
    expect_int(cmd("EXPIRE k 40 GT"), 0);
    expect_int(cmd("EXPIRE k 60 GT"), 1);
    expect_int(cmd("TTL k"), 60);
    expect_int(cmd("EXPIRE k 70 LT"), 0);
    expect_int(cmd("EXPIRE k 30 LT"), 1);
    expect_int(cmd("TTL k"), 30);
    expect_int(cmd("PERSIST k"), 1);
    expect_int(cmd("EXPIRE k 30 LT"), 1);
    expect_int(cmd("TTL k"), 30);

    expect_error(cmd("EXPIRE k 10 NX XX"),
                 "ERR NX and XX, GT or LT options at the same time are not compatible");
    expect_error(cmd("EXPIRE k 10 GT LT"),
                 "ERR GT and LT options at the same time are not compatible");
    expect_error(cmd("EXPIRE k 10 FOO"), "ERR Unsupported option FOO");
    expect_error(cmd("EXPIRE k abc"), "ERR value is not an integer or out of range");
    expect_error(cmd("EXPIRE k 9223372036854775807"),
                 "ERR invalid expire time in 'expire' command");
    expect_error(cmd("PEXPIRE k 9223372036854775807"),
                 "ERR invalid expire time in 'pexpire' command");
    expect_int(cmd("EXPIRE nokey 100"), 0);

    /* A time in the past deletes the key. */
    expect_int(cmd("EXPIRE k -1"), 1);
    expect_int(cmd("EXISTS k"), 0);
    expect_status(cmd("SET k v"), "OK");
    expect_int(cmd("EXPIREAT k 1"), 1);
    expect_int(cmd("EXISTS k"), 0);

    /* Absolute times read back exactly. */
    expect_status(cmd("SET k v"), "OK");
    long long at = (long long)time(NULL) + 1000;
    expect_int(cmd("EXPIREAT k %lld", at), 1);
    expect_int(cmd("EXPIRETIME k"), at);
    expect_int(cmd("PEXPIRETIME k"), at * 1000);
    expect_int(cmd("PEXPIREAT k %lld", at * 1000 + 7), 1);
    expect_int(cmd("PEXPIRETIME k"), at * 1000 + 7);
}

static void test_active_expiry(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++) {
        expect_status(cmd("SET vol:%d v", i), "OK");
        expect_int(cmd("PEXPIRE vol:%d 50", i), 1);
    }
    expect_status(cmd("SET keep v"), "OK");
    /* DBSIZE does not expire keys lazily: the count falls only through the
     * server's own active expiry. */
    long long deadline = now_ms() + 2000;
    long long size = -1;
    while (now_ms() < deadline) {
        redisReply *r = cmd("DBSIZE");
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        size = r->integer;
        freeReplyObject(r);
        if (size == 1)
            break;
        harness_sleep_ms(20);
    }
    assert_int_equal(size, 1);
    expect_int(cmd("EXISTS keep"), 1);
}

static void test_ttl_replies(void **state)
{
    (void)state;
    expect_int(cmd("TTL nokey"), -2);
    expect_int(cmd("PTTL nokey"), -2);
    expect_int(cmd("EXPIRETIME nokey"), -2);
    expect_int(cmd("PEXPIRETIME nokey"), -2);
    expect_status(cmd("SET k v"), "OK");
    expect_int(cmd("TTL k"), -1);
    expect_int(cmd("PTTL k"), -1);
    expect_int(cmd("EXPIRETIME k"), -1);
    expect_int(cmd("PEXPIRETIME k"), -1);
    expect_int(cmd("PEXPIRE k 100000"), 1);
    redisReply *r = cmd("PTTL k");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_in_range(r->integer, 99000, 100000);
    freeReplyObject(r);
    expect_int(cmd("TTL k"), 100);
    expect_int(cmd("PERSIST k"), 1);
    expect_int(cmd("PERSIST k"), 0);
    expect_int(cmd("TTL k"), -1);
}

static void test_rename(void **state)
{
    (void)state;
    expect_error(cmd("RENAME nokey x"), "ERR no such key");
    expect_error(cmd("RENAMENX nokey x"), "ERR no such key");
    expect_status(cmd("SET a 1"), "OK");
    expect_status(cmd("RENAME a a"), "OK");
    expect_int(cmd("RENAMENX a a"), 0);

    expect_int(cmd("EXPIRE a 100"), 1);
    expect_status(cmd("RENAME a b"), "OK");
    expect_int(cmd("EXISTS a"), 0);
    expect_str(cmd("GET b"), "1");
    expect_int(cmd("TTL b"), 100);

    /* RENAMENX leaves an existing destination alone; RENAME overwrites it,
     * and the destination's own TTL goes with its old value. */
    expect_status(cmd("SET c 3"), "OK");
    expect_int(cmd("EXPIRE c 500"), 1);
    expect_int(cmd("RENAMENX b c"), 0);
    expect_str(cmd("GET c"), "3");
    expect_status(cmd("SET d 4"), "OK");
    expect_status(cmd("RENAME d c"), "OK");
    expect_str(cmd("GET c"), "4");
    expect_int(cmd("TTL c"), -1);
    expect_int(cmd("RENAMENX b e"), 1);
    expect_int(cmd("TTL e"), 100);
}

static void test_move_copy(void **state)
{
    (void)state;
    expect_status(cmd("SET k v"), "OK");
    expect_int(cmd("EXPIRE k 100"), 1);
    expect_error(cmd("MOVE k 0"), "ERR source and destination objects are the same");
    expect_error(cmd("MOVE k 16"), "ERR DB index is out of range");
    expect_error(cmd("MOVE k x"), "ERR value is not an integer or out of range");
    expect_int(cmd("MOVE nokey 1"), 0);
    expect_int(cmd("MOVE k 1"), 1);
    expect_int(cmd("EXISTS k"), 0);
    expect_status(cmd("SELECT 1"), "OK");
    expect_str(cmd("GET k"), "v");
    expect_int(cmd("TTL k"), 100);
    expect_status(cmd("SELECT 0"), "OK");
    expect_status(cmd("SET k other"), "OK");
    expect_int(cmd("MOVE k 1"), 0); /* exists there already */

    /* COPY within a database and across, with REPLACE. */
    expect_status(cmd("SET src hello"), "OK");
    expect_int(cmd("EXPIRE src 200"), 1);
    expect_error(cmd("COPY src src"), "ERR source and destination objects are the same");
    expect_int(cmd("COPY src dst"), 1);
    expect_str(cmd("GET dst"), "hello");
    expect_int(cmd("TTL dst"), 200);
    expect_int(cmd("COPY src dst"), 0);
    expect_status(cmd("SET dst2 x"), "OK");
    expect_int(cmd("COPY src dst2 REPLACE"), 1);
    expect_str(cmd("GET dst2"), "hello");
    expect_int(cmd("COPY src src DB 2"), 1);
    expect_int(cmd("COPY src k DB 1"), 0);
    expect_int(cmd("COPY src k DB 1 REPLACE"), 1);
    expect_error(cmd("COPY src x DB 16"), "ERR DB index is out of range");
    expect_error(cmd("COPY src x FOO"), "ERR syntax error");
    expect_int(cmd("COPY nokey x"), 0);

    /* The copy is independent of its source. */
    expect_int(cmd("APPEND dst 123"), 8);
    expect_str(cmd("GET src"), "hello");

    expect_status(cmd("SELECT 2"), "OK");
    expect_str(cmd("GET src"), "hello");
    expect_int(cmd("TTL src"), 200);
    expect_status(cmd("SELECT 1"), "OK");
    expect_str(cmd("GET k"), "hello");
    expect_status(cmd("SELECT 0"), "OK");
}

static void test_randomkey_touch_object(void **state)
{
    (void)state;
    expect_nil(cmd("RANDOMKEY"));
    expect_status(cmd("SET only v"), "OK");
    expect_str(cmd("RANDOMKEY"), "only");
    expect_status(cmd("SET dead v"), "OK");
    expect_int(cmd("PEXPIRE dead 1"), 1);
    harness_sleep_ms(20);
    for (int i = 0; i < 10; i++)
        expect_str(cmd("RANDOMKEY"), "only");

    expect_int(cmd("TOUCH only only nokey"), 2);

    expect_status(cmd("SET s hello"), "OK");
    expect_status(cmd("SET i 12345"), "OK");
    expect_status(cmd("SET r %s", "0123456789012345678901234567890123456789012345"), "OK");
    expect_str(cmd("OBJECT ENCODING s"), "embstr");
    expect_str(cmd("OBJECT ENCODING i"), "int");
    expect_str(cmd("OBJECT ENCODING r"), "raw");
    expect_nil(cmd("OBJECT ENCODING nokey"));
    expect_int(cmd("OBJECT REFCOUNT s"), 1);
    redisReply *r = cmd("OBJECT IDLETIME s");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_in_range(r->integer, 0, 2);
    freeReplyObject(r);
    expect_error(cmd("OBJECT FREQ s"),
                 "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                 "Please note that when switching between policies at runtime LRU and LFU data "
                 "will take some time to adjust.");
    expect_error(cmd("OBJECT ENCODING"),
                 "ERR wrong number of arguments for 'object|encoding' command");
    r = cmd("OBJECT HELP");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 15);
    assert_string_equal(r->element[0]->str,
                        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    freeReplyObject(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_del_exists_type, test_setup),
        cmocka_unit_test_setup(test_keys_patterns, test_setup),
        cmocka_unit_test_setup(test_scan_survives_rehashing, test_setup),
        cmocka_unit_test_setup(test_scan_options, test_setup),
        cmocka_unit_test_setup(test_expire_options, test_setup),
        cmocka_unit_test_setup(test_active_expiry, test_setup),
        cmocka_unit_test_setup(test_ttl_replies, test_setup),
        cmocka_unit_test_setup(test_rename, test_setup),
        cmocka_unit_test_setup(test_move_copy, test_setup),
        cmocka_unit_test_setup(test_randomkey_touch_object, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
