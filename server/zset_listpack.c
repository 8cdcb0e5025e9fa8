/* zset_listpack: the "listpack" encoding of small sorted sets.  One
 * listpack holds member, score, member, score, ... sorted by score, then by
 * member bytes.  Scores are stored as Redis stores them (integers as
 * integers, others as "%.17g" text), so ZSCAN replies and RDB files match.
 * Everything here is a linear walk: these sets are small by definition. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zset.h"

int zlp_score_str(char *dst, size_t size, double score)
{
    if (isinf(score))
        return snprintf(dst, size, "%s", score > 0 ? "inf" : "-inf");
    /* Integral within +-LLONG_MAX/2: the integer form (Redis's d2string
     * via double2ll), which also turns -0 into 0. */
    if (score >= (double)(-LLONG_MAX / 2) && score <= (double)(LLONG_MAX / 2)) {
        long long ll = (long long)score;
        if ((double)ll == score)
            return util_ll2str(dst, size, ll);
    }
    return snprintf(dst, size, "%.17g", score);
}

double zlp_score_at(const unsigned char *sp)
{
    lp_entry e;
    lp_get(sp, &e);
    if (!e.sval)
        return (double)e.lval;
    char small[64];
    char *tmp = e.slen < sizeof(small) ? small : malloc(e.slen + 1);
    if (!tmp)
        abort();
    memcpy(tmp, e.sval, e.slen);
    tmp[e.slen] = '\0';
    double v = strtod(tmp, NULL);
    if (tmp != small)
        free(tmp);
    return v;
}

const char *zlp_member_at(const unsigned char *p, char *tmp, size_t *len)
{
    uint32_t l;
    const unsigned char *s = lp_get_bytes(p, (unsigned char *)tmp, &l);
    *len = l;
    return (const char *)s;
}

unsigned long zlp_length(const unsigned char *lp)
{
    return lp_length(lp) / 2;
}

unsigned char *zlp_find(unsigned char *lp, const char *m, size_t len, double *score)
{
    unsigned char *p = lp_find(lp, lp_first(lp), (const unsigned char *)m, (uint32_t)len, 1);
    if (p && score)
        *score = zlp_score_at(lp_next(lp, p));
    return p;
}

/* Compare the member at p with m. */
static int zlp_member_cmp(const unsigned char *p, const char *m, size_t len)
{
    char tmp[LP_INTBUF_SIZE];
    size_t plen;
    const char *ps = zlp_member_at(p, tmp, &plen);
    return zlex_cmp(ps, plen, m, len);
}

unsigned char *zlp_append(unsigned char *lp, const char *m, size_t len, double score)
{
    char sbuf[64];
    int slen = zlp_score_str(sbuf, sizeof(sbuf), score);
    lp = lp_append(lp, (const unsigned char *)m, (uint32_t)len);
    return lp_append(lp, (const unsigned char *)sbuf, (uint32_t)slen);
}

unsigned char *zlp_insert(unsigned char *lp, const char *m, size_t len, double score)
{
    unsigned char *p = lp_first(lp);
    while (p) {
        unsigned char *sp = lp_next(lp, p);
        double s = zlp_score_at(sp);
        if (s > score || (s == score && zlp_member_cmp(p, m, len) > 0))
            break;
        p = lp_next(lp, sp);
    }
    if (!p)
        return zlp_append(lp, m, len, score);
    char sbuf[64];
    int slen = zlp_score_str(sbuf, sizeof(sbuf), score);
    unsigned char *newp;
    lp = lp_insert(lp, (const unsigned char *)m, (uint32_t)len, p, LP_BEFORE, &newp);
    return lp_insert(lp, (const unsigned char *)sbuf, (uint32_t)slen, newp, LP_AFTER, NULL);
}

unsigned char *zlp_delete(unsigned char *lp, unsigned char *p)
{
    return lp_delete_range_at(lp, &p, 2);
}

unsigned long zlp_rank_of(unsigned char *lp, unsigned char *p)
{
    unsigned long rank = 0;
    unsigned char *q = lp_first(lp);
    while (q && q != p) {
        q = lp_next(lp, lp_next(lp, q));
        rank++;
    }
    return rank;
}

/* The pair before the member at p, or NULL. */
static unsigned char *zlp_prev_pair(unsigned char *lp, unsigned char *p)
{
    unsigned char *sp = lp_prev(lp, p);
    return sp ? lp_prev(lp, sp) : NULL;
}

static unsigned char *zlp_next_pair(unsigned char *lp, unsigned char *p)
{
    return lp_next(lp, lp_next(lp, p));
}

/* Test callbacks so that score and lex spans share one walk. */
typedef struct zlp_bounds {
    int (*gte_min)(unsigned char *lp, unsigned char *p, const void *r);
    int (*lte_max)(unsigned char *lp, unsigned char *p, const void *r);
} zlp_bounds;

static int zlp_score_gte(unsigned char *lp, unsigned char *p, const void *r)
{
    return zscore_gte_min(zlp_score_at(lp_next(lp, p)), r);
}

static int zlp_score_lte(unsigned char *lp, unsigned char *p, const void *r)
{
    return zscore_lte_max(zlp_score_at(lp_next(lp, p)), r);
}

static int zlp_lex_gte(unsigned char *lp, unsigned char *p, const void *r)
{
    (void)lp;
    char tmp[LP_INTBUF_SIZE];
    size_t len;
    const char *m = zlp_member_at(p, tmp, &len);
    return zlex_gte_min(m, len, r);
}

static int zlp_lex_lte(unsigned char *lp, unsigned char *p, const void *r)
{
    (void)lp;
    char tmp[LP_INTBUF_SIZE];
    size_t len;
    const char *m = zlp_member_at(p, tmp, &len);
    return zlex_lte_max(m, len, r);
}

/* Redis's walk: forward, the first pair at or above min starts the range
 * (which is empty if that pair is above max) and it runs while pairs stay
 * at or below max; reverse mirrors it from the back. */
static int zlp_span(unsigned char *lp, const zlp_bounds *b, const void *r, int reverse,
                    unsigned long *first, unsigned long *last)
{
    unsigned long n = zlp_length(lp);
    if (n == 0)
        return 0;
    /* Redis first rules out ranges past either end of the set. */
    unsigned char *head = lp_first(lp), *tailp = lp_prev(lp, lp_last(lp));
    if (!b->gte_min(lp, tailp, r) || !b->lte_max(lp, head, r))
        return 0;
    if (!reverse) {
        unsigned long idx = 0;
        unsigned char *p = lp_first(lp);
        while (p && !b->gte_min(lp, p, r)) {
            p = zlp_next_pair(lp, p);
            idx++;
        }
        if (!p || !b->lte_max(lp, p, r))
            return 0;
        *first = idx;
        for (p = zlp_next_pair(lp, p); p && b->lte_max(lp, p, r); p = zlp_next_pair(lp, p))
            idx++;
        *last = idx;
        return 1;
    }
    unsigned long idx = n - 1;
    unsigned char *p = lp_prev(lp, lp_last(lp));
    while (p && !b->lte_max(lp, p, r)) {
        p = zlp_prev_pair(lp, p);
        idx--;
    }
    if (!p || !b->gte_min(lp, p, r))
        return 0;
    *last = idx;
    for (p = zlp_prev_pair(lp, p); p && b->gte_min(lp, p, r); p = zlp_prev_pair(lp, p))
        idx--;
    *first = idx;
    return 1;
}

int zlp_score_span(unsigned char *lp, const zscore_range *r, int reverse, unsigned long *first,
                   unsigned long *last)
{
    static const zlp_bounds b = {zlp_score_gte, zlp_score_lte};
    if (zscore_range_is_empty(r))
        return 0;
    return zlp_span(lp, &b, r, reverse, first, last);
}

int zlp_lex_span(unsigned char *lp, const zlex_range *r, int reverse, unsigned long *first,
                 unsigned long *last)
{
    static const zlp_bounds b = {zlp_lex_gte, zlp_lex_lte};
    if (zlex_range_is_empty(r))
        return 0;
    return zlp_span(lp, &b, r, reverse, first, last);
}
