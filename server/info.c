/* info: the INFO command.  Owns the section table (names, Redis's order,
 * which sections "default" includes), the text of every section keel-server
 * can fill in, in Redis 7.0's field order and formats, and the memory
 * sampling behind the Memory section (used, peak and startup baseline).
 *
 * Dashboards, redis_exporter and sentinels parse this text, so a field is
 * printed only when its value is real.  Fields that measure a feature Keel
 * does not have (Lua, cluster, defrag, client tracking, ...) are constants
 * that are true for this binary; whoever adds the feature must feed them.
 * The Persistence, Replication and Latencystats sections belong to the
 * modules that own that state and are not produced here. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RUSAGE_THREAD */
#endif
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
/* ASan's allocator statistics (declared here: GCC ships no header). */
size_t __sanitizer_get_current_allocated_bytes(void);
size_t __sanitizer_get_heap_size(void);
#endif

#include "server.h"
#include "persist.h"
#include "aof.h"
#include "pause.h"
#include "replication.h"

#if defined(KEEL_HAVE_JEMALLOC)
#include <jemalloc/jemalloc.h>
#define INFO_STR2(x) #x
#define INFO_STR(x) INFO_STR2(x)
#define INFO_ALLOCATOR                                                                             \
    "jemalloc-" INFO_STR(JEMALLOC_VERSION_MAJOR) "." INFO_STR(                                     \
        JEMALLOC_VERSION_MINOR) "." INFO_STR(JEMALLOC_VERSION_BUGFIX)
#else
#define INFO_ALLOCATOR "libc"
#endif

/* ------------------------------------------------------- memory sampling */

static size_t info_peak_memory;    /* highest used_memory seen by a sample */
static size_t info_startup_memory; /* baseline: see info_track_peak_memory() */
static int info_startup_recorded;

/* Bytes handed out by malloc and not yet freed: the heap's in-use chunks
 * plus the mmap()ed large blocks.  With libc there is no cheap counter like
 * jemalloc's, so glibc's own accounting is asked (it walks the free lists,
 * which is why INFO and the cron sample it rather than every allocation).
 * Under AddressSanitizer malloc is ASan's, and so are the numbers. */
static size_t info_used_memory(size_t *allocator_active)
{
#if defined(KEEL_HAVE_JEMALLOC) && !defined(__SANITIZE_ADDRESS__)
    /* jemalloc keeps exact counters; the epoch refresh makes them current. */
    uint64_t epoch = 1;
    size_t sz = sizeof(epoch), allocated = 0, active = 0;
    mallctl("epoch", &epoch, &sz, &epoch, sz);
    sz = sizeof(size_t);
    mallctl("stats.allocated", &allocated, &sz, NULL, 0);
    if (allocator_active) {
        sz = sizeof(size_t);
        mallctl("stats.active", &active, &sz, NULL, 0);
        *allocator_active = active;
    }
    return allocated;
#elif defined(__SANITIZE_ADDRESS__)
    if (allocator_active)
        *allocator_active = __sanitizer_get_heap_size();
    return __sanitizer_get_current_allocated_bytes();
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    struct mallinfo2 mi = mallinfo2();
    if (allocator_active)
        *allocator_active = mi.arena + mi.hblkhd; /* obtained from the OS */
    return mi.uordblks + mi.hblkhd;
#else
    struct mallinfo mi = mallinfo();
    if (allocator_active)
        *allocator_active = (size_t)(unsigned)mi.arena + (size_t)(unsigned)mi.hblkhd;
    return (size_t)(unsigned)mi.uordblks + (size_t)(unsigned)mi.hblkhd;
#endif
}

/* Resident set size: the second field of /proc/self/statm, in pages. */
static size_t info_rss_memory(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    if (!fp)
        return 0;
    unsigned long size = 0, resident = 0;
    int n = fscanf(fp, "%lu %lu", &size, &resident);
    fclose(fp);
    if (n != 2)
        return 0;
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Sample used memory, raising the peak. */
static size_t info_sample_memory(size_t *allocator_active)
{
    size_t used = info_used_memory(allocator_active);
    if (used > info_peak_memory)
        info_peak_memory = used;
    return used;
}

/* Called by the cron on every tick.  Its first tick runs right after
 * server_init, before any client is served, so its first sample is the
 * startup baseline (used_memory_startup), as Redis measures it. */
void info_track_peak_memory(void)
{
    size_t used = info_sample_memory(NULL);
    if (!info_startup_recorded) {
        info_startup_memory = used;
        info_startup_recorded = 1;
    }
}

/* Redis's bytesToHuman: "512B", "967.26K", "1.02M", two decimals above 1K. */
static void info_bytes_to_human(char *dst, size_t size, unsigned long long n)
{
    static const char units[] = "KMGTP";
    if (n < 1024) {
        snprintf(dst, size, "%lluB", n);
        return;
    }
    double d = (double)n;
    for (int i = 0; units[i]; i++) {
        d /= 1024;
        if (d < 1024 || units[i + 1] == '\0') {
            /* Redis prints raw bytes beyond petabytes; so do we. */
            if (d >= 1024)
                snprintf(dst, size, "%lluB", n);
            else
                snprintf(dst, size, "%.2f%c", d, units[i]);
            return;
        }
    }
}

/* Names that go into a "name:value" line must not contain the characters
 * that structure the text (Redis's getSafeInfoString). */
static buf info_cat_safe(buf out, const char *p, size_t len)
{
    size_t start = buf_len(out);
    out = buf_cat(out, p, len);
    for (size_t i = start; i < buf_len(out); i++)
        if (out[i] != '\0' && strchr("#:\r\n", out[i]))
            out[i] = '_';
    return out;
}

/* ---------------------------------------------------------------- Server */

static const char *info_multiplexing_api(server *s)
{
    switch (ev_backend(s->loop)) {
    case EVBACKEND_EPOLL: return "epoll";
    case EVBACKEND_POLL: return "poll";
    case EVBACKEND_SELECT: return "select";
    case EVBACKEND_KQUEUE: return "kqueue";
    case EVBACKEND_PORT: return "evport";
    case EVBACKEND_DEVPOLL: return "devpoll";
#ifdef EVBACKEND_LINUXAIO
    case EVBACKEND_LINUXAIO: return "linuxaio";
#endif
#ifdef EVBACKEND_IOURING
    case EVBACKEND_IOURING: return "io_uring";
#endif
    default: return "unknown";
    }
}

/* A stable id for this build of the binary: what went into it and when. */
static unsigned long long info_build_id(void)
{
    static const char stamp[] = KEEL_VERSION " " KEEL_OWN_VERSION " " __DATE__ " " __TIME__
#ifdef __VERSION__
                                             " " __VERSION__
#endif
        ;
    return (unsigned long long)util_crc64(0, stamp, sizeof(stamp) - 1);
}

/* Redis reports the path it was started from; when main.c has not recorded
 * one, the kernel knows the binary we run. */
static const char *info_executable(server *s, char *tmp, size_t size)
{
    if (s->executable[0])
        return s->executable;
    ssize_t n = readlink("/proc/self/exe", tmp, size - 1);
    tmp[n > 0 ? n : 0] = '\0';
    return tmp;
}

static buf info_server(server *s, buf out)
{
    struct utsname name;
    if (uname(&name) != 0)
        memset(&name, 0, sizeof(name));
    char exe[1024];
    int64_t now_us = util_ustime();
    long long uptime = (now_us / 1000 - s->start_time_ms) / 1000;
    int hz = s->cfg.hz > 0 ? s->cfg.hz : 10;
#if defined(__GNUC__)
    int gcc[3] = {__GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__};
#else
    int gcc[3] = {0, 0, 0};
#endif
#if !defined(__STDC_NO_ATOMICS__)
    const char *atomic_api = "c11-builtin";
#else
    const char *atomic_api = "sync-builtin";
#endif
    return buf_cat_printf(
        out,
        "redis_version:%s\r\n"
        "keel_version:%s\r\n"
        "redis_git_sha1:00000000\r\n"
        "redis_git_dirty:0\r\n"
        "redis_build_id:%llx\r\n"
        "redis_mode:standalone\r\n"
        "os:%s %s %s\r\n"
        "arch_bits:%d\r\n"
        "monotonic_clock:POSIX clock_gettime\r\n"
        "multiplexing_api:%s\r\n"
        "atomicvar_api:%s\r\n"
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
        "lru_clock:%u\r\n"
        "executable:%s\r\n"
        "config_file:%s\r\n"
        "io_threads_active:0\r\n",
        KEEL_VERSION, KEEL_OWN_VERSION, info_build_id(), name.sysname, name.release, name.machine,
        (int)(sizeof(long) * 8), info_multiplexing_api(s), atomic_api, gcc[0], gcc[1], gcc[2],
        (long)getpid(), s->runid, s->cfg.port, (long long)now_us, uptime, uptime / 86400, hz, hz,
        obj_lru_clock(), info_executable(s, exe, sizeof(exe)),
        s->cfg.config_file ? s->cfg.config_file : "");
}

/* --------------------------------------------------------------- Clients */

static buf info_clients(server *s, buf out)
{
    /* Redis keeps the biggest buffers of the last seconds from its client
     * cron; Keel has no such cron, so "recent" is "now": the largest query
     * buffer allocation and the largest pending output of any client. */
    size_t max_in = 0, max_out = 0;
    for (client *c = s->clients; c; c = c->next) {
        size_t in = c->querybuf ? buf_alloc_size(c->querybuf) : 0;
        size_t pending = c->reply ? buf_len(c->reply) - c->reply_pos : 0;
        if (in > max_in)
            max_in = in;
        if (pending > max_out)
            max_out = pending;
    }
    /* No client tracking or cluster bus exist yet. */
    return buf_cat_printf(out,
                          "connected_clients:%lu\r\n"
                          "cluster_connections:0\r\n"
                          "maxclients:%u\r\n"
                          "client_recent_max_input_buffer:%zu\r\n"
                          "client_recent_max_output_buffer:%zu\r\n"
                          "blocked_clients:%lld\r\n"
                          "tracking_clients:0\r\n"
                          "clients_in_timeout_table:%lld\r\n",
                          s->client_count, (unsigned)s->cfg.maxclients, max_in, max_out,
                          blocking_client_count(s) + pause_held_count(s) +
                              replication_waiting_count(),
                          blocking_client_count(s));
}

/* ---------------------------------------------------------------- Memory */

/* What the server spends besides the data itself, as Redis counts it:
 * the startup baseline, every client's buffers, and the keyspace's tables
 * (bucket arrays, entries and one object header per key). */
static void info_memory_parts(server *s, size_t *clients_mem, size_t *tables_mem)
{
    size_t cl = 0;
    for (client *c = s->clients; c; c = c->next) {
        cl += sizeof(client) + (size_t)c->argc * sizeof(resp_arg);
        cl += c->querybuf ? buf_alloc_size(c->querybuf) : 0;
        cl += c->reply ? buf_alloc_size(c->reply) : 0;
    }
    size_t dbs = 0;
    for (int i = 0; i < s->cfg.databases; i++) {
        dbs += dict_mem_usage(s->db[i].keys) + dict_mem_usage(s->db[i].expires);
        dbs += dict_size(s->db[i].keys) * sizeof(kobj);
    }
    *clients_mem = cl;
    *tables_mem = dbs;
}

static double info_ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0;
}

static buf info_memory(server *s, buf out)
{
    size_t active = 0;
    size_t used = info_sample_memory(&active);
    size_t rss = info_rss_memory();
    size_t peak = info_peak_memory;
    s->stat_peak_memory = (long long)peak;
    size_t clients_mem, tables_mem;
    info_memory_parts(s, &clients_mem, &tables_mem);
    if (!info_startup_recorded) {
        /* The cron has taken no sample: the baseline is now, less what the
         * clients and the keyspace's tables hold (values still count). */
        size_t attributed = clients_mem + tables_mem;
        info_startup_memory = used > attributed ? used - attributed : used;
        info_startup_recorded = 1;
    }
    size_t overhead = info_startup_memory + clients_mem + tables_mem;
    size_t dataset = used > overhead ? used - overhead : 0;
    size_t net = used > info_startup_memory ? used - info_startup_memory : 1;
    unsigned long long total_mem =
        (unsigned long long)sysconf(_SC_PHYS_PAGES) * (unsigned long long)sysconf(_SC_PAGESIZE);
    /* libc reports no resident figure of its own: as Redis does with libc,
     * the allocator's resident memory is the process's. */
    size_t resident = rss;

    char h_used[32], h_rss[32], h_peak[32], h_total[32], h_max[32];
    info_bytes_to_human(h_used, sizeof(h_used), used);
    info_bytes_to_human(h_rss, sizeof(h_rss), rss);
    info_bytes_to_human(h_peak, sizeof(h_peak), peak);
    info_bytes_to_human(h_total, sizeof(h_total), total_mem);
    info_bytes_to_human(h_max, sizeof(h_max), s->cfg.maxmemory);

    out =
        buf_cat_printf(out,
                       "used_memory:%zu\r\n"
                       "used_memory_human:%s\r\n"
                       "used_memory_rss:%zu\r\n"
                       "used_memory_rss_human:%s\r\n"
                       "used_memory_peak:%zu\r\n"
                       "used_memory_peak_human:%s\r\n"
                       "used_memory_peak_perc:%.2f%%\r\n"
                       "used_memory_overhead:%zu\r\n"
                       "used_memory_startup:%zu\r\n"
                       "used_memory_dataset:%zu\r\n"
                       "used_memory_dataset_perc:%.2f%%\r\n"
                       "allocator_allocated:%zu\r\n"
                       "allocator_active:%zu\r\n"
                       "allocator_resident:%zu\r\n"
                       "total_system_memory:%llu\r\n"
                       "total_system_memory_human:%s\r\n",
                       used, h_used, rss, h_rss, peak, h_peak, info_ratio(used, peak) * 100,
                       overhead, info_startup_memory, dataset, (double)dataset * 100 / (double)net,
                       used, active, resident, total_mem, h_total);
    /* Keel has no scripting engine: no Lua VM, scripts or functions. */
    out = buf_cat_cstr(out, "used_memory_lua:0\r\n"
                            "used_memory_vm_eval:0\r\n"
                            "used_memory_lua_human:0B\r\n"
                            "used_memory_scripts_eval:0\r\n"
                            "number_of_cached_scripts:0\r\n"
                            "number_of_functions:0\r\n"
                            "number_of_libraries:0\r\n"
                            "used_memory_vm_functions:0\r\n"
                            "used_memory_vm_total:0\r\n"
                            "used_memory_vm_total_human:0B\r\n"
                            "used_memory_functions:0\r\n"
                            "used_memory_scripts:0\r\n"
                            "used_memory_scripts_human:0B\r\n");
    /* Eviction policies arrive with evict.c; until then Keel never evicts. */
    out = buf_cat_printf(out,
                         "maxmemory:%llu\r\n"
                         "maxmemory_human:%s\r\n"
                         "maxmemory_policy:noeviction\r\n"
                         "allocator_frag_ratio:%.2f\r\n"
                         "allocator_frag_bytes:%zu\r\n"
                         "allocator_rss_ratio:%.2f\r\n"
                         "allocator_rss_bytes:%zd\r\n"
                         "rss_overhead_ratio:%.2f\r\n"
                         "rss_overhead_bytes:%zd\r\n"
                         "mem_fragmentation_ratio:%.2f\r\n"
                         "mem_fragmentation_bytes:%zd\r\n",
                         s->cfg.maxmemory, h_max, info_ratio(active, used), active - used,
                         info_ratio(resident, active), (ssize_t)(resident - active),
                         info_ratio(rss, resident), (ssize_t)(rss - resident),
                         info_ratio(rss, used), (ssize_t)(rss - used));
    /* replication/ tells what the backlog and replica clients hold (the
     * replication buffers are the backlog plus what replicas have yet to
     * receive).  No cluster links exist.  The AOF buffer is not counted for
     * eviction, as in Redis. */
    size_t aof_mem = aof_buffer_size();
    size_t backlog_mem, replicas_mem, replicas_out;
    replication_memory(s, &backlog_mem, &replicas_mem, &replicas_out);
    size_t normal_mem = clients_mem > replicas_mem ? clients_mem - replicas_mem : 0;
    return buf_cat_printf(out,
                          "mem_not_counted_for_evict:%zu\r\n"
                          "mem_replication_backlog:%zu\r\n"
                          "mem_total_replication_buffers:%zu\r\n"
                          "mem_clients_slaves:%zu\r\n"
                          "mem_clients_normal:%zu\r\n"
                          "mem_cluster_links:0\r\n"
                          "mem_aof_buffer:%zu\r\n"
                          "mem_allocator:" INFO_ALLOCATOR "\r\n"
                          "active_defrag_running:0\r\n"
                          "lazyfree_pending_objects:%lld\r\n"
                          "lazyfreed_objects:%lld\r\n",
                          aof_mem, backlog_mem, backlog_mem + replicas_out, replicas_mem,
                          normal_mem, aof_mem, lazyfree_pending(), lazyfree_freed());
}

/* ----------------------------------------------------------------- Stats */

static buf info_stats(server *s, buf out)
{
    const server_stats *st = &s->stats;
    out =
        buf_cat_printf(out,
                       "total_connections_received:%lld\r\n"
                       "total_commands_processed:%lld\r\n"
                       "instantaneous_ops_per_sec:%lld\r\n"
                       "total_net_input_bytes:%lld\r\n"
                       "total_net_output_bytes:%lld\r\n",
                       st->numconnections, st->numcommands, server_metric_per_sec(METRIC_COMMANDS),
                       st->net_input_bytes, st->net_output_bytes);
    /* Replication traffic (RDB and stream, both ways) is replication/'s count. */
    long long repl_in, repl_out, repl_in_ps, repl_out_ps;
    replication_net_stats(&repl_in, &repl_out, &repl_in_ps, &repl_out_ps);
    out = buf_cat_printf(out,
                         "total_net_repl_input_bytes:%lld\r\n"
                         "total_net_repl_output_bytes:%lld\r\n"
                         "instantaneous_input_kbps:%.2f\r\n"
                         "instantaneous_output_kbps:%.2f\r\n"
                         "instantaneous_input_repl_kbps:%.2f\r\n"
                         "instantaneous_output_repl_kbps:%.2f\r\n"
                         "rejected_connections:%lld\r\n"
                         "sync_full:%lld\r\n"
                         "sync_partial_ok:%lld\r\n"
                         "sync_partial_err:%lld\r\n",
                         repl_in, repl_out, (double)server_metric_per_sec(METRIC_NET_INPUT) / 1024,
                         (double)server_metric_per_sec(METRIC_NET_OUTPUT) / 1024,
                         (double)repl_in_ps / 1024, (double)repl_out_ps / 1024, st->rejected_conn,
                         repl.sync_full, repl.sync_partial_ok, repl.sync_partial_err);
    /* expire_cycle_cpu_milliseconds is left out: the expiry cycle does not
     * measure its own time.  Client eviction does not exist, and with the
     * noeviction policy the eviction loop never runs. */
    out =
        buf_cat_printf(out,
                       "expired_keys:%lld\r\n"
                       "expired_stale_perc:%.2f\r\n"
                       "expired_time_cap_reached_count:%lld\r\n"
                       "evicted_keys:%lld\r\n"
                       "evicted_clients:0\r\n"
                       "total_eviction_exceeded_time:0\r\n"
                       "current_eviction_exceeded_time:0\r\n"
                       "keyspace_hits:%lld\r\n"
                       "keyspace_misses:%lld\r\n",
                       st->expiredkeys, st->expired_stale_perc * 100, st->expired_time_cap_reached,
                       st->evictedkeys, st->keyspace_hits, st->keyspace_misses);
    out = buf_cat_printf(out,
                         "pubsub_channels:%lld\r\n"
                         "pubsub_patterns:%lld\r\n"
                         "pubsubshard_channels:%lld\r\n",
                         pubsub_channel_count(0), pubsub_channel_count(1),
                         pubsub_shard_channel_count());
    /* Fork figures are persist_cmds.c's; constants for features Keel
     * does not have yet: MIGRATE, writable replicas, active defrag, client tracking, DUMP
     * payload checks and I/O threads. */
    long long fork_usec, forks;
    persist_fork_stats(&fork_usec, &forks);
    out = buf_cat_printf(out, "latest_fork_usec:%lld\r\ntotal_forks:%lld\r\n", fork_usec, forks);
    out = buf_cat_cstr(out, "migrate_cached_sockets:0\r\n"
                            "slave_expires_tracked_keys:0\r\n"
                            "active_defrag_hits:0\r\n"
                            "active_defrag_misses:0\r\n"
                            "active_defrag_key_hits:0\r\n"
                            "active_defrag_key_misses:0\r\n"
                            "total_active_defrag_time:0\r\n"
                            "current_active_defrag_time:0\r\n"
                            "tracking_total_keys:0\r\n"
                            "tracking_total_items:0\r\n"
                            "tracking_total_prefixes:0\r\n");
    /* reply_buffer_shrinks/expands are left out: Keel's reply buffer is
     * one growable buf, not Redis's resized static buffer. */
    return buf_cat_printf(out,
                          "unexpected_error_replies:%lld\r\n"
                          "total_error_replies:%lld\r\n"
                          "dump_payload_sanitizations:0\r\n"
                          "total_reads_processed:%lld\r\n"
                          "total_writes_processed:%lld\r\n"
                          "io_threaded_reads_processed:0\r\n"
                          "io_threaded_writes_processed:0\r\n",
                          st->unexpected_error_replies, st->total_error_replies, st->io_reads,
                          st->io_writes);
}

/* ------------------------------------------------------------------- CPU */

static buf info_cat_rusage(buf out, const char *name, const struct timeval *tv)
{
    return buf_cat_printf(out, "%s:%ld.%06ld\r\n", name, (long)tv->tv_sec, (long)tv->tv_usec);
}

static buf info_cpu(server *s, buf out)
{
    (void)s;
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    out = info_cat_rusage(out, "used_cpu_sys", &self.ru_stime);
    out = info_cat_rusage(out, "used_cpu_user", &self.ru_utime);
    out = info_cat_rusage(out, "used_cpu_sys_children", &children.ru_stime);
    out = info_cat_rusage(out, "used_cpu_user_children", &children.ru_utime);
#ifdef RUSAGE_THREAD
    /* INFO runs on the main (and only data) thread. */
    struct rusage thread;
    getrusage(RUSAGE_THREAD, &thread);
    out = info_cat_rusage(out, "used_cpu_sys_main_thread", &thread.ru_stime);
    out = info_cat_rusage(out, "used_cpu_user_main_thread", &thread.ru_utime);
#endif
    return out;
}

/* --------------------------------------------- Modules, Cluster (constant) */

static buf info_modules(server *s, buf out)
{
    (void)s;
    return out; /* Keel loads no modules: the section is its title alone */
}

static buf info_cluster(server *s, buf out)
{
    (void)s;
    return buf_cat_cstr(out, "cluster_enabled:0\r\n");
}

/* ---------------------------------------------------------- Commandstats */

static int info_command_cmp(const void *a, const void *b)
{
    const command *x = *(const command *const *)a, *y = *(const command *const *)b;
    return strcmp(x->fullname, y->fullname);
}

static buf info_cat_cmdstat(buf out, const command *c)
{
    if (!c->calls && !c->rejected_calls && !c->failed_calls)
        return out;
    out = buf_cat_cstr(out, "cmdstat_");
    out = info_cat_safe(out, c->fullname, strlen(c->fullname));
    return buf_cat_printf(out,
                          ":calls=%lld,usec=%lld,usec_per_call=%.2f,rejected_calls=%lld,"
                          "failed_calls=%lld\r\n",
                          c->calls, c->usec, c->calls ? (double)c->usec / (double)c->calls : 0.0,
                          c->rejected_calls, c->failed_calls);
}

/* Redis lists commands in hash-table order; Keel sorts them by name so the
 * text is stable, with each command's subcommands right after it. */
static buf info_commandstats(server *s, buf out)
{
    size_t n = dict_size(s->commands), i = 0;
    if (n == 0)
        return out;
    const command **cmds = malloc(n * sizeof(*cmds));
    if (!cmds)
        return out;
    dict_iter it;
    dict_entry *e;
    dict_iter_init(&it, s->commands, 0);
    while ((e = dict_iter_next(&it)) != NULL && i < n)
        cmds[i++] = e->v.val;
    dict_iter_release(&it);
    qsort(cmds, i, sizeof(*cmds), info_command_cmp);
    for (size_t j = 0; j < i; j++) {
        out = info_cat_cmdstat(out, cmds[j]);
        for (const command *sub = cmds[j]->subcommands; sub && sub->name; sub++)
            out = info_cat_cmdstat(out, sub);
    }
    free(cmds);
    return out;
}

/* ------------------------------------------------------------ Errorstats */

static int info_error_cmp(const void *a, const void *b)
{
    const dict_entry *x = *(const dict_entry *const *)a, *y = *(const dict_entry *const *)b;
    return buf_cmp(x->key, y->key);
}

/* Sorted by code, as Redis's radix tree of error codes lists them. */
static buf info_errorstats(server *s, buf out)
{
    size_t n = s->errors ? dict_size(s->errors) : 0, i = 0;
    if (n == 0)
        return out;
    dict_entry **errs = malloc(n * sizeof(*errs));
    if (!errs)
        return out;
    dict_iter it;
    dict_entry *e;
    dict_iter_init(&it, s->errors, 0);
    while ((e = dict_iter_next(&it)) != NULL && i < n)
        errs[i++] = e;
    dict_iter_release(&it);
    qsort(errs, i, sizeof(*errs), info_error_cmp);
    for (size_t j = 0; j < i; j++) {
        out = buf_cat_cstr(out, "errorstat_");
        out = info_cat_safe(out, errs[j]->key, buf_len(errs[j]->key));
        out = buf_cat_printf(out, ":count=%lld\r\n", (long long)errs[j]->v.s64);
    }
    free(errs);
    return out;
}

/* -------------------------------------------------------------- Keyspace */

static buf info_keyspace(server *s, buf out)
{
    for (int i = 0; i < s->cfg.databases; i++) {
        keel_db *db = &s->db[i];
        long long keys = (long long)dict_size(db->keys);
        if (keys == 0)
            continue;
        out = buf_cat_printf(out, "db%d:keys=%lld,expires=%lld,avg_ttl=%lld\r\n", i, keys,
                             (long long)dict_size(db->expires), db->avg_ttl);
    }
    return out;
}

/* -------------------------------------------------------------- sections */

/* Replication: owned by replication/ (role, replicas, offsets, backlog),
 * then whether the stall fence holds writes (pause.c), which a sentinel
 * reads before it lifts the fence. */
static buf info_replication(server *s, buf out)
{
    out = replication_info(s, out);
    return buf_cat_printf(out, "write_fenced:%d\r\n", pause_write_fenced());
}

typedef buf info_section_fn(server *s, buf out);

enum { INFO_IN_DEFAULT = 1 };

/* Redis's order.  Persistence and Replication (owned by their modules) sit
 * between Memory and Stats, and between Stats and CPU; Latencystats between
 * Errorstats and Cluster. */
static const struct {
    const char *name, *alias, *title;
    info_section_fn *fn;
    int flags;
} info_sections[] = {
    {"server", NULL, "Server", info_server, INFO_IN_DEFAULT},
    {"clients", NULL, "Clients", info_clients, INFO_IN_DEFAULT},
    {"memory", NULL, "Memory", info_memory, INFO_IN_DEFAULT},
    {"persistence", NULL, "Persistence", persist_info, INFO_IN_DEFAULT}, /* persist_cmds.c */
    {"stats", NULL, "Stats", info_stats, INFO_IN_DEFAULT},
    {"replication", NULL, "Replication", info_replication, INFO_IN_DEFAULT},
    {"cpu", NULL, "CPU", info_cpu, INFO_IN_DEFAULT},
    {"module_list", "modules", "Modules", info_modules, INFO_IN_DEFAULT},
    {"commandstats", NULL, "Commandstats", info_commandstats, 0},
    {"errorstats", NULL, "Errorstats", info_errorstats, INFO_IN_DEFAULT},
    {"cluster", NULL, "Cluster", info_cluster, INFO_IN_DEFAULT},
    {"keyspace", NULL, "Keyspace", info_keyspace, INFO_IN_DEFAULT},
};
#define INFO_SECTION_COUNT (sizeof(info_sections) / sizeof(info_sections[0]))

static unsigned info_default_mask(void)
{
    unsigned mask = 0;
    for (size_t i = 0; i < INFO_SECTION_COUNT; i++)
        if (info_sections[i].flags & INFO_IN_DEFAULT)
            mask |= 1u << i;
    return mask;
}

/* Which sections the arguments ask for: names are case-insensitive, may
 * repeat, and unknown ones select nothing (Redis replies with an empty
 * text rather than an error, so monitoring tools can probe). */
static unsigned info_parse_sections(int argc, const resp_arg *argv)
{
    if (argc == 0)
        return info_default_mask();
    unsigned mask = 0;
    for (int i = 0; i < argc; i++) {
        if (arg_is(&argv[i], "default")) {
            mask |= info_default_mask();
        } else if (arg_is(&argv[i], "all") || arg_is(&argv[i], "everything")) {
            mask |= (1u << INFO_SECTION_COUNT) - 1;
        } else {
            for (size_t j = 0; j < INFO_SECTION_COUNT; j++)
                if (arg_is(&argv[i], info_sections[j].name) ||
                    (info_sections[j].alias && arg_is(&argv[i], info_sections[j].alias)))
                    mask |= 1u << j;
        }
    }
    return mask;
}

/* Sections are "# Title\r\n" then "field:value\r\n" lines, with one empty
 * line between sections and none after the last. */
static buf info_generate(server *s, unsigned mask)
{
    buf out = buf_empty();
    int produced = 0;
    for (size_t i = 0; i < INFO_SECTION_COUNT; i++) {
        if (!(mask & (1u << i)))
            continue;
        if (produced++)
            out = buf_cat(out, "\r\n", 2);
        out = buf_cat_printf(out, "# %s\r\n", info_sections[i].title);
        out = info_sections[i].fn(s, out);
    }
    return out;
}

static void info_command(client *c)
{
    unsigned mask = info_parse_sections(c->argc - 1, c->argv + 1);
    buf out = info_generate(c->srv, mask);
    reply_verbatim(c, out, buf_len(out));
    buf_free(out);
}

command info_commands[] = {
    {"info", info_command, -1, CMD_LOADING | CMD_STALE | CMD_SENTINEL, 0, 0, 0, "server",
     "Returns information and statistics about the server.", "1.0.0"},
    {0},
};
