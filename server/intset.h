/* intset: a sorted array of distinct integers, in Redis 7.0's intset
 * format (so RDB files can store it as it is): <encoding u32> <length u32>
 * <contents>, little-endian, each element 2, 4 or 8 bytes as the largest
 * member needs; adding a wider value upgrades the whole set.
 * Used for sets whose members are all integers, up to set-max-intset-entries. */
#ifndef KEEL_INTSET_H
#define KEEL_INTSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct intset intset;

intset *intset_new(void);
void intset_free(intset *is);
intset *intset_add(intset *is, int64_t value, int *added); /* may move is */
intset *intset_remove(intset *is, int64_t value, int *removed);
int intset_find(const intset *is, int64_t value);               /* 1 if present */
int intset_get(const intset *is, uint32_t pos, int64_t *value); /* 1 if pos < length */
int64_t intset_random(const intset *is);                        /* is must not be empty */
uint32_t intset_len(const intset *is);
size_t intset_bytes(const intset *is); /* blob size (RDB) */
int64_t intset_max(const intset *is);
int64_t intset_min(const intset *is);
intset *intset_dup(const intset *is);
/* Check an intset read from a file: encoding, length vs size, ascending
 * distinct order when deep. 1 if valid. */
int intset_validate(const void *blob, size_t size, int deep);

#endif
