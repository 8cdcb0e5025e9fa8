/* rdb_types: the values of an RDB file, one save and one load function per
 * encoding.
 *
 * Saving writes Redis 7.0's current encodings: strings; lists as quicklist
 * 2 (each node's listpack as a blob); sets as an intset blob or a member
 * list; sorted sets as a listpack blob or ZSET_2 (binary scores, highest
 * first); hashes as a listpack blob or field/value pairs.
 *
 * Loading reads everything Redis 7.0 writes or still reads: those, plus
 * the ziplist-era encodings of older files (list, hash and sorted set
 * ziplists, zipmap hashes, ziplist quicklists, plain lists and sorted sets
 * with text scores).  Ziplists and zipmaps are converted to listpacks
 * entry by entry.  Every blob is validated deeply before use (structure,
 * counts, duplicate fields or members, scores that are numbers), and a
 * value past Keel's compact-encoding thresholds is converted as Redis
 * converts it.  Empty collections come back as NULL: the caller skips the
 * key, as Redis 7.0 does. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "intset.h"
#include "listpack.h"
#include "quicklist.h"
#include "rdb_internal.h"
#include "type_persist.h"
#include "zset.h"

/* ================================================================ saving */

int rdb_save_object_type(rdb_writer *w, const kobj *o)
{
    int t;
    switch (o->type) {
    case OBJ_STRING: t = RDB_TYPE_STRING; break;
    case OBJ_LIST: t = RDB_TYPE_LIST_QUICKLIST_2; break;
    case OBJ_SET: t = o->encoding == ENC_INTSET ? RDB_TYPE_SET_INTSET : RDB_TYPE_SET; break;
    case OBJ_ZSET:
        t = o->encoding == ENC_LISTPACK ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2;
        break;
    case OBJ_HASH: t = o->encoding == ENC_LISTPACK ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH; break;
    default: w->err = EINVAL; return -1;
    }
    return rdbw_byte(w, t);
}

static int rdb_save_list(rdb_writer *w, const kobj *o)
{
    /* A packed value opens as a view: nothing is allocated or changed. */
    ql_view v;
    quicklist *ql = ql_value_open(o->ptr, &v, -2);
    size_t nodes = 0;
    for (ql_node *n = ql->head; n; n = n->next)
        nodes++;
    if (rdbw_len(w, nodes) != 0)
        return -1;
    for (ql_node *n = ql->head; n; n = n->next)
        if (rdbw_len(w, RDB_QUICKLIST_NODE_PACKED) != 0 ||
            rdbw_string(w, n->lp, lp_bytes(n->lp)) != 0)
            return -1;
    return 0;
}

static int rdb_save_set(rdb_writer *w, const kobj *o)
{
    if (o->encoding == ENC_INTSET)
        return rdbw_string(w, o->ptr, intset_bytes(o->ptr));
    dict *d = o->ptr;
    if (rdbw_len(w, dict_size(d)) != 0)
        return -1;
    dict_iter it;
    dict_iter_init(&it, d, 0);
    int rc = 0;
    for (dict_entry *e; rc == 0 && (e = dict_iter_next(&it));)
        rc = rdbw_string(w, e->key, buf_len(e->key)); /* members are bufs */
    dict_iter_release(&it);
    return rc;
}

static int rdb_save_zset(rdb_writer *w, const kobj *o)
{
    if (o->encoding == ENC_LISTPACK)
        return rdbw_string(w, o->ptr, lp_bytes(o->ptr));
    const zset_big *zb = o->ptr;
    if (rdbw_len(w, zb->sl->length) != 0)
        return -1;
    /* Highest first, as Redis writes: loading then inserts at the head. */
    for (zsl_node *n = zb->sl->tail; n; n = n->backward)
        if (rdbw_string(w, n->ele, buf_len(n->ele)) != 0 || rdbw_binary_double(w, n->score) != 0)
            return -1;
    return 0;
}

static int rdb_save_hash(rdb_writer *w, const kobj *o)
{
    if (o->encoding == ENC_LISTPACK)
        return rdbw_string(w, o->ptr, lp_bytes(o->ptr));
    dict *d = o->ptr;
    if (rdbw_len(w, dict_size(d)) != 0)
        return -1;
    dict_iter it;
    dict_iter_init(&it, d, 0);
    int rc = 0;
    for (dict_entry *e; rc == 0 && (e = dict_iter_next(&it));) {
        const char *f, *v;
        size_t flen, vlen;
        hash_table_entry(e, &f, &flen, &v, &vlen);
        rc = rdbw_string(w, f, flen) != 0 || rdbw_string(w, v, vlen) != 0 ? -1 : 0;
    }
    dict_iter_release(&it);
    return rc;
}

int rdb_save_object(rdb_writer *w, const kobj *o)
{
    switch (o->type) {
    case OBJ_STRING:
        if (o->encoding == ENC_INT)
            return rdbw_ll(w, (long long)(intptr_t)o->ptr);
        return rdbw_string(w, o->ptr, buf_len(o->ptr));
    case OBJ_LIST: return rdb_save_list(w, o);
    case OBJ_SET: return rdb_save_set(w, o);
    case OBJ_ZSET: return rdb_save_zset(w, o);
    case OBJ_HASH: return rdb_save_hash(w, o);
    }
    return -1;
}

/* =============================================================== loading */

int rdb_type_is_object(int type)
{
    return (type >= RDB_TYPE_STRING && type <= RDB_TYPE_MODULE_2) ||
           (type >= RDB_TYPE_HASH_ZIPMAP && type <= RDB_TYPE_STREAM_LISTPACKS_2);
}

/* A blob (ziplist, listpack, intset, zipmap) in its own malloc'd block. */
static int rdb_read_blob(rdb_reader *r, rdb_str *b)
{
    return rdbr_string(r, RDB_STR_MALLOC, b);
}

/* ------------------------------------------------------ ziplist, zipmap */

static uint32_t rd_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* The entries of a ziplist (the list, hash and sorted set encoding before
 * Redis 7.0) as a new listpack, checking the whole structure on the way:
 * header sizes, each entry's encoding and its prevlen, the tail offset,
 * the count and the terminator.  NULL if anything is wrong. */
static unsigned char *rdb_ziplist_to_listpack(const unsigned char *zl, size_t size)
{
    const size_t hdr = 10;
    if (size < hdr + 1 || rd_le32(zl) != size || zl[size - 1] != 0xFF)
        return NULL;
    uint32_t tail = rd_le32(zl + 4);
    unsigned zllen = (unsigned)zl[8] | ((unsigned)zl[9] << 8);
    const unsigned char *p = zl + hdr, *end = zl + size - 1;
    size_t prev_size = 0, last_off = hdr;
    unsigned long count = 0;
    unsigned char *lp = lp_new(size);
    while (p < end) {
        const unsigned char *entry = p;
        size_t prevlen;
        if (p[0] < 254) {
            prevlen = p[0];
            p += 1;
        } else if (p[0] == 254) {
            if (end - p < 5)
                goto bad;
            prevlen = rd_le32(p + 1);
            p += 5;
        } else {
            goto bad;
        }
        if (prevlen != prev_size || p >= end)
            goto bad;
        unsigned enc = p[0];
        size_t avail = (size_t)(end - p);
        if ((enc >> 6) < 3) { /* a string */
            size_t hl, slen;
            if ((enc >> 6) == 0) {
                hl = 1;
                slen = enc & 0x3F;
            } else if ((enc >> 6) == 1) {
                if (avail < 2)
                    goto bad;
                hl = 2;
                slen = ((size_t)(enc & 0x3F) << 8) | p[1];
            } else {
                if (enc != 0x80 || avail < 5)
                    goto bad;
                hl = 5;
                slen = ((size_t)p[1] << 24) | ((size_t)p[2] << 16) | ((size_t)p[3] << 8) | p[4];
            }
            if (slen > avail - hl)
                goto bad;
            lp = lp_append(lp, p + hl, (uint32_t)slen);
            p += hl + slen;
        } else { /* an integer */
            long long v;
            size_t n;
            if (enc == 0xC0)
                n = 2;
            else if (enc == 0xD0)
                n = 4;
            else if (enc == 0xE0)
                n = 8;
            else if (enc == 0xF0)
                n = 3;
            else if (enc == 0xFE)
                n = 1;
            else if (enc >= 0xF1 && enc <= 0xFD)
                n = 0;
            else
                goto bad;
            if (n + 1 > avail)
                goto bad;
            const unsigned char *d = p + 1;
            switch (n) {
            case 0: v = (long long)(enc & 0x0F) - 1; break;
            case 1: v = (int8_t)d[0]; break;
            case 2: v = (int16_t)(uint16_t)(d[0] | (d[1] << 8)); break;
            case 3:
                v = (int32_t)(((uint32_t)d[0] << 8) | ((uint32_t)d[1] << 16) |
                              ((uint32_t)d[2] << 24)) >>
                    8;
                break;
            case 4: v = (int32_t)rd_le32(d); break;
            default:
                v = (long long)((uint64_t)rd_le32(d) | ((uint64_t)rd_le32(d + 4) << 32));
                break;
            }
            lp = lp_append_int(lp, v);
            p += 1 + n;
        }
        prev_size = (size_t)(p - entry);
        last_off = (size_t)(entry - zl);
        count++;
    }
    if (p != end || tail != last_off || (zllen != 0xFFFF && zllen != count))
        goto bad;
    return lp;
bad:
    lp_free(lp);
    return NULL;
}

/* A zipmap (hashes before Redis 2.6) as a listpack of field, value pairs. */
static unsigned char *rdb_zipmap_to_listpack(const unsigned char *zm, size_t size)
{
    if (size < 2 || zm[size - 1] != 0xFF)
        return NULL;
    const unsigned char *p = zm + 1, *end = zm + size - 1;
    unsigned char *lp = lp_new(size);
    unsigned long pairs = 0;
    while (p < end) {
        const unsigned char *fp = NULL;
        size_t flen = 0;
        for (int part = 0; part < 2; part++) {
            size_t len;
            if (p >= end)
                goto bad;
            if (p[0] < 254) {
                len = p[0];
                p += 1;
            } else if (p[0] == 254) {
                if (end - p < 5)
                    goto bad;
                len = rd_le32(p + 1);
                p += 5;
            } else {
                goto bad;
            }
            size_t freeb = 0;
            if (part == 1) { /* a value carries a count of unused bytes after it */
                if (p >= end)
                    goto bad;
                freeb = p[0];
                p += 1;
            }
            if (len > (size_t)(end - p) || freeb > (size_t)(end - p) - len)
                goto bad;
            if (part == 0) {
                fp = p;
                flen = len;
            } else {
                lp = lp_append(lp, fp, (uint32_t)flen);
                lp = lp_append(lp, p, (uint32_t)len);
            }
            p += len + freeb;
        }
        pairs++;
    }
    if (p != end || (zm[0] < 254 && zm[0] != pairs))
        goto bad;
    return lp;
bad:
    lp_free(lp);
    return NULL;
}

/* ------------------------------------------------------ listpack checks */

typedef struct rdb_view {
    const unsigned char *p;
    size_t len;
} rdb_view;

static int rdb_view_cmp(const void *a, const void *b)
{
    const rdb_view *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Whether two of the views are equal (they get sorted). */
static int rdb_views_have_dup(rdb_view *v, size_t n)
{
    if (n < 2)
        return 0;
    if (n <= 8) { /* a few: comparing every pair is cheaper than sorting */
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (v[i].len == v[j].len && !memcmp(v[i].p, v[j].p, v[i].len))
                    return 1;
        return 0;
    }
    qsort(v, n, sizeof(*v), rdb_view_cmp);
    for (size_t i = 1; i < n; i++)
        if (rdb_view_cmp(&v[i - 1], &v[i]) == 0)
            return 1;
    return 0;
}

/* Whether every stride-th entry of lp (fields, members) is distinct; also
 * the longest entry of all in *maxlen. */
#define RDB_UNIQUE_STACK 128 /* small collections are checked without allocating */

static int rdb_lp_unique(unsigned char *lp, int stride, size_t *maxlen)
{
    unsigned long n = lp_length(lp) / (unsigned long)stride;
    rdb_view vstack[RDB_UNIQUE_STACK];
    unsigned char nstack[RDB_UNIQUE_STACK * LP_INTBUF_SIZE];
    int heap = n > RDB_UNIQUE_STACK;
    rdb_view *v = heap ? malloc(n * sizeof(*v)) : vstack;
    unsigned char *nums = heap ? malloc(n * LP_INTBUF_SIZE) : nstack;
    if (!v || !nums)
        abort();
    unsigned long i = 0, k = 0;
    *maxlen = 0;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p), k++) {
        uint32_t len;
        unsigned char tmp[LP_INTBUF_SIZE];
        int key = (k % (unsigned long)stride) == 0;
        const unsigned char *s = lp_get_bytes(p, key ? nums + i * LP_INTBUF_SIZE : tmp, &len);
        if (len > *maxlen)
            *maxlen = len;
        if (key && i < n)
            v[i++] = (rdb_view){s, len};
    }
    int dup = rdb_views_have_dup(v, i);
    if (heap) {
        free(v);
        free(nums);
    }
    return !dup;
}

/* A blob listpack: deeply valid, with a multiple of `stride` entries. */
static int rdb_check_listpack(rdb_reader *r, const rdb_str *b, int stride, const char *what)
{
    if (!lp_validate(b->p, b->len, 1))
        return rdbr_fail(r, "%s listpack integrity check failed", what);
    if (lp_length(b->p) % (unsigned long)stride != 0)
        return rdbr_fail(r, "%s listpack with an odd number of entries", what);
    return 0;
}

/* ----------------------------------------------------------------- lists */

static kobj *rdb_list_new(quicklist *ql, ql_view *v)
{
    void *val = ql_value_close(ql, v);
    if (!val)
        return NULL;
    kobj *o = obj_create(OBJ_LIST, val);
    o->encoding = ENC_QUICKLIST;
    return o;
}

/* RDB_TYPE_LIST (plain elements), LIST_ZIPLIST, LIST_QUICKLIST (ziplist
 * nodes) and LIST_QUICKLIST_2 (listpack or plain nodes). */
static int rdb_load_list(rdb_reader *r, int type, kobj **out)
{
    ql_view v;
    quicklist *ql = ql_value_open(NULL, &v, r->s->cfg.list_max_listpack_size);
    uint64_t n = 1;
    if (type != RDB_TYPE_LIST_ZIPLIST &&
        (rdbr_plain_len(r, &n) != 0 || rdbr_check_count(r, n, "list") != 0))
        goto fail;
    for (uint64_t i = 0; i < n; i++) {
        if (type == RDB_TYPE_LIST) {
            rdb_str e;
            if (rdbr_string(r, RDB_STR_SCRATCH, &e) != 0)
                goto fail;
            ql_push(ql, e.p, e.len, QL_TAIL);
            continue;
        }
        uint64_t container = RDB_QUICKLIST_NODE_PACKED;
        if (type == RDB_TYPE_LIST_QUICKLIST_2 && rdbr_plain_len(r, &container) != 0)
            goto fail;
        if (container == RDB_QUICKLIST_NODE_PLAIN) {
            rdb_str e;
            if (rdbr_string(r, RDB_STR_SCRATCH, &e) != 0)
                goto fail;
            ql_push(ql, e.p, e.len, QL_TAIL);
            continue;
        }
        if (container != RDB_QUICKLIST_NODE_PACKED) {
            rdbr_fail(r, "quicklist node with unknown container %llu",
                      (unsigned long long)container);
            goto fail;
        }
        rdb_str b;
        if (rdb_read_blob(r, &b) != 0)
            goto fail;
        unsigned char *lp;
        if (type == RDB_TYPE_LIST_QUICKLIST_2) {
            if (!lp_validate(b.p, b.len, 1)) {
                free(b.p);
                rdbr_fail(r, "quicklist listpack integrity check failed");
                goto fail;
            }
            lp = b.p;
        } else {
            lp = rdb_ziplist_to_listpack(b.p, b.len);
            free(b.p);
            if (!lp) {
                rdbr_fail(r, "list ziplist integrity check failed");
                goto fail;
            }
        }
        /* Adopted as a node when it fits list-max-listpack-size; empty
         * nodes add nothing, as Redis skips them. */
        ql_append_listpack(ql, lp);
    }
    *out = rdb_list_new(ql, &v);
    return 0;
fail:
    ql_value_free(ql_value_close(ql, &v));
    return -1;
}

/* ------------------------------------------------------------------ sets */

static int rdb_load_set(rdb_reader *r, kobj **out)
{
    uint64_t n;
    if (rdbr_plain_len(r, &n) != 0 || rdbr_check_count(r, n, "set") != 0)
        return -1;
    if (n == 0)
        return 0;
    server *s = r->s;
    /* As Redis: too many members for an intset means a hashtable at once. */
    long long max = s->cfg.set_max_intset_entries;
    kobj *o =
        (long long)n > max ? set_new_encoded(ENC_HASHTABLE, n) : set_new_encoded(ENC_INTSET, 0);
    for (uint64_t i = 0; i < n; i++) {
        rdb_str e;
        if (rdbr_string(r, RDB_STR_SCRATCH, &e) != 0)
            goto fail;
        if (!set_add_member(s, o, (const char *)e.p, e.len)) {
            rdbr_fail(r, "duplicate set members detected");
            goto fail;
        }
    }
    *out = o;
    return 0;
fail:
    obj_decr_ref(o);
    return -1;
}

static int rdb_load_intset(rdb_reader *r, kobj **out)
{
    rdb_str b;
    if (rdb_read_blob(r, &b) != 0)
        return -1;
    if (!intset_validate(b.p, b.len, 1)) {
        free(b.p);
        return rdbr_fail(r, "intset integrity check failed");
    }
    intset *is = (intset *)b.p;
    uint32_t n = intset_len(is);
    if (n == 0) {
        intset_free(is);
        return 0;
    }
    if ((long long)n <= r->s->cfg.set_max_intset_entries) {
        kobj *o = obj_create(OBJ_SET, is);
        o->encoding = ENC_INTSET;
        *out = o;
        return 0;
    }
    kobj *o = set_new_encoded(ENC_HASHTABLE, n);
    int64_t v;
    for (uint32_t i = 0; intset_get(is, i, &v); i++) {
        char tmp[LL_STR_SIZE];
        int len = util_ll2str(tmp, sizeof(tmp), v);
        set_add_member(r->s, o, tmp, (size_t)len);
    }
    intset_free(is);
    *out = o;
    return 0;
}

/* ---------------------------------------------------------------- hashes */

/* A listpack of field, value pairs already checked: kept as it is within
 * the thresholds, else turned into a hashtable.  Like Redis 7.0, a hash
 * that was a ziplist or listpack in the file is judged by its field count
 * alone (check_len 0); one built from pairs or a zipmap by the longest
 * field or value too. */
static kobj *rdb_hash_from_listpack(server *s, unsigned char *lp, size_t maxlen, int check_len)
{
    unsigned long fields = lp_length(lp) / 2;
    if ((long long)fields <= s->cfg.hash_max_listpack_entries &&
        (!check_len || (long long)maxlen <= s->cfg.hash_max_listpack_value)) {
        kobj *o = obj_create(OBJ_HASH, lp);
        o->encoding = ENC_LISTPACK;
        return o;
    }
    kobj *o = hash_new_hashtable(fields);
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        unsigned char ft[LP_INTBUF_SIZE], vt[LP_INTBUF_SIZE];
        uint32_t flen, vlen;
        const unsigned char *f = lp_get_bytes(p, ft, &flen);
        const unsigned char *v = lp_get_bytes(lp_next(lp, p), vt, &vlen);
        hash_table_add(o, f, flen, v, vlen);
    }
    lp_free(lp);
    return o;
}

/* A listpack of pairs from the file (native, or converted from a ziplist
 * or zipmap): no duplicate field, then as rdb_hash_from_listpack. */
static int rdb_hash_finish_listpack(rdb_reader *r, unsigned char *lp, int check_len, kobj **out)
{
    size_t maxlen;
    if (lp_length(lp) == 0) {
        lp_free(lp);
        return 0;
    }
    if (!rdb_lp_unique(lp, 2, &maxlen)) {
        lp_free(lp);
        return rdbr_fail(r, "hash with duplicate fields");
    }
    *out = rdb_hash_from_listpack(r->s, lp, maxlen, check_len);
    return 0;
}

static int rdb_load_hash(rdb_reader *r, kobj **out)
{
    uint64_t n;
    if (rdbr_plain_len(r, &n) != 0 || rdbr_check_count(r, n, "hash") != 0)
        return -1;
    if (n == 0)
        return 0;
    server *s = r->s;
    if ((long long)n > s->cfg.hash_max_listpack_entries) {
        kobj *o = hash_new_hashtable(n);
        for (uint64_t i = 0; i < n; i++) {
            rdb_str f, v;
            if (rdbr_string(r, RDB_STR_MALLOC, &f) != 0)
                goto fail_ht;
            if (rdbr_string(r, RDB_STR_SCRATCH, &v) != 0) {
                free(f.p);
                goto fail_ht;
            }
            int added = hash_table_add(o, f.p, f.len, v.p, v.len);
            free(f.p);
            if (!added) {
                rdbr_fail(r, "hash with duplicate fields");
                goto fail_ht;
            }
        }
        *out = o;
        return 0;
    fail_ht:
        obj_decr_ref(o);
        return -1;
    }
    /* Few fields: gather them in a listpack; the checks and the choice of
     * encoding are then those of a listpack from the file. */
    unsigned char *lp = lp_new(0);
    for (uint64_t i = 0; i < 2 * n; i++) {
        rdb_str e;
        if (rdbr_string(r, RDB_STR_SCRATCH, &e) != 0) {
            lp_free(lp);
            return -1;
        }
        if (e.len > UINT32_MAX || lp_bytes(lp) + e.len > (1u << 30)) {
            lp_free(lp);
            return rdbr_fail(r, "hash field too large");
        }
        lp = lp_append(lp, e.p, (uint32_t)e.len);
    }
    return rdb_hash_finish_listpack(r, lp, 1, out);
}

static int rdb_load_hash_blob(rdb_reader *r, int type, kobj **out)
{
    rdb_str b;
    if (rdb_read_blob(r, &b) != 0)
        return -1;
    unsigned char *lp;
    if (type == RDB_TYPE_HASH_LISTPACK) {
        if (rdb_check_listpack(r, &b, 2, "hash") != 0) {
            free(b.p);
            return -1;
        }
        lp = b.p;
    } else {
        int zipmap = type == RDB_TYPE_HASH_ZIPMAP;
        lp = zipmap ? rdb_zipmap_to_listpack(b.p, b.len) : rdb_ziplist_to_listpack(b.p, b.len);
        free(b.p);
        if (!lp)
            return rdbr_fail(r, "hash %s integrity check failed", zipmap ? "zipmap" : "ziplist");
        if (lp_length(lp) % 2) {
            lp_free(lp);
            return rdbr_fail(r, "hash ziplist with an odd number of entries");
        }
    }
    return rdb_hash_finish_listpack(r, lp, type == RDB_TYPE_HASH_ZIPMAP, out);
}

/* ----------------------------------------------------------- sorted sets */

/* Members and scores gathered from the file, checked (no NaN, no duplicate
 * member), then built in the encoding Redis would end up with. */
typedef struct rdb_zpairs {
    zset_pair *v;
    char (*num)[LP_INTBUF_SIZE]; /* text of integer members of a listpack */
    unsigned char **owned;       /* members read from the file */
    size_t n, cap;
} rdb_zpairs;

static void rdb_zpairs_init(rdb_zpairs *z, size_t cap)
{
    z->cap = cap ? cap : 1;
    z->n = 0;
    z->v = malloc(z->cap * sizeof(*z->v));
    z->num = malloc(z->cap * sizeof(*z->num));
    z->owned = calloc(z->cap, sizeof(*z->owned));
    if (!z->v || !z->num || !z->owned)
        abort();
}

static void rdb_zpairs_free(rdb_zpairs *z)
{
    for (size_t i = 0; i < z->n; i++)
        free(z->owned[i]);
    free(z->v);
    free(z->num);
    free(z->owned);
}

static int rdb_zpair_cmp(const void *a, const void *b)
{
    const zset_pair *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return zlex_cmp(x->m, x->len, y->m, y->len);
}

/* count_only: a sorted set that was a ziplist or listpack in the file
 * stays one while it has few enough members, whatever their length (Redis
 * 7.0's rule); one read member by member is judged by both thresholds. */
static int rdb_zset_build(rdb_reader *r, rdb_zpairs *z, int count_only, kobj **out)
{
    if (z->n == 0)
        return 0;
    rdb_view *views = malloc(z->n * sizeof(*views));
    if (!views)
        abort();
    for (size_t i = 0; i < z->n; i++) {
        if (isnan(z->v[i].score)) {
            free(views);
            return rdbr_fail(r, "zset with NAN score detected");
        }
        views[i] = (rdb_view){(const unsigned char *)z->v[i].m, z->v[i].len};
    }
    int dup = rdb_views_have_dup(views, z->n);
    free(views);
    if (dup)
        return rdbr_fail(r, "duplicate zset fields detected");
    if (count_only && (long long)z->n <= r->s->cfg.zset_max_listpack_entries) {
        qsort(z->v, z->n, sizeof(*z->v), rdb_zpair_cmp);
        kobj *o = zset_new_listpack();
        for (size_t i = 0; i < z->n; i++)
            o->ptr = zlp_append(o->ptr, z->v[i].m, z->v[i].len, z->v[i].score);
        *out = o;
        return 0;
    }
    *out = zset_from_pairs(r->s, z->v, z->n);
    return 0;
}

/* RDB_TYPE_ZSET (text scores) and RDB_TYPE_ZSET_2 (binary scores). */
static int rdb_load_zset(rdb_reader *r, int type, kobj **out)
{
    uint64_t n;
    if (rdbr_plain_len(r, &n) != 0 || rdbr_check_count(r, n, "zset") != 0)
        return -1;
    rdb_zpairs z;
    rdb_zpairs_init(&z, n);
    int rc = 0;
    for (uint64_t i = 0; i < n; i++) {
        rdb_str m;
        double score;
        if (rdbr_string(r, RDB_STR_MALLOC, &m) != 0) {
            rc = -1;
            break;
        }
        z.owned[z.n] = m.p;
        z.v[z.n] = (zset_pair){(const char *)m.p, m.len, 0};
        z.n++;
        if ((type == RDB_TYPE_ZSET_2 ? rdbr_binary_double(r, &score)
                                     : rdbr_text_double(r, &score)) != 0) {
            rc = -1;
            break;
        }
        z.v[z.n - 1].score = score;
    }
    if (rc == 0)
        rc = rdb_zset_build(r, &z, 0, out);
    rdb_zpairs_free(&z);
    return rc;
}

/* A listpack score: an integer, or text that is a whole number. */
static int rdb_lp_score(const unsigned char *p, double *score)
{
    lp_entry e;
    lp_get(p, &e);
    if (!e.sval) {
        *score = (double)e.lval;
        return 1;
    }
    char tmp[128];
    if (e.slen == 0 || e.slen >= sizeof(tmp))
        return 0;
    memcpy(tmp, e.sval, e.slen);
    tmp[e.slen] = '\0';
    char *end;
    *score = strtod(tmp, &end);
    return end == tmp + e.slen;
}

/* Whether a listpack of member, score pairs can serve as it is: scores
 * are numbers (not NaN), pairs are in order (score, then member), members
 * are distinct, and there are few enough of them. */
static int rdb_zset_lp_usable(server *s, unsigned char *lp)
{
    unsigned long n = lp_length(lp) / 2;
    if (n == 0 || (long long)n > s->cfg.zset_max_listpack_entries)
        return 0;
    double prev = 0;
    unsigned char prevtmp[LP_INTBUF_SIZE];
    const unsigned char *prevm = NULL;
    uint32_t prevlen = 0;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        double score;
        if (!rdb_lp_score(lp_next(lp, p), &score) || isnan(score))
            return 0;
        unsigned char tmp[LP_INTBUF_SIZE];
        uint32_t len;
        const unsigned char *m = lp_get_bytes(p, tmp, &len);
        if (prevm && (score < prev || (score == prev && zlex_cmp((const char *)prevm, prevlen,
                                                                 (const char *)m, len) >= 0)))
            return 0;
        if (m == tmp) { /* keep an integer member's text for the next step */
            memcpy(prevtmp, tmp, len);
            m = prevtmp;
        }
        prev = score;
        prevm = m;
        prevlen = len;
    }
    size_t maxlen;
    return rdb_lp_unique(lp, 2, &maxlen);
}

/* RDB_TYPE_ZSET_LISTPACK and RDB_TYPE_ZSET_ZIPLIST: member, score pairs. */
static int rdb_load_zset_blob(rdb_reader *r, int type, kobj **out)
{
    rdb_str b;
    if (rdb_read_blob(r, &b) != 0)
        return -1;
    unsigned char *lp;
    if (type == RDB_TYPE_ZSET_LISTPACK) {
        if (rdb_check_listpack(r, &b, 2, "zset") != 0) {
            free(b.p);
            return -1;
        }
        lp = b.p;
    } else {
        lp = rdb_ziplist_to_listpack(b.p, b.len);
        free(b.p);
        if (!lp)
            return rdbr_fail(r, "zset ziplist integrity check failed");
        if (lp_length(lp) % 2) {
            lp_free(lp);
            return rdbr_fail(r, "zset ziplist with an odd number of entries");
        }
    }
    if (rdb_zset_lp_usable(r->s, lp)) { /* what Redis writes: no work at all */
        kobj *o = obj_create(OBJ_ZSET, lp);
        o->encoding = ENC_LISTPACK;
        *out = o;
        return 0;
    }
    size_t n = lp_length(lp) / 2;
    rdb_zpairs z;
    rdb_zpairs_init(&z, n);
    int rc = 0;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        uint32_t len;
        const unsigned char *m = lp_get_bytes(p, (unsigned char *)z.num[z.n], &len);
        double score;
        if (!rdb_lp_score(lp_next(lp, p), &score)) {
            rc = rdbr_fail(r, "zset listpack with a score that is not a number");
            break;
        }
        z.v[z.n++] = (zset_pair){(const char *)m, len, score};
    }
    if (rc == 0)
        rc = rdb_zset_build(r, &z, 1, out); /* copies the members out of lp */
    rdb_zpairs_free(&z);
    lp_free(lp);
    return rc;
}

/* --------------------------------------------------------------- strings */

static int rdb_load_string(rdb_reader *r, kobj **out)
{
    rdb_str e;
    if (rdbr_string(r, RDB_STR_SCRATCH, &e) != 0)
        return -1;
    *out = obj_create_string_try_int(e.p, e.len);
    return 0;
}

/* ------------------------------------------------------------- dispatch */

int rdb_load_object(rdb_reader *r, int type, kobj **out)
{
    *out = NULL;
    switch (type) {
    case RDB_TYPE_STRING: return rdb_load_string(r, out);
    case RDB_TYPE_LIST:
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2: return rdb_load_list(r, type, out);
    case RDB_TYPE_SET: return rdb_load_set(r, out);
    case RDB_TYPE_SET_INTSET: return rdb_load_intset(r, out);
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2: return rdb_load_zset(r, type, out);
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_ZSET_LISTPACK: return rdb_load_zset_blob(r, type, out);
    case RDB_TYPE_HASH: return rdb_load_hash(r, out);
    case RDB_TYPE_HASH_ZIPMAP:
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK: return rdb_load_hash_blob(r, type, out);
    case RDB_TYPE_MODULE:
    case RDB_TYPE_MODULE_2: return rdbr_fail(r, "module data types are not supported");
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2: return rdbr_fail(r, "streams are not supported yet");
    }
    return rdbr_fail(r, "unknown RDB type %d", type);
}
