/* replication: the primary/replica protocol of Redis 7.0 (PSYNC2), shared
 * by primary.c (backlog, replica streams, PSYNC/REPLCONF/WAIT, full sync
 * in a fork()ed child) and replica.c (REPLICAOF, handshake, loading the
 * RDB, applying the stream through a connection-backed master client).
 * The rest of the server sees only the functions at the bottom. */
#ifndef KEEL_REPLICATION_H
#define KEEL_REPLICATION_H

#include "server.h"

/* Options (config.c points at these through `global`). */
typedef struct repl_config {
    char *masterauth, *masteruser;
    int replica_read_only;
    int replica_serve_stale_data;
    int replica_priority;
    char *replica_announce_ip;
    int replica_announce_port;
    int replica_announced;
    int diskless_sync;
    int diskless_sync_delay;
    int diskless_sync_max_replicas;
    int diskless_load; /* REPL_DISKLESS_LOAD_*: where a full sync's RDB is parsed from */
    long long backlog_size;
    int backlog_ttl;
    int timeout;
    int ping_period;
    int min_replicas_to_write;
    int min_replicas_max_lag;
    /* `replicaof host port` read at start-up */
    char *replicaof_host;
    int replicaof_port;
} repl_config;
extern repl_config repl_cfg;

/* repl-diskless-load */
enum {
    REPL_DISKLESS_LOAD_DISABLED = 0, /* the RDB goes to a temp file, then loads */
    REPL_DISKLESS_LOAD_ON_EMPTY_DB,  /* from the socket when there is no data to lose */
    REPL_DISKLESS_LOAD_SWAPDB,       /* from the socket into temporary databases */
};

/* The replication history this server holds, primary or replica: its
 * replication id, the previous one (valid up to second_replid_offset) and
 * the backlog ring holding the last bytes of the stream. */
typedef struct repl_state {
    char replid[41], replid2[41];
    long long master_repl_offset;   /* bytes of stream produced/applied so far */
    long long second_replid_offset; /* replid2 is valid up to here (-1: none) */
    char *backlog;                  /* NULL until a replica needs it */
    long long backlog_size, backlog_histlen, backlog_idx, backlog_off;
    int64_t backlog_no_replicas_since; /* for repl-backlog-ttl */
    int seldb;                         /* last SELECT in the stream, -1: none */
    /* replica side */
    char *master_host;
    int master_port;
    int link_state; /* REPL_STATE_* */
    client *master; /* the master client once the stream flows */
    int64_t master_last_io_ms;
    int64_t link_down_since_ms;
    /* statistics */
    long long sync_full, sync_partial_ok, sync_partial_err;
    int good_replicas;
    long long net_input_bytes; /* replica: bytes read from the primary (RDB and stream) */
} repl_state;
extern repl_state repl;

enum {
    REPL_STATE_NONE = 0,   /* a primary */
    REPL_STATE_CONNECT,    /* must connect */
    REPL_STATE_CONNECTING, /* connect in progress */
    REPL_STATE_HANDSHAKE,  /* PING .. PSYNC replies outstanding */
    REPL_STATE_TRANSFER,   /* receiving the RDB */
    REPL_STATE_CONNECTED,  /* the stream flows */
};

#define CHILD_TYPE_REPL 3 /* s->child_type while the full-sync child runs */

/* primary.c, for replica.c */
void repl_backlog_create(void);
void repl_backlog_reset(long long next_offset); /* empty, next byte is next_offset */
void repl_feed_bytes(server *s, const char *p, size_t len);
void repl_disconnect_replicas(server *s);
void repl_shift_replid(void); /* a new history: replid2 = replid up to now */
int repl_replica_count(void);
void repl_primary_init(server *s);
buf repl_primary_info(server *s, buf out);
/* replica.c, for primary.c */
int repl_is_replica(void);
void repl_master_lost(server *s);                   /* the master client was freed */
void repl_send_ack(server *s);                      /* REPLCONF ACK <offset> to the primary */
void repl_replica_cron(server *s);                  /* once a second */
void repl_replica_tick(server *s);                  /* every 100 ms */
int repl_replica_loading(void);                     /* a full sync is loading from the socket */
void repl_replica_command_seen(const command *cmd); /* command_call, before running it */
void replicaof_command(client *c);

/* ---------------------------------------------- the server's entry points */
/* main.c: after the dataset is loaded; starts the cron and `replicaof`. */
void replication_init(server *s);
/* propagate.c: a change goes to the backlog and the online replicas. */
void replication_feed(server *s, int dbid, int argc, const resp_arg *argv);
/* command_call: -READONLY, -NOREPLICAS, -MASTERDOWN.  1 if refused. */
int replication_reject_command(client *c, const command *cmd);
/* client_free: forget a replica, a WAITing client or the master link. */
void replication_client_freed(client *c);
/* CLIENT UNBLOCK: a client blocked in WAIT answers now (the replicas that
 * acknowledged so far, or -UNBLOCKED when as_error).  1 if it was in WAIT. */
int replication_unblock_wait(client *c, int as_error);
/* INFO clients blocked_clients: clients blocked in WAIT. */
long long replication_waiting_count(void);
/* client_process_input: the master client applied `len` stream bytes. */
void replication_master_applied(client *c, const char *p, size_t len);
/* db.c: whether keys are left for the primary to expire. */
int replication_is_replica(const server *s);
/* info.c: the "# Replication" body. */
buf replication_info(server *s, buf out);
/* config.c: CONFIG SET repl-backlog-size resizes the ring. */
int repl_apply_backlog_size(server *s, const char **err);
/* CLIENT LIST / KILL TYPE */
int replication_client_is_replica(const client *c);
/* INFO memory: the backlog ring, and what replica clients hold (their
 * structs and buffers; pending output is their share of the replication
 * buffers). */
void replication_memory(server *s, size_t *backlog, size_t *replica_clients,
                        size_t *replica_output);
/* INFO stats: replication traffic, totals and bytes/s over the last seconds
 * (input: from our primary; output: to our replicas). */
void replication_net_stats(long long *input, long long *output, long long *input_per_sec,
                           long long *output_per_sec);

#endif
