/* client_cmds.c: the commands about the connection itself: AUTH and HELLO
 * (the one user, "default", whose password is requirepass), CLIENT ... (ID,
 * NAME, LIST, INFO, KILL, REPLY, PAUSE, TRACKING and the rest, with Redis
 * 7.0's replies), and ACL ..., which answers for that one user.  client.c
 * owns the connections these commands look at and change; the table in
 * command_table.c routes requests here. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "util.h"

/* ------------------------------------------------------------ auth */

/* Compare in time that does not depend on where the strings differ. */
static int password_matches(const resp_arg *pass)
{
    const char *want = sentinel.requirepass;
    size_t wl = strlen(want);
    unsigned char diff = (unsigned char)(wl != pass->len);
    for (size_t i = 0; i < pass->len; i++)
        diff |= (unsigned char)(pass->ptr[i] ^ want[i % (wl ? wl : 1)]);
    return diff == 0;
}

/* The only user is "default": without requirepass it has no password (any
 * password is accepted, as Redis's nopass), with it that password. */
static int client_check_credentials(const resp_arg *user, const resp_arg *pass)
{
    if (user && !arg_eq_exact(user, "default"))
        return 0;
    if (!requirepass_set())
        return 1;
    return password_matches(pass);
}

static void reply_wrongpass(sclient *c)
{
    reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
}

void auth_command(sclient *c)
{
    if (c->argc > 3) {
        reply_error_syntax(c);
        return;
    }
    const resp_arg *user = c->argc == 3 ? &c->argv[1] : NULL;
    const resp_arg *pass = &c->argv[c->argc - 1];
    if (!user && !requirepass_set()) {
        reply_error(c, "ERR AUTH <password> called without any password configured for the "
                       "default user. Are you sure your configuration is correct?");
        return;
    }
    if (!client_check_credentials(user, pass)) {
        log_verbose("Failed AUTH from client id=%llu addr=%s", (unsigned long long)c->id, c->peer);
        reply_wrongpass(c);
        return;
    }
    c->flags |= SC_AUTHENTICATED;
    reply_ok(c);
}

static int client_name_valid(const resp_arg *name)
{
    for (size_t i = 0; i < name->len; i++)
        if (name->ptr[i] < '!' || name->ptr[i] > '~')
            return 0;
    return 1;
}

static void client_set_name(sclient *c, const resp_arg *name)
{
    buf_free(c->name);
    c->name = name->len ? buf_new(name->ptr, name->len) : NULL;
}

void hello_command(sclient *c)
{
    long long ver = 0;
    int next = 1;
    if (c->argc >= 2) {
        if (!arg_to_ll(&c->argv[1], &ver)) {
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
            j++;
        } else {
            int l = c->argv[j].len > 128 ? 128 : (int)c->argv[j].len;
            reply_errorf(c, "ERR Syntax error in HELLO option '%.*s'", l, c->argv[j].ptr);
            return;
        }
    }
    if (user) {
        if (!client_check_credentials(user, pass)) {
            reply_wrongpass(c);
            return;
        }
        c->flags |= SC_AUTHENTICATED;
    }
    if (!(c->flags & SC_AUTHENTICATED)) {
        reply_error(c, "NOAUTH HELLO must be called with the client already authenticated, "
                       "otherwise the HELLO AUTH <user> <pass> option can be used to "
                       "authenticate the client and select the RESP protocol version at the "
                       "same time");
        return;
    }
    if (name && !client_name_valid(name)) {
        reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    /* keel-sentinel, like keel-server, answers in RESP2 only: refuse 3
     * rather than answer in the wrong protocol. */
    if (ver == 3) {
        reply_error(c, "NOPROTO unsupported protocol version");
        return;
    }
    if (name)
        client_set_name(c, name);
    reply_array_len(c, 12);
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, SENTINEL_REDIS_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_int(c, c->resp);
    reply_bulk_cstr(c, "id");
    reply_int(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, "sentinel");
    reply_bulk_cstr(c, "modules");
    reply_array_len(c, 0);
}

/* ------------------------------------------------------------ CLIENT */

void client_id_command(sclient *c)
{
    reply_int(c, (long long)c->id);
}

void client_getname_command(sclient *c)
{
    if (c->name)
        reply_bulk(c, c->name, buf_len(c->name));
    else
        reply_nil(c);
}

void client_setname_command(sclient *c)
{
    if (!client_name_valid(&c->argv[2])) {
        reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    client_set_name(c, &c->argv[2]);
    reply_ok(c);
}

/* One line of CLIENT LIST / CLIENT INFO, Redis 7.0's fields in its order. */
static buf client_info_line(buf out, const sclient *c)
{
    char flags[8];
    int f = 0;
    if (client_subscriptions(c))
        flags[f++] = 'P';
    if (c->flags & SC_CLOSE_AFTER_REPLY)
        flags[f++] = 'c';
    if (c->flags & SC_CLOSE_ASAP)
        flags[f++] = 'A';
    if (c->flags & SC_TRACKING)
        flags[f++] = 't';
    if (c->flags & SC_NO_EVICT)
        flags[f++] = 'e';
    if (f == 0)
        flags[f++] = 'N';
    flags[f] = '\0';
    int64_t now = util_mstime();
    const char *events = conn_has_write_handler(c->conn) ? "rw" : "r";
    size_t qbuf = buf_len(c->querybuf) - c->qb_pos;
    size_t pending = buf_len(c->reply) - c->reply_pos;
    /* Redis splits pending output into a 16 KB buffer (obl) and a list of
     * blocks (oll, omem); monitoring reads omem, so report it that way. */
    size_t obl = pending < 16384 ? pending : 16384;
    size_t omem = pending - obl;
    size_t oll = (omem + 16383) / 16384;
    size_t argv_mem = 0;
    for (int i = 0; i < c->argc; i++)
        argv_mem += c->argv[i].len;
    size_t totmem = sizeof(*c) + buf_alloc_size(c->querybuf) + buf_alloc_size(c->reply);
    return buf_cat_printf(
        out,
        "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=0 sub=%d psub=%d "
        "ssub=0 multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=%zu multi-mem=0 rbs=%zu rbp=%zu obl=%zu "
        "oll=%zu omem=%zu tot-mem=%zu events=%s cmd=%s user=default redir=%lld resp=%d\n",
        (unsigned long long)c->id, c->peer, c->sock, conn_fd(c->conn), c->name ? c->name : "",
        (long long)((now - c->ctime) / 1000), (long long)((now - c->last_interaction) / 1000),
        flags, c->nchannels, c->npatterns, qbuf, buf_avail(c->querybuf), argv_mem,
        buf_alloc_size(c->reply), c->reply_peak, obl, oll, omem, totmem, events,
        c->cmd_name ? c->cmd_name : "NULL",
        (c->flags & SC_TRACKING) ? (long long)c->tracking_redirect : -1LL, c->resp);
}

/* Client classes, as CLIENT LIST/KILL TYPE see them (a sentinel has no
 * replicas or primary among its clients). */
enum { CTYPE_NORMAL, CTYPE_REPLICA, CTYPE_PUBSUB, CTYPE_MASTER };

static int client_type(const sclient *c)
{
    return client_subscriptions(c) > 0 ? CTYPE_PUBSUB : CTYPE_NORMAL;
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

void client_list_command(sclient *c)
{
    int want_type = -1;
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
        if (!ids)
            abort();
        for (int j = 3; j < c->argc; j++) {
            long long id;
            if (!arg_to_ll(&c->argv[j], &id) || id <= 0) {
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
    for (sclient *o = client_oldest(); o; o = o->prev) {
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
    reply_bulk(c, out, buf_len(out));
    buf_free(out);
}

void client_info_command(sclient *c)
{
    buf out = client_info_line(buf_empty(), c);
    reply_bulk(c, out, buf_len(out));
    buf_free(out);
}

/* Kill a client: itself after this reply, another one before the loop
 * sleeps (it may be in the middle of nothing, but is never freed under a
 * caller). */
static void client_kill_one(sclient *c, sclient *victim)
{
    if (victim == c)
        c->flags |= SC_CLOSE_AFTER_REPLY;
    else
        victim->flags |= SC_CLOSE_ASAP;
}

void client_kill_command(sclient *c)
{
    if (c->argc == 3) {
        /* CLIENT KILL addr:port, the old form: OK or an error. */
        for (sclient *o = client_newest(); o; o = o->next) {
            if (arg_eq_exact(&c->argv[2], o->peer)) {
                reply_ok(c);
                client_kill_one(c, o);
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
            if (!arg_to_ll(val, &id) || id <= 0) {
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
            if (arg_is(val, "yes")) {
                skipme = 1;
            } else if (arg_is(val, "no")) {
                skipme = 0;
            } else {
                reply_error_syntax(c);
                return;
            }
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (user && !arg_eq_exact(user, "default")) {
        reply_errorf(c, "ERR No such user '%.*s'", (int)user->len, user->ptr);
        return;
    }
    long long killed = 0;
    int self = 0;
    for (sclient *o = client_newest(); o; o = o->next) {
        if (id && o->id != (uint64_t)id)
            continue;
        if (type_filter >= 0 && client_type(o) != type_filter)
            continue;
        if (addr && !arg_eq_exact(addr, o->peer))
            continue;
        if (laddr && !arg_eq_exact(laddr, o->sock))
            continue;
        if (o == c && skipme)
            continue;
        if (o == c)
            self = 1;
        else
            client_kill_one(c, o);
        killed++;
    }
    reply_int(c, killed);
    if (self)
        client_kill_one(c, c);
}

void client_reply_command(sclient *c)
{
    if (arg_is(&c->argv[2], "on")) {
        c->flags &= ~(SC_REPLY_OFF | SC_REPLY_SKIP | SC_REPLY_SKIP_NEXT);
        reply_ok(c);
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags |= SC_REPLY_OFF;
    } else if (arg_is(&c->argv[2], "skip")) {
        if (!(c->flags & SC_REPLY_OFF))
            c->flags |= SC_REPLY_SKIP_NEXT;
    } else {
        reply_error_syntax(c);
    }
}

void client_no_evict_command(sclient *c)
{
    if (arg_is(&c->argv[2], "on")) {
        c->flags |= SC_NO_EVICT;
        reply_ok(c);
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags &= ~SC_NO_EVICT;
        reply_ok(c);
    } else {
        reply_error_syntax(c);
    }
}

/* CLIENT PAUSE timeout [WRITE|ALL].  No sentinel command writes data, so a
 * WRITE pause holds nothing back; ALL stops every client's commands. */
void client_pause_command(sclient *c)
{
    long long ms;
    if (c->argc > 4) {
        reply_error_subcommand_syntax(c);
        return;
    }
    if (!arg_to_ll(&c->argv[2], &ms)) {
        reply_error(c, "ERR timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        reply_error(c, "ERR timeout is negative");
        return;
    }
    int all = 1;
    if (c->argc == 4) {
        if (arg_is(&c->argv[3], "write")) {
            all = 0;
        } else if (!arg_is(&c->argv[3], "all")) {
            reply_error(c, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    if (all)
        client_pause(ms);
    reply_ok(c);
}

void client_unpause_command(sclient *c)
{
    client_unpause();
    reply_ok(c);
}

/* CLIENT TRACKING: Sentinel holds no keys, so there is never anything to
 * invalidate; the options are checked and kept as Redis keeps them. */
void client_tracking_command(sclient *c)
{
    long long redir = 0;
    int opts = 0, nprefix = 0;
    for (int j = 3; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        const resp_arg *a = &c->argv[j];
        if (arg_is(a, "redirect") && more) {
            j++;
            if (redir != 0) {
                reply_error(c, "ERR A client can only redirect to a single other client");
                return;
            }
            if (!arg_to_ll(&c->argv[j], &redir)) {
                reply_error_not_int(c);
                return;
            }
            sclient *o = client_newest();
            while (o && o->id != (uint64_t)redir)
                o = o->next;
            if (!o) {
                reply_error(c, "ERR The client ID you want redirect to does not exist");
                return;
            }
        } else if (arg_is(a, "bcast")) {
            opts |= SC_TRACKING_BCAST;
        } else if (arg_is(a, "optin")) {
            opts |= SC_TRACKING_OPTIN;
        } else if (arg_is(a, "optout")) {
            opts |= SC_TRACKING_OPTOUT;
        } else if (arg_is(a, "noloop")) {
            opts |= SC_TRACKING_NOLOOP;
        } else if (arg_is(a, "prefix") && more) {
            j++;
            nprefix++;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (arg_is(&c->argv[2], "on")) {
        if (!(opts & SC_TRACKING_BCAST) && nprefix) {
            reply_error(c, "ERR PREFIX option requires BCAST mode to be enabled");
            return;
        }
        if ((c->flags & SC_TRACKING) &&
            !!(c->flags & SC_TRACKING_BCAST) != !!(opts & SC_TRACKING_BCAST)) {
            reply_error(c, "ERR You can't switch BCAST mode on/off before disabling tracking "
                           "for this client, and then re-enabling it with a different mode.");
            return;
        }
        if ((opts & SC_TRACKING_BCAST) && (opts & (SC_TRACKING_OPTIN | SC_TRACKING_OPTOUT))) {
            reply_error(c, "ERR OPTIN and OPTOUT are not compatible with BCAST");
            return;
        }
        if ((opts & SC_TRACKING_OPTIN) && (opts & SC_TRACKING_OPTOUT)) {
            reply_error(c, "ERR You can't use both OPTIN and OPTOUT");
            return;
        }
        if (((opts & SC_TRACKING_OPTIN) && (c->flags & SC_TRACKING_OPTOUT)) ||
            ((opts & SC_TRACKING_OPTOUT) && (c->flags & SC_TRACKING_OPTIN))) {
            reply_error(c, "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking "
                           "for this client, and then re-enabling it with a different mode.");
            return;
        }
        c->flags |= SC_TRACKING | opts;
        c->tracking_redirect = redir;
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags &= ~(SC_TRACKING | SC_TRACKING_BCAST | SC_TRACKING_OPTIN | SC_TRACKING_OPTOUT |
                      SC_TRACKING_NOLOOP);
        c->tracking_redirect = -1;
    } else {
        reply_error_syntax(c);
        return;
    }
    reply_ok(c);
}

void client_caching_command(sclient *c)
{
    if (!(c->flags & SC_TRACKING)) {
        reply_error(c, "ERR CLIENT CACHING can be called only when the client is in tracking "
                       "mode with OPTIN or OPTOUT mode enabled");
        return;
    }
    if (arg_is(&c->argv[2], "yes")) {
        if (!(c->flags & SC_TRACKING_OPTIN)) {
            reply_error(c, "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN "
                           "mode.");
            return;
        }
    } else if (arg_is(&c->argv[2], "no")) {
        if (!(c->flags & SC_TRACKING_OPTOUT)) {
            reply_error(c, "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT "
                           "mode.");
            return;
        }
    } else {
        reply_error_syntax(c);
        return;
    }
    reply_ok(c);
}

void client_getredir_command(sclient *c)
{
    reply_int(c, (c->flags & SC_TRACKING) ? c->tracking_redirect : -1);
}

void client_trackinginfo_command(sclient *c)
{
    static const struct {
        int flag;
        const char *name;
    } opts[] = {{SC_TRACKING_BCAST, "bcast"},
                {SC_TRACKING_OPTIN, "optin"},
                {SC_TRACKING_OPTOUT, "optout"},
                {SC_TRACKING_NOLOOP, "noloop"}};
    reply_array_len(c, 6);
    reply_bulk_cstr(c, "flags");
    if (!(c->flags & SC_TRACKING)) {
        reply_array_len(c, 1);
        reply_bulk_cstr(c, "off");
    } else {
        int n = 1;
        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
            n += !!(c->flags & opts[i].flag);
        reply_array_len(c, n);
        reply_bulk_cstr(c, "on");
        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
            if (c->flags & opts[i].flag)
                reply_bulk_cstr(c, opts[i].name);
    }
    reply_bulk_cstr(c, "redirect");
    reply_int(c, (c->flags & SC_TRACKING) ? c->tracking_redirect : -1);
    reply_bulk_cstr(c, "prefixes");
    reply_array_len(c, 0);
}

/* Nothing blocks in a sentinel: there is never a client to unblock. */
void client_unblock_command(sclient *c)
{
    long long id;
    if (!arg_to_ll(&c->argv[2], &id)) {
        reply_error_not_int(c);
        return;
    }
    if (c->argc == 4) {
        if (!arg_is(&c->argv[3], "timeout") && !arg_is(&c->argv[3], "error")) {
            reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    } else if (c->argc > 4) {
        reply_error_subcommand_syntax(c);
        return;
    }
    reply_int(c, 0);
}

void client_help_command(sclient *c)
{
    static const char help[] =
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\n"
        "CACHING (YES|NO)\n"
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.\n"
        "GETREDIR\n    Return the client ID we are redirecting to when tracking is enabled.\n"
        "GETNAME\n    Return the name of the current connection.\n"
        "ID\n    Return the ID of the current connection.\n"
        "INFO\n    Return information about the current client connection.\n"
        "KILL <ip:port>\n    Kill connection made from <ip:port>.\n"
        "KILL <option> <value> [<option> <value> [...]]\n    Kill connections. Options are:\n"
        "    * ADDR (<ip:port>|<unixsocket>:0)\n"
        "      Kill connections made from the specified address\n"
        "    * LADDR (<ip:port>|<unixsocket>:0)\n"
        "      Kill connections made to specified local address\n"
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)\n      Kill connections by type.\n"
        "    * USER <username>\n      Kill connections authenticated by <username>.\n"
        "    * SKIPME (YES|NO)\n      Skip killing current connection (default: yes).\n"
        "LIST [options ...]\n    Return information about client connections. Options:\n"
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)\n      Return clients of specified type.\n"
        "UNPAUSE\n    Stop the current client pause, resuming traffic.\n"
        "PAUSE <timeout> [WRITE|ALL]\n"
        "    Suspend all, or just write, clients for <timeout> milliseconds.\n"
        "REPLY (ON|OFF|SKIP)\n    Control the replies sent to the current connection.\n"
        "SETNAME <name>\n    Assign the name <name> to the current connection.\n"
        "UNBLOCK <clientid> [TIMEOUT|ERROR]\n    Unblock the specified blocked client.\n"
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]\n"
        "         [OPTIN] [OPTOUT] [NOLOOP]\n"
        "    Control server assisted client side caching.\n"
        "TRACKINGINFO\n    Report tracking status for the current connection.\n"
        "NO-EVICT (ON|OFF)\n    Protect current client connection from eviction.\n"
        "HELP\n    Prints this help.\n";
    reply_help(c, help);
}

/* ------------------------------------------------------------ ACL */

/* The one user, "default", as ACL LIST and GETUSER show it: no password,
 * or the SHA-256 of requirepass. */
static void requirepass_sha256(char hex[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    const char *p = sentinel.requirepass;
    if (!EVP_Digest(p, strlen(p), md, &mdlen, EVP_sha256(), NULL))
        memset(md, 0, sizeof(md));
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

void acl_whoami_command(sclient *c)
{
    reply_bulk_cstr(c, "default");
}

void acl_users_command(sclient *c)
{
    reply_array_len(c, 1);
    reply_bulk_cstr(c, "default");
}

void acl_list_command(sclient *c)
{
    char line[128], hex[65];
    if (requirepass_set()) {
        requirepass_sha256(hex);
        snprintf(line, sizeof(line), "user default on #%s ~* &* +@all", hex);
    } else {
        snprintf(line, sizeof(line), "user default on nopass ~* &* +@all");
    }
    reply_array_len(c, 1);
    reply_bulk_cstr(c, line);
}

void acl_getuser_command(sclient *c)
{
    if (!arg_eq_exact(&c->argv[2], "default")) {
        reply_nil(c);
        return;
    }
    reply_array_len(c, 12);
    reply_bulk_cstr(c, "flags");
    if (requirepass_set()) {
        char hex[65];
        requirepass_sha256(hex);
        reply_array_len(c, 1);
        reply_bulk_cstr(c, "on");
        reply_bulk_cstr(c, "passwords");
        reply_array_len(c, 1);
        reply_bulk_cstr(c, hex);
    } else {
        reply_array_len(c, 2);
        reply_bulk_cstr(c, "on");
        reply_bulk_cstr(c, "nopass");
        reply_bulk_cstr(c, "passwords");
        reply_array_len(c, 0);
    }
    reply_bulk_cstr(c, "commands");
    reply_bulk_cstr(c, "+@all");
    reply_bulk_cstr(c, "keys");
    reply_bulk_cstr(c, "~*");
    reply_bulk_cstr(c, "channels");
    reply_bulk_cstr(c, "&*");
    reply_bulk_cstr(c, "selectors");
    reply_array_len(c, 0);
}

void acl_cat_command(sclient *c)
{
    if (c->argc > 3) {
        reply_error_subcommand_syntax(c);
        return;
    }
    char cat[64];
    const char *which = NULL;
    if (c->argc == 3) {
        size_t n = c->argv[2].len < sizeof(cat) - 1 ? c->argv[2].len : sizeof(cat) - 1;
        memcpy(cat, c->argv[2].ptr, n);
        cat[n] = '\0';
        which = cat;
    }
    if (command_list_category(c, which) < 0)
        reply_errorf(c, "ERR Unknown category '%.*s'", (int)c->argv[2].len, c->argv[2].ptr);
}

void acl_genpass_command(sclient *c)
{
    long long bits = 256;
    if (c->argc > 3) {
        reply_error_subcommand_syntax(c);
        return;
    }
    if (c->argc == 3 && !arg_to_ll(&c->argv[2], &bits)) {
        reply_error_not_int(c);
        return;
    }
    if (bits <= 0 || bits > 4096) {
        reply_error(c, "ERR ACL GENPASS argument must be the number of bits for the output "
                       "password, a positive number up to 4096");
        return;
    }
    char hex[1025];
    size_t chars = (size_t)(bits + 3) / 4;
    util_random_hex(hex, chars);
    reply_bulk(c, hex, chars);
}

void acl_deluser_command(sclient *c)
{
    for (int j = 2; j < c->argc; j++) {
        if (arg_eq_exact(&c->argv[j], "default")) {
            reply_error(c, "ERR The 'default' user cannot be removed");
            return;
        }
    }
    reply_int(c, 0);
}

void acl_setuser_command(sclient *c)
{
    reply_error(c, "ERR keel-sentinel has only the default user; set its password with "
                   "requirepass in the configuration file");
}

static void reply_no_acl_file(sclient *c)
{
    reply_error(c, "ERR This Redis instance is not configured to use an ACL file. You may want to "
                   "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE "
                   "(assuming you have a Redis configuration file set) in order to store users in "
                   "the Redis configuration.");
}

void acl_load_command(sclient *c)
{
    reply_no_acl_file(c);
}

void acl_save_command(sclient *c)
{
    reply_no_acl_file(c);
}

/* ACL LOG: keel-sentinel keeps no log of denied requests (the only user
 * may run everything); failed AUTHs are in the server log. */
void acl_log_command(sclient *c)
{
    if (c->argc > 3) {
        reply_error_subcommand_syntax(c);
        return;
    }
    if (c->argc == 3) {
        long long n;
        if (arg_is(&c->argv[2], "reset")) {
            reply_ok(c);
            return;
        }
        if (!arg_to_ll(&c->argv[2], &n)) {
            reply_error_not_int(c);
            return;
        }
    }
    reply_array_len(c, 0);
}

void acl_dryrun_command(sclient *c)
{
    if (!arg_eq_exact(&c->argv[2], "default")) {
        reply_errorf(c, "ERR User '%.*s' not found", (int)c->argv[2].len, c->argv[2].ptr);
        return;
    }
    command_dryrun(c, c->argc - 3, c->argv + 3);
}

void acl_help_command(sclient *c)
{
    static const char help[] =
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\n"
        "CAT [<category>]\n"
        "    List all commands that belong to <category>, or all command categories\n"
        "    when no category is specified.\n"
        "DELUSER <username> [<username> ...]\n    Delete a list of users.\n"
        "DRYRUN <username> <command> [<arg> ...]\n"
        "    Returns whether the user can execute the given command without executing the "
        "command.\n"
        "GETUSER <username>\n    Get the user's details.\n"
        "GENPASS [<bits>]\n"
        "    Generate a secure 256-bit user password. The optional `bits` argument can\n"
        "    be used to specify a different size.\n"
        "LIST\n    Show users details in config file format.\n"
        "LOAD\n    Reload users from the ACL file.\n"
        "LOG [<count> | RESET]\n    Show the ACL log entries.\n"
        "SAVE\n    Save the current config to the ACL file.\n"
        "SETUSER <username> <attribute> [<attribute> ...]\n"
        "    Create or modify a user with the specified attributes.\n"
        "USERS\n    List all the registered usernames.\n"
        "WHOAMI\n    Return the current connection username.\n"
        "HELP\n    Prints this help.\n";
    reply_help(c, help);
}
