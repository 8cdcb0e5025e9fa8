/* test_protocol: the wire protocol of a real keel-server, byte for byte,
 * over raw sockets (not hiredis): deep pipelines, requests trickled one
 * byte at a time, a 64 MB value in and out, every protocol error closing
 * only the offending connection (Redis 7.0's exact error text, then EOF),
 * proto-max-bulk-len and client-query-buffer-limit, empty requests, and
 * clients that vanish mid-request or before reading a large reply.
 * The expected bytes were checked against redis-server 7.0. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* ------------------------------------------------------- allocations */

/* Every buffer a test allocates is tracked, so a test that fails half-way
 * (cmocka longjmps out of it) leaks nothing: the teardown frees the rest. */
#define MAX_ALLOCS 64
static void *allocs[MAX_ALLOCS];

static void *talloc(void *old, size_t n)
{
    int slot = -1;
    for (int i = 0; i < MAX_ALLOCS && slot < 0; i++)
        if (old ? allocs[i] == old : allocs[i] == NULL)
            slot = i;
    assert_true(slot >= 0);
    void *p = realloc(old, n ? n : 1);
    assert_non_null(p);
    allocs[slot] = p;
    return p;
}

static void tfree(void *p)
{
    if (!p)
        return;
    for (int i = 0; i < MAX_ALLOCS; i++)
        if (allocs[i] == p)
            allocs[i] = NULL;
    free(p);
}

static void tfree_all(void)
{
    for (int i = 0; i < MAX_ALLOCS; i++) {
        free(allocs[i]);
        allocs[i] = NULL;
    }
}

/* ------------------------------------------------------------ servers */

/* Servers started by the running test; the teardown stops them even when
 * an assertion failed half-way. */
#define MAX_SERVERS 4
static harness_server servers[MAX_SERVERS];
static int nservers;

static harness_server *start_server(const char *args)
{
    assert_true(nservers < MAX_SERVERS);
    harness_server *s = &servers[nservers];
    memset(s, 0, sizeof(*s));
    if (harness_start_server(s, args) != 0)
        fail_msg("keel-server did not start with '%s'", args);
    nservers++;
    return s;
}

static int64_t now_ms(void);
static int stop_server_checked(harness_server *s);

static int teardown_servers(void **state)
{
    (void)state;
    int rc = 0;
    for (int i = 0; i < nservers; i++)
        if (stop_server_checked(&servers[i]) != 0)
            rc = -1;
    nservers = 0;
    tfree_all();
    return rc;
}

/* ------------------------------------------------------- raw sockets */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Stops s with SIGTERM and checks it went cleanly: exit code 0 within
 * 10 s (under ASan a leak makes it non-zero) and no sanitizer report in
 * its log, so that abuse a test threw at the server cannot hide damage.
 * Returns 0 if clean. */
static int stop_server_checked(harness_server *s)
{
    int bad = 0;
    const char *why = "";
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        int status = 0, gone = 0;
        for (int64_t deadline = now_ms() + 10000; !gone && now_ms() < deadline;) {
            if (waitpid(s->pid, &status, WNOHANG) == s->pid)
                gone = 1;
            else
                harness_sleep_ms(10);
        }
        if (!gone) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
            bad = 1, why = "did not exit within 10 s of SIGTERM";
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            bad = 1, why = "exited with a non-zero status after SIGTERM";
        }
        s->pid = 0;
    }
    char *log = harness_read_log(s);
    if (log && (strstr(log, "ERROR: AddressSanitizer") || strstr(log, "ERROR: LeakSanitizer") ||
                strstr(log, "runtime error:")))
        bad = 1, why = "reported a sanitizer error";
    if (bad)
        fprintf(stderr, "keel-server on port %d %s; its log:\n%s\n", s->port, why, log ? log : "");
    free(log);
    harness_stop_server(s);
    return bad ? -1 : 0;
}

/* A non-blocking TCP connection to 127.0.0.1:port; every wait on it goes
 * through poll with a deadline. */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        fail_msg("connect to port %d: %s", port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Close so that the peer sees a reset rather than a FIN. */
static void raw_close_reset(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

typedef struct raw_result {
    char *data; /* malloc'd, NUL-terminated */
    size_t len;
    int eof;         /* the server closed the connection (FIN or reset) */
    int send_failed; /* the server closed before taking all we sent */
} raw_result;

#define READ_ALL SIZE_MAX

/* Sends out[0..outlen) (at most `chunk` bytes per send call) while reading
 * whatever comes back, until all is sent and `want` bytes arrived, or the
 * server closes, or timeout_ms passes.  Reading while writing keeps a long
 * pipeline from deadlocking on full socket buffers. */
static raw_result raw_transfer_chunked(int fd, const char *out, size_t outlen, size_t want,
                                       int timeout_ms, size_t chunk)
{
    raw_result r = {0};
    size_t cap = want != READ_ALL && want < ((size_t)1 << 30) ? want + 1 : 65536;
    r.data = talloc(NULL, cap);
    assert_non_null(r.data);
    size_t sent = 0;
    int64_t deadline = now_ms() + timeout_ms;
    while (!r.eof && (sent < outlen || r.len < want)) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        if (sent < outlen && !r.send_failed)
            p.events |= POLLOUT;
        if (poll(&p, 1, (int)(left > 100 ? 100 : left)) < 0 && errno != EINTR)
            fail_msg("poll: %s", strerror(errno));
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
            if (cap - r.len < 65536 + 1) {
                cap = cap * 2 + 65536;
                r.data = talloc(r.data, cap);
                assert_non_null(r.data);
            }
            ssize_t n = recv(fd, r.data + r.len, cap - r.len - 1, 0);
            if (n > 0)
                r.len += (size_t)n;
            else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                r.eof = 1; /* FIN, or ECONNRESET: closed either way */
        }
        if ((p.revents & POLLOUT) && sent < outlen) {
            size_t n = outlen - sent < chunk ? outlen - sent : chunk;
            ssize_t w = send(fd, out + sent, n, MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                r.send_failed = 1;
        }
        if (r.send_failed && r.len >= want)
            break;
        if (r.send_failed && sent < outlen)
            outlen = sent; /* nothing more will go through */
    }
    r.data[r.len] = '\0';
    return r;
}

static raw_result raw_transfer(int fd, const char *out, size_t outlen, size_t want, int timeout_ms)
{
    return raw_transfer_chunked(fd, out, outlen, want, timeout_ms, 1 << 20);
}

/* Send `req` and expect exactly `reply` back (connection left open). */
static void raw_expect(int fd, const char *req, size_t reqlen, const char *reply)
{
    size_t want = strlen(reply);
    raw_result r = raw_transfer(fd, req, reqlen, want, 10000);
    if (r.len != want || memcmp(r.data, reply, want) != 0)
        fail_msg("sent '%.60s': expected '%s', got %zu bytes '%.200s'%s", req, reply, r.len, r.data,
                 r.eof ? " then EOF" : "");
    tfree(r.data);
}

#define raw_expect_str(fd, req, reply) raw_expect((fd), (req), strlen(req), (reply))

/* Nothing arrives and the connection stays open for `ms`. */
static void raw_expect_silence(int fd, int ms, const char *what)
{
    raw_result r = raw_transfer(fd, NULL, 0, 1, ms);
    if (r.len || r.eof)
        fail_msg("%s: expected no reply and an open connection, got %zu bytes '%.200s'%s", what,
                 r.len, r.data, r.eof ? " and EOF" : "");
    tfree(r.data);
}

/* Send `req`, then expect exactly `reply` followed by the server closing
 * the connection; closes fd. */
static void raw_expect_reply_then_eof(int fd, const char *req, size_t reqlen, const char *reply)
{
    raw_result r = raw_transfer(fd, req, reqlen, READ_ALL, 5000);
    if (r.len != strlen(reply) || memcmp(r.data, reply, r.len) != 0)
        fail_msg("sent '%.40s...' (%zu bytes): expected '%s', got %zu bytes '%.200s'", req, reqlen,
                 reply, r.len, r.data);
    if (!r.eof)
        fail_msg("sent '%.40s...': the connection was not closed after '%s'", req, reply);
    tfree(r.data);
    close(fd);
}

static void control_ping(int fd)
{
    raw_expect_str(fd, "PING\r\n", "+PONG\r\n");
}

/* The number of lines CLIENT LIST shows, asked on fd. */
static int client_count(int fd)
{
    const char *req = "CLIENT LIST\r\n";
    raw_result r = raw_transfer(fd, req, strlen(req), 1, 5000);
    /* "$<len>\r\n" then the body: read until the whole bulk is in */
    char *crlf = NULL;
    int64_t deadline = now_ms() + 5000;
    while (!(crlf = strstr(r.data, "\r\n")) && !r.eof && now_ms() < deadline) {
        raw_result more = raw_transfer(fd, NULL, 0, 1, 100);
        r.data = talloc(r.data, r.len + more.len + 1);
        memcpy(r.data + r.len, more.data, more.len + 1);
        r.len += more.len;
        tfree(more.data);
    }
    assert_non_null(crlf);
    assert_int_equal(r.data[0], '$');
    size_t body = (size_t)strtoull(r.data + 1, NULL, 10);
    size_t total = (size_t)(crlf - r.data) + 2 + body + 2;
    if (r.len < total) {
        raw_result more = raw_transfer(fd, NULL, 0, total - r.len, 5000);
        r.data = talloc(r.data, r.len + more.len + 1);
        memcpy(r.data + r.len, more.data, more.len + 1);
        r.len += more.len;
        tfree(more.data);
    }
    assert_int_equal(r.len, total);
    int lines = 0;
    for (size_t i = (size_t)(crlf - r.data) + 2; i < total - 2; i++)
        lines += r.data[i] == '\n';
    tfree(r.data);
    return lines;
}

/* Waits (bounded) until the server lists exactly n clients. */
static void wait_client_count(int fd, int n, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    int seen;
    while ((seen = client_count(fd)) != n && now_ms() < deadline)
        harness_sleep_ms(20);
    if (seen != n)
        fail_msg("expected %d connected clients, CLIENT LIST shows %d", n, seen);
}

/* A multibulk request for argv (lengths from strlen), appended to *out. */
static size_t build_command(char **out, size_t *cap, size_t len, int argc, const char **argv)
{
    size_t need = 32;
    for (int i = 0; i < argc; i++)
        need += strlen(argv[i]) + 32;
    if (len + need > *cap) {
        *cap = (len + need) * 2;
        *out = talloc(*out, *cap);
        assert_non_null(*out);
    }
    len += (size_t)sprintf(*out + len, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        len += (size_t)sprintf(*out + len, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    return len;
}

static void append(char **out, size_t *cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *out = talloc(*out, *cap);
        assert_non_null(*out);
    }
    memcpy(*out + *len, s, n + 1);
    *len += n;
}

/* ------------------------------------------------------------- tests */

/* 10,000 commands in one write: every reply arrives, in order, exactly. */
static void test_pipeline_10000_commands(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    int fd = raw_connect(s->port);

    char *req = NULL, *exp = NULL;
    size_t rcap = 0, rlen = 0, ecap = 0, elen = 0;
    char key[32], val[32], line[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        snprintf(val, sizeof(val), "value-%d", i * 7);
        const char *set[] = {"SET", key, val};
        rlen = build_command(&req, &rcap, rlen, 3, set);
        append(&exp, &ecap, &elen, "+OK\r\n");
    }
    for (int i = 0; i < 4999; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        snprintf(val, sizeof(val), "value-%d", i * 7);
        const char *get[] = {"GET", key};
        rlen = build_command(&req, &rcap, rlen, 2, get);
        snprintf(line, sizeof(line), "$%zu\r\n%s\r\n", strlen(val), val);
        append(&exp, &ecap, &elen, line);
    }
    const char *dbsize[] = {"DBSIZE"};
    rlen = build_command(&req, &rcap, rlen, 1, dbsize);
    append(&exp, &ecap, &elen, ":5000\r\n");

    /* one write call for the whole pipeline, as far as the kernel takes it */
    raw_result r = raw_transfer_chunked(fd, req, rlen, elen, 30000, rlen);
    assert_false(r.eof);
    assert_int_equal(r.len, elen);
    assert_memory_equal(r.data, exp, elen);
    raw_expect_silence(fd, 100, "after the pipeline");
    tfree(r.data);
    tfree(req);
    tfree(exp);
    close(fd);
}

/* A request trickled one byte per write: no reply until the last byte,
 * then exactly one; the same for an inline request. */
static void test_one_byte_writes(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    int fd = raw_connect(s->port);
    const char *req = "*3\r\n$3\r\nSET\r\n$5\r\nslowk\r\n$11\r\nhello world\r\n";
    size_t n = strlen(req);
    for (size_t i = 0; i + 1 < n; i++) {
        raw_result r = raw_transfer(fd, req + i, 1, 0, 2000);
        tfree(r.data);
        harness_sleep_ms(2);
        if (i % 8 == 0)
            raw_expect_silence(fd, 5, "a partial request");
    }
    raw_expect_silence(fd, 50, "all but the last byte");
    raw_expect(fd, req + n - 1, 1, "+OK\r\n");

    const char *inl = "GET slowk\r\n";
    for (size_t i = 0; i + 1 < strlen(inl); i++) {
        raw_result r = raw_transfer(fd, inl + i, 1, 0, 2000);
        tfree(r.data);
        harness_sleep_ms(2);
    }
    raw_expect_silence(fd, 50, "an inline request without its newline");
    raw_expect(fd, "\n", 1, "$11\r\nhello world\r\n");
    close(fd);
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* A 64 MB binary value sent in 1 MB chunks, then read back whole. */
static void test_64mb_value_roundtrip(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    int fd = raw_connect(s->port);
    const size_t vlen = 64u * 1024 * 1024;
    const char *hdr = "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$67108864\r\n";
    size_t hlen = strlen(hdr);
    char *req = talloc(NULL, hlen + vlen + 2);
    assert_non_null(req);
    memcpy(req, hdr, hlen);
    uint64_t x = 0x9E3779B97F4A7C15ULL; /* xorshift64: every byte value, \r\n included */
    for (size_t i = 0; i < vlen; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        req[hlen + i] = (char)(x >> 24);
    }
    memcpy(req + hlen + vlen, "\r\n", 2);
    const unsigned char *value = (const unsigned char *)req + hlen;
    uint64_t sum = fnv1a(value, vlen);

    raw_result r = raw_transfer_chunked(fd, req, hlen + vlen + 2, 5, 60000, 1 << 20);
    assert_false(r.eof);
    assert_int_equal(r.len, 5);
    assert_memory_equal(r.data, "+OK\r\n", 5);
    tfree(r.data);

    raw_expect_str(fd, "STRLEN big\r\n", ":67108864\r\n");

    const char *get = "GET big\r\n";
    const char *ghdr = "$67108864\r\n";
    size_t total = strlen(ghdr) + vlen + 2;
    r = raw_transfer(fd, get, strlen(get), total, 60000);
    assert_false(r.eof);
    assert_int_equal(r.len, total);
    assert_memory_equal(r.data, ghdr, strlen(ghdr));
    assert_memory_equal(r.data + total - 2, "\r\n", 2);
    uint64_t got = fnv1a((const unsigned char *)r.data + strlen(ghdr), vlen);
    if (got != sum)
        fail_msg("GET big: checksum %016llx, sent %016llx", (unsigned long long)got,
                 (unsigned long long)sum);
    assert_memory_equal(r.data + strlen(ghdr), value, vlen);
    tfree(r.data);
    raw_expect_silence(fd, 50, "after GET big");
    tfree(req);
    close(fd);
}

/* --proto-max-bulk-len 1mb: a bulk one byte longer is a protocol error
 * that closes only that connection; exactly 1 MB is fine. */
static void test_bulk_over_proto_max_bulk_len(void **state)
{
    (void)state;
    harness_server *s = start_server("--proto-max-bulk-len 1mb");
    int other = raw_connect(s->port);
    control_ping(other);

    int fd = raw_connect(s->port);
    const char *req = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n";
    raw_expect_reply_then_eof(fd, req, strlen(req), "-ERR Protocol error: invalid bulk length\r\n");
    control_ping(other);
    raw_expect_str(other, "EXISTS k\r\n", ":0\r\n");

    /* exactly proto-max-bulk-len is accepted */
    fd = raw_connect(s->port);
    const char *hdr = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n";
    size_t hlen = strlen(hdr), vlen = 1048576;
    char *ok = talloc(NULL, hlen + vlen + 2);
    memcpy(ok, hdr, hlen);
    memset(ok + hlen, 'v', vlen);
    memcpy(ok + hlen + vlen, "\r\n", 2);
    raw_expect(fd, ok, hlen + vlen + 2, "+OK\r\n");
    raw_expect_str(fd, "STRLEN k\r\n", ":1048576\r\n");
    tfree(ok);
    close(fd);

    /* and a new client after all that works too */
    fd = raw_connect(s->port);
    control_ping(fd);
    close(fd);
    control_ping(other);
    close(other);
}

/* Every malformed request gets Redis's exact error, then that connection
 * (and only it) is closed: replies to commands before the bad bytes are
 * still delivered first. */
static void test_protocol_errors_close_only_that_connection(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    int other = raw_connect(s->port);
    raw_expect_str(other, "SET survivor yes\r\n", "+OK\r\n");

    /* too big inline: exactly 64 KB + 1 bytes without a newline, so the
     * server has read everything when it gives up (no reset races) */
    size_t big_inline_len = 64 * 1024 + 1;
    char *big_inline = talloc(NULL, big_inline_len);
    memset(big_inline, 'x', big_inline_len);
    /* "*" then 64 KB of digits without \r: the count line itself too big */
    char *big_count = talloc(NULL, big_inline_len);
    memset(big_count, '1', big_inline_len);
    big_count[0] = '*';
    /* a "$" line of 64 KB + 1 without \r after a valid count */
    size_t big_bulkhdr_len = 4 + 64 * 1024 + 1;
    char *big_bulkhdr = talloc(NULL, big_bulkhdr_len);
    memcpy(big_bulkhdr, "*1\r\n", 4);
    memset(big_bulkhdr + 4, '1', big_bulkhdr_len - 4);
    big_bulkhdr[4] = '$';

    struct {
        const char *req;
        size_t len;
        const char *reply;
    } cases[] = {
        {"*abc\r\n", 0, "-ERR Protocol error: invalid multibulk length\r\n"},
        {"*1x\r\n", 0, "-ERR Protocol error: invalid multibulk length\r\n"},
        {"*2147483648\r\n", 0, "-ERR Protocol error: invalid multibulk length\r\n"},
        {"*99999999999999999999\r\n", 0, "-ERR Protocol error: invalid multibulk length\r\n"},
        {"*1\r\nPING\r\n", 0, "-ERR Protocol error: expected '$', got 'P'\r\n"},
        {"*2\r\n$4\r\nECHO\r\n:5\r\n", 0, "-ERR Protocol error: expected '$', got ':'\r\n"},
        {"*1\r\n\r\n", 0, "-ERR Protocol error: expected '$', got ' '\r\n"},
        {"*1\r\n$-1\r\n", 0, "-ERR Protocol error: invalid bulk length\r\n"},
        {"*1\r\n$abc\r\n", 0, "-ERR Protocol error: invalid bulk length\r\n"},
        {"*1\r\n$536870913\r\n", 0, "-ERR Protocol error: invalid bulk length\r\n"},
        {"SET a \"b\r\n", 0, "-ERR Protocol error: unbalanced quotes in request\r\n"},
        {"SET a 'b\r\n", 0, "-ERR Protocol error: unbalanced quotes in request\r\n"},
        {"ECHO \"a\"b\r\n", 0, "-ERR Protocol error: unbalanced quotes in request\r\n"},
        {"PING\r\n*abc\r\n", 0, "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"},
        {"*1\r\n$4\r\nPING\r\nSET a \"b\r\n", 0,
         "+PONG\r\n-ERR Protocol error: unbalanced quotes in request\r\n"},
        {big_inline, big_inline_len, "-ERR Protocol error: too big inline request\r\n"},
        {big_count, big_inline_len, "-ERR Protocol error: too big mbulk count string\r\n"},
        {big_bulkhdr, big_bulkhdr_len, "-ERR Protocol error: too big bulk count string\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].req);
        int fd = raw_connect(s->port);
        raw_expect_reply_then_eof(fd, cases[i].req, len, cases[i].reply);
        control_ping(other);
    }
    /* an inline request of just under the limit is still fine */
    size_t okn = 64 * 1024 - 16;
    char *okline = talloc(NULL, okn + 1);
    memcpy(okline, "ECHO ", 5);
    memset(okline + 5, 'y', okn - 7);
    memcpy(okline + okn - 2, "\r\n", 2);
    int fd = raw_connect(s->port);
    raw_result r = raw_transfer(fd, okline, okn, 1, 5000);
    assert_false(r.eof);
    assert_true(r.len > 0 && r.data[0] == '$');
    tfree(r.data);
    close(fd);

    raw_expect_str(other, "GET survivor\r\n", "$3\r\nyes\r\n");
    wait_client_count(other, 1, 5000);
    close(other);
    tfree(okline);
    tfree(big_inline);
    tfree(big_count);
    tfree(big_bulkhdr);
}

/* Redis treats a negative count like *0: an empty command, skipped. */
static void test_negative_multibulk_count_is_ignored(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    int fd = raw_connect(s->port);
    raw_expect_str(fd, "*-5\r\nPING\r\n", "+PONG\r\n");
    raw_expect_str(fd, "*-1\r\n*1\r\n$4\r\nPING\r\n", "+PONG\r\n");
    raw_expect_silence(fd, 100, "after *-5");
    close(fd);
}

/* Redis 7.0 refuses a multibulk count above INT_MAX only: a count above
 * 1024*1024*1024 but below INT_MAX is accepted (the server waits for the
 * arguments), without allocating for them up front. */
static void test_multibulk_count_limit_is_int_max(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    int other = raw_connect(s->port);
    const char *counts[] = {"*1073741824\r\n", "*1073741825\r\n", "*2147483647\r\n"};
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        int fd = raw_connect(s->port);
        raw_result r = raw_transfer(fd, counts[i], strlen(counts[i]), 1, 300);
        if (r.len || r.eof)
            fail_msg("'%.*s' (<= INT_MAX): Redis 7.0 waits for the arguments; got '%s'%s",
                     (int)strlen(counts[i]) - 2, counts[i], r.data, r.eof ? " and EOF" : "");
        tfree(r.data);
        raw_result r2 = raw_transfer(fd, "$4\r\nPING\r\n", 10, 1, 200);
        assert_int_equal(r2.len, 0);
        assert_false(r2.eof);
        tfree(r2.data);
        close(fd);
        control_ping(other);
    }
    close(other);
}

/* Empty lines, "*0" and blank inline lines produce no reply at all. */
static void test_empty_requests_are_ignored(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    int fd = raw_connect(s->port);
    raw_expect_str(fd, "\r\n\r\n\n*0\r\n   \r\n\t\n*0\r\nPING\r\n", "+PONG\r\n");
    raw_expect_str(fd, "\r\n", "");
    raw_expect_silence(fd, 150, "empty lines");
    raw_expect_str(fd, "*0\r\n", "");
    raw_expect_silence(fd, 150, "*0");
    raw_expect_str(fd, "ECHO a\r\n", "$1\r\na\r\n");
    close(fd);
}

/* A client that disappears half-way through a request leaves nothing
 * behind: no partial command runs, the server carries on. */
static void test_disconnect_mid_request(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    int other = raw_connect(s->port);
    char *partial_big = talloc(NULL, 200000);
    const char *hdr = "*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$1000000\r\n";
    memcpy(partial_big, hdr, strlen(hdr));
    memset(partial_big + strlen(hdr), 'z', 200000 - strlen(hdr));
    struct {
        const char *req;
        size_t len;
    } cases[] = {
        {"*3\r\n$3\r\nSET\r\n$2\r\nk1", 0},
        {"*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$5\r\nabc", 0},
        {"*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$", 0},
        {"*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$5\r\nabcde\r", 0},
        {"*3\r\n", 0},
        {"*", 0},
        {"SET k1 \"abc", 0},
        {"SET k1 v", 0},
        {partial_big, 200000},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int reset = 0; reset < 2; reset++) {
            int fd = raw_connect(s->port);
            size_t len = cases[i].len ? cases[i].len : strlen(cases[i].req);
            raw_result r = raw_transfer(fd, cases[i].req, len, 0, 5000);
            tfree(r.data);
            harness_sleep_ms(20);
            if (reset)
                raw_close_reset(fd);
            else
                close(fd);
            control_ping(other);
        }
    }
    raw_expect_str(other, "EXISTS k1\r\n", ":0\r\n");
    wait_client_count(other, 1, 5000);
    close(other);
    tfree(partial_big);
}

/* Clients that ask for ~100 MB (MGET of 1000 x 100 KB) and close before
 * reading it: the server drops them and keeps serving. */
static void test_disconnect_before_reading_large_reply(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    int other = raw_connect(s->port);

    char *req = NULL, *exp = NULL;
    size_t rcap = 0, rlen = 0, ecap = 0, elen = 0;
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "big:%d", i);
        const char *setrange[] = {"SETRANGE", key, "102399", "x"};
        rlen = build_command(&req, &rcap, rlen, 4, setrange);
        append(&exp, &ecap, &elen, ":102400\r\n");
    }
    raw_result r = raw_transfer(other, req, rlen, elen, 30000);
    assert_int_equal(r.len, elen);
    assert_memory_equal(r.data, exp, elen);
    tfree(r.data);
    tfree(req);
    tfree(exp);

    req = NULL;
    rcap = 0;
    const char *argv[1001];
    static char keys[1000][16];
    argv[0] = "MGET";
    for (int i = 0; i < 1000; i++) {
        snprintf(keys[i], sizeof(keys[i]), "big:%d", i);
        argv[i + 1] = keys[i];
    }
    rlen = build_command(&req, &rcap, 0, 1001, argv);

    /* three ways to walk away: read nothing, read a little, reset */
    for (int how = 0; how < 3; how++) {
        int fd = raw_connect(s->port);
        size_t want = how == 1 ? 300000 : 0;
        raw_result part = raw_transfer(fd, req, rlen, want, 10000);
        if (how == 1) {
            assert_true(part.len >= want);
            assert_memory_equal(part.data, "*1000\r\n$102400\r\n", 16);
        }
        tfree(part.data);
        if (how == 2)
            raw_close_reset(fd);
        else
            close(fd);
        control_ping(other);
    }
    raw_expect_str(other, "DBSIZE\r\n", ":1000\r\n");
    raw_expect_str(other, "STRLEN big:999\r\n", ":102400\r\n");
    wait_client_count(other, 1, 10000);
    close(other);
    tfree(req);
}

/* --client-query-buffer-limit 1mb: a client whose unprocessed input grows
 * past the limit (a 5 MB value) is closed, without a reply, and nothing
 * of its command runs. */
static void test_query_buffer_limit_closes_client(void **state)
{
    (void)state;
    harness_server *s = start_server("--client-query-buffer-limit 1mb");
    int other = raw_connect(s->port);
    control_ping(other);

    int fd = raw_connect(s->port);
    const char *hdr = "*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$5000000\r\n";
    size_t hlen = strlen(hdr), total = hlen + 5000000 + 2;
    char *req = talloc(NULL, total);
    memcpy(req, hdr, hlen);
    memset(req + hlen, 'q', 5000000);
    memcpy(req + total - 2, "\r\n", 2);
    raw_result r = raw_transfer_chunked(fd, req, total, READ_ALL, 10000, 65536);
    if (!r.eof)
        fail_msg("a 5 MB request with client-query-buffer-limit 1mb: the connection stayed open");
    if (r.len)
        fail_msg("the closed client got a reply: '%.200s'", r.data);
    tfree(r.data);
    close(fd);
    tfree(req);
    control_ping(other);
    raw_expect_str(other, "EXISTS q\r\n", ":0\r\n");
    close(other);
}

/* The limit is on buffered, unprocessed input: a value under the limit
 * followed at once by a long pipeline (1.3 MB in one write) is served in
 * full, as Redis serves it (it reads a big argument exactly, never past
 * its end, and processes the pipeline 16 KB at a time). */
static void test_query_buffer_limit_spares_pipeline_after_big_value(void **state)
{
    (void)state;
    harness_server *s = start_server("--client-query-buffer-limit 1mb");
    int fd = raw_connect(s->port);
    const char *hdr = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\n";
    const char *ping = "*1\r\n$4\r\nPING\r\n";
    size_t hlen = strlen(hdr), plen = strlen(ping), npings = 20000;
    size_t total = hlen + 1000000 + 2 + npings * plen;
    char *req = talloc(NULL, total);
    memcpy(req, hdr, hlen);
    memset(req + hlen, 'v', 1000000);
    memcpy(req + hlen + 1000000, "\r\n", 2);
    for (size_t i = 0; i < npings; i++)
        memcpy(req + hlen + 1000002 + i * plen, ping, plen);
    size_t want = 5 + npings * 7;
    raw_result r = raw_transfer_chunked(fd, req, total, want, 20000, total);
    if (r.eof || r.len != want)
        fail_msg(
            "SET of 1,000,000 bytes + %zu PINGs in one write (limit 1mb): got %zu of %zu reply "
            "bytes%s; Redis 7.0 answers all of them",
            npings, r.len, want, r.eof ? " and the connection was closed" : "");
    assert_memory_equal(r.data, "+OK\r\n+PONG\r\n", 12);
    tfree(r.data);
    tfree(req);
    raw_expect_str(fd, "STRLEN k\r\n", ":1000000\r\n");
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_pipeline_10000_commands, teardown_servers),
        cmocka_unit_test_teardown(test_one_byte_writes, teardown_servers),
        cmocka_unit_test_teardown(test_64mb_value_roundtrip, teardown_servers),
        cmocka_unit_test_teardown(test_bulk_over_proto_max_bulk_len, teardown_servers),
        cmocka_unit_test_teardown(test_protocol_errors_close_only_that_connection,
                                  teardown_servers),
        cmocka_unit_test_teardown(test_negative_multibulk_count_is_ignored, teardown_servers),
        cmocka_unit_test_teardown(test_multibulk_count_limit_is_int_max, teardown_servers),
        cmocka_unit_test_teardown(test_empty_requests_are_ignored, teardown_servers),
        cmocka_unit_test_teardown(test_disconnect_mid_request, teardown_servers),
        cmocka_unit_test_teardown(test_disconnect_before_reading_large_reply, teardown_servers),
        cmocka_unit_test_teardown(test_query_buffer_limit_closes_client, teardown_servers),
        cmocka_unit_test_teardown(test_query_buffer_limit_spares_pipeline_after_big_value,
                                  teardown_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
