/* aof_int.h: what the AOF's own files share and nobody else sees.
 *
 *   aof.c           state, the feed, writing and fsync (the fsync thread),
 *                   write errors, runtime on/off, the cron, INFO, BGREWRITEAOF
 *   aof_manifest.c  the multi-part layout: the manifest (read, write
 *                   atomically), file names, the directory, upgrading a
 *                   single old-style appendonly.aof, deleting history files
 *   aof_load.c      start-up loading: base (RDB or commands), then each incr
 *                   file, through the normal command path
 *   aof_rewrite.c   BGREWRITEAOF: the fork, the child writing the new base
 *                   (RDB, or commands for every key), the parent's switch to
 *                   the new manifest when the child is done
 *
 * The layout is Redis 7.0's: in appenddirname, `<appendfilename>.manifest`
 * lists the files, one per line, `file <name> seq <n> type <b|h|i>`; the
 * base is `<appendfilename>.<n>.base.rdb` (or `.base.aof`), increments are
 * `<appendfilename>.<n>.incr.aof`, and history files (h) are old ones
 * waiting to be deleted. */
#ifndef KEEL_AOF_INT_H
#define KEEL_AOF_INT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "aof.h"

enum { AOF_OFF = 0, AOF_ON = 1, AOF_WAIT_REWRITE = 2 };

/* ------------------------------------------------------------- manifest */

enum { AOF_TYPE_BASE = 'b', AOF_TYPE_HIST = 'h', AOF_TYPE_INCR = 'i' };

typedef struct aof_file {
    char *name; /* a bare file name inside appenddirname */
    long long seq;
    char type; /* AOF_TYPE_* */
} aof_file;

typedef struct aof_manifest {
    aof_file *base; /* NULL when there is none */
    aof_file *incr; /* in order, oldest first */
    int nincr;
    aof_file *hist;
    int nhist;
    long long base_seq, incr_seq; /* the highest numbers handed out */
} aof_manifest;

aof_manifest *aof_manifest_new(void);
void aof_manifest_free(aof_manifest *am);
aof_manifest *aof_manifest_dup(const aof_manifest *am);
/* Read `<dir>/<appendfilename>.manifest`.  Returns 1 with *out set, 0 when
 * the directory or the manifest does not exist (*out is an empty
 * manifest), -1 with the reason (line number and text) in err. */
int aof_manifest_load(server *s, aof_manifest **out, char *err, size_t errlen);
/* The manifest as it is written: base, then history, then increments. */
buf aof_manifest_format(const aof_manifest *am);
/* Write it atomically (temp file, fsync, rename, fsync the directory).
 * 0, or -1 after logging why. */
int aof_manifest_persist(server *s, const aof_manifest *am);
/* A new base name (`<name>.<n>.base.rdb|aof`); the old base becomes history. */
const char *aof_manifest_new_base(server *s, aof_manifest *am, int rdb_format);
/* A new incr name (`<name>.<n>.incr.aof`) appended to the increments. */
const char *aof_manifest_new_incr(server *s, aof_manifest *am);
/* After a rewrite: every increment but the last `keep` becomes history. */
void aof_manifest_retire_incrs(aof_manifest *am, int keep);

/* `<appenddirname>/<name>` (malloc'ed). */
char *aof_path(server *s, const char *name);
int aof_dir_ensure(server *s); /* mkdir if missing: 0, or -1 with errno */
int aof_name_is_basename(const char *name);
/* A single old-style `appendonly.aof` in dir: move it into the directory as
 * the base, with a manifest, as Redis 7.0 does.  0, or -1 (logged). */
int aof_upgrade_if_needed(server *s, aof_manifest *am);
/* Delete the history files and write the manifest without them. */
void aof_delete_history(server *s);
/* Size of a file in appenddirname; -1 if it cannot be stat'ed. */
long long aof_file_size(server *s, const char *name);
/* The name of the temporary incr file used while AOF is being turned on. */
#define AOF_TEMP_INCR_PREFIX "temp-"
#define AOF_TEMP_INCR_SUFFIX ".incr"
char *aof_temp_incr_name(server *s);

/* ---------------------------------------------------------------- state */

typedef struct aof_state {
    int state;        /* AOF_OFF, AOF_ON, AOF_WAIT_REWRITE */
    int fd;           /* the file being appended to, or -1 */
    buf buf;          /* fed since the last write */
    int selected_db;  /* the database of the last command written, -1: none */
    int loading;      /* replaying the files: feed nothing */
    aof_manifest *am; /* what is on disk */
    time_t cur_ts;    /* last #TS annotation written (aof-timestamp-enabled) */

    long long current_size;   /* base + increments as written */
    long long last_incr_size; /* bytes in the open incr file */
    long long base_size;      /* aof_current_size right after the last rewrite */
    long long fsync_offset;   /* current_size at the last fsync started */
    time_t last_fsync;        /* second of the last fsync started */
    time_t flush_postponed_start;
    long long delayed_fsync;

    int last_write_status; /* 0 ok, -1 the last write failed */
    int last_write_errno;

    /* rewrite */
    pid_t child_pid; /* -1: none */
    int rewrite_scheduled;
    int64_t rewrite_start_ms;    /* -1 when none is running */
    long long rewrite_time_last; /* seconds, -1: never */
    int last_bgrewrite_status;   /* 0 ok, -1 error */
    long long rewrites;
    long long rewrite_failures;  /* consecutive */
    time_t rewrite_next_allowed; /* back-off after repeated failures */
    int rewrite_delay_minutes;
    size_t last_cow_size;
    int cow_pipe[2]; /* the child reports its copy-on-write size here */
} aof_state;

extern aof_state aof;

/* aof.c */
void aof_fsync_thread_start(void);
void aof_background_fsync(int fd);
void aof_background_fsync_and_close(int fd);
void aof_background_unlink(char *path); /* takes the malloc'ed path */
int aof_fsync_in_progress(void);
int aof_open_append(server *s, const char *name, int truncate); /* fd or -1 */
/* Write `buf` into a file with the SELECT/annotation state of a fresh file. */
void aof_reset_selected_db(void);

/* aof_load.c: load every file of the manifest.  0, or -1 with the reason
 * (file and offset) in err. */
int aof_load_all(server *s, aof_manifest *am, char *err, size_t errlen);

/* aof_rewrite.c */
/* Fork the child that writes the new base; opens the new incr file first.
 * 0, or -1 (logged, and with a reason for the reply in *why). */
int aof_rewrite_background(server *s, const char **why);
/* Write the whole dataset as a base file (in this process): start-up with
 * an empty dataset.  0, or -1 (logged). */
int aof_rewrite_to_path(server *s, const char *path);
/* The child's exit, seen by its ev_child watcher. */
void aof_rewrite_done(server *s, int exitcode, int bysignal);
/* Kill a running child (CONFIG SET appendonly no, shutdown) and wait for it. */
void aof_rewrite_kill_child(server *s);
/* Write every key as commands (aof-use-rdb-preamble no).  0, or -1 (errno). */
int aof_rewrite_commands(server *s, FILE *fp);

#endif
