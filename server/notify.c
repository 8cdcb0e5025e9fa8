/* notify: keyspace notifications.  Commands report every change here with
 * Redis's event names; which classes are published is chosen by the
 * notify-keyspace-events setting.  Delivery to subscribers is pub/sub's. */
#include "server.h"

static int notify_flags; /* notify-keyspace-events: none by default, as Redis */

void notify_keyspace_event(server *s, int type, const char *event, const void *key, size_t keylen,
                           int dbid)
{
    if (!(notify_flags & type))
        return;
    (void)s, (void)event, (void)key, (void)keylen, (void)dbid;
}
