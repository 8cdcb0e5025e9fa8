/* test_server: keel-server as a process and its connections, against a
 * real server: requirepass (NOAUTH before AUTH, WRONGPASS, AUTH default,
 * HELLO AUTH, the small-request limits before AUTH), protected mode,
 * maxclients, idle timeout, CLIENT LIST/SETNAME/KILL, graceful exit on
 * SHUTDOWN, SIGTERM and SIGINT, start-up failures (unknown directive, port
 * in use), daemonize with a pid file, and the databases: SELECT bounds,
 * --databases, DBSIZE, FLUSHDB, FLUSHALL and SWAPDB.  Replies and error
 * texts are Redis 7.0's, checked against redis-server. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "harness.h"

/* ------------------------------------------------------------ fixtures */

/* Servers, hiredis contexts and processes the running test started: the
 * teardown releases them even when an assertion failed half-way. */
#define MAX_SERVERS 4
#define MAX_CTX 8
static harness_server servers[MAX_SERVERS];
static int nservers;
static redisContext *contexts[MAX_CTX];
static pid_t daemon_pid;  /* a daemonized server is no child of ours */
static pid_t spawned_pid; /* a server started by spawn_server */
static char tmpdir[256];  /* scratch files of the test */

static harness_server *start_server(const char *args)
{
    assert_true(nservers < MAX_SERVERS);
    harness_server *s = &servers[nservers];
    memset(s, 0, sizeof(*s));
    if (harness_start_server(s, args) != 0)
        fail_msg("keel-server did not start with '%s'", args);
    nservers++;
    return s;
}

static redisContext *connect_to(harness_server *s)
{
    for (int i = 0; i < MAX_CTX; i++) {
        if (!contexts[i]) {
            contexts[i] = harness_connect(s);
            assert_non_null(contexts[i]);
            return contexts[i];
        }
    }
    fail_msg("too many connections in one test");
    return NULL;
}

/* Frees a context early (e.g. one the server closed). */
static void disconnect(redisContext *c)
{
    for (int i = 0; i < MAX_CTX; i++)
        if (contexts[i] == c)
            contexts[i] = NULL;
    redisFree(c);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/keel-srvtest-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int64_t now_ms(void);
static int stop_server_checked(harness_server *s);

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < MAX_CTX; i++) {
        if (contexts[i])
            redisFree(contexts[i]);
        contexts[i] = NULL;
    }
    int rc = 0;
    for (int i = 0; i < nservers; i++)
        if (stop_server_checked(&servers[i]) != 0)
            rc = -1;
    nservers = 0;
    if (daemon_pid > 0)
        kill(daemon_pid, SIGKILL);
    daemon_pid = 0;
    if (spawned_pid > 0) {
        kill(spawned_pid, SIGKILL);
        waitpid(spawned_pid, NULL, 0);
    }
    spawned_pid = 0;
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
        tmpdir[0] = '\0';
    }
    return rc;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Stops s with SIGTERM and checks it went cleanly: exit code 0 within
 * 10 s (under ASan a leak makes it non-zero) and no sanitizer report in
 * its log, so that abuse a test threw at the server cannot hide damage.
 * Returns 0 if clean. */
static int stop_server_checked(harness_server *s)
{
    int bad = 0;
    const char *why = "";
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        int status = 0, gone = 0;
        for (int64_t deadline = now_ms() + 10000; !gone && now_ms() < deadline;) {
            if (waitpid(s->pid, &status, WNOHANG) == s->pid)
                gone = 1;
            else
                harness_sleep_ms(10);
        }
        if (!gone) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
            bad = 1, why = "did not exit within 10 s of SIGTERM";
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            bad = 1, why = "exited with a non-zero status after SIGTERM";
        }
        s->pid = 0;
    }
    char *log = harness_read_log(s);
    if (log && (strstr(log, "ERROR: AddressSanitizer") || strstr(log, "ERROR: LeakSanitizer") ||
                strstr(log, "runtime error:")))
        bad = 1, why = "reported a sanitizer error";
    if (bad)
        fprintf(stderr, "keel-server on port %d %s; its log:\n%s\n", s->port, why, log ? log : "");
    free(log);
    harness_stop_server(s);
    return bad ? -1 : 0;
}

/* ------------------------------------------------------ reply checks */

static redisReply *cmd_on(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r)
        fail_msg("'%s': connection error: %s", fmt, c->errstr);
    return r;
}

/* Each check frees the reply, then fails with a description if it was
 * not the expected one (so a failing test leaks nothing). */
static void check_reply(redisReply *r, const char *what, int ok, const char *expected)
{
    char got[600];
    snprintf(got, sizeof(got), "type %d, integer %lld, '%.500s'", r->type, r->integer,
             r->str ? r->str : "");
    freeReplyObject(r);
    if (!ok)
        fail_msg("%s:\n expected %s\n got %s", what, expected, got);
}

static void expect_status(redisReply *r, const char *what, const char *s)
{
    char want[600];
    snprintf(want, sizeof(want), "+%s", s);
    check_reply(r, what, r->type == REDIS_REPLY_STATUS && strcmp(r->str, s) == 0, want);
}

static void expect_error(redisReply *r, const char *what, const char *s)
{
    char want[600];
    snprintf(want, sizeof(want), "-%s", s);
    check_reply(r, what, r->type == REDIS_REPLY_ERROR && strcmp(r->str, s) == 0, want);
}

static void expect_int(redisReply *r, const char *what, long long v)
{
    char want[64];
    snprintf(want, sizeof(want), ":%lld", v);
    check_reply(r, what, r->type == REDIS_REPLY_INTEGER && r->integer == v, want);
}

static void expect_bulk(redisReply *r, const char *what, const char *s)
{
    char want[600];
    snprintf(want, sizeof(want), "%s%s%s", s ? "'" : "", s ? s : "nil", s ? "'" : "");
    int ok =
        s ? r->type == REDIS_REPLY_STRING && strcmp(r->str, s) == 0 : r->type == REDIS_REPLY_NIL;
    check_reply(r, what, ok, want);
}

#define OK(c, ...) expect_status(cmd_on((c), __VA_ARGS__), #__VA_ARGS__, "OK")
#define ERR(c, msg, ...) expect_error(cmd_on((c), __VA_ARGS__), #__VA_ARGS__, (msg))
#define INT(c, v, ...) expect_int(cmd_on((c), __VA_ARGS__), #__VA_ARGS__, (v))
#define BULK(c, s, ...) expect_bulk(cmd_on((c), __VA_ARGS__), #__VA_ARGS__, (s))
#define PONG(c) expect_status(cmd_on((c), "PING"), "PING", "PONG")

/* The connection was closed by the server: the next command fails. */
static void expect_closed(redisContext *c, const char *what)
{
    redisReply *r = redisCommand(c, "PING");
    if (r)
        check_reply(r, what, 0, "the connection closed by the server");
}

/* ------------------------------------------------------- raw sockets */

static int raw_connect_ip(const char *ip, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        fail_msg("connect to %s:%d: %s", ip, port, strerror(errno));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Sends req, then reads into out (NUL-terminated) until EOF or
 * timeout_ms.  Returns 1 if the server closed the connection. */
static int raw_exchange(int fd, const char *req, char *out, size_t cap, size_t *outlen,
                        int timeout_ms)
{
    if (req && send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
        fail_msg("send: %s", strerror(errno));
    size_t len = 0;
    int eof = 0;
    int64_t deadline = now_ms() + timeout_ms;
    while (!eof) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        ssize_t n = recv(fd, out + len, cap - len - 1, 0);
        if (n > 0)
            len += (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
            eof = 1;
        if (len == cap - 1)
            break;
    }
    out[len] = '\0';
    *outlen = len;
    return eof;
}

/* Send req; expect exactly `reply`, then EOF. */
static void raw_expect_reply_then_eof(const char *ip, int port, const char *req, const char *reply)
{
    int fd = raw_connect_ip(ip, port);
    char out[4096];
    size_t len;
    int eof = raw_exchange(fd, req, out, sizeof(out), &len, 3000);
    close(fd);
    if (len != strlen(reply) || memcmp(out, reply, len) != 0)
        fail_msg("sent '%.40s': expected '%s', got '%s'", req ? req : "", reply, out);
    if (!eof)
        fail_msg("sent '%.40s': the connection was not closed after the reply", req ? req : "");
}

/* The first non-loopback IPv4 address of this machine, or NULL. */
static const char *non_loopback_ipv4(void)
{
    static char addr[INET_ADDRSTRLEN];
    struct ifaddrs *ifs = NULL, *i;
    if (getifaddrs(&ifs) != 0)
        return NULL;
    const char *found = NULL;
    for (i = ifs; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
            (i->ifa_flags & IFF_LOOPBACK))
            continue;
        struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
        if ((ntohl(a.s_addr) >> 24) == 127)
            continue;
        if (inet_ntop(AF_INET, &a, addr, sizeof(addr)))
            found = addr;
    }
    freeifaddrs(ifs);
    return found;
}

/* ------------------------------------------------------------ processes */

static int wait_exit(pid_t pid, int timeout_ms)
{
    for (int64_t deadline = now_ms() + timeout_ms; now_ms() <= deadline; harness_sleep_ms(10)) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return -1;
}

static void expect_log_contains(harness_server *s, const char *want)
{
    char *log = harness_read_log(s);
    assert_non_null(log);
    int found = strstr(log, want) != NULL;
    if (!found)
        fprintf(stderr, "--- server log:\n%s\n---\n", log);
    free(log);
    if (!found)
        fail_msg("the server log lacks '%s'", want);
}

/* keel-server with exactly these arguments (no --port/--dir added), its
 * output in `logpath`: for start-up failures the harness cannot set up. */
static pid_t spawn_server(const char *const *args, const char *logpath)
{
    const char *bin = getenv("KEEL_SERVER");
    assert_non_null(bin);
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)bin;
    for (; args[argc - 1] && argc < 31; argc++)
        argv[argc] = (char *)args[argc - 1];
    argv[argc] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    spawned_pid = pid;
    return pid;
}

static char *read_whole_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    static char data[65536];
    size_t n = fread(data, 1, sizeof(data) - 1, fp);
    data[n] = '\0';
    fclose(fp);
    return data;
}

/* Is pid a running process (not gone, not a zombie)? */
static int process_alive(pid_t pid)
{
    if (kill(pid, 0) != 0)
        return 0;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    char buf[512];
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    char *close_paren = strrchr(buf, ')');
    return !(close_paren && close_paren[1] == ' ' &&
             (close_paren[2] == 'Z' || close_paren[2] == 'X'));
}

/* ------------------------------------------------------------ requirepass */

#define NOAUTH "NOAUTH Authentication required."
#define WRONGPASS "WRONGPASS invalid username-password pair or user is disabled."

/* Before AUTH every command but AUTH, HELLO and QUIT gets NOAUTH. */
static void test_requirepass_noauth_before_auth(void **state)
{
    (void)state;
    harness_server *s = start_server("--requirepass sekret");
    redisContext *c = connect_to(s);
    const char *cmds[] = {"PING",
                          "GET a",
                          "SET a b",
                          "SELECT 1",
                          "DBSIZE",
                          "CLIENT ID",
                          "CLIENT SETNAME x",
                          "ECHO hi",
                          "FLUSHALL",
                          "CONFIG GET port",
                          "INFO",
                          "KEYS *",
                          "TIME",
                          "DEL a",
                          "EXISTS a",
                          "COMMAND COUNT",
                          "SHUTDOWN"};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        expect_error(cmd_on(c, cmds[i]), cmds[i], NOAUTH);
    OK(c, "AUTH sekret");
    PONG(c);
    BULK(c, NULL, "GET a"); /* the SET above never ran */
    OK(c, "SET a b");
    BULK(c, "b", "GET a");

    /* QUIT works before AUTH: +OK, then the server closes */
    int fd = raw_connect_ip("127.0.0.1", s->port);
    char out[256];
    size_t len;
    int eof = raw_exchange(fd, "QUIT\r\n", out, sizeof(out), &len, 3000);
    close(fd);
    assert_string_equal(out, "+OK\r\n");
    assert_true(eof);
}

static void test_requirepass_wrong_passwords(void **state)
{
    (void)state;
    harness_server *s = start_server("--requirepass sekret");
    redisContext *c = connect_to(s);
    ERR(c, WRONGPASS, "AUTH wrong");
    ERR(c, WRONGPASS, "AUTH %s", "");
    ERR(c, WRONGPASS, "AUTH default wrong");
    ERR(c, WRONGPASS, "AUTH other sekret");
    ERR(c, WRONGPASS, "AUTH other wrong");
    ERR(c, WRONGPASS, "AUTH sekret2");
    ERR(c, WRONGPASS, "AUTH SEKRET");
    ERR(c, NOAUTH, "PING");
    ERR(c, "ERR syntax error", "AUTH a b c");
    ERR(c, "ERR wrong number of arguments for 'auth' command", "AUTH");

    OK(c, "AUTH default sekret");
    PONG(c);
    /* a failed AUTH later does not log an authenticated client out */
    ERR(c, WRONGPASS, "AUTH wrong");
    PONG(c);

    redisContext *c2 = connect_to(s);
    OK(c2, "AUTH sekret");
    PONG(c2);
}

/* User names are case-sensitive: "DEFAULT" is not the default user. */
static void test_requirepass_user_name_is_case_sensitive(void **state)
{
    (void)state;
    harness_server *s = start_server("--requirepass sekret");
    redisContext *c = connect_to(s);
    ERR(c, WRONGPASS, "AUTH DEFAULT sekret");
    ERR(c, WRONGPASS, "AUTH Default sekret");
    ERR(c, NOAUTH, "PING");
    ERR(c, WRONGPASS, "HELLO 2 AUTH DEFAULT sekret");
    ERR(c, NOAUTH, "PING");
    OK(c, "AUTH default sekret");
    PONG(c);
}

/* HELLO 2 AUTH default <pass> authenticates and switches in one go. */
static void test_requirepass_hello_auth(void **state)
{
    (void)state;
    harness_server *s = start_server("--requirepass sekret");
    redisContext *c = connect_to(s);
    ERR(c, WRONGPASS, "HELLO 2 AUTH default wrong");
    ERR(c, WRONGPASS, "HELLO 2 AUTH other sekret");
    ERR(c, NOAUTH, "PING");

    redisReply *r = cmd_on(c, "HELLO 2 AUTH default sekret");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 14);
    assert_string_equal(r->element[0]->str, "server");
    assert_string_equal(r->element[1]->str, "redis");
    assert_string_equal(r->element[4]->str, "proto");
    assert_int_equal(r->element[5]->integer, 2);
    freeReplyObject(r);
    PONG(c);
    OK(c, "SET k v");

    /* with SETNAME too */
    redisContext *c2 = connect_to(s);
    r = cmd_on(c2, "HELLO 2 AUTH default sekret SETNAME named");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    BULK(c2, "named", "CLIENT GETNAME");
    BULK(c2, "v", "GET k");
}

/* HELLO without AUTH on a server with a password: Redis 7.0's exact text. */
static void test_requirepass_hello_without_auth(void **state)
{
    (void)state;
    harness_server *s = start_server("--requirepass sekret");
    redisContext *c = connect_to(s);
    const char *msg = "NOAUTH HELLO must be called with the client already authenticated, "
                      "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate "
                      "the client and select the RESP protocol version at the same time";
    ERR(c, msg, "HELLO");
    ERR(c, msg, "HELLO 2");
    ERR(c, msg, "HELLO 2 SETNAME x");
    ERR(c, NOAUTH, "PING");
}

/* Before AUTH, Redis parses only small requests: more than 10 arguments or
 * a bulk over 16384 bytes is a protocol error and the connection closes. */
static void test_requirepass_unauthenticated_request_limits(void **state)
{
    (void)state;
    harness_server *s = start_server("--requirepass sekret");
    raw_expect_reply_then_eof("127.0.0.1", s->port, "*11\r\n",
                              "-ERR Protocol error: unauthenticated multibulk length\r\n");
    raw_expect_reply_then_eof("127.0.0.1", s->port, "*2\r\n$4\r\nAUTH\r\n$16385\r\n",
                              "-ERR Protocol error: unauthenticated bulk length\r\n");

    /* at the limits: parsed, then refused as any command before AUTH */
    redisContext *c = connect_to(s);
    ERR(c, NOAUTH, "DEL a b c d e f g h i");
    static char big[20001];
    memset(big, 'x', 16384);
    big[16384] = '\0';
    redisReply *r = cmd_on(c, "ECHO %s", big);
    expect_error(r, "ECHO <16384 bytes>", NOAUTH);
    OK(c, "AUTH sekret");
    /* and past them once authenticated */
    INT(c, 0, "DEL a b c d e f g h i j k l");
    memset(big, 'y', 20000);
    big[20000] = '\0';
    r = cmd_on(c, "ECHO %s", big);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, 20000);
    freeReplyObject(r);
}

/* Without requirepass: AUTH <pass> is an error, AUTH default <any> works. */
static void test_auth_without_password_configured(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    redisContext *c = connect_to(s);
    ERR(c,
        "ERR AUTH <password> called without any password configured for the default user. Are "
        "you sure your configuration is correct?",
        "AUTH foo");
    OK(c, "AUTH default anything");
    ERR(c, WRONGPASS, "AUTH other anything");
    PONG(c);
}

/* --------------------------------------------------------- protected mode */

/* No password and a non-loopback client: "-DENIED ...", then closed;
 * loopback clients are served. */
static void test_protected_mode_denies_non_loopback(void **state)
{
    (void)state;
    const char *ip = non_loopback_ipv4();
    if (!ip) {
        fprintf(stderr, "skipped: this machine has no non-loopback IPv4 address to connect from\n");
        skip();
    }
    harness_server *s = start_server("--bind 0.0.0.0");
    int fd = raw_connect_ip(ip, s->port);
    char out[4096];
    size_t len;
    int eof = raw_exchange(fd, "PING\r\n", out, sizeof(out), &len, 3000);
    close(fd);
    if (strncmp(out, "-DENIED ", 8) != 0)
        fail_msg("a client from %s got '%.200s', expected -DENIED", ip, out);
    assert_true(len > 2 && out[len - 2] == '\r' && out[len - 1] == '\n');
    assert_null(memchr(out, '\n', len - 1)); /* one error line, nothing else */
    assert_true(eof);

    redisContext *c = connect_to(s);
    PONG(c);
}

/* With a password, or with protected-mode off, non-loopback clients are
 * accepted (and must AUTH in the first case). */
static void test_protected_mode_password_or_off_accepts(void **state)
{
    (void)state;
    const char *ip = non_loopback_ipv4();
    if (!ip) {
        fprintf(stderr, "skipped: this machine has no non-loopback IPv4 address to connect from\n");
        skip();
    }
    harness_server *s1 = start_server("--bind 0.0.0.0 --requirepass pw");
    harness_server *s2 = start_server("--bind 0.0.0.0 --protected-mode no");
    char out[4096];
    size_t len;
    int fd = raw_connect_ip(ip, s1->port);
    raw_exchange(fd, "PING\r\nAUTH pw\r\nPING\r\n", out, sizeof(out), &len, 500);
    close(fd);
    assert_string_equal(out, "-" NOAUTH "\r\n+OK\r\n+PONG\r\n");
    fd = raw_connect_ip(ip, s2->port);
    raw_exchange(fd, "PING\r\n", out, sizeof(out), &len, 500);
    close(fd);
    assert_string_equal(out, "+PONG\r\n");
}

/* ------------------------------------------------------------- maxclients */

static int client_list_lines(redisContext *c)
{
    redisReply *r = cmd_on(c, "CLIENT LIST");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    int n = 0;
    for (size_t i = 0; i < r->len; i++)
        n += r->str[i] == '\n';
    freeReplyObject(r);
    return n;
}

static void wait_clients(redisContext *c, int n)
{
    int64_t deadline = now_ms() + 5000;
    int seen;
    while ((seen = client_list_lines(c)) != n && now_ms() < deadline)
        harness_sleep_ms(20);
    if (seen != n)
        fail_msg("expected %d clients in CLIENT LIST, saw %d", n, seen);
}

static void test_maxclients(void **state)
{
    (void)state;
    harness_server *s = start_server("--maxclients 3");
    redisContext *c1 = connect_to(s);
    wait_clients(c1, 1); /* the harness's start-up probe has gone */
    redisContext *c2 = connect_to(s);
    redisContext *c3 = connect_to(s);
    PONG(c2);
    PONG(c3);
    raw_expect_reply_then_eof("127.0.0.1", s->port, "PING\r\n",
                              "-ERR max number of clients reached\r\n");
    raw_expect_reply_then_eof("127.0.0.1", s->port, NULL, "-ERR max number of clients reached\r\n");
    PONG(c1);
    PONG(c2);
    PONG(c3);

    /* a slot freed is a slot for the next client */
    disconnect(c3);
    wait_clients(c1, 2);
    redisContext *c4 = connect_to(s);
    PONG(c4);
    raw_expect_reply_then_eof("127.0.0.1", s->port, "PING\r\n",
                              "-ERR max number of clients reached\r\n");
}

/* ---------------------------------------------------------------- timeout */

static void test_timeout_closes_idle_client(void **state)
{
    (void)state;
    harness_server *s = start_server("--timeout 1");
    int fd = raw_connect_ip("127.0.0.1", s->port);
    char out[256];
    size_t len;
    int eof = raw_exchange(fd, "PING\r\n", out, sizeof(out), &len, 500);
    assert_string_equal(out, "+PONG\r\n");
    assert_false(eof);
    int64_t start = now_ms();
    /* still open well inside the timeout */
    eof = raw_exchange(fd, NULL, out, sizeof(out), &len, 500);
    assert_false(eof);
    eof = raw_exchange(fd, NULL, out, sizeof(out), &len, 3000 - 500);
    int64_t waited = now_ms() - start;
    close(fd);
    if (!eof)
        fail_msg("an idle client with --timeout 1 was still connected after %lld ms",
                 (long long)waited);
    assert_int_equal(len, 0); /* closed without a word, as Redis does */

    /* a client that keeps talking is not idle */
    redisContext *c = connect_to(s);
    for (int i = 0; i < 6; i++) {
        PONG(c);
        harness_sleep_ms(400);
    }
    PONG(c);
}

/* ----------------------------------------------------------------- CLIENT */

/* The value of field `name=` in a CLIENT INFO line, copied to out. */
static void client_field(const char *line, const char *name, char *out, size_t cap)
{
    char key[64];
    snprintf(key, sizeof(key), " %s=", name);
    const char *p;
    if (strncmp(line, key + 1, strlen(key + 1)) == 0)
        p = line + strlen(key + 1); /* the first field */
    else if ((p = strstr(line, key)) != NULL)
        p += strlen(key);
    else
        fail_msg("no %s= in '%s'", name, line);
    size_t n = strcspn(p, " \n");
    assert_true(n < cap);
    memcpy(out, p, n);
    out[n] = '\0';
}

static void test_client_list_setname_kill(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    redisContext *a = connect_to(s);
    wait_clients(a, 1);
    redisContext *b = connect_to(s);
    OK(a, "CLIENT SETNAME alpha");
    OK(b, "CLIENT SETNAME beta");
    BULK(a, "alpha", "CLIENT GETNAME");
    ERR(a, "ERR Client names cannot contain spaces, newlines or special characters.",
        "CLIENT SETNAME %s", "has space");

    redisReply *r = cmd_on(a, "CLIENT LIST");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    int lines = 0;
    for (size_t i = 0; i < r->len; i++)
        lines += r->str[i] == '\n';
    assert_int_equal(lines, 2);
    assert_non_null(strstr(r->str, " name=alpha "));
    assert_non_null(strstr(r->str, " name=beta "));
    assert_true(strncmp(r->str, "id=", 3) == 0);
    freeReplyObject(r);

    long long bid;
    r = cmd_on(b, "CLIENT ID");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    bid = r->integer;
    freeReplyObject(r);
    r = cmd_on(b, "CLIENT INFO");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    char id_text[32];
    client_field(r->str, "id", id_text, sizeof(id_text));
    assert_int_equal(atoll(id_text), bid);
    freeReplyObject(r);

    /* CLIENT KILL ID: the other connection goes, ours stays */
    INT(a, 0, "CLIENT KILL ID 999999");
    ERR(a, "ERR client-id should be greater than 0", "CLIENT KILL ID 0");
    INT(a, 1, "CLIENT KILL ID %lld", bid);
    expect_closed(b, "CLIENT KILL ID");
    disconnect(b);
    PONG(a);
    wait_clients(a, 1);
    /* one's own id is skipped unless SKIPME no */
    r = cmd_on(a, "CLIENT ID");
    long long aid = r->integer;
    freeReplyObject(r);
    INT(a, 0, "CLIENT KILL ID %lld", aid);
    PONG(a);

    /* CLIENT KILL ADDR, by the peer address CLIENT INFO shows */
    redisContext *c = connect_to(s);
    r = cmd_on(c, "CLIENT INFO");
    char addr[64];
    client_field(r->str, "addr", addr, sizeof(addr));
    freeReplyObject(r);
    INT(a, 0, "CLIENT KILL ADDR 127.0.0.1:1");
    INT(a, 1, "CLIENT KILL ADDR %s", addr);
    expect_closed(c, "CLIENT KILL ADDR");
    disconnect(c);

    /* the old form: CLIENT KILL addr:port, +OK or an error */
    redisContext *d = connect_to(s);
    r = cmd_on(d, "CLIENT INFO");
    client_field(r->str, "addr", addr, sizeof(addr));
    freeReplyObject(r);
    ERR(a, "ERR No such client", "CLIENT KILL 127.0.0.1:1");
    OK(a, "CLIENT KILL %s", addr);
    expect_closed(d, "CLIENT KILL addr:port");
    disconnect(d);
    PONG(a);
    wait_clients(a, 1);
}

/* --------------------------------------------------------------- shutdown */

/* Stops s by `how` (0: SHUTDOWN, else a signal) and expects a clean exit. */
static void shutdown_and_check(harness_server *s, int how)
{
    redisContext *c = connect_to(s);
    OK(c, "SET k v");
    if (how == 0) {
        redisReply *r = redisCommand(c, "SHUTDOWN");
        /* Redis closes the connection without a reply on success */
        if (r)
            check_reply(r, "SHUTDOWN", 0, "no reply: the connection closed");
    } else {
        assert_int_equal(kill(s->pid, how), 0);
    }
    int rc = wait_exit(s->pid, 10000);
    if (rc == -1)
        fail_msg("the server did not exit within 10 s");
    s->pid = 0; /* reaped */
    if (rc != 0) {
        char *log = harness_read_log(s);
        fprintf(stderr, "--- server log:\n%s\n---\n", log ? log : "");
        free(log);
        fail_msg("exit code %d after %s, expected 0", rc, how == 0 ? "SHUTDOWN" : strsignal(how));
    }
    expect_log_contains(s, "ready to exit");
}

static void test_shutdown_command(void **state)
{
    (void)state;
    shutdown_and_check(start_server(""), 0);
}

static void test_shutdown_nosave_and_errors(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    redisContext *c = connect_to(s);
    ERR(c, "ERR syntax error", "SHUTDOWN BOGUS");
    ERR(c, "ERR syntax error", "SHUTDOWN SAVE NOSAVE");
    PONG(c);
    redisReply *r = redisCommand(c, "SHUTDOWN NOSAVE");
    assert_null(r);
    int rc = wait_exit(s->pid, 10000);
    s->pid = 0;
    assert_int_equal(rc, 0);
    expect_log_contains(s, "ready to exit");
}

static void test_sigterm(void **state)
{
    (void)state;
    shutdown_and_check(start_server(""), SIGTERM);
}

static void test_sigint(void **state)
{
    (void)state;
    shutdown_and_check(start_server(""), SIGINT);
}

/* -------------------------------------------------------- start-up errors */

static void test_unknown_directive_in_file(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("# a comment\nport 6379\nno-such-directive yes\n", fp);
    fclose(fp);

    harness_server s = {0};
    int rc = harness_run_server_expect_exit(&s, path, 5000);
    char *log = harness_read_log(&s);
    if (s.pid > 0) {
        kill(s.pid, SIGKILL);
        waitpid(s.pid, NULL, 0);
        s.pid = 0;
    }
    harness_stop_server(&s);
    assert_non_null(log);
    int ok = rc > 0 && strstr(log, path) && strstr(log, "line 3") &&
             strstr(log, "no-such-directive") &&
             strstr(log, "Bad directive or wrong number of arguments");
    if (!ok)
        fprintf(stderr, "--- output (exit %d):\n%s\n---\n", rc, log);
    free(log);
    if (!ok)
        fail_msg("an unknown directive must stop start-up (non-zero exit) naming %s and line 3",
                 path);
}

static void test_unknown_option_on_command_line(void **state)
{
    (void)state;
    harness_server s = {0};
    int rc = harness_run_server_expect_exit(&s, "--no-such-option 1", 5000);
    char *log = harness_read_log(&s);
    if (s.pid > 0) {
        kill(s.pid, SIGKILL);
        waitpid(s.pid, NULL, 0);
        s.pid = 0;
    }
    harness_stop_server(&s);
    assert_non_null(log);
    int ok = rc > 0 && strstr(log, "no-such-option") && strstr(log, "Bad directive");
    if (!ok)
        fprintf(stderr, "--- output (exit %d):\n%s\n---\n", rc, log);
    free(log);
    assert_true(ok);
}

static void test_port_in_use(void **state)
{
    (void)state;
    /* hold a listening socket on 0.0.0.0:port, where keel binds by default */
    int holder = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(holder >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t slen = sizeof(sa);
    assert_int_equal(bind(holder, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(holder, 1), 0);
    assert_int_equal(getsockname(holder, (struct sockaddr *)&sa, &slen), 0);
    char port[16], logpath[300];
    snprintf(port, sizeof(port), "%d", ntohs(sa.sin_port));
    snprintf(logpath, sizeof(logpath), "%s/port.log", tmpdir);
    const char *args[] = {"--port", port, "--dir", tmpdir, NULL};
    pid_t pid = spawn_server(args, logpath);
    int rc = wait_exit(pid, 5000);
    close(holder);
    if (rc == -1)
        fail_msg("keel-server kept running on a port already in use");
    spawned_pid = 0;
    char *log = read_whole_file(logpath);
    assert_non_null(log);
    if (rc == 0 || !strstr(log, "Address already in use") || !strstr(log, port)) {
        fprintf(stderr, "--- output (exit %d):\n%s\n---\n", rc, log);
        fail_msg("a port in use must stop start-up with a non-zero exit and a message naming it");
    }
}

/* ---------------------------------------------------------------- daemon */

static pid_t read_pidfile(const char *path)
{
    char *text = read_whole_file(path);
    return text ? (pid_t)atoi(text) : 0;
}

static void test_daemonize_pidfile(void **state)
{
    (void)state;
    char pidfile[300], args[400];
    snprintf(pidfile, sizeof(pidfile), "%s/keel.pid", tmpdir);
    snprintf(args, sizeof(args), "--daemonize yes --pidfile %s", pidfile);
    harness_server *s = &servers[nservers++];
    memset(s, 0, sizeof(*s));
    int rc = harness_run_server_expect_exit(s, args, 5000);
    assert_int_equal(rc, 0); /* the foreground process exits at once */

    pid_t pid = 0;
    for (int64_t deadline = now_ms() + 5000; now_ms() < deadline; harness_sleep_ms(20)) {
        pid = read_pidfile(pidfile);
        if (pid > 0 && process_alive(pid))
            break;
    }
    if (pid <= 0 || !process_alive(pid))
        fail_msg("no pid file with a live pid at %s within 5 s", pidfile);
    daemon_pid = pid;

    redisContext *c = NULL;
    for (int64_t deadline = now_ms() + 5000; !c && now_ms() < deadline; harness_sleep_ms(50)) {
        struct timeval tv = {1, 0};
        c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
        if (c && c->err) {
            redisFree(c);
            c = NULL;
        }
    }
    assert_non_null(c);
    contexts[0] = c;
    redisSetTimeout(c, (struct timeval){5, 0});
    PONG(c);
    redisReply *r = cmd_on(c, "INFO server");
    char want[64];
    snprintf(want, sizeof(want), "process_id:%d\r\n", (int)pid);
    assert_non_null(strstr(r->str, want));
    freeReplyObject(r);

    r = redisCommand(c, "SHUTDOWN");
    assert_null(r);
    int gone = 0;
    for (int64_t deadline = now_ms() + 10000; !gone && now_ms() < deadline; harness_sleep_ms(20))
        gone = !process_alive(pid) && access(pidfile, F_OK) != 0;
    if (!gone)
        fail_msg("after SHUTDOWN: process %s, pid file %s", process_alive(pid) ? "alive" : "gone",
                 access(pidfile, F_OK) == 0 ? "still there" : "removed");
    daemon_pid = 0;
}

/* -------------------------------------------------------------- databases */

static void test_select_bounds(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    redisContext *c = connect_to(s);
    OK(c, "SELECT 15");
    OK(c, "SET in15 yes");
    OK(c, "SELECT 0");
    ERR(c, "ERR DB index is out of range", "SELECT 16");
    ERR(c, "ERR DB index is out of range", "SELECT -1");
    ERR(c, "ERR value is not an integer or out of range", "SELECT 99999999999999999999");
    ERR(c, "ERR value is not an integer or out of range", "SELECT abc");
    ERR(c, "ERR value is not an integer or out of range", "SELECT 1.5");
    ERR(c, "ERR wrong number of arguments for 'select' command", "SELECT");
    /* a failed SELECT leaves the database as it was */
    INT(c, 0, "EXISTS in15");
    OK(c, "SELECT 15");
    ERR(c, "ERR DB index is out of range", "SELECT 16");
    INT(c, 1, "EXISTS in15");
}

/* An index that fits a long long but not an int: Redis 7.0's own wording
 * (sic: "must between"), from its getIntFromObjectOrReply. */
static void test_select_index_beyond_int(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    redisContext *c = connect_to(s);
    const char *msg = "ERR value is out of range, value must between -2147483648 and 2147483647";
    ERR(c, msg, "SELECT 2147483648");
    ERR(c, msg, "SELECT -2147483649");
    ERR(c, msg, "SELECT 9223372036854775807");
    PONG(c);
}

static void test_databases_option(void **state)
{
    (void)state;
    harness_server *s = start_server("--databases 4");
    redisContext *c = connect_to(s);
    OK(c, "SELECT 3");
    ERR(c, "ERR DB index is out of range", "SELECT 4");
    ERR(c, "ERR DB index is out of range", "SELECT 15");
    ERR(c, "ERR DB index is out of range", "SWAPDB 0 4");
    OK(c, "SWAPDB 0 3");
    redisReply *r = cmd_on(c, "CONFIG GET databases");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "4");
    freeReplyObject(r);
}

static void dbsizes(redisContext *c, const long long *want, int n)
{
    for (int db = 0; db < n; db++) {
        OK(c, "SELECT %d", db);
        char what[32];
        snprintf(what, sizeof(what), "DBSIZE in db %d", db);
        expect_int(cmd_on(c, "DBSIZE"), what, want[db]);
    }
}

static void test_dbsize_flush_swapdb_across_databases(void **state)
{
    (void)state;
    harness_server *s = start_server("");
    redisContext *c = connect_to(s);
    redisContext *watcher = connect_to(s); /* sits in db 1 throughout */
    OK(watcher, "SELECT 1");

    OK(c, "MSET a 1 b 2");
    OK(c, "SELECT 1");
    OK(c, "MSET x 1 y 2 z 3");
    OK(c, "SELECT 15");
    OK(c, "SET only15 1");
    long long sizes[16] = {2, 3};
    sizes[15] = 1;
    dbsizes(c, sizes, 16);

    /* SWAPDB swaps the data; a client keeps its db index and sees the other data */
    OK(c, "SWAPDB 0 1");
    INT(watcher, 2, "DBSIZE");
    BULK(watcher, "1", "GET a");
    BULK(watcher, NULL, "GET x");
    sizes[0] = 3;
    sizes[1] = 2;
    dbsizes(c, sizes, 16);
    OK(c, "SELECT 0");
    BULK(c, "3", "GET z");
    OK(c, "SWAPDB 15 2");
    sizes[2] = 1;
    sizes[15] = 0;
    dbsizes(c, sizes, 16);
    OK(c, "SWAPDB 5 5");
    ERR(c, "ERR DB index is out of range", "SWAPDB 0 16");
    ERR(c, "ERR DB index is out of range", "SWAPDB -1 0");
    ERR(c, "ERR invalid first DB index", "SWAPDB a 1");
    ERR(c, "ERR invalid second DB index", "SWAPDB 1 b");
    ERR(c, "ERR wrong number of arguments for 'swapdb' command", "SWAPDB 1");

    /* FLUSHDB empties only the selected database */
    OK(c, "SELECT 1");
    OK(c, "FLUSHDB");
    sizes[1] = 0;
    dbsizes(c, sizes, 16);
    INT(watcher, 0, "DBSIZE");
    OK(c, "SELECT 0");
    OK(c, "FLUSHDB ASYNC");
    sizes[0] = 0;
    dbsizes(c, sizes, 16);
    ERR(c, "ERR syntax error", "FLUSHDB NOW");
    ERR(c, "ERR syntax error", "FLUSHALL SYNC ASYNC");

    /* FLUSHALL empties them all */
    OK(c, "SELECT 7");
    OK(c, "SET k7 v");
    OK(c, "SELECT 0");
    OK(c, "SET k0 v");
    INT(c, 1, "DBSIZE");
    OK(c, "FLUSHALL");
    long long zero[16] = {0};
    dbsizes(c, zero, 16);
    OK(c, "SET again 1");
    OK(c, "FLUSHALL SYNC");
    dbsizes(c, zero, 16);
    OK(c, "SET again 1");
    OK(c, "FLUSHALL ASYNC");
    dbsizes(c, zero, 16);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_requirepass_noauth_before_auth),
        T(test_requirepass_wrong_passwords),
        T(test_requirepass_user_name_is_case_sensitive),
        T(test_requirepass_hello_auth),
        T(test_requirepass_hello_without_auth),
        T(test_requirepass_unauthenticated_request_limits),
        T(test_auth_without_password_configured),
        T(test_protected_mode_denies_non_loopback),
        T(test_protected_mode_password_or_off_accepts),
        T(test_maxclients),
        T(test_timeout_closes_idle_client),
        T(test_client_list_setname_kill),
        T(test_shutdown_command),
        T(test_shutdown_nosave_and_errors),
        T(test_sigterm),
        T(test_sigint),
        T(test_unknown_directive_in_file),
        T(test_unknown_option_on_command_line),
        T(test_port_in_use),
        T(test_daemonize_pidfile),
        T(test_select_bounds),
        T(test_select_index_beyond_int),
        T(test_databases_option),
        T(test_dbsize_flush_swapdb_across_databases),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
