/* test_config: integration tests of configuration against a real
 * keel-server: start-up from a config file and from --overrides, CONFIG GET
 * patterns, CONFIG SET (atomic, Redis 7.0's exact errors), moving the
 * listening port, protected options, CONFIG REWRITE then a restart that
 * reads the rewritten file, RESETSTAT and HELP, and start-up failures that
 * name the file and line. */
#include <setjmp.h>
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

static harness_server srv; /* started without a config file, shared by the GET/SET tests */
static redisContext *ctx;
static char confdir[256]; /* config files live here: the harness's dir only exists once started */

/* ---------------------------------------------------------------- helpers */

static redisReply *cmd_on(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    return r;
}

#define cmd(...) cmd_on(ctx, __VA_ARGS__)

static void expect_status(redisReply *r, const char *s)
{
    if (r->type != REDIS_REPLY_STATUS)
        fail_msg("expected +%s, got type %d: %s", s, r->type, r->str ? r->str : "");
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

static void expect_error(redisReply *r, const char *s)
{
    if (r->type != REDIS_REPLY_ERROR)
        fail_msg("expected -%s, got type %d", s, r->type);
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

/* A CONFIG GET reply: exactly these name/value pairs, in any order
 * (Redis 7.0 replies in hash-table order). */
static void expect_pairs(redisReply *r, int npairs, ...)
{
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, (size_t)npairs * 2);
    va_list ap;
    va_start(ap, npairs);
    for (int i = 0; i < npairs; i++) {
        const char *name = va_arg(ap, const char *);
        const char *value = va_arg(ap, const char *);
        int found = 0;
        for (size_t j = 0; j + 1 < r->elements; j += 2) {
            if (strcmp(r->element[j]->str, name) != 0)
                continue;
            found = 1;
            if (value)
                assert_string_equal(r->element[j + 1]->str, value);
        }
        if (!found)
            fail_msg("CONFIG GET reply lacks %s", name);
    }
    va_end(ap);
    freeReplyObject(r);
}

static void expect_get(redisContext *c, const char *name, const char *value)
{
    expect_pairs(cmd_on(c, "CONFIG GET %s", name), 1, name, value);
}

static const char *conf_path(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 512, "%s/%s", confdir, name);
    return p;
}

static void write_file(const char *path, const char *content)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(content, fp);
    fclose(fp);
}

static char *read_file(const char *path)
{
    static char data[16384];
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(data, 1, sizeof(data) - 1, fp);
    data[n] = '\0';
    fclose(fp);
    return data;
}

static void expect_log_contains(harness_server *s, const char *want)
{
    char *log = harness_read_log(s);
    assert_non_null(log);
    if (!strstr(log, want))
        fail_msg("server log lacks:\n%s\n--- log:\n%s", want, log);
    free(log);
}

/* ------------------------------------------------------------------ setup */

static int setup(void **state)
{
    (void)state;
    snprintf(confdir, sizeof(confdir), "/tmp/keel-it-config-XXXXXX");
    if (!mkdtemp(confdir))
        return -1;
    if (harness_start_server(&srv, "") != 0)
        return -1;
    ctx = harness_connect(&srv);
    return ctx ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (ctx)
        redisFree(ctx);
    harness_stop_server(&srv);
    char rm[300];
    snprintf(rm, sizeof(rm), "rm -rf '%s'", confdir);
    return system(rm) == 0 ? 0 : -1;
}

/* --------------------------------------------------------------- start-up */

static void test_start_with_file(void **state)
{
    (void)state;
    write_file(conf_path("file.conf"), "# a keel config\n"
                                       "hz 20\n"
                                       "\n"
                                       "maxmemory 1mb\n"
                                       "databases 4\n"
                                       "port 1\n" /* the harness's --port comes after and wins */
                                       "LogLevel WARNING\n"
                                       "requirepass \"\"\n");
    harness_server s = {0};
    assert_int_equal(harness_start_server(&s, conf_path("file.conf")), 0);
    redisContext *c = harness_connect(&s);
    assert_non_null(c);
    char port[16];
    snprintf(port, sizeof(port), "%d", s.port);
    expect_pairs(cmd_on(c, "CONFIG GET hz"), 1, "hz", "20");
    expect_pairs(cmd_on(c, "CONFIG GET port"), 1, "port", port);
    expect_pairs(cmd_on(c, "CONFIG GET maxmemory"), 1, "maxmemory", "1048576");
    expect_pairs(cmd_on(c, "CONFIG GET databases"), 1, "databases", "4");
    expect_pairs(cmd_on(c, "CONFIG GET loglevel"), 1, "loglevel", "warning");
    expect_pairs(cmd_on(c, "CONFIG GET requirepass"), 1, "requirepass", "");
    expect_pairs(cmd_on(c, "CONFIG GET dir"), 1, "dir", s.dir);
    redisFree(c);
    harness_stop_server(&s);
}

static void test_start_with_overrides(void **state)
{
    (void)state;
    harness_server s = {0};
    assert_int_equal(harness_start_server(&s, "--hz 33 --bind 127.0.0.1 -::1 --maxmemory-samples 7 "
                                              "--lazyfree-lazy-user-del yes --timeout 0"),
                     0);
    redisContext *c = harness_connect(&s);
    assert_non_null(c);
    expect_pairs(cmd_on(c, "CONFIG GET bind hz maxmemory-samples lazyfree-lazy-user-del"), 4,
                 "bind", "127.0.0.1 -::1", "hz", "33", "maxmemory-samples", "7",
                 "lazyfree-lazy-user-del", "yes");
    redisFree(c);
    harness_stop_server(&s);
}

static void test_unknown_directive_exits(void **state)
{
    (void)state;
    harness_server s = {0};
    write_file(conf_path("bad.conf"), "hz 20\n\nfoo bar\n");
    int rc = harness_run_server_expect_exit(&s, conf_path("bad.conf"), 3000);
    assert_true(rc > 0);
    char want[1024];
    snprintf(want, sizeof(want),
             "*** FATAL CONFIG FILE ERROR ***\n"
             "Reading the configuration file, at line 3 (%s:3)\n"
             ">>> 'foo bar'\n"
             "Bad directive or wrong number of arguments\n",
             conf_path("bad.conf"));
    expect_log_contains(&s, want);
    harness_stop_server(&s);

    /* redis.conf settings Keel does not act on are refused, not ignored */
    write_file(conf_path("bad2.conf"), "cluster-enabled yes\n");
    rc = harness_run_server_expect_exit(&s, conf_path("bad2.conf"), 3000);
    assert_true(rc > 0);
    expect_log_contains(&s,
                        ">>> 'cluster-enabled yes'\nBad directive or wrong number of arguments");
    harness_stop_server(&s);
}

static void test_bad_values_exit(void **state)
{
    (void)state;
    harness_server s = {0};
    int rc = harness_run_server_expect_exit(&s, "--hz abc", 3000);
    assert_true(rc > 0);
    expect_log_contains(&s, "Reading the configuration file, at line 1 (command line:1)\n"
                            ">>> 'hz \"abc\"'\n"
                            "argument couldn't be parsed into an integer\n");
    harness_stop_server(&s);

    write_file(conf_path("bad3.conf"), "maxmemory-samples 0\n");
    rc = harness_run_server_expect_exit(&s, conf_path("bad3.conf"), 3000);
    assert_true(rc > 0);
    expect_log_contains(
        &s, ">>> 'maxmemory-samples 0'\nargument must be between 1 and 2147483647 inclusive\n");
    harness_stop_server(&s);

    rc = harness_run_server_expect_exit(&s, conf_path("does-not-exist.conf"), 3000);
    assert_true(rc > 0);
    expect_log_contains(&s, "can't open config file");
    harness_stop_server(&s);
}

/* ------------------------------------------------------------- CONFIG GET */

static void test_get_patterns(void **state)
{
    (void)state;
    expect_pairs(cmd("CONFIG GET maxmemory*"), 2, "maxmemory", "0", "maxmemory-samples", "5");
    expect_pairs(cmd("CONFIG GET *max-bulk*"), 1, "proto-max-bulk-len", "536870912");
    /* aliases match too, as in Redis 7.0 */
    expect_pairs(cmd("CONFIG GET *-max-*-entries"), 5, "hash-max-listpack-entries", "512",
                 "hash-max-ziplist-entries", "512", "set-max-intset-entries", "512",
                 "zset-max-listpack-entries", "128", "zset-max-ziplist-entries", "128");
    expect_pairs(cmd("CONFIG GET h?"), 1, "hz", "10");
    expect_pairs(cmd("CONFIG GET lazyfree-lazy-[ue]*"), 3, "lazyfree-lazy-user-del", "no",
                 "lazyfree-lazy-user-flush", "no", "lazyfree-lazy-expire", "no");
    /* several patterns in one call, duplicates folded */
    expect_pairs(cmd("CONFIG GET hz tcp-keepalive hz h?"), 2, "hz", "10", "tcp-keepalive", "300");
    /* an exact name keeps the request's spelling; glob matches are case-insensitive */
    expect_pairs(cmd("CONFIG GET HZ"), 1, "HZ", "10");
    expect_pairs(cmd("CONFIG GET TCP-KEEP*"), 1, "tcp-keepalive", "300");
    expect_pairs(cmd("CONFIG GET nosuch"), 0);
    expect_pairs(cmd("CONFIG GET nosuch*"), 0);
    expect_pairs(cmd("CONFIG GET bind protected-mode client-query-buffer-limit"), 3, "bind",
                 "* -::*", "protected-mode", "yes", "client-query-buffer-limit", "1073741824");

    redisReply *r = cmd("CONFIG GET *");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_true(r->elements >= 2 * 24);
    freeReplyObject(r);
}

/* ------------------------------------------------------------- CONFIG SET */

static void test_set_then_get(void **state)
{
    (void)state;
    expect_status(cmd("CONFIG SET hz 50"), "OK");
    expect_get(ctx, "hz", "50");
    expect_status(cmd("CONFIG SET maxmemory 2mb"), "OK");
    expect_get(ctx, "maxmemory", "2097152");
    expect_status(cmd("CONFIG SET maxmemory 1G"), "OK");
    expect_get(ctx, "maxmemory", "1000000000");
    expect_status(cmd("CONFIG SET loglevel WARNING"), "OK");
    expect_get(ctx, "loglevel", "warning");
    expect_status(cmd("CONFIG SET lazyfree-lazy-expire YES"), "OK");
    expect_get(ctx, "lazyfree-lazy-expire", "yes");
    expect_status(cmd("CONFIG SET timeout 5 tcp-keepalive 10 maxmemory-samples 3"), "OK");
    expect_pairs(cmd("CONFIG GET timeout tcp-keepalive maxmemory-samples"), 3, "timeout", "5",
                 "tcp-keepalive", "10", "maxmemory-samples", "3");
    /* hz is clamped to 1..500, as in Redis */
    expect_status(cmd("CONFIG SET hz 1000"), "OK");
    expect_get(ctx, "hz", "500");
    expect_status(cmd("CONFIG SET hz 0"), "OK");
    expect_get(ctx, "hz", "1");
    expect_status(cmd("CONFIG SET HZ 10"), "OK");

    /* a password takes effect for new connections */
    expect_status(cmd("CONFIG SET requirepass %s", "s3 cret"), "OK");
    expect_get(ctx, "requirepass", "s3 cret");
    redisContext *c = harness_connect(&srv);
    assert_non_null(c);
    redisReply *r = cmd_on(c, "PING");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "NOAUTH Authentication required.");
    freeReplyObject(r);
    redisFree(c);
    expect_status(cmd("CONFIG SET requirepass %s", ""), "OK");
    expect_get(ctx, "requirepass", "");

    expect_status(cmd("CONFIG SET loglevel notice maxmemory 0 timeout 0 tcp-keepalive 300 "
                      "maxmemory-samples 5 lazyfree-lazy-expire no"),
                  "OK");
}

static void test_set_errors(void **state)
{
    (void)state;
    const char *pre = "ERR CONFIG SET failed (possibly related to argument";
    char want[512];
#define EXPECT_SET_ERROR(args, arg, msg)                                                           \
    do {                                                                                           \
        snprintf(want, sizeof(want), "%s '%s') - %s", pre, arg, msg);                              \
        expect_error(cmd("CONFIG SET " args), want);                                               \
    } while (0)

    EXPECT_SET_ERROR("hz abc", "hz", "argument couldn't be parsed into an integer");
    EXPECT_SET_ERROR("HZ abc", "hz", "argument couldn't be parsed into an integer");
    EXPECT_SET_ERROR("hz 5.5", "hz", "argument couldn't be parsed into an integer");
    EXPECT_SET_ERROR("hz +5", "hz", "argument couldn't be parsed into an integer");
    EXPECT_SET_ERROR("hz 05", "hz", "argument couldn't be parsed into an integer");
    EXPECT_SET_ERROR("hz 99999999999999999999", "hz",
                     "argument couldn't be parsed into an integer");
    EXPECT_SET_ERROR("hz -5", "hz", "argument must be between 0 and 2147483647 inclusive");
    EXPECT_SET_ERROR("maxclients 0", "maxclients",
                     "argument must be between 1 and 4294967295 inclusive");
    EXPECT_SET_ERROR("timeout -1", "timeout",
                     "argument must be between 0 and 2147483647 inclusive");
    EXPECT_SET_ERROR("active-expire-effort 11", "active-expire-effort",
                     "argument must be between 1 and 10 inclusive");
    EXPECT_SET_ERROR("maxmemory-samples 0", "maxmemory-samples",
                     "argument must be between 1 and 2147483647 inclusive");
    EXPECT_SET_ERROR("proto-max-bulk-len 1", "proto-max-bulk-len",
                     "argument must be between 1048576 and 9223372036854775807 inclusive");
    EXPECT_SET_ERROR("client-query-buffer-limit 1", "client-query-buffer-limit",
                     "argument must be between 1048576 and 9223372036854775807 inclusive");
    EXPECT_SET_ERROR("maxmemory 1xb", "maxmemory", "argument must be a memory value");
    EXPECT_SET_ERROR("maxmemory 1.5gb", "maxmemory", "argument must be a memory value");
    EXPECT_SET_ERROR("maxmemory -1", "maxmemory", "argument must be a memory value");
    EXPECT_SET_ERROR("loglevel foo", "loglevel",
                     "argument(s) must be one of the following: debug, verbose, notice, warning");
    EXPECT_SET_ERROR("protected-mode maybe", "protected-mode", "argument must be 'yes' or 'no'");
    /* immutable, protected and duplicate errors name the argument as sent */
    EXPECT_SET_ERROR("daemonize yes", "daemonize", "can't set immutable config");
    EXPECT_SET_ERROR("DAEMONIZE yes", "DAEMONIZE", "can't set immutable config");
    EXPECT_SET_ERROR("databases 4", "databases", "can't set immutable config");
    EXPECT_SET_ERROR("logfile x", "logfile", "can't set immutable config");
    EXPECT_SET_ERROR("pidfile x", "pidfile", "can't set immutable config");
    EXPECT_SET_ERROR("tcp-backlog 5", "tcp-backlog", "can't set immutable config");
    EXPECT_SET_ERROR("enable-protected-configs yes", "enable-protected-configs",
                     "can't set immutable config");
    EXPECT_SET_ERROR("dir /tmp", "dir", "can't set protected config");
    EXPECT_SET_ERROR("hz 10 hz 20", "hz", "duplicate parameter");
    EXPECT_SET_ERROR("Hz 1 hZ 2", "hZ", "duplicate parameter");
    /* the first bad pair decides the error */
    EXPECT_SET_ERROR("daemonize yes foo 1", "daemonize", "can't set immutable config");
#undef EXPECT_SET_ERROR

    expect_error(cmd("CONFIG SET foo bar"),
                 "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
    expect_error(cmd("CONFIG SET hz 10 foo 1 daemonize yes"),
                 "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
    expect_error(cmd("CONFIG SET save 900"),
                 "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save "
                 "parameters");
    expect_error(cmd("CONFIG SET hz 10 maxmemory"), "ERR syntax error");
    expect_error(cmd("CONFIG SET hz"), "ERR wrong number of arguments for 'config|set' command");
    expect_error(cmd("CONFIG GET"), "ERR wrong number of arguments for 'config|get' command");
    expect_error(cmd("CONFIG RESETSTAT x"),
                 "ERR wrong number of arguments for 'config|resetstat' command");
    expect_error(cmd("CONFIG REWRITE x"),
                 "ERR wrong number of arguments for 'config|rewrite' command");
    expect_error(cmd("CONFIG"), "ERR wrong number of arguments for 'config' command");
    expect_error(cmd("CONFIG foo"), "ERR unknown subcommand 'foo'. Try CONFIG HELP.");
}

static void test_set_is_atomic(void **state)
{
    (void)state;
    expect_status(cmd("CONFIG SET hz 15 maxmemory 10"), "OK");
    /* the bad value comes last: the values before it are put back */
    expect_error(cmd("CONFIG SET hz 60 maxmemory foo"),
                 "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must "
                 "be a memory value");
    expect_error(
        cmd("CONFIG SET tcp-keepalive 0 timeout abc"),
        "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be "
        "parsed into an integer");
    expect_pairs(cmd("CONFIG GET hz maxmemory tcp-keepalive"), 3, "hz", "15", "maxmemory", "10",
                 "tcp-keepalive", "300");
    expect_status(cmd("CONFIG SET hz 10 maxmemory 0"), "OK");
}

static void test_set_port(void **state)
{
    (void)state;
    harness_server s = {0};
    assert_int_equal(harness_start_server(&s, ""), 0);
    redisContext *c = harness_connect(&s);
    assert_non_null(c);
    redisContext *c2;
    char want[64];

    /* bind: an address we do not have is refused and the old ones kept */
    expect_error(
        cmd_on(c, "CONFIG SET bind 192.0.2.1"),
        "ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified "
        "addresses.");
    expect_get(c, "bind", "* -::*");
    expect_status(cmd_on(c, "CONFIG SET bind %s", "127.0.0.1"), "OK");
    expect_get(c, "bind", "127.0.0.1");
    c2 = harness_connect(&s);
    assert_non_null(c2);
    expect_status(cmd_on(c2, "PING"), "PONG");
    redisFree(c2);
    expect_error(
        cmd_on(c, "CONFIG SET bind %s", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"),
        "ERR CONFIG SET failed (possibly related to argument 'bind') - Too many bind addresses "
        "specified.");

    /* a port the shared server holds: refused, and still listening where it was */
    expect_error(
        cmd_on(c, "CONFIG SET port %d", srv.port),
        "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this "
        "port. Check server logs.");
    snprintf(want, sizeof(want), "%d", s.port);
    expect_get(c, "port", want);
    c2 = harness_connect(&s);
    assert_non_null(c2);
    expect_status(cmd_on(c2, "PING"), "PONG");
    redisFree(c2);

    /* a free port: new connections go there, this one stays open */
    int newport = harness_free_port();
    expect_status(cmd_on(c, "CONFIG SET port %d", newport), "OK");
    snprintf(want, sizeof(want), "%d", newport);
    expect_get(c, "port", want);
    int oldport = s.port;
    s.port = newport;
    c2 = harness_connect(&s);
    assert_non_null(c2);
    expect_status(cmd_on(c2, "PING"), "PONG");
    redisFree(c2);
    struct timeval tv = {1, 0};
    c2 = redisConnectWithTimeout("127.0.0.1", oldport, tv);
    assert_true(c2 == NULL || c2->err);
    if (c2)
        redisFree(c2);

    /* the same value again is no change: nothing is reopened */
    expect_status(cmd_on(c, "CONFIG SET port %d bind 127.0.0.1", newport), "OK");
    redisFree(c);
    harness_stop_server(&s);
}

static void test_protected_dir(void **state)
{
    (void)state;
    harness_server s = {0};
    assert_int_equal(harness_start_server(&s, "--enable-protected-configs yes"), 0);
    redisContext *c = harness_connect(&s);
    assert_non_null(c);
    expect_get(c, "enable-protected-configs", "yes");
    expect_error(
        cmd_on(c, "CONFIG SET dir /nonexistent/keel"),
        "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory");
    expect_get(c, "dir", s.dir);
    char sub[512];
    snprintf(sub, sizeof(sub), "%s/sub", s.dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    expect_status(cmd_on(c, "CONFIG SET dir %s", sub), "OK");
    expect_get(c, "dir", sub);
    /* a failure later in the same call puts the directory back */
    expect_error(cmd_on(c, "CONFIG SET dir %s hz x", s.dir),
                 "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be "
                 "parsed into "
                 "an integer");
    expect_get(c, "dir", sub);
    redisFree(c);
    harness_stop_server(&s);

    /* "local" allows it from this (loopback) client */
    assert_int_equal(harness_start_server(&s, "--enable-protected-configs local"), 0);
    c = harness_connect(&s);
    assert_non_null(c);
    expect_status(cmd_on(c, "CONFIG SET dir %s", s.dir), "OK");
    redisFree(c);
    harness_stop_server(&s);
}

/* --------------------------------------------------------- CONFIG REWRITE */

static void test_rewrite_and_restart(void **state)
{
    (void)state;
    const char *path = conf_path("rw.conf");
    write_file(path, "# keep this comment\n"
                     "hz 20\n"
                     "\n"
                     "maxmemory 1mb\n"
                     "timeout 9\n");
    harness_server s = {0};
    assert_int_equal(harness_start_server(&s, path), 0);
    redisContext *c = harness_connect(&s);
    assert_non_null(c);
    expect_status(cmd_on(c, "CONFIG SET hz 42 maxmemory 3mb maxmemory-samples 8 timeout 0"), "OK");
    expect_status(cmd_on(c, "CONFIG REWRITE"), "OK");
    redisFree(c);

    char want[2048];
    snprintf(want, sizeof(want),
             "# keep this comment\n"
             "hz 42\n"
             "\n"
             "maxmemory 3mb\n"
             "timeout 0\n"
             "\n"
             "# Generated by CONFIG REWRITE\n"
             "port %d\n"
             "dir \"%s\"\n"
             "maxmemory-samples 8\n",
             s.port, s.dir);
    assert_string_equal(read_file(path), want);
    harness_stop_server(&s);

    /* The harness removed that dir and passes a new --dir anyway: drop the
     * line, restart, and the rewritten values are back. */
    char *text = read_file(path);
    char *dirline = strstr(text, "dir \"");
    assert_non_null(dirline);
    char *eol = strchr(dirline, '\n');
    memmove(dirline, eol + 1, strlen(eol + 1) + 1);
    write_file(path, text);

    assert_int_equal(harness_start_server(&s, path), 0);
    c = harness_connect(&s);
    assert_non_null(c);
    expect_pairs(cmd_on(c, "CONFIG GET hz maxmemory maxmemory-samples timeout"), 4, "hz", "42",
                 "maxmemory", "3145728", "maxmemory-samples", "8", "timeout", "0");
    redisFree(c);
    harness_stop_server(&s);
}

static void test_rewrite_without_file(void **state)
{
    (void)state;
    expect_error(cmd("CONFIG REWRITE"), "ERR The server is running without a config file");
}

/* ------------------------------------------------------ RESETSTAT and HELP */

static void test_resetstat_and_help(void **state)
{
    (void)state;
    expect_status(cmd("CONFIG RESETSTAT"), "OK");

    redisReply *r = cmd("CONFIG HELP");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 11);
    assert_string_equal(r->element[0]->str,
                        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert_string_equal(r->element[1]->str, "GET <pattern>");
    assert_string_equal(r->element[2]->str,
                        "    Return parameters matching the glob-like <pattern> and their values.");
    assert_string_equal(r->element[3]->str, "SET <directive> <value>");
    assert_string_equal(r->element[5]->str, "RESETSTAT");
    assert_string_equal(r->element[7]->str, "REWRITE");
    assert_string_equal(r->element[8]->str, "    Rewrite the configuration file.");
    assert_string_equal(r->element[9]->str, "HELP");
    freeReplyObject(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_with_file),
        cmocka_unit_test(test_start_with_overrides),
        cmocka_unit_test(test_unknown_directive_exits),
        cmocka_unit_test(test_bad_values_exit),
        cmocka_unit_test(test_get_patterns),
        cmocka_unit_test(test_set_then_get),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_set_is_atomic),
        cmocka_unit_test(test_set_port),
        cmocka_unit_test(test_protected_dir),
        cmocka_unit_test(test_rewrite_and_restart),
        cmocka_unit_test(test_rewrite_without_file),
        cmocka_unit_test(test_resetstat_and_help),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
