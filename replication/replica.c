/* replica: the receiving side of replication.  Owns REPLICAOF/SLAVEOF,
 * the link to the primary (a non-blocking conn with its own handshake
 * parser: PING, AUTH, REPLCONF listening-port/ip-address/capa, PSYNC),
 * receiving the RDB of a full sync ($<len> or diskless $EOF:<mark>) into a
 * temporary file and loading it, and then turning the link into the
 * "master client": an ordinary client whose commands run through
 * command_call with replies suppressed, counting the offset and
 * forwarding the same bytes to this server's own replicas (chaining). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rdb.h"
#include "replication.h"

enum { HS_PONG, HS_AUTH, HS_PORT, HS_IP, HS_CAPA, HS_PSYNC };

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
    char eofmark[41];
    long long transfer_size, transfer_read;
    FILE *tmp;
    char tmppath[512];
    int64_t transfer_start_ms;
    int master_db; /* the master client's database across reconnects */
} L;

int repl_is_replica(void)
{
    return repl.master_host != NULL;
}

int replication_is_replica(const server *s)
{
    (void)s;
    return repl.master_host != NULL;
}

/* ------------------------------------------------------------- the link */

static void repl_link_cancel(server *s)
{
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

static void repl_finish_full_sync(server *s)
{
    fclose(L.tmp);
    L.tmp = NULL;
    conn_set_read_handler(L.cn, NULL); /* the loader runs the loop: no stream meanwhile */
    log_notice("MASTER <-> REPLICA sync: Flushing old data");
    /* Our replicas' data is about to change under them: they resync. */
    repl_disconnect_replicas(s);
    db_flush(s, -1, 0);
    log_notice("MASTER <-> REPLICA sync: Loading DB in memory");
    char err[512];
    int missing = 0;
    int rc = rdb_load(s, L.tmppath, &missing, err, sizeof(err));
    unlink(L.tmppath);
    if (rc != 0 || missing) {
        log_warning("Failed trying to load the MASTER synchronization DB from disk: %s",
                    missing ? "file missing" : err);
        repl_link_fail(s, "loading failed");
        return;
    }
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

/* Bytes of the RDB payload (in rbuf) go to the temporary file. */
static void repl_transfer_consume(server *s)
{
    if (!L.have_header) {
        while (buf_len(L.rbuf) && L.rbuf[0] == '\n')
            buf_consume(L.rbuf, 1); /* keep-alives while the primary prepares the RDB */
        char *nl = memchr(L.rbuf, '\n', buf_len(L.rbuf));
        if (!nl)
            return;
        size_t linelen = (size_t)(nl - L.rbuf);
        if (L.rbuf[0] == '-') {
            repl_link_fail(s, "error reply instead of the RDB");
            return;
        }
        if (L.rbuf[0] != '$') {
            repl_link_fail(s, "Bad protocol from MASTER, the first byte is not '$'");
            return;
        }
        if (linelen >= 5 + 40 && !strncmp(L.rbuf, "$EOF:", 5)) {
            L.eof_mode = 1;
            memcpy(L.eofmark, L.rbuf + 5, 40);
            L.transfer_size = -1;
            log_notice("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to "
                       "disk");
        } else {
            L.eof_mode = 0;
            L.transfer_size = strtoll(L.rbuf + 1, NULL, 10);
            log_notice("MASTER <-> REPLICA sync: receiving %lld bytes from master to disk",
                       L.transfer_size);
        }
        buf_consume(L.rbuf, linelen + 1);
        L.have_header = 1;
        L.transfer_read = 0;
        snprintf(L.tmppath, sizeof(L.tmppath), "temp-%d.%lld.rdb", (int)getpid(),
                 (long long)s->mstime);
        L.tmp = fopen(L.tmppath, "w");
        if (!L.tmp) {
            repl_link_fail(s, "Opening the temp file needed for MASTER <-> REPLICA "
                              "synchronization failed");
            return;
        }
    }
    size_t have = buf_len(L.rbuf);
    if (L.eof_mode) {
        /* Everything but the last 40 bytes is payload; the mark ends it. */
        if (have > 40) {
            size_t n = have - 40;
            if (fwrite(L.rbuf, 1, n, L.tmp) != n) {
                repl_link_fail(s, "Write error writing to the temp file");
                return;
            }
            L.transfer_read += (long long)n;
            buf_consume(L.rbuf, n);
        }
        if (buf_len(L.rbuf) == 40 && !memcmp(L.rbuf, L.eofmark, 40)) {
            buf_clear(L.rbuf);
            repl_finish_full_sync(s);
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
    if (L.transfer_read == L.transfer_size)
        repl_finish_full_sync(s); /* what is left in rbuf is the stream */
}

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
    char port[16];
    snprintf(port, sizeof(port), "%d",
             repl_cfg.replica_announce_port ? repl_cfg.replica_announce_port : s->cfg.port);
    REPL_SEND("REPLCONF", "listening-port", port);
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
    L.last_io_ms = s->mstime;
    L.rbuf = buf_cat(L.rbuf ? L.rbuf : buf_empty(), chunk, (size_t)n);
    while (L.cn && L.rbuf) {
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

static void repl_link_connect(server *s)
{
    L.last_connect_ms = s->mstime;
    log_notice("Connecting to MASTER %s:%d", repl.master_host, repl.master_port);
    L.cn = conn_connect(s->loop, repl.master_host, repl.master_port, NULL, repl_link_on_connect);
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

/* Once a second: connect, time out a silent link, ACK the offset. */
void repl_replica_cron(server *s)
{
    if (!repl.master_host)
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
    if (repl.master_host && repl.link_state == REPL_STATE_CONNECT &&
        s->mstime - L.last_connect_ms >= 1000)
        repl_link_connect(s);
}

void replication_master_applied(client *c, const char *p, size_t len)
{
    server *s = c->srv;
    repl.master_last_io_ms = s->mstime;
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
        long long last_io = repl.master ? (s->mstime - repl.master->last_interaction_ms) / 1000
                                        : (s->mstime - L.last_io_ms) / 1000;
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
                             repl.master_host, repl.master_port, up ? "up" : "down",
                             up || repl.link_state == REPL_STATE_TRANSFER ? last_io : -1LL,
                             repl.link_state == REPL_STATE_TRANSFER,
                             repl.master_repl_offset + pending, repl.master_repl_offset);
        if (repl.link_state == REPL_STATE_TRANSFER)
            out = buf_cat_printf(out,
                                 "master_sync_total_bytes:%lld\r\n"
                                 "master_sync_read_bytes:%lld\r\n"
                                 "master_sync_left_bytes:%lld\r\n"
                                 "master_sync_perc:0.00\r\n"
                                 "master_sync_last_io_seconds_ago:%lld\r\n",
                                 L.transfer_size, L.transfer_read,
                                 L.transfer_size > 0 ? L.transfer_size - L.transfer_read : -1,
                                 (long long)(s->mstime - L.last_io_ms) / 1000);
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
