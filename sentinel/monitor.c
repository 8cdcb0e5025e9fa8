/* monitor: keel-sentinel's view of the instances it watches.
 *
 * Owns the instance objects (masters, their replicas, the other sentinels),
 * the links to them, and the periodic work: PING (liveness), INFO (roles,
 * replicas, offsets), hello messages (other sentinels, newer
 * configurations), SDOWN.  A 50 ms timer drives this and calls into
 * election.c (ODOWN, votes) and failover.c (the state machine).
 *
 * What INFO teaches is applied in monitor_refresh_from_info: new replicas,
 * a replica's master and offset, and role changes, which either confirm
 * our promotion, or reveal an instance that must be reconfigured (an old
 * primary that came back still thinking it is the primary). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "sentinel.h"
#include "util.h"

sentinel_state sentinel;

#define LINK_CONNECT_TIMEOUT 1.0 /* seconds */

static char *str_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void str_set(char **dst, const char *s)
{
    free(*dst);
    *dst = str_dup(s);
}

/* ------------------------------------------------------------ instances */

static instance *instance_new(int flags, const char *name, const char *ip, int port,
                              instance *master)
{
    instance *ri = calloc(1, sizeof(*ri));
    ri->flags = flags;
    ri->ip = strdup(ip);
    ri->port = port;
    ri->master = master;
    if (name) {
        ri->name = strdup(name);
    } else {
        char tmp[300];
        snprintf(tmp, sizeof(tmp), strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
        ri->name = strdup(tmp);
    }
    int64_t now = util_mstime();
    ri->down_after_period = master ? master->down_after_period : SENTINEL_DEFAULT_DOWN_AFTER;
    ri->last_avail_time = now;
    ri->last_pong_time = now;
    ri->act_ping_time = now; /* as Redis: a fresh instance counts as pinged now */
    ri->role_reported = flags & (SRI_MASTER | SRI_REPLICA);
    ri->role_reported_time = now;
    ri->slave_conf_change_time = now;
    ri->slave_priority = 100;
    ri->replica_announced = 1;
    ri->quorum = 2;
    ri->parallel_syncs = SENTINEL_DEFAULT_PARALLEL_SYNCS;
    ri->failover_timeout = SENTINEL_DEFAULT_FAILOVER_TIMEOUT;
    ri->info = buf_empty();
    return ri;
}

static void instance_close_links(instance *ri)
{
    if (ri->cc)
        slink_free(ri->cc);
    if (ri->pc)
        slink_free(ri->pc);
    ri->cc = ri->pc = NULL;
    ri->cc_conn_time = ri->pc_conn_time = 0;
}

static void instance_free(instance *ri)
{
    if (!ri)
        return;
    instance_close_links(ri);
    for (int i = 0; i < ri->nreplicas; i++)
        instance_free(ri->replicas[i]);
    for (int i = 0; i < ri->nsentinels; i++)
        instance_free(ri->sentinels[i]);
    free(ri->replicas);
    free(ri->sentinels);
    free(ri->name);
    free(ri->runid);
    free(ri->ip);
    free(ri->slave_master_host);
    free(ri->auth_pass);
    free(ri->auth_user);
    free(ri->notification_script);
    free(ri->client_reconfig_script);
    free(ri->leader);
    buf_free(ri->info);
    free(ri);
}

static int addr_eq(const instance *ri, const char *ip, int port)
{
    return ri->port == port && !strcasecmp(ri->ip, ip);
}

instance *master_lookup(const char *name)
{
    for (int i = 0; i < sentinel.nmasters; i++)
        if (!strcmp(sentinel.masters[i]->name, name))
            return sentinel.masters[i];
    return NULL;
}

instance *master_lookup_by_addr(const char *ip, int port)
{
    for (int i = 0; i < sentinel.nmasters; i++)
        if (addr_eq(sentinel.masters[i], ip, port))
            return sentinel.masters[i];
    return NULL;
}

instance *master_create(const char *name, const char *ip, int port, int quorum, char *err,
                        size_t errlen)
{
    if (port < 0 || port > 65535) {
        snprintf(err, errlen, "Invalid port number.");
        return NULL;
    }
    if (quorum <= 0) {
        snprintf(err, errlen, "Quorum must be 1 or greater.");
        return NULL;
    }
    if (master_lookup(name)) {
        snprintf(err, errlen, "Duplicate master name.");
        return NULL;
    }
    instance *m = instance_new(SRI_MASTER, name, ip, port, NULL);
    m->quorum = quorum;
    sentinel.masters = realloc(sentinel.masters, sizeof(instance *) * (sentinel.nmasters + 1));
    sentinel.masters[sentinel.nmasters++] = m;
    return m;
}

static instance *find_in(instance **v, int n, const char *ip, int port)
{
    for (int i = 0; i < n; i++)
        if (addr_eq(v[i], ip, port))
            return v[i];
    return NULL;
}

instance *replica_add(instance *m, const char *ip, int port)
{
    instance *ri = find_in(m->replicas, m->nreplicas, ip, port);
    if (ri)
        return ri;
    ri = instance_new(SRI_REPLICA, NULL, ip, port, m);
    m->replicas = realloc(m->replicas, sizeof(instance *) * (m->nreplicas + 1));
    m->replicas[m->nreplicas++] = ri;
    return ri;
}

instance *sentinel_add(instance *m, const char *ip, int port, const char *runid)
{
    instance *ri = find_in(m->sentinels, m->nsentinels, ip, port);
    if (!ri) {
        ri = instance_new(SRI_SENTINEL, NULL, ip, port, m);
        m->sentinels = realloc(m->sentinels, sizeof(instance *) * (m->nsentinels + 1));
        m->sentinels[m->nsentinels++] = ri;
    }
    if (runid) {
        /* Redis 7.0 names a sentinel by its run id. */
        str_set(&ri->runid, runid);
        str_set(&ri->name, runid);
    }
    return ri;
}

static void remove_at(instance **v, int *n, int i)
{
    memmove(v + i, v + i + 1, sizeof(instance *) * (size_t)(*n - i - 1));
    (*n)--;
}

void master_remove(instance *m)
{
    for (int i = 0; i < sentinel.nmasters; i++) {
        if (sentinel.masters[i] == m) {
            remove_at(sentinel.masters, &sentinel.nmasters, i);
            break;
        }
    }
    instance_free(m);
}

/* Forget the failover, the down state and (unless keep_sentinels) the other
 * sentinels; replicas are always forgotten; links are dropped. */
static void master_reset_state(instance *m, int keep_sentinels)
{
    for (int i = 0; i < m->nreplicas; i++)
        instance_free(m->replicas[i]);
    m->nreplicas = 0;
    if (!keep_sentinels) {
        for (int i = 0; i < m->nsentinels; i++)
            instance_free(m->sentinels[i]);
        m->nsentinels = 0;
    }
    instance_close_links(m);
    m->flags &= SRI_MASTER;
    free(m->leader);
    m->leader = NULL;
    m->failover_state = FAILOVER_STATE_NONE;
    m->failover_state_change_time = 0;
    m->failover_start_time = 0;
    m->promoted_slave = NULL;
    free(m->runid);
    m->runid = NULL;
    free(m->slave_master_host);
    m->slave_master_host = NULL;
    int64_t now = util_mstime();
    m->last_ping_time = 0;
    m->act_ping_time = now;
    m->last_avail_time = now;
    m->last_pong_time = now;
    m->info_refresh = 0;
    m->role_reported = SRI_MASTER;
    m->role_reported_time = now;
    m->write_fenced = 0;
    buf_clear(m->info);
}

void master_reset(instance *m)
{
    master_reset_state(m, 0);
    sentinel_event(LOG_WARNING, "+reset-master", m, "%@");
}

void master_switch(instance *m, const char *ip, int port)
{
    /* The new replica set: every old replica except the new primary, plus
     * the old primary (it comes back as a replica).  Run ids are kept, so a
     * restart shows as +reboot. */
    int n = 0;
    char **ips = calloc((size_t)m->nreplicas + 1, sizeof(char *));
    char **runids = calloc((size_t)m->nreplicas + 1, sizeof(char *));
    int *ports = calloc((size_t)m->nreplicas + 1, sizeof(int));
    int old_primary = -1;
    for (int i = 0; i < m->nreplicas; i++) {
        instance *r = m->replicas[i];
        if (addr_eq(r, ip, port))
            continue;
        runids[n] = str_dup(r->runid);
        ips[n] = strdup(r->ip);
        ports[n++] = r->port;
    }
    if (!addr_eq(m, ip, port)) {
        old_primary = n;
        runids[n] = str_dup(m->runid);
        ips[n] = strdup(m->ip);
        ports[n++] = m->port;
    }
    master_reset_state(m, 1);
    str_set(&m->ip, ip);
    m->port = port;
    int64_t now = util_mstime();
    for (int i = 0; i < n; i++) {
        instance *r = replica_add(m, ips[i], ports[i]);
        r->runid = runids[i];
        /* Treat it as just reconfigured, so a replica still syncing is not
         * "fixed" again at once. */
        r->slave_conf_change_time = now;
        /* The old primary will report itself a primary when it is back:
         * that is expected, and it is converted at once. */
        if (i == old_primary)
            r->back_time = now;
        free(ips[i]);
    }
    free(ips);
    free(runids);
    free(ports);
    /* The sentinels' links stay; their down state for the old address goes. */
    for (int i = 0; i < m->nsentinels; i++) {
        m->sentinels[i]->flags &= ~SRI_MASTER_DOWN;
        free(m->sentinels[i]->leader);
        m->sentinels[i]->leader = NULL;
    }
    config_flush();
}

void master_client_addr(instance *m, const char **ip, int *port)
{
    if (m->promoted_slave && m->failover_state >= FAILOVER_STATE_SELECT_SLAVE) {
        *ip = m->promoted_slave->ip;
        *port = m->promoted_slave->port;
        return;
    }
    *ip = m->ip;
    *port = m->port;
}

void master_set_down_after(instance *m, int64_t ms)
{
    m->down_after_period = ms;
    for (int i = 0; i < m->nreplicas; i++)
        m->replicas[i]->down_after_period = ms;
    for (int i = 0; i < m->nsentinels; i++)
        m->sentinels[i]->down_after_period = ms;
}

void monitor_reset_links(instance *ri)
{
    instance_close_links(ri);
}

buf instance_flags_string(const instance *ri)
{
    buf b = buf_empty();
    int flags = ri->flags;
    /* Once a promotion is confirmed the master entry describes the new
     * primary to clients (redis-py skips a master flagged down). */
    int promoted = (flags & SRI_MASTER) && ri->promoted_slave &&
                   ri->failover_state >= FAILOVER_STATE_RECONF_SLAVES;
    if (promoted)
        flags &= ~(SRI_S_DOWN | SRI_O_DOWN);
    if (flags & SRI_S_DOWN)
        b = buf_cat_cstr(b, "s_down,");
    if (flags & SRI_O_DOWN)
        b = buf_cat_cstr(b, "o_down,");
    if (flags & SRI_MASTER)
        b = buf_cat_cstr(b, "master,");
    if (flags & SRI_REPLICA)
        b = buf_cat_cstr(b, "slave,");
    if (flags & SRI_SENTINEL)
        b = buf_cat_cstr(b, "sentinel,");
    if (!ri->cc || !slink_is_connected(ri->cc))
        b = buf_cat_cstr(b, "disconnected,");
    if (flags & SRI_MASTER_DOWN)
        b = buf_cat_cstr(b, "master_down,");
    if (flags & SRI_FAILOVER_IN_PROGRESS)
        b = buf_cat_cstr(b, "failover_in_progress,");
    if (flags & SRI_PROMOTED)
        b = buf_cat_cstr(b, "promoted,");
    if (flags & SRI_RECONF_SENT)
        b = buf_cat_cstr(b, "reconf_sent,");
    if (flags & SRI_RECONF_INPROG)
        b = buf_cat_cstr(b, "reconf_inprog,");
    if (flags & SRI_RECONF_DONE)
        b = buf_cat_cstr(b, "reconf_done,");
    if (flags & SRI_FORCE_FAILOVER)
        b = buf_cat_cstr(b, "force_failover,");
    if (buf_len(b))
        buf_set_len(b, buf_len(b) - 1);
    return b;
}

int64_t instance_ping_period(const instance *ri)
{
    int64_t p = ri->down_after_period / 10;
    if (p > SENTINEL_PING_PERIOD_MAX)
        p = SENTINEL_PING_PERIOD_MAX;
    if (p < 10)
        p = 10;
    return p;
}

/* ------------------------------------------------------------ replies */

static void on_ping_reply(slink *l, redisReply *r, void *priv)
{
    instance *ri = slink_owner(l);
    if (!r)
        return;
    int64_t now = util_mstime();
    ri->last_pong_time = now;
    if (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR) {
        if (!strncmp(r->str, "PONG", 4) || !strncmp(r->str, "LOADING", 7) ||
            !strncmp(r->str, "MASTERDOWN", 10)) {
            ri->last_avail_time = now;
            ri->act_ping_time = 0;
        }
    }
}

static void instance_send_ping(instance *ri)
{
    if (slink_command(ri->cc, on_ping_reply, NULL, "PING") == 0) {
        int64_t now = util_mstime();
        ri->last_ping_time = now;
        if (ri->act_ping_time == 0)
            ri->act_ping_time = now;
    }
}

/* "key:value" lines of an INFO reply, one at a time. */
static const char *info_field(const char *info, const char *key, char *out, size_t outlen)
{
    size_t klen = strlen(key);
    const char *p = info;
    while (p && *p) {
        if (!strncmp(p, key, klen) && p[klen] == ':') {
            const char *v = p + klen + 1;
            size_t n = strcspn(v, "\r\n");
            if (n >= outlen)
                n = outlen - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return out;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

/* slaveN:ip=...,port=...,state=...,offset=...,lag=... -> a replica */
static void info_learn_replicas(instance *m, const char *info)
{
    const char *p = info;
    while (p && *p) {
        if (!strncmp(p, "slave", 5) && isdigit((unsigned char)p[5])) {
            const char *colon = strchr(p, ':');
            const char *eol = p + strcspn(p, "\r\n");
            if (colon && colon < eol) {
                char line[512];
                size_t n = (size_t)(eol - colon - 1);
                if (n >= sizeof(line))
                    n = sizeof(line) - 1;
                memcpy(line, colon + 1, n);
                line[n] = '\0';
                char ip[256] = "";
                int port = 0;
                char *save = NULL;
                for (char *tok = strtok_r(line, ",", &save); tok;
                     tok = strtok_r(NULL, ",", &save)) {
                    if (!strncmp(tok, "ip=", 3))
                        snprintf(ip, sizeof(ip), "%s", tok + 3);
                    else if (!strncmp(tok, "port=", 5))
                        port = atoi(tok + 5);
                }
                if (ip[0] && port > 0 && !find_in(m->replicas, m->nreplicas, ip, port)) {
                    instance *r = replica_add(m, ip, port);
                    sentinel_event(LOG_NOTICE, "+slave", r, "%@");
                    config_flush();
                }
            }
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
}

/* Is the master healthy enough, in our view, to impose its configuration
 * on replicas that disagree?  Not while a failover may be going on: ours,
 * or another sentinel's we voted for and have not heard the end of. */
static int master_looks_sane(instance *m, int64_t now)
{
    if (m->flags & (SRI_S_DOWN | SRI_O_DOWN | SRI_FAILOVER_IN_PROGRESS))
        return 0;
    if (m->role_reported != SRI_MASTER || !m->info_refresh)
        return 0;
    if (m->leader_epoch > m->config_epoch && now - m->failover_start_time < m->failover_timeout)
        return 0;
    return !sentinel.tilt;
}

static void on_replicaof_reply(slink *l, redisReply *r, void *priv)
{
    instance *ri = slink_owner(l);
    if (r && r->type == REDIS_REPLY_ERROR)
        log_warning("REPLICAOF sent to %s failed: %s", ri->name, r->str);
}

static void on_unpause_reply(slink *l, redisReply *r, void *priv)
{
    instance *ri = slink_owner(l);
    if (r && r->type != REDIS_REPLY_ERROR)
        log_notice("Lifted the write fence on %s: it is still the primary", ri->name);
}

static void monitor_refresh_from_info(instance *ri, const char *info)
{
    int64_t now = util_mstime();
    char v[512];
    ri->info = buf_cpy(ri->info, info, strlen(info));
    ri->info_refresh = now;

    if (info_field(info, "run_id", v, sizeof(v)) && strlen(v) == SENTINEL_RUNID_LEN) {
        if (ri->runid && strcmp(ri->runid, v)) {
            sentinel_event(LOG_NOTICE, "+reboot", ri, "%@");
            ri->back_time = now;
            if (ri->flags & SRI_MASTER && ri->master_reboot_down_after_period)
                ri->master_reboot_since_time = now;
        }
        str_set(&ri->runid, v);
    }
    int role = 0;
    if (info_field(info, "role", v, sizeof(v)))
        role = !strcmp(v, "master") ? SRI_MASTER : !strcmp(v, "slave") ? SRI_REPLICA : 0;
    if (info_field(info, "master_repl_offset", v, sizeof(v)))
        ri->master_repl_offset = strtoull(v, NULL, 10);
    ri->write_fenced = info_field(info, "write_fenced", v, sizeof(v)) && !strcmp(v, "1");
    if (role == SRI_REPLICA) {
        char host[512] = "";
        ri->back_time = 0;
        int port = 0;
        if (info_field(info, "master_host", v, sizeof(v)))
            snprintf(host, sizeof(host), "%s", v);
        if (info_field(info, "master_port", v, sizeof(v)))
            port = atoi(v);
        if (!ri->slave_master_host || strcmp(ri->slave_master_host, host) ||
            ri->slave_master_port != port) {
            str_set(&ri->slave_master_host, host);
            ri->slave_master_port = port;
            ri->slave_conf_change_time = now;
        }
        if (info_field(info, "master_link_status", v, sizeof(v)))
            ri->slave_master_link_status = !strcmp(v, "up");
        if (info_field(info, "master_link_down_since_seconds", v, sizeof(v)))
            ri->master_link_down_time = strtoll(v, NULL, 10) * 1000;
        else
            ri->master_link_down_time = 0;
        if (info_field(info, "slave_priority", v, sizeof(v)) ||
            info_field(info, "replica_priority", v, sizeof(v)))
            ri->slave_priority = atoi(v);
        if (info_field(info, "slave_repl_offset", v, sizeof(v)))
            ri->slave_repl_offset = strtoull(v, NULL, 10);
        if (info_field(info, "replica_announced", v, sizeof(v)))
            ri->replica_announced = atoi(v);
    }
    if (role && role != ri->role_reported) {
        ri->role_reported = role;
        ri->role_reported_time = now;
        if (role == SRI_REPLICA)
            ri->slave_conf_change_time = now;
        sentinel_event(LOG_VERBOSE,
                       (ri->flags & (SRI_MASTER | SRI_REPLICA)) == role ? "-role-change"
                                                                        : "+role-change",
                       ri, "%@ new reported role is %s", role == SRI_MASTER ? "master" : "slave");
    }
    if (sentinel.tilt)
        return;

    instance *m = (ri->flags & SRI_MASTER) ? ri : ri->master;
    if ((ri->flags & SRI_MASTER) && role == SRI_MASTER) {
        info_learn_replicas(ri, info);
        /* A stalled primary fenced its writes; it is still ours: lift it. */
        if (ri->write_fenced && master_looks_sane(ri, now) && !(ri->flags & SRI_S_DOWN))
            slink_command(ri->cc, on_unpause_reply, NULL, "CLIENT UNPAUSE");
        return;
    }
    if (!(ri->flags & SRI_REPLICA))
        return;

    if (role == SRI_MASTER) {
        /* A replica says it is a primary: our promotion, or an instance to
         * put back in line (typically the old primary, restarted). */
        if ((ri->flags & SRI_PROMOTED) && m->failover_state == FAILOVER_STATE_WAIT_PROMOTION) {
            failover_on_role_master(m, ri);
            return;
        }
        /* An instance that was down and comes back as a primary is the old
         * one: convert it at once.  One that was up all along may have just
         * been promoted by another sentinel: give its hello time to tell us. */
        int64_t wait = ri->back_time ? 0 : 4 * SENTINEL_HELLO_PERIOD;
        if (master_looks_sane(m, now) && !(ri->flags & SRI_PROMOTED) &&
            now - ri->role_reported_time >= wait) {
            if (instance_send_replicaof(ri, m->ip, m->port, on_replicaof_reply) == 0)
                sentinel_event(LOG_WARNING, "+convert-to-slave", ri, "%@");
        }
        return;
    }
    if (role != SRI_REPLICA)
        return;
    /* A replica of the wrong primary (and not one we are repointing). */
    int points_to_master = ri->slave_master_host && ri->slave_master_port == m->port &&
                           !strcasecmp(ri->slave_master_host, m->ip);
    if (!points_to_master && !(ri->flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG)) &&
        master_looks_sane(m, now) && now - ri->slave_conf_change_time > 2000) {
        if (instance_send_replicaof(ri, m->ip, m->port, on_replicaof_reply) == 0) {
            sentinel_event(LOG_WARNING, "+fix-slave-config", ri, "%@");
            ri->slave_conf_change_time = now;
        }
    }
    /* Progress of a replica we are repointing to the promoted one. */
    instance *p = m->promoted_slave;
    if (p && (ri->flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG)) && ri->slave_master_host &&
        ri->slave_master_port == p->port && !strcasecmp(ri->slave_master_host, p->ip)) {
        if (ri->flags & SRI_RECONF_SENT) {
            ri->flags &= ~SRI_RECONF_SENT;
            ri->flags |= SRI_RECONF_INPROG;
            sentinel_event(LOG_NOTICE, "+slave-reconf-inprog", ri, "%@");
        }
        if ((ri->flags & SRI_RECONF_INPROG) && ri->slave_master_link_status) {
            ri->flags &= ~SRI_RECONF_INPROG;
            ri->flags |= SRI_RECONF_DONE;
            sentinel_event(LOG_NOTICE, "+slave-reconf-done", ri, "%@");
        }
    }
}

static void on_info_reply(slink *l, redisReply *r, void *priv)
{
    instance *ri = slink_owner(l);
    if (r && r->type == REDIS_REPLY_STRING)
        monitor_refresh_from_info(ri, r->str);
}

void instance_info_now(instance *ri)
{
    if (ri->cc && slink_is_connected(ri->cc))
        slink_command(ri->cc, on_info_reply, NULL, "INFO");
}

int instance_send_replicaof(instance *ri, const char *host, int port, slink_reply_fn *cb)
{
    if (!ri->cc || !slink_is_connected(ri->cc))
        return -1;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    slink_command(ri->cc, NULL, NULL, "MULTI");
    if (host)
        slink_command(ri->cc, NULL, NULL, "REPLICAOF %s %s", host, portstr);
    else
        slink_command(ri->cc, NULL, NULL, "REPLICAOF NO ONE");
    slink_command(ri->cc, NULL, NULL, "CONFIG REWRITE");
    slink_command(ri->cc, NULL, NULL, "CLIENT KILL TYPE normal");
    slink_command(ri->cc, cb, NULL, "EXEC");
    return 0;
}

/* ------------------------------------------------------------ hello */

static void hello_payload(instance *m, slink *via, char *out, size_t outlen)
{
    char ip[128];
    if (sentinel.announce_ip && sentinel.announce_ip[0]) {
        snprintf(ip, sizeof(ip), "%s", sentinel.announce_ip);
    } else {
        /* Our side of the link: the address the instance sees us at. */
        char name[128] = "";
        slink_sock_name(via, name, sizeof(name));
        char *colon = strrchr(name, ':');
        if (colon)
            *colon = '\0';
        const char *h = name;
        if (h[0] == '[') {
            h++;
            char *e = strchr(h, ']');
            if (e)
                *e = '\0';
        }
        snprintf(ip, sizeof(ip), "%s", h);
    }
    int port = sentinel.announce_port                          ? sentinel.announce_port
               : sentinel.tls_replication && sentinel.tls_port ? sentinel.tls_port
                                                               : sentinel.port;
    /* From the promotion on, the configuration we announce (its epoch is
     * already the failover's) names the promoted replica. */
    const char *mip = m->ip;
    int mport = m->port;
    if (m->promoted_slave && m->failover_state >= FAILOVER_STATE_RECONF_SLAVES) {
        mip = m->promoted_slave->ip;
        mport = m->promoted_slave->port;
    }
    snprintf(out, outlen, "%s,%d,%s,%llu,%s,%s,%d,%llu", ip, port, sentinel.myid,
             (unsigned long long)sentinel.current_epoch, m->name, mip, mport,
             (unsigned long long)m->config_epoch);
}

static void instance_send_hello(instance *ri)
{
    instance *m = (ri->flags & SRI_MASTER) ? ri : ri->master;
    if (!ri->cc || !slink_is_connected(ri->cc))
        return;
    char payload[1024];
    hello_payload(m, ri->cc, payload, sizeof(payload));
    if (slink_command(ri->cc, NULL, NULL, "PUBLISH %s %s", SENTINEL_HELLO_CHANNEL, payload) == 0)
        ri->last_pub_time = util_mstime();
}

void monitor_send_hellos(instance *m)
{
    instance_send_hello(m);
    for (int i = 0; i < m->nreplicas; i++)
        instance_send_hello(m->replicas[i]);
    for (int i = 0; i < m->nsentinels; i++)
        instance_send_hello(m->sentinels[i]);
}

void monitor_process_hello(const char *msg, size_t len)
{
    char tmp[1024];
    if (len >= sizeof(tmp))
        return;
    memcpy(tmp, msg, len);
    tmp[len] = '\0';
    char *tok[8];
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(tmp, ",", &save); t && n < 8; t = strtok_r(NULL, ",", &save))
        tok[n++] = t;
    if (n != 8)
        return;
    const char *ip = tok[0], *runid = tok[2], *mname = tok[4], *mip = tok[5];
    int port = atoi(tok[1]), mport = atoi(tok[6]);
    uint64_t epoch = strtoull(tok[3], NULL, 10), mepoch = strtoull(tok[7], NULL, 10);
    if (!strcmp(runid, sentinel.myid))
        return;
    instance *m = master_lookup(mname);
    if (!m)
        return;
    instance *si = find_in(m->sentinels, m->nsentinels, ip, port);
    if (!si) {
        /* A sentinel with this run id at another address, or another one at
         * this address, is stale: the new one replaces it. */
        for (int i = 0; i < m->nsentinels; i++) {
            instance *o = m->sentinels[i];
            if (o->runid && !strcmp(o->runid, runid)) {
                sentinel_event(LOG_NOTICE, "-dup-sentinel", o, "%@ #duplicate of %s:%d", ip, port);
                instance_free(o);
                remove_at(m->sentinels, &m->nsentinels, i);
                i--;
            }
        }
        si = sentinel_add(m, ip, port, runid);
        sentinel_event(LOG_NOTICE, "+sentinel", si, "%@");
        config_flush();
    } else if (!si->runid || strcmp(si->runid, runid)) {
        str_set(&si->runid, runid);
        str_set(&si->name, runid);
        config_flush();
    }
    si->last_hello_time = util_mstime();
    if (epoch > sentinel.current_epoch) {
        sentinel.current_epoch = epoch;
        config_flush();
        sentinel_event(LOG_WARNING, "+new-epoch", m, "%llu", (unsigned long long)epoch);
    }
    /* A newer configuration for this master: follow it. */
    if (mepoch > m->config_epoch && !(mport == m->port && !strcasecmp(mip, m->ip))) {
        char oldip[256];
        snprintf(oldip, sizeof(oldip), "%s", m->ip);
        int oldport = m->port;
        if (m->flags & SRI_FAILOVER_IN_PROGRESS)
            failover_abort(m, "-failover-abort-config-update");
        sentinel_event(LOG_WARNING, "+config-update-from", si, "%@");
        master_switch(m, mip, mport);
        m->config_epoch = mepoch;
        sentinel_event(LOG_WARNING, "+switch-master", m, "%s %s %d %s %d", m->name, oldip, oldport,
                       m->ip, m->port);
        config_flush();
    } else if (mepoch > m->config_epoch) {
        m->config_epoch = mepoch;
        config_flush();
    }
}

static void on_hello_push(slink *l, redisReply *r, void *owner)
{
    instance *ri = owner;
    ri->pc_last_activity = util_mstime();
    if (r->elements == 3 && r->element[2]->type == REDIS_REPLY_STRING &&
        !strcmp(r->element[0]->str, "message"))
        monitor_process_hello(r->element[2]->str, r->element[2]->len);
}

/* ------------------------------------------------------------ links */

static void auth_link(instance *ri, slink *l)
{
    const char *user, *pass;
    if (ri->flags & SRI_SENTINEL) {
        user = sentinel.sentinel_user;
        pass = sentinel.sentinel_pass;
    } else {
        user = ri->master ? ri->master->auth_user : ri->auth_user;
        pass = ri->master ? ri->master->auth_pass : ri->auth_pass;
    }
    if (pass && pass[0]) {
        if (user && user[0])
            slink_command(l, NULL, NULL, "AUTH %s %s", user, pass);
        else
            slink_command(l, NULL, NULL, "AUTH %s", pass);
    }
}

static void on_cc_up(slink *l, void *owner)
{
    instance *ri = owner;
    ri->cc_conn_time = util_mstime();
    auth_link(ri, l);
    char name[64];
    snprintf(name, sizeof(name), "sentinel-%.8s-cmd", sentinel.myid);
    slink_command(l, NULL, NULL, "CLIENT SETNAME %s", name);
    instance_send_ping(ri);
    if (!(ri->flags & SRI_SENTINEL))
        instance_info_now(ri);
}

static void on_cc_down(slink *l, void *owner)
{
    instance *ri = owner;
    slink_free(l);
    ri->cc = NULL;
    ri->cc_conn_time = 0;
}

static void on_pc_up(slink *l, void *owner)
{
    instance *ri = owner;
    ri->pc_conn_time = util_mstime();
    ri->pc_last_activity = ri->pc_conn_time;
    auth_link(ri, l);
    char name[64];
    snprintf(name, sizeof(name), "sentinel-%.8s-pubsub", sentinel.myid);
    slink_command(l, NULL, NULL, "CLIENT SETNAME %s", name);
    slink_command(l, NULL, NULL, "SUBSCRIBE %s", SENTINEL_HELLO_CHANNEL);
}

static void on_pc_down(slink *l, void *owner)
{
    instance *ri = owner;
    slink_free(l);
    ri->pc = NULL;
    ri->pc_conn_time = 0;
}

static tls_context *link_tls(void)
{
    return sentinel.tls_replication ? sentinel.tls_ctx : NULL;
}

static void instance_reconnect(instance *ri, int64_t now)
{
    /* Retry at the ping period: a primary that comes back is seen at once. */
    if (!ri->cc && now - ri->last_ping_time >= instance_ping_period(ri)) {
        ri->last_ping_time = now;
        ri->cc = slink_connect(sentinel.loop, ri->ip, ri->port, link_tls(), LINK_CONNECT_TIMEOUT,
                               ri, on_cc_up, on_cc_down, NULL);
    }
    if (!(ri->flags & SRI_SENTINEL) && !ri->pc && ri->cc && slink_is_connected(ri->cc)) {
        ri->pc = slink_connect(sentinel.loop, ri->ip, ri->port, link_tls(), LINK_CONNECT_TIMEOUT,
                               ri, on_pc_up, on_pc_down, on_hello_push);
    }
}

static int64_t info_period(instance *ri)
{
    instance *m = (ri->flags & SRI_MASTER) ? ri : ri->master;
    if (m->flags & (SRI_FAILOVER_IN_PROGRESS | SRI_O_DOWN | SRI_S_DOWN))
        return SENTINEL_INFO_PERIOD_FAILOVER;
    if (ri->flags & SRI_REPLICA && ri->role_reported == SRI_MASTER)
        return SENTINEL_INFO_PERIOD_FAILOVER; /* to be converted soon */
    if (ri->flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG))
        return SENTINEL_INFO_PERIOD_FAILOVER;
    /* A replica of another primary is fixed soon after it is seen. */
    if ((ri->flags & SRI_REPLICA) && ri->role_reported == SRI_REPLICA &&
        (!ri->slave_master_host || ri->slave_master_port != m->port ||
         strcasecmp(ri->slave_master_host, m->ip)))
        return SENTINEL_INFO_PERIOD_MASTER;
    return (ri->flags & SRI_MASTER) ? SENTINEL_INFO_PERIOD_MASTER : SENTINEL_INFO_PERIOD;
}

static void instance_periodic(instance *ri, int64_t now)
{
    if (!ri->cc || !slink_is_connected(ri->cc))
        return;
    if (slink_pending(ri->cc) >= 100)
        return; /* it is not answering: do not pile up more */
    /* INFO when the last one is older than the period, one in flight at a
     * time (unless it has been a second without an answer). */
    if (!(ri->flags & SRI_SENTINEL) && now - ri->info_refresh >= info_period(ri) &&
        (ri->info_sent_time <= ri->info_refresh || now - ri->info_sent_time > 1000)) {
        ri->info_sent_time = now;
        instance_info_now(ri);
    }
    if (now - ri->last_ping_time >= instance_ping_period(ri))
        instance_send_ping(ri);
    if (now - ri->last_pub_time >= SENTINEL_HELLO_PERIOD)
        instance_send_hello(ri);
}

/* SDOWN: no valid PING reply for down-after-milliseconds. */
static void instance_check_sdown(instance *ri, int64_t now)
{
    int64_t elapsed = 0;
    if (ri->act_ping_time)
        elapsed = now - ri->act_ping_time;
    else if (!ri->cc || !slink_is_connected(ri->cc))
        elapsed = now - ri->last_avail_time;

    /* A link that is connected but silent for half down-after may be
     * half-dead (a NAT dropped it): reconnect it. */
    if (ri->cc && slink_is_connected(ri->cc) && now - ri->cc_conn_time > 1000 &&
        ri->act_ping_time && now - ri->act_ping_time > ri->down_after_period / 2 &&
        now - ri->last_pong_time > ri->down_after_period / 2)
        slink_drop(ri->cc, "no reply for half of down-after");
    if (ri->pc && slink_is_connected(ri->pc) &&
        now - ri->pc_conn_time > SENTINEL_MIN_LINK_RECONNECT_PERIOD &&
        now - ri->pc_last_activity > SENTINEL_HELLO_PERIOD * 3 * 4)
        slink_drop(ri->pc, "no hello for too long");

    /* A master reporting itself a replica for too long is down too. */
    int reported_replica =
        (ri->flags & SRI_MASTER) && ri->role_reported == SRI_REPLICA &&
        now - ri->role_reported_time > ri->down_after_period + 4 * SENTINEL_INFO_PERIOD_MASTER;
    if (elapsed > ri->down_after_period || reported_replica) {
        if (!(ri->flags & SRI_S_DOWN)) {
            ri->s_down_since_time = now;
            ri->flags |= SRI_S_DOWN;
            sentinel_event(LOG_WARNING, "+sdown", ri, "%@");
        }
    } else if (ri->flags & SRI_S_DOWN) {
        ri->flags &= ~SRI_S_DOWN;
        sentinel_event(LOG_WARNING, "-sdown", ri, "%@");
        ri->back_time = now;
    }
}

/* ------------------------------------------------------------ the timer */

static ev_timer monitor_timer;

static void monitor_check_tilt(int64_t now)
{
    int64_t delta = now - sentinel.previous_time;
    if (sentinel.previous_time && (delta < 0 || delta > SENTINEL_TILT_TRIGGER)) {
        sentinel.tilt = 1;
        sentinel.tilt_start_time = now;
        sentinel_event(LOG_WARNING, "+tilt", NULL, "#tilt mode entered");
    }
    sentinel.previous_time = now;
    if (sentinel.tilt && now - sentinel.tilt_start_time > SENTINEL_TILT_PERIOD) {
        sentinel.tilt = 0;
        sentinel_event(LOG_WARNING, "-tilt", NULL, "#tilt mode exited");
    }
}

static void instance_handle(instance *ri, int64_t now)
{
    instance_reconnect(ri, now);
    instance_periodic(ri, now);
    if (sentinel.tilt)
        return;
    instance_check_sdown(ri, now);
    if (ri->flags & SRI_MASTER) {
        election_check_odown(ri);
        failover_start_if_needed(ri);
        failover_step(ri);
        election_ask_others(ri, 0);
    }
}

static void monitor_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    int64_t now = util_mstime();
    monitor_check_tilt(now);
    for (int i = 0; i < sentinel.nmasters; i++) {
        instance *m = sentinel.masters[i];
        instance_handle(m, now);
        for (int j = 0; j < m->nreplicas; j++)
            instance_handle(m->replicas[j], now);
        for (int j = 0; j < m->nsentinels; j++)
            instance_handle(m->sentinels[j], now);
    }
}

void sentinel_timer_start(void)
{
    sentinel.previous_time = util_mstime();
    ev_timer_init(&monitor_timer, monitor_tick, 0.0, SENTINEL_TIMER_PERIOD / 1000.0);
    ev_timer_start(sentinel.loop, &monitor_timer);
}
