/* lzf: LZF compression and decompression (see lzf.h for the format).
 *
 * The compressor is a greedy single pass: a hash table maps every 3-byte
 * sequence seen so far to its last position; when the bytes at the current
 * position were seen less than 8 KB ago, the match is extended as far as it
 * goes (up to 264 bytes) and emitted as a reference, otherwise the byte joins
 * the current literal run.  The table is sized to the input (at most 16K
 * slots) so short strings do not pay for clearing a big one. */
#include "lzf.h"

#include <stdint.h>
#include <string.h>

#define LZF_MAX_LIT 32              /* bytes in one literal run */
#define LZF_MAX_OFF (1u << 13)      /* farthest reference distance */
#define LZF_MAX_REF (7u + 255u + 2) /* longest reference */
#define LZF_HASH_LOG_MAX 14

static inline uint32_t lzf_hash(const unsigned char *p, unsigned hlog)
{
    uint32_t v = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
    return (v * 2654435761u) >> (32 - hlog);
}

size_t lzf_compress(const void *in, size_t in_len, void *out, size_t out_len)
{
    const unsigned char *ip = in;
    unsigned char *op = out;
    if (in_len == 0 || out_len < 2)
        return 0;

    unsigned hlog = 4;
    while (hlog < LZF_HASH_LOG_MAX && ((size_t)1 << hlog) < in_len)
        hlog++;
    /* Positions are stored +1 so that 0 means "nothing seen". */
    uint32_t htab[1u << LZF_HASH_LOG_MAX];
    memset(htab, 0, sizeof(uint32_t) << hlog);

    size_t i = 0, o = 0, lit = 0;
    size_t lit_ctrl = o++; /* the control byte of the current literal run */
    while (i < in_len) {
        size_t mlen = 0, dist = 0;
        if (i + 2 < in_len) {
            uint32_t h = lzf_hash(ip + i, hlog);
            uint32_t cand = htab[h];
            htab[h] = (uint32_t)i + 1;
            if (cand) {
                size_t ref = cand - 1;
                dist = i - ref;
                if (dist >= 1 && dist <= LZF_MAX_OFF && ip[ref] == ip[i] &&
                    ip[ref + 1] == ip[i + 1] && ip[ref + 2] == ip[i + 2]) {
                    size_t max = in_len - i;
                    if (max > LZF_MAX_REF)
                        max = LZF_MAX_REF;
                    mlen = 3;
                    while (mlen < max && ip[ref + mlen] == ip[i + mlen])
                        mlen++;
                }
            }
        }
        if (mlen) {
            /* Close the literal run (or take back its unused control byte). */
            if (lit)
                op[lit_ctrl] = (unsigned char)(lit - 1);
            else
                o--;
            size_t len = mlen - 2, off = dist - 1;
            if (o + (len < 7 ? 2 : 3) > out_len)
                return 0;
            if (len < 7) {
                op[o++] = (unsigned char)((len << 5) | (off >> 8));
            } else {
                op[o++] = (unsigned char)((7u << 5) | (off >> 8));
                op[o++] = (unsigned char)(len - 7);
            }
            op[o++] = (unsigned char)(off & 0xff);
            /* Remember the positions inside the match too: later data
             * often repeats from them. */
            for (size_t k = i + 1; k < i + mlen && k + 2 < in_len; k++)
                htab[lzf_hash(ip + k, hlog)] = (uint32_t)k + 1;
            i += mlen;
            lit = 0;
            lit_ctrl = o++;
            continue;
        }
        if (o >= out_len)
            return 0;
        op[o++] = ip[i++];
        if (++lit == LZF_MAX_LIT) {
            op[lit_ctrl] = LZF_MAX_LIT - 1;
            lit = 0;
            lit_ctrl = o++;
        }
    }
    if (lit)
        op[lit_ctrl] = (unsigned char)(lit - 1);
    else
        o--;
    return o <= out_len ? o : 0;
}

size_t lzf_decompress(const void *in, size_t in_len, void *out, size_t out_len)
{
    const unsigned char *ip = in, *in_end = ip + in_len;
    unsigned char *op = out, *out_end = op + out_len;
    while (ip < in_end) {
        unsigned ctrl = *ip++;
        if (ctrl < 32) {
            size_t n = (size_t)ctrl + 1;
            if ((size_t)(in_end - ip) < n || (size_t)(out_end - op) < n)
                return 0;
            memcpy(op, ip, n);
            op += n;
            ip += n;
            continue;
        }
        size_t len = ctrl >> 5;
        if (len == 7) {
            if (ip >= in_end)
                return 0;
            len += *ip++;
        }
        if (ip >= in_end)
            return 0;
        size_t back = (((size_t)(ctrl & 0x1f) << 8) | *ip++) + 1;
        len += 2;
        if ((size_t)(op - (unsigned char *)out) < back || (size_t)(out_end - op) < len)
            return 0;
        const unsigned char *ref = op - back;
        if (back >= len) {
            memcpy(op, ref, len);
            op += len;
        } else {
            while (len--) /* overlapping: a run that repeats itself */
                *op++ = *ref++;
        }
    }
    return (size_t)(op - (unsigned char *)out);
}
