/* notify: keyspace notifications.  Commands report every change here with
 * Redis's event names; notify-keyspace-events chooses which classes are
 * published, to `__keyspace@<db>__:<key>` (message: the event) and/or
 * `__keyevent@<db>__:<event>` (message: the key), as Redis does. */
#include <stdio.h>
#include <string.h>

#include "server.h"

static const struct {
    char letter;
    int flag;
} notify_letters[] = {
    {'g', NOTIFY_GENERIC},  {'$', NOTIFY_STRING},   {'l', NOTIFY_LIST},    {'s', NOTIFY_SET},
    {'h', NOTIFY_HASH},     {'z', NOTIFY_ZSET},     {'x', NOTIFY_EXPIRED}, {'e', NOTIFY_EVICTED},
    {'t', NOTIFY_STREAM},   {'d', NOTIFY_MODULE},   {'n', NOTIFY_NEW},     {'K', NOTIFY_KEYSPACE},
    {'E', NOTIFY_KEYEVENT}, {'m', NOTIFY_KEY_MISS},
};
#define NOTIFY_LETTER_COUNT (int)(sizeof(notify_letters) / sizeof(notify_letters[0]))

int notify_flags_from_string(const char *s, int *flags)
{
    int f = 0;
    for (; *s; s++) {
        if (*s == 'A') {
            f |= NOTIFY_ALL;
            continue;
        }
        int found = 0;
        for (int i = 0; i < NOTIFY_LETTER_COUNT && !found; i++) {
            if (notify_letters[i].letter == *s) {
                f |= notify_letters[i].flag;
                found = 1;
            }
        }
        if (!found)
            return 0;
    }
    *flags = f;
    return 1;
}

/* Redis's canonical spelling: "A" for every class (else the class letters
 * in a fixed order), then K, E and m. */
buf notify_flags_to_string(buf out, int flags)
{
    int start = 0;
    if ((flags & NOTIFY_ALL) == NOTIFY_ALL) {
        out = buf_cat(out, "A", 1);
        start = 11; /* skip the class letters A stands for; Redis shows no n with A */
    }
    for (int i = start; i < NOTIFY_LETTER_COUNT; i++)
        if (flags & notify_letters[i].flag)
            out = buf_cat(out, &notify_letters[i].letter, 1);
    return out;
}

void notify_keyspace_event(server *s, int type, const char *event, const void *key, size_t keylen,
                           int dbid)
{
    int flags = s ? s->cfg.notify_keyspace_events : 0;
    if (!(flags & type) || !(flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT)))
        return;
    char prefix[48];
    size_t evlen = strlen(event);
    if (flags & NOTIFY_KEYSPACE) {
        int n = snprintf(prefix, sizeof(prefix), "__keyspace@%d__:", dbid);
        buf channel = buf_cat(buf_new(prefix, (size_t)n), key, keylen);
        pubsub_publish(s, channel, buf_len(channel), event, evlen);
        buf_free(channel);
    }
    if (flags & NOTIFY_KEYEVENT) {
        int n = snprintf(prefix, sizeof(prefix), "__keyevent@%d__:", dbid);
        buf channel = buf_cat(buf_new(prefix, (size_t)n), event, evlen);
        pubsub_publish(s, channel, buf_len(channel), key, keylen);
        buf_free(channel);
    }
}
