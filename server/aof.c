/* aof: the append-only file's life in the running server.
 *
 * The feed: every change reaches aof_feed from the propagation point, in
 * the order it was applied, and is appended in RESP multibulk form to an
 * in-memory buffer (with SELECT when the database differs from the last
 * command written, and #TS annotations when aof-timestamp-enabled).
 *
 * The write: before the event loop sleeps, and so before any reply of
 * that iteration leaves, aof_flush writes the buffer to the open incr file
 * with one write(2).  appendfsync always then fdatasyncs in place (a reply
 * is sent only once its write is on disk: a client's write handler also
 * holds back while the buffer is not empty, see aof_replies_must_wait);
 * everysec hands the fsync to a background thread at most once a second,
 * so the loop never waits on the disk; no leaves it to the kernel.
 *
 * Errors: a failed write keeps the data in the buffer, is retried on every
 * flush, and while it lasts write commands are refused with Redis's
 * "-MISCONF Errors writing to the AOF file: <reason>".  With appendfsync
 * always a failed write or fsync exits the process, as Redis does: the
 * change is already in memory and replies may already be queued, so
 * carrying on would acknowledge a write that is not on disk.
 *
 * Also here: turning the AOF on and off at run time (CONFIG SET
 * appendonly), the cron (scheduled and automatic rewrites, retrying
 * failed writes), shutdown, INFO, and the
 * BGREWRITEAOF command.  Start-up loading is aof_load.c, the rewrite
 * aof_rewrite.c, the directory and manifest aof_manifest.c. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aof_int.h"
#include "persist.h"

#define AOF_WRITE_LOG_ERROR_RATE 30 /* seconds between logs of the same write error */
#define AOF_POSTPONE_MAX_MS 1000    /* everysec: longest wait for a busy fsync before writing */
#define AOF_BUF_REUSE_MAX 4096      /* keep the buffer's memory below this */
#define AOF_REWRITE_LIMIT_THRESHOLD 3
#define AOF_REWRITE_LIMIT_MAX_MINUTES 60

aof_state aof = {.fd = -1,
                 .selected_db = -1,
                 .child_pid = -1,
                 .rewrite_start_ms = -1,
                 .rewrite_time_last = -1,
                 .cow_pipe = {-1, -1}};

static int64_t aof_flush_postponed_ms;

/* --------------------------------------------------------- fsync thread */

/* One background thread does what would stall the loop: fsync for
 * everysec, fsync-and-close of an incr file that was switched away from,
 * and unlinking history files (unlinking a big file can take a while).
 * Jobs run in the order they were queued, so an fsync queued before a
 * close of the same descriptor runs first. */
enum { AOF_JOB_FSYNC, AOF_JOB_CLOSE, AOF_JOB_UNLINK };

typedef struct aof_job {
    int kind;
    int fd;
    char *path; /* AOF_JOB_UNLINK */
    struct aof_job *next;
} aof_job;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond, idle;
    aof_job *head, *tail;
    int started;
    atomic_int pending_fsync; /* fsync jobs queued or running */
    atomic_int pending;       /* every job queued or running */
    atomic_int fsync_status;  /* 0, or -1 after a failed background fsync */
    atomic_int fsync_errno;
} aof_bio = {.lock = PTHREAD_MUTEX_INITIALIZER,
             .cond = PTHREAD_COND_INITIALIZER,
             .idle = PTHREAD_COND_INITIALIZER};

static void *aof_bio_main(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals belong to the loop */
    for (;;) {
        pthread_mutex_lock(&aof_bio.lock);
        while (!aof_bio.head)
            pthread_cond_wait(&aof_bio.cond, &aof_bio.lock);
        aof_job *j = aof_bio.head;
        aof_bio.head = j->next;
        if (!aof_bio.head)
            aof_bio.tail = NULL;
        pthread_mutex_unlock(&aof_bio.lock);

        int rc = j->kind == AOF_JOB_UNLINK ? 0 : fdatasync(j->fd);
        if (j->kind == AOF_JOB_UNLINK) {
            if (unlink(j->path) == -1 && errno != ENOENT)
                log_warning("Can't remove the history file %s: %s", j->path, strerror(errno));
            free(j->path);
        } else if (j->kind == AOF_JOB_CLOSE) {
            close(j->fd); /* a file we switched away from: its errors are moot */
        } else {
            /* A failed fsync stops writes (MISCONF) until one succeeds. */
            if (rc == -1 && errno != EBADF && errno != EINVAL) {
                atomic_store(&aof_bio.fsync_errno, errno);
                atomic_store(&aof_bio.fsync_status, -1);
            } else {
                atomic_store(&aof_bio.fsync_status, 0);
            }
            atomic_fetch_sub(&aof_bio.pending_fsync, 1);
        }
        free(j);
        pthread_mutex_lock(&aof_bio.lock);
        if (atomic_fetch_sub(&aof_bio.pending, 1) == 1)
            pthread_cond_broadcast(&aof_bio.idle);
        pthread_mutex_unlock(&aof_bio.lock);
    }
    return NULL;
}

void aof_fsync_thread_start(void)
{
    if (aof_bio.started)
        return;
    pthread_t t;
    if (pthread_create(&t, NULL, aof_bio_main, NULL) != 0) {
        log_warning("Fatal: can't start the AOF fsync thread: %s", strerror(errno));
        exit(1);
    }
    pthread_detach(t);
    aof_bio.started = 1;
}

static void aof_bio_submit(int kind, int fd, char *path)
{
    aof_fsync_thread_start();
    aof_job *j = malloc(sizeof(*j));
    if (!j)
        abort();
    *j = (aof_job){kind, fd, path, NULL};
    if (kind == AOF_JOB_FSYNC)
        atomic_fetch_add(&aof_bio.pending_fsync, 1);
    atomic_fetch_add(&aof_bio.pending, 1);
    pthread_mutex_lock(&aof_bio.lock);
    if (aof_bio.tail)
        aof_bio.tail->next = j;
    else
        aof_bio.head = j;
    aof_bio.tail = j;
    pthread_cond_signal(&aof_bio.cond);
    pthread_mutex_unlock(&aof_bio.lock);
}

void aof_background_fsync(int fd)
{
    aof_bio_submit(AOF_JOB_FSYNC, fd, NULL);
}

void aof_background_fsync_and_close(int fd)
{
    aof_bio_submit(AOF_JOB_CLOSE, fd, NULL);
}

void aof_background_unlink(char *path)
{
    aof_bio_submit(AOF_JOB_UNLINK, -1, path);
}

int aof_fsync_in_progress(void)
{
    return atomic_load(&aof_bio.pending_fsync) != 0;
}

/* Wait until every queued job is done: before the main thread closes or
 * fsyncs a descriptor a job may still name. */
static void aof_bio_drain(void)
{
    if (!aof_bio.started)
        return;
    pthread_mutex_lock(&aof_bio.lock);
    while (atomic_load(&aof_bio.pending) != 0)
        pthread_cond_wait(&aof_bio.idle, &aof_bio.lock);
    pthread_mutex_unlock(&aof_bio.lock);
}

/* ------------------------------------------------------------- the feed */

/* The server runs one fork()ed child at a time, RDB or AOF (persist.h). */
static int aof_child_active(const server *s)
{
    return s->child_type != CHILD_TYPE_NONE;
}

void aof_reset_selected_db(void)
{
    aof.selected_db = -1;
}

void aof_feed(server *s, int dbid, int argc, const resp_arg *argv)
{
    if (aof.loading)
        return;
    /* While the AOF is being turned on, changes are kept only once the
     * rewrite's child exists: they go to the temporary incr file that will
     * follow its base.  Before the fork the snapshot will contain them. */
    if (aof.state != AOF_ON && !(aof.state == AOF_WAIT_REWRITE && aof.child_pid != -1))
        return;
    if (!aof.buf)
        aof.buf = buf_new_cap(1024);
    if (s->cfg.aof_timestamp_enabled) {
        time_t now = (time_t)(s->mstime / 1000);
        if (aof.cur_ts < now) {
            aof.cur_ts = now;
            aof.buf = buf_cat_printf(aof.buf, "#TS:%lld\r\n", (long long)now);
        }
    }
    if (dbid != aof.selected_db) {
        char num[LL_STR_SIZE];
        int n = util_ll2str(num, sizeof(num), dbid);
        resp_arg sel[2] = {{"SELECT", 6}, {num, (size_t)n}};
        aof.buf = resp_add_command(aof.buf, 2, sel);
        aof.selected_db = dbid;
    }
    aof.buf = resp_add_command(aof.buf, argc, argv);
}

size_t aof_buffer_size(void)
{
    return aof.buf ? buf_len(aof.buf) + buf_avail(aof.buf) : 0;
}

/* ------------------------------------------------------------ the write */

/* write(2) until done, retrying short writes and EINTR: a short write to a
 * file is usually followed by an error, which we then see. */
static ssize_t aof_write_all(int fd, const char *p, size_t len)
{
    ssize_t total = 0;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return total ? total : -1;
        }
        p += n;
        len -= (size_t)n;
        total += n;
    }
    return total;
}

static void aof_fsync_now_or_exit(server *s)
{
    if (fdatasync(aof.fd) == -1) {
        log_warning("Can't persist AOF for fsync error when the AOF fsync policy is 'always': %s. "
                    "Exiting...",
                    strerror(errno));
        exit(1);
    }
    aof.fsync_offset = aof.current_size;
    aof.last_fsync = (time_t)(s->mstime / 1000);
}

void aof_flush(server *s, int force)
{
    if (aof.fd == -1)
        return;
    time_t now = (time_t)(s->mstime / 1000);
    int everysec = s->cfg.appendfsync == AOF_FSYNC_EVERYSEC;
    int sync_in_progress = 0;
    size_t len = aof.buf ? buf_len(aof.buf) : 0;

    if (len == 0) {
        /* Nothing new, but everysec still owes an fsync for what an earlier
         * write left in the page cache. */
        if (everysec && aof.fsync_offset != aof.current_size && now > aof.last_fsync &&
            !(sync_in_progress = aof_fsync_in_progress()))
            goto try_fsync;
        return;
    }
    if (everysec)
        sync_in_progress = aof_fsync_in_progress();
    if (everysec && !force && sync_in_progress) {
        /* write(2) would block behind the running fsync on most
         * filesystems: wait a little, but never past AOF_POSTPONE_MAX_MS,
         * which bounds what a crash can lose. */
        if (aof_flush_postponed_ms == 0) {
            aof_flush_postponed_ms = s->mstime;
            return;
        }
        if (s->mstime - aof_flush_postponed_ms < AOF_POSTPONE_MAX_MS)
            return;
        aof.delayed_fsync++;
        log_notice("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF "
                   "buffer without waiting for fsync to complete, this may slow down Keel.");
    }

    ssize_t n = aof_write_all(aof.fd, aof.buf, len);
    aof_flush_postponed_ms = 0;
    if (n != (ssize_t)len) {
        static time_t last_log;
        int can_log = now - last_log > AOF_WRITE_LOG_ERROR_RATE;
        if (can_log)
            last_log = now;
        if (n == -1) {
            aof.last_write_errno = errno; /* before logging can change it */
            if (can_log)
                log_warning("Error writing to the AOF file: %s", strerror(aof.last_write_errno));
        } else {
            if (can_log)
                log_warning("Short write while writing to the AOF file: (nwritten=%lld, "
                            "expected=%lld)",
                            (long long)n, (long long)len);
            /* Take the partial command back out of the file, so that the
             * retry does not leave half a command in the middle. */
            if (ftruncate(aof.fd, (off_t)aof.last_incr_size) == -1) {
                if (can_log)
                    log_warning("Could not remove short write from the append-only file.  Keel "
                                "may refuse to load the AOF the next time it starts.  "
                                "ftruncate: %s",
                                strerror(errno));
            } else {
                n = -1;
            }
            aof.last_write_errno = ENOSPC;
        }
        if (s->cfg.appendfsync == AOF_FSYNC_ALWAYS) {
            log_warning("Can't recover from AOF write error when the AOF fsync policy is "
                        "'always'. Exiting...");
            exit(1);
        }
        aof.last_write_status = -1;
        if (n > 0) {
            aof.current_size += n;
            aof.last_incr_size += n;
            buf_consume(aof.buf, (size_t)n);
        }
        return; /* retried on the next flush */
    }
    if (aof.last_write_status == -1) {
        log_warning("AOF write error looks solved, Keel can write again.");
        aof.last_write_status = 0;
    }
    aof.current_size += n;
    aof.last_incr_size += n;
    if (buf_len(aof.buf) + buf_avail(aof.buf) < AOF_BUF_REUSE_MAX) {
        buf_clear(aof.buf);
    } else {
        buf_free(aof.buf);
        aof.buf = buf_new_cap(1024);
    }

try_fsync:
    /* no-appendfsync-on-rewrite: a child writing its file makes fsync slow;
     * the operator chose to risk more data than to stall. */
    if (s->cfg.no_appendfsync_on_rewrite && aof_child_active(s))
        return;
    if (s->cfg.appendfsync == AOF_FSYNC_ALWAYS) {
        aof_fsync_now_or_exit(s);
    } else if (everysec && now > aof.last_fsync) {
        if (!sync_in_progress) {
            aof_background_fsync(aof.fd);
            aof.fsync_offset = aof.current_size;
        }
        aof.last_fsync = now;
    }
}

int aof_replies_must_wait(const server *s)
{
    return aof.fd != -1 && s->cfg.appendfsync == AOF_FSYNC_ALWAYS && aof.buf &&
           buf_len(aof.buf) > 0;
}

const char *aof_write_error(const server *s)
{
    (void)s;
    static char msg[256];
    if (aof.state == AOF_OFF)
        return NULL;
    int err;
    if (aof.last_write_status == -1)
        err = aof.last_write_errno;
    else if (atomic_load(&aof_bio.fsync_status) == -1)
        err = atomic_load(&aof_bio.fsync_errno);
    else
        return NULL;
    snprintf(msg, sizeof(msg), "MISCONF Errors writing to the AOF file: %s", strerror(err));
    return msg;
}

int aof_open_append(server *s, const char *name, int truncate)
{
    char *path = aof_path(s, name);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | (truncate ? O_TRUNC : 0), 0644);
    int saved = errno;
    free(path);
    errno = saved;
    return fd;
}

/* ------------------------------------------------------------ start-up */

static void aof_start_reset(void)
{
    aof.state = AOF_OFF;
    aof.fd = -1;
    aof.selected_db = -1;
    aof.child_pid = -1;
    aof.rewrite_start_ms = -1;
    aof.rewrite_time_last = -1;
    aof.cow_pipe[0] = aof.cow_pipe[1] = -1;
}

/* Open the last incr file (or create the first), creating a base from the
 * (empty) dataset when there are no files at all, as Redis 7.0 does, so
 * that the directory always describes the whole dataset. */
static int aof_open_on_start(server *s, char *err, size_t errlen)
{
    aof_manifest *am = aof.am;
    if (aof_dir_ensure(s) == -1) {
        snprintf(err, errlen, "Can't open or create append-only dir %s: %s", s->cfg.appenddirname,
                 strerror(errno));
        return -1;
    }
    int had_incr = am->nincr > 0;
    if (!am->base && !had_incr) {
        const char *base = aof_manifest_new_base(s, am, s->cfg.aof_use_rdb_preamble);
        char *path = aof_path(s, base);
        int rc = aof_rewrite_to_path(s, path);
        free(path);
        if (rc != 0) {
            snprintf(err, errlen, "Can't create the AOF base file %s (see the log above)", base);
            return -1;
        }
        log_notice("Creating AOF base file %s on server start", base);
    }
    const char *incr = had_incr ? am->incr[am->nincr - 1].name : aof_manifest_new_incr(s, am);
    aof.fd = aof_open_append(s, incr, 0);
    if (aof.fd == -1) {
        snprintf(err, errlen, "Can't open the append-only file %s: %s", incr, strerror(errno));
        return -1;
    }
    if (aof_manifest_persist(s, am) != 0) {
        snprintf(err, errlen, "Can't write the AOF manifest in %s (see the log above)",
                 s->cfg.appenddirname);
        return -1;
    }
    long long size = aof_file_size(s, incr);
    aof.last_incr_size = size > 0 ? size : 0;
    if (had_incr) {
        log_notice("Opening AOF incr file %s on server start", incr);
    } else {
        log_notice("Creating AOF incr file %s on server start", incr);
        /* A fresh directory: its size is what we just wrote. */
        long long base = am->base ? aof_file_size(s, am->base->name) : 0;
        aof.current_size = (base > 0 ? base : 0) + aof.last_incr_size;
        aof.base_size = aof.current_size;
        aof.fsync_offset = aof.current_size;
    }
    return 0;
}

int aof_start(server *s, char *err, size_t errlen)
{
    aof_start_reset();
    if (!aof_name_is_basename(s->cfg.appendfilename)) {
        snprintf(err, errlen, "appendfilename can't be a path, just a filename");
        return -1;
    }
    if (!aof_name_is_basename(s->cfg.appenddirname)) {
        snprintf(err, errlen, "appenddirname can't be a path, just a dirname");
        return -1;
    }
    /* The manifest is read even with appendonly no: BGREWRITEAOF and
     * CONFIG SET appendonly yes continue its numbering and retire its
     * files. */
    aof_manifest *am;
    if (aof_manifest_load(s, &am, err, errlen) < 0) {
        aof_manifest_free(am);
        return -1;
    }
    aof.am = am;
    aof.last_fsync = (time_t)(s->mstime / 1000);
    if (!s->cfg.appendonly)
        return 0;

    if (aof_upgrade_if_needed(s, am) != 0) {
        snprintf(err, errlen, "Can't upgrade the old-style AOF file %s (see the log above)",
                 s->cfg.appendfilename);
        return -1;
    }
    if (am->base || am->nincr) {
        if (aof_load_all(s, am, err, errlen) != 0)
            return -1;
    }
    if (aof_open_on_start(s, err, errlen) != 0)
        return -1;
    aof.state = AOF_ON;
    aof_delete_history(s);
    return 0;
}

/* -------------------------------------------------- on and off at run time */

static void aof_stop(server *s)
{
    int was_waiting = aof.state == AOF_WAIT_REWRITE;
    aof_flush(s, 1);
    aof_bio_drain();
    if (aof.fd != -1) {
        if (fdatasync(aof.fd) == -1) {
            log_warning("Fail to fsync the AOF file: %s", strerror(errno));
        } else {
            aof.fsync_offset = aof.current_size;
            aof.last_fsync = (time_t)(s->mstime / 1000);
        }
        close(aof.fd);
    }
    aof.fd = -1;
    aof.selected_db = -1;
    aof.state = AOF_OFF;
    aof.rewrite_scheduled = 0;
    aof.last_incr_size = 0;
    aof_rewrite_kill_child(s);
    if (aof.buf)
        buf_clear(aof.buf);
    if (was_waiting) { /* the temporary incr file will never be installed */
        char *name = aof_temp_incr_name(s);
        char *path = aof_path(s, name);
        unlink(path);
        free(name);
        free(path);
    }
}

static int aof_in_exec(server *s)
{
    return s->current_client && (s->current_client->flags & CLIENT_IN_EXEC);
}

/* Redis's startAppendOnly: the AOF waits for a rewrite (WAIT_REWRITE) whose
 * base is the dataset at the fork; from then on changes are written. */
static int aof_turn_on(server *s)
{
    if (!aof_name_is_basename(s->cfg.appendfilename) ||
        !aof_name_is_basename(s->cfg.appenddirname)) {
        log_warning("appendfilename and appenddirname must be plain names, not paths");
        return -1;
    }
    aof.state = AOF_WAIT_REWRITE;
    if (aof_child_active(s) && aof.child_pid == -1) {
        aof.rewrite_scheduled = 1;
        log_warning("AOF was enabled but there is already another background operation. An AOF "
                    "background was scheduled to start when possible.");
    } else if (aof_in_exec(s)) {
        aof.rewrite_scheduled = 1;
        log_warning("AOF was enabled during a transaction. An AOF background was scheduled to "
                    "start when possible.");
    } else {
        if (aof.child_pid != -1) {
            log_warning("AOF was enabled but there is already an AOF rewriting in background. "
                        "Stopping background AOF and starting a rewrite now.");
            aof_rewrite_kill_child(s);
        }
        const char *why = NULL;
        if (aof_rewrite_background(s, &why) != 0) {
            aof.state = AOF_OFF;
            log_warning("Keel needs to enable the AOF but can't trigger a background AOF rewrite "
                        "operation. Check the above logs for more info about the error.");
            return -1;
        }
    }
    aof.last_fsync = (time_t)(s->mstime / 1000);
    if (atomic_load(&aof_bio.fsync_status) == -1) {
        log_warning("AOF reopen, just ignore the AOF fsync error in bio job");
        atomic_store(&aof_bio.fsync_status, 0);
    }
    if (aof.last_write_status == -1) {
        log_warning("AOF reopen, just ignore the last error.");
        aof.last_write_status = 0;
    }
    return 0;
}

int aof_config_apply_appendonly(server *s, const char **err)
{
    if (s->loading) {
        /* A rewrite now would snapshot half a dataset. */
        *err = "can't change appendonly while the dataset is loading";
        return 0;
    }
    if (s->cfg.appendonly && aof.state == AOF_OFF) {
        if (aof_turn_on(s) != 0) {
            *err = "Unable to turn on AOF. Check server logs.";
            return 0;
        }
    } else if (!s->cfg.appendonly && aof.state != AOF_OFF) {
        aof_stop(s);
    }
    return 1;
}

/* ----------------------------------------------------------------- cron */

/* After repeated failures automatic rewrites back off: 1, 2, 4 ... 60
 * minutes, so a full disk does not fill the directory with tiny incr
 * files.  BGREWRITEAOF still runs at once. */
static int aof_rewrite_limited(server *s)
{
    time_t now = (time_t)(s->mstime / 1000);
    if (aof.rewrite_failures < AOF_REWRITE_LIMIT_THRESHOLD) {
        aof.rewrite_delay_minutes = 0;
        aof.rewrite_next_allowed = 0;
        return 0;
    }
    if (aof.rewrite_next_allowed) {
        if (now < aof.rewrite_next_allowed)
            return 1;
        aof.rewrite_next_allowed = 0;
        return 0;
    }
    aof.rewrite_delay_minutes = aof.rewrite_delay_minutes ? aof.rewrite_delay_minutes * 2 : 1;
    if (aof.rewrite_delay_minutes > AOF_REWRITE_LIMIT_MAX_MINUTES)
        aof.rewrite_delay_minutes = AOF_REWRITE_LIMIT_MAX_MINUTES;
    aof.rewrite_next_allowed = now + aof.rewrite_delay_minutes * 60;
    log_warning("Background AOF rewrite has repeatedly failed and triggered the limit, will retry "
                "in %d minutes",
                aof.rewrite_delay_minutes);
    return 1;
}

void aof_cron(server *s)
{
    if (aof.rewrite_scheduled && !aof_child_active(s) && !aof_rewrite_limited(s)) {
        const char *why;
        aof_rewrite_background(s, &why);
    }

    /* Automatic rewrite when the files grew by auto-aof-rewrite-percentage
     * over their size after the last rewrite. */
    if (aof.state == AOF_ON && !aof_child_active(s) && s->cfg.auto_aof_rewrite_percentage &&
        aof.current_size > s->cfg.auto_aof_rewrite_min_size) {
        long long base = aof.base_size ? aof.base_size : 1;
        long long growth = (aof.current_size * 100 / base) - 100;
        if (growth >= s->cfg.auto_aof_rewrite_percentage && !aof_rewrite_limited(s)) {
            log_notice("Starting automatic rewriting of AOF on %lld%% growth", growth);
            const char *why;
            aof_rewrite_background(s, &why);
        }
    }

    /* A postponed flush, or a write error to retry, must not wait for
     * the next command. */
    if (aof.state == AOF_ON && (aof_flush_postponed_ms || aof.last_write_status == -1))
        aof_flush(s, 0);
}

void aof_shutdown(server *s)
{
    if (aof.child_pid != -1) {
        log_warning("There is a child rewriting the AOF. Killing it!");
        aof_rewrite_kill_child(s);
    }
    if (aof.state == AOF_OFF || aof.fd == -1)
        return;
    aof_flush(s, 1);
    aof_bio_drain();
    log_notice("Calling fsync() on the AOF file.");
    if (fdatasync(aof.fd) == -1)
        log_warning("Fail to fsync the AOF file: %s", strerror(errno));
    else
        aof.fsync_offset = aof.current_size;
}

/* ----------------------------------------------------------------- INFO */

int aof_rewrite_in_progress(const server *s)
{
    (void)s;
    return aof.child_pid != -1;
}

int aof_rewrite_scheduled(const server *s)
{
    (void)s;
    return aof.rewrite_scheduled;
}

buf aof_info_fields(server *s, buf out)
{
    int write_ok = aof.last_write_status == 0 && atomic_load(&aof_bio.fsync_status) == 0;
    long long current =
        aof.rewrite_start_ms != -1 ? (long long)((s->mstime - aof.rewrite_start_ms) / 1000) : -1;
    out = buf_cat_printf(out,
                         "aof_enabled:%d\r\n"
                         "aof_rewrite_in_progress:%d\r\n"
                         "aof_rewrite_scheduled:%d\r\n"
                         "aof_last_rewrite_time_sec:%lld\r\n"
                         "aof_current_rewrite_time_sec:%lld\r\n"
                         "aof_last_bgrewrite_status:%s\r\n"
                         "aof_rewrites:%lld\r\n"
                         "aof_rewrites_consecutive_failures:%lld\r\n"
                         "aof_last_write_status:%s\r\n"
                         "aof_last_cow_size:%zu\r\n",
                         aof.state != AOF_OFF, aof.child_pid != -1, aof.rewrite_scheduled,
                         aof.rewrite_time_last, current,
                         aof.last_bgrewrite_status == 0 ? "ok" : "err", aof.rewrites,
                         aof.rewrite_failures, write_ok ? "ok" : "err", aof.last_cow_size);
    return out;
}

buf aof_info_details(server *s, buf out)
{
    (void)s;
    if (aof.state != AOF_OFF)
        out = buf_cat_printf(out,
                             "aof_current_size:%lld\r\n"
                             "aof_base_size:%lld\r\n"
                             "aof_pending_rewrite:%d\r\n"
                             "aof_buffer_length:%zu\r\n"
                             "aof_pending_bio_fsync:%d\r\n"
                             "aof_delayed_fsync:%lld\r\n",
                             aof.current_size, aof.base_size, aof.rewrite_scheduled,
                             aof.buf ? buf_len(aof.buf) : 0, atomic_load(&aof_bio.pending_fsync),
                             aof.delayed_fsync);
    return out;
}

/* --------------------------------------------------------- BGREWRITEAOF */

static void bgrewriteaof_command(client *c)
{
    server *s = c->srv;
    if (aof.child_pid != -1) {
        reply_error(c, "ERR Background append only file rewriting already in progress");
    } else if (aof_child_active(s) || aof_in_exec(s)) {
        aof.rewrite_scheduled = 1;
        /* Asked for by hand: no back-off. */
        aof.rewrite_failures = 0;
        reply_simple(c, "Background append only file rewriting scheduled");
    } else {
        const char *why = NULL;
        if (aof_rewrite_background(s, &why) == 0)
            reply_simple(c, "Background append only file rewriting started");
        else
            reply_error(c, "ERR Can't execute an AOF background rewriting. Please check the "
                           "server logs for more information.");
    }
}

command aof_commands[] = {
    {"bgrewriteaof", bgrewriteaof_command, 1, CMD_ADMIN | CMD_NOSCRIPT, 0, 0, 0, "server",
     "Asynchronously rewrites the append-only file to disk.", "1.0.0"},
    {0},
};
