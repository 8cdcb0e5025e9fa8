/* db: the keyspace.  Sixteen (configurable) databases, each a dict of keys
 * to objects plus a dict of keys to absolute expiry times in milliseconds.
 * Expiry is lazy (a key is checked whenever it is looked up) and active (a
 * time-boxed cycle walks the expires dict with a cursor, so expired keys go
 * away even when nobody touches them). */
#include <stdlib.h>
#include <string.h>

#include "pause.h"
#include "replication.h"
#include "server.h"

/* ------------------------------------------------------------- dict types */

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

static const dict_type keyspace_dict_type = {key_hash, key_equal, key_free, obj_free_value};
/* The expires dict shares its key bufs with the keyspace dict. */
static const dict_type expires_dict_type = {key_hash, key_equal, NULL, NULL};

/* Lookups arrive with the key as bytes inside the request.  Stored keys are
 * bufs, so the lookup key is laid out as a buf in stack memory (heap only for
 * keys of over 500 bytes), which keeps GET free of any allocation. */
typedef struct key_probe {
    _Alignas(16) char mem[512];
    buf b;
    int on_heap;
} key_probe;

static buf probe_init(key_probe *p, const void *key, size_t len)
{
    if (buf_embed_size(len) <= sizeof(p->mem)) {
        p->on_heap = 0;
        p->b = buf_embed(p->mem, key, len);
    } else {
        p->on_heap = 1;
        p->b = buf_new(key, len);
    }
    return p->b;
}

static void probe_release(key_probe *p)
{
    if (p->on_heap)
        buf_free(p->b);
}

static dict_entry *db_find_entry(keel_db *db, const void *key, size_t len)
{
    key_probe p;
    dict_entry *e = dict_find(db->keys, probe_init(&p, key, len));
    probe_release(&p);
    return e;
}

static dict_entry *db_find_expire_entry(keel_db *db, const void *key, size_t len)
{
    if (dict_size(db->expires) == 0)
        return NULL;
    key_probe p;
    dict_entry *e = dict_find(db->expires, probe_init(&p, key, len));
    probe_release(&p);
    return e;
}

/* --------------------------------------------------------------- lifetime */

/* The server the databases belong to, for the events db_add raises. */
static server *db_server;

void db_init_all(server *s)
{
    db_server = s;
    s->db = calloc((size_t)s->cfg.databases, sizeof(keel_db));
    if (!s->db)
        abort();
    for (int i = 0; i < s->cfg.databases; i++) {
        s->db[i].keys = dict_create(&keyspace_dict_type);
        s->db[i].expires = dict_create(&expires_dict_type);
        s->db[i].id = i;
        blocking_init_db(&s->db[i]);
        multi_init_db(&s->db[i]);
    }
}

void db_free_all(server *s)
{
    if (!s->db)
        return;
    for (int i = 0; i < s->cfg.databases; i++) {
        dict_release(s->db[i].expires);
        dict_release(s->db[i].keys);
        blocking_free_db(&s->db[i]);
        multi_free_db(&s->db[i]);
    }
    free(s->db);
    s->db = NULL;
}

int db_select(client *c, long long id)
{
    if (id < 0 || id >= c->srv->cfg.databases)
        return -1;
    c->db = &c->srv->db[id];
    return 0;
}

long long db_size(const keel_db *db)
{
    return (long long)dict_size(db->keys);
}

/* ----------------------------------------------------------------- expiry */

int64_t db_get_expire(keel_db *db, const void *key, size_t len)
{
    dict_entry *e = db_find_expire_entry(db, key, len);
    return e ? e->v.s64 : -1;
}

void db_set_expire(client *c, keel_db *db, const void *key, size_t len, int64_t when_ms)
{
    /* The expires dict reuses the keyspace's key buf, so the key must exist. */
    dict_entry *ke = db_find_entry(db, key, len);
    if (!ke)
        return;
    dict_entry *existing = NULL;
    dict_entry *e = dict_add_raw(db->expires, ke->key, &existing);
    (e ? e : existing)->v.s64 = when_ms;
}

int db_remove_expire(keel_db *db, const void *key, size_t len)
{
    if (dict_size(db->expires) == 0)
        return 0;
    key_probe p;
    int rc = dict_delete(db->expires, probe_init(&p, key, len)) == DICT_OK;
    probe_release(&p);
    return rc;
}

int db_key_is_expired(server *s, keel_db *db, const void *key, size_t len)
{
    /* While loading, later commands in the file may still use the key:
     * it expires once loading is over. */
    if (s->loading)
        return 0;
    dict_entry *e = db_find_expire_entry(db, key, len);
    return e && s->mstime > e->v.s64;
}

/* Delete an expired key the way every expiry path must: count it, tell
 * keyspace subscribers, and send a DEL down the propagation point so that
 * replicas and the AOF forget it at the same moment. */
static void db_expire_key(server *s, keel_db *db, const void *key, size_t len)
{
    buf k = buf_new(key, len); /* key may point into the entry we delete */
    if (s->cfg.lazyfree_lazy_expire)
        db_delete_async(NULL, db, k, len);
    else
        db_delete(NULL, db, k, len);
    s->stats.expiredkeys++;
    multi_touch_key(s, db, k, len);
    notify_keyspace_event(s, NOTIFY_EXPIRED, "expired", k, len, db->id);
    resp_arg argv[2] = {{"DEL", 3}, {k, len}};
    propagate_command(s, db->id, 2, argv);
    buf_free(k);
}

int db_expire_if_needed(client *c, keel_db *db, const void *key, size_t len)
{
    server *s = c->srv;
    if (!db_key_is_expired(s, db, key, len))
        return 0;
    /* A replica leaves expiry to its primary (a DEL comes down the stream):
     * the primary's commands still see the key, readers do not. */
    if (replication_is_replica(s) && !(c->flags & CLIENT_MASTER) &&
        !(c->cmd && (c->cmd->flags & CMD_WRITE)))
        return 1;
    if (replication_is_replica(s) && (c->flags & CLIENT_MASTER))
        return 0;
    if (pause_in_effect()) /* CLIENT PAUSE, the stall fence: hidden, deleted later */
        return 1;
    db_expire_key(s, db, key, len);
    return 1;
}

typedef struct expire_scan {
    server *s;
    int64_t now;
    buf expired[64];
    int nexpired;
    long long sampled;
    long long ttl_sum, ttl_samples;
} expire_scan;

static void expire_scan_entry(void *priv, const dict_entry *e)
{
    expire_scan *st = priv;
    st->sampled++;
    int64_t ttl = e->v.s64 - st->now;
    if (ttl < 0) {
        if (st->nexpired < (int)(sizeof(st->expired) / sizeof(st->expired[0])))
            st->expired[st->nexpired++] = buf_dup(e->key);
    } else {
        st->ttl_sum += ttl;
        st->ttl_samples++;
    }
}

/* The active expiry cycle.  Slow cycles run from the cron and may take up to
 * 25% of a cron period; fast cycles run before the loop sleeps and take at
 * most 1 ms.  Each database's expires dict is walked with a persistent SCAN
 * cursor, 20+ keys at a time, and a database is revisited while more than
 * ~10% of what was sampled had expired (fewer with a higher
 * active-expire-effort), so memory held by dead keys stays bounded. */
void db_active_expire_cycle(server *s, int fast)
{
    if (s->loading || replication_is_replica(s)) /* the primary expires for us */
        return;
    static int next_db;
    static int64_t last_fast_us;
    int effort = s->cfg.active_expire_effort - 1; /* 0..9 */
    long long keys_per_loop = 20 + 20 / 4 * effort;
    long long acceptable_stale = 10 - effort;
    int64_t start = (int64_t)util_monotonic_us();
    int64_t limit_us;
    if (fast) {
        if (start - last_fast_us < 2000)
            return;
        last_fast_us = start;
        limit_us = 1000 + 250 * effort;
    } else {
        limit_us = (int64_t)(250000 + 25000 * effort) / (s->cfg.hz > 0 ? s->cfg.hz : 10);
    }

    int dbs = s->cfg.databases < 16 ? s->cfg.databases : 16;
    int timelimit_hit = 0;
    long long total_sampled = 0, total_expired = 0;
    for (int j = 0; j < dbs && !timelimit_hit; j++) {
        keel_db *db = &s->db[next_db % s->cfg.databases];
        next_db++;
        int iterations = 0;
        for (;;) {
            if (dict_size(db->expires) == 0) {
                db->avg_ttl = 0;
                break;
            }
            expire_scan st = {.s = s, .now = s->mstime};
            long long budget = keys_per_loop;
            int buckets = 0;
            do {
                db->expires_cursor =
                    dict_scan(db->expires, db->expires_cursor, expire_scan_entry, &st);
                buckets++;
            } while (db->expires_cursor && st.sampled < budget && buckets < budget * 20 &&
                     st.nexpired < 48);
            total_sampled += st.sampled;
            total_expired += st.nexpired;
            for (int i = 0; i < st.nexpired; i++) {
                /* Re-check: expiry is decided on the same clock the scan used. */
                if (db_key_is_expired(s, db, st.expired[i], buf_len(st.expired[i])))
                    db_expire_key(s, db, st.expired[i], buf_len(st.expired[i]));
                buf_free(st.expired[i]);
            }
            if (st.ttl_samples) {
                long long avg = st.ttl_sum / st.ttl_samples;
                db->avg_ttl = db->avg_ttl ? (db->avg_ttl / 50) * 49 + avg / 50 : avg;
            }
            if ((++iterations & 15) == 0 && (int64_t)util_monotonic_us() - start > limit_us) {
                timelimit_hit = 1;
                s->stats.expired_time_cap_reached++;
                break;
            }
            if (st.sampled == 0 || st.nexpired * 100 <= st.sampled * acceptable_stale)
                break;
        }
    }
    /* INFO's expired_stale_perc: a slow-moving average of the share of
     * sampled keys that had already expired. */
    double current = total_sampled ? (double)total_expired / (double)total_sampled : 0;
    s->stats.expired_stale_perc = current * 0.05 + s->stats.expired_stale_perc * 0.95;
}

/* ---------------------------------------------------------------- lookups */

kobj *db_lookup_quiet(keel_db *db, const void *key, size_t len)
{
    dict_entry *e = db_find_entry(db, key, len);
    return e ? e->v.val : NULL;
}

static kobj *db_lookup(client *c, const resp_arg *key, int count_stats)
{
    server *s = c->srv;
    keel_db *db = c->db;
    kobj *o = NULL;
    if (!db_expire_if_needed(c, db, key->ptr, key->len))
        o = db_lookup_quiet(db, key->ptr, key->len);
    if (count_stats) {
        if (o) {
            s->stats.keyspace_hits++;
        } else {
            s->stats.keyspace_misses++;
            notify_keyspace_event(s, NOTIFY_KEY_MISS, "keymiss", key->ptr, key->len, db->id);
        }
    }
    if (o)
        o->lru = obj_lru_clock();
    return o;
}

kobj *db_lookup_read(client *c, const resp_arg *key)
{
    return db_lookup(c, key, 1);
}
kobj *db_lookup_write(client *c, const resp_arg *key)
{
    return db_lookup(c, key, 0);
}

/* ----------------------------------------------------------------- writes */

void db_add(keel_db *db, const void *key, size_t len, kobj *val)
{
    buf k = buf_new(key, len);
    if (dict_add(db->keys, k, val) != DICT_OK)
        abort(); /* callers check for absence first: a duplicate is a bug */
    /* Only a new list or sorted set can end a blocked client's wait: a
     * client blocks only while its keys are missing. */
    if (val->type == OBJ_LIST || val->type == OBJ_ZSET)
        blocking_signal_key_ready(NULL, db, k, len);
    notify_keyspace_event(db_server, NOTIFY_NEW, "new", k, len, db->id);
}

void db_overwrite(keel_db *db, const void *key, size_t len, kobj *val)
{
    dict_entry *e = db_find_entry(db, key, len);
    kobj *old = e->v.val;
    e->v.val = val;
    obj_decr_ref(old);
}

void db_set(client *c, keel_db *db, const void *key, size_t len, kobj *val, int keep_ttl)
{
    dict_entry *e = db_find_entry(db, key, len);
    if (e) {
        kobj *old = e->v.val;
        e->v.val = val;
        if (c && c->srv->cfg.lazyfree_lazy_server_del)
            lazyfree_free_object(old);
        else
            obj_decr_ref(old);
        if (!keep_ttl)
            db_remove_expire(db, key, len);
    } else {
        db_add(db, key, len, val);
    }
}

int db_delete(client *c, keel_db *db, const void *key, size_t len)
{
    key_probe p;
    buf k = probe_init(&p, key, len);
    /* The expires entry shares the key buf: remove it before the key is freed. */
    if (dict_size(db->expires))
        dict_delete(db->expires, k);
    int rc = dict_delete(db->keys, k) == DICT_OK;
    probe_release(&p);
    return rc;
}

int db_delete_async(client *c, keel_db *db, const void *key, size_t len)
{
    key_probe p;
    buf k = probe_init(&p, key, len);
    if (dict_size(db->expires))
        dict_delete(db->expires, k);
    dict_entry *e = dict_unlink(db->keys, k);
    probe_release(&p);
    if (!e)
        return 0;
    kobj *val = e->v.val;
    e->v.val = NULL;
    dict_free_unlinked(db->keys, e);
    lazyfree_free_object(val);
    return 1;
}

long long db_flush(server *s, int dbid, int async)
{
    long long removed = 0;
    int from = dbid < 0 ? 0 : dbid, to = dbid < 0 ? s->cfg.databases - 1 : dbid;
    for (int i = from; i <= to; i++) {
        keel_db *db = &s->db[i];
        multi_touch_all_keys(s, db, NULL);
        removed += db_size(db);
        if (async && db_size(db) > 0) {
            /* The whole table goes to the background thread; a fresh one
             * takes its place at once. */
            lazyfree_free_dicts(db->keys, db->expires);
            db->keys = dict_create(&keyspace_dict_type);
            db->expires = dict_create(&expires_dict_type);
        } else {
            dict_empty(db->expires);
            dict_empty(db->keys);
        }
        db->avg_ttl = 0;
        db->expires_cursor = 0;
    }
    return removed;
}

int db_swap(server *s, int id1, int id2)
{
    if (id1 < 0 || id1 >= s->cfg.databases || id2 < 0 || id2 >= s->cfg.databases)
        return -1;
    keel_db *a = &s->db[id1], *b = &s->db[id2];
    multi_touch_all_keys(s, a, b);
    multi_touch_all_keys(s, b, a);
    /* Clients keep pointing at their database number; the data moves. */
    dict *k = a->keys, *e = a->expires;
    long long ttl = a->avg_ttl;
    a->keys = b->keys;
    a->expires = b->expires;
    a->avg_ttl = b->avg_ttl;
    b->keys = k;
    b->expires = e;
    b->avg_ttl = ttl;
    a->expires_cursor = b->expires_cursor = 0;
    /* Clients blocked in either database may now find their keys. */
    blocking_scan_db_for_ready_keys(s, a);
    blocking_scan_db_for_ready_keys(s, b);
    return 0;
}

void db_signal_modified(client *c, keel_db *db, const void *key, size_t len)
{
    multi_touch_key(c ? c->srv : NULL, db, key, len);
}
