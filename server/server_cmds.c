/* server_cmds: commands about the server and its databases as a whole:
 * DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, SHUTDOWN. (INFO is info.c's.) */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "server.h"
#include "persist.h"

static void dbsize_command(client *c)
{
    reply_int(c, db_size(c->db));
}

/* FLUSHDB and FLUSHALL take an optional ASYNC or SYNC; without either,
 * lazyfree-lazy-user-flush decides.  Returns 0 (after replying) if the
 * argument is bad, else 1 with *async set. */
static int flush_parse_flags(client *c, int *async)
{
    *async = c->srv->cfg.lazyfree_lazy_user_flush;
    if (c->argc > 2) {
        reply_error_syntax(c);
        return 0;
    }
    if (c->argc == 2) {
        if (arg_is(&c->argv[1], "async"))
            *async = 1;
        else if (arg_is(&c->argv[1], "sync"))
            *async = 0;
        else {
            reply_error_syntax(c);
            return 0;
        }
    }
    return 1;
}

static void flushdb_command(client *c)
{
    int async;
    if (!flush_parse_flags(c, &async))
        return;
    long long removed = db_flush(c->srv, c->db->id, async);
    c->srv->stats.dirty += removed + 1;
    reply_ok(c);
}

static void flushall_command(client *c)
{
    int async;
    if (!flush_parse_flags(c, &async))
        return;
    long long removed = db_flush(c->srv, -1, async);
    c->srv->stats.dirty += removed + 1;
    persist_after_flushall(c->srv); /* with save points: an empty snapshot, as Redis */
    reply_ok(c);
}

static void swapdb_command(client *c)
{
    long long a, b;
    if (!util_str2ll(c->argv[1].ptr, c->argv[1].len, &a)) {
        reply_error(c, "ERR invalid first DB index");
        return;
    }
    if (!util_str2ll(c->argv[2].ptr, c->argv[2].len, &b)) {
        reply_error(c, "ERR invalid second DB index");
        return;
    }
    if (a < 0 || a >= c->srv->cfg.databases || b < 0 || b >= c->srv->cfg.databases) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    db_swap(c->srv, (int)a, (int)b);
    c->srv->stats.dirty++;
    reply_ok(c);
}

static void time_command(client *c)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    reply_array_len(c, 2);
    reply_bulk_ll(c, (long long)tv.tv_sec);
    reply_bulk_ll(c, (long long)tv.tv_usec);
}

static void shutdown_command(client *c)
{
    int nosave = 0, save = 0, now = 0, force = 0, abort_flag = 0;
    for (int j = 1; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "nosave"))
            nosave = 1;
        else if (arg_is(&c->argv[j], "save"))
            save = 1;
        else if (arg_is(&c->argv[j], "now"))
            now = 1;
        else if (arg_is(&c->argv[j], "force"))
            force = 1;
        else if (arg_is(&c->argv[j], "abort"))
            abort_flag = 1;
        else {
            reply_error_syntax(c);
            return;
        }
    }
    if ((abort_flag && c->argc != 2) || (nosave && save)) {
        reply_error_syntax(c);
        return;
    }
    if (abort_flag) {
        reply_error(c, "ERR No shutdown in progress.");
        return;
    }
    int flags = (nosave ? SHUTDOWN_NOSAVE : 0) | (save ? SHUTDOWN_SAVE : 0) |
                (now ? SHUTDOWN_NOW : 0) | (force ? SHUTDOWN_FORCE : 0);
    if (server_prepare_shutdown(c->srv, flags) != 0) {
        reply_error(c, "ERR Errors trying to SHUTDOWN. Check logs.");
        return;
    }
    ev_break(c->srv->loop, EVBREAK_ALL);
}

command server_commands[] = {
    {"dbsize", dbsize_command, 1, CMD_READONLY | CMD_FAST, 0, 0, 0, "server",
     "Returns the number of keys in the database.", "1.0.0"},
    {"flushdb", flushdb_command, -1, CMD_WRITE, 0, 0, 0, "server",
     "Remove all keys from the current database.", "1.0.0"},
    {"flushall", flushall_command, -1, CMD_WRITE, 0, 0, 0, "server",
     "Removes all keys from all databases.", "1.0.0"},
    {"swapdb", swapdb_command, 3, CMD_WRITE | CMD_FAST, 0, 0, 0, "server",
     "Swaps two Redis databases.", "4.0.0"},
    {"time", time_command, 1, CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "server",
     "Returns the server time.", "2.6.0"},
    {"shutdown", shutdown_command, -1,
     CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_ALLOW_BUSY, 0, 0, 0,
     "server", "Synchronously saves the database(s) to disk and shuts down the Redis server.",
     "1.0.0"},
    {0},
};
