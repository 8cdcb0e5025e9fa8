/* test_intset: unit tests for server/intset.c: encodings and upgrades
 * (prepend and append), binary search, removal, min/max/random, dup,
 * validation of good, truncated and corrupted blobs, and golden blobs taken
 * from Redis 7.0's DUMP output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "intset.h"

static uint64_t rng_state = 0x243F6A8885A308D3ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static uint32_t enc_of(const intset *is)
{
    const unsigned char *b = (const unsigned char *)is;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

/* Checks ascending order, length and that the blob validates. */
static void check_sorted(const intset *is)
{
    uint32_t n = intset_len(is);
    assert_int_equal(intset_bytes(is), 8 + (size_t)n * enc_of(is));
    int64_t prev = 0, v;
    for (uint32_t i = 0; i < n; i++) {
        assert_true(intset_get(is, i, &v));
        if (i)
            assert_true(v > prev);
        prev = v;
    }
    assert_false(intset_get(is, n, &v));
    if (n) {
        assert_true(intset_validate(is, intset_bytes(is), 1));
        int64_t first;
        intset_get(is, 0, &first);
        assert_true(intset_min(is) == first);
        assert_true(intset_max(is) == prev);
    }
}

static void test_empty(void **state)
{
    (void)state;
    intset *is = intset_new();
    assert_int_equal(intset_len(is), 0);
    assert_int_equal(intset_bytes(is), 8);
    assert_int_equal(enc_of(is), 2);
    assert_false(intset_find(is, 0));
    int64_t v;
    assert_false(intset_get(is, 0, &v));
    int removed = 7;
    is = intset_remove(is, 5, &removed);
    assert_int_equal(removed, 0);
    /* Redis rejects an empty intset blob: RDB files never hold one */
    assert_false(intset_validate(is, 8, 0));
    intset_free(is);
}

static void test_encodings(void **state)
{
    (void)state;
    struct {
        int64_t v;
        uint32_t enc;
    } cases[] = {
        {0, 2},
        {32767, 2},
        {-32768, 2},
        {32768, 4},
        {-32769, 4},
        {INT32_MAX, 4},
        {INT32_MIN, 4},
        {(int64_t)INT32_MAX + 1, 8},
        {(int64_t)INT32_MIN - 1, 8},
        {INT64_MAX, 8},
        {INT64_MIN, 8},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        intset *is = intset_new();
        int added;
        is = intset_add(is, cases[i].v, &added);
        assert_int_equal(added, 1);
        assert_int_equal(enc_of(is), cases[i].enc);
        assert_true(intset_find(is, cases[i].v));
        int64_t v;
        assert_true(intset_get(is, 0, &v));
        assert_true(v == cases[i].v);
        assert_true(intset_random(is) == cases[i].v);
        check_sorted(is);
        intset_free(is);
    }
}

static void test_upgrade(void **state)
{
    (void)state;
    int added;
    /* append on a positive wider value */
    intset *is = intset_new();
    for (int64_t v = -10; v <= 10; v++)
        is = intset_add(is, v * 3, &added);
    is = intset_add(is, 100000, &added);
    assert_int_equal(added, 1);
    assert_int_equal(enc_of(is), 4);
    int64_t v;
    intset_get(is, intset_len(is) - 1, &v);
    assert_true(v == 100000);
    intset_get(is, 0, &v);
    assert_true(v == -30);
    check_sorted(is);
    /* prepend on a negative wider value */
    is = intset_add(is, -5000000000LL, &added);
    assert_int_equal(enc_of(is), 8);
    intset_get(is, 0, &v);
    assert_true(v == -5000000000LL);
    check_sorted(is);
    for (int64_t x = -10; x <= 10; x++)
        assert_true(intset_find(is, x * 3));
    assert_false(intset_find(is, 1));
    assert_true(intset_find(is, 100000));
    /* values of narrower widths still found and added */
    is = intset_add(is, 7, &added);
    assert_int_equal(added, 1);
    is = intset_add(is, 7, &added);
    assert_int_equal(added, 0);
    check_sorted(is);
    /* removing the wide values does not downgrade (as Redis) */
    int removed;
    is = intset_remove(is, -5000000000LL, &removed);
    assert_int_equal(removed, 1);
    is = intset_remove(is, 100000, &removed);
    assert_int_equal(removed, 1);
    assert_int_equal(enc_of(is), 8);
    check_sorted(is);
    intset_free(is);

    /* a value wider than the set is never found nor removed */
    is = intset_new();
    is = intset_add(is, 1, NULL);
    assert_false(intset_find(is, 1LL << 40));
    is = intset_remove(is, 1LL << 40, &removed);
    assert_int_equal(removed, 0);
    assert_int_equal(enc_of(is), 2);
    intset_free(is);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_random_ops(void **state)
{
    (void)state;
    enum { N = 5000 };
    int64_t *model = malloc(N * 2 * sizeof(*model));
    size_t n = 0;
    intset *is = intset_new();
    for (int step = 0; step < 20000; step++) {
        int64_t v;
        switch (rng() % 4) {
        case 0: v = (int64_t)(rng() % 200) - 100; break;
        case 1: v = (int64_t)(int16_t)rng(); break;
        case 2: v = (int64_t)(int32_t)rng(); break;
        default: v = (step > 10000) ? (int64_t)rng() : (int64_t)(rng() % 50); break;
        }
        int present = 0;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            if (model[i] == v) {
                present = 1;
                at = i;
                break;
            }
        }
        assert_int_equal(intset_find(is, v), present);
        if (rng() % 3 == 0) {
            int removed;
            is = intset_remove(is, v, &removed);
            assert_int_equal(removed, present);
            if (present)
                model[at] = model[--n];
        } else if (n < N) {
            int added;
            is = intset_add(is, v, &added);
            assert_int_equal(added, !present);
            if (!present)
                model[n++] = v;
        }
        assert_int_equal(intset_len(is), n);
        if (step % 500 == 0)
            check_sorted(is);
    }
    qsort(model, n, sizeof(*model), cmp64);
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        assert_true(intset_get(is, (uint32_t)i, &v));
        assert_true(v == model[i]);
    }
    check_sorted(is);
    /* random returns members */
    for (int i = 0; i < 1000; i++)
        assert_true(intset_find(is, intset_random(is)));
    /* dup is an equal, independent copy */
    intset *d = intset_dup(is);
    assert_int_equal(intset_bytes(d), intset_bytes(is));
    assert_memory_equal(d, is, intset_bytes(is));
    d = intset_add(d, 123456789012345LL, NULL);
    assert_false(intset_find(is, 123456789012345LL) && !intset_find(d, 123456789012345LL));
    intset_free(d);
    /* remove everything */
    for (size_t i = 0; i < n; i++) {
        int removed;
        is = intset_remove(is, model[i], &removed);
        assert_int_equal(removed, 1);
    }
    assert_int_equal(intset_len(is), 0);
    assert_int_equal(intset_bytes(is), 8);
    intset_free(is);
    free(model);
}

/* From Redis 7.0's DUMP (redis-server 7.0.15): the payload after type byte
 * 11 (RDB_TYPE_SET_INTSET) is a length-prefixed string holding the intset. */
static const unsigned char golden_s1[] = {0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00,
                                          0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00};
/* SADD s 5 -70000 100000 */
static const unsigned char golden_s2[] = {0x04, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00,
                                          0x00, 0x90, 0xee, 0xfe, 0xff, 0x05, 0x00,
                                          0x00, 0x00, 0xa0, 0x86, 0x01, 0x00};
/* SADD s 1 -5000000000 3 */
static const unsigned char golden_s3[] = {
    0x08, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x0e, 0xfa, 0xd5, 0xfe, 0xff, 0xff, 0xff,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static void check_golden(const int64_t *vals, size_t n, const unsigned char *blob, size_t size)
{
    intset *is = intset_new();
    for (size_t i = 0; i < n; i++)
        is = intset_add(is, vals[i], NULL);
    assert_int_equal(intset_bytes(is), size);
    assert_memory_equal(is, blob, size);
    assert_true(intset_validate(blob, size, 1));
    intset_free(is);
}

static void test_golden(void **state)
{
    (void)state;
    int64_t s1[] = {1, 2, 3};
    check_golden(s1, 3, golden_s1, sizeof(golden_s1));
    int64_t s1r[] = {3, 1, 2, 2};
    check_golden(s1r, 4, golden_s1, sizeof(golden_s1));
    int64_t s2[] = {5, -70000, 100000};
    check_golden(s2, 3, golden_s2, sizeof(golden_s2));
    int64_t s3[] = {1, -5000000000LL, 3};
    check_golden(s3, 3, golden_s3, sizeof(golden_s3));
}

static int validate_copy(const unsigned char *src, size_t size, int deep)
{
    unsigned char *c = malloc(size ? size : 1);
    memcpy(c, src, size);
    int ok = intset_validate(c, size, deep);
    if (ok) {
        /* an accepted blob is safe to read (the struct is the blob) */
        intset *is = malloc(size);
        memcpy(is, c, size);
        int64_t v;
        for (uint32_t i = 0; i < intset_len(is); i++)
            intset_get(is, i, &v);
        (void)intset_find(is, 3);
        free(is);
    }
    free(c);
    return ok;
}

static void test_validate(void **state)
{
    (void)state;
    const unsigned char *blobs[] = {golden_s1, golden_s2, golden_s3};
    size_t sizes[] = {sizeof(golden_s1), sizeof(golden_s2), sizeof(golden_s3)};
    for (int b = 0; b < 3; b++) {
        assert_true(validate_copy(blobs[b], sizes[b], 1));
        assert_true(validate_copy(blobs[b], sizes[b], 0));
        for (size_t cut = 0; cut < sizes[b]; cut++) {
            assert_false(validate_copy(blobs[b], cut, 1));
            assert_false(validate_copy(blobs[b], cut, 0));
        }
        unsigned char c[64];
        for (size_t off = 0; off < sizes[b]; off++) {
            for (int x = 1; x < 256; x++) {
                memcpy(c, blobs[b], sizes[b]);
                c[off] ^= (unsigned char)x;
                (void)validate_copy(c, sizes[b], 1);
                (void)validate_copy(c, sizes[b], 0);
            }
        }
    }
    /* bad encoding */
    unsigned char c[32];
    memcpy(c, golden_s1, sizeof(golden_s1));
    c[0] = 3;
    assert_false(validate_copy(c, sizeof(golden_s1), 0));
    /* out of order / duplicates: only deep notices */
    memcpy(c, golden_s1, sizeof(golden_s1));
    c[10] = 0x01; /* 1, 1, 3 */
    assert_true(validate_copy(c, sizeof(golden_s1), 0));
    assert_false(validate_copy(c, sizeof(golden_s1), 1));
    memcpy(c, golden_s1, sizeof(golden_s1));
    c[12] = 0x00; /* 1, 2, 0 */
    assert_false(validate_copy(c, sizeof(golden_s1), 1));
    /* a length that overflows 32 bits when multiplied */
    static const unsigned char huge[] = {0x08, 0, 0, 0, 0x00, 0x00, 0x00, 0x20};
    assert_false(validate_copy(huge, sizeof(huge), 1));
    assert_false(intset_validate(NULL, 0, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),   cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_upgrade), cmocka_unit_test(test_random_ops),
        cmocka_unit_test(test_golden),  cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
