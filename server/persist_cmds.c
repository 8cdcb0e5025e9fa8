/* persist_cmds: snapshot persistence's life inside the server.  Owns SAVE,
 * BGSAVE [SCHEDULE] and LASTSAVE; the save status (last save time, last
 * background save status, changes since) and the save points the cron
 * checks; the fork()ed child that writes a background snapshot (its
 * copy-on-write reports through a pipe, its end seen by an ev_child
 * watcher); -LOADING and -MISCONF refusals; the INFO persistence section;
 * start-up loading with progress; and the save SHUTDOWN and FLUSHALL make.
 * The file format is rdb.c's.
 *
 * Messages, replies and INFO fields are Redis 7.0's. */
#include "persist.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aof.h"
#include "rdb.h"

#define PERSIST_BGSAVE_RETRY_DELAY 5 /* seconds before a failed BGSAVE is retried */
#define PERSIST_LOAD_EVENTS_BYTES (2 * 1024 * 1024)
#define PERSIST_LOAD_EVENTS_US 100000
#define PERSIST_LOAD_LOG_US 1000000

static const char persist_misconf_error[] =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "
    "disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB "
    "error.";

/* What the child tells its parent through the pipe. */
enum { CHILD_INFO_CURRENT = 1, CHILD_INFO_RDB_COW = 2 };
typedef struct child_info {
    int type;
    size_t cow; /* bytes copied on write so far */
    unsigned long long keys;
} child_info;

static struct {
    time_t lastsave; /* last successful save (start-up counts as one) */
    time_t lastbgsave_try;
    int lastbgsave_ok;
    long long dirty_before_bgsave;
    time_t save_time_start; /* -1 when no background save runs */
    long long save_time_last;
    long long saves;
    int bgsave_scheduled;
    /* the child */
    ev_child child_watcher;
    ev_io pipe_watcher;
    int pipe_rd, pipe_wr;
    unsigned char pipe_buf[sizeof(child_info) * 8];
    size_t pipe_len;
    size_t current_cow, current_cow_peak, last_cow;
    time_t cow_updated;
    unsigned long long keys_processed, keys_total;
    long long fork_usec, forks;
    /* in the child */
    size_t child_cow_peak, child_cow_sum;
    unsigned long long child_cow_samples;
    int64_t child_info_ms;
    /* loading */
    int loading_depth;
    time_t loading_start;
    long long loading_total, loading_loaded, loading_keys;
    long long loading_events_bytes;
    uint64_t loading_started_us, loading_events_us, loading_log_us;
    unsigned loading_calls;
    int cron_was_active, before_sleep_was_active;
    int exit_requested;
} P = {
    .save_time_start = -1, .save_time_last = -1, .lastbgsave_ok = 1, .pipe_rd = -1, .pipe_wr = -1};

static time_t persist_lastsave(void)
{
    if (!P.lastsave)
        P.lastsave = time(NULL);
    return P.lastsave;
}

/* -------------------------------------------------------- configuration */

/* While config_load reads a file, the first `save` line replaces the
 * defaults and the following ones add to it (Redis's rule); CONFIG SET
 * replaces. */
static int persist_save_in_load, persist_save_seen;

void persist_config_load_begin(void)
{
    persist_save_in_load = 1;
    persist_save_seen = 0;
}

void persist_config_load_end(void)
{
    persist_save_in_load = 0;
}

int persist_parse_save(server_config *cfg, int argc, char **argv, const char **err)
{
    int none = argc == 1 && argv[0][0] == '\0'; /* save "": no save points at all */
    if (none)
        argc = 0;
    if (argc % 2) {
        *err = "Invalid save parameters";
        return 0;
    }
    long long vals[2 * PERSIST_MAX_SAVE_POINTS];
    for (int j = 0; j < argc; j++) {
        long long v;
        if (!util_str2ll(argv[j], strlen(argv[j]), &v) || (j % 2 == 0 && v < 1) ||
            (j % 2 == 1 && v < 0) || j >= 2 * PERSIST_MAX_SAVE_POINTS) {
            *err = "Invalid save parameters";
            return 0;
        }
        vals[j] = v;
    }
    int keep = persist_save_in_load && persist_save_seen && !none ? cfg->save_point_count : 0;
    if (persist_save_in_load)
        persist_save_seen = 1;
    if (keep + argc / 2 > PERSIST_MAX_SAVE_POINTS) {
        *err = "Too many save points";
        return 0;
    }
    cfg->save_point_count = keep;
    for (int j = 0; j < argc; j += 2) {
        cfg->save_points[cfg->save_point_count].seconds = vals[j];
        cfg->save_points[cfg->save_point_count].changes = vals[j + 1];
        cfg->save_point_count++;
    }
    return 1;
}

buf persist_format_save(buf out, const server_config *cfg)
{
    for (int i = 0; i < cfg->save_point_count; i++)
        out = buf_cat_printf(out, "%s%lld %lld", i ? " " : "", cfg->save_points[i].seconds,
                             cfg->save_points[i].changes);
    return out;
}

int persist_apply_dbfilename(server *s, const char **err)
{
    const char *name = s->cfg.dbfilename ? s->cfg.dbfilename : "";
    if (!name[0] || strchr(name, '/')) {
        *err = "dbfilename can't be a path, just a filename";
        return 0;
    }
    return 1;
}

void persist_debug_delay(long long usec)
{
    if (usec < 0)
        usec = (rand() % -usec) == 0 ? 1 : 0;
    if (usec) {
        struct timespec ts = {(time_t)(usec / 1000000), (long)(usec % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
}

/* ------------------------------------------------------------ saving */

static const char *persist_filename(server *s)
{
    return s->cfg.dbfilename && s->cfg.dbfilename[0] ? s->cfg.dbfilename : "dump.rdb";
}

/* SAVE's work (and SHUTDOWN's, FLUSHALL's): write the snapshot now. */
static int persist_save_now(server *s)
{
    char err[1024];
    if (rdb_save(s, persist_filename(s), err, sizeof(err)) != 0) {
        log_warning("%s", err);
        return -1;
    }
    log_notice("DB saved on disk");
    s->stats.dirty = 0;
    P.lastsave = time(NULL);
    P.lastbgsave_ok = 1;
    return 0;
}

int rdb_bgsave_in_progress(const server *s)
{
    return s->child_type == CHILD_TYPE_RDB;
}

/* Private_Dirty of this process: in a fork()ed child, the pages that were
 * copied because one side wrote to them. */
static size_t persist_private_dirty(void)
{
    const char *files[] = {"/proc/self/smaps_rollup", "/proc/self/smaps"};
    for (int f = 0; f < 2; f++) {
        FILE *fp = fopen(files[f], "r");
        if (!fp)
            continue;
        char line[256];
        size_t kb = 0;
        while (fgets(line, sizeof(line), fp))
            if (!strncmp(line, "Private_Dirty:", 14))
                kb += strtoull(line + 14, NULL, 10);
        fclose(fp);
        return kb * 1024;
    }
    return 0;
}

static void persist_child_send(int type, unsigned long long keys)
{
    child_info ci = {type, persist_private_dirty(), keys};
    if (ci.cow > P.child_cow_peak)
        P.child_cow_peak = ci.cow;
    P.child_cow_sum += ci.cow;
    P.child_cow_samples++;
    if (P.pipe_wr >= 0) {
        ssize_t n = write(P.pipe_wr, &ci, sizeof(ci));
        (void)n; /* the parent may be gone: nothing to do about it */
    }
    if (type == CHILD_INFO_RDB_COW)
        log_notice("Fork CoW for RDB: current %zu MB, peak %zu MB, average %llu MB", ci.cow >> 20,
                   P.child_cow_peak >> 20,
                   (unsigned long long)(P.child_cow_sum / P.child_cow_samples) >> 20);
}

/* rdb.c calls this every 1024 keys: report about once a second. */
static void persist_child_progress(unsigned long long keys)
{
    int64_t now = util_mstime();
    if (now - P.child_info_ms >= 1000) {
        P.child_info_ms = now;
        persist_child_send(CHILD_INFO_CURRENT, keys);
    }
}

static void persist_close_listeners_in_child(server *s)
{
    for (int i = 0; i < s->listen_count; i++)
        close(s->listen_fds[i]);
    for (int i = 0; i < s->tls_listen_count; i++)
        close(s->tls_listen_fds[i]);
}

static void persist_child_main(server *s, unsigned long long total_keys)
{
    log_set_role('C');
    /* libev's handlers would only wake the parent's loop: restore the
     * defaults, so SIGUSR1 (FLUSHALL, SHUTDOWN) and SIGTERM end us. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    persist_close_listeners_in_child(s);
    close(P.pipe_rd);
    P.child_info_ms = 0; /* the first key is reported at once */
    rdb_set_save_progress_hook(persist_child_progress);
    char err[1024];
    int rc = rdb_save(s, persist_filename(s), err, sizeof(err));
    if (rc == 0) {
        log_notice("DB saved on disk");
        persist_child_send(CHILD_INFO_CURRENT, total_keys);
        persist_child_send(CHILD_INFO_RDB_COW, total_keys);
    } else {
        log_warning("%s", err);
    }
    _exit(rc == 0 ? 0 : 1);
}

static void persist_read_child_info(void)
{
    for (;;) {
        ssize_t n = read(P.pipe_rd, P.pipe_buf + P.pipe_len, sizeof(P.pipe_buf) - P.pipe_len);
        if (n <= 0)
            break;
        P.pipe_len += (size_t)n;
        size_t off = 0;
        while (P.pipe_len - off >= sizeof(child_info)) {
            child_info ci;
            memcpy(&ci, P.pipe_buf + off, sizeof(ci));
            off += sizeof(ci);
            if (ci.type == CHILD_INFO_RDB_COW) {
                P.last_cow = ci.cow;
            } else {
                P.current_cow = ci.cow;
                if (ci.cow > P.current_cow_peak)
                    P.current_cow_peak = ci.cow;
                P.cow_updated = time(NULL);
                P.keys_processed = ci.keys;
            }
        }
        memmove(P.pipe_buf, P.pipe_buf + off, P.pipe_len - off);
        P.pipe_len -= off;
    }
}

static void persist_on_pipe(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop, (void)w, (void)revents;
    persist_read_child_info();
}

static void persist_close_pipe(server *s)
{
    if (ev_is_active(&P.pipe_watcher))
        ev_io_stop(s->loop, &P.pipe_watcher);
    if (P.pipe_rd >= 0)
        close(P.pipe_rd);
    if (P.pipe_wr >= 0)
        close(P.pipe_wr);
    P.pipe_rd = P.pipe_wr = -1;
    P.pipe_len = 0;
}

static void persist_remove_temp_file(int pid)
{
    char tmp[PATH_MAX];
    rdb_temp_path("dump.rdb", pid, tmp, sizeof(tmp)); /* in the working directory */
    unlink(tmp);
}

static void persist_on_child_exit(struct ev_loop *loop, ev_child *w, int revents)
{
    (void)revents;
    server *s = w->data;
    int status = w->rstatus, pid = w->rpid;
    ev_child_stop(loop, w);
    persist_read_child_info();
    persist_close_pipe(s);
    int bysignal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int exitcode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (!bysignal && exitcode == 0) {
        log_notice("Background saving terminated with success");
        s->stats.dirty -= P.dirty_before_bgsave;
        if (s->stats.dirty < 0)
            s->stats.dirty = 0;
        P.lastsave = time(NULL);
        P.lastbgsave_ok = 1;
    } else if (!bysignal) {
        log_warning("Background saving error");
        P.lastbgsave_ok = 0;
    } else {
        log_warning("Background saving terminated by signal %d", bysignal);
        persist_remove_temp_file(pid);
        /* SIGUSR1 is how Keel itself stops a save: not an error. */
        if (bysignal != SIGUSR1)
            P.lastbgsave_ok = 0;
    }
    P.save_time_last = (long long)(time(NULL) - P.save_time_start);
    P.save_time_start = -1;
    P.current_cow = P.current_cow_peak = 0;
    P.keys_processed = P.keys_total = 0;
    s->child_type = CHILD_TYPE_NONE;
    s->child_pid = 0;
    dict_set_resize_enabled(1);
}

static unsigned long long persist_total_keys(server *s)
{
    unsigned long long n = 0;
    for (int i = 0; i < s->cfg.databases; i++)
        n += dict_size(s->db[i].keys);
    return n;
}

pid_t rdb_bgsave_start(server *s, char *err, size_t errlen)
{
    if (s->child_type != CHILD_TYPE_NONE) {
        snprintf(err, errlen, "%s",
                 s->child_type == CHILD_TYPE_RDB ? "Background save already in progress"
                                                 : "Another child process is active");
        return -1;
    }
    P.saves++;
    P.dirty_before_bgsave = s->stats.dirty;
    P.lastbgsave_try = time(NULL);
    int fds[2];
    if (pipe(fds) == -1) {
        snprintf(err, errlen, "Can't save in background: pipe: %s", strerror(errno));
        log_warning("%s", err);
        P.lastbgsave_ok = 0;
        return -1;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    P.pipe_rd = fds[0];
    P.pipe_wr = fds[1];
    unsigned long long total = persist_total_keys(s);
    uint64_t t0 = util_monotonic_us();
    pid_t pid = fork();
    if (pid == 0)
        persist_child_main(s, total); /* never returns */
    P.fork_usec = (long long)(util_monotonic_us() - t0);
    if (pid == -1) {
        int e = errno;
        persist_close_pipe(s);
        P.lastbgsave_ok = 0;
        snprintf(err, errlen, "Can't save in background: fork: %s", strerror(e));
        log_warning("%s", err);
        return -1;
    }
    P.forks++;
    close(P.pipe_wr);
    P.pipe_wr = -1;
    log_notice("Background saving started by pid %ld", (long)pid);
    P.save_time_start = time(NULL);
    P.keys_total = total;
    P.keys_processed = 0;
    P.current_cow = P.current_cow_peak = 0;
    P.cow_updated = time(NULL);
    s->child_type = CHILD_TYPE_RDB;
    s->child_pid = (int)pid;
    /* Rehashing would touch every bucket and copy the whole table. */
    dict_set_resize_enabled(0);
    ev_child_init(&P.child_watcher, persist_on_child_exit, pid, 0);
    P.child_watcher.data = s;
    ev_child_start(s->loop, &P.child_watcher);
    ev_io_init(&P.pipe_watcher, persist_on_pipe, P.pipe_rd, EV_READ);
    ev_io_start(s->loop, &P.pipe_watcher);
    return pid;
}

/* Stop a background save (FLUSHALL, SHUTDOWN): the child is reaped and
 * its temp file removed when its end is seen. */
static void persist_kill_child(server *s)
{
    if (s->child_type != CHILD_TYPE_RDB || s->child_pid <= 0)
        return;
    kill(s->child_pid, SIGUSR1);
}

/* ----------------------------------------------------------- the cron */

void persist_cron(server *s)
{
    if (s->child_type != CHILD_TYPE_NONE || s->loading)
        return;
    time_t now = time(NULL);
    int may_retry = now - P.lastbgsave_try > PERSIST_BGSAVE_RETRY_DELAY || P.lastbgsave_ok;
    char err[256];
    for (int i = 0; i < s->cfg.save_point_count; i++) {
        long long secs = s->cfg.save_points[i].seconds, changes = s->cfg.save_points[i].changes;
        if (s->stats.dirty >= changes && now - persist_lastsave() > secs && may_retry) {
            log_notice("%lld changes in %lld seconds. Saving...", changes, secs);
            rdb_bgsave_start(s, err, sizeof(err));
            return;
        }
    }
    if (P.bgsave_scheduled && may_retry) {
        P.bgsave_scheduled = 0;
        rdb_bgsave_start(s, err, sizeof(err));
    }
}

/* ----------------------------------------------------------- commands */

static void save_command(client *c)
{
    server *s = c->srv;
    if (s->child_type == CHILD_TYPE_RDB) {
        reply_error(c, "ERR Background save already in progress");
        return;
    }
    P.saves++;
    if (persist_save_now(s) == 0)
        reply_ok(c);
    else
        reply_error(c, "ERR");
}

static void bgsave_command(client *c)
{
    server *s = c->srv;
    int schedule = 0;
    if (c->argc > 1) {
        if (c->argc == 2 && arg_is(&c->argv[1], "schedule")) {
            schedule = 1;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (s->child_type == CHILD_TYPE_RDB) {
        reply_error(c, "ERR Background save already in progress");
    } else if (s->child_type != CHILD_TYPE_NONE || (c->flags & CLIENT_IN_EXEC)) {
        if (schedule || (c->flags & CLIENT_IN_EXEC)) {
            P.bgsave_scheduled = 1;
            reply_simple(c, "Background saving scheduled");
        } else {
            reply_error(c, "ERR Another child process is active (AOF?): can't BGSAVE right now. "
                           "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
        }
    } else {
        char err[256];
        if (rdb_bgsave_start(s, err, sizeof(err)) > 0)
            reply_simple(c, "Background saving started");
        else
            reply_error(c, "ERR");
    }
}

static void lastsave_command(client *c)
{
    reply_int(c, (long long)persist_lastsave());
}

command persist_commands[] = {
    {"save", save_command, 1, CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI, 0, 0, 0, "server",
     "Synchronously save the dataset to disk", "1.0.0"},
    {"bgsave", bgsave_command, -1, CMD_ADMIN | CMD_NOSCRIPT, 0, 0, 0, "server",
     "Asynchronously save the dataset to disk", "1.0.0"},
    {"lastsave", lastsave_command, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0,
     "server", "Get the UNIX time stamp of the last successful save to disk", "1.0.0"},
    {0},
};

/* ------------------------------------------------- refusing commands */

int persist_reject_command(client *c, const command *cmd)
{
    server *s = c->srv;
    const char *err = NULL, *aof_err;
    /* The AOF loader and the link to our primary obey: what they apply was
     * already accepted upstream, and refusing it would fork the dataset. */
    if (!c->conn || (c->flags & CLIENT_MASTER))
        return 0;
    if (s->cfg.stop_writes_on_bgsave_error && s->cfg.save_point_count > 0 && !P.lastbgsave_ok &&
        ((cmd->flags & CMD_WRITE) || !strcmp(cmd->fullname, "ping")))
        err = persist_misconf_error;
    else if (((cmd->flags & CMD_WRITE) || !strcmp(cmd->fullname, "ping")) &&
             (aof_err = aof_write_error(s)))
        err = aof_err; /* MISCONF Errors writing to the AOF file: ... */
    else if (s->loading && !(cmd->flags & CMD_LOADING))
        err = "LOADING Redis is loading the dataset in memory";
    if (!err)
        return 0;
    ((command *)cmd)->rejected_calls++;
    if ((c->flags & (CLIENT_MULTI | CLIENT_IN_EXEC)) == CLIENT_MULTI)
        c->flags |= CLIENT_DIRTY_EXEC;
    reply_error(c, err);
    return 1;
}

/* ------------------------------------------------------ SHUTDOWN, FLUSHALL */

int persist_prepare_shutdown(server *s, int flags)
{
    if (s->loading) {
        /* Never save half a dataset: the loader exits once it sees this. */
        flags = (flags & ~SHUTDOWN_SAVE) | SHUTDOWN_NOSAVE;
        P.exit_requested = 1;
    }
    if (s->child_type == CHILD_TYPE_RDB) {
        log_warning("There is a child saving an .rdb. Killing it!");
        persist_kill_child(s);
        persist_remove_temp_file(s->child_pid);
    }
    if ((s->cfg.save_point_count > 0 && !(flags & SHUTDOWN_NOSAVE)) || (flags & SHUTDOWN_SAVE)) {
        log_notice("Saving the final RDB snapshot before exiting.");
        if (persist_save_now(s) != 0) {
            if (flags & SHUTDOWN_FORCE) {
                log_warning("Error trying to save the DB. Exit anyway.");
            } else {
                log_warning("Error trying to save the DB, can't exit.");
                return -1;
            }
        }
    }
    return 0;
}

void persist_after_flushall(server *s)
{
    persist_kill_child(s);
    if (s->cfg.save_point_count > 0) {
        /* The save resets dirty, but FLUSHALL must still be propagated. */
        long long dirty = s->stats.dirty;
        persist_save_now(s);
        s->stats.dirty = dirty;
    }
}

/* ------------------------------------------------------------- loading */

void persist_loading_start(server *s, long long total_bytes)
{
    if (P.loading_depth++ > 0)
        return;
    s->loading = 1;
    P.loading_start = time(NULL);
    P.loading_total = total_bytes;
    P.loading_loaded = P.loading_keys = P.loading_events_bytes = 0;
    P.loading_started_us = P.loading_events_us = P.loading_log_us = util_monotonic_us();
    P.loading_calls = 0;
    /* While loading only I/O runs (clients get -LOADING): no cron (save
     * points, expiry, shutdown) and no before-sleep work; replies are
     * flushed by the loader itself. */
    P.cron_was_active = ev_is_active(&s->cron);
    P.before_sleep_was_active = ev_is_active(&s->before_sleep);
    if (P.cron_was_active)
        ev_timer_stop(s->loop, &s->cron);
    if (P.before_sleep_was_active)
        ev_prepare_stop(s->loop, &s->before_sleep);
}

static void persist_loading_events(server *s)
{
    ev_run(s->loop, EVRUN_NOWAIT);
    client_flush_pending(s);
    if (s->shutdown_asap || P.exit_requested) {
        /* SIGTERM or SHUTDOWN while loading: exit without saving, as Redis. */
        if (!P.exit_requested)
            server_prepare_shutdown(s, SHUTDOWN_NOSAVE);
        log_warning("Exiting while loading the dataset: nothing was saved.");
        exit(0);
    }
}

void persist_loading_progress(server *s, long long loaded_bytes, long long keys)
{
    P.loading_loaded = loaded_bytes;
    P.loading_keys = keys;
    if (loaded_bytes - P.loading_events_bytes < PERSIST_LOAD_EVENTS_BYTES &&
        (++P.loading_calls & 127) != 0 && !s->cfg.key_load_delay)
        return;
    uint64_t now = util_monotonic_us();
    if (loaded_bytes - P.loading_events_bytes >= PERSIST_LOAD_EVENTS_BYTES ||
        now - P.loading_events_us >= PERSIST_LOAD_EVENTS_US) {
        P.loading_events_bytes = loaded_bytes;
        P.loading_events_us = now;
        persist_loading_events(s);
    }
    if (now - P.loading_log_us >= PERSIST_LOAD_LOG_US) {
        P.loading_log_us = now;
        double secs = (double)(now - P.loading_started_us) / 1e6;
        double mb = (double)loaded_bytes / (1024 * 1024);
        if (P.loading_total > 0)
            log_notice("Loading: %lld keys, %.1f MB of %.1f MB (%.0f%%), %.1f MB/s", keys, mb,
                       (double)P.loading_total / (1024 * 1024),
                       100.0 * (double)loaded_bytes / (double)P.loading_total,
                       secs > 0 ? mb / secs : 0);
        else
            log_notice("Loading: %lld keys, %.1f MB, %.1f MB/s", keys, mb,
                       secs > 0 ? mb / secs : 0);
    }
}

void persist_loading_end(server *s, int ok)
{
    (void)ok;
    if (P.loading_depth == 0 || --P.loading_depth > 0)
        return;
    s->loading = 0;
    if (P.cron_was_active)
        ev_timer_again(s->loop, &s->cron);
    if (P.before_sleep_was_active)
        ev_prepare_start(s->loop, &s->before_sleep);
    P.cron_was_active = P.before_sleep_was_active = 0;
}

int persist_load_at_startup(server *s)
{
    P.lastsave = time(NULL); /* at start-up the data on disk counts as saved */
    const char *name = persist_filename(s);
    int missing = 0;
    char err[1024];
    if (rdb_load(s, name, &missing, err, sizeof(err)) != 0) {
        log_warning("%s", err);
        return -1;
    }
    return 0;
}

/* ----------------------------------------------------------------- INFO */

__attribute__((weak)) buf aof_info_fields(server *s, buf out)
{
    (void)s;
    return buf_cat_cstr(out, "aof_enabled:0\r\n"
                             "aof_rewrite_in_progress:0\r\n"
                             "aof_rewrite_scheduled:0\r\n"
                             "aof_last_rewrite_time_sec:-1\r\n"
                             "aof_current_rewrite_time_sec:-1\r\n"
                             "aof_last_bgrewrite_status:ok\r\n"
                             "aof_rewrites:0\r\n"
                             "aof_rewrites_consecutive_failures:0\r\n"
                             "aof_last_write_status:ok\r\n"
                             "aof_last_cow_size:0\r\n");
}

buf persist_info(server *s, buf out)
{
    time_t now = time(NULL);
    int in_progress = s->child_type == CHILD_TYPE_RDB;
    double perc = P.keys_total ? 100.0 * (double)P.keys_processed / (double)P.keys_total : 0;
    long long loaded, expired;
    rdb_last_load_counts(&loaded, &expired);
    out = buf_cat_printf(
        out,
        "loading:%d\r\n"
        "async_loading:0\r\n"
        "current_cow_peak:%zu\r\n"
        "current_cow_size:%zu\r\n"
        "current_cow_size_age:%lld\r\n"
        "current_fork_perc:%.2f\r\n"
        "current_save_keys_processed:%llu\r\n"
        "current_save_keys_total:%llu\r\n"
        "rdb_changes_since_last_save:%lld\r\n"
        "rdb_bgsave_in_progress:%d\r\n"
        "rdb_last_save_time:%lld\r\n"
        "rdb_last_bgsave_status:%s\r\n"
        "rdb_last_bgsave_time_sec:%lld\r\n"
        "rdb_current_bgsave_time_sec:%lld\r\n"
        "rdb_saves:%lld\r\n"
        "rdb_last_cow_size:%zu\r\n"
        "rdb_last_load_keys_expired:%lld\r\n"
        "rdb_last_load_keys_loaded:%lld\r\n",
        s->loading ? 1 : 0, in_progress ? P.current_cow_peak : 0, in_progress ? P.current_cow : 0,
        in_progress && P.current_cow ? (long long)(now - P.cow_updated) : 0LL,
        in_progress ? perc : 0.0, in_progress ? P.keys_processed : 0ULL,
        in_progress ? P.keys_total : 0ULL, s->stats.dirty, in_progress,
        (long long)persist_lastsave(), P.lastbgsave_ok ? "ok" : "err", P.save_time_last,
        in_progress && P.save_time_start != -1 ? (long long)(now - P.save_time_start) : -1LL,
        P.saves, P.last_cow, expired, loaded);
    out = aof_info_fields(s, out);
    out = buf_cat_cstr(out, "module_fork_in_progress:0\r\n"
                            "module_fork_last_cow_size:0\r\n");
    out = aof_info_details(s, out); /* aof_current_size ... when the AOF is on */
    if (s->loading) {
        long long elapsed = (long long)(now - P.loading_start);
        double lperc =
            P.loading_total ? 100.0 * (double)P.loading_loaded / (double)P.loading_total : 0;
        long long eta = -1;
        if (P.loading_loaded > 0 && P.loading_total > 0 && elapsed > 0)
            eta = (long long)((double)(P.loading_total - P.loading_loaded) /
                              ((double)P.loading_loaded / (double)elapsed));
        out = buf_cat_printf(out,
                             "loading_start_time:%lld\r\n"
                             "loading_total_bytes:%lld\r\n"
                             "loading_rdb_used_mem:0\r\n"
                             "loading_loaded_bytes:%lld\r\n"
                             "loading_loaded_perc:%.2f\r\n"
                             "loading_eta_seconds:%lld\r\n",
                             (long long)P.loading_start, P.loading_total, P.loading_loaded, lperc,
                             eta < 0 ? 1 : eta);
    }
    return out;
}

/* INFO stats' fork figures. */
void persist_fork_stats(long long *latest_fork_usec, long long *total_forks)
{
    *latest_fork_usec = P.fork_usec;
    *total_forks = P.forks;
}
