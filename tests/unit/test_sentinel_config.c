/* test_sentinel_config.c: unit tests for keel-sentinel's config file
 * (sentinel/config.c): every directive loads into the state; a rewrite
 * (config_flush) reloads into the same state, keeps the operator's lines
 * and places options as Redis's CONFIG REWRITE does; errors name the file,
 * the line and Redis's reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sentinel.h"

/* main.c is not in the library; SHUTDOWN's handler refers to it. */
void sentinel_shutdown(void)
{
    abort();
}

/* ------------------------------------------------------------ helpers */

static char tmpdir[256];
static char conf_path[512];
static char start_cwd[PATH_MAX];

static void state_clear(void)
{
    while (sentinel.nmasters)
        master_remove(sentinel.masters[0]);
}

static int setup(void **state)
{
    (void)state;
    if (!getcwd(start_cwd, sizeof(start_cwd)))
        return -1;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/keel-unit-sentinel-config-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(conf_path, sizeof(conf_path), "%s/sentinel.conf", tmpdir);
    free(sentinel.config_file);
    sentinel.config_file = strdup(conf_path);
    log_set_level(LOG_WARNING); /* flushes log at notice level */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    state_clear();
    if (chdir(start_cwd) != 0)
        return -1;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static char *read_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    static char data[65536];
    size_t n = fread(data, 1, sizeof(data) - 1, fp);
    fclose(fp);
    data[n] = '\0';
    return strdup(data);
}

/* Load text as the config file; what went to stderr is returned in err. */
static int load_text(const char *text, const char *extra, char *err, size_t errlen)
{
    state_clear();
    write_file(conf_path, text);
    char errpath[600];
    snprintf(errpath, sizeof(errpath), "%s/stderr", tmpdir);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *fp = fopen(errpath, "w");
    assert_non_null(fp);
    dup2(fileno(fp), STDERR_FILENO);
    int rc = sentinel_config_load(conf_path, extra);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fclose(fp);
    char *got = read_file(errpath);
    if (err)
        snprintf(err, errlen, "%s", got);
    free(got);
    return rc;
}

/* ------------------------------------------------------ every directive */

static const char every_directive[] =
    "# a comment the operator wrote\n"
    "port 26390\n"
    "bind 127.0.0.1 -::1\n"
    "protected-mode yes\n"
    "daemonize no\n"
    "pidfile %s/s.pid\n"
    "logfile %s/s.log\n"
    "loglevel verbose\n"
    "dir %s\n"
    "requirepass \"sec ret\"\n"
    "tls-port 26391\n"
    "tls-cert-file /c.crt\n"
    "tls-key-file /c.key\n"
    "tls-key-file-pass kp\n"
    "tls-client-cert-file /cc.crt\n"
    "tls-client-key-file /cc.key\n"
    "tls-client-key-file-pass ckp\n"
    "tls-ca-cert-file /ca.crt\n"
    "tls-ca-cert-dir /cadir\n"
    "tls-dh-params-file /dh.pem\n"
    "tls-auth-clients optional\n"
    "tls-replication yes\n"
    "tls-protocols \"TLSv1.2 TLSv1.3\"\n"
    "tls-ciphers DEFAULT\n"
    "tls-ciphersuites TLS_AES_128_GCM_SHA256\n"
    "tls-prefer-server-ciphers yes\n"
    "tls-session-caching no\n"
    "tls-session-cache-size 100\n"
    "tls-session-cache-timeout 60\n"
    /* Lines about a master may come before its monitor line (Redis 7.0). */
    "sentinel down-after-milliseconds mymaster 5000\n"
    "sentinel monitor mymaster 127.0.0.1 6379 2\n"
    "SENTINEL failover-timeout mymaster 10000\n"
    "sentinel parallel-syncs mymaster 3\n"
    "sentinel notification-script mymaster /bin/true\n"
    "sentinel client-reconfig-script mymaster /bin/true\n"
    "sentinel auth-pass mymaster pw\n"
    "sentinel auth-user mymaster bob\n"
    "sentinel master-reboot-down-after-period mymaster 7000\n"
    "sentinel config-epoch mymaster 5\n"
    "sentinel leader-epoch mymaster 6\n"
    "sentinel known-replica mymaster 127.0.0.1 6380\n"
    "sentinel known-slave mymaster 127.0.0.1 6381\n"
    "sentinel known-sentinel mymaster 127.0.0.1 26392 "
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    "sentinel known-sentinel mymaster 127.0.0.1 26393\n"
    "sentinel rename-command mymaster CONFIG XCONFIG\n"
    "sentinel monitor other 10.0.0.1 7000 1\n"
    "sentinel current-epoch 7\n"
    "sentinel myid 0123456789abcdef0123456789abcdef01234567\n"
    "sentinel announce-ip 10.1.1.1\n"
    "sentinel announce-port 26400\n"
    "sentinel deny-scripts-reconfig no\n"
    "sentinel resolve-hostnames yes\n"
    "sentinel announce-hostnames yes\n"
    "sentinel sentinel-user su\n"
    "sentinel sentinel-pass sp\n"
    "latency-tracking-info-percentiles 50 99 99.9\n"
    "acllog-max-len 128\n";

static void load_every_directive(void)
{
    char text[8192];
    snprintf(text, sizeof(text), every_directive, tmpdir, tmpdir, tmpdir);
    char err[4096];
    assert_int_equal(load_text(text, NULL, err, sizeof(err)), 0);
    assert_string_equal(err, "");
}

static void check_every_directive(void)
{
    char path[600];
    assert_int_equal(sentinel.port, 26390);
    assert_int_equal(sentinel.nbind, 2);
    assert_string_equal(sentinel.bind[0], "127.0.0.1");
    assert_string_equal(sentinel.bind[1], "-::1");
    assert_int_equal(sentinel.protected_mode, 1);
    snprintf(path, sizeof(path), "%s/s.pid", tmpdir);
    assert_string_equal(sentinel.pidfile, path);
    snprintf(path, sizeof(path), "%s/s.log", tmpdir);
    assert_string_equal(sentinel.logfile, path);
    assert_int_equal(sentinel.loglevel, LOG_VERBOSE);
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_string_equal(cwd, tmpdir);
    assert_string_equal(sentinel.requirepass, "sec ret");
    assert_int_equal(sentinel.tls_port, 26391);
    assert_string_equal(sentinel.tls.cert_file, "/c.crt");
    assert_string_equal(sentinel.tls.key_file, "/c.key");
    assert_string_equal(sentinel.tls.key_file_pass, "kp");
    assert_string_equal(sentinel.tls.client_cert_file, "/cc.crt");
    assert_string_equal(sentinel.tls.client_key_file, "/cc.key");
    assert_string_equal(sentinel.tls.client_key_file_pass, "ckp");
    assert_string_equal(sentinel.tls.ca_cert_file, "/ca.crt");
    assert_string_equal(sentinel.tls.ca_cert_dir, "/cadir");
    assert_string_equal(sentinel.tls.dh_params_file, "/dh.pem");
    assert_int_equal(sentinel.tls_auth_clients, 2); /* optional */
    assert_int_equal(sentinel.tls.auth_clients, 2);
    assert_int_equal(sentinel.tls_replication, 1);
    assert_int_equal(sentinel.tls.peers_need_ca, 1);
    assert_string_equal(sentinel.tls.protocols, "TLSv1.2 TLSv1.3");
    assert_string_equal(sentinel.tls.ciphers, "DEFAULT");
    assert_string_equal(sentinel.tls.ciphersuites, "TLS_AES_128_GCM_SHA256");
    assert_int_equal(sentinel.tls.prefer_server_ciphers, 1);
    assert_int_equal(sentinel.tls.session_caching, 0);
    assert_int_equal(sentinel.tls.session_cache_size, 100);
    assert_int_equal(sentinel.tls.session_cache_timeout, 60);

    assert_int_equal(sentinel.nmasters, 2);
    instance *m = master_lookup("mymaster");
    assert_non_null(m);
    assert_string_equal(m->ip, "127.0.0.1");
    assert_int_equal(m->port, 6379);
    assert_int_equal(m->quorum, 2);
    assert_int_equal(m->down_after_period, 5000);
    assert_int_equal(m->failover_timeout, 10000);
    assert_int_equal(m->parallel_syncs, 3);
    assert_string_equal(m->notification_script, "/bin/true");
    assert_string_equal(m->client_reconfig_script, "/bin/true");
    assert_string_equal(m->auth_pass, "pw");
    assert_string_equal(m->auth_user, "bob");
    assert_int_equal(m->master_reboot_down_after_period, 7000);
    assert_int_equal(m->config_epoch, 5);
    assert_int_equal(m->leader_epoch, 6);
    assert_int_equal(m->nreplicas, 2);
    assert_int_equal(m->replicas[0]->port, 6380);
    assert_int_equal(m->replicas[1]->port, 6381);
    /* Replicas and sentinels follow their master's down-after. */
    assert_int_equal(m->replicas[0]->down_after_period, 5000);
    assert_int_equal(m->nsentinels, 2);
    assert_int_equal(m->sentinels[0]->port, 26392);
    assert_string_equal(m->sentinels[0]->runid, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_null(m->sentinels[1]->runid);
    instance *o = master_lookup("other");
    assert_non_null(o);
    assert_string_equal(o->ip, "10.0.0.1");
    assert_int_equal(o->port, 7000);
    assert_int_equal(o->quorum, 1);
    assert_int_equal(o->down_after_period, SENTINEL_DEFAULT_DOWN_AFTER);
    assert_int_equal(o->nreplicas, 0);

    assert_int_equal(sentinel.current_epoch, 7);
    assert_string_equal(sentinel.myid, "0123456789abcdef0123456789abcdef01234567");
    assert_string_equal(sentinel.announce_ip, "10.1.1.1");
    assert_int_equal(sentinel.announce_port, 26400);
    assert_int_equal(sentinel.deny_scripts_reconfig, 0);
    assert_int_equal(sentinel.resolve_hostnames, 1);
    assert_int_equal(sentinel.announce_hostnames, 1);
    assert_string_equal(sentinel.sentinel_user, "su");
    assert_string_equal(sentinel.sentinel_pass, "sp");
}

static void test_load_every_directive(void **state)
{
    (void)state;
    load_every_directive();
    check_every_directive();
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(load_text("sentinel monitor m 127.0.0.1 6379 2\n", NULL, NULL, 0), 0);
    assert_int_equal(sentinel.port, 26379);
    assert_int_equal(sentinel.nbind, 0);
    assert_int_equal(sentinel.protected_mode, 0);
    assert_int_equal(sentinel.loglevel, LOG_NOTICE);
    assert_string_equal(sentinel.dir, ".");
    assert_null(sentinel.pidfile);
    assert_null(sentinel.logfile);
    assert_null(sentinel.requirepass);
    assert_int_equal(sentinel.tls_port, 0);
    assert_int_equal(sentinel.tls_auth_clients, 1);
    assert_int_equal(sentinel.tls.session_caching, 1);
    assert_int_equal(sentinel.tls.session_cache_size, 20480);
    assert_int_equal(sentinel.tls.session_cache_timeout, 300);
    assert_int_equal(sentinel.deny_scripts_reconfig, 1);
    assert_string_equal(sentinel.myid, "");
    assert_int_equal(sentinel.current_epoch, 0);
    instance *m = master_lookup("m");
    assert_non_null(m);
    assert_int_equal(m->failover_timeout, SENTINEL_DEFAULT_FAILOVER_TIMEOUT);
    assert_int_equal(m->parallel_syncs, SENTINEL_DEFAULT_PARALLEL_SYNCS);
}

static void test_command_line(void **state)
{
    (void)state;
    const char *extra = "port 26500\n"
                        "sentinel monitor cl 127.0.0.1 6390 1\n"
                        "sentinel down-after-milliseconds m 1234\n";
    assert_int_equal(load_text("port 26400\nsentinel monitor m 127.0.0.1 6379 2\n", extra, NULL, 0),
                     0);
    assert_int_equal(sentinel.port, 26500);
    assert_non_null(master_lookup("cl"));
    assert_int_equal(master_lookup("m")->down_after_period, 1234);
}

/* -------------------------------------------------------------- rewrite */

/* The state a restart must come back to, as text: sentinels are included
 * once their run ID is known (before, they are not written). */
static buf state_dump(void)
{
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    const tls_options *t = &sentinel.tls;
    buf b = buf_cat_printf(buf_empty(), "port=%d tls_port=%d protected=%d loglevel=%d cwd=%s\n",
                           sentinel.port, sentinel.tls_port, sentinel.protected_mode,
                           sentinel.loglevel, cwd);
    for (int i = 0; i < sentinel.nbind; i++)
        b = buf_cat_printf(b, "bind=%s\n", sentinel.bind[i]);
#define S(x) ((x) ? (x) : "(null)")
    b = buf_cat_printf(b, "pidfile=%s logfile=%s requirepass=%s\n", S(sentinel.pidfile),
                       S(sentinel.logfile), S(sentinel.requirepass));
    b = buf_cat_printf(b, "tls=%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%d,%d,%d,%d,%d\n",
                       S(t->cert_file), S(t->key_file), S(t->key_file_pass), S(t->client_cert_file),
                       S(t->client_key_file), S(t->client_key_file_pass), S(t->ca_cert_file),
                       S(t->ca_cert_dir), S(t->dh_params_file), S(t->protocols), S(t->ciphers),
                       S(t->ciphersuites), t->prefer_server_ciphers, t->session_caching,
                       t->session_cache_size, t->session_cache_timeout, sentinel.tls_auth_clients,
                       sentinel.tls_replication);
    b = buf_cat_printf(b, "myid=%s epoch=%llu announce=%s:%d hostnames=%d,%d deny=%d user=%s/%s\n",
                       sentinel.myid, (unsigned long long)sentinel.current_epoch,
                       S(sentinel.announce_ip), sentinel.announce_port, sentinel.resolve_hostnames,
                       sentinel.announce_hostnames, sentinel.deny_scripts_reconfig,
                       S(sentinel.sentinel_user), S(sentinel.sentinel_pass));
    for (int i = 0; i < sentinel.nmasters; i++) {
        const instance *m = sentinel.masters[i];
        b = buf_cat_printf(b,
                           "master %s %s:%d q=%d da=%lld ft=%lld ps=%d ns=%s crs=%s ap=%s au=%s "
                           "mr=%lld ce=%llu le=%llu\n",
                           m->name, m->ip, m->port, m->quorum, (long long)m->down_after_period,
                           (long long)m->failover_timeout, m->parallel_syncs,
                           S(m->notification_script), S(m->client_reconfig_script), S(m->auth_pass),
                           S(m->auth_user), (long long)m->master_reboot_down_after_period,
                           (unsigned long long)m->config_epoch,
                           (unsigned long long)m->leader_epoch);
        for (int j = 0; j < m->nreplicas; j++)
            b = buf_cat_printf(b, "  replica %s:%d da=%lld\n", m->replicas[j]->ip,
                               m->replicas[j]->port, (long long)m->replicas[j]->down_after_period);
        for (int j = 0; j < m->nsentinels; j++)
            if (m->sentinels[j]->runid)
                b = buf_cat_printf(b, "  sentinel %s:%d %s\n", m->sentinels[j]->ip,
                                   m->sentinels[j]->port, m->sentinels[j]->runid);
    }
#undef S
    return b;
}

static void test_flush_roundtrip(void **state)
{
    (void)state;
    load_every_directive();
    instance *m = master_lookup("mymaster");
    /* What the sentinel learnt while running. */
    replica_add(m, "127.0.0.1", 6382);
    sentinel_add(m, "127.0.0.1", 26394, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    sentinel.current_epoch = 9;
    m->config_epoch = 8;
    buf before = state_dump();
    assert_int_equal(config_flush(), 0);

    char *text = read_file(conf_path);
    /* The operator's lines stay where they were. */
    assert_non_null(strstr(text, "# a comment the operator wrote\nport 26390\n"));
    assert_non_null(strstr(text, "sentinel monitor mymaster 127.0.0.1 6379 2\n"));
    assert_non_null(strstr(text, "\nlatency-tracking-info-percentiles 50 99 99.9\n"));
    /* known-slave is written as known-replica; the old line is emptied. */
    assert_null(strstr(text, "known-slave"));
    assert_non_null(strstr(text, "sentinel known-replica mymaster 127.0.0.1 6381\n"));
    assert_non_null(strstr(text, "# Generated by CONFIG REWRITE\n"));
    assert_non_null(strstr(text, "sentinel known-replica mymaster 127.0.0.1 6382\n"));
    assert_non_null(strstr(text, "sentinel known-sentinel mymaster 127.0.0.1 26394 "
                                 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"));
    /* A sentinel whose run ID is not known yet is not written. */
    assert_null(strstr(text, "26393"));
    assert_non_null(strstr(text, "sentinel current-epoch 9\n"));
    assert_non_null(strstr(text, "sentinel config-epoch mymaster 8\n"));
    assert_non_null(strstr(text, "requirepass \"sec ret\"\n"));
    assert_non_null(strstr(text, "sentinel rename-command mymaster CONFIG XCONFIG\n"));
    free(text);

    /* Reloaded into a fresh state: the same state. */
    state_clear();
    assert_int_equal(chdir(start_cwd), 0);
    assert_int_equal(sentinel_config_load(conf_path, NULL), 0);
    buf after = state_dump();
    assert_string_equal(before, after);
    buf_free(before);
    buf_free(after);

    /* A second flush of the same state changes nothing. */
    char *first = read_file(conf_path);
    assert_int_equal(config_flush(), 0);
    char *second = read_file(conf_path);
    assert_string_equal(first, second);
    free(first);
    free(second);
}

/* Lines are rewritten in place; lines of options back at their defaults
 * are emptied, as Redis does; lines this program does not write are kept. */
static void test_flush_in_place(void **state)
{
    (void)state;
    const char *text = "port 26379\n"
                       "include /nonexistent/*.conf\n"
                       "SENTINEL monitor mymaster 127.0.0.1 6379 2\n"
                       "sentinel down-after-milliseconds mymaster 30000\n"
                       "# keep me   \n"
                       "sentinel deny-scripts-reconfig yes\n"
                       "user default on nopass ~* &* +@all\n";
    assert_int_equal(load_text(text, NULL, NULL, 0), 0);
    strcpy(sentinel.myid, "cccccccccccccccccccccccccccccccccccccccc");
    master_lookup("mymaster")->quorum = 3;
    assert_int_equal(config_flush(), 0);
    char *got = read_file(conf_path);
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    char want[PATH_MAX + 1024];
    snprintf(want, sizeof(want),
             "port 26379\n"
             "include /nonexistent/*.conf\n"
             "sentinel monitor mymaster 127.0.0.1 6379 3\n"
             "\n"
             "# keep me\n"
             "sentinel deny-scripts-reconfig yes\n"
             "user default on nopass ~* &* +@all\n"
             "\n"
             "# Generated by CONFIG REWRITE\n"
             "protected-mode no\n"
             "dir \"%s\"\n"
             "sentinel myid cccccccccccccccccccccccccccccccccccccccc\n"
             "sentinel config-epoch mymaster 0\n"
             "sentinel leader-epoch mymaster 0\n"
             "sentinel current-epoch 0\n",
             cwd);
    assert_string_equal(got, want);
    free(got);
}

/* After the promoted replica is confirmed, a restart must come back to it
 * as the master, with the old primary among the replicas. */
static void test_flush_during_failover(void **state)
{
    (void)state;
    assert_int_equal(load_text("sentinel monitor m 127.0.0.1 6379 2\n"
                               "sentinel known-replica m 127.0.0.1 6380\n"
                               "sentinel known-replica m 127.0.0.1 6381\n",
                               NULL, NULL, 0),
                     0);
    instance *m = master_lookup("m");
    m->promoted_slave = m->replicas[0];
    m->failover_state = FAILOVER_STATE_SEND_SLAVEOF_NOONE;
    assert_int_equal(config_flush(), 0);
    char *text = read_file(conf_path);
    assert_non_null(strstr(text, "sentinel monitor m 127.0.0.1 6379 2\n"));
    free(text);

    m->failover_state = FAILOVER_STATE_RECONF_SLAVES;
    assert_int_equal(config_flush(), 0);
    text = read_file(conf_path);
    assert_non_null(strstr(text, "sentinel monitor m 127.0.0.1 6380 2\n"));
    assert_non_null(strstr(text, "sentinel known-replica m 127.0.0.1 6379\n"));
    assert_non_null(strstr(text, "sentinel known-replica m 127.0.0.1 6381\n"));
    assert_null(strstr(text, "known-replica m 127.0.0.1 6380"));
    free(text);
    m->promoted_slave = NULL;
    m->failover_state = FAILOVER_STATE_NONE;
}

/* Values that need quotes are written so that they read back the same. */
static void test_flush_quoting(void **state)
{
    (void)state;
    assert_int_equal(load_text("sentinel monitor \"my master\" 127.0.0.1 6379 2\n"
                               "sentinel auth-pass \"my master\" \"a b\\\"c\"\n",
                               NULL, NULL, 0),
                     0);
    assert_int_equal(config_flush(), 0);
    char *text = read_file(conf_path);
    assert_non_null(strstr(text, "sentinel monitor \"my master\" 127.0.0.1 6379 2\n"));
    assert_non_null(strstr(text, "sentinel auth-pass \"my master\" \"a b\\\"c\"\n"));
    free(text);
    state_clear();
    assert_int_equal(sentinel_config_load(conf_path, NULL), 0);
    assert_string_equal(master_lookup("my master")->auth_pass, "a b\"c");
}

static void test_flush_unwritable(void **state)
{
    (void)state;
    assert_int_equal(load_text("sentinel monitor m 127.0.0.1 6379 2\n", NULL, NULL, 0), 0);
    char *saved = sentinel.config_file;
    sentinel.config_file = strdup("/nonexistent-dir/sentinel.conf");
    assert_int_equal(config_flush(), -1);
    free(sentinel.config_file);
    sentinel.config_file = saved;
}

/* --------------------------------------------------------------- errors */

static void expect_error(const char *text, int line, const char *bad, const char *msg)
{
    char err[4096], want[4096];
    assert_int_equal(load_text(text, NULL, err, sizeof(err)), -1);
    snprintf(want, sizeof(want),
             "*** FATAL CONFIG FILE ERROR ***\n"
             "Reading the configuration file, at line %d (%s:%d)\n"
             ">>> '%s'\n"
             "%s\n",
             line, conf_path, line, bad, msg);
    assert_string_equal(err, want);
}

#define MON "sentinel monitor m 127.0.0.1 6379 2\n"

static void test_errors(void **state)
{
    (void)state;
    expect_error("port 1\nfoo bar\n", 2, "foo bar", "Bad directive or wrong number of arguments");
    expect_error("appendonly yes\n", 1, "appendonly yes",
                 "Bad directive or wrong number of arguments");
    expect_error("port abc\n", 1, "port abc", "argument couldn't be parsed into an integer");
    expect_error("port 70000\n", 1, "port 70000", "argument must be between 0 and 65535 inclusive");
    expect_error("port 1 2\n", 1, "port 1 2", "wrong number of arguments");
    expect_error("loglevel loud\n", 1, "loglevel loud",
                 "argument(s) must be one of the following: debug, verbose, notice, warning");
    expect_error("protected-mode maybe\n", 1, "protected-mode maybe",
                 "argument must be 'yes' or 'no'");
    expect_error("tls-auth-clients maybe\n", 1, "tls-auth-clients maybe",
                 "argument(s) must be one of the following: no, yes, optional");
    expect_error("tls-session-cache-size -1\n", 1, "tls-session-cache-size -1",
                 "argument must be between 0 and 2147483647 inclusive");
    expect_error("dir /nonexistent-dir\n", 1, "dir /nonexistent-dir", "No such file or directory");
    expect_error("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", 1,
                 "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
                 "Too many bind addresses specified.");

    expect_error("sentinel foo bar\n", 1, "sentinel foo bar",
                 "Unrecognized sentinel configuration statement.");
    expect_error("sentinel monitor m 127.0.0.1 6379\n", 1, "sentinel monitor m 127.0.0.1 6379",
                 "Unrecognized sentinel configuration statement.");
    expect_error("sentinel monitor m 127.0.0.1 6379 0\n", 1, "sentinel monitor m 127.0.0.1 6379 0",
                 "Quorum must be 1 or greater.");
    expect_error("sentinel monitor m 127.0.0.1 70000 1\n", 1,
                 "sentinel monitor m 127.0.0.1 70000 1", "Invalid port number.");
    expect_error(MON MON, 2, "sentinel monitor m 127.0.0.1 6379 2", "Duplicate master name.");
    expect_error(MON "\nsentinel down-after-milliseconds other 5000\n", 3,
                 "sentinel down-after-milliseconds other 5000",
                 "No such master with specified name.");
    expect_error(MON "sentinel down-after-milliseconds m 0\n", 2,
                 "sentinel down-after-milliseconds m 0", "negative or zero time parameter.");
    expect_error(MON "sentinel failover-timeout m -1\n", 2, "sentinel failover-timeout m -1",
                 "negative or zero time parameter.");
    expect_error(MON "sentinel master-reboot-down-after-period m -1\n", 2,
                 "sentinel master-reboot-down-after-period m -1", "negative time parameter.");
    expect_error(MON "sentinel notification-script m /nonexistent\n", 2,
                 "sentinel notification-script m /nonexistent",
                 "Notification script seems non existing or non executable.");
    expect_error(MON "sentinel client-reconfig-script m /nonexistent\n", 2,
                 "sentinel client-reconfig-script m /nonexistent",
                 "Client reconfiguration script seems non existing or non executable.");
    expect_error(MON "sentinel myid abc\n", 2, "sentinel myid abc",
                 "Malformed Sentinel id in myid option.");
    expect_error(MON "sentinel known-replica m 127.0.0.1 6380\n"
                     "sentinel known-replica m 127.0.0.1 6380\n",
                 3, "sentinel known-replica m 127.0.0.1 6380",
                 "Duplicate hostname and port for replica.");
    expect_error(
        MON "sentinel known-sentinel m 127.0.0.1 1 dddddddddddddddddddddddddddddddddddddddd\n"
            "sentinel known-sentinel m 127.0.0.1 2 dddddddddddddddddddddddddddddddddddddddd\n",
        3, "sentinel known-sentinel m 127.0.0.1 2 dddddddddddddddddddddddddddddddddddddddd",
        "Duplicate runid for sentinel.");
    expect_error(MON "sentinel rename-command m CONFIG A\nsentinel rename-command m config B\n", 3,
                 "sentinel rename-command m config B",
                 "Same command renamed multiple times with rename-command.");
    expect_error("sentinel deny-scripts-reconfig maybe\n", 1,
                 "sentinel deny-scripts-reconfig maybe",
                 "Please specify yes or no for the deny-scripts-reconfig options.");
    expect_error("sentinel resolve-hostnames maybe\n", 1, "sentinel resolve-hostnames maybe",
                 "Please specify yes or no for the resolve-hostnames option.");
    expect_error("sentinel announce-hostnames maybe\n", 1, "sentinel announce-hostnames maybe",
                 "Please specify yes or no for the announce-hostnames option.");
    expect_error(MON "sentinel auth-pass m\n", 2, "sentinel auth-pass m",
                 "Unrecognized sentinel configuration statement.");
    expect_error("user alice on >pw\n", 1, "user alice on >pw",
                 "keel-sentinel has no ACL users: only 'user default' with every permission, or "
                 "requirepass");
}

/* sentinel lines in an included file would come back twice after a
 * rewrite put them in the main file. */
static void test_include(void **state)
{
    (void)state;
    char inc[600], text[1024], err[4096];
    snprintf(inc, sizeof(inc), "%s/inc.conf", tmpdir);
    write_file(inc, "port 26600\n");
    snprintf(text, sizeof(text), "include %s\n" MON, inc);
    assert_int_equal(load_text(text, NULL, err, sizeof(err)), 0);
    assert_int_equal(sentinel.port, 26600);

    write_file(inc, MON);
    snprintf(text, sizeof(text), "include %s\n", inc);
    assert_int_equal(load_text(text, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "must be in the main config file"));
}

/* Redis writes the default user next to requirepass; both must agree. */
static void test_user_default(void **state)
{
    (void)state;
    char err[4096];
    /* sha256("foo") */
    const char *hashed = "requirepass foo\n"
                         "user default on "
                         "#2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae "
                         "~* &* +@all\n";
    assert_int_equal(load_text(hashed, NULL, err, sizeof(err)), 0);
    assert_string_equal(sentinel.requirepass, "foo");
    assert_int_equal(load_text("requirepass bar\n"
                               "user default on "
                               "#2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae "
                               "~* &* +@all\n",
                               NULL, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "differs from requirepass"));
    assert_int_equal(load_text("user default on >pw ~* &* +@all\n", NULL, err, sizeof(err)), 0);
    assert_string_equal(sentinel.requirepass, "pw");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_every_directive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_during_failover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_unwritable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_include, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_default, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
