/* test_listpack: unit tests for server/listpack.c: every encoding boundary,
 * canonical-integer detection, iteration both ways over many mixed entries,
 * insert/replace/delete (single and ranges) at head, middle and tail, seek,
 * find with skip, num-elements saturation, validation of good, truncated and
 * corrupted blobs, and golden blobs taken from Redis 7.0's DUMP output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listpack.h"

/* ---- a reference model ---------------------------------------------------- */

/* What an entry should read back as: its text (integers as canonical text)
 * and whether it is stored as an integer. */
typedef struct ref_entry {
    unsigned char *s;
    uint32_t len;
    int is_int;
    long long v;
} ref_entry;

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng(void)
{
    /* xorshift64*: deterministic so failures reproduce. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static void ref_set_str(ref_entry *r, const unsigned char *s, uint32_t len)
{
    r->s = malloc(len ? len : 1);
    if (len)
        memcpy(r->s, s, len);
    r->len = len;
    r->is_int = lp_string_to_int(s, len, &r->v);
}

static void ref_set_int(ref_entry *r, long long v)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld", v);
    r->s = malloc((size_t)n);
    memcpy(r->s, buf, (size_t)n);
    r->len = (uint32_t)n;
    r->is_int = 1;
    r->v = v;
}

static void ref_free(ref_entry *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(r[i].s);
}

/* A random entry: integers of every width, strings of several lengths,
 * numeric-looking strings that must stay strings. */
static void ref_random(ref_entry *r)
{
    unsigned char buf[5000];
    switch (rng() % 10) {
    case 0: ref_set_int(r, (long long)(rng() % 128)); break;
    case 1: ref_set_int(r, (long long)(rng() % 8192) - 4096); break;
    case 2: ref_set_int(r, (long long)(rng() % 65536) - 32768); break;
    case 3: ref_set_int(r, (long long)(rng() % (1 << 24)) - (1 << 23)); break;
    case 4: ref_set_int(r, (long long)(int32_t)rng()); break;
    case 5: ref_set_int(r, (long long)rng()); break;
    case 6: {
        uint32_t len = (uint32_t)(rng() % 64);
        for (uint32_t i = 0; i < len; i++)
            buf[i] = (unsigned char)rng();
        ref_set_str(r, buf, len);
        break;
    }
    case 7: {
        uint32_t len = 64 + (uint32_t)(rng() % 300);
        for (uint32_t i = 0; i < len; i++)
            buf[i] = (unsigned char)('a' + rng() % 26);
        ref_set_str(r, buf, len);
        break;
    }
    case 8: {
        /* text integers, canonical or not */
        static const char *texts[] = {"007",
                                      "-0",
                                      " 1",
                                      "1 ",
                                      "+5",
                                      "12",
                                      "-12",
                                      "0",
                                      "",
                                      "99999999999999999999",
                                      "-9223372036854775808",
                                      "1.0"};
        const char *t = texts[rng() % (sizeof(texts) / sizeof(texts[0]))];
        ref_set_str(r, (const unsigned char *)t, (uint32_t)strlen(t));
        break;
    }
    default: {
        uint32_t len = (rng() % 20 == 0) ? 4096 + (uint32_t)(rng() % 800) : (uint32_t)(rng() % 8);
        for (uint32_t i = 0; i < len; i++)
            buf[i] = (unsigned char)rng();
        ref_set_str(r, buf, len);
        break;
    }
    }
}

static unsigned char *lp_append_ref(unsigned char *lp, const ref_entry *r, int as_int)
{
    if (as_int && r->is_int)
        return lp_append_int(lp, r->v);
    return lp_append(lp, r->s, r->len);
}

static void check_entry(unsigned char *p, const ref_entry *r)
{
    lp_entry e;
    assert_non_null(p);
    lp_get(p, &e);
    if (r->is_int) {
        assert_null(e.sval);
        assert_true(e.lval == r->v);
    } else {
        assert_non_null(e.sval);
        assert_int_equal(e.slen, r->len);
        assert_memory_equal(e.sval, r->s, r->len);
    }
    unsigned char buf[LP_INTBUF_SIZE];
    uint32_t len;
    const unsigned char *b = lp_get_bytes(p, buf, &len);
    assert_int_equal(len, r->len);
    if (len)
        assert_memory_equal(b, r->s, len);
    assert_true(lp_equal(p, r->s, r->len));
}

/* Forward and backward walks both match the reference. */
static void check_lp(unsigned char *lp, const ref_entry *ref, size_t n)
{
    assert_int_equal(lp_length(lp), n);
    assert_true(lp_validate(lp, lp_bytes(lp), 1));
    unsigned char *p = lp_first(lp);
    for (size_t i = 0; i < n; i++) {
        check_entry(p, &ref[i]);
        p = lp_next(lp, p);
    }
    assert_null(p);
    p = lp_last(lp);
    for (size_t i = n; i-- > 0;) {
        check_entry(p, &ref[i]);
        p = lp_prev(lp, p);
    }
    assert_null(p);
}

static unsigned char *lp_from_strings(const char **items, size_t n)
{
    unsigned char *lp = lp_new(0);
    for (size_t i = 0; i < n; i++)
        lp = lp_append(lp, (const unsigned char *)items[i], (uint32_t)strlen(items[i]));
    return lp;
}

static void check_strings(unsigned char *lp, const char **items, size_t n)
{
    ref_entry ref[64];
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++)
        ref_set_str(&ref[i], (const unsigned char *)items[i], (uint32_t)strlen(items[i]));
    check_lp(lp, ref, n);
    ref_free(ref, n);
}

#define S(x) (const unsigned char *)(x), (uint32_t)strlen(x)

/* ---- basics ------------------------------------------------------------------ */

static void test_empty(void **state)
{
    (void)state;
    unsigned char *lp = lp_new(0);
    static const unsigned char expect[] = {0x07, 0, 0, 0, 0, 0, 0xff};
    assert_int_equal(lp_bytes(lp), 7);
    assert_memory_equal(lp, expect, 7);
    assert_int_equal(lp_length(lp), 0);
    assert_null(lp_first(lp));
    assert_null(lp_last(lp));
    assert_null(lp_seek(lp, 0));
    assert_null(lp_seek(lp, -1));
    assert_null(lp_find(lp, lp_first(lp), S("x"), 0));
    assert_true(lp_validate(lp, 7, 1));
    assert_true(lp_validate(lp, 7, 0));
    lp = lp_delete_range(lp, 0, 10);
    assert_int_equal(lp_bytes(lp), 7);
    lp_free(lp);

    /* a capacity hint changes nothing visible */
    lp = lp_new(1000);
    assert_int_equal(lp_bytes(lp), 7);
    lp = lp_append(lp, S("a"));
    assert_int_equal(lp_length(lp), 1);
    lp_free(lp);
}

/* Integer encodings: value, expected entry size (encoding + data + backlen)
 * and expected first byte. */
static void test_int_boundaries(void **state)
{
    (void)state;
    struct {
        long long v;
        size_t size;
        unsigned char first;
    } cases[] = {
        {0, 2, 0x00},
        {1, 2, 0x01},
        {127, 2, 0x7f},
        {128, 3, 0xc0},
        {-1, 3, 0xdf},
        {4095, 3, 0xcf},
        {-4096, 3, 0xd0},
        {4096, 4, 0xf1},
        {-4097, 4, 0xf1},
        {32767, 4, 0xf1},
        {-32768, 4, 0xf1},
        {32768, 5, 0xf2},
        {-32769, 5, 0xf2},
        {8388607, 5, 0xf2},
        {-8388608, 5, 0xf2},
        {8388608, 6, 0xf3},
        {-8388609, 6, 0xf3},
        {2147483647LL, 6, 0xf3},
        {-2147483647LL - 1, 6, 0xf3},
        {2147483648LL, 10, 0xf4},
        {-2147483649LL, 10, 0xf4},
        {LLONG_MAX, 10, 0xf4},
        {LLONG_MIN, 10, 0xf4},
    };
    size_t ncases = sizeof(cases) / sizeof(cases[0]);
    for (int viastr = 0; viastr < 2; viastr++) {
        unsigned char *lp = lp_new(0);
        ref_entry ref[32];
        size_t expect_bytes = 7;
        for (size_t i = 0; i < ncases; i++) {
            ref_set_int(&ref[i], cases[i].v);
            unsigned char *before_end = NULL;
            (void)before_end;
            size_t off = lp_bytes(lp) - 1;
            if (viastr)
                lp = lp_append(lp, ref[i].s, ref[i].len);
            else
                lp = lp_append_int(lp, cases[i].v);
            expect_bytes += cases[i].size;
            assert_int_equal(lp_bytes(lp), expect_bytes);
            assert_int_equal(lp[off], cases[i].first);
            assert_int_equal(lp_entry_size_for(ref[i].s, ref[i].len), cases[i].size);
            long long v;
            assert_true(lp_string_to_int(ref[i].s, ref[i].len, &v));
            assert_true(v == cases[i].v);
        }
        check_lp(lp, ref, ncases);
        ref_free(ref, ncases);
        lp_free(lp);
    }
    /* every value of the 7- and 13-bit ranges round-trips */
    unsigned char *lp = lp_new(0);
    for (long long v = -4200; v <= 4200; v++)
        lp = lp_append_int(lp, v);
    unsigned char *p = lp_first(lp);
    for (long long v = -4200; v <= 4200; v++) {
        lp_entry e;
        lp_get(p, &e);
        assert_null(e.sval);
        assert_true(e.lval == v);
        p = lp_next(lp, p);
    }
    assert_null(p);
    assert_true(lp_validate(lp, lp_bytes(lp), 1));
    lp_free(lp);
}

static void test_string_boundaries(void **state)
{
    (void)state;
    /* len, encoding header size, first byte, backlen size */
    struct {
        uint32_t len;
        size_t hdr;
        unsigned char first;
        size_t backlen;
    } cases[] = {
        {0, 1, 0x80, 1},     {1, 1, 0x81, 1},     {63, 1, 0xbf, 1},      {64, 2, 0xe0, 1},
        {126, 2, 0xe0, 2},   {4095, 2, 0xef, 2},  {4096, 5, 0xf0, 2},    {16377, 5, 0xf0, 2},
        {16378, 5, 0xf0, 3}, {70000, 5, 0xf0, 3}, {2097145, 5, 0xf0, 3}, {2097146, 5, 0xf0, 4},
    };
    size_t ncases = sizeof(cases) / sizeof(cases[0]);
    unsigned char *lp = lp_new(0);
    ref_entry ref[16];
    size_t expect_bytes = 7;
    for (size_t i = 0; i < ncases; i++) {
        uint32_t len = cases[i].len;
        unsigned char *s = malloc(len + 1);
        for (uint32_t j = 0; j < len; j++)
            s[j] = (unsigned char)('a' + (j * 7 + i) % 26);
        ref_set_str(&ref[i], s, len);
        assert_false(ref[i].is_int);
        size_t off = lp_bytes(lp) - 1;
        lp = lp_append(lp, s, len);
        size_t esize = cases[i].hdr + len + cases[i].backlen;
        expect_bytes += esize;
        assert_int_equal(lp_bytes(lp), expect_bytes);
        assert_int_equal(lp_entry_size_for(s, len), esize);
        assert_int_equal(lp[off], cases[i].first);
        /* backlen bytes: first with top bit clear, the rest set */
        const unsigned char *bl = lp + off + cases[i].hdr + len;
        assert_int_equal(bl[0] & 0x80, 0);
        for (size_t k = 1; k < cases[i].backlen; k++)
            assert_int_equal(bl[k] & 0x80, 0x80);
        free(s);
    }
    check_lp(lp, ref, ncases);
    /* backward from the end across the large entries */
    assert_int_equal(lp_seek(lp, -1)[0], 0xf0);
    ref_free(ref, ncases);
    lp_free(lp);
}

/* Backlen bytes checked against what Redis 7.0's DUMP produced for a hash
 * holding one field "k" and a value of n 'a's (listpack bytes at the end:
 * ... data, backlen, 0xFF). */
static void test_backlen_golden(void **state)
{
    (void)state;
    struct {
        uint32_t n;
        unsigned char hdr[5];
        size_t hdrlen;
        unsigned char backlen[3];
        size_t bllen;
    } cases[] = {
        {4095, {0xef, 0xff}, 2, {0x20, 0x81}, 2},
        {4096, {0xf0, 0x00, 0x10, 0x00, 0x00}, 5, {0x20, 0x85}, 2},
        {16377, {0xf0, 0xf9, 0x3f, 0x00, 0x00}, 5, {0x7f, 0xfe}, 2},
        {16378, {0xf0, 0xfa, 0x3f, 0x00, 0x00}, 5, {0x00, 0xff, 0xff}, 3},
        {70000, {0xf0, 0x70, 0x11, 0x01, 0x00}, 5, {0x04, 0xa2, 0xf5}, 3},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t n = cases[i].n;
        unsigned char *s = malloc(n);
        memset(s, 'a', n);
        unsigned char *lp = lp_new(0);
        lp = lp_append(lp, S("k"));
        lp = lp_append(lp, s, n);
        size_t total = 7 + 3 + cases[i].hdrlen + n + cases[i].bllen;
        assert_int_equal(lp_bytes(lp), total);
        assert_int_equal(lp[0], total & 0xff);
        assert_int_equal(lp[1], (total >> 8) & 0xff);
        assert_int_equal(lp[2], (total >> 16) & 0xff);
        assert_int_equal(lp[4], 2);
        static const unsigned char k[] = {0x81, 0x6b, 0x02};
        assert_memory_equal(lp + 6, k, 3);
        assert_memory_equal(lp + 9, cases[i].hdr, cases[i].hdrlen);
        assert_memory_equal(lp + 9 + cases[i].hdrlen, s, n);
        assert_memory_equal(lp + total - 1 - cases[i].bllen, cases[i].backlen, cases[i].bllen);
        assert_int_equal(lp[total - 1], 0xff);
        assert_true(lp_validate(lp, total, 1));
        lp_free(lp);
        free(s);
    }
}

static void test_canonical_integers(void **state)
{
    (void)state;
    const char *strings[] = {"007",
                             "-0",
                             " 1",
                             "1 ",
                             "+1",
                             "",
                             "-",
                             "00",
                             "0x10",
                             "1e3",
                             "9223372036854775808",
                             "-9223372036854775809",
                             "12345678901234567890",
                             "1.5",
                             "--1",
                             "١"};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        long long v;
        assert_false(lp_string_to_int(S(strings[i]), &v));
        unsigned char *lp = lp_new(0);
        lp = lp_append(lp, S(strings[i]));
        lp_entry e;
        lp_get(lp_first(lp), &e);
        assert_non_null(e.sval);
        assert_int_equal(e.slen, strlen(strings[i]));
        assert_true(lp_equal(lp_first(lp), S(strings[i])));
        lp_free(lp);
    }
    const char *ints[] = {"0",
                          "1",
                          "-1",
                          "127",
                          "128",
                          "-4096",
                          "9223372036854775807",
                          "-9223372036854775808",
                          "1234567890"};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        long long v;
        assert_true(lp_string_to_int(S(ints[i]), &v));
        unsigned char *lp = lp_new(0);
        lp = lp_append(lp, S(ints[i]));
        lp_entry e;
        lp_get(lp_first(lp), &e);
        assert_null(e.sval);
        assert_true(e.lval == v);
        assert_true(lp_equal(lp_first(lp), S(ints[i])));
        lp_free(lp);
    }
    /* an integer entry never equals a non-canonical spelling of itself */
    unsigned char *lp = lp_new(0);
    lp = lp_append_int(lp, 7);
    assert_true(lp_equal(lp_first(lp), S("7")));
    assert_false(lp_equal(lp_first(lp), S("07")));
    assert_false(lp_equal(lp_first(lp), S("+7")));
    assert_false(lp_equal(lp_first(lp), S("7 ")));
    assert_false(lp_equal(lp_first(lp), S("")));
    lp_free(lp);
    assert_true(lp_string_to_int(S("5"), NULL));
}

static void test_get_bytes(void **state)
{
    (void)state;
    unsigned char *lp = lp_new(0);
    lp = lp_append_int(lp, LLONG_MIN);
    lp = lp_append(lp, S("hello"));
    lp = lp_append(lp, (const unsigned char *)"a\0b\xff", 4);
    unsigned char buf[LP_INTBUF_SIZE];
    uint32_t len;
    const unsigned char *b = lp_get_bytes(lp_seek(lp, 0), buf, &len);
    assert_ptr_equal(b, buf);
    assert_int_equal(len, 20);
    assert_memory_equal(b, "-9223372036854775808", 20);
    b = lp_get_bytes(lp_seek(lp, 1), buf, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(b, "hello", 5);
    b = lp_get_bytes(lp_seek(lp, 2), buf, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(b, "a\0b\xff", 4);
    assert_true(lp_equal(lp_seek(lp, 2), (const unsigned char *)"a\0b\xff", 4));
    assert_false(lp_equal(lp_seek(lp, 2), (const unsigned char *)"a\0b\xfe", 4));
    assert_false(lp_equal(lp_seek(lp, 2), (const unsigned char *)"a\0b", 3));
    lp_free(lp);
}

/* ---- iteration ------------------------------------------------------------------ */

static void test_iterate_10000(void **state)
{
    (void)state;
    enum { N = 10000 };
    ref_entry *ref = calloc(N, sizeof(*ref));
    size_t need = 7;
    for (size_t i = 0; i < N; i++) {
        ref_random(&ref[i]);
        need += lp_entry_size_for(ref[i].s, ref[i].len);
    }
    /* sized up front: 10000 reallocations of a large block are slow under
     * ASan (the random edit test covers the growing path) */
    unsigned char *lp = lp_new(need);
    for (size_t i = 0; i < N; i++)
        lp = lp_append_ref(lp, &ref[i], (int)(i & 1));
    assert_int_equal(lp_bytes(lp), need);
    check_lp(lp, ref, N);
    /* seek, both signs, sampled */
    for (long i = 0; i < N; i += 37) {
        check_entry(lp_seek(lp, i), &ref[i]);
        check_entry(lp_seek(lp, i - N), &ref[i]);
    }
    check_entry(lp_seek(lp, N - 1), &ref[N - 1]);
    check_entry(lp_seek(lp, -1), &ref[N - 1]);
    check_entry(lp_seek(lp, -N), &ref[0]);
    assert_null(lp_seek(lp, N));
    assert_null(lp_seek(lp, -N - 1));
    assert_null(lp_seek(lp, LONG_MAX));
    assert_null(lp_seek(lp, LONG_MIN));

    /* the same entries prepended in reverse give the same bytes */
    unsigned char *lp2 = lp_new(need);
    for (size_t i = N; i-- > 0;)
        lp2 = lp_prepend(lp2, ref[i].s, ref[i].len);
    assert_int_equal(lp_bytes(lp2), lp_bytes(lp));
    assert_memory_equal(lp2, lp, lp_bytes(lp));
    lp_free(lp2);
    ref_free(ref, N);
    free(ref);
    lp_free(lp);
}

/* ---- insert / replace / delete -------------------------------------------- */

static void test_insert(void **state)
{
    (void)state;
    const char *init[] = {"a", "b", "c"};
    unsigned char *lp = lp_from_strings(init, 3);
    unsigned char *np;

    lp = lp_insert(lp, S("head"), lp_first(lp), LP_BEFORE, &np);
    assert_ptr_equal(np, lp_first(lp));
    lp = lp_insert(lp, S("tail"), lp_last(lp), LP_AFTER, &np);
    assert_ptr_equal(np, lp_last(lp));
    lp = lp_insert(lp, S("12"), lp_seek(lp, 2), LP_BEFORE, &np); /* before "b" */
    assert_ptr_equal(np, lp_seek(lp, 2));
    lp = lp_insert(lp, S("mid"), lp_seek(lp, 3), LP_AFTER, &np); /* after "b" */
    assert_ptr_equal(np, lp_seek(lp, 4));
    const char *e1[] = {"head", "a", "12", "b", "mid", "c", "tail"};
    check_strings(lp, e1, 7);

    /* replace: same size, bigger, smaller, string->int, int->string */
    unsigned char *p = lp_seek(lp, 1);
    lp = lp_insert(lp, S("A"), p, LP_REPLACE, &np);
    assert_ptr_equal(np, lp_seek(lp, 1));
    p = lp_seek(lp, 0);
    lp = lp_replace(lp, &p, S("a much longer head element than before, over 63 bytes long....."));
    assert_ptr_equal(p, lp_first(lp));
    p = lp_seek(lp, -1);
    lp = lp_replace(lp, &p, S("t"));
    assert_ptr_equal(p, lp_last(lp));
    p = lp_seek(lp, 2);
    lp = lp_replace(lp, &p, S("hello"));
    p = lp_seek(lp, 3);
    lp = lp_replace_int(lp, &p, -123456789012LL);
    assert_ptr_equal(p, lp_seek(lp, 3));
    p = lp_seek(lp, 4);
    lp = lp_replace_int(lp, &p, 5);
    const char *e2[] = {"a much longer head element than before, over 63 bytes long.....",
                        "A",
                        "hello",
                        "-123456789012",
                        "5",
                        "c",
                        "t"};
    check_strings(lp, e2, 7);

    /* insert with NULL p appends */
    lp = lp_insert(lp, S("end"), NULL, LP_BEFORE, &np);
    assert_ptr_equal(np, lp_last(lp));
    assert_int_equal(lp_length(lp), 8);

    /* inserting a copy of an entry's own bytes (source inside the listpack) */
    p = lp_first(lp);
    lp_entry e;
    lp_get(p, &e);
    lp = lp_insert(lp, e.sval, e.slen, lp_last(lp), LP_AFTER, &np);
    p = lp_first(lp);
    lp_get(p, &e);
    lp = lp_replace(lp, &p, e.sval + 2, 20);
    const char *e3[] = {
        "much longer head ele", "A", "hello", "-123456789012", "5", "c", "t", "end", e2[0]};
    check_strings(lp, e3, 9);
    lp_free(lp);

    /* replacing across size classes keeps neighbours intact */
    lp = lp_new(0);
    lp = lp_append(lp, S("x"));
    lp = lp_append(lp, S("y"));
    lp = lp_append(lp, S("z"));
    unsigned char *big = malloc(70000);
    memset(big, 'q', 70000);
    p = lp_seek(lp, 1);
    lp = lp_replace(lp, &p, big, 70000);
    p = lp_seek(lp, 1);
    lp_get(p, &e);
    assert_int_equal(e.slen, 70000);
    lp = lp_replace(lp, &p, S("y"));
    const char *e4[] = {"x", "y", "z"};
    check_strings(lp, e4, 3);
    free(big);
    lp_free(lp);
}

static void test_delete(void **state)
{
    (void)state;
    const char *init[] = {"0", "1", "two", "3", "four", "5", "6", "seven", "8", "9"};
    unsigned char *lp = lp_from_strings(init, 10);
    unsigned char *np;

    lp = lp_delete(lp, lp_first(lp), &np); /* head */
    assert_ptr_equal(np, lp_first(lp));
    lp = lp_delete(lp, lp_last(lp), &np); /* tail */
    assert_null(np);
    lp = lp_delete(lp, lp_seek(lp, 3), &np); /* "four" */
    assert_ptr_equal(np, lp_seek(lp, 3));
    assert_true(lp_equal(np, S("5")));
    const char *e1[] = {"1", "two", "3", "5", "6", "seven", "8"};
    check_strings(lp, e1, 7);
    lp = lp_delete(lp, NULL, &np);
    assert_null(np);
    lp_free(lp);

    /* ranges by index */
    lp = lp_from_strings(init, 10);
    lp = lp_delete_range(lp, 0, 2); /* head */
    const char *e2[] = {"two", "3", "four", "5", "6", "seven", "8", "9"};
    check_strings(lp, e2, 8);
    lp = lp_delete_range(lp, 2, 3); /* middle */
    const char *e3[] = {"two", "3", "seven", "8", "9"};
    check_strings(lp, e3, 5);
    lp = lp_delete_range(lp, -2, 100); /* tail, count past the end */
    const char *e4[] = {"two", "3", "seven"};
    check_strings(lp, e4, 3);
    lp = lp_delete_range(lp, 5, 1); /* out of range: nothing */
    lp = lp_delete_range(lp, -4, 1);
    lp = lp_delete_range(lp, 0, 0);
    check_strings(lp, e4, 3);
    lp = lp_delete_range(lp, -3, 3);
    assert_int_equal(lp_length(lp), 0);
    assert_int_equal(lp_bytes(lp), 7);
    assert_true(lp_validate(lp, 7, 1));
    lp_free(lp);

    /* ranges at a position */
    lp = lp_from_strings(init, 10);
    unsigned char *p = lp_seek(lp, 4);
    lp = lp_delete_range_at(lp, &p, 2);
    assert_true(lp_equal(p, S("6")));
    const char *e5[] = {"0", "1", "two", "3", "6", "seven", "8", "9"};
    check_strings(lp, e5, 8);
    p = lp_first(lp);
    lp = lp_delete_range_at(lp, &p, 1);
    assert_ptr_equal(p, lp_first(lp));
    p = lp_seek(lp, -2);
    lp = lp_delete_range_at(lp, &p, 5);
    assert_null(p);
    const char *e6[] = {"1", "two", "3", "6", "seven"};
    check_strings(lp, e6, 5);
    p = lp_first(lp);
    lp = lp_delete_range_at(lp, &p, 0);
    check_strings(lp, e6, 5);
    lp = lp_delete_range_at(lp, &p, 99);
    assert_null(p);
    assert_int_equal(lp_length(lp), 0);
    lp_free(lp);
}

/* Random edits against the reference model: inserts, replaces, deletes and
 * range deletes anywhere, checked after every step on a small list and at
 * the end on a big one. */
static void test_random_edits(void **state)
{
    (void)state;
    enum { MAXN = 600 };
    ref_entry *ref = calloc(MAXN + 10, sizeof(*ref));
    size_t n = 0;
    unsigned char *lp = lp_new(0);
    for (int step = 0; step < 3000; step++) {
        unsigned op = (unsigned)(rng() % 6);
        if (n == 0 || (n < MAXN && op < 2)) {
            ref_entry r;
            ref_random(&r);
            size_t at = n ? (size_t)(rng() % (n + 1)) : 0;
            unsigned char *np;
            if (at == n) {
                lp = lp_insert(lp, r.s, r.len, n ? lp_last(lp) : NULL, LP_AFTER, &np);
            } else {
                lp = lp_insert(lp, r.s, r.len, lp_seek(lp, (long)at), LP_BEFORE, &np);
            }
            assert_ptr_equal(np, lp_seek(lp, (long)at));
            memmove(&ref[at + 1], &ref[at], (n - at) * sizeof(*ref));
            ref[at] = r;
            n++;
        } else if (op == 2) {
            ref_entry r;
            ref_random(&r);
            size_t at = (size_t)(rng() % n);
            unsigned char *p = lp_seek(lp, (long)at - (long)n);
            if (r.is_int && rng() % 2)
                lp = lp_replace_int(lp, &p, r.v);
            else
                lp = lp_replace(lp, &p, r.s, r.len);
            assert_ptr_equal(p, lp_seek(lp, (long)at));
            free(ref[at].s);
            ref[at] = r;
        } else if (op == 3) {
            size_t at = (size_t)(rng() % n);
            unsigned char *np;
            lp = lp_delete(lp, lp_seek(lp, (long)at), &np);
            free(ref[at].s);
            memmove(&ref[at], &ref[at + 1], (n - at - 1) * sizeof(*ref));
            n--;
            assert_ptr_equal(np, at < n ? lp_seek(lp, (long)at) : NULL);
        } else if (op == 4) {
            size_t at = (size_t)(rng() % n);
            size_t cnt = (size_t)(rng() % 5);
            lp = lp_delete_range(lp, (long)at, cnt);
            size_t real = cnt > n - at ? n - at : cnt;
            ref_free(&ref[at], real);
            memmove(&ref[at], &ref[at + real], (n - at - real) * sizeof(*ref));
            n -= real;
        } else {
            size_t at = (size_t)(rng() % (n + 1));
            ref_entry r;
            ref_random(&r);
            if (at == n) {
                lp = lp_append(lp, r.s, r.len);
            } else {
                lp = lp_insert(lp, r.s, r.len, lp_seek(lp, (long)at), LP_BEFORE, NULL);
            }
            memmove(&ref[at + 1], &ref[at], (n - at) * sizeof(*ref));
            ref[at] = r;
            n++;
        }
        if (n < 40 || step % 100 == 0)
            check_lp(lp, ref, n);
    }
    check_lp(lp, ref, n);
    ref_free(ref, n);
    free(ref);
    lp_free(lp);
}

static void test_seek_negative(void **state)
{
    (void)state;
    const char *init[] = {"a", "b", "c", "d", "e"};
    unsigned char *lp = lp_from_strings(init, 5);
    for (long i = 0; i < 5; i++) {
        assert_true(lp_equal(lp_seek(lp, i), S(init[i])));
        assert_true(lp_equal(lp_seek(lp, i - 5), S(init[i])));
    }
    assert_null(lp_seek(lp, 5));
    assert_null(lp_seek(lp, -6));
    lp_free(lp);
}

static void test_find(void **state)
{
    (void)state;
    /* a hash as field/value pairs, with values equal to other fields */
    const char *pairs[] = {"name", "age", "age", "42", "42",   "name", "007", "x",
                           "-5",   "",    "",    "z",  "long", "v",    "7",   "8"};
    unsigned char *lp = lp_from_strings(pairs, 16);

    /* skip 1: fields only */
    unsigned char *p = lp_find(lp, lp_first(lp), S("age"), 1);
    assert_ptr_equal(p, lp_seek(lp, 2));
    p = lp_find(lp, lp_first(lp), S("42"), 1);
    assert_ptr_equal(p, lp_seek(lp, 4));
    p = lp_find(lp, lp_first(lp), S("name"), 1);
    assert_ptr_equal(p, lp_seek(lp, 0));
    p = lp_find(lp, lp_first(lp), S("007"), 1);
    assert_ptr_equal(p, lp_seek(lp, 6));
    p = lp_find(lp, lp_first(lp), S("7"), 1);
    assert_ptr_equal(p, lp_seek(lp, 14));
    p = lp_find(lp, lp_first(lp), S("-5"), 1);
    assert_ptr_equal(p, lp_seek(lp, 8));
    p = lp_find(lp, lp_first(lp), S(""), 1);
    assert_ptr_equal(p, lp_seek(lp, 10));
    assert_null(lp_find(lp, lp_first(lp), S("x"), 1));  /* only a value */
    assert_null(lp_find(lp, lp_first(lp), S("8"), 1));  /* only a value */
    assert_null(lp_find(lp, lp_first(lp), S("07"), 1)); /* not canonical, no such string */
    assert_null(lp_find(lp, lp_first(lp), S("+7"), 1));
    assert_null(lp_find(lp, lp_first(lp), S("nope"), 1));
    /* values by starting at the first value */
    p = lp_find(lp, lp_seek(lp, 1), S("x"), 1);
    assert_ptr_equal(p, lp_seek(lp, 7));
    p = lp_find(lp, lp_seek(lp, 1), S("8"), 1);
    assert_ptr_equal(p, lp_seek(lp, 15));

    /* skip 0: every entry */
    p = lp_find(lp, lp_first(lp), S("x"), 0);
    assert_ptr_equal(p, lp_seek(lp, 7));
    p = lp_find(lp, lp_first(lp), S("age"), 0);
    assert_ptr_equal(p, lp_seek(lp, 1));
    p = lp_find(lp, lp_seek(lp, 2), S("age"), 0);
    assert_ptr_equal(p, lp_seek(lp, 2));
    p = lp_find(lp, lp_seek(lp, 3), S("age"), 0);
    assert_null(p);
    p = lp_find(lp, lp_first(lp), S("42"), 0);
    assert_ptr_equal(p, lp_seek(lp, 3));
    p = lp_find(lp, lp_first(lp), S("8"), 0);
    assert_ptr_equal(p, lp_seek(lp, 15));
    assert_null(lp_find(lp, NULL, S("8"), 0));
    lp_free(lp);

    /* integers of every width found by text; big strings skipped */
    lp = lp_new(0);
    long long vals[] = {1, -1, 300, -5000, 70000, -9000000, 3000000000LL, LLONG_MIN, LLONG_MAX};
    unsigned char *big = malloc(5000);
    memset(big, 'b', 5000);
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        lp = lp_append(lp, big, 5000);
        lp = lp_append_int(lp, vals[i]);
    }
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%lld", vals[i]);
        p = lp_find(lp, lp_first(lp), S(buf), 0);
        assert_ptr_equal(p, lp_seek(lp, (long)(2 * i + 1)));
        assert_null(lp_find(lp, lp_first(lp), S(buf), 1));
        assert_ptr_equal(lp_find(lp, lp_seek(lp, 1), S(buf), 1), p);
    }
    p = lp_find(lp, lp_first(lp), big, 5000, 1);
    assert_ptr_equal(p, lp_first(lp));
    p = lp_find(lp, lp_seek(lp, 1), big, 5000, 0);
    assert_ptr_equal(p, lp_seek(lp, 2));
    assert_null(lp_find(lp, lp_first(lp), big, 4999, 0));
    free(big);
    lp_free(lp);
}

static void test_saturation(void **state)
{
    (void)state;
    enum { N = 70000 };
    /* the capacity hint avoids 70000 reallocations (slow under ASan) */
    unsigned char *lp = lp_new((size_t)N * 4);
    for (long i = 0; i < N; i++) {
        if (i % 3 == 0)
            lp = lp_append_int(lp, i);
        else
            lp = lp_append(lp, S("s"));
        if (i == 65533) {
            assert_int_equal(lp[4] | (lp[5] << 8), 65534);
        }
    }
    assert_int_equal(lp[4], 0xff);
    assert_int_equal(lp[5], 0xff);
    assert_int_equal(lp_length(lp), N);
    assert_true(lp_validate(lp, lp_bytes(lp), 1));
    assert_int_equal(lp_length(lp), N);
    /* seek works without a known count */
    lp_entry e;
    lp_get(lp_seek(lp, 69998), &e);
    assert_true(e.sval && e.slen == 1);
    lp_get(lp_seek(lp, -2), &e);
    assert_true(e.sval && e.slen == 1);
    lp_get(lp_seek(lp, -1), &e);
    assert_null(e.sval);
    assert_int_equal(e.lval, 69999);
    lp_get(lp_seek(lp, -70000), &e);
    assert_null(e.sval);
    assert_int_equal(e.lval, 0);
    lp_get(lp_seek(lp, 3), &e);
    assert_int_equal(e.lval, 3);
    assert_null(lp_seek(lp, N));
    assert_null(lp_seek(lp, -N - 1));
    /* delete below the limit: still right, and the header catches up */
    lp = lp_delete_range(lp, 0, 6000);
    assert_int_equal(lp_length(lp), N - 6000);
    assert_int_equal(lp[4] | (lp[5] << 8), N - 6000);
    assert_true(lp_validate(lp, lp_bytes(lp), 1));
    lp = lp_delete(lp, lp_first(lp), NULL);
    assert_int_equal(lp[4] | (lp[5] << 8), N - 6001);
    assert_int_equal(lp_length(lp), N - 6001);
    lp_free(lp);
}

/* ---- golden blobs -------------------------------------------------------- */

/* These come from Redis 7.0's DUMP (redis-server 7.0.15, rdbcompression no):
 * the payload after the type byte (16 = hash listpack, 17 = zset listpack,
 * 18 = quicklist 2 whose node is a packed listpack) is a length-prefixed
 * string holding the listpack, copied here as is. */

/* HSET h a 1 b hello */
static const unsigned char golden_h1[] = {0x16, 0x00, 0x00, 0x00, 0x04, 0x00, 0x81, 0x61,
                                          0x02, 0x01, 0x01, 0x81, 0x62, 0x02, 0x85, 0x68,
                                          0x65, 0x6c, 0x6c, 0x6f, 0x06, 0xff};

/* ZADD z 1 one 2.5 two -3 three (entries in score order) */
static const unsigned char golden_z1[] = {0x22, 0x00, 0x00, 0x00, 0x06, 0x00, 0x85, 0x74, 0x68,
                                          0x72, 0x65, 0x65, 0x06, 0xdf, 0xfd, 0x02, 0x83, 0x6f,
                                          0x6e, 0x65, 0x04, 0x01, 0x01, 0x83, 0x74, 0x77, 0x6f,
                                          0x04, 0x83, 0x32, 0x2e, 0x35, 0x04, 0xff};

/* HSET h f -1 g 4095 h -4096 i 4096 j -32769 k 8388608 l 2147483648
 *        m -9223372036854775808 n 007 o -0 p " 1" q "" r <63 x> s <64 y>
 *        t 127 u 128 v 9223372036854775807 */
static const unsigned char golden_h2_head[] = {
    0x08, 0x01, 0x00, 0x00, 0x22, 0x00, 0x81, 0x66, 0x02, 0xdf, 0xff, 0x02, 0x81, 0x67, 0x02,
    0xcf, 0xff, 0x02, 0x81, 0x68, 0x02, 0xd0, 0x00, 0x02, 0x81, 0x69, 0x02, 0xf1, 0x00, 0x10,
    0x03, 0x81, 0x6a, 0x02, 0xf2, 0xff, 0x7f, 0xff, 0x04, 0x81, 0x6b, 0x02, 0xf3, 0x00, 0x00,
    0x80, 0x00, 0x05, 0x81, 0x6c, 0x02, 0xf4, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x09, 0x81, 0x6d, 0x02, 0xf4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x09, 0x81,
    0x6e, 0x02, 0x83, 0x30, 0x30, 0x37, 0x04, 0x81, 0x6f, 0x02, 0x82, 0x2d, 0x30, 0x03, 0x81,
    0x70, 0x02, 0x82, 0x20, 0x31, 0x03, 0x81, 0x71, 0x02, 0x80, 0x01, 0x81, 0x72, 0x02, 0xbf};
/* then 63 'x', 0x40, 0x81 0x73 0x02 0xe0 0x40, 64 'y', then: */
static const unsigned char golden_h2_tail[] = {0x42, 0x81, 0x74, 0x02, 0x7f, 0x01, 0x81, 0x75, 0x02,
                                               0xc0, 0x80, 0x02, 0x81, 0x76, 0x02, 0xf4, 0xff, 0xff,
                                               0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x09, 0xff};

/* RPUSH l a 1 -1 <"zz" x 100> 12345678901234567890: the one quicklist node */
static const unsigned char golden_l1_head[] = {0xf1, 0x00, 0x00, 0x00, 0x05, 0x00, 0x81, 0x61,
                                               0x02, 0x01, 0x01, 0xdf, 0xff, 0x02, 0xe0, 0xc8};
/* then 200 'z', then: */
static const unsigned char golden_l1_tail[] = {0x01, 0xca, 0x94, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36,
                                               0x37, 0x38, 0x39, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
                                               0x36, 0x37, 0x38, 0x39, 0x30, 0x15, 0xff};

static void test_golden(void **state)
{
    (void)state;
    unsigned char *lp = lp_new(0);
    lp = lp_append(lp, S("a"));
    lp = lp_append(lp, S("1"));
    lp = lp_append(lp, S("b"));
    lp = lp_append(lp, S("hello"));
    assert_int_equal(lp_bytes(lp), sizeof(golden_h1));
    assert_memory_equal(lp, golden_h1, sizeof(golden_h1));
    assert_true(lp_validate(golden_h1, sizeof(golden_h1), 1));
    lp_free(lp);

    lp = lp_new(0);
    lp = lp_append(lp, S("three"));
    lp = lp_append(lp, S("-3"));
    lp = lp_append(lp, S("one"));
    lp = lp_append_int(lp, 1);
    lp = lp_append(lp, S("two"));
    lp = lp_append(lp, S("2.5"));
    assert_int_equal(lp_bytes(lp), sizeof(golden_z1));
    assert_memory_equal(lp, golden_z1, sizeof(golden_z1));
    lp_free(lp);
    /* and built out of order with inserts */
    lp = lp_new(0);
    lp = lp_append(lp, S("one"));
    lp = lp_append(lp, S("1"));
    unsigned char *np;
    lp = lp_insert(lp, S("three"), lp_first(lp), LP_BEFORE, &np);
    lp = lp_insert(lp, S("-3"), np, LP_AFTER, &np);
    lp = lp_insert(lp, S("two"), lp_last(lp), LP_AFTER, &np);
    lp = lp_insert(lp, S("2.5"), np, LP_AFTER, NULL);
    assert_memory_equal(lp, golden_z1, sizeof(golden_z1));
    lp_free(lp);

    const char *h2[] = {
        "f", "-1",     "g", "4095",    "h", "-4096",      "i", "4096",
        "j", "-32769", "k", "8388608", "l", "2147483648", "m", "-9223372036854775808",
        "n", "007",    "o", "-0",      "p", " 1",         "q", ""};
    lp = lp_from_strings(h2, sizeof(h2) / sizeof(h2[0]));
    char x63[64], y64[65];
    memset(x63, 'x', 63);
    x63[63] = 0;
    memset(y64, 'y', 64);
    y64[64] = 0;
    lp = lp_append(lp, S("r"));
    lp = lp_append(lp, S(x63));
    lp = lp_append(lp, S("s"));
    lp = lp_append(lp, S(y64));
    const char *h2b[] = {"t", "127", "u", "128", "v", "9223372036854775807"};
    for (size_t i = 0; i < 6; i++)
        lp = lp_append(lp, S(h2b[i]));
    unsigned char expect[264];
    size_t o = 0;
    memcpy(expect, golden_h2_head, sizeof(golden_h2_head));
    o += sizeof(golden_h2_head);
    memset(expect + o, 'x', 63);
    o += 63;
    static const unsigned char mid[] = {0x40, 0x81, 0x73, 0x02, 0xe0, 0x40};
    memcpy(expect + o, mid, sizeof(mid));
    o += sizeof(mid);
    memset(expect + o, 'y', 64);
    o += 64;
    memcpy(expect + o, golden_h2_tail, sizeof(golden_h2_tail));
    o += sizeof(golden_h2_tail);
    assert_int_equal(o, 264);
    assert_int_equal(lp_bytes(lp), 264);
    assert_memory_equal(lp, expect, 264);
    assert_true(lp_validate(expect, 264, 1));
    /* find on the golden hash: fields by skip 1 */
    assert_ptr_equal(lp_find(lp, lp_first(lp), S("v"), 1), lp_seek(lp, -2));
    assert_ptr_equal(lp_find(lp, lp_seek(lp, 1), S("-0"), 1), lp_seek(lp, 19));
    lp_free(lp);

    lp = lp_new(0);
    lp = lp_append(lp, S("a"));
    lp = lp_append(lp, S("1"));
    lp = lp_append(lp, S("-1"));
    char z200[201];
    memset(z200, 'z', 200);
    z200[200] = 0;
    lp = lp_append(lp, S(z200));
    lp = lp_append(lp, S("12345678901234567890"));
    unsigned char expect_l[241];
    memcpy(expect_l, golden_l1_head, sizeof(golden_l1_head));
    memset(expect_l + sizeof(golden_l1_head), 'z', 200);
    memcpy(expect_l + sizeof(golden_l1_head) + 200, golden_l1_tail, sizeof(golden_l1_tail));
    assert_int_equal(lp_bytes(lp), 241);
    assert_memory_equal(lp, expect_l, 241);
    lp_free(lp);
}

/* ---- validation ---------------------------------------------------------- */

/* Everything a validated listpack allows: walk both ways and read each
 * entry.  Run on whatever lp_validate accepted, so ASan sees the reads. */
static void exercise(unsigned char *lp)
{
    unsigned long n = 0;
    unsigned char buf[LP_INTBUF_SIZE];
    uint32_t len;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
        lp_get_bytes(p, buf, &len);
        n++;
    }
    unsigned long m = 0;
    for (unsigned char *p = lp_last(lp); p; p = lp_prev(lp, p)) {
        lp_get_bytes(p, buf, &len);
        m++;
    }
    assert_int_equal(n, m);
    assert_int_equal(lp_length(lp), n);
    (void)lp_find(lp, lp_first(lp), S("hello"), 1);
    (void)lp_find(lp, lp_first(lp), S("5"), 0);
}

static unsigned char *sample_lp(int which)
{
    unsigned char *lp = lp_new(0);
    switch (which) {
    case 0:
        lp = lp_append(lp, S("a"));
        lp = lp_append(lp, S("1"));
        lp = lp_append(lp, S("b"));
        lp = lp_append(lp, S("hello"));
        lp = lp_append_int(lp, -300);
        lp = lp_append_int(lp, 70000);
        lp = lp_append_int(lp, 1LL << 40);
        lp = lp_append_int(lp, -5);
        break;
    case 1: {
        char s[200];
        memset(s, 'm', sizeof(s));
        lp = lp_append(lp, (unsigned char *)s, 150);
        lp = lp_append_int(lp, 5000000);
        lp = lp_append(lp, S(""));
        break;
    }
    default: {
        unsigned char *big = malloc(4200);
        memset(big, 'B', 4200);
        lp = lp_append(lp, big, 4200);
        lp = lp_append_int(lp, 12);
        free(big);
        break;
    }
    }
    return lp;
}

static int validate_copy(const unsigned char *src, size_t size, int deep)
{
    /* exact-size heap copy so ASan flags any read past the end */
    unsigned char *c = malloc(size ? size : 1);
    memcpy(c, src, size);
    int ok = lp_validate(c, size, deep);
    if (ok && deep)
        exercise(c);
    free(c);
    return ok;
}

static void test_validate_truncations(void **state)
{
    (void)state;
    for (int w = 0; w < 3; w++) {
        unsigned char *lp = sample_lp(w);
        size_t size = lp_bytes(lp);
        assert_true(validate_copy(lp, size, 1));
        assert_true(validate_copy(lp, size, 0));
        for (size_t cut = 0; cut < size; cut++) {
            /* as is: the header disagrees with the size */
            assert_false(validate_copy(lp, cut, 1));
            assert_false(validate_copy(lp, cut, 0));
            /* with the header and terminator patched to the cut size, only
             * a cut right at an entry boundary could pass, and then the
             * count check fails */
            if (cut >= 7) {
                unsigned char *c = malloc(cut);
                memcpy(c, lp, cut);
                c[0] = (unsigned char)(cut & 0xff);
                c[1] = (unsigned char)((cut >> 8) & 0xff);
                c[2] = (unsigned char)((cut >> 16) & 0xff);
                c[3] = 0;
                c[cut - 1] = 0xff;
                assert_true(validate_copy(c, cut, 0));
                assert_false(validate_copy(c, cut, 1));
                /* with an unknown count some may pass, but never crash */
                c[4] = c[5] = 0xff;
                (void)validate_copy(c, cut, 1);
                free(c);
            }
        }
        /* unknown count is accepted */
        unsigned char *c = malloc(size);
        memcpy(c, lp, size);
        c[4] = c[5] = 0xff;
        assert_true(validate_copy(c, size, 1));
        c[4] = 0x01;
        c[5] = 0x00;
        assert_false(validate_copy(c, size, 1));
        assert_true(validate_copy(c, size, 0));
        /* trailing garbage after the terminator */
        free(c);
        c = malloc(size + 1);
        memcpy(c, lp, size);
        c[size] = 0xff;
        assert_false(validate_copy(c, size + 1, 1));
        free(c);
        lp_free(lp);
    }
    assert_false(lp_validate(NULL, 0, 1));
}

static void test_validate_flips(void **state)
{
    (void)state;
    size_t accepted = 0, rejected = 0;
    for (int w = 0; w < 3; w++) {
        unsigned char *lp = sample_lp(w);
        size_t size = lp_bytes(lp);
        unsigned char *c = malloc(size);
        /* large sample: flip only around the structural bytes */
        for (size_t off = 0; off < size; off++) {
            if (w == 2 && off > 20 && off < size - 20)
                continue;
            for (int x = 1; x < 256; x++) {
                memcpy(c, lp, size);
                c[off] ^= (unsigned char)x;
                if (validate_copy(c, size, 1))
                    accepted++;
                else
                    rejected++;
            }
        }
        free(c);
        lp_free(lp);
    }
    assert_true(rejected > 0);
    assert_true(accepted > 0); /* flips inside string data stay valid */
}

static void test_validate_random(void **state)
{
    (void)state;
    /* random bytes behind a consistent header, every size up to 64 */
    for (int round = 0; round < 20000; round++) {
        size_t size = 7 + (size_t)(rng() % 58);
        unsigned char *c = malloc(size);
        for (size_t i = 0; i < size; i++)
            c[i] = (unsigned char)rng();
        c[0] = (unsigned char)size;
        c[1] = c[2] = c[3] = 0;
        if (rng() % 2)
            c[4] = c[5] = 0xff;
        c[size - 1] = 0xff;
        (void)validate_copy(c, size, 1);
        free(c);
    }
    /* every validated random edit result passes; huge length fields fail */
    static const unsigned char huge[] = {0x0d, 0,    0,    0,    1,    0,   0xf0,
                                         0xff, 0xff, 0xff, 0xff, 0x00, 0xff};
    assert_false(validate_copy(huge, sizeof(huge), 1));
    static const unsigned char bad_enc[] = {0x09, 0, 0, 0, 1, 0, 0xf5, 0x01, 0xff};
    assert_false(validate_copy(bad_enc, sizeof(bad_enc), 1));
    static const unsigned char early_eof[] = {0x0a, 0, 0, 0, 1, 0, 0xff, 0x01, 0x02, 0xff};
    assert_false(validate_copy(early_eof, sizeof(early_eof), 1));
    /* backlen that decodes to the right value but is too long */
    static const unsigned char long_bl[] = {0x0a, 0, 0, 0, 1, 0, 0x05, 0x00, 0x81, 0xff};
    assert_false(validate_copy(long_bl, sizeof(long_bl), 1));
    static const unsigned char ok1[] = {0x09, 0, 0, 0, 1, 0, 0x05, 0x01, 0xff};
    assert_true(validate_copy(ok1, sizeof(ok1), 1));
    static const unsigned char wrong_bl[] = {0x09, 0, 0, 0, 1, 0, 0x05, 0x02, 0xff};
    assert_false(validate_copy(wrong_bl, sizeof(wrong_bl), 1));
}

static void test_entry_size_for(void **state)
{
    (void)state;
    assert_int_equal(lp_entry_size_for(S("")), 2);
    assert_int_equal(lp_entry_size_for(S("hello")), 7);
    assert_int_equal(lp_entry_size_for(S("100")), 2);
    assert_int_equal(lp_entry_size_for(S("1000")), 3);
    assert_int_equal(lp_entry_size_for(S("100000")), 5);
    assert_int_equal(lp_entry_size_for(S("0100000")), 9);
    /* matches what an append adds */
    for (int i = 0; i < 200; i++) {
        ref_entry r;
        ref_random(&r);
        unsigned char *lp = lp_new(0);
        lp = lp_append(lp, r.s, r.len);
        assert_int_equal(lp_bytes(lp) - 7, lp_entry_size_for(r.s, r.len));
        lp_free(lp);
        free(r.s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_int_boundaries),
        cmocka_unit_test(test_string_boundaries),
        cmocka_unit_test(test_backlen_golden),
        cmocka_unit_test(test_canonical_integers),
        cmocka_unit_test(test_get_bytes),
        cmocka_unit_test(test_iterate_10000),
        cmocka_unit_test(test_insert),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_random_edits),
        cmocka_unit_test(test_seek_negative),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_saturation),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_validate_truncations),
        cmocka_unit_test(test_validate_flips),
        cmocka_unit_test(test_validate_random),
        cmocka_unit_test(test_entry_size_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
