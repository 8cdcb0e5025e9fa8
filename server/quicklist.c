/* quicklist: the list type's storage, a doubly linked list of listpack
 * nodes.  See quicklist.h for the shape and the node size rules; this file
 * owns the node bookkeeping (create, link, split, merge, remove), the
 * element operations, the iterator, and list values (a bare listpack for
 * lists of one node, see quicklist.h).  Compression (list-compress-depth) is
 * not implemented: every node stays a plain listpack. */
#include <stdlib.h>
#include <string.h>

#include "quicklist.h"

#define QL_COUNT_MASK ((UINT64_C(1) << 47) - 1)
#define QL_META_VIEW (UINT64_C(1) << 47)
#define QL_PACKED_TAG ((uintptr_t)1)
#define LP_OVERHEAD 7 /* a listpack's header (6 bytes) and terminator (1) */

/* Node byte limits for fill -1..-5 (list-max-listpack-size). */
static const size_t ql_byte_limits[] = {4096, 8192, 16384, 32768, 65536};

static void *ql_alloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        abort();
    return p;
}

/* ------------------------------------------------------------ the header */

size_t ql_count(const quicklist *ql)
{
    return (size_t)(ql->meta & QL_COUNT_MASK);
}

static void ql_set_count(quicklist *ql, size_t n)
{
    ql->meta = (ql->meta & ~QL_COUNT_MASK) | ((uint64_t)n & QL_COUNT_MASK);
}

int ql_fill(const quicklist *ql)
{
    return (int)(int16_t)(uint16_t)(ql->meta >> 48);
}

quicklist *ql_create(int fill)
{
    if (fill > QL_FILL_MAX)
        fill = QL_FILL_MAX;
    else if (fill < QL_FILL_MIN)
        fill = QL_FILL_MIN;
    quicklist *ql = ql_alloc(sizeof(*ql));
    ql->head = ql->tail = NULL;
    ql->meta = (uint64_t)(uint16_t)(int16_t)fill << 48;
    return ql;
}

/* ----------------------------------------------------------------- nodes */

/* Whether a node of `bytes` bytes holding `count` entries is within the
 * list's fill: a count with an 8 KB cap for fill >= 0 (fill 0 means one
 * entry per node), a byte size for fill < 0.  A node may always hold one
 * entry, whatever its size: that is how big values end up alone. */
static int ql_node_fits(const quicklist *ql, size_t bytes, unsigned long count)
{
    int fill = ql_fill(ql);
    if (fill >= 0)
        return count <= (unsigned long)fill && bytes <= QL_SAFETY_BYTES;
    return bytes <= ql_byte_limits[-fill - 1];
}

/* Whether node n (may be NULL) can take one more entry of entry_bytes. */
static int ql_node_allows(const quicklist *ql, const ql_node *n, size_t entry_bytes)
{
    return n && ql_node_fits(ql, lp_bytes(n->lp) + entry_bytes, lp_length(n->lp) + 1);
}

static ql_node *ql_node_new(unsigned char *lp)
{
    ql_node *n = ql_alloc(sizeof(*n));
    n->prev = n->next = NULL;
    n->lp = lp;
    return n;
}

/* A new node holding just s. */
static ql_node *ql_node_new_with(const void *s, size_t len)
{
    unsigned char *lp = lp_new(lp_entry_size_for(s, (uint32_t)len) + LP_OVERHEAD);
    return ql_node_new(lp_append(lp, s, (uint32_t)len));
}

/* Link n after `at` (at == NULL: as the new head). */
static void ql_link_after(quicklist *ql, ql_node *at, ql_node *n)
{
    n->prev = at;
    n->next = at ? at->next : ql->head;
    if (n->next)
        n->next->prev = n;
    else
        ql->tail = n;
    if (at)
        at->next = n;
    else
        ql->head = n;
}

/* Link n before `at` (at == NULL: as the new tail). */
static void ql_link_before(quicklist *ql, ql_node *at, ql_node *n)
{
    ql_link_after(ql, at ? at->prev : ql->tail, n);
}

/* The node embedded in a ql_view, when ql is one. */
static ql_node *ql_view_node(quicklist *ql)
{
    return (ql->meta & QL_META_VIEW) ? &((ql_view *)ql)->node : NULL;
}

/* Unlink n and free it with its listpack (the count is the caller's).  A
 * view's own node is not freed, only marked gone (lp = NULL). */
static void ql_node_remove(quicklist *ql, ql_node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        ql->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        ql->tail = n->prev;
    lp_free(n->lp);
    if (n == ql_view_node(ql))
        n->lp = NULL;
    else
        free(n);
}

/* Append the entry at p (of another listpack) to dst, keeping integers as
 * integers. */
static unsigned char *ql_lp_append_entry(unsigned char *dst, const unsigned char *p)
{
    lp_entry e;
    lp_get(p, &e);
    if (e.sval)
        return lp_append(dst, e.sval, e.slen);
    return lp_append_int(dst, e.lval);
}

/* Split node n at k: entries [k, len) move to a new node linked right after
 * n, which is returned.  0 < k < len. */
static ql_node *ql_node_split(quicklist *ql, ql_node *n, long k)
{
    unsigned long len = lp_length(n->lp);
    unsigned char *right = lp_new(0);
    for (unsigned char *p = lp_seek(n->lp, k); p; p = lp_next(n->lp, p))
        right = ql_lp_append_entry(right, p);
    n->lp = lp_delete_range(n->lp, k, len - (unsigned long)k);
    ql_node *r = ql_node_new(right);
    ql_link_after(ql, n, r);
    return r;
}

/* Merge b (a->next) into a when the result is within the fill; b is freed.
 * Keeps memory low after deletions and splits leave small nodes behind. */
static void ql_node_try_merge(quicklist *ql, ql_node *a, ql_node *b)
{
    if (!a || !b)
        return;
    size_t bytes = lp_bytes(a->lp) + lp_bytes(b->lp) - LP_OVERHEAD;
    if (!ql_node_fits(ql, bytes, lp_length(a->lp) + lp_length(b->lp)))
        return;
    for (unsigned char *p = lp_first(b->lp); p; p = lp_next(b->lp, p))
        a->lp = ql_lp_append_entry(a->lp, p);
    ql_node_remove(ql, b);
}

/* Find the node holding the element at index (negative: from the tail) by
 * walking from the nearer end; *offset gets the index inside the node.
 * NULL when out of range. */
static ql_node *ql_locate(const quicklist *ql, long long index, long *offset)
{
    size_t count = ql_count(ql);
    size_t i;
    if (index < 0) {
        unsigned long long back = (unsigned long long)(-(index + 1)); /* -1 -> 0 */
        if (back >= count)
            return NULL;
        i = count - 1 - (size_t)back;
    } else {
        if ((unsigned long long)index >= count)
            return NULL;
        i = (size_t)index;
    }
    if (i < count / 2) {
        for (ql_node *n = ql->head; n; n = n->next) {
            size_t len = lp_length(n->lp);
            if (i < len) {
                *offset = (long)i;
                return n;
            }
            i -= len;
        }
    } else {
        size_t back = count - 1 - i;
        for (ql_node *n = ql->tail; n; n = n->prev) {
            size_t len = lp_length(n->lp);
            if (back < len) {
                *offset = (long)(len - 1 - back);
                return n;
            }
            back -= len;
        }
    }
    return NULL; /* not reached while the count is right */
}

/* -------------------------------------------------------- whole lists */

void ql_free(quicklist *ql)
{
    if (!ql)
        return;
    ql_node *n = ql->head;
    while (n) {
        ql_node *next = n->next;
        lp_free(n->lp);
        free(n);
        n = next;
    }
    free(ql);
}

/* Listpacks are plain malloc'ed blocks of lp_bytes() bytes. */
static unsigned char *ql_lp_copy(const unsigned char *lp)
{
    size_t n = lp_bytes(lp);
    unsigned char *copy = ql_alloc(n);
    memcpy(copy, lp, n);
    return copy;
}

quicklist *ql_dup(const quicklist *ql)
{
    quicklist *copy = ql_alloc(sizeof(*copy));
    copy->head = copy->tail = NULL;
    copy->meta = ql->meta & ~QL_META_VIEW;
    for (ql_node *n = ql->head; n; n = n->next)
        ql_link_after(copy, copy->tail, ql_node_new(ql_lp_copy(n->lp)));
    return copy;
}

size_t ql_node_count(const quicklist *ql)
{
    size_t n = 0;
    for (const ql_node *node = ql->head; node; node = node->next)
        n++;
    return n;
}

size_t ql_mem_usage(const quicklist *ql)
{
    size_t bytes = sizeof(*ql);
    for (const ql_node *n = ql->head; n; n = n->next)
        bytes += sizeof(*n) + lp_bytes(n->lp);
    return bytes;
}

/* ---------------------------------------------------------------- ends */

void ql_push(quicklist *ql, const void *s, size_t len, int where)
{
    size_t sz = lp_entry_size_for(s, (uint32_t)len);
    if (where == QL_HEAD) {
        if (ql_node_allows(ql, ql->head, sz))
            ql->head->lp = lp_prepend(ql->head->lp, s, (uint32_t)len);
        else
            ql_link_after(ql, NULL, ql_node_new_with(s, len));
    } else {
        if (ql_node_allows(ql, ql->tail, sz))
            ql->tail->lp = lp_append(ql->tail->lp, s, (uint32_t)len);
        else
            ql_link_after(ql, ql->tail, ql_node_new_with(s, len));
    }
    ql_set_count(ql, ql_count(ql) + 1);
}

void ql_append_listpack(quicklist *ql, unsigned char *lp)
{
    unsigned long n = lp_length(lp);
    if (n == 0) {
        lp_free(lp);
        return;
    }
    if (ql_node_fits(ql, lp_bytes(lp), n)) {
        ql_link_after(ql, ql->tail, ql_node_new(lp));
        ql_set_count(ql, ql_count(ql) + n);
        return;
    }
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
        unsigned char tmp[LP_INTBUF_SIZE];
        uint32_t len;
        const unsigned char *v = lp_get_bytes(p, tmp, &len);
        ql_push(ql, v, len, QL_TAIL);
    }
    lp_free(lp);
}

int ql_peek(quicklist *ql, int where, lp_entry *out)
{
    ql_node *n = where == QL_HEAD ? ql->head : ql->tail;
    if (!n)
        return 0;
    lp_get(where == QL_HEAD ? lp_first(n->lp) : lp_last(n->lp), out);
    return 1;
}

void ql_pop(quicklist *ql, int where)
{
    ql_node *n = where == QL_HEAD ? ql->head : ql->tail;
    if (!n)
        return;
    if (lp_length(n->lp) == 1)
        ql_node_remove(ql, n);
    else
        n->lp = lp_delete(n->lp, where == QL_HEAD ? lp_first(n->lp) : lp_last(n->lp), NULL);
    ql_set_count(ql, ql_count(ql) - 1);
}

/* ------------------------------------------------------------ by index */

static void ql_entry_fill(ql_entry *e, ql_node *n, unsigned char *p, long offset)
{
    e->node = n;
    e->p = p;
    e->offset = offset;
    lp_get(p, &e->val);
}

int ql_index(quicklist *ql, long long index, ql_entry *out)
{
    long off;
    ql_node *n = ql_locate(ql, index, &off);
    if (!n)
        return 0;
    ql_entry_fill(out, n, lp_seek(n->lp, off), off);
    return 1;
}

/* Bytes the entry at p takes in lp. */
static size_t ql_entry_bytes(unsigned char *lp, unsigned char *p)
{
    unsigned char *next = lp_next(lp, p);
    unsigned char *end = next ? next : lp + lp_bytes(lp) - 1;
    return (size_t)(end - p);
}

void ql_insert(quicklist *ql, ql_entry *e, const void *s, size_t len, int where)
{
    ql_node *node = e->node;
    size_t sz = lp_entry_size_for(s, (uint32_t)len);
    long n = (long)lp_length(node->lp);
    int after = where == QL_TAIL;
    int at_edge = after ? e->offset == n - 1 : e->offset == 0;

    if (ql_node_allows(ql, node, sz)) {
        node->lp = lp_insert(node->lp, s, (uint32_t)len, e->p, after ? LP_AFTER : LP_BEFORE, NULL);
    } else if (at_edge) {
        /* Full node, but the new element goes at its edge: into the
         * neighbour on that side if it has room, else a node of its own. */
        ql_node *nb = after ? node->next : node->prev;
        if (ql_node_allows(ql, nb, sz)) {
            if (after)
                nb->lp = lp_prepend(nb->lp, s, (uint32_t)len);
            else
                nb->lp = lp_append(nb->lp, s, (uint32_t)len);
        } else if (after) {
            ql_link_after(ql, node, ql_node_new_with(s, len));
        } else {
            ql_link_before(ql, node, ql_node_new_with(s, len));
        }
    } else {
        /* Full node, element in its middle: split there and put the element
         * at the end of the left half, the start of the right half, or in a
         * node of its own between them; then coalesce what is small. */
        ql_node *right = ql_node_split(ql, node, e->offset + after);
        if (ql_node_allows(ql, node, sz))
            node->lp = lp_append(node->lp, s, (uint32_t)len);
        else if (ql_node_allows(ql, right, sz))
            right->lp = lp_prepend(right->lp, s, (uint32_t)len);
        else
            ql_link_after(ql, node, ql_node_new_with(s, len));
        ql_node_try_merge(ql, right, right->next);
        ql_node_try_merge(ql, node->prev, node);
    }
    ql_set_count(ql, ql_count(ql) + 1);
}

void ql_replace(quicklist *ql, ql_entry *e, const void *s, size_t len)
{
    ql_node *node = e->node;
    unsigned long n = lp_length(node->lp);
    size_t bytes =
        lp_bytes(node->lp) - ql_entry_bytes(node->lp, e->p) + lp_entry_size_for(s, (uint32_t)len);
    if (n == 1 || ql_node_fits(ql, bytes, n)) {
        unsigned char *p = e->p;
        node->lp = lp_replace(node->lp, &p, s, (uint32_t)len);
        return;
    }
    /* The new value does not fit this node: take the old one out and insert
     * the new one at its place, which splits the node as needed. */
    unsigned char *next;
    node->lp = lp_delete(node->lp, e->p, &next);
    ql_set_count(ql, ql_count(ql) - 1);
    ql_entry at;
    if (next)
        ql_entry_fill(&at, node, next, e->offset);
    else
        ql_entry_fill(&at, node, lp_last(node->lp), e->offset - 1);
    ql_insert(ql, &at, s, len, next ? QL_HEAD : QL_TAIL);
}

size_t ql_del_range(quicklist *ql, long long start, size_t count)
{
    size_t total = ql_count(ql);
    long off;
    ql_node *node = count ? ql_locate(ql, start, &off) : NULL;
    if (!node)
        return 0;
    size_t idx = start < 0 ? total - (size_t)(-(start + 1)) - 1 : (size_t)start;
    if (count > total - idx)
        count = total - idx;

    ql_node *left = node->prev; /* the last node kept before the gap */
    size_t todo = count;
    while (todo) {
        ql_node *next = node->next;
        unsigned long n = lp_length(node->lp);
        unsigned long del = n - (unsigned long)off;
        if (del > todo)
            del = (unsigned long)todo;
        if (del == n) {
            ql_node_remove(ql, node);
        } else {
            node->lp = lp_delete_range(node->lp, off, del);
            if (off > 0)
                left = node;
        }
        todo -= del;
        off = 0;
        node = next;
    }
    ql_set_count(ql, total - count);
    ql_node_try_merge(ql, left, left ? left->next : NULL);
    return count;
}

/* ------------------------------------------------------------ iterator */

/* Make n the iterator's node, positioned at its first entry in the
 * iteration's direction (n may be NULL: the end). */
static void ql_iter_enter(ql_iter *it, ql_node *n)
{
    it->node = n;
    if (!n) {
        it->p = NULL;
        it->offset = 0;
    } else if (it->dir == QL_FORWARD) {
        it->p = lp_first(n->lp);
        it->offset = 0;
    } else {
        it->p = lp_last(n->lp);
        it->offset = (long)lp_length(n->lp) - 1;
    }
}

void ql_iter_init(quicklist *ql, ql_iter *it, int dir)
{
    it->ql = ql;
    it->dir = dir;
    ql_iter_enter(it, dir == QL_FORWARD ? ql->head : ql->tail);
}

int ql_iter_init_at(quicklist *ql, ql_iter *it, int dir, long long index)
{
    long off;
    ql_node *n = ql_locate(ql, index, &off);
    it->ql = ql;
    it->dir = dir;
    if (!n) {
        ql_iter_enter(it, NULL);
        return 0;
    }
    it->node = n;
    it->p = lp_seek(n->lp, off);
    it->offset = off;
    return 1;
}

int ql_iter_next(ql_iter *it, ql_entry *e)
{
    while (it->node && !it->p)
        ql_iter_enter(it, it->dir == QL_FORWARD ? it->node->next : it->node->prev);
    if (!it->node)
        return 0;
    ql_entry_fill(e, it->node, it->p, it->offset);
    if (it->dir == QL_FORWARD) {
        it->p = lp_next(it->node->lp, it->p);
        it->offset++;
    } else {
        it->p = lp_prev(it->node->lp, it->p);
        it->offset--;
    }
    return 1;
}

void ql_iter_delete(ql_iter *it, ql_entry *e)
{
    quicklist *ql = it->ql;
    ql_node *node = e->node;
    if (lp_length(node->lp) == 1) {
        ql_node *nb = it->dir == QL_FORWARD ? node->next : node->prev;
        ql_node_remove(ql, node);
        ql_iter_enter(it, nb);
    } else {
        unsigned char *next;
        node->lp = lp_delete(node->lp, e->p, &next);
        it->node = node;
        if (it->dir == QL_FORWARD) {
            it->p = next; /* NULL at the node's end: next() moves on */
            it->offset = e->offset;
        } else {
            it->p = next ? lp_prev(node->lp, next) : lp_last(node->lp);
            it->offset = e->offset - 1;
        }
    }
    ql_set_count(ql, ql_count(ql) - 1);
}

int ql_entry_equal(const ql_entry *e, const void *s, size_t len)
{
    if (len > UINT32_MAX)
        return 0;
    return lp_equal(e->p, s, (uint32_t)len);
}

/* --------------------------------------------------------- list values */

static int ql_is_packed(const void *val)
{
    return ((uintptr_t)val & QL_PACKED_TAG) != 0;
}

static unsigned char *ql_packed_lp(const void *val)
{
    return (unsigned char *)((uintptr_t)val & ~QL_PACKED_TAG);
}

static void *ql_packed_value(unsigned char *lp)
{
    return (void *)((uintptr_t)lp | QL_PACKED_TAG);
}

int ql_value_is_packed(const void *val)
{
    return ql_is_packed(val);
}

quicklist *ql_value_open(void *val, ql_view *v, int fill)
{
    v->node.prev = v->node.next = NULL;
    v->node.lp = NULL;
    if (val && !ql_is_packed(val))
        return val;
    quicklist *ql = &v->ql;
    if (fill > QL_FILL_MAX)
        fill = QL_FILL_MAX;
    else if (fill < QL_FILL_MIN)
        fill = QL_FILL_MIN;
    ql->meta = ((uint64_t)(uint16_t)(int16_t)fill << 48) | QL_META_VIEW;
    ql->head = ql->tail = NULL;
    if (val) {
        v->node.lp = ql_packed_lp(val);
        ql->head = ql->tail = &v->node;
        ql_set_count(ql, lp_length(v->node.lp));
    }
    return ql;
}

/* Packed when one node is left (O(1): the node's listpack becomes the
 * value); a view that grew to several nodes moves to the heap. */
void *ql_value_close(quicklist *ql, ql_view *v)
{
    int is_view = ql == &v->ql;
    /* Two nodes that fit in one (pops at both ends do not merge): make it
     * one, so that the list can be stored packed. */
    if (ql->head && ql->head->next == ql->tail)
        ql_node_try_merge(ql, ql->head, ql->tail);
    if (!ql->head) {
        if (!is_view)
            free(ql);
        return NULL;
    }
    if (ql->head == ql->tail) {
        ql_node *n = ql->head;
        void *val = ql_packed_value(n->lp);
        if (n != &v->node)
            free(n);
        if (!is_view)
            free(ql);
        return val;
    }
    if (!is_view)
        return ql;
    quicklist *h = ql_alloc(sizeof(*h));
    *h = *ql;
    h->meta &= ~QL_META_VIEW;
    if (v->node.lp) { /* the stack node is still linked: replace it */
        ql_node *n = ql_node_new(v->node.lp);
        n->prev = v->node.prev;
        n->next = v->node.next;
        if (n->prev)
            n->prev->next = n;
        else
            h->head = n;
        if (n->next)
            n->next->prev = n;
        else
            h->tail = n;
    }
    return h;
}

void ql_value_free(void *val)
{
    if (!val)
        return;
    if (ql_is_packed(val))
        lp_free(ql_packed_lp(val));
    else
        ql_free(val);
}

void *ql_value_dup(const void *val)
{
    if (!val)
        return NULL;
    if (ql_is_packed(val))
        return ql_packed_value(ql_lp_copy(ql_packed_lp(val)));
    return ql_dup(val);
}

size_t ql_value_count(const void *val)
{
    if (!val)
        return 0;
    if (ql_is_packed(val))
        return lp_length(ql_packed_lp(val));
    return ql_count(val);
}

size_t ql_value_mem_usage(const void *val)
{
    if (!val)
        return 0;
    if (ql_is_packed(val))
        return lp_bytes(ql_packed_lp(val));
    return ql_mem_usage(val);
}
