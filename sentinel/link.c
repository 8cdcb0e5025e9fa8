/* link: keel-sentinel's outbound connections (see link.h).
 *
 * Bytes read from the conn go into a hiredis redisReader; each complete
 * reply is either the answer to the oldest command sent (callbacks are a
 * FIFO, since a Redis connection answers in order) or, on a link that has
 * subscribed, a pushed message (an array whose first element is "message"
 * or "pmessage") handed to on_push.  Outgoing commands are formatted with
 * hiredis's redisFormatCommand and queued in one output buffer that a write
 * handler drains. */
#include "link.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conn.h"
#include "log.h"
#include "util.h"

typedef struct pending_cb {
    slink_reply_fn *fn;
    void *priv;
    struct pending_cb *next;
} pending_cb;

struct slink {
    struct ev_loop *loop;
    conn *c;
    redisReader *reader;
    buf out;
    pending_cb *head, *tail;
    int npending;
    int connected;
    int subscribed; /* replies that are not answers may be pushed messages */
    int in_callback;
    int dead;       /* closed; freed when the current callback returns */
    int free_asked; /* slink_free was called during a callback */
    ev_timer connect_timer;
    int tls;       /* a TLS link: its handshake failures are worth a warning */
    char addr[64]; /* "host:port", for the log */
    void *owner;
    slink_event_fn *on_up, *on_down;
    slink_reply_fn *on_push;
};

static void link_on_read(conn *c);
static void link_on_write(conn *c);

static void link_release(slink *l)
{
    if (l->c)
        conn_close(l->c);
    l->c = NULL;
    if (l->reader)
        redisReaderFree(l->reader);
    l->reader = NULL;
    buf_free(l->out);
    l->out = NULL;
    free(l);
}

/* Run every pending callback with NULL: the replies will never come. */
static void link_fail_pending(slink *l)
{
    while (l->head) {
        pending_cb *p = l->head;
        l->head = p->next;
        if (!l->head)
            l->tail = NULL;
        l->npending--;
        if (p->fn)
            p->fn(l, NULL, p->priv);
        free(p);
    }
}

/* The connection is gone: close it, fail what is pending, tell the owner. */
static void link_down(slink *l, const char *why)
{
    if (l->dead)
        return;
    l->dead = 1;
    l->connected = 0;
    ev_timer_stop(l->loop, &l->connect_timer);
    if (l->c) {
        conn_close(l->c);
        l->c = NULL;
    }
    log_debug("Link down: %s", why ? why : "closed");
    l->in_callback++;
    link_fail_pending(l);
    if (l->on_down)
        l->on_down(l, l->owner);
    l->in_callback--;
    if (l->free_asked && l->in_callback == 0)
        link_release(l);
}

void slink_drop(slink *l, const char *why)
{
    link_down(l, why);
}

static void link_on_connect_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    slink *l = w->data;
    link_down(l, "connect timeout");
}

/* A TLS handshake that fails (an untrusted certificate, TLS spoken to a
 * plain port, no client certificate where one is required) is a
 * configuration problem the operator must see: it would otherwise show only
 * as +sdown.  Warn once a minute per address; a server that is down or
 * stalled (refused, timed out) stays at debug level, as Redis logs it. */
#define LINK_TLS_WARN_PERIOD 60000
#define LINK_TLS_WARN_SLOTS 32

static void link_warn_tls_failure(const slink *l, const char *why)
{
    static struct {
        char addr[64];
        int64_t last;
        int suppressed;
    } slots[LINK_TLS_WARN_SLOTS];
    if (!why || strstr(why, "timed out") || (strncmp(why, "error:", 6) != 0 && !strstr(why, "TLS")))
        return; /* refused, unreachable, stalled: the peer is down (+sdown
                   says so), not misconfigured */
    int64_t now = util_mstime();
    int slot = -1, oldest = 0;
    for (int i = 0; i < LINK_TLS_WARN_SLOTS; i++) {
        if (!strcmp(slots[i].addr, l->addr)) {
            slot = i;
            break;
        }
        if (slots[i].last < slots[oldest].last)
            oldest = i;
    }
    if (slot < 0) {
        slot = oldest;
        snprintf(slots[slot].addr, sizeof(slots[slot].addr), "%s", l->addr);
        slots[slot].last = 0;
        slots[slot].suppressed = 0;
    }
    if (slots[slot].last && now - slots[slot].last < LINK_TLS_WARN_PERIOD) {
        slots[slot].suppressed++;
        return;
    }
    if (slots[slot].suppressed)
        log_warning("TLS link to %s failed: %s (%d more failures since the last warning)", l->addr,
                    why, slots[slot].suppressed);
    else
        log_warning("TLS link to %s failed: %s", l->addr, why);
    slots[slot].last = now;
    slots[slot].suppressed = 0;
}

static void link_on_connect(conn *c)
{
    slink *l = conn_get_private(c);
    ev_timer_stop(l->loop, &l->connect_timer);
    if (conn_state(c) != CONN_STATE_CONNECTED) {
        if (l->tls)
            link_warn_tls_failure(l, conn_last_error(c));
        link_down(l, conn_last_error(c));
        return;
    }
    l->connected = 1;
    conn_enable_nodelay(c);
    conn_set_read_handler(c, link_on_read);
    if (buf_len(l->out))
        conn_set_write_handler(c, link_on_write);
    l->in_callback++;
    if (l->on_up)
        l->on_up(l, l->owner);
    l->in_callback--;
    if (l->free_asked && l->in_callback == 0)
        link_release(l);
}

slink *slink_connect(struct ev_loop *loop, const char *host, int port, tls_context *tls,
                     double timeout, void *owner, slink_event_fn *on_up, slink_event_fn *on_down,
                     slink_reply_fn *on_push)
{
    slink *l = calloc(1, sizeof(*l));
    l->loop = loop;
    l->owner = owner;
    l->on_up = on_up;
    l->on_down = on_down;
    l->on_push = on_push;
    l->out = buf_empty();
    l->reader = redisReaderCreate();
    l->tls = tls != NULL;
    snprintf(l->addr, sizeof(l->addr), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
    if (tls)
        l->c = tls_conn_connect(tls, loop, host, port, NULL, NULL, timeout, link_on_connect);
    else
        l->c = conn_connect(loop, host, port, NULL, link_on_connect);
    if (!l->c) {
        redisReaderFree(l->reader);
        buf_free(l->out);
        free(l);
        return NULL;
    }
    conn_set_private(l->c, l);
    ev_timer_init(&l->connect_timer, link_on_connect_timeout, timeout, 0);
    l->connect_timer.data = l;
    ev_timer_start(loop, &l->connect_timer);
    return l;
}

void slink_free(slink *l)
{
    if (!l)
        return;
    if (l->in_callback) {
        /* Inside one of our own callbacks: finish closing, free on return. */
        l->on_down = NULL;
        if (!l->dead) {
            l->dead = 1;
            l->connected = 0;
            ev_timer_stop(l->loop, &l->connect_timer);
            if (l->c)
                conn_close(l->c);
            l->c = NULL;
            link_fail_pending(l);
        }
        l->free_asked = 1;
        return;
    }
    ev_timer_stop(l->loop, &l->connect_timer);
    l->dead = 1;
    l->in_callback++;
    link_fail_pending(l);
    l->in_callback--;
    link_release(l);
}

static void link_on_write(conn *c)
{
    slink *l = conn_get_private(c);
    while (buf_len(l->out)) {
        ssize_t n = conn_write(c, l->out, buf_len(l->out));
        if (n < 0) {
            if (errno == EAGAIN)
                return;
            link_down(l, strerror(errno));
            return;
        }
        buf_consume(l->out, (size_t)n);
    }
    conn_set_write_handler(c, NULL);
}

/* Is this reply a message pushed by a subscription (not an answer)? */
static int link_is_push(const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
        r->element[0]->type != REDIS_REPLY_STRING)
        return 0;
    return !strcasecmp(r->element[0]->str, "message") ||
           !strcasecmp(r->element[0]->str, "pmessage");
}

static void link_dispatch(slink *l, redisReply *r)
{
    if (l->subscribed && link_is_push(r)) {
        if (l->on_push)
            l->on_push(l, r, l->owner);
        return;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
        r->element[0]->type == REDIS_REPLY_STRING &&
        (!strcasecmp(r->element[0]->str, "subscribe") ||
         !strcasecmp(r->element[0]->str, "psubscribe")))
        l->subscribed = 1;
    pending_cb *p = l->head;
    if (!p)
        return; /* an answer nobody asked for: ignore */
    l->head = p->next;
    if (!l->head)
        l->tail = NULL;
    l->npending--;
    if (p->fn)
        p->fn(l, r, p->priv);
    free(p);
}

static void link_on_read(conn *c)
{
    slink *l = conn_get_private(c);
    char tmp[16384];
    ssize_t n = conn_read(c, tmp, sizeof(tmp));
    if (n == 0) {
        link_down(l, "connection closed by peer");
        return;
    }
    if (n < 0) {
        if (errno == EAGAIN)
            return;
        link_down(l, strerror(errno));
        return;
    }
    if (redisReaderFeed(l->reader, tmp, (size_t)n) != REDIS_OK) {
        link_down(l, "protocol error");
        return;
    }
    l->in_callback++;
    while (!l->dead) {
        void *reply = NULL;
        if (redisReaderGetReply(l->reader, &reply) != REDIS_OK) {
            link_down(l, "protocol error");
            break;
        }
        if (!reply)
            break;
        link_dispatch(l, reply);
        freeReplyObject(reply);
    }
    l->in_callback--;
    if (l->free_asked && l->in_callback == 0)
        link_release(l);
}

static int link_queue(slink *l, slink_reply_fn *cb, void *priv, const char *cmd, int len)
{
    if (l->dead || len < 0)
        return -1;
    pending_cb *p = calloc(1, sizeof(*p));
    p->fn = cb;
    p->priv = priv;
    if (l->tail)
        l->tail->next = p;
    else
        l->head = p;
    l->tail = p;
    l->npending++;
    int was_empty = buf_len(l->out) == 0;
    l->out = buf_cat(l->out, cmd, (size_t)len);
    if (l->connected && was_empty)
        conn_set_write_handler(l->c, link_on_write);
    return 0;
}

int slink_command(slink *l, slink_reply_fn *cb, void *priv, const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&cmd, fmt, ap);
    va_end(ap);
    int rc = link_queue(l, cb, priv, cmd, len);
    free(cmd);
    return rc;
}

int slink_command_argv(slink *l, slink_reply_fn *cb, void *priv, int argc, const char **argv,
                       const size_t *argvlen)
{
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
    int rc = link_queue(l, cb, priv, cmd, len);
    free(cmd);
    return rc;
}

int slink_is_connected(const slink *l)
{
    return l && l->connected && !l->dead;
}

int slink_pending(const slink *l)
{
    return l ? l->npending : 0;
}

void *slink_owner(const slink *l)
{
    return l->owner;
}

int slink_sock_name(const slink *l, char *out, size_t size)
{
    if (!l->c)
        return -1;
    return conn_sock_name(l->c, out, size);
}
