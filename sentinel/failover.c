/* failover: the state machine that replaces a primary, run by the elected
 * leader (or by the sentinel asked with SENTINEL FAILOVER).
 *
 *   WAIT_START          wait to win the vote for our epoch (election.c)
 *   SELECT_SLAVE        refresh the replicas' INFO, pick the best one
 *   WAIT_CATCHUP        planned switchover only: writes are paused on the old
 *                       primary (CLIENT PAUSE WRITE) and we wait until the
 *                       chosen replica has its whole offset, so nothing
 *                       acknowledged there can be lost
 *   SEND_SLAVEOF_NOONE  MULTI / REPLICAOF NO ONE / CONFIG REWRITE /
 *                       CLIENT KILL TYPE normal / EXEC
 *   WAIT_PROMOTION      until the EXEC reply or INFO says role:master
 *   RECONF_SLAVES       REPLICAOF <promoted> to the others, parallel-syncs at
 *                       a time, each done when its link to it is up
 *   UPDATE_CONFIG       +failover-end, +switch-master, hellos go out at once
 *
 * The best replica: not down, its link and INFO fresh, replica-priority > 0
 * (lowest first), then the largest replication offset, then the smallest run
 * id.  Its INFO is asked for again after the primary was seen down, so the
 * offsets compared are final: a write that reached any replica before the
 * primary died is on the one chosen. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "sentinel.h"
#include "util.h"

static const char *failover_state_names[] = {
    "none",           "wait_start",    "select_slave",  "wait_catchup", "send_slaveof_noone",
    "wait_promotion", "reconf_slaves", "update_config",
};

const char *failover_state_name(int state)
{
    if (state < 0 || state > FAILOVER_STATE_UPDATE_CONFIG)
        return "unknown";
    return failover_state_names[state];
}

static void failover_set_state(instance *m, int state)
{
    m->failover_state = state;
    m->failover_state_change_time = util_mstime();
}

static int link_up(const instance *ri)
{
    return ri->cc && slink_is_connected(ri->cc);
}

/* ------------------------------------------------------------ starting */

static void failover_begin(instance *m)
{
    m->flags |= SRI_FAILOVER_IN_PROGRESS;
    failover_set_state(m, FAILOVER_STATE_WAIT_START);
    sentinel.current_epoch++;
    m->failover_epoch = sentinel.current_epoch;
    m->failover_start_time = util_mstime();
    m->switchover_offset = 0;
    m->switchover_ready = 0;
    config_flush();
    sentinel_event(LOG_WARNING, "+new-epoch", m, "%llu",
                   (unsigned long long)sentinel.current_epoch);
    sentinel_event(LOG_WARNING, "+try-failover", m, "%@");
    election_ask_others(m, 1);
}

void failover_start_if_needed(instance *m)
{
    if (!(m->flags & SRI_O_DOWN) || (m->flags & SRI_FAILOVER_IN_PROGRESS))
        return;
    int64_t now = util_mstime();
    if (now - m->failover_start_time < m->failover_timeout * 2) {
        if (m->failover_delay_logged != m->failover_start_time) {
            m->failover_delay_logged = m->failover_start_time;
            log_warning("Next failover delay: I will not start a failover before %lld ms from now",
                        (long long)(m->failover_timeout * 2 - (now - m->failover_start_time)));
        }
        return;
    }
    failover_begin(m);
}

static instance *failover_select_replica(instance *m);

int failover_start_manual(instance *m, char *err, size_t errlen)
{
    if (m->flags & SRI_FAILOVER_IN_PROGRESS) {
        snprintf(err, errlen, "INPROG Failover already in progress");
        return -1;
    }
    if (!failover_select_replica(m)) {
        snprintf(err, errlen, "NOGOODSLAVE No suitable replica to promote");
        return -1;
    }
    m->flags |= SRI_FORCE_FAILOVER;
    /* A primary we can still talk to is switched over without loss: its
     * writes are paused until the replica has caught up. */
    if (!(m->flags & SRI_S_DOWN) && link_up(m))
        m->flags |= SRI_SWITCHOVER;
    failover_begin(m);
    return 0;
}

static void on_unpause_reply(slink *l, redisReply *r, void *priv) {}

void failover_abort(instance *m, const char *event)
{
    if (event)
        sentinel_event(LOG_WARNING, event, m, "%@");
    if ((m->flags & SRI_SWITCHOVER) && m->switchover_paused && link_up(m))
        slink_command(m->cc, on_unpause_reply, NULL, "CLIENT UNPAUSE");
    m->flags &= ~(SRI_FAILOVER_IN_PROGRESS | SRI_FORCE_FAILOVER | SRI_SWITCHOVER);
    m->switchover_paused = 0;
    failover_set_state(m, FAILOVER_STATE_NONE);
    for (int i = 0; i < m->nreplicas; i++)
        m->replicas[i]->flags &=
            ~(SRI_PROMOTED | SRI_RECONF_SENT | SRI_RECONF_INPROG | SRI_RECONF_DONE);
    m->promoted_slave = NULL;
}

/* ------------------------------------------------------------ selecting */

static int replica_cmp(const instance *a, const instance *b)
{
    if (a->slave_priority != b->slave_priority)
        return a->slave_priority < b->slave_priority ? -1 : 1;
    if (a->slave_repl_offset != b->slave_repl_offset)
        return a->slave_repl_offset > b->slave_repl_offset ? -1 : 1;
    if (!a->runid || !b->runid)
        return a->runid ? -1 : b->runid ? 1 : 0;
    return strcasecmp(a->runid, b->runid);
}

static instance *failover_select_replica(instance *m)
{
    int64_t now = util_mstime();
    int64_t max_master_down = m->down_after_period * 10;
    if (m->flags & SRI_S_DOWN)
        max_master_down += now - m->s_down_since_time;
    int64_t info_validity = (m->flags & SRI_S_DOWN) ? 5000 : 3 * SENTINEL_INFO_PERIOD;
    instance *best = NULL;
    for (int i = 0; i < m->nreplicas; i++) {
        instance *r = m->replicas[i];
        if (r->flags & (SRI_S_DOWN | SRI_O_DOWN))
            continue;
        if (!link_up(r))
            continue;
        if (now - r->last_avail_time > 5 * SENTINEL_PING_PERIOD_MAX)
            continue;
        if (r->slave_priority == 0 || r->role_reported != SRI_REPLICA)
            continue;
        if (!r->info_refresh || now - r->info_refresh > info_validity)
            continue;
        if (r->master_link_down_time > max_master_down)
            continue;
        if (!best || replica_cmp(r, best) < 0)
            best = r;
    }
    return best;
}

/* Ask the candidates for INFO once after the primary was seen down (or the
 * switchover started) and wait, briefly, for the answers: the offsets must
 * be the final ones. */
static int replicas_info_fresh(instance *m, int64_t since)
{
    int fresh = 1;
    for (int i = 0; i < m->nreplicas; i++) {
        instance *r = m->replicas[i];
        if (!link_up(r) || (r->flags & SRI_S_DOWN) || r->info_refresh >= since)
            continue;
        fresh = 0;
        if (r->info_sent_time < since) {
            r->info_sent_time = util_mstime();
            instance_info_now(r);
        }
    }
    return fresh;
}

/* ------------------------------------------------------------ catching up */

static void on_pause_reply(slink *l, redisReply *r, void *priv)
{
    instance *m = slink_owner(l);
    if (r && r->type == REDIS_REPLY_STATUS)
        m->switchover_paused = 1;
    else if (r)
        log_warning("CLIENT PAUSE refused by %s: %s", m->name, r->str ? r->str : "?");
}

static void on_switchover_offset(slink *l, redisReply *r, void *priv)
{
    instance *m = slink_owner(l);
    if (!r || r->type != REDIS_REPLY_STRING || m->failover_state != FAILOVER_STATE_WAIT_CATCHUP)
        return;
    const char *p = strstr(r->str, "master_repl_offset:");
    if (!p)
        return;
    m->switchover_offset = strtoull(p + 19, NULL, 10);
    m->switchover_ready = 1;
    log_notice("Switchover of %s: writes paused at offset %llu, waiting for %s", m->name,
               (unsigned long long)m->switchover_offset, m->promoted_slave->name);
}

static void failover_step_select(instance *m, int64_t now)
{
    int64_t since = (m->flags & SRI_S_DOWN) ? m->s_down_since_time : m->failover_state_change_time;
    if (!replicas_info_fresh(m, since) && now - m->failover_state_change_time < 1000)
        return;
    instance *r = failover_select_replica(m);
    if (!r) {
        failover_abort(m, "-failover-abort-no-good-slave");
        return;
    }
    sentinel_event(LOG_WARNING, "+selected-slave", r, "%@");
    r->flags |= SRI_PROMOTED;
    m->promoted_slave = r;
    if ((m->flags & SRI_SWITCHOVER) && link_up(m)) {
        failover_set_state(m, FAILOVER_STATE_WAIT_CATCHUP);
        sentinel_event(LOG_NOTICE, "+failover-state-wait-catchup", m, "%@");
        /* Pause writes, then read the offset they stopped at: every write
         * acknowledged so far is below it. */
        slink_command(m->cc, on_pause_reply, NULL, "CLIENT PAUSE %lld WRITE",
                      (long long)m->failover_timeout);
        slink_command(m->cc, on_switchover_offset, NULL, "INFO replication");
        return;
    }
    failover_set_state(m, FAILOVER_STATE_SEND_SLAVEOF_NOONE);
    sentinel_event(LOG_NOTICE, "+failover-state-send-slaveof-noone", r, "%@");
}

static void failover_step_catchup(instance *m, int64_t now)
{
    instance *r = m->promoted_slave;
    if (now - m->failover_state_change_time > m->failover_timeout) {
        failover_abort(m, "-failover-abort-catchup-timeout");
        return;
    }
    if (!link_up(m)) {
        /* The primary went away: nothing more can reach the replica. */
        failover_set_state(m, FAILOVER_STATE_SEND_SLAVEOF_NOONE);
        sentinel_event(LOG_NOTICE, "+failover-state-send-slaveof-noone", r, "%@");
        return;
    }
    if (!m->switchover_ready)
        return;
    if (r->slave_repl_offset >= m->switchover_offset &&
        r->info_refresh > m->failover_state_change_time) {
        log_notice("Switchover of %s: %s reached offset %llu", m->name, r->name,
                   (unsigned long long)r->slave_repl_offset);
        failover_set_state(m, FAILOVER_STATE_SEND_SLAVEOF_NOONE);
        sentinel_event(LOG_NOTICE, "+failover-state-send-slaveof-noone", r, "%@");
        return;
    }
    if (r->info_sent_time <= r->info_refresh || now - r->info_sent_time > 500) {
        r->info_sent_time = now;
        instance_info_now(r);
    }
}

/* ------------------------------------------------------------ promoting */

static void on_promote_reply(slink *l, redisReply *reply, void *priv)
{
    instance *r = slink_owner(l);
    instance *m = r->master;
    if (!reply && m->promoted_slave == r && m->failover_state == FAILOVER_STATE_WAIT_PROMOTION) {
        /* The link dropped before EXEC was answered: send it again. */
        failover_set_state(m, FAILOVER_STATE_SEND_SLAVEOF_NOONE);
        return;
    }
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1)
        return;
    redisReply *first = reply->element[0];
    if (first->type == REDIS_REPLY_STATUS && m->promoted_slave == r &&
        m->failover_state == FAILOVER_STATE_WAIT_PROMOTION)
        failover_on_role_master(m, r);
}

static void failover_step_send_noone(instance *m, int64_t now)
{
    instance *r = m->promoted_slave;
    if (!link_up(r)) {
        if (now - m->failover_state_change_time > m->failover_timeout)
            failover_abort(m, "-failover-abort-slave-timeout");
        return;
    }
    instance_send_replicaof(r, NULL, 0, on_promote_reply);
    failover_set_state(m, FAILOVER_STATE_WAIT_PROMOTION);
    sentinel_event(LOG_NOTICE, "+failover-state-wait-promotion", r, "%@");
}

static void on_demote_reply(slink *l, redisReply *r, void *priv)
{
    instance *m = slink_owner(l);
    if (r && r->type == REDIS_REPLY_ARRAY)
        sentinel_event(LOG_NOTICE, "+convert-to-slave", m, "%@");
}

void failover_on_role_master(instance *m, instance *r)
{
    if (m->failover_state != FAILOVER_STATE_WAIT_PROMOTION || m->promoted_slave != r)
        return;
    r->role_reported = SRI_MASTER;
    r->role_reported_time = util_mstime();
    m->config_epoch = m->failover_epoch;
    config_flush();
    sentinel_event(LOG_WARNING, "+promoted-slave", r, "%@");
    if (sentinel.simfailure_flags & SENTINEL_SIMFAILURE_CRASH_AFTER_PROMOTION) {
        log_warning("Simulated failure: crash after promotion");
        exit(99);
    }
    failover_set_state(m, FAILOVER_STATE_RECONF_SLAVES);
    sentinel_event(LOG_NOTICE, "+failover-state-reconf-slaves", m, "%@");
    /* The other sentinels learn the new configuration now, before they see
     * the promoted replica report itself a primary and take it for a rogue. */
    monitor_send_hellos(m);
    /* A switched-over primary is still paused: demote it in the same
     * transaction that lifts the pause and drops its clients, so no paused
     * write ever runs on it as a primary. */
    if ((m->flags & SRI_SWITCHOVER) && link_up(m)) {
        char port[16];
        snprintf(port, sizeof(port), "%d", r->port);
        slink_command(m->cc, NULL, NULL, "MULTI");
        slink_command(m->cc, NULL, NULL, "REPLICAOF %s %s", r->ip, port);
        slink_command(m->cc, NULL, NULL, "CONFIG REWRITE");
        slink_command(m->cc, NULL, NULL, "CLIENT UNPAUSE");
        slink_command(m->cc, NULL, NULL, "CLIENT KILL TYPE normal");
        slink_command(m->cc, on_demote_reply, NULL, "EXEC");
        m->switchover_paused = 0;
    }
}

/* ------------------------------------------------------------ reconfiguring */

static void on_reconf_reply(slink *l, redisReply *r, void *priv)
{
    instance *ri = slink_owner(l);
    if (r && r->type == REDIS_REPLY_ERROR)
        log_warning("REPLICAOF sent to %s failed: %s", ri->name, r->str);
    /* Not answered or refused: the next step sends it again. */
    if ((!r || r->type != REDIS_REPLY_ARRAY) && (ri->flags & SRI_RECONF_SENT))
        ri->flags &= ~SRI_RECONF_SENT;
}

static void failover_step_reconf(instance *m, int64_t now)
{
    instance *p = m->promoted_slave;
    int timed_out = now - m->failover_state_change_time > m->failover_timeout;
    int in_progress = 0, pending = 0;
    for (int i = 0; i < m->nreplicas; i++) {
        instance *r = m->replicas[i];
        if (r == p || (r->flags & SRI_RECONF_DONE))
            continue;
        if (r->flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG)) {
            /* A replica that never reports progress is not waited for forever. */
            if (now - r->slave_conf_change_time > 10000 && (r->flags & SRI_RECONF_SENT)) {
                r->flags &= ~SRI_RECONF_SENT;
                r->flags |= SRI_RECONF_DONE;
                sentinel_event(LOG_NOTICE, "-slave-reconf-sent-timeout", r, "%@");
                continue;
            }
            in_progress++;
            pending++;
            continue;
        }
        if ((r->flags & SRI_S_DOWN) || !link_up(r))
            continue; /* fixed later, when it comes back */
        pending++;
        if (in_progress >= m->parallel_syncs && !timed_out)
            continue;
        if (instance_send_replicaof(r, p->ip, p->port, on_reconf_reply) == 0) {
            r->flags |= SRI_RECONF_SENT;
            r->slave_conf_change_time = now;
            sentinel_event(LOG_NOTICE, "+slave-reconf-sent", r, "%@");
            in_progress++;
        }
    }
    if (timed_out) {
        sentinel_event(LOG_WARNING, "+failover-end-for-timeout", m, "%@");
        pending = 0;
    }
    if (pending == 0)
        failover_set_state(m, FAILOVER_STATE_UPDATE_CONFIG);
}

static void failover_step_update_config(instance *m)
{
    instance *p = m->promoted_slave;
    char oldip[256], newip[256];
    snprintf(oldip, sizeof(oldip), "%s", m->ip);
    snprintf(newip, sizeof(newip), "%s", p->ip);
    int oldport = m->port, newport = p->port;
    sentinel_event(LOG_WARNING, "+failover-end", m, "%@");
    uint64_t epoch = m->config_epoch;
    master_switch(m, newip, newport);
    m->config_epoch = epoch;
    sentinel_event(LOG_WARNING, "+switch-master", m, "%s %s %d %s %d", m->name, oldip, oldport,
                   newip, newport);
    config_flush();
    /* Tell the other sentinels now rather than at the next hello period. */
    monitor_send_hellos(m);
}

/* ------------------------------------------------------------ the machine */

static void failover_step_once(instance *m)
{
    int64_t now = util_mstime();
    switch (m->failover_state) {
    case FAILOVER_STATE_WAIT_START: {
        const char *leader = election_get_leader(m, m->failover_epoch);
        int is_leader = leader && !strcmp(leader, sentinel.myid);
        if (!is_leader && !(m->flags & SRI_FORCE_FAILOVER)) {
            int64_t election_timeout = m->failover_timeout < 10000 ? m->failover_timeout : 10000;
            if (now - m->failover_start_time > election_timeout)
                failover_abort(m, "-failover-abort-not-elected");
            return;
        }
        sentinel_event(LOG_WARNING, "+elected-leader", m, "%@");
        if (sentinel.simfailure_flags & SENTINEL_SIMFAILURE_CRASH_AFTER_ELECTION) {
            log_warning("Simulated failure: crash after election");
            exit(99);
        }
        failover_set_state(m, FAILOVER_STATE_SELECT_SLAVE);
        sentinel_event(LOG_WARNING, "+failover-state-select-slave", m, "%@");
        break;
    }
    case FAILOVER_STATE_SELECT_SLAVE: failover_step_select(m, now); break;
    case FAILOVER_STATE_WAIT_CATCHUP: failover_step_catchup(m, now); break;
    case FAILOVER_STATE_SEND_SLAVEOF_NOONE: failover_step_send_noone(m, now); break;
    case FAILOVER_STATE_WAIT_PROMOTION:
        if (now - m->failover_state_change_time > m->failover_timeout)
            failover_abort(m, "-failover-abort-slave-timeout");
        break;
    case FAILOVER_STATE_RECONF_SLAVES: failover_step_reconf(m, now); break;
    case FAILOVER_STATE_UPDATE_CONFIG: failover_step_update_config(m); break;
    }
}

void failover_step(instance *m)
{
    /* Go on while the state moves: each step that can finish at once does,
     * instead of waiting for the next tick. */
    for (int i = 0; i < 8 && (m->flags & SRI_FAILOVER_IN_PROGRESS); i++) {
        int before = m->failover_state;
        failover_step_once(m);
        if (m->failover_state == before)
            break;
    }
}
