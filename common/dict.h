/* dict: hash table with incremental rehashing.
 *
 * Chained buckets in power-of-two tables.  When a table must grow or shrink a
 * second table is allocated and entries move over a few buckets at a time on
 * each operation (and in time-boxed steps from the server cron), so resizing
 * a table of millions of keys never stalls the event loop.
 *
 * dict_scan() uses the reverse-binary cursor, so a full scan returns every
 * element present for the whole scan at least once even when the table is
 * resized between calls.  Hashing is SipHash-1-2 with a per-process random
 * seed, so clients cannot craft colliding keys. */
#ifndef KEEL_DICT_H
#define KEEL_DICT_H

#include <stddef.h>
#include <stdint.h>

#define DICT_OK 0
#define DICT_ERR 1

typedef struct dict_entry {
    void *key;
    union {
        void *val;
        int64_t s64;
        uint64_t u64;
        double d;
    } v;
    struct dict_entry *next;
} dict_entry;

typedef struct dict_type {
    uint64_t (*hash)(const void *key);
    int (*key_equal)(const void *a, const void *b); /* 1 if equal; NULL: pointer equality */
    void (*key_free)(void *key);                    /* NULL: not freed */
    void (*val_free)(void *val);                    /* NULL: not freed */
} dict_type;

typedef struct dict {
    const dict_type *type;
    dict_entry **table[2];
    unsigned long size[2]; /* buckets, power of two (0 = unallocated) */
    unsigned long used[2];
    long rehash_idx;  /* -1 when not rehashing */
    int pause_rehash; /* >0 while safe iterators are live */
} dict;

typedef struct dict_iter {
    dict *d;
    long index;
    int table, safe;
    dict_entry *entry, *next_entry;
    unsigned long long fingerprint; /* unsafe iterators: detects misuse */
} dict_iter;

typedef void dict_scan_fn(void *privdata, const dict_entry *e);

dict *dict_create(const dict_type *type);
void dict_release(dict *d);
void dict_empty(dict *d); /* remove and free everything */

int dict_add(dict *d, void *key, void *val); /* DICT_ERR if key exists */
dict_entry *dict_add_raw(dict *d, void *key,
                         dict_entry **existing); /* NULL + *existing if present */
int dict_replace(dict *d, void *key,
                 void *val); /* 1 if added, 0 if value replaced (old freed, key not) */
dict_entry *dict_find(dict *d, const void *key);
/* Start fetching what adding or finding a key of hash h (dict_hash_key)
 * will read: its bucket (stage 0), the chain's first entry (1), that
 * entry's key and the next entry (2).  Called for a batch of keys stage by
 * stage, the cache misses of the whole batch overlap instead of queueing
 * one after the other (bulk loading). */
uint64_t dict_hash_key(const dict *d, const void *key);
void dict_prefetch(const dict *d, uint64_t h, int stage);
void *dict_fetch_value(dict *d, const void *key);  /* NULL if absent */
int dict_delete(dict *d, const void *key);         /* DICT_OK or DICT_ERR; frees key and value */
dict_entry *dict_unlink(dict *d, const void *key); /* removes without freeing */
void dict_free_unlinked(dict *d, dict_entry *e);   /* frees key, value (by type) and entry */

unsigned long dict_size(const dict *d);
unsigned long dict_buckets(const dict *d);
int dict_is_rehashing(const dict *d);
int dict_expand(dict *d, unsigned long size); /* pre-size for size elements */
int dict_rehash_steps(dict *d, int n);        /* 1 if more rehashing remains */
int dict_rehash_ms(dict *d, int ms);          /* returns buckets moved */
void dict_set_resize_enabled(int enabled);    /* off while a fork child shares memory */

dict_entry *dict_random_entry(dict *d); /* NULL if empty */
/* Up to count entries from a random region: cheap sampling for active expiry and eviction. */
unsigned int dict_sample(dict *d, dict_entry **out, unsigned int count);

void dict_iter_init(dict_iter *it, dict *d, int safe); /* safe: the caller may delete */
dict_entry *dict_iter_next(dict_iter *it);
void dict_iter_release(dict_iter *it);

unsigned long dict_scan(dict *d, unsigned long cursor, dict_scan_fn *fn, void *privdata);

void dict_set_hash_seed(const uint8_t seed[16]);
uint64_t dict_hash_bytes(const void *p, size_t len);
uint64_t dict_hash_bytes_nocase(const void *p, size_t len);
size_t dict_mem_usage(const dict *d); /* tables + entries, not keys or values */

#endif
