/* t_zset_range: the sorted set commands that work on a range of ranks,
 * scores or members: ZRANGE (BYSCORE/BYLEX/REV/LIMIT/WITHSCORES) and its
 * older forms ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX, ZRANGESTORE,
 * ZCOUNT, ZLEXCOUNT and ZREMRANGEBYRANK/BYSCORE/BYLEX.
 *
 * Every range is first turned into an interval of ranks (O(log N) on a
 * skiplist), which is then walked in the requested direction, so LIMIT
 * offsets cost nothing to skip. */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "zset.h"

enum { ZRANGE_AUTO, ZRANGE_RANK, ZRANGE_SCORE, ZRANGE_LEX };
enum { ZRANGE_DIR_AUTO, ZRANGE_DIR_FWD, ZRANGE_DIR_REV };

/* Option words compare as C strings in Redis: "REV\0x" is REV. */
static int zrange_opt_is(const resp_arg *a, const char *word)
{
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t len = nul ? (size_t)(nul - a->ptr) : a->len;
    return len == strlen(word) && strncasecmp(a->ptr, word, len) == 0;
}

/* ------------------------------------------------------------ emission */

/* Reply ranks lo..hi (ascending, lo <= hi), walking down from hi when
 * reverse.  RESP2 WITHSCORES is flat; RESP3 gives [member, score] pairs. */
static void zrange_reply(client *c, kobj *o, unsigned long lo, unsigned long hi, int reverse,
                         int withscores)
{
    unsigned long n = hi - lo + 1;
    reply_array_len(c, withscores && c->resp == 2 ? (long long)n * 2 : (long long)n);
    zset_iter it;
    zset_iter_at_rank(&it, o, reverse ? hi : lo);
    for (unsigned long i = 0; i < n && zset_iter_valid(&it); i++) {
        size_t len;
        const char *m = zset_iter_member(&it, &len);
        if (withscores && c->resp > 2)
            reply_array_len(c, 2);
        reply_bulk(c, m, len);
        if (withscores)
            reply_double(c, zset_iter_score(&it));
        if (reverse)
            zset_iter_prev(&it);
        else
            zset_iter_next(&it);
    }
}

/* ZRANGESTORE's end: the destination is overwritten (whatever its type,
 * dropping any TTL) or, for an empty result, deleted. */
static void zrange_store(client *c, const resp_arg *dst, kobj *src, int have, unsigned long lo,
                         unsigned long hi)
{
    if (!have) {
        reply_int(c, 0);
        if (db_delete(c, c->db, dst->ptr, dst->len)) {
            db_signal_modified(c, c->db, dst->ptr, dst->len);
            notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", dst->ptr, dst->len, c->db->id);
            c->srv->stats.dirty++;
        }
        return;
    }
    unsigned long n = hi - lo + 1;
    kobj *o = zset_new_sized(c->srv, n, 0);
    zset_iter it;
    zset_iter_at_rank(&it, src, lo);
    for (unsigned long i = 0; i < n && zset_iter_valid(&it); i++, zset_iter_next(&it)) {
        size_t len;
        const char *m = zset_iter_member(&it, &len);
        zset_append_sorted(c->srv, o, zset_iter_score(&it), m, len);
    }
    db_set(c, c->db, dst->ptr, dst->len, o, 0);
    db_signal_modified(c, c->db, dst->ptr, dst->len);
    reply_int(c, (long long)n);
    notify_keyspace_event(c->srv, NOTIFY_ZSET, "zrangestore", dst->ptr, dst->len, c->db->id);
    c->srv->stats.dirty++;
}

/* Apply LIMIT offset count to the interval [first,last] walked forward
 * (or backward when reverse).  A negative offset or a zero count empties
 * the range, a negative count means all (Redis's loops behave so). */
static int zrange_apply_limit(unsigned long *first, unsigned long *last, int reverse,
                              long long offset, long long limit)
{
    unsigned long avail = *last - *first + 1;
    if (offset < 0 || limit == 0 || (unsigned long long)offset >= avail)
        return 0;
    unsigned long n = avail - (unsigned long)offset;
    if (limit > 0 && (unsigned long long)limit < n)
        n = (unsigned long)limit;
    if (!reverse) {
        *first += (unsigned long)offset;
        *last = *first + n - 1;
    } else {
        *last -= (unsigned long)offset;
        *first = *last - n + 1;
    }
    return 1;
}

/* ------------------------------------------------------------------ ZRANGE */

/* The one implementation behind ZRANGE, ZRANGESTORE, ZREVRANGE and the
 * BYSCORE/BYLEX commands.  argc_start is the source key's index; dst is
 * ZRANGESTORE's destination or NULL.  rangetype/direction are AUTO when the
 * options may choose them (ZRANGE, ZRANGESTORE), fixed for the older
 * commands, which is what makes "ZRANGEBYSCORE k 0 1 REV" a syntax error.
 * Options are checked in Redis's order: the option words, then conflicts,
 * then the range, then the key. */
static void zrange_generic(client *c, int argc_start, const resp_arg *dst, int rangetype,
                           int direction)
{
    const resp_arg *key = &c->argv[argc_start];
    int minidx = argc_start + 1, maxidx = argc_start + 2;
    long long opt_start = 0, opt_end = 0, opt_offset = 0, opt_limit = -1;
    int withscores = 0;

    for (int j = argc_start + 3; j < c->argc; j++) {
        int left = c->argc - j - 1;
        const resp_arg *a = &c->argv[j];
        if (!dst && zrange_opt_is(a, "withscores")) {
            withscores = 1;
        } else if (zrange_opt_is(a, "limit") && left >= 2) {
            if (!arg_get_ll(c, &c->argv[j + 1], &opt_offset) ||
                !arg_get_ll(c, &c->argv[j + 2], &opt_limit))
                return;
            j += 2;
        } else if (direction == ZRANGE_DIR_AUTO && zrange_opt_is(a, "rev")) {
            direction = ZRANGE_DIR_REV;
        } else if (rangetype == ZRANGE_AUTO && zrange_opt_is(a, "bylex")) {
            rangetype = ZRANGE_LEX;
        } else if (rangetype == ZRANGE_AUTO && zrange_opt_is(a, "byscore")) {
            rangetype = ZRANGE_SCORE;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (direction == ZRANGE_DIR_AUTO)
        direction = ZRANGE_DIR_FWD;
    if (rangetype == ZRANGE_AUTO)
        rangetype = ZRANGE_RANK;
    int reverse = direction == ZRANGE_DIR_REV;

    if (opt_limit != -1 && rangetype == ZRANGE_RANK) {
        reply_error(c, "ERR syntax error, LIMIT is only supported in combination with either "
                       "BYSCORE or BYLEX");
        return;
    }
    if (withscores && rangetype == ZRANGE_LEX) {
        reply_error(c, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    if (reverse && rangetype != ZRANGE_RANK) {
        /* Reverse ranges are given as max, min. */
        int t = minidx;
        minidx = maxidx;
        maxidx = t;
    }

    zscore_range sr;
    zlex_range lr;
    switch (rangetype) {
    case ZRANGE_RANK:
        if (!arg_get_ll(c, &c->argv[minidx], &opt_start) ||
            !arg_get_ll(c, &c->argv[maxidx], &opt_end))
            return;
        break;
    case ZRANGE_SCORE:
        if (!zscore_range_parse(&c->argv[minidx], &c->argv[maxidx], &sr)) {
            reply_error(c, "ERR min or max is not a float");
            return;
        }
        break;
    default:
        if (!zlex_range_parse(&c->argv[minidx], &c->argv[maxidx], &lr)) {
            reply_error(c, "ERR min or max not valid string range item");
            return;
        }
        break;
    }

    kobj *o = db_lookup_read(c, key);
    if (!o) {
        if (dst)
            zrange_store(c, dst, NULL, 0, 0, 0);
        else
            reply_array_len(c, 0);
        return;
    }
    if (o->type != OBJ_ZSET) {
        reply_error_wrongtype(c);
        return;
    }

    unsigned long first = 0, last = 0;
    int have;
    if (rangetype == ZRANGE_RANK) {
        long long llen = (long long)zset_length(o);
        long long start = opt_start, end = opt_end;
        if (start < 0)
            start = llen + start;
        if (end < 0)
            end = llen + end;
        if (start < 0)
            start = 0;
        have = !(start > end || start >= llen);
        if (have) {
            if (end >= llen)
                end = llen - 1;
            if (reverse) {
                first = (unsigned long)(llen - 1 - end);
                last = (unsigned long)(llen - 1 - start);
            } else {
                first = (unsigned long)start;
                last = (unsigned long)end;
            }
        }
    } else {
        if (rangetype == ZRANGE_SCORE)
            have = zset_score_span(o, &sr, reverse, &first, &last);
        else
            have = zset_lex_span(o, &lr, reverse, &first, &last);
        if (have)
            have = zrange_apply_limit(&first, &last, reverse, opt_offset, opt_limit);
    }

    if (dst) {
        zrange_store(c, dst, o, have, first, last);
        return;
    }
    if (!have) {
        reply_array_len(c, 0);
        return;
    }
    zrange_reply(c, o, first, last, reverse, withscores);
}

void zrange_command(client *c)
{
    zrange_generic(c, 1, NULL, ZRANGE_AUTO, ZRANGE_DIR_AUTO);
}

void zrangestore_command(client *c)
{
    zrange_generic(c, 2, &c->argv[1], ZRANGE_AUTO, ZRANGE_DIR_AUTO);
}

void zrevrange_command(client *c)
{
    zrange_generic(c, 1, NULL, ZRANGE_RANK, ZRANGE_DIR_REV);
}

void zrangebyscore_command(client *c)
{
    zrange_generic(c, 1, NULL, ZRANGE_SCORE, ZRANGE_DIR_FWD);
}

void zrevrangebyscore_command(client *c)
{
    zrange_generic(c, 1, NULL, ZRANGE_SCORE, ZRANGE_DIR_REV);
}

void zrangebylex_command(client *c)
{
    zrange_generic(c, 1, NULL, ZRANGE_LEX, ZRANGE_DIR_FWD);
}

void zrevrangebylex_command(client *c)
{
    zrange_generic(c, 1, NULL, ZRANGE_LEX, ZRANGE_DIR_REV);
}

/* ---------------------------------------------------------------- counts */

void zcount_command(client *c)
{
    zscore_range r;
    if (!zscore_range_parse(&c->argv[2], &c->argv[3], &r)) {
        reply_error(c, "ERR min or max is not a float");
        return;
    }
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (o->type != OBJ_ZSET) {
        reply_error_wrongtype(c);
        return;
    }
    unsigned long first, last;
    reply_int(c, zset_score_span(o, &r, 0, &first, &last) ? (long long)(last - first + 1) : 0);
}

void zlexcount_command(client *c)
{
    zlex_range r;
    if (!zlex_range_parse(&c->argv[2], &c->argv[3], &r)) {
        reply_error(c, "ERR min or max not valid string range item");
        return;
    }
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (o->type != OBJ_ZSET) {
        reply_error_wrongtype(c);
        return;
    }
    unsigned long first, last;
    reply_int(c, zset_lex_span(o, &r, 0, &first, &last) ? (long long)(last - first + 1) : 0);
}

/* ------------------------------------------------------------ ZREMRANGE* */

static void zremrange_generic(client *c, int rangetype)
{
    static const char *const events[] = {NULL, "zremrangebyrank", "zremrangebyscore",
                                         "zremrangebylex"};
    const resp_arg *key = &c->argv[1];
    long long start = 0, end = 0;
    zscore_range sr;
    zlex_range lr;
    if (rangetype == ZRANGE_RANK) {
        if (!arg_get_ll(c, &c->argv[2], &start) || !arg_get_ll(c, &c->argv[3], &end))
            return;
    } else if (rangetype == ZRANGE_SCORE) {
        if (!zscore_range_parse(&c->argv[2], &c->argv[3], &sr)) {
            reply_error(c, "ERR min or max is not a float");
            return;
        }
    } else if (!zlex_range_parse(&c->argv[2], &c->argv[3], &lr)) {
        reply_error(c, "ERR min or max not valid string range item");
        return;
    }
    kobj *o = db_lookup_write(c, key);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (o->type != OBJ_ZSET) {
        reply_error_wrongtype(c);
        return;
    }
    unsigned long first = 0, last = 0;
    int have;
    if (rangetype == ZRANGE_RANK) {
        long long llen = (long long)zset_length(o);
        if (start < 0)
            start = llen + start;
        if (end < 0)
            end = llen + end;
        if (start < 0)
            start = 0;
        if (start > end || start >= llen) {
            reply_int(c, 0);
            return;
        }
        if (end >= llen)
            end = llen - 1;
        first = (unsigned long)start;
        last = (unsigned long)end;
        have = 1;
    } else if (rangetype == ZRANGE_SCORE) {
        have = zset_score_span(o, &sr, 0, &first, &last);
    } else {
        have = zset_lex_span(o, &lr, 0, &first, &last);
    }
    unsigned long deleted = have ? zset_delete_rank_range(o, first, last) : 0;
    if (deleted) {
        int keyremoved = zset_length(o) == 0;
        if (keyremoved)
            db_delete(c, c->db, key->ptr, key->len);
        db_signal_modified(c, c->db, key->ptr, key->len);
        notify_keyspace_event(c->srv, NOTIFY_ZSET, events[rangetype], key->ptr, key->len,
                              c->db->id);
        if (keyremoved)
            notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
    }
    c->srv->stats.dirty += (long long)deleted;
    reply_int(c, (long long)deleted);
}

void zremrangebyrank_command(client *c)
{
    zremrange_generic(c, ZRANGE_RANK);
}

void zremrangebyscore_command(client *c)
{
    zremrange_generic(c, ZRANGE_SCORE);
}

void zremrangebylex_command(client *c)
{
    zremrange_generic(c, ZRANGE_LEX);
}
