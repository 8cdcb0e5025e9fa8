/* rdb: snapshots in Redis 7.0's RDB format (version 10), the module's
 * interface for the rest of the server (SAVE, BGSAVE, start-up loading,
 * the AOF's RDB base file and, later, replication's full sync). */
#ifndef KEEL_RDB_H
#define KEEL_RDB_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "server.h"

#define RDB_VERSION 10

/* Write every database to `path` atomically: a temporary file in the same
 * directory, fsync, rename.  0, or -1 with a reason in err. */
int rdb_save(server *s, const char *path, char *err, size_t errlen);
/* Write the snapshot to an open stream (AOF base file, replication). */
int rdb_save_to_file(server *s, FILE *fp, char *err, size_t errlen);
/* The same with flags: RDB_SAVE_AOF_BASE marks the file as an AOF's base
 * (the aof-base AUX field). */
#define RDB_SAVE_AOF_BASE 1
int rdb_save_to_file_ex(server *s, FILE *fp, int flags, char *err, size_t errlen);
/* "temp-<pid>.rdb" in the directory of path: where a save writes first. */
void rdb_temp_path(const char *path, int pid, char *out, size_t outlen);
/* Called every 1024 keys written with the count so far (the fork()ed
 * child reports its progress to the parent through this). */
typedef void rdb_save_progress_fn(unsigned long long keys);
void rdb_set_save_progress_hook(rdb_save_progress_fn *fn);

/* Start a background save in a fork()ed child.  Returns the child's pid, or
 * -1 with a reason in err (one already running, fork failed). */
pid_t rdb_bgsave_start(server *s, char *err, size_t errlen);
int rdb_bgsave_in_progress(const server *s);

/* Load `path` into the (empty) databases.  Keys whose TTL has passed are
 * skipped.  0 (including "no such file": nothing to load, *missing set),
 * or -1 with the reason and the byte offset in err: start-up stops then. */
int rdb_load(server *s, const char *path, int *missing, char *err, size_t errlen);
/* Load from an open stream positioned at "REDIS" (the AOF's RDB base). */
int rdb_load_from_file(server *s, FILE *fp, const char *name, char *err, size_t errlen);
/* Keys loaded and skipped as expired by the last load (INFO). */
void rdb_last_load_counts(long long *loaded, long long *expired);

#endif
