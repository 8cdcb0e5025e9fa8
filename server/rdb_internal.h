/* rdb_internal: what the RDB modules share and nobody else needs.  rdb.c
 * owns the file (header, AUX fields, databases, EOF and checksum), the
 * buffered writer and reader with their length and string encodings;
 * rdb_types.c owns the values, one save and one load function per
 * encoding.  Constants are Redis 7.0's (src/rdb.h). */
#ifndef KEEL_RDB_INTERNAL_H
#define KEEL_RDB_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "server.h"

/* Value types as stored in the file. */
enum {
    RDB_TYPE_STRING = 0,
    RDB_TYPE_LIST = 1,
    RDB_TYPE_SET = 2,
    RDB_TYPE_ZSET = 3,
    RDB_TYPE_HASH = 4,
    RDB_TYPE_ZSET_2 = 5,
    RDB_TYPE_MODULE = 6,
    RDB_TYPE_MODULE_2 = 7,
    RDB_TYPE_HASH_ZIPMAP = 9,
    RDB_TYPE_LIST_ZIPLIST = 10,
    RDB_TYPE_SET_INTSET = 11,
    RDB_TYPE_ZSET_ZIPLIST = 12,
    RDB_TYPE_HASH_ZIPLIST = 13,
    RDB_TYPE_LIST_QUICKLIST = 14,
    RDB_TYPE_STREAM_LISTPACKS = 15,
    RDB_TYPE_HASH_LISTPACK = 16,
    RDB_TYPE_ZSET_LISTPACK = 17,
    RDB_TYPE_LIST_QUICKLIST_2 = 18,
    RDB_TYPE_STREAM_LISTPACKS_2 = 19,
};

/* Opcodes that share the type byte's place. */
enum {
    RDB_OPCODE_FUNCTION2 = 245,
    RDB_OPCODE_FUNCTION_PRE_GA = 246,
    RDB_OPCODE_MODULE_AUX = 247,
    RDB_OPCODE_IDLE = 248,
    RDB_OPCODE_FREQ = 249,
    RDB_OPCODE_AUX = 250,
    RDB_OPCODE_RESIZEDB = 251,
    RDB_OPCODE_EXPIRETIME_MS = 252,
    RDB_OPCODE_EXPIRETIME = 253,
    RDB_OPCODE_SELECTDB = 254,
    RDB_OPCODE_EOF = 255,
};

/* Quicklist 2 node containers. */
#define RDB_QUICKLIST_NODE_PLAIN 1
#define RDB_QUICKLIST_NODE_PACKED 2

/* ------------------------------------------------------------- writing */

typedef struct rdb_writer {
    FILE *fp;
    unsigned char *buf; /* pending output, flushed in big writes */
    size_t len;
    uint64_t crc; /* of everything flushed so far (when checksum is on) */
    int checksum;
    int compress;               /* rdbcompression */
    unsigned long long written; /* bytes produced (flushed or pending) */
    int err;                    /* errno of the first failure; sticky */
    unsigned char *scratch;     /* LZF output and number formatting */
    size_t scratch_cap;
} rdb_writer;

/* Each returns 0, or -1 once anything failed (w->err says why). */
int rdbw_write(rdb_writer *w, const void *p, size_t n);
int rdbw_byte(rdb_writer *w, int b);
int rdbw_len(rdb_writer *w, uint64_t len);
/* A string with Redis's choice of encoding: a short integer as int8/16/32,
 * longer than 20 bytes LZF-compressed when that saves space, else raw. */
int rdbw_string(rdb_writer *w, const void *p, size_t len);
int rdbw_ll(rdb_writer *w, long long v); /* an integer as a string */
int rdbw_binary_double(rdb_writer *w, double d);
int rdbw_ms(rdb_writer *w, int64_t ms); /* 8 bytes little-endian */

/* Type byte and value of one object (rdb_types.c). */
int rdb_save_object_type(rdb_writer *w, const kobj *o);
int rdb_save_object(rdb_writer *w, const kobj *o);

/* ------------------------------------------------------------- reading */

typedef struct rdb_reader {
    server *s;
    FILE *fp;
    const char *name;        /* for messages: the file's name */
    unsigned char *buf;      /* read-ahead */
    size_t pos, len;         /* buf[pos..len) not consumed yet */
    unsigned long long base; /* stream offset of buf[0], from the RDB's start */
    long long size;          /* bytes from the RDB's start to the file's end, -1 unknown */
    uint64_t crc;
    size_t crc_pos; /* buf[0..crc_pos) is in crc */
    int checksum;   /* compute the checksum as we go */
    int version;
    char *err; /* the caller's message buffer */
    size_t errlen;
    int failed;
    unsigned char *scratch; /* strings read for a moment (keys, members) */
    size_t scratch_cap;
    unsigned char *lzf_in; /* compressed bytes before decompression */
    size_t lzf_in_cap;
} rdb_reader;

/* A string read from the file: bytes in the reader's scratch space (valid
 * until the next read), or a malloc'd block the caller owns. */
typedef struct rdb_str {
    unsigned char *p;
    size_t len;
} rdb_str;

enum { RDB_STR_SCRATCH = 0, RDB_STR_MALLOC = 1 };

/* Record the first error with the offset where reading stands; returns -1
 * so callers can `return rdbr_fail(...)`. */
int rdbr_fail(rdb_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
unsigned long long rdbr_offset(const rdb_reader *r);
int rdbr_read(rdb_reader *r, void *dst, size_t n); /* 0, or -1 (short read) */
int rdbr_byte(rdb_reader *r, int *b);
/* A length; *encoded set when it is a special string encoding instead
 * (then *len holds the encoding number). */
int rdbr_len(rdb_reader *r, uint64_t *len, int *encoded);
int rdbr_plain_len(rdb_reader *r, uint64_t *len); /* encodings refused */
/* A string of any encoding; integers come back as their decimal text.
 * RDB_STR_MALLOC: out->p is a malloc'd block of out->len bytes (+1 NUL). */
int rdbr_string(rdb_reader *r, int mode, rdb_str *out);
int rdbr_binary_double(rdb_reader *r, double *d);
int rdbr_text_double(rdb_reader *r, double *d); /* RDB_TYPE_ZSET's scores */
int rdbr_ms(rdb_reader *r, int64_t *ms);
/* Whether a collection length can be real: each element takes at least
 * one byte of what is left of the file. */
int rdbr_check_count(rdb_reader *r, uint64_t count, const char *what);

/* The value of one object of RDB type `type`: 0 with *out (NULL for an
 * empty collection, which the caller skips), or -1. */
int rdb_load_object(rdb_reader *r, int type, kobj **out);
int rdb_type_is_object(int type);

#endif
