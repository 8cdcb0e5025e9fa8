/* blocking: clients waiting in BLPOP, BLMOVE, BZPOPMIN and the other
 * blocking commands.
 *
 * A blocked client keeps a private copy of its command and is listed, per
 * database, under each key it waits for (in the order clients arrived).
 * When a list or sorted set is created at such a key (db_add), the key is
 * queued as ready; after the current command (and before the loop sleeps)
 * each ready key's waiters have their command run again from the top, first
 * come first served, until the key runs dry.  A command run again either
 * serves its client or calls blocking_block() again and keeps its place.
 * Timeouts are one libev timer per blocked client. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

typedef struct blocking_state {
    keel_db *db;
    int nkeys;
    buf *keys;
    int argc;
    buf *argv;           /* the command, copied: the query buffer moves on */
    resp_arg *argv_view; /* argv as resp_args, for running it again */
    int64_t timeout_ms;  /* absolute; 0 = forever */
    int timeout_reply;
    int reblocked; /* set when a re-run blocked again */
    ev_timer timer;
} blocking_state;

/* Module state: keys made ready since the last pass, and clients unblocked
 * whose pending input still has to be read. */
typedef struct ready_key {
    keel_db *db;
    buf key;
} ready_key;

static ready_key *ready_keys;
static size_t ready_len, ready_cap;
static client_vec unblocked;
static long long blocked_count;

/* ------------------------------------------------------- per-db key lists */

static uint64_t key_hash(const void *k)
{
    return dict_hash_bytes(k, buf_len((const buf)k));
}

static int key_equal(const void *a, const void *b)
{
    size_t la = buf_len((const buf)a);
    return la == buf_len((const buf)b) && memcmp(a, b, la) == 0;
}

static void key_free(void *k)
{
    buf_free(k);
}

static void waiters_free(void *v)
{
    client_vec_free(v);
    free(v);
}

static const dict_type blocking_dict_type = {key_hash, key_equal, key_free, waiters_free};

void blocking_init_db(keel_db *db)
{
    db->blocking_keys = dict_create(&blocking_dict_type);
}

void blocking_free_db(keel_db *db)
{
    if (db->blocking_keys)
        dict_release(db->blocking_keys);
    db->blocking_keys = NULL;
}

static client_vec *waiters_of(keel_db *db, const void *key, size_t len)
{
    if (dict_size(db->blocking_keys) == 0)
        return NULL;
    buf k = buf_new(key, len);
    client_vec *w = dict_fetch_value(db->blocking_keys, k);
    buf_free(k);
    return w;
}

long long blocking_client_count(server *s)
{
    (void)s;
    return blocked_count;
}

/* ---------------------------------------------------------------- timeout */

int blocking_get_timeout(client *c, const resp_arg *arg, int64_t *timeout_ms)
{
    long double secs;
    if (!util_str2ld(arg->ptr, arg->len, &secs)) {
        reply_error(c, "ERR timeout is not a float or out of range");
        return 0;
    }
    long double ms_ld = ceill(secs * 1000.0L);
    /* Redis converts to long long without a range check, which on x86
     * makes infinities and huge values negative: the same error here. */
    if (isinf(ms_ld) || ms_ld >= 9223372036854775807.0L || ms_ld < -9223372036854775807.0L ||
        ms_ld < 0) {
        reply_error(c, "ERR timeout is negative");
        return 0;
    }
    long long ms = (long long)ms_ld;
    if (ms > 0 && ms > LLONG_MAX - c->srv->mstime) {
        reply_error(c, "ERR timeout is out of range");
        return 0;
    }
    *timeout_ms = ms > 0 ? c->srv->mstime + ms : 0;
    return 1;
}

static void blocking_reply_timeout(client *c, int kind)
{
    if (kind == BLOCK_REPLY_NIL)
        reply_nil(c);
    else
        reply_nil_array(c);
}

void blocking_reply_timeout_of(client *c)
{
    blocking_reply_timeout(c, c->bstate->timeout_reply);
}

static void blocking_on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    client *c = w->data;
    blocking_reply_timeout(c, c->bstate->timeout_reply);
    blocking_unblock(c, UNBLOCK_TIMEOUT);
}

/* ------------------------------------------------------------------ block */

void blocking_block(client *c, int nkeys, const resp_arg *keys, int64_t timeout_ms,
                    int timeout_reply)
{
    /* Inside EXEC (and for connection-less clients) waiting is impossible:
     * the command behaves as if it had timed out. */
    if ((c->flags & CLIENT_IN_EXEC) || !c->conn) {
        blocking_reply_timeout(c, timeout_reply);
        return;
    }
    if (c->flags & CLIENT_REPROCESSING) {
        /* Run again and still nothing: stay where we were in every queue. */
        c->bstate->reblocked = 1;
        return;
    }
    blocking_state *bs = calloc(1, sizeof(*bs));
    if (!bs)
        abort();
    bs->db = c->db;
    bs->timeout_ms = timeout_ms;
    bs->timeout_reply = timeout_reply;
    bs->argc = c->argc;
    bs->argv = malloc(sizeof(buf) * (size_t)c->argc);
    bs->argv_view = malloc(sizeof(resp_arg) * (size_t)c->argc);
    bs->keys = malloc(sizeof(buf) * (size_t)nkeys);
    if (!bs->argv || !bs->argv_view || !bs->keys)
        abort();
    for (int i = 0; i < c->argc; i++) {
        bs->argv[i] = buf_new(c->argv[i].ptr, c->argv[i].len);
        bs->argv_view[i].ptr = bs->argv[i];
        bs->argv_view[i].len = c->argv[i].len;
    }
    for (int i = 0; i < nkeys; i++) {
        /* A key named twice (BLPOP a a 0) is waited on once. */
        int dup = 0;
        for (int j = 0; j < bs->nkeys; j++)
            dup |= buf_eq(bs->keys[j], keys[i].ptr, keys[i].len);
        if (dup)
            continue;
        buf k = buf_new(keys[i].ptr, keys[i].len);
        bs->keys[bs->nkeys++] = k;
        client_vec *w = dict_fetch_value(c->db->blocking_keys, k);
        if (!w) {
            w = calloc(1, sizeof(*w));
            if (!w)
                abort();
            dict_add(c->db->blocking_keys, buf_dup(k), w);
        }
        client_vec_push(w, c);
    }
    c->bstate = bs;
    c->flags |= CLIENT_BLOCKED;
    blocked_count++;
    if (timeout_ms) {
        double after = (double)(timeout_ms - c->srv->mstime) / 1000.0;
        ev_timer_init(&bs->timer, blocking_on_timeout, after > 0 ? after : 0, 0);
        bs->timer.data = c;
        ev_timer_start(c->srv->loop, &bs->timer);
    }
}

void blocking_unblock(client *c, int reason)
{
    blocking_state *bs = c->bstate;
    if (!bs) {
        if (reason == UNBLOCK_DISCONNECT && (c->flags & CLIENT_UNBLOCKED)) {
            client_vec_remove(&unblocked, c);
            c->flags &= ~CLIENT_UNBLOCKED;
        }
        return;
    }
    for (int i = 0; i < bs->nkeys; i++) {
        client_vec *w = dict_fetch_value(bs->db->blocking_keys, bs->keys[i]);
        if (w) {
            client_vec_remove(w, c);
            if (w->len == 0)
                dict_delete(bs->db->blocking_keys, bs->keys[i]);
        }
        buf_free(bs->keys[i]);
    }
    if (bs->timeout_ms)
        ev_timer_stop(c->srv->loop, &bs->timer);
    for (int i = 0; i < bs->argc; i++)
        buf_free(bs->argv[i]);
    free(bs->argv);
    free(bs->argv_view);
    free(bs->keys);
    free(bs);
    c->bstate = NULL;
    c->flags &= ~CLIENT_BLOCKED;
    blocked_count--;
    if (reason == UNBLOCK_DISCONNECT) {
        if (c->flags & CLIENT_UNBLOCKED) {
            client_vec_remove(&unblocked, c);
            c->flags &= ~CLIENT_UNBLOCKED;
        }
        return;
    }
    /* Its next commands may already be waiting in the query buffer. */
    if (!(c->flags & CLIENT_UNBLOCKED)) {
        c->flags |= CLIENT_UNBLOCKED;
        client_vec_push(&unblocked, c);
    }
}

/* ------------------------------------------------------------------ ready */

void blocking_signal_key_ready(server *s, keel_db *db, const void *key, size_t len)
{
    (void)s;
    if (!db->blocking_keys || !waiters_of(db, key, len))
        return;
    for (size_t i = 0; i < ready_len; i++)
        if (ready_keys[i].db == db && buf_eq(ready_keys[i].key, key, len))
            return;
    if (ready_len == ready_cap) {
        ready_cap = ready_cap ? ready_cap * 2 : 16;
        ready_keys = realloc(ready_keys, ready_cap * sizeof(*ready_keys));
        if (!ready_keys)
            abort();
    }
    ready_keys[ready_len].db = db;
    ready_keys[ready_len].key = buf_new(key, len);
    ready_len++;
}

void blocking_scan_db_for_ready_keys(server *s, keel_db *db)
{
    if (dict_size(db->blocking_keys) == 0)
        return;
    dict_iter it;
    dict_iter_init(&it, db->blocking_keys, 1);
    for (dict_entry *e; (e = dict_iter_next(&it));) {
        buf k = e->key;
        kobj *o = db_lookup_quiet(db, k, buf_len(k));
        if (o && (o->type == OBJ_LIST || o->type == OBJ_ZSET))
            blocking_signal_key_ready(s, db, k, buf_len(k));
    }
    dict_iter_release(&it);
}

/* Run a blocked client's command again.  Returns 1 if it was served. */
static int blocking_rerun(server *s, client *c)
{
    blocking_state *bs = c->bstate;
    client *saved = s->current_client;
    bs->reblocked = 0;
    c->argc = bs->argc;
    c->argv = bs->argv_view;
    c->flags |= CLIENT_REPROCESSING;
    s->current_client = c;
    command_call(c);
    s->current_client = saved;
    c->flags &= ~CLIENT_REPROCESSING;
    client_reset_command(c);
    if (bs->reblocked)
        return 0;
    blocking_unblock(c, UNBLOCK_SERVED);
    return 1;
}

/* Serve waiters of every ready key, oldest first, while the key has data.
 * Serving may make more keys ready (BLMOVE pushes to its destination), so
 * this loops until nothing is left. */
void blocking_handle_ready_keys(server *s)
{
    while (ready_len) {
        ready_key *batch = ready_keys;
        size_t n = ready_len;
        ready_keys = NULL;
        ready_len = ready_cap = 0;
        for (size_t i = 0; i < n; i++) {
            keel_db *db = batch[i].db;
            buf key = batch[i].key;
            client_vec *w = waiters_of(db, key, buf_len(key));
            /* Snapshot: serving removes clients from the list. */
            size_t count = w ? w->len : 0;
            client **order = count ? malloc(count * sizeof(client *)) : NULL;
            if (count)
                memcpy(order, w->v, count * sizeof(client *));
            for (size_t j = 0; j < count; j++) {
                kobj *o = db_lookup_quiet(db, key, buf_len(key));
                if (!o || db_key_is_expired(s, db, key, buf_len(key)))
                    break;
                client *c = order[j];
                /* Still waiting on this key? (an earlier re-run may have served it) */
                if (!(c->flags & CLIENT_BLOCKED) || c->bstate->db != db)
                    continue;
                blocking_rerun(s, c);
            }
            free(order);
            buf_free(key);
        }
        free(batch);
    }
}

/* Clients just unblocked go back to reading their query buffer, which may
 * hold further pipelined commands. */
void blocking_process_unblocked(server *s)
{
    while (unblocked.len) {
        client *c = unblocked.v[0];
        client_vec_remove(&unblocked, c);
        c->flags &= ~CLIENT_UNBLOCKED;
        if (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_BLOCKED))
            continue;
        client_process_input(c);
    }
    (void)s;
}
