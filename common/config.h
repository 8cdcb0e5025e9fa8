/* config: the redis.conf syntax, with no knowledge of any program's options.
 *
 * A configuration is a sequence of directives, one a line: a name and its
 * arguments, split the way Redis splits them (spaces between arguments,
 * "double quotes" with \n \r \t \b \a \xHH escapes, 'single quotes').  Blank
 * lines and lines starting with '#' are skipped; `include <path>` reads
 * another file (or every file a wildcard matches) in place.  Each directive
 * is handed to a callback together with where it was found, so the program
 * that owns the options (keel-server, keel-sentinel) can report errors as
 * Redis does, plus the file name:
 *
 *   *** FATAL CONFIG FILE ERROR ***
 *   Reading the configuration file, at line 3 (/etc/keel/keel.conf:3)
 *   >>> 'foo bar'
 *   Bad directive or wrong number of arguments
 *
 * Also here, because they are syntax rather than meaning: turning a command
 * line (`--port 7000 --bind 127.0.0.1 ::1`) into directive lines, and the
 * value syntaxes every option table shares (yes/no, memory sizes "1gb"). */
#ifndef KEEL_CONFIG_H
#define KEEL_CONFIG_H

#include <stddef.h>

#include "buf.h"

#define CONFIG_ERR_FILE_MAX 1024
#define CONFIG_ERR_TEXT_MAX 1024
#define CONFIG_ERR_MSG_MAX 1024
#define CONFIG_INCLUDE_DEPTH_MAX 16

/* Where a directive came from: the file name (or the origin name given to
 * config_parse_string, e.g. "command line"), its 1-based line and the
 * line as written (trimmed). */
typedef struct config_origin {
    const char *file;
    int line;
    const char *text;
} config_origin;

/* Why parsing stopped.  line is 0 for errors not tied to a line (a file that
 * cannot be opened, a check run after the whole file was read). */
typedef struct config_error {
    char file[CONFIG_ERR_FILE_MAX];
    int line;
    char text[CONFIG_ERR_TEXT_MAX];
    char msg[CONFIG_ERR_MSG_MAX];
} config_error;

/* Called once per directive.  argv[0] is the directive name in lower case,
 * argv[1..argc-1] its arguments; all are bufs (binary-safe, NUL-terminated)
 * owned by the parser and freed after the call.  Return 0 to go on, or -1
 * after writing the reason (without the file and line: the parser adds
 * them) into err, e.g. "Bad directive or wrong number of arguments". */
typedef int config_directive_fn(void *ctx, int argc, buf *argv, const config_origin *where,
                                char *err, size_t errlen);

/* Split one line into arguments with Redis's sdssplitargs rules.  Returns a
 * malloc'ed array of *argc bufs (*argc may be 0 for an empty line; the
 * array is then still non-NULL), or NULL when quotes are unbalanced or a
 * closing quote is not followed by a space or the end of the line. */
buf *config_split_args(const char *line, int *argc);
void config_free_args(buf *argv, int argc);

/* Parse a whole file (path "-" reads standard input) or a string holding
 * lines.  Returns 0 when every directive was accepted, -1 with *err filled
 * otherwise.  `include` directives are handled here, relative paths being
 * taken from the current directory as Redis does; a path with * ? or [ is a
 * wildcard: its matches are read in alphabetical order, and no match at all
 * is not an error. */
int config_parse_file(const char *path, config_directive_fn *fn, void *ctx, config_error *err);
int config_parse_string(const char *text, const char *origin, config_directive_fn *fn, void *ctx,
                        config_error *err);

/* Fill err for a failure not tied to a line. */
void config_error_set(config_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The operator-facing message, Redis's wording with the file name added:
 * "*** FATAL CONFIG FILE ERROR ***\nReading the configuration file, at line N
 * (file:N)\n>>> 'text'\nmsg\n".  Returns what snprintf returns. */
int config_error_format(const config_error *err, char *dst, size_t dstlen);

/* Turn command-line arguments into directive lines, as redis-server does:
 * each argument starting with "--" begins a new directive (its name without
 * the dashes), and the arguments up to the next "--name" are its values,
 * quoted so that they are read back exactly.  The argument right after a
 * bare "--name" is always a value, even if it starts with "--"
 * (`--requirepass --secret`).  "--name value" given as one argument is split.
 * A bare "--save" with no value means `save ""`.  Returns a new buf of lines
 * for config_parse_string (empty if argc is 0). */
buf config_args_to_string(int argc, char **argv);

/* "yes" -> 1, "no" -> 0, case-insensitive; -1 otherwise. */
int config_parse_yesno(const char *s);

/* A memory size as redis.conf writes it: digits with an optional unit,
 * case-insensitive: b (1), k (1000), kb (1024), m (1000^2), mb (1024^2),
 * g (1000^3), gb (1024^3).  No sign, no spaces, no fraction.  Values past
 * 2^64-1 saturate, as Redis's memtoull does.  Returns 1 on success. */
int config_parse_memory(const char *s, unsigned long long *out);

/* The reverse, for CONFIG REWRITE: the largest exact unit among gb, mb, kb
 * ("1gb", "512mb", "1000"). */
int config_format_memory(char *dst, size_t dstlen, unsigned long long bytes);

#endif
