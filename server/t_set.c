/* t_set: the set type (OBJ_SET) and its commands: SADD, SREM, SMEMBERS,
 * SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE, SINTER,
 * SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE and SSCAN,
 * plus set_type_ops (free, COPY, length, MEMORY USAGE).
 *
 * Two encodings, decided exactly as Redis 7.0 decides them:
 *  - intset: while every member is the canonical decimal form of an int64
 *    (what util_str2ll accepts) and there are at most set-max-intset-entries
 *    members.  Members come back sorted ascending.
 *  - hashtable: a dict whose keys are the member bufs and whose values are
 *    unused (NULL), so a member costs one entry plus one buf.
 * Conversion is one way, intset -> hashtable, never back.
 *
 * Replies, error strings and the order in which arguments are checked follow
 * Redis 7.0 byte for byte.  Every change signals the key as modified (WATCH),
 * raises Redis's keyspace event and adds the number of changes to dirty.
 * SPOP is propagated as SREM of the members it popped (or DEL when the whole
 * set went), so replicas and the AOF remove the same members. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "intset.h"
#include "server.h"
#include "type_persist.h"

/* Redis's strategy switches for SPOP and SRANDMEMBER with a count: past
 * these ratios it is cheaper to work from the whole set than to draw. */
#define SET_SPOP_MOVE_STRATEGY_MUL 5
#define SET_SRANDMEMBER_SUB_STRATEGY_MUL 3
/* Redis caps the intset threshold: an intset never holds more than this. */
#define SET_INTSET_HARD_MAX (1LL << 30)
/* SADD sizes a new hashtable for at most this many members up front (the
 * arguments may repeat: a bound keeps a silly request from a huge table). */
#define SET_PRESIZE_MAX 65536
/* MEMORY USAGE looks at this many members of a large set and extrapolates. */
#define SET_MEM_SAMPLES 64

#define SET_ERR_SPOP_COUNT "ERR value is out of range, must be positive"
#define SET_ERR_SRAND_RANGE                                                                        \
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
#define SET_ERR_NUMKEYS "ERR numkeys should be greater than 0"
#define SET_ERR_NUMKEYS_ARGS "ERR Number of keys can't be greater than number of args"
#define SET_ERR_LIMIT "ERR LIMIT can't be negative"

/* ------------------------------------------------------------- dict type */

static uint64_t set_member_hash(const void *k)
{
    return dict_hash_bytes(k, buf_len((const buf)k));
}

static int set_member_equal(const void *a, const void *b)
{
    size_t la = buf_len((const buf)a);
    return la == buf_len((const buf)b) && memcmp(a, b, la) == 0;
}

static void set_member_free(void *k)
{
    buf_free(k);
}

static const dict_type set_dict_type = {set_member_hash, set_member_equal, set_member_free, NULL};

/* Members arrive as bytes inside the request, while the dict's keys are
 * bufs: a lookup key is laid out as a buf in stack memory (on the heap only
 * when long), so SISMEMBER and friends allocate nothing. */
typedef struct set_probe {
    _Alignas(16) char mem[256];
    buf b;
    int on_heap;
} set_probe;

static buf set_probe_init(set_probe *p, const void *s, size_t len)
{
    if (buf_embed_size(len) <= sizeof(p->mem)) {
        p->on_heap = 0;
        p->b = buf_embed(p->mem, s, len);
    } else {
        p->on_heap = 1;
        p->b = buf_new(s, len);
    }
    return p->b;
}

static void set_probe_release(set_probe *p)
{
    if (p->on_heap)
        buf_free(p->b);
}

/* ------------------------------------------------------------ randomness */

/* xorshift64*: SPOP and SRANDMEMBER need fast, not secret, randomness;
 * seeded once from the OS so two servers do not draw the same sequence. */
static uint64_t set_rand_state;

static uint64_t set_rand(void)
{
    if (set_rand_state == 0) {
        util_random_bytes(&set_rand_state, sizeof(set_rand_state));
        set_rand_state |= 1;
    }
    uint64_t x = set_rand_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    set_rand_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* ------------------------------------------------------------- elements */

/* One member seen from outside the set: its bytes, plus the integer when it
 * came from an intset (so intset-to-intset work skips formatting and
 * parsing), or the dict's own buf when it came from a hashtable (so
 * hashtable lookups skip the probe copy). */
typedef struct set_elem {
    const char *p;
    size_t len;
    int is_int;
    int64_t v;
    buf b; /* the member buf inside a hashtable set, or NULL */
    char tmp[LL_STR_SIZE];
} set_elem;

static void set_elem_from_int(set_elem *e, int64_t v)
{
    e->is_int = 1;
    e->v = v;
    e->b = NULL;
    e->len = (size_t)util_ll2str(e->tmp, sizeof(e->tmp), v);
    e->p = e->tmp;
}

static void set_elem_from_buf(set_elem *e, buf b)
{
    e->is_int = 0;
    e->v = 0;
    e->b = b;
    e->p = b;
    e->len = buf_len(b);
}

/* A compact reference to a member kept while a reply is being built: the
 * bytes of a hashtable member (owned by the set, which outlives the
 * command) or an integer of an intset. */
typedef struct set_ref {
    const char *p; /* NULL: an integer */
    size_t len;
    int64_t v;
} set_ref;

typedef struct set_refs {
    set_ref *v;
    size_t n, cap;
} set_refs;

static void set_refs_push(set_refs *r, const set_elem *e)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->v = realloc(r->v, r->cap * sizeof(*r->v));
        if (!r->v)
            abort();
    }
    set_ref *x = &r->v[r->n++];
    if (e->is_int) {
        x->p = NULL;
        x->len = 0;
        x->v = e->v;
    } else {
        x->p = e->p;
        x->len = e->len;
        x->v = 0;
    }
}

static void set_reply_ref(client *c, const set_ref *x)
{
    if (x->p)
        reply_bulk(c, x->p, x->len);
    else
        reply_bulk_ll(c, x->v);
}

/* ------------------------------------------------------ the set itself */

static kobj *set_new_intset(void)
{
    kobj *o = obj_create(OBJ_SET, intset_new());
    o->encoding = ENC_INTSET;
    return o;
}

static kobj *set_new_hashtable(void)
{
    kobj *o = obj_create(OBJ_SET, dict_create(&set_dict_type));
    o->encoding = ENC_HASHTABLE;
    return o;
}

/* The set a first member calls for, as Redis's setTypeCreate: an intset
 * when the member is an integer, else a hashtable. */
static kobj *set_create_for(const char *p, size_t len)
{
    long long v;
    if (util_str2ll(p, len, &v))
        return set_new_intset();
    return set_new_hashtable();
}

static size_t set_size(const kobj *o)
{
    if (o->encoding == ENC_INTSET)
        return intset_len(o->ptr);
    return dict_size(o->ptr);
}

static long long set_intset_max(server *s)
{
    long long max = s->cfg.set_max_intset_entries;
    return max > SET_INTSET_HARD_MAX ? SET_INTSET_HARD_MAX : max;
}

/* intset -> hashtable, the table sized up front for every member. */
static void set_convert_to_hashtable(kobj *o)
{
    intset *is = o->ptr;
    dict *d = dict_create(&set_dict_type);
    uint32_t n = intset_len(is);
    dict_expand(d, n);
    int64_t v;
    for (uint32_t i = 0; intset_get(is, i, &v); i++) {
        char tmp[LL_STR_SIZE];
        int len = util_ll2str(tmp, sizeof(tmp), v);
        if (dict_add(d, buf_new(tmp, (size_t)len), NULL) != DICT_OK)
            abort(); /* an intset has no duplicates */
    }
    intset_free(is);
    o->ptr = d;
    o->encoding = ENC_HASHTABLE;
}

/* Adds to a hashtable set; b, when given, is a buf equal to p[0..len) that
 * may serve as the lookup key directly. */
static int set_dict_add(dict *d, const char *p, size_t len, buf b)
{
    set_probe pr;
    buf key = b ? b : set_probe_init(&pr, p, len);
    dict_entry *e = dict_add_raw(d, key, NULL);
    if (e)
        e->key = buf_new(p, len); /* the probe is only on loan */
    if (!b)
        set_probe_release(&pr);
    return e != NULL;
}

/* Adds a member, converting the encoding as Redis 7.0 does: a member that
 * is not an integer, or one integer too many, turns an intset into a
 * hashtable.  Returns 1 if the member was new. */
static int set_add_elem(server *s, kobj *o, const set_elem *e)
{
    if (o->encoding == ENC_INTSET) {
        long long v = e->v;
        if (e->is_int || util_str2ll(e->p, e->len, &v)) {
            int added = 0;
            o->ptr = intset_add(o->ptr, v, &added);
            if (added && (long long)intset_len(o->ptr) > set_intset_max(s))
                set_convert_to_hashtable(o);
            return added;
        }
        set_convert_to_hashtable(o);
    }
    return set_dict_add(o->ptr, e->p, e->len, e->b);
}

static int set_add(server *s, kobj *o, const char *p, size_t len)
{
    set_elem e = {.p = p, .len = len};
    return set_add_elem(s, o, &e);
}

static int set_remove(kobj *o, const char *p, size_t len)
{
    if (o->encoding == ENC_INTSET) {
        long long v;
        if (!util_str2ll(p, len, &v))
            return 0;
        int removed = 0;
        o->ptr = intset_remove(o->ptr, v, &removed);
        return removed;
    }
    set_probe pr;
    int rc = dict_delete(o->ptr, set_probe_init(&pr, p, len)) == DICT_OK;
    set_probe_release(&pr);
    return rc;
}

static int set_remove_elem(kobj *o, const set_elem *e)
{
    if (o->encoding == ENC_INTSET && e->is_int) {
        int removed = 0;
        o->ptr = intset_remove(o->ptr, e->v, &removed);
        return removed;
    }
    if (o->encoding == ENC_HASHTABLE && e->b)
        return dict_delete(o->ptr, e->b) == DICT_OK;
    return set_remove(o, e->p, e->len);
}

static int set_is_member_elem(const kobj *o, const set_elem *e)
{
    if (o->encoding == ENC_INTSET) {
        long long v = e->v;
        if (!e->is_int && !util_str2ll(e->p, e->len, &v))
            return 0;
        return intset_find(o->ptr, v);
    }
    if (e->b)
        return dict_find(o->ptr, e->b) != NULL;
    set_probe pr;
    int rc = dict_find(o->ptr, set_probe_init(&pr, e->p, e->len)) != NULL;
    set_probe_release(&pr);
    return rc;
}

static int set_is_member(const kobj *o, const char *p, size_t len)
{
    set_elem e = {.p = p, .len = len};
    return set_is_member_elem(o, &e);
}

/* A random member of a non-empty set. */
static void set_random_elem(const kobj *o, set_elem *e)
{
    if (o->encoding == ENC_INTSET)
        set_elem_from_int(e, intset_random(o->ptr));
    else
        set_elem_from_buf(e, dict_random_entry(o->ptr)->key);
}

/* Iteration over either encoding.  The set must not change meanwhile. */
typedef struct set_iter {
    const kobj *o;
    uint32_t pos;
    dict_iter di;
} set_iter;

static void set_iter_init(set_iter *it, const kobj *o)
{
    it->o = o;
    it->pos = 0;
    if (o->encoding == ENC_HASHTABLE)
        dict_iter_init(&it->di, o->ptr, 0);
}

static int set_iter_next(set_iter *it, set_elem *e)
{
    if (it->o->encoding == ENC_INTSET) {
        int64_t v;
        if (!intset_get(it->o->ptr, it->pos, &v))
            return 0;
        it->pos++;
        set_elem_from_int(e, v);
        return 1;
    }
    dict_entry *de = dict_iter_next(&it->di);
    if (!de)
        return 0;
    set_elem_from_buf(e, de->key);
    return 1;
}

static void set_iter_release(set_iter *it)
{
    if (it->o->encoding == ENC_HASHTABLE)
        dict_iter_release(&it->di);
}

static void set_reply_elem(client *c, const set_elem *e)
{
    reply_bulk(c, e->p, e->len);
}

/* Replies every member, as a RESP3 set (an array in RESP2). */
static void set_reply_all(client *c, const kobj *o)
{
    reply_set_len(c, (long long)set_size(o));
    set_iter it;
    set_elem e;
    set_iter_init(&it, o);
    while (set_iter_next(&it, &e))
        set_reply_elem(c, &e);
    set_iter_release(&it);
}

/* ------------------------------------------------------------ type ops */

static void set_free_value(kobj *o)
{
    if (o->encoding == ENC_INTSET)
        intset_free(o->ptr);
    else
        dict_release(o->ptr);
    o->ptr = NULL;
}

static kobj *set_dup(const kobj *o)
{
    if (o->encoding == ENC_INTSET) {
        kobj *copy = obj_create(OBJ_SET, intset_dup(o->ptr));
        copy->encoding = ENC_INTSET;
        return copy;
    }
    kobj *copy = set_new_hashtable();
    dict *src = o->ptr, *dst = copy->ptr;
    dict_expand(dst, dict_size(src));
    dict_iter it;
    dict_iter_init(&it, src, 0);
    for (dict_entry *de; (de = dict_iter_next(&it));)
        if (dict_add(dst, buf_dup(de->key), NULL) != DICT_OK)
            abort();
    dict_iter_release(&it);
    return copy;
}

static size_t set_length(const kobj *o)
{
    return set_size(o);
}

/* Bytes held by the value (the object header is counted by the caller).
 * A hashtable's member bufs are summed exactly for small sets and
 * estimated from the first SET_MEM_SAMPLES for large ones, as Redis's
 * MEMORY USAGE samples rather than walks a big set. */
static size_t set_mem_usage(const kobj *o)
{
    if (o->encoding == ENC_INTSET)
        return intset_bytes(o->ptr);
    dict *d = o->ptr;
    size_t total = dict_mem_usage(d), members = 0, seen = 0;
    dict_iter it;
    dict_iter_init(&it, d, 0);
    for (dict_entry *de; seen < SET_MEM_SAMPLES && (de = dict_iter_next(&it)); seen++)
        members += buf_alloc_size(de->key);
    dict_iter_release(&it);
    if (seen)
        total += members / seen * dict_size(d) + (seen == dict_size(d) ? members % seen : 0);
    return total;
}

const obj_type_ops set_type_ops = {set_free_value, set_dup, set_length, set_mem_usage};

/* -------------------------------------------------------------- helpers */

/* Replies WRONGTYPE and returns 1 when o exists and is not a set. */
static int set_check_type(client *c, const kobj *o)
{
    if (o && o->type != OBJ_SET) {
        reply_error_wrongtype(c);
        return 1;
    }
    return 0;
}

static void set_notify(client *c, int type, const char *event, const resp_arg *key)
{
    notify_keyspace_event(c->srv, type, event, key->ptr, key->len, c->db->id);
}

static void set_signal(client *c, const resp_arg *key)
{
    db_signal_modified(c, c->db, key->ptr, key->len);
}

/* Redis compares option words with strcasecmp on C strings, so an argument
 * counts only up to its first NUL byte ("LIMIT\0x" is LIMIT). */
static int set_opt_is(const resp_arg *a, const char *word)
{
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t len = nul ? (size_t)(nul - a->ptr) : a->len;
    return len == strlen(word) && strncasecmp(a->ptr, word, len) == 0;
}

/* ------------------------------------------------------- SADD and SREM */

/* SADD key member [member ...] */
static void sadd_command(client *c)
{
    const resp_arg *key = &c->argv[1];
    kobj *o = db_lookup_write(c, key);
    if (set_check_type(c, o))
        return;
    if (!o) {
        o = set_create_for(c->argv[2].ptr, c->argv[2].len);
        /* A new hashtable is sized for the members at hand: growing 4 -> 8
         * -> 16 one member at a time would leave the last resize half done,
         * its old table still allocated. */
        if (o->encoding == ENC_HASHTABLE && c->argc > 3)
            dict_expand(o->ptr, (unsigned long)(c->argc - 2 < SET_PRESIZE_MAX ? c->argc - 2
                                                                              : SET_PRESIZE_MAX));
        db_add(c->db, key->ptr, key->len, o);
    }
    long long added = 0;
    for (int j = 2; j < c->argc; j++)
        added += set_add(c->srv, o, c->argv[j].ptr, c->argv[j].len);
    if (added) {
        set_signal(c, key);
        set_notify(c, NOTIFY_SET, "sadd", key);
    }
    c->srv->stats.dirty += added;
    reply_int(c, added);
}

/* SREM key member [member ...]: stops at the member that empties the set,
 * which is then deleted. */
static void srem_command(client *c)
{
    const resp_arg *key = &c->argv[1];
    kobj *o = db_lookup_write(c, key);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (set_check_type(c, o))
        return;
    long long deleted = 0;
    int key_removed = 0;
    for (int j = 2; j < c->argc; j++) {
        if (set_remove(o, c->argv[j].ptr, c->argv[j].len)) {
            deleted++;
            if (set_size(o) == 0) {
                db_delete(c, c->db, key->ptr, key->len);
                key_removed = 1;
                break;
            }
        }
    }
    if (deleted) {
        set_signal(c, key);
        set_notify(c, NOTIFY_SET, "srem", key);
        if (key_removed)
            set_notify(c, NOTIFY_GENERIC, "del", key);
        c->srv->stats.dirty += deleted;
    }
    reply_int(c, deleted);
}

/* ---------------------------------------------------------------- SMOVE */

/* SMOVE source destination member.  A missing source answers 0 before any
 * type check; the same key twice only reports membership. */
static void smove_command(client *c)
{
    const resp_arg *src = &c->argv[1], *dst = &c->argv[2], *m = &c->argv[3];
    kobj *srcset = db_lookup_write(c, src);
    kobj *dstset = db_lookup_write(c, dst);
    if (!srcset) {
        reply_int(c, 0);
        return;
    }
    if (set_check_type(c, srcset) || set_check_type(c, dstset))
        return;
    if (srcset == dstset) {
        reply_int(c, set_is_member(srcset, m->ptr, m->len));
        return;
    }
    if (!set_remove(srcset, m->ptr, m->len)) {
        reply_int(c, 0);
        return;
    }
    set_notify(c, NOTIFY_SET, "srem", src);
    if (set_size(srcset) == 0) {
        db_delete(c, c->db, src->ptr, src->len);
        set_notify(c, NOTIFY_GENERIC, "del", src);
    }
    if (!dstset) {
        dstset = set_create_for(m->ptr, m->len);
        db_add(c->db, dst->ptr, dst->len, dstset);
    }
    set_signal(c, src);
    c->srv->stats.dirty++;
    if (set_add(c->srv, dstset, m->ptr, m->len)) {
        c->srv->stats.dirty++;
        set_signal(c, dst);
        set_notify(c, NOTIFY_SET, "sadd", dst);
    }
    reply_int(c, 1);
}

/* ------------------------------------------ SISMEMBER, SMISMEMBER, SCARD */

static void sismember_command(client *c)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (set_check_type(c, o))
        return;
    reply_int(c, set_is_member(o, c->argv[2].ptr, c->argv[2].len));
}

/* SMISMEMBER key member [member ...]: a missing key is an empty set. */
static void smismember_command(client *c)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (set_check_type(c, o))
        return;
    reply_array_len(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++)
        reply_int(c, o ? set_is_member(o, c->argv[j].ptr, c->argv[j].len) : 0);
}

static void scard_command(client *c)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (set_check_type(c, o))
        return;
    reply_int(c, (long long)set_size(o));
}

/* ----------------------------------------------------------------- SPOP */

enum { SET_OP_UNION, SET_OP_DIFF };
static void set_union_diff_generic(client *c, const resp_arg *keys, long n, const resp_arg *dst,
                                   int op);

/* Members removed by one SPOP, kept to propagate as one SREM. */
typedef struct set_popped {
    buf *v;
    size_t n, cap;
} set_popped;

static void set_popped_push(set_popped *p, const char *s, size_t len)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->v = realloc(p->v, p->cap * sizeof(*p->v));
        if (!p->v)
            abort();
    }
    p->v[p->n++] = buf_new(s, len);
}

/* Propagate `SREM key m1 m2 ...` instead of SPOP, then free the list. */
static void set_popped_propagate(client *c, const resp_arg *key, set_popped *p)
{
    resp_arg *argv = malloc((p->n + 2) * sizeof(*argv));
    if (!argv)
        abort();
    argv[0] = (resp_arg){"SREM", 4};
    argv[1] = *key;
    for (size_t i = 0; i < p->n; i++)
        argv[i + 2] = (resp_arg){p->v[i], buf_len(p->v[i])};
    command_propagate_as(c, (int)(p->n + 2), argv);
    free(argv);
    for (size_t i = 0; i < p->n; i++)
        buf_free(p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

/* SPOP key count.  Three ways, as Redis 7.0 (which matters beyond speed:
 * the third replaces the value, so OBJECT ENCODING afterwards follows the
 * members that remain):
 *  1. count >= size: the whole set is the reply and the key goes (DEL);
 *  2. few members taken compared to those left: draw and remove count times;
 *  3. most members taken: draw the ones that stay into a new set, reply
 *     what is left in the old one, and store the new set in its place. */
static void spop_with_count(client *c)
{
    const resp_arg *key = &c->argv[1];
    long long l;
    if (!util_str2ll(c->argv[2].ptr, c->argv[2].len, &l) || l < 0) {
        reply_error(c, SET_ERR_SPOP_COUNT);
        return;
    }
    unsigned long count = (unsigned long)l;
    kobj *o = db_lookup_write(c, key);
    if (!o) {
        reply_set_len(c, 0);
        return;
    }
    if (set_check_type(c, o))
        return;
    if (count == 0) {
        reply_set_len(c, 0);
        return;
    }
    unsigned long size = set_size(o);
    set_notify(c, NOTIFY_SET, "spop", key);
    c->srv->stats.dirty += (long long)(count >= size ? size : count);

    if (count >= size) {
        /* Redis replies through SUNION of the one key: same members, and
         * the same (sorted) order whenever they would fit an intset. */
        set_union_diff_generic(c, key, 1, NULL, SET_OP_UNION);
        db_delete(c, c->db, key->ptr, key->len);
        set_notify(c, NOTIFY_GENERIC, "del", key);
        resp_arg argv[2] = {{"DEL", 3}, *key};
        command_propagate_as(c, 2, argv);
        set_signal(c, key);
        return;
    }

    set_popped popped = {0};
    set_elem e;
    unsigned long remaining = size - count;
    reply_set_len(c, (long long)count);
    if (remaining * SET_SPOP_MOVE_STRATEGY_MUL > count) {
        while (count--) {
            set_random_elem(o, &e);
            set_reply_elem(c, &e);
            set_popped_push(&popped, e.p, e.len);
            set_remove_elem(o, &e); /* frees e.b: e is not used after */
        }
    } else {
        kobj *newset = NULL;
        while (remaining--) {
            set_random_elem(o, &e);
            if (!newset)
                newset = set_create_for(e.p, e.len);
            set_add_elem(c->srv, newset, &e);
            set_remove_elem(o, &e);
        }
        set_iter it;
        set_iter_init(&it, o);
        while (set_iter_next(&it, &e)) {
            set_reply_elem(c, &e);
            set_popped_push(&popped, e.p, e.len);
        }
        set_iter_release(&it);
        db_overwrite(c->db, key->ptr, key->len, newset); /* frees the old set */
    }
    set_popped_propagate(c, key, &popped);
    set_signal(c, key);
}

/* SPOP key [count] */
static void spop_command(client *c)
{
    if (c->argc == 3) {
        spop_with_count(c);
        return;
    }
    if (c->argc > 3) {
        reply_error_syntax(c);
        return;
    }
    const resp_arg *key = &c->argv[1];
    kobj *o = db_lookup_write(c, key);
    if (!o) {
        reply_nil(c);
        return;
    }
    if (set_check_type(c, o))
        return;
    set_elem e;
    set_random_elem(o, &e);
    buf m = buf_new(e.p, e.len); /* removing frees the member */
    set_remove_elem(o, &e);
    set_notify(c, NOTIFY_SET, "spop", key);
    resp_arg argv[3] = {{"SREM", 4}, *key, {m, buf_len(m)}};
    command_propagate_as(c, 3, argv);
    reply_bulk(c, m, buf_len(m));
    buf_free(m);
    if (set_size(o) == 0) {
        db_delete(c, c->db, key->ptr, key->len);
        set_notify(c, NOTIFY_GENERIC, "del", key);
    }
    set_signal(c, key);
    c->srv->stats.dirty++;
}

/* ---------------------------------------------------------- SRANDMEMBER */

/* Distinct random members, count < size.  When count is a large share of
 * the set, shuffle references to every member and keep the first count
 * (Fisher-Yates, stopped early); otherwise draw at random and skip repeats
 * with a scratch dict, which stays small. */
static void set_reply_distinct_random(client *c, const kobj *o, unsigned long count)
{
    unsigned long size = set_size(o);
    reply_array_len(c, (long long)count);
    set_elem e;
    if (count * SET_SRANDMEMBER_SUB_STRATEGY_MUL > size) {
        set_refs all = {0};
        set_iter it;
        set_iter_init(&it, o);
        while (set_iter_next(&it, &e))
            set_refs_push(&all, &e);
        set_iter_release(&it);
        for (unsigned long i = 0; i < count; i++) {
            unsigned long j = i + (unsigned long)(set_rand() % (size - i));
            set_ref t = all.v[i];
            all.v[i] = all.v[j];
            all.v[j] = t;
            set_reply_ref(c, &all.v[i]);
        }
        free(all.v);
        return;
    }
    dict *seen = dict_create(&set_dict_type);
    dict_expand(seen, count);
    unsigned long added = 0;
    while (added < count) {
        set_random_elem(o, &e);
        if (set_dict_add(seen, e.p, e.len, e.b)) {
            set_reply_elem(c, &e);
            added++;
        }
    }
    dict_release(seen);
}

/* SRANDMEMBER key count: a positive count asks for distinct members (the
 * whole set when count >= size), a negative one for |count| independent
 * draws that may repeat.  Redis 7.0 rejects LLONG_MIN, whose magnitude does
 * not fit.  A reply of billions of draws is what was asked for; the loop
 * stops early only if the client is being closed. */
static void srandmember_with_count(client *c)
{
    long long l;
    if (!util_str2ll(c->argv[2].ptr, c->argv[2].len, &l)) {
        reply_error_not_int(c);
        return;
    }
    if (l == LLONG_MIN) {
        reply_error(c, SET_ERR_SRAND_RANGE);
        return;
    }
    int uniq = l >= 0;
    unsigned long count = (unsigned long)(l >= 0 ? l : -l);
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_array_len(c, 0);
        return;
    }
    if (set_check_type(c, o))
        return;
    if (count == 0) {
        reply_array_len(c, 0);
        return;
    }
    unsigned long size = set_size(o);
    set_elem e;
    if (!uniq || count == 1) {
        reply_array_len(c, (long long)count);
        while (count--) {
            set_random_elem(o, &e);
            set_reply_elem(c, &e);
            if (c->flags & CLIENT_CLOSE_ASAP)
                break;
        }
        return;
    }
    if (count >= size) {
        reply_array_len(c, (long long)size);
        set_iter it;
        set_iter_init(&it, o);
        while (set_iter_next(&it, &e))
            set_reply_elem(c, &e);
        set_iter_release(&it);
        return;
    }
    set_reply_distinct_random(c, o, count);
}

/* SRANDMEMBER key [count] */
static void srandmember_command(client *c)
{
    if (c->argc == 3) {
        srandmember_with_count(c);
        return;
    }
    if (c->argc > 3) {
        reply_error_syntax(c);
        return;
    }
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_nil(c);
        return;
    }
    if (set_check_type(c, o))
        return;
    set_elem e;
    set_random_elem(o, &e);
    set_reply_elem(c, &e);
}

/* ------------------------------------------------ storing a computed set */

/* The end of SINTERSTORE, SUNIONSTORE and SDIFFSTORE: a non-empty result
 * replaces the destination (any TTL goes, as with SET) and raises `event`;
 * an empty one deletes the destination.  Takes ownership of result. */
static void set_store_result(client *c, const resp_arg *dst, kobj *result, const char *event)
{
    size_t n = set_size(result);
    if (n > 0) {
        db_set(c, c->db, dst->ptr, dst->len, result, 0);
        set_signal(c, dst);
        reply_int(c, (long long)n);
        set_notify(c, NOTIFY_SET, event, dst);
        c->srv->stats.dirty++;
        return;
    }
    obj_decr_ref(result);
    reply_int(c, 0);
    if (db_delete(c, c->db, dst->ptr, dst->len)) {
        c->srv->stats.dirty++;
        set_signal(c, dst);
        set_notify(c, NOTIFY_GENERIC, "del", dst);
    }
}

/* Looks up every source key as a read.  A missing key is NULL (an empty
 * set); the first key of another type answers WRONGTYPE, even after a
 * missing one, as Redis 7.0 checks them all before computing anything.
 * Returns the array (free it) or NULL after replying an error. */
static kobj **set_lookup_sources(client *c, const resp_arg *keys, long n, long *missing)
{
    kobj **sets = malloc((size_t)n * sizeof(*sets));
    if (!sets)
        abort();
    *missing = 0;
    for (long j = 0; j < n; j++) {
        kobj *o = db_lookup_read(c, &keys[j]);
        if (set_check_type(c, o)) {
            free(sets);
            return NULL;
        }
        if (!o)
            (*missing)++;
        sets[j] = o;
    }
    return sets;
}

/* ----------------------------------------------------------- SINTER &co */

static int set_cmp_by_size(const void *a, const void *b)
{
    size_t sa = set_size(*(kobj *const *)a), sb = set_size(*(kobj *const *)b);
    return sa < sb ? -1 : sa > sb;
}

/* SINTER, SINTERSTORE, SINTERCARD and SMEMBERS.  Walks the smallest set and
 * keeps the members every other set has.  dst: store the result there;
 * card_only: reply the count only, stopping at limit (0 = no limit).  The
 * reply is a RESP3 set, so its length must be known before the members: the
 * members found are collected as references first. */
static void set_inter_generic(client *c, const resp_arg *keys, long n, const resp_arg *dst,
                              int card_only, unsigned long limit)
{
    long missing;
    kobj **sets = set_lookup_sources(c, keys, n, &missing);
    if (!sets)
        return;
    if (missing) {
        free(sets);
        if (dst) {
            if (db_delete(c, c->db, dst->ptr, dst->len)) {
                set_signal(c, dst);
                set_notify(c, NOTIFY_GENERIC, "del", dst);
                c->srv->stats.dirty++;
            }
            reply_int(c, 0);
        } else if (card_only) {
            reply_int(c, 0);
        } else {
            reply_set_len(c, 0);
        }
        return;
    }
    qsort(sets, (size_t)n, sizeof(*sets), set_cmp_by_size);

    kobj *result = dst ? set_new_intset() : NULL;
    set_refs found = {0};
    unsigned long cardinality = 0;
    set_iter it;
    set_elem e;
    set_iter_init(&it, sets[0]);
    while (set_iter_next(&it, &e)) {
        long j;
        for (j = 1; j < n; j++) {
            if (sets[j] != sets[0] && !set_is_member_elem(sets[j], &e))
                break;
        }
        if (j < n)
            continue;
        if (card_only) {
            if (++cardinality == limit)
                break;
        } else if (dst) {
            set_add_elem(c->srv, result, &e);
        } else {
            set_refs_push(&found, &e);
        }
    }
    set_iter_release(&it);

    if (card_only) {
        reply_int(c, (long long)cardinality);
    } else if (dst) {
        set_store_result(c, dst, result, "sinterstore");
    } else {
        reply_set_len(c, (long long)found.n);
        for (size_t i = 0; i < found.n; i++)
            set_reply_ref(c, &found.v[i]);
    }
    free(found.v);
    free(sets);
}

/* SMEMBERS key: SINTER of one set, so a missing key is an empty set. */
static void smembers_command(client *c)
{
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (set_check_type(c, o))
        return;
    if (!o)
        reply_set_len(c, 0);
    else
        set_reply_all(c, o);
}

static void sinter_command(client *c)
{
    set_inter_generic(c, c->argv + 1, c->argc - 1, NULL, 0, 0);
}

static void sinterstore_command(client *c)
{
    set_inter_generic(c, c->argv + 2, c->argc - 2, &c->argv[1], 0, 0);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit] */
static void sintercard_command(client *c)
{
    long long numkeys, limit = 0;
    if (!util_str2ll(c->argv[1].ptr, c->argv[1].len, &numkeys) || numkeys < 1) {
        reply_error(c, SET_ERR_NUMKEYS);
        return;
    }
    if (numkeys > c->argc - 2) {
        reply_error(c, SET_ERR_NUMKEYS_ARGS);
        return;
    }
    for (long long j = 2 + numkeys; j < c->argc; j++) {
        long long more = c->argc - 1 - j;
        if (set_opt_is(&c->argv[j], "limit") && more) {
            j++;
            if (!util_str2ll(c->argv[j].ptr, c->argv[j].len, &limit) || limit < 0) {
                reply_error(c, SET_ERR_LIMIT);
                return;
            }
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    set_inter_generic(c, c->argv + 2, (long)numkeys, NULL, 1, (unsigned long)limit);
}

/* ------------------------------------------------------ SUNION and SDIFF */

/* Largest first; missing sets (NULL) count as empty. */
static int set_cmp_by_size_desc(const void *a, const void *b)
{
    const kobj *x = *(kobj *const *)a, *y = *(kobj *const *)b;
    size_t sa = x ? set_size(x) : 0, sb = y ? set_size(y) : 0;
    return sa > sb ? -1 : sa < sb;
}

/* SDIFF: the members of the first set that no other set has.  Two ways,
 * picked by estimated work as Redis does: test each member of the first set
 * against the others (cheap when the first set is small), or copy the first
 * set and remove every member of the others (cheap when they are small). */
static void set_diff_into(server *s, kobj **sets, long n, kobj *result)
{
    long long work_test = 0, work_remove = 0;
    for (long j = 0; j < n; j++) {
        if (!sets[j])
            continue;
        work_test += (long long)set_size(sets[0]);
        work_remove += (long long)set_size(sets[j]);
    }
    work_test /= 2; /* testing does less per member: give it the edge */
    set_iter it;
    set_elem e;
    if (work_test <= work_remove) {
        if (n > 1)
            qsort(sets + 1, (size_t)(n - 1), sizeof(*sets), set_cmp_by_size_desc);
        set_iter_init(&it, sets[0]);
        while (set_iter_next(&it, &e)) {
            long j;
            for (j = 1; j < n; j++)
                if (sets[j] && set_is_member_elem(sets[j], &e))
                    break;
            if (j == n)
                set_add_elem(s, result, &e);
        }
        set_iter_release(&it);
        return;
    }
    for (long j = 0; j < n; j++) {
        if (!sets[j])
            continue;
        set_iter_init(&it, sets[j]);
        while (set_iter_next(&it, &e)) {
            if (j == 0)
                set_add_elem(s, result, &e);
            else
                set_remove_elem(result, &e);
        }
        set_iter_release(&it);
        if (set_size(result) == 0)
            break;
    }
}

/* SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE.  The result is built as a new set
 * that starts as an intset, so its encoding (and, for an intset, its
 * ascending order) is what Redis 7.0 produces for the same members. */
static void set_union_diff_generic(client *c, const resp_arg *keys, long n, const resp_arg *dst,
                                   int op)
{
    long missing;
    kobj **sets = set_lookup_sources(c, keys, n, &missing);
    if (!sets)
        return;
    int sameset = 0; /* SDIFF of a key with itself is empty */
    for (long j = 1; j < n; j++)
        if (sets[j] && sets[j] == sets[0])
            sameset = 1;

    kobj *result = set_new_intset();
    set_iter it;
    set_elem e;
    if (op == SET_OP_UNION) {
        for (long j = 0; j < n; j++) {
            if (!sets[j])
                continue;
            set_iter_init(&it, sets[j]);
            while (set_iter_next(&it, &e))
                set_add_elem(c->srv, result, &e);
            set_iter_release(&it);
        }
    } else if (sets[0] && !sameset) {
        set_diff_into(c->srv, sets, n, result);
    }
    free(sets);

    if (dst) {
        set_store_result(c, dst, result, op == SET_OP_UNION ? "sunionstore" : "sdiffstore");
        return;
    }
    set_reply_all(c, result);
    obj_decr_ref(result);
}

static void sunion_command(client *c)
{
    set_union_diff_generic(c, c->argv + 1, c->argc - 1, NULL, SET_OP_UNION);
}

static void sunionstore_command(client *c)
{
    set_union_diff_generic(c, c->argv + 2, c->argc - 2, &c->argv[1], SET_OP_UNION);
}

static void sdiff_command(client *c)
{
    set_union_diff_generic(c, c->argv + 1, c->argc - 1, NULL, SET_OP_DIFF);
}

static void sdiffstore_command(client *c)
{
    set_union_diff_generic(c, c->argv + 2, c->argc - 2, &c->argv[1], SET_OP_DIFF);
}

/* ---------------------------------------------------------------- SSCAN */

typedef struct set_scan_batch {
    buf *v;
    size_t n, cap;
} set_scan_batch;

/* dict_scan callback: the member bufs stay valid for the whole command. */
static void set_scan_collect(void *priv, const dict_entry *de)
{
    set_scan_batch *b = priv;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->v = realloc(b->v, b->cap * sizeof(*b->v));
        if (!b->v)
            abort();
    }
    b->v[b->n++] = de->key;
}

/* SSCAN key cursor [MATCH pattern] [COUNT count]
 *
 * The cursor is checked first, then the key (a missing key answers an empty
 * scan without looking at the options), then the options.  An intset
 * returns every member at once with cursor 0, as Redis does; a hashtable is
 * walked with dict_scan's reverse-binary cursor for about COUNT members (at
 * most COUNT*10 buckets), which returns every member present for a whole
 * iteration at least once even across rehashing. */
static void sscan_command(client *c)
{
    unsigned long cursor;
    if (!arg_get_scan_cursor(c, &c->argv[2], &cursor))
        return;
    kobj *o = db_lookup_read(c, &c->argv[1]);
    if (!o) {
        reply_array_len(c, 2);
        reply_bulk(c, "0", 1);
        reply_array_len(c, 0);
        return;
    }
    if (set_check_type(c, o))
        return;

    long long count = 10;
    const resp_arg *pat = NULL;
    for (int i = 3; i < c->argc;) {
        int left = c->argc - i;
        if (set_opt_is(&c->argv[i], "count") && left >= 2) {
            if (!arg_get_ll(c, &c->argv[i + 1], &count))
                return;
            if (count < 1) {
                reply_error_syntax(c);
                return;
            }
            i += 2;
        } else if (set_opt_is(&c->argv[i], "match") && left >= 2) {
            pat = &c->argv[i + 1];
            i += 2;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (pat && pat->len == 1 && pat->ptr[0] == '*')
        pat = NULL;

    set_refs found = {0};
    set_elem e;
    if (o->encoding == ENC_INTSET) {
        set_iter it;
        set_iter_init(&it, o);
        while (set_iter_next(&it, &e))
            if (!pat || util_glob_match(pat->ptr, pat->len, e.p, e.len, 0))
                set_refs_push(&found, &e);
        set_iter_release(&it);
        cursor = 0;
    } else {
        set_scan_batch batch = {0};
        long long maxiter = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
        do {
            cursor = dict_scan(o->ptr, cursor, set_scan_collect, &batch);
        } while (cursor && maxiter-- && batch.n < (unsigned long long)count);
        for (size_t i = 0; i < batch.n; i++) {
            set_elem_from_buf(&e, batch.v[i]);
            if (!pat || util_glob_match(pat->ptr, pat->len, e.p, e.len, 0))
                set_refs_push(&found, &e);
        }
        free(batch.v);
    }

    reply_array_len(c, 2);
    char cbuf[LL_STR_SIZE];
    int clen = util_ull2str(cbuf, sizeof(cbuf), cursor);
    reply_bulk(c, cbuf, (size_t)clen);
    reply_array_len(c, (long long)found.n);
    for (size_t i = 0; i < found.n; i++)
        set_reply_ref(c, &found.v[i]);
    free(found.v);
}

/* --------------------------------------------------------- command table */

/* Arity, flags and key positions are Redis 7.0's (COMMAND INFO); summaries
 * and versions are its COMMAND DOCS.  SINTERCARD's keys are movable
 * (numkeys), so like Redis it declares none in the legacy triple. */
#define SET_CMD(nm, fn, ar, fl, fk, lk, ks, sum, ver)                                              \
    {                                                                                              \
        .name = (nm), .proc = (fn), .arity = (ar), .flags = (fl), .first_key = (fk),               \
        .last_key = (lk), .key_step = (ks), .group = "set", .summary = (sum), .since = (ver)       \
    }
#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define F CMD_FAST

command set_commands[] = {
    SET_CMD("sadd", sadd_command, -3, W | D | F, 1, 1, 1, "Add one or more members to a set",
            "1.0.0"),
    SET_CMD("srem", srem_command, -3, W | F, 1, 1, 1, "Remove one or more members from a set",
            "1.0.0"),
    SET_CMD("smembers", smembers_command, 2, R, 1, 1, 1, "Get all the members in a set", "1.0.0"),
    SET_CMD("sismember", sismember_command, 3, R | F, 1, 1, 1,
            "Determine if a given value is a member of a set", "1.0.0"),
    SET_CMD("smismember", smismember_command, -3, R | F, 1, 1, 1,
            "Returns the membership associated with the given elements for a set", "6.2.0"),
    SET_CMD("scard", scard_command, 2, R | F, 1, 1, 1, "Get the number of members in a set",
            "1.0.0"),
    SET_CMD("spop", spop_command, -2, W | F, 1, 1, 1,
            "Remove and return one or multiple random members from a set", "1.0.0"),
    SET_CMD("srandmember", srandmember_command, -2, R, 1, 1, 1,
            "Get one or multiple random members from a set", "1.0.0"),
    SET_CMD("smove", smove_command, 4, W | F, 1, 2, 1, "Move a member from one set to another",
            "1.0.0"),
    SET_CMD("sinter", sinter_command, -2, R, 1, -1, 1, "Intersect multiple sets", "1.0.0"),
    SET_CMD("sintercard", sintercard_command, -3, R, 0, 0, 0,
            "Intersect multiple sets and return the cardinality of the result", "7.0.0"),
    SET_CMD("sinterstore", sinterstore_command, -3, W | D, 1, -1, 1,
            "Intersect multiple sets and store the resulting set in a key", "1.0.0"),
    SET_CMD("sunion", sunion_command, -2, R, 1, -1, 1, "Add multiple sets", "1.0.0"),
    SET_CMD("sunionstore", sunionstore_command, -3, W | D, 1, -1, 1,
            "Add multiple sets and store the resulting set in a key", "1.0.0"),
    SET_CMD("sdiff", sdiff_command, -2, R, 1, -1, 1, "Subtract multiple sets", "1.0.0"),
    SET_CMD("sdiffstore", sdiffstore_command, -3, W | D, 1, -1, 1,
            "Subtract multiple sets and store the resulting set in a key", "1.0.0"),
    SET_CMD("sscan", sscan_command, -3, R, 1, 1, 1, "Incrementally iterate Set elements", "2.8.0"),
    {0},
};

#undef W
#undef R
#undef D
#undef F
#undef SET_CMD

/* ------------------------------------------------- persistence access */

kobj *set_new_encoded(int encoding, size_t hint)
{
    if (encoding == ENC_INTSET)
        return set_new_intset();
    kobj *o = set_new_hashtable();
    if (hint)
        dict_expand(o->ptr, hint);
    return o;
}

int set_add_member(server *s, kobj *o, const char *p, size_t len)
{
    return set_add(s, o, p, len);
}
