/* conn: one connection, plain TCP or another transport (TLS, tls.c) behind
 * a small table of operations.  Owns the socket and its libev read/write
 * watchers; callers see only handlers and read/write calls that behave like
 * read(2)/write(2).  The plain TCP path calls the owner's handlers straight
 * from the watchers: a transport only adds work to the conns that use it. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
    const conn_ops *ops;
    struct ev_loop *loop;
    int fd;
    int state;
    ev_io rio, wio;
    conn_handler *read_handler;
    conn_handler *write_handler;
    conn_handler *connect_handler;
    void *priv;
    void *transport; /* the transport's own state (TLS: its SSL) */
    int refs;        /* handlers running through conn_call_handler */
    int close_pending;
    char err[128];
};

static ssize_t tcp_read(conn *c, void *p, size_t len)
{
    ssize_t n = read(c->fd, p, len);
    if (n == 0)
        c->state = CONN_STATE_CLOSED;
    else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        c->state = CONN_STATE_ERROR;
        snprintf(c->err, sizeof(c->err), "%s", strerror(errno));
    }
    return n;
}

static ssize_t tcp_write(conn *c, const void *p, size_t len)
{
    ssize_t n = write(c->fd, p, len);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        c->state = CONN_STATE_ERROR;
        snprintf(c->err, sizeof(c->err), "%s", strerror(errno));
    }
    return n;
}

static ssize_t tcp_writev(conn *c, const struct iovec *iov, int iovcnt)
{
    ssize_t n = writev(c->fd, iov, iovcnt);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        c->state = CONN_STATE_ERROR;
        snprintf(c->err, sizeof(c->err), "%s", strerror(errno));
    }
    return n;
}

static const conn_ops tcp_ops = {tcp_read, tcp_write, tcp_writev, NULL, NULL, NULL};

static int set_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;
    return 0;
}

static void conn_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    conn *c = w->data;
    if (c->read_handler)
        c->read_handler(c);
}

static void conn_on_write(struct ev_loop *loop, ev_io *w, int revents)
{
    conn *c = w->data;
    if (c->state == CONN_STATE_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        ev_io_stop(c->loop, &c->wio);
        if (err) {
            c->state = CONN_STATE_ERROR;
            snprintf(c->err, sizeof(c->err), "%s", strerror(err));
        } else {
            c->state = CONN_STATE_CONNECTED;
        }
        if (c->connect_handler)
            c->connect_handler(c);
        return;
    }
    if (c->write_handler)
        c->write_handler(c);
}

static conn *conn_new(struct ev_loop *loop, int fd, int state)
{
    conn *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->ops = &tcp_ops;
    c->loop = loop;
    c->fd = fd;
    c->state = state;
    ev_io_init(&c->rio, conn_on_read, fd, EV_READ);
    ev_io_init(&c->wio, conn_on_write, fd, EV_WRITE);
    c->rio.data = c;
    c->wio.data = c;
    return c;
}

conn *conn_create_accepted(struct ev_loop *loop, int fd)
{
    set_nonblock(fd);
    return conn_new(loop, fd, CONN_STATE_CONNECTED);
}

conn *conn_connect(struct ev_loop *loop, const char *host, int port, const char *source_addr,
                   conn_handler *on_connect)
{
    struct addrinfo hints = {0}, *res = NULL, *ai;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, portstr, &hints, &res) != 0) {
        errno = EHOSTUNREACH;
        return NULL;
    }
    int fd = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        set_nonblock(fd);
        if (source_addr && source_addr[0]) {
            struct addrinfo *src = NULL;
            if (getaddrinfo(source_addr, NULL, &hints, &src) == 0) {
                int rc = bind(fd, src->ai_addr, src->ai_addrlen);
                freeaddrinfo(src);
                if (rc < 0) {
                    close(fd);
                    fd = -1;
                    continue;
                }
            }
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return NULL;
    conn *c = conn_new(loop, fd, CONN_STATE_CONNECTING);
    c->connect_handler = on_connect;
    ev_io_start(loop, &c->wio);
    return c;
}

void conn_close(conn *c)
{
    if (!c)
        return;
    ev_io_stop(c->loop, &c->rio);
    ev_io_stop(c->loop, &c->wio);
    if (c->refs) {
        /* Closed from inside a handler that conn_call_handler runs: the
         * transport still holds the conn, so it is freed when that returns. */
        c->close_pending = 1;
        c->read_handler = c->write_handler = c->connect_handler = NULL;
        return;
    }
    if (c->ops->close)
        c->ops->close(c);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

void conn_set_read_handler(conn *c, conn_handler *h)
{
    c->read_handler = h;
    if (c->ops->update)
        c->ops->update(c);
    else if (h)
        ev_io_start(c->loop, &c->rio);
    else
        ev_io_stop(c->loop, &c->rio);
}

void conn_set_write_handler(conn *c, conn_handler *h)
{
    c->write_handler = h;
    if (c->ops->update)
        c->ops->update(c);
    else if (h)
        ev_io_start(c->loop, &c->wio);
    else
        ev_io_stop(c->loop, &c->wio);
}

int conn_has_write_handler(const conn *c)
{
    return c->write_handler != NULL;
}

ssize_t conn_read(conn *c, void *p, size_t len)
{
    return c->ops->read(c, p, len);
}
ssize_t conn_write(conn *c, const void *p, size_t len)
{
    return c->ops->write(c, p, len);
}
ssize_t conn_writev(conn *c, const struct iovec *iov, int iovcnt)
{
    return c->ops->writev(c, iov, iovcnt);
}

void conn_set_private(conn *c, void *priv)
{
    c->priv = priv;
}
void *conn_get_private(const conn *c)
{
    return c->priv;
}
int conn_fd(const conn *c)
{
    return c->fd;
}
int conn_state(const conn *c)
{
    return c->state;
}
const char *conn_last_error(const conn *c)
{
    return c->err;
}

static int format_addr(const struct sockaddr_storage *sa, char *out, size_t size)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
        port = ntohs(s->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
        port = ntohs(s->sin6_port);
    } else {
        snprintf(out, size, "/unixsocket:0");
        return 0;
    }
    snprintf(out, size, "%s:%d", ip, port);
    return 0;
}

int conn_peer_name(const conn *c, char *out, size_t size)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    if (getpeername(c->fd, (struct sockaddr *)&sa, &len) < 0) {
        snprintf(out, size, "?:0");
        return -1;
    }
    return format_addr(&sa, out, size);
}

int conn_sock_name(const conn *c, char *out, size_t size)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    if (getsockname(c->fd, (struct sockaddr *)&sa, &len) < 0) {
        snprintf(out, size, "?:0");
        return -1;
    }
    return format_addr(&sa, out, size);
}

int conn_is_loopback_peer(const conn *c)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    if (getpeername(c->fd, (struct sockaddr *)&sa, &len) < 0)
        return 0;
    if (sa.ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)&sa;
        return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&sa;
        if (IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
            return 1;
        if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr))
            return s->sin6_addr.s6_addr[12] == 127;
        return 0;
    }
    return sa.ss_family == AF_UNIX;
}

int conn_enable_keepalive(conn *c, int interval)
{
    int yes = 1;
    if (setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &yes, sizeof(yes)) < 0)
        return -1;
    /* Probe after `interval` seconds idle, then every interval/3, give up after
     * three missed probes: a dead peer is noticed in about twice the interval. */
    int idle = interval, intvl = interval / 3 > 0 ? interval / 3 : 1, cnt = 3;
    setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    return 0;
}

int conn_enable_nodelay(conn *c)
{
    int yes = 1;
    return setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
}

int conn_listen_tcp(const char *addr, int port, int backlog, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    const char *host = addr;
    if (addr[0] == '-') /* "-::1": optional address, as Redis */
        host = addr + 1;
    /* "*" is every IPv4 address, "::*" every IPv6 one. */
    if (strcmp(host, "*") == 0) {
        host = NULL;
        hints.ai_family = AF_INET;
    } else if (strcmp(host, "::*") == 0) {
        host = NULL;
        hints.ai_family = AF_INET6;
    }
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "%s", gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        int yes = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
        if (ai->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &yes, sizeof(yes));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0) {
            set_nonblock(fd);
            break;
        }
        snprintf(err, errlen, "%s", strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

int conn_accept_tcp(int listen_fd)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && errno == EINTR)
            continue;
        return fd;
    }
}

/* ------------------------------------------------------------ transports */

static void conn_on_transport_event(struct ev_loop *loop, ev_io *w, int revents)
{
    conn *c = w->data;
    c->ops->on_event(c, revents);
}

void conn_set_transport(conn *c, const conn_ops *ops, void *transport)
{
    ev_io_stop(c->loop, &c->rio);
    ev_io_stop(c->loop, &c->wio);
    c->ops = ops;
    c->transport = transport;
    ev_set_cb(&c->rio, conn_on_transport_event);
    ev_set_cb(&c->wio, conn_on_transport_event);
}

void *conn_transport(const conn *c)
{
    return c->transport;
}

void conn_set_connect_handler(conn *c, conn_handler *h)
{
    c->connect_handler = h;
}

static conn_handler *conn_handler_of(const conn *c, int which)
{
    return which == CONN_HANDLER_READ    ? c->read_handler
           : which == CONN_HANDLER_WRITE ? c->write_handler
                                         : c->connect_handler;
}

int conn_has_handler(const conn *c, int which)
{
    return conn_handler_of(c, which) != NULL;
}

int conn_call_handler(conn *c, int which)
{
    conn_handler *h = conn_handler_of(c, which);
    if (h) {
        c->refs++;
        h(c);
        c->refs--;
    }
    if (!c->close_pending)
        return 0;
    if (c->refs == 0) {
        c->close_pending = 0;
        conn_close(c);
    }
    return -1;
}

void conn_watch(conn *c, int want_read, int want_write)
{
    if (want_read && !ev_is_active(&c->rio))
        ev_io_start(c->loop, &c->rio);
    else if (!want_read && ev_is_active(&c->rio))
        ev_io_stop(c->loop, &c->rio);
    if (want_write && !ev_is_active(&c->wio))
        ev_io_start(c->loop, &c->wio);
    else if (!want_write && ev_is_active(&c->wio))
        ev_io_stop(c->loop, &c->wio);
}

void conn_feed_read(conn *c)
{
    ev_feed_event(c->loop, &c->rio, EV_READ);
}

void conn_set_state(conn *c, int state, const char *err)
{
    c->state = state;
    if (err)
        snprintf(c->err, sizeof(c->err), "%s", err);
}
