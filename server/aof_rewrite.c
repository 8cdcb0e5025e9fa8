/* aof_rewrite: BGREWRITEAOF, Redis 7.0's way.
 *
 *   1. The parent flushes what it has and opens a new incr file (listed in
 *      the manifest at once), so every change from the fork on lands there.
 *   2. It forks; the child writes the dataset as it was at the fork into a
 *      temporary file in appenddirname: an RDB (aof-use-rdb-preamble yes,
 *      via rdb_save_to_file) or commands that rebuild every key (SET,
 *      RPUSH, SADD, ZADD, HSET in chunks of 64 elements, PEXPIREAT for
 *      TTLs), then fsyncs it and exits.
 *   3. When the child exits (an ev_child watcher: libev reaps children),
 *      on success the parent renames the file to
 *      the next base name, writes a manifest (new base, the incr file opened
 *      in step 1, the old base and increments as history), and deletes the
 *      history files.  Until that manifest is renamed into place the old one
 *      still describes a complete dataset (old base, old increments, and
 *      the new incr), so a crash at any moment loses nothing.
 *
 * While the AOF is being turned on at run time (WAIT_REWRITE) there is no
 * manifest entry yet: changes after the fork go to a temporary incr file
 * that becomes the first increment when the base is in place. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aof_int.h"
#include "intset.h"
#include "persist.h"
#include "quicklist.h"
#include "rdb.h"
#include "type_persist.h"
#include "zset.h"

#define AOF_REWRITE_ITEMS_PER_CMD 64
#define AOF_REWRITE_FILE_BUF (1 << 20)

static int aof_rewrite_rdb_format; /* the base format the running child writes */
/* libev's default loop reaps every child itself (waitpid(-1) on SIGCHLD),
 * so the exit status is only ever seen through an ev_child watcher. */
static ev_child aof_child_watcher;

/* ------------------------------------------------- commands for every key */

static void aof_w_count(FILE *fp, char prefix, long long n)
{
    char tmp[LL_STR_SIZE + 4];
    tmp[0] = prefix;
    int len = 1 + util_ll2str(tmp + 1, sizeof(tmp) - 1, n);
    tmp[len++] = '\r';
    tmp[len++] = '\n';
    fwrite(tmp, 1, (size_t)len, fp);
}

static void aof_w_bulk(FILE *fp, const void *p, size_t len)
{
    aof_w_count(fp, '$', (long long)len);
    fwrite(p, 1, len, fp);
    fwrite("\r\n", 1, 2, fp);
}

static void aof_w_bulk_ll(FILE *fp, long long v)
{
    char tmp[LL_STR_SIZE];
    int len = util_ll2str(tmp, sizeof(tmp), v);
    aof_w_bulk(fp, tmp, (size_t)len);
}

static void aof_w_bulk_double(FILE *fp, double d)
{
    char tmp[D_STR_SIZE];
    int len = util_d2str(tmp, sizeof(tmp), d);
    aof_w_bulk(fp, tmp, (size_t)len);
}

/* A variadic command (RPUSH key e1 e2 ...) split into commands of at most
 * AOF_REWRITE_ITEMS_PER_CMD elements; each element is `per_item` arguments
 * (2 for ZADD's score and member, HSET's field and value). */
typedef struct aof_emitter {
    FILE *fp;
    const char *cmd;
    const char *key;
    size_t keylen;
    long long left;   /* elements still to write */
    long long in_cmd; /* elements still to write in the current command */
    int per_item;
} aof_emitter;

static void aof_emit_init(aof_emitter *e, FILE *fp, const char *cmd, const buf key, long long items,
                          int per_item)
{
    *e = (aof_emitter){fp, cmd, key, buf_len(key), items, 0, per_item};
}

/* Before each element: the command header when a new command starts. */
static void aof_emit_item(aof_emitter *e)
{
    if (e->in_cmd == 0) {
        e->in_cmd = e->left > AOF_REWRITE_ITEMS_PER_CMD ? AOF_REWRITE_ITEMS_PER_CMD : e->left;
        aof_w_count(e->fp, '*', 2 + e->in_cmd * e->per_item);
        aof_w_bulk(e->fp, e->cmd, strlen(e->cmd));
        aof_w_bulk(e->fp, e->key, e->keylen);
    }
    e->in_cmd--;
    e->left--;
}

static void aof_rewrite_list(FILE *fp, const buf key, kobj *o, int fill)
{
    ql_view view;
    quicklist *ql = ql_value_open(o->ptr, &view, fill); /* read only: never closed */
    aof_emitter e;
    aof_emit_init(&e, fp, "RPUSH", key, (long long)ql_count(ql), 1);
    ql_iter it;
    ql_entry en;
    ql_iter_init(ql, &it, QL_FORWARD);
    while (e.left > 0 && ql_iter_next(&it, &en)) {
        aof_emit_item(&e);
        if (en.val.sval)
            aof_w_bulk(fp, en.val.sval, en.val.slen);
        else
            aof_w_bulk_ll(fp, en.val.lval);
    }
}

static void aof_rewrite_set(FILE *fp, const buf key, kobj *o)
{
    aof_emitter e;
    if (o->encoding == ENC_INTSET) {
        const intset *is = o->ptr;
        aof_emit_init(&e, fp, "SADD", key, intset_len(is), 1);
        int64_t v;
        for (uint32_t i = 0; intset_get(is, i, &v); i++) {
            aof_emit_item(&e);
            aof_w_bulk_ll(fp, v);
        }
        return;
    }
    dict *d = o->ptr;
    aof_emit_init(&e, fp, "SADD", key, (long long)dict_size(d), 1);
    dict_iter it;
    dict_iter_init(&it, d, 0);
    for (dict_entry *de; (de = dict_iter_next(&it)) && e.left > 0;) {
        aof_emit_item(&e);
        aof_w_bulk(fp, de->key, buf_len(de->key));
    }
    dict_iter_release(&it);
}

static void aof_rewrite_zset(FILE *fp, const buf key, kobj *o)
{
    aof_emitter e;
    if (o->encoding == ENC_LISTPACK) {
        unsigned char *lp = o->ptr;
        aof_emit_init(&e, fp, "ZADD", key, (long long)zlp_length(lp), 2);
        for (unsigned char *p = lp_first(lp); p && e.left > 0;) {
            unsigned char *sp = lp_next(lp, p);
            char tmp[LP_INTBUF_SIZE];
            size_t len;
            const char *m = zlp_member_at(p, tmp, &len);
            aof_emit_item(&e);
            aof_w_bulk_double(fp, zlp_score_at(sp));
            aof_w_bulk(fp, m, len);
            p = lp_next(lp, sp);
        }
        return;
    }
    const zset_big *z = o->ptr;
    aof_emit_init(&e, fp, "ZADD", key, (long long)z->sl->length, 2);
    for (zsl_node *n = z->sl->header->level[0].forward; n && e.left > 0; n = n->level[0].forward) {
        aof_emit_item(&e);
        aof_w_bulk_double(fp, n->score);
        aof_w_bulk(fp, n->ele, buf_len(n->ele));
    }
}

static void aof_rewrite_hash(FILE *fp, const buf key, kobj *o)
{
    aof_emitter e;
    aof_emit_init(&e, fp, "HSET", key, (long long)obj_length(o), 2);
    if (o->encoding == ENC_LISTPACK) {
        unsigned char *lp = o->ptr;
        for (unsigned char *p = lp_first(lp); p && e.left > 0;) {
            unsigned char *vp = lp_next(lp, p);
            unsigned char ftmp[LP_INTBUF_SIZE], vtmp[LP_INTBUF_SIZE];
            uint32_t flen, vlen;
            const unsigned char *f = lp_get_bytes(p, ftmp, &flen);
            const unsigned char *v = lp_get_bytes(vp, vtmp, &vlen);
            aof_emit_item(&e);
            aof_w_bulk(fp, f, flen);
            aof_w_bulk(fp, v, vlen);
            p = lp_next(lp, vp);
        }
        return;
    }
    dict_iter it;
    dict_iter_init(&it, o->ptr, 0);
    for (dict_entry *de; (de = dict_iter_next(&it)) && e.left > 0;) {
        const char *f, *v;
        size_t flen, vlen;
        hash_table_entry(de, &f, &flen, &v, &vlen);
        aof_emit_item(&e);
        aof_w_bulk(fp, f, flen);
        aof_w_bulk(fp, v, vlen);
    }
    dict_iter_release(&it);
}

int aof_rewrite_commands(server *s, FILE *fp)
{
    int64_t last_report = util_mstime();
    long long keys = 0;
    for (int j = 0; j < s->cfg.databases; j++) {
        keel_db *db = &s->db[j];
        if (dict_size(db->keys) == 0)
            continue;
        fwrite("*2\r\n$6\r\nSELECT\r\n", 1, 16, fp);
        aof_w_bulk_ll(fp, j);
        dict_iter it;
        dict_iter_init(&it, db->keys, 0);
        for (dict_entry *de; (de = dict_iter_next(&it));) {
            buf key = de->key;
            kobj *o = de->v.val;
            switch (o->type) {
            case OBJ_STRING: {
                char tmp[LL_STR_SIZE];
                size_t len;
                const char *p = obj_string_view(o, tmp, &len);
                fwrite("*3\r\n$3\r\nSET\r\n", 1, 13, fp);
                aof_w_bulk(fp, key, buf_len(key));
                aof_w_bulk(fp, p, len);
                break;
            }
            case OBJ_LIST: aof_rewrite_list(fp, key, o, s->cfg.list_max_listpack_size); break;
            case OBJ_SET: aof_rewrite_set(fp, key, o); break;
            case OBJ_ZSET: aof_rewrite_zset(fp, key, o); break;
            case OBJ_HASH: aof_rewrite_hash(fp, key, o); break;
            default:
                log_warning("AOF rewrite: key of unknown type %d skipped", (int)o->type);
                break;
            }
            int64_t when = db_get_expire(db, key, buf_len(key));
            if (when != -1) {
                fwrite("*3\r\n$9\r\nPEXPIREAT\r\n", 1, 19, fp);
                aof_w_bulk(fp, key, buf_len(key));
                aof_w_bulk_ll(fp, when);
            }
            if ((++keys & 1023) == 0) {
                if (ferror(fp)) {
                    dict_iter_release(&it);
                    return -1;
                }
                int64_t now = util_mstime();
                if (now - last_report >= 1000) {
                    log_notice("AOF rewrite: %lld keys written", keys);
                    last_report = now;
                }
            }
        }
        dict_iter_release(&it);
    }
    return ferror(fp) ? -1 : 0;
}

/* ------------------------------------------------------------- one file */

int aof_rewrite_to_path(server *s, const char *path)
{
    char name[64];
    snprintf(name, sizeof(name), "temp-rewriteaof-%d.aof", (int)getpid());
    char *tmp = aof_path(s, name);
    FILE *fp = fopen(tmp, "w");
    if (!fp) {
        log_warning("Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): %s",
                    strerror(errno));
        free(tmp);
        return -1;
    }
    setvbuf(fp, NULL, _IOFBF, AOF_REWRITE_FILE_BUF);
    int rc;
    if (s->cfg.aof_use_rdb_preamble) {
        char err[512] = "";
        rc = rdb_save_to_file_ex(s, fp, RDB_SAVE_AOF_BASE, err, sizeof(err));
        if (rc != 0)
            log_warning("AOF rewrite: writing the RDB base failed: %s", err);
    } else {
        if (s->cfg.aof_timestamp_enabled)
            fprintf(fp, "#TS:%lld\r\n", (long long)time(NULL));
        rc = aof_rewrite_commands(s, fp);
    }
    if (rc == 0 && (fflush(fp) != 0 || fsync(fileno(fp)) != 0))
        rc = -1;
    if (fclose(fp) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) == -1) {
        log_warning("Error moving temp append only file on the final destination: %s",
                    strerror(errno));
        rc = -1;
    } else if (rc != 0) {
        log_warning("Write error writing append only file on disk: %s", strerror(errno));
    }
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* ------------------------------------------------------------ the child */

static char *aof_rewrite_temp_path(server *s, pid_t child)
{
    char name[64];
    snprintf(name, sizeof(name), "temp-rewriteaof-bg-%d.aof", (int)child);
    return aof_path(s, name);
}

/* Bytes of this process's memory that are private and dirty: in a forked
 * child, what copy-on-write has duplicated so far. */
static size_t aof_private_dirty(void)
{
    FILE *fp = fopen("/proc/self/smaps_rollup", "r");
    if (!fp)
        return 0;
    char line[256];
    size_t total = 0;
    while (fgets(line, sizeof(line), fp)) {
        unsigned long kb;
        if (sscanf(line, "Private_Dirty: %lu kB", &kb) == 1)
            total += kb * 1024;
    }
    fclose(fp);
    return total;
}

static void aof_rewrite_child(server *s)
{
    log_set_role('C');
    /* libev's handlers would only wake the parent's loop: the defaults, so
     * SIGUSR1 (CONFIG SET appendonly no, SHUTDOWN) and SIGTERM end us. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int i = 0; i < s->listen_count; i++)
        close(s->listen_fds[i]);
    for (int i = 0; i < s->tls_listen_count; i++)
        close(s->tls_listen_fds[i]);
    close(aof.cow_pipe[0]);
    char *tmp = aof_rewrite_temp_path(s, getpid());
    int rc = aof_rewrite_to_path(s, tmp);
    if (rc == 0) {
        log_notice("Successfully created the temporary AOF base file %s", tmp);
        size_t cow = aof_private_dirty();
        if (cow)
            log_notice("AOF rewrite: %zu MB of memory used by copy-on-write", cow >> 20);
        ssize_t n = write(aof.cow_pipe[1], &cow, sizeof(cow));
        (void)n;
    }
    _exit(rc == 0 ? 0 : 1);
}

/* ----------------------------------------------------------- the parent */

/* Step 1: what comes after the fork goes to a new incr file. */
static int aof_open_new_incr(server *s)
{
    if (aof.state == AOF_OFF)
        return 0;
    aof_manifest *temp_am = NULL;
    char *name;
    if (aof.state == AOF_WAIT_REWRITE) {
        name = aof_temp_incr_name(s);
    } else {
        temp_am = aof_manifest_dup(aof.am);
        name = strdup(aof_manifest_new_incr(s, temp_am));
        if (!name)
            abort();
    }
    int fd = aof_open_append(s, name, 1);
    if (fd == -1) {
        log_warning("Can't open the append-only file %s: %s", name, strerror(errno));
        goto fail;
    }
    if (temp_am && aof_manifest_persist(s, temp_am) != 0)
        goto fail;
    log_notice("Creating AOF incr file %s on background rewrite", name);
    free(name);
    /* The old file is fsynced and closed off the loop; with everysec the
     * fsync may lag a little, which that policy allows. */
    if (aof.fd != -1) {
        aof_background_fsync_and_close(aof.fd);
        aof.fsync_offset = aof.current_size;
        aof.last_fsync = (time_t)(s->mstime / 1000);
    }
    aof.fd = fd;
    aof.last_incr_size = 0;
    if (temp_am) {
        aof_manifest_free(aof.am);
        aof.am = temp_am;
    }
    return 0;
fail:
    if (fd != -1) {
        close(fd);
        char *path = aof_path(s, name);
        unlink(path);
        free(path);
    }
    free(name);
    aof_manifest_free(temp_am);
    return -1;
}

static void aof_rewrite_on_child_exit(struct ev_loop *loop, ev_child *w, int revents)
{
    (void)revents;
    ev_child_stop(loop, w);
    server *s = w->data;
    if (w->rpid != aof.child_pid)
        return;
    int status = w->rstatus;
    int bysignal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int exitcode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    server_update_time(s);
    aof_rewrite_done(s, exitcode, bysignal);
}

int aof_rewrite_background(server *s, const char **why)
{
    *why = NULL;
    if (s->child_type != CHILD_TYPE_NONE) {
        *why = "another child process is running";
        return -1;
    }
    if (aof_dir_ensure(s) == -1) {
        log_warning("Can't open or create append-only dir %s: %s", s->cfg.appenddirname,
                    strerror(errno));
        aof.last_bgrewrite_status = -1;
        return -1;
    }
    aof_reset_selected_db();
    aof_flush(s, 1);
    /* Unwritten changes would be both in the snapshot and, once written,
     * in the new incr file: refuse until the disk takes writes again. */
    if (aof.fd != -1 && aof.buf && buf_len(aof.buf) > 0) {
        log_warning("Can't rewrite the AOF while writes to it fail: %s",
                    strerror(aof.last_write_errno));
        aof.last_bgrewrite_status = -1;
        return -1;
    }
    if (aof_open_new_incr(s) != 0) {
        aof.last_bgrewrite_status = -1;
        return -1;
    }
    aof.rewrites++;
    if (pipe(aof.cow_pipe) == -1)
        aof.cow_pipe[0] = aof.cow_pipe[1] = -1;
    aof_rewrite_rdb_format = s->cfg.aof_use_rdb_preamble;
    fflush(NULL); /* the child must not write the parent's buffered output again */
    pid_t pid = fork();
    if (pid == 0)
        aof_rewrite_child(s);
    if (pid == -1) {
        aof.last_bgrewrite_status = -1;
        log_warning("Can't rewrite append only file in background: fork: %s", strerror(errno));
        for (int i = 0; i < 2; i++)
            if (aof.cow_pipe[i] != -1)
                close(aof.cow_pipe[i]);
        aof.cow_pipe[0] = aof.cow_pipe[1] = -1;
        return -1;
    }
    if (aof.cow_pipe[1] != -1) {
        close(aof.cow_pipe[1]);
        aof.cow_pipe[1] = -1;
        fcntl(aof.cow_pipe[0], F_SETFL, O_NONBLOCK);
    }
    log_notice("Background append only file rewriting started by pid %ld", (long)pid);
    ev_child_init(&aof_child_watcher, aof_rewrite_on_child_exit, pid, 0);
    aof_child_watcher.data = s;
    ev_child_start(s->loop, &aof_child_watcher);
    aof.child_pid = pid;
    s->child_type = CHILD_TYPE_AOF;
    s->child_pid = (int)pid;
    aof.rewrite_scheduled = 0;
    aof.rewrite_start_ms = s->mstime;
    /* Rehashing would touch every page of the keyspace: copy-on-write. */
    dict_set_resize_enabled(0);
    return 0;
}

static void aof_child_reset(server *s, pid_t child)
{
    char *tmp = aof_rewrite_temp_path(s, child);
    unlink(tmp);
    free(tmp);
    char name[64];
    snprintf(name, sizeof(name), "temp-rewriteaof-%d.aof", (int)child);
    tmp = aof_path(s, name);
    unlink(tmp);
    free(tmp);
    if (aof.cow_pipe[0] != -1) {
        size_t cow;
        if (read(aof.cow_pipe[0], &cow, sizeof(cow)) == (ssize_t)sizeof(cow))
            aof.last_cow_size = cow;
        close(aof.cow_pipe[0]);
        aof.cow_pipe[0] = -1;
    }
    aof.child_pid = -1;
    s->child_type = CHILD_TYPE_NONE;
    s->child_pid = 0;
    dict_set_resize_enabled(1);
}

void aof_rewrite_kill_child(server *s)
{
    if (aof.child_pid == -1)
        return;
    pid_t child = aof.child_pid;
    log_notice("Killing running AOF rewrite child: %ld", (long)child);
    ev_child_stop(s->loop, &aof_child_watcher);
    if (kill(child, SIGUSR1) != -1) {
        int st;
        while (waitpid(child, &st, 0) == -1 && errno == EINTR)
            ;
    }
    aof_child_reset(s, child);
    aof.rewrite_start_ms = -1;
}

/* Step 3: the new base is in place; switch the manifest to it. */
static int aof_rewrite_install(server *s, pid_t child)
{
    char *tmp = aof_rewrite_temp_path(s, child);
    aof_manifest *temp_am = aof_manifest_dup(aof.am);
    const char *base = aof_manifest_new_base(s, temp_am, aof_rewrite_rdb_format);
    char *base_path = aof_path(s, base);
    char *incr_path = NULL;
    int rc = -1;
    if (rename(tmp, base_path) == -1) {
        log_warning("Error trying to rename the temporary AOF base file %s into %s: %s", tmp,
                    base_path, strerror(errno));
        goto done;
    }
    log_notice("Successfully renamed the temporary AOF base file %s into %s", tmp, base);
    if (aof.state == AOF_WAIT_REWRITE) {
        char *temp_incr = aof_temp_incr_name(s);
        char *temp_incr_path = aof_path(s, temp_incr);
        const char *incr = aof_manifest_new_incr(s, temp_am);
        incr_path = aof_path(s, incr);
        int renamed = rename(temp_incr_path, incr_path) == 0;
        if (!renamed)
            log_warning("Error trying to rename the temporary AOF incr file %s into %s: %s",
                        temp_incr, incr, strerror(errno));
        else
            log_notice("Successfully renamed the temporary AOF incr file %s into %s", temp_incr,
                       incr);
        free(temp_incr);
        free(temp_incr_path);
        if (!renamed) {
            unlink(base_path);
            free(incr_path);
            incr_path = NULL;
            goto done;
        }
    }
    /* Every increment but the one being written now is in the new base. */
    aof_manifest_retire_incrs(temp_am, aof.fd != -1 ? 1 : 0);
    if (aof_manifest_persist(s, temp_am) != 0) {
        unlink(base_path);
        if (incr_path)
            unlink(incr_path);
        goto done;
    }
    aof_manifest_free(aof.am);
    aof.am = temp_am;
    temp_am = NULL;
    if (aof.fd != -1) {
        long long base_size = aof_file_size(s, base);
        aof_reset_selected_db();
        aof.current_size = (base_size > 0 ? base_size : 0) + aof.last_incr_size;
        aof.base_size = aof.current_size;
        aof.fsync_offset = aof.current_size;
        aof.last_fsync = (time_t)(s->mstime / 1000);
    }
    aof_delete_history(s);
    rc = 0;
done:
    aof_manifest_free(temp_am);
    free(tmp);
    free(base_path);
    free(incr_path);
    return rc;
}

void aof_rewrite_done(server *s, int exitcode, int bysignal)
{
    pid_t child = aof.child_pid;
    if (!bysignal && exitcode == 0) {
        log_notice("Background AOF rewrite terminated with success");
        if (aof_rewrite_install(s, child) == 0) {
            aof.last_bgrewrite_status = 0;
            aof.rewrite_failures = 0;
            log_notice("Background AOF rewrite finished successfully");
            if (aof.state == AOF_WAIT_REWRITE)
                aof.state = AOF_ON;
        } else {
            aof.last_bgrewrite_status = -1;
            aof.rewrite_failures++;
        }
    } else if (!bysignal) {
        aof.last_bgrewrite_status = -1;
        aof.rewrite_failures++;
        log_warning("Background AOF rewrite terminated with error");
    } else {
        /* SIGUSR1 is how we stop a child ourselves: not an error. */
        if (bysignal != SIGUSR1) {
            aof.last_bgrewrite_status = -1;
            aof.rewrite_failures++;
        }
        log_warning("Background AOF rewrite terminated by signal %d", bysignal);
    }
    aof_child_reset(s, child);
    if (aof.state == AOF_WAIT_REWRITE) {
        /* Failed while turning on: drop what went to the temporary incr
         * file (the next attempt's base will hold it) and try again. */
        if (aof.buf)
            buf_clear(aof.buf);
        if (aof.fd != -1) {
            aof_background_fsync_and_close(aof.fd);
            aof.fd = -1;
        }
        char *name = aof_temp_incr_name(s);
        char *path = aof_path(s, name);
        unlink(path);
        free(name);
        free(path);
        aof.rewrite_scheduled = 1;
    }
    aof.rewrite_time_last =
        aof.rewrite_start_ms != -1 ? (long long)((s->mstime - aof.rewrite_start_ms) / 1000) : -1;
    aof.rewrite_start_ms = -1;
}
