/* cli_tls: keel-cli's TLS link (--tls).
 *
 * hiredis 0.14 has no TLS, so over TLS keel-cli owns the socket: it
 * connects, runs the (blocking) handshake with OpenSSL, writes each command
 * as redisFormatCommandArgv formats it with SSL_write, and feeds hiredis's
 * redisReader from SSL_read.  Replies are therefore the same redisReply
 * objects the plain path gets from its redisContext, and everything above
 * the link (printing, MULTI, MONITOR...) is shared.  The options and the
 * messages follow redis-cli's: the server's certificate chain is verified
 * against --cacert/--cacertdir (the system's store by default) unless
 * --insecure; the host name is not checked, as redis-cli does not. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cli.h"

struct cli_tls {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    redisReader *reader;
    int eof; /* the server closed the connection */
    char errstr[256];
};

void cli_tls_free(struct cli_tls *t)
{
    if (!t)
        return;
    if (t->ssl) {
        /* close_notify, best effort: the server does not need it. */
        if (!t->eof && t->errstr[0] == '\0')
            SSL_shutdown(t->ssl);
        SSL_free(t->ssl);
    }
    SSL_CTX_free(t->ctx);
    if (t->fd >= 0)
        close(t->fd);
    if (t->reader)
        redisReaderFree(t->reader);
    free(t);
}

const char *cli_tls_error(const struct cli_tls *t)
{
    return t->errstr;
}

int cli_tls_eof(const struct cli_tls *t)
{
    return t->eof;
}

/* Blocking TCP connect to the first address that answers, as hiredis's
 * redisConnect does (with TCP_NODELAY).  -1 with errno. */
static int cli_tls_tcp_connect(const char *host, int port)
{
    struct addrinfo hints = {0}, *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        errno = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
        return -1;
    }
    int fd = -1, saved = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        errno = saved;
        return -1;
    }
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    /* Keepalive as the plain path's redisEnableKeepAlive: a dead server
     * behind a NAT is noticed instead of hanging the next command. */
    int idle = 15, intvl = 5, cnt = 3;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &yes, sizeof(yes));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    return fd;
}

/* The client context from the options; NULL after saying why. */
static SSL_CTX *cli_tls_context(const struct cli *c)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        fprintf(stderr, "Could not negotiate a TLS connection: Failed to create SSL_CTX\n");
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3);
    SSL_CTX_set_verify(ctx, c->tls_insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    const char *why = NULL;
    if (c->tls_cacert || c->tls_cacertdir) {
        if (!SSL_CTX_load_verify_locations(ctx, c->tls_cacert, c->tls_cacertdir))
            why = "Invalid CA Certificate File/Directory";
    } else if (!SSL_CTX_set_default_verify_paths(ctx)) {
        why = "Failed to use default CA paths";
    }
    if (!why && c->tls_cert && !SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert))
        why = "Invalid client certificate";
    if (!why && c->tls_key && !SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM))
        why = "Invalid private key";
    if (!why && c->tls_ciphers && !SSL_CTX_set_cipher_list(ctx, c->tls_ciphers))
        why = "Error while configuring ciphers";
    if (!why && c->tls_ciphersuites && !SSL_CTX_set_ciphersuites(ctx, c->tls_ciphersuites))
        why = "Error while setting cypher suites";
    if (why) {
        fprintf(stderr, "Could not negotiate a TLS connection: %s\n", why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static const char *cli_tls_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown error";
}

struct cli_tls *cli_tls_connect(const struct cli *c)
{
    if (c->tls_cert && !c->tls_key) {
        fprintf(stderr, "Could not negotiate a TLS connection: Invalid private key\n");
        return NULL;
    }
    struct cli_tls *t = calloc(1, sizeof(*t));
    if (!t)
        cli_die_oom();
    t->fd = -1;
    ERR_clear_error();
    t->ctx = cli_tls_context(c);
    if (!t->ctx)
        goto fail;
    t->fd = cli_tls_tcp_connect(c->host, c->port);
    if (t->fd < 0) {
        fprintf(stderr, "Could not connect to Keel at %s:%d: %s\n", c->host, c->port,
                strerror(errno));
        goto fail;
    }
    t->ssl = SSL_new(t->ctx);
    if (!t->ssl)
        cli_die_oom();
    if (c->tls_sni)
        SSL_set_tlsext_host_name(t->ssl, c->tls_sni);
    SSL_set_fd(t->ssl, t->fd);
    if (SSL_connect(t->ssl) != 1) {
        fprintf(stderr, "Could not connect to Keel at %s:%d: SSL_connect failed: %s\n", c->host,
                c->port, cli_tls_reason());
        t->eof = 1; /* no close_notify on a failed handshake */
        goto fail;
    }
    t->reader = redisReaderCreate();
    if (!t->reader)
        cli_die_oom();
    return t;
fail:
    cli_tls_free(t);
    return NULL;
}

/* An SSL_read or SSL_write that failed: what hiredis would have said. */
static void cli_tls_failed(struct cli_tls *t, int rc, int saved_errno)
{
    int e = SSL_get_error(t->ssl, rc);
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && saved_errno == 0)) {
        t->eof = 1;
        snprintf(t->errstr, sizeof(t->errstr), "Server closed the connection");
    } else if (e == SSL_ERROR_SYSCALL) {
        snprintf(t->errstr, sizeof(t->errstr), "%s", strerror(saved_errno));
    } else {
        snprintf(t->errstr, sizeof(t->errstr), "%s", cli_tls_reason());
    }
}

int cli_tls_send(struct cli_tls *t, int argc, const char **argv, const size_t *lens)
{
    char *cmd = NULL;
    long long len = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (len < 0)
        cli_die_oom();
    long long off = 0;
    int rc = 0;
    while (off < len) {
        size_t chunk = (size_t)(len - off) > (1u << 30) ? (1u << 30) : (size_t)(len - off);
        ERR_clear_error();
        errno = 0;
        int n = SSL_write(t->ssl, cmd + off, (int)chunk);
        if (n <= 0) {
            cli_tls_failed(t, n, errno);
            rc = -1;
            break;
        }
        off += n;
    }
    redisFreeCommand(cmd);
    return rc;
}

int cli_tls_get_reply(struct cli_tls *t, redisReply **reply)
{
    *reply = NULL;
    for (;;) {
        void *r = NULL;
        if (redisReaderGetReply(t->reader, &r) != REDIS_OK) {
            snprintf(t->errstr, sizeof(t->errstr), "%s", t->reader->errstr);
            return -1;
        }
        if (r) {
            *reply = r;
            return 0;
        }
        char buf[16 * 1024];
        ERR_clear_error();
        errno = 0;
        int n = SSL_read(t->ssl, buf, sizeof(buf));
        if (n <= 0) {
            cli_tls_failed(t, n, errno);
            return -1;
        }
        if (redisReaderFeed(t->reader, buf, (size_t)n) != REDIS_OK) {
            snprintf(t->errstr, sizeof(t->errstr), "%s", t->reader->errstr);
            return -1;
        }
    }
}
