/* acl_selectors: what an ACL user may do.  A selector is one set of
 * permissions -- the user's root rules, or one `(...)` rule of Redis 7.0 --
 * holding key patterns, channel patterns and a bitmap of the commands it
 * allows.  This file numbers the commands once at start-up (a bitmap is
 * indexed by command->acl_id), applies key, channel and command rules with
 * Redis's error texts, describes a selector the way ACL LIST and GETUSER
 * show it, and checks a call against all of a user's selectors.  Users
 * themselves (flags, passwords, the registry) are acl.c's. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl.h"
#include "config.h"
#include "server.h"

/* What the checks need to know about a command besides its table entry,
 * looked up once at start-up so that a check never compares names. */
typedef struct acl_cmd_info {
    const char *key_perms;  /* acl_key_perms' entry, or NULL */
    signed char numkeys_at; /* > 0: keys follow a numkeys argument there */
    signed char dest;       /* with numkeys: a destination key first (1), or 0 */
    signed char channels;   /* channel arguments: 0 none, 1 the first one, 2 all */
    signed char is_pattern; /* PSUBSCRIBE: patterns match user patterns literally */
    signed char set_get;    /* SET: needs read too when GET is given */
} acl_cmd_info;

static struct {
    const command **commands; /* by acl_id */
    acl_cmd_info *info;       /* by acl_id */
    int ncommands;
    int words;                /* uint64_t words per bitmap */
    uint64_t **category_bits; /* per category in command_category_names order */
    const char *const *categories;
    int ncategories;
} perm;

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
    return perm.ncommands;
}

const command *acl_command_at(int id)
{
    return id >= 0 && id < perm.ncommands ? perm.commands[id] : NULL;
}

const char *const *acl_category_list(int *count)
{
    *count = perm.ncategories;
    return perm.categories;
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
    for (int i = 0; i < perm.ncategories; i++)
        if (strlen(perm.categories[i] + 1) == len &&
            strncasecmp(perm.categories[i] + 1, name, len) == 0)
            return i;
    return -1;
}

/* ------------------------------------------ what each command's keys need */

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

static acl_cmd_info acl_cmd_info_of(const command *cmd)
{
    acl_cmd_info in = {0};
    const char *n = cmd->fullname;
    for (size_t t = 0; t < sizeof(acl_key_perms) / sizeof(acl_key_perms[0]); t++)
        if (strcmp(n, acl_key_perms[t].command) == 0)
            in.key_perms = acl_key_perms[t].perms;
    for (size_t t = 0; t < sizeof(acl_numkeys_commands) / sizeof(acl_numkeys_commands[0]); t++) {
        if (strcmp(n, acl_numkeys_commands[t].command) == 0) {
            in.dest = (signed char)acl_numkeys_commands[t].dest;
            in.numkeys_at = (signed char)acl_numkeys_commands[t].numkeys_at;
        }
    }
    in.is_pattern = strcmp(n, "psubscribe") == 0;
    if (!strcmp(n, "publish") || !strcmp(n, "spublish"))
        in.channels = 1;
    else if (!strcmp(n, "subscribe") || !strcmp(n, "ssubscribe") || in.is_pattern)
        in.channels = 2;
    in.set_get = strcmp(n, "set") == 0;
    return in;
}

static int acl_cmp_command(const void *a, const void *b)
{
    const command *x = *(const command *const *)a, *y = *(const command *const *)b;
    return strcmp(x->fullname, y->fullname);
}

/* Number every command and subcommand: top-level commands sorted by name,
 * each followed by its subcommands, so descriptions are stable. */
void acl_commands_init(server *s)
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
    free(perm.commands);
    free(perm.info);
    perm.commands = acl_xcalloc((size_t)total, sizeof(*perm.commands));
    perm.info = acl_xcalloc((size_t)total, sizeof(*perm.info));
    int id = 0;
    for (int i = 0; i < n; i++) {
        ((command *)top[i])->acl_id = id;
        perm.commands[id++] = top[i];
        for (command *sub = top[i]->subcommands; sub && sub->name; sub++) {
            sub->acl_id = id;
            perm.commands[id++] = sub;
        }
    }
    free(top);
    perm.ncommands = total;
    for (int i = 0; i < total; i++)
        perm.info[i] = acl_cmd_info_of(perm.commands[i]);
    if (perm.category_bits)
        for (int c = 0; c < perm.ncategories; c++)
            free(perm.category_bits[c]);
    free(perm.category_bits);
    perm.words = (total + 63) / 64;
    perm.categories = command_category_names(&perm.ncategories);
    perm.category_bits = acl_xcalloc((size_t)perm.ncategories, sizeof(*perm.category_bits));
    for (int c = 0; c < perm.ncategories; c++) {
        perm.category_bits[c] = acl_xcalloc((size_t)perm.words, sizeof(uint64_t));
        for (int i = 0; i < total; i++)
            if (acl_command_in_category(perm.commands[i], perm.categories[c] + 1))
                bit_set(perm.category_bits[c], i, 1);
    }
}

static const command *acl_lookup_command(const char *name, size_t len)
{
    const char *bar = memchr(name, '|', len);
    size_t toplen = bar ? (size_t)(bar - name) : len;
    for (int i = 0; i < perm.ncommands; i++) {
        const command *cmd = perm.commands[i];
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

/* ----------------------------------------------------------- selectors */

static size_t acl_bitmap_bytes(void)
{
    return sizeof(uint64_t) * (size_t)(perm.words ? perm.words : 1);
}

void acl_selector_init(acl_selector *sel)
{
    memset(sel, 0, sizeof(*sel));
    if (acl_pubsub_default)
        sel->flags |= ACL_SELECTOR_ALLCHANNELS;
    sel->allowed = acl_xcalloc(1, acl_bitmap_bytes());
}

static void acl_selector_reset_keys(acl_selector *sel)
{
    for (int i = 0; i < sel->nkeys; i++)
        buf_free(sel->keys[i].pattern);
    free(sel->keys);
    sel->keys = NULL;
    sel->nkeys = 0;
    sel->flags &= ~ACL_SELECTOR_ALLKEYS;
}

static void acl_selector_reset_channels(acl_selector *sel)
{
    for (int i = 0; i < sel->nchannels; i++)
        buf_free(sel->channels[i]);
    free(sel->channels);
    sel->channels = NULL;
    sel->nchannels = 0;
    sel->flags &= ~ACL_SELECTOR_ALLCHANNELS;
}

/* Forget the first-arg rules of command `id` (-1: of every command). */
static void acl_clear_firstargs(acl_selector *sel, int id)
{
    int j = 0;
    for (int i = 0; i < sel->nfirstargs; i++) {
        if (id < 0 || sel->firstargs[i].id == id)
            buf_free(sel->firstargs[i].arg);
        else
            sel->firstargs[j++] = sel->firstargs[i];
    }
    sel->nfirstargs = j;
    if (j == 0) {
        free(sel->firstargs);
        sel->firstargs = NULL;
    }
}

void acl_selector_release(acl_selector *sel)
{
    acl_selector_reset_keys(sel);
    acl_selector_reset_channels(sel);
    acl_clear_firstargs(sel, -1);
    free(sel->allowed);
    sel->allowed = NULL;
}

void acl_selector_copy(acl_selector *dst, const acl_selector *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->flags = src->flags;
    if (src->nkeys) {
        dst->keys = acl_xcalloc((size_t)src->nkeys, sizeof(*dst->keys));
        for (int i = 0; i < src->nkeys; i++)
            dst->keys[i] = (acl_key_pattern){buf_dup(src->keys[i].pattern), src->keys[i].perms};
        dst->nkeys = src->nkeys;
    }
    if (src->nchannels) {
        dst->channels = acl_xcalloc((size_t)src->nchannels, sizeof(*dst->channels));
        for (int i = 0; i < src->nchannels; i++)
            dst->channels[i] = buf_dup(src->channels[i]);
        dst->nchannels = src->nchannels;
    }
    dst->allowed = acl_xcalloc(1, acl_bitmap_bytes());
    memcpy(dst->allowed, src->allowed, acl_bitmap_bytes());
    if (src->nfirstargs) {
        dst->firstargs = acl_xcalloc((size_t)src->nfirstargs, sizeof(*dst->firstargs));
        for (int i = 0; i < src->nfirstargs; i++)
            dst->firstargs[i] =
                (acl_first_arg){src->firstargs[i].id, buf_dup(src->firstargs[i].arg)};
        dst->nfirstargs = src->nfirstargs;
    }
}

/* ------------------------------------------------------------- rules */

static const char *const acl_err_syntax = "Syntax error";
static const char *const acl_err_unknown = "Unknown command or category name in ACL";

static int acl_rule_is(const char *rule, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(rule, word, len) == 0;
}

/* Patterns are written space-separated in ACL LIST and the aclfile, so
 * Redis refuses blanks (and NULs) in them. */
static int acl_has_spaces(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (isspace((unsigned char)s[i]) || s[i] == '\0')
            return 1;
    return 0;
}

static int acl_firstarg_allows(const acl_selector *sel, int id, const resp_arg *arg)
{
    for (int i = 0; i < sel->nfirstargs; i++)
        if (sel->firstargs[i].id == id && buf_len(sel->firstargs[i].arg) == arg->len &&
            strncasecmp(sel->firstargs[i].arg, arg->ptr, arg->len) == 0)
            return 1;
    return 0;
}

/* +cmd / -cmd: the command and, for a container, all its subcommands. */
static void acl_change_command(acl_selector *sel, const command *cmd, int allow)
{
    bit_set(sel->allowed, cmd->acl_id, allow);
    acl_clear_firstargs(sel, cmd->acl_id);
    for (const command *sub = cmd->subcommands; sub && sub->name; sub++)
        bit_set(sel->allowed, sub->acl_id, allow);
}

static void acl_change_category(acl_selector *sel, int cat, int allow)
{
    for (int i = 0; i < perm.ncommands; i++) {
        if (bit_get(perm.category_bits[cat], i)) {
            bit_set(sel->allowed, i, allow);
            acl_clear_firstargs(sel, i);
        }
    }
}

static void acl_add_firstarg(acl_selector *sel, const command *cmd, const char *arg, size_t alen)
{
    if (bit_get(sel->allowed, cmd->acl_id))
        return; /* already allowed with any argument */
    resp_arg a = {arg, alen};
    if (acl_firstarg_allows(sel, cmd->acl_id, &a))
        return;
    sel->firstargs =
        acl_xrealloc(sel->firstargs, sizeof(*sel->firstargs) * (size_t)(sel->nfirstargs + 1));
    sel->firstargs[sel->nfirstargs++] = (acl_first_arg){cmd->acl_id, buf_new(arg, alen)};
}

/* +cmd|x, split at the last bar as Redis does: a subcommand ("+config|get")
 * or, for a command without subcommands, a first argument ("+select|0"). */
static int acl_allow_with_bar(acl_selector *sel, const char *rule, size_t len, const char *bar,
                              const char **err)
{
    const command *cmd = acl_lookup_command(rule + 1, (size_t)(bar - rule - 1));
    if (!cmd) {
        *err = acl_err_unknown;
        return 0;
    }
    if (cmd->parent) {
        *err = "Allowing first-arg of a subcommand is not supported";
        return 0;
    }
    const char *arg = bar + 1;
    size_t alen = len - (size_t)(arg - rule);
    if (alen == 0) {
        *err = acl_err_syntax;
        return 0;
    }
    if (cmd->subcommands) {
        const command *sub = acl_lookup_command(rule + 1, len - 1);
        if (!sub) {
            *err = acl_err_unknown;
            return 0;
        }
        acl_change_command(sel, sub, 1);
        sel->flags &= ~ACL_SELECTOR_ALLCOMMANDS;
        return 1;
    }
    acl_add_firstarg(sel, cmd, arg, alen);
    return 1;
}

static int acl_command_rule(acl_selector *sel, const char *rule, size_t len, const char **err)
{
    int allow = rule[0] == '+';
    if (len >= 2 && rule[1] == '@') {
        int cat = acl_category_index(rule + 2, len - 2);
        if (cat < 0) {
            *err = acl_err_unknown;
            return 0;
        }
        acl_change_category(sel, cat, allow);
        sel->flags &= ~ACL_SELECTOR_ALLCOMMANDS;
        return 1;
    }
    if (allow) {
        const char *bar = NULL;
        for (size_t i = len; i-- > 1;)
            if (rule[i] == '|') {
                bar = rule + i;
                break;
            }
        if (bar)
            return acl_allow_with_bar(sel, rule, len, bar, err);
    }
    const command *cmd = acl_lookup_command(rule + 1, len - 1);
    if (!cmd) {
        *err = acl_err_unknown;
        return 0;
    }
    acl_change_command(sel, cmd, allow);
    sel->flags &= ~ACL_SELECTOR_ALLCOMMANDS;
    return 1;
}

/* ~pattern, %R~pattern, %W~pattern, %RW~pattern.  As in Redis 7.0: after
 * `~*`/allkeys any pattern is an error; a permission letter may appear once;
 * `%R` without `~` is the empty pattern; `%RW~*` is a pattern like any
 * other, only the literal `~*` means all keys. */
static int acl_key_rule(acl_selector *sel, const char *rule, size_t len, const char **err)
{
    if (sel->flags & ACL_SELECTOR_ALLKEYS) {
        *err = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
               "does not have any effect. Try 'resetkeys' to start with an empty list of "
               "patterns";
        return 0;
    }
    int perms = 0;
    size_t off = 1;
    if (rule[0] == '%') {
        for (; off < len; off++) {
            char ch = rule[off];
            if ((ch == 'R' || ch == 'r') && !(perms & ACL_PERM_READ)) {
                perms |= ACL_PERM_READ;
            } else if ((ch == 'W' || ch == 'w') && !(perms & ACL_PERM_WRITE)) {
                perms |= ACL_PERM_WRITE;
            } else if (ch == '~') {
                off++;
                break;
            } else {
                *err = acl_err_syntax;
                return 0;
            }
        }
    } else {
        perms = ACL_PERM_ALL;
    }
    const char *pat = rule + off;
    size_t plen = len - off;
    if (!perms || acl_has_spaces(pat, plen)) {
        *err = acl_err_syntax;
        return 0;
    }
    for (int i = 0; i < sel->nkeys; i++) {
        if (buf_eq(sel->keys[i].pattern, pat, plen)) {
            sel->keys[i].perms |= perms;
            return 1;
        }
    }
    sel->keys = acl_xrealloc(sel->keys, sizeof(*sel->keys) * (size_t)(sel->nkeys + 1));
    sel->keys[sel->nkeys++] = (acl_key_pattern){buf_new(pat, plen), perms};
    return 1;
}

static int acl_channel_rule(acl_selector *sel, const char *rule, size_t len, const char **err)
{
    if (sel->flags & ACL_SELECTOR_ALLCHANNELS) {
        *err = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid "
               "and does not have any effect. Try 'resetchannels' to start with an empty list "
               "of channels";
        return 0;
    }
    const char *pat = rule + 1;
    size_t plen = len - 1;
    if (acl_has_spaces(pat, plen)) {
        *err = acl_err_syntax;
        return 0;
    }
    for (int i = 0; i < sel->nchannels; i++)
        if (buf_eq(sel->channels[i], pat, plen))
            return 1;
    sel->channels =
        acl_xrealloc(sel->channels, sizeof(*sel->channels) * (size_t)(sel->nchannels + 1));
    sel->channels[sel->nchannels++] = buf_new(pat, plen);
    return 1;
}

int acl_selector_set_rule(acl_selector *sel, const char *rule, size_t len, const char **err)
{
    if (acl_rule_is(rule, len, "allkeys") || acl_rule_is(rule, len, "~*")) {
        acl_selector_reset_keys(sel);
        sel->flags |= ACL_SELECTOR_ALLKEYS;
    } else if (acl_rule_is(rule, len, "resetkeys")) {
        acl_selector_reset_keys(sel);
    } else if (acl_rule_is(rule, len, "allchannels") || acl_rule_is(rule, len, "&*")) {
        acl_selector_reset_channels(sel);
        sel->flags |= ACL_SELECTOR_ALLCHANNELS;
    } else if (acl_rule_is(rule, len, "resetchannels")) {
        acl_selector_reset_channels(sel);
    } else if (acl_rule_is(rule, len, "allcommands") || acl_rule_is(rule, len, "+@all")) {
        memset(sel->allowed, 0xff, acl_bitmap_bytes());
        acl_clear_firstargs(sel, -1);
        sel->flags |= ACL_SELECTOR_ALLCOMMANDS | ACL_SELECTOR_FUTURE;
    } else if (acl_rule_is(rule, len, "nocommands") || acl_rule_is(rule, len, "-@all")) {
        memset(sel->allowed, 0, acl_bitmap_bytes());
        acl_clear_firstargs(sel, -1);
        sel->flags &= ~(ACL_SELECTOR_ALLCOMMANDS | ACL_SELECTOR_FUTURE);
    } else if (len >= 1 && (rule[0] == '~' || rule[0] == '%')) {
        return acl_key_rule(sel, rule, len, err);
    } else if (len >= 1 && rule[0] == '&') {
        return acl_channel_rule(sel, rule, len, err);
    } else if (len >= 1 && (rule[0] == '+' || rule[0] == '-')) {
        return acl_command_rule(sel, rule, len, err);
    } else {
        *err = acl_err_syntax;
        return 0;
    }
    return 1;
}

/* The text between the parentheses is split like a config line (quotes
 * allowed).  As with Redis's sdssplitargs, unbalanced quotes leave no
 * rules at all: an empty selector, not an error.  The text stops at a NUL
 * byte, as Redis's splitting does. */
int acl_selector_parse(acl_selector *sel, const char *text, size_t len, const char **err)
{
    acl_selector_init(sel);
    buf inner = buf_new(text + 1, len >= 2 ? len - 2 : 0);
    int argc = 0;
    buf *argv = config_split_args(inner, &argc);
    buf_free(inner);
    int ok = 1;
    for (int i = 0; ok && argv && i < argc; i++)
        ok = acl_selector_set_rule(sel, argv[i], buf_len(argv[i]), err);
    if (argv)
        config_free_args(argv, argc);
    if (!ok)
        acl_selector_release(sel);
    return ok;
}

/* ------------------------------------------------------------ describe */

static void acl_count_category(const uint64_t *bits, int cat, unsigned long *on, unsigned long *off)
{
    *on = *off = 0;
    for (int i = 0; i < perm.ncommands; i++) {
        if (!bit_get(perm.category_bits[cat], i))
            continue;
        if (bit_get(bits, i))
            (*on)++;
        else
            (*off)++;
    }
}

/* Redis 7.0's description of the command bitmap: start from +@all or
 * -@all, apply the best-fitting categories one by one, then the single
 * commands that still differ, then the first-arg rules. */
buf acl_selector_describe_commands(buf out, const acl_selector *sel)
{
    size_t bytes = acl_bitmap_bytes();
    uint64_t *fake = acl_xcalloc(1, bytes);
    uint64_t *temp = acl_xcalloc(1, bytes);
    memcpy(temp, sel->allowed, bytes);
    int additive = !(sel->flags & ACL_SELECTOR_FUTURE);
    size_t start = buf_len(out);
    out = buf_cat_cstr(out, additive ? "-@all " : "+@all ");
    memset(fake, additive ? 0 : 0xff, bytes);
    for (;;) {
        int best = -1;
        unsigned long mindiff = (unsigned long)-1, maxsame = 0;
        for (int c = 0; c < perm.ncategories; c++) {
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
        out = buf_cat_printf(out, "%s%s ", additive ? "+" : "-", perm.categories[best]);
        for (int i = 0; i < perm.ncommands; i++) {
            if (bit_get(perm.category_bits[best], i)) {
                bit_set(fake, i, additive);
                bit_set(temp, i, !additive);
            }
        }
    }
    for (int i = 0; i < perm.ncommands; i++) {
        int ub = bit_get(sel->allowed, i);
        if (ub == bit_get(fake, i))
            continue;
        out = buf_cat_printf(out, "%s%s ", ub ? "+" : "-", perm.commands[i]->fullname);
        bit_set(fake, i, ub);
        for (const command *sub = perm.commands[i]->subcommands; sub && sub->name; sub++)
            bit_set(fake, sub->acl_id, ub);
    }
    for (int i = 0; i < perm.ncommands; i++)
        for (int j = 0; j < sel->nfirstargs; j++)
            if (sel->firstargs[j].id == i)
                out = buf_cat_cstr(
                    buf_cat_buf(buf_cat_printf(out, "+%s|", perm.commands[i]->fullname),
                                sel->firstargs[j].arg),
                    " ");
    free(fake);
    free(temp);
    if (buf_len(out) > start)
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

buf acl_selector_describe_keys(buf out, const acl_selector *sel)
{
    if (sel->flags & ACL_SELECTOR_ALLKEYS)
        return buf_cat_cstr(out, "~*");
    for (int i = 0; i < sel->nkeys; i++) {
        if (i)
            out = buf_cat_cstr(out, " ");
        out = acl_describe_key_pattern(out, &sel->keys[i]);
    }
    return out;
}

buf acl_selector_describe_channels(buf out, const acl_selector *sel)
{
    if (sel->flags & ACL_SELECTOR_ALLCHANNELS)
        return buf_cat_cstr(out, "&*");
    for (int i = 0; i < sel->nchannels; i++)
        out = buf_cat_buf(buf_cat_cstr(out, i ? " &" : "&"), sel->channels[i]);
    return out;
}

buf acl_selector_describe(buf out, const acl_selector *sel)
{
    if (sel->flags & ACL_SELECTOR_ALLKEYS) {
        out = buf_cat_cstr(out, "~* ");
    } else {
        for (int i = 0; i < sel->nkeys; i++)
            out = buf_cat_cstr(acl_describe_key_pattern(out, &sel->keys[i]), " ");
    }
    if (sel->flags & ACL_SELECTOR_ALLCHANNELS) {
        out = buf_cat_cstr(out, "&* ");
    } else {
        out = buf_cat_cstr(out, "resetchannels ");
        for (int i = 0; i < sel->nchannels; i++)
            out = buf_cat_cstr(buf_cat_buf(buf_cat_cstr(out, "&"), sel->channels[i]), " ");
    }
    return acl_selector_describe_commands(out, sel);
}

/* -------------------------------------------------------------- checks */

static int acl_selector_can_key(const acl_selector *sel, const char *key, size_t len, int perms)
{
    if (sel->flags & ACL_SELECTOR_ALLKEYS)
        return 1;
    for (int i = 0; i < sel->nkeys; i++) {
        const acl_key_pattern *k = &sel->keys[i];
        if ((k->perms & perms) == perms &&
            util_glob_match(k->pattern, buf_len(k->pattern), key, len, 0))
            return 1;
    }
    return 0;
}

/* A channel matches a pattern; a PSUBSCRIBE pattern must be one of the
 * selector's patterns literally, as in Redis. */
static int acl_selector_can_channel(const acl_selector *sel, const char *ch, size_t len,
                                    int is_pattern)
{
    if (sel->flags & ACL_SELECTOR_ALLCHANNELS)
        return 1;
    for (int i = 0; i < sel->nchannels; i++) {
        buf p = sel->channels[i];
        if (is_pattern ? buf_eq(p, ch, len) : util_glob_match(p, buf_len(p), ch, len, 0))
            return 1;
    }
    return 0;
}

static int acl_selector_can_command(const acl_selector *sel, const command *cmd)
{
    if ((sel->flags & ACL_SELECTOR_ALLCOMMANDS) || (cmd->flags & CMD_NO_AUTH))
        return 1;
    return cmd->acl_id >= 0 && cmd->acl_id < perm.ncommands && bit_get(sel->allowed, cmd->acl_id);
}

int acl_user_can_key(const acl_user *u, const char *key, size_t len, int perms)
{
    if (acl_selector_can_key(&u->root, key, len, perms))
        return 1;
    for (int i = 0; i < u->nselectors; i++)
        if (acl_selector_can_key(&u->selectors[i], key, len, perms))
            return 1;
    return 0;
}

int acl_user_can_channel(const acl_user *u, const char *ch, size_t len, int is_pattern)
{
    if (acl_selector_can_channel(&u->root, ch, len, is_pattern))
        return 1;
    for (int i = 0; i < u->nselectors; i++)
        if (acl_selector_can_channel(&u->selectors[i], ch, len, is_pattern))
            return 1;
    return 0;
}

int acl_user_can_command(const acl_user *u, const command *cmd)
{
    if (acl_selector_can_command(&u->root, cmd))
        return 1;
    for (int i = 0; i < u->nselectors; i++)
        if (acl_selector_can_command(&u->selectors[i], cmd))
            return 1;
    return 0;
}

static const acl_cmd_info acl_no_info = {0};

static const acl_cmd_info *acl_info_of(const command *cmd)
{
    return cmd->acl_id >= 0 && cmd->acl_id < perm.ncommands ? &perm.info[cmd->acl_id]
                                                            : &acl_no_info;
}

static int acl_perm_from(const char *p, size_t len)
{
    int perms = 0;
    for (size_t i = 0; i < len; i++)
        perms |= p[i] == 'r' ? ACL_PERM_READ : p[i] == 'w' ? ACL_PERM_WRITE : 0;
    return perms;
}

/* The permission the nth key argument (0-based) of cmd needs. */
static int acl_key_perm(const command *cmd, const acl_cmd_info *in, int nth, int argc,
                        const resp_arg *argv)
{
    if (in->set_get) { /* SET ... GET also reads */
        for (int i = 3; i < argc; i++)
            if (argv[i].len == 3 && strncasecmp(argv[i].ptr, "get", 3) == 0)
                return ACL_PERM_ALL;
        return ACL_PERM_WRITE;
    }
    if (in->key_perms) {
        const char *p = in->key_perms;
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

/* A call's key arguments and the permission each needs, worked out once
 * per check and shared by all the user's selectors (as Redis caches its
 * getkeys result across selectors). */
#define ACL_KEYS_INLINE 16
typedef struct acl_call_keys {
    int done, n;
    int *pos, *perms; /* the inline arrays, or heap ones for many keys */
    int inline_pos[ACL_KEYS_INLINE], inline_perms[ACL_KEYS_INLINE];
} acl_call_keys;

static void acl_call_keys_compute(acl_call_keys *ck, const command *cmd, int argc,
                                  const resp_arg *argv)
{
    const acl_cmd_info *in = acl_info_of(cmd);
    ck->done = 1;
    ck->n = 0;
    ck->pos = ck->inline_pos;
    ck->perms = ck->inline_perms;
    if (argc > ACL_KEYS_INLINE) {
        ck->pos = acl_xcalloc((size_t)argc, sizeof(int));
        ck->perms = acl_xcalloc((size_t)argc, sizeof(int));
    }
    if (in->numkeys_at > 0) {
        int at = in->numkeys_at;
        long long numkeys;
        if (in->dest && in->dest < argc)
            ck->pos[ck->n++] = in->dest;
        if (at < argc && util_str2ll(argv[at].ptr, argv[at].len, &numkeys) && numkeys >= 0)
            for (long long i = 0; i < numkeys && at + 1 + i < argc; i++)
                ck->pos[ck->n++] = at + 1 + (int)i;
    } else if (cmd->first_key > 0) {
        int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
        int step = cmd->key_step > 0 ? cmd->key_step : 1;
        for (int i = cmd->first_key; i <= last && i < argc; i += step)
            ck->pos[ck->n++] = i;
    }
    for (int nth = 0; nth < ck->n; nth++)
        ck->perms[nth] = acl_key_perm(cmd, in, nth, argc, argv);
}

static void acl_call_keys_release(acl_call_keys *ck)
{
    if (ck->done && ck->pos != ck->inline_pos) {
        free(ck->pos);
        free(ck->perms);
    }
}

/* One selector's verdict on a call: the command (or its first argument),
 * then every key, then every channel. */
static int acl_selector_check_call(const acl_selector *sel, const command *cmd, int argc,
                                   const resp_arg *argv, acl_call_keys *ck, int *pos)
{
    if (!acl_selector_can_command(sel, cmd) &&
        !(argc >= 2 && sel->nfirstargs && acl_firstarg_allows(sel, cmd->acl_id, &argv[1])))
        return ACL_DENIED_CMD;
    if (!(sel->flags & ACL_SELECTOR_ALLKEYS) && !(cmd->flags & CMD_KEYS_NOT_KEY)) {
        if (!ck->done)
            acl_call_keys_compute(ck, cmd, argc, argv);
        for (int nth = 0; nth < ck->n; nth++) {
            int i = ck->pos[nth];
            if (!acl_selector_can_key(sel, argv[i].ptr, argv[i].len, ck->perms[nth])) {
                *pos = i;
                return ACL_DENIED_KEY;
            }
        }
    }
    const acl_cmd_info *in = acl_info_of(cmd);
    if (in->channels && !(sel->flags & ACL_SELECTOR_ALLCHANNELS)) {
        int last = in->channels == 1 ? 1 : argc - 1;
        for (int i = 1; i <= last && i < argc; i++) {
            if (!acl_selector_can_channel(sel, argv[i].ptr, argv[i].len, in->is_pattern)) {
                *pos = i;
                return ACL_DENIED_CHANNEL;
            }
        }
    }
    return ACL_OK;
}

int acl_user_check_call(const acl_user *u, const command *cmd, int argc, const resp_arg *argv,
                        int *pos)
{
    acl_call_keys ck;
    ck.done = 0;
    int p = 0;
    int r = acl_selector_check_call(&u->root, cmd, argc, argv, &ck, &p);
    int best = r, bestpos = p;
    for (int i = 0; r != ACL_OK && i < u->nselectors; i++) {
        p = 0;
        r = acl_selector_check_call(&u->selectors[i], cmd, argc, argv, &ck, &p);
        /* ACL_DENIED_* grow with specificity: channel > key > command */
        if (r != ACL_OK && (r > best || (r == best && p > bestpos))) {
            best = r;
            bestpos = p;
        }
    }
    acl_call_keys_release(&ck);
    *pos = r == ACL_OK ? 0 : bestpos;
    return r == ACL_OK ? ACL_OK : best;
}
