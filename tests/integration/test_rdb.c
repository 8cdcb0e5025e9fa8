/* test_rdb: RDB persistence against real keel-server processes: every type
 * and encoding (with TTLs, in several databases) survives SAVE + restart,
 * BGSAVE + restart and a SHUTDOWN that saves; SHUTDOWN NOSAVE/SAVE; a key
 * that expired while the server was down is not loaded; truncated and
 * corrupt files stop start-up with the file and offset in the log; LASTSAVE
 * moves; save points trigger BGSAVE; BGSAVE's replies while one runs; a
 * failed BGSAVE refuses writes with -MISCONF; clients get -LOADING while a
 * dataset loads; FLUSHALL writes the empty dataset; the save options; and
 * BGSAVE under a write load keeps serving (the worst PING latency during the
 * fork is printed). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "harness.h"

#define RESTART_MS 30000
/* `--save` followed by another option (the harness adds --port) means save "". */

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

static void expect_status(redisReply *r, const char *s)
{
    if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, s) != 0)
        fail_msg("expected +%s, got type %d '%s'", s, r->type, r->str ? r->str : "");
    freeReplyObject(r);
}

static void expect_error_prefix(redisReply *r, const char *prefix)
{
    if (r->type != REDIS_REPLY_ERROR || strncmp(r->str, prefix, strlen(prefix)) != 0)
        fail_msg("expected -%s..., got type %d '%s'", prefix, r->type, r->str ? r->str : "");
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

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The value of an INFO field, or -1. */
static long long info_field(redisContext *c, const char *field)
{
    redisReply *r = cmd(c, "INFO persistence");
    long long v = -1;
    char key[128];
    snprintf(key, sizeof(key), "\r\n%s:", field);
    const char *p = r->str ? strstr(r->str, key) : NULL;
    if (p)
        v = strtoll(p + strlen(key), NULL, 10);
    freeReplyObject(r);
    return v;
}

static int info_has(redisContext *c, const char *text)
{
    redisReply *r = cmd(c, "INFO persistence");
    int has = r->str && strstr(r->str, text) != NULL;
    freeReplyObject(r);
    return has;
}

static void wait_bgsave_done(redisContext *c)
{
    long long until = mono_ms() + 30000;
    while (info_field(c, "rdb_bgsave_in_progress") != 0) {
        if (mono_ms() > until)
            fail_msg("BGSAVE still running after 30 s");
        harness_sleep_ms(20);
    }
}

static int log_has(harness_server *s, const char *text)
{
    char *log = harness_read_log(s);
    int has = log && strstr(log, text) != NULL;
    free(log);
    return has;
}

static void path_in(harness_server *s, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", s->dir, name);
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static redisContext *connect_or_fail(harness_server *s)
{
    redisContext *c = harness_connect(s);
    if (!c)
        fail_msg("cannot connect to keel-server on port %d", s->port);
    return c;
}

static void start_or_fail(harness_server *s, const char *args)
{
    if (harness_start_server(s, args) != 0)
        fail_msg("keel-server did not start with '%s'", args);
}

static void restart_or_fail(harness_server *s, const char *args)
{
    if (harness_restart_server(s, args, RESTART_MS) != 0)
        fail_msg("keel-server did not restart with '%s'", args);
}

/* --------------------------------------------------- the dataset to keep */

/* Every type in its compact and full encodings, ints and binary data,
 * TTLs, in databases 0 and 7. */
static void fill(redisContext *c)
{
    char big[20000];
    memset(big, 'q', sizeof(big));
    freeReplyObject(cmd(c, "SET str:int 12345"));
    freeReplyObject(cmd(c, "SET str:neg -9000000000"));
    freeReplyObject(cmd(c, "SET str:embstr hello"));
    freeReplyObject(cmd(c, "SET str:raw %b", big, (size_t)100));
    freeReplyObject(cmd(c, "SET str:big %b", big, sizeof(big)));
    freeReplyObject(cmd(c, "SET str:bin %b", "a\0b\r\n\xff", (size_t)6));
    freeReplyObject(cmd(c, "SET str:empty %s", ""));
    freeReplyObject(cmd(c, "SET str:ttl v PX 3600000"));
    freeReplyObject(cmd(c, "RPUSH list:small a b 1 -2 300000 99999999999"));
    freeReplyObject(cmd(c, "RPUSH list:bigitem x %b y", big, sizeof(big)));
    for (int i = 0; i < 3000; i++)
        freeReplyObject(cmd(c, "RPUSH list:big item-%d %d", i, i));
    freeReplyObject(cmd(c, "SADD set:intset 1 2 3 -4 4611686018427387904"));
    freeReplyObject(cmd(c, "SADD set:strings a b c"));
    for (int i = 0; i < 700; i++) {
        freeReplyObject(cmd(c, "SADD set:bigints %d", i));
        freeReplyObject(cmd(c, "SADD set:big m%d", i));
    }
    freeReplyObject(cmd(c, "HSET hash:small f1 v1 f2 2 f3 -3"));
    freeReplyObject(cmd(c, "HSET hash:long f %b", big, (size_t)100));
    for (int i = 0; i < 600; i++)
        freeReplyObject(cmd(c, "HSET hash:big field%d value%d", i, i));
    freeReplyObject(cmd(c, "PEXPIRE hash:big 7200000"));
    freeReplyObject(cmd(c, "ZADD zset:small 1 a 2.5 b -3 c 0 d 1e-7 e"));
    freeReplyObject(cmd(c, "ZADD zset:inf -inf lo +inf hi 0 mid"));
    freeReplyObject(cmd(c, "ZADD zset:long 1 %b 2 short", big, (size_t)100));
    for (int i = 0; i < 300; i++)
        freeReplyObject(cmd(c, "ZADD zset:big %f member%d", i * 1.25 - 50, i));
    freeReplyObject(cmd(c, "PEXPIRE zset:big 9000000"));
    freeReplyObject(cmd(c, "SELECT 7"));
    freeReplyObject(cmd(c, "SET db7:str seven"));
    freeReplyObject(cmd(c, "RPUSH db7:list x y z"));
    freeReplyObject(cmd(c, "SET db7:ttl v PX 5000000"));
    freeReplyObject(cmd(c, "SELECT 0"));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reply elements as one line, sorted when the order carries no meaning. */
static void cat_elements(char **out, size_t *len, redisReply *r, int sorted)
{
    char **items = calloc(r->elements + 1, sizeof(char *));
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *e = r->element[i];
        items[i] = malloc(e->len * 4 + 1);
        char *p = items[i];
        for (size_t k = 0; k < e->len; k++)
            p += sprintf(p, (unsigned char)e->str[k] < 32 ? "\\x%02x" : "%c",
                         (unsigned char)e->str[k]);
        *p = '\0';
    }
    if (sorted)
        qsort(items, r->elements, sizeof(char *), cmp_str);
    for (size_t i = 0; i < r->elements; i++) {
        size_t n = strlen(items[i]);
        *out = realloc(*out, *len + n + 2);
        memcpy(*out + *len, items[i], n);
        (*out)[*len + n] = ',';
        *len += n + 1;
        (*out)[*len] = '\0';
        free(items[i]);
    }
    free(items);
}

/* A canonical text of every key: db, name, type, encoding, whether it has
 * a TTL, and the value. */
static char *snapshot(redisContext *c)
{
    char **lines = NULL;
    size_t nlines = 0;
    for (int db = 0; db < 16; db++) {
        freeReplyObject(cmd(c, "SELECT %d", db));
        redisReply *keys = cmd(c, "KEYS *");
        for (size_t i = 0; i < keys->elements; i++) {
            const char *k = keys->element[i]->str;
            size_t kl = keys->element[i]->len;
            redisReply *t = cmd(c, "TYPE %b", k, kl);
            redisReply *enc = cmd(c, "OBJECT ENCODING %b", k, kl);
            long long pttl = int_reply(cmd(c, "PTTL %b", k, kl));
            char *line = NULL;
            size_t len = 0;
            line = malloc(512 + kl);
            len = (size_t)sprintf(line, "%d %.*s %s %s ttl=%d ", db, (int)kl, k, t->str, enc->str,
                                  pttl > 0);
            redisReply *v;
            if (!strcmp(t->str, "string")) {
                v = cmd(c, "GET %b", k, kl);
                redisReply wrap = {.type = REDIS_REPLY_ARRAY, .elements = 1, .element = &v};
                cat_elements(&line, &len, &wrap, 0);
            } else if (!strcmp(t->str, "list")) {
                v = cmd(c, "LRANGE %b 0 -1", k, kl);
                cat_elements(&line, &len, v, 0);
            } else if (!strcmp(t->str, "set")) {
                v = cmd(c, "SMEMBERS %b", k, kl);
                cat_elements(&line, &len, v, 1);
            } else if (!strcmp(t->str, "zset")) {
                v = cmd(c, "ZRANGE %b 0 -1 WITHSCORES", k, kl);
                cat_elements(&line, &len, v, 0);
            } else {
                v = cmd(c, "HGETALL %b", k, kl);
                /* field=value pairs, sorted */
                redisReply **pairs = calloc(v->elements / 2 + 1, sizeof(*pairs));
                redisReply pr[4096];
                size_t np = v->elements / 2 < 4096 ? v->elements / 2 : 4096;
                char *buf = malloc(v->elements * 64 + 64);
                for (size_t j = 0; j < np; j++) {
                    int n =
                        sprintf(buf, "%s=%s", v->element[2 * j]->str, v->element[2 * j + 1]->str);
                    pr[j] = (redisReply){.type = REDIS_REPLY_STRING, .len = (size_t)n};
                    pr[j].str = strdup(buf);
                    pairs[j] = &pr[j];
                }
                redisReply wrap = {.type = REDIS_REPLY_ARRAY, .elements = np, .element = pairs};
                cat_elements(&line, &len, &wrap, 1);
                for (size_t j = 0; j < np; j++)
                    free(pr[j].str);
                free(pairs);
                free(buf);
            }
            freeReplyObject(v);
            freeReplyObject(t);
            freeReplyObject(enc);
            lines = realloc(lines, (nlines + 1) * sizeof(char *));
            lines[nlines++] = line;
        }
        freeReplyObject(keys);
    }
    freeReplyObject(cmd(c, "SELECT 0"));
    qsort(lines, nlines, sizeof(char *), cmp_str);
    size_t total = 1;
    for (size_t i = 0; i < nlines; i++)
        total += strlen(lines[i]) + 1;
    char *out = malloc(total);
    out[0] = '\0';
    for (size_t i = 0; i < nlines; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
        free(lines[i]);
    }
    free(lines);
    return out;
}

static void expect_same(const char *what, const char *got, const char *want)
{
    if (strcmp(got, want) != 0) {
        size_t i = 0;
        while (got[i] && got[i] == want[i])
            i++;
        size_t from = i > 200 ? i - 200 : 0;
        fail_msg("%s: datasets differ at byte %zu\n got: %.400s\nwant: %.400s", what, i, got + from,
                 want + from);
    }
}

/* ------------------------------------------------------------ round trips */

static void test_save_restart_round_trip(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save");
    redisContext *c = connect_or_fail(&s);
    fill(c);
    char *want = snapshot(c);
    expect_status(cmd(c, "SAVE"), "OK");
    assert_int_equal(info_field(c, "rdb_changes_since_last_save"), 0);
    redisFree(c);
    restart_or_fail(&s, "--save");
    c = connect_or_fail(&s);
    char *got = snapshot(c);
    expect_same("after SAVE and a restart", got, want);
    assert_int_equal(info_field(c, "rdb_last_load_keys_loaded"), 25);
    assert_true(log_has(&s, "Done loading RDB, keys loaded: 25, keys expired: 0."));
    long long ttl = int_reply(cmd(c, "PTTL str:ttl"));
    assert_true(ttl > 3500000 && ttl <= 3600000);
    free(got);
    /* And once more, from the file Keel just loaded and saved again, with
     * compression off. */
    freeReplyObject(cmd(c, "CONFIG SET rdbcompression no"));
    expect_status(cmd(c, "SAVE"), "OK");
    redisFree(c);
    restart_or_fail(&s, "--save");
    c = connect_or_fail(&s);
    got = snapshot(c);
    expect_same("after a second save, uncompressed", got, want);
    free(got);
    free(want);
    redisFree(c);
    harness_stop_server(&s);
}

static void test_bgsave_restart_round_trip(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save");
    redisContext *c = connect_or_fail(&s);
    fill(c);
    char *want = snapshot(c);
    long long before = int_reply(cmd(c, "LASTSAVE"));
    harness_sleep_ms(1100);
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    wait_bgsave_done(c);
    assert_true(int_reply(cmd(c, "LASTSAVE")) > before);
    assert_int_equal(info_field(c, "rdb_changes_since_last_save"), 0);
    assert_true(info_has(c, "rdb_last_bgsave_status:ok"));
    assert_true(info_field(c, "rdb_saves") >= 1);
    assert_true(log_has(&s, "Background saving started by pid"));
    assert_true(log_has(&s, "DB saved on disk"));
    assert_true(log_has(&s, "Background saving terminated with success"));
    redisFree(c);
    restart_or_fail(&s, "--save");
    c = connect_or_fail(&s);
    char *got = snapshot(c);
    expect_same("after BGSAVE and a restart", got, want);
    free(got);
    free(want);
    redisFree(c);
    harness_stop_server(&s);
}

static void test_shutdown_saves(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save 3600 1");
    redisContext *c = connect_or_fail(&s);
    freeReplyObject(cmd(c, "SET kept 1"));
    redisFree(c);
    /* SIGTERM with save points set: a final snapshot. */
    restart_or_fail(&s, "--save 3600 1");
    c = connect_or_fail(&s);
    redisReply *r = cmd(c, "GET kept");
    assert_string_equal(r->str, "1");
    freeReplyObject(r);
    assert_true(log_has(&s, "DB loaded from disk"));
    /* SHUTDOWN NOSAVE: the new key is lost. */
    freeReplyObject(cmd(c, "SET lost 1"));
    r = redisCommand(c, "SHUTDOWN NOSAVE");
    if (r)
        freeReplyObject(r);
    redisFree(c);
    assert_int_equal(harness_wait_exit(&s, 10000), 0);
    s.pid = 0;
    if (harness_spawn_in_dir(&s, "--save") != 0 || harness_wait_ready(&s, RESTART_MS) != 0)
        fail_msg("no restart");
    c = connect_or_fail(&s);
    assert_int_equal(int_reply(cmd(c, "EXISTS kept lost")), 1);
    /* Without save points SHUTDOWN does not save, SHUTDOWN SAVE does. */
    freeReplyObject(cmd(c, "SET forced 1"));
    r = redisCommand(c, "SHUTDOWN SAVE");
    if (r)
        freeReplyObject(r);
    redisFree(c);
    assert_int_equal(harness_wait_exit(&s, 10000), 0);
    s.pid = 0;
    if (harness_spawn_in_dir(&s, "--save") != 0 || harness_wait_ready(&s, RESTART_MS) != 0)
        fail_msg("no restart");
    c = connect_or_fail(&s);
    assert_int_equal(int_reply(cmd(c, "EXISTS kept forced")), 2);
    redisFree(c);
    harness_stop_server(&s);
}

static void test_shutdown_refused_when_save_fails(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save 3600 1");
    char p[512];
    path_in(&s, "dump.rdb", p, sizeof(p));
    assert_int_equal(mkdir(p, 0755), 0); /* rename() onto a directory fails, even for root */
    redisContext *c = connect_or_fail(&s);
    freeReplyObject(cmd(c, "SET a 1"));
    expect_error_prefix(cmd(c, "SHUTDOWN"), "ERR Errors trying to SHUTDOWN. Check logs.");
    assert_true(log_has(&s, "Error trying to save the DB, can't exit."));
    redisReply *r = redisCommand(c, "SHUTDOWN FORCE");
    if (r)
        freeReplyObject(r);
    redisFree(c);
    assert_int_equal(harness_wait_exit(&s, 10000), 0);
    s.pid = 0;
    assert_true(log_has(&s, "Error trying to save the DB. Exit anyway."));
    rmdir(p);
    harness_stop_server(&s);
}

static void test_expired_while_down_not_loaded(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save");
    redisContext *c = connect_or_fail(&s);
    freeReplyObject(cmd(c, "SET short v PX 1200"));
    freeReplyObject(cmd(c, "RPUSH shortlist a PX"));
    freeReplyObject(cmd(c, "PEXPIRE shortlist 1200"));
    freeReplyObject(cmd(c, "SET long v EX 3600"));
    freeReplyObject(cmd(c, "SET forever v"));
    expect_status(cmd(c, "SAVE"), "OK");
    redisFree(c);
    harness_kill_server(&s, SIGTERM);
    harness_sleep_ms(1500);
    if (harness_spawn_in_dir(&s, "--save") != 0 || harness_wait_ready(&s, RESTART_MS) != 0)
        fail_msg("no restart");
    c = connect_or_fail(&s);
    assert_int_equal(int_reply(cmd(c, "EXISTS short shortlist")), 0);
    assert_int_equal(int_reply(cmd(c, "EXISTS long forever")), 2);
    assert_int_equal(info_field(c, "rdb_last_load_keys_expired"), 2);
    assert_int_equal(info_field(c, "rdb_last_load_keys_loaded"), 2);
    assert_true(log_has(&s, "keys loaded: 2, keys expired: 2"));
    redisFree(c);
    harness_stop_server(&s);
}

/* ------------------------------------------------- bad files stop start-up */

static void save_small_dataset(char *path_out, size_t outlen, long long *size)
{
    harness_server s;
    start_or_fail(&s, "--save");
    redisContext *c = connect_or_fail(&s);
    for (int i = 0; i < 200; i++)
        freeReplyObject(cmd(c, "SET key:%d value-%d", i, i));
    freeReplyObject(cmd(c, "RPUSH list a b c"));
    expect_status(cmd(c, "SAVE"), "OK");
    redisFree(c);
    char p[512];
    path_in(&s, "dump.rdb", p, sizeof(p));
    snprintf(path_out, outlen, "/tmp/keel-rdb-good-%d.rdb", (int)getpid());
    char shell[1200];
    snprintf(shell, sizeof(shell), "cp '%s' '%s'", p, path_out);
    assert_int_equal(system(shell), 0);
    *size = file_size(path_out);
    harness_stop_server(&s);
}

/* Start on a copy of `good` changed by `edit`; expect exit code 1 and the
 * log to contain every one of the texts. */
static void expect_refused(const char *good, long long truncate_at, long long flip_at,
                           const char *const *texts)
{
    harness_server s;
    assert_int_equal(harness_make_dir(&s), 0);
    char p[512];
    path_in(&s, "dump.rdb", p, sizeof(p));
    FILE *in = fopen(good, "rb");
    FILE *out = fopen(p, "wb");
    assert_non_null(in);
    assert_non_null(out);
    int ch;
    long long pos = 0;
    while ((ch = fgetc(in)) != EOF && (truncate_at < 0 || pos < truncate_at)) {
        fputc(pos == flip_at ? ch ^ 0x5A : ch, out);
        pos++;
    }
    fclose(in);
    fclose(out);
    assert_int_equal(harness_spawn_in_dir(&s, "--save"), 0);
    int rc = harness_wait_exit(&s, 10000);
    char *log = harness_read_log(&s);
    if (rc != 1)
        fail_msg("exit code %d, expected 1; log:\n%s", rc, log ? log : "");
    for (const char *const *t = texts; *t; t++)
        if (!log || !strstr(log, *t))
            fail_msg("log lacks '%s':\n%s", *t, log ? log : "");
    assert_true(strstr(log, "Ready to accept connections") == NULL);
    free(log);
    harness_stop_server(&s);
}

static void test_truncated_and_corrupt_files_stop_startup(void **state)
{
    (void)state;
    char good[256];
    long long size;
    save_small_dataset(good, sizeof(good), &size);
    assert_true(size > 100);
    char want[256];

    /* The offset is where the read that failed began. */
    snprintf(want, sizeof(want), " of %lld bytes: ", size / 2);
    const char *half[] = {"Short read or OOM loading DB from dump.rdb at offset ", want,
                          "Unrecoverable error, aborting now.", NULL};
    expect_refused(good, size / 2, -1, half);

    snprintf(want, sizeof(want), "at offset %lld of %lld bytes", size - 8, size - 3);
    const char *no_trailer[] = {"Short read", want, NULL};
    expect_refused(good, size - 3, -1, no_trailer);

    /* A flipped byte in a value: only the checksum can tell. */
    snprintf(want, sizeof(want), "at offset %lld: wrong RDB checksum", size - 8);
    const char *flipped[] = {"Corrupt RDB file dump.rdb", want, NULL};
    expect_refused(good, -1, size - 40, flipped);

    const char *signature[] = {"Corrupt RDB file dump.rdb at offset 0: wrong signature", NULL};
    expect_refused(good, -1, 0, signature);

    const char *empty[] = {"Short read", "at offset 0 of 0 bytes", NULL};
    expect_refused(good, 0, -1, empty);
    unlink(good);
}

static void test_unknown_type_stops_startup(void **state)
{
    (void)state;
    harness_server s;
    assert_int_equal(harness_make_dir(&s), 0);
    char p[512];
    path_in(&s, "dump.rdb", p, sizeof(p));
    /* header, SELECTDB 0, then a value type that does not exist (8) */
    const unsigned char bad[] = "REDIS0010\xfe\x00\x08\x01k\x01v\xff";
    FILE *f = fopen(p, "wb");
    fwrite(bad, 1, sizeof(bad) - 1, f);
    fwrite("\0\0\0\0\0\0\0\0", 1, 8, f);
    fclose(f);
    assert_int_equal(harness_spawn_in_dir(&s, "--save"), 0);
    assert_int_equal(harness_wait_exit(&s, 10000), 1);
    assert_true(log_has(&s, "Corrupt RDB file dump.rdb at offset 12: unknown RDB type 8"));
    harness_stop_server(&s);

    /* The same key twice in one database. */
    assert_int_equal(harness_make_dir(&s), 0);
    path_in(&s, "dump.rdb", p, sizeof(p));
    const unsigned char dup[] = "REDIS0010\xfe\x00\x00\x01k\x01v\x00\x01k\x01w\xff";
    f = fopen(p, "wb");
    fwrite(dup, 1, sizeof(dup) - 1, f);
    fwrite("\0\0\0\0\0\0\0\0", 1, 8, f);
    fclose(f);
    assert_int_equal(harness_spawn_in_dir(&s, "--save"), 0);
    assert_int_equal(harness_wait_exit(&s, 10000), 1);
    assert_true(log_has(&s, "duplicate key 'k' in DB 0"));
    harness_stop_server(&s);
}

/* ----------------------------------------------------------- LASTSAVE etc */

static void test_lastsave_and_save_points(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save 1 1");
    redisContext *c = connect_or_fail(&s);
    long long t0 = int_reply(cmd(c, "LASTSAVE"));
    long long now = (long long)time(NULL);
    assert_true(t0 <= now && t0 >= now - 10);
    redisReply *r = cmd(c, "CONFIG GET save");
    assert_string_equal(r->element[1]->str, "1 1");
    freeReplyObject(r);
    /* One change and more than a second: the cron starts a BGSAVE. */
    freeReplyObject(cmd(c, "SET a 1"));
    long long until = mono_ms() + 10000;
    while (int_reply(cmd(c, "LASTSAVE")) == t0 && mono_ms() < until)
        harness_sleep_ms(50);
    assert_true(int_reply(cmd(c, "LASTSAVE")) > t0);
    wait_bgsave_done(c);
    assert_true(log_has(&s, "1 changes in 1 seconds. Saving..."));
    assert_true(log_has(&s, "Background saving terminated with success"));
    char p[512];
    path_in(&s, "dump.rdb", p, sizeof(p));
    assert_true(file_size(p) > 0);
    /* No changes: no more saves. */
    long long t1 = int_reply(cmd(c, "LASTSAVE"));
    harness_sleep_ms(2200);
    assert_int_equal(int_reply(cmd(c, "LASTSAVE")), t1);
    redisFree(c);
    harness_stop_server(&s);
}

static void test_bgsave_while_running(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save --rdb-key-save-delay 2500");
    redisContext *c = connect_or_fail(&s);
    for (int i = 0; i < 1000; i++)
        freeReplyObject(cmd(c, "SET k%d %d", i, i));
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    assert_int_equal(info_field(c, "rdb_bgsave_in_progress"), 1);
    assert_int_equal(info_field(c, "current_save_keys_total"), 1000);
    expect_error_prefix(cmd(c, "BGSAVE"), "ERR Background save already in progress");
    expect_error_prefix(cmd(c, "BGSAVE SCHEDULE"), "ERR Background save already in progress");
    expect_error_prefix(cmd(c, "SAVE"), "ERR Background save already in progress");
    expect_error_prefix(cmd(c, "BGSAVE NOW"), "ERR syntax error");
    harness_sleep_ms(1200);
    assert_true(info_field(c, "rdb_current_bgsave_time_sec") >= 1);
    assert_true(info_field(c, "current_save_keys_processed") > 0);
    /* The server answers while the child works. */
    expect_status(cmd(c, "PING"), "PONG");
    wait_bgsave_done(c);
    assert_true(info_field(c, "rdb_last_bgsave_time_sec") >= 0);
    /* Inside MULTI a BGSAVE is scheduled, then run by the cron. */
    freeReplyObject(cmd(c, "CONFIG SET rdb-key-save-delay 0"));
    freeReplyObject(cmd(c, "MULTI"));
    freeReplyObject(cmd(c, "BGSAVE"));
    redisReply *r = cmd(c, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "Background saving scheduled");
    freeReplyObject(r);
    long long until = mono_ms() + 10000;
    while (!log_has(&s, "Background saving started by pid") && mono_ms() < until)
        harness_sleep_ms(50);
    wait_bgsave_done(c);
    redisFree(c);
    harness_stop_server(&s);
}

static void test_failed_bgsave_misconf(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save 3600 1");
    char p[512];
    path_in(&s, "dump.rdb", p, sizeof(p));
    assert_int_equal(mkdir(p, 0755), 0);
    redisContext *c = connect_or_fail(&s);
    freeReplyObject(cmd(c, "SET a 1"));
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    wait_bgsave_done(c);
    assert_true(info_has(c, "rdb_last_bgsave_status:err"));
    assert_true(log_has(&s, "Background saving error"));
    expect_error_prefix(cmd(c, "SET b 2"), "MISCONF Redis is configured to save RDB snapshots");
    expect_error_prefix(cmd(c, "PING"), "MISCONF");
    redisReply *r = cmd(c, "GET a");
    assert_string_equal(r->str, "1");
    freeReplyObject(r);
    /* Inside MULTI the refused write dooms the transaction. */
    freeReplyObject(cmd(c, "MULTI"));
    expect_error_prefix(cmd(c, "SET b 2"), "MISCONF");
    expect_error_prefix(cmd(c, "EXEC"), "EXECABORT");
    /* The operator can choose to accept writes anyway. */
    freeReplyObject(cmd(c, "CONFIG SET stop-writes-on-bgsave-error no"));
    expect_status(cmd(c, "SET b 2"), "OK");
    freeReplyObject(cmd(c, "CONFIG SET stop-writes-on-bgsave-error yes"));
    /* A good save clears the error. */
    rmdir(p);
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    wait_bgsave_done(c);
    assert_true(info_has(c, "rdb_last_bgsave_status:ok"));
    expect_status(cmd(c, "SET c 3"), "OK");
    redisFree(c);
    harness_stop_server(&s);
}

/* ------------------------------------------------------------ -LOADING */

static void test_loading_replies_and_progress(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save");
    redisContext *c = connect_or_fail(&s);
    for (int i = 0; i < 3000; i++)
        freeReplyObject(cmd(c, "SET k%d %d", i, i));
    expect_status(cmd(c, "SAVE"), "OK");
    redisFree(c);
    harness_kill_server(&s, SIGTERM);
    /* 1 ms per key: about 3 s of loading. */
    assert_int_equal(harness_spawn_in_dir(&s, "--save --key-load-delay 1000"), 0);
    int saw_loading = 0, saw_info = 0;
    long long until = mono_ms() + 20000;
    while (mono_ms() < until) {
        struct timeval tv = {0, 200000};
        redisContext *p = redisConnectWithTimeout("127.0.0.1", s.port, tv);
        if (!p || p->err) {
            if (p)
                redisFree(p);
            harness_sleep_ms(20);
            continue;
        }
        redisReply *r = redisCommand(p, "GET k1");
        if (r && r->type == REDIS_REPLY_ERROR &&
            !strcmp(r->str, "LOADING Redis is loading the dataset in memory")) {
            saw_loading = 1;
            redisReply *i = redisCommand(p, "INFO persistence");
            if (i && i->str && strstr(i->str, "loading:1\r\n") &&
                strstr(i->str, "loading_total_bytes:"))
                saw_info = 1;
            if (i)
                freeReplyObject(i);
        } else if (r && r->type == REDIS_REPLY_STRING) {
            freeReplyObject(r);
            redisFree(p);
            break;
        }
        if (r)
            freeReplyObject(r);
        redisFree(p);
        harness_sleep_ms(100);
    }
    assert_true(saw_loading);
    assert_true(saw_info);
    c = connect_or_fail(&s);
    redisReply *r = cmd(c, "GET k2999");
    assert_string_equal(r->str, "2999");
    freeReplyObject(r);
    assert_int_equal(info_field(c, "loading"), 0);
    assert_true(log_has(&s, "Loading: "));
    assert_true(log_has(&s, "MB/s"));
    redisFree(c);
    harness_stop_server(&s);
}

static void test_sigterm_while_loading(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save");
    redisContext *c = connect_or_fail(&s);
    for (int i = 0; i < 2000; i++)
        freeReplyObject(cmd(c, "SET k%d %d", i, i));
    expect_status(cmd(c, "SAVE"), "OK");
    redisFree(c);
    harness_kill_server(&s, SIGTERM);
    char p[512];
    path_in(&s, "dump.rdb", p, sizeof(p));
    long long size = file_size(p);
    assert_int_equal(harness_spawn_in_dir(&s, "--save 1 1 --key-load-delay 1000"), 0);
    harness_sleep_ms(700);
    kill(s.pid, SIGTERM);
    assert_int_equal(harness_wait_exit(&s, 10000), 0);
    s.pid = 0;
    /* Half a dataset was never saved over the file. */
    assert_int_equal(file_size(p), size);
    assert_true(log_has(&s, "Exiting while loading the dataset"));
    harness_stop_server(&s);
}

/* ------------------------------------------------------------- FLUSHALL */

static void test_flushall_saves_empty_dataset(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save 3600 100");
    redisContext *c = connect_or_fail(&s);
    for (int i = 0; i < 50; i++)
        freeReplyObject(cmd(c, "SET k%d %d", i, i));
    expect_status(cmd(c, "SAVE"), "OK");
    expect_status(cmd(c, "FLUSHALL"), "OK");
    /* FLUSHALL counts as changes (so it reaches the AOF and replicas). */
    assert_true(info_field(c, "rdb_changes_since_last_save") > 0);
    redisFree(c);
    harness_kill_server(&s, SIGKILL); /* no shutdown save: only FLUSHALL's */
    if (harness_spawn_in_dir(&s, "--save") != 0 || harness_wait_ready(&s, RESTART_MS) != 0)
        fail_msg("no restart");
    c = connect_or_fail(&s);
    assert_int_equal(int_reply(cmd(c, "DBSIZE")), 0);
    redisFree(c);
    harness_stop_server(&s);
}

/* No temp-*.rdb left behind in the server's directory. */
static int no_temp_files(harness_server *s)
{
    char shell[600];
    snprintf(shell, sizeof(shell), "ls '%s' | grep -q '^temp-'", s->dir);
    return system(shell) != 0;
}

static void test_flushall_and_shutdown_stop_a_bgsave(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save 3600 1 --rdb-key-save-delay 10000");
    redisContext *c = connect_or_fail(&s);
    for (int i = 0; i < 100; i++)
        freeReplyObject(cmd(c, "SET k%d %d", i, i));
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    /* FLUSHALL: the save of data that is gone is stopped, not an error. */
    freeReplyObject(cmd(c, "CONFIG SET rdb-key-save-delay 0"));
    expect_status(cmd(c, "FLUSHALL"), "OK");
    wait_bgsave_done(c);
    assert_true(log_has(&s, "Background saving terminated by signal 10"));
    assert_true(info_has(c, "rdb_last_bgsave_status:ok"));
    assert_true(no_temp_files(&s));
    /* SHUTDOWN during a BGSAVE: the child is stopped, the final save made. */
    freeReplyObject(cmd(c, "SET last 1"));
    freeReplyObject(cmd(c, "CONFIG SET rdb-key-save-delay 1000000"));
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    freeReplyObject(cmd(c, "CONFIG SET rdb-key-save-delay 0"));
    redisReply *r = redisCommand(c, "SHUTDOWN");
    if (r)
        freeReplyObject(r);
    redisFree(c);
    assert_int_equal(harness_wait_exit(&s, 10000), 0);
    s.pid = 0;
    assert_true(log_has(&s, "There is a child saving an .rdb. Killing it!"));
    assert_true(log_has(&s, "Saving the final RDB snapshot before exiting."));
    if (harness_spawn_in_dir(&s, "--save") != 0 || harness_wait_ready(&s, RESTART_MS) != 0)
        fail_msg("no restart");
    c = connect_or_fail(&s);
    assert_int_equal(int_reply(cmd(c, "DBSIZE")), 1);
    redisFree(c);
    assert_true(no_temp_files(&s));
    harness_stop_server(&s);
}

/* -------------------------------------------------------------- options */

static void test_save_options(void **state)
{
    (void)state;
    harness_server s;
    assert_int_equal(harness_make_dir(&s), 0);
    char conf[512];
    path_in(&s, "keel.conf", conf, sizeof(conf));
    FILE *f = fopen(conf, "w");
    fprintf(f, "save 900 1\nsave 300 10\nsave 60 10000\ndbfilename data.rdb\n");
    fclose(f);
    char args[700];
    snprintf(args, sizeof(args), "%s --enable-protected-configs yes", conf);
    assert_int_equal(harness_spawn_in_dir(&s, args), 0);
    assert_int_equal(harness_wait_ready(&s, RESTART_MS), 0);
    redisContext *c = connect_or_fail(&s);
    redisReply *r = cmd(c, "CONFIG GET save");
    assert_string_equal(r->element[1]->str, "900 1 300 10 60 10000");
    freeReplyObject(r);
    expect_status(cmd(c, "CONFIG SET save %s", "100 5"), "OK");
    r = cmd(c, "CONFIG GET save");
    assert_string_equal(r->element[1]->str, "100 5");
    freeReplyObject(r);
    expect_error_prefix(cmd(c, "CONFIG SET save %s", "100"), "ERR CONFIG SET failed");
    expect_error_prefix(cmd(c, "CONFIG SET save %s", "0 5"), "ERR CONFIG SET failed");
    expect_status(cmd(c, "CONFIG SET save %s", ""), "OK");
    r = cmd(c, "CONFIG GET save");
    assert_string_equal(r->element[1]->str, "");
    freeReplyObject(r);
    r = cmd(c, "CONFIG GET dbfilename");
    assert_string_equal(r->element[1]->str, "data.rdb");
    freeReplyObject(r);
    expect_error_prefix(cmd(c, "CONFIG SET dbfilename /tmp/x.rdb"),
                        "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - "
                        "dbfilename can't be a path, just a filename");
    freeReplyObject(cmd(c, "SET a 1"));
    expect_status(cmd(c, "SAVE"), "OK");
    char p[512];
    path_in(&s, "data.rdb", p, sizeof(p));
    assert_true(file_size(p) > 0);
    r = cmd(c, "CONFIG GET rdb*");
    assert_true(r->elements >= 8);
    freeReplyObject(r);
    expect_error_prefix(cmd(c, "CONFIG SET rdbchecksum no"), "ERR CONFIG SET failed");
    redisFree(c);
    harness_kill_server(&s, SIGTERM);
    /* A `save ""` on the command line clears the file's save points. */
    snprintf(args, sizeof(args), "%s --save", conf);
    assert_int_equal(harness_spawn_in_dir(&s, args), 0);
    assert_int_equal(harness_wait_ready(&s, RESTART_MS), 0);
    c = connect_or_fail(&s);
    r = cmd(c, "CONFIG GET save");
    assert_string_equal(r->element[1]->str, "");
    freeReplyObject(r);
    assert_int_equal(int_reply(cmd(c, "EXISTS a")), 1); /* loaded from data.rdb */
    redisFree(c);
    harness_stop_server(&s);
}

/* ------------------------------------------------ BGSAVE under write load */

static void test_bgsave_under_write_load(void **state)
{
    (void)state;
    harness_server s;
    start_or_fail(&s, "--save");
    redisContext *c = connect_or_fail(&s);
    /* A dataset big enough for the fork to copy page tables: 300k keys. */
    for (int i = 0; i < 300000; i += 1000) {
        for (int j = i; j < i + 1000; j++)
            redisAppendCommand(c, "SET key:%d value-%d-xxxxxxxxxxxxxxxxxxxxxxxx", j, j);
        for (int j = i; j < i + 1000; j++) {
            redisReply *r;
            assert_int_equal(redisGetReply(c, (void **)&r), REDIS_OK);
            freeReplyObject(r);
        }
    }
    redisContext *w = connect_or_fail(&s);
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    long long worst = 0, pings = 0, writes = 0;
    long long until = mono_ms() + 60000;
    while (info_field(c, "rdb_bgsave_in_progress") == 1 && mono_ms() < until) {
        /* a burst of writes, then one timed PING */
        for (int j = 0; j < 200; j++)
            redisAppendCommand(w, "SET key:%lld new-%lld", writes + j, writes + j);
        for (int j = 0; j < 200; j++) {
            redisReply *r;
            assert_int_equal(redisGetReply(w, (void **)&r), REDIS_OK);
            assert_int_equal(r->type, REDIS_REPLY_STATUS);
            freeReplyObject(r);
        }
        writes += 200;
        long long t0 = mono_ms();
        expect_status(cmd(c, "PING"), "PONG");
        long long dt = mono_ms() - t0;
        if (dt > worst)
            worst = dt;
        pings++;
    }
    assert_int_equal(info_field(c, "rdb_bgsave_in_progress"), 0);
    assert_true(info_has(c, "rdb_last_bgsave_status:ok"));
    redisReply *r = cmd(c, "INFO stats");
    const char *fk = strstr(r->str, "latest_fork_usec:");
    long long fork_us = fk ? strtoll(fk + 17, NULL, 10) : -1;
    freeReplyObject(r);
    printf("BGSAVE of 300000 keys under write load: %lld writes and %lld PINGs served during the "
           "save, worst PING latency %lld ms, fork %lld us, copy-on-write %lld bytes\n",
           writes, pings, worst, fork_us, info_field(c, "rdb_last_cow_size"));
    assert_true(writes > 0);
    assert_true(worst < 1000);
    redisFree(w);
    redisFree(c);
    harness_stop_server(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_restart_round_trip),
        cmocka_unit_test(test_bgsave_restart_round_trip),
        cmocka_unit_test(test_shutdown_saves),
        cmocka_unit_test(test_shutdown_refused_when_save_fails),
        cmocka_unit_test(test_expired_while_down_not_loaded),
        cmocka_unit_test(test_truncated_and_corrupt_files_stop_startup),
        cmocka_unit_test(test_unknown_type_stops_startup),
        cmocka_unit_test(test_lastsave_and_save_points),
        cmocka_unit_test(test_bgsave_while_running),
        cmocka_unit_test(test_failed_bgsave_misconf),
        cmocka_unit_test(test_loading_replies_and_progress),
        cmocka_unit_test(test_sigterm_while_loading),
        cmocka_unit_test(test_flushall_saves_empty_dataset),
        cmocka_unit_test(test_flushall_and_shutdown_stop_a_bgsave),
        cmocka_unit_test(test_save_options),
        cmocka_unit_test(test_bgsave_under_write_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
