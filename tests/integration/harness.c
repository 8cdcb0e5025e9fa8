/* harness: starting, reaching and stopping real keel-server processes for
 * the integration tests.  Every wait is bounded; servers die with the test
 * process (PR_SET_PDEATHSIG) even when a test aborts half-way. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void harness_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int harness_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static const char *harness_binary(void)
{
    const char *bin = getenv("KEEL_SERVER");
    if (!bin || !bin[0]) {
        fprintf(stderr, "harness: KEEL_SERVER is not set (run the tests with ctest)\n");
        exit(1);
    }
    return bin;
}

static pid_t harness_exec(harness_server *s, const char *extra_args);

static pid_t harness_spawn(harness_server *s, const char *extra_args)
{
    snprintf(s->dir, sizeof(s->dir), "/tmp/keel-test-XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    return harness_exec(s, extra_args);
}

/* Start the process in s->dir (which exists), logging to s->log. */
static pid_t harness_exec(harness_server *s, const char *extra_args)
{
    snprintf(s->log, sizeof(s->log), "%s/server.log", s->dir);
    if (s->port == 0)
        s->port = harness_free_port();

    char *argv[128];
    int argc = 0;
    char *copy = strdup(extra_args ? extra_args : "");
    argv[argc++] = (char *)harness_binary();
    for (char *tok = strtok(copy, " "); tok && argc < 120; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    char port[16];
    snprintf(port, sizeof(port), "%d", s->port);
    argv[argc++] = "--port";
    argv[argc++] = port;
    argv[argc++] = "--dir";
    argv[argc++] = s->dir;
    argv[argc] = NULL;

    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    free(copy);
    s->pid = pid;
    return pid;
}

static int harness_pings(harness_server *s)
{
    struct timeval tv = {0, 200000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
    int ok = 0;
    if (c && !c->err) {
        redisSetTimeout(c, tv);
        redisReply *r = redisCommand(c, "PING");
        /* PONG, or NOAUTH from a server with a password: either way it is up. */
        ok = r && ((r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0) ||
                   (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOAUTH", 6) == 0));
        if (r)
            freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return ok;
}

int harness_start_server(harness_server *s, const char *extra_args)
{
    s->port = 0;
    if (harness_spawn(s, extra_args) < 0)
        return -1;
    for (int i = 0; i < 100; i++) {
        if (harness_pings(s))
            return 0;
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            fprintf(stderr, "harness: keel-server exited during start-up; log:\n");
            char *log = harness_read_log(s);
            fprintf(stderr, "%s\n", log ? log : "");
            free(log);
            s->pid = 0;
            return -1;
        }
        harness_sleep_ms(50);
    }
    fprintf(stderr, "harness: keel-server did not answer PING within 5 s\n");
    harness_stop_server(s);
    return -1;
}

int harness_run_server_expect_exit(harness_server *s, const char *extra_args, int timeout_ms)
{
    s->port = 0;
    if (harness_spawn(s, extra_args) < 0)
        return -1;
    return harness_wait_exit(s, timeout_ms);
}

int harness_make_dir(harness_server *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/keel-test-XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    s->port = harness_free_port();
    return 0;
}

int harness_spawn_in_dir(harness_server *s, const char *extra_args)
{
    if (s->port == 0)
        s->port = harness_free_port();
    return harness_exec(s, extra_args) < 0 ? -1 : 0;
}

void harness_kill_server(harness_server *s, int sig)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, sig);
    int status;
    for (int i = 0; i < 1500; i++) { /* 30 s: a shutdown may save a big dataset */
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return;
        }
        harness_sleep_ms(20);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = 0;
}

int harness_wait_ready(harness_server *s, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        if (harness_pings(s))
            return 0;
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            fprintf(stderr, "harness: keel-server exited during start-up; log:\n");
            char *log = harness_read_log(s);
            fprintf(stderr, "%s\n", log ? log : "");
            free(log);
            s->pid = 0;
            return -1;
        }
        harness_sleep_ms(50);
    }
    fprintf(stderr, "harness: keel-server did not answer PING within %d ms\n", timeout_ms);
    return -1;
}

int harness_restart_server(harness_server *s, const char *extra_args, int timeout_ms)
{
    harness_kill_server(s, SIGTERM);
    if (harness_spawn_in_dir(s, extra_args) != 0)
        return -1;
    return harness_wait_ready(s, timeout_ms);
}

int harness_wait_exit(harness_server *s, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        harness_sleep_ms(20);
    }
    return -1;
}

redisContext *harness_connect(harness_server *s)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
    if (!c || c->err) {
        fprintf(stderr, "harness: cannot connect to port %d: %s\n", s->port, c ? c->errstr : "oom");
        if (c)
            redisFree(c);
        return NULL;
    }
    struct timeval rtv = {10, 0};
    redisSetTimeout(c, rtv);
    return c;
}

void harness_stop_server(harness_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        int status;
        int gone = 0;
        for (int i = 0; i < 250 && !gone; i++) {
            if (waitpid(s->pid, &status, WNOHANG) == s->pid)
                gone = 1;
            else
                harness_sleep_ms(20);
        }
        if (!gone) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
        }
        s->pid = 0;
    }
    if (s->dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "harness: could not remove %s\n", s->dir);
        s->dir[0] = '\0';
    }
}

redisReply *harness_cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r) {
        fprintf(stderr, "harness: connection error: %s\n", c->errstr);
        abort();
    }
    return r;
}

char *harness_read_log(harness_server *s)
{
    FILE *fp = fopen(s->log, "r");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *out = malloc((size_t)n + 1);
    size_t got = fread(out, 1, (size_t)n, fp);
    out[got] = '\0';
    fclose(fp);
    return out;
}

int harness_wait_until(int (*cond_fn)(void *), void *arg, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        if (cond_fn(arg))
            return 1;
        harness_sleep_ms(10);
    }
    return 0;
}
