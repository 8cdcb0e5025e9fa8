/* test_tls: integration tests of TLS against a real keel-server, with
 * OpenSSL used directly as the client (hiredis 0.14 has no TLS; its
 * redisReader parses the replies).  Certificates come from
 * deploy/gen-certs.sh: two independent CAs, so a certificate from the second
 * one is "untrusted".  Covered: PING/SET/GET and a big pipelined write;
 * plain text to the TLS port (refused, logged, others unaffected);
 * tls-auth-clients yes/optional/no; an untrusted client certificate; a
 * silent connection that never handshakes (others keep working; it is cut
 * off by the handshake timeout); CONFIG SET of the certificate (reload,
 * existing connections unaffected, a bad file refused with the old context
 * kept, in-place renewal of the same path); tls-port 0 -> N at run time;
 * TLS only (port 0); an encrypted key; tls-protocols; session resumption;
 * start-up refusals; maxclients told over TLS; the defaults CONFIG GET
 * shows. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "harness.h"

static char certs[256]; /* certs/ca1 (trusted), certs/ca2 (untrusted) */

/* -------------------------------------------------------------- helpers */

static void path_of(char *out, size_t size, const char *ca, const char *file)
{
    snprintf(out, size, "%s/%s/%s", certs, ca, file);
}

/* "--tls-port P --tls-cert-file ... --tls-key-file ... --tls-ca-cert-file ..."
 * for the trusted CA, plus extra. */
static void tls_args(char *out, size_t size, int tls_port, const char *extra)
{
    snprintf(out, size,
             "--tls-port %d --tls-cert-file %s/ca1/server.crt --tls-key-file %s/ca1/server.key "
             "--tls-ca-cert-file %s/ca1/ca.crt %s",
             tls_port, certs, certs, certs, extra ? extra : "");
}

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    /* Every wait in these tests is bounded. */
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    return fd;
}

typedef struct tls_client {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    redisReader *reader;
} tls_client;

typedef struct tls_opts {
    const char *ca;      /* "ca1", "ca2": which CA verifies the server; NULL: no check */
    const char *cert_ca; /* client certificate from this CA; NULL: none */
    int max_version;     /* 0, or TLS1_2_VERSION */
    SSL_SESSION *session;
} tls_opts;

static void tls_client_free(tls_client *t)
{
    if (!t)
        return;
    if (t->ssl) {
        /* Without close_notify OpenSSL marks the session not resumable. */
        if (SSL_is_init_finished(t->ssl))
            SSL_shutdown(t->ssl);
        SSL_free(t->ssl);
    }
    if (t->ctx)
        SSL_CTX_free(t->ctx);
    if (t->fd >= 0)
        close(t->fd);
    if (t->reader)
        redisReaderFree(t->reader);
    free(t);
}

/* A TLS connection, or NULL if the TCP connect or the handshake failed. */
static tls_client *tls_open(int port, const tls_opts *o)
{
    char path[512], key[512];
    tls_client *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(t->ctx);
    if (o->ca) {
        path_of(path, sizeof(path), o->ca, "ca.crt");
        assert_int_equal(SSL_CTX_load_verify_locations(t->ctx, path, NULL), 1);
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
    }
    if (o->cert_ca) {
        path_of(path, sizeof(path), o->cert_ca, "client.crt");
        path_of(key, sizeof(key), o->cert_ca, "client.key");
        assert_int_equal(SSL_CTX_use_certificate_chain_file(t->ctx, path), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM), 1);
    }
    if (o->max_version)
        SSL_CTX_set_max_proto_version(t->ctx, o->max_version);
    t->reader = redisReaderCreate();
    t->fd = tcp_connect(port);
    if (t->fd < 0) {
        tls_client_free(t);
        return NULL;
    }
    t->ssl = SSL_new(t->ctx);
    SSL_set_fd(t->ssl, t->fd);
    if (o->session)
        SSL_set_session(t->ssl, o->session);
    ERR_clear_error();
    if (SSL_connect(t->ssl) != 1) {
        tls_client_free(t);
        return NULL;
    }
    return t;
}

static tls_client *tls_open_default(int port)
{
    tls_opts o = {.ca = "ca1", .cert_ca = "ca1"};
    return tls_open(port, &o);
}

static int tls_send_raw(tls_client *t, const char *p, size_t len)
{
    size_t off = 0;
    while (off < len) {
        int n = SSL_write(t->ssl, p + off, (int)(len - off));
        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    return 0;
}

/* The next reply, or NULL if the connection failed or closed first. */
static redisReply *tls_reply(tls_client *t)
{
    for (;;) {
        void *r = NULL;
        if (redisReaderGetReply(t->reader, &r) != REDIS_OK)
            return NULL;
        if (r)
            return r;
        char buf[16384];
        int n = SSL_read(t->ssl, buf, sizeof(buf));
        if (n <= 0)
            return NULL;
        redisReaderFeed(t->reader, buf, (size_t)n);
    }
}

/* One command (hiredis format) and its reply; NULL if the link failed. */
static redisReply *tls_cmd(tls_client *t, const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&cmd, fmt, ap);
    va_end(ap);
    assert_true(len > 0);
    int rc = tls_send_raw(t, cmd, (size_t)len);
    free(cmd);
    return rc == 0 ? tls_reply(t) : NULL;
}

static void expect_status(redisReply *r, const char *s)
{
    assert_non_null(r);
    if (r->type != REDIS_REPLY_STATUS)
        fail_msg("expected +%s, got type %d: %s", s, r->type, r->str ? r->str : "");
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

static void expect_bulk(redisReply *r, const char *s)
{
    assert_non_null(r);
    if (r->type != REDIS_REPLY_STRING)
        fail_msg("expected \"%s\", got type %d", s, r->type);
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

/* A TLS client can PING; the handshake may succeed from the client's side
 * and the server still refuse (TLS 1.3 checks the client certificate after
 * the client has finished), so "refused" means no reply. */
static int tls_can_ping(int port, const tls_opts *o)
{
    tls_client *t = tls_open(port, o);
    if (!t)
        return 0;
    redisReply *r = tls_cmd(t, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    if (r)
        freeReplyObject(r);
    tls_client_free(t);
    return ok;
}

static void expect_plain_ping(harness_server *s)
{
    redisContext *c = harness_connect(s);
    assert_non_null(c);
    redisReply *r = harness_cmd(c, "PING");
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, "PONG");
    freeReplyObject(r);
    redisFree(c);
}

static redisReply *plain_cmd(harness_server *s, const char *fmt, ...)
{
    redisContext *c = harness_connect(s);
    assert_non_null(c);
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    redisFree(c);
    return r;
}

static int log_contains(harness_server *s, const char *needle)
{
    char *log = harness_read_log(s);
    int found = log && strstr(log, needle) != NULL;
    free(log);
    return found;
}

struct log_wait {
    harness_server *s;
    const char *needle;
};
static int log_wait_cond(void *arg)
{
    struct log_wait *w = arg;
    return log_contains(w->s, w->needle);
}
static int log_wait_for(harness_server *s, const char *needle, int ms)
{
    struct log_wait w = {s, needle};
    return harness_wait_until(log_wait_cond, &w, ms);
}

/* 1 if the peer closes the socket within `ms` (bytes it sends are skipped). */
static int peer_closes(int fd, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return 1;
        if (n < 0)
            return 0; /* timed out: still open */
    }
}

static void start_tls_server(harness_server *s, int *tls_port, const char *extra)
{
    char args[2048];
    *tls_port = harness_free_port();
    tls_args(args, sizeof(args), *tls_port, extra);
    assert_int_equal(harness_start_server(s, args), 0);
}

/* Whether the server presented the server certificate of this CA's set. */
static int peer_cert_is(tls_client *t, const char *ca)
{
    char path[512];
    path_of(path, sizeof(path), ca, "server.crt");
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    X509 *want = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    X509 *got = SSL_get1_peer_certificate(t->ssl);
    int same = want && got && X509_cmp(want, got) == 0;
    X509_free(want);
    X509_free(got);
    return same;
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* ---------------------------------------------------------------- tests */

static void test_ping_set_get(void **state)
{
    (void)state;
    harness_server s = {0};
    int tls_port;
    start_tls_server(&s, &tls_port, NULL);
    tls_client *t = tls_open_default(tls_port);
    assert_non_null(t);
    expect_status(tls_cmd(t, "PING"), "PONG");
    expect_status(tls_cmd(t, "SET %s %s", "greeting", "hello over tls"), "OK");
    expect_bulk(tls_cmd(t, "GET %s", "greeting"), "hello over tls");
    tls_client_free(t);
    /* The same data is there over plain TCP: one server, two doors. */
    redisReply *r = plain_cmd(&s, "GET greeting");
    assert_string_equal(r->str, "hello over tls");
    freeReplyObject(r);
    assert_true(log_contains(&s, "Ready to accept connections tls on port"));
    harness_stop_server(&s);
}

/* A big value and a pipeline written in one go, spread over many TLS
 * records, answered in order and in full.  (Bytes left decrypted inside
 * SSL, which no socket event announces, are covered by unit/test_tls_conn,
 * whose reader takes less than a record at a time.) */
static void test_pipeline_big_value(void **state)
{
    (void)state;
    harness_server s = {0};
    int tls_port;
    start_tls_server(&s, &tls_port, NULL);
    tls_client *t = tls_open_default(tls_port);
    assert_non_null(t);

    size_t big = 300 * 1000 + 7;
    char *value = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        value[i] = (char)('a' + i % 26);
    value[big] = '\0';
    char *req = NULL;
    int len = redisFormatCommand(&req, "SET big %b", value, big);
    size_t total = (size_t)len + 100 * 64;
    char *all = malloc(total);
    memcpy(all, req, (size_t)len);
    size_t off = (size_t)len;
    for (int i = 0; i < 100; i++)
        off += (size_t)snprintf(all + off, total - off, "*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n");
    free(req);
    assert_int_equal(tls_send_raw(t, all, off), 0);
    expect_status(tls_reply(t), "OK");
    for (int i = 1; i <= 100; i++) {
        redisReply *r = tls_reply(t);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        assert_int_equal(r->integer, i);
        freeReplyObject(r);
    }
    redisReply *r = tls_cmd(t, "GET big");
    assert_non_null(r);
    assert_int_equal(r->len, big);
    assert_memory_equal(r->str, value, big);
    freeReplyObject(r);
    free(all);
    free(value);
    tls_client_free(t);
    harness_stop_server(&s);
}

static void test_plain_text_refused(void **state)
{
    (void)state;
    harness_server s = {0};
    int tls_port;
    start_tls_server(&s, &tls_port, NULL);
    tls_client *before = tls_open_default(tls_port);
    assert_non_null(before);

    int fd = tcp_connect(tls_port);
    assert_true(fd >= 0);
    const char ping[] = "*1\r\n$4\r\nPING\r\n";
    assert_int_equal(send(fd, ping, sizeof(ping) - 1, 0), (ssize_t)sizeof(ping) - 1);
    char buf[256] = {0};
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    /* Whatever comes back (a TLS alert, or nothing) is not a reply. */
    assert_true(n <= 0 || strstr(buf, "PONG") == NULL);
    assert_true(peer_closes(fd, 3000));
    struct sockaddr_in me;
    socklen_t mlen = sizeof(me);
    getsockname(fd, (struct sockaddr *)&me, &mlen);
    close(fd);

    char addr[64];
    snprintf(addr, sizeof(addr), "addr=127.0.0.1:%d", ntohs(me.sin_port));
    assert_true(log_wait_for(&s, "Error accepting a client connection", 2000));
    assert_true(log_contains(&s, addr));
    assert_true(log_contains(&s, "wrong version number"));
    /* Others are served: the connection made before, a new one, plain TCP. */
    expect_status(tls_cmd(before, "PING"), "PONG");
    tls_client_free(before);
    tls_opts o = {.ca = "ca1", .cert_ca = "ca1"};
    assert_true(tls_can_ping(tls_port, &o));
    expect_plain_ping(&s);
    harness_stop_server(&s);
}

static void test_auth_clients(void **state)
{
    (void)state;
    harness_server s = {0};
    int tls_port;
    start_tls_server(&s, &tls_port, NULL);
    tls_opts with = {.ca = "ca1", .cert_ca = "ca1"};
    tls_opts without = {.ca = "ca1"};

    /* yes (the default): a certificate is required. */
    assert_false(tls_can_ping(tls_port, &without));
    assert_true(log_wait_for(&s, "peer did not return a certificate", 2000));
    assert_true(tls_can_ping(tls_port, &with));

    /* optional: none is fine, a valid one too. */
    expect_status(plain_cmd(&s, "CONFIG SET tls-auth-clients optional"), "OK");
    assert_true(tls_can_ping(tls_port, &without));
    assert_true(tls_can_ping(tls_port, &with));
    /* ...but one that is there must be valid. */
    tls_opts untrusted = {.ca = "ca1", .cert_ca = "ca2"};
    assert_false(tls_can_ping(tls_port, &untrusted));

    /* no: certificates are not asked for. */
    expect_status(plain_cmd(&s, "CONFIG SET tls-auth-clients no"), "OK");
    assert_true(tls_can_ping(tls_port, &without));
    assert_true(tls_can_ping(tls_port, &untrusted));

    redisReply *r = plain_cmd(&s, "CONFIG SET tls-auth-clients maybe");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "ERR CONFIG SET failed (possibly related to argument "
                                "'tls-auth-clients') - argument(s) must be one of the "
                                "following: no, yes, optional");
    freeReplyObject(r);
    harness_stop_server(&s);
}

static void test_untrusted_client_cert(void **state)
{
    (void)state;
    harness_server s = {0};
    int tls_port;
    start_tls_server(&s, &tls_port, NULL);
    tls_opts untrusted = {.ca = "ca1", .cert_ca = "ca2"};
    assert_false(tls_can_ping(tls_port, &untrusted));
    assert_true(log_wait_for(&s, "certificate verify failed", 2000));
    /* A client that does not trust the server's CA gives up by itself. */
    tls_opts wrong_ca = {.ca = "ca2", .cert_ca = "ca1"};
    assert_null(tls_open(tls_port, &wrong_ca));
    tls_opts ok = {.ca = "ca1", .cert_ca = "ca1"};
    assert_true(tls_can_ping(tls_port, &ok));
    harness_stop_server(&s);
}

/* A connection that never says anything costs the others nothing, and is
 * cut off by the handshake timeout (here the 1 s idle timeout). */
static void test_silent_connection(void **state)
{
    (void)state;
    harness_server s = {0};
    int tls_port;
    start_tls_server(&s, &tls_port, "--timeout 1");
    int silent = tcp_connect(tls_port);
    assert_true(silent >= 0);
    /* and one that stops half-way through its ClientHello */
    int partial = tcp_connect(tls_port);
    assert_true(partial >= 0);
    const char hello_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
    assert_int_equal(send(partial, hello_start, sizeof(hello_start), 0), sizeof(hello_start));

    tls_client *t = tls_open_default(tls_port);
    assert_non_null(t);
    expect_status(tls_cmd(t, "PING"), "PONG");
    expect_plain_ping(&s);

    assert_true(peer_closes(silent, 4000));
    assert_true(peer_closes(partial, 4000));
    close(silent);
    close(partial);
    assert_true(log_wait_for(&s, "TLS handshake timed out", 2000));
    /* The established connection was not idle long enough to be closed. */
    expect_status(tls_cmd(t, "PING"), "PONG");
    tls_client_free(t);
    harness_stop_server(&s);
}

static void test_reload_certificate(void **state)
{
    (void)state;
    harness_server s = {0};
    int tls_port;
    start_tls_server(&s, &tls_port, NULL);
    tls_client *old = tls_open_default(tls_port);
    assert_non_null(old);
    assert_true(peer_cert_is(old, "ca1"));

    /* The second CA's server certificate (its chain is trusted by ca2). */
    redisReply *r = plain_cmd(&s,
                              "CONFIG SET tls-cert-file %s/ca2/server.crt tls-key-file "
                              "%s/ca2/server.key",
                              certs, certs);
    expect_status(r, "OK");
    expect_status(tls_cmd(old, "PING"), "PONG"); /* existing connections keep working */
    tls_opts via_ca1 = {.ca = "ca1", .cert_ca = "ca1"};
    tls_opts via_ca2 = {.ca = "ca2", .cert_ca = "ca1"};
    assert_null(tls_open(tls_port, &via_ca1)); /* the new certificate is served */
    tls_client *fresh = tls_open(tls_port, &via_ca2);
    assert_non_null(fresh);
    assert_true(peer_cert_is(fresh, "ca2"));
    expect_status(tls_cmd(fresh, "PING"), "PONG");
    tls_client_free(fresh);

    /* A bad file: an error, and the context in use stays. */
    r = plain_cmd(&s, "CONFIG SET tls-cert-file %s/missing.crt", certs);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "ERR CONFIG SET failed (possibly related to argument "
                                "'tls-cert-file') - Unable to update TLS configuration. Check "
                                "server logs.");
    freeReplyObject(r);
    assert_true(log_contains(&s, "Failed to load certificate"));
    r = plain_cmd(&s, "CONFIG GET tls-cert-file");
    assert_int_equal(r->elements, 2);
    assert_non_null(strstr(r->element[1]->str, "/ca2/server.crt"));
    freeReplyObject(r);
    assert_true(tls_can_ping(tls_port, &via_ca2));
    /* A key that does not match the certificate is refused too. */
    r = plain_cmd(&s, "CONFIG SET tls-key-file %s/ca1/server.key", certs);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    assert_true(tls_can_ping(tls_port, &via_ca2));
    expect_status(tls_cmd(old, "PING"), "PONG");
    tls_client_free(old);
    harness_stop_server(&s);
}

/* Renewal in place: new contents under the same path, then CONFIG SET of
 * the same value reloads it. */
static void test_reload_same_path(void **state)
{
    (void)state;
    char dir[300], cmd[2048], extra[2048];
    snprintf(dir, sizeof(dir), "%s/inplace", certs);
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s && cp %s/ca1/server.crt %s/ca1/server.key %s/ && cat %s/ca1/ca.crt "
             "%s/ca2/ca.crt > %s/both.crt",
             dir, certs, certs, dir, certs, certs, dir);
    assert_int_equal(run(cmd), 0);
    harness_server s = {0};
    int tls_port = harness_free_port();
    snprintf(extra, sizeof(extra),
             "--tls-port %d --tls-cert-file %s/server.crt --tls-key-file %s/server.key "
             "--tls-ca-cert-file %s/both.crt",
             tls_port, dir, dir, dir);
    assert_int_equal(harness_start_server(&s, extra), 0);
    tls_opts via_ca1 = {.ca = "ca1", .cert_ca = "ca1"};
    tls_opts via_ca2 = {.ca = "ca2", .cert_ca = "ca1"};
    assert_true(tls_can_ping(tls_port, &via_ca1));

    snprintf(cmd, sizeof(cmd), "cp %s/ca2/server.crt %s/ca2/server.key %s/", certs, certs, dir);
    assert_int_equal(run(cmd), 0);
    assert_true(tls_can_ping(tls_port, &via_ca1)); /* nothing reloads by itself */
    redisReply *r = plain_cmd(
        &s, "CONFIG SET tls-cert-file %s/server.crt tls-key-file %s/server.key", dir, dir);
    expect_status(r, "OK");
    assert_true(tls_can_ping(tls_port, &via_ca2));
    assert_false(tls_can_ping(tls_port, &via_ca1));
    harness_stop_server(&s);
}

static void test_tls_port_at_runtime(void **state)
{
    (void)state;
    harness_server s = {0};
    char args[2048];
    /* Files configured but no TLS port yet. */
    snprintf(args, sizeof(args),
             "--tls-cert-file %s/ca1/server.crt --tls-key-file %s/ca1/server.key "
             "--tls-ca-cert-file %s/ca1/ca.crt",
             certs, certs, certs);
    assert_int_equal(harness_start_server(&s, args), 0);
    int p1 = harness_free_port();
    expect_status(plain_cmd(&s, "CONFIG SET tls-port %d", p1), "OK");
    tls_opts ok = {.ca = "ca1", .cert_ca = "ca1"};
    assert_true(tls_can_ping(p1, &ok));
    int p2 = harness_free_port();
    expect_status(plain_cmd(&s, "CONFIG SET tls-port %d", p2), "OK");
    assert_true(tls_can_ping(p2, &ok));
    assert_false(tls_can_ping(p1, &ok)); /* the old port is closed */
    /* The plain port cannot be taken for TLS too. */
    redisReply *r = plain_cmd(&s, "CONFIG SET tls-port %d", s.port);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "ERR CONFIG SET failed (possibly related to argument 'tls-port') "
                                "- Unable to listen on this port. Check server logs.");
    freeReplyObject(r);
    assert_true(tls_can_ping(p2, &ok));
    expect_status(plain_cmd(&s, "CONFIG SET tls-port 0"), "OK");
    assert_false(tls_can_ping(p2, &ok));
    expect_plain_ping(&s);
    harness_stop_server(&s);
}

/* port 0 + tls-port N: TLS only.  The harness always adds --port, so this
 * test starts the server itself. */
static void test_tls_only(void **state)
{
    (void)state;
    char dir[] = "/tmp/keel-tls-only-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int tls_port = harness_free_port();
    char tp[16], cert[512], key[512], ca[512], logpath[600];
    snprintf(tp, sizeof(tp), "%d", tls_port);
    path_of(cert, sizeof(cert), "ca1", "server.crt");
    path_of(key, sizeof(key), "ca1", "server.key");
    path_of(ca, sizeof(ca), "ca1", "ca.crt");
    snprintf(logpath, sizeof(logpath), "%s/server.log", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execl(getenv("KEEL_SERVER"), "keel-server", "--port", "0", "--tls-port", tp,
              "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca, "--dir",
              dir, (char *)NULL);
        _exit(127);
    }
    tls_opts ok = {.ca = "ca1", .cert_ca = "ca1"};
    int up = 0;
    for (int i = 0; i < 100 && !up; i++) {
        up = tls_can_ping(tls_port, &ok);
        if (!up)
            harness_sleep_ms(50);
    }
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    char rm[128];
    snprintf(rm, sizeof(rm), "rm -rf %s", dir);
    run(rm);
    assert_true(up);
}

static void test_encrypted_key(void **state)
{
    (void)state;
    char cmd[1024], extra[1024];
    snprintf(cmd, sizeof(cmd),
             "openssl pkey -in %s/ca1/server.key -aes256 -passout pass:s3cret -out "
             "%s/server-enc.key",
             certs, certs);
    assert_int_equal(run(cmd), 0);
    harness_server s = {0};
    int tls_port = harness_free_port();
    snprintf(extra, sizeof(extra),
             "--tls-port %d --tls-cert-file %s/ca1/server.crt --tls-key-file %s/server-enc.key "
             "--tls-key-file-pass s3cret --tls-ca-cert-file %s/ca1/ca.crt",
             tls_port, certs, certs, certs);
    assert_int_equal(harness_start_server(&s, extra), 0);
    tls_opts ok = {.ca = "ca1", .cert_ca = "ca1"};
    assert_true(tls_can_ping(tls_port, &ok));
    /* The passphrase is a secret: CONFIG GET shows it (as Redis does) but
     * a wrong one refuses the reload. */
    redisReply *r = plain_cmd(&s, "CONFIG SET tls-key-file-pass wrong");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    assert_true(tls_can_ping(tls_port, &ok));
    harness_stop_server(&s);

    /* A wrong passphrase at start-up stops the server with a reason. */
    harness_server bad = {0};
    snprintf(extra, sizeof(extra),
             "--tls-port %d --tls-cert-file %s/ca1/server.crt --tls-key-file %s/server-enc.key "
             "--tls-key-file-pass nope --tls-ca-cert-file %s/ca1/ca.crt",
             harness_free_port(), certs, certs, certs);
    assert_int_equal(harness_run_server_expect_exit(&bad, extra, 5000), 1);
    assert_true(log_contains(&bad, "Failed to load private key"));
    assert_true(log_contains(&bad, "Failed to configure TLS. Check logs for more info."));
    harness_stop_server(&bad);
}

static void test_startup_refusals(void **state)
{
    (void)state;
    char extra[1024];
    harness_server s = {0};
    /* tls-auth-clients yes needs a CA to check certificates against. */
    snprintf(extra, sizeof(extra),
             "--tls-port %d --tls-cert-file %s/ca1/server.crt --tls-key-file %s/ca1/server.key",
             harness_free_port(), certs, certs);
    assert_int_equal(harness_run_server_expect_exit(&s, extra, 5000), 1);
    assert_true(log_contains(&s, "Either tls-ca-cert-file or tls-ca-cert-dir must be specified"));
    harness_stop_server(&s);

    snprintf(extra, sizeof(extra), "--tls-port %d --tls-key-file %s/ca1/server.key",
             harness_free_port(), certs);
    assert_int_equal(harness_run_server_expect_exit(&s, extra, 5000), 1);
    assert_true(log_contains(&s, "No tls-cert-file configured!"));
    harness_stop_server(&s);

    snprintf(extra, sizeof(extra),
             "--tls-port %d --tls-cert-file %s/ca1/server.crt --tls-key-file %s/ca1/server.key "
             "--tls-ca-cert-file %s/ca1/ca.crt --tls-protocols TLSv9",
             harness_free_port(), certs, certs, certs);
    assert_int_equal(harness_run_server_expect_exit(&s, extra, 5000), 1);
    assert_true(log_contains(&s, "Invalid tls-protocols specified."));
    harness_stop_server(&s);

    /* auth-clients no needs no CA. */
    int tls_port;
    start_tls_server(&s, &tls_port, "--tls-auth-clients no");
    harness_stop_server(&s);
}

static void test_protocols_and_sessions(void **state)
{
    (void)state;
    harness_server s = {0};
    int tls_port;
    start_tls_server(&s, &tls_port, "--tls-protocols TLSv1.3");
    tls_opts v12 = {.ca = "ca1", .cert_ca = "ca1", .max_version = TLS1_2_VERSION};
    assert_null(tls_open(tls_port, &v12));
    expect_status(plain_cmd(&s, "CONFIG SET tls-protocols %s", "TLSv1.2 TLSv1.3"), "OK");
    tls_client *t = tls_open(tls_port, &v12);
    assert_non_null(t);
    assert_int_equal(SSL_version(t->ssl), TLS1_2_VERSION);
    expect_status(tls_cmd(t, "PING"), "PONG");
    tls_client_free(t);
    redisReply *r = plain_cmd(&s, "CONFIG SET tls-protocols TLSv9");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    r = plain_cmd(&s, "CONFIG SET tls-ciphersuites NOPE");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);

    /* Session resumption (on by default): a second connection resumes. */
    tls_opts o = {.ca = "ca1", .cert_ca = "ca1"};
    t = tls_open(tls_port, &o);
    assert_non_null(t);
    expect_status(tls_cmd(t, "PING"), "PONG"); /* TLS 1.3 tickets come after the handshake */
    SSL_SESSION *sess = SSL_get1_session(t->ssl);
    assert_non_null(sess);
    tls_client_free(t);
    o.session = sess;
    t = tls_open(tls_port, &o);
    assert_non_null(t);
    assert_int_equal(SSL_session_reused(t->ssl), 1);
    expect_status(tls_cmd(t, "PING"), "PONG");
    tls_client_free(t);
    SSL_SESSION_free(sess);

    expect_status(plain_cmd(&s, "CONFIG SET tls-session-caching no"), "OK");
    o.session = NULL;
    t = tls_open(tls_port, &o);
    assert_non_null(t);
    expect_status(tls_cmd(t, "PING"), "PONG");
    sess = SSL_get1_session(t->ssl);
    tls_client_free(t);
    o.session = sess;
    t = tls_open(tls_port, &o);
    assert_non_null(t);
    assert_int_equal(SSL_session_reused(t->ssl), 0);
    tls_client_free(t);
    SSL_SESSION_free(sess);
    harness_stop_server(&s);
}

/* maxclients reached: the client is told so over TLS, then closed. */
static void test_maxclients(void **state)
{
    (void)state;
    harness_server s = {0};
    int tls_port;
    start_tls_server(&s, &tls_port, "--maxclients 1");
    tls_client *a = tls_open_default(tls_port);
    assert_non_null(a);
    expect_status(tls_cmd(a, "PING"), "PONG");
    tls_client *b = tls_open_default(tls_port);
    assert_non_null(b);
    redisReply *r = tls_reply(b);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "ERR max number of clients reached");
    freeReplyObject(r);
    assert_null(tls_reply(b));
    tls_client_free(b);
    expect_status(tls_cmd(a, "PING"), "PONG");
    tls_client_free(a);
    harness_stop_server(&s);
}

static void test_config_get_defaults(void **state)
{
    (void)state;
    harness_server s = {0};
    assert_int_equal(harness_start_server(&s, NULL), 0);
    static const char *const expect[][2] = {
        {"tls-port", "0"},
        {"tls-cert-file", ""},
        {"tls-auth-clients", "yes"},
        {"tls-prefer-server-ciphers", "no"},
        {"tls-session-caching", "yes"},
        {"tls-session-cache-size", "20480"},
        {"tls-session-cache-timeout", "300"},
        {"tls-replication", "no"},
        {"tls-cluster", "no"},
        {"tls-protocols", ""},
    };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        redisReply *r = plain_cmd(&s, "CONFIG GET %s", expect[i][0]);
        assert_int_equal(r->elements, 2);
        assert_string_equal(r->element[1]->str, expect[i][1]);
        freeReplyObject(r);
    }
    /* Without TLS in use, the files are only stored (as Redis does). */
    expect_status(plain_cmd(&s, "CONFIG SET tls-cert-file /nonexistent"), "OK");
    redisReply *r = plain_cmd(&s, "CONFIG SET tls-session-cache-size -1");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "ERR CONFIG SET failed (possibly related to argument "
                                "'tls-session-cache-size') - argument must be between 0 and "
                                "2147483647 inclusive");
    freeReplyObject(r);
    harness_stop_server(&s);
}

/* ------------------------------------------------------------ fixtures */

static int certs_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    snprintf(certs, sizeof(certs), "/tmp/keel-tls-certs-XXXXXX");
    if (!mkdtemp(certs))
        return -1;
    const char *src = getenv("KEEL_SOURCE_DIR");
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "%s/deploy/gen-certs.sh %s/ca1 >/dev/null && %s/deploy/gen-certs.sh %s/ca2 "
             ">/dev/null",
             src ? src : ".", certs, src ? src : ".", certs);
    if (run(cmd) != 0) {
        fprintf(stderr, "test_tls: gen-certs.sh failed\n");
        return -1;
    }
    return 0;
}

static int certs_teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certs);
    return run(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_set_get),           cmocka_unit_test(test_pipeline_big_value),
        cmocka_unit_test(test_plain_text_refused),     cmocka_unit_test(test_auth_clients),
        cmocka_unit_test(test_untrusted_client_cert),  cmocka_unit_test(test_silent_connection),
        cmocka_unit_test(test_reload_certificate),     cmocka_unit_test(test_reload_same_path),
        cmocka_unit_test(test_tls_port_at_runtime),    cmocka_unit_test(test_tls_only),
        cmocka_unit_test(test_encrypted_key),          cmocka_unit_test(test_startup_refusals),
        cmocka_unit_test(test_protocols_and_sessions), cmocka_unit_test(test_maxclients),
        cmocka_unit_test(test_config_get_defaults),
    };
    return cmocka_run_group_tests(tests, certs_setup, certs_teardown);
}
