/* test_tls_conn.c: unit tests for common/tls with both ends in one process
 * and one libev loop: an accepted TLS conn (tls_conn_accept) echoing what
 * an outgoing one (tls_conn_connect) sends, 2 MB each way through the
 * EAGAIN/write-handler path; a server certificate the client does not
 * trust; a handshake nobody answers (the timeout); a conn closed by its
 * owner from inside its read handler; and tls_context_create's refusals.
 * Certificates come from deploy/gen-certs.sh, found from this file's path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "conn.h"
#include "tls.h"

static char certs[256];

static void cert_path(char *out, size_t size, const char *ca, const char *file)
{
    snprintf(out, size, "%s/%s/%s", certs, ca, file);
}

static tls_context *make_context(const char *ca_of_ca, int auth_clients, char *err, size_t errlen)
{
    char cert[300], key[300], ca[300];
    cert_path(cert, sizeof(cert), "ca1", "server.crt");
    cert_path(key, sizeof(key), "ca1", "server.key");
    cert_path(ca, sizeof(ca), ca_of_ca, "ca.crt");
    tls_options o = {.cert_file = cert,
                     .key_file = key,
                     .ca_cert_file = ca,
                     .session_caching = 1,
                     .session_cache_size = 100,
                     .session_cache_timeout = 60,
                     .auth_clients = auth_clients};
    return tls_context_create(&o, err, errlen);
}

/* ------------------------------------------------------- the two ends */

#define PAYLOAD (2 * 1024 * 1024)

typedef struct echo_test {
    struct ev_loop *loop;
    tls_context *server_ctx, *client_ctx;
    int listen_fd;
    ev_io accept_w;
    ev_timer guard; /* ends a stuck test */
    conn *server, *client;
    /* server side: echoes back what it reads */
    char sbuf[64 * 1024];
    size_t slen;
    int server_ready, server_closed_itself;
    int close_on_quit;
    /* client side */
    char *out, *in;
    size_t out_pos, in_len;
    int connect_state;
    char connect_error[128];
    int done;
} echo_test;

static void echo_on_server_writable(conn *c);

static void echo_server_flush(echo_test *t)
{
    while (t->slen > 0) {
        ssize_t n = conn_write(t->server, t->sbuf, t->slen);
        if (n < 0) {
            assert_int_equal(errno, EAGAIN);
            break;
        }
        memmove(t->sbuf, t->sbuf + n, t->slen - (size_t)n);
        t->slen -= (size_t)n;
    }
    conn_set_write_handler(t->server, t->slen ? echo_on_server_writable : NULL);
}

static void echo_on_server_readable(conn *c);

static void echo_on_server_writable(conn *c)
{
    echo_test *t = conn_get_private(c);
    echo_server_flush(t);
    /* Reading resumes once the echo buffer has room again. */
    if (t->slen < sizeof(t->sbuf))
        conn_set_read_handler(c, echo_on_server_readable);
}

static void echo_on_server_readable(conn *c)
{
    echo_test *t = conn_get_private(c);
    /* QUIT mode reads 4 bytes at a time, leaving the rest inside SSL. */
    size_t room = t->close_on_quit ? 4 : sizeof(t->sbuf) - t->slen;
    ssize_t n = conn_read(c, t->sbuf + t->slen, room);
    if (n < 0 && errno == EAGAIN)
        return;
    if (n <= 0) {
        conn_close(c);
        t->server = NULL;
        return;
    }
    if (t->close_on_quit && n >= 4 && memcmp(t->sbuf + t->slen, "QUIT", 4) == 0) {
        conn_close(c); /* from inside the handler: deferred by conn */
        t->server = NULL;
        t->server_closed_itself = 1;
        return;
    }
    t->slen += (size_t)n;
    echo_server_flush(t);
    if (t->slen == sizeof(t->sbuf))
        conn_set_read_handler(c, NULL);
}

static void echo_on_server_ready(conn *c)
{
    echo_test *t = conn_get_private(c);
    t->server = c;
    t->server_ready = 1;
    conn_set_read_handler(c, echo_on_server_readable);
}

static void echo_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    echo_test *t = w->data;
    int fd = conn_accept_tcp(w->fd);
    if (fd < 0)
        return;
    assert_non_null(tls_conn_accept(t->server_ctx, loop, fd, TLS_AUTH_CLIENTS_YES, 5.0,
                                    echo_on_server_ready, t));
}

static void echo_on_client_writable(conn *c);

static void echo_client_send(echo_test *t)
{
    while (t->out_pos < PAYLOAD) {
        size_t chunk = PAYLOAD - t->out_pos;
        if (chunk > 100000)
            chunk = 100000;
        ssize_t n = conn_write(t->client, t->out + t->out_pos, chunk);
        if (n < 0) {
            assert_int_equal(errno, EAGAIN);
            break;
        }
        t->out_pos += (size_t)n;
    }
    conn_set_write_handler(t->client, t->out_pos < PAYLOAD ? echo_on_client_writable : NULL);
}

static void echo_on_client_writable(conn *c)
{
    echo_client_send(conn_get_private(c));
}

static void echo_on_client_readable(conn *c)
{
    echo_test *t = conn_get_private(c);
    /* Small reads on purpose: SSL keeps the rest of each record, which
     * only conn's feeding of the read watcher brings back. */
    ssize_t n =
        conn_read(c, t->in + t->in_len, PAYLOAD - t->in_len < 1000 ? PAYLOAD - t->in_len : 1000);
    if (n < 0 && errno == EAGAIN)
        return;
    assert_true(n > 0);
    t->in_len += (size_t)n;
    if (t->in_len == PAYLOAD) {
        t->done = 1;
        ev_break(t->loop, EVBREAK_ALL);
    }
}

static echo_test *current;

static void echo_on_client_connect(conn *c)
{
    echo_test *t = current;
    t->connect_state = conn_state(c);
    snprintf(t->connect_error, sizeof(t->connect_error), "%s", conn_last_error(c));
    if (t->connect_state != CONN_STATE_CONNECTED) {
        conn_close(c);
        t->client = NULL;
        ev_break(t->loop, EVBREAK_ALL);
        return;
    }
    conn_set_private(c, t);
    if (!t->out) {
        ev_break(t->loop, EVBREAK_ALL);
        return;
    }
    conn_set_read_handler(c, echo_on_client_readable);
    echo_client_send(t);
}

static void echo_on_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
    ev_break(loop, EVBREAK_ALL);
}

static void echo_setup(echo_test *t, const char *client_trusts)
{
    char err[512];
    memset(t, 0, sizeof(*t));
    current = t;
    t->loop = ev_loop_new(EVFLAG_AUTO);
    t->server_ctx = make_context("ca1", TLS_AUTH_CLIENTS_YES, err, sizeof(err));
    assert_non_null(t->server_ctx);
    t->client_ctx = make_context(client_trusts, TLS_AUTH_CLIENTS_YES, err, sizeof(err));
    assert_non_null(t->client_ctx);
    t->listen_fd = conn_listen_tcp("127.0.0.1", 0, 16, err, sizeof(err));
    assert_true(t->listen_fd >= 0);
    ev_io_init(&t->accept_w, echo_on_accept, t->listen_fd, EV_READ);
    t->accept_w.data = t;
    ev_io_start(t->loop, &t->accept_w);
    ev_timer_init(&t->guard, echo_on_guard, 20.0, 0.);
    ev_timer_start(t->loop, &t->guard);
}

static int echo_port(echo_test *t)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    getsockname(t->listen_fd, (struct sockaddr *)&sa, &len);
    return ntohs(sa.sin_port);
}

static void echo_teardown(echo_test *t)
{
    if (t->client)
        conn_close(t->client);
    ev_io_stop(t->loop, &t->accept_w);
    /* An accepted conn still in its handshake ends once it sees the close. */
    for (int i = 0; i < 200 && tls_handshakes_in_progress() > 0; i++) {
        ev_run(t->loop, EVRUN_NOWAIT);
        usleep(5000);
    }
    if (t->server)
        conn_close(t->server);
    ev_timer_stop(t->loop, &t->guard);
    close(t->listen_fd);
    tls_context_free(t->server_ctx);
    tls_context_free(t->client_ctx);
    ev_loop_destroy(t->loop);
    free(t->out);
    free(t->in);
    assert_int_equal(tls_handshakes_in_progress(), 0);
}

/* ---------------------------------------------------------------- tests */

static void test_echo_2mb(void **state)
{
    echo_test t;
    echo_setup(&t, "ca1");
    t.out = malloc(PAYLOAD);
    t.in = malloc(PAYLOAD);
    for (size_t i = 0; i < PAYLOAD; i++)
        t.out[i] = (char)(i * 7 + i / 251);
    t.client = tls_conn_connect(t.client_ctx, t.loop, "127.0.0.1", echo_port(&t), NULL, "localhost",
                                5.0, echo_on_client_connect);
    assert_non_null(t.client);
    ev_run(t.loop, 0);
    assert_int_equal(t.connect_state, CONN_STATE_CONNECTED);
    assert_true(t.server_ready);
    assert_true(t.done);
    assert_memory_equal(t.in, t.out, PAYLOAD);
    echo_teardown(&t);
}

static void test_untrusted_server(void **state)
{
    echo_test t;
    echo_setup(&t, "ca2"); /* the client trusts only the other CA */
    t.client = tls_conn_connect(t.client_ctx, t.loop, "127.0.0.1", echo_port(&t), NULL, NULL, 5.0,
                                echo_on_client_connect);
    assert_non_null(t.client);
    ev_run(t.loop, 0);
    assert_int_equal(t.connect_state, CONN_STATE_ERROR);
    assert_non_null(strstr(t.connect_error, "certificate verify failed"));
    assert_false(t.server_ready);
    echo_teardown(&t);
}

static void test_handshake_timeout(void **state)
{
    echo_test t;
    echo_setup(&t, "ca1");
    ev_io_stop(t.loop, &t.accept_w); /* nobody accepts: the handshake never starts */
    t.client = tls_conn_connect(t.client_ctx, t.loop, "127.0.0.1", echo_port(&t), NULL, NULL, 0.3,
                                echo_on_client_connect);
    assert_non_null(t.client);
    ev_run(t.loop, 0);
    assert_int_equal(t.connect_state, CONN_STATE_ERROR);
    assert_string_equal(t.connect_error, "TLS handshake timed out");
    echo_teardown(&t);
}

static void test_close_inside_handler(void **state)
{
    echo_test t;
    echo_setup(&t, "ca1");
    t.close_on_quit = 1;
    t.client = tls_conn_connect(t.client_ctx, t.loop, "127.0.0.1", echo_port(&t), NULL, NULL, 5.0,
                                echo_on_client_connect);
    ev_run(t.loop, 0); /* breaks once connected (no payload) */
    assert_int_equal(t.connect_state, CONN_STATE_CONNECTED);
    /* Two commands in one record: the server reads 4 bytes and closes,
     * with the other 4 still buffered inside SSL. */
    assert_int_equal(conn_write(t.client, "QUITQUIT", 8), 8);
    for (int i = 0; i < 100 && !t.server_closed_itself; i++)
        ev_run(t.loop, EVRUN_ONCE);
    assert_true(t.server_closed_itself);
    /* The client sees the end of the stream. */
    char buf[16];
    ssize_t n = -1;
    for (int i = 0; i < 100; i++) {
        n = conn_read(t.client, buf, sizeof(buf));
        if (n >= 0 || errno != EAGAIN)
            break;
        usleep(10000);
    }
    assert_int_equal(n, 0);
    echo_teardown(&t);
}

static void test_context_refusals(void **state)
{
    char err[512], cert[300], key[300], other_key[300], ca[300];
    cert_path(cert, sizeof(cert), "ca1", "server.crt");
    cert_path(key, sizeof(key), "ca1", "server.key");
    cert_path(other_key, sizeof(other_key), "ca2", "server.key");
    cert_path(ca, sizeof(ca), "ca1", "ca.crt");

    tls_options o = {.key_file = key, .ca_cert_file = ca};
    assert_null(tls_context_create(&o, err, sizeof(err)));
    assert_string_equal(err, "No tls-cert-file configured!");

    o = (tls_options){.cert_file = cert, .key_file = other_key, .ca_cert_file = ca};
    assert_null(tls_context_create(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "Failed to load private key"));

    o = (tls_options){.cert_file = cert, .key_file = key, .auth_clients = TLS_AUTH_CLIENTS_YES};
    assert_null(tls_context_create(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "Either tls-ca-cert-file or tls-ca-cert-dir"));
    o.auth_clients = TLS_AUTH_CLIENTS_NO;
    tls_context *t = tls_context_create(&o, err, sizeof(err));
    assert_non_null(t);
    tls_context_free(t);
    o.peers_need_ca = 1; /* tls-replication */
    assert_null(tls_context_create(&o, err, sizeof(err)));

    o = (tls_options){.cert_file = cert, .key_file = key, .ca_cert_file = ca};
    o.protocols = "tlsv1.2 TLSv1.3";
    t = tls_context_create(&o, err, sizeof(err));
    assert_non_null(t);
    tls_context_free(t);
    o.protocols = "TLSv1.2 SSLv3";
    assert_null(tls_context_create(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "Invalid tls-protocols specified"));
    o.protocols = NULL;
    o.ciphers = "NOT-A-CIPHER";
    assert_null(tls_context_create(&o, err, sizeof(err)));
    assert_string_equal(err, "Failed to configure ciphers: NOT-A-CIPHER");
    o.ciphers = NULL;
    o.ciphersuites = "TLS_NOPE";
    assert_null(tls_context_create(&o, err, sizeof(err)));
    assert_string_equal(err, "Failed to configure ciphersuites: TLS_NOPE");
    o.ciphersuites = NULL;
    o.dh_params_file = "/nonexistent.dh";
    assert_null(tls_context_create(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "Failed to load /nonexistent.dh"));
}

/* ------------------------------------------------------------ fixtures */

static int certs_setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    /* This file is tests/unit/test_tls_conn.c under the source root. */
    char root[256];
    snprintf(root, sizeof(root), "%s", __FILE__);
    char *cut = strstr(root, "/tests/unit/");
    if (!cut)
        return -1;
    *cut = '\0';
    snprintf(certs, sizeof(certs), "/tmp/keel-unit-tls-XXXXXX");
    if (!mkdtemp(certs))
        return -1;
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "bash %s/deploy/gen-certs.sh %s/ca1 >/dev/null && bash %s/deploy/gen-certs.sh "
             "%s/ca2 >/dev/null",
             root, certs, root, certs);
    return system(cmd) == 0 ? 0 : -1;
}

static int certs_teardown(void **state)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certs);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_2mb),          cmocka_unit_test(test_untrusted_server),
        cmocka_unit_test(test_handshake_timeout), cmocka_unit_test(test_close_inside_handler),
        cmocka_unit_test(test_context_refusals),
    };
    return cmocka_run_group_tests(tests, certs_setup, certs_teardown);
}
