/* client: one connected client.  Reads bytes into the query buffer, cuts
 * them into commands with the resp parser, hands each to command_call, and
 * owns the reply API every command writes through.  Replies collect in the
 * client's output buffer and are written in one go before the event loop
 * sleeps (client_flush_pending), so a pipeline of commands costs one write. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aof.h"
#include "replication.h"
#include "server.h"
#include "acl.h"

#define CLIENT_READ_LEN (16 * 1024)
#define CLIENT_BIG_ARG (32 * 1024)      /* bulks this big are read on their own */
#define CLIENT_REPLY_SHRINK (64 * 1024) /* give back idle output buffers above this */

static void client_on_readable(conn *cn);
static void client_on_writable(conn *cn);
static inline void client_mark_pending(client *c);

client *client_create(server *s, conn *cn)
{
    client *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->srv = s;
    c->conn = cn;
    c->id = ++s->next_client_id;
    c->db = &s->db[0];
    c->resp = 2;
    c->querybuf = buf_new_cap(CLIENT_READ_LEN);
    c->reply = buf_new_cap(1024);
    resp_parser_init(&c->parser);
    c->parser.max_bulk_len = s->cfg.proto_max_bulk_len;
    c->ctime_ms = c->last_interaction_ms = s->mstime;
    if (acl_default_autoauth()) /* acl.c: default user on and nopass */
        c->flags |= CLIENT_AUTHENTICATED;
    c->user = buf_from_cstr("default");
    if (cn) {
        conn_peer_name(cn, c->peer, sizeof(c->peer));
        conn_sock_name(cn, c->sock, sizeof(c->sock));
        conn_set_private(cn, c);
        conn_enable_nodelay(cn);
        if (s->cfg.tcp_keepalive > 0)
            conn_enable_keepalive(cn, s->cfg.tcp_keepalive);
        conn_set_read_handler(cn, client_on_readable);
    }
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->client_count++;
    return c;
}

static void client_unlink_pending(client *c)
{
    if (!(c->flags & CLIENT_PENDING_WRITE))
        return;
    if (c->pw_prev)
        c->pw_prev->pw_next = c->pw_next;
    else
        c->srv->pending_writes = c->pw_next;
    if (c->pw_next)
        c->pw_next->pw_prev = c->pw_prev;
    c->pw_prev = c->pw_next = NULL;
    c->flags &= ~CLIENT_PENDING_WRITE;
}

void client_free(client *c)
{
    server *s = c->srv;
    if (s->current_client == c)
        s->current_client = NULL;
    client_unlink_pending(c);
    blocking_unblock(c, UNBLOCK_DISCONNECT);
    replication_client_freed(c);
    multi_free_client(c);
    pubsub_free_client(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->client_count--;
    conn_close(c->conn);
    resp_parser_free(&c->parser);
    buf_free(c->querybuf);
    buf_free(c->reply);
    buf_free(c->name);
    buf_free(c->user);
    free(c);
}

/* Close a client from inside a command or a callback that still uses it:
 * it is freed before the loop sleeps, after its last reply is dropped. */
void client_free_async(client *c)
{
    c->flags |= CLIENT_CLOSE_ASAP;
    if (!(c->flags & CLIENT_PENDING_WRITE)) {
        c->flags |= CLIENT_PENDING_WRITE;
        c->pw_prev = NULL;
        c->pw_next = c->srv->pending_writes;
        if (c->pw_next)
            c->pw_next->pw_prev = c;
        c->srv->pending_writes = c;
    }
}

/* ------------------------------------------------------------ client_vec */

void client_vec_push(client_vec *cv, client *c)
{
    if (cv->len == cv->cap) {
        cv->cap = cv->cap ? cv->cap * 2 : 4;
        cv->v = realloc(cv->v, cv->cap * sizeof(client *));
        if (!cv->v)
            abort();
    }
    cv->v[cv->len++] = c;
}

int client_vec_remove(client_vec *cv, client *c)
{
    for (size_t i = 0; i < cv->len; i++) {
        if (cv->v[i] == c) {
            memmove(cv->v + i, cv->v + i + 1, (cv->len - i - 1) * sizeof(client *));
            cv->len--;
            return 1;
        }
    }
    return 0;
}

void client_vec_free(client_vec *cv)
{
    free(cv->v);
    cv->v = NULL;
    cv->len = cv->cap = 0;
}

/* ------------------------------------------------------------------ input */

void client_reset_command(client *c)
{
    c->argc = 0;
    c->argv = NULL;
    c->cmd = NULL;
}

void client_process_input(client *c)
{
    server *s = c->srv;
    c->flags |= CLIENT_PROTECTED;
    while (!(c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_BLOCKED))) {
        size_t avail = buf_len(c->querybuf) - c->qb_pos;
        if (avail == 0)
            break;
        size_t consumed = 0;
        /* Before AUTH, requests are held to Redis's small limits (10
         * arguments, 16 KB bulks), so strangers cannot make us allocate. */
        c->parser.auth_required = !(c->flags & CLIENT_AUTHENTICATED);
        c->parser.max_bulk_len = s->cfg.proto_max_bulk_len; /* CONFIG SET reaches everyone */
        resp_status st = resp_parse(&c->parser, c->querybuf + c->qb_pos, avail, &consumed);
        if (st == RESP_INCOMPLETE)
            break;
        if (st == RESP_ERROR) {
            log_verbose("Protocol error (%s) from client: id=%llu addr=%s", c->parser.error,
                        (unsigned long long)c->id, c->peer);
            reply_errorf(c, "ERR %s", c->parser.error);
            c->flags |= CLIENT_CLOSE_AFTER_REPLY;
            c->qb_pos = buf_len(c->querybuf);
            break;
        }
        if (c->parser.argc > 0) {
            c->argc = c->parser.argc;
            c->argv = c->parser.argv;
            s->current_client = c;
            command_call(c);
            s->current_client = NULL;
            /* The primary's stream: count the offset, forward the bytes. */
            if (c->flags & CLIENT_MASTER)
                replication_master_applied(c, c->querybuf + c->qb_pos, consumed);
            /* CLIENT REPLY SKIP silences exactly the command after it. */
            c->flags &= ~CLIENT_REPLY_SKIP;
            if (c->flags & CLIENT_REPLY_SKIP_NEXT)
                c->flags = (c->flags & ~CLIENT_REPLY_SKIP_NEXT) | CLIENT_REPLY_SKIP;
            /* Clients blocked on keys this command filled are served now,
             * before the next pipelined command, as Redis does. */
            blocking_handle_ready_keys(s);
            client_reset_command(c);
        }
        c->qb_pos += consumed;
    }
    c->flags &= ~CLIENT_PROTECTED;
    /* A client to close after its reply must reach the flush even when it
     * has nothing left to write. */
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY)
        client_mark_pending(c);
    /* Drop what has been parsed; a partial command moves to the front (the
     * parser keeps offsets, so that is safe). */
    if (c->qb_pos) {
        buf_consume(c->querybuf, c->qb_pos);
        c->qb_pos = 0;
    }
}

static void client_on_readable(conn *cn)
{
    client *c = conn_get_private(cn);
    server *s = c->srv;
    size_t want = CLIENT_READ_LEN;
    /* A big bulk argument in progress: reserve its full size once, rather
     * than growing the buffer 16 KB at a time, and read exactly up to its
     * end, so the pipeline behind it is not counted against the query
     * buffer limit before the big command has run. */
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
    s->stats.net_input_bytes += n;
    s->stats.io_reads++;
    server_update_time(s);
    c->last_interaction_ms = s->mstime;
    if (buf_len(c->querybuf) > c->querybuf_peak)
        c->querybuf_peak = buf_len(c->querybuf);
    if ((long long)buf_len(c->querybuf) > s->cfg.client_query_buffer_limit) {
        log_warning("Closing client that reached max query buffer length: id=%llu addr=%s "
                    "qbuf=%zu",
                    (unsigned long long)c->id, c->peer, buf_len(c->querybuf));
        client_free(c);
        return;
    }
    client_process_input(c);
    if (c->flags & CLIENT_CLOSE_ASAP)
        client_free(c);
}

/* ----------------------------------------------------------------- output */

/* Write as much pending output as the socket takes.  Returns -1 if the
 * client was freed. */
static int client_write(client *c)
{
    server *s = c->srv;
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
        s->stats.net_output_bytes += n;
        s->stats.io_writes++;
    }
    if (c->reply_pos == buf_len(c->reply)) {
        if (buf_avail(c->reply) > CLIENT_REPLY_SHRINK) {
            buf_free(c->reply);
            c->reply = buf_new_cap(1024);
        } else {
            buf_clear(c->reply);
        }
        c->reply_pos = 0;
        if (conn_has_write_handler(c->conn))
            conn_set_write_handler(c->conn, NULL);
        if (c->flags & CLIENT_CLOSE_AFTER_REPLY) {
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
    client *c = conn_get_private(cn);
    /* appendfsync always: this output may acknowledge a write that only
     * reaches the disk when the loop next flushes the AOF; it leaves then. */
    if (aof_replies_must_wait(c->srv))
        return;
    client_write(c);
}

/* Before the loop sleeps: write every client's replies, and free clients
 * that were marked for closing while they were busy. */
void client_flush_pending(server *s)
{
    /* appendfsync always: whoever flushes replies (before the loop sleeps,
     * or a fork that wants no half-sent output) puts the AOF on disk first. */
    if (aof_replies_must_wait(s))
        aof_flush(s, 0);
    while (s->pending_writes) {
        client *c = s->pending_writes;
        client_unlink_pending(c);
        if (c->flags & CLIENT_CLOSE_ASAP) {
            client_free(c);
            continue;
        }
        if (!conn_has_write_handler(c->conn))
            client_write(c);
    }
}

static inline void client_mark_pending(client *c)
{
    if (c->flags & CLIENT_PENDING_WRITE)
        return;
    c->flags |= CLIENT_PENDING_WRITE;
    c->pw_prev = NULL;
    c->pw_next = c->srv->pending_writes;
    if (c->pw_next)
        c->pw_next->pw_prev = c;
    c->srv->pending_writes = c;
}

/* client-output-buffer-limit: a client whose unsent output passes the hard
 * limit, or stays above the soft limit for the soft seconds, is closed
 * (before the loop sleeps), so a slow reader cannot grow memory without
 * bound.  Checked before each reply is added. */
static void client_check_output_limit(client *c)
{
    server *s = c->srv;
    int cls = (c->flags & CLIENT_REPLICA)                   ? OBUF_REPLICA
              : c->pstate && pubsub_client_subscriptions(c) ? OBUF_PUBSUB
                                                            : OBUF_NORMAL;
    unsigned long long hard = s->cfg.obuf_limits[cls].hard, soft = s->cfg.obuf_limits[cls].soft;
    if (!hard && !soft)
        return;
    unsigned long long used = buf_len(c->reply) - c->reply_pos;
    int over = hard && used >= hard;
    if (!over && soft && used >= soft) {
        if (!c->obuf_soft_since_ms)
            c->obuf_soft_since_ms = s->mstime;
        else if (s->mstime - c->obuf_soft_since_ms >= s->cfg.obuf_limits[cls].soft_seconds * 1000)
            over = 1;
    } else if (!over) {
        c->obuf_soft_since_ms = 0;
    }
    if (over) {
        log_warning("Client id=%llu addr=%s name=%s scheduled to be closed ASAP for overcoming of "
                    "output buffer limits (%llu bytes pending).",
                    (unsigned long long)c->id, c->peer, c->name ? c->name : "", used);
        client_free_async(c);
    }
}

/* Every reply goes through here.  Clients without a connection (the AOF
 * loader, replication's applier) and CLIENT REPLY OFF discard output. */
static inline int client_accepts_reply(client *c)
{
    if (!c->conn ||
        (c->flags &
         (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP)) ||
        (c->flags & CLIENT_MASTER)) /* the primary's stream: replies suppressed */
        return 0;
    client_mark_pending(c);
    if (buf_len(c->reply) - c->reply_pos > 16 * 1024) {
        client_check_output_limit(c);
        if (c->flags & CLIENT_CLOSE_ASAP)
            return 0;
    } else {
        c->obuf_soft_since_ms = 0;
    }
    return 1;
}

void reply_raw(client *c, const void *p, size_t len)
{
    if (!c->conn || (c->flags & CLIENT_CLOSE_ASAP))
        return;
    client_mark_pending(c);
    c->reply = buf_cat(c->reply, p, len);
    if (buf_len(c->reply) - c->reply_pos > 16 * 1024)
        client_check_output_limit(c);
}

void reply_ok(client *c)
{
    if (client_accepts_reply(c))
        c->reply = buf_cat(c->reply, "+OK\r\n", 5);
}

void reply_simple(client *c, const char *s)
{
    if (client_accepts_reply(c))
        c->reply = resp_add_simple(c->reply, s, strlen(s));
}

/* Errors are counted per code (the first word) for INFO errorstats. */
static void client_count_error(client *c, const char *msg)
{
    server *s = c->srv;
    s->stats.total_error_replies++;
    if (!s->errors)
        return;
    size_t n = strcspn(msg, " ");
    if (n > 32)
        n = 32;
    buf code = buf_new(msg, n);
    dict_entry *existing = NULL;
    dict_entry *e = dict_add_raw(s->errors, code, &existing);
    if (e) {
        e->v.s64 = 1;
    } else {
        existing->v.s64++;
        buf_free(code);
    }
}

void reply_error(client *c, const char *msg)
{
    client_count_error(c, msg);
    if (c->cmd)
        ((command *)c->cmd)->failed_calls++;
    if (client_accepts_reply(c))
        c->reply = resp_add_error(c->reply, msg, strlen(msg));
}

void reply_errorf(client *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    reply_error(c, msg);
}

void reply_error_arity(client *c)
{
    reply_errorf(c, "ERR wrong number of arguments for '%s' command",
                 c->cmd ? c->cmd->fullname : "unknown");
}

void reply_error_syntax(client *c)
{
    reply_error(c, "ERR syntax error");
}

void reply_error_wrongtype(client *c)
{
    reply_error(c, "WRONGTYPE Operation against a key holding the wrong kind of value");
}

void reply_error_not_int(client *c)
{
    reply_error(c, "ERR value is not an integer or out of range");
}
void reply_error_not_float(client *c)
{
    reply_error(c, "ERR value is not a valid float");
}

void reply_int(client *c, long long v)
{
    if (client_accepts_reply(c))
        c->reply = resp_add_int(c->reply, v);
}

void reply_bulk(client *c, const void *p, size_t len)
{
    if (client_accepts_reply(c))
        c->reply = resp_add_bulk(c->reply, p, len);
}

void reply_bulk_cstr(client *c, const char *s)
{
    if (!s)
        reply_nil(c);
    else
        reply_bulk(c, s, strlen(s));
}

void reply_bulk_ll(client *c, long long v)
{
    if (client_accepts_reply(c))
        c->reply = resp_add_bulk_ll(c->reply, v);
}

void reply_bulk_obj(client *c, const kobj *o)
{
    char tmp[LL_STR_SIZE];
    size_t len;
    const char *p = obj_string_view(o, tmp, &len);
    reply_bulk(c, p, len);
}

void reply_nil(client *c)
{
    if (client_accepts_reply(c))
        c->reply = resp_add_nil(c->reply, c->resp == 3);
}

void reply_nil_array(client *c)
{
    if (client_accepts_reply(c))
        c->reply = resp_add_nil_array(c->reply, c->resp == 3);
}

void reply_array_len(client *c, long long n)
{
    if (client_accepts_reply(c))
        c->reply = resp_add_array_len(c->reply, n);
}

void reply_map_len(client *c, long long n)
{
    if (client_accepts_reply(c))
        c->reply =
            c->resp == 3 ? resp_add_agg_len(c->reply, '%', n) : resp_add_array_len(c->reply, n * 2);
}

void reply_set_len(client *c, long long n)
{
    if (client_accepts_reply(c))
        c->reply = resp_add_agg_len(c->reply, c->resp == 3 ? '~' : '*', n);
}

void reply_double(client *c, double d)
{
    if (client_accepts_reply(c))
        c->reply = resp_add_double(c->reply, d, c->resp == 3);
}

void reply_bool(client *c, int v)
{
    if (client_accepts_reply(c))
        c->reply = resp_add_bool(c->reply, v, c->resp == 3);
}

void reply_verbatim(client *c, const char *p, size_t len)
{
    if (client_accepts_reply(c))
        c->reply = resp_add_verbatim(c->reply, p, len, c->resp == 3);
}

size_t reply_defer_len(client *c)
{
    client_accepts_reply(c);
    return buf_len(c->reply);
}

static void reply_insert_header(client *c, size_t handle, char type, long long n)
{
    if (!c->conn || (c->flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_CLOSE_AFTER_REPLY |
                                 CLIENT_CLOSE_ASAP)))
        return;
    char hdr[32];
    int hl = snprintf(hdr, sizeof(hdr), "%c%lld\r\n", type, n);
    size_t len = buf_len(c->reply);
    c->reply = buf_grow(c->reply, (size_t)hl);
    memmove(c->reply + handle + hl, c->reply + handle, len - handle);
    memcpy(c->reply + handle, hdr, (size_t)hl);
    buf_set_len(c->reply, len + (size_t)hl);
}

void reply_set_deferred_len(client *c, size_t handle, long long n)
{
    reply_insert_header(c, handle, '*', n);
}

void reply_set_deferred_map_len(client *c, size_t handle, long long n)
{
    if (c->resp == 3)
        reply_insert_header(c, handle, '%', n);
    else
        reply_insert_header(c, handle, '*', n * 2);
}

void reply_help(client *c, const char **lines)
{
    char name[64];
    size_t n = c->argv[0].len < sizeof(name) - 1 ? c->argv[0].len : sizeof(name) - 1;
    for (size_t i = 0; i < n; i++)
        name[i] = (char)toupper((unsigned char)c->argv[0].ptr[i]);
    name[n] = '\0';
    long long count = 0;
    while (lines[count])
        count++;
    reply_array_len(c, count + 3);
    char first[160];
    snprintf(first, sizeof(first),
             "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", name);
    reply_simple(c, first);
    for (long long i = 0; i < count; i++)
        reply_simple(c, lines[i]);
    reply_simple(c, "HELP");
    reply_simple(c, "    Prints this help.");
}
