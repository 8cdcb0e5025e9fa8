/* tls: TLS over conn with OpenSSL 3.  Owns the SSL contexts built from the
 * tls-* options (tls_context), and the TLS transport that conn_set_transport
 * puts under a conn: the non-blocking handshake with its timeout, and reads
 * and writes through SSL.
 *
 * Why the transport drives the watchers itself: a TLS read may need the
 * socket to be writable (and a write readable), and SSL may hold decrypted
 * bytes the socket no longer signals.  So a conn's two watchers fire into
 * tls_on_event, which decides which of the owner's handlers an event serves,
 * and tls_update decides which watchers run, from the owner's handlers plus
 * what SSL last asked for; buffered bytes are fed back to the read watcher.
 * Plain TCP conns never come here. */
#include "tls.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"

/* ----------------------------------------------------------- contexts */

#define TLS_PROTO_TLSv1 (1 << 0)
#define TLS_PROTO_TLSv1_1 (1 << 1)
#define TLS_PROTO_TLSv1_2 (1 << 2)
#define TLS_PROTO_TLSv1_3 (1 << 3)
#define TLS_PROTO_DEFAULT (TLS_PROTO_TLSv1_2 | TLS_PROTO_TLSv1_3)

struct tls_context {
    SSL_CTX *server; /* accepted connections */
    SSL_CTX *client; /* outgoing connections: own certificate if one is configured */
};

static const char *tls_opt(const char *s)
{
    return s && s[0] ? s : NULL;
}

/* tls-protocols: a space-separated set, any case.  -1 if a word is unknown. */
static int tls_parse_protocols(const char *str)
{
    if (!tls_opt(str))
        return TLS_PROTO_DEFAULT;
    int protocols = 0, words = 0;
    const char *p = str;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n == 0)
            break;
        words++;
        if (n == 5 && !strncasecmp(p, "tlsv1", 5))
            protocols |= TLS_PROTO_TLSv1;
        else if (n == 7 && !strncasecmp(p, "tlsv1.1", 7))
            protocols |= TLS_PROTO_TLSv1_1;
        else if (n == 7 && !strncasecmp(p, "tlsv1.2", 7))
            protocols |= TLS_PROTO_TLSv1_2;
        else if (n == 7 && !strncasecmp(p, "tlsv1.3", 7))
            protocols |= TLS_PROTO_TLSv1_3;
        else
            return -1;
        p += n;
    }
    return words ? protocols : TLS_PROTO_DEFAULT;
}

/* The key file's passphrase, handed to OpenSSL only while the key loads. */
static int tls_password_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    const char *pass = u;
    if (!pass)
        return -1;
    size_t len = strlen(pass);
    if (len > (size_t)size)
        return -1;
    memcpy(buf, pass, len);
    return (int)len;
}

static void tls_error_string(char *out, size_t size)
{
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, out, size);
    else
        snprintf(out, size, "unknown error");
}

/* What the server and client contexts share; `client` picks the
 * tls-client-* certificate and key. */
static SSL_CTX *tls_ctx_new(const tls_options *o, int protocols, int client, char *err,
                            size_t errlen)
{
    const char *cert = client ? o->client_cert_file : o->cert_file;
    const char *key = client ? o->client_key_file : o->key_file;
    const char *pass = client ? o->client_key_file_pass : o->key_file_pass;
    char ebuf[256];

    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (!ctx) {
        tls_error_string(ebuf, sizeof(ebuf));
        snprintf(err, errlen, "Failed to create TLS context: %s", ebuf);
        return NULL;
    }
    /* Renegotiation is never needed by the protocol and only adds the case
     * of a write waiting for a read; peers that close without close_notify
     * (most clients) are simply closed connections, as with TCP. */
    uint64_t opts = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION |
                    SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF;
    if (!(protocols & TLS_PROTO_TLSv1))
        opts |= SSL_OP_NO_TLSv1;
    if (!(protocols & TLS_PROTO_TLSv1_1))
        opts |= SSL_OP_NO_TLSv1_1;
    if (!(protocols & TLS_PROTO_TLSv1_2))
        opts |= SSL_OP_NO_TLSv1_2;
    if (!(protocols & TLS_PROTO_TLSv1_3))
        opts |= SSL_OP_NO_TLSv1_3;
    SSL_CTX_set_options(ctx, opts);
    /* Writers retry from a buffer that may have grown (and moved) since
     * the write that said EAGAIN; partial writes let a big reply go out
     * record by record. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (client ? 0 : SSL_VERIFY_FAIL_IF_NO_PEER_CERT), NULL);

    SSL_CTX_set_default_passwd_cb(ctx, tls_password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)tls_opt(pass));
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) <= 0) {
        tls_error_string(ebuf, sizeof(ebuf));
        snprintf(err, errlen, "Failed to load certificate: %s: %s", cert, ebuf);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) <= 0) {
        tls_error_string(ebuf, sizeof(ebuf));
        snprintf(err, errlen, "Failed to load private key: %s: %s", key, ebuf);
        goto fail;
    }
    /* The passphrase belongs to the configuration, which may change. */
    SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);

    const char *ca_file = tls_opt(o->ca_cert_file), *ca_dir = tls_opt(o->ca_cert_dir);
    if ((ca_file || ca_dir) && SSL_CTX_load_verify_locations(ctx, ca_file, ca_dir) <= 0) {
        tls_error_string(ebuf, sizeof(ebuf));
        snprintf(err, errlen, "Failed to configure CA certificate(s) file/directory: %s", ebuf);
        goto fail;
    }
    if (tls_opt(o->ciphers) && !SSL_CTX_set_cipher_list(ctx, o->ciphers)) {
        snprintf(err, errlen, "Failed to configure ciphers: %s", o->ciphers);
        goto fail;
    }
    if (tls_opt(o->ciphersuites) && !SSL_CTX_set_ciphersuites(ctx, o->ciphersuites)) {
        snprintf(err, errlen, "Failed to configure ciphersuites: %s", o->ciphersuites);
        goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* tls-dh-params-file: only older clients need finite-field DH; OpenSSL 3
 * picks suitable parameters itself when none are given. */
static int tls_ctx_set_dh(SSL_CTX *ctx, const char *file, char *err, size_t errlen)
{
    if (!tls_opt(file)) {
        SSL_CTX_set_dh_auto(ctx, 1);
        return 0;
    }
    BIO *bio = BIO_new_file(file, "r");
    if (!bio) {
        snprintf(err, errlen, "Failed to load %s: %s", file, strerror(errno));
        return -1;
    }
    EVP_PKEY *dh = PEM_read_bio_Parameters(bio, NULL);
    BIO_free(bio);
    if (!dh) {
        snprintf(err, errlen, "%s: failed to read DH params.", file);
        return -1;
    }
    if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) <= 0) {
        char ebuf[256];
        tls_error_string(ebuf, sizeof(ebuf));
        snprintf(err, errlen, "Failed to load DH params file: %s: %s", file, ebuf);
        EVP_PKEY_free(dh);
        return -1;
    }
    return 0; /* the context owns dh now */
}

tls_context *tls_context_create(const tls_options *o, char *err, size_t errlen)
{
    if (!tls_opt(o->cert_file)) {
        snprintf(err, errlen, "No tls-cert-file configured!");
        return NULL;
    }
    if (!tls_opt(o->key_file)) {
        snprintf(err, errlen, "No tls-key-file configured!");
        return NULL;
    }
    if ((o->auth_clients != TLS_AUTH_CLIENTS_NO || o->peers_need_ca) && !tls_opt(o->ca_cert_file) &&
        !tls_opt(o->ca_cert_dir)) {
        snprintf(err, errlen,
                 "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, "
                 "tls-replication or tls-auth-clients are enabled!");
        return NULL;
    }
    int protocols = tls_parse_protocols(o->protocols);
    if (protocols < 0) {
        snprintf(err, errlen,
                 "Invalid tls-protocols specified. Use a combination of 'TLSv1', "
                 "'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
        return NULL;
    }

    SSL_CTX *server = tls_ctx_new(o, protocols, 0, err, errlen);
    SSL_CTX *client = NULL;
    if (!server)
        return NULL;
    if (o->session_caching) {
        SSL_CTX_set_session_cache_mode(server, SSL_SESS_CACHE_SERVER);
        SSL_CTX_sess_set_cache_size(server, o->session_cache_size);
        SSL_CTX_set_timeout(server, o->session_cache_timeout);
        /* Required for resumption when client certificates are verified. */
        SSL_CTX_set_session_id_context(server, (const unsigned char *)"keel", 4);
    } else {
        SSL_CTX_set_session_cache_mode(server, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(server, 0);
    }
    if (o->prefer_server_ciphers)
        SSL_CTX_set_options(server, SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (tls_ctx_set_dh(server, o->dh_params_file, err, errlen) != 0)
        goto fail;
    if (tls_opt(o->client_cert_file) && tls_opt(o->client_key_file)) {
        client = tls_ctx_new(o, protocols, 1, err, errlen);
        if (!client)
            goto fail;
    } else {
        SSL_CTX_up_ref(server);
        client = server;
    }

    tls_context *t = calloc(1, sizeof(*t));
    if (!t)
        abort();
    t->server = server;
    t->client = client;
    return t;
fail:
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    return NULL;
}

void tls_context_free(tls_context *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->server);
    SSL_CTX_free(t->client);
    free(t);
}

/* -------------------------------------------------------- connections */

#define TLS_HANDSHAKING (1 << 0)
#define TLS_ACCEPTING (1 << 1)      /* the server side of the handshake */
#define TLS_TCP_CONNECTING (1 << 2) /* outgoing: the TCP connect is not done yet */
#define TLS_READ_WANT_WRITE (1 << 3)
#define TLS_WRITE_WANT_READ (1 << 4)
#define TLS_NO_SHUTDOWN (1 << 5) /* a fatal error: no close_notify may be sent */

typedef struct tls_conn {
    SSL *ssl;
    int flags;
    ev_timer timer; /* bounds the handshake */
    struct ev_loop *loop;
    char peer[64]; /* accepting side: for the log, taken before the peer can vanish */
} tls_conn;

static int tls_handshakes; /* accepted conns in their handshake */

int tls_handshakes_in_progress(void)
{
    return tls_handshakes;
}

static void tls_update(conn *c);

/* A failed SSL call: say whether to wait (errno EAGAIN) or why it failed. */
static ssize_t tls_io_failed(conn *c, tls_conn *t, int rc, int saved_errno, int reading)
{
    char ebuf[128];
    switch (SSL_get_error(t->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
        if (!reading) {
            t->flags |= TLS_WRITE_WANT_READ;
            tls_update(c);
        }
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        if (reading) {
            t->flags |= TLS_READ_WANT_WRITE;
            tls_update(c);
        }
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN: /* close_notify: the peer is done */
        conn_set_state(c, CONN_STATE_CLOSED, "connection closed by peer");
        if (reading)
            return 0;
        errno = EPIPE;
        return -1;
    case SSL_ERROR_SYSCALL:
        t->flags |= TLS_NO_SHUTDOWN;
        if (saved_errno == 0) { /* EOF without close_notify */
            conn_set_state(c, CONN_STATE_CLOSED, "connection closed by peer");
            if (reading)
                return 0;
            saved_errno = EPIPE;
        }
        conn_set_state(c, CONN_STATE_ERROR, strerror(saved_errno));
        errno = saved_errno;
        return -1;
    default:
        t->flags |= TLS_NO_SHUTDOWN;
        tls_error_string(ebuf, sizeof(ebuf));
        conn_set_state(c, CONN_STATE_ERROR, ebuf);
        errno = EIO;
        return -1;
    }
}

static ssize_t tls_read(conn *c, void *p, size_t len)
{
    tls_conn *t = conn_transport(c);
    ERR_clear_error();
    errno = 0;
    int n = SSL_read(t->ssl, p, len > INT_MAX ? INT_MAX : (int)len);
    if (n > 0)
        return n;
    return tls_io_failed(c, t, n, errno, 1);
}

static ssize_t tls_write(conn *c, const void *p, size_t len)
{
    tls_conn *t = conn_transport(c);
    if (len == 0)
        return 0;
    ERR_clear_error();
    errno = 0;
    int n = SSL_write(t->ssl, p, len > INT_MAX ? INT_MAX : (int)len);
    if (n > 0)
        return n;
    return tls_io_failed(c, t, n, errno, 0);
}

/* SSL has no writev: small vectors are joined into one record (one
 * syscall), big ones written piece by piece. */
static ssize_t tls_writev(conn *c, const struct iovec *iov, int iovcnt)
{
    char joined[16 * 1024];
    size_t total = 0;
    for (int i = 0; i < iovcnt && total <= sizeof(joined); i++)
        total += iov[i].iov_len;
    if (total <= sizeof(joined)) {
        size_t off = 0;
        for (int i = 0; i < iovcnt; i++) {
            memcpy(joined + off, iov[i].iov_base, iov[i].iov_len);
            off += iov[i].iov_len;
        }
        return tls_write(c, joined, off);
    }
    ssize_t sent = 0;
    for (int i = 0; i < iovcnt; i++) {
        ssize_t n = tls_write(c, iov[i].iov_base, iov[i].iov_len);
        if (n <= 0)
            return sent > 0 ? sent : n;
        sent += n;
        if ((size_t)n < iov[i].iov_len)
            break;
    }
    return sent;
}

/* Which watchers run once the handshake is over: the owner's handlers,
 * except where SSL is waiting for the other direction.  Bytes SSL already
 * decrypted make no socket event, so they are fed to the read watcher. */
static void tls_update(conn *c)
{
    tls_conn *t = conn_transport(c);
    if (t->flags & TLS_HANDSHAKING)
        return; /* the handshake arms what SSL asks for */
    int reading = conn_has_handler(c, CONN_HANDLER_READ) && !(t->flags & TLS_READ_WANT_WRITE);
    int writing = conn_has_handler(c, CONN_HANDLER_WRITE) && !(t->flags & TLS_WRITE_WANT_READ);
    conn_watch(c, reading || (t->flags & TLS_WRITE_WANT_READ),
               writing || (t->flags & TLS_READ_WANT_WRITE));
    if (reading && SSL_pending(t->ssl) > 0)
        conn_feed_read(c);
}

static void tls_handshake_end(tls_conn *t)
{
    ev_timer_stop(t->loop, &t->timer);
    if ((t->flags & TLS_HANDSHAKING) && (t->flags & TLS_ACCEPTING))
        tls_handshakes--;
    t->flags &= ~(TLS_HANDSHAKING | TLS_TCP_CONNECTING);
}

/* Why a handshake failed, for the log.  *quiet is set when the peer just
 * went away (health checks, port scans): not worth a warning. */
static void tls_handshake_reason(tls_conn *t, int ssl_err, int saved_errno, char *out, size_t size,
                                 int *quiet)
{
    *quiet = 0;
    if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN) {
        if (saved_errno && ssl_err == SSL_ERROR_SYSCALL) {
            snprintf(out, size, "%s", strerror(saved_errno));
        } else {
            snprintf(out, size, "connection closed by peer during the TLS handshake");
            *quiet = 1;
        }
        return;
    }
    unsigned long e = ERR_get_error();
    if (!e) {
        snprintf(out, size, "TLS handshake failed");
        return;
    }
    char ebuf[256];
    ERR_error_string_n(e, ebuf, sizeof(ebuf));
    if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        *quiet = 1;
    long vr = SSL_get_verify_result(t->ssl);
    if (ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED && vr != X509_V_OK)
        snprintf(out, size, "%s: %s", ebuf, X509_verify_cert_error_string(vr));
    else
        snprintf(out, size, "%s", ebuf);
}

static void tls_handshake_failed(conn *c, tls_conn *t, const char *reason, int quiet)
{
    int accepting = t->flags & TLS_ACCEPTING;
    tls_handshake_end(t);
    t->flags |= TLS_NO_SHUTDOWN;
    if (accepting) {
        char sock[64];
        conn_sock_name(c, sock, sizeof(sock));
        log_msg(quiet ? LOG_VERBOSE : LOG_WARNING,
                "Error accepting a client connection: %s (addr=%s laddr=%s)", reason, t->peer,
                sock);
        conn_close(c);
        return;
    }
    conn_set_state(c, CONN_STATE_ERROR, reason);
    conn_watch(c, 0, 0);
    conn_call_handler(c, CONN_HANDLER_CONNECT);
}

static void tls_handshake_step(conn *c, tls_conn *t)
{
    ERR_clear_error();
    errno = 0;
    int rc = (t->flags & TLS_ACCEPTING) ? SSL_accept(t->ssl) : SSL_connect(t->ssl);
    int saved_errno = errno;
    if (rc == 1) {
        tls_handshake_end(t);
        conn_set_state(c, CONN_STATE_CONNECTED, NULL);
        conn_watch(c, 0, 0);
        if (conn_call_handler(c, CONN_HANDLER_CONNECT) == 0)
            tls_update(c);
        return;
    }
    int err = SSL_get_error(t->ssl, rc);
    if (err == SSL_ERROR_WANT_READ) {
        conn_watch(c, 1, 0);
        return;
    }
    if (err == SSL_ERROR_WANT_WRITE) {
        conn_watch(c, 0, 1);
        return;
    }
    char reason[384];
    int quiet;
    tls_handshake_reason(t, err, saved_errno, reason, sizeof(reason), &quiet);
    tls_handshake_failed(c, t, reason, quiet);
}

static void tls_on_handshake_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    conn *c = w->data;
    tls_handshake_failed(c, conn_transport(c), "TLS handshake timed out", 0);
}

/* An outgoing conn's socket became writable: the TCP connect is done, or
 * failed. */
static void tls_tcp_connected(conn *c, tls_conn *t)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(conn_fd(c), SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        tls_handshake_end(t);
        t->flags |= TLS_NO_SHUTDOWN;
        conn_set_state(c, CONN_STATE_ERROR, strerror(err));
        conn_watch(c, 0, 0);
        conn_call_handler(c, CONN_HANDLER_CONNECT);
        return;
    }
    t->flags &= ~TLS_TCP_CONNECTING;
    conn_enable_nodelay(c); /* as on the accepting side */
    SSL_set_fd(t->ssl, conn_fd(c));
    SSL_set_connect_state(t->ssl);
    tls_handshake_step(c, t);
}

static void tls_on_event(conn *c, int revents)
{
    tls_conn *t = conn_transport(c);
    if (t->flags & TLS_TCP_CONNECTING) {
        tls_tcp_connected(c, t);
        return;
    }
    if (t->flags & TLS_HANDSHAKING) {
        tls_handshake_step(c, t);
        return;
    }
    int call_read = ((revents & EV_READ) && !(t->flags & TLS_READ_WANT_WRITE)) ||
                    ((revents & EV_WRITE) && (t->flags & TLS_READ_WANT_WRITE));
    int call_write = ((revents & EV_WRITE) && !(t->flags & TLS_WRITE_WANT_READ)) ||
                     ((revents & EV_READ) && (t->flags & TLS_WRITE_WANT_READ));
    if (call_read) {
        t->flags &= ~TLS_READ_WANT_WRITE;
        if (conn_call_handler(c, CONN_HANDLER_READ) < 0)
            return;
    }
    if (call_write) {
        t->flags &= ~TLS_WRITE_WANT_READ;
        if (conn_call_handler(c, CONN_HANDLER_WRITE) < 0)
            return;
    }
    tls_update(c);
}

static void tls_close(conn *c)
{
    tls_conn *t = conn_transport(c);
    tls_handshake_end(t);
    if (!(t->flags & TLS_NO_SHUTDOWN) && conn_state(c) == CONN_STATE_CONNECTED) {
        /* Best effort close_notify: never waits for the peer's. */
        ERR_clear_error();
        SSL_shutdown(t->ssl);
    }
    ERR_clear_error();
    SSL_free(t->ssl);
    free(t);
}

static const conn_ops tls_ops = {tls_read,     tls_write,  tls_writev,
                                 tls_on_event, tls_update, tls_close};

static tls_conn *tls_conn_new(conn *c, struct ev_loop *loop, SSL *ssl, int flags, double timeout)
{
    tls_conn *t = calloc(1, sizeof(*t));
    if (!t)
        abort();
    t->ssl = ssl;
    t->flags = flags | TLS_HANDSHAKING;
    t->loop = loop;
    ev_timer_init(&t->timer, tls_on_handshake_timeout, timeout > 0 ? timeout : 10.0, 0.);
    t->timer.data = c;
    ev_timer_start(loop, &t->timer);
    conn_set_transport(c, &tls_ops, t);
    return t;
}

conn *tls_conn_accept(tls_context *ctx, struct ev_loop *loop, int fd, int auth_clients,
                      double timeout, conn_handler *on_ready, void *priv)
{
    conn *c = conn_create_accepted(loop, fd);
    ERR_clear_error();
    SSL *ssl = SSL_new(ctx->server);
    if (!ssl) {
        char peer[64], ebuf[256];
        conn_peer_name(c, peer, sizeof(peer));
        tls_error_string(ebuf, sizeof(ebuf));
        log_warning("Error accepting a client connection: %s (addr=%s)", ebuf, peer);
        conn_close(c);
        return NULL;
    }
    switch (auth_clients) {
    case TLS_AUTH_CLIENTS_NO: SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL); break;
    case TLS_AUTH_CLIENTS_OPTIONAL: SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL); break;
    default: /* yes, and anything unexpected: fail closed */
        SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        break;
    }
    SSL_set_fd(ssl, fd);
    SSL_set_accept_state(ssl);
    /* A handshake flight is several small writes: Nagle would hold the
     * later ones for the client's delayed ACK. */
    conn_enable_nodelay(c);
    conn_set_state(c, CONN_STATE_CONNECTING, NULL);
    conn_set_private(c, priv);
    conn_set_connect_handler(c, on_ready);
    tls_conn *t = tls_conn_new(c, loop, ssl, TLS_ACCEPTING, timeout);
    conn_peer_name(c, t->peer, sizeof(t->peer));
    tls_handshakes++;
    /* The ClientHello may already be here; the watcher finds it either way,
     * and the owner has the conn before anything runs. */
    conn_watch(c, 1, 0);
    return c;
}

conn *tls_conn_connect(tls_context *ctx, struct ev_loop *loop, const char *host, int port,
                       const char *source_addr, const char *sni, double timeout,
                       conn_handler *on_connect)
{
    ERR_clear_error();
    SSL *ssl = SSL_new(ctx->client);
    if (!ssl) {
        errno = ENOMEM;
        return NULL;
    }
    if (sni && sni[0])
        SSL_set_tlsext_host_name(ssl, sni);
    conn *c = conn_connect(loop, host, port, source_addr, on_connect);
    if (!c) {
        int saved = errno;
        SSL_free(ssl);
        errno = saved;
        return NULL;
    }
    tls_conn_new(c, loop, ssl, TLS_TCP_CONNECTING, timeout);
    conn_watch(c, 0, 1); /* writable: the TCP connect finished */
    return c;
}
