/* client.h: what the files that serve keel-sentinel's own clients share
 * (client.c, client_cmds.c, command_table.c, commands.c), and nothing else
 * includes.
 *
 * A `sclient` is one connection to keel-sentinel: another sentinel asking
 * IS-MASTER-DOWN-BY-ADDR, a client library discovering the primary, or an
 * operator's redis-cli.  client.c owns its I/O, its output buffer and
 * pub/sub; client_cmds.c the commands about the connection (AUTH, HELLO,
 * CLIENT, ACL); command_table.c the command table, dispatch, COMMAND, PING,
 * INFO, ROLE and SHUTDOWN; commands.c SENTINEL and its subcommands.  Replies
 * are appended with the reply_* functions below and leave before the event
 * loop sleeps. */
#ifndef KEEL_SENTINEL_CLIENT_H
#define KEEL_SENTINEL_CLIENT_H

#include <stdint.h>

#include "buf.h"
#include "conn.h"
#include "resp.h"
#include "sentinel.h"

/* The Redis version whose Sentinel contract keel-sentinel speaks. */
#define SENTINEL_REDIS_VERSION "7.0.15"

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* sclient.flags */
#define SC_AUTHENTICATED (1 << 0)
#define SC_CLOSE_AFTER_REPLY (1 << 1) /* QUIT-like: close once the output is written */
#define SC_CLOSE_ASAP (1 << 2)        /* killed, or over the output limit */
#define SC_REPLY_OFF (1 << 3)         /* CLIENT REPLY OFF */
#define SC_REPLY_SKIP (1 << 4)        /* CLIENT REPLY SKIP: this command is silent */
#define SC_REPLY_SKIP_NEXT (1 << 5)   /* ... the next one is */
#define SC_IN_COMMAND (1 << 6)        /* inside client_process_input: free later */
#define SC_TRACKING (1 << 7)          /* CLIENT TRACKING ON (Sentinel has no keys) */
#define SC_TRACKING_OPTIN (1 << 8)
#define SC_TRACKING_OPTOUT (1 << 9)
#define SC_TRACKING_BCAST (1 << 10)
#define SC_TRACKING_NOLOOP (1 << 11)
#define SC_NO_EVICT (1 << 12)

typedef struct sclient sclient;

struct sclient {
    uint64_t id;
    conn *conn;
    int flags;               /* SC_* */
    int resp;                /* 2: RESP3 is refused by HELLO */
    buf querybuf;            /* bytes read and not yet parsed */
    size_t qb_pos;           /* parsed up to here */
    buf reply;               /* output not yet written */
    size_t reply_pos;        /* written up to here */
    size_t reply_peak;       /* most output ever pending (CLIENT LIST rbp) */
    int64_t obuf_soft_since; /* when the output passed the soft limit (0: below) */
    resp_parser parser;
    int argc; /* the command being run (points into querybuf) */
    resp_arg *argv;
    const char *cmd_name; /* full name of the last command, for CLIENT LIST */
    char peer[64];        /* "ip:port" of the client */
    char sock[64];        /* our side */
    buf name;             /* CLIENT SETNAME, NULL if none */
    int64_t ctime;        /* connected at */
    int64_t last_interaction;
    int64_t tracking_redirect;

    /* Pub/sub: channels and patterns this client subscribed to, in order. */
    buf *channels;
    int nchannels;
    buf *patterns;
    int npatterns;

    sclient *prev, *next; /* every client, newest first */
};

/* Counters INFO shows. */
typedef struct client_stats {
    long long connections_received;
    long long rejected_connections;
    long long commands_processed;
    long long net_input_bytes;
    long long net_output_bytes;
    long long error_replies;
    long long reads_processed;
    long long writes_processed;
} client_stats;

extern client_stats client_stats_counters;

/* ------------------------------------------------------------ client.c */
int requirepass_set(void); /* the default user has a password */
/* Every client, newest first (follow ->next) or oldest first (->prev). */
sclient *client_newest(void);
sclient *client_oldest(void);
/* CLIENT PAUSE ... ALL: run no client's commands for ms (unless a pause
 * already lasts longer); client_unpause ends it and runs what waited. */
void client_pause(long long ms);
void client_unpause(void);
int client_subscriptions(const sclient *c);
int client_pubsub_channel_count(void); /* distinct channels, for INFO */
int client_pubsub_pattern_count(void);
void client_recent_buffers(size_t *max_in, size_t *max_out);

/* Replies.  Errors carry their code: reply_error(c, "ERR no such thing"). */
void reply_raw(sclient *c, const void *p, size_t len);
void reply_buf(sclient *c, buf b); /* reply_raw all of b, then free it */
void reply_ok(sclient *c);
void reply_simple(sclient *c, const char *s);
void reply_error(sclient *c, const char *err);
void reply_errorf(sclient *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_int(sclient *c, long long v);
void reply_bulk(sclient *c, const void *p, size_t len);
void reply_bulk_cstr(sclient *c, const char *s); /* NULL: a null bulk */
void reply_bulk_ll(sclient *c, long long v);
void reply_nil(sclient *c);       /* $-1 */
void reply_nil_array(sclient *c); /* *-1 */
void reply_array_len(sclient *c, long long n);
void reply_help(sclient *c, const char *text); /* one status line per '\n'-ended line */
void reply_error_syntax(sclient *c);
void reply_error_not_int(sclient *c);
/* "ERR unknown subcommand or wrong number of arguments for 'x'. Try Y HELP." */
void reply_error_subcommand_syntax(sclient *c);
/* "ERR unknown subcommand 'x'. Try Y HELP." */
void reply_error_unknown_subcommand(sclient *c);

/* Arguments (they point into the query buffer, not NUL-terminated). */
int arg_is(const resp_arg *a, const char *s);       /* case-insensitive */
int arg_eq_exact(const resp_arg *a, const char *s); /* case-sensitive */
int arg_to_ll(const resp_arg *a, long long *v);     /* 0: not an integer, or out of range */
/* Whether list, words separated by sep ("master,s_down"), holds word. */
int list_has(const char *list, char sep, const char *word);

/* Command handlers (the table is in command_table.c).  Pub/sub: */
void subscribe_command(sclient *c);
void unsubscribe_command(sclient *c);
void psubscribe_command(sclient *c);
void punsubscribe_command(sclient *c);
void publish_command(sclient *c);

/* ------------------------------------------------------------ client_cmds.c */
void auth_command(sclient *c);
void hello_command(sclient *c);
void client_id_command(sclient *c);
void client_info_command(sclient *c);
void client_list_command(sclient *c);
void client_kill_command(sclient *c);
void client_getname_command(sclient *c);
void client_setname_command(sclient *c);
void client_reply_command(sclient *c);
void client_no_evict_command(sclient *c);
void client_pause_command(sclient *c);
void client_unpause_command(sclient *c);
void client_tracking_command(sclient *c);
void client_caching_command(sclient *c);
void client_getredir_command(sclient *c);
void client_trackinginfo_command(sclient *c);
void client_unblock_command(sclient *c);
void client_help_command(sclient *c);
void acl_whoami_command(sclient *c);
void acl_users_command(sclient *c);
void acl_list_command(sclient *c);
void acl_getuser_command(sclient *c);
void acl_cat_command(sclient *c);
void acl_genpass_command(sclient *c);
void acl_deluser_command(sclient *c);
void acl_setuser_command(sclient *c);
void acl_load_command(sclient *c);
void acl_save_command(sclient *c);
void acl_log_command(sclient *c);
void acl_dryrun_command(sclient *c);
void acl_help_command(sclient *c);

/* ------------------------------------------------------------ command_table.c */
/* Look the command up, check arity, authentication and the pub/sub
 * context as Redis does, and run it. */
void command_process(sclient *c);
/* ACL DRYRUN for the default user: +OK if the command exists and its
 * arity fits, else Redis's error. */
void command_dryrun(sclient *c, int argc, const resp_arg *argv);
/* ACL CAT: reply every category (NULL), or the full names of the commands
 * in one.  Returns -1, having replied nothing, if the category is unknown. */
int command_list_category(sclient *c, const char *category);

/* ------------------------------------------------------------ commands.c */
void sentinel_masters_command(sclient *c);
void sentinel_master_command(sclient *c);
void sentinel_replicas_command(sclient *c);
void sentinel_sentinels_command(sclient *c);
void sentinel_myid_command(sclient *c);
void sentinel_get_master_addr_by_name_command(sclient *c);
void sentinel_is_master_down_by_addr_command(sclient *c);
void sentinel_reset_command(sclient *c);
void sentinel_failover_command(sclient *c);
void sentinel_pending_scripts_command(sclient *c);
void sentinel_monitor_command(sclient *c);
void sentinel_flushconfig_command(sclient *c);
void sentinel_remove_command(sclient *c);
void sentinel_ckquorum_command(sclient *c);
void sentinel_config_command(sclient *c);
void sentinel_set_command(sclient *c);
void sentinel_info_cache_command(sclient *c);
void sentinel_simulate_failure_command(sclient *c);
void sentinel_debug_command(sclient *c);
void sentinel_help_command(sclient *c);

#endif
