/* multi: MULTI/EXEC/DISCARD/WATCH/UNWATCH. */
#include "server.h"

command multi_commands[] = {
    {0},
};
