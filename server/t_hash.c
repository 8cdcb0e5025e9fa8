/* t_hash: the hash type (field -> value maps) and its commands: HSET,
 * HSETNX, HMSET, HGET, HMGET, HGETALL, HKEYS, HVALS, HLEN, HSTRLEN,
 * HEXISTS, HDEL, HINCRBY, HINCRBYFLOAT, HRANDFIELD and HSCAN.
 *
 * Two encodings, chosen exactly as Redis 7.0 chooses them:
 *  - listpack: field, value, field, value ... in one listpack, while the
 *    hash has at most hash-max-listpack-entries fields and no field or value
 *    longer than hash-max-listpack-value bytes;
 *  - hashtable: a dict whose keys are "pairs" (the field and its value in
 *    one allocation, see below).
 * Conversion is one-way (listpack -> hashtable), as in Redis.
 *
 * Replies, error strings and the order of checks follow Redis 7.0 byte for
 * byte.  Every change signals the key as modified (WATCH), fires Redis's
 * keyspace event and adds the number of changes to the dirty counter. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "listpack.h"
#include "server.h"
#include "type_persist.h"

/* HINCRBYFLOAT formats long doubles with "%.17Lf": the largest one needs
 * about 4950 characters. */
#define HASH_LD_BUF 5120
/* A listpack is never grown past this (Redis's LISTPACK_MAX_SAFETY_SIZE):
 * its header counts bytes in 32 bits. */
#define HASH_LP_SAFETY_SIZE (1u << 30)
/* HRANDFIELD with a huge negative count would build a reply until memory
 * runs out (Redis does exactly that); Keel closes the connection instead
 * once a single reply passes this size. */
#define HASH_REPLY_HARD_LIMIT ((size_t)1 << 30)

/* ------------------------------------------------------------------ pairs */

/* In the hashtable encoding each field and its value live in one
 * allocation, used as the dict key; the entry's value slot is unused.  That
 * is one dict entry plus one block per field, instead of an entry and two
 * strings.  Layout:
 *   short form  [0][flen:u8][vlen:u8]  field bytes, value bytes  (both < 256)
 *   long form   [1][flen:u64][vlen:u64] field bytes, value bytes
 * Lookups build a pair with an empty value (on the stack when short). */
#define PAIR_SHORT 0
#define PAIR_LONG 1
#define PAIR_SHORT_HDR 3
#define PAIR_LONG_HDR 17

typedef struct hash_view {
    const char *f, *v;
    size_t flen, vlen;
} hash_view;

static size_t pair_size(size_t flen, size_t vlen)
{
    if (flen < 256 && vlen < 256)
        return PAIR_SHORT_HDR + flen + vlen;
    if (flen > SIZE_MAX / 2 || vlen > SIZE_MAX / 2 - flen - PAIR_LONG_HDR)
        abort();
    return PAIR_LONG_HDR + flen + vlen;
}

static void pair_write(unsigned char *p, const void *f, size_t flen, const void *v, size_t vlen)
{
    unsigned char *d;
    if (flen < 256 && vlen < 256) {
        p[0] = PAIR_SHORT;
        p[1] = (unsigned char)flen;
        p[2] = (unsigned char)vlen;
        d = p + PAIR_SHORT_HDR;
    } else {
        uint64_t fl = flen, vl = vlen;
        p[0] = PAIR_LONG;
        memcpy(p + 1, &fl, 8);
        memcpy(p + 9, &vl, 8);
        d = p + PAIR_LONG_HDR;
    }
    if (flen)
        memcpy(d, f, flen);
    if (vlen)
        memcpy(d + flen, v, vlen);
}

static unsigned char *pair_new(const void *f, size_t flen, const void *v, size_t vlen)
{
    unsigned char *p = malloc(pair_size(flen, vlen));
    if (!p)
        abort();
    pair_write(p, f, flen, v, vlen);
    return p;
}

static void pair_read(const unsigned char *p, hash_view *out)
{
    const char *d;
    if (p[0] == PAIR_SHORT) {
        out->flen = p[1];
        out->vlen = p[2];
        d = (const char *)p + PAIR_SHORT_HDR;
    } else {
        uint64_t fl, vl;
        memcpy(&fl, p + 1, 8);
        memcpy(&vl, p + 9, 8);
        out->flen = (size_t)fl;
        out->vlen = (size_t)vl;
        d = (const char *)p + PAIR_LONG_HDR;
    }
    out->f = d;
    out->v = d + out->flen;
}

static uint64_t pair_hash(const void *k)
{
    hash_view hv;
    pair_read(k, &hv);
    return dict_hash_bytes(hv.f, hv.flen);
}

static int pair_equal(const void *a, const void *b)
{
    hash_view x, y;
    pair_read(a, &x);
    pair_read(b, &y);
    return x.flen == y.flen && memcmp(x.f, y.f, x.flen) == 0;
}

static void pair_free(void *k)
{
    free(k);
}

static const dict_type hash_dict_type = {pair_hash, pair_equal, pair_free, NULL};

/* A lookup key: a pair holding only the field, on the stack if it fits. */
typedef struct pair_probe {
    unsigned char mem[PAIR_SHORT_HDR + 255];
    unsigned char *p;
} pair_probe;

static void *probe_init(pair_probe *pr, const void *f, size_t flen)
{
    if (flen < 256) {
        pr->p = pr->mem;
        pair_write(pr->p, f, flen, NULL, 0);
    } else {
        pr->p = pair_new(f, flen, NULL, 0);
    }
    return pr->p;
}

static void probe_release(pair_probe *pr)
{
    if (pr->p != pr->mem)
        free(pr->p);
}

static dict_entry *hash_dict_find(dict *d, const void *f, size_t flen)
{
    pair_probe pr;
    dict_entry *e = dict_find(d, probe_init(&pr, f, flen));
    probe_release(&pr);
    return e;
}

/* -------------------------------------------------------- the hash object */

static kobj *hash_create(void)
{
    kobj *o = obj_create(OBJ_HASH, lp_new(0));
    o->encoding = ENC_LISTPACK;
    return o;
}

static size_t hash_len(const kobj *o)
{
    if (o->encoding == ENC_LISTPACK)
        return lp_length(o->ptr) / 2;
    return dict_size(o->ptr);
}

/* Read the listpack entry at p as bytes; integers are formatted into tmp. */
static const char *hash_lp_bytes(const unsigned char *p, unsigned char *tmp, size_t *len)
{
    uint32_t l;
    const unsigned char *s = lp_get_bytes(p, tmp, &l);
    *len = l;
    return (const char *)s;
}

/* The listpack position of field f, or NULL. */
static unsigned char *hash_lp_find(unsigned char *lp, const void *f, size_t flen)
{
    unsigned char *p = lp_first(lp);
    if (!p || flen > UINT32_MAX)
        return NULL;
    return lp_find(lp, p, f, (uint32_t)flen, 1);
}

/* The value of field f: 1 and *v and *vlen set (integers formatted into tmp,
 * LP_INTBUF_SIZE bytes), or 0 if the field does not exist. */
static int hash_get(kobj *o, const void *f, size_t flen, const char **v, size_t *vlen,
                    unsigned char *tmp)
{
    if (o->encoding == ENC_LISTPACK) {
        unsigned char *fp = hash_lp_find(o->ptr, f, flen);
        if (!fp)
            return 0;
        *v = hash_lp_bytes(lp_next(o->ptr, fp), tmp, vlen);
        return 1;
    }
    dict_entry *e = hash_dict_find(o->ptr, f, flen);
    if (!e)
        return 0;
    hash_view hv;
    pair_read(e->key, &hv);
    *v = hv.v;
    *vlen = hv.vlen;
    return 1;
}

static int hash_exists(kobj *o, const void *f, size_t flen)
{
    if (o->encoding == ENC_LISTPACK)
        return hash_lp_find(o->ptr, f, flen) != NULL;
    return hash_dict_find(o->ptr, f, flen) != NULL;
}

/* listpack -> hashtable.  A duplicate field means the listpack was corrupt
 * (it can only come from a bad RDB file): stop rather than lose data. */
static void hash_convert(kobj *o)
{
    unsigned char *lp = o->ptr;
    dict *d = dict_create(&hash_dict_type);
    dict_expand(d, lp_length(lp) / 2);
    unsigned char ftmp[LP_INTBUF_SIZE], vtmp[LP_INTBUF_SIZE];
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
        hash_view hv;
        hv.f = hash_lp_bytes(p, ftmp, &hv.flen);
        p = lp_next(lp, p);
        hv.v = hash_lp_bytes(p, vtmp, &hv.vlen);
        if (dict_add(d, pair_new(hv.f, hv.flen, hv.v, hv.vlen), NULL) != DICT_OK) {
            log_warning("hash: listpack with a duplicate field; corrupt data");
            abort();
        }
    }
    lp_free(lp);
    o->ptr = d;
    o->encoding = ENC_HASHTABLE;
}

/* Before a write with the arguments argv[start..end] (fields and values):
 * a listpack hash becomes a hashtable if any of them is longer than
 * hash-max-listpack-value, or if they could push the listpack past its
 * safety size.  Checked up front, as Redis does, so a long argument converts
 * the hash even when the write then changes nothing. */
static void hash_try_conversion(client *c, kobj *o, int start, int end)
{
    if (o->encoding != ENC_LISTPACK)
        return;
    long long maxval = c->srv->cfg.hash_max_listpack_value;
    size_t sum = 0;
    for (int i = start; i <= end; i++) {
        size_t len = c->argv[i].len;
        if ((long long)len > maxval) {
            hash_convert(o);
            return;
        }
        sum += len;
    }
    if (lp_bytes(o->ptr) + sum > HASH_LP_SAFETY_SIZE)
        hash_convert(o);
}

/* Set field f to value v.  Returns 1 if the field is new, 0 if its value
 * was replaced.  As Redis: a field or value longer than the value limit
 * converts first (HINCRBY* reach here without hash_try_conversion), and a
 * listpack that ends up with more entries than the limit converts after. */
static int hash_set(server *s, kobj *o, const void *f, size_t flen, const void *v, size_t vlen)
{
    if (o->encoding == ENC_LISTPACK) {
        long long maxval = s->cfg.hash_max_listpack_value;
        if ((long long)flen > maxval || (long long)vlen > maxval ||
            lp_bytes(o->ptr) + flen + vlen > HASH_LP_SAFETY_SIZE)
            hash_convert(o);
    }
    if (o->encoding == ENC_LISTPACK) {
        unsigned char *lp = o->ptr;
        unsigned char *fp = hash_lp_find(lp, f, flen);
        int added;
        if (fp) {
            unsigned char *vp = lp_next(lp, fp);
            lp = lp_replace(lp, &vp, v, (uint32_t)vlen);
            added = 0;
        } else {
            lp = lp_append(lp, f, (uint32_t)flen);
            lp = lp_append(lp, v, (uint32_t)vlen);
            added = 1;
        }
        o->ptr = lp;
        if ((long long)hash_len(o) > s->cfg.hash_max_listpack_entries)
            hash_convert(o);
        return added;
    }

    dict *d = o->ptr;
    dict_entry *e = hash_dict_find(d, f, flen);
    unsigned char *np = pair_new(f, flen, v, vlen);
    if (e) {
        /* Same field, so the same hash: the entry keeps its place and only
         * its key block is swapped for one holding the new value. */
        free(e->key);
        e->key = np;
        return 0;
    }
    dict_add(d, np, NULL);
    return 1;
}

/* Delete field f; 1 if it existed. */
static int hash_delete(kobj *o, const void *f, size_t flen)
{
    if (o->encoding == ENC_LISTPACK) {
        unsigned char *fp = hash_lp_find(o->ptr, f, flen);
        if (!fp)
            return 0;
        o->ptr = lp_delete_range_at(o->ptr, &fp, 2);
        return 1;
    }
    pair_probe pr;
    int ok = dict_delete(o->ptr, probe_init(&pr, f, flen)) == DICT_OK;
    probe_release(&pr);
    return ok;
}

/* -------------------------------------------------------------- iteration */

/* Walks every field/value pair in storage order.  The hash must not change
 * while an iterator is live. */
typedef struct hash_iter {
    kobj *o;
    unsigned char *p; /* listpack: the next field */
    dict_iter di;
    unsigned char ftmp[LP_INTBUF_SIZE], vtmp[LP_INTBUF_SIZE];
} hash_iter;

static void hash_iter_init(hash_iter *it, kobj *o)
{
    it->o = o;
    if (o->encoding == ENC_LISTPACK)
        it->p = lp_first(o->ptr);
    else
        dict_iter_init(&it->di, o->ptr, 0);
}

/* 1 with *out set to the next pair, 0 at the end. */
static int hash_iter_next(hash_iter *it, hash_view *out)
{
    if (it->o->encoding == ENC_LISTPACK) {
        if (!it->p)
            return 0;
        unsigned char *lp = it->o->ptr;
        out->f = hash_lp_bytes(it->p, it->ftmp, &out->flen);
        unsigned char *vp = lp_next(lp, it->p);
        out->v = hash_lp_bytes(vp, it->vtmp, &out->vlen);
        it->p = lp_next(lp, vp);
        return 1;
    }
    dict_entry *e = dict_iter_next(&it->di);
    if (!e)
        return 0;
    pair_read(e->key, out);
    return 1;
}

static void hash_iter_release(hash_iter *it)
{
    if (it->o->encoding != ENC_LISTPACK)
        dict_iter_release(&it->di);
}

/* ------------------------------------------------------- type operations */

static void hash_free_value(kobj *o)
{
    if (o->encoding == ENC_LISTPACK)
        lp_free(o->ptr);
    else
        dict_release(o->ptr);
}

static kobj *hash_dup(const kobj *o)
{
    kobj *n;
    if (o->encoding == ENC_LISTPACK) {
        size_t sz = lp_bytes(o->ptr);
        unsigned char *lp = malloc(sz);
        if (!lp)
            abort();
        memcpy(lp, o->ptr, sz);
        n = obj_create(OBJ_HASH, lp);
        n->encoding = ENC_LISTPACK;
        return n;
    }
    dict *src = o->ptr;
    dict *d = dict_create(&hash_dict_type);
    dict_expand(d, dict_size(src));
    dict_iter it;
    dict_iter_init(&it, src, 0);
    dict_entry *e;
    while ((e = dict_iter_next(&it)) != NULL) {
        hash_view hv;
        pair_read(e->key, &hv);
        dict_add(d, pair_new(hv.f, hv.flen, hv.v, hv.vlen), NULL);
    }
    dict_iter_release(&it);
    n = obj_create(OBJ_HASH, d);
    n->encoding = ENC_HASHTABLE;
    return n;
}

static size_t hash_length(const kobj *o)
{
    return hash_len(o);
}

/* Bytes used: the listpack itself, or the dict plus every pair block.  Big
 * hashes are sampled (the first 1024 pairs, scaled up), as MEMORY USAGE
 * in Redis samples. */
static size_t hash_mem_usage(const kobj *o)
{
    if (o->encoding == ENC_LISTPACK)
        return lp_bytes(o->ptr);
    dict *d = o->ptr;
    size_t total = dict_mem_usage(d), pairs = 0, seen = 0;
    dict_iter it;
    dict_iter_init(&it, d, 0);
    dict_entry *e;
    while (seen < 1024 && (e = dict_iter_next(&it)) != NULL) {
        hash_view hv;
        pair_read(e->key, &hv);
        pairs += pair_size(hv.flen, hv.vlen);
        seen++;
    }
    dict_iter_release(&it);
    if (seen)
        total += (size_t)((double)pairs / (double)seen * (double)dict_size(d));
    return total;
}

const obj_type_ops hash_type_ops = {hash_free_value, hash_dup, hash_length, hash_mem_usage};

/* --------------------------------------------------------------- helpers */

/* Redis compares option words (WITHVALUES, MATCH, COUNT) as C strings, so
 * an argument counts only up to its first NUL byte. */
static int hash_opt_is(const resp_arg *a, const char *word)
{
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t len = nul ? (size_t)(nul - a->ptr) : a->len;
    return len == strlen(word) && strncasecmp(a->ptr, word, len) == 0;
}

/* The hash at key for reading: NULL if absent (nothing replied) or of
 * another type (WRONGTYPE replied, *wrong set). */
static kobj *hash_lookup_read(client *c, const resp_arg *key, int *wrong)
{
    kobj *o = db_lookup_read(c, key);
    *wrong = 0;
    if (o && o->type != OBJ_HASH) {
        reply_error_wrongtype(c);
        *wrong = 1;
        return NULL;
    }
    return o;
}

/* The hash at key for writing, created (empty, listpack) when absent.
 * NULL after replying WRONGTYPE. */
static kobj *hash_lookup_write_or_create(client *c, const resp_arg *key)
{
    kobj *o = db_lookup_write(c, key);
    if (o) {
        if (o->type != OBJ_HASH) {
            reply_error_wrongtype(c);
            return NULL;
        }
        return o;
    }
    o = hash_create();
    db_add(c->db, key->ptr, key->len, o);
    return o;
}

static void hash_changed(client *c, const resp_arg *key, const char *event, long long changes)
{
    db_signal_modified(c, c->db, key->ptr, key->len);
    notify_keyspace_event(c->srv, NOTIFY_HASH, event, key->ptr, key->len, c->db->id);
    c->srv->stats.dirty += changes;
}

/* A field's value as a reply: the bulk, or nil. */
static void hash_reply_value(client *c, kobj *o, const resp_arg *field)
{
    unsigned char tmp[LP_INTBUF_SIZE];
    const char *v;
    size_t vlen;
    if (o && hash_get(o, field->ptr, field->len, &v, &vlen, tmp))
        reply_bulk(c, v, vlen);
    else
        reply_nil(c);
}

/* xorshift64*: HRANDFIELD needs many cheap numbers, not secret ones. */
static uint64_t hash_rand_state;

static uint64_t hash_rand(void)
{
    if (hash_rand_state == 0) {
        util_random_bytes(&hash_rand_state, sizeof(hash_rand_state));
        hash_rand_state |= 1;
    }
    uint64_t x = hash_rand_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    hash_rand_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [0, n). */
static uint64_t hash_rand_below(uint64_t n)
{
    return (uint64_t)(((unsigned __int128)hash_rand() * n) >> 64);
}

/* --------------------------------------------------------- set commands */

/* HSET key field value [field value ...] and HMSET: one reply differs (the
 * number of new fields, or OK); the keyspace event is "hset" for both. */
static void hash_set_generic(client *c, int is_hmset)
{
    if (c->argc % 2 == 1) {
        reply_error_arity(c);
        return;
    }
    const resp_arg *key = &c->argv[1];
    kobj *o = hash_lookup_write_or_create(c, key);
    if (!o)
        return;
    hash_try_conversion(c, o, 2, c->argc - 1);
    long long created = 0;
    for (int i = 2; i < c->argc; i += 2)
        created += hash_set(c->srv, o, c->argv[i].ptr, c->argv[i].len, c->argv[i + 1].ptr,
                            c->argv[i + 1].len);
    if (is_hmset)
        reply_ok(c);
    else
        reply_int(c, created);
    hash_changed(c, key, "hset", (c->argc - 2) / 2);
}

static void hset_command(client *c)
{
    hash_set_generic(c, 0);
}

static void hmset_command(client *c)
{
    hash_set_generic(c, 1);
}

/* HSETNX key field value: an existing field is left alone, and then the
 * value's length does not convert the hash (Redis checks existence first). */
static void hsetnx_command(client *c)
{
    const resp_arg *key = &c->argv[1];
    kobj *o = hash_lookup_write_or_create(c, key);
    if (!o)
        return;
    if (hash_exists(o, c->argv[2].ptr, c->argv[2].len)) {
        reply_int(c, 0);
        return;
    }
    hash_try_conversion(c, o, 2, 3);
    hash_set(c->srv, o, c->argv[2].ptr, c->argv[2].len, c->argv[3].ptr, c->argv[3].len);
    reply_int(c, 1);
    hash_changed(c, key, "hset", 1);
}

/* HINCRBY key field increment.  Order of checks as Redis: the increment,
 * the key's type, the stored value, then overflow. */
static void hincrby_command(client *c)
{
    long long incr, value = 0;
    if (!arg_get_ll(c, &c->argv[3], &incr))
        return;
    const resp_arg *key = &c->argv[1], *field = &c->argv[2];
    kobj *o = hash_lookup_write_or_create(c, key);
    if (!o)
        return;
    unsigned char tmp[LP_INTBUF_SIZE];
    const char *v;
    size_t vlen;
    if (hash_get(o, field->ptr, field->len, &v, &vlen, tmp) && !util_str2ll(v, vlen, &value)) {
        reply_error(c, "ERR hash value is not an integer");
        return;
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    value += incr;
    char out[LL_STR_SIZE];
    int n = util_ll2str(out, sizeof(out), value);
    hash_set(c->srv, o, field->ptr, field->len, out, (size_t)n);
    reply_int(c, value);
    hash_changed(c, key, "hincrby", 1);
}

/* HINCRBYFLOAT key field increment: long double arithmetic, stored in the
 * human form INCRBYFLOAT uses.  Propagated as HSET key field <result>, so
 * replicas and the AOF never redo float arithmetic. */
static void hincrbyfloat_command(client *c)
{
    long double incr, value = 0;
    if (!arg_get_ld(c, &c->argv[3], &incr))
        return;
    if (isnan(incr) || isinf(incr)) {
        reply_error(c, "ERR value is NaN or Infinity");
        return;
    }
    const resp_arg *key = &c->argv[1], *field = &c->argv[2];
    kobj *o = hash_lookup_write_or_create(c, key);
    if (!o)
        return;
    unsigned char tmp[LP_INTBUF_SIZE];
    const char *v;
    size_t vlen;
    if (hash_get(o, field->ptr, field->len, &v, &vlen, tmp) && !util_str2ld(v, vlen, &value)) {
        reply_error(c, "ERR hash value is not a float");
        return;
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    char out[HASH_LD_BUF];
    int n = util_ld2str(out, sizeof(out), value);
    if (n < 0)
        n = 0;
    hash_set(c->srv, o, field->ptr, field->len, out, (size_t)n);
    reply_bulk(c, out, (size_t)n);
    hash_changed(c, key, "hincrbyfloat", 1);
    resp_arg prop[4] = {{"HSET", 4}, *key, *field, {out, (size_t)n}};
    command_propagate_as(c, 4, prop);
}

/* HDEL key field [field ...]: the key goes away with its last field (and a
 * "del" event follows the "hdel"). */
static void hdel_command(client *c)
{
    const resp_arg *key = &c->argv[1];
    kobj *o = db_lookup_write(c, key);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (o->type != OBJ_HASH) {
        reply_error_wrongtype(c);
        return;
    }
    long long deleted = 0;
    int key_removed = 0;
    for (int i = 2; i < c->argc; i++) {
        if (hash_delete(o, c->argv[i].ptr, c->argv[i].len)) {
            deleted++;
            if (hash_len(o) == 0) {
                db_delete(c, c->db, key->ptr, key->len);
                key_removed = 1;
                break;
            }
        }
    }
    if (deleted) {
        hash_changed(c, key, "hdel", deleted);
        if (key_removed)
            notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
    }
    reply_int(c, deleted);
}

/* -------------------------------------------------------- read commands */

static void hget_command(client *c)
{
    int wrong;
    kobj *o = hash_lookup_read(c, &c->argv[1], &wrong);
    if (!wrong)
        hash_reply_value(c, o, &c->argv[2]);
}

/* HMGET key field [field ...]: a missing key reads as an empty hash. */
static void hmget_command(client *c)
{
    int wrong;
    kobj *o = hash_lookup_read(c, &c->argv[1], &wrong);
    if (wrong)
        return;
    reply_array_len(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++)
        hash_reply_value(c, o, &c->argv[i]);
}

static void hlen_command(client *c)
{
    int wrong;
    kobj *o = hash_lookup_read(c, &c->argv[1], &wrong);
    if (!wrong)
        reply_int(c, o ? (long long)hash_len(o) : 0);
}

static void hstrlen_command(client *c)
{
    int wrong;
    kobj *o = hash_lookup_read(c, &c->argv[1], &wrong);
    if (wrong)
        return;
    unsigned char tmp[LP_INTBUF_SIZE];
    const char *v;
    size_t vlen = 0;
    if (!o || !hash_get(o, c->argv[2].ptr, c->argv[2].len, &v, &vlen, tmp))
        vlen = 0;
    reply_int(c, (long long)vlen);
}

static void hexists_command(client *c)
{
    int wrong;
    kobj *o = hash_lookup_read(c, &c->argv[1], &wrong);
    if (!wrong)
        reply_int(c, o && hash_exists(o, c->argv[2].ptr, c->argv[2].len));
}

enum { HASH_KEYS = 1, HASH_VALUES = 2 };

/* HGETALL (a map), HKEYS and HVALS (arrays), in storage order. */
static void hash_getall_generic(client *c, int what)
{
    int wrong;
    kobj *o = hash_lookup_read(c, &c->argv[1], &wrong);
    if (wrong)
        return;
    long long n = o ? (long long)hash_len(o) : 0;
    if (what == (HASH_KEYS | HASH_VALUES))
        reply_map_len(c, n);
    else
        reply_array_len(c, n);
    if (!o)
        return;
    hash_iter it;
    hash_view hv;
    hash_iter_init(&it, o);
    while (hash_iter_next(&it, &hv)) {
        if (what & HASH_KEYS)
            reply_bulk(c, hv.f, hv.flen);
        if (what & HASH_VALUES)
            reply_bulk(c, hv.v, hv.vlen);
    }
    hash_iter_release(&it);
}

static void hgetall_command(client *c)
{
    hash_getall_generic(c, HASH_KEYS | HASH_VALUES);
}

static void hkeys_command(client *c)
{
    hash_getall_generic(c, HASH_KEYS);
}

static void hvals_command(client *c)
{
    hash_getall_generic(c, HASH_VALUES);
}

/* ------------------------------------------------------------ HRANDFIELD */

/* Random access to a hash's pairs for HRANDFIELD: a listpack gets an index
 * of its field positions (built once per command, so each pick is O(1));
 * a hashtable picks dict entries directly. */
typedef struct hash_sampler {
    kobj *o;
    unsigned char **fields; /* listpack only */
    size_t n;
    unsigned char ftmp[LP_INTBUF_SIZE], vtmp[LP_INTBUF_SIZE];
} hash_sampler;

static void hash_sampler_init(hash_sampler *s, kobj *o)
{
    s->o = o;
    s->fields = NULL;
    s->n = hash_len(o);
    if (o->encoding != ENC_LISTPACK)
        return;
    s->fields = calloc(s->n ? s->n : 1, sizeof(*s->fields));
    if (!s->fields)
        abort();
    size_t i = 0;
    for (unsigned char *p = lp_first(o->ptr); p && i < s->n; p = lp_next(o->ptr, p)) {
        s->fields[i++] = p;
        p = lp_next(o->ptr, p);
    }
}

static void hash_sampler_release(hash_sampler *s)
{
    free(s->fields);
}

/* The pair at listpack field position p. */
static void hash_sampler_lp_pair(hash_sampler *s, unsigned char *p, hash_view *out)
{
    out->f = hash_lp_bytes(p, s->ftmp, &out->flen);
    out->v = hash_lp_bytes(lp_next(s->o->ptr, p), s->vtmp, &out->vlen);
}

/* A uniformly random pair; for a hashtable, *entry gets its dict entry. */
static void hash_sampler_pick(hash_sampler *s, hash_view *out, dict_entry **entry)
{
    if (s->fields) {
        hash_sampler_lp_pair(s, s->fields[hash_rand_below(s->n)], out);
        return;
    }
    dict_entry *e = dict_random_entry(s->o->ptr);
    pair_read(e->key, out);
    if (entry)
        *entry = e;
}

/* One element of an HRANDFIELD reply with a count: the field, or in
 * WITHVALUES the field and the value (a nested pair in RESP3). */
static void hash_reply_random_pair(client *c, const hash_view *hv, int withvalues)
{
    if (withvalues && c->resp == 3)
        reply_array_len(c, 2);
    reply_bulk(c, hv->f, hv->flen);
    if (withvalues)
        reply_bulk(c, hv->v, hv->vlen);
}

static void hash_reply_random_header(client *c, unsigned long long n, int withvalues)
{
    reply_array_len(c, withvalues && c->resp == 2 ? (long long)(n * 2) : (long long)n);
}

/* Whether a reply being built should stop: the client is going away, or a
 * single reply grew past what any client could want (then it is closed,
 * since a truncated reply would desynchronise it). */
static int hash_reply_must_stop(client *c)
{
    if (c->flags & CLIENT_CLOSE_ASAP)
        return 1;
    if (c->reply && buf_len(c->reply) - c->reply_pos > HASH_REPLY_HARD_LIMIT) {
        log_warning("Closing client id=%llu: HRANDFIELD reply over %zu bytes",
                    (unsigned long long)c->id, HASH_REPLY_HARD_LIMIT);
        client_free_async(c);
        return 1;
    }
    return 0;
}

static uint64_t hash_ptr_hash(const void *k)
{
    return dict_hash_bytes(&k, sizeof(k));
}

static const dict_type hash_ptr_set_type = {hash_ptr_hash, NULL, NULL, NULL};

/* HRANDFIELD key count [WITHVALUES], count already validated.
 *  - negative count: |count| picks, repetitions allowed;
 *  - count >= size: the whole hash;
 *  - otherwise count distinct fields: a selection pass in storage order
 *    when count is a large share of the hash (or it is a listpack), random
 *    picks deduplicated by entry when it is a small share of a big one. */
static void hrandfield_with_count(client *c, long long l, int withvalues)
{
    int wrong;
    kobj *o = hash_lookup_read(c, &c->argv[1], &wrong);
    if (wrong)
        return;
    if (!o) {
        reply_array_len(c, 0);
        return;
    }
    unsigned long long size = hash_len(o);
    int uniq = l >= 0;
    unsigned long long count = l >= 0 ? (unsigned long long)l : 0ULL - (unsigned long long)l;
    if (count == 0) {
        reply_array_len(c, 0);
        return;
    }
    hash_view hv;

    if (!uniq || count == 1) {
        hash_reply_random_header(c, count, withvalues);
        if (c->flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP))
            return; /* nothing would be sent: skip the work */
        hash_sampler s;
        hash_sampler_init(&s, o);
        for (unsigned long long i = 0; i < count; i++) {
            hash_sampler_pick(&s, &hv, NULL);
            hash_reply_random_pair(c, &hv, withvalues);
            if ((i & 1023) == 1023 && hash_reply_must_stop(c))
                break;
        }
        hash_sampler_release(&s);
        return;
    }

    if (count >= size) {
        hash_reply_random_header(c, size, withvalues);
        hash_iter it;
        hash_iter_init(&it, o);
        while (hash_iter_next(&it, &hv))
            hash_reply_random_pair(c, &hv, withvalues);
        hash_iter_release(&it);
        return;
    }

    hash_reply_random_header(c, count, withvalues);
    if (o->encoding == ENC_LISTPACK || count * 3 > size) {
        /* Selection sampling: each pair is taken with probability
         * (still needed) / (still left), giving exactly count of them. */
        unsigned long long left = size, need = count;
        hash_iter it;
        hash_iter_init(&it, o);
        while (need && hash_iter_next(&it, &hv)) {
            if (hash_rand_below(left) < need) {
                hash_reply_random_pair(c, &hv, withvalues);
                need--;
            }
            left--;
        }
        hash_iter_release(&it);
        return;
    }
    dict *seen = dict_create(&hash_ptr_set_type);
    hash_sampler s;
    hash_sampler_init(&s, o);
    unsigned long long added = 0;
    while (added < count) {
        dict_entry *e = NULL;
        hash_sampler_pick(&s, &hv, &e);
        if (dict_add(seen, e, NULL) != DICT_OK)
            continue;
        hash_reply_random_pair(c, &hv, withvalues);
        added++;
    }
    hash_sampler_release(&s);
    dict_release(seen);
}

/* HRANDFIELD key [count [WITHVALUES]].  As Redis 7.0: the count is parsed
 * before the key is looked up, must lie in [-LONG_MAX, LONG_MAX], and with
 * WITHVALUES in [-LONG_MAX/2, LONG_MAX/2] (the reply has twice as many
 * elements). */
static void hrandfield_command(client *c)
{
    if (c->argc >= 3) {
        long long l;
        if (!arg_get_ll(c, &c->argv[2], &l))
            return;
        if (l < -LLONG_MAX) {
            reply_error(c, "ERR value is out of range, value must between -9223372036854775807 "
                           "and 9223372036854775807");
            return;
        }
        int withvalues = 0;
        if (c->argc > 4 || (c->argc == 4 && !hash_opt_is(&c->argv[3], "withvalues"))) {
            reply_error_syntax(c);
            return;
        }
        if (c->argc == 4) {
            withvalues = 1;
            if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) {
                reply_error(c, "ERR value is out of range");
                return;
            }
        }
        hrandfield_with_count(c, l, withvalues);
        return;
    }
    int wrong;
    kobj *o = hash_lookup_read(c, &c->argv[1], &wrong);
    if (wrong)
        return;
    if (!o) {
        reply_nil(c);
        return;
    }
    hash_sampler s;
    hash_view hv;
    hash_sampler_init(&s, o);
    hash_sampler_pick(&s, &hv, NULL);
    reply_bulk(c, hv.f, hv.flen);
    hash_sampler_release(&s);
}

/* ----------------------------------------------------------------- HSCAN */

typedef struct hash_scan_batch {
    const unsigned char **pairs;
    size_t n, cap;
} hash_scan_batch;

/* dict_scan callback: remember the pair (nothing changes the hash until
 * the reply is built). */
static void hash_scan_collect(void *priv, const dict_entry *e)
{
    hash_scan_batch *b = priv;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 32;
        b->pairs = realloc(b->pairs, b->cap * sizeof(*b->pairs));
        if (!b->pairs)
            abort();
    }
    b->pairs[b->n++] = e->key;
}

/* HSCAN key cursor [MATCH pattern] [COUNT count].  As Redis 7.0: the cursor
 * is parsed first, then the key is looked up (a missing key answers an empty
 * scan whatever the options), then the options.  A listpack hash answers
 * everything at once with cursor 0; a hashtable walks buckets from the
 * cursor until about COUNT pairs were collected (at most COUNT*10 buckets),
 * and MATCH filters fields afterwards. */
static void hscan_command(client *c)
{
    unsigned long cursor;
    if (!arg_get_scan_cursor(c, &c->argv[2], &cursor))
        return;
    int wrong;
    kobj *o = hash_lookup_read(c, &c->argv[1], &wrong);
    if (wrong)
        return;
    if (!o) {
        reply_array_len(c, 2);
        reply_bulk(c, "0", 1);
        reply_array_len(c, 0);
        return;
    }
    long long count = 10;
    const resp_arg *pat = NULL;
    for (int i = 3; i < c->argc;) {
        int left = c->argc - i;
        if (hash_opt_is(&c->argv[i], "count") && left >= 2) {
            if (!arg_get_ll(c, &c->argv[i + 1], &count))
                return;
            if (count < 1) {
                reply_error_syntax(c);
                return;
            }
            i += 2;
        } else if (hash_opt_is(&c->argv[i], "match") && left >= 2) {
            pat = &c->argv[i + 1];
            i += 2;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (pat && pat->len == 1 && pat->ptr[0] == '*')
        pat = NULL;

    reply_array_len(c, 2);
    hash_view hv;
    if (o->encoding == ENC_LISTPACK) {
        reply_bulk(c, "0", 1);
        size_t handle = reply_defer_len(c);
        long long n = 0;
        hash_iter it;
        hash_iter_init(&it, o);
        while (hash_iter_next(&it, &hv)) {
            if (pat && !util_glob_match(pat->ptr, pat->len, hv.f, hv.flen, 0))
                continue;
            reply_bulk(c, hv.f, hv.flen);
            reply_bulk(c, hv.v, hv.vlen);
            n += 2;
        }
        hash_iter_release(&it);
        reply_set_deferred_len(c, handle, n);
        return;
    }

    hash_scan_batch batch = {0};
    long long maxiter = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = dict_scan(o->ptr, cursor, hash_scan_collect, &batch);
    } while (cursor && maxiter-- && batch.n < (unsigned long long)count);

    char cbuf[LL_STR_SIZE];
    int clen = util_ull2str(cbuf, sizeof(cbuf), cursor);
    reply_bulk(c, cbuf, (size_t)clen);
    size_t handle = reply_defer_len(c);
    long long n = 0;
    for (size_t i = 0; i < batch.n; i++) {
        pair_read(batch.pairs[i], &hv);
        if (pat && !util_glob_match(pat->ptr, pat->len, hv.f, hv.flen, 0))
            continue;
        reply_bulk(c, hv.f, hv.flen);
        reply_bulk(c, hv.v, hv.vlen);
        n += 2;
    }
    free(batch.pairs);
    reply_set_deferred_len(c, handle, n);
}

/* ----------------------------------------------------------------- table */

#define HASH_CMD(nm, fn, ar, fl, sum, ver)                                                         \
    {                                                                                              \
        .name = (nm), .proc = (fn), .arity = (ar), .flags = (fl), .first_key = 1, .last_key = 1,   \
        .key_step = 1, .group = "hash", .summary = (sum), .since = (ver)                           \
    }
#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define F CMD_FAST

/* Arity, flags and key positions are Redis 7.0's (COMMAND INFO); summaries
 * and versions are its COMMAND DOCS. */
command hash_commands[] = {
    HASH_CMD("hset", hset_command, -4, W | D | F, "Set the string value of a hash field", "2.0.0"),
    HASH_CMD("hsetnx", hsetnx_command, 4, W | D | F,
             "Set the value of a hash field, only if the field does not exist", "2.0.0"),
    HASH_CMD("hget", hget_command, 3, R | F, "Get the value of a hash field", "2.0.0"),
    HASH_CMD("hmget", hmget_command, -3, R | F, "Get the values of all the given hash fields",
             "2.0.0"),
    HASH_CMD("hmset", hmset_command, -4, W | D | F, "Set multiple hash fields to multiple values",
             "2.0.0"),
    HASH_CMD("hgetall", hgetall_command, 2, R, "Get all the fields and values in a hash", "2.0.0"),
    HASH_CMD("hkeys", hkeys_command, 2, R, "Get all the fields in a hash", "2.0.0"),
    HASH_CMD("hvals", hvals_command, 2, R, "Get all the values in a hash", "2.0.0"),
    HASH_CMD("hlen", hlen_command, 2, R | F, "Get the number of fields in a hash", "2.0.0"),
    HASH_CMD("hdel", hdel_command, -3, W | F, "Delete one or more hash fields", "2.0.0"),
    HASH_CMD("hexists", hexists_command, 3, R | F, "Determine if a hash field exists", "2.0.0"),
    HASH_CMD("hincrby", hincrby_command, 4, W | D | F,
             "Increment the integer value of a hash field by the given number", "2.0.0"),
    HASH_CMD("hincrbyfloat", hincrbyfloat_command, 4, W | D | F,
             "Increment the float value of a hash field by the given amount", "2.6.0"),
    HASH_CMD("hstrlen", hstrlen_command, 3, R | F, "Get the length of the value of a hash field",
             "3.2.0"),
    HASH_CMD("hrandfield", hrandfield_command, -2, R,
             "Get one or multiple random fields from a hash", "6.2.0"),
    HASH_CMD("hscan", hscan_command, -3, R,
             "Incrementally iterate hash fields and associated values", "2.8.0"),
    {0},
};

#undef W
#undef R
#undef D
#undef F
#undef HASH_CMD

/* ------------------------------------------------- persistence access */

kobj *hash_new_hashtable(size_t hint)
{
    dict *d = dict_create(&hash_dict_type);
    if (hint)
        dict_expand(d, hint);
    kobj *o = obj_create(OBJ_HASH, d);
    o->encoding = ENC_HASHTABLE;
    return o;
}

int hash_table_add(kobj *o, const void *f, size_t flen, const void *v, size_t vlen)
{
    unsigned char *pair = pair_new(f, flen, v, vlen);
    if (dict_add(o->ptr, pair, NULL) != DICT_OK) {
        free(pair);
        return 0;
    }
    return 1;
}

void hash_table_entry(const dict_entry *e, const char **f, size_t *flen, const char **v,
                      size_t *vlen)
{
    hash_view hv;
    pair_read(e->key, &hv);
    *f = hv.f;
    *flen = hv.flen;
    *v = hv.v;
    *vlen = hv.vlen;
}
