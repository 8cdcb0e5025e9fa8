/* aof: the append-only file, Redis 7.0's multi-part layout (a base file,
 * incremental files and a manifest in appenddirname).  Its input is the
 * propagation point: every change reaches aof_feed in the order it was
 * applied. */
#ifndef KEEL_AOF_H
#define KEEL_AOF_H

#include "server.h"

/* appendfsync */
enum { AOF_FSYNC_NO = 0, AOF_FSYNC_ALWAYS = 1, AOF_FSYNC_EVERYSEC = 2 };

/* A command that changed data in database dbid (called by propagate.c). */
void aof_feed(server *s, int dbid, int argc, const resp_arg *argv);
/* Start-up: open (or create) the AOF when appendonly is yes; load it if it
 * exists.  0, or -1 with the reason (file and offset) in err. */
int aof_start(server *s, char *err, size_t errlen);
/* Called before the loop sleeps: write (and fsync per appendfsync) what
 * this iteration fed, before replies go out. */
void aof_flush(server *s, int force);
/* Called from the cron: scheduled and automatic rewrites, a postponed
 * flush or a failed write to retry. */
void aof_cron(server *s);
/* At shutdown: flush and fsync. */
void aof_shutdown(server *s);

/* Whether replies must wait: with appendfsync always, output produced
 * since the last aof_flush may acknowledge writes not yet on disk, so a
 * client's write handler holds it back until the loop has flushed. */
int aof_replies_must_wait(const server *s);
/* Writes are refused while the AOF cannot be written: the error to reply
 * ("MISCONF Errors writing to the AOF file: <reason>"), or NULL. */
const char *aof_write_error(const server *s);
int aof_rewrite_in_progress(const server *s);
int aof_rewrite_scheduled(const server *s);
/* INFO persistence (persist_info): aof_enabled ... aof_last_cow_size come
 * from aof_info_fields (declared in persist.h); after the module_fork_*
 * lines, aof_info_details adds aof_current_size ... aof_delayed_fsync when
 * the AOF is on, as Redis 7.0 orders them. */
buf aof_info_details(server *s, buf out);
size_t aof_buffer_size(void); /* INFO memory: mem_aof_buffer */

/* CONFIG SET appendonly yes|no (config.c's apply hook): yes starts a
 * rewrite that creates the base, as Redis does; no closes the file. */
int aof_config_apply_appendonly(server *s, const char **err);

#endif
