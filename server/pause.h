/* pause.h: CLIENT PAUSE / CLIENT UNPAUSE (Redis 7.0's) and the stall write
 * fence (Keel's own), which share one mechanism: a command that may not run
 * now is held, its client waits, and it runs from the top, in arrival
 * order, once the pause or fence ends.  While either is in effect the
 * dataset and the replication offset stay still: keys are not expired (only
 * hidden) and the primary sends no periodic PING down the stream. */
#ifndef KEEL_PAUSE_H
#define KEEL_PAUSE_H

#include "server.h"

/* Client flags kept by pause.c, far above server.h's so they never meet. */
#define CLIENT_MULTI_MAY_REPLICATE (1 << 28) /* its MULTI queue holds a write or PUBLISH */
#define CLIENT_PAUSE_HELD (1 << 29)          /* its command waits for the pause to end */
#define CLIENT_MULTI_WRITES (1 << 30)        /* its MULTI queue holds a write */

/* stall-fence-threshold, stall-fence-timeout (milliseconds; config_options.c) */
typedef struct pause_config {
    int stall_fence_threshold; /* a stall longer than this fences writes; 0: never */
    int stall_fence_timeout;   /* the fence lifts itself after this; 0: never */
} pause_config;
extern pause_config pause_cfg;

/* server_init: the loop watchers (stall detection, pause and fence timers). */
void pause_init(server *s);
/* command_call, once the command passed every check that refuses it and
 * before it is queued or run: 1 if it was held (nothing is replied now). */
int pause_hold_command(client *c, const command *cmd);
/* command_call, after the handler ran: a primary just made a replica
 * ends the waits of blocked clients, and lifts its fence at once (the held
 * writes then get -READONLY). */
void pause_after_command(client *c);
/* server.c's before-sleep, ahead of the flush: run the commands released
 * since the last pass, oldest first, then each client's pipeline. */
void pause_before_sleep(server *s);
/* Whether CLIENT PAUSE or the fence is in effect: no expiry (db.c, server.c)
 * and no PING in the replication stream (replication/primary.c). */
int pause_in_effect(void);
int pause_write_fenced(void);                /* INFO replication write_fenced */
long long pause_held_count(const server *s); /* INFO clients blocked_clients */

/* CLIENT PAUSE timeout [WRITE|ALL] and CLIENT UNPAUSE (client_cmds.c's table). */
void client_pause_command(client *c);
void client_unpause_command(client *c);

#endif
