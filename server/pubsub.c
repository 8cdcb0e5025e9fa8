/* pubsub: channels, patterns and shard channels.  SUBSCRIBE, PSUBSCRIBE,
 * SSUBSCRIBE and their UN- forms, PUBLISH, SPUBLISH and PUBSUB.
 *
 * The server side keeps, for each channel (and each pattern), the clients
 * subscribed to it in subscription order; each client keeps the set of its
 * own subscriptions, for the counts in replies and for cleaning up when it
 * goes.  Shard channels behave as plain channels in a namespace of their
 * own, as they do in Redis without cluster mode.  Keyspace notifications
 * (notify.c) publish through pubsub_publish like any client. */
#include <stdlib.h>
#include <string.h>

#include "server.h"

enum { KIND_CHANNEL, KIND_PATTERN, KIND_SHARD, KIND_COUNT };

typedef struct pubsub_state {
    dict *subs[KIND_COUNT]; /* this client's channels / patterns / shard channels */
} pubsub_state;

static dict *subscribers[KIND_COUNT]; /* name -> client_vec of subscribers */

static const char *const subscribe_word[KIND_COUNT] = {"subscribe", "psubscribe", "ssubscribe"};
static const char *const unsubscribe_word[KIND_COUNT] = {"unsubscribe", "punsubscribe",
                                                         "sunsubscribe"};

/* ------------------------------------------------------------ dict types */

static uint64_t name_hash(const void *k)
{
    return dict_hash_bytes(k, buf_len((const buf)k));
}

static int name_equal(const void *a, const void *b)
{
    size_t la = buf_len((const buf)a);
    return la == buf_len((const buf)b) && memcmp(a, b, la) == 0;
}

static void name_free(void *k)
{
    buf_free(k);
}

static void vec_free(void *v)
{
    client_vec_free(v);
    free(v);
}

static const dict_type subscribers_dict_type = {name_hash, name_equal, name_free, vec_free};
static const dict_type client_subs_dict_type = {name_hash, name_equal, name_free, NULL};

static dict *subscribers_of(int kind)
{
    if (!subscribers[kind])
        subscribers[kind] = dict_create(&subscribers_dict_type);
    return subscribers[kind];
}

static pubsub_state *pubsub_state_of(client *c)
{
    if (!c->pstate) {
        c->pstate = calloc(1, sizeof(pubsub_state));
        if (!c->pstate)
            abort();
        for (int k = 0; k < KIND_COUNT; k++)
            c->pstate->subs[k] = dict_create(&client_subs_dict_type);
    }
    return c->pstate;
}

static long long pubsub_count(const client *c, int kind)
{
    return c->pstate ? (long long)dict_size(c->pstate->subs[kind]) : 0;
}

/* Channels and patterns share a count in replies; shard channels have
 * their own. */
static long long pubsub_reply_count(const client *c, int kind)
{
    if (kind == KIND_SHARD)
        return pubsub_count(c, KIND_SHARD);
    return pubsub_count(c, KIND_CHANNEL) + pubsub_count(c, KIND_PATTERN);
}

long long pubsub_client_subscriptions(const client *c)
{
    return pubsub_count(c, KIND_CHANNEL) + pubsub_count(c, KIND_PATTERN) +
           pubsub_count(c, KIND_SHARD);
}

long long pubsub_client_count(const client *c, char which)
{
    return pubsub_count(c, which == 'p' ? KIND_PATTERN : which == 's' ? KIND_SHARD : KIND_CHANNEL);
}

/* ------------------------------------------------------ (un)subscription */

static void pubsub_reply_event(client *c, const char *word, const void *name, size_t len,
                               long long count)
{
    reply_array_len(c, 3);
    reply_bulk_cstr(c, word);
    if (name)
        reply_bulk(c, name, len);
    else
        reply_nil(c);
    reply_int(c, count);
}

static void pubsub_subscribe(client *c, int kind, const void *name, size_t len)
{
    pubsub_state *ps = pubsub_state_of(c);
    buf key = buf_new(name, len);
    if (dict_add(ps->subs[kind], key, NULL) == DICT_OK) {
        dict *d = subscribers_of(kind);
        client_vec *v = dict_fetch_value(d, key);
        if (!v) {
            v = calloc(1, sizeof(*v));
            if (!v)
                abort();
            dict_add(d, buf_dup(key), v);
        }
        client_vec_push(v, c);
    } else {
        buf_free(key);
    }
    pubsub_reply_event(c, subscribe_word[kind], name, len, pubsub_reply_count(c, kind));
}

/* Remove one subscription; replies only if notify. Returns 1 if it existed. */
static int pubsub_unsubscribe(client *c, int kind, const void *name, size_t len, int notify)
{
    int existed = 0;
    buf key = buf_new(name, len);
    if (c->pstate && dict_delete(c->pstate->subs[kind], key) == DICT_OK) {
        existed = 1;
        dict *d = subscribers_of(kind);
        client_vec *v = dict_fetch_value(d, key);
        if (v) {
            client_vec_remove(v, c);
            if (v->len == 0)
                dict_delete(d, key);
        }
    }
    if (notify)
        pubsub_reply_event(c, unsubscribe_word[kind], name, len, pubsub_reply_count(c, kind));
    buf_free(key);
    return existed;
}

/* Unsubscribe from everything of one kind, one reply per subscription, or
 * a single reply with a nil name when there was nothing. */
static void pubsub_unsubscribe_all(client *c, int kind, int notify)
{
    long long removed = 0;
    while (c->pstate && dict_size(c->pstate->subs[kind])) {
        dict_entry *e = dict_random_entry(c->pstate->subs[kind]);
        buf name = buf_dup(e->key);
        pubsub_unsubscribe(c, kind, name, buf_len(name), notify);
        buf_free(name);
        removed++;
    }
    if (notify && removed == 0)
        pubsub_reply_event(c, unsubscribe_word[kind], NULL, 0, pubsub_reply_count(c, kind));
}

void pubsub_free_client(client *c)
{
    if (!c->pstate)
        return;
    for (int k = 0; k < KIND_COUNT; k++) {
        pubsub_unsubscribe_all(c, k, 0);
        dict_release(c->pstate->subs[k]);
    }
    free(c->pstate);
    c->pstate = NULL;
}

/* --------------------------------------------------------------- publish */

static void pubsub_deliver(client *c, int kind, const char *pattern, size_t plen,
                           const char *channel, size_t clen, const char *msg, size_t mlen)
{
    if (kind == KIND_PATTERN) {
        reply_array_len(c, 4);
        reply_bulk(c, "pmessage", 8);
        reply_bulk(c, pattern, plen);
    } else {
        reply_array_len(c, 3);
        if (kind == KIND_SHARD)
            reply_bulk(c, "smessage", 8);
        else
            reply_bulk(c, "message", 7);
    }
    reply_bulk(c, channel, clen);
    reply_bulk(c, msg, mlen);
}

static long long pubsub_publish_kind(int kind, const char *channel, size_t clen, const char *msg,
                                     size_t mlen)
{
    long long receivers = 0;
    dict *d = subscribers[kind];
    if (d && dict_size(d)) {
        buf key = buf_new(channel, clen);
        client_vec *v = dict_fetch_value(d, key);
        buf_free(key);
        for (size_t i = 0; v && i < v->len; i++) {
            pubsub_deliver(v->v[i], kind, NULL, 0, channel, clen, msg, mlen);
            receivers++;
        }
    }
    if (kind != KIND_CHANNEL)
        return receivers;
    d = subscribers[KIND_PATTERN];
    if (!d || dict_size(d) == 0)
        return receivers;
    dict_iter it;
    dict_iter_init(&it, d, 1);
    for (dict_entry *e; (e = dict_iter_next(&it));) {
        buf pat = e->key;
        if (!util_glob_match(pat, buf_len(pat), channel, clen, 0))
            continue;
        client_vec *v = e->v.val;
        for (size_t i = 0; i < v->len; i++) {
            pubsub_deliver(v->v[i], KIND_PATTERN, pat, buf_len(pat), channel, clen, msg, mlen);
            receivers++;
        }
    }
    dict_iter_release(&it);
    return receivers;
}

long long pubsub_publish(server *s, const char *channel, size_t clen, const char *msg, size_t mlen)
{
    (void)s;
    return pubsub_publish_kind(KIND_CHANNEL, channel, clen, msg, mlen);
}

long long pubsub_channel_count(int patterns)
{
    dict *d = subscribers[patterns ? KIND_PATTERN : KIND_CHANNEL];
    return d ? (long long)dict_size(d) : 0;
}

long long pubsub_shard_channel_count(void)
{
    return subscribers[KIND_SHARD] ? (long long)dict_size(subscribers[KIND_SHARD]) : 0;
}

/* -------------------------------------------------------------- commands */

static void pubsub_subscribe_generic(client *c, int kind)
{
    for (int i = 1; i < c->argc; i++)
        pubsub_subscribe(c, kind, c->argv[i].ptr, c->argv[i].len);
}

static void pubsub_unsubscribe_generic(client *c, int kind)
{
    if (c->argc == 1) {
        pubsub_unsubscribe_all(c, kind, 1);
        return;
    }
    for (int i = 1; i < c->argc; i++)
        pubsub_unsubscribe(c, kind, c->argv[i].ptr, c->argv[i].len, 1);
}

static void subscribe_command(client *c)
{
    pubsub_subscribe_generic(c, KIND_CHANNEL);
}
static void psubscribe_command(client *c)
{
    pubsub_subscribe_generic(c, KIND_PATTERN);
}
static void ssubscribe_command(client *c)
{
    pubsub_subscribe_generic(c, KIND_SHARD);
}
static void unsubscribe_command(client *c)
{
    pubsub_unsubscribe_generic(c, KIND_CHANNEL);
}
static void punsubscribe_command(client *c)
{
    pubsub_unsubscribe_generic(c, KIND_PATTERN);
}
static void sunsubscribe_command(client *c)
{
    pubsub_unsubscribe_generic(c, KIND_SHARD);
}

static void publish_command(client *c)
{
    long long n = pubsub_publish_kind(KIND_CHANNEL, c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr,
                                      c->argv[2].len);
    reply_int(c, n);
}

static void spublish_command(client *c)
{
    long long n = pubsub_publish_kind(KIND_SHARD, c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr,
                                      c->argv[2].len);
    reply_int(c, n);
}

/* PUBSUB CHANNELS / SHARDCHANNELS [pattern] */
static void pubsub_list_channels(client *c, int kind)
{
    if (c->argc > 3) {
        reply_errorf(c,
                     "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try PUBSUB "
                     "HELP.",
                     (int)c->argv[1].len, c->argv[1].ptr);
        return;
    }
    const resp_arg *pat = c->argc == 3 ? &c->argv[2] : NULL;
    size_t handle = reply_defer_len(c);
    long long n = 0;
    dict *d = subscribers[kind];
    if (d && dict_size(d)) {
        dict_iter it;
        dict_iter_init(&it, d, 0);
        for (dict_entry *e; (e = dict_iter_next(&it));) {
            buf name = e->key;
            if (pat && !util_glob_match(pat->ptr, pat->len, name, buf_len(name), 0))
                continue;
            reply_bulk(c, name, buf_len(name));
            n++;
        }
        dict_iter_release(&it);
    }
    reply_set_deferred_len(c, handle, n);
}

static void pubsub_numsub_generic(client *c, int kind)
{
    reply_map_len(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        long long n = 0;
        if (subscribers[kind]) {
            buf key = buf_new(c->argv[i].ptr, c->argv[i].len);
            client_vec *v = dict_fetch_value(subscribers[kind], key);
            buf_free(key);
            n = v ? (long long)v->len : 0;
        }
        reply_bulk(c, c->argv[i].ptr, c->argv[i].len);
        reply_int(c, n);
    }
}

static void pubsub_channels_command(client *c)
{
    pubsub_list_channels(c, KIND_CHANNEL);
}
static void pubsub_shardchannels_command(client *c)
{
    pubsub_list_channels(c, KIND_SHARD);
}
static void pubsub_numsub_command(client *c)
{
    pubsub_numsub_generic(c, KIND_CHANNEL);
}
static void pubsub_shardnumsub_command(client *c)
{
    pubsub_numsub_generic(c, KIND_SHARD);
}
static void pubsub_numpat_command(client *c)
{
    reply_int(c, pubsub_channel_count(1));
}

static void pubsub_help_command(client *c)
{
    static const char *help[] = {
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        NULL};
    reply_help(c, help);
}

#define PS_FLAGS (CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static command pubsub_subcommands[] = {
    {"channels", pubsub_channels_command, -2, CMD_PUBSUB | CMD_LOADING | CMD_STALE, 0, 0, 0,
     "pubsub", "List active channels", "2.8.0"},
    {"help", pubsub_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "pubsub",
     "Show helpful text about the different subcommands", "6.2.0"},
    {"numpat", pubsub_numpat_command, 2, CMD_PUBSUB | CMD_LOADING | CMD_STALE, 0, 0, 0, "pubsub",
     "Get the count of unique patterns pattern subscriptions", "2.8.0"},
    {"numsub", pubsub_numsub_command, -2, CMD_PUBSUB | CMD_LOADING | CMD_STALE, 0, 0, 0, "pubsub",
     "Get the count of subscribers for channels", "2.8.0"},
    {"shardchannels", pubsub_shardchannels_command, -2, CMD_PUBSUB | CMD_LOADING | CMD_STALE, 0, 0,
     0, "pubsub", "List active shard channels", "7.0.0"},
    {"shardnumsub", pubsub_shardnumsub_command, -2, CMD_PUBSUB | CMD_LOADING | CMD_STALE, 0, 0, 0,
     "pubsub", "Get the count of subscribers for shard channels", "7.0.0"},
    {0},
};

command pubsub_commands[] = {
    {"subscribe", subscribe_command, -2, PS_FLAGS, 0, 0, 0, "pubsub",
     "Listen for messages published to the given channels", "2.0.0"},
    {"unsubscribe", unsubscribe_command, -1, PS_FLAGS, 0, 0, 0, "pubsub",
     "Stop listening for messages posted to the given channels", "2.0.0"},
    {"psubscribe", psubscribe_command, -2, PS_FLAGS, 0, 0, 0, "pubsub",
     "Listen for messages published to channels matching the given patterns", "2.0.0"},
    {"punsubscribe", punsubscribe_command, -1, PS_FLAGS, 0, 0, 0, "pubsub",
     "Stop listening for messages posted to channels matching the given patterns", "2.0.0"},
    {"ssubscribe", ssubscribe_command, -2, PS_FLAGS | CMD_KEYS_NOT_KEY, 1, -1, 1, "pubsub",
     "Listen for messages published to the given shard channels", "7.0.0"},
    {"sunsubscribe", sunsubscribe_command, -1, PS_FLAGS | CMD_KEYS_NOT_KEY, 1, -1, 1, "pubsub",
     "Stop listening for messages posted to the given shard channels", "7.0.0"},
    {"publish", publish_command, 3, CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0,
     "pubsub", "Post a message to a channel", "2.0.0"},
    {"spublish", spublish_command, 3,
     CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_KEYS_NOT_KEY, 1, 1, 1, "pubsub",
     "Post a message to a shard channel", "7.0.0"},
    {"pubsub", NULL, -2, 0, 0, 0, 0, "pubsub", "A container for Pub/Sub commands", "2.8.0",
     pubsub_subcommands},
    {0},
};
