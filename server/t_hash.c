/* t_hash: the hash type and its commands. */
#include "server.h"

const obj_type_ops hash_type_ops = {0};

command hash_commands[] = {
    {0},
};
