/* t_list: the list type and its commands: LPUSH/RPUSH(X), LINSERT, LINDEX,
 * LSET, LPOP/RPOP, LRANGE, LLEN, LREM, LTRIM, LPOS, LMOVE/RPOPLPUSH, LMPOP
 * and the blocking forms BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.  A list
 * value is a bare listpack while it fits one node, else a quicklist (see
 * "list values" in quicklist.h).
 *
 * Replies, error strings and the order in which arguments are checked follow
 * Redis 7.0 byte for byte.  Every change signals the key as modified, fires
 * Redis's keyspace event and bumps the dirty counter; a list emptied by a
 * command is deleted with a "del" event.  Blocking commands try to serve at
 * once, else wait in blocking.c, which runs them again from the top when one
 * of their keys becomes a list; once served they propagate as their
 * non-blocking form. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "quicklist.h"
#include "server.h"

/* Elements are stored in listpacks, whose entries are at most 4 GB. */
#define LIST_MAX_ITEM_SIZE ((1ULL << 32) - 1024)

/* ------------------------------------------------------------ the type */

/* o->ptr is a list value (quicklist.h): a bare listpack for a list of one
 * node, else a quicklist.  OBJECT ENCODING says "quicklist" for both, as
 * Redis 7.0 does for every list. */
static void list_free_value(kobj *o)
{
    ql_value_free(o->ptr);
}

static kobj *list_new_object(void *val)
{
    kobj *o = obj_create(OBJ_LIST, val);
    o->encoding = ENC_QUICKLIST;
    return o;
}

static kobj *list_dup(const kobj *o)
{
    return list_new_object(ql_value_dup(o->ptr));
}

static size_t list_length(const kobj *o)
{
    return ql_value_count(o->ptr);
}

static size_t list_mem_usage(const kobj *o)
{
    return ql_value_mem_usage(o->ptr);
}

const obj_type_ops list_type_ops = {list_free_value, list_dup, list_length, list_mem_usage};

/* ------------------------------------------------------------- helpers */

/* Redis compares option words (LEFT, BEFORE, COUNT, ...) as C strings, so
 * an argument counts only up to its first NUL byte. */
static int list_opt_is(const resp_arg *a, const char *word)
{
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t len = nul ? (size_t)(nul - a->ptr) : a->len;
    return len == strlen(word) && strncasecmp(a->ptr, word, len) == 0;
}

/* Replies WRONGTYPE and returns 1 when o exists and is not a list. */
static int list_check_type(client *c, const kobj *o)
{
    if (o && o->type != OBJ_LIST) {
        reply_error_wrongtype(c);
        return 1;
    }
    return 0;
}

/* A blocking command run again because one of its keys became a list or a
 * sorted set: Redis 7.0 serves a waiting list command only from a key that
 * is a list, and leaves it waiting otherwise.  So while re-running, a source
 * key of another type counts as empty instead of failing with WRONGTYPE. */
static int list_skip_wrongtype(const client *c, const kobj *o)
{
    return o && o->type != OBJ_LIST && (c->flags & CLIENT_REPROCESSING);
}

/* LEFT -> QL_HEAD, RIGHT -> QL_TAIL, else a syntax error and 0. */
static int list_get_where(client *c, const resp_arg *a, int *where)
{
    if (list_opt_is(a, "left"))
        *where = QL_HEAD;
    else if (list_opt_is(a, "right"))
        *where = QL_TAIL;
    else {
        reply_error_syntax(c);
        return 0;
    }
    return 1;
}

static int list_check_item_size(client *c, const resp_arg *a)
{
    if ((unsigned long long)a->len > LIST_MAX_ITEM_SIZE) {
        reply_error(c, "ERR Element too large");
        return 0;
    }
    return 1;
}

/* A new, empty list (the empty value is NULL until something is pushed). */
static kobj *list_create(void)
{
    return list_new_object(NULL);
}

/* Open o's value for the ql_* operations; every open is paired with a
 * list_close before anything else may look at o (db_delete frees it). */
static quicklist *list_open(client *c, kobj *o, ql_view *v)
{
    return ql_value_open(o->ptr, v, c->srv->cfg.list_max_listpack_size);
}

static void list_close(kobj *o, quicklist *ql, ql_view *v)
{
    o->ptr = ql_value_close(ql, v);
}

static void list_reply_value(client *c, const lp_entry *v)
{
    if (v->sval)
        reply_bulk(c, v->sval, v->slen);
    else
        reply_bulk_ll(c, v->lval);
}

/* An element copied out of a list (so the list may change under it). */
typedef struct list_value {
    char *ptr;
    size_t len;
    char small[LP_INTBUF_SIZE + 43];
} list_value;

static void list_value_set(list_value *v, const lp_entry *e)
{
    if (!e->sval) {
        v->len = (size_t)util_ll2str(v->small, sizeof(v->small), e->lval);
        v->ptr = v->small;
        return;
    }
    v->len = e->slen;
    v->ptr = e->slen <= sizeof(v->small) ? v->small : malloc(e->slen);
    if (!v->ptr)
        abort();
    memcpy(v->ptr, e->sval, e->slen);
}

static void list_value_free(list_value *v)
{
    if (v->ptr != v->small)
        free(v->ptr);
}

/* The bookkeeping after `count` elements left the list at key from one end:
 * the pop event, the key deleted when empty, WATCH, dirty. */
static void list_elements_removed(client *c, const resp_arg *key, int where, kobj *o,
                                  long long count)
{
    notify_keyspace_event(c->srv, NOTIFY_LIST, where == QL_HEAD ? "lpop" : "rpop", key->ptr,
                          key->len, c->db->id);
    if (ql_value_count(o->ptr) == 0) {
        db_delete(c, c->db, key->ptr, key->len);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
    }
    db_signal_modified(c, c->db, key->ptr, key->len);
    c->srv->stats.dirty += count;
}

/* Reply count elements popped from one end of ql as an array (RPOP's come
 * tail first), removing them. */
static void list_pop_reply(client *c, quicklist *ql, int where, long long count)
{
    reply_array_len(c, count);
    for (long long i = 0; i < count; i++) {
        lp_entry v;
        ql_peek(ql, where, &v);
        list_reply_value(c, &v);
        ql_pop(ql, where);
    }
}

/* Normalize [start, end] against llen as LRANGE/LTRIM do; returns the
 * number of elements in range (0: empty) and sets *first. */
static long long list_range(long long start, long long end, long long llen, long long *first)
{
    if (start < 0)
        start = llen + start;
    if (end < 0)
        end = llen + end;
    if (start < 0)
        start = 0;
    if (start > end || start >= llen)
        return 0;
    if (end >= llen)
        end = llen - 1;
    *first = start;
    return end - start + 1;
}

/* ---------------------------------------------------------------- push */

/* LPUSH/RPUSH and the X forms (xx: only when the list exists). */
static void list_push_generic(client *c, int where, int xx)
{
    const resp_arg *key = &c->argv[1];
    for (int j = 2; j < c->argc; j++)
        if (!list_check_item_size(c, &c->argv[j]))
            return;
    kobj *o = db_lookup_write(c, key);
    if (list_check_type(c, o))
        return;
    int created = 0;
    if (!o) {
        if (xx) {
            reply_int(c, 0);
            return;
        }
        o = list_create();
        created = 1;
    }
    ql_view v;
    quicklist *ql = list_open(c, o, &v);
    for (int j = 2; j < c->argc; j++)
        ql_push(ql, c->argv[j].ptr, c->argv[j].len, where);
    long long len = (long long)ql_count(ql);
    list_close(o, ql, &v);
    if (created)
        db_add(c->db, key->ptr, key->len, o);
    c->srv->stats.dirty += c->argc - 2;
    reply_int(c, len);
    db_signal_modified(c, c->db, key->ptr, key->len);
    notify_keyspace_event(c->srv, NOTIFY_LIST, where == QL_HEAD ? "lpush" : "rpush", key->ptr,
                          key->len, c->db->id);
}

static void lpush_command(client *c)
{
    list_push_generic(c, QL_HEAD, 0);
}
static void rpush_command(client *c)
{
    list_push_generic(c, QL_TAIL, 0);
}
static void lpushx_command(client *c)
{
    list_push_generic(c, QL_HEAD, 1);
}
static void rpushx_command(client *c)
{
    list_push_generic(c, QL_TAIL, 1);
}

/* LINSERT key BEFORE|AFTER pivot element */
static void linsert_command(client *c)
{
    int where;
    if (list_opt_is(&c->argv[2], "after"))
        where = QL_TAIL;
    else if (list_opt_is(&c->argv[2], "before"))
        where = QL_HEAD;
    else {
        reply_error_syntax(c);
        return;
    }
    if (!list_check_item_size(c, &c->argv[4]))
        return;
    const resp_arg *key = &c->argv[1];
    kobj *o = db_lookup_write(c, key);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (list_check_type(c, o))
        return;
    ql_view v;
    quicklist *ql = list_open(c, o, &v);
    ql_iter it;
    ql_entry e;
    int found = 0;
    ql_iter_init(ql, &it, QL_FORWARD);
    while (ql_iter_next(&it, &e)) {
        if (ql_entry_equal(&e, c->argv[3].ptr, c->argv[3].len)) {
            ql_insert(ql, &e, c->argv[4].ptr, c->argv[4].len, where);
            found = 1;
            break;
        }
    }
    long long len = (long long)ql_count(ql);
    list_close(o, ql, &v);
    if (!found) {
        reply_int(c, -1);
        return;
    }
    db_signal_modified(c, c->db, key->ptr, key->len);
    notify_keyspace_event(c->srv, NOTIFY_LIST, "linsert", key->ptr, key->len, c->db->id);
    c->srv->stats.dirty++;
    reply_int(c, len);
}

/* -------------------------------------------------------------- by index */

static void lindex_command(client *c)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_nil(c);
        return;
    }
    if (list_check_type(c, o))
        return;
    long long index;
    if (!arg_get_ll(c, &c->argv[2], &index))
        return;
    ql_view v;
    quicklist *ql = list_open(c, o, &v);
    ql_entry e;
    if (ql_index(ql, index, &e))
        list_reply_value(c, &e.val);
    else
        reply_nil(c);
    list_close(o, ql, &v);
}

static void lset_command(client *c)
{
    const resp_arg *key = &c->argv[1];
    kobj *o = db_lookup_write(c, key);
    if (!o) {
        reply_error(c, "ERR no such key");
        return;
    }
    if (list_check_type(c, o))
        return;
    long long index;
    if (!arg_get_ll(c, &c->argv[2], &index) || !list_check_item_size(c, &c->argv[3]))
        return;
    ql_view v;
    quicklist *ql = list_open(c, o, &v);
    ql_entry e;
    int found = ql_index(ql, index, &e);
    if (found)
        ql_replace(ql, &e, c->argv[3].ptr, c->argv[3].len);
    list_close(o, ql, &v);
    if (!found) {
        reply_error(c, "ERR index out of range");
        return;
    }
    reply_ok(c);
    db_signal_modified(c, c->db, key->ptr, key->len);
    notify_keyspace_event(c->srv, NOTIFY_LIST, "lset", key->ptr, key->len, c->db->id);
    c->srv->stats.dirty++;
}

static void llen_command(client *c)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (list_check_type(c, o))
        return;
    reply_int(c, (long long)ql_value_count(o->ptr));
}

static void lrange_command(client *c)
{
    long long start, end;
    if (!arg_get_ll(c, &c->argv[2], &start) || !arg_get_ll(c, &c->argv[3], &end))
        return;
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_array_len(c, 0);
        return;
    }
    if (list_check_type(c, o))
        return;
    long long first = 0;
    long long n = list_range(start, end, (long long)ql_value_count(o->ptr), &first);
    reply_array_len(c, n);
    if (!n)
        return;
    ql_view v;
    quicklist *ql = list_open(c, o, &v);
    ql_iter it;
    ql_entry e;
    ql_iter_init_at(ql, &it, QL_FORWARD, first);
    for (long long i = 0; i < n && ql_iter_next(&it, &e); i++)
        list_reply_value(c, &e.val);
    list_close(o, ql, &v);
}

static void ltrim_command(client *c)
{
    const resp_arg *key = &c->argv[1];
    long long start, end;
    if (!arg_get_ll(c, &c->argv[2], &start) || !arg_get_ll(c, &c->argv[3], &end))
        return;
    kobj *o = db_lookup_write(c, key);
    if (!o) {
        reply_ok(c);
        return;
    }
    if (list_check_type(c, o))
        return;
    ql_view v;
    quicklist *ql = list_open(c, o, &v);
    long long llen = (long long)ql_count(ql), first = 0;
    long long keep = list_range(start, end, llen, &first);
    long long ltrim = keep ? first : llen;
    long long rtrim = keep ? llen - first - keep : 0;
    ql_del_range(ql, 0, (size_t)ltrim);
    if (rtrim)
        ql_del_range(ql, -rtrim, (size_t)rtrim);
    list_close(o, ql, &v);
    notify_keyspace_event(c->srv, NOTIFY_LIST, "ltrim", key->ptr, key->len, c->db->id);
    if (!o->ptr) {
        db_delete(c, c->db, key->ptr, key->len);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
    }
    db_signal_modified(c, c->db, key->ptr, key->len);
    c->srv->stats.dirty += ltrim + rtrim;
    reply_ok(c);
}

/* LREM key count element: count > 0 from the head, < 0 from the tail,
 * 0 all.  (count = LLONG_MIN removes all from the tail, as in Redis.) */
static void lrem_command(client *c)
{
    const resp_arg *key = &c->argv[1];
    const resp_arg *ele = &c->argv[3];
    long long toremove;
    if (!arg_get_ll(c, &c->argv[2], &toremove))
        return;
    kobj *o = db_lookup_write(c, key);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (list_check_type(c, o))
        return;
    ql_view v;
    quicklist *ql = list_open(c, o, &v);
    int dir = toremove < 0 ? QL_BACKWARD : QL_FORWARD;
    unsigned long long limit =
        toremove < 0 ? 0ULL - (unsigned long long)toremove : (unsigned long long)toremove;
    if (toremove == LLONG_MIN)
        limit = 0;
    long long removed = 0;
    ql_iter it;
    ql_entry e;
    ql_iter_init(ql, &it, dir);
    while (ql_iter_next(&it, &e)) {
        if (ql_entry_equal(&e, ele->ptr, ele->len)) {
            ql_iter_delete(&it, &e);
            removed++;
            if (limit && (unsigned long long)removed == limit)
                break;
        }
    }
    list_close(o, ql, &v);
    if (removed)
        notify_keyspace_event(c->srv, NOTIFY_LIST, "lrem", key->ptr, key->len, c->db->id);
    if (!o->ptr) {
        db_delete(c, c->db, key->ptr, key->len);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
    }
    if (removed)
        db_signal_modified(c, c->db, key->ptr, key->len);
    c->srv->stats.dirty += removed;
    reply_int(c, removed);
}

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
static void lpos_command(client *c)
{
    const resp_arg *ele = &c->argv[2];
    long long rank = 1, count = -1, maxlen = 0;
    for (int j = 3; j < c->argc; j++) {
        int moreargs = j + 1 < c->argc;
        if (moreargs && list_opt_is(&c->argv[j], "rank")) {
            if (!arg_get_ll(c, &c->argv[++j], &rank))
                return;
            if (rank == 0) {
                reply_error(c, "ERR RANK can't be zero: use 1 to start from the first match, 2 "
                               "from the second ... or use negative to start from the end of "
                               "the list");
                return;
            }
        } else if (moreargs && list_opt_is(&c->argv[j], "count")) {
            if (!arg_get_ll_range(c, &c->argv[++j], 0, LLONG_MAX, &count,
                                  "ERR COUNT can't be negative"))
                return;
        } else if (moreargs && list_opt_is(&c->argv[j], "maxlen")) {
            if (!arg_get_ll_range(c, &c->argv[++j], 0, LLONG_MAX, &maxlen,
                                  "ERR MAXLEN can't be negative"))
                return;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    /* A negative rank searches from the tail.  Redis negates it in signed
     * arithmetic, so LLONG_MIN stays negative and every match qualifies. */
    int dir = rank < 0 ? QL_BACKWARD : QL_FORWARD;
    long long need = rank == LLONG_MIN ? 1 : (rank < 0 ? -rank : rank);

    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        if (count != -1)
            reply_array_len(c, 0);
        else
            reply_nil(c);
        return;
    }
    if (list_check_type(c, o))
        return;
    ql_view v;
    quicklist *ql = list_open(c, o, &v);
    long long llen = (long long)ql_count(ql);
    size_t handle = 0;
    if (count != -1)
        handle = reply_defer_len(c);
    long long index = 0, matches = 0, found = -1, emitted = 0;
    ql_iter it;
    ql_entry e;
    ql_iter_init(ql, &it, dir);
    while ((maxlen == 0 || index < maxlen) && ql_iter_next(&it, &e)) {
        if (ql_entry_equal(&e, ele->ptr, ele->len)) {
            matches++;
            if (matches >= need) {
                long long pos = dir == QL_FORWARD ? index : llen - index - 1;
                if (count == -1) {
                    found = pos;
                    break;
                }
                reply_int(c, pos);
                emitted++;
                /* Redis stops at matches - rank + 1 >= count, which with
                 * rank LLONG_MIN overflows and never stops: no limit. */
                if (count && rank != LLONG_MIN && emitted >= count)
                    break;
            }
        }
        index++;
    }
    list_close(o, ql, &v);
    if (count != -1)
        reply_set_deferred_len(c, handle, emitted);
    else if (found != -1)
        reply_int(c, found);
    else
        reply_nil(c);
}

/* ----------------------------------------------------------------- pop */

/* LPOP/RPOP key [count] */
static void list_pop_generic(client *c, int where)
{
    const resp_arg *key = &c->argv[1];
    int hascount = c->argc == 3;
    long long count = 0;
    if (c->argc > 3) {
        reply_error_arity(c);
        return;
    }
    if (hascount && !arg_get_ll_range(c, &c->argv[2], 0, LLONG_MAX, &count,
                                      "ERR value is out of range, must be positive"))
        return;
    kobj *o = db_lookup_write(c, key);
    if (!o) {
        if (hascount)
            reply_nil_array(c);
        else
            reply_nil(c);
        return;
    }
    if (list_check_type(c, o))
        return;
    if (hascount && !count) {
        reply_array_len(c, 0);
        return;
    }
    ql_view v;
    quicklist *ql = list_open(c, o, &v);
    long long n = 1;
    if (!hascount) {
        lp_entry e;
        ql_peek(ql, where, &e);
        list_reply_value(c, &e);
        ql_pop(ql, where);
    } else {
        long long llen = (long long)ql_count(ql);
        n = count > llen ? llen : count;
        list_pop_reply(c, ql, where, n);
    }
    list_close(o, ql, &v);
    list_elements_removed(c, key, where, o, n);
}

static void lpop_command(client *c)
{
    list_pop_generic(c, QL_HEAD);
}
static void rpop_command(client *c)
{
    list_pop_generic(c, QL_TAIL);
}

/* --------------------------------------------------------------- move */

/* Pop from src at `from`, push to dst at `to`, reply the element.  Returns
 * 0 (without replying) when src is empty or missing, 1 otherwise (served,
 * or an error was replied). */
static int list_move(client *c, const resp_arg *src, const resp_arg *dst, int from, int to)
{
    kobj *so = db_lookup_write(c, src);
    if (!so)
        return 0;
    if (list_check_type(c, so))
        return 1;
    kobj *dobj = db_lookup_write(c, dst);
    if (list_check_type(c, dobj))
        return 1;
    ql_view sv;
    quicklist *sql = list_open(c, so, &sv);
    lp_entry e;
    ql_peek(sql, from, &e);
    list_value val;
    list_value_set(&val, &e);
    ql_pop(sql, from);
    if (dobj == so) {
        /* The same list (rotation): the element goes back before it could
         * look empty. */
        ql_push(sql, val.ptr, val.len, to);
        list_close(so, sql, &sv);
    } else {
        list_close(so, sql, &sv);
        int created = 0;
        if (!dobj) {
            dobj = list_create();
            created = 1;
        }
        ql_view dv;
        quicklist *dql = list_open(c, dobj, &dv);
        ql_push(dql, val.ptr, val.len, to);
        list_close(dobj, dql, &dv);
        if (created)
            db_add(c->db, dst->ptr, dst->len, dobj);
    }
    db_signal_modified(c, c->db, dst->ptr, dst->len);
    notify_keyspace_event(c->srv, NOTIFY_LIST, to == QL_HEAD ? "lpush" : "rpush", dst->ptr,
                          dst->len, c->db->id);
    reply_bulk(c, val.ptr, val.len);
    list_value_free(&val);

    notify_keyspace_event(c->srv, NOTIFY_LIST, from == QL_HEAD ? "lpop" : "rpop", src->ptr,
                          src->len, c->db->id);
    if (!so->ptr) {
        db_delete(c, c->db, src->ptr, src->len);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", src->ptr, src->len, c->db->id);
    }
    db_signal_modified(c, c->db, src->ptr, src->len);
    c->srv->stats.dirty++;
    return 1;
}

static void lmove_command(client *c)
{
    int from, to;
    if (!list_get_where(c, &c->argv[3], &from) || !list_get_where(c, &c->argv[4], &to))
        return;
    if (!list_move(c, &c->argv[1], &c->argv[2], from, to))
        reply_nil(c);
}

static void rpoplpush_command(client *c)
{
    if (!list_move(c, &c->argv[1], &c->argv[2], QL_TAIL, QL_HEAD))
        reply_nil(c);
}

/* -------------------------------------------------------------- LMPOP */

/* Pop up to count elements from the first non-empty list among keys and
 * reply [key, [elements]]; propagated as LPOP/RPOP key n.  Returns 0
 * (without replying) when every key is missing or empty, 1 when served or
 * an error was replied. */
static int list_mpop(client *c, const resp_arg *keys, long long numkeys, int where, long long count)
{
    for (long long j = 0; j < numkeys; j++) {
        const resp_arg *key = &keys[j];
        kobj *o = db_lookup_write(c, key);
        if (!o || list_skip_wrongtype(c, o))
            continue;
        if (list_check_type(c, o))
            return 1;
        long long llen = (long long)ql_value_count(o->ptr);
        if (llen == 0)
            continue;
        long long n = count > llen ? llen : count;
        reply_array_len(c, 2);
        reply_bulk(c, key->ptr, key->len);
        ql_view v;
        quicklist *ql = list_open(c, o, &v);
        list_pop_reply(c, ql, where, n);
        list_close(o, ql, &v);
        /* Propagate before the key may be deleted (key points into argv). */
        char nbuf[LL_STR_SIZE];
        size_t nlen = (size_t)util_ll2str(nbuf, sizeof(nbuf), n);
        resp_arg prop[3] = {{where == QL_HEAD ? "LPOP" : "RPOP", 4}, *key, {nbuf, nlen}};
        command_propagate_as(c, 3, prop);
        list_elements_removed(c, key, where, o, n);
        return 1;
    }
    return 0;
}

/* Parse "numkeys key... LEFT|RIGHT [COUNT count]" starting at argv[idx], in
 * Redis's order (numkeys, direction, options).  Returns 0 after replying an
 * error. */
static int list_mpop_parse(client *c, int idx, long long *numkeys, int *where, long long *count)
{
    if (!arg_get_ll_range(c, &c->argv[idx], 1, LLONG_MAX, numkeys,
                          "ERR numkeys should be greater than 0"))
        return 0;
    if (*numkeys > c->argc - idx - 2) { /* no room for the keys and the direction */
        reply_error_syntax(c);
        return 0;
    }
    int where_idx = idx + (int)*numkeys + 1;
    if (!list_get_where(c, &c->argv[where_idx], where))
        return 0;
    *count = -1;
    for (int j = where_idx + 1; j < c->argc; j++) {
        if (*count == -1 && j + 1 < c->argc && list_opt_is(&c->argv[j], "count")) {
            if (!arg_get_ll_range(c, &c->argv[++j], 1, LLONG_MAX, count,
                                  "ERR count should be greater than 0"))
                return 0;
        } else {
            reply_error_syntax(c);
            return 0;
        }
    }
    if (*count == -1)
        *count = 1;
    return 1;
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
static void lmpop_command(client *c)
{
    long long numkeys, count;
    int where;
    if (!list_mpop_parse(c, 1, &numkeys, &where, &count))
        return;
    if (!list_mpop(c, &c->argv[2], numkeys, where, count))
        reply_nil_array(c);
}

/* ----------------------------------------------------------- blocking */

/* BLPOP/BRPOP key [key ...] timeout: the first non-empty list in argument
 * order serves; propagated as LPOP/RPOP key. */
static void list_blocking_pop(client *c, int where)
{
    int64_t timeout;
    if (!blocking_get_timeout(c, &c->argv[c->argc - 1], &timeout))
        return;
    for (int j = 1; j < c->argc - 1; j++) {
        const resp_arg *key = &c->argv[j];
        kobj *o = db_lookup_write(c, key);
        if (!o || list_skip_wrongtype(c, o))
            continue;
        if (list_check_type(c, o))
            return;
        if (ql_value_count(o->ptr) == 0)
            continue;
        ql_view v;
        quicklist *ql = list_open(c, o, &v);
        lp_entry e;
        ql_peek(ql, where, &e);
        reply_array_len(c, 2);
        reply_bulk(c, key->ptr, key->len);
        list_reply_value(c, &e);
        ql_pop(ql, where);
        list_close(o, ql, &v);
        resp_arg prop[2] = {{where == QL_HEAD ? "LPOP" : "RPOP", 4}, *key};
        command_propagate_as(c, 2, prop);
        list_elements_removed(c, key, where, o, 1);
        return;
    }
    blocking_block(c, c->argc - 2, &c->argv[1], timeout, BLOCK_REPLY_NIL_ARRAY);
}

static void blpop_command(client *c)
{
    list_blocking_pop(c, QL_HEAD);
}
static void brpop_command(client *c)
{
    list_blocking_pop(c, QL_TAIL);
}

/* BLMOVE/BRPOPLPUSH.  Redis 7.0 answers a timeout with a null array but,
 * where it cannot block (inside MULTI), with a null bulk: both kept. */
static void list_blocking_move(client *c, int from, int to, int64_t timeout, int is_blmove)
{
    const resp_arg *src = &c->argv[1], *dst = &c->argv[2];
    kobj *so = db_lookup_write(c, src);
    if (list_skip_wrongtype(c, so))
        so = NULL;
    if (list_check_type(c, so))
        return;
    if (so && list_move(c, src, dst, from, to)) {
        if (is_blmove) {
            resp_arg prop[5] = {{"LMOVE", 5}, *src, *dst, c->argv[3], c->argv[4]};
            command_propagate_as(c, 5, prop);
        } else {
            resp_arg prop[3] = {{"RPOPLPUSH", 9}, *src, *dst};
            command_propagate_as(c, 3, prop);
        }
        return;
    }
    if ((c->flags & CLIENT_IN_EXEC) || !c->conn) {
        reply_nil(c);
        return;
    }
    blocking_block(c, 1, src, timeout, BLOCK_REPLY_NIL_ARRAY);
}

static void blmove_command(client *c)
{
    int from, to;
    int64_t timeout;
    if (!list_get_where(c, &c->argv[3], &from) || !list_get_where(c, &c->argv[4], &to) ||
        !blocking_get_timeout(c, &c->argv[5], &timeout))
        return;
    list_blocking_move(c, from, to, timeout, 1);
}

static void brpoplpush_command(client *c)
{
    int64_t timeout;
    if (!blocking_get_timeout(c, &c->argv[3], &timeout))
        return;
    list_blocking_move(c, QL_TAIL, QL_HEAD, timeout, 0);
}

/* BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
static void blmpop_command(client *c)
{
    long long numkeys, count;
    int where;
    int64_t timeout;
    if (!list_mpop_parse(c, 2, &numkeys, &where, &count) ||
        !blocking_get_timeout(c, &c->argv[1], &timeout))
        return;
    if (!list_mpop(c, &c->argv[3], numkeys, where, count))
        blocking_block(c, (int)numkeys, &c->argv[3], timeout, BLOCK_REPLY_NIL_ARRAY);
}

/* ------------------------------------------------------------ the table */

command list_commands[] = {
    {"blmove", blmove_command, 6, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING, 1, 2, 1,
     "list",
     "Pop an element from a list, push it to another list and return it; or block until one is "
     "available",
     "6.2.0"},
    {"blmpop", blmpop_command, -5, CMD_WRITE | CMD_BLOCKING, 0, 0, 0, "list",
     "Pop elements from a list, or block until one is available", "7.0.0"},
    {"blpop", blpop_command, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, 1, -2, 1, "list",
     "Remove and get the first element in a list, or block until one is available", "2.0.0"},
    {"brpop", brpop_command, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, 1, -2, 1, "list",
     "Remove and get the last element in a list, or block until one is available", "2.0.0"},
    {"brpoplpush", brpoplpush_command, 4, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING, 1,
     2, 1, "list",
     "Pop an element from a list, push it to another list and return it; or block until one is "
     "available",
     "2.2.0"},
    {"lindex", lindex_command, 3, CMD_READONLY, 1, 1, 1, "list",
     "Get an element from a list by its index", "1.0.0"},
    {"linsert", linsert_command, 5, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "list",
     "Insert an element before or after another element in a list", "2.2.0"},
    {"llen", llen_command, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "list", "Get the length of a list",
     "1.0.0"},
    {"lmove", lmove_command, 5, CMD_WRITE | CMD_DENYOOM, 1, 2, 1, "list",
     "Pop an element from a list, push it to another list and return it", "6.2.0"},
    {"lmpop", lmpop_command, -4, CMD_WRITE, 0, 0, 0, "list", "Pop elements from a list", "7.0.0"},
    {"lpop", lpop_command, -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "list",
     "Remove and get the first elements in a list", "1.0.0"},
    {"lpos", lpos_command, -3, CMD_READONLY, 1, 1, 1, "list",
     "Return the index of matching elements on a list", "6.0.6"},
    {"lpush", lpush_command, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "list",
     "Prepend one or multiple elements to a list", "1.0.0"},
    {"lpushx", lpushx_command, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "list",
     "Prepend an element to a list, only if the list exists", "2.2.0"},
    {"lrange", lrange_command, 4, CMD_READONLY, 1, 1, 1, "list",
     "Get a range of elements from a list", "1.0.0"},
    {"lrem", lrem_command, 4, CMD_WRITE, 1, 1, 1, "list", "Remove elements from a list", "1.0.0"},
    {"lset", lset_command, 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "list",
     "Set the value of an element in a list by its index", "1.0.0"},
    {"ltrim", ltrim_command, 4, CMD_WRITE, 1, 1, 1, "list", "Trim a list to the specified range",
     "1.0.0"},
    {"rpop", rpop_command, -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "list",
     "Remove and get the last elements in a list", "1.0.0"},
    {"rpoplpush", rpoplpush_command, 3, CMD_WRITE | CMD_DENYOOM, 1, 2, 1, "list",
     "Remove the last element in a list, prepend it to another list and return it", "1.2.0"},
    {"rpush", rpush_command, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "list",
     "Append one or multiple elements to a list", "1.0.0"},
    {"rpushx", rpushx_command, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "list",
     "Append an element to a list, only if the list exists", "2.2.0"},
    {0},
};
