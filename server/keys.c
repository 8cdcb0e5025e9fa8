/* keys: the generic keyspace commands, the ones that work on any key
 * whatever its type: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY,
 * RENAME, RENAMENX, MOVE, COPY, TOUCH, OBJECT, and the expiry commands
 * (EXPIRE and its variants, TTL and its variants, PERSIST).
 *
 * Replies and error strings follow Redis 7.0 byte for byte.  Every change
 * to the data signals the key as modified (WATCH, blocked clients), raises
 * Redis's keyspace event and bumps stats.dirty once per change; the core
 * derives propagation from dirty. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"

#define KEYS_ERR_NO_SUCH_KEY "ERR no such key"
#define KEYS_ERR_SAME_OBJECT "ERR source and destination objects are the same"
#define KEYS_ERR_DB_RANGE "ERR DB index is out of range"
#define KEYS_ERR_INT_RANGE                                                                         \
    "ERR value is out of range, value must between -2147483648 and 2147483647"

/* ---------------------------------------------------------------- helpers */

/* Look a key up for introspection (EXISTS, TYPE, TTL, OBJECT, SCAN's TYPE
 * filter): expires it lazily and counts keyspace hits and misses like a
 * read, but leaves the access time alone, so that OBJECT IDLETIME reports
 * the idle time of the key rather than zero, and TYPE or TTL do not make a
 * key look recently used to eviction.  db_lookup_read always touches, hence
 * this helper.  notify_miss: raise the "keymiss" event on a miss (Redis
 * does for all of these except OBJECT). */
static kobj *keys_lookup_notouch(client *c, keel_db *db, const void *key, size_t len,
                                 int notify_miss)
{
    server *s = c->srv;
    kobj *o = NULL;
    if (!db_expire_if_needed(c, db, key, len))
        o = db_lookup_quiet(db, key, len);
    if (o) {
        s->stats.keyspace_hits++;
    } else {
        s->stats.keyspace_misses++;
        if (notify_miss)
            notify_keyspace_event(s, NOTIFY_KEY_MISS, "keymiss", key, len, db->id);
    }
    return o;
}

/* A write lookup in any database (db_lookup_write works on c->db only):
 * expires the key lazily, counts nothing, marks the key as accessed. */
static kobj *keys_lookup_write_in(client *c, keel_db *db, const void *key, size_t len)
{
    if (db_expire_if_needed(c, db, key, len))
        return NULL;
    kobj *o = db_lookup_quiet(db, key, len);
    if (o)
        o->lru = obj_lru_clock();
    return o;
}

static int keys_arg_eq(const resp_arg *a, const resp_arg *b)
{
    return a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

/* The length of an argument as C string functions would see it (up to the
 * first NUL byte): Redis formats some arguments with %s into its errors. */
static int keys_arg_cstr_len(const resp_arg *a)
{
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t n = nul ? (size_t)(nul - a->ptr) : a->len;
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* Parse a database index the way Redis 7.0's MOVE and COPY do: not a number
 * is the generic integer error, a number outside int is a range error, an
 * int that names no database is "DB index is out of range".  Replies on
 * failure and returns 0. */
static int keys_get_db_index(client *c, const resp_arg *a, int *out)
{
    long long v;
    if (!arg_get_ll(c, a, &v))
        return 0;
    if (v < INT_MIN || v > INT_MAX) {
        reply_error(c, KEYS_ERR_INT_RANGE);
        return 0;
    }
    if (v < 0 || v >= c->srv->cfg.databases) {
        reply_error(c, KEYS_ERR_DB_RANGE);
        return 0;
    }
    *out = (int)v;
    return 1;
}

/* ---------------------------------------------------------- DEL, UNLINK */

/* DEL and UNLINK: delete each key that exists (an expired key counts as
 * absent), raising "del" per key.  lazy selects the asynchronous free. */
static void keys_delete_generic(client *c, int lazy)
{
    long long deleted = 0;
    for (int j = 1; j < c->argc; j++) {
        const resp_arg *k = &c->argv[j];
        db_expire_if_needed(c, c->db, k->ptr, k->len);
        int ok =
            lazy ? db_delete_async(c, c->db, k->ptr, k->len) : db_delete(c, c->db, k->ptr, k->len);
        if (ok) {
            db_signal_modified(c, c->db, k->ptr, k->len);
            notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", k->ptr, k->len, c->db->id);
            c->srv->stats.dirty++;
            deleted++;
        }
    }
    reply_int(c, deleted);
}

static void del_command(client *c)
{
    keys_delete_generic(c, c->srv->cfg.lazyfree_lazy_user_del);
}

static void unlink_command(client *c)
{
    keys_delete_generic(c, 1);
}

/* ------------------------------------------------- EXISTS, TOUCH, TYPE */

/* EXISTS counts every argument that names a live key, repeats included. */
static void exists_command(client *c)
{
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        if (keys_lookup_notouch(c, c->db, c->argv[j].ptr, c->argv[j].len, 1))
            n++;
    reply_int(c, n);
}

/* TOUCH: a read of each key (updating its access time); the reply counts
 * the keys that exist. */
static void touch_command(client *c)
{
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        if (db_lookup_read(c, &c->argv[j]))
            n++;
    reply_int(c, n);
}

static void type_command(client *c)
{
    kobj *o = keys_lookup_notouch(c, c->db, c->argv[1].ptr, c->argv[1].len, 1);
    reply_simple(c, o ? obj_type_name(o) : "none");
}

/* ------------------------------------------------------------------ KEYS */

/* KEYS pattern: every live key matching the pattern.  Expired keys are
 * skipped but not deleted here (KEYS only reads).  A pattern without
 * special characters (util_glob_is_literal: no wildcard, class or escape, so
 * its bytes are the one key it can match) is answered with one lookup
 * instead of a walk of the whole keyspace. */
static void keys_command(client *c)
{
    const resp_arg *pat = &c->argv[1];
    keel_db *db = c->db;

    if (util_glob_is_literal(pat->ptr, pat->len)) {
        kobj *o = db_lookup_quiet(db, pat->ptr, pat->len);
        if (o && !db_key_is_expired(c->srv, db, pat->ptr, pat->len)) {
            reply_array_len(c, 1);
            reply_bulk(c, pat->ptr, pat->len);
        } else {
            reply_array_len(c, 0);
        }
        return;
    }

    int all = pat->len == 1 && pat->ptr[0] == '*';
    size_t handle = reply_defer_len(c);
    long long n = 0;
    dict_iter it;
    dict_entry *e;
    dict_iter_init(&it, db->keys, 1);
    while ((e = dict_iter_next(&it)) != NULL) {
        buf k = e->key;
        size_t klen = buf_len(k);
        if ((all || util_glob_match(pat->ptr, pat->len, k, klen, 0)) &&
            !db_key_is_expired(c->srv, db, k, klen)) {
            reply_bulk(c, k, klen);
            n++;
        }
        if (c->flags & CLIENT_CLOSE_ASAP)
            break;
    }
    dict_iter_release(&it);
    reply_set_deferred_len(c, handle, n);
}

/* ------------------------------------------------------------------ SCAN */

typedef struct keys_scan_batch {
    buf *keys;
    size_t n, cap;
} keys_scan_batch;

/* dict_scan callback: copy each key out, since filtering afterwards may
 * delete expired keys (and free the dict's own key bufs). */
static void keys_scan_collect(void *priv, const dict_entry *e)
{
    keys_scan_batch *b = priv;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->keys = realloc(b->keys, b->cap * sizeof(*b->keys));
        if (!b->keys)
            abort();
    }
    b->keys[b->n++] = buf_dup(e->key);
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
 *
 * One call walks buckets from the cursor until about COUNT keys were
 * collected (at most COUNT*10 buckets, so a sparse table still answers
 * quickly), then filters them by pattern, type and expiry.  dict_scan's
 * reverse-binary cursor guarantees that a full iteration returns every key
 * present for its whole duration at least once, even across rehashing. */
static void scan_command(client *c)
{
    unsigned long cursor;
    if (!arg_get_scan_cursor(c, &c->argv[1], &cursor))
        return;

    long long count = 10;
    const resp_arg *pat = NULL;
    const resp_arg *type = NULL;
    for (int i = 2; i < c->argc;) {
        int left = c->argc - i;
        if (arg_is(&c->argv[i], "count") && left >= 2) {
            if (!arg_get_ll(c, &c->argv[i + 1], &count))
                return;
            if (count < 1) {
                reply_error_syntax(c);
                return;
            }
            i += 2;
        } else if (arg_is(&c->argv[i], "match") && left >= 2) {
            pat = &c->argv[i + 1];
            i += 2;
        } else if (arg_is(&c->argv[i], "type") && left >= 2) {
            type = &c->argv[i + 1];
            i += 2;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (pat && pat->len == 1 && pat->ptr[0] == '*')
        pat = NULL;

    keel_db *db = c->db;
    keys_scan_batch batch = {0};
    long long maxiter = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = dict_scan(db->keys, cursor, keys_scan_collect, &batch);
    } while (cursor && maxiter-- && batch.n < (unsigned long long)count);

    reply_array_len(c, 2);
    char cbuf[LL_STR_SIZE];
    int clen = util_ull2str(cbuf, sizeof(cbuf), cursor);
    reply_bulk(c, cbuf, (size_t)clen);

    size_t handle = reply_defer_len(c);
    long long n = 0;
    int typelen = type ? keys_arg_cstr_len(type) : 0;
    for (size_t i = 0; i < batch.n; i++) {
        buf k = batch.keys[i];
        size_t klen = buf_len(k);
        int keep = 1;
        if (pat && !util_glob_match(pat->ptr, pat->len, k, klen, 0))
            keep = 0;
        if (keep && type) {
            /* As Redis 7.0: an unknown type name is no error, it matches nothing. */
            kobj *o = keys_lookup_notouch(c, db, k, klen, 1);
            const char *name = o ? obj_type_name(o) : "none";
            if (strlen(name) != (size_t)typelen || strncasecmp(name, type->ptr, (size_t)typelen))
                keep = 0;
        }
        if (keep && db_expire_if_needed(c, db, k, klen))
            keep = 0;
        if (keep) {
            reply_bulk(c, k, klen);
            n++;
        }
        buf_free(k);
    }
    free(batch.keys);
    reply_set_deferred_len(c, handle, n);
}

/* ------------------------------------------------------------- RANDOMKEY */

#define KEYS_RANDOM_TRIES 100

/* RANDOMKEY: a random live key, or nil when the database is empty.
 * Sampled keys found expired are deleted and another is drawn.  The draws
 * are bounded: after KEYS_RANDOM_TRIES, a walk returns the first live key,
 * so a database of mostly dead keys (or one where expiry cannot delete)
 * never spins. */
static void randomkey_command(client *c)
{
    keel_db *db = c->db;
    for (int tries = 0; tries < KEYS_RANDOM_TRIES; tries++) {
        dict_entry *e = dict_random_entry(db->keys);
        if (!e) {
            reply_nil(c);
            return;
        }
        buf k = e->key;
        size_t klen = buf_len(k);
        if (!db_key_is_expired(c->srv, db, k, klen)) {
            reply_bulk(c, k, klen);
            return;
        }
        buf copy = buf_dup(k); /* expiry frees the dict's key */
        db_expire_if_needed(c, db, copy, klen);
        buf_free(copy);
    }

    dict_iter it;
    dict_entry *e;
    dict_iter_init(&it, db->keys, 0);
    while ((e = dict_iter_next(&it)) != NULL) {
        if (!db_key_is_expired(c->srv, db, e->key, buf_len(e->key)))
            break;
    }
    if (e)
        reply_bulk(c, e->key, buf_len(e->key));
    else
        reply_nil(c);
    dict_iter_release(&it);
}

/* ------------------------------------------------------ RENAME, RENAMENX */

/* RENAME and RENAMENX: the value and its TTL move to the new name; an
 * existing destination is overwritten (RENAME) or left alone with reply 0
 * (RENAMENX).  As Redis 7.0, renaming a key to itself checks that it exists
 * and then changes nothing: OK, or 0 for RENAMENX. */
static void keys_rename_generic(client *c, int nx)
{
    const resp_arg *src = &c->argv[1], *dst = &c->argv[2];
    keel_db *db = c->db;

    kobj *o = db_lookup_write(c, src);
    if (!o) {
        reply_error(c, KEYS_ERR_NO_SUCH_KEY);
        return;
    }
    if (keys_arg_eq(src, dst)) {
        if (nx)
            reply_int(c, 0);
        else
            reply_ok(c);
        return;
    }

    int64_t expire = db_get_expire(db, src->ptr, src->len);
    if (db_lookup_write(c, dst)) {
        if (nx) {
            reply_int(c, 0);
            return;
        }
        db_delete(c, db, dst->ptr, dst->len);
    }
    obj_incr_ref(o); /* the new key's reference; deleting src drops the old one */
    db_add(db, dst->ptr, dst->len, o);
    if (expire != -1)
        db_set_expire(c, db, dst->ptr, dst->len, expire);
    db_delete(c, db, src->ptr, src->len);

    db_signal_modified(c, db, src->ptr, src->len);
    db_signal_modified(c, db, dst->ptr, dst->len);
    notify_keyspace_event(c->srv, NOTIFY_GENERIC, "rename_from", src->ptr, src->len, db->id);
    notify_keyspace_event(c->srv, NOTIFY_GENERIC, "rename_to", dst->ptr, dst->len, db->id);
    c->srv->stats.dirty++;
    if (nx)
        reply_int(c, 1);
    else
        reply_ok(c);
}

static void rename_command(client *c)
{
    keys_rename_generic(c, 0);
}

static void renamenx_command(client *c)
{
    keys_rename_generic(c, 1);
}

/* ------------------------------------------------------------ MOVE, COPY */

/* MOVE key db: moves the key (with its TTL) to another database unless the
 * key is absent there already; 1 if moved, 0 otherwise. */
static void move_command(client *c)
{
    const resp_arg *key = &c->argv[1];
    int dbid;
    if (!keys_get_db_index(c, &c->argv[2], &dbid))
        return;
    keel_db *src = c->db, *dst = &c->srv->db[dbid];
    if (src == dst) {
        reply_error(c, KEYS_ERR_SAME_OBJECT);
        return;
    }

    kobj *o = db_lookup_write(c, key);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    int64_t expire = db_get_expire(src, key->ptr, key->len);
    if (keys_lookup_write_in(c, dst, key->ptr, key->len)) {
        reply_int(c, 0);
        return;
    }
    obj_incr_ref(o);
    db_add(dst, key->ptr, key->len, o);
    if (expire != -1)
        db_set_expire(c, dst, key->ptr, key->len, expire);
    db_delete(c, src, key->ptr, key->len);

    db_signal_modified(c, src, key->ptr, key->len);
    db_signal_modified(c, dst, key->ptr, key->len);
    notify_keyspace_event(c->srv, NOTIFY_GENERIC, "move_from", key->ptr, key->len, src->id);
    notify_keyspace_event(c->srv, NOTIFY_GENERIC, "move_to", key->ptr, key->len, dst->id);
    c->srv->stats.dirty++;
    reply_int(c, 1);
}

/* COPY source destination [DB index] [REPLACE]
 *
 * The destination gets a private copy of the value and the source's TTL.
 * Options are checked in order as they come (so a bad DB index is reported
 * before a later bad option), then: same key in the same database is an
 * error, a missing source or an existing destination without REPLACE
 * replies 0. */
static void copy_command(client *c)
{
    const resp_arg *key = &c->argv[1], *newkey = &c->argv[2];
    keel_db *src = c->db, *dst = c->db;
    int replace = 0;

    for (int j = 3; j < c->argc; j++) {
        int left = c->argc - j - 1;
        if (arg_is(&c->argv[j], "replace")) {
            replace = 1;
        } else if (arg_is(&c->argv[j], "db") && left >= 1) {
            int dbid;
            if (!keys_get_db_index(c, &c->argv[j + 1], &dbid))
                return;
            dst = &c->srv->db[dbid];
            j++;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (src == dst && keys_arg_eq(key, newkey)) {
        reply_error(c, KEYS_ERR_SAME_OBJECT);
        return;
    }

    kobj *o = db_lookup_read(c, key);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    int64_t expire = db_get_expire(src, key->ptr, key->len);
    int overwrite = 0;
    if (keys_lookup_write_in(c, dst, newkey->ptr, newkey->len)) {
        if (!replace) {
            reply_int(c, 0);
            return;
        }
        overwrite = 1;
    }

    kobj *copy = obj_dup(o);
    if (overwrite)
        db_delete(c, dst, newkey->ptr, newkey->len);
    db_add(dst, newkey->ptr, newkey->len, copy);
    if (expire != -1)
        db_set_expire(c, dst, newkey->ptr, newkey->len, expire);

    db_signal_modified(c, dst, newkey->ptr, newkey->len);
    notify_keyspace_event(c->srv, NOTIFY_GENERIC, "copy_to", newkey->ptr, newkey->len, dst->id);
    c->srv->stats.dirty++;
    reply_int(c, 1);
}

/* ---------------------------------------------------------------- EXPIRE */

#define EXPIRE_NX (1 << 0)
#define EXPIRE_XX (1 << 1)
#define EXPIRE_GT (1 << 2)
#define EXPIRE_LT (1 << 3)

/* The NX/XX/GT/LT options after the time.  Any word is accepted in any
 * order and repeats are fine; the incompatible combinations are rejected
 * after all were read, as Redis 7.0 does.  Replies on failure, returns 0. */
static int keys_parse_expire_flags(client *c, int *flags)
{
    *flags = 0;
    for (int j = 3; j < c->argc; j++) {
        const resp_arg *a = &c->argv[j];
        if (arg_is(a, "nx")) {
            *flags |= EXPIRE_NX;
        } else if (arg_is(a, "xx")) {
            *flags |= EXPIRE_XX;
        } else if (arg_is(a, "gt")) {
            *flags |= EXPIRE_GT;
        } else if (arg_is(a, "lt")) {
            *flags |= EXPIRE_LT;
        } else {
            reply_errorf(c, "ERR Unsupported option %.*s", keys_arg_cstr_len(a), a->ptr);
            return 0;
        }
    }
    if ((*flags & EXPIRE_NX) && (*flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
        reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return 0;
    }
    if ((*flags & EXPIRE_GT) && (*flags & EXPIRE_LT)) {
        reply_error(c, "ERR GT and LT options at the same time are not compatible");
        return 0;
    }
    return 1;
}

/* EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT key time [NX|XX|GT|LT]
 *
 * basetime_ms is added to the time (now for the relative forms, 0 for the
 * absolute ones); in_seconds scales it by 1000 first.  Overflow in either
 * step is an error.  A key without TTL counts as an infinite TTL for GT and
 * LT.  A resulting time already past deletes the key (event "del") rather
 * than leaving it to expire; otherwise the TTL is set (event "expire").
 * Replies 1 when the TTL was set or the key deleted, 0 when the key is
 * missing or a condition failed. */
static void keys_expire_generic(client *c, long long basetime_ms, int in_seconds)
{
    const resp_arg *key = &c->argv[1];
    int flags;
    long long when;

    if (!keys_parse_expire_flags(c, &flags))
        return;
    if (!arg_get_ll(c, &c->argv[2], &when))
        return;
    if (in_seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
            reply_errorf(c, "ERR invalid expire time in '%s' command", c->cmd->name);
            return;
        }
        when *= 1000;
    }
    if (when > LLONG_MAX - basetime_ms) {
        reply_errorf(c, "ERR invalid expire time in '%s' command", c->cmd->name);
        return;
    }
    when += basetime_ms;

    if (!db_lookup_write(c, key)) {
        reply_int(c, 0);
        return;
    }

    if (flags) {
        int64_t cur = db_get_expire(c->db, key->ptr, key->len);
        if ((flags & EXPIRE_NX) && cur != -1) {
            reply_int(c, 0);
            return;
        }
        if ((flags & EXPIRE_XX) && cur == -1) {
            reply_int(c, 0);
            return;
        }
        if ((flags & EXPIRE_GT) && (cur == -1 || when <= cur)) {
            reply_int(c, 0);
            return;
        }
        if ((flags & EXPIRE_LT) && cur != -1 && when >= cur) {
            reply_int(c, 0);
            return;
        }
    }

    /* While loading, a time already past still sets the TTL (the key
     * expires after loading), as Redis: deleting it here would let the
     * commands after it in the file recreate it. */
    if (when <= c->srv->mstime && !c->srv->loading) {
        if (c->srv->cfg.lazyfree_lazy_expire)
            db_delete_async(c, c->db, key->ptr, key->len);
        else
            db_delete(c, c->db, key->ptr, key->len);
        db_signal_modified(c, c->db, key->ptr, key->len);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
        const char *del = c->srv->cfg.lazyfree_lazy_expire ? "UNLINK" : "DEL";
        resp_arg prop[2] = {{del, strlen(del)}, *key};
        command_propagate_as(c, 2, prop);
    } else {
        db_set_expire(c, c->db, key->ptr, key->len, when);
        db_signal_modified(c, c->db, key->ptr, key->len);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "expire", key->ptr, key->len, c->db->id);
        /* Replicas and the AOF get the absolute time, whatever form came in,
         * so a replayed or delayed copy expires at the same moment. */
        char ms[LL_STR_SIZE];
        int n = util_ll2str(ms, sizeof(ms), when);
        resp_arg prop[3] = {{"PEXPIREAT", 9}, *key, {ms, (size_t)n}};
        command_propagate_as(c, 3, prop);
    }
    c->srv->stats.dirty++;
    reply_int(c, 1);
}

static void expire_command(client *c)
{
    keys_expire_generic(c, c->srv->mstime, 1);
}
static void pexpire_command(client *c)
{
    keys_expire_generic(c, c->srv->mstime, 0);
}
static void expireat_command(client *c)
{
    keys_expire_generic(c, 0, 1);
}
static void pexpireat_command(client *c)
{
    keys_expire_generic(c, 0, 0);
}

/* TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 if the key does not exist, -1 if
 * it has no TTL, else the remaining time (in_ms: milliseconds, else
 * seconds rounded to nearest) or the absolute expiry (absolute).  A TTL
 * already due but not yet collected reads as 0. */
static void keys_ttl_generic(client *c, int in_ms, int absolute)
{
    const resp_arg *key = &c->argv[1];
    if (!keys_lookup_notouch(c, c->db, key->ptr, key->len, 1)) {
        reply_int(c, -2);
        return;
    }
    int64_t expire = db_get_expire(c->db, key->ptr, key->len);
    if (expire == -1) {
        reply_int(c, -1);
        return;
    }
    long long t = absolute ? expire : expire - c->srv->mstime;
    if (t < 0)
        t = 0;
    reply_int(c, in_ms ? t : (t + 500) / 1000);
}

static void ttl_command(client *c)
{
    keys_ttl_generic(c, 0, 0);
}
static void pttl_command(client *c)
{
    keys_ttl_generic(c, 1, 0);
}
static void expiretime_command(client *c)
{
    keys_ttl_generic(c, 0, 1);
}
static void pexpiretime_command(client *c)
{
    keys_ttl_generic(c, 1, 1);
}

/* PERSIST: 1 if the key had a TTL and now has none, else 0. */
static void persist_command(client *c)
{
    const resp_arg *key = &c->argv[1];
    if (!db_lookup_write(c, key) || !db_remove_expire(c->db, key->ptr, key->len)) {
        reply_int(c, 0);
        return;
    }
    db_signal_modified(c, c->db, key->ptr, key->len);
    notify_keyspace_event(c->srv, NOTIFY_GENERIC, "persist", key->ptr, key->len, c->db->id);
    c->srv->stats.dirty++;
    reply_int(c, 1);
}

/* ---------------------------------------------------------------- OBJECT */

/* The key of an OBJECT subcommand, looked up without touching its access
 * time; replies nil and returns NULL when it does not exist. */
static kobj *object_lookup_or_nil(client *c)
{
    kobj *o = keys_lookup_notouch(c, c->db, c->argv[2].ptr, c->argv[2].len, 0);
    if (!o)
        reply_nil(c);
    return o;
}

static void object_encoding_command(client *c)
{
    kobj *o = object_lookup_or_nil(c);
    if (o)
        reply_bulk_cstr(c, obj_encoding_name(o->encoding));
}

static void object_refcount_command(client *c)
{
    kobj *o = object_lookup_or_nil(c);
    if (o)
        reply_int(c, o->refcount);
}

/* Seconds since the key was last accessed, on the 24-bit seconds clock
 * (which wraps every ~194 days: a clock behind the object's stamp has
 * wrapped once). */
static void object_idletime_command(client *c)
{
    kobj *o = object_lookup_or_nil(c);
    if (!o)
        return;
    unsigned int now = obj_lru_clock(), lru = o->lru;
    unsigned long long idle = now >= lru ? now - lru : now + ((1u << OBJ_LRU_BITS) - 1 - lru);
    reply_int(c, (long long)idle);
}

/* Access frequencies are tracked only under an LFU maxmemory policy, which
 * Keel does not offer yet: Redis's answer for any other policy. */
static void object_freq_command(client *c)
{
    if (!object_lookup_or_nil(c))
        return;
    reply_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                   "Please note that when switching between policies at runtime LRU and LFU "
                   "data will take some time to adjust.");
}

static void object_help_command(client *c)
{
    static const char *help[] = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        NULL,
    };
    reply_help(c, help);
}

/* The container's own handler.  command_call resolves OBJECT <sub> to the
 * subcommand entries below (with their arity checks) before any handler
 * runs, so this only answers should a caller reach the container itself. */
static void object_command(client *c)
{
    int n = keys_arg_cstr_len(&c->argv[1]);
    reply_errorf(c, "ERR unknown subcommand '%.*s'. Try OBJECT HELP.", n > 128 ? 128 : n,
                 c->argv[1].ptr);
}

/* A table entry with every field named, so the counters and links the
 * command table fills in at start-up are zero here. */
#define KEYS_CMD(nm, fn, ar, fl, fk, lk, ks, sum, ver, subs)                                       \
    {                                                                                              \
        .name = (nm), .proc = (fn), .arity = (ar), .flags = (fl), .first_key = (fk),               \
        .last_key = (lk), .key_step = (ks), .group = "generic", .summary = (sum), .since = (ver),  \
        .subcommands = (subs)                                                                      \
    }

static command object_subcommands[] = {
    KEYS_CMD("encoding", object_encoding_command, 3, CMD_READONLY, 2, 2, 1,
             "Inspect the internal encoding of a Redis object", "2.2.3", NULL),
    KEYS_CMD("freq", object_freq_command, 3, CMD_READONLY, 2, 2, 1,
             "Get the logarithmic access frequency counter of a Redis object", "4.0.0", NULL),
    KEYS_CMD("help", object_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
             "Show helpful text about the different subcommands", "6.2.0", NULL),
    KEYS_CMD("idletime", object_idletime_command, 3, CMD_READONLY, 2, 2, 1,
             "Get the time since a Redis object was last accessed", "2.2.3", NULL),
    KEYS_CMD("refcount", object_refcount_command, 3, CMD_READONLY, 2, 2, 1,
             "Get the number of references to the value of the key", "2.2.3", NULL),
    {0},
};

/* ----------------------------------------------------------------- table */

/* Arity, flags and key positions are Redis 7.0's (COMMAND INFO); summaries
 * and versions are its COMMAND DOCS. */
command keyspace_commands[] = {
    KEYS_CMD("del", del_command, -2, CMD_WRITE, 1, -1, 1, "Delete a key", "1.0.0", NULL),
    KEYS_CMD("unlink", unlink_command, -2, CMD_WRITE | CMD_FAST, 1, -1, 1,
             "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but "
             "non blocking.",
             "4.0.0", NULL),
    KEYS_CMD("exists", exists_command, -2, CMD_READONLY | CMD_FAST, 1, -1, 1,
             "Determine if a key exists", "1.0.0", NULL),
    KEYS_CMD("type", type_command, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
             "Determine the type stored at key", "1.0.0", NULL),
    KEYS_CMD("keys", keys_command, 2, CMD_READONLY, 0, 0, 0,
             "Find all keys matching the given pattern", "1.0.0", NULL),
    KEYS_CMD("scan", scan_command, -2, CMD_READONLY, 0, 0, 0,
             "Incrementally iterate the keys space", "2.8.0", NULL),
    KEYS_CMD("randomkey", randomkey_command, 1, CMD_READONLY, 0, 0, 0,
             "Return a random key from the keyspace", "1.0.0", NULL),
    KEYS_CMD("rename", rename_command, 3, CMD_WRITE, 1, 2, 1, "Rename a key", "1.0.0", NULL),
    KEYS_CMD("renamenx", renamenx_command, 3, CMD_WRITE | CMD_FAST, 1, 2, 1,
             "Rename a key, only if the new key does not exist", "1.0.0", NULL),
    KEYS_CMD("move", move_command, 3, CMD_WRITE | CMD_FAST, 1, 1, 1,
             "Move a key to another database", "1.0.0", NULL),
    KEYS_CMD("copy", copy_command, -3, CMD_WRITE | CMD_DENYOOM, 1, 2, 1, "Copy a key", "6.2.0",
             NULL),
    KEYS_CMD("expire", expire_command, -3, CMD_WRITE | CMD_FAST, 1, 1, 1,
             "Set a key's time to live in seconds", "1.0.0", NULL),
    KEYS_CMD("pexpire", pexpire_command, -3, CMD_WRITE | CMD_FAST, 1, 1, 1,
             "Set a key's time to live in milliseconds", "2.6.0", NULL),
    KEYS_CMD("expireat", expireat_command, -3, CMD_WRITE | CMD_FAST, 1, 1, 1,
             "Set the expiration for a key as a UNIX timestamp", "1.2.0", NULL),
    KEYS_CMD("pexpireat", pexpireat_command, -3, CMD_WRITE | CMD_FAST, 1, 1, 1,
             "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0",
             NULL),
    KEYS_CMD("ttl", ttl_command, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
             "Get the time to live for a key in seconds", "1.0.0", NULL),
    KEYS_CMD("pttl", pttl_command, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
             "Get the time to live for a key in milliseconds", "2.6.0", NULL),
    KEYS_CMD("expiretime", expiretime_command, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
             "Get the expiration Unix timestamp for a key", "7.0.0", NULL),
    KEYS_CMD("pexpiretime", pexpiretime_command, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
             "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", NULL),
    KEYS_CMD("persist", persist_command, 2, CMD_WRITE | CMD_FAST, 1, 1, 1,
             "Remove the expiration from a key", "2.2.0", NULL),
    KEYS_CMD("touch", touch_command, -2, CMD_READONLY | CMD_FAST, 1, -1, 1,
             "Alters the last access time of a key(s). Returns the number of existing keys "
             "specified.",
             "3.2.1", NULL),
    KEYS_CMD("object", object_command, -2, 0, 0, 0, 0,
             "A container for object introspection commands", "2.2.3", object_subcommands),
    {0},
};
