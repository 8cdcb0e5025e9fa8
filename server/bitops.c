/* bitops: bitmap commands on strings. */
#include "server.h"

command bitops_commands[] = {
    {0},
};
