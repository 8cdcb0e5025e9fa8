/* commands: THE command table and the single point where commands run.
 * Every module exports a table of `command` entries; this file registers
 * them, looks commands up, enforces arity, authentication and flags, runs
 * the handler, keeps per-command statistics, and hands data changes to the
 * propagation point.  It also implements COMMAND, which describes the
 * table to clients. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"
#include "acl.h"
#include "pause.h"
#include "persist.h"
#include "replication.h"

/* ---------------------------------------------------------- registration */

static uint64_t name_hash(const void *k)
{
    return dict_hash_bytes_nocase(k, strlen(k));
}
static int name_equal(const void *a, const void *b)
{
    return strcasecmp(a, b) == 0;
}
static const dict_type command_dict_type = {name_hash, name_equal, NULL, NULL};

static command *const *all_tables(void)
{
    static command *const tables[] = {string_commands,
                                      keyspace_commands,
                                      server_commands,
                                      config_commands,
                                      client_commands,
                                      command_commands,
                                      info_commands,
                                      multi_commands,
                                      pubsub_commands,
                                      hash_commands,
                                      list_commands,
                                      set_commands,
                                      zset_commands,
                                      bitops_commands,
                                      persist_commands,
                                      aof_commands,
                                      acl_commands,
                                      replication_commands,
                                      NULL};
    return tables;
}

void commands_init(server *s)
{
    s->commands = dict_create(&command_dict_type);
    for (command *const *t = all_tables(); *t; t++) {
        for (command *cmd = *t; cmd->name; cmd++) {
            snprintf(cmd->fullname, sizeof(cmd->fullname), "%s", cmd->name);
            for (command *sub = cmd->subcommands; sub && sub->name; sub++) {
                sub->parent = cmd;
                snprintf(sub->fullname, sizeof(sub->fullname), "%s|%s", cmd->name, sub->name);
            }
            dict_add(s->commands, (void *)cmd->name, cmd);
        }
    }
}

/* Names longer than this are no command, so lookups copy into the stack. */
#define COMMAND_NAME_MAX 64

const command *commands_lookup(server *s, const char *name, size_t len)
{
    if (len == 0 || len >= COMMAND_NAME_MAX || memchr(name, '\0', len))
        return NULL;
    char tmp[COMMAND_NAME_MAX];
    memcpy(tmp, name, len);
    tmp[len] = '\0';
    return dict_fetch_value(s->commands, tmp);
}

static const command *subcommand_lookup(const command *parent, const resp_arg *a)
{
    for (const command *sub = parent->subcommands; sub && sub->name; sub++)
        if (arg_is(a, sub->name))
            return sub;
    return NULL;
}

const command *commands_lookup_argv(server *s, int argc, const resp_arg *argv)
{
    const command *cmd = commands_lookup(s, argv[0].ptr, argv[0].len);
    if (cmd && cmd->subcommands && argc >= 2)
        return subcommand_lookup(cmd, &argv[1]);
    return cmd;
}

/* ------------------------------------------------------- argument helpers */

int arg_is(const resp_arg *a, const char *word)
{
    size_t n = strlen(word);
    return a->len == n && strncasecmp(a->ptr, word, n) == 0;
}

int arg_get_ll(client *c, const resp_arg *a, long long *out)
{
    if (!util_str2ll(a->ptr, a->len, out)) {
        reply_error_not_int(c);
        return 0;
    }
    return 1;
}

int arg_get_ll_range(client *c, const resp_arg *a, long long min, long long max, long long *out,
                     const char *errmsg)
{
    long long v;
    if (!util_str2ll(a->ptr, a->len, &v) || v < min || v > max) {
        if (errmsg)
            reply_error(c, errmsg);
        else
            reply_errorf(c, "ERR value is out of range, must be between %lld and %lld", min, max);
        return 0;
    }
    *out = v;
    return 1;
}

/* A SCAN-family cursor as Redis 7.0 parses it: strtoul in base 10, so a
 * sign and leading zeros are accepted ("-1" is the largest cursor, "" is 0),
 * while leading space, trailing garbage and overflow are "invalid cursor".
 * The argument is copied to get the NUL terminator strtoul needs. */
int arg_get_scan_cursor(client *c, const resp_arg *a, unsigned long *out)
{
    char small[64];
    char *s = a->len < sizeof(small) ? small : malloc(a->len + 1);
    if (!s)
        abort();
    memcpy(s, a->ptr, a->len);
    s[a->len] = '\0';
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    int ok = !(s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')) && *end == '\0' && errno != ERANGE;
    if (s != small)
        free(s);
    if (!ok) {
        reply_error(c, "ERR invalid cursor");
        return 0;
    }
    *out = v;
    return 1;
}

int arg_get_ld(client *c, const resp_arg *a, long double *out)
{
    if (!util_str2ld(a->ptr, a->len, out)) {
        reply_error_not_float(c);
        return 0;
    }
    return 1;
}

int arg_get_d(client *c, const resp_arg *a, double *out)
{
    if (!util_str2d(a->ptr, a->len, out)) {
        reply_error_not_float(c);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------- execution */

/* Redis quotes up to 128 bytes of the name and of the first arguments,
 * stopping at a NUL byte as C formatting would. */
static void reply_unknown_command(client *c)
{
    char name[129];
    size_t n = strnlen(c->argv[0].ptr, c->argv[0].len < 128 ? c->argv[0].len : 128);
    memcpy(name, c->argv[0].ptr, n);
    name[n] = '\0';
    char args[256];
    size_t used = 0;
    args[0] = '\0';
    for (int i = 1; i < c->argc && used < 128; i++) {
        size_t room = 128 - used;
        size_t alen = strnlen(c->argv[i].ptr, c->argv[i].len);
        if (alen > room)
            alen = room;
        used += (size_t)snprintf(args + used, sizeof(args) - used, "'%.*s' ", (int)alen,
                                 c->argv[i].ptr);
    }
    reply_errorf(c, "ERR unknown command '%s', with args beginning with: %s", name, args);
}

static void reply_unknown_subcommand(client *c)
{
    char sub[129], name[COMMAND_NAME_MAX];
    size_t n = strnlen(c->argv[1].ptr, c->argv[1].len < 128 ? c->argv[1].len : 128);
    memcpy(sub, c->argv[1].ptr, n);
    sub[n] = '\0';
    size_t m = c->argv[0].len < sizeof(name) - 1 ? c->argv[0].len : sizeof(name) - 1;
    for (size_t i = 0; i < m; i++)
        name[i] = (char)toupper((unsigned char)c->argv[0].ptr[i]);
    name[m] = '\0';
    reply_errorf(c, "ERR unknown subcommand '%s'. Try %s HELP.", sub, name);
}

static int command_allowed_while_subscribed(const command *cmd)
{
    static const char *const allowed[] = {"subscribe",    "unsubscribe", "psubscribe",
                                          "punsubscribe", "ssubscribe",  "sunsubscribe",
                                          "ping",         "quit",        "reset"};
    if (cmd->parent)
        return 0;
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        if (strcmp(cmd->name, allowed[i]) == 0)
            return 1;
    return 0;
}

static int arity_ok(const command *cmd, int argc)
{
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

void command_propagate_as(client *c, int argc, const resp_arg *argv)
{
    for (int i = 0; i < c->prop_argc; i++)
        buf_free(c->prop_argv[i]);
    free(c->prop_argv);
    c->prop_argv = malloc(sizeof(buf) * (size_t)argc);
    if (!c->prop_argv)
        abort();
    for (int i = 0; i < argc; i++)
        c->prop_argv[i] = buf_new(argv[i].ptr, argv[i].len);
    c->prop_argc = argc;
}

static void command_propagate_rewritten(client *c)
{
    resp_arg argv[16], *args = argv;
    if (c->prop_argc > 16)
        args = malloc(sizeof(resp_arg) * (size_t)c->prop_argc);
    for (int i = 0; i < c->prop_argc; i++) {
        args[i].ptr = c->prop_argv[i];
        args[i].len = buf_len(c->prop_argv[i]);
    }
    propagate_command(c->srv, c->db->id, c->prop_argc, args);
    if (args != argv)
        free(args);
    for (int i = 0; i < c->prop_argc; i++)
        buf_free(c->prop_argv[i]);
    free(c->prop_argv);
    c->prop_argv = NULL;
    c->prop_argc = 0;
}

/* EXEC of a transaction that queued writes is refused as a whole where a
 * write would be, as Redis does: the server became a read-only replica, or
 * lost its good replicas, since the writes were queued. */
static int exec_rejected_as_write(client *c, const command *cmd)
{
    if (!multi_is_exec(cmd) || !(c->flags & CLIENT_MULTI) || !(c->flags & CLIENT_MULTI_WRITES) ||
        !c->conn || (c->flags & CLIENT_MASTER))
        return 0;
    const char *err = NULL;
    if (replication_is_replica(c->srv)) {
        if (repl_cfg.replica_read_only)
            err = "READONLY You can't write against a read only replica.";
    } else if (repl_cfg.min_replicas_to_write && repl_cfg.min_replicas_max_lag &&
               repl.good_replicas < repl_cfg.min_replicas_to_write) {
        err = "NOREPLICAS Not enough good replicas to write.";
    }
    if (!err)
        return 0;
    ((command *)cmd)->rejected_calls++;
    multi_exec_abort(c, err);
    return 1;
}

/* Run one command: the checks Redis makes, in Redis's order, then the
 * handler.  A command that changed data (stats.dirty moved) is handed to the
 * propagation point exactly as it was received. */
void command_call(client *c)
{
    server *s = c->srv;
    const command *cmd = commands_lookup(s, c->argv[0].ptr, c->argv[0].len);
    /* Inside MULTI, a command that cannot even be queued dooms the EXEC. */
    int in_multi = (c->flags & (CLIENT_MULTI | CLIENT_IN_EXEC)) == CLIENT_MULTI;
    if (!cmd) {
        if (in_multi)
            c->flags |= CLIENT_DIRTY_EXEC;
        reply_unknown_command(c);
        return;
    }
    if (cmd->subcommands && c->argc >= 2) {
        const command *sub = subcommand_lookup(cmd, &c->argv[1]);
        if (!sub) {
            if (in_multi)
                c->flags |= CLIENT_DIRTY_EXEC;
            reply_unknown_subcommand(c);
            return;
        }
        cmd = sub;
    }
    c->cmd = cmd;
    /* CLIENT LIST's cmd=: the last command received (queued ones too, not
     * the ones EXEC runs). */
    if (!(c->flags & CLIENT_IN_EXEC))
        c->last_cmd = cmd;
    if (!arity_ok(cmd, c->argc)) {
        ((command *)cmd)->rejected_calls++;
        if (in_multi)
            c->flags |= CLIENT_DIRTY_EXEC;
        if (multi_is_exec(cmd)) {
            /* A malformed EXEC ends the transaction, as Redis does. */
            char msg[128];
            snprintf(msg, sizeof(msg), "wrong number of arguments for '%s' command", cmd->fullname);
            multi_exec_abort(c, msg);
            return;
        }
        reply_error_arity(c);
        return;
    }
    if (!(c->flags & CLIENT_AUTHENTICATED) && !(cmd->flags & CMD_NO_AUTH)) {
        ((command *)cmd)->rejected_calls++;
        reply_error(c, "NOAUTH Authentication required.");
        return;
    }
    if (!acl_check_command(c)) { /* -NOPERM, logged in ACL LOG */
        ((command *)cmd)->rejected_calls++;
        if (in_multi)
            c->flags |= CLIENT_DIRTY_EXEC;
        return;
    }
    if (persist_reject_command(c, cmd)) /* -LOADING, -MISCONF */
        return;
    if (replication_reject_command(c, cmd)) { /* -READONLY, -NOREPLICAS, -MASTERDOWN */
        if (in_multi)
            c->flags |= CLIENT_DIRTY_EXEC;
        return;
    }
    if (exec_rejected_as_write(c, cmd))
        return;
    /* A RESP2 client that is subscribed only receives messages: its
     * replies would be mixed up with them otherwise. */
    if (c->resp == 2 && c->pstate && pubsub_client_subscriptions(c) > 0 &&
        !command_allowed_while_subscribed(cmd)) {
        ((command *)cmd)->rejected_calls++;
        char msg[200];
        snprintf(msg, sizeof(msg),
                 "Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
                 "RESET are allowed in this context",
                 cmd->fullname);
        if (multi_is_exec(cmd))
            multi_exec_abort(c, msg);
        else
            reply_errorf(c, "ERR %s", msg);
        return;
    }
    /* CLIENT PAUSE and the stall fence: the client waits, its command runs
     * from the top once they end. */
    if (pause_hold_command(c, cmd))
        return;
    if (multi_queue_if_needed(c))
        return;

    long long dirty = s->stats.dirty;
    uint64_t start = util_monotonic_us();
    cmd->proc(c);
    uint64_t duration = util_monotonic_us() - start;
    command *stats = (command *)cmd;
    stats->calls++;
    stats->usec += (long long)duration;
    s->stats.numcommands++;
    if (c->prop_argc) {
        command_propagate_rewritten(c);
    } else if (s->stats.dirty != dirty && c->db) {
        propagate_command(s, c->db->id, c->argc, c->argv);
    }
    pause_after_command(c);
}

/* ---------------------------------------------------------------- COMMAND */

static const struct {
    uint32_t flag;
    const char *name;
} flag_names[] = {
    /* Redis's order, which is the order COMMAND INFO lists them in. */
    {CMD_WRITE, "write"},
    {CMD_READONLY, "readonly"},
    {CMD_DENYOOM, "denyoom"},
    {CMD_ADMIN, "admin"},
    {CMD_PUBSUB, "pubsub"},
    {CMD_NOSCRIPT, "noscript"},
    {CMD_BLOCKING, "blocking"},
    {CMD_LOADING, "loading"},
    {CMD_STALE, "stale"},
    {CMD_SKIP_MONITOR, "skip_monitor"},
    {CMD_FAST, "fast"},
    {CMD_NO_AUTH, "no_auth"},
    {CMD_MAY_REPLICATE, "may_replicate"},
    {CMD_NO_MULTI, "no_multi"},
    {CMD_ALLOW_BUSY, "allow_busy"},
};

static long long command_count_flags(const command *cmd)
{
    long long n = 0;
    for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
        if (cmd->flags & flag_names[i].flag)
            n++;
    return n;
}

/* ACL categories, in the order Redis lists them.  The flags imply some
 * (@write, @read, @admin, @fast or @slow, ...); the group adds the data-type
 * or connection category. */
static const char *const category_names[] = {
    "@keyspace",   "@read",        "@write",     "@set",         "@sortedset", "@list",
    "@hash",       "@string",      "@bitmap",    "@hyperloglog", "@geo",       "@stream",
    "@pubsub",     "@admin",       "@fast",      "@slow",        "@blocking",  "@dangerous",
    "@connection", "@transaction", "@scripting",
};
#define CATEGORY_COUNT (int)(sizeof(category_names) / sizeof(category_names[0]))

static int category_index(const char *name)
{
    for (int i = 0; i < CATEGORY_COUNT; i++)
        if (strcmp(category_names[i], name) == 0)
            return i;
    return -1;
}

/* Where Redis's category membership is not what the flags and group give:
 * categories added to (or, with a leading '-', removed from) a command. */
static const struct {
    const char *command, *categories;
} category_overrides[] = {
    {"dbsize", "@keyspace"},
    {"flushall", "@keyspace @dangerous"},
    {"flushdb", "@keyspace @dangerous"},
    {"swapdb", "@keyspace @dangerous"},
    {"object", "-@keyspace"},
    {"lastsave", "@admin @dangerous"},
    {"info", "@dangerous"},
    {"keys", "@dangerous"},
    {"command", "@connection"},
    {"command|count", "@connection"},
    {"command|docs", "@connection"},
    {"command|getkeys", "@connection"},
    {"command|help", "@connection"},
    {"command|info", "@connection"},
    {"command|list", "@connection"},
    {"wait", "-@keyspace @connection"},
    {"role", "@admin @dangerous"},
};

const char *const *command_category_names(int *count)
{
    *count = CATEGORY_COUNT;
    return category_names;
}

int command_categories(const command *cmd, const char **out)
{
    static const struct {
        const char *group, *category;
    } group_categories[] = {
        {"generic", "@keyspace"},
        {"string", "@string"},
        {"list", "@list"},
        {"set", "@set"},
        {"sorted_set", "@sortedset"},
        {"hash", "@hash"},
        {"bitmap", "@bitmap"},
        {"connection", "@connection"},
        {"transactions", "@transaction"},
        {"scripting", "@scripting"},
    };
    const char *group = cmd->group ? cmd->group : (cmd->parent ? cmd->parent->group : "server");
    unsigned int bits = 0;
    if (cmd->subcommands && !cmd->proc) {
        /* A pure container (CONFIG, CLIENT, PUBSUB) is only @slow in Redis. */
        out[0] = "@slow";
        return 1;
    }
    for (size_t i = 0; i < sizeof(group_categories) / sizeof(group_categories[0]); i++)
        if (strcmp(group, group_categories[i].group) == 0)
            bits |= 1u << category_index(group_categories[i].category);
    if (cmd->flags & CMD_WRITE)
        bits |= 1u << category_index("@write");
    if (cmd->flags & CMD_READONLY)
        bits |= 1u << category_index("@read");
    if (cmd->flags & CMD_ADMIN)
        bits |= 1u << category_index("@admin") | 1u << category_index("@dangerous");
    if (cmd->flags & CMD_PUBSUB)
        bits |= 1u << category_index("@pubsub");
    if (cmd->flags & CMD_BLOCKING)
        bits |= 1u << category_index("@blocking");
    bits |= 1u << category_index((cmd->flags & CMD_FAST) ? "@fast" : "@slow");
    for (size_t i = 0; i < sizeof(category_overrides) / sizeof(category_overrides[0]); i++) {
        if (strcmp(cmd->fullname, category_overrides[i].command) != 0)
            continue;
        char tmp[256];
        snprintf(tmp, sizeof(tmp), "%s", category_overrides[i].categories);
        for (char *save = NULL, *tok = strtok_r(tmp, " ", &save); tok;
             tok = strtok_r(NULL, " ", &save)) {
            int idx = category_index(tok[0] == '-' ? tok + 1 : tok);
            if (idx >= 0 && tok[0] == '-')
                bits &= ~(1u << idx);
            else if (idx >= 0)
                bits |= 1u << idx;
        }
    }
    int n = 0;
    for (int i = 0; i < CATEGORY_COUNT; i++)
        if (bits & (1u << i))
            out[n++] = category_names[i];
    return n;
}

static void reply_key_specs(client *c, const command *cmd)
{
    if (cmd->first_key == 0) {
        reply_array_len(c, 0);
        return;
    }
    reply_array_len(c, 1);
    reply_map_len(c, 3);
    reply_bulk_cstr(c, "flags");
    if (cmd->flags & CMD_KEYS_NOT_KEY) {
        reply_set_len(c, 1);
        reply_simple(c, "not_key");
    } else {
        reply_set_len(c, 0);
    }
    reply_bulk_cstr(c, "begin_search");
    reply_map_len(c, 2);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, "index");
    reply_bulk_cstr(c, "spec");
    reply_map_len(c, 1);
    reply_bulk_cstr(c, "index");
    reply_int(c, cmd->first_key);
    reply_bulk_cstr(c, "find_keys");
    reply_map_len(c, 2);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, "range");
    reply_bulk_cstr(c, "spec");
    reply_map_len(c, 3);
    reply_bulk_cstr(c, "lastkey");
    reply_int(c, cmd->last_key < 0 ? cmd->last_key : cmd->last_key - cmd->first_key);
    reply_bulk_cstr(c, "keystep");
    reply_int(c, cmd->key_step);
    reply_bulk_cstr(c, "limit");
    reply_int(c, 0);
}

static void reply_command_info(client *c, const command *cmd)
{
    reply_array_len(c, 10);
    reply_bulk_cstr(c, cmd->fullname);
    reply_int(c, cmd->arity);
    reply_set_len(c, command_count_flags(cmd));
    for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
        if (cmd->flags & flag_names[i].flag)
            reply_simple(c, flag_names[i].name);
    reply_int(c, cmd->first_key);
    reply_int(c, cmd->last_key);
    reply_int(c, cmd->key_step);
    const char *cats[CATEGORY_COUNT];
    int ncats = command_categories(cmd, cats);
    reply_set_len(c, ncats);
    for (int i = 0; i < ncats; i++)
        reply_simple(c, cats[i]);
    reply_set_len(c, 0); /* tips */
    reply_key_specs(c, cmd);
    long long nsub = 0;
    for (const command *sub = cmd->subcommands; sub && sub->name; sub++)
        nsub++;
    reply_array_len(c, nsub);
    for (const command *sub = cmd->subcommands; sub && sub->name; sub++)
        reply_command_info(c, sub);
}

static void reply_command_docs(client *c, const command *cmd)
{
    long long nsub = 0;
    for (const command *sub = cmd->subcommands; sub && sub->name; sub++)
        nsub++;
    reply_map_len(c, nsub ? 4 : 3);
    reply_bulk_cstr(c, "summary");
    reply_bulk_cstr(c, cmd->summary ? cmd->summary : "");
    reply_bulk_cstr(c, "since");
    reply_bulk_cstr(c, cmd->since ? cmd->since : "1.0.0");
    reply_bulk_cstr(c, "group");
    reply_bulk_cstr(c, cmd->group ? cmd->group : (cmd->parent ? cmd->parent->group : "server"));
    if (nsub) {
        reply_bulk_cstr(c, "subcommands");
        reply_map_len(c, nsub);
        for (const command *sub = cmd->subcommands; sub && sub->name; sub++) {
            reply_bulk_cstr(c, sub->fullname);
            reply_command_docs(c, sub);
        }
    }
}

static void command_plain_command(client *c)
{
    reply_array_len(c, (long long)dict_size(c->srv->commands));
    dict_iter it;
    dict_iter_init(&it, c->srv->commands, 0);
    for (dict_entry *e; (e = dict_iter_next(&it));)
        reply_command_info(c, e->v.val);
    dict_iter_release(&it);
}

static void command_count_command(client *c)
{
    reply_int(c, (long long)dict_size(c->srv->commands));
}

static void command_info_command(client *c)
{
    if (c->argc == 2) {
        command_plain_command(c);
        return;
    }
    reply_array_len(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const command *cmd = NULL;
        /* "config|get" names a subcommand */
        const char *bar = memchr(c->argv[i].ptr, '|', c->argv[i].len);
        if (bar) {
            const command *parent =
                commands_lookup(c->srv, c->argv[i].ptr, (size_t)(bar - c->argv[i].ptr));
            resp_arg sub = {bar + 1, c->argv[i].len - (size_t)(bar - c->argv[i].ptr) - 1};
            if (parent)
                cmd = subcommand_lookup(parent, &sub);
        } else {
            cmd = commands_lookup(c->srv, c->argv[i].ptr, c->argv[i].len);
        }
        if (cmd)
            reply_command_info(c, cmd);
        else
            reply_nil(c);
    }
}

static void command_docs_command(client *c)
{
    size_t handle = reply_defer_len(c);
    long long n = 0;
    if (c->argc == 2) {
        dict_iter it;
        dict_iter_init(&it, c->srv->commands, 0);
        for (dict_entry *e; (e = dict_iter_next(&it));) {
            const command *cmd = e->v.val;
            reply_bulk_cstr(c, cmd->name);
            reply_command_docs(c, cmd);
            n++;
        }
        dict_iter_release(&it);
    } else {
        for (int i = 2; i < c->argc; i++) {
            const command *cmd = commands_lookup(c->srv, c->argv[i].ptr, c->argv[i].len);
            if (!cmd)
                continue;
            reply_bulk_cstr(c, cmd->name);
            reply_command_docs(c, cmd);
            n++;
        }
    }
    reply_set_deferred_map_len(c, handle, n);
}

static void command_list_command(client *c)
{
    const char *pattern = NULL, *category = NULL;
    size_t plen = 0;
    if (c->argc == 5 && arg_is(&c->argv[2], "filterby")) {
        if (arg_is(&c->argv[3], "pattern")) {
            pattern = c->argv[4].ptr;
            plen = c->argv[4].len;
        } else if (arg_is(&c->argv[3], "aclcat")) {
            category = c->argv[4].ptr;
        } else if (!arg_is(&c->argv[3], "module")) {
            reply_error_syntax(c);
            return;
        } else {
            reply_array_len(c, 0); /* no modules */
            return;
        }
    } else if (c->argc != 2) {
        reply_error_syntax(c);
        return;
    }
    size_t handle = reply_defer_len(c);
    long long n = 0;
    dict_iter it;
    dict_iter_init(&it, c->srv->commands, 0);
    for (dict_entry *e; (e = dict_iter_next(&it));) {
        const command *top = e->v.val;
        for (const command *cmd = top; cmd;) {
            int match = 1;
            if (pattern)
                match = util_glob_match(pattern, plen, cmd->fullname, strlen(cmd->fullname), 1);
            if (category) {
                const char *cats[CATEGORY_COUNT];
                int nc = command_categories(cmd, cats);
                match = 0;
                for (int i = 0; i < nc; i++)
                    if (strncasecmp(cats[i] + 1, category, c->argv[4].len) == 0 &&
                        strlen(cats[i] + 1) == c->argv[4].len)
                        match = 1;
            }
            if (match) {
                reply_bulk_cstr(c, cmd->fullname);
                n++;
            }
            /* walk the top-level command, then its subcommands */
            if (cmd == top)
                cmd = top->subcommands && top->subcommands->name ? top->subcommands : NULL;
            else
                cmd = (cmd + 1)->name ? cmd + 1 : NULL;
        }
    }
    dict_iter_release(&it);
    reply_set_deferred_len(c, handle, n);
}

static void command_getkeys_command(client *c)
{
    int argc = c->argc - 2;
    const resp_arg *argv = c->argv + 2;
    const command *cmd = commands_lookup_argv(c->srv, argc, argv);
    if (!cmd) {
        reply_error(c, "ERR Invalid command specified");
        return;
    }
    if (!arity_ok(cmd, argc)) {
        reply_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    if (cmd->first_key == 0) {
        reply_error(c, "ERR The command has no key arguments");
        return;
    }
    int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
    size_t handle = reply_defer_len(c);
    long long n = 0;
    for (int i = cmd->first_key; i <= last && i < argc; i += cmd->key_step) {
        reply_bulk(c, argv[i].ptr, argv[i].len);
        n++;
    }
    reply_set_deferred_len(c, handle, n);
}

static void command_help_command(client *c)
{
    static const char *help[] = {"(no subcommand)",
                                 "    Return details about all Redis commands.",
                                 "COUNT",
                                 "    Return the total number of commands in this Redis server.",
                                 "LIST",
                                 "    Return a list of all commands in this Redis server.",
                                 "INFO [<command-name> ...]",
                                 "    Return details about multiple Redis commands.",
                                 "    If no command names are given, documentation details for all",
                                 "    commands are returned.",
                                 "DOCS [<command-name> ...]",
                                 "    Return documentation details about multiple Redis commands.",
                                 "    If no command names are given, documentation details for all",
                                 "    commands are returned.",
                                 "GETKEYS <full-command>",
                                 "    Return the keys from a full Redis command.",
                                 NULL};
    reply_help(c, help);
}

static void command_command(client *c)
{
    command_plain_command(c);
}

static command command_subcommands[] = {
    {"count", command_count_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Returns a count of commands.", "2.8.13"},
    {"docs", command_docs_command, -2, CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Returns documentary information about one, multiple or all commands.", "7.0.0"},
    {"getkeys", command_getkeys_command, -4, CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Extracts the key names from an arbitrary command.", "2.8.13"},
    {"help", command_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Returns helpful text about the different subcommands.", "5.0.0"},
    {"info", command_info_command, -2, CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Returns information about one, multiple or all commands.", "2.8.13"},
    {"list", command_list_command, -2, CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Returns a list of command names.", "7.0.0"},
    {0},
};

command command_commands[] = {
    {"command", command_command, -1, CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Returns detailed information about all commands.", "2.8.13", command_subcommands},
    {0},
};
