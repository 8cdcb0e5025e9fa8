/* test_replication_crash: a full sync interrupted by a crash on either
 * side loses nothing and corrupts nothing.
 *
 * - The primary (500k keys, a slowed-down snapshot so the sync lasts) is
 *   SIGKILLed while the replica is in the transfer (master_sync_in_progress:1),
 *   with disk and with diskless sync: the replica keeps serving exactly its
 *   old data, keeps retrying, and once the primary is restarted it completes
 *   a sync holding exactly the primary's dataset (DBSIZE per database and a
 *   sample of values compared).
 * - The replica (with an AOF) is SIGKILLed while it loads the received RDB
 *   (slowed down by key-load-delay), disk and diskless sync, and parsing
 *   from the socket (repl-diskless-load swapdb): its dump.rdb passes
 *   redis-check-rdb and its AOF redis-check-aof; restarted, it resyncs and
 *   has the full dataset, and restarted once more on its own it loads that
 *   dataset from its AOF (not the old one, nor a mix).
 * - SHUTDOWN on a primary while its full-sync child writes: the child is
 *   killed and its temporary file removed. */
#include <glob.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "harness.h"

/* Fewer keys under the sanitizers, which are several times slower. */
#if defined(__SANITIZE_ADDRESS__)
#define NKEYS 100000
#else
#define NKEYS 500000
#endif
#define NOLD 1000 /* the replica's own data before it syncs */
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

/* An INFO field as a number (-1 when absent). */
static long long info_ll(redisContext *c, const char *section, const char *field)
{
    redisReply *r = cmd(c, "INFO %s", section);
    char key[128];
    snprintf(key, sizeof(key), "\n%s:", field);
    const char *p = r->type == REDIS_REPLY_STRING ? strstr(r->str, key) : NULL;
    long long v = p ? atoll(p + strlen(key)) : -1;
    freeReplyObject(r);
    return v;
}

static int info_has(redisContext *c, const char *section, const char *line)
{
    redisReply *r = cmd(c, "INFO %s", section);
    int found = r->str && strstr(r->str, line) != NULL;
    freeReplyObject(r);
    return found;
}

static long long dbsize(redisContext *c, int db)
{
    ok(cmd(c, "SELECT %d", db));
    long long n = int_reply(cmd(c, "DBSIZE"));
    ok(cmd(c, "SELECT 0"));
    return n;
}

/* The primary's data: NKEYS strings in db 0 (MSET, pipelined) and a few
 * keys of every other type in db 3. */
static void fill_primary(redisContext *c)
{
    char *argv[1 + 2 * 1000];
    size_t lens[1 + 2 * 1000];
    static char bufs[2 * 1000][40];
    int batches = 0;
    for (int i = 0; i < NKEYS; i += 1000) {
        int argc = 0, k = 0;
        argv[argc] = "MSET";
        lens[argc++] = 4;
        for (int j = i; j < i + 1000 && j < NKEYS; j++, k += 2) {
            lens[argc] = (size_t)snprintf(bufs[k], 40, "key:%d", j);
            argv[argc++] = bufs[k];
            lens[argc] = (size_t)snprintf(bufs[k + 1], 40, "value-%d-%x", j, (unsigned)j * 7919u);
            argv[argc++] = bufs[k + 1];
        }
        redisAppendCommandArgv(c, argc, (const char **)argv, lens);
        batches++;
    }
    for (int i = 0; i < batches; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK)
            fail_msg("MSET pipeline broke: %s", c->errstr);
        ok(r);
    }
    ok(cmd(c, "SELECT 3"));
    for (int i = 0; i < 200; i++) {
        ok(cmd(c, "HSET hash f%d v%d", i, i));
        ok(cmd(c, "RPUSH list e%d", i));
        ok(cmd(c, "SADD set m%d", i));
        ok(cmd(c, "ZADD zset %d z%d", i, i));
    }
    ok(cmd(c, "SET withttl x PX 100000000"));
    ok(cmd(c, "SELECT 0"));
}

static void fill_old(redisContext *c)
{
    for (int i = 0; i < NOLD; i++)
        ok(cmd(c, "SET old:%d old-value-%d", i, i));
}

/* Exactly the replica's own old data: nothing of the primary's. */
static void assert_old_data(redisContext *r)
{
    assert_int_equal(dbsize(r, 0), NOLD);
    assert_int_equal(dbsize(r, 3), 0);
    redisReply *v = cmd(r, "GET old:%d", NOLD / 2);
    assert_int_equal(v->type, REDIS_REPLY_STRING);
    char want[64];
    snprintf(want, sizeof(want), "old-value-%d", NOLD / 2);
    assert_string_equal(v->str, want);
    freeReplyObject(v);
}

/* The same dataset: sizes of every database used, a sample of the strings
 * (every 250th key, compared value by value) and the collections whole. */
static void assert_same_dataset(redisContext *p, redisContext *r)
{
    assert_int_equal(dbsize(r, 0), NKEYS);
    assert_int_equal(dbsize(p, 0), NKEYS);
    assert_int_equal(dbsize(r, 3), dbsize(p, 3));
    assert_int_equal(int_reply(cmd(r, "EXISTS old:1")), 0);
    for (int i = 0; i < NKEYS; i += 250) {
        redisReply *a = cmd(p, "GET key:%d", i), *b = cmd(r, "GET key:%d", i);
        if (a->type != REDIS_REPLY_STRING || b->type != REDIS_REPLY_STRING ||
            strcmp(a->str, b->str) != 0)
            fail_msg("key:%d differs: primary '%s' replica '%s'", i, a->str ? a->str : "(nil)",
                     b->str ? b->str : "(nil)");
        freeReplyObject(a);
        freeReplyObject(b);
    }
    ok(cmd(p, "SELECT 3"));
    ok(cmd(r, "SELECT 3"));
    const char *reads[] = {"HLEN hash", "LLEN list", "SCARD set", "ZCARD zset", "PTTL withttl"};
    for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
        long long a = int_reply(cmd(p, reads[i])), b = int_reply(cmd(r, reads[i]));
        if (i < 4)
            assert_int_equal(a, b);
        else
            assert_true(a > 0 && b > 0);
    }
    redisReply *a = cmd(p, "LRANGE list 0 -1"), *b = cmd(r, "LRANGE list 0 -1");
    assert_int_equal(a->elements, b->elements);
    for (size_t i = 0; i < a->elements; i++)
        assert_string_equal(a->element[i]->str, b->element[i]->str);
    freeReplyObject(a);
    freeReplyObject(b);
    ok(cmd(p, "SELECT 0"));
    ok(cmd(r, "SELECT 0"));
}

typedef struct sync_wait {
    redisContext *primary, *replica;
} sync_wait;

static int synced(void *arg)
{
    sync_wait *w = arg;
    if (!info_has(w->replica, "replication", "master_link_status:up"))
        return 0;
    long long a = info_ll(w->primary, "replication", "master_repl_offset");
    long long b = info_ll(w->replica, "replication", "slave_repl_offset");
    return a > 0 && a == b;
}

static void wait_synced(redisContext *p, redisContext *r)
{
    sync_wait w = {p, r};
    if (!harness_wait_until(synced, &w, SYNC_MS))
        fail_msg("replica did not complete its sync: primary offset %lld, replica offset %lld",
                 info_ll(p, "replication", "master_repl_offset"),
                 info_ll(r, "replication", "slave_repl_offset"));
}

static int count_in_log(harness_server *s, const char *needle)
{
    char *log = harness_read_log(s);
    int n = 0;
    for (const char *p = log; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    free(log);
    return n;
}

/* Temporary RDB files left in a server's directory. */
static int count_temp_files(harness_server *s)
{
    char pattern[400];
    snprintf(pattern, sizeof(pattern), "%s/temp-*.rdb", s->dir);
    glob_t g;
    int n = glob(pattern, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
    globfree(&g);
    return n;
}

/* A file checker from Debian's redis-tools, if installed: its exit status,
 * or -1 to skip the check. */
static int run_checker(const char *tool, const char *path)
{
    char bin[64];
    snprintf(bin, sizeof(bin), "/usr/bin/%s", tool);
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "skipping %s (not installed)\n", tool);
        return -1;
    }
    char command[700];
    snprintf(command, sizeof(command), "%s '%s' >/dev/null 2>&1", bin, path);
    return system(command);
}

static void check_files(harness_server *r, int with_aof)
{
    char path[600];
    struct stat st;
    snprintf(path, sizeof(path), "%s/dump.rdb", r->dir);
    if (stat(path, &st) == 0) {
        int rc = run_checker("redis-check-rdb", path);
        assert_true(rc == -1 || rc == 0);
    }
    if (with_aof) {
        snprintf(path, sizeof(path), "%s/appendonlydir/appendonly.aof.manifest", r->dir);
        assert_int_equal(stat(path, &st), 0);
        int rc = run_checker("redis-check-aof", path);
        assert_true(rc == -1 || rc == 0);
    }
}

typedef struct cond {
    redisContext *c;
    int diskless;
} cond;

/* The replica is in the middle of its transfer: with a diskless primary
 * some of the RDB has arrived; with a disk one it waits for the file. */
static int in_transfer(void *arg)
{
    cond *w = arg;
    if (info_ll(w->c, "replication", "master_sync_in_progress") != 1)
        return 0;
    return !w->diskless || info_ll(w->c, "replication", "master_sync_read_bytes") > 0;
}

static int loading(void *arg)
{
    cond *w = arg;
    return info_ll(w->c, "persistence", "loading") == 1;
}

static int rewrite_done(void *arg)
{
    cond *w = arg;
    return info_ll(w->c, "persistence", "aof_rewrite_in_progress") == 0 &&
           info_ll(w->c, "persistence", "aof_rewrite_scheduled") == 0;
}

/* --------------------------------------------------- the primary is killed */

static void primary_killed_mid_sync(int diskless)
{
    harness_server P, R;
    char args[256];
    snprintf(args, sizeof(args), "--repl-diskless-sync %s --repl-diskless-sync-delay 0 --save",
             diskless ? "yes" : "no");
    assert_int_equal(harness_start_server(&P, args), 0);
    redisContext *pc = harness_connect(&P);
    assert_non_null(pc);
    fill_primary(pc);
    ok(cmd(pc, "SAVE"));
    /* The snapshot crawls (1 us sleep every ~4 keys, ~seconds): the
     * transfer lasts long enough to be cut. */
    ok(cmd(pc, "CONFIG SET rdb-key-save-delay -4"));

    assert_int_equal(harness_start_server(&R, "--repl-timeout 5 --save"), 0);
    redisContext *rc = harness_connect(&R);
    assert_non_null(rc);
    fill_old(rc);
    ok(cmd(rc, "REPLICAOF 127.0.0.1 %d", P.port));
    cond w = {rc, diskless};
    assert_true(harness_wait_until(in_transfer, &w, 20000));
    assert_old_data(rc); /* meanwhile the old data is served */
    harness_kill_server(&P, SIGKILL);
    redisFree(pc);

    /* The old data, whole; the link down; retries. */
    harness_sleep_ms(300);
    assert_old_data(rc);
    int attempts = count_in_log(&R, "Connecting to MASTER");
    harness_sleep_ms(2500);
    assert_true(count_in_log(&R, "Connecting to MASTER") >= attempts + 2);
    assert_true(info_has(rc, "replication", "master_link_status:down"));
    assert_int_equal(info_ll(rc, "replication", "master_sync_in_progress"), 0);
    assert_old_data(rc);

    /* The primary comes back with its saved data: a complete sync. */
    assert_int_equal(harness_spawn_in_dir(&P, args), 0);
    assert_int_equal(harness_wait_ready(&P, 20000), 0);
    pc = harness_connect(&P);
    assert_non_null(pc);
    wait_synced(pc, rc);
    assert_same_dataset(pc, rc);
    assert_int_equal(count_temp_files(&R), 0);
    check_files(&R, 0);

    redisFree(pc);
    redisFree(rc);
    harness_stop_server(&R);
    harness_stop_server(&P);
}

static void test_primary_killed_disk(void **state)
{
    (void)state;
    primary_killed_mid_sync(0);
}

static void test_primary_killed_diskless(void **state)
{
    (void)state;
    primary_killed_mid_sync(1);
}

/* --------------------------------------------------- the replica is killed */

static void replica_killed_mid_load(int diskless, const char *load_mode)
{
    harness_server P, R;
    char args[256];
    snprintf(args, sizeof(args), "--repl-diskless-sync %s --repl-diskless-sync-delay 0 --save",
             diskless ? "yes" : "no");
    assert_int_equal(harness_start_server(&P, args), 0);
    redisContext *pc = harness_connect(&P);
    assert_non_null(pc);
    fill_primary(pc);

    /* The replica persists with an AOF, and loads slowly. */
    snprintf(args, sizeof(args),
             "--appendonly yes --key-load-delay -3 --repl-diskless-load %s --save", load_mode);
    assert_int_equal(harness_start_server(&R, args), 0);
    redisContext *rc = harness_connect(&R);
    assert_non_null(rc);
    fill_old(rc);
    ok(cmd(rc, "REPLICAOF 127.0.0.1 %d", P.port));
    cond w = {rc, diskless};
    assert_true(harness_wait_until(loading, &w, 20000));
    harness_kill_server(&R, SIGKILL);
    redisFree(rc);
    /* What the crash left: loading through a file, the received RDB,
     * complete, as the replica's dump file (it loads from there); and the
     * old AOF. */
    char path[600];
    struct stat st;
    snprintf(path, sizeof(path), "%s/dump.rdb", R.dir);
    assert_int_equal(stat(path, &st) == 0, !strcmp(load_mode, "disabled"));
    assert_int_equal(count_temp_files(&R), 0);
    check_files(&R, 1);

    /* Restarted: it loads its AOF, resyncs, and has everything. */
    snprintf(args, sizeof(args), "--appendonly yes --replicaof 127.0.0.1 %d --save", P.port);
    assert_int_equal(harness_spawn_in_dir(&R, args), 0);
    assert_int_equal(harness_wait_ready(&R, 20000), 0);
    rc = harness_connect(&R);
    assert_non_null(rc);
    wait_synced(pc, rc);
    assert_same_dataset(pc, rc);

    /* Its AOF was rewritten from the new dataset. */
    w.c = rc;
    assert_true(harness_wait_until(rewrite_done, &w, 30000));
    check_files(&R, 1);
    redisFree(rc);
    assert_int_equal(harness_restart_server(&R, "--appendonly yes --save", 20000), 0);
    rc = harness_connect(&R);
    assert_non_null(rc);
    assert_same_dataset(pc, rc);

    redisFree(pc);
    redisFree(rc);
    harness_stop_server(&R);
    harness_stop_server(&P);
}

static void test_replica_killed_disk(void **state)
{
    (void)state;
    replica_killed_mid_load(0, "disabled");
}

static void test_replica_killed_diskless(void **state)
{
    (void)state;
    replica_killed_mid_load(1, "disabled");
}

/* Parsing straight from the socket (repl-diskless-load swapdb). */
static void test_replica_killed_diskless_swapdb(void **state)
{
    (void)state;
    replica_killed_mid_load(1, "swapdb");
}

/* ------------------------------------------------- SHUTDOWN mid full sync */

/* The pid in "Starting BGSAVE for SYNC with target: ... (pid N)". */
static int sync_child_pid(harness_server *s)
{
    char *log = harness_read_log(s);
    const char *p = log ? strstr(log, "Starting BGSAVE for SYNC") : NULL;
    p = p ? strstr(p, "(pid ") : NULL;
    int pid = p ? atoi(p + 5) : 0;
    free(log);
    return pid;
}

static int child_started(void *arg)
{
    return sync_child_pid(arg) > 0;
}

/* SHUTDOWN on a primary whose full-sync child is still writing: the child
 * is killed and its temporary file removed, not left behind running. */
static void shutdown_during_sync(int diskless)
{
    harness_server P, R;
    char args[256];
    snprintf(args, sizeof(args), "--repl-diskless-sync %s --repl-diskless-sync-delay 0 --save",
             diskless ? "yes" : "no");
    assert_int_equal(harness_start_server(&P, args), 0);
    redisContext *pc = harness_connect(&P);
    assert_non_null(pc);
    for (int i = 0; i < 20000; i++)
        redisAppendCommand(pc, "SET k%d %d", i, i);
    for (int i = 0; i < 20000; i++) {
        redisReply *r = NULL;
        assert_int_equal(redisGetReply(pc, (void **)&r), REDIS_OK);
        freeReplyObject(r);
    }
    ok(cmd(pc, "CONFIG SET rdb-key-save-delay 1000")); /* 20 s of snapshot */
    assert_int_equal(harness_start_server(&R, "--save"), 0);
    redisContext *rc = harness_connect(&R);
    assert_non_null(rc);
    ok(cmd(rc, "REPLICAOF 127.0.0.1 %d", P.port));
    assert_true(harness_wait_until(child_started, &P, 10000));
    int child = sync_child_pid(&P);
    assert_int_equal(kill(child, 0), 0);

    redisReply *r = redisCommand(pc, "SHUTDOWN NOSAVE");
    if (r)
        freeReplyObject(r); /* the connection closes instead */
    assert_true(harness_wait_exit(&P, 10000) >= 0);
    int gone = 0;
    for (int i = 0; i < 100 && !gone; i++) {
        gone = kill(child, 0) != 0;
        if (!gone)
            harness_sleep_ms(20);
    }
    assert_true(gone);
    assert_int_equal(count_temp_files(&P), 0);
    assert_true(count_in_log(&P, "Killing it!") == 1);
    redisFree(pc);
    redisFree(rc);
    harness_stop_server(&R);
    harness_stop_server(&P);
}

static void test_shutdown_kills_sync_child(void **state)
{
    (void)state;
    shutdown_during_sync(0);
    shutdown_during_sync(1);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primary_killed_disk),
        cmocka_unit_test(test_primary_killed_diskless),
        cmocka_unit_test(test_replica_killed_disk),
        cmocka_unit_test(test_replica_killed_diskless),
        cmocka_unit_test(test_replica_killed_diskless_swapdb),
        cmocka_unit_test(test_shutdown_kills_sync_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
