/* object: the value objects stored in the keyspace (kobj): creation,
 * reference counting, string encodings (int, embstr, raw) and the facts
 * OBJECT and MEMORY report about them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

static kobj *obj_alloc(size_t extra)
{
    kobj *o = malloc(sizeof(kobj) + extra);
    if (!o)
        abort();
    o->refcount = 1;
    o->lru = obj_lru_clock();
    return o;
}

kobj *obj_create(int type, void *ptr)
{
    kobj *o = obj_alloc(0);
    o->type = type;
    o->encoding = ENC_RAW;
    o->ptr = ptr;
    return o;
}

/* Short strings live in the same allocation as their object (one malloc,
 * one cache line for the common small value), as Redis's embstr. */
kobj *obj_create_string(const void *p, size_t len)
{
    if (len <= OBJ_EMBSTR_MAX) {
        kobj *o = obj_alloc(buf_embed_size(len));
        o->type = OBJ_STRING;
        o->encoding = ENC_EMBSTR;
        o->ptr = buf_embed(o + 1, p, len);
        return o;
    }
    return obj_create_from_buf(buf_new(p, len));
}

kobj *obj_create_from_buf(buf b)
{
    kobj *o = obj_create(OBJ_STRING, b);
    o->encoding = ENC_RAW;
    return o;
}

kobj *obj_create_from_ll(long long v)
{
    kobj *o = obj_alloc(0);
    o->type = OBJ_STRING;
    o->encoding = ENC_INT;
    o->ptr = (void *)(intptr_t)v;
    return o;
}

/* Values of up to 20 characters that are exactly the decimal form of a
 * long long are stored as the number itself: no string allocation. */
kobj *obj_create_string_try_int(const void *p, size_t len)
{
    long long v;
    if (len <= 20 && util_str2ll(p, len, &v))
        return obj_create_from_ll(v);
    return obj_create_string(p, len);
}

kobj *obj_dup_string(const kobj *o)
{
    if (o->encoding == ENC_INT)
        return obj_create_from_ll((long long)(intptr_t)o->ptr);
    if (o->encoding == ENC_EMBSTR)
        return obj_create_string(o->ptr, buf_len(o->ptr));
    return obj_create_from_buf(buf_dup(o->ptr));
}

void obj_incr_ref(kobj *o)
{
    o->refcount++;
}

static const obj_type_ops *obj_ops(int type)
{
    switch (type) {
    case OBJ_LIST: return &list_type_ops;
    case OBJ_SET: return &set_type_ops;
    case OBJ_ZSET: return &zset_type_ops;
    case OBJ_HASH: return &hash_type_ops;
    default: return NULL;
    }
}

static void obj_free(kobj *o)
{
    if (o->type == OBJ_STRING) {
        if (o->encoding == ENC_RAW)
            buf_free(o->ptr);
    } else {
        obj_ops(o->type)->free_value(o);
    }
    free(o);
}

kobj *obj_dup(const kobj *o)
{
    if (o->type == OBJ_STRING)
        return obj_dup_string(o);
    return obj_ops(o->type)->dup(o);
}

size_t obj_length(const kobj *o)
{
    if (o->type == OBJ_STRING)
        return 1;
    return obj_ops(o->type)->length(o);
}

void obj_decr_ref(kobj *o)
{
    if (--o->refcount <= 0)
        obj_free(o);
}

void obj_free_value(void *o)
{
    if (o) /* NULL: the value was taken out (lazy free) before the entry went */
        obj_decr_ref(o);
}

buf obj_string_make_raw(kobj *o)
{
    if (o->encoding == ENC_RAW)
        return o->ptr;
    /* An embstr's bytes sit inside the object: move them out to a buf that
     * may grow.  The object header stays where it is (keys point at it). */
    buf b;
    if (o->encoding == ENC_INT)
        b = buf_from_ll((long long)(intptr_t)o->ptr);
    else
        b = buf_new(o->ptr, buf_len(o->ptr));
    /* An embstr's old bytes stay unused inside the object's allocation until
     * it is freed: the object cannot move, since the keyspace points at it. */
    o->ptr = b;
    o->encoding = ENC_RAW;
    return b;
}

size_t obj_string_len(const kobj *o)
{
    if (o->encoding == ENC_INT) {
        char tmp[LL_STR_SIZE];
        return (size_t)util_ll2str(tmp, sizeof(tmp), (long long)(intptr_t)o->ptr);
    }
    return buf_len(o->ptr);
}

const char *obj_string_view(const kobj *o, char tmp[LL_STR_SIZE], size_t *len)
{
    if (o->encoding == ENC_INT) {
        *len = (size_t)util_ll2str(tmp, LL_STR_SIZE, (long long)(intptr_t)o->ptr);
        return tmp;
    }
    *len = buf_len(o->ptr);
    return o->ptr;
}

int obj_get_ll(const kobj *o, long long *out)
{
    if (o->type != OBJ_STRING)
        return 0;
    if (o->encoding == ENC_INT) {
        *out = (long long)(intptr_t)o->ptr;
        return 1;
    }
    return util_str2ll(o->ptr, buf_len(o->ptr), out);
}

int obj_get_ld(const kobj *o, long double *out)
{
    if (o->type != OBJ_STRING)
        return 0;
    if (o->encoding == ENC_INT) {
        *out = (long double)(long long)(intptr_t)o->ptr;
        return 1;
    }
    return util_str2ld(o->ptr, buf_len(o->ptr), out);
}

const char *obj_type_name(const kobj *o)
{
    switch (o->type) {
    case OBJ_STRING: return "string";
    case OBJ_LIST: return "list";
    case OBJ_SET: return "set";
    case OBJ_ZSET: return "zset";
    case OBJ_HASH: return "hash";
    default: return "unknown";
    }
}

const char *obj_encoding_name(int encoding)
{
    switch (encoding) {
    case ENC_RAW: return "raw";
    case ENC_INT: return "int";
    case ENC_HASHTABLE: return "hashtable";
    case ENC_INTSET: return "intset";
    case ENC_SKIPLIST: return "skiplist";
    case ENC_EMBSTR: return "embstr";
    case ENC_QUICKLIST: return "quicklist";
    case ENC_LISTPACK: return "listpack";
    default: return "unknown";
    }
}

/* A seconds clock folded to 24 bits, as OBJECT IDLETIME needs (wraps every
 * 194 days; idle times are computed modulo that).  Cached: the server
 * refreshes it once per event-loop iteration instead of per access. */
static unsigned int lru_clock_cached;

unsigned int obj_lru_clock(void)
{
    return lru_clock_cached;
}

void obj_update_lru_clock(int64_t now_ms)
{
    lru_clock_cached = (unsigned int)((now_ms / 1000) & ((1u << OBJ_LRU_BITS) - 1));
}

size_t obj_mem_usage(const kobj *o)
{
    size_t n = sizeof(kobj);
    if (o->type == OBJ_STRING) {
        if (o->encoding == ENC_EMBSTR)
            n += buf_embed_size(buf_len(o->ptr));
        else if (o->encoding == ENC_RAW)
            n += buf_alloc_size(o->ptr);
    } else {
        n += obj_ops(o->type)->mem_usage(o);
    }
    return n;
}
