/* command_table.c: keel-sentinel's command table and what reads it: the
 * checks every request goes through before it runs, in Redis's order (the
 * command exists, its arity fits, the client has authenticated if it must,
 * and a subscribed client runs only pub/sub commands), COMMAND and its
 * subcommands, and the answers ACL CAT and ACL DRYRUN take from the table.
 * It also holds the few commands about the server as a whole: PING, INFO,
 * ROLE and SHUTDOWN.
 *
 * The table lists every command, in the order Redis Sentinel 7.0's COMMAND
 * shows them; the handlers are here, in commands.c (SENTINEL ...), in
 * client_cmds.c (AUTH, HELLO, CLIENT, ACL) and in client.c (pub/sub). */
#include <ctype.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "client.h"
#include "util.h"

typedef void command_fn(sclient *c);

/* One command or subcommand.  The strings are COMMAND INFO's fields as
 * space-separated words; summary..complexity are COMMAND DOCS's. */
typedef struct scommand {
    const char *name; /* full name: "sentinel|masters" */
    int arity;        /* Redis's: n exactly, or -n at least */
    command_fn *fn;
    const char *flags;
    const char *acl_categories;
    const char *tips;
    const char *summary, *since, *group, *complexity;
    const struct scommand *subs; /* a container's subcommands */
    int nsubs;
} scommand;

/* The part of a full name after '|' (the whole name for a command). */
static const char *command_short_name(const scommand *cmd)
{
    const char *bar = strchr(cmd->name, '|');
    return bar ? bar + 1 : cmd->name;
}

/* ------------------------------------------------------------ PING, ROLE, SHUTDOWN */

static void ping_command(sclient *c)
{
    if (c->argc > 2) {
        reply_error(c, "ERR wrong number of arguments for 'ping' command");
        return;
    }
    /* A subscribed RESP2 client gets PING's answer in pub/sub's shape. */
    if (client_subscriptions(c)) {
        reply_array_len(c, 2);
        reply_bulk_cstr(c, "pong");
        if (c->argc == 2)
            reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
        else
            reply_bulk(c, "", 0);
        return;
    }
    if (c->argc == 2)
        reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
    else
        reply_simple(c, "PONG");
}

static void role_command(sclient *c)
{
    reply_array_len(c, 2);
    reply_bulk_cstr(c, "sentinel");
    reply_array_len(c, sentinel.nmasters);
    for (int i = 0; i < sentinel.nmasters; i++)
        reply_bulk_cstr(c, sentinel.masters[i]->name);
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: the sentinel has nothing to
 * save but its config, which sentinel_shutdown writes. */
static void shutdown_command(sclient *c)
{
    int nosave = 0, save = 0, other = 0, abort_req = 0;
    for (int i = 1; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "nosave")) {
            nosave = 1;
        } else if (arg_is(&c->argv[i], "save")) {
            save = 1;
        } else if (arg_is(&c->argv[i], "now") || arg_is(&c->argv[i], "force")) {
            other = 1;
        } else if (arg_is(&c->argv[i], "abort")) {
            abort_req = 1;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if ((abort_req && (nosave || save || other)) || (nosave && save)) {
        reply_error_syntax(c);
        return;
    }
    if (abort_req) {
        reply_error(c, "ERR No shutdown in progress.");
        return;
    }
    sentinel_shutdown(); /* logs, saves the config and exits */
}

/* ------------------------------------------------------------ INFO */

enum { INFO_SERVER = 1, INFO_CLIENTS = 2, INFO_STATS = 4, INFO_CPU = 8, INFO_SENTINEL = 16 };

static const char *info_executable(char *tmp, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", tmp, size - 1);
    tmp[n > 0 ? n : 0] = '\0';
    return tmp;
}

/* Redis's run_id is random per process, unlike the sentinel's persistent
 * myid. */
static const char *info_run_id(void)
{
    static char runid[SENTINEL_RUNID_LEN + 1];
    if (!runid[0])
        util_random_hex(runid, SENTINEL_RUNID_LEN);
    return runid;
}

static unsigned long long info_build_id(void)
{
    static const char stamp[] = SENTINEL_REDIS_VERSION " " __DATE__ " " __TIME__;
    return (unsigned long long)util_crc64(0, stamp, sizeof(stamp) - 1);
}

static buf info_server(buf out)
{
    struct utsname name;
    if (uname(&name) != 0)
        memset(&name, 0, sizeof(name));
    char exe[1024];
    int64_t now_us = util_ustime();
    long long uptime = (now_us / 1000 - sentinel.start_time) / 1000;
#if defined(__GNUC__)
    int gcc[3] = {__GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__};
#else
    int gcc[3] = {0, 0, 0};
#endif
    return buf_cat_printf(
        out,
        "# Server\r\n"
        "redis_version:%s\r\n"
        "redis_git_sha1:00000000\r\n"
        "redis_git_dirty:0\r\n"
        "redis_build_id:%llx\r\n"
        "redis_mode:sentinel\r\n"
        "os:%s %s %s\r\n"
        "arch_bits:%d\r\n"
        "monotonic_clock:POSIX clock_gettime\r\n"
        "multiplexing_api:%s\r\n"
        "atomicvar_api:c11-builtin\r\n"
        "gcc_version:%d.%d.%d\r\n"
        "process_id:%ld\r\n"
        "process_supervised:no\r\n"
        "run_id:%s\r\n"
        "tcp_port:%d\r\n"
        "server_time_usec:%lld\r\n"
        "uptime_in_seconds:%lld\r\n"
        "uptime_in_days:%lld\r\n"
        "hz:%d\r\n"
        "configured_hz:%d\r\n"
        "lru_clock:%lld\r\n"
        "executable:%s\r\n"
        "config_file:%s\r\n"
        "io_threads_active:0\r\n",
        SENTINEL_REDIS_VERSION, info_build_id(), name.sysname, name.release, name.machine,
        (int)(sizeof(long) * 8), ev_backend(sentinel.loop) == EVBACKEND_EPOLL ? "epoll" : "libev",
        gcc[0], gcc[1], gcc[2], (long)getpid(), info_run_id(), sentinel.port, (long long)now_us,
        uptime, uptime / 86400, 1000 / SENTINEL_TIMER_PERIOD, 1000 / SENTINEL_TIMER_PERIOD,
        (long long)((now_us / 1000000) & ((1 << 24) - 1)), info_executable(exe, sizeof(exe)),
        sentinel.config_file ? sentinel.config_file : "");
}

static buf info_clients(buf out)
{
    size_t max_in, max_out;
    client_recent_buffers(&max_in, &max_out);
    return buf_cat_printf(out,
                          "# Clients\r\n"
                          "connected_clients:%d\r\n"
                          "cluster_connections:0\r\n"
                          "maxclients:10000\r\n"
                          "client_recent_max_input_buffer:%zu\r\n"
                          "client_recent_max_output_buffer:%zu\r\n"
                          "blocked_clients:0\r\n"
                          "tracking_clients:0\r\n"
                          "clients_in_timeout_table:0\r\n",
                          client_count(), max_in, max_out);
}

static buf info_stats(buf out)
{
    const client_stats *st = &client_stats_counters;
    return buf_cat_printf(
        out,
        "# Stats\r\ntotal_connections_received:%lld\r\ntotal_commands_processed:%lld\r\n"
        "instantaneous_ops_per_sec:0\r\ntotal_net_input_bytes:%lld\r\n"
        "total_net_output_bytes:%lld\r\ntotal_net_repl_input_bytes:0\r\n"
        "total_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:0.00\r\n"
        "instantaneous_output_kbps:0.00\r\ninstantaneous_input_repl_kbps:0.00\r\n"
        "instantaneous_output_repl_kbps:0.00\r\nrejected_connections:%lld\r\nsync_full:0\r\n"
        "sync_partial_ok:0\r\nsync_partial_err:0\r\nexpired_keys:0\r\n"
        "expired_stale_perc:0.00\r\nexpired_time_cap_reached_count:0\r\n"
        "expire_cycle_cpu_milliseconds:0\r\nevicted_keys:0\r\nevicted_clients:0\r\n"
        "total_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\n"
        "keyspace_hits:0\r\nkeyspace_misses:0\r\npubsub_channels:%d\r\npubsub_patterns:%d\r\n"
        "pubsubshard_channels:0\r\nlatest_fork_usec:0\r\ntotal_forks:0\r\n"
        "migrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\n"
        "active_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\n"
        "total_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\n"
        "tracking_total_keys:0\r\ntracking_total_items:0\r\ntracking_total_prefixes:0\r\n"
        "unexpected_error_replies:0\r\ntotal_error_replies:%lld\r\n"
        "dump_payload_sanitizations:0\r\ntotal_reads_processed:%lld\r\n"
        "total_writes_processed:%lld\r\nio_threaded_reads_processed:0\r\n"
        "io_threaded_writes_processed:0\r\nreply_buffer_shrinks:0\r\n"
        "reply_buffer_expands:0\r\n",
        st->connections_received, st->commands_processed, st->net_input_bytes, st->net_output_bytes,
        st->rejected_connections, client_pubsub_channel_count(), client_pubsub_pattern_count(),
        st->error_replies, st->reads_processed, st->writes_processed);
}

static buf info_cat_rusage(buf out, const char *name, const struct timeval *tv)
{
    return buf_cat_printf(out, "%s:%ld.%06ld\r\n", name, (long)tv->tv_sec, (long)tv->tv_usec);
}

static buf info_cpu(buf out)
{
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    out = buf_cat_cstr(out, "# CPU\r\n");
    out = info_cat_rusage(out, "used_cpu_sys", &self.ru_stime);
    out = info_cat_rusage(out, "used_cpu_user", &self.ru_utime);
    out = info_cat_rusage(out, "used_cpu_sys_children", &children.ru_stime);
    out = info_cat_rusage(out, "used_cpu_user_children", &children.ru_utime);
#ifdef RUSAGE_THREAD
    struct rusage thread;
    getrusage(RUSAGE_THREAD, &thread);
    out = info_cat_rusage(out, "used_cpu_sys_main_thread", &thread.ru_stime);
    out = info_cat_rusage(out, "used_cpu_user_main_thread", &thread.ru_utime);
#endif
    return out;
}

static const char *master_status(const instance *m)
{
    if (m->flags & SRI_O_DOWN)
        return "odown";
    if (m->flags & SRI_S_DOWN)
        return "sdown";
    return "ok";
}

static buf info_sentinel(buf out)
{
    int64_t now = util_mstime();
    out =
        buf_cat_printf(out,
                       "# Sentinel\r\n"
                       "sentinel_masters:%d\r\n"
                       "sentinel_tilt:%d\r\n"
                       "sentinel_tilt_since_seconds:%lld\r\n"
                       "sentinel_running_scripts:0\r\n"
                       "sentinel_scripts_queue_length:0\r\n"
                       "sentinel_simulate_failure_flags:%d\r\n",
                       sentinel.nmasters, sentinel.tilt ? 1 : 0,
                       sentinel.tilt ? (long long)((now - sentinel.tilt_start_time) / 1000) : -1LL,
                       sentinel.simfailure_flags);
    for (int i = 0; i < sentinel.nmasters; i++) {
        instance *m = sentinel.masters[i];
        const char *ip;
        int port;
        master_client_addr(m, &ip, &port);
        out = buf_cat_printf(
            out, "master%d:name=%s,status=%s,address=%s:%d,slaves=%d,sentinels=%d\r\n", i, m->name,
            master_status(m), ip, port, m->nreplicas, m->nsentinels + 1);
    }
    return out;
}

/* INFO [section ...]: Sentinel knows server, clients, stats, cpu and
 * sentinel; "default", "all" and "everything" mean all five; others are
 * ignored (an empty reply when nothing is left). */
static void info_command(sclient *c)
{
    int want = 0;
    if (c->argc == 1)
        want = ~0;
    for (int i = 1; i < c->argc; i++) {
        const resp_arg *a = &c->argv[i];
        if (arg_is(a, "default") || arg_is(a, "all") || arg_is(a, "everything"))
            want = ~0;
        else if (arg_is(a, "server"))
            want |= INFO_SERVER;
        else if (arg_is(a, "clients"))
            want |= INFO_CLIENTS;
        else if (arg_is(a, "stats"))
            want |= INFO_STATS;
        else if (arg_is(a, "cpu"))
            want |= INFO_CPU;
        else if (arg_is(a, "sentinel"))
            want |= INFO_SENTINEL;
    }
    static const struct {
        int bit;
        buf (*gen)(buf);
    } sections[] = {{INFO_SERVER, info_server},
                    {INFO_CLIENTS, info_clients},
                    {INFO_STATS, info_stats},
                    {INFO_CPU, info_cpu},
                    {INFO_SENTINEL, info_sentinel}};
    buf out = buf_empty();
    for (int i = 0; i < COUNT_OF(sections); i++) {
        if (!(want & sections[i].bit))
            continue;
        if (buf_len(out))
            out = buf_cat(out, "\r\n", 2);
        out = sections[i].gen(out);
    }
    reply_bulk(c, out, buf_len(out));
    buf_free(out);
}

/* ------------------------------------------------------------ the table */

static void command_command(sclient *c);
static void command_list_command(sclient *c);
static void command_getkeysandflags_command(sclient *c);
static void command_info_command(sclient *c);
static void command_count_command(sclient *c);
static void command_getkeys_command(sclient *c);
static void command_help_command(sclient *c);
static void command_docs_command(sclient *c);

/* In the order Redis Sentinel 7.0's COMMAND lists them. */
/* Flags, ACL categories and tips most entries share. */
#define SENTINEL_SUB "admin", "@admin @slow @dangerous", ""
#define CONN_SUB "noscript loading stale", "@slow @connection", ""
#define CONN_ADMIN "admin noscript loading stale", "@admin @slow @dangerous @connection", ""
#define ACL_SUB "noscript loading stale", "@slow", ""
#define ACL_ADMIN "admin noscript loading stale", "@admin @slow @dangerous", ""
#define COMMAND_SUB "loading stale", "@slow @connection", ""

static const scommand command_subcommands[] = {
    {"command|list", -2, command_list_command, "loading stale", "@slow @connection",
     "nondeterministic_output_order", "Get an array of Redis command names", "7.0.0", "server",
     "O(N) where N is the total number of Redis commands"},
    {"command|getkeysandflags", -4, command_getkeysandflags_command, COMMAND_SUB,
     "Extract keys and access flags given a full Redis command", "7.0.0", "server",
     "O(N) where N is the number of arguments to the command"},
    {"command|info", -2, command_info_command, "loading stale", "@slow @connection",
     "nondeterministic_output_order",
     "Get array of specific Redis command details, or all when no argument is given.", "2.8.13",
     "server", "O(N) where N is the number of commands to look up"},
    {"command|count", 2, command_count_command, COMMAND_SUB, "Get total number of Redis commands",
     "2.8.13", "server", "O(1)"},
    {"command|getkeys", -4, command_getkeys_command, COMMAND_SUB,
     "Extract keys given a full Redis command", "2.8.13", "server",
     "O(N) where N is the number of arguments to the command"},
    {"command|help", 2, command_help_command, COMMAND_SUB,
     "Show helpful text about the different subcommands", "5.0.0", "server", "O(1)"},
    {"command|docs", -2, command_docs_command, "loading stale", "@slow @connection",
     "nondeterministic_output_order", "Get array of specific Redis command documentation", "7.0.0",
     "server", "O(N) where N is the number of commands to look up"},
};
static const scommand client_subcommands[] = {
    {"client|reply", 3, client_reply_command, CONN_SUB,
     "Instruct the server whether to reply to commands", "3.2.0", "connection", "O(1)"},
    {"client|no-evict", 3, client_no_evict_command, CONN_ADMIN,
     "Set client eviction mode for the current connection", "7.0.0", "connection", "O(1)"},
    {"client|tracking", -3, client_tracking_command, CONN_SUB,
     "Enable or disable server assisted client side caching support", "6.0.0", "connection",
     "O(1). Some options may introduce additional complexity."},
    {"client|setname", 3, client_setname_command, CONN_SUB, "Set the current connection name",
     "2.6.9", "connection", "O(1)"},
    {"client|unpause", 2, client_unpause_command, CONN_ADMIN,
     "Resume processing of clients that were paused", "6.2.0", "connection",
     "O(N) Where N is the number of paused clients"},
    {"client|caching", 3, client_caching_command, CONN_SUB,
     "Instruct the server about tracking or not keys in the next request", "6.0.0", "connection",
     "O(1)"},
    {"client|help", 2, client_help_command, COMMAND_SUB,
     "Show helpful text about the different subcommands", "5.0.0", "connection", "O(1)"},
    {"client|pause", -3, client_pause_command, CONN_ADMIN,
     "Stop processing commands from clients for some time", "2.9.50", "connection", "O(1)"},
    {"client|getredir", 2, client_getredir_command, CONN_SUB,
     "Get tracking notifications redirection client ID if any", "6.0.0", "connection", "O(1)"},
    {"client|unblock", -3, client_unblock_command, CONN_ADMIN,
     "Unblock a client blocked in a blocking command from a different connection", "5.0.0",
     "connection", "O(log N) where N is the number of client connections"},
    {"client|id", 2, client_id_command, CONN_SUB,
     "Returns the client ID for the current connection", "5.0.0", "connection", "O(1)"},
    {"client|list", -2, client_list_command, "admin noscript loading stale",
     "@admin @slow @dangerous @connection", "nondeterministic_output",
     "Get the list of client connections", "2.4.0", "connection",
     "O(N) where N is the number of client connections"},
    {"client|getname", 2, client_getname_command, CONN_SUB, "Get the current connection name",
     "2.6.9", "connection", "O(1)"},
    {"client|info", 2, client_info_command, "noscript loading stale", "@slow @connection",
     "nondeterministic_output", "Returns information about the current client connection.", "6.2.0",
     "connection", "O(1)"},
    {"client|trackinginfo", 2, client_trackinginfo_command, CONN_SUB,
     "Return information about server assisted client side caching for the current connection",
     "6.2.0", "connection", "O(1)"},
    {"client|kill", -3, client_kill_command, CONN_ADMIN, "Kill the connection of a client", "2.4.0",
     "connection", "O(N) where N is the number of client connections"},
};
static const scommand acl_subcommands[] = {
    {"acl|getuser", 3, acl_getuser_command, ACL_ADMIN, "Get the rules for a specific ACL user",
     "6.0.0", "server",
     "O(N). Where N is the number of password, command and pattern rules that the user has."},
    {"acl|genpass", -2, acl_genpass_command, ACL_SUB,
     "Generate a pseudorandom secure password to use for ACL users", "6.0.0", "server", "O(1)"},
    {"acl|users", 2, acl_users_command, ACL_ADMIN,
     "List the username of all the configured ACL rules", "6.0.0", "server",
     "O(N). Where N is the number of configured users."},
    {"acl|deluser", -3, acl_deluser_command, ACL_ADMIN,
     "Remove the specified ACL users and the associated rules", "6.0.0", "server",
     "O(1) amortized time considering the typical user."},
    {"acl|cat", -2, acl_cat_command, ACL_SUB,
     "List the ACL categories or the commands inside a category", "6.0.0", "server",
     "O(1) since the categories and commands are a fixed set."},
    {"acl|load", 2, acl_load_command, ACL_ADMIN, "Reload the ACLs from the configured ACL file",
     "6.0.0", "server", "O(N). Where N is the number of configured users."},
    {"acl|setuser", -3, acl_setuser_command, ACL_ADMIN,
     "Modify or create the rules for a specific ACL user", "6.0.0", "server",
     "O(N). Where N is the number of rules provided."},
    {"acl|save", 2, acl_save_command, ACL_ADMIN,
     "Save the current ACL rules in the configured ACL file", "6.0.0", "server",
     "O(N). Where N is the number of configured users."},
    {"acl|help", 2, acl_help_command, "loading stale", "@slow", "",
     "Show helpful text about the different subcommands", "6.0.0", "server", "O(1)"},
    {"acl|whoami", 2, acl_whoami_command, ACL_SUB,
     "Return the name of the user associated to the current connection", "6.0.0", "server", "O(1)"},
    {"acl|list", 2, acl_list_command, ACL_ADMIN,
     "List the current ACL rules in ACL config file format", "6.0.0", "server",
     "O(N). Where N is the number of configured users."},
    {"acl|log", -2, acl_log_command, ACL_ADMIN,
     "List latest events denied because of ACLs in place", "6.0.0", "server",
     "O(N) with N being the number of entries shown."},
    {"acl|dryrun", -4, acl_dryrun_command, ACL_ADMIN,
     "Returns whether the user can execute the given command without executing the command.",
     "7.0.0", "server", "O(1)."},
};
static const scommand sentinel_subcommands[] = {
    {"sentinel|set", -5, sentinel_set_command, SENTINEL_SUB,
     "Change the configuration of a monitored master", "2.8.4", "sentinel", "O(1)"},
    {"sentinel|monitor", 6, sentinel_monitor_command, SENTINEL_SUB, "Start monitoring", "2.8.4",
     "sentinel", "O(1)"},
    {"sentinel|flushconfig", 2, sentinel_flushconfig_command, SENTINEL_SUB,
     "Rewrite configuration file", "2.8.4", "sentinel", "O(1)"},
    {"sentinel|replicas", 3, sentinel_replicas_command, SENTINEL_SUB, "List the monitored replicas",
     "5.0.0", "sentinel", "O(N) where N is the number of replicas"},
    {"sentinel|sentinels", 3, sentinel_sentinels_command, SENTINEL_SUB,
     "List the Sentinel instances", "2.8.4", "sentinel", "O(N) where N is the number of Sentinels"},
    {"sentinel|info-cache", -3, sentinel_info_cache_command, SENTINEL_SUB,
     "Get cached INFO from the instances in the deployment", "3.2.0", "sentinel",
     "O(N) where N is the number of instances"},
    {"sentinel|myid", 2, sentinel_myid_command, SENTINEL_SUB, "Get the Sentinel instance ID",
     "6.2.0", "sentinel", "O(1)"},
    {"sentinel|masters", 2, sentinel_masters_command, SENTINEL_SUB, "List the monitored masters",
     "2.8.4", "sentinel", "O(N) where N is the number of masters"},
    {"sentinel|remove", 3, sentinel_remove_command, SENTINEL_SUB, "Stop monitoring", "2.8.4",
     "sentinel", "O(1)"},
    {"sentinel|simulate-failure", -3, sentinel_simulate_failure_command, SENTINEL_SUB,
     "Simulate failover scenarios", "3.2.0", "sentinel", NULL},
    {"sentinel|is-master-down-by-addr", 6, sentinel_is_master_down_by_addr_command, SENTINEL_SUB,
     "Check if a master is down", "2.8.4", "sentinel", "O(1)"},
    {"sentinel|debug", -2, sentinel_debug_command, SENTINEL_SUB,
     "List or update the current configurable parameters", "7.0.0", "sentinel",
     "O(N) where N is the number of configurable parameters"},
    {"sentinel|help", 2, sentinel_help_command, "loading stale", "@slow", "",
     "Show helpful text about the different subcommands", "6.2.0", "sentinel", "O(1)"},
    {"sentinel|master", 3, sentinel_master_command, SENTINEL_SUB, "Shows the state of a master",
     "2.8.4", "sentinel", "O(1)"},
    {"sentinel|ckquorum", 3, sentinel_ckquorum_command, SENTINEL_SUB, "Check for a Sentinel quorum",
     "2.8.4", "sentinel", NULL},
    {"sentinel|pending-scripts", 2, sentinel_pending_scripts_command, SENTINEL_SUB,
     "Get information about pending scripts", "2.8.4", "sentinel", NULL},
    {"sentinel|reset", 3, sentinel_reset_command, SENTINEL_SUB, "Reset masters by name pattern",
     "2.8.4", "sentinel", "O(N) where N is the number of monitored masters"},
    {"sentinel|get-master-addr-by-name", 3, sentinel_get_master_addr_by_name_command, SENTINEL_SUB,
     "Get port and address of a master", "2.8.4", "sentinel", "O(1)"},
    {"sentinel|failover", 3, sentinel_failover_command, SENTINEL_SUB, "Force a failover", "2.8.4",
     "sentinel", NULL},
    {"sentinel|slaves", 3, sentinel_replicas_command, SENTINEL_SUB, "List the monitored slaves",
     "2.8.0", "sentinel", "O(N) where N is the number of slaves"},
    {"sentinel|config", -3, sentinel_config_command, SENTINEL_SUB, "Configure Sentinel", "6.2.0",
     "sentinel", "O(1)"},
};
static const scommand command_table[] = {
    {"command", -1, command_command, "loading stale", "@slow @connection",
     "nondeterministic_output_order", "Get array of Redis command details", "2.8.13", "server",
     "O(N) where N is the total number of Redis commands", command_subcommands,
     COUNT_OF(command_subcommands)},
    {"client", -2, NULL, "", "@slow", "", "A container for client connection commands", "2.4.0",
     "connection", "Depends on subcommand.", client_subcommands, COUNT_OF(client_subcommands)},
    {"acl", -2, NULL, "", "@slow", "", "A container for Access List Control commands ", "6.0.0",
     "server", "Depends on subcommand.", acl_subcommands, COUNT_OF(acl_subcommands)},
    {"punsubscribe", -1, punsubscribe_command, "pubsub noscript loading stale", "@pubsub @slow", "",
     "Stop listening for messages posted to channels matching the given patterns", "2.0.0",
     "pubsub",
     "O(N+M) where N is the number of patterns the client is already subscribed and M is the "
     "number of total patterns subscribed in the system (by any client)."},
    {"publish", 3, publish_command, "pubsub loading stale fast", "@pubsub @fast", "",
     "Post a message to a channel", "2.0.0", "pubsub",
     "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the "
     "total number of subscribed patterns (by any client)."},
    {"subscribe", -2, subscribe_command, "pubsub noscript loading stale", "@pubsub @slow", "",
     "Listen for messages published to the given channels", "2.0.0", "pubsub",
     "O(N) where N is the number of channels to subscribe to."},
    {"psubscribe", -2, psubscribe_command, "pubsub noscript loading stale", "@pubsub @slow", "",
     "Listen for messages published to channels matching the given patterns", "2.0.0", "pubsub",
     "O(N) where N is the number of patterns the client is already subscribed to."},
    {"hello", -1, hello_command, "noscript loading stale fast no_auth allow_busy",
     "@fast @connection", "", "Handshake with Redis", "6.0.0", "connection", "O(1)"},
    {"ping", -1, ping_command, "fast", "@fast @connection",
     "request_policy:all_shards response_policy:all_succeeded", "Ping the server", "1.0.0",
     "connection", "O(1)"},
    {"auth", -2, auth_command, "noscript loading stale fast no_auth allow_busy",
     "@fast @connection", "", "Authenticate to the server", "1.0.0", "connection",
     "O(N) where N is the number of passwords defined for the user"},
    {"sentinel", -2, NULL, SENTINEL_SUB, "A container for Sentinel commands", "2.8.4", "sentinel",
     "Depends on subcommand.", sentinel_subcommands, COUNT_OF(sentinel_subcommands)},
    {"unsubscribe", -1, unsubscribe_command, "pubsub noscript loading stale", "@pubsub @slow", "",
     "Stop listening for messages posted to the given channels", "2.0.0", "pubsub",
     "O(N) where N is the number of clients already subscribed to a channel."},
    {"shutdown", -1, shutdown_command, "admin noscript loading stale no_multi allow_busy",
     "@admin @slow @dangerous", "",
     "Synchronously save the dataset to disk and then shut down the server", "1.0.0", "server",
     "O(N) when saving, where N is the total number of keys in all databases when saving data, "
     "otherwise O(1)"},
    {"role", 1, role_command, "noscript loading stale fast", "@admin @fast @dangerous", "",
     "Return the role of the instance in the context of replication", "2.8.12", "server", "O(1)"},
    {"info", -1, info_command, "loading stale", "@slow @dangerous",
     "nondeterministic_output request_policy:all_shards response_policy:special",
     "Get information and statistics about the server", "1.0.0", "server", "O(1)"},
};

static const scommand *command_find(const scommand *v, int n, const resp_arg *name, int sub)
{
    for (int i = 0; i < n; i++) {
        const char *s = sub ? command_short_name(&v[i]) : v[i].name;
        if (arg_is(name, s))
            return &v[i];
    }
    return NULL;
}

/* The command argv names, as Redis finds it: a container's subcommand when
 * there is one, the container itself when it has no argument. */
static const scommand *command_lookup(int argc, const resp_arg *argv)
{
    const scommand *cmd = command_find(command_table, COUNT_OF(command_table), &argv[0], 0);
    if (!cmd || !cmd->subs || argc < 2)
        return cmd;
    return command_find(cmd->subs, cmd->nsubs, &argv[1], 1);
}

/* A command (or "container|sub") by its full name, for COMMAND INFO/DOCS. */
static const scommand *command_lookup_fullname(const resp_arg *name)
{
    const char *bar = memchr(name->ptr, '|', name->len);
    if (!bar)
        return command_find(command_table, COUNT_OF(command_table), name, 0);
    resp_arg top = {name->ptr, (size_t)(bar - name->ptr)};
    resp_arg sub = {bar + 1, name->len - top.len - 1};
    const scommand *cmd = command_find(command_table, COUNT_OF(command_table), &top, 0);
    return cmd && cmd->subs ? command_find(cmd->subs, cmd->nsubs, &sub, 1) : NULL;
}

static int command_arity_ok(const scommand *cmd, int argc)
{
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* Redis quotes up to 128 bytes of the name and of the first arguments. */
static void reply_unknown_command(sclient *c)
{
    buf args = buf_empty();
    for (int i = 1; i < c->argc && buf_len(args) < 128; i++) {
        size_t room = 128 - buf_len(args);
        size_t alen = strnlen(c->argv[i].ptr, c->argv[i].len);
        args = buf_cat_printf(args, "'%.*s' ", (int)(alen < room ? alen : room), c->argv[i].ptr);
    }
    size_t nlen = strnlen(c->argv[0].ptr, c->argv[0].len);
    reply_errorf(c, "ERR unknown command '%.*s', with args beginning with: %s",
                 (int)(nlen < 128 ? nlen : 128), c->argv[0].ptr, args);
    buf_free(args);
}

static int command_allowed_while_subscribed(const scommand *cmd)
{
    static const char *const allowed[] = {"ping",         "subscribe",    "unsubscribe",
                                          "psubscribe",   "punsubscribe", "ssubscribe",
                                          "sunsubscribe", "quit",         "reset"};
    for (int i = 0; i < COUNT_OF(allowed); i++)
        if (strcmp(cmd->name, allowed[i]) == 0)
            return 1;
    return 0;
}

void command_process(sclient *c)
{
    const scommand *cmd = command_lookup(c->argc, c->argv);
    if (!cmd) {
        const scommand *top = command_find(command_table, COUNT_OF(command_table), &c->argv[0], 0);
        if (top && top->subs)
            reply_error_unknown_subcommand(c);
        else
            reply_unknown_command(c);
        return;
    }
    c->cmd_name = cmd->name;
    if (!command_arity_ok(cmd, c->argc)) {
        reply_errorf(c, "ERR wrong number of arguments for '%s' command", cmd->name);
        return;
    }
    if (!(c->flags & SC_AUTHENTICATED) && !list_has(cmd->flags, ' ', "no_auth")) {
        reply_error(c, "NOAUTH Authentication required.");
        return;
    }
    if (client_subscriptions(c) && c->resp == 2 && !command_allowed_while_subscribed(cmd)) {
        reply_errorf(c,
                     "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                     "QUIT / RESET are allowed in this context",
                     cmd->name);
        return;
    }
    client_stats_counters.commands_processed++;
    cmd->fn(c);
}

void command_dryrun(sclient *c, int argc, const resp_arg *argv)
{
    const scommand *cmd = command_lookup(argc, argv);
    if (!cmd) {
        reply_errorf(c, "ERR Command '%.*s' not found", (int)argv[0].len, argv[0].ptr);
        return;
    }
    if (!command_arity_ok(cmd, argc)) {
        reply_errorf(c, "ERR wrong number of arguments for '%s' command", cmd->name);
        return;
    }
    reply_ok(c); /* the default user may run everything */
}

/* ------------------------------------------------------------ COMMAND */

static buf add_words(buf b, const char *words, int simple)
{
    int n = 0;
    for (const char *p = words; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        n++;
        while (*p && *p != ' ')
            p++;
    }
    b = resp_add_array_len(b, n);
    for (const char *p = words; *p;) {
        while (*p == ' ')
            p++;
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        if (p > s)
            b = simple ? resp_add_simple(b, s, (size_t)(p - s))
                       : resp_add_bulk(b, s, (size_t)(p - s));
    }
    return b;
}

/* COMMAND INFO's ten fields: name, arity, flags, first/last key and step
 * (no sentinel command has keys), ACL categories, tips, key specs,
 * subcommands. */
static buf command_info_entry(buf b, const scommand *cmd)
{
    b = resp_add_array_len(b, 10);
    b = resp_add_bulk_cstr(b, cmd->name);
    b = resp_add_int(b, cmd->arity);
    b = add_words(b, cmd->flags, 1);
    b = resp_add_int(b, 0);
    b = resp_add_int(b, 0);
    b = resp_add_int(b, 0);
    b = add_words(b, cmd->acl_categories, 1);
    b = add_words(b, cmd->tips, 0);
    b = resp_add_array_len(b, 0);
    b = resp_add_array_len(b, cmd->nsubs);
    for (int i = 0; i < cmd->nsubs; i++)
        b = command_info_entry(b, &cmd->subs[i]);
    return b;
}

/* COMMAND DOCS, kept to the summary, version, group and complexity. */
static buf command_docs_entry(buf b, const scommand *cmd)
{
    b = resp_add_bulk_cstr(b, cmd->name);
    b = resp_add_array_len(b, cmd->nsubs ? 10 : 8);
    b = resp_add_bulk_cstr(b, "summary");
    b = resp_add_bulk_cstr(b, cmd->summary);
    b = resp_add_bulk_cstr(b, "since");
    b = resp_add_bulk_cstr(b, cmd->since);
    b = resp_add_bulk_cstr(b, "group");
    b = resp_add_bulk_cstr(b, cmd->group);
    b = resp_add_bulk_cstr(b, "complexity");
    b = resp_add_bulk_cstr(b, cmd->complexity);
    if (cmd->nsubs) {
        b = resp_add_bulk_cstr(b, "subcommands");
        b = resp_add_array_len(b, 2LL * cmd->nsubs);
        for (int i = 0; i < cmd->nsubs; i++)
            b = command_docs_entry(b, &cmd->subs[i]);
    }
    return b;
}

static void command_command(sclient *c)
{
    buf b = resp_add_array_len(buf_empty(), COUNT_OF(command_table));
    for (int i = 0; i < COUNT_OF(command_table); i++)
        b = command_info_entry(b, &command_table[i]);
    reply_buf(c, b);
}

static void command_count_command(sclient *c)
{
    reply_int(c, COUNT_OF(command_table));
}

static void command_info_command(sclient *c)
{
    if (c->argc == 2) {
        command_command(c);
        return;
    }
    buf b = resp_add_array_len(buf_empty(), c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const scommand *cmd = command_lookup_fullname(&c->argv[i]);
        b = cmd ? command_info_entry(b, cmd) : resp_add_nil(b, 0);
    }
    reply_buf(c, b);
}

static void command_docs_command(sclient *c)
{
    buf body = buf_empty();
    int n = 0;
    if (c->argc == 2) {
        for (int i = 0; i < COUNT_OF(command_table); i++, n++)
            body = command_docs_entry(body, &command_table[i]);
    } else {
        for (int i = 2; i < c->argc; i++) {
            const scommand *cmd = command_lookup_fullname(&c->argv[i]);
            if (cmd) {
                body = command_docs_entry(body, cmd);
                n++;
            }
        }
    }
    reply_array_len(c, 2LL * n);
    reply_buf(c, body);
}

enum { LIST_ALL, LIST_MODULE, LIST_ACLCAT, LIST_PATTERN };

/* Reply full names, subcommands included, in the table's order: every one,
 * those of a module (Sentinel has none), those in an ACL category, or those
 * matching a glob pattern. */
static void reply_command_names(sclient *c, int by, const resp_arg *arg)
{
    char word[64] = "";
    if (by == LIST_ACLCAT) {
        size_t n = arg->len < sizeof(word) - 2 ? arg->len : sizeof(word) - 2;
        word[0] = '@';
        for (size_t i = 0; i < n; i++)
            word[i + 1] = (char)tolower((unsigned char)arg->ptr[i]);
        word[n + 1] = '\0';
    }
    buf b = buf_empty();
    int n = 0;
    for (int i = 0; i < COUNT_OF(command_table); i++) {
        for (int k = -1; k < command_table[i].nsubs; k++) {
            const scommand *cmd = k < 0 ? &command_table[i] : &command_table[i].subs[k];
            if (by == LIST_MODULE)
                continue;
            if (by == LIST_ACLCAT && !list_has(cmd->acl_categories, ' ', word))
                continue;
            if (by == LIST_PATTERN &&
                !util_glob_match(arg->ptr, arg->len, cmd->name, strlen(cmd->name), 1))
                continue;
            b = resp_add_bulk_cstr(b, cmd->name);
            n++;
        }
    }
    reply_array_len(c, n);
    reply_buf(c, b);
}

/* COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]. */
static void command_list_command(sclient *c)
{
    int by = LIST_ALL;
    const resp_arg *arg = NULL;
    if (c->argc == 5 && arg_is(&c->argv[2], "filterby")) {
        arg = &c->argv[4];
        if (arg_is(&c->argv[3], "module"))
            by = LIST_MODULE;
        else if (arg_is(&c->argv[3], "aclcat"))
            by = LIST_ACLCAT;
        else if (arg_is(&c->argv[3], "pattern"))
            by = LIST_PATTERN;
    }
    if (c->argc != 2 && by == LIST_ALL) {
        reply_error_syntax(c);
        return;
    }
    reply_command_names(c, by, arg);
}

int command_list_category(sclient *c, const char *category)
{
    static const char *const categories[] = {
        "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
        "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
        "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};
    if (!category) {
        reply_array_len(c, COUNT_OF(categories));
        for (int i = 0; i < COUNT_OF(categories); i++)
            reply_bulk_cstr(c, categories[i]);
        return 0;
    }
    int known = 0;
    for (int i = 0; i < COUNT_OF(categories); i++)
        known |= strcasecmp(categories[i], category) == 0;
    if (!known)
        return -1;
    resp_arg a = {category, strlen(category)};
    reply_command_names(c, LIST_ACLCAT, &a);
    return 0;
}

/* No sentinel command has key arguments. */
static void command_getkeys_command(sclient *c)
{
    const scommand *cmd = command_lookup(c->argc - 2, c->argv + 2);
    if (!cmd)
        reply_error(c, "ERR Invalid command specified");
    else if (!command_arity_ok(cmd, c->argc - 2))
        reply_error(c, "ERR Invalid number of arguments specified for command");
    else
        reply_error(c, "ERR The command has no key arguments");
}

static void command_getkeysandflags_command(sclient *c)
{
    command_getkeys_command(c);
}

static void command_help_command(sclient *c)
{
    static const char help[] =
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\n"
        "(no subcommand)\n    Return details about all Redis commands.\n"
        "COUNT\n    Return the total number of commands in this Redis server.\n"
        "LIST\n    Return a list of all commands in this Redis server.\n"
        "INFO [<command-name> ...]\n    Return details about multiple Redis commands.\n"
        "    If no command names are given, documentation details for all\n"
        "    commands are returned.\n"
        "DOCS [<command-name> ...]\n"
        "    Return documentation details about multiple Redis commands.\n"
        "    If no command names are given, documentation details for all\n"
        "    commands are returned.\n"
        "GETKEYS <full-command>\n    Return the keys from a full Redis command.\n"
        "GETKEYSANDFLAGS <full-command>\n"
        "    Return the keys and the access flags from a full Redis command.\n"
        "HELP\n    Prints this help.\n";
    reply_help(c, help);
}
