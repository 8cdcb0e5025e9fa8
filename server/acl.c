/* acl: the user registry and the rule language of Redis 7.0's ACL.  Users
 * live in one array sorted by name (ACL LIST and USERS show that order, as
 * Redis's radix tree does); commands are numbered once at start-up so that
 * a user's permissions are a bitmap; categories come from the command
 * table (command_categories).  The checks command_call runs, AUTH, the
 * `user` config directive and the aclfile are here; the ACL command itself
 * and ACL LOG's replies are in acl_cmds.c. */
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
    const command **commands; /* by acl_id */
    int ncommands;
    int words;                /* uint64_t words per bitmap */
    uint64_t **category_bits; /* per category in command_category_names order */
    const char *const *categories;
    int ncategories;
    char ***config_lines; /* `user` directives, applied by acl_init */
    int *config_argc;
    int nconfig;
    int defer_current_close, current_close_pending; /* ACL LOAD, see acl.h */
} acl;

static void *acl_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

static void *acl_xrealloc(void *p, size_t size)
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

/* ------------------------------------------------------------- bitmaps */

static int bit_get(const uint64_t *bm, int id)
{
    return (int)((bm[id / 64] >> (id % 64)) & 1);
}

static void bit_set(uint64_t *bm, int id, int on)
{
    if (on)
        bm[id / 64] |= 1ULL << (id % 64);
    else
        bm[id / 64] &= ~(1ULL << (id % 64));
}

int acl_command_count(void)
{
    return acl.ncommands;
}

const command *acl_command_at(int id)
{
    return id >= 0 && id < acl.ncommands ? acl.commands[id] : NULL;
}

const char *const *acl_category_list(int *count)
{
    *count = acl.ncategories;
    return acl.categories;
}

int acl_command_in_category(const command *cmd, const char *category)
{
    const char *cats[32];
    int n = command_categories(cmd, cats);
    for (int i = 0; i < n; i++)
        if (strcasecmp(cats[i] + 1, category) == 0)
            return 1;
    return 0;
}

static int acl_category_index(const char *name, size_t len)
{
    for (int i = 0; i < acl.ncategories; i++)
        if (strlen(acl.categories[i] + 1) == len &&
            strncasecmp(acl.categories[i] + 1, name, len) == 0)
            return i;
    return -1;
}

static int acl_cmp_command(const void *a, const void *b)
{
    const command *x = *(const command *const *)a, *y = *(const command *const *)b;
    return strcmp(x->fullname, y->fullname);
}

/* Number every command and subcommand: top-level commands sorted by name,
 * each followed by its subcommands, so descriptions are stable. */
static void acl_number_commands(server *s)
{
    int cap = 64, n = 0;
    const command **top = acl_xcalloc((size_t)cap, sizeof(*top));
    dict_iter it;
    dict_iter_init(&it, s->commands, 0);
    for (dict_entry *de; (de = dict_iter_next(&it));) {
        if (n == cap)
            top = acl_xrealloc(top, sizeof(*top) * (size_t)(cap *= 2));
        top[n++] = de->v.val;
    }
    dict_iter_release(&it);
    qsort(top, (size_t)n, sizeof(*top), acl_cmp_command);
    int total = 0;
    for (int i = 0; i < n; i++) {
        total++;
        for (const command *sub = top[i]->subcommands; sub && sub->name; sub++)
            total++;
    }
    free(acl.commands);
    acl.commands = acl_xcalloc((size_t)total, sizeof(*acl.commands));
    int id = 0;
    for (int i = 0; i < n; i++) {
        ((command *)top[i])->acl_id = id;
        acl.commands[id++] = top[i];
        for (command *sub = top[i]->subcommands; sub && sub->name; sub++) {
            sub->acl_id = id;
            acl.commands[id++] = sub;
        }
    }
    free(top);
    acl.ncommands = total;
    acl.words = (total + 63) / 64;
    acl.categories = command_category_names(&acl.ncategories);
    acl.category_bits = acl_xcalloc((size_t)acl.ncategories, sizeof(*acl.category_bits));
    for (int c = 0; c < acl.ncategories; c++) {
        acl.category_bits[c] = acl_xcalloc((size_t)acl.words, sizeof(uint64_t));
        for (int i = 0; i < total; i++)
            if (acl_command_in_category(acl.commands[i], acl.categories[c] + 1))
                bit_set(acl.category_bits[c], i, 1);
    }
}

/* --------------------------------------------------------------- users */

int acl_pubsub_default = 0;

acl_user *acl_user_create(const char *name, size_t len)
{
    acl_user *u = acl_xcalloc(1, sizeof(*u));
    if (acl_pubsub_default)
        u->flags |= ACL_USER_ALLCHANNELS;
    u->name = buf_new(name, len);
    u->allowed = acl_xcalloc((size_t)(acl.words ? acl.words : 1), sizeof(uint64_t));
    return u;
}

static void acl_user_reset_keys(acl_user *u)
{
    for (int i = 0; i < u->nkeys; i++)
        buf_free(u->keys[i].pattern);
    free(u->keys);
    u->keys = NULL;
    u->nkeys = 0;
    u->flags &= ~ACL_USER_ALLKEYS;
}

static void acl_user_reset_channels(acl_user *u)
{
    for (int i = 0; i < u->nchannels; i++)
        buf_free(u->channels[i]);
    free(u->channels);
    u->channels = NULL;
    u->nchannels = 0;
    u->flags &= ~ACL_USER_ALLCHANNELS;
}

static void acl_user_reset_passwords(acl_user *u)
{
    free(u->passwords);
    u->passwords = NULL;
    u->npasswords = 0;
}

static const command *acl_lookup_command(const char *name, size_t len);

/* Forget the first-arg rules of command `id` (-1: of every command). */
static void acl_clear_firstargs(acl_user *u, int id)
{
    int j = 0;
    for (int i = 0; i < u->nfirstargs; i++) {
        if (id < 0 || u->firstargs[i].id == id)
            buf_free(u->firstargs[i].arg);
        else
            u->firstargs[j++] = u->firstargs[i];
    }
    u->nfirstargs = j;
    if (j == 0) {
        free(u->firstargs);
        u->firstargs = NULL;
    }
}

static int acl_firstarg_allows(const acl_user *u, int id, const resp_arg *arg)
{
    for (int i = 0; i < u->nfirstargs; i++)
        if (u->firstargs[i].id == id && buf_len(u->firstargs[i].arg) == arg->len &&
            strncasecmp(u->firstargs[i].arg, arg->ptr, arg->len) == 0)
            return 1;
    return 0;
}

void acl_user_free(acl_user *u)
{
    if (!u)
        return;
    acl_user_reset_keys(u);
    acl_user_reset_channels(u);
    acl_user_reset_passwords(u);
    acl_clear_firstargs(u, -1);
    free(u->allowed);
    buf_free(u->name);
    free(u);
}

static acl_user *acl_user_copy(const acl_user *src)
{
    acl_user *u = acl_user_create(src->name, buf_len(src->name));
    u->flags = src->flags;
    if (src->npasswords) {
        u->passwords = acl_xcalloc((size_t)src->npasswords, sizeof(*u->passwords));
        memcpy(u->passwords, src->passwords, sizeof(*u->passwords) * (size_t)src->npasswords);
    }
    u->npasswords = src->npasswords;
    u->keys = acl_xcalloc((size_t)src->nkeys, sizeof(*u->keys));
    for (int i = 0; i < src->nkeys; i++)
        u->keys[i] = (acl_key_pattern){buf_dup(src->keys[i].pattern), src->keys[i].perms};
    u->nkeys = src->nkeys;
    u->channels = acl_xcalloc((size_t)src->nchannels, sizeof(*u->channels));
    for (int i = 0; i < src->nchannels; i++)
        u->channels[i] = buf_dup(src->channels[i]);
    u->nchannels = src->nchannels;
    memcpy(u->allowed, src->allowed, sizeof(uint64_t) * (size_t)acl.words);
    if (src->nfirstargs) {
        u->firstargs = acl_xcalloc((size_t)src->nfirstargs, sizeof(*u->firstargs));
        for (int i = 0; i < src->nfirstargs; i++)
            u->firstargs[i] = (acl_first_arg){src->firstargs[i].id, buf_dup(src->firstargs[i].arg)};
        u->nfirstargs = src->nfirstargs;
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

/* +cmd / -cmd: the command and, for a container, all its subcommands. */
static void acl_change_command(acl_user *u, const command *cmd, int allow)
{
    bit_set(u->allowed, cmd->acl_id, allow);
    acl_clear_firstargs(u, cmd->acl_id);
    for (const command *sub = cmd->subcommands; sub && sub->name; sub++)
        bit_set(u->allowed, sub->acl_id, allow);
}

static void acl_change_category(acl_user *u, int cat, int allow)
{
    for (int i = 0; i < acl.ncommands; i++) {
        if (bit_get(acl.category_bits[cat], i)) {
            bit_set(u->allowed, i, allow);
            acl_clear_firstargs(u, i);
        }
    }
}

/* +cmd|arg for a command without subcommands (Redis's first-arg rule). */
static int acl_add_firstarg(acl_user *u, const char *rule, size_t len, const char **err)
{
    const char *bar = memchr(rule, '|', len);
    const command *cmd = acl_lookup_command(rule + 1, (size_t)(bar - rule - 1));
    const char *arg = bar + 1;
    size_t alen = len - (size_t)(arg - rule);
    if (!cmd || cmd->subcommands || rule[0] == '-' || memchr(arg, '|', alen)) {
        *err = "Unknown command or category name in ACL";
        return 0;
    }
    if (alen == 0) {
        *err = "Syntax error";
        return 0;
    }
    if (bit_get(u->allowed, cmd->acl_id))
        return 1; /* already allowed with any argument */
    resp_arg a = {arg, alen};
    if (acl_firstarg_allows(u, cmd->acl_id, &a))
        return 1;
    u->firstargs = acl_xrealloc(u->firstargs, sizeof(*u->firstargs) * (size_t)(u->nfirstargs + 1));
    u->firstargs[u->nfirstargs++] = (acl_first_arg){cmd->acl_id, buf_new(arg, alen)};
    return 1;
}

static const command *acl_lookup_command(const char *name, size_t len)
{
    const char *bar = memchr(name, '|', len);
    size_t toplen = bar ? (size_t)(bar - name) : len;
    for (int i = 0; i < acl.ncommands; i++) {
        const command *cmd = acl.commands[i];
        if (cmd->parent || strlen(cmd->name) != toplen || strncasecmp(cmd->name, name, toplen))
            continue;
        if (!bar)
            return cmd;
        const char *subname = bar + 1;
        size_t sublen = len - toplen - 1;
        for (const command *sub = cmd->subcommands; sub && sub->name; sub++)
            if (strlen(sub->name) == sublen && strncasecmp(sub->name, subname, sublen) == 0)
                return sub;
        return NULL;
    }
    return NULL;
}

static int acl_rule_is(const char *rule, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(rule, word, len) == 0;
}

static int acl_add_key_pattern(acl_user *u, const char *pat, size_t len, int perms,
                               const char **err)
{
    if ((u->flags & ACL_USER_ALLKEYS) && !(perms == ACL_PERM_ALL && len == 1 && pat[0] == '*')) {
        *err = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
               "does not have any effect. Try 'resetkeys' to start with an empty list of "
               "patterns";
        return 0;
    }
    if (perms == ACL_PERM_ALL && len == 1 && pat[0] == '*') {
        acl_user_reset_keys(u);
        u->flags |= ACL_USER_ALLKEYS;
        return 1;
    }
    for (int i = 0; i < u->nkeys; i++) {
        if (buf_eq(u->keys[i].pattern, pat, len)) {
            u->keys[i].perms |= perms;
            return 1;
        }
    }
    u->keys = acl_xrealloc(u->keys, sizeof(*u->keys) * (size_t)(u->nkeys + 1));
    u->keys[u->nkeys++] = (acl_key_pattern){buf_new(pat, len), perms};
    return 1;
}

static int acl_add_channel(acl_user *u, const char *pat, size_t len, const char **err)
{
    if ((u->flags & ACL_USER_ALLCHANNELS) && !(len == 1 && pat[0] == '*')) {
        *err = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid "
               "and does not have any effect. Try 'resetchannels' to start with an empty list "
               "of channels";
        return 0;
    }
    if (len == 1 && pat[0] == '*') {
        acl_user_reset_channels(u);
        u->flags |= ACL_USER_ALLCHANNELS;
        return 1;
    }
    for (int i = 0; i < u->nchannels; i++)
        if (buf_eq(u->channels[i], pat, len))
            return 1;
    u->channels = acl_xrealloc(u->channels, sizeof(*u->channels) * (size_t)(u->nchannels + 1));
    u->channels[u->nchannels++] = buf_new(pat, len);
    return 1;
}

int acl_user_set_rule(acl_user *u, const char *rule, size_t len, const char **err)
{
    static const char *const syntax = "Syntax error";
    static const char *const unknown = "Unknown command or category name in ACL";
    unsigned char h[ACL_SHA256_LEN];
    if (acl_rule_is(rule, len, "on")) {
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
    } else if (acl_rule_is(rule, len, "allkeys")) {
        acl_user_reset_keys(u);
        u->flags |= ACL_USER_ALLKEYS;
    } else if (acl_rule_is(rule, len, "resetkeys")) {
        acl_user_reset_keys(u);
    } else if (acl_rule_is(rule, len, "allchannels")) {
        acl_user_reset_channels(u);
        u->flags |= ACL_USER_ALLCHANNELS;
    } else if (acl_rule_is(rule, len, "resetchannels")) {
        acl_user_reset_channels(u);
    } else if (acl_rule_is(rule, len, "allcommands")) {
        return acl_user_set_rule(u, "+@all", 5, err);
    } else if (acl_rule_is(rule, len, "nocommands")) {
        return acl_user_set_rule(u, "-@all", 5, err);
    } else if (acl_rule_is(rule, len, "reset")) {
        acl_user_reset_passwords(u);
        acl_user_reset_keys(u);
        acl_user_reset_channels(u);
        u->flags = ACL_USER_SANITIZE | (acl_pubsub_default ? ACL_USER_ALLCHANNELS : 0);
        memset(u->allowed, 0, sizeof(uint64_t) * (size_t)acl.words);
        acl_clear_firstargs(u, -1);
    } else if (len >= 1 && rule[0] == '>') {
        acl_sha256(rule + 1, len - 1, h);
        acl_add_password(u, h);
    } else if (len >= 1 && rule[0] == '<') {
        acl_sha256(rule + 1, len - 1, h);
        return acl_remove_password(u, h, err);
    } else if (len >= 1 && (rule[0] == '#' || rule[0] == '!')) {
        if (!acl_hex_to_hash(rule + 1, len - 1, h)) {
            *err = "The password hash must be exactly 64 characters and contain only "
                   "lowercase hexadecimal characters";
            return 0;
        }
        if (rule[0] == '!')
            return acl_remove_password(u, h, err);
        acl_add_password(u, h);
    } else if (len >= 1 && rule[0] == '~') {
        return acl_add_key_pattern(u, rule + 1, len - 1, ACL_PERM_ALL, err);
    } else if (len >= 1 && rule[0] == '%') {
        int perms = 0;
        size_t i = 1;
        for (; i < len && rule[i] != '~'; i++) {
            if (rule[i] == 'R' || rule[i] == 'r')
                perms |= ACL_PERM_READ;
            else if (rule[i] == 'W' || rule[i] == 'w')
                perms |= ACL_PERM_WRITE;
            else {
                *err = syntax;
                return 0;
            }
        }
        if (i == len || perms == 0) {
            *err = syntax;
            return 0;
        }
        return acl_add_key_pattern(u, rule + i + 1, len - i - 1, perms, err);
    } else if (len >= 1 && rule[0] == '&') {
        return acl_add_channel(u, rule + 1, len - 1, err);
    } else if (len >= 2 && (rule[0] == '+' || rule[0] == '-') && rule[1] == '@') {
        int allow = rule[0] == '+';
        if (acl_rule_is(rule + 2, len - 2, "all")) {
            memset(u->allowed, allow ? 0xff : 0, sizeof(uint64_t) * (size_t)acl.words);
            acl_clear_firstargs(u, -1);
            if (allow)
                u->flags |= ACL_USER_ALLCOMMANDS | ACL_USER_FUTURE;
            else
                u->flags &= ~(ACL_USER_ALLCOMMANDS | ACL_USER_FUTURE);
            return 1;
        }
        int cat = acl_category_index(rule + 2, len - 2);
        if (cat < 0) {
            *err = unknown;
            return 0;
        }
        acl_change_category(u, cat, allow);
        u->flags &= ~ACL_USER_ALLCOMMANDS;
    } else if (len >= 2 && (rule[0] == '+' || rule[0] == '-')) {
        const char *bar = memchr(rule, '|', len);
        if (bar) {
            const command *top = acl_lookup_command(rule + 1, (size_t)(bar - rule - 1));
            if (top && !top->subcommands)
                return acl_add_firstarg(u, rule, len, err);
        }
        const command *cmd = acl_lookup_command(rule + 1, len - 1);
        if (!cmd) {
            *err = unknown;
            return 0;
        }
        acl_change_command(u, cmd, rule[0] == '+');
        u->flags &= ~ACL_USER_ALLCOMMANDS;
    } else {
        *err = syntax;
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ describe */

static void acl_count_category(const uint64_t *bits, int cat, unsigned long *on, unsigned long *off)
{
    *on = *off = 0;
    for (int i = 0; i < acl.ncommands; i++) {
        if (!bit_get(acl.category_bits[cat], i))
            continue;
        if (bit_get(bits, i))
            (*on)++;
        else
            (*off)++;
    }
}

/* Redis 7.0's description of the command bitmap: start from +@all or
 * -@all, apply the best-fitting categories one by one, then the single
 * commands that still differ. */
static buf acl_describe_commands(buf out, const acl_user *u)
{
    size_t bytes = sizeof(uint64_t) * (size_t)acl.words;
    uint64_t *fake = acl_xcalloc((size_t)acl.words, sizeof(uint64_t));
    uint64_t *temp = acl_xcalloc((size_t)acl.words, sizeof(uint64_t));
    memcpy(temp, u->allowed, bytes);
    int additive = !(u->flags & ACL_USER_FUTURE);
    out = buf_cat_cstr(out, additive ? "-@all " : "+@all ");
    memset(fake, additive ? 0 : 0xff, bytes);
    for (;;) {
        int best = -1;
        unsigned long mindiff = (unsigned long)-1, maxsame = 0;
        for (int c = 0; c < acl.ncategories; c++) {
            unsigned long on, off;
            acl_count_category(temp, c, &on, &off);
            unsigned long diff = additive ? off : on, same = additive ? on : off;
            if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
                best = c;
                mindiff = diff;
                maxsame = same;
            }
        }
        if (best < 0)
            break;
        out = buf_cat_printf(out, "%s%s ", additive ? "+" : "-", acl.categories[best]);
        for (int i = 0; i < acl.ncommands; i++) {
            if (bit_get(acl.category_bits[best], i)) {
                bit_set(fake, i, additive);
                bit_set(temp, i, !additive);
            }
        }
    }
    for (int i = 0; i < acl.ncommands; i++) {
        int ub = bit_get(u->allowed, i);
        if (ub == bit_get(fake, i))
            continue;
        out = buf_cat_printf(out, "%s%s ", ub ? "+" : "-", acl.commands[i]->fullname);
        bit_set(fake, i, ub);
        for (const command *sub = acl.commands[i]->subcommands; sub && sub->name; sub++)
            bit_set(fake, sub->acl_id, ub);
    }
    for (int i = 0; i < acl.ncommands; i++)
        for (int j = 0; j < u->nfirstargs; j++)
            if (u->firstargs[j].id == i)
                out =
                    buf_cat_cstr(buf_cat_buf(buf_cat_printf(out, "+%s|", acl.commands[i]->fullname),
                                             u->firstargs[j].arg),
                                 " ");
    free(fake);
    free(temp);
    buf_range(out, 0, -2); /* the last space */
    return out;
}

static buf acl_describe_key_pattern(buf out, const acl_key_pattern *k)
{
    if (k->perms == ACL_PERM_READ)
        out = buf_cat_cstr(out, "%R");
    else if (k->perms == ACL_PERM_WRITE)
        out = buf_cat_cstr(out, "%W");
    out = buf_cat_cstr(out, "~");
    return buf_cat_buf(out, k->pattern);
}

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
    if (u->flags & ACL_USER_ALLKEYS) {
        out = buf_cat_cstr(out, "~* ");
    } else {
        for (int i = 0; i < u->nkeys; i++)
            out = buf_cat_cstr(acl_describe_key_pattern(out, &u->keys[i]), " ");
    }
    if (u->flags & ACL_USER_ALLCHANNELS) {
        out = buf_cat_cstr(out, "&* ");
    } else {
        out = buf_cat_cstr(out, "resetchannels ");
        for (int i = 0; i < u->nchannels; i++)
            out = buf_cat_cstr(buf_cat_buf(buf_cat_cstr(out, "&"), u->channels[i]), " ");
    }
    return acl_describe_commands(out, u);
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

int acl_user_can_key(const acl_user *u, const char *key, size_t len, int perms)
{
    if (u->flags & ACL_USER_ALLKEYS)
        return 1;
    for (int i = 0; i < u->nkeys; i++) {
        const acl_key_pattern *k = &u->keys[i];
        if ((k->perms & perms) == perms &&
            util_glob_match(k->pattern, buf_len(k->pattern), key, len, 0))
            return 1;
    }
    return 0;
}

/* A channel matches a pattern; a PSUBSCRIBE pattern must be one of the
 * user's patterns literally, as in Redis. */
int acl_user_can_channel(const acl_user *u, const char *ch, size_t len, int is_pattern)
{
    if (u->flags & ACL_USER_ALLCHANNELS)
        return 1;
    for (int i = 0; i < u->nchannels; i++) {
        buf p = u->channels[i];
        if (is_pattern ? buf_eq(p, ch, len) : util_glob_match(p, buf_len(p), ch, len, 0))
            return 1;
    }
    return 0;
}

int acl_user_can_command(const acl_user *u, const command *cmd)
{
    if ((u->flags & ACL_USER_ALLCOMMANDS) || (cmd->flags & CMD_NO_AUTH))
        return 1;
    return cmd->acl_id >= 0 && cmd->acl_id < acl.ncommands && bit_get(u->allowed, cmd->acl_id);
}

/* Which channel arguments a command has: 0 none, 1 the first one, 2 all. */
static int acl_channel_args(const command *cmd, int *is_pattern)
{
    const char *n = cmd->fullname;
    *is_pattern = strcmp(n, "psubscribe") == 0;
    if (!strcmp(n, "publish") || !strcmp(n, "spublish"))
        return 1;
    if (!strcmp(n, "subscribe") || !strcmp(n, "ssubscribe") || *is_pattern)
        return 2;
    return 0;
}

/* Which key permissions a command needs, where its flags alone say it
 * wrongly (from Redis 7.0's key-spec flags: ACCESS needs read; INSERT,
 * DELETE, UPDATE need write; neither needs nothing).  Comma-separated, one
 * per key in order, the last repeating: "rw" (read and write), "r", "w",
 * "-" (none).  Other commands: a write command needs write, a read-only one
 * read, anything else both. */
static const struct {
    const char *command, *perms;
} acl_key_perms[] = {
    {"bitfield", "rw"},       {"decr", "rw"},         {"decrby", "rw"},
    {"incr", "rw"},           {"incrby", "rw"},       {"incrbyfloat", "rw"},
    {"getdel", "rw"},         {"getex", "rw"},        {"getset", "rw"},
    {"hincrby", "rw"},        {"hincrbyfloat", "rw"}, {"lpop", "rw"},
    {"rpop", "rw"},           {"lmpop", "rw"},        {"blmpop", "rw"},
    {"blpop", "rw"},          {"brpop", "rw"},        {"bzmpop", "rw"},
    {"bzpopmax", "rw"},       {"bzpopmin", "rw"},     {"move", "rw"},
    {"setbit", "rw"},         {"spop", "rw"},         {"zincrby", "rw"},
    {"zmpop", "rw"},          {"zpopmax", "rw"},      {"zpopmin", "rw"},
    {"lmove", "rw,w"},        {"blmove", "rw,w"},     {"rpoplpush", "rw,w"},
    {"brpoplpush", "rw,w"},   {"rename", "rw,w"},     {"renamenx", "rw,w"},
    {"smove", "rw,w"},        {"copy", "r,w"},        {"bitop", "w,r"},
    {"sdiffstore", "w,r"},    {"sinterstore", "w,r"}, {"sunionstore", "w,r"},
    {"zdiffstore", "w,r"},    {"zinterstore", "w,r"}, {"zunionstore", "w,r"},
    {"zrangestore", "w,r"},   {"exists", "-"},        {"llen", "-"},
    {"scard", "-"},           {"hlen", "-"},          {"hexists", "-"},
    {"hstrlen", "-"},         {"strlen", "-"},        {"type", "-"},
    {"touch", "-"},           {"sismember", "-"},     {"zcard", "-"},
    {"object|encoding", "-"}, {"object|freq", "-"},   {"object|idletime", "-"},
    {"object|refcount", "-"},
};

static int acl_perm_from(const char *p, size_t len)
{
    int perms = 0;
    for (size_t i = 0; i < len; i++)
        perms |= p[i] == 'r' ? ACL_PERM_READ : p[i] == 'w' ? ACL_PERM_WRITE : 0;
    return perms;
}

/* The permission the nth key argument (0-based) of cmd needs. */
static int acl_key_perm(const command *cmd, int nth, int argc, const resp_arg *argv)
{
    if (strcmp(cmd->fullname, "set") == 0) { /* SET ... GET also reads */
        for (int i = 3; i < argc; i++)
            if (argv[i].len == 3 && strncasecmp(argv[i].ptr, "get", 3) == 0)
                return ACL_PERM_ALL;
        return ACL_PERM_WRITE;
    }
    for (size_t t = 0; t < sizeof(acl_key_perms) / sizeof(acl_key_perms[0]); t++) {
        if (strcmp(cmd->fullname, acl_key_perms[t].command) != 0)
            continue;
        const char *p = acl_key_perms[t].perms;
        for (int k = 0;; k++) {
            const char *comma = strchr(p, ',');
            if (k == nth || !comma)
                return acl_perm_from(p, comma ? (size_t)(comma - p) : strlen(p));
            p = comma + 1;
        }
    }
    return (cmd->flags & CMD_WRITE)      ? ACL_PERM_WRITE
           : (cmd->flags & CMD_READONLY) ? ACL_PERM_READ
                                         : ACL_PERM_ALL;
}

/* Commands whose keys follow a numkeys argument, which the command table's
 * first/last/step cannot say: an optional destination key, then numkeys. */
static const struct {
    const char *command;
    int dest, numkeys_at;
} acl_numkeys_commands[] = {
    {"zunionstore", 1, 2}, {"zinterstore", 1, 2}, {"zdiffstore", 1, 2}, {"zunion", 0, 1},
    {"zinter", 0, 1},      {"zdiff", 0, 1},       {"zintercard", 0, 1}, {"sintercard", 0, 1},
    {"lmpop", 0, 1},       {"zmpop", 0, 1},       {"blmpop", 0, 2},     {"bzmpop", 0, 2},
};

/* The key arguments' positions into keys (room for argc), in order. */
static int acl_key_positions(const command *cmd, int argc, const resp_arg *argv, int *keys)
{
    int n = 0;
    for (size_t t = 0; t < sizeof(acl_numkeys_commands) / sizeof(acl_numkeys_commands[0]); t++) {
        if (strcmp(cmd->fullname, acl_numkeys_commands[t].command) != 0)
            continue;
        int at = acl_numkeys_commands[t].numkeys_at;
        long long numkeys;
        if (acl_numkeys_commands[t].dest && acl_numkeys_commands[t].dest < argc)
            keys[n++] = acl_numkeys_commands[t].dest;
        if (at >= argc || !util_str2ll(argv[at].ptr, argv[at].len, &numkeys) || numkeys < 0)
            return n;
        for (long long i = 0; i < numkeys && at + 1 + i < argc; i++)
            keys[n++] = at + 1 + (int)i;
        return n;
    }
    if (cmd->first_key <= 0)
        return 0;
    int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
    int step = cmd->key_step > 0 ? cmd->key_step : 1;
    for (int i = cmd->first_key; i <= last && i < argc; i += step)
        keys[n++] = i;
    return n;
}

int acl_user_check_call(const acl_user *u, const command *cmd, int argc, const resp_arg *argv,
                        int *pos)
{
    *pos = 0;
    if (!acl_user_can_command(u, cmd) &&
        !(argc >= 2 && acl_firstarg_allows(u, cmd->acl_id, &argv[1])))
        return ACL_DENIED_CMD;
    if (!(u->flags & ACL_USER_ALLKEYS) && !(cmd->flags & CMD_KEYS_NOT_KEY)) {
        int *keys = acl_xcalloc((size_t)argc, sizeof(int));
        int nkeys = acl_key_positions(cmd, argc, argv, keys);
        for (int nth = 0; nth < nkeys; nth++) {
            int i = keys[nth];
            if (!acl_user_can_key(u, argv[i].ptr, argv[i].len,
                                  acl_key_perm(cmd, nth, argc, argv))) {
                *pos = i;
                free(keys);
                return ACL_DENIED_KEY;
            }
        }
        free(keys);
    }
    int is_pattern;
    int which = acl_channel_args(cmd, &is_pattern);
    if (which && !(u->flags & ACL_USER_ALLCHANNELS)) {
        int last = which == 1 ? 1 : argc - 1;
        for (int i = 1; i <= last && i < argc; i++) {
            if (!acl_user_can_channel(u, argv[i].ptr, argv[i].len, is_pattern)) {
                *pos = i;
                return ACL_DENIED_CHANNEL;
            }
        }
    }
    return ACL_OK;
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

static int acl_name_valid(const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (name[i] == ' ' || name[i] == '\0')
            return 0;
    return 1;
}

int acl_setuser(server *s, const char *name, size_t nlen, int nrules, const resp_arg *rules,
                char *err, size_t errlen)
{
    if (!acl_name_valid(name, nlen)) {
        snprintf(err, errlen, "Usernames can't contain spaces or null characters");
        return 0;
    }
    acl_user *old = acl_user_lookup(name, nlen);
    acl_user *u = old ? acl_user_copy(old) : acl_user_create(name, nlen);
    for (int i = 0; i < nrules; i++) {
        const char *e = NULL;
        if (!acl_user_set_rule(u, rules[i].ptr, rules[i].len, &e)) {
            snprintf(err, errlen, "Error in ACL SETUSER modifier '%.*s': %s", (int)rules[i].len,
                     rules[i].ptr, e);
            acl_user_free(u);
            return 0;
        }
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
    if (!u || ((u->flags & ACL_USER_ALLCOMMANDS) && (u->flags & ACL_USER_ALLKEYS) &&
               (u->flags & ACL_USER_ALLCHANNELS)))
        return 1;
    int pos;
    int r = acl_user_check_call(u, cmd, c->argc, c->argv, &pos);
    if (r == ACL_OK)
        return 1;
    const char *msg = NULL;
    switch (r) {
    case ACL_DENIED_CMD:
        acl_log_add(c, r, cmd->fullname, strlen(cmd->fullname), u->name, buf_len(u->name));
        reply_errorf(c, "NOPERM this user has no permissions to run the '%s' command",
                     cmd->fullname);
        return 0;
    case ACL_DENIED_KEY:
        msg = "NOPERM this user has no permissions to access one of the keys used as arguments";
        break;
    default:
        msg = "NOPERM this user has no permissions to access one of the channels used as "
              "arguments";
        break;
    }
    acl_log_add(c, r, c->argv[pos].ptr, c->argv[pos].len, u->name, buf_len(u->name));
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

/* Split one aclfile line on blanks into args (no quoting: Redis's users
 * files hold rules without spaces). */
static int acl_split_line(char *line, resp_arg *args, int max)
{
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(line, " \t\r", &save); tok && n < max;
         tok = strtok_r(NULL, " \t\r", &save)) {
        args[n].ptr = tok;
        args[n].len = strlen(tok);
        n++;
    }
    return n;
}

/* Apply a list of user definitions (each "name rule...") to a fresh
 * registry; on an error the old registry stays.  `lines` (the aclfile's
 * line numbers) is NULL for the config's `user` directives. */
static int acl_apply_definitions(server *s, int n, int *argcs, resp_arg **argvs, const char *where,
                                 int *lines, char *err, size_t errlen)
{
    acl_user **old_users = acl.users;
    int old_n = acl.nusers;
    acl_user *old_default = acl.default_user;
    acl.users = NULL;
    acl.nusers = 0;
    acl.default_user = NULL;
    acl_default_user_init();
    if (s)
        acl_set_default_password(s->cfg.requirepass);
    for (int i = 0; i < n; i++) {
        char e[512];
        /* As Redis: an aclfile's users start from nothing; a `user default`
         * config line from "reset" (which sets sanitize-payload). */
        resp_arg reset = {"reset", 5};
        int fresh = lines || (argcs[i] >= 1 && argvs[i][0].len == 7 &&
                              memcmp(argvs[i][0].ptr, "default", 7) == 0);
        if (argcs[i] >= 1 && fresh &&
            acl_setuser(NULL, argvs[i][0].ptr, argvs[i][0].len, 1, &reset, e, sizeof(e)) && lines)
            acl_user_lookup(argvs[i][0].ptr, argvs[i][0].len)->flags &= ~ACL_USER_SANITIZE;
        if (argcs[i] < 1 || !acl_setuser(NULL, argvs[i][0].ptr, argvs[i][0].len, argcs[i] - 1,
                                         argvs[i] + 1, e, sizeof(e))) {
            snprintf(err, errlen, "%s:%d: %s", where, lines ? lines[i] : i + 1,
                     argcs[i] < 1 ? "Syntax error" : e);
            for (int j = 0; j < acl.nusers; j++)
                acl_user_free(acl.users[j]);
            free(acl.users);
            acl.users = old_users;
            acl.nusers = old_n;
            acl.default_user = old_default;
            return -1;
        }
    }
    /* Connections of users that no longer exist or are disabled go. */
    for (int j = 0; j < old_n; j++) {
        acl_user *now = acl_user_lookup(old_users[j]->name, buf_len(old_users[j]->name));
        if (!now || !(now->flags & ACL_USER_ON))
            acl_kill_clients_of(s, old_users[j]->name, buf_len(old_users[j]->name));
        acl_user_free(old_users[j]);
    }
    free(old_users);
    return 0;
}

int acl_load_file(server *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "Error loading ACLs, opening file '%s': %s", path, strerror(errno));
        return -1;
    }
    int cap = 16, n = 0;
    int *argcs = acl_xcalloc((size_t)cap, sizeof(int));
    int *lines = acl_xcalloc((size_t)cap, sizeof(int));
    resp_arg **argvs = acl_xcalloc((size_t)cap, sizeof(*argvs));
    char **texts = acl_xcalloc((size_t)cap, sizeof(*texts));
    char line[16384];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#')
            continue;
        if (n == cap) {
            cap *= 2;
            argcs = acl_xrealloc(argcs, sizeof(int) * (size_t)cap);
            lines = acl_xrealloc(lines, sizeof(int) * (size_t)cap);
            argvs = acl_xrealloc(argvs, sizeof(*argvs) * (size_t)cap);
            texts = acl_xrealloc(texts, sizeof(*texts) * (size_t)cap);
        }
        texts[n] = strdup(p);
        argvs[n] = acl_xcalloc(1024, sizeof(resp_arg));
        int argc = acl_split_line(texts[n], argvs[n], 1024);
        if (argc < 2 || strcmp(argvs[n][0].ptr, "user") != 0) {
            snprintf(err, errlen, "%s:%d: should start with user keyword", path, lineno);
            rc = -1;
            n++;
            break;
        }
        argvs[n][0] = argvs[n][1]; /* drop "user": name, rules... */
        memmove(&argvs[n][1], &argvs[n][2], sizeof(resp_arg) * (size_t)(argc - 2));
        argcs[n] = argc - 1;
        lines[n] = lineno;
        n++;
    }
    fclose(f);
    if (rc == 0)
        rc = acl_apply_definitions(s, n, argcs, argvs, path, lines, err, errlen);
    for (int i = 0; i < n; i++) {
        free(texts[i]);
        free(argvs[i]);
    }
    free(texts);
    free(argvs);
    free(argcs);
    free(lines);
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
    acl_number_commands(s);
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
        int rc = acl_apply_definitions(s, acl.nconfig, acl.config_argc, argvs, "user directive",
                                       NULL, err, errlen);
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
