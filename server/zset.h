/* zset.h: the sorted set type's internals, shared by its files.
 *
 *   zset_skiplist.c  the skiplist (score order, span counts for O(log N)
 *                    rank) and the score / lex range specifications
 *   zset_listpack.c  small sorted sets: member,score pairs in one listpack
 *   t_zset.c         the object (encodings, conversion, iteration, type ops),
 *                    the command table and the single-key commands
 *   t_zset_range.c   ZRANGE and friends, ZRANGESTORE, ZREMRANGEBY*, counts
 *   t_zset_store.c   ZUNION/ZINTER/ZDIFF[STORE], ZINTERCARD
 *
 * Two encodings, as Redis 7.0: "listpack" (pairs sorted by score, then
 * member) while small, "skiplist" (a skiplist plus a dict member -> node)
 * once a sorted set has more than zset-max-listpack-entries members or a
 * member longer than zset-max-listpack-value bytes. */
#ifndef KEEL_ZSET_H
#define KEEL_ZSET_H

#include <stddef.h>

#include "listpack.h"
#include "server.h"

/* ------------------------------------------------------------ range specs */

/* A score interval; minex/maxex: the bound is excluded ("(1.5"). */
typedef struct zscore_range {
    double min, max;
    int minex, maxex;
} zscore_range;

/* One end of a lex interval: a string, or "-" (below every string) or "+"
 * (above every string).  Strings point into the request. */
enum { ZLEX_STR = 0, ZLEX_NEG_INF, ZLEX_POS_INF };
typedef struct zlex_bound {
    int kind;
    const char *p;
    size_t len;
} zlex_bound;

typedef struct zlex_range {
    zlex_bound min, max;
    int minex, maxex;
} zlex_range;

/* Parse "1.5", "(1.5", "-inf", "+inf" as Redis does (strtod up to the first
 * NUL, so "" is 0).  1 on success, 0 if either is not a float. */
int zscore_range_parse(const resp_arg *min, const resp_arg *max, zscore_range *r);
/* Parse "[a", "(a", "-", "+".  The range points into the arguments. */
int zlex_range_parse(const resp_arg *min, const resp_arg *max, zlex_range *r);
int zscore_gte_min(double v, const zscore_range *r);
int zscore_lte_max(double v, const zscore_range *r);
/* Byte order, a shorter string first on a common prefix (memcmp, then length). */
int zlex_cmp(const char *a, size_t alen, const char *b, size_t blen);
int zlex_gte_min(const char *s, size_t len, const zlex_range *r);
int zlex_lte_max(const char *s, size_t len, const zlex_range *r);
/* Ranges no element can fall into (min above max, or equal and one end open). */
int zscore_range_is_empty(const zscore_range *r);
int zlex_range_is_empty(const zlex_range *r);

/* --------------------------------------------------------------- skiplist */

#define ZSL_MAX_LEVEL 32

typedef struct zsl_node zsl_node;
struct zsl_level {
    zsl_node *forward;
    unsigned long span; /* nodes skipped by following forward (rank distance) */
};
/* One member.  Its bytes are a buf laid out in the same allocation, after
 * the levels: one allocation per member, and the dict of the skiplist
 * encoding uses that same buf as its key. */
struct zsl_node {
    buf ele;
    double score;
    zsl_node *backward;
    struct zsl_level level[];
};

typedef struct zsl {
    zsl_node *header, *tail;
    unsigned long length;
    int level;
} zsl;

zsl *zsl_create(void);
void zsl_free(zsl *sl); /* frees every node */
/* Insert a member that is not there yet; returns its node. */
zsl_node *zsl_insert(zsl *sl, double score, const char *ele, size_t len);
/* Unlink the node with this score and member; returns it (free it with
 * zsl_node_free) or NULL if there is none. */
zsl_node *zsl_delete(zsl *sl, double score, const char *ele, size_t len);
void zsl_node_free(zsl_node *n);
/* Move a node to a new score.  The node keeps its address (the dict points
 * at it): when the new score keeps its place nothing moves at all,
 * otherwise it is unlinked and linked again at its new position. */
void zsl_update_score(zsl *sl, zsl_node *n, double newscore);
/* 1-based rank of the member, 0 if absent. */
unsigned long zsl_rank(const zsl *sl, double score, const char *ele, size_t len);
/* The node at a 1-based rank, NULL when out of range. */
zsl_node *zsl_by_rank(const zsl *sl, unsigned long rank);
/* How many elements score below v (inclusive: at most v). */
unsigned long zsl_count_below_score(const zsl *sl, double v, int inclusive);
/* How many elements sort below the bound by member (inclusive: at most).
 * Meaningful when all scores are equal, as lex ranges require. */
unsigned long zsl_count_below_lex(const zsl *sl, const zlex_bound *b, int inclusive);
/* Unlink the nodes of 1-based ranks start..end; each one is handed to
 * cb (which must not touch the skiplist) and then freed. */
typedef void zsl_node_cb(void *priv, zsl_node *n);
unsigned long zsl_delete_rank_range(zsl *sl, unsigned long start, unsigned long end,
                                    zsl_node_cb *cb, void *priv);
size_t zsl_node_alloc_size(const zsl_node *n); /* bytes, for MEMORY USAGE */

/* --------------------------------------------------------------- listpack */

/* A sorted set's listpack holds member, score, member, score, ... sorted by
 * score then member.  Positions are of member entries. */
double zlp_score_at(const unsigned char *sp);                              /* a score entry */
const char *zlp_member_at(const unsigned char *p, char *tmp, size_t *len); /* tmp: LP_INTBUF_SIZE */
unsigned long zlp_length(const unsigned char *lp);                         /* pairs */
/* Find a member; sets *score.  Returns its position or NULL. */
unsigned char *zlp_find(unsigned char *lp, const char *m, size_t len, double *score);
/* Insert a pair at its sorted place (the member must be absent). */
unsigned char *zlp_insert(unsigned char *lp, const char *m, size_t len, double score);
/* Append a pair at the end (the caller knows it sorts last). */
unsigned char *zlp_append(unsigned char *lp, const char *m, size_t len, double score);
unsigned char *zlp_delete(unsigned char *lp, unsigned char *p); /* the pair at p */
/* 0-based rank of the member at p (linear). */
unsigned long zlp_rank_of(unsigned char *lp, unsigned char *p);
/* Rank intervals of a range, by walking as Redis does (which matters for
 * lex ranges over members of different scores): forward finds the first
 * match from the front and continues while in range; reverse from the back.
 * Returns 0 when nothing matches, else sets *first <= *last (0-based). */
int zlp_score_span(unsigned char *lp, const zscore_range *r, int reverse, unsigned long *first,
                   unsigned long *last);
int zlp_lex_span(unsigned char *lp, const zlex_range *r, int reverse, unsigned long *first,
                 unsigned long *last);
/* Format a score as a listpack stores it: integers as integers (so -0 is
 * 0), else the shortest of Redis's forms. */
int zlp_score_str(char *dst, size_t size, double score);

/* ----------------------------------------------------------------- object */

/* The skiplist encoding: o->ptr. */
typedef struct zset_big {
    dict *d; /* member buf (the node's own) -> zsl_node* */
    zsl *sl;
} zset_big;

/* ZADD flags, in and out. */
enum {
    ZADD_IN_INCR = 1 << 0,
    ZADD_IN_NX = 1 << 1,
    ZADD_IN_XX = 1 << 2,
    ZADD_IN_GT = 1 << 3,
    ZADD_IN_LT = 1 << 4,
};
enum {
    ZADD_OUT_NOP = 1 << 0,
    ZADD_OUT_NAN = 1 << 1,
    ZADD_OUT_ADDED = 1 << 2,
    ZADD_OUT_UPDATED = 1 << 3,
};

kobj *zset_new_listpack(void);
kobj *zset_new_skiplist(void);
/* The encoding ZADD creates a key with: skiplist when listpacks are off
 * (max entries 0) or the first member is already too long. */
kobj *zset_new_for(server *s, size_t first_member_len);
/* A sorted set to build holding `count` members of at most maxlen bytes:
 * the encoding Redis would end up with. */
kobj *zset_new_sized(server *s, unsigned long count, size_t maxlen);
unsigned long zset_length(const kobj *o);
void zset_convert_to_skiplist(kobj *o);
/* Add or update per the ZADD flags; converts to skiplist when a threshold
 * is crossed.  Returns 0 (ZADD_OUT_NAN) if an increment gives NaN. */
int zset_add(server *s, kobj *o, double score, const char *m, size_t len, int in_flags,
             int *out_flags, double *newscore);
/* Append a member known to sort after every present one (building results). */
void zset_append_sorted(server *s, kobj *o, double score, const char *m, size_t len);
int zset_delete(kobj *o, const char *m, size_t len); /* 1 if it was there */
int zset_score(kobj *o, const char *m, size_t len, double *score);
long zset_rank(kobj *o, const char *m, size_t len, int reverse); /* -1 if absent */
/* Rank interval [first,last] (0-based, ascending order) of the range, 0 if empty. */
int zset_score_span(kobj *o, const zscore_range *r, int reverse, unsigned long *first,
                    unsigned long *last);
int zset_lex_span(kobj *o, const zlex_range *r, int reverse, unsigned long *first,
                  unsigned long *last);
/* Remove ranks first..last (0-based); returns how many. */
unsigned long zset_delete_rank_range(kobj *o, unsigned long first, unsigned long last);

/* Walking a sorted set in either direction from any rank. */
typedef struct zset_iter {
    kobj *o;
    unsigned char *p; /* listpack: the member entry, NULL when done */
    zsl_node *node;   /* skiplist: the node, NULL when done */
    char tmp[LP_INTBUF_SIZE];
} zset_iter;

void zset_iter_at_rank(zset_iter *it, kobj *o, unsigned long rank); /* 0-based */
int zset_iter_valid(const zset_iter *it);
void zset_iter_next(zset_iter *it);
void zset_iter_prev(zset_iter *it);
const char *zset_iter_member(zset_iter *it, size_t *len);
double zset_iter_score(const zset_iter *it);

/* A member, score pair to build a result from. */
typedef struct zset_pair {
    const char *m;
    size_t len;
    double score;
} zset_pair;
/* Sort pairs by score then member and build a sorted set of them (members
 * are copied; there must be no duplicates).  NULL when n is 0. */
kobj *zset_from_pairs(server *s, zset_pair *pairs, size_t n);

/* Replies shared by the command files. */
void zset_reply_member(client *c, const char *m, size_t len);
/* Change notifications of a command that modified key: WATCH, keyspace event. */
void zset_touched(client *c, const resp_arg *key, const char *event);
/* Delete the key when the sorted set became empty; returns 1 if it did. */
int zset_delete_if_empty(client *c, const resp_arg *key, kobj *o);

/* Commands defined in the other files. */
void zrange_command(client *c);
void zrangestore_command(client *c);
void zrangebyscore_command(client *c);
void zrevrangebyscore_command(client *c);
void zrangebylex_command(client *c);
void zrevrangebylex_command(client *c);
void zrevrange_command(client *c);
void zcount_command(client *c);
void zlexcount_command(client *c);
void zremrangebyrank_command(client *c);
void zremrangebyscore_command(client *c);
void zremrangebylex_command(client *c);
void zunionstore_command(client *c);
void zinterstore_command(client *c);
void zdiffstore_command(client *c);
void zunion_command(client *c);
void zinter_command(client *c);
void zdiff_command(client *c);
void zintercard_command(client *c);

#endif
