/* test_config.c: unit tests for the redis.conf syntax (common/config: the
 * argument splitter, files with include and line numbers, command-line
 * overrides, memory units) and keel-server's option table (server/config:
 * loading, errors located by file and line, CONFIG REWRITE in place,
 * RESETSTAT). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Both layers are called config.h: name them by folder. */
#include "../../common/config.h"
#include "../../server/config.h"

/* ------------------------------------------------------------ helpers */

static char tmpdir[256];

static int setup_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/keel-unit-config-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
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
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    static char data[16384];
    size_t n = fread(data, 1, sizeof(data) - 1, fp);
    data[n] = '\0';
    fclose(fp);
    return data;
}

/* Split and compare with the expected arguments (NULL-terminated). */
static void expect_split(const char *line, ...)
{
    int argc;
    buf *argv = config_split_args(line, &argc);
    assert_non_null(argv);
    va_list ap;
    va_start(ap, line);
    int i = 0;
    for (const char *want; (want = va_arg(ap, const char *)) != NULL; i++) {
        assert_true(i < argc);
        assert_int_equal(buf_len(argv[i]), strlen(want));
        assert_memory_equal(argv[i], want, strlen(want));
    }
    va_end(ap);
    assert_int_equal(argc, i);
    config_free_args(argv, argc);
}

static void expect_split_error(const char *line)
{
    int argc = 123;
    assert_null(config_split_args(line, &argc));
    assert_int_equal(argc, 0);
}

/* A directive callback that records "file:line name arg arg|" and can be
 * told to refuse one directive name. */
typedef struct recorder {
    char log[4096];
    const char *refuse;
} recorder;

static int record_directive(void *ctx, int argc, buf *argv, const config_origin *where, char *err,
                            size_t errlen)
{
    recorder *r = ctx;
    if (r->refuse && !strcmp(argv[0], r->refuse)) {
        snprintf(err, errlen, "Bad directive or wrong number of arguments");
        return -1;
    }
    const char *base = strrchr(where->file, '/');
    size_t off = strlen(r->log);
    off += (size_t)snprintf(r->log + off, sizeof(r->log) - off, "%s:%d",
                            base ? base + 1 : where->file, where->line);
    for (int i = 0; i < argc; i++)
        off += (size_t)snprintf(r->log + off, sizeof(r->log) - off, " %s", argv[i]);
    snprintf(r->log + off, sizeof(r->log) - off, "|");
    return 0;
}

/* ------------------------------------------------------------ splitter */

static void test_split_plain(void **state)
{
    (void)state;
    expect_split("port 6379", "port", "6379", NULL);
    expect_split("  bind\t127.0.0.1   ::1  ", "bind", "127.0.0.1", "::1", NULL);
    expect_split("", NULL);
    expect_split("   \t ", NULL);
    expect_split("a#b c", "a#b", "c", NULL);
}

static void test_split_double_quotes(void **state)
{
    (void)state;
    expect_split("requirepass \"a b\"", "requirepass", "a b", NULL);
    expect_split("x \"\"", "x", "", NULL);
    expect_split("x \"l1\\nl2\\r\\t\\b\\a\"", "x", "l1\nl2\r\t\b\a", NULL);
    expect_split("x \"q\\\"q\\\\\"", "x", "q\"q\\", NULL);
    expect_split("x \"\\x41\\x6a\\x6A\"", "x", "Ajj", NULL);
    /* not a valid \x escape: the x is kept literally */
    expect_split("x \"\\xZZ\"", "x", "xZZ", NULL);
    expect_split("x \"\\q\"", "x", "q", NULL);
    /* a quote may open inside an argument */
    expect_split("x foo\"bar baz\"", "x", "foobar baz", NULL);

    /* \x00 keeps its NUL byte: the arguments are binary-safe */
    int argc;
    buf *argv = config_split_args("\"a\\x00b\"", &argc);
    assert_non_null(argv);
    assert_int_equal(argc, 1);
    assert_int_equal(buf_len(argv[0]), 3);
    assert_memory_equal(argv[0], "a\0b", 3);
    config_free_args(argv, argc);
}

static void test_split_single_quotes(void **state)
{
    (void)state;
    expect_split("x 'a b'", "x", "a b", NULL);
    expect_split("x 'it\\'s'", "x", "it's", NULL);
    /* no escapes other than \' inside single quotes */
    expect_split("x 'a\\nb'", "x", "a\\nb", NULL);
    expect_split("x ''", "x", "", NULL);
}

static void test_split_errors(void **state)
{
    (void)state;
    expect_split_error("x \"abc");
    expect_split_error("x 'abc");
    expect_split_error("x \"abc\"def");
    expect_split_error("x 'abc'def");
    expect_split_error("x \"abc\\\"");
}

/* ------------------------------------------------------- walking text */

static void test_parse_string_lines(void **state)
{
    (void)state;
    recorder r = {{0}, NULL};
    config_error e;
    const char *text = "# comment\n"
                       "\n"
                       "PORT 7000\r\n"
                       "   # indented comment\n"
                       "  bind 127.0.0.1 ::1  \n"
                       "requirepass \"a b\"";
    assert_int_equal(config_parse_string(text, "inline", record_directive, &r, &e), 0);
    assert_string_equal(r.log,
                        "inline:3 port 7000|inline:5 bind 127.0.0.1 ::1|inline:6 requirepass a b|");
}

static void test_parse_string_errors(void **state)
{
    (void)state;
    recorder r = {{0}, "foo"};
    config_error e;
    char out[2048];

    assert_int_equal(
        config_parse_string("port 1\n\n  foo bar  \nhz 2\n", "x.conf", record_directive, &r, &e),
        -1);
    assert_string_equal(e.file, "x.conf");
    assert_int_equal(e.line, 3);
    assert_string_equal(e.text, "foo bar");
    assert_string_equal(e.msg, "Bad directive or wrong number of arguments");
    config_error_format(&e, out, sizeof(out));
    assert_string_equal(out, "*** FATAL CONFIG FILE ERROR ***\n"
                             "Reading the configuration file, at line 3 (x.conf:3)\n"
                             ">>> 'foo bar'\n"
                             "Bad directive or wrong number of arguments\n");

    memset(&r, 0, sizeof(r));
    assert_int_equal(config_parse_string("a 1\nport \"abc\n", "y.conf", record_directive, &r, &e),
                     -1);
    assert_int_equal(e.line, 2);
    assert_string_equal(e.text, "port \"abc");
    assert_string_equal(e.msg, "Unbalanced quotes in configuration line");

    config_error_set(&e, "Can't open the log file: %s", "No such file or directory");
    config_error_format(&e, out, sizeof(out));
    assert_string_equal(out, "*** FATAL CONFIG FILE ERROR ***\n"
                             "Can't open the log file: No such file or directory\n");
}

/* --------------------------------------------------------------- files */

static void test_parse_file_include(void **state)
{
    (void)state;
    char text[1024];
    write_file(tmp_path("inc.conf"), "hz 11\n\nmaxmemory 1mb\n");
    snprintf(text, sizeof(text), "port 1\ninclude %s\nhz 12\n", tmp_path("inc.conf"));
    write_file(tmp_path("main.conf"), text);

    recorder r = {{0}, NULL};
    config_error e;
    assert_int_equal(config_parse_file(tmp_path("main.conf"), record_directive, &r, &e), 0);
    assert_string_equal(r.log, "main.conf:1 port 1|inc.conf:1 hz 11|inc.conf:3 maxmemory 1mb|"
                               "main.conf:3 hz 12|");

    /* an error inside the included file names that file and its line */
    memset(&r, 0, sizeof(r));
    r.refuse = "maxmemory";
    assert_int_equal(config_parse_file(tmp_path("main.conf"), record_directive, &r, &e), -1);
    assert_string_equal(e.file, tmp_path("inc.conf"));
    assert_int_equal(e.line, 3);
    assert_string_equal(e.text, "maxmemory 1mb");
}

static void test_parse_file_include_errors(void **state)
{
    (void)state;
    char text[1024];
    recorder r = {{0}, NULL};
    config_error e;

    /* a missing include is reported at the include line */
    snprintf(text, sizeof(text), "port 1\ninclude %s\n", tmp_path("missing.conf"));
    write_file(tmp_path("bad.conf"), text);
    assert_int_equal(config_parse_file(tmp_path("bad.conf"), record_directive, &r, &e), -1);
    assert_string_equal(e.file, tmp_path("bad.conf"));
    assert_int_equal(e.line, 2);
    assert_non_null(strstr(e.msg, "can't open config file"));
    assert_non_null(strstr(e.msg, "No such file or directory"));

    /* a missing top-level file */
    assert_int_equal(config_parse_file(tmp_path("nope.conf"), record_directive, &r, &e), -1);
    assert_int_equal(e.line, 0);
    assert_non_null(strstr(e.msg, "Fatal error, can't open config file"));

    /* a file including itself stops at the nesting limit */
    snprintf(text, sizeof(text), "include %s\n", tmp_path("loop.conf"));
    write_file(tmp_path("loop.conf"), text);
    assert_int_equal(config_parse_file(tmp_path("loop.conf"), record_directive, &r, &e), -1);
    assert_non_null(strstr(e.msg, "nested includes"));

    /* include needs exactly one argument: otherwise it is a directive like any other */
    memset(&r, 0, sizeof(r));
    assert_int_equal(config_parse_string("include a b\n", "s", record_directive, &r, &e), 0);
    assert_string_equal(r.log, "s:1 include a b|");
}

static void test_parse_file_include_wildcard(void **state)
{
    (void)state;
    char text[1024];
    assert_int_equal(mkdir(tmp_path("conf.d"), 0755), 0);
    write_file(tmp_path("conf.d/20-b.conf"), "hz 20\n");
    write_file(tmp_path("conf.d/10-a.conf"), "hz 10\n");
    snprintf(text, sizeof(text), "include %s/conf.d/*.conf\ninclude %s/empty.d/*.conf\nport 2\n",
             tmpdir, tmpdir);
    write_file(tmp_path("wild.conf"), text);

    recorder r = {{0}, NULL};
    config_error e;
    assert_int_equal(config_parse_file(tmp_path("wild.conf"), record_directive, &r, &e), 0);
    /* alphabetical order; a pattern matching nothing is not an error */
    assert_string_equal(r.log, "10-a.conf:1 hz 10|20-b.conf:1 hz 20|wild.conf:3 port 2|");
}

/* ------------------------------------------------------- command line */

static void parse_args(int argc, char **argv, recorder *r)
{
    config_error e;
    buf text = config_args_to_string(argc, argv);
    memset(r, 0, sizeof(*r));
    assert_int_equal(config_parse_string(text, "cmdline", record_directive, r, &e), 0);
    buf_free(text);
}

static void test_args_to_string(void **state)
{
    (void)state;
    recorder r;

    char *a1[] = {"--port", "7000", "--bind", "127.0.0.1", "::1", "--loglevel", "warning"};
    parse_args(7, a1, &r);
    assert_string_equal(
        r.log, "cmdline:1 port 7000|cmdline:2 bind 127.0.0.1 ::1|cmdline:3 loglevel warning|");

    /* "--name value" as one argument */
    char *a2[] = {"--port 7000", "--hz", "5"};
    parse_args(3, a2, &r);
    assert_string_equal(r.log, "cmdline:1 port 7000|cmdline:2 hz 5|");

    /* the argument after a bare --name is its value even if it starts with -- */
    char *a3[] = {"--requirepass", "--secret", "--hz", "5"};
    parse_args(4, a3, &r);
    assert_string_equal(r.log, "cmdline:1 requirepass --secret|cmdline:2 hz 5|");

    /* values are read back exactly: spaces, quotes, backslashes */
    char *a4[] = {"--requirepass", "a b\"c\\d'e"};
    parse_args(2, a4, &r);
    assert_string_equal(r.log, "cmdline:1 requirepass a b\"c\\d'e|");

    /* --save alone means save "" */
    char *a5[] = {"--save", "--port", "1"};
    parse_args(3, a5, &r);
    assert_string_equal(r.log, "cmdline:1 save |cmdline:2 port 1|");

    /* nothing at all */
    buf empty = config_args_to_string(0, NULL);
    assert_int_equal(buf_len(empty), 0);
    buf_free(empty);

    /* a value that is not a number is passed through for the option table to refuse */
    char *a6[] = {"--port", "abc"};
    buf text = config_args_to_string(2, a6);
    assert_string_equal(text, "port \"abc\" \n");
    buf_free(text);
}

/* --------------------------------------------------------- value syntax */

static void expect_mem(const char *s, unsigned long long want)
{
    unsigned long long v = 12345;
    assert_int_equal(config_parse_memory(s, &v), 1);
    assert_true(v == want);
}

static void expect_mem_error(const char *s)
{
    unsigned long long v;
    assert_int_equal(config_parse_memory(s, &v), 0);
}

static void test_memory_units(void **state)
{
    (void)state;
    expect_mem("0", 0);
    expect_mem("1", 1);
    expect_mem("01", 1);
    expect_mem("1b", 1);
    expect_mem("1B", 1);
    expect_mem("1k", 1000);
    expect_mem("1kb", 1024);
    expect_mem("1KB", 1024);
    expect_mem("2m", 2000000);
    expect_mem("2mb", 2 * 1024 * 1024);
    expect_mem("1mB", 1024 * 1024);
    expect_mem("3g", 3000000000ULL);
    expect_mem("3gb", 3ULL << 30);
    expect_mem("1Gb", 1ULL << 30);
    expect_mem("18446744073709551615", ULLONG_MAX);
    /* past 2^64-1 it saturates, as Redis's memtoull */
    expect_mem("18446744073709551616", ULLONG_MAX);
    expect_mem("99999999999999999999999", ULLONG_MAX);
    expect_mem("17179869184gb", ULLONG_MAX);

    expect_mem_error("");
    expect_mem_error("kb");
    expect_mem_error("-1");
    expect_mem_error("+5");
    expect_mem_error(" 1");
    expect_mem_error("1 ");
    expect_mem_error("1 kb");
    expect_mem_error("1.5gb");
    expect_mem_error("1tb");
    expect_mem_error("0x10");
    expect_mem_error("1kbb");
}

static void test_memory_format(void **state)
{
    (void)state;
    char out[64];
    config_format_memory(out, sizeof(out), 0);
    assert_string_equal(out, "0");
    config_format_memory(out, sizeof(out), 1000);
    assert_string_equal(out, "1000");
    config_format_memory(out, sizeof(out), 1024);
    assert_string_equal(out, "1kb");
    config_format_memory(out, sizeof(out), 1536);
    assert_string_equal(out, "1536");
    config_format_memory(out, sizeof(out), 3ULL << 20);
    assert_string_equal(out, "3mb");
    config_format_memory(out, sizeof(out), 5ULL << 30);
    assert_string_equal(out, "5gb");
    config_format_memory(out, sizeof(out), ULLONG_MAX);
    assert_string_equal(out, "18446744073709551615");
}

static void test_yesno(void **state)
{
    (void)state;
    assert_int_equal(config_parse_yesno("yes"), 1);
    assert_int_equal(config_parse_yesno("YES"), 1);
    assert_int_equal(config_parse_yesno("no"), 0);
    assert_int_equal(config_parse_yesno("No"), 0);
    assert_int_equal(config_parse_yesno("y"), -1);
    assert_int_equal(config_parse_yesno(""), -1);
    assert_int_equal(config_parse_yesno("1"), -1);
}

/* -------------------------------------------------- keel-server options */

static server srv;

static void expect_config_value(const char *name, const char *want)
{
    buf v = config_get_value(&srv, name);
    assert_non_null(v);
    assert_string_equal(v, want);
    buf_free(v);
}

static void test_server_defaults(void **state)
{
    (void)state;
    config_set_defaults(&srv.cfg);
    assert_int_equal(srv.cfg.port, 6379);
    assert_int_equal(srv.cfg.bind_count, 2);
    assert_string_equal(srv.cfg.bind[0], "*");
    assert_string_equal(srv.cfg.bind[1], "-::*");
    assert_int_equal(srv.cfg.tcp_backlog, 511);
    assert_int_equal(srv.cfg.protected_mode, 1);
    assert_int_equal(srv.cfg.daemonize, 0);
    assert_null(srv.cfg.pidfile);
    assert_string_equal(srv.cfg.logfile, "");
    assert_int_equal(srv.cfg.loglevel, LOG_NOTICE);
    assert_int_equal(srv.cfg.databases, 16);
    assert_null(srv.cfg.requirepass);
    assert_int_equal(srv.cfg.maxclients, 10000);
    assert_int_equal(srv.cfg.timeout, 0);
    assert_int_equal(srv.cfg.tcp_keepalive, 300);
    assert_int_equal(srv.cfg.hz, 10);
    assert_true(srv.cfg.proto_max_bulk_len == 512LL * 1024 * 1024);
    assert_true(srv.cfg.client_query_buffer_limit == 1024LL * 1024 * 1024);
    assert_int_equal(srv.cfg.active_expire_effort, 1);
    assert_int_equal(srv.cfg.lazyfree_lazy_user_del, 0);
    assert_int_equal(srv.cfg.maxmemory_samples, 5);
    assert_true(srv.cfg.maxmemory == 0);
    assert_null(srv.cfg.config_file);

    expect_config_value("bind", "* -::*");
    expect_config_value("requirepass", "");
    expect_config_value("pidfile", "");
    expect_config_value("loglevel", "notice");
    expect_config_value("protected-mode", "yes");
    expect_config_value("proto-max-bulk-len", "536870912");
    expect_config_value("enable-protected-configs", "no");
    expect_config_value("HZ", "10");
    expect_config_value("save", "3600 1 300 100 60 10000"); /* Redis 7.0's default */
    expect_config_value("dbfilename", "dump.rdb");
    config_free(&srv.cfg);
}

static void test_server_load(void **state)
{
    (void)state;
    char err[2048];
    write_file(tmp_path("keel.conf"), "# a keel config\n"
                                      "port 7001\n"
                                      "bind 127.0.0.1 -::1\n"
                                      "maxmemory 2mb\n"
                                      "loglevel WARNING\n"
                                      "hz 1000\n"
                                      "requirepass \"s3cr et\"\n"
                                      "lazyfree-lazy-user-del yes\n");
    char *over[] = {"--port", "7002", "--timeout", "30"};
    assert_int_equal(config_load(&srv, tmp_path("keel.conf"), 4, over, err, sizeof(err)), 0);
    assert_int_equal(srv.cfg.port, 7002); /* the command line comes last */
    assert_int_equal(srv.cfg.timeout, 30);
    assert_int_equal(srv.cfg.bind_count, 2);
    assert_string_equal(srv.cfg.bind[1], "-::1");
    assert_true(srv.cfg.maxmemory == 2 * 1024 * 1024);
    assert_int_equal(srv.cfg.loglevel, LOG_WARNING);
    assert_int_equal(srv.cfg.hz, 500); /* clamped */
    assert_string_equal(srv.cfg.requirepass, "s3cr et");
    assert_int_equal(srv.cfg.lazyfree_lazy_user_del, 1);
    assert_non_null(srv.cfg.config_file);
    assert_string_equal(srv.cfg.config_file, tmp_path("keel.conf"));
    expect_config_value("maxmemory", "2097152");
    expect_config_value("bind", "127.0.0.1 -::1");
    config_free(&srv.cfg);

    /* no file at all: defaults plus overrides */
    char *over2[] = {"--hz", "0", "--databases", "4"};
    assert_int_equal(config_load(&srv, NULL, 4, over2, err, sizeof(err)), 0);
    assert_int_equal(srv.cfg.hz, 1);
    assert_int_equal(srv.cfg.databases, 4);
    assert_null(srv.cfg.config_file);
    config_free(&srv.cfg);
}

static void expect_load_error(const char *content, int argc, char **over, const char *want)
{
    char err[2048];
    write_file(tmp_path("err.conf"), content);
    assert_int_equal(config_load(&srv, tmp_path("err.conf"), argc, over, err, sizeof(err)), -1);
    if (!strstr(err, want))
        fail_msg("error %s\nlacks %s", err, want);
    config_free(&srv.cfg);
}

static void test_server_load_errors(void **state)
{
    (void)state;
    char want[1024];
    snprintf(want, sizeof(want),
             "*** FATAL CONFIG FILE ERROR ***\n"
             "Reading the configuration file, at line 3 (%s:3)\n"
             ">>> 'foo bar'\n"
             "Bad directive or wrong number of arguments",
             tmp_path("err.conf"));
    expect_load_error("port 7000\n\nfoo bar\n", 0, NULL, want);

    expect_load_error("save 900\n", 0, NULL, ">>> 'save 900'\nInvalid save parameters");
    expect_load_error("save 0 1\n", 0, NULL, "Invalid save parameters");
    /* options Keel does not act on are refused, not ignored */
    expect_load_error("cluster-enabled yes\n", 0, NULL,
                      "Bad directive or wrong number of arguments");

    expect_load_error("hz abc\n", 0, NULL,
                      ">>> 'hz abc'\nargument couldn't be parsed into an integer");
    expect_load_error("port\n", 0, NULL, ">>> 'port'\nwrong number of arguments");
    expect_load_error("port 1 2\n", 0, NULL, "wrong number of arguments");
    expect_load_error("port 65536\n", 0, NULL, "argument must be between 0 and 65535 inclusive");
    expect_load_error("daemonize maybe\n", 0, NULL, "argument must be 'yes' or 'no'");
    expect_load_error("loglevel loud\n", 0, NULL,
                      "argument(s) must be one of the following: debug, verbose, notice, warning");
    expect_load_error("maxmemory 1tb\n", 0, NULL, "argument must be a memory value");
    expect_load_error("proto-max-bulk-len 1000\n", 0, NULL,
                      "argument must be between 1048576 and 9223372036854775807 inclusive");
    expect_load_error("active-expire-effort 11\n", 0, NULL,
                      "argument must be between 1 and 10 inclusive");
    expect_load_error("maxclients 0\n", 0, NULL,
                      "argument must be between 1 and 4294967295 inclusive");
    expect_load_error("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", 0, NULL,
                      "Too many bind addresses specified.");
    expect_load_error("dir /nonexistent/keel\n", 0, NULL,
                      ">>> 'dir /nonexistent/keel'\nNo such file or directory");
    expect_load_error("port \"7000\n", 0, NULL, "Unbalanced quotes in configuration line");
    expect_load_error(
        "logfile /nonexistent/dir/keel.log\n", 0, NULL,
        "*** FATAL CONFIG FILE ERROR ***\nCan't open the log file: No such file or directory");

    /* errors in overrides name the command line */
    char *over[] = {"--hz", "5", "--port", "abc"};
    expect_load_error("", 4, over,
                      "Reading the configuration file, at line 2 (command line:2)\n"
                      ">>> 'port \"abc\"'\n"
                      "argument couldn't be parsed into an integer");
    char *over2[] = {"--nosuch", "1"};
    expect_load_error("", 2, over2,
                      ">>> 'nosuch \"1\"'\nBad directive or wrong number of arguments");

    /* a missing file */
    char err[1024];
    assert_int_equal(config_load(&srv, tmp_path("absent.conf"), 0, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "can't open config file"));
    config_free(&srv.cfg);
}

static void test_server_dir(void **state)
{
    (void)state;
    char cwd[PATH_MAX], err[1024];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(mkdir(tmp_path("data"), 0755), 0);
    char *over[] = {"--dir", (char *)tmp_path("data")};
    assert_int_equal(config_load(&srv, NULL, 2, over, err, sizeof(err)), 0);
    char now[PATH_MAX];
    assert_non_null(getcwd(now, sizeof(now)));
    assert_string_equal(now, tmp_path("data"));
    assert_string_equal(srv.cfg.dir, tmp_path("data"));
    expect_config_value("dir", tmp_path("data"));
    assert_int_equal(chdir(cwd), 0);
    config_free(&srv.cfg);
}

static void test_server_rewrite(void **state)
{
    (void)state;
    char err[2048];
    char text[2048];
    write_file(tmp_path("inc2.conf"), "timeout 7\n");
    snprintf(text, sizeof(text),
             "# top comment\n"
             "port 7001\n"
             "include %s\n"
             "PORT 7002\n"
             "hz 5\n"
             "   # indented comment\n"
             "\n"
             "\n"
             "maxmemory 100mb\n"
             "bind * -::*\n",
             tmp_path("inc2.conf"));
    write_file(tmp_path("rw.conf"), text);
    assert_int_equal(config_load(&srv, tmp_path("rw.conf"), 0, NULL, err, sizeof(err)), 0);

    /* what CONFIG SET would have done */
    srv.cfg.hz = 42;
    srv.cfg.maxmemory = 0;
    srv.cfg.maxmemory_samples = 7;
    free(srv.cfg.requirepass);
    srv.cfg.requirepass = strdup("p w\"d");
    assert_int_equal(config_rewrite(&srv, tmp_path("rw.conf")), 0);

    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    char want[3 * PATH_MAX];
    snprintf(want, sizeof(want),
             "# top comment\n"
             "port 7002\n"  /* the first line of the option is reused */
             "include %s\n" /* unknown to the option table: kept */
             "\n"           /* the second port line is blanked */
             "hz 42\n"
             "# indented comment\n"
             "\n"            /* runs of empty lines fold into one */
             "maxmemory 0\n" /* back to the default, but it was in the file */
             "\n"            /* the default bind is dropped */
             "# Generated by CONFIG REWRITE\n"
             "requirepass \"p w\\\"d\"\n"
             "timeout 7\n"
             "dir \"%s\"\n"
             "maxmemory-samples 7\n",
             tmp_path("inc2.conf"), cwd);
    assert_string_equal(read_file(tmp_path("rw.conf")), want);

    /* a second rewrite changes nothing and adds no second signature */
    assert_int_equal(config_rewrite(&srv, tmp_path("rw.conf")), 0);
    assert_string_equal(read_file(tmp_path("rw.conf")), want);
    config_free(&srv.cfg);

    /* and the file reads back to the same values */
    assert_int_equal(config_load(&srv, tmp_path("rw.conf"), 0, NULL, err, sizeof(err)), 0);
    assert_int_equal(srv.cfg.hz, 42);
    assert_int_equal(srv.cfg.port, 7002);
    assert_int_equal(srv.cfg.maxmemory_samples, 7);
    assert_string_equal(srv.cfg.requirepass, "p w\"d");
    config_free(&srv.cfg);

    /* an unparsable line survives as a comment; a missing file is created */
    write_file(tmp_path("rw2.conf"), "weird \"line\n");
    config_set_defaults(&srv.cfg);
    srv.cfg.hz = 9;
    assert_int_equal(config_rewrite(&srv, tmp_path("rw2.conf")), 0);
    snprintf(want, sizeof(want),
             "# ??? weird \"line\n\n# Generated by CONFIG REWRITE\nhz 9\ndir \"%s\"\n", cwd);
    assert_string_equal(read_file(tmp_path("rw2.conf")), want);
    assert_int_equal(config_rewrite(&srv, tmp_path("new.conf")), 0);
    snprintf(want, sizeof(want), "# Generated by CONFIG REWRITE\nhz 9\ndir \"%s\"\n", cwd);
    assert_string_equal(read_file(tmp_path("new.conf")), want);
    config_free(&srv.cfg);
}

static void test_server_reset_stats(void **state)
{
    (void)state;
    server s;
    memset(&s, 0, sizeof(s));
    commands_init(&s);
    s.stats.numcommands = 10;
    s.stats.numconnections = 3;
    s.stats.keyspace_hits = 4;
    s.stats.total_error_replies = 2;
    s.stats.dirty = 99;
    command *cfg = dict_fetch_value(s.commands, "config");
    assert_non_null(cfg);
    cfg->calls = 5;
    cfg->subcommands[0].calls = 6;
    cfg->subcommands[0].usec = 60;

    config_reset_stats(&s);
    assert_int_equal(s.stats.numcommands, 0);
    assert_int_equal(s.stats.numconnections, 0);
    assert_int_equal(s.stats.keyspace_hits, 0);
    assert_int_equal(s.stats.total_error_replies, 0);
    assert_int_equal(s.stats.dirty, 99); /* not a statistic: unsaved changes */
    assert_int_equal(cfg->calls, 0);
    assert_int_equal(cfg->subcommands[0].calls, 0);
    assert_int_equal(cfg->subcommands[0].usec, 0);
    dict_release(s.commands);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_plain),
        cmocka_unit_test(test_split_double_quotes),
        cmocka_unit_test(test_split_single_quotes),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_parse_string_lines),
        cmocka_unit_test(test_parse_string_errors),
        cmocka_unit_test(test_parse_file_include),
        cmocka_unit_test(test_parse_file_include_errors),
        cmocka_unit_test(test_parse_file_include_wildcard),
        cmocka_unit_test(test_args_to_string),
        cmocka_unit_test(test_memory_units),
        cmocka_unit_test(test_memory_format),
        cmocka_unit_test(test_yesno),
        cmocka_unit_test(test_server_defaults),
        cmocka_unit_test(test_server_load),
        cmocka_unit_test(test_server_load_errors),
        cmocka_unit_test(test_server_dir),
        cmocka_unit_test(test_server_rewrite),
        cmocka_unit_test(test_server_reset_stats),
    };
    return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
