/* buf: binary-safe growable byte strings.
 *
 * A buf is a `char *` pointing at the bytes; a small header sits just before
 * them (length, capacity, header kind), so a buf can be handed to any C
 * function that wants a NUL-terminated string, yet may contain NUL bytes.
 * Keys of the keyspace are bufs, so the header is kept small: one byte of
 * length and one of capacity for strings under 256 bytes, wider ones above.
 *
 * Functions that may reallocate return the (possibly moved) buf: always use
 * the return value, as in `b = buf_cat(b, p, n);`.  Allocation failure
 * aborts the process (an in-memory store cannot continue without memory). */
#ifndef KEEL_BUF_H
#define KEEL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

typedef char *buf;

buf buf_new(const void *p, size_t len); /* copy of p[0..len); p may be NULL: zero-filled */
buf buf_new_cap(size_t cap);            /* empty, with room for cap bytes */
buf buf_empty(void);
buf buf_from_cstr(const char *s);
buf buf_from_ll(long long v);
buf buf_dup(const buf b);
void buf_free(buf b); /* NULL is fine */

size_t buf_len(const buf b);
size_t buf_avail(const buf b);      /* free bytes after the end */
size_t buf_alloc_size(const buf b); /* header + capacity + NUL: for memory accounting */

buf buf_grow(buf b, size_t addlen);       /* room for addlen more bytes; greedy below 1 MB */
buf buf_grow_exact(buf b, size_t addlen); /* room for exactly addlen more bytes */
void buf_set_len(buf b, size_t len);      /* after writing into the free space; adds NUL */
void buf_incr_len(buf b, ssize_t incr);   /* same, relative */
buf buf_resize(buf b, size_t len);        /* new length, zero-filling any growth */
buf buf_shrink(buf b);                    /* drop the free space */

buf buf_cat(buf b, const void *p, size_t len);
buf buf_cat_cstr(buf b, const char *s);
buf buf_cat_buf(buf b, const buf other);
buf buf_cat_printf(buf b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
buf buf_cat_vprintf(buf b, const char *fmt, va_list ap);
buf buf_cpy(buf b, const void *p, size_t len);      /* replace the contents */
buf buf_cat_repr(buf b, const void *p, size_t len); /* quoted, escaped: "a\x00b\n" */

/* A buf built inside memory the caller owns (an object that embeds its
 * string): buf_embed_size(len) bytes at mem.  Never buf_free or grow it. */
size_t buf_embed_size(size_t len);
buf buf_embed(void *mem, const void *p, size_t len);

void buf_clear(buf b);                             /* length 0, keeps capacity */
void buf_consume(buf b, size_t n);                 /* drop the first n bytes */
void buf_range(buf b, ssize_t start, ssize_t end); /* keep [start,end], negatives from the end */
void buf_tolower(buf b);
int buf_cmp(const buf a, const buf b); /* memcmp order, shorter first on a tie */
int buf_eq(const buf a, const void *p, size_t len);

#endif
