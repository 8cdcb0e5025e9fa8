/* t_string: the string commands (GET, SET and its family, MSET/MGET,
 * GETSET/GETDEL/GETEX, APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE,
 * INCR/DECR and friends, INCRBYFLOAT, LCS) and their command table.
 *
 * Replies, error strings and argument-parsing order follow Redis 7.0 byte for
 * byte.  Values are binary safe.  Every change signals the key as modified,
 * fires the keyspace event Redis fires, and bumps the dirty counter (which is
 * what the core propagates from). */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"

/* INCRBYFLOAT formats long doubles with "%.17Lf": the largest one needs
 * about 4950 characters; Redis's own buffer is 5 KB. */
#define STRING_LD_BUF 5120

/* ------------------------------------------------------------- helpers */

/* Redis compares option words (NX, KEEPTTL, LEN, ...) as C strings, so an
 * argument counts only up to its first NUL byte: "NX\0junk" is NX.  Keel
 * mirrors that so a request gets the same reply from both servers. */
static int string_opt_is(const resp_arg *a, const char *word)
{
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t len = nul ? (size_t)(nul - a->ptr) : a->len;
    return len == strlen(word) && strncasecmp(a->ptr, word, len) == 0;
}

/* Replies WRONGTYPE and returns 1 when o exists and is not a string. */
static int string_check_type(client *c, const kobj *o)
{
    if (o && o->type != OBJ_STRING) {
        reply_error_wrongtype(c);
        return 1;
    }
    return 0;
}

/* A string may never grow past proto-max-bulk-len (what a client could send
 * in one bulk anyway).  size + append is checked in unsigned arithmetic so
 * that an overflow is caught rather than undefined.  Returns 1 if allowed,
 * else replies the Redis error and returns 0. */
static int string_check_length(client *c, long long size, long long append)
{
    unsigned long long total = (unsigned long long)size + (unsigned long long)append;
    if (total > (unsigned long long)c->srv->cfg.proto_max_bulk_len || total > LLONG_MAX) {
        reply_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return 0;
    }
    return 1;
}

/* Make the string stored at key writable in place (APPEND, SETRANGE): a value
 * shared with someone else is copied and the copy stored under the key; then
 * the value is turned into a private raw buf.  Returns the object now stored
 * under key; its ptr is the buf to modify (store back any moved buf). */
static kobj *string_unshare(client *c, const resp_arg *key, kobj *o)
{
    if (o->refcount != 1) {
        kobj *copy = obj_dup_string(o);
        db_overwrite(c->db, key->ptr, key->len, copy);
        o = copy;
    }
    obj_string_make_raw(o);
    return o;
}

/* The post-change bookkeeping every write does: WATCH/client-side-caching
 * hook, keyspace event, dirty counter. */
static void string_changed(client *c, const resp_arg *key, int type, const char *event)
{
    db_signal_modified(c, c->db, key->ptr, key->len);
    notify_keyspace_event(c->srv, type, event, key->ptr, key->len, c->db->id);
    c->srv->stats.dirty++;
}

/* ------------------------------------------------- SET options and expiry */

enum {
    STR_NX = 1 << 0,
    STR_XX = 1 << 1,
    STR_GET = 1 << 2,
    STR_KEEPTTL = 1 << 3,
    STR_PERSIST = 1 << 4,
    STR_EX = 1 << 5,
    STR_PX = 1 << 6,
    STR_EXAT = 1 << 7,
    STR_PXAT = 1 << 8,
};

/* Parse the options of SET (for_set) or GETEX (!for_set) from argv[first..].
 *
 * The combination rules are Redis 7.0's: NX and XX exclude each other; an
 * expiry (EX/PX/EXAT/PXAT) excludes KEEPTTL, PERSIST and the *other* expiry
 * kinds, but the same kind may repeat (the last value wins); KEEPTTL, NX, XX
 * and GET exist only for SET, PERSIST only for GETEX.  A word that breaks a
 * rule, is unknown, or lacks its value is "ERR syntax error".  The expiry
 * value itself is only validated later, after every option has parsed, which
 * is why `SET k v EX abc NX XX` is a syntax error and not a number error.
 * Returns 1 with *flags and *expire set, or replies and returns 0. */
static int string_parse_options(client *c, int first, int for_set, int *flags,
                                const resp_arg **expire)
{
    *flags = 0;
    *expire = NULL;
    for (int j = first; j < c->argc; j++) {
        const resp_arg *opt = &c->argv[j];
        int has_next = j + 1 < c->argc;
        int f = *flags;

        if (for_set && string_opt_is(opt, "nx") && !(f & STR_XX)) {
            *flags |= STR_NX;
        } else if (for_set && string_opt_is(opt, "xx") && !(f & STR_NX)) {
            *flags |= STR_XX;
        } else if (for_set && string_opt_is(opt, "get")) {
            *flags |= STR_GET;
        } else if (for_set && string_opt_is(opt, "keepttl") &&
                   !(f & (STR_PERSIST | STR_EX | STR_EXAT | STR_PX | STR_PXAT))) {
            *flags |= STR_KEEPTTL;
        } else if (!for_set && string_opt_is(opt, "persist") &&
                   !(f & (STR_KEEPTTL | STR_EX | STR_EXAT | STR_PX | STR_PXAT))) {
            *flags |= STR_PERSIST;
        } else if (string_opt_is(opt, "ex") && has_next &&
                   !(f & (STR_KEEPTTL | STR_PERSIST | STR_EXAT | STR_PX | STR_PXAT))) {
            *flags |= STR_EX;
            *expire = &c->argv[++j];
        } else if (string_opt_is(opt, "px") && has_next &&
                   !(f & (STR_KEEPTTL | STR_PERSIST | STR_EX | STR_EXAT | STR_PXAT))) {
            *flags |= STR_PX;
            *expire = &c->argv[++j];
        } else if (string_opt_is(opt, "exat") && has_next &&
                   !(f & (STR_KEEPTTL | STR_PERSIST | STR_EX | STR_PX | STR_PXAT))) {
            *flags |= STR_EXAT;
            *expire = &c->argv[++j];
        } else if (string_opt_is(opt, "pxat") && has_next &&
                   !(f & (STR_KEEPTTL | STR_PERSIST | STR_EX | STR_EXAT | STR_PX))) {
            *flags |= STR_PXAT;
            *expire = &c->argv[++j];
        } else {
            reply_error_syntax(c);
            return 0;
        }
    }
    return 1;
}

/* Turn an expiry argument into an absolute unix time in milliseconds.
 * flags says the unit (EX/EXAT: seconds) and whether it is relative (EX/PX:
 * the cached server time is added).  As in Redis 7.0: a non-number is "value
 * is not an integer or out of range"; a value <= 0, one that overflows when
 * scaled to milliseconds, or one that overflows when the current time is added
 * is "invalid expire time in '<cmd>' command".  Returns 1, or replies and
 * returns 0. */
static int string_expire_ms(client *c, const resp_arg *arg, int flags, const char *cmdname,
                            long long *out)
{
    long long v;
    if (!arg_get_ll(c, arg, &v))
        return 0;
    int seconds = (flags & (STR_EX | STR_EXAT)) != 0;
    int relative = (flags & (STR_EX | STR_PX)) != 0;
    long long now = c->srv->mstime;
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000))
        goto invalid;
    if (seconds)
        v *= 1000;
    if (relative) {
        if (now > 0 && v > LLONG_MAX - now)
            goto invalid;
        v += now;
    }
    *out = v;
    return 1;
invalid:
    reply_errorf(c, "ERR invalid expire time in '%s' command", cmdname);
    return 0;
}

/* Propagate `CMD key [val] [opt] ms` in place of the command received. */
static void string_propagate_with_time(client *c, const char *cmd, const resp_arg *key,
                                       const resp_arg *val, const char *opt, long long ms)
{
    char num[LL_STR_SIZE];
    int n = util_ll2str(num, sizeof(num), ms);
    resp_arg argv[5];
    int argc = 0;
    argv[argc++] = (resp_arg){cmd, strlen(cmd)};
    argv[argc++] = *key;
    if (val)
        argv[argc++] = *val;
    if (opt)
        argv[argc++] = (resp_arg){opt, strlen(opt)};
    argv[argc++] = (resp_arg){num, (size_t)n};
    command_propagate_as(c, argc, argv);
}

/* Propagate `CMD key` in place of the command received. */
static void string_propagate_key_only(client *c, const char *cmd, const resp_arg *key)
{
    resp_arg argv[2] = {{cmd, strlen(cmd)}, *key};
    command_propagate_as(c, 2, argv);
}

/* ------------------------------------------------------------------- GET */

/* The GET half shared by GET, GETSET, GETDEL and SET ... GET: replies the
 * value or nil.  Returns 0 (after replying WRONGTYPE) when the key holds
 * another type, so the caller must stop; 1 otherwise. */
static int string_get_generic(client *c)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_nil(c);
        return 1;
    }
    if (string_check_type(c, o))
        return 0;
    reply_bulk_obj(c, o);
    return 1;
}

static void get_command(client *c)
{
    string_get_generic(c);
}

/* ------------------------------------------------------- the SET family */

/* The one implementation behind SET, SETNX, SETEX and PSETEX.
 *
 * flags are the parsed options (STR_*); expire, if not NULL, is the expiry
 * argument to validate (its unit and base given by flags).  With STR_GET the
 * old value is the reply (SET ... GET); otherwise success replies +OK, or :1
 * when int_reply (SETNX), and an NX/XX condition that fails replies nil, or
 * :0 when int_reply.  The order of checks is Redis's: expiry value first,
 * then the type of the old value (GET), then the NX/XX condition.  Integers
 * that round-trip are stored in the "int" encoding. */
static void string_set_generic(client *c, int flags, const resp_arg *key, const resp_arg *val,
                               const resp_arg *expire, const char *cmdname, int int_reply)
{
    long long when = 0;
    if (expire && !string_expire_ms(c, expire, flags, cmdname, &when))
        return;
    if ((flags & STR_GET) && !string_get_generic(c))
        return;

    int found = db_lookup_write(c, key) != NULL;
    if (((flags & STR_NX) && found) || ((flags & STR_XX) && !found)) {
        if (!(flags & STR_GET)) {
            if (int_reply)
                reply_int(c, 0);
            else
                reply_nil(c);
        }
        return;
    }

    kobj *o = obj_create_string_try_int(val->ptr, val->len);
    db_set(c, c->db, key->ptr, key->len, o, (flags & STR_KEEPTTL) != 0);
    string_changed(c, key, NOTIFY_STRING, "set");
    if (expire) {
        db_set_expire(c, c->db, key->ptr, key->len, when);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "expire", key->ptr, key->len, c->db->id);
        /* A relative TTL replayed later (AOF load, a lagging replica) would
         * end later: propagate the absolute time instead. */
        if (!(flags & STR_PXAT))
            string_propagate_with_time(c, "SET", key, val, "PXAT", when);
    }
    if (!(flags & STR_GET)) {
        if (int_reply)
            reply_int(c, 1);
        else
            reply_ok(c);
    }
}

/* SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts-ms|KEEPTTL] */
static void set_command(client *c)
{
    int flags;
    const resp_arg *expire;
    if (!string_parse_options(c, 3, 1, &flags, &expire))
        return;
    string_set_generic(c, flags, &c->argv[1], &c->argv[2], expire, "set", 0);
}

static void setnx_command(client *c)
{
    string_set_generic(c, STR_NX, &c->argv[1], &c->argv[2], NULL, "setnx", 1);
}

static void setex_command(client *c)
{
    string_set_generic(c, STR_EX, &c->argv[1], &c->argv[3], &c->argv[2], "setex", 0);
}

static void psetex_command(client *c)
{
    string_set_generic(c, STR_PX, &c->argv[1], &c->argv[3], &c->argv[2], "psetex", 0);
}

/* GETSET key value: SET that replies the old value and drops any TTL. */
static void getset_command(client *c)
{
    if (!string_get_generic(c))
        return;
    const resp_arg *key = &c->argv[1], *val = &c->argv[2];
    db_set(c, c->db, key->ptr, key->len, obj_create_string_try_int(val->ptr, val->len), 0);
    string_changed(c, key, NOTIFY_STRING, "set");
}

/* GETDEL key: the value (or nil), and the key is gone.  Replies before
 * deleting: the reply holds a copy of the bytes. */
static void getdel_command(client *c)
{
    if (!string_get_generic(c))
        return;
    const resp_arg *key = &c->argv[1];
    int deleted = c->srv->cfg.lazyfree_lazy_user_del ? db_delete_async(c, c->db, key->ptr, key->len)
                                                     : db_delete(c, c->db, key->ptr, key->len);
    if (deleted) {
        string_changed(c, key, NOTIFY_GENERIC, "del");
        string_propagate_key_only(c, c->srv->cfg.lazyfree_lazy_user_del ? "UNLINK" : "DEL", key);
    }
}

/* GETEX key [EX s|PX ms|EXAT ts|PXAT ts-ms|PERSIST]
 *
 * Replies the value and then changes its TTL.  Redis's order: options parse
 * first (syntax errors win), then a missing key replies nil (even if the
 * expiry value is bad), then the type check, then the expiry value.  An
 * absolute time already in the past deletes the key ("del" event); a future
 * one sets the TTL ("expire"); PERSIST removes a TTL ("persist") and counts as
 * a change only if there was one. */
static void getex_command(client *c)
{
    int flags;
    const resp_arg *expire;
    if (!string_parse_options(c, 2, 0, &flags, &expire))
        return;
    const resp_arg *key = &c->argv[1];
    kobj *o = db_lookup_read(c, key);
    if (!o) {
        reply_nil(c);
        return;
    }
    if (string_check_type(c, o))
        return;
    long long when = 0;
    if (expire && !string_expire_ms(c, expire, flags, "getex", &when))
        return;

    reply_bulk_obj(c, o);

    if ((flags & (STR_EXAT | STR_PXAT)) && when <= c->srv->mstime && !c->srv->loading) {
        if (c->srv->cfg.lazyfree_lazy_expire)
            db_delete_async(c, c->db, key->ptr, key->len);
        else
            db_delete(c, c->db, key->ptr, key->len);
        string_changed(c, key, NOTIFY_GENERIC, "del");
        string_propagate_key_only(c, c->srv->cfg.lazyfree_lazy_expire ? "UNLINK" : "DEL", key);
    } else if (expire) {
        db_set_expire(c, c->db, key->ptr, key->len, when);
        string_changed(c, key, NOTIFY_GENERIC, "expire");
        string_propagate_with_time(c, "PEXPIREAT", key, NULL, NULL, when);
    } else if (flags & STR_PERSIST) {
        if (db_remove_expire(c->db, key->ptr, key->len)) {
            string_changed(c, key, NOTIFY_GENERIC, "persist");
            string_propagate_key_only(c, "PERSIST", key);
        }
    }
}

/* ------------------------------------------------------ MSET, MGET, ... */

/* MSET / MSETNX key value [key value ...].  MSETNX sets nothing and replies
 * :0 if any of the keys exists; otherwise both set every pair in order (a
 * repeated key ends with its last value) and drop the keys' TTLs. */
static void string_mset_generic(client *c, int nx, const char *cmdname)
{
    if (c->argc % 2 == 0) {
        reply_errorf(c, "ERR wrong number of arguments for '%s' command", cmdname);
        return;
    }
    if (nx) {
        for (int j = 1; j < c->argc; j += 2) {
            if (db_lookup_write(c, &c->argv[j])) {
                reply_int(c, 0);
                return;
            }
        }
    }
    for (int j = 1; j < c->argc; j += 2) {
        const resp_arg *key = &c->argv[j], *val = &c->argv[j + 1];
        db_set(c, c->db, key->ptr, key->len, obj_create_string_try_int(val->ptr, val->len), 0);
        db_signal_modified(c, c->db, key->ptr, key->len);
        notify_keyspace_event(c->srv, NOTIFY_STRING, "set", key->ptr, key->len, c->db->id);
    }
    c->srv->stats.dirty += (c->argc - 1) / 2;
    if (nx)
        reply_int(c, 1);
    else
        reply_ok(c);
}

static void mset_command(client *c)
{
    string_mset_generic(c, 0, "mset");
}
static void msetnx_command(client *c)
{
    string_mset_generic(c, 1, "msetnx");
}

/* MGET key [key ...]: nil for missing keys and for keys of another type. */
static void mget_command(client *c)
{
    reply_array_len(c, c->argc - 1);
    for (int j = 1; j < c->argc; j++) {
        kobj *o = db_lookup_read(c, &c->argv[j]);
        if (!o || o->type != OBJ_STRING)
            reply_nil(c);
        else
            reply_bulk_obj(c, o);
    }
}

/* ------------------------------------------------ APPEND, STRLEN, ranges */

/* APPEND key value: replies the new length.  A new key is stored like SET
 * would store it (so "1" is int-encoded); an existing one becomes raw. */
static void append_command(client *c)
{
    const resp_arg *key = &c->argv[1], *val = &c->argv[2];
    kobj *o = db_lookup_write(c, key);
    size_t total;
    if (!o) {
        db_add(c->db, key->ptr, key->len, obj_create_string_try_int(val->ptr, val->len));
        total = val->len;
    } else {
        if (string_check_type(c, o))
            return;
        if (!string_check_length(c, (long long)obj_string_len(o), (long long)val->len))
            return;
        o = string_unshare(c, key, o);
        o->ptr = buf_cat(o->ptr, val->ptr, val->len);
        total = buf_len(o->ptr);
    }
    string_changed(c, key, NOTIFY_STRING, "append");
    reply_int(c, (long long)total);
}

static void strlen_command(client *c)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (string_check_type(c, o))
        return;
    reply_int(c, (long long)obj_string_len(o));
}

/* GETRANGE key start end (and its old name SUBSTR): the bytes from start to
 * end inclusive, negative offsets counting from the end.  Redis 7.0 clamps a
 * negative end that falls before the string to 0 (so "0 -100" on "hello" is
 * "h"), and replies "" when both are negative with start > end. */
static void getrange_command(client *c)
{
    long long start, end;
    if (!arg_get_ll(c, &c->argv[2], &start) || !arg_get_ll(c, &c->argv[3], &end))
        return;
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_bulk(c, "", 0);
        return;
    }
    if (string_check_type(c, o))
        return;

    char tmp[LL_STR_SIZE];
    size_t slen;
    const char *s = obj_string_view(o, tmp, &slen);
    long long len = (long long)slen;

    if ((start < 0 && end < 0 && start > end) || len == 0) {
        reply_bulk(c, "", 0);
        return;
    }
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= len)
        end = len - 1;
    if (start > end)
        reply_bulk(c, "", 0);
    else
        reply_bulk(c, s + start, (size_t)(end - start + 1));
}

/* SETRANGE key offset value: overwrite from offset, zero-padding any gap;
 * replies the new length.  An empty value changes nothing (and creates no
 * key); the result may not exceed proto-max-bulk-len. */
static void setrange_command(client *c)
{
    const resp_arg *key = &c->argv[1], *val = &c->argv[3];
    long long offset;
    if (!arg_get_ll(c, &c->argv[2], &offset))
        return;
    if (offset < 0) {
        reply_error(c, "ERR offset is out of range");
        return;
    }

    kobj *o = db_lookup_write(c, key);
    if (!o) {
        if (val->len == 0) {
            reply_int(c, 0);
            return;
        }
        if (!string_check_length(c, offset, (long long)val->len))
            return;
        /* A fresh raw buf, zero-filled up to the offset. */
        o = obj_create_from_buf(buf_new(NULL, (size_t)offset + val->len));
        db_add(c->db, key->ptr, key->len, o);
    } else {
        if (string_check_type(c, o))
            return;
        if (val->len == 0) {
            reply_int(c, (long long)obj_string_len(o));
            return;
        }
        if (!string_check_length(c, offset, (long long)val->len))
            return;
        o = string_unshare(c, key, o);
        size_t need = (size_t)offset + val->len;
        if (buf_len(o->ptr) < need)
            o->ptr = buf_resize(o->ptr, need);
    }
    memcpy((char *)o->ptr + offset, val->ptr, val->len);
    string_changed(c, key, NOTIFY_STRING, "setrange");
    reply_int(c, (long long)buf_len(o->ptr));
}

/* ------------------------------------------------------------- counters */

/* INCR, DECR, INCRBY, DECRBY: add incr to the integer at key (a missing key
 * counts as 0), keeping any TTL, and reply the result.  The stored value must
 * be a strict decimal long long ("value is not an integer or out of range")
 * and the sum must not overflow.  An int-encoded value owned by nobody else
 * is updated in place: no allocation on the hot INCR path. */
static void string_incr_generic(client *c, long long incr)
{
    const resp_arg *key = &c->argv[1];
    kobj *o = db_lookup_write(c, key);
    if (string_check_type(c, o))
        return;
    long long value = 0;
    if (o && !obj_get_ll(o, &value)) {
        reply_error_not_int(c);
        return;
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    value += incr;

    if (o && o->refcount == 1 && o->encoding == ENC_INT) {
        o->ptr = (void *)(intptr_t)value;
    } else if (o) {
        db_overwrite(c->db, key->ptr, key->len, obj_create_from_ll(value));
    } else {
        db_add(c->db, key->ptr, key->len, obj_create_from_ll(value));
    }
    string_changed(c, key, NOTIFY_STRING, "incrby");
    reply_int(c, value);
}

static void incr_command(client *c)
{
    string_incr_generic(c, 1);
}
static void decr_command(client *c)
{
    string_incr_generic(c, -1);
}

static void incrby_command(client *c)
{
    long long incr;
    if (arg_get_ll(c, &c->argv[2], &incr))
        string_incr_generic(c, incr);
}

static void decrby_command(client *c)
{
    long long incr;
    if (!arg_get_ll(c, &c->argv[2], &incr))
        return;
    if (incr == LLONG_MIN) { /* -incr would overflow */
        reply_error(c, "ERR decrement would overflow");
        return;
    }
    string_incr_generic(c, -incr);
}

/* INCRBYFLOAT key increment: long double arithmetic, stored and replied in
 * the human form ("%.17Lf" with trailing zeros removed) as a plain string.
 * Redis's order of checks: type, stored value, increment, then NaN/Inf. */
static void incrbyfloat_command(client *c)
{
    const resp_arg *key = &c->argv[1];
    kobj *o = db_lookup_write(c, key);
    if (string_check_type(c, o))
        return;
    long double value = 0, incr;
    if (o && !obj_get_ld(o, &value)) {
        reply_error_not_float(c);
        return;
    }
    if (!arg_get_ld(c, &c->argv[2], &incr))
        return;
    value += incr;
    if (isnan(value) || isinf(value)) {
        reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }

    char out[STRING_LD_BUF];
    int n = util_ld2str(out, sizeof(out), value);
    if (n < 0)
        n = 0;
    kobj *nv = obj_create_string(out, (size_t)n);
    if (o)
        db_overwrite(c->db, key->ptr, key->len, nv);
    else
        db_add(c->db, key->ptr, key->len, nv);
    string_changed(c, key, NOTIFY_STRING, "incrbyfloat");
    /* Float arithmetic may differ elsewhere: propagate the result itself. */
    resp_arg prop[4] = {{"SET", 3}, *key, {out, (size_t)n}, {"KEEPTTL", 7}};
    command_propagate_as(c, 4, prop);
    reply_bulk(c, out, (size_t)n);
}

/* ------------------------------------------------------------------ LCS */

typedef struct lcs_range {
    uint32_t a_start, a_end, b_start, b_end;
} lcs_range;

/* LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]
 *
 * The longest common subsequence of two strings (missing keys are empty), by
 * the classic dynamic-programming table of (alen+1)*(blen+1) uint32 cells,
 * which is refused when it would exceed proto-max-bulk-len.  Replies the
 * subsequence; with LEN only its length; with IDX a map {matches: [...],
 * len: n} where matches are the contiguous runs found walking back from the
 * ends of both strings (last run first), each [[a_start,a_end],[b_start,
 * b_end]] plus its length with WITHMATCHLEN, runs shorter than MINMATCHLEN
 * left out.  The walk prefers moving in key2 on ties, which decides which of
 * several equally long subsequences is reported; Redis does the same. */
static void lcs_command(client *c)
{
    kobj *oa = db_lookup_read(c, &c->argv[1]);
    kobj *ob = db_lookup_read(c, &c->argv[2]);
    if ((oa && oa->type != OBJ_STRING) || (ob && ob->type != OBJ_STRING)) {
        reply_error(c, "ERR The specified keys must contain string values");
        return;
    }

    int getlen = 0, getidx = 0, withmatchlen = 0;
    long long minmatchlen = 0;
    for (int j = 3; j < c->argc; j++) {
        const resp_arg *opt = &c->argv[j];
        if (string_opt_is(opt, "idx")) {
            getidx = 1;
        } else if (string_opt_is(opt, "len")) {
            getlen = 1;
        } else if (string_opt_is(opt, "withmatchlen")) {
            withmatchlen = 1;
        } else if (string_opt_is(opt, "minmatchlen") && j + 1 < c->argc) {
            if (!arg_get_ll(c, &c->argv[j + 1], &minmatchlen))
                return;
            if (minmatchlen < 0)
                minmatchlen = 0;
            j++;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (getidx && getlen) {
        reply_error(c, "ERR If you want both the length and indexes, please just use IDX.");
        return;
    }

    char tmpa[LL_STR_SIZE], tmpb[LL_STR_SIZE];
    size_t la = 0, lb = 0;
    const char *a = oa ? obj_string_view(oa, tmpa, &la) : "";
    const char *b = ob ? obj_string_view(ob, tmpb, &lb) : "";
    if (la >= UINT32_MAX - 1 || lb >= UINT32_MAX - 1) {
        reply_error(c, "ERR String too long for LCS");
        return;
    }
    uint32_t alen = (uint32_t)la, blen = (uint32_t)lb;
    unsigned long long cells = (unsigned long long)(alen + 1ULL) * (blen + 1ULL);
    unsigned long long bytes = cells * sizeof(uint32_t);
    if (bytes > (unsigned long long)c->srv->cfg.proto_max_bulk_len) {
        reply_error(c, "ERR Insufficient memory, transient memory for LCS exceeds "
                       "proto-max-bulk-len");
        return;
    }
    uint32_t *t = bytes <= SIZE_MAX ? malloc((size_t)bytes) : NULL;
    if (!t) {
        reply_error(c, "ERR Insufficient memory, failed allocating transient memory for LCS");
        return;
    }
    size_t row = (size_t)blen + 1;
#define LCS_AT(i, j) t[(size_t)(i)*row + (j)]
    for (uint32_t i = 0; i <= alen; i++) {
        for (uint32_t j = 0; j <= blen; j++) {
            if (i == 0 || j == 0) {
                LCS_AT(i, j) = 0;
            } else if (a[i - 1] == b[j - 1]) {
                LCS_AT(i, j) = LCS_AT(i - 1, j - 1) + 1;
            } else {
                uint32_t up = LCS_AT(i - 1, j), left = LCS_AT(i, j - 1);
                LCS_AT(i, j) = up > left ? up : left;
            }
        }
    }
    uint32_t total = LCS_AT(alen, blen);

    if (getlen) {
        free(t);
        reply_int(c, total);
        return;
    }

    /* Walk back from the ends, rebuilding the subsequence right to left and
     * collecting contiguous runs (a run is closed by a step that is not a
     * match, or by reaching the start of either string). */
    buf result = buf_new(NULL, total);
    lcs_range *ranges = NULL;
    size_t nranges = 0, cap = 0;
    int in_run = 0;
    lcs_range cur = {0, 0, 0, 0};
    uint32_t i = alen, j = blen, k = total;
    while (i > 0 && j > 0) {
        int close_run = 0;
        if (a[i - 1] == b[j - 1]) {
            result[--k] = a[i - 1];
            if (!in_run) {
                cur.a_start = cur.a_end = i - 1;
                cur.b_start = cur.b_end = j - 1;
                in_run = 1;
            } else {
                cur.a_start = i - 1;
                cur.b_start = j - 1;
            }
            if (cur.a_start == 0 || cur.b_start == 0)
                close_run = 1;
            i--;
            j--;
        } else {
            if (LCS_AT(i - 1, j) > LCS_AT(i, j - 1))
                i--;
            else
                j--;
            close_run = in_run;
        }
        if (close_run && in_run) {
            uint32_t mlen = cur.a_end - cur.a_start + 1;
            if (getidx && (minmatchlen == 0 || (long long)mlen >= minmatchlen)) {
                if (nranges == cap) {
                    cap = cap ? cap * 2 : 16;
                    ranges = realloc(ranges, cap * sizeof(*ranges));
                    if (!ranges)
                        abort();
                }
                ranges[nranges++] = cur;
            }
            in_run = 0;
        }
    }
#undef LCS_AT
    free(t);

    if (getidx) {
        reply_map_len(c, 2);
        reply_bulk_cstr(c, "matches");
        reply_array_len(c, (long long)nranges);
        for (size_t r = 0; r < nranges; r++) {
            reply_array_len(c, 2 + withmatchlen);
            reply_array_len(c, 2);
            reply_int(c, ranges[r].a_start);
            reply_int(c, ranges[r].a_end);
            reply_array_len(c, 2);
            reply_int(c, ranges[r].b_start);
            reply_int(c, ranges[r].b_end);
            if (withmatchlen)
                reply_int(c, (long long)(ranges[r].a_end - ranges[r].a_start + 1));
        }
        reply_bulk_cstr(c, "len");
        reply_int(c, total);
    } else {
        reply_bulk(c, result, buf_len(result));
    }
    free(ranges);
    buf_free(result);
}

/* --------------------------------------------------------- command table */

/* Arity, flags and key positions are Redis 7.0's (COMMAND INFO); summaries
 * and versions are its COMMAND DOCS. */
#define STR_CMD(nm, fn, ar, fl, fk, lk, ks, sum, ver)                                              \
    {                                                                                              \
        .name = (nm), .proc = (fn), .arity = (ar), .flags = (fl), .first_key = (fk),               \
        .last_key = (lk), .key_step = (ks), .group = "string", .summary = (sum), .since = (ver)    \
    }
#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define F CMD_FAST

command string_commands[] = {
    STR_CMD("get", get_command, 2, R | F, 1, 1, 1, "Get the value of a key", "1.0.0"),
    STR_CMD("set", set_command, -3, W | D, 1, 1, 1, "Set the string value of a key", "1.0.0"),
    STR_CMD("setnx", setnx_command, 3, W | D | F, 1, 1, 1,
            "Set the value of a key, only if the key does not exist", "1.0.0"),
    STR_CMD("setex", setex_command, 4, W | D, 1, 1, 1, "Set the value and expiration of a key",
            "2.0.0"),
    STR_CMD("psetex", psetex_command, 4, W | D, 1, 1, 1,
            "Set the value and expiration in milliseconds of a key", "2.6.0"),
    STR_CMD("mset", mset_command, -3, W | D, 1, -1, 2, "Set multiple keys to multiple values",
            "1.0.1"),
    STR_CMD("msetnx", msetnx_command, -3, W | D, 1, -1, 2,
            "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1"),
    STR_CMD("mget", mget_command, -2, R | F, 1, -1, 1, "Get the values of all the given keys",
            "1.0.0"),
    STR_CMD("getset", getset_command, 3, W | D | F, 1, 1, 1,
            "Set the string value of a key and return its old value", "1.0.0"),
    STR_CMD("getdel", getdel_command, 2, W | F, 1, 1, 1,
            "Get the value of a key and delete the key", "6.2.0"),
    STR_CMD("getex", getex_command, -2, W | F, 1, 1, 1,
            "Get the value of a key and optionally set its expiration", "6.2.0"),
    STR_CMD("append", append_command, 3, W | D | F, 1, 1, 1, "Append a value to a key", "2.0.0"),
    STR_CMD("strlen", strlen_command, 2, R | F, 1, 1, 1,
            "Get the length of the value stored in a key", "2.2.0"),
    STR_CMD("getrange", getrange_command, 4, R, 1, 1, 1,
            "Get a substring of the string stored at a key", "2.4.0"),
    STR_CMD("substr", getrange_command, 4, R, 1, 1, 1,
            "Get a substring of the string stored at a key", "1.0.0"),
    STR_CMD("setrange", setrange_command, 4, W | D, 1, 1, 1,
            "Overwrite part of a string at key starting at the specified offset", "2.2.0"),
    STR_CMD("incr", incr_command, 2, W | D | F, 1, 1, 1,
            "Increment the integer value of a key by one", "1.0.0"),
    STR_CMD("decr", decr_command, 2, W | D | F, 1, 1, 1,
            "Decrement the integer value of a key by one", "1.0.0"),
    STR_CMD("incrby", incrby_command, 3, W | D | F, 1, 1, 1,
            "Increment the integer value of a key by the given amount", "1.0.0"),
    STR_CMD("decrby", decrby_command, 3, W | D | F, 1, 1, 1,
            "Decrement the integer value of a key by the given number", "1.0.0"),
    STR_CMD("incrbyfloat", incrbyfloat_command, 3, W | D | F, 1, 1, 1,
            "Increment the float value of a key by the given amount", "2.6.0"),
    STR_CMD("lcs", lcs_command, -3, R, 1, 2, 1, "Find longest common substring", "7.0.0"),
    {0},
};

#undef W
#undef R
#undef D
#undef F
#undef STR_CMD
