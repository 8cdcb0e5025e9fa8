/* tls: TLS (OpenSSL 3) under a conn: the contexts built from the tls-*
 * options, and conns whose bytes go through SSL.
 *
 * A TLS conn is an ordinary conn (conn.h) to its owner: the same handlers,
 * conn_read/conn_write with EAGAIN, conn_close.  The difference is the
 * handshake, which runs first, without blocking, driven by the conn's own
 * watchers and bounded by a timer; the owner sees the conn only once it is
 * done (accepting side) or is told how it ended (connecting side).
 *
 * OpenSSL writes to the socket with write(2): the process must ignore
 * SIGPIPE (keel-server does), or a peer that vanished kills it. */
#ifndef KEEL_TLS_H
#define KEEL_TLS_H

#include <stddef.h>

#include "conn.h"

/* tls-auth-clients */
enum { TLS_AUTH_CLIENTS_NO = 0, TLS_AUTH_CLIENTS_YES = 1, TLS_AUTH_CLIENTS_OPTIONAL = 2 };

/* The tls-* options a context is built from.  Strings may be NULL or "" for
 * unset; nothing is kept after tls_context_create returns. */
typedef struct tls_options {
    const char *cert_file, *key_file, *key_file_pass;
    const char *client_cert_file, *client_key_file, *client_key_file_pass;
    const char *ca_cert_file, *ca_cert_dir;
    const char *dh_params_file;
    const char *protocols;    /* "TLSv1.2 TLSv1.3" (any case); NULL or "": those two */
    const char *ciphers;      /* TLSv1.2 and below, OpenSSL cipher list syntax */
    const char *ciphersuites; /* TLSv1.3 */
    int prefer_server_ciphers;
    int session_caching;
    int session_cache_size;    /* 0: unlimited */
    int session_cache_timeout; /* seconds */
    int auth_clients;          /* TLS_AUTH_CLIENTS_*: decides whether a CA is required */
    int peers_need_ca;         /* replication or cluster links verify peers: a CA is required */
} tls_options;

typedef struct tls_context tls_context;

/* Build the server and client SSL contexts.  Returns NULL with the reason
 * (Redis's wording, for the log) in err.  Connections made from a context
 * keep working after it is freed: each SSL holds its own reference. */
tls_context *tls_context_create(const tls_options *o, char *err, size_t errlen);
void tls_context_free(tls_context *t);

/* Accepting side: take an accepted socket and start the handshake.  When it
 * succeeds on_ready runs with the conn connected (priv set as given, no
 * handlers); the owner then uses it like any conn.  A handshake that fails
 * or does not finish within timeout seconds is logged with the peer's
 * address and the reason, and the conn closed: on_ready never runs. */
conn *tls_conn_accept(tls_context *t, struct ev_loop *loop, int fd, int auth_clients,
                      double timeout, conn_handler *on_ready, void *priv);

/* Connecting side: TCP connect to host:port, then the handshake (verifying
 * the server's certificate against the CA; sni, if not NULL, is sent as the
 * server name).  on_connect runs once, with conn_state CONN_STATE_CONNECTED
 * or CONN_STATE_ERROR (conn_last_error says why; the caller closes).
 * Returns NULL with errno if the connect cannot start. */
conn *tls_conn_connect(tls_context *t, struct ev_loop *loop, const char *host, int port,
                       const char *source_addr, const char *sni, double timeout,
                       conn_handler *on_connect);

/* Accepted conns still in their handshake (they count against maxclients). */
int tls_handshakes_in_progress(void);

#endif
