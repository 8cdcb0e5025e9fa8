/* conn: one connection over plain TCP or TLS (tls.h), driven by libev.
 *
 * The server, replication links and sentinel links all read and write
 * through conn, so the transport can change without touching them.  A conn
 * owns its file descriptor and its two ev_io watchers; the owner registers
 * read/write handlers and attaches its own state with conn_set_private. */
#ifndef KEEL_CONN_H
#define KEEL_CONN_H

#include <ev.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef struct conn conn;
typedef void conn_handler(conn *c);

enum { CONN_STATE_CONNECTING, CONN_STATE_CONNECTED, CONN_STATE_CLOSED, CONN_STATE_ERROR };

conn *conn_create_accepted(struct ev_loop *loop, int fd);
/* Non-blocking connect; the connect handler runs once connected or failed
 * (check conn_state). Returns NULL and sets errno if the connect cannot start. */
conn *conn_connect(struct ev_loop *loop, const char *host, int port, const char *source_addr,
                   conn_handler *on_connect);
void conn_close(conn *c);

void conn_set_read_handler(conn *c, conn_handler *h);  /* NULL stops reading */
void conn_set_write_handler(conn *c, conn_handler *h); /* NULL stops write events */
int conn_has_write_handler(const conn *c);

/* Like read(2)/write(2): >0 bytes, 0 EOF (read), -1 with errno (EAGAIN: try later). */
ssize_t conn_read(conn *c, void *p, size_t len);
ssize_t conn_write(conn *c, const void *p, size_t len);
ssize_t conn_writev(conn *c, const struct iovec *iov, int iovcnt);

void conn_set_private(conn *c, void *priv);
void *conn_get_private(const conn *c);
int conn_fd(const conn *c);
int conn_state(const conn *c);
const char *conn_last_error(const conn *c);
/* "ip:port" of the peer or of our side (buffer of at least 64 bytes). */
int conn_peer_name(const conn *c, char *out, size_t size);
int conn_sock_name(const conn *c, char *out, size_t size);
int conn_is_loopback_peer(const conn *c); /* 127.0.0.0/8, ::1 or a unix socket */
int conn_enable_keepalive(conn *c, int interval);
int conn_enable_nodelay(conn *c);

/* Listening sockets: returns an fd (non-blocking, SO_REUSEADDR) or -1 with
 * errno and a message in err. */
int conn_listen_tcp(const char *addr, int port, int backlog, char *err, size_t errlen);
/* Accept one pending connection: fd or -1 (errno EAGAIN when none). */
int conn_accept_tcp(int listen_fd);

/* ------------------------------------------------------------ transports
 * For transport implementations (tls.c) only; owners of a conn never need
 * this.  A conn reads and writes through a table of operations; plain TCP is
 * the built-in one and costs nothing extra.  conn_set_transport puts another
 * table under an open conn: from then on its watchers call ops->on_event
 * (not the owner's handlers), and setting a handler calls ops->update, so
 * the transport decides which watchers run and which handler an event
 * serves (TLS may need to read in order to write, and the reverse). */
typedef struct conn_ops {
    ssize_t (*read)(conn *c, void *p, size_t len);
    ssize_t (*write)(conn *c, const void *p, size_t len);
    ssize_t (*writev)(conn *c, const struct iovec *iov, int iovcnt);
    void (*on_event)(conn *c, int revents); /* EV_READ or EV_WRITE fired */
    void (*update)(conn *c);                /* a read or write handler was set or cleared */
    void (*close)(conn *c);                 /* release the transport; the fd is closed after */
} conn_ops;

enum { CONN_HANDLER_READ, CONN_HANDLER_WRITE, CONN_HANDLER_CONNECT };

void conn_set_transport(conn *c, const conn_ops *ops, void *transport);
void *conn_transport(const conn *c);
void conn_set_connect_handler(conn *c, conn_handler *h);
int conn_has_handler(const conn *c, int which);
/* Call the owner's handler, if set.  The handler may close the conn; that
 * close is deferred until the handler returns.  Returns 0 if the conn is
 * still open, -1 if it was closed (it is freed: do not touch it). */
int conn_call_handler(conn *c, int which);
void conn_watch(conn *c, int want_read, int want_write); /* start or stop the watchers */
/* Run the read watcher on the next loop iteration although the socket may
 * have nothing new: the transport holds bytes it has already read. */
void conn_feed_read(conn *c);
/* Set the state, and the message conn_last_error returns (NULL: keep it). */
void conn_set_state(conn *c, int state, const char *err);

#endif
