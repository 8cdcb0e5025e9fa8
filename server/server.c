/* server: the life of keel-server's process.  Sets up the event loop,
 * listening sockets and databases, accepts clients (enforcing maxclients
 * and protected mode), runs the cron (active expiry, idle clients,
 * incremental rehashing, metrics) and the before-sleep step (flush replies),
 * and shuts down cleanly on SHUTDOWN, SIGTERM or SIGINT. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "server.h"
#include "acl.h"
#include "persist.h"
#include "aof.h"
#include "pause.h"

static const char protected_mode_message[] =
    "-DENIED Keel is running in protected mode because protected mode is enabled and no password "
    "is set for the default user. In this mode connections are only accepted from the loopback "
    "interface. If you want to connect from external computers to Keel you may adopt one of the "
    "following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
    "protected-mode no' from the loopback interface by connecting to Keel from the same host the "
    "server is running, however MAKE SURE Keel is not publicly accessible from internet if you do "
    "so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable "
    "the protected mode by editing the Keel configuration file, and setting the protected mode "
    "option to 'no', and then restarting the server. 3) If you started the server manually just "
    "for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication "
    "password for the default user. NOTE: You only need to do one of the above things in order "
    "for the server to start accepting connections from the outside.\r\n";

void server_update_time(server *s)
{
    s->mstime = util_mstime();
}

/* ------------------------------------------------------------------ accept */

static void server_reject(int fd, const char *msg)
{
    /* Best effort: the client may already be gone. */
    ssize_t n = write(fd, msg, strlen(msg));
    (void)n;
    close(fd);
}

static void server_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    server *s = w->data;
    for (int i = 0; i < 1000; i++) {
        int fd = conn_accept_tcp(w->fd);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_warning("Accepting client connection: %s", strerror(errno));
            return;
        }
        s->stats.numconnections++;
        if (s->client_count >= (unsigned long)s->cfg.maxclients) {
            s->stats.rejected_conn++;
            server_reject(fd, "-ERR max number of clients reached\r\n");
            continue;
        }
        server_accept_conn(s, conn_create_accepted(loop, fd));
    }
}

void server_accept_conn(server *s, conn *cn)
{
    /* As Redis: protected while the default user needs no password. */
    const acl_user *def = acl_default_user();
    if (s->cfg.protected_mode && (!def || (def->flags & ACL_USER_NOPASS)) &&
        !conn_is_loopback_peer(cn)) {
        s->stats.rejected_conn++;
        ssize_t n = conn_write(cn, protected_mode_message, sizeof(protected_mode_message) - 1);
        (void)n;
        conn_close(cn);
        return;
    }
    client *c = client_create(s, cn);
    log_verbose("Accepted %s", c->peer);
}

int server_listen(server *s)
{
    char err[256];
    s->listen_count = 0;
    if (s->cfg.port == 0)
        return 0;
    for (int i = 0; i < s->cfg.bind_count; i++) {
        const char *addr = s->cfg.bind[i];
        int optional = addr[0] == '-';
        int fd = conn_listen_tcp(addr, s->cfg.port, s->cfg.tcp_backlog, err, sizeof(err));
        if (fd < 0) {
            if (optional) {
                log_verbose("Optional bind address %s is not available: %s", addr + 1, err);
                continue;
            }
            log_warning("Warning: Could not create server TCP listening socket %s:%d: %s", addr,
                        s->cfg.port, err);
            return -1;
        }
        ev_io *w = &s->listen_watchers[s->listen_count];
        ev_io_init(w, server_on_accept, fd, EV_READ);
        w->data = s;
        ev_io_start(s->loop, w);
        s->listen_fds[s->listen_count++] = fd;
    }
    if (s->listen_count == 0) {
        log_warning("Configured to not listen anywhere, exiting.");
        return -1;
    }
    return 0;
}

static void server_close_listeners(server *s)
{
    for (int i = 0; i < s->listen_count; i++) {
        ev_io_stop(s->loop, &s->listen_watchers[i]);
        close(s->listen_fds[i]);
    }
    s->listen_count = 0;
    server_tls_close_listeners(s);
}

/* -------------------------------------------------------------------- cron */

#define METRIC_SAMPLES 16
#define METRIC_COUNT 3

static struct {
    int64_t last_ms;
    long long last_value[METRIC_COUNT];
    long long samples[METRIC_COUNT][METRIC_SAMPLES];
    int idx;
} metrics;

static void metrics_track(server *s)
{
    int64_t now = s->mstime;
    if (now - metrics.last_ms < 100)
        return;
    long long values[METRIC_COUNT] = {s->stats.numcommands, s->stats.net_input_bytes,
                                      s->stats.net_output_bytes};
    int64_t elapsed = now - metrics.last_ms;
    for (int m = 0; m < METRIC_COUNT; m++) {
        long long delta = values[m] - metrics.last_value[m];
        metrics.samples[m][metrics.idx] =
            metrics.last_ms ? delta * 1000 / (elapsed ? elapsed : 1) : 0;
        metrics.last_value[m] = values[m];
    }
    metrics.idx = (metrics.idx + 1) % METRIC_SAMPLES;
    metrics.last_ms = now;
}

/* Average per second over the last 1.6 s (16 samples of 100 ms). */
long long server_metric_per_sec(int which)
{
    long long sum = 0;
    for (int i = 0; i < METRIC_SAMPLES; i++)
        sum += metrics.samples[which][i];
    return sum / METRIC_SAMPLES;
}

static void server_close_idle_clients(server *s)
{
    if (s->cfg.timeout <= 0)
        return;
    int64_t limit = (int64_t)s->cfg.timeout * 1000;
    for (client *c = s->clients, *next; c; c = next) {
        next = c->next;
        if (c->flags & (CLIENT_REPLICA | CLIENT_MASTER))
            continue; /* replication links have repl-timeout */
        if (s->mstime - c->last_interaction_ms > limit) {
            log_verbose("Closing idle client id=%llu addr=%s", (unsigned long long)c->id, c->peer);
            client_free(c);
        }
    }
}

static void server_rehash_step(server *s)
{
    /* Not while a fork()ed child shares our memory: moving entries would
     * copy the pages they live on (persist.h). */
    if (s->child_type != 0)
        return;
    /* At most 1 ms per cron tick, spread over the databases that need it. */
    for (int i = 0; i < s->cfg.databases; i++) {
        if (dict_is_rehashing(s->db[i].keys)) {
            dict_rehash_ms(s->db[i].keys, 1);
            return;
        }
        if (dict_is_rehashing(s->db[i].expires)) {
            dict_rehash_ms(s->db[i].expires, 1);
            return;
        }
    }
}

static void server_cron(struct ev_loop *loop, ev_timer *w, int revents)
{
    server *s = w->data;
    server_update_time(s);
    obj_update_lru_clock(s->mstime);
    s->cronloops++;
    if (s->shutdown_asap) {
        if (server_prepare_shutdown(s, 0) == 0) {
            ev_break(loop, EVBREAK_ALL);
            return;
        }
        log_warning("SIGTERM received but errors trying to shut down the server, check the logs "
                    "for more information");
        s->shutdown_asap = 0;
    }
    metrics_track(s);
    info_track_peak_memory();
    if (!pause_in_effect()) /* CLIENT PAUSE, the stall fence: the dataset stays still */
        db_active_expire_cycle(s, 0);
    server_rehash_step(s);
    persist_cron(s); /* save points, scheduled BGSAVE */
    aof_cron(s);     /* scheduled and automatic rewrites, write retries */
    int per_second = s->cfg.hz > 0 ? s->cfg.hz : 10;
    if (s->cronloops % per_second == 0)
        server_close_idle_clients(s);
    /* hz may change at run time (CONFIG SET hz). */
    double period = 1.0 / per_second;
    if (w->repeat != period) {
        w->repeat = period;
        ev_timer_again(loop, w);
    }
}

static void server_before_sleep(struct ev_loop *loop, ev_prepare *w, int revents)
{
    server *s = w->data;
    server_update_time(s);
    obj_update_lru_clock(s->mstime);
    pause_before_sleep(s); /* commands held by a pause that ended run now, in order */
    if (!pause_in_effect())
        db_active_expire_cycle(s, 1);
    blocking_handle_ready_keys(s);
    blocking_process_unblocked(s);
    aof_flush(s, 0); /* before any reply of this iteration leaves */
    client_flush_pending(s);
}

static void server_on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    server *s = w->data;
    const char *name = w->signum == SIGINT ? "SIGINT" : "SIGTERM";
    if (s->shutdown_asap && w->signum == SIGINT) {
        log_warning("You insist... exiting now.");
        exit(1);
    }
    log_warning("Received %s scheduling shutdown...", name);
    s->shutdown_asap = 1;
}

/* ---------------------------------------------------------------- lifetime */

/* INFO errorstats: error code (a buf) -> count in v.s64. */
static uint64_t error_hash(const void *k)
{
    return dict_hash_bytes(k, buf_len((const buf)k));
}
static int error_equal(const void *a, const void *b)
{
    return buf_cmp((const buf)a, (const buf)b) == 0;
}
static void error_free(void *k)
{
    buf_free(k);
}
static const dict_type error_dict_type = {error_hash, error_equal, error_free, NULL};

static dict *server_errors_dict_create(void)
{
    return dict_create(&error_dict_type);
}

int server_init(server *s)
{
    signal(SIGPIPE, SIG_IGN);
    s->loop = ev_default_loop(EVFLAG_AUTO);
    if (!s->loop) {
        log_warning("Could not start the event loop");
        return -1;
    }
    uint8_t seed[16];
    util_random_bytes(seed, sizeof(seed));
    dict_set_hash_seed(seed);
    util_random_hex(s->runid, 40);
    server_update_time(s);
    obj_update_lru_clock(s->mstime);
    s->start_time_ms = s->mstime;

    db_init_all(s);
    commands_init(s);
    char acl_err[1024];
    if (acl_init(s, acl_err, sizeof(acl_err)) != 0) { /* acl.c: users, requirepass, aclfile */
        log_warning("%s", acl_err);
        return -1;
    }
    s->errors = server_errors_dict_create();
    pause_init(s); /* the stall check, the pause and fence timers */

    ev_timer_init(&s->cron, server_cron, 0.001, 1.0 / (s->cfg.hz > 0 ? s->cfg.hz : 10));
    s->cron.data = s;
    ev_timer_start(s->loop, &s->cron);
    ev_prepare_init(&s->before_sleep, server_before_sleep);
    s->before_sleep.data = s;
    ev_prepare_start(s->loop, &s->before_sleep);
    ev_signal_init(&s->sig_term, server_on_signal, SIGTERM);
    s->sig_term.data = s;
    ev_signal_start(s->loop, &s->sig_term);
    ev_signal_init(&s->sig_int, server_on_signal, SIGINT);
    s->sig_int.data = s;
    ev_signal_start(s->loop, &s->sig_int);
    return 0;
}

/* Everything that must happen before the process exits: save (persist.h:
 * when save points are set, unless SHUTDOWN_NOSAVE; always with
 * SHUTDOWN_SAVE), stop accepting, flush what clients are owed, remove the
 * pid file.  Refused (-1) when the save fails without SHUTDOWN_FORCE. */
int server_prepare_shutdown(server *s, int flags)
{
    log_warning("User requested shutdown...");
    aof_shutdown(s); /* stop a rewrite; write and fsync what is buffered */
    if (persist_prepare_shutdown(s, flags) != 0)
        return -1;
    server_close_listeners(s);
    client_flush_pending(s);
    if (s->cfg.pidfile && s->cfg.pidfile[0])
        unlink(s->cfg.pidfile);
    log_warning("Keel is now ready to exit, bye bye...");
    return 0;
}

void server_run(server *s)
{
    ev_run(s->loop, 0);
}

void server_free(server *s)
{
    lazyfree_drain();
    while (s->clients)
        client_free(s->clients);
    server_close_listeners(s);
    server_tls_free(s);
    db_free_all(s);
    if (s->commands)
        dict_release(s->commands);
    if (s->errors)
        dict_release(s->errors);
    s->commands = s->errors = NULL;
    config_free(&s->cfg);
}
