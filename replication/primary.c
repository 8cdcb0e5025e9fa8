/* primary: the serving side of replication.  Owns the backlog (a ring of
 * the last repl-backlog-size bytes of the stream), the list of replicas
 * and their state, the stream feed from the propagation point, PSYNC
 * (partial resync from the backlog, or a full sync whose RDB a fork()ed
 * child writes to a file or, diskless, into a pipe), REPLCONF, WAIT,
 * min-replicas-to-write and the replication cron. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pause.h"
#include "rdb.h"
#include "replication.h"

repl_config repl_cfg;
repl_state repl = {.second_replid_offset = -1, .seldb = -1};

enum {
    RS_PRE_SYNC,        /* REPLCONF seen, no PSYNC yet */
    RS_WAIT_BGSAVE,     /* waiting for a child to start (or the diskless delay) */
    RS_WAIT_BGSAVE_END, /* +FULLRESYNC sent, the RDB is being produced */
    RS_SEND_BULK,       /* disk: the RDB file goes out chunk by chunk */
    RS_WAIT_ACK,        /* diskless RDB sent: online at its first ACK (the mark must end
                           what it reads, so nothing may follow until it has loaded) */
    RS_ONLINE,          /* the stream flows */
};

typedef struct replica_link {
    client *c;
    int state;
    int port; /* REPLCONF listening-port */
    char ip[64];
    int capa_eof, capa_psync2;
    long long ack_off;
    int64_t ack_ms;
    int64_t wait_since_ms; /* RS_WAIT_BGSAVE: when it asked */
    buf pending;           /* stream produced while its RDB is made */
    int rdb_started;       /* diskless: RDB bytes already sent (no more newlines) */
    FILE *rdb_fp;          /* RS_SEND_BULK: the file, rdb_left bytes still to send */
    long long rdb_left;
    long long queued; /* bytes given to its output buffer (INFO's repl output) */
    ev_io writable;   /* while its RDB is sent: wakes the loop when the socket drains */
    int watching;
    struct replica_link *next;
} replica_link;

typedef struct wait_entry {
    client *c;
    long long target;
    long long numreplicas;
    ev_timer timer;
    struct wait_entry *next;
} wait_entry;

static struct {
    replica_link *links;
    wait_entry *waiters;
    client_vec resume; /* WAIT clients woken: resume their input */
    int getack_pending;
    ev_timer getack_wake; /* a WAIT blocked after this iteration's before-sleep */
    /* The stream's offset before and after the last GETACKs sent with no
     * other byte after them: a WAIT does not wait for those (see there). */
    long long getack_base, getack_end;
    /* the full-sync child */
    int child_diskless;
    int child_pipe;      /* diskless: read end, -1 none */
    int child_exited;    /* exit seen (with status) */
    int child_status_ok; /* exit code 0 */
    int pipe_eof;
    int pipe_paused; /* a replica's socket is behind: the child waits */
    ev_io pipe_watcher;
    ev_child child_watcher;
    char rdb_path[512];
    char eofmark[41];
    ev_timer cron;
    ev_prepare before_sleep;
    int64_t last_ping_ms;
    server *s;
    /* INFO: bytes written to replicas already gone, and the last seconds'
     * replication traffic (samples every 100 ms) */
    long long out_written_gone;
    long long net_samples[2][16];
    long long net_last[2];
    int net_idx;
} P = {.child_pipe = -1, .getack_end = -1};

/* The RDB goes out no faster than a replica reads it: at most this much
 * unsent output per replica, so a full sync never holds the whole file in
 * memory nor trips the replica output buffer limit. */
#define REPL_RDB_INFLIGHT (1024 * 1024)

static size_t repl_unsent(const client *c)
{
    return buf_len(c->reply) - c->reply_pos;
}

/* ------------------------------------------------------------- backlog */

void repl_backlog_create(void)
{
    if (repl.backlog)
        return;
    repl.backlog_size = repl_cfg.backlog_size > 16384 ? repl_cfg.backlog_size : 16384;
    repl.backlog = malloc((size_t)repl.backlog_size);
    if (!repl.backlog)
        abort();
    repl_backlog_reset(repl.master_repl_offset + 1);
}

void repl_backlog_reset(long long next_offset)
{
    repl.backlog_histlen = 0;
    repl.backlog_idx = 0;
    repl.backlog_off = next_offset;
}

static void repl_backlog_append(const char *p, size_t len)
{
    if (!repl.backlog)
        return;
    while (len > 0) {
        size_t room = (size_t)(repl.backlog_size - repl.backlog_idx);
        size_t n = len < room ? len : room;
        memcpy(repl.backlog + repl.backlog_idx, p, n);
        repl.backlog_idx = (repl.backlog_idx + (long long)n) % repl.backlog_size;
        repl.backlog_histlen += (long long)n;
        p += n;
        len -= n;
    }
    if (repl.backlog_histlen > repl.backlog_size)
        repl.backlog_histlen = repl.backlog_size;
    repl.backlog_off = repl.master_repl_offset - repl.backlog_histlen + 1;
}

/* CONFIG SET repl-backlog-size: a new ring keeping the newest history
 * that fits. */
int repl_apply_backlog_size(server *s, const char **err)
{
    (void)s;
    (void)err;
    long long size = repl_cfg.backlog_size > 16384 ? repl_cfg.backlog_size : 16384;
    if (!repl.backlog || size == repl.backlog_size)
        return 1;
    char *nb = malloc((size_t)size);
    if (!nb)
        abort();
    long long keep = repl.backlog_histlen < size ? repl.backlog_histlen : size;
    long long start = (repl.backlog_idx - keep + 2 * repl.backlog_size) % repl.backlog_size;
    for (long long i = 0; i < keep; i++)
        nb[i] = repl.backlog[(start + i) % repl.backlog_size];
    free(repl.backlog);
    repl.backlog = nb;
    repl.backlog_size = size;
    repl.backlog_histlen = keep;
    repl.backlog_idx = keep % size;
    repl.backlog_off = repl.master_repl_offset - keep + 1;
    return 1;
}

/* Append the backlog's bytes from stream offset `from` on to c's output. */
static long long repl_backlog_send(client *c, long long from)
{
    long long skip = from - repl.backlog_off;
    long long len = repl.backlog_histlen - skip;
    long long start = (repl.backlog_idx - repl.backlog_histlen + skip + 2 * repl.backlog_size) %
                      repl.backlog_size;
    long long left = len;
    while (left > 0) {
        long long n = repl.backlog_size - start < left ? repl.backlog_size - start : left;
        reply_raw(c, repl.backlog + start, (size_t)n);
        start = (start + n) % repl.backlog_size;
        left -= n;
    }
    return len;
}

/* ------------------------------------------------------------- replicas */

static replica_link *repl_link_find(const client *c)
{
    for (replica_link *l = P.links; l; l = l->next)
        if (l->c == c)
            return l;
    return NULL;
}

static replica_link *repl_link_get(client *c)
{
    replica_link *l = repl_link_find(c);
    if (l)
        return l;
    l = calloc(1, sizeof(*l));
    if (!l)
        abort();
    l->c = c;
    l->ack_ms = c->srv->mstime;
    const char *colon = strrchr(c->peer, ':');
    size_t iplen = colon ? (size_t)(colon - c->peer) : strlen(c->peer);
    if (iplen >= sizeof(l->ip))
        iplen = sizeof(l->ip) - 1;
    memcpy(l->ip, c->peer, iplen);
    l->next = P.links;
    P.links = l;
    return l;
}

/* Output to a replica, counted for INFO (what was written of it is
 * `queued` less what is still unsent). */
static void repl_out(replica_link *l, const void *p, size_t len)
{
    if (l->c->flags & CLIENT_CLOSE_ASAP)
        return;
    reply_raw(l->c, p, len);
    l->queued += (long long)len;
}

static long long repl_link_written(const replica_link *l)
{
    long long w = l->queued - (long long)repl_unsent(l->c);
    return w > 0 ? w : 0;
}

int replication_client_is_replica(const client *c)
{
    return (c->flags & CLIENT_REPLICA) != 0;
}

int repl_replica_count(void)
{
    int n = 0;
    for (replica_link *l = P.links; l; l = l->next)
        n += l->state != RS_PRE_SYNC;
    return n;
}

void repl_disconnect_replicas(server *s)
{
    for (replica_link *l = P.links; l; l = l->next)
        if (l->state != RS_PRE_SYNC)
            client_free_async(l->c);
    (void)s;
}

void repl_shift_replid(void)
{
    memcpy(repl.replid2, repl.replid, sizeof(repl.replid));
    repl.second_replid_offset = repl.master_repl_offset + 1;
    util_random_hex(repl.replid, 40);
    log_notice("Setting secondary replication ID to %s, valid up to offset: %lld. New replication "
               "ID is %s",
               repl.replid2, repl.second_replid_offset, repl.replid);
}

static void wait_entry_free(wait_entry *w, int resume);
static void wait_check(void);

void replication_client_freed(client *c)
{
    for (replica_link **pl = &P.links; *pl; pl = &(*pl)->next) {
        replica_link *l = *pl;
        if (l->c != c)
            continue;
        *pl = l->next;
        P.out_written_gone += repl_link_written(l);
        if (l->watching)
            ev_io_stop(c->srv->loop, &l->writable);
        if (l->rdb_fp)
            fclose(l->rdb_fp);
        if (l->state != RS_PRE_SYNC)
            log_notice("Connection with replica %s:%d lost.", l->ip, l->port);
        buf_free(l->pending);
        free(l);
        if (!repl_replica_count())
            repl.backlog_no_replicas_since = c->srv->mstime;
        break;
    }
    for (wait_entry *w = P.waiters; w; w = w->next) {
        if (w->c == c) {
            wait_entry_free(w, 0);
            break;
        }
    }
    client_vec_remove(&P.resume, c);
    if (repl.master == c)
        repl_master_lost(c->srv);
}

/* --------------------------------------------------------------- feeding */

/* "*<n>\r\n" or "$<n>\r\n": the hot path of every write, so no printf. */
static buf repl_encode_header(buf out, char type, long long n)
{
    char hdr[LL_STR_SIZE + 3];
    hdr[0] = type;
    int len = 1 + util_ll2str(hdr + 1, sizeof(hdr) - 1, n);
    hdr[len++] = '\r';
    hdr[len++] = '\n';
    return buf_cat(out, hdr, (size_t)len);
}

static buf repl_encode(buf out, int argc, const resp_arg *argv)
{
    out = repl_encode_header(out, '*', argc);
    for (int i = 0; i < argc; i++) {
        out = repl_encode_header(out, '$', (long long)argv[i].len);
        out = buf_cat(out, argv[i].ptr, argv[i].len);
        out = buf_cat(out, "\r\n", 2);
    }
    return out;
}

void repl_feed_bytes(server *s, const char *p, size_t len)
{
    repl.master_repl_offset += (long long)len;
    repl_backlog_append(p, len);
    for (replica_link *l = P.links; l; l = l->next) {
        if (l->state == RS_ONLINE)
            repl_out(l, p, len);
        else if (l->state == RS_WAIT_BGSAVE_END || l->state == RS_SEND_BULK ||
                 l->state == RS_WAIT_ACK)
            l->pending = buf_cat(l->pending ? l->pending : buf_empty(), p, len);
    }
    (void)s;
}

/* A change, from the propagation point.  A replica does not produce a
 * stream of its own: it forwards its primary's bytes as they are applied
 * (replication_master_applied), so sub-replicas see the same offsets. */
void replication_feed(server *s, int dbid, int argc, const resp_arg *argv)
{
    if (repl_is_replica() || (!repl.backlog && !P.links))
        return;
    static buf out; /* reused: one encoding buffer for the whole stream */
    if (!out || buf_alloc_size(out) > 64 * 1024) {
        buf_free(out);
        out = buf_new_cap(256);
    }
    buf_clear(out);
    if (dbid >= 0 && dbid != repl.seldb) {
        char db[24];
        int n = snprintf(db, sizeof(db), "%d", dbid);
        resp_arg sel[2] = {{"SELECT", 6}, {db, (size_t)n}};
        out = repl_encode(out, 2, sel);
        repl.seldb = dbid;
    }
    out = repl_encode(out, argc, argv);
    repl_feed_bytes(s, out, buf_len(out));
}

/* --------------------------------------------------------- full sync */

static void repl_child_done(server *s);

static void repl_on_child_exit(struct ev_loop *loop, ev_child *w, int revents)
{
    server *s = w->data;
    ev_child_stop(loop, w);
    P.child_exited = 1;
    P.child_status_ok = WIFEXITED(w->rstatus) && WEXITSTATUS(w->rstatus) == 0;
    s->child_type = 0;
    s->child_pid = 0;
    if (!P.child_diskless || P.pipe_eof)
        repl_child_done(s);
    (void)revents;
}

/* Diskless: the child's RDB bytes go to every replica waiting for it. */
static void repl_on_pipe_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    server *s = w->data;
    char chunk[64 * 1024];
    for (;;) {
        ssize_t n = read(P.child_pipe, chunk, sizeof(chunk));
        if (n > 0) {
            for (replica_link *l = P.links; l; l = l->next) {
                if (l->state != RS_WAIT_BGSAVE_END)
                    continue;
                if (!l->rdb_started) {
                    repl_out(l, "$EOF:", 5);
                    repl_out(l, P.eofmark, 40);
                    repl_out(l, "\r\n", 2);
                    l->rdb_started = 1;
                }
                repl_out(l, chunk, (size_t)n);
                if (repl_unsent(l->c) > REPL_RDB_INFLIGHT && !P.pipe_paused) {
                    P.pipe_paused = 1;
                    ev_io_stop(loop, w);
                }
            }
            if (P.pipe_paused)
                return;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        break; /* EOF or error */
    }
    ev_io_stop(loop, w);
    close(P.child_pipe);
    P.child_pipe = -1;
    P.pipe_eof = 1;
    if (P.child_exited)
        repl_child_done(s);
    (void)revents;
}

/* The RDB is complete (or the child failed): replicas waiting for it get
 * the rest of what they need and go online, or are dropped to retry. */
static void repl_child_done(server *s)
{
    int ok = P.child_status_ok;
    if (ok)
        log_notice("Background RDB transfer terminated with success");
    else
        log_warning("Background transfer error: the full sync child failed");
    for (replica_link *l = P.links; l; l = l->next) {
        if (l->state != RS_WAIT_BGSAVE_END)
            continue;
        if (!ok || (P.child_diskless && !l->rdb_started)) {
            client_free_async(l->c);
            continue;
        }
        if (P.child_diskless) {
            repl_out(l, P.eofmark, 40);
            l->state = RS_WAIT_ACK;
            l->ack_ms = s->mstime;
            continue;
        }
        /* Each replica reads the file at its own pace (repl_send_bulk). */
        struct stat st;
        l->rdb_fp = fopen(P.rdb_path, "r");
        if (!l->rdb_fp || fstat(fileno(l->rdb_fp), &st) != 0) {
            log_warning("Can't open the full sync RDB %s: %s", P.rdb_path, strerror(errno));
            client_free_async(l->c);
            continue;
        }
        char hdr[32];
        int n = snprintf(hdr, sizeof(hdr), "$%lld\r\n", (long long)st.st_size);
        repl_out(l, hdr, (size_t)n);
        l->rdb_left = (long long)st.st_size;
        l->state = RS_SEND_BULK;
    }
    if (!P.child_diskless)
        unlink(P.rdb_path); /* open descriptors keep it readable */
}

static void repl_put_online(server *s, replica_link *l)
{
    if (l->pending)
        repl_out(l, l->pending, buf_len(l->pending));
    buf_free(l->pending);
    l->pending = NULL;
    l->state = RS_ONLINE;
    l->ack_ms = s->mstime;
    log_notice("Synchronization with replica %s:%d succeeded", l->ip, l->port);
}

static void repl_on_bulk_writable(struct ev_loop *loop, ev_io *w, int revents)
{
    /* Nothing to do here: the loop is awake, and repl_send_bulk runs
     * before it sleeps again. */
    (void)loop;
    (void)w;
    (void)revents;
}

/* The RDB goes out from before-sleep, at most REPL_RDB_INFLIGHT ahead of
 * the socket.  When the socket takes all of it at once nothing else would
 * wake the loop for the next part (the client's own write watcher is off
 * with nothing pending), so a watcher on the socket's writability does,
 * while the replica still has RDB to receive. */
static void repl_bulk_watch(server *s, replica_link *l)
{
    int want = !(l->c->flags & CLIENT_CLOSE_ASAP) && l->c->conn &&
               ((l->state == RS_SEND_BULK && l->rdb_left > 0) ||
                (l->state == RS_WAIT_BGSAVE_END && P.pipe_paused));
    if (want == l->watching)
        return;
    if (want) {
        ev_io_init(&l->writable, repl_on_bulk_writable, conn_fd(l->c->conn), EV_WRITE);
        ev_io_start(s->loop, &l->writable);
    } else {
        ev_io_stop(s->loop, &l->writable);
    }
    l->watching = want;
}

/* Before the loop sleeps: more RDB for replicas whose sockets drained. */
static void repl_send_bulk(server *s)
{
    char chunk[64 * 1024];
    int behind = 0;
    for (replica_link *l = P.links; l; l = l->next) {
        if (l->state == RS_WAIT_BGSAVE_END && repl_unsent(l->c) > REPL_RDB_INFLIGHT)
            behind = 1;
        if (l->state != RS_SEND_BULK || (l->c->flags & CLIENT_CLOSE_ASAP))
            continue;
        while (l->rdb_left > 0 && repl_unsent(l->c) < REPL_RDB_INFLIGHT) {
            size_t want =
                l->rdb_left < (long long)sizeof(chunk) ? (size_t)l->rdb_left : sizeof(chunk);
            size_t n = fread(chunk, 1, want, l->rdb_fp);
            if (n == 0) {
                log_warning("Failed reading the full sync RDB for replica %s:%d", l->ip, l->port);
                client_free_async(l->c);
                break;
            }
            repl_out(l, chunk, n);
            l->rdb_left -= (long long)n;
        }
        if (l->rdb_left == 0 && !(l->c->flags & CLIENT_CLOSE_ASAP)) {
            fclose(l->rdb_fp);
            l->rdb_fp = NULL;
            repl_put_online(s, l);
        }
    }
    if (P.pipe_paused && !behind && P.child_pipe >= 0) {
        P.pipe_paused = 0;
        ev_io_start(s->loop, &P.pipe_watcher);
    }
    for (replica_link *l = P.links; l; l = l->next)
        repl_bulk_watch(s, l);
}

/* Start the child that writes the RDB for every replica waiting in
 * RS_WAIT_BGSAVE; they get +FULLRESYNC with the offset the snapshot
 * corresponds to.  Returns 0 if started. */
static int repl_start_bgsave(server *s)
{
    if (s->child_type != 0 || s->loading)
        return -1;
    int diskless = repl_cfg.diskless_sync;
    for (replica_link *l = P.links; l; l = l->next)
        if (l->state == RS_WAIT_BGSAVE && !l->capa_eof)
            diskless = 0;
    int fds[2] = {-1, -1};
    if (diskless && pipe(fds) != 0)
        return -1;
    snprintf(P.rdb_path, sizeof(P.rdb_path), "temp-repl-%d.rdb", (int)getpid());
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        log_warning("Can't fork for the full sync: %s", strerror(errno));
        if (diskless) {
            close(fds[0]);
            close(fds[1]);
        }
        return -1;
    }
    if (pid == 0) {
        char err[256];
        log_set_role('C');
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        /* Nobody would read the RDB of a primary that died (even by
         * SIGKILL): the child goes with it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        int rc;
        if (diskless) {
            close(fds[0]);
            FILE *fp = fdopen(fds[1], "w");
            rc = fp ? rdb_save_to_file(s, fp, err, sizeof(err)) : -1;
            if (fp && fclose(fp) != 0)
                rc = -1;
        } else {
            rc = rdb_save(s, P.rdb_path, err, sizeof(err));
        }
        if (rc != 0)
            log_warning("Full sync child: %s", err);
        _exit(rc == 0 ? 0 : 1);
    }
    s->child_type = CHILD_TYPE_REPL;
    s->child_pid = (int)pid;
    P.child_diskless = diskless;
    P.child_exited = P.child_status_ok = P.pipe_eof = P.pipe_paused = 0;
    ev_child_init(&P.child_watcher, repl_on_child_exit, pid, 0);
    P.child_watcher.data = s;
    ev_child_start(s->loop, &P.child_watcher);
    if (diskless) {
        close(fds[1]);
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        P.child_pipe = fds[0];
        util_random_hex(P.eofmark, 40);
        ev_io_init(&P.pipe_watcher, repl_on_pipe_readable, fds[0], EV_READ);
        P.pipe_watcher.data = s;
        ev_io_start(s->loop, &P.pipe_watcher);
    }
    log_notice("Starting BGSAVE for SYNC with target: %s (pid %d)",
               diskless ? "replicas sockets" : "disk", (int)pid);
    /* The snapshot holds everything up to this offset; the stream after it
     * starts with a SELECT. */
    repl.seldb = -1;
    for (replica_link *l = P.links; l; l = l->next) {
        if (l->state != RS_WAIT_BGSAVE)
            continue;
        char line[128];
        int n = snprintf(line, sizeof(line), "+FULLRESYNC %s %lld\r\n", repl.replid,
                         repl.master_repl_offset);
        repl_out(l, line, (size_t)n);
        l->state = RS_WAIT_BGSAVE_END;
        l->rdb_started = 0;
        buf_free(l->pending);
        l->pending = NULL;
    }
    return 0;
}

/* Whether the replicas waiting for a full sync should get one now:
 * diskless sync waits repl-diskless-sync-delay seconds for others to join. */
static void repl_maybe_start_bgsave(server *s)
{
    int waiting = 0;
    int64_t oldest = 0;
    for (replica_link *l = P.links; l; l = l->next) {
        if (l->state != RS_WAIT_BGSAVE)
            continue;
        waiting++;
        if (!oldest || l->wait_since_ms < oldest)
            oldest = l->wait_since_ms;
    }
    if (!waiting)
        return;
    if (repl_cfg.diskless_sync && repl_cfg.diskless_sync_delay > 0 &&
        s->mstime - oldest < repl_cfg.diskless_sync_delay * 1000LL &&
        (repl_cfg.diskless_sync_max_replicas == 0 || waiting < repl_cfg.diskless_sync_max_replicas))
        return;
    repl_start_bgsave(s);
}

/* ------------------------------------------------------------- commands */

/* PSYNC replid offset: continue from the backlog when this server's
 * history (replid, or replid2 up to second_replid_offset) contains the
 * offset, or start a full sync. */
static int repl_try_partial(client *c, replica_link *l, const resp_arg *id, long long off)
{
    int same = id->len == 40 && !memcmp(id->ptr, repl.replid, 40);
    int prev =
        id->len == 40 && !memcmp(id->ptr, repl.replid2, 40) && off <= repl.second_replid_offset;
    if (!same && !prev) {
        if (!(id->len == 1 && ((const char *)id->ptr)[0] == '?'))
            log_notice("Partial resynchronization not accepted: Replication ID mismatch "
                       "(Replica asked for '%.*s', my replication IDs are '%s' and '%s')",
                       (int)id->len, (const char *)id->ptr, repl.replid, repl.replid2);
        return 0;
    }
    if (!repl.backlog || off < repl.backlog_off || off > repl.backlog_off + repl.backlog_histlen) {
        log_notice("Unable to partial resync with replica %s:%d for lack of backlog (Replica "
                   "request was: %lld).",
                   l->ip, l->port, off);
        return 0;
    }
    c->flags |= CLIENT_REPLICA;
    l->state = RS_ONLINE;
    l->ack_ms = c->srv->mstime;
    char line[80];
    int n = l->capa_psync2 ? snprintf(line, sizeof(line), "+CONTINUE %s\r\n", repl.replid)
                           : snprintf(line, sizeof(line), "+CONTINUE\r\n");
    repl_out(l, line, (size_t)n);
    long long sent = repl_backlog_send(c, off);
    l->queued += sent;
    log_notice("Partial resynchronization request from %s:%d accepted. Sending %lld bytes of "
               "backlog starting from offset %lld.",
               l->ip, l->port, sent, off);
    return 1;
}

static void psync_common(client *c, int is_psync)
{
    server *s = c->srv;
    if (c->flags & CLIENT_REPLICA)
        return; /* already one */
    if (repl_is_replica() && repl.link_state != REPL_STATE_CONNECTED) {
        reply_error(c, "NOMASTERLINK Can't SYNC while not connected with my master");
        return;
    }
    replica_link *l = repl_link_get(c);
    if (is_psync) {
        long long off;
        if (!util_str2ll(c->argv[2].ptr, c->argv[2].len, &off)) {
            reply_error_not_int(c);
            return;
        }
        if (repl_try_partial(c, l, &c->argv[1], off)) {
            repl.sync_partial_ok++;
            return;
        }
        if (!(c->argv[1].len == 1 && ((const char *)c->argv[1].ptr)[0] == '?'))
            repl.sync_partial_err++;
    }
    log_notice("Replica %s:%d asks for synchronization", l->ip, l->port);
    log_notice("Full resync requested by replica %s:%d", l->ip, l->port);
    repl.sync_full++;
    c->flags |= CLIENT_REPLICA;
    l->state = RS_WAIT_BGSAVE;
    l->wait_since_ms = s->mstime;
    if (!repl.backlog) {
        /* A new history starts with the first replica (as Redis). */
        if (!repl_is_replica() && repl.master_repl_offset == 0)
            util_random_hex(repl.replid, 40);
        repl_backlog_create();
    }
    repl_maybe_start_bgsave(s);
}

static void psync_command(client *c)
{
    psync_common(c, 1);
}

static void sync_command(client *c)
{
    psync_common(c, 0);
}

static void replconf_command(client *c)
{
    if (c->argc % 2 == 0) {
        reply_error_syntax(c);
        return;
    }
    replica_link *l = NULL;
    for (int i = 1; i + 1 < c->argc; i += 2) {
        const resp_arg *opt = &c->argv[i], *val = &c->argv[i + 1];
        long long v = 0;
        if (arg_is(opt, "ack") || arg_is(opt, "fack")) {
            /* From an online replica: no reply. */
            if (!(c->flags & CLIENT_REPLICA) || !(l = repl_link_find(c)))
                return;
            if (arg_is(opt, "ack") && util_str2ll(val->ptr, val->len, &v) && v > l->ack_off)
                l->ack_off = v;
            if (l->state == RS_WAIT_ACK)
                repl_put_online(c->srv, l);
            l->ack_ms = c->srv->mstime;
            wait_check();
            continue;
        }
        if (arg_is(opt, "getack")) {
            if (c->flags & CLIENT_MASTER)
                repl_send_ack(c->srv);
            return;
        }
        l = repl_link_get(c);
        if (arg_is(opt, "listening-port")) {
            if (!arg_get_ll(c, val, &v))
                return;
            l->port = (int)v;
        } else if (arg_is(opt, "ip-address")) {
            size_t n = val->len < sizeof(l->ip) - 1 ? val->len : sizeof(l->ip) - 1;
            memcpy(l->ip, val->ptr, n);
            l->ip[n] = '\0';
        } else if (arg_is(opt, "capa")) {
            if (arg_is(val, "eof"))
                l->capa_eof = 1;
            else if (arg_is(val, "psync2"))
                l->capa_psync2 = 1;
        } else if (arg_is(opt, "rdb-only") || arg_is(opt, "rdb-filter-only")) {
            /* accepted, ignored */
        } else {
            reply_errorf(c, "ERR Unrecognized REPLCONF option: %.*s", (int)opt->len,
                         (const char *)opt->ptr);
            return;
        }
    }
    if (!(c->flags & CLIENT_REPLICA))
        reply_ok(c);
}

/* ------------------------------------------------------------------ WAIT */

static int repl_count_acked(long long offset)
{
    int n = 0;
    for (replica_link *l = P.links; l; l = l->next)
        n += l->state == RS_ONLINE && l->ack_off >= offset;
    return n;
}

static void wait_entry_free(wait_entry *w, int resume)
{
    for (wait_entry **pw = &P.waiters; *pw; pw = &(*pw)->next) {
        if (*pw == w) {
            *pw = w->next;
            break;
        }
    }
    if (ev_is_active(&w->timer))
        ev_timer_stop(w->c->srv->loop, &w->timer);
    w->c->flags &= ~CLIENT_BLOCKED;
    if (resume)
        client_vec_push(&P.resume, w->c);
    free(w);
}

static void wait_on_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
    wait_entry *w = t->data;
    reply_int(w->c, repl_count_acked(w->target));
    wait_entry_free(w, 1);
    (void)loop;
    (void)revents;
}

static void wait_command(client *c)
{
    server *s = c->srv;
    long long num, timeout;
    if (repl_is_replica()) {
        reply_error(c, "ERR WAIT cannot be used with replica instances. Please also note that "
                       "since Redis 4.0 if a replica is configured to be writable (which is not "
                       "the default) writes to replicas are just local and are not propagated.");
        return;
    }
    if (!arg_get_ll(c, &c->argv[1], &num))
        return;
    if (!util_str2ll(c->argv[2].ptr, c->argv[2].len, &timeout)) {
        reply_error(c, "ERR timeout is not an integer or out of range");
        return;
    }
    if (timeout < 0) {
        reply_error(c, "ERR timeout is negative");
        return;
    }
    /* Redis waits for the offset at the end of the client's previous
     * command, which never includes the GETACKs sent for earlier WAITs (they
     * go out before the loop sleeps, after the commands): a WAIT following
     * another does not wait for the replicas to acknowledge those. */
    long long target =
        repl.master_repl_offset == P.getack_end ? P.getack_base : repl.master_repl_offset;
    int acked = repl_count_acked(target);
    if (acked >= num || (c->flags & CLIENT_IN_EXEC) || !c->conn) {
        reply_int(c, acked);
        return;
    }
    wait_entry *w = calloc(1, sizeof(*w));
    if (!w)
        abort();
    w->c = c;
    w->target = target;
    w->numreplicas = num;
    w->next = P.waiters;
    P.waiters = w;
    c->flags |= CLIENT_BLOCKED;
    if (timeout > 0) {
        ev_timer_init(&w->timer, wait_on_timeout, (double)timeout / 1000.0, 0);
        w->timer.data = w;
        ev_timer_start(s->loop, &w->timer);
    }
    P.getack_pending = 1;
    /* A WAIT run after repl_before_sleep (a command released by the end of
     * a pause, or the pipeline of a client unblocked from BLPOP) must not
     * wait for the loop's next wake-up to send its GETACK: a zero timer
     * makes the loop go round once more without sleeping. */
    if (!ev_is_active(&P.getack_wake))
        ev_timer_start(s->loop, &P.getack_wake);
}

/* CLIENT UNBLOCK of a client blocked in WAIT, as Redis: it answers now
 * with the number of replicas that acknowledged its offset so far (as on
 * its timeout), or with -UNBLOCKED, and goes on with its pipeline. */
int replication_unblock_wait(client *c, int as_error)
{
    for (wait_entry *w = P.waiters; w; w = w->next) {
        if (w->c != c)
            continue;
        if (as_error)
            reply_error(c, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
        else
            reply_int(c, repl_count_acked(w->target));
        wait_entry_free(w, 1);
        return 1;
    }
    return 0;
}

long long replication_waiting_count(void)
{
    long long n = 0;
    for (const wait_entry *w = P.waiters; w; w = w->next)
        n++;
    return n;
}

/* An ACK arrived: wake the WAITs it satisfies. */
static void wait_check(void)
{
    wait_entry *w = P.waiters;
    while (w) {
        wait_entry *next = w->next;
        int acked = repl_count_acked(w->target);
        if (acked >= w->numreplicas) {
            reply_int(w->c, acked);
            wait_entry_free(w, 1);
        }
        w = next;
    }
}

static void role_command(client *c)
{
    if (repl_is_replica()) {
        static const char *states[] = {"none",      "connect", "connecting",
                                       "handshake", "sync",    "connected"};
        reply_array_len(c, 5);
        reply_bulk_cstr(c, "slave");
        reply_bulk_cstr(c, repl.master_host);
        reply_int(c, repl.master_port);
        reply_bulk_cstr(c, states[repl.link_state]);
        reply_int(c, repl.master ? repl.master_repl_offset : -1);
        return;
    }
    reply_array_len(c, 3);
    reply_bulk_cstr(c, "master");
    reply_int(c, repl.master_repl_offset);
    size_t h = reply_defer_len(c);
    long long n = 0;
    for (replica_link *l = P.links; l; l = l->next) {
        if (l->state != RS_ONLINE)
            continue;
        char port[16];
        snprintf(port, sizeof(port), "%d", l->port);
        reply_array_len(c, 3);
        reply_bulk_cstr(c, l->ip);
        reply_bulk_cstr(c, port);
        reply_bulk_ll(c, l->ack_off);
        n++;
    }
    reply_set_deferred_len(c, h, n);
}

/* ------------------------------------------------------ refusing writes */

int replication_reject_command(client *c, const command *cmd)
{
    if (repl_replica_loading())
        repl_replica_command_seen(cmd);
    if (!c->conn || (c->flags & CLIENT_MASTER))
        return 0;
    const char *err = NULL;
    if (repl_is_replica()) {
        if (repl_cfg.replica_read_only && (cmd->flags & CMD_WRITE))
            err = "READONLY You can't write against a read only replica.";
        else if (!repl_cfg.replica_serve_stale_data && repl.link_state != REPL_STATE_CONNECTED &&
                 !(cmd->flags & CMD_STALE))
            err = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to "
                  "'no'.";
    } else if (repl_cfg.min_replicas_to_write && repl_cfg.min_replicas_max_lag &&
               (cmd->flags & CMD_WRITE) && repl.good_replicas < repl_cfg.min_replicas_to_write) {
        err = "NOREPLICAS Not enough good replicas to write.";
    }
    if (!err)
        return 0;
    ((command *)cmd)->rejected_calls++;
    reply_error(c, err);
    return 1;
}

/* -------------------------------------------------------------- the cron */

static void repl_primary_cron(server *s)
{
    int64_t now = s->mstime;
    /* PING down the stream every repl-ping-replica-period, so replicas can
     * tell a quiet primary from a dead link. */
    if (P.links && !repl_is_replica() && !pause_in_effect() /* the offset stays still */ &&
        now - P.last_ping_ms >= (repl_cfg.ping_period > 0 ? repl_cfg.ping_period : 10) * 1000LL) {
        P.last_ping_ms = now;
        if (repl_replica_count()) {
            static const resp_arg ping = {"PING", 4};
            replication_feed(s, -1, 1, &ping);
        }
    }
    int good = 0;
    for (replica_link *l = P.links; l; l = l->next) {
        /* Keep the link alive while the RDB is made (a replica skips
         * empty lines before the PSYNC reply and before the payload). */
        if (l->state == RS_WAIT_BGSAVE || (l->state == RS_WAIT_BGSAVE_END && !l->rdb_started))
            reply_raw(l->c, "\n", 1);
        if (l->state == RS_ONLINE) {
            if (now - l->ack_ms > repl_cfg.timeout * 1000LL) {
                log_warning("Disconnecting timedout replica: %s:%d", l->ip, l->port);
                client_free_async(l->c);
                continue;
            }
            if (now - l->ack_ms <= repl_cfg.min_replicas_max_lag * 1000LL)
                good++;
        }
    }
    repl.good_replicas = good;
    /* repl-backlog-ttl: a primary without replicas frees its backlog. */
    if (repl.backlog && !repl_is_replica() && !repl_replica_count() && repl_cfg.backlog_ttl > 0 &&
        repl.backlog_no_replicas_since &&
        now - repl.backlog_no_replicas_since > repl_cfg.backlog_ttl * 1000LL) {
        repl_shift_replid();
        repl.replid2[0] = '0';
        memset(repl.replid2, '0', 40);
        repl.second_replid_offset = -1;
        free(repl.backlog);
        repl.backlog = NULL;
        repl.backlog_histlen = 0;
        log_notice("Replication backlog freed after %d seconds without connected replicas.",
                   repl_cfg.backlog_ttl);
    }
}

static long long repl_net_output_total(void)
{
    long long total = P.out_written_gone;
    for (replica_link *l = P.links; l; l = l->next)
        total += repl_link_written(l);
    return total;
}

/* Every 100 ms: the replication traffic since the last sample, per second
 * (INFO's instantaneous_*_repl_kbps average the last 16). */
static void repl_net_sample(void)
{
    long long now[2] = {repl.net_input_bytes, repl_net_output_total()};
    for (int i = 0; i < 2; i++) {
        P.net_samples[i][P.net_idx] = (now[i] - P.net_last[i]) * 10;
        P.net_last[i] = now[i];
    }
    P.net_idx = (P.net_idx + 1) % 16;
}

void replication_net_stats(long long *input, long long *output, long long *input_per_sec,
                           long long *output_per_sec)
{
    *input = repl.net_input_bytes;
    *output = repl_net_output_total();
    long long sum[2] = {0, 0};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 16; j++)
            sum[i] += P.net_samples[i][j];
    *input_per_sec = sum[0] / 16;
    *output_per_sec = sum[1] / 16;
}

void replication_memory(server *s, size_t *backlog, size_t *replica_clients, size_t *replica_output)
{
    (void)s;
    *backlog = repl.backlog ? (size_t)repl.backlog_size : 0;
    *replica_clients = *replica_output = 0;
    for (replica_link *l = P.links; l; l = l->next) {
        const client *c = l->c;
        if (!(c->flags & CLIENT_REPLICA))
            continue;
        *replica_clients += sizeof(client) + sizeof(*l) + (size_t)c->argc * sizeof(resp_arg) +
                            (c->querybuf ? buf_alloc_size(c->querybuf) : 0) +
                            (c->reply ? buf_alloc_size(c->reply) : 0) +
                            (l->pending ? buf_alloc_size(l->pending) : 0);
        *replica_output += repl_unsent(c) + (l->pending ? buf_len(l->pending) : 0);
    }
}

static void repl_on_cron(struct ev_loop *loop, ev_timer *t, int revents)
{
    server *s = t->data;
    if (s->loading)
        return;
    server_update_time(s);
    static int64_t last_second;
    repl_net_sample();
    repl_maybe_start_bgsave(s);
    if (s->mstime - last_second >= 1000) {
        last_second = s->mstime;
        repl_primary_cron(s);
        repl_replica_cron(s);
    }
    repl_replica_tick(s);
    (void)loop;
    (void)revents;
}

static void repl_on_getack_wake(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop; /* only there to wake the loop: repl_before_sleep does the work */
    (void)t;
    (void)revents;
}

/* Before the loop sleeps (ahead of the server's own flush): WAIT clients
 * woken meanwhile resume their input, then one GETACK goes out for every
 * WAIT that blocked, including those the resumed pipelines just ran (as
 * Redis does).  Not while clients are paused (CLIENT PAUSE or the stall
 * fence): the GETACK would move the replication offset a failover waits to
 * see still; it goes out once the pause ends. */
static void repl_before_sleep(struct ev_loop *loop, ev_prepare *w, int revents)
{
    server *s = w->data;
    if (s->loading)
        return;
    while (P.resume.len) {
        client *c = P.resume.v[0];
        client_vec_remove(&P.resume, c);
        if (!(c->flags & (CLIENT_CLOSE_ASAP | CLIENT_BLOCKED)))
            client_process_input(c);
    }
    if (P.getack_pending && !repl_is_replica() && !pause_in_effect()) {
        P.getack_pending = 0;
        static const resp_arg getack[3] = {{"REPLCONF", 8}, {"GETACK", 6}, {"*", 1}};
        if (repl.master_repl_offset != P.getack_end)
            P.getack_base = repl.master_repl_offset;
        replication_feed(s, -1, 3, getack);
        P.getack_end = repl.master_repl_offset;
    }
    repl_send_bulk(s);
    (void)loop;
    (void)revents;
}

/* At exit (SHUTDOWN, SIGTERM): a full-sync child still writing an RDB
 * for replicas is killed and its temporary file removed. */
static pid_t repl_owner_pid;

static void repl_kill_child_at_exit(void)
{
    server *s = P.s;
    if (getpid() != repl_owner_pid || !s || s->child_type != CHILD_TYPE_REPL || s->child_pid <= 0)
        return;
    log_warning("There is a child sending an RDB to replicas. Killing it!");
    kill(s->child_pid, SIGKILL);
    waitpid(s->child_pid, NULL, 0);
    if (!P.child_diskless) {
        char tmp[600];
        rdb_temp_path(P.rdb_path, s->child_pid, tmp, sizeof(tmp)); /* where it was writing */
        unlink(tmp);
        unlink(P.rdb_path);
    }
    s->child_type = 0;
    s->child_pid = 0;
}

void repl_primary_init(server *s)
{
    P.s = s;
    repl_owner_pid = getpid();
    atexit(repl_kill_child_at_exit);
    util_random_hex(repl.replid, 40);
    memset(repl.replid2, '0', 40);
    ev_timer_init(&P.cron, repl_on_cron, 0.1, 0.1);
    P.cron.data = s;
    ev_timer_start(s->loop, &P.cron);
    ev_timer_init(&P.getack_wake, repl_on_getack_wake, 0, 0);
    ev_prepare_init(&P.before_sleep, repl_before_sleep);
    ev_set_priority(&P.before_sleep, EV_MAXPRI);
    P.before_sleep.data = s;
    ev_prepare_start(s->loop, &P.before_sleep);
}

void repl_primary_ack_received(void)
{
    wait_check();
}

/* ------------------------------------------------------------------ INFO */

buf repl_primary_info(server *s, buf out)
{
    int i = 0;
    out = buf_cat_printf(out, "connected_slaves:%d\r\n", repl_replica_count());
    for (replica_link *l = P.links; l; l = l->next) {
        if (l->state == RS_PRE_SYNC)
            continue;
        const char *st = l->state == RS_ONLINE                                 ? "online"
                         : l->state == RS_SEND_BULK || l->state == RS_WAIT_ACK ? "send_bulk"
                                                                               : "wait_bgsave";
        out = buf_cat_printf(out, "slave%d:ip=%s,port=%d,state=%s,offset=%lld,lag=%lld\r\n", i++,
                             l->ip, l->port, st, l->ack_off,
                             (long long)((s->mstime - l->ack_ms) / 1000));
    }
    return out;
}

command replication_commands[] = {
    {"replicaof", replicaof_command, 3, CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE, 0, 0, 0, "server",
     "Configures a server as replica of another, or promotes it to a master.", "5.0.0"},
    {"slaveof", replicaof_command, 3, CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE, 0, 0, 0, "server",
     "Sets a Redis server as a replica of another, or promotes it to being a master.", "1.0.0"},
    {"replconf", replconf_command, -1,
     CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_ALLOW_BUSY, 0, 0, 0, "server",
     "An internal command for configuring the replication stream.", "3.0.0"},
    {"psync", psync_command, -3, CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI, 0, 0, 0, "server",
     "An internal command used in replication.", "2.8.0"},
    {"sync", sync_command, 1, CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI, 0, 0, 0, "server",
     "An internal command used in replication.", "1.0.0"},
    {"wait", wait_command, 3, CMD_NOSCRIPT, 0, 0, 0, "generic",
     "Blocks until the asynchronous replication of all preceding write commands sent by the "
     "connection is completed.",
     "3.0.0"},
    {"role", role_command, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "server",
     "Returns the replication role.", "2.8.12"},
    {0},
};
