/* t_zset: the zset type and its commands. */
#include "server.h"

const obj_type_ops zset_type_ops = {0};

command zset_commands[] = {
    {0},
};
