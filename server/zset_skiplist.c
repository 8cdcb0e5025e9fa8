/* zset_skiplist: the skiplist of the sorted set's "skiplist" encoding, and
 * the score and lex range specifications every range command parses.
 *
 * Nodes are ordered by score, then by member bytes.  Every forward link
 * carries a span (how many nodes it jumps over), so the rank of a node, the
 * node at a rank and the number of nodes below a score are all found in
 * O(log N) on one walk down the levels.  A node's member bytes live in the
 * node's own allocation (an embedded buf after the level array), which the
 * encoding's dict also uses as its key: one allocation per member. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zset.h"

/* ------------------------------------------------------------ range specs */

/* Redis reads a range bound with strtod up to the first NUL byte: "" is 0,
 * "1\0x" is 1, and overflow gives inf.  Only trailing garbage and NaN fail. */
static int zscore_bound_parse(const resp_arg *a, double *v, int *ex)
{
    char small[128];
    char *tmp = a->len < sizeof(small) ? small : malloc(a->len + 1);
    if (!tmp)
        abort();
    memcpy(tmp, a->ptr, a->len);
    tmp[a->len] = '\0';
    const char *s = tmp;
    *ex = 0;
    if (s[0] == '(') {
        s++;
        *ex = 1;
    }
    char *end;
    *v = strtod(s, &end);
    int ok = *end == '\0' && !isnan(*v);
    if (tmp != small)
        free(tmp);
    return ok;
}

int zscore_range_parse(const resp_arg *min, const resp_arg *max, zscore_range *r)
{
    return zscore_bound_parse(min, &r->min, &r->minex) &&
           zscore_bound_parse(max, &r->max, &r->maxex);
}

/* "+" and "-" must stand alone (Redis looks at the byte after them, so a NUL
 * there still counts as alone). */
static int zlex_bound_parse(const resp_arg *a, zlex_bound *b, int *ex)
{
    if (a->len == 0)
        return 0;
    switch (a->ptr[0]) {
    case '+':
    case '-':
        if (a->len > 1 && a->ptr[1] != '\0')
            return 0;
        b->kind = a->ptr[0] == '+' ? ZLEX_POS_INF : ZLEX_NEG_INF;
        b->p = NULL;
        b->len = 0;
        *ex = 1;
        return 1;
    case '(':
    case '[':
        b->kind = ZLEX_STR;
        b->p = a->ptr + 1;
        b->len = a->len - 1;
        *ex = a->ptr[0] == '(';
        return 1;
    default: return 0;
    }
}

int zlex_range_parse(const resp_arg *min, const resp_arg *max, zlex_range *r)
{
    return zlex_bound_parse(min, &r->min, &r->minex) && zlex_bound_parse(max, &r->max, &r->maxex);
}

int zscore_gte_min(double v, const zscore_range *r)
{
    return r->minex ? v > r->min : v >= r->min;
}

int zscore_lte_max(double v, const zscore_range *r)
{
    return r->maxex ? v < r->max : v <= r->max;
}

int zlex_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int cmp = n ? memcmp(a, b, n) : 0;
    if (cmp)
        return cmp;
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

/* Compare a string with a bound: <0, 0, >0. */
static int zlex_cmp_bound(const char *s, size_t len, const zlex_bound *b)
{
    if (b->kind == ZLEX_NEG_INF)
        return 1;
    if (b->kind == ZLEX_POS_INF)
        return -1;
    return zlex_cmp(s, len, b->p, b->len);
}

int zlex_gte_min(const char *s, size_t len, const zlex_range *r)
{
    int cmp = zlex_cmp_bound(s, len, &r->min);
    return r->minex ? cmp > 0 : cmp >= 0;
}

int zlex_lte_max(const char *s, size_t len, const zlex_range *r)
{
    int cmp = zlex_cmp_bound(s, len, &r->max);
    return r->maxex ? cmp < 0 : cmp <= 0;
}

int zscore_range_is_empty(const zscore_range *r)
{
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

/* Bound against bound: "-" and "+" equal themselves. */
static int zlex_bound_order(const zlex_bound *a, const zlex_bound *b)
{
    if (a->kind != ZLEX_STR && a->kind == b->kind)
        return 0;
    if (a->kind == ZLEX_NEG_INF || b->kind == ZLEX_POS_INF)
        return -1;
    if (a->kind == ZLEX_POS_INF || b->kind == ZLEX_NEG_INF)
        return 1;
    return zlex_cmp(a->p, a->len, b->p, b->len);
}

int zlex_range_is_empty(const zlex_range *r)
{
    int cmp = zlex_bound_order(&r->min, &r->max);
    return cmp > 0 || (cmp == 0 && (r->minex || r->maxex));
}

/* --------------------------------------------------------------- skiplist */

/* Levels with probability 1/4 each: two random bits per extra level. */
static uint64_t zsl_rng_state;

static int zsl_random_level(void)
{
    if (zsl_rng_state == 0) {
        util_random_bytes(&zsl_rng_state, sizeof(zsl_rng_state));
        zsl_rng_state |= 1;
    }
    /* xorshift64* */
    uint64_t x = zsl_rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    zsl_rng_state = x;
    uint64_t r = x * 0x2545F4914F6CDD1DULL;
    int level = 1;
    while (level < ZSL_MAX_LEVEL && (r & 3) == 0) {
        level++;
        r >>= 2;
    }
    return level;
}

static size_t zsl_node_head_size(int height)
{
    return offsetof(zsl_node, level) + (size_t)height * sizeof(struct zsl_level);
}

static zsl_node *zsl_node_new(int height, double score, const char *ele, size_t len)
{
    size_t head = zsl_node_head_size(height);
    zsl_node *n = malloc(head + (ele ? buf_embed_size(len) : 0));
    if (!n)
        abort();
    n->ele = ele ? buf_embed((char *)n + head, ele, len) : NULL;
    n->score = score;
    n->backward = NULL;
    return n;
}

void zsl_node_free(zsl_node *n)
{
    free(n);
}

size_t zsl_node_alloc_size(const zsl_node *n)
{
    /* The embedded buf ends the allocation. */
    return (size_t)(n->ele - (const char *)n) + buf_len(n->ele) + 1;
}

zsl *zsl_create(void)
{
    zsl *sl = malloc(sizeof(*sl));
    if (!sl)
        abort();
    sl->header = zsl_node_new(ZSL_MAX_LEVEL, 0, NULL, 0);
    for (int i = 0; i < ZSL_MAX_LEVEL; i++) {
        sl->header->level[i].forward = NULL;
        sl->header->level[i].span = 0;
    }
    sl->tail = NULL;
    sl->length = 0;
    sl->level = 1;
    return sl;
}

void zsl_free(zsl *sl)
{
    if (!sl)
        return;
    zsl_node *n = sl->header->level[0].forward;
    while (n) {
        zsl_node *next = n->level[0].forward;
        zsl_node_free(n);
        n = next;
    }
    zsl_node_free(sl->header);
    free(sl);
}

/* Whether node n sorts strictly before (score, ele). */
static inline int zsl_before(const zsl_node *n, double score, const char *ele, size_t len)
{
    return n->score < score ||
           (n->score == score && zlex_cmp(n->ele, buf_len(n->ele), ele, len) < 0);
}

/* Link node n (height levels, not linked anywhere) at its sorted place. */
static void zsl_link(zsl *sl, zsl_node *n, int height)
{
    zsl_node *update[ZSL_MAX_LEVEL];
    unsigned long rank[ZSL_MAX_LEVEL];
    size_t len = buf_len(n->ele);
    zsl_node *x = sl->header;
    for (int i = sl->level - 1; i >= 0; i--) {
        rank[i] = i == sl->level - 1 ? 0 : rank[i + 1];
        while (x->level[i].forward && zsl_before(x->level[i].forward, n->score, n->ele, len)) {
            rank[i] += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
    if (height > sl->level) {
        for (int i = sl->level; i < height; i++) {
            rank[i] = 0;
            update[i] = sl->header;
            update[i]->level[i].forward = NULL;
            update[i]->level[i].span = sl->length;
        }
        sl->level = height;
    }
    for (int i = 0; i < height; i++) {
        n->level[i].forward = update[i]->level[i].forward;
        update[i]->level[i].forward = n;
        /* update[i] now reaches n after (rank[0] - rank[i]) + 1 steps; n
         * takes over the rest of the old span. */
        n->level[i].span = update[i]->level[i].span - (rank[0] - rank[i]);
        update[i]->level[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = height; i < sl->level; i++)
        update[i]->level[i].span++;
    n->backward = update[0] == sl->header ? NULL : update[0];
    if (n->level[0].forward)
        n->level[0].forward->backward = n;
    else
        sl->tail = n;
    sl->length++;
}

zsl_node *zsl_insert(zsl *sl, double score, const char *ele, size_t len)
{
    int height = zsl_random_level();
    zsl_node *n = zsl_node_new(height, score, ele, len);
    zsl_link(sl, n, height);
    return n;
}

/* Unlink x, given the last node before it on every level.  Returns the
 * height x had (its levels are contiguous from 0). */
static int zsl_unlink(zsl *sl, zsl_node *x, zsl_node **update)
{
    int height = 0;
    for (int i = 0; i < sl->level; i++) {
        if (update[i]->level[i].forward == x) {
            update[i]->level[i].span += x->level[i].span - 1;
            update[i]->level[i].forward = x->level[i].forward;
            height = i + 1;
        } else {
            update[i]->level[i].span--;
        }
    }
    if (x->level[0].forward)
        x->level[0].forward->backward = x->backward;
    else
        sl->tail = x->backward;
    while (sl->level > 1 && sl->header->level[sl->level - 1].forward == NULL)
        sl->level--;
    sl->length--;
    return height;
}

/* Fill update[] with the last node before (score, ele) on each level and
 * return the node holding exactly (score, ele), or NULL. */
static zsl_node *zsl_find_path(zsl *sl, double score, const char *ele, size_t len,
                               zsl_node **update)
{
    zsl_node *x = sl->header;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && zsl_before(x->level[i].forward, score, ele, len))
            x = x->level[i].forward;
        update[i] = x;
    }
    x = x->level[0].forward;
    if (x && x->score == score && buf_len(x->ele) == len && memcmp(x->ele, ele, len) == 0)
        return x;
    return NULL;
}

zsl_node *zsl_delete(zsl *sl, double score, const char *ele, size_t len)
{
    zsl_node *update[ZSL_MAX_LEVEL];
    zsl_node *x = zsl_find_path(sl, score, ele, len, update);
    if (!x)
        return NULL;
    zsl_unlink(sl, x, update);
    return x;
}

void zsl_update_score(zsl *sl, zsl_node *n, double newscore)
{
    /* Still between its neighbours: only the score changes. */
    if ((n->backward == NULL || n->backward->score < newscore) &&
        (n->level[0].forward == NULL || n->level[0].forward->score > newscore)) {
        n->score = newscore;
        return;
    }
    zsl_node *update[ZSL_MAX_LEVEL];
    zsl_node *x = zsl_find_path(sl, n->score, n->ele, buf_len(n->ele), update);
    if (x != n)
        abort(); /* the node must be in this skiplist */
    int height = zsl_unlink(sl, n, update);
    n->score = newscore;
    zsl_link(sl, n, height);
}

unsigned long zsl_rank(const zsl *sl, double score, const char *ele, size_t len)
{
    unsigned long rank = 0;
    const zsl_node *x = sl->header;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (x->level[i].forward) {
            const zsl_node *f = x->level[i].forward;
            if (f->score < score ||
                (f->score == score && zlex_cmp(f->ele, buf_len(f->ele), ele, len) <= 0)) {
                rank += x->level[i].span;
                x = f;
            } else {
                break;
            }
        }
        if (x->ele && x->score == score && buf_len(x->ele) == len && memcmp(x->ele, ele, len) == 0)
            return rank;
    }
    return 0;
}

zsl_node *zsl_by_rank(const zsl *sl, unsigned long rank)
{
    if (rank == 0 || rank > sl->length)
        return NULL;
    unsigned long traversed = 0;
    zsl_node *x = sl->header;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span <= rank) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        if (traversed == rank)
            return x;
    }
    return NULL;
}

unsigned long zsl_count_below_score(const zsl *sl, double v, int inclusive)
{
    unsigned long rank = 0;
    const zsl_node *x = sl->header;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (x->level[i].forward &&
               (x->level[i].forward->score < v || (inclusive && x->level[i].forward->score == v))) {
            rank += x->level[i].span;
            x = x->level[i].forward;
        }
    }
    return rank;
}

unsigned long zsl_count_below_lex(const zsl *sl, const zlex_bound *b, int inclusive)
{
    if (b->kind == ZLEX_NEG_INF)
        return 0;
    if (b->kind == ZLEX_POS_INF)
        return sl->length;
    unsigned long rank = 0;
    const zsl_node *x = sl->header;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (x->level[i].forward) {
            const zsl_node *f = x->level[i].forward;
            int cmp = zlex_cmp(f->ele, buf_len(f->ele), b->p, b->len);
            if (cmp < 0 || (inclusive && cmp == 0)) {
                rank += x->level[i].span;
                x = f;
            } else {
                break;
            }
        }
    }
    return rank;
}

unsigned long zsl_delete_rank_range(zsl *sl, unsigned long start, unsigned long end,
                                    zsl_node_cb *cb, void *priv)
{
    if (start == 0)
        start = 1;
    if (end > sl->length)
        end = sl->length;
    if (start > end)
        return 0;
    zsl_node *update[ZSL_MAX_LEVEL];
    unsigned long traversed = 0;
    zsl_node *x = sl->header;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span < start) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
    /* update[] stays valid while deleting forward: every node removed sits
     * right after the same predecessors. */
    unsigned long removed = 0;
    x = x->level[0].forward;
    traversed++;
    while (x && traversed <= end) {
        zsl_node *next = x->level[0].forward;
        zsl_unlink(sl, x, update);
        if (cb)
            cb(priv, x);
        zsl_node_free(x);
        removed++;
        traversed++;
        x = next;
    }
    return removed;
}
