/* quicklist: the list type's storage, a doubly linked list of listpack
 * nodes (Redis 7.0's layout, without compression).
 *
 * Each node holds a listpack of up to `fill` entries (fill > 0, with an 8 KB
 * safety cap per node) or of at most 4/8/16/32/64 KB (fill -1..-5).  A value
 * too big for any node sits alone in its own node.  Pushing and popping at
 * either end is O(1); index access walks node by node from the nearer end;
 * inserting in the middle of a full node splits it, and after splits and
 * range deletions neighbours are merged when the result fits (deletions
 * while iterating, as LREM does, leave nodes as they are, like Redis).
 *
 * Values are read as lp_entry (bytes, or an integer for entries the listpack
 * stores as integers); their bytes point into a node and stay valid only
 * until the list is next changed.
 *
 * The structures are small on purpose (24 bytes each).
 *
 * List values.  What a list kobj points at (its "value") is, for a list that
 * fits in one node, the bare listpack (tagged with bit 0 so it can be told
 * apart), and only for longer lists a quicklist: a list of a few short
 * elements costs one allocation.  Commands open a value as a quicklist
 * (ql_value_open: a packed one is wrapped in a ql_view on the stack, no
 * allocation), run the ql_* operations on it, and store back what
 * ql_value_close returns, which is again the most compact form.  Redis 7.0
 * has no such form (OBJECT ENCODING still says "quicklist"); 7.2 does the
 * same with its listpack encoding. */
#ifndef KEEL_QUICKLIST_H
#define KEEL_QUICKLIST_H

#include <stddef.h>
#include <stdint.h>

#include "listpack.h"

#define QL_HEAD 0 /* LEFT: the first element */
#define QL_TAIL 1 /* RIGHT: the last element */

#define QL_FORWARD 0  /* iterate head to tail */
#define QL_BACKWARD 1 /* iterate tail to head */

#define QL_FILL_MAX 32767     /* the largest positive fill (entries per node) */
#define QL_FILL_MIN (-5)      /* the smallest negative fill (64 KB nodes) */
#define QL_SAFETY_BYTES 8192u /* a node with a positive fill stays under this */

typedef struct ql_node {
    struct ql_node *prev, *next;
    unsigned char *lp; /* never empty while the node is in a list */
} ql_node;

typedef struct quicklist {
    ql_node *head, *tail;
    /* The element count in the low 47 bits, bit 47 set for a ql_view, and
     * the fill (signed) in the high 16: keeps the structure at 24 bytes. */
    uint64_t meta;
} quicklist;

/* A packed list value opened as a quicklist whose only node lives here, on
 * the caller's stack.  Operations that remove that node do not free it but
 * clear its lp; ql_value_close moves it to the heap if the list grew. */
typedef struct ql_view {
    quicklist ql; /* first: ql_value_open returns &view->ql */
    ql_node node;
} ql_view;

/* One element as found by ql_index or an iterator: where it is and its
 * value.  Valid until the list changes (except through the iterator). */
typedef struct ql_entry {
    ql_node *node;
    unsigned char *p; /* the entry inside node->lp */
    long offset;      /* its index inside the node */
    lp_entry val;     /* val.sval != NULL: bytes; else the integer val.lval */
} ql_entry;

typedef struct ql_iter {
    quicklist *ql;
    ql_node *node;    /* the node of the next entry */
    unsigned char *p; /* the next entry in node->lp; NULL: move to the next node */
    long offset;      /* index of p inside node */
    int dir;          /* QL_FORWARD or QL_BACKWARD */
} ql_iter;

quicklist *ql_create(int fill); /* fill is clamped to QL_FILL_MIN..QL_FILL_MAX */
void ql_free(quicklist *ql);
quicklist *ql_dup(const quicklist *ql);
size_t ql_count(const quicklist *ql);
int ql_fill(const quicklist *ql);
size_t ql_node_count(const quicklist *ql); /* walks the nodes */
size_t ql_mem_usage(const quicklist *ql);  /* bytes of the structure, nodes and listpacks */

/* Add an element at the head or tail (QL_HEAD / QL_TAIL). */
void ql_push(quicklist *ql, const void *s, size_t len, int where);
/* Append a whole listpack (its own malloc block, already validated) as the
 * last node, taking ownership: how RDB loading adopts a file's nodes.  One
 * that does not fit the list's fill has its entries pushed one by one. */
void ql_append_listpack(quicklist *ql, unsigned char *lp);
/* The element at the head or tail, without removing it: 0 if the list is empty. */
int ql_peek(quicklist *ql, int where, lp_entry *out);
/* Remove the element at the head or tail (the list must not be empty). */
void ql_pop(quicklist *ql, int where);

/* Find the element at index (negative: from the tail, -1 is the last).
 * Returns 0 when out of range. */
int ql_index(quicklist *ql, long long index, ql_entry *out);
/* Replace the element e (from ql_index) with s: LSET. e is invalid after. */
void ql_replace(quicklist *ql, ql_entry *e, const void *s, size_t len);
/* Insert s before (QL_HEAD) or after (QL_TAIL) the element e: LINSERT.
 * e and any iterator are invalid after. */
void ql_insert(quicklist *ql, ql_entry *e, const void *s, size_t len, int where);
/* Delete count elements starting at index start (negative: from the tail);
 * a range running past the end is cut there.  Returns how many went. */
size_t ql_del_range(quicklist *ql, long long start, size_t count);

/* Iterate from the head (QL_FORWARD) or tail (QL_BACKWARD). */
void ql_iter_init(quicklist *ql, ql_iter *it, int dir);
/* Iterate from the element at index (negative: from the tail) in direction
 * dir; returns 0 (and an exhausted iterator) when index is out of range. */
int ql_iter_init_at(quicklist *ql, ql_iter *it, int dir, long long index);
/* The next element, 0 when there are no more. */
int ql_iter_next(ql_iter *it, ql_entry *e);
/* Delete the element the iterator returned last (e); iteration goes on with
 * the element after it in the iterator's direction. */
void ql_iter_delete(ql_iter *it, ql_entry *e);

/* Whether e's value equals s[0..len) (integers compare by their text). */
int ql_entry_equal(const ql_entry *e, const void *s, size_t len);

/* List values (see the top of this file).  NULL is the empty list. */
/* The value as a quicklist to operate on; fill is used for a packed value
 * (a quicklist value keeps its own).  v must outlive the returned pointer. */
quicklist *ql_value_open(void *val, ql_view *v, int fill);
/* End the operations: returns the value to store, in its compact form (the
 * quicklist returned by open may have been freed). */
void *ql_value_close(quicklist *ql, ql_view *v);
int ql_value_is_packed(const void *val);
void ql_value_free(void *val);
void *ql_value_dup(const void *val);
size_t ql_value_count(const void *val);
size_t ql_value_mem_usage(const void *val);

#endif
