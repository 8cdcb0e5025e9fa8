/* acl: the user registry of Redis 7.0's ACL.  A user is its flags (on/off,
 * nopass, sanitize-payload), its password hashes and its selectors (the
 * root one plus `(...)` ones, acl_selectors.c).  Users live in one array
 * sorted by name (ACL LIST and USERS show that order, as Redis's radix tree
 * does).  The user-level rules, ACL SETUSER's joining of selectors split
 * over several arguments, the checks command_call runs, AUTH, the `user`
 * config directive and the aclfile are here; the ACL command itself and ACL
 * LOG's replies are in acl_cmds.c. */
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "acl.h"
#include "server.h"

/* ------------------------------------------------------ module state */

static struct {
    acl_user **users; /* sorted by name */
    int nusers;
    acl_user *default_user;
    char ***config_lines; /* `user` directives, applied by acl_init */
    int *config_argc;
    int nconfig;
    int defer_current_close, current_close_pending; /* ACL LOAD, see acl.h */
} acl;

void *acl_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort();
    return p;
}

void *acl_xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p)
        abort();
    return p;
}

/* ------------------------------------------------------------ SHA-256 */

void acl_sha256(const void *data, size_t len, unsigned char out[ACL_SHA256_LEN])
{
    unsigned int outlen = 0;
    if (!EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL))
        abort();
}

static void acl_hash_to_hex(const unsigned char *h, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < ACL_SHA256_LEN; i++) {
        hex[2 * i] = digits[h[i] >> 4];
        hex[2 * i + 1] = digits[h[i] & 15];
    }
    hex[2 * ACL_SHA256_LEN] = '\0';
}

/* 64 lower-case hex digits, as Redis requires for # and !. */
static int acl_hex_to_hash(const char *hex, size_t len, unsigned char *h)
{
    if (len != 2 * ACL_SHA256_LEN)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = hex[i];
        int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (v < 0)
            return 0;
        if (i % 2 == 0)
            h[i / 2] = (unsigned char)(v << 4);
        else
            h[i / 2] |= (unsigned char)v;
    }
    return 1;
}

/* Constant time: every byte of both hashes is looked at. */
static int acl_hash_equal(const unsigned char *a, const unsigned char *b)
{
    unsigned char diff = 0;
    for (int i = 0; i < ACL_SHA256_LEN; i++)
        diff |= a[i] ^ b[i];
    return diff == 0;
}

/* --------------------------------------------------------------- users */

int acl_pubsub_default = 0;

acl_user *acl_user_create(const char *name, size_t len)
{
    acl_user *u = acl_xcalloc(1, sizeof(*u));
    u->name = buf_new(name, len);
    acl_selector_init(&u->root);
    return u;
}

static void acl_user_reset_passwords(acl_user *u)
{
    free(u->passwords);
    u->passwords = NULL;
    u->npasswords = 0;
}

static void acl_user_clear_selectors(acl_user *u)
{
    for (int i = 0; i < u->nselectors; i++)
        acl_selector_release(&u->selectors[i]);
    free(u->selectors);
    u->selectors = NULL;
    u->nselectors = 0;
}

void acl_user_free(acl_user *u)
{
    if (!u)
        return;
    acl_user_reset_passwords(u);
    acl_selector_release(&u->root);
    acl_user_clear_selectors(u);
    buf_free(u->name);
    free(u);
}

static acl_user *acl_user_copy(const acl_user *src)
{
    acl_user *u = acl_xcalloc(1, sizeof(*u));
    u->name = buf_dup(src->name);
    u->flags = src->flags;
    if (src->npasswords) {
        u->passwords = acl_xcalloc((size_t)src->npasswords, sizeof(*u->passwords));
        memcpy(u->passwords, src->passwords, sizeof(*u->passwords) * (size_t)src->npasswords);
    }
    u->npasswords = src->npasswords;
    acl_selector_copy(&u->root, &src->root);
    if (src->nselectors) {
        u->selectors = acl_xcalloc((size_t)src->nselectors, sizeof(*u->selectors));
        for (int i = 0; i < src->nselectors; i++)
            acl_selector_copy(&u->selectors[i], &src->selectors[i]);
        u->nselectors = src->nselectors;
    }
    return u;
}

static int acl_find_password(const acl_user *u, const unsigned char *h)
{
    for (int i = 0; i < u->npasswords; i++)
        if (memcmp(u->passwords[i], h, ACL_SHA256_LEN) == 0)
            return i;
    return -1;
}

static void acl_add_password(acl_user *u, const unsigned char *h)
{
    u->flags &= ~ACL_USER_NOPASS;
    if (acl_find_password(u, h) >= 0)
        return;
    u->passwords = acl_xrealloc(u->passwords, sizeof(*u->passwords) * (size_t)(u->npasswords + 1));
    memcpy(u->passwords[u->npasswords++], h, ACL_SHA256_LEN);
}

static int acl_remove_password(acl_user *u, const unsigned char *h, const char **err)
{
    int i = acl_find_password(u, h);
    if (i < 0) {
        *err = "The password you are trying to remove from the user does not exist";
        return 0;
    }
    memmove(u->passwords[i], u->passwords[i + 1],
            sizeof(*u->passwords) * (size_t)(u->npasswords - i - 1));
    u->npasswords--;
    u->flags &= ~ACL_USER_NOPASS;
    return 1;
}

static int acl_rule_is(const char *rule, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(rule, word, len) == 0;
}

static void acl_user_reset(acl_user *u)
{
    const char *e;
    acl_user_reset_passwords(u);
    acl_selector_set_rule(&u->root, "resetkeys", 9, &e);
    acl_selector_set_rule(&u->root, "resetchannels", 13, &e);
    if (acl_pubsub_default)
        acl_selector_set_rule(&u->root, "allchannels", 11, &e);
    u->flags = ACL_USER_SANITIZE;
    acl_user_clear_selectors(u);
    acl_selector_set_rule(&u->root, "-@all", 5, &e);
}

/* User-level rules here; key, channel and command rules go to the root
 * selector; "(...)" adds a selector. */
int acl_user_set_rule(acl_user *u, const char *rule, size_t len, const char **err)
{
    unsigned char h[ACL_SHA256_LEN];
    if (len == 0) {
        return 1; /* as Redis: an empty rule does nothing */
    } else if (acl_rule_is(rule, len, "on")) {
        u->flags |= ACL_USER_ON;
    } else if (acl_rule_is(rule, len, "off")) {
        u->flags &= ~ACL_USER_ON;
    } else if (acl_rule_is(rule, len, "nopass")) {
        acl_user_reset_passwords(u);
        u->flags |= ACL_USER_NOPASS;
    } else if (acl_rule_is(rule, len, "resetpass")) {
        acl_user_reset_passwords(u);
        u->flags &= ~ACL_USER_NOPASS;
    } else if (acl_rule_is(rule, len, "sanitize-payload")) {
        u->flags = (u->flags & ~ACL_USER_SKIP_SANITIZE) | ACL_USER_SANITIZE;
    } else if (acl_rule_is(rule, len, "skip-sanitize-payload")) {
        u->flags = (u->flags & ~ACL_USER_SANITIZE) | ACL_USER_SKIP_SANITIZE;
    } else if (acl_rule_is(rule, len, "reset")) {
        acl_user_reset(u);
    } else if (acl_rule_is(rule, len, "clearselectors")) {
        acl_user_clear_selectors(u);
    } else if (len >= 2 && rule[0] == '(' && rule[len - 1] == ')') {
        acl_selector sel;
        if (!acl_selector_parse(&sel, rule, len, err))
            return 0;
        u->selectors =
            acl_xrealloc(u->selectors, sizeof(*u->selectors) * (size_t)(u->nselectors + 1));
        u->selectors[u->nselectors++] = sel;
    } else if (rule[0] == '>') {
        acl_sha256(rule + 1, len - 1, h);
        acl_add_password(u, h);
    } else if (rule[0] == '<') {
        acl_sha256(rule + 1, len - 1, h);
        return acl_remove_password(u, h, err);
    } else if (rule[0] == '#' || rule[0] == '!') {
        if (!acl_hex_to_hash(rule + 1, len - 1, h)) {
            *err = "The password hash must be exactly 64 characters and contain only "
                   "lowercase hexadecimal characters";
            return 0;
        }
        if (rule[0] == '!')
            return acl_remove_password(u, h, err);
        acl_add_password(u, h);
    } else {
        return acl_selector_set_rule(&u->root, rule, len, err);
    }
    return 1;
}

/* ------------------------------------------------------------ describe */

buf acl_user_describe(buf out, const acl_user *u)
{
    out = buf_cat_cstr(out, (u->flags & ACL_USER_ON) ? "on " : "off ");
    if (u->flags & ACL_USER_NOPASS)
        out = buf_cat_cstr(out, "nopass ");
    if (u->flags & ACL_USER_SKIP_SANITIZE)
        out = buf_cat_cstr(out, "skip-sanitize-payload ");
    if (u->flags & ACL_USER_SANITIZE)
        out = buf_cat_cstr(out, "sanitize-payload ");
    for (int i = 0; i < u->npasswords; i++) {
        char hex[2 * ACL_SHA256_LEN + 1];
        acl_hash_to_hex(u->passwords[i], hex);
        out = buf_cat_printf(out, "#%s ", hex);
    }
    out = acl_selector_describe(out, &u->root);
    for (int i = 0; i < u->nselectors; i++)
        out = buf_cat_cstr(acl_selector_describe(buf_cat_cstr(out, " ("), &u->selectors[i]), ")");
    return out;
}

/* -------------------------------------------------------------- checks */

int acl_user_check_password(const acl_user *u, const char *pass, size_t len)
{
    if (!(u->flags & ACL_USER_ON))
        return 0;
    if (u->flags & ACL_USER_NOPASS)
        return 1;
    unsigned char h[ACL_SHA256_LEN];
    acl_sha256(pass, len, h);
    int ok = 0;
    for (int i = 0; i < u->npasswords; i++)
        ok |= acl_hash_equal(u->passwords[i], h);
    return ok;
}

/* ------------------------------------------------------------ registry */

static int acl_user_index(const char *name, size_t len, int *found)
{
    int lo = 0, hi = acl.nusers - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        buf n = acl.users[mid]->name;
        size_t nl = buf_len(n);
        int cmp = memcmp(n, name, nl < len ? nl : len);
        if (cmp == 0)
            cmp = nl < len ? -1 : nl > len ? 1 : 0;
        if (cmp == 0) {
            *found = 1;
            return mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    *found = 0;
    return lo;
}

acl_user *acl_user_lookup(const char *name, size_t len)
{
    int found;
    int i = acl_user_index(name, len, &found);
    return found ? acl.users[i] : NULL;
}

acl_user *acl_default_user(void)
{
    return acl.default_user;
}

int acl_user_count(void)
{
    return acl.nusers;
}

acl_user *acl_user_at(int i)
{
    return i >= 0 && i < acl.nusers ? acl.users[i] : NULL;
}

/* Put u in the registry, replacing (and freeing) a user of that name. */
static void acl_registry_put(acl_user *u)
{
    int found;
    int i = acl_user_index(u->name, buf_len(u->name), &found);
    if (found) {
        if (acl.users[i] == acl.default_user)
            acl.default_user = u;
        acl_user_free(acl.users[i]);
        acl.users[i] = u;
        return;
    }
    acl.users = acl_xrealloc(acl.users, sizeof(*acl.users) * (size_t)(acl.nusers + 1));
    memmove(&acl.users[i + 1], &acl.users[i], sizeof(*acl.users) * (size_t)(acl.nusers - i));
    acl.users[i] = u;
    acl.nusers++;
    if (buf_eq(u->name, "default", 7))
        acl.default_user = u;
}

void acl_defer_current_close(int on)
{
    acl.defer_current_close = on;
    acl.current_close_pending = 0;
}

int acl_current_close_pending(void)
{
    return acl.current_close_pending;
}

/* Close the connections authenticated as `name` (deleted or disabled): the
 * one running the command after its reply, the others at once. */
void acl_kill_clients_of(server *s, const char *name, size_t len)
{
    if (!s)
        return;
    for (client *c = s->clients; c; c = c->next) {
        if (!(c->flags & CLIENT_AUTHENTICATED) || !c->user || !buf_eq(c->user, name, len))
            continue;
        if (c == s->current_client && acl.defer_current_close)
            acl.current_close_pending = 1; /* closed once the caller has replied */
        else if (c == s->current_client)
            c->flags |= CLIENT_CLOSE_AFTER_REPLY;
        else
            client_free_async(c);
    }
}

/* Redis refuses any blank (isspace) or NUL in a user name. */
static int acl_name_valid(const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (isspace((unsigned char)name[i]) || name[i] == '\0')
            return 0;
    return 1;
}

/* ACL SETUSER's arguments with the selectors given over several of them
 * joined again, as Redis 7.0 does: an argument that starts with "(" and
 * does not end with ")" opens a selector (dropping one already open), the
 * following ones are added with a space up to one that ends with ")".
 * NULL when a selector is left open, with *open its argument. */
static buf *acl_merge_selector_args(int nrules, const resp_arg *rules, int *nmerged, int *open)
{
    buf *out = acl_xcalloc((size_t)nrules, sizeof(buf));
    buf sel = NULL;
    int n = 0;
    *open = -1;
    for (int i = 0; i < nrules; i++) {
        const char *r = rules[i].ptr;
        size_t len = rules[i].len;
        if (len >= 1 && r[0] == '(' && r[len - 1] != ')') {
            buf_free(sel);
            sel = buf_new(r, len);
            *open = i;
        } else if (sel) {
            sel = buf_cat(buf_cat_cstr(sel, " "), r, len);
            if (len >= 1 && r[len - 1] == ')') {
                out[n++] = sel;
                sel = NULL;
                *open = -1;
            }
        } else {
            out[n++] = buf_new(r, len);
        }
    }
    if (sel) {
        buf_free(sel);
        for (int i = 0; i < n; i++)
            buf_free(out[i]);
        free(out);
        return NULL;
    }
    *nmerged = n;
    return out;
}

/* Redis formats these texts with %s: they stop at a NUL byte. */
static int acl_cstr_len(const char *p, size_t len)
{
    return (int)strnlen(p, len);
}

int acl_setuser(server *s, const char *name, size_t nlen, int nrules, const resp_arg *rules,
                char *err, size_t errlen)
{
    if (!acl_name_valid(name, nlen)) {
        snprintf(err, errlen, "Usernames can't contain spaces or null characters");
        return 0;
    }
    int nmerged = 0, open;
    buf *merged = acl_merge_selector_args(nrules, rules, &nmerged, &open);
    if (!merged) {
        snprintf(err, errlen, "Unmatched parenthesis in acl selector starting at '%.*s'.",
                 acl_cstr_len(rules[open].ptr, rules[open].len), rules[open].ptr);
        return 0;
    }
    acl_user *old = acl_user_lookup(name, nlen);
    acl_user *u = old ? acl_user_copy(old) : acl_user_create(name, nlen);
    int ok = 1;
    for (int i = 0; ok && i < nmerged; i++) {
        const char *e = NULL;
        if (!acl_user_set_rule(u, merged[i], buf_len(merged[i]), &e)) {
            snprintf(err, errlen, "Error in ACL SETUSER modifier '%.*s': %s",
                     acl_cstr_len(merged[i], buf_len(merged[i])), merged[i], e);
            ok = 0;
        }
    }
    for (int i = 0; i < nmerged; i++)
        buf_free(merged[i]);
    free(merged);
    if (!ok) {
        acl_user_free(u);
        return 0;
    }
    int disabled = old && (old->flags & ACL_USER_ON) && !(u->flags & ACL_USER_ON);
    acl_registry_put(u);
    return disabled ? 2 : 1;
}

int acl_deluser(server *s, const char *name, size_t nlen)
{
    int found;
    int i = acl_user_index(name, nlen, &found);
    if (!found)
        return 0;
    acl_kill_clients_of(s, name, nlen);
    acl_user_free(acl.users[i]);
    memmove(&acl.users[i], &acl.users[i + 1], sizeof(*acl.users) * (size_t)(acl.nusers - i - 1));
    acl.nusers--;
    return 1;
}

/* --------------------------------------------------- the default user */

static void acl_default_user_init(void)
{
    acl_user *u = acl_user_create("default", 7);
    const char *rules[] = {"+@all", "~*", "&*", "on", "nopass"};
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const char *e;
        acl_user_set_rule(u, rules[i], strlen(rules[i]), &e);
    }
    acl_registry_put(u);
}

static void acl_set_default_password(const char *pass)
{
    acl_user *u = acl.default_user;
    const char *e;
    acl_user_set_rule(u, "resetpass", 9, &e);
    if (pass && pass[0]) {
        size_t len = strlen(pass);
        char *rule = acl_xcalloc(len + 2, 1);
        rule[0] = '>';
        memcpy(rule + 1, pass, len);
        acl_user_set_rule(u, rule, len + 1, &e);
        free(rule);
    } else {
        acl_user_set_rule(u, "nopass", 6, &e);
    }
}

int acl_apply_requirepass(server *s, const char **err)
{
    if (acl.default_user)
        acl_set_default_password(s->cfg.requirepass);
    return 1;
}

int acl_default_autoauth(void)
{
    acl_user *u = acl.default_user;
    return !u || ((u->flags & ACL_USER_ON) && (u->flags & ACL_USER_NOPASS));
}

/* ---------------------------------------------------- command_call hook */

int acl_check_command(client *c)
{
    const command *cmd = c->cmd;
    /* The replication stream from our primary is not a user's command. */
    if (!c->conn || (c->flags & CLIENT_MASTER))
        return 1;
    acl_user *u = c->user ? acl_user_lookup(c->user, buf_len(c->user)) : acl.default_user;
    if (!u)
        u = acl.default_user;
    /* The common case, a root selector allowing everything, costs no more
     * than a flags test (the other selectors cannot add anything). */
    const int all = ACL_SELECTOR_ALLCOMMANDS | ACL_SELECTOR_ALLKEYS | ACL_SELECTOR_ALLCHANNELS;
    if (!u || (u->root.flags & all) == all)
        return 1;
    int pos;
    int r = acl_user_check_call(u, cmd, c->argc, c->argv, &pos);
    if (r == ACL_OK)
        return 1;
    /* ACL LOG's object: the command's name, or the key or channel */
    if (r == ACL_DENIED_CMD)
        acl_log_add(c, r, cmd->fullname, strlen(cmd->fullname), u->name, buf_len(u->name));
    else
        acl_log_add(c, r, c->argv[pos].ptr, c->argv[pos].len, u->name, buf_len(u->name));
    char msg[320];
    if (c->flags & CLIENT_IN_EXEC) { /* queued while allowed, changed since */
        snprintf(msg, sizeof(msg),
                 "NOPERM ACLs rules changed between the moment the transaction was accumulated "
                 "and the EXEC call. This command is no longer allowed for the following "
                 "reason: %s",
                 r == ACL_DENIED_CMD   ? "no permission to execute the command or subcommand"
                 : r == ACL_DENIED_KEY ? "no permission to touch the specified keys"
                                       : "no permission to access one of the channels used as "
                                         "arguments");
    } else if (r == ACL_DENIED_CMD) {
        snprintf(msg, sizeof(msg), "NOPERM this user has no permissions to run the '%s' command",
                 cmd->fullname);
    } else {
        snprintf(msg, sizeof(msg),
                 "NOPERM this user has no permissions to access one of the %s used as arguments",
                 r == ACL_DENIED_KEY ? "keys" : "channels");
    }
    if (multi_is_exec(cmd)) /* as Redis: a refused EXEC ends the transaction */
        multi_exec_abort(c, msg);
    else
        reply_error(c, msg);
    return 0;
}

int acl_authenticate(client *c, const char *user, size_t ulen, const char *pass, size_t plen)
{
    acl_user *u = acl_user_lookup(user, ulen);
    if (u && acl_user_check_password(u, pass, plen)) {
        c->flags |= CLIENT_AUTHENTICATED;
        buf_free(c->user);
        c->user = buf_new(user, ulen);
        return 1;
    }
    /* ACL LOG's object: the command's name as the client spelled it */
    if (c->argc > 0)
        acl_log_add(c, ACL_DENIED_AUTH, c->argv[0].ptr, c->argv[0].len, user, ulen);
    else
        acl_log_add(c, ACL_DENIED_AUTH, "AUTH", 4, user, ulen);
    return 0;
}

/* ------------------------------------------------- config and aclfile */

int acl_config_parse_user(server_config *cfg, int argc, char **argv, const char **err)
{
    (void)cfg;
    if (argc == 0 || (argc == 1 && argv[0][0] == '\0'))
        return 1; /* the default: no extra users */
    acl.config_lines = acl_xrealloc(acl.config_lines, sizeof(char **) * (size_t)(acl.nconfig + 1));
    acl.config_argc = acl_xrealloc(acl.config_argc, sizeof(int) * (size_t)(acl.nconfig + 1));
    char **copy = acl_xcalloc((size_t)argc, sizeof(char *));
    for (int i = 0; i < argc; i++) {
        copy[i] = strdup(argv[i]);
        if (!copy[i])
            abort();
    }
    acl.config_lines[acl.nconfig] = copy;
    acl.config_argc[acl.nconfig++] = argc;
    return 1;
}

/* CONFIG REWRITE writes the value after "user ": when the config defined
 * users, every current user, one "user" line each (as Redis rewrites
 * them); otherwise nothing (an aclfile, or no users in the config). */
buf acl_config_format_user(buf out, const server_config *cfg)
{
    (void)cfg;
    if (!acl.nconfig)
        return out;
    for (int i = 0; i < acl.nusers; i++) {
        if (i)
            out = buf_cat_cstr(out, "\nuser ");
        out = buf_cat_cstr(buf_cat_buf(out, acl.users[i]->name), " ");
        out = acl_user_describe(out, acl.users[i]);
    }
    return out;
}

/* ACL LOAD and start-up build a fresh registry and keep the old one aside
 * until the new one is complete: on any error the old one comes back. */
typedef struct acl_saved_registry {
    acl_user **users;
    int nusers;
    acl_user *default_user;
} acl_saved_registry;

static acl_saved_registry acl_registry_begin(server *s)
{
    acl_saved_registry old = {acl.users, acl.nusers, acl.default_user};
    acl.users = NULL;
    acl.nusers = 0;
    acl.default_user = NULL;
    acl_default_user_init();
    if (s)
        acl_set_default_password(s->cfg.requirepass);
    return old;
}

static void acl_registry_rollback(acl_saved_registry *old)
{
    for (int j = 0; j < acl.nusers; j++)
        acl_user_free(acl.users[j]);
    free(acl.users);
    acl.users = old->users;
    acl.nusers = old->nusers;
    acl.default_user = old->default_user;
}

/* Connections of users that no longer exist or are disabled go. */
static void acl_registry_commit(server *s, acl_saved_registry *old)
{
    for (int j = 0; j < old->nusers; j++) {
        acl_user *now = acl_user_lookup(old->users[j]->name, buf_len(old->users[j]->name));
        if (!now || !(now->flags & ACL_USER_ON))
            acl_kill_clients_of(s, old->users[j]->name, buf_len(old->users[j]->name));
        acl_user_free(old->users[j]);
    }
    free(old->users);
}

/* Apply the config's `user` directives (each "name rule...") to a fresh
 * registry; on an error the old registry stays. */
static int acl_apply_definitions(server *s, int n, int *argcs, resp_arg **argvs, char *err,
                                 size_t errlen)
{
    acl_saved_registry old = acl_registry_begin(s);
    for (int i = 0; i < n; i++) {
        char e[4096];
        /* As Redis: a `user default` line starts from "reset" (which sets
         * sanitize-payload); other users from nothing. */
        resp_arg reset = {"reset", 5};
        if (argcs[i] >= 1 && argvs[i][0].len == 7 && memcmp(argvs[i][0].ptr, "default", 7) == 0)
            acl_setuser(NULL, argvs[i][0].ptr, argvs[i][0].len, 1, &reset, e, sizeof(e));
        if (argcs[i] < 1 || !acl_setuser(NULL, argvs[i][0].ptr, argvs[i][0].len, argcs[i] - 1,
                                         argvs[i] + 1, e, sizeof(e))) {
            snprintf(err, errlen, "user directive:%d: %s", i + 1,
                     argcs[i] < 1 ? "Syntax error" : e);
            acl_registry_rollback(&old);
            return -1;
        }
    }
    acl_registry_commit(s, &old);
    return 0;
}

static buf acl_read_file(FILE *f)
{
    buf text = buf_empty();
    char chunk[16384];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        text = buf_cat(text, chunk, n);
    return text;
}

/* One aclfile line, "user <name> <rules...>", into a new user of the
 * registry being built.  Errors are added to *errors with Redis 7.0.15's
 * texts and rules: every unknown command is reported, of the other errors
 * only a line's first, and the line's remaining rules are still applied. */
static void acl_load_line(const char *path, int lineno, int argc, const resp_arg *argv, buf *errors,
                          buf *seen)
{
    static const char *const unknown = "Unknown command or category name in ACL";
    if (argc < 2 || argv[0].len != 4 || memcmp(argv[0].ptr, "user", 4) != 0) {
        *errors = buf_cat_printf(*errors,
                                 "%s:%d should start with user keyword followed by the "
                                 "username. ",
                                 path, lineno);
        return;
    }
    const resp_arg *name = &argv[1];
    if (!acl_name_valid(name->ptr, name->len)) {
        *errors = buf_cat_printf(*errors, "'%s:%d: username '%.*s' contains invalid characters. ",
                                 path, lineno, acl_cstr_len(name->ptr, name->len), name->ptr);
        return;
    }
    /* `seen` holds the names defined so far, NUL-separated */
    for (size_t at = 0; at < buf_len(*seen); at += strlen(*seen + at) + 1) {
        if (strlen(*seen + at) == name->len && memcmp(*seen + at, name->ptr, name->len) == 0) {
            *errors = buf_cat_printf(*errors, "WARNING: Duplicate user '%.*s' found on line %d. ",
                                     acl_cstr_len(name->ptr, name->len), name->ptr, lineno);
            return;
        }
    }
    *seen = buf_cat(buf_cat(*seen, name->ptr, name->len), "", 1);
    int nmerged, open;
    buf *merged = acl_merge_selector_args(argc - 2, argv + 2, &nmerged, &open);
    if (!merged) {
        *errors = buf_cat_printf(*errors, "%s:%d: Unmatched parenthesis in selector definition.",
                                 path, lineno);
        return;
    }
    acl_user *u = acl_user_create(name->ptr, name->len); /* off, no sanitize-payload */
    int reported = 0;
    for (int j = 0; j < nmerged; j++) {
        buf rule = merged[j];
        size_t a = 0, b = buf_len(rule);
        while (a < b && strchr("\t\r\n", rule[a]) && rule[a])
            a++;
        while (b > a && strchr("\t\r\n", rule[b - 1]) && rule[b - 1])
            b--;
        const char *e = NULL;
        if (acl_user_set_rule(u, rule + a, b - a, &e))
            continue;
        if (strcmp(e, unknown) == 0) {
            *errors = buf_cat_printf(*errors, "%s:%d: Error in applying operation '%.*s': %s. ",
                                     path, lineno, acl_cstr_len(rule + a, b - a), rule + a, e);
        } else if (!reported) {
            *errors = buf_cat_printf(*errors, "%s:%d: %s. ", path, lineno, e);
            reported = 1;
        }
    }
    for (int j = 0; j < nmerged; j++)
        buf_free(merged[j]);
    free(merged);
    acl_registry_put(u);
}

/* Redis's format: lines split at "\n" and trimmed of blanks, rules split
 * at single spaces (an empty rule does nothing), no comments. */
int acl_load_file(server *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "Error loading ACLs, opening file '%s': %s", path, strerror(errno));
        return -1;
    }
    buf text = acl_read_file(f);
    fclose(f);
    buf errors = buf_empty(), seen = buf_empty();
    resp_arg *argv = NULL;
    int cap = 0;
    acl_saved_registry old = acl_registry_begin(s);
    const char *p = text, *end = text + buf_len(text);
    for (int lineno = 1; p <= end; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *a = p, *b = nl ? nl : end;
        p = b + 1;
        while (a < b && strchr(" \t\r\n", *a) && *a)
            a++;
        while (b > a && strchr(" \t\r\n", b[-1]) && b[-1])
            b--;
        if (a == b)
            continue;
        int argc = 0;
        for (const char *q = a;; q++) {
            const char *sp = memchr(q, ' ', (size_t)(b - q));
            if (argc == cap) {
                cap = cap ? 2 * cap : 64;
                argv = acl_xrealloc(argv, sizeof(*argv) * (size_t)cap);
            }
            argv[argc++] = (resp_arg){q, (size_t)((sp ? sp : b) - q)};
            if (!sp)
                break;
            q = sp;
        }
        acl_load_line(path, lineno, argc, argv, &errors, &seen);
    }
    free(argv);
    buf_free(text);
    buf_free(seen);
    int rc = 0;
    if (buf_len(errors)) {
        acl_registry_rollback(&old);
        errors = buf_cat_cstr(errors, "WARNING: ACL errors detected, no change to the previously "
                                      "active ACL rules was performed");
        snprintf(err, errlen, "%s", errors);
        rc = -1;
    } else {
        acl_registry_commit(s, &old);
    }
    buf_free(errors);
    return rc;
}

int acl_save_file(const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "Opening temp ACL file for ACL SAVE: %s", strerror(errno));
        return -1;
    }
    int ok = 1;
    for (int i = 0; i < acl.nusers; i++) {
        buf line = buf_cat_cstr(buf_cat_buf(buf_from_cstr("user "), acl.users[i]->name), " ");
        line = buf_cat_cstr(acl_user_describe(line, acl.users[i]), "\n");
        ok &= fwrite(line, 1, buf_len(line), f) == buf_len(line);
        buf_free(line);
    }
    ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "Writing ACL file for ACL SAVE: %s", strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int acl_init(server *s, char *err, size_t errlen)
{
    acl_commands_init(s);
    acl_default_user_init();
    acl_set_default_password(s->cfg.requirepass);
    if (acl.nconfig && s->cfg.aclfile && s->cfg.aclfile[0]) {
        snprintf(err, errlen,
                 "Configuring Redis with users defined in redis.conf and at the same setting an "
                 "ACL file path is invalid. This setup is very likely to lead to configuration "
                 "errors and security holes, please define either an ACL file or declare users "
                 "directly in your redis.conf, but not both.");
        return -1;
    }
    if (acl.nconfig) {
        resp_arg **argvs = acl_xcalloc((size_t)acl.nconfig, sizeof(*argvs));
        for (int i = 0; i < acl.nconfig; i++) {
            argvs[i] = acl_xcalloc((size_t)acl.config_argc[i], sizeof(resp_arg));
            for (int j = 0; j < acl.config_argc[i]; j++)
                argvs[i][j] = (resp_arg){acl.config_lines[i][j], strlen(acl.config_lines[i][j])};
        }
        int rc = acl_apply_definitions(s, acl.nconfig, acl.config_argc, argvs, err, errlen);
        for (int i = 0; i < acl.nconfig; i++)
            free(argvs[i]);
        free(argvs);
        if (rc != 0)
            return -1;
    }
    if (s->cfg.aclfile && s->cfg.aclfile[0] && acl_load_file(s, s->cfg.aclfile, err, errlen) != 0)
        return -1;
    return 0;
}
