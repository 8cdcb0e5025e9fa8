/* client.c: keel-sentinel's own clients as connections: accepting them
 * (plain or TLS), reading and parsing their requests, holding them while
 * CLIENT PAUSE lasts, buffering and writing replies (the reply_* functions)
 * within the output limits, pub/sub (SUBSCRIBE and friends, PUBLISH of hello
 * messages, and the events sentinel_event publishes), and the small argument
 * helpers every command file uses.  The commands about the connection
 * (AUTH, HELLO, CLIENT, ACL) are in client_cmds.c.
 *
 * Replies collect in each client's output buffer and are written by a libev
 * prepare watcher just before the loop sleeps, so a pipeline costs one
 * write, and events raised from timers reach subscribers in the same pass.
 * A client is freed only from its own I/O handlers or from that watcher,
 * never from inside a command that might still use it. */
#include <errno.h>
#include <stdarg.h>
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

int requirepass_set(void)
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

sclient *client_newest(void)
{
    return clients.head;
}

sclient *client_oldest(void)
{
    return clients.tail;
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

static void client_pause_timer_start(double after)
{
    ev_timer_stop(sentinel.loop, &clients.pause_timer);
    ev_timer_init(&clients.pause_timer, client_pause_expired, after, 0.0);
    ev_timer_start(sentinel.loop, &clients.pause_timer);
}

void client_pause(long long ms)
{
    int64_t end = util_mstime() + ms;
    if (end > clients.pause_end) {
        clients.pause_end = end;
        client_pause_timer_start((double)ms / 1000.0);
    }
}

void client_unpause(void)
{
    if (clients.pause_end) {
        /* Let the timer run now: it resumes every paused client. */
        client_pause_timer_start(0.0);
        clients.pause_end = 0;
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

void reply_buf(sclient *c, buf b)
{
    reply_raw(c, b, buf_len(b));
    buf_free(b);
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

/* The command's name in capitals (at most 31 bytes), for "Try X HELP.". */
static void command_name_upper(const sclient *c, char upper[32])
{
    size_t n = c->argv[0].len < 31 ? c->argv[0].len : 31;
    for (size_t i = 0; i < n; i++) {
        char ch = c->argv[0].ptr[i];
        upper[i] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 'a' + 'A') : ch;
    }
    upper[n] = '\0';
}

void reply_error_subcommand_syntax(sclient *c)
{
    char upper[32];
    command_name_upper(c, upper);
    int sl = c->argv[1].len > 128 ? 128 : (int)c->argv[1].len;
    reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.",
                 sl, c->argv[1].ptr, upper);
}

void reply_error_unknown_subcommand(sclient *c)
{
    char upper[32];
    command_name_upper(c, upper);
    size_t slen = strnlen(c->argv[1].ptr, c->argv[1].len);
    reply_errorf(c, "ERR unknown subcommand '%.*s'. Try %s HELP.", (int)(slen < 128 ? slen : 128),
                 c->argv[1].ptr, upper);
}

/* ------------------------------------------------------------ helpers */

int arg_is(const resp_arg *a, const char *s)
{
    size_t n = strlen(s);
    return a->len == n && strncasecmp(a->ptr, s, n) == 0;
}

int arg_eq_exact(const resp_arg *a, const char *s)
{
    size_t n = strlen(s);
    return a->len == n && memcmp(a->ptr, s, n) == 0;
}

int arg_to_ll(const resp_arg *a, long long *v)
{
    return util_str2ll(a->ptr, a->len, v);
}

int list_has(const char *list, char sep, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == sep) && (p[n] == sep || p[n] == '\0'))
            return 1;
    return 0;
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
