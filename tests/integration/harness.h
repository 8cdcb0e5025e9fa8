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
