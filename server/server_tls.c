/* server_tls: keel-server's side of TLS.  Owns the TLS context built from
 * the tls-* options (rebuilt by CONFIG SET, atomically: a context that
 * fails to build leaves the old one serving), the listening sockets on
 * tls-port (same bind addresses as port), and accepting there: a
 * connection's handshake runs first, and only a finished one becomes a
 * client, through the same door as plain ones (server_accept_conn). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "tls.h"

/* A handshake is cut off after this long (or after `timeout`, the idle
 * client timeout, if that is shorter): a peer that connects and says
 * nothing holds a socket and a little memory, never the loop. */
#define SERVER_TLS_HANDSHAKE_TIMEOUT 10.0

static const char server_tls_config_error[] =
    "Unable to update TLS configuration. Check server logs.";

/* What the TLS listeners were opened on, so that CONFIG SET of port, bind
 * or tls-port knows whether there is anything to do. */
static struct {
    int port; /* 0: none open */
    int count;
    char *addrs[CONFIG_BINDADDR_MAX];
} server_tls_listening;

static int server_tls_wanted(const server_config *cfg)
{
    return cfg->tls_port || cfg->tls_replication || cfg->tls_cluster;
}

static tls_context *server_tls_build(server *s)
{
    const server_config *cfg = &s->cfg;
    tls_options o = {
        .cert_file = cfg->tls_cert_file,
        .key_file = cfg->tls_key_file,
        .key_file_pass = cfg->tls_key_file_pass,
        .client_cert_file = cfg->tls_client_cert_file,
        .client_key_file = cfg->tls_client_key_file,
        .client_key_file_pass = cfg->tls_client_key_file_pass,
        .ca_cert_file = cfg->tls_ca_cert_file,
        .ca_cert_dir = cfg->tls_ca_cert_dir,
        .dh_params_file = cfg->tls_dh_params_file,
        .protocols = cfg->tls_protocols,
        .ciphers = cfg->tls_ciphers,
        .ciphersuites = cfg->tls_ciphersuites,
        .prefer_server_ciphers = cfg->tls_prefer_server_ciphers,
        .session_caching = cfg->tls_session_caching,
        .session_cache_size = cfg->tls_session_cache_size,
        .session_cache_timeout = cfg->tls_session_cache_timeout,
        .auth_clients = cfg->tls_auth_clients,
        .peers_need_ca = cfg->tls_replication || cfg->tls_cluster,
    };
    char err[512];
    tls_context *t = tls_context_create(&o, err, sizeof(err));
    if (!t)
        log_warning("%s", err);
    return t;
}

/* ----------------------------------------------------------- accepting */

/* The handshake is done: from here on the conn is like any other. */
static void server_tls_on_ready(conn *cn)
{
    server *s = conn_get_private(cn);
    if (s->client_count >= (unsigned long)s->cfg.maxclients) {
        static const char msg[] = "-ERR max number of clients reached\r\n";
        s->stats.rejected_conn++;
        ssize_t n = conn_write(cn, msg, sizeof(msg) - 1); /* best effort */
        (void)n;
        conn_close(cn);
        return;
    }
    server_accept_conn(s, cn);
}

static void server_tls_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    server *s = w->data;
    double timeout = SERVER_TLS_HANDSHAKE_TIMEOUT;
    if (s->cfg.timeout > 0 && s->cfg.timeout < timeout)
        timeout = s->cfg.timeout;
    for (int i = 0; i < 1000; i++) {
        int fd = conn_accept_tcp(w->fd);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_warning("Accepting client connection: %s", strerror(errno));
            return;
        }
        s->stats.numconnections++;
        /* maxclients is told to the client over TLS once its handshake is
         * done (server_tls_on_ready): a plain-text error would mean nothing
         * to it.  Handshakes in progress are bounded here, silently, so a
         * flood of them cannot grow without limit. */
        if ((unsigned long)tls_handshakes_in_progress() >= (unsigned long)s->cfg.maxclients) {
            s->stats.rejected_conn++;
            close(fd);
            continue;
        }
        tls_conn_accept(s->tls_ctx, loop, fd, s->cfg.tls_auth_clients, timeout, server_tls_on_ready,
                        s);
    }
}

/* ----------------------------------------------------------- listening */

static void server_tls_forget_listening(void)
{
    for (int i = 0; i < server_tls_listening.count; i++)
        free(server_tls_listening.addrs[i]);
    server_tls_listening.count = 0;
    server_tls_listening.port = 0;
}

static void server_tls_record_listening(const server_config *cfg)
{
    server_tls_forget_listening();
    if (!cfg->tls_port)
        return;
    for (int i = 0; i < cfg->bind_count; i++) {
        server_tls_listening.addrs[i] = strdup(cfg->bind[i]);
        if (!server_tls_listening.addrs[i])
            abort();
    }
    server_tls_listening.count = cfg->bind_count;
    server_tls_listening.port = cfg->tls_port;
}

static int server_tls_same_addresses(const server_config *cfg)
{
    if (server_tls_listening.count != cfg->bind_count)
        return 0;
    for (int i = 0; i < cfg->bind_count; i++)
        if (strcmp(server_tls_listening.addrs[i], cfg->bind[i]) != 0)
            return 0;
    return 1;
}

/* Open sockets on every bind address at tls-port into fds.  Returns the
 * count, or -1 (nothing left open) if a required address failed. */
static int server_tls_open(server *s, int fds[CONFIG_BINDADDR_MAX])
{
    char err[256];
    int n = 0;
    for (int i = 0; i < s->cfg.bind_count; i++) {
        const char *addr = s->cfg.bind[i];
        int fd = conn_listen_tcp(addr, s->cfg.tls_port, s->cfg.tcp_backlog, err, sizeof(err));
        if (fd >= 0) {
            fds[n++] = fd;
            continue;
        }
        if (addr[0] == '-') {
            log_verbose("Optional bind address %s is not available: %s", addr + 1, err);
            continue;
        }
        log_warning("Warning: Could not create server TLS listening socket %s:%d: %s", addr,
                    s->cfg.tls_port, err);
        while (n > 0)
            close(fds[--n]);
        return -1;
    }
    return n;
}

static void server_tls_install(server *s, const int *fds, int n)
{
    for (int i = 0; i < n; i++) {
        ev_io *w = &s->tls_listen_watchers[i];
        ev_io_init(w, server_tls_on_accept, fds[i], EV_READ);
        w->data = s;
        ev_io_start(s->loop, w);
        s->tls_listen_fds[i] = fds[i];
    }
    s->tls_listen_count = n;
}

void server_tls_close_listeners(server *s)
{
    for (int i = 0; i < s->tls_listen_count; i++) {
        ev_io_stop(s->loop, &s->tls_listen_watchers[i]);
        close(s->tls_listen_fds[i]);
    }
    s->tls_listen_count = 0;
}

int server_tls_start(server *s)
{
    if (server_tls_wanted(&s->cfg)) {
        s->tls_ctx = server_tls_build(s);
        if (!s->tls_ctx) {
            log_warning("Failed to configure TLS. Check logs for more info.");
            return -1;
        }
    }
    server_tls_record_listening(&s->cfg);
    if (!s->cfg.tls_port)
        return 0;
    int fds[CONFIG_BINDADDR_MAX];
    int n = server_tls_open(s, fds);
    if (n < 0)
        return -1;
    if (n == 0) {
        log_warning("Configured to not listen anywhere, exiting.");
        return -1;
    }
    server_tls_install(s, fds, n);
    log_notice("Ready to accept connections tls on port %d", s->cfg.tls_port);
    return 0;
}

/* Move the TLS listeners to the configured tls-port and bind addresses.
 * When only the port changed, the new sockets open before the old ones
 * close, so a taken port leaves everything as it was.  Changed addresses
 * may overlap the old ones, so those close first; if the new ones then
 * fail, CONFIG SET restores the old values and this runs again. */
int server_tls_relisten(server *s)
{
    if (!s->loop)
        return 1; /* not serving yet: server_tls_start uses the new values */
    const server_config *cfg = &s->cfg;
    if (server_tls_listening.port == cfg->tls_port &&
        (!cfg->tls_port || server_tls_same_addresses(cfg)))
        return 1;
    int close_first = server_tls_listening.port && !server_tls_same_addresses(cfg);
    if (close_first || !cfg->tls_port) {
        server_tls_close_listeners(s);
        server_tls_forget_listening();
    }
    if (cfg->tls_port) {
        int fds[CONFIG_BINDADDR_MAX];
        int n = server_tls_open(s, fds);
        if (n <= 0) {
            if (n == 0)
                log_warning("No TLS listening socket could be opened on port %d", cfg->tls_port);
            return 0;
        }
        server_tls_close_listeners(s);
        server_tls_install(s, fds, n);
        log_notice("Listening for TLS connections on port %d", cfg->tls_port);
    }
    server_tls_record_listening(cfg);
    return 1;
}

/* ------------------------------------------------- CONFIG SET effects */

int server_tls_apply_config(server *s, const char **err)
{
    if (!s->loop || !server_tls_wanted(&s->cfg))
        return 1; /* built from these values when TLS is turned on */
    tls_context *t = server_tls_build(s);
    if (!t) {
        *err = server_tls_config_error;
        return 0;
    }
    /* Connections keep the context they were made with (each SSL holds a
     * reference), so freeing ours does not disturb them. */
    tls_context_free(s->tls_ctx);
    s->tls_ctx = t;
    log_verbose("TLS configuration reloaded");
    return 1;
}

int server_tls_apply_port(server *s, const char **err)
{
    if (!s->loop)
        return 1;
    if (s->cfg.tls_port && !s->tls_ctx) {
        s->tls_ctx = server_tls_build(s);
        if (!s->tls_ctx) {
            *err = server_tls_config_error;
            return 0;
        }
    }
    if (!server_tls_relisten(s)) {
        *err = "Unable to listen on this port. Check server logs.";
        return 0;
    }
    return 1;
}

void server_tls_free(server *s)
{
    server_tls_close_listeners(s);
    server_tls_forget_listening();
    tls_context_free(s->tls_ctx);
    s->tls_ctx = NULL;
}
