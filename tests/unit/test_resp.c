/* test_resp: unit tests for common/resp.c: the request parser (multibulk,
 * inline, pipelining, every split point, buffers moving between calls,
 * limits and each protocol error with Redis 7.0's text) and the exact bytes
 * of every reply writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "resp.h"

/* ---- helpers ---------------------------------------------------------------- */

/* A request and the arguments it must parse to; NULL ends args.  For
 * binary arguments, lens gives explicit lengths (else strlen). */
typedef struct expect {
    const char *req;
    size_t req_len; /* 0: strlen(req) */
    const char *args[8];
    size_t lens[8];
} expect;

static size_t req_len(const expect *e)
{
    return e->req_len ? e->req_len : strlen(e->req);
}

static void assert_args(const resp_parser *p, const expect *e)
{
    int n = 0;
    while (n < 8 && e->args[n])
        n++;
    assert_int_equal(p->argc, n);
    for (int i = 0; i < n; i++) {
        size_t len = e->lens[i] ? e->lens[i] : strlen(e->args[i]);
        assert_int_equal(p->argv[i].len, len);
        if (len)
            assert_memory_equal(p->argv[i].ptr, e->args[i], len);
    }
}

/* Parses exactly one complete command from data. */
static void parse_one(resp_parser *p, const char *data, size_t len, size_t want_consumed)
{
    size_t used = 12345;
    resp_status st = resp_parse(p, data, len, &used);
    if (st == RESP_ERROR)
        fail_msg("unexpected error: %s", p->error);
    assert_int_equal(st, RESP_OK);
    assert_int_equal(used, want_consumed);
}

static resp_status parse_err(resp_parser *p, const char *data, size_t len)
{
    size_t used = 12345;
    resp_status st = resp_parse(p, data, len, &used);
    assert_int_equal(used, 0);
    return st;
}

/* A fresh malloc'd copy, so a pointer kept from an earlier call would be
 * caught by ASan as a use after free. */
static char *copy_of(const char *data, size_t len)
{
    char *c = malloc(len ? len : 1);
    memcpy(c, data, len);
    return c;
}

/* Feeds e->req one byte at a time, each time in a new buffer (the old one
 * freed, as a realloc that moves would), and checks that only the last
 * byte completes the command. */
static void feed_bytewise(const expect *e)
{
    size_t len = req_len(e);
    resp_parser p;
    resp_parser_init(&p);
    char *cur = NULL;
    for (size_t i = 1; i <= len; i++) {
        free(cur);
        cur = copy_of(e->req, i);
        size_t used = 99;
        resp_status st = resp_parse(&p, cur, i, &used);
        if (i < len) {
            if (st != RESP_INCOMPLETE)
                fail_msg("\"%s\" complete after %zu of %zu bytes", e->req, i, len);
            assert_int_equal(used, 0);
        } else {
            if (st != RESP_OK)
                fail_msg("\"%s\": status %d (%s)", e->req, st, p.error ? p.error : "");
            assert_int_equal(used, len);
            assert_args(&p, e);
        }
    }
    free(cur);
    resp_parser_free(&p);
}

/* For every k, k bytes first, then the whole request in a new buffer. */
static void feed_every_split(const expect *e)
{
    size_t len = req_len(e);
    for (size_t k = 0; k < len; k++) {
        resp_parser p;
        resp_parser_init(&p);
        char *first = copy_of(e->req, k);
        size_t used;
        assert_int_equal(resp_parse(&p, first, k, &used), RESP_INCOMPLETE);
        free(first);
        char *all = copy_of(e->req, len);
        parse_one(&p, all, len, len);
        assert_args(&p, e);
        free(all);
        resp_parser_free(&p);
    }
}

static const expect requests[] = {
    {"*1\r\n$4\r\nPING\r\n", 0, {"PING"}, {0}},
    {"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n", 0, {"SET", "k", "value"}, {0}},
    {"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", 0, {"ECHO", ""}, {0}},
    {"*2\r\n$3\r\nGET\r\n$6\r\na\r\nb\r\n\r\n", 0, {"GET", "a\r\nb\r\n"}, {0}},
    {"*2\r\n$3\r\nGET\r\n$3\r\na\0b\r\n", 22, {"GET", "a\0b"}, {0, 3}},
    {"*12\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n$1\r\ng\r\n$"
     "1\r\nh\r\n"
     "$1\r\ni\r\n$1\r\nj\r\n$1\r\nk\r\n$1\r\nl\r\n",
     0,
     {"a", "b", "c", "d", "e", "f", "g", "h"},
     {0}}, /* only the first 8 are checked by assert_args; argc checked below */
    {"PING\r\n", 0, {"PING"}, {0}},
    {"PING\n", 0, {"PING"}, {0}},
    {"SET k \"a b\\r\\n\"\r\n", 0, {"SET", "k", "a b\r\n"}, {0}},
    {"SET 'k\\'s' \"\\x41\\x4g\"\r\n", 0, {"SET", "k's", "Ax4g"}, {0}},
    {"ECHO a\"b c\" ''\r\n", 0, {"ECHO", "ab c", ""}, {0}},
    {"\r\n", 0, {NULL}, {0}},
    {"*0\r\n", 0, {NULL}, {0}},
    {"*-1\r\n", 0, {NULL}, {0}},
};

static int is_twelve(const expect *e)
{
    return strncmp(e->req, "*12", 3) == 0;
}

static void test_requests_whole(void **state)
{
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
        const expect *e = &requests[i];
        resp_parser p;
        resp_parser_init(&p);
        char *d = copy_of(e->req, req_len(e));
        parse_one(&p, d, req_len(e), req_len(e));
        if (is_twelve(e)) {
            assert_int_equal(p.argc, 12);
            assert_memory_equal(p.argv[11].ptr, "l", 1);
        } else {
            assert_args(&p, e);
        }
        assert_int_equal(p.inline_cmd, e->req[0] != '*');
        free(d);
        resp_parser_free(&p);
    }
}

static void test_requests_bytewise(void **state)
{
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
        if (!is_twelve(&requests[i]))
            feed_bytewise(&requests[i]);
}

static void test_requests_every_split(void **state)
{
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
        if (!is_twelve(&requests[i]))
            feed_every_split(&requests[i]);
}

/* ---- multibulk ---------------------------------------------------------------- */

static void test_multibulk_zero_copy(void **state)
{
    resp_parser p;
    resp_parser_init(&p);
    const char *req = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
    parse_one(&p, req, strlen(req), strlen(req));
    assert_ptr_equal(p.argv[0].ptr, req + 8);
    assert_ptr_equal(p.argv[1].ptr, req + 17);
    resp_parser_free(&p);
}

/* Redis skips the two bytes after a length line's '\r' and after a bulk
 * body without looking at them; so does Keel (checked by hand against
 * redis-server 7.0: both of these are a PING there). */
static void test_multibulk_unchecked_crlf(void **state)
{
    resp_parser p;
    resp_parser_init(&p);
    const char *a = "*1\rX$4\r\nPING\r\n";
    parse_one(&p, a, strlen(a), strlen(a));
    assert_int_equal(p.argc, 1);
    const char *b = "*1\r\n$4\r\nPINGxy*1\r\n";
    parse_one(&p, b, strlen(b), 14);
    assert_memory_equal(p.argv[0].ptr, "PING", 4);
    resp_parser_free(&p);
}

static void test_multibulk_empty_and_null(void **state)
{
    resp_parser p;
    resp_parser_init(&p);
    const char *req = "*0\r\n*-1\r\n*-5\r\n*1\r\n$4\r\nPING\r\n";
    size_t len = strlen(req), off = 0;
    parse_one(&p, req, len, 4);
    assert_int_equal(p.argc, 0);
    off += 4;
    parse_one(&p, req + off, len - off, 5);
    assert_int_equal(p.argc, 0);
    off += 5;
    parse_one(&p, req + off, len - off, 5); /* any negative count, as Redis */
    assert_int_equal(p.argc, 0);
    off += 5;
    parse_one(&p, req + off, len - off, len - off);
    assert_int_equal(p.argc, 1);
    resp_parser_free(&p);
}

static void test_multibulk_need(void **state)
{
    resp_parser p;
    resp_parser_init(&p);
    char req[200];
    int h = snprintf(req, sizeof(req), "*2\r\n$3\r\nSET\r\n$100\r\n");
    memset(req + h, 'x', 100);
    memcpy(req + h + 100, "\r\n", 2);
    size_t total = (size_t)h + 102;
    size_t used;
    assert_int_equal(resp_parse(&p, req, (size_t)h - 3, &used), RESP_INCOMPLETE);
    assert_int_equal(p.need, 0); /* the length is not known yet */
    assert_int_equal(resp_parse(&p, req, (size_t)h + 10, &used), RESP_INCOMPLETE);
    assert_int_equal(p.need, 92);
    assert_int_equal(resp_parse(&p, req, (size_t)h + 101, &used), RESP_INCOMPLETE);
    assert_int_equal(p.need, 1);
    parse_one(&p, req, total, total);
    assert_int_equal(p.need, 0);
    assert_int_equal(p.argv[1].len, 100);
    resp_parser_free(&p);
}

/* Many arguments: argv grows as they arrive, not up front. */
static void test_multibulk_many_args(void **state)
{
    buf b = buf_empty();
    int n = 5000;
    b = resp_add_array_len(b, n);
    for (int i = 0; i < n; i++)
        b = resp_add_bulk_ll(b, i);
    resp_parser p;
    resp_parser_init(&p);
    parse_one(&p, b, buf_len(b), buf_len(b));
    assert_int_equal(p.argc, n);
    for (int i = 0; i < n; i++) {
        char d[16];
        int l = snprintf(d, sizeof(d), "%d", i);
        assert_int_equal(p.argv[i].len, (size_t)l);
        assert_memory_equal(p.argv[i].ptr, d, (size_t)l);
    }
    /* A huge claimed count costs nothing until arguments arrive. */
    const char *big = "*1000000\r\n$1\r\na\r\n";
    size_t used;
    assert_int_equal(resp_parse(&p, big, strlen(big), &used), RESP_INCOMPLETE);
    assert_true(p.argv_cap < 100000);
    resp_parser_free(&p);
    buf_free(b);
}

/* A big value arriving in small reads: progress is remembered, so the
 * work is linear in its size (a rescan per read would be quadratic). */
static void test_multibulk_big_value_chunks(void **state)
{
    size_t vlen = 32 * 1024 * 1024;
    char hdr[64];
    int h = snprintf(hdr, sizeof(hdr), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%zu\r\n", vlen);
    size_t total = (size_t)h + vlen + 2;
    char *data = malloc(total);
    memcpy(data, hdr, (size_t)h);
    memset(data + h, 'v', vlen);
    memcpy(data + h + vlen, "\r\n", 2);

    resp_parser p;
    resp_parser_init(&p);
    clock_t t0 = clock();
    size_t used, have = 0;
    resp_status st = RESP_INCOMPLETE;
    while (st == RESP_INCOMPLETE) {
        have += 1024;
        if (have > total)
            have = total;
        st = resp_parse(&p, data, have, &used);
        if (st == RESP_INCOMPLETE && have > (size_t)h)
            assert_int_equal(p.need, total - have);
    }
    assert_int_equal(st, RESP_OK);
    assert_int_equal(used, total);
    assert_int_equal(p.argv[2].len, vlen);
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
    resp_parser_free(&p);
    free(data);
}

/* A slow client sending a long length line a byte at a time. */
static void test_slow_header_linear(void **state)
{
    size_t n = 60000;
    char *data = malloc(n + 2);
    data[0] = '*';
    memset(data + 1, '1', n - 1);
    memcpy(data + n, "\r\n", 2);
    resp_parser p;
    resp_parser_init(&p);
    clock_t t0 = clock();
    size_t used;
    for (size_t i = 1; i <= n + 1; i++)
        assert_int_equal(resp_parse(&p, data, i, &used), RESP_INCOMPLETE);
    /* 59999 digits: not a number, so the complete line is refused. */
    assert_int_equal(parse_err(&p, data, n + 2), RESP_ERROR);
    assert_string_equal(p.error, "Protocol error: invalid multibulk length");
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
    resp_parser_free(&p);
    free(data);
}

/* ---- inline ------------------------------------------------------------------- */

static void test_inline_splitting(void **state)
{
    static const expect cases[] = {
        {"GET a\r\n", 0, {"GET", "a"}, {0}},
        {"  GET \t a  \r\n", 0, {"GET", "a"}, {0}},
        {"\x0bGET\x0b a\r\n", 0, {"GET\x0b", "a"}, {0}}, /* \v: skipped before, kept inside */
        {"GET a\rb\r\n", 0, {"GET", "a", "b"}, {0}},
        {"PING\r\r\n", 0, {"PING"}, {0}},
        {"ECHO \"\"\r\n", 0, {"ECHO", ""}, {0}},
        {"ECHO \"a\\\"b\"\r\n", 0, {"ECHO", "a\"b"}, {0}},
        {"ECHO \"\\n\\r\\t\\b\\a\\\\\\q\"\r\n", 0, {"ECHO", "\n\r\t\b\a\\q"}, {0}},
        {"ECHO \"\\xff\\x00\\x4\"\r\n", 0, {"ECHO", "\xff\0x4"}, {0, 4}},
        {"ECHO 'a\\nb'\r\n", 0, {"ECHO", "a\\nb"}, {0}},
        {"ECHO 'it\\'s'\r\n", 0, {"ECHO", "it's"}, {0}},
        {"ECHO a'b'c\r\n", 0, {NULL}, {0}}, /* unbalanced: handled below */
        {"ECHO \"a\"\x0b\r\n", 0, {"ECHO", "a"}, {0}},
        {"ECHO x\"\"y\r\n", 0, {NULL}, {0}},
        {"ECHO 'a' \"b\" c\r\n", 0, {"ECHO", "a", "b", "c"}, {0}},
        {"ECHO \\x41\r\n", 0, {"ECHO", "\\x41"}, {0}},
        {"ECHO \xc3\xa9t\xc3\xa9\r\n", 0, {"ECHO", "\xc3\xa9t\xc3\xa9"}, {0}},
        {"   \r\n", 0, {NULL}, {0}},
        {"\n", 0, {NULL}, {0}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const expect *e = &cases[i];
        resp_parser p;
        resp_parser_init(&p);
        size_t used;
        resp_status st = resp_parse(&p, e->req, strlen(e->req), &used);
        int unbalanced = strstr(e->req, "a'b'c") || strstr(e->req, "x\"\"y");
        if (unbalanced) {
            assert_int_equal(st, RESP_ERROR);
            assert_string_equal(p.error, "Protocol error: unbalanced quotes in request");
        } else {
            if (st != RESP_OK)
                fail_msg("case %zu: status %d", i, st);
            assert_int_equal(used, strlen(e->req));
            assert_args(&p, e);
            assert_int_equal(p.inline_cmd, 1);
            feed_bytewise(e);
        }
        resp_parser_free(&p);
    }
}

/* Plain words, and quoted words without escapes, point into the request;
 * only rewritten words are copied. */
static void test_inline_zero_copy(void **state)
{
    resp_parser p;
    resp_parser_init(&p);
    const char *req = "SET \"k y\" \"a\\x41\" b\"c\"\r\n";
    parse_one(&p, req, strlen(req), strlen(req));
    assert_int_equal(p.argc, 4);
    assert_ptr_equal(p.argv[0].ptr, req);
    assert_ptr_equal(p.argv[1].ptr, req + 5);
    assert_memory_equal(p.argv[2].ptr, "aA", 2);
    assert_true(p.argv[2].ptr < req || p.argv[2].ptr >= req + strlen(req));
    assert_memory_equal(p.argv[3].ptr, "bc", 2);
    resp_parser_free(&p);
}

/* Redis 7.0 keeps empty inline arguments: ECHO "" x is three arguments. */
static void test_inline_keeps_empty_args(void **state)
{
    resp_parser p;
    resp_parser_init(&p);
    const char *req = "ECHO \"\" x\r\n";
    parse_one(&p, req, strlen(req), strlen(req));
    assert_int_equal(p.argc, 3);
    assert_int_equal(p.argv[1].len, 0);
    resp_parser_free(&p);
}

/* ---- pipelining ---------------------------------------------------------------- */

static void test_pipeline(void **state)
{
    const char *req =
        "*1\r\n$4\r\nPING\r\nECHO hi\r\n\r\n*0\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nQUIT\n";
    const char *first[] = {"PING", "ECHO", NULL, NULL, "GET", "QUIT"};
    const int argcs[] = {1, 2, 0, 0, 2, 1};
    resp_parser p;
    resp_parser_init(&p);
    size_t len = strlen(req), off = 0;
    for (int i = 0; i < 6; i++) {
        size_t used;
        assert_int_equal(resp_parse(&p, req + off, len - off, &used), RESP_OK);
        assert_int_equal(p.argc, argcs[i]);
        if (first[i])
            assert_memory_equal(p.argv[0].ptr, first[i], strlen(first[i]));
        off += used;
    }
    assert_int_equal(off, len);
    size_t used;
    assert_int_equal(resp_parse(&p, req + off, 0, &used), RESP_INCOMPLETE);
    resp_parser_free(&p);
}

/* A pipeline fed in random chunks, each call in a freshly copied buffer
 * holding the unconsumed bytes, as a client's query buffer would. */
static void test_pipeline_random_chunks(void **state)
{
    srand(4);
    for (int round = 0; round < 50; round++) {
        buf all = buf_empty();
        int ncmd = 1 + rand() % 20;
        /* The expected commands, encoded back to compare. */
        buf want = buf_empty();
        for (int c = 0; c < ncmd; c++) {
            int argc = 1 + rand() % 5;
            resp_arg args[5];
            char store[5][40];
            for (int a = 0; a < argc; a++) {
                size_t l = (size_t)(rand() % 40);
                for (size_t k = 0; k < l; k++)
                    store[a][k] = (char)(rand() % 256);
                args[a].ptr = store[a];
                args[a].len = l;
            }
            all = resp_add_command(all, argc, args);
            want = resp_add_command(want, argc, args);
        }
        resp_parser p;
        resp_parser_init(&p);
        buf got = buf_empty();
        size_t total = buf_len(all), start = 0, have = 0;
        char *cur = NULL;
        int calls = 0;
        while (start < total) {
            assert_true(++calls < 100000); /* a stuck parser fails, not hangs */
            have += 1 + (size_t)(rand() % 30);
            if (have > total)
                have = total;
            free(cur);
            cur = copy_of(all + start, have - start);
            size_t off = 0;
            for (;;) {
                size_t used;
                resp_status st = resp_parse(&p, cur + off, have - start - off, &used);
                assert_int_not_equal(st, RESP_ERROR);
                if (st == RESP_INCOMPLETE)
                    break;
                got = resp_add_command(got, p.argc, p.argv);
                off += used;
            }
            /* Drop what was consumed; the rest moves to a new buffer. */
            start += off;
        }
        free(cur);
        assert_int_equal(buf_len(got), buf_len(want));
        assert_memory_equal(got, want, buf_len(want));
        resp_parser_free(&p);
        buf_free(all);
        buf_free(want);
        buf_free(got);
    }
}

/* ---- errors and limits -------------------------------------------------------- */

static void expect_error(const char *req, size_t len, const char *msg)
{
    resp_parser p;
    resp_parser_init(&p);
    if (parse_err(&p, req, len) != RESP_ERROR)
        fail_msg("no error for \"%.40s\"", req);
    assert_string_equal(p.error, msg);
    resp_parser_free(&p);
}

static void expect_error_str(const char *req, const char *msg)
{
    expect_error(req, strlen(req), msg);
}

static void expect_incomplete(resp_parser *p, const char *req, size_t len)
{
    assert_int_equal(parse_err(p, req, len), RESP_INCOMPLETE);
}

#define BAD_MBULK "Protocol error: invalid multibulk length"
#define BAD_BULK "Protocol error: invalid bulk length"

static void test_error_multibulk_length(void **state)
{
    const char *bad[] = {"*x\r\n",         "*\r\n",    "* 1\r\n",
                         "*+1\r\n",        "*01\r\n",  "*-0\r\n",
                         "*1 \r\n",        "*1\n\r\n", "*9223372036854775808\r\n",
                         "*2147483648\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error_str(bad[i], BAD_MBULK);
    /* The limit itself is allowed (RESP_MULTIBULK_MAX = INT_MAX arguments). */
    resp_parser p;
    resp_parser_init(&p);
    expect_incomplete(&p, "*2147483647\r\n", 13);
    resp_parser_free(&p);
}

static void test_error_bulk_length(void **state)
{
    const char *bad[] = {
        "*1\r\n$x\r\n",  "*1\r\n$\r\n",   "*1\r\n$-1\r\n",        "*1\r\n$ 1\r\n",
        "*1\r\n$+1\r\n", "*1\r\n$01\r\n", "*1\r\n$536870913\r\n", "*2\r\n$1\r\na\r\n$1x\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error_str(bad[i], BAD_BULK);
    resp_parser p;
    resp_parser_init(&p);
    expect_incomplete(&p, "*1\r\n$536870912\r\n", 17); /* 512 MB exactly is allowed */
    resp_parser_free(&p);

    /* proto-max-bulk-len is the caller's. */
    resp_parser_init(&p);
    p.max_bulk_len = 10;
    expect_incomplete(&p, "*1\r\n$10\r\n", 9);
    resp_parser_reset(&p);
    assert_int_equal(parse_err(&p, "*1\r\n$11\r\n", 9), RESP_ERROR);
    assert_string_equal(p.error, BAD_BULK);
    resp_parser_free(&p);

    resp_parser_init(&p);
    p.max_multibulk_len = 3;
    assert_int_equal(parse_err(&p, "*4\r\n", 4), RESP_ERROR);
    assert_string_equal(p.error, BAD_MBULK);
    resp_parser_free(&p);
}

static void test_error_expected_dollar(void **state)
{
    expect_error_str("*1\r\nX\r\n", "Protocol error: expected '$', got 'X'");
    expect_error_str("*1\r\n:1\r\n", "Protocol error: expected '$', got ':'");
    expect_error_str("*2\r\n$1\r\na\r\n*1\r\n", "Protocol error: expected '$', got '*'");
    /* A \r is shown as a space, as Redis's reply does. */
    expect_error_str("*1\r\n\r\n", "Protocol error: expected '$', got ' '");
    /* Without its '\r' the line is just not complete yet. */
    resp_parser p;
    resp_parser_init(&p);
    expect_incomplete(&p, "*1\r\nX", 5);
    resp_parser_free(&p);
}

static void test_error_too_big_counts(void **state)
{
    size_t n = RESP_INLINE_MAX + 1;
    char *d = malloc(n + 16);
    resp_parser p;

    memset(d, '1', n + 16);
    d[0] = '*';
    resp_parser_init(&p);
    expect_incomplete(&p, d, RESP_INLINE_MAX);
    expect_error(d, RESP_INLINE_MAX + 1, "Protocol error: too big mbulk count string");
    resp_parser_free(&p);

    memcpy(d, "*1\r\n$", 5);
    resp_parser_init(&p);
    expect_incomplete(&p, d, RESP_INLINE_MAX + 4);
    resp_parser_free(&p);
    expect_error(d, RESP_INLINE_MAX + 5, "Protocol error: too big bulk count string");
    /* The size is checked before the '$', as Redis does. */
    memset(d + 4, 'X', n + 12);
    expect_error(d, RESP_INLINE_MAX + 5, "Protocol error: too big bulk count string");
    free(d);
}

static void test_error_inline(void **state)
{
    expect_error_str("SET \"a\r\n", "Protocol error: unbalanced quotes in request");
    expect_error_str("SET 'a\r\n", "Protocol error: unbalanced quotes in request");
    expect_error_str("SET \"a\"b\r\n", "Protocol error: unbalanced quotes in request");
    expect_error_str("SET 'a'b\r\n", "Protocol error: unbalanced quotes in request");
    expect_error_str("SET \"a\\\"\r\n", "Protocol error: unbalanced quotes in request");
    expect_error_str("SET \"a\\\r\n", "Protocol error: unbalanced quotes in request");

    size_t n = RESP_INLINE_MAX + 1;
    char *d = malloc(n);
    memset(d, 'a', n);
    resp_parser p;
    resp_parser_init(&p);
    expect_incomplete(&p, d, n - 1);
    resp_parser_free(&p);
    expect_error(d, n, "Protocol error: too big inline request");
    /* Whatever its length, a line whose newline has arrived is parsed. */
    char *line = malloc(n + 1);
    memset(line, 'a', n);
    line[n] = '\n';
    resp_parser_init(&p);
    parse_one(&p, line, n + 1, n + 1);
    assert_int_equal(p.argc, 1);
    assert_int_equal(p.argv[0].len, n);
    resp_parser_free(&p);
    free(line);
    free(d);
}

/* Before AUTH, Redis 7.0 allows at most 10 arguments of 16 KB each. */
static void test_error_unauthenticated(void **state)
{
    resp_parser p;
    resp_parser_init(&p);
    p.auth_required = 1;
    expect_incomplete(&p, "*10\r\n", 5);
    resp_parser_reset(&p);
    assert_int_equal(parse_err(&p, "*11\r\n", 5), RESP_ERROR);
    assert_string_equal(p.error, "Protocol error: unauthenticated multibulk length");
    expect_incomplete(&p, "*2\r\n$16384\r\n", 12);
    resp_parser_reset(&p);
    assert_int_equal(parse_err(&p, "*2\r\n$16385\r\n", 12), RESP_ERROR);
    assert_string_equal(p.error, "Protocol error: unauthenticated bulk length");
    p.auth_required = 0; /* after AUTH */
    expect_incomplete(&p, "*11\r\n$16385\r\n", 13);
    resp_parser_free(&p);
}

/* After an error, or a reset, the parser starts clean. */
static void test_reset_and_reuse(void **state)
{
    resp_parser p;
    resp_parser_init(&p);
    assert_int_equal(parse_err(&p, "*1\r\nX\r\n", 7), RESP_ERROR);
    parse_one(&p, "PING\r\n", 6, 6);
    assert_null(p.error);
    expect_incomplete(&p, "*2\r\n$3\r\nGET\r\n$1", 15);
    resp_parser_reset(&p);
    parse_one(&p, "*1\r\n$4\r\nPING\r\n", 14, 14);
    assert_int_equal(p.argc, 1);
    resp_parser_free(&p);
    resp_parser_free(&p); /* freeing twice is harmless */
}

/* A caller that breaks the contract (fewer bytes than last time) gets a
 * fresh parse, never an out-of-bounds read. */
static void test_shorter_input_is_safe(void **state)
{
    resp_parser p;
    resp_parser_init(&p);
    const char *req = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
    expect_incomplete(&p, req, 17);
    char *d = copy_of(req, 6);
    expect_incomplete(&p, d, 6);
    free(d);
    parse_one(&p, req, strlen(req), strlen(req));
    expect_incomplete(&p, "GET aaaaaa", 10);
    d = copy_of("GE", 2);
    expect_incomplete(&p, d, 2);
    free(d);
    resp_parser_free(&p);
}

/* ---- reply writers ------------------------------------------------------------ */

static void assert_buf(buf b, const char *want, size_t len)
{
    assert_int_equal(buf_len(b), len);
    assert_memory_equal(b, want, len);
    buf_clear(b);
}

#define ASSERT_BUF(b, lit) assert_buf(b, lit, sizeof(lit) - 1)

static void test_writers_scalars(void **state)
{
    buf b = buf_empty();
    b = resp_add_simple(b, "OK", 2);
    ASSERT_BUF(b, "+OK\r\n");
    b = resp_add_simple(b, "", 0);
    ASSERT_BUF(b, "+\r\n");
    b = resp_add_error(b, "ERR bad\r\nthing\n", 15);
    ASSERT_BUF(b, "-ERR bad  thing \r\n");
    b = resp_add_error(b, "-WRONGTYPE Operation", 20);
    ASSERT_BUF(b, "-WRONGTYPE Operation\r\n");
    b = resp_add_int(b, 0);
    ASSERT_BUF(b, ":0\r\n");
    b = resp_add_int(b, 9);
    ASSERT_BUF(b, ":9\r\n");
    b = resp_add_int(b, 10);
    ASSERT_BUF(b, ":10\r\n");
    b = resp_add_int(b, -1);
    ASSERT_BUF(b, ":-1\r\n");
    b = resp_add_int(b, 9223372036854775807LL);
    ASSERT_BUF(b, ":9223372036854775807\r\n");
    b = resp_add_int(b, -9223372036854775807LL - 1);
    ASSERT_BUF(b, ":-9223372036854775808\r\n");
    b = resp_add_bool(b, 1, 0);
    ASSERT_BUF(b, ":1\r\n");
    b = resp_add_bool(b, 0, 0);
    ASSERT_BUF(b, ":0\r\n");
    b = resp_add_bool(b, 1, 1);
    ASSERT_BUF(b, "#t\r\n");
    b = resp_add_bool(b, 0, 1);
    ASSERT_BUF(b, "#f\r\n");
    b = resp_add_nil(b, 0);
    ASSERT_BUF(b, "$-1\r\n");
    b = resp_add_nil(b, 1);
    ASSERT_BUF(b, "_\r\n");
    b = resp_add_nil_array(b, 0);
    ASSERT_BUF(b, "*-1\r\n");
    b = resp_add_nil_array(b, 1);
    ASSERT_BUF(b, "_\r\n");
    buf_free(b);
}

static void test_writers_bulk(void **state)
{
    buf b = buf_empty();
    b = resp_add_bulk(b, "hello", 5);
    ASSERT_BUF(b, "$5\r\nhello\r\n");
    b = resp_add_bulk(b, "", 0);
    ASSERT_BUF(b, "$0\r\n\r\n");
    b = resp_add_bulk(b, "a\0\r\n", 4);
    ASSERT_BUF(b, "$4\r\na\0\r\n\r\n");
    b = resp_add_bulk_cstr(b, "abc");
    ASSERT_BUF(b, "$3\r\nabc\r\n");
    b = resp_add_bulk_cstr(b, NULL);
    ASSERT_BUF(b, "$-1\r\n");
    b = resp_add_bulk_ll(b, -42);
    ASSERT_BUF(b, "$3\r\n-42\r\n");
    b = resp_add_bulk_ll(b, 0);
    ASSERT_BUF(b, "$1\r\n0\r\n");
    b = resp_add_verbatim(b, "hello", 5, 0);
    ASSERT_BUF(b, "$5\r\nhello\r\n");
    b = resp_add_verbatim(b, "hello", 5, 1);
    ASSERT_BUF(b, "=9\r\ntxt:hello\r\n");
    /* Large: one header, the body intact. */
    size_t n = 100000;
    char *big = malloc(n);
    memset(big, 'z', n);
    b = resp_add_bulk(b, big, n);
    assert_int_equal(buf_len(b), 9 + n + 2);
    assert_memory_equal(b, "$100000\r\n", 9);
    assert_memory_equal(b + 9, big, n);
    assert_memory_equal(b + 9 + n, "\r\n", 2);
    free(big);
    buf_free(b);
}

static void test_writers_aggregates(void **state)
{
    buf b = buf_empty();
    b = resp_add_array_len(b, 0);
    ASSERT_BUF(b, "*0\r\n");
    b = resp_add_array_len(b, 3);
    ASSERT_BUF(b, "*3\r\n");
    b = resp_add_array_len(b, 1000);
    ASSERT_BUF(b, "*1000\r\n");
    b = resp_add_array_len(b, -1);
    ASSERT_BUF(b, "*-1\r\n");
    b = resp_add_agg_len(b, '%', 2);
    ASSERT_BUF(b, "%2\r\n");
    b = resp_add_agg_len(b, '~', 12);
    ASSERT_BUF(b, "~12\r\n");
    b = resp_add_agg_len(b, '>', 3);
    ASSERT_BUF(b, ">3\r\n");
    b = resp_add_agg_len(b, '*', 7);
    ASSERT_BUF(b, "*7\r\n");
    /* Writers append: a whole reply. */
    b = resp_add_array_len(b, 2);
    b = resp_add_bulk(b, "a", 1);
    b = resp_add_int(b, 1);
    ASSERT_BUF(b, "*2\r\n$1\r\na\r\n:1\r\n");
    buf_free(b);
}

static void test_writers_double(void **state)
{
    buf b = buf_empty();
    b = resp_add_double(b, 1.5, 0);
    ASSERT_BUF(b, "$3\r\n1.5\r\n");
    b = resp_add_double(b, 1.5, 1);
    ASSERT_BUF(b, ",1.5\r\n");
    b = resp_add_double(b, 3, 0);
    ASSERT_BUF(b, "$1\r\n3\r\n");
    b = resp_add_double(b, 1.1, 0); /* Redis 7.0 prints %.17g */
    ASSERT_BUF(b, "$18\r\n1.1000000000000001\r\n");
    b = resp_add_double(b, 1.0 / 0.0, 0);
    ASSERT_BUF(b, "$3\r\ninf\r\n");
    b = resp_add_double(b, -1.0 / 0.0, 0);
    ASSERT_BUF(b, "$4\r\n-inf\r\n");
    b = resp_add_double(b, 1.0 / 0.0, 1);
    ASSERT_BUF(b, ",inf\r\n");
    b = resp_add_double(b, -1.0 / 0.0, 1);
    ASSERT_BUF(b, ",-inf\r\n");
    b = resp_add_double(b, 1e20, 1);
    ASSERT_BUF(b, ",1e+20\r\n");
    buf_free(b);
}

static void test_writers_command_roundtrip(void **state)
{
    resp_arg argv[3] = {{"SET", 3}, {"k\r\n", 3}, {"", 0}};
    buf b = resp_add_command(buf_empty(), 3, argv);
    const char want[] = "*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$0\r\n\r\n";
    assert_int_equal(buf_len(b), sizeof(want) - 1);
    assert_memory_equal(b, want, sizeof(want) - 1);
    resp_parser p;
    resp_parser_init(&p);
    parse_one(&p, b, buf_len(b), buf_len(b));
    assert_int_equal(p.argc, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(p.argv[i].len, argv[i].len);
        assert_memory_equal(p.argv[i].ptr, argv[i].ptr, argv[i].len);
    }
    resp_parser_free(&p);
    buf_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_whole),
        cmocka_unit_test(test_requests_bytewise),
        cmocka_unit_test(test_requests_every_split),
        cmocka_unit_test(test_multibulk_zero_copy),
        cmocka_unit_test(test_multibulk_unchecked_crlf),
        cmocka_unit_test(test_multibulk_empty_and_null),
        cmocka_unit_test(test_multibulk_need),
        cmocka_unit_test(test_multibulk_many_args),
        cmocka_unit_test(test_multibulk_big_value_chunks),
        cmocka_unit_test(test_slow_header_linear),
        cmocka_unit_test(test_inline_splitting),
        cmocka_unit_test(test_inline_zero_copy),
        cmocka_unit_test(test_inline_keeps_empty_args),
        cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_pipeline_random_chunks),
        cmocka_unit_test(test_error_multibulk_length),
        cmocka_unit_test(test_error_bulk_length),
        cmocka_unit_test(test_error_expected_dollar),
        cmocka_unit_test(test_error_too_big_counts),
        cmocka_unit_test(test_error_inline),
        cmocka_unit_test(test_error_unauthenticated),
        cmocka_unit_test(test_reset_and_reuse),
        cmocka_unit_test(test_shorter_input_is_safe),
        cmocka_unit_test(test_writers_scalars),
        cmocka_unit_test(test_writers_bulk),
        cmocka_unit_test(test_writers_aggregates),
        cmocka_unit_test(test_writers_double),
        cmocka_unit_test(test_writers_command_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
