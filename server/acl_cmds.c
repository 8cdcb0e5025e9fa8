/* acl_cmds: the ACL command (SETUSER, GETUSER, DELUSER, LIST, USERS,
 * WHOAMI, CAT, GENPASS, LOG, DRYRUN, SAVE, LOAD, HELP) and ACL LOG's
 * entries, with Redis 7.0's replies and error texts.  The users and rules
 * themselves are acl.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl.h"
#include "server.h"

/* ----------------------------------------------------------------- LOG */

#define ACL_LOG_GROUP_MS 60000 /* a repeat within this long counts, as Redis */

typedef struct acl_log_entry {
    long long count;
    int reason;
    int in_multi;
    buf object, username, client_info;
    int64_t ctime_ms;
} acl_log_entry;

int acl_log_max_len = 128;
static acl_log_entry *acl_log; /* [0] is the newest */
static int acl_log_len, acl_log_cap;

static void acl_log_entry_free(acl_log_entry *e)
{
    buf_free(e->object);
    buf_free(e->username);
    buf_free(e->client_info);
    memset(e, 0, sizeof(*e));
}

void acl_log_reset(void)
{
    for (int i = 0; i < acl_log_len; i++)
        acl_log_entry_free(&acl_log[i]);
    acl_log_len = 0;
}

void acl_log_add(client *c, int reason, const char *object, size_t olen, const char *username,
                 size_t ulen)
{
    int64_t now = c->srv ? c->srv->mstime : 0;
    int in_multi = (c->flags & (CLIENT_MULTI | CLIENT_IN_EXEC)) != 0;
    buf info = client_info_line(buf_empty(), c);
    if (buf_len(info) && info[buf_len(info) - 1] == '\n')
        buf_range(info, 0, -2);
    for (int i = 0; i < acl_log_len; i++) {
        acl_log_entry *e = &acl_log[i];
        if (e->reason == reason && e->in_multi == in_multi && buf_eq(e->object, object, olen) &&
            buf_eq(e->username, username, ulen) && now - e->ctime_ms <= ACL_LOG_GROUP_MS) {
            acl_log_entry moved = *e;
            moved.count++;
            moved.ctime_ms = now;
            buf_free(moved.client_info);
            moved.client_info = info;
            memmove(&acl_log[1], &acl_log[0], sizeof(acl_log[0]) * (size_t)i);
            acl_log[0] = moved;
            return;
        }
    }
    if (acl_log_len == acl_log_cap) {
        acl_log_cap = acl_log_cap ? 2 * acl_log_cap : 16;
        acl_log = realloc(acl_log, sizeof(*acl_log) * (size_t)acl_log_cap);
        if (!acl_log)
            abort();
    }
    memmove(&acl_log[1], &acl_log[0], sizeof(acl_log[0]) * (size_t)acl_log_len);
    acl_log[0] = (acl_log_entry){
        1, reason, in_multi, buf_new(object, olen), buf_new(username, ulen), info, now};
    acl_log_len++;
    while (acl_log_len > acl_log_max_len) /* the oldest go, as Redis trims */
        acl_log_entry_free(&acl_log[--acl_log_len]);
}

void acl_log_reply(client *c, long long count)
{
    static const char *const reasons[] = {"", "command", "key", "channel", "auth"};
    if (count < 0 || count > acl_log_len) /* a negative count: all, as Redis's loop */
        count = acl_log_len;
    reply_array_len(c, count);
    for (long long i = 0; i < count; i++) {
        acl_log_entry *e = &acl_log[i];
        reply_map_len(c, 7);
        reply_bulk_cstr(c, "count");
        reply_int(c, e->count);
        reply_bulk_cstr(c, "reason");
        reply_bulk_cstr(c, reasons[e->reason]);
        reply_bulk_cstr(c, "context");
        reply_bulk_cstr(c, e->in_multi ? "multi" : "toplevel");
        reply_bulk_cstr(c, "object");
        reply_bulk(c, e->object, buf_len(e->object));
        reply_bulk_cstr(c, "username");
        reply_bulk(c, e->username, buf_len(e->username));
        reply_bulk_cstr(c, "age-seconds");
        reply_double(c, (double)(c->srv->mstime - e->ctime_ms) / 1000.0);
        reply_bulk_cstr(c, "client-info");
        reply_bulk(c, e->client_info, buf_len(e->client_info));
    }
}

/* ---------------------------------------------------------- subcommands */

/* Redis's error for too many arguments to CAT, GENPASS and LOG. */
static void acl_reply_subcommand_arity(client *c)
{
    reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try ACL HELP.",
                 (int)c->argv[1].len, c->argv[1].ptr);
}

static void acl_setuser_command(client *c)
{
    /* the error quotes a modifier, a selector perhaps: room for all of them */
    size_t errlen = 512;
    for (int i = 3; i < c->argc; i++)
        errlen += c->argv[i].len + 1;
    char *err = malloc(errlen + 4);
    if (!err)
        abort();
    memcpy(err, "ERR ", 4);
    int rc = acl_setuser(c->srv, c->argv[2].ptr, c->argv[2].len, c->argc - 3, c->argv + 3, err + 4,
                         errlen);
    if (!rc)
        reply_error(c, err);
    else
        reply_ok(c);
    free(err);
    if (rc == 2) /* disabled: its connections go (this one after the reply) */
        acl_kill_clients_of(c->srv, c->argv[2].ptr, c->argv[2].len);
}

static void acl_reply_buf(client *c, buf b)
{
    reply_bulk(c, b, buf_len(b));
    buf_free(b);
}

/* commands, keys, channels: three fields of GETUSER's map */
static void acl_getuser_reply_selector(client *c, const acl_selector *sel)
{
    reply_bulk_cstr(c, "commands");
    acl_reply_buf(c, acl_selector_describe_commands(buf_empty(), sel));
    reply_bulk_cstr(c, "keys");
    acl_reply_buf(c, acl_selector_describe_keys(buf_empty(), sel));
    reply_bulk_cstr(c, "channels");
    acl_reply_buf(c, acl_selector_describe_channels(buf_empty(), sel));
}

static void acl_getuser_command(client *c)
{
    acl_user *u = acl_user_lookup(c->argv[2].ptr, c->argv[2].len);
    if (!u) {
        reply_nil(c);
        return;
    }
    reply_map_len(c, 6);
    reply_bulk_cstr(c, "flags");
    int nflags = 1 + ((u->flags & ACL_USER_NOPASS) != 0) +
                 ((u->flags & (ACL_USER_SANITIZE | ACL_USER_SKIP_SANITIZE)) != 0);
    reply_set_len(c, nflags);
    reply_bulk_cstr(c, (u->flags & ACL_USER_ON) ? "on" : "off");
    if (u->flags & ACL_USER_NOPASS)
        reply_bulk_cstr(c, "nopass");
    if (u->flags & ACL_USER_SKIP_SANITIZE)
        reply_bulk_cstr(c, "skip-sanitize-payload");
    if (u->flags & ACL_USER_SANITIZE)
        reply_bulk_cstr(c, "sanitize-payload");
    reply_bulk_cstr(c, "passwords");
    reply_array_len(c, u->npasswords);
    for (int i = 0; i < u->npasswords; i++) {
        char hex[2 * ACL_SHA256_LEN + 1];
        static const char digits[] = "0123456789abcdef";
        for (int j = 0; j < ACL_SHA256_LEN; j++) {
            hex[2 * j] = digits[u->passwords[i][j] >> 4];
            hex[2 * j + 1] = digits[u->passwords[i][j] & 15];
        }
        reply_bulk(c, hex, 2 * ACL_SHA256_LEN);
    }
    /* The root selector's rules at the top level (as before 7.0), then
     * every other selector as a map of the same three fields. */
    acl_getuser_reply_selector(c, &u->root);
    reply_bulk_cstr(c, "selectors");
    reply_array_len(c, u->nselectors);
    for (int i = 0; i < u->nselectors; i++) {
        reply_map_len(c, 3);
        acl_getuser_reply_selector(c, &u->selectors[i]);
    }
}

static void acl_deluser_command(client *c)
{
    long long n = 0;
    for (int i = 2; i < c->argc; i++) {
        if (c->argv[i].len == 7 && memcmp(c->argv[i].ptr, "default", 7) == 0) {
            reply_error(c, "ERR The 'default' user cannot be removed");
            return;
        }
    }
    /* Count first and reply, then delete: deleting the caller's own user
     * closes its connection after this reply. */
    for (int i = 2; i < c->argc; i++) {
        int dup = 0;
        for (int j = 2; j < i; j++)
            dup |= c->argv[j].len == c->argv[i].len &&
                   memcmp(c->argv[j].ptr, c->argv[i].ptr, c->argv[i].len) == 0;
        n += !dup && acl_user_lookup(c->argv[i].ptr, c->argv[i].len) != NULL;
    }
    reply_int(c, n);
    for (int i = 2; i < c->argc; i++)
        acl_deluser(c->srv, c->argv[i].ptr, c->argv[i].len);
}

static void acl_list_command(client *c)
{
    int n = acl_user_count();
    reply_array_len(c, n);
    for (int i = 0; i < n; i++) {
        acl_user *u = acl_user_at(i);
        buf line = buf_cat_cstr(buf_cat_buf(buf_from_cstr("user "), u->name), " ");
        line = acl_user_describe(line, u);
        reply_bulk(c, line, buf_len(line));
        buf_free(line);
    }
}

static void acl_users_command(client *c)
{
    int n = acl_user_count();
    reply_array_len(c, n);
    for (int i = 0; i < n; i++) {
        acl_user *u = acl_user_at(i);
        reply_bulk(c, u->name, buf_len(u->name));
    }
}

static void acl_whoami_command(client *c)
{
    const char *name = c->user ? c->user : "default";
    reply_bulk(c, name, c->user ? buf_len(c->user) : 7);
}

static void acl_cat_command(client *c)
{
    int ncat;
    const char *const *cats = acl_category_list(&ncat);
    if (c->argc == 2) {
        reply_array_len(c, ncat);
        for (int i = 0; i < ncat; i++)
            reply_bulk_cstr(c, cats[i] + 1);
        return;
    }
    if (c->argc > 3) {
        acl_reply_subcommand_arity(c);
        return;
    }
    int found = 0;
    for (int i = 0; i < ncat; i++)
        if (strlen(cats[i] + 1) == c->argv[2].len &&
            strncasecmp(cats[i] + 1, c->argv[2].ptr, c->argv[2].len) == 0)
            found = i + 1;
    if (!found) {
        reply_errorf(c, "ERR Unknown category '%.*s'", (int)c->argv[2].len, c->argv[2].ptr);
        return;
    }
    size_t handle = reply_defer_len(c);
    long long n = 0;
    for (int id = 0; id < acl_command_count(); id++) {
        const command *cmd = acl_command_at(id);
        if (acl_command_in_category(cmd, cats[found - 1] + 1)) {
            reply_bulk_cstr(c, cmd->fullname);
            n++;
        }
    }
    reply_set_deferred_len(c, handle, n);
}

static void acl_genpass_command(client *c)
{
    long long bits = 256;
    if (c->argc > 3) {
        acl_reply_subcommand_arity(c);
        return;
    }
    if (c->argc == 3 && !util_str2ll(c->argv[2].ptr, c->argv[2].len, &bits)) {
        reply_error(c, "ERR value is not an integer or out of range");
        return;
    }
    if (bits <= 0 || bits > 4096) {
        reply_error(c, "ERR ACL GENPASS argument must be the number of bits for the output "
                       "password, a positive number up to 4096");
        return;
    }
    size_t chars = (size_t)((bits + 3) / 4);
    char hex[1025];
    util_random_hex(hex, chars);
    reply_bulk(c, hex, chars);
}

static void acl_log_command(client *c)
{
    long long count = 10;
    if (c->argc > 3) {
        acl_reply_subcommand_arity(c);
        return;
    }
    if (c->argc == 3) {
        if (c->argv[2].len == 5 && strncasecmp(c->argv[2].ptr, "reset", 5) == 0) {
            acl_log_reset();
            reply_ok(c);
            return;
        }
        if (!util_str2ll(c->argv[2].ptr, c->argv[2].len, &count)) {
            reply_error(c, "ERR value is not an integer or out of range");
            return;
        }
    }
    acl_log_reply(c, count);
}

static void acl_dryrun_command(client *c)
{
    acl_user *u = acl_user_lookup(c->argv[2].ptr, c->argv[2].len);
    if (!u) {
        reply_errorf(c, "ERR User '%.*s' not found", (int)c->argv[2].len, c->argv[2].ptr);
        return;
    }
    const resp_arg *argv = c->argv + 3;
    int argc = c->argc - 3;
    const command *cmd = commands_lookup(c->srv, argv[0].ptr, argv[0].len);
    if (!cmd) {
        reply_errorf(c, "ERR Command '%.*s' not found", (int)argv[0].len, argv[0].ptr);
        return;
    }
    if (cmd->subcommands && argc >= 2) {
        const command *found = NULL;
        for (const command *sub = cmd->subcommands; sub->name; sub++)
            if (strlen(sub->name) == argv[1].len &&
                strncasecmp(sub->name, argv[1].ptr, argv[1].len) == 0)
                found = sub;
        if (!found) { /* as Redis: an unknown subcommand is an unknown command */
            reply_errorf(c, "ERR Command '%.*s' not found", (int)argv[0].len, argv[0].ptr);
            return;
        }
        cmd = found;
    }
    if ((cmd->arity > 0 && cmd->arity != argc) || (cmd->arity < 0 && argc < -cmd->arity)) {
        reply_errorf(c, "ERR wrong number of arguments for '%s' command", cmd->fullname);
        return;
    }
    int pos;
    char msg[512];
    switch (acl_user_check_call(u, cmd, argc, argv, &pos)) {
    case ACL_OK: reply_ok(c); return;
    case ACL_DENIED_CMD:
        snprintf(msg, sizeof(msg), "This user has no permissions to run the '%s' command",
                 cmd->fullname);
        break;
    case ACL_DENIED_KEY:
        snprintf(msg, sizeof(msg), "This user has no permissions to access the '%.*s' key",
                 (int)argv[pos].len, argv[pos].ptr);
        break;
    default:
        snprintf(msg, sizeof(msg), "This user has no permissions to access the '%.*s' channel",
                 (int)argv[pos].len, argv[pos].ptr);
        break;
    }
    reply_bulk_cstr(c, msg);
}

static const char *const acl_no_file =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
    "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
    "Redis configuration file set) in order to store users in the Redis configuration.";

static void acl_save_command(client *c)
{
    const char *path = c->srv->cfg.aclfile;
    char err[512];
    if (!path || !path[0]) {
        reply_error(c, acl_no_file);
        return;
    }
    if (acl_save_file(path, err, sizeof(err)) != 0) {
        log_warning("%s", err);
        reply_error(c, "ERR There was an error trying to save the ACLs. Please check the server "
                       "logs for more information");
        return;
    }
    reply_ok(c);
}

static void acl_load_command(client *c)
{
    const char *path = c->srv->cfg.aclfile;
    char err[16384]; /* every bad line of the file is reported */
    if (!path || !path[0]) {
        reply_error(c, acl_no_file);
        return;
    }
    acl_defer_current_close(1);
    int rc = acl_load_file(c->srv, path, err, sizeof(err));
    int close_me = acl_current_close_pending();
    acl_defer_current_close(0);
    if (rc != 0) {
        reply_errorf(c, "ERR %s", err);
        return;
    }
    reply_ok(c);
    if (close_me) /* its user is gone or disabled now */
        c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

static void acl_help_command(client *c)
{
    static const char *help[] = {
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the "
        "command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        NULL};
    reply_help(c, help);
}

#define ACL_ADMIN (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)
#define ACL_PLAIN (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static command acl_subcommands[] = {
    {"cat", acl_cat_command, -2, ACL_PLAIN, 0, 0, 0, "server",
     "List the ACL categories or the commands inside a category", "6.0.0"},
    {"deluser", acl_deluser_command, -3, ACL_ADMIN, 0, 0, 0, "server",
     "Remove the specified ACL users and the associated rules", "6.0.0"},
    {"dryrun", acl_dryrun_command, -4, ACL_ADMIN, 0, 0, 0, "server",
     "Returns whether the user can execute the given command without executing the command.",
     "7.0.0"},
    {"genpass", acl_genpass_command, -2, ACL_PLAIN, 0, 0, 0, "server",
     "Generate a pseudorandom secure password to use for ACL users", "6.0.0"},
    {"getuser", acl_getuser_command, 3, ACL_ADMIN, 0, 0, 0, "server",
     "Get the rules for a specific ACL user", "6.0.0"},
    {"help", acl_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Show helpful text about the different subcommands", "6.0.0"},
    {"list", acl_list_command, 2, ACL_ADMIN, 0, 0, 0, "server",
     "List the current ACL rules in ACL config file format", "6.0.0"},
    {"load", acl_load_command, 2, ACL_ADMIN, 0, 0, 0, "server",
     "Reload the ACLs from the configured ACL file", "6.0.0"},
    {"log", acl_log_command, -2, ACL_ADMIN, 0, 0, 0, "server",
     "List latest events denied because of ACLs in place", "6.0.0"},
    {"save", acl_save_command, 2, ACL_ADMIN, 0, 0, 0, "server",
     "Save the current ACL rules in the configured ACL file", "6.0.0"},
    {"setuser", acl_setuser_command, -3, ACL_ADMIN, 0, 0, 0, "server",
     "Modify or create the rules for a specific ACL user", "6.0.0"},
    {"users", acl_users_command, 2, ACL_ADMIN, 0, 0, 0, "server",
     "List the username of all the ACL rules", "6.0.0"},
    {"whoami", acl_whoami_command, 2, ACL_PLAIN, 0, 0, 0, "server",
     "Return the name of the user associated to the current connection", "6.0.0"},
    {0},
};

command acl_commands[] = {
    {"acl", NULL, -2, 0, 0, 0, 0, "server", "A container for Access List Control commands ",
     "6.0.0", acl_subcommands},
    {0},
};
