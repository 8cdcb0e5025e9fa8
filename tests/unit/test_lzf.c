/* test_lzf: LZF compression round trips (text, runs, random bytes, every
 * length around the format's limits), the compressor's refusal when the
 * output would not fit, decompression of hand-made streams (literal runs,
 * short and long back references, overlapping runs), and rejection of
 * malformed input without reading or writing out of bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lzf.h"

static void round_trip(const unsigned char *in, size_t len)
{
    size_t cap = len + len / 16 + 64;
    unsigned char *c = malloc(cap), *d = malloc(len + 1);
    size_t clen = lzf_compress(in, len, c, cap);
    assert_true(clen > 0);
    assert_int_equal(lzf_decompress(c, clen, d, len), len);
    assert_memory_equal(d, in, len);
    free(c);
    free(d);
}

static void test_round_trips(void **state)
{
    (void)state;
    const char *text = "the quick brown fox jumps over the lazy dog; the quick brown fox again";
    round_trip((const unsigned char *)text, strlen(text));
    unsigned char *buf = malloc(300000);
    memset(buf, 'a', 300000);
    round_trip(buf, 300000); /* one long run: overlapping references */
    for (size_t i = 0; i < 300000; i++)
        buf[i] = (unsigned char)(i * 7 % 251);
    round_trip(buf, 300000); /* periodic */
    uint32_t x = 12345;
    for (size_t i = 0; i < 300000; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
    round_trip(buf, 300000); /* incompressible: literals only */
    for (size_t len = 1; len < 600; len++) {
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)("abcabcabd"[i % 9] + (i / 300));
        round_trip(buf, len);
    }
    free(buf);
}

static void test_compress_saves_space(void **state)
{
    (void)state;
    char in[1000];
    memset(in, 'x', sizeof(in));
    unsigned char out[996];
    size_t n = lzf_compress(in, sizeof(in), out, sizeof(out));
    assert_true(n > 0 && n < 40);
    /* Random bytes do not fit in fewer bytes: refused, not overflowed. */
    unsigned char rnd[256], small[252];
    uint32_t x = 99;
    for (size_t i = 0; i < sizeof(rnd); i++) {
        x = x * 1103515245u + 12345u;
        rnd[i] = (unsigned char)(x >> 16);
    }
    assert_int_equal(lzf_compress(rnd, sizeof(rnd), small, sizeof(small)), 0);
    assert_int_equal(lzf_compress(rnd, 0, small, sizeof(small)), 0);
}

static void test_decompress_hand_made(void **state)
{
    (void)state;
    /* "abc" literal, then a reference 3 back of length 6: "abcabcabc". */
    const unsigned char s1[] = {0x02, 'a', 'b', 'c', (6 - 2) << 5, 0x02};
    unsigned char out[64];
    assert_int_equal(lzf_decompress(s1, sizeof(s1), out, sizeof(out)), 9);
    assert_memory_equal(out, "abcabcabc", 9);
    /* A long reference: len field 7 plus an extra byte (7+3+2 = 12 bytes). */
    const unsigned char s2[] = {0x00, 'z', 0xE0, 0x03, 0x00};
    assert_int_equal(lzf_decompress(s2, sizeof(s2), out, sizeof(out)), 13);
    assert_memory_equal(out, "zzzzzzzzzzzzz", 13);
}

static void test_decompress_rejects_bad_input(void **state)
{
    (void)state;
    unsigned char out[16];
    const unsigned char before_start[] = {0x00, 'a', 0x20, 0x05}; /* 6 back, only 1 written */
    assert_int_equal(lzf_decompress(before_start, sizeof(before_start), out, sizeof(out)), 0);
    const unsigned char short_literal[] = {0x05, 'a', 'b'};
    assert_int_equal(lzf_decompress(short_literal, sizeof(short_literal), out, sizeof(out)), 0);
    const unsigned char cut_reference[] = {0x00, 'a', 0x20};
    assert_int_equal(lzf_decompress(cut_reference, sizeof(cut_reference), out, sizeof(out)), 0);
    const unsigned char too_long[] = {0x00, 'a', 0xE0, 0xFF, 0x00}; /* 264 bytes into 16 */
    assert_int_equal(lzf_decompress(too_long, sizeof(too_long), out, sizeof(out)), 0);
    const unsigned char literal_overflow[] = {0x1F, 'a'};
    assert_int_equal(lzf_decompress(literal_overflow, sizeof(literal_overflow), out, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_compress_saves_space),
        cmocka_unit_test(test_decompress_hand_made),
        cmocka_unit_test(test_decompress_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
