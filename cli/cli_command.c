/* cli_command: keel-cli's connection and the running of one command.
 *
 * Owns the link: a hiredis context (TCP or unix socket) or, with --tls, the
 * TLS link of cli_tls.c, which hands back the same replies; AUTH and SELECT
 * on every (re)connect, noticing a lost connection (reported, then retried
 * by the next command), and what a command does beyond its reply: SELECT,
 * MULTI and AUTH change what the prompt shows and how a reconnect logs in;
 * MONITOR and SUBSCRIBE keep printing what the server pushes; SHUTDOWN may
 * end the connection without it being an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ---------------------------------------------------------------------------
 * Connection. */

void cli_disconnect(struct cli *c)
{
    if (c->ctx)
        redisFree(c->ctx);
    c->ctx = NULL;
    cli_tls_free(c->tls_link);
    c->tls_link = NULL;
    c->in_multi = 0;
    c->pending_db = -1;
}

int cli_connected(const struct cli *c)
{
    return c->ctx != NULL || c->tls_link != NULL;
}

/* A connection-level failure: say what happened, as redis-cli does, and
 * drop the context so the next command reconnects. */
static void cli_lost_connection(struct cli *c)
{
    const char *why = c->tls_link ? cli_tls_error(c->tls_link) : c->ctx->errstr;
    fprintf(stderr, "Error: %s\n", why[0] ? why : "I/O error");
    cli_disconnect(c);
}

/* One request over whichever link is open; its reply, or -1 if the link
 * broke. */
static int cli_roundtrip(struct cli *c, int argc, const char **argv, const size_t *lens,
                         redisReply **r)
{
    if (c->tls_link)
        return cli_tls_send(c->tls_link, argc, argv, lens) == 0 &&
                       cli_tls_get_reply(c->tls_link, r) == 0
                   ? 0
                   : -1;
    return redisAppendCommandArgv(c->ctx, argc, argv, lens) == REDIS_OK &&
                   redisGetReply(c->ctx, (void **)r) == REDIS_OK
               ? 0
               : -1;
}

static int cli_next_reply(struct cli *c, redisReply **r)
{
    if (c->tls_link)
        return cli_tls_get_reply(c->tls_link, r);
    return redisGetReply(c->ctx, (void **)r) == REDIS_OK ? 0 : -1;
}

/* The server closed the link (as SHUTDOWN makes it). */
static int cli_link_eof(const struct cli *c)
{
    return c->tls_link ? cli_tls_eof(c->tls_link) : c->ctx->err == REDIS_ERR_EOF;
}

/* Sends AUTH, then SELECT when a database other than 0 is wanted.  Their
 * failure is reported and tolerated, as redis-cli does: the user may still
 * run commands that need neither.  Returns -1 only if the link broke. */
static int cli_handshake(struct cli *c)
{
    redisReply *r;
    if (c->pass) {
        const char *argv[3] = {"AUTH", c->user ? c->user : c->pass, c->pass};
        if (cli_roundtrip(c, c->user ? 3 : 2, argv, NULL, &r) != 0) {
            cli_lost_connection(c);
            return -1;
        }
        if (r->type == REDIS_REPLY_ERROR)
            fprintf(stderr, "AUTH failed: %s\n", r->str);
        freeReplyObject(r);
    }
    if (c->dbnum != 0) {
        char db[16];
        snprintf(db, sizeof(db), "%d", c->dbnum);
        const char *argv[2] = {"SELECT", db};
        if (cli_roundtrip(c, 2, argv, NULL, &r) != 0) {
            cli_lost_connection(c);
            return -1;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "SELECT %d failed: %s\n", c->dbnum, r->str);
            c->dbnum = 0; /* the prompt must show the database really in use */
        }
        freeReplyObject(r);
    }
    return 0;
}

int cli_connect(struct cli *c)
{
    cli_disconnect(c);
    if (c->tls && !c->sock) {
        c->tls_link = cli_tls_connect(c);
        return c->tls_link ? cli_handshake(c) : -1;
    }
    redisContext *ctx = c->sock ? redisConnectUnix(c->sock) : redisConnect(c->host, c->port);
    if (!ctx)
        cli_die_oom();
    if (ctx->err) {
        if (c->sock)
            fprintf(stderr, "Could not connect to Keel at %s: %s\n", c->sock, ctx->errstr);
        else
            fprintf(stderr, "Could not connect to Keel at %s:%d: %s\n", c->host, c->port,
                    ctx->errstr);
        redisFree(ctx);
        return -1;
    }
    /* Idle interactive sessions sit behind NATs and firewalls: keepalive lets
     * a dead peer be noticed instead of hanging on the next command. */
    if (!c->sock)
        redisEnableKeepAlive(ctx);
    c->ctx = ctx;
    return cli_handshake(c);
}

/* ---------------------------------------------------------------------------
 * Running commands. */

int cli_is(const char *s, const char *name)
{
    return strcasecmp(s, name) == 0;
}

/* Commands whose reply is text meant for humans (INFO, CLIENT LIST, ...):
 * redis-cli prints them raw even on a tty, and without the newline it adds
 * after other replies (the text ends its own lines); so do we. */
static int cli_wants_raw(int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_is(cmd, "info") || cli_is(cmd, "lolwut"))
        return 1;
    if (argc < 2)
        return 0;
    const char *sub = argv[1];
    if (cli_is(cmd, "debug"))
        return cli_is(sub, "htstats") || cli_is(sub, "htstats-key");
    if (cli_is(cmd, "memory"))
        return cli_is(sub, "malloc-stats") || cli_is(sub, "doctor");
    if (cli_is(cmd, "client"))
        return cli_is(sub, "list") || cli_is(sub, "info");
    if (cli_is(cmd, "proxy"))
        return cli_is(sub, "info");
    if (cli_is(cmd, "cluster"))
        return argc == 2 && (cli_is(sub, "nodes") || cli_is(sub, "info"));
    if (cli_is(cmd, "latency"))
        return (argc == 3 && cli_is(sub, "graph")) || (argc == 2 && cli_is(sub, "doctor"));
    return 0;
}

static void cli_print_help(void)
{
    printf("keel-cli %s\n"
           "Keel speaks the Redis protocol: type any Redis command with its arguments,\n"
           "quoting arguments with \"...\" (C-like escapes) or '...' when they contain spaces.\n"
           "      \"N command ...\" runs a command N times\n"
           "      \"connect host port\" connects to another server\n"
           "      \"clear\" clears the screen\n"
           "      \"quit\" or \"exit\" leaves\n",
           KEEL_VERSION);
    fflush(stdout);
}

static long long cli_mstime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keeps the prompt's database and transaction marker true after a reply. */
static void cli_track_state(struct cli *c, int argc, char **argv, const redisReply *r)
{
    const char *cmd = argv[0];
    int is_err = r->type == REDIS_REPLY_ERROR;
    if (cli_is(cmd, "select") && argc == 2 && r->type == REDIS_REPLY_STATUS) {
        if (c->in_multi)
            c->pending_db = atoi(argv[1]); /* QUEUED: only EXEC makes it real */
        else
            c->dbnum = atoi(argv[1]);
    } else if (cli_is(cmd, "multi") && !is_err) {
        c->in_multi = 1;
        c->pending_db = -1;
    } else if (cli_is(cmd, "exec") || cli_is(cmd, "discard")) {
        if (cli_is(cmd, "exec") && r->type == REDIS_REPLY_ARRAY && c->pending_db >= 0)
            c->dbnum = c->pending_db;
        c->in_multi = 0;
        c->pending_db = -1;
    } else if (cli_is(cmd, "auth") && !is_err && (argc == 2 || argc == 3)) {
        /* Remember the credentials so a reconnect logs in the same way. */
        free(c->user);
        free(c->pass);
        c->user = argc == 3 ? cli_xstrdup(argv[1]) : NULL;
        c->pass = cli_xstrdup(argv[argc - 1]);
    }
}

/* Prints one reply; with -e on a one-shot command an error goes to stderr
 * instead and counts as a failure. */
static enum cli_result cli_print_reply(struct cli *c, const redisReply *r, enum cli_style style)
{
    struct cli_out o = {0};
    enum cli_result res = CLI_OK;
    if (r->type == REDIS_REPLY_ERROR && c->oneshot && c->exit_on_error) {
        cli_out_cat(&o, r->str, r->len);
        cli_out_catc(&o, '\n');
        cli_out_flush_to(&o, stderr);
        res = CLI_ERR_REPLY;
    } else {
        cli_format_reply(&o, r, style);
        cli_out_flush_to(&o, stdout);
    }
    cli_out_free(&o);
    return res;
}

/* After MONITOR or SUBSCRIBE the server pushes replies on its own: print
 * them until the connection ends (or the user interrupts us). */
static enum cli_result cli_read_forever(struct cli *c, enum cli_style style)
{
    for (;;) {
        redisReply *r = NULL;
        if (cli_next_reply(c, &r) != 0) {
            cli_lost_connection(c);
            return CLI_ERR_CONN;
        }
        cli_print_reply(c, r, style);
        freeReplyObject(r);
    }
}

/* Runs one command: the heart of all three modes. */
enum cli_result cli_command(struct cli *c, int argc, char **argv, size_t *lens)
{
    const char *cmd = argv[0];
    if (cli_is(cmd, "help") || cli_is(cmd, "?")) {
        cli_print_help();
        return CLI_OK;
    }
    if (!cli_connected(c) && cli_connect(c) != 0)
        return CLI_ERR_CONN;

    int is_shutdown = cli_is(cmd, "shutdown");
    int is_monitor = cli_is(cmd, "monitor");
    int is_subscribe =
        cli_is(cmd, "subscribe") || cli_is(cmd, "psubscribe") || cli_is(cmd, "ssubscribe");
    enum cli_style style = cli_wants_raw(argc, argv) ? CLI_STYLE_RAW_TEXT
                           : c->raw                  ? CLI_STYLE_RAW
                                                     : CLI_STYLE_HUMAN;

    long long start = cli_mstime();
    redisReply *r = NULL;
    if (cli_roundtrip(c, argc, (const char **)argv, lens, &r) != 0) {
        if (is_shutdown && cli_link_eof(c)) {
            /* The server went away because we asked it to: that is success. */
            cli_disconnect(c);
            return CLI_OK;
        }
        cli_lost_connection(c);
        return CLI_ERR_CONN;
    }
    long long elapsed = cli_mstime() - start;

    if (is_subscribe && style == CLI_STYLE_HUMAN) {
        fputs("Reading messages... (press Ctrl-C to quit)\n", stdout);
        fflush(stdout);
    }
    enum cli_result res = cli_print_reply(c, r, style);
    cli_track_state(c, argc, argv, r);
    int streaming = (is_monitor || is_subscribe) && r->type != REDIS_REPLY_ERROR;
    freeReplyObject(r);
    if (streaming)
        return cli_read_forever(c, style);
    if (c->repl && !c->raw && elapsed >= CLI_SLOW_MS) {
        printf("(%.2fs)\n", (double)elapsed / 1000);
        fflush(stdout);
    }
    return res;
}

/* Runs a command `repeat` times (forever if negative), waiting `interval`
 * between runs.  Stops at the first failure. */
enum cli_result cli_command_repeat(struct cli *c, int argc, char **argv, size_t *lens,
                                   long long repeat)
{
    enum cli_result res = CLI_OK;
    while (repeat < 0 || repeat-- > 0) {
        res = cli_command(c, argc, argv, lens);
        if (res != CLI_OK)
            return res;
        if (c->interval_us > 0 && repeat != 0)
            usleep((useconds_t)c->interval_us);
    }
    return res;
}
