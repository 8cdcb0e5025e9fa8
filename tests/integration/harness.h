/* harness: what every integration test needs to drive real keel-server
 * processes: start one on a free port in a fresh temporary directory, wait
 * (bounded) until it answers PING, connect with hiredis, and stop it. */
#ifndef KEEL_HARNESS_H
#define KEEL_HARNESS_H

#include <hiredis/hiredis.h>
#include <sys/types.h>

typedef struct harness_server {
    int port;
    pid_t pid;
    char dir[256]; /* temporary directory, the server's --dir; removed on stop */
    char log[300]; /* the server's stdout and stderr */
} harness_server;

/* A TCP port nobody listens on right now (asked of the kernel). */
int harness_free_port(void);
/* Start $KEEL_SERVER with extra_args (split on spaces; a config file path may
 * come first), then "--port N --dir DIR".  Returns 0 once it answers PING
 * within 5 s, -1 otherwise (and the process is killed). */
int harness_start_server(harness_server *s, const char *extra_args);
/* Start without waiting for PING: for servers expected to fail at start-up.
 * Returns the exit status (waiting at most timeout_ms), or -1 if still running. */
int harness_run_server_expect_exit(harness_server *s, const char *extra_args, int timeout_ms);
/* Restarts on the same directory and port (persistence tests). */
/* An empty temporary directory and a free port in s, nothing started yet
 * (to put files in the directory first). */
int harness_make_dir(harness_server *s);
/* Start in s->dir on s->port without waiting (0, or -1). */
int harness_spawn_in_dir(harness_server *s, const char *extra_args);
/* Signal the process and reap it (SIGKILL after 30 s), keeping the directory. */
void harness_kill_server(harness_server *s, int sig);
/* Wait until it answers PONG (a server still loading answers -LOADING). */
int harness_wait_ready(harness_server *s, int timeout_ms);
/* Stop with SIGTERM (a graceful shutdown, which saves when save points are
 * set), then start again with extra_args on the same directory and port. */
int harness_restart_server(harness_server *s, const char *extra_args, int timeout_ms);
/* The exit status once the process ends (waiting at most timeout_ms), or -1. */
int harness_wait_exit(harness_server *s, int timeout_ms);
redisContext *harness_connect(harness_server *s);
void harness_stop_server(harness_server *s);
/* Send a command (printf-style, hiredis format) and return the reply; fails
 * the test if the connection breaks. Free with freeReplyObject. */
redisReply *harness_cmd(redisContext *c, const char *fmt, ...);
/* Read the server log into a malloc'd string (for asserting on messages). */
char *harness_read_log(harness_server *s);
/* Sleep in small steps until cond_fn(arg) is true or timeout_ms passes. */
int harness_wait_until(int (*cond_fn)(void *), void *arg, int timeout_ms);
void harness_sleep_ms(int ms);

#endif
