/* intset.c: owns the intset, the sorted array of distinct integers behind
 * small all-integer sets, in Redis 7.0's format so an RDB file can carry the
 * blob unchanged: <encoding u32 LE> <length u32 LE> <contents>, where each
 * element takes `encoding` bytes (2, 4 or 8), little-endian, ascending.
 * Adding a value wider than the current encoding upgrades every element;
 * sets never downgrade (as in Redis). */
#include "intset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INTSET_ENC_16 2u
#define INTSET_ENC_32 4u
#define INTSET_ENC_64 8u
#define INTSET_HDR 8u

/* The header fields are stored little-endian whatever the host: the struct
 * is the blob, so intset_bytes(is) bytes starting at is go to RDB as is. */
struct intset {
    uint32_t encoding;
    uint32_t length;
    unsigned char contents[];
};

static void intset_oom(size_t size)
{
    fprintf(stderr, "intset: out of memory allocating %zu bytes\n", size);
    abort();
}

static inline uint32_t is_rd32(const void *p)
{
    const unsigned char *b = p;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

static inline void is_wr32(void *p, uint32_t v)
{
    unsigned char *b = p;
    b[0] = (unsigned char)(v & 0xff);
    b[1] = (unsigned char)((v >> 8) & 0xff);
    b[2] = (unsigned char)((v >> 16) & 0xff);
    b[3] = (unsigned char)(v >> 24);
}

static inline uint32_t is_enc(const intset *is)
{
    return is_rd32(&is->encoding);
}

static inline void is_set_enc(intset *is, uint32_t enc)
{
    is_wr32(&is->encoding, enc);
}

uint32_t intset_len(const intset *is)
{
    return is_rd32(&is->length);
}

static inline void is_set_len(intset *is, uint32_t len)
{
    is_wr32(&is->length, len);
}

static inline uint32_t intset_value_encoding(int64_t v)
{
    if (v < INT32_MIN || v > INT32_MAX)
        return INTSET_ENC_64;
    if (v < INT16_MIN || v > INT16_MAX)
        return INTSET_ENC_32;
    return INTSET_ENC_16;
}

/* Element pos read with encoding enc (little-endian, sign-extended). */
static inline int64_t is_get_enc(const unsigned char *contents, uint32_t pos, uint32_t enc)
{
    const unsigned char *b = contents + (size_t)pos * enc;
    uint64_t uv = 0;
    for (uint32_t i = 0; i < enc; i++)
        uv |= (uint64_t)b[i] << (8 * i);
    if (enc == INTSET_ENC_16)
        return (int16_t)(uint16_t)uv;
    if (enc == INTSET_ENC_32)
        return (int32_t)(uint32_t)uv;
    return (int64_t)uv;
}

static inline void is_set_at(unsigned char *contents, uint32_t pos, uint32_t enc, int64_t v)
{
    unsigned char *b = contents + (size_t)pos * enc;
    uint64_t uv = (uint64_t)v;
    for (uint32_t i = 0; i < enc; i++)
        b[i] = (unsigned char)((uv >> (8 * i)) & 0xff);
}

static inline int64_t is_get(const intset *is, uint32_t pos)
{
    return is_get_enc(is->contents, pos, is_enc(is));
}

static intset *intset_resize(intset *is, uint32_t len)
{
    size_t sz = INTSET_HDR + (size_t)len * is_enc(is);
    intset *n = realloc(is, sz);
    if (!n)
        intset_oom(sz);
    return n;
}

/* Binary search: 1 and *pos = index if found, else 0 and *pos = where the
 * value would be inserted to keep the order. */
static int intset_search(const intset *is, int64_t value, uint32_t *pos)
{
    uint32_t len = intset_len(is);
    if (len == 0) {
        *pos = 0;
        return 0;
    }
    /* Appending ascending values is the common case: check the ends first. */
    if (value > is_get(is, len - 1)) {
        *pos = len;
        return 0;
    }
    if (value < is_get(is, 0)) {
        *pos = 0;
        return 0;
    }
    uint32_t lo = 0, hi = len; /* [lo, hi) */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t cur = is_get(is, mid);
        if (cur == value) {
            *pos = mid;
            return 1;
        }
        if (cur < value)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

intset *intset_new(void)
{
    intset *is = malloc(INTSET_HDR);
    if (!is)
        intset_oom(INTSET_HDR);
    is_set_enc(is, INTSET_ENC_16);
    is_set_len(is, 0);
    return is;
}

void intset_free(intset *is)
{
    free(is);
}

/* A value that needs a wider encoding is either below every member
 * (negative) or above every member, so it goes first or last. */
static intset *intset_upgrade_add(intset *is, int64_t value)
{
    uint32_t oldenc = is_enc(is), newenc = intset_value_encoding(value);
    uint32_t len = intset_len(is);
    int prepend = value < 0;
    is_set_enc(is, newenc);
    is = intset_resize(is, len + 1);
    /* From the back, so wider slots never overwrite unread narrow ones. */
    for (uint32_t i = len; i-- > 0;)
        is_set_at(is->contents, i + (uint32_t)prepend, newenc, is_get_enc(is->contents, i, oldenc));
    is_set_at(is->contents, prepend ? 0 : len, newenc, value);
    is_set_len(is, len + 1);
    return is;
}

intset *intset_add(intset *is, int64_t value, int *added)
{
    if (added)
        *added = 1;
    if (intset_value_encoding(value) > is_enc(is))
        return intset_upgrade_add(is, value);
    uint32_t pos;
    if (intset_search(is, value, &pos)) {
        if (added)
            *added = 0;
        return is;
    }
    uint32_t len = intset_len(is), enc = is_enc(is);
    is = intset_resize(is, len + 1);
    if (pos < len)
        memmove(is->contents + (size_t)(pos + 1) * enc, is->contents + (size_t)pos * enc,
                (size_t)(len - pos) * enc);
    is_set_at(is->contents, pos, enc, value);
    is_set_len(is, len + 1);
    return is;
}

intset *intset_remove(intset *is, int64_t value, int *removed)
{
    if (removed)
        *removed = 0;
    uint32_t pos;
    if (intset_value_encoding(value) > is_enc(is) || !intset_search(is, value, &pos))
        return is;
    uint32_t len = intset_len(is), enc = is_enc(is);
    if (pos < len - 1)
        memmove(is->contents + (size_t)pos * enc, is->contents + (size_t)(pos + 1) * enc,
                (size_t)(len - pos - 1) * enc);
    is_set_len(is, len - 1);
    is = intset_resize(is, len - 1);
    if (removed)
        *removed = 1;
    return is;
}

int intset_find(const intset *is, int64_t value)
{
    uint32_t pos;
    return intset_value_encoding(value) <= is_enc(is) && intset_search(is, value, &pos);
}

int intset_get(const intset *is, uint32_t pos, int64_t *value)
{
    if (pos >= intset_len(is))
        return 0;
    if (value)
        *value = is_get(is, pos);
    return 1;
}

int64_t intset_random(const intset *is)
{
    uint32_t len = intset_len(is);
    if (len == 0)
        return 0;
    return is_get(is, (uint32_t)((unsigned long)random() % len));
}

size_t intset_bytes(const intset *is)
{
    return INTSET_HDR + (size_t)intset_len(is) * is_enc(is);
}

int64_t intset_max(const intset *is)
{
    uint32_t len = intset_len(is);
    return len ? is_get(is, len - 1) : 0;
}

int64_t intset_min(const intset *is)
{
    return intset_len(is) ? is_get(is, 0) : 0;
}

intset *intset_dup(const intset *is)
{
    size_t sz = intset_bytes(is);
    intset *n = malloc(sz);
    if (!n)
        intset_oom(sz);
    memcpy(n, is, sz);
    return n;
}

/* As Redis 7.0 does, an empty intset is rejected: no valid RDB file holds
 * one (empty sets are deleted), so it can only come from corruption. */
int intset_validate(const void *blob, size_t size, int deep)
{
    if (!blob || size < INTSET_HDR)
        return 0;
    const unsigned char *b = blob;
    uint32_t enc = is_rd32(b), len = is_rd32(b + 4);
    if (enc != INTSET_ENC_16 && enc != INTSET_ENC_32 && enc != INTSET_ENC_64)
        return 0;
    if ((uint64_t)INTSET_HDR + (uint64_t)len * enc != (uint64_t)size)
        return 0;
    if (len == 0)
        return 0;
    if (!deep)
        return 1;
    int64_t prev = is_get_enc(b + INTSET_HDR, 0, enc);
    for (uint32_t i = 1; i < len; i++) {
        int64_t cur = is_get_enc(b + INTSET_HDR, i, enc);
        if (cur <= prev)
            return 0;
        prev = cur;
    }
    return 1;
}
