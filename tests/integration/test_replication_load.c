/* test_replication_load: where a replica parses a full sync from
 * (repl-diskless-load), and what INFO and the log say meanwhile.
 *
 * - swapdb, first sync (a new history): the primary SIGKILLed mid-transfer
 *   leaves the replica with exactly its old data; the primary restarted, the
 *   sync completes.
 * - swapdb, a full sync continuing our own history (the backlog was
 *   overrun): the old data is served (no -LOADING) while the new loads,
 *   then swapped in; with the primary killed meanwhile, the old data stays.
 * - on-empty-db: from the socket when the replica is empty ("to parser"),
 *   through a file otherwise ("to disk"); killed mid-transfer, an empty
 *   replica stays empty.
 * - INFO: master_sync_total/read/left_bytes, perc and last_io during a
 *   transfer, the progress lines in the log; afterwards the backlog and
 *   replica memory, repl_backlog_histlen, total_net_repl_*_bytes. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "harness.h"

#define NKEYS 20000
#define NOLD 500
#define SYNC_MS 30000

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

/* An INFO field (malloc'd string, or NULL). */
static char *info_str(redisContext *c, const char *section, const char *field)
{
    redisReply *r = cmd(c, "INFO %s", section);
    char key[128];
    snprintf(key, sizeof(key), "\n%s:", field);
    char *out = NULL;
    const char *p = r->type == REDIS_REPLY_STRING ? strstr(r->str, key) : NULL;
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

static double info_double(redisContext *c, const char *section, const char *field)
{
    char *s = info_str(c, section, field);
    double v = s ? atof(s) : -1;
    free(s);
    return v;
}

static long long dbsize(redisContext *c, int db)
{
    ok(cmd(c, "SELECT %d", db));
    long long n = int_reply(cmd(c, "DBSIZE"));
    ok(cmd(c, "SELECT 0"));
    return n;
}

/* n strings "<prefix>:<i>" (MSET, pipelined) and a hash in db 2. */
static void fill(redisContext *c, const char *prefix, int n)
{
    int sent = 0;
    for (int i = 0; i < n; i += 500) {
        char *argv[1001];
        size_t lens[1001];
        static char bufs[1000][48];
        int argc = 0;
        argv[argc] = "MSET";
        lens[argc++] = 4;
        for (int j = i; j < i + 500 && j < n; j++) {
            int k = 2 * (j - i);
            lens[argc] = (size_t)snprintf(bufs[k], 48, "%s:%d", prefix, j);
            argv[argc++] = bufs[k];
            lens[argc] = (size_t)snprintf(bufs[k + 1], 48, "%s-value-%d", prefix, j);
            argv[argc++] = bufs[k + 1];
        }
        redisAppendCommandArgv(c, argc, (const char **)argv, lens);
        sent++;
    }
    for (int i = 0; i < sent; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK)
            fail_msg("MSET pipeline broke: %s", c->errstr);
        ok(r);
    }
    ok(cmd(c, "SELECT 2"));
    for (int i = 0; i < 50; i++)
        ok(cmd(c, "HSET %s:hash f%d v%d", prefix, i, i));
    ok(cmd(c, "SELECT 0"));
}

static void assert_get(redisContext *c, const char *key, const char *want)
{
    redisReply *r = cmd(c, "GET %s", key);
    if (r->type != REDIS_REPLY_STRING || strcmp(r->str, want) != 0)
        fail_msg("GET %s: got type %d '%s', want '%s'", key, r->type, r->str ? r->str : "", want);
    freeReplyObject(r);
}

/* Exactly the replica's own old data. */
static void assert_old_data(redisContext *r)
{
    assert_int_equal(dbsize(r, 0), NOLD);
    assert_int_equal(dbsize(r, 2), 1);
    assert_get(r, "old:7", "old-value-7");
}

static void assert_same_dataset(redisContext *p, redisContext *r)
{
    for (int db = 0; db < 3; db++)
        assert_int_equal(dbsize(r, db), dbsize(p, db));
    for (int i = 0; i < NKEYS; i += 97) {
        redisReply *a = cmd(p, "GET key:%d", i), *b = cmd(r, "GET key:%d", i);
        assert_int_equal(a->type, b->type);
        if (a->type == REDIS_REPLY_STRING)
            assert_string_equal(a->str, b->str);
        freeReplyObject(a);
        freeReplyObject(b);
    }
}

typedef struct sync_wait {
    redisContext *primary, *replica;
} sync_wait;

static int synced(void *arg)
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

static void wait_synced(redisContext *p, redisContext *r)
{
    sync_wait w = {p, r};
    if (!harness_wait_until(synced, &w, SYNC_MS))
        fail_msg("replica did not complete its sync");
}

static int log_has(harness_server *s, const char *needle)
{
    char *log = harness_read_log(s);
    int found = log && strstr(log, needle) != NULL;
    free(log);
    return found;
}

static int in_transfer(void *arg)
{
    redisContext *c = arg;
    return info_ll(c, "replication", "master_sync_in_progress") == 1 &&
           info_ll(c, "replication", "master_sync_read_bytes") > 0;
}

static int link_down(void *arg)
{
    redisContext *c = arg;
    return info_ll(c, "replication", "master_sync_in_progress") == 0;
}

static void start_primary(harness_server *P, redisContext **pc, const char *extra)
{
    char args[300];
    snprintf(args, sizeof(args), "--repl-diskless-sync-delay 0 %s --save", extra ? extra : "");
    assert_int_equal(harness_start_server(P, args), 0);
    *pc = harness_connect(P);
    assert_non_null(*pc);
}

static void start_replica(harness_server *R, redisContext **rc, const char *load_mode)
{
    char args[300];
    snprintf(args, sizeof(args), "--repl-diskless-load %s --repl-timeout 5 --save", load_mode);
    assert_int_equal(harness_start_server(R, args), 0);
    *rc = harness_connect(R);
    assert_non_null(*rc);
}

/* ------------------------------------------------------------------ swapdb */

static void test_swapdb_primary_killed_first_sync(void **state)
{
    (void)state;
    harness_server P, R;
    redisContext *pc, *rc;
    start_primary(&P, &pc, "--repl-diskless-sync yes");
    fill(pc, "key", NKEYS);
    ok(cmd(pc, "SAVE"));
    ok(cmd(pc, "CONFIG SET rdb-key-save-delay 200")); /* ~4 s of snapshot */
    start_replica(&R, &rc, "swapdb");
    fill(rc, "old", NOLD);

    ok(cmd(rc, "REPLICAOF 127.0.0.1 %d", P.port));
    assert_true(harness_wait_until(in_transfer, rc, 20000));
    assert_true(log_has(&R, "receiving streamed RDB from master with EOF to parser"));
    /* A new history: the old data waits aside, clients get -LOADING. */
    redisReply *r = cmd(rc, "GET old:7");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_true(!strncmp(r->str, "LOADING", 7));
    freeReplyObject(r);
    harness_kill_server(&P, SIGKILL);
    redisFree(pc);

    assert_true(harness_wait_until(link_down, rc, 10000));
    assert_old_data(rc);
    assert_true(log_has(&R, "the old dataset is kept"));

    char args[200];
    snprintf(args, sizeof(args), "--repl-diskless-sync yes --repl-diskless-sync-delay 0 --save");
    assert_int_equal(harness_spawn_in_dir(&P, args), 0);
    assert_int_equal(harness_wait_ready(&P, 20000), 0);
    pc = harness_connect(&P);
    assert_non_null(pc);
    wait_synced(pc, rc);
    assert_same_dataset(pc, rc);
    assert_int_equal(int_reply(cmd(rc, "EXISTS old:7")), 0);
    redisFree(pc);
    redisFree(rc);
    harness_stop_server(&R);
    harness_stop_server(&P);
}

/* A replica in sync whose link is cut while the primary writes more than
 * its backlog holds: its next PSYNC continues the same history but needs
 * a full sync, which with swapdb loads while the old data is served.  The
 * cut and the first writes go in one pipeline, so the primary has run them
 * all before the replica can reconnect. */
static void overrun_backlog(redisContext *pc, redisContext *rc)
{
    fill(pc, "key", NKEYS);
    ok(cmd(pc, "SET marker old"));
    wait_synced(pc, rc);
    assert_get(rc, "marker", "old");
    ok(cmd(rc, "CONFIG SET key-load-delay 150")); /* ~3 s to load */
    static char filler[32 * 1024];
    memset(filler, 'f', sizeof(filler) - 1);
    redisAppendCommand(pc, "CLIENT KILL TYPE replica");
    redisAppendCommand(pc, "SET marker new");
    redisAppendCommand(pc, "SET filler %s", filler); /* twice the 16 KB backlog */
    for (int i = 0; i < 3; i++) {
        redisReply *r = NULL;
        assert_int_equal(redisGetReply(pc, (void **)&r), REDIS_OK);
        ok(r);
    }
    fill(pc, "more", 2000);
}

static void test_swapdb_serves_old_data(void **state)
{
    (void)state;
    harness_server P, R;
    redisContext *pc, *rc;
    start_primary(&P, &pc, "--repl-diskless-sync yes --repl-backlog-size 16384");
    start_replica(&R, &rc, "swapdb");
    ok(cmd(rc, "REPLICAOF 127.0.0.1 %d", P.port));
    overrun_backlog(pc, rc);
    long long old_size = NKEYS + 1;

    /* While it loads: the old data, never -LOADING.  Each sample is one
     * MULTI/EXEC, so the swap cannot fall between its reads. */
    assert_true(harness_wait_until(in_transfer, rc, 20000));
    int samples = 0;
    for (;;) {
        redisAppendCommand(rc, "MULTI");
        redisAppendCommand(rc, "INFO replication");
        redisAppendCommand(rc, "GET marker");
        redisAppendCommand(rc, "DBSIZE");
        redisAppendCommand(rc, "EXEC");
        redisReply *r = NULL;
        for (int i = 0; i < 4; i++) {
            assert_int_equal(redisGetReply(rc, (void **)&r), REDIS_OK);
            assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
            freeReplyObject(r);
        }
        assert_int_equal(redisGetReply(rc, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 3);
        int loading = strstr(r->element[0]->str, "master_sync_in_progress:1") != NULL;
        if (loading) {
            assert_int_equal(r->element[1]->type, REDIS_REPLY_STRING);
            assert_string_equal(r->element[1]->str, "old");
            assert_int_equal(r->element[2]->integer, old_size);
            samples++;
        }
        freeReplyObject(r);
        if (!loading)
            break;
        assert_int_equal(info_ll(rc, "persistence", "loading"), 0);
        harness_sleep_ms(50);
        assert_true(samples < 600);
    }
    assert_true(samples >= 5);
    assert_true(log_has(&R, "serving the old data meanwhile"));
    assert_true(log_has(&R, "Swapping active DB with loaded DB"));
    wait_synced(pc, rc);
    assert_get(rc, "marker", "new");
    assert_same_dataset(pc, rc);
    redisFree(pc);
    redisFree(rc);
    harness_stop_server(&R);
    harness_stop_server(&P);
}

static void test_swapdb_async_primary_killed(void **state)
{
    (void)state;
    harness_server P, R;
    redisContext *pc, *rc;
    start_primary(&P, &pc, "--repl-diskless-sync yes --repl-backlog-size 16384");
    start_replica(&R, &rc, "swapdb");
    ok(cmd(rc, "REPLICAOF 127.0.0.1 %d", P.port));
    ok(cmd(pc, "CONFIG SET rdb-key-save-delay 100")); /* the primary dies mid-stream */
    overrun_backlog(pc, rc);
    assert_true(harness_wait_until(in_transfer, rc, 20000));
    assert_get(rc, "marker", "old");
    harness_kill_server(&P, SIGKILL);
    redisFree(pc);
    assert_true(harness_wait_until(link_down, rc, 10000));
    assert_get(rc, "marker", "old");
    assert_int_equal(dbsize(rc, 0), NKEYS + 1);
    assert_int_equal(int_reply(cmd(rc, "EXISTS more:1")), 0);
    assert_true(log_has(&R, "the old dataset is kept"));
    redisFree(rc);
    harness_stop_server(&R);
    harness_stop_server(&P);
}

/* ------------------------------------------------------------- on-empty-db */

static void test_on_empty_db(void **state)
{
    (void)state;
    harness_server P, R;
    redisContext *pc, *rc;
    start_primary(&P, &pc, "--repl-diskless-sync yes");
    fill(pc, "key", NKEYS);
    start_replica(&R, &rc, "on-empty-db");
    ok(cmd(rc, "REPLICAOF 127.0.0.1 %d", P.port));
    wait_synced(pc, rc);
    assert_true(log_has(&R, "with EOF to parser"));
    assert_false(log_has(&R, "to disk"));
    assert_same_dataset(pc, rc);

    /* With data of its own, the next full sync goes through a file. */
    ok(cmd(rc, "REPLICAOF NO ONE"));
    ok(cmd(rc, "SET mine 1"));
    ok(cmd(pc, "SET after 1"));
    ok(cmd(rc, "REPLICAOF 127.0.0.1 %d", P.port));
    wait_synced(pc, rc);
    assert_true(log_has(&R, "with EOF to disk"));
    assert_same_dataset(pc, rc);
    assert_int_equal(int_reply(cmd(rc, "EXISTS mine")), 0);
    redisFree(pc);
    redisFree(rc);
    harness_stop_server(&R);
    harness_stop_server(&P);
}

static void test_on_empty_db_primary_killed(void **state)
{
    (void)state;
    harness_server P, R;
    redisContext *pc, *rc;
    start_primary(&P, &pc, "--repl-diskless-sync yes");
    fill(pc, "key", NKEYS);
    ok(cmd(pc, "CONFIG SET rdb-key-save-delay 200")); /* the RDB trickles in */
    start_replica(&R, &rc, "on-empty-db");
    ok(cmd(rc, "REPLICAOF 127.0.0.1 %d", P.port));
    assert_true(harness_wait_until(in_transfer, rc, 20000));
    assert_true(log_has(&R, "with EOF to parser"));
    harness_kill_server(&P, SIGKILL);
    redisFree(pc);
    assert_true(harness_wait_until(link_down, rc, 10000));
    for (int db = 0; db < 3; db++)
        assert_int_equal(dbsize(rc, db), 0); /* empty, never half a dataset */
    redisFree(rc);
    harness_stop_server(&R);
    harness_stop_server(&P);
}

/* -------------------------------------------------------------------- INFO */

static void test_info_during_and_after_sync(void **state)
{
    (void)state;
    harness_server P, R;
    redisContext *pc, *rc;
    start_primary(&P, &pc, "--repl-diskless-sync no");
    fill(pc, "key", NKEYS);
    start_replica(&R, &rc, "swapdb");
    assert_int_equal(info_ll(pc, "memory", "mem_replication_backlog"), 0);
    ok(cmd(rc, "CONFIG SET key-load-delay 150")); /* a transfer of ~3 s */
    ok(cmd(rc, "REPLICAOF 127.0.0.1 %d", P.port));
    assert_true(harness_wait_until(in_transfer, rc, 20000));

    /* A disk-based primary announces the size: the counters add up. */
    long long total = info_ll(rc, "replication", "master_sync_total_bytes");
    long long read1 = info_ll(rc, "replication", "master_sync_read_bytes");
    long long left = info_ll(rc, "replication", "master_sync_left_bytes");
    double perc = info_double(rc, "replication", "master_sync_perc");
    assert_true(total > 100000);
    assert_true(read1 > 0 && read1 < total);
    assert_true(left > 0 && left <= total - read1);
    assert_true(perc > 0 && perc < 100);
    long long io = info_ll(rc, "replication", "master_sync_last_io_seconds_ago");
    assert_true(io >= 0 && io <= 2);
    assert_int_equal(info_ll(rc, "replication", "master_last_io_seconds_ago"), -1);
    harness_sleep_ms(1500);
    long long read2 = info_ll(rc, "replication", "master_sync_read_bytes");
    if (info_ll(rc, "replication", "master_sync_in_progress") == 1)
        assert_true(read2 > read1);
    char line[96];
    snprintf(line, sizeof(line), "receiving %lld bytes from master to parser", total);
    assert_true(log_has(&R, line));
    assert_true(log_has(&R, "bytes received ("));
    wait_synced(pc, rc);

    /* The primary: backlog and replica memory, the bytes it sent. */
    long long backlog = info_ll(pc, "replication", "repl_backlog_size");
    assert_true(backlog > 0);
    assert_int_equal(info_ll(pc, "memory", "mem_replication_backlog"), backlog);
    assert_true(info_ll(pc, "memory", "mem_clients_slaves") > 0);
    assert_true(info_ll(pc, "memory", "mem_total_replication_buffers") >= backlog);
    long long out = info_ll(pc, "stats", "total_net_repl_output_bytes");
    long long in = info_ll(rc, "stats", "total_net_repl_input_bytes");
    assert_true(out >= total);
    assert_true(in >= out); /* the replica also read the handshake's replies */
    assert_true(in - out < 4096);
    assert_int_equal(info_ll(rc, "stats", "total_net_repl_output_bytes"), 0);

    /* The backlog holds exactly the stream since it was created. */
    long long off = info_ll(pc, "replication", "master_repl_offset");
    long long first = info_ll(pc, "replication", "repl_backlog_first_byte_offset");
    long long hist = info_ll(pc, "replication", "repl_backlog_histlen");
    assert_int_equal(hist, off - first + 1);
    ok(cmd(pc, "SET warm 1")); /* the stream's SELECT goes first */
    off = info_ll(pc, "replication", "master_repl_offset");
    hist = info_ll(pc, "replication", "repl_backlog_histlen");
    ok(cmd(pc, "SET abc def")); /* *3 $3 SET $3 abc $3 def: 31 bytes */
    assert_int_equal(info_ll(pc, "replication", "repl_backlog_histlen"), hist + 31);
    assert_int_equal(info_ll(pc, "replication", "master_repl_offset"), off + 31);
    wait_synced(pc, rc);
    assert_int_equal(info_ll(rc, "replication", "repl_backlog_histlen"),
                     info_ll(rc, "replication", "master_repl_offset") -
                         info_ll(rc, "replication", "repl_backlog_first_byte_offset") + 1);
    assert_true(info_ll(pc, "stats", "total_net_repl_output_bytes") >= out + 31);
    /* Past its size the backlog stays full. */
    fill(pc, "big", 40000);
    assert_int_equal(info_ll(pc, "replication", "repl_backlog_histlen"), backlog);
    wait_synced(pc, rc);
    assert_true(info_ll(rc, "stats", "total_net_repl_input_bytes") > in + 40000 * 20);
    redisFree(pc);
    redisFree(rc);
    harness_stop_server(&R);
    harness_stop_server(&P);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swapdb_primary_killed_first_sync),
        cmocka_unit_test(test_swapdb_serves_old_data),
        cmocka_unit_test(test_swapdb_async_primary_killed),
        cmocka_unit_test(test_on_empty_db),
        cmocka_unit_test(test_on_empty_db_primary_killed),
        cmocka_unit_test(test_info_during_and_after_sync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
