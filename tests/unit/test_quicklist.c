/* test_quicklist.c: unit tests for server/quicklist (the list type's storage):
 * push/pop/peek at both ends, node size limits for positive and negative
 * fill (and the 8 KB cap), big values alone in their node, index access from
 * both ends, iteration both ways (from the ends and from an index), insert
 * with node splits and merges, replace, range deletion, deletion while
 * iterating, dup, random operations cross-checked against a plain array
 * model with the structure's invariants verified after every step, and list
 * values (packed listpack <-> quicklist through open/close). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quicklist.h"

/* ------------------------------------------------------------- helpers */

static const size_t byte_limits[] = {4096, 8192, 16384, 32768, 65536};

/* An entry's value as text (integers formatted), in a static buffer. */
static const char *entry_text(const lp_entry *v, size_t *len)
{
    static char buf[1 << 17];
    if (v->sval) {
        assert_true(v->slen < sizeof(buf));
        memcpy(buf, v->sval, v->slen);
        *len = v->slen;
    } else {
        *len = (size_t)snprintf(buf, sizeof(buf), "%lld", v->lval);
    }
    return buf;
}

static void assert_entry_is(const lp_entry *v, const char *s, size_t len)
{
    size_t l;
    const char *t = entry_text(v, &l);
    assert_int_equal(l, len);
    assert_memory_equal(t, s, len);
}

static void assert_entry_str(const lp_entry *v, const char *s)
{
    assert_entry_is(v, s, strlen(s));
}

static void push_str(quicklist *ql, const char *s, int where)
{
    ql_push(ql, s, strlen(s), where);
}

/* The structure's invariants: links, head/tail, no empty node, the count,
 * and every node within the fill unless it holds a single entry. */
static void check_invariants(quicklist *ql)
{
    size_t count = 0, nodes = 0;
    ql_node *prev = NULL;
    int fill = ql_fill(ql);
    for (ql_node *n = ql->head; n; n = n->next) {
        assert_ptr_equal(n->prev, prev);
        unsigned long len = lp_length(n->lp);
        assert_true(len > 0);
        if (len > 1) {
            if (fill >= 0) {
                assert_true(len <= (unsigned long)fill);
                assert_true(lp_bytes(n->lp) <= QL_SAFETY_BYTES);
            } else {
                assert_true(lp_bytes(n->lp) <= byte_limits[-fill - 1]);
            }
        }
        count += len;
        nodes++;
        prev = n;
    }
    assert_ptr_equal(ql->tail, prev);
    assert_int_equal(count, ql_count(ql));
    assert_int_equal(nodes, ql_node_count(ql));
    if (count == 0) {
        assert_null(ql->head);
        assert_null(ql->tail);
    }
}

/* A simple model: an array of byte strings. */
typedef struct model {
    char **v;
    size_t *len;
    size_t n, cap;
} model;

static void model_insert(model *m, size_t at, const char *s, size_t len)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->v = realloc(m->v, m->cap * sizeof(char *));
        m->len = realloc(m->len, m->cap * sizeof(size_t));
    }
    memmove(m->v + at + 1, m->v + at, (m->n - at) * sizeof(char *));
    memmove(m->len + at + 1, m->len + at, (m->n - at) * sizeof(size_t));
    m->v[at] = malloc(len ? len : 1);
    memcpy(m->v[at], s, len);
    m->len[at] = len;
    m->n++;
}

static void model_delete(model *m, size_t at)
{
    free(m->v[at]);
    memmove(m->v + at, m->v + at + 1, (m->n - at - 1) * sizeof(char *));
    memmove(m->len + at, m->len + at + 1, (m->n - at - 1) * sizeof(size_t));
    m->n--;
}

static void model_free(model *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i]);
    free(m->v);
    free(m->len);
}

/* The list equals the model, read forwards, backwards and by index. */
static void check_against_model(quicklist *ql, const model *m)
{
    check_invariants(ql);
    assert_int_equal(ql_count(ql), m->n);
    ql_iter it;
    ql_entry e;
    size_t i = 0;
    ql_iter_init(ql, &it, QL_FORWARD);
    while (ql_iter_next(&it, &e)) {
        assert_true(i < m->n);
        assert_entry_is(&e.val, m->v[i], m->len[i]);
        i++;
    }
    assert_int_equal(i, m->n);
    ql_iter_init(ql, &it, QL_BACKWARD);
    while (ql_iter_next(&it, &e)) {
        assert_true(i > 0);
        i--;
        assert_entry_is(&e.val, m->v[i], m->len[i]);
    }
    assert_int_equal(i, 0);
}

/* ------------------------------------------------------------- tests */

static void test_create_and_fill_clamp(void **state)
{
    (void)state;
    int fills[][2] = {{-2, -2},   {-5, -5},       {-6, -5},       {-1000, -5}, {0, 0},
                      {128, 128}, {32767, 32767}, {40000, 32767}, {-1, -1}};
    for (size_t i = 0; i < sizeof(fills) / sizeof(fills[0]); i++) {
        quicklist *ql = ql_create(fills[i][0]);
        assert_int_equal(ql_fill(ql), fills[i][1]);
        assert_int_equal(ql_count(ql), 0);
        assert_int_equal(ql_node_count(ql), 0);
        assert_true(ql_mem_usage(ql) >= sizeof(quicklist));
        lp_entry v;
        assert_int_equal(ql_peek(ql, QL_HEAD, &v), 0);
        assert_int_equal(ql_peek(ql, QL_TAIL, &v), 0);
        ql_pop(ql, QL_HEAD); /* harmless on an empty list */
        check_invariants(ql);
        ql_free(ql);
    }
    ql_free(NULL);
    assert_int_equal(sizeof(quicklist), 24);
    assert_int_equal(sizeof(ql_node), 24);
}

static void test_push_pop_both_ends(void **state)
{
    (void)state;
    quicklist *ql = ql_create(-2);
    push_str(ql, "b", QL_HEAD);
    push_str(ql, "a", QL_HEAD);
    push_str(ql, "c", QL_TAIL);
    push_str(ql, "12345", QL_TAIL); /* stored as an integer */
    ql_push(ql, "", 0, QL_TAIL);    /* empty string */
    assert_int_equal(ql_count(ql), 5);
    lp_entry v;
    assert_true(ql_peek(ql, QL_HEAD, &v));
    assert_entry_str(&v, "a");
    assert_true(ql_peek(ql, QL_TAIL, &v));
    assert_entry_str(&v, "");
    ql_pop(ql, QL_TAIL);
    assert_true(ql_peek(ql, QL_TAIL, &v));
    assert_null(v.sval);
    assert_int_equal(v.lval, 12345);
    ql_pop(ql, QL_HEAD);
    assert_true(ql_peek(ql, QL_HEAD, &v));
    assert_entry_str(&v, "b");
    ql_pop(ql, QL_HEAD);
    ql_pop(ql, QL_HEAD);
    ql_pop(ql, QL_TAIL);
    assert_int_equal(ql_count(ql), 0);
    check_invariants(ql);
    /* Binary values keep every byte. */
    const char bin[] = {'a', 0, (char)0xff, 'z'};
    ql_push(ql, bin, sizeof(bin), QL_TAIL);
    assert_true(ql_peek(ql, QL_HEAD, &v));
    assert_entry_is(&v, bin, sizeof(bin));
    ql_free(ql);
}

static void test_positive_fill_counts(void **state)
{
    (void)state;
    quicklist *ql = ql_create(4);
    char s[16];
    for (int i = 0; i < 10; i++) {
        snprintf(s, sizeof(s), "v%d", i);
        push_str(ql, s, QL_TAIL);
    }
    /* 4 + 4 + 2 */
    assert_int_equal(ql_node_count(ql), 3);
    assert_int_equal(lp_length(ql->head->lp), 4);
    assert_int_equal(lp_length(ql->tail->lp), 2);
    for (int i = 0; i < 3; i++)
        push_str(ql, "h", QL_HEAD); /* head is full: a new head node takes 3 */
    assert_int_equal(ql_node_count(ql), 4);
    assert_int_equal(lp_length(ql->head->lp), 3);
    check_invariants(ql);
    ql_free(ql);

    /* fill 0 and 1: one entry per node. */
    for (int fill = 0; fill <= 1; fill++) {
        ql = ql_create(fill);
        for (int i = 0; i < 5; i++)
            push_str(ql, "x", i % 2 ? QL_HEAD : QL_TAIL);
        assert_int_equal(ql_node_count(ql), 5);
        check_invariants(ql);
        ql_free(ql);
    }
}

static void test_positive_fill_safety_cap(void **state)
{
    (void)state;
    /* fill 1000 with 100-byte values: the 8 KB cap decides, not the count. */
    quicklist *ql = ql_create(1000);
    char v[100];
    memset(v, 'x', sizeof(v));
    for (int i = 0; i < 500; i++)
        ql_push(ql, v, sizeof(v), QL_TAIL);
    check_invariants(ql);
    assert_true(ql_node_count(ql) >= 500 * 100 / 8192);
    for (ql_node *n = ql->head; n; n = n->next)
        assert_true(lp_bytes(n->lp) <= QL_SAFETY_BYTES);
    assert_true(lp_length(ql->head->lp) < 1000);
    ql_free(ql);
}

static void test_negative_fill_sizes(void **state)
{
    (void)state;
    char v[50];
    memset(v, 'y', sizeof(v));
    for (int fill = -1; fill >= -5; fill--) {
        quicklist *ql = ql_create(fill);
        for (int i = 0; i < 5000; i++)
            ql_push(ql, v, sizeof(v), i % 3 ? QL_TAIL : QL_HEAD);
        check_invariants(ql);
        size_t limit = byte_limits[-fill - 1];
        /* Nodes are filled close to the limit: few nodes. */
        size_t total = 5000 * 52;
        assert_true(ql_node_count(ql) <= total / (limit - 200) + 3);
        for (ql_node *n = ql->head; n; n = n->next)
            assert_true(lp_bytes(n->lp) <= limit);
        ql_free(ql);
    }
}

static void test_big_value_alone(void **state)
{
    (void)state;
    quicklist *ql = ql_create(-2); /* 8 KB nodes */
    size_t big_len = 20000;
    char *big = malloc(big_len);
    memset(big, 'B', big_len);
    for (int i = 0; i < 10; i++)
        push_str(ql, "small", QL_TAIL);
    ql_push(ql, big, big_len, QL_TAIL);
    for (int i = 0; i < 10; i++)
        push_str(ql, "small", QL_TAIL);
    ql_push(ql, big, big_len, QL_HEAD);
    check_invariants(ql);
    assert_int_equal(ql_node_count(ql), 4); /* big | 10 small | big | 10 small */
    assert_int_equal(lp_length(ql->head->lp), 1);
    assert_int_equal(lp_length(ql->head->next->next->lp), 1);
    ql_entry e;
    assert_true(ql_index(ql, 11, &e));
    assert_entry_is(&e.val, big, big_len);
    assert_int_equal(lp_length(e.node->lp), 1);
    /* Insert next to the big value: it stays alone. */
    ql_insert(ql, &e, "after", 5, QL_TAIL);
    assert_true(ql_index(ql, 11, &e));
    ql_insert(ql, &e, "before", 6, QL_HEAD);
    check_invariants(ql);
    assert_true(ql_index(ql, 12, &e));
    assert_entry_is(&e.val, big, big_len);
    assert_int_equal(lp_length(e.node->lp), 1);
    assert_true(ql_index(ql, 11, &e));
    assert_entry_str(&e.val, "before");
    assert_true(ql_index(ql, 13, &e));
    assert_entry_str(&e.val, "after");
    /* Positive fill too: a value over 8 KB gets its own node. */
    quicklist *q2 = ql_create(100);
    push_str(q2, "a", QL_TAIL);
    ql_push(q2, big, big_len, QL_TAIL);
    push_str(q2, "b", QL_TAIL);
    assert_int_equal(ql_node_count(q2), 3);
    check_invariants(q2);
    ql_free(q2);
    free(big);
    ql_free(ql);
}

static void test_index_both_ends(void **state)
{
    (void)state;
    quicklist *ql = ql_create(3);
    char s[16];
    for (int i = 0; i < 100; i++) {
        snprintf(s, sizeof(s), "e%d", i);
        push_str(ql, s, QL_TAIL);
    }
    ql_entry e;
    for (int i = 0; i < 100; i++) {
        snprintf(s, sizeof(s), "e%d", i);
        assert_true(ql_index(ql, i, &e));
        assert_entry_str(&e.val, s);
        assert_true(ql_index(ql, i - 100, &e));
        assert_entry_str(&e.val, s);
    }
    assert_false(ql_index(ql, 100, &e));
    assert_false(ql_index(ql, -101, &e));
    assert_false(ql_index(ql, INT64_MAX, &e));
    assert_false(ql_index(ql, INT64_MIN, &e));
    ql_free(ql);
    ql = ql_create(-2);
    assert_false(ql_index(ql, 0, &e));
    assert_false(ql_index(ql, -1, &e));
    ql_free(ql);
}

static void test_iteration(void **state)
{
    (void)state;
    quicklist *ql = ql_create(5);
    char s[16];
    for (int i = 0; i < 23; i++) {
        snprintf(s, sizeof(s), "%d", i); /* integers */
        push_str(ql, s, QL_TAIL);
    }
    ql_iter it;
    ql_entry e;
    int i = 0;
    ql_iter_init(ql, &it, QL_FORWARD);
    while (ql_iter_next(&it, &e)) {
        assert_null(e.val.sval);
        assert_int_equal(e.val.lval, i++);
    }
    assert_int_equal(i, 23);
    assert_false(ql_iter_next(&it, &e)); /* stays exhausted */
    ql_iter_init(ql, &it, QL_BACKWARD);
    while (ql_iter_next(&it, &e))
        assert_int_equal(e.val.lval, --i);
    assert_int_equal(i, 0);
    /* From an index, both directions. */
    for (int start = -23; start < 23; start++) {
        int idx = start < 0 ? 23 + start : start;
        assert_true(ql_iter_init_at(ql, &it, QL_FORWARD, start));
        int k = idx;
        while (ql_iter_next(&it, &e))
            assert_int_equal(e.val.lval, k++);
        assert_int_equal(k, 23);
        assert_true(ql_iter_init_at(ql, &it, QL_BACKWARD, start));
        k = idx;
        while (ql_iter_next(&it, &e))
            assert_int_equal(e.val.lval, k--);
        assert_int_equal(k, -1);
    }
    assert_false(ql_iter_init_at(ql, &it, QL_FORWARD, 23));
    assert_false(ql_iter_next(&it, &e));
    assert_false(ql_iter_init_at(ql, &it, QL_BACKWARD, -24));
    assert_false(ql_iter_next(&it, &e));
    ql_free(ql);
    /* An empty list iterates nothing. */
    ql = ql_create(-2);
    ql_iter_init(ql, &it, QL_FORWARD);
    assert_false(ql_iter_next(&it, &e));
    ql_iter_init(ql, &it, QL_BACKWARD);
    assert_false(ql_iter_next(&it, &e));
    ql_free(ql);
}

static void test_insert_splits(void **state)
{
    (void)state;
    /* Full nodes of 4: inserting in the middle splits. */
    quicklist *ql = ql_create(4);
    model m = {0};
    char s[16];
    for (int i = 0; i < 8; i++) {
        snprintf(s, sizeof(s), "n%d", i);
        push_str(ql, s, QL_TAIL);
        model_insert(&m, m.n, s, strlen(s));
    }
    assert_int_equal(ql_node_count(ql), 2);
    for (int round = 0; round < 40; round++) {
        size_t at = (size_t)(round * 7) % m.n;
        int where = round % 2 ? QL_TAIL : QL_HEAD;
        ql_entry e;
        assert_true(ql_index(ql, (long long)at, &e));
        snprintf(s, sizeof(s), "i%d", round);
        ql_insert(ql, &e, s, strlen(s), where);
        model_insert(&m, where == QL_TAIL ? at + 1 : at, s, strlen(s));
        check_against_model(ql, &m);
    }
    /* Insert at both edges of nodes, before the head and after the tail. */
    ql_entry e;
    assert_true(ql_index(ql, 0, &e));
    ql_insert(ql, &e, "first", 5, QL_HEAD);
    model_insert(&m, 0, "first", 5);
    assert_true(ql_index(ql, -1, &e));
    ql_insert(ql, &e, "last", 4, QL_TAIL);
    model_insert(&m, m.n, "last", 4);
    check_against_model(ql, &m);
    model_free(&m);
    ql_free(ql);
}

static void test_replace(void **state)
{
    (void)state;
    quicklist *ql = ql_create(-1); /* 4 KB nodes */
    model m = {0};
    char v[40];
    memset(v, 'r', sizeof(v));
    for (int i = 0; i < 300; i++) {
        ql_push(ql, v, sizeof(v), QL_TAIL);
        model_insert(&m, m.n, v, sizeof(v));
    }
    ql_entry e;
    /* Same size, smaller, integer. */
    assert_true(ql_index(ql, 5, &e));
    ql_replace(ql, &e, "short", 5);
    model_delete(&m, 5);
    model_insert(&m, 5, "short", 5);
    assert_true(ql_index(ql, -3, &e));
    ql_replace(ql, &e, "-42", 3);
    model_delete(&m, m.n - 3);
    model_insert(&m, m.n - 2, "-42", 3);
    check_against_model(ql, &m);
    /* Bigger values that no longer fit their full node, at several places. */
    char big[3000];
    memset(big, 'G', sizeof(big));
    long long where[] = {0, 50, 99, 100, 150, -1, 200};
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        assert_true(ql_index(ql, where[i], &e));
        ql_replace(ql, &e, big, sizeof(big));
        size_t at = where[i] < 0 ? m.n - 1 : (size_t)where[i];
        model_delete(&m, at);
        model_insert(&m, at, big, sizeof(big));
        check_against_model(ql, &m);
    }
    /* A huge value replacing the only element of a node. */
    char *huge = malloc(100000);
    memset(huge, 'H', 100000);
    assert_true(ql_index(ql, 0, &e));
    ql_replace(ql, &e, huge, 100000);
    model_delete(&m, 0);
    model_insert(&m, 0, huge, 100000);
    check_against_model(ql, &m);
    free(huge);
    model_free(&m);
    ql_free(ql);
}

static void test_del_range(void **state)
{
    (void)state;
    for (int fill = -2; fill <= 5; fill += 7) {
        for (int start = -12; start < 12; start++) {
            for (size_t count = 0; count <= 12; count++) {
                quicklist *ql = ql_create(fill);
                model m = {0};
                char s[16];
                for (int i = 0; i < 11; i++) {
                    snprintf(s, sizeof(s), "d%d", i);
                    push_str(ql, s, QL_TAIL);
                    model_insert(&m, m.n, s, strlen(s));
                }
                size_t got = ql_del_range(ql, start, count);
                size_t want = 0;
                if (start >= -11 && start < 11) {
                    size_t idx = start < 0 ? (size_t)(11 + start) : (size_t)start;
                    want = count > 11 - idx ? 11 - idx : count;
                    for (size_t k = 0; k < want; k++)
                        model_delete(&m, idx);
                }
                assert_int_equal(got, want);
                check_against_model(ql, &m);
                model_free(&m);
                ql_free(ql);
            }
        }
    }
    /* Large ranges over many nodes merge what is left at the seam. */
    quicklist *ql = ql_create(10);
    for (int i = 0; i < 1000; i++)
        push_str(ql, "zz", QL_TAIL);
    assert_int_equal(ql_del_range(ql, 5, 990), 990);
    assert_int_equal(ql_count(ql), 10);
    assert_int_equal(ql_node_count(ql), 1);
    assert_int_equal(ql_del_range(ql, 0, SIZE_MAX), 10);
    check_invariants(ql);
    ql_free(ql);
}

static void test_iter_delete(void **state)
{
    (void)state;
    for (int dir = QL_FORWARD; dir <= QL_BACKWARD; dir++) {
        quicklist *ql = ql_create(3);
        model m = {0};
        const char *vals[] = {"a", "b", "a", "a", "c", "a", "d", "a", "a", "a", "e"};
        for (size_t i = 0; i < 11; i++) {
            push_str(ql, vals[i], QL_TAIL);
            model_insert(&m, m.n, vals[i], 1);
        }
        /* Delete every "a" while iterating; what is seen must be the rest. */
        ql_iter it;
        ql_entry e;
        size_t seen = 0;
        ql_iter_init(ql, &it, dir);
        while (ql_iter_next(&it, &e)) {
            seen++;
            if (ql_entry_equal(&e, "a", 1))
                ql_iter_delete(&it, &e);
        }
        assert_int_equal(seen, 11);
        for (size_t i = m.n; i-- > 0;)
            if (m.v[i][0] == 'a')
                model_delete(&m, i);
        check_against_model(ql, &m);
        /* Delete everything. */
        ql_iter_init(ql, &it, dir);
        while (ql_iter_next(&it, &e))
            ql_iter_delete(&it, &e);
        assert_int_equal(ql_count(ql), 0);
        check_invariants(ql);
        model_free(&m);
        ql_free(ql);
    }
}

static void test_equal_and_dup(void **state)
{
    (void)state;
    quicklist *ql = ql_create(-2);
    push_str(ql, "100", QL_TAIL);
    push_str(ql, "0100", QL_TAIL); /* not canonical: stays a string */
    push_str(ql, "-9223372036854775808", QL_TAIL);
    ql_entry e;
    assert_true(ql_index(ql, 0, &e));
    assert_true(ql_entry_equal(&e, "100", 3));
    assert_false(ql_entry_equal(&e, "0100", 4));
    assert_false(ql_entry_equal(&e, "10", 2));
    assert_true(ql_index(ql, 1, &e));
    assert_true(ql_entry_equal(&e, "0100", 4));
    assert_false(ql_entry_equal(&e, "100", 3));
    assert_true(ql_index(ql, 2, &e));
    assert_true(ql_entry_equal(&e, "-9223372036854775808", 20));

    for (int i = 0; i < 2000; i++)
        push_str(ql, "dup-me", i % 2 ? QL_HEAD : QL_TAIL);
    quicklist *copy = ql_dup(ql);
    check_invariants(copy);
    assert_int_equal(ql_count(copy), ql_count(ql));
    assert_int_equal(ql_fill(copy), ql_fill(ql));
    assert_int_equal(ql_mem_usage(copy), ql_mem_usage(ql));
    ql_iter a, b;
    ql_entry ea, eb;
    ql_iter_init(ql, &a, QL_FORWARD);
    ql_iter_init(copy, &b, QL_FORWARD);
    while (ql_iter_next(&a, &ea)) {
        assert_true(ql_iter_next(&b, &eb));
        size_t la;
        char t[64];
        const char *ta = entry_text(&ea.val, &la);
        memcpy(t, ta, la);
        assert_entry_is(&eb.val, t, la);
    }
    assert_false(ql_iter_next(&b, &eb));
    /* Independent: changing the copy leaves the original. */
    ql_del_range(copy, 0, 100);
    assert_int_equal(ql_count(ql), 2003);
    ql_free(copy);
    ql_free(ql);
}

/* Random operations on several fills, checked against the model. */
static void run_random(int fill, unsigned seed, int steps)
{
    srand(seed);
    quicklist *ql = ql_create(fill);
    model m = {0};
    /* Bigger values for big nodes, so that the list spans several. */
    static char val[6000];
    size_t vmax = fill < -2 ? sizeof(val) : 600;
    size_t max_nodes = 0;
    for (int step = 0; step < steps; step++) {
        size_t len;
        int kind = rand() % 4;
        if (kind == 0)
            len = (size_t)snprintf(val, sizeof(val), "%d", rand() % 1000 - 500);
        else if (kind == 1)
            len = (size_t)rand() % vmax;
        else
            len = (size_t)(rand() % 12);
        if (kind != 0)
            for (size_t i = 0; i < len; i++)
                val[i] = (char)("ab\0\xff"[rand() % 4]);
        /* The first half mostly grows the list (so that it spans many
         * nodes even with 64 KB nodes), the second half shrinks it too. */
        int op = step < steps / 2 && rand() % 3 ? rand() % 6 : rand() % 10;
        ql_entry e;
        if (op <= 2 || m.n == 0) {
            int where = rand() % 2;
            ql_push(ql, val, len, where);
            model_insert(&m, where == QL_HEAD ? 0 : m.n, val, len);
        } else if (op == 3) {
            int where = rand() % 2;
            lp_entry v;
            assert_true(ql_peek(ql, where, &v));
            size_t at = where == QL_HEAD ? 0 : m.n - 1;
            assert_entry_is(&v, m.v[at], m.len[at]);
            ql_pop(ql, where);
            model_delete(&m, at);
        } else if (op == 4 || op == 5) {
            size_t at = (size_t)rand() % m.n;
            int where = rand() % 2;
            assert_true(ql_index(ql, (long long)at, &e));
            ql_insert(ql, &e, val, len, where);
            model_insert(&m, where == QL_TAIL ? at + 1 : at, val, len);
        } else if (op == 6) {
            size_t at = (size_t)rand() % m.n;
            long long idx = rand() % 2 ? (long long)at : (long long)at - (long long)m.n;
            assert_true(ql_index(ql, idx, &e));
            assert_entry_is(&e.val, m.v[at], m.len[at]);
            ql_replace(ql, &e, val, len);
            model_delete(&m, at);
            model_insert(&m, at, val, len);
        } else if (op == 7) {
            size_t at = (size_t)rand() % m.n;
            size_t count = (size_t)rand() % 8;
            size_t want = count > m.n - at ? m.n - at : count;
            assert_int_equal(ql_del_range(ql, (long long)at, count), want);
            for (size_t k = 0; k < want; k++)
                model_delete(&m, at);
        } else if (op == 8) {
            /* Delete while iterating, a random direction, a few elements. */
            int dir = rand() % 2;
            ql_iter it;
            size_t at = (size_t)rand() % m.n;
            assert_true(ql_iter_init_at(ql, &it, dir, (long long)at));
            size_t pos = at;
            int n = 0;
            while (ql_iter_next(&it, &e) && n < 8) {
                assert_entry_is(&e.val, m.v[pos], m.len[pos]);
                if (rand() % 2) {
                    ql_iter_delete(&it, &e);
                    model_delete(&m, pos);
                    if (dir == QL_BACKWARD) {
                        if (pos == 0)
                            break;
                        pos--;
                    }
                } else if (dir == QL_FORWARD) {
                    pos++;
                } else {
                    if (pos == 0)
                        break;
                    pos--;
                }
                n++;
            }
        } else {
            size_t at = (size_t)rand() % m.n;
            assert_true(ql_index(ql, (long long)at, &e));
            assert_entry_is(&e.val, m.v[at], m.len[at]);
        }
        if (ql_node_count(ql) > max_nodes)
            max_nodes = ql_node_count(ql);
        if (step % 50 == 0 || step == steps - 1)
            check_against_model(ql, &m);
        else
            check_invariants(ql);
    }
    assert_true(max_nodes >= 5); /* the list did span many nodes */
    quicklist *copy = ql_dup(ql);
    check_against_model(copy, &m);
    ql_free(copy);
    model_free(&m);
    ql_free(ql);
}

static void test_random_against_model(void **state)
{
    (void)state;
    int fills[] = {-1, -2, -5, 0, 1, 2, 5, 16, 128};
    for (size_t i = 0; i < sizeof(fills) / sizeof(fills[0]); i++)
        run_random(fills[i], 1000u + (unsigned)i, 3000);
}

/* ------------------------------------------------------- list values */

/* Open val, push one element, close: returns the new value. */
static void *value_push(void *val, int fill, const char *s, size_t len, int where)
{
    ql_view v;
    quicklist *ql = ql_value_open(val, &v, fill);
    ql_push(ql, s, len, where);
    check_invariants(ql);
    return ql_value_close(ql, &v);
}

static void test_value_packed_and_back(void **state)
{
    (void)state;
    void *val = NULL; /* the empty list */
    assert_int_equal(ql_value_count(val), 0);
    assert_int_equal(ql_value_mem_usage(val), 0);
    ql_value_free(NULL);
    assert_null(ql_value_dup(NULL));
    char s[16];
    for (int i = 0; i < 4; i++) {
        snprintf(s, sizeof(s), "p%d", i);
        val = value_push(val, 4, s, strlen(s), QL_TAIL);
        assert_true(ql_value_is_packed(val)); /* one node: a bare listpack */
        assert_int_equal(ql_value_count(val), (size_t)i + 1);
    }
    assert_true(ql_value_mem_usage(val) < 32);
    /* The fifth element needs a second node: a quicklist now. */
    val = value_push(val, 4, "p4", 2, QL_TAIL);
    assert_false(ql_value_is_packed(val));
    assert_int_equal(ql_value_count(val), 5);
    assert_int_equal(ql_node_count(val), 2);
    assert_int_equal(ql_fill(val), 4);
    /* Pop back to one node: packed again. */
    ql_view v;
    quicklist *ql = ql_value_open(val, &v, -2);
    assert_ptr_equal(ql, val); /* a quicklist value is used as it is */
    ql_pop(ql, QL_HEAD);
    val = ql_value_close(ql, &v);
    assert_true(ql_value_is_packed(val));
    assert_int_equal(ql_value_count(val), 4);
    /* Dup of both forms. */
    void *copy = ql_value_dup(val);
    assert_true(ql_value_is_packed(copy));
    assert_int_equal(ql_value_count(copy), 4);
    ql_value_free(copy);
    /* Pop everything: the empty value is NULL. */
    ql = ql_value_open(val, &v, 4);
    assert_ptr_equal(ql, &v.ql);
    assert_int_equal(ql_count(ql), 4);
    for (int i = 0; i < 4; i++) {
        lp_entry e;
        assert_true(ql_peek(ql, QL_HEAD, &e));
        snprintf(s, sizeof(s), "p%d", i + 1);
        assert_entry_str(&e, s);
        ql_pop(ql, QL_HEAD);
    }
    val = ql_value_close(ql, &v);
    assert_null(val);
}

/* A packed list whose stack node ends up in the middle of several nodes
 * (split by an insert) or gone (merged, deleted) is stored correctly. */
static void test_value_view_node_moves(void **state)
{
    (void)state;
    for (int scenario = 0; scenario < 4; scenario++) {
        void *val = NULL;
        model m = {0};
        char s[16];
        for (int i = 0; i < 4; i++) {
            snprintf(s, sizeof(s), "v%d", i);
            val = value_push(val, 4, s, strlen(s), QL_TAIL);
            model_insert(&m, m.n, s, strlen(s));
        }
        ql_view v;
        quicklist *ql = ql_value_open(val, &v, 4);
        ql_entry e;
        if (scenario == 0) { /* split in the middle, then push at both ends */
            assert_true(ql_index(ql, 2, &e));
            ql_insert(ql, &e, "mid", 3, QL_HEAD);
            model_insert(&m, 2, "mid", 3);
            for (int i = 0; i < 6; i++) {
                ql_push(ql, "h", 1, QL_HEAD);
                model_insert(&m, 0, "h", 1);
                ql_push(ql, "t", 1, QL_TAIL);
                model_insert(&m, m.n, "t", 1);
            }
        } else if (scenario == 1) { /* grow, then delete the original node */
            for (int i = 0; i < 8; i++) {
                ql_push(ql, "t", 1, QL_TAIL);
                model_insert(&m, m.n, "t", 1);
            }
            ql_del_range(ql, 0, 4);
            for (int i = 0; i < 4; i++)
                model_delete(&m, 0);
        } else if (scenario == 2) { /* grow at the head; LSET a big value */
            for (int i = 0; i < 8; i++) {
                ql_push(ql, "h", 1, QL_HEAD);
                model_insert(&m, 0, "h", 1);
            }
            char big[9000];
            memset(big, 'b', sizeof(big));
            assert_true(ql_index(ql, 9, &e));
            ql_replace(ql, &e, big, sizeof(big));
            model_delete(&m, 9);
            model_insert(&m, 9, big, sizeof(big));
        } else { /* iterate-delete everything but one */
            ql_iter it;
            ql_iter_init(ql, &it, QL_BACKWARD);
            int n = 0;
            while (ql_iter_next(&it, &e) && n++ < 3)
                ql_iter_delete(&it, &e);
            for (int i = 0; i < 3; i++)
                model_delete(&m, m.n - 1);
        }
        check_against_model(ql, &m);
        val = ql_value_close(ql, &v);
        memset(&v, 0xAA, sizeof(v)); /* the stack view must not be referenced */
        assert_int_equal(ql_value_count(val), m.n);
        ql = ql_value_open(val, &v, 4);
        check_against_model(ql, &m);
        val = ql_value_close(ql, &v);
        ql_value_free(val);
        model_free(&m);
    }
}

/* Random operations through open/close, as the commands do them. */
static void test_value_random(void **state)
{
    (void)state;
    int fills[] = {-1, 2, 7};
    for (size_t f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
        srand(77 + (unsigned)f);
        void *val = NULL;
        model m = {0};
        char s[300];
        for (int step = 0; step < 4000; step++) {
            ql_view v;
            quicklist *ql = ql_value_open(val, &v, fills[f]);
            int ops = 1 + rand() % 3;
            for (int k = 0; k < ops; k++) {
                size_t len = (size_t)rand() % (rand() % 8 ? 10 : 300);
                memset(s, 'a' + rand() % 3, len);
                int op = rand() % (step < 2000 ? 5 : 7);
                ql_entry e;
                if (op <= 1 || m.n == 0) {
                    int where = rand() % 2;
                    ql_push(ql, s, len, where);
                    model_insert(&m, where == QL_HEAD ? 0 : m.n, s, len);
                } else if (op == 2) {
                    size_t at = (size_t)rand() % m.n;
                    int where = rand() % 2;
                    assert_true(ql_index(ql, (long long)at, &e));
                    ql_insert(ql, &e, s, len, where);
                    model_insert(&m, where == QL_TAIL ? at + 1 : at, s, len);
                } else if (op == 3) {
                    size_t at = (size_t)rand() % m.n;
                    assert_true(ql_index(ql, (long long)at, &e));
                    ql_replace(ql, &e, s, len);
                    model_delete(&m, at);
                    model_insert(&m, at, s, len);
                } else if (op == 4 || op == 5) {
                    int where = rand() % 2;
                    ql_pop(ql, where);
                    model_delete(&m, where == QL_HEAD ? 0 : m.n - 1);
                } else {
                    size_t at = (size_t)rand() % m.n;
                    size_t count = (size_t)rand() % 6;
                    size_t want = count > m.n - at ? m.n - at : count;
                    ql_del_range(ql, (long long)at, count);
                    for (size_t i = 0; i < want; i++)
                        model_delete(&m, at);
                }
            }
            check_invariants(ql);
            val = ql_value_close(ql, &v);
            memset(&v, 0x55, sizeof(v));
            assert_int_equal(ql_value_count(val), m.n);
            if (val && !ql_value_is_packed(val))
                assert_true(ql_node_count(val) >= 2);
            if (step % 100 == 0) {
                ql = ql_value_open(val, &v, fills[f]);
                check_against_model(ql, &m);
                val = ql_value_close(ql, &v);
            }
        }
        void *copy = ql_value_dup(val);
        ql_view v;
        quicklist *ql = ql_value_open(copy, &v, fills[f]);
        check_against_model(ql, &m);
        copy = ql_value_close(ql, &v);
        ql_value_free(copy);
        ql_value_free(val);
        model_free(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_fill_clamp),
        cmocka_unit_test(test_push_pop_both_ends),
        cmocka_unit_test(test_positive_fill_counts),
        cmocka_unit_test(test_positive_fill_safety_cap),
        cmocka_unit_test(test_negative_fill_sizes),
        cmocka_unit_test(test_big_value_alone),
        cmocka_unit_test(test_index_both_ends),
        cmocka_unit_test(test_iteration),
        cmocka_unit_test(test_insert_splits),
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_del_range),
        cmocka_unit_test(test_iter_delete),
        cmocka_unit_test(test_equal_and_dup),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_value_packed_and_back),
        cmocka_unit_test(test_value_view_node_moves),
        cmocka_unit_test(test_value_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
