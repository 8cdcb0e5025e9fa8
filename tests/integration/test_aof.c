/* test_aof: integration tests of the append-only file (aof*.c) against a
 * real keel-server that is stopped and started again on the same
 * directory: every type and encoding survives a restart (with an AOF base
 * and with an RDB base), SELECT across databases, expiries stay absolute
 * (a key set with EX 2 and read back 1 s later has about 1 s left, and one
 * that expired while the server was down is gone), BGREWRITEAOF and the
 * manifest it leaves, automatic rewrites, a truncated incr file (loaded and
 * cut back with aof-load-truncated yes, refused with no, an unfinished
 * MULTI dropped), a corrupt byte in the middle (start-up stops with the
 * file and offset), CONFIG SET appendonly yes on a server holding data,
 * the upgrade of an old single appendonly.aof, #TS annotations, and write
 * errors (MISCONF with everysec, exit with always). */
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "harness.h"

static harness_server srv;
static redisContext *ctx;

/* ------------------------------------------------- servers on one dir */

/* The harness gives every start a fresh directory; these tests restart on
 * the same one, so they spawn keel-server themselves (same argv shape:
 * extra args, then --port and --dir). */
static pid_t spawn_in_dir(harness_server *s, const char *args)
{
    char *argv[64];
    int argc = 0;
    char *copy = strdup(args ? args : "");
    argv[argc++] = getenv("KEEL_SERVER");
    for (char *tok = strtok(copy, " "); tok && argc < 56; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    char port[16];
    snprintf(port, sizeof(port), "%d", s->port);
    argv[argc++] = "--port";
    argv[argc++] = port;
    argv[argc++] = "--dir";
    argv[argc++] = s->dir;
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    free(copy);
    s->pid = pid;
    return pid;
}

static int pings(harness_server *s)
{
    struct timeval tv = {0, 200000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
    int ok = 0;
    if (c && !c->err) {
        redisSetTimeout(c, tv);
        redisReply *r = redisCommand(c, "PING");
        ok = r && r->type == REDIS_REPLY_STATUS;
        if (r)
            freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return ok;
}

/* Stop the running server (SIGTERM, or sig) and wait for it. */
static int stop_only(harness_server *s, int sig)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, sig);
    int status = 0;
    for (int i = 0; i < 500; i++) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return status;
        }
        harness_sleep_ms(10);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = 0;
    return status;
}

/* (Re)start on the same directory; 0 once it answers PING. */
static int start_in_dir(harness_server *s, const char *args)
{
    if (ctx) {
        redisFree(ctx);
        ctx = NULL;
    }
    if (s->pid > 0)
        stop_only(s, SIGTERM);
    s->port = harness_free_port();
    spawn_in_dir(s, args);
    for (int i = 0; i < 200; i++) {
        if (pings(s)) {
            ctx = harness_connect(s);
            return ctx ? 0 : -1;
        }
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
        harness_sleep_ms(25);
    }
    return -1;
}

/* Start on the same directory expecting start-up to fail: the exit status. */
static int start_expect_exit(harness_server *s, const char *args)
{
    if (ctx) {
        redisFree(ctx);
        ctx = NULL;
    }
    if (s->pid > 0)
        stop_only(s, SIGTERM);
    s->port = harness_free_port();
    spawn_in_dir(s, args);
    for (int i = 0; i < 500; i++) {
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        harness_sleep_ms(10);
    }
    return -1;
}

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

static void expect_ok(redisReply *r)
{
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, "OK");
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
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

static void expect_nil(redisReply *r)
{
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
}

static long long int_of(redisReply *r)
{
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static char *path_in(const char *rel)
{
    static char p[600];
    snprintf(p, sizeof(p), "%s/%s", srv.dir, rel);
    return p;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *out = malloc((size_t)n + 1);
    size_t got = fread(out, 1, (size_t)n, fp);
    out[got] = '\0';
    fclose(fp);
    if (len)
        *len = got;
    return out;
}

static void write_file(const char *path, const char *data, size_t len, const char *mode)
{
    FILE *fp = fopen(path, mode);
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static int log_has(const char *needle)
{
    char *log = harness_read_log(&srv);
    int found = log && strstr(log, needle) != NULL;
    if (!found)
        fprintf(stderr, "log lacks '%s'; log:\n%s\n", needle, log ? log : "(none)");
    free(log);
    return found;
}

/* An INFO persistence field as a number. */
static long long info_field(const char *name)
{
    redisReply *r = cmd("INFO persistence");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    char key[128];
    snprintf(key, sizeof(key), "\r\n%s:", name);
    char *p = strstr(r->str, key);
    if (!p) {
        snprintf(key, sizeof(key), "%s:", name);
        p = strncmp(r->str, key, strlen(key)) == 0 ? r->str - 2 : NULL;
    }
    assert_non_null(p);
    long long v = atoll(p + strlen(key));
    freeReplyObject(r);
    return v;
}

static int rewrite_idle(void *arg)
{
    (void)arg;
    return info_field("aof_rewrite_in_progress") == 0 && info_field("aof_rewrite_scheduled") == 0;
}

static void wait_rewrite_done(void)
{
    assert_true(harness_wait_until(rewrite_idle, NULL, 10000));
}

/* ------------------------------------------ a canonical keyspace image */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the elements of an array reply, sorted, to out: sets and hashes
 * come back in any order. */
static void cat_sorted(char **out, size_t *len, redisReply *r, int pairs)
{
    size_t n = r->elements / (size_t)(pairs ? 2 : 1);
    char **items = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        size_t need =
            64 + r->element[i * (pairs ? 2 : 1)]->len + (pairs ? r->element[i * 2 + 1]->len : 0);
        items[i] = malloc(need * 2 + 8);
        if (pairs)
            snprintf(items[i], need * 2 + 8, "%s=%s", r->element[i * 2]->str,
                     r->element[i * 2 + 1]->str);
        else
            snprintf(items[i], need * 2 + 8, "%s", r->element[i]->str);
    }
    qsort(items, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(items[i]);
        *out = realloc(*out, *len + l + 2);
        memcpy(*out + *len, items[i], l);
        (*out)[*len + l] = ',';
        *len += l + 1;
        (*out)[*len] = '\0';
        free(items[i]);
    }
    free(items);
}

static void cat_text(char **out, size_t *len, const char *s, size_t n)
{
    *out = realloc(*out, *len + n + 1);
    memcpy(*out + *len, s, n);
    *len += n;
    (*out)[*len] = '\0';
}

/* Every key of databases 0..3: type, encoding, whether it has a TTL, and
 * its contents in a canonical order.  Two servers (or one before and after
 * a restart) hold the same data iff the images are equal. */
static char *keyspace_image(void)
{
    char *out = calloc(1, 1);
    size_t len = 0;
    for (int db = 0; db < 4; db++) {
        freeReplyObject(cmd("SELECT %d", db));
        redisReply *keys = cmd("KEYS *");
        assert_int_equal(keys->type, REDIS_REPLY_ARRAY);
        char **names = calloc(keys->elements + 1, sizeof(char *));
        for (size_t i = 0; i < keys->elements; i++)
            names[i] = strdup(keys->element[i]->str);
        size_t nkeys = keys->elements;
        freeReplyObject(keys);
        qsort(names, nkeys, sizeof(char *), cmp_str);
        for (size_t i = 0; i < nkeys; i++) {
            const char *k = names[i];
            redisReply *t = cmd("TYPE %s", k);
            redisReply *e = cmd("OBJECT ENCODING %s", k);
            long long ttl = int_of(cmd("PTTL %s", k));
            char head[512];
            int hl =
                snprintf(head, sizeof(head), "\n%d:%s:%s:%s:%s:", db, k, t->str,
                         e->type == REDIS_REPLY_STRING ? e->str : "?", ttl >= 0 ? "ttl" : "none");
            cat_text(&out, &len, head, (size_t)hl);
            if (!strcmp(t->str, "string")) {
                redisReply *v = cmd("GET %s", k);
                cat_text(&out, &len, v->str, v->len);
                freeReplyObject(v);
            } else if (!strcmp(t->str, "list")) {
                redisReply *v = cmd("LRANGE %s 0 -1", k);
                for (size_t j = 0; j < v->elements; j++) {
                    cat_text(&out, &len, v->element[j]->str, v->element[j]->len);
                    cat_text(&out, &len, ",", 1);
                }
                freeReplyObject(v);
            } else if (!strcmp(t->str, "set")) {
                redisReply *v = cmd("SMEMBERS %s", k);
                cat_sorted(&out, &len, v, 0);
                freeReplyObject(v);
            } else if (!strcmp(t->str, "zset")) {
                redisReply *v = cmd("ZRANGE %s 0 -1 WITHSCORES", k);
                for (size_t j = 0; j < v->elements; j++) {
                    cat_text(&out, &len, v->element[j]->str, v->element[j]->len);
                    cat_text(&out, &len, ",", 1);
                }
                freeReplyObject(v);
            } else if (!strcmp(t->str, "hash")) {
                redisReply *v = cmd("HGETALL %s", k);
                cat_sorted(&out, &len, v, 1);
                freeReplyObject(v);
            }
            freeReplyObject(t);
            freeReplyObject(e);
            free(names[i]);
        }
        free(names);
    }
    freeReplyObject(cmd("SELECT 0"));
    return out;
}

/* Keys of every type, in both encodings each, in databases 0, 1 and 3. */
static void fill_every_type(void)
{
    char big[300], bin[] = "a\0b\r\nc";
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    expect_ok(cmd("SET str:int 12345"));
    expect_ok(cmd("SET str:neg -42"));
    expect_ok(cmd("SET str:emb hello"));
    expect_ok(cmd("SET str:raw %s", big));
    expect_ok(cmd("SET str:bin %b", bin, sizeof(bin) - 1));
    expect_ok(cmd("SET str:empty %s", ""));
    expect_ok(cmd("SET str:ttl v EX 1000"));
    freeReplyObject(cmd("RPUSH list:small a b 1 2 -3"));
    for (int i = 0; i < 700; i++)
        freeReplyObject(cmd("RPUSH list:big elem-%d", i));
    freeReplyObject(cmd("LPUSH list:big %s", big));
    freeReplyObject(cmd("SADD set:int 1 2 3 -7 100000000000"));
    for (int i = 0; i < 600; i++)
        freeReplyObject(cmd("SADD set:big member-%d", i));
    freeReplyObject(cmd("SADD set:str a b c"));
    freeReplyObject(cmd("ZADD zset:small 1 a 2.5 b -inf c +inf d 0.1 e"));
    for (int i = 0; i < 200; i++)
        freeReplyObject(cmd("ZADD zset:big %d.%d m%d", i, i % 7, i));
    freeReplyObject(cmd("ZADD zset:big 3.141592653589793 pi"));
    freeReplyObject(cmd("HSET hash:small f1 v1 f2 2 f3 %b", bin, sizeof(bin) - 1));
    for (int i = 0; i < 600; i++)
        freeReplyObject(cmd("HSET hash:big field-%d value-%d", i, i));
    freeReplyObject(cmd("HSET hash:longval f %s", big));
    freeReplyObject(cmd("PEXPIRE hash:small 900000"));
    freeReplyObject(cmd("SELECT 1"));
    expect_ok(cmd("SET db1:key one"));
    freeReplyObject(cmd("RPUSH db1:list x"));
    freeReplyObject(cmd("SELECT 3"));
    expect_ok(cmd("SET db3:key three"));
    freeReplyObject(cmd("SELECT 0"));
}

static int setup(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    ctx = NULL;
    snprintf(srv.dir, sizeof(srv.dir), "/tmp/keel-aof-XXXXXX");
    if (!mkdtemp(srv.dir))
        return -1;
    snprintf(srv.log, sizeof(srv.log), "%s/server.log", srv.dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (ctx)
        redisFree(ctx);
    ctx = NULL;
    harness_stop_server(&srv); /* kills and removes the directory */
    return 0;
}

/* appendfsync always: a reply then means the command is in the file, which
 * tests that read the file or kill the server rely on (everysec may hold a
 * write back for up to a second while an fsync runs). */
#define AOF_ARGS "--appendonly yes --aof-use-rdb-preamble no --appendfsync always"
#define AOF_RDB_ARGS "--appendonly yes --aof-use-rdb-preamble yes --appendfsync always"

/* ------------------------------------------------------------------ tests */

static void round_trip(const char *args, int rewrite)
{
    assert_int_equal(start_in_dir(&srv, args), 0);
    fill_every_type();
    if (rewrite) {
        redisReply *r = cmd("BGREWRITEAOF");
        assert_int_equal(r->type, REDIS_REPLY_STATUS);
        assert_string_equal(r->str, "Background append only file rewriting started");
        freeReplyObject(r);
        wait_rewrite_done();
        expect_ok(cmd("SET after:rewrite yes"));
    }
    char *before = keyspace_image();
    assert_int_equal(start_in_dir(&srv, args), 0);
    char *after = keyspace_image();
    assert_string_equal(before, after);
    assert_true(strstr(after, "after:rewrite") != NULL || !rewrite);
    free(before);
    free(after);
}

static void test_every_type_aof_base(void **state)
{
    (void)state;
    round_trip(AOF_ARGS, 0);
}

static void test_every_type_rewritten_aof_base(void **state)
{
    (void)state;
    round_trip(AOF_ARGS, 1);
}

static void test_every_type_rdb_base(void **state)
{
    (void)state;
    round_trip(AOF_RDB_ARGS, 0);
}

static void test_every_type_rewritten_rdb_base(void **state)
{
    (void)state;
    round_trip(AOF_RDB_ARGS, 1);
}

static void test_select_across_databases(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    for (int round = 0; round < 3; round++) {
        for (int db = 0; db < 5; db++) {
            freeReplyObject(cmd("SELECT %d", db));
            freeReplyObject(cmd("INCRBY counter %d", db + 1));
        }
    }
    freeReplyObject(cmd("SELECT 2"));
    expect_ok(cmd("SET only-in-2 x"));
    /* A second connection interleaving in another database. */
    redisContext *other = harness_connect(&srv);
    freeReplyObject(harness_cmd(other, "SELECT 4"));
    freeReplyObject(harness_cmd(other, "SET only-in-4 y"));
    redisFree(other);
    expect_ok(cmd("SET only-in-2-again z"));

    size_t len;
    char *incr = read_file(path_in("appendonlydir/appendonly.aof.1.incr.aof"), &len);
    assert_non_null(incr);
    assert_non_null(strstr(incr, "*2\r\n$6\r\nSELECT\r\n$1\r\n4\r\n"));
    free(incr);

    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    for (int db = 0; db < 5; db++) {
        freeReplyObject(cmd("SELECT %d", db));
        char want[16];
        snprintf(want, sizeof(want), "%d", 3 * (db + 1));
        expect_str(cmd("GET counter"), want);
    }
    freeReplyObject(cmd("SELECT 2"));
    expect_str(cmd("GET only-in-2"), "x");
    expect_str(cmd("GET only-in-2-again"), "z");
    expect_nil(cmd("GET only-in-4"));
    freeReplyObject(cmd("SELECT 4"));
    expect_str(cmd("GET only-in-4"), "y");
}

/* The AOF holds absolute times: a TTL keeps running while the server is
 * down, whichever command set it. */
static void test_expiries_stay_absolute(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_ok(cmd("SET k:ex v EX 2"));
    expect_ok(cmd("SETEX k:setex 2 v"));
    expect_ok(cmd("PSETEX k:psetex 2000 v"));
    expect_ok(cmd("SET k:expire v"));
    expect_int(cmd("EXPIRE k:expire 2"), 1);
    expect_ok(cmd("SET k:pexpire v"));
    expect_int(cmd("PEXPIRE k:pexpire 2000"), 1);
    expect_ok(cmd("SET k:getex v"));
    expect_str(cmd("GETEX k:getex EX 2"), "v");
    expect_ok(cmd("SET k:gone v PX 300"));
    expect_ok(cmd("SET k:persist v EX 2"));
    expect_int(cmd("PERSIST k:persist"), 1);
    /* A key that expires and is then written again: the later write wins. */
    expect_ok(cmd("SET k:reborn old PX 100"));
    harness_sleep_ms(150);
    expect_nil(cmd("GET k:reborn"));
    expect_ok(cmd("SET k:reborn new"));

    size_t len;
    char *incr = read_file(path_in("appendonlydir/appendonly.aof.1.incr.aof"), &len);
    assert_non_null(incr);
    assert_null(strstr(incr, "$2\r\nEX\r\n"));
    assert_null(strstr(incr, "$5\r\nSETEX\r\n"));
    assert_null(strstr(incr, "$6\r\nPSETEX\r\n"));
    assert_null(strstr(incr, "$5\r\nGETEX\r\n"));
    assert_null(strstr(incr, "$6\r\nEXPIRE\r\n"));
    assert_non_null(strstr(incr, "PXAT"));
    assert_non_null(strstr(incr, "PEXPIREAT"));
    free(incr);

    stop_only(&srv, SIGTERM);
    harness_sleep_ms(1000);
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    const char *keys[] = {"k:ex", "k:setex", "k:psetex", "k:expire", "k:pexpire", "k:getex"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        long long pttl = int_of(cmd("PTTL %s", keys[i]));
        /* 2 s were set about 1 s ago: about 1 s is left, not 2. */
        if (pttl <= 0 || pttl > 1100)
            fail_msg("%s: PTTL %lld after a 1 s restart (want 0 < ttl <= 1100)", keys[i], pttl);
    }
    expect_nil(cmd("GET k:gone"));
    expect_int(cmd("EXISTS k:gone"), 0);
    expect_int(cmd("TTL k:persist"), -1);
    expect_str(cmd("GET k:reborn"), "new");
    expect_int(cmd("TTL k:reborn"), -1);
}

/* A key whose TTL passed while the server was down, followed in the file
 * by commands that used it while it was alive: replayed as it happened,
 * then expired. */
static void test_expired_while_down_replays_exactly(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_ok(cmd("SET counter 1 PX 400"));
    expect_int(cmd("INCR counter"), 2);
    expect_ok(cmd("SET other 1"));
    freeReplyObject(cmd("PEXPIRE other 400"));
    expect_int(cmd("INCR other"), 2);
    stop_only(&srv, SIGTERM);
    harness_sleep_ms(600);
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_nil(cmd("GET counter"));
    expect_nil(cmd("GET other"));
    expect_int(cmd("DBSIZE"), 0);
}

static int history_gone(void *arg)
{
    (void)arg;
    return file_size(path_in("appendonlydir/appendonly.aof.1.base.aof")) == -1 &&
           file_size(path_in("appendonlydir/appendonly.aof.1.incr.aof")) == -1;
}

static void test_bgrewriteaof_and_manifest(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    char *m = read_file(path_in("appendonlydir/appendonly.aof.manifest"), NULL);
    assert_non_null(m);
    assert_string_equal(m, "file appendonly.aof.1.base.aof seq 1 type b\n"
                           "file appendonly.aof.1.incr.aof seq 1 type i\n");
    free(m);
    for (int i = 0; i < 100; i++)
        freeReplyObject(cmd("INCR c"));
    expect_int(cmd("RPUSH l a b c"), 3);

    redisReply *r = cmd("BGREWRITEAOF");
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, "Background append only file rewriting started");
    freeReplyObject(r);
    wait_rewrite_done();
    assert_int_equal(info_field("aof_rewrites"), 1);
    r = cmd("INFO persistence");
    assert_non_null(strstr(r->str, "aof_last_bgrewrite_status:ok\r\n"));
    freeReplyObject(r);
    expect_int(cmd("INCR c"), 101);

    m = read_file(path_in("appendonlydir/appendonly.aof.manifest"), NULL);
    assert_string_equal(m, "file appendonly.aof.2.base.aof seq 2 type b\n"
                           "file appendonly.aof.2.incr.aof seq 2 type i\n");
    free(m);
    /* The history files go (in the background, so give it a moment). */
    assert_true(harness_wait_until(history_gone, NULL, 2000));
    /* The new base holds the state at the fork, the incr what followed. */
    char *base = read_file(path_in("appendonlydir/appendonly.aof.2.base.aof"), NULL);
    assert_non_null(strstr(base, "$3\r\nSET\r\n$1\r\nc\r\n$3\r\n100\r\n"));
    assert_non_null(strstr(base, "RPUSH"));
    free(base);
    char *incr = read_file(path_in("appendonlydir/appendonly.aof.2.incr.aof"), NULL);
    assert_non_null(strstr(incr, "$4\r\nINCR\r\n"));
    free(incr);
    assert_true(log_has("Background AOF rewrite finished successfully"));
    assert_true(log_has("Removing the history file appendonly.aof.1.incr.aof"));

    /* A second rewrite while one runs is refused, as Redis. */
    r = cmd("BGREWRITEAOF");
    if (r->type == REDIS_REPLY_ERROR)
        assert_string_equal(r->str,
                            "ERR Background append only file rewriting already in progress");
    freeReplyObject(r);
    wait_rewrite_done();

    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_str(cmd("GET c"), "101");
    expect_int(cmd("LLEN l"), 3);
}

static void test_auto_rewrite(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS " --auto-aof-rewrite-min-size 4kb "
                                                 "--auto-aof-rewrite-percentage 100"),
                     0);
    char val[200];
    memset(val, 'v', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    for (int i = 0; i < 100; i++)
        expect_ok(cmd("SET key%d %s", i % 10, val));
    /* 100 SETs of 10 keys: about 23 KB of log for a 2 KB dataset. */
    for (int i = 0; i < 300 && info_field("aof_rewrites") == 0; i++)
        harness_sleep_ms(10);
    assert_true(info_field("aof_rewrites") >= 1);
    wait_rewrite_done();
    assert_true(log_has("Starting automatic rewriting of AOF on"));
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_int(cmd("DBSIZE"), 10);
}

/* Append half of a command to the incr file, as a crash mid-write would. */
static long long cut_incr_file(void)
{
    stop_only(&srv, SIGKILL);
    const char *incr = path_in("appendonlydir/appendonly.aof.1.incr.aof");
    long long good = file_size(incr);
    const char partial[] = "*3\r\n$3\r\nSET\r\n$4\r\nlost\r\n$10\r\nonly5";
    write_file(incr, partial, sizeof(partial) - 1, "ab");
    return good;
}

static void test_truncated_incr_loads_with_yes(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_ok(cmd("SET a 1"));
    expect_ok(cmd("SET b 2"));
    long long good = cut_incr_file();
    assert_int_equal(start_in_dir(&srv, AOF_ARGS " --aof-load-truncated yes"), 0);
    expect_str(cmd("GET a"), "1");
    expect_str(cmd("GET b"), "2");
    expect_nil(cmd("GET lost"));
    assert_true(
        log_has("!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!"));
    char want[160];
    snprintf(want, sizeof(want),
             "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset %lld !!!", good);
    assert_true(log_has(want));
    assert_true(log_has("loaded anyway because aof-load-truncated is enabled"));
    assert_int_equal(file_size(path_in("appendonlydir/appendonly.aof.1.incr.aof")), good);
    /* Writes after the cut follow the last whole command and load again. */
    expect_ok(cmd("SET c 3"));
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_str(cmd("GET c"), "3");
    expect_str(cmd("GET a"), "1");
}

static void test_truncated_incr_refused_with_no(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_ok(cmd("SET a 1"));
    long long good = cut_incr_file();
    long long cut_size = file_size(path_in("appendonlydir/appendonly.aof.1.incr.aof"));
    assert_int_not_equal(start_expect_exit(&srv, AOF_ARGS " --aof-load-truncated no"), 0);
    char want[200];
    snprintf(want, sizeof(want),
             "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof: the "
             "last complete command ends at offset %lld",
             good);
    assert_true(log_has(want));
    /* Nothing was cut. */
    assert_int_equal(file_size(path_in("appendonlydir/appendonly.aof.1.incr.aof")), cut_size);
}

static void test_unfinished_multi_is_dropped(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_ok(cmd("SET a 1"));
    stop_only(&srv, SIGKILL);
    const char *incr = path_in("appendonlydir/appendonly.aof.1.incr.aof");
    long long good = file_size(incr);
    const char tx[] = "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n";
    write_file(incr, tx, sizeof(tx) - 1, "ab");
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_str(cmd("GET a"), "1");
    expect_nil(cmd("GET b"));
    assert_true(log_has("Revert incomplete MULTI/EXEC transaction in AOF file"));
    assert_int_equal(file_size(incr), good);
    /* A transaction goes to the file whole, between MULTI and EXEC; one
     * that changed nothing leaves no trace; both load. */
    long long before = file_size(incr);
    freeReplyObject(cmd("MULTI"));
    freeReplyObject(cmd("SET t1 x"));
    freeReplyObject(cmd("GET a"));
    freeReplyObject(cmd("SET t2 y"));
    freeReplyObject(cmd("EXEC"));
    freeReplyObject(cmd("MULTI"));
    freeReplyObject(cmd("GET a"));
    freeReplyObject(cmd("EXEC"));
    expect_ok(cmd("SET after 1"));
    size_t len;
    char *data = read_file(incr, &len);
    assert_string_equal(data + before, "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
                                       "*1\r\n$5\r\nMULTI\r\n"
                                       "*3\r\n$3\r\nSET\r\n$2\r\nt1\r\n$1\r\nx\r\n"
                                       "*3\r\n$3\r\nSET\r\n$2\r\nt2\r\n$1\r\ny\r\n"
                                       "*1\r\n$4\r\nEXEC\r\n"
                                       "*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n");
    free(data);
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_str(cmd("GET t2"), "y");
    expect_str(cmd("GET after"), "1");
}

static void test_corrupt_byte_stops_startup(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    for (int i = 0; i < 10; i++)
        expect_ok(cmd("SET key%d value%d", i, i));
    stop_only(&srv, SIGTERM);
    const char *incr = path_in("appendonlydir/appendonly.aof.1.incr.aof");
    size_t len;
    char *data = read_file(incr, &len);
    /* The '*' that starts the sixth SET. */
    char *p = data;
    for (int i = 0; i < 6; i++)
        p = strstr(p + 1, "*3\r\n$3\r\nSET");
    assert_non_null(p);
    long long off = p - data;
    *p = '!';
    write_file(incr, data, len, "wb");
    free(data);
    int rc = start_expect_exit(&srv, AOF_ARGS " --aof-load-truncated yes");
    assert_int_not_equal(rc, 0);
    char want[200];
    snprintf(
        want, sizeof(want),
        "Bad file format reading the append only file appendonly.aof.1.incr.aof at offset %lld",
        off);
    assert_true(log_has(want));
    assert_int_equal(file_size(incr), (long long)len); /* not "repaired" */

    /* A length that does not match its argument is corruption too. */
    data = read_file(incr, &len);
    data[off] = '*';
    p = strstr(data + off, "$6\r\nvalue5");
    assert_non_null(p);
    p[1] = '7';
    write_file(incr, data, len, "wb");
    free(data);
    assert_int_not_equal(start_expect_exit(&srv, AOF_ARGS), 0);
    assert_true(log_has("Bad file format reading the append only file appendonly.aof.1.incr.aof"));
}

static void test_config_set_appendonly_yes(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, "--aof-use-rdb-preamble no"), 0);
    fill_every_type();
    assert_int_equal(info_field("aof_enabled"), 0);
    expect_ok(cmd("CONFIG SET appendonly yes"));
    assert_int_equal(info_field("aof_enabled"), 1);
    /* Writes while the base is being made go to the temporary incr file. */
    expect_ok(cmd("SET during:rewrite 1"));
    wait_rewrite_done();
    expect_ok(cmd("SET after:rewrite 2"));
    char *m = read_file(path_in("appendonlydir/appendonly.aof.manifest"), NULL);
    assert_non_null(m);
    assert_string_equal(m, "file appendonly.aof.1.base.aof seq 1 type b\n"
                           "file appendonly.aof.1.incr.aof seq 1 type i\n");
    free(m);
    char *before = keyspace_image();
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    char *after = keyspace_image();
    assert_string_equal(before, after);
    free(before);
    free(after);
    expect_str(cmd("GET after:rewrite"), "2");
    expect_str(cmd("GET during:rewrite"), "1");

    /* And off again: the files stay, nothing more is written. */
    expect_ok(cmd("CONFIG SET appendonly no"));
    long long size = file_size(path_in("appendonlydir/appendonly.aof.1.incr.aof"));
    expect_ok(cmd("SET not:logged 1"));
    assert_int_equal(file_size(path_in("appendonlydir/appendonly.aof.1.incr.aof")), size);
    assert_int_equal(info_field("aof_enabled"), 0);
}

static void test_upgrade_old_single_file(void **state)
{
    (void)state;
    const char old[] = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
                       "*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$5\r\nstyle\r\n"
                       "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"
                       "*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$1\r\nm\r\n";
    write_file(path_in("appendonly.aof"), old, sizeof(old) - 1, "wb");
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_str(cmd("GET old"), "style");
    freeReplyObject(cmd("SELECT 2"));
    expect_int(cmd("SISMEMBER s m"), 1);
    assert_true(log_has("Successfully migrated an old-style AOF file (appendonly.aof) into the "
                        "AOF directory (appendonlydir)."));
    assert_int_equal(file_size(path_in("appendonly.aof")), -1);
    assert_int_equal(file_size(path_in("appendonlydir/appendonly.aof")),
                     (long long)sizeof(old) - 1);
    char *m = read_file(path_in("appendonlydir/appendonly.aof.manifest"), NULL);
    assert_string_equal(m, "file appendonly.aof seq 1 type b\n"
                           "file appendonly.aof.1.incr.aof seq 1 type i\n");
    free(m);
    freeReplyObject(cmd("SELECT 0"));
    expect_ok(cmd("SET new 1"));
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_str(cmd("GET old"), "style");
    expect_str(cmd("GET new"), "1");
}

static void test_timestamp_annotations(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS " --aof-timestamp-enabled yes"), 0);
    expect_ok(cmd("SET a 1"));
    harness_sleep_ms(1100);
    expect_ok(cmd("SET b 2"));
    char *incr = read_file(path_in("appendonlydir/appendonly.aof.1.incr.aof"), NULL);
    char *ts = strstr(incr, "#TS:");
    assert_non_null(ts);
    assert_non_null(strstr(ts + 1, "#TS:"));
    free(incr);
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_str(cmd("GET a"), "1");
    expect_str(cmd("GET b"), "2");
}

/* The incr file swapped for /dev/full: every write fails with ENOSPC. */
static void point_incr_at_dev_full(void)
{
    stop_only(&srv, SIGTERM);
    const char *incr = path_in("appendonlydir/appendonly.aof.1.incr.aof");
    unlink(incr);
    assert_int_equal(symlink("/dev/full", incr), 0);
}

static void test_write_error_misconf(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS " --appendfsync everysec"), 0);
    point_incr_at_dev_full();
    assert_int_equal(start_in_dir(&srv, AOF_ARGS " --appendfsync everysec"), 0);
    expect_ok(cmd("SET a 1")); /* applied; its write fails before the loop sleeps */
    redisReply *r = cmd("SET b 2");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "MISCONF Errors writing to the AOF file: No space left on device");
    freeReplyObject(r);
    r = cmd("PING");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    expect_str(cmd("GET a"), "1");
    assert_true(log_has("Error writing to the AOF file: No space left on device"));
    /* Turning the AOF off lifts the refusal. */
    expect_ok(cmd("CONFIG SET appendonly no"));
    expect_ok(cmd("SET b 2"));
}

static void test_write_error_always_exits(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS " --appendfsync always"), 0);
    point_incr_at_dev_full();
    assert_int_equal(start_in_dir(&srv, AOF_ARGS " --appendfsync always"), 0);
    /* No +OK may arrive for a write that is not on disk: the server exits. */
    redisReply *r = redisCommand(ctx, "SET a 1");
    assert_true(r == NULL || r->type != REDIS_REPLY_STATUS);
    if (r)
        freeReplyObject(r);
    int status = stop_only(&srv, 0); /* signal 0: just wait for the exit */
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_true(log_has("Can't recover from AOF write error when the AOF fsync policy is "
                        "'always'. Exiting..."));
}

static void test_info_fields(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    redisReply *r = cmd("INFO persistence");
    const char *fields[] = {"aof_enabled:1",
                            "aof_rewrite_in_progress:0",
                            "aof_rewrite_scheduled:0",
                            "aof_last_rewrite_time_sec:-1",
                            "aof_current_rewrite_time_sec:-1",
                            "aof_last_bgrewrite_status:ok",
                            "aof_rewrites:0",
                            "aof_rewrites_consecutive_failures:0",
                            "aof_last_write_status:ok",
                            "aof_last_cow_size:",
                            "module_fork_in_progress:0",
                            "module_fork_last_cow_size:0",
                            "aof_current_size:",
                            "aof_base_size:",
                            "aof_pending_rewrite:0",
                            "aof_buffer_length:0",
                            "aof_pending_bio_fsync:",
                            "aof_delayed_fsync:0"};
    const char *prev = r->str;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *p = strstr(r->str, fields[i]);
        if (!p || p < prev)
            fail_msg("INFO persistence: '%s' missing or out of order:\n%s", fields[i], r->str);
        prev = p;
    }
    freeReplyObject(r);
    long long size = info_field("aof_current_size");
    expect_ok(cmd("SET a 1"));
    assert_true(info_field("aof_current_size") > size);
    r = cmd("CONFIG GET append*");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 8); /* appendonly, appendfilename, appenddirname, appendfsync */
    freeReplyObject(r);
    r = cmd("CONFIG GET appendfsync");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "always");
    freeReplyObject(r);
    expect_ok(cmd("CONFIG SET appendfsync everysec"));
    expect_ok(cmd("SET b 2"));
    r = cmd("CONFIG SET appendfilename other.aof");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
}

/* An old single appendonly.aof with an RDB preamble followed by commands
 * (what Redis 4-6 wrote): upgraded, and both parts load. */
static void test_upgrade_old_preamble_file(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_RDB_ARGS), 0);
    expect_ok(cmd("SET in:rdb 1"));
    freeReplyObject(cmd("RPUSH in:rdb:list a b"));
    redisReply *r = cmd("BGREWRITEAOF");
    freeReplyObject(r);
    wait_rewrite_done();
    stop_only(&srv, SIGTERM);
    size_t len;
    char *rdb = read_file(path_in("appendonlydir/appendonly.aof.2.base.rdb"), &len);
    assert_non_null(rdb);
    assert_memory_equal(rdb, "REDIS", 5);
    char rm[700];
    snprintf(rm, sizeof(rm), "rm -rf '%s'", path_in("appendonlydir"));
    assert_int_equal(system(rm), 0);
    write_file(path_in("appendonly.aof"), rdb, len, "wb");
    const char tail[] =
        "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$7\r\nin:tail\r\n$1\r\n2\r\n";
    write_file(path_in("appendonly.aof"), tail, sizeof(tail) - 1, "ab");
    free(rdb);
    assert_int_equal(start_in_dir(&srv, AOF_RDB_ARGS), 0);
    expect_str(cmd("GET in:rdb"), "1");
    expect_int(cmd("LLEN in:rdb:list"), 2);
    expect_str(cmd("GET in:tail"), "2");
    assert_true(log_has("Reading RDB preamble from AOF file..."));
    assert_true(log_has("Reading the remaining AOF tail..."));
}

/* While the AOF loads, clients are answered -LOADING; then the data is
 * all there. */
static void test_loading_replies_loading(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    redisAppendCommand(ctx, "SELECT 0");
    for (int i = 0; i < 3000; i++)
        redisAppendCommand(ctx, "SET key:%d %d", i, i);
    for (int i = 0; i < 3001; i++) {
        redisReply *r;
        assert_int_equal(redisGetReply(ctx, (void **)&r), REDIS_OK);
        freeReplyObject(r);
    }
    redisFree(ctx);
    ctx = NULL;
    stop_only(&srv, SIGTERM);
    /* 3000 commands at 1 ms each: about 3 s of loading. */
    srv.port = harness_free_port();
    spawn_in_dir(&srv, AOF_ARGS " --key-load-delay 1000");
    int saw_loading = 0, loaded = 0;
    for (int i = 0; i < 400 && !loaded; i++) {
        harness_sleep_ms(25);
        struct timeval tv = {1, 0};
        redisContext *c = redisConnectWithTimeout("127.0.0.1", srv.port, tv);
        if (!c || c->err) {
            if (c)
                redisFree(c);
            continue;
        }
        redisSetTimeout(c, tv);
        redisReply *r = redisCommand(c, "GET key:2999");
        if (r && r->type == REDIS_REPLY_ERROR &&
            !strcmp(r->str, "LOADING Redis is loading the dataset in memory"))
            saw_loading = 1;
        else if (r && r->type == REDIS_REPLY_STRING)
            loaded = 1;
        if (r)
            freeReplyObject(r);
        redisFree(c);
    }
    assert_true(saw_loading);
    assert_true(loaded);
    ctx = harness_connect(&srv);
    expect_int(cmd("DBSIZE"), 3000);
    expect_str(cmd("GET key:1234"), "1234");
    assert_true(log_has("Loading:"));
}

/* BGREWRITEAOF with the AOF off writes a base (and a manifest naming it
 * alone) that a later start with appendonly yes loads. */
static void test_bgrewriteaof_with_aof_off(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, "--aof-use-rdb-preamble no"), 0);
    expect_ok(cmd("SET k v"));
    redisReply *r = cmd("BGREWRITEAOF");
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, "Background append only file rewriting started");
    freeReplyObject(r);
    wait_rewrite_done();
    char *m = read_file(path_in("appendonlydir/appendonly.aof.manifest"), NULL);
    assert_non_null(m);
    assert_string_equal(m, "file appendonly.aof.1.base.aof seq 1 type b\n");
    free(m);
    assert_int_equal(start_in_dir(&srv, AOF_ARGS), 0);
    expect_str(cmd("GET k"), "v");
    m = read_file(path_in("appendonlydir/appendonly.aof.manifest"), NULL);
    assert_string_equal(m, "file appendonly.aof.1.base.aof seq 1 type b\n"
                           "file appendonly.aof.1.incr.aof seq 1 type i\n");
    free(m);
}

/* One child at a time: BGREWRITEAOF during a BGSAVE is scheduled and runs
 * when the save is done; BGSAVE during a rewrite is refused. */
static void test_rewrite_waits_for_bgsave(void **state)
{
    (void)state;
    assert_int_equal(start_in_dir(&srv, AOF_ARGS " --rdb-key-save-delay 2000"), 0);
    for (int i = 0; i < 300; i++)
        expect_ok(cmd("SET key:%d %d", i, i));
    redisReply *r = cmd("BGSAVE");
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = cmd("BGREWRITEAOF");
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, "Background append only file rewriting scheduled");
    freeReplyObject(r);
    assert_int_equal(info_field("aof_rewrite_scheduled"), 1);
    wait_rewrite_done(); /* the save (~0.6 s), then the rewrite */
    assert_int_equal(info_field("aof_rewrites"), 1);

    expect_ok(cmd("CONFIG SET rdb-key-save-delay 0"));
    for (int i = 0; i < 20000; i++)
        redisAppendCommand(ctx, "SET big:%d %d", i, i);
    for (int i = 0; i < 20000; i++) {
        assert_int_equal(redisGetReply(ctx, (void **)&r), REDIS_OK);
        freeReplyObject(r);
    }
    r = cmd("BGREWRITEAOF");
    freeReplyObject(r);
    r = cmd("BGSAVE");
    if (info_field("aof_rewrite_in_progress") == 1 || r->type == REDIS_REPLY_ERROR) {
        assert_int_equal(r->type, REDIS_REPLY_ERROR);
        assert_non_null(strstr(r->str, "Another child process is active"));
    }
    freeReplyObject(r);
    wait_rewrite_done();
}

int main(void)
{
    if (!getenv("KEEL_SERVER")) {
        fprintf(stderr, "KEEL_SERVER is not set (run with ctest)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_type_aof_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_type_rewritten_aof_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_type_rdb_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_type_rewritten_rdb_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_across_databases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiries_stay_absolute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_while_down_replays_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bgrewriteaof_and_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auto_rewrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bgrewriteaof_with_aof_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_waits_for_bgsave, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_incr_loads_with_yes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_incr_refused_with_no, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unfinished_multi_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_byte_stops_startup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_set_appendonly_yes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_old_single_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_old_preamble_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loading_replies_loading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamp_annotations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error_misconf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error_always_exits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_info_fields, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
