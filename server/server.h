/* server.h: the shared types of keel-server (objects, databases, clients,
 * the command table entry and the server itself) and the functions modules
 * call on each other.  Each module keeps its own private state in its own
 * file; what lives here is what more than one module must see. */
#ifndef KEEL_SERVER_H
#define KEEL_SERVER_H

#include <ev.h>
#include <stdint.h>
#include <stddef.h>

#include "buf.h"
#include "conn.h"
#include "dict.h"
#include "log.h"
#include "resp.h"
#include "util.h"

#define KEEL_VERSION "7.0.15" /* the Redis version whose contract we speak */
#define KEEL_OWN_VERSION "0.1.0"

/* ---------------------------------------------------------------- objects */

/* Value types: numbered as in RDB so persistence can use them directly. */
enum { OBJ_STRING = 0, OBJ_LIST = 1, OBJ_SET = 2, OBJ_ZSET = 3, OBJ_HASH = 4 };

/* Encodings, with the names OBJECT ENCODING reports. */
enum {
    ENC_RAW = 0,       /* "raw": ptr is a buf */
    ENC_INT = 1,       /* "int": ptr holds a long long */
    ENC_HASHTABLE = 2, /* "hashtable" */
    ENC_INTSET = 6,    /* "intset" */
    ENC_SKIPLIST = 7,  /* "skiplist" */
    ENC_EMBSTR = 8,    /* "embstr": the buf lives in the same allocation as the object */
    ENC_QUICKLIST = 9, /* "quicklist" */
    ENC_LISTPACK = 11, /* "listpack" */
};

#define OBJ_LRU_BITS 24
#define OBJ_EMBSTR_MAX 44 /* strings up to this length are embstr, as Redis */

typedef struct kobj {
    unsigned type : 4;
    unsigned encoding : 4;
    unsigned lru : OBJ_LRU_BITS; /* seconds clock when last accessed (OBJECT IDLETIME) */
    int refcount;
    void *ptr;
} kobj;

/* What generic code (free, COPY, lazy free, MEMORY) needs from each
 * collection type; each type module defines one. */
typedef struct obj_type_ops {
    void (*free_value)(kobj *o);        /* free o->ptr, not o itself */
    kobj *(*dup)(const kobj *o);        /* a deep copy (COPY) */
    size_t (*length)(const kobj *o);    /* element count */
    size_t (*mem_usage)(const kobj *o); /* bytes, approximate for big values */
} obj_type_ops;

extern const obj_type_ops list_type_ops; /* t_list.c */
extern const obj_type_ops set_type_ops;  /* t_set.c */
extern const obj_type_ops zset_type_ops; /* t_zset.c */
extern const obj_type_ops hash_type_ops; /* t_hash.c */

kobj *obj_dup(const kobj *o);                               /* deep copy of any type */
size_t obj_length(const kobj *o);                           /* elements (1 for strings) */
kobj *obj_create(int type, void *ptr);                      /* takes ownership of ptr */
kobj *obj_create_string(const void *p, size_t len);         /* embstr or raw */
kobj *obj_create_string_try_int(const void *p, size_t len); /* int when it round-trips */
kobj *obj_create_from_ll(long long v);
kobj *obj_create_from_buf(buf b); /* takes ownership of b */
kobj *obj_dup_string(const kobj *o);
void obj_incr_ref(kobj *o);
void obj_decr_ref(kobj *o);   /* frees at zero */
void obj_free_value(void *o); /* dict val_free adapter */
/* Make a string object's value a private, writable raw buf (for APPEND, SETRANGE). */
buf obj_string_make_raw(kobj *o);
size_t obj_string_len(const kobj *o);
/* Pointer and length of a string object's bytes; ints are formatted into tmp. */
const char *obj_string_view(const kobj *o, char tmp[LL_STR_SIZE], size_t *len);
int obj_get_ll(const kobj *o, long long *out);   /* 1 if it is an integer */
int obj_get_ld(const kobj *o, long double *out); /* 1 if it is a valid float */
const char *obj_type_name(const kobj *o);        /* "string", "list", ... */
const char *obj_encoding_name(int encoding);
unsigned int obj_lru_clock(void);
void obj_update_lru_clock(int64_t now_ms);
size_t obj_mem_usage(const kobj *o);

/* --------------------------------------------------------------- keyspace */

typedef struct keel_db {
    dict *keys;          /* buf -> kobj* */
    dict *expires;       /* buf (the same key pointer as in keys) -> ms time in v.s64 */
    dict *blocking_keys; /* blocking.c: key -> clients waiting on it */
    dict *watched_keys;  /* multi.c: key -> clients WATCHing it */
    int id;
    long long avg_ttl; /* for INFO keyspace */
    unsigned long expires_cursor;
} keel_db;

/* ----------------------------------------------------------------- client */

struct server;
struct command;

#define CLIENT_CLOSE_AFTER_REPLY (1 << 0) /* QUIT, protocol error: flush then close */
#define CLIENT_CLOSE_ASAP (1 << 1)        /* close without flushing (CLIENT KILL, limits) */
#define CLIENT_PENDING_WRITE (1 << 2)     /* on the server's pending-write list */
#define CLIENT_AUTHENTICATED (1 << 3)
#define CLIENT_PROTECTED (1 << 4) /* do not free now: a command is running */
#define CLIENT_MULTI (1 << 5)
#define CLIENT_IN_CALL (1 << 6)
#define CLIENT_REPLY_OFF (1 << 7)       /* CLIENT REPLY OFF */
#define CLIENT_REPLY_SKIP_NEXT (1 << 8) /* CLIENT REPLY SKIP: silence the next command */
#define CLIENT_REPLY_SKIP (1 << 9)      /* silencing the current command */
#define CLIENT_BLOCKED (1 << 10)        /* waiting in a blocking command */
#define CLIENT_DIRTY_CAS (1 << 11)      /* a WATCHed key changed: EXEC fails */
#define CLIENT_DIRTY_EXEC (1 << 12)     /* a command failed to queue: EXECABORT */
#define CLIENT_IN_EXEC (1 << 13)        /* running EXEC's queue: never block */
#define CLIENT_REPROCESSING (1 << 14)   /* re-running a command after unblocking */
#define CLIENT_UNBLOCKED (1 << 15)      /* on the list to resume reading input */
#define CLIENT_REPLICA (1 << 16)        /* replication/primary.c: a replica being fed */
#define CLIENT_MASTER (1 << 17)         /* replication/replica.c: the link to our primary */

struct pubsub_state;
struct blocking_state;
struct multi_state;
struct client;

/* A growable array of clients, in insertion order (waiters on a key). */
typedef struct client_vec {
    struct client **v;
    size_t len, cap;
} client_vec;

typedef struct client {
    uint64_t id;
    struct server *srv;
    conn *conn;
    keel_db *db;
    int flags;
    int resp; /* protocol version: 2 or 3 */
    buf name; /* CLIENT SETNAME, or NULL */
    buf user; /* authenticated user name ("default") */

    buf querybuf; /* bytes received; [qb_pos..] not yet parsed */
    size_t qb_pos;
    size_t querybuf_peak;
    resp_parser parser;

    int argc; /* the command being executed */
    resp_arg *argv;
    const struct command *cmd, *last_cmd;

    buf *prop_argv; /* command_propagate_as: what to propagate instead */
    int prop_argc;

    buf reply; /* pending output; [reply_pos..] not yet written */
    size_t reply_pos;
    unsigned long long reply_bytes_total;

    struct pubsub_state *pstate;   /* pubsub.c: subscriptions */
    int64_t obuf_soft_since_ms;    /* when the soft output limit was first passed (0: not) */
    struct blocking_state *bstate; /* blocking.c, while CLIENT_BLOCKED */
    struct multi_state *mstate;    /* multi.c: queued commands and watched keys */

    int64_t ctime_ms; /* connected at */
    int64_t last_interaction_ms;
    char peer[64]; /* "ip:port" */
    char sock[64]; /* our side */

    struct client *prev, *next;       /* all clients */
    struct client *pw_prev, *pw_next; /* pending writes */
} client;

/* ---------------------------------------------------------- command table */

#define CMD_WRITE (1u << 0)
#define CMD_READONLY (1u << 1)
#define CMD_DENYOOM (1u << 2)
#define CMD_ADMIN (1u << 3)
#define CMD_PUBSUB (1u << 4)
#define CMD_NOSCRIPT (1u << 5)
#define CMD_BLOCKING (1u << 6)
#define CMD_LOADING (1u << 7) /* allowed while loading */
#define CMD_STALE (1u << 8)   /* allowed on a stale replica */
#define CMD_SKIP_MONITOR (1u << 9)
#define CMD_FAST (1u << 10)
#define CMD_NO_AUTH (1u << 11) /* allowed before AUTH */
#define CMD_MAY_REPLICATE (1u << 12)
#define CMD_NO_MULTI (1u << 13)
#define CMD_ALLOW_BUSY (1u << 14)
#define CMD_SENTINEL (1u << 15)
#define CMD_KEYS_NOT_KEY (1u << 16) /* key positions name channels (key-spec flag not_key) */

typedef void command_proc(client *c);

typedef struct command {
    const char *name; /* lower case; subcommands: "get" under "config" */
    command_proc *proc;
    int arity; /* >0 exact, <0 at least -arity */
    uint32_t flags;
    int first_key, last_key, key_step; /* last_key -1: the last argument */
    const char *group;                 /* COMMAND DOCS: "string", "generic", "server", ... */
    const char *summary;
    const char *since;
    struct command *subcommands; /* NULL-terminated array, or NULL */
    struct command *parent;
    char fullname[48]; /* "get", "config|get" */
    long long calls, usec, rejected_calls, failed_calls;
    int acl_id; /* acl.c: the command's bit in users' command bitmaps */
} command;

/* ----------------------------------------------------------------- server */

#define CONFIG_BINDADDR_MAX 16

typedef struct server_config {
    char *bind[CONFIG_BINDADDR_MAX];
    int bind_count;
    int port;
    int tcp_backlog;
    int protected_mode;
    int daemonize;
    char *pidfile;
    char *logfile;
    int loglevel;
    int databases;
    char *requirepass; /* NULL or "" = no password */
    char *aclfile;     /* acl.c: users file for ACL LOAD/SAVE, or NULL */
    int maxclients;
    int timeout; /* idle seconds before closing a client, 0 = never */
    int tcp_keepalive;
    int hz;
    char *dir;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    int active_expire_effort; /* 1..10 */
    int lazyfree_lazy_user_del;
    int lazyfree_lazy_user_flush;
    int lazyfree_lazy_expire;
    int lazyfree_lazy_server_del; /* values replaced by SET, RENAME, ... */
    int maxmemory_samples;
    unsigned long long maxmemory;
    int notify_keyspace_events; /* NOTIFY_* classes published */
    /* client-output-buffer-limit: hard bytes, soft bytes, soft seconds for
     * normal, replica and pubsub clients (OBUF_*) */
    struct {
        unsigned long long hard, soft;
        long long soft_seconds;
    } obuf_limits[3];
    long long hash_max_listpack_entries; /* compact encodings: see each type */
    long long hash_max_listpack_value;
    long long set_max_intset_entries;
    long long zset_max_listpack_entries;
    long long zset_max_listpack_value;
    int list_max_listpack_size; /* >0 entries per node, -1..-5: 4..64 KB */
    int list_compress_depth;
    char *config_file; /* absolute path, or NULL */
    /* TLS (server_tls.c): strings are NULL when unset */
    int tls_port; /* 0: no TLS listener */
    char *tls_cert_file, *tls_key_file, *tls_key_file_pass;
    char *tls_client_cert_file, *tls_client_key_file, *tls_client_key_file_pass;
    char *tls_ca_cert_file, *tls_ca_cert_dir, *tls_dh_params_file;
    char *tls_protocols, *tls_ciphers, *tls_ciphersuites;
    int tls_auth_clients; /* TLS_AUTH_CLIENTS_* (tls.h) */
    int tls_prefer_server_ciphers;
    int tls_session_caching;
    int tls_session_cache_size;
    int tls_session_cache_timeout;
    int tls_replication; /* stored for the replication links */
    int tls_cluster;     /* stored; Keel has no cluster bus yet */
    /* Snapshots (persist_cmds.c, rdb.c) */
    int save_point_count; /* `save`: 0 = no automatic saves */
    struct {
        long long seconds, changes;
    } save_points[16];
    char *dbfilename;
    int rdbcompression;
    int rdbchecksum;
    int stop_writes_on_bgsave_error;
    int rdb_del_sync_files;
    int rdb_key_save_delay; /* test aid: microseconds per key saved (<0: 1 us once in -n) */
    int key_load_delay;     /* test aid: microseconds per key loaded */
    /* AOF (aof.c) */
    int appendonly;
    char *appendfilename; /* a bare file name, inside appenddirname */
    char *appenddirname;  /* a bare directory name, inside dir */
    int appendfsync;      /* AOF_FSYNC_* (aof.h) */
    int no_appendfsync_on_rewrite;
    int auto_aof_rewrite_percentage;
    long long auto_aof_rewrite_min_size;
    int aof_load_truncated;
    int aof_use_rdb_preamble;
    int aof_timestamp_enabled;
} server_config;

typedef struct server_stats {
    long long numcommands;
    long long numconnections;
    long long rejected_conn;
    long long expiredkeys;
    double expired_stale_perc; /* running average of the expired share in samples */
    long long expired_time_cap_reached;
    long long evictedkeys;
    long long keyspace_hits;
    long long keyspace_misses;
    long long net_input_bytes;
    long long net_output_bytes;
    long long unexpected_error_replies;
    long long total_error_replies;
    long long dirty; /* changes since the last save */
    long long io_reads, io_writes;
} server_stats;

typedef struct server {
    struct ev_loop *loop;
    server_config cfg;
    server_stats stats;
    keel_db *db;    /* cfg.databases of them */
    dict *commands; /* name -> command* */
    dict *errors;   /* error code -> count (INFO errorstats) */

    int listen_fds[CONFIG_BINDADDR_MAX];
    int listen_count;
    ev_io listen_watchers[CONFIG_BINDADDR_MAX];
    int tls_listen_fds[CONFIG_BINDADDR_MAX]; /* server_tls.c: on tls-port */
    int tls_listen_count;
    ev_io tls_listen_watchers[CONFIG_BINDADDR_MAX];
    struct tls_context *tls_ctx; /* NULL unless TLS is configured */
    ev_timer cron;
    ev_prepare before_sleep;
    ev_signal sig_term, sig_int;

    client *clients; /* doubly linked list of all clients */
    unsigned long client_count;
    client *pending_writes; /* clients with output to flush before the loop sleeps */
    uint64_t next_client_id;
    client *current_client; /* the client whose command is running, or NULL */

    int64_t start_time_ms;
    int64_t mstime; /* cached clock, refreshed per event and per command */
    long long cronloops;
    int shutdown_asap;
    int exit_code;
    char runid[41];
    char executable[1024];
    unsigned int lruclock;
    long long stat_peak_memory;
    /* persist.h: loading a dataset (commands without CMD_LOADING get
     * -LOADING), and the one fork()ed child (CHILD_TYPE_*, 0 = none) */
    int loading;
    int child_type;
    int child_pid;
} server;

/* ------------------------------------------------------------ module APIs */

/* server.c */
int server_init(server *s);
int server_listen(server *s);
void server_run(server *s);
void server_free(server *s);
int server_prepare_shutdown(server *s, int flags); /* 0 ok, -1 refused */
/* server_prepare_shutdown's flags: SHUTDOWN's arguments */
enum { SHUTDOWN_NOSAVE = 1, SHUTDOWN_SAVE = 2, SHUTDOWN_NOW = 4, SHUTDOWN_FORCE = 8 };
void server_update_time(server *s);
enum { METRIC_COMMANDS, METRIC_NET_INPUT, METRIC_NET_OUTPUT };
long long server_metric_per_sec(int which); /* instantaneous ops/s, bytes/s */
void info_track_peak_memory(void);          /* info.c: startup baseline and peak */
/* A new connection (plain, or TLS once its handshake is done): protected
 * mode, then a client. */
void server_accept_conn(server *s, conn *cn);

/* server_tls.c: the TLS context from the tls-* options, listeners on tls-port */
int server_tls_start(server *s);    /* start-up: context and listeners; -1 to exit */
int server_tls_relisten(server *s); /* follow tls-port and bind; 1 ok, 0 failed */
void server_tls_close_listeners(server *s);
void server_tls_free(server *s);
/* CONFIG SET effects (config_apply_fn): 1, or 0 with *err set */
int server_tls_apply_config(server *s, const char **err); /* rebuild the context */
int server_tls_apply_port(server *s, const char **err);

/* client.c: connections and the reply API used by every command */
client *client_create(server *s, conn *cn);
void client_free(client *c);
void client_free_async(client *c);
void client_flush_pending(server *s);
void client_process_input(client *c);
void client_reset_command(client *c);
void client_vec_push(client_vec *cv, client *c);
int client_vec_remove(client_vec *cv, client *c); /* 1 if it was there; keeps order */
void client_vec_free(client_vec *cv);

void reply_ok(client *c);
void reply_simple(client *c, const char *s);
void reply_error(client *c, const char *msg); /* "ERR foo" or "WRONGTYPE ..." */
void reply_errorf(client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_error_arity(client *c);
void reply_error_syntax(client *c); /* ERR syntax error */
void reply_error_wrongtype(client *c);
void reply_error_not_int(client *c);   /* ERR value is not an integer or out of range */
void reply_error_not_float(client *c); /* ERR value is not a valid float */
void reply_int(client *c, long long v);
void reply_bulk(client *c, const void *p, size_t len);
void reply_bulk_cstr(client *c, const char *s);
void reply_bulk_ll(client *c, long long v);
void reply_bulk_obj(client *c, const kobj *o); /* a string object */
void reply_nil(client *c);
void reply_nil_array(client *c);
void reply_array_len(client *c, long long n);
void reply_map_len(client *c, long long n); /* RESP2: an array of 2n */
void reply_set_len(client *c, long long n); /* RESP2: an array */
void reply_double(client *c, double d);
void reply_bool(client *c, int v);
void reply_verbatim(client *c, const char *p, size_t len);
/* For replies whose length is known only at the end (KEYS, SCAN). */
size_t reply_defer_len(client *c);
void reply_set_deferred_len(client *c, size_t handle, long long n);
void reply_set_deferred_map_len(client *c, size_t handle, long long n);
void reply_help(client *c, const char **lines); /* "FOO <sub>" help blocks */
/* Raw protocol bytes, even for the master client (replication streams, ACKs). */
void reply_raw(client *c, const void *p, size_t len);

/* commands.c */
void commands_init(server *s);
const command *commands_lookup(server *s, const char *name, size_t len);
const command *commands_lookup_argv(server *s, int argc, const resp_arg *argv);
void command_call(client *c); /* checks and runs c->argv; the single execution point */
/* Propagate this command (to the AOF and replicas) instead of the one received,
 * when replaying the original would not give the same result: relative TTLs
 * become absolute (SET EX -> SET PXAT), INCRBYFLOAT becomes SET KEEPTTL.
 * The arguments are copied. */
void command_propagate_as(client *c, int argc, const resp_arg *argv);
/* Whether argv[i] equals the ASCII word, case-insensitively. */
int arg_is(const resp_arg *a, const char *word);
/* Parse helpers that reply with Redis's error on failure and return 0. */
int arg_get_ll(client *c, const resp_arg *a, long long *out);
int arg_get_ll_range(client *c, const resp_arg *a, long long min, long long max, long long *out,
                     const char *errmsg);
int arg_get_scan_cursor(client *c, const resp_arg *a, unsigned long *out); /* *SCAN */
int arg_get_ld(client *c, const resp_arg *a, long double *out);
int arg_get_d(client *c, const resp_arg *a, double *out);

/* db.c: the keyspace. Keys are passed as (ptr,len) straight from the request. */
void db_init_all(server *s);
void db_free_all(server *s);
int db_select(client *c, long long id);                /* 0 ok, -1 out of range */
kobj *db_lookup_read(client *c, const resp_arg *key);  /* counts hits/misses, expires lazily */
kobj *db_lookup_write(client *c, const resp_arg *key); /* expires lazily, no stats */
kobj *db_lookup_quiet(keel_db *db, const void *key, size_t len);  /* no expiry, no stats */
void db_add(keel_db *db, const void *key, size_t len, kobj *val); /* key must be absent */
void db_overwrite(keel_db *db, const void *key, size_t len,
                  kobj *val); /* key must exist; keeps TTL */
/* Set a key regardless; removes any TTL unless keep_ttl. Takes ownership of val. */
void db_set(client *c, keel_db *db, const void *key, size_t len, kobj *val, int keep_ttl);
int db_delete(client *c, keel_db *db, const void *key, size_t len); /* 1 if deleted */
int db_delete_async(client *c, keel_db *db, const void *key, size_t len);
long long db_flush(server *s, int dbid, int async);              /* -1: all; returns keys removed */
int64_t db_get_expire(keel_db *db, const void *key, size_t len); /* -1 if none */
void db_set_expire(client *c, keel_db *db, const void *key, size_t len, int64_t when_ms);
int db_remove_expire(keel_db *db, const void *key, size_t len); /* 1 if there was one */
int db_key_is_expired(server *s, keel_db *db, const void *key, size_t len);
int db_expire_if_needed(client *c, keel_db *db, const void *key, size_t len); /* 1 if expired */
void db_active_expire_cycle(server *s, int fast);
/* A key's value changed: hooks for WATCH, blocked clients and client-side caching. */
void db_signal_modified(client *c, keel_db *db, const void *key, size_t len);
long long db_size(const keel_db *db);
int db_swap(server *s, int id1, int id2);

/* blocking.c: BLPOP, BLMOVE, BZPOPMIN ... wait here.
 *
 * A command that finds nothing to serve calls blocking_block() instead of
 * replying.  When one of its keys is created (db_add of a list or sorted
 * set) the command is run again from the top, in the order clients started
 * waiting; it then either serves the client or blocks again.  Inside
 * MULTI/EXEC, blocking_block() replies the timeout reply at once instead. */
enum { BLOCK_REPLY_NIL_ARRAY, BLOCK_REPLY_NIL };
/* timeout_ms: absolute unix time in ms, 0 = forever. */
void blocking_block(client *c, int nkeys, const resp_arg *keys, int64_t timeout_ms,
                    int timeout_reply);
/* Parse a blocking timeout in seconds (fractions allowed), replying Redis's
 * error on failure. Returns 1 and sets *timeout_ms (absolute, 0 = forever). */
int blocking_get_timeout(client *c, const resp_arg *arg, int64_t *timeout_ms);
void blocking_signal_key_ready(server *s, keel_db *db, const void *key, size_t len);
void blocking_handle_ready_keys(server *s); /* serve clients whose keys got data */
void blocking_process_unblocked(server *s); /* resume their pending input */
enum { UNBLOCK_SERVED, UNBLOCK_TIMEOUT, UNBLOCK_ERROR, UNBLOCK_DISCONNECT };
void blocking_unblock(client *c, int reason); /* timeout, CLIENT UNBLOCK, disconnect */
void blocking_reply_timeout_of(client *c);    /* the reply a timeout would give */
void blocking_init_db(keel_db *db);
void blocking_free_db(keel_db *db);
void blocking_scan_db_for_ready_keys(server *s, keel_db *db); /* after SWAPDB */
long long blocking_client_count(server *s);

/* multi.c: MULTI/EXEC/DISCARD/WATCH/UNWATCH */
int multi_queue_if_needed(client *c); /* 1 if the command was queued (or refused) */
void multi_touch_key(server *s, keel_db *db, const void *key, size_t len);
/* Before a database is emptied (FLUSHDB, FLUSHALL) or swapped: WATCHers of
 * keys that exist in `emptied`, or in `replaced_with` (SWAPDB), see a change. */
void multi_touch_all_keys(server *s, keel_db *emptied, keel_db *replaced_with);
void multi_free_client(client *c);
int multi_queued_count(const client *c); /* -1 outside MULTI (CLIENT LIST multi=) */
int multi_is_exec(const command *cmd);
void multi_exec_abort(client *c, const char *why); /* EXECABORT ... because of: why */
void multi_init_db(keel_db *db);
void multi_free_db(keel_db *db);

/* pubsub.c */
long long pubsub_publish(server *s, const char *channel, size_t clen, const char *msg, size_t mlen);
long long pubsub_client_subscriptions(const client *c);     /* all kinds */
long long pubsub_client_count(const client *c, char which); /* 'c', 'p' or 's' */
long long pubsub_channel_count(int patterns);
long long pubsub_shard_channel_count(void);
void pubsub_free_client(client *c);
enum { OBUF_NORMAL, OBUF_REPLICA, OBUF_PUBSUB };

/* lazyfree.c: big values are freed by a background thread, so UNLINK of a
 * million-member set or FLUSHALL ASYNC does not stall the event loop. */
void lazyfree_free_object(kobj *o);                  /* frees now or hands over, by size */
void lazyfree_free_dicts(dict *keys, dict *expires); /* FLUSHDB ASYNC */
long long lazyfree_pending(void);
long long lazyfree_freed(void); /* values freed in the background so far */
void lazyfree_drain(void);      /* wait for the background frees (shutdown) */

/* notify.c: keyspace notifications, published through pub/sub */
enum {
    NOTIFY_KEYSPACE = 1 << 0,
    NOTIFY_KEYEVENT = 1 << 1,
    NOTIFY_GENERIC = 1 << 2,
    NOTIFY_STRING = 1 << 3,
    NOTIFY_LIST = 1 << 4,
    NOTIFY_SET = 1 << 5,
    NOTIFY_HASH = 1 << 6,
    NOTIFY_ZSET = 1 << 7,
    NOTIFY_EXPIRED = 1 << 8,
    NOTIFY_EVICTED = 1 << 9,
    NOTIFY_STREAM = 1 << 10,
    NOTIFY_KEY_MISS = 1 << 11,
    NOTIFY_NEW = 1 << 12,
    NOTIFY_MODULE = 1 << 13,
};
/* 'A': every class but key-miss and new-key events, as Redis. */
#define NOTIFY_ALL                                                                                 \
    (NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET |       \
     NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE)
void notify_keyspace_event(server *s, int type, const char *event, const void *key, size_t keylen,
                           int dbid);
int notify_flags_from_string(const char *s, int *flags); /* 1 if every letter is valid */
buf notify_flags_to_string(buf out, int flags);

/* propagate.c: the single point every data change goes through on its way to
 * the AOF and to replicas. */
void propagate_command(server *s, int dbid, int argc, const resp_arg *argv);

/* commands.c: ACL categories, from the flags and group (acl.c uses them) */
int command_categories(const command *cmd, const char **out);
const char *const *command_category_names(int *count);
/* client_cmds.c: one CLIENT LIST line (ACL LOG's client-info) */
buf client_info_line(buf out, client *c);

/* Each module exports its commands as a table ending with a {0} entry;
 * commands.c registers them all. */
extern command string_commands[];   /* t_string.c */
extern command keyspace_commands[]; /* keys.c: DEL, EXPIRE, SCAN, ... */
extern command server_commands[];   /* server_cmds.c: PING, INFO, SELECT, FLUSHALL, ... */
extern command acl_commands[];      /* acl_cmds.c: ACL */
extern command config_commands[];   /* config.c: CONFIG */
extern command client_commands[];   /* client_cmds.c: CLIENT, AUTH, HELLO, QUIT */
extern command command_commands[];  /* commands.c: COMMAND */
extern command multi_commands[];    /* multi.c */
extern command pubsub_commands[];   /* pubsub.c */
extern command hash_commands[];     /* t_hash.c */
extern command list_commands[];     /* t_list.c */
extern command set_commands[];      /* t_set.c */
extern command zset_commands[];     /* t_zset.c */
extern command bitops_commands[];   /* bitops.c */
extern command info_commands[];     /* info.c: INFO */
extern command aof_commands[];      /* aof.c: BGREWRITEAOF */
/* replication/primary.c: REPLICAOF, REPLCONF, PSYNC, SYNC, WAIT, ROLE */
extern command replication_commands[];

#endif
