/* listpack: a compact, contiguous list of strings and integers, byte for
 * byte in Redis 7.0's listpack format (so RDB files can store it as it is).
 *
 * Layout: <total-bytes u32> <num-elements u16> <entry> ... <0xFF>.  Each
 * entry is <encoding+data> <backlen>, where small integers and short strings
 * take one byte of encoding, and backlen (1-5 bytes) lets iteration go
 * backwards.  num-elements saturates at 65535 (then counting walks).
 *
 * Used by small hashes, sorted sets and list nodes.  All functions that
 * change a listpack may move it: use the returned pointer.  Positions `p`
 * point at an entry's first byte; NULL means "no entry". */
#ifndef KEEL_LISTPACK_H
#define KEEL_LISTPACK_H

#include <stddef.h>
#include <stdint.h>

#define LP_BEFORE 0
#define LP_AFTER 1
#define LP_REPLACE 2
#define LP_INTBUF_SIZE 21 /* enough for any int64 as text */

/* One entry, read: a string (sval != NULL, slen bytes) or an integer (lval). */
typedef struct lp_entry {
    const unsigned char *sval;
    uint32_t slen;
    long long lval;
} lp_entry;

unsigned char *lp_new(size_t capacity); /* empty; capacity is a hint */
void lp_free(unsigned char *lp);
size_t lp_bytes(const unsigned char *lp);
unsigned long lp_length(const unsigned char *lp); /* number of entries */

unsigned char *lp_first(unsigned char *lp);
unsigned char *lp_last(unsigned char *lp);
unsigned char *lp_next(unsigned char *lp, unsigned char *p);
unsigned char *lp_prev(unsigned char *lp, unsigned char *p);
unsigned char *lp_seek(unsigned char *lp, long index); /* negative: from the end */

/* Read the entry at p into e. */
void lp_get(const unsigned char *p, lp_entry *e);
/* Read the entry at p as bytes: integers are formatted into buf
 * (LP_INTBUF_SIZE). Returns the bytes and sets *len. */
const unsigned char *lp_get_bytes(const unsigned char *p, unsigned char *buf, uint32_t *len);
/* 1 if the entry at p equals s[0..len) (integers compare by their text). */
int lp_equal(const unsigned char *p, const unsigned char *s, uint32_t len);

/* Strings that look like integers (in range, canonical form) are stored as
 * integers, as Redis does. */
unsigned char *lp_append(unsigned char *lp, const unsigned char *s, uint32_t len);
unsigned char *lp_prepend(unsigned char *lp, const unsigned char *s, uint32_t len);
unsigned char *lp_append_int(unsigned char *lp, long long v);
/* Insert s before/after p, or replace p (where = LP_REPLACE). If newp is
 * not NULL it receives the position of the inserted/replaced entry. */
unsigned char *lp_insert(unsigned char *lp, const unsigned char *s, uint32_t len, unsigned char *p,
                         int where, unsigned char **newp);
unsigned char *lp_replace(unsigned char *lp, unsigned char **p, const unsigned char *s,
                          uint32_t len);
unsigned char *lp_replace_int(unsigned char *lp, unsigned char **p, long long v);
/* Delete the entry at p; *newp (if not NULL) gets the entry that followed
 * it, or NULL at the end. */
unsigned char *lp_delete(unsigned char *lp, unsigned char *p, unsigned char **newp);
unsigned char *lp_delete_range(unsigned char *lp, long index, unsigned long count);
/* Delete count entries starting at *p; *p gets the next entry or NULL. */
unsigned char *lp_delete_range_at(unsigned char *lp, unsigned char **p, unsigned long count);

/* Find the first entry equal to s at or after p, looking only at every
 * (skip+1)-th entry (skip = 1 finds hash fields among field/value pairs).
 * Returns its position or NULL. */
unsigned char *lp_find(unsigned char *lp, unsigned char *p, const unsigned char *s, uint32_t len,
                       unsigned int skip);

/* Check a listpack read from a file: header, every entry's encoding and
 * backlen, terminator; with deep=0 only the header. 1 if valid. */
int lp_validate(const unsigned char *lp, size_t size, int deep);

/* Bytes an entry holding s[0..len) would take (encoding + data + backlen):
 * lets callers decide whether a value still fits a size limit. */
size_t lp_entry_size_for(const unsigned char *s, uint32_t len);
/* Whether s[0..len) would be stored as an integer, and which. */
int lp_string_to_int(const unsigned char *s, size_t len, long long *v);

#endif
