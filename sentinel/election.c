/* election: from "I cannot reach the primary" to "we agree it is down, and
 * this sentinel leads the failover".
 *
 * ODOWN: SDOWN here plus enough other sentinels saying the same through
 * SENTINEL IS-MASTER-DOWN-BY-ADDR to reach the quorum.  The leader: a
 * sentinel that starts a failover bumps the epoch and asks the others for
 * their vote in that epoch; each sentinel gives one vote per epoch, to the
 * first that asks.  The winner needs a majority of every sentinel known
 * for the master (us included) and at least the quorum, so two sentinels
 * can never both lead the same epoch. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sentinel.h"
#include "util.h"

void election_check_odown(instance *m)
{
    int count = election_count_down(m);
    int odown = (m->flags & SRI_S_DOWN) && count >= m->quorum;
    if (odown) {
        if (!(m->flags & SRI_O_DOWN)) {
            sentinel_event(LOG_WARNING, "+odown", m, "%@ #quorum %d/%d", count, m->quorum);
            m->flags |= SRI_O_DOWN;
            m->o_down_since_time = util_mstime();
        }
    } else if (m->flags & SRI_O_DOWN) {
        sentinel_event(LOG_WARNING, "-odown", m, "%@");
        m->flags &= ~SRI_O_DOWN;
    }
}

int election_count_down(instance *m)
{
    int count = (m->flags & SRI_S_DOWN) ? 1 : 0;
    for (int i = 0; i < m->nsentinels; i++)
        if (m->sentinels[i]->flags & SRI_MASTER_DOWN)
            count++;
    return count;
}

static void on_is_master_down_reply(slink *l, redisReply *r, void *priv)
{
    instance *si = slink_owner(l);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_STRING ||
        r->element[2]->type != REDIS_REPLY_INTEGER)
        return;
    si->last_master_down_reply_time = util_mstime();
    if (r->element[0]->integer == 1)
        si->flags |= SRI_MASTER_DOWN;
    else
        si->flags &= ~SRI_MASTER_DOWN;
    if (strcmp(r->element[1]->str, "*")) {
        /* Its vote; it may come in an older epoch than the one we ask in. */
        if (si->leader_epoch != (uint64_t)r->element[2]->integer)
            log_verbose("%s voted for %s %lld", si->name, r->element[1]->str,
                        (long long)r->element[2]->integer);
        free(si->leader);
        si->leader = strdup(r->element[1]->str);
        si->leader_epoch = (uint64_t)r->element[2]->integer;
    }
}

void election_ask_others(instance *m, int force)
{
    int64_t now = util_mstime();
    for (int i = 0; i < m->nsentinels; i++) {
        instance *si = m->sentinels[i];
        /* An answer too old no longer counts. */
        if (now - si->last_master_down_reply_time > 5 * SENTINEL_ASK_PERIOD + 1000) {
            si->flags &= ~SRI_MASTER_DOWN;
            free(si->leader);
            si->leader = NULL;
        }
        if (!(m->flags & SRI_S_DOWN))
            continue;
        if (!si->cc || !slink_is_connected(si->cc))
            continue;
        if (!force && now - si->last_master_down_reply_time < SENTINEL_ASK_PERIOD)
            continue;
        if (slink_pending(si->cc) > 2)
            continue; /* the last question is still unanswered */
        char port[16], epoch[32];
        snprintf(port, sizeof(port), "%d", m->port);
        snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)sentinel.current_epoch);
        const char *runid = m->failover_state > FAILOVER_STATE_NONE ? sentinel.myid : "*";
        slink_command(si->cc, on_is_master_down_reply, NULL,
                      "SENTINEL is-master-down-by-addr %s %s %s %s", m->ip, port, epoch, runid);
    }
}

const char *election_vote(instance *m, uint64_t req_epoch, const char *req_runid,
                          uint64_t *leader_epoch)
{
    if (req_epoch > sentinel.current_epoch) {
        sentinel.current_epoch = req_epoch;
        config_flush();
        sentinel_event(LOG_WARNING, "+new-epoch", m, "%llu",
                       (unsigned long long)sentinel.current_epoch);
    }
    if (m->leader_epoch < req_epoch && sentinel.current_epoch <= req_epoch) {
        free(m->leader);
        m->leader = strdup(req_runid);
        m->leader_epoch = sentinel.current_epoch;
        config_flush();
        sentinel_event(LOG_WARNING, "+vote-for-leader", m, "%s %llu", m->leader,
                       (unsigned long long)m->leader_epoch);
        /* Voting for another: give its failover time before trying ours. */
        if (strcmp(m->leader, sentinel.myid))
            m->failover_start_time = util_mstime() + rand() % 100;
    }
    *leader_epoch = m->leader_epoch;
    return m->leader ? m->leader : "*";
}

const char *election_get_leader(instance *m, uint64_t epoch)
{
    static char winner_id[SENTINEL_RUNID_LEN + 1];
    /* Tally the votes the others told us about for this epoch. */
    const char *ids[64];
    int votes[64];
    int n = 0;
    int voters = m->nsentinels + 1;
    for (int i = 0; i < m->nsentinels; i++) {
        instance *si = m->sentinels[i];
        if (!si->leader || si->leader_epoch != epoch)
            continue;
        int j;
        for (j = 0; j < n; j++)
            if (!strcmp(ids[j], si->leader))
                break;
        if (j == n) {
            if (n == 64)
                continue;
            ids[n] = si->leader;
            votes[n++] = 0;
        }
        votes[j]++;
    }
    const char *winner = NULL;
    int max = 0;
    for (int j = 0; j < n; j++) {
        if (votes[j] > max || (votes[j] == max && winner && strcmp(ids[j], winner) > 0)) {
            max = votes[j];
            winner = ids[j];
        }
    }
    /* Our own vote: for the current winner if there is one, else for us. */
    uint64_t leader_epoch;
    char chosen[SENTINEL_RUNID_LEN + 1];
    snprintf(chosen, sizeof(chosen), "%s", winner ? winner : sentinel.myid);
    const char *mine = election_vote(m, epoch, chosen, &leader_epoch);
    if (leader_epoch == epoch && mine && strcmp(mine, "*")) {
        int j;
        for (j = 0; j < n; j++)
            if (!strcmp(ids[j], mine))
                break;
        int v = (j < n ? votes[j] : 0) + 1;
        if (v > max) {
            max = v;
            winner = mine;
        } else if (winner && !strcmp(winner, mine)) {
            max = v;
        }
    }
    int needed = voters / 2 + 1;
    if (!winner || max < needed || max < m->quorum)
        return NULL;
    snprintf(winner_id, sizeof(winner_id), "%s", winner);
    return winner_id;
}
