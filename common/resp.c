/* resp.c: owns the server side of the wire protocol: the incremental,
 * zero-copy request parser (multibulk and inline requests, with Redis 7.0's
 * limits and exact error strings) and the writers that append RESP2/RESP3
 * replies to a buf. */
#include "resp.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define RESP_DEFAULT_MAX_BULK (512LL * 1024 * 1024) /* proto-max-bulk-len */
/* Before AUTH, Redis 7.0 lets through only small requests, so a client
 * that has not authenticated cannot make the server buffer much. */
#define RESP_UNAUTH_MAX_ARGS 10
#define RESP_UNAUTH_MAX_BULK 16384
/* A first argv allocation no bigger than this, whatever the count line
 * claims: "*1000000000" costs nothing until the arguments really arrive. */
#define RESP_ARGV_PREALLOC 1024

/* ------------------------------------------------------------------------ */
/* Parser state                                                              */
/* ------------------------------------------------------------------------ */

void resp_parser_init(resp_parser *p)
{
    memset(p, 0, sizeof(*p));
    p->max_bulk_len = RESP_DEFAULT_MAX_BULK;
    p->max_multibulk_len = RESP_MULTIBULK_MAX;
    p->bulk_len = -1;
}

void resp_parser_free(resp_parser *p)
{
    free(p->argv);
    free(p->arg_off);
    free(p->scratch);
    p->argv = NULL;
    p->arg_off = NULL;
    p->scratch = NULL;
    p->argv_cap = 0;
    p->arg_off_cap = 0;
    p->scratch_cap = 0;
    resp_parser_reset(p);
}

/* Forgets the command in progress; limits, buffers and auth_required stay. */
void resp_parser_reset(resp_parser *p)
{
    p->argc = 0;
    p->inline_cmd = 0;
    p->in_multibulk = 0;
    p->multibulk_left = 0;
    p->bulk_len = -1;
    p->pos = 0;
    p->need = 0;
}

/* Allocation failure aborts, as everywhere in Keel (see buf.h): the memory
 * here is bounded by bytes the client really sent. */
static void *resp_realloc(void *ptr, size_t size)
{
    void *n = realloc(ptr, size);
    if (!n)
        abort();
    return n;
}

/* Room for n arguments in both argv and arg_off (kept the same size). */
static void resp_reserve_args(resp_parser *p, size_t n)
{
    if (n <= (size_t)p->argv_cap && n <= p->arg_off_cap)
        return;
    size_t cap = p->argv_cap > 0 ? (size_t)p->argv_cap : 8;
    while (cap < n)
        cap *= 2;
    if (cap > INT_MAX)
        cap = INT_MAX; /* n never exceeds INT_MAX: see resp_max_args */
    p->argv = resp_realloc(p->argv, cap * sizeof(*p->argv));
    p->arg_off = resp_realloc(p->arg_off, cap * sizeof(*p->arg_off));
    p->argv_cap = (int)cap;
    p->arg_off_cap = cap;
}

static resp_status resp_fail(resp_parser *p, const char *msg, size_t *consumed)
{
    resp_parser_reset(p);
    p->error = msg;
    *consumed = 0;
    return RESP_ERROR;
}

/* Redis formats this one with the offending byte.  A \r or \n would break
 * the reply line, so it becomes a space here, as Redis's error writer does
 * (Redis answers "*1\r\n\r\n" with "expected '$', got ' '"). */
static resp_status resp_fail_expected(resp_parser *p, char got, size_t *consumed)
{
    static const char prefix[] = "Protocol error: expected '$', got '";
    size_t n = sizeof(prefix) - 1;
    memcpy(p->errbuf, prefix, n);
    p->errbuf[n++] = (got == '\r' || got == '\n') ? ' ' : got;
    p->errbuf[n++] = '\'';
    p->errbuf[n] = '\0';
    return resp_fail(p, p->errbuf, consumed);
}

/* A command is done: hand it out and get ready for the next one. */
static resp_status resp_done(resp_parser *p, size_t end, size_t *consumed)
{
    int argc = p->argc, inl = p->inline_cmd;
    resp_parser_reset(p);
    p->argc = argc;
    p->inline_cmd = inl;
    *consumed = end;
    return RESP_OK;
}

/* argc is an int, so never more than INT_MAX arguments whatever the limit. */
static long long resp_max_args(const resp_parser *p)
{
    return p->max_multibulk_len < INT_MAX ? p->max_multibulk_len : INT_MAX;
}

/* ------------------------------------------------------------------------ */
/* Multibulk requests                                                        */
/* ------------------------------------------------------------------------ */

/* Finds the '\r' ending the header line that starts at `start`, scanning
 * only bytes not scanned before (p->pos), so a slow client sending a long
 * line byte by byte costs linear time.  Like Redis, the byte after '\r' must
 * be present but is not checked (Redis skips it unread: "*1\rX$4..." is a
 * valid PING there too).  Returns the '\r' offset, or SIZE_MAX when the
 * line is incomplete; *too_big then says whether the limit is hit. */
static size_t resp_find_cr(resp_parser *p, const char *data, size_t len, size_t start, int *too_big)
{
    *too_big = 0;
    if (p->pos < start)
        p->pos = start;
    const char *cr = memchr(data + p->pos, '\r', len - p->pos);
    if (!cr) {
        /* Redis counts everything buffered from the line start. */
        if (len - start > RESP_INLINE_MAX)
            *too_big = 1;
        p->pos = len;
        return SIZE_MAX;
    }
    size_t at = (size_t)(cr - data);
    if (at + 2 > len) {
        p->pos = at; /* rescan from the '\r' once its partner arrives */
        return SIZE_MAX;
    }
    return at;
}

static resp_status resp_parse_multibulk(resp_parser *p, const char *data, size_t len,
                                        size_t *consumed)
{
    int too_big;
    long long ll;

    if (!p->in_multibulk) {
        /* The count line, "*<n>\r\n", at offset 0. */
        size_t cr = resp_find_cr(p, data, len, 0, &too_big);
        if (cr == SIZE_MAX) {
            if (too_big)
                return resp_fail(p, "Protocol error: too big mbulk count string", consumed);
            *consumed = 0;
            return RESP_INCOMPLETE;
        }
        if (!util_str2ll(data + 1, cr - 1, &ll) || ll > resp_max_args(p))
            return resp_fail(p, "Protocol error: invalid multibulk length", consumed);
        if (ll > RESP_UNAUTH_MAX_ARGS && p->auth_required)
            return resp_fail(p, "Protocol error: unauthenticated multibulk length", consumed);
        /* "*0" and any negative count are empty commands, as in Redis. */
        if (ll <= 0)
            return resp_done(p, cr + 2, consumed);

        resp_reserve_args(p, (size_t)(ll < RESP_ARGV_PREALLOC ? ll : RESP_ARGV_PREALLOC));
        p->in_multibulk = 1;
        p->multibulk_left = ll;
        p->bulk_len = -1;
        p->pos = cr + 2;
        p->arg_off[0] = p->pos; /* where the first "$<len>" line starts */
    }

    while (p->multibulk_left > 0) {
        size_t start = p->arg_off[p->argc];
        if (p->bulk_len == -1) {
            /* A "$<len>\r\n" line at `start`.  While it is incomplete,
             * arg_off[argc] holds its start and pos how far we scanned. */
            size_t cr = resp_find_cr(p, data, len, start, &too_big);
            if (cr == SIZE_MAX) {
                /* Redis checks the size before the '$': 70000 bytes of
                 * garbage without a '\r' is "too big", not "expected". */
                if (too_big)
                    return resp_fail(p, "Protocol error: too big bulk count string", consumed);
                *consumed = 0;
                return RESP_INCOMPLETE;
            }
            if (data[start] != '$')
                return resp_fail_expected(p, data[start], consumed);
            if (!util_str2ll(data + start + 1, cr - start - 1, &ll) || ll < 0 ||
                ll > p->max_bulk_len)
                return resp_fail(p, "Protocol error: invalid bulk length", consumed);
            if (ll > RESP_UNAUTH_MAX_BULK && p->auth_required)
                return resp_fail(p, "Protocol error: unauthenticated bulk length", consumed);
            p->bulk_len = ll;
            start = cr + 2;
            p->arg_off[p->argc] = start; /* from now on: where the body starts */
            p->pos = start;
        }

        /* The body and its trailing two bytes, which Redis skips unread. */
        unsigned long long want = (unsigned long long)p->bulk_len + 2;
        unsigned long long have = len - start;
        if (have < want) {
            /* Tell the caller how much more to read, so a big value lands
             * in a buffer reserved once instead of grown chunk by chunk. */
            p->need = (size_t)(want - have);
            *consumed = 0;
            return RESP_INCOMPLETE;
        }
        p->argv[p->argc].len = (size_t)p->bulk_len;
        p->argc++;
        p->multibulk_left--;
        p->pos = start + (size_t)want;
        p->bulk_len = -1;
        if (p->multibulk_left > 0) {
            resp_reserve_args(p, (size_t)p->argc + 1);
            p->arg_off[p->argc] = p->pos;
        }
    }

    /* Only now turn offsets into pointers: the caller's buffer may have
     * moved between calls, but it stays put until the next one. */
    for (int i = 0; i < p->argc; i++)
        p->argv[i].ptr = data + p->arg_off[i];
    return resp_done(p, p->pos, consumed);
}

/* ------------------------------------------------------------------------ */
/* Inline requests                                                           */
/* ------------------------------------------------------------------------ */

/* The blanks Redis skips between inline arguments (C-locale isspace). */
static int resp_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int resp_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One argument being built.  It points into the caller's line for as long
 * as its bytes are a contiguous, unchanged run of the line (the common
 * case: plain words, or one quoted word without escapes); the first byte
 * that breaks this (an escape, or quotes glued to other text) moves it to
 * the scratch buffer.  The scratch is reserved for the whole line first,
 * since no argument is longer than the line, so it never moves mid-way. */
typedef struct resp_token {
    const char *ptr;
    size_t len;
    int in_scratch;
} resp_token;

static void resp_token_to_scratch(resp_parser *p, resp_token *t, size_t *scratch_used)
{
    char *dst = p->scratch + *scratch_used;
    memcpy(dst, t->ptr, t->len);
    t->ptr = dst;
    t->in_scratch = 1;
}

/* Appends line[at], unchanged. */
static void resp_token_raw(resp_parser *p, resp_token *t, const char *line, size_t at,
                           size_t *scratch_used)
{
    if (!t->in_scratch) {
        if (t->len == 0)
            t->ptr = line + at;
        if (t->ptr + t->len == line + at) {
            t->len++;
            return;
        }
        resp_token_to_scratch(p, t, scratch_used);
    }
    p->scratch[*scratch_used + t->len++] = line[at];
}

/* Appends a byte that is not in the line as such (an unescaped one). */
static void resp_token_byte(resp_parser *p, resp_token *t, char c, size_t *scratch_used)
{
    if (!t->in_scratch)
        resp_token_to_scratch(p, t, scratch_used);
    p->scratch[*scratch_used + t->len++] = c;
}

/* Splits an inline line into arguments the way redis-cli quotes them (and
 * Redis's sdssplitargs reads them):
 *   - blanks separate arguments; "" and '' give empty arguments;
 *   - "..." understands \n \r \t \b \a, \xHH, and \<c> for any other c;
 *   - '...' understands only \';
 *   - a closing quote must be followed by a blank or the end of the line;
 *   - quotes may start inside a word: a"b c" is the single argument "ab c".
 * Returns 0 on unbalanced quotes.  Unlike Redis, a NUL byte is an ordinary
 * byte here (Redis never sees a line with a NUL: its strchr stops there). */
static int resp_split_inline(resp_parser *p, const char *line, size_t n)
{
    if (n > p->scratch_cap) {
        p->scratch = resp_realloc(p->scratch, n);
        p->scratch_cap = n;
    }
    size_t used = 0;
    size_t i = 0;
    p->argc = 0;

    for (;;) {
        while (i < n && resp_is_blank(line[i]))
            i++;
        if (i == n)
            return 1;

        resp_token t = {line + i, 0, 0};
        int in_dq = 0, in_sq = 0;
        for (;;) {
            if (in_dq) {
                if (i == n)
                    return 0;
                char c = line[i];
                int hi, lo;
                if (c == '\\' && i + 3 < n && line[i + 1] == 'x' &&
                    (hi = resp_hex_value(line[i + 2])) >= 0 &&
                    (lo = resp_hex_value(line[i + 3])) >= 0) {
                    resp_token_byte(p, &t, (char)(hi * 16 + lo), &used);
                    i += 4;
                } else if (c == '\\' && i + 1 < n) {
                    char e = line[i + 1];
                    switch (e) {
                    case 'n': e = '\n'; break;
                    case 'r': e = '\r'; break;
                    case 't': e = '\t'; break;
                    case 'b': e = '\b'; break;
                    case 'a': e = '\a'; break;
                    default: break;
                    }
                    resp_token_byte(p, &t, e, &used);
                    i += 2;
                } else if (c == '"') {
                    if (i + 1 < n && !resp_is_blank(line[i + 1]))
                        return 0;
                    i++;
                    break;
                } else {
                    resp_token_raw(p, &t, line, i++, &used);
                }
            } else if (in_sq) {
                if (i == n)
                    return 0;
                char c = line[i];
                if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
                    resp_token_byte(p, &t, '\'', &used);
                    i += 2;
                } else if (c == '\'') {
                    if (i + 1 < n && !resp_is_blank(line[i + 1]))
                        return 0;
                    i++;
                    break;
                } else {
                    resp_token_raw(p, &t, line, i++, &used);
                }
            } else {
                if (i == n)
                    break;
                char c = line[i];
                /* Only these end a word: \v and \f are kept inside one
                 * (though skipped between words), as in Redis. */
                if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                    break;
                if (c == '"') {
                    in_dq = 1;
                    i++;
                } else if (c == '\'') {
                    in_sq = 1;
                    i++;
                } else {
                    resp_token_raw(p, &t, line, i++, &used);
                }
            }
        }

        resp_reserve_args(p, (size_t)p->argc + 1);
        p->argv[p->argc].ptr = t.ptr;
        p->argv[p->argc].len = t.len;
        p->argc++;
        if (t.in_scratch)
            used += t.len;
    }
}

static resp_status resp_parse_inline(resp_parser *p, const char *data, size_t len, size_t *consumed)
{
    /* pos: bytes already searched for the newline. */
    const char *nl = memchr(data + p->pos, '\n', len - p->pos);
    if (!nl) {
        if (len > RESP_INLINE_MAX)
            return resp_fail(p, "Protocol error: too big inline request", consumed);
        p->pos = len;
        *consumed = 0;
        return RESP_INCOMPLETE;
    }
    size_t end = (size_t)(nl - data);
    size_t n = end;
    if (n > 0 && data[n - 1] == '\r')
        n--;
    if (!resp_split_inline(p, data, n))
        return resp_fail(p, "Protocol error: unbalanced quotes in request", consumed);
    p->inline_cmd = 1;
    return resp_done(p, end + 1, consumed);
}

resp_status resp_parse(resp_parser *p, const char *data, size_t len, size_t *consumed)
{
    p->need = 0;
    p->error = NULL;
    /* The caller must pass at least the bytes it passed before; if it did
     * not, start the command over rather than read out of bounds. */
    if (p->pos > len)
        resp_parser_reset(p);
    if (!p->in_multibulk && p->pos == 0) {
        p->argc = 0; /* the previous command is no longer valid */
        p->inline_cmd = 0;
    }
    if (len == 0) {
        *consumed = 0;
        return RESP_INCOMPLETE;
    }
    /* Like Redis, the first byte decides: '*' is multibulk, all else inline.
     * It is the same byte on every call for one command. */
    if (data[0] == '*')
        return resp_parse_multibulk(p, data, len, consumed);
    return resp_parse_inline(p, data, len, consumed);
}

/* ------------------------------------------------------------------------ */
/* Reply writers                                                             */
/* ------------------------------------------------------------------------ */

/* Longest header: a type byte, "-9223372036854775808", "\r\n". */
#define RESP_HDR_MAX (1 + LL_STR_SIZE + 2)

/* Writes "<type><n>\r\n" at dst and returns its length.  Digits come from
 * util_ll2str rather than snprintf: every reply has at least one header. */
static size_t resp_hdr(char *dst, char type, long long n)
{
    dst[0] = type;
    size_t len = 1;
    if (n >= 0 && n < 10) {
        dst[len++] = (char)('0' + n); /* the overwhelmingly common case */
    } else {
        len += (size_t)util_ll2str(dst + 1, LL_STR_SIZE, n);
    }
    dst[len++] = '\r';
    dst[len++] = '\n';
    return len;
}

/* Appends a header and optionally a body with its "\r\n", growing b once. */
static buf resp_cat_framed(buf b, char type, long long n, const void *body, size_t body_len,
                           int with_body)
{
    char hdr[RESP_HDR_MAX];
    size_t hlen = resp_hdr(hdr, type, n);
    size_t total = hlen + (with_body ? body_len + 2 : 0);
    size_t old = buf_len(b);
    b = buf_grow(b, total);
    char *w = b + old;
    memcpy(w, hdr, hlen);
    w += hlen;
    if (with_body) {
        if (body_len)
            memcpy(w, body, body_len);
        w[body_len] = '\r';
        w[body_len + 1] = '\n';
    }
    buf_set_len(b, old + total);
    return b;
}

/* Appends "<type><s>\r\n". */
static buf resp_cat_line(buf b, char type, const char *s, size_t len)
{
    size_t old = buf_len(b);
    b = buf_grow(b, len + 3);
    char *w = b + old;
    w[0] = type;
    if (len)
        memcpy(w + 1, s, len);
    w[len + 1] = '\r';
    w[len + 2] = '\n';
    buf_set_len(b, old + len + 3);
    return b;
}

buf resp_add_simple(buf b, const char *s, size_t len)
{
    return resp_cat_line(b, '+', s, len);
}

/* A leading '-' in s is not doubled, so both "ERR x" and "-ERR x" (Redis's
 * spelling for errors with their own code) give "-ERR x\r\n".  \r and \n
 * become spaces: an error is one line, whatever text went into it. */
buf resp_add_error(buf b, const char *s, size_t len)
{
    if (len && s[0] == '-')
        s++, len--;
    size_t old = buf_len(b);
    b = resp_cat_line(b, '-', s, len);
    char *w = b + old + 1;
    for (size_t i = 0; i < len; i++)
        if (w[i] == '\r' || w[i] == '\n')
            w[i] = ' ';
    return b;
}

buf resp_add_int(buf b, long long v)
{
    char hdr[RESP_HDR_MAX];
    return buf_cat(b, hdr, resp_hdr(hdr, ':', v));
}

buf resp_add_bulk(buf b, const void *p, size_t len)
{
    return resp_cat_framed(b, '$', (long long)len, p, len, 1);
}

/* NULL is a null bulk ("$-1"), as Redis's addReplyBulkCString gives. */
buf resp_add_bulk_cstr(buf b, const char *s)
{
    if (!s)
        return resp_add_nil(b, 0);
    return resp_add_bulk(b, s, strlen(s));
}

buf resp_add_bulk_ll(buf b, long long v)
{
    char digits[LL_STR_SIZE];
    int n = util_ll2str(digits, sizeof(digits), v);
    return resp_add_bulk(b, digits, (size_t)n);
}

buf resp_add_nil(buf b, int resp3)
{
    return resp3 ? buf_cat(b, "_\r\n", 3) : buf_cat(b, "$-1\r\n", 5);
}

buf resp_add_nil_array(buf b, int resp3)
{
    return resp3 ? buf_cat(b, "_\r\n", 3) : buf_cat(b, "*-1\r\n", 5);
}

buf resp_add_array_len(buf b, long long n)
{
    return resp_cat_framed(b, '*', n, NULL, 0, 0);
}

buf resp_add_agg_len(buf b, char type, long long n)
{
    return resp_cat_framed(b, type, n, NULL, 0, 0);
}

/* Redis 7.0 prints doubles with %.17g (ZSCORE of 1.1 is
 * "1.1000000000000001"); util_d2str gives the same text, faster for the
 * integers that most scores are.  RESP2 sends it as a bulk string. */
buf resp_add_double(buf b, double v, int resp3)
{
    char d[D_STR_SIZE];
    int n = util_d2str(d, sizeof(d), v);
    if (resp3)
        return resp_cat_line(b, ',', d, (size_t)n);
    return resp_add_bulk(b, d, (size_t)n);
}

buf resp_add_bool(buf b, int v, int resp3)
{
    if (resp3)
        return buf_cat(b, v ? "#t\r\n" : "#f\r\n", 4);
    return buf_cat(b, v ? ":1\r\n" : ":0\r\n", 4);
}

/* RESP3 verbatim strings carry a three-letter format: always "txt" here. */
buf resp_add_verbatim(buf b, const char *p, size_t len, int resp3)
{
    if (!resp3)
        return resp_add_bulk(b, p, len);
    char hdr[RESP_HDR_MAX + 4];
    size_t hlen = resp_hdr(hdr, '=', (long long)len + 4);
    memcpy(hdr + hlen, "txt:", 4);
    hlen += 4;
    size_t old = buf_len(b);
    b = buf_grow(b, hlen + len + 2);
    char *w = b + old;
    memcpy(w, hdr, hlen);
    if (len)
        memcpy(w + hlen, p, len);
    w[hlen + len] = '\r';
    w[hlen + len + 1] = '\n';
    buf_set_len(b, old + hlen + len + 2);
    return b;
}

buf resp_add_command(buf b, int argc, const resp_arg *argv)
{
    size_t total = RESP_HDR_MAX;
    for (int i = 0; i < argc; i++)
        total += RESP_HDR_MAX + argv[i].len + 2;
    b = buf_grow(b, total); /* once, not once per argument */
    b = resp_add_array_len(b, argc);
    for (int i = 0; i < argc; i++)
        b = resp_add_bulk(b, argv[i].ptr, argv[i].len);
    return b;
}
