/* main: keel-sentinel's entry point and the life of its process.
 *
 *   keel-sentinel <config-file> [--option value ...]
 *
 * Reads the configuration (config.c; the file is mandatory and must be
 * writable, since it is where the sentinel keeps its state), daemonizes if
 * asked, opens the listeners (plain on `port`, TLS on `tls-port`, on every
 * `bind` address), writes the pid file, persists a newly generated ID, and
 * runs the event loop.  SIGTERM, SIGINT and the SHUTDOWN command end it in
 * order (sentinel_shutdown, which the SHUTDOWN command calls too: log, stop
 * listening, close the clients, rewrite the config file, remove the pid
 * file, exit(0)). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "log.h"
#include "sentinel.h"
#include "util.h"

#ifndef KEEL_VERSION
#define KEEL_VERSION "7.0.15" /* the Redis version whose contract we speak */
#endif
#ifndef KEEL_OWN_VERSION
#define KEEL_OWN_VERSION "0.1.0"
#endif

#define MAIN_TCP_BACKLOG 511
#define MAIN_LISTEN_MAX 16 /* per port: as many as bind addresses */

/* config.c: `daemonize`, which only this file reads. */
extern int sentinel_config_daemonize;

/* With no `bind`: every IPv4 address, and every IPv6 one if the host has
 * IPv6 (the leading '-' makes it optional), as keel-server does. */
static const char *const main_default_bind[] = {"*", "-::*"};

typedef struct main_listener {
    ev_io w;
    int tls;
} main_listener;

static main_listener main_listeners[2 * MAIN_LISTEN_MAX];
static int main_nlisteners;
static ev_signal main_sig_term, main_sig_int;

static void main_usage(void)
{
    fprintf(stderr, "Usage: ./keel-sentinel /path/to/sentinel.conf [options]\n"
                    "       ./keel-sentinel -v or --version\n"
                    "       ./keel-sentinel -h or --help\n\n"
                    "The config file is required and must be writable: keel-sentinel\n"
                    "records what it learns there (its ID, epochs, replicas, sentinels).\n\n"
                    "Examples:\n"
                    "       ./keel-sentinel /etc/keel/sentinel.conf\n"
                    "       ./keel-sentinel /etc/keel/sentinel.conf --port 26380\n"
                    "       ./keel-sentinel sentinel.conf --loglevel verbose\n");
}

static void main_daemonize(void)
{
    if (fork() != 0)
        exit(0); /* the parent exits; the child carries on */
    setsid();
    int fd = open("/dev/null", O_RDWR, 0);
    if (fd != -1) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
}

static void main_write_pidfile(const char *path)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        log_warning("Failed to write PID file %s: %s", path, strerror(errno));
        return;
    }
    fprintf(fp, "%d\n", (int)getpid());
    fclose(fp);
}

/* ------------------------------------------------------------ listening */

static void main_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    const main_listener *l = (const main_listener *)w;
    for (int i = 0; i < 1000; i++) {
        int fd = conn_accept_tcp(w->fd);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_warning("Accepting client connection: %s", strerror(errno));
            return;
        }
        client_accept(fd, l->tls);
    }
}

/* Listen on every bind address at port.  Returns how many sockets were
 * opened, or -1 if a required address failed. */
static int main_listen_port(int port, int tls)
{
    const char *const *addrs = (const char *const *)sentinel.bind;
    int naddrs = sentinel.nbind;
    if (naddrs == 0) {
        addrs = main_default_bind;
        naddrs = 2;
    }
    int opened = 0;
    char err[256];
    for (int i = 0; i < naddrs && i < MAIN_LISTEN_MAX; i++) {
        const char *addr = addrs[i];
        int fd = conn_listen_tcp(addr, port, MAIN_TCP_BACKLOG, err, sizeof(err));
        if (fd < 0) {
            if (addr[0] == '-') {
                log_verbose("Optional bind address %s is not available: %s", addr + 1, err);
                continue;
            }
            log_warning("Warning: Could not create server %s listening socket %s:%d: %s",
                        tls ? "TLS" : "TCP", addr, port, err);
            return -1;
        }
        main_listener *l = &main_listeners[main_nlisteners++];
        l->tls = tls;
        ev_io_init(&l->w, main_on_accept, fd, EV_READ);
        ev_io_start(sentinel.loop, &l->w);
        opened++;
    }
    return opened;
}

static int main_listen(void)
{
    int n = 0;
    if (sentinel.port) {
        int r = main_listen_port(sentinel.port, 0);
        if (r < 0)
            return -1;
        n += r;
    }
    if (sentinel.tls_port) {
        int r = main_listen_port(sentinel.tls_port, 1);
        if (r < 0)
            return -1;
        n += r;
    }
    if (n == 0) {
        log_warning("Configured to not listen anywhere, exiting.");
        return -1;
    }
    return 0;
}

static void main_close_listeners(void)
{
    for (int i = 0; i < main_nlisteners; i++) {
        ev_io_stop(sentinel.loop, &main_listeners[i].w);
        close(main_listeners[i].w.fd);
    }
    main_nlisteners = 0;
}

/* The TLS context serves the tls-port listeners and, with
 * tls-replication yes, the links to servers and other sentinels. */
static int main_tls_start(void)
{
    if (!sentinel.tls_port && !sentinel.tls_replication)
        return 0;
    char err[512];
    sentinel.tls_ctx = tls_context_create(&sentinel.tls, err, sizeof(err));
    if (!sentinel.tls_ctx) {
        log_warning("%s", err);
        log_warning("Failed to configure TLS. Check logs for more info.");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- shutdown */

void sentinel_shutdown(void)
{
    log_warning("User requested shutdown...");
    main_close_listeners();
    client_close_all();
    config_flush(); /* logs its own failure; exiting is still right */
    if (sentinel.pidfile)
        unlink(sentinel.pidfile);
    log_warning("Sentinel is now ready to exit, bye bye...");
    exit(0);
}

static void main_on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    log_warning("Received %s scheduling shutdown...", w->signum == SIGINT ? "SIGINT" : "SIGTERM");
    sentinel_shutdown();
}

/* ----------------------------------------------------------------- main */

/* Warn once about what is kept but not done. */
static void main_warn_scripts(void)
{
    for (int i = 0; i < sentinel.nmasters; i++) {
        const instance *m = sentinel.masters[i];
        if (m->notification_script || m->client_reconfig_script)
            log_warning("Master %s has a notification-script or client-reconfig-script: kept in "
                        "the config file, but keel-sentinel runs no scripts",
                        m->name);
    }
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version"))) {
        printf("Keel sentinel v=%s (Redis Sentinel protocol %s)\n", KEEL_OWN_VERSION, KEEL_VERSION);
        return 0;
    }
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        main_usage();
        return 0;
    }
    log_set_role('X');
    if (argc < 2 || !strncmp(argv[1], "--", 2)) {
        log_warning("Sentinel needs config file on disk to save state. Exiting...");
        return 1;
    }

    /* Absolute now: `dir` may chdir() before the file is rewritten. */
    char abs[PATH_MAX];
    const char *file = realpath(argv[1], abs) ? abs : argv[1];
    sentinel.config_file = strdup(file);
    if (!sentinel.config_file)
        abort();

    /* The loop exists before the masters are created from the file. */
    signal(SIGPIPE, SIG_IGN);
    sentinel.loop = ev_default_loop(EVFLAG_AUTO);
    if (!sentinel.loop) {
        log_warning("Could not start the event loop");
        return 1;
    }

    buf extra = config_args_to_string(argc - 2, argv + 2);
    int rc = sentinel_config_load(sentinel.config_file, extra);
    buf_free(extra);
    if (rc != 0)
        return 1;
    if (access(sentinel.config_file, W_OK) == -1) {
        log_warning("Sentinel config file %s is not writable: %s. Exiting...", sentinel.config_file,
                    strerror(errno));
        return 1;
    }

    if (sentinel_config_daemonize) {
        main_daemonize();
        ev_loop_fork(sentinel.loop);
    }
    log_set_level(sentinel.loglevel);
    if (sentinel.logfile && log_set_file(sentinel.logfile) != 0) {
        fprintf(stderr, "Can't open the log file: %s\n", strerror(errno));
        return 1;
    }
    log_notice("Keel sentinel %s starting, pid=%d, speaking the Redis Sentinel %s protocol",
               KEEL_OWN_VERSION, (int)getpid(), KEEL_VERSION);
    log_notice("Configuration loaded from %s", sentinel.config_file);
    /* As Redis: the TLS port when nothing listens in the clear. */
    log_notice("Running mode=sentinel, port=%d.",
               sentinel.port ? sentinel.port : sentinel.tls_port);

    ev_signal_init(&main_sig_term, main_on_signal, SIGTERM);
    ev_signal_start(sentinel.loop, &main_sig_term);
    ev_signal_init(&main_sig_int, main_on_signal, SIGINT);
    ev_signal_start(sentinel.loop, &main_sig_int);

    if (main_tls_start() != 0 || main_listen() != 0)
        return 1;
    if (sentinel.pidfile)
        main_write_pidfile(sentinel.pidfile);

    /* A new sentinel gets its ID now and keeps it for life: the other
     * sentinels know it by that ID, and its votes are cast in its name. */
    if (!sentinel.myid[0]) {
        util_random_hex(sentinel.myid, SENTINEL_RUNID_LEN);
        config_flush();
    }
    log_warning("Sentinel ID is %s", sentinel.myid);
    for (int i = 0; i < sentinel.nmasters; i++)
        sentinel_event(LOG_WARNING, "+monitor", sentinel.masters[i], "%@ quorum %d",
                       sentinel.masters[i]->quorum);
    main_warn_scripts();

    sentinel.start_time = util_mstime();
    sentinel.previous_time = sentinel.start_time;
    if (sentinel.port)
        log_notice("Ready to accept connections tcp on port %d", sentinel.port);
    if (sentinel.tls_port)
        log_notice("Ready to accept connections tls on port %d", sentinel.tls_port);
    sentinel_timer_start();
    ev_run(sentinel.loop, 0);
    return 0;
}
