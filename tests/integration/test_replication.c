/* test_replication: a Keel primary and two Keel replicas on free ports.
 * Every data type (several databases, TTLs) replicated by the full sync and
 * by the live stream, offsets equal; -READONLY on replicas; partial resync
 * after CLIENT KILL TYPE replica (sync_partial_ok grows, sync_full does
 * not); REPLICAOF NO ONE promotion with the other replica continuing
 * partially (PSYNC2); WAIT; chained replicas; diskless sync;
 * min-replicas-to-write; INFO replication and ROLE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "harness.h"

#define SYNC_MS 10000

static harness_server P, R1, R2;
static redisContext *pc, *r1c, *r2c;

/* ---------------------------------------------------------------- helpers */

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

static void ok(redisReply *r)
{
    if (r->type == REDIS_REPLY_ERROR)
        fail_msg("unexpected error: %s", r->str);
    freeReplyObject(r);
}

static long long int_reply(redisReply *r)
{
    if (r->type != REDIS_REPLY_INTEGER)
        fail_msg("expected an integer, got type %d '%s'", r->type, r->str ? r->str : "");
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* An INFO field as a string (malloc'd), or NULL. */
static char *info_str(redisContext *c, const char *section, const char *field)
{
    redisReply *r = cmd(c, "INFO %s", section);
    char *out = NULL;
    char key[128];
    snprintf(key, sizeof(key), "\n%s:", field);
    char *p = r->str ? strstr(r->str, key) : NULL;
    if (p) {
        p += strlen(key);
        size_t n = strcspn(p, "\r\n");
        out = strndup(p, n);
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

static int start_replica(harness_server *r, redisContext **rc, int primary_port, const char *extra)
{
    char args[512];
    snprintf(args, sizeof(args), "--replicaof 127.0.0.1 %d --repl-diskless-sync no %s --save",
             primary_port, extra ? extra : "");
    if (harness_start_server(r, args) != 0)
        return -1;
    *rc = harness_connect(r);
    return *rc ? 0 : -1;
}

typedef struct sync_wait {
    redisContext *primary, *replica;
} sync_wait;

static int offsets_equal(void *arg)
{
    sync_wait *w = arg;
    char *link = info_str(w->replica, "replication", "master_link_status");
    int up = link && !strcmp(link, "up");
    free(link);
    if (!up)
        return 0;
    long long a = info_ll(w->primary, "replication", "master_repl_offset");
    long long b = info_ll(w->replica, "replication", "slave_repl_offset");
    return a > 0 && a == b;
}

static void wait_synced(redisContext *primary, redisContext *replica)
{
    sync_wait w = {primary, replica};
    if (!harness_wait_until(offsets_equal, &w, SYNC_MS))
        fail_msg("replica did not catch up: primary offset %lld, replica offset %lld",
                 info_ll(primary, "replication", "master_repl_offset"),
                 info_ll(replica, "replication", "slave_repl_offset"));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A canonical text form of one key's value and TTL presence. */
static char *dump_key(redisContext *c, const char *key)
{
    redisReply *t = cmd(c, "TYPE %s", key);
    char type[32];
    snprintf(type, sizeof(type), "%s", t->str ? t->str : "?");
    freeReplyObject(t);
    redisReply *r = NULL;
    if (!strcmp(type, "string"))
        r = cmd(c, "GET %s", key);
    else if (!strcmp(type, "list"))
        r = cmd(c, "LRANGE %s 0 -1", key);
    else if (!strcmp(type, "set"))
        r = cmd(c, "SMEMBERS %s", key);
    else if (!strcmp(type, "zset"))
        r = cmd(c, "ZRANGE %s 0 -1 WITHSCORES", key);
    else if (!strcmp(type, "hash"))
        r = cmd(c, "HGETALL %s", key);
    size_t cap = 64, len = 0;
    char *out = malloc(cap);
    len = (size_t)snprintf(out, cap, "%s:", type);
    if (r) {
        size_t n = r->type == REDIS_REPLY_ARRAY ? r->elements : 1;
        char **items = calloc(n + 1, sizeof(char *));
        if (r->type == REDIS_REPLY_ARRAY) {
            size_t step = !strcmp(type, "hash") ? 2 : 1;
            size_t k = 0;
            for (size_t i = 0; i < r->elements; i += step) {
                char buf[4096];
                if (step == 2)
                    snprintf(buf, sizeof(buf), "%s=%s", r->element[i]->str, r->element[i + 1]->str);
                else
                    snprintf(buf, sizeof(buf), "%s", r->element[i]->str);
                items[k++] = strdup(buf);
            }
            n = k;
            if (!strcmp(type, "set") || !strcmp(type, "hash"))
                qsort(items, n, sizeof(char *), cmp_str);
        } else {
            items[0] = strdup(r->str ? r->str : "(nil)");
        }
        for (size_t i = 0; i < n; i++) {
            size_t il = strlen(items[i]);
            if (len + il + 2 > cap) {
                cap = (len + il + 2) * 2;
                out = realloc(out, cap);
            }
            memcpy(out + len, items[i], il);
            len += il;
            out[len++] = ',';
            out[len] = '\0';
            free(items[i]);
        }
        free(items);
        freeReplyObject(r);
    }
    long long ttl = int_reply(cmd(c, "PTTL %s", key));
    char tail[32];
    snprintf(tail, sizeof(tail), "|ttl:%s", ttl > 0 ? "yes" : ttl == -1 ? "no" : "gone");
    out = realloc(out, len + strlen(tail) + 1);
    strcpy(out + len, tail);
    return out;
}

/* Every key of every database (0..3) of a and b are the same. */
static void assert_same_data(redisContext *a, redisContext *b)
{
    for (int db = 0; db < 4; db++) {
        ok(cmd(a, "SELECT %d", db));
        ok(cmd(b, "SELECT %d", db));
        long long na = int_reply(cmd(a, "DBSIZE")), nb = int_reply(cmd(b, "DBSIZE"));
        assert_int_equal(na, nb);
        redisReply *keys = cmd(a, "KEYS *");
        for (size_t i = 0; i < keys->elements; i++) {
            char *va = dump_key(a, keys->element[i]->str);
            char *vb = dump_key(b, keys->element[i]->str);
            if (strcmp(va, vb) != 0)
                fail_msg("db%d key %s differs: primary %.200s replica %.200s", db,
                         keys->element[i]->str, va, vb);
            free(va);
            free(vb);
        }
        freeReplyObject(keys);
    }
    ok(cmd(a, "SELECT 0"));
    ok(cmd(b, "SELECT 0"));
}

static void fill_every_type(redisContext *c, const char *prefix)
{
    ok(cmd(c, "SELECT 0"));
    ok(cmd(c, "SET %s:str hello", prefix));
    ok(cmd(c, "SET %s:int 12345", prefix));
    ok(cmd(c, "SET %s:ttl v EX 1000", prefix));
    ok(cmd(c, "INCRBYFLOAT %s:float 1.5", prefix));
    ok(cmd(c, "RPUSH %s:list a b c 1 2 3", prefix));
    ok(cmd(c, "SADD %s:intset 1 2 3", prefix));
    ok(cmd(c, "SADD %s:set x y z", prefix));
    ok(cmd(c, "ZADD %s:zset 1 a 2.5 b -3 c", prefix));
    ok(cmd(c, "HSET %s:hash f1 v1 f2 v2", prefix));
    ok(cmd(c, "SETBIT %s:bits 77 1", prefix));
    for (int i = 0; i < 300; i++) {
        ok(cmd(c, "RPUSH %s:biglist item-%d", prefix, i));
        ok(cmd(c, "SADD %s:bigset m-%d", prefix, i));
        ok(cmd(c, "ZADD %s:bigzset %d z-%d", prefix, i, i));
        ok(cmd(c, "HSET %s:bighash f-%d v-%d", prefix, i, i));
    }
    ok(cmd(c, "SELECT 2"));
    ok(cmd(c, "SET %s:db2 two", prefix));
    ok(cmd(c, "LPUSH %s:db2list q", prefix));
    ok(cmd(c, "MULTI"));
    ok(cmd(c, "INCR %s:txn", prefix));
    ok(cmd(c, "INCR %s:txn", prefix));
    ok(cmd(c, "EXEC"));
    ok(cmd(c, "SELECT 0"));
}

/* ----------------------------------------------------------------- setup */

static int group_setup(void **state)
{
    (void)state;
    if (harness_start_server(&P, "--repl-diskless-sync no --save") != 0)
        return -1;
    pc = harness_connect(&P);
    if (!pc)
        return -1;
    fill_every_type(pc, "before");
    if (start_replica(&R1, &r1c, P.port, NULL) != 0 || start_replica(&R2, &r2c, P.port, NULL) != 0)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (pc)
        redisFree(pc);
    if (r1c)
        redisFree(r1c);
    if (r2c)
        redisFree(r2c);
    harness_stop_server(&R2);
    harness_stop_server(&R1);
    harness_stop_server(&P);
    return 0;
}

/* ----------------------------------------------------------------- tests */

static void test_full_sync_and_stream(void **state)
{
    (void)state;
    wait_synced(pc, r1c);
    wait_synced(pc, r2c);
    assert_same_data(pc, r1c);
    assert_same_data(pc, r2c);
    /* The live stream: every type again, then changes and deletes. */
    fill_every_type(pc, "after");
    ok(cmd(pc, "DEL before:str"));
    ok(cmd(pc, "LPOP before:list"));
    ok(cmd(pc, "ZINCRBY before:zset 10 a"));
    ok(cmd(pc, "HDEL before:hash f1"));
    ok(cmd(pc, "EXPIRE before:int 500"));
    wait_synced(pc, r1c);
    wait_synced(pc, r2c);
    assert_same_data(pc, r1c);
    assert_same_data(pc, r2c);
}

static void test_readonly_replica(void **state)
{
    (void)state;
    redisReply *r = cmd(r1c, "SET k v");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "READONLY You can't write against a read only replica.");
    freeReplyObject(r);
    r = cmd(r1c, "GET before:int");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    freeReplyObject(r);
    char *role = info_str(r1c, "replication", "role");
    assert_string_equal(role, "slave");
    free(role);
    char *ro = info_str(r1c, "replication", "slave_read_only");
    assert_string_equal(ro, "1");
    free(ro);
    r = cmd(r1c, "ROLE");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "slave");
    freeReplyObject(r);
    r = cmd(pc, "ROLE");
    assert_string_equal(r->element[0]->str, "master");
    assert_int_equal(r->element[2]->elements, 2);
    freeReplyObject(r);
    assert_int_equal(info_ll(pc, "replication", "connected_slaves"), 2);
    char *s0 = info_str(pc, "replication", "slave0");
    assert_non_null(strstr(s0, "state=online"));
    free(s0);
}

static void test_wait(void **state)
{
    (void)state;
    ok(cmd(pc, "SET waitkey 1"));
    assert_int_equal(int_reply(cmd(pc, "WAIT 2 5000")), 2);
    /* More replicas than exist: the timeout ends it with the count. */
    ok(cmd(pc, "SET waitkey 2"));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(int_reply(cmd(pc, "WAIT 3 300")), 2);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 250);
    redisReply *r = cmd(r1c, "WAIT 1 10");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
}

static void test_partial_resync_after_kill(void **state)
{
    (void)state;
    wait_synced(pc, r1c);
    wait_synced(pc, r2c);
    long long full = info_ll(pc, "stats", "sync_full");
    long long partial = info_ll(pc, "stats", "sync_partial_ok");
    assert_true(int_reply(cmd(pc, "CLIENT KILL TYPE replica")) == 2);
    for (int i = 0; i < 50; i++)
        ok(cmd(pc, "INCR during-outage"));
    wait_synced(pc, r1c);
    wait_synced(pc, r2c);
    assert_same_data(pc, r1c);
    assert_int_equal(info_ll(pc, "stats", "sync_full"), full);
    assert_int_equal(info_ll(pc, "stats", "sync_partial_ok"), partial + 2);
    char *log = harness_read_log(&R1);
    assert_non_null(strstr(log, "Successful partial resynchronization with master."));
    free(log);
}

static void test_chained_replica(void **state)
{
    (void)state;
    harness_server R3;
    redisContext *r3c = NULL;
    assert_int_equal(start_replica(&R3, &r3c, R1.port, NULL), 0);
    ok(cmd(pc, "SET chained yes"));
    ok(cmd(pc, "RPUSH chainlist 1 2 3"));
    wait_synced(pc, r1c);
    wait_synced(r1c, r3c);
    assert_same_data(pc, r3c);
    /* The same stream byte for byte: the same offsets. */
    assert_int_equal(info_ll(pc, "replication", "master_repl_offset"),
                     info_ll(r3c, "replication", "master_repl_offset"));
    redisFree(r3c);
    harness_stop_server(&R3);
}

static void test_promotion_psync2(void **state)
{
    (void)state;
    wait_synced(pc, r1c);
    wait_synced(pc, r2c);
    /* R1 already served the chained test's replica: count from here. */
    long long full0 = info_ll(r1c, "stats", "sync_full");
    long long part0 = info_ll(r1c, "stats", "sync_partial_ok");
    ok(cmd(r1c, "REPLICAOF NO ONE"));
    char *role = info_str(r1c, "replication", "role");
    assert_string_equal(role, "master");
    free(role);
    ok(cmd(r2c, "REPLICAOF 127.0.0.1 %d", R1.port));
    ok(cmd(r1c, "SET promoted yes"));
    wait_synced(r1c, r2c);
    assert_same_data(r1c, r2c);
    assert_int_equal(info_ll(r1c, "stats", "sync_full"), full0);
    assert_int_equal(info_ll(r1c, "stats", "sync_partial_ok"), part0 + 1);
    char *id2 = info_str(r1c, "replication", "master_replid2");
    assert_true(strcmp(id2, "0000000000000000000000000000000000000000") != 0);
    free(id2);
    /* The old primary follows too, partially. */
    ok(cmd(pc, "REPLICAOF 127.0.0.1 %d", R1.port));
    ok(cmd(r1c, "SET promoted again"));
    wait_synced(r1c, pc);
    assert_int_equal(info_ll(r1c, "stats", "sync_full"), full0);
    assert_int_equal(info_ll(r1c, "stats", "sync_partial_ok"), part0 + 2);
    assert_same_data(r1c, pc);
}

static void test_diskless_and_min_replicas(void **state)
{
    (void)state;
    harness_server D, DR;
    redisContext *dc = NULL, *drc = NULL;
    assert_int_equal(harness_start_server(&D, "--repl-diskless-sync yes --repl-diskless-sync-delay "
                                              "0 --min-replicas-to-write 1 --save"),
                     0);
    dc = harness_connect(&D);
    redisReply *r = cmd(dc, "SET a 1");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "NOREPLICAS Not enough good replicas to write.");
    freeReplyObject(r);
    ok(cmd(dc, "CONFIG SET min-replicas-to-write 0"));
    fill_every_type(dc, "dl");
    char args[256];
    snprintf(args, sizeof(args), "--replicaof 127.0.0.1 %d --save", D.port);
    assert_int_equal(harness_start_server(&DR, args), 0);
    drc = harness_connect(&DR);
    wait_synced(dc, drc);
    assert_same_data(dc, drc);
    char *log = harness_read_log(&DR);
    assert_non_null(strstr(log, "receiving streamed RDB from master with EOF"));
    free(log);
    ok(cmd(dc, "CONFIG SET min-replicas-to-write 1"));
    harness_sleep_ms(1500); /* the good-replica count is refreshed every second */
    ok(cmd(dc, "SET b 2"));
    wait_synced(dc, drc);
    r = cmd(drc, "GET b");
    assert_string_equal(r->str, "2");
    freeReplyObject(r);
    redisFree(drc);
    redisFree(dc);
    harness_stop_server(&DR);
    harness_stop_server(&D);
}

/* Past the backlog a reconnecting replica falls back to a full sync; a
 * replica's own keys never expire before the primary's DEL reaches it. */
static void test_backlog_overflow_full_sync(void **state)
{
    (void)state;
    harness_server B, BR;
    redisContext *bc = NULL, *brc = NULL;
    assert_int_equal(harness_start_server(&B, "--repl-diskless-sync no --repl-backlog-size 16kb "
                                              "--save"),
                     0);
    bc = harness_connect(&B);
    ok(cmd(bc, "SET seed 1"));
    assert_int_equal(start_replica(&BR, &brc, B.port, NULL), 0);
    wait_synced(bc, brc);
    ok(cmd(bc, "CONFIG SET repl-backlog-size 20000"));
    assert_int_equal(info_ll(bc, "replication", "repl_backlog_size"), 20000);
    /* Freeze the replica so it cannot reconnect before the backlog wraps. */
    kill(BR.pid, SIGSTOP);
    assert_int_equal(int_reply(cmd(bc, "CLIENT KILL TYPE replica")), 1);
    long long full = info_ll(bc, "stats", "sync_full");
    char big[1024];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (int i = 0; i < 100; i++)
        ok(cmd(bc, "SET big:%d %s", i, big));
    ok(cmd(bc, "SET short-lived v PX 200"));
    kill(BR.pid, SIGCONT);
    wait_synced(bc, brc);
    assert_same_data(bc, brc);
    assert_int_equal(info_ll(bc, "stats", "sync_full"), full + 1);
    harness_sleep_ms(400);
    redisReply *r = cmd(brc, "GET short-lived");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    redisFree(brc);
    redisFree(bc);
    harness_stop_server(&BR);
    harness_stop_server(&B);
}

static int log_has_auth_error(void *arg)
{
    char *log = harness_read_log(arg);
    int found = log && strstr(log, "Unable to AUTH to MASTER") != NULL;
    free(log);
    return found;
}

/* masterauth against a primary with requirepass; with the link down and
 * replica-serve-stale-data no, data commands get -MASTERDOWN. */
static void test_masterauth_and_stale_data(void **state)
{
    (void)state;
    harness_server A, AR;
    assert_int_equal(harness_start_server(&A, "--requirepass s3cret --repl-diskless-sync no "
                                              "--save"),
                     0);
    redisContext *ac = harness_connect(&A);
    ok(cmd(ac, "AUTH s3cret"));
    ok(cmd(ac, "SET guarded 1"));
    redisContext *arc = NULL;
    assert_int_equal(start_replica(&AR, &arc, A.port, "--masterauth s3cret"), 0);
    wait_synced(ac, arc);
    redisReply *r = cmd(arc, "GET guarded");
    assert_string_equal(r->str, "1");
    freeReplyObject(r);
    ok(cmd(arc, "CONFIG SET replica-serve-stale-data no"));
    ok(cmd(arc, "CONFIG SET masterauth wrong"));
    assert_int_equal(int_reply(cmd(ac, "CLIENT KILL TYPE replica")), 1);
    harness_sleep_ms(300);
    r = cmd(arc, "GET guarded");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "MASTERDOWN Link with MASTER is down and "
                                "replica-serve-stale-data is set to 'no'.");
    freeReplyObject(r);
    char *link = info_str(arc, "replication", "master_link_status");
    assert_string_equal(link, "down");
    free(link);
    assert_true(harness_wait_until(log_has_auth_error, &AR, 5000));
    redisFree(arc);
    redisFree(ac);
    harness_stop_server(&AR);
    harness_stop_server(&A);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_sync_and_stream),
        cmocka_unit_test(test_readonly_replica),
        cmocka_unit_test(test_wait),
        cmocka_unit_test(test_partial_resync_after_kill),
        cmocka_unit_test(test_chained_replica),
        cmocka_unit_test(test_promotion_psync2),
        cmocka_unit_test(test_diskless_and_min_replicas),
        cmocka_unit_test(test_backlog_overflow_full_sync),
        cmocka_unit_test(test_masterauth_and_stale_data),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
