/* type_persist: the element-level access that persistence (RDB save and
 * load, AOF rewrite) needs into representations the type modules keep
 * private: building a hashtable-encoded value from its elements and reading
 * one entry back.  Compact encodings (listpack, intset) are Redis's byte
 * formats and are handled as blobs; a set's hashtable has member bufs as its
 * dict keys (see t_set.c) and needs nothing here. */
#ifndef KEEL_TYPE_PERSIST_H
#define KEEL_TYPE_PERSIST_H

#include <stddef.h>

#include "server.h"

/* t_hash.c: an empty hashtable-encoded hash sized for `hint` fields. */
kobj *hash_new_hashtable(size_t hint);
/* Add a field to a hashtable-encoded hash: 1, or 0 if it was already there. */
int hash_table_add(kobj *o, const void *f, size_t flen, const void *v, size_t vlen);
/* The field and value held by an entry of a hashtable-encoded hash's dict. */
void hash_table_entry(const dict_entry *e, const char **f, size_t *flen, const char **v,
                      size_t *vlen);

/* t_set.c: an empty set in the given encoding (ENC_INTSET or ENC_HASHTABLE,
 * sized for `hint` members). */
kobj *set_new_encoded(int encoding, size_t hint);
/* Add a member, converting intset -> hashtable exactly as SADD does:
 * 1 if it was new, 0 if it was already there. */
int set_add_member(server *s, kobj *o, const char *p, size_t len);

#endif
