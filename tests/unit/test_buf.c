/* test_buf.c: unit tests for common/buf (binary-safe growable strings). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "buf.h"

static void assert_buf(buf b, const void *expect, size_t len)
{
    assert_int_equal(buf_len(b), len);
    assert_memory_equal(b, expect, len);
    assert_int_equal(b[len], '\0');
}

static void test_new_and_free(void **state)
{
    buf b = buf_new("hello", 5);
    assert_buf(b, "hello", 5);
    assert_int_equal(buf_avail(b), 0);
    buf_free(b);

    b = buf_new(NULL, 4);
    assert_buf(b, "\0\0\0\0", 4);
    buf_free(b);

    b = buf_empty();
    assert_buf(b, "", 0);
    assert_int_equal(buf_avail(b), 0);
    buf_free(b);

    b = buf_new_cap(100);
    assert_buf(b, "", 0);
    assert_int_equal(buf_avail(b), 100);
    buf_free(b);

    b = buf_from_cstr("abc");
    assert_buf(b, "abc", 3);
    assert_string_equal(b, "abc");
    buf_free(b);

    buf_free(NULL);
}

static void test_from_ll(void **state)
{
    buf b = buf_from_ll(0);
    assert_buf(b, "0", 1);
    buf_free(b);
    b = buf_from_ll(-123);
    assert_buf(b, "-123", 4);
    buf_free(b);
    b = buf_from_ll(LLONG_MAX);
    assert_string_equal(b, "9223372036854775807");
    buf_free(b);
    b = buf_from_ll(LLONG_MIN);
    assert_string_equal(b, "-9223372036854775808");
    assert_int_equal(buf_len(b), 20);
    buf_free(b);
}

static void test_binary_safe(void **state)
{
    const char data[] = {'a', '\0', 'b', '\0', '\0', 'c'};
    buf b = buf_new(data, sizeof(data));
    assert_buf(b, data, sizeof(data));

    b = buf_cat(b, "\0x\0", 3);
    const char expect[] = {'a', '\0', 'b', '\0', '\0', 'c', '\0', 'x', '\0'};
    assert_buf(b, expect, sizeof(expect));

    buf d = buf_dup(b);
    assert_ptr_not_equal(d, b);
    assert_buf(d, expect, sizeof(expect));
    assert_int_equal(buf_cmp(b, d), 0);
    assert_true(buf_eq(d, expect, sizeof(expect)));
    assert_false(buf_eq(d, expect, sizeof(expect) - 1));

    /* A buf that differs only after a NUL is different. */
    d[sizeof(expect) - 2] = 'y';
    assert_true(buf_cmp(b, d) < 0);
    assert_true(buf_cmp(d, b) > 0);
    buf_free(d);
    buf_free(b);
}

/* Crossing 255 bytes of capacity switches to the wide header; the contents
 * must survive the move in both directions. */
static void test_header_kind_switch(void **state)
{
    buf b = buf_empty();
    size_t small_overhead = buf_alloc_size(b); /* header + NUL at capacity 0 */
    char expect[1000];
    for (int i = 0; i < 1000; i++) {
        char c = (char)(i % 251);
        b = buf_cat(b, &c, 1);
        expect[i] = c;
        assert_int_equal(buf_len(b), (size_t)i + 1);
        assert_true(buf_avail(b) + buf_len(b) >= (size_t)i + 1);
    }
    assert_buf(b, expect, 1000);
    size_t cap = buf_len(b) + buf_avail(b);
    assert_true(buf_alloc_size(b) > cap + small_overhead); /* wider header now */

    /* Shrink back below 256: the narrow header returns. */
    buf_range(b, 0, 99);
    assert_buf(b, expect, 100);
    b = buf_shrink(b);
    assert_int_equal(buf_avail(b), 0);
    assert_int_equal(buf_alloc_size(b), 100 + small_overhead);
    assert_buf(b, expect, 100);

    /* Exactly 255 stays narrow, 256 is wide. */
    b = buf_grow_exact(b, 155);
    assert_int_equal(buf_avail(b), 155);
    assert_int_equal(buf_alloc_size(b), 255 + small_overhead);
    b = buf_grow_exact(b, 156);
    assert_int_equal(buf_avail(b), 156);
    assert_true(buf_alloc_size(b) > 256 + small_overhead);
    assert_buf(b, expect, 100);
    buf_free(b);
}

static void test_grow_policy(void **state)
{
    buf b = buf_new("abc", 3);
    b = buf_grow(b, 10);
    /* Greedy: (3 + 10) * 2. */
    assert_int_equal(buf_avail(b), 23);
    buf before = b;
    b = buf_grow(b, 5); /* already fits: no move */
    assert_ptr_equal(b, before);
    assert_int_equal(buf_avail(b), 23);
    assert_buf(b, "abc", 3);
    buf_free(b);

    /* Above 1 MB the slack is 1 MB, not the doubled size. */
    b = buf_empty();
    b = buf_grow(b, 3 * 1024 * 1024);
    assert_int_equal(buf_avail(b), 4 * 1024 * 1024);
    buf_free(b);

    b = buf_new("abc", 3);
    b = buf_grow_exact(b, 10);
    assert_int_equal(buf_avail(b), 10);
    assert_buf(b, "abc", 3);
    buf_free(b);
}

static void test_set_len_incr_len(void **state)
{
    buf b = buf_new_cap(32);
    memcpy(b, "hello world", 11);
    buf_set_len(b, 11);
    assert_buf(b, "hello world", 11);
    buf_incr_len(b, -6);
    assert_buf(b, "hello", 5);
    b[5] = '!';
    buf_incr_len(b, 1);
    assert_buf(b, "hello!", 6);
    assert_int_equal(buf_avail(b), 26);

    b = buf_resize(b, 10);
    assert_buf(b, "hello!\0\0\0\0", 10);
    b = buf_resize(b, 2);
    assert_buf(b, "he", 2);
    b = buf_resize(b, 300); /* crosses into the wide header */
    assert_int_equal(buf_len(b), 300);
    for (int i = 2; i < 300; i++)
        assert_int_equal(b[i], 0);
    assert_memory_equal(b, "he", 2);
    buf_free(b);
}

static void test_cat_variants(void **state)
{
    buf b = buf_empty();
    b = buf_cat_cstr(b, "foo");
    b = buf_cat(b, "bar", 3);
    buf o = buf_new("\0baz", 4);
    b = buf_cat_buf(b, o);
    assert_buf(b, "foobar\0baz", 10);
    buf_free(o);

    /* Appending a buf to itself must survive the reallocation. */
    b = buf_shrink(b);
    b = buf_cat_buf(b, b);
    assert_buf(b, "foobar\0bazfoobar\0baz", 20);

    b = buf_cat(b, NULL, 0);
    assert_int_equal(buf_len(b), 20);
    buf_free(b);
}

static void test_cat_printf(void **state)
{
    buf b = buf_from_cstr("x=");
    b = buf_cat_printf(b, "%d,%s,%lld", 42, "str", -7LL);
    assert_string_equal(b, "x=42,str,-7");
    assert_int_equal(buf_len(b), 11);

    /* Output much larger than the free space forces the retry path. */
    char big[600];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    b = buf_cat_printf(b, "[%s]", big);
    assert_int_equal(buf_len(b), 11 + 2 + 599);
    assert_memory_equal(b, "x=42,str,-7[", 12);
    assert_int_equal(b[buf_len(b) - 1], ']');
    assert_int_equal(b[buf_len(b)], '\0');

    /* %c with 0 writes a real NUL byte which counts in the length. */
    buf c = buf_empty();
    c = buf_cat_printf(c, "a%cb", 0);
    assert_buf(c, "a\0b", 3);

    c = buf_cat_printf(c, "%s", "");
    assert_buf(c, "a\0b", 3);
    buf_free(c);
    buf_free(b);
}

static void test_cpy(void **state)
{
    buf b = buf_from_cstr("hello");
    b = buf_cpy(b, "hi", 2);
    assert_buf(b, "hi", 2);
    char big[400];
    memset(big, 'z', sizeof(big));
    b = buf_cpy(b, big, sizeof(big));
    assert_buf(b, big, sizeof(big));
    b = buf_cpy(b, "a\0b", 3);
    assert_buf(b, "a\0b", 3);
    buf_free(b);
}

static void test_cat_repr(void **state)
{
    buf b = buf_empty();
    b = buf_cat_repr(b, "a\0b\n", 4);
    assert_string_equal(b, "\"a\\x00b\\n\"");

    buf_clear(b);
    b = buf_cat_repr(b, "\"\\\r\t\a\b\x7f\xff ~", 10);
    assert_string_equal(b, "\"\\\"\\\\\\r\\t\\a\\b\\x7f\\xff ~\"");

    buf_clear(b);
    b = buf_cat_repr(b, "", 0);
    assert_string_equal(b, "\"\"");

    b = buf_cat_repr(b, "x", 1);
    assert_string_equal(b, "\"\"\"x\"");
    buf_free(b);
}

static void test_clear_and_consume(void **state)
{
    buf b = buf_from_cstr("abcdef");
    size_t cap = buf_len(b) + buf_avail(b);
    buf_consume(b, 0);
    assert_buf(b, "abcdef", 6);
    buf_consume(b, 2);
    assert_buf(b, "cdef", 4);
    buf_consume(b, 3);
    assert_buf(b, "f", 1);
    buf_consume(b, 5);
    assert_buf(b, "", 0);
    assert_int_equal(buf_avail(b), cap);

    b = buf_cat(b, "x\0y\0z", 5);
    buf_consume(b, 1);
    assert_buf(b, "\0y\0z", 4);
    buf_clear(b);
    assert_buf(b, "", 0);
    assert_int_equal(buf_avail(b), cap);
    buf_free(b);
}

static void check_range(const char *s, ssize_t start, ssize_t end, const char *expect)
{
    buf b = buf_from_cstr(s);
    buf_range(b, start, end);
    assert_buf(b, expect, strlen(expect));
    buf_free(b);
}

static void test_range(void **state)
{
    check_range("hello world", 0, 4, "hello");
    check_range("hello world", 6, 100, "world");
    check_range("hello world", -5, -1, "world");
    check_range("hello world", -1, -1, "d");
    check_range("hello world", 0, -1, "hello world");
    check_range("hello world", 3, 2, "");
    check_range("hello world", 11, 20, "");
    check_range("hello world", 100, 200, "");
    check_range("hello world", -100, 2, "hel");
    /* Like sdsrange: a negative end past the start clamps to index 0. */
    check_range("hello world", -100, -100, "h");
    check_range("hello world", 5, -100, "");
    check_range("", 0, -1, "");
    check_range("", 0, 0, "");

    buf b = buf_new("a\0b\0c", 5);
    buf_range(b, 1, -2);
    assert_buf(b, "\0b\0", 3);
    buf_free(b);
}

static void test_tolower_cmp_eq(void **state)
{
    buf b = buf_new("HeLLo\0WORLD-123", 15);
    buf_tolower(b);
    assert_buf(b, "hello\0world-123", 15);
    buf_free(b);

    buf a = buf_from_cstr("abc");
    buf c = buf_from_cstr("abd");
    buf ab = buf_from_cstr("ab");
    buf hi = buf_new("\xff", 1);
    assert_true(buf_cmp(a, c) < 0);
    assert_true(buf_cmp(c, a) > 0);
    assert_true(buf_cmp(ab, a) < 0); /* shorter first on a tie */
    assert_true(buf_cmp(a, ab) > 0);
    assert_true(buf_cmp(a, hi) < 0); /* bytes compare unsigned */
    assert_int_equal(buf_cmp(a, a), 0);
    assert_true(buf_eq(a, "abc", 3));
    assert_false(buf_eq(a, "abd", 3));
    assert_false(buf_eq(a, "ab", 2));
    buf e = buf_empty();
    assert_true(buf_eq(e, "", 0));
    assert_true(buf_cmp(e, a) < 0);
    buf_free(a);
    buf_free(c);
    buf_free(ab);
    buf_free(hi);
    buf_free(e);
}

static void test_shrink_and_alloc_size(void **state)
{
    buf b = buf_new_cap(1000);
    b = buf_cat_cstr(b, "abc");
    size_t before = buf_alloc_size(b);
    assert_true(before >= 1000 + 1);
    b = buf_shrink(b);
    assert_int_equal(buf_avail(b), 0);
    assert_true(buf_alloc_size(b) < before);
    assert_true(buf_alloc_size(b) >= 3 + 1);
    assert_buf(b, "abc", 3);
    buf_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_and_free),
        cmocka_unit_test(test_from_ll),
        cmocka_unit_test(test_binary_safe),
        cmocka_unit_test(test_header_kind_switch),
        cmocka_unit_test(test_grow_policy),
        cmocka_unit_test(test_set_len_incr_len),
        cmocka_unit_test(test_cat_variants),
        cmocka_unit_test(test_cat_printf),
        cmocka_unit_test(test_cpy),
        cmocka_unit_test(test_cat_repr),
        cmocka_unit_test(test_clear_and_consume),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_tolower_cmp_eq),
        cmocka_unit_test(test_shrink_and_alloc_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
