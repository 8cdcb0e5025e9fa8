/* config (server): keel-server's typed option table and the CONFIG command.
 *
 * The syntax layer (line splitting, include, command-line overrides) is the
 * generic one in common/config.h, which has the same file name: it is
 * included here by relative path so that `#include "config.h"` from server/
 * sees both layers. */
#ifndef KEEL_SERVER_CONFIG_H
#define KEEL_SERVER_CONFIG_H

#include <stddef.h>

#include "../common/config.h"
#include "server.h"

#define CONFIG_DEFAULT_PORT 6379
#define CONFIG_MIN_HZ 1
#define CONFIG_MAX_HZ 500

/* Put every option at its default.  cfg must be zeroed or hold values set
 * by this module (strings it owns are freed first). */
void config_set_defaults(server_config *cfg);

/* Defaults, then `file` (NULL: none; "-": standard input), then the
 * command-line overrides (the arguments after the file name, e.g.
 * {"--port", "7000", "--bind", "127.0.0.1", "::1"}).  `dir` takes effect as
 * it is read (chdir), as in Redis.  Returns 0, or -1 with the operator's
 * message ("*** FATAL CONFIG FILE ERROR *** ...", no trailing newline) in
 * err. */
int config_load(server *s, const char *file, int argc, char **argv_overrides, char *err,
                size_t errlen);

/* Release the strings the option table owns. */
void config_free(server_config *cfg);

/* CONFIG REWRITE's work, for callers other than the command (tests,
 * SHUTDOWN hooks): 0, or -1 with errno set. */
int config_rewrite(server *s, const char *path);

/* CONFIG RESETSTAT's work: the INFO counters (not `dirty`), the per-command
 * statistics and the error counts. */
void config_reset_stats(server *s);

/* The value CONFIG GET reports for one option, as a new buf, or NULL if
 * there is no such option (INFO and tests use this). */
buf config_get_value(server *s, const char *name);

#endif
