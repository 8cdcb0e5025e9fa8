/* replica: the receiving side of replication.  Owns REPLICAOF/SLAVEOF,
 * the link to the primary (a non-blocking conn, plain or TLS with
 * tls-replication, with its own handshake parser: PING, AUTH, REPLCONF
 * listening-port/ip-address/capa, PSYNC), the full sync's RDB ($<len> or
 * diskless $EOF:<mark>) and where it is parsed from (repl-diskless-load: a
 * temporary file, or the socket itself, into temporary databases with
 * swapdb), and then turning the link into the "master client": an ordinary
 * client whose commands run through command_call with replies suppressed,
 * counting the offset and forwarding the same bytes to this server's own
 * replicas (chaining). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aof.h"
#include "persist.h"
#include "rdb.h"
#include "replication.h"
#include "tls.h"

enum { HS_PONG, HS_AUTH, HS_PORT, HS_IP, HS_CAPA, HS_PSYNC };

#define REPL_EOFMARK_LEN 40
#define REPL_PROGRESS_LOG_MS 1000 /* a long transfer logs how far it got this often */
#define REPL_ASYNC_SERVE_US 10000 /* loading beside the old data: clients' turn this often */

static struct {
    conn *cn;
    buf rbuf;
    int expect[8]; /* handshake replies still to read, in order */
    int nexpect;
    int64_t last_io_ms;
    int64_t last_connect_ms;
    /* full sync */
    char master_replid[41];
    long long initial_offset;
    int have_header;
    int eof_mode;
    int eof_seen; /* the mark arrived: the payload is complete */
    char eofmark[41];
    long long transfer_size; /* -1 before the header, 0 for $EOF:, else the length */
    long long transfer_read;
    FILE *tmp;
    char tmppath[512];
    int64_t transfer_start_ms;
    int64_t progress_log_ms;
    int master_db; /* the master client's database across reconnects */
} L = {.transfer_size = -1};

/* A full sync parsed straight from the socket (repl-diskless-load).  The
 * loader owns the link meanwhile (SL.cn, SL.rbuf): REPLICAOF or a new
 * connection attempt cannot pull it from under the parser, they only ask
 * it to stop (SL.abort). */
static struct {
    int active;
    int async;         /* swapdb with the same history: the old data is served meanwhile */
    int abort;         /* REPLICAOF (NO ONE) meanwhile: stop and discard */
    int shutdown_seen; /* SHUTDOWN ran meanwhile */
    conn *cn;
    buf rbuf;
    uint64_t served_us; /* when clients were last served from the parser's reads */
} SL;

int repl_is_replica(void)
{
    return repl.master_host != NULL;
}

int replication_is_replica(const server *s)
{
    (void)s;
    return repl.master_host != NULL;
}

int repl_replica_loading(void)
{
    return SL.active;
}

/* ------------------------------------------------------------- the link */

static void repl_link_cancel(server *s)
{
    if (SL.active)
        SL.abort = 1; /* the loader closes its link once it has stopped */
    if (L.tmp) {
        fclose(L.tmp);
        L.tmp = NULL;
        unlink(L.tmppath);
    }
    if (L.cn) {
        conn_close(L.cn);
        L.cn = NULL;
    }
    buf_free(L.rbuf);
    L.rbuf = NULL;
    L.nexpect = 0;
    (void)s;
}

static void repl_link_fail(server *s, const char *why)
{
    log_warning("MASTER <-> REPLICA sync: %s", why);
    repl_link_cancel(s);
    if (repl.master_host)
        repl.link_state = REPL_STATE_CONNECT;
}

/* One handshake command, as a multibulk (a few dozen bytes: the socket
 * takes them at once). */
static void repl_link_send(int argc, const char *const *argv)
{
    buf out = buf_cat_printf(buf_empty(), "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        out = buf_cat_printf(out, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    conn_write(L.cn, out, buf_len(out));
    buf_free(out);
}

#define REPL_SEND(...)                                                                             \
    repl_link_send((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)),            \
                   (const char *[]){__VA_ARGS__})

void repl_send_ack(server *s)
{
    if (!repl.master)
        return;
    char off[24];
    snprintf(off, sizeof(off), "%lld", repl.master_repl_offset);
    buf out = buf_cat_printf(buf_empty(), "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$%zu\r\n%s\r\n",
                             strlen(off), off);
    reply_raw(repl.master, out, buf_len(out));
    buf_free(out);
    (void)s;
}

/* The stream flows: the link becomes the master client. */
static void repl_link_to_master_client(server *s)
{
    client *c = client_create(s, L.cn);
    L.cn = NULL;
    c->flags |= CLIENT_MASTER | CLIENT_AUTHENTICATED;
    c->db = &s->db[L.master_db < s->cfg.databases ? L.master_db : 0];
    repl.master = c;
    repl.link_state = REPL_STATE_CONNECTED;
    repl.master_last_io_ms = s->mstime;
    if (L.rbuf && buf_len(L.rbuf)) {
        c->querybuf = buf_cat(c->querybuf, L.rbuf, buf_len(L.rbuf));
        client_process_input(c);
    }
    buf_free(L.rbuf);
    L.rbuf = NULL;
    repl_send_ack(s);
}

/* ------------------------------------------------------ full sync: common */

static void repl_count_input(server *s, size_t n)
{
    repl.net_input_bytes += (long long)n;
    L.last_io_ms = s->mstime;
}

/* A long transfer says how far it got, about once a second. */
static void repl_transfer_progress(server *s)
{
    if (s->mstime - L.transfer_start_ms < REPL_PROGRESS_LOG_MS ||
        s->mstime - L.progress_log_ms < REPL_PROGRESS_LOG_MS)
        return;
    L.progress_log_ms = s->mstime;
    double secs = (double)(s->mstime - L.transfer_start_ms) / 1000.0;
    double mb = (double)L.transfer_read / (1024 * 1024);
    if (L.transfer_size > 0)
        log_notice("MASTER <-> REPLICA sync: %lld of %lld bytes received (%.1f%%), %.1f MB/s",
                   L.transfer_read, L.transfer_size,
                   100.0 * (double)L.transfer_read / (double)L.transfer_size, mb / secs);
    else
        log_notice("MASTER <-> REPLICA sync: %lld bytes received, %.1f MB/s", L.transfer_read,
                   mb / secs);
}

/* Our AOF describes the dataset the sync replaces: it stops while the new
 * one loads and starts again with a rewrite of whatever we end up with
 * (as Redis's replicas do), so it never mixes two histories.  Returns
 * whether it was on. */
static int repl_aof_stop(server *s)
{
    if (!s->cfg.appendonly)
        return 0;
    const char *err = NULL;
    s->cfg.appendonly = 0;
    aof_config_apply_appendonly(s, &err);
    return 1;
}

static void repl_aof_restart(server *s, int was_on)
{
    if (!was_on)
        return;
    const char *err = "";
    s->cfg.appendonly = 1;
    if (!aof_config_apply_appendonly(s, &err))
        log_warning("Failed enabling the AOF after the synchronization with the master: %s", err);
}

/* The new dataset is in: adopt the primary's history and let the stream
 * flow. */
static void repl_sync_succeeded(server *s)
{
    memcpy(repl.replid, L.master_replid, 41);
    memset(repl.replid2, '0', 40);
    repl.replid2[40] = '\0';
    repl.second_replid_offset = -1;
    repl.master_repl_offset = L.initial_offset;
    repl_backlog_create();
    repl_backlog_reset(repl.master_repl_offset + 1);
    repl.seldb = -1;
    L.master_db = 0;
    log_notice("MASTER <-> REPLICA sync: Finished with success");
    repl_link_to_master_client(s);
}

static int repl_dataset_is_empty(server *s)
{
    for (int i = 0; i < s->cfg.databases; i++)
        if (dict_size(s->db[i].keys))
            return 0;
    return 1;
}

/* -------------------------------------------------- full sync: disk load */

/* The whole RDB is in the temporary file: it becomes our dump file (as in
 * Redis: a replica restarted later starts from the newest snapshot) and
 * replaces the dataset. */
static void repl_finish_disk_sync(server *s)
{
    fclose(L.tmp);
    L.tmp = NULL;
    conn_set_read_handler(L.cn, NULL); /* the loader runs the loop: no stream meanwhile */
    const char *dbfile = s->cfg.dbfilename && s->cfg.dbfilename[0] ? s->cfg.dbfilename : "dump.rdb";
    const char *path = L.tmppath;
    /* A BGSAVE child would rename its own file over ours when it ends:
     * then the received file is loaded from where it is. */
    if (s->child_type != CHILD_TYPE_RDB) {
        if (rename(L.tmppath, dbfile) == 0)
            path = dbfile;
        else
            log_warning("Failed trying to rename the temp DB into %s in MASTER <-> REPLICA "
                        "synchronization: %s",
                        dbfile, strerror(errno));
    }
    log_notice("MASTER <-> REPLICA sync: Flushing old data");
    /* Our replicas' data is about to change under them: they resync. */
    repl_disconnect_replicas(s);
    int aof_was_on = repl_aof_stop(s);
    db_flush(s, -1, 0);
    log_notice("MASTER <-> REPLICA sync: Loading DB in memory");
    char err[512] = "";
    int rc = -1;
    FILE *fp = fopen(path, "r");
    if (fp) {
        rc = rdb_load_from_file(s, fp, path, err, sizeof(err));
        fclose(fp);
    } else {
        snprintf(err, sizeof(err), "%.256s: %s", path, strerror(errno));
    }
    if (path == L.tmppath || (s->cfg.rdb_del_sync_files && !s->cfg.save_point_count && !aof_was_on))
        unlink(path); /* no persistence wanted: no file left behind */
    if (rc != 0) {
        log_warning("Failed trying to load the MASTER synchronization DB from disk: %s", err);
        db_flush(s, -1, 1); /* never serve half a dataset */
        repl_aof_restart(s, aof_was_on);
        repl_link_fail(s, "loading failed");
        return;
    }
    repl_sync_succeeded(s);
    repl_aof_restart(s, aof_was_on);
}

/* Bytes of the RDB payload (in rbuf) go to the temporary file. */
static void repl_transfer_to_disk(server *s)
{
    size_t have = buf_len(L.rbuf);
    if (L.eof_mode) {
        /* Everything but the last 40 bytes is payload; the mark ends it. */
        if (have > REPL_EOFMARK_LEN) {
            size_t n = have - REPL_EOFMARK_LEN;
            if (fwrite(L.rbuf, 1, n, L.tmp) != n) {
                repl_link_fail(s, "Write error writing to the temp file");
                return;
            }
            L.transfer_read += (long long)n;
            buf_consume(L.rbuf, n);
        }
        repl_transfer_progress(s);
        if (buf_len(L.rbuf) == REPL_EOFMARK_LEN && !memcmp(L.rbuf, L.eofmark, REPL_EOFMARK_LEN)) {
            buf_clear(L.rbuf);
            L.eof_seen = 1;
            repl_finish_disk_sync(s);
        }
        return;
    }
    long long left = L.transfer_size - L.transfer_read;
    size_t n = (long long)have < left ? have : (size_t)left;
    if (n && fwrite(L.rbuf, 1, n, L.tmp) != n) {
        repl_link_fail(s, "Write error writing to the temp file");
        return;
    }
    L.transfer_read += (long long)n;
    buf_consume(L.rbuf, n);
    repl_transfer_progress(s);
    if (L.transfer_read == L.transfer_size)
        repl_finish_disk_sync(s); /* what is left in rbuf is the stream */
}

/* ---------------------------------------- full sync: loading from the socket */

/* Temporary databases for swapdb: empty tables of the same kinds.  The
 * WATCH and blocking tables are the live databases' own (never freed
 * here), since clients only ever point at the live array. */
static keel_db *repl_tempdb_create(server *s)
{
    keel_db *t = calloc((size_t)s->cfg.databases, sizeof(*t));
    if (!t)
        abort();
    for (int i = 0; i < s->cfg.databases; i++) {
        t[i].keys = dict_create(s->db[i].keys->type);
        t[i].expires = dict_create(s->db[i].expires->type);
        t[i].id = i;
        t[i].blocking_keys = s->db[i].blocking_keys;
        t[i].watched_keys = s->db[i].watched_keys;
    }
    return t;
}

/* Exchange the contents of the live databases and the temporary ones.
 * Clients keep their database pointers; WATCHers see a change, and
 * clients blocked on keys that now exist are served. */
static void repl_tempdb_exchange(server *s, keel_db *t)
{
    for (int i = 0; i < s->cfg.databases; i++) {
        keel_db *db = &s->db[i];
        multi_touch_all_keys(s, db, &t[i]);
        dict *k = db->keys, *e = db->expires;
        long long ttl = db->avg_ttl;
        db->keys = t[i].keys;
        db->expires = t[i].expires;
        db->avg_ttl = t[i].avg_ttl;
        t[i].keys = k;
        t[i].expires = e;
        t[i].avg_ttl = ttl;
        db->expires_cursor = t[i].expires_cursor = 0;
        blocking_scan_db_for_ready_keys(s, db);
    }
}

/* Free temporary databases; their data goes to the background thread. */
static void repl_tempdb_free(server *s, keel_db *t)
{
    for (int i = 0; i < s->cfg.databases; i++) {
        if (dict_size(t[i].keys) || dict_size(t[i].expires)) {
            lazyfree_free_dicts(t[i].keys, t[i].expires);
        } else {
            dict_release(t[i].expires);
            dict_release(t[i].keys);
        }
    }
    free(t);
}

/* SIGTERM or SHUTDOWN while the payload loads: once the shutdown is
 * prepared (listeners closed) the process exits without keeping what was
 * half loaded, as a server loading its own dataset does. */
static void repl_load_check_shutdown(server *s)
{
    int prepared = s->listen_count == 0 && s->tls_listen_count == 0;
    if (SL.shutdown_seen && prepared) {
        log_warning("Exiting during the synchronization with the master: the data being loaded "
                    "was discarded.");
        exit(0);
    }
    if (!s->shutdown_asap)
        return;
    /* Loading in the foreground (-LOADING) nothing may be saved; with the
     * old dataset still live it is saved as configured. */
    if (prepared || server_prepare_shutdown(s, s->loading ? SHUTDOWN_NOSAVE : 0) == 0) {
        log_warning("Exiting during the synchronization with the master: the data being loaded "
                    "was discarded.");
        exit(0);
    }
    s->shutdown_asap = 0;
}

/* While the parser waits for the primary, clients are served (the old
 * data with swapdb, -LOADING otherwise), as between keys. */
static void repl_load_serve_clients(server *s)
{
    SL.served_us = util_monotonic_us();
    ev_run(s->loop, EVRUN_NOWAIT);
    client_flush_pending(s);
    server_update_time(s);
    repl_load_check_shutdown(s);
}

/* More payload into SL.rbuf: waits (serving clients) until the primary
 * sends some.  -1 if the link is lost, silent for repl-timeout, or the
 * load was called off. */
static int repl_socket_fill(server *s)
{
    char chunk[16 * 1024];
    int64_t timeout_ms = (repl_cfg.timeout > 0 ? repl_cfg.timeout : 60) * 1000LL;
    for (;;) {
        ssize_t n = conn_read(SL.cn, chunk, sizeof(chunk));
        if (n > 0) {
            server_update_time(s);
            SL.rbuf = buf_cat(SL.rbuf ? SL.rbuf : buf_empty(), chunk, (size_t)n);
            repl_count_input(s, (size_t)n);
            return 0;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            log_warning("MASTER <-> REPLICA sync: I/O error trying to sync with MASTER: %s",
                        n == 0 ? "connection lost" : conn_last_error(SL.cn));
            return -1;
        }
        repl_load_serve_clients(s);
        if (SL.abort)
            return -1;
        if (s->mstime - L.last_io_ms > timeout_ms) {
            log_warning("MASTER <-> REPLICA sync: Timeout receiving the payload from the MASTER");
            return -1;
        }
        struct pollfd pfd = {.fd = conn_fd(SL.cn), .events = POLLIN};
        poll(&pfd, 1, 10);
    }
}

/* The parser's read(2): the payload and nothing more.  With $<len> it ends
 * after len bytes (the stream that follows stays in SL.rbuf); with
 * $EOF:<mark> the last 40 bytes received are held back until they are
 * known not to be the mark. */
static ssize_t repl_socket_read(void *cookie, char *dst, size_t size)
{
    server *s = cookie;
    for (;;) {
        if (SL.abort) {
            errno = ECONNABORTED;
            return -1;
        }
        size_t have = SL.rbuf ? buf_len(SL.rbuf) : 0, n = 0;
        if (L.eof_mode) {
            if (L.eof_seen)
                return 0;
            if (have > REPL_EOFMARK_LEN)
                n = have - REPL_EOFMARK_LEN;
            else if (have == REPL_EOFMARK_LEN && !memcmp(SL.rbuf, L.eofmark, REPL_EOFMARK_LEN)) {
                buf_clear(SL.rbuf);
                L.eof_seen = 1;
                return 0;
            }
        } else {
            long long left = L.transfer_size - L.transfer_read;
            if (left <= 0)
                return 0;
            n = (long long)have < left ? have : (size_t)left;
        }
        if (n) {
            /* Serving the old data, clients wait at most ~10 ms for a turn
             * (the loader itself lets them in only every 100 ms). */
            if (SL.async && util_monotonic_us() - SL.served_us >= REPL_ASYNC_SERVE_US) {
                repl_load_serve_clients(s);
                if (SL.abort)
                    continue;
            }
            if (n > size)
                n = size;
            memcpy(dst, SL.rbuf, n);
            buf_consume(SL.rbuf, n);
            L.transfer_read += (long long)n;
            repl_transfer_progress(s);
            return (ssize_t)n;
        }
        if (repl_socket_fill(s) != 0) {
            errno = EIO;
            return -1;
        }
    }
}

/* Parse the payload into the temporary databases through a copy of the
 * server whose databases are those: clients keep reading and writing the
 * live ones, and the loader's flag (-LOADING) and its stopping of the cron
 * concern the copy only.  The copy owns no watchers and no clients. */
static int repl_load_async(server *s, keel_db *tmp, FILE *fp, char *err, size_t errlen)
{
    server *copy = malloc(sizeof(*copy));
    if (!copy)
        abort();
    *copy = *s;
    copy->db = tmp;
    memset(&copy->cron, 0, sizeof(copy->cron));
    memset(&copy->before_sleep, 0, sizeof(copy->before_sleep));
    copy->pending_writes = NULL;
    copy->loading = 0;
    int rc = rdb_load_from_file(copy, fp, "the MASTER's socket", err, errlen);
    free(copy);
    return rc;
}

/* What is left of the payload after the parser stopped: up to the end of
 * the $<len> bulk, or to the mark (which must be there). */
static int repl_socket_drain(FILE *fp)
{
    char skip[4096];
    while (fread(skip, 1, sizeof(skip), fp) > 0)
        ;
    if (ferror(fp))
        return -1;
    if (L.eof_mode && !L.eof_seen) {
        log_warning("Replication stream EOF marker is broken");
        return -1;
    }
    return 0;
}

/* repl-diskless-load on-empty-db (with no data) or swapdb: the RDB is
 * parsed as it arrives.  With swapdb the dataset we had survives a
 * failure: when the primary continues our own history (the same replid:
 * we only fell too far behind) it is even served while the new one loads,
 * and swapped for it at the end; otherwise it is kept aside while clients
 * get -LOADING, and put back if the load fails. */
static void repl_load_from_socket(server *s)
{
    int swapdb = repl_cfg.diskless_load == REPL_DISKLESS_LOAD_SWAPDB;
    memset(&SL, 0, sizeof(SL));
    SL.active = 1;
    SL.async = swapdb && !memcmp(repl.replid, L.master_replid, 40);
    SL.cn = L.cn;
    SL.rbuf = L.rbuf;
    L.cn = NULL;
    L.rbuf = NULL;
    conn_set_read_handler(SL.cn, NULL); /* the parser reads; the loop must not */
    repl_disconnect_replicas(s);
    int aof_was_on = repl_aof_stop(s);
    keel_db *tmp = swapdb ? repl_tempdb_create(s) : NULL;
    if (tmp && !SL.async)
        repl_tempdb_exchange(s, tmp); /* the old data waits aside */
    else if (!tmp)
        db_flush(s, -1, 0);
    log_notice("MASTER <-> REPLICA sync: Loading DB in memory%s",
               SL.async ? " (serving the old data meanwhile)" : "");
    char err[512] = "";
    int rc = -1;
    cookie_io_functions_t io = {.read = repl_socket_read};
    FILE *fp = fopencookie(s, "r", io);
    if (fp) {
        rc = SL.async ? repl_load_async(s, tmp, fp, err, sizeof(err))
                      : rdb_load_from_file(s, fp, "the MASTER's socket", err, sizeof(err));
        if (rc == 0)
            rc = repl_socket_drain(fp);
        fclose(fp);
    } else {
        snprintf(err, sizeof(err), "fopencookie: %s", strerror(errno));
    }
    if (SL.abort)
        rc = -1;
    if (rc == 0) {
        if (SL.async) {
            log_notice("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
            repl_tempdb_exchange(s, tmp);
        }
        if (tmp) {
            log_notice("MASTER <-> REPLICA sync: Discarding the old data");
            repl_tempdb_free(s, tmp);
        }
    } else {
        if (err[0])
            log_warning("Failed trying to load the MASTER synchronization DB from socket: %s", err);
        if (tmp && !SL.async)
            repl_tempdb_exchange(s, tmp); /* the old data back; tmp has the partial one */
        else if (!tmp)
            db_flush(s, -1, 1); /* never serve half a dataset */
        if (tmp) {
            log_notice("MASTER <-> REPLICA sync: Discarding the half loaded data, the old "
                       "dataset is kept");
            repl_tempdb_free(s, tmp);
        }
    }
    conn *cn = SL.cn;
    buf rest = SL.rbuf;
    int aborted = SL.abort;
    memset(&SL, 0, sizeof(SL));
    if (rc != 0) {
        conn_close(cn);
        buf_free(rest);
        repl_aof_restart(s, aof_was_on);
        /* REPLICAOF meanwhile has set up what comes next already. */
        if (!aborted && repl.master_host)
            repl.link_state = REPL_STATE_CONNECT;
        return;
    }
    L.cn = cn;
    L.rbuf = rest;
    repl_sync_succeeded(s);
    repl_aof_restart(s, aof_was_on);
}

/* The $<len> or $EOF:<mark> line that starts the payload: where it goes
 * depends on repl-diskless-load. */
static void repl_transfer_header(server *s, size_t linelen)
{
    int to_socket =
        repl_cfg.diskless_load == REPL_DISKLESS_LOAD_SWAPDB ||
        (repl_cfg.diskless_load == REPL_DISKLESS_LOAD_ON_EMPTY_DB && repl_dataset_is_empty(s));
    const char *where = to_socket ? "to parser" : "to disk";
    if (linelen >= 5 + REPL_EOFMARK_LEN && !strncmp(L.rbuf, "$EOF:", 5)) {
        L.eof_mode = 1;
        memcpy(L.eofmark, L.rbuf + 5, REPL_EOFMARK_LEN);
        L.transfer_size = 0;
        log_notice("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF %s",
                   where);
    } else {
        L.eof_mode = 0;
        L.transfer_size = strtoll(L.rbuf + 1, NULL, 10);
        log_notice("MASTER <-> REPLICA sync: receiving %lld bytes from master %s", L.transfer_size,
                   where);
    }
    buf_consume(L.rbuf, linelen + 1);
    L.have_header = 1;
    L.eof_seen = 0;
    L.transfer_read = 0;
    L.transfer_start_ms = L.progress_log_ms = s->mstime;
    if (to_socket) {
        repl_load_from_socket(s);
        return;
    }
    snprintf(L.tmppath, sizeof(L.tmppath), "temp-%d.%lld.rdb", (int)getpid(), (long long)s->mstime);
    L.tmp = fopen(L.tmppath, "w");
    if (!L.tmp) {
        repl_link_fail(s, "Opening the temp file needed for MASTER <-> REPLICA "
                          "synchronization failed");
        return;
    }
    repl_transfer_to_disk(s);
}

/* Bytes of the full sync arrived (in rbuf). */
static void repl_transfer_consume(server *s)
{
    if (L.have_header) {
        repl_transfer_to_disk(s);
        return;
    }
    while (buf_len(L.rbuf) && L.rbuf[0] == '\n')
        buf_consume(L.rbuf, 1); /* keep-alives while the primary prepares the RDB */
    char *nl = memchr(L.rbuf, '\n', buf_len(L.rbuf));
    if (!nl)
        return;
    if (L.rbuf[0] == '-') {
        repl_link_fail(s, "error reply instead of the RDB");
        return;
    }
    if (L.rbuf[0] != '$') {
        repl_link_fail(s, "Bad protocol from MASTER, the first byte is not '$'");
        return;
    }
    repl_transfer_header(s, (size_t)(nl - L.rbuf));
}

/* ------------------------------------------------------------ handshake */

static void repl_handshake_send_rest(server *s)
{
    L.nexpect = 0;
    if (repl_cfg.masterauth && repl_cfg.masterauth[0]) {
        if (repl_cfg.masteruser && repl_cfg.masteruser[0])
            REPL_SEND("AUTH", repl_cfg.masteruser, repl_cfg.masterauth);
        else
            REPL_SEND("AUTH", repl_cfg.masterauth);
        L.expect[L.nexpect++] = HS_AUTH;
    }
    /* The port our own clients reach us on: the TLS one when replication
     * runs over TLS (the primary's INFO and sentinels pass it on). */
    int port = repl_cfg.replica_announce_port              ? repl_cfg.replica_announce_port
               : s->cfg.tls_replication && s->cfg.tls_port ? s->cfg.tls_port
                                                           : s->cfg.port;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    REPL_SEND("REPLCONF", "listening-port", portstr);
    L.expect[L.nexpect++] = HS_PORT;
    if (repl_cfg.replica_announce_ip && repl_cfg.replica_announce_ip[0]) {
        REPL_SEND("REPLCONF", "ip-address", repl_cfg.replica_announce_ip);
        L.expect[L.nexpect++] = HS_IP;
    }
    REPL_SEND("REPLCONF", "capa", "eof", "capa", "psync2");
    L.expect[L.nexpect++] = HS_CAPA;
}

static void repl_send_psync(void)
{
    char off[24];
    snprintf(off, sizeof(off), "%lld", repl.master_repl_offset + 1);
    log_notice("Trying a partial resynchronization (request %s:%s).", repl.replid, off);
    REPL_SEND("PSYNC", repl.replid, off);
    L.expect[0] = HS_PSYNC;
    L.nexpect = 1;
}

static void repl_handle_psync_reply(server *s, const char *line)
{
    if (!strncmp(line, "+FULLRESYNC", 11)) {
        const char *p = line + 12;
        if (strlen(line) < 12 + 40) {
            repl_link_fail(s, "bad +FULLRESYNC reply");
            return;
        }
        memcpy(L.master_replid, p, 40);
        L.master_replid[40] = '\0';
        L.initial_offset = strtoll(p + 40, NULL, 10);
        log_notice("Full resync from master: %s:%lld", L.master_replid, L.initial_offset);
        log_notice("MASTER <-> REPLICA sync started");
        repl.link_state = REPL_STATE_TRANSFER;
        L.have_header = 0;
        L.transfer_size = -1;
        L.transfer_read = 0;
        L.transfer_start_ms = s->mstime;
        return;
    }
    if (!strncmp(line, "+CONTINUE", 9)) {
        const char *p = line + 9;
        while (*p == ' ')
            p++;
        log_notice("Successful partial resynchronization with master.");
        if (strlen(p) >= 40 && memcmp(p, repl.replid, 40) != 0) {
            /* The primary's history has a new id (it was promoted): ours
             * follows, and our replicas must learn it. */
            memcpy(repl.replid2, repl.replid, 41);
            repl.second_replid_offset = repl.master_repl_offset + 1;
            memcpy(repl.replid, p, 40);
            repl.replid[40] = '\0';
            log_notice("Master replication ID changed to %s", repl.replid);
            repl_disconnect_replicas(s);
        }
        if (!repl.backlog)
            repl_backlog_create();
        log_notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        repl_link_to_master_client(s);
        return;
    }
    char why[256];
    snprintf(why, sizeof(why), "Unexpected reply to PSYNC from master: %.200s", line);
    repl_link_fail(s, why);
}

/* One line of the handshake. */
static void repl_handle_line(server *s, const char *line)
{
    if (L.nexpect == 0) { /* the PING */
        if (line[0] == '-' && strncmp(line, "-NOAUTH", 7) && strncmp(line, "-NOPERM", 7) &&
            strncmp(line, "-ERR operation not permitted", 28)) {
            char why[256];
            snprintf(why, sizeof(why), "Error reply to PING from master: '%.200s'", line);
            repl_link_fail(s, why);
            return;
        }
        log_notice("Master replied to PING, replication can continue...");
        repl_handshake_send_rest(s);
        return;
    }
    int what = L.expect[0];
    memmove(L.expect, L.expect + 1, sizeof(L.expect[0]) * (size_t)(L.nexpect - 1));
    L.nexpect--;
    if (what == HS_PSYNC) {
        repl_handle_psync_reply(s, line);
        return;
    }
    if (what == HS_AUTH && line[0] == '-') {
        char why[256];
        snprintf(why, sizeof(why), "Unable to AUTH to MASTER: %.200s", line);
        repl_link_fail(s, why);
        return;
    }
    if (line[0] == '-')
        log_notice("(Non critical) Master does not understand REPLCONF: %s", line);
    if (L.nexpect == 0)
        repl_send_psync();
}

static void repl_link_on_readable(conn *cn)
{
    server *s = conn_get_private(cn);
    char chunk[16 * 1024];
    ssize_t n = conn_read(cn, chunk, sizeof(chunk));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        repl_link_fail(s, n == 0 ? "connection lost" : conn_last_error(cn));
        return;
    }
    server_update_time(s);
    repl_count_input(s, (size_t)n);
    L.rbuf = buf_cat(L.rbuf ? L.rbuf : buf_empty(), chunk, (size_t)n);
    while (L.cn == cn && L.rbuf) {
        if (repl.link_state == REPL_STATE_TRANSFER) {
            repl_transfer_consume(s);
            return;
        }
        /* The handshake: one reply line at a time (a "\n" alone is a
         * keep-alive). */
        char *nl = memchr(L.rbuf, '\n', buf_len(L.rbuf));
        if (!nl)
            return;
        size_t len = (size_t)(nl - L.rbuf);
        buf line = buf_new(L.rbuf, len && L.rbuf[len - 1] == '\r' ? len - 1 : len);
        buf_consume(L.rbuf, len + 1);
        if (buf_len(line))
            repl_handle_line(s, line);
        buf_free(line);
    }
}

static void repl_link_on_connect(conn *cn)
{
    server *s = conn_get_private(cn);
    if (conn_state(cn) != CONN_STATE_CONNECTED) {
        char why[300];
        snprintf(why, sizeof(why), "Error condition on socket for SYNC: %s", conn_last_error(cn));
        repl_link_fail(s, why);
        return;
    }
    log_notice("Non blocking connect for SYNC fired the event.");
    repl.link_state = REPL_STATE_HANDSHAKE;
    L.last_io_ms = s->mstime;
    L.nexpect = 0;
    conn_set_read_handler(cn, repl_link_on_readable);
    REPL_SEND("PING");
}

/* A plain TCP connection, or with tls-replication a TLS one (the
 * primary's tls-port), handshake included. */
static conn *repl_link_open(server *s)
{
    if (!s->cfg.tls_replication)
        return conn_connect(s->loop, repl.master_host, repl.master_port, NULL,
                            repl_link_on_connect);
    if (!s->tls_ctx) {
        log_warning("tls-replication is yes but TLS is not configured (tls-cert-file, "
                    "tls-key-file, tls-ca-cert-file)");
        errno = EINVAL;
        return NULL;
    }
    double timeout = repl_cfg.timeout > 0 ? repl_cfg.timeout : 60;
    return tls_conn_connect(s->tls_ctx, s->loop, repl.master_host, repl.master_port, NULL, NULL,
                            timeout, repl_link_on_connect);
}

static void repl_link_connect(server *s)
{
    L.last_connect_ms = s->mstime;
    if (SL.active) {
        /* REPLICAOF while a load from the socket stops: connect after it. */
        repl.link_state = REPL_STATE_CONNECT;
        return;
    }
    log_notice("Connecting to MASTER %s:%d%s", repl.master_host, repl.master_port,
               s->cfg.tls_replication ? " over TLS" : "");
    L.cn = repl_link_open(s);
    if (!L.cn) {
        log_warning("Unable to connect to MASTER: %s", strerror(errno));
        return;
    }
    conn_set_private(L.cn, s);
    repl.link_state = REPL_STATE_CONNECTING;
    L.last_io_ms = s->mstime;
    log_notice("MASTER <-> REPLICA sync started");
}

void repl_master_lost(server *s)
{
    if (repl.master)
        L.master_db = repl.master->db ? repl.master->db->id : 0;
    repl.master = NULL;
    repl.link_down_since_ms = s->mstime;
    if (repl.master_host) {
        log_notice("Connection with master lost.");
        repl.link_state = REPL_STATE_CONNECT;
    }
}

/* Once a second: connect, time out a silent link, ACK the offset.  A
 * load from the socket watches its own link. */
void repl_replica_cron(server *s)
{
    if (!repl.master_host || SL.active)
        return;
    int64_t timeout_ms = (repl_cfg.timeout > 0 ? repl_cfg.timeout : 60) * 1000LL;
    if ((repl.link_state == REPL_STATE_CONNECTING || repl.link_state == REPL_STATE_HANDSHAKE ||
         repl.link_state == REPL_STATE_TRANSFER) &&
        s->mstime - L.last_io_ms > timeout_ms)
        repl_link_fail(s, "Timeout connecting to (or receiving from) the MASTER...");
    if (repl.master && s->mstime - repl.master->last_interaction_ms > timeout_ms) {
        log_warning("MASTER timeout: no data nor PING received...");
        client_free_async(repl.master);
    }
    if (repl.master)
        repl_send_ack(s);
}

/* The 100 ms tick: reconnect promptly. */
void repl_replica_tick(server *s)
{
    /* At most one attempt a second while the primary is unreachable. */
    if (repl.master_host && repl.link_state == REPL_STATE_CONNECT && !L.cn &&
        s->mstime - L.last_connect_ms >= 1000)
        repl_link_connect(s);
}

void replication_master_applied(client *c, const char *p, size_t len)
{
    server *s = c->srv;
    repl.master_last_io_ms = s->mstime;
    repl.net_input_bytes += (long long)len;
    repl_feed_bytes(s, p, len); /* offset, backlog, our own replicas */
}

/* ---------------------------------------------------------- REPLICAOF */

static void repl_set_master(server *s, const char *host, int port)
{
    int was_master = !repl.master_host;
    log_set_role('S');
    free(repl.master_host);
    repl.master_host = strdup(host);
    repl.master_port = port;
    if (repl.master) {
        client *m = repl.master;
        repl.master = NULL;
        L.master_db = m->db ? m->db->id : 0;
        client_free_async(m);
    }
    repl_link_cancel(s);
    if (was_master) {
        /* Our own history is what we ask to continue from. */
        L.master_db = 0;
        repl.seldb = -1;
    }
    repl.link_state = REPL_STATE_CONNECT;
    repl.link_down_since_ms = s->mstime;
    repl_link_connect(s);
}

static void repl_unset_master(server *s)
{
    if (!repl.master_host)
        return;
    free(repl.master_host);
    repl.master_host = NULL;
    repl.link_state = REPL_STATE_NONE;
    log_set_role('M');
    if (repl.master) {
        client *m = repl.master;
        repl.master = NULL;
        client_free_async(m);
    }
    repl_link_cancel(s);
    /* A new history, continuing the old one: replicas that followed our
     * primary can continue from us (PSYNC2); they reconnect to learn it. */
    repl_shift_replid();
    repl_disconnect_replicas(s);
    repl.seldb = -1;
    if (!repl.backlog)
        repl_backlog_create();
    log_notice("MASTER MODE enabled");
}

void replicaof_command(client *c)
{
    server *s = c->srv;
    if (arg_is(&c->argv[1], "no") && arg_is(&c->argv[2], "one")) {
        if (repl.master_host) {
            repl_unset_master(s);
            log_notice("MASTER MODE enabled (user request from 'id=%llu addr=%s')",
                       (unsigned long long)c->id, c->peer);
        }
        reply_ok(c);
        return;
    }
    if (c->flags & CLIENT_REPLICA) {
        reply_error(c, "ERR Command is not valid when client is a replica.");
        return;
    }
    long long port;
    if (!arg_get_ll_range(c, &c->argv[2], 0, 65535, &port, "ERR Invalid master port"))
        return;
    char host[256];
    size_t hl = c->argv[1].len < sizeof(host) - 1 ? c->argv[1].len : sizeof(host) - 1;
    memcpy(host, c->argv[1].ptr, hl);
    host[hl] = '\0';
    if (repl.master_host && !strcasecmp(repl.master_host, host) && repl.master_port == port) {
        log_notice("REPLICAOF would result into synchronization with the master we are already "
                   "connected with. No operation performed.");
        reply_simple(c, "OK Already connected to specified master");
        return;
    }
    repl_set_master(s, host, (int)port);
    log_notice("REPLICAOF %s:%d enabled (user request from 'id=%llu addr=%s')", host, (int)port,
               (unsigned long long)c->id, c->peer);
    reply_ok(c);
}

/* command_call, while a full sync loads from the socket: SHUTDOWN will
 * end the process once it has prepared (repl_load_check_shutdown). */
void repl_replica_command_seen(const command *cmd)
{
    if (SL.active && !strcmp(cmd->fullname, "shutdown"))
        SL.shutdown_seen = 1;
}

/* ------------------------------------------------------------- start-up */

void replication_init(server *s)
{
    repl_primary_init(s);
    if (repl_cfg.replicaof_host) {
        log_set_role('S');
        repl.master_host = strdup(repl_cfg.replicaof_host);
        repl.master_port = repl_cfg.replicaof_port;
        repl.link_state = REPL_STATE_CONNECT;
        repl.link_down_since_ms = s->mstime;
        repl_link_connect(s);
    }
}

/* ------------------------------------------------------------------ INFO */

buf replication_info(server *s, buf out)
{
    if (repl.master_host) {
        int up = repl.link_state == REPL_STATE_CONNECTED;
        long long last_io =
            repl.master ? (s->mstime - repl.master->last_interaction_ms) / 1000 : -1LL;
        long long pending = repl.master ? (long long)buf_len(repl.master->querybuf) : 0;
        out = buf_cat_printf(out,
                             "role:slave\r\n"
                             "master_host:%s\r\n"
                             "master_port:%d\r\n"
                             "master_link_status:%s\r\n"
                             "master_last_io_seconds_ago:%lld\r\n"
                             "master_sync_in_progress:%d\r\n"
                             "slave_read_repl_offset:%lld\r\n"
                             "slave_repl_offset:%lld\r\n",
                             repl.master_host, repl.master_port, up ? "up" : "down", last_io,
                             repl.link_state == REPL_STATE_TRANSFER,
                             repl.master_repl_offset + pending, repl.master_repl_offset);
        if (repl.link_state == REPL_STATE_TRANSFER) {
            /* As Redis: the total is -1 until the payload's header, 0 for
             * a diskless ($EOF:) payload of unknown length. */
            double perc =
                L.transfer_size > 0 ? 100.0 * (double)L.transfer_read / (double)L.transfer_size : 0;
            out =
                buf_cat_printf(out,
                               "master_sync_total_bytes:%lld\r\n"
                               "master_sync_read_bytes:%lld\r\n"
                               "master_sync_left_bytes:%lld\r\n"
                               "master_sync_perc:%.2f\r\n"
                               "master_sync_last_io_seconds_ago:%lld\r\n",
                               L.transfer_size, L.transfer_read, L.transfer_size - L.transfer_read,
                               perc, (long long)(s->mstime - L.last_io_ms) / 1000);
        }
        if (!up)
            out = buf_cat_printf(out, "master_link_down_since_seconds:%lld\r\n",
                                 (long long)(s->mstime - repl.link_down_since_ms) / 1000);
        out = buf_cat_printf(out,
                             "slave_priority:%d\r\n"
                             "slave_read_only:%d\r\n"
                             "replica_announced:%d\r\n",
                             repl_cfg.replica_priority, repl_cfg.replica_read_only,
                             repl_cfg.replica_announced);
    } else {
        out = buf_cat(out, "role:master\r\n", 13);
    }
    out = repl_primary_info(s, out);
    if (repl_cfg.min_replicas_to_write && repl_cfg.min_replicas_max_lag)
        out = buf_cat_printf(out, "min_slaves_good_slaves:%d\r\n", repl.good_replicas);
    return buf_cat_printf(out,
                          "master_failover_state:no-failover\r\n"
                          "master_replid:%s\r\n"
                          "master_replid2:%s\r\n"
                          "master_repl_offset:%lld\r\n"
                          "second_repl_offset:%lld\r\n"
                          "repl_backlog_active:%d\r\n"
                          "repl_backlog_size:%lld\r\n"
                          "repl_backlog_first_byte_offset:%lld\r\n"
                          "repl_backlog_histlen:%lld\r\n",
                          repl.replid, repl.replid2, repl.master_repl_offset,
                          repl.second_replid_offset, repl.backlog != NULL,
                          repl.backlog ? repl.backlog_size : repl_cfg.backlog_size,
                          repl.backlog ? repl.backlog_off : 0, repl.backlog_histlen);
}
