/* acl: users and their permissions (Redis 7.0's ACL).  A user has a state
 * (on/off), SHA-256 password hashes and selectors: the root selector plus
 * any number of `(...)` selectors, each with key patterns (read, write or
 * both), channel patterns and a bitmap of the commands it may run; a
 * command is allowed when any selector allows it.  This header is the rule
 * language (acl_user_set_rule), the checks command_call runs, the user
 * registry, ACL LOG, and loading/saving users from config or aclfile.
 * acl.c owns users and the registry, acl_selectors.c selectors and the
 * command bitmaps, acl_cmds.c the ACL command. */
#ifndef KEEL_ACL_H
#define KEEL_ACL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "resp.h"

struct server;
struct server_config;
struct client;
struct command;

#define ACL_USER_ON (1 << 0)
#define ACL_USER_NOPASS (1 << 1)
#define ACL_USER_SANITIZE (1 << 6)      /* sanitize-payload (set by reset) */
#define ACL_USER_SKIP_SANITIZE (1 << 7) /* skip-sanitize-payload */

#define ACL_SELECTOR_ALLKEYS (1 << 2)
#define ACL_SELECTOR_ALLCHANNELS (1 << 3)
#define ACL_SELECTOR_ALLCOMMANDS (1 << 4) /* +@all and nothing taken away since */
#define ACL_SELECTOR_FUTURE (1 << 5)      /* +@all since the last -@all: described from +@all */

#define ACL_PERM_READ 1
#define ACL_PERM_WRITE 2
#define ACL_PERM_ALL 3

#define ACL_SHA256_LEN 32

typedef struct acl_key_pattern {
    buf pattern;
    int perms; /* ACL_PERM_* */
} acl_key_pattern;

typedef struct acl_first_arg { /* +select|0: a command allowed with that first argument */
    int id;                    /* the command's acl_id */
    buf arg;
} acl_first_arg;

/* One set of permissions: the user's root rules, or one `(...)` rule. */
typedef struct acl_selector {
    int flags; /* ACL_SELECTOR_* */
    acl_key_pattern *keys;
    int nkeys;
    buf *channels;
    int nchannels;
    uint64_t *allowed;        /* one bit per command id (acl_command_count) */
    acl_first_arg *firstargs; /* only for commands whose bit is off */
    int nfirstargs;
} acl_selector;

typedef struct acl_user {
    buf name;
    int flags; /* ACL_USER_* */
    unsigned char (*passwords)[ACL_SHA256_LEN];
    int npasswords;
    acl_selector root;       /* the rules given outside parentheses */
    acl_selector *selectors; /* the `(...)` selectors, in the order added */
    int nselectors;
} acl_user;

/* Denial reasons, as ACL LOG names them. */
enum { ACL_OK = 0, ACL_DENIED_CMD, ACL_DENIED_KEY, ACL_DENIED_CHANNEL, ACL_DENIED_AUTH };

/* Start-up: number the commands, create the default user, apply
 * requirepass, the config's `user` lines and the aclfile.  0, or -1 with a
 * message in err. */
int acl_init(struct server *s, char *err, size_t errlen);

/* SHA-256 of data (FIPS 180-4, computed by OpenSSL's EVP). */
void acl_sha256(const void *data, size_t len, unsigned char out[ACL_SHA256_LEN]);

/* Users, independent of the registry (the unit tests use these). */
acl_user *acl_user_create(const char *name, size_t len);
void acl_user_free(acl_user *u);
/* Apply one rule ("on", ">pass", "~key*", "+@read", "(~k* +get)",
 * "clearselectors", ...).  1, or 0 with *err set to Redis's message for the
 * failure.  ACL SETUSER's arguments go through acl_setuser, which first
 * joins a selector split over several arguments ("(~k*", "+get)"). */
int acl_user_set_rule(acl_user *u, const char *rule, size_t len, const char **err);
/* The user's rules as ACL LIST shows them (without "user <name> "). */
buf acl_user_describe(buf out, const acl_user *u);
int acl_user_check_password(const acl_user *u, const char *pass, size_t len);
/* Whether any of the user's selectors allows the key, channel, command. */
int acl_user_can_key(const acl_user *u, const char *key, size_t len, int perms);
int acl_user_can_channel(const acl_user *u, const char *ch, size_t len, int is_pattern);
int acl_user_can_command(const acl_user *u, const struct command *cmd);
/* The full check of a command with its arguments: ACL_OK or ACL_DENIED_*,
 * and *pos the offending argument for keys and channels.  With selectors,
 * as Redis: OK when one selector allows the call, else the most specific
 * denial (channel over key over command), the key or channel with the
 * highest position among equals. */
int acl_user_check_call(const acl_user *u, const struct command *cmd, int argc,
                        const resp_arg *argv, int *pos);

/* The registry. */
acl_user *acl_user_lookup(const char *name, size_t len);
acl_user *acl_default_user(void);

/* command_call: checks c->cmd for c's user; on a denial replies -NOPERM,
 * logs it in ACL LOG and returns 0. */
int acl_check_command(struct client *c);
/* AUTH / HELLO AUTH: 1 and c is now that user, or 0 (logged). */
int acl_authenticate(struct client *c, const char *user, size_t ulen, const char *pass,
                     size_t plen);
/* Whether a new connection starts authenticated (default user on, nopass). */
int acl_default_autoauth(void);
/* requirepass's CONFIG SET effect: the default user's password. */
int acl_apply_requirepass(struct server *s, const char **err);
/* The `user` directive (OPT_CUSTOM in config.c). */
int acl_config_parse_user(struct server_config *cfg, int argc, char **argv, const char **err);
buf acl_config_format_user(buf out, const struct server_config *cfg);

/* Selectors (acl_selectors.c; acl.c and acl_cmds.c use these). */
void acl_commands_init(struct server *s);  /* number commands, build category bitmaps */
void acl_selector_init(acl_selector *sel); /* empty: no keys, commands; default channels */
void acl_selector_release(acl_selector *sel);
void acl_selector_copy(acl_selector *dst, const acl_selector *src);
/* A key, channel or command rule ("~k*", "%R~k", "&ch", "+get", "-@all",
 * "allkeys", "resetchannels", ...): 1, or 0 with *err set (Redis's text;
 * anything else, user-level rules included, is a "Syntax error"). */
int acl_selector_set_rule(acl_selector *sel, const char *rule, size_t len, const char **err);
/* A `(...)` rule: a new selector from the rules between the parentheses,
 * split as Redis's sdssplitargs does.  1, or 0 with *err. */
int acl_selector_parse(acl_selector *sel, const char *text, size_t len, const char **err);
/* "~k* resetchannels &ch -@all +get": ACL LIST's form. */
buf acl_selector_describe(buf out, const acl_selector *sel);
/* ACL GETUSER's fields: "-@all +get", "~k* %R~r*", "&ch &d" (~* and &*
 * for all keys and channels). */
buf acl_selector_describe_commands(buf out, const acl_selector *sel);
buf acl_selector_describe_keys(buf out, const acl_selector *sel);
buf acl_selector_describe_channels(buf out, const acl_selector *sel);
/* acl.c: calloc/realloc that abort when memory runs out */
void *acl_xcalloc(size_t n, size_t size);
void *acl_xrealloc(void *p, size_t size);

/* acl_cmds.c uses these. */
void acl_log_add(struct client *c, int reason, const char *object, size_t olen,
                 const char *username, size_t ulen);
void acl_log_reply(struct client *c, long long count);
void acl_log_reset(void);
extern int acl_pubsub_default; /* acl-pubsub-default: 1 allchannels, 0 resetchannels */
extern int acl_log_max_len;    /* acllog-max-len: entries ACL LOG keeps (128) */
/* 1, 2 if the user was on and is now off (the caller then closes its
 * connections with acl_kill_clients_of, after replying), or 0 with err. */
int acl_setuser(struct server *s, const char *name, size_t nlen, int nrules, const resp_arg *rules,
                char *err, size_t errlen);
int acl_deluser(struct server *s, const char *name, size_t nlen);
void acl_kill_clients_of(struct server *s, const char *name, size_t len);
/* ACL LOAD: while deferred, closing the running client's own connection
 * only marks it pending, so that it gets its reply first. */
void acl_defer_current_close(int on);
int acl_current_close_pending(void);
int acl_user_count(void);
acl_user *acl_user_at(int i); /* sorted by name */
int acl_load_file(struct server *s, const char *path, char *err, size_t errlen);
int acl_save_file(const char *path, char *err, size_t errlen);
int acl_command_count(void);
const struct command *acl_command_at(int id);
const char *const *acl_category_list(int *count);
int acl_command_in_category(const struct command *cmd, const char *category);

#endif
