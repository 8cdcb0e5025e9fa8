/* sentinel.h: keel-sentinel's shared picture, the state every file of the
 * program reads.
 *
 * keel-sentinel watches one or more primaries ("masters", as Redis Sentinel
 * names them on the wire), their replicas, and the other sentinels that
 * watch the same primaries.  Each watched process is an `instance`; a master
 * owns its replicas and the other sentinels it learnt of.  Who owns what:
 *
 *   main.c           start-up, listeners, signals
 *   config.c         the config file: reading it, and rewriting it atomically
 *                    whenever the state below changes (config_flush)
 *   link.c           one outbound connection (conn + hiredis reader + callbacks)
 *   monitor.c        links to every instance: PING, INFO, hello messages; what
 *                    INFO and hello teach (new replicas, new sentinels, roles)
 *   election.c       SDOWN, ODOWN, the leader vote by epoch
 *   failover.c       the failover state machine, planned switchover
 *   client.c         the sentinel's own clients: accept, parse, reply, output
 *                    limits, pub/sub, events (sentinel_event)
 *   client_cmds.c    AUTH, HELLO, CLIENT ..., ACL ...
 *   command_table.c  the command table and dispatch, COMMAND ..., PING, INFO,
 *                    ROLE, SHUTDOWN
 *   commands.c       SENTINEL ...
 *
 * Times are milliseconds from util_mstime() unless named otherwise. */
#ifndef KEEL_SENTINEL_H
#define KEEL_SENTINEL_H

#include <ev.h>
#include <stdint.h>

#include "buf.h"
#include "link.h"
#include "tls.h"

#define SENTINEL_DEFAULT_PORT 26379
#define SENTINEL_HELLO_CHANNEL "__sentinel__:hello"
#define SENTINEL_RUNID_LEN 40

/* Timing.  Redis Sentinel PINGs once a second; Keel PINGs every tenth of
 * down-after-milliseconds (at most once a second), so that a dead primary is
 * seen down-after plus a tenth after its last reply, not up to a second
 * later.  INFO goes to a primary every second (a stalled primary shows
 * write_fenced there) and to replicas every 10 s, every 100 ms to anything
 * taking part in a failover. */
#define SENTINEL_PING_PERIOD_MAX 1000
#define SENTINEL_INFO_PERIOD_MASTER 1000
#define SENTINEL_INFO_PERIOD 10000
#define SENTINEL_INFO_PERIOD_FAILOVER 100
#define SENTINEL_HELLO_PERIOD 1000
#define SENTINEL_ASK_PERIOD 100
#define SENTINEL_TIMER_PERIOD 50 /* the periodic timer's tick */
#define SENTINEL_DEFAULT_DOWN_AFTER 30000
#define SENTINEL_DEFAULT_FAILOVER_TIMEOUT (60 * 3 * 1000)
#define SENTINEL_DEFAULT_PARALLEL_SYNCS 1
#define SENTINEL_MIN_LINK_RECONNECT_PERIOD 15000
#define SENTINEL_TILT_TRIGGER 2000
#define SENTINEL_TILT_PERIOD 30000

/* instance.flags */
#define SRI_MASTER (1 << 0)
#define SRI_REPLICA (1 << 1)
#define SRI_SENTINEL (1 << 2)
#define SRI_S_DOWN (1 << 3)      /* subjectively down: no valid reply for down-after */
#define SRI_O_DOWN (1 << 4)      /* objectively down: a quorum agrees (masters only) */
#define SRI_MASTER_DOWN (1 << 5) /* a sentinel that told us it sees the master down */
#define SRI_FAILOVER_IN_PROGRESS (1 << 6)
#define SRI_PROMOTED (1 << 7)        /* the replica chosen for promotion */
#define SRI_RECONF_SENT (1 << 8)     /* REPLICAOF <new primary> sent */
#define SRI_RECONF_INPROG (1 << 9)   /* it is syncing with the new primary */
#define SRI_RECONF_DONE (1 << 10)    /* its link to the new primary is up */
#define SRI_FORCE_FAILOVER (1 << 11) /* SENTINEL FAILOVER: no ODOWN, no vote needed */
#define SRI_SWITCHOVER (1 << 12)     /* planned: the old primary is paused first */
#define SRI_MASTER_REBOOT (1 << 13)  /* a master that restarted (run id changed) */

/* instance.failover_state, in order.  WAIT_CATCHUP is Keel's: a planned
 * switchover pauses writes on the old primary and waits for the chosen
 * replica to reach its offset before promoting it. */
enum {
    FAILOVER_STATE_NONE,
    FAILOVER_STATE_WAIT_START,         /* elected yet? */
    FAILOVER_STATE_SELECT_SLAVE,       /* pick the best replica */
    FAILOVER_STATE_WAIT_CATCHUP,       /* switchover only: replica reaches the primary's offset */
    FAILOVER_STATE_SEND_SLAVEOF_NOONE, /* promote it */
    FAILOVER_STATE_WAIT_PROMOTION,     /* until INFO says role:master */
    FAILOVER_STATE_RECONF_SLAVES,      /* repoint the other replicas */
    FAILOVER_STATE_UPDATE_CONFIG,      /* switch the master to the promoted one */
};

/* SENTINEL SIMULATE-FAILURE flags */
#define SENTINEL_SIMFAILURE_CRASH_AFTER_ELECTION (1 << 0)
#define SENTINEL_SIMFAILURE_CRASH_AFTER_PROMOTION (1 << 1)

typedef struct instance instance;

struct instance {
    int flags;             /* SRI_* */
    char *name;            /* master: its configured name; others: "ip:port" */
    char *runid;           /* from INFO (run_id) or hello; NULL until known */
    uint64_t config_epoch; /* masters: epoch of the configuration we hold */
    char *ip;              /* as configured or announced (may be a host name
                              when resolve-hostnames is yes) */
    int port;
    instance *master; /* replicas and sentinels: the master they belong to */

    /* Links.  Masters and replicas have a command link (cc) and a pub/sub
     * link (pc) subscribed to the hello channel; sentinels only cc. */
    slink *cc;
    slink *pc;
    int64_t cc_conn_time; /* when cc last connected (0: not connected) */
    int64_t pc_conn_time;
    int64_t pc_last_activity; /* last message on pc */

    /* Liveness, as Redis keeps it. */
    int64_t act_ping_time;   /* when the oldest unanswered PING was sent; 0 if none pending */
    int64_t last_ping_time;  /* when the last PING was sent */
    int64_t last_pong_time;  /* last reply of any kind to a PING */
    int64_t last_avail_time; /* last valid reply (PONG, LOADING, MASTERDOWN) */
    int64_t last_pub_time;   /* last hello we published through it */
    int64_t last_hello_time; /* sentinels: last hello we received from it */
    int64_t last_master_down_reply_time; /* sentinels: last is-master-down-by-addr reply */
    int64_t s_down_since_time;
    int64_t o_down_since_time;
    int64_t down_after_period; /* replicas and sentinels copy their master's */

    /* What INFO said (masters and replicas). */
    buf info;               /* the last INFO reply, for SENTINEL INFO-CACHE */
    int64_t info_refresh;   /* when it arrived (0: never) */
    int64_t info_sent_time; /* when the last INFO was sent */
    int role_reported;      /* SRI_MASTER or SRI_REPLICA */
    int64_t role_reported_time;
    int64_t slave_conf_change_time; /* when its reported master last changed */
    int64_t back_time;              /* came back (-sdown, +reboot) and has not yet
                                       reported the replica role since: 0 otherwise */
    int write_fenced;               /* INFO write_fenced:1 (keel-server only) */
    int64_t master_link_down_time;  /* replicas: master_link_down_since_seconds, in ms */
    int slave_priority;             /* replica-priority (100 unless told) */
    int replica_announced;          /* replica-announced (1 unless told) */
    char *slave_master_host;        /* master_host */
    int slave_master_port;
    int slave_master_link_status; /* 1: up */
    uint64_t slave_repl_offset;
    uint64_t master_repl_offset; /* masters: master_repl_offset */

    /* Masters only. */
    instance **replicas;
    int nreplicas;
    instance **sentinels; /* the other sentinels watching this master */
    int nsentinels;
    int quorum;
    int parallel_syncs;
    char *auth_pass;
    char *auth_user;
    char *notification_script; /* stored and rewritten; Keel runs no scripts */
    char *client_reconfig_script;
    int64_t master_reboot_down_after_period;
    int64_t master_reboot_since_time;

    /* Election and failover (masters); a sentinel's last vote (sentinels). */
    char *leader; /* the runid this sentinel voted for, or the
                     leader a sentinel told us it voted for */
    uint64_t leader_epoch;
    uint64_t failover_epoch; /* epoch of the failover we lead */
    int failover_state;      /* FAILOVER_STATE_* */
    int64_t failover_state_change_time;
    int64_t failover_start_time; /* last attempt (ours or one we voted for) */
    int64_t failover_timeout;
    int64_t failover_delay_logged;
    instance *promoted_slave;
    uint64_t switchover_offset; /* planned switchover: the paused primary's offset */
    int switchover_ready;       /* switchover_offset is known */
    int switchover_paused;      /* our CLIENT PAUSE WRITE is in force on it */
};

typedef struct sentinel_state {
    struct ev_loop *loop;
    char myid[SENTINEL_RUNID_LEN + 1];
    uint64_t current_epoch;
    instance **masters;
    int nmasters;

    /* The server side (config.c fills these, main.c listens). */
    char *config_file; /* absolute path; rewritten on every state change */
    int port;          /* 0: no plain TCP listener */
    char **bind;       /* addresses to listen on (none: all) */
    int nbind;
    int tls_port;
    int tls_replication; /* links to instances and sentinels over TLS */
    int tls_auth_clients;
    tls_options tls; /* tls-cert-file and friends */
    tls_context *tls_ctx;
    char *requirepass;   /* clients of this sentinel must AUTH */
    char *sentinel_user; /* what we AUTH with at other sentinels */
    char *sentinel_pass;
    char *announce_ip;
    int announce_port;
    int announce_hostnames;
    int resolve_hostnames;
    int deny_scripts_reconfig;
    int protected_mode;
    char *logfile;
    int loglevel;
    char *dir;
    char *pidfile;

    /* Run-time. */
    int tilt;
    int64_t tilt_start_time;
    int64_t previous_time;
    int simfailure_flags;
    int64_t start_time;
} sentinel_state;

extern sentinel_state sentinel;

/* ------------------------------------------------------------ monitor.c */
/* Create a master from `sentinel monitor` or SENTINEL MONITOR.  Returns
 * NULL with Redis's error text in err ("Duplicated master name",
 * "Invalid port number", ...) */
instance *master_create(const char *name, const char *ip, int port, int quorum, char *err,
                        size_t errlen);
/* A replica or sentinel of master m (known-replica / known-sentinel lines,
 * INFO, hello).  Returns the existing one if already known. */
instance *replica_add(instance *m, const char *ip, int port);
instance *sentinel_add(instance *m, const char *ip, int port, const char *runid);
void master_remove(instance *m); /* SENTINEL REMOVE: frees it and its links */
/* SENTINEL RESET: forget replicas and sentinels, clear the failover and the
 * down flags, drop the links (they reconnect).  Publishes +reset-master. */
void master_reset(instance *m);
instance *master_lookup(const char *name);
instance *master_lookup_by_addr(const char *ip, int port);
/* The address clients should use for m: its own, except while a failover
 * has chosen a replica to promote, when it is that replica's (the old
 * primary is being demoted; naming it would send writes that can be lost). */
void master_client_addr(instance *m, const char **ip, int *port);
/* down-after-milliseconds: a master's replicas and sentinels are judged
 * with the master's period, as in Redis. */
void master_set_down_after(instance *m, int64_t ms);
/* Drop an instance's links so that they reconnect (auth changed). */
void monitor_reset_links(instance *ri);
/* "master,s_down,..." as SENTINEL MASTERS shows flags. */
buf instance_flags_string(const instance *ri);
/* Start the periodic timer that drives monitoring, elections, failovers. */
void sentinel_timer_start(void);
/* A hello message, from an instance's hello channel or a PUBLISH sent to
 * us: "ip,port,runid,current_epoch,master_name,master_ip,master_port,
 * master_epoch".  Learns the sender sentinel and newer master configs. */
void monitor_process_hello(const char *msg, size_t len);

/* Between monitor.c, election.c and failover.c. */
int64_t instance_ping_period(const instance *ri);
/* Send INFO now (on top of the periodic ones); the reply updates ri. */
void instance_info_now(instance *ri);
/* MULTI, REPLICAOF host port (NULL host: NO ONE), CONFIG REWRITE, CLIENT KILL
 * TYPE normal, EXEC, as Redis Sentinel sends it.  cb gets the EXEC reply
 * (NULL if the link dropped).  Returns 0, or -1 if the link is down. */
int instance_send_replicaof(instance *ri, const char *host, int port, slink_reply_fn *cb);
/* Point master m at a new address (the promoted replica), keeping the other
 * replicas and the old primary as replicas, and the sentinels. */
void master_switch(instance *m, const char *ip, int port);
/* Publish our hello for m on every instance (and to the other sentinels). */
void monitor_send_hellos(instance *m);

/* ------------------------------------------------------------ election.c */
void election_check_odown(instance *m);
/* Ask the other sentinels whether they see m down (and, during our
 * failover, for their vote). */
void election_ask_others(instance *m, int force);
/* The winner of the vote for epoch, or NULL: needs a majority of all the
 * sentinels we know (us included) and at least the quorum. */
const char *election_get_leader(instance *m, uint64_t epoch);

/* SENTINEL IS-MASTER-DOWN-BY-ADDR with a run id: vote for req_runid in
 * req_epoch unless we already voted in that epoch.  Returns the runid we
 * voted for in the latest epoch (static storage is not used: the string is
 * m->leader) and sets *leader_epoch. */
const char *election_vote(instance *m, uint64_t req_epoch, const char *req_runid,
                          uint64_t *leader_epoch);
/* Count of sentinels (us included) that agree m is down. */
int election_count_down(instance *m);

/* ------------------------------------------------------------ failover.c */
/* SENTINEL FAILOVER: a planned switchover.  Returns 0, or -1 with Redis's
 * error in err ("INPROG Failover already in progress", "NOGOODSLAVE No
 * suitable replica to promote"). */
int failover_start_manual(instance *m, char *err, size_t errlen);
const char *failover_state_name(int state);
void failover_start_if_needed(instance *m);
void failover_step(instance *m); /* run the state machine once (timer) */
/* INFO from ri says role master: our promoted replica is confirmed, etc. */
void failover_on_role_master(instance *m, instance *ri);
void failover_abort(instance *m, const char *event);

/* ------------------------------------------------------------ client.c */
/* Log an event and publish it to clients subscribed to channel `type`,
 * Redis's way: if fmt starts with "%@", the instance is described as
 * "<type-name> <name> <ip> <port>" followed, for non-masters, by
 * " @ <master-name> <master-ip> <master-port>"; the rest of fmt follows.
 * Level LOG_DEBUG events are logged at debug level but still published. */
void sentinel_event(int level, const char *type, instance *ri, const char *fmt, ...);
/* Accept one client on a listening socket (plain or TLS). */
void client_accept(int fd, int tls);
/* Close every client (shutdown). */
void client_close_all(void);
int client_count(void);

/* ------------------------------------------------------------ main.c */
void sentinel_shutdown(void); /* flush the config, close, exit(0) */

/* ------------------------------------------------------------ config.c */
/* Read the config file (and command-line directives, given as lines).
 * Returns 0, or -1 after printing Redis's FATAL CONFIG FILE ERROR. */
int sentinel_config_load(const char *path, const char *extra_lines);
/* Rewrite the config file atomically with the current state (myid, epochs,
 * masters, known replicas and sentinels).  0 on success; -1 logged. */
int config_flush(void);

#endif
