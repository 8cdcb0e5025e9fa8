/* test_util: unit tests for common/util.c: Redis-strict number parsing and
 * formatting, memory units, glob matching (including the quirks Redis 7.0
 * has, checked by hand against redis-server), CRC64, clocks, randomness. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* ---- string -> integer ---------------------------------------------------- */

static int ll_ok(const char *s, long long *v)
{
    return util_str2ll(s, strlen(s), v);
}

static void test_str2ll_valid(void **state)
{
    long long v;
    assert_true(ll_ok("0", &v));
    assert_int_equal(v, 0);
    assert_true(ll_ok("1", &v));
    assert_int_equal(v, 1);
    assert_true(ll_ok("-1", &v));
    assert_int_equal(v, -1);
    assert_true(ll_ok("1234567890", &v));
    assert_int_equal(v, 1234567890LL);
    assert_true(ll_ok("9223372036854775807", &v));
    assert_true(v == LLONG_MAX);
    assert_true(ll_ok("-9223372036854775808", &v));
    assert_true(v == LLONG_MIN);
    assert_true(util_str2ll("12", 2, NULL));   /* out may be NULL */
    assert_true(util_str2ll("123abc", 3, &v)); /* only len bytes are read */
    assert_int_equal(v, 123);
}

static void test_str2ll_invalid(void **state)
{
    long long v = 42;
    const char *bad[] = {
        "",
        "-",
        "-0",
        "007",
        "00",
        " 1",
        "1 ",
        "+1",
        "1a",
        "a1",
        "0x10",
        "1.0",
        "1e3",
        "--1",
        "- 1",
        "\t1",
        "1\n",
        "-00",
        "01",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "99999999999999999999",
        "123456789012345678901", /* 21 bytes: longer than any valid one */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ll_ok(bad[i], &v))
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(v, 42);                 /* untouched on failure */
    assert_false(util_str2ll("1\0", 2, &v)); /* binary: an embedded NUL */
    assert_false(util_str2ll(NULL, 0, &v));
}

static void test_str2ull(void **state)
{
    unsigned long long v;
    assert_true(util_str2ull("0", 1, &v));
    assert_true(v == 0);
    assert_true(util_str2ull("18446744073709551615", 20, &v));
    assert_true(v == ULLONG_MAX);
    assert_false(util_str2ull("18446744073709551616", 20, &v));
    assert_false(util_str2ull("99999999999999999999", 20, &v));
    assert_false(util_str2ull("-1", 2, &v));
    assert_false(util_str2ull("-0", 2, &v));
    assert_false(util_str2ull("01", 2, &v));
    assert_false(util_str2ull("+1", 2, &v));
    assert_false(util_str2ull("", 0, &v));
    assert_false(util_str2ull(" 1", 2, &v));
}

/* ---- integer -> string ---------------------------------------------------- */

static void check_ll2str(long long v)
{
    char got[LL_STR_SIZE], want[64];
    int n = util_ll2str(got, sizeof(got), v);
    int m = snprintf(want, sizeof(want), "%lld", v);
    assert_int_equal(n, m);
    assert_string_equal(got, want);
    long long back;
    assert_true(util_str2ll(got, (size_t)n, &back));
    assert_true(back == v);
}

static void test_ll2str(void **state)
{
    long long fixed[] = {0,
                         1,
                         -1,
                         9,
                         10,
                         -10,
                         99,
                         100,
                         101,
                         999,
                         1000,
                         12345,
                         -99999,
                         LLONG_MAX,
                         LLONG_MIN,
                         LLONG_MAX - 1,
                         LLONG_MIN + 1,
                         1000000000000000000LL,
                         -1000000000000000000LL};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        check_ll2str(fixed[i]);
    /* Every power of ten and its neighbours: digit-count boundaries. */
    long long p = 1;
    for (int i = 0; i < 18; i++, p *= 10) {
        check_ll2str(p - 1);
        check_ll2str(p);
        check_ll2str(p + 1);
        check_ll2str(-p);
    }
    srand(1);
    for (int i = 0; i < 10000; i++) {
        long long v = (long long)(((unsigned long long)rand() << 33) ^
                                  ((unsigned long long)rand() << 11) ^ (unsigned long long)rand());
        check_ll2str(i & 1 ? v : -v);
        check_ll2str(v % 1000);
    }
}

static void test_ll2str_small_buffer(void **state)
{
    char b[LL_STR_SIZE];
    assert_int_equal(util_ll2str(b, 3, 123), 0); /* needs 4 with the NUL */
    assert_int_equal(util_ll2str(b, 4, 123), 3);
    assert_string_equal(b, "123");
    assert_int_equal(util_ll2str(b, 4, -123), 0);
    assert_int_equal(util_ll2str(b, 1, -1), 0);
    assert_int_equal(util_ll2str(b, 0, 0), 0);
    assert_int_equal(util_ll2str(b, sizeof(b), LLONG_MIN), 20);
    assert_int_equal(util_ll2str(b, 20, LLONG_MIN), 0);
}

static void test_ull2str(void **state)
{
    char b[LL_STR_SIZE];
    assert_int_equal(util_ull2str(b, sizeof(b), ULLONG_MAX), 20);
    assert_string_equal(b, "18446744073709551615");
    assert_int_equal(util_ull2str(b, sizeof(b), 0), 1);
    assert_string_equal(b, "0");
    assert_int_equal(util_ull2str(b, 20, ULLONG_MAX), 0);
}

/* ---- string -> floating point --------------------------------------------- */

static int ld_ok(const char *s, long double *v)
{
    return util_str2ld(s, strlen(s), v);
}

static void test_str2ld(void **state)
{
    long double v;
    assert_true(ld_ok("1.5", &v));
    assert_true(v == 1.5L);
    assert_true(ld_ok("-0.25", &v));
    assert_true(v == -0.25L);
    assert_true(ld_ok("10", &v));
    assert_true(v == 10.0L);
    assert_true(ld_ok("1e10", &v));
    assert_true(ld_ok("0x10", &v)); /* strtold's hex: Redis accepts it too */
    assert_true(v == 16.0L);
    assert_true(ld_ok("inf", &v));
    assert_true(isinf(v) && v > 0);
    assert_true(ld_ok("-inf", &v));
    assert_true(isinf(v) && v < 0);
    assert_true(ld_ok("+1", &v)); /* unlike integers, strtold takes '+' */
    /* A long double reaches ~1e4932: 1e400 is a finite value (Redis's
     * INCRBYFLOAT x 1e400 succeeds), 1e5000 overflows and is refused. */
    assert_true(ld_ok("1e400", &v));
    assert_false(isinf(v));
    assert_true(v > (long double)DBL_MAX); /* beyond any double */
    assert_false(ld_ok("1e5000", &v));
    assert_false(ld_ok("-1e5000", &v));
    assert_false(ld_ok("1e-5000", &v)); /* underflow to zero */
    /* A denormal sets ERANGE but is not zero: accepted, as by Redis. */
    assert_true(ld_ok("1e-4940", &v));
    assert_true(v > 0);
}

static void test_str2ld_invalid(void **state)
{
    long double v;
    const char *bad[] = {"",    " 1",  "1 ",   "\t1", "\n1", "nan", "-nan",
                         "NaN", "abc", "1.5x", "1,5", ".",   "-"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ld_ok(bad[i], &v))
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_false(util_str2ld("1\0"
                             "5",
                             3, &v)); /* embedded NUL */
    /* Redis refuses arguments of 5 KB and more. */
    size_t n = 6000;
    char *big = malloc(n);
    memset(big, '1', n);
    assert_false(util_str2ld(big, n, &v));
    assert_true(util_str2ld(big, 300, &v));
    free(big);
}

static void test_str2d(void **state)
{
    double v;
    assert_true(util_str2d("1.5", 3, &v));
    assert_true(v == 1.5);
    assert_true(util_str2d("1e308", 5, &v));
    assert_true(util_str2d("inf", 3, &v));
    assert_true(isinf(v));
    assert_true(util_str2d("-inf", 4, &v));
    /* Unlike long doubles, 1e400 overflows a double: ZADD refuses it. */
    assert_false(util_str2d("1e400", 5, &v));
    assert_false(util_str2d("-1e400", 6, &v));
    assert_false(util_str2d("1e-400", 6, &v));
    assert_false(util_str2d("nan", 3, &v));
    assert_false(util_str2d(" 1", 2, &v));
    assert_false(util_str2d("1 ", 2, &v));
    assert_false(util_str2d("", 0, &v));
    assert_true(util_str2d("2.5xyz", 3, &v)); /* only len bytes */
    assert_true(v == 2.5);
    /* Long inputs are parsed whole (no fixed-size copy). */
    size_t n = 1000;
    char *s = malloc(n);
    memset(s, '0', n);
    memcpy(s + n - 3, "1.5", 3);
    assert_true(util_str2d(s, n, &v));
    assert_true(v == 1.5);
    free(s);
}

/* ---- floating point -> string --------------------------------------------- */

static void check_d2str(double v, const char *want)
{
    char b[D_STR_SIZE];
    int n = util_d2str(b, sizeof(b), v);
    assert_string_equal(b, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_d2str(void **state)
{
    check_d2str(0.0, "0");
    check_d2str(-0.0, "-0");
    check_d2str(1.0, "1");
    check_d2str(-3.0, "-3");
    check_d2str(1.5, "1.5");
    check_d2str(1.1, "1.1000000000000001"); /* Redis 7.0's ZSCORE of 1.1 */
    check_d2str(0.1, "0.10000000000000001");
    check_d2str(1e20, "1e+20");
    check_d2str(4503599627370495.0, "4503599627370495");
    check_d2str(4503599627370496.0, "4503599627370496");
    check_d2str(-4503599627370496.0, "-4503599627370496");
    check_d2str(123456789012345678.0, "1.2345678901234568e+17");
    check_d2str(INFINITY, "inf");
    check_d2str(-INFINITY, "-inf");
    check_d2str(NAN, "nan");
}

static void test_d2str_matches_printf(void **state)
{
    /* Whatever path it takes, the text is %.17g's. */
    srand(2);
    for (int i = 0; i < 20000; i++) {
        double v;
        switch (i % 4) {
        case 0: v = (double)(rand() - RAND_MAX / 2); break;
        case 1: v = (double)rand() / (double)(rand() + 1); break;
        case 2: v = ldexp((double)rand(), rand() % 200 - 100); break;
        default: v = (double)((long long)rand() << 22) * ((rand() & 1) ? 1 : -1); break;
        }
        char got[D_STR_SIZE], want[D_STR_SIZE];
        util_d2str(got, sizeof(got), v);
        snprintf(want, sizeof(want), "%.17g", v);
        assert_string_equal(got, want);
    }
    char b[4];
    assert_int_equal(util_d2str(b, sizeof(b), 1.5), 3);
    assert_int_equal(util_d2str(b, sizeof(b), 1.25), 0); /* no room */
    assert_int_equal(util_d2str(b, sizeof(b), -INFINITY), 0);
}

static void check_ld2str(long double v, const char *want)
{
    char b[D_STR_SIZE];
    int n = util_ld2str(b, sizeof(b), v);
    assert_string_equal(b, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_ld2str(void **state)
{
    /* What INCRBYFLOAT replies in Redis 7.0. */
    check_ld2str(10.5L, "10.5");
    check_ld2str(3.0L, "3");
    check_ld2str(0.0L, "0");
    check_ld2str(-0.0L, "0");
    check_ld2str(-1e-20L, "0"); /* "-0.00000000000000000" -> "0" */
    check_ld2str(0.1L, "0.1");
    check_ld2str(-2.5L, "-2.5");
    check_ld2str(1e-17L, "0.00000000000000001");
    check_ld2str(100.0L, "100");
    check_ld2str(5.0e3L, "5000");
    check_ld2str(INFINITY, "inf");
    check_ld2str(-INFINITY, "-inf");
    long double x;
    assert_true(util_str2ld("10.5", 4, &x));
    check_ld2str(x + 0.1L, "10.6");

    /* 1e300 needs ~320 characters: no room in D_STR_SIZE, fine in 5 KB. */
    char small[D_STR_SIZE];
    assert_int_equal(util_ld2str(small, sizeof(small), 1e300L), 0);
    char *big = malloc(5 * 1024);
    int n = util_ld2str(big, 5 * 1024, 1e300L);
    assert_int_equal(n, 301);
    assert_int_equal(big[0], '1');
    free(big);
}

/* ---- memory units ----------------------------------------------------------- */

static void test_memtoull(void **state)
{
    unsigned long long v;
    assert_true(util_memtoull("1gb", &v));
    assert_true(v == 1073741824ULL);
    assert_true(util_memtoull("1g", &v));
    assert_true(v == 1000000000ULL);
    assert_true(util_memtoull("1GB", &v));
    assert_true(v == 1073741824ULL);
    assert_true(util_memtoull("512mb", &v));
    assert_true(v == 512ULL * 1024 * 1024);
    assert_true(util_memtoull("2m", &v));
    assert_true(v == 2000000ULL);
    assert_true(util_memtoull("100k", &v));
    assert_true(v == 100000ULL);
    assert_true(util_memtoull("100K", &v));
    assert_true(util_memtoull("1Kb", &v));
    assert_true(v == 1024ULL);
    assert_true(util_memtoull("5b", &v));
    assert_true(v == 5ULL);
    assert_true(util_memtoull("5", &v));
    assert_true(v == 5ULL);
    assert_true(util_memtoull("0", &v));
    assert_true(v == 0);
    assert_true(util_memtoull("0100mb", &v)); /* leading zeros are fine here */
    assert_true(v == 100ULL * 1024 * 1024);
    assert_true(util_memtoull("18446744073709551615", &v));
    assert_true(v == ULLONG_MAX);
}

static void test_memtoull_invalid(void **state)
{
    unsigned long long v = 7;
    const char *bad[] = {"",
                         "kb",
                         "-1",
                         "-1mb",
                         "1.5gb",
                         "1tb",
                         "1 gb",
                         " 1",
                         "1gbb",
                         "1kbx",
                         "+1",
                         "18446744073709551616",
                         "18446744073709551615kb",
                         "17179869184gb"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (util_memtoull(bad[i], &v))
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_true(v == 7);
}

/* ---- glob ------------------------------------------------------------------- */

static int gm(const char *pat, const char *str)
{
    return util_glob_match(pat, strlen(pat), str, strlen(str), 0);
}

static int gmi(const char *pat, const char *str)
{
    return util_glob_match(pat, strlen(pat), str, strlen(str), 1);
}

static void test_glob_basics(void **state)
{
    assert_true(gm("hello", "hello"));
    assert_false(gm("hello", "hellO"));
    assert_false(gm("hello", "hell"));
    assert_false(gm("hell", "hello"));
    assert_true(gm("h?llo", "hello"));
    assert_false(gm("h?llo", "hllo"));
    assert_true(gm("h*llo", "hllo"));
    assert_true(gm("h*llo", "heeeello"));
    assert_true(gm("h*", "h"));
    assert_true(gm("*o", "hello"));
    assert_true(gm("*a*b*c*", "xaybzc"));
    assert_false(gm("*a*b*c*", "xaybz"));
    assert_true(gm("a**b", "ab"));
    assert_true(gm("user:*:name", "user:1000:name"));
    assert_false(gm("user:*:name", "user:1000:nam"));
    assert_true(gm("*", "anything"));
    assert_true(gm("", ""));
    assert_false(gm("", "a"));
}

static void test_glob_classes(void **state)
{
    assert_true(gm("h[ae]llo", "hello"));
    assert_true(gm("h[ae]llo", "hallo"));
    assert_false(gm("h[ae]llo", "hillo"));
    assert_true(gm("h[^e]llo", "hallo"));
    assert_false(gm("h[^e]llo", "hello"));
    assert_true(gm("h[a-b]llo", "hbllo"));
    assert_false(gm("h[a-b]llo", "hcllo"));
    assert_true(gm("h[b-a]llo", "hallo")); /* reversed range */
    assert_true(gm("[\\]]", "]"));         /* escaped ']' */
    assert_true(gm("[\\-]", "-"));
    assert_false(gm("[\\-]", "\\"));
    /* Redis reads "a-]" as the range ']'..'a', so this class is
     * unterminated and swallows the rest of the pattern. */
    assert_true(gm("[a-]", "_"));
    assert_false(gm("[a-]", "b"));
    assert_false(gm("[a-]x", "_x"));
    assert_true(gm("h\\*llo", "h*llo"));
    assert_false(gm("h\\*llo", "hello"));
    assert_true(gm("\\?", "?"));
    assert_false(gm("\\?", "a"));
}

/* Each of these was checked against redis-server 7.0 with KEYS. */
static void test_glob_redis_quirks(void **state)
{
    assert_false(gm("[]", "a"));  /* empty class matches nothing */
    assert_true(gm("[^]", "a"));  /* its negation matches anything */
    assert_false(gm("[", "["));   /* a lone '[' matches nothing */
    assert_true(gm("[abc", "a")); /* unterminated class runs to the end */
    assert_false(gm("[abc", "d"));
    assert_true(gm("a\\", "a\\")); /* trailing backslash is literal */
    assert_false(gm("**", ""));    /* KEYS ** does not list the key "" */
    assert_false(gm("?*", ""));
    assert_true(gm("*", "")); /* but KEYS * does (callers' shortcut) */
    /* Ranges compare signed chars, as Redis on x86: [a-\xff] is \xff..a. */
    assert_true(gm("[a-\xff]", "\xff"));
    assert_true(gm("[a-\xff]", "A"));
    assert_false(gm("[a-\xff]", "b"));
    /* Inside a class, an escaped char is matched case-sensitively. */
    assert_false(gmi("[\\A]", "a"));
    assert_true(gmi("[A]", "a"));
}

static void test_glob_nocase(void **state)
{
    assert_true(gmi("HELLO", "hello"));
    assert_false(gm("HELLO", "hello"));
    assert_true(gmi("h*O", "HellO"));
    assert_true(gmi("[A-Z]", "q"));
    assert_false(gm("[A-Z]", "q"));
    assert_true(gmi("[q]", "Q"));
    assert_true(gmi("\\H", "h"));
}

static void test_glob_binary(void **state)
{
    const char pat[] = {'a', '\0', '*'};
    const char s1[] = {'a', '\0', 'x', 'y'};
    const char s2[] = {'a', 'b'};
    assert_true(util_glob_match(pat, 3, s1, 4, 0));
    assert_false(util_glob_match(pat, 3, s2, 2, 0));
}

static double now_s(void)
{
    return (double)util_monotonic_us() / 1e6;
}

static void test_glob_no_blowup(void **state)
{
    size_t n = 10000;
    char *s = malloc(n);
    memset(s, 'a', n);
    const char *pat = "a*a*a*a*a*a*a*a*a*b";
    double t0 = now_s();
    assert_false(util_glob_match(pat, strlen(pat), s, n, 0));
    const char *pat2 = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*[b]";
    assert_false(util_glob_match(pat2, strlen(pat2), s, n, 0));
    s[n - 1] = 'b';
    assert_true(util_glob_match(pat, strlen(pat), s, n, 0));
    assert_true(util_glob_match(pat2, strlen(pat2), s, n, 0));
    assert_true(now_s() - t0 < 2.0);

    /* 100k stars and letters: no recursion, so no stack to overflow. */
    size_t pn = 200001;
    char *p = malloc(pn);
    for (size_t i = 0; i + 1 < pn; i += 2) {
        p[i] = '*';
        p[i + 1] = 'a';
    }
    p[pn - 1] = '*';
    s[n - 1] = 'a';
    assert_false(util_glob_match(p, pn, s, n, 0)); /* needs 100k a's */
    assert_true(util_glob_match(p, 2001, s, n, 0));
    free(p);
    free(s);
}

static void test_glob_is_literal(void **state)
{
    assert_true(util_glob_is_literal("user:1000", 9));
    assert_true(util_glob_is_literal("", 0));
    assert_true(util_glob_is_literal("a]b", 3));
    assert_false(util_glob_is_literal("user:*", 6));
    assert_false(util_glob_is_literal("a?", 2));
    assert_false(util_glob_is_literal("[ab]", 4));
    assert_false(util_glob_is_literal("a\\b", 3));
}

/* ---- CRC64 ------------------------------------------------------------------ */

/* The bitwise definition, to check the table-driven one against. */
static uint64_t crc64_bitwise(uint64_t crc, const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
    }
    return crc;
}

static void test_crc64(void **state)
{
    assert_true(util_crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
    assert_true(util_crc64(0, "", 0) == 0);
    assert_true(util_crc64(12345, "", 0) == 12345);
    /* Incremental: the CRC of a whole equals the CRC chained over parts. */
    const char *s = "123456789";
    for (size_t cut = 0; cut <= 9; cut++) {
        uint64_t c = util_crc64(0, s, cut);
        c = util_crc64(c, s + cut, 9 - cut);
        assert_true(c == 0xe9c6d914c4b8d9caULL);
    }
    /* All lengths and alignments against the bitwise definition. */
    unsigned char data[300];
    srand(3);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)rand();
    for (size_t off = 0; off < 8; off++) {
        for (size_t len = 0; len + off <= sizeof(data); len += 7) {
            assert_true(util_crc64(0x1234, data + off, len) ==
                        crc64_bitwise(0x1234, data + off, len));
        }
    }
}

/* ---- clocks and randomness ------------------------------------------------- */

static void test_clocks(void **state)
{
    int64_t us = util_ustime();
    int64_t ms = util_mstime();
    time_t t = time(NULL);
    assert_true(us / 1000000 >= (int64_t)t - 1 && us / 1000000 <= (int64_t)t + 1);
    assert_true(ms / 1000 >= (int64_t)t - 1 && ms / 1000 <= (int64_t)t + 1);
    uint64_t a = util_monotonic_us();
    uint64_t b = util_monotonic_us();
    assert_true(b >= a);
}

static void test_random(void **state)
{
    unsigned char a[32] = {0}, b[32] = {0};
    util_random_bytes(a, sizeof(a));
    util_random_bytes(b, sizeof(b));
    assert_memory_not_equal(a, b, sizeof(a));
    util_random_bytes(a, 0);

    char hex[42];
    memset(hex, 'Z', sizeof(hex));
    util_random_hex(hex, 40); /* a run id */
    assert_int_equal(strlen(hex), 40);
    for (int i = 0; i < 40; i++)
        assert_non_null(strchr("0123456789abcdef", hex[i]));
    assert_int_equal(hex[41], 'Z');
    char odd[8];
    util_random_hex(odd, 7);
    assert_int_equal(strlen(odd), 7);
    char none[1];
    util_random_hex(none, 0);
    assert_int_equal(none[0], '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str2ll_valid),
        cmocka_unit_test(test_str2ll_invalid),
        cmocka_unit_test(test_str2ull),
        cmocka_unit_test(test_ll2str),
        cmocka_unit_test(test_ll2str_small_buffer),
        cmocka_unit_test(test_ull2str),
        cmocka_unit_test(test_str2ld),
        cmocka_unit_test(test_str2ld_invalid),
        cmocka_unit_test(test_str2d),
        cmocka_unit_test(test_d2str),
        cmocka_unit_test(test_d2str_matches_printf),
        cmocka_unit_test(test_ld2str),
        cmocka_unit_test(test_memtoull),
        cmocka_unit_test(test_memtoull_invalid),
        cmocka_unit_test(test_glob_basics),
        cmocka_unit_test(test_glob_classes),
        cmocka_unit_test(test_glob_redis_quirks),
        cmocka_unit_test(test_glob_nocase),
        cmocka_unit_test(test_glob_binary),
        cmocka_unit_test(test_glob_no_blowup),
        cmocka_unit_test(test_glob_is_literal),
        cmocka_unit_test(test_crc64),
        cmocka_unit_test(test_clocks),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
