/* test_zset_skiplist.c: unit tests for the sorted set's skiplist
 * (server/zset_skiplist.c): insert, delete, score updates, ranks, counts
 * below a score or a string, rank-range deletion, and the span bookkeeping
 * behind them, cross-checked against a sorted-array model (100,000
 * elements); plus the range parsers and the listpack helpers
 * (server/zset_listpack.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zset.h"

/* ------------------------------------------------------------------ model */

typedef struct melem {
    double score;
    char name[24];
    size_t len;
} melem;

static int melem_cmp(const void *a, const void *b)
{
    const melem *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return zlex_cmp(x->name, x->len, y->name, y->len);
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Every structural invariant: order, backward links, tail, length, and on
 * every level the spans adding up to the true distance between nodes. */
static void check_invariants(const zsl *sl)
{
    unsigned long n = 0;
    const zsl_node *prev = NULL;
    for (const zsl_node *x = sl->header->level[0].forward; x; x = x->level[0].forward) {
        assert_ptr_equal(x->backward, prev);
        if (prev)
            assert_true(prev->score < x->score ||
                        (prev->score == x->score &&
                         zlex_cmp(prev->ele, buf_len(prev->ele), x->ele, buf_len(x->ele)) < 0));
        if (x->level[0].forward)
            assert_int_equal(x->level[0].span, 1);
        prev = x;
        n++;
    }
    assert_ptr_equal(sl->tail, prev);
    assert_int_equal(sl->length, n);
    for (int i = 0; i < sl->level; i++) {
        unsigned long rank = 0;
        const zsl_node *x = sl->header;
        while (x->level[i].forward) {
            const zsl_node *f = x->level[i].forward;
            rank += x->level[i].span;
            assert_int_equal(zsl_rank(sl, f->score, f->ele, buf_len(f->ele)), rank);
            x = f;
        }
    }
    if (sl->level > 1)
        assert_non_null(sl->header->level[sl->level - 1].forward);
}

static void check_against_model(const zsl *sl, const melem *m, size_t n)
{
    assert_int_equal(sl->length, n);
    const zsl_node *x = sl->header->level[0].forward;
    for (size_t i = 0; i < n; i++, x = x->level[0].forward) {
        assert_non_null(x);
        assert_true(x->score == m[i].score);
        assert_int_equal(buf_len(x->ele), m[i].len);
        assert_memory_equal(x->ele, m[i].name, m[i].len);
    }
    assert_null(x);
}

/* ------------------------------------------------------------------ tests */

static void test_insert_rank_delete(void **state)
{
    (void)state;
    zsl *sl = zsl_create();
    assert_int_equal(sl->length, 0);
    assert_null(zsl_by_rank(sl, 1));
    zsl_node *b = zsl_insert(sl, 2, "b", 1);
    zsl_insert(sl, 1, "a", 1);
    zsl_insert(sl, 2, "a2", 2);
    zsl_insert(sl, 3, "c", 1);
    zsl_insert(sl, 2, "", 0);
    check_invariants(sl);
    /* order: a(1) ""(2) a2(2) b(2) c(3) */
    assert_int_equal(zsl_rank(sl, 1, "a", 1), 1);
    assert_int_equal(zsl_rank(sl, 2, "", 0), 2);
    assert_int_equal(zsl_rank(sl, 2, "a2", 2), 3);
    assert_int_equal(zsl_rank(sl, 2, "b", 1), 4);
    assert_int_equal(zsl_rank(sl, 3, "c", 1), 5);
    assert_int_equal(zsl_rank(sl, 3, "b", 1), 0);
    assert_int_equal(zsl_rank(sl, 2, "zz", 2), 0);
    assert_ptr_equal(zsl_by_rank(sl, 4), b);
    assert_null(zsl_by_rank(sl, 0));
    assert_null(zsl_by_rank(sl, 6));
    assert_string_equal(sl->tail->ele, "c");

    assert_null(zsl_delete(sl, 2, "zz", 2));
    assert_null(zsl_delete(sl, 3, "b", 1)); /* right member, wrong score */
    zsl_node *d = zsl_delete(sl, 2, "a2", 2);
    assert_non_null(d);
    zsl_node_free(d);
    check_invariants(sl);
    assert_int_equal(zsl_rank(sl, 2, "b", 1), 3);
    d = zsl_delete(sl, 3, "c", 1);
    zsl_node_free(d);
    assert_string_equal(sl->tail->ele, "b");
    check_invariants(sl);
    zsl_free(sl);
}

static void test_binary_members(void **state)
{
    (void)state;
    zsl *sl = zsl_create();
    zsl_insert(sl, 0, "a\0b", 3);
    zsl_insert(sl, 0, "a", 1);
    zsl_insert(sl, 0, "\xff", 1);
    zsl_insert(sl, 0, "a\0", 2);
    check_invariants(sl);
    assert_int_equal(zsl_rank(sl, 0, "a", 1), 1);
    assert_int_equal(zsl_rank(sl, 0, "a\0", 2), 2);
    assert_int_equal(zsl_rank(sl, 0, "a\0b", 3), 3);
    assert_int_equal(zsl_rank(sl, 0, "\xff", 1), 4);
    zsl_free(sl);
}

static void test_update_score(void **state)
{
    (void)state;
    zsl *sl = zsl_create();
    zsl_node *nodes[50];
    char name[16];
    for (int i = 0; i < 50; i++) {
        int len = snprintf(name, sizeof(name), "m%02d", i);
        nodes[i] = zsl_insert(sl, i, name, (size_t)len);
    }
    /* In place: between its neighbours. */
    zsl_update_score(sl, nodes[10], 10.5);
    assert_true(nodes[10]->score == 10.5);
    assert_int_equal(zsl_rank(sl, 10.5, "m10", 3), 11);
    /* Moves, and keeps its address (the dict points at it). */
    zsl_update_score(sl, nodes[10], 100);
    check_invariants(sl);
    assert_ptr_equal(sl->tail, nodes[10]);
    assert_int_equal(zsl_rank(sl, 100, "m10", 3), 50);
    zsl_update_score(sl, nodes[10], -1);
    check_invariants(sl);
    assert_ptr_equal(zsl_by_rank(sl, 1), nodes[10]);
    /* Equal score to a neighbour: ordered by member (m10 at -1, then m01..m04). */
    zsl_update_score(sl, nodes[0], 5);
    check_invariants(sl);
    assert_int_equal(zsl_rank(sl, 5, "m00", 3), 6);
    assert_int_equal(zsl_rank(sl, 5, "m05", 3), 7);
    zsl_update_score(sl, nodes[49], -INFINITY);
    zsl_update_score(sl, nodes[48], INFINITY);
    check_invariants(sl);
    assert_ptr_equal(zsl_by_rank(sl, 1), nodes[49]);
    assert_ptr_equal(sl->tail, nodes[48]);
    zsl_free(sl);
}

static void test_counts_below(void **state)
{
    (void)state;
    zsl *sl = zsl_create();
    const char *names[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++)
        zsl_insert(sl, i < 3 ? 1 : 2, names[i], 1); /* a b c at 1, d e at 2 */
    assert_int_equal(zsl_count_below_score(sl, 1, 0), 0);
    assert_int_equal(zsl_count_below_score(sl, 1, 1), 3);
    assert_int_equal(zsl_count_below_score(sl, 1.5, 0), 3);
    assert_int_equal(zsl_count_below_score(sl, 2, 1), 5);
    assert_int_equal(zsl_count_below_score(sl, INFINITY, 0), 5);
    assert_int_equal(zsl_count_below_score(sl, -INFINITY, 1), 0);
    zsl_free(sl);

    sl = zsl_create();
    for (int i = 0; i < 5; i++)
        zsl_insert(sl, 0, names[i], 1);
    zlex_bound b = {ZLEX_STR, "c", 1};
    assert_int_equal(zsl_count_below_lex(sl, &b, 0), 2);
    assert_int_equal(zsl_count_below_lex(sl, &b, 1), 3);
    zlex_bound bb = {ZLEX_STR, "bb", 2};
    assert_int_equal(zsl_count_below_lex(sl, &bb, 0), 2);
    assert_int_equal(zsl_count_below_lex(sl, &bb, 1), 2);
    zlex_bound lo = {ZLEX_NEG_INF, NULL, 0}, hi = {ZLEX_POS_INF, NULL, 0};
    assert_int_equal(zsl_count_below_lex(sl, &lo, 1), 0);
    assert_int_equal(zsl_count_below_lex(sl, &hi, 0), 5);
    zsl_free(sl);
}

static int cb_calls;
static void count_cb(void *priv, zsl_node *n)
{
    (void)priv;
    (void)n;
    cb_calls++;
}

static void test_delete_rank_range(void **state)
{
    (void)state;
    zsl *sl = zsl_create();
    char name[16];
    for (int i = 0; i < 1000; i++) {
        int len = snprintf(name, sizeof(name), "m%04d", i);
        zsl_insert(sl, i, name, (size_t)len);
    }
    cb_calls = 0;
    assert_int_equal(zsl_delete_rank_range(sl, 101, 200, count_cb, NULL), 100);
    assert_int_equal(cb_calls, 100);
    check_invariants(sl);
    assert_string_equal(zsl_by_rank(sl, 101)->ele, "m0200");
    assert_int_equal(zsl_delete_rank_range(sl, 1, 1, NULL, NULL), 1);
    assert_int_equal(zsl_delete_rank_range(sl, 850, 5000, NULL, NULL), 50);
    check_invariants(sl);
    assert_int_equal(sl->length, 849);
    assert_int_equal(zsl_delete_rank_range(sl, 10, 5, NULL, NULL), 0);
    assert_int_equal(zsl_delete_rank_range(sl, 1, sl->length, NULL, NULL), 849);
    check_invariants(sl);
    assert_null(sl->tail);
    assert_int_equal(sl->level, 1);
    zsl_insert(sl, 1, "again", 5);
    check_invariants(sl);
    zsl_free(sl);
}

/* 100,000 elements against a sorted array: every rank, random lookups,
 * counts, then random mixed operations with the model kept in step. */
static void test_random_vs_model(void **state)
{
    (void)state;
    const size_t n = 100000;
    melem *m = malloc(sizeof(*m) * (n + 10000));
    zsl *sl = zsl_create();
    for (size_t i = 0; i < n; i++) {
        m[i].score = (double)(rnd() % 5000) / 4; /* plenty of equal scores */
        m[i].len = (size_t)snprintf(m[i].name, sizeof(m[i].name), "e%zu", i);
        zsl_insert(sl, m[i].score, m[i].name, m[i].len);
    }
    qsort(m, n, sizeof(*m), melem_cmp);
    check_against_model(sl, m, n);
    check_invariants(sl);
    for (size_t i = 0; i < n; i += 997) {
        assert_int_equal(zsl_rank(sl, m[i].score, m[i].name, m[i].len), i + 1);
        zsl_node *x = zsl_by_rank(sl, i + 1);
        assert_int_equal(buf_len(x->ele), m[i].len);
        assert_memory_equal(x->ele, m[i].name, m[i].len);
    }
    for (int t = 0; t < 2000; t++) {
        double v = (double)(rnd() % 5200) / 4 - 50;
        size_t lt = 0, le = 0;
        /* binary searches in the model */
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (m[mid].score < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        lt = lo;
        lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (m[mid].score <= v)
                lo = mid + 1;
            else
                hi = mid;
        }
        le = lo;
        assert_int_equal(zsl_count_below_score(sl, v, 0), lt);
        assert_int_equal(zsl_count_below_score(sl, v, 1), le);
    }
    size_t len = n;
    for (int t = 0; t < 3000; t++) {
        int op = (int)(rnd() % 3);
        if (op == 0) { /* insert a new member */
            melem e;
            e.score = (double)(rnd() % 5000) / 4;
            e.len = (size_t)snprintf(e.name, sizeof(e.name), "n%d", t);
            zsl_insert(sl, e.score, e.name, e.len);
            size_t pos = 0, lo = 0, hi = len;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (melem_cmp(&m[mid], &e) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            pos = lo;
            memmove(&m[pos + 1], &m[pos], (len - pos) * sizeof(*m));
            m[pos] = e;
            len++;
            assert_int_equal(zsl_rank(sl, e.score, e.name, e.len), pos + 1);
        } else if (op == 1) { /* delete */
            size_t pos = rnd() % len;
            zsl_node *d = zsl_delete(sl, m[pos].score, m[pos].name, m[pos].len);
            assert_non_null(d);
            zsl_node_free(d);
            memmove(&m[pos], &m[pos + 1], (len - pos - 1) * sizeof(*m));
            len--;
        } else { /* update a score */
            size_t pos = rnd() % len;
            zsl_node *x = zsl_by_rank(sl, pos + 1);
            melem e = m[pos];
            e.score = (double)(rnd() % 5000) / 4;
            zsl_update_score(sl, x, e.score);
            memmove(&m[pos], &m[pos + 1], (len - pos - 1) * sizeof(*m));
            len--;
            size_t lo = 0, hi = len;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (melem_cmp(&m[mid], &e) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            memmove(&m[lo + 1], &m[lo], (len - lo) * sizeof(*m));
            m[lo] = e;
            len++;
            assert_int_equal(zsl_rank(sl, e.score, e.name, e.len), lo + 1);
        }
    }
    check_against_model(sl, m, len);
    check_invariants(sl);
    /* Delete a middle block by rank and compare again. */
    assert_int_equal(zsl_delete_rank_range(sl, 5001, 60000, NULL, NULL), 55000);
    memmove(&m[5000], &m[60000], (len - 60000) * sizeof(*m));
    len -= 55000;
    check_against_model(sl, m, len);
    check_invariants(sl);
    zsl_free(sl);
    free(m);
}

/* ---------------------------------------------------------- range parsing */

static resp_arg arg(const char *s)
{
    resp_arg a = {s, strlen(s)};
    return a;
}

static void test_score_range_parse(void **state)
{
    (void)state;
    zscore_range r;
    resp_arg a = arg("(1.5"), b = arg("+inf");
    assert_true(zscore_range_parse(&a, &b, &r));
    assert_true(r.min == 1.5 && r.minex && isinf(r.max) && !r.maxex);
    a = arg(""), b = arg("(");
    assert_true(zscore_range_parse(&a, &b, &r)); /* Redis: strtod("") is 0 */
    assert_true(r.min == 0 && r.max == 0 && r.maxex);
    resp_arg bad[] = {arg("x"), arg("1x"), arg("nan"), arg("(nan"), arg("((1")};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(zscore_range_parse(&bad[i], &b, &r));
    resp_arg nul = {"2\0x", 3};
    assert_true(zscore_range_parse(&nul, &b, &r));
    assert_true(r.min == 2);
    assert_true(zscore_gte_min(1.5, &(zscore_range){1.5, 2, 0, 0}));
    assert_false(zscore_gte_min(1.5, &(zscore_range){1.5, 2, 1, 0}));
    assert_true(zscore_range_is_empty(&(zscore_range){2, 1, 0, 0}));
    assert_true(zscore_range_is_empty(&(zscore_range){1, 1, 0, 1}));
    assert_false(zscore_range_is_empty(&(zscore_range){1, 1, 0, 0}));
}

static void test_lex_range_parse(void **state)
{
    (void)state;
    zlex_range r;
    resp_arg a = arg("[a"), b = arg("(c");
    assert_true(zlex_range_parse(&a, &b, &r));
    assert_true(zlex_gte_min("a", 1, &r));
    assert_false(zlex_lte_max("c", 1, &r));
    assert_true(zlex_lte_max("bzzz", 4, &r));
    a = arg("-"), b = arg("+");
    assert_true(zlex_range_parse(&a, &b, &r));
    assert_true(zlex_gte_min("", 0, &r) && zlex_lte_max("\xff\xff", 2, &r));
    assert_false(zlex_range_is_empty(&r));
    a = arg("+"), b = arg("-");
    assert_true(zlex_range_parse(&a, &b, &r));
    assert_true(zlex_range_is_empty(&r));
    a = arg("-"), b = arg("-");
    assert_true(zlex_range_parse(&a, &b, &r));
    assert_true(zlex_range_is_empty(&r));
    resp_arg bad[] = {arg("a"), arg(""), arg("+x"), arg("-a")};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(zlex_range_parse(&bad[i], &b, &r));
    resp_arg plusnul = {"+\0x", 3};
    assert_true(zlex_range_parse(&plusnul, &b, &r));
}

/* --------------------------------------------------------------- listpack */

static void test_listpack_helpers(void **state)
{
    (void)state;
    unsigned char *lp = lp_new(0);
    lp = zlp_insert(lp, "b", 1, 2);
    lp = zlp_insert(lp, "a", 1, 2);
    lp = zlp_insert(lp, "z", 1, -1.5);
    lp = zlp_insert(lp, "12", 2, 0.1);
    lp = zlp_insert(lp, "inf", 3, INFINITY);
    assert_int_equal(zlp_length(lp), 5);
    const char *order[] = {"z", "12", "a", "b", "inf"};
    double scores[] = {-1.5, 0.1, 2, 2, INFINITY};
    unsigned char *p = lp_first(lp);
    for (int i = 0; i < 5; i++, p = lp_next(lp, lp_next(lp, p))) {
        char tmp[LP_INTBUF_SIZE];
        size_t len;
        const char *mm = zlp_member_at(p, tmp, &len);
        assert_int_equal(len, strlen(order[i]));
        assert_memory_equal(mm, order[i], len);
        assert_true(zlp_score_at(lp_next(lp, p)) == scores[i]);
        assert_int_equal(zlp_rank_of(lp, p), i);
    }
    double s;
    p = zlp_find(lp, "12", 2, &s);
    assert_non_null(p);
    assert_true(s == 0.1);
    assert_null(zlp_find(lp, "13", 2, NULL));
    zscore_range r = {0, 2, 1, 0};
    unsigned long f, l;
    assert_true(zlp_score_span(lp, &r, 0, &f, &l));
    assert_int_equal(f, 1);
    assert_int_equal(l, 3);
    assert_true(zlp_score_span(lp, &r, 1, &f, &l));
    assert_int_equal(f, 1);
    assert_int_equal(l, 3);
    r = (zscore_range){3, 4, 0, 0};
    assert_false(zlp_score_span(lp, &r, 0, &f, &l));
    lp = zlp_delete(lp, p);
    assert_int_equal(zlp_length(lp), 4);
    assert_null(zlp_find(lp, "12", 2, NULL));
    lp_free(lp);

    char buf[64];
    assert_int_equal(zlp_score_str(buf, sizeof(buf), -0.0), 1);
    assert_string_equal(buf, "0");
    zlp_score_str(buf, sizeof(buf), 0.1);
    assert_string_equal(buf, "0.10000000000000001");
    zlp_score_str(buf, sizeof(buf), 123456789012345678.0);
    assert_string_equal(buf, "123456789012345680");
    zlp_score_str(buf, sizeof(buf), 4.7e18);
    assert_string_equal(buf, "4.7e+18");
    zlp_score_str(buf, sizeof(buf), -INFINITY);
    assert_string_equal(buf, "-inf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_rank_delete), cmocka_unit_test(test_binary_members),
        cmocka_unit_test(test_update_score),       cmocka_unit_test(test_counts_below),
        cmocka_unit_test(test_delete_rank_range),  cmocka_unit_test(test_random_vs_model),
        cmocka_unit_test(test_score_range_parse),  cmocka_unit_test(test_lex_range_parse),
        cmocka_unit_test(test_listpack_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
