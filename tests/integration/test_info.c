/* test_info: integration tests of INFO (info.c) against a real keel-server:
 * which sections each form of the command returns and in which order
 * (default, all, everything, one section, several, unknown, any case), the
 * text's shape (CRLF lines, "name:value" fields, one blank line between
 * sections), the formats of the fields clients parse, values that must move
 * (commands processed, keyspace counts, connected clients, per-command and
 * per-error counters, memory) and the RESP3 verbatim reply. */
#include <ctype.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
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

static void discard(redisReply *r)
{
    freeReplyObject(r);
}

/* The INFO text for a command line such as "INFO server clients": a bulk
 * string, malloc'd and NUL-terminated. */
static char *info(const char *line)
{
    redisReply *r = cmd(line);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    char *text = malloc(r->len + 1);
    assert_non_null(text);
    memcpy(text, r->str, r->len);
    text[r->len] = '\0';
    freeReplyObject(r);
    return text;
}

/* The "# Title" lines of the text joined with spaces: "Server Clients". */
static void titles(const char *text, char *out, size_t size)
{
    out[0] = '\0';
    size_t used = 0;
    for (const char *p = text; *p;) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > 2 && p[0] == '#' && p[1] == ' ')
            used += (size_t)snprintf(out + used, size - used, "%s%.*s", used ? " " : "",
                                     (int)len - 2, p + 2);
        p += len + (eol ? 2 : 0);
    }
}

static void expect_titles(const char *line, const char *want)
{
    char *text = info(line);
    char got[512];
    titles(text, got, sizeof(got));
    assert_string_equal(got, want);
    free(text);
}

/* The value of field `name` (copied into out), or NULL when absent. */
static const char *field(const char *text, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            const char *eol = strstr(v, "\r\n");
            size_t len = eol ? (size_t)(eol - v) : strlen(v);
            if (len >= size)
                len = size - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return out;
        }
        p = strstr(p, "\r\n");
        if (p)
            p += 2;
    }
    return NULL;
}

static int is_uint(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* An integer field, which must be present and be digits only. */
static long long field_ll(const char *text, const char *name)
{
    char v[128];
    if (!field(text, name, v, sizeof(v)))
        fail_msg("field %s is missing", name);
    if (!is_uint(v))
        fail_msg("field %s is not an unsigned integer: '%s'", name, v);
    return strtoll(v, NULL, 10);
}

/* A field of an INFO section (taken fresh), or 0 when absent. */
static long long info_ll_or_zero(const char *line, const char *name)
{
    char *text = info(line);
    char v[128];
    long long n = field(text, name, v, sizeof(v)) ? strtoll(v, NULL, 10) : 0;
    free(text);
    return n;
}

/* "digits.dd" with exactly `decimals` decimals, then the optional suffix. */
static int is_fixed(const char *s, int decimals, const char *suffix)
{
    const char *dot = strchr(s, '.');
    if (!dot || dot == s)
        return 0;
    for (const char *p = s; p < dot; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    for (int i = 1; i <= decimals; i++)
        if (!isdigit((unsigned char)dot[i]))
            return 0;
    return strcmp(dot + 1 + decimals, suffix) == 0;
}

static void expect_fixed(const char *text, const char *name, int decimals, const char *suffix)
{
    char v[128];
    if (!field(text, name, v, sizeof(v)))
        fail_msg("field %s is missing", name);
    if (!is_fixed(v, decimals, suffix))
        fail_msg("field %s has a bad format: '%s'", name, v);
}

static void expect_field(const char *text, const char *name, const char *want)
{
    char v[256];
    if (!field(text, name, v, sizeof(v)))
        fail_msg("field %s is missing", name);
    assert_string_equal(v, want);
}

/* Redis's bytesToHuman, to check the *_human fields against their bytes. */
static void bytes_to_human(char *dst, size_t size, unsigned long long n)
{
    const char *units = "KMGTP";
    if (n < 1024) {
        snprintf(dst, size, "%lluB", n);
        return;
    }
    double d = (double)n / 1024;
    int i = 0;
    while (d >= 1024 && units[i + 1]) {
        d /= 1024;
        i++;
    }
    snprintf(dst, size, "%.2f%c", d, units[i]);
}

static void expect_human(const char *text, const char *name)
{
    char key[128], want[64];
    snprintf(key, sizeof(key), "%s_human", name);
    bytes_to_human(want, sizeof(want), (unsigned long long)field_ll(text, name));
    expect_field(text, key, want);
}

/* The whole text's shape: CRLF lines, a title opening each section, one
 * blank line between sections and none at the end, name:value fields. */
static void expect_well_formed(const char *text)
{
    size_t len = strlen(text);
    assert_true(len >= 4);
    assert_memory_equal(text + len - 2, "\r\n", 2);
    assert_false(len >= 4 && memcmp(text + len - 4, "\r\n\r\n", 4) == 0);
    int expect_title = 1;
    for (const char *p = text; *p;) {
        const char *eol = strstr(p, "\r\n");
        assert_non_null(eol);
        size_t n = (size_t)(eol - p);
        assert_null(memchr(p, '\n', n));
        assert_null(memchr(p, '\r', n));
        if (expect_title) {
            assert_true(n > 2 && p[0] == '#' && p[1] == ' ');
            expect_title = 0;
        } else if (n == 0) {
            expect_title = 1;
        } else {
            const char *colon = memchr(p, ':', n);
            if (!colon)
                fail_msg("line without ':': %.*s", (int)n, p);
            for (const char *q = p; q < colon; q++)
                if (!islower((unsigned char)*q) && !isdigit((unsigned char)*q) && *q != '_' &&
                    *q != '|' && !isupper((unsigned char)*q))
                    fail_msg("bad field name: %.*s", (int)n, p);
        }
        p = eol + 2;
    }
    assert_false(expect_title); /* no trailing blank line */
}

/* ------------------------------------------------------------- fixtures */

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

/* ---------------------------------------------------------- sections */

/* Redis's default order, less the sections other modules own (Persistence,
 * Replication): those may appear between, so compare as a subsequence. */
static void expect_in_order(const char *got, const char *const *want, size_t n)
{
    const char *p = got;
    for (size_t i = 0; i < n; i++) {
        char word[64];
        snprintf(word, sizeof(word), "%s", want[i]);
        const char *hit = strstr(p, word);
        if (!hit)
            fail_msg("section %s missing or out of order in '%s'", want[i], got);
        p = hit + strlen(word);
    }
}

static void test_default_sections(void **state)
{
    (void)state;
    char *text = info("INFO");
    expect_well_formed(text);
    char got[512];
    titles(text, got, sizeof(got));
    static const char *const want[] = {"Server",  "Clients",    "Memory",  "Stats",   "CPU",
                                       "Modules", "Errorstats", "Cluster", "Keyspace"};
    expect_in_order(got, want, sizeof(want) / sizeof(want[0]));
    assert_null(strstr(got, "Commandstats"));
    free(text);

    char *dflt = info("INFO default");
    char got2[512];
    titles(dflt, got2, sizeof(got2));
    assert_string_equal(got, got2);
    free(dflt);
}

static void test_all_sections(void **state)
{
    (void)state;
    discard(cmd("SET k v"));
    char *text = info("INFO all");
    expect_well_formed(text);
    char got[512];
    titles(text, got, sizeof(got));
    static const char *const want[] = {"Server",  "Clients", "Memory",       "Stats",
                                       "CPU",     "Modules", "Commandstats", "Errorstats",
                                       "Cluster", "Keyspace"};
    expect_in_order(got, want, sizeof(want) / sizeof(want[0]));
    free(text);

    char *every = info("INFO everything");
    expect_well_formed(every);
    char got2[512];
    titles(every, got2, sizeof(got2));
    assert_string_equal(got, got2);
    free(every);
}

static void test_single_and_multi_sections(void **state)
{
    (void)state;
    discard(cmd("SET k v"));
    expect_titles("INFO keyspace", "Keyspace");
    expect_titles("INFO server clients", "Server Clients");
    expect_titles("INFO clients server", "Server Clients"); /* Redis's order, not ours */
    expect_titles("INFO SERVER Clients", "Server Clients");
    expect_titles("INFO cpu cpu CPU", "CPU");
    expect_titles("INFO commandstats", "Commandstats");
    expect_titles("INFO errorstats keyspace", "Errorstats Keyspace");
    expect_titles("INFO cluster", "Cluster");

    char *text = info("INFO server clients");
    expect_well_formed(text);
    assert_non_null(strstr(text, "\r\n\r\n# Clients\r\n"));
    free(text);

    /* No modules are loaded: the section is its title alone. */
    text = info("INFO modules");
    assert_string_equal(text, "# Modules\r\n");
    free(text);
    text = info("INFO module_list");
    assert_string_equal(text, "# Modules\r\n");
    free(text);
    text = info("INFO cluster");
    assert_string_equal(text, "# Cluster\r\ncluster_enabled:0\r\n");
    free(text);
}

static void test_unknown_section(void **state)
{
    (void)state;
    char *text = info("INFO nosuchsection");
    assert_string_equal(text, "");
    free(text);
    expect_titles("INFO nosuchsection cpu", "CPU");
}

/* ------------------------------------------------------------- formats */

static void test_server_fields(void **state)
{
    (void)state;
    char *text = info("INFO server");
    char v[1200];
    expect_field(text, "redis_version", "7.0.15");
    /* keel_version comes right after redis_version. */
    assert_non_null(strstr(text, "# Server\r\nredis_version:7.0.15\r\nkeel_version:"));
    assert_non_null(field(text, "keel_version", v, sizeof(v)));
    assert_true(strlen(v) > 0);
    expect_field(text, "redis_git_sha1", "00000000");
    expect_field(text, "redis_git_dirty", "0");
    expect_field(text, "redis_mode", "standalone");
    expect_field(text, "process_supervised", "no");
    expect_field(text, "io_threads_active", "0");
    expect_field(text, "config_file", "");
    expect_field(text, "monotonic_clock", "POSIX clock_gettime");
    assert_non_null(field(text, "redis_build_id", v, sizeof(v)));
    for (const char *p = v; *p; p++)
        assert_true(isxdigit((unsigned char)*p));
    assert_non_null(field(text, "os", v, sizeof(v)));
    assert_true(strlen(v) > 0);
    long long bits = field_ll(text, "arch_bits");
    assert_true(bits == 32 || bits == 64);
    assert_non_null(field(text, "multiplexing_api", v, sizeof(v)));
    assert_true(!strcmp(v, "epoll") || !strcmp(v, "poll") || !strcmp(v, "select") ||
                !strcmp(v, "kqueue") || !strcmp(v, "evport"));
    assert_non_null(field(text, "gcc_version", v, sizeof(v)));
    int a, b, c;
    assert_int_equal(sscanf(v, "%d.%d.%d", &a, &b, &c), 3);
    assert_int_equal(field_ll(text, "process_id"), srv.pid);
    assert_int_equal(field_ll(text, "tcp_port"), srv.port);
    assert_non_null(field(text, "run_id", v, sizeof(v)));
    assert_int_equal(strlen(v), 40);
    for (const char *p = v; *p; p++)
        assert_true(isxdigit((unsigned char)*p));

    struct timeval tv;
    gettimeofday(&tv, NULL);
    long long now_us = (long long)tv.tv_sec * 1000000 + tv.tv_usec;
    long long server_us = field_ll(text, "server_time_usec");
    assert_true(server_us > now_us - 60000000LL && server_us < now_us + 60000000LL);
    long long up = field_ll(text, "uptime_in_seconds");
    assert_true(up >= 0 && up < 3600);
    assert_int_equal(field_ll(text, "uptime_in_days"), up / 86400);
    assert_int_equal(field_ll(text, "hz"), 10);
    assert_int_equal(field_ll(text, "configured_hz"), 10);
    assert_true(field_ll(text, "lru_clock") < (1LL << 24));

    /* The binary that runs is the one the tests started. */
    assert_non_null(field(text, "executable", v, sizeof(v)));
    assert_true(v[0] == '/');
    char want[PATH_MAX];
    const char *bin = getenv("KEEL_SERVER");
    assert_non_null(bin);
    assert_true(!strcmp(v, bin) || (realpath(bin, want) && !strcmp(v, want)));
    free(text);
}

static void test_clients_fields(void **state)
{
    (void)state;
    char *text = info("INFO clients");
    assert_true(field_ll(text, "connected_clients") >= 1);
    assert_int_equal(field_ll(text, "maxclients"), 10000);
    assert_int_equal(field_ll(text, "cluster_connections"), 0);
    assert_int_equal(field_ll(text, "blocked_clients"), 0);
    assert_int_equal(field_ll(text, "tracking_clients"), 0);
    assert_int_equal(field_ll(text, "clients_in_timeout_table"), 0);
    assert_true(field_ll(text, "client_recent_max_input_buffer") > 0);
    field_ll(text, "client_recent_max_output_buffer");
    free(text);
}

static void test_memory_fields(void **state)
{
    (void)state;
    char *text = info("INFO memory");
    long long used = field_ll(text, "used_memory");
    assert_true(used > 0);
    assert_true(field_ll(text, "used_memory_rss") > 0);
    assert_true(field_ll(text, "used_memory_peak") >= used);
    assert_true(field_ll(text, "total_system_memory") > 0);
    expect_human(text, "used_memory");
    expect_human(text, "used_memory_rss");
    expect_human(text, "used_memory_peak");
    expect_human(text, "total_system_memory");
    expect_human(text, "maxmemory");
    expect_fixed(text, "used_memory_peak_perc", 2, "%");
    expect_fixed(text, "used_memory_dataset_perc", 2, "%");
    field_ll(text, "used_memory_overhead");
    field_ll(text, "used_memory_startup");
    field_ll(text, "used_memory_dataset");
    assert_int_equal(field_ll(text, "allocator_allocated"), used);
    assert_true(field_ll(text, "allocator_active") >= used);
    field_ll(text, "allocator_resident");
    expect_fixed(text, "allocator_frag_ratio", 2, "");
    expect_fixed(text, "allocator_rss_ratio", 2, "");
    expect_fixed(text, "rss_overhead_ratio", 2, "");
    expect_fixed(text, "mem_fragmentation_ratio", 2, "");
    assert_true(field_ll(text, "mem_clients_normal") > 0);
    expect_field(text, "maxmemory", "0");
    expect_field(text, "maxmemory_human", "0B");
    expect_field(text, "maxmemory_policy", "noeviction");
    /* jemalloc in Release and Debug builds where it is installed; the
     * sanitizer build uses its own allocator and reports libc. */
    char alloc[64];
    assert_true(field(text, "mem_allocator", alloc, sizeof(alloc)));
    if (strcmp(alloc, "libc") != 0 && strncmp(alloc, "jemalloc-", 9) != 0)
        fail_msg("unexpected mem_allocator '%s'", alloc);
    expect_field(text, "lazyfree_pending_objects", "0");
    free(text);

    /* 2 MB of values show up in used_memory, and the peak follows. */
    const size_t mb = (size_t)1024 * 1024;
    char *big = malloc(mb);
    assert_non_null(big);
    memset(big, 'x', mb);
    discard(cmd("SET big1 %b", big, mb));
    discard(cmd("SET big2 %b", big, mb));
    free(big);
    text = info("INFO memory");
    long long used2 = field_ll(text, "used_memory");
    assert_true(used2 >= used + 2 * (long long)mb);
    assert_true(field_ll(text, "used_memory_peak") >= used2);
    /* The query buffer that carried them is overhead, not data. */
    long long dataset = field_ll(text, "used_memory_dataset");
    assert_true(dataset >= 2 * (long long)mb - 64 * 1024);
    assert_true(dataset <= used2);
    free(text);
    discard(cmd("FLUSHALL"));
}

static void test_stats_and_cpu_formats(void **state)
{
    (void)state;
    char *text = info("INFO stats");
    static const char *const counters[] = {
        "total_connections_received",
        "total_commands_processed",
        "instantaneous_ops_per_sec",
        "total_net_input_bytes",
        "total_net_output_bytes",
        "rejected_connections",
        "expired_keys",
        "expired_time_cap_reached_count",
        "evicted_keys",
        "keyspace_hits",
        "keyspace_misses",
        "pubsub_channels",
        "pubsub_patterns",
        "unexpected_error_replies",
        "total_error_replies",
        "total_reads_processed",
        "total_writes_processed",
        "sync_full",
    };
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
        field_ll(text, counters[i]);
    assert_true(field_ll(text, "total_connections_received") >= 1);
    assert_true(field_ll(text, "total_net_input_bytes") > 0);
    expect_fixed(text, "instantaneous_input_kbps", 2, "");
    expect_fixed(text, "instantaneous_output_kbps", 2, "");
    expect_fixed(text, "expired_stale_perc", 2, "");
    free(text);

    text = info("INFO cpu");
    static const char *const cpu[] = {"used_cpu_sys", "used_cpu_user", "used_cpu_sys_children",
                                      "used_cpu_user_children"};
    for (size_t i = 0; i < sizeof(cpu) / sizeof(cpu[0]); i++)
        expect_fixed(text, cpu[i], 6, "");
    free(text);
}

/* ------------------------------------------------------- moving values */

static void test_commands_processed_grows(void **state)
{
    (void)state;
    long long before = info_ll_or_zero("INFO stats", "total_commands_processed");
    for (int i = 0; i < 3; i++)
        discard(cmd("PING"));
    /* The first INFO counts once it has run, this one not yet. */
    long long after = info_ll_or_zero("INFO stats", "total_commands_processed");
    assert_int_equal(after - before, 4);
}

static void test_keyspace_counts(void **state)
{
    (void)state;
    char *text = info("INFO keyspace");
    assert_string_equal(text, "# Keyspace\r\n");
    free(text);

    discard(cmd("SET a 1"));
    discard(cmd("SETEX b 100 x"));
    text = info("INFO keyspace");
    assert_non_null(strstr(text, "\r\ndb0:keys=2,expires=1,avg_ttl="));
    long long ttl = -1;
    const char *p = strstr(text, "avg_ttl=");
    assert_int_equal(sscanf(p, "avg_ttl=%lld", &ttl), 1);
    assert_true(ttl >= 0 && ttl <= 100000);
    free(text);

    discard(cmd("SELECT 3"));
    discard(cmd("SET c 1"));
    discard(cmd("SELECT 0"));
    text = info("INFO keyspace");
    p = strstr(text, "\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n");
    assert_non_null(p);
    assert_true(strstr(text, "db0:") < p); /* databases in order */
    free(text);

    discard(cmd("FLUSHALL"));
    text = info("INFO keyspace");
    assert_string_equal(text, "# Keyspace\r\n");
    free(text);
}

static int one_client(void *arg)
{
    (void)arg;
    return info_ll_or_zero("INFO clients", "connected_clients") == 1;
}

static void test_connected_clients(void **state)
{
    (void)state;
    /* The harness's start-up PING connections may still be closing. */
    assert_true(harness_wait_until(one_client, NULL, 3000));
    redisContext *second = harness_connect(&srv);
    assert_non_null(second);
    redisReply *r = redisCommand(second, "PING");
    assert_non_null(r);
    freeReplyObject(r);
    assert_int_equal(info_ll_or_zero("INFO clients", "connected_clients"), 2);
    /* Seen from the second connection too. */
    r = redisCommand(second, "INFO clients");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_non_null(strstr(r->str, "connected_clients:2\r\n"));
    freeReplyObject(r);
    redisFree(second);
    assert_true(harness_wait_until(one_client, NULL, 3000));
}

/* calls=N,usec=N,usec_per_call=N.NN,rejected_calls=N,failed_calls=N */
static void cmdstat(const char *name, long long *calls, long long *rejected, long long *failed)
{
    char *text = info("INFO commandstats");
    char key[64], v[256];
    snprintf(key, sizeof(key), "cmdstat_%s", name);
    *calls = *rejected = *failed = 0;
    if (field(text, key, v, sizeof(v))) {
        long long usec;
        char per_call[32];
        int n = sscanf(v,
                       "calls=%lld,usec=%lld,usec_per_call=%31[0-9.],rejected_calls=%lld,"
                       "failed_calls=%lld",
                       calls, &usec, per_call, rejected, failed);
        assert_int_equal(n, 5);
        assert_true(is_fixed(per_call, 2, ""));
        if (*calls > 0) {
            double want = (double)usec / (double)*calls;
            assert_true(strtod(per_call, NULL) >= want - 0.01 &&
                        strtod(per_call, NULL) <= want + 0.01);
        }
    }
    free(text);
}

static void test_commandstats(void **state)
{
    (void)state;
    long long c0, r0, f0, c1, r1, f1;
    cmdstat("set", &c0, &r0, &f0);
    for (int i = 0; i < 3; i++)
        discard(cmd("SET k%d v", i));
    cmdstat("set", &c1, &r1, &f1);
    assert_int_equal(c1 - c0, 3);

    /* A wrong arity is a rejected call, not a call. */
    discard(cmd("SET onlyakey"));
    cmdstat("set", &c0, &r0, &f0);
    assert_int_equal(c0, c1);
    assert_int_equal(r0 - r1, 1);

    /* An error from the command itself is a failed call (and a call). */
    discard(cmd("SET notanumber abc"));
    long long ci0, ri0, fi0, ci1, ri1, fi1;
    cmdstat("incr", &ci0, &ri0, &fi0);
    discard(cmd("INCR notanumber"));
    cmdstat("incr", &ci1, &ri1, &fi1);
    assert_int_equal(ci1 - ci0, 1);
    assert_int_equal(fi1 - fi0, 1);

    /* Subcommands are counted as parent|sub. */
    discard(cmd("CONFIG GET port"));
    cmdstat("config|get", &c1, &r1, &f1);
    assert_true(c1 >= 1);
}

static void test_errorstats(void **state)
{
    (void)state;
    long long err0 = 0;
    char *text = info("INFO errorstats");
    char v[128];
    if (field(text, "errorstat_ERR", v, sizeof(v)))
        assert_int_equal(sscanf(v, "count=%lld", &err0), 1);
    free(text);
    long long total0 = info_ll_or_zero("INFO stats", "total_error_replies");

    redisReply *r = cmd("NOSUCHCOMMAND a b");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);

    text = info("INFO errorstats");
    assert_non_null(field(text, "errorstat_ERR", v, sizeof(v)));
    long long err1 = -1;
    assert_int_equal(sscanf(v, "count=%lld", &err1), 1);
    assert_int_equal(err1 - err0, 1);
    expect_well_formed(text);
    free(text);
    assert_int_equal(info_ll_or_zero("INFO stats", "total_error_replies") - total0, 1);
}

/* --------------------------------------------------------------- RESP3 */

/* Read exactly `len` bytes within two seconds; returns the bytes read. */
static size_t read_exact(int fd, char *out, size_t len)
{
    size_t got = 0;
    while (got < len) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 2000) <= 0)
            break;
        ssize_t n = read(fd, out + got, len - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/* After HELLO 3, INFO is a verbatim string of format "txt", byte for byte
 * what Redis 7.0 sends. */
static void test_resp3_verbatim(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)srv.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    /* PING's reply marks the end of HELLO's, whatever HELLO returned. */
    const char hello[] = "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*1\r\n$4\r\nPING\r\n";
    assert_int_equal(write(fd, hello, sizeof(hello) - 1), (ssize_t)(sizeof(hello) - 1));
    char buf[8192];
    size_t used = 0;
    const char *pong = NULL;
    while (!pong && used < sizeof(buf) - 1) {
        size_t n = read_exact(fd, buf + used, 1);
        if (n == 0)
            break;
        used += n;
        buf[used] = '\0';
        pong = strstr(buf, "+PONG\r\n");
    }
    assert_non_null(pong);
    if (buf[0] == '-') { /* this build refuses RESP3 */
        close(fd);
        skip();
    }
    const char req[] = "*2\r\n$4\r\nINFO\r\n$7\r\ncluster\r\n*2\r\n$4\r\nINFO\r\n$6\r\nnosuch\r\n";
    assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
    const char want[] = "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n=4\r\ntxt:\r\n";
    char got[sizeof(want)];
    assert_int_equal(read_exact(fd, got, sizeof(want) - 1), sizeof(want) - 1);
    got[sizeof(want) - 1] = '\0';
    assert_string_equal(got, want);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_default_sections, test_setup),
        cmocka_unit_test_setup(test_all_sections, test_setup),
        cmocka_unit_test_setup(test_single_and_multi_sections, test_setup),
        cmocka_unit_test_setup(test_unknown_section, test_setup),
        cmocka_unit_test_setup(test_server_fields, test_setup),
        cmocka_unit_test_setup(test_clients_fields, test_setup),
        cmocka_unit_test_setup(test_memory_fields, test_setup),
        cmocka_unit_test_setup(test_stats_and_cpu_formats, test_setup),
        cmocka_unit_test_setup(test_commands_processed_grows, test_setup),
        cmocka_unit_test_setup(test_keyspace_counts, test_setup),
        cmocka_unit_test_setup(test_connected_clients, test_setup),
        cmocka_unit_test_setup(test_commandstats, test_setup),
        cmocka_unit_test_setup(test_errorstats, test_setup),
        cmocka_unit_test_setup(test_resp3_verbatim, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
