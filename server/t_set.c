/* t_set: the set type and its commands. */
#include "server.h"

const obj_type_ops set_type_ops = {0};

command set_commands[] = {
    {0},
};
