/* cli_repl: keel-cli's line mode, for the interactive prompt and for
 * commands piped on stdin.
 *
 * Splits each line into arguments with redis-cli's quoting rules, handles
 * what only makes sense typed (a repeat count "N cmd", quit/exit, connect,
 * clear), and for the prompt: line editing through libedit, the history
 * file (~/.keelcli_history or $KEELCLI_HISTFILE) and command-name
 * completion. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <editline/readline.h>

#include "cli.h"

/* ---------------------------------------------------------------------------
 * Splitting a typed line into arguments, with redis-cli's quoting rules:
 * words split on whitespace; "..." understands \n \r \t \b \a, \xHH and
 * \<any> for that character; '...' only understands \' ; a quote may start
 * in the middle of a word, but a closing quote must end the word.  Returns
 * the argument count, or -1 when quotes are unbalanced or misplaced. */

static int cli_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

void cli_free_args(int argc, char **argv, size_t *lens)
{
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    free(lens);
}

int cli_split_line(const char *line, char ***argvp, size_t **lensp)
{
    const char *p = line;
    int argc = 0;
    char **argv = NULL;
    size_t *lens = NULL;
    struct cli_out cur = {0};

    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        int in_dq = 0, in_sq = 0, done = 0;
        cur.len = 0;
        cli_out_cat(&cur, "", 0); /* an empty "" argument still needs a buffer */
        while (!done) {
            if (in_dq) {
                if (!*p)
                    goto invalid;
                if (p[0] == '\\' && p[1] == 'x' && cli_hexval(p[2]) >= 0 && cli_hexval(p[3]) >= 0) {
                    cli_out_catc(&cur, (char)(cli_hexval(p[2]) * 16 + cli_hexval(p[3])));
                    p += 3;
                } else if (p[0] == '\\' && p[1]) {
                    char c;
                    p++;
                    switch (*p) {
                    case 'n': c = '\n'; break;
                    case 'r': c = '\r'; break;
                    case 't': c = '\t'; break;
                    case 'b': c = '\b'; break;
                    case 'a': c = '\a'; break;
                    default: c = *p; break;
                    }
                    cli_out_catc(&cur, c);
                } else if (*p == '"') {
                    if (p[1] && !isspace((unsigned char)p[1]))
                        goto invalid;
                    done = 1;
                } else {
                    cli_out_catc(&cur, *p);
                }
            } else if (in_sq) {
                if (!*p)
                    goto invalid;
                if (p[0] == '\\' && p[1] == '\'') {
                    cli_out_catc(&cur, '\'');
                    p++;
                } else if (*p == '\'') {
                    if (p[1] && !isspace((unsigned char)p[1]))
                        goto invalid;
                    done = 1;
                } else {
                    cli_out_catc(&cur, *p);
                }
            } else {
                switch (*p) {
                case ' ':
                case '\n':
                case '\r':
                case '\t':
                case '\v':
                case '\f':
                case '\0': done = 1; break;
                case '"': in_dq = 1; break;
                case '\'': in_sq = 1; break;
                default: cli_out_catc(&cur, *p); break;
                }
            }
            if (*p)
                p++;
        }
        argv = cli_xrealloc(argv, sizeof(*argv) * (size_t)(argc + 1));
        lens = cli_xrealloc(lens, sizeof(*lens) * (size_t)(argc + 1));
        argv[argc] = cli_xrealloc(NULL, cur.len + 1);
        memcpy(argv[argc], cur.p, cur.len + 1);
        lens[argc] = cur.len;
        argc++;
    }
    cli_out_free(&cur);
    *argvp = argv;
    *lensp = lens;
    return argc;

invalid:
    cli_out_free(&cur);
    cli_free_args(argc, argv, lens);
    *argvp = NULL;
    *lensp = NULL;
    return -1;
}

/* ---------------------------------------------------------------------------
 * History: plain lines, oldest first, rewritten after each entry (as redis-cli
 * does) so a session killed by a signal keeps what it typed. */

static void cli_history_save(struct cli *c)
{
    if (!c->histfile)
        return;
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", c->histfile) >= (int)sizeof(tmp))
        return;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    for (int i = 0; i < c->hist_len; i++)
        fprintf(f, "%s\n", c->hist[i]);
    /* History may hold keys and values: keep it private. */
    fchmod(fileno(f), 0600);
    if (fclose(f) == 0)
        rename(tmp, c->histfile);
    else
        unlink(tmp);
}

static void cli_history_add(struct cli *c, const char *line)
{
    if (c->hist_len > 0 && strcmp(c->hist[c->hist_len - 1], line) == 0)
        return; /* repeating a command should not fill the history */
    if (c->hist_len == CLI_HISTORY_MAX) {
        free(c->hist[0]);
        memmove(c->hist, c->hist + 1, sizeof(*c->hist) * (CLI_HISTORY_MAX - 1));
        c->hist_len--;
    }
    c->hist = cli_xrealloc(c->hist, sizeof(*c->hist) * (size_t)(c->hist_len + 1));
    c->hist[c->hist_len++] = cli_xstrdup(line);
    add_history(line);
}

static void cli_history_load(struct cli *c)
{
    const char *env = getenv("KEELCLI_HISTFILE");
    if (env) {
        /* An empty value or /dev/null turns history off, as REDISCLI_HISTFILE does. */
        if (!*env || strcmp(env, "/dev/null") == 0)
            return;
        c->histfile = cli_xstrdup(env);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home)
            return;
        size_t n = strlen(home) + sizeof("/.keelcli_history");
        c->histfile = cli_xrealloc(NULL, n);
        snprintf(c->histfile, n, "%s/.keelcli_history", home);
    }
    FILE *f = fopen(c->histfile, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n > 0)
            cli_history_add(c, line);
    }
    free(line);
    fclose(f);
}

/* Lines carrying passwords stay out of the history file. */
static int cli_is_sensitive(int argc, char **argv)
{
    if (cli_is(argv[0], "auth"))
        return 1;
    if (argc >= 2 && cli_is(argv[0], "acl") && cli_is(argv[1], "setuser"))
        return 1;
    if (argc >= 3 && cli_is(argv[0], "config") && cli_is(argv[1], "set")) {
        for (int i = 2; i < argc; i++)
            if (strcasestr(argv[i], "requirepass") || strcasestr(argv[i], "masterauth") ||
                strcasestr(argv[i], "masteruser"))
                return 1;
    }
    if (cli_is(argv[0], "hello") || cli_is(argv[0], "migrate")) {
        for (int i = 1; i < argc; i++)
            if (cli_is(argv[i], "auth") || cli_is(argv[i], "auth2"))
                return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Line mode: interactive prompt and commands piped on stdin. */

static char *cli_prompt(struct cli *c, char *dst, size_t size)
{
    if (!cli_connected(c)) {
        snprintf(dst, size, "not connected> ");
        return dst;
    }
    int n;
    if (c->sock)
        n = snprintf(dst, size, "keel %s", c->sock);
    else
        n = snprintf(dst, size, "%s:%d", c->host, c->port);
    if (n < 0 || (size_t)n >= size)
        n = (int)size - 1;
    if (c->dbnum != 0)
        n += snprintf(dst + n, size - (size_t)n, "[%d]", c->dbnum);
    if ((size_t)n < size && c->in_multi)
        n += snprintf(dst + n, size - (size_t)n, "(TX)");
    if ((size_t)n < size)
        snprintf(dst + n, size - (size_t)n, "> ");
    return dst;
}

/* Handles one typed or piped line.  Returns 0 when the user asked to leave. */
int cli_run_line(struct cli *c, const char *line)
{
    if (!*line)
        return 1;
    char **argv;
    size_t *lens;
    int argc = cli_split_line(line, &argv, &lens);
    if (argc < 0) {
        fputs("Invalid argument(s)\n", stdout);
        fflush(stdout);
        if (c->interactive) {
            cli_history_add(c, line);
            cli_history_save(c);
        }
        return 1;
    }
    if (argc == 0) {
        cli_free_args(argc, argv, lens);
        return 1;
    }

    /* "3 incr x" runs the command three times, like -r on the command line. */
    long long repeat = 1;
    int skip = 0;
    char *end;
    errno = 0;
    long long n = strtoll(argv[0], &end, 10);
    if (argc > 1 && *end == '\0') {
        if (errno == ERANGE || n <= 0) {
            fputs("Invalid keel-cli repeat command option value.\n", stdout);
            fflush(stdout);
            cli_free_args(argc, argv, lens);
            return 1;
        }
        repeat = n;
        skip = 1;
    }
    int cargc = argc - skip;
    char **cargv = argv + skip;
    size_t *clens = lens + skip;

    if (c->interactive && !cli_is_sensitive(cargc, cargv)) {
        cli_history_add(c, line);
        cli_history_save(c);
    }

    int keep_going = 1;
    if (cli_is(cargv[0], "quit") || cli_is(cargv[0], "exit")) {
        keep_going = 0;
    } else if (cargv[0][0] == ':') {
        /* redis-cli's ":set hints" preferences: nothing to set here. */
    } else if (cli_is(cargv[0], "connect") && (cargc == 2 || cargc == 3)) {
        free(c->host);
        c->host = cli_xstrdup(cargv[1]);
        if (cargc == 3)
            c->port = atoi(cargv[2]);
        free(c->sock);
        c->sock = NULL;
        cli_connect(c);
    } else if (cli_is(cargv[0], "clear") && cargc == 1) {
        if (isatty(STDOUT_FILENO)) {
            fputs("\x1b[H\x1b[2J", stdout);
            fflush(stdout);
        }
    } else {
        cli_command_repeat(c, cargc, cargv, clens, repeat);
    }
    cli_free_args(argc, argv, lens);
    return keep_going;
}

/* Completion of command names for the first word; later words get none
 * (libedit would otherwise offer file names, which mean nothing here). */
static const char cli_command_names[] =
    "APPEND AUTH BGREWRITEAOF BGSAVE BITCOUNT BITFIELD BITOP BITPOS BLMOVE BLPOP BRPOP "
    "BRPOPLPUSH BZPOPMAX BZPOPMIN CLIENT COMMAND CONFIG COPY DBSIZE DECR DECRBY DEL DISCARD "
    "DUMP ECHO EVAL EVALSHA EXEC EXISTS EXPIRE EXPIREAT EXPIRETIME FLUSHALL FLUSHDB GET GETBIT "
    "GETDEL GETEX GETRANGE GETSET HDEL HELLO HEXISTS HGET HGETALL HINCRBY HINCRBYFLOAT HKEYS "
    "HLEN HMGET HMSET HRANDFIELD HSCAN HSET HSETNX HSTRLEN HVALS INCR INCRBY INCRBYFLOAT INFO "
    "KEYS LASTSAVE LINDEX LINSERT LLEN LMOVE LMPOP LPOP LPOS LPUSH LPUSHX LRANGE LREM LSET "
    "LTRIM MEMORY MGET MONITOR MOVE MSET MSETNX MULTI OBJECT PERSIST PEXPIRE PEXPIREAT "
    "PEXPIRETIME PING PSETEX PSUBSCRIBE PTTL PUBLISH PUBSUB PUNSUBSCRIBE QUIT RANDOMKEY RENAME "
    "RENAMENX REPLICAOF RESTORE ROLE RPOP RPOPLPUSH RPUSH RPUSHX SADD SAVE SCAN SCARD SCRIPT "
    "SDIFF SDIFFSTORE SELECT SENTINEL SET SETBIT SETEX SETNX SETRANGE SHUTDOWN SINTER "
    "SINTERCARD SINTERSTORE SISMEMBER SLAVEOF SLOWLOG SMEMBERS SMISMEMBER SMOVE SORT SPOP "
    "SRANDMEMBER SREM SSCAN STRLEN SUBSCRIBE SUNION SUNIONSTORE SWAPDB TIME TOUCH TTL TYPE "
    "UNLINK UNSUBSCRIBE UNWATCH WAIT WATCH ZADD ZCARD ZCOUNT ZDIFF ZINCRBY ZINTER ZINTERSTORE "
    "ZLEXCOUNT ZMPOP ZMSCORE ZPOPMAX ZPOPMIN ZRANDMEMBER ZRANGE ZRANGEBYLEX ZRANGEBYSCORE "
    "ZRANGESTORE ZRANK ZREM ZREMRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREVRANGE "
    "ZREVRANGEBYLEX ZREVRANGEBYSCORE ZREVRANK ZSCAN ZSCORE ZUNION ZUNIONSTORE";

static char *cli_complete_next(const char *text, int state)
{
    static const char *next;
    static size_t len;
    if (state == 0) {
        next = cli_command_names;
        len = strlen(text);
    }
    /* Completions follow the case the user started typing in. */
    int lower = len > 0 && islower((unsigned char)text[0]);
    while (*next) {
        const char *name = next;
        size_t n = strcspn(name, " ");
        next = name[n] ? name + n + 1 : name + n;
        if (n >= len && strncasecmp(name, text, len) == 0) {
            char *m = cli_xrealloc(NULL, n + 1);
            for (size_t i = 0; i < n; i++)
                m[i] = lower ? (char)tolower((unsigned char)name[i]) : name[i];
            m[n] = '\0';
            return m;
        }
    }
    return NULL;
}

static char **cli_complete(const char *text, int start, int end)
{
    rl_attempted_completion_over = 1;
    for (int i = 0; i < start; i++)
        if (!isspace((unsigned char)rl_line_buffer[i]))
            return NULL;
    return rl_completion_matches(text, cli_complete_next);
}

void cli_repl_interactive(struct cli *c)
{
    rl_readline_name = "keel-cli";
    rl_attempted_completion_function = cli_complete;
    stifle_history(CLI_HISTORY_MAX);
    cli_history_load(c);
    char prompt[512];
    for (;;) {
        char *line = readline(cli_prompt(c, prompt, sizeof(prompt)));
        if (!line)
            break;
        int go_on = cli_run_line(c, line);
        free(line);
        if (!go_on)
            break;
    }
}

void cli_repl_piped(struct cli *c)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        if (!cli_run_line(c, line))
            break;
    }
    free(line);
}
