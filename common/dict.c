/* dict.c: owns the dict hash table: bucket tables and their incremental
 * rehashing, iterators, SCAN cursors, random sampling, and the SipHash-1-2
 * key hashing used by every dict in the process. */
#include "dict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Smallest table ever allocated. */
#define DICT_MIN_SIZE 4UL
/* With resizing disabled (a fork child shares our pages, and a rehash would
 * copy them all), a table still grows once chains average this long. */
#define DICT_FORCE_RESIZE_RATIO 5UL
/* Below this fill percentage a delete shrinks the table. */
#define DICT_SHRINK_FILL_PCT 10UL
/* Largest table: the bucket array's byte size must fit in size_t. */
#define DICT_MAX_SIZE (1UL << (sizeof(unsigned long) * 8 - 2))

static int dict_resize_enabled = 1;
static uint8_t dict_seed[16];
static uint64_t dict_rng_state = 0x9e3779b97f4a7c15ULL;

/* ---------------------------------------------------------------- hashing */

#ifndef DICT_SIP_CROUNDS
#define DICT_SIP_CROUNDS 1
#endif
#ifndef DICT_SIP_DROUNDS
#define DICT_SIP_DROUNDS 2
#endif

static inline uint64_t dict_rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static inline uint8_t dict_ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* Reads n (<= 8) bytes as a little-endian word, lowercasing ASCII letters
 * on the way when nocase is set, so the nocase hash needs no copy of the key. */
static inline uint64_t dict_load_le(const uint8_t *p, size_t n, int nocase)
{
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = nocase ? dict_ascii_lower(p[i]) : p[i];
        w |= (uint64_t)c << (8 * i);
    }
    return w;
}

#define DICT_SIPROUND(v0, v1, v2, v3)                                                              \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = dict_rotl(v1, 13);                                                                    \
        v1 ^= v0;                                                                                  \
        v0 = dict_rotl(v0, 32);                                                                    \
        v2 += v3;                                                                                  \
        v3 = dict_rotl(v3, 16);                                                                    \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = dict_rotl(v3, 21);                                                                    \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = dict_rotl(v1, 17);                                                                    \
        v1 ^= v2;                                                                                  \
        v2 = dict_rotl(v2, 32);                                                                    \
    } while (0)

/* SipHash with one compression and two finalisation rounds: the round
 * counts Redis settled on, fast enough for every key lookup while keeping
 * keyed hashing, so a client cannot precompute colliding keys without the
 * per-process seed. */
static uint64_t dict_siphash(const void *data, size_t len, int nocase)
{
    const uint8_t *p = data;
    uint64_t k0 = dict_load_le(dict_seed, 8, 0);
    uint64_t k1 = dict_load_le(dict_seed + 8, 8, 0);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
    uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
    uint64_t v3 = k1 ^ 0x7465646279746573ULL;
    size_t full = len & ~(size_t)7;

    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = dict_load_le(p + i, 8, nocase);
        v3 ^= m;
        for (int r = 0; r < DICT_SIP_CROUNDS; r++)
            DICT_SIPROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t last = dict_load_le(p + full, len - full, nocase) | ((uint64_t)len << 56);
    v3 ^= last;
    for (int r = 0; r < DICT_SIP_CROUNDS; r++)
        DICT_SIPROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    for (int r = 0; r < DICT_SIP_DROUNDS; r++)
        DICT_SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

void dict_set_hash_seed(const uint8_t seed[16])
{
    memcpy(dict_seed, seed, sizeof(dict_seed));
    /* Sampling randomness need not be secret, but it should differ between
     * processes, and the seed already does. */
    dict_rng_state ^= dict_load_le(seed, 8, 0) ^ dict_rotl(dict_load_le(seed + 8, 8, 0), 31);
}

uint64_t dict_hash_bytes(const void *p, size_t len)
{
    return dict_siphash(p, len, 0);
}

uint64_t dict_hash_bytes_nocase(const void *p, size_t len)
{
    return dict_siphash(p, len, 1);
}

/* splitmix64: cheap, good enough for picking buckets, and private, so
 * sampling never disturbs anyone else's random() sequence. */
static uint64_t dict_rand(void)
{
    uint64_t z = (dict_rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ------------------------------------------------------------ basic state */

static void dict_oom(size_t size)
{
    fprintf(stderr, "dict: out of memory allocating %zu bytes\n", size);
    abort();
}

static void *dict_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL)
        dict_oom(n * size);
    return p;
}

static void dict_reset_table(dict *d, int t)
{
    d->table[t] = NULL;
    d->size[t] = 0;
    d->used[t] = 0;
}

static inline int dict_keys_equal(const dict *d, const void *a, const void *b)
{
    if (a == b)
        return 1;
    return d->type->key_equal != NULL && d->type->key_equal(a, b);
}

static inline void dict_free_key(const dict *d, dict_entry *e)
{
    if (d->type->key_free != NULL)
        d->type->key_free(e->key);
}

static inline void dict_free_val(const dict *d, dict_entry *e)
{
    if (d->type->val_free != NULL)
        d->type->val_free(e->v.val);
}

dict *dict_create(const dict_type *type)
{
    dict *d = dict_xcalloc(1, sizeof(*d));
    d->type = type;
    dict_reset_table(d, 0);
    dict_reset_table(d, 1);
    d->rehash_idx = -1;
    d->pause_rehash = 0;
    return d;
}

static void dict_clear_table(dict *d, int t)
{
    for (unsigned long i = 0; i < d->size[t] && d->used[t] > 0; i++) {
        dict_entry *e = d->table[t][i];
        while (e != NULL) {
            dict_entry *next = e->next;
            dict_free_key(d, e);
            dict_free_val(d, e);
            free(e);
            d->used[t]--;
            e = next;
        }
    }
    free(d->table[t]);
    dict_reset_table(d, t);
}

void dict_empty(dict *d)
{
    dict_clear_table(d, 0);
    dict_clear_table(d, 1);
    d->rehash_idx = -1;
}

void dict_release(dict *d)
{
    if (d == NULL)
        return;
    dict_empty(d);
    free(d);
}

unsigned long dict_size(const dict *d)
{
    return d->used[0] + d->used[1];
}

unsigned long dict_buckets(const dict *d)
{
    return d->size[0] + d->size[1];
}

int dict_is_rehashing(const dict *d)
{
    return d->rehash_idx != -1;
}

void dict_set_resize_enabled(int enabled)
{
    dict_resize_enabled = enabled;
}

size_t dict_mem_usage(const dict *d)
{
    return sizeof(*d) + (size_t)(d->size[0] + d->size[1]) * sizeof(dict_entry *) +
           (size_t)dict_size(d) * sizeof(dict_entry);
}

/* -------------------------------------------------------------- rehashing */

static unsigned long dict_next_power(unsigned long size)
{
    unsigned long n = DICT_MIN_SIZE;
    if (size >= DICT_MAX_SIZE)
        return DICT_MAX_SIZE;
    while (n < size)
        n <<= 1;
    return n;
}

/* Allocates the table that holds `size` elements at fill <= 1 and, unless
 * this is the first table, starts moving entries into it.  Shrinking is
 * allowed down to the current element count; dict_expand(d, dict_size(d))
 * shrinks a table to fit. */
int dict_expand(dict *d, unsigned long size)
{
    if (dict_is_rehashing(d) || d->used[0] > size)
        return DICT_ERR;
    unsigned long realsize = dict_next_power(size);
    if (realsize < size || realsize == d->size[0])
        return DICT_ERR;

    dict_entry **table = dict_xcalloc(realsize, sizeof(dict_entry *));
    if (d->table[0] == NULL) {
        d->table[0] = table;
        d->size[0] = realsize;
        d->used[0] = 0;
        return DICT_OK;
    }
    d->table[1] = table;
    d->size[1] = realsize;
    d->used[1] = 0;
    d->rehash_idx = 0;
    return DICT_OK;
}

/* Moves up to n buckets from table 0 to table 1, visiting at most 10 * n
 * empty buckets so that one step on a sparse table stays bounded.  When
 * table 0 is drained, table 1 becomes table 0.  Returns 1 if more remains. */
static int dict_rehash(dict *d, int n)
{
    unsigned long empty_visits = (unsigned long)n * 10;
    if (!dict_is_rehashing(d))
        return 0;

    while (n-- > 0 && d->used[0] != 0) {
        while (d->table[0][d->rehash_idx] == NULL) {
            d->rehash_idx++;
            if (--empty_visits == 0)
                return 1;
        }
        dict_entry *e = d->table[0][d->rehash_idx];
        unsigned long mask1 = d->size[1] - 1;
        while (e != NULL) {
            dict_entry *next = e->next;
            unsigned long idx = (unsigned long)d->type->hash(e->key) & mask1;
            e->next = d->table[1][idx];
            d->table[1][idx] = e;
            d->used[0]--;
            d->used[1]++;
            e = next;
        }
        d->table[0][d->rehash_idx] = NULL;
        d->rehash_idx++;
    }

    if (d->used[0] == 0) {
        free(d->table[0]);
        d->table[0] = d->table[1];
        d->size[0] = d->size[1];
        d->used[0] = d->used[1];
        dict_reset_table(d, 1);
        d->rehash_idx = -1;
        return 0;
    }
    return 1;
}

/* While a safe iterator or a scan callback is walking the tables, entries
 * must stay in their buckets, so rehashing waits. */
int dict_rehash_steps(dict *d, int n)
{
    if (d->pause_rehash > 0)
        return dict_is_rehashing(d);
    return dict_rehash(d, n);
}

static long long dict_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dict_rehash_ms(dict *d, int ms)
{
    if (d->pause_rehash > 0)
        return 0;
    long long start = dict_now_ms();
    int moved = 0;
    while (dict_rehash(d, 100)) {
        moved += 100;
        if (dict_now_ms() - start > ms)
            break;
    }
    return moved;
}

/* One bucket per operation: spreads the cost of a resize over the
 * operations that follow it. */
static inline void dict_rehash_step(dict *d)
{
    if (d->pause_rehash == 0)
        dict_rehash(d, 1);
}

static void dict_expand_if_needed(dict *d)
{
    if (dict_is_rehashing(d))
        return;
    if (d->size[0] == 0) {
        dict_expand(d, DICT_MIN_SIZE);
        return;
    }
    if (d->used[0] >= d->size[0] &&
        (dict_resize_enabled || d->used[0] / d->size[0] > DICT_FORCE_RESIZE_RATIO))
        dict_expand(d, d->used[0] + 1);
}

/* Tables only shrink on delete, and only well below the growth point (fill
 * under 10% versus growth at 100%), so a dict hovering around a size never
 * flips between two tables. */
static void dict_shrink_if_needed(dict *d)
{
    if (!dict_resize_enabled || dict_is_rehashing(d) || d->size[0] <= DICT_MIN_SIZE)
        return;
    if (d->used[0] * 100 / d->size[0] < DICT_SHRINK_FILL_PCT)
        dict_expand(d, d->used[0]);
}

/* ------------------------------------------------------- add, find, delete */

static dict_entry *dict_lookup(dict *d, const void *key, uint64_t h)
{
    for (int t = 0; t <= 1; t++) {
        if (d->size[t] == 0)
            break;
        unsigned long idx = (unsigned long)h & (d->size[t] - 1);
        for (dict_entry *e = d->table[t][idx]; e != NULL; e = e->next) {
            if (dict_keys_equal(d, key, e->key))
                return e;
        }
        if (!dict_is_rehashing(d))
            break;
    }
    return NULL;
}

uint64_t dict_hash_key(const dict *d, const void *key)
{
    return d->type->hash(key);
}

void dict_prefetch(const dict *d, uint64_t h, int stage)
{
    for (int t = 0; t <= 1; t++) {
        if (d->size[t] == 0)
            break;
        dict_entry *const *slot = &d->table[t][(unsigned long)h & (d->size[t] - 1)];
        if (stage == 0) {
            __builtin_prefetch(slot);
        } else if (*slot != NULL) {
            const dict_entry *e = *slot;
            if (stage == 1) {
                __builtin_prefetch(e); /* the chain's first entry */
            } else {
                __builtin_prefetch((const char *)e->key - 1); /* its key (and header) */
                if (e->next)
                    __builtin_prefetch(e->next);
            }
        }
        if (!dict_is_rehashing(d))
            break;
    }
}

dict_entry *dict_add_raw(dict *d, void *key, dict_entry **existing)
{
    if (existing != NULL)
        *existing = NULL;
    if (dict_is_rehashing(d))
        dict_rehash_step(d);
    dict_expand_if_needed(d);

    uint64_t h = d->type->hash(key);
    dict_entry *found = dict_lookup(d, key, h);
    if (found != NULL) {
        if (existing != NULL)
            *existing = found;
        return NULL;
    }
    /* New entries go to the newer table during a rehash, so the old one only
     * ever empties.  Inserting at the head is O(1) and recently added keys
     * are the likeliest to be looked up next. */
    int t = dict_is_rehashing(d) ? 1 : 0;
    unsigned long idx = (unsigned long)h & (d->size[t] - 1);
    dict_entry *e = malloc(sizeof(*e));
    if (e == NULL)
        dict_oom(sizeof(*e));
    e->key = key;
    e->v.u64 = 0;
    e->next = d->table[t][idx];
    d->table[t][idx] = e;
    d->used[t]++;
    return e;
}

int dict_add(dict *d, void *key, void *val)
{
    dict_entry *e = dict_add_raw(d, key, NULL);
    if (e == NULL)
        return DICT_ERR;
    e->v.val = val;
    return DICT_OK;
}

int dict_replace(dict *d, void *key, void *val)
{
    dict_entry *existing;
    dict_entry *e = dict_add_raw(d, key, &existing);
    if (e != NULL) {
        e->v.val = val;
        return 1;
    }
    /* Store first, free after: val may be the very value being replaced
     * (e.g. refcounted), and freeing it first would lose it. */
    dict_entry old = *existing;
    existing->v.val = val;
    dict_free_val(d, &old);
    return 0;
}

dict_entry *dict_find(dict *d, const void *key)
{
    if (dict_size(d) == 0)
        return NULL;
    if (dict_is_rehashing(d))
        dict_rehash_step(d);
    return dict_lookup(d, key, d->type->hash(key));
}

void *dict_fetch_value(dict *d, const void *key)
{
    dict_entry *e = dict_find(d, key);
    return e != NULL ? e->v.val : NULL;
}

static dict_entry *dict_remove(dict *d, const void *key)
{
    if (dict_size(d) == 0)
        return NULL;
    if (dict_is_rehashing(d))
        dict_rehash_step(d);
    uint64_t h = d->type->hash(key);
    for (int t = 0; t <= 1; t++) {
        if (d->size[t] == 0)
            break;
        unsigned long idx = (unsigned long)h & (d->size[t] - 1);
        dict_entry **link = &d->table[t][idx];
        for (dict_entry *e = *link; e != NULL; link = &e->next, e = e->next) {
            if (dict_keys_equal(d, key, e->key)) {
                *link = e->next;
                e->next = NULL;
                d->used[t]--;
                return e;
            }
        }
        if (!dict_is_rehashing(d))
            break;
    }
    return NULL;
}

dict_entry *dict_unlink(dict *d, const void *key)
{
    dict_entry *e = dict_remove(d, key);
    if (e != NULL)
        dict_shrink_if_needed(d);
    return e;
}

void dict_free_unlinked(dict *d, dict_entry *e)
{
    if (e == NULL)
        return;
    dict_free_key(d, e);
    dict_free_val(d, e);
    free(e);
}

int dict_delete(dict *d, const void *key)
{
    dict_entry *e = dict_remove(d, key);
    if (e == NULL)
        return DICT_ERR;
    dict_free_unlinked(d, e);
    dict_shrink_if_needed(d);
    return DICT_OK;
}

/* --------------------------------------------------------------- sampling */

dict_entry *dict_random_entry(dict *d)
{
    if (dict_size(d) == 0)
        return NULL;
    if (dict_is_rehashing(d))
        dict_rehash_step(d);

    dict_entry *head = NULL;
    if (dict_is_rehashing(d)) {
        /* Buckets of table 0 below rehash_idx are empty by construction:
         * draw only from the ones that can hold entries. */
        unsigned long lo = (unsigned long)d->rehash_idx;
        unsigned long span = d->size[0] + d->size[1] - lo;
        do {
            unsigned long i = lo + (unsigned long)(dict_rand() % span);
            head = i >= d->size[0] ? d->table[1][i - d->size[0]] : d->table[0][i];
        } while (head == NULL);
    } else {
        unsigned long mask = d->size[0] - 1;
        do {
            head = d->table[0][dict_rand() & mask];
        } while (head == NULL);
    }

    /* Chains are short; counting then picking keeps every entry of the
     * chosen bucket equally likely. */
    unsigned long len = 0;
    for (dict_entry *e = head; e != NULL; e = e->next)
        len++;
    unsigned long pick = (unsigned long)(dict_rand() % len);
    while (pick-- > 0)
        head = head->next;
    return head;
}

/* Walks forward from a random bucket and collects whole chains until count
 * entries are found: far cheaper than count independent random picks, and
 * random enough for expiry and eviction sampling.  Long runs of empty
 * buckets trigger a jump to a new random spot, and the walk is bounded to
 * 10 * count buckets, so fewer than count entries may come back. */
unsigned int dict_sample(dict *d, dict_entry **out, unsigned int count)
{
    unsigned long size = dict_size(d);
    if (size == 0 || count == 0)
        return 0;
    if (count > size)
        count = (unsigned int)size;

    for (unsigned int j = 0; j < count && dict_is_rehashing(d); j++)
        dict_rehash_step(d);

    int tables = dict_is_rehashing(d) ? 2 : 1;
    unsigned long maxmask = d->size[0] - 1;
    if (tables == 2 && d->size[1] - 1 > maxmask)
        maxmask = d->size[1] - 1;

    unsigned long i = (unsigned long)dict_rand() & maxmask;
    unsigned long empty_run = 0;
    unsigned long max_steps = (unsigned long)count * 10;
    unsigned int stored = 0;

    while (stored < count && max_steps-- > 0) {
        for (int t = 0; t < tables; t++) {
            /* Table 0 is empty below rehash_idx; if table 1 is also too small
             * to have index i, skip ahead to where table 0 has entries. */
            if (tables == 2 && t == 0 && i < (unsigned long)d->rehash_idx) {
                if (i >= d->size[1])
                    i = (unsigned long)d->rehash_idx;
                else
                    continue;
            }
            if (i >= d->size[t])
                continue;
            dict_entry *e = d->table[t][i];
            if (e == NULL) {
                empty_run++;
                if (empty_run >= 5 && empty_run > count) {
                    i = (unsigned long)dict_rand() & maxmask;
                    empty_run = 0;
                }
                continue;
            }
            empty_run = 0;
            for (; e != NULL; e = e->next) {
                out[stored++] = e;
                if (stored == count)
                    return stored;
            }
        }
        i = (i + 1) & maxmask;
    }
    return stored;
}

/* -------------------------------------------------------------- iterators */

static inline uint64_t dict_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* A digest of the table layout.  Any add, delete or rehash step changes
 * some of these fields, so an unsafe iterator whose fingerprint differs at
 * release time was misused (the dict changed under it). */
static unsigned long long dict_fingerprint(const dict *d)
{
    const uint64_t parts[6] = {
        (uint64_t)(uintptr_t)d->table[0], (uint64_t)d->size[0], (uint64_t)d->used[0],
        (uint64_t)(uintptr_t)d->table[1], (uint64_t)d->size[1], (uint64_t)d->used[1],
    };
    uint64_t h = 0;
    for (int i = 0; i < 6; i++)
        h = dict_mix64(h ^ parts[i]) + (uint64_t)i;
    return h;
}

void dict_iter_init(dict_iter *it, dict *d, int safe)
{
    it->d = d;
    it->index = -1;
    it->table = 0;
    it->safe = safe;
    it->entry = NULL;
    it->next_entry = NULL;
    it->fingerprint = 0;
}

/* The next entry is remembered before returning the current one, so a safe
 * iterator's caller may delete the entry it was just given. */
dict_entry *dict_iter_next(dict_iter *it)
{
    dict *d = it->d;
    for (;;) {
        if (it->entry == NULL) {
            if (it->index == -1 && it->table == 0) {
                if (it->safe)
                    d->pause_rehash++;
                else
                    it->fingerprint = dict_fingerprint(d);
            }
            it->index++;
            if ((unsigned long)it->index >= d->size[it->table]) {
                if (dict_is_rehashing(d) && it->table == 0) {
                    it->table = 1;
                    it->index = 0;
                    if (d->size[1] == 0)
                        break;
                } else {
                    break;
                }
            }
            it->entry = d->table[it->table][it->index];
        } else {
            it->entry = it->next_entry;
        }
        if (it->entry != NULL) {
            it->next_entry = it->entry->next;
            return it->entry;
        }
    }
    return NULL;
}

void dict_iter_release(dict_iter *it)
{
    if (it->index == -1 && it->table == 0)
        return; /* never started: nothing was paused or recorded */
    if (it->safe) {
        it->d->pause_rehash--;
    } else if (it->fingerprint != dict_fingerprint(it->d)) {
        fprintf(stderr, "dict: unsafe iterator used while the dict was modified\n");
        abort();
    }
}

/* ------------------------------------------------------------------- scan */

static unsigned long dict_rev_bits(unsigned long v)
{
    unsigned long s = sizeof(v) * 8;
    unsigned long mask = ~0UL;
    while ((s >>= 1) > 0) {
        mask ^= mask << s;
        v = ((v >> s) & mask) | ((v << s) & ~mask);
    }
    return v;
}

/* Increments the cursor's bits above mask in reverse order (from the high
 * bit down).  Because the increment runs from the most significant bit, all
 * buckets of a small table that share low bits are finished before moving
 * on, which is what makes the cursor valid across resizes. */
static inline unsigned long dict_cursor_next(unsigned long v, unsigned long mask)
{
    v |= ~mask;
    v = dict_rev_bits(v);
    v++;
    return dict_rev_bits(v);
}

static void dict_scan_bucket(dict_entry *e, dict_scan_fn *fn, void *privdata)
{
    while (e != NULL) {
        dict_entry *next = e->next;
        fn(privdata, e);
        e = next;
    }
}

/* Visits one bucket of the (smaller) table and returns the next cursor,
 * 0 once the scan is complete.
 *
 * The cursor counts with its bits reversed.  A table of size 2^n maps the
 * cursor's low n bits to a bucket; growing to 2^m splits that bucket into
 * 2^(m-n) buckets whose indices share those low bits, and with a reversed
 * increment those are exactly the cursors still ahead of us.  Shrinking
 * merges buckets, so some entries may be reported again, but none already
 * present is skipped.
 *
 * During a rehash both tables hold entries: we visit bucket (v & m0) of the
 * small table and then every bucket of the large table that it expands to,
 * so the cursor only ever needs to be meaningful for the smaller table. */
unsigned long dict_scan(dict *d, unsigned long cursor, dict_scan_fn *fn, void *privdata)
{
    unsigned long v = cursor;
    if (dict_size(d) == 0)
        return 0;

    d->pause_rehash++;
    if (!dict_is_rehashing(d)) {
        unsigned long m0 = d->size[0] - 1;
        dict_scan_bucket(d->table[0][v & m0], fn, privdata);
        v = dict_cursor_next(v, m0);
    } else {
        int small = d->size[0] <= d->size[1] ? 0 : 1;
        int large = 1 - small;
        unsigned long m0 = d->size[small] - 1;
        unsigned long m1 = d->size[large] - 1;

        dict_scan_bucket(d->table[small][v & m0], fn, privdata);
        /* The large table's buckets for this small bucket are those whose
         * low bits equal v & m0; step through their high bits. */
        do {
            dict_scan_bucket(d->table[large][v & m1], fn, privdata);
            v = dict_cursor_next(v, m1);
        } while (v & (m0 ^ m1));
    }
    d->pause_rehash--;
    return v;
}
