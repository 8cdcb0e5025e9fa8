/* link: one outbound connection from keel-sentinel to a server or another
 * sentinel, plain TCP or TLS.
 *
 * A link is a conn (conn.h) with a hiredis redisReader fed from it, a FIFO
 * of callbacks (one per command sent: replies come back in order), and a
 * connect timeout of its own (hiredis 0.14's libev adapter has no timers).
 * A link subscribed to a channel gets the pushed messages through on_push.
 * When the connection fails or drops, every pending callback runs once with
 * a NULL reply, then on_down runs; the owner decides when to reconnect. */
#ifndef KEEL_SENTINEL_LINK_H
#define KEEL_SENTINEL_LINK_H

#include <ev.h>
#include <hiredis/hiredis.h>
#include <stddef.h>

#include "tls.h"

typedef struct slink slink;
/* r is NULL when the link dropped before the reply came. */
typedef void slink_reply_fn(slink *l, redisReply *r, void *priv);
typedef void slink_event_fn(slink *l, void *owner);

/* Start connecting to host:port (TLS when tls is not NULL).  on_up runs when
 * connected, on_down when the connection fails or is lost; after on_down the
 * link is closed and the owner must slink_free it (it may do so inside
 * on_down).  Returns NULL if the connect cannot even start. */
slink *slink_connect(struct ev_loop *loop, const char *host, int port, tls_context *tls,
                     double timeout, void *owner, slink_event_fn *on_up, slink_event_fn *on_down,
                     slink_reply_fn *on_push);
void slink_free(slink *l); /* pending callbacks run with NULL; on_down does not run */

/* Send a command (printf-like, redisFormatCommand's %s %b %d syntax).  cb may
 * be NULL (the reply is dropped).  Returns 0, or -1 if the link is down. */
int slink_command(slink *l, slink_reply_fn *cb, void *priv, const char *fmt, ...);
/* Same, from an argument vector. */
int slink_command_argv(slink *l, slink_reply_fn *cb, void *priv, int argc, const char **argv,
                       const size_t *argvlen);
int slink_is_connected(const slink *l);
int slink_pending(const slink *l); /* commands sent, replies not yet read */
void *slink_owner(const slink *l);
/* Our side's "ip:port" of the connection (64 bytes). */
int slink_sock_name(const slink *l, char *out, size_t size);
/* Drop the link now (on_down runs, as for a lost connection). */
void slink_drop(slink *l, const char *why);

#endif
