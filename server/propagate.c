/* propagate: the one point every change to the data passes through on its
 * way out of the server.  Commands never write to the AOF or to replicas
 * themselves: command_call (and expiry) hand the effective command here,
 * with the database it ran in, and the AOF and the replication stream read
 * from this point alone.  With neither enabled a change only counts.  While
 * the dataset is being loaded nothing goes out: the commands replayed come
 * from the files themselves.
 *
 * A transaction goes out whole: MULTI before the first change EXEC makes,
 * the changes, then EXEC (command_call hands EXEC itself here after its
 * queued commands, because they changed data).  A reader of the stream
 * then replays all of it or, if the stream was cut inside, none of it.
 * When an EXEC's only changes were expiries (which do not count as changes,
 * so EXEC itself does not come), the next change from elsewhere closes the
 * transaction first. */
#include "aof.h"
#include "replication.h"
#include "server.h"

static long long propagated_commands;
static uint64_t txn_client_id; /* the client whose EXEC has a MULTI out, 0: none */
static int txn_dbid;           /* the database of the transaction's last change */

static void propagate_emit(server *s, int dbid, int argc, const resp_arg *argv)
{
    propagated_commands++;
    if (s->cfg.appendonly)
        aof_feed(s, dbid, argc, argv);
    replication_feed(s, dbid, argc, argv);
}

static int propagate_in_exec(const server *s)
{
    return s->current_client && (s->current_client->flags & CLIENT_IN_EXEC);
}

void propagate_command(server *s, int dbid, int argc, const resp_arg *argv)
{
    static const resp_arg multi = {"MULTI", 5}, exec = {"EXEC", 4};
    if (s->loading)
        return;
    int is_exec = argc == 1 && arg_is(&argv[0], "exec");
    if (txn_client_id) {
        int same = propagate_in_exec(s) && s->current_client->id == txn_client_id;
        if (is_exec || !same) {
            txn_client_id = 0;
            propagate_emit(s, txn_dbid, 1, &exec);
        }
        if (is_exec)
            return;
    } else if (is_exec) {
        return; /* nothing inside it went out */
    }
    if (!txn_client_id && propagate_in_exec(s)) {
        txn_client_id = s->current_client->id;
        propagate_emit(s, dbid, 1, &multi);
    }
    txn_dbid = dbid;
    propagate_emit(s, dbid, argc, argv);
}
