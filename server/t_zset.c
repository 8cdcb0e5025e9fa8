/* t_zset: the sorted set object (its two encodings, conversion, iteration,
 * type ops), the command table of the sorted set commands, and the commands
 * on single members: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK,
 * ZREVRANK, ZPOPMIN/ZPOPMAX, BZPOPMIN/BZPOPMAX, ZMPOP/BZMPOP, ZRANDMEMBER,
 * ZSCAN.  Range commands live in t_zset_range.c, set operations in
 * t_zset_store.c; see zset.h for the map.
 *
 * Replies, errors and the order in which arguments are checked follow
 * Redis 7.0 byte for byte. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zset.h"

/* ----------------------------------------------------------- member dict */

static uint64_t zset_key_hash(const void *k)
{
    return dict_hash_bytes(k, buf_len((const buf)k));
}

static int zset_key_equal(const void *a, const void *b)
{
    size_t la = buf_len((const buf)a);
    return la == buf_len((const buf)b) && memcmp(a, b, la) == 0;
}

/* Keys are the nodes' own embedded bufs and values the nodes: the skiplist
 * owns both, so the dict frees nothing. */
static const dict_type zset_dict_type = {zset_key_hash, zset_key_equal, NULL, NULL};

/* A lookup key laid out as a buf on the stack (heap only when long). */
typedef struct zset_probe {
    _Alignas(16) char mem[256];
    buf b;
    int on_heap;
} zset_probe;

static buf zset_probe_init(zset_probe *p, const char *m, size_t len)
{
    p->on_heap = buf_embed_size(len) > sizeof(p->mem);
    p->b = p->on_heap ? buf_new(m, len) : buf_embed(p->mem, m, len);
    return p->b;
}

static void zset_probe_release(zset_probe *p)
{
    if (p->on_heap)
        buf_free(p->b);
}

static zsl_node *zset_big_find(zset_big *zb, const char *m, size_t len)
{
    zset_probe p;
    dict_entry *e = dict_find(zb->d, zset_probe_init(&p, m, len));
    zset_probe_release(&p);
    return e ? e->v.val : NULL;
}

/* ------------------------------------------------------------------ object */

kobj *zset_new_listpack(void)
{
    kobj *o = obj_create(OBJ_ZSET, lp_new(0));
    o->encoding = ENC_LISTPACK;
    return o;
}

kobj *zset_new_skiplist(void)
{
    zset_big *zb = malloc(sizeof(*zb));
    if (!zb)
        abort();
    zb->d = dict_create(&zset_dict_type);
    zb->sl = zsl_create();
    kobj *o = obj_create(OBJ_ZSET, zb);
    o->encoding = ENC_SKIPLIST;
    return o;
}

kobj *zset_new_for(server *s, size_t first_member_len)
{
    if (s->cfg.zset_max_listpack_entries == 0 ||
        (long long)first_member_len > s->cfg.zset_max_listpack_value)
        return zset_new_skiplist();
    return zset_new_listpack();
}

kobj *zset_new_sized(server *s, unsigned long count, size_t maxlen)
{
    if ((long long)count <= s->cfg.zset_max_listpack_entries &&
        (long long)maxlen <= s->cfg.zset_max_listpack_value)
        return zset_new_listpack();
    kobj *o = zset_new_skiplist();
    dict_expand(((zset_big *)o->ptr)->d, count);
    return o;
}

unsigned long zset_length(const kobj *o)
{
    if (o->encoding == ENC_LISTPACK)
        return zlp_length(o->ptr);
    return ((const zset_big *)o->ptr)->sl->length;
}

static void zset_big_add_node(zset_big *zb, double score, const char *m, size_t len)
{
    zsl_node *n = zsl_insert(zb->sl, score, m, len);
    dict_add(zb->d, n->ele, n);
}

void zset_convert_to_skiplist(kobj *o)
{
    if (o->encoding != ENC_LISTPACK)
        return;
    unsigned char *lp = o->ptr;
    zset_big *zb = malloc(sizeof(*zb));
    if (!zb)
        abort();
    zb->d = dict_create(&zset_dict_type);
    zb->sl = zsl_create();
    dict_expand(zb->d, zlp_length(lp));
    char tmp[LP_INTBUF_SIZE];
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        size_t len;
        const char *m = zlp_member_at(p, tmp, &len);
        zset_big_add_node(zb, zlp_score_at(lp_next(lp, p)), m, len);
    }
    lp_free(lp);
    o->ptr = zb;
    o->encoding = ENC_SKIPLIST;
}

int zset_add(server *s, kobj *o, double score, const char *m, size_t len, int in_flags,
             int *out_flags, double *newscore)
{
    int incr = in_flags & ZADD_IN_INCR, nx = in_flags & ZADD_IN_NX, xx = in_flags & ZADD_IN_XX;
    int gt = in_flags & ZADD_IN_GT, lt = in_flags & ZADD_IN_LT;
    *out_flags = 0;
    if (isnan(score)) {
        *out_flags = ZADD_OUT_NAN;
        return 0;
    }
    double cur = 0;
    zsl_node *node = NULL;
    unsigned char *p = NULL;
    int found;
    if (o->encoding == ENC_LISTPACK) {
        p = zlp_find(o->ptr, m, len, &cur);
        found = p != NULL;
    } else {
        node = zset_big_find(o->ptr, m, len);
        found = node != NULL;
        if (node)
            cur = node->score;
    }
    if (found) {
        if (nx) {
            *out_flags |= ZADD_OUT_NOP;
            return 1;
        }
        if (incr) {
            score += cur;
            if (isnan(score)) {
                *out_flags |= ZADD_OUT_NAN;
                return 0;
            }
        }
        if ((lt && score >= cur) || (gt && score <= cur)) {
            *out_flags |= ZADD_OUT_NOP;
            return 1;
        }
        if (newscore)
            *newscore = score;
        if (score != cur) {
            if (o->encoding == ENC_LISTPACK) {
                o->ptr = zlp_delete(o->ptr, p);
                o->ptr = zlp_insert(o->ptr, m, len, score);
            } else {
                zsl_update_score(((zset_big *)o->ptr)->sl, node, score);
            }
            *out_flags |= ZADD_OUT_UPDATED;
        }
        return 1;
    }
    if (xx) {
        *out_flags |= ZADD_OUT_NOP;
        return 1;
    }
    if (o->encoding == ENC_LISTPACK) {
        if ((long long)zlp_length(o->ptr) + 1 > s->cfg.zset_max_listpack_entries ||
            (long long)len > s->cfg.zset_max_listpack_value)
            zset_convert_to_skiplist(o);
        else
            o->ptr = zlp_insert(o->ptr, m, len, score);
    }
    if (o->encoding == ENC_SKIPLIST)
        zset_big_add_node(o->ptr, score, m, len);
    if (newscore)
        *newscore = score;
    *out_flags |= ZADD_OUT_ADDED;
    return 1;
}

void zset_append_sorted(server *s, kobj *o, double score, const char *m, size_t len)
{
    if (o->encoding == ENC_LISTPACK) {
        if ((long long)zlp_length(o->ptr) + 1 > s->cfg.zset_max_listpack_entries ||
            (long long)len > s->cfg.zset_max_listpack_value) {
            zset_convert_to_skiplist(o);
        } else {
            o->ptr = zlp_append(o->ptr, m, len, score);
            return;
        }
    }
    zset_big_add_node(o->ptr, score, m, len);
}

int zset_delete(kobj *o, const char *m, size_t len)
{
    if (o->encoding == ENC_LISTPACK) {
        unsigned char *p = zlp_find(o->ptr, m, len, NULL);
        if (!p)
            return 0;
        o->ptr = zlp_delete(o->ptr, p);
        return 1;
    }
    zset_big *zb = o->ptr;
    zsl_node *n = zset_big_find(zb, m, len);
    if (!n)
        return 0;
    dict_delete(zb->d, n->ele);
    zsl_delete(zb->sl, n->score, n->ele, buf_len(n->ele));
    zsl_node_free(n);
    return 1;
}

int zset_score(kobj *o, const char *m, size_t len, double *score)
{
    if (o->encoding == ENC_LISTPACK)
        return zlp_find(o->ptr, m, len, score) != NULL;
    zsl_node *n = zset_big_find(o->ptr, m, len);
    if (n)
        *score = n->score;
    return n != NULL;
}

long zset_rank(kobj *o, const char *m, size_t len, int reverse)
{
    unsigned long n = zset_length(o), rank;
    if (o->encoding == ENC_LISTPACK) {
        unsigned char *p = zlp_find(o->ptr, m, len, NULL);
        if (!p)
            return -1;
        rank = zlp_rank_of(o->ptr, p);
    } else {
        zset_big *zb = o->ptr;
        zsl_node *node = zset_big_find(zb, m, len);
        if (!node)
            return -1;
        rank = zsl_rank(zb->sl, node->score, node->ele, buf_len(node->ele)) - 1;
    }
    return (long)(reverse ? n - 1 - rank : rank);
}

int zset_score_span(kobj *o, const zscore_range *r, int reverse, unsigned long *first,
                    unsigned long *last)
{
    if (o->encoding == ENC_LISTPACK)
        return zlp_score_span(o->ptr, r, reverse, first, last);
    if (zscore_range_is_empty(r))
        return 0;
    const zsl *sl = ((zset_big *)o->ptr)->sl;
    unsigned long f = zsl_count_below_score(sl, r->min, r->minex);
    unsigned long l = zsl_count_below_score(sl, r->max, !r->maxex);
    if (l == 0 || f > l - 1)
        return 0;
    *first = f;
    *last = l - 1;
    return 1;
}

int zset_lex_span(kobj *o, const zlex_range *r, int reverse, unsigned long *first,
                  unsigned long *last)
{
    if (o->encoding == ENC_LISTPACK)
        return zlp_lex_span(o->ptr, r, reverse, first, last);
    if (zlex_range_is_empty(r))
        return 0;
    const zsl *sl = ((zset_big *)o->ptr)->sl;
    /* As Redis: a range past either end is empty (this is what decides
     * lex ranges over members of different scores). */
    const zsl_node *head = sl->header->level[0].forward, *tail = sl->tail;
    if (!tail || !zlex_gte_min(tail->ele, buf_len(tail->ele), r) ||
        !zlex_lte_max(head->ele, buf_len(head->ele), r))
        return 0;
    unsigned long f = zsl_count_below_lex(sl, &r->min, r->minex);
    unsigned long l = zsl_count_below_lex(sl, &r->max, !r->maxex);
    if (l == 0 || f > l - 1)
        return 0;
    *first = f;
    *last = l - 1;
    return 1;
}

static void zset_forget_node(void *priv, zsl_node *n)
{
    dict_delete(priv, n->ele);
}

unsigned long zset_delete_rank_range(kobj *o, unsigned long first, unsigned long last)
{
    if (o->encoding == ENC_LISTPACK) {
        unsigned long n = last - first + 1;
        o->ptr = lp_delete_range(o->ptr, (long)(2 * first), 2 * n);
        return n;
    }
    zset_big *zb = o->ptr;
    return zsl_delete_rank_range(zb->sl, first + 1, last + 1, zset_forget_node, zb->d);
}

/* --------------------------------------------------------------- iterator */

void zset_iter_at_rank(zset_iter *it, kobj *o, unsigned long rank)
{
    it->o = o;
    it->p = NULL;
    it->node = NULL;
    if (o->encoding == ENC_LISTPACK) {
        if (rank < zlp_length(o->ptr))
            it->p = lp_seek(o->ptr, (long)(2 * rank));
    } else {
        it->node = zsl_by_rank(((zset_big *)o->ptr)->sl, rank + 1);
    }
}

int zset_iter_valid(const zset_iter *it)
{
    return it->p != NULL || it->node != NULL;
}

void zset_iter_next(zset_iter *it)
{
    if (it->o->encoding == ENC_LISTPACK)
        it->p = lp_next(it->o->ptr, lp_next(it->o->ptr, it->p));
    else
        it->node = it->node->level[0].forward;
}

void zset_iter_prev(zset_iter *it)
{
    if (it->o->encoding == ENC_LISTPACK) {
        unsigned char *sp = lp_prev(it->o->ptr, it->p);
        it->p = sp ? lp_prev(it->o->ptr, sp) : NULL;
    } else {
        it->node = it->node->backward;
    }
}

const char *zset_iter_member(zset_iter *it, size_t *len)
{
    if (it->o->encoding == ENC_LISTPACK)
        return zlp_member_at(it->p, it->tmp, len);
    *len = buf_len(it->node->ele);
    return it->node->ele;
}

double zset_iter_score(const zset_iter *it)
{
    if (it->o->encoding == ENC_LISTPACK)
        return zlp_score_at(lp_next(it->o->ptr, it->p));
    return it->node->score;
}

/* ------------------------------------------------------------ from pairs */

static int zset_pair_cmp(const void *a, const void *b)
{
    const zset_pair *x = a, *y = b;
    if (x->score < y->score)
        return -1;
    if (x->score > y->score)
        return 1;
    return zlex_cmp(x->m, x->len, y->m, y->len);
}

kobj *zset_from_pairs(server *s, zset_pair *pairs, size_t n)
{
    if (n == 0)
        return NULL;
    qsort(pairs, n, sizeof(*pairs), zset_pair_cmp);
    size_t maxlen = 0;
    for (size_t i = 0; i < n; i++)
        if (pairs[i].len > maxlen)
            maxlen = pairs[i].len;
    kobj *o = zset_new_sized(s, n, maxlen);
    for (size_t i = 0; i < n; i++) {
        if (o->encoding == ENC_LISTPACK)
            o->ptr = zlp_append(o->ptr, pairs[i].m, pairs[i].len, pairs[i].score);
        else
            zset_big_add_node(o->ptr, pairs[i].score, pairs[i].m, pairs[i].len);
    }
    return o;
}

/* ---------------------------------------------------------------- type ops */

static void zset_free_value(kobj *o)
{
    if (o->encoding == ENC_LISTPACK) {
        lp_free(o->ptr);
    } else {
        zset_big *zb = o->ptr;
        dict_release(zb->d);
        zsl_free(zb->sl);
        free(zb);
    }
    o->ptr = NULL;
}

static kobj *zset_dup(const kobj *o)
{
    if (o->encoding == ENC_LISTPACK) {
        size_t n = lp_bytes(o->ptr);
        unsigned char *lp = malloc(n);
        if (!lp)
            abort();
        memcpy(lp, o->ptr, n);
        kobj *d = obj_create(OBJ_ZSET, lp);
        d->encoding = ENC_LISTPACK;
        return d;
    }
    const zset_big *src = o->ptr;
    kobj *d = zset_new_skiplist();
    zset_big *zb = d->ptr;
    dict_expand(zb->d, src->sl->length);
    for (zsl_node *n = src->sl->header->level[0].forward; n; n = n->level[0].forward)
        zset_big_add_node(zb, n->score, n->ele, buf_len(n->ele));
    return d;
}

static size_t zset_len_op(const kobj *o)
{
    return zset_length(o);
}

/* Exact for listpacks; for skiplists the nodes are sampled (up to 1024
 * from the front) and extrapolated, like MEMORY USAGE's sampling. */
static size_t zset_mem_usage(const kobj *o)
{
    if (o->encoding == ENC_LISTPACK)
        return lp_bytes(o->ptr);
    const zset_big *zb = o->ptr;
    size_t total =
        sizeof(*zb) + sizeof(zsl) + zsl_node_alloc_size(zb->sl->header) + dict_mem_usage(zb->d);
    size_t sampled = 0, bytes = 0;
    for (zsl_node *n = zb->sl->header->level[0].forward; n && sampled < 1024;
         n = n->level[0].forward, sampled++)
        bytes += zsl_node_alloc_size(n);
    if (sampled)
        total += (size_t)((double)bytes / (double)sampled * (double)zb->sl->length);
    return total;
}

const obj_type_ops zset_type_ops = {zset_free_value, zset_dup, zset_len_op, zset_mem_usage};

/* ---------------------------------------------------------------- helpers */

void zset_reply_member(client *c, const char *m, size_t len)
{
    reply_bulk(c, m, len);
}

void zset_touched(client *c, const resp_arg *key, const char *event)
{
    db_signal_modified(c, c->db, key->ptr, key->len);
    notify_keyspace_event(c->srv, NOTIFY_ZSET, event, key->ptr, key->len, c->db->id);
}

int zset_delete_if_empty(client *c, const resp_arg *key, kobj *o)
{
    if (zset_length(o) != 0)
        return 0;
    db_delete(c, c->db, key->ptr, key->len);
    notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
    return 1;
}

/* Redis compares option words as C strings: "NX\0junk" is NX. */
static int zset_opt_is(const resp_arg *a, const char *word)
{
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t len = nul ? (size_t)(nul - a->ptr) : a->len;
    return len == strlen(word) && strncasecmp(a->ptr, word, len) == 0;
}

/* Replies WRONGTYPE and returns 1 when o exists and is not a sorted set. */
static int zset_check_type(client *c, const kobj *o)
{
    if (o && o->type != OBJ_ZSET) {
        reply_error_wrongtype(c);
        return 1;
    }
    return 0;
}

/* Redis 7.0's getRangeLongFromObjectOrReply: a non-integer gets errmsg (or
 * the generic integer error), an integer out of [min,max] gets errmsg or
 * "value is out of range, value must between ...". */
static int zset_get_long_range(client *c, const resp_arg *a, long long min, long long max,
                               long long *out, const char *errmsg)
{
    long long v;
    if (!util_str2ll(a->ptr, a->len, &v)) {
        if (errmsg)
            reply_error(c, errmsg);
        else
            reply_error_not_int(c);
        return 0;
    }
    if (v < min || v > max) {
        if (errmsg)
            reply_error(c, errmsg);
        else
            reply_errorf(c, "ERR value is out of range, value must between %lld and %lld", min,
                         max);
        return 0;
    }
    *out = v;
    return 1;
}

static uint64_t zset_rng_state;

static uint64_t zset_random(void)
{
    if (zset_rng_state == 0) {
        util_random_bytes(&zset_rng_state, sizeof(zset_rng_state));
        zset_rng_state |= 1;
    }
    uint64_t x = zset_rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    zset_rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* ------------------------------------------------------------ ZADD, ZINCRBY */

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...],
 * and ZINCRBY key increment member (which is ZADD INCR: it shares the
 * option scan, so "ZINCRBY k nx m" is a syntax error as in Redis).  All
 * scores are parsed before anything changes: the command runs fully or not
 * at all. */
static void zadd_generic(client *c, int flags)
{
    const resp_arg *key = &c->argv[1];
    int ch = 0, scoreidx = 2;
    while (scoreidx < c->argc) {
        const resp_arg *a = &c->argv[scoreidx];
        if (zset_opt_is(a, "nx"))
            flags |= ZADD_IN_NX;
        else if (zset_opt_is(a, "xx"))
            flags |= ZADD_IN_XX;
        else if (zset_opt_is(a, "ch"))
            ch = 1;
        else if (zset_opt_is(a, "incr"))
            flags |= ZADD_IN_INCR;
        else if (zset_opt_is(a, "gt"))
            flags |= ZADD_IN_GT;
        else if (zset_opt_is(a, "lt"))
            flags |= ZADD_IN_LT;
        else
            break;
        scoreidx++;
    }
    int incr = flags & ZADD_IN_INCR, nx = flags & ZADD_IN_NX, xx = flags & ZADD_IN_XX;
    int gt = flags & ZADD_IN_GT, lt = flags & ZADD_IN_LT;
    int elements = c->argc - scoreidx;
    if (elements % 2 || !elements) {
        reply_error_syntax(c);
        return;
    }
    elements /= 2;
    if (nx && xx) {
        reply_error(c, "ERR XX and NX options at the same time are not compatible");
        return;
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
        reply_error(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if (incr && elements > 1) {
        reply_error(c, "ERR INCR option supports a single increment-element pair");
        return;
    }
    double small[16];
    double *scores = elements <= 16 ? small : malloc(sizeof(double) * (size_t)elements);
    if (!scores)
        abort();
    long long added = 0, updated = 0, processed = 0;
    double score = 0;
    for (int j = 0; j < elements; j++)
        if (!arg_get_d(c, &c->argv[scoreidx + j * 2], &scores[j]))
            goto cleanup;

    kobj *o = db_lookup_write(c, key);
    if (zset_check_type(c, o))
        goto cleanup;
    if (!o) {
        if (xx)
            goto reply;
        o = zset_new_for(c->srv, c->argv[scoreidx + 1].len);
        db_add(c->db, key->ptr, key->len, o);
    }
    for (int j = 0; j < elements; j++) {
        const resp_arg *m = &c->argv[scoreidx + 1 + j * 2];
        int out;
        double newscore = 0;
        if (!zset_add(c->srv, o, scores[j], m->ptr, m->len, flags, &out, &newscore)) {
            reply_error(c, "ERR resulting score is not a number (NaN)");
            goto cleanup;
        }
        if (out & ZADD_OUT_ADDED)
            added++;
        if (out & ZADD_OUT_UPDATED)
            updated++;
        if (!(out & ZADD_OUT_NOP))
            processed++;
        score = newscore;
    }
    c->srv->stats.dirty += added + updated;

reply:
    if (incr) {
        if (processed)
            reply_double(c, score);
        else
            reply_nil(c);
    } else {
        reply_int(c, ch ? added + updated : added);
    }

cleanup:
    if (scores != small)
        free(scores);
    if (added || updated)
        zset_touched(c, key, incr ? "zincr" : "zadd");
}

static void zadd_command(client *c)
{
    zadd_generic(c, 0);
}

static void zincrby_command(client *c)
{
    zadd_generic(c, ZADD_IN_INCR);
}

/* ------------------------------------------------------- ZREM and lookups */

static void zrem_command(client *c)
{
    const resp_arg *key = &c->argv[1];
    kobj *o = db_lookup_write(c, key);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (zset_check_type(c, o))
        return;
    long long deleted = 0;
    int keyremoved = 0;
    for (int j = 2; j < c->argc; j++) {
        if (zset_delete(o, c->argv[j].ptr, c->argv[j].len))
            deleted++;
        if (zset_length(o) == 0) {
            db_delete(c, c->db, key->ptr, key->len);
            keyremoved = 1;
            break;
        }
    }
    if (deleted) {
        notify_keyspace_event(c->srv, NOTIFY_ZSET, "zrem", key->ptr, key->len, c->db->id);
        if (keyremoved)
            notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
        db_signal_modified(c, c->db, key->ptr, key->len);
        c->srv->stats.dirty += deleted;
    }
    reply_int(c, deleted);
}

static void zcard_command(client *c)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (zset_check_type(c, o))
        return;
    reply_int(c, (long long)zset_length(o));
}

static void zscore_command(client *c)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_nil(c);
        return;
    }
    if (zset_check_type(c, o))
        return;
    double score;
    if (zset_score(o, c->argv[2].ptr, c->argv[2].len, &score))
        reply_double(c, score);
    else
        reply_nil(c);
}

static void zmscore_command(client *c)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (zset_check_type(c, o))
        return;
    reply_array_len(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double score;
        if (o && zset_score(o, c->argv[j].ptr, c->argv[j].len, &score))
            reply_double(c, score);
        else
            reply_nil(c);
    }
}

static void zrank_generic(client *c, int reverse)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_nil(c);
        return;
    }
    if (zset_check_type(c, o))
        return;
    long rank = zset_rank(o, c->argv[2].ptr, c->argv[2].len, reverse);
    if (rank >= 0)
        reply_int(c, rank);
    else
        reply_nil(c);
}

static void zrank_command(client *c)
{
    zrank_generic(c, 0);
}

static void zrevrank_command(client *c)
{
    zrank_generic(c, 1);
}

/* ------------------------------------------------------------------- pops */

/* Pop from the first existing key among keys (WRONGTYPE stops the search).
 *   emitkey   reply the key first (BZPOP*, ZMPOP, BZMPOP)
 *   count     -1 when not given (one element, flat reply)
 *   nested    each pair as its own array (RESP3 ZPOP with count, *MPOP)
 *   nil_empty reply a null array rather than an empty one when no key exists
 * Reply shapes are 7.0's: ZPOP* [m, s, ...] (RESP3 with count [[m, s], ...]),
 * BZPOP* [key, m, s], *MPOP [key, [[m, s], ...]].  Returns the key popped
 * from, or NULL. */
static const resp_arg *zpop_generic(client *c, const resp_arg *keys, int nkeys, int where_max,
                                    int emitkey, long long count, int nested, int nil_empty)
{
    kobj *o = NULL;
    const resp_arg *key = NULL;
    for (int i = 0; i < nkeys; i++) {
        key = &keys[i];
        o = db_lookup_write(c, key);
        if (!o)
            continue;
        if (zset_check_type(c, o))
            return NULL;
        break;
    }
    if (!o) {
        if (nil_empty)
            reply_nil_array(c);
        else
            reply_array_len(c, 0);
        return NULL;
    }
    if (count == 0) {
        reply_array_len(c, 0);
        return NULL;
    }
    if (count == -1)
        count = 1;
    unsigned long llen = zset_length(o);
    unsigned long n = (unsigned long long)count > llen ? llen : (unsigned long)count;

    if (!nested && !emitkey) {
        reply_array_len(c, (long long)n * 2);
    } else if (nested && !emitkey) {
        reply_array_len(c, (long long)n);
    } else if (!nested && emitkey) {
        reply_array_len(c, (long long)n * 2 + 1);
        reply_bulk(c, key->ptr, key->len);
    } else {
        reply_array_len(c, 2);
        reply_bulk(c, key->ptr, key->len);
        reply_array_len(c, (long long)n);
    }
    zset_iter it;
    zset_iter_at_rank(&it, o, where_max ? llen - 1 : 0);
    for (unsigned long i = 0; i < n; i++) {
        size_t len;
        const char *m = zset_iter_member(&it, &len);
        if (nested)
            reply_array_len(c, 2);
        reply_bulk(c, m, len);
        reply_double(c, zset_iter_score(&it));
        if (where_max)
            zset_iter_prev(&it);
        else
            zset_iter_next(&it);
    }
    if (where_max)
        zset_delete_rank_range(o, llen - n, llen - 1);
    else
        zset_delete_rank_range(o, 0, n - 1);
    c->srv->stats.dirty += (long long)n;
    zset_touched(c, key, where_max ? "zpopmax" : "zpopmin");
    zset_delete_if_empty(c, key, o);
    return key;
}

static void zpop_minmax(client *c, int where_max)
{
    if (c->argc > 3) {
        reply_error_syntax(c);
        return;
    }
    long long count = -1;
    if (c->argc == 3) {
        if (!zset_get_long_range(c, &c->argv[2], 0, LONG_MAX, &count,
                                 "ERR value is out of range, must be positive"))
            return;
    }
    int nested = c->resp > 2 && count != -1;
    zpop_generic(c, &c->argv[1], 1, where_max, 0, count, nested, 0);
}

static void zpopmin_command(client *c)
{
    zpop_minmax(c, 0);
}

static void zpopmax_command(client *c)
{
    zpop_minmax(c, 1);
}

/* What a served blocking pop (and ZMPOP) replicates as: ZPOPMIN/ZPOPMAX
 * key [count], which replays the same removal deterministically. */
static void zpop_propagate(client *c, const resp_arg *key, int where_max, long long count)
{
    char num[LL_STR_SIZE];
    resp_arg argv[3];
    argv[0].ptr = where_max ? "ZPOPMAX" : "ZPOPMIN";
    argv[0].len = 7;
    argv[1] = *key;
    int argc = 2;
    if (count != -1) {
        argv[2].len = (size_t)util_ll2str(num, sizeof(num), count > 0 ? count : 1);
        argv[2].ptr = num;
        argc = 3;
    }
    command_propagate_as(c, argc, argv);
}

/* The blocking pops: serve now from the first non-empty key, or block.
 * When a key is created the core runs the command again from the top, so
 * this is the whole story.  count -1: BZPOPMIN/BZPOPMAX, else BZMPOP. */
static void bzpop_generic(client *c, const resp_arg *keys, int nkeys, int where_max,
                          const resp_arg *timeout_arg, long long count)
{
    int64_t timeout;
    if (!blocking_get_timeout(c, timeout_arg, &timeout))
        return;
    for (int j = 0; j < nkeys; j++) {
        kobj *o = db_lookup_write(c, &keys[j]);
        if (!o)
            continue;
        if (zset_check_type(c, o))
            return;
        if (zset_length(o) == 0)
            continue;
        const resp_arg *key = &keys[j];
        if (count != -1)
            zpop_generic(c, key, 1, where_max, 1, count, 1, 1);
        else
            zpop_generic(c, key, 1, where_max, 1, -1, 0, 0);
        zpop_propagate(c, key, where_max, count);
        return;
    }
    blocking_block(c, nkeys, keys, timeout, BLOCK_REPLY_NIL_ARRAY);
}

static void bzpopmin_command(client *c)
{
    bzpop_generic(c, &c->argv[1], c->argc - 2, 0, &c->argv[c->argc - 1], -1);
}

static void bzpopmax_command(client *c)
{
    bzpop_generic(c, &c->argv[1], c->argc - 2, 1, &c->argv[c->argc - 1], -1);
}

/* ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
 * BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] */
static void zmpop_generic(client *c, int numkeys_idx, int is_block)
{
    long long numkeys, count = -1;
    if (!zset_get_long_range(c, &c->argv[numkeys_idx], 1, LONG_MAX, &numkeys,
                             "ERR numkeys should be greater than 0"))
        return;
    if (numkeys >= c->argc - numkeys_idx - 1) {
        reply_error_syntax(c);
        return;
    }
    int where_idx = numkeys_idx + (int)numkeys + 1, where_max;
    if (zset_opt_is(&c->argv[where_idx], "min")) {
        where_max = 0;
    } else if (zset_opt_is(&c->argv[where_idx], "max")) {
        where_max = 1;
    } else {
        reply_error_syntax(c);
        return;
    }
    for (int j = where_idx + 1; j < c->argc; j++) {
        int moreargs = c->argc - 1 - j;
        if (count == -1 && zset_opt_is(&c->argv[j], "count") && moreargs) {
            j++;
            if (!zset_get_long_range(c, &c->argv[j], 1, LONG_MAX, &count,
                                     "ERR count should be greater than 0"))
                return;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (count == -1)
        count = 1;
    const resp_arg *keys = &c->argv[numkeys_idx + 1];
    if (is_block) {
        bzpop_generic(c, keys, (int)numkeys, where_max, &c->argv[1], count);
    } else {
        const resp_arg *key = zpop_generic(c, keys, (int)numkeys, where_max, 1, count, 1, 1);
        if (key)
            zpop_propagate(c, key, where_max, count);
    }
}

static void zmpop_command(client *c)
{
    zmpop_generic(c, 1, 0);
}

static void bzmpop_command(client *c)
{
    zmpop_generic(c, 2, 1);
}

/* ------------------------------------------------------------ ZRANDMEMBER */

static void zrandmember_reply_at(client *c, zset_iter *it, int withscores)
{
    size_t len;
    const char *m = zset_iter_member(it, &len);
    if (withscores && c->resp > 2)
        reply_array_len(c, 2);
    reply_bulk(c, m, len);
    if (withscores)
        reply_double(c, zset_iter_score(it));
}

/* Ranks drawn so far (keys are rank + 1, so never NULL). */
static uint64_t zset_rank_hash(const void *k)
{
    uintptr_t v = (uintptr_t)k;
    return dict_hash_bytes(&v, sizeof(v));
}

static const dict_type zset_rank_dict_type = {zset_rank_hash, NULL, NULL, NULL};

/* ZRANDMEMBER key count [WITHSCORES].  Negative count: that many picks,
 * repeats allowed.  count >= size: the whole set, highest score first (as
 * Redis, which answers it with ZREVRANGE's code).  Otherwise distinct
 * members, by partial Fisher-Yates over ranks or, for a small sample of a
 * big set, by drawing ranks and skipping repeats. */
static void zrandmember_with_count(client *c, long long count, int withscores)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_array_len(c, 0);
        return;
    }
    if (zset_check_type(c, o))
        return;
    unsigned long size = zset_length(o);
    if (count == 0) {
        reply_array_len(c, 0);
        return;
    }
    int uniq = count > 0;
    unsigned long long want = uniq ? (unsigned long long)count : (unsigned long long)-count;
    zset_iter it;
    if (!uniq || want == 1) {
        reply_array_len(c, withscores && c->resp == 2 ? (long long)want * 2 : (long long)want);
        /* A listpack is walked once into an index so each pick is O(1). */
        unsigned char **pos = NULL;
        if (o->encoding == ENC_LISTPACK) {
            pos = malloc(sizeof(*pos) * size);
            if (!pos)
                abort();
            unsigned long i = 0;
            for (unsigned char *p = lp_first(o->ptr); p; p = lp_next(o->ptr, lp_next(o->ptr, p)))
                pos[i++] = p;
        }
        for (unsigned long long i = 0; i < want; i++) {
            /* A huge count overruns the output limits long before it ends:
             * once the client is condemned, stop producing for it. */
            if ((i & 1023) == 1023 && (c->flags & CLIENT_CLOSE_ASAP))
                break;
            unsigned long r = (unsigned long)(zset_random() % size);
            if (pos) {
                it.o = o;
                it.node = NULL;
                it.p = pos[r];
            } else {
                zset_iter_at_rank(&it, o, r);
            }
            zrandmember_reply_at(c, &it, withscores);
        }
        free(pos);
        return;
    }
    if (want >= size) {
        /* Redis 7.0 answers this case with its ZREVRANGE code: highest first. */
        reply_array_len(c, withscores && c->resp == 2 ? (long long)size * 2 : (long long)size);
        for (zset_iter_at_rank(&it, o, size - 1); zset_iter_valid(&it); zset_iter_prev(&it))
            zrandmember_reply_at(c, &it, withscores);
        return;
    }
    reply_array_len(c, withscores && c->resp == 2 ? (long long)want * 2 : (long long)want);
    if (want * 3 > size) {
        /* A good part of the set: partial Fisher-Yates over all ranks. */
        unsigned long *ranks = malloc(sizeof(*ranks) * size);
        if (!ranks)
            abort();
        for (unsigned long i = 0; i < size; i++)
            ranks[i] = i;
        for (unsigned long i = 0; i < want; i++) {
            unsigned long j = i + (unsigned long)(zset_random() % (size - i));
            unsigned long t = ranks[i];
            ranks[i] = ranks[j];
            ranks[j] = t;
            zset_iter_at_rank(&it, o, ranks[i]);
            zrandmember_reply_at(c, &it, withscores);
        }
        free(ranks);
        return;
    }
    /* A small sample of a big set: draw ranks, skipping repeats (at most a
     * third are taken, so a draw succeeds at least 2 times in 3). */
    dict *seen = dict_create(&zset_rank_dict_type);
    dict_expand(seen, want);
    for (unsigned long i = 0; i < want;) {
        unsigned long r = (unsigned long)(zset_random() % size);
        if (dict_add(seen, (void *)(uintptr_t)(r + 1), NULL) != DICT_OK)
            continue;
        zset_iter_at_rank(&it, o, r);
        zrandmember_reply_at(c, &it, withscores);
        i++;
    }
    dict_release(seen);
}

static void zrandmember_command(client *c)
{
    if (c->argc >= 3) {
        long long l;
        if (!zset_get_long_range(c, &c->argv[2], -LONG_MAX, LONG_MAX, &l, NULL))
            return;
        int withscores = 0;
        if (c->argc > 4 || (c->argc == 4 && !zset_opt_is(&c->argv[3], "withscores"))) {
            reply_error_syntax(c);
            return;
        } else if (c->argc == 4) {
            withscores = 1;
            if (l < -LONG_MAX / 2 || l > LONG_MAX / 2) {
                reply_error(c, "ERR value is out of range");
                return;
            }
        }
        zrandmember_with_count(c, l, withscores);
        return;
    }
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_nil(c);
        return;
    }
    if (zset_check_type(c, o))
        return;
    zset_iter it;
    zset_iter_at_rank(&it, o, (unsigned long)(zset_random() % zset_length(o)));
    size_t len;
    const char *m = zset_iter_member(&it, &len);
    reply_bulk(c, m, len);
}

/* ------------------------------------------------------------------ ZSCAN */

typedef struct zscan_batch {
    zsl_node **nodes;
    size_t n, cap;
} zscan_batch;

static void zscan_collect(void *priv, const dict_entry *e)
{
    zscan_batch *b = priv;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 32;
        b->nodes = realloc(b->nodes, sizeof(*b->nodes) * b->cap);
        if (!b->nodes)
            abort();
    }
    b->nodes[b->n++] = e->v.val;
}

static void zscan_reply_pair(client *c, const char *m, size_t len, double score)
{
    char d[D_STR_SIZE];
    reply_bulk(c, m, len);
    int n = util_d2str(d, sizeof(d), score);
    reply_bulk(c, d, (size_t)n);
}

/* ZSCAN key cursor [MATCH pattern] [COUNT count].  The cursor is parsed as
 * Redis does (strtoul: "" is 0, "-1" wraps) before the key is looked up;
 * options are checked only for an existing key.  A listpack is returned
 * whole with cursor 0; a skiplist is scanned through its dict. */
static void zscan_command(client *c)
{
    unsigned long cursor;
    if (!arg_get_scan_cursor(c, &c->argv[2], &cursor))
        return;
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_array_len(c, 2);
        reply_bulk(c, "0", 1);
        reply_array_len(c, 0);
        return;
    }
    if (zset_check_type(c, o))
        return;
    long long count = 10;
    const char *pat = NULL;
    size_t patlen = 0;
    for (int i = 3; i < c->argc;) {
        int left = c->argc - i;
        if (zset_opt_is(&c->argv[i], "count") && left >= 2) {
            if (!arg_get_ll(c, &c->argv[i + 1], &count))
                return;
            if (count < 1) {
                reply_error_syntax(c);
                return;
            }
            i += 2;
        } else if (zset_opt_is(&c->argv[i], "match") && left >= 2) {
            pat = c->argv[i + 1].ptr;
            patlen = c->argv[i + 1].len;
            if (patlen == 1 && pat[0] == '*')
                pat = NULL;
            i += 2;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    char cbuf[LL_STR_SIZE];
    if (o->encoding == ENC_LISTPACK) {
        /* Scores go out as the listpack stores them (as Redis replies). */
        unsigned char *lp = o->ptr;
        reply_array_len(c, 2);
        reply_bulk(c, "0", 1);
        size_t h = reply_defer_len(c);
        long long n = 0;
        for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
            char mtmp[LP_INTBUF_SIZE];
            unsigned char stmp[LP_INTBUF_SIZE];
            size_t len;
            uint32_t slen;
            const char *m = zlp_member_at(p, mtmp, &len);
            if (pat && !util_glob_match(pat, patlen, m, len, 0))
                continue;
            const unsigned char *sv = lp_get_bytes(lp_next(lp, p), stmp, &slen);
            reply_bulk(c, m, len);
            reply_bulk(c, sv, slen);
            n += 2;
        }
        reply_set_deferred_len(c, h, n);
        return;
    }
    zset_big *zb = o->ptr;
    zscan_batch batch = {0};
    long long maxiter = count * 10;
    do {
        cursor = dict_scan(zb->d, cursor, zscan_collect, &batch);
    } while (cursor && maxiter-- && batch.n < (size_t)count);
    reply_array_len(c, 2);
    int cl = util_ull2str(cbuf, sizeof(cbuf), cursor);
    reply_bulk(c, cbuf, (size_t)cl);
    size_t h = reply_defer_len(c);
    long long n = 0;
    for (size_t i = 0; i < batch.n; i++) {
        zsl_node *node = batch.nodes[i];
        if (pat && !util_glob_match(pat, patlen, node->ele, buf_len(node->ele), 0))
            continue;
        zscan_reply_pair(c, node->ele, buf_len(node->ele), node->score);
        n += 2;
    }
    reply_set_deferred_len(c, h, n);
    free(batch.nodes);
}

/* ---------------------------------------------------------- command table */

#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define F CMD_FAST
#define ZCMD(nm, fn, ar, fl, fk, lk, ks, sum, ver)                                                 \
    {                                                                                              \
        .name = (nm), .proc = (fn), .arity = (ar), .flags = (fl), .first_key = (fk),               \
        .last_key = (lk), .key_step = (ks), .group = "sorted_set", .summary = (sum),               \
        .since = (ver)                                                                             \
    }

command zset_commands[] = {
    ZCMD("zadd", zadd_command, -4, W | D | F, 1, 1, 1,
         "Add one or more members to a sorted set, or update its score if it already exists",
         "1.2.0"),
    ZCMD("zincrby", zincrby_command, 4, W | D | F, 1, 1, 1,
         "Increment the score of a member in a sorted set", "1.2.0"),
    ZCMD("zrem", zrem_command, -3, W | F, 1, 1, 1, "Remove one or more members from a sorted set",
         "1.2.0"),
    ZCMD("zcard", zcard_command, 2, R | F, 1, 1, 1, "Get the number of members in a sorted set",
         "1.2.0"),
    ZCMD("zscore", zscore_command, 3, R | F, 1, 1, 1,
         "Get the score associated with the given member in a sorted set", "1.2.0"),
    ZCMD("zmscore", zmscore_command, -3, R | F, 1, 1, 1,
         "Get the score associated with the given members in a sorted set", "6.2.0"),
    ZCMD("zrank", zrank_command, 3, R | F, 1, 1, 1,
         "Determine the index of a member in a sorted set", "2.0.0"),
    ZCMD("zrevrank", zrevrank_command, 3, R | F, 1, 1, 1,
         "Determine the index of a member in a sorted set, with scores ordered from high to low",
         "2.0.0"),
    ZCMD("zcount", zcount_command, 4, R | F, 1, 1, 1,
         "Count the members in a sorted set with scores within the given values", "2.0.0"),
    ZCMD("zlexcount", zlexcount_command, 4, R | F, 1, 1, 1,
         "Count the number of members in a sorted set between a given lexicographical range",
         "2.8.9"),
    ZCMD("zrange", zrange_command, -4, R, 1, 1, 1, "Return a range of members in a sorted set",
         "1.2.0"),
    ZCMD("zrangestore", zrangestore_command, -5, W | D, 1, 2, 1,
         "Store a range of members from sorted set into another key", "6.2.0"),
    ZCMD("zrangebyscore", zrangebyscore_command, -4, R, 1, 1, 1,
         "Return a range of members in a sorted set, by score", "1.0.5"),
    ZCMD("zrevrangebyscore", zrevrangebyscore_command, -4, R, 1, 1, 1,
         "Return a range of members in a sorted set, by score, with scores ordered from high to "
         "low",
         "2.2.0"),
    ZCMD("zrangebylex", zrangebylex_command, -4, R, 1, 1, 1,
         "Return a range of members in a sorted set, by lexicographical range", "2.8.9"),
    ZCMD("zrevrangebylex", zrevrangebylex_command, -4, R, 1, 1, 1,
         "Return a range of members in a sorted set, by lexicographical range, ordered from "
         "higher to lower strings.",
         "2.8.9"),
    ZCMD("zrevrange", zrevrange_command, -4, R, 1, 1, 1,
         "Return a range of members in a sorted set, by index, with scores ordered from high to "
         "low",
         "1.2.0"),
    ZCMD("zpopmin", zpopmin_command, -2, W | F, 1, 1, 1,
         "Remove and return members with the lowest scores in a sorted set", "5.0.0"),
    ZCMD("zpopmax", zpopmax_command, -2, W | F, 1, 1, 1,
         "Remove and return members with the highest scores in a sorted set", "5.0.0"),
    ZCMD("bzpopmin", bzpopmin_command, -3, W | CMD_NOSCRIPT | CMD_BLOCKING | F, 1, -2, 1,
         "Remove and return the member with the lowest score from one or more sorted sets, or "
         "block until one is available",
         "5.0.0"),
    ZCMD("bzpopmax", bzpopmax_command, -3, W | CMD_NOSCRIPT | CMD_BLOCKING | F, 1, -2, 1,
         "Remove and return the member with the highest score from one or more sorted sets, or "
         "block until one is available",
         "5.0.0"),
    ZCMD("zmpop", zmpop_command, -4, W, 0, 0, 0,
         "Remove and return members with scores in a sorted set", "7.0.0"),
    ZCMD("bzmpop", bzmpop_command, -5, W | CMD_BLOCKING, 0, 0, 0,
         "Remove and return members with scores in a sorted set or block until one is available",
         "7.0.0"),
    ZCMD("zremrangebyrank", zremrangebyrank_command, 4, W, 1, 1, 1,
         "Remove all members in a sorted set within the given indexes", "2.0.0"),
    ZCMD("zremrangebyscore", zremrangebyscore_command, 4, W, 1, 1, 1,
         "Remove all members in a sorted set within the given scores", "1.2.0"),
    ZCMD("zremrangebylex", zremrangebylex_command, 4, W, 1, 1, 1,
         "Remove all members in a sorted set between the given lexicographical range", "2.8.9"),
    ZCMD("zunionstore", zunionstore_command, -4, W | D, 1, 1, 1,
         "Add multiple sorted sets and store the resulting sorted set in a new key", "2.0.0"),
    ZCMD("zinterstore", zinterstore_command, -4, W | D, 1, 1, 1,
         "Intersect multiple sorted sets and store the resulting sorted set in a new key", "2.0.0"),
    ZCMD("zdiffstore", zdiffstore_command, -4, W | D, 1, 1, 1,
         "Subtract multiple sorted sets and store the resulting sorted set in a new key", "6.2.0"),
    ZCMD("zunion", zunion_command, -3, R, 0, 0, 0, "Add multiple sorted sets", "6.2.0"),
    ZCMD("zinter", zinter_command, -3, R, 0, 0, 0, "Intersect multiple sorted sets", "6.2.0"),
    ZCMD("zdiff", zdiff_command, -3, R, 0, 0, 0, "Subtract multiple sorted sets", "6.2.0"),
    ZCMD("zintercard", zintercard_command, -3, R, 0, 0, 0,
         "Intersect multiple sorted sets and return the cardinality of the result", "7.0.0"),
    ZCMD("zrandmember", zrandmember_command, -2, R, 1, 1, 1,
         "Get one or multiple random elements from a sorted set", "6.2.0"),
    ZCMD("zscan", zscan_command, -3, R, 1, 1, 1,
         "Incrementally iterate sorted sets elements and associated scores", "2.8.0"),
    {0},
};
