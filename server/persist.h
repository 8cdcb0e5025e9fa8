/* persist: snapshot persistence as the rest of the server sees it
 * (persist_cmds.c): SAVE, BGSAVE, LASTSAVE, save points, the fork()ed
 * child's life, -LOADING and -MISCONF refusals, the INFO persistence
 * section, start-up loading, and the hooks SHUTDOWN and FLUSHALL call.
 * The file format itself is rdb.c's (rdb.h). */
#ifndef KEEL_PERSIST_H
#define KEEL_PERSIST_H

#include "server.h"

/* The one fork()ed child a server runs at a time (s->child_type). */
enum { CHILD_TYPE_NONE = 0, CHILD_TYPE_RDB = 1, CHILD_TYPE_AOF = 2 };

#define PERSIST_MAX_SAVE_POINTS 16

/* INFO's "# Persistence" body: loading, rdb_* and aof_* fields in Redis
 * 7.0's order.  The aof_* lines come from aof_info_fields() below. */
buf persist_info(server *s, buf out);
/* The AOF module's INFO fields, from aof_enabled to aof_last_cow_size (and
 * the aof_* details shown when it is on).  A weak default in
 * persist_cmds.c reports the AOF as off until aof.c defines its own. */
buf aof_info_fields(server *s, buf out);

/* command_call: replies -LOADING to commands not allowed while a dataset
 * loads, and -MISCONF to writes (and PING) after a failed background save
 * when stop-writes-on-bgsave-error is on.  Returns 1 if it refused. */
int persist_reject_command(client *c, const command *cmd);

/* The server cron: save points, scheduled BGSAVEs. */
void persist_cron(server *s);

/* server_prepare_shutdown: kill a saving child, and save when save points
 * are set or SHUTDOWN SAVE asked (flags: SHUTDOWN_*).  0, or -1 if the
 * save failed and the shutdown must not go on. */
int persist_prepare_shutdown(server *s, int flags);

/* FLUSHALL: stop a background save of data that no longer exists and, with
 * save points set, write the empty dataset (as Redis 7.0). */
void persist_after_flushall(server *s);

/* Start-up: load dbfilename from dir when there is one.  0, or -1 after
 * logging why (the server must not start with half a dataset). */
int persist_load_at_startup(server *s);

/* The `save` option: "<seconds> <changes> ..." pairs, or "" for none.
 * Between config_load's begin and end, the first `save` directive replaces
 * the defaults and later ones add points (Redis's rule for files). */
int persist_parse_save(server_config *cfg, int argc, char **argv, const char **err);
buf persist_format_save(buf out, const server_config *cfg);
void persist_config_load_begin(void);
void persist_config_load_end(void);
/* CONFIG SET dbfilename: a file name, never a path. */
int persist_apply_dbfilename(server *s, const char **err);

/* SAVE, BGSAVE, LASTSAVE (registered by commands.c). */
extern command persist_commands[];

/* INFO stats: latest_fork_usec, total_forks. */
void persist_fork_stats(long long *latest_fork_usec, long long *total_forks);

/* Loading a dataset (RDB, or an AOF's parts): sets s->loading, serves
 * -LOADING to clients while it lasts, logs progress about once a second,
 * and lets the event loop run every ~2 MB or 100 ms.  total_bytes may be
 * 0 when unknown. */
void persist_loading_start(server *s, long long total_bytes);
void persist_loading_progress(server *s, long long loaded_bytes, long long keys);
void persist_loading_end(server *s, int ok);

/* Sleep as rdb-key-save-delay / key-load-delay ask: usec > 0 sleeps that
 * long, usec < 0 sleeps 1 us once in -usec calls (as Redis's debugDelay). */
void persist_debug_delay(long long usec);

#endif
