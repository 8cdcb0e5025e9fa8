/* t_list: the list type and its commands. */
#include "server.h"

const obj_type_ops list_type_ops = {0};

command list_commands[] = {
    {0},
};
