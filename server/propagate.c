/* propagate: the one point every change to the data passes through on its
 * way out of the server.  Commands never write to the AOF or to replicas
 * themselves: command_call (and expiry) hand the effective command here,
 * with the database it ran in, and the AOF and the replication stream read
 * from this point alone.  With neither enabled a change only counts. */
#include "server.h"

static long long propagated_commands;

void propagate_command(server *s, int dbid, int argc, const resp_arg *argv)
{
    (void)s, (void)dbid, (void)argc, (void)argv;
    propagated_commands++;
}
