/* cli: keel-cli, the command-line client of Keel.
 *
 * Owns start-up: option parsing (the options redis-cli users know: -h -p -s
 * -a --user -u -n -r -i -x -e --raw --no-raw --tls --cacert ...), and the
 * choice of mode: one command from argv, commands read line by line from a
 * non-tty stdin, or the interactive prompt.  Output is meant to be byte-for-byte what
 * redis-cli 7.0 prints, so scripts written against redis-cli keep working;
 * the only intended differences are the program name in messages and the
 * help text.  hiredis 0.14 speaks RESP2 only, so there is no RESP3 here.
 * See cli.h for how the other files divide the work. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"

/* ---------------------------------------------------------------------------
 * Options. */

static void cli_usage(FILE *f)
{
    fprintf(f,
            "keel-cli %s\n"
            "\n"
            "Usage: keel-cli [OPTIONS] [cmd [arg [arg ...]]]\n"
            "  -h <hostname>      Server hostname (default: 127.0.0.1).\n"
            "  -p <port>          Server port (default: 6379).\n"
            "  -s <socket>        Server socket (overrides hostname and port).\n"
            "  -a <password>      Password to use when connecting to the server.\n"
            "                     You can also use the KEELCLI_AUTH (or REDISCLI_AUTH)\n"
            "                     environment variable to pass this password more safely\n"
            "                     (if both are used, this argument takes precedence).\n"
            "  --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.\n"
            "  --pass <password>  Alias of -a for consistency with the new --user option.\n"
            "  -u <uri>           Server URI: redis://[[user]:password@]host[:port][/db]\n"
            "                     (rediss:// for TLS)\n"
            "  -r <repeat>        Execute specified command N times (-1: forever).\n"
            "  -i <interval>      When -r is used, waits <interval> seconds per command.\n"
            "                     It is possible to specify sub-second times like -i 0.1.\n"
            "  -n <db>            Database number.\n"
            "  -x                 Read last argument from STDIN.\n"
            "  -e                 Return exit error code when command execution fails.\n"
            "  --tls              Establish a secure TLS connection.\n"
            "  --sni <host>       Server name indication for TLS.\n"
            "  --cacert <file>    CA Certificate file to verify with.\n"
            "  --cacertdir <dir>  Directory where trusted CA certificates are stored.\n"
            "                     If neither cacert nor cacertdir are specified, the default\n"
            "                     system-wide trusted root certs configuration will apply.\n"
            "  --insecure         Allow insecure TLS connection by skipping cert validation.\n"
            "  --cert <file>      Client certificate to authenticate with.\n"
            "  --key <file>       Private key file to authenticate with.\n"
            "  --tls-ciphers <list> Sets the list of preferred ciphers (TLSv1.2 and below)\n"
            "                     in order of preference from highest to lowest separated by "
            "colon (\":\").\n"
            "  --tls-ciphersuites <list> Sets the list of preferred ciphersuites (TLSv1.3)\n"
            "                     in order of preference from highest to lowest separated by "
            "colon (\":\").\n"
            "  --raw              Use raw formatting for replies (default when STDOUT is\n"
            "                     not a tty).\n"
            "  --no-raw           Force formatted output even when STDOUT is not a tty.\n"
            "  --no-auth-warning  Don't show warning message when using password on command\n"
            "                     line interface.\n"
            "  --help             Output this help and exit.\n"
            "  --version          Output version and exit.\n"
            "\n"
            "Examples:\n"
            "  cat /etc/passwd | keel-cli -x set mypasswd\n"
            "  keel-cli get mypasswd\n"
            "  keel-cli -r 100 lpush mylist x\n"
            "  keel-cli -r 100 -i 1 info | grep used_memory_human:\n"
            "\n"
            "When no command is given, keel-cli reads commands from STDIN if it is not a\n"
            "tty, one per line, and otherwise starts in interactive mode.\n"
            "Type \"help\" in interactive mode for information on available commands.\n",
            KEEL_VERSION);
}

static void cli_bad_option(const char *arg)
{
    fprintf(stderr, "Unrecognized option or bad number of args for: '%s'\n", arg);
    exit(1);
}

/* redis://[[user][:password]@]host[:port][/db], or rediss:// for TLS */
static void cli_parse_uri(struct cli *c, const char *uri)
{
    const char *scheme = "redis://";
    if (strncasecmp(uri, "rediss://", 9) == 0) {
        scheme = "rediss://";
        c->tls = 1;
    } else if (strncasecmp(uri, scheme, strlen(scheme)) != 0) {
        fprintf(stderr, "Invalid URI scheme\n");
        exit(1);
    }
    const char *p = uri + strlen(scheme);
    const char *at = strrchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon) {
            if (colon > p) {
                free(c->user);
                c->user = strndup(p, (size_t)(colon - p));
            }
            free(c->pass);
            c->pass = strndup(colon + 1, (size_t)(at - colon - 1));
        } else {
            free(c->user);
            c->user = strndup(p, (size_t)(at - p));
        }
        p = at + 1;
    }
    const char *slash = strchr(p, '/');
    const char *hostend = slash ? slash : p + strlen(p);
    const char *colon = memrchr(p, ':', (size_t)(hostend - p));
    if (colon) {
        c->port = atoi(colon + 1);
        hostend = colon;
    }
    if (hostend > p) {
        free(c->host);
        c->host = strndup(p, (size_t)(hostend - p));
    }
    if (slash && slash[1])
        c->dbnum = atoi(slash + 1);
}

/* Parses options up to the first non-option argument (the command), the way
 * redis-cli does.  Returns the index of the command, argc if there is none. */
static int cli_parse_options(struct cli *c, int argc, char **argv)
{
    int i;
    int password_on_cmdline = 0;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
#define CLI_VALUE() (has_value ? argv[++i] : (cli_bad_option(a), ""))
        if (!strcmp(a, "-h")) {
            free(c->host);
            c->host = cli_xstrdup(CLI_VALUE());
        } else if (!strcmp(a, "-p")) {
            c->port = atoi(CLI_VALUE());
        } else if (!strcmp(a, "-s")) {
            free(c->sock);
            c->sock = cli_xstrdup(CLI_VALUE());
        } else if (!strcmp(a, "-a") || !strcmp(a, "--pass")) {
            free(c->pass);
            c->pass = cli_xstrdup(CLI_VALUE());
            password_on_cmdline = 1;
        } else if (!strcmp(a, "--user")) {
            free(c->user);
            c->user = cli_xstrdup(CLI_VALUE());
        } else if (!strcmp(a, "-u")) {
            cli_parse_uri(c, CLI_VALUE());
            if (c->pass)
                password_on_cmdline = 1;
        } else if (!strcmp(a, "-n")) {
            c->dbnum = atoi(CLI_VALUE());
        } else if (!strcmp(a, "-r")) {
            c->repeat = strtoll(CLI_VALUE(), NULL, 10);
        } else if (!strcmp(a, "-i")) {
            double secs = strtod(CLI_VALUE(), NULL);
            c->interval_us = secs > 0 ? (long long)(secs * 1e6) : 0;
        } else if (!strcmp(a, "-x")) {
            c->stdin_last_arg = 1;
        } else if (!strcmp(a, "-e")) {
            c->exit_on_error = 1;
        } else if (!strcmp(a, "--tls")) {
            c->tls = 1;
        } else if (!strcmp(a, "--insecure")) {
            c->tls_insecure = 1;
        } else if (!strcmp(a, "--sni")) {
            free(c->tls_sni);
            c->tls_sni = cli_xstrdup(CLI_VALUE());
        } else if (!strcmp(a, "--cacert")) {
            free(c->tls_cacert);
            c->tls_cacert = cli_xstrdup(CLI_VALUE());
        } else if (!strcmp(a, "--cacertdir")) {
            free(c->tls_cacertdir);
            c->tls_cacertdir = cli_xstrdup(CLI_VALUE());
        } else if (!strcmp(a, "--cert")) {
            free(c->tls_cert);
            c->tls_cert = cli_xstrdup(CLI_VALUE());
        } else if (!strcmp(a, "--key")) {
            free(c->tls_key);
            c->tls_key = cli_xstrdup(CLI_VALUE());
        } else if (!strcmp(a, "--tls-ciphers")) {
            free(c->tls_ciphers);
            c->tls_ciphers = cli_xstrdup(CLI_VALUE());
        } else if (!strcmp(a, "--tls-ciphersuites")) {
            free(c->tls_ciphersuites);
            c->tls_ciphersuites = cli_xstrdup(CLI_VALUE());
        } else if (!strcmp(a, "--raw")) {
            c->raw = 1;
        } else if (!strcmp(a, "--no-raw")) {
            c->raw = 0;
        } else if (!strcmp(a, "--no-auth-warning")) {
            c->auth_warning = 0;
        } else if (!strcmp(a, "--help")) {
            cli_usage(stdout);
            exit(0);
        } else if (!strcmp(a, "-v") || !strcmp(a, "--version")) {
            printf("keel-cli %s\n", KEEL_VERSION);
            exit(0);
        } else if (a[0] == '-') {
            cli_bad_option(a);
        } else {
            break; /* the command name: everything after it is its arguments */
        }
#undef CLI_VALUE
    }
    if (password_on_cmdline && c->auth_warning)
        fputs("Warning: Using a password with '-a' or '-u' option on the command line "
              "interface may not be safe.\n",
              stderr);
    if (!c->pass) {
        const char *env = getenv("KEELCLI_AUTH");
        if (!env)
            env = getenv("REDISCLI_AUTH");
        if (env)
            c->pass = cli_xstrdup(env);
    }
    if (!c->pass) {
        /* AUTH with a user needs a password; redis-cli ignores --user alone. */
        free(c->user);
        c->user = NULL;
    }
    return i;
}

/* -x: the whole of stdin, bytes as they are (a trailing newline included,
 * as redis-cli sends it), becomes the last argument. */
static char *cli_read_stdin(size_t *lenp)
{
    struct cli_out o = {0};
    char chunk[65536];
    size_t n;
    cli_out_cat(&o, "", 0);
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
        cli_out_cat(&o, chunk, n);
    *lenp = o.len;
    return o.p;
}

static void cli_free(struct cli *c)
{
    cli_disconnect(c);
    free(c->host);
    free(c->sock);
    free(c->user);
    free(c->pass);
    free(c->tls_sni);
    free(c->tls_cacert);
    free(c->tls_cacertdir);
    free(c->tls_cert);
    free(c->tls_key);
    free(c->tls_ciphers);
    free(c->tls_ciphersuites);
    free(c->histfile);
    for (int i = 0; i < c->hist_len; i++)
        free(c->hist[i]);
    free(c->hist);
}

int main(int argc, char **argv)
{
    struct cli c = {
        .host = cli_xstrdup("127.0.0.1"),
        .port = 6379,
        .auth_warning = 1,
        .repeat = 1,
        .raw = !isatty(STDOUT_FILENO),
        .pending_db = -1,
    };
    int first = cli_parse_options(&c, argc, argv);

    /* A peer that vanished must surface as a write error to report, not as
     * a signal that kills us without a word. */
    signal(SIGPIPE, SIG_IGN);

    if (first >= argc) {
        /* Line mode.  A failed first connection is not fatal: every command
         * retries, so the session survives a server restart. */
        c.repl = 1;
        c.interactive = isatty(STDIN_FILENO);
        cli_connect(&c);
        if (c.interactive)
            cli_repl_interactive(&c);
        else
            cli_repl_piped(&c);
        cli_free(&c);
        return 0;
    }

    /* One-shot: argv holds the command, verbatim (no quoting rules). */
    c.oneshot = 1;
    int cargc = argc - first;
    char **cargv = cli_xrealloc(NULL, sizeof(char *) * (size_t)(cargc + 1));
    size_t *clens = cli_xrealloc(NULL, sizeof(size_t) * (size_t)(cargc + 1));
    for (int i = 0; i < cargc; i++) {
        cargv[i] = argv[first + i];
        clens[i] = strlen(cargv[i]);
    }
    char *stdin_arg = NULL;
    if (c.stdin_last_arg) {
        stdin_arg = cli_read_stdin(&clens[cargc]);
        cargv[cargc++] = stdin_arg;
    }
    enum cli_result res = CLI_ERR_CONN;
    if (cli_connect(&c) == 0)
        res = cli_command_repeat(&c, cargc, cargv, clens, c.repeat);
    free(stdin_arg);
    free(cargv);
    free(clens);
    cli_free(&c);
    return res == CLI_OK ? 0 : 1;
}
