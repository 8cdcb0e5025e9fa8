/* commands.c: SENTINEL and its subcommands, with Redis Sentinel 7.0's
 * replies, field order and error texts: what the sentinel knows (MASTERS,
 * MASTER, REPLICAS, SENTINELS, INFO-CACHE, GET-MASTER-ADDR-BY-NAME, MYID,
 * CKQUORUM), the vote other sentinels ask for (IS-MASTER-DOWN-BY-ADDR), and
 * what changes it (MONITOR, REMOVE, SET, CONFIG, RESET, FAILOVER,
 * FLUSHCONFIG, SIMULATE-FAILURE, DEBUG).  The table in command_table.c
 * routes "SENTINEL <subcommand>" here once the arity is checked. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "util.h"

/* An argument as a C string: arguments point into the query buffer and
 * are not NUL-terminated. */
static char *arg_dup(const resp_arg *a)
{
    char *s = malloc(a->len + 1);
    if (!s)
        abort();
    memcpy(s, a->ptr, a->len);
    s[a->len] = '\0';
    return s;
}

/* The master a command names, NULL if there is none by that name. */
static instance *master_by_arg(const resp_arg *name)
{
    char *s = arg_dup(name);
    instance *m = master_lookup(s);
    free(s);
    return m;
}

/* ... or reply the error Redis gives for an unknown name. */
static instance *master_or_reply(sclient *c, const resp_arg *name)
{
    instance *m = master_by_arg(name);
    if (!m)
        reply_error(c, "ERR No such master with that name");
    return m;
}

static buf field_str(buf b, int *n, const char *key, const char *val)
{
    b = resp_add_bulk_cstr(b, key);
    b = resp_add_bulk_cstr(b, val);
    (*n)++;
    return b;
}

static buf field_ll(buf b, int *n, const char *key, long long val)
{
    b = resp_add_bulk_cstr(b, key);
    b = resp_add_bulk_ll(b, val);
    (*n)++;
    return b;
}

/* One instance as SENTINEL MASTER, REPLICAS and SENTINELS show it: Redis
 * 7.0's fields, in its order, the conditional ones under its conditions.
 * A master's address is the one clients should use (master_client_addr). */
static buf instance_describe(buf b, instance *ri)
{
    int64_t now = util_mstime();
    int n = 0;
    const char *ip = ri->ip;
    int port = ri->port;
    if (ri->flags & SRI_MASTER)
        master_client_addr(ri, &ip, &port);
    buf flags = instance_flags_string(ri);
    buf body = buf_empty();
    body = field_str(body, &n, "name", ri->name);
    body = field_str(body, &n, "ip", ip);
    body = field_ll(body, &n, "port", port);
    body = field_str(body, &n, "runid", ri->runid ? ri->runid : "");
    body = field_str(body, &n, "flags", flags);
    long long pending = (ri->cc ? slink_pending(ri->cc) : 0) + (ri->pc ? slink_pending(ri->pc) : 0);
    body = field_ll(body, &n, "link-pending-commands", pending);
    body = field_ll(body, &n, "link-refcount", 1);
    if (ri->flags & SRI_FAILOVER_IN_PROGRESS)
        body = field_str(body, &n, "failover-state", failover_state_name(ri->failover_state));
    body = field_ll(body, &n, "last-ping-sent", ri->act_ping_time ? now - ri->act_ping_time : 0);
    body = field_ll(body, &n, "last-ok-ping-reply", now - ri->last_avail_time);
    body = field_ll(body, &n, "last-ping-reply", now - ri->last_pong_time);
    /* The down times follow the flags as shown (a master whose promotion is
     * confirmed is no longer shown down). */
    if (list_has(flags, ',', "s_down"))
        body = field_ll(body, &n, "s-down-time", now - ri->s_down_since_time);
    if (list_has(flags, ',', "o_down"))
        body = field_ll(body, &n, "o-down-time", now - ri->o_down_since_time);
    body = field_ll(body, &n, "down-after-milliseconds", ri->down_after_period);
    if (ri->flags & (SRI_MASTER | SRI_REPLICA)) {
        body = field_ll(body, &n, "info-refresh", ri->info_refresh ? now - ri->info_refresh : 0);
        body = field_str(body, &n, "role-reported",
                         ri->role_reported == SRI_MASTER ? "master" : "slave");
        body = field_ll(body, &n, "role-reported-time", now - ri->role_reported_time);
    }
    if (ri->flags & SRI_MASTER) {
        body = field_ll(body, &n, "config-epoch", (long long)ri->config_epoch);
        body = field_ll(body, &n, "num-slaves", ri->nreplicas);
        body = field_ll(body, &n, "num-other-sentinels", ri->nsentinels);
        body = field_ll(body, &n, "quorum", ri->quorum);
        body = field_ll(body, &n, "failover-timeout", ri->failover_timeout);
        body = field_ll(body, &n, "parallel-syncs", ri->parallel_syncs);
        if (ri->notification_script)
            body = field_str(body, &n, "notification-script", ri->notification_script);
        if (ri->client_reconfig_script)
            body = field_str(body, &n, "client-reconfig-script", ri->client_reconfig_script);
    }
    if (ri->flags & SRI_REPLICA) {
        body = field_ll(body, &n, "master-link-down-time", ri->master_link_down_time);
        body =
            field_str(body, &n, "master-link-status", ri->slave_master_link_status ? "ok" : "err");
        body =
            field_str(body, &n, "master-host", ri->slave_master_host ? ri->slave_master_host : "?");
        body = field_ll(body, &n, "master-port", ri->slave_master_port);
        body = field_ll(body, &n, "slave-priority", ri->slave_priority);
        body = field_ll(body, &n, "slave-repl-offset", (long long)ri->slave_repl_offset);
        body = field_ll(body, &n, "replica-announced", ri->replica_announced);
    }
    if (ri->flags & SRI_SENTINEL) {
        body = field_ll(body, &n, "last-hello-message", now - ri->last_hello_time);
        body = field_str(body, &n, "voted-leader", ri->leader ? ri->leader : "?");
        body = field_ll(body, &n, "voted-leader-epoch", (long long)ri->leader_epoch);
    }
    b = resp_add_array_len(b, 2LL * n);
    b = buf_cat_buf(b, body);
    buf_free(body);
    buf_free(flags);
    return b;
}

static void reply_instances(sclient *c, instance **v, int n)
{
    buf out = resp_add_array_len(buf_empty(), n);
    for (int i = 0; i < n; i++)
        out = instance_describe(out, v[i]);
    reply_buf(c, out);
}

void sentinel_masters_command(sclient *c)
{
    reply_instances(c, sentinel.masters, sentinel.nmasters);
}

void sentinel_master_command(sclient *c)
{
    instance *m = master_or_reply(c, &c->argv[2]);
    if (!m)
        return;
    reply_buf(c, instance_describe(buf_empty(), m));
}

void sentinel_replicas_command(sclient *c)
{
    instance *m = master_or_reply(c, &c->argv[2]);
    if (m)
        reply_instances(c, m->replicas, m->nreplicas);
}

void sentinel_sentinels_command(sclient *c)
{
    instance *m = master_or_reply(c, &c->argv[2]);
    if (m)
        reply_instances(c, m->sentinels, m->nsentinels);
}

void sentinel_myid_command(sclient *c)
{
    reply_bulk_cstr(c, sentinel.myid);
}

/* The address clients should connect to as the primary: what redis-py,
 * ioredis and Jedis ask for first. */
void sentinel_get_master_addr_by_name_command(sclient *c)
{
    instance *m = master_by_arg(&c->argv[2]);
    if (!m) {
        reply_nil_array(c);
        return;
    }
    const char *ip;
    int port;
    master_client_addr(m, &ip, &port);
    reply_array_len(c, 2);
    reply_bulk_cstr(c, ip);
    reply_bulk_ll(c, port);
}

/* SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>: how
 * another sentinel learns whether we see the master down, and (runid other
 * than "*") asks for our vote.  A sentinel in TILT never says down. */
void sentinel_is_master_down_by_addr_command(sclient *c)
{
    long long port, req_epoch;
    if (!arg_to_ll(&c->argv[3], &port) || !arg_to_ll(&c->argv[4], &req_epoch)) {
        reply_error_not_int(c);
        return;
    }
    char *ip = arg_dup(&c->argv[2]);
    instance *m = (port >= 0 && port <= 65535) ? master_lookup_by_addr(ip, (int)port) : NULL;
    free(ip);
    int down = !sentinel.tilt && m && (m->flags & SRI_MASTER) && (m->flags & SRI_S_DOWN);
    const char *leader = NULL;
    uint64_t leader_epoch = 0;
    if (m && (m->flags & SRI_MASTER) && !arg_is(&c->argv[5], "*")) {
        char *runid = arg_dup(&c->argv[5]);
        leader = election_vote(m, (uint64_t)req_epoch, runid, &leader_epoch);
        free(runid);
    }
    reply_array_len(c, 3);
    reply_int(c, down);
    reply_bulk_cstr(c, leader ? leader : "*");
    reply_int(c, (long long)leader_epoch);
}

void sentinel_reset_command(sclient *c)
{
    long long count = 0;
    for (int i = 0; i < sentinel.nmasters; i++) {
        instance *m = sentinel.masters[i];
        if (!util_glob_match(c->argv[2].ptr, c->argv[2].len, m->name, strlen(m->name), 0))
            continue;
        master_reset(m);
        count++;
    }
    if (count)
        config_flush();
    reply_int(c, count);
}

void sentinel_failover_command(sclient *c)
{
    instance *m = master_or_reply(c, &c->argv[2]);
    if (!m)
        return;
    char err[256];
    if (failover_start_manual(m, err, sizeof(err)) != 0) {
        reply_error(c, err);
        return;
    }
    log_warning("Executing user requested FAILOVER of '%s'", m->name);
    reply_ok(c);
}

void sentinel_pending_scripts_command(sclient *c)
{
    reply_array_len(c, 0); /* keel-sentinel runs no scripts */
}

/* Whether host is acceptable for SENTINEL MONITOR: an IP address, or any
 * resolvable name when resolve-hostnames is on. */
static int monitor_host_valid(const char *host)
{
    unsigned char tmp[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1)
        return 1;
    if (!sentinel.resolve_hostnames)
        return 0;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return 0;
    freeaddrinfo(res);
    return 1;
}

void sentinel_monitor_command(sclient *c)
{
    long long quorum, port;
    if (!arg_to_ll(&c->argv[5], &quorum)) {
        reply_error(c, "ERR Invalid quorum");
        return;
    }
    if (!arg_to_ll(&c->argv[4], &port)) {
        reply_error(c, "ERR Invalid port");
        return;
    }
    if (quorum <= 0) {
        reply_error(c, "ERR Quorum must be 1 or greater.");
        return;
    }
    char *name = arg_dup(&c->argv[2]), *host = arg_dup(&c->argv[3]);
    char err[256];
    instance *m = NULL;
    if (!monitor_host_valid(host)) {
        reply_error(c, "ERR Invalid IP address or hostname specified");
    } else if (port < 0 || port > 65535) {
        reply_error(c, "ERR Invalid port number.");
    } else if (master_lookup(name)) {
        reply_error(c, "ERR Duplicate master name.");
    } else if (quorum > 0x7fffffff) {
        reply_error(c, "ERR Invalid quorum");
    } else if (!(m = master_create(name, host, (int)port, (int)quorum, err, sizeof(err)))) {
        reply_errorf(c, "ERR %s", err);
    } else {
        config_flush();
        sentinel_event(LOG_WARNING, "+monitor", m, "%@ quorum %d", m->quorum);
        reply_ok(c);
    }
    free(name);
    free(host);
}

void sentinel_flushconfig_command(sclient *c)
{
    config_flush();
    reply_ok(c);
}

void sentinel_remove_command(sclient *c)
{
    instance *m = master_or_reply(c, &c->argv[2]);
    if (!m)
        return;
    sentinel_event(LOG_WARNING, "-monitor", m, "%@");
    master_remove(m);
    config_flush();
    reply_ok(c);
}

/* SENTINEL CKQUORUM: can we reach the quorum, and the majority that
 * authorizes a failover, with the sentinels that are up (and us)? */
void sentinel_ckquorum_command(sclient *c)
{
    instance *m = master_or_reply(c, &c->argv[2]);
    if (!m)
        return;
    int voters = m->nsentinels + 1, usable = 1;
    for (int i = 0; i < m->nsentinels; i++)
        if (!(m->sentinels[i]->flags & (SRI_S_DOWN | SRI_O_DOWN)))
            usable++;
    int noquorum = usable < m->quorum, noauth = usable < voters / 2 + 1;
    if (!noquorum && !noauth) {
        char ok[128];
        snprintf(ok, sizeof(ok),
                 "OK %d usable Sentinels. Quorum and failover authorization can be reached",
                 usable);
        reply_simple(c, ok);
        return;
    }
    buf e = buf_cat_printf(buf_empty(), "NOQUORUM %d usable Sentinels. ", usable);
    if (noquorum)
        e = buf_cat_cstr(e, "Not enough available Sentinels to reach the specified quorum for "
                            "this master");
    if (noauth) {
        if (noquorum)
            e = buf_cat_cstr(e, ". ");
        e = buf_cat_cstr(e, "Not enough available Sentinels to reach the majority and authorize "
                            "a failover");
    }
    reply_error(c, e);
    buf_free(e);
}

/* Redis's yesnotoi. */
static int yes_no(const resp_arg *a)
{
    if (arg_is(a, "yes"))
        return 1;
    if (arg_is(a, "no"))
        return 0;
    return -1;
}

static void set_string(char **dst, const resp_arg *a)
{
    free(*dst);
    *dst = a->len ? arg_dup(a) : NULL;
}

/* The credentials for other sentinels changed: reconnect to them. */
static void sentinel_drop_sentinel_links(void)
{
    for (int i = 0; i < sentinel.nmasters; i++) {
        instance *m = sentinel.masters[i];
        for (int j = 0; j < m->nsentinels; j++)
            monitor_reset_links(m->sentinels[j]);
    }
}

static void sentinel_config_set(sclient *c)
{
    const resp_arg *opt = &c->argv[3], *val = &c->argv[4];
    int drop_links = 0;
    if (arg_is(opt, "resolve-hostnames") || arg_is(opt, "announce-hostnames")) {
        int v = yes_no(val);
        if (v < 0)
            goto badfmt;
        if (arg_is(opt, "resolve-hostnames"))
            sentinel.resolve_hostnames = v;
        else
            sentinel.announce_hostnames = v;
    } else if (arg_is(opt, "announce-ip")) {
        set_string(&sentinel.announce_ip, val);
    } else if (arg_is(opt, "announce-port")) {
        long long port;
        if (!arg_to_ll(val, &port) || port < 0 || port > 65535)
            goto badfmt;
        sentinel.announce_port = (int)port;
    } else if (arg_is(opt, "sentinel-user")) {
        set_string(&sentinel.sentinel_user, val);
        drop_links = 1;
    } else if (arg_is(opt, "sentinel-pass")) {
        set_string(&sentinel.sentinel_pass, val);
        drop_links = 1;
    } else {
        reply_errorf(c, "ERR Invalid argument '%.*s' to SENTINEL CONFIG SET", (int)opt->len,
                     opt->ptr);
        return;
    }
    config_flush();
    reply_ok(c);
    if (drop_links)
        sentinel_drop_sentinel_links();
    return;
badfmt:
    reply_errorf(c, "ERR Invalid value '%.*s' to SENTINEL CONFIG SET '%.*s'", (int)val->len,
                 val->ptr, (int)opt->len, opt->ptr);
}

static void sentinel_config_get(sclient *c)
{
    const resp_arg *pat = &c->argv[3];
    char port[16];
    snprintf(port, sizeof(port), "%d", sentinel.announce_port);
    const char *params[][2] = {
        {"resolve-hostnames", sentinel.resolve_hostnames ? "yes" : "no"},
        {"announce-hostnames", sentinel.announce_hostnames ? "yes" : "no"},
        {"announce-ip", sentinel.announce_ip ? sentinel.announce_ip : ""},
        {"announce-port", port},
        {"sentinel-user", sentinel.sentinel_user ? sentinel.sentinel_user : ""},
        {"sentinel-pass", sentinel.sentinel_pass ? sentinel.sentinel_pass : ""},
    };
    int n = 0;
    buf out = buf_empty();
    for (int i = 0; i < COUNT_OF(params); i++) {
        if (!util_glob_match(pat->ptr, pat->len, params[i][0], strlen(params[i][0]), 1))
            continue;
        out = resp_add_bulk_cstr(out, params[i][0]);
        out = resp_add_bulk_cstr(out, params[i][1]);
        n++;
    }
    reply_array_len(c, 2LL * n);
    reply_buf(c, out);
}

void sentinel_config_command(sclient *c)
{
    if (arg_is(&c->argv[2], "set") && c->argc == 5)
        sentinel_config_set(c);
    else if (arg_is(&c->argv[2], "get") && c->argc == 4)
        sentinel_config_get(c);
    else
        reply_error(c, "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are "
                       "supported.");
}

/* Reconnect to a master and its replicas (their credentials changed). */
static void master_reset_data_links(instance *m)
{
    monitor_reset_links(m);
    for (int i = 0; i < m->nreplicas; i++)
        monitor_reset_links(m->replicas[i]);
}

/* SENTINEL SET <master> <option> <value> [<option> <value> ...]: options
 * apply one by one, each with its +set event; a bad one stops there (the
 * ones before it stay applied and are saved, as in Redis). */
void sentinel_set_command(sclient *c)
{
    instance *m = master_or_reply(c, &c->argv[2]);
    if (!m)
        return;
    int changes = 0, badarg = 0, j;
    const resp_arg *opt = NULL;
    for (j = 3; j < c->argc; j++) {
        int more = c->argc - 1 - j, old_j = j, redacted = 0;
        long long ll;
        opt = &c->argv[j];
        if (arg_is(opt, "down-after-milliseconds") && more > 0) {
            j++;
            if (!arg_to_ll(&c->argv[j], &ll) || ll <= 0) {
                badarg = j;
                goto badfmt;
            }
            master_set_down_after(m, ll);
        } else if (arg_is(opt, "failover-timeout") && more > 0) {
            j++;
            if (!arg_to_ll(&c->argv[j], &ll) || ll <= 0) {
                badarg = j;
                goto badfmt;
            }
            m->failover_timeout = ll;
        } else if (arg_is(opt, "parallel-syncs") && more > 0) {
            j++;
            if (!arg_to_ll(&c->argv[j], &ll) || ll <= 0 || ll > 0x7fffffff) {
                badarg = j;
                goto badfmt;
            }
            m->parallel_syncs = (int)ll;
        } else if ((arg_is(opt, "notification-script") || arg_is(opt, "client-reconfig-script")) &&
                   more > 0) {
            int notify = arg_is(opt, "notification-script");
            j++;
            if (sentinel.deny_scripts_reconfig) {
                reply_error(c, "ERR Reconfiguration of scripts path is denied for security "
                               "reasons. Check the deny-scripts-reconfig configuration directive "
                               "in your Sentinel configuration");
                goto seterr;
            }
            char *path = arg_dup(&c->argv[j]);
            int bad = path[0] && access(path, X_OK) == -1;
            free(path);
            if (bad) {
                reply_error(c, notify ? "ERR Notification script seems non existing or non "
                                        "executable"
                                      : "ERR Client reconfiguration script seems non existing "
                                        "or non executable");
                goto seterr;
            }
            /* Kept and rewritten to the config; keel-sentinel runs no scripts. */
            set_string(notify ? &m->notification_script : &m->client_reconfig_script, &c->argv[j]);
        } else if (arg_is(opt, "auth-pass") && more > 0) {
            j++;
            set_string(&m->auth_pass, &c->argv[j]);
            master_reset_data_links(m);
            redacted = 1;
        } else if (arg_is(opt, "auth-user") && more > 0) {
            j++;
            set_string(&m->auth_user, &c->argv[j]);
            master_reset_data_links(m);
        } else if (arg_is(opt, "quorum") && more > 0) {
            j++;
            if (!arg_to_ll(&c->argv[j], &ll) || ll <= 0 || ll > 0x7fffffff) {
                badarg = j;
                goto badfmt;
            }
            m->quorum = (int)ll;
        } else if (arg_is(opt, "rename-command") && more > 1) {
            j += 2;
            if (c->argv[j - 1].len == 0 || c->argv[j].len == 0) {
                badarg = c->argv[j].len ? j - 1 : j;
                goto badfmt;
            }
            /* Accepted for compatibility: keel-server has no renamed
             * commands to reach, so the mapping is not used. */
        } else if (arg_is(opt, "master-reboot-down-after-period") && more > 0) {
            j++;
            if (!arg_to_ll(&c->argv[j], &ll) || ll < 0) {
                badarg = j;
                goto badfmt;
            }
            m->master_reboot_down_after_period = ll;
        } else {
            reply_errorf(c, "ERR Unknown option or number of arguments for SENTINEL SET '%.*s'",
                         (int)opt->len, opt->ptr);
            goto seterr;
        }
        changes++;
        const resp_arg *a = &c->argv[old_j];
        if (j - old_j + 1 == 3)
            sentinel_event(LOG_WARNING, "+set", m, "%@ %.*s %.*s %.*s", (int)a[0].len, a[0].ptr,
                           (int)a[1].len, a[1].ptr, (int)a[2].len, a[2].ptr);
        else
            sentinel_event(LOG_WARNING, "+set", m, "%@ %.*s %.*s", (int)a[0].len, a[0].ptr,
                           redacted ? 6 : (int)a[1].len, redacted ? "******" : a[1].ptr);
    }
    if (changes)
        config_flush();
    reply_ok(c);
    return;
badfmt:
    reply_errorf(c, "ERR Invalid argument '%.*s' for SENTINEL SET '%.*s'", (int)c->argv[badarg].len,
                 c->argv[badarg].ptr, (int)opt->len, opt->ptr);
seterr:
    if (changes)
        config_flush();
}

/* SENTINEL INFO-CACHE <master> [<master> ...]: the last INFO of each named
 * master and of its replicas, with its age in milliseconds. */
void sentinel_info_cache_command(sclient *c)
{
    int64_t now = util_mstime();
    instance **ms = calloc((size_t)c->argc, sizeof(instance *));
    if (!ms)
        abort();
    int n = 0;
    for (int i = 2; i < c->argc; i++) {
        instance *m = master_by_arg(&c->argv[i]);
        int dup = 0;
        for (int k = 0; k < n && m; k++)
            dup |= ms[k] == m;
        if (m && !dup)
            ms[n++] = m;
    }
    reply_array_len(c, 2LL * n);
    for (int i = 0; i < n; i++) {
        instance *m = ms[i];
        reply_bulk_cstr(c, m->name);
        reply_array_len(c, m->nreplicas + 1);
        for (int k = -1; k < m->nreplicas; k++) {
            instance *ri = k < 0 ? m : m->replicas[k];
            reply_array_len(c, 2);
            reply_int(c, ri->info_refresh ? now - ri->info_refresh : 0);
            if (ri->info && buf_len(ri->info))
                reply_bulk(c, ri->info, buf_len(ri->info));
            else
                reply_nil(c);
        }
    }
    free(ms);
}

void sentinel_simulate_failure_command(sclient *c)
{
    sentinel.simfailure_flags = 0;
    for (int j = 2; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "crash-after-election")) {
            sentinel.simfailure_flags |= SENTINEL_SIMFAILURE_CRASH_AFTER_ELECTION;
            log_warning("Failure simulation: this Sentinel will crash after being successfully "
                        "elected as failover leader");
        } else if (arg_is(&c->argv[j], "crash-after-promotion")) {
            sentinel.simfailure_flags |= SENTINEL_SIMFAILURE_CRASH_AFTER_PROMOTION;
            log_warning("Failure simulation: this Sentinel will crash after promoting the "
                        "selected replica to master");
        } else if (arg_is(&c->argv[j], "help")) {
            reply_array_len(c, 2);
            reply_bulk_cstr(c, "crash-after-election");
            reply_bulk_cstr(c, "crash-after-promotion");
            return;
        } else {
            reply_error(c, "ERR Unknown failure simulation specified");
            return;
        }
    }
    reply_ok(c);
}

/* SENTINEL DEBUG: Redis's tunable periods, with keel-sentinel's values.
 * They are fixed when keel-sentinel is built, so setting one is checked as
 * Redis checks it and then has no effect. */
static const struct {
    const char *name;
    long long value;
} sentinel_debug_params[] = {
    {"INFO-PERIOD", SENTINEL_INFO_PERIOD},
    {"PING-PERIOD", SENTINEL_PING_PERIOD_MAX},
    {"ASK-PERIOD", SENTINEL_ASK_PERIOD},
    {"PUBLISH-PERIOD", SENTINEL_HELLO_PERIOD},
    {"DEFAULT-DOWN-AFTER", SENTINEL_DEFAULT_DOWN_AFTER},
    {"DEFAULT-FAILOVER-TIMEOUT", SENTINEL_DEFAULT_FAILOVER_TIMEOUT},
    {"TILT-TRIGGER", SENTINEL_TILT_TRIGGER},
    {"TILT-PERIOD", SENTINEL_TILT_PERIOD},
    {"SLAVE-RECONF-TIMEOUT", 10000},
    {"MIN-LINK-RECONNECT-PERIOD", SENTINEL_MIN_LINK_RECONNECT_PERIOD},
    {"ELECTION-TIMEOUT", 10000},
    {"SCRIPT-MAX-RUNTIME", 60000},
    {"SCRIPT-RETRY-DELAY", 30000},
};

void sentinel_debug_command(sclient *c)
{
    if (c->argc == 2) {
        reply_array_len(c, 2LL * COUNT_OF(sentinel_debug_params));
        for (int i = 0; i < COUNT_OF(sentinel_debug_params); i++) {
            reply_bulk_cstr(c, sentinel_debug_params[i].name);
            reply_bulk_ll(c, sentinel_debug_params[i].value);
        }
        return;
    }
    for (int j = 2; j < c->argc; j++) {
        const resp_arg *opt = &c->argv[j];
        int known = 0;
        for (int i = 0; i < COUNT_OF(sentinel_debug_params); i++)
            known |= arg_is(opt, sentinel_debug_params[i].name);
        if (!known || c->argc - 1 - j < 1) {
            reply_errorf(c, "ERR Unknown option or number of arguments for SENTINEL DEBUG '%.*s'",
                         (int)opt->len, opt->ptr);
            return;
        }
        long long ll;
        j++;
        if (!arg_to_ll(&c->argv[j], &ll) || ll <= 0) {
            reply_errorf(c, "ERR Invalid argument '%.*s' for SENTINEL DEBUG '%.*s'",
                         (int)c->argv[j].len, c->argv[j].ptr, (int)opt->len, opt->ptr);
            return;
        }
    }
    reply_ok(c);
}

void sentinel_help_command(sclient *c)
{
    static const char help[] =
        "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\n"
        "CKQUORUM <master-name>\n"
        "    Check if the current Sentinel configuration is able to reach the quorum\n"
        "    needed to failover a master and the majority needed to authorize the\n"
        "    failover.\n"
        "CONFIG SET <param> <value>\n    Set a global Sentinel configuration parameter.\n"
        "CONFIG GET <param>\n    Get global Sentinel configuration parameter.\n"
        "DEBUG [<param> <value> ...]\n"
        "    Show a list of configurable time parameters and their values (milliseconds).\n"
        "    Or update current configurable parameters values (one or more).\n"
        "GET-MASTER-ADDR-BY-NAME <master-name>\n"
        "    Return the ip and port number of the master with that name.\n"
        "FAILOVER <master-name>\n"
        "    Manually failover a master node without asking for agreement from other\n"
        "    Sentinels\n"
        "FLUSHCONFIG\n"
        "    Force Sentinel to rewrite its configuration on disk, including the current\n"
        "    Sentinel state.\n"
        "INFO-CACHE <master-name>\n"
        "    Return last cached INFO output from masters and all its replicas.\n"
        "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>\n"
        "    Check if the master specified by ip:port is down from current Sentinel's\n"
        "    point of view.\n"
        "MASTER <master-name>\n    Show the state and info of the specified master.\n"
        "MASTERS\n    Show a list of monitored masters and their state.\n"
        "MONITOR <name> <ip> <port> <quorum>\n"
        "    Start monitoring a new master with the specified name, ip, port and quorum.\n"
        "MYID\n    Return the ID of the Sentinel instance.\n"
        "PENDING-SCRIPTS\n    Get pending scripts information.\n"
        "REMOVE <master-name>\n    Remove master from Sentinel's monitor list.\n"
        "REPLICAS <master-name>\n"
        "    Show a list of replicas for this master and their state.\n"
        "RESET <pattern>\n    Reset masters for specific master name matching this pattern.\n"
        "SENTINELS <master-name>\n"
        "    Show a list of Sentinel instances for this master and their state.\n"
        "SET <master-name> <option> <value> [<option> <value> ...]\n"
        "    Set configuration parameters for certain masters.\n"
        "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]\n"
        "    Simulate a Sentinel crash.\n"
        "HELP\n    Prints this help.\n";
    reply_help(c, help);
}
