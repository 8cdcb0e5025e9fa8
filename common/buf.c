/* buf.c: owns the buf string type: its two header layouts, allocation and
 * growth policy, and every operation on buf contents declared in buf.h. */
#include "buf.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The byte just before the data is always the flags byte, whatever the header
 * kind, so the kind can be found from the data pointer alone.  Its low bits
 * name the kind; the rest is free for future use. */
#define BUF_KIND_8 0
#define BUF_KIND_64 1
#define BUF_KIND_MASK 0x07

/* Keys are mostly short, and a keyspace holds millions of them: three bytes
 * of header for strings under 256 bytes keeps that overhead small.  Larger
 * strings pay 17 bytes, which is nothing next to their payload. */
struct __attribute__((packed)) buf_hdr8 {
    uint8_t len;
    uint8_t cap;
    uint8_t flags;
};

struct __attribute__((packed)) buf_hdr64 {
    uint64_t len;
    uint64_t cap;
    uint8_t flags;
};

/* Greedy growth doubles up to this size, then adds this much at a time, so
 * appending in a loop is amortised O(1) without wasting gigabytes on huge
 * values. */
#define BUF_MAX_PREALLOC ((size_t)1024 * 1024)

static void buf_oom(size_t size)
{
    fprintf(stderr, "buf: out of memory allocating %zu bytes\n", size);
    abort();
}

static inline int buf_kind(const char *b)
{
    return ((const unsigned char *)b)[-1] & BUF_KIND_MASK;
}

static inline size_t buf_hdr_size(int kind)
{
    return kind == BUF_KIND_8 ? sizeof(struct buf_hdr8) : sizeof(struct buf_hdr64);
}

static inline int buf_kind_for_cap(size_t cap)
{
    return cap < 256 ? BUF_KIND_8 : BUF_KIND_64;
}

static inline struct buf_hdr8 *buf_hdr8_of(const char *b)
{
    return (struct buf_hdr8 *)(uintptr_t)(b - sizeof(struct buf_hdr8));
}

static inline struct buf_hdr64 *buf_hdr64_of(const char *b)
{
    return (struct buf_hdr64 *)(uintptr_t)(b - sizeof(struct buf_hdr64));
}

static inline size_t buf_cap(const char *b)
{
    if (buf_kind(b) == BUF_KIND_8)
        return buf_hdr8_of(b)->cap;
    return (size_t)buf_hdr64_of(b)->cap;
}

/* Sets the length field only; callers write the NUL terminator. */
static inline void buf_store_len(char *b, size_t len)
{
    if (buf_kind(b) == BUF_KIND_8)
        buf_hdr8_of(b)->len = (uint8_t)len;
    else
        buf_hdr64_of(b)->len = (uint64_t)len;
}

static inline void buf_store_cap(char *b, size_t cap)
{
    if (buf_kind(b) == BUF_KIND_8)
        buf_hdr8_of(b)->cap = (uint8_t)cap;
    else
        buf_hdr64_of(b)->cap = (uint64_t)cap;
}

static size_t buf_block_size(int kind, size_t cap)
{
    size_t hdr = buf_hdr_size(kind);
    if (cap > SIZE_MAX - hdr - 1)
        buf_oom(SIZE_MAX);
    return hdr + cap + 1;
}

/* A fresh block of the kind that fits cap; the data is left uninitialised
 * except for the NUL after len. */
static char *buf_alloc(size_t len, size_t cap)
{
    int kind = buf_kind_for_cap(cap);
    size_t size = buf_block_size(kind, cap);
    char *base = malloc(size);
    if (base == NULL)
        buf_oom(size);
    char *b = base + buf_hdr_size(kind);
    b[-1] = (char)kind;
    buf_store_len(b, len);
    buf_store_cap(b, cap);
    b[len] = '\0';
    return b;
}

/* Moves b to a block with capacity newcap (>= its length).  The header kind
 * follows the capacity, so crossing 255 bytes either way changes the layout,
 * which needs a new block rather than a realloc. */
static char *buf_set_cap(char *b, size_t newcap)
{
    size_t len = buf_len(b);
    int oldkind = buf_kind(b);
    int newkind = buf_kind_for_cap(newcap);
    assert(newcap >= len);

    if (oldkind == newkind) {
        size_t hdr = buf_hdr_size(oldkind);
        size_t size = buf_block_size(newkind, newcap);
        char *base = realloc(b - hdr, size);
        if (base == NULL)
            buf_oom(size);
        b = base + hdr;
        buf_store_cap(b, newcap);
        return b;
    }
    char *nb = buf_alloc(len, newcap);
    memcpy(nb, b, len + 1);
    buf_free(b);
    return nb;
}

buf buf_new(const void *p, size_t len)
{
    char *b = buf_alloc(len, len);
    if (len > 0) {
        if (p != NULL)
            memcpy(b, p, len);
        else
            memset(b, 0, len);
    }
    return b;
}

/* Embedded bufs (an object's own string) are laid out exactly as heap ones,
 * at the caller's address, so every read-only buf function works on them. */
size_t buf_embed_size(size_t len)
{
    return buf_block_size(buf_kind_for_cap(len), len);
}

buf buf_embed(void *mem, const void *p, size_t len)
{
    int kind = buf_kind_for_cap(len);
    char *b = (char *)mem + buf_hdr_size(kind);
    b[-1] = (char)kind;
    buf_store_len(b, len);
    buf_store_cap(b, len);
    if (len > 0)
        memcpy(b, p, len);
    b[len] = '\0';
    return b;
}

buf buf_new_cap(size_t cap)
{
    return buf_alloc(0, cap);
}

buf buf_empty(void)
{
    return buf_alloc(0, 0);
}

buf buf_from_cstr(const char *s)
{
    return buf_new(s, s == NULL ? 0 : strlen(s));
}

buf buf_from_ll(long long v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%lld", v);
    return buf_new(tmp, (size_t)n);
}

buf buf_dup(const buf b)
{
    return buf_new(b, buf_len(b));
}

void buf_free(buf b)
{
    if (b == NULL)
        return;
    free(b - buf_hdr_size(buf_kind(b)));
}

size_t buf_len(const buf b)
{
    if (buf_kind(b) == BUF_KIND_8)
        return buf_hdr8_of(b)->len;
    return (size_t)buf_hdr64_of(b)->len;
}

size_t buf_avail(const buf b)
{
    return buf_cap(b) - buf_len(b);
}

size_t buf_alloc_size(const buf b)
{
    return buf_block_size(buf_kind(b), buf_cap(b));
}

buf buf_grow(buf b, size_t addlen)
{
    size_t len = buf_len(b);
    if (buf_avail(b) >= addlen)
        return b;
    if (addlen > SIZE_MAX - len)
        buf_oom(SIZE_MAX);
    size_t newcap = len + addlen;
    if (newcap < BUF_MAX_PREALLOC)
        newcap *= 2;
    else if (newcap <= SIZE_MAX - BUF_MAX_PREALLOC)
        newcap += BUF_MAX_PREALLOC;
    return buf_set_cap(b, newcap);
}

buf buf_grow_exact(buf b, size_t addlen)
{
    size_t len = buf_len(b);
    if (buf_avail(b) >= addlen)
        return b;
    if (addlen > SIZE_MAX - len)
        buf_oom(SIZE_MAX);
    return buf_set_cap(b, len + addlen);
}

void buf_set_len(buf b, size_t len)
{
    assert(len <= buf_cap(b));
    buf_store_len(b, len);
    b[len] = '\0';
}

void buf_incr_len(buf b, ssize_t incr)
{
    size_t len = buf_len(b);
    if (incr >= 0) {
        assert((size_t)incr <= buf_avail(b));
        len += (size_t)incr;
    } else {
        assert((size_t)-incr <= len);
        len -= (size_t)-incr;
    }
    buf_set_len(b, len);
}

buf buf_resize(buf b, size_t len)
{
    size_t cur = buf_len(b);
    if (len > cur) {
        b = buf_grow(b, len - cur);
        memset(b + cur, 0, len - cur);
    }
    buf_set_len(b, len);
    return b;
}

buf buf_shrink(buf b)
{
    size_t len = buf_len(b);
    if (buf_cap(b) == len)
        return b;
    return buf_set_cap(b, len);
}

/* p may point into b itself (buf_cat_buf(b, b)); growing would then leave it
 * dangling, so such a source is re-derived from its offset after the grow. */
buf buf_cat(buf b, const void *p, size_t len)
{
    size_t cur = buf_len(b);
    uintptr_t src = (uintptr_t)p, lo = (uintptr_t)b, hi = lo + buf_cap(b);
    if (len > 0 && src >= lo && src < hi) {
        size_t off = (size_t)(src - lo);
        b = buf_grow(b, len);
        memmove(b + cur, b + off, len);
    } else {
        b = buf_grow(b, len);
        if (len > 0)
            memcpy(b + cur, p, len);
    }
    buf_set_len(b, cur + len);
    return b;
}

buf buf_cat_cstr(buf b, const char *s)
{
    return buf_cat(b, s, strlen(s));
}

buf buf_cat_buf(buf b, const buf other)
{
    return buf_cat(b, other, buf_len(other));
}

/* Formats straight into the free space and only grows when the output does
 * not fit, so short appends to a buf with room cost no allocation. */
buf buf_cat_vprintf(buf b, const char *fmt, va_list ap)
{
    size_t cur = buf_len(b);
    if (buf_avail(b) < 16)
        b = buf_grow(b, 16);
    for (;;) {
        size_t avail = buf_avail(b);
        va_list cp;
        va_copy(cp, ap);
        /* avail + 1: the NUL may land in the terminator slot after cap. */
        int n = vsnprintf(b + cur, avail + 1, fmt, cp);
        va_end(cp);
        if (n < 0) {
            b[cur] = '\0';
            return b;
        }
        if ((size_t)n <= avail) {
            buf_set_len(b, cur + (size_t)n);
            return b;
        }
        b = buf_grow(b, (size_t)n);
    }
}

buf buf_cat_printf(buf b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    b = buf_cat_vprintf(b, fmt, ap);
    va_end(ap);
    return b;
}

buf buf_cpy(buf b, const void *p, size_t len)
{
    size_t cur = buf_len(b);
    if (buf_cap(b) < len)
        b = buf_grow_exact(b, len - cur);
    if (len > 0)
        memmove(b, p, len);
    buf_set_len(b, len);
    return b;
}

/* The quoting matches Redis's sdscatrepr, which is what redis-cli and
 * DEBUG/MONITOR output show: backslash and double quote escaped, the usual
 * C escapes for control characters, \xNN for any other non-printable. */
buf buf_cat_repr(buf b, const void *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = p;
    b = buf_grow(b, len + 2);
    b = buf_cat(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        char esc[4];
        size_t n = 2;
        esc[0] = '\\';
        switch (c) {
        case '\\':
        case '"': esc[1] = (char)c; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\a': esc[1] = 'a'; break;
        case '\b': esc[1] = 'b'; break;
        default:
            if (c >= 0x20 && c <= 0x7e) {
                esc[0] = (char)c;
                n = 1;
            } else {
                esc[1] = 'x';
                esc[2] = hex[c >> 4];
                esc[3] = hex[c & 0x0f];
                n = 4;
            }
        }
        b = buf_cat(b, esc, n);
    }
    return buf_cat(b, "\"", 1);
}

void buf_clear(buf b)
{
    buf_set_len(b, 0);
}

void buf_consume(buf b, size_t n)
{
    size_t len = buf_len(b);
    if (n >= len) {
        buf_set_len(b, 0);
        return;
    }
    if (n > 0)
        memmove(b, b + n, len - n);
    buf_set_len(b, len - n);
}

/* Same clamping as Redis's sdsrange (GETRANGE and friends rely on it): a
 * negative index counts from the end and is clamped at 0 after that, an end
 * past the string is clamped to the last byte, and start > end (or a start
 * past the end) leaves the buf empty. */
void buf_range(buf b, ssize_t start, ssize_t end)
{
    size_t len = buf_len(b);
    if (len == 0)
        return;
    if (start < 0) {
        start += (ssize_t)len;
        if (start < 0)
            start = 0;
    }
    if (end < 0) {
        end += (ssize_t)len;
        if (end < 0)
            end = 0;
    }
    size_t newlen = 0;
    if (start <= end && (size_t)start < len) {
        if ((size_t)end >= len)
            end = (ssize_t)len - 1;
        newlen = (size_t)(end - start) + 1;
        if (start > 0)
            memmove(b, b + start, newlen);
    }
    buf_set_len(b, newlen);
}

void buf_tolower(buf b)
{
    size_t len = buf_len(b);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c >= 'A' && c <= 'Z')
            b[i] = (char)(c + ('a' - 'A'));
    }
}

int buf_cmp(const buf a, const buf b)
{
    size_t la = buf_len(a), lb = buf_len(b);
    int r = memcmp(a, b, la < lb ? la : lb);
    if (r != 0)
        return r;
    return (la > lb) - (la < lb);
}

int buf_eq(const buf a, const void *p, size_t len)
{
    return buf_len(a) == len && (len == 0 || memcmp(a, p, len) == 0);
}
