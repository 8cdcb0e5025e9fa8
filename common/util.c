/* util.c: owns the small helpers every program shares: string <-> number
 * conversions with Redis's exact strictness and formatting, Redis-style glob
 * matching, the CRC64 used by RDB files, clocks and random bytes. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Integers                                                                  */
/* ------------------------------------------------------------------------ */

/* Accumulates the decimal digits of s[0..len) into *out, refusing a leading
 * zero (a lone "0" is handled by the callers) and anything above `limit`.
 * Strictness matters: a number read from a client is often stored back as
 * an integer, so "007" or "+1" would not round-trip to the bytes sent. */
static int util_parse_digits(const char *s, size_t len, unsigned long long limit,
                             unsigned long long *out)
{
    if (len == 0 || s[0] < '1' || s[0] > '9')
        return 0;
    unsigned long long v = (unsigned long long)(s[0] - '0');
    for (size_t i = 1; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return 0;
        if (v > (limit - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

int util_str2ll(const char *s, size_t len, long long *out)
{
    /* Longer than "-9223372036854775808" cannot be valid (no leading
     * zeros are allowed), so refuse early as Redis's string2ll does. */
    if (len == 0 || len >= LL_STR_SIZE)
        return 0;
    if (len == 1 && s[0] == '0') {
        if (out)
            *out = 0;
        return 1;
    }
    int negative = s[0] == '-';
    if (negative) {
        s++;
        len--;
    }
    unsigned long long v;
    unsigned long long limit =
        negative ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
    if (!util_parse_digits(s, len, limit, &v))
        return 0; /* also rejects "-0" and "-" */
    if (out) {
        /* -(v-1)-1 avoids overflowing when v is 2^63 (LLONG_MIN). */
        *out = negative ? -(long long)(v - 1) - 1 : (long long)v;
    }
    return 1;
}

int util_str2ull(const char *s, size_t len, unsigned long long *out)
{
    if (len == 0 || len >= LL_STR_SIZE)
        return 0;
    if (len == 1 && s[0] == '0') {
        if (out)
            *out = 0;
        return 1;
    }
    unsigned long long v;
    if (!util_parse_digits(s, len, ULLONG_MAX, &v))
        return 0;
    if (out)
        *out = v;
    return 1;
}

/* "00010203...99": two digits per lookup halves the divisions, which is
 * what makes integer replies cheap (every :n and $n header goes here). */
static const char util_digit_pairs[201] = "0001020304050607080910111213141516171819"
                                          "2021222324252627282930313233343536373839"
                                          "4041424344454647484950515253545556575859"
                                          "6061626364656667686970717273747576777879"
                                          "8081828384858687888990919293949596979899";

static int util_count_digits(unsigned long long v)
{
    int n = 1;
    for (;;) {
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

int util_ull2str(char *dst, size_t size, unsigned long long v)
{
    int len = util_count_digits(v);
    if ((size_t)len + 1 > size)
        return 0;
    dst[len] = '\0';
    int i = len - 1;
    while (v >= 100) {
        unsigned idx = (unsigned)(v % 100) * 2;
        v /= 100;
        dst[i--] = util_digit_pairs[idx + 1];
        dst[i--] = util_digit_pairs[idx];
    }
    if (v < 10) {
        dst[i] = (char)('0' + v);
    } else {
        unsigned idx = (unsigned)v * 2;
        dst[i--] = util_digit_pairs[idx + 1];
        dst[i] = util_digit_pairs[idx];
    }
    return len;
}

int util_ll2str(char *dst, size_t size, long long v)
{
    if (v >= 0)
        return util_ull2str(dst, size, (unsigned long long)v);
    if (size < 2)
        return 0;
    /* The magnitude as unsigned, without negating LLONG_MIN in signed. */
    unsigned long long mag = (unsigned long long)(-(v + 1)) + 1;
    dst[0] = '-';
    int n = util_ull2str(dst + 1, size - 1, mag);
    return n ? n + 1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Floating point                                                            */
/* ------------------------------------------------------------------------ */

/* Redis's own cap for a long double argument (MAX_LONG_DOUBLE_CHARS). */
#define UTIL_LD_MAX_CHARS (5 * 1024)

/* The C locale's isspace, spelled out so a setlocale() elsewhere can never
 * change what a client's number means. */
static int util_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int util_str2ld(const char *s, size_t len, long double *out)
{
    char tmp[UTIL_LD_MAX_CHARS];
    if (len == 0 || len >= sizeof(tmp) || util_is_space(s[0]))
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';

    char *end;
    errno = 0;
    long double v = strtold(tmp, &end);
    /* end must reach the last byte: this also refuses an embedded NUL,
     * which Redis (reading up to the NUL) would quietly accept. */
    if (end != tmp + len || isnan(v))
        return 0;
    /* Overflow to infinity or underflow to zero are range errors; an
     * explicit "inf" sets no errno and is fine.  A long double holds 1e400,
     * so only beyond ~1e4932 does this trigger. */
    if (errno == ERANGE && (isinf(v) || v == 0))
        return 0;
    if (out)
        *out = v;
    return 1;
}

int util_str2d(const char *s, size_t len, double *out)
{
    char small[128];
    if (len == 0 || util_is_space(s[0]))
        return 0;
    /* Redis parses a double of any length; copy to NUL-terminate it. */
    char *tmp = len < sizeof(small) ? small : malloc(len + 1);
    if (!tmp)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';

    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    int ok = end == tmp + len && !isnan(v) && !(errno == ERANGE && (isinf(v) || v == 0));
    if (tmp != small)
        free(tmp);
    if (ok && out)
        *out = v;
    return ok;
}

/* Copies a constant into dst, returning its length or 0 without room. */
static int util_put(char *dst, size_t size, const char *s, size_t len)
{
    if (len + 1 > size)
        return 0;
    memcpy(dst, s, len + 1);
    return (int)len;
}

int util_d2str(char *dst, size_t size, double v)
{
    /* Spelled out: libc formats inf and nan differently across systems. */
    if (isnan(v))
        return util_put(dst, size, "nan", 3);
    if (isinf(v))
        return v > 0 ? util_put(dst, size, "inf", 3) : util_put(dst, size, "-inf", 4);
    if (v == 0)
        return signbit(v) ? util_put(dst, size, "-0", 2) : util_put(dst, size, "0", 1);
    /* Integers within +-2^52 convert exactly, and %.17g would print them
     * with no exponent and no ".0": the integer path is identical output,
     * only faster (scores and counters are mostly integers). */
    if (v > -4503599627370495.0 && v < 4503599627370496.0 && v == (double)(long long)v)
        return util_ll2str(dst, size, (long long)v);
    int n = snprintf(dst, size, "%.17g", v);
    if (n < 0 || (size_t)n + 1 > size)
        return 0;
    return n;
}

int util_ld2str(char *dst, size_t size, long double v)
{
    if (isinf(v))
        return v > 0 ? util_put(dst, size, "inf", 3) : util_put(dst, size, "-inf", 4);
    /* 17 digits after the point, then trimmed: with 80-bit long doubles
     * this gives back most short decimals exactly as the user typed them
     * (INCRBYFLOAT 10.5 prints 10.5, not 10.50000000000000000). */
    int n = snprintf(dst, size, "%.17Lf", v);
    if (n < 0 || (size_t)n + 1 > size)
        return 0;
    if (memchr(dst, '.', (size_t)n)) {
        while (dst[n - 1] == '0')
            n--;
        if (dst[n - 1] == '.')
            n--;
    }
    if (n == 2 && dst[0] == '-' && dst[1] == '0') { /* a tiny negative */
        dst[0] = '0';
        n = 1;
    }
    dst[n] = '\0';
    return n;
}

/* ------------------------------------------------------------------------ */
/* Memory sizes                                                              */
/* ------------------------------------------------------------------------ */

static int util_ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int util_memtoull(const char *s, unsigned long long *out)
{
    /* Redis's units: plain k/m/g are powers of 1000, kb/mb/gb of 1024. */
    static const struct {
        const char *unit;
        unsigned long long mul;
    } units[] = {
        {"", 1},
        {"b", 1},
        {"k", 1000ULL},
        {"kb", 1024ULL},
        {"m", 1000ULL * 1000},
        {"mb", 1024ULL * 1024},
        {"g", 1000ULL * 1000 * 1000},
        {"gb", 1024ULL * 1024 * 1024},
    };
    const char *u = s;
    while (*u >= '0' && *u <= '9')
        u++;
    /* Stricter than Redis here: it reads "" or "kb" as 0 and lets a huge
     * value wrap around; a config typo should be an error instead. */
    if (u == s)
        return 0;

    unsigned long long mul = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        const char *a = u, *b = units[i].unit;
        while (*a && *b && util_ascii_lower((unsigned char)*a) == *b)
            a++, b++;
        if (*a == '\0' && *b == '\0') {
            mul = units[i].mul;
            break;
        }
    }
    if (mul == 0)
        return 0;

    /* Leading zeros are fine in a config file ("0100mb"). */
    unsigned long long v = 0;
    for (const char *p = s; p < u; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (v > ULLONG_MAX / mul)
        return 0;
    if (out)
        *out = v * mul;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Glob matching                                                             */
/* ------------------------------------------------------------------------ */

/* Matches the one pattern element at pat[0..plen) (never a '*') against the
 * byte c, and says how many pattern bytes the element spans.  This follows
 * Redis's stringmatchlen quirks exactly, because a pattern means the same
 * thing to KEYS, SCAN, PSUBSCRIBE and ACL key rules on either server:
 *   - inside [...], "\x" matches x literally and case-sensitively;
 *   - "a-z" is a range (ends swapped if reversed), compared as signed chars;
 *   - an unterminated "[..." runs to the end of the pattern;
 *   - "[^]" matches any byte, "[]" none;
 *   - a trailing lone '\' matches a backslash. */
static int util_glob_element(const char *pat, size_t plen, char c, int nocase, size_t *span)
{
    size_t i = 0;
    switch (pat[0]) {
    case '?': *span = 1; return 1;
    case '[': {
        int negate, match = 0;
        i = 1;
        negate = i < plen && pat[i] == '^';
        if (negate)
            i++;
        for (;;) {
            if (i >= plen) {
                /* Unterminated: the class ends with the pattern. */
                i = plen - 1;
                break;
            }
            if (pat[i] == '\\' && plen - i >= 2) {
                i++;
                if (pat[i] == c)
                    match = 1;
            } else if (pat[i] == ']') {
                break;
            } else if (plen - i >= 3 && pat[i + 1] == '-') {
                int start = (signed char)pat[i], end = (signed char)pat[i + 2], sc = (signed char)c;
                if (start > end) {
                    int t = start;
                    start = end;
                    end = t;
                }
                if (nocase) {
                    start = util_ascii_lower(start);
                    end = util_ascii_lower(end);
                    sc = util_ascii_lower(sc);
                }
                i += 2;
                if (sc >= start && sc <= end)
                    match = 1;
            } else if (nocase ? util_ascii_lower((unsigned char)pat[i]) ==
                                    util_ascii_lower((unsigned char)c)
                              : pat[i] == c) {
                match = 1;
            }
            i++;
        }
        *span = i + 1;
        return negate ? !match : match;
    }
    case '\\':
        if (plen >= 2)
            i = 1;
        /* fall through */
    default:
        *span = i + 1;
        if (nocase)
            return util_ascii_lower((unsigned char)pat[i]) == util_ascii_lower((unsigned char)c);
        return pat[i] == c;
    }
}

/* Iterative wildcard matching with a single backtrack point: every element
 * but '*' consumes exactly one byte, so when the text after the latest '*'
 * fails, only that '*' needs to swallow one more byte; earlier stars never
 * need revisiting (a longer match for them could only start the rest later,
 * which the latest star already covers).  That is the same answer Redis's
 * recursive matcher gives with its skipLongerMatches guard, in O(plen*slen)
 * time and constant stack, so "a*a*a*...b" against a long string is cheap
 * and a pattern of 100k stars cannot overflow the stack. */
int util_glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase)
{
    /* Redis callers (KEYS, SCAN, ACL ~*, ...) short-cut the pattern "*" to
     * "everything"; doing it here keeps "*" matching the empty key too,
     * while the matcher proper, like Redis's, matches nothing but the empty
     * pattern against an empty string (KEYS ** does not list the key ""). */
    if (plen == 1 && pat[0] == '*')
        return 1;
    if (slen == 0)
        return plen == 0;

    size_t p = 0, s = 0;
    size_t star_p = 0, star_s = 0;
    int have_star = 0;
    while (s < slen) {
        if (p < plen && pat[p] == '*') {
            while (p < plen && pat[p] == '*')
                p++;
            if (p == plen)
                return 1;
            have_star = 1;
            star_p = p;
            star_s = s;
            continue;
        }
        size_t span;
        if (p < plen && util_glob_element(pat + p, plen - p, str[s], nocase, &span)) {
            p += span;
            s++;
            continue;
        }
        if (!have_star)
            return 0;
        /* Let the latest star take one more byte and retry the rest. */
        p = star_p;
        s = ++star_s;
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}

int util_glob_is_literal(const char *pat, size_t plen)
{
    for (size_t i = 0; i < plen; i++) {
        char c = pat[i];
        if (c == '*' || c == '?' || c == '[' || c == '\\')
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* CRC64                                                                     */
/* ------------------------------------------------------------------------ */

/* CRC-64/Jones as RDB files use it: reflected, polynomial 0xad93d23594c935a9
 * (0x95ac9329ac4bc9b5 bit-reversed), no initial or final xor.  Slice-by-8
 * tables make checksumming a multi-gigabyte RDB about 8x cheaper than the
 * bytewise loop.  Built once at start-up, before any thread exists. */
#define UTIL_CRC64_POLY_REFLECTED 0x95ac9329ac4bc9b5ULL

static uint64_t util_crc64_table[8][256];

__attribute__((constructor)) static void util_crc64_init(void)
{
    for (unsigned n = 0; n < 256; n++) {
        uint64_t crc = n;
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ UTIL_CRC64_POLY_REFLECTED : crc >> 1;
        util_crc64_table[0][n] = crc;
    }
    for (unsigned n = 0; n < 256; n++) {
        uint64_t crc = util_crc64_table[0][n];
        for (int t = 1; t < 8; t++) {
            crc = util_crc64_table[0][crc & 0xff] ^ (crc >> 8);
            util_crc64_table[t][n] = crc;
        }
    }
}

uint64_t util_crc64(uint64_t crc, const void *p, size_t len)
{
    const unsigned char *b = p;
    while (len >= 8) {
        /* Assembled byte by byte: endian-neutral, and compilers turn it
         * into one load on little-endian machines. */
        uint64_t w = (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 |
                     (uint64_t)b[3] << 24 | (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 |
                     (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
        crc ^= w;
        crc = util_crc64_table[7][crc & 0xff] ^ util_crc64_table[6][(crc >> 8) & 0xff] ^
              util_crc64_table[5][(crc >> 16) & 0xff] ^ util_crc64_table[4][(crc >> 24) & 0xff] ^
              util_crc64_table[3][(crc >> 32) & 0xff] ^ util_crc64_table[2][(crc >> 40) & 0xff] ^
              util_crc64_table[1][(crc >> 48) & 0xff] ^ util_crc64_table[0][crc >> 56];
        b += 8;
        len -= 8;
    }
    while (len--)
        crc = util_crc64_table[0][(crc ^ *b++) & 0xff] ^ (crc >> 8);
    return crc;
}

/* ------------------------------------------------------------------------ */
/* Clocks and randomness                                                     */
/* ------------------------------------------------------------------------ */

int64_t util_ustime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t util_mstime(void)
{
    return util_ustime() / 1000;
}

uint64_t util_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Last resort when the kernel gives no randomness (seccomp, chroot without
 * /dev): splitmix64 seeded from clocks, pid and a counter.  Good enough for
 * run ids and hash seeds, which is all this is used for. */
static void util_random_fallback(unsigned char *p, size_t len)
{
    static uint64_t state;
    state ^= util_monotonic_us() ^ ((uint64_t)util_ustime() << 20) ^ ((uint64_t)getpid() << 40);
    while (len) {
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        size_t n = len < 8 ? len : 8;
        memcpy(p, &z, n);
        p += n;
        len -= n;
    }
}

void util_random_bytes(void *dst, size_t len)
{
    unsigned char *p = dst;
    /* getrandom() first: no file descriptor, works in a chroot. */
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        p += n;
        len -= (size_t)n;
    }
    if (len) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            while (len) {
                ssize_t n = read(fd, p, len);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    break;
                p += n;
                len -= (size_t)n;
            }
            close(fd);
        }
    }
    if (len)
        util_random_fallback(p, len);
}

void util_random_hex(char *dst, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char chunk[64];
    size_t i = 0;
    while (i < len) {
        size_t want = (len - i + 1) / 2;
        if (want > sizeof(chunk))
            want = sizeof(chunk);
        util_random_bytes(chunk, want);
        for (size_t j = 0; j < want && i < len; j++) {
            dst[i++] = hex[chunk[j] >> 4];
            if (i < len)
                dst[i++] = hex[chunk[j] & 0xf];
        }
    }
    dst[len] = '\0';
}
