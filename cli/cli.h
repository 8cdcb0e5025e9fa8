/* cli.h: what the parts of keel-cli share.
 *
 * keel-cli is split by concern:
 *   cli.c          options, start-up, choice of mode
 *   cli_output.c   output buffer and reply formatting (redis-cli's human and raw forms)
 *   cli_command.c  the connection and running one command
 *   cli_repl.c     line mode: splitting lines, the prompt, history, completion
 *   cli_tls.c      the TLS link (--tls): OpenSSL under hiredis's reply reader
 * One `struct cli` holds options and run-time state and is passed to every
 * function that needs it; there are no globals. */
#ifndef KEEL_CLI_H
#define KEEL_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <hiredis/hiredis.h>

#ifndef KEEL_VERSION
#define KEEL_VERSION "0.1.0"
#endif

#define CLI_HISTORY_MAX 1000
#define CLI_SLOW_MS 500 /* commands slower than this report their time, as redis-cli */

/* What one command execution ended with. */
enum cli_result {
    CLI_OK = 0,
    CLI_ERR_REPLY, /* error reply and -e asked to treat it as a failure */
    CLI_ERR_CONN,  /* could not connect, or the connection was lost */
};

/* Options and run-time state, passed explicitly to every function. */
struct cli {
    /* where and who */
    char *host;
    int port;
    char *sock;
    char *user;
    char *pass;
    int auth_warning;
    int dbnum; /* database to select on (re)connect; follows SELECT */
    /* how */
    long long repeat;
    long long interval_us;
    int raw;            /* raw output (default when stdout is not a tty) */
    int stdin_last_arg; /* -x */
    int exit_on_error;  /* -e */
    /* TLS (--tls and friends); NULL strings are unset */
    int tls;
    int tls_insecure;
    char *tls_sni, *tls_cacert, *tls_cacertdir, *tls_cert, *tls_key;
    char *tls_ciphers, *tls_ciphersuites;
    /* state */
    redisContext *ctx;        /* the plain link (hiredis owns the socket) */
    struct cli_tls *tls_link; /* or the TLS link (cli_tls.c) */
    int in_multi;
    int pending_db;  /* SELECT queued inside MULTI, applied on EXEC; -1 if none */
    int oneshot;     /* running a command from argv: -e applies */
    int repl;        /* reading lines (tty or not): timing lines apply */
    int interactive; /* stdin is a tty: prompt and history */
    /* history, kept by us in plain lines so the file reads like redis-cli's */
    char *histfile;
    char **hist;
    int hist_len;
};

/* A growable byte buffer: a reply is formatted completely before it is
 * written, so it never interleaves half-way with messages on stderr. */
struct cli_out {
    char *p;
    size_t len, cap;
};

/* How a top-level reply is printed. */
enum cli_style {
    CLI_STYLE_HUMAN,
    CLI_STYLE_RAW,      /* raw, then a newline after the reply */
    CLI_STYLE_RAW_TEXT, /* raw and nothing added: INFO-like text ends its own lines */
};

/* cli_output.c */
__attribute__((noreturn)) void cli_die_oom(void);
void *cli_xrealloc(void *p, size_t n);
char *cli_xstrdup(const char *s);
void cli_out_cat(struct cli_out *o, const void *p, size_t n);
void cli_out_cats(struct cli_out *o, const char *s);
void cli_out_catc(struct cli_out *o, char c);
void cli_out_printf(struct cli_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_out_flush_to(struct cli_out *o, FILE *f); /* exits if the reader went away */
void cli_out_free(struct cli_out *o);
void cli_repr(struct cli_out *o, const char *p, size_t len);
void cli_format_human(struct cli_out *o, const redisReply *r, size_t indent);
void cli_format_raw(struct cli_out *o, const redisReply *r);
void cli_format_reply(struct cli_out *o, const redisReply *r, enum cli_style style);

/* cli_command.c */
int cli_is(const char *s, const char *name); /* case-insensitive equality */
int cli_connect(struct cli *c);              /* 0, or -1 after saying why */
int cli_connected(const struct cli *c);
void cli_disconnect(struct cli *c);
enum cli_result cli_command(struct cli *c, int argc, char **argv, size_t *lens);
enum cli_result cli_command_repeat(struct cli *c, int argc, char **argv, size_t *lens,
                                   long long repeat);

/* cli_tls.c: a connected TLS link, or NULL after saying why on stderr */
struct cli_tls *cli_tls_connect(const struct cli *c);
void cli_tls_free(struct cli_tls *t);
int cli_tls_send(struct cli_tls *t, int argc, const char **argv, const size_t *lens); /* 0/-1 */
int cli_tls_get_reply(struct cli_tls *t, redisReply **reply);                         /* 0/-1 */
const char *cli_tls_error(const struct cli_tls *t);
int cli_tls_eof(const struct cli_tls *t); /* the server closed the connection */

/* cli_repl.c */
int cli_split_line(const char *line, char ***argvp, size_t **lensp); /* -1: bad quotes */
void cli_free_args(int argc, char **argv, size_t *lens);
int cli_run_line(struct cli *c, const char *line); /* 0 when asked to quit */
void cli_repl_interactive(struct cli *c);
void cli_repl_piped(struct cli *c);

#endif
