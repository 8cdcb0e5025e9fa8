/* listpack.c: owns the listpack, the compact contiguous encoding of small
 * hashes, sorted sets and list nodes, byte for byte Redis 7.0's format so an
 * RDB file can carry the blob unchanged.
 *
 * Layout: <total-bytes u32 LE> <num-elements u16 LE> <entry>... <0xFF>.
 * An entry is <encoding+data> <backlen>.  Encodings (first byte):
 *   0xxxxxxx                 7-bit unsigned integer 0..127
 *   10xxxxxx + data          string of 0..63 bytes
 *   110xxxxx yyyyyyyy        13-bit signed integer -4096..4095
 *   1110xxxx yyyyyyyy + data string of 64..4095 bytes (length high bits first)
 *   11110000 <u32 LE> + data string of 4096+ bytes
 *   0xF1 / 0xF2 / 0xF3 / 0xF4 16/24/32/64-bit signed integer, LE two's complement
 * backlen stores the size of <encoding+data> in 1..5 bytes of 7 bits, most
 * significant group first; every byte but the first has its top bit set, so
 * reading backwards from the byte before the next entry stops at the first
 * byte whose top bit is clear.  num-elements saturates at 65535 ("unknown",
 * lp_length then counts by walking).
 *
 * A listpack is one malloc'ed block (the functions that change it realloc
 * it): a blob loaded from a file must be copied into its own allocation
 * before it is modified.  Growing reuses the slack malloc_usable_size
 * reports (lp_new's capacity hint); shrinking gives memory back at once. */
#include "listpack.h"

#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define LP_HDR_SIZE 6
#define LP_EOF 0xFF
#define LP_NUMELE_UNKNOWN 65535u
#define LP_MAX_TOTAL UINT32_MAX

#define LP_ENC_6BIT_STR 0x80
#define LP_ENC_13BIT_INT 0xC0
#define LP_ENC_12BIT_STR 0xE0
#define LP_ENC_32BIT_STR 0xF0
#define LP_ENC_16BIT_INT 0xF1
#define LP_ENC_24BIT_INT 0xF2
#define LP_ENC_32BIT_INT 0xF3
#define LP_ENC_64BIT_INT 0xF4

/* ------------------------------------------------------------------------ */
/* Low-level helpers                                                         */
/* ------------------------------------------------------------------------ */

static void lp_oom(size_t size)
{
    fprintf(stderr, "listpack: out of memory allocating %zu bytes\n", size);
    abort();
}

static inline uint32_t lp_rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void lp_wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)((v >> 8) & 0xff);
    p[2] = (unsigned char)((v >> 16) & 0xff);
    p[3] = (unsigned char)(v >> 24);
}

static inline uint32_t lp_total(const unsigned char *lp)
{
    return lp_rd32(lp);
}

static inline void lp_set_total(unsigned char *lp, uint32_t v)
{
    lp_wr32(lp, v);
}

static inline unsigned lp_numele(const unsigned char *lp)
{
    return (unsigned)lp[4] | ((unsigned)lp[5] << 8);
}

static inline void lp_set_numele(unsigned char *lp, unsigned v)
{
    lp[4] = (unsigned char)(v & 0xff);
    lp[5] = (unsigned char)((v >> 8) & 0xff);
}

/* Bytes the backlen of an entry whose <encoding+data> takes l bytes needs.
 * The thresholds (strict "<" above 127) are Redis's: they decide the exact
 * bytes written, so they must not be "fixed". */
static inline unsigned lp_backlen_size(uint64_t l)
{
    if (l <= 127)
        return 1;
    if (l < 16383)
        return 2;
    if (l < 2097151)
        return 3;
    if (l < 268435455)
        return 4;
    return 5;
}

static inline void lp_backlen_write(unsigned char *dst, uint64_t l)
{
    unsigned n = lp_backlen_size(l);
    /* dst[0] holds the most significant group with the top bit clear; the
     * following bytes carry the lower groups with the top bit set. */
    for (unsigned i = 0; i < n; i++) {
        unsigned shift = 7 * (n - 1 - i);
        unsigned char b = (unsigned char)((l >> shift) & 127);
        dst[i] = i == 0 ? b : (unsigned char)(b | 128);
    }
}

/* Size of <encoding+data> of the (valid) entry at p. */
static inline uint64_t lp_payload_size(const unsigned char *p)
{
    unsigned char b = p[0];
    if (b < 0x80)
        return 1;
    if ((b & 0xC0) == LP_ENC_6BIT_STR)
        return 1 + (uint64_t)(b & 0x3F);
    if ((b & 0xE0) == LP_ENC_13BIT_INT)
        return 2;
    if ((b & 0xF0) == LP_ENC_12BIT_STR)
        return 2 + (((uint64_t)(b & 0x0F) << 8) | p[1]);
    switch (b) {
    case LP_ENC_32BIT_STR: return 5 + (uint64_t)lp_rd32(p + 1);
    case LP_ENC_16BIT_INT: return 3;
    case LP_ENC_24BIT_INT: return 4;
    case LP_ENC_32BIT_INT: return 5;
    case LP_ENC_64BIT_INT: return 9;
    default: return 0; /* EOF or invalid: callers never ask on valid data */
    }
}

/* Whole size (encoding + data + backlen) of the valid entry at p. */
static inline uint64_t lp_entry_size(const unsigned char *p)
{
    uint64_t l = lp_payload_size(p);
    return l + lp_backlen_size(l);
}

/* Sign-extend the low `bits` bits of uv. */
static inline long long lp_sign_extend(uint64_t uv, unsigned bits)
{
    if (bits < 64) {
        uint64_t sign = (uint64_t)1 << (bits - 1);
        if (uv & sign)
            return -(long long)(((uint64_t)1 << bits) - uv);
        return (long long)uv;
    }
    if (uv > (uint64_t)LLONG_MAX)
        return -(long long)(~uv) - 1;
    return (long long)uv;
}

/* Decode the entry at p: a string (returns 1, *s and *slen set) or an
 * integer (returns 0, *v set).  *size (if not NULL) gets the whole entry
 * size including backlen, so scanning loops decode and skip in one pass. */
static inline int lp_decode(const unsigned char *p, const unsigned char **s, uint32_t *slen,
                            long long *v, uint64_t *size)
{
    unsigned char b = p[0];
    uint64_t l;
    int isstr = 0;
    if (b < 0x80) {
        *v = b;
        l = 1;
    } else if ((b & 0xC0) == LP_ENC_6BIT_STR) {
        *slen = b & 0x3F;
        *s = p + 1;
        l = 1 + (uint64_t)*slen;
        isstr = 1;
    } else if ((b & 0xE0) == LP_ENC_13BIT_INT) {
        *v = lp_sign_extend(((uint64_t)(b & 0x1F) << 8) | p[1], 13);
        l = 2;
    } else if ((b & 0xF0) == LP_ENC_12BIT_STR) {
        *slen = ((uint32_t)(b & 0x0F) << 8) | p[1];
        *s = p + 2;
        l = 2 + (uint64_t)*slen;
        isstr = 1;
    } else {
        switch (b) {
        case LP_ENC_32BIT_STR:
            *slen = lp_rd32(p + 1);
            *s = p + 5;
            l = 5 + (uint64_t)*slen;
            isstr = 1;
            break;
        case LP_ENC_16BIT_INT:
            *v = lp_sign_extend((uint64_t)p[1] | ((uint64_t)p[2] << 8), 16);
            l = 3;
            break;
        case LP_ENC_24BIT_INT:
            *v =
                lp_sign_extend((uint64_t)p[1] | ((uint64_t)p[2] << 8) | ((uint64_t)p[3] << 16), 24);
            l = 4;
            break;
        case LP_ENC_32BIT_INT:
            *v = lp_sign_extend(lp_rd32(p + 1), 32);
            l = 5;
            break;
        case LP_ENC_64BIT_INT:
            *v = lp_sign_extend((uint64_t)lp_rd32(p + 1) | ((uint64_t)lp_rd32(p + 5) << 32), 64);
            l = 9;
            break;
        default:
            /* Not reachable on a valid listpack (validated at load). */
            *v = 0;
            l = 1;
            break;
        }
    }
    if (size)
        *size = l + lp_backlen_size(l);
    return isstr;
}

/* ------------------------------------------------------------------------ */
/* Encoding a new entry                                                      */
/* ------------------------------------------------------------------------ */

/* A new entry, prepared before the listpack is resized: the encoding
 * header (or the whole integer) in hdr, then the string bytes if any. */
typedef struct lp_newentry {
    unsigned char hdr[9];
    unsigned hdrlen;
    const unsigned char *s; /* string data, or NULL for integers */
    uint32_t slen;
    uint64_t payload; /* hdrlen + slen: what backlen stores */
    uint64_t total;   /* payload + backlen */
} lp_newentry;

static void lp_prepare_int(lp_newentry *e, long long v)
{
    uint64_t uv = (uint64_t)v; /* two's complement bits, truncated per width */
    e->s = NULL;
    e->slen = 0;
    if (v >= 0 && v <= 127) {
        e->hdr[0] = (unsigned char)v;
        e->hdrlen = 1;
    } else if (v >= -4096 && v <= 4095) {
        uint64_t u13 = uv & 0x1FFF;
        e->hdr[0] = (unsigned char)(LP_ENC_13BIT_INT | (u13 >> 8));
        e->hdr[1] = (unsigned char)(u13 & 0xff);
        e->hdrlen = 2;
    } else {
        unsigned nbytes;
        if (v >= -32768 && v <= 32767) {
            e->hdr[0] = LP_ENC_16BIT_INT;
            nbytes = 2;
        } else if (v >= -8388608 && v <= 8388607) {
            e->hdr[0] = LP_ENC_24BIT_INT;
            nbytes = 3;
        } else if (v >= -2147483648LL && v <= 2147483647LL) {
            e->hdr[0] = LP_ENC_32BIT_INT;
            nbytes = 4;
        } else {
            e->hdr[0] = LP_ENC_64BIT_INT;
            nbytes = 8;
        }
        for (unsigned i = 0; i < nbytes; i++)
            e->hdr[1 + i] = (unsigned char)((uv >> (8 * i)) & 0xff);
        e->hdrlen = 1 + nbytes;
    }
    e->payload = e->hdrlen;
    e->total = e->payload + lp_backlen_size(e->payload);
}

static void lp_prepare(lp_newentry *e, const unsigned char *s, uint32_t len)
{
    long long v;
    if (lp_string_to_int(s, len, &v)) {
        lp_prepare_int(e, v);
        return;
    }
    if (len < 64) {
        e->hdr[0] = (unsigned char)(LP_ENC_6BIT_STR | len);
        e->hdrlen = 1;
    } else if (len < 4096) {
        e->hdr[0] = (unsigned char)(LP_ENC_12BIT_STR | (len >> 8));
        e->hdr[1] = (unsigned char)(len & 0xff);
        e->hdrlen = 2;
    } else {
        e->hdr[0] = LP_ENC_32BIT_STR;
        lp_wr32(e->hdr + 1, len);
        e->hdrlen = 5;
    }
    e->s = s;
    e->slen = len;
    e->payload = (uint64_t)e->hdrlen + len;
    e->total = e->payload + lp_backlen_size(e->payload);
}

static void lp_write_entry(unsigned char *dst, const lp_newentry *e)
{
    memcpy(dst, e->hdr, e->hdrlen);
    dst += e->hdrlen;
    if (e->s && e->slen) {
        memcpy(dst, e->s, e->slen);
        dst += e->slen;
    }
    lp_backlen_write(dst, e->payload);
}

/* Replace the oldlen bytes at offset off with the new entry e (or with
 * nothing when e is NULL), resizing the allocation: one memmove of the tail
 * at most.  The element count is the caller's business.  s in e may point
 * inside lp itself (e.g. replacing an entry with another entry's bytes), so
 * a copy is taken when the buffer may move under it. */
static unsigned char *lp_splice(unsigned char *lp, size_t off, size_t oldlen, const lp_newentry *e)
{
    size_t total = lp_total(lp);
    size_t newlen = e ? (size_t)e->total : 0;
    uint64_t newtotal = (uint64_t)total - oldlen + newlen;
    if (newtotal > LP_MAX_TOTAL) {
        fprintf(stderr, "listpack: would exceed 4GB (%llu bytes)\n", (unsigned long long)newtotal);
        abort();
    }
    size_t tail = total - off - oldlen; /* includes the EOF byte */
    lp_newentry copy;
    unsigned char *tmp = NULL;
    if (e && e->s && e->slen && e->s >= lp && e->s < lp + total) {
        /* The source string lives in the listpack: copy it out first. */
        tmp = malloc(e->slen);
        if (!tmp)
            lp_oom(e->slen);
        memcpy(tmp, e->s, e->slen);
        copy = *e;
        copy.s = tmp;
        e = &copy;
    }
    if (newlen > oldlen) {
        if (newtotal > malloc_usable_size(lp)) {
            unsigned char *n = realloc(lp, (size_t)newtotal);
            if (!n)
                lp_oom((size_t)newtotal);
            lp = n;
        }
        memmove(lp + off + newlen, lp + off + oldlen, tail);
    } else if (newlen < oldlen) {
        memmove(lp + off + newlen, lp + off + oldlen, tail);
        unsigned char *n = realloc(lp, (size_t)newtotal);
        if (n)
            lp = n; /* a failed shrink keeps the larger block: harmless */
    }
    if (e)
        lp_write_entry(lp + off, e);
    lp_set_total(lp, (uint32_t)newtotal);
    free(tmp);
    return lp;
}

static inline void lp_count_add(unsigned char *lp, long delta)
{
    unsigned n = lp_numele(lp);
    if (n == LP_NUMELE_UNKNOWN)
        return; /* stays unknown until lp_length recounts */
    long nv = (long)n + delta;
    if (nv < 0)
        nv = 0;
    if (nv > (long)LP_NUMELE_UNKNOWN)
        nv = LP_NUMELE_UNKNOWN;
    lp_set_numele(lp, (unsigned)nv);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                */
/* ------------------------------------------------------------------------ */

unsigned char *lp_new(size_t capacity)
{
    size_t sz = capacity > LP_HDR_SIZE + 1 ? capacity : LP_HDR_SIZE + 1;
    unsigned char *lp = malloc(sz);
    if (!lp)
        lp_oom(sz);
    lp_set_total(lp, LP_HDR_SIZE + 1);
    lp_set_numele(lp, 0);
    lp[LP_HDR_SIZE] = LP_EOF;
    return lp;
}

void lp_free(unsigned char *lp)
{
    free(lp);
}

size_t lp_bytes(const unsigned char *lp)
{
    return lp_total(lp);
}

/* When the header count is saturated this walks the entries; if the real
 * count has dropped below 65535 it is written back to the header (as Redis
 * does), which is why the const is cast away: listpacks always live in
 * malloc'ed, writable memory. */
unsigned long lp_length(const unsigned char *lp)
{
    unsigned n = lp_numele(lp);
    if (n != LP_NUMELE_UNKNOWN)
        return n;
    unsigned long count = 0;
    const unsigned char *p = lp + LP_HDR_SIZE;
    while (*p != LP_EOF) {
        p += lp_entry_size(p);
        count++;
    }
    if (count < LP_NUMELE_UNKNOWN)
        lp_set_numele((unsigned char *)(uintptr_t)lp, (unsigned)count);
    return count;
}

unsigned char *lp_first(unsigned char *lp)
{
    unsigned char *p = lp + LP_HDR_SIZE;
    return *p == LP_EOF ? NULL : p;
}

/* Start of the entry that ends right before q (q is an entry or the EOF
 * byte), reading the previous entry's backlen backwards. */
static inline unsigned char *lp_prev_of(unsigned char *q)
{
    const unsigned char *b = q - 1;
    uint64_t l = 0;
    unsigned shift = 0, n = 0;
    for (;;) {
        l |= (uint64_t)(*b & 127) << shift;
        n++;
        if (!(*b & 128) || n == 5)
            break;
        shift += 7;
        b--;
    }
    return q - n - l;
}

unsigned char *lp_last(unsigned char *lp)
{
    unsigned char *eof = lp + lp_total(lp) - 1;
    if (eof == lp + LP_HDR_SIZE)
        return NULL;
    return lp_prev_of(eof);
}

unsigned char *lp_next(unsigned char *lp, unsigned char *p)
{
    (void)lp;
    if (!p || *p == LP_EOF)
        return NULL;
    p += lp_entry_size(p);
    return *p == LP_EOF ? NULL : p;
}

unsigned char *lp_prev(unsigned char *lp, unsigned char *p)
{
    if (!p || p <= lp + LP_HDR_SIZE)
        return NULL;
    return lp_prev_of(p);
}

/* Negative indexes count from the end (-1 is the last entry).  With a
 * known count the walk starts from whichever end is nearer. */
unsigned char *lp_seek(unsigned char *lp, long index)
{
    unsigned n = lp_numele(lp);
    if (n != LP_NUMELE_UNKNOWN) {
        if (index < 0)
            index += (long)n;
        if (index < 0 || index >= (long)n)
            return NULL;
        if ((unsigned long)index > n / 2) {
            index = index - (long)n; /* negative: walk from the end */
        }
    }
    if (index >= 0) {
        unsigned char *p = lp_first(lp);
        while (p && index > 0) {
            p = lp_next(lp, p);
            index--;
        }
        return p;
    }
    unsigned char *p = lp_last(lp);
    while (p && index < -1) {
        p = lp_prev(lp, p);
        index++;
    }
    return p;
}

void lp_get(const unsigned char *p, lp_entry *e)
{
    const unsigned char *s = NULL;
    uint32_t slen = 0;
    long long v = 0;
    if (lp_decode(p, &s, &slen, &v, NULL)) {
        e->sval = s;
        e->slen = slen;
        e->lval = 0;
    } else {
        e->sval = NULL;
        e->slen = 0;
        e->lval = v;
    }
}

const unsigned char *lp_get_bytes(const unsigned char *p, unsigned char *buf, uint32_t *len)
{
    const unsigned char *s = NULL;
    uint32_t slen = 0;
    long long v = 0;
    if (lp_decode(p, &s, &slen, &v, NULL)) {
        *len = slen;
        return s;
    }
    *len = (uint32_t)util_ll2str((char *)buf, LP_INTBUF_SIZE, v);
    return buf;
}

/* An integer entry's text is always canonical, so a string equals it iff
 * the string parses (strictly) to the same value: no formatting needed. */
int lp_equal(const unsigned char *p, const unsigned char *s, uint32_t len)
{
    const unsigned char *es = NULL;
    uint32_t eslen = 0;
    long long v = 0;
    if (lp_decode(p, &es, &eslen, &v, NULL))
        return eslen == len && (len == 0 || memcmp(es, s, len) == 0);
    long long sv;
    return lp_string_to_int(s, len, &sv) && sv == v;
}

/* p NULL (or at the terminator) appends, whatever `where` says: callers
 * inserting "after the last entry" or into an empty listpack need no special
 * case.  s may point into lp itself (see lp_splice). */
unsigned char *lp_insert(unsigned char *lp, const unsigned char *s, uint32_t len, unsigned char *p,
                         int where, unsigned char **newp)
{
    lp_newentry e;
    lp_prepare(&e, s, len);
    size_t off, oldlen = 0;
    if (!p || *p == LP_EOF) {
        /* No entry: append (also for LP_REPLACE, there is nothing to replace). */
        off = lp_total(lp) - 1;
        where = LP_BEFORE;
    } else {
        off = (size_t)(p - lp);
        if (where == LP_AFTER)
            off += lp_entry_size(p);
        else if (where == LP_REPLACE)
            oldlen = lp_entry_size(p);
    }
    lp = lp_splice(lp, off, oldlen, &e);
    if (where != LP_REPLACE)
        lp_count_add(lp, 1);
    if (newp)
        *newp = lp + off;
    return lp;
}

unsigned char *lp_append(unsigned char *lp, const unsigned char *s, uint32_t len)
{
    return lp_insert(lp, s, len, NULL, LP_BEFORE, NULL);
}

unsigned char *lp_prepend(unsigned char *lp, const unsigned char *s, uint32_t len)
{
    return lp_insert(lp, s, len, lp + LP_HDR_SIZE, LP_BEFORE, NULL);
}

unsigned char *lp_append_int(unsigned char *lp, long long v)
{
    lp_newentry e;
    lp_prepare_int(&e, v);
    lp = lp_splice(lp, lp_total(lp) - 1, 0, &e);
    lp_count_add(lp, 1);
    return lp;
}

unsigned char *lp_replace(unsigned char *lp, unsigned char **p, const unsigned char *s,
                          uint32_t len)
{
    return lp_insert(lp, s, len, *p, LP_REPLACE, p);
}

unsigned char *lp_replace_int(unsigned char *lp, unsigned char **p, long long v)
{
    lp_newentry e;
    lp_prepare_int(&e, v);
    unsigned char *at = *p;
    size_t off, oldlen = 0;
    if (!at || *at == LP_EOF) {
        off = lp_total(lp) - 1;
        lp = lp_splice(lp, off, 0, &e);
        lp_count_add(lp, 1);
    } else {
        off = (size_t)(at - lp);
        oldlen = lp_entry_size(at);
        lp = lp_splice(lp, off, oldlen, &e);
    }
    *p = lp + off;
    return lp;
}

unsigned char *lp_delete(unsigned char *lp, unsigned char *p, unsigned char **newp)
{
    if (!p || *p == LP_EOF) {
        if (newp)
            *newp = NULL;
        return lp;
    }
    size_t off = (size_t)(p - lp);
    lp = lp_splice(lp, off, lp_entry_size(p), NULL);
    lp_count_add(lp, -1);
    if (newp)
        *newp = lp[off] == LP_EOF ? NULL : lp + off;
    return lp;
}

unsigned char *lp_delete_range_at(unsigned char *lp, unsigned char **p, unsigned long count)
{
    unsigned char *start = *p;
    if (!start || *start == LP_EOF || count == 0) {
        if (start && *start == LP_EOF)
            *p = NULL;
        return lp;
    }
    unsigned char *q = start;
    unsigned long deleted = 0;
    while (deleted < count && *q != LP_EOF) {
        q += lp_entry_size(q);
        deleted++;
    }
    size_t off = (size_t)(start - lp);
    lp = lp_splice(lp, off, (size_t)(q - start), NULL);
    lp_count_add(lp, -(long)deleted);
    *p = lp[off] == LP_EOF ? NULL : lp + off;
    return lp;
}

unsigned char *lp_delete_range(unsigned char *lp, long index, unsigned long count)
{
    unsigned char *p = lp_seek(lp, index);
    if (!p || count == 0)
        return lp;
    return lp_delete_range_at(lp, &p, count);
}

/* The hot path of hash field lookups: one decode per visited entry, string
 * entries compared by length first, integer entries compared numerically
 * against the needle parsed once (lazily, on the first integer entry). */
unsigned char *lp_find(unsigned char *lp, unsigned char *p, const unsigned char *s, uint32_t len,
                       unsigned int skip)
{
    (void)lp;
    int needle_state = -1; /* -1 not parsed yet, 0 not an integer, 1 integer */
    long long needle = 0;
    unsigned int skipcnt = 0;
    if (!p)
        return NULL;
    while (*p != LP_EOF) {
        unsigned char b = *p;
        if (skipcnt == 0) {
            const unsigned char *es;
            uint32_t eslen;
            long long v;
            uint64_t size;
            if (lp_decode(p, &es, &eslen, &v, &size)) {
                if (eslen == len && (len == 0 || (es[0] == s[0] && memcmp(es, s, len) == 0)))
                    return p;
            } else {
                if (needle_state < 0)
                    needle_state = lp_string_to_int(s, len, &needle);
                if (needle_state == 1 && v == needle)
                    return p;
            }
            skipcnt = skip;
            p += size;
        } else {
            skipcnt--;
            /* Skipped entry: only its size is needed; 7-bit ints and short
             * strings (the common hash values) are sized without a call. */
            if (b < 0x80)
                p += 2;
            else if ((b & 0xC0) == LP_ENC_6BIT_STR)
                p += (size_t)(b & 0x3F) + 2;
            else
                p += lp_entry_size(p);
        }
    }
    return NULL;
}

/* Validation never reads outside lp[0..size): every length field is
 * checked against the bytes remaining before it is used. */
int lp_validate(const unsigned char *lp, size_t size, int deep)
{
    if (!lp || size < LP_HDR_SIZE + 1 || size > LP_MAX_TOTAL)
        return 0;
    if (lp_total(lp) != size)
        return 0;
    if (lp[size - 1] != LP_EOF)
        return 0;
    if (!deep)
        return 1;
    const unsigned char *p = lp + LP_HDR_SIZE;
    const unsigned char *end = lp + size - 1; /* the EOF byte */
    unsigned long count = 0;
    while (p < end) {
        size_t avail = (size_t)(end - p);
        unsigned char b = p[0];
        uint64_t l;
        if (b < 0x80) {
            l = 1;
        } else if ((b & 0xC0) == LP_ENC_6BIT_STR) {
            l = 1 + (uint64_t)(b & 0x3F);
        } else if ((b & 0xE0) == LP_ENC_13BIT_INT) {
            l = 2;
        } else if ((b & 0xF0) == LP_ENC_12BIT_STR) {
            if (avail < 2)
                return 0;
            l = 2 + (((uint64_t)(b & 0x0F) << 8) | p[1]);
        } else if (b == LP_ENC_32BIT_STR) {
            if (avail < 5)
                return 0;
            l = 5 + (uint64_t)lp_rd32(p + 1);
        } else if (b == LP_ENC_16BIT_INT) {
            l = 3;
        } else if (b == LP_ENC_24BIT_INT) {
            l = 4;
        } else if (b == LP_ENC_32BIT_INT) {
            l = 5;
        } else if (b == LP_ENC_64BIT_INT) {
            l = 9;
        } else {
            return 0; /* 0xF5..0xFE unused, 0xFF before the end */
        }
        uint64_t bl = lp_backlen_size(l);
        if (l + bl > avail)
            return 0;
        unsigned char expect[5];
        lp_backlen_write(expect, l);
        if (memcmp(p + l, expect, bl) != 0)
            return 0;
        p += l + bl;
        count++;
    }
    if (p != end)
        return 0;
    unsigned n = lp_numele(lp);
    if (n != LP_NUMELE_UNKNOWN && n != count)
        return 0;
    return 1;
}

size_t lp_entry_size_for(const unsigned char *s, uint32_t len)
{
    lp_newentry e;
    lp_prepare(&e, s, len);
    return (size_t)e.total;
}

int lp_string_to_int(const unsigned char *s, size_t len, long long *v)
{
    long long tmp;
    if (!util_str2ll((const char *)s, len, &tmp))
        return 0;
    if (v)
        *v = tmp;
    return 1;
}
