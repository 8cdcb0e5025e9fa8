/* bitops: the bitmap commands, which treat a string value as an array of
 * bits (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO) and
 * their command table.
 *
 * Bit order is Redis's: bit 0 is the most significant bit of byte 0, so the
 * string "\x80" has bit 0 set.  A missing key reads as an endless run of zero
 * bits; writes grow the string with zero bytes.  Replies, error strings and
 * the order in which arguments are checked follow Redis 7.0.15 byte for byte
 * (several commands look the key up before validating the rest of their
 * arguments, and that order is visible to clients). */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"

/* ------------------------------------------------------------- helpers */

/* Redis compares option words (BIT, BYTE, AND, OVERFLOW, ...) as C strings,
 * so an argument counts only up to its first NUL byte. */
static int bitops_opt_is(const resp_arg *a, const char *word)
{
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t len = nul ? (size_t)(nul - a->ptr) : a->len;
    return len == strlen(word) && strncasecmp(a->ptr, word, len) == 0;
}

/* Replies WRONGTYPE and returns 1 when o exists and is not a string. */
static int bitops_check_type(client *c, const kobj *o)
{
    if (o && o->type != OBJ_STRING) {
        reply_error_wrongtype(c);
        return 1;
    }
    return 0;
}

/* Parse a bit offset.  With hash set (BITFIELD), "#N" means N * bits.  The
 * offset must be >= 0 and address a byte below proto-max-bulk-len (512 MB by
 * default, so bit offsets up to 2^32-1).  The multiplication wraps as it does
 * in Redis (#2^61 of u8 is offset 0), hence the unsigned arithmetic.  Returns
 * 1 with *out set, or replies the error and returns 0. */
static int bitops_get_offset(client *c, const resp_arg *a, int hash, int bits, uint64_t *out)
{
    const char *p = a->ptr;
    size_t len = a->len;
    int usehash = hash && bits > 0 && len > 0 && p[0] == '#';
    long long v;
    if (!util_str2ll(p + usehash, len - (size_t)usehash, &v)) {
        reply_error(c, "ERR bit offset is not an integer or out of range");
        return 0;
    }
    if (usehash)
        v = (long long)((unsigned long long)v * (unsigned long long)bits);
    if (v < 0 || (v >> 3) >= c->srv->cfg.proto_max_bulk_len) {
        reply_error(c, "ERR bit offset is not an integer or out of range");
        return 0;
    }
    *out = (uint64_t)v;
    return 1;
}

/* Parse a BITFIELD type: i1..i64 or u1..u63 (lower-case letter only; the
 * width is read up to the first NUL byte, as Redis's strlen does). */
static int bitops_get_type(client *c, const resp_arg *a, int *sign, int *bits)
{
    const char *p = a->ptr;
    long long v;
    int ok = a->len > 0 && (p[0] == 'i' || p[0] == 'u');
    if (ok) {
        const char *nul = memchr(p + 1, '\0', a->len - 1);
        size_t n = nul ? (size_t)(nul - (p + 1)) : a->len - 1;
        *sign = p[0] == 'i';
        ok = util_str2ll(p + 1, n, &v) && v >= 1 && v <= (*sign ? 64 : 63);
    }
    if (!ok) {
        reply_error(c, "ERR Invalid bitfield type. Use something like i16 u8. "
                       "Note that u64 is not supported but i64 is.");
        return 0;
    }
    *bits = (int)v;
    return 1;
}

/* Look the key up for a write reaching bit maxbit: create a zero-filled
 * string of maxbit/8+1 bytes when missing, else unshare it, make it a raw buf
 * and grow it with zero bytes to that length.  *created_or_grown tells
 * whether the value changed merely by being looked up (SETBIT then counts as
 * a change even when the bit itself already had the value).  Returns the
 * object (its ptr is the buf to modify), or NULL after replying WRONGTYPE. */
static kobj *bitops_lookup_for_write(client *c, const resp_arg *key, uint64_t maxbit,
                                     int *created_or_grown)
{
    size_t need = (size_t)(maxbit >> 3) + 1;
    kobj *o = db_lookup_write(c, key);
    if (bitops_check_type(c, o))
        return NULL;
    *created_or_grown = 0;
    if (!o) {
        o = obj_create_from_buf(buf_new(NULL, need));
        db_add(c->db, key->ptr, key->len, o);
        *created_or_grown = 1;
        return o;
    }
    if (o->refcount != 1) {
        kobj *copy = obj_dup_string(o);
        db_overwrite(c->db, key->ptr, key->len, copy);
        o = copy;
    }
    obj_string_make_raw(o);
    if (buf_len(o->ptr) < need) {
        o->ptr = buf_resize(o->ptr, need);
        *created_or_grown = 1;
    }
    return o;
}

/* The bookkeeping after a write: WATCH hook, keyspace event, dirty. */
static void bitops_changed(client *c, const resp_arg *key, const char *event, long long changes)
{
    db_signal_modified(c, c->db, key->ptr, key->len);
    notify_keyspace_event(c->srv, NOTIFY_STRING, event, key->ptr, key->len, c->db->id);
    c->srv->stats.dirty += changes;
}

/* ------------------------------------------------------- bit scanning */

/* Unaligned native-order load of 8 bytes. */
static inline uint64_t bitops_load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

/* Set bits in the n bytes at p: byte by byte up to a word boundary, then
 * four 64-bit words per round with the hardware popcount. */
static long long bitops_popcount(const unsigned char *p, size_t n)
{
    long long count = 0;
    while (n > 0 && ((uintptr_t)p & 7)) {
        count += __builtin_popcount(*p++);
        n--;
    }
    while (n >= 32) {
        count += __builtin_popcountll(bitops_load64(p)) +
                 __builtin_popcountll(bitops_load64(p + 8)) +
                 __builtin_popcountll(bitops_load64(p + 16)) +
                 __builtin_popcountll(bitops_load64(p + 24));
        p += 32;
        n -= 32;
    }
    while (n >= 8) {
        count += __builtin_popcountll(bitops_load64(p));
        p += 8;
        n -= 8;
    }
    while (n > 0) {
        count += __builtin_popcount(*p++);
        n--;
    }
    return count;
}

/* Index of the first byte in p[0..n) that is not `skip` (0x00 when looking
 * for a set bit, 0xff for a clear one), or n.  Whole 64-bit words equal to
 * the skipped pattern are passed over in one comparison. */
static size_t bitops_skip_bytes(const unsigned char *p, size_t n, unsigned char skip)
{
    size_t i = 0;
    uint64_t skipword = skip ? UINT64_MAX : 0;
    while (i < n && ((uintptr_t)(p + i) & 7)) {
        if (p[i] != skip)
            return i;
        i++;
    }
    while (i + 8 <= n && bitops_load64(p + i) == skipword)
        i += 8;
    while (i < n && p[i] == skip)
        i++;
    return i;
}

/* Position of the first bit equal to `bit` among bits [from, to] (inclusive)
 * of p, counted from bit 0 = MSB of p[0]; -1 if there is none.  Both ends
 * must lie inside the string. */
static long long bitops_find_bit(const unsigned char *p, uint64_t from, uint64_t to, int bit)
{
    uint64_t fb = from >> 3, lb = to >> 3;
    unsigned char flip = bit ? 0 : 0xff; /* search for set bits in b ^ flip */
    for (uint64_t i = fb; i <= lb;) {
        unsigned char b = p[i] ^ flip;
        if (i == fb)
            b &= (unsigned char)(0xff >> (from & 7));
        if (i == lb)
            b &= (unsigned char)(0xff << (7 - (to & 7)));
        if (b)
            return (long long)(i * 8 + (uint64_t)(__builtin_clz(b) - 24));
        i++;
        if (i < lb) /* jump over the whole bytes before the last one */
            i += bitops_skip_bytes(p + i, (size_t)(lb - i), flip);
    }
    return -1;
}

/* Read bits [offset, offset+bits) MSB first as an unsigned number; bits past
 * the len bytes of p read as zero. */
static uint64_t bitops_read_field(const unsigned char *p, size_t len, uint64_t offset, int bits)
{
    uint64_t v = 0;
    for (int i = 0; i < bits; i++, offset++) {
        uint64_t byte = offset >> 3;
        unsigned bitval = byte < len ? (p[byte] >> (7 - (offset & 7))) & 1u : 0u;
        v = (v << 1) | bitval;
    }
    return v;
}

/* Write the low `bits` bits of v at [offset, offset+bits), MSB first; the
 * string must already be long enough. */
static void bitops_write_field(unsigned char *p, uint64_t offset, int bits, uint64_t v)
{
    for (int i = bits - 1; i >= 0; i--, offset++) {
        unsigned char mask = (unsigned char)(0x80u >> (offset & 7));
        if ((v >> i) & 1)
            p[offset >> 3] |= mask;
        else
            p[offset >> 3] &= (unsigned char)~mask;
    }
}

/* ------------------------------------------------------ SETBIT, GETBIT */

/* SETBIT key offset 0|1: replies the bit's previous value.  The offset is
 * checked before the bit value, both before the key's type.  Only a real
 * change (new key, grown string, flipped bit) counts as a write, as in
 * 7.0.15: setting a bit to the value it has fires no event. */
static void setbit_command(client *c)
{
    const resp_arg *key = &c->argv[1];
    uint64_t offset;
    long long on;
    if (!bitops_get_offset(c, &c->argv[2], 0, 0, &offset))
        return;
    if (!util_str2ll(c->argv[3].ptr, c->argv[3].len, &on) || (on & ~1LL)) {
        reply_error(c, "ERR bit is not an integer or out of range");
        return;
    }
    int grown;
    kobj *o = bitops_lookup_for_write(c, key, offset, &grown);
    if (!o)
        return;
    unsigned char *p = (unsigned char *)o->ptr;
    unsigned char mask = (unsigned char)(0x80u >> (offset & 7));
    int old = (p[offset >> 3] & mask) != 0;
    if (grown || old != on) {
        if (on)
            p[offset >> 3] |= mask;
        else
            p[offset >> 3] &= (unsigned char)~mask;
        bitops_changed(c, key, "setbit", 1);
    }
    reply_int(c, old);
}

/* GETBIT key offset: 0 for a missing key or a bit past the end. */
static void getbit_command(client *c)
{
    uint64_t offset;
    if (!bitops_get_offset(c, &c->argv[2], 0, 0, &offset))
        return;
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (bitops_check_type(c, o))
        return;
    int bitval = 0;
    if (o) {
        char tmp[LL_STR_SIZE];
        size_t len;
        const unsigned char *p = (const unsigned char *)obj_string_view(o, tmp, &len);
        if ((offset >> 3) < len)
            bitval = (p[offset >> 3] >> (7 - (offset & 7))) & 1;
    }
    reply_int(c, bitval);
}

/* ------------------------------------------------------ BITCOUNT, BITPOS */

/* Turn [*start, *end] (negative = from the end of a total-long string) into
 * a range clamped into the string, as Redis 7.0 does: negatives count from
 * the end, then both are clamped at 0 and end at total-1.  The result may be
 * empty (start > end). */
static void bitops_clamp_range(long long total, long long *start, long long *end)
{
    if (*start < 0)
        *start = total + *start;
    if (*end < 0)
        *end = total + *end;
    if (*start < 0)
        *start = 0;
    if (*end < 0)
        *end = 0;
    if (*end >= total)
        *end = total - 1;
}

/* BITCOUNT key [start end [BYTE|BIT]].  Redis 7.0 looks the key up first: a
 * missing key answers 0 whatever the other arguments, a wrong type answers
 * WRONGTYPE; then start and end are parsed, two negatives with start > end
 * answer 0 before the unit word is even looked at. */
static void bitcount_command(client *c)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (bitops_check_type(c, o))
        return;
    char tmp[LL_STR_SIZE];
    size_t slen;
    const unsigned char *p = (const unsigned char *)obj_string_view(o, tmp, &slen);

    long long start, end;
    int isbit = 0;
    if (c->argc == 4 || c->argc == 5) {
        if (!arg_get_ll(c, &c->argv[2], &start) || !arg_get_ll(c, &c->argv[3], &end))
            return;
        if (start < 0 && end < 0 && start > end) {
            reply_int(c, 0);
            return;
        }
        if (c->argc == 5) {
            if (bitops_opt_is(&c->argv[4], "bit")) {
                isbit = 1;
            } else if (!bitops_opt_is(&c->argv[4], "byte")) {
                reply_error_syntax(c);
                return;
            }
        }
        long long total = isbit ? (long long)slen * 8 : (long long)slen;
        bitops_clamp_range(total, &start, &end);
    } else if (c->argc == 2) {
        start = 0;
        end = (long long)slen - 1;
    } else {
        reply_error_syntax(c);
        return;
    }
    if (start > end) {
        reply_int(c, 0);
        return;
    }
    if (!isbit) {
        reply_int(c, bitops_popcount(p + start, (size_t)(end - start + 1)));
        return;
    }
    /* Bit range: count the whole bytes, then drop the bits of the edge
     * bytes that lie outside [start, end]. */
    long long sb = start >> 3, eb = end >> 3;
    long long count = bitops_popcount(p + sb, (size_t)(eb - sb + 1));
    unsigned char head = (unsigned char)(p[sb] & ~(0xffu >> (start & 7)));
    unsigned char tail = (unsigned char)(p[eb] & (0xffu >> ((end & 7) + 1)));
    count -= __builtin_popcount(head) + __builtin_popcount(tail);
    reply_int(c, count);
}

/* BITPOS key bit [start [end [BYTE|BIT]]]: the first bit equal to `bit`.
 *
 * The bit argument is validated first, then a missing key answers at once
 * (an endless run of zeros: 0 for a clear bit, -1 for a set one), then the
 * type, then start, the unit word and end, in that order.  When no clear
 * bit exists in the range, the answer depends on whether the caller gave an
 * end: without one the string is taken as zero-padded to the right, so the
 * answer is the first bit after the range; with one it is -1.  An empty
 * range is -1. */
static void bitpos_command(client *c)
{
    long long bit;
    if (!arg_get_ll(c, &c->argv[2], &bit))
        return;
    if (bit != 0 && bit != 1) {
        reply_error(c, "ERR The bit argument must be 1 or 0.");
        return;
    }
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_int(c, bit ? -1 : 0);
        return;
    }
    if (bitops_check_type(c, o))
        return;
    char tmp[LL_STR_SIZE];
    size_t slen;
    const unsigned char *p = (const unsigned char *)obj_string_view(o, tmp, &slen);

    long long start, end;
    int isbit = 0, end_given = 0;
    if (c->argc >= 4 && c->argc <= 6) {
        if (!arg_get_ll(c, &c->argv[3], &start))
            return;
        if (c->argc == 6) {
            if (bitops_opt_is(&c->argv[5], "bit")) {
                isbit = 1;
            } else if (!bitops_opt_is(&c->argv[5], "byte")) {
                reply_error_syntax(c);
                return;
            }
        }
        if (c->argc >= 5) {
            if (!arg_get_ll(c, &c->argv[4], &end))
                return;
            end_given = 1;
        } else {
            end = (long long)slen - 1;
        }
        long long total = isbit ? (long long)slen * 8 : (long long)slen;
        bitops_clamp_range(total, &start, &end);
    } else if (c->argc == 3) {
        start = 0;
        end = (long long)slen - 1;
    } else {
        reply_error_syntax(c);
        return;
    }
    if (start > end) {
        reply_int(c, -1);
        return;
    }
    uint64_t from = isbit ? (uint64_t)start : (uint64_t)start * 8;
    uint64_t to = isbit ? (uint64_t)end : (uint64_t)end * 8 + 7;
    long long pos = bitops_find_bit(p, from, to, (int)bit);
    if (pos == -1 && bit == 0 && !end_given)
        pos = (long long)to + 1;
    reply_int(c, pos);
}

/* ---------------------------------------------------------------- BITOP */

enum { BITOP_AND, BITOP_OR, BITOP_XOR, BITOP_NOT };

/* res[0..n) op= src[0..n), a word at a time. */
static void bitops_apply(unsigned char *res, const unsigned char *src, size_t n, int op)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a = bitops_load64(res + i), b = bitops_load64(src + i);
        a = op == BITOP_AND ? a & b : op == BITOP_OR ? a | b : a ^ b;
        memcpy(res + i, &a, sizeof(a));
    }
    for (; i < n; i++)
        res[i] = op == BITOP_AND  ? res[i] & src[i]
                 : op == BITOP_OR ? res[i] | src[i]
                                  : res[i] ^ src[i];
}

/* BITOP AND|OR|XOR|NOT destkey key [key ...]: missing sources are empty
 * strings, shorter ones are zero-padded to the longest; the result (as long
 * as the longest source) replaces destkey with no TTL, or destkey is deleted
 * when every source is empty.  Replies the result's length. */
static void bitop_command(client *c)
{
    const resp_arg *dest = &c->argv[2];
    int op;
    if (bitops_opt_is(&c->argv[1], "and"))
        op = BITOP_AND;
    else if (bitops_opt_is(&c->argv[1], "or"))
        op = BITOP_OR;
    else if (bitops_opt_is(&c->argv[1], "xor"))
        op = BITOP_XOR;
    else if (bitops_opt_is(&c->argv[1], "not"))
        op = BITOP_NOT;
    else {
        reply_error_syntax(c);
        return;
    }
    if (op == BITOP_NOT && c->argc != 4) {
        reply_error(c, "ERR BITOP NOT must be called with a single source key.");
        return;
    }

    /* First every lookup and type check, so that an error changes nothing. */
    int n = c->argc - 3;
    kobj **objs = malloc(sizeof(*objs) * (size_t)n);
    if (!objs)
        abort();
    size_t maxlen = 0;
    for (int j = 0; j < n; j++) {
        objs[j] = db_lookup_read(c, &c->argv[3 + j]);
        if (bitops_check_type(c, objs[j])) {
            free(objs);
            return;
        }
        if (objs[j] && obj_string_len(objs[j]) > maxlen)
            maxlen = obj_string_len(objs[j]);
    }

    if (maxlen > 0) {
        buf res = buf_new(NULL, maxlen); /* zero-filled: the padding */
        unsigned char *r = (unsigned char *)res;
        for (int j = 0; j < n; j++) {
            char tmp[LL_STR_SIZE];
            size_t len = 0;
            const unsigned char *s = NULL;
            if (objs[j])
                s = (const unsigned char *)obj_string_view(objs[j], tmp, &len);
            if (op == BITOP_NOT) {
                for (size_t i = 0; i < len; i++)
                    r[i] = (unsigned char)~s[i];
            } else if (j == 0) {
                if (len)
                    memcpy(r, s, len);
            } else {
                bitops_apply(r, s, len, op);
                if (op == BITOP_AND && len < maxlen)
                    memset(r + len, 0, maxlen - len); /* x & 0 past its end */
            }
        }
        db_set(c, c->db, dest->ptr, dest->len, obj_create_from_buf(res), 0);
        db_signal_modified(c, c->db, dest->ptr, dest->len);
        notify_keyspace_event(c->srv, NOTIFY_STRING, "set", dest->ptr, dest->len, c->db->id);
        c->srv->stats.dirty++;
    } else if (db_delete(c, c->db, dest->ptr, dest->len)) {
        db_signal_modified(c, c->db, dest->ptr, dest->len);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", dest->ptr, dest->len, c->db->id);
        c->srv->stats.dirty++;
    }
    free(objs);
    reply_int(c, (long long)maxlen);
}

/* ------------------------------------------------------------- BITFIELD */

enum { BF_GET, BF_SET, BF_INCRBY };
enum { BF_WRAP, BF_SAT, BF_FAIL };

typedef struct bitops_field_op {
    uint64_t offset;
    long long value; /* SET value or INCRBY increment */
    int opcode, overflow, sign, bits;
} bitops_field_op;

/* Read a field as the op's type wants it: sign-extended for iN. */
static long long bitops_field_value(const bitops_field_op *op, uint64_t raw)
{
    if (op->sign && op->bits < 64 && ((raw >> (op->bits - 1)) & 1))
        raw |= UINT64_MAX << op->bits;
    return (long long)raw;
}

/* The value a SET or INCRBY leaves in a field of the op's type, given the
 * field's current contents `old` (as read, unsigned).  Returns 0 with
 * *stored set, or 1 when FAIL refuses the op.
 *
 * The operation is "value + incr" (INCRBY: the old value plus the increment;
 * SET: the new value plus 0).  Overflow is judged the way Redis 7.0 judges
 * it, by comparing incr with the room left up to the type's maximum and
 * down to its minimum, that room being computed in wrapping 64-bit
 * arithmetic.  For INCRBY this is the exact answer.  For a SET far outside
 * a signed type's range the room wraps, and a value near INT64_MIN counts
 * as an overflow *upwards* (SAT stores the maximum): clients can see that,
 * so Keel computes it the same way.  An unsigned SET takes its value as
 * unsigned, so a negative one also overflows upwards.  WRAP keeps the low
 * bits of the 64-bit sum (sign-extended for signed types), SAT clamps. */
static int bitops_field_update(const bitops_field_op *op, uint64_t old, int64_t *stored)
{
    int bits = op->bits, over = 0;
    uint64_t sum;
    if (op->sign) {
        int64_t max = bits == 64 ? INT64_MAX : (int64_t)((UINT64_C(1) << (bits - 1)) - 1);
        int64_t min = -max - 1;
        int64_t value = op->opcode == BF_INCRBY ? bitops_field_value(op, old) : op->value;
        int64_t incr = op->opcode == BF_INCRBY ? op->value : 0;
        int64_t room_up = (int64_t)((uint64_t)max - (uint64_t)value);
        int64_t room_down = (int64_t)((uint64_t)min - (uint64_t)value);
        if (value > max || (bits != 64 && incr > room_up) ||
            (value >= 0 && incr > 0 && incr > room_up))
            over = 1;
        else if (value < min || (bits != 64 && incr < room_down) ||
                 (value < 0 && incr < 0 && incr < room_down))
            over = -1;
        if (over && op->overflow == BF_SAT) {
            *stored = over > 0 ? max : min;
            return 0;
        }
        sum = (uint64_t)value + (uint64_t)incr;
        if (bits < 64) {
            uint64_t high = UINT64_MAX << bits;
            sum = (sum >> (bits - 1)) & 1 ? sum | high : sum & ~high;
        }
    } else {
        uint64_t max = (UINT64_C(1) << bits) - 1; /* bits <= 63 */
        uint64_t value = op->opcode == BF_INCRBY ? old : (uint64_t)op->value;
        int64_t incr = op->opcode == BF_INCRBY ? op->value : 0;
        int64_t room_up = (int64_t)(max - value), room_down = (int64_t)(0 - value);
        if (value > max || (incr > 0 && incr > room_up))
            over = 1;
        else if (incr < 0 && incr < room_down)
            over = -1;
        if (over && op->overflow == BF_SAT) {
            *stored = over > 0 ? (int64_t)max : 0;
            return 0;
        }
        sum = (value + (uint64_t)incr) & max;
    }
    if (over && op->overflow == BF_FAIL)
        return 1;
    *stored = (int64_t)sum;
    return 0;
}

/* Parse every BITFIELD operation into ops (n returned in *nops).  Each
 * operation checks its type, then its offset, then its value; OVERFLOW
 * applies to the operations after it.  Returns 1, or replies and returns 0. */
static int bitops_field_parse(client *c, bitops_field_op *ops, int *nops, int *readonly,
                              uint64_t *maxbit)
{
    int overflow = BF_WRAP;
    *nops = 0;
    *readonly = 1;
    *maxbit = 0;
    for (int j = 2; j < c->argc; j++) {
        int remargs = c->argc - j - 1;
        const resp_arg *sub = &c->argv[j];
        bitops_field_op op = {0};
        if (bitops_opt_is(sub, "get") && remargs >= 2) {
            op.opcode = BF_GET;
        } else if (bitops_opt_is(sub, "set") && remargs >= 3) {
            op.opcode = BF_SET;
        } else if (bitops_opt_is(sub, "incrby") && remargs >= 3) {
            op.opcode = BF_INCRBY;
        } else if (bitops_opt_is(sub, "overflow") && remargs >= 1) {
            const resp_arg *kind = &c->argv[++j];
            if (bitops_opt_is(kind, "wrap"))
                overflow = BF_WRAP;
            else if (bitops_opt_is(kind, "sat"))
                overflow = BF_SAT;
            else if (bitops_opt_is(kind, "fail"))
                overflow = BF_FAIL;
            else {
                reply_error(c, "ERR Invalid OVERFLOW type specified");
                return 0;
            }
            continue;
        } else {
            reply_error_syntax(c);
            return 0;
        }
        if (!bitops_get_type(c, &c->argv[j + 1], &op.sign, &op.bits))
            return 0;
        if (!bitops_get_offset(c, &c->argv[j + 2], 1, op.bits, &op.offset))
            return 0;
        if (op.opcode != BF_GET) {
            *readonly = 0;
            if (*maxbit < op.offset + (uint64_t)op.bits - 1)
                *maxbit = op.offset + (uint64_t)op.bits - 1;
            if (!arg_get_ll(c, &c->argv[j + 3], &op.value))
                return 0;
        }
        op.overflow = overflow;
        ops[(*nops)++] = op;
        j += op.opcode == BF_GET ? 2 : 3;
    }
    return 1;
}

/* BITFIELD / BITFIELD_RO key [GET type offset] [SET type offset value]
 * [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ...
 *
 * All operations are parsed before anything runs.  Only GETs: the key is
 * read (a missing key reads as zeros).  Any write: BITFIELD_RO refuses, else
 * the string is created or grown to hold the farthest written bit, even if
 * every write then FAILs.  As in 7.0.15, a SET/INCRBY counts as a change
 * (dirty, WATCH, the "setbit" event) only if it is not refused and either
 * the string was created/grown or the field's value differs.  Replies
 * one entry per operation: GET the value, SET the old value, INCRBY the new
 * value, nil for an overflow refused by FAIL. */
static void bitfield_generic(client *c, int ro)
{
    const resp_arg *key = &c->argv[1];
    bitops_field_op *ops = malloc(sizeof(*ops) * (size_t)(c->argc / 2 + 1));
    if (!ops)
        abort();
    int nops, readonly;
    uint64_t maxbit;
    if (!bitops_field_parse(c, ops, &nops, &readonly, &maxbit)) {
        free(ops);
        return;
    }
    kobj *o;
    int grown = 0;
    if (readonly) {
        o = db_lookup_read(c, key);
        if (bitops_check_type(c, o)) {
            free(ops);
            return;
        }
    } else {
        if (ro) {
            reply_error(c, "ERR BITFIELD_RO only supports the GET subcommand");
            free(ops);
            return;
        }
        o = bitops_lookup_for_write(c, key, maxbit, &grown);
        if (!o) {
            free(ops);
            return;
        }
    }

    long long changes = 0;
    reply_array_len(c, nops);
    for (int j = 0; j < nops; j++) {
        const bitops_field_op *op = &ops[j];
        char tmp[LL_STR_SIZE];
        size_t len = 0;
        const unsigned char *p = NULL;
        if (o)
            p = (const unsigned char *)obj_string_view(o, tmp, &len);
        uint64_t raw = bitops_read_field(p, len, op->offset, op->bits);
        if (op->opcode == BF_GET) {
            reply_int(c, bitops_field_value(op, raw));
            continue;
        }
        int64_t stored;
        if (bitops_field_update(op, raw, &stored)) {
            reply_nil(c);
            continue;
        }
        uint64_t mask = op->bits == 64 ? UINT64_MAX : (UINT64_C(1) << op->bits) - 1;
        if (grown || ((uint64_t)stored & mask) != raw)
            changes++;
        bitops_write_field((unsigned char *)o->ptr, op->offset, op->bits, (uint64_t)stored);
        reply_int(c, op->opcode == BF_SET ? bitops_field_value(op, raw) : (long long)stored);
    }
    if (changes)
        bitops_changed(c, key, "setbit", changes);
    free(ops);
}

static void bitfield_command(client *c)
{
    bitfield_generic(c, 0);
}

static void bitfield_ro_command(client *c)
{
    bitfield_generic(c, 1);
}

/* --------------------------------------------------------- command table */

/* Arity, flags and key positions are Redis 7.0's (COMMAND INFO); summaries
 * and versions are its COMMAND DOCS. */
#define BIT_CMD(nm, fn, ar, fl, fk, lk, sum, ver)                                                  \
    {                                                                                              \
        .name = (nm), .proc = (fn), .arity = (ar), .flags = (fl), .first_key = (fk),               \
        .last_key = (lk), .key_step = 1, .group = "bitmap", .summary = (sum), .since = (ver)       \
    }

command bitops_commands[] = {
    BIT_CMD("setbit", setbit_command, 4, CMD_WRITE | CMD_DENYOOM, 1, 1,
            "Sets or clears the bit at offset in the string value stored at key", "2.2.0"),
    BIT_CMD("getbit", getbit_command, 3, CMD_READONLY | CMD_FAST, 1, 1,
            "Returns the bit value at offset in the string value stored at key", "2.2.0"),
    BIT_CMD("bitcount", bitcount_command, -2, CMD_READONLY, 1, 1, "Count set bits in a string",
            "2.6.0"),
    BIT_CMD("bitpos", bitpos_command, -3, CMD_READONLY, 1, 1,
            "Find first bit set or clear in a string", "2.8.7"),
    BIT_CMD("bitop", bitop_command, -4, CMD_WRITE | CMD_DENYOOM, 2, -1,
            "Perform bitwise operations between strings", "2.6.0"),
    BIT_CMD("bitfield", bitfield_command, -2, CMD_WRITE | CMD_DENYOOM, 1, 1,
            "Perform arbitrary bitfield integer operations on strings", "3.2.0"),
    BIT_CMD("bitfield_ro", bitfield_ro_command, -2, CMD_READONLY | CMD_FAST, 1, 1,
            "Perform arbitrary bitfield integer operations on strings. Read-only variant of "
            "BITFIELD",
            "6.0.0"),
    {0},
};
