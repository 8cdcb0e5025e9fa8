/* t_zset_store: set algebra over sorted sets: ZUNION, ZINTER, ZDIFF, their
 * STORE forms, and ZINTERCARD.
 *
 * Inputs may be sorted sets or plain sets (every member scoring 1).  The
 * set type keeps its internals private and has no iterator, so sets are
 * read here straight from their encodings: an intset (server/intset.h) or a
 * hashtable dict whose keys are the member bufs (and a listpack of members,
 * should sets ever get Redis 7.2's listpack encoding).
 *
 * Scores combine in Redis's order (inputs sorted by size, stably, then
 * each input's weight applied and aggregated), so even floating-point sums
 * of three or more inputs come out bit for bit as Redis's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "intset.h"
#include "zset.h"

enum { ZOP_UNION, ZOP_INTER, ZOP_DIFF };
enum { ZAGG_SUM, ZAGG_MIN, ZAGG_MAX };

/* One input. */
typedef struct zsrc {
    kobj *o; /* NULL for a missing key */
    double weight;
    unsigned long len;
} zsrc;

static int zstore_opt_is(const resp_arg *a, const char *word)
{
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t len = nul ? (size_t)(nul - a->ptr) : a->len;
    return len == strlen(word) && strncasecmp(a->ptr, word, len) == 0;
}

static unsigned long zsrc_length(const kobj *o)
{
    if (!o)
        return 0;
    if (o->type == OBJ_ZSET)
        return zset_length(o);
    if (o->encoding == ENC_INTSET)
        return intset_len(o->ptr);
    if (o->encoding == ENC_LISTPACK)
        return lp_length(o->ptr);
    return dict_size(o->ptr);
}

/* ------------------------------------------------------- input iteration */

typedef struct zsrc_iter {
    kobj *o;
    zset_iter zi;
    uint32_t pos;
    dict_iter di;
    unsigned char *lp_p;
    int started;
    char tmp[LP_INTBUF_SIZE];
} zsrc_iter;

static void zsrc_iter_init(zsrc_iter *it, kobj *o)
{
    it->o = o;
    it->pos = 0;
    it->started = 0;
}

/* The next member (bytes valid until the next call) and its score. */
static int zsrc_iter_next(zsrc_iter *it, const char **m, size_t *len, double *score)
{
    kobj *o = it->o;
    if (!o)
        return 0;
    if (o->type == OBJ_ZSET) {
        if (!it->started) {
            zset_iter_at_rank(&it->zi, o, 0);
            it->started = 1;
        } else {
            zset_iter_next(&it->zi);
        }
        if (!zset_iter_valid(&it->zi))
            return 0;
        *m = zset_iter_member(&it->zi, len);
        *score = zset_iter_score(&it->zi);
        return 1;
    }
    *score = 1.0;
    if (o->encoding == ENC_INTSET) {
        int64_t v;
        if (!intset_get(o->ptr, it->pos++, &v))
            return 0;
        *len = (size_t)util_ll2str(it->tmp, sizeof(it->tmp), v);
        *m = it->tmp;
        return 1;
    }
    if (o->encoding == ENC_LISTPACK) { /* not in 7.0, but cheap to accept */
        it->lp_p = it->started ? lp_next(o->ptr, it->lp_p) : lp_first(o->ptr);
        it->started = 1;
        if (!it->lp_p)
            return 0;
        uint32_t l;
        *m = (const char *)lp_get_bytes(it->lp_p, (unsigned char *)it->tmp, &l);
        *len = l;
        return 1;
    }
    if (!it->started) {
        dict_iter_init(&it->di, o->ptr, 0);
        it->started = 1;
    }
    dict_entry *e = dict_iter_next(&it->di);
    if (!e)
        return 0;
    *m = e->key;
    *len = buf_len(e->key);
    return 1;
}

static void zsrc_iter_release(zsrc_iter *it)
{
    if (it->o && it->o->type == OBJ_SET && it->o->encoding == ENC_HASHTABLE && it->started)
        dict_iter_release(&it->di);
}

/* A buf-keyed dict lookup from bytes: the key laid out on the stack. */
static dict_entry *zstore_dict_find(dict *d, const char *m, size_t len)
{
    _Alignas(16) char mem[256];
    int on_heap = buf_embed_size(len) > sizeof(mem);
    buf b = on_heap ? buf_new(m, len) : buf_embed(mem, m, len);
    dict_entry *e = dict_find(d, b);
    if (on_heap)
        buf_free(b);
    return e;
}

/* Whether m is in the input, and with what score. */
static int zsrc_find(kobj *o, const char *m, size_t len, double *score)
{
    if (!o)
        return 0;
    if (o->type == OBJ_ZSET)
        return zset_score(o, m, len, score);
    *score = 1.0;
    if (o->encoding == ENC_INTSET) {
        long long v;
        return util_str2ll(m, len, &v) && intset_find(o->ptr, v);
    }
    if (o->encoding == ENC_LISTPACK)
        return lp_find(o->ptr, lp_first(o->ptr), (const unsigned char *)m, (uint32_t)len, 0) !=
               NULL;
    return zstore_dict_find(o->ptr, m, len) != NULL;
}

static void zstore_aggregate(double *target, double val, int aggregate)
{
    if (aggregate == ZAGG_SUM) {
        *target = *target + val;
        /* inf + -inf: Redis's convention is 0. */
        if (isnan(*target))
            *target = 0.0;
    } else if (aggregate == ZAGG_MIN) {
        *target = val < *target ? val : *target;
    } else {
        *target = val > *target ? val : *target;
    }
}

/* ---------------------------------------------------------------- results */

/* Result members with their own copies of the bytes. */
typedef struct zresult {
    zset_pair *pairs;
    buf *owned;
    size_t n, cap;
} zresult;

/* Takes ownership of b. */
static void zresult_push_buf(zresult *r, buf b, double score)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->pairs = realloc(r->pairs, sizeof(*r->pairs) * r->cap);
        r->owned = realloc(r->owned, sizeof(*r->owned) * r->cap);
        if (!r->pairs || !r->owned)
            abort();
    }
    r->owned[r->n] = b;
    r->pairs[r->n].m = b;
    r->pairs[r->n].len = buf_len(b);
    r->pairs[r->n].score = score;
    r->n++;
}

static void zresult_push(zresult *r, const char *m, size_t len, double score)
{
    zresult_push_buf(r, buf_new(m, len), score);
}

static void zresult_free(zresult *r)
{
    for (size_t i = 0; i < r->n; i++)
        buf_free(r->owned[i]);
    free(r->pairs);
    free(r->owned);
}

static uint64_t zstore_key_hash(const void *k)
{
    return dict_hash_bytes(k, buf_len((const buf)k));
}

static int zstore_key_equal(const void *a, const void *b)
{
    size_t la = buf_len((const buf)a);
    return la == buf_len((const buf)b) && memcmp(a, b, la) == 0;
}

/* member buf -> aggregated score (in v.d).  The bufs end up owned by the
 * result, so the accumulator frees none. */
static const dict_type zstore_acc_type = {zstore_key_hash, zstore_key_equal, NULL, NULL};

static void zstore_union(zsrc *src, long n, int aggregate, zresult *res)
{
    dict *acc = dict_create(&zstore_acc_type);
    if (n)
        dict_expand(acc, src[n - 1].len);
    for (long i = 0; i < n; i++) {
        if (src[i].len == 0)
            continue;
        zsrc_iter it;
        zsrc_iter_init(&it, src[i].o);
        const char *m;
        size_t len;
        double s;
        while (zsrc_iter_next(&it, &m, &len, &s)) {
            double score = src[i].weight * s;
            if (isnan(score))
                score = 0;
            dict_entry *e = zstore_dict_find(acc, m, len);
            if (e) {
                zstore_aggregate(&e->v.d, score, aggregate);
            } else {
                e = dict_add_raw(acc, buf_new(m, len), NULL);
                e->v.d = score;
            }
        }
        zsrc_iter_release(&it);
    }
    /* Hand the accumulator's bufs over to the result. */
    dict_iter di;
    dict_iter_init(&di, acc, 0);
    dict_entry *e;
    while ((e = dict_iter_next(&di)) != NULL)
        zresult_push_buf(res, e->key, e->v.d);
    dict_iter_release(&di);
    dict_release(acc);
}

/* Intersection, walking the smallest input.  With card_only, only counts
 * (stopping at limit when it is not 0). */
static unsigned long zstore_inter(zsrc *src, long n, int aggregate, zresult *res, int card_only,
                                  long long limit)
{
    unsigned long card = 0;
    if (src[0].len == 0)
        return 0;
    zsrc_iter it;
    zsrc_iter_init(&it, src[0].o);
    const char *m;
    size_t len;
    double s;
    while (zsrc_iter_next(&it, &m, &len, &s)) {
        double score = src[0].weight * s, value;
        if (isnan(score))
            score = 0;
        long j;
        for (j = 1; j < n; j++) {
            if (src[j].o == src[0].o) {
                value = s * src[j].weight;
                zstore_aggregate(&score, value, aggregate);
            } else if (zsrc_find(src[j].o, m, len, &value)) {
                value *= src[j].weight;
                zstore_aggregate(&score, value, aggregate);
            } else {
                break;
            }
        }
        if (j != n)
            continue;
        if (card_only) {
            card++;
            if (limit && card >= (unsigned long long)limit)
                break;
        } else {
            zresult_push(res, m, len, score);
        }
    }
    zsrc_iter_release(&it);
    return card;
}

/* Members of the first input found in no other, with their own scores. */
static void zstore_diff(zsrc *src, long n, zresult *res)
{
    if (src[0].len == 0)
        return;
    zsrc_iter it;
    zsrc_iter_init(&it, src[0].o);
    const char *m;
    size_t len;
    double s, other;
    while (zsrc_iter_next(&it, &m, &len, &s)) {
        long j;
        for (j = 1; j < n; j++)
            if (src[j].len && zsrc_find(src[j].o, m, len, &other))
                break;
        if (j == n)
            zresult_push(res, m, len, s);
    }
    zsrc_iter_release(&it);
}

static int zresult_cmp(const void *a, const void *b)
{
    const zset_pair *x = a, *y = b;
    if (x->score < y->score)
        return -1;
    if (x->score > y->score)
        return 1;
    return zlex_cmp(x->m, x->len, y->m, y->len);
}

/* --------------------------------------------------------------- commands */

/* The one implementation of ZUNION/ZINTER/ZDIFF[STORE] and ZINTERCARD, with
 * Redis 7.0's checking order: numkeys, every input's type (WRONGTYPE wins
 * over later syntax errors), then WEIGHTS / AGGREGATE / WITHSCORES / LIMIT
 * as each command allows them. */
static void zstore_generic(client *c, const resp_arg *dst, int numkeys_idx, int op, int card_only,
                           const char *name)
{
    long long setnum;
    if (!arg_get_ll(c, &c->argv[numkeys_idx], &setnum))
        return;
    if (setnum < 1) {
        reply_errorf(c, "ERR at least 1 input key is needed for '%s' command", name);
        return;
    }
    if (setnum > c->argc - (numkeys_idx + 1)) {
        reply_error_syntax(c);
        return;
    }
    long n = (long)setnum;
    zsrc *src = calloc((size_t)n, sizeof(*src));
    if (!src)
        abort();
    int j = numkeys_idx + 1;
    for (long i = 0; i < n; i++, j++) {
        kobj *o = db_lookup_read(c, &c->argv[j]);
        if (o && o->type != OBJ_ZSET && o->type != OBJ_SET) {
            free(src);
            reply_error_wrongtype(c);
            return;
        }
        src[i].o = o;
        src[i].weight = 1.0;
        src[i].len = zsrc_length(o);
    }

    int aggregate = ZAGG_SUM, withscores = 0;
    long long limit = 0;
    while (j < c->argc) {
        int remaining = c->argc - j;
        const resp_arg *a = &c->argv[j];
        if (op != ZOP_DIFF && !card_only && remaining >= n + 1 && zstore_opt_is(a, "weights")) {
            j++;
            for (long i = 0; i < n; i++, j++) {
                if (!util_str2d(c->argv[j].ptr, c->argv[j].len, &src[i].weight)) {
                    free(src);
                    reply_error(c, "ERR weight value is not a float");
                    return;
                }
            }
        } else if (op != ZOP_DIFF && !card_only && remaining >= 2 &&
                   zstore_opt_is(a, "aggregate")) {
            const resp_arg *v = &c->argv[j + 1];
            if (zstore_opt_is(v, "sum")) {
                aggregate = ZAGG_SUM;
            } else if (zstore_opt_is(v, "min")) {
                aggregate = ZAGG_MIN;
            } else if (zstore_opt_is(v, "max")) {
                aggregate = ZAGG_MAX;
            } else {
                free(src);
                reply_error_syntax(c);
                return;
            }
            j += 2;
        } else if (remaining >= 1 && !dst && !card_only && zstore_opt_is(a, "withscores")) {
            j++;
            withscores = 1;
        } else if (card_only && remaining >= 2 && zstore_opt_is(a, "limit")) {
            long long l;
            if (!util_str2ll(c->argv[j + 1].ptr, c->argv[j + 1].len, &l) || l < 0) {
                free(src);
                reply_error(c, "ERR LIMIT can't be negative");
                return;
            }
            limit = l;
            j += 2;
        } else {
            free(src);
            reply_error_syntax(c);
            return;
        }
    }

    /* Smallest inputs first (stable, as Redis's qsort is on glibc's
     * merge sort): this is also the order in which scores aggregate. */
    if (op != ZOP_DIFF) {
        for (long i = 1; i < n; i++) {
            zsrc t = src[i];
            long k = i - 1;
            while (k >= 0 && src[k].len > t.len) {
                src[k + 1] = src[k];
                k--;
            }
            src[k + 1] = t;
        }
    }

    zresult res = {0};
    unsigned long card = 0;
    if (op == ZOP_INTER)
        card = zstore_inter(src, n, aggregate, &res, card_only, limit);
    else if (op == ZOP_UNION)
        zstore_union(src, n, aggregate, &res);
    else
        zstore_diff(src, n, &res);
    free(src);

    if (card_only) {
        reply_int(c, (long long)card);
    } else if (dst) {
        if (res.n) {
            kobj *o = zset_from_pairs(c->srv, res.pairs, res.n);
            db_set(c, c->db, dst->ptr, dst->len, o, 0);
            db_signal_modified(c, c->db, dst->ptr, dst->len);
            reply_int(c, (long long)res.n);
            notify_keyspace_event(c->srv, NOTIFY_ZSET,
                                  op == ZOP_UNION   ? "zunionstore"
                                  : op == ZOP_INTER ? "zinterstore"
                                                    : "zdiffstore",
                                  dst->ptr, dst->len, c->db->id);
            c->srv->stats.dirty++;
        } else {
            reply_int(c, 0);
            if (db_delete(c, c->db, dst->ptr, dst->len)) {
                db_signal_modified(c, c->db, dst->ptr, dst->len);
                notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", dst->ptr, dst->len, c->db->id);
                c->srv->stats.dirty++;
            }
        }
    } else {
        if (res.n)
            qsort(res.pairs, res.n, sizeof(*res.pairs), zresult_cmp);
        reply_array_len(c, withscores && c->resp == 2 ? (long long)res.n * 2 : (long long)res.n);
        for (size_t i = 0; i < res.n; i++) {
            if (withscores && c->resp > 2)
                reply_array_len(c, 2);
            reply_bulk(c, res.pairs[i].m, res.pairs[i].len);
            if (withscores)
                reply_double(c, res.pairs[i].score);
        }
    }
    zresult_free(&res);
}

void zunionstore_command(client *c)
{
    zstore_generic(c, &c->argv[1], 2, ZOP_UNION, 0, "zunionstore");
}

void zinterstore_command(client *c)
{
    zstore_generic(c, &c->argv[1], 2, ZOP_INTER, 0, "zinterstore");
}

void zdiffstore_command(client *c)
{
    zstore_generic(c, &c->argv[1], 2, ZOP_DIFF, 0, "zdiffstore");
}

void zunion_command(client *c)
{
    zstore_generic(c, NULL, 1, ZOP_UNION, 0, "zunion");
}

void zinter_command(client *c)
{
    zstore_generic(c, NULL, 1, ZOP_INTER, 0, "zinter");
}

void zdiff_command(client *c)
{
    zstore_generic(c, NULL, 1, ZOP_DIFF, 0, "zdiff");
}

void zintercard_command(client *c)
{
    zstore_generic(c, NULL, 1, ZOP_INTER, 1, "zintercard");
}
