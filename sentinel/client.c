/* client.c: keel-sentinel's own clients: accepting them (plain or TLS),
 * reading and parsing their requests, buffering and writing replies,
 * authentication (AUTH, HELLO, ACL for the one "default" user), pub/sub
 * (SUBSCRIBE and friends, PUBLISH of hello messages, and the events
 * sentinel_event publishes), and CLIENT ....
 *
 * Replies collect in each client's output buffer and are written by a libev
 * prepare watcher just before the loop sleeps, so a pipeline costs one
 * write, and events raised from timers reach subscribers in the same pass.
 * A client is freed only from its own I/O handlers or from that watcher,
 * never from inside a command that might still use it. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "tls.h"
#include "util.h"

#define CLIENT_READ_LEN (16 * 1024)
#define CLIENT_BIG_ARG (32 * 1024)
#define CLIENT_REPLY_SHRINK (64 * 1024)
#define CLIENT_MAX_QUERYBUF (1024LL * 1024 * 1024) /* client-query-buffer-limit */
#define CLIENT_MAXCLIENTS 10000
#define CLIENT_TLS_HANDSHAKE_TIMEOUT 10.0
/* client-output-buffer-limit: Redis's pubsub class is 32mb 8mb 60; normal
 * clients get the same hard limit here, since nothing a sentinel answers
 * legitimately comes near it. */
#define CLIENT_OBUF_HARD (32LL * 1024 * 1024)
#define CLIENT_OBUF_SOFT (8LL * 1024 * 1024)
#define CLIENT_OBUF_SOFT_SECONDS 60

static const char protected_mode_message[] =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no password "
    "is set for the default user. In this mode connections are only accepted from the loopback "
    "interface. If you want to connect from external computers to Redis you may adopt one of the "
    "following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
    "protected-mode no' from the loopback interface by connecting to Redis from the same host "
    "the server is running, however MAKE SURE Redis is not publicly accessible from internet if "
    "you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just "
    "disable the protected mode by editing the Redis configuration file, and setting the "
    "protected mode option to 'no', and then restarting the server. 3) If you started the server "
    "manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an "
    "authentication password for the default user. NOTE: You only need to do one of the above "
    "things in order for the server to start accepting connections from the outside.\r\n";

client_stats client_stats_counters;

static struct {
    sclient *head; /* newest */
    sclient *tail; /* oldest */
    int count;
    uint64_t next_id;
    ev_prepare flush_watcher;
    int flush_started;
    ev_timer pause_timer;
    int64_t pause_end; /* CLIENT PAUSE ... ALL: no commands run before this */
} clients;

static void client_on_readable(conn *cn);
static void client_on_writable(conn *cn);

/* ------------------------------------------------------------ lifecycle */

static int requirepass_set(void)
{
    return sentinel.requirepass && sentinel.requirepass[0];
}

static void client_before_sleep(struct ev_loop *loop, ev_prepare *w, int revents);

static sclient *client_create(conn *cn)
{
    sclient *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->id = ++clients.next_id;
    c->conn = cn;
    c->resp = 2;
    c->querybuf = buf_new_cap(CLIENT_READ_LEN);
    c->reply = buf_new_cap(1024);
    resp_parser_init(&c->parser);
    c->ctime = c->last_interaction = util_mstime();
    c->tracking_redirect = -1;
    if (!requirepass_set())
        c->flags |= SC_AUTHENTICATED;
    conn_peer_name(cn, c->peer, sizeof(c->peer));
    conn_sock_name(cn, c->sock, sizeof(c->sock));
    conn_set_private(cn, c);
    conn_enable_nodelay(cn);
    conn_enable_keepalive(cn, 300);
    conn_set_read_handler(cn, client_on_readable);
    c->next = clients.head;
    if (clients.head)
        clients.head->prev = c;
    else
        clients.tail = c;
    clients.head = c;
    clients.count++;
    if (!clients.flush_started) {
        ev_prepare_init(&clients.flush_watcher, client_before_sleep);
        ev_prepare_start(sentinel.loop, &clients.flush_watcher);
        ev_unref(sentinel.loop); /* flushing alone must not keep the loop running */
        clients.flush_started = 1;
    }
    return c;
}

static void client_free_subscriptions(sclient *c)
{
    for (int i = 0; i < c->nchannels; i++)
        buf_free(c->channels[i]);
    for (int i = 0; i < c->npatterns; i++)
        buf_free(c->patterns[i]);
    free(c->channels);
    free(c->patterns);
    c->channels = c->patterns = NULL;
    c->nchannels = c->npatterns = 0;
}

static void client_free(sclient *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        clients.head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        clients.tail = c->prev;
    clients.count--;
    conn_close(c->conn);
    client_free_subscriptions(c);
    resp_parser_free(&c->parser);
    buf_free(c->querybuf);
    buf_free(c->reply);
    buf_free(c->name);
    free(c);
}

/* Free now, or once the command that is using it returns. */
static void client_free_safe(sclient *c)
{
    if (c->flags & SC_IN_COMMAND)
        c->flags |= SC_CLOSE_ASAP;
    else
        client_free(c);
}

void client_close_all(void)
{
    sclient *c = clients.head;
    while (c) {
        sclient *next = c->next;
        client_free_safe(c);
        c = next;
    }
}

int client_count(void)
{
    return clients.count;
}

/* ------------------------------------------------------------ accept */

static void client_reject(conn *cn, const char *msg, size_t len)
{
    /* Best effort: the peer may already be gone. */
    ssize_t n = conn_write(cn, msg, len);
    (void)n;
    conn_close(cn);
}

static void client_accept_conn(conn *cn)
{
    if (clients.count >= CLIENT_MAXCLIENTS) {
        static const char msg[] = "-ERR max number of clients reached\r\n";
        client_stats_counters.rejected_connections++;
        client_reject(cn, msg, sizeof(msg) - 1);
        return;
    }
    if (sentinel.protected_mode && !requirepass_set() && !conn_is_loopback_peer(cn)) {
        client_stats_counters.rejected_connections++;
        client_reject(cn, protected_mode_message, sizeof(protected_mode_message) - 1);
        return;
    }
    sclient *c = client_create(cn);
    log_verbose("Accepted %s", c->peer);
}

static void client_tls_ready(conn *cn)
{
    client_accept_conn(cn);
}

void client_accept(int fd, int tls)
{
    client_stats_counters.connections_received++;
    if (tls) {
        if (!sentinel.tls_ctx) {
            close(fd);
            return;
        }
        if (!tls_conn_accept(sentinel.tls_ctx, sentinel.loop, fd, sentinel.tls_auth_clients,
                             CLIENT_TLS_HANDSHAKE_TIMEOUT, client_tls_ready, NULL))
            log_warning("Error accepting a TLS client: %s", strerror(errno));
        return;
    }
    conn *cn = conn_create_accepted(sentinel.loop, fd);
    if (!cn) {
        close(fd);
        return;
    }
    client_accept_conn(cn);
}

/* ------------------------------------------------------------ input */

static int client_paused(void)
{
    return clients.pause_end && util_mstime() < clients.pause_end;
}

static void client_process_input(sclient *c)
{
    c->flags |= SC_IN_COMMAND;
    while (!(c->flags & (SC_CLOSE_AFTER_REPLY | SC_CLOSE_ASAP))) {
        size_t avail = buf_len(c->querybuf) - c->qb_pos;
        if (avail == 0 || client_paused())
            break;
        size_t consumed = 0;
        /* Before AUTH, requests are held to Redis's small limits. */
        c->parser.auth_required = !(c->flags & SC_AUTHENTICATED);
        resp_status st = resp_parse(&c->parser, c->querybuf + c->qb_pos, avail, &consumed);
        if (st == RESP_INCOMPLETE)
            break;
        if (st == RESP_ERROR) {
            log_verbose("Protocol error (%s) from client: id=%llu addr=%s", c->parser.error,
                        (unsigned long long)c->id, c->peer);
            reply_errorf(c, "ERR %s", c->parser.error);
            c->flags |= SC_CLOSE_AFTER_REPLY;
            c->qb_pos = buf_len(c->querybuf);
            break;
        }
        if (c->parser.argc > 0) {
            c->argc = c->parser.argc;
            c->argv = c->parser.argv;
            command_process(c);
            c->argc = 0;
            c->argv = NULL;
            /* CLIENT REPLY SKIP silences exactly the command after it. */
            c->flags &= ~SC_REPLY_SKIP;
            if (c->flags & SC_REPLY_SKIP_NEXT)
                c->flags = (c->flags & ~SC_REPLY_SKIP_NEXT) | SC_REPLY_SKIP;
        }
        c->qb_pos += consumed;
    }
    c->flags &= ~SC_IN_COMMAND;
    if (c->qb_pos) {
        buf_consume(c->querybuf, c->qb_pos);
        c->qb_pos = 0;
    }
}

static void client_on_readable(conn *cn)
{
    sclient *c = conn_get_private(cn);
    size_t want = CLIENT_READ_LEN;
    int big_arg = c->parser.need >= CLIENT_BIG_ARG;
    if (big_arg)
        want = c->parser.need;
    c->querybuf = buf_grow(c->querybuf, want);
    size_t room = big_arg ? want : buf_avail(c->querybuf);
    ssize_t n = conn_read(cn, c->querybuf + buf_len(c->querybuf), room);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return;
        log_verbose("Reading from client: %s", conn_last_error(cn));
        client_free(c);
        return;
    }
    if (n == 0) {
        log_verbose("Client closed connection id=%llu addr=%s", (unsigned long long)c->id, c->peer);
        client_free(c);
        return;
    }
    buf_incr_len(c->querybuf, n);
    client_stats_counters.net_input_bytes += n;
    client_stats_counters.reads_processed++;
    c->last_interaction = util_mstime();
    if ((long long)buf_len(c->querybuf) > CLIENT_MAX_QUERYBUF) {
        log_warning("Closing client that reached max query buffer length: id=%llu addr=%s "
                    "qbuf=%zu",
                    (unsigned long long)c->id, c->peer, buf_len(c->querybuf));
        client_free(c);
        return;
    }
    client_process_input(c);
    if (c->flags & SC_CLOSE_ASAP)
        client_free(c);
}

/* CLIENT PAUSE ended: run what the paused clients sent meanwhile. */
static void client_pause_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)w, (void)revents;
    clients.pause_end = 0;
    sclient *c = clients.head;
    while (c) {
        sclient *next = c->next;
        if (buf_len(c->querybuf) > c->qb_pos) {
            client_process_input(c);
            if (c->flags & SC_CLOSE_ASAP)
                client_free(c);
        }
        c = next;
    }
}

/* ------------------------------------------------------------ output */

/* Write what the socket takes.  Returns -1 if the client was freed. */
static int client_write(sclient *c)
{
    while (c->reply_pos < buf_len(c->reply)) {
        ssize_t n = conn_write(c->conn, c->reply + c->reply_pos, buf_len(c->reply) - c->reply_pos);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            log_verbose("Error writing to client: %s", conn_last_error(c->conn));
            client_free(c);
            return -1;
        }
        c->reply_pos += (size_t)n;
        client_stats_counters.net_output_bytes += n;
        client_stats_counters.writes_processed++;
    }
    if (c->reply_pos == buf_len(c->reply)) {
        if (buf_avail(c->reply) > CLIENT_REPLY_SHRINK) {
            buf_free(c->reply);
            c->reply = buf_new_cap(1024);
        } else {
            buf_clear(c->reply);
        }
        c->reply_pos = 0;
        c->obuf_soft_since = 0;
        if (conn_has_write_handler(c->conn))
            conn_set_write_handler(c->conn, NULL);
        if (c->flags & SC_CLOSE_AFTER_REPLY) {
            client_free(c);
            return -1;
        }
    } else if (!conn_has_write_handler(c->conn)) {
        conn_set_write_handler(c->conn, client_on_writable);
    }
    return 0;
}

static void client_on_writable(conn *cn)
{
    client_write(conn_get_private(cn));
}

static void client_before_sleep(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)loop, (void)w, (void)revents;
    sclient *c = clients.head;
    while (c) {
        sclient *next = c->next;
        if (c->flags & SC_CLOSE_ASAP)
            client_free(c);
        else if (!conn_has_write_handler(c->conn) &&
                 (c->reply_pos < buf_len(c->reply) || (c->flags & SC_CLOSE_AFTER_REPLY)))
            client_write(c);
        c = next;
    }
}

/* A client whose unsent output passes the hard limit, or stays above the
 * soft one (subscribers) for the soft seconds, is closed before the loop
 * sleeps, so a reader that stopped reading cannot grow our memory. */
static void client_check_output_limit(sclient *c)
{
    long long used = (long long)(buf_len(c->reply) - c->reply_pos);
    int over = used >= CLIENT_OBUF_HARD;
    if (!over && client_subscriptions(c) && used >= CLIENT_OBUF_SOFT) {
        int64_t now = util_mstime();
        if (!c->obuf_soft_since)
            c->obuf_soft_since = now;
        else if (now - c->obuf_soft_since >= CLIENT_OBUF_SOFT_SECONDS * 1000)
            over = 1;
    } else if (!over) {
        c->obuf_soft_since = 0;
    }
    if (over) {
        log_warning("Client id=%llu addr=%s name=%s scheduled to be closed ASAP for overcoming "
                    "of output buffer limits.",
                    (unsigned long long)c->id, c->peer, c->name ? c->name : "");
        c->flags |= SC_CLOSE_ASAP;
    }
}

static int client_accepts_reply(const sclient *c)
{
    return !(c->flags & (SC_REPLY_OFF | SC_REPLY_SKIP | SC_CLOSE_ASAP | SC_CLOSE_AFTER_REPLY));
}

static void client_after_append(sclient *c)
{
    if (buf_len(c->reply) - c->reply_pos > c->reply_peak)
        c->reply_peak = buf_len(c->reply) - c->reply_pos;
    if (buf_len(c->reply) - c->reply_pos > 64 * 1024)
        client_check_output_limit(c);
}

void reply_raw(sclient *c, const void *p, size_t len)
{
    if (!client_accepts_reply(c))
        return;
    c->reply = buf_cat(c->reply, p, len);
    client_after_append(c);
}

void reply_ok(sclient *c)
{
    reply_raw(c, "+OK\r\n", 5);
}

void reply_simple(sclient *c, const char *s)
{
    if (!client_accepts_reply(c))
        return;
    c->reply = resp_add_simple(c->reply, s, strlen(s));
    client_after_append(c);
}

void reply_error(sclient *c, const char *err)
{
    client_stats_counters.error_replies++;
    if (!client_accepts_reply(c))
        return;
    c->reply = resp_add_error(c->reply, err, strlen(err));
    client_after_append(c);
}

void reply_errorf(sclient *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf b = buf_cat_vprintf(buf_empty(), fmt, ap);
    va_end(ap);
    reply_error(c, b);
    buf_free(b);
}

void reply_int(sclient *c, long long v)
{
    if (!client_accepts_reply(c))
        return;
    c->reply = resp_add_int(c->reply, v);
    client_after_append(c);
}

void reply_bulk(sclient *c, const void *p, size_t len)
{
    if (!client_accepts_reply(c))
        return;
    c->reply = resp_add_bulk(c->reply, p, len);
    client_after_append(c);
}

void reply_bulk_cstr(sclient *c, const char *s)
{
    if (!s)
        reply_nil(c);
    else
        reply_bulk(c, s, strlen(s));
}

void reply_bulk_ll(sclient *c, long long v)
{
    if (!client_accepts_reply(c))
        return;
    c->reply = resp_add_bulk_ll(c->reply, v);
    client_after_append(c);
}

void reply_nil(sclient *c)
{
    reply_raw(c, "$-1\r\n", 5);
}

void reply_nil_array(sclient *c)
{
    reply_raw(c, "*-1\r\n", 5);
}

void reply_array_len(sclient *c, long long n)
{
    if (!client_accepts_reply(c))
        return;
    c->reply = resp_add_array_len(c->reply, n);
    client_after_append(c);
}

void reply_help(sclient *c, const char *text)
{
    long long n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    reply_array_len(c, n);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        if (!client_accepts_reply(c))
            return;
        c->reply = resp_add_simple(c->reply, p, (size_t)(nl - p));
        p = nl + 1;
    }
}

void reply_error_syntax(sclient *c)
{
    reply_error(c, "ERR syntax error");
}

void reply_error_not_int(sclient *c)
{
    reply_error(c, "ERR value is not an integer or out of range");
}

void reply_error_subcommand_syntax(sclient *c)
{
    char upper[32];
    size_t n = c->argv[0].len < sizeof(upper) - 1 ? c->argv[0].len : sizeof(upper) - 1;
    for (size_t i = 0; i < n; i++) {
        char ch = c->argv[0].ptr[i];
        upper[i] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 'a' + 'A') : ch;
    }
    upper[n] = '\0';
    int sl = c->argv[1].len > 128 ? 128 : (int)c->argv[1].len;
    reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.",
                 sl, c->argv[1].ptr, upper);
}

/* ------------------------------------------------------------ helpers */

int arg_is(const resp_arg *a, const char *s)
{
    size_t n = strlen(s);
    return a->len == n && strncasecmp(a->ptr, s, n) == 0;
}

static int arg_eq_exact(const resp_arg *a, const char *s)
{
    size_t n = strlen(s);
    return a->len == n && memcmp(a->ptr, s, n) == 0;
}

static int arg_to_ll(const resp_arg *a, long long *v)
{
    return util_str2ll(a->ptr, a->len, v);
}

/* ------------------------------------------------------------ auth */

/* Compare in time that does not depend on where the strings differ. */
static int password_matches(const resp_arg *pass)
{
    const char *want = sentinel.requirepass;
    size_t wl = strlen(want);
    unsigned char diff = (unsigned char)(wl != pass->len);
    for (size_t i = 0; i < pass->len; i++)
        diff |= (unsigned char)(pass->ptr[i] ^ want[i % (wl ? wl : 1)]);
    return diff == 0;
}

/* The only user is "default": without requirepass it has no password (any
 * password is accepted, as Redis's nopass), with it that password. */
static int client_check_credentials(const resp_arg *user, const resp_arg *pass)
{
    if (user && !arg_eq_exact(user, "default"))
        return 0;
    if (!requirepass_set())
        return 1;
    return password_matches(pass);
}

static void reply_wrongpass(sclient *c)
{
    reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
}

void auth_command(sclient *c)
{
    if (c->argc > 3) {
        reply_error_syntax(c);
        return;
    }
    const resp_arg *user = c->argc == 3 ? &c->argv[1] : NULL;
    const resp_arg *pass = &c->argv[c->argc - 1];
    if (!user && !requirepass_set()) {
        reply_error(c, "ERR AUTH <password> called without any password configured for the "
                       "default user. Are you sure your configuration is correct?");
        return;
    }
    if (!client_check_credentials(user, pass)) {
        log_verbose("Failed AUTH from client id=%llu addr=%s", (unsigned long long)c->id, c->peer);
        reply_wrongpass(c);
        return;
    }
    c->flags |= SC_AUTHENTICATED;
    reply_ok(c);
}

static int client_name_valid(const resp_arg *name)
{
    for (size_t i = 0; i < name->len; i++)
        if (name->ptr[i] < '!' || name->ptr[i] > '~')
            return 0;
    return 1;
}

static void client_set_name(sclient *c, const resp_arg *name)
{
    buf_free(c->name);
    c->name = name->len ? buf_new(name->ptr, name->len) : NULL;
}

void hello_command(sclient *c)
{
    long long ver = 0;
    int next = 1;
    if (c->argc >= 2) {
        if (!arg_to_ll(&c->argv[1], &ver)) {
            reply_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        next = 2;
        if (ver < 2 || ver > 3) {
            reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    const resp_arg *user = NULL, *pass = NULL, *name = NULL;
    for (int j = next; j < c->argc; j++) {
        int more = c->argc - j - 1;
        if (arg_is(&c->argv[j], "auth") && more >= 2) {
            user = &c->argv[j + 1];
            pass = &c->argv[j + 2];
            j += 2;
        } else if (arg_is(&c->argv[j], "setname") && more >= 1) {
            name = &c->argv[j + 1];
            j++;
        } else {
            int l = c->argv[j].len > 128 ? 128 : (int)c->argv[j].len;
            reply_errorf(c, "ERR Syntax error in HELLO option '%.*s'", l, c->argv[j].ptr);
            return;
        }
    }
    if (user) {
        if (!client_check_credentials(user, pass)) {
            reply_wrongpass(c);
            return;
        }
        c->flags |= SC_AUTHENTICATED;
    }
    if (!(c->flags & SC_AUTHENTICATED)) {
        reply_error(c, "NOAUTH HELLO must be called with the client already authenticated, "
                       "otherwise the HELLO AUTH <user> <pass> option can be used to "
                       "authenticate the client and select the RESP protocol version at the "
                       "same time");
        return;
    }
    if (name && !client_name_valid(name)) {
        reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    /* keel-sentinel, like keel-server, answers in RESP2 only: refuse 3
     * rather than answer in the wrong protocol. */
    if (ver == 3) {
        reply_error(c, "NOPROTO unsupported protocol version");
        return;
    }
    if (name)
        client_set_name(c, name);
    reply_array_len(c, 12);
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, SENTINEL_REDIS_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_int(c, c->resp);
    reply_bulk_cstr(c, "id");
    reply_int(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, "sentinel");
    reply_bulk_cstr(c, "modules");
    reply_array_len(c, 0);
}

/* ------------------------------------------------------------ pub/sub */

int client_subscriptions(const sclient *c)
{
    return c->nchannels + c->npatterns;
}

static int sub_find(buf *v, int n, const void *p, size_t len)
{
    for (int i = 0; i < n; i++)
        if (buf_eq(v[i], p, len))
            return i;
    return -1;
}

static int sub_add(buf **v, int *n, const void *p, size_t len)
{
    if (sub_find(*v, *n, p, len) >= 0)
        return 0;
    buf *nv = realloc(*v, sizeof(buf) * (size_t)(*n + 1));
    if (!nv)
        abort();
    nv[(*n)++] = buf_new(p, len);
    *v = nv;
    return 1;
}

static int sub_remove(buf *v, int *n, const void *p, size_t len)
{
    int i = sub_find(v, *n, p, len);
    if (i < 0)
        return 0;
    buf_free(v[i]);
    memmove(v + i, v + i + 1, sizeof(buf) * (size_t)(*n - i - 1));
    (*n)--;
    return 1;
}

static void reply_subscription(sclient *c, const char *kind, const void *p, size_t len)
{
    reply_array_len(c, 3);
    reply_bulk_cstr(c, kind);
    if (p)
        reply_bulk(c, p, len);
    else
        reply_nil(c);
    reply_int(c, client_subscriptions(c));
}

void subscribe_command(sclient *c)
{
    for (int j = 1; j < c->argc; j++) {
        sub_add(&c->channels, &c->nchannels, c->argv[j].ptr, c->argv[j].len);
        reply_subscription(c, "subscribe", c->argv[j].ptr, c->argv[j].len);
    }
}

void psubscribe_command(sclient *c)
{
    for (int j = 1; j < c->argc; j++) {
        sub_add(&c->patterns, &c->npatterns, c->argv[j].ptr, c->argv[j].len);
        reply_subscription(c, "psubscribe", c->argv[j].ptr, c->argv[j].len);
    }
}

/* UNSUBSCRIBE / PUNSUBSCRIBE: the named ones, or every one (in the order
 * they were subscribed); with none at all, one reply with a null name. */
static void unsubscribe_generic(sclient *c, buf **v, int *n, const char *kind)
{
    if (c->argc > 1) {
        for (int j = 1; j < c->argc; j++) {
            sub_remove(*v, n, c->argv[j].ptr, c->argv[j].len);
            reply_subscription(c, kind, c->argv[j].ptr, c->argv[j].len);
        }
        return;
    }
    if (*n == 0) {
        reply_subscription(c, kind, NULL, 0);
        return;
    }
    while (*n > 0) {
        buf name = (*v)[0];
        memmove(*v, *v + 1, sizeof(buf) * (size_t)(*n - 1));
        (*n)--;
        reply_subscription(c, kind, name, buf_len(name));
        buf_free(name);
    }
}

void unsubscribe_command(sclient *c)
{
    unsubscribe_generic(c, &c->channels, &c->nchannels, "unsubscribe");
}

void punsubscribe_command(sclient *c)
{
    unsubscribe_generic(c, &c->patterns, &c->npatterns, "punsubscribe");
}

/* Sentinel accepts PUBLISH only for hello messages, which other sentinels
 * send straight to us when they cannot reach an instance's channel. */
void publish_command(sclient *c)
{
    if (!arg_eq_exact(&c->argv[1], SENTINEL_HELLO_CHANNEL)) {
        reply_error(c, "ERR Only HELLO messages are accepted by Sentinel instances.");
        return;
    }
    monitor_process_hello(c->argv[2].ptr, c->argv[2].len);
    reply_int(c, 1);
}

/* Deliver msg on channel to every subscriber: exact channels first, then
 * patterns, as Redis does. */
static int client_publish(const char *channel, const char *msg)
{
    size_t clen = strlen(channel), mlen = strlen(msg);
    int receivers = 0;
    buf out = buf_empty();
    for (sclient *c = clients.tail; c; c = c->prev) {
        if (sub_find(c->channels, c->nchannels, channel, clen) < 0)
            continue;
        buf_clear(out);
        out = resp_add_array_len(out, 3);
        out = resp_add_bulk(out, "message", 7);
        out = resp_add_bulk(out, channel, clen);
        out = resp_add_bulk(out, msg, mlen);
        reply_raw(c, out, buf_len(out));
        receivers++;
    }
    for (sclient *c = clients.tail; c; c = c->prev) {
        for (int i = 0; i < c->npatterns; i++) {
            buf pat = c->patterns[i];
            if (!util_glob_match(pat, buf_len(pat), channel, clen, 0))
                continue;
            buf_clear(out);
            out = resp_add_array_len(out, 4);
            out = resp_add_bulk(out, "pmessage", 8);
            out = resp_add_bulk(out, pat, buf_len(pat));
            out = resp_add_bulk(out, channel, clen);
            out = resp_add_bulk(out, msg, mlen);
            reply_raw(c, out, buf_len(out));
            receivers++;
        }
    }
    buf_free(out);
    return receivers;
}

int client_pubsub_channel_count(void)
{
    /* Distinct channels across clients (few clients: a quadratic scan). */
    int n = 0;
    for (sclient *c = clients.head; c; c = c->next) {
        for (int i = 0; i < c->nchannels; i++) {
            int seen = 0;
            for (sclient *o = clients.head; o != c && !seen; o = o->next)
                seen = sub_find(o->channels, o->nchannels, c->channels[i],
                                buf_len(c->channels[i])) >= 0;
            n += !seen;
        }
    }
    return n;
}

int client_pubsub_pattern_count(void)
{
    int n = 0;
    for (sclient *c = clients.head; c; c = c->next)
        n += c->npatterns;
    return n;
}

/* ------------------------------------------------------------ events */

static const char *instance_type_name(const instance *ri)
{
    if (ri->flags & SRI_MASTER)
        return "master";
    if (ri->flags & SRI_REPLICA)
        return "slave";
    return "sentinel";
}

void sentinel_event(int level, const char *type, instance *ri, const char *fmt, ...)
{
    buf msg = buf_empty();
    if (fmt[0] == '%' && fmt[1] == '@' && !ri) {
        fmt += 2; /* no instance to describe */
    } else if (fmt[0] == '%' && fmt[1] == '@') {
        const char *ip = ri->ip;
        int port = ri->port;
        /* A master's address is the one clients should use. */
        if (ri->flags & SRI_MASTER)
            master_client_addr(ri, &ip, &port);
        msg = buf_cat_printf(msg, "%s %s %s %d", instance_type_name(ri), ri->name, ip, port);
        if (!(ri->flags & SRI_MASTER) && ri->master) {
            const char *mip;
            int mport;
            master_client_addr(ri->master, &mip, &mport);
            msg = buf_cat_printf(msg, " @ %s %s %d", ri->master->name, mip, mport);
        }
        fmt += 2;
    }
    if (fmt[0]) {
        va_list ap;
        va_start(ap, fmt);
        msg = buf_cat_vprintf(msg, fmt, ap);
        va_end(ap);
    }
    log_msg(level, "%s %s", type, msg);
    client_publish(type, msg);
    buf_free(msg);
}

/* ------------------------------------------------------------ CLIENT */

void client_id_command(sclient *c)
{
    reply_int(c, (long long)c->id);
}

void client_getname_command(sclient *c)
{
    if (c->name)
        reply_bulk(c, c->name, buf_len(c->name));
    else
        reply_nil(c);
}

void client_setname_command(sclient *c)
{
    if (!client_name_valid(&c->argv[2])) {
        reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    client_set_name(c, &c->argv[2]);
    reply_ok(c);
}

/* One line of CLIENT LIST / CLIENT INFO, Redis 7.0's fields in its order. */
static buf client_info_line(buf out, const sclient *c)
{
    char flags[8];
    int f = 0;
    if (client_subscriptions(c))
        flags[f++] = 'P';
    if (c->flags & SC_CLOSE_AFTER_REPLY)
        flags[f++] = 'c';
    if (c->flags & SC_CLOSE_ASAP)
        flags[f++] = 'A';
    if (c->flags & SC_TRACKING)
        flags[f++] = 't';
    if (c->flags & SC_NO_EVICT)
        flags[f++] = 'e';
    if (f == 0)
        flags[f++] = 'N';
    flags[f] = '\0';
    int64_t now = util_mstime();
    const char *events = conn_has_write_handler(c->conn) ? "rw" : "r";
    size_t qbuf = buf_len(c->querybuf) - c->qb_pos;
    size_t pending = buf_len(c->reply) - c->reply_pos;
    /* Redis splits pending output into a 16 KB buffer (obl) and a list of
     * blocks (oll, omem); monitoring reads omem, so report it that way. */
    size_t obl = pending < 16384 ? pending : 16384;
    size_t omem = pending - obl;
    size_t oll = (omem + 16383) / 16384;
    size_t argv_mem = 0;
    for (int i = 0; i < c->argc; i++)
        argv_mem += c->argv[i].len;
    size_t totmem = sizeof(*c) + buf_alloc_size(c->querybuf) + buf_alloc_size(c->reply);
    return buf_cat_printf(
        out,
        "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=0 sub=%d psub=%d "
        "ssub=0 multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=%zu multi-mem=0 rbs=%zu rbp=%zu obl=%zu "
        "oll=%zu omem=%zu tot-mem=%zu events=%s cmd=%s user=default redir=%lld resp=%d\n",
        (unsigned long long)c->id, c->peer, c->sock, conn_fd(c->conn), c->name ? c->name : "",
        (long long)((now - c->ctime) / 1000), (long long)((now - c->last_interaction) / 1000),
        flags, c->nchannels, c->npatterns, qbuf, buf_avail(c->querybuf), argv_mem,
        buf_alloc_size(c->reply), c->reply_peak, obl, oll, omem, totmem, events,
        c->cmd_name ? c->cmd_name : "NULL",
        (c->flags & SC_TRACKING) ? (long long)c->tracking_redirect : -1LL, c->resp);
}

/* Client classes, as CLIENT LIST/KILL TYPE see them (a sentinel has no
 * replicas or primary among its clients). */
enum { CTYPE_NORMAL, CTYPE_REPLICA, CTYPE_PUBSUB, CTYPE_MASTER };

static int client_type(const sclient *c)
{
    return client_subscriptions(c) > 0 ? CTYPE_PUBSUB : CTYPE_NORMAL;
}

static int client_type_from_arg(const resp_arg *a)
{
    if (arg_is(a, "normal"))
        return CTYPE_NORMAL;
    if (arg_is(a, "replica") || arg_is(a, "slave"))
        return CTYPE_REPLICA;
    if (arg_is(a, "pubsub"))
        return CTYPE_PUBSUB;
    if (arg_is(a, "master"))
        return CTYPE_MASTER;
    return -1;
}

void client_list_command(sclient *c)
{
    int want_type = -1;
    long long *ids = NULL;
    int nids = 0;
    if (c->argc == 4 && arg_is(&c->argv[2], "type")) {
        want_type = client_type_from_arg(&c->argv[3]);
        if (want_type < 0) {
            reply_errorf(c, "ERR Unknown client type '%.*s'", (int)c->argv[3].len, c->argv[3].ptr);
            return;
        }
    } else if (c->argc >= 4 && arg_is(&c->argv[2], "id")) {
        ids = malloc(sizeof(long long) * (size_t)(c->argc - 3));
        if (!ids)
            abort();
        for (int j = 3; j < c->argc; j++) {
            long long id;
            if (!arg_to_ll(&c->argv[j], &id) || id <= 0) {
                free(ids);
                reply_error(c, "ERR Invalid client ID");
                return;
            }
            ids[nids++] = id;
        }
    } else if (c->argc != 2) {
        reply_error_syntax(c);
        return;
    }
    buf out = buf_empty();
    for (sclient *o = clients.tail; o; o = o->prev) {
        if (want_type >= 0 && client_type(o) != want_type)
            continue;
        if (ids) {
            int found = 0;
            for (int j = 0; j < nids; j++)
                found |= (uint64_t)ids[j] == o->id;
            if (!found)
                continue;
        }
        out = client_info_line(out, o);
    }
    free(ids);
    reply_bulk(c, out, buf_len(out));
    buf_free(out);
}

void client_info_command(sclient *c)
{
    buf out = client_info_line(buf_empty(), c);
    reply_bulk(c, out, buf_len(out));
    buf_free(out);
}

/* Kill a client: itself after this reply, another one before the loop
 * sleeps (it may be in the middle of nothing, but is never freed under a
 * caller). */
static void client_kill_one(sclient *c, sclient *victim)
{
    if (victim == c)
        c->flags |= SC_CLOSE_AFTER_REPLY;
    else
        victim->flags |= SC_CLOSE_ASAP;
}

void client_kill_command(sclient *c)
{
    if (c->argc == 3) {
        /* CLIENT KILL addr:port, the old form: OK or an error. */
        for (sclient *o = clients.head; o; o = o->next) {
            if (strlen(o->peer) == c->argv[2].len &&
                memcmp(o->peer, c->argv[2].ptr, c->argv[2].len) == 0) {
                reply_ok(c);
                client_kill_one(c, o);
                return;
            }
        }
        reply_error(c, "ERR No such client");
        return;
    }
    if (c->argc % 2 != 0) {
        reply_error_syntax(c);
        return;
    }
    long long id = 0;
    const resp_arg *addr = NULL, *laddr = NULL, *user = NULL;
    int skipme = 1, type_filter = -1;
    for (int j = 2; j < c->argc; j += 2) {
        const resp_arg *opt = &c->argv[j], *val = &c->argv[j + 1];
        if (arg_is(opt, "id")) {
            if (!arg_to_ll(val, &id) || id <= 0) {
                reply_error(c, "ERR client-id should be greater than 0");
                return;
            }
        } else if (arg_is(opt, "type")) {
            type_filter = client_type_from_arg(val);
            if (type_filter < 0) {
                reply_errorf(c, "ERR Unknown client type '%.*s'", (int)val->len, val->ptr);
                return;
            }
        } else if (arg_is(opt, "addr")) {
            addr = val;
        } else if (arg_is(opt, "laddr")) {
            laddr = val;
        } else if (arg_is(opt, "user")) {
            user = val;
        } else if (arg_is(opt, "skipme")) {
            if (arg_is(val, "yes")) {
                skipme = 1;
            } else if (arg_is(val, "no")) {
                skipme = 0;
            } else {
                reply_error_syntax(c);
                return;
            }
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (user && !arg_eq_exact(user, "default")) {
        reply_errorf(c, "ERR No such user '%.*s'", (int)user->len, user->ptr);
        return;
    }
    long long killed = 0;
    int self = 0;
    for (sclient *o = clients.head; o; o = o->next) {
        if (id && o->id != (uint64_t)id)
            continue;
        if (type_filter >= 0 && client_type(o) != type_filter)
            continue;
        if (addr && !(strlen(o->peer) == addr->len && memcmp(o->peer, addr->ptr, addr->len) == 0))
            continue;
        if (laddr &&
            !(strlen(o->sock) == laddr->len && memcmp(o->sock, laddr->ptr, laddr->len) == 0))
            continue;
        if (o == c && skipme)
            continue;
        if (o == c)
            self = 1;
        else
            client_kill_one(c, o);
        killed++;
    }
    reply_int(c, killed);
    if (self)
        client_kill_one(c, c);
}

void client_reply_command(sclient *c)
{
    if (arg_is(&c->argv[2], "on")) {
        c->flags &= ~(SC_REPLY_OFF | SC_REPLY_SKIP | SC_REPLY_SKIP_NEXT);
        reply_ok(c);
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags |= SC_REPLY_OFF;
    } else if (arg_is(&c->argv[2], "skip")) {
        if (!(c->flags & SC_REPLY_OFF))
            c->flags |= SC_REPLY_SKIP_NEXT;
    } else {
        reply_error_syntax(c);
    }
}

void client_no_evict_command(sclient *c)
{
    if (arg_is(&c->argv[2], "on")) {
        c->flags |= SC_NO_EVICT;
        reply_ok(c);
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags &= ~SC_NO_EVICT;
        reply_ok(c);
    } else {
        reply_error_syntax(c);
    }
}

/* CLIENT PAUSE timeout [WRITE|ALL].  No sentinel command writes data, so a
 * WRITE pause holds nothing back; ALL stops every client's commands. */
void client_pause_command(sclient *c)
{
    long long ms;
    if (c->argc > 4) {
        reply_error_subcommand_syntax(c);
        return;
    }
    if (!arg_to_ll(&c->argv[2], &ms)) {
        reply_error(c, "ERR timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        reply_error(c, "ERR timeout is negative");
        return;
    }
    int all = 1;
    if (c->argc == 4) {
        if (arg_is(&c->argv[3], "write")) {
            all = 0;
        } else if (!arg_is(&c->argv[3], "all")) {
            reply_error(c, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    if (all) {
        int64_t end = util_mstime() + ms;
        if (end > clients.pause_end) {
            clients.pause_end = end;
            ev_timer_stop(sentinel.loop, &clients.pause_timer);
            ev_timer_init(&clients.pause_timer, client_pause_expired, (double)ms / 1000.0, 0.0);
            ev_timer_start(sentinel.loop, &clients.pause_timer);
        }
    }
    reply_ok(c);
}

void client_unpause_command(sclient *c)
{
    if (clients.pause_end) {
        /* Let the timer run now: it resumes every paused client. */
        ev_timer_stop(sentinel.loop, &clients.pause_timer);
        ev_timer_init(&clients.pause_timer, client_pause_expired, 0.0, 0.0);
        ev_timer_start(sentinel.loop, &clients.pause_timer);
        clients.pause_end = 0;
    }
    reply_ok(c);
}

/* CLIENT TRACKING: Sentinel holds no keys, so there is never anything to
 * invalidate; the options are checked and kept as Redis keeps them. */
void client_tracking_command(sclient *c)
{
    long long redir = 0;
    int opts = 0, nprefix = 0;
    for (int j = 3; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        const resp_arg *a = &c->argv[j];
        if (arg_is(a, "redirect") && more) {
            j++;
            if (redir != 0) {
                reply_error(c, "ERR A client can only redirect to a single other client");
                return;
            }
            if (!arg_to_ll(&c->argv[j], &redir)) {
                reply_error_not_int(c);
                return;
            }
            sclient *o = clients.head;
            while (o && o->id != (uint64_t)redir)
                o = o->next;
            if (!o) {
                reply_error(c, "ERR The client ID you want redirect to does not exist");
                return;
            }
        } else if (arg_is(a, "bcast")) {
            opts |= SC_TRACKING_BCAST;
        } else if (arg_is(a, "optin")) {
            opts |= SC_TRACKING_OPTIN;
        } else if (arg_is(a, "optout")) {
            opts |= SC_TRACKING_OPTOUT;
        } else if (arg_is(a, "noloop")) {
            opts |= SC_TRACKING_NOLOOP;
        } else if (arg_is(a, "prefix") && more) {
            j++;
            nprefix++;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (arg_is(&c->argv[2], "on")) {
        if (!(opts & SC_TRACKING_BCAST) && nprefix) {
            reply_error(c, "ERR PREFIX option requires BCAST mode to be enabled");
            return;
        }
        if ((c->flags & SC_TRACKING) &&
            !!(c->flags & SC_TRACKING_BCAST) != !!(opts & SC_TRACKING_BCAST)) {
            reply_error(c, "ERR You can't switch BCAST mode on/off before disabling tracking "
                           "for this client, and then re-enabling it with a different mode.");
            return;
        }
        if ((opts & SC_TRACKING_BCAST) && (opts & (SC_TRACKING_OPTIN | SC_TRACKING_OPTOUT))) {
            reply_error(c, "ERR OPTIN and OPTOUT are not compatible with BCAST");
            return;
        }
        if ((opts & SC_TRACKING_OPTIN) && (opts & SC_TRACKING_OPTOUT)) {
            reply_error(c, "ERR You can't use both OPTIN and OPTOUT");
            return;
        }
        if (((opts & SC_TRACKING_OPTIN) && (c->flags & SC_TRACKING_OPTOUT)) ||
            ((opts & SC_TRACKING_OPTOUT) && (c->flags & SC_TRACKING_OPTIN))) {
            reply_error(c, "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking "
                           "for this client, and then re-enabling it with a different mode.");
            return;
        }
        c->flags |= SC_TRACKING | opts;
        c->tracking_redirect = redir;
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags &= ~(SC_TRACKING | SC_TRACKING_BCAST | SC_TRACKING_OPTIN | SC_TRACKING_OPTOUT |
                      SC_TRACKING_NOLOOP);
        c->tracking_redirect = -1;
    } else {
        reply_error_syntax(c);
        return;
    }
    reply_ok(c);
}

void client_caching_command(sclient *c)
{
    if (!(c->flags & SC_TRACKING)) {
        reply_error(c, "ERR CLIENT CACHING can be called only when the client is in tracking "
                       "mode with OPTIN or OPTOUT mode enabled");
        return;
    }
    if (arg_is(&c->argv[2], "yes")) {
        if (!(c->flags & SC_TRACKING_OPTIN)) {
            reply_error(c, "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN "
                           "mode.");
            return;
        }
    } else if (arg_is(&c->argv[2], "no")) {
        if (!(c->flags & SC_TRACKING_OPTOUT)) {
            reply_error(c, "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT "
                           "mode.");
            return;
        }
    } else {
        reply_error_syntax(c);
        return;
    }
    reply_ok(c);
}

void client_getredir_command(sclient *c)
{
    reply_int(c, (c->flags & SC_TRACKING) ? c->tracking_redirect : -1);
}

void client_trackinginfo_command(sclient *c)
{
    static const struct {
        int flag;
        const char *name;
    } opts[] = {{SC_TRACKING_BCAST, "bcast"},
                {SC_TRACKING_OPTIN, "optin"},
                {SC_TRACKING_OPTOUT, "optout"},
                {SC_TRACKING_NOLOOP, "noloop"}};
    reply_array_len(c, 6);
    reply_bulk_cstr(c, "flags");
    if (!(c->flags & SC_TRACKING)) {
        reply_array_len(c, 1);
        reply_bulk_cstr(c, "off");
    } else {
        int n = 1;
        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
            n += !!(c->flags & opts[i].flag);
        reply_array_len(c, n);
        reply_bulk_cstr(c, "on");
        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
            if (c->flags & opts[i].flag)
                reply_bulk_cstr(c, opts[i].name);
    }
    reply_bulk_cstr(c, "redirect");
    reply_int(c, (c->flags & SC_TRACKING) ? c->tracking_redirect : -1);
    reply_bulk_cstr(c, "prefixes");
    reply_array_len(c, 0);
}

/* Nothing blocks in a sentinel: there is never a client to unblock. */
void client_unblock_command(sclient *c)
{
    long long id;
    if (!arg_to_ll(&c->argv[2], &id)) {
        reply_error_not_int(c);
        return;
    }
    if (c->argc == 4) {
        if (!arg_is(&c->argv[3], "timeout") && !arg_is(&c->argv[3], "error")) {
            reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    } else if (c->argc > 4) {
        reply_error_subcommand_syntax(c);
        return;
    }
    reply_int(c, 0);
}

void client_help_command(sclient *c)
{
    static const char help[] =
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\n"
        "CACHING (YES|NO)\n"
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.\n"
        "GETREDIR\n    Return the client ID we are redirecting to when tracking is enabled.\n"
        "GETNAME\n    Return the name of the current connection.\n"
        "ID\n    Return the ID of the current connection.\n"
        "INFO\n    Return information about the current client connection.\n"
        "KILL <ip:port>\n    Kill connection made from <ip:port>.\n"
        "KILL <option> <value> [<option> <value> [...]]\n    Kill connections. Options are:\n"
        "    * ADDR (<ip:port>|<unixsocket>:0)\n"
        "      Kill connections made from the specified address\n"
        "    * LADDR (<ip:port>|<unixsocket>:0)\n"
        "      Kill connections made to specified local address\n"
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)\n      Kill connections by type.\n"
        "    * USER <username>\n      Kill connections authenticated by <username>.\n"
        "    * SKIPME (YES|NO)\n      Skip killing current connection (default: yes).\n"
        "LIST [options ...]\n    Return information about client connections. Options:\n"
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)\n      Return clients of specified type.\n"
        "UNPAUSE\n    Stop the current client pause, resuming traffic.\n"
        "PAUSE <timeout> [WRITE|ALL]\n"
        "    Suspend all, or just write, clients for <timeout> milliseconds.\n"
        "REPLY (ON|OFF|SKIP)\n    Control the replies sent to the current connection.\n"
        "SETNAME <name>\n    Assign the name <name> to the current connection.\n"
        "UNBLOCK <clientid> [TIMEOUT|ERROR]\n    Unblock the specified blocked client.\n"
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]\n"
        "         [OPTIN] [OPTOUT] [NOLOOP]\n"
        "    Control server assisted client side caching.\n"
        "TRACKINGINFO\n    Report tracking status for the current connection.\n"
        "NO-EVICT (ON|OFF)\n    Protect current client connection from eviction.\n"
        "HELP\n    Prints this help.\n";
    reply_help(c, help);
}

void client_recent_buffers(size_t *max_in, size_t *max_out)
{
    /* Redis keeps the biggest buffers of the last seconds; "recent" here is
     * "now": the largest query buffer allocation and pending output. */
    *max_in = *max_out = 0;
    for (sclient *c = clients.head; c; c = c->next) {
        size_t in = buf_alloc_size(c->querybuf);
        size_t out = buf_len(c->reply) - c->reply_pos;
        if (in > *max_in)
            *max_in = in;
        if (out > *max_out)
            *max_out = out;
    }
}

/* ------------------------------------------------------------ ACL */

/* The one user, "default", as ACL LIST and GETUSER show it: no password,
 * or the SHA-256 of requirepass. */
static void requirepass_sha256(char hex[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    const char *p = sentinel.requirepass;
    if (!EVP_Digest(p, strlen(p), md, &mdlen, EVP_sha256(), NULL))
        memset(md, 0, sizeof(md));
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

void acl_whoami_command(sclient *c)
{
    reply_bulk_cstr(c, "default");
}

void acl_users_command(sclient *c)
{
    reply_array_len(c, 1);
    reply_bulk_cstr(c, "default");
}

void acl_list_command(sclient *c)
{
    char line[128], hex[65];
    if (requirepass_set()) {
        requirepass_sha256(hex);
        snprintf(line, sizeof(line), "user default on #%s ~* &* +@all", hex);
    } else {
        snprintf(line, sizeof(line), "user default on nopass ~* &* +@all");
    }
    reply_array_len(c, 1);
    reply_bulk_cstr(c, line);
}

void acl_getuser_command(sclient *c)
{
    if (!arg_eq_exact(&c->argv[2], "default")) {
        reply_nil(c);
        return;
    }
    reply_array_len(c, 12);
    reply_bulk_cstr(c, "flags");
    if (requirepass_set()) {
        char hex[65];
        requirepass_sha256(hex);
        reply_array_len(c, 1);
        reply_bulk_cstr(c, "on");
        reply_bulk_cstr(c, "passwords");
        reply_array_len(c, 1);
        reply_bulk_cstr(c, hex);
    } else {
        reply_array_len(c, 2);
        reply_bulk_cstr(c, "on");
        reply_bulk_cstr(c, "nopass");
        reply_bulk_cstr(c, "passwords");
        reply_array_len(c, 0);
    }
    reply_bulk_cstr(c, "commands");
    reply_bulk_cstr(c, "+@all");
    reply_bulk_cstr(c, "keys");
    reply_bulk_cstr(c, "~*");
    reply_bulk_cstr(c, "channels");
    reply_bulk_cstr(c, "&*");
    reply_bulk_cstr(c, "selectors");
    reply_array_len(c, 0);
}

void acl_cat_command(sclient *c)
{
    if (c->argc > 3) {
        reply_error_subcommand_syntax(c);
        return;
    }
    char cat[64];
    const char *which = NULL;
    if (c->argc == 3) {
        size_t n = c->argv[2].len < sizeof(cat) - 1 ? c->argv[2].len : sizeof(cat) - 1;
        memcpy(cat, c->argv[2].ptr, n);
        cat[n] = '\0';
        which = cat;
    }
    if (command_list_category(c, which) < 0)
        reply_errorf(c, "ERR Unknown category '%.*s'", (int)c->argv[2].len, c->argv[2].ptr);
}

void acl_genpass_command(sclient *c)
{
    long long bits = 256;
    if (c->argc > 3) {
        reply_error_subcommand_syntax(c);
        return;
    }
    if (c->argc == 3 && !arg_to_ll(&c->argv[2], &bits)) {
        reply_error_not_int(c);
        return;
    }
    if (bits <= 0 || bits > 4096) {
        reply_error(c, "ERR ACL GENPASS argument must be the number of bits for the output "
                       "password, a positive number up to 4096");
        return;
    }
    char hex[1025];
    size_t chars = (size_t)(bits + 3) / 4;
    util_random_hex(hex, chars);
    reply_bulk(c, hex, chars);
}

void acl_deluser_command(sclient *c)
{
    for (int j = 2; j < c->argc; j++) {
        if (arg_eq_exact(&c->argv[j], "default")) {
            reply_error(c, "ERR The 'default' user cannot be removed");
            return;
        }
    }
    reply_int(c, 0);
}

void acl_setuser_command(sclient *c)
{
    reply_error(c, "ERR keel-sentinel has only the default user; set its password with "
                   "requirepass in the configuration file");
}

static void reply_no_acl_file(sclient *c)
{
    reply_error(c, "ERR This Redis instance is not configured to use an ACL file. You may want to "
                   "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE "
                   "(assuming you have a Redis configuration file set) in order to store users in "
                   "the Redis configuration.");
}

void acl_load_command(sclient *c)
{
    reply_no_acl_file(c);
}

void acl_save_command(sclient *c)
{
    reply_no_acl_file(c);
}

/* ACL LOG: keel-sentinel keeps no log of denied requests (the only user
 * may run everything); failed AUTHs are in the server log. */
void acl_log_command(sclient *c)
{
    if (c->argc > 3) {
        reply_error_subcommand_syntax(c);
        return;
    }
    if (c->argc == 3) {
        long long n;
        if (arg_is(&c->argv[2], "reset")) {
            reply_ok(c);
            return;
        }
        if (!arg_to_ll(&c->argv[2], &n)) {
            reply_error_not_int(c);
            return;
        }
    }
    reply_array_len(c, 0);
}

void acl_dryrun_command(sclient *c)
{
    if (!arg_eq_exact(&c->argv[2], "default")) {
        reply_errorf(c, "ERR User '%.*s' not found", (int)c->argv[2].len, c->argv[2].ptr);
        return;
    }
    command_dryrun(c, c->argc - 3, c->argv + 3);
}

void acl_help_command(sclient *c)
{
    static const char help[] =
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\n"
        "CAT [<category>]\n"
        "    List all commands that belong to <category>, or all command categories\n"
        "    when no category is specified.\n"
        "DELUSER <username> [<username> ...]\n    Delete a list of users.\n"
        "DRYRUN <username> <command> [<arg> ...]\n"
        "    Returns whether the user can execute the given command without executing the "
        "command.\n"
        "GETUSER <username>\n    Get the user's details.\n"
        "GENPASS [<bits>]\n"
        "    Generate a secure 256-bit user password. The optional `bits` argument can\n"
        "    be used to specify a different size.\n"
        "LIST\n    Show users details in config file format.\n"
        "LOAD\n    Reload users from the ACL file.\n"
        "LOG [<count> | RESET]\n    Show the ACL log entries.\n"
        "SAVE\n    Save the current config to the ACL file.\n"
        "SETUSER <username> <attribute> [<attribute> ...]\n"
        "    Create or modify a user with the specified attributes.\n"
        "USERS\n    List all the registered usernames.\n"
        "WHOAMI\n    Return the current connection username.\n"
        "HELP\n    Prints this help.\n";
    reply_help(c, help);
}
