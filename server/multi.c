/* multi: transactions.  MULTI starts queueing (each queued command is
 * copied, since the query buffer moves on), EXEC runs the queue in one go,
 * DISCARD drops it.  WATCH records keys per database; any change to one of
 * them (from any client, by expiry, by FLUSHDB/FLUSHALL/SWAPDB) marks the
 * watching clients dirty, and their EXEC then fails with a null reply. */
#include <stdlib.h>
#include <string.h>

#include "server.h"

typedef struct queued_cmd {
    int argc;
    buf *argv;
} queued_cmd;

typedef struct watched_key {
    keel_db *db;
    buf key;
    int expired; /* the key was already logically expired when WATCHed */
} watched_key;

typedef struct multi_state {
    queued_cmd *cmds;
    int count, cap;
    int executing; /* commands in the EXEC now running (CLIENT LIST multi=) */
    watched_key *watched;
    int nwatched, wcap;
} multi_state;

static void exec_command(client *c);

static multi_state *multi_state_of(client *c)
{
    if (!c->mstate) {
        c->mstate = calloc(1, sizeof(multi_state));
        if (!c->mstate)
            abort();
    }
    return c->mstate;
}

/* ------------------------------------------------------------ watched keys */

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

static void watchers_free(void *v)
{
    client_vec_free(v);
    free(v);
}

static const dict_type watched_dict_type = {key_hash, key_equal, key_free, watchers_free};

void multi_init_db(keel_db *db)
{
    db->watched_keys = dict_create(&watched_dict_type);
}

void multi_free_db(keel_db *db)
{
    if (db->watched_keys)
        dict_release(db->watched_keys);
    db->watched_keys = NULL;
}

static void multi_watch_key(client *c, const resp_arg *key)
{
    multi_state *ms = multi_state_of(c);
    for (int i = 0; i < ms->nwatched; i++)
        if (ms->watched[i].db == c->db && buf_eq(ms->watched[i].key, key->ptr, key->len))
            return;
    buf k = buf_new(key->ptr, key->len);
    client_vec *w = dict_fetch_value(c->db->watched_keys, k);
    if (!w) {
        w = calloc(1, sizeof(*w));
        if (!w)
            abort();
        dict_add(c->db->watched_keys, buf_dup(k), w);
    }
    client_vec_push(w, c);
    if (ms->nwatched == ms->wcap) {
        ms->wcap = ms->wcap ? ms->wcap * 2 : 4;
        ms->watched = realloc(ms->watched, (size_t)ms->wcap * sizeof(watched_key));
        if (!ms->watched)
            abort();
    }
    watched_key *wk = &ms->watched[ms->nwatched++];
    wk->db = c->db;
    wk->key = k;
    wk->expired = db_key_is_expired(c->srv, c->db, key->ptr, key->len);
}

static void multi_unwatch_all(client *c)
{
    multi_state *ms = c->mstate;
    if (!ms)
        return;
    for (int i = 0; i < ms->nwatched; i++) {
        watched_key *wk = &ms->watched[i];
        client_vec *w = dict_fetch_value(wk->db->watched_keys, wk->key);
        if (w) {
            client_vec_remove(w, c);
            if (w->len == 0)
                dict_delete(wk->db->watched_keys, wk->key);
        }
        buf_free(wk->key);
    }
    ms->nwatched = 0;
}

static watched_key *multi_find_watched(client *c, keel_db *db, const void *key, size_t len)
{
    multi_state *ms = c->mstate;
    for (int i = 0; ms && i < ms->nwatched; i++)
        if (ms->watched[i].db == db && buf_eq(ms->watched[i].key, key, len))
            return &ms->watched[i];
    return NULL;
}

/* A watched key changed.  One exception, as Redis: a key that was already
 * expired when WATCHed and is now simply gone has not logically changed. */
void multi_touch_key(server *s, keel_db *db, const void *key, size_t len)
{
    (void)s;
    if (!db->watched_keys || dict_size(db->watched_keys) == 0 || !key)
        return;
    buf k = buf_new(key, len);
    client_vec *w = dict_fetch_value(db->watched_keys, k);
    buf_free(k);
    for (size_t i = 0; w && i < w->len; i++) {
        client *c = w->v[i];
        watched_key *wk = multi_find_watched(c, db, key, len);
        if (wk && wk->expired) {
            if (!db_lookup_quiet(db, key, len)) {
                wk->expired = 0;
                continue;
            }
        }
        c->flags |= CLIENT_DIRTY_CAS;
    }
}

void multi_touch_all_keys(server *s, keel_db *emptied, keel_db *replaced_with)
{
    if (!emptied->watched_keys || dict_size(emptied->watched_keys) == 0)
        return;
    dict_iter it;
    dict_iter_init(&it, emptied->watched_keys, 0);
    for (dict_entry *e; (e = dict_iter_next(&it));) {
        buf k = e->key;
        size_t len = buf_len(k);
        int in_emptied = db_lookup_quiet(emptied, k, len) != NULL;
        int in_replacement = replaced_with && db_lookup_quiet(replaced_with, k, len) != NULL;
        if (!in_emptied && !in_replacement)
            continue;
        int replacement_expired = in_replacement && db_key_is_expired(s, replaced_with, k, len);
        client_vec *w = e->v.val;
        for (size_t i = 0; i < w->len; i++) {
            client *c = w->v[i];
            watched_key *wk = multi_find_watched(c, emptied, k, len);
            /* Redis's rules for keys that were already expired: gone with
             * nothing in its place, or replaced by another expired key, is
             * no change; a missing key replaced by an expired one is now
             * watched as expired. */
            if (wk && wk->expired) {
                if (!in_replacement) {
                    wk->expired = 0;
                    continue;
                }
                if (replacement_expired)
                    continue;
            } else if (wk && !in_emptied && replacement_expired) {
                wk->expired = 1;
                continue;
            }
            c->flags |= CLIENT_DIRTY_CAS;
        }
    }
    dict_iter_release(&it);
}

/* At EXEC: a watched key that has expired since WATCH counts as changed,
 * even if nothing has deleted it yet. */
static int multi_watched_key_expired(client *c)
{
    multi_state *ms = c->mstate;
    for (int i = 0; ms && i < ms->nwatched; i++) {
        watched_key *wk = &ms->watched[i];
        if (!wk->expired && db_key_is_expired(c->srv, wk->db, wk->key, buf_len(wk->key)))
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ queue */

static void multi_discard_queue(client *c)
{
    multi_state *ms = c->mstate;
    if (ms) {
        for (int i = 0; i < ms->count; i++) {
            for (int j = 0; j < ms->cmds[i].argc; j++)
                buf_free(ms->cmds[i].argv[j]);
            free(ms->cmds[i].argv);
        }
        ms->count = 0;
    }
    c->flags &= ~(CLIENT_MULTI | CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC);
}

int multi_queued_count(const client *c)
{
    if (!(c->flags & CLIENT_MULTI))
        return -1;
    if (c->flags & CLIENT_IN_EXEC)
        return c->mstate->executing;
    return c->mstate ? c->mstate->count : 0;
}

int multi_is_exec(const command *cmd)
{
    return cmd->proc == exec_command;
}

void multi_exec_abort(client *c, const char *why)
{
    multi_discard_queue(c);
    multi_unwatch_all(c);
    reply_errorf(c, "EXECABORT Transaction discarded because of: %s", why);
}

void multi_free_client(client *c)
{
    if (!c->mstate)
        return;
    multi_discard_queue(c);
    multi_unwatch_all(c);
    free(c->mstate->cmds);
    free(c->mstate->watched);
    free(c->mstate);
    c->mstate = NULL;
}

/* Called by command_call once the command is known to exist, have the right
 * arity and be allowed: inside MULTI, everything but the transaction
 * commands themselves is queued. */
int multi_queue_if_needed(client *c)
{
    if ((c->flags & (CLIENT_MULTI | CLIENT_IN_EXEC)) != CLIENT_MULTI)
        return 0;
    command_proc *p = c->cmd->proc;
    const char *name = c->cmd->parent ? NULL : c->cmd->name;
    if (name && (!strcmp(name, "exec") || !strcmp(name, "discard") || !strcmp(name, "multi") ||
                 !strcmp(name, "watch") || !strcmp(name, "quit") || !strcmp(name, "reset")))
        return 0;
    (void)p;
    if (c->cmd->flags & CMD_NO_MULTI) {
        c->flags |= CLIENT_DIRTY_EXEC;
        reply_error(c, "ERR Command not allowed inside a transaction");
        return 1;
    }
    multi_state *ms = multi_state_of(c);
    if (ms->count == ms->cap) {
        ms->cap = ms->cap ? ms->cap * 2 : 8;
        ms->cmds = realloc(ms->cmds, (size_t)ms->cap * sizeof(queued_cmd));
        if (!ms->cmds)
            abort();
    }
    queued_cmd *q = &ms->cmds[ms->count++];
    q->argc = c->argc;
    q->argv = malloc(sizeof(buf) * (size_t)c->argc);
    if (!q->argv)
        abort();
    for (int i = 0; i < c->argc; i++)
        q->argv[i] = buf_new(c->argv[i].ptr, c->argv[i].len);
    reply_simple(c, "QUEUED");
    return 1;
}

/* --------------------------------------------------------------- commands */

static void multi_command(client *c)
{
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "ERR MULTI calls can not be nested");
        return;
    }
    multi_state_of(c);
    c->flags |= CLIENT_MULTI;
    reply_ok(c);
}

static void discard_command(client *c)
{
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "ERR DISCARD without MULTI");
        return;
    }
    multi_discard_queue(c);
    multi_unwatch_all(c);
    reply_ok(c);
}

static void exec_command(client *c)
{
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "ERR EXEC without MULTI");
        return;
    }
    if (c->flags & CLIENT_DIRTY_EXEC) {
        reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
        multi_discard_queue(c);
        multi_unwatch_all(c);
        return;
    }
    if ((c->flags & CLIENT_DIRTY_CAS) || multi_watched_key_expired(c)) {
        reply_nil_array(c);
        multi_discard_queue(c);
        multi_unwatch_all(c);
        return;
    }
    /* The queue is taken out of the client first: nothing it runs may touch it. */
    multi_unwatch_all(c);
    multi_state *ms = c->mstate;
    queued_cmd *cmds = ms->cmds;
    int count = ms->count;
    ms->cmds = NULL;
    ms->count = ms->cap = 0;
    ms->executing = count;
    /* The client stays in MULTI while EXEC runs (CLIENT LIST shows x and
     * multi=N, as Redis); IN_EXEC keeps the commands from being queued. */

    const command *exec_cmd = c->cmd;
    int argc = c->argc;
    resp_arg *argv = c->argv;
    reply_array_len(c, count);
    c->flags |= CLIENT_IN_EXEC;
    for (int i = 0; i < count; i++) {
        resp_arg view[16],
            *args = cmds[i].argc <= 16 ? view : malloc(sizeof(resp_arg) * (size_t)cmds[i].argc);
        for (int j = 0; j < cmds[i].argc; j++) {
            args[j].ptr = cmds[i].argv[j];
            args[j].len = buf_len(cmds[i].argv[j]);
        }
        c->argc = cmds[i].argc;
        c->argv = args;
        command_call(c);
        if (args != view)
            free(args);
        for (int j = 0; j < cmds[i].argc; j++)
            buf_free(cmds[i].argv[j]);
        free(cmds[i].argv);
    }
    free(cmds);
    ms->executing = 0;
    c->flags &= ~(CLIENT_MULTI | CLIENT_IN_EXEC | CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC);
    c->cmd = exec_cmd;
    c->argc = argc;
    c->argv = argv;
}

static void watch_command(client *c)
{
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    for (int i = 1; i < c->argc; i++)
        multi_watch_key(c, &c->argv[i]);
    reply_ok(c);
}

static void unwatch_command(client *c)
{
    multi_unwatch_all(c);
    c->flags &= ~CLIENT_DIRTY_CAS;
    reply_ok(c);
}

command multi_commands[] = {
    {"multi", multi_command, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY,
     0, 0, 0, "transactions", "Mark the start of a transaction block", "1.2.0"},
    {"exec", exec_command, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SKIP_MONITOR, 0, 0, 0,
     "transactions", "Execute all commands issued after MULTI", "1.2.0"},
    {"discard", discard_command, 1,
     CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY, 0, 0, 0, "transactions",
     "Discard all commands issued after MULTI", "2.0.0"},
    {"watch", watch_command, -2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY,
     1, -1, 1, "transactions",
     "Watch the given keys to determine execution of the MULTI/EXEC block", "2.2.0"},
    {"unwatch", unwatch_command, 1,
     CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY, 0, 0, 0, "transactions",
     "Forget about all watched keys", "2.2.0"},
    {0},
};
