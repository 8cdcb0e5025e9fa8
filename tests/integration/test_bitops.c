/* test_bitops: integration tests of the bitmap commands (bitops.c) against
 * a real keel-server: SETBIT/GETBIT with bit order, growth, encodings and
 * offset bounds; a 64 MB sparse bitmap (bit 2^29-1); BITCOUNT and BITPOS with
 * BYTE/BIT ranges, negative indexes and the clear-bit rules; BITOP; BITFIELD
 * and BITFIELD_RO with every overflow mode at signed/unsigned edges; errors,
 * WRONGTYPE and WATCH.  Every assertion checks the exact reply type and
 * value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "harness.h"

static harness_server srv;
static redisContext *ctx;

/* ---------------------------------------------------------------- helpers */

static redisReply *cmd(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(ctx, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    return r;
}

static void expect_int(redisReply *r, long long v)
{
    if (r->type != REDIS_REPLY_INTEGER)
        fail_msg("expected integer %lld, got type %d (%s)", v, r->type, r->str ? r->str : "");
    assert_int_equal(r->integer, v);
    freeReplyObject(r);
}

static void expect_status(redisReply *r, const char *s)
{
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

static void expect_error(redisReply *r, const char *s)
{
    if (r->type != REDIS_REPLY_ERROR)
        fail_msg("expected error '%s', got type %d", s, r->type);
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

static void expect_bin(redisReply *r, const void *p, size_t len)
{
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, len);
    assert_memory_equal(r->str, p, len);
    freeReplyObject(r);
}

/* An array reply of n entries; each is an integer from vals, or nil where
 * the matching entry of nils is 1 (nils may be NULL). */
static void expect_ints(redisReply *r, size_t n, const long long *vals, const int *nils)
{
    if (r->type != REDIS_REPLY_ARRAY)
        fail_msg("expected array, got type %d (%s)", r->type, r->str ? r->str : "");
    assert_int_equal(r->elements, n);
    for (size_t i = 0; i < n; i++) {
        if (nils && nils[i]) {
            assert_int_equal(r->element[i]->type, REDIS_REPLY_NIL);
        } else {
            assert_int_equal(r->element[i]->type, REDIS_REPLY_INTEGER);
            assert_int_equal(r->element[i]->integer, vals[i]);
        }
    }
    freeReplyObject(r);
}

/* BITFIELD with a single op whose reply is one integer. */
static void expect_one(redisReply *r, long long v)
{
    long long vals[1] = {v};
    expect_ints(r, 1, vals, NULL);
}

static void expect_one_nil(redisReply *r)
{
    int nils[1] = {1};
    expect_ints(r, 1, NULL, nils);
}

#define OFFSET_ERR "ERR bit offset is not an integer or out of range"
#define BIT_ERR "ERR bit is not an integer or out of range"
#define NOT_INT "ERR value is not an integer or out of range"
#define SYNTAX "ERR syntax error"
#define TYPE_ERR                                                                                   \
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "    \
    "i64 is."
#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

/* ------------------------------------------------------------ fixtures */

static int group_setup(void **state)
{
    (void)state;
    if (harness_start_server(&srv, NULL) != 0)
        return -1;
    ctx = harness_connect(&srv);
    return ctx ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    if (ctx)
        redisFree(ctx);
    harness_stop_server(&srv);
    return 0;
}

static int test_setup(void **state)
{
    (void)state;
    redisReply *r = redisCommand(ctx, "FLUSHALL");
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

/* Store a non-string value at key with whichever collection command keel
 * implements; 0 if none does yet. */
static int make_other_type(const char *key)
{
    const char *tries[] = {"RPUSH %s a", "SADD %s a", "HSET %s f v", "ZADD %s 1 a"};
    for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
        redisReply *r = cmd(tries[i], key);
        int ok = r->type == REDIS_REPLY_INTEGER;
        freeReplyObject(r);
        if (ok)
            return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- tests */

static void test_setbit_getbit(void **state)
{
    (void)state;
    expect_int(cmd("SETBIT k 7 1"), 0);
    expect_bin(cmd("GET k"), "\x01", 1);
    expect_int(cmd("SETBIT k 7 1"), 1);
    expect_int(cmd("SETBIT k 7 0"), 1);
    expect_int(cmd("SETBIT k 7 0"), 0);
    expect_bin(cmd("GET k"), "\x00", 1);
    /* growth zero-fills */
    expect_int(cmd("SETBIT k 100 1"), 0);
    expect_int(cmd("STRLEN k"), 13);
    expect_bin(cmd("GET k"), "\0\0\0\0\0\0\0\0\0\0\0\0\x08", 13);
    expect_int(cmd("GETBIT k 100"), 1);
    expect_int(cmd("GETBIT k 99"), 0);
    expect_int(cmd("GETBIT k 101"), 0);
    expect_int(cmd("GETBIT k 104"), 0);
    expect_int(cmd("GETBIT k 4294967295"), 0);
    expect_int(cmd("GETBIT missing 0"), 0);
    /* SETBIT 0 on a missing key still creates it */
    expect_int(cmd("SETBIT z 9 0"), 0);
    expect_bin(cmd("GET z"), "\0\0", 2);
    /* int-encoded and embstr values become raw and keep their bytes */
    expect_status(cmd("SET i 12345"), "OK");
    expect_int(cmd("GETBIT i 2"), 1); /* '1' = 0x31 = 00110001 */
    expect_int(cmd("GETBIT i 0"), 0);
    expect_int(cmd("GETBIT i 7"), 1);
    expect_int(cmd("SETBIT i 7 0"), 1);
    expect_bin(cmd("GET i"), "02345", 5);
    redisReply *r = cmd("OBJECT ENCODING i");
    assert_string_equal(r->str, "raw");
    freeReplyObject(r);
    /* TTL is kept */
    expect_status(cmd("SET t a EX 1000"), "OK");
    expect_int(cmd("SETBIT t 1 0"), 1);
    r = cmd("TTL t");
    assert_true(r->integer > 990 && r->integer <= 1000);
    freeReplyObject(r);
    /* errors: offset first, then the bit value */
    const char *bad_offsets[] = {"-1", "abc", "1.5", "", "4294967296", "9223372036854775808", "#1"};
    for (size_t i = 0; i < sizeof(bad_offsets) / sizeof(bad_offsets[0]); i++) {
        expect_error(cmd("SETBIT k %s 1", bad_offsets[i]), OFFSET_ERR);
        expect_error(cmd("GETBIT k %s", bad_offsets[i]), OFFSET_ERR);
    }
    expect_error(cmd("SETBIT k -1 2"), OFFSET_ERR);
    const char *bad_bits[] = {"2", "-1", "a", "", "1.0", "01"};
    for (size_t i = 0; i < sizeof(bad_bits) / sizeof(bad_bits[0]); i++)
        expect_error(cmd("SETBIT k 1 %s", bad_bits[i]), BIT_ERR);
    expect_error(cmd("SETBIT k 1"), "ERR wrong number of arguments for 'setbit' command");
    expect_error(cmd("GETBIT k"), "ERR wrong number of arguments for 'getbit' command");
    expect_error(cmd("GETBIT k 1 2"), "ERR wrong number of arguments for 'getbit' command");
}

/* Bit 0 is the most significant bit of byte 0. */
static void test_bit_order(void **state)
{
    (void)state;
    for (int i = 0; i < 16; i++) {
        expect_int(cmd("DEL o"), i == 0 ? 0 : 1);
        expect_int(cmd("SETBIT o %d 1", i), 0);
        unsigned char want[2] = {0, 0};
        want[i / 8] = (unsigned char)(0x80 >> (i % 8));
        expect_bin(cmd("GET o"), want, (size_t)(i / 8 + 1));
        expect_int(cmd("BITPOS o 1"), i);
        expect_one(cmd("BITFIELD_RO o GET u1 %d", i), 1);
        expect_int(cmd("GETBIT o %d", i), 1);
        expect_int(cmd("GETBIT o %d", i ^ 1), 0);
    }
}

/* 512 Mbit: the bit at 2^29-1 makes a 64 MB string of zeros and one bit. */
static void test_sparse_64mb(void **state)
{
    (void)state;
    const long long off = (1LL << 29) - 1;
    expect_int(cmd("SETBIT big %lld 1", off), 0);
    expect_int(cmd("STRLEN big"), 1LL << 26);
    expect_int(cmd("GETBIT big %lld", off), 1);
    expect_int(cmd("GETBIT big %lld", off - 1), 0);
    expect_int(cmd("GETBIT big 0"), 0);
    expect_int(cmd("BITCOUNT big"), 1);
    expect_int(cmd("BITCOUNT big 0 -2"), 0);
    expect_int(cmd("BITCOUNT big -1 -1"), 1);
    expect_int(cmd("BITCOUNT big %lld %lld BIT", off, off), 1);
    expect_int(cmd("BITCOUNT big 0 %lld BIT", off - 1), 0);
    expect_int(cmd("BITPOS big 1"), off);
    expect_int(cmd("BITPOS big 0"), 0);
    expect_int(cmd("BITPOS big 1 1000"), off);
    expect_int(cmd("BITPOS big 1 0 -2"), -1);
    expect_int(cmd("BITPOS big 1 12345 -1 BIT"), off);
    expect_int(cmd("SETBIT big 12345 1"), 0);
    expect_int(cmd("BITPOS big 1"), 12345);
    expect_int(cmd("BITPOS big 1 12346 -1 BIT"), off);
    expect_int(cmd("BITCOUNT big"), 2);
    {
        long long vals[2] = {1, 1};
        /* i8 at #67108863 is the last byte; u63 at off-62 ends at the last bit */
        expect_ints(cmd("BITFIELD big GET i8 #67108863 GET u63 %lld", off - 62), 2, vals, NULL);
    }
    expect_int(cmd("SETBIT big 12345 0"), 1);
    /* its complement: all ones but the last bit */
    expect_int(cmd("BITOP NOT nb big"), 1LL << 26);
    expect_int(cmd("BITPOS nb 0"), off);
    expect_int(cmd("BITPOS nb 0 0 -2"), -1);
    expect_int(cmd("BITPOS nb 0 0 -2 BIT"), -1);
    expect_int(cmd("BITPOS nb 1 -1"), (1LL << 29) - 8);
    expect_int(cmd("BITCOUNT nb"), off);
    expect_int(cmd("DEL nb"), 1);
    expect_int(cmd("SETBIT big %lld 0", off), 1);
    expect_int(cmd("BITCOUNT big"), 0);
    expect_int(cmd("BITPOS big 1"), -1);
    expect_int(cmd("STRLEN big"), 1LL << 26);
    expect_int(cmd("DEL big"), 1);
    /* the last offset proto-max-bulk-len allows is 2^32-1 */
    expect_int(cmd("GETBIT big 4294967295"), 0);
    expect_error(cmd("SETBIT big 4294967296 1"), OFFSET_ERR);
    expect_error(cmd("BITFIELD big SET u8 4294967296 1"), OFFSET_ERR);
    expect_int(cmd("EXISTS big"), 0);
}

static void test_bitcount(void **state)
{
    (void)state;
    expect_status(cmd("SET s foobar"), "OK");
    expect_int(cmd("BITCOUNT s"), 26);
    expect_int(cmd("BITCOUNT s 0 0"), 4);
    expect_int(cmd("BITCOUNT s 1 1"), 6);
    expect_int(cmd("BITCOUNT s 1 1 BYTE"), 6);
    expect_int(cmd("BITCOUNT s 5 30 BIT"), 17);
    expect_int(cmd("BITCOUNT s 5 30 bit"), 17);
    expect_int(cmd("BITCOUNT s 0 -1"), 26);
    expect_int(cmd("BITCOUNT s -2 -1"), 7); /* "ar": 3 + 4 */
    expect_int(cmd("BITCOUNT s -100 100"), 26);
    expect_int(cmd("BITCOUNT s 2 1"), 0);
    expect_int(cmd("BITCOUNT s 6 100"), 0);
    expect_int(cmd("BITCOUNT s -1 -1 BIT"), 0); /* last bit of 'r' (0x72) */
    expect_int(cmd("BITCOUNT s -2 -1 BIT"), 1);
    expect_int(cmd("BITCOUNT s 0 0 BIT"), 0);
    expect_int(cmd("BITCOUNT s 1 1 BIT"), 1);
    expect_int(cmd("BITCOUNT s 0 47 BIT"), 26);
    expect_int(cmd("BITCOUNT s 3 4 BIT"), 0); /* 'f' = 01100110: bits 3,4 = 0,0 */
    /* two negatives with start > end: 0 before the unit is checked */
    expect_int(cmd("BITCOUNT s -1 -2 junk"), 0);
    expect_error(cmd("BITCOUNT s 0 -1 junk"), SYNTAX);
    expect_error(cmd("BITCOUNT s 0"), SYNTAX);
    expect_error(cmd("BITCOUNT s 0 1 BIT x"), SYNTAX);
    expect_error(cmd("BITCOUNT s a 1"), NOT_INT);
    expect_error(cmd("BITCOUNT s 0 1.5"), NOT_INT);
    /* a missing key answers 0 before the arguments are parsed (7.0) */
    expect_int(cmd("BITCOUNT missing"), 0);
    expect_int(cmd("BITCOUNT missing a b"), 0);
    expect_int(cmd("BITCOUNT missing 0"), 0);
    expect_status(cmd("SET e %b", "", (size_t)0), "OK");
    expect_int(cmd("BITCOUNT e"), 0);
    expect_int(cmd("BITCOUNT e 0 -1 BIT"), 0);
    expect_status(cmd("SET n 255"), "OK"); /* int encoding: "255" */
    expect_int(cmd("BITCOUNT n"), 3 + 4 + 4);
    /* long values go through the word loop */
    char *big = malloc(10001);
    memset(big, 0x5a, 10001);
    expect_status(cmd("SET l %b", big, (size_t)10001), "OK");
    expect_int(cmd("BITCOUNT l"), 40004);
    expect_int(cmd("BITCOUNT l 3 9998"), 4 * 9996);
    expect_int(cmd("BITCOUNT l 1 80000 BIT"), 40000); /* 10001 bytes: 80008 bits */
    expect_int(cmd("BITCOUNT l 2 80001 BIT"), 40000);
    expect_int(cmd("BITCOUNT l 1 80007 BIT"), 40004);
    free(big);
    expect_error(cmd("BITCOUNT"), "ERR wrong number of arguments for 'bitcount' command");
}

static void test_bitpos(void **state)
{
    (void)state;
    expect_status(cmd("SET k %b", "\xff\xf0\x00", (size_t)3), "OK");
    expect_int(cmd("BITPOS k 0"), 12);
    expect_status(cmd("SET k %b", "\x00\xff\xf0", (size_t)3), "OK");
    expect_int(cmd("BITPOS k 1 0"), 8);
    expect_int(cmd("BITPOS k 1 2"), 16);
    expect_int(cmd("BITPOS k 1 2 -1 BYTE"), 16);
    expect_int(cmd("BITPOS k 1 7 15 BIT"), 8);
    expect_int(cmd("BITPOS k 1 7 -3 BIT"), 8);
    expect_int(cmd("BITPOS k 0 8 -1 BIT"), 20);
    expect_int(cmd("BITPOS k 1 21 -1 BIT"), -1);
    expect_status(cmd("SET k %b", "\x00\x00\x00", (size_t)3), "OK");
    expect_int(cmd("BITPOS k 1"), -1);
    expect_int(cmd("BITPOS k 0"), 0);
    expect_int(cmd("BITPOS k 0 1"), 8);

    /* no clear bit in range: past the end unless an end was given */
    expect_status(cmd("SET f %b", "\xff\xff\xff", (size_t)3), "OK");
    expect_int(cmd("BITPOS f 0"), 24);
    expect_int(cmd("BITPOS f 0 1"), 24);
    expect_int(cmd("BITPOS f 0 -1"), 24);
    expect_int(cmd("BITPOS f 0 0 -1"), -1);
    expect_int(cmd("BITPOS f 0 0 100"), -1);
    expect_int(cmd("BITPOS f 0 0 23 BIT"), -1);
    expect_int(cmd("BITPOS f 0 3"), -1); /* empty range */
    expect_int(cmd("BITPOS f 1 3"), -1);
    expect_int(cmd("BITPOS f 1 2 1"), -1);
    expect_int(cmd("BITPOS f 1 -100"), 0);
    expect_int(cmd("BITPOS f 1 -1 -1 BIT"), 23);

    /* missing key: an endless run of zeros, whatever the range */
    expect_int(cmd("BITPOS missing 0"), 0);
    expect_int(cmd("BITPOS missing 1"), -1);
    expect_int(cmd("BITPOS missing 0 a b c d"), 0);
    /* empty string: no bits at all */
    expect_status(cmd("SET e %b", "", (size_t)0), "OK");
    expect_int(cmd("BITPOS e 0"), -1);
    expect_int(cmd("BITPOS e 1"), -1);
    /* int encoding: "12" = 0x31 0x32 */
    expect_status(cmd("SET n 12"), "OK");
    expect_int(cmd("BITPOS n 1"), 2);
    expect_int(cmd("BITPOS n 0 1"), 8);

    /* long runs: the word-skipping search */
    unsigned char buf[1000];
    memset(buf, 0, sizeof(buf));
    buf[777] = 0x10;
    expect_status(cmd("SET z %b", buf, sizeof(buf)), "OK");
    expect_int(cmd("BITPOS z 1"), 777 * 8 + 3);
    expect_int(cmd("BITPOS z 1 777"), 777 * 8 + 3);
    expect_int(cmd("BITPOS z 1 778"), -1);
    expect_int(cmd("BITPOS z 1 0 %d BIT", 777 * 8 + 3), 777 * 8 + 3);
    expect_int(cmd("BITPOS z 1 0 %d BIT", 777 * 8 + 2), -1);
    expect_int(cmd("BITPOS z 1 %d -1 BIT", 777 * 8 + 4), -1);
    memset(buf, 0xff, sizeof(buf));
    buf[500] = 0xfe;
    expect_status(cmd("SET o %b", buf, sizeof(buf)), "OK");
    expect_int(cmd("BITPOS o 0"), 500 * 8 + 7);
    expect_int(cmd("BITPOS o 0 501"), 8000);
    expect_int(cmd("BITPOS o 0 501 -1"), -1);
    expect_int(cmd("BITPOS o 0 3 %d BIT", 500 * 8 + 7), 500 * 8 + 7);

    /* errors, in Redis's order: bit, key, start, unit, end */
    expect_error(cmd("BITPOS k 2"), "ERR The bit argument must be 1 or 0.");
    expect_error(cmd("BITPOS missing 2"), "ERR The bit argument must be 1 or 0.");
    expect_error(cmd("BITPOS k a"), NOT_INT);
    expect_error(cmd("BITPOS k 1 a"), NOT_INT);
    expect_error(cmd("BITPOS k 1 0 b"), NOT_INT);
    expect_error(cmd("BITPOS k 1 0 b bits"), SYNTAX);
    expect_error(cmd("BITPOS k 1 0 1 bits"), SYNTAX);
    expect_error(cmd("BITPOS k 1 0 1 BIT x"), SYNTAX);
    expect_error(cmd("BITPOS k"), "ERR wrong number of arguments for 'bitpos' command");
}

static void test_bitop(void **state)
{
    (void)state;
    expect_status(cmd("SET a %b", "\xff\x0f\x00\xaa", (size_t)4), "OK");
    expect_status(cmd("SET b %b", "\xf0\xff", (size_t)2), "OK");
    expect_int(cmd("BITOP AND d a b"), 4);
    expect_bin(cmd("GET d"), "\xf0\x0f\x00\x00", 4);
    expect_int(cmd("BITOP OR d a b"), 4);
    expect_bin(cmd("GET d"), "\xff\xff\x00\xaa", 4);
    expect_int(cmd("BITOP XOR d a b"), 4);
    expect_bin(cmd("GET d"), "\x0f\xf0\x00\xaa", 4);
    expect_int(cmd("BITOP xor d a b b"), 4);
    expect_bin(cmd("GET d"), "\xff\x0f\x00\xaa", 4);
    expect_int(cmd("BITOP NOT d b"), 2);
    expect_bin(cmd("GET d"), "\x0f\x00", 2);
    /* missing keys are zeros */
    expect_int(cmd("BITOP AND d a missing"), 4);
    expect_bin(cmd("GET d"), "\0\0\0\0", 4);
    expect_int(cmd("BITOP OR d missing a"), 4);
    expect_bin(cmd("GET d"), "\xff\x0f\x00\xaa", 4);
    /* int encoding: "12" */
    expect_status(cmd("SET n 12"), "OK");
    expect_int(cmd("BITOP OR d n"), 2);
    expect_bin(cmd("GET d"), "12", 2);
    /* an empty result deletes the destination */
    expect_int(cmd("BITOP OR d missing missing2"), 0);
    expect_int(cmd("EXISTS d"), 0);
    expect_status(cmd("SET e %b", "", (size_t)0), "OK");
    expect_status(cmd("SET d x"), "OK");
    expect_int(cmd("BITOP NOT d e"), 0);
    expect_int(cmd("EXISTS d"), 0);
    /* the destination loses its TTL; the source can be the destination */
    expect_status(cmd("SET d x EX 100"), "OK");
    expect_int(cmd("BITOP NOT d d"), 1);
    expect_bin(cmd("GET d"), "\x87", 1);
    expect_int(cmd("TTL d"), -1);
    /* 1000-byte operands through the word loop */
    unsigned char x[1000], y[600], want[1000];
    for (int i = 0; i < 1000; i++)
        x[i] = (unsigned char)(i * 7 + 3);
    for (int i = 0; i < 600; i++)
        y[i] = (unsigned char)(i * 13 + 5);
    expect_status(cmd("SET x %b", x, sizeof(x)), "OK");
    expect_status(cmd("SET y %b", y, sizeof(y)), "OK");
    for (int i = 0; i < 1000; i++)
        want[i] = i < 600 ? x[i] & y[i] : 0;
    expect_int(cmd("BITOP AND d x y"), 1000);
    expect_bin(cmd("GET d"), want, 1000);
    for (int i = 0; i < 1000; i++)
        want[i] = i < 600 ? x[i] ^ y[i] : x[i];
    expect_int(cmd("BITOP XOR d y x"), 1000);
    expect_bin(cmd("GET d"), want, 1000);
    /* errors */
    expect_error(cmd("BITOP NOT d a b"), "ERR BITOP NOT must be called with a single source key.");
    expect_error(cmd("BITOP NAND d a"), SYNTAX);
    expect_error(cmd("BITOP AND d"), "ERR wrong number of arguments for 'bitop' command");
}

static void test_bitfield_basic(void **state)
{
    (void)state;
    /* a missing key reads as zeros and is not created by GETs */
    {
        long long vals[2] = {0, 0};
        expect_ints(cmd("BITFIELD k GET i8 0 GET u63 100"), 2, vals, NULL);
    }
    expect_int(cmd("EXISTS k"), 0);
    expect_ints(cmd("BITFIELD k"), 0, NULL, NULL);
    expect_ints(cmd("BITFIELD k OVERFLOW SAT"), 0, NULL, NULL);
    expect_int(cmd("EXISTS k"), 0);
    {
        /* SET replies the old value, INCRBY the new one */
        long long vals[5] = {0, 100, 101, 101, 1};
        expect_ints(cmd("BITFIELD k SET u8 0 100 GET u8 0 INCRBY u8 0 1 GET i8 0 INCRBY i4 0 -5"),
                    5, vals, NULL);
    }
    expect_bin(cmd("GET k"), "\x15", 1); /* 0x65, high nibble 6 - 5 = 1: 0x15 */
    /* # offsets multiply by the width */
    expect_one(cmd("BITFIELD k SET u8 #2 255"), 0);
    expect_bin(cmd("GET k"), "\x15\x00\xff", 3);
    expect_one(cmd("BITFIELD k GET u4 #5"), 15);
    expect_one(cmd("BITFIELD k GET i4 #5"), -1);
    expect_one(cmd("BITFIELD k GET u16 #1"), 0xff00);
    /* unaligned, across bytes, past the end */
    expect_one(cmd("BITFIELD k GET u12 4"), 0x500);
    expect_one(cmd("BITFIELD k GET u16 20"), 0xf000);
    expect_one(cmd("BITFIELD k GET i64 0"), (long long)0x1500ff0000000000LL);
    expect_one(cmd("BITFIELD k GET u1 23"), 1);
    expect_one(cmd("BITFIELD k GET u1 24"), 0);
    expect_status(cmd("SET x %b", "\x12\x34\x56\x78\x9a\xbc\xde\xf0\x11", (size_t)9), "OK");
    expect_one(cmd("BITFIELD x GET i64 4"), 0x23456789abcdef01LL);
    expect_one(cmd("BITFIELD x GET u63 1"), 0x123456789abcdef0LL & 0x7fffffffffffffffLL);
    expect_one(cmd("BITFIELD x GET u33 40"), 0x179bde022LL); /* 32 bits, then one past the end */
    /* int-encoded values */
    expect_status(cmd("SET n 255"), "OK");
    expect_one(cmd("BITFIELD n GET u8 0"), '2');
    expect_one(cmd("BITFIELD n SET u8 0 65"), '2');
    expect_bin(cmd("GET n"), "A55", 3);
    /* BITFIELD_RO */
    expect_one(cmd("BITFIELD_RO n GET u8 #1"), '5');
    expect_ints(cmd("BITFIELD_RO n"), 0, NULL, NULL);
    expect_error(cmd("BITFIELD_RO n SET u8 0 1"),
                 "ERR BITFIELD_RO only supports the GET subcommand");
    expect_error(cmd("BITFIELD_RO n GET u8 0 INCRBY u8 0 1"),
                 "ERR BITFIELD_RO only supports the GET subcommand");
    expect_error(cmd("BITFIELD_RO n GET u8 0 INCRBY u8 0 x"), NOT_INT);
    /* errors: type, offset, value; missing arguments; unknown words */
    const char *bad_types[] = {"i0", "u0", "i65", "u64", "I8", "x8", "i", "", "i-1", "ii8"};
    for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++)
        expect_error(cmd("BITFIELD k GET %s 0", bad_types[i]), TYPE_ERR);
    const char *bad_offs[] = {"-1", "a", "#", "#-1", "##1", "#a", "4294967296", "#536870912"};
    for (size_t i = 0; i < sizeof(bad_offs) / sizeof(bad_offs[0]); i++)
        expect_error(cmd("BITFIELD k GET u8 %s", bad_offs[i]), OFFSET_ERR);
    expect_error(cmd("BITFIELD k SET u8 0 a"), NOT_INT);
    expect_error(cmd("BITFIELD k INCRBY u8 0 9223372036854775808"), NOT_INT);
    expect_error(cmd("BITFIELD k GET u8"), SYNTAX);
    expect_error(cmd("BITFIELD k SET u8 0"), SYNTAX);
    expect_error(cmd("BITFIELD k FOO u8 0"), SYNTAX);
    expect_error(cmd("BITFIELD k OVERFLOW"), SYNTAX);
    expect_error(cmd("BITFIELD k OVERFLOW BAD"), "ERR Invalid OVERFLOW type specified");
    expect_error(cmd("BITFIELD k GET u8 a SET x"), OFFSET_ERR);
    expect_error(cmd("BITFIELD"), "ERR wrong number of arguments for 'bitfield' command");
    expect_error(cmd("BITFIELD_RO"), "ERR wrong number of arguments for 'bitfield_ro' command");
}

/* WRAP, SAT and FAIL at the edges of signed and unsigned types. */
static void test_bitfield_overflow(void **state)
{
    (void)state;
    const long long MAX = 9223372036854775807LL, MIN = -MAX - 1;
    /* i8 */
    expect_one(cmd("BITFIELD k SET i8 0 127"), 0);
    expect_one(cmd("BITFIELD k INCRBY i8 0 1"), -128); /* WRAP is the default */
    expect_one(cmd("BITFIELD k INCRBY i8 0 -1"), 127);
    expect_one(cmd("BITFIELD k OVERFLOW SAT INCRBY i8 0 1"), 127);
    expect_one(cmd("BITFIELD k OVERFLOW SAT INCRBY i8 0 -1000"), -128);
    expect_one_nil(cmd("BITFIELD k OVERFLOW FAIL INCRBY i8 0 -1"));
    expect_one(cmd("BITFIELD k GET i8 0"), -128);
    expect_one(cmd("BITFIELD k SET i8 0 200"), -128);
    expect_one(cmd("BITFIELD k GET i8 0"), -56); /* 200 wrapped */
    expect_one(cmd("BITFIELD k OVERFLOW SAT SET i8 0 200"), -56);
    expect_one(cmd("BITFIELD k GET i8 0"), 127);
    expect_one(cmd("BITFIELD k OVERFLOW SAT SET i8 0 -200"), 127);
    expect_one(cmd("BITFIELD k GET i8 0"), -128);
    expect_one_nil(cmd("BITFIELD k OVERFLOW FAIL SET i8 0 128"));
    expect_one(cmd("BITFIELD k GET i8 0"), -128);
    /* Redis quirk: a value near INT64_MIN counts as overflowing upwards */
    expect_one(cmd("BITFIELD k OVERFLOW SAT SET i8 0 %lld", MIN), -128);
    expect_one(cmd("BITFIELD k GET i8 0"), 127);
    /* u8 */
    expect_one(cmd("BITFIELD u SET u8 0 255"), 0);
    expect_one(cmd("BITFIELD u INCRBY u8 0 1"), 0);
    expect_one(cmd("BITFIELD u INCRBY u8 0 -1"), 255);
    expect_one(cmd("BITFIELD u OVERFLOW SAT INCRBY u8 0 10"), 255);
    expect_one(cmd("BITFIELD u OVERFLOW SAT INCRBY u8 0 -300"), 0);
    expect_one_nil(cmd("BITFIELD u OVERFLOW FAIL INCRBY u8 0 -1"));
    expect_one(cmd("BITFIELD u OVERFLOW FAIL INCRBY u8 0 255"), 255);
    expect_one(cmd("BITFIELD u SET u8 0 -1"), 255); /* wraps to 255 */
    expect_one(cmd("BITFIELD u OVERFLOW SAT SET u8 0 -1"), 255);
    expect_one(cmd("BITFIELD u GET u8 0"), 255); /* negative SET saturates upwards */
    expect_one(cmd("BITFIELD u SET u8 0 256"), 255);
    expect_one(cmd("BITFIELD u GET u8 0"), 0);
    /* i1 and u1 */
    expect_one(cmd("BITFIELD b SET i1 0 1"), 0);
    expect_one(cmd("BITFIELD b GET i1 0"), -1);
    expect_one(cmd("BITFIELD b OVERFLOW SAT INCRBY i1 0 5"), 0);
    expect_one(cmd("BITFIELD b OVERFLOW SAT INCRBY i1 0 -5"), -1);
    expect_one(cmd("BITFIELD b INCRBY u1 0 3"), 0);
    expect_one(cmd("BITFIELD b OVERFLOW SAT INCRBY u1 0 3"), 1);
    /* i64 */
    expect_one(cmd("BITFIELD w SET i64 0 %lld", MAX), 0);
    expect_one(cmd("BITFIELD w INCRBY i64 0 1"), MIN);
    expect_one(cmd("BITFIELD w OVERFLOW SAT INCRBY i64 0 -1"), MIN);
    expect_one(cmd("BITFIELD w OVERFLOW SAT INCRBY i64 0 %lld", MAX), -1);
    expect_one(cmd("BITFIELD w OVERFLOW SAT INCRBY i64 0 %lld", MIN), MIN);
    expect_one_nil(cmd("BITFIELD w OVERFLOW FAIL INCRBY i64 0 -1"));
    expect_one(cmd("BITFIELD w OVERFLOW FAIL SET i64 0 %lld", MAX), MIN);
    expect_one(cmd("BITFIELD w OVERFLOW SAT INCRBY i64 0 %lld", MAX), MAX);
    /* u63 */
    expect_one(cmd("BITFIELD v SET u63 1 %lld", MAX), 0);
    expect_one(cmd("BITFIELD v GET u63 1"), MAX);
    expect_one(cmd("BITFIELD v INCRBY u63 1 1"), 0);
    expect_one(cmd("BITFIELD v OVERFLOW SAT INCRBY u63 1 -1"), 0);
    expect_one(cmd("BITFIELD v OVERFLOW SAT INCRBY u63 1 %lld", MAX), MAX);
    expect_one(cmd("BITFIELD v OVERFLOW SAT INCRBY u63 1 1"), MAX);
    expect_one_nil(cmd("BITFIELD v OVERFLOW FAIL INCRBY u63 1 1"));
    expect_one(cmd("BITFIELD v OVERFLOW SAT SET u63 1 -1"), MAX);
    expect_one(cmd("BITFIELD v SET u63 1 -1"), MAX); /* -1 wraps to 2^63-1 */
    expect_one(cmd("BITFIELD v GET u63 1"), MAX);
    /* OVERFLOW applies to the ops after it, and can change in between */
    {
        long long vals[6] = {0, 4, 255, 0, 0, 0};
        int nils[6] = {0, 0, 0, 1, 0, 0};
        expect_ints(cmd("BITFIELD o SET u8 0 250 INCRBY u8 0 10 OVERFLOW SAT INCRBY u8 0 300 "
                        "OVERFLOW FAIL INCRBY u8 0 1 OVERFLOW WRAP INCRBY u8 0 1 GET u8 0"),
                    6, vals, nils);
    }
    /* every write refused: the key is created all the same */
    expect_one_nil(cmd("BITFIELD f OVERFLOW FAIL SET u2 100 7"));
    expect_int(cmd("STRLEN f"), 13);
}

static void test_wrongtype(void **state)
{
    (void)state;
    if (!make_other_type("l"))
        skip();
    const char *cmds[] = {"SETBIT l 1 1",
                          "GETBIT l 1",
                          "BITCOUNT l",
                          "BITCOUNT l a b",
                          "BITPOS l 1",
                          "BITPOS l 0 a",
                          "BITOP OR d l",
                          "BITOP NOT d l",
                          "BITOP AND d missing l",
                          "BITFIELD l",
                          "BITFIELD l GET u8 0",
                          "BITFIELD l SET u8 0 1",
                          "BITFIELD_RO l",
                          "BITFIELD_RO l GET u8 0"};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        expect_error(cmd(cmds[i]), WRONGTYPE);
    /* argument errors that come before the type check */
    expect_error(cmd("SETBIT l -1 1"), OFFSET_ERR);
    expect_error(cmd("SETBIT l 1 2"), BIT_ERR);
    expect_error(cmd("GETBIT l x"), OFFSET_ERR);
    expect_error(cmd("BITPOS l 2"), "ERR The bit argument must be 1 or 0.");
    expect_error(cmd("BITOP NOT d l x"), "ERR BITOP NOT must be called with a single source key.");
    expect_error(cmd("BITFIELD l GET u64 0"), TYPE_ERR);
    expect_error(cmd("BITFIELD_RO l SET u8 0 1"),
                 "ERR BITFIELD_RO only supports the GET subcommand");
    /* the destination of BITOP is replaced whatever its type */
    expect_status(cmd("SET s ab"), "OK");
    expect_int(cmd("BITOP OR l s"), 2);
    expect_bin(cmd("GET l"), "ab", 2);
}

/* A write that changes the key aborts a WATCHing transaction; SETBIT of a
 * bit to the value it already has does not (7.0.15). */
static void test_watch(void **state)
{
    (void)state;
    redisContext *other = harness_connect(&srv);
    assert_non_null(other);
    struct {
        const char *cmd;
        int aborts;
    } cases[] = {
        {"SETBIT w 1 1", 0},
        {"SETBIT w 2 1", 1},
        {"SETBIT w 100 0", 1},
        {"BITFIELD w SET u8 0 64", 0},
        {"BITFIELD w INCRBY u8 0 1", 1},
        {"BITFIELD w OVERFLOW FAIL INCRBY u2 0 9", 0},
        {"BITFIELD w GET u8 0", 0},
        {"BITOP OR w w", 1},
        {"BITCOUNT w", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        expect_int(cmd("DEL w"), i == 0 ? 0 : 1);
        expect_int(cmd("SETBIT w 1 1"), 0); /* "@" */
        expect_status(cmd("WATCH w"), "OK");
        redisReply *r = redisCommand(other, cases[i].cmd);
        assert_non_null(r);
        assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
        freeReplyObject(r);
        expect_status(cmd("MULTI"), "OK");
        expect_status(cmd("PING"), "QUEUED");
        r = cmd("EXEC");
        if (cases[i].aborts) {
            assert_int_equal(r->type, REDIS_REPLY_NIL);
        } else {
            assert_int_equal(r->type, REDIS_REPLY_ARRAY);
            assert_int_equal(r->elements, 1);
        }
        freeReplyObject(r);
    }
    redisFree(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_setbit_getbit, test_setup),
        cmocka_unit_test_setup(test_bit_order, test_setup),
        cmocka_unit_test_setup(test_sparse_64mb, test_setup),
        cmocka_unit_test_setup(test_bitcount, test_setup),
        cmocka_unit_test_setup(test_bitpos, test_setup),
        cmocka_unit_test_setup(test_bitop, test_setup),
        cmocka_unit_test_setup(test_bitfield_basic, test_setup),
        cmocka_unit_test_setup(test_bitfield_overflow, test_setup),
        cmocka_unit_test_setup(test_wrongtype, test_setup),
        cmocka_unit_test_setup(test_watch, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
