/* config.c (server): the configuration machinery driven by the option
 * table in config_options.c: defaults, loading from redis.conf files and
 * the command line, and the CONFIG command: GET, SET (atomic, with
 * rollback), RESETSTAT, REWRITE (in place, keeping comments) and HELP.
 * Directives that are not in the table are refused at start-up with the
 * file and line: a redis.conf setting Keel would silently ignore is worse
 * than an error. */
#include "config.h"
#include "tls.h"
#include "persist.h"
#include "aof.h"
#include "replication.h"
#include "acl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_options.h"

#define CONFIG_OPTION_COUNT config_option_count

static const char *const config_default_bind[] = {"*", "-::*"};
#define CONFIG_DEFAULT_BIND_COUNT 2

static void *config_ptr(server_config *cfg, const config_option *o)
{
    return o->global ? o->global : (char *)cfg + o->offset;
}

static const config_option *config_lookup_len(const char *name, size_t len)
{
    for (int i = 0; i < CONFIG_OPTION_COUNT; i++) {
        const config_option *o = &config_options[i];
        if (strlen(o->name) == len && !strncasecmp(o->name, name, len))
            return o;
        if (o->alias && strlen(o->alias) == len && !strncasecmp(o->alias, name, len))
            return o;
    }
    return NULL;
}

static const config_option *config_lookup(const char *name)
{
    return config_lookup_len(name, strlen(name));
}

/* ---------------------------------------------------- typed set and get */

/* Error texts are Redis 7.0's; the formatted ones live here until the
 * reply (or the start-up message) is built. */
static char config_errbuf[512];

static char *config_strdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static void config_set_bind_list(server_config *cfg, int argc, const char *const *argv)
{
    for (int i = 0; i < cfg->bind_count; i++)
        free(cfg->bind[i]);
    for (int i = 0; i < argc; i++)
        cfg->bind[i] = config_strdup(argv[i]);
    for (int i = argc; i < CONFIG_BINDADDR_MAX; i++)
        cfg->bind[i] = NULL;
    cfg->bind_count = argc;
}

static const char *config_enum_error(const config_enum_item *e)
{
    size_t off = (size_t)snprintf(config_errbuf, sizeof(config_errbuf),
                                  "argument(s) must be one of the following: ");
    for (; e->name && off < sizeof(config_errbuf); e++)
        off += (size_t)snprintf(config_errbuf + off, sizeof(config_errbuf) - off, "%s%s", e->name,
                                e[1].name ? ", " : "");
    return config_errbuf;
}

static const char *config_range_error(const config_option *o)
{
    snprintf(config_errbuf, sizeof(config_errbuf),
             "argument must be between %lld and %lld inclusive", o->min, o->max);
    return config_errbuf;
}

/* Store argv[0..argc) into the option.  Returns 1, or 0 with *err set and
 * the old value untouched. */
static int config_set_value(server_config *cfg, const config_option *o, int argc, char **argv,
                            const char **err)
{
    void *p = config_ptr(cfg, o);

    if (!(o->flags & OPT_MULTI_ARG) && argc != 1) {
        *err = "wrong number of arguments";
        return 0;
    }
    switch (o->type) {
    case OPT_BOOL: {
        int v = config_parse_yesno(argv[0]);
        if (v < 0) {
            *err = "argument must be 'yes' or 'no'";
            return 0;
        }
        *(int *)p = v;
        return 1;
    }
    case OPT_INT: {
        long long v;
        if (!util_str2ll(argv[0], strlen(argv[0]), &v)) {
            *err = "argument couldn't be parsed into an integer";
            return 0;
        }
        if (v < o->min || v > o->max) {
            *err = config_range_error(o);
            return 0;
        }
        *(int *)p = v > INT_MAX ? INT_MAX : (int)v;
        return 1;
    }
    case OPT_MEM_LL:
    case OPT_MEM_ULL: {
        unsigned long long v;
        if (!config_parse_memory(argv[0], &v)) {
            *err = "argument must be a memory value";
            return 0;
        }
        if (o->type == OPT_MEM_ULL) {
            *(unsigned long long *)p = v;
            return 1;
        }
        if (v > (unsigned long long)LLONG_MAX || (long long)v < o->min || (long long)v > o->max) {
            *err = config_range_error(o);
            return 0;
        }
        *(long long *)p = (long long)v;
        return 1;
    }
    case OPT_STRING: {
        char **sp = p;
        char *nv =
            (o->flags & OPT_EMPTY_NULL) && argv[0][0] == '\0' ? NULL : config_strdup(argv[0]);
        free(*sp);
        *sp = nv;
        return 1;
    }
    case OPT_ENUM:
        for (const config_enum_item *e = o->enums; e->name; e++) {
            if (!strcasecmp(e->name, argv[0])) {
                *(int *)p = e->value;
                return 1;
            }
        }
        *err = config_enum_error(o->enums);
        return 0;
    case OPT_BIND:
        /* `bind ""` (or a bare `bind`) means no TCP listener at all. */
        if (argc == 1 && argv[0][0] == '\0')
            argc = 0;
        if (argc > CONFIG_BINDADDR_MAX) {
            *err = "Too many bind addresses specified.";
            return 0;
        }
        config_set_bind_list(cfg, argc, (const char *const *)argv);
        return 1;
    case OPT_DIR: {
        char cwd[PATH_MAX];
        if (chdir(argv[0]) == -1) {
            *err = strerror(errno);
            return 0;
        }
        char **sp = p;
        free(*sp);
        *sp = config_strdup(getcwd(cwd, sizeof(cwd)) ? cwd : argv[0]);
        return 1;
    }
    case OPT_CUSTOM: return o->parse(cfg, argc, argv, err);
    }
    *err = "unknown option type";
    return 0;
}

/* Store one CONFIG SET value: multi-argument options take it as a
 * space-separated list. */
static int config_set_from_string(server_config *cfg, const config_option *o, const char *value,
                                  const char **err)
{
    if (!(o->flags & OPT_MULTI_ARG)) {
        char *argv[1] = {(char *)value};
        return config_set_value(cfg, o, 1, argv, err);
    }
    char *copy = config_strdup(value);
    char *argv[CONFIG_BINDADDR_MAX + 1];
    int argc = 0;
    for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
        if (argc == CONFIG_BINDADDR_MAX + 1)
            break; /* one past the limit is enough to refuse */
        argv[argc++] = tok;
    }
    char empty[1] = "";
    if (argc == 0)
        argv[argc++] = empty;
    int rc = config_set_value(cfg, o, argc, argv, err);
    free(copy);
    return rc;
}

/* The value as CONFIG GET shows it, appended to out. */
static buf config_cat_value(buf out, server_config *cfg, const config_option *o)
{
    void *p = config_ptr(cfg, o);
    switch (o->type) {
    case OPT_BOOL: return buf_cat_cstr(out, *(int *)p ? "yes" : "no");
    case OPT_INT: return buf_cat_printf(out, "%d", *(int *)p);
    case OPT_MEM_LL: return buf_cat_printf(out, "%lld", *(long long *)p);
    case OPT_MEM_ULL: return buf_cat_printf(out, "%llu", *(unsigned long long *)p);
    case OPT_STRING: {
        const char *v = *(char **)p;
        return buf_cat_cstr(out, v ? v : "");
    }
    case OPT_ENUM:
        for (const config_enum_item *e = o->enums; e->name; e++)
            if (e->value == *(int *)p)
                return buf_cat_cstr(out, e->name);
        return buf_cat_cstr(out, "unknown");
    case OPT_BIND:
        for (int i = 0; i < cfg->bind_count; i++) {
            if (i)
                out = buf_cat(out, " ", 1);
            out = buf_cat_cstr(out, cfg->bind[i]);
        }
        return out;
    case OPT_DIR: {
        /* The process's directory is the truth: that is where files go. */
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof(cwd)))
            return buf_cat_cstr(out, cwd);
        return buf_cat_cstr(out, cfg->dir ? cfg->dir : "");
    }
    case OPT_CUSTOM: return o->format(out, cfg);
    }
    return out;
}

buf config_get_value(server *s, const char *name)
{
    const config_option *o = config_lookup(name);
    return o ? config_cat_value(buf_empty(), &s->cfg, o) : NULL;
}

/* --------------------------------------------------- custom value types */

int config_parse_notify(server_config *cfg, int argc, char **argv, const char **err)
{
    int flags;
    if (argc != 1 || !notify_flags_from_string(argv[0], &flags)) {
        *err = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
        return 0;
    }
    cfg->notify_keyspace_events = flags;
    return 1;
}

buf config_format_notify(buf out, const server_config *cfg)
{
    return notify_flags_to_string(out, cfg->notify_keyspace_events);
}

/* client-output-buffer-limit <class> <hard> <soft> <soft seconds> ... with
 * class normal, replica (or slave) or pubsub.  All groups are checked
 * before any is stored. */
int config_parse_obuf(server_config *cfg, int argc, char **argv, const char **err)
{
    if (argc == 1 && argv[0][0] == '\0')
        return 1; /* CONFIG SET client-output-buffer-limit "": no change */
    if (argc == 0 || argc % 4 != 0) {
        *err = "Wrong number of arguments in buffer limit configuration.";
        return 0;
    }
    struct obuf_group {
        int cls;
        unsigned long long hard, soft;
        long long secs;
    } parsed[8];
    int n = 0;
    for (int i = 0; i < argc; i += 4) {
        int cls;
        if (!strcasecmp(argv[i], "normal"))
            cls = OBUF_NORMAL;
        else if (!strcasecmp(argv[i], "replica") || !strcasecmp(argv[i], "slave"))
            cls = OBUF_REPLICA;
        else if (!strcasecmp(argv[i], "pubsub"))
            cls = OBUF_PUBSUB;
        else {
            *err = "Invalid client class specified in buffer limit configuration.";
            return 0;
        }
        unsigned long long hard, soft;
        long long secs;
        if (!config_parse_memory(argv[i + 1], &hard) || !config_parse_memory(argv[i + 2], &soft) ||
            !util_str2ll(argv[i + 3], strlen(argv[i + 3]), &secs) || secs < 0 || secs > INT_MAX) {
            *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            return 0;
        }
        if (n < 8)
            parsed[n++] = (struct obuf_group){cls, hard, soft, secs};
    }
    for (int i = 0; i < n; i++) {
        cfg->obuf_limits[parsed[i].cls].hard = parsed[i].hard;
        cfg->obuf_limits[parsed[i].cls].soft = parsed[i].soft;
        cfg->obuf_limits[parsed[i].cls].soft_seconds = parsed[i].secs;
    }
    return 1;
}

buf config_format_obuf(buf out, const server_config *cfg)
{
    static const char *const names[] = {"normal", "slave", "pubsub"};
    for (int i = 0; i < 3; i++)
        out = buf_cat_printf(out, "%s%s %llu %llu %lld", i ? " " : "", names[i],
                             cfg->obuf_limits[i].hard, cfg->obuf_limits[i].soft,
                             cfg->obuf_limits[i].soft_seconds);
    return out;
}

/* ------------------------------------------------------------- defaults */

void config_set_defaults(server_config *cfg)
{
    for (int i = 0; i < CONFIG_OPTION_COUNT; i++) {
        const config_option *o = &config_options[i];
        void *p = config_ptr(cfg, o);
        switch (o->type) {
        case OPT_BOOL:
        case OPT_INT:
        case OPT_ENUM: *(int *)p = (int)o->def; break;
        case OPT_MEM_LL: *(long long *)p = o->def; break;
        case OPT_MEM_ULL: *(unsigned long long *)p = (unsigned long long)o->def; break;
        case OPT_STRING: {
            char **sp = p;
            free(*sp);
            *sp = o->def_str ? config_strdup(o->def_str) : NULL;
            break;
        }
        case OPT_BIND:
            config_set_bind_list(cfg, CONFIG_DEFAULT_BIND_COUNT, config_default_bind);
            break;
        case OPT_DIR: {
            /* Redis's default is "./": wherever the server was started. */
            char cwd[PATH_MAX];
            free(cfg->dir);
            cfg->dir = config_strdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
            break;
        }
        case OPT_CUSTOM: {
            const char *err = NULL;
            if (!config_set_from_string(cfg, o, o->def_str ? o->def_str : "", &err))
                abort(); /* a default that does not parse is a bug */
            break;
        }
        }
    }
    free(cfg->config_file);
    cfg->config_file = NULL;
}

void config_free(server_config *cfg)
{
    for (int i = 0; i < CONFIG_OPTION_COUNT; i++) {
        if (config_options[i].type == OPT_STRING && !config_options[i].global) {
            char **sp = config_ptr(cfg, &config_options[i]);
            free(*sp);
            *sp = NULL;
        }
    }
    for (int i = 0; i < cfg->bind_count; i++) {
        free(cfg->bind[i]);
        cfg->bind[i] = NULL;
    }
    cfg->bind_count = 0;
    free(cfg->pidfile);
    free(cfg->logfile);
    free(cfg->requirepass);
    free(cfg->dir);
    free(cfg->config_file);
    cfg->pidfile = cfg->logfile = cfg->requirepass = cfg->dir = cfg->config_file = NULL;
}

/* -------------------------------------------------------------- loading */

/* One directive from the file or the command line. */
static int config_load_directive(void *ctx, int argc, buf *argv, const config_origin *where,
                                 char *err, size_t errlen)
{
    server *s = ctx;
    const config_option *o = config_lookup(argv[0]);
    const char *msg = NULL;

    (void)where;
    if (!o) {
        snprintf(err, errlen, "Bad directive or wrong number of arguments");
        return -1;
    }
    if (!config_set_value(&s->cfg, o, argc - 1, argv + 1, &msg)) {
        snprintf(err, errlen, "%s", msg);
        return -1;
    }
    return 0;
}

static void config_clamp_hz(server_config *cfg)
{
    if (cfg->hz < CONFIG_MIN_HZ)
        cfg->hz = CONFIG_MIN_HZ;
    if (cfg->hz > CONFIG_MAX_HZ)
        cfg->hz = CONFIG_MAX_HZ;
}

/* What the listeners were last opened on (or will be, at start-up), so
 * that the port and bind effects can tell whether there is work to do. */
static struct {
    int valid;
    int port;
    int count;
    char *addrs[CONFIG_BINDADDR_MAX];
} config_listening;

static void config_listening_record(const server_config *cfg)
{
    for (int i = 0; i < config_listening.count; i++)
        free(config_listening.addrs[i]);
    for (int i = 0; i < cfg->bind_count; i++)
        config_listening.addrs[i] = config_strdup(cfg->bind[i]);
    config_listening.count = cfg->bind_count;
    config_listening.port = cfg->port;
    config_listening.valid = 1;
}

static void config_finish_error(config_error *e, char *err, size_t errlen)
{
    config_error_format(e, err, errlen);
    size_t n = strlen(err);
    if (n && err[n - 1] == '\n')
        err[n - 1] = '\0'; /* main prints it with its own newline */
}

int config_load(server *s, const char *file, int argc, char **argv_overrides, char *err,
                size_t errlen)
{
    config_error e;
    server_config *cfg = &s->cfg;

    memset(&e, 0, sizeof(e));

    config_set_defaults(cfg);
    persist_config_load_begin(); /* `save` lines in a file add up */
    if (file) {
        /* Absolute now: `dir` may chdir() before CONFIG REWRITE needs it. */
        if (strcmp(file, "-") != 0) {
            char abs[PATH_MAX];
            if (realpath(file, abs))
                cfg->config_file = config_strdup(abs);
        }
        if (config_parse_file(file, config_load_directive, s, &e) != 0) {
            persist_config_load_end();
            config_finish_error(&e, err, errlen);
            return -1;
        }
    }
    if (argc > 0) {
        buf lines = config_args_to_string(argc, argv_overrides);
        int rc = config_parse_string(lines, "command line", config_load_directive, s, &e);
        buf_free(lines);
        if (rc != 0) {
            persist_config_load_end();
            config_finish_error(&e, err, errlen);
            return -1;
        }
    }
    persist_config_load_end();

    /* Checks that need the whole configuration, as Redis makes them. */
    if (cfg->logfile && cfg->logfile[0]) {
        FILE *fp = fopen(cfg->logfile, "a");
        if (!fp) {
            config_error_set(&e, "Can't open the log file: %s", strerror(errno));
            config_finish_error(&e, err, errlen);
            return -1;
        }
        fclose(fp);
    }
    /* Out-of-range hz is accepted and clamped, for old config files. */
    config_clamp_hz(cfg);
    config_listening_record(cfg);
    return 0;
}

/* ------------------------------------------------------ runtime effects */

int config_apply_loglevel(server *s, const char **err)
{
    (void)err;
    log_set_level(s->cfg.loglevel);
    return 1;
}

int config_apply_hz(server *s, const char **err)
{
    (void)err;
    config_clamp_hz(&s->cfg); /* the cron reads cfg.hz on every tick */
    return 1;
}

static int config_listening_matches(const server_config *cfg)
{
    if (!config_listening.valid || config_listening.port != cfg->port ||
        config_listening.count != cfg->bind_count)
        return 0;
    for (int i = 0; i < cfg->bind_count; i++)
        if (strcmp(config_listening.addrs[i], cfg->bind[i]) != 0)
            return 0;
    return 1;
}

/* Move the listening sockets to the configured port and addresses, with
 * server_listen() (which fills s->listen_* from index 0 and, on failure,
 * leaves the sockets it did open in place).
 *
 * When only the port changed, the new sockets are opened before the old
 * ones are closed, so a port that is taken leaves the server listening
 * where it was.  When the addresses changed they may overlap with the old
 * ones on the same port, so the old sockets are closed first; on failure
 * there is then nothing listening, CONFIG SET restores the old values and
 * runs this again, which reopens them. */
static int config_relisten(server *s)
{
    if (config_listening_matches(&s->cfg))
        return 1;
    if (!s->loop) { /* not serving yet: server_listen() will use the new values */
        config_listening_record(&s->cfg);
        return 1;
    }

    int close_first = !config_listening.valid || config_listening.count != s->cfg.bind_count;
    for (int i = 0; !close_first && i < s->cfg.bind_count; i++)
        if (strcmp(config_listening.addrs[i], s->cfg.bind[i]) != 0)
            close_first = 1;

    int old_n = s->listen_count, old_fds[CONFIG_BINDADDR_MAX];
    void (*accept_cb)(struct ev_loop *, ev_io *, int) = old_n ? s->listen_watchers[0].cb : NULL;
    for (int i = 0; i < old_n; i++) {
        ev_io_stop(s->loop, &s->listen_watchers[i]);
        old_fds[i] = s->listen_fds[i];
        if (close_first)
            close(old_fds[i]);
    }
    s->listen_count = 0;

    if (server_listen(s) == 0) {
        if (!close_first)
            for (int i = 0; i < old_n; i++)
                close(old_fds[i]);
        config_listening_record(&s->cfg);
        return 1;
    }

    for (int i = 0; i < s->listen_count; i++) {
        ev_io_stop(s->loop, &s->listen_watchers[i]);
        close(s->listen_fds[i]);
    }
    s->listen_count = 0;
    if (close_first) {
        config_listening.valid = 0; /* nothing is listening now */
    } else {
        for (int i = 0; i < old_n; i++) {
            ev_io_init(&s->listen_watchers[i], accept_cb, old_fds[i], EV_READ);
            s->listen_watchers[i].data = s;
            ev_io_start(s->loop, &s->listen_watchers[i]);
            s->listen_fds[i] = old_fds[i];
        }
        s->listen_count = old_n;
    }
    return 0;
}

int config_apply_port(server *s, const char **err)
{
    if (config_relisten(s))
        return 1;
    *err = "Unable to listen on this port. Check server logs.";
    return 0;
}

int config_apply_bind(server *s, const char **err)
{
    if (config_relisten(s) && server_tls_relisten(s))
        return 1;
    *err = "Failed to bind to specified addresses.";
    return 0;
}

/* ---------------------------------------------------------- CONFIG GET */

typedef struct config_match {
    const config_option *o;
    const char *name; /* as it will be replied: the request's spelling for exact names */
    size_t len;
} config_match;

static int config_match_seen(const config_match *m, int n, const config_option *o, const char *name)
{
    for (int i = 0; i < n; i++)
        if (m[i].o == o &&
            (name == NULL || (m[i].len == strlen(name) && !strncmp(m[i].name, name, m[i].len))))
            return 1;
    return 0;
}

static void config_get_command(client *c)
{
    server *s = c->srv;
    /* Each option can match at most twice (name and alias). */
    config_match matches[CONFIG_OPTION_COUNT * 2];
    int n = 0;

    for (int i = 2; i < c->argc; i++) {
        const resp_arg *a = &c->argv[i];
        int is_glob = memchr(a->ptr, '*', a->len) || memchr(a->ptr, '?', a->len) ||
                      memchr(a->ptr, '[', a->len);
        if (!is_glob) {
            const config_option *o = config_lookup_len(a->ptr, a->len);
            if (o && !config_match_seen(matches, n, o, NULL))
                matches[n++] = (config_match){o, a->ptr, a->len};
            continue;
        }
        for (int j = 0; j < CONFIG_OPTION_COUNT; j++) {
            const config_option *o = &config_options[j];
            const char *names[2] = {o->name, o->alias};
            for (int k = 0; k < 2; k++) {
                if (!names[k] || config_match_seen(matches, n, o, names[k]))
                    continue;
                if (k == 0 && config_match_seen(matches, n, o, NULL))
                    continue;
                if (util_glob_match(a->ptr, a->len, names[k], strlen(names[k]), 1))
                    matches[n++] = (config_match){o, names[k], strlen(names[k])};
            }
        }
    }

    reply_map_len(c, n);
    buf v = buf_empty();
    for (int i = 0; i < n; i++) {
        reply_bulk(c, matches[i].name, matches[i].len);
        buf_clear(v);
        v = config_cat_value(v, &s->cfg, matches[i].o);
        reply_bulk(c, v, buf_len(v));
    }
    buf_free(v);
}

/* ---------------------------------------------------------- CONFIG SET */

static int config_protected_allowed(client *c)
{
    if (config_enable_protected == PROTECTED_YES)
        return 1;
    if (config_enable_protected == PROTECTED_LOCAL)
        return c->conn && conn_is_loopback_peer(c->conn);
    return 0;
}

/* Put back the values saved before a failed SET, then their effects. */
static void config_set_restore(server *s, const config_option **opts, buf *old, int count,
                               config_apply_fn **applies, int napplies)
{
    const char *err = NULL;
    for (int i = 0; i < count; i++)
        if (!config_set_from_string(&s->cfg, opts[i], old[i], &err))
            log_warning("Failed restoring failed CONFIG SET command. Error setting %s to '%s': %s",
                        opts[i]->name, (opts[i]->flags & OPT_SENSITIVE) ? "(redacted)" : old[i],
                        err);
    for (int i = 0; i < napplies; i++)
        if (!applies[i](s, &err))
            log_warning("Failed applying restored failed CONFIG SET command: %s", err);
}

/* CONFIG SET name value [name value ...]: all or nothing.  Names are all
 * checked before anything changes; then every value is stored (a parse
 * error restores those already stored); then each distinct runtime effect
 * runs once (a failure restores everything and runs the effects again). */
static void config_set_command(client *c)
{
    server *s = c->srv;
    if (c->argc % 2 != 0) {
        reply_error_syntax(c);
        return;
    }
    int count = (c->argc - 2) / 2;
    const config_option **opts = calloc((size_t)count, sizeof(const config_option *));
    buf *values = calloc((size_t)count, sizeof(*values));
    buf *old = calloc((size_t)count, sizeof(*old));
    config_apply_fn **applies = calloc((size_t)count, sizeof(*applies));
    int *apply_owner = calloc((size_t)count, sizeof(*apply_owner));
    if (!opts || !values || !old || !applies || !apply_owner)
        abort();
    int napplies = 0, stored = 0;

    for (int i = 0; i < count; i++) {
        const resp_arg *name = &c->argv[2 + i * 2];
        const config_option *o = config_lookup_len(name->ptr, name->len);
        const char *why = NULL;
        if (!o) {
            reply_errorf(c, "ERR Unknown option or number of arguments for CONFIG SET - '%.*s'",
                         (int)name->len, name->ptr);
            goto done;
        }
        if (o->flags & OPT_IMMUTABLE)
            why = "can't set immutable config";
        else if ((o->flags & OPT_PROTECTED) && !config_protected_allowed(c))
            why = "can't set protected config";
        for (int j = 0; j < i && !why; j++)
            if (opts[j] == o)
                why = "duplicate parameter";
        if (why) {
            reply_errorf(c, "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
                         (int)name->len, name->ptr, why);
            goto done;
        }
        opts[i] = o;
        const resp_arg *val = &c->argv[3 + i * 2];
        values[i] = buf_new(val->ptr, val->len);
    }

    for (int i = 0; i < count; i++)
        old[i] = config_cat_value(buf_empty(), &s->cfg, opts[i]);

    for (int i = 0; i < count; i++) {
        const char *err = NULL;
        if (!config_set_from_string(&s->cfg, opts[i], values[i], &err)) {
            config_set_restore(s, opts, old, stored, NULL, 0);
            reply_errorf(c, "ERR CONFIG SET failed (possibly related to argument '%s') - %s",
                         opts[i]->name, err);
            goto done;
        }
        stored++;
        if (!opts[i]->apply)
            continue;
        /* An unchanged value needs no effect (setting the same port must
         * not reopen the listeners). */
        buf now = config_cat_value(buf_empty(), &s->cfg, opts[i]);
        int changed = buf_cmp(now, old[i]) != 0 || (opts[i]->flags & OPT_VOLATILE);
        buf_free(now);
        if (!changed)
            continue;
        int seen = 0;
        for (int j = 0; j < napplies; j++)
            if (applies[j] == opts[i]->apply)
                seen = 1;
        if (!seen) {
            apply_owner[napplies] = i;
            applies[napplies++] = opts[i]->apply;
        }
    }

    for (int i = 0; i < napplies; i++) {
        const char *err = NULL;
        if (!applies[i](s, &err)) {
            log_warning("Failed applying new configuration. Possibly related to new %s setting. "
                        "Restoring previous settings.",
                        opts[apply_owner[i]]->name);
            config_set_restore(s, opts, old, count, applies, napplies);
            reply_errorf(c, "ERR CONFIG SET failed (possibly related to argument '%s') - %s",
                         opts[apply_owner[i]]->name, err ? err : "unknown error");
            goto done;
        }
    }
    reply_ok(c);

done:
    for (int i = 0; i < count; i++) {
        buf_free(values[i]);
        buf_free(old[i]);
    }
    free(opts);
    free(values);
    free(old);
    free(applies);
    free(apply_owner);
}

/* ----------------------------------------------------- CONFIG RESETSTAT */

static void config_reset_command_stats(command *cmd)
{
    cmd->calls = cmd->usec = cmd->rejected_calls = cmd->failed_calls = 0;
    for (command *sub = cmd->subcommands; sub && sub->name; sub++)
        sub->calls = sub->usec = sub->rejected_calls = sub->failed_calls = 0;
}

void config_reset_stats(server *s)
{
    /* dirty counts changes not yet saved: resetting it would lose a save. */
    long long dirty = s->stats.dirty;
    memset(&s->stats, 0, sizeof(s->stats));
    s->stats.dirty = dirty;

    if (s->commands) {
        dict_iter it;
        dict_entry *e;
        dict_iter_init(&it, s->commands, 0);
        while ((e = dict_iter_next(&it)) != NULL)
            config_reset_command_stats(e->v.val);
        dict_iter_release(&it);
    }
    if (s->errors)
        dict_empty(s->errors);
}

static void config_resetstat_command(client *c)
{
    config_reset_stats(c->srv);
    reply_ok(c);
}

/* ------------------------------------------------------- CONFIG REWRITE */

#define CONFIG_REWRITE_SIGNATURE "# Generated by CONFIG REWRITE"

typedef struct config_rw_line {
    buf text;
    const config_option *o; /* the option this line sets, or NULL */
} config_rw_line;

typedef struct config_rw {
    config_rw_line *lines;
    int count, cap;
    int needs_signature;
} config_rw;

static void config_rw_append(config_rw *rw, buf text, const config_option *o)
{
    if (rw->count == rw->cap) {
        rw->cap = rw->cap ? rw->cap * 2 : 64;
        config_rw_line *nl = realloc(rw->lines, sizeof(*nl) * (size_t)rw->cap);
        if (!nl)
            abort();
        rw->lines = nl;
    }
    rw->lines[rw->count++] = (config_rw_line){text, o};
}

static void config_rw_free(config_rw *rw)
{
    for (int i = 0; i < rw->count; i++)
        buf_free(rw->lines[i].text);
    free(rw->lines);
}

static int config_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Load the old file into lines, each tagged with the option it sets.
 * Comments and lines for directives we do not know (include) are kept
 * as they are; a line that cannot be split is kept as a comment. */
static int config_rw_read(config_rw *rw, const char *path)
{
    rw->needs_signature = 1;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return errno == ENOENT ? 0 : -1;

    buf content = buf_empty();
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        content = buf_cat(content, chunk, n);
    int failed = ferror(fp);
    fclose(fp);
    if (failed) {
        buf_free(content);
        errno = EIO;
        return -1;
    }

    size_t pos = 0, len = buf_len(content);
    while (pos < len) {
        const char *start = content + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - start) : len - pos;
        pos += llen + (nl ? 1 : 0);
        while (llen && config_is_blank(start[0])) {
            start++;
            llen--;
        }
        while (llen && config_is_blank(start[llen - 1]))
            llen--;
        buf line = buf_new(start, llen);

        if (line[0] == '#' || line[0] == '\0') {
            if (!strcmp(line, CONFIG_REWRITE_SIGNATURE))
                rw->needs_signature = 0;
            config_rw_append(rw, line, NULL);
            continue;
        }
        int argc;
        buf *argv = config_split_args(line, &argc);
        if (!argv) {
            buf commented = buf_cat_buf(buf_from_cstr("# ??? "), line);
            buf_free(line);
            config_rw_append(rw, commented, NULL);
            continue;
        }
        const config_option *o = argc ? config_lookup(argv[0]) : NULL;
        config_free_args(argv, argc);
        config_rw_append(rw, line, o);
    }
    buf_free(content);
    return 0;
}

/* Put `line` (NULL: the option should not appear) in place of the
 * option's first old line, or append it if `force` (the value is not the
 * default); blank any other old lines of the option. */
static void config_rw_option(config_rw *rw, const config_option *o, buf line, int force)
{
    int placed = line == NULL;
    for (int i = 0; i < rw->count; i++) {
        if (rw->lines[i].o != o)
            continue;
        buf_free(rw->lines[i].text);
        if (!placed) {
            rw->lines[i].text = line;
            placed = 1;
        } else {
            rw->lines[i].text = buf_empty();
            rw->lines[i].o = NULL;
        }
    }
    if (placed)
        return;
    if (!force) {
        buf_free(line);
        return;
    }
    if (rw->needs_signature) {
        if (rw->count && buf_len(rw->lines[rw->count - 1].text))
            config_rw_append(rw, buf_empty(), NULL);
        config_rw_append(rw, buf_from_cstr(CONFIG_REWRITE_SIGNATURE), NULL);
        rw->needs_signature = 0;
    }
    config_rw_append(rw, line, o);
}

static int config_bind_is_default(const server_config *cfg)
{
    if (cfg->bind_count != CONFIG_DEFAULT_BIND_COUNT)
        return 0;
    for (int i = 0; i < CONFIG_DEFAULT_BIND_COUNT; i++)
        if (strcmp(cfg->bind[i], config_default_bind[i]) != 0)
            return 0;
    return 1;
}

/* The line an option is written as, and whether it must be written even
 * where the old file did not mention it. */
static buf config_rw_line_for(server_config *cfg, const config_option *o, int *force)
{
    void *p = config_ptr(cfg, o);
    buf line = buf_cat(buf_from_cstr(o->name), " ", 1);
    char mem[64];

    *force = 1;
    switch (o->type) {
    case OPT_BOOL:
    case OPT_INT:
    case OPT_ENUM: *force = *(int *)p != (int)o->def; return config_cat_value(line, cfg, o);
    case OPT_MEM_LL:
        *force = *(long long *)p != o->def;
        config_format_memory(mem, sizeof(mem), (unsigned long long)*(long long *)p);
        return buf_cat_cstr(line, mem);
    case OPT_MEM_ULL:
        *force = *(unsigned long long *)p != (unsigned long long)o->def;
        config_format_memory(mem, sizeof(mem), *(unsigned long long *)p);
        return buf_cat_cstr(line, mem);
    case OPT_STRING: {
        const char *v = *(char **)p;
        if (!v)
            break;
        *force = !o->def_str || strcmp(v, o->def_str) != 0;
        return buf_cat_repr(line, v, strlen(v));
    }
    case OPT_BIND:
        if (config_bind_is_default(cfg))
            break;
        if (cfg->bind_count == 0)
            return buf_cat_cstr(line, "\"\"");
        return config_cat_value(line, cfg, o);
    case OPT_DIR: {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            break;
        return buf_cat_repr(line, cwd, strlen(cwd));
    }
    case OPT_CUSTOM: {
        /* Written when it differs from the default, compared as shown. */
        server_config def;
        memset(&def, 0, sizeof(def));
        const char *err = NULL;
        config_set_from_string(&def, o, o->def_str ? o->def_str : "", &err);
        buf now = config_cat_value(buf_empty(), cfg, o);
        buf was = config_cat_value(buf_empty(), &def, o);
        *force = strcmp(now, was) != 0;
        buf_free(was);
        /* A server that follows no primary has no replicaof line at all
         * (redis-server refuses `replicaof ""`). */
        if (!buf_len(now) && !strcmp(o->name, "replicaof")) {
            buf_free(now);
            buf_free(line);
            return NULL;
        }
        /* An empty value is written as "" (save "", as Redis rewrites it). */
        line = buf_len(now) ? buf_cat_buf(line, now) : buf_cat_cstr(line, "\"\"");
        buf_free(now);
        return line;
    }
    }
    buf_free(line);
    return NULL;
}

/* Replace the file atomically: a temporary file beside it, fsync, rename. */
static int config_rw_write(const char *path, const buf content)
{
    size_t tmplen = strlen(path) + sizeof(".XXXXXX");
    char *tmp = malloc(tmplen);
    if (!tmp)
        abort();
    snprintf(tmp, tmplen, "%s.XXXXXX", path);

    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd == -1) {
        free(tmp);
        return -1;
    }
    int rc = -1;
    size_t off = 0, len = buf_len(content);
    while (off < len) {
        ssize_t w = write(fd, content + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        off += (size_t)w;
    }
    /* Keep the old file's permissions; a new file gets the usual 0644. */
    struct stat st;
    mode_t mode;
    if (stat(path, &st) == 0) {
        mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0644 & ~mask;
    }
    if (fsync(fd) == -1 || fchmod(fd, mode) == -1 || rename(tmp, path) == -1)
        goto out;
    rc = 0;
out:;
    int saved = errno;
    close(fd);
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    errno = saved;
    return rc;
}

int config_rewrite(server *s, const char *path)
{
    config_rw rw = {0};
    if (config_rw_read(&rw, path) != 0) {
        int saved = errno;
        config_rw_free(&rw);
        errno = saved;
        return -1;
    }
    for (int i = 0; i < CONFIG_OPTION_COUNT; i++) {
        int force;
        buf line = config_rw_line_for(&s->cfg, &config_options[i], &force);
        config_rw_option(&rw, &config_options[i], line, force);
    }

    /* Lines of options that became defaults were blanked: fold runs of
     * empty lines into one. */
    buf content = buf_empty();
    int was_empty = 0;
    for (int i = 0; i < rw.count; i++) {
        int empty = buf_len(rw.lines[i].text) == 0;
        if (empty && was_empty)
            continue;
        was_empty = empty;
        content = buf_cat_buf(content, rw.lines[i].text);
        content = buf_cat(content, "\n", 1);
    }
    int rc = config_rw_write(path, content);
    int saved = errno;
    buf_free(content);
    config_rw_free(&rw);
    errno = saved;
    return rc;
}

static void config_rewrite_command(client *c)
{
    server *s = c->srv;
    if (!s->cfg.config_file) {
        reply_error(c, "ERR The server is running without a config file");
        return;
    }
    if (config_rewrite(s, s->cfg.config_file) != 0) {
        int saved = errno;
        log_warning("CONFIG REWRITE failed: %s", strerror(saved));
        reply_errorf(c, "ERR Rewriting config file: %s", strerror(saved));
        return;
    }
    log_notice("CONFIG REWRITE executed with success.");
    reply_ok(c);
}

/* ---------------------------------------------------------- CONFIG HELP */

static void config_help_command(client *c)
{
    static const char *help[] = {
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        NULL,
    };
    reply_help(c, help);
}

/* ---------------------------------------------------------- the command */

#define CONFIG_SUB_FLAGS (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static command config_subcommands[] = {
    {"get", config_get_command, -3, CONFIG_SUB_FLAGS, 0, 0, 0, "server",
     "Get the values of configuration parameters", "2.0.0"},
    {"set", config_set_command, -4, CONFIG_SUB_FLAGS, 0, 0, 0, "server",
     "Set configuration parameters to the given values", "2.0.0"},
    {"resetstat", config_resetstat_command, 2, CONFIG_SUB_FLAGS, 0, 0, 0, "server",
     "Reset the stats returned by INFO", "2.0.0"},
    {"rewrite", config_rewrite_command, 2, CONFIG_SUB_FLAGS, 0, 0, 0, "server",
     "Rewrite the configuration file with the in memory configuration", "2.8.0"},
    {"help", config_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Show helpful text about the different subcommands", "5.0.0"},
    {0},
};

command config_commands[] = {
    {"config", NULL, -2, 0, 0, 0, 0, "server", "A container for server configuration commands.",
     "2.0.0", config_subcommands},
    {0},
};
