/* resp: the RESP request parser and reply writer.
 *
 * The parser is a pure stream parser with no I/O: it is handed the bytes
 * received so far and either returns one complete command, asks for more
 * bytes, or reports a protocol error.  It accepts multibulk requests
 * (`*2\r\n$3\r\nGET\r\n$1\r\na\r\n`) and inline ones (`GET a\r\n`, with
 * quoting as redis-cli writes it).
 *
 * Zero-copy: the arguments of a complete command point into the caller's
 * bytes, which must stay put until the caller is done with the command.
 * Between partial reads the parser remembers offsets, not pointers, so the
 * caller may move or grow its buffer (realloc) between calls, provided the
 * unconsumed bytes are passed again from the same starting byte.
 *
 * Limits are bounded and set by the caller (proto-max-bulk-len, the
 * multibulk count, the inline size); exceeding one is a protocol error with
 * Redis's exact message, after which the connection should be closed. */
#ifndef KEEL_RESP_H
#define KEEL_RESP_H

#include <stddef.h>
#include "buf.h"

#define RESP_INLINE_MAX (64 * 1024)     /* inline request or a count line */
#define RESP_MULTIBULK_MAX 2147483647LL /* INT_MAX, as Redis 7.0 */

typedef enum { RESP_OK, RESP_INCOMPLETE, RESP_ERROR } resp_status;

typedef struct resp_arg {
    const char *ptr;
    size_t len;
} resp_arg;

typedef struct resp_parser {
    /* limits, set by the caller (resp_parser_init sets Redis's defaults) */
    long long max_bulk_len;      /* proto-max-bulk-len: 512 MB */
    long long max_multibulk_len; /* 1024*1024*1024 */

    /* the command, valid after RESP_OK until the next call */
    resp_arg *argv;
    int argc;
    int argv_cap;
    int inline_cmd; /* 1 if the last command was inline */

    /* state between calls: offsets from the start of the command */
    int in_multibulk;
    long long multibulk_left; /* arguments still to read */
    long long bulk_len;       /* -1 until the next $len line is read */
    size_t pos;               /* bytes of the command parsed so far */
    size_t *arg_off;          /* start offset of each argument */
    size_t arg_off_cap;

    /* A hint for the caller: bytes the command still needs at least
     * (so a big bulk can be read into a buffer reserved once). 0 if unknown. */
    size_t need;

    const char *error; /* after RESP_ERROR: "Protocol error: ..." */

    /* Set by the caller while the connection has yet to AUTH: like Redis,
     * the parser then refuses more than 10 arguments or a bulk over 16384
     * bytes ("Protocol error: unauthenticated multibulk/bulk length"). */
    int auth_required;

    /* private to resp.c */
    char *scratch; /* unescaped bytes of quoted inline arguments */
    size_t scratch_cap;
    char errbuf[48]; /* room for "expected '$', got 'X'" */
} resp_parser;

void resp_parser_init(resp_parser *p);
void resp_parser_free(resp_parser *p);
void resp_parser_reset(resp_parser *p); /* forget a partial command */

/* Parse data[0..len), which starts at the first byte of the current command.
 * RESP_OK: p->argv/argc hold the command, *consumed its size in bytes.
 *   An empty inline line or `*0`/`*-1` multibulk yields argc == 0: skip it.
 * RESP_INCOMPLETE: call again with the same bytes plus more; *consumed = 0.
 * RESP_ERROR: p->error says why; the connection should be closed. */
resp_status resp_parse(resp_parser *p, const char *data, size_t len, size_t *consumed);

/* Reply writers: append one RESP2/RESP3 value to b and return the new b. */
buf resp_add_simple(buf b, const char *s, size_t len); /* +s\r\n */
buf resp_add_error(buf b, const char *s, size_t len);  /* -s\r\n; \r and \n replaced by spaces */
buf resp_add_int(buf b, long long v);                  /* :v\r\n */
buf resp_add_bulk(buf b, const void *p, size_t len);   /* $len\r\n...\r\n */
buf resp_add_bulk_cstr(buf b, const char *s);
buf resp_add_bulk_ll(buf b, long long v);
buf resp_add_nil(buf b, int resp3);                  /* $-1 or _ */
buf resp_add_nil_array(buf b, int resp3);            /* *-1 or _ */
buf resp_add_array_len(buf b, long long n);          /* *n\r\n */
buf resp_add_agg_len(buf b, char type, long long n); /* '*', '%' (map), '~' (set), '>' (push) */
buf resp_add_double(buf b, double v, int resp3);     /* bulk string in RESP2, ,v in RESP3 */
buf resp_add_bool(buf b, int v, int resp3);          /* :0/:1 in RESP2, #t/#f in RESP3 */
buf resp_add_verbatim(buf b, const char *p, size_t len,
                      int resp3); /* bulk in RESP2, =txt: in RESP3 */

/* Encode a command as a multibulk request (replication, AOF, tests). */
buf resp_add_command(buf b, int argc, const resp_arg *argv);

#endif
