/* test_dict.c: unit tests for common/dict (hash table, incremental rehash,
 * iterators, SCAN cursor, sampling, SipHash-1-2 hashing). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "dict.h"

/* Keys are bufs "key:<n>", values are bufs too, both owned by the dict. */
static uint64_t key_hash(const void *k)
{
    return dict_hash_bytes(k, buf_len((buf)k));
}

static int key_equal(const void *a, const void *b)
{
    return buf_cmp((buf)a, (buf)b) == 0;
}

static void obj_free(void *p)
{
    buf_free(p);
}

static const dict_type buf_dict_type = {key_hash, key_equal, obj_free, obj_free};

/* Keys only, values are plain integers stored in the entry. */
static const dict_type set_dict_type = {key_hash, key_equal, obj_free, NULL};

static buf make_key(long n)
{
    return buf_cat_printf(buf_empty(), "key:%ld", n);
}

static long key_num(const dict_entry *e)
{
    return strtol((const char *)e->key + 4, NULL, 10);
}

static void add_range(dict *d, long from, long to)
{
    for (long i = from; i < to; i++)
        assert_int_equal(dict_add(d, make_key(i), (void *)(intptr_t)(i + 1)), DICT_OK);
}

static int has_key(dict *d, long n)
{
    buf k = make_key(n);
    dict_entry *e = dict_find(d, k);
    buf_free(k);
    return e != NULL;
}

static void delete_range(dict *d, long from, long to)
{
    for (long i = from; i < to; i++) {
        buf k = make_key(i);
        assert_int_equal(dict_delete(d, k), DICT_OK);
        buf_free(k);
    }
}

static void finish_rehash(dict *d)
{
    while (dict_rehash_steps(d, 100))
        ;
    assert_false(dict_is_rehashing(d));
}

/* ---------------------------------------------------------------- hashing */

static void test_hash_properties(void **state)
{
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    uint64_t h = dict_hash_bytes(s, n);
    assert_int_equal(h, dict_hash_bytes(s, n));
    assert_int_not_equal(h, dict_hash_bytes(s, n - 1));
    /* The length is part of the final block: trailing NULs still count. */
    assert_int_not_equal(dict_hash_bytes("a", 1), dict_hash_bytes("a\0", 2));
    assert_int_not_equal(dict_hash_bytes("", 0), dict_hash_bytes("\0", 1));

    /* Every tail length (0..7 bytes past a full word) and every byte matter. */
    char msg[40];
    for (size_t len = 1; len <= sizeof(msg); len++) {
        for (size_t i = 0; i < len; i++)
            msg[i] = (char)('a' + i);
        uint64_t base = dict_hash_bytes(msg, len);
        for (size_t i = 0; i < len; i++) {
            msg[i] ^= 1;
            assert_int_not_equal(base, dict_hash_bytes(msg, len));
            msg[i] ^= 1;
        }
    }

    /* The seed changes every hash; restoring it restores them. */
    uint8_t seed[16], zero[16] = {0};
    for (int i = 0; i < 16; i++)
        seed[i] = (uint8_t)(i * 17 + 3);
    dict_set_hash_seed(seed);
    uint64_t seeded = dict_hash_bytes(s, n);
    assert_int_not_equal(h, seeded);
    assert_int_equal(seeded, dict_hash_bytes(s, n));
    seed[15] ^= 0x80;
    dict_set_hash_seed(seed);
    assert_int_not_equal(seeded, dict_hash_bytes(s, n));
    dict_set_hash_seed(zero);
    assert_int_equal(h, dict_hash_bytes(s, n));
}

static void test_hash_nocase(void **state)
{
    const char *a = "Hello WORLD, this IS A Mixed-Case Key 123!";
    const char *b = "hello world, this is a mixed-case key 123!";
    size_t n = strlen(a);
    assert_int_equal(dict_hash_bytes_nocase(a, n), dict_hash_bytes_nocase(b, n));
    /* On lowercase input both variants agree. */
    assert_int_equal(dict_hash_bytes_nocase(b, n), dict_hash_bytes(b, n));
    assert_int_not_equal(dict_hash_bytes(a, n), dict_hash_bytes(b, n));
    for (size_t len = 0; len <= n; len++)
        assert_int_equal(dict_hash_bytes_nocase(a, len), dict_hash_bytes(b, len));
    /* Only ASCII letters fold: '@' vs '`' and bytes >= 0x80 stay distinct. */
    assert_int_not_equal(dict_hash_bytes_nocase("@", 1), dict_hash_bytes_nocase("`", 1));
    assert_int_not_equal(dict_hash_bytes_nocase("\xc4", 1), dict_hash_bytes_nocase("\xe4", 1));
    assert_int_not_equal(dict_hash_bytes_nocase("a", 1), dict_hash_bytes_nocase("b", 1));
}

/* ------------------------------------------------------- add, find, delete */

#define BIG 100000

static void test_add_find_delete_replace(void **state)
{
    dict *d = dict_create(&buf_dict_type);
    assert_null(dict_find(d, "nothing"));
    assert_int_equal(dict_size(d), 0);

    for (long i = 0; i < BIG; i++) {
        buf k = make_key(i);
        buf v = buf_cat_printf(buf_empty(), "val:%ld", i);
        assert_int_equal(dict_add(d, k, v), DICT_OK);
    }
    assert_int_equal(dict_size(d), BIG);

    /* Duplicates are refused and the caller keeps ownership. */
    buf dup = make_key(42);
    assert_int_equal(dict_add(d, dup, NULL), DICT_ERR);
    dict_entry *existing = NULL;
    assert_null(dict_add_raw(d, dup, &existing));
    assert_non_null(existing);
    assert_true(buf_cmp(existing->key, dup) == 0);
    buf_free(dup);

    for (long i = 0; i < BIG; i++) {
        buf k = make_key(i);
        buf v = dict_fetch_value(d, k);
        assert_non_null(v);
        char expect[32];
        snprintf(expect, sizeof(expect), "val:%ld", i);
        assert_string_equal(v, expect);
        buf_free(k);
    }
    buf missing = make_key(BIG);
    assert_null(dict_find(d, missing));
    assert_null(dict_fetch_value(d, missing));

    /* Replace: existing key keeps its entry, the old value is freed (ASan
     * would report it otherwise), the passed key stays the caller's. */
    for (long i = 0; i < BIG; i += 2) {
        buf k = make_key(i);
        assert_int_equal(dict_replace(d, k, buf_from_cstr("new")), 0);
        buf_free(k);
    }
    assert_int_equal(dict_replace(d, buf_dup(missing), buf_from_cstr("added")), 1);
    assert_int_equal(dict_size(d), BIG + 1);
    assert_string_equal(dict_fetch_value(d, missing), "added");

    for (long i = 0; i < BIG; i++) {
        buf k = make_key(i);
        char expect[32];
        if (i % 2 == 0)
            snprintf(expect, sizeof(expect), "new");
        else
            snprintf(expect, sizeof(expect), "val:%ld", i);
        assert_string_equal(dict_fetch_value(d, k), expect);
        buf_free(k);
    }

    /* Delete all odd keys. */
    for (long i = 1; i < BIG; i += 2) {
        buf k = make_key(i);
        assert_int_equal(dict_delete(d, k), DICT_OK);
        assert_int_equal(dict_delete(d, k), DICT_ERR);
        buf_free(k);
    }
    assert_int_equal(dict_size(d), BIG / 2 + 1);
    for (long i = 0; i < BIG; i++)
        assert_int_equal(has_key(d, i), i % 2 == 0);

    /* Deleting nearly everything shrinks the table on the way. */
    unsigned long buckets_before = dict_buckets(d);
    for (long i = 0; i < BIG - 100; i += 2) {
        buf k = make_key(i);
        assert_int_equal(dict_delete(d, k), DICT_OK);
        buf_free(k);
    }
    finish_rehash(d);
    assert_true(dict_buckets(d) <= buckets_before / 8);
    assert_int_equal(dict_size(d), 50 + 1);
    /* Once that shrink's rehash is done, the next delete shrinks to fit. */
    delete_range(d, BIG - 100, BIG - 99);
    finish_rehash(d);
    assert_int_equal(dict_buckets(d), 64);
    for (long i = BIG - 99; i < BIG; i++)
        assert_int_equal(has_key(d, i), i % 2 == 0);
    assert_non_null(dict_find(d, missing));
    buf_free(missing);
    dict_release(d);
}

static void test_unlink_and_empty(void **state)
{
    dict *d = dict_create(&buf_dict_type);
    for (long i = 0; i < 100; i++)
        assert_int_equal(dict_add(d, make_key(i), buf_from_ll(i)), DICT_OK);
    buf k = make_key(7);
    dict_entry *e = dict_unlink(d, k);
    assert_non_null(e);
    assert_true(buf_cmp(e->key, k) == 0);
    assert_string_equal(e->v.val, "7");
    assert_null(dict_find(d, k));
    assert_null(dict_unlink(d, k));
    assert_int_equal(dict_size(d), 99);
    dict_free_unlinked(d, e);
    dict_free_unlinked(d, NULL);
    buf_free(k);

    dict_empty(d);
    assert_int_equal(dict_size(d), 0);
    assert_int_equal(dict_buckets(d), 0);
    assert_false(dict_is_rehashing(d));
    assert_null(dict_random_entry(d));

    /* Still usable after emptying. */
    for (long i = 0; i < 10; i++)
        assert_int_equal(dict_add(d, make_key(i), buf_from_ll(i)), DICT_OK);
    assert_int_equal(dict_size(d), 10);
    dict_release(d);
    dict_release(NULL);
}

static void test_int_values(void **state)
{
    dict *d = dict_create(&set_dict_type);
    dict_entry *e = dict_add_raw(d, make_key(1), NULL);
    assert_non_null(e);
    assert_int_equal(e->v.u64, 0);
    e->v.s64 = -5;
    e = dict_add_raw(d, make_key(2), NULL);
    e->v.d = 2.5;
    buf k = make_key(1);
    assert_int_equal(dict_find(d, k)->v.s64, -5);
    buf_free(k);
    k = make_key(2);
    assert_true(dict_find(d, k)->v.d == 2.5);
    buf_free(k);
    dict_release(d);
}

/* -------------------------------------------------------------- rehashing */

static void test_expand_and_sizes(void **state)
{
    dict *d = dict_create(&set_dict_type);
    assert_int_equal(dict_buckets(d), 0);
    assert_int_equal(dict_mem_usage(d), sizeof(dict));

    assert_int_equal(dict_expand(d, 1000), DICT_OK);
    assert_int_equal(dict_buckets(d), 1024);
    assert_false(dict_is_rehashing(d));
    assert_int_equal(dict_expand(d, 1000), DICT_ERR); /* same size */
    add_range(d, 0, 1000);
    assert_int_equal(dict_buckets(d), 1024); /* pre-sized: no growth */
    assert_int_equal(dict_mem_usage(d),
                     sizeof(dict) + 1024 * sizeof(dict_entry *) + 1000 * sizeof(dict_entry));
    assert_int_equal(dict_expand(d, 999), DICT_ERR); /* fewer than present */

    /* Shrink to fit is a dict_expand to the element count. */
    delete_range(d, 0, 900);
    finish_rehash(d);
    if (dict_buckets(d) != 128)
        assert_int_equal(dict_expand(d, dict_size(d)), DICT_OK);
    finish_rehash(d);
    assert_int_equal(dict_buckets(d), 128);
    for (long i = 900; i < 1000; i++)
        assert_true(has_key(d, i));

    /* A huge request fails cleanly instead of allocating. */
    assert_int_equal(dict_expand(d, (unsigned long)-1), DICT_ERR);
    dict_release(d);
}

static void test_rehash_while_adding_and_finding(void **state)
{
    dict *d = dict_create(&set_dict_type);
    long n = 0;
    /* Fill until a resize starts. */
    while (!dict_is_rehashing(d)) {
        add_range(d, n, n + 1);
        n++;
    }
    assert_int_equal(n, 5); /* 4 buckets, grows on the 5th add */
    add_range(d, n, 2000);
    n = 2000;
    int saw_rehash = 0;
    /* Keep adding and checking: every key stays findable mid-rehash. */
    for (long round = 0; round < 20; round++) {
        for (long i = 0; i < 3000; i++, n++) {
            add_range(d, n, n + 1);
            if (dict_is_rehashing(d)) {
                saw_rehash = 1;
                assert_true(d->used[0] + d->used[1] == (unsigned long)n + 1);
                assert_true(has_key(d, n));
                assert_true(has_key(d, i));
                assert_true(has_key(d, n / 2));
            }
        }
    }
    assert_true(saw_rehash);
    for (long i = 0; i < n; i++)
        assert_true(has_key(d, i));
    assert_false(has_key(d, n));

    /* Rehash in the cron's way: time-boxed. */
    if (!dict_is_rehashing(d)) {
        assert_int_equal(dict_expand(d, dict_size(d) * 4), DICT_OK);
        assert_true(dict_is_rehashing(d));
    }
    int moved = 0;
    while (dict_is_rehashing(d))
        moved += dict_rehash_ms(d, 5);
    assert_true(moved > 0);
    assert_int_equal(dict_rehash_steps(d, 10), 0);
    assert_int_equal(dict_rehash_ms(d, 1), 0);
    assert_int_equal(dict_size(d), (unsigned long)n);
    for (long i = 0; i < n; i++)
        assert_true(has_key(d, i));
    dict_release(d);
}

static void test_resize_disabled(void **state)
{
    dict *d = dict_create(&set_dict_type);
    add_range(d, 0, 100);
    finish_rehash(d);
    unsigned long buckets = dict_buckets(d);
    dict_set_resize_enabled(0);
    /* Grows only once chains average more than 5. */
    long n = 100;
    while (dict_buckets(d) == buckets) {
        add_range(d, n, n + 1);
        n++;
    }
    assert_true((unsigned long)n > buckets * 5);
    /* Deleting does not shrink while disabled. */
    finish_rehash(d);
    buckets = dict_buckets(d);
    delete_range(d, 0, n - 1);
    assert_int_equal(dict_buckets(d), buckets);
    assert_false(dict_is_rehashing(d));
    dict_set_resize_enabled(1);
    dict_release(d);
}

/* -------------------------------------------------------------- iterators */

static void test_iteration_count(void **state)
{
    dict *d = dict_create(&set_dict_type);
    dict_iter it;
    dict_iter_init(&it, d, 0);
    assert_null(dict_iter_next(&it));
    dict_iter_release(&it);

    const long n = 20000;
    add_range(d, 0, n);
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0 is probably mid-rehash; pass 1 definitely is not. */
        if (pass == 1)
            finish_rehash(d);
        char *seen = calloc(n, 1);
        long count = 0;
        dict_iter_init(&it, d, 0);
        dict_entry *e;
        while ((e = dict_iter_next(&it)) != NULL) {
            long k = key_num(e);
            assert_true(k >= 0 && k < n);
            assert_int_equal(seen[k], 0);
            assert_int_equal(e->v.s64, k + 1);
            seen[k] = 1;
            count++;
        }
        dict_iter_release(&it);
        assert_int_equal(count, n);
        free(seen);
    }
    dict_release(d);
}

static void test_safe_iteration_with_deletion(void **state)
{
    dict *d = dict_create(&set_dict_type);
    const long n = 20000;
    add_range(d, 0, n);
    /* Start a resize so the iterator must walk both tables. */
    finish_rehash(d);
    add_range(d, n, 2 * n);
    assert_true(dict_is_rehashing(d));

    char *seen = calloc(2 * n, 1);
    dict_iter it;
    dict_iter_init(&it, d, 1);
    dict_entry *e;
    long count = 0;
    while ((e = dict_iter_next(&it)) != NULL) {
        long k = key_num(e);
        assert_int_equal(seen[k], 0);
        seen[k] = 1;
        count++;
        /* Rehashing is paused: finds and deletes must not move entries. */
        assert_true(d->pause_rehash > 0);
        long idx = d->rehash_idx;
        if (k % 2 == 0) {
            assert_int_equal(dict_delete(d, e->key), DICT_OK);
        } else {
            assert_true(has_key(d, k));
        }
        assert_int_equal(d->rehash_idx, idx);
    }
    dict_iter_release(&it);
    assert_int_equal(d->pause_rehash, 0);
    assert_int_equal(count, 2 * n);
    assert_int_equal(dict_size(d), n);
    for (long i = 0; i < 2 * n; i++)
        assert_int_equal(has_key(d, i), i % 2 == 1);
    free(seen);

    /* Deleting everything under a safe iterator (shrinks start mid-walk). */
    dict_iter_init(&it, d, 1);
    count = 0;
    while ((e = dict_iter_next(&it)) != NULL) {
        assert_int_equal(dict_delete(d, e->key), DICT_OK);
        count++;
    }
    dict_iter_release(&it);
    assert_int_equal(count, n);
    assert_int_equal(dict_size(d), 0);
    dict_release(d);
}

/* An unsafe iterator must catch a modification; abort() is the contract,
 * so it is checked in a child process. */
static void test_unsafe_iterator_detects_modification(void **state)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Silence the expected message. */
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(2);
        dict *d = dict_create(&set_dict_type);
        add_range(d, 0, 10);
        dict_iter it;
        dict_iter_init(&it, d, 0);
        dict_iter_next(&it);
        buf k = make_key(1000);
        dict_add(d, k, NULL);
        dict_iter_release(&it); /* must abort */
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* ------------------------------------------------------------------- scan */

struct scan_state {
    char *seen;
    long limit;
    long calls;
};

static void scan_collect(void *privdata, const dict_entry *e)
{
    struct scan_state *st = privdata;
    long k = key_num(e);
    if (k < st->limit)
        st->seen[k] = 1;
    st->calls++;
}

/* Scans while the table grows (and is mid-rehash), then shrinks (through
 * deletes and an explicit dict_expand, also mid-rehash) once the cursor is
 * well into the large table, then grows again, and checks that every key
 * present throughout was reported and that the cursor ends at 0. */
static void scan_with_resizes(long base, int rehash_between)
{
    dict *d = dict_create(&set_dict_type);
    add_range(d, 0, base);
    finish_rehash(d);

    struct scan_state st = {calloc(base, 1), base, 0};
    unsigned long cursor = 0;
    long call = 0, shrink_at = -1, regrow_at = -1;
    int saw_grow_rehash = 0, saw_shrink_rehash = 0;
    const long extra = base * 20;
    do {
        cursor = dict_scan(d, cursor, scan_collect, &st);
        call++;
        if (dict_is_rehashing(d)) {
            if (d->size[1] > d->size[0])
                saw_grow_rehash = 1;
            else
                saw_shrink_rehash = 1;
        }
        if (call == 3) {
            add_range(d, base, base + extra); /* grow several times */
        } else if (call > 3 && shrink_at < 0 && (cursor & 1)) {
            /* Bit 0 of a reverse-binary cursor flips halfway through the
             * scan: shrinking there is where a cursor that did not account
             * for merged buckets would skip keys. */
            shrink_at = call;
            delete_range(d, base, base + extra);
            if (!dict_is_rehashing(d) && dict_buckets(d) > 2 * (unsigned long)base)
                assert_int_equal(dict_expand(d, dict_size(d)), DICT_OK);
            regrow_at = call + 3;
        } else if (call == regrow_at) {
            finish_rehash(d);
            if (dict_buckets(d) > 2 * (unsigned long)base)
                assert_int_equal(dict_expand(d, dict_size(d)), DICT_OK);
            add_range(d, base, base + extra / 4); /* and grow again */
        }
        if (rehash_between)
            dict_rehash_steps(d, rehash_between);
        assert_true(call < 10 * (base + extra));
    } while (cursor != 0);

    for (long i = 0; i < base; i++) {
        if (!st.seen[i])
            fail_msg("key %ld missed by scan (base %ld, steps %d)", i, base, rehash_between);
    }
    assert_true(shrink_at > 0 && call > shrink_at);
    assert_true(st.calls >= base);
    assert_true(saw_grow_rehash || saw_shrink_rehash || rehash_between == 0);
    free(st.seen);
    dict_release(d);
}

/* Random churn between scan calls: extra keys come and go, tables grow and
 * shrink, rehashing advances by random amounts.  The base keys are never
 * deleted, so each of them must be reported. */
static void test_scan_random_churn(void **state)
{
    uint64_t rng = 12345;
    const long extra_max = 6000;
    long *extras = malloc(extra_max * sizeof(long));
    for (int round = 0; round < 16; round++) {
        dict *d = dict_create(&set_dict_type);
        const long base = 100 + round * 40;
        long next_extra = base, n_extras = 0;
        add_range(d, 0, base);
        struct scan_state st = {calloc(base, 1), base, 0};
        unsigned long cursor = 0;
        long calls = 0;
        do {
            cursor = dict_scan(d, cursor, scan_collect, &st);
            calls++;
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned op = (unsigned)(rng >> 59); /* 0..31 */
            long amount = 1 + (long)((rng >> 20) % 1500);
            if (op < 3) { /* grow */
                for (long i = 0; i < amount && n_extras < extra_max; i++) {
                    add_range(d, next_extra, next_extra + 1);
                    extras[n_extras++] = next_extra++;
                }
            } else if (op < 6) { /* shrink: drop extras from the end */
                while (amount-- > 0 && n_extras > 0) {
                    n_extras--;
                    delete_range(d, extras[n_extras], extras[n_extras] + 1);
                }
            } else if (op < 8) { /* shrink to fit, as the cron would */
                finish_rehash(d);
                dict_expand(d, dict_size(d));
            }
            dict_rehash_steps(d, (int)((rng >> 40) % 8));
            assert_true(calls < 1000000);
        } while (cursor != 0);
        for (long i = 0; i < base; i++) {
            if (!st.seen[i])
                fail_msg("key %ld missed by scan in round %d", i, round);
        }
        free(st.seen);
        dict_release(d);
    }
    free(extras);
}

static void test_scan_complete_without_resize(void **state)
{
    dict *d = dict_create(&set_dict_type);
    struct scan_state st = {calloc(5000, 1), 5000, 0};
    /* An empty dict is done at once. */
    assert_int_equal(dict_scan(d, 0, scan_collect, &st), 0);
    add_range(d, 0, 5000);
    finish_rehash(d);
    unsigned long cursor = 0;
    long calls = 0;
    do {
        cursor = dict_scan(d, cursor, scan_collect, &st);
        calls++;
    } while (cursor != 0);
    /* Stable table: exactly one call per bucket and one visit per key. */
    assert_int_equal(calls, (long)dict_buckets(d));
    assert_int_equal(st.calls, 5000);
    for (long i = 0; i < 5000; i++)
        assert_true(st.seen[i]);
    free(st.seen);
    dict_release(d);
}

static void test_scan_across_resizes(void **state)
{
    const int steps[] = {0, 1, 3, 50};
    const long bases[] = {100, 1000, 3000};
    for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
        for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++)
            scan_with_resizes(bases[b], steps[s]);
}

struct scan_lookup_state {
    dict *d;
    struct scan_state st;
};

/* A callback that looks keys up in the dict being scanned: lookups normally
 * move a bucket, which must not happen under the scan's feet. */
static void scan_lookup(void *privdata, const dict_entry *e)
{
    struct scan_lookup_state *ls = privdata;
    long idx = ls->d->rehash_idx;
    assert_ptr_equal(dict_find(ls->d, e->key), e);
    assert_int_equal(ls->d->rehash_idx, idx);
    scan_collect(&ls->st, e);
}

static void test_scan_callback_may_lookup(void **state)
{
    dict *d = dict_create(&set_dict_type);
    const long n = 3000;
    add_range(d, 0, n);
    finish_rehash(d);
    while (!dict_is_rehashing(d))
        add_range(d, (long)dict_size(d), (long)dict_size(d) + 1);
    struct scan_lookup_state ls = {d, {calloc(n, 1), n, 0}};
    unsigned long cursor = 0;
    do {
        cursor = dict_scan(d, cursor, scan_lookup, &ls);
    } while (cursor != 0);
    assert_int_equal(d->pause_rehash, 0);
    for (long i = 0; i < n; i++)
        assert_true(ls.st.seen[i]);
    free(ls.st.seen);
    dict_release(d);
}

/* Mid-shrink scans, where the smaller table is the new one (table 1). */
static void test_scan_during_shrink_rehash(void **state)
{
    dict *d = dict_create(&set_dict_type);
    const long base = 500;
    add_range(d, 0, 20000);
    finish_rehash(d);
    dict_set_resize_enabled(0); /* keep deletes from shrinking on their own */
    delete_range(d, base, 20000);
    dict_set_resize_enabled(1);
    assert_int_equal(dict_expand(d, dict_size(d)), DICT_OK);
    assert_true(dict_is_rehashing(d));
    assert_true(d->size[1] < d->size[0]);

    struct scan_state st = {calloc(base, 1), base, 0};
    unsigned long cursor = 0;
    int saw = 0;
    do {
        if (dict_is_rehashing(d) && d->size[1] < d->size[0])
            saw++;
        cursor = dict_scan(d, cursor, scan_collect, &st);
        dict_rehash_steps(d, 20);
    } while (cursor != 0);
    assert_true(saw > 1);
    for (long i = 0; i < base; i++)
        assert_true(st.seen[i]);
    free(st.seen);
    dict_release(d);
}

/* --------------------------------------------------------------- sampling */

static void assert_live(dict *d, dict_entry *e)
{
    assert_non_null(e);
    assert_ptr_equal(dict_find(d, e->key), e);
}

static void test_random_entry(void **state)
{
    dict *d = dict_create(&set_dict_type);
    assert_null(dict_random_entry(d));
    add_range(d, 0, 1);
    assert_live(d, dict_random_entry(d));

    add_range(d, 1, 3000);
    char *seen = calloc(3000, 1);
    long distinct = 0;
    for (int i = 0; i < 20000; i++) {
        if (i == 10000) {
            finish_rehash(d);
            delete_range(d, 1500, 3000); /* sparse table, possibly shrinking */
        }
        dict_entry *e = dict_random_entry(d);
        assert_live(d, e);
        long k = key_num(e);
        if (!seen[k]) {
            seen[k] = 1;
            distinct++;
        }
    }
    /* Picks spread over the keyspace rather than sticking to a few. */
    assert_true(distinct > 1200);
    free(seen);
    dict_release(d);
}

static void test_sample(void **state)
{
    dict *d = dict_create(&set_dict_type);
    dict_entry *out[64];
    assert_int_equal(dict_sample(d, out, 16), 0);

    add_range(d, 0, 5);
    finish_rehash(d);
    unsigned int got = dict_sample(d, out, 64); /* more than present */
    assert_true(got > 0 && got <= 5);
    for (unsigned int i = 0; i < got; i++)
        assert_live(d, out[i]);
    assert_int_equal(dict_sample(d, out, 0), 0);

    add_range(d, 5, 10000);
    long total = 0, rehashing_rounds = 0;
    for (int round = 0; round < 500; round++) {
        if (round == 250) {
            finish_rehash(d);
            long n = 10000; /* sample during a grow rehash */
            while (!dict_is_rehashing(d)) {
                add_range(d, n, n + 1);
                n++;
            }
        }
        if (dict_is_rehashing(d))
            rehashing_rounds++;
        got = dict_sample(d, out, 16);
        assert_true(got <= 16);
        total += got;
        for (unsigned int i = 0; i < got; i++)
            assert_live(d, out[i]);
    }
    /* A dense table almost always yields full samples. */
    assert_true(total > 500 * 16 * 9 / 10);
    assert_true(rehashing_rounds > 10);
    dict_release(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_properties),
        cmocka_unit_test(test_hash_nocase),
        cmocka_unit_test(test_add_find_delete_replace),
        cmocka_unit_test(test_unlink_and_empty),
        cmocka_unit_test(test_int_values),
        cmocka_unit_test(test_expand_and_sizes),
        cmocka_unit_test(test_rehash_while_adding_and_finding),
        cmocka_unit_test(test_resize_disabled),
        cmocka_unit_test(test_iteration_count),
        cmocka_unit_test(test_safe_iteration_with_deletion),
        cmocka_unit_test(test_unsafe_iterator_detects_modification),
        cmocka_unit_test(test_scan_complete_without_resize),
        cmocka_unit_test(test_scan_across_resizes),
        cmocka_unit_test(test_scan_during_shrink_rehash),
        cmocka_unit_test(test_scan_random_churn),
        cmocka_unit_test(test_scan_callback_may_lookup),
        cmocka_unit_test(test_random_entry),
        cmocka_unit_test(test_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
