/* client_cmds: the connection commands: PING, ECHO, SELECT, QUIT, RESET,
 * AUTH, HELLO and CLIENT (ID, GETNAME, SETNAME, LIST, INFO, KILL, REPLY). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "acl.h"
#include "pause.h"
#include "replication.h"

static void ping_command(client *c)
{
    if (c->argc > 2) {
        reply_error_arity(c);
        return;
    }
    if (c->resp == 2 && pubsub_client_subscriptions(c) > 0) {
        /* Subscribed: the reply has the shape of a message. */
        reply_array_len(c, 2);
        reply_bulk(c, "pong", 4);
        if (c->argc == 1)
            reply_bulk(c, "", 0);
        else
            reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
    } else if (c->argc == 1) {
        reply_simple(c, "PONG");
    } else {
        reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
    }
}

static void echo_command(client *c)
{
    reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
}

static void select_command(client *c)
{
    long long id;
    if (!util_str2ll(c->argv[1].ptr, c->argv[1].len, &id)) {
        reply_error(c, "ERR value is not an integer or out of range");
        return;
    }
    if (id < INT_MIN || id > INT_MAX) {
        reply_error(c, "ERR value is out of range, value must between -2147483648 and 2147483647");
        return;
    }
    if (db_select(c, id) != 0) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    reply_ok(c);
}

static void quit_command(client *c)
{
    reply_ok(c);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

static void reset_command(client *c)
{
    multi_free_client(c);
    pubsub_free_client(c);
    c->db = &c->srv->db[0];
    c->resp = 2;
    c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_MULTI);
    buf_free(c->name);
    c->name = NULL;
    c->flags &= ~CLIENT_AUTHENTICATED;
    buf_free(c->user);
    c->user = buf_from_cstr("default");
    if (acl_default_autoauth())
        c->flags |= CLIENT_AUTHENTICATED;
    reply_simple(c, "RESET");
}

/* ------------------------------------------------------------------- AUTH */

/* AUTH <password> needs a default user with a password. */
static int password_required(const server *s)
{
    (void)s;
    const acl_user *u = acl_default_user();
    return !u || !(u->flags & ACL_USER_NOPASS);
}

/* AUTH and HELLO AUTH go through the ACL: a user name (default: "default")
 * and a password checked against its SHA-256 hashes.  Returns 1 if
 * authenticated. */
static int client_try_auth(client *c, const resp_arg *user, const resp_arg *pass)
{
    if (!user)
        return acl_authenticate(c, "default", 7, pass->ptr, pass->len);
    return acl_authenticate(c, user->ptr, user->len, pass->ptr, pass->len);
}

static void reply_wrongpass(client *c)
{
    reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
}

static void auth_command(client *c)
{
    if (c->argc > 3) {
        reply_error_syntax(c);
        return;
    }
    if (c->argc == 2 && !password_required(c->srv)) {
        reply_error(c, "ERR AUTH <password> called without any password configured for the "
                       "default user. Are you sure your configuration is correct?");
        return;
    }
    const resp_arg *user = c->argc == 3 ? &c->argv[1] : NULL;
    const resp_arg *pass = &c->argv[c->argc - 1];
    if (client_try_auth(c, user, pass))
        reply_ok(c);
    else
        reply_wrongpass(c);
}

/* ------------------------------------------------------------------ HELLO */

static int client_name_valid(const resp_arg *name)
{
    for (size_t i = 0; i < name->len; i++)
        if (name->ptr[i] < '!' || name->ptr[i] > '~')
            return 0;
    return 1;
}

static void client_set_name(client *c, const resp_arg *name)
{
    buf_free(c->name);
    c->name = name->len ? buf_new(name->ptr, name->len) : NULL;
}

static void hello_command(client *c)
{
    long long ver = 0;
    int next = 1;
    if (c->argc >= 2) {
        if (!util_str2ll(c->argv[1].ptr, c->argv[1].len, &ver)) {
            reply_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        next = 2;
        if (ver < 2 || ver > 3) {
            reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    const resp_arg *user = NULL, *pass = NULL, *name = NULL;
    for (int j = next; j < c->argc; j++) {
        int more = c->argc - j - 1;
        if (arg_is(&c->argv[j], "auth") && more >= 2) {
            user = &c->argv[j + 1];
            pass = &c->argv[j + 2];
            j += 2;
        } else if (arg_is(&c->argv[j], "setname") && more >= 1) {
            name = &c->argv[j + 1];
            if (!client_name_valid(name)) {
                reply_error(
                    c, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
            j++;
        } else {
            reply_errorf(c, "ERR Syntax error in HELLO option '%.*s'", (int)c->argv[j].len,
                         c->argv[j].ptr);
            return;
        }
    }
    if (user && !client_try_auth(c, user, pass)) {
        reply_wrongpass(c);
        return;
    }
    if (!(c->flags & CLIENT_AUTHENTICATED)) {
        reply_error(
            c, "NOAUTH HELLO must be called with the client already authenticated, "
               "otherwise the HELLO AUTH <user> <pass> option can be used to "
               "authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    /* RESP3 replies are not produced yet: refuse 3 honestly rather than
     * answer in the wrong protocol. */
    if (ver == 3) {
        reply_error(c, "NOPROTO unsupported protocol version");
        return;
    }
    if (name)
        client_set_name(c, name);
    if (ver)
        c->resp = (int)ver;
    reply_map_len(c, 7);
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, KEEL_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_int(c, c->resp);
    reply_bulk_cstr(c, "id");
    reply_int(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, "standalone");
    reply_bulk_cstr(c, "role");
    reply_bulk_cstr(c, "master");
    reply_bulk_cstr(c, "modules");
    reply_array_len(c, 0);
}

/* ----------------------------------------------------------------- CLIENT */

static void client_id_command(client *c)
{
    reply_int(c, (long long)c->id);
}

static void client_getname_command(client *c)
{
    if (c->name)
        reply_bulk(c, c->name, buf_len(c->name));
    else
        reply_nil(c);
}

static void client_setname_command(client *c)
{
    if (!client_name_valid(&c->argv[2])) {
        reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    client_set_name(c, &c->argv[2]);
    reply_ok(c);
}

/* One line of CLIENT LIST / CLIENT INFO, with Redis's fields in Redis's
 * order, so tools that parse it keep working. */
buf client_info_line(buf out, client *c)
{
    server *s = c->srv;
    char flags[8];
    int f = 0;
    if (c->flags & CLIENT_REPLICA)
        flags[f++] = 'S';
    if (c->flags & CLIENT_MASTER)
        flags[f++] = 'M';
    if (c->flags & CLIENT_MULTI)
        flags[f++] = 'x';
    if (c->flags & CLIENT_BLOCKED)
        flags[f++] = 'b';
    if (c->flags & CLIENT_DIRTY_CAS)
        flags[f++] = 'd';
    if (pubsub_client_subscriptions(c) > 0)
        flags[f++] = 'P';
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY)
        flags[f++] = 'c';
    if (c->flags & CLIENT_CLOSE_ASAP)
        flags[f++] = 'A';
    if (f == 0)
        flags[f++] = 'N';
    flags[f] = '\0';
    const char *events = c->conn && conn_has_write_handler(c->conn) ? "rw" : "r";
    size_t qbuf = buf_len(c->querybuf) - c->qb_pos;
    size_t pending = buf_len(c->reply) - c->reply_pos;
    /* Redis splits pending output into a 16 KB buffer (obl) and a list of
     * blocks (oll, omem); monitoring reads omem, so report it that way. */
    size_t obl = pending < 16384 ? pending : 16384;
    size_t omem = pending - obl;
    size_t oll = (omem + 16383) / 16384;
    size_t totmem = sizeof(client) + buf_alloc_size(c->querybuf) + buf_alloc_size(c->reply);
    const char *cmd = c->last_cmd ? c->last_cmd->fullname : "NULL";
    out = buf_cat_printf(
        out,
        "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d "
        "sub=%lld psub=%lld ssub=%lld multi=%d qbuf=%zu qbuf-free=%zu argv-mem=%zu "
        "multi-mem=0 rbs=%zu rbp=%zu obl=%zu oll=%zu omem=%zu tot-mem=%zu "
        "events=%s cmd=%s user=%s redir=-1 resp=%d\n",
        (unsigned long long)c->id, c->peer, c->sock, c->conn ? conn_fd(c->conn) : -1,
        c->name ? c->name : "", (long long)((s->mstime - c->ctime_ms) / 1000),
        (long long)((s->mstime - c->last_interaction_ms) / 1000), flags, c->db->id,
        pubsub_client_count(c, 'c'), pubsub_client_count(c, 'p'), pubsub_client_count(c, 's'),
        multi_queued_count(c), qbuf, buf_avail(c->querybuf), (size_t)0, buf_alloc_size(c->reply),
        c->querybuf_peak, obl, oll, omem, totmem, events, cmd, c->user ? c->user : "default",
        c->resp);
    return out;
}

/* Client classes, as CLIENT LIST/KILL TYPE and the output limits see them. */
enum { CTYPE_NORMAL, CTYPE_REPLICA, CTYPE_PUBSUB, CTYPE_MASTER };

static int client_type(const client *c)
{
    if (c->flags & CLIENT_REPLICA)
        return CTYPE_REPLICA;
    if (c->flags & CLIENT_MASTER)
        return CTYPE_MASTER;
    return pubsub_client_subscriptions(c) > 0 ? CTYPE_PUBSUB : CTYPE_NORMAL;
}

static int client_type_from_arg(const resp_arg *a)
{
    if (arg_is(a, "normal"))
        return CTYPE_NORMAL;
    if (arg_is(a, "replica") || arg_is(a, "slave"))
        return CTYPE_REPLICA;
    if (arg_is(a, "pubsub"))
        return CTYPE_PUBSUB;
    if (arg_is(a, "master"))
        return CTYPE_MASTER;
    return -1;
}

static void client_list_command(client *c)
{
    server *s = c->srv;
    int want_type = -1; /* any */
    long long *ids = NULL;
    int nids = 0;
    if (c->argc == 4 && arg_is(&c->argv[2], "type")) {
        want_type = client_type_from_arg(&c->argv[3]);
        if (want_type < 0) {
            reply_errorf(c, "ERR Unknown client type '%.*s'", (int)c->argv[3].len, c->argv[3].ptr);
            return;
        }
    } else if (c->argc >= 4 && arg_is(&c->argv[2], "id")) {
        ids = malloc(sizeof(long long) * (size_t)(c->argc - 3));
        for (int j = 3; j < c->argc; j++) {
            long long id;
            if (!util_str2ll(c->argv[j].ptr, c->argv[j].len, &id) || id <= 0) {
                free(ids);
                reply_error(c, "ERR Invalid client ID");
                return;
            }
            ids[nids++] = id;
        }
    } else if (c->argc != 2) {
        reply_error_syntax(c);
        return;
    }
    buf out = buf_empty();
    /* Oldest first (ascending id), as Redis lists them: new clients go to
     * the head of the list, so walk it from the tail. */
    client *tail = s->clients;
    while (tail && tail->next)
        tail = tail->next;
    for (client *o = tail; o; o = o->prev) {
        if (want_type >= 0 && client_type(o) != want_type)
            continue;
        if (ids) {
            int found = 0;
            for (int j = 0; j < nids; j++)
                found |= (uint64_t)ids[j] == o->id;
            if (!found)
                continue;
        }
        out = client_info_line(out, o);
    }
    free(ids);
    reply_verbatim(c, out, buf_len(out));
    buf_free(out);
}

static void client_info_command(client *c)
{
    buf out = client_info_line(buf_empty(), c);
    reply_verbatim(c, out, buf_len(out));
    buf_free(out);
}

/* Kill another client (safely, from before-sleep, in case it is in the
 * middle of something).  Returns 1 if the victim is the caller itself, which
 * is closed only after its reply is queued. */
static int client_kill_one(client *c, client *victim)
{
    if (victim == c)
        return 1;
    client_free_async(victim);
    return 0;
}

static void client_kill_command(client *c)
{
    server *s = c->srv;
    if (c->argc == 3) {
        /* CLIENT KILL addr:port, the old form: OK or an error. */
        for (client *o = s->clients; o; o = o->next) {
            if (strlen(o->peer) == c->argv[2].len &&
                memcmp(o->peer, c->argv[2].ptr, c->argv[2].len) == 0) {
                int self = client_kill_one(c, o);
                reply_ok(c);
                if (self)
                    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
                return;
            }
        }
        reply_error(c, "ERR No such client");
        return;
    }
    if (c->argc % 2 != 0) {
        reply_error_syntax(c);
        return;
    }
    long long id = 0;
    const resp_arg *addr = NULL, *laddr = NULL, *user = NULL;
    int skipme = 1, type_filter = -1;
    for (int j = 2; j < c->argc; j += 2) {
        const resp_arg *opt = &c->argv[j], *val = &c->argv[j + 1];
        if (arg_is(opt, "id")) {
            if (!util_str2ll(val->ptr, val->len, &id) || id <= 0) {
                reply_error(c, "ERR client-id should be greater than 0");
                return;
            }
        } else if (arg_is(opt, "type")) {
            type_filter = client_type_from_arg(val);
            if (type_filter < 0) {
                reply_errorf(c, "ERR Unknown client type '%.*s'", (int)val->len, val->ptr);
                return;
            }
        } else if (arg_is(opt, "addr")) {
            addr = val;
        } else if (arg_is(opt, "laddr")) {
            laddr = val;
        } else if (arg_is(opt, "user")) {
            user = val;
        } else if (arg_is(opt, "skipme")) {
            if (arg_is(val, "yes"))
                skipme = 1;
            else if (arg_is(val, "no"))
                skipme = 0;
            else {
                reply_error_syntax(c);
                return;
            }
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (user && !(user->len == 7 && memcmp(user->ptr, "default", 7) == 0)) {
        reply_errorf(c, "ERR No such user '%.*s'", (int)user->len, user->ptr);
        return;
    }
    long long killed = 0;
    int self = 0;
    for (client *o = s->clients; o; o = o->next) {
        if (id && o->id != (uint64_t)id)
            continue;
        if (type_filter >= 0 && client_type(o) != type_filter)
            continue;
        if (addr && !(strlen(o->peer) == addr->len && memcmp(o->peer, addr->ptr, addr->len) == 0))
            continue;
        if (laddr &&
            !(strlen(o->sock) == laddr->len && memcmp(o->sock, laddr->ptr, laddr->len) == 0))
            continue;
        if (user && !(o->user && buf_eq(o->user, user->ptr, user->len)))
            continue;
        if (o == c && skipme)
            continue;
        self |= client_kill_one(c, o);
        killed++;
    }
    reply_int(c, killed);
    if (self)
        c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

static void client_reply_command(client *c)
{
    if (arg_is(&c->argv[2], "on")) {
        c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP);
        reply_ok(c);
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags |= CLIENT_REPLY_OFF;
    } else if (arg_is(&c->argv[2], "skip")) {
        if (!(c->flags & CLIENT_REPLY_OFF))
            c->flags |= CLIENT_REPLY_SKIP_NEXT;
    } else {
        reply_error_syntax(c);
    }
}

/* CLIENT UNBLOCK id [TIMEOUT|ERROR]: end another client's blocking wait,
 * as if it had timed out (the default) or with an error.  As in Redis 7.0
 * the reason is checked before the id, and a fifth argument gets the
 * "unknown subcommand or wrong number of arguments" error. */
static void client_unblock_command(client *c)
{
    if (c->argc > 4) {
        int n = c->argv[1].len < 128 ? (int)c->argv[1].len : 128;
        reply_errorf(c,
                     "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try CLIENT "
                     "HELP.",
                     n, c->argv[1].ptr);
        return;
    }
    int as_error = 0;
    if (c->argc == 4) {
        if (arg_is(&c->argv[3], "error"))
            as_error = 1;
        else if (!arg_is(&c->argv[3], "timeout")) {
            reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    long long id;
    if (!util_str2ll(c->argv[2].ptr, c->argv[2].len, &id)) {
        reply_error_not_int(c);
        return;
    }
    for (client *o = c->srv->clients; o; o = o->next) {
        if (o->id != (uint64_t)id || !(o->flags & CLIENT_BLOCKED))
            continue;
        /* Waits on keys (bstate) and WAIT (replication's) end here; a
         * client held by CLIENT PAUSE or the stall fence is not unblocked
         * and the answer is 0 (redis-server 7.0.15 crashes on it). */
        if (o->bstate) {
            if (as_error)
                reply_error(o, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
            else
                blocking_reply_timeout_of(o);
            blocking_unblock(o, as_error ? UNBLOCK_ERROR : UNBLOCK_TIMEOUT);
        } else if (!replication_unblock_wait(o, as_error)) {
            break;
        }
        reply_int(c, 1);
        return;
    }
    reply_int(c, 0);
}

static void client_help_command(client *c)
{
    static const char *help[] = {"GETNAME",
                                 "    Return the name of the current connection.",
                                 "ID",
                                 "    Return the ID of the current connection.",
                                 "INFO",
                                 "    Return information about the current client connection.",
                                 "KILL <ip:port>",
                                 "    Kill connection made from <ip:port>.",
                                 "KILL <option> <value> [<option> <value> [...]]",
                                 "    Kill connections. Options are:",
                                 "    * ADDR (<ip:port>|<unixsocket>:0)",
                                 "      Kill connections made from the specified address",
                                 "    * LADDR (<ip:port>|<unixsocket>:0)",
                                 "      Kill connections made to specified local address",
                                 "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                                 "      Kill connections by type.",
                                 "    * USER <username>",
                                 "      Kill connections authenticated by <username>.",
                                 "    * SKIPME (YES|NO)",
                                 "      Skip killing current connection (default: yes).",
                                 "    * ID <client-id>",
                                 "      Kill connections by client id.",
                                 "LIST [options ...]",
                                 "    Return information about client connections. Options:",
                                 "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                                 "      Return clients of specified type.",
                                 "UNPAUSE",
                                 "    Stop the current client pause, resuming traffic.",
                                 "PAUSE <timeout> [WRITE|ALL]",
                                 "    Suspend all, or just write, clients for <timeout> "
                                 "milliseconds.",
                                 "REPLY (ON|OFF|SKIP)",
                                 "    Control the replies sent to the current connection.",
                                 "SETNAME <name>",
                                 "    Assign the name <name> to the current connection.",
                                 "UNBLOCK <clientid> [TIMEOUT|ERROR]",
                                 "    Unblock the specified blocked client.",
                                 NULL};
    reply_help(c, help);
}

#define CONN_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static command client_subcommands[] = {
    {"getname", client_getname_command, 2, CONN_FLAGS, 0, 0, 0, "connection",
     "Returns the name of the connection.", "2.6.9"},
    {"help", client_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "connection",
     "Returns helpful text about the different subcommands.", "5.0.0"},
    {"id", client_id_command, 2, CONN_FLAGS, 0, 0, 0, "connection",
     "Returns the unique client ID of the connection.", "5.0.0"},
    {"info", client_info_command, 2, CONN_FLAGS, 0, 0, 0, "connection",
     "Returns information about the connection.", "6.2.0"},
    {"kill", client_kill_command, -3, CMD_ADMIN | CONN_FLAGS, 0, 0, 0, "connection",
     "Terminates open connections.", "2.4.0"},
    {"list", client_list_command, -2, CMD_ADMIN | CONN_FLAGS, 0, 0, 0, "connection",
     "Lists open connections.", "2.4.0"},
    {"pause", client_pause_command, -3, CMD_ADMIN | CONN_FLAGS, 0, 0, 0, "connection",
     "Stop processing commands from clients for some time.", "2.9.50"},
    {"unpause", client_unpause_command, 2, CMD_ADMIN | CONN_FLAGS, 0, 0, 0, "connection",
     "Resume processing of clients that were paused.", "6.2.0"},
    {"reply", client_reply_command, 3, CONN_FLAGS, 0, 0, 0, "connection",
     "Instructs the server whether to reply to commands.", "3.2.0"},
    {"unblock", client_unblock_command, -3, CMD_ADMIN | CONN_FLAGS, 0, 0, 0, "connection",
     "Unblock a client blocked in a blocking command from a different connection.", "5.0.0"},
    {"setname", client_setname_command, 3, CONN_FLAGS, 0, 0, 0, "connection",
     "Sets the connection name.", "2.6.9"},
    {0},
};

command client_commands[] = {
    {"ping", ping_command, -1, CMD_FAST, 0, 0, 0, "connection",
     "Returns the server's liveliness response.", "1.0.0"},
    {"echo", echo_command, 2, CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "connection",
     "Returns the given string.", "1.0.0"},
    {"select", select_command, 2, CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "connection",
     "Changes the selected database.", "1.0.0"},
    {"quit", quit_command, -1,
     CMD_ALLOW_BUSY | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH |
         CMD_ALLOW_BUSY,
     0, 0, 0, "connection", "Closes the connection.", "1.0.0"},
    {"reset", reset_command, 1,
     CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY, 0, 0, 0,
     "connection", "Resets the connection.", "6.2.0"},
    {"auth", auth_command, -2,
     CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY, 0, 0, 0,
     "connection", "Authenticates the connection.", "1.0.0"},
    {"hello", hello_command, -1,
     CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY, 0, 0, 0,
     "connection", "Handshakes with the Redis server.", "6.0.0"},
    {"client", NULL, -2, CMD_SENTINEL, 0, 0, 0, "connection",
     "A container for client connection commands.", "2.4.0", client_subcommands},
    {0},
};
